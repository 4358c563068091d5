"""Two people saving the same entry at the same instant, on two real PostgreSQL connections:
one save wins, the other gets the conflict — never a silent overwrite, never a 500."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections

from conftest import build_world
from reports import services
from reports.models import Entry
from reports.tests.conftest import build_reporting


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row locks are what is tested; SQLite serialises every writer anyway",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_saves_at_the_same_instant():
    w = build_reporting(build_world())
    entry = services.open_report(w.commune_a, w.annual).entries.select_related("task").first()
    version = entry.lock_version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(text: str, user) -> None:
        try:
            values, _errors = services.parse_entry(entry, {"status": "in_progress", "narrative": text})
            barrier.wait(timeout=10)
            services.save_entry(entry, values, expected_version=version, by=user)
            outcomes.append(f"saved:{text}")
        except services.EntryConflict as exc:
            outcomes.append(f"conflict:{exc.current.narrative}")
        except BaseException as exc:  # reported below
            outcomes.append(f"error:{exc!r}")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=("Bản của Lan", w.officer_a)),
        threading.Thread(target=save, args=("Bản của Minh", w.leader_a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    saved = [o for o in outcomes if o.startswith("saved:")]
    conflicts = [o for o in outcomes if o.startswith("conflict:")]
    assert len(saved) == 1 and len(conflicts) == 1, outcomes
    winner = saved[0].removeprefix("saved:")
    assert conflicts[0] == f"conflict:{winner}"  # the loser is shown the winner's text
    stored = Entry.objects.get(pk=entry.pk)
    assert stored.narrative == winner and stored.lock_version == version + 1
