"""Benchmark: importing the real 2025 unit list, and the tree queries, on PostgreSQL.

Every figure is a ratio against a baseline measured in the same run, so it holds on a noisy,
shared machine:

* full import (parse, plan against the database, write units + audit history + import record)
  against the floor of writing the same rows: one `bulk_create` of ready-made Unit rows with
  their paths, no validation, no history;
* re-import of the same file (plan only, nothing written) against the same floor;
* subtree (Đà Nẵng, 94 communes + agencies) and ancestors (a commune) against fetching one
  unit by primary key.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_bench .venv/bin/python bench/bench_units.py

The database named in DATABASE_URL is created if missing and emptied: never point it at real data.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cchc_portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cchc_bench")

REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
QUERY_REPEATS = 200


def ensure_database() -> None:
    import environ
    import psycopg2

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    if "postgresql" not in config["ENGINE"]:
        sys.exit("Set DATABASE_URL to a PostgreSQL database for this benchmark.")
    conn = psycopg2.connect(
        dbname="postgres", user=config["USER"], host=config["HOST"], port=config["PORT"] or 5432
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    conn.close()


def main() -> None:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from units.importers import read_unit_file
    from units.models import Unit, UnitImport
    from units.services import apply_unit_import, default_document_lines, plan_unit_import

    call_command("migrate", verbosity=0)
    content = (ROOT / "units" / "data" / "units-2025.json").read_bytes()

    def empty() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE units_unitsuccession, units_membership, units_historicalunit, units_unitimport, "
                "units_unit RESTART IDENTITY CASCADE"
            )

    def full_import() -> None:
        plan = plan_unit_import(read_unit_file(content))
        apply_unit_import(plan, source_name="bench.json")

    # The floor: the same rows, paths computed in advance, written in one bulk_create.
    plan = plan_unit_import(read_unit_file(content))
    floor_rows = []
    province_paths: dict[str, str] = {}
    child_count: dict[str, int] = {}
    for record in plan.new:
        if record.parent_key is None:
            path = Unit._get_path("", 1, len(province_paths) + 1)
            province_paths[record.code] = path
        else:
            parent = province_paths[record.parent_key[1]]
            child_count[parent] = child_count.get(parent, 0) + 1
            path = Unit._get_path(parent, 2, child_count[parent])
        floor_rows.append((record, path))

    def floor() -> None:
        with transaction.atomic():
            Unit.objects.bulk_create(
                [
                    Unit(
                        code=r.code,
                        name=r.name,
                        full_name=r.full_name,
                        kind=r.kind,
                        path=path,
                        depth=len(path) // 4,
                        numchild=0,
                        **default_document_lines(r.kind, r.name, r.full_name, None),
                    )
                    for r, path in floor_rows
                ],
                batch_size=500,
            )

    def timed(fn, before=None) -> float:
        if before:
            before()
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    import_times, floor_times, reimport_times = [], [], []
    for _ in range(REPEATS):
        floor_times.append(timed(floor, before=empty))
        import_times.append(timed(full_import, before=empty))
        reimport_times.append(timed(lambda: plan_unit_import(read_unit_file(content))))
    assert Unit.objects.count() == 3355 and UnitImport.objects.count() == 1

    danang = Unit.objects.current().get(code="48")
    commune = Unit.objects.current().get(code="20341")

    def query_time(fn) -> float:
        samples = []
        for _ in range(QUERY_REPEATS):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    pk_lookup = query_time(lambda: list(Unit.objects.filter(pk=commune.pk)))
    subtree = query_time(lambda: list(Unit.objects.subtree(danang)))
    ancestors = query_time(lambda: list(Unit.objects.ancestors(commune)))

    med = statistics.median
    print(f"PostgreSQL {connection.pg_version // 10000}, {REPEATS} runs, medians")
    print(f"floor (bulk_create 3,355 rows)      {med(floor_times) * 1000:8.0f} ms")
    print(
        f"import_units 2025 list (new)        {med(import_times) * 1000:8.0f} ms  "
        f"ratio {med(import_times) / med(floor_times):5.1f}×  "
        f"({3355 / med(import_times):,.0f} units/s)"
    )
    print(
        f"re-import, nothing changes          {med(reimport_times) * 1000:8.0f} ms  "
        f"ratio {med(reimport_times) / med(floor_times):5.1f}×"
    )
    print(f"pk lookup (baseline)                {pk_lookup * 1e6:8.0f} µs")
    size = Unit.objects.subtree(danang).count()
    print(
        f"subtree of Đà Nẵng ({size} units)      {subtree * 1e6:8.0f} µs  ratio {subtree / pk_lookup:5.1f}×"
    )
    print(
        f"ancestors of a commune              {ancestors * 1e6:8.0f} µs  ratio {ancestors / pk_lookup:5.1f}×"
    )


if __name__ == "__main__":
    main()
