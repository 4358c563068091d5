"""Searching the procedure catalogue, the same way on SQLite and PostgreSQL.

`Procedure.search_text` holds the code and name folded (lower case, no diacritics: "1.001193
dang ky khai sinh"), written by the importer with `search_text_for`. A search folds the typed
text the same way and requires every word in it, so "dang ky khai sinh", "Đăng ký khai sinh" and
"DANG KY" all find "Đăng ký khai sinh". A text made of digits and dots ("1.0011") is also a code
prefix. No database extension (unaccent, trigram) is needed.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from cchc_portal.lib.vietnamese import fold
from procedures.models import ACTIVE_STATUSES, Level, OnlineLevel, Procedure

# "1.0011", "2.000889", "1." — what a procedure code (or its beginning) looks like.
CODE_PREFIX = re.compile(r"^\d+(\.\d*)*$")

# Filter values that are not stored as such: "no online service" is stored as "", which as a
# filter value means "any"; "active" means every status in ACTIVE_STATUSES.
ONLINE_NONE = "khong"
STATUS_ACTIVE = "active"


def search_text_for(code: str, name: str) -> str:
    """What `Procedure.search_text` holds for a code and a name."""
    return fold(f"{code} {name}")


def words(text: str) -> list[str]:
    return fold(text or "").split()


def looks_like_code(text: str) -> bool:
    return bool(CODE_PREFIX.match((text or "").strip()))


def level_q(level: str, prefix: str = "") -> Q:
    """Procedures whose `levels` list contains `level`.

    `levels__contains=[level]` works on PostgreSQL only (SQLite has no JSON containment), so
    each position of the list is compared: a procedure has at most one entry per Level, so
    len(Level) positions cover every list. Both backends give the same rows.
    """
    q = Q()
    for index in range(len(Level.choices)):
        q |= Q(**{f"{prefix}levels__{index}": level})
    return q


def text_q(text: str) -> Q | None:
    """The condition for a typed text, or None when there is nothing to look for."""
    found = words(text)
    if not found:
        return None
    q = Q()
    for word in found:
        q &= Q(search_text__contains=word)
    if looks_like_code(text):
        q |= Q(code__startswith=text.strip())
    return q


def search(
    queryset: QuerySet[Procedure],
    text: str = "",
    *,
    field: str = "",
    level: str = "",
    online: str = "",
    status: str = "",
) -> QuerySet[Procedure]:
    """Narrow `queryset` to the procedures matching the text and the (exact) filters.

    `online` is an OnlineLevel value, or "khong" for procedures without an online service;
    `status` is a ProcedureStatus value, or "active" for those still in force (ACTIVE_STATUSES).
    An empty filter does not filter.
    """
    condition = text_q(text)
    if condition is not None:
        queryset = queryset.filter(condition)
    if field:
        queryset = queryset.filter(field=field)
    if level:
        queryset = queryset.filter(level_q(level))
    if online == ONLINE_NONE:
        queryset = queryset.filter(online_level=OnlineLevel.NONE)
    elif online:
        queryset = queryset.filter(online_level=online)
    if status == STATUS_ACTIVE:
        queryset = queryset.filter(status__in=ACTIVE_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    return queryset


def matches(
    procedure: Procedure,
    text: str = "",
    *,
    field: str = "",
    level: str = "",
    online: str = "",
    status: str = "",
) -> bool:
    """`search` for a procedure already in memory (the unit pages filter their merged list)."""
    found = words(text)
    if found:
        haystack = procedure.search_text or search_text_for(procedure.code, procedure.name)
        by_words = all(word in haystack for word in found)
        by_code = looks_like_code(text) and procedure.code.startswith(text.strip())
        if not (by_words or by_code):
            return False
    if field and procedure.field != field:
        return False
    if level and level not in (procedure.levels or []):
        return False
    if online == ONLINE_NONE:
        if procedure.online_level:
            return False
    elif online and procedure.online_level != online:
        return False
    if status == STATUS_ACTIVE:
        return procedure.status in ACTIVE_STATUSES
    return not status or procedure.status == status
