"""A 6-month, 9-month or annual report covers its whole period (reports/cumulative.py): the
earlier reports' figures are put together with the remainder's by each target's kind — counts
summed, rates averaged over the months (never summed), percentages the latest, yes/no done if
done once — evidence is carried, and a task past its deadline reads as overdue."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from plans import services as plans
from plans.models import TargetKind
from reports import services
from reports.models import EntryStatus, Report, TargetResult
from reports.periods import Period
from reports.tests.conftest import build_reporting

pytestmark = pytest.mark.django_db


@pytest.fixture
def kinds(world, settings, tmp_path):
    """The reporting world with a rate, a yes/no target and a deadline of 31/10 on the radio task."""
    settings.MEDIA_ROOT = tmp_path

    def more(radio, listing):
        plans.add_target(radio, name="Bản tin CCHC", unit_of_measure="số/tháng", value=4)
        plans.add_target(
            radio, name="Hội nghị đối thoại", unit_of_measure="cuộc", value=1, kind=TargetKind.YESNO
        )
        radio.deadline = datetime.date(radio.plan.year, 10, 31)
        radio.save(update_fields=["deadline"])

    w = build_reporting(world, more)
    w.h1 = Period(w.year, "half_year", 1)
    w.q3 = Period(w.year, "quarterly", 3)
    return w


def _open(w, period):
    """The commune's report for `period`, opened for entries (a past period is reopened)."""
    report = services.open_report(w.commune_a, period)
    Report.objects.filter(pk=report.pk).update(reopened_until=services.today() + datetime.timedelta(days=3))
    return Report.objects.get(pk=report.pk)


def _save(report, by, figures, *, status=EntryStatus.IN_PROGRESS, narrative="Đã làm"):
    """Save every entry of the report with the figures given by target name ("" or absent: none)."""
    for entry in report.entries.select_related("task").prefetch_related("task__targets"):
        entry.refresh_from_db()
        data = {"status": status, "progress": "60", "narrative": narrative}
        for target in entry.task.targets.all():
            data[f"target_{target.pk}"] = str(figures.get(target.name, ""))
        values, errors = services.parse_entry(entry, data)
        assert not errors, errors
        services.save_entry(entry, values, expected_version=entry.lock_version, by=by)


def _achieved(report) -> dict[str, Decimal | None]:
    return {
        r.target.name: r.achieved
        for r in TargetResult.objects.filter(entry__report=report).select_related("target")
    }


FIRST_HALF = {
    "Chuyên đề phát thanh": 18,
    "Bản tin CCHC": 4,
    "Hội nghị đối thoại": 0,
    "TTHC được niêm yết": 80,
}
THIRD_QUARTER = {
    "Chuyên đề phát thanh": 9,
    "Bản tin CCHC": 3,
    "Hội nghị đối thoại": 1,
    "TTHC được niêm yết": 90,
}


@pytest.fixture
def year_so_far(kinds):
    w = kinds
    _save(_open(w, w.h1), w.officer_a, FIRST_HALF, narrative="Sáu tháng: 18 chuyên đề")
    _save(_open(w, w.q3), w.officer_a, THIRD_QUARTER, narrative="Quý III: dự kiến trước ngày 31/10 xong")
    w.year_report = _open(w, Period(w.year, "annual"))
    return w


def test_the_year_starts_from_the_first_half_and_the_third_quarter_by_each_kind(year_so_far):
    w = year_so_far
    assert _achieved(w.year_report) == {
        "Chuyên đề phát thanh": Decimal("27.00"),  # counts add up
        "Bản tin CCHC": Decimal("3.67"),  # (4 × 6 + 3 × 3) / 9 months, not 7
        "Hội nghị đối thoại": Decimal("1.00"),  # held in the third quarter
        "TTHC được niêm yết": Decimal("90.00"),  # the latest percentage
    }


def test_what_is_typed_in_the_year_is_the_remainder_after_the_third_quarter(year_so_far):
    w = year_so_far
    _save(
        w.year_report,
        w.officer_a,
        {"Chuyên đề phát thanh": 8, "Bản tin CCHC": 3, "TTHC được niêm yết": 95},
    )
    assert _achieved(w.year_report) == {
        "Chuyên đề phát thanh": Decimal("35.00"),  # 18 + 9 + 8 (15/09–14/12)
        "Bản tin CCHC": Decimal("3.50"),  # (4 × 6 + 3 × 3 + 3 × 3) / 12
        "Hội nghị đối thoại": Decimal("1.00"),
        "TTHC được niêm yết": Decimal("95.00"),
    }
    typed = TargetResult.objects.get(entry__report=w.year_report, target__name="Chuyên đề phát thanh")
    assert typed.own == Decimal("8")


def test_a_correction_of_the_third_quarter_reaches_the_year_when_it_is_sent(year_so_far):
    w = year_so_far
    _save(w.year_report, w.officer_a, {"Chuyên đề phát thanh": 8, "TTHC được niêm yết": 95})
    q3 = Report.objects.get(unit=w.commune_a, year=w.year, period_kind="quarterly", period_number=3)
    _save(q3, w.officer_a, THIRD_QUARTER | {"Chuyên đề phát thanh": 12})
    services.submit(w.year_report, by=w.officer_a)
    assert _achieved(w.year_report)["Chuyên đề phát thanh"] == Decimal("38.00")  # 18 + 12 + 8


