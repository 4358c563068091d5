"""Reading the spreadsheets people upload (.xlsx and CSV) as a grid of cells, for every import.

What every import needs before its own row rules: what kind of file it is (with a Vietnamese
refusal for what is not read), the size limits, a streaming read of each sheet (openpyxl in
read-only mode), merged ranges, the header row among the first rows, CSV text in its encoding and
delimiter, and one way to turn a cell into text (dates `31/03/2026`, numbers `12,5`).

The entry point is `read_table()`: bytes and a `HeaderSpec` in, a `Table` (the sheet as a `Grid`
and its `Header`) out, or `SpreadsheetError` with a message shown as is.

Formulas, one policy for every import. A formula cell reads as the value the spreadsheet program
calculated and saved with it (the cached value): that is what the user saw, and an STT column
"=A5+1" or a total is harmless. A formula saved without a value (the file was written by a
program that does not calculate; Excel and LibreOffice always save one) is refused with a message
naming the cell, rather than read as empty: an empty cell there would silently drop a target or a
procedure's name. A formula whose result is an empty text reads as empty (Excel saves that as an
empty text, told apart from no value), and an error value (#REF!, #N/A) is refused like a missing
value. Refusing every formula (the catalogue reader did) made people paste values over harmless
STT formulas; guessing per sheet (the task reader did: formulas counted only when *no* formula of
the sheet had a value) read a missing value as empty whenever another cell had one. CSV holds no
formulas: a text starting with "=" is what Excel would run on opening the file (CSV injection) and
is refused the same way, unless escaped with an apostrophe as our exports write it
(cchc_portal.lib.xlsx), which is removed.

No private openpyxl API: cells come from `ReadOnlyWorksheet.iter_rows()`; the merged ranges, which
a read-only sheet does not expose, are read from the sheet's XML in the zip (`_merged_ranges`).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import posixpath
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils.cell import get_column_letter, range_boundaries

from cchc_portal.lib.bounds import control_character, shown
from cchc_portal.lib.formatting import megabytes, short_date
from cchc_portal.lib.vietnamese import clean_spaces
from cchc_portal.lib.xlsx import FORMULA_PREFIXES

HEADER_SCAN_ROWS = 15  # the header row is looked for among the first rows (title rows above it)
# An .xlsx is a zip of XML, and openpyxl holds the cells it reads in memory: 100 MB of XML is
# several hundred thousand rows, beyond any table we import, and stops a "zip bomb" before openpyxl
# opens it. The sizes are those the zip declares; zipfile refuses to unpack more than declared.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024

# A compound file (OLE2): an Excel 97-2003 .xls, or an .xlsx encrypted with a password (Office
# wraps it in one). The full signature is 8 bytes; the first 4 are enough to recognise one, and
# such a file is refused either way: the check only picks the message.
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ENCRYPTED_MARKS = (b"EncryptedPackage", "EncryptedPackage".encode("utf-16-le"))
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")  # a file entry, an empty zip, a spanned one
_HTML_STARTS = (b"<!doctype", b"<html", b"<table", b"<?xml", b"<meta", b"<head", b"<body")
# Byte order marks, longest first (a UTF-32 LE mark starts like a UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DELIMITERS = (",", ";", "\t")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")  # zero-width spaces, BOM, soft hyphen
# <mergeCell ref="A1:G1"/>, with or without a namespace prefix. In a sheet's XML a "<" in text is
# always escaped, so this can only match the element itself.
_MERGE_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([A-Za-z0-9:$]+)[\"']")

Value = str | int | float | Decimal | bool | datetime.date | datetime.time | datetime.timedelta


class SpreadsheetError(Exception):
    """The file cannot be read at all; str(exc) is a Vietnamese message shown as is."""


# --- sizes and file kinds ----------------------------------------------------------------------


def check_size(size: int, limit: int | None) -> None:
    """Refuse a file over `limit` bytes (None: no limit)."""
    if limit is not None and size > limit:
        raise SpreadsheetError(
            _("Tệp quá lớn (%(size)s MB); giới hạn là %(limit)s MB.")
            % {"size": megabytes(size), "limit": megabytes(limit)}
        )


def file_kind(content: bytes, filename: str = "") -> str:
    """ "xlsx" or "csv", told from the bytes (not the name); anything else is refused here."""
    if not content.strip():
        raise SpreadsheetError(_("Tệp rỗng, không có dữ liệu."))
    if content.startswith(OLE_MAGIC):
        if any(mark in content for mark in _ENCRYPTED_MARKS):
            raise SpreadsheetError(
                _(
                    "Tệp Excel được bảo vệ bằng mật khẩu; hãy gỡ mật khẩu (Tệp → Thông tin → Bảo vệ sổ "
                    "làm việc), lưu lại dưới dạng .xlsx rồi tải lên lại."
                )
            )
        raise SpreadsheetError(
            _("Tệp Excel 97-2003 (.xls) chưa được hỗ trợ; hãy mở bằng Excel rồi lưu lại dưới dạng .xlsx.")
        )
    if content.startswith(_ZIP_MAGICS):
        return "xlsx"
    head = content[:8192]
    if head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n").lower().startswith(_HTML_STARTS):
        raise SpreadsheetError(
            _(
                "Tệp là trang HTML/XML (thường do phần mềm xuất ra với đuôi .xls), không phải bảng tính; "
                "hãy mở bằng Excel rồi lưu lại dưới dạng .xlsx."
            )
        )
    if content.startswith(tuple(bom for bom, _encoding in _BOMS)):
        return "csv"  # UTF-16 text has NUL bytes
    if b"\x00" in head or content.startswith(b"%PDF"):
        raise SpreadsheetError(_not_a_spreadsheet(filename))
    return "csv"


def _not_a_spreadsheet(filename: str) -> str:
    return _(
        "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv); tệp “%(name)s” không phải bảng tính Excel (.xlsx) hay tệp CSV."
    ) % {"name": filename or "?"}


def _unreadable_xlsx() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "Không đọc được tệp Excel: tệp bị hỏng hoặc không phải tệp .xlsx. "
            "Hãy mở tệp bằng Excel rồi lưu lại dưới dạng .xlsx."
        )
    )


# --- cells as text -------------------------------------------------------------------------------


def date_text(day: datetime.date) -> str:
    """ "31/03/2026": the one way dates are written back as text (formatting.short_date)."""
    return short_date(day)


def number_text(value: int | float | Decimal) -> str:
    """ "12", "12,5", "0,3" (not 0.30000000000000004): Vietnamese decimal comma, no float noise.

    Floats are rounded to 15 significant digits, as Excel shows them.
    """
    if isinstance(value, float):
        value = Decimal(format(value, ".15g"))
    if not isinstance(value, Decimal) or not value.is_finite():
        return str(value)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}".replace(".", ",")


def cell_text(value: Any) -> str:
    """A cell's value as text, the way it is shown: dates dd/mm/yyyy, numbers with a decimal comma."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, datetime.datetime):
        return date_text(value.date())
    if isinstance(value, datetime.date):
        return date_text(value)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, int | float | Decimal):
        return number_text(value)
    return str(value)


