"""The demo city `make run` loads (demo/city.py, demo/reports.py): the 94 communes of Đà Nẵng,
most with an issued plan cascaded from the city's, a few drafting, a few not started; those with
an issued plan report every closed period around its deadline, mostly accepted, some late, some
returned first, some awaiting review, a few never sent; the open period is half done; the city's
own reports are drafted from its communes', one signed; and a second `load_demo` creates nothing.

`load_demo` loads the real unit lists (a few seconds), so it runs once for the module, twice in a
row, inside a transaction that is rolled back; the tests read what the fixture collected.
"""

from __future__ import annotations

import datetime
import io
import random
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from demo.city import city_communes
from demo.reports import PROVINCE, REVIEWER, _outcomes, reporting_plans
from plans.models import Plan, Status
from reports import rollup, services
from reports.models import Entry, Evidence, Report, ReportEvent, ReportState, TargetResult
from units.models import Unit

# Module-scoped data: marked so that pytest-django runs these tests before the transactional
# browser tests, whose flush removes the rows the migrations seed (unit kinds, roles).
pytestmark = pytest.mark.django_db

MODELS = (Plan, Report, Entry, TargetResult, Evidence, ReportEvent)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _report_facts(report: Report) -> SimpleNamespace:
    entries = list(report.entries.prefetch_related("evidence", "results"))
    return SimpleNamespace(
        unit=report.unit.code,
        period=report.period,
        state=report.state,
        is_late=report.is_late,
        deadline=report.deadline,
        created_at=report.created_at,
        first_submitted_at=report.first_submitted_at,
        submitted_at=report.submitted_at,
        accepted_at=report.accepted_at,
        accepted_by=report.accepted_by.username if report.accepted_by else None,
        results=report.results,
        events=[(e.action, e.at, e.by.username if e.by else None, e.reason) for e in report.events.all()],
        entered=sum(e.is_entered for e in entries),
        total=len(entries),
        statuses=[e.status for e in entries if e.is_entered],
        narratives=[e.narrative for e in entries if e.is_entered],
        entry_times=[e.updated_at for e in entries if e.is_entered],
        with_results=sum(1 for e in entries if e.is_entered and e.results.all()),
        links=[ev.url for e in entries for ev in e.evidence.all() if ev.url],
        files=[ev.file.name for e in entries for ev in e.evidence.all() if ev.file],
    )


def _rollup_facts(data: rollup.Rollup) -> SimpleNamespace:
    return SimpleNamespace(
        expected=data.expected,
        submitted=data.submitted,
        on_time=data.on_time,
        completeness=data.completeness,
        timeliness=data.timeliness,
        states={row.unit.code: row.state for row in data.rows if row.plan is not None},
        no_plan=len(data.no_plan),
        tasks_with_results=sum(1 for t in data.tasks if sum(t.statuses.values())),
    )


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, DEBUG=True), transaction.atomic():
        first = io.StringIO()
        call_command("load_demo", stdout=first)
        after_first = _counts()
        today = services.today()
        danang = Unit.objects.current().get(code=PROVINCE)
        year, plans = reporting_plans(danang, today.year)
        periods = sorted({p for plan in plans for p in services.periods_for(plan)}, key=lambda p: p.end)
        current = {services.current_period(plan) for plan in plans} - {None}
        reports = [
            _report_facts(r)
            for r in Report.objects.filter(unit__path__startswith=danang.path, year=year)
            .exclude(unit=danang)
            .select_related("unit", "plan", "accepted_by")
            .order_by("period_kind", "period_number", "unit__path")
        ]
        rollups = {period: _rollup_facts(rollup.build(danang, period)) for period in periods}
        communes = city_communes()
        stages = {
            u.code: (
                u.plans.filter(year=year, is_latest=True).values_list("status", flat=True).first() or "none"
            )
            for u in communes
        }
        city_reports = [
            SimpleNamespace(
                period=r.period,
                state=r.state,
                results=r.results,
                entered=r.entries.filter(is_entered=True).count(),
                total=r.entries.count(),
                document=r.document.get_state_display() if r.document_id else None,
                signed=bool(r.document_id and r.document.signed_pdf),
                number=r.document.number if r.document_id else None,
            )
            for r in Report.objects.filter(unit=danang, year=year).select_related("document")
        ]
        second = io.StringIO()
        call_command("load_demo", stdout=second)
        facts = SimpleNamespace(
            first=first.getvalue(),
            second=second.getvalue(),
            after_first=after_first,
            after_second=_counts(),
            today=today,
            now=timezone.now(),
            year=year,
            units=[plan.unit.code for plan in plans],
            periods=periods,
            current=current,
            reports=reports,
            rollups=rollups,
            fallback_year=reporting_plans(danang, year + 1)[0],
            stages=stages,
            city_reports=city_reports,
            media=sorted(str(p.relative_to(media)) for p in (media / "evidence").rglob("*.pdf")),
        )
        transaction.set_rollback(True)
    return facts


