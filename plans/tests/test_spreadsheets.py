"""Task tables in and out of spreadsheets: real appendix shapes, row errors, all-or-nothing writes."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from plans import services
from plans.models import Frequency, Task
from plans.spreadsheets import SpreadsheetError, apply_task_import, export_tasks_xlsx, read_task_sheet
from units.models import Level


def xlsx(rows, merges=(), title_rows=2) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for i in range(title_rows):
        sheet.append([f"PHỤ LỤC {i + 1}" if i == 0 else "(Kèm theo Kế hoạch số …/KH-UBND)"])
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER = [
    "STT",
    "Nội dung nhiệm vụ",
    "Đơn vị/Người chủ trì",
    "Phối hợp",
    "Thời gian thực hiện",
    "Sản phẩm/Chỉ tiêu",
]


@pytest.fixture
def commune_plan(world):
    return services.create_plan(world.commune_a, 2026)


@pytest.fixture
def city_plan(world):
    return services.create_plan(world.danang, 2026)


def test_it_reads_a_real_appendix_shape(commune_plan):
    content = xlsx(
        [
            HEADER,
            ["I", "TUYÊN TRUYỀN TRỰC QUAN", None, None, None, None],
            [
                1,
                "Xây dựng chuyên mục CCHC trên đài truyền thanh",
                "Phòng Văn hóa - Xã hội",
                "Văn phòng HĐND và UBND; Đoàn thanh niên",
                "Hằng tháng",
                "12 chuyên đề phát thanh/năm",
            ],
            [2, "Treo băng rôn, pano tại trụ sở", None, None, "Quý II/2026", "04 cụm pano"],
            [
                3,
                "Niêm yết công khai TTHC",
                "Trung tâm Phục vụ HCC",
                None,
                datetime.date(2026, 6, 30),
                "100% TTHC được niêm yết công khai; Bảng niêm yết",
            ],
            [None, None, None, None, None, None],
        ],
        merges=["C5:C6"],  # "Phòng Văn hóa - Xã hội" leads tasks 1 and 2
    )
    preview = read_task_sheet(content, "phu-luc.xlsx", commune_plan)
    assert preview.is_valid, preview.errors
    first, second, third = preview.rows
    assert (first.row, first.lead_role.code, first.section_heading) == (
        5,
        "phong-van-hoa-xa-hoi",
        "I. TUYÊN TRUYỀN TRỰC QUAN",
    )
    assert [r.code for r in first.co_roles] == ["van-phong-hdnd-ubnd"] and first.co_text == "Đoàn thanh niên"
    assert first.frequency == Frequency.MONTHLY
    assert [(t.value, t.unit_of_measure) for t in first.targets] == [(Decimal(12), "chuyên đề")]
    assert second.lead_role.code == "phong-van-hoa-xa-hoi"  # from the merged cell
    assert second.timing_note == "Quý II/2026" and (
        second.targets[0].value,
        second.targets[0].unit_of_measure,
    ) == (4, "cụm pano")
    assert third.deadline == datetime.date(2026, 6, 30)
    assert (third.targets[0].value, third.targets[0].unit_of_measure) == (100, "%")
    assert third.product == "Bảng niêm yết"


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("12 chuyên đề phát thanh/năm", Decimal(12), "chuyên đề"),
        ("100% TTHC được niêm yết công khai", Decimal(100), "%"),
        ("04 số bản tin/tháng", Decimal(4), "số bản"),
        ("12,5 giờ phát sóng", Decimal("12.5"), "giờ"),
        ("1.200 lượt người tham gia", Decimal(1200), "lượt người"),
    ],
)
def test_it_reads_countable_targets(commune_plan, text, value, unit):
    content = (
        f'\ufeffSTT,Nội dung nhiệm vụ,Chủ trì,Sản phẩm/Chỉ tiêu\n1,Việc,Phòng Văn hóa - Xã hội,"{text}"\n'
    )
    [row] = read_task_sheet(content.encode(), "tasks.csv", commune_plan).rows
    assert (row.targets[0].value, row.targets[0].unit_of_measure, row.targets[0].name) == (value, unit, text)


def test_it_reads_csv_with_semicolons_and_without_bom(commune_plan):
    content = (
        "Nội dung;Chủ trì;Thời gian\nTuyên truyền trên Zalo;Tổ công nghệ số cộng đồng;Thường xuyên\n".encode()
    )
    [row] = read_task_sheet(content, "tasks.csv", commune_plan).rows
    assert row.lead_role.code == "to-cong-nghe-so" and row.frequency == Frequency.CONTINUOUS


def test_an_unknown_role_is_named_and_nothing_is_written(commune_plan):
    content = xlsx(
        [
            HEADER,
            [1, "Việc một", "Phòng Văn hóa - Xã hội", None, None, None],
            [2, "Việc hai", "Phòng ABC", None, None, None],
        ]
    )
    preview = read_task_sheet(content, "t.xlsx", commune_plan)
    assert preview.errors == [
        'Dòng 5, cột "Đơn vị/Người chủ trì": không tìm thấy vai trò hoặc đơn vị "Phòng ABC" trong danh mục của đơn vị'
    ]
    with pytest.raises(services.PlanError, match="không có nhiệm vụ nào được ghi"):
        apply_task_import(preview)
    assert not Task.objects.filter(plan=commune_plan).exists()
    assert apply_task_import(preview, skip_invalid=True) == 1
    assert [t.title for t in Task.objects.filter(plan=commune_plan)] == ["Việc một"]


def test_a_province_plan_resolves_units_and_every_commune(city_plan, world):
    content = xlsx(
        [
            HEADER,
            [1, "Xây dựng chuyên mục CCHC", "UBND các xã, phường", "Sở Nội vụ", "Cả năm", "12 chuyên đề"],
            [2, "Hướng dẫn, kiểm tra", "Sở Nội vụ", "UBND các xã, phường", None, None],
            [3, "Thí điểm bảng điện tử", "Phường Bàn Thạch", None, None, None],
        ]
    )
    preview = read_task_sheet(content, "t.xlsx", city_plan)
    assert preview.is_valid, preview.errors
    communes, snv, ban_thach = preview.rows
    assert communes.lead_level == Level.COMMUNE and communes.co_units == [world.snv]
    assert snv.lead_unit == world.snv
    assert ban_thach.lead_unit == world.commune_b
    assert apply_task_import(preview) == 3
    groups = {g.heading: g for g in city_plan.groups.all()}
    assert groups["UBND các xã, phường, đặc khu"].lead_level == Level.COMMUNE
    assert groups["Sở Nội vụ"].lead_unit == world.snv
    assert city_plan.tasks.get(title="Xây dựng chuyên mục CCHC").targets.get().value == 12


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"%PDF-1.4", "ke-hoach.pdf", "Chỉ nhận tệp Excel"),
        (b"PK\x03\x04 not really a workbook", "t.xlsx", "Không đọc được tệp Excel"),
        (b"", "t.csv", "không có dữ liệu"),
        (b"a,b\n1,2\n", "t.csv", 'Không tìm thấy dòng tiêu đề có cột "Nội dung nhiệm vụ"'),
        (b"\xff\xfe\x00", "t.csv", "UTF-8"),  # UTF-16 cut short (UTF-16 itself is read now)
    ],
)
def test_unreadable_files_get_a_clear_message(commune_plan, content, name, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_task_sheet(content, name, commune_plan)


def test_an_empty_workbook(commune_plan):
    out = io.BytesIO()
    Workbook().save(out)
    with pytest.raises(SpreadsheetError, match="không có dữ liệu"):
        read_task_sheet(out.getvalue(), "t.xlsx", commune_plan)


def test_an_oversized_file(commune_plan):
    with pytest.raises(SpreadsheetError, match="quá lớn"):
        read_task_sheet(b"x" * 2000, "t.csv", commune_plan, max_bytes=1000)


def test_formulas_and_duplicates_are_row_errors(commune_plan):
    content = xlsx(
        [
            HEADER,
            [1, "Việc một", "Phòng Văn hóa - Xã hội", None, None, "=A3*12"],
            [2, "Việc một", "Phòng Văn hóa - Xã hội", None, None, None],
        ]
    )
    preview = read_task_sheet(content, "t.xlsx", commune_plan)
    assert any("Dòng 4" in e and "công thức" in e for e in preview.errors)
    assert any("Dòng 5" in e and "trùng với dòng 4" in e for e in preview.errors)


def test_a_numbers_only_target_column_refuses_words(commune_plan):
    content = xlsx(
        [
            ["STT", "Nội dung nhiệm vụ", "Chủ trì", "Chỉ tiêu"],
            [1, "Phát thanh", "Phòng Văn hóa - Xã hội", "mười hai"],
        ]
    )
    preview = read_task_sheet(content, "t.xlsx", commune_plan)
    assert preview.errors == ['Dòng 4, cột "Chỉ tiêu": "mười hai" không phải là số']


def test_an_issued_plan_is_refused(plans_world):
    content = xlsx([HEADER, [1, "Việc", "UBND các xã, phường", None, None, None]])
    preview = read_task_sheet(content, "t.xlsx", plans_world.province_plan)
    assert any("đã ban hành" in e for e in preview.errors)
    with pytest.raises(services.PlanError):
        apply_task_import(preview, skip_invalid=True)


def test_reading_costs_the_same_queries_for_more_rows(commune_plan, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def sheet(n):
        return xlsx(
            [HEADER]
            + [
                [i, f"Việc {i}", "Phòng Văn hóa - Xã hội", "Văn phòng HĐND và UBND", "Hằng quý", "2 tin"]
                for i in range(n)
            ]
        )

    small, large = sheet(5), sheet(50)
    with CaptureQueriesContext(connection) as few:
        read_task_sheet(small, "t.xlsx", commune_plan)
    with CaptureQueriesContext(connection) as many:
        read_task_sheet(large, "t.xlsx", commune_plan)
    assert len(many) == len(few)


def test_the_export_is_re_importable_and_escapes_formulas(plans_world):
    w = plans_world
    services.add_task(w.plan_a_group, title='=HYPERLINK("http://x")', product="Băng rôn")
    content = export_tasks_xlsx(w.plan_a)
    sheet = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[3]][:3] == ["STT", "Nội dung nhiệm vụ", "Đơn vị/Người chủ trì"]
    titles = [row[1].value for row in sheet.iter_rows(min_row=4)]
    assert '\'=HYPERLINK("http://x")' in titles
    assert sheet["F4"].value.startswith("Chuyên đề phát thanh") or "12" in sheet["F4"].value

    fresh = services.create_plan(w.commune_b, 2026)
    preview = read_task_sheet(content, "export.xlsx", fresh)
    assert preview.is_valid, preview.errors
    apply_task_import(preview)
    original = sorted(
        (t.title, t.group.lead_role_id, [str(x.value) for x in t.targets.all()]) for t in w.plan_a.tasks.all()
    )
    copied = sorted(
        (t.title, t.group.lead_role_id, [str(x.value) for x in t.targets.all()]) for t in fresh.tasks.all()
    )
    assert copied == original


def test_the_import_pages(as_persona, plans_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    w = plans_world
    client = as_persona("leader_a")
    url = reverse("plans:import", args=[w.plan_a.pk])
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile(
        "t.xlsx", xlsx([HEADER, [1, "Tọa đàm CCHC", "Phòng Văn hóa - Xã hội", None, None, "2 buổi"]])
    )
    response = client.post(url, {"action": "preview", "file": upload})
    assert response.status_code == 200 and "1 nhiệm vụ hợp lệ, 0 dòng có lỗi." in response.text
    assert not w.plan_a.tasks.filter(title="Tọa đàm CCHC").exists()
    token = response.context["token"]
    response = client.post(url, {"action": "confirm", "token": token, "suffix": ".xlsx"}, follow=True)
    assert "Đã thêm 1 nhiệm vụ từ tệp." in response.text
    assert w.plan_a.tasks.get(title="Tọa đàm CCHC").targets.get().value == 2
    # The stored upload is gone; a forged or replayed token writes nothing.
    response = client.post(url, {"action": "confirm", "token": token, "suffix": ".xlsx"}, follow=True)
    assert "hết hạn hoặc không hợp lệ" in response.text
    response = client.post(
        url, {"action": "confirm", "token": "../../etc/passwd", "suffix": ".xlsx"}, follow=True
    )
    assert "hết hạn hoặc không hợp lệ" in response.text
    response = client.post(url, {"action": "preview", "file": SimpleUploadedFile("x.pdf", b"%PDF")})
    assert response.status_code == 422 and "Chỉ nhận tệp Excel" in response.text


def test_the_export_download(as_persona, plans_world):
    response = as_persona("officer_a").get(reverse("plans:export", args=[plans_world.plan_a.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="nhiem-vu-ke-hoach-2026-20341.xlsx"'
    )
    assert load_workbook(io.BytesIO(response.content)).active["B4"].value


# --- more shapes, refusals and the round trip ---------------------------------------------------------


def sheet_bytes(rows, merges=()) -> bytes:
    """A workbook with exactly these rows (no title rows added)."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def summary(row):
    """What a row resolved to, compactly."""
    return (
        row.title,
        row.lead_role.code if row.lead_role else row.lead_unit.code if row.lead_unit else row.lead_level,
        [r.code for r in row.co_roles] + [u.code for u in row.co_units],
        row.co_text,
    )