def _clean(text: str) -> str:
    """NFC, invisible characters removed, outer whitespace stripped; line breaks inside are kept."""
    return unicodedata.normalize("NFC", _INVISIBLE.sub("", text)).strip()


def _unescape(text: str) -> str:
    """ "'=abc" → "=abc": the apostrophe our exports put before a formula-like text."""
    if len(text) > 1 and text[0] == "'" and text.startswith(FORMULA_PREFIXES, 1):
        return text[1:]
    return text


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _no_value_message(row: int, column: int, formula: str) -> str:
    return _(
        "ô %(cell)s có công thức (%(formula)s) nhưng tệp không lưu kết quả; hãy mở tệp bằng Excel "
        "rồi lưu lại, hoặc dán giá trị (Dán đặc biệt → Giá trị)."
    ) % {"cell": f"{get_column_letter(column)}{row}", "formula": _short(formula, 40)}


def _error_message(row: int, column: int, error: str) -> str:
    return _("ô %(cell)s báo lỗi Excel (%(error)s); hãy sửa ô này.") % {
        "cell": f"{get_column_letter(column)}{row}",
        "error": _short(error, 20),
    }


def _formula_text_message(row: int, column: int, text: str) -> str:
    return _(
        "ô %(cell)s bắt đầu bằng dấu = như một công thức (%(text)s); hãy dán giá trị, "
        "hoặc thêm dấu ' ở đầu nếu đó là chữ."
    ) % {"cell": f"{get_column_letter(column)}{row}", "text": _short(text, 40)}


