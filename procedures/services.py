"""Importing the catalogue of administrative procedures: plan (preview) and apply.

`plan_import(sheet)` compares what a spreadsheet says (procedures.reading) with the catalogue,
loading the existing procedures once (one query, not one per row as django-import-export's
default path does): every row is new, changed (with the fields and their before/after values),
unchanged or invalid. Nothing is written.

Sources. Provinces re-import lists from several sources (each ministry's export of the national
portal, provincial appendices, a commune's audited list), which overlap: the Bộ Công an's export
holds a procedure issued by Bộ Xây dựng. Each import speaks for a *scope*: the issuing body the
file declares (the "Cơ quan ban hành" of most of its rows) or the one the user names; each
procedure has a `source`, the scope that owns its fields (the import that brought it, or its
issuer's own import since). So that re-importing every source, in any order, changes nothing after
the first pass:

* an import owns a procedure when it is the procedure's source or its issuer; otherwise it only
  fills fields that are empty, and a different name is kept beside the owner's as `local_name`
  (an appendix imported over the national catalogue keeps the national name);
* a full import (a ministry's complete list) repeals only procedures of its own scope missing from
  the file, and never one that another source's latest import lists (`SourceListing`);
* each import records which procedures its source lists now.

Imports without a scope (an appendix without "Cơ quan ban hành") share one source, "": give each
list its scope (`--scope`, the admin's "Phạm vi") to keep several such lists apart.

`apply_import(plan, …)` writes it in one transaction as an ImportBatch with one ProcedureChange
per procedure touched — the procedure's history — using bulk inserts and updates. It refuses if
any row is invalid unless told to skip them, and if the catalogue changed since the preview. A
file that changes nothing writes nothing.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cchc_portal.lib.bulk import copy_rows
from cchc_portal.lib.vietnamese import clean_spaces, fold
from procedures.models import ImportBatch, Procedure, ProcedureChange, ProcedureStatus, SourceListing
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
    "local_name": "Tên trong danh mục địa phương",
    "source": "Nguồn",
    "original_name": "Tên trong tệp (trước khi sửa dấu)",
}
# Set by the ownership rules (see the module's docstring), not read from a row.
OWNERSHIP_FIELDS = ("local_name", "source")
_CASE_CODE = re.compile(r"^(\d\.\d{6})\.\d{2}$")  # "1.001193.01": a case of "1.001193"
LOCK_KEY = 7460231  # pg_advisory_xact_lock key: one catalogue import at a time


class ImportRefused(Exception):
    """The import cannot be applied; the message is shown as is."""


@dataclass
class PlannedRow:
    row: ProcedureRow
    kind: str  # "new" | "changed" | "unchanged" | "invalid"
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    procedure_id: int | None = None
    owner: str | None = None  # the other source that owns the procedure (its fields were kept)
    kept: list[str] = field(default_factory=list)  # fields where the file differs from the owner


@dataclass
class ImportPlan:
    sheet: Sheet
    rows: list[PlannedRow]
    repealed: list[Procedure]
    full_list: bool
    state: int = 0  # the catalogue's last batch when the plan was made
    scope: str = ""  # the source this import speaks for ("" for none)
    scope_origin: str = ""  # "declared" (by the file), "explicit" (by the user) or ""
    protected: list[Procedure] = field(default_factory=list)  # missing, but listed by another source
    listing_add: list[str] = field(default_factory=list)  # codes this source now lists
    listing_remove: list[int] = field(default_factory=list)  # SourceListing ids it no longer lists
    undetermined: list[int] = field(default_factory=list)  # lines of rows without a level
    refusal: str = ""  # why the plan cannot be applied at all

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
        return bool(
            counts["new"]
            or counts["changed"]
            or counts["repealed"]
            or self.listing_add
            or self.listing_remove
        )

    @property
    def kept(self) -> list[PlannedRow]:
        """Rows of procedures another source owns, where the file says otherwise."""
        return [r for r in self.rows if r.kept]

    def scope_note(self) -> str:
        """What the preview says about the scope."""
        if not self.scope:
            if self.full_list:
                return _("Phạm vi: chưa xác định — tệp không khai cơ quan ban hành và chưa chọn phạm vi.")
            return _("Phạm vi: không có — một phần danh mục, không bãi bỏ thủ tục nào.")
        how = (
            _("cơ quan ban hành mà tệp khai") if self.scope_origin == "declared" else _("do người nhập chọn")
        )
        if self.full_list:
            return _(
                "Phạm vi: %(scope)s (%(how)s). Danh sách đầy đủ: chỉ bãi bỏ thủ tục của phạm vi này không còn "
                "trong tệp, trừ thủ tục có trong lần nhập gần nhất của nguồn khác."
            ) % {"scope": self.scope, "how": how}
        return _("Phạm vi: %(scope)s (%(how)s). Một phần danh mục: không bãi bỏ thủ tục nào.") % {
            "scope": self.scope,
            "how": how,
        }

    def fingerprint(self) -> str:
        """What the plan would do, to check at apply time that the catalogue has not changed."""
        parts = [f"{r.kind}:{r.row.code}:{sorted(r.diff)}" for r in self.rows] + [
            f"repeal:{p.code}" for p in self.repealed
        ]
        parts += [f"scope:{self.scope}", f"list:{len(self.listing_add)}:{len(self.listing_remove)}"]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _values(row: ProcedureRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value if value is not None else None


def _empty(value: Any) -> bool:
    return value in (None, "", [])


def plan_import(sheet: Sheet, *, full_list: bool | None = None, scope: str | None = None) -> ImportPlan:
    """Compare the sheet with the catalogue: three queries (the last batch, the procedures, the
    sources' listings), whatever the file's size. `full_list`: the file is its scope's complete
    list (by default only the national portal's export); `scope`: the source it speaks for,
    instead of the issuer the file declares."""
    # Issuers and sources repeat: fold each once (the plan folds three per row otherwise).
    fold_key = functools.lru_cache(maxsize=None)(fold)
    scope_text = clean_spaces(scope or "") or sheet.declared_issuer
    origin = "explicit" if clean_spaces(scope or "") else "declared" if sheet.declared_issuer else ""
    key = fold_key(scope_text)
    if full_list is None:
        # A portal export is its issuer's complete list; one that declares no issuer is not.
        full_list = sheet.shape == "portal" and bool(key)
    state = _catalogue_state()
    # Plain tuples, not model instances: ten times cheaper for a whole catalogue.
    columns = ("pk", "code", *FIELDS, *OWNERSHIP_FIELDS)
    existing = {
        values[1]: dict(zip(columns, values, strict=True))
        for values in Procedure.objects.order_by().values_list(*columns)
    }
    listed: dict[int, set[str]] = {}  # procedure → the sources listing it
    here: dict[int, int] = {}  # procedure → this source's listing row
    for listing_id, listing_scope, procedure_id in SourceListing.objects.values_list(
        "pk", "scope", "procedure_id"
    ):
        listed.setdefault(procedure_id, set()).add(fold_key(listing_scope))
        if key and fold_key(listing_scope) == key:
            here[procedure_id] = listing_id
    levels_by_code = {r.code: r.levels for r in sheet.rows if r.levels and not r.errors}
    planned = []
    undetermined = []
    for row in sheet.rows:
        if row.errors:
            planned.append(PlannedRow(row, "invalid"))
            continue
        current = existing.get(row.code)
        if not row.levels:
            # No agency, no level: the catalogue's, or the base code's for a case code.
            base = _CASE_CODE.match(row.code)
            known = current["levels"] if current else None
            if not known and base:
                known = levels_by_code.get(base[1]) or (existing.get(base[1]) or {}).get("levels")
            if known:
                row.levels = list(known)
            else:
                undetermined.append(row.line)
        if current is None:
            planned.append(PlannedRow(row, "new"))
            continue
        owned = fold_key(current["source"]) == key or (
            bool(key) and key in (fold_key(current["ministry"]), fold_key(row.ministry))
        )
        diff: dict[str, tuple[Any, Any]] = {}
        kept = []
        for name, value in _values(row).items():
            before = _comparable(current[name])
            after = _comparable(value)
            if _empty(after):
                continue  # a file without that column does not erase what is known
            if before == after:
                continue
            if not owned and not _empty(before):
                kept.append(name)  # another source owns it: its value stays
                continue
            diff[name] = (before, after)
        if owned:
            if current["source"] != scope_text:
                diff["source"] = (current["source"], scope_text)
                if "name" in diff and not current["local_name"]:
                    # Taking over from another source: its name stays beside the owner's.
                    diff["local_name"] = ("", current["name"])
        elif "name" in kept:
            kept.remove("name")
            if current["local_name"] != row.name:
                diff["local_name"] = (current["local_name"], row.name)
        planned.append(
            PlannedRow(
                row,
                "changed" if diff else "unchanged",
                diff,
                current["pk"],
                owner=None if owned else (current["source"] or current["ministry"] or "—"),
                kept=kept,
            )
        )
    plan = ImportPlan(sheet, planned, [], full_list, state, scope_text, origin, undetermined=undetermined)
    if full_list and not key:
        plan.refusal = _(
            "Tệp không khai cơ quan ban hành nên chưa biết phạm vi của danh sách đầy đủ: hãy chọn phạm vi "
            "(cơ quan ban hành), hoặc nhập như một phần danh mục."
        )
    elif full_list:
        in_file = {r.code for r in sheet.rows}
        for p in sorted(existing.values(), key=lambda p: p["code"]):
            in_scope = fold_key(p["source"]) == key or fold_key(p["ministry"]) == key
            if not in_scope or p["code"] in in_file or p["status"] == ProcedureStatus.REPEALED:
                continue
            procedure = Procedure(
                pk=p["pk"], code=p["code"], name=p["name"], ministry=p["ministry"], status=p["status"]
            )
            if listed.get(p["pk"], set()) - {key}:
                plan.protected.append(procedure)  # another source's latest import lists it
            else:
                plan.repealed.append(procedure)
    if key:
        valid = [r.row.code for r in planned if r.kind != "invalid"]
        plan.listing_add = [
            code for code in valid if code not in existing or existing[code]["pk"] not in here
        ]
        if full_list:
            in_file_ids = {existing[code]["pk"] for code in valid if code in existing}
            plan.listing_remove = [lid for pid, lid in here.items() if pid not in in_file_ids]
    return plan


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
    if plan.refusal:
        raise ImportRefused(plan.refusal)
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
            scope=plan.scope[:255],
        )
        new_rows = fresh.of("new")
        _insert_procedures(new_rows, batch, source=plan.scope[:255])
        changed = fresh.of("changed")
        if changed:
            # Fields the file left empty (or did not change) keep what the catalogue has.
            current = {
                row["id"]: row
                for row in Procedure.objects.filter(pk__in=[r.procedure_id for r in changed]).values()
            }
            objects = []
            for r in changed:
                values = {name: current[r.procedure_id][name] for name in (*FIELDS, *OWNERSHIP_FIELDS)}
                values.update({name: getattr(r.row, name) for name in r.diff if name in FIELDS})
                values.update({name: r.diff[name][1] for name in r.diff if name in OWNERSHIP_FIELDS})
                objects.append(
                    Procedure(
                        pk=r.procedure_id,
                        code=r.row.code,
                        search_text=search_text_for(r.row.code, values["name"]),
                        updated_batch=batch,
                        **values,
                    )
                )
            Procedure.objects.bulk_update(
                objects, [*FIELDS, *OWNERSHIP_FIELDS, "search_text", "updated_batch"], batch_size=1000
            )
        for procedure in fresh.repealed:
            procedure.status = ProcedureStatus.REPEALED
            procedure.updated_batch = batch
        Procedure.objects.bulk_update(fresh.repealed, ["status", "updated_batch"], batch_size=1000)
        ids = (
            dict(Procedure.objects.filter(created_batch=batch).values_list("code", "pk")) if new_rows else {}
        )
        # The name as the file had it, when its diacritics were repaired: kept in the history.
        original = {
            r.row.code: [r.row.original_name, r.row.name] for r in new_rows + changed if r.row.original_name
        }
        changes = [
            ProcedureChange(
                batch=batch,
                procedure_id=pk,
                kind=ProcedureChange.Kind.ADDED,
                diff={"original_name": original[code]} if code in original else {},
            )
            for code, pk in ids.items()
        ]
        changes += [
            ProcedureChange(
                batch=batch,
                procedure_id=r.procedure_id,
                kind=ProcedureChange.Kind.RESTORED
                if r.diff.get("status", (None,))[0] == ProcedureStatus.REPEALED
                else ProcedureChange.Kind.CHANGED,
                diff={name: list(values) for name, values in r.diff.items()}
                | (
                    {"original_name": [original[r.row.code], None]}
                    if r.row.code in original and "name" in r.diff
                    else {}
                ),
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
        _record_listings(plan, ids)
    return batch


def _record_listings(plan: ImportPlan, new_ids: dict[str, int]) -> None:
    """What this source lists now (see SourceListing)."""
    if plan.listing_remove:
        SourceListing.objects.filter(pk__in=plan.listing_remove).delete()
    if not plan.listing_add:
        return
    missing = [code for code in plan.listing_add if code not in new_ids]
    ids = dict(new_ids)
    if missing:
        ids.update(Procedure.objects.filter(code__in=missing).values_list("code", "pk"))
    SourceListing.objects.bulk_create(
        [
            SourceListing(scope=plan.scope[:255], procedure_id=ids[code])
            for code in plan.listing_add
            if code in ids
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def _insert_procedures(rows: list[PlannedRow], batch: ImportBatch, *, source: str) -> None:
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
                    source=source,
                    **_values(r.row),
                )
                for r in rows
            ],
            batch_size=500,
        )
        return
    now = timezone.now().isoformat()
    columns = [
        "code",
        *FIELDS,
        "local_name",
        "source",
        "search_text",
        "created_batch_id",
        "updated_batch_id",
        "updated_at",
    ]
    data = []
    for r in rows:
        values = _values(r.row)
        values["agencies"] = json.dumps(values["agencies"], ensure_ascii=False)
        values["levels"] = json.dumps(values["levels"])
        data.append(
            [
                r.row.code,
                *(values[name] for name in FIELDS),
                "",
                source,
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


def plan_warnings(plan: ImportPlan) -> list[str]:
    """What the preview (and the command) tells besides the file's own warnings."""
    warnings = []

    def some(lines: list[Any]) -> str:
        return ", ".join(map(str, lines[:10])) + (", …" if len(lines) > 10 else "")

    if plan.sheet.cross_issuer:
        issuers = sorted({r.ministry for r in plan.sheet.cross_issuer})
        warnings.append(
            _(
                "%(n)d thủ tục do cơ quan khác ban hành (%(issuers)s: %(codes)s): ghi nhận trong danh sách của "
                "nguồn này, không thuộc phạm vi bãi bỏ của nó."
            )
            % {
                "n": len(plan.sheet.cross_issuer),
                "issuers": "; ".join(issuers),
                "codes": some([r.code for r in plan.sheet.cross_issuer]),
            }
        )
    if plan.kept:
        warnings.append(
            _(
                "%(n)d thủ tục thuộc nguồn khác (%(owners)s): giữ tên, cấp, lĩnh vực, tình trạng… của nguồn đó; "
                "tên khác trong tệp được ghi vào “tên trong danh mục địa phương” (mã %(codes)s)."
            )
            % {
                "n": len(plan.kept),
                "owners": "; ".join(sorted({r.owner or "—" for r in plan.kept})),
                "codes": some([r.row.code for r in plan.kept]),
            }
        )
    if plan.undetermined:
        warnings.append(
            _(
                "%(n)d thủ tục chưa xác định cấp thực hiện (tệp không ghi cơ quan thực hiện hay cấp, danh mục "
                "chưa có): dòng %(rows)s."
            )
            % {"n": len(plan.undetermined), "rows": some(plan.undetermined)}
        )
    return warnings
