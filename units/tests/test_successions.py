"""Succession tables: the official conversion table as published, a plain CSV, matched by code and
validity, idempotent, all-or-nothing unless invalid rows are skipped; the command and the admin."""

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from units.importers import read_unit_file
from units.models import Unit, UnitImport, UnitSuccession
from units.services import UnitImportError, apply_successions, apply_unit_import, plan_unit_import
from units.successions import plan_successions, read_successions

DATA = Path(__file__).resolve().parents[1] / "data"
CONVERSION_TABLE = DATA / "successions-2025-da-nang.csv"
TITLE = "Đơn vị hành chính từ ngày 01/7/2025,,,Đơn vị hành chính trước ngày 01/7/2025,,,,,\n"
HEADER = '"Tỉnh, thành phố",Tên Xã mới,Mã Xã mới,Tên Xã cũ,Mã Xã cũ,Ghi chú,Quận/huyện,Tỉnh cũ,\n'


def load_units(*names: str) -> None:
    for name in names:
        apply_unit_import(plan_unit_import(read_unit_file((DATA / name).read_bytes())), source_name=name)


def small_units() -> None:
    """A pre-2025 province with a district (Hoàng Sa, no communes) and three communes, and the
    2025 province with two of their codes reused by new communes."""
    old = {
        "data": [
            {
                "level1_id": "48",
                "name": "Thành phố Đà Nẵng",
                "type": "Thành phố Trung ương",
                "level2s": [
                    {
                        "level2_id": "490",
                        "name": "Quận Liên Chiểu",
                        "type": "Quận",
                        "level3s": [
                            {"level3_id": "20194", "name": "Phường Hòa Hiệp Bắc", "type": "Phường"},
                            {"level3_id": "20195", "name": "Phường Hòa Hiệp Nam", "type": "Phường"},
                            {"level3_id": "20296", "name": "Xã Hòa Liên", "type": "Xã"},
                        ],
                    },
                    {"level2_id": "498", "name": "Huyện Hoàng Sa", "type": "Huyện", "level3s": []},
                ],
            }
        ],
        "data_date": "01/03/2025",
        "generate_date": 1739889357,
    }
    new = [
        {
            "Code": "48",
            "Name": "Đà Nẵng",
            "FullName": "Thành phố Đà Nẵng",
            "Wards": [
                {"Code": "20194", "Name": "Hải Vân", "FullName": "Phường Hải Vân", "ProvinceCode": "48"},
                {
                    "Code": "20197",
                    "Name": "Liên Chiểu",
                    "FullName": "Phường Liên Chiểu",
                    "ProvinceCode": "48",
                },
                {"Code": "20333", "Name": "Hoàng Sa", "FullName": "Đặc khu Hoàng Sa", "ProvinceCode": "48"},
            ],
        }
    ]
    for content in (json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)):
        apply_unit_import(plan_unit_import(read_unit_file(content.encode())), source_name="x.json")


def conversion_table(*rows: str) -> bytes:
    """The published shape: title row, header row, a province section row, one row per pair."""
    return (TITLE + HEADER + "THÀNH PHỐ ĐÀ NẴNG,,,,,,,,\n" + "".join(r + "\n" for r in rows)).encode()


ROWS = [
    "Thành phố Đà Nẵng (48),Phường Hải Vân,20194,Phường Hòa Hiệp Bắc,20194,Nhập toàn bộ,Quận Liên Chiểu (490),Thành phố Đà Nẵng (48),",
    "Thành phố Đà Nẵng (48),Phường Hải Vân,20194,Phường Hòa Hiệp Nam,20195,Nhập toàn bộ,Quận Liên Chiểu (490),Thành phố Đà Nẵng (48),",
    "Thành phố Đà Nẵng (48),Phường Hải Vân,20194,Xã Hòa Liên,20296,Nhập một phần,Huyện Hòa Vang (497),Thành phố Đà Nẵng (48),",
    "Thành phố Đà Nẵng (48),Phường Liên Chiểu,20197,Xã Hòa Liên,20296,Nhập một phần,Huyện Hòa Vang (497),Thành phố Đà Nẵng (48),",
    "Thành phố Đà Nẵng (48),Đặc khu Hoàng Sa,20333,,,Sắp xếp toàn bộ huyện Hoàng Sa thành đặc khu Hoàng Sa,Huyện Hoàng Sa (498),Thành phố Đà Nẵng (48),",
]


