"""A 6-month, 9-month or annual report covers its whole period.

Such a report covers periods the unit has already reported (the annual report covers the first
half and the third quarter) and a **remainder** nobody reported separately (15/09–14/12 when no
fourth-quarter report is asked). For each task the unit carries out itself, a target's figure
for the whole period is made of:

- the figures of the earlier reports that tile the period (any the unit has started, longest
  first, without overlap: the first half's report rather than the first quarter's), and
- the figure the officer types in this report, for the remainder only (`TargetResult.own`),

put together by the target's kind (plans/targets.py `over_time`: counts summed, a rate averaged
over the months, a percentage or level the latest, yes/no done if done in any part). The result
is `TargetResult.achieved`, what roll-ups, scores and the signed annex read. It is recomputed
when an entry is saved and when the report is sent or signed, so a later correction of the
third quarter's report (returned, fixed, accepted again) reaches the year.

A task carried out by the units below (the city's task its communes implement) is not put
together over time here: its figure is the units' whole-period figures rolled up
(reports/rollup.py), and each unit's is already whole.

Evidence is not copied: the earlier reports' files for the same task are listed with their
period (`carried_evidence`), on the entry page and in the annex.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from cchc_portal.lib.formatting import number, short_date
from plans.models import Target, Task
from plans.targets import over_time
from reports.models import Entry, Evidence, Report, ReportState, TargetResult
from reports.periods import Period, PeriodError

PLACES = Decimal("0.01")


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole reporting months from a 15th to a 14th: 15/09 → 14/12 is three."""
    return max((end.year - start.year) * 12 + end.month - start.month, 0)


@dataclass(frozen=True)
class Span:
    start: datetime.date
    end: datetime.date

    @property
    def months(self) -> int:
        return months_between(self.start, self.end)

    @property
    def label(self) -> str:
        return _("từ %(start)s đến %(end)s") % {"start": short_date(self.start), "end": short_date(self.end)}


@dataclass
class Parts:
    """What the period is made of: earlier reports (in time order) and the remainder."""

    period: Period
    earlier: list[Report] = field(default_factory=list)
    remainder: list[Span] = field(default_factory=list)

    @property
    def remainder_months(self) -> int:
        return sum(span.months for span in self.remainder)

    @property
    def remainder_label(self) -> str:
        return "; ".join(span.label for span in self.remainder)

    @property
    def has_earlier(self) -> bool:
        return bool(self.earlier)

    @property
    def remainder_position(self) -> int:
        """How many earlier reports end before the remainder's last day: where the figure typed
        here stands in time (a percentage typed for February–March is not later than the second
        quarter's)."""
        if not self.remainder:
            return len(self.earlier)
        last = self.remainder[-1].end
        return sum(1 for r in self.earlier if r.period.end < last)


def _period(report: Report) -> Period | None:
    try:
        return report.period
    except PeriodError:
        return None


def parts_of(report: Report) -> Parts | None:
    """The earlier reports that tile `report`'s period and the remainder; None when the period
    is not cumulative (a month or a quarter stands alone)."""
    period = _period(report)
    if period is None or not period.is_cumulative:
        return None
    candidates = [
        (r, p)
        for r in Report.objects.filter(unit_id=report.unit_id, year=report.year)
        .exclude(pk=report.pk)
        .exclude(state=ReportState.NOT_STARTED)
        .only("pk", "unit_id", "year", "period_kind", "period_number", "state")
        if (p := _period(r)) is not None and period.covers(p)
    ]
    # Longest first; then the earliest: the first half rather than the first quarter.
    candidates.sort(key=lambda rp: (-(rp[1].end - rp[1].start).days, rp[1].end))
    chosen: list[tuple[Report, Period]] = []
    for r, p in candidates:
        if all(p.end < q.start or p.start > q.end for _r, q in chosen):
            chosen.append((r, p))
    chosen.sort(key=lambda rp: rp[1].end)
    remainder: list[Span] = []
    cursor = period.start
    for _report, p in chosen:
        if p.start > cursor:
            remainder.append(Span(cursor, p.start - datetime.timedelta(days=1)))
        cursor = max(cursor, p.end + datetime.timedelta(days=1))
    if cursor <= period.end:
        remainder.append(Span(cursor, period.end))
    return Parts(period, [r for r, _p in chosen], remainder)


def own_tasks(task_ids) -> set[int]:
    """The tasks no plan below implements: those put together over time."""
    implemented = Task.objects.filter(superior_task=OuterRef("pk"))
    return set(
        Task.objects.filter(pk__in=list(task_ids))
        .annotate(below=Exists(implemented))
        .filter(below=False)
        .values_list("pk", flat=True)
    )


