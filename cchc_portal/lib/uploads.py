"""Uploaded files kept between an import's preview and its confirmation.

The file is stored (private storage, never served) under a random token; confirming re-reads it
by token, so the preview and the write see the same bytes. Tokens are checked against a strict
pattern, so a forged one cannot reach another path.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

ROOT = "imports"
TOKEN = re.compile(r"[0-9a-f]{32}")
SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")


def _name(kind: str, token: str, suffix: str) -> str | None:
    if not TOKEN.fullmatch(token or "") or not SUFFIX.fullmatch(suffix):
        return None
    return f"{ROOT}/{kind}/{token}{suffix}"


def stash(kind: str, content: bytes, suffix: str = ".bin") -> str:
    token = uuid.uuid4().hex
    default_storage.save(_name(kind, token, suffix), ContentFile(content))
    return token


def unstash(kind: str, token: str, suffix: str = ".bin") -> bytes | None:
    """The stashed bytes, or None for an unknown, expired or forged token."""
    name = _name(kind, token, suffix)
    if name is None or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def discard(kind: str, token: str, suffix: str = ".bin") -> None:
    name = _name(kind, token, suffix)
    if name is not None and default_storage.exists(name):
        default_storage.delete(name)


@dataclass(frozen=True)
class Stashed:
    name: str  # the storage name, "imports/tasks/0f…a1.xlsx"
    size: int
    modified: datetime.datetime


def _listdir(path: str) -> tuple[list[str], list[str]]:
    try:
        return default_storage.listdir(path)
    except FileNotFoundError:  # nothing was ever stashed
        return [], []


def stale(older_than: datetime.timedelta, *, now: datetime.datetime) -> list[Stashed]:
    """Stashed files last written before `now - older_than`: imports previewed and never
    confirmed (a confirmed import discards its file). Through the storage API, so the same on
    disk and in an S3 bucket; anything else under imports/ is left alone."""
    cutoff = now - older_than
    found = []
    for kind in sorted(_listdir(ROOT)[0]):
        for filename in sorted(_listdir(f"{ROOT}/{kind}")[1]):
            stem, dot, suffix = filename.partition(".")
            if _name(kind, stem, dot + suffix) is None:
                continue
            name = f"{ROOT}/{kind}/{filename}"
            modified = default_storage.get_modified_time(name)
            if modified < cutoff:
                found.append(Stashed(name, default_storage.size(name), modified))
    return found


def remove(stashed: Stashed) -> None:
    default_storage.delete(stashed.name)
