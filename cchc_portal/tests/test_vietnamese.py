import pytest

from cchc_portal.lib.vietnamese import clean_spaces, fold, upper


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tân Thạnh", "tan thanh"),
        ("ĐÀ NẴNG", "da nang"),
        ("Đặc khu Hoàng Sa", "dac khu hoang sa"),
        ("Xã Ch'ơm", "xa ch'om"),
        ("  Phường\u00a0 Hoà   Thuận ", "phuong hoa thuan"),
        # Decomposed input (as some keyboards and PDFs produce) folds the same way.
        ("Ta\u0302n Tha\u0323nh", "tan thanh"),
    ],
)
def test_it_folds_diacritics_and_case(text, expected):
    assert fold(text) == expected


def test_it_upper_cases_vietnamese():
    assert upper("Phường Tân Thạnh") == "PHƯỜNG TÂN THẠNH"
    assert upper("ủy ban nhân dân") == "ỦY BAN NHÂN DÂN"


def test_it_cleans_spaces():
    assert clean_spaces(" Sở\n Tư   pháp ") == "Sở Tư pháp"