def import_table(content: bytes, **kwargs):
    plan = plan_successions(read_successions(content, "bang.csv"))
    return plan, apply_successions(plan, source_name="bang.csv", **kwargs)


def test_it_reads_the_conversion_table_as_published(db):
    small_units()
    plan, record = import_table(conversion_table(*ROWS))
    assert plan.counts == {"new": 5, "changed": 0, "unchanged": 0, "invalid": 0}
    assert record.file_format == "ke-thua" and record.added == 5
    links = {
        (s.predecessor.code, s.successor.code): s
        for s in UnitSuccession.objects.select_related("predecessor", "successor")
    }
    # Code 20194 is both the old Phường Hòa Hiệp Bắc and the new Phường Hải Vân: told apart by validity.
    whole = links[("20194", "20194")]
    assert (
        whole.predecessor.full_name == "Phường Hòa Hiệp Bắc" and whole.successor.full_name == "Phường Hải Vân"
    )
    assert whole.extent == "whole" and whole.effective_date.isoformat() == "2025-07-01"
    assert links[("20296", "20194")].extent == links[("20296", "20197")].extent == "part"
    # Hoàng Sa: no old commune code; the district (498) became the special zone.
    hoang_sa = links[("498", "20333")]
    assert hoang_sa.predecessor.full_name == "Huyện Hoàng Sa"
    assert hoang_sa.note == "Sắp xếp toàn bộ huyện Hoàng Sa thành đặc khu Hoàng Sa"
    assert "Bỏ qua 1 dòng mục" in " ".join(plan.warnings)


def test_a_second_import_changes_nothing(db):
    small_units()
    import_table(conversion_table(*ROWS))
    history = UnitSuccession.history.count()
    plan, record = import_table(conversion_table(*ROWS))
    assert record is None
    assert plan.counts["unchanged"] == 5
    assert "Không có thay đổi" in plan.summary()
    assert UnitSuccession.history.count() == history
    assert UnitImport.objects.filter(file_format="ke-thua").count() == 1


def test_a_changed_kind_is_updated_with_its_history(db):
    small_units()
    import_table(conversion_table(*ROWS))
    changed = ROWS[1].replace("Nhập toàn bộ", "Nhập một phần")
    plan, _record = import_table(conversion_table(ROWS[0], changed))
    assert plan.counts == {"new": 0, "changed": 1, "unchanged": 1, "invalid": 0}
    link = UnitSuccession.objects.get(predecessor__code="20195")
    assert link.extent == "part"
    assert link.history.first().history_change_reason == "Nhập bảng kế thừa đơn vị từ bang.csv"


def test_unknown_codes_are_refused_row_by_row_and_nothing_is_written(db):
    small_units()
    bad = ROWS[0].replace(",20194,Nhập", ",20999,Nhập")  # no old commune 20999
    content = conversion_table(
        ROWS[1], bad, "Thành phố Đà Nẵng (48),Phường X,20777,Phường Y,20195,Nhập toàn bộ,,,"
    )
    plan = plan_successions(read_successions(content, "bang.csv"))
    assert plan.counts["invalid"] == 2
    assert plan.errors == [
        "Dòng 5: không có đơn vị cũ mã 20999 có hiệu lực ngày 30/06/2025; hãy nhập danh mục đơn vị trước.",
        "Dòng 6: không có đơn vị mới mã 20777 có hiệu lực ngày 01/07/2025; hãy nhập danh mục đơn vị trước.",
    ]
    with pytest.raises(UnitImportError, match="2 dòng lỗi"):
        apply_successions(plan, source_name="bang.csv")
    assert UnitSuccession.objects.count() == 0
    # Skipping the invalid rows writes the valid one.
    apply_successions(plan, source_name="bang.csv", skip_invalid=True)
    assert UnitSuccession.objects.get().predecessor.code == "20195"


