"""What a register entry is (a plan, a report…) and where its page is.

`documents` knows no plan and no report: each app that issues documents registers a finder at
start-up (its AppConfig.ready), and the register asks them, one query per app for a whole page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    label: str
    url: str


Finder = Callable[[list[int]], dict[int, Source]]
_finders: list[Finder] = []


def register(finder: Finder) -> Finder:
    """`finder(document_ids)` answers {document id: Source} for the documents it owns."""
    if finder not in _finders:
        _finders.append(finder)
    return finder


def sources_of(document_ids: Iterable[int]) -> dict[int, Source]:
    ids = list(document_ids)
    found: dict[int, Source] = {}
    for finder in _finders:
        found |= finder(ids)
    return found
