import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from units.importers import FORMAT_2025, FORMAT_PRE2025, UnitFileError, read_unit_file
from units.models import Level, Unit, UnitImport
from units.services import apply_unit_import, plan_unit_import

DATA = Path(__file__).resolve().parents[1] / "data"
UNITS_2025 = DATA / "units-2025.json"
QUANG_NAM = DATA / "units-pre2025-quang-nam.json"


def import_file(path: Path, content: bytes | None = None):
    parsed = read_unit_file(content if content is not None else path.read_bytes())
    plan = plan_unit_import(parsed)
    apply_unit_import(plan, source_name=path.name)
    return plan


def small_2025(**ward_overrides) -> bytes:
    ward = {"Code": "20341", "Name": "Tam Kỳ", "FullName": "Phường Tam Kỳ", "ProvinceCode": "48"}
    ward.update(ward_overrides)
    return json.dumps(
        [
            {
                "Code": "48",
                "Name": "Đà Nẵng",
                "FullName": "Thành phố Đà Nẵng",
                "Wards": [
                    ward,
                    {
                        "Code": "20335",
                        "Name": "Bàn Thạch",
                        "FullName": "Phường Bàn Thạch",
                        "ProvinceCode": "48",
                    },
                ],
            }
        ],
        ensure_ascii=False,
    ).encode()


def test_it_imports_the_real_2025_list(db):
    plan = import_file(UNITS_2025)
    assert plan.parsed.file_format == FORMAT_2025
    current = Unit.objects.current()
    assert current.filter(kind__level=Level.PROVINCE).count() == 34
    assert current.filter(kind__level=Level.COMMUNE).count() == 3321
    assert Unit.objects.find_problems() == ([], [], [], [], [])
    assert current.filter(kind__code="dac-khu").count() == 13
    assert current.get(code="01").kind.code == "thanh-pho-tw"
    hoang_sa = current.get(code="20333")
    assert hoang_sa.full_name == "Đặc khu Hoàng Sa"
    assert hoang_sa.authority_line == "ỦY BAN NHÂN DÂN ĐẶC KHU HOÀNG SA"
    assert hoang_sa.parent_authority_line == "UBND THÀNH PHỐ ĐÀ NẴNG"
    assert UnitImport.objects.get().added == 3355


def test_a_second_import_changes_nothing_and_says_so(db):
    import_file(UNITS_2025)
    history_before = Unit.history.count()
    parsed = read_unit_file(UNITS_2025.read_bytes())
    plan = plan_unit_import(parsed)
    assert not plan.has_changes
    assert plan.unchanged == 3355
    assert "Không có thay đổi" in plan.summary()
    assert apply_unit_import(plan, source_name="again.json") is None
    assert Unit.history.count() == history_before
    assert UnitImport.objects.count() == 1


def test_it_imports_the_three_tier_quang_nam_sample(db):
    plan = import_file(QUANG_NAM)
    assert plan.parsed.file_format == FORMAT_PRE2025
    assert Unit.objects.filter(kind__level=Level.PROVINCE).count() == 1
    assert Unit.objects.filter(kind__level=Level.DISTRICT).count() == 17
    assert Unit.objects.filter(kind__level=Level.COMMUNE).count() == 234
    tan_thanh = Unit.objects.get(code="20335")
    assert [a.full_name for a in Unit.objects.ancestors(tan_thanh)] == ["Tỉnh Quảng Nam", "Thành phố Tam Kỳ"]
    assert tan_thanh.kind.code == "phuong"
    assert tan_thanh.name == "Tân Thạnh"
    assert tan_thanh.parent_authority_line == "UBND THÀNH PHỐ TAM KỲ"
    assert tan_thanh.authority_line == "ỦY BAN NHÂN DÂN PHƯỜNG TÂN THẠNH"
    assert tan_thanh.place_name == "Tân Thạnh"
    assert tan_thanh.body_symbol == "UBND"
    assert Unit.objects.get(code="502").kind.code == "thanh-pho-thuoc-tinh"
    assert str(tan_thanh.valid_to) == "2025-06-30"
    assert Unit.objects.find_problems() == ([], [], [], [], [])