# --- the grid ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A cell that cannot be read: its text as it stands in the file, and why (Vietnamese)."""

    text: str
    message: str


@dataclass(frozen=True)
class Merge:
    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass
class Grid:
    """One sheet's non-empty cells, 1-based row → column → value.

    Values are str (NFC, invisible characters removed, stripped, never empty), int, float,
    Decimal, bool, date/datetime/time/timedelta; a number formatted as a percentage is the text
    Excel shows ("100%"). A CSV's rows are its records (a quoted cell may span lines), as Excel
    numbers them when it opens the file.
    """

    name: str
    cells: dict[int, dict[int, Value]] = field(default_factory=dict)
    problems: dict[int, dict[int, Problem]] = field(default_factory=dict)
    merges: list[Merge] = field(default_factory=list)  # every merged range, as in the file

    @property
    def rows(self) -> list[int]:
        """The rows with a value or a problem, in order."""
        return sorted(self.cells.keys() | self.problems.keys())

    def text(self, row: int, column: int) -> str:
        return cell_text(self.cells.get(row, {}).get(column))

    def fill_down(self, from_row: int = 1) -> dict[int, dict[int, Value]]:
        """What vertically merged ranges mean below their first row: row → column → value.

        A range merged over several rows keeps its value in its top-left cell only; every row of
        the range means that value ("Chủ trì" merged over three tasks). Ranges starting above
        `from_row` are left out (title rows, the header), and so are horizontal merges: a title
        or section row spread across the table keeps its text in its first column only.
        """
        last = max(self.rows, default=0)
        fills: dict[int, dict[int, Value]] = {}
        for merge in self.merges:
            if merge.min_row < from_row or merge.max_row <= merge.min_row:
                continue
            value = self.cells.get(merge.min_row, {}).get(merge.min_col)
            if value is None:
                continue
            for row in range(merge.min_row + 1, min(merge.max_row, last) + 1):
                fills.setdefault(row, {})[merge.min_col] = value
        return fills

    def _put(self, row: int, column: int, value: Value) -> None:
        self.cells.setdefault(row, {})[column] = value

    def _problem(self, row: int, column: int, text: str, message: str) -> None:
        self.problems.setdefault(row, {})[column] = Problem(text, message)


# --- the header ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderSpec:
    """What the caller's header looks like.

    `match`: a header cell's text → (field, priority) or None; of two columns for one field the
    lower priority wins, then the first. A header row has every `required` field and at least
    `min_fields` fields. `describe` names the required columns in the refusal ('cột "Nội dung
    nhiệm vụ"'); `hint`, if any, follows it (the names that are recognised).
    """

    match: Callable[[str], tuple[str, int] | None]
    required: Collection[str]
    describe: str
    min_fields: int = 0
    hint: str = ""
    scan_rows: int = HEADER_SCAN_ROWS


@dataclass
class Header:
    row: int
    columns: dict[str, int]  # field → column (1-based)
    labels: dict[str, str]  # field → the header text as written (whitespace collapsed)


def find_header(grid: Grid, spec: HeaderSpec) -> Header | None:
    """The first of the first `spec.scan_rows` rows that has the required columns."""
    for row in sorted(r for r in grid.cells if r <= spec.scan_rows):
        best: dict[str, tuple[int, int, str]] = {}
        for column, value in sorted(grid.cells[row].items()):
            if not isinstance(value, str):
                continue
            found = spec.match(value)
            if found is None:
                continue
            name, priority = found
            if name not in best or priority < best[name][0]:
                best[name] = (priority, column, clean_spaces(value))
        if set(spec.required) <= best.keys() and len(best) >= spec.min_fields:
            return Header(
                row,
                {name: column for name, (_p, column, _l) in best.items()},
                {name: label for name, (_p, _c, label) in best.items()},
            )
    return None


