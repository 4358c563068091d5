"""Reporting deadlines per level and per calendar (plans/deadlines.py, ReportingRule): the 2026 CCHC
deadlines on weekends flagged, moved to the previous working day (Tết included), rules leaving no
working day after the cut-off or for compiling refused in the model and in the editor, the units'
day before the plan unit's own, and "chậm nhất ngày …" in the plan's PDF."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from cchc_portal.lib.workdays import calendar_day, working_days
from plans import deadlines, services
from plans.models import NonWorkingDay, PeriodType, ReportingRule
from plans.pdf import render_plan_pdf
from plans.tests.test_pdf import normalised, read

pytestmark = pytest.mark.django_db

D = datetime.date
HTMX = {"HX-Request": "true"}
KINDS = ("monthly", "quarterly", "half_year", "nine_months", "annual")


def rules_post(**checked: tuple[int, int] | tuple[int, int, bool]) -> dict[str, str]:
    """The editor's rules form: {kind: (units' day, own day[, move])} checked, the rest unchecked."""
    data = {f"units_{k}": "17" for k in KINDS} | {f"day_{k}": "20" for k in KINDS}
    for kind, (units, own, *move) in checked.items():
        data |= {f"on_{kind}": "on", f"units_{kind}": str(units), f"day_{kind}": str(own)}
        if move and move[0]:
            data[f"move_{kind}"] = "on"
    return data


def test_three_of_the_four_2026_cchc_deadlines_fall_on_a_weekend():
    flagged = deadlines.non_working(2026, PeriodType.QUARTERLY, 20)
    assert [(d.period, d.written.date, d.written.weekday_name) for d in flagged] == [
        ("quý II", D(2026, 6, 20), "Thứ Bảy"),
        ("quý III", D(2026, 9, 20), "Chủ nhật"),
        ("quý IV", D(2026, 12, 20), "Chủ nhật"),
    ]
    assert flagged[0].warning("gửi cấp trên") == (
        "Hạn báo cáo quý II gửi cấp trên: Thứ Bảy 20/06/2026 (ngày nghỉ cuối tuần); ngày làm việc liền "
        "trước là Thứ Sáu 19/06/2026."
    )
    # Kept as written unless the rule moves them.
    assert [d.date for d in deadlines.dues(2026, PeriodType.QUARTERLY, 20, NonWorkingDay.KEEP)][1:] == [
        D(2026, 6, 20),
        D(2026, 9, 20),
        D(2026, 12, 20),
    ]
    assert [d.date for d in deadlines.dues(2026, PeriodType.QUARTERLY, 20, NonWorkingDay.PREVIOUS)] == [
        D(2026, 3, 20),
        D(2026, 6, 19),
        D(2026, 9, 18),
        D(2026, 12, 18),
    ]


def test_tet_is_a_holiday_and_a_deadline_on_it_moves_before_it():
    # Tết Bính Ngọ: 16–20/02/2026 off; a deadline on the 20th moves back over Tết and the weekend.
    day = calendar_day(D(2026, 2, 20))
    assert day.non_working and not day.weekend and day.holiday == "Mùng bốn Tết Nguyên Đán"
    assert day.previous_working_day == D(2026, 2, 13)
    due = deadlines.due(2026, PeriodType.MONTHLY, 2, 20, NonWorkingDay.PREVIOUS)
    assert due.moved and due.date == D(2026, 2, 13)
    # Tết Đinh Mùi 2027: 04–10/02/2027 off, a week with its weekend; the day before is 03/02.
    assert [calendar_day(D(2027, 2, n)).non_working for n in range(3, 12)] == [False] + [True] * 7 + [False]
    assert deadlines.due(2027, PeriodType.MONTHLY, 2, 10, NonWorkingDay.PREVIOUS).date == D(2027, 2, 3)
    assert working_days(D(2027, 2, 4), D(2027, 2, 11)) == 1


def test_a_deadline_moved_before_the_cut_off_is_refused():
    # February 2026: the units' 17th and the superior's 20th are both in Tết; moved, they fall on
    # 13/02, before the cut-off: no working day left after the 14th.
    errors = deadlines.rule_errors(2026, PeriodType.MONTHLY, 20, 17, NonWorkingDay.PREVIOUS)
    assert (
        "tháng 2 của các đơn vị (13/02/2026) không để lại ngày làm việc nào"
        in errors["subordinate_deadline_day"]
    )
    # Kept as written, the units' 17/02 leaves no working day either (15/02 Sunday, 16–17/02 Tết).
    errors = deadlines.rule_errors(2026, PeriodType.MONTHLY, 20, 17, NonWorkingDay.KEEP)
    assert "ngày chốt số liệu 14/02/2026" in errors["subordinate_deadline_day"]
    assert deadlines.rule_errors(2026, PeriodType.MONTHLY, 26, 23, NonWorkingDay.PREVIOUS) == {}


def test_the_model_refuses_a_day_leaving_zero_working_days(plans_world):
    plan = plans_world.plan_a  # 2026
    # 15/03/2026 is a Sunday: units due that day have no working day after the cut-off.
    rule = ReportingRule(
        plan=plan, period_type=PeriodType.QUARTERLY, deadline_day=20, subordinate_deadline_day=15
    )
    with pytest.raises(ValidationError) as refused:
        rule.full_clean(exclude=["plan"])
    assert "quý I của các đơn vị (15/03/2026) không để lại ngày làm việc nào" in str(refused.value)
    # 18/09/2026 (Fri) for the units, 20/09 (Sun) moved back to the same Friday: nothing to compile.
    rule = ReportingRule(
        plan=plan,
        period_type=PeriodType.QUARTERLY,
        deadline_day=20,
        subordinate_deadline_day=18,
        on_non_working_day=NonWorkingDay.PREVIOUS,
    )
    with pytest.raises(ValidationError, match="cần ít nhất 01 ngày làm việc để tổng hợp"):
        rule.full_clean(exclude=["plan"])
    # The service validates too (the editor is not the only way in).
    with pytest.raises(ValidationError):
        services.set_reporting_rules(
            plan, {"quarterly": {"deadline_day": 20, "subordinate_deadline_day": 15}}
        )
    # The database refuses units due on or after the plan unit's own day.
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportingRule.objects.create(
            plan=plan, period_type=PeriodType.ANNUAL, deadline_day=20, subordinate_deadline_day=20
        )


def test_the_units_report_before_the_plan_unit(plans_world):
    plan = plans_world.plan_a
    services.set_reporting_rules(plan, {"quarterly": 20})
    rule = plan.reporting_rules.get()
    assert (rule.subordinate_deadline_day, rule.deadline_day) == (17, 20)
    errors = deadlines.rule_errors(2026, PeriodType.QUARTERLY, 20, 20, NonWorkingDay.KEEP)
    assert "phải trước hạn đơn vị chủ trì kế hoạch gửi cấp trên" in errors["subordinate_deadline_day"]


def test_the_editor_refuses_and_flags_then_moves(as_persona, plans_world):
    w = plans_world
    url = reverse("plans:rules", args=[w.plan_a.pk])
    client = as_persona("leader_a")
    refused = client.post(url, rules_post(quarterly=(15, 20)), headers=HTMX)
    assert refused.status_code == 422
    assert "không để lại ngày làm việc nào sau ngày chốt số liệu 14/03/2026" in refused.text
    refused = client.post(url, rules_post(quarterly=(20, 20)), headers=HTMX)
    assert refused.status_code == 422 and "phải trước hạn đơn vị chủ trì" in refused.text

    saved = client.post(url, rules_post(quarterly=(17, 20)), headers=HTMX)
    assert saved.status_code == 200
    assert "Hạn báo cáo quý II gửi cấp trên: Thứ Bảy 20/06/2026 (ngày nghỉ cuối tuần)" in saved.text
    assert "Hạn báo cáo quý IV gửi cấp trên: Chủ nhật 20/12/2026" in saved.text
    assert "Lùi các hạn này về ngày làm việc liền trước" in saved.text
    rule = w.plan_a.reporting_rules.get()
    assert (rule.subordinate_deadline_day, rule.deadline_day, rule.on_non_working_day) == (17, 20, "keep")

    moved = client.post(url, rules_post(quarterly=(17, 20)) | {"move": "1"}, headers=HTMX)
    assert moved.status_code == 200 and "Hạn báo cáo quý" not in moved.text
    assert w.plan_a.reporting_rules.get().on_non_working_day == NonWorkingDay.PREVIOUS


def test_the_plan_pdf_says_chậm_nhất_per_level(plans_world):
    plan = plans_world.plan_a
    services.set_reporting_rules(
        plan,
        {
            "quarterly": {
                "subordinate_deadline_day": 17,
                "deadline_day": 20,
                "on_non_working_day": "previous",
            },
            "annual": {"subordinate_deadline_day": 17, "deadline_day": 20, "on_non_working_day": "previous"},
        },
    )
    body = normalised(read(render_plan_pdf(plan).pdf).body)
    assert "báo cáo kết quả thực hiện kế hoạch hằng quý và năm (chậm nhất ngày 17 của tháng cuối kỳ)" in body
    assert "tổng hợp, báo cáo cấp trên hằng quý và năm (chậm nhất ngày 20 của tháng cuối kỳ)" in body
    assert "trùng ngày nghỉ (thứ Bảy, Chủ nhật, ngày lễ, Tết) là ngày làm việc liền trước" in body
    assert "trước ngày 20" not in body
