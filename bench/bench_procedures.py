"""Benchmark: importing 10,000 procedures on PostgreSQL, against PostgreSQL COPY of the same rows.

Every figure is a ratio against a baseline measured in the same run, so it holds on a noisy,
shared machine. The workbook is generated in the national portal's export shape (title row,
header on row 2, several agencies per cell), 10,000 rows with unique codes.

* floor: `COPY procedures_procedure FROM STDIN` of the same rows, already parsed and folded
  (what the database costs, nothing else);
* import into an empty catalogue: plan (one query) + apply (bulk inserts, one change row each,
  the batch), from rows already read;
* the same from the .xlsx bytes (read with openpyxl, header found, cells cleaned) and from CSV;
* re-import of the same file (plan only, nothing written);
* search on 10,000 procedures: "dang ky khai sinh" without diacritics and a code prefix, against
  fetching one procedure by primary key.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_bench .venv/bin/python bench/bench_procedures.py

Target (issue 6): at least 5,000 rows/s. The database in DATABASE_URL is created if missing and
its catalogue emptied: never point it at real data.
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

ROWS = int(os.environ.get("BENCH_ROWS", "10000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
FIELDS = ["Hộ tịch", "Chứng thực", "Nuôi con nuôi", "Lý lịch tư pháp", "Quốc tịch", "Trợ giúp pháp lý"]
AGENCIES = ["Ủy ban nhân dân cấp xã", "Sở Tư pháp", "Ủy ban nhân dân cấp tỉnh", "Bộ Tư pháp", "Cục Hộ tịch"]
WORDS = [
    "đăng",
    "ký",
    "khai",
    "sinh",
    "kết",
    "hôn",
    "khai",
    "tử",
    "cấp",
    "bản",
    "sao",
    "trích",
    "lục",
    "chứng",
    "thực",
    "chữ",
    "ký",
    "hợp",
    "đồng",
    "giao",
    "dịch",
]


def workbook(rows: int) -> tuple[bytes, bytes]:
    """The portal's export shape as .xlsx, and the same rows as CSV."""
    import openpyxl

    rng = random.Random(6)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Danh sách TTHC"
    sheet.append(["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nDANH SÁCH THỦ TỤC HÀNH CHÍNH"])
    sheet.merge_cells("A1:E1")
    header = ["Mã số", "Tên", "Cơ quan ban hành", "Cơ quan thực hiện", "Lĩnh vực"]
    sheet.append(header)
    data = []
    for n in range(rows):
        name = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize() + f" {n}"
        agencies = "\n".join(rng.sample(AGENCIES, rng.randint(1, 3)))
        data.append([f"{1 + n % 3}.{n:06d}", f" {name} ", "Bộ Tư pháp", agencies, rng.choice(FIELDS)])
    for row in data:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(data)
    return out.getvalue(), text.getvalue().encode("utf-8-sig")


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

    call_command("migrate", verbosity=0)
    xlsx, csv_bytes = workbook(ROWS)
    sheet = read_procedures(xlsx, "bench.xlsx")
    assert len(sheet.rows) == ROWS and not any(r.errors for r in sheet.rows)

    def empty() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE procedures_procedurechange, procedures_unitprocedure, procedures_procedure, "
                "procedures_importbatch RESTART IDENTITY CASCADE"
            )

    copy_buffer = io.StringIO()
    copy_writer = csv.writer(copy_buffer, quoting=csv.QUOTE_ALL)  # "" is an empty string, not NULL
    for row in sheet.rows:
        copy_writer.writerow(
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
            ]
        )
    copy_data = copy_buffer.getvalue()

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.copy_expert(
                "COPY procedures_procedure (code, name, field, ministry, agencies, levels, online_level, "
                "decisions, status, search_text, updated_at, local_name, source) FROM STDIN WITH (FORMAT csv)",
                io.StringIO(copy_data),
            )

    def import_rows() -> None:
        plan = services.plan_import(sheet)
        services.apply_import(plan, source_name="bench.xlsx")

    def import_xlsx() -> None:
        plan = services.plan_import(read_procedures(xlsx, "bench.xlsx"))
        services.apply_import(plan, source_name="bench.xlsx")

    def import_csv() -> None:
        plan = services.plan_import(read_procedures(csv_bytes, "bench.csv"))
        services.apply_import(plan, source_name="bench.csv")

    def timed(fn, before=None) -> float:
        if before:
            before()
        gc.collect()
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    results: dict[str, list[float]] = {}
    for _ in range(REPEATS):
        results.setdefault("floor", []).append(timed(floor, before=empty))
        results.setdefault("rows", []).append(timed(import_rows, before=empty))
        results.setdefault("xlsx", []).append(timed(import_xlsx, before=empty))
        results.setdefault("csv", []).append(timed(import_csv, before=empty))
        results.setdefault("reimport", []).append(
            timed(lambda: services.plan_import(read_procedures(xlsx, "b.xlsx")))
        )
        results.setdefault("read", []).append(timed(lambda: read_procedures(xlsx, "b.xlsx")))
    assert Procedure.objects.count() == ROWS

    from cchc_portal.lib.vietnamese import fold

    def words(text: str):
        queryset = Procedure.objects.all()
        for word in fold(text).split():
            queryset = queryset.filter(search_text__contains=word)
        return list(queryset[:50])

    one = Procedure.objects.order_by("pk")[ROWS // 2].pk

    def query_time(fn) -> float:
        samples = []
        for _ in range(50):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    pk = query_time(lambda: list(Procedure.objects.filter(pk=one)))
    search = query_time(lambda: words("dang ky khai sinh"))
    prefix = query_time(lambda: list(Procedure.objects.filter(code__startswith="1.0011")[:50]))

    med = {k: statistics.median(v) for k, v in results.items()}
    base = med["floor"]
    print(f"PostgreSQL {connection.pg_version // 10000}, {ROWS:,} procedures, {REPEATS} runs, medians")
    print(f"floor: COPY of the parsed rows          {base * 1000:8.0f} ms  ({ROWS / base:,.0f} rows/s)")
    for key, label in [
        ("rows", "import from parsed rows (plan+apply)"),
        ("xlsx", "import from the .xlsx bytes"),
        ("csv", "import from the CSV bytes"),
        ("reimport", "re-import of the .xlsx (nothing written)"),
        ("read", "read the .xlsx only"),
    ]:
        print(
            f"{label:40s} {med[key] * 1000:8.0f} ms  ratio {med[key] / base:5.1f}×  ({ROWS / med[key]:,.0f} rows/s)"
        )
    print(f"pk lookup (baseline)                    {pk * 1e6:8.0f} µs")
    print(f"search 'dang ky khai sinh' (50 first)   {search * 1e6:8.0f} µs  ratio {search / pk:5.1f}×")
    print(f"code prefix '1.0011' (50 first)         {prefix * 1e6:8.0f} µs  ratio {prefix / pk:5.1f}×")


if __name__ == "__main__":
    main()
