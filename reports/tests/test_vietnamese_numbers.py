"""Numbers typed and shown the Vietnamese way, through the real pages: "1.500" is fifteen hundred
in a report entry, a plan target, a budget and an imported table; "1.234,5" is 1234,5; ambiguous
text is refused quoting what was typed; over-limit values are a 422, never stored, never a 500;
figures are printed "3.000 tờ", and a value put back into an input reads "12,5"."""

from __future__ import annotations

import io
import subprocess
import tempfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_portal.lib import formatting
from plans.models import Target
from plans.tests.test_spreadsheets import HEADER, xlsx
from reports import services
from reports.models import Entry, TargetResult

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def annual_a(reporting, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    reporting.report_a = services.open_report(reporting.commune_a, reporting.annual)
    reporting.entry = reporting.report_a.entries.select_related("task").get(
        task__title="Chuyên mục CCHC trên hệ thống truyền thanh"
    )
    reporting.target = reporting.entry.task.targets.get()
    return reporting


def _save(client, entry, typed: str):
    target = entry.task.targets.get()
    entry.refresh_from_db()
    return client.post(
        reverse("reports:entry_save", args=[entry.pk]),
        {
            "status": "in_progress",
            "progress": "50",
            "narrative": "Đã phát",
            "lock_version": entry.lock_version,
            f"target_{target.pk}": typed,
        },
        headers=HTMX,
    )


def _achieved(entry) -> Decimal | None:
    result = TargetResult.objects.filter(entry=entry).first()
    return None if result is None else result.achieved


def _pdf_text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, timeout=60
        )
    return " ".join(out.stdout.split())


# --- report entries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1.500", Decimal(1500)),  # was stored 1,5: a 1000× error
        ("1.234,5", Decimal("1234.5")),
        ("12,5", Decimal("12.5")),
        (" 1.234.567 ", Decimal(1234567)),
        ("12.5", Decimal("12.5")),  # an English keyboard: ".5" cannot be a thousands group
    ],
)
def test_an_entry_reads_numbers_the_vietnamese_way(annual_a, as_persona, typed, stored):
    response = _save(as_persona("officer_a"), annual_a.entry, typed)
    assert response.status_code == 200, response.text
    assert _achieved(annual_a.entry) == stored


@pytest.mark.parametrize("typed", ["1,234.5", "1.234.5", "1,5,0", "0.125", "1234.567", "1,5.000"])
def test_an_ambiguous_entry_is_refused_quoting_what_was_typed(annual_a, as_persona, typed):
    response = _save(as_persona("officer_a"), annual_a.entry, f"  {typed} ")
    assert response.status_code == 422
    assert f"“{typed}” không rõ là số nào" in response.text
    assert "1.234,5" in response.text  # the right form, as an example
    assert f'value="  {typed} "' in response.text  # what was typed stays in the input
    assert _achieved(annual_a.entry) is None


@pytest.mark.parametrize("typed", ["9999999999,995", "9999999999.995", "99.999.999.999", "1e400"])
def test_an_entry_over_the_limit_is_a_422_and_every_page_still_answers(annual_a, as_persona, typed):
    w = annual_a
    client = as_persona("officer_a")
    assert _save(client, w.entry, "9.999.999.999,99").status_code == 200  # the largest that fits
    response = _save(client, w.entry, typed)
    assert response.status_code == 422
    assert f"“{typed}”" in response.text
    assert _achieved(w.entry) == Decimal("9999999999.99")  # nothing stored
    report_args = [w.commune_a.pk, w.annual.code]
    assert client.get(reverse("reports:report", args=report_args)).status_code == 200
    assert client.get(reverse("reports:pdf", args=report_args)).status_code == 200
    scores = as_persona("reviewer").get(reverse("reports:scores", args=[w.danang.pk, w.annual.code]))
    assert scores.status_code == 200


