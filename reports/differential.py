"""A differential check of the roll-ups and the drafted superior reports: every figure recomputed
from the raw rows by plain queries (never through `reports.rollup` or `reports.services`) and
compared with what the product says. Used by `manage.py check_figures` and the tests; no product
code imports it.

The definitions the recomputation follows (they are the specification, not the product's code):

- **Expected units** of a roll-up for unit U and period P: every unit strictly below U valid at
  P.end (`valid_from` empty or ≤ P.end, `valid_to` empty or ≥ P.end) whose kind's level is commune
  or district, plus any other unit below U, valid at P.end, with an issued plan (the latest issued
  version) for P.year. **Submitted**: the unit has a report for P with `first_submitted_at` set;
  **on time**: submitted and not `is_late`. Completeness = 100 × submitted / expected (0 without
  expected units), timeliness = 100 × on time / submitted (0 without submitted).
- **A unit's row**: entered = its report's entries with `is_entered`; total = all its entries;
  done = entries whose status is done (on time or late); progress = the mean entry progress (0
  without entries).
- **Task roll** for each task T of U's latest issued plan of P.year: units = the plans below U
  (the latest issued plan of each unit) having a task whose superior task is T, or whose superior
  task's superior task is T (a district in between); statuses = the number of those tasks'
  entries per status in the included reports (with unaccepted: every report of the expected units
  for P; without: the accepted ones).
- **Targets** of T, for each target G: the results are the achieved figures (not empty) of the
  target results, in the included reports, whose target's superior target (or its superior
  target's superior target) is G; n = their number. SUM → their sum; AVERAGE → sum / n; SHARE →
  100 × (number of results ≥ their own target's value) / n; no value when n = 0. Figures are
  compared after rounding to 2 decimal places (a stored figure rounded at a half either way).
- **The drafted superior report** (accepted reports only): for each rolled-up task (units > 0),
  its entry's target results equal the aggregated values rounded to 2 places; its progress is the
  mean progress of the carrying units' entries (rounded to a whole percent); the completeness
  sentence of section I ("82/94 đơn vị đã gửi báo cáo") says submitted/expected as above.
- **A cumulative report** (6-month, 9-month, annual) of a unit, for each target of a task no plan
  implements (the unit's own work): the earlier reports of the unit that tile the period (any
  with a row, within the period, longest first then earliest, never overlapping) and the
  remainder (the months none covers, when one block) with the figure typed for it
  (`TargetResult.own`), in time order, put together by the target's kind: count → sum; rate →
  mean weighted by months; percent, level → the latest part's; yes/no → 1 if any part > 0, else 0;
  parts without a figure left out. The result is the report's `achieved`. A report with no earlier
  report, or with a remainder in two pieces, is not checked.

The product's side is read in one small section ("what the product says") so that a change of
the roll-up's or the drafted report's shape is one adapter to update.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from cchc_portal.lib.formatting import number
from plans.models import Aggregation, PeriodType, Plan, Status, Target, TargetKind, Task
from reports.models import Entry, EntryStatus, Report, ReportState, TargetResult
from reports.periods import Period
from units.models import Level, Unit

CENT = Decimal("0.01")
DONE_STATUSES = (EntryStatus.DONE_ON_TIME, EntryStatus.DONE_LATE)
REPORTING_LEVELS = (Level.COMMUNE, Level.DISTRICT)
CUMULATIVE = (PeriodType.HALF_YEAR, PeriodType.NINE_MONTHS, PeriodType.ANNUAL)


def cents(value: Any) -> Decimal | None:
    """A figure as compared: a Decimal rounded to 2 places (None stays None)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def stored_as(stored: Decimal | None, exact: Decimal | None) -> bool:
    """Whether a figure stored with 2 places is `exact` rounded: at a half either way (Python
    rounds half to even, PostgreSQL half away from zero)."""
    if stored is None or exact is None:
        return stored is None and exact is None
    return stored in (
        exact.quantize(CENT, rounding=ROUND_HALF_UP),
        exact.quantize(CENT, rounding=ROUND_HALF_EVEN),
    )


