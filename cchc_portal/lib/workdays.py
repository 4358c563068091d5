"""Vietnam's working calendar: weekends and public holidays (Tết included), from the `holidays`
package. Used to tell whether a reporting deadline falls on a day offices are closed and to count
the working days a unit has to report.

Compensatory working Saturdays (làm bù) are not modelled: a Saturday is never a working day.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

import holidays

# Thứ Hai … Chủ nhật, as dates are written in Vietnamese administrative texts.
WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


@cache
def _holidays(year: int) -> dict[datetime.date, str]:
    return dict(holidays.country_holidays("VN", years=year, language="vi"))


def holiday_name(day: datetime.date) -> str:
    """The public holiday's Vietnamese name ("Mùng hai Tết Nguyên Đán"), "" on an ordinary day."""
    return _holidays(day.year).get(day, "")


def is_weekend(day: datetime.date) -> bool:
    return day.weekday() >= 5


def is_working_day(day: datetime.date) -> bool:
    return not is_weekend(day) and not holiday_name(day)


def previous_working_day(day: datetime.date) -> datetime.date:
    """`day` itself when offices are open, else the last working day before it."""
    while not is_working_day(day):
        day -= datetime.timedelta(days=1)
    return day


def working_days(first: datetime.date, last: datetime.date) -> int:
    """The working days from `first` to `last`, both included (0 when last < first)."""
    count = (last - first).days + 1
    return sum(is_working_day(first + datetime.timedelta(days=n)) for n in range(max(count, 0)))


@dataclass(frozen=True)
class CalendarDay:
    """A date with what the calendar says about it."""

    date: datetime.date
    weekend: bool
    holiday: str  # the holiday's name, "" if none
    previous_working_day: datetime.date

    @property
    def non_working(self) -> bool:
        return self.weekend or bool(self.holiday)

    @property
    def weekday_name(self) -> str:
        return WEEKDAY_NAMES[self.date.weekday()]


def calendar_day(day: datetime.date) -> CalendarDay:
    return CalendarDay(day, is_weekend(day), holiday_name(day), previous_working_day(day))