@dataclass
class Figure:
    """One target of one task over a cumulative period."""

    target: Target
    parts: list[tuple[str, Decimal | None, int]]  # (period label, figure, months), time order
    own: Decimal | None
    own_label: str
    own_months: int  # 0: the earlier reports cover the whole period, nothing is typed here
    own_position: int  # where the remainder stands among the parts (Parts.remainder_position)

    @property
    def total(self) -> Decimal | None:
        timeline = [(v, m) for _l, v, m in self.parts]
        if self.own_months:
            timeline.insert(self.own_position, (self.own, self.own_months))
        value = over_time(self.target.kind, timeline)
        return None if value is None else value.quantize(PLACES)

    @property
    def earlier_text(self) -> str:
        """ "6 tháng đầu năm 2026: 18; Quý III năm 2026: 9" for the entry page and the annex."""
        return "; ".join(f"{label}: {number(v) if v is not None else '—'}" for label, v, _m in self.parts)


def figures(report: Report, parts: Parts, task_ids) -> dict[tuple[int, int], Figure]:
    """(task id, target id) → Figure, for the given tasks of `report` (two queries)."""
    if not parts.earlier:
        return {}
    earlier = {r.pk: r for r in parts.earlier}
    values: dict[tuple[int, int, int], Decimal | None] = {}
    for report_id, task_id, target_id, achieved in TargetResult.objects.filter(
        entry__report_id__in=list(earlier), entry__task_id__in=list(task_ids)
    ).values_list("entry__report_id", "entry__task_id", "target_id", "achieved"):
        values[(report_id, task_id, target_id)] = achieved
    own = {
        (task_id, target_id): value
        for task_id, target_id, value in TargetResult.objects.filter(
            entry__report=report, entry__task_id__in=list(task_ids)
        ).values_list("entry__task_id", "target_id", "own")
    }
    result = {}
    for target in Target.objects.filter(task_id__in=list(task_ids)).only("pk", "task_id", "kind", "name"):
        key = (target.task_id, target.pk)
        result[key] = Figure(
            target=target,
            parts=[
                (
                    r.period.label,
                    values.get((r.pk, target.task_id, target.pk)),
                    months_between(r.period.start, r.period.end),
                )
                for r in parts.earlier
            ],
            own=own.get(key),
            own_label=parts.remainder_label,
            own_months=parts.remainder_months,
            own_position=parts.remainder_position,
        )
    return result


def refresh(report: Report, task_ids=None) -> int:
    """Recompute `achieved` of the unit's own tasks in a cumulative report from the earlier
    reports and the remainder typed here; returns how many figures changed."""
    parts = parts_of(report)
    if parts is None or not parts.earlier:
        return 0
    if task_ids is None:
        task_ids = report.entries.values_list("task_id", flat=True)
    mine = own_tasks(task_ids)
    if not mine:
        return 0
    entries = dict(report.entries.filter(task_id__in=mine).values_list("task_id", "pk"))
    existing = {
        (r.entry_id, r.target_id): r for r in TargetResult.objects.filter(entry_id__in=list(entries.values()))
    }
    changed, created = [], []
    for (task_id, target_id), figure in figures(report, parts, mine).items():
        entry_id = entries.get(task_id)
        if entry_id is None:
            continue
        total = figure.total
        result = existing.get((entry_id, target_id))
        if result is None:
            if total is not None:
                created.append(TargetResult(entry_id=entry_id, target_id=target_id, achieved=total))
        elif result.achieved != total:
            result.achieved = total
            changed.append(result)
    TargetResult.objects.bulk_update(changed, ["achieved"])
    TargetResult.objects.bulk_create(created, ignore_conflicts=True)
    return len(changed) + len(created)


def carried_evidence(report: Report, parts: Parts | None = None) -> dict[int, list[tuple[str, Evidence]]]:
    """task id → the earlier reports' evidence for that task, with their period's label."""
    parts = parts if parts is not None else parts_of(report)
    if parts is None or not parts.earlier:
        return {}
    labels = {r.pk: r.period.label for r in parts.earlier}
    order = {r.pk: i for i, r in enumerate(parts.earlier)}
    carried: dict[int, list[tuple[str, Evidence]]] = {}
    rows = Evidence.objects.filter(entry__report_id__in=list(labels)).select_related("entry")
    for evidence in sorted(rows, key=lambda e: (order[e.entry.report_id], e.pk)):
        carried.setdefault(evidence.entry.task_id, []).append((labels[evidence.entry.report_id], evidence))
    return carried


def overdue(entry: Entry, period: Period) -> bool:
    """A task whose deadline passed within or before the period and is not done."""
    from reports.models import DONE

    deadline = entry.task.deadline
    return deadline is not None and deadline <= period.end and entry.status not in DONE
