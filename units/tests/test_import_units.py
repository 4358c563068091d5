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
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b'{"hello": 1}', "Không nhận ra cấu trúc"),
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
    call_command("import_units", str(QUANG_NAM))
    out = capsys.readouterr().out
    assert "252 đơn vị mới" in out
    assert "Cấp huyện: 17" in out
    call_command("import_units", str(QUANG_NAM))
    assert "Không có thay đổi" in capsys.readouterr().out


def test_the_command_refuses_a_malformed_file_and_writes_nothing(db, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_bytes(small_2025(Code="ABCDE"))
    with pytest.raises(CommandError, match="Tệp có 1 lỗi"):
        call_command("import_units", str(bad))
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
