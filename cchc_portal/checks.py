"""System checks of the portal's own settings (`manage.py check --deploy` runs the deploy ones)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def debug_is_off(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Django only warns about DEBUG on a server (security.W018); a portal holding signed documents
    and personal data must not start in development mode by accident, e.g. from a .env."""
    if not settings.DEBUG:
        return []
    source = (
        f"tệp {settings.ENV_FILE} (DJANGO_DEBUG=1)"
        if getattr(settings, "ENV_FILE_READ", False)
        else "biến môi trường DJANGO_DEBUG"
    )
    return [
        checks.Error(
            f"Cổng đang chạy ở chế độ phát triển (DEBUG bật, do {source}). / DEBUG is on.",
            hint="Trên máy chủ: bỏ DJANGO_DEBUG, xoá tệp .env và đặt DJANGO_SECRET_KEY (README, 'Production deployment').",
            id="cchc.E001",
        )
    ]
