"""Reporting deadlines per level and per calendar (Nghị định 09/2019/NĐ-CP, domain.md §2).

A reporting rule gives two days of the period's last month:

* `subordinate_deadline_day` — the units implementing the plan (the communes of a city plan, the
  departments of a commune plan) send their reports to the plan's unit "chậm nhất" that day;
* `deadline_day` — the plan's unit sends its own report to its superior "chậm nhất" that day.

Data are cut off on the 14th. NĐ 09 Điều 8 khoản 5 asks for a deadline that leaves at least one
working day after the end of data collection and, for reports compiled level by level, a
deadline per level; it gives no separate number for the compiling time. We apply khoản 5 at each
level: the units need at least one working day after the cut-off, and the superior, whose data
collection ends with its units' deadline, at least MIN_COMPILE_DAYS = 1 working day after it.
(Two working days would refuse the usual "units on the 16th or 17th, superior on the 20th" in
most years, whenever a weekend falls between the two.)

A deadline on a weekend or a Vietnamese public holiday is kept as written ("keep") or moved to the
previous working day ("previous"), as the rule says. A rule is checked against the calendar of the
plan's year: every one of its deadlines must leave the units at least one working day after the
cut-off, and the superior MIN_COMPILE_DAYS working days after its units' deadline.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cchc_portal.lib.formatting import short_date
from cchc_portal.lib.workdays import CalendarDay, calendar_day, working_days
from plans.models import NonWorkingDay, PeriodType, ReportingRule

CUT_OFF_DAY = 14
MIN_DAYS_AFTER_CUT_OFF = 1  # working days, NĐ 09 Điều 8 khoản 5
MIN_COMPILE_DAYS = 1  # working days between the units' deadline and the superior's own (khoản 5 per level)

ROMAN = ("I", "II", "III", "IV")
LAST_MONTHS = {
    PeriodType.MONTHLY: tuple(range(1, 13)),
    PeriodType.QUARTERLY: (3, 6, 9, 12),
    PeriodType.HALF_YEAR: (6, 12),
    PeriodType.NINE_MONTHS: (9,),
    PeriodType.ANNUAL: (12,),
}


def period_name(kind: str, last_month: int) -> str:
    """ "quý I", "tháng 3", "6 tháng đầu năm"… of the period ending in `last_month`."""
    if kind == PeriodType.MONTHLY:
        return _("tháng %(m)d") % {"m": last_month}
    if kind == PeriodType.QUARTERLY:
        return _("quý %(q)s") % {"q": ROMAN[last_month // 3 - 1]}
    if kind == PeriodType.HALF_YEAR:
        return _("6 tháng đầu năm") if last_month == 6 else _("6 tháng cuối năm")
    if kind == PeriodType.NINE_MONTHS:
        return _("9 tháng")
    return _("năm")


@dataclass(frozen=True)
class Due:
    """One deadline of a rule in a year: the day written and the day it actually falls due."""

    period: str  # "quý I"
    written: CalendarDay
    date: datetime.date  # the written day, or the previous working day when the rule moves it

    @property
    def moved(self) -> bool:
        return self.date != self.written.date

    def warning(self, level: str) -> str:
        """ "Hạn báo cáo quý I gửi cấp trên: Thứ Bảy 20/03/2027 (ngày nghỉ cuối tuần); ngày làm
        việc liền trước là Thứ Sáu 19/03/2027." """
        reason = self.written.holiday or _("ngày nghỉ cuối tuần")
        before = calendar_day(self.written.previous_working_day)
        return _(
            "Hạn báo cáo %(period)s %(level)s: %(weekday)s %(date)s (%(reason)s); ngày làm việc liền "
            "trước là %(before_weekday)s %(before)s."
        ) % {
            "period": self.period,
            "level": level,
            "weekday": self.written.weekday_name,
            "date": short_date(self.written.date),
            "reason": reason,
            "before_weekday": before.weekday_name,
            "before": short_date(before.date),
        }


def due(year: int, kind: str, last_month: int, day: int, policy: str) -> Due:
    """The deadline `day` of the period of `kind` ending in `last_month` of `year`, under the
    rule's policy for non-working days."""
    written = calendar_day(datetime.date(year, last_month, day))
    moved = policy == NonWorkingDay.PREVIOUS and written.non_working
    return Due(
        period_name(kind, last_month), written, written.previous_working_day if moved else written.date
    )


def dues(year: int, kind: str, day: int, policy: str) -> list[Due]:
    """Every deadline of the year for periods of `kind`."""
    return [due(year, kind, month, day, policy) for month in LAST_MONTHS[PeriodType(kind)]]


def non_working(year: int, kind: str, day: int) -> list[Due]:
    """The deadlines of the year, as written, that fall on a weekend or a public holiday."""
    return [d for d in dues(year, kind, day, NonWorkingDay.KEEP) if d.written.non_working]


def warnings(year: int, rules: Iterable[ReportingRule]) -> list[str]:
    """For the rules that keep a deadline on a day off as written: each deadline of `year`, at
    either level, that falls on a weekend or a public holiday (the plan editor lists them and
    offers to move them to the previous working day)."""
    found = []
    for rule in rules:
        if rule.on_non_working_day != NonWorkingDay.KEEP:
            continue
        for level, day in (
            (_("của các đơn vị"), rule.subordinate_deadline_day),
            (_("gửi cấp trên"), rule.deadline_day),
        ):
            found += [d.warning(level) for d in non_working(year, rule.period_type, day)]
    return found


def rule_errors(year: int, kind: str, own_day: int, units_day: int, policy: str) -> dict[str, str]:
    """Why a rule cannot be kept for `year`, by field ({} when it can)."""
    if units_day >= own_day:
        return {
            "subordinate_deadline_day": _(
                "Hạn gửi của các đơn vị thực hiện (ngày %(units)d) phải trước hạn đơn vị chủ trì kế hoạch "
                "gửi cấp trên (ngày %(own)d), để còn thời gian tổng hợp."
            )
            % {"units": units_day, "own": own_day}
        }
    errors: dict[str, str] = {}
    for month in LAST_MONTHS[PeriodType(kind)]:
        cut_off = datetime.date(year, month, CUT_OFF_DAY)
        units = due(year, kind, month, units_day, policy).date
        own = due(year, kind, month, own_day, policy).date
        name = period_name(kind, month)
        if working_days(cut_off + datetime.timedelta(days=1), units) < MIN_DAYS_AFTER_CUT_OFF:
            errors.setdefault(
                "subordinate_deadline_day",
                _(
                    "Hạn báo cáo %(period)s của các đơn vị (%(date)s) không để lại ngày làm việc nào sau "
                    "ngày chốt số liệu %(cut)s; Nghị định 09/2019/NĐ-CP yêu cầu ít nhất 01 ngày làm việc."
                )
                % {"period": name, "date": short_date(units), "cut": short_date(cut_off)},
            )
        if working_days(units + datetime.timedelta(days=1), own) < MIN_COMPILE_DAYS:
            errors.setdefault(
                "deadline_day",
                _(
                    "Hạn báo cáo %(period)s gửi cấp trên (%(own)s) chỉ cách hạn của các đơn vị (%(units)s) "
                    "%(n)d ngày làm việc; cần ít nhất %(min)02d ngày làm việc để tổng hợp."
                )
                % {
                    "period": name,
                    "own": short_date(own),
                    "units": short_date(units),
                    "n": working_days(units + datetime.timedelta(days=1), own),
                    "min": MIN_COMPILE_DAYS,
                },
            )
    return errors
