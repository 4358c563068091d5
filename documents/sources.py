"""What a register entry is (a plan, a report…) and where its page is.

`documents` knows no plan and no report: each app that issues documents registers a finder at
start-up (its AppConfig.ready), and the register asks them, one query per app for a whole page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from units.access import DOCUMENT_SIGNING


@dataclass(frozen=True)
class Source:
    label: str
    url: str
    # Who may open the document's files: the capabilities (at the document's unit) its page asks
    # for, None when everyone in scope sees the page. The files follow their page.
    readers: frozenset[str] | None = None
    # Who may open the file of a signing step: those who take part in signing this kind.
    signers: frozenset[str] = DOCUMENT_SIGNING


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