# --- the figures, whoever computed them ---------------------------------------------------------------


@dataclass
class RowFigures:
    name: str
    plan: int | None  # the latest issued plan's id
    submitted: bool
    on_time: bool
    entered: int
    total: int
    done: int
    progress: Decimal


@dataclass
class TargetFigures:
    name: str
    value: Decimal | None  # exact (an average may have many places); compared rounded
    n: int


@dataclass
class TaskFigures:
    title: str
    units: int
    statuses: dict[str, int]
    targets: dict[int, TargetFigures]
    # The mean progress of the carrying entries: what the drafted report's entry says (the
    # roll-up does not show it, so `diff` leaves it out).
    progress: Decimal | None = None


@dataclass
class Figures:
    rows: dict[int, RowFigures]
    expected: int
    submitted: int
    on_time: int
    completeness: Decimal
    timeliness: Decimal
    tasks: dict[int, TaskFigures]


@dataclass(frozen=True)
class Mismatch:
    where: str  # the unit, task or target concerned
    key: str  # which figure: a key of LABELS ("row.done", "target.value"…)
    product: Any
    recomputed: Any

    def __str__(self) -> str:
        return _("%(where)s — %(figure)s: hệ thống ghi %(product)s, tính lại được %(recomputed)s") % {
            "where": self.where,
            "figure": LABELS[self.key],
            "product": _shown(self.product),
            "recomputed": _shown(self.recomputed),
        }


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("có") if value else _("không"))
    if isinstance(value, dict):  # statuses: "Hoàn thành đúng hạn: 2, Đang thực hiện: 1"
        return ", ".join(f"{EntryStatus(k).label}: {v}" for k, v in sorted(value.items())) or "0"
    if isinstance(value, Decimal):
        return number(value, 2)
    return str(value)


# --- the recomputation from the rows -----------------------------------------------------------------


def _valid(unit: Unit, day) -> bool:
    return (unit.valid_from is None or unit.valid_from <= day) and (
        unit.valid_to is None or unit.valid_to >= day
    )


def _latest_issued(unit_ids, year: int) -> dict[int, int]:
    """unit id → id of its issued plan of the year with the highest version."""
    latest: dict[int, tuple[int, int]] = {}
    for plan_id, unit_id, version in Plan.objects.filter(
        unit_id__in=unit_ids, year=year, status=Status.ISSUED
    ).values_list("pk", "unit_id", "version"):
        if unit_id not in latest or version > latest[unit_id][1]:
            latest[unit_id] = (plan_id, version)
    return {unit_id: plan_id for unit_id, (plan_id, _version) in latest.items()}


def _mean(values: list[int]) -> Decimal:
    return Decimal(sum(values)) / len(values) if values else Decimal(0)


def _rate(part: int, whole: int) -> Decimal:
    return cents(Decimal(100 * part) / whole) if whole else cents(0)


