"""Benchmark: reference data at national scale — a 10,000-row succession table and a 20,000-row
TTHC file — each against a baseline measured in the same run.

Successions. Units generated in the real shapes: a pre-2025 list (dvhcvn's wrapped JSON) of
10,000 communes under 100 districts, and a 2025 list of 3,400 communes; then the conversion table
as published (title row, header, a section row, one row per pair: whole, a few "Nhập một phần",
"Giữ nguyên") with 10,000 rows.

* floor: `bulk_create` of the same 10,000 links, already matched (no reading, no history);
* read the table (.csv), match every row by code and validity, compare with the links there are;
* import into an empty table (read + plan + write with one audit-history row per link);
* re-import (read + plan; nothing written).

TTHC. 20,000 procedures in the national portal's export shape, as two sources (two ministries'
exports of 10,000 rows each, 100 rows of each issued by the other ministry).

* floor: PostgreSQL `COPY` of the 20,000 rows, already parsed and folded;
* import both sources into an empty catalogue (read + plan + apply, from .xlsx and from CSV);
* re-import both (read + plan; nothing written): what a province's periodic re-import costs;
* read the 20,000-row .xlsx only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_bench .venv/bin/python bench/bench_refdata.py

The database in DATABASE_URL is created if missing and its units and catalogue emptied: never
point it at real data.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cchc_portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cchc_bench")

PAIRS = int(os.environ.get("BENCH_SUCCESSIONS", "10000"))
PROCEDURES = int(os.environ.get("BENCH_PROCEDURES", "20000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
NEW_PER_OLD = 3  # about three old communes per new one, as in 2025 (10,033 → 3,321)


def unit_lists() -> tuple[bytes, bytes]:
    """The pre-2025 list as dvhcvn publishes it and the 2025 list, generated."""
    districts = []
    for d in range(100):
        communes = [
            {"level3_id": f"{10000 + d * 100 + c:05d}", "name": f"Xã Cũ {d}-{c}", "type": "Xã"}
            for c in range(PAIRS // 100)
        ]
        districts.append(
            {"level2_id": f"{100 + d:03d}", "name": f"Huyện Cũ {d}", "type": "Huyện", "level3s": communes}
        )
    old = {
        "data": [{"level1_id": "48", "name": "Tỉnh Cũ", "type": "Tỉnh", "level2s": districts}],
        "data_date": "01/03/2025",
        "generate_date": 1739889357,
    }
    wards = [
        {
            "Code": f"{10000 + n * NEW_PER_OLD:05d}",
            "Name": f"Mới {n}",
            "FullName": f"Xã Mới {n}",
            "ProvinceCode": "48",
        }
        for n in range(PAIRS // NEW_PER_OLD + 1)
    ]
    new = [{"Code": "48", "Name": "Mới", "FullName": "Thành phố Mới", "Wards": wards}]
    return json.dumps(old, ensure_ascii=False).encode(), json.dumps(new, ensure_ascii=False).encode()


def conversion_table() -> bytes:
    rows = [
        "Đơn vị hành chính từ ngày 01/7/2025,,,Đơn vị hành chính trước ngày 01/7/2025,,,,",
        '"Tỉnh, thành phố",Tên Xã mới,Mã Xã mới,Tên Xã cũ,Mã Xã cũ,Ghi chú,Quận/huyện,Tỉnh cũ',
        "THÀNH PHỐ MỚI,,,,,,,",
    ]
    for i in range(PAIRS):
        old = 10000 + (i // (PAIRS // 100)) * 100 + i % (PAIRS // 100)
        new = 10000 + (i // NEW_PER_OLD) * NEW_PER_OLD
        note = (
            "Nhập một phần"
            if i % 500 == 7
            else "Giữ nguyên"
            if old == new and i % 97 == 0
            else "Nhập toàn bộ"
        )
        rows.append(
            f"Thành phố Mới (48),Xã Mới {new},{new:05d},Xã Cũ,{old:05d},{note},Huyện Cũ ({100 + i // 100}),Tỉnh Cũ (48)"
        )
    return ("\n".join(rows) + "\n").encode()


def procedure_files() -> dict[str, tuple[bytes, bytes]]:
    """Two ministries' exports (.xlsx, CSV), each with 1% of rows issued by the other."""
    import openpyxl

    rng = random.Random(16)
    words = ["đăng", "ký", "cấp", "giấy", "phép", "chứng", "nhận", "thẩm", "định", "hồ", "sơ", "xây", "dựng"]
    agencies = [
        "Ủy ban nhân dân cấp xã",
        "Sở Xây dựng",
        "Ủy ban nhân dân cấp tỉnh",
        "Cục Cảnh sát",
        "Công an cấp xã",
    ]
    files = {}
    half = PROCEDURES // 2
    for index, (name, ministry, other) in enumerate(
        [("BoCongAn", "Bộ Công an", "Bộ Xây dựng"), ("BoXayDung", "Bộ Xây dựng", "Bộ Công an")]
    ):
        header = ["Mã số", "Tên", "Cơ quan ban hành", "Cơ quan thực hiện", "Lĩnh vực"]
        data = []
        for n in range(half):
            title = " ".join(rng.choice(words) for _ in range(8)).capitalize() + f" {n}"
            data.append(
                [
                    f"{index + 1}.{n:06d}",
                    title,
                    other if n % 100 == 0 else ministry,
                    "\n".join(rng.sample(agencies, rng.randint(1, 3))),
                    "Lĩnh vực " + str(n % 40),
                ]
            )
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nDANH SÁCH THỦ TỤC HÀNH CHÍNH"])
        sheet.merge_cells("A1:E1")
        sheet.append(header)
        for row in data:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(data)
        files[name] = (out.getvalue(), text.getvalue().encode("utf-8-sig"))
    return files


