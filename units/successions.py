"""Reading succession tables (which old unit became which new one) and planning their import.

Two shapes are read, both .xlsx or CSV through cchc_portal.lib.spreadsheets:

* the official conversion table of the 2025 commune reorganisation as published (GSO,
  compiled by sunshine-tech/VietnamProvinces): a title row ("Đơn vị hành chính từ ngày
  01/7/2025" / "… trước ngày 01/7/2025"), the header `Tỉnh, thành phố · Tên Xã mới · Mã Xã mới ·
  Tên Xã cũ · Mã Xã cũ · Ghi chú · Quận/huyện · Tỉnh cũ`, a section row per province (its name
  alone), then one row per (new commune, old commune) pair. "Ghi chú" says how: "Nhập toàn bộ"
  (whole), "Nhập một phần" (part: the old commune is listed under several new ones), "Giữ
  nguyên", "Đổi loại hình", or a sentence. A row without an old commune code (Hoàng Sa: a
  district became a special zone) takes the district's code from "Quận/huyện" ("Huyện Hoàng Sa
  (498)").
* a plain table `old_code, new_code, kind, date, legal_basis` (kind: whole/part/unchanged/
  type_change or the Vietnamese words; date and legal basis optional).

Units are matched by code *and* validity: the successor is the unit with the new code in force on
the succession date, the predecessor the one with the old code in force the day before (after the
2025 merger a new commune reuses a predecessor's code: 20335 is both the former Phường Tân Thạnh
and the new Phường Bàn Thạch). Every row that cannot be matched is refused with its row number;
the planning reads the units and the existing links in two queries, whatever the file's size.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cchc_portal.lib.formatting import short_date
from cchc_portal.lib.spreadsheets import Grid, HeaderSpec, SpreadsheetError, read_table
from cchc_portal.lib.vietnamese import clean_spaces, fold
from units.models import Level, Unit, UnitSuccession

SHAPE_TABLE = "bang-chuyen-doi"
SHAPE_PLAIN = "csv"
SHAPE_LABELS = {
    SHAPE_TABLE: gettext_lazy("Bảng chuyển đổi ĐVHC cấp xã (mới ← cũ)"),
    SHAPE_PLAIN: gettext_lazy("Bảng kế thừa old_code, new_code, kind, date, legal_basis"),
}
# The 2025 reorganisation: the conversion table's units "từ ngày 01/7/2025".
DEFAULT_DATE = datetime.date(2025, 7, 1)
DEFAULT_LEGAL_BASIS = (
    "Các Nghị quyết 1654–1687/NQ-UBTVQH15 về sắp xếp ĐVHC cấp xã; bảng chuyển đổi ĐVHC của Cục Thống kê"
)
LEVEL_OF_DIGITS = {2: Level.PROVINCE, 3: Level.DISTRICT, 5: Level.COMMUNE}

# Folded header texts (underscores and camel case made words) → field.
COLUMNS = {
    "new_code": (
        "ma xa moi",
        "ma moi",
        "ma dvhc moi",
        "ma don vi moi",
        "new code",
        "successor code",
        "ma ke thua",
    ),
    "new_name": ("ten xa moi", "ten moi", "ten don vi moi", "new name"),
    "old_code": ("ma xa cu", "ma cu", "ma dvhc cu", "ma don vi cu", "old code", "predecessor code"),
    "old_name": ("ten xa cu", "ten cu", "ten don vi cu", "old name"),
    "kind": ("ghi chu", "kind", "extent", "hinh thuc", "pham vi", "loai"),
    "old_district": ("quan huyen", "quan huyen cu", "huyen cu", "old district"),
    "date": ("date", "ngay", "ngay hieu luc", "effective date", "hieu luc tu"),
    "legal_basis": ("legal basis", "can cu", "can cu phap ly"),
}
_COLUMN_OF = {variant: name for name, variants in COLUMNS.items() for variant in variants}
_WORDS = re.compile(r"[/,()\-–.:*_]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _column(text: str) -> tuple[str, int] | None:
    key = clean_spaces(_WORDS.sub(" ", fold(_CAMEL.sub(" ", text))))
    name = _COLUMN_OF.get(key)
    return (name, 0) if name else None


HEADER = HeaderSpec(
    match=_column,
    required={"new_code", "old_code"},
    describe=gettext_lazy("cột Mã Xã mới và Mã Xã cũ (hoặc new_code, old_code)"),
    hint=gettext_lazy(
        "Dạng được đọc: bảng chuyển đổi ĐVHC (Tên Xã mới · Mã Xã mới · Tên Xã cũ · Mã Xã cũ · Ghi chú · "
        "Quận/huyện · Tỉnh cũ), hoặc bảng old_code, new_code, kind, date, legal_basis (.xlsx hoặc CSV UTF-8)."
    ),
)
_CODE = re.compile(r"^\d{2}$|^\d{3}$|^\d{5}$")
_CODE_IN_PARENS = re.compile(r"\((\d{2,5})\)\s*$")
_DMY = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")

# What "Ghi chú"/kind says: (extent, the note kept with the link).
UNCHANGED = "Giữ nguyên"
TYPE_CHANGE = "Đổi loại hình"
_KINDS = [
    (re.compile(r"\bmot phan\b|^part$|^partial$"), UnitSuccession.Extent.PART, ""),
    (re.compile(r"\bgiu nguyen\b|^unchanged$|^same$"), UnitSuccession.Extent.WHOLE, UNCHANGED),
    (re.compile(r"\bdoi loai hinh\b|^type change$|^type$"), UnitSuccession.Extent.WHOLE, TYPE_CHANGE),
    (re.compile(r"\btoan bo\b|^whole$|^nhap$|^merge$|^merged$"), UnitSuccession.Extent.WHOLE, ""),
]


def _code(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:05d}"  # Excel turned "02335" typed as a number into 2335
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):05d}"
    return clean_spaces(str(value or "")).strip("'")


def _kind(text: str) -> tuple[str, str] | None:
    """(extent, note) for a "Ghi chú"/kind cell; None when it is not understood."""
    folded = clean_spaces(_WORDS.sub(" ", fold(text)))
    if not folded:
        return UnitSuccession.Extent.WHOLE, ""
    for pattern, extent, note in _KINDS:
        if pattern.search(folded):
            # A sentence ("Sắp xếp toàn bộ huyện Hoàng Sa thành đặc khu Hoàng Sa") is kept as written.
            keep = note or (clean_spaces(text) if len(folded.split()) > 3 else "")
            return extent, keep
    return None


def _date(value: object) -> datetime.date | str | None:
    """A date, None for an empty cell, or "" for a text that is not a date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = clean_spaces(str(value or ""))
    if not text:
        return None
    try:
        if match := _DMY.search(text):
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        if match := _ISO.match(text):
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return ""
    return ""


