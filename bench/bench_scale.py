"""Benchmark: the portal's pages on the national dataset, and how the roll-up grows.

Runs against the national dataset (`manage.py bench_dataset`, demo/national.py), which it
builds first when the database has none, with the PRODUCTION settings (DEBUG off, manifest static
files, secure cookies: requests are made as HTTPS), in process with Django's test client, so what
is timed is the whole request through every middleware, session and template, without a network.

Every figure is compared with a floor measured in the same run, interleaved with it: a view that
renders the same base layout (header, menu, user, messages) for the same logged-in user with no
data work. Each case is timed `BENCH_ROUNDS` times (default 60), rounds interleaved across cases so
that a noisy neighbour slows them all alike; p50 and p95 are reported, and the ratio of p50s.

    createdb -h 127.0.0.1 -U postgres cchc_national   # once; the script builds the data (~2 min)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_national .venv/bin/python bench/bench_scale.py

Cases: the province roll-up and the "who has not reported" page of the largest province, the
national overview, an officer's entry page and an autosave, PDF render + sign of a commune plan of
the dataset, a 10,000-row catalogue re-import; then the roll-up with the largest province's
communes doubled and quadrupled (synthetic communes with the same plans and reports, rolled back).
The dataset is left as it was: writes are made inside transactions that are rolled back, except
the autosave, which commits as it does in use and whose entry is put back after each run (untimed).
"""

from __future__ import annotations

import datetime
import gc
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cchc_portal.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cchc_national")
# Production settings: what the servers run.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("CCHC_SIGNING_KEY", "YmVuY2gtb25seS1zaWduaW5nLWtleS0zMi1ieXRlcyE=")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("EMAIL_URL", "consolemail://")

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "60"))
TODAY = datetime.date.fromisoformat(os.environ.get("BENCH_TODAY", "2026-11-21"))
CLOSED_PERIOD = os.environ.get("BENCH_PERIOD", f"{TODAY.year}-Q3")


class Rollback(Exception):
    pass