def test_a_negative_entry_is_refused(annual_a, as_persona):
    response = _save(as_persona("officer_a"), annual_a.entry, "-5")
    assert response.status_code == 422 and "“-5” là số âm" in response.text
    assert _achieved(annual_a.entry) is None


def test_an_entry_is_shown_back_with_a_decimal_comma(annual_a, as_persona):
    w = annual_a
    client = as_persona("officer_a")
    _save(client, w.entry, "12,5")
    page = client.get(reverse("reports:entries", args=[w.commune_a.pk, w.annual.code]))
    assert f'name="target_{w.target.pk}" maxlength="30" value="12,5"' in page.text
    _save(client, w.entry, "1.500")
    page = client.get(reverse("reports:entries", args=[w.commune_a.pk, w.annual.code]))
    assert f'name="target_{w.target.pk}" maxlength="30" value="1500"' in page.text
    assert _save(client, w.entry, "1500").status_code == 200  # and read back the same
    assert _achieved(w.entry) == 1500


def test_the_report_page_and_pdf_print_grouped_figures(annual_a, as_persona):
    w = annual_a
    Target.objects.filter(pk=w.target.pk).update(value=3000, unit_of_measure="tờ")
    client = as_persona("officer_a")
    assert _save(client, w.entry, "3.000").status_code == 200
    report = Entry.objects.get(pk=w.entry.pk).report
    report.results = services.compose_results(report)
    report.save()
    assert "Chuyên đề phát thanh: 3.000 tờ" in report.results
    args = [w.commune_a.pk, w.annual.code]
    page = client.get(reverse("reports:report", args=args))
    assert "3.000 tờ" in page.text and "3000 tờ" not in page.text
    pdf = client.get(reverse("reports:pdf", args=args))
    text = _pdf_text(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)
    assert "3.000 tờ" in text and "3000" not in text


def test_the_scores_rollup_and_export_show_grouped_figures(annual_a, as_persona):
    w = annual_a
    Target.objects.filter(pk=w.target.pk).update(value=3000, unit_of_measure="tờ")
    client = as_persona("officer_a")
    assert _save(client, w.entry, "1.234,5").status_code == 200
    listing = w.report_a.entries.exclude(pk=w.entry.pk).get()
    assert _save(client, listing, "100").status_code == 200
    services.submit(Entry.objects.get(pk=w.entry.pk).report, by=w.leader_a)
    page = as_persona("reviewer").get(reverse("reports:scores", args=[w.danang.pk, w.annual.code]))
    assert page.status_code == 200
    assert "Chuyên đề phát thanh: 1.234,5/3.000" in page.text
    args = [w.danang.pk, w.annual.code]
    rollup = as_persona("reviewer").get(reverse("reports:rollup", args=args))
    assert "Chuyên đề phát thanh: 1.234,5 chuyên đề" in rollup.text  # the city's target
    export = as_persona("reviewer").get(reverse("reports:rollup_export", args=args))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    [cell] = [c for row in sheet.iter_rows() for c in row if c.value == Decimal("1234.5")]
    assert cell.data_type == "n" and cell.number_format == "#,##0.##"  # a number, shown "1.234,5"


# --- the plan editor -------------------------------------------------------------------------------------


