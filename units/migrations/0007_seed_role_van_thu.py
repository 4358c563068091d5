"""The văn thư (NĐ 30/2020 Điều 14–15): numbers and registers outgoing documents, applies the
body's digital signature and issues them. A role at every People's Committee and agency."""

from django.db import migrations

TERRITORIAL_AND_AGENCIES = [
    "thanh-pho-tw",
    "tinh",
    "thanh-pho-thuoc-tinh",
    "quan",
    "thi-xa",
    "huyen",
    "phuong",
    "xa",
    "thi-tran",
    "dac-khu",
    "co-quan-ubnd",
    "so-ban-nganh",
]


def seed(apps, schema_editor):
    Role = apps.get_model("units", "Role")
    UnitKind = apps.get_model("units", "UnitKind")
    last = Role.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
    role, _ = Role.objects.update_or_create(
        code="van-thu",
        defaults={
            "name": "Văn thư",
            "description": "Kiểm tra thể thức, cấp số, đăng ký văn bản đi, ký số của cơ quan và phát hành.",
            "aliases": "Văn thư cơ quan\nCán bộ văn thư",
            "is_leader": False,
            "sort_order": last + 10,
            "issue_documents": True,
        },
    )
    role.kinds.set(UnitKind.objects.filter(code__in=TERRITORIAL_AND_AGENCIES))


def unseed(apps, schema_editor):
    apps.get_model("units", "Role").objects.filter(code="van-thu").delete()


class Migration(migrations.Migration):
    dependencies = [("units", "0006_capability_issue_documents")]

    operations = [migrations.RunPython(seed, unseed)]
