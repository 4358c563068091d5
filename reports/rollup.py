"""The superior unit's view of a period: who has reported, and the results rolled up through the
cascade links (province → (district) → commune) — in a fixed number of queries whatever the
number of units.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Case, Count, F, Q, Sum, When
from django.utils.translation import gettext_lazy as _

from plans.models import Aggregation, Plan, Status, Target, Task
from reports.models import DONE, Entry, EntryStatus, Report, ReportState, TargetResult
from reports.periods import Period
from units.models import Unit

SUBMITTED_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED)
# The narrative of a report: not needed to count and list reports.
NARRATIVE = ("strengths", "weaknesses", "causes", "next_tasks", "proposals", "accepted_snapshot")


@dataclass
class UnitRow:
    unit: Unit
    plan: Plan | None
    report: Report | None
    entered: int = 0
    total: int = 0
    done: int = 0
    progress: float = 0.0  # average % over the unit's tasks

    @property
    def percent(self) -> int:
        """The average progress rounded, as the pages show it (cheaper than |floatformat)."""
        return round(self.progress)

    @property
    def state(self) -> str:
        if self.plan is None:
            return "no_plan"
        return self.report.state if self.report else ReportState.NOT_STARTED

    @property
    def state_label(self) -> str:
        if self.plan is None:
            return str(_("Chưa có kế hoạch"))
        return str(self.report.get_state_display() if self.report else ReportState.NOT_STARTED.label)

    @property
    def has_submitted(self) -> bool:
        return self.report is not None and self.report.first_submitted_at is not None

    @property
    def is_clean(self) -> bool:
        """Submitted, every task entered: what bulk acceptance may take."""
        return (
            self.report is not None
            and self.report.state == ReportState.SUBMITTED
            and self.entered == self.total
        )


@dataclass
class TaskRoll:
    task: Task
    units: int = 0  # units whose plan carries the task
    statuses: Counter = field(default_factory=Counter)
    targets: list[dict[str, Any]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(self.statuses[s] for s in DONE)

    @property
    def status_rows(self) -> list[tuple[str, int]]:
        """(label, count) in the order of the status list (a Counter cannot be iterated in a
        template: `.items` would look up the key "items")."""
        return [
            (str(label), self.statuses[value]) for value, label in EntryStatus.choices if self.statuses[value]
        ]


class Rates:
    """Completeness (submitted of expected) and timeliness (on time of submitted), in %."""

    expected: int
    submitted: int
    on_time: int

    @property
    def completeness(self) -> float:
        return 100 * self.submitted / self.expected if self.expected else 0.0

    @property
    def timeliness(self) -> float:
        return 100 * self.on_time / self.submitted if self.submitted else 0.0


@dataclass
class Rollup(Rates):
    unit: Unit
    period: Period
    plan: Plan | None
    rows: list[UnitRow]
    tasks: list[TaskRoll]
    include_unaccepted: bool

    @property
    def expected(self) -> int:
        return sum(1 for r in self.rows if r.plan is not None)

    @property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.has_submitted)

    @property
    def on_time(self) -> int:
        return sum(1 for r in self.rows if r.has_submitted and not r.report.is_late)


def _plans_below(unit: Unit, year: int) -> dict[int, Plan]:
    """unit id → the latest issued plan of the year, for every unit strictly below `unit`."""
    plans = (
        Plan.objects.filter(unit__path__startswith=unit.path, year=year, status=Status.ISSUED)
        .exclude(unit=unit)
        .order_by("unit_id", "-version")
    )
    chosen: dict[int, Plan] = {}
    for plan in plans.only("pk", "unit_id", "version", "parent_plan_id"):
        chosen.setdefault(plan.unit_id, plan)
    return chosen


def _root(prefix: str, field: str, own_ids: list[int], *, two_levels: bool) -> Case | F:
    """The superior row (task or target) of `own_ids` that a row below implements: its superior,
    or (`two_levels`, when plans between ours and the units' exist) its superior's superior — a
    commune's task under a district's under the province's."""
    if not two_levels:
        return F(f"{prefix}{field}_id")
    return Case(
        When(**{f"{prefix}{field}_id__in": own_ids}, then=F(f"{prefix}{field}_id")),
        default=F(f"{prefix}{field}__{field}_id"),
    )


def build(
    unit: Unit,
    period: Period,
    *,
    include_unaccepted: bool = True,
    reporting_only: bool = True,
    with_tasks: bool = True,
) -> Rollup:
    """Every unit below `unit` that has (or should have) a plan for the year, with its report for
    the period; and (`with_tasks`) the superior plan's tasks with what the units did, through the
    cascade links, counted and summed by the database.

    Queries: units, plans, reports, entry counts, own plan, own tasks + targets, units per task,
    statuses per task, target sums — nine, whatever the number of units; each returns one row per
    unit or per superior task, not one per entry."""
    from reports.services import plan_for

    units = list(
        Unit.objects.filter(path__startswith=unit.path, depth__gt=unit.depth)
        .valid_on(period.end)
        .select_related("kind")
        .order_by("path")
    )
    plans = _plans_below(unit, period.year)
    if reporting_only:
        # Units that report: those with a plan, and communes (expected to have one).
        units = [u for u in units if u.pk in plans or u.kind.level in ("commune", "district")]
    reports = {
        r.unit_id: r
        for r in Report.objects.filter(
            unit__in=[u.pk for u in units],
            year=period.year,
            period_kind=period.kind,
            period_number=period.number,
        ).defer(*NARRATIVE)
    }
    report_ids = [r.pk for r in reports.values()]
    counts = {
        row["report_id"]: row
        for row in Entry.objects.filter(report_id__in=report_ids)
        .values("report_id")
        .annotate(
            total=Count("pk"),
            entered=Count("pk", filter=Q(is_entered=True)),
            done=Count("pk", filter=Q(status__in=list(DONE))),
            progress=Avg("progress"),
        )
        .order_by()
    }
    own_plan = plan_for(unit, period.year)
    task_rolls: dict[int, TaskRoll] = {}
    if own_plan is not None and with_tasks:
        own_tasks = list(
            own_plan.tasks.prefetch_related("targets").order_by("group__position", "position", "pk")
        )
        task_rolls = {t.pk: TaskRoll(t) for t in own_tasks}
        own_ids = list(task_rolls)
        # Plans that implement a plan below ours (a district's): then the chain has two links.
        two_levels = any(p.parent_plan_id != own_plan.pk for p in plans.values())
        carried = (
            Task.objects.filter(plan_id__in=[p.pk for p in plans.values()])
            .annotate(root=_root("", "superior_task", own_ids, two_levels=two_levels))
            .values("root")
            .annotate(units=Count("plan_id", distinct=True))  # one plan per unit (_plans_below)
            .order_by()
        )
        for row in carried:
            if row["root"] in task_rolls:
                task_rolls[row["root"]].units = row["units"]
        shown = [r.pk for r in reports.values() if include_unaccepted or r.state == ReportState.ACCEPTED]
        statuses = (
            Entry.objects.filter(report_id__in=shown)
            .annotate(root=_root("task__", "superior_task", own_ids, two_levels=two_levels))
            .values("root", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in statuses:
            if row["root"] in task_rolls:
                task_rolls[row["root"]].statuses[row["status"]] += row["n"]
        # Targets: the units' targets copied from ours (superior_target chain), aggregated.
        own_targets = [t.pk for roll in task_rolls.values() for t in roll.task.targets.all()]
        sums = {
            row["root"]: row
            for row in TargetResult.objects.filter(entry__report_id__in=shown, achieved__isnull=False)
            .annotate(root=_root("target__", "superior_target", own_targets, two_levels=two_levels))
            .values("root")
            .annotate(
                n=Count("pk"),
                total=Sum("achieved"),
                reached=Count("pk", filter=Q(achieved__gte=F("target__value"))),
            )
            .order_by()
        }
        for roll in task_rolls.values():
            for target in roll.task.targets.all():
                roll.targets.append(_aggregate(target, sums.get(target.pk)))
    rows = []
    for u in units:
        report = reports.get(u.pk)
        count = counts.get(report.pk) if report else None
        rows.append(
            UnitRow(
                unit=u,
                plan=plans.get(u.pk),
                report=report,
                entered=count["entered"] if count else 0,
                total=count["total"] if count else 0,
                done=count["done"] if count else 0,
                progress=float(count["progress"] or 0) if count else 0.0,
            )
        )
    return Rollup(unit, period, own_plan, rows, list(task_rolls.values()), include_unaccepted)


def _aggregate(target: Target, sums: dict[str, Any] | None) -> dict[str, Any]:
    """The units' results for one of our targets: their sum, average, or the share of units that
    reached their own target value."""
    n = sums["n"] if sums else 0
    if not n:
        value = None
    elif target.aggregation == Aggregation.SUM:
        value = Decimal(sums["total"])
    elif target.aggregation == Aggregation.AVERAGE:
        value = Decimal(sums["total"]) / n
    else:
        value = Decimal(100 * sums["reached"]) / n
    return {
        "target": target,
        "value": value,
        "units": n,
        "is_share": target.aggregation == Aggregation.SHARE,
    }


# --- PAR-style score of each unit's communication work ----------------------------------------------------------


@dataclass
class ScoreRow:
    unit: Unit
    report: Report | None
    items: int = 0  # targets (or, for a task without targets, the task itself)
    reached: int = 0
    online: list[Entry] = field(default_factory=list)  # done/ongoing entries through online channels
    traditional: list[Entry] = field(default_factory=list)
    short: list[str] = field(default_factory=list)  # what was not reached, for the reader

    @property
    def completion(self) -> float:
        return self.reached / self.items if self.items else 0.0

    @property
    def completion_points(self) -> float:
        """PAR INDEX rule: 100% of targets → 1; from 90% to 100% → pro rata; under 90% → 0."""
        ratio = self.completion
        if ratio >= 1:
            return 1.0
        return round(ratio, 2) if ratio >= 0.9 else 0.0

    @property
    def online_points(self) -> float:
        return 0.5 if self.online else 0.0

    @property
    def traditional_points(self) -> float:
        return 0.5 if self.traditional else 0.0

    @property
    def total(self) -> float:
        return self.completion_points + self.online_points + self.traditional_points


def scores(unit: Unit, period: Period, *, include_unaccepted: bool = True) -> list[ScoreRow]:
    """Each reporting unit below `unit`, ranked by its score for the period, with the entries
    behind each point. Fixed number of queries."""
    from plans.models import Channel

    data = build(unit, period, include_unaccepted=include_unaccepted)
    reports = [
        r.report
        for r in data.rows
        if r.report is not None and (include_unaccepted or r.report.state == ReportState.ACCEPTED)
    ]
    entries = list(
        Entry.objects.filter(report__in=reports)
        .select_related("task")
        .prefetch_related("evidence", "results")
        .order_by("report_id", "task__position", "pk")
    )
    modes: dict[int, set[str]] = defaultdict(set)
    through = Task.channels.through.objects.filter(task_id__in={e.task_id for e in entries})
    for task_id, mode in through.values_list("task_id", "channel__mode"):
        modes[task_id].add(mode)
    targets: dict[int, list[Target]] = defaultdict(list)
    for target in Target.objects.filter(task_id__in={e.task_id for e in entries}):
        targets[target.task_id].append(target)
    rows = {r.unit.pk: ScoreRow(r.unit, r.report) for r in data.rows if r.plan is not None}
    by_report = {r.pk: r.unit_id for r in reports}
    for entry in entries:
        row = rows.get(by_report[entry.report_id])
        if row is None:
            continue
        achieved = {res.target_id: res.achieved for res in entry.results.all()}
        task_targets = targets.get(entry.task_id, [])
        if task_targets:
            for target in task_targets:
                row.items += 1
                value = achieved.get(target.pk)
                if value is not None and value >= target.value:
                    row.reached += 1
                else:
                    row.short.append(f"{target.name}: {value if value is not None else '—'}/{target.value}")
        else:
            row.items += 1
            if entry.status in DONE:
                row.reached += 1
            else:
                row.short.append(entry.task.title[:80])
        if entry.status in DONE or (entry.status == EntryStatus.IN_PROGRESS and entry.evidence.all()):
            if Channel.Mode.ONLINE in modes[entry.task_id]:
                row.online.append(entry)
            if Channel.Mode.TRADITIONAL in modes[entry.task_id]:
                row.traditional.append(entry)
    return sorted(rows.values(), key=lambda r: (-r.total, -r.completion, r.unit.full_name))


# --- completeness over the year (a chart on the review page) ------------------------------------------------------


@dataclass
class PeriodBar(Rates):
    period: Period
    expected: int
    submitted: int
    on_time: int


def completeness_by_period(unit: Unit, periods: list[Period]) -> list[PeriodBar]:
    """For each period, how many units below `unit` with a plan submitted, and on time (three
    queries whatever the number of units or periods)."""
    if not periods:
        return []
    year = periods[0].year
    expected = len(_plans_below(unit, year))
    counts: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    submitted = (
        Report.objects.filter(unit__path__startswith=unit.path, year=year, first_submitted_at__isnull=False)
        .exclude(unit=unit)
        .values_list("period_kind", "period_number", "is_late")
    )
    for kind, number, late in submitted:
        counts[(kind, number)][0] += 1
        counts[(kind, number)][1] += 0 if late else 1
    return [
        PeriodBar(p, expected, counts[(p.kind, p.number)][0], counts[(p.kind, p.number)][1]) for p in periods
    ]


# --- the national overview (Bộ Nội vụ): every province for one period ---------------------------------------------


@dataclass
class ProvinceRow(Rates):
    unit: Unit
    communes: int = 0  # communes (and, before 1 July 2025, districts) in force at the period's end
    expected: int = 0  # of which with an issued plan for the year
    submitted: int = 0
    on_time: int = 0
    accepted: int = 0
    awaiting: int = 0  # submitted, not yet reviewed
    progress: float | None = None  # average of the sent reports' progress (each as submitted)


@dataclass
class National(Rates):
    period: Period
    rows: list[ProvinceRow]

    @property
    def expected(self) -> int:
        return sum(r.expected for r in self.rows)

    @property
    def submitted(self) -> int:
        return sum(r.submitted for r in self.rows)

    @property
    def on_time(self) -> int:
        return sum(r.on_time for r in self.rows)

    @property
    def communes(self) -> int:
        return sum(r.communes for r in self.rows)

    @property
    def accepted(self) -> int:
        return sum(r.accepted for r in self.rows)


def national(period: Period) -> National:
    """Completeness, timeliness, review and average progress of every province's units for the
    period, counted by the database grouped on the province's path prefix: five queries whatever
    the number of provinces, communes or reports."""
    from django.db.models.functions import Substr

    steplen = Unit.steplen
    provinces = list(Unit.objects.filter(depth=1).valid_on(period.end).order_by("sort_key", "path"))
    below = {"depth__gt": 1}

    def by_province(queryset, path: str, **aggregates) -> dict[str, dict[str, Any]]:
        rows = (
            queryset.annotate(province=Substr(path, 1, steplen))
            .values("province")
            .annotate(**aggregates)
            .order_by()
        )
        return {row["province"]: row for row in rows}

    communes = by_province(
        Unit.objects.filter(**below, kind__level__in=("commune", "district")).valid_on(period.end),
        "path",
        n=Count("pk"),
    )
    plans = by_province(
        Plan.objects.filter(
            year=period.year,
            status=Status.ISSUED,
            unit__depth__gt=1,
            unit__kind__level__in=("commune", "district"),
        ),
        "unit__path",
        n=Count("unit", distinct=True),
    )
    reports = Report.objects.filter(
        unit__depth__gt=1, year=period.year, period_kind=period.kind, period_number=period.number
    )
    sent = Q(first_submitted_at__isnull=False)
    states = by_province(
        reports,
        "unit__path",
        submitted=Count("pk", filter=sent),
        on_time=Count("pk", filter=sent & Q(is_late=False)),
        accepted=Count("pk", filter=Q(state=ReportState.ACCEPTED)),
        awaiting=Count("pk", filter=Q(state=ReportState.SUBMITTED)),
    )
    progress = by_province(reports.filter(sent), "unit__path", avg=Avg("progress"))
    rows = []
    for unit in provinces:
        prefix = unit.path[:steplen]
        state = states.get(prefix, {})
        avg = progress.get(prefix, {}).get("avg")
        rows.append(
            ProvinceRow(
                unit=unit,
                communes=communes.get(prefix, {}).get("n", 0),
                expected=plans.get(prefix, {}).get("n", 0),
                submitted=state.get("submitted", 0),
                on_time=state.get("on_time", 0),
                accepted=state.get("accepted", 0),
                awaiting=state.get("awaiting", 0),
                progress=float(avg) if avg is not None else None,
            )
        )
    return National(period, rows)