def test_it_reads_title_rows_merged_leads_and_section_rows_of_a_ward_appendix(commune_plan):
    content = sheet_bytes(
        [
            ["ỦY BAN NHÂN DÂN PHƯỜNG TAM KỲ"],
            ["PHỤ LỤC: NHIỆM VỤ TUYÊN TRUYỀN CCHC NĂM 2026"],
            [
                "TT",
                "Nội dung công việc",
                "Đơn vị chủ trì",
                "Cơ quan phối hợp",
                "Tiến độ",
                "Kết quả",
                "Ghi chú",
            ],
            ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
            ["A. NHIỆM VỤ THƯỜNG XUYÊN"],
            [
                1,
                "- Phát thanh chuyên mục CCHC",
                "Phòng Văn hóa – Xã hội",
                "Tổ CNSCĐ, Văn phòng HĐND và UBND và Hội Phụ nữ",
                "Thường xuyên",
                "12 chuyên đề phát thanh/năm",
            ],
            [2, "Đưa tin lên trang Zalo của phường", None, None, "Hằng tháng", "04 số bản tin/tháng"],
            [3, "Cập nhật bảng thông tin điện tử", None, "Các đoàn thể", "Hàng quý", None],
            [None, None, None, None, None, None, "người lập: Lan"],
            [4],  # a numbered template line nobody filled in
            ["II", "NIÊM YẾT, CÔNG KHAI", None, None, None, None],
            [
                5,
                "Niêm yết công khai TTHC",
                "Trung tâm Phục vụ HCC",
                None,
                datetime.datetime(2026, 3, 31),
                "100% TTHC được niêm yết công khai",
            ],
        ],
        merges=["A1:G1", "A2:G2", "A5:G5", "C6:C8"],
    )
    preview = read_task_sheet(content, "phu-luc.xlsx", commune_plan)
    assert preview.is_valid, preview.errors
    assert preview.header_row == 3
    assert [r.row for r in preview.rows] == [6, 7, 8, 12]
    assert [summary(r) for r in preview.rows] == [
        (
            "Phát thanh chuyên mục CCHC",  # the bullet is not part of the title
            "phong-van-hoa-xa-hoi",
            ["to-cong-nghe-so", "van-phong-hdnd-ubnd"],  # "và" inside a role's name is kept
            "Hội Phụ nữ",
        ),
        ("Đưa tin lên trang Zalo của phường", "phong-van-hoa-xa-hoi", [], ""),
        ("Cập nhật bảng thông tin điện tử", "phong-van-hoa-xa-hoi", [], "Các đoàn thể"),
        ("Niêm yết công khai TTHC", "trung-tam-phuc-vu-hcc", [], ""),
    ]
    assert [r.section_heading for r in preview.rows] == ["A. NHIỆM VỤ THƯỜNG XUYÊN"] * 3 + [
        "II. NIÊM YẾT, CÔNG KHAI"
    ]
    assert [r.frequency for r in preview.rows] == [
        Frequency.CONTINUOUS,
        Frequency.MONTHLY,
        Frequency.QUARTERLY,
        Frequency.ONCE,
    ]
    last = preview.rows[-1]
    assert (last.timing_note, last.deadline) == ("31/03/2026", datetime.date(2026, 3, 31))
    assert [(t.value, t.unit_of_measure, t.aggregation) for t in last.targets] == [(100, "%", "share")]


