"""Demo data, the DEMO PKI and the national benchmark dataset: never part of a production install.

`make run` loads the demo (`manage.py load_demo`); the benchmarks build the national dataset
(`manage.py bench_dataset`). Both refuse to run unless DEBUG is on: the demo creates the
superuser admin / cchc@2026 and trusts a DEMO root certificate, which must never reach a real
server. The production package (pyproject.toml) leaves this package out.
"""

from django.conf import settings
from django.core.management.base import CommandError


def require_development() -> None:
    """Refuse, before touching the database, unless the portal runs in development mode."""
    if not settings.DEBUG:
        raise CommandError(
            "Lệnh này chỉ chạy ở chế độ phát triển (DJANGO_DEBUG=1): nó tạo tài khoản quản trị "
            "admin với mật khẩu công khai và tin cậy chứng thư DEMO, không được dùng trên máy chủ thật. "
            "Không có gì được ghi vào cơ sở dữ liệu."
        )
