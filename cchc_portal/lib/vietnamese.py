"""Vietnamese text helpers shared by every app."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case `text` and strip its diacritics, so that "ĐÀ NẴNG" and "da nang" compare equal.

    Used for search on SQLite and PostgreSQL alike: both sides of a comparison are folded in
    Python, so no database extension (unaccent) is needed. "đ" is a letter of its own, not a
    "d" with a mark, so Unicode decomposition leaves it; it is mapped by hand.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def clean_spaces(text: str) -> str:
    """Collapse runs of whitespace (including newlines and non-breaking spaces) to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def upper(text: str) -> str:
    """Upper-case Vietnamese text for document headers ("Phường Tân Thạnh" → "PHƯỜNG TÂN THẠNH")."""
    return unicodedata.normalize("NFC", text).upper()
