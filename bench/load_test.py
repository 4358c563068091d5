"""Load test: gunicorn with the production settings on PostgreSQL, driven by locust personas
(bench/locustfile.py), then a check that no acknowledged write was lost.

    .venv/bin/python bench/load_test.py --users 50 --duration 3m --json var/load.json

Steps: copy the dataset (`CREATE DATABASE cchc_load TEMPLATE cchc_national`, so every run starts
from the same data), `migrate` and `collectstatic` as after an upgrade, a self-signed TLS certificate for 127.0.0.1, gunicorn on a
free loopback port with DJANGO_DEBUG=0 and fresh secrets, locust headless for the given users and
time, gunicorn stopped; then every autosave the server answered 200 must be in the entry's history
with its version, the last one must be the entry's narrative now, every acknowledged evidence
upload must be a row with its file on disk, every acknowledged acceptance an accepted report.

Prints requests/s and p50/p95/p99 per request type and in all, the failures and the lost writes,
writes them as JSON (--json) and exits 1 when anything failed or was lost. Everything listens on
and talks to 127.0.0.1 only; locust stops by itself after --duration (at most 15 minutes, at most
200 users). Variables already in the environment that the runner does not set (CACHE_URL,
DJANGO_SESSION_ENGINE, …) reach gunicorn, so the same run can measure another configuration.

gunicorn runs 2 × cores + 1 gthread workers with 2 threads each (--worker-class/--threads to
change): gunicorn terminates TLS itself here (no nginx in front), and a sync worker closes the
connection after every response, so each request would pay a full TLS handshake on the same two
cores that serve the app; gthread keeps connections alive as nginx would, and a second thread lets
a worker serve another request while one waits on PostgreSQL (row locks of the autosave).
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime
import json
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MAX_USERS = 200  # hard cap: a load test of this machine, not of anything else
MAX_SECONDS = 15 * 60
GUNICORN_TIMEOUT = 60  # as in docs/deployment.md
# Idle keep-alive connections are kept longer than a user's pause (1–3 s): with gunicorn's 2 s
# default the server closes a connection just as the client reuses it, and the request fails with
# "Remote end closed connection" (browsers retry those silently; a load client must not).
KEEP_ALIVE = 30
STOP_TIMEOUT = 30  # seconds locust lets each user finish its task (and record the write) at the end
TEMPLATE_WAIT = 120  # seconds to wait for other sessions to leave the template database
TOKEN = re.compile(r"\[([0-9a-f]{32})\]")
PERCENTILES = ("50%", "95%", "99%")


# --- arguments ------------------------------------------------------------------------------------


def seconds(text: str) -> int:
    """ "3m", "90s", "1m30s", "180" → seconds."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", text.strip())
    if not match or not text.strip():
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 3m, 90s, 1m30s)")
    hours, minutes, secs = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + secs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help=f"concurrent users (3–{MAX_USERS}; default 50)")
    parser.add_argument(
        "--duration", type=seconds, default=180, help="e.g. 3m, 90s (at most 15m; default 3m)"
    )
    parser.add_argument("--spawn-rate", type=float, default=2.0, help="users started per second (default 2)")
    parser.add_argument(
        "--template", default="cchc_national", help="database to copy (default cchc_national)"
    )
    parser.add_argument(
        "--database", default="cchc_load", help="the copy the run writes to (default cchc_load)"
    )
    parser.add_argument(
        "--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, without a database name"
    )
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn workers (2 × cores + 1)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (default gthread)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gthread worker (default 2)")
    parser.add_argument("--json", type=Path, help="write the summary here as JSON")
    parser.add_argument("--workdir", type=Path, help="logs, certificate, media (default: a new temp dir)")
    args = parser.parse_args(argv)
    if not 3 <= args.users <= MAX_USERS:
        parser.error(f"--users must be between 3 (one of each persona) and {MAX_USERS}")
    if not 1 <= args.duration <= MAX_SECONDS:
        parser.error(f"--duration must be between 1 s and {MAX_SECONDS // 60} minutes")
    if not re.fullmatch(r"postgres(ql)?://[^/@]*@?(127\.0\.0\.1|localhost)(:\d+)?/?", args.postgres):
        parser.error("--postgres must be a server on 127.0.0.1")
    return args


STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[load {time.monotonic() - STARTED:5.1f} s] {text}", flush=True)


