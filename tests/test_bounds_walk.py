"""Property-based walk (issue 17): every URL of the permission matrix, as a persona allowed to
use it, sent hostile values in each of its form fields and query parameters.

The fields are found the way a user finds them: the matrix's GET pages are fetched and their
forms read (`<input name>`, `<textarea name>`, `<select name>`, with the values the page shows);
a form posting to a matrix URL gives that URL its fields, and the row's own data is added. Each
example keeps the form's values and replaces a few fields with a value drawn from NUL and other
control characters, 100,000-character strings, huge, negative and non-finite numbers, malformed
dates and wrong types. Every answer must be a 2xx, 3xx or 4xx (never a 5xx, never an exception);
a 4xx page says why in Vietnamese; a refused request writes nothing (the row counts of the main
models stay the same), and a GET never writes.

Examples per request kind: `HYPOTHESIS_PROFILE=ci` (the default, a few) or `thorough`:

    HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_bounds_walk.py
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_permission_matrix import FORBIDDEN, MATRIX, NOT_FOUND, Row, procedure_code, report_b

settings.register_profile(
    "ci",
    max_examples=2,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Who walks a row: someone the matrix lets through, the more specific the better.
PREFERRED = ["leader_a", "officer_b", "reviewer", "admin", "officer_a", "other_reviewer", "anonymous"]
# Fields every POST may carry whether or not a page shows them (raw reads in views).
COMMON_FIELDS = ["action", "reason", "lock_version", "next", "days", "code", "add_code", "q", "page"]
# Query parameters views read without a form on the page (request.GET.get in the views).
COMMON_QUERY = ["q", "page", "year", "unit", "parent", "phan", "chi_tiep_nhan", "path"]
SKIP_FIELDS = {"csrfmiddlewaretoken"}
VIETNAMESE = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")

CONTROL = st.sampled_from(
    ["\x00", "a\x00b", "\x1b[31m", "\x7f", "\x85", "\x0b", "\x08", "x\x1fy", "\r\n\x00"]
)
CONTROL_TEXT = st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=5)
LONG = st.sampled_from(["x" * 100_000, "ệ" * 100_000, "1" * 100_000, "a\n" * 50_000])
NUMBERS = st.sampled_from(
    [
        "1e400",
        "-1e400",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "-1",
        "-0",
        "99999999999999999999999",
        "9999999999,999",
        "9999999999.999",
        "1,5,5",
        "0x10",
        "1_000",
        "١٢",
        str(2**63),
        str(-(2**63) - 1),
    ]
)
DATES = st.sampled_from(
    [
        "2026-02-30",
        "31/13/2026",
        "0000-00-00",
        "9999-12-31",
        "10000-01-01",
        "2026-1-1T25:00",
        "-1",
        "01/01/0001",
    ]
)
WRONG_TYPES = st.sampled_from(
    ["abc", "[]", "{}", "true", "", " ", "None", "null", "1.5.5", "%00", "<b>x</b>"]
)
HOSTILE = CONTROL | CONTROL_TEXT | LONG | NUMBERS | DATES | WRONG_TYPES


# --- reading the pages' forms ------------------------------------------------------------------------------


@dataclass
class Form:
    method: str
    action: str  # a path
    values: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    """The forms of a page: method, action and each field with the value the page shows."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.forms: list[Form] = []
        self.loose: dict[str, str] = {}  # fields outside any form (htmx attributes post them)
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def _fields(self) -> dict[str, str]:
        return self._form.values if self._form is not None else self.loose

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(a.get("action") or a.get("hx-post") or self.path).path or self.path
            method = "post" if "hx-post" in a else (a.get("method") or "get").lower()
            self._form = Form(method, action)
            self.forms.append(self._form)
        elif tag == "input" and a.get("name") and a["name"] not in SKIP_FIELDS:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._fields().setdefault(a["name"], "")
            elif kind != "file":
                self._fields()[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._fields()[self._textarea] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._fields().setdefault(self._select, "")
        elif tag == "option" and self._select and ("selected" in a or not self._fields()[self._select]):
            self._fields()[self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._fields()[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def page_forms(path: str, html: str) -> _Forms:
    parser = _Forms(path)
    parser.feed(html)
    return parser


# --- the walk --------------------------------------------------------------------------------------------------


def persona_for(row: Row) -> str:
    allowed = [p for p in PREFERRED if row.expected.get(p) not in (FORBIDDEN, NOT_FOUND)]
    specific = [p for p in allowed if row.expected[p] != row.expected["anonymous"]]
    return (specific or allowed or ["anonymous"])[0]


@dataclass
class Target:
    """One request kind to fuzz: a method, a URL, a persona and the baseline values."""

    method: str
    url: str
    persona: str
    values: dict[str, str]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url} as {self.persona}"


def targets(as_persona, w) -> list[Target]:
    rows = {}
    for row in MATRIX:
        url = reverse(row.name, args=row.args(w))
        rows.setdefault((row.method, url), row)
    # The forms each allowed persona sees on the GET pages, by the URL they send to.
    sent_to: dict[tuple[str, str], dict[str, str]] = {}
    queries: dict[str, dict[str, str]] = {}
    for (method, url), row in rows.items():
        if method != "get":
            continue
        response = as_persona(persona_for(row)).get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parsed = page_forms(url, response.text)
        for form in parsed.forms:
            if form.method == "get":
                queries.setdefault(form.action, {}).update(form.values)
            else:
                sent_to.setdefault((form.method, form.action), {}).update(form.values)
        for path in {urlsplit(u).path for u in re.findall(r'hx-post="([^"]+)"', response.text)}:
            sent_to.setdefault(("post", path), {}).update(parsed.loose)
    out = []
    for (method, url), row in rows.items():
        persona = persona_for(row)
        if method == "get":
            out.append(Target("get", url, persona, dict.fromkeys(COMMON_QUERY, "") | queries.get(url, {})))
            if ("post", url) in sent_to:
                out.append(Target("post", url, persona, sent_to["post", url] | (row.data or {})))
        else:
            common = dict.fromkeys(COMMON_FIELDS, "")
            out.append(
                Target(method, url, persona, common | sent_to.get((method, url), {}) | (row.data or {}))
            )
    return out


def _report_a(w) -> str:
    """Commune A's own plan for the year before, issued, and its annual report reopened."""
    import datetime

    from plans import services as plans
    from reports import services as reports
    from reports.periods import Period
    from units.models import Role

    year = w.plan_a.year - 1  # closed, reopened below: open whatever the date
    plan = plans.create_plan(w.commune_a, year, by=w.leader_a)
    group = plans.group_for_role(plan, Role.objects.get(code="phong-van-hoa-xa-hoi"))
    plans.add_task(group, title="Tọa đàm CCHC")
    plans.set_reporting_rules(plan, {"annual": 20})
    plans.submit(plan, by=w.leader_a)
    plans.approve(plan, by=w.leader_a)
    plan = plans.issue(plan, by=w.leader_a, issued_on=datetime.date(year, 2, 1))
    report = reports.open_report(w.commune_a, Period(year, "annual"))
    report.reopened_until = datetime.date(2100, 1, 1)
    report.save()
    return reverse("reports:report", args=[w.commune_a.pk, report.period.code])


def _counts() -> dict[str, int]:
    from django.contrib.auth import get_user_model

    from documents.models import OutgoingDocument
    from plans.models import Plan, Section, SectionItem, Target, Task, TaskGroup
    from procedures.models import Procedure, UnitProcedure
    from reports.models import Entry, Evidence, Report, ReportEvent, TargetResult
    from units.models import Membership, Unit

    models = [Unit, Membership, get_user_model(), Plan, Section, SectionItem, TaskGroup, Task, Target]
    models += [Report, Entry, TargetResult, Evidence, ReportEvent, OutgoingDocument, Procedure, UnitProcedure]
    return {m.__name__: m.objects.count() for m in models}


def check(response, target: Target, sent: dict[str, str], before: dict[str, int]) -> None:
    where = f"{target} with { ({k: v[:40] for k, v in sent.items()})!r}"
    status = response.status_code
    assert status < 500, f"{status} for {where}"
    body = response.content.decode(errors="replace") if "html" in response.get("Content-Type", "") else ""
    if 400 <= status < 500 and body.strip():
        assert VIETNAMESE.search(body), f"{status} without a Vietnamese message for {where}"
    if status >= 400 or target.method == "get":
        after = _counts()
        assert after == before, f"{where} ({status}) changed rows: " + str(
            {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        )


def walk(as_persona, target: Target) -> None:
    fields = sorted(target.values) or ["q"]

    @PROFILE
    @given(chosen=st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique=True), data=st.data())
    def example(chosen: list[str], data) -> None:
        sent = dict(target.values)
        for name in chosen:
            sent[name] = data.draw(HOSTILE, label=name)
        headers = {"HX-Request": "true"} if data.draw(st.booleans(), label="htmx") else {}
        before = _counts()
        client = as_persona(target.persona)
        response = getattr(client, target.method)(target.url, sent, headers=headers)
        check(response, target, sent, before)

    example()


@pytest.mark.django_db
def test_every_url_answers_hostile_input_with_a_4xx_or_less(as_persona, plans_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = report_b(plans_world)
    procedure_code(w)
    walked = targets(as_persona, w)
    assert len(walked) >= len({(r.method, r.name) for r in MATRIX})
    for target in walked:
        walk(as_persona, target)
    # The unit's report (no persona compiles commune B's): commune A's plan issued, its annual
    # report opened, its narrative form fuzzed by its leader.
    url = _report_a(w)
    narrative = page_forms(url, as_persona("leader_a").get(url).text)
    values = next(f.values for f in narrative.forms if f.action == url and f.method == "post")
    assert "results" in values and "recipients" in values
    walk(as_persona, Target("post", url, "leader_a", values))
    # And after all that, the pages are still served.
    assert as_persona("officer_b").get(reverse("reports:index")).status_code == 200


def test_the_forms_of_a_page_are_read():
    html = """
      <form method="post" action="/a/?x=1"><input name="csrfmiddlewaretoken" value="t">
        <input name="title" value="T"><textarea name="text">Body</textarea>
        <select name="s"><option value="1">1</option><option value="2" selected>2</option></select>
        <input type="checkbox" name="c" value="1"><input type="file" name="f"></form>
      <form action="/b/"><input name="q"></form>
      <button hx-post="/c/" name="go">Go</button><input name="loose" value="L">
    """
    parsed = page_forms("/here/", html)
    post, get = parsed.forms
    assert (post.method, post.action) == ("post", "/a/")
    assert post.values == {"title": "T", "text": "Body", "s": "2", "c": ""}
    assert (get.method, get.action, get.values) == ("get", "/b/", {"q": ""})
    assert parsed.loose == {"loose": "L"}
