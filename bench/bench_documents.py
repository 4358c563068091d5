"""Benchmark: a six-page plan rendered (NĐ 30/2020) and signed twice (PAdES), on PostgreSQL.

Every figure is a ratio against a baseline measured in the same run, so it holds on a noisy,
shared machine. The baseline is bare WeasyPrint: `HTML(string=…).write_pdf()` of the very same
HTML, with no database work, no signature areas and no signing.

* render: `plans.pdf.render_plan_pdf` (load the plan, build the HTML, lay it out, find the
  signature areas);
* sign: two PAdES signatures, the leader's then the seal, both with images (`sign_pdf`);
* render + sign: the two together, as issuing does;
* issue end to end, in two acts: `plans.services.sign_as_leader` (render, the leader's
  signature) then `issue_by_clerk` (number, fields filled, the unit's signature, the strict
  judgement of the result, files stored), each run rolled back;
* verify: `verify_pdf` of the signed file, what the public verification page does.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_bench .venv/bin/python bench/bench_documents.py

Targets (issue 4): render + sign < 0.6 s and < 1.5× bare WeasyPrint.
The database named in DATABASE_URL is created if missing; everything is rolled back at the end.
"""

from __future__ import annotations

import atexit
import datetime
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cchc_portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cchc_bench")

REPEATS = int(os.environ.get("BENCH_REPEATS", "9"))


class Rollback(Exception):
    pass


def main() -> None:
    from bench_units import ensure_database

    ensure_database()
    import django

    django.setup()
    from asn1crypto import pem
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from weasyprint import HTML

    from conftest import build_world
    from demo import pki_services
    from demo.documents import give_demo_credential
    from documents import services
    from documents.signing import sign_pdf
    from documents.verification import verify_pdf
    from plans import services as plans
    from plans.pdf import plan_html, render_plan_pdf
    from plans.tests.test_pdf import build_long_plan

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="cchc-bench-")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)

    def timed(fn) -> float:
        gc.collect()  # each case starts from the same heap: no collection left over from another
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    # The DEMO PKI on 127.0.0.1 (OCSP, CRL; no TSA asked for: B-B as without CCHC_TSA_URL), so
    # verifying checks revocation live as the public page does.
    pki = pki_services.LocalPKI(Path(tempfile.mkdtemp(prefix="cchc-bench-pki-")))
    pki_services.install(pki)
    atexit.register(pki.stop)
    results: dict[str, list[float]] = {}
    with transaction.atomic():
        world = build_world()
        plan = build_long_plan(world.commune_a, 2027)  # six pages, as the target says
        leader = world.leader_a
        services.add_trusted_root(pem.armor("CERTIFICATE", pki.root.dump()), is_demo=True)
        give_demo_credential(pki, name=plan.signer_name, user=leader)
        give_demo_credential(pki, name=world.commune_a.full_name, unit=world.commune_a)
        plans.submit(plan, by=leader)
        plans.approve(plan, by=leader)

        html = plan_html(plan)
        rendered = render_plan_pdf(plan)
        signing_time = datetime.datetime.now(datetime.UTC)

        def signers(boxes):
            return [
                services.signer_for(
                    services.active_credential(user=leader),
                    boxes["person"],
                    field_name="ChuKyLanhDao",
                    display_name=plan.signer_name,
                    reason="Ký ban hành văn bản",
                    location="Tam Kỳ",
                ),
                services.signer_for(
                    services.active_credential(unit=world.commune_a),
                    boxes["organisation"],
                    field_name="ChuKyCoQuan",
                    display_name=world.commune_a.full_name,
                    reason="Đóng dấu cơ quan",
                    location="Tam Kỳ",
                ),
            ]

        def render_and_sign():
            out = render_plan_pdf(plan)
            return sign_pdf(out.pdf, signers(out.boxes), signing_time=signing_time)

        signed = render_and_sign()
        roots = services.trust_roots()
        assert verify_pdf(signed, roots).ok

        def issue():
            try:
                with transaction.atomic():
                    plans.sign_as_leader(plan, by=leader)
                    issued = plans.issue_by_clerk(plan, by=world.clerk_a)
                    assert issued.document.signed_sha256
                    raise Rollback
            except Rollback:
                pass

        cases = {
            "baseline: bare WeasyPrint write_pdf": lambda: HTML(string=html).write_pdf(),
            "plan_html (database + template only)": lambda: plan_html(plan),
            "render_plan_pdf": lambda: render_plan_pdf(plan),
            "sign twice (leader + seal, images)": lambda: sign_pdf(
                rendered.pdf, signers(rendered.boxes), signing_time=signing_time
            ),
            "render + sign": render_and_sign,
            "issue, two acts (leader, văn thư)": issue,
            "verify_pdf of the signed file": lambda: verify_pdf(signed, roots),
        }
        for fn in cases.values():  # warm up: fonts, templates, imports
            fn()
        for _ in range(REPEATS):
            for name, fn in cases.items():
                results.setdefault(name, []).append(timed(fn))
        transaction.set_rollback(True)

    med = {name: statistics.median(times) for name, times in results.items()}
    base = med["baseline: bare WeasyPrint write_pdf"]
    print(
        f"PostgreSQL {connection.pg_version // 10000}; plan of {rendered.page_count} pages, "
        f"{len(rendered.pdf) // 1024} KB unsigned, {len(signed) // 1024} KB signed; "
        f"{REPEATS} runs, medians"
    )
    for name, value in med.items():
        print(f"{name:40s} {value * 1000:7.0f} ms  ratio {value / base:4.2f}×")
    verdict = "met" if med["render + sign"] < 0.6 and med["render + sign"] / base < 1.5 else "NOT met"
    print(f"target render + sign < 600 ms and < 1.5× baseline: {verdict}")


if __name__ == "__main__":
    main()