def _no_header(spec: HeaderSpec, sheets: list[str]) -> SpreadsheetError:
    where = ""
    if sheets:
        where = _(" (đã xem các trang %(names)s)") % {"names": ", ".join(f"“{name}”" for name in sheets)}
    message = _("Không tìm thấy dòng tiêu đề có %(columns)s trong %(rows)d dòng đầu%(where)s.") % {
        "columns": spec.describe,
        "rows": spec.scan_rows,
        "where": where,
    }
    return SpreadsheetError(f"{message} {spec.hint}" if spec.hint else message)


def _no_data() -> SpreadsheetError:
    return SpreadsheetError(_("Tệp không có dữ liệu."))


# --- .xlsx ---------------------------------------------------------------------------------------


def _open_zip(content: bytes, max_unpacked: int) -> dict[str, str]:
    """Check the zip before openpyxl opens it; returns sheet name → its XML part in the zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            unpacked = sum(info.file_size for info in infos)
            if "xl/workbook.xml" not in names:
                mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
                if b"opendocument.spreadsheet" in mimetype:
                    raise SpreadsheetError(
                        _("Tệp OpenDocument (.ods) chưa được hỗ trợ; hãy mở rồi lưu lại dưới dạng .xlsx.")
                    )
                raise SpreadsheetError(
                    _(
                        "Không đọc được tệp Excel: tệp nén này không phải bảng tính Excel (.xlsx) "
                        "(không có xl/workbook.xml). Hãy chọn tệp .xlsx hoặc .csv."
                    )
                )
            if unpacked > max_unpacked:
                raise SpreadsheetError(
                    _("Tệp Excel khi giải nén quá lớn (%(size)s MB); giới hạn là %(limit)s MB.")
                    % {"size": megabytes(unpacked), "limit": megabytes(max_unpacked)}
                )
            return _sheet_parts(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable_xlsx() from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → XML part, from xl/workbook.xml and its relationships; {} if unreadable (the
    merged ranges are then unknown, the cells are still read)."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return {}
    targets = {rel.get("Id"): rel.get("Target", "") for rel in relations if _local(rel.tag) == "Relationship"}
    parts = {}
    for sheet in workbook.iter():
        if _local(sheet.tag) != "sheet":
            continue
        rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rid)
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            parts[sheet.get("name", "")] = path
    return parts


def _merged_ranges(content: bytes, part: str | None) -> list[Merge]:
    """The merged ranges of a sheet, from its XML (<mergeCells> follows the cells).

    openpyxl's read-only sheets do not expose them; a full load would (twice as slow, all cells in
    memory) and so would its private sheet parser. The part is scanned in chunks for <mergeCell>
    elements: a few hundredths of a second for tens of thousands of rows.
    """
    if not part:
        return []
    refs: list[bytes] = []
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive, archive.open(part) as stream:
            tail = b""
            while chunk := stream.read(1 << 20):
                buffer = tail + chunk
                cut = buffer.rfind(b"<")
                cut = len(buffer) if cut < 0 else cut
                refs += _MERGE_CELL.findall(buffer, 0, cut)
                tail = buffer[cut:]
            refs += _MERGE_CELL.findall(tail)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return []
    merges = []
    for ref in refs:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii").replace("$", ""))
        except (ValueError, TypeError):
            continue
        if None not in (min_col, min_row, max_col, max_row):
            merges.append(Merge(min_row, min_col, max_row, max_col))
    return merges


def _load(content: bytes, *, data_only: bool) -> Any:
    # openpyxl warns about what it ignores (data validation, conditional formatting…): noise for
    # the user, and errors under the test settings.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)


class _Workbook:
    """A workbook read sheet by sheet; formulas are resolved from a second, values-only reading
    that is opened only if a sheet has formulas."""

    def __init__(self, content: bytes, max_unpacked: int) -> None:
        self.content = content
        self.parts = _open_zip(content, max_unpacked)
        self.book = _load(content, data_only=False)
        self.values: Any = None  # the data_only reading, when needed

    def close(self) -> None:
        self.book.close()
        if self.values is not None:
            self.values.close()

    def sheets(self) -> list[Any]:
        """Visible sheets first, the one last looked at first of all: a hidden sheet is usually a
        lookup list or an old copy."""
        active = self.book.active
        return sorted(self.book.worksheets, key=lambda ws: (ws.sheet_state != "visible", ws is not active))

    def grid(self, ws: Any, max_row: int | None = None) -> Grid:
        grid = Grid(ws.title)
        formulas: dict[tuple[int, int], str] = {}
        # Without its declared dimensions a read-only sheet yields only the cells the file has:
        # re-typed spreadsheets are often "used" down to row 1,048,576.
        ws.reset_dimensions()
        for row in ws.iter_rows(max_row=max_row):
            for cell in row:
                value = cell.value
                if value is None:
                    continue
                r, c = cell.row, cell.column
                if cell.data_type == "f":
                    formulas[r, c] = getattr(value, "text", None) or str(value)  # ArrayFormula
                elif cell.data_type == "e":
                    grid._problem(r, c, str(value), _error_message(r, c, str(value)))
                else:
                    _put(grid, r, c, value, cell)
        if formulas:
            self.resolve(ws.title, grid, formulas)
        grid.merges = _merged_ranges(self.content, self.parts.get(ws.title)) if max_row is None else []
        return grid

    def resolve(self, title: str, grid: Grid, formulas: dict[tuple[int, int], str]) -> None:
        """Formula cells → the values saved with them (see the module docstring)."""
        if self.values is None:
            self.values = _load(self.content, data_only=True)
        ws = self.values[title]
        ws.reset_dimensions()
        rows = [r for r, _c in formulas]
        columns = [c for _r, c in formulas]
        for row in ws.iter_rows(min_row=min(rows), max_row=max(rows), max_col=max(columns)):
            for cell in row:
                formula = formulas.get((getattr(cell, "row", None), getattr(cell, "column", None)))
                if formula is None:
                    continue
                r, c = cell.row, cell.column
                if cell.value is None:
                    # An empty text result is saved as a text ("str") with no value; a formula
                    # saved without any result has the default numeric type.
                    if cell.data_type not in ("s", "str"):
                        grid._problem(r, c, formula, _no_value_message(r, c, formula))
                elif cell.data_type == "e":
                    grid._problem(r, c, str(cell.value), _error_message(r, c, str(cell.value)))
                else:
                    _put(grid, r, c, cell.value, cell)


def _control_message(row: int, column: int, character: str) -> str:
    return _(
        "ô %(cell)s chứa ký tự điều khiển không hiển thị được (%(char)s), thường do dán từ phần mềm "
        "khác; hãy xóa ký tự đó."
    ) % {"cell": f"{get_column_letter(column)}{row}", "char": character}


def _put_text(grid: Grid, row: int, column: int, text: str) -> None:
    """A cell's text, or a problem if it holds a control character (PostgreSQL refuses NUL;
    the others break documents). Line breaks and tabs inside a cell are text."""
    character = control_character(text, multiline=True)
    if character:
        grid._problem(row, column, shown(text, 40), _control_message(row, column, character))
    else:
        grid._put(row, column, text)


def _put(grid: Grid, row: int, column: int, value: Any, cell: Any) -> None:
    if isinstance(value, str):
        text = _unescape(_clean(value))
        if text:
            _put_text(grid, row, column, text)
    elif isinstance(value, int | float) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        # A cell formatted as a percentage stores 1 for 100 %.
        grid._put(row, column, number_text(Decimal(format(value, ".15g")) * 100) + "%")
    else:
        grid._put(row, column, value)


# --- CSV -----------------------------------------------------------------------------------------


def decode_text(content: bytes) -> str:
    """A CSV's text: UTF-8 with or without BOM, UTF-16 or UTF-32 with BOM ("Unicode Text" from
    Excel). No guessing of legacy code pages: a Windows-1258 file read as anything else would
    silently garble Vietnamese, so it is refused with the way to save it right."""
    encoding = next((name for bom, name in _BOMS if content.startswith(bom)), "utf-8")
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            _(
                "Tệp CSV không ở dạng UTF-8 (chữ tiếng Việt sẽ bị lỗi); trong Excel hãy chọn Lưu thành "
                "“CSV UTF-8 (Comma delimited)” rồi tải lên lại, hoặc gửi thẳng tệp .xlsx."
            )
        ) from exc


def csv_grid(text: str, delimiter: str, name: str, max_rows: int | None = None) -> Grid:
    grid = Grid(name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    row = 0
    while max_rows is None or row < max_rows:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SpreadsheetError(
                _("Tệp CSV không đúng định dạng ở dòng %(row)d (%(error)s).") % {"row": row + 1, "error": exc}
            ) from exc
        row += 1
        for column, raw in enumerate(record, start=1):
            text = _clean(raw)
            if not text:
                continue
            if len(text) > 1 and text.startswith("="):
                grid._problem(row, column, text, _formula_text_message(row, column, text))
            else:
                _put_text(grid, row, column, _unescape(text))
    return grid


def _delimiters(text: str) -> list[str]:
    """The sniffed delimiter first, then the others."""
    sample = "\n".join(text[:65536].splitlines()[:30])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = _DELIMITERS[0]
    return list(dict.fromkeys([sniffed, *_DELIMITERS]))


# --- the entry point -----------------------------------------------------------------------------


@dataclass
class Table:
    kind: str  # "xlsx" or "csv"
    grid: Grid
    header: Header
    others: list[str] = field(default_factory=list)  # later sheets with a header too, not read


def read_table(
    content: bytes,
    filename: str,
    spec: HeaderSpec,
    *,
    max_bytes: int | None = None,
) -> Table:
    """Read the table of an .xlsx or CSV file: the first sheet with a header row (visible sheets
    first), or for CSV the delimiter that splits the header into the most known columns."""
    check_size(len(content), max_bytes)
    if file_kind(content, filename) == "xlsx":
        return _read_xlsx(content, spec, MAX_UNPACKED_BYTES)
    return _read_csv(content, filename, spec)


def _read_xlsx(content: bytes, spec: HeaderSpec, max_unpacked: int) -> Table:
    try:
        workbook = _Workbook(content, max_unpacked)
    except SpreadsheetError:
        raise
    except Exception as exc:  # openpyxl raises KeyError, InvalidFileException, XML errors… on a damaged file
        raise _unreadable_xlsx() from exc
    try:
        return _first_table(workbook, spec)
    except SpreadsheetError:
        raise
    except Exception as exc:
        raise _unreadable_xlsx() from exc
    finally:
        workbook.close()


def _first_table(workbook: _Workbook, spec: HeaderSpec) -> Table:
    found: Table | None = None
    names: list[str] = []
    has_data = False
    for ws in workbook.sheets():
        names.append(ws.title)
        # The first rows only, until a sheet has the header: then that sheet is read whole.
        top = workbook.grid(ws, max_row=spec.scan_rows)
        has_data = has_data or bool(top.rows)
        if find_header(top, spec) is None:
            continue
        if found is not None:
            found.others.append(ws.title)
            continue
        grid = workbook.grid(ws)
        header = find_header(grid, spec)
        assert header is not None  # the same first rows
        found = Table("xlsx", grid, header)
    if found is not None:
        return found
    if not has_data:
        raise _no_data()
    raise _no_header(spec, names)


def _read_csv(content: bytes, filename: str, spec: HeaderSpec) -> Table:
    text = decode_text(content)
    name = re.split(r"[\\/]", filename or "")[-1] or "CSV"
    best: tuple[int, str] | None = None
    for delimiter in _delimiters(text):
        header = find_header(csv_grid(text, delimiter, name, max_rows=spec.scan_rows), spec)
        if header is not None and (best is None or len(header.columns) > best[0]):
            best = (len(header.columns), delimiter)
    if best is None:
        if not text.strip(" \t\r\n,;\ufeff"):
            raise _no_data()
        raise _no_header(spec, [])
    grid = csv_grid(text, best[1], name)
    header = find_header(grid, spec)
    assert header is not None  # the same first records
    return Table("csv", grid, header)