# --- the database copy --------------------------------------------------------------------------


def copy_database(server: str, name: str, template: str) -> None:
    """A fresh `name` from `template` (PostgreSQL copies the files: seconds, not a dump and restore)."""
    import psycopg2
    from psycopg2 import errors, sql

    admin = psycopg2.connect(f"{server.rstrip('/')}/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            # Only this runner uses the copy: sessions left by an interrupted run are ended.
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            deadline = time.monotonic() + TEMPLATE_WAIT
            while True:
                try:
                    cursor.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                            sql.Identifier(name), sql.Identifier(template)
                        )
                    )
                    return
                except errors.ObjectInUse:
                    # Someone is connected to the template; their session is not ours to end.
                    if time.monotonic() > deadline:
                        cursor.execute(
                            "SELECT pid, usename, state, left(query, 80) FROM pg_stat_activity WHERE datname = %s",
                            [template],
                        )
                        raise SystemExit(
                            f"{template} is in use by other sessions for over {TEMPLATE_WAIT} s: "
                            f"{cursor.fetchall()}"
                        ) from None
                    time.sleep(2)
    finally:
        admin.close()


# --- set-up inside Django (the runner's own process, on the copy) -------------------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def choose_personas(users: int) -> dict[str, Any]:
    """Who logs in: distinct commune officers spread over the country, Sở Nội vụ reviewers, and the
    periods they work on (the one open today, the last one already due)."""
    from reports import services
    from reports.models import Report, ReportState
    from units.models import Membership

    reviewers_n = verifiers_n = max(1, round(users * 0.1))
    officers_n = users - reviewers_n - verifiers_n
    officers = list(
        Membership.objects.filter(user__username__startswith="cb.", role__code="phong-van-hoa-xa-hoi")
        .order_by("unit__path")
        .values_list("user__username", "unit_id")
    )
    if len(officers) < officers_n:
        raise SystemExit(
            f"the dataset has {len(officers)} commune officers, fewer than the {officers_n} needed"
        )
    picked = [officers[i * len(officers) // officers_n] for i in range(officers_n)]
    provinces = list(
        Membership.objects.filter(user__username__startswith="snv.")
        .order_by("unit__path")
        .values_list("user__username", "unit_id")
    )
    if not provinces:
        raise SystemExit("the dataset has no Sở Nội vụ reviewer (snv.<province>)")
    share = Counter(j % len(provinces) for j in range(reviewers_n))
    reviewers = [
        {
            "username": provinces[j % len(provinces)][0],
            "unit_id": provinces[j % len(provinces)][1],
            "share": [j // len(provinces), share[j % len(provinces)]],
        }
        for j in range(reviewers_n)
    ]
    commune = Membership.objects.select_related("unit").get(user__username=picked[0][0]).unit
    plan = services.plan_for(commune, services.today().year)
    if plan is None:
        raise SystemExit(f"{commune} has no issued plan for {services.today().year}")
    # As bench_dataset has it: the period whose deadline is still ahead is open (drafts), the
    # last one whose deadline has passed is submitted (some reports still awaiting review).
    states = {period: services.window(plan, period).state for period in services.periods_for(plan)}
    open_ = [period for period, state in states.items() if state == "open"]
    due = [period for period, state in states.items() if state in ("late", "closed")]
    if not open_ or not due:
        raise SystemExit(f"no period open or none already due today: {states}")
    open_period, review = open_[0], due[-1]
    awaiting = Report.objects.filter(
        year=review.year, period_kind=review.kind, period_number=review.number, state=ReportState.SUBMITTED
    ).count()
    return {
        "open_period": open_period.code,
        "review_period": review.code,
        "awaiting_review": awaiting,
        "officers": [{"username": u, "unit_id": unit} for u, unit in picked],
        "reviewers": reviewers,
        "verifiers": verifiers_n,
    }


SIGNED_HTML = """<!doctype html><html lang="vi"><head><style>
@page { size: A4; margin: 20mm 20mm 20mm 30mm } body { font-family: Tinos; font-size: 14pt }
#sig-person { width: 60mm; height: 24mm } #sig-organisation { width: 30mm; height: 30mm }
</style></head><body>
<p>KẾ HOẠCH tuyên truyền cải cách hành chính năm 2026 (bản kiểm thử tải, DEMO).</p>
<div id="sig-person"></div><div id="sig-organisation"></div>
</body></html>"""


def make_signed_pdf(path: Path, pki) -> None:
    """A plan-like PDF signed by a person and a body with DEMO certificates of `pki` (a running
    demo.pki_services.LocalPKI, whose OCSP answers while the load runs), whose root the copy
    trusts: what a citizen would upload to the verification page, checked all the way, revocation
    included."""
    from asn1crypto import pem

    from cchc_portal.lib.documents import render_pdf
    from documents.services import add_trusted_root
    from documents.signing import SignerSpec, sign_pdf

    rendered = render_pdf(SIGNED_HTML)
    add_trusted_root(pem.armor("CERTIFICATE", pki.root.dump()), is_demo=True)
    signers = []
    for which, name, field in (
        ("person", "Nguyễn Văn Kiểm", "ChuKyLanhDao"),
        ("organisation", "UBND PHƯỜNG KIỂM THỬ", "ChuKyCoQuan"),
    ):
        cert = pki.certificate(name, "Cổng CCHC", person=which == "person")
        signers.append(
            SignerSpec(
                key_der=cert.key_der,
                certificate=cert.certificate,
                chain=list(cert.chain),
                display_name=name,
                image_png=None,
                box=rendered.boxes[which],
                field_name=field,
                reason="Ký ban hành văn bản",
            )
        )
    path.write_bytes(sign_pdf(rendered.pdf, signers, signing_time=datetime.datetime.now(datetime.UTC)))


def make_tls_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (P-256: cheap handshakes), valid for two days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    crt, pem_key = folder / "tls.crt", folder / "tls.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem_key.touch(mode=0o600)
    pem_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return crt, pem_key


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, ca_file: Path, server: subprocess.Popen, timeout: float = 60) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode} before answering (see its log)")
        try:
            with urllib.request.urlopen(f"{url}/healthz/", context=context, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url}/healthz/ did not answer within {timeout:.0f} s")
        time.sleep(0.25)


def stop(process: subprocess.Popen, grace: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- CPU share of the server, the database and the load generator ---------------------------------


class CpuMeter:
    """CPU seconds of gunicorn (master and workers), PostgreSQL (the copy's backends and the server's
    own processes) and locust, sampled every 2 s while the load runs; a share of the whole machine
    (100% = every core busy)."""

    def __init__(self, gunicorn_pid: int, database: str) -> None:
        try:
            import psutil  # comes with locust
        except ImportError:  # pragma: no cover - locust is a dev dependency
            psutil = None
        self.psutil, self.gunicorn_pid, self.database = psutil, gunicorn_pid, database
        self.locust_pid: int | None = None
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.started = time.monotonic()
        self.machine: Any = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _processes(self) -> list[tuple[str, Any]]:
        ps = self.psutil
        found = []
        for group, pid in (("gunicorn", self.gunicorn_pid), ("locust", self.locust_pid)):
            try:
                process = ps.Process(pid) if pid else None
                if process is not None:
                    found += [(group, p) for p in [process, *process.children(recursive=True)]]
            except ps.Error:
                pass  # not started yet, or gone
        # Backends carry their database in the title ("postgres: 15/main: postgres cchc_load
        # 127.0.0.1(…)"), parallel workers their leader's pid; backends of other databases are
        # someone else's work on this machine. The server's own processes count as ours.
        titles = {
            process: " ".join(process.info["cmdline"] or [])
            for process in ps.process_iter(["name", "cmdline"])
            if process.info["name"] == "postgres"
        }
        ours = {p.pid for p, title in titles.items() if f" {self.database} " in title}
        for process, title in titles.items():
            leader = re.search(r"parallel worker for PID (\d+)", title)
            if leader:
                mine = int(leader.group(1)) in ours
            else:
                mine = process.pid in ours or not ("(" in title or "[local]" in title)
            if mine:
                found.append(("postgres", process))
        return found

    def sample(self, *, baseline: bool = False) -> None:
        for group, process in self._processes():
            try:
                times = process.cpu_times()
            except self.psutil.Error:
                continue
            key, used = (group, process.pid), times.user + times.system
            if baseline:
                self.first[key] = used
            self.first.setdefault(key, 0.0)
            self.last[key] = used

    def _run(self) -> None:
        while not self.done.wait(2):
            self.sample()

    def start(self) -> None:
        if self.psutil:
            self.machine = self.psutil.cpu_times()
            self.sample(baseline=True)
            self.started = time.monotonic()
            self.thread.start()

    def finish(self) -> dict[str, float]:
        if not self.psutil:
            return {}
        self.done.set()
        self.thread.join()
        self.sample()
        wall = (time.monotonic() - self.started) * (os.cpu_count() or 1)
        used: dict[str, float] = defaultdict(float)
        for key, last in self.last.items():
            used[key[0]] += last - self.first[key]
        shares = {f"{group}_pct": round(100 * total / wall, 1) for group, total in sorted(used.items())}
        # The whole machine too: anything else running at the same time (a test suite…) shows
        # here as the difference, and makes the latencies above worse than the server alone.
        before, after = self.machine, self.psutil.cpu_times()
        total = sum(after) - sum(before)
        idle = (after.idle + after.iowait) - (before.idle + before.iowait)
        shares["machine_busy_pct"] = round(100 * (1 - idle / total), 1) if total else 0.0
        shares["others_pct"] = round(
            shares["machine_busy_pct"] - sum(100 * t / wall for t in used.values()), 1
        )
        return shares


# --- results ------------------------------------------------------------------------------------------


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def read_stats(prefix: Path) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict], list[dict]]:
    rows = []
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "method": row["Type"],
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": round(_number(row["Requests/s"]), 2),
                    "avg_ms": round(_number(row["Average Response Time"])),
                    "max_ms": round(_number(row["Max Response Time"])),
                    **{f"p{p[:-1]}_ms": round(_number(row[p])) for p in PERCENTILES},
                }
            )
    aggregated = next(r for r in rows if r["name"] == "Aggregated")
    rows = [r for r in rows if r["name"] != "Aggregated"]
    with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as handle:
        failures = [
            {
                "method": r["Method"],
                "name": r["Name"],
                "error": r["Error"],
                "occurrences": int(r["Occurrences"]),
            }
            for r in csv.DictReader(handle)
        ]
    with open(f"{prefix}_exceptions.csv", newline="", encoding="utf-8") as handle:
        exceptions = [
            {"count": int(r["Count"]), "message": r["Message"], "traceback": r["Traceback"][-1500:]}
            for r in csv.DictReader(handle)
        ]
    return rows, aggregated, failures, exceptions


