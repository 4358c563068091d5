from django.urls import path

from plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("tao/", views.plan_create, name="create"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/lich-su/", views.plan_history, name="history"),
    path("<int:plan_id>/ban-xem-truoc.pdf", views.plan_pdf, name="pdf"),
    path("<int:plan_id>/chuyen-trang-thai/", views.plan_transition, name="transition"),
    path("<int:plan_id>/tai-len-ban-da-ky/", views.upload_signed, name="upload_signed"),
    path("<int:plan_id>/soan-thao/", views.plan_edit, name="edit"),
    path("<int:plan_id>/thong-tin/", views.header_edit, name="header"),
    path("<int:plan_id>/che-do-bao-cao/", views.rules_edit, name="rules"),
    path("<int:plan_id>/phan/<int:section_id>/", views.section_edit, name="section"),
    path("<int:plan_id>/phan/<int:section_id>/them/", views.item_add, name="item_add"),
    path("<int:plan_id>/muc/<int:item_id>/", views.item_edit, name="item"),
    path("<int:plan_id>/muc/<int:item_id>/thay-doi/", views.item_change, name="item_change"),
    path("<int:plan_id>/nhom/them/", views.group_add, name="group_add"),
    path("<int:plan_id>/nhom/<int:group_id>/", views.group_edit, name="group"),
    path("<int:plan_id>/nhom/<int:group_id>/thay-doi/", views.group_change, name="group_change"),
    path("<int:plan_id>/nhom/<int:group_id>/them-nhiem-vu/", views.task_add, name="task_add"),
    path("<int:plan_id>/nhiem-vu/<int:task_id>/", views.task_edit, name="task"),
    path("<int:plan_id>/nhiem-vu/<int:task_id>/thay-doi/", views.task_change, name="task_change"),
    path("<int:plan_id>/nhiem-vu/<int:task_id>/giao/", views.task_assign, name="task_assign"),
    path("<int:plan_id>/nhap-nhiem-vu/", views.task_import, name="import"),
    path("<int:plan_id>/nhiem-vu.xlsx", views.task_export, name="export"),
    path("<int:plan_id>/thay-doi-cap-tren/", views.upstream_changes, name="upstream"),
    path("<int:plan_id>/trien-khai/", views.cascade, name="cascade"),
    path("<int:plan_id>/trien-khai/<int:task_id>/", views.cascade_task, name="cascade_task"),
]
