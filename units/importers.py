"""Reading unit lists: the files the state's unit registers are published in.

Three shapes are understood, detected from the content (not the file's name):

* the two-tier list in force since 1 July 2025 (QĐ 19/2025/QĐ-TTg), as compiled by
  github.com/thanglequoc/vietnamese-provinces-database: a JSON list of provinces with
  `Code`, `Name`, `FullName` and their `Wards` (communes with `Code`, `Name`, `FullName`,
  `ProvinceCode`);
* the three-tier GSO list used until 30 June 2025 (QĐ 124/2004/QĐ-TTg), as compiled by
  github.com/daohoangson/dvhcvn: exactly as it publishes `data/dvhcvn.json` (an object
  `{data: [...], data_date, generate_date, stats}`), or unwrapped — one province object (or a list
  of them) with `level1_id`, `name`, `type` and `level2s` → `level3s`;
* the QĐ 19/2025 list as a table (.xlsx or CSV, read by cchc_portal.lib.spreadsheets): a header
  row among the first rows with a code column ("Mã", "Mã ĐVHC", "Mã xã"…), a name column ("Tên",
  "Tên đơn vị", "Phường/Xã"…), and the kind ("Cấp", "Loại") and/or the province ("Mã tỉnh",
  "Tỉnh"…). A row with a 2-digit code is a province, a 5-digit one a commune under the province
  its "Mã tỉnh"/"Tỉnh" cell names, or under the province row above it. A name without its kind
  ("Ba Đình", Cấp "Phường") gets it in front ("Phường Ba Đình"). `SPREADSHEET_COLUMNS` lists the
  header names read.

Parsing only reads and validates; nothing here touches the database except to read the unit
kinds. Every problem is reported with where it is in the file, in Vietnamese.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cchc_portal.lib.spreadsheets import Grid, HeaderSpec, SpreadsheetError, check_size, file_kind, read_table
from cchc_portal.lib.vietnamese import clean_spaces, fold
from units.models import Level, Unit, UnitKind

FORMAT_2025 = "dvhc-2025"
FORMAT_PRE2025 = "dvhc-truoc-2025"
FORMAT_TABLE = "dvhc-2025-bang"
FORMAT_LABELS = {
    FORMAT_2025: "Danh mục ĐVHC hai cấp từ 01/7/2025 (QĐ 19/2025/QĐ-TTg)",
    FORMAT_PRE2025: "Danh mục ĐVHC ba cấp trước 01/7/2025 (QĐ 124/2004/QĐ-TTg)",
    FORMAT_TABLE: "Bảng danh mục ĐVHC từ 01/7/2025 (QĐ 19/2025/QĐ-TTg, Excel hoặc CSV)",
}
# What a user is told when a file is none of the shapes above.
FORMATS_HELP = gettext_lazy(
    "Các dạng được đọc: (1) JSON danh mục từ 01/7/2025 — danh sách tỉnh, mỗi tỉnh có “Wards”; "
    "(2) JSON danh mục ba cấp trước 01/7/2025 như daohoangson/dvhcvn công bố — đối tượng "
    "{data, data_date, …} hoặc tỉnh có “level1_id”, “level2s”, “level3s”; (3) bảng Excel (.xlsx) "
    "hoặc CSV danh mục theo QĐ 19/2025/QĐ-TTg có cột Mã, Tên và Cấp hoặc Tỉnh."
)
# Validity and legal basis a file's units get unless the importer is told otherwise.
FORMAT_DEFAULTS = {
    FORMAT_2025: {
        "valid_from": datetime.date(2025, 7, 1),
        "valid_to": None,
        "legal_basis": (
            "Nghị quyết 202/2025/QH15; các Nghị quyết 1654–1687/NQ-UBTVQH15 về sắp xếp ĐVHC cấp xã; "
            "QĐ 19/2025/QĐ-TTg ngày 30/6/2025 ban hành danh mục và mã số ĐVHC Việt Nam"
        ),
    },
    FORMAT_PRE2025: {
        "valid_from": None,
        "valid_to": datetime.date(2025, 6, 30),
        "legal_basis": (
            "QĐ 124/2004/QĐ-TTg (danh mục ĐVHC của Tổng cục Thống kê); chấm dứt hoạt động từ 01/7/2025 "
            "theo Nghị quyết 202/2025/QH15 và các Nghị quyết 1654–1687/NQ-UBTVQH15"
        ),
    },
}
FORMAT_DEFAULTS[FORMAT_TABLE] = FORMAT_DEFAULTS[FORMAT_2025]
# Official codes: province 2 digits, district 3, commune 5 (QĐ 124/2004, QĐ 19/2025).
CODE_DIGITS = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}
LEVEL_NAMES = {Level.PROVINCE: "tỉnh", Level.DISTRICT: "huyện", Level.COMMUNE: "xã"}


@dataclass
class UnitRecord:
    """One unit as the file describes it."""

    level: str
    code: str
    name: str
    full_name: str
    kind: UnitKind
    parent_key: tuple[str, str] | None
    where: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.level, self.code)


@dataclass
class ParsedUnitFile:
    file_format: str
    records: list[UnitRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sha256: str = ""
    notes: list[str] = field(default_factory=list)  # what the file says about itself (its data date)

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS.get(self.file_format, self.file_format)

    def count(self, level: str) -> int:
        return sum(1 for r in self.records if r.level == level)


class UnitFileError(Exception):
    """The file cannot be read at all (not JSON, unknown shape, too large)."""


class _KindResolver:
    """Finds a unit kind from the label a file gives ("Thành phố", "xã"…) and the level."""

    def __init__(self) -> None:
        self.by_level: dict[str, list[tuple[str, UnitKind]]] = {}
        for kind in UnitKind.objects.exclude(label=""):
            self.by_level.setdefault(kind.level, []).append((fold(kind.label), kind))
        for candidates in self.by_level.values():
            candidates.sort(key=lambda item: -len(item[0]))  # longest label wins

    def from_label(self, level: str, label: str) -> UnitKind | None:
        folded = fold(label)
        return next((k for lbl, k in self.by_level.get(level, []) if lbl == folded), None)

    def from_full_name(self, level: str, full_name: str) -> UnitKind | None:
        folded = fold(full_name)
        return next((k for lbl, k in self.by_level.get(level, []) if folded.startswith(lbl + " ")), None)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _strip_label(full_name: str, kind: UnitKind) -> str:
    """ "Phường Tân Thạnh" → "Tân Thạnh"."""
    words = len(kind.label.split())
    return " ".join(full_name.split()[words:]) or full_name


class _Reader:
    def __init__(self, parsed: ParsedUnitFile) -> None:
        self.parsed = parsed
        self.kinds = _KindResolver()
        self.seen: dict[tuple[str, str], str] = {}

    def error(self, where: str, message: str) -> None:
        self.parsed.errors.append(f"{where}: {message}")

    def text(self, obj: dict[str, Any], key: str, where: str) -> str | None:
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.error(where, _('thiếu trường "%(key)s"') % {"key": key})
            return None
        if not isinstance(value, str | int):
            self.error(where, _('trường "%(key)s" phải là chuỗi ký tự') % {"key": key})
            return None
        return clean_spaces(str(value))

    def add(
        self,
        level: str,
        code: str | None,
        full_name: str | None,
        kind: UnitKind | None,
        name: str | None,
        parent_key: tuple[str, str] | None,
        where: str,
    ) -> UnitRecord | None:
        if code is None or full_name is None:
            return None
        ok = True
        digits = CODE_DIGITS[level]
        if not re.fullmatch(rf"\d{{{digits}}}", code):
            self.error(
                where,
                _('mã "%(code)s" không hợp lệ: mã cấp %(level)s gồm đúng %(n)d chữ số')
                % {"code": code, "level": LEVEL_NAMES[level], "n": digits},
            )
            ok = False
        if kind is None:
            self.error(where, _('không xác định được loại đơn vị của "%(name)s"') % {"name": full_name})
            ok = False
        key = (level, code)
        if key in self.seen:
            self.error(where, _("mã %(code)s trùng với %(other)s") % {"code": code, "other": self.seen[key]})
            ok = False
        if not ok or kind is None:
            return None
        self.seen[key] = where
        full_name = _capitalise(full_name)
        name = name or _strip_label(full_name, kind)
        for text, model_field in ((name, "name"), (full_name, "full_name")):
            limit = Unit._meta.get_field(model_field).max_length
            if len(text) > limit:  # refused, never cut: the column would refuse it anyway
                self.error(
                    where,
                    _("tên “%(name)s” dài %(n)d ký tự; tối đa %(max)d")
                    % {"name": text[:40] + "…", "n": len(text), "max": limit},
                )
                return None
        record = UnitRecord(
            level=level,
            code=code,
            name=name,
            full_name=full_name,
            kind=kind,
            parent_key=parent_key,
            where=where,
        )
        self.parsed.records.append(record)
        return record

    # -- two-tier, since 1 July 2025 ---------------------------------------------------------------
    def read_2025(self, provinces: list[Any]) -> None:
        for i, province in enumerate(provinces, start=1):
            where = _("Tỉnh thứ %(i)d") % {"i": i}
            if not isinstance(province, dict):
                self.error(where, _("phải là một đối tượng JSON"))
                continue
            code = self.text(province, "Code", where)
            full_name = self.text(province, "FullName", where)
            if code:
                where = f"{where} (mã {code})"
            kind = self.kinds.from_full_name(Level.PROVINCE, full_name) if full_name else None
            name = clean_spaces(str(province.get("Name") or "")) or None
            record = self.add(Level.PROVINCE, code, full_name, kind, name, None, where)
            wards = province.get("Wards")
            if not isinstance(wards, list):
                self.error(where, _('thiếu danh sách "Wards" (các đơn vị cấp xã)'))
                continue
            for j, ward in enumerate(wards, start=1):
                ward_where = _("%(where)s, đơn vị cấp xã thứ %(j)d") % {"where": where, "j": j}
                if not isinstance(ward, dict):
                    self.error(ward_where, _("phải là một đối tượng JSON"))
                    continue
                ward_code = self.text(ward, "Code", ward_where)
                ward_full = self.text(ward, "FullName", ward_where)
                if ward_code:
                    ward_where = f"{ward_where} (mã {ward_code})"
                declared = ward.get("ProvinceCode")
                if code and declared is not None and str(declared).strip() != code:
                    self.error(
                        ward_where,
                        _('ProvinceCode "%(declared)s" không khớp với tỉnh chứa nó (%(code)s)')
                        % {"declared": declared, "code": code},
                    )
                    continue
                ward_kind = self.kinds.from_full_name(Level.COMMUNE, ward_full) if ward_full else None
                ward_name = clean_spaces(str(ward.get("Name") or "")) or None
                self.add(
                    Level.COMMUNE,
                    ward_code,
                    ward_full,
                    ward_kind,
                    ward_name,
                    record.key if record else None,
                    ward_where,
                )

    # -- three-tier, until 30 June 2025 ------------------------------------------------------------
    def read_pre2025(self, provinces: list[Any]) -> None:
        levels = [
            (Level.PROVINCE, "level1_id", "level2s", _("Tỉnh")),
            (Level.DISTRICT, "level2_id", "level3s", _("đơn vị cấp huyện")),
            (Level.COMMUNE, "level3_id", None, _("đơn vị cấp xã")),
        ]

        def walk(items: Any, depth: int, parent_key: tuple[str, str] | None, prefix: str) -> None:
            level, id_key, children_key, noun = levels[depth]
            if not isinstance(items, list):
                list_key = levels[depth - 1][2] if depth else "level1s"
                self.error(prefix or _("Tệp"), _('thiếu danh sách "%(key)s"') % {"key": list_key})
                return
            for i, item in enumerate(items, start=1):
                where = f"{prefix}, {noun} thứ {i}" if prefix else f"{noun} thứ {i}"
                if not isinstance(item, dict):
                    self.error(where, _("phải là một đối tượng JSON"))
                    continue
                code = self.text(item, id_key, where)
                full_name = self.text(item, "name", where)
                if code:
                    where = f"{where} (mã {code})"
                label = clean_spaces(str(item.get("type") or ""))
                kind = self.kinds.from_label(level, label) if label else None
                if kind is None and full_name:
                    kind = self.kinds.from_full_name(level, full_name)
                record = self.add(level, code, full_name, kind, None, parent_key, where)
                if children_key:
                    walk(item.get(children_key), depth + 1, record.key if record else None, where)

        walk(provinces, 0, None, "")


# --- the QĐ 19/2025 list as a table (.xlsx or CSV) --------------------------------------------------

# Folded header texts → field. "ma"/"ten" alone are the unit's own code and name; a column naming
# the province ("Mã tỉnh", "Tỉnh") is the parent.
SPREADSHEET_COLUMNS = {
    "code": ("ma", "ma dvhc", "ma don vi", "ma don vi hanh chinh", "ma so", "ma xa", "ma phuong xa", "ma px"),
    "name": (
        "ten",
        "ten dvhc",
        "ten don vi",
        "ten don vi hanh chinh",
        "ten xa",
        "ten phuong xa",
        "phuong xa",
        "xa phuong",
    ),
    "kind": ("cap", "loai", "cap hanh chinh", "loai hinh", "loai don vi", "cap dvhc"),
    "province_code": ("ma tinh", "ma tp", "ma tinh thanh pho", "ma tinh tp"),
    "province": ("tinh", "tinh thanh pho", "tinh tp", "ten tinh", "ten tinh thanh pho", "tinh thanh"),
}
_COLUMN_OF = {variant: name for name, variants in SPREADSHEET_COLUMNS.items() for variant in variants}
_PUNCTUATION = re.compile(r"[/,()\-–.:*]+")


def _unit_column(text: str) -> tuple[str, int] | None:
    key = clean_spaces(_PUNCTUATION.sub(" ", fold(text)))
    name = _COLUMN_OF.get(key)
    return (name, 0) if name else None


UNIT_TABLE_HEADER = HeaderSpec(
    match=_unit_column,
    required={"code", "name"},
    min_fields=3,
    describe=gettext_lazy("cột Mã, Tên và Cấp hoặc Tỉnh"),
    hint=FORMATS_HELP,
)
_PROVINCE_CODE = re.compile(r"^\d{2}$")
_COMMUNE_CODE = re.compile(r"^\d{5}$")


def _code_cell(value: object, *, commune: bool = False) -> str:
    """A code as text; Excel turns "00004" typed as a number into 4, so numbers are padded."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:05d}" if commune or value >= 100 else f"{value:02d}"
    if isinstance(value, float) and value.is_integer():
        return _code_cell(int(value), commune=commune)
    return clean_spaces(str(value or ""))