def recompute(unit: Unit, period: Period, include_unaccepted: bool) -> Figures:
    """Every figure of the roll-up of `unit` for `period`, from the definitions above."""
    below = list(Unit.objects.filter(path__startswith=unit.path, depth__gt=unit.depth).select_related("kind"))
    plans = _latest_issued([u.pk for u in below], period.year)
    expected = [
        u for u in below if _valid(u, period.end) and (u.kind.level in REPORTING_LEVELS or u.pk in plans)
    ]
    reports = {
        r.unit_id: r
        for r in Report.objects.filter(
            unit_id__in=[u.pk for u in expected],
            year=period.year,
            period_kind=period.kind,
            period_number=period.number,
        ).only("pk", "unit_id", "state", "first_submitted_at", "is_late")
    }
    entries = defaultdict(list)
    for entry in Entry.objects.filter(report_id__in=[r.pk for r in reports.values()]).values(
        "report_id", "task_id", "status", "progress", "is_entered"
    ):
        entries[entry["report_id"]].append(entry)
    rows = {}
    for u in sorted(expected, key=lambda u: u.path):
        report = reports.get(u.pk)
        mine = entries[report.pk] if report else []
        submitted = report is not None and report.first_submitted_at is not None
        rows[u.pk] = RowFigures(
            name=u.full_name,
            plan=plans.get(u.pk),
            submitted=submitted,
            on_time=submitted and not report.is_late,
            entered=sum(1 for e in mine if e["is_entered"]),
            total=len(mine),
            done=sum(1 for e in mine if e["status"] in DONE_STATUSES),
            progress=cents(_mean([e["progress"] for e in mine])),
        )
    submitted = sum(r.submitted for r in rows.values())
    on_time = sum(r.on_time for r in rows.values())
    included = [r.pk for r in reports.values() if include_unaccepted or r.state == ReportState.ACCEPTED]
    return Figures(
        rows=rows,
        expected=len(rows),
        submitted=submitted,
        on_time=on_time,
        completeness=_rate(submitted, len(rows)),
        timeliness=_rate(on_time, submitted),
        tasks=_task_figures(unit, period, set(plans.values()), included),
    )


def _roots(rows, own: set[int]) -> dict[int, int]:
    """row id → the row of ours it implements, through one or two superior links.
    `rows` are (id, superior id, superior's superior id)."""
    found = {}
    for pk, superior, grand in rows:
        if superior in own:
            found[pk] = superior
        elif grand in own:
            found[pk] = grand
    return found


def _task_figures(
    unit: Unit, period: Period, plans_below: set[int], included: list[int]
) -> dict[int, TaskFigures]:
    own_plan = _latest_issued([unit.pk], period.year).get(unit.pk)
    if own_plan is None:
        return {}
    own_tasks = {t.pk: t for t in Task.objects.filter(plan_id=own_plan)}
    own_targets = {t.pk: t for t in Target.objects.filter(task_id__in=own_tasks)}
    tasks_below = list(
        Task.objects.filter(plan_id__in=plans_below).values_list(
            "pk", "superior_task_id", "superior_task__superior_task_id", "plan_id"
        )
    )
    carrying = _roots([row[:3] for row in tasks_below], set(own_tasks))
    units: dict[int, set[int]] = defaultdict(set)  # own task → the plans carrying it
    for task_id, _superior, _grand, plan_id in tasks_below:
        if task_id in carrying:
            units[carrying[task_id]].add(plan_id)
    statuses: dict[int, Counter] = defaultdict(Counter)
    progress: dict[int, list[int]] = defaultdict(list)
    for task_id, status, percent in Entry.objects.filter(
        report_id__in=included, task_id__in=carrying
    ).values_list("task_id", "status", "progress"):
        statuses[carrying[task_id]][status] += 1
        progress[carrying[task_id]].append(percent)
    results = list(
        TargetResult.objects.filter(entry__report_id__in=included, achieved__isnull=False).values_list(
            "target_id",
            "target__superior_target_id",
            "target__superior_target__superior_target_id",
            "achieved",
            "target__value",
        )
    )
    rooted = _roots([row[:3] for row in results], set(own_targets))
    figures: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)  # own target → (achieved, value)
    for target_id, _superior, _grand, achieved, value in results:
        if target_id in rooted:
            figures[rooted[target_id]].append((achieved, value))
    return {
        pk: TaskFigures(
            title=task.title,
            units=len(units[pk]),
            statuses=dict(statuses[pk]),
            targets={
                g.pk: _target_figures(g, figures[g.pk]) for g in own_targets.values() if g.task_id == pk
            },
            progress=_mean(progress[pk]) if progress[pk] else None,
        )
        for pk, task in own_tasks.items()
    }