def test_a_section_row_that_names_a_role_leads_the_tasks_under_it(commune_plan):
    content = sheet_bytes(
        [
            ["STT", "Nội dung nhiệm vụ", "Chủ trì", "Thời gian"],
            ["I. Trung tâm Phục vụ hành chính công"],
            [1, "Niêm yết TTHC", None, "Quý I/2026"],
            [2, "Khảo sát sự hài lòng", "Phòng VHXH", "Quý III/2026"],
            ["II. NHIỆM VỤ KHÁC"],
            [3, "Việc chưa giao", None, None],
        ]
    )
    preview = read_task_sheet(content, "t.xlsx", commune_plan)
    first, second, _third = preview.rows
    assert (first.lead_role.code, first.lead_label) == (
        "trung-tam-phuc-vu-hcc",
        "I. Trung tâm Phục vụ hành chính công",
    )
    assert first.timing_note == "Quý I/2026" and first.deadline is None
    assert second.lead_role.code == "phong-van-hoa-xa-hoi"  # its own lead wins
    assert preview.errors == ['Dòng 6, cột "Chủ trì": chưa có đơn vị/người chủ trì']


def test_a_task_cell_merged_over_several_rows_is_one_task_with_every_product(commune_plan):
    content = sheet_bytes(
        [
            ["STT", "Nội dung nhiệm vụ", "Chủ trì", "Sản phẩm"],
            [1, "Tuyên truyền trực quan", "Phòng Văn hóa - Xã hội", "02 băng rôn"],
            [None, None, None, "Pano tại trụ sở"],
            [None, None, None, "500 tờ rơi"],
        ],
        merges=["A2:A4", "B2:B4", "C2:C4"],
    )
    [row] = read_task_sheet(content, "t.xlsx", commune_plan).rows
    assert row.errors == []
    assert [(t.value, t.unit_of_measure) for t in row.targets] == [(2, "băng rôn"), (500, "tờ rơi")]
    assert row.product == "Pano tại trụ sở"


