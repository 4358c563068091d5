"""Issue 17, the findings of "every input bounded": each one a 4xx or a form error with a
Vietnamese message naming the field, never a 500, never a silent cut.

The same on SQLite and PostgreSQL (which refuses NUL in text: the 500s were found there).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from plans.models import Target, Task
from reports import services
from reports.models import Entry, Report, ReportState
from reports.tests.conftest import build_reporting
from tests.test_permission_matrix import procedure_code

HTMX = {"HX-Request": "true"}
CONTROL = "ký tự điều khiển"


@pytest.fixture
def annual_a(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = build_reporting(world)
    w.report_a = services.open_report(w.commune_a, w.annual)
    return w


def _entry_data(entry, **values):
    data = {
        "status": "in_progress",
        "progress": "50",
        "narrative": "Đã làm",
        "lock_version": entry.lock_version,
    }
    for target in entry.task.targets.all():
        data[f"target_{target.pk}"] = "5"
    return data | values


def _submitted(w):
    for entry in w.report_a.entries.select_related("task"):
        values, errors = services.parse_entry(entry, _entry_data(entry, status="done_on_time"))
        assert not errors
        services.save_entry(entry, values, expected_version=None, by=w.officer_a)
    return services.submit(w.report_a, by=w.leader_a)


# --- NUL and other control characters -----------------------------------------------------------------


def test_a_nul_in_a_narrative_is_refused_naming_the_field(annual_a, as_persona):
    entry = annual_a.report_a.entries.first()
    response = as_persona("officer_a").post(
        reverse("reports:entry_save", args=[entry.pk]),
        _entry_data(entry, narrative="Đã\x00 làm"),
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Kết quả, mô tả" in response.text and CONTROL in response.text
    assert not Entry.objects.get(pk=entry.pk).is_entered


def test_a_tab_and_line_breaks_in_a_narrative_are_text(annual_a, as_persona):
    entry = annual_a.report_a.entries.first()
    response = as_persona("officer_a").post(
        reverse("reports:entry_save", args=[entry.pk]),
        _entry_data(entry, narrative="Dòng 1\r\n\tDòng 2"),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert Entry.objects.get(pk=entry.pk).narrative == "Dòng 1\r\n\tDòng 2"


def test_a_nul_in_a_return_reason_is_refused(annual_a, as_persona):
    report = _submitted(annual_a)
    response = as_persona("reviewer").post(
        reverse("reports:transition", args=[report.pk]),
        {"action": "return", "reason": "Sửa\x00 lại"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Lý do" in response.text and CONTROL in response.text
    assert Report.objects.get(pk=report.pk).state == ReportState.SUBMITTED


def test_a_nul_in_a_reopen_reason_is_refused(annual_a, as_persona):
    report = services.accept(_submitted(annual_a), by=annual_a.reviewer)
    response = as_persona("reviewer").post(
        reverse("reports:transition", args=[report.pk]), {"action": "reopen", "reason": "\x00"}, follow=True
    )
    assert "Lý do" in response.text and CONTROL in response.text
    assert Report.objects.get(pk=report.pk).state == ReportState.ACCEPTED


def test_a_too_long_reason_is_refused_not_cut(annual_a, as_persona):
    report = _submitted(annual_a)
    response = as_persona("reviewer").post(
        reverse("reports:transition", args=[report.pk]),
        {"action": "return", "reason": "x" * 2001},
        follow=True,
    )
    assert "tối đa 2.000 ký tự" in response.text
    assert Report.objects.get(pk=report.pk).state == ReportState.SUBMITTED


def test_a_nul_in_a_plan_return_reason_is_refused(plans_world, as_persona):
    from plans import services as plans

    w = plans_world
    plans.submit(w.plan_a, by=w.leader_a)
    response = as_persona("leader_a").post(
        reverse("plans:transition", args=[w.plan_a.pk]), {"action": "return", "reason": "a\x00"}, follow=True
    )
    assert "Lý do trả lại" in response.text and CONTROL in response.text


def test_a_nul_in_the_code_of_a_procedure_to_add_is_refused(world, as_persona):
    procedure_code(world)
    url = reverse("procedures:unit", args=[world.commune_a.pk])
    response = as_persona("leader_a").post(url, {"action": "add", "add_code": "1.001\x00193"}, follow=True)
    assert response.status_code == 200
    assert "Mã TTHC" in response.text and CONTROL in response.text
    response = as_persona("leader_a").post(url, {"action": "mark_centre_today", "code": "\x00"}, follow=True)
    assert "Mã TTHC không hợp lệ" in response.text


@pytest.mark.parametrize("path", ["/thu-tuc/%00/", "/thu-tuc/?q=%00", "/thu-tuc/?q=a%1Bb", "/don-vi/?q=%7F"])
def test_a_control_character_in_a_url_is_a_400(world, as_persona, path):
    response = as_persona("officer_a").get(path)
    assert response.status_code == 400
    assert "ký tự điều khiển" in response.text
    assert as_persona("officer_a").get("/thu-tuc/").status_code == 200  # and the next one is served


def test_a_nul_in_the_admin_unit_filter_is_a_400(world, as_persona):
    response = as_persona("admin").get(reverse("admin:units_unit_changelist") + "?path=%00")
    assert response.status_code == 400 and "ký tự điều khiển" in response.text


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_nul_in_a_task_import_cell_is_a_row_error(plans_world, as_persona, settings, tmp_path, encoding):
    """A NUL byte at the head of a plain UTF-8 file is "not a spreadsheet"; with a BOM (or past
    the first 8 KB) the file is read, and the cell is the row's error."""
    settings.MEDIA_ROOT = tmp_path
    w = plans_world
    before = Task.objects.count()
    csv = "STT,Nội dung nhiệm vụ,Đơn vị/Người chủ trì\n1,Tọa đàm\x00 CCHC,Phòng Văn hóa - Xã hội\n"
    response = as_persona("leader_a").post(
        reverse("plans:import", args=[w.plan_a.pk]),
        {"action": "preview", "file": SimpleUploadedFile("t.csv", csv.encode(encoding))},
    )
    assert response.status_code in (200, 422)
    assert "ô B2" in response.text and CONTROL in response.text
    assert "0 nhiệm vụ hợp lệ" in response.text
    assert Task.objects.count() == before


