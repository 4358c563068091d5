"""Formatting rules of Nghị định 30/2020/NĐ-CP (PL I) shared by every official document.

The one home of the document's fixed wording: the header (Quốc hiệu, Tiêu ngữ, the issuing
body's lines, "Số: 05/KH-UBND", "Tam Kỳ, ngày 24 tháng 3 năm 2022"), the ký hiệu and its
fallback, how a document and a date are cited in running text, and the closing marks. Every
PDF draws its header from a Header (templates/documents/includes/nd30_header.html, included
by templates/documents/nd30_base.html, which every PDF template extends).

No app is imported here: functions take plain values, or objects with the attributes they read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import ClassVar, Protocol

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
    """ "Tam Kỳ, ngày 24 tháng 3 năm 2022"; without a place, "Ngày 24 tháng 3 năm 2022"."""
    words = date_words(day, year)
    return f"{place}, {words}" if place else words[:1].upper() + words[1:]


def citation_date(day: datetime.date) -> str:
    """A date cited in running text: "24/3/2022" (no zero padding), as documents cite each other."""
    return f"{day.day}/{day.month}/{day.year}"


# --- the issuing body ---------------------------------------------------------------------------

# Most documents of the portal are issued by a People's Committee.
DEFAULT_BODY_SYMBOL = "UBND"


class _Kind(Protocol):
    default_symbol: str


class IssuingBody(Protocol):
    """What the rules read of a unit (units.models.Unit has it)."""

    body_symbol: str
    kind: _Kind


def body_symbol(unit: IssuingBody) -> str:
    """The issuing body's abbreviation in ký hiệu and running text: the unit's own ("UBND",
    "SNV"), else its kind's default, else UBND."""
    return unit.body_symbol or unit.kind.default_symbol or DEFAULT_BODY_SYMBOL


def symbol(document_type: str, body: str) -> str:
    """Ký hiệu = type + issuing body (PL I II.3): "KH-UBND", "BC-UBND"."""
    return f"{document_type}-{body}"


# Collective bodies whose name is followed by the place: "ỦY BAN NHÂN DÂN" / "PHƯỜNG TÂN THẠNH".
COLLECTIVE_BODIES = ("ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN")


def organ_lines(name: str) -> list[str]:
    """An issuing body's name as the header prints it (PL I II.2.b: a long name may wrap):
    "ỦY BAN NHÂN DÂN PHƯỜNG TÂN THẠNH" → ["ỦY BAN NHÂN DÂN", "PHƯỜNG TÂN THẠNH"], as official
    documents break it, rather than wherever the column happens to end."""
    name = " ".join(name.split())
    for body in COLLECTIVE_BODIES:
        if name.upper().startswith(body + " "):
            return [name[: len(body)], name[len(body) + 1 :]]
    return [name] if name else []


# --- the header (PL I, ô 1-4) ---------------------------------------------------------------------

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class Header:
    """The two columns every document starts with: on the left the body above (not bold), the
    issuing body (bold, broken as organ_lines breaks it) and the number; on the right the Quốc
    hiệu, the Tiêu ngữ and the place and date. A text without a number (a listing board) has
    number ""."""

    parent_authority: str
    authority_lines: tuple[str, ...]
    number: str
    place_date: str
    # A document the văn thư has not numbered yet: the number and the place and date are form
    # fields the văn thư fills when issuing (documents/pdf_fields.py), after the leader signed.
    fields: bool = False
    symbol: str = ""
    quoc_hieu: ClassVar[str] = QUOC_HIEU
    tieu_ngu: ClassVar[str] = TIEU_NGU


def header(
    *,
    parent_authority: str,
    authority: str,
    number: str,
    place_date: str,
    fields: bool = False,
    symbol: str = "",
) -> Header:
    return Header(parent_authority, tuple(organ_lines(authority)), number, place_date, fields, symbol)


# --- running text ---------------------------------------------------------------------------------

# A document's last sentence ends with "./." (the text ends here).
END_MARK = "./."
# The first recipient of a document with "Kính gửi": those it is addressed to (PL I II.9.b).
AS_ABOVE_LINE = "- Như trên;"
# Collective bodies are written out in running text and in "Kính gửi": "Ủy ban nhân dân …".
COLLECTIVE_BODY_PROPER = "Ủy ban nhân dân"


def archive_line(drafting_unit: str = "") -> str:
    """The last recipient: the archive copy kept by the Văn thư and by the drafting unit
    (PL I II.9.d): "- Lưu: VT, VP."; without a drafting unit "- Lưu: VT."."""
    drafting_unit = drafting_unit.strip(" ,.;")
    return f"- Lưu: VT, {drafting_unit}." if drafting_unit else "- Lưu: VT."


def recipient_lines(names: list[str]) -> list[str]:
    """Recipients as a list: "- Sở Nội vụ;", …, the last ending with "." (PL I II.9)."""
    names = [name.strip(" ;.") for name in names if name.strip(" ;.")]
    return [f"- {name}{'.' if index == len(names) - 1 else ';'}" for index, name in enumerate(names)]


def collective_name(full_name: str) -> str:
    """A local government's People's Committee as NĐ 30 writes it in text, proper nouns only
    capitalised: "Thành phố Đà Nẵng" → "Ủy ban nhân dân thành phố Đà Nẵng"."""
    return f"{COLLECTIVE_BODY_PROPER} {lower_first(full_name)}"


# --- the signer's block (PL I II.7) ---------------------------------------------------------------

DEPUTY_PREFIX = "Phó "
ACTING_PREFIX = "Quyền "


def signer_lines(position: str, *, collective: str = "", head: str = "") -> list[str]:
    """The signer's block above the signature, from the signer's own title (PL I II.7.a-b):
    "Chủ tịch" → TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH; "Phó Chủ tịch" → TM. ỦY BAN NHÂN DÂN /
    KT. CHỦ TỊCH / PHÓ CHỦ TỊCH; "Quyền Chủ tịch" → TM. ỦY BAN NHÂN DÂN / Q. CHỦ TỊCH; in an
    agency (no collective) "Phó Giám đốc" → KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC. `collective` is the
    collective body ("ỦY BAN NHÂN DÂN", signed for with TM.); `head` the head's title, used when
    the title names no one else's ("Phó Chủ tịch" names its head itself)."""
    position = " ".join(position.split())
    lines = [f"TM. {collective.upper()}"] if collective else []
    if position.startswith(ACTING_PREFIX):
        return [*lines, f"Q. {position[len(ACTING_PREFIX) :].upper()}"]
    if position.startswith(DEPUTY_PREFIX):
        deputy_of = position[len(DEPUTY_PREFIX) :] or head
        return [*lines, f"KT. {deputy_of.upper()}", position.upper()]
    return [*lines, (position or head).upper()]


def lower_first(text: str) -> str:
    """ "Tuyên truyền …" → "tuyên truyền …", as a summary reads inside a sentence."""
    return text[:1].lower() + text[1:]


def cited_plan(reference: str, issued_on: datetime.date, issuer: str, summary: str) -> str:
    """ "Kế hoạch số 71/KH-UBND ngày 24/3/2022 của UBND thành phố Tam Kỳ về tuyên truyền …"."""
    return f"Kế hoạch số {reference} ngày {citation_date(issued_on)} của {issuer} về {lower_first(summary)}"
