"""Period arithmetic against NĐ 09/2019 (domain.md §2), across year boundaries."""

from __future__ import annotations

import datetime
import itertools

import pytest

from plans.models import PeriodType
from reports.periods import Period, PeriodError, covered_by, required_periods

D = datetime.date
M, Q, H, N9, Y = (
    PeriodType.MONTHLY,
    PeriodType.QUARTERLY,
    PeriodType.HALF_YEAR,
    PeriodType.NINE_MONTHS,
    PeriodType.ANNUAL,
)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (Period(2026, M, 1), D(2025, 12, 15), D(2026, 1, 14)),  # January starts in December
        (Period(2026, M, 2), D(2026, 1, 15), D(2026, 2, 14)),
        (Period(2026, M, 3), D(2026, 2, 15), D(2026, 3, 14)),
        (Period(2026, M, 12), D(2026, 11, 15), D(2026, 12, 14)),
        (Period(2026, Q, 1), D(2025, 12, 15), D(2026, 3, 14)),
        (Period(2026, Q, 2), D(2026, 3, 15), D(2026, 6, 14)),
        (Period(2026, Q, 3), D(2026, 6, 15), D(2026, 9, 14)),  # BNV 581: Q3 15/6 → 14/9
        (Period(2026, Q, 4), D(2026, 9, 15), D(2026, 12, 14)),
        (Period(2026, H, 1), D(2025, 12, 15), D(2026, 6, 14)),
        (Period(2026, H, 2), D(2026, 6, 15), D(2026, 12, 14)),
        (Period(2026, N9), D(2025, 12, 15), D(2026, 9, 14)),
        (Period(2026, Y), D(2025, 12, 15), D(2026, 12, 14)),
        (Period(2025, Y), D(2024, 12, 15), D(2025, 12, 14)),
        (Period(2024, M, 2), D(2024, 1, 15), D(2024, 2, 14)),  # leap year changes nothing
    ],
)
def test_cut_offs(period, start, end):
    assert (period.start, period.end) == (start, end)
    assert period.contains(start) and period.contains(end)
    assert not period.contains(start - datetime.timedelta(days=1))
    assert not period.contains(end + datetime.timedelta(days=1))


@pytest.mark.parametrize("kind", [M, Q, H])
def test_consecutive_periods_tile_the_year_without_gap_or_overlap(kind):
    from reports.periods import periods_of

    periods = periods_of(kind, 2025) + periods_of(kind, 2026)
    for before, after in itertools.pairwise(periods):
        assert after.start == before.end + datetime.timedelta(days=1)


def test_deadlines_are_in_the_last_month_and_after_the_cut_off():
    assert Period(2026, Q, 1).deadline(20) == D(2026, 3, 20)
    assert Period(2026, H, 1).deadline(20) == D(2026, 6, 20)
    assert Period(2026, Y).deadline(20) == D(2026, 12, 20)
    assert Period(2026, M, 1).deadline(18) == D(2026, 1, 18)
    # A deadline on or before the cut-off is moved to the day after it (NĐ 09 Điều 8 k5).
    assert Period(2026, Q, 1).deadline(10) == D(2026, 3, 15)


def test_late_window(settings):
    settings.REPORT_LATE_DAYS = 30
    assert Period(2026, Q, 1).closes(20) == D(2026, 4, 19)


def test_quarters_ending_a_half_or_a_year_are_not_asked_twice():
    # CCHC: quarterly, 6-month and annual (BNV 581).
    periods = required_periods([Q, H, Y], 2026)
    assert [p.label for p in periods] == [
        "Quý I năm 2026",
        "6 tháng đầu năm 2026",
        "Quý III năm 2026",
        "Năm 2026",
    ]
    # The seed plan also asks monthly: March, June, September and December are in the longer ones.
    monthly = required_periods([M, Q, H, Y], 2026)
    months = [p.number for p in monthly if p.kind == M]
    assert months == [1, 2, 4, 5, 7, 8, 10, 11]
    assert len(monthly) == 12
    assert [p.kind for p in required_periods([Q, N9], 2026)] == [Q, Q, N9, Q]
    assert required_periods([], 2026) == []


def test_codes_round_trip_and_forged_codes_are_refused():
    for period in [*required_periods([M, Q, H, N9, Y], 2026), Period(2026, Q, 4), Period(2026, H, 2)]:
        assert Period.from_code(period.code) == period
    assert Period(2026, M, 3).code == "2026-T03"
    for bad in ["", "2026", "2026-Q5", "2026-T13", "2026-T00", "1999-N", "2026-6T3", "2026-q1", "x-N"]:
        with pytest.raises(PeriodError):
            Period.from_code(bad)


def test_cumulative_periods_are_covered_by_their_quarters():
    quarters = [Period(2026, Q, n) for n in range(1, 5)]
    assert covered_by(Period(2026, H, 1), quarters) == quarters[:2]
    assert covered_by(Period(2026, Y), quarters) == quarters
    assert covered_by(Period(2026, N9), quarters) == quarters[:3]
    assert Period(2026, Y).is_cumulative and not Period(2026, Q, 1).is_cumulative


def test_labels():
    assert Period(2026, M, 3).label == "Tháng 3 năm 2026"
    assert Period(2026, Q, 3).label == "Quý III năm 2026"
    assert Period(2026, H, 2).label == "6 tháng cuối năm 2026"
    assert Period(2026, N9).label == "9 tháng năm 2026"
    assert Period(2026, Q, 1).range_label == "từ ngày 15/12/2025 đến ngày 14/03/2026"
