"""The load test's machinery at toy scale (bench/load_test.py, bench/locustfile.py): a tiny
national dataset as the template, gunicorn with the production settings over TLS on 127.0.0.1,
six locust users (officers, a reviewer, a verifier) for 15 s; no failure, no lost write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from psycopg2 import sql

ROOT = Path(__file__).resolve().parents[1]
REVIEWABLE = 2  # reports of the last due period put back to "submitted" for the reviewer to accept

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="the load test copies a PostgreSQL database (CREATE DATABASE … TEMPLATE) for gunicorn",
    ),
]


def _server() -> str:
    db = settings.DATABASES["default"]
    login = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"


def _manage(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stderr[-3000:]}"


def test_six_users_for_fifteen_seconds_lose_nothing(tmp_path):
    template, load = f"cchc_smoke_{os.getpid()}", f"cchc_smoke_{os.getpid()}_load"
    admin = psycopg2.connect(f"{_server()}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    try:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": f"{_server()}/{template}",
            "CCHC_MEDIA_ROOT": str(tmp_path / "dataset-media"),
        }
        _manage("migrate", "-v0", env=env)
        _manage("bench_dataset", "--provinces", "1", "--communes", "6", "--procedures", "50", env=env)
        dataset = psycopg2.connect(f"{_server()}/{template}")
        with dataset, dataset.cursor() as cursor:
            # The tiny dataset may leave nothing awaiting review; give the reviewer two reports.
            cursor.execute(
                """UPDATE reports_report SET state = 'submitted', accepted_at = NULL, accepted_by_id = NULL
                   WHERE id IN (SELECT id FROM reports_report WHERE state = 'accepted'
                                AND deadline = (SELECT max(deadline) FROM reports_report WHERE state = 'accepted')
                                ORDER BY id LIMIT %s)""",
                [REVIEWABLE],
            )
        dataset.close()

        summary_path = tmp_path / "load.json"
        run = subprocess.run(
            [
                sys.executable,
                "bench/load_test.py",
                "--users=6",
                "--duration=15s",
                "--spawn-rate=6",
                f"--template={template}",
                f"--database={load}",
                f"--postgres={_server()}",
                f"--workdir={tmp_path / 'run'}",
                f"--json={summary_path}",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert summary_path.exists(), run.stdout[-3000:] + run.stderr[-3000:]
        summary = json.loads(summary_path.read_text())
        report = run.stdout[-4000:]
        assert summary["personas"] == {"officers": 4, "reviewers": 1, "verifiers": 1}
        assert summary["aggregated"]["failures"] == 0, report
        assert summary["exceptions"] == [], report
        assert summary["writes"]["lost_writes"] == 0, report
        assert summary["writes"]["acknowledged"]["saves"] > 0, report
        names = {row["name"] for row in summary["requests"]}
        assert {"/bao-cao/ket-qua/[entry]/ (autosave)", "/xac-minh/ POST (signed PDF)"} <= names, report
        assert not any(status.startswith("5") for status in summary["server"]["statuses"]), report
        assert summary["ok"] and run.returncode == 0, report
    finally:
        with admin.cursor() as cursor:
            for name in (load, template):
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        admin.close()