def test_csv_with_bom_semicolons_and_a_multi_line_cell(commune_plan):
    content = (
        "\ufeffSTT;Nội dung nhiệm vụ;Đơn vị/Người chủ trì;Phối hợp;Thời gian thực hiện;Sản phẩm/Chỉ tiêu\r\n"
        '1;Xây dựng chuyên mục;Phòng VHXH;"Tổ công nghệ số\nĐoàn Thanh niên";Hằng tháng;"12,5 giờ phát sóng\n1.200 lượt người"\r\n'
        "2;Cập nhật cổng thông tin;Văn phòng HĐND-UBND;;30/6/2026;Chuyên mục CCHC\r\n"
    ).encode()
    preview = read_task_sheet(content, "nhiem-vu.csv", commune_plan)
    assert preview.is_valid, preview.errors
    first, second = preview.rows
    assert summary(first) == (
        "Xây dựng chuyên mục",
        "phong-van-hoa-xa-hoi",
        ["to-cong-nghe-so"],
        "Đoàn Thanh niên",
    )
    assert [(t.value, t.unit_of_measure) for t in first.targets] == [
        (Decimal("12.5"), "giờ"),
        (Decimal(1200), "lượt người"),
    ]
    assert (second.lead_role.code, second.deadline, second.product) == (
        "van-phong-hdnd-ubnd",
        datetime.date(2026, 6, 30),
        "Chuyên mục CCHC",
    )


@pytest.mark.parametrize(
    ("cell", "targets", "product"),
    [
        ("12 chuyên đề phát thanh/năm", [("12 chuyên đề phát thanh/năm", "chuyên đề", Decimal(12))], ""),
        ("100% TTHC được niêm yết công khai", [("100% TTHC được niêm yết công khai", "%", Decimal(100))], ""),
        ("04 số bản tin/tháng", [("04 số bản tin/tháng", "số bản", Decimal(4))], ""),
        ("12,5", [("Phát thanh", "", Decimal("12.5"))], ""),  # a bare number is named after the task
        ("abc chuyên đề", [], "abc chuyên đề"),  # meant a number, is not one: product text, no error
        (
            "- 02 buổi tuyên truyền\n- Báo cáo kết quả",
            [("02 buổi tuyên truyền", "buổi", Decimal(2))],
            "Báo cáo kết quả",
        ),
        # A point before one or two final digits is no thousands group: typed on an English
        # keyboard, read as the forms read it (formatting.parse_number).
        ("12.5 tin", [("12.5 tin", "tin", Decimal("12.5"))], ""),
    ],
)
def test_it_splits_products_and_targets(commune_plan, cell, targets, product):
    content = sheet_bytes(
        [["Nội dung nhiệm vụ", "Chủ trì", "Sản phẩm/Chỉ tiêu"], ["Phát thanh", "Phòng VHXH", cell]]
    )
    [row] = read_task_sheet(content, "t.xlsx", commune_plan).rows
    assert row.errors == []
    assert [(t.name, t.unit_of_measure, t.value) for t in row.targets] == targets
    assert row.product == product


