"""Seed the unit kinds and the officer-role catalogue.

Both are data: admins can add kinds and roles later without code changes. Sources: QĐ
124/2004/QĐ-TTg and QĐ 19/2025/QĐ-TTg for kinds; the pre-2025 commune civil-servant titles (NĐ
33/2023/NĐ-CP) and the post-2025 commune structure (NĐ 150/2025/NĐ-CP, NĐ 118/2025/NĐ-CP).
"""

import datetime

from django.db import migrations

UBND = "ỦY BAN NHÂN DÂN"
END_OF_DISTRICTS = datetime.date(2025, 6, 30)
TWO_TIER = datetime.date(2025, 7, 1)

# code, name, level, label (as in full names), authority body, default symbol, sort order
KINDS = [
    ("thanh-pho-tw", "Thành phố trực thuộc trung ương", "province", "Thành phố", UBND, "UBND", 10),
    ("tinh", "Tỉnh", "province", "Tỉnh", UBND, "UBND", 11),
    ("thanh-pho-thuoc-tinh", "Thành phố thuộc tỉnh", "district", "Thành phố", UBND, "UBND", 20),
    ("quan", "Quận", "district", "Quận", UBND, "UBND", 21),
    ("thi-xa", "Thị xã", "district", "Thị xã", UBND, "UBND", 22),
    ("huyen", "Huyện", "district", "Huyện", UBND, "UBND", 23),
    ("phuong", "Phường", "commune", "Phường", UBND, "UBND", 30),
    ("xa", "Xã", "commune", "Xã", UBND, "UBND", 31),
    ("thi-tran", "Thị trấn", "commune", "Thị trấn", UBND, "UBND", 32),
    ("dac-khu", "Đặc khu", "commune", "Đặc khu", UBND, "UBND", 33),
    ("co-quan-ubnd", "Văn phòng, cơ quan thuộc UBND", "agency", "", "", "VP", 40),
    ("so-ban-nganh", "Sở, ban, ngành", "agency", "", "", "", 41),
]

PRE_2025_COMMUNE = ["xa", "phuong", "thi-tran"]
POST_2025_COMMUNE = ["xa", "phuong", "dac-khu"]
TERRITORIAL = [
    "thanh-pho-tw",
    "tinh",
    "thanh-pho-thuoc-tinh",
    "quan",
    "thi-xa",
    "huyen",
    *PRE_2025_COMMUNE,
    "dac-khu",
]
PROVINCES = ["thanh-pho-tw", "tinh"]
DISTRICTS = ["thanh-pho-thuoc-tinh", "quan", "thi-xa", "huyen"]