def test_a_code_is_matched_with_its_validity_not_alone(db):
    """A new unit's code looked up the day before the succession is the old unit, never itself."""
    small_units()
    content = b"old_code,new_code,kind,date\n20197,20194,whole,01/07/2025\n"
    plan = plan_successions(read_successions(content, "x.csv"))
    assert plan.errors == [
        "Dòng 2: không có đơn vị cũ mã 20197 có hiệu lực ngày 30/06/2025; hãy nhập danh mục đơn vị trước."
    ]


def test_it_reads_the_plain_shape(db):
    small_units()
    content = (
        b"old_code,new_code,kind,date,legal_basis\n"
        b"20194,20194,whole,2025-07-01,NQ 1659/NQ-UBTVQH15\n"
        b"20296,20197,part,01/07/2025,\n"
        b"20195,20194,unchanged,,\n"
    )
    plan, _record = import_table(content)
    assert plan.file.shape == "csv"
    assert plan.counts["new"] == 3
    assert UnitSuccession.objects.get(predecessor__code="20194").legal_basis == "NQ 1659/NQ-UBTVQH15"
    assert UnitSuccession.objects.get(predecessor__code="20195").note == "Giữ nguyên"


def test_bad_cells_are_named_with_their_row(db):
    small_units()
    content = (
        "old_code,new_code,kind,date\n"
        "20194,20194,sáp nhập?,01/07/2025\n"
        "20195,ABC,whole,01/07/2025\n"
        "20296,20197,part,32/13/2025\n"
        "20195,20194,whole,\n"
        "20195,20194,whole,\n"
    ).encode()
    plan = plan_successions(read_successions(content, "x.csv"))
    errors = plan.errors
    assert errors[0].startswith("Dòng 2: không hiểu cột “kind” (“sáp nhập?”)")
    assert errors[1] == "Dòng 3: mã đơn vị mới “ABC” không hợp lệ (2, 3 hoặc 5 chữ số)."
    assert errors[2] == "Dòng 4: ngày “32/13/2025” không đọc được (dd/mm/yyyy)."
    assert errors[3] == "Dòng 6: cặp 20195 → 20194 trùng với dòng 5."


def test_a_file_that_is_not_a_table_is_refused_with_the_shapes_read(db):
    with pytest.raises(Exception, match="Dạng được đọc: bảng chuyển đổi ĐVHC"):
        read_successions(b"a,b,c\n1,2,3\n", "x.csv")


def test_the_real_conversion_table_of_da_nang(db):
    load_units("units-2025.json", "units-pre2025-quang-nam.json", "units-pre2025-da-nang.json")
    call_command("import_successions", str(CONVERSION_TABLE), "--yes", stdout=io.StringIO())
    assert UnitSuccession.objects.count() == 282
    ban_thach = Unit.objects.current().get(code="20335")
    assert sorted(ban_thach.successions_in.values_list("predecessor__code", flat=True)) == [
        "20335",  # Phường Tân Thạnh (the code the new ward keeps)
        "20362",  # Xã Tam Thăng
        "20375",  # Phường Hoà Thuận
    ]
    assert UnitSuccession.objects.filter(extent="part").count() == 2
    out = io.StringIO()
    call_command("import_successions", str(CONVERSION_TABLE), stdout=out)
    assert "Không có thay đổi: 282 liên kết" in out.getvalue()