def closed(demo) -> list[SimpleNamespace]:
    return [r for r in demo.reports if r.first_submitted_at is not None]


def test_the_issued_commune_plans_report(demo):
    # demo.plans issues Phường Tam Kỳ's 2026 plan (its rules copied from the city's); Bàn Thạch's
    # is a draft, so it does not report.
    assert "20341" in demo.units and "20335" not in demo.units
    assert demo.year == 2026 or demo.year == demo.today.year
    assert demo.fallback_year == demo.year  # a year without plans falls back to the demo's
    assert "Báo cáo minh họa:" in demo.first and "báo cáo của" in demo.first


def test_every_closed_period_has_a_full_report(demo):
    due = [p for p in demo.periods if p not in demo.current and p.deadline(20) < demo.today]
    assert due, "the demo year has closed periods"
    not_sent = 0
    for period in due:
        for unit in demo.units:
            report = next((r for r in demo.reports if r.unit == unit and r.period == period), None)
            if report is None:
                not_sent += 1
                continue
            assert report.state in (ReportState.SUBMITTED, ReportState.ACCEPTED)
            assert report.entered == report.total > 0
            assert all(n.strip() for n in report.narratives)
            assert report.with_results >= 3  # target values entered
            assert report.results.startswith("- ")  # the narrative composed from the entries
    assert sum(len(r.links) for r in closed(demo)) >= 3
    assert all(link.startswith("https://danang.gov.vn/") for r in demo.reports for link in r.links)
    assert 0 < not_sent <= 0.05 * len(due) * len(demo.units)  # a few never sent
    files = [f for r in demo.reports for f in r.files]
    assert files and set(files) <= set(demo.media)  # small PDF files, stored
    others = {name.split("/")[2] for name in set(demo.media) - set(files)}
    assert len(others) <= 1  # the rest is the city's own evidence, under one unit
    statuses = [s for r in closed(demo) for s in r.statuses]
    assert statuses.count("done_on_time") + statuses.count("in_progress") > 0.7 * len(statuses)


def test_submissions_are_dated_around_the_deadline(demo):
    for report in closed(demo):
        submitted = timezone.localtime(report.first_submitted_at).date()
        assert report.period.end < submitted < demo.today
        assert report.is_late == (submitted > report.deadline)
        assert submitted <= report.deadline + datetime.timedelta(days=30)
        assert all(at <= report.submitted_at for at in report.entry_times)  # a fix after a return too
        assert report.created_at < report.first_submitted_at
        times = [at for _, at, _, _ in report.events]
        assert times == sorted(times) and times[-1] < demo.now
    assert any(r.is_late for r in closed(demo))
    assert any(not r.is_late for r in closed(demo))


def test_most_are_accepted_by_the_reviewer_some_wait_one_was_returned(demo):
    accepted = [r for r in closed(demo) if r.state == ReportState.ACCEPTED]
    assert accepted and all(r.accepted_by == REVIEWER for r in accepted)
    assert all(r.submitted_at < r.accepted_at < demo.now for r in accepted)
    assert all(r.events[-1][0] == "accepted" and r.events[-1][1] == r.accepted_at for r in accepted)
    assert any(r.state == ReportState.SUBMITTED for r in closed(demo))  # awaiting review
    returned = [r for r in closed(demo) if any(a == "returned" for a, *_ in r.events)]
    assert returned
    for report in returned:
        actions = [a for a, *_ in report.events]
        assert actions[:3] == ["submitted", "returned", "resubmitted"]
        assert report.events[1][2] == REVIEWER and report.events[1][3]  # with a reason
        assert report.state == ReportState.ACCEPTED