def test_numbers_in_excel_cells_are_targets_too(commune_plan):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nội dung nhiệm vụ", "Chủ trì", "Chỉ tiêu"])
    sheet.append(["Phát thanh", "Phòng VHXH", 12])
    sheet.append(["Niêm yết", "Phòng VHXH", 1])
    sheet["C3"].number_format = "0%"  # shows 100%
    sheet.append(["Số liệu", "Phòng VHXH", 12.345])
    out = io.BytesIO()
    workbook.save(out)
    preview = read_task_sheet(out.getvalue(), "t.xlsx", commune_plan)
    twelve, percent, too_precise = preview.rows
    assert [(t.value, t.unit_of_measure) for t in twelve.targets] == [(12, "")]
    assert [(t.value, t.unit_of_measure, t.aggregation) for t in percent.targets] == [(100, "%", "share")]
    assert too_precise.errors == ['Dòng 4, cột "Chỉ tiêu": "12,345": chỉ được 2 chữ số sau dấu phẩy']


def test_skip_invalid_writes_only_the_valid_rows_and_a_failure_writes_nothing(commune_plan, monkeypatch):
    content = sheet_bytes(
        [
            ["Nội dung nhiệm vụ", "Chủ trì", "Sản phẩm"],
            ["Việc một", "Phòng VHXH", "1 tin"],
            ["Việc hai", "Phòng ABC", None],
            ["Việc ba", "Trung tâm HCC", "2 bài; 3 tin"],
        ]
    )
    preview = read_task_sheet(content, "t.xlsx", commune_plan)
    assert [r.row for r in preview.valid_rows] == [2, 4] and [r.row for r in preview.invalid_rows] == [3]
    groups_before = commune_plan.groups.count()

    from plans import spreadsheets

    calls = []

    def failing_add_target(task, **values):
        calls.append(values)
        if len(calls) == 3:
            raise RuntimeError("mất kết nối cơ sở dữ liệu")
        return services.add_target(task, **values)

    monkeypatch.setattr(spreadsheets, "add_target", failing_add_target)
    with pytest.raises(RuntimeError):
        apply_task_import(preview, skip_invalid=True)
    assert not commune_plan.tasks.exists() and commune_plan.groups.count() == groups_before
    monkeypatch.undo()

    assert apply_task_import(preview, skip_invalid=True) == 2
    assert sorted(commune_plan.tasks.values_list("title", "group__lead_role__code")) == [
        ("Việc ba", "trung-tam-phuc-vu-hcc"),
        ("Việc một", "phong-van-hoa-xa-hoi"),
    ]
    assert commune_plan.tasks.get(title="Việc ba").targets.count() == 2


def test_tasks_already_in_the_plan_are_not_imported_twice(commune_plan):
    content = sheet_bytes([["Nội dung nhiệm vụ", "Chủ trì"], ["Việc một", "Phòng VHXH"]])
    first = read_task_sheet(content, "t.xlsx", commune_plan)
    second = read_task_sheet(content, "t.xlsx", commune_plan)  # e.g. the confirm button pressed twice
    assert apply_task_import(first) == 1
    with pytest.raises(services.PlanError, match="có thể tệp đã được nhập"):
        apply_task_import(second)
    assert commune_plan.tasks.count() == 1
    again = read_task_sheet(content, "t.xlsx", commune_plan)
    assert again.errors == ['Dòng 2, cột "Nội dung nhiệm vụ": kế hoạch đã có nhiệm vụ này']


def test_a_plan_sent_for_approval_is_refused_even_after_the_preview(commune_plan):
    from plans.models import Status

    content = sheet_bytes([["Nội dung nhiệm vụ", "Chủ trì"], ["Việc một", "Phòng VHXH"]])
    preview = read_task_sheet(content, "t.xlsx", commune_plan)
    assert preview.is_valid
    type(commune_plan).objects.filter(pk=commune_plan.pk).update(status=Status.SUBMITTED)
    with pytest.raises(services.PlanError, match="chỉ sửa được khi còn là dự thảo"):
        apply_task_import(preview)
    assert not commune_plan.tasks.exists()
    commune_plan.refresh_from_db()
    later = read_task_sheet(content, "t.xlsx", commune_plan)
    assert later.errors[0].startswith("Kế hoạch đang ở trạng thái “Chờ phê duyệt”")
    assert later.valid_rows and not later.is_valid


def test_roles_are_those_of_the_unit_kind_and_the_plan_year(world):
    content = "Nội dung nhiệm vụ,Chủ trì\nViệc một,Công chức VHXH\nViệc hai,Phòng Văn hóa - Xã hội\n".encode()
    plan_2026 = services.create_plan(world.commune_a, 2026)
    preview = read_task_sheet(content, "t.csv", plan_2026)
    assert preview.errors == [
        'Dòng 2, cột "Chủ trì": vai trò "Công chức Văn hóa - Xã hội" không áp dụng trong năm 2026'
    ]
    plan_2024 = services.create_plan(world.commune_a, 2024)  # before the 1 July 2025 reform
    first, second = read_task_sheet(content, "t.csv", plan_2024).rows
    assert first.lead_role.code == "cc-van-hoa-xa-hoi" and second.errors
    agency_plan = services.create_plan(world.snv, 2026)  # commune roles mean nothing in a Sở
    preview = read_task_sheet(content, "t.csv", agency_plan)
    assert len(preview.invalid_rows) == 2 and "không tìm thấy vai trò" in preview.errors[1]