def read_records(folder: Path) -> dict[str, list[dict]]:
    records: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                records[record["kind"]].append(record)
    return records


def check_writes(records: dict[str, list[dict]], media_root: Path) -> dict[str, Any]:
    """Every acknowledged write is in the database: the autosaves in the entries' history (version
    and token) and the last one as the entry's narrative; evidence rows with their files; the
    accepted reports accepted by whoever accepted them."""
    from reports.models import Entry, Evidence, Report, ReportState

    lost: list[str] = []
    unacknowledged = 0
    saves = records.get("save", [])
    entry_ids = {r["entry_id"] for r in saves}
    history = {
        (pk, version): narrative
        for pk, version, narrative in Entry.history.filter(id__in=entry_ids).values_list(
            "id", "lock_version", "narrative"
        )
    }
    last: dict[int, dict] = {}
    for r in saves:
        narrative = history.get((r["entry_id"], r["version"]))
        if narrative is None or r["token"] not in narrative:
            lost.append(
                f"entry {r['entry_id']} v{r['version']} ({r['user']}): token {r['token']} not in history"
            )
        if r["version"] > last.get(r["entry_id"], {"version": -1})["version"]:
            last[r["entry_id"]] = r
    for entry in Entry.objects.filter(pk__in=last).only("pk", "lock_version", "narrative"):
        acked = last[entry.pk]
        now = TOKEN.search(entry.narrative)
        if now and now.group(1) == acked["token"] and entry.lock_version == acked["version"]:
            continue
        if entry.lock_version > acked["version"]:
            # A later save committed but its answer never arrived (the run ended mid-request):
            # nothing acknowledged is lost as long as the history above holds the acknowledged one.
            unacknowledged += 1
            continue
        lost.append(
            f"entry {entry.pk}: now v{entry.lock_version} {entry.narrative[-40:]!r}, "
            f"last acknowledged v{acked['version']} token {acked['token']}"
        )
    evidence = records.get("evidence", [])
    stored = {
        (e.entry_id, e.name): e
        for e in Evidence.objects.filter(entry_id__in={r["entry_id"] for r in evidence}).exclude(file="")
    }
    for r in evidence:
        row = stored.get((r["entry_id"], r["name"]))
        path = media_root / row.file.name if row else None
        if row is None or path is None or not path.is_file() or path.stat().st_size != r["size"]:
            lost.append(f"evidence {r['name']} on entry {r['entry_id']}: {'no file' if row else 'no row'}")
    accepts = records.get("accept", [])
    accepted = dict(
        Report.objects.filter(
            pk__in=[r["report_id"] for r in accepts], state=ReportState.ACCEPTED
        ).values_list("pk", "accepted_by__username")
    )
    for r in accepts:
        if accepted.get(r["report_id"]) != r["user"]:
            lost.append(f"report {r['report_id']}: acceptance by {r['user']} not recorded")
    return {
        "acknowledged": {"saves": len(saves), "evidence": len(evidence), "accepts": len(accepts)},
        "entries_written": len(last),
        "lost_writes": len(lost),
        "lost_write_details": lost[:50],
        "unacknowledged_later_saves": unacknowledged,
    }