def test_the_command_previews_and_asks(db, tmp_path, monkeypatch):
    small_units()
    path = tmp_path / "bang.csv"
    path.write_bytes(conversion_table(*ROWS))
    out = io.StringIO()
    call_command("import_successions", str(path), "--dry-run", stdout=out)
    assert "mới 5" in out.getvalue() and "Xem trước (chưa ghi)" in out.getvalue()
    assert UnitSuccession.objects.count() == 0
    with pytest.raises(CommandError, match="thêm --yes"):  # no terminal to ask on
        call_command("import_successions", str(path), stdout=io.StringIO())
    assert UnitSuccession.objects.count() == 0
    monkeypatch.setattr("sys.stdin", _Terminal("k\n"))
    call_command("import_successions", str(path), stdout=io.StringIO())
    assert UnitSuccession.objects.count() == 0
    monkeypatch.setattr("sys.stdin", _Terminal("c\n"))
    call_command("import_successions", str(path), stdout=io.StringIO())
    assert UnitSuccession.objects.count() == 5


def test_the_command_refuses_invalid_rows_unless_skipped(db, tmp_path):
    small_units()
    path = tmp_path / "bang.csv"
    path.write_bytes(conversion_table(ROWS[0], ROWS[1].replace("20195", "20999")))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 dòng lỗi"):
        call_command("import_successions", str(path), "--yes", stdout=io.StringIO(), stderr=err)
    assert "Dòng 5: không có đơn vị cũ mã 20999" in err.getvalue()
    assert UnitSuccession.objects.count() == 0
    call_command("import_successions", str(path), "--yes", "--skip-invalid", stdout=io.StringIO(), stderr=err)
    assert UnitSuccession.objects.count() == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def admin_client(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.admin)
    return client


def test_the_admin_previews_then_writes_on_confirmation(admin_client):
    small_units()
    url = reverse("admin:units_unitsuccession_import")
    upload = SimpleUploadedFile("bang.csv", conversion_table(*ROWS), content_type="text/csv")
    response = admin_client.post(url, {"action": "preview", "file": upload})
    assert response.status_code == 200
    assert '<strong id="count-new">5</strong>' in response.text
    assert "Phường Hòa Hiệp Bắc — 20194 · đến 30/06/2025" in response.text
    assert UnitSuccession.objects.count() == 0
    response = admin_client.post(
        url,
        {
            "action": "confirm",
            "token": response.context["token"],
            "source_name": "bang.csv",
            "fingerprint": response.context["fingerprint"],
        },
    )
    assert response.status_code == 302
    assert UnitSuccession.objects.count() == 5
    assert UnitSuccession.objects.first().history.first().history_user.username == "admin"


def test_the_admin_offers_to_skip_invalid_rows(admin_client):
    small_units()
    url = reverse("admin:units_unitsuccession_import")
    upload = SimpleUploadedFile("bang.csv", conversion_table(ROWS[0], ROWS[1].replace("20195", "20999")))
    response = admin_client.post(url, {"action": "preview", "file": upload})
    assert "Dòng 5: không có đơn vị cũ mã 20999" in response.text
    assert "Bỏ qua 1 dòng lỗi" in response.text
    token, fingerprint = response.context["token"], response.context["fingerprint"]
    response = admin_client.post(
        url, {"action": "confirm", "token": token, "source_name": "b.csv", "fingerprint": fingerprint}
    )
    assert UnitSuccession.objects.count() == 0
    response = admin_client.post(
        url,
        {
            "action": "preview",
            "file": SimpleUploadedFile(
                "bang.csv", conversion_table(ROWS[0], ROWS[1].replace("20195", "20999"))
            ),
        },
    )
    admin_client.post(
        url,
        {
            "action": "confirm",
            "token": response.context["token"],
            "source_name": "b.csv",
            "fingerprint": response.context["fingerprint"],
            "skip_invalid": "1",
        },
    )
    assert UnitSuccession.objects.count() == 1


def test_only_administrators_import_successions(client, world):
    client.force_login(world.reviewer)
    response = client.get(reverse("admin:units_unitsuccession_import"))
    assert response.status_code == 302
