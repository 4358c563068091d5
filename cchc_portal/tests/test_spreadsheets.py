"""The spreadsheet core (cchc_portal.lib.spreadsheets) and the two readers built on it: file kinds
and their refusals, the size limits, merged cells, the header row, CSV encodings and delimiters,
cell text, and the one formula policy. Every file is built here with openpyxl or as bytes."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from cchc_portal.lib import spreadsheets
from cchc_portal.lib.spreadsheets import (
    HeaderSpec,
    Merge,
    SpreadsheetError,
    cell_text,
    check_size,
    file_kind,
    number_text,
    read_table,
)
from cchc_portal.lib.vietnamese import clean_spaces
from plans import services as plan_services
from plans.spreadsheets import read_task_sheet
from procedures.reading import read_procedures

FIELDS = {"ma": "code", "ten": "name", "ngay": "day", "ghi chu": "note"}
SPEC = HeaderSpec(
    match=lambda text: (FIELDS[key], 0) if (key := clean_spaces(text).lower()) in FIELDS else None,
    required={"code", "name"},
    describe="cột Ma và Ten",
)
VIETNAMESE = re.compile("[ăâđêôơưạảãàáắằẳẵặấầẩẫậẹẻẽèéếềểễệịỉĩìíọỏõòóốồổỗộớờởỡợụủũùúứừửữựỳýỵỷỹ]")


def xlsx(rows: list[list], merges: tuple[str, ...] = (), title: str = "Trang 1") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def saved_by_excel(content: bytes, values: dict[str, tuple[str, str]]) -> bytes:
    """The file as Excel saves it: formula cells (openpyxl writes <f>…</f><v></v>) get the value
    calculated for them, {"B2": ("str", "text"), "C2": ("n", "12"), "D2": ("str", "")}."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                for ref, (kind, value) in values.items():
                    xml, found = re.subn(
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?',
                        rf'<c r="{ref}"\1 t="{kind}"><f>\2</f><v>{value}</v>',
                        xml,
                    )
                    assert found == 1, ref
                data = xml.encode()
            target.writestr(item, data)
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


# --- file kinds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (xlsx([["Ma", "Ten"]]), "xlsx"),
        ("Ma,Ten\n1,Một\n".encode(), "csv"),
        (codecs.BOM_UTF8 + b"Ma;Ten\n", "csv"),
        (codecs.BOM_UTF16_LE + "Ma\tTen\n".encode("utf-16-le"), "csv"),
        (codecs.BOM_UTF16_BE + "Ma\tTen\n".encode("utf-16-be"), "csv"),
    ],
)
def test_the_kind_comes_from_the_bytes_not_the_name(content, kind):
    assert file_kind(content, "ten-bat-ky.xls") == kind


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (OLE + b"Workbook".ljust(64, b"\x00"), "Tệp Excel 97-2003 (.xls) chưa được hỗ trợ"),
        (OLE + "EncryptedPackage".encode("utf-16-le"), "Tệp Excel được bảo vệ bằng mật khẩu"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 200 + b"EncryptedPackage", "Tệp Excel được bảo vệ bằng mật khẩu"),
        (
            b"%PDF-1.7\n1 0 obj",
            "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv); tệp “a.bin” không phải bảng tính",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "Tệp là trang HTML/XML"),
        (codecs.BOM_UTF8 + b"\r\n<!DOCTYPE html><html></html>", "Tệp là trang HTML/XML"),
        (b"", "Tệp rỗng, không có dữ liệu."),
        (b" \r\n", "Tệp rỗng, không có dữ liệu."),
    ],
)
def test_what_is_not_read_is_refused_by_its_kind(content, message):
    with pytest.raises(SpreadsheetError) as refused:
        read_table(content, "a.bin", SPEC)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not a zip at all", "Không đọc được tệp Excel: tệp bị hỏng"),
        (
            zipped({"word/document.xml": b"<w/>"}),
            "Không đọc được tệp Excel: tệp nén này không phải bảng tính",
        ),
        (
            zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
            "Tệp OpenDocument (.ods) chưa được hỗ trợ",
        ),
        (zipped({"xl/workbook.xml": b"<workbook/>"}), "Không đọc được tệp Excel: tệp bị hỏng"),
        (xlsx([]), "Tệp không có dữ liệu."),
        (xlsx([["Danh sách"], ["Số", "Nội dung"]]), "Không tìm thấy dòng tiêu đề có cột Ma và Ten"),
        ("Số,Nội dung\n1,Một\n".encode(), "Không tìm thấy dòng tiêu đề có cột Ma và Ten trong 15 dòng đầu."),
        (b",,\n;;\n", "Tệp không có dữ liệu."),
    ],
)
def test_unreadable_workbooks_and_tables_are_refused(content, message):
    with pytest.raises(SpreadsheetError) as refused:
        read_table(content, "a.xlsx", SPEC)
    assert str(refused.value).startswith(message)


