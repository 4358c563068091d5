from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path("van-ban/so-van-ban-di/<int:unit_id>/", views.register, name="register"),
    path("van-ban/so-van-ban-di/<int:unit_id>/xuat.xlsx", views.register_export, name="register_export"),
    path("van-ban/<int:document_id>/tai-ve/", views.download, name="download"),
    path("van-ban/<int:document_id>/ban-dang-ky/", views.working, name="working"),
    path("xac-minh/", views.verify, name="verify"),
    path("xac-minh/<str:code>/", views.verify_code, name="verify_code"),
    path("xac-minh/<str:code>/van-ban.pdf", views.public_download, name="public_download"),
]
