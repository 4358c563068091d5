"""Load test personas (locust): officers autosave progress and attach evidence, Sở Nội vụ reviewers
open the review and roll-up pages and accept reports, anonymous citizens verify a signed PDF.

Run through bench/load_test.py, which builds the database copy, starts gunicorn with the
production settings and writes the plan this file reads (CCHC_LOAD_PLAN, a JSON file):

    {"open_period": "2026-N", "review_period": "2026-Q3", "password": "…",
     "officers": [{"username": "cb.00004", "unit_id": 12}, …],
     "reviewers": [{"username": "snv.01", "unit_id": 1, "share": [0, 1]}, …],
     "verifiers": 5, "signed_pdf": "/tmp/…/signed.pdf", "records": "/tmp/…/records",
     "ca_file": "/tmp/…/tls.crt"}

Every virtual user takes its own account (officers their own commune), so no two of them write
the same entry: a 409 on autosave can only be a lost update and counts as a failure. Every write
the server acknowledged is appended to records/<pid>.jsonl for the runner to find in the
database afterwards. One locust process only (no --processes): the accounts are handed out by
counters in this process.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import struct
import uuid
import zlib
from html import unescape
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(Path(os.environ["CCHC_LOAD_PLAN"]).read_text())
WAIT = between(1, 3)  # an officer typing, a reviewer reading: seconds between actions, not minutes

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HX_CSRF = re.compile(r"&quot;X-CSRFToken&quot;: &quot;([^&]+)&quot;|\"X-CSRFToken\": \"([^\"]+)\"")
ENTRY_BLOCK = re.compile(r'<article class="card entry" id="entry-(\d+)"(.*?)</article>', re.S)
LOCK = re.compile(r'name="lock_version" id="lock-(\d+)" value="(\d+)"')
TARGET = re.compile(r'name="(target_\d+)" value="([^"]*)"')
# A period nobody has started: its page offers the button that starts it (a page never writes).
START_FORM = re.compile(r'<form method="post" action="(/bao-cao/\d+/[^/"]+/bat-dau/)"')
EVIDENCE_ITEM = re.compile(r'href="/bao-cao/tai-lieu/\d+/"|rel="noopener noreferrer"')
REVIEW_ROW = re.compile(
    r'<input type="checkbox" name="report" value="(\d+)".*?href="/bao-cao/(\d+)/[^/"]+/"', re.S
)
STATUSES = ["not_started", "in_progress", "in_progress", "done_on_time", "done_late", "overdue"]
MAX_EVIDENCE_PER_ENTRY = 30  # reports.services.MAX_EVIDENCE_PER_ENTRY: stay under it
SUCCESS_ACCEPT = "Đã tiếp nhận báo cáo của"
PDF_EVIDENCE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _png(width: int = 4, height: int = 4) -> bytes:
    """A tiny valid PNG (grey square), built by hand so the load generator needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG_EVIDENCE = _png()
_officers = itertools.count()
_reviewers = itertools.count()
_records: Any = None


def record(**fields: Any) -> None:
    """One acknowledged write, for the runner's lost-write check."""
    global _records
    if _records is None:
        folder = Path(PLAN["records"])
        folder.mkdir(parents=True, exist_ok=True)
        _records = (folder / f"{os.getpid()}.jsonl").open("a", encoding="utf-8")
    _records.write(json.dumps(fields) + "\n")
    _records.flush()


@events.quitting.add_listener
def _close_records(environment, **_kwargs) -> None:
    if _records is not None:
        _records.close()


def problem(response) -> str:
    """What went wrong, for the failure list: the status, or the connection error behind "HTTP 0"."""
    if not response.status_code:
        return f"no response: {response.error!r}"[:300]
    return f"HTTP {response.status_code}"


def narrative_for(token: str) -> str:
    return f"Đã phát 3 tin trên hệ thống truyền thanh cơ sở, treo 2 băng rôn tại trụ sở [{token}]"