def _target_figures(target: Target, results: list[tuple[Decimal, Decimal]]) -> TargetFigures:
    n = len(results)
    if not n:
        value = None
    elif target.aggregation == Aggregation.SUM:
        value = sum((a for a, _v in results), Decimal(0))
    elif target.aggregation == Aggregation.AVERAGE:
        value = sum((a for a, _v in results), Decimal(0)) / n
    else:
        value = Decimal(100 * sum(1 for a, v in results if a >= v)) / n
    return TargetFigures(target.name, value, n)


# --- cumulative reports ---------------------------------------------------------------------------------


def _months(period: Period) -> set[int]:
    """The reporting months of a period (each from a 15th to the 14th of month m)."""
    return set(range(period.first_month, period.last_month + 1))


def _over_time(kind: str, parts: list[tuple[Decimal | None, int]]) -> Decimal | None:
    known = [(value, months) for value, months in parts if value is not None]
    if not known:
        return None
    if kind == TargetKind.COUNT:
        return sum((value for value, _m in known), Decimal(0))
    if kind == TargetKind.RATE:
        months = sum(m for _v, m in known)
        return sum((value * m for value, m in known), Decimal(0)) / months if months else known[-1][0]
    if kind == TargetKind.YESNO:
        return Decimal(1 if any(value > 0 for value, _m in known) else 0)
    return known[-1][0]  # percent, level


def _tiles(report: Report) -> list[tuple[Report, Period]]:
    period = report.period
    candidates = []
    started = Report.objects.filter(unit_id=report.unit_id, year=report.year).exclude(
        state=ReportState.NOT_STARTED
    )
    for other in started.exclude(pk=report.pk):
        p = other.period
        if p != period and _months(p) <= _months(period):
            candidates.append((other, p))
    candidates.sort(key=lambda rp: (-len(_months(rp[1])), rp[1].end))
    chosen: list[tuple[Report, Period]] = []
    for other, p in candidates:
        if not any(_months(p) & _months(q) for _r, q in chosen):
            chosen.append((other, p))
    return sorted(chosen, key=lambda rp: rp[1].end)


def recompute_cumulative(report: Report) -> dict[int, Decimal | None] | None:
    """Target id → the whole-period figure of `report` by the definition (exact); None when it is not
    checked (not cumulative, no earlier report, a remainder in two pieces)."""
    period = report.period
    if period.kind not in CUMULATIVE:
        return None
    tiles = _tiles(report)
    remainder = _months(period) - set().union(*(_months(p) for _r, p in tiles))
    if not tiles or (remainder and max(remainder) - min(remainder) + 1 != len(remainder)):
        return None
    implemented = set(
        Task.objects.filter(superior_task__isnull=False).values_list("superior_task_id", flat=True)
    )
    targets = [t for t in Target.objects.filter(task__entries__report=report) if t.task_id not in implemented]
    earlier: dict[tuple[int, object], Decimal | None] = {
        (report_id, key): achieved
        for report_id, key, achieved in TargetResult.objects.filter(
            entry__report__in=[r for r, _p in tiles]
        ).values_list("entry__report_id", "target__key", "achieved")
    }
    own = dict(TargetResult.objects.filter(entry__report=report).values_list("target_id", "own"))
    figures = {}
    for target in targets:
        parts = [(earlier.get((r.pk, target.key)), len(_months(p)), p.last_month) for r, p in tiles]
        if remainder:
            parts.append((own.get(target.pk), len(remainder), max(remainder)))
        parts.sort(key=lambda part: part[2])
        figures[target.pk] = _over_time(target.kind, [(value, months) for value, months, _end in parts])
    return figures


