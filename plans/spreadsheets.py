"""A plan's task table in spreadsheets: import it from Excel/CSV (preview first), export it to Excel.

Officials keep the task appendix of a plan (nội dung – chủ trì – phối hợp – thời gian – sản
phẩm) in Excel, usually re-typed from a Word document. Reading is tolerant of how those files
really look: title rows above the header, a header on any of the first rows with varying names,
vertically merged cells ("Chủ trì" merged over several tasks), section rows ("I. …") between the
tasks, and numbers written Vietnamese-style ("1.200", "12,5"). The file itself (its kind, size,
encoding, merged ranges, formulas, the header row) is read by cchc_portal.lib.spreadsheets; this
module holds the task table's rules.

read_task_sheet() only reads: it resolves leads to the plan's roles (commune and agency plans)
or subordinate units (province and district plans) and returns a preview with every problem
reported per row, in Vietnamese. apply_task_import() writes the preview in one transaction.
export_tasks_xlsx() writes the same columns, so an exported table can be imported again.
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import openpyxl
from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from cchc_portal.lib.bounds import TASK_TITLE_MAX
from cchc_portal.lib.formatting import NotANumber, parse_number
from cchc_portal.lib.spreadsheets import HeaderSpec, SpreadsheetError, Table, cell_text, date_text, read_table
from cchc_portal.lib.vietnamese import clean_spaces, fold
from cchc_portal.lib.xlsx import FORMULA_PREFIXES
from plans.models import Aggregation, Frequency, Plan, Target, TargetKind, Task, TaskGroup
from plans.services import PlanError, add_group, add_target, add_task, group_for_role, require_editable
from plans.targets import default_aggregation, infer_kind
from units.models import Level, Role, Unit

# --- limits and fixed texts ---------------------------------------------------------------------

MAX_ROWS = 5000  # rows with content; a task table has tens, this only stops absurd files
MAX_SPAN = 8  # how many comma-separated pieces one name may span ("UBND các xã, phường, đặc khu")

# Headings of the groups an import creates for "every unit of a level"; the export writes them
# as the lead, and they read back as the same level.
LEVEL_HEADINGS = {
    Level.COMMUNE: "UBND các xã, phường, đặc khu",
    Level.AGENCY: "Các sở, ban, ngành",
    Level.DISTRICT: "UBND các huyện, thị xã, thành phố",
}

# The export's header row. Not translated: it is a file format that the importer reads back.
EXPORT_HEADERS = [
    "STT",
    "Nội dung nhiệm vụ",
    "Đơn vị/Người chủ trì",
    "Phối hợp",
    "Thời gian thực hiện",
    "Sản phẩm/Chỉ tiêu",
    "Lĩnh vực",
    "Hình thức",
]
EXPORT_WIDTHS = [6, 60, 30, 32, 22, 42, 24, 32]


# --- what a preview holds -----------------------------------------------------------------------


@dataclass
class TargetRow:
    name: str
    unit_of_measure: str
    value: Decimal
    # Read from the unit of measure (plans/targets.py): "%" a percentage that adds up over the
    # hierarchy as a share of units, "số/tháng" a rate, anything else a count.
    kind: str = TargetKind.COUNT
    aggregation: str = Aggregation.SUM


@dataclass
class TaskRow:
    row: int  # 1-based spreadsheet row number
    title: str = ""
    lead_label: str = ""  # the "chủ trì" text as written
    lead_role: Role | None = None  # commune and agency plans
    lead_unit: Unit | None = None  # province and district plans
    lead_level: str = ""  # "UBND các xã, phường" → Level.COMMUNE, …
    co_roles: list[Role] = field(default_factory=list)
    co_units: list[Unit] = field(default_factory=list)
    co_text: str = ""  # the "phối hợp" parts that are neither a role nor a unit
    timing_note: str = ""
    frequency: str = Frequency.ONCE
    deadline: datetime.date | None = None
    product: str = ""
    targets: list[TargetRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    section_heading: str = ""  # the section row above the task, as written ("I. TUYÊN TRUYỀN TRỰC QUAN")

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class TaskImportPreview:
    plan: Plan
    rows: list[TaskRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # file-level first, then every row's, in row order
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # recognised field → header as written

    @property
    def valid_rows(self) -> list[TaskRow]:
        return [r for r in self.rows if not r.errors]

    @property
    def invalid_rows(self) -> list[TaskRow]:
        return [r for r in self.rows if r.errors]

    @property
    def is_valid(self) -> bool:
        return not self.errors


# --- the grid as text -----------------------------------------------------------------------------


@dataclass
class _Sheet:
    """Non-empty cells as text, row → column → text (1-based), whatever the file type."""

    cells: dict[int, dict[int, str]]
    # Cells that got their text from a vertically merged range above them.
    continued: set[tuple[int, int]] = field(default_factory=set)
    # Cells that cannot be read (a formula without its value, #REF!…) → why, in Vietnamese.
    problems: dict[tuple[int, int], str] = field(default_factory=dict)


def _sheet(table: Table) -> _Sheet:
    grid = table.grid
    if len(grid.rows) > MAX_ROWS:
        raise SpreadsheetError(
            _("Tệp có quá nhiều dòng (%(n)d); bảng nhiệm vụ chỉ được tối đa %(max)d dòng.")
            % {"n": len(grid.rows), "max": MAX_ROWS}
        )
    sheet = _Sheet({r: {c: cell_text(v) for c, v in row.items()} for r, row in grid.cells.items()})
    for r, row in grid.problems.items():
        for c, problem in row.items():
            sheet.cells.setdefault(r, {})[c] = problem.text
            sheet.problems[r, c] = problem.message
    for r, row in grid.fill_down().items():
        for c, value in row.items():
            if c not in sheet.cells.get(r, {}):
                sheet.cells.setdefault(r, {})[c] = cell_text(value)
                sheet.continued.add((r, c))
    return sheet


# --- the header ---------------------------------------------------------------------------------

# Folded header texts (see _header_key) → the field they hold. Variants seen in real appendices.
_HEADER_VARIANTS = {
    "stt": ["stt", "tt", "so tt", "so thu tu", "thu tu"],
    "title": [
        "noi dung nhiem vu",
        "noi dung",
        "nhiem vu",
        "noi dung cong viec",
        "ten nhiem vu",
        "nhiem vu cu the",
        "noi dung hoat dong",
        "noi dung thuc hien",
    ],
    "lead": [
        "don vi nguoi chu tri",
        "chu tri",
        "don vi chu tri",
        "co quan chu tri",
        "nguoi thuc hien",
        "nguoi chu tri",
        "bo phan chu tri",
        "co quan don vi chu tri",
        "don vi thuc hien",
        "don vi nguoi thuc hien",
    ],
    "co": [
        "phoi hop",
        "don vi phoi hop",
        "co quan phoi hop",
        "don vi nguoi phoi hop",
        "bo phan phoi hop",
        "co quan don vi phoi hop",
    ],
    "timing": [
        "thoi gian thuc hien",
        "thoi gian",
        "thoi han",
        "tien do",
        "thoi gian hoan thanh",
        "thoi han hoan thanh",
        "tien do thuc hien",
    ],
    "product": [
        "san pham chi tieu",
        "san pham",
        "ket qua",
        "chi tieu san pham",
        "san pham dau ra",
        "ket qua san pham",
        "ket qua du kien",
    ],
    # Exactly "Chỉ tiêu": a column of numbers only (see _Parser.amounts).
    "targets": ["chi tieu"],
}
_HEADER_EXACT = {variant: name for name, variants in _HEADER_VARIANTS.items() for variant in variants}
# "Đơn vị chủ trì thực hiện", "Thời gian thực hiện dự kiến": a known name followed by more words.
# Only names of two words or more, so that "TT" does not claim "TT thông tin".
_HEADER_PREFIXES = sorted(
    ((v, "product" if n == "targets" else n) for v, n in _HEADER_EXACT.items() if " " in v),
    key=lambda item: -len(item[0]),
)


def _header_key(text: str) -> str:
    """ "Đơn vị / Người chủ trì (3)" → "don vi nguoi chu tri"."""
    key = re.sub(r"[^a-z0-9%]+", " ", fold(text)).strip()
    return re.sub(r"(?: \d+)+$", "", key)  # column numbers written into the header


def _header_field(text: str) -> str | None:
    key = _header_key(text)
    if key in _HEADER_EXACT:
        return _HEADER_EXACT[key]
    return next((name for variant, name in _HEADER_PREFIXES if key.startswith(variant + " ")), None)


def _header_match(text: str) -> tuple[str, int] | None:
    name = _header_field(text)
    return None if name is None else (name, 0)  # the first column of a field wins


# A task-content column and at least one other.
HEADER = HeaderSpec(
    match=_header_match, required={"title"}, min_fields=2, describe=gettext_lazy('cột "Nội dung nhiệm vụ"')
)


@dataclass
class _Header:
    row: int
    columns: dict[str, int]  # field → column
    labels: dict[str, str]  # field → header text as written (used in error messages)
    first_column: int

    @property
    def title_key(self) -> str:
        return _header_key(self.labels["title"])


# --- leads: roles, units, "every unit of a level" ---------------------------------------------------

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")  # ‐ ‑ ‒ – — ― −
_UBND = re.compile(r"^(?:ubnd|uy ban nhan dan)\s+")
_BULLET = re.compile(r"^(?:[-+•*]\s+|[-+•*](?=[^\W\d]))")  # "- Phòng VHXH", "+ Tổ CNSCĐ"


def _key(text: str) -> str:
    """Comparison form of a name: folded, one spelling of dashes, commas and slashes.

    "Văn hóa-Xã hội", "Văn hoá – Xã hội" and "VĂN HÓA - XÃ HỘI" all give "van hoa - xa hoi".
    """
    text = _DASHES.sub("-", unicodedata.normalize("NFC", text))
    text = fold(text)
    text = re.sub(r"\s*-\s*", " - ", text)
    text = re.sub(r"\s*,\s*", ", ", text)
    text = re.sub(r"\s*/\s*", "/", text)
    return text.strip(" .;:,")


def _list_of(words: str) -> str:
    return rf"{words}(?:(?:, | va |, va |/| ){words})*"


_COMMUNE_WORDS = r"(?:xa|phuong|thi tran|dac khu)"
_DISTRICT_WORDS = r"(?:huyen|quan|thi xa|thanh pho)"
_AGENCY_WORDS = r"(?:so|ban|nganh|phong|co quan|don vi|chuyen mon)"
_WHERE = r"(?: (?:tren dia ban|thuoc|truc thuoc)(?: (?:tinh|thanh pho|huyen|quan|thi xa))?)?"
# Matched on the folded text without "UBND": whole phrases that mean "every unit of a level".
_LEVEL_PATTERNS = [
    (
        Level.COMMUNE,
        re.compile(
            rf"(?:tat ca |toan bo )?(?:cac {_list_of(_COMMUNE_WORDS)}|(?:cac don vi (?:hanh chinh )?)?cap xa){_WHERE}"
        ),
    ),
    (
        Level.DISTRICT,
        re.compile(
            rf"(?:tat ca |toan bo )?(?:cac {_list_of(_DISTRICT_WORDS)}|(?:cac don vi (?:hanh chinh )?)?cap huyen){_WHERE}"
        ),
    ),
    (
        Level.AGENCY,
        re.compile(
            rf"(?:tat ca )?cac (?:so|phong|co quan chuyen mon)(?:(?:, | |, va | va ){_AGENCY_WORDS})*{_WHERE}"
        ),
    ),
]
_LEVEL_NAMES = {Level.COMMUNE: "cấp xã", Level.DISTRICT: "cấp huyện", Level.AGENCY: "sở, ban, ngành"}


@dataclass(frozen=True)
class _Lead:
    role: Role | None = None
    unit: Unit | None = None
    level: str = ""


@dataclass(frozen=True)
class _Match:
    """A recognised name: a usable lead, or a reason it cannot be used (ambiguous, out of period)."""

    lead: _Lead | None = None
    problem: str = ""


def _in_year(valid_from: datetime.date | None, valid_to: datetime.date | None, year: int) -> bool:
    return (valid_from is None or valid_from <= datetime.date(year, 12, 31)) and (
        valid_to is None or valid_to >= datetime.date(year, 1, 1)
    )


def _at_year_end(valid_from: datetime.date | None, valid_to: datetime.date | None, year: int) -> bool:
    end = datetime.date(year, 12, 31)
    return (valid_from is None or valid_from <= end) and (valid_to is None or valid_to >= end)


class _Resolver:
    """Names in "chủ trì"/"phối hợp" cells → the plan's roles or subordinate units.

    Everything is loaded once (one query for roles or units), so reading costs the same number
    of queries whatever the number of rows. Candidates are those in force during the plan's
    year: a 2026 commune plan has no "Công chức Văn hóa - Xã hội" (abolished on 1 July 2025), a
    2024 province plan has its districts. Names of out-of-period roles and units are kept apart,
    only to explain why a lead is refused.
    """

    def __init__(self, plan: Plan) -> None:
        unit = plan.unit
        self.plan = plan
        self.year = plan.year
        self.by_units = unit.kind.level in (Level.PROVINCE, Level.DISTRICT)
        # key → [(rank, object)]: the lowest rank wins when several objects share a name.
        self.index: dict[str, list[tuple[tuple[int, ...], Role | Unit]]] = {}
        self.others: dict[str, list[tuple[tuple[int, ...], Role | Unit]]] = {}
        self.levels: set[str] = set()
        if self.by_units:
            self._load_units(unit)
        else:
            self._load_roles(unit)
        self.max_words = max((len(k.split(" ")) for k in self.index), default=0)

    def _add(self, in_year: bool, name: str, rank: tuple[int, ...], obj: Role | Unit) -> None:
        key = _key(name)
        if key:
            (self.index if in_year else self.others).setdefault(key, []).append((rank, obj))

    def _load_roles(self, unit: Unit) -> None:
        # A role with no kinds applies to every kind of unit.
        roles = Role.objects.filter(Q(kinds__isnull=True) | Q(kinds=unit.kind_id)).distinct()
        for role in roles:
            in_year = _in_year(role.valid_from, role.valid_to, self.year)
            at_end = 0 if _at_year_end(role.valid_from, role.valid_to, self.year) else 1
            self._add(in_year, role.name, (at_end, 0, role.sort_order), role)
            for alias in role.aliases.splitlines():
                self._add(in_year, alias, (at_end, 1, role.sort_order), role)

    def _load_units(self, unit: Unit) -> None:
        self.levels = {Level.COMMUNE, Level.AGENCY}
        units = Unit.objects.subtree(unit, include_self=False).select_related("kind")
        for sub in units:
            in_year = _in_year(sub.valid_from, sub.valid_to, self.year)
            at_end = 0 if _at_year_end(sub.valid_from, sub.valid_to, self.year) else 1
            self._add(in_year, sub.full_name, (0, at_end), sub)
            self._add(in_year, sub.name, (1, at_end), sub)
            if in_year and sub.kind.level == Level.DISTRICT and unit.kind.level == Level.PROVINCE:
                self.levels.add(Level.DISTRICT)  # a province before 1 July 2025

    # -- one name ----------------------------------------------------------------------------------

    def _pick(self, text: str, entries: list[tuple[tuple[int, ...], Role | Unit]]) -> _Match:
        best = min(rank for rank, _obj in entries)
        chosen = list({obj.pk: obj for rank, obj in entries if rank == best}.values())
        if len(chosen) > 1 and self.by_units:
            return _Match(
                problem=_('có %(n)d đơn vị cùng tên "%(text)s" (%(names)s); hãy ghi tên đầy đủ')
                % {
                    "n": len(chosen),
                    "text": text,
                    "names": ", ".join(f"{u.full_name} – mã {u.code}" for u in chosen),
                }
            )
        obj = chosen[0]
        return _Match(_Lead(unit=obj) if isinstance(obj, Unit) else _Lead(role=obj))

    def _prefix(self, key: str) -> str | None:
        """The longest known name the text starts with ("Phòng VHXH (chủ trì)" → "phong vhxh")."""
        words = key.split(" ")
        for n in range(min(len(words) - 1, self.max_words), 0, -1):
            candidate = " ".join(words[:n]).rstrip(" ,;:.-(")
            if candidate in self.index:
                return candidate
        return None

    def _level(self, key: str, *, whole: bool) -> _Match | None:
        for level, pattern in _LEVEL_PATTERNS:
            found = pattern.fullmatch(key) if whole else pattern.match(key)
            if found is None or (not whole and found.end() < len(key) and key[found.end()].isalnum()):
                continue
            if level not in self.levels:
                return _Match(
                    problem=_("%(unit)s không có đơn vị %(level)s trong năm %(year)d")
                    % {"unit": self.plan.unit.full_name, "level": _LEVEL_NAMES[level], "year": self.year}
                )
            return _Match(_Lead(level=level))
        return None

    def lookup(self, text: str, *, prefix: bool) -> _Match | None:
        """Equal to a name or alias; then (prefix=True) starting with one. None: not a known name."""
        key = _key(text)
        if not key:
            return None
        keys = [key]
        if self.by_units and _UBND.match(key):
            keys.append(_UBND.sub("", key))  # "UBND phường Tam Kỳ", "UBND các xã, phường"
        for k in keys:
            if k in self.index:
                return self._pick(text, self.index[k])
            if self.by_units and (level := self._level(k, whole=True)):
                return level
        if prefix:
            for k in keys:
                if found := self._prefix(k):
                    return self._pick(text, self.index[found])
                if self.by_units and (level := self._level(k, whole=False)):
                    return level
        for k in keys:
            if k in self.others:
                obj = min(self.others[k], key=lambda entry: entry[0])[1]
                if isinstance(obj, Role):
                    message = _('vai trò "%(name)s" không áp dụng trong năm %(year)d')
                    return _Match(problem=message % {"name": obj.name, "year": self.year})
                message = _('đơn vị "%(name)s" không còn (hoặc chưa có) trong năm %(year)d')
                return _Match(problem=message % {"name": obj.full_name, "year": self.year})
        return None

    # -- a list of names -----------------------------------------------------------------------------

    def items(self, text: str) -> list[tuple[str, _Match | None]]:
        """Split a cell into names: "Phòng VHXH, Văn phòng HĐND và UBND; các đoàn thể".

        Commas, semicolons, new lines and "và" separate names, but also occur inside them
        ("Văn phòng HĐND và UBND", "UBND các xã, phường"): at each piece the longest run of
        pieces that is a known name is taken. A single piece may also *start* with a name.
        """
        tokens = _SEPARATOR.split(unicodedata.normalize("NFC", text))
        parts = [_BULLET.sub("", t.strip()).strip() for t in tokens[0::2]]
        separators = tokens[1::2]
        result: list[tuple[str, _Match | None]] = []
        i = 0
        while i < len(parts):
            if not parts[i]:
                i += 1
                continue
            for j in range(min(len(parts), i + MAX_SPAN), i, -1):
                if not all(parts[i:j]):
                    continue
                span = parts[i] + "".join(separators[k - 1] + parts[k] for k in range(i + 1, j))
                match = self.lookup(span, prefix=j == i + 1)
                if match is not None:
                    result.append((clean_spaces(span), match))
                    i = j
                    break
            else:
                result.append((clean_spaces(parts[i]), None))
                i += 1
        return result


_SEPARATOR = re.compile(r"(\s*[,;\n]\s*|\s+và\s+)", re.IGNORECASE)


# --- numbers, targets, dates ------------------------------------------------------------------------

# A cell starting with digits and separators, ending at a space, "%", "/" or ")": "12", "04",
# "1.200", "12,5", "100%"; read by formatting.parse_number, the rule of every typed number. "3a"
# and "1.2." (an item's numbering) are not numbers.
_NUMBER = re.compile(r"\d(?:[\d.,]*\d)?(?=$|[\s%/)])")
# Units of measure, longest first: "12 chuyên đề phát thanh/năm" → "chuyên đề", "02 buổi tuyên
# truyền" → "buổi". After a counting word not in this list the unit is two words ("04 số bản
# tin/tháng" → "số bản", "04 cụm pano" → "cụm pano"); otherwise the first word ("12 video/năm").
_UNITS = sorted(
    [
        "chuyên đề",
        "chuyên mục",
        "chuyên trang",
        "bản tin",
        "tin, bài",
        "tin bài",
        "tin",
        "bài viết",
        "bài",
        "lượt người",
        "lượt truy cập",
        "lượt xem",
        "lượt",
        "buổi",
        "hội nghị",
        "lớp tập huấn",
        "lớp",
        "cuộc thi",
        "cuộc họp",
        "cuộc",
        "lần",
        "đợt",
        "tờ rơi",
        "tờ gấp",
        "pa nô",
        "áp phích",
        "băng rôn",
        "khẩu hiệu",
        "phóng sự",
        "tiểu phẩm",
        "chương trình",
        "câu hỏi",
        "ấn phẩm",
        "thủ tục",
        "hồ sơ",
        "văn bản",
        "cơ quan",
        "đơn vị",
        "tài liệu",
        "màn hình",
        "hộ gia đình",
        "khu phố",
    ],
    key=lambda u: -len(u),
)
_UNIT_KEYS = [(_key(u), u) for u in _UNITS]
_COUNTING_WORDS = {"so", "cum", "bo", "tap", "con", "chuyen"}
_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")
_DATE_WORDS = re.compile(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})")
_ROMAN_OR_LETTER = re.compile(r"(?:[IVXLC]+|[A-ZĐ])[.)]?")
_SECTION_TITLE = re.compile(r"(?:[IVXLC]+|[A-ZĐ])[.)]\s+\S")
_MARKER = re.compile(r"^(?:[IVXLC]+|[A-ZĐ]|\d+(?:\.\d+)*)[.)]?\s+")
_COLUMN_NUMBER = re.compile(r"\(?\d{1,2}\)?|\([A-Za-z]\)")


def _number(text: str) -> tuple[Decimal, str] | None:
    """ "1.200 lượt" → (1200, "lượt"); None when the text does not start with a number.

    Raises NotANumber for a number written against the rule ("1,234.5 lượt": which is it?)."""
    found = _NUMBER.match(text)
    if found is None:
        return None
    return parse_number(found.group()), text[found.end() :].strip()


def _unit_of_measure(rest: str) -> str:
    """The unit right after the number: "%", a known unit, two words after a counting word, or
    the first word (see _UNITS)."""
    if rest.startswith("%"):
        return "%"
    key = _key(rest)
    for unit_key, unit in _UNIT_KEYS:
        if key == unit_key or (key.startswith(unit_key) and not key[len(unit_key)].isalnum()):
            return unit
    words = re.split(r"[/(,:;]", rest, maxsplit=1)[0].split()  # "số bản tin/tháng" → số, bản, tin
    if not words:
        return ""
    if len(words) >= 2 and fold(words[0]) in _COUNTING_WORDS:
        return f"{words[0]} {words[1]}"
    return words[0].strip(".")


def _deadline_in(text: str) -> tuple[str, datetime.date | None] | None:
    """The last date written in the text ("Trước ngày 31/3/2026"): (as written, date or None if invalid)."""
    found = [(m.start(), m.group(0), m.groups()) for m in _DATE.finditer(text)]
    found += [(m.start(), m.group(0), m.groups()) for m in _DATE_WORDS.finditer(fold(text))]
    if not found:
        return None
    _start, written, (day, month, year) = max(found)
    try:
        return written, datetime.date(int(year), int(month), int(day))
    except ValueError:
        return written, None


def _frequency(text: str) -> str:
    folded = fold(text)
    if re.search(r"\b(?:thuong xuyen|ca nam|quanh nam)\b", folded):
        return Frequency.CONTINUOUS
    if re.search(r"\bhang thang\b", folded):  # hằng tháng, hàng tháng
        return Frequency.MONTHLY
    if re.search(r"\bhang quy\b", folded):
        return Frequency.QUARTERLY
    return Frequency.ONCE


# --- reading the rows -------------------------------------------------------------------------------

# The model fields' max_length (Task.title: a longer one stalled the plan's PDF).
MAX_LENGTHS = {"title": TASK_TITLE_MAX, "co": 300, "timing": 200, "product": 300}
TARGET_NAME_MAX, UNIT_MAX = 300, 50
VALUE_LIMIT = Decimal(10) ** 10  # Target.value: 12 digits, 2 decimals


class _Parser:
    def __init__(self, sheet: _Sheet, header: _Header, resolver: _Resolver, existing: set[str]) -> None:
        self.sheet = sheet
        self.header = header
        self.resolver = resolver
        self.existing = existing  # folded titles of the tasks the plan already has
        self.used = set(header.columns.values())
        self.heading_leads: dict[str, _Lead | None] = {}

    # -- cells ---------------------------------------------------------------------------------------

    def raw(self, r: int, name: str) -> str:
        column = self.header.columns.get(name)
        return self.sheet.cells.get(r, {}).get(column, "") if column is not None else ""

    def cell(self, task: TaskRow, name: str) -> str | None:
        """A cell's text, "" when empty; None for a cell that cannot be read (a formula without its
        value, see cchc_portal.lib.spreadsheets), which is reported on the row."""
        column = self.header.columns.get(name)
        text = self.raw(task.row, name)
        if column is None or not text:
            return ""
        problem = self.sheet.problems.get((task.row, column))
        if problem is not None:
            self.error(task, name, problem)
            return None
        return text

    def is_own(self, r: int, name: str) -> bool:
        """The cell has content of its own (not copied down from a merged range)."""
        column = self.header.columns.get(name)
        return (
            column is not None
            and column in self.sheet.cells.get(r, {})
            and (r, column) not in self.sheet.continued
        )

    def error(self, task: TaskRow, name: str, message: str) -> None:
        label = self.header.labels.get(name)
        if label:
            task.errors.append(
                _('Dòng %(row)d, cột "%(column)s": %(message)s')
                % {"row": task.row, "column": label, "message": message}
            )
        else:  # e.g. no "Chủ trì" column at all
            task.errors.append(_("Dòng %(row)d: %(message)s") % {"row": task.row, "message": message})

    # -- the table -----------------------------------------------------------------------------------

    def rows(self) -> list[TaskRow]:
        tasks: list[TaskRow] = []
        heading = ""
        previous: TaskRow | None = None
        seen: dict[str, int] = {}
        header = self.header
        # "Only the STT or first column" rows are headings; a first column that holds the task
        # text itself (no STT column) does not count, or a task without a lead would vanish.
        first_columns = {header.columns.get("stt"), header.first_column} - {None, header.columns["title"]}
        for r in sorted(r for r in self.sheet.cells if r > header.row):
            cells = self.sheet.cells[r]
            own = {c for c in cells if c in self.used and (r, c) not in self.sheet.continued}
            if not own:
                continue  # blank, or only the tail of a range merged above, or notes outside the table
            title_text = self.raw(r, "title")
            if title_text and _header_key(title_text) == header.title_key:
                continue  # the header repeated (page breaks), or a two-row header's second row
            values = [cells[c] for c in own]
            if len(values) >= 2 and all(_COLUMN_NUMBER.fullmatch(v) for v in values):
                continue  # the "(1) (2) (3) …" row under the header
            if previous is not None and title_text and not self.is_own(r, "title"):
                self.continue_task(previous, r)  # the task's cell is merged down over this row
                continue
            stt = cells.get(header.columns.get("stt", 0), "") if self.is_own(r, "stt") else ""
            if own <= first_columns:
                text = clean_spaces(" ".join(cells[c] for c in sorted(own)))
                if not re.fullmatch(r"\d+[.)]?", text):  # a numbered but empty template line is nothing
                    heading, previous = text, None
                continue
            lead_text = self.raw(r, "lead")
            if title_text and not lead_text:
                title_text = clean_spaces(title_text)
                if _ROMAN_OR_LETTER.fullmatch(stt):  # "I | TUYÊN TRUYỀN TRỰC QUAN"
                    marker = stt.rstrip(".)")
                    heading = title_text if title_text.startswith(marker) else f"{marker}. {title_text}"
                    previous = None
                    continue
                if _SECTION_TITLE.match(title_text):  # " | I. TUYÊN TRUYỀN TRỰC QUAN"
                    heading, previous = title_text, None
                    continue
            previous = self.task(r, heading, seen)
            tasks.append(previous)
        for task in tasks:
            self.check_lengths(task)
        return tasks

    def task(self, r: int, heading: str, seen: dict[str, int]) -> TaskRow:
        task = TaskRow(row=r, section_heading=heading)
        text = self.cell(task, "title")
        task.title = _BULLET.sub("", clean_spaces(text or ""))
        if not task.title:
            if text is not None:
                self.error(task, "title", _("chưa có nội dung nhiệm vụ"))
        else:
            key = fold(task.title)
            if key in seen:
                self.error(task, "title", _("trùng với dòng %(row)d") % {"row": seen[key]})
            elif key in self.existing:
                self.error(task, "title", _("kế hoạch đã có nhiệm vụ này"))
            else:
                seen[key] = r
        self.lead(task, heading)
        self.partners(task, self.cell(task, "co") or "")
        self.timing(task)
        for name in ("product", "targets"):
            self.amounts(task, name, self.cell(task, name) or "")
        return task

    def continue_task(self, task: TaskRow, r: int) -> None:
        """A row under a task whose content cell is merged over it: more partners, products, targets."""
        part = TaskRow(row=r)
        for name in ("lead", "timing"):
            if self.is_own(r, name):
                self.error(
                    part,
                    name,
                    _(
                        'ô "%(title)s" được gộp từ dòng %(row)d nhưng dòng này có nội dung riêng ở cột này; '
                        "hãy tách thành nhiệm vụ riêng"
                    )
                    % {"title": self.header.labels["title"], "row": task.row},
                )
        if self.is_own(r, "co"):
            self.partners(part, self.cell(part, "co") or "")
        for name in ("product", "targets"):
            if self.is_own(r, name):
                self.amounts(part, name, self.cell(part, name) or "", title=task.title)
        task.co_roles += [x for x in part.co_roles if x not in task.co_roles]
        task.co_units += [x for x in part.co_units if x not in task.co_units]
        task.co_text = ", ".join(t for t in (task.co_text, part.co_text) if t)
        task.product = "; ".join(t for t in (task.product, part.product) if t)
        task.targets += part.targets
        task.errors += part.errors

    # -- fields --------------------------------------------------------------------------------------

    def lead(self, task: TaskRow, heading: str) -> None:
        text = self.cell(task, "lead")
        if text is None:
            return
        task.lead_label = clean_spaces(text)
        if not task.lead_label:
            inherited = self.heading_lead(heading)
            if inherited is None:
                self.error(task, "lead", _("chưa có đơn vị/người chủ trì"))
            else:  # "II. Trung tâm Phục vụ hành chính công" above tasks with no lead of their own
                task.lead_label = heading
                self.set_lead(task, inherited)
            return
        items = self.resolver.items(text)
        first = items[0][1] if items else None
        if first is None or first.lead is None:
            problem = first.problem if first is not None else ""
            self.error(
                task,
                "lead",
                problem
                or _('không tìm thấy vai trò hoặc đơn vị "%(text)s" trong danh mục của đơn vị')
                % {"text": task.lead_label},
            )
            return
        self.set_lead(task, first.lead)
        # "Phòng VHXH, Tổ công nghệ số": a task has one lead; the others take part as partners.
        self.add_partners(task, items[1:])

    def heading_lead(self, heading: str) -> _Lead | None:
        """The lead a section heading names, if it names exactly one."""
        if not heading:
            return None
        if heading not in self.heading_leads:
            items = self.resolver.items(_MARKER.sub("", heading))
            match = items[0][1] if len(items) == 1 else None
            self.heading_leads[heading] = match.lead if match is not None else None
        return self.heading_leads[heading]

    @staticmethod
    def set_lead(task: TaskRow, lead: _Lead) -> None:
        task.lead_role, task.lead_unit, task.lead_level = lead.role, lead.unit, lead.level

    def partners(self, task: TaskRow, text: str) -> None:
        if text:
            self.add_partners(task, self.resolver.items(text))

    @staticmethod
    def add_partners(task: TaskRow, items: list[tuple[str, _Match | None]]) -> None:
        texts = [task.co_text] if task.co_text else []
        for text, match in items:
            lead = match.lead if match is not None else None
            if lead is not None and lead.role is not None:
                if lead.role not in task.co_roles:
                    task.co_roles.append(lead.role)
            elif lead is not None and lead.unit is not None:
                if lead.unit not in task.co_units:
                    task.co_units.append(lead.unit)
            else:  # free text; also "các xã, phường" (a task has no "partner level")
                texts.append(text)
        task.co_text = ", ".join(texts)

    def timing(self, task: TaskRow) -> None:
        note = clean_spaces(self.cell(task, "timing") or "")
        task.timing_note = note
        task.frequency = _frequency(note)
        found = _deadline_in(note)
        if found is not None:
            written, day = found
            if day is None:
                self.error(task, "timing", _('ngày "%(date)s" không có thật') % {"date": written})
            task.deadline = day

    def amounts(self, task: TaskRow, name: str, text: str, title: str | None = None) -> None:
        """ "Sản phẩm/Chỉ tiêu": parts starting with a number are targets, the others the product.

        Under a header of exactly "Chỉ tiêu" every part must be a number.
        """
        title = task.title if title is None else title
        products = [task.product] if task.product else []
        for raw_part in re.split(r"\s*[;\n]\s*", text):
            part = _BULLET.sub("", clean_spaces(raw_part))
            if not part:
                continue
            try:
                number = _number(part)
            except NotANumber as exc:
                self.error(task, name, exc.message)
                continue
            if number is None:
                if name == "targets":
                    self.error(task, name, _('"%(text)s" không phải là số') % {"text": part})
                else:
                    products.append(part)
                continue
            value, rest = number
            if -int(value.as_tuple().exponent) > 2:
                self.error(task, name, _('"%(text)s": chỉ được 2 chữ số sau dấu phẩy') % {"text": part})
                continue
            if value >= VALUE_LIMIT:
                self.error(task, name, _('"%(text)s": số quá lớn') % {"text": part})
                continue
            unit = _unit_of_measure(rest)
            # A bare number ("12", "100%") says nothing of what is counted: name it after the task.
            target_name = _shorten(title, TARGET_NAME_MAX) if not rest.lstrip("%").strip() else part
            if len(target_name) > TARGET_NAME_MAX or len(unit) > UNIT_MAX:
                self.error(
                    task,
                    name,
                    _('chỉ tiêu "%(text)s…" dài quá %(max)d ký tự')
                    % {"text": part[:60], "max": TARGET_NAME_MAX},
                )
                continue
            kind = infer_kind(unit)
            task.targets.append(TargetRow(target_name, unit, value, kind, default_aggregation(kind)))
        task.product = "; ".join(products)

    def check_lengths(self, task: TaskRow) -> None:
        for name, attribute in (
            ("title", "title"),
            ("co", "co_text"),
            ("timing", "timing_note"),
            ("product", "product"),
        ):
            length = len(getattr(task, attribute))
            if length > MAX_LENGTHS[name]:
                self.error(
                    task,
                    name,
                    _("dài %(n)d ký tự, quá giới hạn %(max)d ký tự; hãy rút gọn")
                    % {"n": length, "max": MAX_LENGTHS[name]},
                )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- reading: the entry point ----------------------------------------------------------------------


def read_task_sheet(
    content: bytes, filename: str, plan: Plan, max_bytes: int = 5 * 1024 * 1024
) -> TaskImportPreview:
    """Read a task table for `plan`. Nothing is written.

    Raises SpreadsheetError when the file cannot be read at all; everything else (unknown
    leads, formulas, duplicates, a plan that is no longer a draft) is reported in the preview.
    """
    table = read_table(content, filename, HEADER, max_bytes=max_bytes)
    sheet = _sheet(table)
    found = table.header
    header = _Header(found.row, found.columns, found.labels, first_column=min(table.grid.cells[found.row]))

    preview = TaskImportPreview(plan=plan, header_row=header.row, columns=dict(header.labels))
    file_errors: list[str] = []
    try:
        require_editable(plan)
    except PlanError as exc:
        file_errors.append(str(exc))
    existing = {fold(t) for t in plan.tasks.values_list("title", flat=True)}
    preview.rows = _Parser(sheet, header, _Resolver(plan), existing).rows()
    if not preview.rows:
        file_errors.append(_("Không có nhiệm vụ nào dưới dòng tiêu đề (dòng %(row)d).") % {"row": header.row})
    preview.errors = file_errors + [e for row in preview.rows for e in row.errors]
    return preview


# --- applying --------------------------------------------------------------------------------------


def _group(plan: Plan, row: TaskRow, groups: dict[tuple[str, Any], TaskGroup]) -> TaskGroup:
    if row.lead_role is not None:
        key: tuple[str, Any] = ("role", row.lead_role.pk)
    elif row.lead_unit is not None:
        key = ("unit", row.lead_unit.pk)
    elif row.lead_level:
        key = ("level", row.lead_level)
    else:  # a valid row always has a lead
        raise PlanError(_("Dòng %(row)d chưa có đơn vị/người chủ trì.") % {"row": row.row})
    if key not in groups:
        if row.lead_role is not None:
            group = group_for_role(plan, row.lead_role)
        elif row.lead_unit is not None:
            group = plan.groups.filter(lead_unit=row.lead_unit).first() or add_group(
                plan, heading=row.lead_unit.full_name, lead_unit=row.lead_unit
            )
        else:
            group = plan.groups.filter(
                lead_level=row.lead_level, lead_role__isnull=True, lead_unit__isnull=True
            ).first() or add_group(
                plan, heading=LEVEL_HEADINGS[Level(row.lead_level)], lead_level=row.lead_level
            )
        group.plan = plan  # the locked instance; saves a query per task in add_task
        groups[key] = group
    return groups[key]


def apply_task_import(preview: TaskImportPreview, *, by: Any = None, skip_invalid: bool = False) -> int:
    """Write the preview's tasks into its plan, all or nothing. Returns how many were created.

    A preview with errors is refused unless skip_invalid, which writes only the valid rows.
    """
    if not preview.is_valid and not skip_invalid:
        raise PlanError(_("Tệp còn lỗi; không có nhiệm vụ nào được ghi."))
    rows = preview.valid_rows
    with transaction.atomic():
        # Lock the plan: two confirmations of the same preview must not both write, and the
        # plan may have been submitted since the preview was read.
        plan = Plan.objects.select_for_update().get(pk=preview.plan.pk)
        require_editable(plan)
        existing = {fold(t) for t in plan.tasks.values_list("title", flat=True)}
        groups_before = set(plan.groups.values_list("pk", flat=True))
        clash = next((r for r in rows if fold(r.title) in existing), None)
        if clash is not None:
            raise PlanError(
                _(
                    "Kế hoạch đã có nhiệm vụ “%(title)s” (dòng %(row)d); có thể tệp đã được nhập. "
                    "Hãy tải tệp lên lại để xem trước."
                )
                % {"title": clash.title[:100], "row": clash.row}
            )
        groups: dict[tuple[str, Any], TaskGroup] = {}
        tasks: list[Task] = []
        targets: list[Target] = []
        for row in rows:
            task = add_task(
                _group(plan, row, groups),
                title=row.title,
                co_text=row.co_text,
                timing_note=row.timing_note,
                frequency=row.frequency,
                deadline=row.deadline,
                product=row.product,
                co_roles=row.co_roles,
                co_units=row.co_units,
            )
            tasks.append(task)
            for target in row.targets:
                targets.append(
                    add_target(
                        task,
                        name=target.name,
                        unit_of_measure=target.unit_of_measure,
                        value=target.value,
                        kind=target.kind,
                        aggregation=target.aggregation,
                    )
                )
        if by is not None and getattr(by, "is_authenticated", False):
            # The services create rows without a user; outside a request (no history middleware)
            # the audit trail would say nobody did it.
            reason = _("Nhập nhiệm vụ từ tệp")
            new_groups = [g for g in groups.values() if g.pk not in groups_before]
            for model, objects in ((Task, tasks), (Target, targets), (TaskGroup, new_groups)):
                model.history.filter(id__in=[o.pk for o in objects], history_type="+").update(
                    history_user=by, history_change_reason=reason
                )
    return len(tasks)


# --- export -----------------------------------------------------------------------------------------


def _safe(text: str) -> str | None:
    """A text for a cell: no characters XML forbids, and never read as a formula (see FORMULA_PREFIXES)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text or "")
    if not text:
        return None
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _target_text(target: Target) -> str:
    """ "12 chuyên đề phát thanh/năm", "100% TTHC được niêm yết công khai"."""
    name = target.name.strip()
    try:
        number = _number(name)
    except NotANumber:  # a name, not a number: "1.2.3 Tin bài"
        number = None
    if number is not None and number[0] == target.value:
        return name  # the name already says how many (as imported names do)
    unit = target.unit_of_measure.strip()
    if unit and unit != "%" and fold(name).startswith(fold(unit)):
        # "Chuyên đề phát thanh" counted in "chuyên đề" → "12 chuyên đề phát thanh"
        return f"{target.value_display} {name[:1].lower()}{name[1:]}"
    return f"{target.amount_display} {name}".strip()


