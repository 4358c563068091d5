from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cchc_portal import views

admin.site.site_header = "Quản trị Cổng CCHC"
admin.site.site_title = "Quản trị Cổng CCHC"
admin.site.index_title = "Quản trị hệ thống"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "dang-nhap/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("doi-mat-khau/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("doi-mat-khau/xong/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("don-vi/", include("units.urls")),
    path("ke-hoach/", include("plans.urls")),
    path("", include("reports.urls")),
    path("", include("procedures.urls")),
    path("", include("documents.urls")),
    path("nhat-ky/", views.audit_log, name="audit_log"),
    path("healthz/", views.healthz, name="healthz"),
    path("quan-tri/", admin.site.urls),
]
