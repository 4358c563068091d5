"""Who is asking: the client address as login throttling (django-axes) reads it, behind a proxy
too (DJANGO_BEHIND_TLS_PROXY, DJANGO_TRUSTED_PROXY_COUNT), so every per-client limit agrees."""

from __future__ import annotations

from typing import Any


def client_ip(group: str, request: Any) -> str:
    """django-ratelimit's key: the client's address ("" → one shared bucket, never an error)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or ""
