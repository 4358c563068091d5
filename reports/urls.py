from django.urls import path

from reports import views, views_reminders

app_name = "reports"
urlpatterns = [
    path("bao-cao/", views.index, name="index"),
    path("bao-cao/<int:unit_id>/<str:code>/nhap/", views.entries, name="entries"),
    path("bao-cao/<int:unit_id>/<str:code>/", views.report, name="report"),
    path("bao-cao/<int:unit_id>/<str:code>/ban-in.pdf", views.report_pdf, name="pdf"),
    path("bao-cao/<int:unit_id>/<str:code>/bat-dau/", views.start, name="start"),
    path("bao-cao/<int:unit_id>/<str:code>/cap-nhat-so-lieu/", views.refresh, name="refresh"),
    path("bao-cao/ket-qua/<int:entry_id>/", views.entry_save, name="entry_save"),
    path("bao-cao/ket-qua/<int:entry_id>/tai-lieu/", views.evidence_add, name="evidence_add"),
    path("bao-cao/tai-lieu/<int:evidence_id>/", views.evidence_file, name="evidence_file"),
    path("bao-cao/tai-lieu/<int:evidence_id>/xoa/", views.evidence_delete, name="evidence_delete"),
    path("bao-cao/chuyen/<int:report_id>/", views.transition, name="transition"),
    path("bao-cao/chuyen/<int:report_id>/tai-len-ban-da-ky/", views.upload_signed, name="upload_signed"),
    path("theo-doi/<int:unit_id>/<str:code>/", views.overview, name="overview"),
    path("theo-doi/<int:unit_id>/<str:code>/tiep-nhan/", views.bulk_accept, name="bulk_accept"),
    path("theo-doi/<int:unit_id>/<str:code>/nhac/", views_reminders.remind, name="remind"),
    path("toan-quoc/", views.national, name="national_now"),
    path("toan-quoc/<str:code>/", views.national, name="national"),
    path("tong-hop/<int:unit_id>/<str:code>/", views.rollup_view, name="rollup"),
    path("tong-hop/<int:unit_id>/<str:code>/xuat.xlsx", views.rollup_export, name="rollup_export"),
    path("tong-hop/<int:unit_id>/<str:code>/diem/", views.scores_view, name="scores"),
    path("tong-hop/<int:unit_id>/<str:code>/soan-bao-cao/", views.compose, name="compose"),
]