class PortalUser(HttpUser):
    abstract = True
    wait_time = WAIT
    username = ""

    def on_start(self) -> None:
        # The runner's self-signed certificate for 127.0.0.1; without one, TLS is not checked.
        self.client.verify = PLAN.get("ca_file") or False
        self.client.headers["Origin"] = self.host  # what a browser sends with a POST
        if self.username:
            self.log_in()

    def log_in(self) -> None:
        page = self.client.get("/dang-nhap/", name="/dang-nhap/")
        token = CSRF_INPUT.search(page.text)
        with self.client.post(
            "/dang-nhap/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": self.username,
                "password": PLAN["password"],
            },
            headers={"Referer": f"{self.host}/dang-nhap/"},
            allow_redirects=False,
            catch_response=True,
            name="/dang-nhap/ POST",
        ) as response:
            if response.status_code != 302 or "sessionid" not in response.cookies:
                response.failure(f"login of {self.username} failed: {problem(response)}")
                raise StopUser
            response.success()
        self.client.get("/", name="/")

    def page(self, url: str, name: str, *, expect: str = "") -> str:
        """GET a page; anything but 200 (and the expected text) is a failure."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(problem(response))
                return ""
            if expect and expect not in response.text:
                response.failure(f"200 without {expect!r}")
                return ""
            response.success()
            return response.text


class Officer(PortalUser):
    """A commune officer (Phòng Văn hóa - Xã hội) filling in the open period's progress."""

    weight = 1  # every user that is not a fixed-count reviewer or verifier

    def on_start(self) -> None:
        index = next(_officers)
        if index >= len(PLAN["officers"]):
            raise StopUser  # more officers than the plan has communes for: never share one
        me = PLAN["officers"][index]
        self.username, self.unit_id = me["username"], me["unit_id"]
        self.entries_url = f"/bao-cao/{self.unit_id}/{PLAN['open_period']}/nhap/"
        self.entries: dict[int, dict[str, Any]] = {}
        self.csrf = ""
        super().on_start()
        self.open_entries()

    def start_report(self) -> None:
        """What the officer does on a period nobody has started: press "Bắt đầu nhập kết quả"."""
        page = self.client.get(self.entries_url, name="/bao-cao/[unit]/[period]/nhap/")
        start, token = START_FORM.search(page.text), CSRF_INPUT.search(page.text)
        if page.status_code == 200 and start and token:
            self.client.post(
                start.group(1),
                {"csrfmiddlewaretoken": token.group(1), "next": "entries"},
                headers={"Referer": f"{self.host}{self.entries_url}"},
                name="/bao-cao/[unit]/[period]/bat-dau/",
            )

    def open_entries(self) -> None:
        """The entry page; every version on it must be the last one this officer saved."""
        if not self.entries:
            self.start_report()
        with self.client.get(
            self.entries_url, name="/bao-cao/[unit]/[period]/nhap/", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(problem(response))
                return
            html = response.text
            header = HX_CSRF.search(html)
            self.csrf = unescape(next(g for g in header.groups() if g)) if header else ""
            seen: dict[int, dict[str, Any]] = {}
            for entry_id, block in ENTRY_BLOCK.findall(html):
                lock = LOCK.search(block)
                if lock is None:
                    continue  # not editable for this officer
                seen[int(entry_id)] = {
                    "version": int(lock.group(2)),
                    "targets": dict(TARGET.findall(block)),
                    "evidence": len(EVIDENCE_ITEM.findall(block)),
                }
            stale = [
                f"entry {pk}: page has version {seen[pk]['version']}, last saved {known['version']}"
                for pk, known in self.entries.items()
                if pk in seen and seen[pk]["version"] != known["version"]
            ]
            if not seen or not self.csrf or stale:
                response.failure("; ".join(stale) or "no editable entry on the page")
                return
            response.success()
            self.entries = seen

    def headers(self, entry_id: int, target: str) -> dict[str, str]:
        """What htmx sends with the autosave (base.html's hx-headers carry the CSRF token)."""
        return {
            "HX-Request": "true",
            "HX-Current-URL": f"{self.host}{self.entries_url}",
            "HX-Target": target,
            "X-CSRFToken": self.csrf,
            "Referer": f"{self.host}{self.entries_url}",
        }

    @task(12)
    def save_entry(self) -> None:
        if not self.entries:
            self.open_entries()
            return
        entry_id = random.choice(list(self.entries))
        entry = self.entries[entry_id]
        token = uuid.uuid4().hex
        status = random.choice(STATUSES)
        progress = 100 if status.startswith("done") else random.randint(0, 95)
        targets = dict(entry["targets"])
        if targets and random.random() < 0.5:
            targets[random.choice(list(targets))] = str(random.randint(0, 500))
        data = {
            "lock_version": str(entry["version"]),
            "status": status,
            "progress": str(progress),
            "narrative": narrative_for(token),
            **targets,
        }
        with self.client.post(
            f"/bao-cao/ket-qua/{entry_id}/",
            data=data,
            headers=self.headers(entry_id, f"save-state-{entry_id}"),
            name="/bao-cao/ket-qua/[entry]/ (autosave)",
            catch_response=True,
        ) as response:
            if response.status_code == 409:
                response.failure(
                    f"409 conflict on entry {entry_id} saved only by {self.username}: lost update"
                )
                return
            if response.status_code != 200:
                response.failure(f"{problem(response)}: {response.text[:200]!r}")
                return
            lock = LOCK.search(response.text)
            version = int(lock.group(2)) if lock else -1
            if version != entry["version"] + 1:
                response.failure(
                    f"entry {entry_id}: saved as version {version}, expected {entry['version'] + 1}"
                )
                return
            response.success()
        entry["version"], entry["targets"] = version, targets
        record(kind="save", entry_id=entry_id, version=version, token=token, user=self.username)

    @task(1)
    def upload_evidence(self) -> None:
        room = [pk for pk, e in self.entries.items() if e["evidence"] < MAX_EVIDENCE_PER_ENTRY - 1]
        if not room:
            return
        entry_id = random.choice(room)
        token = uuid.uuid4().hex
        name, content, mime = random.choice(
            [
                (f"anh-hoat-dong-{token}.png", PNG_EVIDENCE, "image/png"),
                (f"bien-ban-{token}.pdf", PDF_EVIDENCE, "application/pdf"),
            ]
        )
        with self.client.post(
            f"/bao-cao/ket-qua/{entry_id}/tai-lieu/",
            files={"file": (name, content, mime)},
            data={"url": ""},
            headers=self.headers(entry_id, f"evidence-{entry_id}"),
            name="/bao-cao/ket-qua/[entry]/tai-lieu/ (upload)",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or name not in response.text:
                response.failure(f"{problem(response)}: {response.text[:200]!r}")
                return
            response.success()
        self.entries[entry_id]["evidence"] += 1
        record(kind="evidence", entry_id=entry_id, name=name, size=len(content), user=self.username)

    @task(1)
    def reload_entries(self) -> None:
        self.open_entries()

    @task(1)
    def view_report(self) -> None:
        self.page(f"/bao-cao/{self.unit_id}/{PLAN['open_period']}/", "/bao-cao/[unit]/[period]/")


class Reviewer(PortalUser):
    """A Sở Nội vụ reviewer: who has (not) reported, the province's roll-up, accepting reports."""

    fixed_count = len(PLAN["reviewers"])

    def on_start(self) -> None:
        me = PLAN["reviewers"][next(_reviewers) % len(PLAN["reviewers"])]
        self.username, self.unit_id = me["username"], me["unit_id"]
        # Reviewers sharing a province take disjoint reports (pk mod count), so none accepts a
        # report another has just accepted.
        self.slice, self.slices = me["share"]
        super().on_start()

    @task(3)
    def overview_open_period(self) -> None:
        self.page(f"/theo-doi/{self.unit_id}/{PLAN['open_period']}/", "/theo-doi/[unit]/[period]/")

    @task(3)
    def rollup(self) -> None:
        period = random.choice([PLAN["review_period"], PLAN["open_period"]])
        self.page(f"/tong-hop/{self.unit_id}/{period}/", "/tong-hop/[unit]/[period]/")

    @task(2)
    def accept_a_report(self) -> None:
        overview = self.page(
            f"/theo-doi/{self.unit_id}/{PLAN['review_period']}/", "/theo-doi/[unit]/[period]/"
        )
        mine = [
            (int(report_id), int(unit_id))
            for report_id, unit_id in REVIEW_ROW.findall(overview)
            if int(report_id) % self.slices == self.slice
        ]
        if not mine:
            return  # nothing left to accept in this province
        report_id, unit_id = random.choice(mine)
        report_url = f"/bao-cao/{unit_id}/{PLAN['review_period']}/"
        page = self.page(report_url, "/bao-cao/[unit]/[period]/", expect='value="accept"')
        token = CSRF_INPUT.search(page)
        if token is None:
            return
        with self.client.post(
            f"/bao-cao/chuyen/{report_id}/",
            data={"csrfmiddlewaretoken": token.group(1), "action": "accept"},
            headers={"Referer": f"{self.host}{report_url}"},
            allow_redirects=False,
            catch_response=True,
            name="/bao-cao/chuyen/[report]/ (accept)",
        ) as response:
            if response.status_code != 302:
                response.failure(problem(response))
                return
            response.success()
        if self.page(report_url, "/bao-cao/[unit]/[period]/ (after accept)", expect=SUCCESS_ACCEPT):
            record(kind="accept", report_id=report_id, user=self.username)


class Verifier(PortalUser):
    """Anyone checking a signed document on the public verification page (no login)."""

    fixed_count = int(PLAN["verifiers"])
    signed_pdf = Path(PLAN["signed_pdf"]).read_bytes() if PLAN.get("signed_pdf") else b""

    @task
    def verify_signed_pdf(self) -> None:
        page = self.page("/xac-minh/", "/xac-minh/")
        token = CSRF_INPUT.search(page)
        if token is None:
            return
        with self.client.post(
            "/xac-minh/",
            data={"csrfmiddlewaretoken": token.group(1)},
            files={"file": ("ke-hoach-da-ky.pdf", self.signed_pdf, "application/pdf")},
            headers={"Referer": f"{self.host}/xac-minh/"},
            name="/xac-minh/ POST (signed PDF)",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(problem(response))
            elif "verdict-valid" not in response.text:
                verdict = re.search(r'class="card verdict ([^"]+)"', response.text)
                response.failure(
                    f"signed PDF not judged valid: {verdict.group(1) if verdict else 'no verdict'}"
                )
            else:
                response.success()
