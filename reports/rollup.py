"""The superior unit's view of a period: who has reported, and the results rolled up through the
cascade links (province → (district) → commune) — in a fixed number of queries whatever the
number of units.

Predecessors. A unit that started during the period (a commune formed on 1 July 2025, in the
2025 annual roll-up) carries what its predecessors (units/successions) reported in the same
period before the succession: each predecessor's latest report of the year that ended before the
succession date and started within the period (its first-half report), listed under the unit. Its
figures count in the roll-up by one rule, `PREDECESSOR_RULE`, applied in one place
(`_with_predecessors`) before the targets are aggregated by the same code as every unit's
(`_aggregate`). Whether a predecessor counts is decided by dates, never by a year.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import Avg, Case, Count, F, Q, Sum, When
from django.utils.translation import gettext_lazy as _

from cchc_portal.lib import formatting
from cchc_portal.lib.vietnamese import fold
from plans.models import Aggregation, Plan, Status, Target, Task
from reports.models import DONE, Entry, EntryStatus, Report, ReportState, TargetResult
from reports.periods import Period, PeriodError
from units.models import Unit, UnitSuccession

SUBMITTED_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED)
# The levels expected to report whether or not they have a plan (a commune with none is counted
# and listed as "Chưa có kế hoạch"); a unit of another level is expected once it has one.
REPORTING_LEVELS = ("commune", "district")
# A task's leading and lagging units are named when at least this many units carry it.
RANKED_FROM = 4
RANKED = 3
# The narrative of a report: not needed to count and list reports.
NARRATIVE = ("strengths", "weaknesses", "causes", "next_tasks", "proposals", "accepted_snapshot")


PREDECESSOR_RULE = _(
    "Đơn vị hình thành trong kỳ (sau sắp xếp) được tính kèm số liệu các đơn vị cũ đã báo cáo trong cùng kỳ "
    "trước ngày kế thừa (báo cáo gần nhất của năm, ví dụ 6 tháng đầu năm): kết quả của đơn vị cũ nhập toàn bộ "
    "được cộng vào chỉ tiêu cộng dồn cùng tên, cùng đơn vị tính; đơn vị cũ nhập một phần chỉ được liệt kê, "
    "không cộng (không chia được số liệu); chỉ tiêu trung bình và tỷ lệ không cộng số liệu đơn vị cũ."
)


@dataclass
class PredecessorRow:
    """What a predecessor reported in the period before the succession."""

    unit: Unit
    link: UnitSuccession
    report: Report
    entered: int = 0
    total: int = 0
    done: int = 0
    progress: float = 0.0

    @property
    def counted(self) -> bool:
        """Whether its figures are added to its successor's (PREDECESSOR_RULE)."""
        return self.link.extent == UnitSuccession.Extent.WHOLE

    @property
    def percent(self) -> int:
        return round(self.progress)


@dataclass
class UnitRow:
    unit: Unit
    plan: Plan | None
    report: Report | None
    entered: int = 0
    total: int = 0
    done: int = 0
    progress: float = 0.0  # average % over the unit's tasks
    predecessors: list[PredecessorRow] = field(default_factory=list)

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
    def expected(self) -> bool:
        """Expected to report: a commune (or district) valid at the period's end, or any unit
        below with an issued plan for the year."""
        return self.plan is not None or self.unit.kind.level in REPORTING_LEVELS

    @property
    def has_submitted(self) -> bool:
        return self.report is not None and self.report.first_submitted_at is not None

    @property
    def is_late(self) -> bool:
        return self.has_submitted and self.report.is_late

    @property
    def is_clean(self) -> bool:
        """Submitted, every task entered: what bulk acceptance may take."""
        return (
            self.report is not None
            and self.report.state == ReportState.SUBMITTED
            and self.entered == self.total
        )