def compare_cumulative(unit: Unit, period: Period) -> list[Mismatch]:
    """Each cumulative report of `unit` and the units below for `period` against the definition."""
    found = []
    reports = Report.objects.filter(
        unit__path__startswith=unit.path,
        year=period.year,
        period_kind=period.kind,
        period_number=period.number,
    ).select_related("unit")
    for report in reports:
        figures = recompute_cumulative(report)
        if figures is None:
            continue
        achieved = dict(
            TargetResult.objects.filter(entry__report=report, target_id__in=figures).values_list(
                "target_id", "achieved"
            )
        )
        names = dict(Target.objects.filter(pk__in=figures).values_list("pk", "name"))
        for target_pk, value in figures.items():
            if not stored_as(achieved.get(target_pk), value):
                where = f"{report.unit.full_name} · {names[target_pk]}"
                found.append(Mismatch(where, "cumulative.achieved", achieved.get(target_pk), cents(value)))
    return found


# --- what the product says (the adapters: the only code that knows the product's shapes) -------------


def product_figures(unit: Unit, period: Period, include_unaccepted: bool) -> Figures:
    from reports import rollup

    data = rollup.build(unit, period, include_unaccepted=include_unaccepted)
    return Figures(
        rows={
            row.unit.pk: RowFigures(
                name=row.unit.full_name,
                plan=row.plan.pk if row.plan else None,
                submitted=row.has_submitted,
                on_time=row.has_submitted and not row.report.is_late,
                entered=row.entered,
                total=row.total,
                done=row.done,
                progress=cents(row.progress),
            )
            for row in data.rows
        },
        expected=data.expected,
        submitted=data.submitted,
        on_time=data.on_time,
        completeness=cents(data.completeness),
        timeliness=cents(data.timeliness),
        tasks={
            roll.task.pk: TaskFigures(
                title=roll.task.title,
                units=roll.units,
                statuses={k: v for k, v in roll.statuses.items() if v},
                targets={
                    t["target"].pk: TargetFigures(t["target"].name, t["value"], t["units"])
                    for t in roll.targets
                },
            )
            for roll in data.tasks
        },
    )


# "Trong kỳ, 82/94 đơn vị đã gửi báo cáo": the first "a/b đơn vị" of section I.
COMPLETENESS = re.compile(r"(\d[\d.]*)\s*/\s*(\d[\d.]*)\s+đơn vị")


def drafted_completeness(report: Report) -> tuple[int, int] | None:
    """(submitted, expected) as the drafted report's section I says them."""
    match = COMPLETENESS.search(report.results)
    if match is None:
        return None
    return int(match[1].replace(".", "")), int(match[2].replace(".", ""))


# --- the comparison ------------------------------------------------------------------------------------


def diff(product: Figures, mine: Figures) -> list[Mismatch]:
    """Every figure on which the two disagree."""
    found: list[Mismatch] = []

    def check(where: str, key: str, theirs: Any, ours: Any) -> None:
        if theirs != ours:
            found.append(Mismatch(where, key, theirs, ours))

    for pk in sorted(product.rows.keys() | mine.rows.keys()):
        theirs, ours = product.rows.get(pk), mine.rows.get(pk)
        if theirs is None or ours is None:
            check((theirs or ours).name, "row", theirs is not None, ours is not None)
            continue
        for name in ROW_FIGURES:
            check(ours.name, f"row.{name}", getattr(theirs, name), getattr(ours, name))
    for name in RATE_FIGURES:
        check(str(_("Tổng hợp")), name, getattr(product, name), getattr(mine, name))
    for pk in sorted(product.tasks.keys() | mine.tasks.keys()):
        theirs, ours = product.tasks.get(pk), mine.tasks.get(pk)
        where = _task_where(theirs or ours)
        if theirs is None or ours is None:
            check(where, "task", theirs is not None, ours is not None)
            continue
        check(where, "task.units", theirs.units, ours.units)
        check(where, "task.statuses", theirs.statuses, ours.statuses)
        for target_pk in sorted(theirs.targets.keys() | ours.targets.keys()):
            t, o = theirs.targets.get(target_pk), ours.targets.get(target_pk)
            target_where = _target_where(t or o)
            if t is None or o is None:
                check(target_where, "target", t is not None, o is not None)
                continue
            check(target_where, "target.value", cents(t.value), cents(o.value))
            check(target_where, "target.n", t.n, o.n)
    return found


