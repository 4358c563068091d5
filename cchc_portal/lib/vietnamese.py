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


# --- diacritics split off by PDF extraction ------------------------------------------------------

# A Vietnamese syllable once its marks are folded away: initial consonant(s), one to three vowels,
# a final consonant. Used only to check that a repair yields real syllables.
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?$"
)
_INITIAL_ONLY = re.compile(r"^(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnprstvx])$", re.IGNORECASE)
_PLAIN_VOWELS = set("aeiouyAEIOUY")
# "m ầm non", "ch ứng", "gi ấy": a lone initial consonant, a space, the rest of the syllable that
# starts with a marked vowel (PDF text extraction splits a word where a glyph carries a mark).
_SPLIT_INITIAL = re.compile(r"(?<![^\W\d_])([^\W\d_]{1,3}) (?=([^\W\d_]+))")
# "Việt Namở": a word glued to the next one, which starts with a marked vowel.
_WORD = re.compile(r"[^\W\d_]{3,}")
# "điểm b ở trên": a letter that numbers a point of a text, not a split word.
_ENUMERATING = {"muc", "diem", "khoan", "luc", "phan", "chuong", "dieu"}


def _is_syllable(word: str) -> bool:
    return bool(_SYLLABLE.match(fold(word)))


def _marked_vowel(ch: str) -> bool:
    """A vowel carrying a Vietnamese mark (ầ, ứ, ở…), which a foreign word rarely has."""
    return fold(ch) in _PLAIN_VOWELS and ch not in _PLAIN_VOWELS


def repair_split_diacritics(text: str) -> tuple[str, int]:
    """Text normalised to NFC with the words PDF extraction split or glued back together, and how
    many repairs were made: "m ầm non" → "mầm non", "ch ứng thực" → "chứng thực", "Việt Namở nước
    ngoài" → "Việt Nam ở nước ngoài". A repair is made only when every word it yields is a
    Vietnamese syllable, so abbreviations ("TP HCM") and foreign names are left alone."""
    text = unicodedata.normalize("NFC", text)
    repairs = 0

    def join(match: re.Match[str]) -> str:
        nonlocal repairs
        head, rest = match.group(1), match.group(2)
        before = fold(match.string[max(0, match.start() - 12) : match.start()]).split()
        if before and before[-1] in _ENUMERATING:
            return match.group(0)
        if _INITIAL_ONLY.match(head) and _marked_vowel(rest[0]) and _is_syllable(head + rest):
            repairs += 1
            return head  # the space goes; the rest of the word follows
        return match.group(0)

    def split(match: re.Match[str]) -> str:
        nonlocal repairs
        word = match.group(0)
        if _is_syllable(word):
            return word
        for cut in range(len(word) - 1, 0, -1):
            first, second = word[:cut], word[cut:]
            if _marked_vowel(second[0]) and _is_syllable(first) and _is_syllable(second):
                repairs += 1
                return f"{first} {second}"
        return word

    text = _SPLIT_INITIAL.sub(join, text)
    text = _WORD.sub(split, text)
    return text, repairs
