"""A reporting world: Đà Nẵng's plan for this year with two tasks for every commune, and the
plans of communes A and B cascaded from it and issued, reporting quarterly, 6-monthly and
yearly. The year is the current one, so the annual period is open whatever day the tests run."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from plans import services as plans
from plans.models import Aggregation
from reports.periods import Period
from reports.services import today
from units.models import Level, Role


def cascade(unit, province, *, by=None, rules=None, issued_on=None):
    """The unit's plan started from the province plan, its tasks given to the culture officer,
    and issued."""
    role = Role.objects.get(code="phong-van-hoa-xa-hoi")
    plan = plans.start_from_superior(unit, province, by=by)
    group = plans.group_for_role(plan, role)
    for task in plan.tasks.all():
        plans.move_task_to_group(task, group, None)
    plans.set_reporting_rules(plan, rules or {"quarterly": 20, "half_year": 20, "annual": 20})
    plans.submit(plan)
    plans.approve(plan)
    return plans.issue(plan, issued_on=issued_on)


def build_reporting(w: SimpleNamespace, more_targets=None, *, own_task: bool = False) -> SimpleNamespace:
    """`more_targets(radio_task, listing_task)` adds targets to the province's tasks before the
    plan is issued and cascaded. `own_task`: the city's plan also has a task of its own (its Sở
    Nội vụ's), carried by no plan below (`w.own_task`)."""
    year = today().year
    province = plans.create_plan(w.danang, year, by=w.reviewer)
    communes = plans.add_group(province, heading="UBND các xã, phường, đặc khu", lead_level=Level.COMMUNE)
    radio = plans.add_task(communes, title="Chuyên mục CCHC trên hệ thống truyền thanh")
    plans.add_target(radio, name="Chuyên đề phát thanh", unit_of_measure="chuyên đề", value=12)
    listing = plans.add_task(communes, title="Niêm yết công khai TTHC")
    plans.add_target(
        listing, name="TTHC được niêm yết", unit_of_measure="%", value=100, aggregation=Aggregation.SHARE
    )
    if more_targets is not None:
        more_targets(radio, listing)
    if own_task:
        snv = plans.add_group(province, heading="Sở Nội vụ", lead_unit=w.snv)
        w.own_task = plans.add_task(snv, title="Hướng dẫn, kiểm tra việc triển khai")
        plans.add_target(w.own_task, name="Cuộc kiểm tra", unit_of_measure="cuộc", value=4)
    # The communes report to the city by the 20th, the city to its superior by the 25th.
    city_rule = {"subordinate_deadline_day": 20, "deadline_day": 25}
    plans.set_reporting_rules(province, dict.fromkeys(("quarterly", "half_year", "annual"), city_rule))
    plans.submit(province, by=w.reviewer)
    plans.approve(province, by=w.reviewer)
    province = plans.issue(province, by=w.reviewer, issued_on=datetime.date(year, 1, 20))
    commune_plans = {
        key: cascade(unit, province, by=w.leader_a, issued_on=datetime.date(year, 2, 1))
        for key, unit in (("a", w.commune_a), ("b", w.commune_b))
    }
    w.year = year
    w.province_plan = province
    w.province_radio, w.province_listing = radio, listing
    w.plan_a, w.plan_b = commune_plans["a"], commune_plans["b"]
    w.annual = Period(year, "annual")
    w.q1 = Period(year, "quarterly", 1)
    return w


@pytest.fixture
def reporting(world) -> SimpleNamespace:
    return build_reporting(world)