def test_a_reused_code_means_different_units_in_different_periods(db):
    import_file(QUANG_NAM)
    import_file(UNITS_2025)
    both = Unit.objects.filter(code="20335").order_by(F("valid_from").asc(nulls_first=True))
    assert [u.full_name for u in both] == ["Phường Tân Thạnh", "Phường Bàn Thạch"]
    assert Unit.objects.current().get(code="20335").full_name == "Phường Bàn Thạch"
    # Re-importing either list still changes nothing: each matches its own period.
    for path in (QUANG_NAM, UNITS_2025):
        assert not plan_unit_import(read_unit_file(path.read_bytes())).has_changes


def test_a_renamed_unit_is_updated_with_its_header_lines(db):
    import_file(UNITS_2025, small_2025())
    plan = plan_unit_import(read_unit_file(small_2025(Name="Tam Kỳ Mới", FullName="Phường Tam Kỳ Mới")))
    assert len(plan.updates) == 1
    fields = {c.field for c in plan.updates[0].changes}
    assert {"name", "full_name", "authority_line", "place_name"} <= fields
    apply_unit_import(plan, source_name="renamed.json")
    unit = Unit.objects.get(code="20341")
    assert unit.authority_line == "ỦY BAN NHÂN DÂN PHƯỜNG TAM KỲ MỚI"
    assert unit.history.first().history_change_reason == "Nhập danh mục đơn vị từ renamed.json"


def test_a_customised_header_line_survives_a_rename(db):
    import_file(UNITS_2025, small_2025())
    Unit.objects.filter(code="20341").update(authority_line="ỦY BAN NHÂN DÂN\nPHƯỜNG TAM KỲ")
    plan = plan_unit_import(read_unit_file(small_2025(Name="Tam Kỳ Mới", FullName="Phường Tam Kỳ Mới")))
    assert "authority_line" not in {c.field for c in plan.updates[0].changes}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Tệp rỗng"),
        (b'[{"Code": "48",', "dòng 1, cột"),
        (b"\xff\xfe\x00bad", "Các dạng được đọc"),
        (b"%PDF-1.7\n\x00\x01", "Các dạng được đọc"),
        (b'{"hello": 1}', "Không nhận ra cấu trúc tệp JSON. Các dạng được đọc"),
        (b"[]", "Không nhận ra cấu trúc"),
    ],
)
def test_it_refuses_unreadable_files(db, content, message):
    with pytest.raises(UnitFileError, match=message):
        read_unit_file(content)


def test_it_refuses_an_oversized_file(db):
    with pytest.raises(UnitFileError, match="quá lớn"):
        read_unit_file(b" " * 2000 + small_2025(), max_bytes=1000)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Code": "2034"}, 'mã "2034" không hợp lệ: mã cấp xã gồm đúng 5 chữ số'),
        ({"Code": "20335"}, "mã 20335 trùng với"),
        ({"ProvinceCode": "01"}, 'ProvinceCode "01" không khớp'),
        ({"FullName": "Khu phố Tam Kỳ"}, "không xác định được loại đơn vị"),
        ({"FullName": ""}, 'thiếu trường "FullName"'),
    ],
)
def test_a_malformed_row_is_named_and_nothing_is_written(db, overrides, message):
    parsed = read_unit_file(small_2025(**overrides))
    plan = plan_unit_import(parsed)
    assert not plan.is_valid
    assert any(message in e for e in plan.errors), plan.errors
    assert any(e.startswith("Tỉnh thứ 1 (mã 48), đơn vị cấp xã thứ") for e in plan.errors)
    with pytest.raises(Exception, match="lỗi"):
        apply_unit_import(plan, source_name="bad.json")
    assert Unit.objects.count() == 0