def read_server_log(log: Path, access_log: Path) -> dict[str, Any]:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    lines = text.splitlines()
    tracebacks = []
    for start, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            end = next(
                (i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "")), len(lines) - 1
            )
            tracebacks.append("\n".join(lines[max(0, start - 1) : end + 1]))
    statuses: Counter[str] = Counter()
    if access_log.exists():
        for line in access_log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = re.search(r'" (\d{3}) ', line)
            if match:
                statuses[match.group(1)] += 1
    return {
        "statuses": dict(sorted(statuses.items())),
        "tracebacks": len(tracebacks),
        "first_tracebacks": [t[-3000:] for t in tracebacks[:3]],
        "worker_timeouts": text.count("WORKER TIMEOUT"),
    }


def print_summary(summary: dict[str, Any]) -> None:
    print()
    print(
        f"{summary['users']} users, {summary['duration_s']} s, gunicorn {summary['gunicorn']['workers']} × "
        f"{summary['gunicorn']['worker_class']} ({summary['gunicorn']['threads']} threads), "
        f"database {summary['database']} (copy of {summary['template']})"
    )
    header = f"{'request':<52} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}  ms"
    print(header)
    print("-" * len(header))
    for row in [*summary["requests"], {**summary["aggregated"], "method": "", "name": "Aggregated"}]:
        label = f"{row['method']} {row['name']}".strip()[:52]
        print(
            f"{label:<52} {row['requests']:>7} {row['failures']:>5} {row['rps']:>7.2f} "
            f"{row['p50_ms']:>6} {row['p95_ms']:>6} {row['p99_ms']:>6}"
        )
    writes = summary["writes"]
    print(
        f"\nacknowledged writes: {writes['acknowledged']} on {writes['entries_written']} entries; "
        f"lost writes: {writes['lost_writes']}; failures: {summary['aggregated']['failures']}; "
        f"locust exceptions: {sum(e['count'] for e in summary['exceptions'])}"
    )
    for failure in summary["failures"][:10]:
        print(
            f"  failure ×{failure['occurrences']}: {failure['method']} {failure['name']}: {failure['error']}"
        )
    for line in writes["lost_write_details"][:10]:
        print(f"  lost: {line}")
    server = summary["server"]
    print(f"server: statuses {server['statuses']}, tracebacks {server['tracebacks']}, cpu {summary['cpu']}")
    print(f"logs: {summary['workdir']}")
    print("RESULT:", "OK" if summary["ok"] else "FAILED")