def _read_unit_table(reader: _Reader, grid: Grid, columns: dict[str, int], header_row: int) -> None:
    """Province rows (2-digit codes) and commune rows (5-digit codes) of a QĐ 19/2025 table."""
    provinces: dict[str, UnitRecord] = {}  # code → record
    by_name: dict[str, UnitRecord] = {}  # folded full name and name → record

    def cell(row: dict[int, object], name: str) -> object:
        column = columns.get(name)
        return row.get(column) if column else None

    def add_province(code: str, full_name: str, kind_text: str, where: str) -> UnitRecord | None:
        kind = _kind_from(reader, Level.PROVINCE, kind_text, full_name)
        if kind is not None and not fold(full_name).startswith(fold(kind.label) + " "):
            full_name = f"{kind.label} {full_name}"
        record = reader.add(Level.PROVINCE, code, full_name, kind, None, None, where)
        if record is not None:
            provinces[code] = record
            by_name[fold(record.full_name)] = by_name[fold(record.name)] = record
        return record

    last_province: UnitRecord | None = None
    for line in grid.rows:
        if line <= header_row:
            continue
        row = grid.cells.get(line, {})
        where = _("Dòng %(row)d") % {"row": line}
        for column, problem in grid.problems.get(line, {}).items():
            if column in columns.values():
                reader.error(where, problem.message)
        name = clean_spaces(str(cell(row, "name") or ""))
        kind_text = clean_spaces(str(cell(row, "kind") or ""))
        # A code typed as a number lost its zeros: its width comes from the kind (00070 is a ward).
        is_commune = _kind_from(reader, Level.COMMUNE, kind_text, name) is not None
        code = _code_cell(cell(row, "code"), commune=is_commune)
        if not code and not name:
            continue
        if not code or not name:
            reader.error(where, _("thiếu mã hoặc tên đơn vị"))
            continue
        if _PROVINCE_CODE.match(code):
            last_province = add_province(code, name, kind_text, where)
            continue
        if not _COMMUNE_CODE.match(code):
            reader.error(
                where,
                _('mã "%(code)s" không hợp lệ: mã tỉnh gồm 2 chữ số, mã xã gồm 5 chữ số') % {"code": code},
            )
            continue
        parent = last_province
        province_code = _code_cell(cell(row, "province_code"))
        province_name = clean_spaces(str(cell(row, "province") or ""))
        if province_code:
            parent = provinces.get(province_code) or (
                add_province(province_code, province_name, "", where) if province_name else None
            )
            if parent is None:
                reader.error(where, _("tỉnh mã %(code)s không có trong tệp") % {"code": province_code})
                continue
        elif province_name:
            parent = by_name.get(fold(province_name))
            if parent is None:
                reader.error(where, _("không tìm thấy tỉnh “%(name)s” trong tệp") % {"name": province_name})
                continue
        if parent is None:
            reader.error(where, _("không xác định được tỉnh của đơn vị (cần cột Mã tỉnh hoặc Tỉnh)"))
            continue
        kind = _kind_from(reader, Level.COMMUNE, kind_text, name)
        full_name = name
        if kind is not None and not fold(name).startswith(fold(kind.label) + " "):
            full_name = f"{kind.label} {name}"
        reader.add(Level.COMMUNE, code, full_name, kind, None, parent.key, where)


