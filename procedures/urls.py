from django.urls import path

from procedures import views

app_name = "procedures"
urlpatterns = [
    path("thu-tuc/", views.procedure_list, name="list"),
    # Codes contain dots ("1.001193"): `str` takes everything up to the next slash.
    path("thu-tuc/<str:code>/", views.procedure_detail, name="detail"),
    path("don-vi/<int:unit_id>/thu-tuc/", views.unit_procedures, name="unit"),
    path("don-vi/<int:unit_id>/thu-tuc/<str:code>/", views.unit_row, name="unit_row"),
    path("don-vi/<int:unit_id>/bang-niem-yet/", views.listing_page, name="listing"),
    path("don-vi/<int:unit_id>/bang-niem-yet.pdf", views.listing_pdf, name="listing_pdf"),
]