@dataclass
class SuccessionRow:
    line: int  # the row as Excel numbers it (a CSV's record number)
    new_code: str
    old_code: str
    new_name: str = ""
    old_name: str = ""
    extent: str = UnitSuccession.Extent.WHOLE
    note: str = ""
    date: datetime.date = DEFAULT_DATE
    legal_basis: str = ""
    errors: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.errors.append(_("Dòng %(row)d: %(message)s") % {"row": self.line, "message": message})


@dataclass
class SuccessionFile:
    shape: str
    rows: list[SuccessionRow]
    sections: int = 0  # province section rows skipped
    sha256: str = ""

    @property
    def shape_label(self) -> str:
        return str(SHAPE_LABELS[self.shape])


class SuccessionFileError(Exception):
    """The file cannot be read at all; str(exc) is a Vietnamese message shown as is."""


def read_successions(
    content: bytes,
    filename: str,
    *,
    max_bytes: int | None = None,
    default_date: datetime.date | None = None,
    legal_basis: str = "",
) -> SuccessionFile:
    """Read a succession table; a row that cannot be used keeps its `errors`."""
    try:
        table = read_table(content, filename, HEADER, max_bytes=max_bytes)
    except SpreadsheetError as exc:
        raise SuccessionFileError(str(exc)) from exc
    grid, header = table.grid, table.header
    shape = SHAPE_TABLE if "new_name" in header.columns or "old_district" in header.columns else SHAPE_PLAIN
    date = default_date or _title_date(grid, header.row) or DEFAULT_DATE
    basis = legal_basis or (DEFAULT_LEGAL_BASIS if shape == SHAPE_TABLE else "")
    parsed = SuccessionFile(shape, [], sha256=hashlib.sha256(content).hexdigest())
    columns = header.columns
    seen: dict[tuple[str, str], int] = {}

    def text(row: dict[int, object], name: str) -> str:
        column = columns.get(name)
        return clean_spaces(str(row.get(column) or "")) if column else ""

    for line in grid.rows:
        if line <= header.row:
            continue
        cells = grid.cells.get(line, {})
        new_code = _code(cells.get(columns["new_code"]))
        old_code = _code(cells.get(columns["old_code"]))
        if not new_code and not old_code:
            if cells:
                parsed.sections += 1  # "THÀNH PHỐ ĐÀ NẴNG": a province's section
            continue
        row = SuccessionRow(
            line, new_code, old_code, new_name=text(cells, "new_name"), old_name=text(cells, "old_name")
        )
        parsed.rows.append(row)
        for column, problem in grid.problems.get(line, {}).items():
            if column in columns.values():
                row.error(problem.message)
        kind = _kind(text(cells, "kind"))
        if kind is None:
            row.error(
                _(
                    "không hiểu cột “%(column)s” (“%(text)s”): cần Nhập toàn bộ, Nhập một phần, Giữ nguyên hoặc Đổi loại hình."
                )
                % {"column": header.labels.get("kind", "kind"), "text": text(cells, "kind")}
            )
        else:
            row.extent, row.note = kind
        day = _date(cells.get(columns["date"])) if "date" in columns else None
        if day == "":
            row.error(_("ngày “%(text)s” không đọc được (dd/mm/yyyy).") % {"text": text(cells, "date")})
        row.date = day or date
        row.legal_basis = text(cells, "legal_basis")[:300] or basis
        if not new_code:
            row.error(_("thiếu mã đơn vị mới."))
        elif not _CODE.match(new_code):
            row.error(_("mã đơn vị mới “%(code)s” không hợp lệ (2, 3 hoặc 5 chữ số).") % {"code": new_code})
        if not old_code:
            # A district that became a unit itself (Hoàng Sa): its code is in "Quận/huyện".
            match = _CODE_IN_PARENS.search(text(cells, "old_district"))
            if match:
                row.old_code = old_code = match[1]
                row.old_name = row.old_name or _CODE_IN_PARENS.sub("", text(cells, "old_district")).strip()
            else:
                row.error(_("thiếu mã đơn vị cũ."))
        elif not _CODE.match(old_code):
            row.error(_("mã đơn vị cũ “%(code)s” không hợp lệ (2, 3 hoặc 5 chữ số).") % {"code": old_code})
        if not row.errors:
            first = seen.setdefault((old_code, new_code), line)
            if first != line:
                row.error(
                    _("cặp %(old)s → %(new)s trùng với dòng %(first)d.")
                    % {"old": old_code, "new": new_code, "first": first}
                )
    if not parsed.rows:
        raise SuccessionFileError(
            _("Tệp không có dòng kế thừa nào dưới dòng tiêu đề (dòng %(row)d).") % {"row": header.row}
        )
    return parsed


