"""The audit trail: who changed what and when, read from django-simple-history's records."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

ACTIONS = {"+": _("Tạo mới"), "~": _("Sửa"), "-": _("Xóa")}


@dataclass
class Change:
    label: str
    old: Any
    new: Any


@dataclass
class Entry:
    date: datetime.datetime
    user: Any
    action: str
    model_name: str
    object_label: str
    object_id: Any
    changes: list[Change]
    reason: str


def _display(field: models.Field, value: Any, related: dict[tuple[type, Any], Any]) -> Any:
    if value is None or value == "":
        return "—"
    if field.is_relation and field.many_to_one:
        return related.get((field.related_model, value), value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.BooleanField):
        return _("Có") if value else _("Không")
    return value


def _label(model: type, record: Any) -> str:
    # A model whose __str__ follows relations labels its history records itself, from the
    # related rows the caller select_related() (record.instance would query per row).
    if hasattr(model, "audit_label"):
        return model.audit_label(record)
    return str(record.instance)


def history_entries(querysets: list[models.QuerySet], limit: int = 100) -> list[Entry]:
    """The latest `limit` history records of the given history querysets, newest first, with diffs.

    One query per queryset, one per related model shown in a diff, and one per object whose
    previous version falls outside the window.
    """
    records = []
    for qs in querysets:
        records.extend(qs.select_related("history_user").order_by("-history_date", "-history_id")[:limit])
    records.sort(key=lambda r: (r.history_date, r.history_id), reverse=True)
    records = records[:limit]

    by_object: dict[tuple[type, Any], list] = defaultdict(list)
    for record in records:
        by_object[(type(record), record.id)].append(record)  # newest first within each object
    pairs = []
    for versions in by_object.values():
        for i, record in enumerate(versions):
            previous = versions[i + 1] if i + 1 < len(versions) else None
            if previous is None and record.history_type == "~":
                previous = record.prev_record
            pairs.append((record, previous))

    deltas = {}
    wanted: dict[type, set] = defaultdict(set)
    for record, previous in pairs:
        if previous is None:
            continue
        delta = record.diff_against(previous)
        deltas[record.history_id, type(record)] = delta
        model = record.instance_type
        for change in delta.changes:
            field = model._meta.get_field(change.field)
            if field.is_relation and field.many_to_one:
                wanted[field.related_model] |= {change.old, change.new} - {None}
    related = {}
    for model, pks in wanted.items():
        for pk, obj in model._default_manager.in_bulk(list(pks)).items():
            related[model, pk] = obj

    entries = []
    for record, _previous in pairs:
        model = record.instance_type
        delta = deltas.get((record.history_id, type(record)))
        changes = []
        if delta is not None:
            for change in delta.changes:
                field = model._meta.get_field(change.field)
                if field.many_to_many:
                    continue
                changes.append(
                    Change(
                        str(field.verbose_name),
                        _display(field, change.old, related),
                        _display(field, change.new, related),
                    )
                )
        entries.append(
            Entry(
                date=record.history_date,
                user=record.history_user,
                action=ACTIONS.get(record.history_type, record.history_type),
                model_name=str(model._meta.verbose_name),
                object_label=_label(model, record),
                object_id=record.id,
                changes=changes,
                reason=record.history_change_reason or "",
            )
        )
    entries.sort(key=lambda e: e.date, reverse=True)
    return entries
