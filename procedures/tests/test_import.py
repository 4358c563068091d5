"""Importing the catalogue: the real national-portal sample, re-import, a changed version, bad
rows, the command and the admin's preview → confirm/cancel."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procedures import services
from procedures.models import ImportBatch, Procedure, ProcedureChange, ProcedureStatus
from procedures.reading import read_procedures

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "tthc-portal-export-sample.xlsx"


@pytest.fixture(scope="module")
def sample() -> bytes:
    assert SAMPLE.exists(), SAMPLE
    return SAMPLE.read_bytes()


def _import(content: bytes, name: str = "BoTuPhap.xlsx", **options):
    plan = services.plan_import(read_procedures(content, name))
    return plan, services.apply_import(plan, source_name=name, content=content, **options)


def _edited(content: bytes) -> bytes:
    """The sample with one procedure renamed, one removed and one added."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    sheet.cell(row=3, column=2).value = "Cấp lại chứng chỉ hành nghề Quản tài viên (tên mới)"
    sheet.delete_rows(4)
    sheet.append(["1.999999", "Thủ tục thử nghiệm mới", "Bộ Tư pháp", "Ủy ban nhân dân cấp xã", "Hộ tịch"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_sample_gives_271_procedures_with_their_agencies(sample):
    plan, batch = _import(sample)
    assert plan.counts == {"new": 271, "changed": 0, "unchanged": 0, "invalid": 0, "repealed": 0}
    assert Procedure.objects.count() == 271 and batch.added == 271
    first = Procedure.objects.get(code="1.014966")
    assert first.agencies == ["Chủ tịch ủy ban nhân dân cấp tỉnh", "Sở Tư Pháp"]
    assert (
        first.name
        == "Cấp lại chứng chỉ hành nghề Quản tài viên trong trường hợp bị thu hồi chứng chỉ hành nghề"
    )
    assert first.ministry == "Bộ Tư pháp" and first.field == "Quản tài viên"
    assert first.search_text.startswith("1.014966 cap lai chung chi hanh nghe quan tai vien")
    assert ProcedureChange.objects.filter(kind="added").count() == 271


def test_importing_it_again_changes_nothing(sample):
    _import(sample)
    plan, batch = _import(sample)
    assert batch is None
    assert plan.counts["unchanged"] == 271 and not plan.has_changes
    assert ImportBatch.objects.count() == 1 and ProcedureChange.objects.count() == 271


def test_a_renamed_a_removed_and_a_new_procedure_are_exactly_the_changes(sample):
    _import(sample)
    edited = _edited(sample)
    plan = services.plan_import(read_procedures(edited, "BoTuPhap-2.xlsx"))
    assert plan.counts == {"new": 1, "changed": 1, "unchanged": 269, "invalid": 0, "repealed": 1}
    [renamed] = plan.of("changed")
    assert renamed.row.code == "1.014966" and list(renamed.diff) == ["name"]
    assert [p.code for p in plan.repealed] == ["1.014965"]
    assert [r.row.code for r in plan.of("new")] == ["1.999999"]
    batch = services.apply_import(plan, source_name="BoTuPhap-2.xlsx", content=edited)
    assert (batch.added, batch.changed, batch.repealed) == (1, 1, 1)
    assert Procedure.objects.get(code="1.014965").status == ProcedureStatus.REPEALED
    history = list(Procedure.objects.get(code="1.014966").changes.values_list("kind", "diff"))
    assert history[-1] == ("changed", {"name": [renamed.diff["name"][0], renamed.diff["name"][1]]})
    assert set(batch.changes.values_list("kind", flat=True)) == {"added", "changed", "repealed"}
    # Importing the old version again restores the removed one.
    plan = services.plan_import(read_procedures(sample, "BoTuPhap.xlsx"))
    assert plan.counts["changed"] == 2 and plan.counts["repealed"] == 1


def test_invalid_rows_block_the_import_unless_skipped(sample):
    workbook = openpyxl.load_workbook(io.BytesIO(sample))
    sheet = workbook.active
    sheet.cell(row=5, column=2).value = None  # a row without its name
    sheet.cell(row=6, column=1).value = "1.014966"  # a code twice
    out = io.BytesIO()
    workbook.save(out)
    content = out.getvalue()
    plan = services.plan_import(read_procedures(content, "loi.xlsx"))
    assert plan.counts["invalid"] == 2
    with pytest.raises(services.ImportRefused, match="2 dòng lỗi"):
        services.apply_import(plan, source_name="loi.xlsx")
    assert not Procedure.objects.exists() and not ImportBatch.objects.exists()
    batch = services.apply_import(plan, source_name="loi.xlsx", skip_invalid=True)
    assert batch.added == 269 and batch.skipped == 2


def test_planning_costs_three_queries_whatever_the_size(sample):
    """The last batch, every procedure as plain tuples, the sources' listings."""
    sheet = read_procedures(sample, "a.xlsx")
    with CaptureQueriesContext(connection) as queries:
        services.plan_import(sheet)
    assert len(queries) == 3
    _import(sample)
    with CaptureQueriesContext(connection) as queries:
        services.plan_import(sheet)
    assert len(queries) == 3


def test_a_plan_made_before_another_import_is_refused(sample):
    stale = services.plan_import(read_procedures(sample, "a.xlsx"))
    _import(sample)
    with pytest.raises(services.ImportRefused, match="vừa được cập nhật"):
        services.apply_import(stale, source_name="a.xlsx")
    assert ImportBatch.objects.count() == 1


def test_the_command(sample, tmp_path):
    path = tmp_path / "BoTuPhap.xlsx"
    path.write_bytes(sample)
    out = io.StringIO()
    call_command("import_procedures", str(path), "--dry-run", stdout=out)
    assert "thêm mới 271" in out.getvalue() and not Procedure.objects.exists()
    call_command("import_procedures", str(path), stdout=io.StringIO())
    assert Procedure.objects.count() == 271
    again = io.StringIO()
    call_command("import_procedures", str(path), stdout=again)
    assert "Không có thay đổi nào" in again.getvalue()
    bad = tmp_path / "anh.xlsx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    with pytest.raises(CommandError):
        call_command("import_procedures", str(bad), stdout=io.StringIO())


def test_the_admin_preview_then_confirm_or_cancel(sample, as_persona):
    client = as_persona("admin")
    url = reverse("admin:procedures_procedure_import")
    preview = client.post(
        url, {"action": "preview", "full_list": "auto", "file": SimpleUploadedFile("BoTuPhap.xlsx", sample)}
    )
    assert preview.status_code == 200
    assert '<strong id="count-new">271</strong>' in preview.text
    token = preview.context["token"]
    fingerprint = preview.context["fingerprint"]
    data = {"token": token, "source_name": "BoTuPhap.xlsx", "full_list": "auto", "fingerprint": fingerprint}
    cancelled = client.post(url, {**data, "action": "cancel"}, follow=True)
    assert "Đã hủy nhập" in cancelled.text and not Procedure.objects.exists()
    preview = client.post(
        url, {"action": "preview", "full_list": "auto", "file": SimpleUploadedFile("BoTuPhap.xlsx", sample)}
    )
    data |= {"token": preview.context["token"]}
    done = client.post(url, {**data, "action": "confirm"}, follow=True)
    assert "Đã nhập BoTuPhap.xlsx: 271 thêm mới" in done.text
    assert Procedure.objects.count() == 271
    # A stale or forged token: a message, never a 500.
    stale = client.post(url, {**data, "action": "confirm"}, follow=True)
    assert "Phiên xem trước đã hết hạn" in stale.text


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "trong.xlsx", ""),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "anh.xlsx", ""),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 200 + b"EncryptedPackage", "khoa.xlsx", "mật khẩu"),
    ],
)
def test_the_admin_refuses_bad_files_with_a_message(as_persona, content, name, message):
    response = as_persona("admin").post(
        reverse("admin:procedures_procedure_import"),
        {"action": "preview", "full_list": "auto", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    assert 'class="errorlist' in response.text
    assert message in response.text
    assert not Procedure.objects.exists()


def test_a_file_over_the_limit_is_refused(as_persona, settings):
    settings.PROCEDURE_IMPORT_MAX_BYTES = 1024
    response = as_persona("admin").post(
        reverse("admin:procedures_procedure_import"),
        {"action": "preview", "full_list": "auto", "file": SimpleUploadedFile("lon.csv", b"x" * 5000)},
    )
    assert "Tệp quá lớn" in response.text


def test_only_superusers_import(as_persona):
    response = as_persona("reviewer").get(reverse("admin:procedures_procedure_import"))
    assert response.status_code == 302
