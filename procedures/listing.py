"""Which procedures a unit handles and how far it has listed them publicly (domain.md §4.3).

Without any UnitProcedure row a unit handles every active procedure (status in
ACTIVE_STATUSES) of its level: a commune (xã, phường, đặc khu) those "Cấp xã", a district those
"Cấp huyện", a province and its agencies those "Cấp tỉnh". A row with handles=False removes one;
a row with handles=True may add an active procedure of another level. A procedure counts as
listed (niêm yết công khai) when one of its three listing dates is set and not after the day
considered: this share is what a plan's target "% TTHC niêm yết công khai" is measured by.

Every function here runs a fixed number of queries, whatever the number of procedures.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cchc_portal.lib import formatting
from cchc_portal.lib.vietnamese import fold
from procedures.models import ACTIVE_STATUSES, Level, Procedure, UnitProcedure
from procedures.search import level_q
from units.models import Level as UnitLevel
from units.models import Unit

# The level of the procedures a unit handles by default, by the unit's own level.
PROCEDURE_LEVEL = {
    UnitLevel.COMMUNE: Level.COMMUNE,
    UnitLevel.DISTRICT: Level.DISTRICT,
    UnitLevel.PROVINCE: Level.PROVINCE,
    UnitLevel.AGENCY: Level.PROVINCE,
}
LISTING_FIELDS = ("listed_at_centre", "listed_on_website", "listed_by_qr")


def procedure_level(unit: Unit) -> str:
    """The procedure level ("xa", "huyen", "tinh") a unit handles by default (needs unit.kind)."""
    return PROCEDURE_LEVEL.get(unit.kind.level, Level.PROVINCE)


def is_listed_on(dates: Iterable[datetime.date | None], day: datetime.date) -> bool:
    return any(d is not None and d <= day for d in dates)


@dataclass
class UnitProcedureEntry:
    """One procedure as a unit sees it: the catalogue entry, the unit's row if any, and whether
    the unit handles it by default (its level) or only because a row adds it."""

    procedure: Procedure
    row: UnitProcedure | None
    by_default: bool

    @property
    def handles(self) -> bool:
        return self.row.handles if self.row is not None else self.by_default

    @property
    def listed_at_centre(self) -> datetime.date | None:
        return self.row.listed_at_centre if self.row is not None else None

    @property
    def listed_on_website(self) -> datetime.date | None:
        return self.row.listed_on_website if self.row is not None else None

    @property
    def listed_by_qr(self) -> datetime.date | None:
        return self.row.listed_by_qr if self.row is not None else None

    def dates(self) -> tuple[datetime.date | None, ...]:
        return tuple(getattr(self, name) for name in LISTING_FIELDS)

    def is_listed(self, day: datetime.date | None = None) -> bool:
        return is_listed_on(self.dates(), day or timezone.localdate())

    @property
    def listed(self) -> bool:
        """Listed as of today (for templates)."""
        return self.is_listed()


def _sort_key(entry: UnitProcedureEntry) -> tuple:
    field = entry.procedure.field
    return (field == "", fold(field), entry.procedure.code)


def procedures_for(unit: Unit, *, include_not_handled: bool = False) -> list[UnitProcedureEntry]:
    """The procedures `unit` handles, sorted by field then code: two queries.

    With `include_not_handled`, also the procedures of its level it does not handle and those a
    row mentions without handling them (the editing page lists them so they can be taken back).
    """
    level = procedure_level(unit)
    defaults = {
        p.pk: p for p in Procedure.objects.filter(level_q(level), status__in=ACTIVE_STATUSES).order_by()
    }
    entries: dict[int, UnitProcedureEntry] = {
        pk: UnitProcedureEntry(procedure, None, True) for pk, procedure in defaults.items()
    }
    rows = (
        UnitProcedure.objects.filter(unit=unit, procedure__status__in=ACTIVE_STATUSES)
        .select_related("procedure")
        .order_by()
    )
    for row in rows:
        entry = entries.get(row.procedure_id)
        if entry is not None:
            entry.row = row
        else:
            entries[row.procedure_id] = UnitProcedureEntry(row.procedure, row, False)
    result = [e for e in entries.values() if include_not_handled or e.handles]
    result.sort(key=_sort_key)
    return result


def share(entries: Iterable[UnitProcedureEntry], day: datetime.date | None = None) -> tuple[int, int]:
    """(listed, handled) among `entries` (as procedures_for returns them)."""
    day = day or timezone.localdate()
    handled = [e for e in entries if e.handles]
    return sum(1 for e in handled if e.is_listed(day)), len(handled)


def listing_shares(units: Iterable[Unit], day: datetime.date | None = None) -> dict[int, tuple[int, int]]:
    """(listed, handled) for each unit, by unit id: two queries for any number of units (load
    the units with select_related("kind"))."""
    day = day or timezone.localdate()
    units = list(units)
    if not units:
        return {}
    levels = {unit.pk: procedure_level(unit) for unit in units}
    by_level: dict[str, set[int]] = {level: set() for level in set(levels.values())}
    wanted = None
    for level in by_level:
        wanted = level_q(level) if wanted is None else wanted | level_q(level)
    catalogue = Procedure.objects.filter(wanted, status__in=ACTIVE_STATUSES).order_by()
    for pk, procedure_levels in catalogue.values_list("pk", "levels"):
        for level in procedure_levels or ():
            if level in by_level:
                by_level[level].add(pk)
    rows: dict[int, dict[int, tuple[bool, bool]]] = {unit.pk: {} for unit in units}
    for unit_id, procedure_id, handles, *dates in (
        UnitProcedure.objects.filter(unit__in=units, procedure__status__in=ACTIVE_STATUSES)
        .order_by()
        .values_list("unit_id", "procedure_id", "handles", *LISTING_FIELDS)
    ):
        rows[unit_id][procedure_id] = (handles, is_listed_on(dates, day))
    out = {}
    for unit in units:
        own = rows[unit.pk]
        defaults = by_level[levels[unit.pk]]
        handled = {pk for pk in defaults if own.get(pk, (True, False))[0]}
        handled |= {pk for pk, (handles, _listed) in own.items() if handles}
        listed = sum(1 for pk in handled if pk in own and own[pk][1])
        out[unit.pk] = (listed, len(handled))
    return out


def listing_share(unit: Unit, day: datetime.date | None = None) -> tuple[int, int]:
    """(listed, handled) for one unit: how many of the procedures it handles are listed publicly
    (any of the three dates set and not after `day`, today by default)."""
    return listing_shares([unit], day)[unit.pk]


def percent(listed: int, handled: int) -> float:
    return listed * 100 / handled if handled else 0.0


def share_label(listed: int, handled: int) -> str:
    """ "Đã niêm yết 120/257 thủ tục (46,7%)", "Đã niêm yết 1.200/2.570 thủ tục (46,7%)" """
    return _("Đã niêm yết %(listed)s/%(handled)s thủ tục (%(percent)s)") % {
        "listed": formatting.number(listed),
        "handled": formatting.number(handled),
        "percent": formatting.percent(percent(listed, handled), 1),
    }


def groups(entries: Iterable[UnitProcedureEntry]) -> list[tuple[str, list[UnitProcedureEntry]]]:
    """Consecutive entries of the same field (entries sorted as procedures_for sorts them)."""
    out: list[tuple[str, list[UnitProcedureEntry]]] = []
    for entry in entries:
        if out and out[-1][0] == entry.procedure.field:
            out[-1][1].append(entry)
        else:
            out.append((entry.procedure.field, [entry]))
    return out


# --- changes --------------------------------------------------------------------------------------


def handled_by_default(unit: Unit, procedure: Procedure) -> bool:
    return procedure.status in ACTIVE_STATUSES and procedure_level(unit) in (procedure.levels or [])


@transaction.atomic
def save_row(unit: Unit, procedure: Procedure, changes: dict, *, by=None) -> UnitProcedure:
    """Set some of handles / listed_at_centre / listed_on_website / listed_by_qr (the keys of
    `changes`, already validated) for one procedure of the unit."""
    row, _created = UnitProcedure.objects.select_for_update().get_or_create(
        unit=unit, procedure=procedure, defaults={"handles": handled_by_default(unit, procedure)}
    )
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_by = by
    row.save()
    return row


@transaction.atomic
def mark_listed_at_centre(unit: Unit, codes: Iterable[str], day: datetime.date, *, by=None) -> int:
    """Set `listed_at_centre` to `day` for the procedures (by code) the unit handles that are not
    yet listed there on or before `day`. Returns how many changed. A fixed number of queries."""
    wanted = set(codes)
    if not wanted:
        return 0
    entries = [e for e in procedures_for(unit) if e.procedure.code in wanted]
    created, updated = [], []
    for entry in entries:
        if entry.listed_at_centre is not None and entry.listed_at_centre <= day:
            continue
        if entry.row is None:
            created.append(
                UnitProcedure(
                    unit=unit, procedure=entry.procedure, handles=True, listed_at_centre=day, updated_by=by
                )
            )
        else:
            entry.row.listed_at_centre = day
            entry.row.updated_by = by
            entry.row.updated_at = timezone.now()
            updated.append(entry.row)
    # A row another editor created meanwhile is updated, not duplicated.
    UnitProcedure.objects.bulk_create(
        created,
        update_conflicts=True,
        unique_fields=["unit", "procedure"],
        update_fields=["listed_at_centre", "updated_by", "updated_at"],
    )
    UnitProcedure.objects.bulk_update(updated, ["listed_at_centre", "updated_by", "updated_at"])
    return len(created) + len(updated)