def _task_where(task: TaskFigures) -> str:
    return _("Nhiệm vụ “%(title)s”") % {"title": task.title[:80]}


def _target_where(target: TargetFigures) -> str:
    return _("Chỉ tiêu “%(name)s”") % {"name": target.name}


ROW_FIGURES = ("plan", "submitted", "on_time", "entered", "total", "done", "progress")
RATE_FIGURES = ("expected", "submitted", "on_time", "completeness", "timeliness")
# What each compared figure is, in the lines `check_figures` prints.
LABELS = {
    "row": _("có trong danh sách đơn vị phải báo cáo"),
    "row.plan": _("kế hoạch đã ban hành (mã)"),
    "row.submitted": _("đã gửi"),
    "row.on_time": _("gửi đúng hạn"),
    "row.entered": _("số nhiệm vụ đã nhập"),
    "row.total": _("số nhiệm vụ"),
    "row.done": _("số nhiệm vụ hoàn thành"),
    "row.progress": _("tiến độ bình quân (%)"),
    "expected": _("số đơn vị phải báo cáo"),
    "submitted": _("số đơn vị đã gửi"),
    "on_time": _("số đơn vị gửi đúng hạn"),
    "completeness": _("tỷ lệ đầy đủ (%)"),
    "timeliness": _("tỷ lệ đúng hạn (%)"),
    "task": _("có trong kế hoạch cấp trên"),
    "task.units": _("số đơn vị thực hiện"),
    "task.statuses": _("số kết quả theo tình trạng"),
    "target": _("có trong nhiệm vụ"),
    "target.value": _("giá trị tổng hợp"),
    "target.n": _("số kết quả được tổng hợp"),
    "drafted.completeness": _("số đơn vị đã gửi/phải báo cáo trong phần I"),
    "drafted.entry": _("có kết quả trong báo cáo"),
    "drafted.progress": _("tiến độ (%)"),
    "drafted.achieved": _("đạt được"),
    "cumulative.achieved": _("số liệu cả kỳ (cộng các kỳ trước và phần còn lại)"),
}


def compare(unit: Unit, period: Period, *, include_unaccepted: bool = True) -> list[Mismatch]:
    """The roll-up of `unit` for `period` against the recomputation."""
    return diff(
        product_figures(unit, period, include_unaccepted), recompute(unit, period, include_unaccepted)
    )


def compare_drafted(report: Report) -> list[Mismatch]:
    """A superior's drafted report against the recomputation from the accepted reports below."""
    mine = recompute(report.unit, report.period, include_unaccepted=False)
    entries = {e.task_id: e for e in report.entries.prefetch_related("results")}
    found: list[Mismatch] = []
    sentence = drafted_completeness(report)
    if sentence != (mine.submitted, mine.expected):
        shown = "/".join(map(str, sentence)) if sentence else None
        found.append(
            Mismatch(
                str(_("Phần I của báo cáo")),
                "drafted.completeness",
                shown,
                f"{mine.submitted}/{mine.expected}",
            )
        )
    for pk, task in mine.tasks.items():
        if not task.units:
            continue
        where = _task_where(task)
        entry = entries.get(pk)
        if entry is None:
            found.append(Mismatch(where, "drafted.entry", False, True))
            continue
        # "Rounded": to the nearest whole percent, either way at a half.
        if task.progress is not None and abs(entry.progress - task.progress) > Decimal("0.5"):
            found.append(Mismatch(where, "drafted.progress", entry.progress, cents(task.progress)))
        achieved = {r.target_id: r.achieved for r in entry.results.all()}
        for target_pk, target in task.targets.items():
            theirs = achieved.get(target_pk)
            if not stored_as(theirs, target.value):
                found.append(Mismatch(_target_where(target), "drafted.achieved", theirs, cents(target.value)))
    return found
