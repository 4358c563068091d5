"""Formatting rules of Nghị định 30/2020/NĐ-CP (PL I) shared by every official document."""

from __future__ import annotations

import datetime

# Điểm are lettered with the Vietnamese alphabet: a), b), c), d), đ), e), g), h), i), k)…
VIETNAMESE_LETTERS = "abcdđeghiklmnopqrstuvxy"
ROMAN = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
]


def roman(number: int) -> str:
    out = []
    for value, letters in ROMAN:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def letter(number: int) -> str:
    """1 → "a", 5 → "đ", 24 → "aa"."""
    n = len(VIETNAMESE_LETTERS)
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, n)
        out = VIETNAMESE_LETTERS[rest] + out
    return out


def number_line(number: int | None, symbol: str) -> str:
    """ "Số: 05/KH-UBND" (numbers below 10 padded); a document not yet issued leaves room for it."""
    if number is None:
        return f"Số:      /{symbol}"
    return f"Số: {number:02d}/{symbol}"


def date_words(day: datetime.date | None, year: int | None = None) -> str:
    """ "ngày 05 tháng 01 năm 2020", "ngày 24 tháng 3 năm 2022": days below 10 and months 1–2
    padded. Without a date: blanks to fill by hand."""
    if day is None:
        return f"ngày      tháng      năm {year or ''}".rstrip()
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_date_line(place: str, day: datetime.date | None, year: int | None = None) -> str:
    return f"{place}, {date_words(day, year)}"
