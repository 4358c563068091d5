"""The differential check (reports/differential.py): the roll-up's figures and the cumulative
reports' whole-period figures equal the ones recomputed from the rows, on small random worlds
(hypothesis) and on the demo city; and the check does catch a wrong figure.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import make_unit
from demo.reports import PROVINCE, reporting_plans
from plans.models import PeriodType, Plan, Status, Target, TargetKind, Task, TaskGroup
from plans.targets import UNIT_RULES
from reports import cumulative, differential, services
from reports.models import Entry, EntryStatus, Report, ReportState, TargetResult
from reports.periods import COUNT, SPAN, Period
from reports.tests.test_superior import _report
from units.models import Unit

pytestmark = pytest.mark.django_db

YEAR = 2026
PERIODS = [Period(YEAR, kind, n) for kind in SPAN for n in range(1, COUNT[kind] + 1)]
CUMULATIVE = [p for p in PERIODS if p.is_cumulative]

WORLDS = settings(
    max_examples=25,
    deadline=None,
    # No shrinking: shrinking a database world takes minutes; the failing draws are printed.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Small whole numbers often, so that a figure equals its target (the share's "reached").
amounts = st.one_of(
    st.integers(0, 12).map(Decimal), st.decimals(min_value=0, max_value=500, places=2, allow_nan=False)
)
figures = st.one_of(st.none(), amounts)


# --- a random world -------------------------------------------------------------------------------


class World:
    """A city, maybe a district, communes and an agency; plans in every state cascaded from the
    city's; reports for the period (another one, and earlier ones it covers) in every state, with
    random figures; the cumulative ones put together by the product (reports/cumulative.py)."""

    def __init__(self, draw):
        self.draw = draw
        # Cumulative periods half the time: their reports are put together from earlier ones.
        self.period = draw(st.sampled_from(CUMULATIVE) | st.sampled_from(PERIODS))
        # Another period's reports, outside this one (last year's when this is the year).
        outside = [p for p in PERIODS if p != self.period and not self.period.covers(p)]
        self.other = draw(st.sampled_from(outside or [Period(YEAR - 1, "annual")]))
        self.codes = iter(range(10_000, 99_999))
        self.city = make_unit("H5", "Thành phố Thử Nghiệm", "thanh-pho-tw")
        self.city_plan = self._plan(self.city, parent=None, superior_tasks=[], version=1)
        if draw(st.booleans()):  # a later draft, which nobody reports against
            self._plan(self.city, parent=None, superior_tasks=[], version=2, status=Status.DRAFT)
        self.district = self.district_plan = None
        if draw(st.booleans()):
            self.district = self._unit("Huyện", "huyen", self.city)
            self._subordinate(self.district, self.city_plan)
        for _ in range(draw(st.integers(2, 6))):
            under_district = self.district is not None and draw(st.booleans())
            parent = self.district if under_district else self.city
            unit = self._unit("Xã", draw(st.sampled_from(["xa", "phuong"])), parent, validity=True)
            superior = self.district_plan if under_district and self.district_plan else self.city_plan
            self._subordinate(unit, superior)
        self._subordinate(self._unit("Sở", "so-ban-nganh", self.city), self.city_plan)

    def _unit(self, label, kind, parent, *, validity=False):
        code = str(next(self.codes))
        when = (
            self.draw(st.sampled_from(["current", "current", "current", "dissolved", "future"]))
            if validity
            else "current"
        )
        dates = {
            "current": {"valid_from": datetime.date(2025, 7, 1)},
            "dissolved": {
                "valid_from": datetime.date(2025, 7, 1),
                "valid_to": self.period.end - datetime.timedelta(days=1),
            },
            "future": {"valid_from": self.period.end + datetime.timedelta(days=1)},
        }[when]
        return make_unit(code, f"{label} {code}", kind, Unit.objects.get(pk=parent.pk), **dates)

    def _plan(self, unit, *, parent, superior_tasks, version, status=Status.ISSUED):
        previous = Plan.objects.filter(unit=unit, year=YEAR, is_latest=True).first()
        Plan.objects.filter(unit=unit, year=YEAR).update(is_latest=False)
        plan = Plan.objects.create(
            unit=unit,
            year=YEAR,
            version=version,
            previous=previous,
            status=status,
            title=f"Kế hoạch {version}",
            parent_plan=parent,
        )
        group = TaskGroup.objects.create(plan=plan, heading="Nhiệm vụ")
        links = [task for task in superior_tasks if self.draw(st.integers(0, 4))]  # most are carried
        for n, superior in enumerate([*links, *([None] * self.draw(st.integers(0 if links else 1, 2)))]):
            task = Task.objects.create(plan=plan, group=group, title=f"Nhiệm vụ {n}", superior_task=superior)
            above = list(superior.targets.all()) if superior else []
            for position, target in enumerate(above or [None] * self.draw(st.integers(0, 3))):
                if target is not None and not self.draw(st.integers(0, 5)):
                    continue  # a target the unit left out
                kind = target.kind if target else self.draw(st.sampled_from(TargetKind.values))
                Target.objects.create(
                    task=task,
                    position=position,
                    name=target.name if target else f"Chỉ tiêu {n}.{position}",
                    unit_of_measure="lần",
                    value=target.value if target and self.draw(st.booleans()) else self.draw(amounts),
                    kind=kind,
                    aggregation=target.aggregation
                    if target
                    else self.draw(st.sampled_from(UNIT_RULES[kind])),
                    superior_target=target,
                )
        return plan

    def _subordinate(self, unit, superior: Plan):
        """The unit's plans (none, a draft, issued, amended) and its reports."""
        shape = self.draw(st.sampled_from(["none", "draft", "issued", "issued", "amended", "amended-draft"]))
        tasks = list(superior.tasks.all())
        plan = None
        if shape != "none":
            status = Status.DRAFT if shape == "draft" else Status.ISSUED
            plan = self._plan(unit, parent=superior, superior_tasks=tasks, version=1, status=status)
        if shape.startswith("amended"):
            status = Status.DRAFT if shape == "amended-draft" else Status.ISSUED
            amended = self._plan(unit, parent=superior, superior_tasks=tasks, version=2, status=status)
            plan = amended if status == Status.ISSUED else plan
        if unit.kind.level == "district":
            self.district_plan = plan
        if plan is None or plan.status != Status.ISSUED:
            return
        for period in dict.fromkeys((self.period, self.other, *self._earlier())):
            if self.draw(st.integers(0, 4)):
                self._report(unit, plan, period)

    def _earlier(self) -> list[Period]:
        """Earlier reports a cumulative period's report is put together from: a chain from the
        period's start (the first quarter, then the second…), stopping anywhere before the end.
        Neither a gap before a later report nor a period wholly covered: see the two
        test_a_remainder… tests."""
        chain: list[Period] = []
        cursor = self.period.start
        while True:
            following = [
                p for p in PERIODS if self.period.covers(p) and p.start == cursor and p.end < self.period.end
            ]
            if not following or not self.draw(st.integers(0, 2)):
                return chain
            chain.append(self.draw(st.sampled_from(following)))
            cursor = chain[-1].end + datetime.timedelta(days=1)

    def _report(self, unit, plan, period):
        state = self.draw(st.sampled_from(ReportState.values[1:]))  # not_started has no row
        sent = state in (ReportState.SUBMITTED, ReportState.ACCEPTED, ReportState.RETURNED) or (
            state == ReportState.DRAFT and self.draw(st.booleans())  # reopened after sending
        )
        report = Report.objects.create(
            unit=unit,
            plan=plan,
            year=period.year,
            period_kind=period.kind,
            period_number=period.number,
            deadline=period.deadline(20),
            state=state,
            first_submitted_at=timezone.now() if sent else None,
            is_late=sent and self.draw(st.booleans()),
        )
        for task in plan.tasks.all():
            if not self.draw(st.integers(0, 6)):
                continue  # an entry not created
            entry = Entry.objects.create(
                report=report,
                task=task,
                status=self.draw(st.sampled_from(EntryStatus.values)),
                progress=self.draw(st.integers(0, 100)),
                is_entered=self.draw(st.booleans()),
            )
            for target in task.targets.all():
                if self.draw(st.integers(0, 4)):
                    TargetResult.objects.create(
                        entry=entry,
                        target=target,
                        achieved=self.draw(st.one_of(figures, st.just(target.value))),
                        own=self.draw(figures),
                    )