def test_every_refusal_is_vietnamese_and_goes_through_gettext(monkeypatch):
    contents = [
        OLE,
        OLE + b"EncryptedPackage",
        b"%PDF-1.7",
        b"<html></html>",
        b"",
        b"PK\x03\x04 not a zip",
        zipped({"a.txt": b"a"}),
        xlsx([]),
        xlsx([["Số"]]),
        "Mã,Tên\n".encode("cp1258", "replace") + b"\xe9\xff",
        b"x" * 20_000,
    ]
    messages = []
    for content in contents:
        with pytest.raises(SpreadsheetError) as refused:
            read_table(content, "a.csv", SPEC, max_bytes=10_000)
        messages.append(str(refused.value))
    assert all(VIETNAMESE.search(message) for message in messages), messages
    # The same refusals again with gettext marking what it translates: every message went through it.
    monkeypatch.setattr(spreadsheets, "_", lambda text: f"«{text}»")
    for content, message in zip(contents, messages, strict=True):
        with pytest.raises(SpreadsheetError) as refused:
            read_table(content, "a.csv", SPEC, max_bytes=10_000)
        assert (
            str(refused.value).startswith("«")
            and str(refused.value).replace("«", "").replace("»", "") == message
        )


# --- limits --------------------------------------------------------------------------------------


def test_the_size_limit_names_both_sizes():
    check_size(1000, 1000)
    check_size(10**9, None)
    with pytest.raises(SpreadsheetError) as refused:
        check_size(6 * 1024 * 1024, 5 * 1024 * 1024)
    assert str(refused.value) == "Tệp quá lớn (6 MB); giới hạn là 5 MB."
    with pytest.raises(SpreadsheetError, match=r"^Tệp quá lớn \(1,5 MB\); giới hạn là 1 MB\.$"):
        read_table(b"x" * (1536 * 1024), "a.csv", SPEC, max_bytes=1024 * 1024)


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(monkeypatch):
    bomb = zipped({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b" " * (3 * 1024 * 1024)})
    assert len(bomb) < 50_000

    def never(*args, **kwargs):
        raise AssertionError("openpyxl opened the file")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", 1024 * 1024)
    with pytest.raises(SpreadsheetError) as refused:
        read_table(bomb, "bom.xlsx", SPEC)
    assert str(refused.value) == "Tệp Excel khi giải nén quá lớn (3 MB); giới hạn là 1 MB."