def test_a_nul_in_an_uploaded_file_name_is_refused():
    """Django's multipart parser already drops it from a posted name; the forms refuse it too."""
    from plans.forms import TaskImportForm

    form = TaskImportForm({}, {"file": SimpleUploadedFile("t\x00.csv", b"a,b\n")})
    assert not form.is_valid()
    assert "Tệp bảng nhiệm vụ" in form.errors["file"][0] and CONTROL in form.errors["file"][0]


# --- lengths: the 1.5-million-character title --------------------------------------------------------------


def test_a_huge_task_title_is_a_4xx_with_a_message_and_the_next_request_is_served(plans_world, as_persona):
    w = plans_world
    client = as_persona("leader_a")
    before = Task.objects.count()
    url = reverse("plans:task_add", args=[w.plan_a.pk, w.plan_a_group.pk])
    response = client.post(url, {"title": "a" * 1_560_000, "frequency": "once"}, headers=HTMX)
    assert 400 <= response.status_code < 500
    assert "Nội dung nhiệm vụ" in response.text and "tối đa 1.000 ký tự" in response.text
    # In Vietnamese the body passes the upload limit: the 400 page, in Vietnamese.
    response = client.post(url, {"title": "ệ" * 2_000_000, "frequency": "once"})
    assert response.status_code == 400 and "Yêu cầu không hợp lệ" in response.text
    assert Task.objects.count() == before
    assert client.get(reverse("plans:detail", args=[w.plan_a.pk])).status_code == 200
    assert client.get(reverse("plans:pdf", args=[w.plan_a.pk])).status_code == 200


def test_the_task_form_shows_its_bounds(plans_world, as_persona):
    w = plans_world
    page = as_persona("leader_a").get(reverse("plans:task_add", args=[w.plan_a.pk, w.plan_a_group.pk]))
    assert 'maxlength="1000"' in page.text