def _world(data) -> World:
    world = World(data.draw)
    # Cumulative reports put together by the product, the shorter (earlier) periods first.
    reports = Report.objects.filter(unit__path__startswith=world.city.path)
    for report in sorted(reports, key=lambda r: (r.period.end, SPAN[r.period.kind])):
        cumulative.refresh(report)
    # Units reloaded: adding children changed their parents' rows.
    world.city.refresh_from_db()
    return world


# --- random worlds --------------------------------------------------------------------------------


@WORLDS
@given(data=st.data())
def test_the_rollup_equals_the_recomputation_on_random_worlds(data):
    with transaction.atomic():
        world = _world(data)
        for include_unaccepted in (True, False):
            found = differential.compare(world.city, world.period, include_unaccepted=include_unaccepted)
            assert [str(m) for m in found] == []
        assert [str(m) for m in differential.compare_cumulative(world.city, world.period)] == []
        transaction.set_rollback(True)


def test_units_without_a_plan_count_in_the_denominator(world):
    make_unit("20400", "Xã Không Kế Hoạch", "xa", world.danang)
    world.danang.refresh_from_db()
    period = Period(YEAR, "quarterly", 1)
    assert differential.compare(world.danang, period) == []


# --- the check can fail ------------------------------------------------------------------------


def _with_results(w, radio_a=12, radio_b=7):
    _report(w, w.commune_a, w.officer_a, radio=radio_a, listing=100)
    _report(w, w.commune_b, w.officer_b, radio=radio_b, listing=90, status=EntryStatus.IN_PROGRESS)