# --- the run --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cchc-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    media = workdir / "media"
    media.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "CCHC_SIGNING_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "consolemail://",
        "DATABASE_URL": f"{args.postgres.rstrip('/')}/{args.database}",
        "CCHC_MEDIA_ROOT": str(media),
        "PYTHONUNBUFFERED": "1",
    }
    env["DJANGO_SETTINGS_MODULE"] = "cchc_portal.settings"
    env.pop("DATABASE_REPLICA_URL", None)  # one database: the copy
    say(f"work directory {workdir}")
    started = time.monotonic()
    copy_database(args.postgres, args.database, args.template)
    say(f"{args.database} copied from {args.template} ({time.monotonic() - started:.1f} s)")
    # As after an upgrade: the dataset may predate the code's latest migrations.
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
    say("migrate and collectstatic done")
    django_setup(env)
    from demo.national import BENCH_PASSWORD

    plan = choose_personas(args.users)
    from demo.pki_services import LocalPKI

    pki = LocalPKI(workdir / "demo-pki").start()  # OCSP for the verifiers' checks, until the end
    make_signed_pdf(workdir / "signed.pdf", pki)
    from django.db import connections

    connections.close_all()  # nothing of ours holds the copy while the load runs
    ca_file, key_file = make_tls_certificate(workdir)
    plan |= {
        "password": BENCH_PASSWORD,
        "signed_pdf": str(workdir / "signed.pdf"),
        "records": str(workdir / "records"),
        "ca_file": str(ca_file),
    }
    (workdir / "plan.json").write_text(json.dumps(plan, indent=1, ensure_ascii=False), encoding="utf-8")
    say(
        f"personas: {len(plan['officers'])} officers, {len(plan['reviewers'])} reviewers, "
        f"{plan['verifiers']} verifiers; open period {plan['open_period']}, review {plan['review_period']} "
        f"({plan['awaiting_review']} reports awaiting review)"
    )

    port = free_port()
    url = f"https://127.0.0.1:{port}"
    gunicorn_cmd = [
        str(BIN / "gunicorn"),
        "cchc_portal.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--timeout",
        str(GUNICORN_TIMEOUT),
        "--keep-alive",
        str(KEEP_ALIVE),
        "--certfile",
        str(ca_file),
        "--keyfile",
        str(key_file),
        "--access-logfile",
        str(workdir / "access.log"),
    ]
    log = (workdir / "gunicorn.log").open("wb")
    server = subprocess.Popen(gunicorn_cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    locust_cmd = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        str(STOP_TIMEOUT),
        "--host",
        url,
        "--csv",
        str(workdir / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    try:
        wait_healthy(url, ca_file, server)
        say(f"gunicorn on {url}: {args.workers} {args.worker_class} workers × {args.threads} threads")
        meter = CpuMeter(server.pid, args.database)
        meter.start()
        say(f"locust: {args.users} users for {args.duration} s (spawn {args.spawn_rate}/s)")
        with (workdir / "locust.log").open("wb") as locust_log:
            load = subprocess.Popen(
                locust_cmd,
                cwd=ROOT,
                env={**os.environ, "CCHC_LOAD_PLAN": str(workdir / "plan.json")},
                stdout=locust_log,
                stderr=subprocess.STDOUT,
            )
            meter.locust_pid = load.pid
            try:
                load.wait(args.duration + STOP_TIMEOUT + 60)
            except subprocess.TimeoutExpired:
                stop(load, grace=10)
                say("locust did not stop by itself and was stopped")
        cpu = meter.finish()
    finally:
        stop(server)
        log.close()
        pki.stop()
    say(f"gunicorn stopped; locust exited with {load.returncode}")

    requests_, aggregated, failures, exceptions = read_stats(workdir / "locust")
    writes = check_writes(read_records(workdir / "records"), media)
    connections.close_all()
    server_log = read_server_log(workdir / "gunicorn.log", workdir / "access.log")
    summary = {
        "command": " ".join([Path(sys.executable).name, "bench/load_test.py", *(argv or sys.argv[1:])]),
        "users": args.users,
        "duration_s": args.duration,
        "spawn_rate": args.spawn_rate,
        "database": args.database,
        "template": args.template,
        "gunicorn": {
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads,
            "timeout": GUNICORN_TIMEOUT,
            "keep_alive": KEEP_ALIVE,
            "cores": os.cpu_count(),
        },
        "personas": {
            "officers": len(plan["officers"]),
            "reviewers": len(plan["reviewers"]),
            "verifiers": plan["verifiers"],
        },
        "periods": {"open": plan["open_period"], "review": plan["review_period"]},
        "aggregated": aggregated,
        "requests": requests_,
        "failures": failures,
        "exceptions": exceptions,
        "writes": writes,
        "server": server_log,
        "cpu": cpu,
        "workdir": str(workdir),
    }
    summary["ok"] = bool(
        aggregated["requests"]
        and not aggregated["failures"]
        and not exceptions
        and writes["acknowledged"]["saves"]
        and not writes["lost_writes"]
    )
    print_summary(summary)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