E, C, A, M, R, ADM = (
    "enter_progress",
    "compile_reports",
    "approve_sign",
    "manage_plans",
    "review_reports",
    "administer",
)
# code, name, kinds, valid_from, valid_to, is_leader, capabilities, description
ROLES = [
    # Commune civil-servant titles used until 30 June 2025.
    (
        "cc-van-hoa-xa-hoi",
        "Công chức Văn hóa - Xã hội",
        PRE_2025_COMMUNE,
        None,
        END_OF_DISTRICTS,
        False,
        [E],
        "",
    ),
    (
        "cc-van-phong-thong-ke",
        "Công chức Văn phòng - Thống kê",
        PRE_2025_COMMUNE,
        None,
        END_OF_DISTRICTS,
        False,
        [E, C, M],
        "Thường là đầu mối tổng hợp kế hoạch, báo cáo CCHC của xã.",
    ),
    (
        "cc-tu-phap-ho-tich",
        "Công chức Tư pháp - Hộ tịch",
        PRE_2025_COMMUNE,
        None,
        END_OF_DISTRICTS,
        False,
        [E],
        "",
    ),
    (
        "cc-tai-chinh-ke-toan",
        "Công chức Tài chính - Kế toán",
        PRE_2025_COMMUNE,
        None,
        END_OF_DISTRICTS,
        False,
        [E],
        "",
    ),
    (
        "bo-phan-mot-cua",
        "Bộ phận Tiếp nhận và Trả kết quả",
        PRE_2025_COMMUNE,
        None,
        END_OF_DISTRICTS,
        False,
        [E],
        "",
    ),
    ("dai-truyen-thanh", "Đài truyền thanh", PRE_2025_COMMUNE, None, END_OF_DISTRICTS, False, [E], ""),
    (
        "to-cong-nghe-so",
        "Tổ công nghệ số cộng đồng",
        [*PRE_2025_COMMUNE, "dac-khu"],
        None,
        None,
        False,
        [E],
        "",
    ),
    # Commune structure since 1 July 2025 (NĐ 150/2025, NĐ 118/2025).
    (
        "van-phong-hdnd-ubnd",
        "Văn phòng HĐND và UBND",
        POST_2025_COMMUNE,
        TWO_TIER,
        None,
        False,
        [E, C, M],
        "Đầu mối tổng hợp kế hoạch, báo cáo CCHC của xã, phường, đặc khu.",
    ),
    (
        "phong-kinh-te",
        "Phòng Kinh tế",
        POST_2025_COMMUNE,
        TWO_TIER,
        None,
        False,
        [E],
        "Ở phường: Phòng Kinh tế, Hạ tầng và Đô thị.",
    ),
    ("phong-van-hoa-xa-hoi", "Phòng Văn hóa - Xã hội", POST_2025_COMMUNE, TWO_TIER, None, False, [E], ""),
    (
        "trung-tam-phuc-vu-hcc",
        "Trung tâm Phục vụ hành chính công",
        POST_2025_COMMUNE,
        TWO_TIER,
        None,
        False,
        [E],
        "",
    ),
    # Leaders of a People's Committee at any tier.
    ("chu-tich", "Chủ tịch UBND", TERRITORIAL, None, None, True, [A, M, C], ""),
    ("pho-chu-tich", "Phó Chủ tịch UBND", TERRITORIAL, None, None, True, [A, M], ""),
    # Reviewers.
    (
        "chuyen-vien-so-noi-vu",
        "Chuyên viên Sở Nội vụ (theo dõi CCHC)",
        PROVINCES,
        None,
        None,
        False,
        [R, M, C],
        "Theo dõi, xét duyệt báo cáo CCHC của các đơn vị trong tỉnh; soạn kế hoạch của tỉnh.",
    ),
    (
        "lanh-dao-so-noi-vu",
        "Lãnh đạo Sở Nội vụ",
        PROVINCES,
        None,
        None,
        True,
        [R, M, C],
        "",
    ),
    (
        "chuyen-vien-phong-noi-vu",
        "Chuyên viên Phòng Nội vụ cấp huyện (theo dõi CCHC)",
        DISTRICTS,
        None,
        END_OF_DISTRICTS,
        False,
        [R, M, C],
        "",
    ),
    (
        "quan-tri-don-vi",
        "Quản trị viên đơn vị",
        [],
        None,
        None,
        False,
        [ADM],
        "Quản lý tài khoản, phân công.",
    ),
]


def seed(apps, schema_editor):
    UnitKind = apps.get_model("units", "UnitKind")
    Role = apps.get_model("units", "Role")
    kinds = {}
    for code, name, level, label, body, symbol, order in KINDS:
        kinds[code], _ = UnitKind.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "label": label,
                "authority_body": body,
                "default_symbol": symbol,
                "sort_order": order,
            },
        )
    for order, (code, name, kind_codes, valid_from, valid_to, leader, caps, description) in enumerate(ROLES):
        role, _ = Role.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "is_leader": leader,
                "sort_order": order * 10,
                **{cap: cap in caps for cap in (E, C, A, M, R, ADM)},
            },
        )
        role.kinds.set([kinds[k] for k in kind_codes])


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
