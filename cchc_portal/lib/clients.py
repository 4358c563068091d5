"""Who is asking: the client address as login throttling (django-axes) and the rate limits
(django-ratelimit) read it, behind a proxy too, so every per-client limit agrees.

Only a proxy the settings trust may name the client. A request whose peer (REMOTE_ADDR) is one of
CCHC_TRUSTED_PROXIES is read from X-Forwarded-For: each of the CCHC_TRUSTED_PROXY_COUNT proxies
in front appends the address it received the request from, so the client is that many entries
from the right, and whatever a client wrote into the header itself (the entries further left)
is never believed. Any other request is its peer's address, whatever its headers say.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    parsed = _address(address)
    return parsed is not None and any(
        parsed in ipaddress.ip_network(network, strict=False) for network in settings.CCHC_TRUSTED_PROXIES
    )


def client_address(request: Any) -> str:
    """The client's address (AXES_CLIENT_IP_CALLABLE): REMOTE_ADDR, or from a trusted proxy the
    entry its proxies appended to X-Forwarded-For."""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.CCHC_TRUSTED_PROXY_COUNT
    if not count or not is_trusted_proxy(peer):
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < count:  # the proxies did not all append: nobody to believe
        return peer
    claimed = forwarded[-count]
    return str(_address(claimed) or peer)


def client_ip(group: str, request: Any) -> str:
    """django-ratelimit's key: the client's address ("" → one shared bucket, never an error)."""
    return client_address(request) or ""


def verify_rate(group: str, request) -> str:
    """django-ratelimit's rate for the public verification pages, read when asked (so a change of
    settings.VERIFY_RATE applies without reloading the views)."""
    from django.conf import settings

    return settings.VERIFY_RATE
