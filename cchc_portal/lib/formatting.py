"""Numbers, dates and times as Vietnamese offices write them: 3.000 tờ, 12,5%, 31/03/2026, 17:57.

The separators and patterns live in one place, the format module cchc_portal/formats/vi/formats.py
(DECIMAL_SEPARATOR ",", THOUSAND_SEPARATOR ".", SHORT_DATE_FORMAT "d/m/Y", …); these functions
only apply them through Django (django.utils.formats). They always use the Vietnamese formats,
whatever language is active, because what they write goes into documents, exports, e-mails and
messages that are Vietnamese by law (NĐ 30/2020). Times are local (settings.TIME_ZONE).

Templates use Django's own filters (`|date:"SHORT_DATE_FORMAT"`, `|floatformat`) or the
`number` / `percent` filters of cchc_portal/templatetags/formatting.py, which call these.
Years, ids and codes are not quantities: never pass them here (2026 is not "2.026").
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils import dateformat, formats, numberformat, timezone
from django.utils.translation import gettext as _

from cchc_portal.lib.bounds import shown

# Documents and exports are Vietnamese whatever language a request runs in.
LANGUAGE = "vi"

Number = int | float | Decimal
# Amounts are stored with two decimals (Target.value, TargetResult.achieved); averages are
# written to as many.
MAX_DECIMALS = 2


def _format(name: str) -> str:
    return formats.get_format(name, lang=LANGUAGE, use_l10n=True)


def _decimal(value: Number) -> Decimal:
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def number(value: Number | None, decimal_pos: int | None = None, *, grouping: bool = True) -> str:
    """ "3.000", "1.234,5", "12,5": thousands grouped with ".", decimals after ",".

    Without `decimal_pos`: rounded to at most MAX_DECIMALS places, without trailing zeros
    (Decimal("12.50") → "12,5", Decimal("3000.00") → "3.000", an average 33.3333 → "33,33");
    with it, rounded to exactly that many places. `grouping=False` for a value put back into an
    input field ("3000", "12,5"): the form reads "," as the decimal mark. None → "".
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("number() takes a quantity, not a bool")
    amount = _decimal(value)
    if decimal_pos is not None:
        # Rounded here: numberformat.format() would cut the digits off (46,69 → "46,6").
        amount = amount.quantize(Decimal(1).scaleb(-decimal_pos), rounding=ROUND_HALF_UP)
    else:
        amount = amount.quantize(Decimal(1).scaleb(-MAX_DECIMALS), rounding=ROUND_HALF_UP)
        whole = amount.to_integral_value()
        amount = whole.quantize(Decimal(1)) if amount == whole else amount.normalize()
    text = numberformat.format(
        amount,
        _format("DECIMAL_SEPARATOR"),
        decimal_pos=decimal_pos,
        grouping=_format("NUMBER_GROUPING"),
        thousand_sep=_format("THOUSAND_SEPARATOR"),
        force_grouping=grouping,
        # use_l10n=False so that USE_THOUSAND_SEPARATOR cannot group what must not be grouped.
        use_l10n=grouping,
    )
    return f"{text}"


def percent(value: Number | None, decimal_pos: int | None = 0) -> str:
    """ "46,7%", "100%" (no space before the sign, as amounts are written in plans). None → ""."""
    if value is None:
        return ""
    return f"{number(value, decimal_pos)}%"


MEGABYTE = 1024 * 1024


def megabytes(size: int) -> str:
    """A file size in MB, to a tenth, for "Tệp quá lớn (12,5 MB)": 13107200 → "12,5", 10485760 → "10"."""
    return number(round(Decimal(size) / MEGABYTE, 1))


def _local(value: datetime.date | datetime.datetime) -> datetime.date | datetime.datetime:
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _apply(value: datetime.date | datetime.datetime, format_name: str) -> str:
    return dateformat.format(_local(value), _format(format_name))


def short_date(value: datetime.date | datetime.datetime | None) -> str:
    """ "31/03/2026" (SHORT_DATE_FORMAT); a moment is first put in local time. None → ""."""
    return "" if value is None else _apply(value, "SHORT_DATE_FORMAT")


