"""How the seeded roles are written in real plans (used to read task spreadsheets)."""

from django.db import migrations

ALIASES = {
    "cc-van-hoa-xa-hoi": ["Công chức VHXH", "Công chức Văn hóa xã hội", "Văn hóa - Xã hội", "VHXH"],
    "cc-van-phong-thong-ke": ["Công chức Văn phòng thống kê", "Văn phòng - Thống kê", "VP-TK", "Văn phòng"],
    "cc-tu-phap-ho-tich": ["Công chức Tư pháp hộ tịch", "Tư pháp - Hộ tịch", "TP-HT", "Tư pháp"],
    "cc-tai-chinh-ke-toan": ["Công chức Tài chính kế toán", "Tài chính - Kế toán", "TC-KT", "Kế toán"],
    "bo-phan-mot-cua": [
        "Bộ phận một cửa",
        "Bộ phận Tiếp nhận và Trả kết quả phường",
        "Bộ phận Tiếp nhận và Trả kết quả xã",
    ],
    "dai-truyen-thanh": [
        "Cán bộ đài truyền thanh",
        "Đài truyền thanh phường",
        "Đài truyền thanh xã",
        "Đài TT",
    ],
    "to-cong-nghe-so": ["Tổ công nghệ cộng đồng", "Tổ công nghệ số", "Tổ CNSCĐ"],
    "van-phong-hdnd-ubnd": ["Văn phòng HĐND - UBND", "Văn phòng UBND", "Văn phòng HĐND-UBND"],
    "phong-kinh-te": ["Phòng Kinh tế, Hạ tầng và Đô thị", "Phòng KT"],
    "phong-van-hoa-xa-hoi": ["Phòng VHXH", "Phòng Văn hóa xã hội"],
    "trung-tam-phuc-vu-hcc": [
        "Trung tâm Phục vụ HCC",
        "Trung tâm HCC",
        "Trung tâm Phục vụ hành chính công xã",
    ],
    "chu-tich": ["Chủ tịch", "Chủ tịch UBND xã", "Chủ tịch UBND phường"],
    "pho-chu-tich": ["Phó Chủ tịch", "Phó Chủ tịch UBND xã", "Phó Chủ tịch UBND phường"],
}


def seed(apps, schema_editor):
    Role = apps.get_model("units", "Role")
    for code, aliases in ALIASES.items():
        Role.objects.filter(code=code).update(aliases="\n".join(aliases))


class Migration(migrations.Migration):
    dependencies = [("units", "0003_role_aliases")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
