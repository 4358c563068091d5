"""A commune's report deadline comes from the city plan's day for the units below (before the
city's own), the city plan's non-working-day policy applies, and "chậm nhất ngày …" is on time:
submitted on the deadline day is on time, the next day is late."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cchc_portal.lib.workdays import is_working_day
from plans.models import NonWorkingDay, ReportingRule
from reports import services
from reports.models import EntryStatus
from reports.periods import Period

pytestmark = pytest.mark.django_db


def _rule(plan, kind):
    return ReportingRule.objects.filter(plan=plan, period_type=kind)


def _fill(report, by):
    for entry in report.entries.prefetch_related("task__targets"):
        data = {"status": EntryStatus.DONE_ON_TIME, "progress": "100", "narrative": "Đã làm"}
        data |= {f"target_{t.pk}": "1" for t in entry.task.targets.all()}
        values, errors = services.parse_entry(entry, data)
        assert not errors, errors
        services.save_entry(entry, values, expected_version=entry.lock_version, by=by)


def test_a_periods_deadline_says_what_the_calendar_says(settings):
    settings.REPORT_LATE_DAYS = 30
    second_quarter = Period(2026, "quarterly", 2)
    due = second_quarter.due(20)
    assert due.written.weekend and due.written.weekday_name == "Thứ Bảy" and not due.written.holiday
    assert due.written.previous_working_day == datetime.date(2026, 6, 19)
    assert second_quarter.deadline(20) == datetime.date(2026, 6, 20)  # kept as written
    assert second_quarter.deadline(20, NonWorkingDay.PREVIOUS) == datetime.date(2026, 6, 19)
    assert second_quarter.closes(20, NonWorkingDay.PREVIOUS) == datetime.date(2026, 7, 19)
    february = Period(2026, "monthly", 2).due(18)
    assert february.written.holiday == "Mùng hai Tết Nguyên Đán" and not february.written.weekend


def test_the_commune_reports_by_the_city_plans_day_for_units_before_the_city(reporting):
    w = reporting
    # The city: communes by the 16th, its own report by the 20th. The commune's own plan says 20.
    _rule(w.province_plan, "annual").update(subordinate_deadline_day=16, deadline_day=20)
    assert _rule(w.plan_a, "annual").get().deadline_day == 20
    report = services.open_report(w.commune_a, w.annual)
    assert report.deadline == datetime.date(w.year, 12, 16)
    city = services.window(w.province_plan, w.annual)
    assert report.deadline < city.deadline == datetime.date(w.year, 12, 20)
    assert services.window(w.plan_a, w.annual).deadline == report.deadline
    # Without a city rule for the kind, the commune's own rule decides.
    _rule(w.province_plan, "half_year").delete()
    _rule(w.plan_a, "half_year").update(deadline_day=22, subordinate_deadline_day=18)
    first_half = Period(w.year, "half_year", 1)
    assert services.window(w.plan_a, first_half).deadline == datetime.date(w.year, 6, 22)


def test_the_city_plans_policy_moves_the_communes_deadline_off_a_day_off(reporting):
    w = reporting
    # A units' day that falls on a weekend or holiday in the last month of this year's first quarter.
    day = next(d for d in range(15, 25) if not is_working_day(datetime.date(w.year, 3, d)))
    _rule(w.province_plan, "quarterly").update(subordinate_deadline_day=day, deadline_day=27)
    assert services.window(w.plan_a, w.q1).deadline == datetime.date(w.year, 3, day)  # kept as written
    _rule(w.province_plan, "quarterly").update(on_non_working_day=NonWorkingDay.PREVIOUS)
    moved = services.window(w.plan_a, w.q1).deadline
    assert moved < datetime.date(w.year, 3, day) and is_working_day(moved)
    assert services.open_report(w.commune_a, w.q1).deadline == moved


def test_submitted_on_the_deadline_day_is_on_time_the_next_day_late(reporting):
    w = reporting
    on_time, late = (services.open_report(unit, w.annual) for unit in (w.commune_a, w.commune_b))
    deadline = on_time.deadline
    assert deadline == late.deadline == datetime.date(w.year, 12, 20)
    for report in (on_time, late):
        _fill(report, w.officer_a if report is on_time else w.officer_b)
    last_minute = timezone.make_aware(datetime.datetime.combine(deadline, datetime.time(23, 59)))
    assert not services.submit(on_time, by=w.leader_a, now=last_minute).is_late
    next_morning = last_minute + datetime.timedelta(minutes=2)
    assert services.submit(late, by=w.leader_a, now=next_morning).is_late


def test_the_report_page_says_chậm_nhất_ngày(reporting, as_persona):
    w = reporting
    report = services.open_report(w.commune_a, w.annual)
    page = as_persona("officer_a").get(reverse("reports:report", args=[w.commune_a.pk, w.annual.code]))
    assert f"Gửi chậm nhất ngày {report.deadline:%d/%m/%Y}" in page.text
