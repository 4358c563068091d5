"""Writes to the unit tree: imports, hand-made units, successions. Each leaves an audit trail."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from cchc_portal.lib import nd30
from cchc_portal.lib.vietnamese import upper
from units.importers import FORMAT_DEFAULTS, ParsedUnitFile, UnitRecord
from units.models import Level, Unit, UnitImport, UnitKind, UnitSuccession
from units.successions import SuccessionPlan

SUCCESSION_FORMAT = "ke-thua"  # UnitImport.file_format of a succession table

LEVEL_ORDER = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2, Level.AGENCY: 3}
DOCUMENT_FIELDS = ("parent_authority_line", "authority_line", "place_name", "body_symbol")
FIELD_LABELS = {
    "name": gettext_lazy("tên"),
    "full_name": gettext_lazy("tên đầy đủ"),
    "kind": gettext_lazy("loại"),
    "valid_from": gettext_lazy("hiệu lực từ"),
    "valid_to": gettext_lazy("hiệu lực đến"),
    "legal_basis": gettext_lazy("căn cứ pháp lý"),
    "parent": gettext_lazy("đơn vị cấp trên"),
    "parent_authority_line": gettext_lazy("dòng cơ quan chủ quản"),
    "authority_line": gettext_lazy("dòng cơ quan ban hành"),
    "place_name": gettext_lazy("địa danh"),
    "body_symbol": gettext_lazy("ký hiệu cơ quan"),
}


class UnitImportError(Exception):
    pass


def default_document_lines(
    kind: UnitKind, name: str, full_name: str, parent: Unit | None, symbol: str = ""
) -> dict[str, str]:
    """The header lines NĐ 30/2020 needs, as most units write them; admins may edit them.

    Territorial units issue documents as their People's Committee ("ỦY BAN NHÂN DÂN PHƯỜNG TÂN
    THẠNH"), under the committee above ("UBND THÀNH PHỐ TAM KỲ"). Agencies issue in their own
    name under the province's committee. The place is the unit's own name, except names that
    are numbers ("Phường 2 Bảo Lộc"), which NĐ 30 writes in full.
    """
    parent_line = ""
    if parent is not None:
        parent_line = f"{nd30.body_symbol(parent)} {upper(parent.full_name)}"
    if kind.level == Level.AGENCY:
        return {
            "parent_authority_line": parent_line,
            "authority_line": upper(full_name),
            "place_name": parent.place_name if parent else name,
            "body_symbol": symbol or kind.default_symbol,
        }
    place = full_name if any(ch.isdigit() for ch in name) else name
    return {
        "parent_authority_line": parent_line,
        "authority_line": f"{kind.authority_body} {upper(full_name)}".strip(),
        "place_name": place,
        "body_symbol": symbol or kind.default_symbol,
    }


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field)


@dataclass
class PlannedUpdate:
    unit: Unit
    record: UnitRecord
    changes: list[FieldChange]
    new_parent_key: tuple[str, str] | None = None


@dataclass
class UnitImportPlan:
    parsed: ParsedUnitFile
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    legal_basis: str
    new: list[UnitRecord] = field(default_factory=list)
    updates: list[PlannedUpdate] = field(default_factory=list)
    unchanged: int = 0
    missing: list[Unit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.updates)

    def counts_by_level(self) -> list[tuple[str, int]]:
        counts = Counter(r.level for r in self.parsed.records)
        return [(str(Level(level).label), counts[level]) for level in LEVEL_ORDER if counts[level]]

    def summary(self) -> str:
        if not self.is_valid:
            return _("Tệp có %(n)d lỗi; không có gì được ghi.") % {"n": len(self.errors)}
        if not self.has_changes:
            return _("Không có thay đổi: %(n)d đơn vị trong tệp đã khớp với dữ liệu hiện có.") % {
                "n": self.unchanged
            }
        return _("%(new)d đơn vị mới, %(changed)d đơn vị thay đổi, %(same)d đơn vị không đổi.") % {
            "new": len(self.new),
            "changed": len(self.updates),
            "same": self.unchanged,
        }


def _overlapping(valid_from: datetime.date | None, valid_to: datetime.date | None) -> Q:
    q = Q()
    if valid_to is not None:
        q &= Q(valid_from__isnull=True) | Q(valid_from__lte=valid_to)
    if valid_from is not None:
        q &= Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    return q


def plan_unit_import(
    parsed: ParsedUnitFile,
    *,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    legal_basis: str | None = None,
    use_format_defaults: bool = True,
) -> UnitImportPlan:
    """Compare a parsed file with the database: what would be added, changed, left alone.

    Existing units are matched by level and code among the units whose validity overlaps the
    file's, so a code reused after the 2025 merger matches the right unit. One query loads
    them all; nothing is written.
    """
    defaults = FORMAT_DEFAULTS.get(parsed.file_format, {}) if use_format_defaults else {}
    valid_from = valid_from if valid_from is not None else defaults.get("valid_from")
    valid_to = valid_to if valid_to is not None else defaults.get("valid_to")
    legal_basis = legal_basis if legal_basis is not None else defaults.get("legal_basis", "")
    plan = UnitImportPlan(parsed, valid_from, valid_to, legal_basis, errors=list(parsed.errors))
    if valid_from and valid_to and valid_to < valid_from:
        plan.errors.append(_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."))
        return plan

    levels = {r.level for r in parsed.records}
    existing_units = list(
        Unit.objects.filter(kind__level__in=levels)
        .filter(_overlapping(valid_from, valid_to))
        .select_related("kind")
    )
    existing: dict[tuple[str, str], Unit] = {}
    for unit in existing_units:
        key = (unit.kind.level, unit.code)
        if key in existing:
            plan.errors.append(
                _(
                    "Dữ liệu hiện có đã có hai đơn vị mã %(code)s cùng thời gian hiệu lực; "
                    "hãy sửa trước khi nhập."
                )
                % {"code": unit.code}
            )
        existing[key] = unit
    by_path = {u.path: u for u in existing_units}
    records = {r.key: r for r in parsed.records}

    for record in parsed.records:
        if record.parent_key is None and record.level != Level.PROVINCE:
            plan.errors.append(_("%(where)s: không xác định được đơn vị cấp trên") % {"where": record.where})
            continue
        unit = existing.get(record.key)
        if unit is None:
            plan.new.append(record)
            continue
        changes = _record_changes(unit, record, valid_from, valid_to, legal_basis, existing, by_path)
        if changes:
            parent_change = next((c for c in changes if c.field == "parent"), None)
            plan.updates.append(
                PlannedUpdate(unit, record, changes, record.parent_key if parent_change else None)
            )
        else:
            plan.unchanged += 1

    file_roots = {
        existing[r.key].path for r in parsed.records if r.level == Level.PROVINCE and r.key in existing
    }
    plan.missing = [
        u
        for u in existing_units
        if (u.kind.level, u.code) not in records and u.path[: Unit.steplen] in file_roots
    ]
    return plan


def _record_changes(
    unit: Unit,
    record: UnitRecord,
    valid_from: datetime.date | None,
    valid_to: datetime.date | None,
    legal_basis: str,
    existing: dict[tuple[str, str], Unit],
    by_path: dict[str, Unit],
) -> list[FieldChange]:
    changes = []
    wanted = {
        "name": record.name,
        "full_name": record.full_name,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "legal_basis": legal_basis,
    }
    for name, value in wanted.items():
        if getattr(unit, name) != value:
            changes.append(FieldChange(name, getattr(unit, name), value))
    if unit.kind_id != record.kind.pk:
        changes.append(FieldChange("kind", unit.kind, record.kind))

    current_parent = by_path.get(unit.parent_path) if unit.depth > 1 else None
    wanted_parent = existing.get(record.parent_key) if record.parent_key else None
    if record.parent_key and (
        wanted_parent is None or wanted_parent.pk != getattr(current_parent, "pk", None)
    ):
        changes.append(FieldChange("parent", current_parent, wanted_parent or record.parent_key))

    # Header lines follow a renamed unit only where nobody has customised them.
    old_defaults = default_document_lines(
        unit.kind, unit.name, unit.full_name, current_parent, unit.body_symbol
    )
    new_defaults = default_document_lines(
        record.kind, record.name, record.full_name, wanted_parent or current_parent, unit.body_symbol
    )
    for name in DOCUMENT_FIELDS:
        if getattr(unit, name) == old_defaults[name] and new_defaults[name] != old_defaults[name]:
            changes.append(FieldChange(name, getattr(unit, name), new_defaults[name]))
    return changes


@transaction.atomic
def apply_unit_import(plan: UnitImportPlan, *, by: Any = None, source_name: str) -> UnitImport | None:
    """Write a valid plan in one transaction. Returns the import record, or None if nothing changed."""
    if not plan.is_valid:
        raise UnitImportError(plan.summary())
    if not plan.has_changes:
        return None
    reason = _("Nhập danh mục đơn vị từ %(name)s") % {"name": source_name}
    user = by if getattr(by, "is_authenticated", False) else None

    parents: dict[tuple[str, str], Unit] = {}
    keys = {u.record.parent_key for u in plan.updates} | {r.parent_key for r in plan.new}
    keys.discard(None)
    if keys:
        # Parents that already exist: the units the plan matched (re-read inside the transaction).
        matched = Unit.objects.filter(
            kind__level__in={k[0] for k in keys}, code__in={k[1] for k in keys}
        ).filter(_overlapping(plan.valid_from, plan.valid_to))
        parents = {(u.kind.level, u.code): u for u in matched.select_related("kind")}

    next_position: dict[str, int] = {}

    def allocate_path(parent_path: str) -> str:
        if parent_path not in next_position:
            depth = len(parent_path) // Unit.steplen + 1
            last = (
                Unit.objects.filter(depth=depth, path__startswith=parent_path)
                .order_by("-path")
                .values_list("path", flat=True)
                .first()
            )
            next_position[parent_path] = Unit._str2int(last[-Unit.steplen :]) + 1 if last else 1
        position = next_position[parent_path]
        next_position[parent_path] += 1
        return Unit._get_path(parent_path, len(parent_path) // Unit.steplen + 1, position)

    created: list[Unit] = []
    new_children: Counter[str] = Counter()
    for record in sorted(plan.new, key=lambda r: LEVEL_ORDER[r.level]):
        parent = parents.get(record.parent_key) if record.parent_key else None
        parent_path = parent.path if parent else ""
        unit = Unit(
            code=record.code,
            name=record.name,
            full_name=record.full_name,
            kind=record.kind,
            valid_from=plan.valid_from,
            valid_to=plan.valid_to,
            legal_basis=plan.legal_basis,
            path=allocate_path(parent_path),
            depth=len(parent_path) // Unit.steplen + 1,
            numchild=0,
            **default_document_lines(record.kind, record.name, record.full_name, parent),
        )
        unit.refresh_derived_fields()
        parents[record.key] = unit
        created.append(unit)
        if parent_path:
            new_children[parent_path] += 1
    for unit in created:
        unit.numchild = new_children.pop(unit.path, 0)
    bulk_create_with_history(created, Unit, batch_size=500, default_user=user, default_change_reason=reason)
    for parent_path, count in new_children.items():  # existing parents that got children
        Unit.objects.filter(path=parent_path).update(numchild=F("numchild") + count)

    if plan.updates:
        fields = set()
        for update in plan.updates:
            for change in update.changes:
                if change.field != "parent":
                    setattr(update.unit, change.field, change.new)
                    fields.add(change.field)
            update.unit.refresh_derived_fields()
        bulk_update_with_history(
            [u.unit for u in plan.updates],
            Unit,
            sorted(fields | {"search_text", "sort_key"}),
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
        )
        for update in plan.updates:
            if update.new_parent_key:
                node = Unit.objects.get(pk=update.unit.pk)
                Unit.objects.move(node, Unit.objects.get(pk=parents[update.new_parent_key].pk), "last-child")

    return UnitImport.objects.create(
        user=user,
        source_name=source_name[:255],
        sha256=plan.parsed.sha256,
        file_format=plan.parsed.file_format,
        added=len(plan.new),
        changed=len(plan.updates),
        unchanged=plan.unchanged,
    )


def find_code_clash(unit: Unit) -> str | None:
    """A message if another unit of the same level has this code in an overlapping period."""
    clash = (
        Unit.objects.filter(code=unit.code, kind__level=unit.kind.level)
        .filter(_overlapping(unit.valid_from, unit.valid_to))
        .exclude(pk=unit.pk)
        .first()
    )
    if clash is None:
        return None
    return _("Mã %(code)s đã được dùng cho %(other)s trong cùng thời gian hiệu lực.") % {
        "code": unit.code,
        "other": clash.full_name,
    }


@transaction.atomic
def save_unit(unit: Unit, *, parent: Unit | None, by: Any = None) -> Unit:
    """Create or update a hand-made unit (a department, a corrected name); fills blank header lines."""
    defaults = default_document_lines(unit.kind, unit.name, unit.full_name, parent, unit.body_symbol)
    for name in DOCUMENT_FIELDS:
        if not getattr(unit, name):
            setattr(unit, name, defaults[name])
    unit.refresh_derived_fields()
    clash = find_code_clash(unit)
    if clash is not None:
        raise UnitImportError(clash)
    if unit.pk is None:
        if parent is None:
            return Unit.objects.add_root(instance=unit)
        return Unit.objects.add_child(parent, instance=unit)
    unit.save()
    current_parent_path = unit.parent_path if unit.depth > 1 else None
    new_parent_path = parent.path if parent else None
    if current_parent_path != new_parent_path:
        if parent is not None and parent.path.startswith(unit.path):
            raise UnitImportError(_("Không thể đặt một đơn vị làm cấp dưới của chính nó."))
        if parent is None:
            Unit.objects.move(unit, Unit.objects.get_last_root_node(), "last-sibling")
        else:
            Unit.objects.move(unit, parent, "last-child")
        unit.refresh_from_db()
    return unit


@transaction.atomic
def apply_successions(
    plan: SuccessionPlan, *, by: Any = None, source_name: str, skip_invalid: bool = False
) -> UnitImport | None:
    """Write a succession plan in one transaction: new links created, changed ones updated, both
    with their audit history. Refused while a row is invalid, unless `skip_invalid`. None when
    nothing changes (a second import of the same file)."""
    invalid = plan.of("invalid")
    if invalid and not skip_invalid:
        raise UnitImportError(
            _("Tệp có %(n)d dòng lỗi; không có gì được ghi. Hãy sửa tệp, hoặc chọn bỏ qua các dòng lỗi.")
            % {"n": len(invalid)}
        )
    if not plan.has_changes:
        return None
    user = by if getattr(by, "is_authenticated", False) else None
    reason = _("Nhập bảng kế thừa đơn vị từ %(name)s") % {"name": source_name}
    new = [
        UnitSuccession(
            predecessor=link.predecessor,
            successor=link.successor,
            extent=link.row.extent,
            effective_date=link.row.date,
            legal_basis=link.row.legal_basis,
            note=link.row.note,
        )
        for link in plan.of("new")
    ]
    bulk_create_with_history(
        new, UnitSuccession, batch_size=500, default_user=user, default_change_reason=reason
    )
    changed = []
    for link in plan.of("changed"):
        changed.append(
            UnitSuccession(
                pk=link.link_id,
                predecessor=link.predecessor,
                successor=link.successor,
                extent=link.row.extent,
                effective_date=link.row.date,
                legal_basis=link.row.legal_basis,
                note=link.row.note,
            )
        )
    if changed:
        bulk_update_with_history(
            changed,
            UnitSuccession,
            ["extent", "effective_date", "legal_basis", "note"],
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
        )
    counts = plan.counts
    return UnitImport.objects.create(
        user=user,
        source_name=source_name[:255],
        sha256=plan.file.sha256,
        file_format=SUCCESSION_FORMAT,
        added=counts["new"],
        changed=counts["changed"],
        unchanged=counts["unchanged"],
    )


def link_succession(
    predecessor: Unit,
    successor: Unit,
    *,
    extent: str = UnitSuccession.Extent.WHOLE,
    effective_date: datetime.date,
    legal_basis: str = "",
) -> UnitSuccession:
    link, _created = UnitSuccession.objects.update_or_create(
        predecessor=predecessor,
        successor=successor,
        defaults={"extent": extent, "effective_date": effective_date, "legal_basis": legal_basis},
    )
    return link