def test_a_province_without_wards_is_refused(db):
    content = json.dumps([{"Code": "48", "FullName": "Thành phố Đà Nẵng", "Wards": None}]).encode()
    plan = plan_unit_import(read_unit_file(content))
    assert plan.errors == ['Tỉnh thứ 1 (mã 48): thiếu danh sách "Wards" (các đơn vị cấp xã)']


def test_the_command_imports_and_reports(db, capsys):
    call_command("import_units", str(QUANG_NAM), "--yes")
    out = capsys.readouterr().out
    assert "252 đơn vị mới" in out
    assert "Cấp huyện: 17" in out
    call_command("import_units", str(QUANG_NAM))
    assert "Không có thay đổi" in capsys.readouterr().out


def test_the_command_refuses_a_malformed_file_and_writes_nothing(db, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_bytes(small_2025(Code="ABCDE"))
    with pytest.raises(CommandError, match="Tệp có 1 lỗi"):
        call_command("import_units", str(bad), "--yes")
    assert 'mã "ABCDE" không hợp lệ' in capsys.readouterr().err
    assert Unit.objects.count() == 0


def test_the_command_dry_run_writes_nothing(db, capsys):
    call_command("import_units", str(QUANG_NAM), "--dry-run")
    assert "Xem trước (chưa ghi)" in capsys.readouterr().out
    assert Unit.objects.count() == 0


def test_the_command_reports_a_missing_file(db):
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        call_command("import_units", "/nonexistent/units.json")


def test_planning_costs_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    import_file(UNITS_2025)
    content = UNITS_2025.read_bytes()
    with django_assert_max_num_queries(2):  # the unit kinds, then every existing unit at once
        plan_unit_import(read_unit_file(content))


# --- units as published -------------------------------------------------------------------------

DA_NANG_WRAPPED = DATA / "units-pre2025-da-nang.json"


def test_it_reads_the_dvhcvn_file_as_published(db):
    """daohoangson/dvhcvn publishes {data, data_date, generate_date, stats}: read as it is."""
    assert list(json.loads(DA_NANG_WRAPPED.read_bytes())) == ["data", "data_date", "generate_date"]
    parsed = read_unit_file(DA_NANG_WRAPPED.read_bytes())
    assert parsed.file_format == FORMAT_PRE2025
    assert parsed.notes == ["Dữ liệu ngày 01/03/2025 (theo tệp)."]
    import_file(DA_NANG_WRAPPED)
    old = Unit.objects.filter(valid_to__isnull=False)
    assert old.filter(kind__level=Level.PROVINCE).get().full_name == "Thành phố Đà Nẵng"
    assert old.filter(kind__level=Level.DISTRICT).count() == 8
    assert old.filter(kind__level=Level.COMMUNE).count() == 47
    # The national file has the same shape with a stats object beside the data.
    wrapped = {
        "data": [json.loads(QUANG_NAM.read_bytes())],
        "data_date": "01/03/2025",
        "stats": {"level1": 63},
    }
    assert read_unit_file(json.dumps(wrapped).encode()).count(Level.COMMUNE) == 234


def test_the_old_and_new_da_nang_share_a_code_apart_in_time(db):
    import_file(UNITS_2025)
    import_file(DA_NANG_WRAPPED)
    both = Unit.objects.filter(code="48", kind__level=Level.PROVINCE)
    assert sorted((u.valid_from is None, u.valid_to is None) for u in both) == [(False, True), (True, False)]


def qd19_table_xlsx(rows: list[list]) -> bytes:
    """The shape of the QĐ 19/2025 list in Excel: a title, the header (Mã · Tên · Cấp · Mã tỉnh ·
    Tỉnh), then one row per unit."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DANH MỤC VÀ MÃ SỐ CÁC ĐƠN VỊ HÀNH CHÍNH VIỆT NAM (Kèm theo QĐ 19/2025/QĐ-TTg)"])
    sheet.append([])
    sheet.append(["STT", "Mã", "Tên", "Cấp", "Mã tỉnh", "Tỉnh / Thành phố"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_it_reads_the_qd19_list_as_a_spreadsheet(db):
    content = qd19_table_xlsx(
        [
            [1, "01", "Thành phố Hà Nội", "Thành phố Trung ương", None, None],
            [2, "00004", "Ba Đình", "Phường", "01", "Thành phố Hà Nội"],
            [3, 70, "Phường Hoàn Kiếm", "Phường", 1, "Thành phố Hà Nội"],  # codes typed as numbers
            [4, "48", "Đà Nẵng", "Thành phố Trung ương", None, None],
            [5, "20333", "Hoàng Sa", "Đặc khu", "48", "Thành phố Đà Nẵng"],
        ]
    )
    parsed = read_unit_file(content, filename="qd19.xlsx")
    assert parsed.file_format == "dvhc-2025-bang"
    assert parsed.errors == []
    import_file(Path("qd19.xlsx"), content)
    assert Unit.objects.get(code="00004").full_name == "Phường Ba Đình"
    hoan_kiem = Unit.objects.get(code="00070")
    assert hoan_kiem.kind.code == "phuong" and hoan_kiem.valid_from.isoformat() == "2025-07-01"
    assert Unit.objects.get(code="20333").kind.code == "dac-khu"
    assert Unit.objects.get(code="48").full_name == "Thành phố Đà Nẵng"
    assert Unit.objects.get(code="20333").path.startswith(Unit.objects.get(code="48").path)
    assert plan_unit_import(read_unit_file(content, filename="qd19.xlsx")).has_changes is False


def test_a_qd19_csv_names_its_bad_rows(db):
    content = (
        "Mã,Tên,Cấp,Mã tỉnh\n"
        "48,Thành phố Đà Nẵng,Thành phố Trung ương,\n"
        "20335,Bàn Thạch,Phường,48\n"
        "2033,Hải Châu,Phường,48\n"
        "20194,Hải Vân,Phường,99\n"
    ).encode()
    parsed = read_unit_file(content, filename="qd19.csv")
    assert parsed.errors == [
        'Dòng 4: mã "2033" không hợp lệ: mã tỉnh gồm 2 chữ số, mã xã gồm 5 chữ số',
        "Dòng 5: tỉnh mã 99 không có trong tệp",
    ]
    assert [r.code for r in parsed.records] == ["48", "20335"]


def test_the_command_asks_before_writing(db, monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = io.StringIO()
    with pytest.raises(CommandError, match="thêm --yes"):
        call_command("import_units", str(QUANG_NAM), stdout=out)
    assert "Xem trước: 252 đơn vị mới" in out.getvalue()
    assert Unit.objects.count() == 0
    monkeypatch.setattr("sys.stdin", Terminal("k\n"))
    call_command("import_units", str(QUANG_NAM), stdout=io.StringIO())
    assert Unit.objects.count() == 0
    monkeypatch.setattr("sys.stdin", Terminal("c\n"))
    call_command("import_units", str(QUANG_NAM), stdout=io.StringIO())
    assert Unit.objects.count() == 252


def test_the_command_keeps_the_admins_size_limit(db, settings):
    settings.UNIT_IMPORT_MAX_BYTES = 1000
    with pytest.raises(CommandError, match="Tệp quá lớn"):
        call_command("import_units", str(QUANG_NAM), "--yes")
    assert Unit.objects.count() == 0


def test_the_command_names_the_formats_it_reads(db, tmp_path):
    path = tmp_path / "list.pdf"
    path.write_bytes(b"%PDF-1.7\n\x00\x01binary")
    with pytest.raises(CommandError, match=r"Các dạng được đọc: \(1\) JSON"):
        call_command("import_units", str(path), "--yes")
