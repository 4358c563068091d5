"""Backup and restore, exercised: scripts/backup dumps the PostgreSQL database and the media
directory; scripts/restore puts them into a fresh database and an empty directory; the data and
the files are all there (README, "Backup and restore")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from conftest import build_world
from reports import services as reports
from reports.models import Evidence
from reports.tests.conftest import build_reporting

ROOT = Path(__file__).resolve().parents[1]


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="backs up a PostgreSQL database"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_then_restore_into_a_fresh_database(tmp_path, settings):
    media, restored_media = tmp_path / "media", tmp_path / "restored-media"
    settings.MEDIA_ROOT = media  # pytest-django's fixture: the storage follows (setting_changed)
    w = build_reporting(build_world())
    entry = reports.open_report(w.commune_a, w.annual).entries.first()
    reports.add_evidence(entry, name="bien-ban.pdf", content=b"%PDF-1.7 bien ban hop", by=w.officer_a)
    evidence = Evidence.objects.get()
    counts = {
        table: _count(connection.cursor(), table)
        for table in ("units_unit", "plans_plan", "plans_task", "reports_entry", "reports_evidence")
    }
    source = settings.DATABASES["default"]["NAME"]
    env = {**os.environ, "DATABASE_URL": _url(source), "CCHC_MEDIA_ROOT": str(media)}
    prefix = subprocess.run(
        [ROOT / "scripts" / "backup", tmp_path / "backups"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    target = f"{source}_restored"
    admin = psycopg2.connect(_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cursor.execute(f'CREATE DATABASE "{target}"')
    try:
        env = {
            **os.environ,
            "DATABASE_URL": _url(target),
            "CCHC_MEDIA_ROOT": str(restored_media),
            "DJANGO_DEBUG": "1",
        }
        subprocess.run(
            [ROOT / "scripts" / "restore", prefix], env=env, check=True, capture_output=True, text=True
        )
        restored = psycopg2.connect(_url(target))
        try:
            with restored.cursor() as cursor:
                assert {table: _count(cursor, table) for table in counts} == counts
                cursor.execute("SELECT file FROM reports_evidence")
                [(name,)] = cursor.fetchall()
            assert name == evidence.file.name
            assert (restored_media / name).read_bytes() == b"%PDF-1.7 bien ban hop"
        finally:
            restored.close()
        # A restore refuses to mix into a media directory that is not empty.
        again = subprocess.run(
            [ROOT / "scripts" / "restore", prefix], env=env, capture_output=True, text=True
        )
        assert again.returncode != 0
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.close()


def _count(cursor, table: str) -> int:
    cursor.execute(f"SELECT count(*) FROM {table}")
    return cursor.fetchone()[0]