def test_sheets_are_streamed_read_only(monkeypatch):
    calls = []
    load = openpyxl.load_workbook

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return load(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    read_table(xlsx([["Ma", "Ten"], ["1", "Một"]]), "a.xlsx", SPEC)
    assert calls == [{"read_only": True, "data_only": False}]  # no formulas: no second reading


# --- the grid ------------------------------------------------------------------------------------


def test_merged_ranges_repeat_their_value_down_not_across():
    content = xlsx(
        [
            ["DANH SÁCH"],  # 1, merged across
            ["Ma", "Ten", "Ghi chu"],  # 2
            ["1", "Một", "chung"],  # 3: "chung" merged down over 3 rows
            ["2", "Hai"],  # 4
            ["3", "Ba"],  # 5
            ["4", "Bốn", None],  # 6
        ],
        merges=("A1:C1", "C3:C5"),
    )
    table = read_table(content, "a.xlsx", SPEC)
    assert table.header.row == 2
    assert set(table.grid.merges) == {Merge(1, 1, 1, 3), Merge(3, 3, 5, 3)}
    assert table.grid.fill_down() == {4: {3: "chung"}, 5: {3: "chung"}}
    assert table.grid.fill_down(from_row=4) == {}
    assert table.grid.cells[1] == {1: "DANH SÁCH"}  # a title merged across keeps its first column only


def test_merged_ranges_are_read_with_a_namespace_prefix_and_across_chunks():
    padding = b" " * ((1 << 20) - 10)  # the element straddles the scanner's 1 MB chunks
    sheet = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + padding
        + b'<x:mergeCells count="2"><x:mergeCell ref="B2:B5"/><mergeCell  ref=\'$C$1:$E$1\' /></x:mergeCells>'
        + b"</x:worksheet>"
    )
    content = zipped({"xl/worksheets/sheet1.xml": sheet})
    assert spreadsheets._merged_ranges(content, "xl/worksheets/sheet1.xml") == [
        Merge(2, 2, 5, 2),
        Merge(1, 3, 1, 5),
    ]


def test_the_header_is_found_below_title_rows_and_only_in_the_first_rows():
    rows = [["ỦY BAN NHÂN DÂN"], ["DANH MỤC"], [], ["STT", "Ma", "Ten", "Ma"], ["1", "A1", "Một", "B1"]]
    table = read_table(xlsx(rows), "a.xlsx", SPEC)
    assert (table.header.row, table.header.columns, table.header.labels) == (
        4,
        {"code": 2, "name": 3},  # the first of two columns for one field
        {"code": "Ma", "name": "Ten"},
    )
    assert table.grid.cells[5] == {1: "1", 2: "A1", 3: "Một", 4: "B1"}
    deep = [[f"Dòng {i}"] for i in range(15)] + [["Ma", "Ten"], ["A1", "Một"]]
    with pytest.raises(SpreadsheetError, match=r"trong 15 dòng đầu \(đã xem các trang “Trang 1”\)\.$"):
        read_table(xlsx(deep), "a.xlsx", SPEC)


def test_visible_sheets_come_first_and_later_tables_are_named():
    book = openpyxl.Workbook()
    book.active.title = "Cũ"
    book.active.append(["Ma", "Ten"])
    book.active.append(["old", "Cũ"])
    book.active.sheet_state = "hidden"
    for name in ("Danh mục", "Thêm"):
        sheet = book.create_sheet(name)
        sheet.append(["Ma", "Ten"])
        sheet.append(["A1", name])
    book.active = 1
    out = io.BytesIO()
    book.save(out)
    table = read_table(out.getvalue(), "a.xlsx", SPEC)
    assert (table.grid.name, table.others, table.grid.cells[2]) == (
        "Danh mục",
        ["Thêm", "Cũ"],
        {1: "A1", 2: "Danh mục"},
    )


# --- CSV -----------------------------------------------------------------------------------------

CSV_ROWS = [
    ["Ma", "Ten", "Ghi chu"],
    ["1.001193", "Đăng ký khai sinh", "có dấu, phẩy; chấm phẩy"],
    ["", "", ""],
]


def _csv(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be"],
)
def test_csv_in_every_encoding_and_delimiter(encode, delimiter):
    table = read_table(encode(_csv(CSV_ROWS, delimiter)), "danh-muc.csv", SPEC)
    assert (table.kind, table.grid.name, table.header.row) == ("csv", "danh-muc.csv", 1)
    assert table.grid.cells == {
        1: {1: "Ma", 2: "Ten", 3: "Ghi chu"},
        2: {1: "1.001193", 2: "Đăng ký khai sinh", 3: "có dấu, phẩy; chấm phẩy"},
    }


def test_csv_rows_are_records_and_formula_text_is_refused():
    text = 'Ma,Ten\n1,"hai\ndòng"\n2,=HYPERLINK("x")\n3,\'=1+1 là chữ\n'
    grid = read_table(text.encode(), "a.csv", SPEC).grid
    assert grid.cells[2] == {1: "1", 2: "hai\ndòng"}  # one record over two lines: row 2, as Excel shows it
    assert grid.cells[3] == {1: "2"}
    assert grid.problems[3][2].message == (
        'ô B3 bắt đầu bằng dấu = như một công thức (=HYPERLINK("x")); hãy dán giá trị, '
        "hoặc thêm dấu ' ở đầu nếu đó là chữ."
    )
    assert grid.cells[4] == {1: "3", 2: "=1+1 là chữ"}  # the export's apostrophe is removed