# --- numbers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1e400", "“1e400” không phải là một số"),
        ("NaN", "“NaN” không phải là một số"),
        ("Infinity", "“Infinity” không phải là một số"),
        ("-1", "“-1” là số âm"),
        ("9999999999,999", "“9999999999,999” quá lớn"),
        ("1" * 5000, "…” quá lớn"),
        ("12abc", "“12abc” không phải là một số"),
    ],
)
def test_an_achieved_figure_out_of_range_is_a_form_error(annual_a, as_persona, raw, message):
    entry = annual_a.report_a.entries.filter(task__targets__isnull=False).first()
    target = entry.task.targets.first()
    response = as_persona("officer_a").post(
        reverse("reports:entry_save", args=[entry.pk]),
        _entry_data(entry, **{f"target_{target.pk}": raw}),
        headers=HTMX,
    )
    assert response.status_code == 422 and message in response.text
    assert not Entry.objects.get(pk=entry.pk).is_entered


def test_the_largest_figure_that_fits_is_kept(annual_a, as_persona):
    entry = annual_a.report_a.entries.filter(task__targets__isnull=False).first()
    target = entry.task.targets.first()
    response = as_persona("officer_a").post(
        reverse("reports:entry_save", args=[entry.pk]),
        _entry_data(entry, **{f"target_{target.pk}": "9999999999,994"}),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert str(entry.results.get(target=target).achieved) == "9999999999.99"


@pytest.mark.parametrize("raw", ["1e400", "NaN", "-Infinity", "99999999999", "-3"])
def test_a_target_value_out_of_range_is_a_form_error(plans_world, as_persona, raw):
    w = plans_world
    before = Target.objects.count()
    response = as_persona("leader_a").post(
        reverse("plans:task", args=[w.plan_a.pk, w.plan_a_task.pk]),
        {
            "title": w.plan_a_task.title,
            "frequency": "once",
            "lock_version": w.plan_a_task.lock_version,
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "0",
            "targets-0-name": "Chuyên đề",
            "targets-0-value": raw,
            "targets-0-unit_of_measure": "chuyên đề",
            "targets-0-aggregation": "sum",
        },
        headers=HTMX,
    )
    assert response.status_code == 422
    assert Target.objects.count() == before


# --- no silent loss: the report's narrative -----------------------------------------------------------------


def test_a_31_character_drafting_unit_keeps_what_was_typed(annual_a, as_persona):
    w = annual_a
    url = reverse("reports:report", args=[w.commune_a.pk, w.annual.code])
    response = as_persona("leader_a").post(
        url,
        {
            "drafting_unit": "r" * 31,
            "results": "Kết quả đã gõ rất lâu",
            "lock_version": w.report_a.lock_version,
        },
    )
    assert response.status_code == 200
    assert "Kết quả đã gõ rất lâu" in response.text and "r" * 31 in response.text
    assert "Đơn vị soạn thảo" in response.text and "tối đa 30 ký tự" in response.text
    assert "Chưa lưu" in response.text
    assert Report.objects.get(pk=w.report_a.pk).results == ""


def test_70013_characters_of_results_are_refused_not_cut(annual_a, as_persona):
    w = annual_a
    url = reverse("reports:report", args=[w.commune_a.pk, w.annual.code])
    response = as_persona("leader_a").post(
        url, {"results": "k" * 70_013, "lock_version": w.report_a.lock_version}, headers=HTMX
    )
    assert response.status_code == 422
    assert "Kết quả thực hiện" in response.text and "tối đa 50.000 ký tự" in response.text
    assert "Đã lưu nội dung báo cáo" not in response.text
    assert Report.objects.get(pk=w.report_a.pk).results == ""
    # 50,000 is kept whole.
    response = as_persona("leader_a").post(
        url, {"results": "k" * 50_000, "lock_version": w.report_a.lock_version}
    )
    assert response.status_code == 302
    assert len(Report.objects.get(pk=w.report_a.pk).results) == 50_000


def test_the_service_refuses_rather_than_cuts(annual_a):
    with pytest.raises(services.ReportError, match=r"tối đa 50\.000"):
        services.save_narrative(annual_a.report_a, {"results": "k" * 50_001}, expected_version=None, by=None)


def test_the_report_page_counts_characters_of_long_sections(annual_a, as_persona):
    w = annual_a
    page = as_persona("leader_a").get(reverse("reports:report", args=[w.commune_a.pk, w.annual.code]))
    assert 'maxlength="50000"' in page.text and "data-counter" in page.text
    assert (
        'maxlength="2000"' in page.text and 'maxlength="30"' in page.text
    )  # the recipients, the drafting unit


def test_old_rows_longer_than_a_new_bound_stay_readable(plans_world, as_persona):
    """The bounds are validators: a title stored before them is shown, only editing asks to shorten it."""
    w = plans_world
    Task.objects.filter(pk=w.plan_a_task.pk).update(title="t" * 1500)
    page = as_persona("leader_a").get(reverse("plans:detail", args=[w.plan_a.pk]))
    assert page.status_code == 200 and "t" * 1500 in page.text


@pytest.mark.parametrize("username", ["a\x00b", "x" * 100_000])
def test_a_hostile_login_is_a_form_error(world, client, username):
    response = client.post(reverse("login"), {"username": username, "password": "p\x00"})
    assert response.status_code in (200, 403, 429)
    assert "html" in response["Content-Type"]


# --- imports: refused, never cut -------------------------------------------------------------------------------


def test_a_too_long_unit_name_in_an_import_is_a_row_error(db):
    from units.importers import read_unit_file

    content = f"Mã,Tên,Cấp,Mã tỉnh\n48,Thành phố Đà Nẵng,Thành phố Trung ương,\n20335,{'B' * 300},Phường,48\n"
    parsed = read_unit_file(content.encode(), filename="qd19.csv")
    assert any("Dòng 3" in e and "tối đa" in e for e in parsed.errors)
    assert [r.code for r in parsed.records] == ["48"]


def test_a_nul_in_a_unit_import_cell_is_a_row_error(db):
    from units.importers import read_unit_file

    content = "Mã,Tên,Cấp,Mã tỉnh\n48,Thành phố Đà Nẵng,Thành phố Trung ương,\n20335,Bàn\x00Thạch,Phường,48\n"
    parsed = read_unit_file(content.encode("utf-8-sig"), filename="qd19.csv")
    assert any(CONTROL in e for e in parsed.errors)
    assert "20335" not in [r.code for r in parsed.records]


def test_a_too_long_or_nul_procedure_cell_is_a_row_error():
    from procedures.reading import read_procedures

    content = (
        "Mã TTHC,Tên thủ tục,Lĩnh vực\n"
        f"1.001193,{'Đ' * 5001},Hộ tịch\n"
        "1.001194,Đăng ký\x00 kết hôn,Hộ tịch\n"
        "1.001195,Đăng ký khai tử,Hộ tịch\n"
    )
    sheet = read_procedures(content.encode("utf-8-sig"), "danh-muc.csv")
    errors = {row.code: " ".join(row.errors) for row in sheet.rows}
    assert "tối đa 5000" in errors["1.001193"]
    assert CONTROL in errors["1.001194"]
    assert errors["1.001195"] == ""


def test_a_huge_report_id_in_a_bulk_accept_is_ignored(annual_a, as_persona):
    w = annual_a
    response = as_persona("reviewer").post(
        reverse("reports:bulk_accept", args=[w.danang.pk, w.annual.code]), {"report": ["9" * 30, "\x00"]}
    )
    assert response.status_code == 302


def test_a_huge_channel_id_in_the_task_form_is_a_form_error(plans_world, as_persona):
    w = plans_world
    response = as_persona("leader_a").post(
        reverse("plans:task", args=[w.plan_a.pk, w.plan_a_task.pk]),
        {
            "title": w.plan_a_task.title,
            "frequency": "once",
            "lock_version": w.plan_a_task.lock_version,
            "channels": ["9" * 30],
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        },
        headers=HTMX,
    )
    assert response.status_code == 422