def _task_data(task, target, value: str, budget: str = "") -> dict:
    return {
        "lock_version": task.lock_version,
        "title": task.title,
        "content_area": "tthc",
        "frequency": "monthly",
        "budget": budget,
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "1",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "20",
        "targets-0-id": target.pk,
        "targets-0-task": task.pk,
        "targets-0-name": target.name,
        "targets-0-value": value,
        "targets-0-unit_of_measure": "tờ",
        "targets-0-aggregation": "sum",
    }


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1.500", Decimal(1500)), ("1.234,5", Decimal("1234.5")), ("12,5", Decimal("12.5"))],
)
def test_a_target_reads_numbers_the_vietnamese_way_and_shows_them_back(
    as_persona, plans_world, typed, stored
):
    w = plans_world
    task, target = w.plan_a_task, w.plan_a_task.targets.get()
    client = as_persona("leader_a")
    url = reverse("plans:task", args=[w.plan_a.pk, task.pk])
    response = client.post(url, _task_data(task, target, typed, budget="1.500.000"), headers=HTMX)
    assert response.status_code == 200, response.text
    target.refresh_from_db()
    task.refresh_from_db()
    assert target.value == stored and task.budget == 1_500_000
    form = client.get(url, headers=HTMX)
    shown_back = formatting.number(stored, grouping=False)  # "1500", "1234,5", "12,5"
    assert f'name="targets-0-value" value="{shown_back}"' in form.text
    assert 'name="budget" value="1500000"' in form.text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,234.5", "“1,234.5” không rõ là số nào"),
        ("1.234.5", "“1.234.5” không rõ là số nào"),
        ("99.999.999.999", "“99.999.999.999” quá lớn: tối đa 9.999.999.999,99"),
        ("9999999999,995", "“9999999999,995” quá lớn"),
        ("-3", "“-3” là số âm"),
    ],
)
def test_a_target_that_is_ambiguous_or_too_large_is_a_422(as_persona, plans_world, typed, message):
    w = plans_world
    task, target = w.plan_a_task, w.plan_a_task.targets.get()
    response = as_persona("leader_a").post(
        reverse("plans:task", args=[w.plan_a.pk, task.pk]), _task_data(task, target, typed), headers=HTMX
    )
    assert response.status_code == 422
    assert message in response.text
    assert f'value="{typed}"' in response.text  # what was typed stays in the input
    target.refresh_from_db()
    assert target.value == 12


def test_a_budget_too_large_for_its_column_is_a_422(as_persona, plans_world):
    w = plans_world
    task, target = w.plan_a_task, w.plan_a_task.targets.get()
    response = as_persona("leader_a").post(
        reverse("plans:task", args=[w.plan_a.pk, task.pk]),
        _task_data(task, target, "12", budget="1.000.000.000.000.000"),
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "“1.000.000.000.000.000” quá lớn: tối đa 999.999.999.999.999" in response.text
    task.refresh_from_db()
    assert task.budget is None


# --- the task import ----------------------------------------------------------------------------------


def test_an_imported_target_reads_numbers_the_vietnamese_way(as_persona, plans_world):
    w = plans_world
    client = as_persona("leader_a")
    url = reverse("plans:import", args=[w.plan_a.pk])
    rows = [
        HEADER,
        [1, "Tờ gấp CCHC", "Phòng Văn hóa - Xã hội", None, None, "1.500 tờ gấp"],
        [2, "Hỏi đáp", "Phòng Văn hóa - Xã hội", None, None, "1.234,5 lượt"],
        [3, "Phát thanh", "Phòng Văn hóa - Xã hội", None, None, 2500],  # a numeric cell
        [4, "Bản tin", "Phòng Văn hóa - Xã hội", None, None, "1,234.5 bản tin"],
    ]
    response = client.post(url, {"action": "preview", "file": SimpleUploadedFile("t.xlsx", xlsx(rows))})
    assert response.status_code == 200
    assert "3 nhiệm vụ hợp lệ, 1 dòng có lỗi." in response.text
    assert "“1,234.5” không rõ là số nào" in response.text
    response = client.post(
        url,
        {"action": "confirm", "token": response.context["token"], "suffix": ".xlsx", "skip_invalid": "1"},
        follow=True,
    )
    assert "Đã thêm 3 nhiệm vụ từ tệp." in response.text
    values = {t.task.title: t.value for t in Target.objects.filter(task__plan=w.plan_a)}
    assert values["Tờ gấp CCHC"] == 1500
    assert values["Hỏi đáp"] == Decimal("1234.5")
    assert values["Phát thanh"] == 2500


# --- the one rule, both ways ------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_every_amount_written_reads_back_the_same(value):
    assert formatting.parse_number(formatting.number(value)) == value
    assert formatting.parse_number(formatting.number(value, grouping=False)) == value