def test_a_legacy_code_page_is_refused_not_guessed():
    with pytest.raises(SpreadsheetError, match="CSV UTF-8"):
        read_table("Ma,Ten\n1,Đăng ký\n".encode("cp1258", "replace") + b"\xe9", "a.csv", SPEC)


def test_both_readers_read_utf16_text_from_excel(world):
    catalogue = "Mã số\tTên\tLĩnh vực\r\n1.001193\tĐăng ký khai sinh\tHộ tịch\r\n"
    sheet = read_procedures(codecs.BOM_UTF16_LE + catalogue.encode("utf-16-le"), "unicode.txt")
    assert [(r.code, r.name, r.field) for r in sheet.rows] == [("1.001193", "Đăng ký khai sinh", "Hộ tịch")]
    tasks = "Nội dung nhiệm vụ;Chủ trì\r\nTuyên truyền;Phòng VHXH\r\n"
    plan = plan_services.create_plan(world.commune_a, 2026)
    preview = read_task_sheet(codecs.BOM_UTF16_BE + tasks.encode("utf-16-be"), "t.csv", plan)
    assert [(r.title, r.lead_role.code) for r in preview.rows] == [("Tuyên truyền", "phong-van-hoa-xa-hoi")]


# --- cell text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime.date(2026, 3, 31), "31/03/2026"),
        (datetime.datetime(2026, 3, 1, 14, 30), "01/03/2026"),
        (0.1 + 0.2, "0,3"),
        (12.0, "12"),
        (12.345, "12,345"),
        (1200, "1200"),
        (Decimal("12.50"), "12,5"),
        (True, "Có"),
        (None, ""),
        ("chữ", "chữ"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_numbers_and_percentages_in_cells():
    book = openpyxl.Workbook()
    book.active.append(["Ma", "Ten"])
    book.active.append([0.1 + 0.2, 1])
    book.active["B2"].number_format = "0%"
    out = io.BytesIO()
    book.save(out)
    cells = read_table(out.getvalue(), "a.xlsx", SPEC).grid.cells[2]
    assert (number_text(cells[1]), cells[2]) == ("0,3", "100%")


def test_dates_are_written_31_03_2026_by_both_readers(world):
    day = datetime.datetime(2026, 3, 31)
    catalogue = xlsx([["Mã số", "Tên", "Quyết định công bố"], ["1.001193", "Đăng ký khai sinh", day]])
    assert read_procedures(catalogue, "a.xlsx").rows[0].decisions == "31/03/2026"
    plan = plan_services.create_plan(world.commune_a, 2026)
    tasks = xlsx([["Nội dung nhiệm vụ", "Chủ trì", "Thời gian thực hiện"], ["Niêm yết", "Phòng VHXH", day]])
    [task] = read_task_sheet(tasks, "t.xlsx", plan).rows
    assert (task.timing_note, task.deadline) == ("31/03/2026", datetime.date(2026, 3, 31))


# --- formulas: one policy for both readers -------------------------------------------------------

# One workbook both readers understand: the catalogue reads Mã số, Tên and Lĩnh vực; the task
# reader Nội dung nhiệm vụ, Chủ trì and Sản phẩm.
FORMULA_ROWS = [
    ["Mã số", "Tên", "Nội dung nhiệm vụ", "Chủ trì", "Lĩnh vực", "Sản phẩm"],
    # 2: values saved with every formula, two of them an empty text
    [
        "1.000002",
        '="Đăng ký "&"khai sinh"',
        '="Tuyên "&"truyền"',
        "Phòng VHXH",
        '=IF(1=1,"","x")',
        '=IF(1=1,"","x")',
    ],
    # 3: formulas saved without a value
    ["1.000003", '=UPPER("x")', '=UPPER("y")', "Phòng VHXH", "Hộ tịch", None],
    # 4: an error value
    ["1.000004", "Chứng thực", "Niêm yết", "Phòng VHXH", "#REF!", "#REF!"],
    # 5: a number saved with its formula
    ["1.000005", "Kết hôn", "Phát thanh", "Phòng VHXH", "=3*4", "=3*4"],
]
SAVED = {
    "B2": ("str", "Đăng ký khai sinh"),
    "C2": ("str", "Tuyên truyền"),
    "E2": ("str", ""),
    "F2": ("str", ""),
    "E5": ("n", "12"),
    "F5": ("n", "12"),
}


def _no_value(cell: str, formula: str) -> str:
    return (
        f"ô {cell} có công thức ({formula}) nhưng tệp không lưu kết quả; hãy mở tệp bằng Excel rồi lưu lại, "
        "hoặc dán giá trị (Dán đặc biệt → Giá trị)."
    )


def test_the_catalogue_reads_saved_values_and_refuses_formulas_without_one():
    rows = {r.line: r for r in read_procedures(saved_by_excel(xlsx(FORMULA_ROWS), SAVED), "a.xlsx").rows}
    assert {line: (r.name, r.field, r.errors) for line, r in rows.items()} == {
        2: ("Đăng ký khai sinh", "", []),
        3: ("", "Hộ tịch", [f'Dòng 3, cột "Tên": {_no_value("B3", '=UPPER("x")')}']),
        4: ("Chứng thực", "", ['Dòng 4, cột "Lĩnh vực": ô E4 báo lỗi Excel (#REF!); hãy sửa ô này.']),
        5: ("Kết hôn", "12", []),
    }


def test_the_task_reader_reads_saved_values_and_refuses_formulas_without_one(world):
    plan = plan_services.create_plan(world.commune_a, 2026)
    preview = read_task_sheet(saved_by_excel(xlsx(FORMULA_ROWS), SAVED), "t.xlsx", plan)
    rows = {r.row: r for r in preview.rows}
    assert {row: (r.title, r.product, [t.value for t in r.targets], r.errors) for row, r in rows.items()} == {
        2: ("Tuyên truyền", "", [], []),
        3: ("", "", [], [f'Dòng 3, cột "Nội dung nhiệm vụ": {_no_value("C3", '=UPPER("y")')}']),
        4: ("Niêm yết", "", [], ['Dòng 4, cột "Sản phẩm": ô F4 báo lỗi Excel (#REF!); hãy sửa ô này.']),
        5: ("Phát thanh", "", [12], []),
    }


def test_a_file_saved_without_any_value_refuses_every_formula_in_both_readers(world):
    content = xlsx(FORMULA_ROWS)  # as openpyxl writes it: no formula has a value
    catalogue = {r.line: r.errors for r in read_procedures(content, "a.xlsx").rows}
    assert catalogue[2] == [
        f'Dòng 2, cột "Tên": {_no_value("B2", '="Đăng ký "&"khai sinh"')}',
        f'Dòng 2, cột "Lĩnh vực": {_no_value("E2", '=IF(1=1,"","x")')}',
    ]
    plan = plan_services.create_plan(world.commune_a, 2026)
    tasks = {r.row: r.errors for r in read_task_sheet(content, "t.xlsx", plan).rows}
    assert tasks[2] == [
        f'Dòng 2, cột "Nội dung nhiệm vụ": {_no_value("C2", '="Tuyên "&"truyền"')}',
        f'Dòng 2, cột "Sản phẩm": {_no_value("F2", '=IF(1=1,"","x")')}',
    ]


# --- no private openpyxl API ---------------------------------------------------------------------


def test_the_core_uses_no_private_openpyxl_api():
    source = Path(spreadsheets.__file__).read_text()
    code = source.split('"""', 2)[2]  # after the module docstring
    private = (
        r"openpyxl\.[\w.]*\._",  # a private module (openpyxl.worksheet._reader)
        r"\b(?:ws|sheet|workbook|book)\._",  # a private attribute of a sheet or a workbook
        r"_get_source|_date_formats|_shared_strings|\._cells\b",
    )
    assert not [pattern for pattern in private if re.search(pattern, code)]