@dataclass
class UnitTask:
    """One unit's entries for a superior task (in a report included in the roll-up)."""

    unit: Unit
    entries: int = 0
    done: int = 0
    started: int = 0  # entries not "not started"
    progress_sum: int = 0

    @property
    def progress(self) -> float:
        """The unit's entry progress for the task (the mean of its entries when several of its
        tasks implement it)."""
        return self.progress_sum / self.entries if self.entries else 0.0

    @property
    def is_done(self) -> bool:
        return bool(self.entries) and self.done == self.entries


@dataclass
class TaskRoll:
    """A task of the superior's plan. Rolled up when plans below implement it (`units` > 0):
    then its counts, progress and figures come from the units' entries in the included reports;
    otherwise it is the superior's own task, reported from its own entry."""

    task: Task
    units: int = 0  # units whose plan carries the task
    statuses: Counter = field(default_factory=Counter)
    targets: list[dict[str, Any]] = field(default_factory=list)
    reported: list[UnitTask] = field(default_factory=list)  # units carrying it, report included

    @property
    def is_rolled_up(self) -> bool:
        return self.units > 0

    @property
    def done(self) -> int:
        return sum(self.statuses[s] for s in DONE)

    @property
    def not_reported(self) -> int:
        """Units carrying the task whose report is not included (not sent, or not accepted when
        only accepted reports count)."""
        return max(self.units - len(self.reported), 0)

    @cached_property
    def progress(self) -> float | None:
        """The mean of the reporting units' entry progress (not the share of units done)."""
        if not self.reported:
            return None
        return sum(u.progress for u in self.reported) / len(self.reported)

    @property
    def all_done(self) -> bool:
        """Every carrying unit reported it done."""
        return self.units > 0 and len(self.reported) == self.units and all(u.is_done for u in self.reported)

    @property
    def started(self) -> bool:
        return any(u.started for u in self.reported)

    @cached_property
    def leading(self) -> list[UnitTask]:
        """The (up to 3) units furthest ahead by their entry progress, ties by name; only when
        at least 4 units carry the task."""
        if self.units < RANKED_FROM:
            return []
        return sorted(self.reported, key=lambda u: (-u.progress, u.unit.full_name))[:RANKED]

    @cached_property
    def lagging(self) -> list[UnitTask]:
        """The (up to 3) units furthest behind, ties by name; only when at least 4 units carry it."""
        if self.units < RANKED_FROM:
            return []
        return sorted(self.reported, key=lambda u: (u.progress, u.unit.full_name))[:RANKED]

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
    """A unit's roll-up for a period. Expected: every unit strictly below valid at the period's
    end whose level is commune or district, plus any other unit below with an issued plan for
    the year (one without a plan is counted and listed as "Chưa có kế hoạch"). Submitted: its
    report has `first_submitted_at`; on time: submitted and not `is_late`; late: submitted and
    `is_late`; silent: expected and not submitted (no plan, not started, a draft)."""

    unit: Unit
    period: Period
    plan: Plan | None
    rows: list[UnitRow]
    tasks: list[TaskRoll]
    include_unaccepted: bool

    @cached_property
    def expected(self) -> int:
        """Every unit expected to report (`UnitRow.expected`), those without a plan included."""
        return sum(1 for r in self.rows if r.expected)

    @cached_property
    def late(self) -> list[UnitRow]:
        return [r for r in self.rows if r.is_late]

    @cached_property
    def silent(self) -> list[UnitRow]:
        """Expected and not submitted: no plan, not started or still a draft."""
        return [r for r in self.rows if r.expected and not r.has_submitted]

    @cached_property
    def no_plan(self) -> list[UnitRow]:
        return [r for r in self.rows if r.expected and r.plan is None]

    @property
    def has_predecessors(self) -> bool:
        return any(r.predecessors for r in self.rows)

    @property
    def predecessor_rule(self) -> str:
        return str(PREDECESSOR_RULE)

    @cached_property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.expected and r.has_submitted)

    @cached_property
    def on_time(self) -> int:
        return sum(1 for r in self.rows if r.expected and r.has_submitted and not r.report.is_late)


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
    the period: the expected units are every unit strictly below valid at the period's end whose
    level is commune or district, plus any other unit below with an issued plan for the year; and (`with_tasks`) the superior plan's tasks with what the units did, through the
    cascade links, counted and summed by the database.

    Queries: units, plans, reports, entry counts, own plan, own tasks, their targets, units per
    task, statuses per task, target sums — ten, whatever the number of units; each returns one row
    per unit or per superior task, not one per entry. When units started during the period, four
    more for their predecessors (links, reports, entry counts, target sums)."""
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
        units = [u for u in units if u.pk in plans or u.kind.level in REPORTING_LEVELS]
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
    predecessors = _predecessor_rows(units, period, include_unaccepted)
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
        # Statuses per task and per unit (for its progress and rank): one row per unit, task and status.
        statuses = (
            Entry.objects.filter(report_id__in=shown)
            .annotate(root=_root("task__", "superior_task", own_ids, two_levels=two_levels))
            .values("root", "report_id", "status")
            .annotate(n=Count("pk"), progress=Sum("progress"))
            .values_list("root", "report_id", "status", "n", "progress")
            .order_by()
        )
        unit_of = {r.pk: u for u in units if (r := reports.get(u.pk)) is not None}
        per_unit: dict[tuple[int, int], UnitTask] = {}
        for root, report_id, status, n, progress in statuses:
            roll = task_rolls.get(root)
            if roll is None:
                continue
            roll.statuses[status] += n
            key = (root, report_id)
            if key not in per_unit:
                per_unit[key] = UnitTask(unit_of[report_id])
                roll.reported.append(per_unit[key])
            found = per_unit[key]
            found.entries += n
            found.progress_sum += progress or 0
            found.done += n if status in DONE else 0
            found.started += n if status != EntryStatus.NOT_STARTED else 0
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
        before = _predecessor_sums([p for rows in predecessors.values() for p in rows if p.counted])
        for roll in task_rolls.values():
            for target in roll.task.targets.all():
                own, added = _with_predecessors(target, sums.get(target.pk), before)
                roll.targets.append(_aggregate(target, own) | {"predecessors": added})
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
                predecessors=predecessors.get(u.pk, []),
            )
        )
    return Rollup(unit, period, own_plan, rows, list(task_rolls.values()), include_unaccepted)


# --- predecessors ---------------------------------------------------------------------------------


def _report_period(report: Report) -> Period | None:
    try:
        return report.period
    except PeriodError:
        return None


def _predecessor_rows(
    units: list[Unit], period: Period, include_unaccepted: bool
) -> dict[int, list[PredecessorRow]]:
    """successor id → its predecessors' reports in the period before the succession. No query
    unless a unit started during the period (its `valid_from` falls in it)."""
    started = [u.pk for u in units if u.valid_from and period.start < u.valid_from <= period.end]
    if not started:
        return {}
    links = list(
        UnitSuccession.objects.filter(
            successor_id__in=started, effective_date__gt=period.start, effective_date__lte=period.end
        )
        .select_related("predecessor__kind")
        .order_by("successor_id", "predecessor__path")
    )
    if not links:
        return {}
    candidates = Report.objects.filter(
        unit_id__in={link.predecessor_id for link in links}, year=period.year
    ).defer(*NARRATIVE)
    if not include_unaccepted:
        candidates = candidates.filter(state=ReportState.ACCEPTED)
    else:
        candidates = candidates.filter(state__in=SUBMITTED_STATES)
    chosen: dict[tuple[int, datetime.date], Report] = {}
    best: dict[int, list[Report]] = {}
    for report in candidates:
        best.setdefault(report.unit_id, []).append(report)
    rows: dict[int, list[PredecessorRow]] = {}
    for link in links:
        fitting = [
            (p, r)
            for r in best.get(link.predecessor_id, [])
            if (p := _report_period(r)) and p.start >= period.start and p.end < link.effective_date
        ]
        if not fitting:
            continue
        # The latest, and of two ending together the longest (cumulative) one: the first half's.
        _p, report = max(fitting, key=lambda pr: (pr[0].end, -pr[0].start.toordinal()))
        chosen[(link.predecessor_id, link.effective_date)] = report
        rows.setdefault(link.successor_id, []).append(PredecessorRow(link.predecessor, link, report))
    counts = {
        row["report_id"]: row
        for row in Entry.objects.filter(report_id__in={r.pk for r in chosen.values()})
        .values("report_id")
        .annotate(
            total=Count("pk"),
            entered=Count("pk", filter=Q(is_entered=True)),
            done=Count("pk", filter=Q(status__in=list(DONE))),
            progress=Avg("progress"),
        )
        .order_by()
    }
    for predecessor_rows in rows.values():
        for row in predecessor_rows:
            count = counts.get(row.report.pk)
            if count:
                row.total, row.entered, row.done = count["total"], count["entered"], count["done"]
                row.progress = float(count["progress"] or 0)
    return rows


def _target_key(name: str, unit_of_measure: str) -> tuple[str, str]:
    return fold(name), fold(unit_of_measure)


def _predecessor_sums(rows: list[PredecessorRow]) -> dict[tuple[str, str], dict[str, Any]]:
    """The counted predecessors' results, by target name and unit of measure: one query."""
    if not rows:
        return {}
    sums: dict[tuple[str, str], dict[str, Any]] = {}
    results = (
        TargetResult.objects.filter(entry__report_id__in={r.report.pk for r in rows}, achieved__isnull=False)
        .values("target__name", "target__unit_of_measure")
        .annotate(n=Count("pk"), total=Sum("achieved"))
        .order_by()
    )
    for row in results:
        key = _target_key(row["target__name"], row["target__unit_of_measure"])
        found = sums.setdefault(key, {"n": 0, "total": Decimal(0)})
        found["n"] += row["n"]
        found["total"] += Decimal(row["total"])
    return sums