def test_a_province_plan_reads_unit_names_the_way_plans_write_them(city_plan, world):
    content = sheet_bytes(
        [
            ["STT", "Nội dung", "Cơ quan chủ trì", "Đơn vị phối hợp"],
            [1, "Việc 1", "UBND phường Tam Kỳ", "Sở Nội vụ, UBND các xã, phường, Công an thành phố"],
            [2, "Việc 2", "Sở Nội vụ (cơ quan thường trực)", "UBND phường Tam Kỳ và Phường Bàn Thạch"],
            [3, "Việc 3", "Các sở, ban, ngành", None],
            [4, "Việc 4", "UBND các xã, phường trên địa bàn thành phố", None],
            [5, "Việc 5", "Phường Bàn Thạch, Sở Nội vụ", None],
            [6, "Việc 6", "UBND các huyện, thị xã, thành phố", None],
            [7, "Việc 7", "Phòng Văn hóa - Xã hội", None],
        ]
    )
    preview = read_task_sheet(content, "t.xlsx", city_plan)
    assert [summary(r) for r in preview.rows[:5]] == [
        ("Việc 1", "20341", ["48-SNV"], "UBND các xã, phường, Công an thành phố"),
        ("Việc 2", "48-SNV", ["20341", "20335"], ""),
        ("Việc 3", Level.AGENCY, [], ""),
        ("Việc 4", Level.COMMUNE, [], ""),
        ("Việc 5", "20335", ["48-SNV"], ""),  # one lead; the others take part
    ]
    assert preview.errors == [
        'Dòng 7, cột "Cơ quan chủ trì": Thành phố Đà Nẵng không có đơn vị cấp huyện trong năm 2026',
        'Dòng 8, cột "Cơ quan chủ trì": không tìm thấy vai trò hoặc đơn vị "Phòng Văn hóa - Xã hội" trong danh mục của đơn vị',
    ]
    apply_task_import(preview, skip_invalid=True)
    assert sorted((g.heading, g.lead_level) for g in city_plan.groups.all()) == [
        ("Các sở, ban, ngành", Level.AGENCY),
        ("Phường Bàn Thạch", ""),
        ("Phường Tam Kỳ", ""),
        ("Sở Nội vụ", ""),
        ("UBND các xã, phường, đặc khu", Level.COMMUNE),
    ]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le"),
            "t.xlsx",
            "bảo vệ bằng mật khẩu",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ke-hoach.xls", "lưu lại dưới dạng .xlsx"),
        (b"PK\x05\x06" + b"\0" * 18, "t.xlsx", "Không đọc được tệp Excel"),  # an empty zip
        ("Nội dung,Đơn vị chủ trì\n".encode("cp1258", "replace"), "t.csv", "UTF-8"),  # Windows Vietnamese
        (b"   \n", "t.csv", "không có dữ liệu"),
    ],
)
def test_more_unreadable_files(commune_plan, content, name, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_task_sheet(content, name, commune_plan)


def test_an_oversized_file_names_both_sizes_and_a_zip_bomb_is_refused(commune_plan, monkeypatch):
    with pytest.raises(SpreadsheetError) as refused:
        read_task_sheet(b"x" * (6 * 1024 * 1024), "t.csv", commune_plan)
    assert str(refused.value) == "Tệp quá lớn (6 MB); giới hạn là 5 MB."
    monkeypatch.setattr("cchc_portal.lib.spreadsheets.MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(SpreadsheetError, match="khi giải nén quá lớn"):
        read_task_sheet(
            sheet_bytes([["Nội dung", "Chủ trì"], ["Việc", "Phòng VHXH"]]), "t.xlsx", commune_plan
        )


def test_a_file_with_a_header_but_no_tasks(commune_plan):
    preview = read_task_sheet("Nội dung nhiệm vụ,Chủ trì\n,\n".encode(), "t.csv", commune_plan)
    assert preview.errors == ["Không có nhiệm vụ nào dưới dòng tiêu đề (dòng 1)."]
    assert apply_task_import(preview, skip_invalid=True) == 0


def _with_cached_values(content: bytes, values: dict[str, str]) -> bytes:
    """Give formula cells the value Excel would have saved with them (openpyxl saves none)."""
    import re
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                for ref, value in values.items():
                    xml = re.sub(
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?',
                        rf'<c r="{ref}"\1 t="str"><f>\2</f><v>{value}</v>',
                        xml,
                    )
                data = xml.encode()
            target.writestr(item, data)
    return out.getvalue()


def test_formulas_are_read_from_their_saved_values_and_refused_without_one(commune_plan):
    rows = [
        ["STT", "Nội dung nhiệm vụ", "Chủ trì", "Sản phẩm"],
        ["=ROW()-1", "Việc một", "Phòng VHXH", '=IF(1=1,"","2 tin")'],
        ["=ROW()-1", "Việc hai", "Phòng VHXH", "=3*4"],
    ]
    uncalculated = read_task_sheet(sheet_bytes(rows), "t.xlsx", commune_plan)
    assert uncalculated.errors == [
        'Dòng 2, cột "Sản phẩm": ô D2 có công thức (=IF(1=1,"","2 tin")) nhưng tệp không lưu kết quả; '
        "hãy mở tệp bằng Excel rồi lưu lại, hoặc dán giá trị (Dán đặc biệt → Giá trị).",
        'Dòng 3, cột "Sản phẩm": ô D3 có công thức (=3*4) nhưng tệp không lưu kết quả; '
        "hãy mở tệp bằng Excel rồi lưu lại, hoặc dán giá trị (Dán đặc biệt → Giá trị).",
    ]
    # Saved by Excel: every formula has its value; an empty result is saved as an empty text.
    calculated = _with_cached_values(sheet_bytes(rows), {"A2": "1", "A3": "2", "D2": "", "D3": "12 tin"})
    preview = read_task_sheet(calculated, "t.xlsx", commune_plan)
    assert preview.is_valid, preview.errors
    assert [[t.value for t in r.targets] for r in preview.rows] == [[], [12]]


def test_text_that_looks_like_a_formula(commune_plan):
    content = "Nội dung nhiệm vụ,Chủ trì\n=HYPERLINK(1),Phòng VHXH\n'=1+1 là phép tính,Phòng VHXH\n".encode()
    first, second = read_task_sheet(content, "t.csv", commune_plan).rows
    assert first.errors == [
        'Dòng 2, cột "Nội dung nhiệm vụ": ô A2 bắt đầu bằng dấu = như một công thức (=HYPERLINK(1)); '
        "hãy dán giá trị, hoặc thêm dấu ' ở đầu nếu đó là chữ."
    ]
    assert (second.title, second.errors) == ("=1+1 là phép tính", [])


def test_row_errors_name_the_row_and_the_column_as_written(commune_plan):
    content = sheet_bytes(
        [
            ["Số TT", "Nhiệm vụ", "Người thực hiện", "Thời hạn", "Chỉ tiêu"],
            [1, "Việc một", None, "31/2/2026", "mười hai"],
            [2, "việc MỘT", "Phòng VHXH", None, "12"],
            [3, None, "Phòng VHXH", None, None],
        ]
    )
    assert read_task_sheet(content, "t.xlsx", commune_plan).errors == [
        'Dòng 2, cột "Người thực hiện": chưa có đơn vị/người chủ trì',
        'Dòng 2, cột "Thời hạn": ngày "31/2/2026" không có thật',
        'Dòng 2, cột "Chỉ tiêu": "mười hai" không phải là số',
        'Dòng 3, cột "Nhiệm vụ": trùng với dòng 2',
        'Dòng 4, cột "Nhiệm vụ": chưa có nội dung nhiệm vụ',
    ]


@pytest.mark.parametrize("make_plan", ["commune", "city"])
def test_reading_takes_a_fixed_number_of_queries(world, make_plan, django_assert_max_num_queries):
    plan = services.create_plan(world.commune_a if make_plan == "commune" else world.danang, 2026)
    lead, partner = (
        ("Phòng VHXH", "Tổ CNSCĐ và Đoàn thanh niên")
        if make_plan == "commune"
        else (
            "Sở Nội vụ",
            "UBND phường Tam Kỳ, các xã, phường",
        )
    )

    def table(n):
        return sheet_bytes(
            [["STT", "Nội dung nhiệm vụ", "Chủ trì", "Phối hợp", "Sản phẩm"]]
            + [[i, f"Việc {i}", lead, partner, "2 tin; 1 bài"] for i in range(1, n + 1)]
        )

    small, large = table(5), table(50)
    plan = type(plan).objects.get(pk=plan.pk)  # nothing cached on the instance
    with django_assert_max_num_queries(4):  # the plan's unit and kind, roles or units, the plan's tasks
        assert len(read_task_sheet(small, "t.xlsx", plan).valid_rows) == 5
    plan = type(plan).objects.get(pk=plan.pk)
    with django_assert_max_num_queries(4):
        assert len(read_task_sheet(large, "t.xlsx", plan).valid_rows) == 50


def test_the_export_layout(city_plan, world):
    import_content = sheet_bytes(
        [
            ["Nội dung nhiệm vụ", "Chủ trì", "Phối hợp", "Thời gian thực hiện", "Sản phẩm/Chỉ tiêu"],
            ["Hướng dẫn các xã", "Sở Nội vụ", None, "Quý I/2026", "Văn bản hướng dẫn"],
            [
                "Xây dựng chuyên mục",
                "UBND các xã, phường",
                "Sở Nội vụ",
                "Thường xuyên",
                "12 chuyên đề phát thanh/năm",
            ],
            ["+ Tập huấn", "Sở Nội vụ", None, None, None],
        ]
    )
    apply_task_import(read_task_sheet(import_content, "t.xlsx", city_plan))
    sheet = load_workbook(io.BytesIO(export_tasks_xlsx(city_plan))).active
    assert sheet["A1"].value == "BẢNG NHIỆM VỤ — Kế hoạch tuyên truyền công tác cải cách hành chính năm 2026"
    assert "A1:H1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A2"].value == "Thành phố Đà Nẵng"
    assert [c.value for c in sheet[3]] == [
        "STT",
        "Nội dung nhiệm vụ",
        "Đơn vị/Người chủ trì",
        "Phối hợp",
        "Thời gian thực hiện",
        "Sản phẩm/Chỉ tiêu",
        "Lĩnh vực",
        "Hình thức",
    ]
    assert sheet.freeze_panes == "A4"
    assert sheet["B4"].alignment.wrap_text and sheet.column_dimensions["B"].width >= 50
    rows = [[c.value for c in row[:6]] for row in sheet.iter_rows(min_row=4)]
    assert rows == [  # groups in order (Sở Nội vụ first), STT 1..n across groups
        [1, "Hướng dẫn các xã", "Sở Nội vụ", None, "Quý I/2026", "Văn bản hướng dẫn"],
        [2, "Tập huấn", "Sở Nội vụ", None, None, None],  # the "+ " was a bullet
        [
            3,
            "Xây dựng chuyên mục",
            "UBND các xã, phường, đặc khu",
            "Sở Nội vụ",
            "Thường xuyên",
            "12 chuyên đề phát thanh/năm",
        ],
    ]


def task_snapshot(plan):
    return [
        (
            t.group.lead_role_id,
            t.group.lead_unit_id,
            t.group.lead_level,
            t.title,
            sorted(r.pk for r in t.co_roles.all()),
            sorted(u.pk for u in t.co_units.all()),
            t.co_text,
            t.timing_note,
            t.frequency,
            t.deadline,
            t.product,
            [(x.name, x.unit_of_measure, x.value, x.aggregation) for x in t.targets.all()],
        )
        for t in plan.tasks.order_by("group__position", "position")
    ]


@pytest.mark.parametrize("unit", ["commune_a", "danang"])
def test_an_export_imports_back_into_an_empty_plan_as_the_same_tasks(world, unit):
    commune = unit == "commune_a"
    rows = [
        [
            "STT",
            "Nội dung nhiệm vụ",
            "Đơn vị/Người chủ trì",
            "Phối hợp",
            "Thời gian thực hiện",
            "Sản phẩm/Chỉ tiêu",
        ],
        [
            1,
            '\'=HYPERLINK("http://x") trong tiêu đề',  # typed as text, apostrophe first
            "Phòng VHXH" if commune else "Sở Nội vụ",
            None,
            "Hằng quý",
            None,
        ],
        [
            2,
            "Xây dựng chuyên mục CCHC",
            "Trung tâm Phục vụ HCC" if commune else "UBND các xã, phường",
            "Phòng VHXH, Các đoàn thể và Ủy ban MTTQ" if commune else "Sở Nội vụ, Công an thành phố",
            "Trước ngày 30/6/2026",
            "12 chuyên đề phát thanh/năm; 100% TTHC được niêm yết; 1.200 lượt người; Bảng tin",
        ],
        [
            3,
            "-1 là số âm",
            "Văn phòng HĐND và UBND" if commune else "Phường Bàn Thạch",
            None,
            "Thường xuyên",
            "12,5 giờ",
        ],
    ]
    original = services.create_plan(getattr(world, unit), 2026)
    apply_task_import(read_task_sheet(sheet_bytes(rows), "t.xlsx", original))
    exported = export_tasks_xlsx(original)

    sheet = load_workbook(io.BytesIO(exported)).active
    assert sheet["B4"].value == '\'=HYPERLINK("http://x") trong tiêu đề' and sheet["B4"].data_type == "s"
    assert sheet["B6"].value == "'-1 là số âm"

    empty = services.create_plan(getattr(world, unit), 2027)
    preview = read_task_sheet(exported, "xuat.xlsx", empty)
    assert preview.is_valid, preview.errors
    assert apply_task_import(preview) == 3
    assert task_snapshot(empty) == task_snapshot(original)
    assert load_workbook(io.BytesIO(export_tasks_xlsx(empty))).active["F5"].value == sheet["F5"].value


def test_export_writes_targets_the_way_plans_do(plans_world):
    """A target typed in the editor ("Chuyên đề phát thanh", 12 chuyên đề) reads "12 chuyên đề phát thanh"."""
    w = plans_world
    task = w.plan_a_task
    services.add_target(task, name="TTHC được niêm yết", unit_of_measure="%", value=100)
    services.add_target(task, name="Lượt truy cập", unit_of_measure="lượt", value=Decimal("1200.5"))
    sheet = load_workbook(io.BytesIO(export_tasks_xlsx(w.plan_a))).active
    assert sheet["F4"].value == "12 chuyên đề phát thanh; 100% TTHC được niêm yết; 1.200,5 lượt truy cập"


def test_the_importing_user_is_in_the_history(commune_plan, world):
    from units.models import Role

    earlier = services.group_for_role(commune_plan, Role.objects.get(code="trung-tam-phuc-vu-hcc"))
    content = sheet_bytes(
        [
            ["Nội dung nhiệm vụ", "Chủ trì", "Sản phẩm"],
            ["Việc một", "Phòng VHXH", "2 tin"],
            ["Việc hai", "Trung tâm HCC", None],
        ]
    )
    apply_task_import(read_task_sheet(content, "t.xlsx", commune_plan), by=world.leader_a)
    task = commune_plan.tasks.get(title="Việc một")
    record = task.history.get()
    assert (record.history_user, record.history_change_reason) == (world.leader_a, "Nhập nhiệm vụ từ tệp")
    assert task.targets.get().history.get().history_user == world.leader_a
    assert task.group.history.get().history_user == world.leader_a
    assert earlier.history.get().history_user is None  # a group made before the import keeps its record
