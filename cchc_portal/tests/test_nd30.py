import datetime

import pytest

from cchc_portal.lib.nd30 import letter, number_line, place_date_line, roman


@pytest.mark.parametrize(("n", "expected"), [(1, "I"), (4, "IV"), (5, "V"), (9, "IX"), (14, "XIV")])
def test_roman(n, expected):
    assert roman(n) == expected


def test_letters_follow_the_vietnamese_alphabet():
    assert [letter(i) for i in range(1, 11)] == ["a", "b", "c", "d", "đ", "e", "g", "h", "i", "k"]
    assert letter(24) == "aa"


def test_numbers_below_ten_are_padded():
    assert number_line(5, "KH-UBND") == "Số: 05/KH-UBND"
    assert number_line(71, "KH-UBND") == "Số: 71/KH-UBND"
    assert number_line(None, "KH-UBND") == "Số:      /KH-UBND"


def test_date_line_pads_days_below_ten_and_january_february():
    assert place_date_line("Hà Nội", datetime.date(2020, 1, 5)) == "Hà Nội, ngày 05 tháng 01 năm 2020"
    assert place_date_line("Tam Kỳ", datetime.date(2022, 3, 24)) == "Tam Kỳ, ngày 24 tháng 3 năm 2022"
    assert place_date_line("Tam Kỳ", datetime.date(2022, 12, 1)) == "Tam Kỳ, ngày 01 tháng 12 năm 2022"
    assert place_date_line("Tam Kỳ", None, 2026) == "Tam Kỳ, ngày      tháng      năm 2026"