@dataclass
class OwnPredecessors:
    """A report's own predecessors (the unit formed during its period): what each reported before
    the succession, and for each of the report's summed targets what PREDECESSOR_RULE adds."""

    rows: list[PredecessorRow]
    # (target name, unit of measure, the unit's own figure, the predecessors' added, together)
    targets: list[tuple[str, str, Decimal, Decimal, Decimal]]
    rule: str = PREDECESSOR_RULE


def predecessors_of(report: Report) -> OwnPredecessors | None:
    """The predecessors of `report`'s unit in its period (sent reports, counted or only listed
    by PREDECESSOR_RULE), or None when the unit did not start during the period: no query then
    beyond the unit itself."""
    rows = _predecessor_rows([report.unit], report.period, include_unaccepted=True).get(report.unit_id, [])
    if not rows:
        return None
    before = _predecessor_sums([r for r in rows if r.counted])
    own = (
        TargetResult.objects.filter(entry__report=report, achieved__isnull=False)
        .values("target__name", "target__unit_of_measure", "target__aggregation")
        .annotate(total=Sum("achieved"))
        .order_by("target__name")
    )
    targets = []
    for row in own:
        if row["target__aggregation"] != Aggregation.SUM:
            continue
        added = before.get(_target_key(row["target__name"], row["target__unit_of_measure"]))
        if added is None:
            continue
        mine = Decimal(row["total"])
        targets.append(
            (row["target__name"], row["target__unit_of_measure"], mine, added["total"], mine + added["total"])
        )
    return OwnPredecessors(rows, targets)