def test_a_wrong_figure_is_reported(reporting):
    w = reporting
    _with_results(w)
    product = differential.product_figures(w.danang, w.annual, include_unaccepted=True)
    mine = differential.recompute(w.danang, w.annual, include_unaccepted=True)
    assert differential.diff(product, mine) == []
    radio = mine.tasks[w.province_radio.pk]
    target = radio.targets[w.province_radio.targets.get().pk]
    assert (target.value, target.n, radio.units) == (Decimal("19.00"), 2, 2)
    assert radio.statuses == {EntryStatus.DONE_ON_TIME: 1, EntryStatus.IN_PROGRESS: 1}
    # A sum off by one, a status miscounted, a unit's progress and the completeness wrong.
    target.value += 1
    radio.statuses = {EntryStatus.DONE_ON_TIME: 2}
    row = mine.rows[w.commune_a.pk]
    row.progress += 1
    mine.completeness = Decimal("50.00")
    found = differential.diff(product, mine)
    assert {m.key for m in found} == {"target.value", "task.statuses", "row.progress", "completeness"}
    line = next(str(m) for m in found if m.key == "target.value")
    assert (
        line == "Chỉ tiêu “Chuyên đề phát thanh” — giá trị tổng hợp: hệ thống ghi 19,00, tính lại được 20,00"
    )


def test_a_changed_result_is_caught_by_the_recomputation(reporting):
    w = reporting
    _with_results(w)
    before = differential.product_figures(w.danang, w.annual, include_unaccepted=True)
    TargetResult.objects.filter(entry__report__unit=w.commune_b, target__name="Chuyên đề phát thanh").update(
        achieved=Decimal("9")
    )
    found = differential.diff(before, differential.recompute(w.danang, w.annual, include_unaccepted=True))
    assert [(m.key, m.product, m.recomputed) for m in found] == [
        ("target.value", Decimal("19.00"), Decimal("21.00"))
    ]


