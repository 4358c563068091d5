"""Reports: opening, entries with optimistic locking, evidence checks, the workflow, cumulative
prefill, the roll-up through the cascade links and its fixed query count."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports import rollup, services
from reports.models import Entry, EntryStatus, ReportEvent, ReportState, TargetResult
from reports.periods import Period

pytestmark = pytest.mark.django_db


def _fill(report, by, *, status=EntryStatus.DONE_ON_TIME, radio=None, listing=None, narrative="Đã làm"):
    for entry in report.entries.select_related("task").prefetch_related("task__targets"):
        data = {"status": status, "progress": "100", "narrative": narrative}
        for target in entry.task.targets.all():
            value = radio if "phát thanh" in target.name else listing
            data[f"target_{target.pk}"] = "" if value is None else str(value)
        values, errors = services.parse_entry(entry, data)
        assert not errors, errors
        services.save_entry(entry, values, expected_version=entry.lock_version, by=by)


def test_a_report_has_one_entry_per_task_and_opening_twice_changes_nothing(reporting):
    w = reporting
    report = services.open_report(w.commune_a, w.annual)
    assert report.entries.count() == 2 and report.state == ReportState.DRAFT
    assert report.deadline == datetime.date(w.year, 12, 20)
    assert services.open_report(w.commune_a, w.annual).pk == report.pk
    assert Entry.objects.filter(report=report).count() == 2
    assert report.recipients == "Ủy ban nhân dân thành phố Đà Nẵng"  # proper case (NĐ 30)


def test_a_period_the_plan_does_not_ask_for_is_refused(reporting):
    with pytest.raises(services.ReportError, match="không yêu cầu báo cáo"):
        services.open_report(reporting.commune_a, Period(reporting.year, "monthly", 1))
    with pytest.raises(services.ReportError, match="chưa có kế hoạch"):
        services.open_report(reporting.commune_c, reporting.annual)


def test_entries_are_validated(reporting):
    entry = services.open_report(reporting.commune_a, reporting.annual).entries.first()
    target = entry.task.targets.first()
    values, errors = services.parse_entry(
        entry, {"status": "bogus", "progress": "150", f"target_{target.pk}": "-3", "narrative": ""}
    )
    assert values is None
    assert set(errors) == {"status", "progress", f"target_{target.pk}"}
    values, errors = services.parse_entry(
        entry, {"status": "in_progress", "progress": "40%", f"target_{target.pk}": "1 234,5"}
    )
    assert not errors and values.progress == 40 and values.achieved[target.pk] == Decimal("1234.50")
    values, _ = services.parse_entry(entry, {"status": "done_on_time", "progress": "10"})
    assert values.progress == 100  # done means 100%


def test_two_people_saving_the_same_entry_never_overwrite_silently(reporting):
    w = reporting
    entry = services.open_report(w.commune_a, w.annual).entries.first()
    loaded = entry.lock_version
    first, _ = services.parse_entry(
        entry, {"status": "in_progress", "progress": "30", "narrative": "Bản của Lan"}
    )
    services.save_entry(entry, first, expected_version=loaded, by=w.officer_a)
    second, _ = services.parse_entry(
        entry, {"status": "in_progress", "progress": "60", "narrative": "Bản của Minh"}
    )
    with pytest.raises(services.EntryConflict) as conflict:
        services.save_entry(entry, second, expected_version=loaded, by=w.leader_a)
    assert conflict.value.current.narrative == "Bản của Lan"
    assert "Lan" in str(conflict.value)  # who saved it
    assert Entry.objects.get(pk=entry.pk).narrative == "Bản của Lan"
    # Choosing "keep mine" saves against the version now shown.
    services.save_entry(entry, second, expected_version=conflict.value.current.lock_version, by=w.leader_a)
    assert Entry.objects.get(pk=entry.pk).narrative == "Bản của Minh"


def test_the_workflow_with_history(reporting):
    w = reporting
    report = services.open_report(w.commune_a, w.annual)
    with pytest.raises(services.ReportError, match="Còn 2 nhiệm vụ chưa nhập"):
        services.submit(report, by=w.leader_a)
    _fill(report, w.officer_a, radio=10, listing=100)
    before_deadline = timezone.make_aware(datetime.datetime(w.year, 12, 1, 9))
    report = services.submit(report, by=w.leader_a, now=before_deadline)
    assert report.state == ReportState.SUBMITTED and not report.is_late
    with pytest.raises(services.ReportError, match="đã gửi"):
        services.save_entry(
            report.entries.first(),
            services.parse_entry(report.entries.first(), {"status": "in_progress"})[0],
            expected_version=None,
            by=w.officer_a,
        )
    with pytest.raises(services.ReportError, match="lý do"):
        services.return_report(report, reason="  ", by=w.reviewer)
    report = services.return_report(report, reason="Thiếu ảnh minh chứng", by=w.reviewer)
    assert report.state == ReportState.RETURNED and report.return_reason == "Thiếu ảnh minh chứng"
    report = services.submit(report, by=w.leader_a, now=before_deadline + datetime.timedelta(days=30))
    assert not report.is_late  # lateness is that of the first submission
    report = services.accept(report, by=w.reviewer)
    assert report.state == ReportState.ACCEPTED and report.accepted_snapshot["entries"]
    with pytest.raises(services.ReportError, match="khóa"):
        services.add_evidence(report.entries.first(), url="https://example.gov.vn/a", by=w.officer_a)
    actions = list(report.events.values_list("action", flat=True))
    assert actions == ["submitted", "returned", "resubmitted", "accepted"]
    assert report.events.get(action="returned").by == w.reviewer


def test_a_late_submission_is_accepted_and_marked_late(reporting):
    w = reporting
    report = services.open_report(w.commune_a, w.annual)
    _fill(report, w.officer_a, radio=3)
    after = timezone.make_aware(datetime.datetime(w.year, 12, 21, 9))
    report = services.submit(report, by=w.leader_a, now=after)
    assert report.is_late and report.events.get().is_late


def test_changes_since_acceptance_are_listed_after_reopening(reporting):
    w = reporting
    report = services.open_report(w.commune_a, w.annual)
    _fill(report, w.officer_a, radio=10, listing=100)
    report = services.accept(services.submit(report, by=w.leader_a), by=w.reviewer)
    with pytest.raises(services.ReportError, match="lý do"):
        services.reopen(report, reason="", by=w.reviewer)
    report = services.reopen(report, reason="Sửa số chuyên đề", by=w.reviewer)
    entry = report.entries.select_related("task").get(task__title__startswith="Chuyên mục")
    target = entry.task.targets.get()
    values, _ = services.parse_entry(
        entry, {"status": "done_on_time", f"target_{target.pk}": "12", "narrative": "Đã làm"}
    )
    services.save_entry(entry, values, expected_version=entry.lock_version, by=w.officer_a)
    changes = services.changes_since_acceptance(report)
    assert [(c["before"], c["after"]) for c in changes] == [("10.00", "12.00")]
    assert "Chuyên đề phát thanh" in changes[0]["where"]
    assert ReportEvent.objects.filter(report=report, action="reopened", reason="Sửa số chuyên đề").exists()


def test_a_closed_period_is_reopened_for_one_unit_with_a_reason(reporting):
    w = reporting
    report = services.open_report(w.commune_a, w.q1)
    closed_day = w.q1.closes(20) + datetime.timedelta(days=1)
    assert "đã đóng" in services.editable_problem(report, on=closed_day)
    report = services.reopen_period(report, reason="Đơn vị mất điện cuối kỳ", days=5, by=w.reviewer)
    assert report.reopened_until == services.today() + datetime.timedelta(days=5)
    assert services.window(report.plan, w.q1, report=report, on=report.reopened_until).accepts_entries
    event = report.events.get(action="period_reopened")
    assert event.by == w.reviewer and "mất điện" in event.reason
    other = services.open_report(w.commune_b, w.q1)
    assert other.reopened_until is None  # only that unit


def test_cumulative_reports_start_from_the_quarters(reporting):
    w = reporting
    from reports.models import Report

    q1 = services.open_report(w.commune_a, w.q1)
    Report.objects.filter(pk=q1.pk).update(reopened_until=services.today() + datetime.timedelta(days=3))
    _fill(
        q1,
        w.officer_a,
        status=EntryStatus.IN_PROGRESS,
        radio=3,
        listing=90,
        narrative="Quý I làm 3 chuyên đề",
    )
    half = services.open_report(w.commune_a, Period(w.year, "half_year", 1))
    entry = half.entries.select_related("task").get(task__title__startswith="Chuyên mục")
    assert entry.status == EntryStatus.IN_PROGRESS and entry.narrative.startswith("Quý I")
    assert entry.results.get().achieved == Decimal("3")
    assert not entry.is_entered  # prefilled, still to be confirmed by the officer


# --- evidence ------------------------------------------------------------------------------------------------


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def test_evidence_is_checked_for_type_and_size(reporting, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = reporting
    entry = services.open_report(w.commune_a, w.annual).entries.first()
    photo = services.add_evidence(entry, name="hội nghị.png", content=_png(), by=w.officer_a)
    assert photo.content_type == "image/png" and photo.size > 0
    assert "hội nghị" not in photo.file.name  # stored under a random name
    services.add_evidence(entry, name="bao-cao.pdf", content=b"%PDF-1.7\n...", by=w.officer_a)
    link = services.add_evidence(entry, url="https://danang.gov.vn/tin-cchc", by=w.officer_a)
    assert link.url and not link.file
    cases = [
        ("virus.exe", b"MZ...", "chỉ nhận ảnh"),
        ("anh.png", b"%PDF-1.7", "không đúng định dạng"),
        ("anh.jpg", b"\xff\xd8\xff broken", "bị hỏng"),
        ("trong.pdf", b"", "trống"),
    ]
    for name, content, message in cases:
        with pytest.raises(services.ReportError, match=message):
            services.add_evidence(entry, name=name, content=content, by=w.officer_a)
    settings.EVIDENCE_MAX_BYTES = 10
    with pytest.raises(services.ReportError, match="quá lớn"):
        services.add_evidence(entry, name="lon.pdf", content=b"%PDF-1.7" + b"x" * 100, by=w.officer_a)
    with pytest.raises(services.ReportError, match="không hợp lệ"):
        services.add_evidence(entry, url="javascript:alert(1)", by=w.officer_a)
    assert entry.evidence.count() == 3


# --- roll-up ------------------------------------------------------------------------------------------------------


def test_rollup_through_the_cascade_links(reporting):
    w = reporting
    a = services.open_report(w.commune_a, w.annual)
    _fill(a, w.officer_a, radio=10, listing=100)
    services.accept(services.submit(a, by=w.leader_a), by=w.reviewer)
    b = services.open_report(w.commune_b, w.annual)
    _fill(b, w.officer_b, status=EntryStatus.IN_PROGRESS, radio=4, listing=80)
    late = timezone.make_aware(datetime.datetime(w.year, 12, 22, 9))
    services.submit(b, by=w.leader_a, now=late)
    data = rollup.build(w.danang, w.annual)
    rows = {r.unit.code: r for r in data.rows}
    assert rows["20341"].state == ReportState.ACCEPTED and not rows["20341"].report.is_late
    assert rows["20335"].state == ReportState.SUBMITTED and rows["20335"].report.is_late
    assert (data.expected, data.submitted, data.on_time) == (2, 2, 1)
    radio = next(t for t in data.tasks if t.task == w.province_radio)
    assert radio.units == 2 and radio.done == 1
    assert radio.statuses == {EntryStatus.DONE_ON_TIME: 1, EntryStatus.IN_PROGRESS: 1}
    assert radio.targets[0]["value"] == Decimal("14")  # sum of 10 and 4
    listing = next(t for t in data.tasks if t.task == w.province_listing)
    assert listing.targets[0]["value"] == Decimal(50)  # one unit of two reached 100%
    accepted_only = rollup.build(w.danang, w.annual, include_unaccepted=False)
    radio = next(t for t in accepted_only.tasks if t.task == w.province_radio)
    assert (
        radio.targets[0]["value"] == Decimal("10") and radio.done == 1 and sum(radio.statuses.values()) == 1
    )


def test_rollup_and_review_pages_cost_the_same_queries_for_2_or_160_communes(reporting, client):
    from django.urls import reverse

    from conftest import make_unit
    from reports.tests.conftest import cascade

    w = reporting
    client.force_login(w.reviewer)
    pages = [
        reverse(name, args=[w.danang.pk, w.annual.code])
        for name in ("reports:overview", "reports:rollup", "reports:scores", "reports:rollup_export")
    ]

    def count() -> list[int]:
        counts = []
        with CaptureQueriesContext(connection) as queries:
            rollup.build(w.danang, w.annual)
        counts.append(len(queries))
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        return counts

    report = services.open_report(w.commune_a, w.annual)
    _fill(report, w.officer_a, radio=10, listing=100)
    services.submit(report, by=w.leader_a)
    small = count()
    for n in range(160):
        unit = make_unit(f"9{n:04d}", f"Phường Thử {n}", "phuong", w.danang)
        cascade(unit, w.province_plan, rules={"annual": 20})
        if n % 3 == 0:
            report = services.open_report(unit, w.annual)
            TargetResult.objects.bulk_create(
                [
                    TargetResult(entry=e, target=t, achieved=5)
                    for e in report.entries.all()
                    for t in e.task.targets.all()
                ]
            )
            if n % 6 == 0:
                Entry.objects.filter(report=report).update(is_entered=True, status=EntryStatus.DONE_ON_TIME)
                services.submit(report, by=w.leader_a)
    big = count()
    assert small == big, (small, big)
    assert big[0] <= 12