def test_a_task_past_its_deadline_reads_overdue_and_the_page_says_so(year_so_far, as_persona):
    w = year_so_far
    entry = w.year_report.entries.get(task__title__startswith="Chuyên mục")
    assert entry.status == EntryStatus.OVERDUE  # due 31/10, in progress at the third quarter
    assert entry.narrative.startswith("6 tháng đầu năm")  # the parts under their period
    page = as_persona("officer_a").get(reverse("reports:entries", args=[w.commune_a.pk, f"{w.year}-N"]))
    assert page.status_code == 200
    assert f"Quá hạn: nhiệm vụ có thời hạn 31/10/{w.year}" in page.text


def test_the_entry_page_shows_the_parts_the_remainder_and_the_rule(year_so_far, as_persona):
    w = year_so_far
    page = as_persona("officer_a").get(reverse("reports:entries", args=[w.commune_a.pk, f"{w.year}-N"]))
    text = page.content.decode()
    assert f"số liệu từ 15/09/{w.year} đến 14/12/{w.year}" in text
    assert f"Đã báo cáo: 6 tháng đầu năm {w.year}: 18; Quý III năm {w.year}: 9" in text
    assert "bình quân theo tháng, không cộng các kỳ" in text


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, format="PNG")
    return out.getvalue()


def test_the_first_halfs_evidence_is_listed_in_the_year_by_period(year_so_far, as_persona):
    w = year_so_far
    h1 = Report.objects.get(unit=w.commune_a, year=w.year, period_kind="half_year", period_number=1)
    entry = h1.entries.get(task__title__startswith="Chuyên mục")
    services.add_evidence(entry, name="ảnh hội nghị.png", content=_png(), by=w.officer_a)
    page = as_persona("officer_a").get(reverse("reports:entries", args=[w.commune_a.pk, f"{w.year}-N"]))
    text = page.content.decode()
    assert "Tài liệu kiểm chứng các kỳ trước" in text
    assert f"6 tháng đầu năm {w.year}:</span>" in text and "ảnh hội nghị.png" in text


def test_a_report_covering_nothing_earlier_keeps_what_is_typed(kinds):
    w = kinds
    year_report = _open(w, Period(w.year, "annual"))
    _save(year_report, w.officer_a, {"Chuyên đề phát thanh": 30, "Bản tin CCHC": 3})
    assert _achieved(year_report)["Chuyên đề phát thanh"] == Decimal("30.00")
    assert _achieved(year_report)["Bản tin CCHC"] == Decimal("3.00")


def test_the_composed_text_never_promises_a_date_already_past(year_so_far, as_persona):
    w = year_so_far
    _save(
        w.year_report,
        w.officer_a,
        {"Chuyên đề phát thanh": 8},
        narrative=f"Đã phát 8 chuyên đề; dự kiến trước ngày 31/10/{w.year} hoàn thành",
    )
    composed = services.compose_results(w.year_report)
    radio = next(line for line in composed.splitlines() if "Chuyên mục" in line)
    assert f"quá hạn (hạn 31/10/{w.year}), tiến độ 60%" in radio
    assert "dự kiến" not in radio and "Đã phát 8 chuyên đề" in radio
    assert "Chuyên đề phát thanh: 35 chuyên đề" in radio  # the whole year's figure

    # Typed into a section by hand, the promise is pointed out on the report's page.
    Report.objects.filter(pk=w.year_report.pk).update(
        next_tasks=f"Sẽ hoàn thành chậm nhất ngày 30/11/{w.year}."
    )
    page = as_persona("officer_a").get(reverse("reports:report", args=[w.commune_a.pk, f"{w.year}-N"]))
    assert "Nội dung hứa hẹn một ngày đã qua" in page.text
    assert f"Sẽ hoàn thành chậm nhất ngày 30/11/{w.year}" in page.text


def test_a_promise_of_a_date_still_ahead_is_kept():
    text = "Đang in tờ rơi, dự kiến trước ngày 20/12/2026 phát hết."
    assert services.passed_promises(text, datetime.date(2026, 12, 14)) == []
    assert services.passed_promises(text, datetime.date(2026, 12, 20)) == [text]


def test_the_annual_annex_carries_the_parts_the_rule_and_the_earlier_evidence(year_so_far):
    """Read as a văn thư would: the PDF's text (pdftotext)."""
    from reports.pdf import render_report_pdf

    w = year_so_far
    h1 = Report.objects.get(unit=w.commune_a, year=w.year, period_kind="half_year", period_number=1)
    first_half_radio = h1.entries.get(task__title__startswith="Chuyên mục")
    for n in range(3):
        services.add_evidence(first_half_radio, name=f"ảnh {n}.png", content=_png(), by=w.officer_a)
    _save(w.year_report, w.officer_a, {"Chuyên đề phát thanh": 8, "Bản tin CCHC": 3})
    text = _reading_order(render_report_pdf(w.year_report).pdf)
    assert "Chuyên đề phát thanh: 12 chuyên đề / 35" in text
    assert "6 tháng đầu năm" in text and "cộng dồn các kỳ" in text
    assert "Bản tin CCHC: 4 số/tháng / 3,5" in text  # averaged over twelve months, not 10
    assert "bình quân theo tháng" in text
    assert f"Quá hạn (hạn 31/10/{w.year})" in text
    assert f"6 tháng đầu năm {w.year}: 3" in text  # the first half's three files count in the year


def _reading_order(pdf: bytes) -> str:
    """The PDF's text cell by cell (pdftotext without -layout: a narrow table cell's lines stay
    together), spaces collapsed."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, timeout=60)
    return " ".join(out.stdout.split())
