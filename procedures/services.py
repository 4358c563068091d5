"""Importing the catalogue of administrative procedures: plan (preview) and apply.

`plan_import(sheet)` compares what a spreadsheet says (procedures.reading) with the catalogue,
loading the existing procedures once (one query, not one per row as django-import-export's
default path does): every row is new, changed (with the fields and their before/after values),
unchanged or invalid; when the file is a ministry's complete list (the national portal's export),
the ministry's procedures missing from it are to be repealed. Nothing is written.

`apply_import(plan, …)` writes it in one transaction as an ImportBatch with one ProcedureChange
per procedure touched — the procedure's history — using bulk inserts and updates. It refuses if
any row is invalid unless told to skip them, and if the catalogue changed since the preview. A
file that changes nothing writes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cchc_portal.lib.bulk import copy_rows
from procedures.models import ImportBatch, Procedure, ProcedureChange, ProcedureStatus
from procedures.reading import ProcedureRow, Sheet
from procedures.search import search_text_for

# The fields an import sets, in the order the preview shows their changes.
FIELDS = (
    "name",
    "field",
    "ministry",
    "agencies",
    "levels",
    "online_level",
    "decisions",
    "status",
    "effective_from",
    "effective_to",
)
LABELS = {
    "name": "Tên thủ tục",
    "field": "Lĩnh vực",
    "ministry": "Cơ quan ban hành",
    "agencies": "Cơ quan thực hiện",
    "levels": "Cấp thực hiện",
    "online_level": "DVC trực tuyến",
    "decisions": "Quyết định công bố",
    "status": "Tình trạng",
    "effective_from": "Hiệu lực từ",
    "effective_to": "Hết hiệu lực từ",
}
LOCK_KEY = 7460231  # pg_advisory_xact_lock key: one catalogue import at a time


class ImportRefused(Exception):
    """The import cannot be applied; the message is shown as is."""


@dataclass
class PlannedRow:
    row: ProcedureRow
    kind: str  # "new" | "changed" | "unchanged" | "invalid"
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    procedure_id: int | None = None


@dataclass
class ImportPlan:
    sheet: Sheet
    rows: list[PlannedRow]
    repealed: list[Procedure]
    full_list: bool
    state: int = 0  # the catalogue's last batch when the plan was made

    def of(self, kind: str) -> list[PlannedRow]:
        return [r for r in self.rows if r.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("new", "changed", "unchanged", "invalid"), 0)
        for row in self.rows:
            counts[row.kind] += 1
        counts["repealed"] = len(self.repealed)
        return counts

    @property
    def has_changes(self) -> bool:
        counts = self.counts
        return bool(counts["new"] or counts["changed"] or counts["repealed"])

    def fingerprint(self) -> str:
        """What the plan would do, to check at apply time that the catalogue has not changed."""
        parts = [f"{r.kind}:{r.row.code}:{sorted(r.diff)}" for r in self.rows] + [
            f"repeal:{p.code}" for p in self.repealed
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _values(row: ProcedureRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value if value is not None else None


def plan_import(sheet: Sheet, *, full_list: bool | None = None) -> ImportPlan:
    """Compare the sheet with the catalogue (two queries: the last batch, the procedures). `full_list`: missing procedures of the
    file's ministries are repealed; by default only for the national portal's export."""
    if full_list is None:
        full_list = sheet.shape == "portal"
    state = _catalogue_state()
    # Plain tuples, not model instances: ten times cheaper for a whole catalogue.
    columns = ("pk", "code", *FIELDS)
    existing = {
        values[1]: dict(zip(columns, values, strict=True))
        for values in Procedure.objects.order_by().values_list(*columns)
    }
    planned = []
    for row in sheet.rows:
        if row.errors:
            planned.append(PlannedRow(row, "invalid"))
            continue
        current = existing.get(row.code)
        if current is None:
            planned.append(PlannedRow(row, "new"))
            continue
        diff = {}
        for name, value in _values(row).items():
            before = _comparable(current[name])
            after = _comparable(value)
            if name in ("field", "ministry", "decisions", "online_level") and not after:
                continue  # a file without that column does not erase what is known
            if name in ("agencies", "levels") and not after:
                continue
            if name in ("effective_from", "effective_to") and after is None:
                continue
            if before != after:
                diff[name] = (before, after)
        planned.append(PlannedRow(row, "changed" if diff else "unchanged", diff, current["pk"]))
    repealed: list[Procedure] = []
    if full_list:
        in_file = {r.code for r in sheet.rows}
        ministries = {r.ministry for r in sheet.rows if r.ministry and not r.errors}
        repealed = sorted(
            (
                Procedure(
                    pk=p["pk"], code=p["code"], name=p["name"], ministry=p["ministry"], status=p["status"]
                )
                for p in existing.values()
                if p["ministry"] in ministries
                and p["code"] not in in_file
                and p["status"] != ProcedureStatus.REPEALED
            ),
            key=lambda p: p.code,
        )
    return ImportPlan(sheet, planned, repealed, full_list, state)


def _catalogue_state() -> int:
    """The last import batch: every change to the catalogue is one (procedures are read-only
    otherwise), so a plan made before another import is out of date."""
    return ImportBatch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def apply_import(
    plan: ImportPlan,
    *,
    source_name: str,
    content: bytes = b"",
    by: Any = None,
    skip_invalid: bool = False,
) -> ImportBatch | None:
    """Write the plan as one batch; None when the file changes nothing."""
    invalid = plan.of("invalid")
    if invalid and not skip_invalid:
        raise ImportRefused(
            _("Tệp có %(n)d dòng lỗi; không có gì được ghi. Hãy sửa tệp, hoặc chọn bỏ qua các dòng lỗi.")
            % {"n": len(invalid)}
        )
    with transaction.atomic():
        _lock()
        fresh = plan
        if _catalogue_state() != plan.state:
            raise ImportRefused(
                _("Danh mục vừa được cập nhật bởi một lần nhập khác; hãy xem lại bản xem trước rồi xác nhận.")
            )
        if not fresh.has_changes:
            return None
        user = by if getattr(by, "is_authenticated", False) else None
        counts = fresh.counts
        batch = ImportBatch.objects.create(
            source_name=source_name[:255],
            sha256=hashlib.sha256(content).hexdigest() if content else "",
            shape=plan.sheet.shape,
            imported_by=user,
            added=counts["new"],
            changed=counts["changed"],
            unchanged=counts["unchanged"],
            repealed=counts["repealed"],
            skipped=counts["invalid"],
        )
        new_rows = fresh.of("new")
        _insert_procedures(new_rows, batch)
        changed = fresh.of("changed")
        if changed:
            # Fields the file left empty (or did not change) keep what the catalogue has.
            current = {
                row["id"]: row
                for row in Procedure.objects.filter(pk__in=[r.procedure_id for r in changed]).values()
            }
            objects = []
            for r in changed:
                values = {name: current[r.procedure_id][name] for name in FIELDS}
                values.update({name: getattr(r.row, name) for name in r.diff})
                objects.append(
                    Procedure(
                        pk=r.procedure_id,
                        code=r.row.code,
                        search_text=search_text_for(r.row.code, values["name"]),
                        updated_batch=batch,
                        **values,
                    )
                )
            Procedure.objects.bulk_update(objects, [*FIELDS, "search_text", "updated_batch"], batch_size=1000)
        for procedure in fresh.repealed:
            procedure.status = ProcedureStatus.REPEALED
            procedure.updated_batch = batch
        Procedure.objects.bulk_update(fresh.repealed, ["status", "updated_batch"], batch_size=1000)
        ids = Procedure.objects.filter(created_batch=batch).values_list("pk", flat=True) if new_rows else []
        changes = [
            ProcedureChange(batch=batch, procedure_id=pk, kind=ProcedureChange.Kind.ADDED) for pk in ids
        ]
        changes += [
            ProcedureChange(
                batch=batch,
                procedure_id=r.procedure_id,
                kind=ProcedureChange.Kind.RESTORED
                if r.diff.get("status", (None,))[0] == ProcedureStatus.REPEALED
                else ProcedureChange.Kind.CHANGED,
                diff={name: list(values) for name, values in r.diff.items()},
            )
            for r in changed
        ]
        changes += [
            ProcedureChange(
                batch=batch,
                procedure=p,
                kind=ProcedureChange.Kind.REPEALED,
                diff={"status": [ProcedureStatus.IN_FORCE, ProcedureStatus.REPEALED]},
            )
            for p in fresh.repealed
        ]
        _insert_changes(changes)
    return batch


def _insert_procedures(rows: list[PlannedRow], batch: ImportBatch) -> None:
    if not rows:
        return
    if connection.vendor != "postgresql":
        Procedure.objects.bulk_create(
            [
                Procedure(
                    code=r.row.code,
                    search_text=search_text_for(r.row.code, r.row.name),
                    created_batch=batch,
                    updated_batch=batch,
                    **_values(r.row),
                )
                for r in rows
            ],
            batch_size=500,
        )
        return
    now = timezone.now().isoformat()
    columns = ["code", *FIELDS, "search_text", "created_batch_id", "updated_batch_id", "updated_at"]
    data = []
    for r in rows:
        values = _values(r.row)
        values["agencies"] = json.dumps(values["agencies"], ensure_ascii=False)
        values["levels"] = json.dumps(values["levels"])
        data.append(
            [
                r.row.code,
                *(values[name] for name in FIELDS),
                search_text_for(r.row.code, r.row.name),
                batch.pk,
                batch.pk,
                now,
            ]
        )
    copy_rows(Procedure._meta.db_table, columns, data)


def _insert_changes(changes: list[ProcedureChange]) -> None:
    if connection.vendor != "postgresql":
        ProcedureChange.objects.bulk_create(changes, batch_size=500)
        return
    copy_rows(
        ProcedureChange._meta.db_table,
        ["batch_id", "procedure_id", "kind", "diff"],
        [
            [c.batch_id, c.procedure_id, c.kind, json.dumps(c.diff, ensure_ascii=False, default=str)]
            for c in changes
        ],
    )


def describe(value: Any) -> str:
    """A field value as the preview and the history show it."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)
