"""Uploaded files kept between an import's preview and its confirmation.

The file is stored (private storage, never served) under a random token; confirming re-reads it
by token, so the preview and the write see the same bytes. Tokens are checked against a strict
pattern, so a forged one cannot reach another path.
"""

from __future__ import annotations

import re
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

TOKEN = re.compile(r"[0-9a-f]{32}")
SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")


def _name(kind: str, token: str, suffix: str) -> str | None:
    if not TOKEN.fullmatch(token or "") or not SUFFIX.fullmatch(suffix):
        return None
    return f"imports/{kind}/{token}{suffix}"


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
