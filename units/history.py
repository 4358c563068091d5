"""What a unit's predecessors planned and reported before they were merged, for the successor's
page.

`units` knows no plan and no report: the apps that keep them register a finder at start-up (their
AppConfig.ready), as they do for the register of documents (documents.sources). The unit page asks
them once for all its predecessors: one query per app, none for a unit without predecessors.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Record:
    """A plan or a report of a predecessor, as the successor's page lists it."""

    unit_id: int
    label: str  # "Kế hoạch năm 2025", "Báo cáo 6 tháng đầu năm 2025"
    state: str  # "Đã ban hành", "Đã tiếp nhận"
    url: str
    day: datetime.date  # orders the records: the start of what it covers


# predecessor id → the day its successor took over → what it had before that day
Finder = Callable[[dict[int, datetime.date]], list[Record]]
_finders: list[Finder] = []


def register(finder: Finder) -> Finder:
    if finder not in _finders:
        _finders.append(finder)
    return finder


def records_before(cutoffs: dict[int, datetime.date]) -> dict[int, list[Record]]:
    """unit id → its plans and reports before its succession, oldest first."""
    found: dict[int, list[Record]] = {}
    if not cutoffs:
        return found
    for finder in _finders:
        for record in finder(cutoffs):
            found.setdefault(record.unit_id, []).append(record)
    for records in found.values():
        records.sort(key=lambda r: (r.day, r.label))
    return found