def _figures_for(w, period: Period, radio: str, *, own: str | None = None) -> Report:
    """Commune A's report for `period` with the radio target's figure, made directly (the
    period may be closed)."""
    report = Report.objects.create(
        unit=w.commune_a,
        plan=w.plan_a,
        year=period.year,
        period_kind=period.kind,
        period_number=period.number,
        deadline=period.deadline(20),
        state=ReportState.ACCEPTED,
    )
    task = w.plan_a.tasks.get(title__startswith="Chuyên mục")
    entry = Entry.objects.create(report=report, task=task, status=EntryStatus.IN_PROGRESS)
    TargetResult.objects.create(
        entry=entry, target=task.targets.get(), achieved=Decimal(radio), own=Decimal(own) if own else None
    )
    return report


def test_a_wrong_cumulative_figure_is_reported(reporting):
    w = reporting
    half = Period(w.year, "half_year", 1)
    _figures_for(w, w.q1, "5")
    report = _figures_for(w, half, "0", own="4")  # typed for 15/03–14/06, the first quarter reported
    cumulative.refresh(report)
    assert differential.compare_cumulative(w.danang, half) == []
    assert TargetResult.objects.get(entry__report=report).achieved == Decimal("9.00")
    TargetResult.objects.filter(entry__report=report).update(achieved=Decimal("4"))
    found = differential.compare_cumulative(w.danang, half)
    assert [str(m) for m in found] == [
        "Phường Tam Kỳ · Chuyên đề phát thanh — số liệu cả kỳ (cộng các kỳ trước và phần còn lại): "
        "hệ thống ghi 4,00, tính lại được 9,00"
    ]


def test_a_remainder_before_a_later_report_is_not_the_latest(reporting):
    # January's report and the second quarter's, none for February–March: the half-year's
    # percentage is the second quarter's (the latest state), not the figure typed for the gap.
    w = reporting
    half = Period(w.year, "half_year", 1)
    target = w.plan_a.tasks.get(title__startswith="Niêm yết").targets.get()  # a percentage
    assert target.kind == TargetKind.PERCENT
    for period, figure in ((Period(w.year, "monthly", 1), "60"), (Period(w.year, "quarterly", 2), "95")):
        report = _figures_for(w, period, "0")
        entry = Entry.objects.create(report=report, task=target.task)
        TargetResult.objects.create(entry=entry, target=target, achieved=Decimal(figure))
    report = _figures_for(w, half, "0")
    entry = Entry.objects.create(report=report, task=target.task)
    TargetResult.objects.create(entry=entry, target=target, own=Decimal("70"))
    cumulative.refresh(report)
    assert TargetResult.objects.get(entry=entry).achieved == Decimal("95.00")


def test_a_remainder_typed_when_earlier_reports_cover_the_whole_period_is_not_added(reporting):
    # The first and second quarters' reports cover the first half: a figure typed in the
    # half-year's report covers no month, and the half's count is the quarters' sum.
    w = reporting
    half = Period(w.year, "half_year", 1)
    _figures_for(w, w.q1, "5")
    _figures_for(w, Period(w.year, "quarterly", 2), "3")
    report = _figures_for(w, half, "0", own="4")
    cumulative.refresh(report)
    assert differential.compare_cumulative(w.danang, half) == []


# --- the drafted superior report ----------------------------------------------------------------------


def _drafted(w) -> Report:
    return services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)


