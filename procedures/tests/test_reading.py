"""The reader of catalogue spreadsheets (no database): the real national-portal export, a provincial
appendix built here with openpyxl, CSV, refused files and row errors."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from procedures.reading import ProcedureRow, ReadError, Sheet, read_procedures

SAMPLE_NAME = "tthc-portal-export-sample.xlsx"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / SAMPLE_NAME  # procedures/data/README.md


@pytest.fixture(scope="module")
def sample() -> Sheet:
    return read_procedures(SAMPLE.read_bytes(), SAMPLE.name)


def _xlsx(rows: list[list], merges: tuple[str, ...] = (), title: str = "Phụ lục") -> bytes:
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


def _by_code(sheet: Sheet) -> dict[str, ProcedureRow]:
    return {row.code: row for row in sheet.rows}


# --- the national portal's export ------------------------------------------------------------------


def test_the_portal_sample_gives_271_clean_rows(sample):
    assert sample.shape == "portal" and sample.header_row == 2
    assert sample.sheet_name == "Danh sách TTHC"
    assert sample.columns == {
        "code": "Mã số",
        "name": "Tên",
        "ministry": "Cơ quan ban hành",
        "agencies": "Cơ quan thực hiện",
        "field": "Lĩnh vực",
    }
    assert len(sample.rows) == 271
    assert [row for row in sample.rows if row.errors] == []
    assert len({row.code for row in sample.rows}) == 271
    assert sample.rows[0].line == 3 and sample.rows[-1].line == 273
    for row in sample.rows:
        assert row.name == row.name.strip() and "  " not in row.name and "\n" not in row.name
        assert all(agency == agency.strip() and agency for agency in row.agencies)
        assert row.ministry == "Bộ Tư pháp" and row.status == "in_force"


def test_the_portal_sample_splits_agencies_and_infers_levels(sample):
    rows = _by_code(sample)
    first = rows["1.014966"]
    assert first.agencies == ["Chủ tịch ủy ban nhân dân cấp tỉnh", "Sở Tư Pháp"]
    assert first.name == (
        "Cấp lại chứng chỉ hành nghề Quản tài viên trong trường hợp bị thu hồi chứng chỉ hành nghề"
    )
    assert first.field == "Quản tài viên" and first.levels == ["tinh"]
    assert rows["1.003976"].levels == ["trung_uong", "tinh"]  # Bộ Tư pháp + Ủy ban nhân dân cấp tỉnh
    assert rows["3.000323"].levels == ["xa"]  # Ủy ban nhân dân cấp xã
    # A trailing line break in the cell is not an agency.
    assert all("" not in row.agencies for row in sample.rows)


# --- a provincial decision's appendix --------------------------------------------------------------

HEADER = [
    "TT",
    "Mã số TTHC",
    "Tên thủ tục hành chính",
    "Lĩnh vực",
    "Cơ quan thực hiện",
    "Mức độ DVC",
    "Ghi chú",
]


@pytest.fixture(scope="module")
def appendix() -> Sheet:
    rows = [
        ["PHỤ LỤC"],  # 1, merged across
        ["DANH MỤC THỦ TỤC HÀNH CHÍNH (Kèm theo Quyết định số 123/QĐ-UBND)"],  # 2
        [],  # 3
        HEADER,  # 4
        ["A. THỦ TỤC HÀNH CHÍNH CẤP TỈNH"],  # 5, merged across
        ["I", None, "LĨNH VỰC HỘ TỊCH"],  # 6
        [
            1,
            "1.001193 ",
            "Đăng ký  khai sinh có yếu tố\u00a0nước ngoài",
            None,
            "Sở Tư pháp",
            "Toàn trình",
        ],  # 7
        [2, "2.000200", "Đăng ký lại khai tử", "Nuôi con nuôi", "Sở Tư pháp", "Một phần"],  # 8
        ["B. THỦ TỤC HÀNH CHÍNH CẤP XÃ"],  # 9, not merged
        [1, "1.004222", "Chứng thực bản sao từ bản chính", "Chứng thực", "UBND cấp xã", "Mức độ 4"],  # 10
        [2, "1.004223", "Chứng thực chữ ký", None, "Ủy ban nhân dân cấp xã", "mức độ 3"],  # 11
        [3, "1.004224", "Chứng thực hợp đồng", None, "UBND cấp xã", None, "Bãi bỏ từ ngày 01/01/2027"],  # 12
        [],  # 13
        ["DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ"],  # 14, merged across
        [1, "1.000001", "Đăng ký kết hôn lưu động", "Hộ tịch", "UBND cấp xã", "Không"],  # 15
    ]
    content = _xlsx(rows, merges=("A1:G1", "A5:G5", "D10:D12", "A14:G14"))
    return read_procedures(content, "phu-luc.xlsx")


def test_the_appendix_header_and_shape(appendix):
    assert appendix.shape == "appendix" and appendix.header_row == 4
    assert appendix.columns == {
        "stt": "TT",
        "code": "Mã số TTHC",
        "name": "Tên thủ tục hành chính",
        "field": "Lĩnh vực",
        "agencies": "Cơ quan thực hiện",
        "online_level": "Mức độ DVC",
        "notes": "Ghi chú",
    }
    assert [row.line for row in appendix.rows] == [7, 8, 10, 11, 12, 15]
    assert all(not row.errors for row in appendix.rows)
    assert "Bỏ qua 1 dòng trống." in appendix.warnings


def test_the_appendix_sections_set_level_field_and_status(appendix):
    got = {
        row.code: (row.levels, row.field, row.status, row.online_level, row.effective_to)
        for row in appendix.rows
    }
    assert got == {
        # A. cấp tỉnh / I. Lĩnh vực hộ tịch
        "1.001193": (["tinh"], "Hộ tịch", "in_force", "toan_trinh", None),
        "2.000200": (["tinh"], "Nuôi con nuôi", "in_force", "mot_phan", None),  # the row's own field wins
        # B. cấp xã; the field section ends with the level section; "Chứng thực" merged over 3 rows
        "1.004222": (["xa"], "Chứng thực", "in_force", "toan_trinh", None),
        "1.004223": (["xa"], "Chứng thực", "in_force", "mot_phan", None),
        "1.004224": (["xa"], "Chứng thực", "repealed", "", datetime.date(2027, 1, 1)),  # its own note
        # the list of repealed procedures
        "1.000001": (["xa"], "Hộ tịch", "repealed", "", None),
    }
    first = appendix.rows[0]
    assert first.code == "1.001193" and first.name == "Đăng ký khai sinh có yếu tố nước ngoài"
    assert first.agencies == ["Sở Tư pháp"]


def test_level_cells_fields_by_number_shared_sections_and_dates():
    rows = [
        ["DANH MỤC THỦ TỤC HÀNH CHÍNH ĐƯỢC SỬA ĐỔI, BỔ SUNG"],
        ["STT", "Mã TTHC", "Tên TTHC", "Cấp thực hiện", "Cơ quan giải quyết", "Ngày hiệu lực"],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
        ["1", "Lĩnh vực: Chứng thực"],
        [1, "2.000815", "Chứng thực chữ ký", "Cấp tỉnh, cấp xã", "Phòng Tư pháp", datetime.date(2025, 7, 1)],
        [2, "2.000884", "Chứng thực bản sao", "Tỉnh/Xã", None, "15/08/2025"],
        ["C", "THỦ TỤC HÀNH CHÍNH DÙNG CHUNG"],
        [1, "1.001193.01", "Khai sinh (trường hợp 1)", None, "Bộ Tư pháp; Sở Tư pháp;\nSở Tư pháp"],
        [2, "C08_XPHCDB", "Xử phạt hành chính", None, None],
        ["STT", "Mã TTHC", "Tên TTHC", "Cấp thực hiện", "Cơ quan giải quyết", "Ngày hiệu lực"],
        ["D. CÁC CƠ QUAN KHÁC"],
        [1, "3.000100", "Thủ tục của ngành dọc", "UBND cấp xã", "Chi cục Thuế khu vực"],
        [2, "3.000101", "Thủ tục khác", None, "Trung tâm trợ giúp pháp lý nhà nước"],
        ["E. NHÓM THỦ TỤC ĐẶC THÙ"],
        [1, "3.000102", "Thủ tục đặc thù", None, "Công an tỉnh"],
        ["Tổng số: 7 thủ tục"],
    ]
    sheet = read_procedures(_xlsx(rows), "sua-doi.xlsx")
    assert sheet.shape == "appendix" and sheet.header_row == 2
    got = {
        row.code: (row.levels, row.field, row.status, row.effective_from, row.agencies) for row in sheet.rows
    }
    assert got == {
        "2.000815": (["tinh", "xa"], "Chứng thực", "amended", datetime.date(2025, 7, 1), ["Phòng Tư pháp"]),
        "2.000884": (["tinh", "xa"], "Chứng thực", "amended", datetime.date(2025, 8, 15), []),
        # "dùng chung": the levels the agencies name, else tỉnh and xã. The field section began
        # before any level section: it is the outer one and goes on.
        "1.001193.01": (["trung_uong", "tinh"], "Chứng thực", "amended", None, ["Bộ Tư pháp", "Sở Tư pháp"]),
        "C08_XPHCDB": (["tinh", "xa"], "Chứng thực", "amended", None, []),
        # "các cơ quan khác", unless the row's own level cell says otherwise
        "3.000100": (["xa"], "Chứng thực", "amended", None, ["Chi cục Thuế khu vực"]),
        "3.000101": (["khac"], "Chứng thực", "amended", None, ["Trung tâm trợ giúp pháp lý nhà nước"]),
        # an unrecognised "E." section ends "D.": the level comes from the agencies
        "3.000102": (["tinh"], "Chứng thực", "amended", None, ["Công an tỉnh"]),
    }
    assert all(not row.errors for row in sheet.rows)
    assert any("1 dòng tiêu đề mục" in warning and "(dòng 14)" in warning for warning in sheet.warnings)
    assert "Bỏ qua 1 dòng đánh số cột." in sheet.warnings
    assert "Bỏ qua 1 dòng tiêu đề cột lặp lại." in sheet.warnings
    assert "Bỏ qua 1 dòng tổng cộng/ghi chú cuối bảng." in sheet.warnings


def test_the_first_sheet_with_a_header_is_read():
    book = openpyxl.Workbook()
    book.active.title = "Hướng dẫn"
    book.active.append(["Trang này chỉ có lời dẫn."])
    data = book.create_sheet("Danh mục")
    data.append(["Mã thủ tục", "Tên thủ tục", "Lĩnh vực"])
    data.append(["1.001193", "Đăng ký khai sinh", "HỘ TỊCH"])
    out = io.BytesIO()
    book.save(out)
    sheet = read_procedures(out.getvalue(), "hai-trang.xlsx")
    assert sheet.sheet_name == "Danh mục" and sheet.header_row == 1
    assert [(row.code, row.field, row.levels) for row in sheet.rows] == [("1.001193", "Hộ tịch", [])]


def test_online_levels_ticked_under_a_two_row_header():
    rows = [
        ["Mã TTHC", "Tên thủ tục", "Cơ quan thực hiện", "DVCTT", None],
        [None, None, None, "Toàn trình", "Một phần"],
        ["1.001193", "Đăng ký khai sinh", "Sở Tư pháp", "x", None],
        ["1.001194", "Chứng thực chữ ký", "UBND cấp xã", None, "X"],
        ["1.001195", "Thủ tục trực tiếp", "UBND cấp xã", None, None],
    ]
    sheet = read_procedures(_xlsx(rows, merges=("A1:A2", "B1:B2", "C1:C2", "D1:E1")), "dvctt.xlsx")
    assert sheet.header_row == 1 and "online_level" not in sheet.columns
    assert (sheet.columns["online_full"], sheet.columns["online_partial"]) == ("Toàn trình", "Một phần")
    assert [(row.line, row.online_level, row.errors) for row in sheet.rows] == [
        (3, "toan_trinh", []),
        (4, "mot_phan", []),
        (5, "", []),
    ]


# --- CSV -------------------------------------------------------------------------------------------

CSV_TEXT = (
    "Mã TTHC,Tên thủ tục,Lĩnh vực,Cơ quan thực hiện,Dịch vụ công trực tuyến\n"
    '1.001193,"Đăng ký khai sinh",Hộ tịch,"Ủy ban nhân dân cấp xã",Toàn trình\n'
    "\n"
    '2.000200,"Đăng ký lại khai tử, khai sinh",Hộ tịch,"Sở Tư pháp\nUBND cấp tỉnh",một phần\n'
)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_csv_utf8_with_or_without_bom(bom):
    sheet = read_procedures(bom + CSV_TEXT.encode(), "danh-muc.csv")
    assert sheet.shape == "csv" and sheet.header_row == 1 and sheet.sheet_name == "danh-muc.csv"
    assert sheet.columns["code"] == "Mã TTHC"
    got = [(r.line, r.code, r.name, r.agencies, r.levels, r.online_level, r.errors) for r in sheet.rows]
    assert got == [
        (2, "1.001193", "Đăng ký khai sinh", ["Ủy ban nhân dân cấp xã"], ["xa"], "toan_trinh", []),
        (
            4,
            "2.000200",
            "Đăng ký lại khai tử, khai sinh",
            ["Sở Tư pháp", "UBND cấp tỉnh"],
            ["tinh"],
            "mot_phan",
            [],
        ),
    ]
    assert sheet.warnings == ["Bỏ qua 1 dòng trống."]


def test_csv_with_semicolons_and_sections():
    text = (
        "STT;Mã số;Tên thủ tục hành chính;Ghi chú\n"
        "A;THỦ TỤC HÀNH CHÍNH CẤP HUYỆN;;\n"
        "1;1.001193;Đăng ký khai sinh, khai tử;\n"
        "2;1.001194;Đăng ký kết hôn;Hết hiệu lực từ ngày 1/7/2025\n"
    )
    sheet = read_procedures(text.encode(), "x.txt")
    assert sheet.shape == "csv"
    got = [(r.code, r.name, r.levels, r.status, r.effective_to) for r in sheet.rows]
    assert got == [
        ("1.001193", "Đăng ký khai sinh, khai tử", ["huyen"], "in_force", None),
        ("1.001194", "Đăng ký kết hôn", ["huyen"], "repealed", datetime.date(2025, 7, 1)),
    ]


def test_a_latin1_csv_is_refused():
    with pytest.raises(ReadError, match="CSV UTF-8"):
        read_procedures(CSV_TEXT.replace("ý", "y").encode("cp1258", errors="replace"), "a.csv")
    with pytest.raises(ReadError, match="CSV UTF-8"):
        read_procedures("Mã,Tên\n1.001193,Đăng ký\n".encode("latin-1", errors="replace") + b"\xe9", "a.csv")


# --- refused files ---------------------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
            "anh.xlsx",
            r"không phải bảng tính Excel \(\.xlsx\) hay tệp CSV",
        ),
        (b"", "trong.xlsx", "Tệp rỗng"),
        (OLE + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64, "khoa.xlsx", "bảo vệ bằng mật khẩu"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 200 + b"EncryptedPackage", "khoa.xlsx", "bảo vệ bằng mật khẩu"),
        (OLE + b"Workbook".ljust(64, b"\x00"), "cu.xlsx", r"Excel 97-2003 \(\.xls\) chưa được hỗ trợ"),
        (_zip({"hello.txt": b"xin chao"}), "nen.xlsx", "không phải bảng tính Excel"),
        (b"PK\x03\x04 not really a zip", "hong.xlsx", "Không đọc được tệp Excel: tệp bị hỏng"),
        (b"<html><table><tr><td>1.001193</td></tr></table></html>", "web.xls", "HTML"),
        (_xlsx([]), "trong.xlsx", "không có dữ liệu"),
        ("Mã TTHC,Tên thủ tục\n".encode(), "chi-tieu-de.csv", "Không có dòng thủ tục nào"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(content, name, message):
    with pytest.raises(ReadError, match=message):
        read_procedures(content, name)


def test_a_workbook_that_unpacks_too_large_is_refused(monkeypatch):
    monkeypatch.setattr("cchc_portal.lib.spreadsheets.MAX_UNPACKED_BYTES", 1024 * 1024)
    content = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b" " * (3 * 1024 * 1024)})
    assert len(content) < 50_000
    with pytest.raises(ReadError, match=r"khi giải nén quá lớn \(3 MB\); giới hạn là 1 MB"):
        read_procedures(content, "bom.xlsx")


def test_a_workbook_without_a_header_is_refused():
    content = _xlsx([["Danh sách"], ["Số", "Nội dung"], ["1", "Đăng ký khai sinh"]])
    with pytest.raises(ReadError) as caught:
        read_procedures(content, "khong-tieu-de.xlsx")
    message = str(caught.value)
    assert message.startswith("Không tìm thấy dòng tiêu đề có cột Mã TTHC và Tên thủ tục trong 15 dòng đầu")
    assert "“Mã số TTHC”" in message and "“Tên thủ tục”" in message and "“Phụ lục”" in message


def test_a_header_below_row_15_is_not_looked_for():
    rows = [[f"Dòng {i}"] for i in range(1, 16)] + [["Mã TTHC", "Tên thủ tục"], ["1.001193", "Đăng ký"]]
    with pytest.raises(ReadError, match="15 dòng đầu"):
        read_procedures(_xlsx(rows), "thap.xlsx")


def test_a_file_over_the_limit_is_refused_before_reading():
    content = b"x" * (50 * 1024 * 1024)
    with pytest.raises(ReadError, match=r"Tệp quá lớn \(50 MB\); giới hạn là 20 MB\."):
        read_procedures(content, "lon.csv", max_bytes=20 * 1024 * 1024)


# --- row errors ------------------------------------------------------------------------------------


def test_row_errors_name_the_row_and_the_column():
    rows = [
        ["Mã số", "Tên", "Lĩnh vực"],  # 1
        ["1.001193", "Đăng ký khai sinh", "Hộ tịch"],  # 2
        ["1.001194", "=UPPER(B2)", "Hộ tịch"],  # 3: a formula
        ["1.001193", "Đăng ký khai sinh (lần hai)", "Hộ tịch"],  # 4: the code twice
        ["1.001195", None, "Hộ tịch"],  # 5: no name
        ["Đăng ký kết hôn", "1.001196", "Hộ tịch"],  # 6: swapped
        ["1.001197 - Đăng ký nhận cha, mẹ, con", None, "Hộ tịch"],  # 7: both in one cell
        [None, "1.001198. Đăng ký giám hộ", "Hộ tịch"],  # 8: both in the name cell
        [None, "Đăng ký lại kết hôn", "Hộ tịch"],  # 9: no code
        ["1,001199/abc", "Thủ tục lạ", "Hộ tịch"],  # 10: not a code
        [None, None, None],  # 11: empty
        ["1.001200", "Thay đổi hộ tịch", "=D2"],  # 12: formula in another used column
    ]
    sheet = read_procedures(_xlsx(rows), "loi.xlsx")
    errors = {row.line: row.errors for row in sheet.rows}
    assert errors[2] == []
    assert errors[3] == [
        'Dòng 3, cột "Tên": ô B3 có công thức (=UPPER(B2)) nhưng tệp không lưu kết quả; '
        "hãy mở tệp bằng Excel rồi lưu lại, hoặc dán giá trị (Dán đặc biệt → Giá trị)."
    ]
    assert errors[4] == ['Dòng 4, cột "Mã số": mã 1.001193 trùng với dòng 2.']
    assert errors[5] == ['Dòng 5, cột "Tên": thiếu tên thủ tục.']
    assert len(errors[6]) == 1 and errors[6][0].startswith('Dòng 6, cột "Mã số": ô chứa tên thủ tục')
    assert "bị đổi chỗ" in errors[6][0] and "1.001196" in errors[6][0]
    assert len(errors[7]) == 2 and "ô chứa cả mã và tên" in errors[7][0] and "mã 1.001197" in errors[7][0]
    assert errors[7][1] == 'Dòng 7, cột "Tên": thiếu tên thủ tục.'
    assert errors[8][0].startswith('Dòng 8, cột "Mã số": thiếu mã thủ tục; cột "Tên" có vẻ chứa cả mã')
    assert errors[9] == ['Dòng 9, cột "Mã số": thiếu mã thủ tục.']
    assert errors[10][0].startswith('Dòng 10, cột "Mã số": mã "1,001199/abc" không hợp lệ')
    assert errors[12] == [
        'Dòng 12, cột "Lĩnh vực": ô C12 có công thức (=D2) nhưng tệp không lưu kết quả; '
        "hãy mở tệp bằng Excel rồi lưu lại, hoặc dán giá trị (Dán đặc biệt → Giá trị)."
    ]
    assert 11 not in errors  # an empty row is skipped, and counted
    assert sheet.warnings == ["Bỏ qua 1 dòng trống."]
    # The rows are kept, with what could be read.
    assert sheet.rows[1].code == "1.001194" and sheet.rows[1].name == ""


def test_an_stt_formula_is_harmless_and_a_numeric_code_keeps_its_zeros():
    rows = [["STT", "Mã số", "Tên"], ["=ROW()-1", 1.0012, "Đăng ký khai sinh"]]
    [row] = read_procedures(_xlsx(rows), "so.xlsx").rows
    assert (row.code, row.errors) == ("1.001200", [])


# --- size ------------------------------------------------------------------------------------------


def test_ten_thousand_rows_read_without_errors():
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Danh sách TTHC")
    sheet.append(["DANH SÁCH THỦ TỤC HÀNH CHÍNH"])
    sheet.append(["Mã số", "Tên", "Cơ quan ban hành", "Cơ quan thực hiện", "Lĩnh vực"])
    agencies = ["Ủy ban nhân dân cấp xã", "Sở Tư pháp\nỦy ban nhân dân cấp tỉnh", "Bộ Tư pháp", "Cục Hộ tịch"]
    for i in range(10_000):
        sheet.append([f"{1 + i % 3}.{i:06d}", f" Thủ tục  số {i} ", "Bộ Tư pháp", agencies[i % 4], "Hộ tịch"])
    out = io.BytesIO()
    book.save(out)
    result = read_procedures(out.getvalue(), "lon.xlsx")
    assert result.shape == "portal" and len(result.rows) == 10_000
    assert not [row for row in result.rows if row.errors]
    assert result.rows[1].levels == ["tinh"] and result.rows[9_999].name == "Thủ tục số 9999"