def _lead_text(group: TaskGroup) -> str:
    if group.lead_role is not None:
        return group.lead_role.name
    if group.lead_unit is not None:
        return group.lead_unit.full_name
    if group.lead_level:
        return LEVEL_HEADINGS.get(Level(group.lead_level), group.heading)
    return group.heading


def _timing_text(task: Task) -> str:
    """The note as written, plus the deadline and frequency when the note does not say them."""
    parts = [task.timing_note] if task.timing_note else []
    found = _deadline_in(task.timing_note)
    if task.deadline is not None and (found is None or found[1] != task.deadline):
        parts.append(date_text(task.deadline))
    if task.frequency != Frequency.ONCE and _frequency(task.timing_note) != task.frequency:
        parts.insert(0, str(Frequency(task.frequency).label))
    return "; ".join(parts)


def export_tasks_xlsx(plan: Plan) -> bytes:
    """The plan's task table as .xlsx, in document order; read_task_sheet reads it back."""
    prefetch_related_objects(
        [plan],
        "unit",
        "groups__lead_role",
        "groups__lead_unit",
        "groups__tasks__targets",
        "groups__tasks__co_roles",
        "groups__tasks__co_units",
        "groups__tasks__channels",
    )
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = "Nhiệm vụ"
    last = get_column_letter(len(EXPORT_HEADERS))
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    font = "Times New Roman"

    ws.append([_safe("BẢNG NHIỆM VỤ — " + plan.title)])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(name=font, size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 36
    ws.append([_safe(plan.unit.full_name)])
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].font = Font(name=font, size=12, italic=True)
    ws["A2"].alignment = Alignment(horizontal="center")
    ws.append(EXPORT_HEADERS)
    for cell in ws[3]:
        cell.font = Font(name=font, size=12, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = PatternFill("solid", fgColor="E7E6E6")
        cell.border = border

    number = 0
    for group in sorted(plan.groups.all(), key=lambda g: (g.position, g.pk)):
        lead = _lead_text(group)
        for task in sorted(group.tasks.all(), key=lambda t: (t.position, t.pk)):
            number += 1
            partners = [r.name for r in task.co_roles.all()] + [u.full_name for u in task.co_units.all()]
            if task.co_text:
                partners.append(task.co_text)
            products = [task.product] if task.product else []
            products += [
                _target_text(t) for t in sorted(task.targets.all(), key=lambda t: (t.position, t.pk))
            ]
            ws.append(
                [
                    number,
                    _safe(task.title),
                    _safe(lead),
                    _safe(", ".join(partners)),
                    _safe(_timing_text(task)),
                    _safe("; ".join(products)),
                    _safe(str(task.get_content_area_display())),
                    # Channel names contain commas ("Trực quan: pano, áp phích…").
                    _safe("; ".join(c.name for c in task.channels.all())),
                ]
            )
            for cell in ws[ws.max_row]:
                cell.font = Font(name=font, size=12)
                cell.alignment = Alignment(vertical="top", wrap_text=True)
                cell.border = border
            ws.cell(ws.max_row, 1).alignment = Alignment(horizontal="center", vertical="top")

    for index, width in enumerate(EXPORT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A4"  # the header stays in view
    ws.auto_filter.ref = f"A3:{last}{max(ws.max_row, 3)}"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