def short_datetime(value: datetime.datetime | None) -> str:
    """ "31/03/2026 17:57" (SHORT_DATETIME_FORMAT), in local time. None → ""."""
    return "" if value is None else _apply(value, "SHORT_DATETIME_FORMAT")


def time_of_day(value: datetime.datetime | datetime.time, *, seconds: bool = False) -> str:
    """ "17:57" (TIME_FORMAT), or "17:57:03", in local time."""
    pattern = _format("TIME_FORMAT") + (":s" if seconds else "")
    if isinstance(value, datetime.time):
        return dateformat.time_format(value, pattern)
    return dateformat.format(_local(value), pattern)


# --- numbers as people type them -------------------------------------------------------------------

# Thousands grouped with "." (or a space): a first group of one to three digits not starting with
# 0, then groups of exactly three, the same separator throughout.
_GROUPED = r"[1-9]\d{0,2}(?P<sep>[. \u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*"
_VIETNAMESE = re.compile(rf"(?P<sign>[+-]?)(?P<whole>{_GROUPED}|\d+)(?:,(?P<fraction>\d+))?")
# "12.5", "1.50": a point followed by one or two digits cannot be a thousands group.
_POINT = re.compile(r"(?P<sign>[+-]?)(?P<whole>\d+)\.(?P<fraction>\d{1,2})")
# Digits and separators only: meant as a number, written in a way that is not one rule.
_NUMBER_LIKE = re.compile(r"[+-]?[\d.,\s\u00a0\u202f]*\d[\d.,\s\u00a0\u202f]*")
# A refused text is quoted back at most this long (an input holds 30 characters).
QUOTED_MAX = 60


class NotANumber(ValueError):
    """A typed text that parse_number() refuses; `message` says why, in Vietnamese, quoting it."""

    def __init__(self, text: str, message: str) -> None:
        super().__init__(message)
        self.text = text
        self.message = message


def _refusal(text: str) -> NotANumber:
    if _NUMBER_LIKE.fullmatch(text):
        message = _(
            "“%(text)s” không rõ là số nào: dấu phẩy (,) đứng trước phần thập phân, dấu chấm (.) "
            "chỉ ngăn các nhóm đúng ba chữ số. Ví dụ: 1.234,5 hoặc 1500 hoặc 12,5."
        )
    else:
        message = _("“%(text)s” không phải là một số. Ví dụ: 1.234,5 hoặc 1500 hoặc 12,5.")
    return NotANumber(text, message % {"text": shown(text, QUOTED_MAX)})


def parse_number(text: str) -> Decimal:
    """The inverse of number(): "3.000" → 3000, "1.234,5" → 1234.5, "12,5" → 12.5.

    The one rule for every typed or imported number (surrounding whitespace is ignored):

    - "," is the decimal mark, at most once: "12,5", "0,125", "1.234,5";
    - "." groups thousands, and only in groups of exactly three digits after a first group of one
      to three ("1.500" = 1500, "1.234.567"); a space groups the same way ("1 500");
    - "." followed by one or two final digits, with no "," ("12.5", "1.50"), cannot be a
      thousands group: it is a decimal point typed on an English keyboard (12.5, 1.5);
    - anything else is refused as ambiguous, never guessed: "1,234.5" and "1.234.5" (which
      reading?), "1,5,0" (two decimal marks), "0.125" or "1234.567" (a group that is no group),
      "1.2345"; so are words, exponents ("1e5"), "NaN" and "Infinity".

    A leading "-" or "+" is read; the form field refuses a negative where the column does.
    Raises NotANumber, whose message quotes the text as typed (stripped) with the right form.
    """
    text = text.strip()
    found = _VIETNAMESE.fullmatch(text) or _POINT.fullmatch(text)
    if found is None:
        raise _refusal(text)
    whole = re.sub(r"\D", "", found["whole"])
    fraction = found["fraction"]
    return Decimal(f"{found['sign']}{whole}.{fraction}" if fraction else f"{found['sign']}{whole}")
