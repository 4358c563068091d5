"""Reading the spreadsheets admins import into the catalogue of administrative procedures (TTHC).

A pure reader: bytes in, a `Sheet` out, no database access. The file itself (its kind, size,
encoding, merged ranges, formulas, the header row) is read by cchc_portal.lib.spreadsheets; this
module holds the catalogue's rules. Two shapes of workbook are understood (domain.md §4.2):

* "portal": the national public-service portal's export (title row, header `Mã số · Tên · Cơ quan
  ban hành · Cơ quan thực hiện · Lĩnh vực`, several agencies per cell, one per line);
* "appendix": a provincial decision's appendix re-typed into Excel (title rows, the header on any
  of the first rows with variant names, section rows "A. THỦ TỤC HÀNH CHÍNH CẤP TỈNH" /
  "I. LĨNH VỰC HỘ TỊCH" / "DANH MỤC … BỊ BÃI BỎ" that set the level, field or status of the rows
  below, vertically merged cells);

and CSV. A file that cannot be read at all raises `ReadError`; a row that cannot be used is kept
with its `errors` (Vietnamese, each naming the row and the column).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cchc_portal.lib.bounds import LONG_TEXT_MAX
from cchc_portal.lib.spreadsheets import Grid, Header, HeaderSpec, SpreadsheetError, cell_text, read_table
from cchc_portal.lib.vietnamese import clean_spaces, fold, repair_split_diacritics
from procedures.levels import agency_levels, levels_from_agencies
from procedures.models import Level, OnlineLevel, ProcedureStatus

MAX_FIELD_LENGTH = 255  # Procedure.field / Procedure.ministry
MAX_NAME_LENGTH = LONG_TEXT_MAX  # Procedure.name
MAX_DECISIONS_LENGTH = 500  # Procedure.decisions

# The whole file is refused; str(exc) is a clear Vietnamese message shown as is. The name this
# app has always used for the core's error.
ReadError = SpreadsheetError


@dataclasses.dataclass
class ProcedureRow:
    line: int  # row number in the sheet as Excel shows it (1-based); a CSV's record number
    code: str  # opaque text: "1.001193", "2.000200", "1.001193.01", "C08_XPHCDB"
    name: str  # whitespace collapsed, NFC
    field: str = ""  # lĩnh vực
    ministry: str = ""  # cơ quan ban hành
    agencies: list[str] = dataclasses.field(default_factory=list)
    levels: list[str] = dataclasses.field(default_factory=list)  # Level values, in the enum's order
    online_level: str = ""  # OnlineLevel value
    decisions: str = ""  # quyết định công bố / số quyết định
    status: str = "in_force"  # ProcedureStatus value
    effective_from: datetime.date | None = None
    effective_to: datetime.date | None = None
    errors: list[str] = dataclasses.field(default_factory=list)
    original_name: str = ""  # the name as the file has it, when split diacritics were repaired


@dataclasses.dataclass
class Sheet:
    shape: str  # "portal", "appendix" or "csv"
    sheet_name: str
    header_row: int  # 1-based
    columns: dict[str, str]  # our field name → the header text found
    rows: list[ProcedureRow]  # data rows only
    warnings: list[str]  # file-level notes
    # The issuing body the file declares: the "Cơ quan ban hành" of more than half its rows
    # (a ministry's export), or "" when it names none.
    declared_issuer: str = ""
    cross_issuer: list[ProcedureRow] = dataclasses.field(default_factory=list)  # rows of other issuers
    unused_columns: list[str] = dataclasses.field(default_factory=list)  # header texts not read
    repaired: int = 0  # names whose split diacritics were repaired


# --- text helpers ---------------------------------------------------------------------------------

_LINE_SPLIT = re.compile(r"[\r\n\u2028\u2029\v\f]+")
_AGENCY_SPLIT = re.compile(r"[\r\n\u2028\u2029\v\f;]+")
_BULLET = re.compile(r"^(?:[-+•*–]\s*)+")


def _text(value: Any) -> str:
    """One line: whitespace (NBSP, line breaks) collapsed."""
    return clean_spaces(cell_text(value))


def _lines(value: Any, splitter: re.Pattern[str] = _LINE_SPLIT) -> list[str]:
    return [line for part in splitter.split(cell_text(value)) if (line := clean_spaces(part))]


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sentence_case(text: str) -> str:
    """ "HỘ TỊCH" → "Hộ tịch"; "hộ tịch" → "Hộ tịch"; "Đăng ký biện pháp bảo đảm" kept."""
    if not text:
        return text
    if text.upper() == text:
        text = text.lower()
    return text[0].upper() + text[1:]


_FIELD_COUNT = re.compile(r"\s*\((?:\d+|gồm|có)[^)]*\)\s*$", re.IGNORECASE)


def _field_name(text: str) -> str:
    text = _FIELD_COUNT.sub("", text).strip(" .:;,-–")
    return _sentence_case(text)


# --- the header -----------------------------------------------------------------------------------

# Folded header texts → (our field, priority: 0 preferred). Matched whole, or as a prefix followed by
# more words (only for names of two words or more, so that "Tên" does not claim "Tên VB QPPL …" and
# "Mã" not "Mã QR"), or followed by a parenthesis, colon or slash ("Mã TTHC (*)", "Tên:").
_HEADER_VARIANTS: dict[str, list[tuple[str, int]]] = {
    "code": [
        ("ma so", 0),
        ("ma tthc", 0),
        ("ma thu tuc", 0),
        ("ma so tthc", 0),
        ("ma so thu tuc", 0),
        ("ma thu tuc hanh chinh", 0),
        ("ma so thu tuc hanh chinh", 0),
        ("ma dvc", 1),
        ("code", 1),
        ("ma", 2),
    ],
    "name": [
        ("ten", 0),
        ("ten thu tuc", 0),
        ("ten tthc", 0),
        ("ten thu tuc hanh chinh", 0),
        ("noi dung thu tuc", 1),
        ("name", 1),
    ],
    "stt": [("stt", 0), ("tt", 0), ("so tt", 0), ("so thu tu", 0)],
    "field": [("linh vuc", 0), ("field", 1), ("category", 1)],
    "ministry": [
        ("co quan ban hanh", 0),
        ("bo, nganh", 0),
        ("bo nganh", 0),
        ("co quan cong bo", 1),
        ("issuer", 1),
        ("issuing agency", 1),
    ],
    "agencies": [
        ("co quan thuc hien", 0),
        ("co quan giai quyet", 0),
        ("so, nganh", 0),
        ("so nganh", 0),
        ("co quan", 1),
        ("dia diem thuc hien", 2),
        ("agency", 1),
        ("agencies", 1),
    ],
    "levels": [("cap thuc hien", 0), ("tham quyen", 1), ("cap", 1), ("level", 1), ("levels", 1)],
    "online_level": [
        ("dich vu cong truc tuyen", 0),
        ("dvctt", 0),
        ("dvc truc tuyen", 0),
        ("muc do dvc", 0),
        ("muc do", 1),
    ],
    # Two columns ticked with "x" (often under a "DVCTT" cell merged over both).
    "online_full": [
        ("toan trinh", 0),
        ("dvc toan trinh", 0),
        ("dvctt toan trinh", 0),
        ("dich vu cong truc tuyen toan trinh", 0),
    ],
    "online_partial": [
        ("mot phan", 0),
        ("dvc mot phan", 0),
        ("dvctt mot phan", 0),
        ("dich vu cong truc tuyen mot phan", 0),
    ],
    "decisions": [
        ("quyet dinh cong bo", 0),
        ("so quyet dinh", 0),
        ("so qd", 0),
        ("quyet dinh", 1),
        ("can cu phap ly", 1),
        ("decision numbers", 0),
        ("decision number", 0),
        ("decisions", 0),
    ],
    "status": [("tinh trang", 0), ("trang thai", 0), ("status", 0)],
    "notes": [("ghi chu", 0), ("ly do", 1), ("reason", 1), ("note", 1), ("notes", 1)],
    "effective_from": [
        ("ngay hieu luc", 0),
        ("hieu luc tu", 0),
        ("ngay co hieu luc", 0),
        ("hieu luc tu ngay", 0),
        ("ngay ap dung", 1),
        ("hieu luc", 1),
        ("active date", 0),
        ("effective date", 0),
        ("effective from", 0),
    ],
    "effective_to": [
        ("ngay het hieu luc", 0),
        ("het hieu luc", 0),
        ("het hieu luc tu", 0),
        ("ngay bai bo", 0),
        ("bai bo tu ngay", 0),
        ("repeal date", 0),
        ("repealed date", 0),
        ("expiry date", 0),
        ("effective to", 0),
    ],
}
_HEADER_EXACT: dict[str, tuple[str, int]] = {}
_HEADER_PREFIXES: list[tuple[str, str, int]] = []
for _key_name, _variants in _HEADER_VARIANTS.items():
    for _variant, _priority in _variants:
        _HEADER_EXACT[_variant] = (_key_name, _priority)
        _HEADER_PREFIXES.append((_variant, _key_name, _priority))
_HEADER_PREFIXES.sort(key=lambda item: -len(item[0]))  # the most specific name first
_HEADER_TRIM = re.compile(r"(?:\s*\(\s*\*+\s*\)|\s*\*+|\s*\(\s*\d+\s*\)|[\s:.]+)$")
_HEADER_STOP = re.compile(r"[(:/\[]")
_HEADER_EXACT_ONLY = {"co quan"}  # "Cơ quan phối hợp" is not the agencies that carry it out


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _header_key(text: str) -> str:
    """ "linhVuc", "active_date", "Lĩnh vực" → "linh vuc", "active date", "linh vuc"."""
    return _HEADER_TRIM.sub("", fold(_CAMEL.sub(" ", text).replace("_", " ")))


def _header_field(text: str) -> tuple[str, int] | None:
    key = _header_key(text)
    if key in _HEADER_EXACT:
        return _HEADER_EXACT[key]
    for variant, name, priority in _HEADER_PREFIXES:
        if not key.startswith(variant):
            continue
        rest = key[len(variant) :]
        if _HEADER_STOP.match(rest.lstrip()) or (
            " " in variant and variant not in _HEADER_EXACT_ONLY and rest.startswith((" ", ","))
        ):
            return name, priority
    return None


def _header_match(text: str) -> tuple[str, int] | None:
    return _header_field(text)


HEADER = HeaderSpec(
    match=_header_match,
    required={"code", "name"},
    describe=gettext_lazy("cột Mã TTHC và Tên thủ tục"),
    hint=gettext_lazy(
        "Tên cột được nhận: mã — “Mã số”, “Mã TTHC”, “Mã thủ tục”, “Mã số TTHC”, “Mã số thủ tục”, “Mã DVC”, "
        "“Mã”; tên — “Tên”, “Tên thủ tục”, “Tên TTHC”, “Tên thủ tục hành chính”, “Nội dung thủ tục”."
    ),
)


# --- codes ----------------------------------------------------------------------------------------

_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._\-]{0,39}$")
# What a code looks like when it is found where it should not be: digits and a separator.
_CODE_LIKE = re.compile(r"^(?=[^\s]*\d)[0-9A-Za-z]+(?:[._\-][0-9A-Za-z]+)+$")
_CODE_LEAD = re.compile(r"^\s*([0-9A-Za-z]+(?:[._\-][0-9A-Za-z]+)+)[.:,\s\-–—)]*\s+(\S.*)$")
_SPACES = re.compile(r"\s+")


def _code_text(value: Any) -> str:
    if isinstance(value, float):
        # A code typed into Excel as a number: 1.0012 stands for "1.001200".
        if 1 <= value < 10 and round(value, 6) == value:
            return f"{value:.6f}"
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = _text(value)
    squeezed = _SPACES.sub("", text)
    return squeezed if _CODE.match(squeezed) else text


def _code_lead(text: str) -> tuple[str, str] | None:
    """ "1.001193 - Đăng ký khai sinh" → ("1.001193", "Đăng ký khai sinh")."""
    match = _CODE_LEAD.match(text)
    if match is None or not _CODE_LIKE.match(match.group(1)) or not re.search(r"[^\W\d_]", match.group(2)):
        return None
    return match.group(1), match.group(2)


# --- levels, online level, status, dates ----------------------------------------------------------

_LEVEL_ORDER = {value: i for i, value in enumerate(Level.values)}


def _sorted_levels(levels: set[str]) -> list[str]:
    return [str(level) for level in sorted(levels, key=_LEVEL_ORDER.__getitem__)]


def _agency_levels(agency: str) -> frozenset[str]:
    """What procedures.levels says of an agency, without its "khác" for the unknown."""
    return agency_levels(agency) - {Level.OTHER}


def _levels_from_agencies(agencies: list[str]) -> list[str]:
    return [str(level) for level in levels_from_agencies(agencies)]


_LEVEL_WORDS = [
    (Level.CENTRAL, re.compile(r"\btrung uong\b|\btw\b|\bcap bo\b|^bo\b")),
    (Level.PROVINCE, re.compile(r"\btinh\b")),
    (Level.DISTRICT, re.compile(r"\bhuyen\b|\bquan\b")),
    (Level.COMMUNE, re.compile(r"\bxa\b(?! hoi)|\bphuong\b")),
    (Level.OTHER, re.compile(r"\bkhac\b")),
]


@functools.lru_cache(maxsize=1024)
def _levels_from_cell(text: str) -> tuple[str, ...]:
    """ "Cấp tỉnh, cấp xã", "Tỉnh/Xã", "UBND cấp xã", "Sở Tư pháp" → the Level values."""
    folded = fold(text)
    found = {level for level, pattern in _LEVEL_WORDS if pattern.search(folded)}
    if not found:
        for part in _AGENCY_SPLIT.split(text):
            found |= _agency_levels(part.strip())
    return tuple(_sorted_levels(found))


_ONLINE_FULL = re.compile(r"toan trinh|\bmuc (?:do )?4\b|^4$")
_ONLINE_PARTIAL = re.compile(r"mot phan|\bmuc (?:do )?3\b|^3$")
_ONLINE_NONE = re.compile(r"^(?:khong.*|chua.*|-+|0|1|2|muc (?:do )?[12]|truc tiep|khong co)$")


_UNTICKED = {"khong", "0", "-", "--", "false", "no", "k"}


def _online_level(text: str) -> str | None:
    """The OnlineLevel value, or None when the text is not understood."""
    folded = fold(text)
    if not folded or _ONLINE_NONE.match(folded):
        return OnlineLevel.NONE
    if _ONLINE_FULL.search(folded):
        return OnlineLevel.FULL
    if _ONLINE_PARTIAL.search(folded):
        return OnlineLevel.PARTIAL
    return None


_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)")
_DMY_WORDS = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def _date_in(text: str) -> datetime.date | None:
    folded = fold(text)
    match = _DMY.search(folded) or _DMY_WORDS.search(folded)
    try:
        if match:
            return datetime.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        match = _ISO.search(folded)
        if match:
            return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None


def _date_value(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        return _date_in(value)
    return None


# Notes are free text: only wording that states the procedure's own status counts ("Bãi bỏ từ ngày
# 01/01/2027", "Hết hiệu lực", "Được sửa đổi, bổ sung"), not "có hiệu lực từ …" or "áp dụng cho mọi …".
_STATUS_REPEALED = re.compile(
    r"^(?:(?:bi|da|se) )?(?:bai bo|huy bo)\b(?! (?:mot |cac )?(?:so|phan|thanh phan|yeu cau|dieu kien))"
    r"|\b(?:bai bo|huy bo) (?:ke )?tu ngay\b|\bhet hieu luc\b"
)
_STATUS_REPLACED = re.compile(r"\b(?:duoc|bi|da) thay the\b")
_STATUS_AMENDED = re.compile(r"\bsua doi\b|^(?:duoc |da )?bo sung\b")
_STATUS_IN_FORCE = re.compile(
    r"^moi\b|moi ban hanh|ban hanh moi|\b(?:tthc|thu tuc) moi\b|con hieu luc|dang (?:co )?hieu luc"
)


# A status column of an exported database ("ACTIVE", "repealed", "in_force"…).
_ASCII_STATUS = {
    "active": ProcedureStatus.IN_FORCE,
    "in force": ProcedureStatus.IN_FORCE,
    "valid": ProcedureStatus.IN_FORCE,
    "new": ProcedureStatus.IN_FORCE,
    "published": ProcedureStatus.IN_FORCE,
    "repealed": ProcedureStatus.REPEALED,
    "abolished": ProcedureStatus.REPEALED,
    "inactive": ProcedureStatus.REPEALED,
    "expired": ProcedureStatus.REPEALED,
    "cancelled": ProcedureStatus.REPEALED,
    "reduced": ProcedureStatus.REPEALED,
    "amended": ProcedureStatus.AMENDED,
    "modified": ProcedureStatus.AMENDED,
    "replaced": ProcedureStatus.REPLACED,
}


def _note(text: str) -> tuple[str | None, datetime.date | None, datetime.date | None]:
    """A status/notes cell: (status, effective_from, effective_to) as far as it says.

    "Bãi bỏ từ ngày 01/01/2027" → repealed, effective_to 2027-01-01.
    """
    folded = fold(text)
    ascii_status = _ASCII_STATUS.get(folded.replace("_", " ").replace("-", " "))
    if ascii_status is not None:
        return ascii_status, None, None
    day = _date_in(text)
    if _STATUS_REPEALED.search(folded):
        return ProcedureStatus.REPEALED, None, day
    if _STATUS_REPLACED.search(folded):
        return ProcedureStatus.REPLACED, None, day
    if _STATUS_AMENDED.search(folded):
        return ProcedureStatus.AMENDED, day, None
    if _STATUS_IN_FORCE.search(folded):
        return ProcedureStatus.IN_FORCE, day, None
    if day is not None and "hieu luc" in folded:
        return None, day, None
    return None, None, None


# --- section rows ---------------------------------------------------------------------------------

_ENUMERATOR = re.compile(
    r"^\s*(?:phần\s+)?(?:[IVXLCDM]+|[A-ZĐa-zđ]|\d+(?:\.\d+)*)\s*[.)/:\-–]\s*|^\s*phần\s+[IVXLCDM\d]+\s+",
    re.IGNORECASE,
)
_ENUMERATOR_ONLY = re.compile(r"^\s*(?:phần\s+)?(?:[IVXLCDM]+|[A-ZĐa-zđ]|\d+(?:\.\d+)*)\s*[.)]?\s*$", re.I)
_LETTER_ENUMERATOR = re.compile(r"^\s*(?:[Pp]hần\s+\S+|PHẦN\s+\S+|[IVXLCDM]+|[A-ZĐ])\s*[.)/:\-–]?(?:\s|$)")
_ARABIC = re.compile(r"\d+(?:\.\d+)*")
_NUMBERING = re.compile(r"\(?\d{1,2}\)?")
_FIELD_HEADING = re.compile(r"^(?:lĩnh\s+vực|linh\s+vuc)\b\s*[:.\-–]?\s*(.*)$", re.IGNORECASE)
_HEADING_STARTS = (
    "danh muc",
    "tthc",
    "thu tuc hanh chinh",
    "cac thu tuc hanh chinh",
    "cac tthc",
    "cap ",
    "dung chung",
    "nhom ",
)
_LEVEL_HEADING = re.compile(r"\bcap (tinh|huyen|xa|trung uong|bo)\b")
_LEVEL_HEADING_VALUES = {
    "tinh": Level.PROVINCE,
    "huyen": Level.DISTRICT,
    "xa": Level.COMMUNE,
    "trung uong": Level.CENTRAL,
    "bo": Level.CENTRAL,
}
_FOOTERS = ("tong so", "tong cong", "cong:", "ghi chu:", "nguoi lap", "(*)")
SHARED = "dung_chung"  # a "DÙNG CHUNG" section: the levels come from each row's agencies


@dataclasses.dataclass
class _Heading:
    level: list[str] | None = None
    field: str | None = None
    status: str | None = None


def _heading(texts: list[str], *, enumerated: bool) -> _Heading | None:
    """What a section row says, or None when it sets nothing.

    `enumerated`: the row is numbered with a letter or a Roman numeral ("A.", "I", "Phần II"), as
    sections are; procedures are numbered 1, 2, 3, so "1. Thủ tục … cấp xã" is not a section.
    """
    text = " ".join(texts)
    enumerated = enumerated or bool(_LETTER_ENUMERATOR.match(text))
    stripped = _ENUMERATOR.sub("", text, count=1).strip()
    if not stripped:
        return None
    field_match = _FIELD_HEADING.match(stripped)
    if field_match:
        name = _field_name(field_match.group(1))
        return _Heading(field=name) if name else None
    folded = fold(stripped)
    upper = stripped.upper() == stripped and any(ch.isalpha() for ch in stripped)
    if not (upper or enumerated or folded.startswith(_HEADING_STARTS)):
        return None
    heading = _Heading()
    statuses = set()
    if "bai bo" in folded:
        statuses.add(ProcedureStatus.REPEALED)
    if "thay the" in folded:
        statuses.add(ProcedureStatus.REPLACED)
    if "sua doi" in folded or "bo sung" in folded:
        statuses.add(ProcedureStatus.AMENDED)
    if "moi ban hanh" in folded or "ban hanh moi" in folded:
        statuses.add(ProcedureStatus.IN_FORCE)
    if len(statuses) == 1:
        heading.status = statuses.pop()
    levels = {_LEVEL_HEADING_VALUES[m] for m in _LEVEL_HEADING.findall(folded)}
    if levels:
        heading.level = _sorted_levels(levels)
    elif "dung chung" in folded:
        heading.level = [SHARED]
    elif "co quan khac" in folded:
        heading.level = [str(Level.OTHER)]
    if heading.level is None and heading.status is None:
        return None
    return heading


_PART = re.compile(r"^\s*(?:phần|PHẦN|Phần)\s")
_ROMAN = re.compile(r"^\s*[IVX]+\s*[.)/:\-–]?(?:\s|$)")
_LETTER = re.compile(r"^\s*[A-ZĐ]\s*[.)/:\-–]?(?:\s|$)")


def _enumerator_kind(text: str) -> str:
    """ "part" (Phần I), "roman" (I., II.: fields), "letter" (A., B.: levels) or ""."""
    if _PART.match(text):
        return "part"
    if _ROMAN.match(text):
        return "roman"
    if _LETTER.match(text):
        return "letter"
    return ""


def _looks_like_heading(texts: list[str]) -> bool:
    text = " ".join(texts)
    if any(_code_lead(t) or _CODE_LIKE.match(t) for t in texts):
        return False  # "1.001193 ĐĂNG KÝ KHAI SINH": a procedure, however loud
    letters = [ch for ch in text if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and len(letters) > 3:
        return True
    return bool(_LETTER_ENUMERATOR.match(text)) and len(texts) <= 2


# --- the reader -----------------------------------------------------------------------------------


class _Reader:
    def __init__(self, grid: Grid, header: Header) -> None:
        self.grid = grid
        self.header = header
        self.cols = header.columns
        self.labels = header.labels
        self.rows: list[ProcedureRow] = []
        self.warnings: list[str] = []
        self.seen: dict[str, int] = {}
        # Section state, each with the order it was set in (nesting: a level section inside a
        # status list, a field section inside a level section…).
        self.order = 0
        self.level: tuple[list[str] | None, int] = (None, 0)
        self.field: tuple[str, int] = ("", 0)
        self.status: tuple[str | None, int] = (None, 0)
        self.sections = 0
        self.unknown_headings: list[int] = []
        self.footers = 0
        self.numbering_rows = 0
        self.repeated_headers = 0
        self.unknown_online: list[int] = []
        self.unknown_dates: list[int] = []
        self.unknown_levels: list[int] = []
        self.long_decisions: list[int] = []
        self.fills: dict[int, dict[int, Any]] = {}
        self.merged_across: set[tuple[int, int]] = set()
        self.repaired = 0

    # the section state

    # Each piece of state remembers when it was set: a section started after another one is nested
    # in it and ends with it ("I. LĨNH VỰC …" inside "A. … CẤP TỈNH" ends at "B. … CẤP XÃ"); one
    # started before it is the outer one and goes on. A value of None/"" still marks a boundary
    # (a section whose heading names no level, field or status).

    def set_status(self, status: str | None) -> None:
        self.order += 1
        if self.status[1]:  # a new list: its levels and fields start afresh
            if self.level[1] > self.status[1]:
                self.level = (None, 0)
            if self.field[1] > self.status[1]:
                self.field = ("", 0)
        self.status = (status, self.order)

    def set_level(self, level: list[str] | None) -> None:
        self.order += 1
        if self.level[1] and self.field[1] > self.level[1]:
            self.field = ("", 0)  # the fields of the previous level's section
        self.level = (level, self.order)

    def set_field(self, name: str) -> None:
        self.order += 1
        if self.field[1] and self.level[1] > self.field[1]:
            self.level = (None, 0)  # levels nested in the previous field's section
        self.field = (name, self.order)

    # merged cells

    def prepare_merges(self, first_data_line: int, last_line: int) -> set[int]:
        """The values merged down over the rows below; returns the rows a merged range covers."""
        covered: set[int] = set()
        self.fills = self.grid.fill_down(from_row=first_data_line)
        for merge in self.grid.merges:
            if merge.min_row < first_data_line:
                continue
            if merge.max_col > merge.min_col:
                self.merged_across.add((merge.min_row, merge.min_col))
            covered.update(range(merge.min_row + 1, min(merge.max_row, last_line) + 1))
        return covered

    def data_start(self) -> int:
        """The first line after the header, counting a header merged over two rows."""
        end = self.header.row
        for merge in self.grid.merges:
            if merge.min_row == self.header.row and merge.max_row > end:
                end = merge.max_row
        return end + 1

    def read_subheader(self, start: int) -> None:
        """ "Toàn trình" / "Một phần" under a "DVCTT" cell merged across both (a two-row header)."""
        for line in range(self.header.row + 1, start):
            for column, value in self.grid.cells.get(line, {}).items():
                found = _header_field(value) if isinstance(value, str) else None
                if found and found[0] in ("online_full", "online_partial") and found[0] not in self.cols:
                    self.cols[found[0]] = column
                    self.labels[found[0]] = _text(value)
        ticked = {self.cols.get("online_full"), self.cols.get("online_partial")} - {None}
        if self.cols.get("online_level") in ticked:  # the group's label, not a column of its own
            del self.cols["online_level"], self.labels["online_level"]

    # reading

    def read(self) -> list[ProcedureRow]:
        start = self.data_start()
        self.read_subheader(start)
        lines = [r for r in self.grid.rows if r >= start]
        if not lines:
            return []
        last = lines[-1]
        covered = self.prepare_merges(start, last)
        self.read_titles()
        for line in lines:
            raw = self.grid.cells.get(line, {})
            values = raw
            if line in self.fills:
                values = dict(self.fills[line])
                values.update(raw)
            # Cells that cannot be read (a formula without its value…) → why.
            formulas = {c: problem.message for c, problem in self.grid.problems.get(line, {}).items()}
            if self.skip(line, raw, values, formulas):
                continue
            self.rows.append(self.row(line, values, formulas))
        present = set(lines)
        blanks = sum(1 for r in range(start, last) if r not in present and r not in covered)
        self.note_warnings(blanks)
        return self.rows

    def read_titles(self) -> None:
        """A title above the header that names one list or one level ("DANH MỤC THỦ TỤC HÀNH CHÍNH
        ĐƯỢC SỬA ĐỔI, BỔ SUNG THUỘC THẨM QUYỀN CỦA UBND CẤP XÃ") is the default for every row."""
        for line in sorted(r for r in self.grid.cells if r < self.header.row):
            texts = [t for _, v in sorted(self.grid.cells[line].items()) if (t := _text(v))]
            if not texts or len(texts) > 2:
                continue
            heading = _heading(texts, enumerated=False)
            if heading is None:
                continue
            if heading.status is not None:
                self.set_status(heading.status)
            if heading.level is not None and len(heading.level) == 1:
                self.set_level(heading.level)

    def skip(self, line: int, raw: dict[int, Any], values: dict[int, Any], formulas: dict[int, str]) -> bool:
        """True for a section, numbering or footer row (sections set the state on the way)."""
        code_col = self.cols["code"]
        if code_col in formulas:
            return False
        code_value = values.get(code_col)
        if code_value is not None and _CODE.match(_code_text(code_value)):
            return False
        if code_value is not None and _text(code_value) == self.labels["code"]:
            self.repeated_headers += 1  # the header printed again on each page
            return True
        if not raw:
            return False  # formulas only: a data row, reported
        items = sorted(raw.items())
        texts = [t for _, v in items if (t := _text(v))]
        if len(texts) >= 3 and all(_NUMBERING.fullmatch(t) for t in texts):
            self.numbering_rows += 1  # "(1) (2) (3) …" under the header
            return True
        across = len(items) == 1 and (line, items[0][0]) in self.merged_across
        if len(texts) > 2 and not across:
            return False
        enumerated = False
        kind = _enumerator_kind(" ".join(texts))
        if len(texts) == 2 and _ENUMERATOR_ONLY.match(texts[0]):
            token = texts[0].strip().rstrip(".)")
            if _ARABIC.fullmatch(token):
                # "1 | Đăng ký khai sinh" is a procedure without its code; "1 | Lĩnh vực Chứng
                # thực" and "1 | DANH MỤC … BỊ BÃI BỎ" are sections.
                if not (_FIELD_HEADING.match(texts[1]) or _looks_like_heading(texts[1:])):
                    return False
            else:
                enumerated = True
            texts = texts[1:]
        heading = _heading(texts, enumerated=enumerated)
        if heading is not None:
            self.sections += 1
            if heading.status is not None:
                self.set_status(heading.status)
            if heading.level is not None:
                self.set_level(heading.level)
            if heading.field is not None:
                self.set_field(heading.field)
            return True
        folded = fold(" ".join(texts))
        if folded.startswith(_FOOTERS):
            self.footers += 1
            return True
        if across or _looks_like_heading(texts):
            self.sections += 1
            self.unknown_headings.append(line)
            # A heading numbered like a level section ("D. …") ends the previous level's section,
            # one numbered like a field section ("III. …") the previous field's, "Phần II" all.
            if kind == "part":
                self.status, self.level, self.field = (None, 0), (None, 0), ("", 0)
            elif kind == "letter":
                self.set_level(None)
            elif kind == "roman":
                self.set_field("")
            return True
        return False

    def label(self, column: int) -> str:
        return next(self.labels[name] for name, c in self.cols.items() if c == column)

    def row(self, line: int, values: dict[int, Any], formulas: dict[int, str]) -> ProcedureRow:
        cols, labels = self.cols, self.labels
        errors: list[str] = []
        used = {c for name, c in cols.items() if name != "stt"}
        for column, message in sorted(formulas.items()):
            if column in used:  # an STT written as =ROW()-4 hurts nobody
                errors.append(_cell_error(line, self.label(column), message))

        def value(name: str) -> Any:
            column = cols.get(name)
            if column is None or column in formulas:
                return None
            return values.get(column)

        code_label, name_label = labels["code"], labels["name"]
        code_value = value("code")
        code = _code_text(code_value) if code_value is not None else ""
        raw_name = _text(value("name"))
        name, repairs = repair_split_diacritics(raw_name)
        if not code:
            lead = _code_lead(name) if name else None
            if cols["code"] in formulas:
                pass
            elif lead:
                errors.append(
                    _cell_error(
                        line,
                        code_label,
                        _(
                            'thiếu mã thủ tục; cột "%(name_label)s" có vẻ chứa cả mã và tên ("%(name)s") — '
                            'hãy tách mã %(code)s sang cột "%(code_label)s".'
                        )
                        % {
                            "name_label": name_label,
                            "name": _short(name),
                            "code": lead[0],
                            "code_label": code_label,
                        },
                    )
                )
            else:
                errors.append(_cell_error(line, code_label, _("thiếu mã thủ tục.")))
        elif not _CODE.match(code):
            squeezed_name = _SPACES.sub("", name)
            lead = _code_lead(code)
            if name and _CODE_LIKE.match(squeezed_name) and not _CODE_LIKE.match(code):
                errors.append(
                    _cell_error(
                        line,
                        code_label,
                        _(
                            'ô chứa tên thủ tục ("%(code)s") còn cột "%(name_label)s" chứa mã (%(name)s); '
                            "mã và tên bị đổi chỗ, hãy đổi lại."
                        )
                        % {"code": _short(code), "name_label": name_label, "name": squeezed_name},
                    )
                )
            elif lead:
                errors.append(
                    _cell_error(
                        line,
                        code_label,
                        _(
                            'ô chứa cả mã và tên ("%(text)s"); hãy để riêng mã %(code)s ở cột "%(code_label)s" '
                            'và tên ở cột "%(name_label)s".'
                        )
                        % {
                            "text": _short(code),
                            "code": lead[0],
                            "code_label": code_label,
                            "name_label": name_label,
                        },
                    )
                )
            else:
                errors.append(
                    _cell_error(
                        line,
                        code_label,
                        _(
                            'mã "%(code)s" không hợp lệ (mã TTHC chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới, '
                            "tối đa 40 ký tự; ví dụ 1.001193)."
                        )
                        % {"code": _short(code, 45)},
                    )
                )
        else:
            key = code.upper()
            first = self.seen.get(key)
            if first is not None:
                errors.append(
                    _cell_error(
                        line,
                        code_label,
                        _("mã %(code)s trùng với dòng %(row)d.") % {"code": code, "row": first},
                    )
                )
            else:
                self.seen[key] = line
        if not name and cols["name"] not in formulas:
            errors.append(_cell_error(line, name_label, _("thiếu tên thủ tục.")))
        elif len(name) > MAX_NAME_LENGTH:
            errors.append(
                _cell_error(
                    line,
                    name_label,
                    _("quá dài (%(n)d ký tự; tối đa %(max)d).") % {"n": len(name), "max": MAX_NAME_LENGTH},
                )
            )

        row = ProcedureRow(line=line, code=code, name=name, errors=errors)
        if repairs:
            row.original_name = raw_name
            self.repaired += 1
        row.field = _field_name(repair_split_diacritics(_text(value("field")))[0]) or self.field[0]
        row.ministry = _text(value("ministry"))
        for attr in ("field", "ministry"):
            if len(getattr(row, attr)) > MAX_FIELD_LENGTH:
                errors.append(
                    _cell_error(
                        line,
                        labels.get(attr, attr),
                        _("quá dài (%(n)d ký tự; tối đa %(max)d).")
                        % {"n": len(getattr(row, attr)), "max": MAX_FIELD_LENGTH},
                    )
                )
        agencies: dict[str, str] = {}
        for part in _lines(value("agencies"), _AGENCY_SPLIT):
            agency = _BULLET.sub("", part).rstrip(" .,;")
            if agency:
                agencies.setdefault(agency.casefold(), agency)
        row.agencies = list(agencies.values())
        row.levels = self.levels(line, value("levels"), row.agencies)
        online = value("online_level")
        if online is not None:
            level = _online_level(_text(online))
            if level is None:
                self.unknown_online.append(line)
            else:
                row.online_level = str(level)
        for name_, level in (("online_full", OnlineLevel.FULL), ("online_partial", OnlineLevel.PARTIAL)):
            tick = _text(value(name_))
            if not row.online_level and tick and fold(tick) not in _UNTICKED:
                row.online_level = str(level)
        decisions = "; ".join(_lines(value("decisions")))
        if len(decisions) > MAX_DECISIONS_LENGTH:
            self.long_decisions.append(line)
            decisions = decisions[: MAX_DECISIONS_LENGTH - 1].rstrip() + "…"
        row.decisions = decisions
        status, note_from, note_to = None, None, None
        for name_ in ("status", "notes"):
            text = _text(value(name_))
            if not text:
                continue
            found, day_from, day_to = _note(text)
            status = status or found
            note_from = note_from or day_from
            note_to = note_to or day_to
        row.status = str(status or self.status[0] or ProcedureStatus.IN_FORCE)
        row.effective_from = self.date(line, value("effective_from")) or note_from
        row.effective_to = self.date(line, value("effective_to")) or note_to
        return row

    def levels(self, line: int, cell: Any, agencies: list[str]) -> list[str]:
        text = _text(cell)
        if text:
            found = _levels_from_cell(text)
            if found:
                return list(found)
            self.unknown_levels.append(line)
        section = self.level[0]
        if section and section != [SHARED]:
            return list(section)
        inferred = _levels_from_agencies(agencies)
        if section == [SHARED]:
            local = [level for level in inferred if level != Level.OTHER]
            # "dùng chung" without a level or a telling agency: the two local levels (since 1/7/2025)
            return local or _sorted_levels({Level.PROVINCE, Level.COMMUNE})
        return inferred

    def date(self, line: int, cell: Any) -> datetime.date | None:
        if cell is None or not _text(cell):
            return None
        day = _date_value(cell)
        if day is None:
            self.unknown_dates.append(line)
        return day

    def note_warnings(self, blanks: int) -> None:
        def some(lines: list[int]) -> str:
            shown = ", ".join(map(str, lines[:10]))
            return shown + (", …" if len(lines) > 10 else "")

        if blanks:
            self.warnings.append(_("Bỏ qua %(n)d dòng trống.") % {"n": blanks})
        if self.numbering_rows:
            self.warnings.append(_("Bỏ qua %(n)d dòng đánh số cột.") % {"n": self.numbering_rows})
        if self.repeated_headers:
            self.warnings.append(_("Bỏ qua %(n)d dòng tiêu đề cột lặp lại.") % {"n": self.repeated_headers})
        if self.footers:
            self.warnings.append(_("Bỏ qua %(n)d dòng tổng cộng/ghi chú cuối bảng.") % {"n": self.footers})
        if self.unknown_headings:
            self.warnings.append(
                _("Bỏ qua %(n)d dòng tiêu đề mục không rõ cấp, lĩnh vực hay tình trạng (dòng %(rows)s).")
                % {"n": len(self.unknown_headings), "rows": some(self.unknown_headings)}
            )
        if self.unknown_levels:
            self.warnings.append(
                _(
                    'Không nhận ra cấp thực hiện ở cột "%(column)s" (dòng %(rows)s); '
                    "cấp được suy ra từ mục hoặc cơ quan thực hiện."
                )
                % {"column": self.labels["levels"], "rows": some(self.unknown_levels)}
            )
        if self.unknown_online:
            self.warnings.append(
                _('Không nhận ra mức dịch vụ công trực tuyến ở cột "%(column)s" (dòng %(rows)s); để trống.')
                % {"column": self.labels["online_level"], "rows": some(self.unknown_online)}
            )
        if self.unknown_dates:
            self.warnings.append(
                _("Không đọc được ngày (dd/mm/yyyy) ở dòng %(rows)s; để trống.")
                % {"rows": some(self.unknown_dates)}
            )
        if self.long_decisions:
            self.warnings.append(
                _('Cột "%(column)s" dài quá %(max)d ký tự ở dòng %(rows)s; đã cắt bớt.')
                % {
                    "column": self.labels["decisions"],
                    "max": MAX_DECISIONS_LENGTH,
                    "rows": some(self.long_decisions),
                }
            )


# --- the entry point ------------------------------------------------------------------------------

_PORTAL_COLUMNS = {"code", "name", "ministry", "agencies", "field"}


def _cell_error(line: int, column: str, message: str) -> str:
    return _('Dòng %(row)d, cột "%(column)s": %(message)s') % {
        "row": line,
        "column": column,
        "message": message,
    }


def read_procedures(content: bytes, filename: str, *, max_bytes: int | None = None) -> Sheet:
    """Read a catalogue file (.xlsx or CSV, told apart by its bytes). Raises ReadError."""
    table = read_table(content, filename, HEADER, max_bytes=max_bytes)
    grid, header = table.grid, table.header
    reader = _Reader(grid, header)
    rows = reader.read()
    if not rows:
        raise ReadError(
            _("Không có dòng thủ tục nào dưới dòng tiêu đề (dòng %(row)d) của trang “%(sheet)s”.")
            % {"row": header.row, "sheet": grid.name}
        )
    if table.kind == "csv":
        shape = "csv"
    elif header.columns.keys() >= _PORTAL_COLUMNS and reader.sections == 0:
        shape = "portal"
    else:
        shape = "appendix"
    if table.others:
        reader.warnings.append(
            _(
                "Chỉ đọc trang “%(sheet)s”; trang %(names)s cũng có danh mục nhưng không được đọc — "
                "hãy nhập riêng từng trang."
            )
            % {"sheet": grid.name, "names": ", ".join(f"“{name}”" for name in table.others)}
        )
    columns = {name: header.labels[name] for name in sorted(header.columns, key=header.columns.__getitem__)}
    sheet = Sheet(shape, grid.name, header.row, columns, rows, reader.warnings, repaired=reader.repaired)
    used = {column for name, column in reader.cols.items() if name != "stt"} | {reader.cols.get("stt")}
    sheet.unused_columns = [
        clean_spaces(cell_text(value))
        for column, value in sorted(grid.cells.get(header.row, {}).items())
        if column not in used and clean_spaces(cell_text(value))
    ]
    if sheet.unused_columns:
        sheet.warnings.append(
            _("Các cột không được đọc (dữ liệu trong đó không được nhập): %(columns)s.")
            % {"columns": ", ".join(f"“{name}”" for name in sheet.unused_columns)}
        )
    if sheet.repaired:
        example = next(r for r in rows if r.original_name)
        sheet.warnings.append(
            _(
                "Đã chuẩn hóa chữ (NFC) và sửa dấu bị tách rời trong %(n)d tên thủ tục (ví dụ dòng %(row)d: "
                "“%(before)s” → “%(after)s”); tên như trong tệp được lưu trong lịch sử."
            )
            % {
                "n": sheet.repaired,
                "row": example.line,
                "before": _short(example.original_name, 80),
                "after": _short(example.name, 80),
            }
        )
    _declare_issuer(sheet)
    return sheet


def _declare_issuer(sheet: Sheet) -> None:
    """The issuer of more than half the rows is the one the file declares (a ministry's export
    lists its own procedures and a few of other issuers); the others are cross-issuer rows."""
    named = [r for r in sheet.rows if r.ministry and not r.errors]
    if not named:
        return
    counts: dict[str, int] = {}
    spelled: dict[str, str] = {}
    for row in named:
        key = fold(row.ministry)
        counts[key] = counts.get(key, 0) + 1
        spelled.setdefault(key, row.ministry)
    key, count = max(counts.items(), key=lambda item: item[1])
    if count * 2 <= len(named):
        return
    sheet.declared_issuer = spelled[key]
    sheet.cross_issuer = [r for r in named if fold(r.ministry) != key]
