"""Reporting periods and their cut-offs, as Nghị định 09/2019/NĐ-CP sets them (domain.md §2).

Every periodic report covers data from the 15th of one month to the 14th of another:

| kind | from | to |
|---|---|---|
| monthly (month m) | 15th of month m−1 | 14th of month m |
| quarterly (quarter q) | 15th of the month before the quarter | 14th of the quarter's last month |
| first half | 15/12 of the previous year | 14/6 |
| second half | 15/6 | 14/12 |
| nine months | 15/12 of the previous year | 14/9 |
| annual | 15/12 of the previous year | 14/12 |

So January's report and the first quarter's start in December of the previous year. A plan's
section V says which kinds are reported and by which day of the period's last month, per level
(plans.deadlines; CCHC reports: chậm nhất ngày 20). A shorter period that ends on the same day as
a longer one the plan also asks for is not asked separately: the second quarter is in the
6-month report, the fourth quarter and the second half in the annual report, the third quarter
in the 9-month report, March in the first quarter's report.

A period is written in URLs as its code: "2026-T03" (month), "2026-Q1", "2026-6T1" (first half),
"2026-6T2", "2026-9T", "2026-N" (year).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from cchc_portal.lib.formatting import short_date
from plans.deadlines import CUT_OFF_DAY, Due, due  # data to the 14th; the next period starts on the 15th
from plans.models import NonWorkingDay, PeriodType

# Longer periods first when two end on the same day: the longer one is the one reported.
SPAN = {
    PeriodType.MONTHLY: 1,
    PeriodType.QUARTERLY: 3,
    PeriodType.HALF_YEAR: 6,
    PeriodType.NINE_MONTHS: 9,
    PeriodType.ANNUAL: 12,
}
COUNT = {
    PeriodType.MONTHLY: 12,
    PeriodType.QUARTERLY: 4,
    PeriodType.HALF_YEAR: 2,
    PeriodType.NINE_MONTHS: 1,
    PeriodType.ANNUAL: 1,
}
# The usual CCHC rule: reports are due by the 20th of the period's last month (ReportingRule's default).
DEFAULT_DEADLINE_DAY = 20
ROMAN = ["I", "II", "III", "IV"]
CODE = re.compile(
    r"^(?P<year>\d{4})-(?:T(?P<month>\d{2})|Q(?P<quarter>[1-4])|6T(?P<half>[12])|(?P<nine>9T)|(?P<annual>N))$"
)


class PeriodError(ValueError):
    """A period that does not exist (a forged URL, a bad code)."""


def _month_start(year: int, month: int) -> datetime.date:
    """The 15th of the month before `month` (which may be in the previous year)."""
    if month == 1:
        return datetime.date(year - 1, 12, CUT_OFF_DAY + 1)
    return datetime.date(year, month - 1, CUT_OFF_DAY + 1)


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str  # a PeriodType value
    number: int = 1  # month 1–12, quarter 1–4, half 1–2; 1 for nine months and the year

    def __post_init__(self):
        if self.kind not in SPAN:
            raise PeriodError(f"unknown period kind {self.kind!r}")
        if not 1 <= self.number <= COUNT[self.kind]:
            raise PeriodError(f"{self.kind} has no number {self.number}")
        if not 2000 <= self.year <= 2100:
            raise PeriodError(f"year {self.year} out of range")

    # --- dates -----------------------------------------------------------------------------------

    @property
    def last_month(self) -> int:
        if self.kind == PeriodType.MONTHLY:
            return self.number
        if self.kind == PeriodType.QUARTERLY:
            return 3 * self.number
        if self.kind == PeriodType.HALF_YEAR:
            return 6 * self.number
        return 9 if self.kind == PeriodType.NINE_MONTHS else 12

    @property
    def first_month(self) -> int:
        """The first month whose 14th falls in the period (its data starts on the 15th before)."""
        if self.kind in (PeriodType.NINE_MONTHS, PeriodType.ANNUAL):
            return 1
        return self.last_month - SPAN[self.kind] + 1

    @property
    def start(self) -> datetime.date:
        return _month_start(self.year, self.first_month)

    @property
    def end(self) -> datetime.date:
        return datetime.date(self.year, self.last_month, CUT_OFF_DAY)

    def due(self, day: int, policy: str = NonWorkingDay.KEEP) -> Due:
        """The deadline `day` of the period's last month (at least one day after the cut-off,
        NĐ 09 Điều 8 khoản 5): the date written, whether it is a weekend or a public holiday, the
        previous working day, and the date it falls due under the rule's `policy`."""
        return due(self.year, self.kind, self.last_month, max(day, CUT_OFF_DAY + 1), policy)

    def deadline(self, day: int, policy: str = NonWorkingDay.KEEP) -> datetime.date:
        """The date by which the report is due ("chậm nhất ngày …": submitted that day is on time)."""
        return self.due(day, policy).date

    def closes(self, day: int, policy: str = NonWorkingDay.KEEP) -> datetime.date:
        """The entry window closes this many days after the deadline (REPORT_LATE_DAYS); until
        then a late report is still accepted, marked late. Afterwards only a reviewer reopens it."""
        return self.deadline(day, policy) + datetime.timedelta(days=settings.REPORT_LATE_DAYS)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def covers(self, other: Period) -> bool:
        """Whether `other` lies within this period (the quarters of a half, of a year)."""
        return self.start <= other.start and other.end <= self.end and other != self

    @property
    def is_cumulative(self) -> bool:
        return SPAN[self.kind] > 3

    # --- names -----------------------------------------------------------------------------------

    @property
    def code(self) -> str:
        suffix = {
            PeriodType.MONTHLY: f"T{self.number:02d}",
            PeriodType.QUARTERLY: f"Q{self.number}",
            PeriodType.HALF_YEAR: f"6T{self.number}",
            PeriodType.NINE_MONTHS: "9T",
            PeriodType.ANNUAL: "N",
        }[self.kind]
        return f"{self.year}-{suffix}"

    @classmethod
    def from_code(cls, code: str) -> Period:
        match = CODE.match(code or "")
        if not match:
            raise PeriodError(f"bad period code {code!r}")
        year = int(match["year"])
        if match["month"]:
            return cls(year, PeriodType.MONTHLY, int(match["month"]))
        if match["quarter"]:
            return cls(year, PeriodType.QUARTERLY, int(match["quarter"]))
        if match["half"]:
            return cls(year, PeriodType.HALF_YEAR, int(match["half"]))
        if match["nine"]:
            return cls(year, PeriodType.NINE_MONTHS)
        return cls(year, PeriodType.ANNUAL)

    @property
    def label(self) -> str:
        """ "Quý I năm 2026", "Tháng 3 năm 2026", "6 tháng đầu năm 2026"… as reports title them."""
        if self.kind == PeriodType.MONTHLY:
            return _("Tháng %(m)d năm %(y)d") % {"m": self.number, "y": self.year}
        if self.kind == PeriodType.QUARTERLY:
            return _("Quý %(q)s năm %(y)d") % {"q": ROMAN[self.number - 1], "y": self.year}
        if self.kind == PeriodType.HALF_YEAR:
            if self.number == 1:
                return _("6 tháng đầu năm %(y)d") % {"y": self.year}
            return _("6 tháng cuối năm %(y)d") % {"y": self.year}
        if self.kind == PeriodType.NINE_MONTHS:
            return _("9 tháng năm %(y)d") % {"y": self.year}
        return _("Năm %(y)d") % {"y": self.year}

    @property
    def range_label(self) -> str:
        return _("từ ngày %(start)s đến ngày %(end)s") % {
            "start": short_date(self.start),
            "end": short_date(self.end),
        }

    def __str__(self) -> str:
        return self.label


def periods_of(kind: str, year: int) -> list[Period]:
    return [Period(year, kind, n) for n in range(1, COUNT[kind] + 1)]


def required_periods(kinds: Iterable[str], year: int) -> list[Period]:
    """The periods to report in `year` for the kinds a plan asks for, in the order they end;
    a shorter period ending on the same day as a longer asked one is left out."""
    kinds = set(kinds)
    periods = [p for kind in kinds for p in periods_of(kind, year)]
    longest: dict[datetime.date, Period] = {}
    for period in periods:
        known = longest.get(period.end)
        if known is None or SPAN[period.kind] > SPAN[known.kind]:
            longest[period.end] = period
    return sorted(longest.values(), key=lambda p: (p.end, SPAN[p.kind]))


def covered_by(period: Period, periods: Iterable[Period]) -> list[Period]:
    """The periods among `periods` that lie within `period` (to prefill a cumulative report)."""
    return sorted((p for p in periods if period.covers(p)), key=lambda p: p.end)
