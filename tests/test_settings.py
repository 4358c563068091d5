"""Production settings: loud on a missing secret, clean under `manage.py check --deploy`."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 20 + "-production-like-secret-for-the-deploy-check-" + "y" * 20,
    "DJANGO_ALLOWED_HOSTS": "cchc.example.gov.vn",
    "DATABASE_URL": "postgres://cchc@127.0.0.1:5432/cchc",
    "EMAIL_URL": "smtp+tls://cchc:secret@mail.example.gov.vn:587",
    "CCHC_SIGNING_KEY": "cHJvZHVjdGlvbi1saWtlLXNpZ25pbmcta2V5LTMyYiE=",
}


def run(args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_its_secret_key():
    result = run(["check"], **(PRODUCTION | {"DJANGO_SECRET_KEY": ""}))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY chưa được đặt" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run(["check"], **(PRODUCTION | {"DJANGO_ALLOWED_HOSTS": ""}))
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS chưa được đặt" in result.stderr


def test_the_deploy_check_is_clean_with_production_settings():
    result = run(["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_explicit_environment_wins_over_the_development_env_file():
    # The checkout's .env says DJANGO_DEBUG=1; an explicit DJANGO_DEBUG=0 must still mean production.
    result = run(["check"], DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY chưa được đặt" in result.stderr


@pytest.fixture
def development_env_file():
    """The git-ignored .env that scripts/setup writes into a checkout (DJANGO_DEBUG=1)."""
    env_file = ROOT / ".env"
    created = not env_file.exists()
    if created:
        env_file.write_text("DJANGO_DEBUG=1\n")
    assert "DJANGO_DEBUG=1" in env_file.read_text()
    yield env_file
    if created:
        env_file.unlink()


def test_exported_production_variables_are_never_overridden_by_the_env_file(development_env_file):
    # The README's deployment section exports the secrets but not DJANGO_DEBUG.
    production = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_DEBUG"}
    result = run(["shell", "-c", "from django.conf import settings; print(settings.DEBUG)"], **production)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_a_checkout_without_variables_runs_in_development_from_the_env_file(development_env_file):
    result = run(["shell", "-c", "from django.conf import settings; print(settings.DEBUG)"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_the_deploy_check_fails_loudly_in_development_mode():
    result = run(["check", "--deploy"], **(PRODUCTION | {"DJANGO_DEBUG": "1"}))
    assert result.returncode != 0
    assert "cchc.E001" in result.stderr and "DEBUG bật" in result.stderr


def _row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_the_demo_refuses_to_load_on_a_production_database_and_writes_nothing(tmp_path):
    production = PRODUCTION | {"DATABASE_URL": f"sqlite:///{tmp_path / 'cchc.sqlite3'}"}
    migrated = run(["migrate", "--noinput"], **production)
    assert migrated.returncode == 0, migrated.stderr
    before = _row_counts(tmp_path / "cchc.sqlite3")
    assert before["units_unitkind"] > 0  # a real, migrated database

    for command in (["load_demo"], ["bench_dataset", "--provinces", "1"]):
        result = run(command, **production)
        assert result.returncode != 0
        assert "chỉ chạy ở chế độ phát triển (DJANGO_DEBUG=1)" in result.stderr
        assert _row_counts(tmp_path / "cchc.sqlite3") == before


def test_development_needs_no_configuration():
    result = run(["check"], DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_the_language_and_time_zone_are_vietnamese(settings):
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"


def test_dates_are_written_the_vietnamese_way(settings):
    import datetime

    from django.utils import formats, translation

    with translation.override("vi"):
        assert formats.date_format(datetime.date(2022, 3, 24), "SHORT_DATE_FORMAT") == "24/03/2022"
        assert formats.date_format(datetime.date(2022, 3, 24)) == "ngày 24 tháng 3 năm 2022"


def test_an_english_browser_still_gets_vietnamese_dates(as_persona, world):
    from django.urls import reverse

    client = as_persona("reviewer")
    response = client.get(
        reverse("units:directory"), {"q": "tam ky"}, headers={"accept-language": "en-US,en"}
    )
    assert "từ 01/07/2025" in response.text


def test_behind_a_proxy_login_throttling_reads_the_forwarded_client_address():
    code = "from django.conf import settings;print(settings.CCHC_TRUSTED_PROXIES, settings.CCHC_TRUSTED_PROXY_COUNT)"
    result = run(["shell", "-c", code], **(PRODUCTION | {"DJANGO_BEHIND_TLS_PROXY": "1"}))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['127.0.0.1', '::1'] 1"
    result = run(["shell", "-c", code], **PRODUCTION)
    assert result.stdout.strip().splitlines()[-1] == "[] 0"  # no proxy: X-Forwarded-For is ignored


def test_a_trusted_proxy_that_is_no_address_stops_the_start():
    result = run(
        ["check"],
        **(PRODUCTION | {"DJANGO_BEHIND_TLS_PROXY": "1", "DJANGO_TRUSTED_PROXIES": "10.0.0.0/8,nginx.local"}),
    )
    assert result.returncode != 0
    assert "“nginx.local” không phải địa chỉ hay dải địa chỉ IP" in result.stderr