def test_the_open_period_is_half_done(demo):
    for period in demo.current:
        drafts = [r for r in demo.reports if r.period == period]
        assert all(r.state == ReportState.DRAFT for r in drafts)
        assert drafts, "at least one unit has started"
        assert all(0 < r.entered < r.total for r in drafts)
        assert all(max(r.entry_times) < demo.now for r in drafts)
        assert demo.rollups[period].submitted == 0


def test_the_reviewer_sees_plausible_completeness(demo):
    for period, data in demo.rollups.items():
        # Every commune is expected to report: those without a plan are counted (and listed).
        assert data.expected == len(demo.units) + data.no_plan
        if period in demo.current or period.deadline(20) >= demo.today:
            continue
        assert 95.0 <= 100 * data.submitted / len(demo.units) < 100.0  # a few communes never sent theirs
        assert 0 <= data.timeliness <= 100 and data.on_time <= data.submitted
        assert data.tasks_with_results > 0  # the results roll up through the cascade links
        states = list(data.states.values())
        assert all(
            s in (ReportState.SUBMITTED, ReportState.ACCEPTED, ReportState.NOT_STARTED) for s in states
        )
        assert states.count(ReportState.NOT_STARTED) == len(demo.units) - data.submitted  # never sent


def test_a_second_run_creates_nothing(demo):
    assert demo.after_second == demo.after_first
    assert demo.after_first["Report"] == len(demo.reports) + len(demo.city_reports) > 0
    assert "giữ nguyên" in demo.second.split("Nạp báo cáo minh họa")[1]


@pytest.mark.parametrize("count", [1, 3, 40, 200])
def test_outcomes_spread_over_many_reports(count):
    latest = list(range(count - min(count, 20), count))
    outcomes = _outcomes(count, latest, random.Random(2026))
    pending = [i for i, o in enumerate(outcomes) if o.pending]
    late = sum(o.late for o in outcomes)
    returned = sum(o.returned for o in outcomes)
    assert len(pending) == min(2, count - 1) and set(pending) <= set(latest)
    assert late >= 1 and returned >= 1
    if count >= 40:
        assert late <= 0.15 * count and returned <= 0.08 * count
        assert not any(o.late and o.returned for o in outcomes)
        not_sent = [o for o in outcomes if o.not_sent]
        assert not_sent and not any(o.pending or o.late or o.returned for o in not_sent)
    else:
        assert not any(o.not_sent for o in outcomes)


def test_every_commune_of_the_city_is_in_the_demo(demo):
    stages = list(demo.stages.values())
    assert len(stages) == 94
    assert stages.count(Status.ISSUED) == len(demo.units) == 85
    assert stages.count(Status.DRAFT) + stages.count(Status.SUBMITTED) == 4 and Status.SUBMITTED in stages
    assert stages.count("none") == 5
    assert "94 xã, phường, đặc khu của Đà Nẵng: 85 đã ban hành kế hoạch" in demo.first


def test_the_spread_of_a_real_city(demo):
    states = [r.state for r in demo.reports]
    assert {ReportState.ACCEPTED, ReportState.SUBMITTED, ReportState.DRAFT} <= set(states)
    assert any(r.is_late for r in closed(demo))
    assert len([r for r in closed(demo) if any(a == "returned" for a, *_ in r.events)]) >= 5
    latest = max((p for p in demo.periods if p not in demo.current), key=lambda p: p.end)
    assert demo.rollups[latest].submitted > 80
    waiting = [r for r in closed(demo) if r.state == ReportState.SUBMITTED]
    assert len(waiting) > 2 and all(r.period == latest for r in waiting)


def test_the_city_reports_from_its_communes_and_signs_one(demo):
    due = [p for p in demo.periods if p not in demo.current and p.deadline(20) < demo.today]
    assert sorted(r.period for r in demo.city_reports) == sorted(due)
    for report in demo.city_reports:
        assert report.state == ReportState.SUBMITTED and report.entered == report.total > 0
        assert "đơn vị đã gửi báo cáo" in report.results  # drafted from the communes' reports
        assert "Kết quả nổi bật của các đơn vị dẫn đầu:" in report.results
    signed = [r for r in demo.city_reports if r.signed]
    assert len(signed) == 1 and signed[0].number and signed[0].period == max(due, key=lambda p: p.end)