def _kind_from(reader: _Reader, level: str, kind_text: str, full_name: str) -> UnitKind | None:
    """The kind from the "Cấp" cell ("Phường", "Thành phố Trung ương"), else from the full name."""
    if kind_text:
        kind = reader.kinds.from_label(level, kind_text) or reader.kinds.from_full_name(
            level, kind_text + " x"
        )
        if kind is not None:
            return kind
    return reader.kinds.from_full_name(level, full_name)


# --- the entry point -------------------------------------------------------------------------------


def _not_a_unit_list(reason: str) -> UnitFileError:
    return UnitFileError(f"{reason} {FORMATS_HELP}")


def _looks_like_json(content: bytes) -> bool:
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith((b"{", b"["))


def read_unit_file(content: bytes, max_bytes: int | None = None, filename: str = "") -> ParsedUnitFile:
    """Parse a unit list; structural problems raise UnitFileError, row problems are collected."""
    try:
        check_size(len(content), max_bytes)
    except SpreadsheetError as exc:
        raise UnitFileError(str(exc)) from exc
    if not content.strip():
        raise UnitFileError(_("Tệp rỗng."))
    parsed = _read_json(content) if _looks_like_json(content) else _read_spreadsheet(content, filename)
    parsed.sha256 = hashlib.sha256(content).hexdigest()
    return parsed