def test_the_drafted_report_carries_the_recomputed_figures(reporting):
    w = reporting
    _with_results(w)
    # Every entry done at 100%: today's progress rule (done/units) and the mean agree.
    Entry.objects.filter(report__unit__in=[w.commune_a, w.commune_b]).update(
        status=EntryStatus.DONE_ON_TIME, progress=100
    )
    report = _drafted(w)
    assert differential.compare_drafted(report) == []
    # A figure changed by hand after the draft is caught.
    TargetResult.objects.filter(entry__report=report, target=w.province_radio.targets.get()).update(
        achieved=Decimal("18")
    )
    found = differential.compare_drafted(report)
    assert [(m.key, m.product, m.recomputed) for m in found] == [
        ("drafted.achieved", Decimal("18.00"), Decimal("19.00"))
    ]


def test_the_drafted_progress_is_the_units_mean(reporting):
    w = reporting
    _with_results(w)
    Entry.objects.filter(report__unit=w.commune_a).update(progress=100)
    Entry.objects.filter(report__unit=w.commune_b).update(progress=40)
    assert differential.compare_drafted(_drafted(w)) == []


# --- the command ----------------------------------------------------------------------------------


def test_check_figures_says_the_figures_match(reporting):
    w = reporting
    _with_results(w)
    Entry.objects.filter(report__unit__in=[w.commune_a, w.commune_b]).update(
        status=EntryStatus.DONE_ON_TIME, progress=100
    )
    _drafted(w)
    out = io.StringIO()
    call_command("check_figures", unit=["48"], period=w.annual.code, drafted=True, stdout=out)
    assert out.getvalue().strip() == "Đã kiểm tra 2 đơn vị, 2 nhiệm vụ, 2 chỉ tiêu: khớp."


def test_check_figures_refuses_an_unknown_period_or_unit(reporting):
    with pytest.raises(CommandError, match="Kỳ “2026-Q5” không hợp lệ"):
        call_command("check_figures", period="2026-Q5", stdout=io.StringIO())
    with pytest.raises(CommandError, match="Không có đơn vị mã “99”"):
        call_command("check_figures", unit=["99"], period="2026-Q1", stdout=io.StringIO())


# --- the demo city ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once for the module (rolled back after): the check of the city's latest
    closed quarter and of the year, by the command and by `compare`."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, DEBUG=True), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        city = Unit.objects.current().get(code=PROVINCE)
        year, plans = reporting_plans(city, services.today().year)
        periods = {p for plan in plans for p in services.periods_for(plan)}
        quarters = [p for p in periods if p.kind == PeriodType.QUARTERLY and p.end < services.today()]
        checked = [max(quarters, key=lambda p: p.end), Period(year, PeriodType.ANNUAL)]
        runs = []
        for period in checked:
            out = io.StringIO()
            try:
                call_command("check_figures", unit=[PROVINCE], period=period.code, stdout=out)
                error = None
            except CommandError as refusal:
                error = str(refusal)
            runs.append(
                SimpleNamespace(
                    period=period,
                    output=out.getvalue(),
                    error=error,
                    mismatches=[
                        m
                        for flag in (True, False)
                        for m in differential.compare(city, period, include_unaccepted=flag)
                    ],
                    figures=differential.recompute(city, period, include_unaccepted=True),
                    cumulative=differential.compare_cumulative(city, period),
                )
            )
        transaction.set_rollback(True)
    return runs


def test_the_demo_city_figures_match(demo_city):
    for run in demo_city:
        assert [str(m) for m in run.mismatches] == [], run.period
        # Something was compared: reports sent, tasks carried, targets with figures.
        assert run.figures.submitted > 0 or run.period.kind == PeriodType.ANNUAL
        assert any(task.units for task in run.figures.tasks.values())
        values = [t.value for task in run.figures.tasks.values() for t in task.targets.values()]
        assert any(v is not None for v in values) or run.period.kind == PeriodType.ANNUAL


def test_the_demo_city_cumulative_reports_are_whole(demo_city):
    for run in demo_city:
        assert [str(m) for m in run.cumulative] == [], run.period


def test_check_figures_passes_on_the_demo_city(demo_city):
    for run in demo_city:
        assert run.error is None, run.output
        assert run.output.rstrip().endswith(": khớp.")