def timed(fn, before=None) -> float:
    if before:
        before()
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    from bench_units import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from procedures import services
    from procedures.models import Procedure
    from procedures.reading import read_procedures
    from procedures.search import search_text_for
    from units.importers import read_unit_file
    from units.models import UnitSuccession
    from units.services import apply_successions, apply_unit_import, plan_unit_import
    from units.successions import plan_successions, read_successions

    call_command("migrate", verbosity=0)

    def sql(statement: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement)

    # --- successions --------------------------------------------------------------------------------
    sql("TRUNCATE units_unit, units_historicalunit, units_unitimport RESTART IDENTITY CASCADE")
    for content in unit_lists():
        apply_unit_import(plan_unit_import(read_unit_file(content)), source_name="bench.json")
    table = conversion_table()

    def empty_links() -> None:
        sql("TRUNCATE units_unitsuccession, units_historicalunitsuccession RESTART IDENTITY")

    matched = plan_successions(read_successions(table, "bench.csv"))
    assert matched.counts["invalid"] == 0, matched.errors[:3]
    ready = [
        UnitSuccession(
            predecessor_id=link.predecessor.pk,
            successor_id=link.successor.pk,
            extent=link.row.extent,
            effective_date=link.row.date,
            legal_basis=link.row.legal_basis,
            note=link.row.note,
        )
        for link in matched.links
    ]

    def floor_links() -> None:
        UnitSuccession.objects.bulk_create(ready, batch_size=1000)
        for link in ready:
            link.pk = None

    def import_links() -> None:
        apply_successions(plan_successions(read_successions(table, "bench.csv")), source_name="bench.csv")

    succession: dict[str, list[float]] = {}
    for _ in range(REPEATS):
        succession.setdefault("floor", []).append(timed(floor_links, before=empty_links))
        succession.setdefault("plan", []).append(
            timed(lambda: plan_successions(read_successions(table, "b.csv")))
        )
        succession.setdefault("import", []).append(timed(import_links, before=empty_links))
        succession.setdefault("reimport", []).append(
            timed(lambda: plan_successions(read_successions(table, "b.csv")))
        )
    assert UnitSuccession.objects.count() == PAIRS

    print(f"PostgreSQL {connection.pg_version // 10000}, {REPEATS} runs, medians")
    med = {k: statistics.median(v) for k, v in succession.items()}
    base = med["floor"]
    print(f"\nsuccession table, {PAIRS:,} rows")
    print(f"floor: bulk_create of the matched links  {base * 1000:8.0f} ms")
    for key, label in [
        ("plan", "read + match + compare (preview)"),
        ("import", "import into an empty table (with history)"),
        ("reimport", "re-import (nothing written)"),
    ]:
        print(
            f"{label:41s} {med[key] * 1000:8.0f} ms  ratio {med[key] / base:5.1f}×  ({PAIRS / med[key]:,.0f} rows/s)"
        )

    # --- procedures ---------------------------------------------------------------------------------
    files = procedure_files()
    sheets = {name: read_procedures(xlsx, f"{name}.xlsx") for name, (xlsx, _csv) in files.items()}
    assert sum(len(s.rows) for s in sheets.values()) == PROCEDURES

    def empty_catalogue() -> None:
        sql(
            "TRUNCATE procedures_procedurechange, procedures_unitprocedure, procedures_sourcelisting, "
            "procedures_procedure, procedures_importbatch RESTART IDENTITY CASCADE"
        )

    copy_buffer = io.StringIO()
    writer = csv.writer(copy_buffer, quoting=csv.QUOTE_ALL)
    for sheet in sheets.values():
        for row in sheet.rows:
            writer.writerow(
                [
                    row.code,
                    row.name,
                    row.field,
                    row.ministry,
                    json.dumps(row.agencies, ensure_ascii=False),
                    json.dumps(row.levels),
                    row.online_level,
                    row.decisions,
                    row.status,
                    search_text_for(row.code, row.name),
                    "2026-01-01T00:00:00+00:00",
                    "",
                    row.ministry,
                ]
            )
    copy_data = copy_buffer.getvalue()

    def floor_copy() -> None:
        with connection.cursor() as cursor:
            cursor.copy_expert(
                "COPY procedures_procedure (code, name, field, ministry, agencies, levels, online_level, "
                "decisions, status, search_text, updated_at, local_name, source) FROM STDIN WITH (FORMAT csv)",
                io.StringIO(copy_data),
            )

    def import_all(kind: int) -> None:
        for name, contents in files.items():
            filename = f"{name}.{'xlsx' if kind == 0 else 'csv'}"
            plan = services.plan_import(read_procedures(contents[kind], filename), full_list=True)
            services.apply_import(plan, source_name=filename)

    def reimport_all() -> None:
        for name, (xlsx, _csv) in files.items():
            plan = services.plan_import(read_procedures(xlsx, f"{name}.xlsx"), full_list=True)
            assert not plan.has_changes and not plan.repealed

    catalogue: dict[str, list[float]] = {}
    for _ in range(REPEATS):
        catalogue.setdefault("floor", []).append(timed(floor_copy, before=empty_catalogue))
        catalogue.setdefault("csv", []).append(timed(lambda: import_all(1), before=empty_catalogue))
        catalogue.setdefault("xlsx", []).append(timed(lambda: import_all(0), before=empty_catalogue))
        catalogue.setdefault("reimport", []).append(timed(reimport_all))
        catalogue.setdefault("read", []).append(
            timed(lambda: [read_procedures(x, "b.xlsx") for x, _c in files.values()])
        )
    assert Procedure.objects.count() == PROCEDURES

    med = {k: statistics.median(v) for k, v in catalogue.items()}
    base = med["floor"]
    print(f"\nTTHC, {PROCEDURES:,} rows in two sources")
    print(f"floor: COPY of the parsed rows           {base * 1000:8.0f} ms")
    for key, label in [
        ("csv", "import both sources from CSV"),
        ("xlsx", "import both sources from .xlsx"),
        ("reimport", "re-import both .xlsx (nothing written)"),
        ("read", "read both .xlsx only"),
    ]:
        print(
            f"{label:41s} {med[key] * 1000:8.0f} ms  ratio {med[key] / base:5.1f}×  ({PROCEDURES / med[key]:,.0f} rows/s)"
        )


if __name__ == "__main__":
    main()
