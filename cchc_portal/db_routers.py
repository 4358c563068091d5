"""Reads from the PostgreSQL replica, only where the code asks for it.

A streaming replica lags the primary by a moment, so a page that reads right after a write
(save, then redirect to the list) must not read from it. Nothing is routed there implicitly:
a caller that can tolerate slightly stale data (a roll-up, an export) wraps its reads in
`use_replica()`, as a context manager or a decorator. Writes always go to the primary, and so
do reads inside a transaction on the primary, which must see their own writes.

The query must run inside the block: a QuerySet built there but evaluated later (in the
template, after the view returned) reads from the primary. Evaluate it inside (`list(…)`, an
aggregate).

Without DATABASE_REPLICA_URL the router is not installed and `use_replica()` changes nothing,
so callers need not know how the portal is deployed.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"

# A context variable, not a thread-local: correct under threads and asyncio alike.
_reads_from_replica: ContextVar[bool] = ContextVar("reads_from_replica", default=False)


@contextmanager
def use_replica() -> Iterator[None]:
    """Send the reads inside this block (or decorated function) to the replica."""
    token = _reads_from_replica.set(True)
    try:
        yield
    finally:
        _reads_from_replica.reset(token)


class ReplicaRouter:
    """Installed by settings when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model, **hints) -> str:
        if _reads_from_replica.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        # Explicit, never None: Django would otherwise write an object back to the database it
        # was read from, which may be the (read-only) replica.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica is a copy of the primary: rows from either may be related.
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS} else None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        # The replica follows the primary's schema through replication, never by migrating.
        return False if db == REPLICA_DB_ALIAS else None
