"""Tables exported to Excel: real dates, times and numbers, in local time, safe to open.

The one writer of the portal's exports. Values stay values, so that a reader can sort, filter
and add them up: an aware datetime becomes the local wall-clock time (Excel has no time zones;
17:57 in Hà Nội, not 10:57 UTC) shown as dd/mm/yyyy hh:mm; a date is shown as dd/mm/yyyy; a
Decimal or float is a number shown with thousands grouping and at most two decimals (Excel
draws the separators of the reader's regional settings: "3.000" and "12,5" on a Vietnamese
Windows). An int is left as it is (General): ints are also years, STT and codes, and 2026 must
never read "2.026". Text a spreadsheet would run as a formula is escaped.
"""

from __future__ import annotations

import datetime
import io
import math
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

# A cell starting with one of these would be run as a formula by a spreadsheet (CSV/Excel
# injection); such text is written with a leading apostrophe so that it is shown, not run.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
INTEGRAL_FORMAT = "#,##0"  # a whole Decimal: "#,##0.##" would end it with a bare separator ("3.000,")
DECIMAL_FORMAT = "#,##0.##"
# Excel refuses these in a sheet name and cuts names at 31 characters.
_SHEET_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
SHEET_NAME_LENGTH = 31


def safe_cell(value: Any) -> Any:
    """Text without the characters XML forbids, never read as a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def cell_value(value: Any) -> tuple[Any, str | None]:
    """The value to store and its number format (None: leave the cell General)."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)  # local time (settings.TIME_ZONE)
        return value, DATETIME_FORMAT
    if isinstance(value, datetime.date):
        return value, DATE_FORMAT
    if isinstance(value, Decimal | float):
        whole = math.isfinite(value) and value == int(value)
        return value, INTEGRAL_FORMAT if whole else DECIMAL_FORMAT
    return safe_cell(value), None


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet ("Sổ văn bản đi"), never the default "Sheet"."""
    cleaned = " ".join(_SHEET_FORBIDDEN.sub(" ", name).split())[:SHEET_NAME_LENGTH].strip()
    if not cleaned:
        raise ValueError(f"{name!r} is not a sheet name")
    return cleaned


def table_xlsx(
    *,
    sheet: str,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[int] = (),
) -> bytes:
    """One sheet named `sheet`: a bold title row, a header row, the rows (see cell_value)."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet_name(sheet)
    worksheet.append([safe_cell(title)])
    worksheet["A1"].font = Font(bold=True, size=13)
    worksheet.append([safe_cell(h) for h in header])
    for cell in worksheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row_index, row in enumerate(rows, start=3):
        for column, raw in enumerate(row, start=1):
            value, number_format = cell_value(raw)
            cell = worksheet.cell(row=row_index, column=column, value=value)
            if number_format is not None:
                cell.number_format = number_format
    for index, width in enumerate(widths, start=1):
        worksheet.column_dimensions[worksheet.cell(row=2, column=index).column_letter].width = width
    worksheet.freeze_panes = "A3"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