def _read_spreadsheet(content: bytes, filename: str) -> ParsedUnitFile:
    try:
        file_kind(content, filename)
        table = read_table(content, filename, UNIT_TABLE_HEADER)
    except SpreadsheetError as exc:
        message = str(exc)
        if str(FORMATS_HELP) not in message:
            message = f"{message} {FORMATS_HELP}"
        raise UnitFileError(message) from exc
    parsed = ParsedUnitFile(FORMAT_TABLE)
    _read_unit_table(_Reader(parsed), table.grid, table.header.columns, table.header.row)
    if not parsed.records and not parsed.errors:
        raise UnitFileError(_("Tệp không có đơn vị nào dưới dòng tiêu đề."))
    return parsed


def _read_json(content: bytes) -> ParsedUnitFile:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnitFileError(
            _("Tệp JSON không ở dạng UTF-8 (byte thứ %(pos)d). Hãy lưu tệp với mã hóa UTF-8.")
            % {"pos": exc.start + 1}
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnitFileError(
            _("Tệp không phải JSON hợp lệ: dòng %(line)d, cột %(col)d (%(msg)s).")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from exc

    notes = []
    # daohoangson/dvhcvn publishes {data: [...], data_date: "01/03/2025", generate_date, stats}.
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        if data.get("data_date"):
            notes.append(
                _("Dữ liệu ngày %(date)s (theo tệp).") % {"date": clean_spaces(str(data["data_date"]))}
            )
        data = data["data"]
    if isinstance(data, dict) and "level1_id" in data:
        data = [data]
    if isinstance(data, list) and data and all(isinstance(p, dict) and "Wards" in p for p in data):
        parsed = ParsedUnitFile(FORMAT_2025)
        _Reader(parsed).read_2025(data)
    elif isinstance(data, list) and data and all(isinstance(p, dict) and "level1_id" in p for p in data):
        parsed = ParsedUnitFile(FORMAT_PRE2025)
        _Reader(parsed).read_pre2025(data)
    else:
        raise _not_a_unit_list(_("Không nhận ra cấu trúc tệp JSON."))
    parsed.notes = notes
    return parsed