def _title_date(grid: Grid, header_row: int) -> datetime.date | None:
    """ "Đơn vị hành chính từ ngày 01/7/2025": the date the new units start."""
    for line in range(1, header_row):
        for value in grid.cells.get(line, {}).values():
            folded = fold(str(value))
            if "tu ngay" in folded and (day := _date(folded.split("tu ngay", 1)[1])):
                return day
    return None


# --- planning --------------------------------------------------------------------------------------


@dataclass
class PlannedLink:
    row: SuccessionRow
    predecessor: Unit | None = None
    successor: Unit | None = None
    link_id: int | None = None
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)  # field → (before, after)

    @property
    def kind(self) -> str:
        if self.row.errors:
            return "invalid"
        if self.link_id is None:
            return "new"
        return "changed" if self.changes else "unchanged"


@dataclass
class SuccessionPlan:
    file: SuccessionFile
    links: list[PlannedLink]
    warnings: list[str] = field(default_factory=list)

    def of(self, kind: str) -> list[PlannedLink]:
        return [link for link in self.links if link.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("new", "changed", "unchanged", "invalid"), 0)
        for link in self.links:
            counts[link.kind] += 1
        return counts

    @property
    def errors(self) -> list[str]:
        return [error for link in self.links for error in link.row.errors]

    @property
    def has_changes(self) -> bool:
        counts = self.counts
        return bool(counts["new"] or counts["changed"])

    def summary(self) -> str:
        counts = self.counts
        text = _("%(new)d liên kết mới, %(changed)d thay đổi, %(same)d không đổi, %(invalid)d dòng lỗi.") % {
            "new": counts["new"],
            "changed": counts["changed"],
            "same": counts["unchanged"],
            "invalid": counts["invalid"],
        }
        if not self.has_changes and not counts["invalid"]:
            return _("Không có thay đổi: %(n)d liên kết trong tệp đã có.") % {"n": counts["unchanged"]}
        return text

    def fingerprint(self) -> str:
        parts = [
            f"{link.kind}:{link.row.old_code}:{link.row.new_code}:{sorted(link.changes)}"
            for link in self.links
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _squeezed(name: str) -> str:
    """ "Xã Ga Ri" and "Xã Gari" are one name written two ways."""
    return fold(name).replace(" ", "")


def _level(code: str) -> str | None:
    return LEVEL_OF_DIGITS.get(len(code))


def plan_successions(parsed: SuccessionFile) -> SuccessionPlan:
    """Match every row's units by code and validity and compare with the links there are: two
    queries (the units with the file's codes, the links between them). Nothing is written."""
    codes = {r.new_code for r in parsed.rows} | {r.old_code for r in parsed.rows}
    units: dict[tuple[str, str], list[Unit]] = {}
    for unit in Unit.objects.filter(code__in=codes).select_related("kind").order_by("path"):
        units.setdefault((unit.kind.level, unit.code), []).append(unit)

    def find(code: str, day: datetime.date) -> tuple[Unit | None, list[Unit]]:
        found = units.get((_level(code) or "", code), [])
        valid = [u for u in found if u.is_valid_on(day)]
        return (valid[0] if len(valid) == 1 else None), valid

    planned = []
    names_differ = []
    for row in parsed.rows:
        link = PlannedLink(row)
        planned.append(link)
        if row.errors:
            continue
        before = row.date - datetime.timedelta(days=1)
        link.successor, successors = find(row.new_code, row.date)
        link.predecessor, predecessors = find(row.old_code, before)
        for unit, candidates, code, day, label in (
            (link.successor, successors, row.new_code, row.date, _("đơn vị mới")),
            (link.predecessor, predecessors, row.old_code, before, _("đơn vị cũ")),
        ):
            if unit is None and not candidates:
                row.error(
                    _(
                        "không có %(label)s mã %(code)s có hiệu lực ngày %(date)s; hãy nhập danh mục đơn vị trước."
                    )
                    % {"label": label, "code": code, "date": short_date(day)}
                )
            elif unit is None:
                row.error(
                    _("có %(n)d %(label)s mã %(code)s cùng hiệu lực ngày %(date)s; hãy sửa danh mục đơn vị.")
                    % {"n": len(candidates), "label": label, "code": code, "date": short_date(day)}
                )
        if link.successor and link.predecessor and link.successor.pk == link.predecessor.pk:
            row.error(_("đơn vị cũ và mới là cùng một đơn vị (mã %(code)s).") % {"code": row.new_code})
        for unit, name in ((link.successor, row.new_name), (link.predecessor, row.old_name)):
            if (
                unit is not None
                and name
                and _squeezed(name) not in (_squeezed(unit.full_name), _squeezed(unit.name))
            ):
                names_differ.append(f"{row.line}: “{name}” ≠ {unit.full_name} ({unit.code})")

    ok = [link for link in planned if not link.row.errors]
    existing = {
        (s.predecessor_id, s.successor_id): s
        for s in UnitSuccession.objects.filter(
            successor_id__in={link.successor.pk for link in ok},
            predecessor_id__in={link.predecessor.pk for link in ok},
        )
    }
    for link in ok:
        current = existing.get((link.predecessor.pk, link.successor.pk))
        if current is None:
            continue
        link.link_id = current.pk
        wanted = {
            "extent": link.row.extent,
            "effective_date": link.row.date,
            "legal_basis": link.row.legal_basis,
            "note": link.row.note,
        }
        for name, value in wanted.items():
            if getattr(current, name) != value:
                link.changes[name] = (str(getattr(current, name)), str(value))
    plan = SuccessionPlan(parsed, planned)
    if names_differ:
        plan.warnings.append(
            _("Tên trong tệp khác tên đơn vị cùng mã (đối chiếu theo mã và hiệu lực), dòng %(rows)s.")
            % {"rows": "; ".join(names_differ[:10]) + (" …" if len(names_differ) > 10 else "")}
        )
    if parsed.sections:
        plan.warnings.append(_("Bỏ qua %(n)d dòng mục (tên tỉnh, thành phố).") % {"n": parsed.sections})
    return plan
