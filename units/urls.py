from django.urls import path

from units import views

app_name = "units"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:unit_id>/", views.unit_detail, name="detail"),
    path("<int:unit_id>/lich-su/", views.unit_history, name="history"),
]