def _with_predecessors(
    target: Target, sums: dict[str, Any] | None, before: dict[tuple[str, str], dict[str, Any]]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """PREDECESSOR_RULE, the one place it is applied: a summed target gets the counted
    predecessors' results for a target of the same name and unit; others are left as they are.
    Returns the sums to aggregate and what the predecessors added (for the page)."""
    added = before.get(_target_key(target.name, target.unit_of_measure))
    if added is None or target.aggregation != Aggregation.SUM:
        return sums, None
    own = dict(sums or {"n": 0, "total": 0, "reached": 0})
    own["n"] += added["n"]
    own["total"] = Decimal(own["total"] or 0) + added["total"]
    return own, added


def _aggregate(target: Target, sums: dict[str, Any] | None) -> dict[str, Any]:
    """The units' results for one of our targets, by `Target.aggregation`: SUM the sum of the
    achieved figures; AVERAGE their mean over the units with a figure; SHARE 100 × the units whose
    achieved figure reaches their own target value / the units with a figure."""
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
                    written = "—" if value is None else formatting.number(value)
                    row.short.append(f"{target.name}: {written}/{formatting.number(target.value)}")
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
    """For each period, how many of the units expected to report (as `build` counts them: the
    communes valid at the period's end, with or without a plan, and the other units with one)
    submitted, and on time (three queries whatever the number of units or periods)."""
    if not periods:
        return []
    year = periods[0].year
    planned = set(_plans_below(unit, year))
    below = Unit.objects.filter(path__startswith=unit.path, depth__gt=unit.depth).filter(
        Q(pk__in=planned) | Q(kind__level__in=REPORTING_LEVELS)
    )
    spans = list(below.values_list("pk", "valid_from", "valid_to"))

    def expected_on(day: datetime.date) -> set[int]:
        return {
            pk for pk, start, end in spans if (start is None or start <= day) and (end is None or end >= day)
        }

    counts: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    expected = {(p.kind, p.number): expected_on(p.end) for p in periods}
    submitted = (
        Report.objects.filter(unit__path__startswith=unit.path, year=year, first_submitted_at__isnull=False)
        .exclude(unit=unit)
        .values_list("unit_id", "period_kind", "period_number", "is_late")
    )
    for unit_id, kind, number, late in submitted:
        if unit_id not in expected.get((kind, number), ()):
            continue
        counts[(kind, number)][0] += 1
        counts[(kind, number)][1] += 0 if late else 1
    return [PeriodBar(p, len(expected[(p.kind, p.number)]), *counts[(p.kind, p.number)]) for p in periods]


# --- the national overview (Bộ Nội vụ): every province for one period ---------------------------------------------


@dataclass
class ProvinceRow(Rates):
    unit: Unit
    communes: int = 0  # communes (and, before 1 July 2025, districts) in force at the period's end
    planned: int = 0  # of which with an issued plan for the year
    expected: int = 0  # the communes, with or without a plan, and the other units with one (`build`)
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
    def planned(self) -> int:
        return sum(r.planned for r in self.rows)

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
        Unit.objects.filter(**below, kind__level__in=REPORTING_LEVELS).valid_on(period.end),
        "path",
        n=Count("pk"),
    )
    reporting_level = Q(unit__kind__level__in=REPORTING_LEVELS)
    plans = by_province(
        Plan.objects.filter(year=period.year, status=Status.ISSUED, unit__depth__gt=1),
        "unit__path",
        n=Count("unit", distinct=True, filter=reporting_level),
        others=Count("unit", distinct=True, filter=~reporting_level),
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
        planned = plans.get(prefix, {})
        rows.append(
            ProvinceRow(
                unit=unit,
                communes=communes.get(prefix, {}).get("n", 0),
                planned=planned.get("n", 0),
                expected=communes.get(prefix, {}).get("n", 0) + planned.get("others", 0),
                submitted=state.get("submitted", 0),
                on_time=state.get("on_time", 0),
                accepted=state.get("accepted", 0),
                awaiting=state.get("awaiting", 0),
                progress=float(avg) if avg is not None else None,
            )
        )
    return National(period, rows)