def count_queries(fn) -> int:
    """How many SQL statements `fn` sends (counted at the cursor, whatever DEBUG says)."""
    from django.db import connection

    sent = []

    def count(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        fn()
    return len(sent)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    from bench_units import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from demo import national
    from plans.models import Plan
    from reports import services
    from reports.models import Entry, Report, ReportState, TargetResult
    from units.models import Level, Unit, User

    call_command("migrate", verbosity=0)
    if not Plan.objects.filter(year=TODAY.year).exists():
        print("Building the national dataset (bench_dataset)…", flush=True)
        # The dataset is demo code: the command refuses without DEBUG, the benchmark's own database
        # is the one place where building it under production settings is wanted.
        with override_settings(DEBUG=True):
            call_command("bench_dataset", today=TODAY)
    call_command("collectstatic", interactive=False, verbosity=0)
    services.today = lambda: TODAY  # the dataset's "today": the annual period is open
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    provinces = Unit.objects.filter(depth=1, kind__level=Level.PROVINCE)
    largest = max(provinces, key=lambda p: p.numchild)
    communes = Unit.objects.filter(path__startswith=largest.path, depth=2).count()
    commune = (
        Unit.objects.filter(
            path__startswith=largest.path,
            reports__year=TODAY.year,
            reports__period_kind="annual",
            reports__state=ReportState.DRAFT,
        )
        .order_by("path")
        .first()
    )
    report = Report.objects.get(unit=commune, year=TODAY.year, period_kind="annual")
    officer_entry = Entry.objects.filter(
        report=report, task__group__lead_role__code="phong-van-hoa-xa-hoi"
    ).first()
    totals = {
        "communes": Unit.objects.filter(depth=2).count(),
        "reports": Report.objects.count(),
        "entries": Entry.objects.count(),
    }
    print(
        f"Dataset: {totals['communes']} communes, {totals['reports']} reports, {totals['entries']} entries; "
        f"largest province {largest.full_name} ({communes} communes)",
        flush=True,
    )

    def client(username: str) -> Client:
        c = Client()
        c.force_login(User.objects.get(username=username))
        return c

    reviewer = client(f"snv.{largest.code}")
    officer = client(f"cb.{commune.code}")
    nation = client(national.NATIONAL_USER)

    def get(c: Client, url: str):
        def run():
            response = c.get(url, secure=True)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return run

    def autosave():
        entry = Entry.objects.get(pk=officer_entry.pk)
        data = {
            "lock_version": entry.lock_version,
            "status": "in_progress",
            "progress": "40",
            "narrative": f"Đã phát 3 chuyên mục trên hệ thống truyền thanh ({time.perf_counter_ns()}).",
        }
        for target in entry.task.targets.all():
            data[f"target_{target.pk}"] = "5"
        response = officer.post(f"/bao-cao/ket-qua/{entry.pk}/", data, secure=True, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.content[:500]

    # The autosave commits, as it does in use; after each run (untimed) the entry is put back as
    # it was, so that the benchmark leaves the dataset as it found it.
    saved_entry = Entry.objects.filter(pk=officer_entry.pk).values().get()
    saved_results = {
        r["id"]: r["achieved"] for r in TargetResult.objects.filter(entry=officer_entry).values()
    }
    last_history = (
        Entry.history.filter(id=officer_entry.pk)
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )

    def restore_entry():
        Entry.objects.filter(pk=officer_entry.pk).update(**saved_entry)
        results = TargetResult.objects.filter(entry=officer_entry)
        results.exclude(pk__in=saved_results).delete()
        for pk, achieved in saved_results.items():
            results.filter(pk=pk).update(achieved=achieved)
        Entry.history.filter(id=officer_entry.pk, history_id__gt=last_history or 0).delete()

    cases = {
        "floor (base layout, no data work)": get(reviewer, "/__floor__/"),
        f"province roll-up, {CLOSED_PERIOD} ({communes} communes)": get(
            reviewer, f"/tong-hop/{largest.pk}/{CLOSED_PERIOD}/"
        ),
        f"who has not reported, {CLOSED_PERIOD} ({communes} communes)": get(
            reviewer, f"/theo-doi/{largest.pk}/{CLOSED_PERIOD}/"
        ),
        f"national overview, {CLOSED_PERIOD} (34 provinces)": get(nation, f"/toan-quoc/{CLOSED_PERIOD}/"),
        "officer's entry page (annual report, 25 tasks)": get(
            officer, f"/bao-cao/{commune.pk}/{TODAY.year}-N/nhap/"
        ),
        "autosave of one entry": autosave,
    }
    afterwards = {"autosave of one entry": restore_entry}
    results: dict[str, dict] = {}
    with override_settings(ROOT_URLCONF="floor_urls"):
        for name, fn in cases.items():  # warm up, and count queries
            fn()
            afterwards.get(name, lambda: None)()
            results[name] = {"queries": count_queries(fn), "times": []}
            afterwards.get(name, lambda: None)()
        for _round in range(ROUNDS):
            for name, fn in cases.items():
                gc.collect()
                start = time.perf_counter()
                fn()
                results[name]["times"].append((time.perf_counter() - start) * 1000)
                afterwards.get(name, lambda: None)()
    floor = statistics.median(results["floor (base layout, no data work)"]["times"])
    print(f"\n{'case':<62} {'p50 ms':>8} {'p95 ms':>8} {'× floor':>8} {'queries':>8}")
    report_rows = {}
    for name, data in results.items():
        p50, p95 = statistics.median(data["times"]), percentile(data["times"], 0.95)
        report_rows[name] = {"p50": p50, "p95": p95, "ratio": p50 / floor, "queries": data["queries"]}
        print(f"{name:<62} {p50:8.1f} {p95:8.1f} {p50 / floor:8.2f} {data['queries']:8d}")

    growth = grow_rollup(largest, communes, reviewer, get, floor)
    heavy = heavy_cases(commune)
    out = ROOT / "var" / "bench_scale.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"pages": report_rows, "growth": growth, "heavy": heavy, "totals": totals}, indent=2)
    )
    print(f"\nFigures written to {out.relative_to(ROOT)}")


def grow_rollup(largest, communes: int, reviewer, get, floor: float) -> list[dict]:
    """The roll-up of the largest province with its communes ×1, ×2, ×4: synthetic communes with
    the same plan (cascaded from the province's) and a full year of reports, rolled back after."""
    import random

    from django.db import connection, transaction
    from django.test.utils import override_settings

    from demo import national
    from plans.models import Plan
    from units.models import Unit, User

    kind = Unit.objects.filter(path__startswith=largest.path, depth=2).first().kind
    province_plan = Plan.objects.get(unit=largest, year=TODAY.year)
    above = national.plan_rows(province_plan)
    reviewer_user = User.objects.get(username=f"snv.{largest.code}")
    ctx = national.Context.load(TODAY.year, TODAY)
    rows = []
    print(
        f"\n{'roll-up of ' + largest.full_name:<40} {'communes':>9} {'p50 ms':>8} {'p95 ms':>8} {'ms/commune':>11} {'queries':>8}"
    )
    try:
        with transaction.atomic():
            added = 0
            for factor in (1, 2, 4):
                want = communes * factor - communes - added
                if want:
                    new_units = []
                    for n in range(want):
                        serial = added + n
                        new_units.append(
                            Unit.objects.add_child(
                                largest,
                                {
                                    "code": f"X{serial:05d}",
                                    "name": f"Tổng hợp {serial}",
                                    "full_name": f"Xã Tổng hợp {serial}",
                                    "kind": kind,
                                    "valid_from": datetime.date(2025, 7, 1),
                                },
                            )
                        )
                    national.add_communes(
                        ctx,
                        largest,
                        province_plan,
                        above,
                        new_units,
                        reviewer=reviewer_user,
                        rng=random.Random(f"grow-{factor}"),
                    )
                    added += want
                    if connection.vendor == "postgresql":
                        with connection.cursor() as cursor:
                            cursor.execute("ANALYZE")
                fn = get(reviewer, f"/tong-hop/{largest.pk}/{CLOSED_PERIOD}/")
                with override_settings(ROOT_URLCONF="floor_urls"):
                    fn()
                    queries = count_queries(fn)
                    times = []
                    for _round in range(max(10, ROUNDS // 2)):
                        gc.collect()
                        start = time.perf_counter()
                        fn()
                        times.append((time.perf_counter() - start) * 1000)
                total = communes * factor
                p50, p95 = statistics.median(times), percentile(times, 0.95)
                rows.append({"factor": factor, "communes": total, "p50": p50, "p95": p95, "queries": queries})
                print(
                    f"{'×' + str(factor):<40} {total:9d} {p50:8.1f} {p95:8.1f} {(p50 - floor) / total:11.3f} {queries:8d}"
                )
            raise Rollback
    except Rollback:
        pass
    return rows


def heavy_cases(commune) -> dict:
    """PDF render + sign of a commune plan of the dataset, and a 10,000-row catalogue re-import,
    each against its own floor (bare WeasyPrint of the same HTML; COPY of the same rows)."""
    import io

    from django.db import connection, transaction
    from weasyprint import HTML

    from demo.documents import add_demo_credential, trusted_demo_ca
    from documents import services
    from documents.signing import sign_pdf
    from plans.models import Plan
    from plans.pdf import plan_html, render_plan_pdf
    from procedures import services as procedure_services
    from procedures.models import Procedure
    from procedures.reading import ProcedureRow, Sheet
    from units.models import User

    out: dict[str, dict] = {}

    def timed(fn, repeats: int) -> list[float]:
        fn()
        times = []
        for _ in range(repeats):
            gc.collect()
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        return times

    try:
        with transaction.atomic():
            plan = Plan.objects.get(unit=commune, year=TODAY.year)
            leader = User.objects.get(username=f"ct.{commune.code}")
            ca = trusted_demo_ca()
            add_demo_credential(ca, name=plan.signer_name, user=leader)
            add_demo_credential(ca, name=commune.full_name, unit=commune)
            html = plan_html(plan)
            signing_time = datetime.datetime.now(datetime.UTC)

            def render_and_sign():
                rendered = render_plan_pdf(plan)
                return sign_pdf(
                    rendered.pdf,
                    [
                        services.signer_for(
                            services.active_credential(user=leader),
                            rendered.boxes["person"],
                            field_name="ChuKyLanhDao",
                            display_name=plan.signer_name,
                            reason="Ký ban hành văn bản",
                            location=commune.name,
                        ),
                        services.signer_for(
                            services.active_credential(unit=commune),
                            rendered.boxes["organisation"],
                            field_name="ChuKyCoQuan",
                            display_name=commune.full_name,
                            reason="Đóng dấu cơ quan",
                            location=commune.name,
                        ),
                    ],
                    signing_time=signing_time,
                )

            bare, signed = [], []
            for _ in range(5):  # interleaved
                bare += timed(lambda: HTML(string=html).write_pdf(), 1)
                signed += timed(render_and_sign, 1)
            out["pdf render + sign (commune plan of the dataset)"] = {
                "p50": statistics.median(signed),
                "floor": statistics.median(bare),
                "ratio": statistics.median(signed) / statistics.median(bare),
            }

            # Re-import of the 10,000-row catalogue with one row in ten renamed.
            existing = list(
                Procedure.objects.order_by("code").values_list(
                    "code", "name", "field", "ministry", "agencies"
                )
            )
            rows = [
                ProcedureRow(
                    line=n + 2,
                    code=code,
                    name=name + (" (sửa đổi)" if n % 10 == 0 else ""),
                    field=field,
                    ministry=ministry,
                    agencies=agencies,
                )
                for n, (code, name, field, ministry, agencies) in enumerate(existing)
            ]
            sheet = Sheet(shape="portal", sheet_name="TTHC", header_row=1, columns={}, rows=rows, warnings=[])
            copy_data = "".join(f'"{r.code}","{r.name}"\n' for r in rows)

            def reimport():
                with transaction.atomic():
                    plan_ = procedure_services.plan_import(sheet, full_list=False)
                    procedure_services.apply_import(plan_, source_name="bench_scale")
                    transaction.set_rollback(True)

            def copy_floor():
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("CREATE TEMP TABLE floor_copy (code text, name text) ON COMMIT DROP")
                    cursor.copy_expert("COPY floor_copy FROM STDIN WITH (FORMAT csv)", io.StringIO(copy_data))
                    cursor.execute("DROP TABLE floor_copy")

            if connection.vendor == "postgresql" and rows:
                floor_t, import_t = [], []
                for _ in range(3):
                    floor_t += timed(copy_floor, 1)
                    import_t += timed(reimport, 1)
                out[f"catalogue re-import, {len(rows)} rows, {len(rows) // 10} changed"] = {
                    "p50": statistics.median(import_t),
                    "floor": statistics.median(floor_t),
                    "ratio": statistics.median(import_t) / statistics.median(floor_t),
                    "rows_per_s": len(rows) / (statistics.median(import_t) / 1000),
                }
            raise Rollback
    except Rollback:
        pass
    print(f"\n{'heavy case':<62} {'p50 ms':>8} {'floor ms':>9} {'ratio':>6}")
    for name, row in out.items():
        print(f"{name:<62} {row['p50']:8.1f} {row['floor']:9.1f} {row['ratio']:6.2f}")
    return out


if __name__ == "__main__":
    main()
