"""Every URL × every persona, with the status each must get.

A URL with no row here fails `test_every_url_has_a_row`: a new view cannot ship without deciding
who may reach it. Outsiders of a unit get 404 (the unit does not exist for them), members
without the capability 403, anonymous users the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import PERSONAS

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
# Namespaces whose own guards are tested by their authors (Django's admin requires staff);
# the admin views this project adds are listed in the matrix below.
SKIPPED_NAMESPACES = {"admin"}


@dataclass
class Row:
    name: str
    expected: dict[str, int]
    args: Callable = lambda w: []
    method: str = "get"
    data: dict | None = None


def everyone(status: int, anonymous: int = REDIRECT) -> dict[str, int]:
    return {p: status for p in PERSONAS if p != "anonymous"} | {"anonymous": anonymous}


def only(allowed: set[str], denied: int = NOT_FOUND, status: int = OK) -> dict[str, int]:
    return {p: status if p in allowed else denied for p in PERSONAS if p != "anonymous"} | {
        "anonymous": REDIRECT
    }


# The city's vice-chair (approve_sign at Đà Nẵng only) sees the whole city: its units, plans and
# listings, but none of the communes' report work, which is for those who do or review it.
COMMUNE_A_VIEWERS = {"officer_a", "leader_a", "reviewer", "vice_chair", "admin"}
ALL_IN_DANANG = {"officer_a", "officer_b", "leader_a", "reviewer", "vice_chair", "admin"}


def editors_of(allowed: set[str], viewers: set[str], status: int = OK) -> dict[str, int]:
    """Allowed personas get `status`; other viewers 403 (they see it, may not act); the rest 404."""
    out = {p: status if p in allowed else FORBIDDEN if p in viewers else NOT_FOUND for p in PERSONAS}
    return out | {"anonymous": REDIRECT}


PROVINCE_VIEWERS = {"reviewer", "admin"}
# Who sees the province at all (its reviewing pages answer 403 to the others of them).
PROVINCE_MEMBERS = PROVINCE_VIEWERS | {"vice_chair"}
OTHER_PROVINCE_VIEWERS = {"other_reviewer", "admin"}


def report_b(w):
    """Commune B's plan cascaded and issued, its annual report open (kept open whatever the
    date), with an evidence file: built once per test, on first use."""
    if not hasattr(w, "report_b"):
        import datetime

        from django.core.files.base import ContentFile

        from plans.models import Task, TaskGroup
        from reports import services as reports
        from reports.models import Entry, Evidence
        from reports.periods import Period
        from reports.tests.conftest import cascade
        from units.models import Role

        cascade(w.commune_b, w.province_plan, rules={"annual": 20, "half_year": 20})
        report = reports.open_report(w.commune_b, Period(w.province_plan.year, "annual"))
        report.reopened_until = datetime.date(2100, 1, 1)
        report.save()
        entry = report.entries.first()
        evidence = Evidence(entry=entry, name="anh.png", size=3, content_type="image/png")
        evidence.file.save("anh.png", ContentFile(b"png"), save=True)
        w.report_b, w.entry_b, w.evidence_b = report, entry, evidence
        # A task led by the one-stop centre, not the culture officer's: its entry and evidence are
        # on the office's pages, not on his.
        centre = Role.objects.get(code="trung-tam-phuc-vu-hcc")
        group = TaskGroup.objects.create(plan=report.plan, heading="Trung tâm", lead_role=centre, position=9)
        task = Task.objects.create(plan=report.plan, group=group, title="Niêm yết TTHC tại Trung tâm")
        other = Evidence(entry=Entry.objects.create(report=report, task=task), name="bang.pdf", size=3)
        other.file.save("bang.pdf", ContentFile(b"pdf"), save=True)
        w.evidence_other_role_b = other
        w.period_b = report.period.code
        # A period of the same plan that nobody has started: its pages create nothing.
        w.unstarted_b = Period(w.province_plan.year, "half_year", 1).code
    return w


def issued_report_b(w) -> int:
    """Commune B's annual report (report_b), issued as a signed document: its document's id."""
    if not hasattr(w, "issued_report_b"):
        import datetime

        from django.core.files.base import ContentFile

        from documents.models import DocumentType, OutgoingDocument

        report = report_b(w).report_b
        document = OutgoingDocument(
            unit=w.commune_b,
            document_type=DocumentType.REPORT,
            symbol="BC-UBND",
            subject="Báo cáo 6 tháng cuối năm",
            state=OutgoingDocument.State.ISSUED,
            year=w.province_plan.year,
            number=900,  # past the plans' numbers
            issued_on=datetime.date(w.province_plan.year, 12, 20),
        )
        document.signed_pdf.save("bc.pdf", ContentFile(b"%PDF-1.7 signed"), save=True)
        report.document = document
        report.save(update_fields=["document"])
        w.issued_report_b = document.pk
    return w.issued_report_b


def procedure_code(w):
    """A commune-level procedure of the catalogue (created on first use): its code."""
    if not hasattr(w, "procedure_code"):
        from procedures.models import Procedure
        from procedures.search import search_text_for

        code, name = "1.001193", "Đăng ký khai sinh"
        Procedure.objects.create(
            code=code, name=name, field="Hộ tịch", levels=["xa"], search_text=search_text_for(code, name)
        )
        w.procedure_code = code
    return w.procedure_code


ENTRY_DATA = {"status": "in_progress", "progress": "10", "narrative": "Đang làm", "lock_version": "1"}
COMMUNE_B_VIEWERS = {"officer_b", "reviewer", "admin"}
# Who sees commune B at all: its report pages answer 403 to the vice-chair.
COMMUNE_B_SEERS = COMMUNE_B_VIEWERS | {"vice_chair"}

MATRIX = [
    Row("home", everyone(OK)),
    Row("login", everyone(REDIRECT, anonymous=OK)),
    Row("logout", everyone(REDIRECT, anonymous=REDIRECT), method="post"),
    Row("password_change", everyone(OK)),
    Row("password_change_done", everyone(OK)),
    Row("healthz", everyone(OK, anonymous=OK)),
    Row("audit_log", only({"admin"}, denied=FORBIDDEN)),
    Row("units:directory", everyone(OK)),
    Row("units:detail", only(COMMUNE_A_VIEWERS), lambda w: [w.commune_a.pk]),
    Row("units:detail", only(COMMUNE_B_SEERS), lambda w: [w.commune_b.pk]),
    Row("units:detail", only(PROVINCE_MEMBERS), lambda w: [w.danang.pk]),
    Row("units:detail", only(OTHER_PROVINCE_VIEWERS), lambda w: [w.commune_c.pk]),
    Row("units:detail", only(set()), lambda w: [999999]),
    Row("units:history", only(COMMUNE_A_VIEWERS), lambda w: [w.commune_a.pk]),
    Row("units:history", only(OTHER_PROVINCE_VIEWERS), lambda w: [w.quangngai.pk]),
    # Plans. Commune A's draft plan: seen by its members and the province above; edited only
    # with manage_plans at commune A (the leader), never by the province reviewer or the admin.
    Row("plans:list", everyone(OK)),
    Row("plans:create", only({"leader_a", "reviewer", "other_reviewer"}, denied=FORBIDDEN)),
    Row("plans:detail", only(COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk]),
    Row("plans:detail", only(ALL_IN_DANANG), lambda w: [w.province_plan.pk]),
    Row("plans:history", only(COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk]),
    Row("plans:export", only(COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk]),
    Row("plans:upstream", only(COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk]),
    Row("plans:cascade", editors_of(PROVINCE_VIEWERS, ALL_IN_DANANG), lambda w: [w.province_plan.pk]),
    Row(
        "plans:cascade_task",
        editors_of(PROVINCE_VIEWERS, ALL_IN_DANANG),
        lambda w: [w.province_plan.pk, w.province_task.pk],
    ),
    Row(
        "plans:transition",
        editors_of({"leader_a"}, COMMUNE_A_VIEWERS, REDIRECT),
        lambda w: [w.plan_a.pk],
        "post",
        {"action": "submit"},
    ),
    Row("plans:edit", editors_of({"leader_a"}, COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk]),
    Row("plans:header", editors_of({"leader_a"}, COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk]),
    Row("plans:rules", editors_of({"leader_a"}, COMMUNE_A_VIEWERS, REDIRECT), lambda w: [w.plan_a.pk]),
    Row("plans:import", editors_of({"leader_a"}, COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk]),
    Row(
        "plans:section",
        editors_of({"leader_a"}, COMMUNE_A_VIEWERS),
        lambda w: [w.plan_a.pk, w.plan_a_section.pk],
    ),
    Row(
        "plans:item_add",
        editors_of({"leader_a"}, COMMUNE_A_VIEWERS),
        lambda w: [w.plan_a.pk, w.plan_a_section.pk],
    ),
    Row("plans:item", editors_of({"leader_a"}, COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk, w.plan_a_item.pk]),
    Row(
        "plans:item_change",
        editors_of({"leader_a"}, COMMUNE_A_VIEWERS, REDIRECT),
        lambda w: [w.plan_a.pk, w.plan_a_item.pk],
        "post",
        {"direction": "1"},
    ),
    Row("plans:group_add", editors_of({"leader_a"}, COMMUNE_A_VIEWERS, REDIRECT), lambda w: [w.plan_a.pk]),
    Row(
        "plans:group", editors_of({"leader_a"}, COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk, w.plan_a_group.pk]
    ),
    Row(
        "plans:group_change",
        editors_of({"leader_a"}, COMMUNE_A_VIEWERS, REDIRECT),
        lambda w: [w.plan_a.pk, w.plan_a_group.pk],
        "post",
        {"direction": "1"},
    ),
    Row(
        "plans:task_add",
        editors_of({"leader_a"}, COMMUNE_A_VIEWERS),
        lambda w: [w.plan_a.pk, w.plan_a_group.pk],
    ),
    Row("plans:task", editors_of({"leader_a"}, COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk, w.plan_a_task.pk]),
    Row(
        "plans:task_change",
        editors_of({"leader_a"}, COMMUNE_A_VIEWERS, REDIRECT),
        lambda w: [w.plan_a.pk, w.plan_a_task.pk],
        "post",
        {"direction": "1"},
    ),
    Row(
        "plans:task_assign",
        editors_of({"leader_a"}, COMMUNE_A_VIEWERS, REDIRECT),
        lambda w: [w.plan_a.pk, w.plan_a_task.pk],
    ),
    # A province plan is never editable from a commune, even by its leader.
    Row("plans:edit", editors_of({"reviewer"}, ALL_IN_DANANG, REDIRECT), lambda w: [w.province_plan.pk]),
    Row("plans:pdf", only(COMMUNE_A_VIEWERS), lambda w: [w.plan_a.pk]),
    # The signed PDF from a USB token: the leader's (approve-and-sign at the plan's unit) or,
    # once numbered, the văn thư's; the office that drafts the plan may not (Đà Nẵng's leader is
    # the vice-chair).
    Row(
        "plans:upload_signed",
        editors_of({"vice_chair"}, ALL_IN_DANANG, REDIRECT),
        lambda w: [w.province_plan.pk],
        "post",
    ),
    # Documents. A unit's register: its office and leaders, and the reviewers above.
    Row(
        "documents:register",
        editors_of({"leader_a", "reviewer", "admin"}, COMMUNE_A_VIEWERS),
        lambda w: [w.commune_a.pk],
    ),
    Row(
        "documents:register_export",
        editors_of({"leader_a", "reviewer", "admin"}, COMMUNE_A_VIEWERS),
        lambda w: [w.commune_a.pk],
    ),
    # The province plan's document (numbered, not yet signed): only the province sees it here;
    # its office and its leader (the vice-chair) take part in signing it.
    Row("documents:download", editors_of(set(), PROVINCE_MEMBERS), lambda w: [w.province_plan.document_id]),
    Row(
        "documents:working",
        editors_of({"reviewer", "vice_chair"}, PROVINCE_MEMBERS, REDIRECT),
        lambda w: [w.province_plan.document_id],
    ),
    # Commune B's issued report: its file follows the report's page (those who work on or review
    # the report; the vice-chair, who sees the commune but neither, gets 403), and its signing
    # steps' files those who sign reports there (nobody among the personas).
    Row("documents:download", editors_of(COMMUNE_B_VIEWERS, COMMUNE_B_SEERS), lambda w: [issued_report_b(w)]),
    Row("documents:working", editors_of(set(), COMMUNE_B_SEERS), lambda w: [issued_report_b(w)]),
    # Verification is public: anyone may check a document.
    Row("documents:verify", everyone(OK, anonymous=OK)),
    Row(
        "documents:verify_code",
        everyone(OK, anonymous=OK),
        lambda w: [w.province_plan.document.public_code],
    ),
    Row(
        "documents:public_download",
        everyone(FORBIDDEN, anonymous=FORBIDDEN),
        lambda w: [w.province_plan.document.public_code],
    ),
    Row("admin:documents_signingcredential_upload", only({"admin"}, denied=REDIRECT)),
    # Reports of commune B: its officer enters; the province reviews; commune A never sees them.
    Row("reports:index", everyone(OK)),
    Row(
        "reports:entries",
        editors_of(COMMUNE_B_VIEWERS, COMMUNE_B_SEERS),
        lambda w: [w.commune_b.pk, report_b(w).period_b],
    ),
    Row(
        "reports:report",
        editors_of(COMMUNE_B_VIEWERS, COMMUNE_B_SEERS),
        lambda w: [w.commune_b.pk, report_b(w).period_b],
    ),
    Row(
        "reports:pdf",
        editors_of(COMMUNE_B_VIEWERS, COMMUNE_B_SEERS),
        lambda w: [w.commune_b.pk, report_b(w).period_b],
    ),
    Row(
        "reports:entries",
        editors_of(COMMUNE_B_VIEWERS, COMMUNE_B_SEERS),
        lambda w: [w.commune_b.pk, report_b(w).unstarted_b],
    ),
    Row(
        "reports:report",
        editors_of(COMMUNE_B_VIEWERS, COMMUNE_B_SEERS),
        lambda w: [w.commune_b.pk, report_b(w).unstarted_b],
    ),
    Row(
        "reports:pdf",
        editors_of(COMMUNE_B_VIEWERS, COMMUNE_B_SEERS),
        lambda w: [w.commune_b.pk, report_b(w).unstarted_b],
    ),
    # Starting a period's report is an act of those who work on it (never of a page view).
    Row(
        "reports:start",
        editors_of({"officer_b"}, COMMUNE_B_SEERS, REDIRECT),
        lambda w: [w.commune_b.pk, report_b(w).unstarted_b],
        "post",
        {"next": "entries"},
    ),
    Row(
        "reports:upload_signed",
        editors_of(set(), COMMUNE_B_SEERS, REDIRECT),
        lambda w: [report_b(w).report_b.pk],
        "post",
    ),
    Row(
        "reports:entry_save",
        editors_of({"officer_b"}, COMMUNE_B_SEERS),
        lambda w: [report_b(w).entry_b.pk],
        "post",
        ENTRY_DATA,
    ),
    Row(
        "reports:evidence_add",
        editors_of({"officer_b"}, COMMUNE_B_SEERS, 422),  # no file given: the form says so
        lambda w: [report_b(w).entry_b.pk],
        "post",
    ),
    Row(
        "reports:evidence_file",
        editors_of(COMMUNE_B_VIEWERS, COMMUNE_B_SEERS),
        lambda w: [report_b(w).evidence_b.pk],
    ),
    # Evidence of a task the culture officer does not work on: not on his pages, so not his.
    Row(
        "reports:evidence_file",
        editors_of({"reviewer", "admin"}, COMMUNE_B_SEERS),
        lambda w: [report_b(w).evidence_other_role_b.pk],
    ),
    Row(
        "reports:evidence_delete",
        editors_of({"officer_b"}, COMMUNE_B_SEERS),
        lambda w: [report_b(w).evidence_b.pk],
        "post",
    ),
    Row(
        "reports:transition",
        editors_of({"reviewer", "admin"}, COMMUNE_B_SEERS, REDIRECT),
        lambda w: [report_b(w).report_b.pk],
        "post",
        {"action": "accept"},
    ),
    Row(
        "reports:overview",
        editors_of(PROVINCE_VIEWERS, PROVINCE_MEMBERS),
        lambda w: [w.danang.pk, report_b(w).period_b],
    ),
    Row(
        "reports:bulk_accept",
        editors_of(PROVINCE_VIEWERS, PROVINCE_MEMBERS, REDIRECT),
        lambda w: [w.danang.pk, report_b(w).period_b],
        "post",
    ),
    # No `unit` posted: a reviewer is sent back to the overview with a message, others 404.
    Row(
        "reports:remind",
        editors_of(PROVINCE_VIEWERS, PROVINCE_MEMBERS, REDIRECT),
        lambda w: [w.danang.pk, report_b(w).period_b],
        "post",
    ),
    Row(
        "reports:rollup",
        editors_of(PROVINCE_VIEWERS, PROVINCE_MEMBERS),
        lambda w: [w.danang.pk, report_b(w).period_b],
    ),
    Row(
        "reports:rollup_export",
        editors_of(PROVINCE_VIEWERS, PROVINCE_MEMBERS),
        lambda w: [w.danang.pk, report_b(w).period_b],
    ),
    Row(
        "reports:scores",
        editors_of(PROVINCE_VIEWERS, PROVINCE_MEMBERS),
        lambda w: [w.danang.pk, report_b(w).period_b],
    ),
    # The province's own report is drafted by its office (the Sở Nội vụ officer compiles).
    Row(
        "reports:compose",
        editors_of({"reviewer"}, PROVINCE_MEMBERS, REDIRECT),
        lambda w: [w.danang.pk, report_b(w).period_b],
        "post",
    ),
    # "Cập nhật số liệu" on the province's own report: whoever composes it (none started here:
    # sent back to the report with a message; the confirmation without a preview is refused).
    Row(
        "reports:refresh",
        editors_of({"reviewer"}, PROVINCE_MEMBERS, REDIRECT),
        lambda w: [w.danang.pk, report_b(w).period_b],
    ),
    Row(
        "reports:refresh",
        editors_of({"reviewer"}, PROVINCE_MEMBERS, REDIRECT),
        lambda w: [w.danang.pk, report_b(w).period_b],
        "post",
    ),
    Row("reports:overview", only(OTHER_PROVINCE_VIEWERS), lambda w: [w.quangngai.pk, "2026-N"]),
    Row("reports:report", only(set()), lambda w: [w.commune_b.pk, "2026-Q9"]),
    # Procedures. The catalogue is read by everyone logged in; a unit's listing by whoever sees
    # the unit, and set by those running its plans or reports (the leader) or administering it.
    # The national overview: Bộ Nội vụ (a permission, granted in the admin) and admins only.
    Row("reports:national", only({"admin"}, denied=FORBIDDEN), lambda w: ["2026-Q3"]),
    Row("reports:national_now", only({"admin"}, denied=FORBIDDEN, status=REDIRECT)),
    Row("procedures:list", everyone(OK)),
    Row("procedures:detail", everyone(OK), lambda w: [procedure_code(w)]),
    Row("procedures:detail", only(set()), lambda w: ["9.999999"]),
    Row("procedures:unit", only(COMMUNE_A_VIEWERS), lambda w: [w.commune_a.pk]),
    Row(
        "procedures:unit",
        editors_of({"leader_a", "admin"}, COMMUNE_A_VIEWERS, REDIRECT),
        lambda w: [w.commune_a.pk],
        "post",
        {"action": "mark_centre_today", "code": "1.001193"},
    ),
    Row(
        "procedures:unit_row",
        editors_of({"leader_a", "admin"}, COMMUNE_A_VIEWERS),
        lambda w: [w.commune_a.pk, procedure_code(w)],
        "post",
        {"listed_at_centre": "2026-01-15"},
    ),
    Row("procedures:listing", only(COMMUNE_A_VIEWERS), lambda w: [w.commune_a.pk]),
    Row("procedures:listing_pdf", only(COMMUNE_A_VIEWERS), lambda w: [w.commune_a.pk]),
    Row("admin:index", only({"admin"}, denied=REDIRECT)),
    Row("admin:units_unit_import", only({"admin"}, denied=REDIRECT)),
]


def url_names(patterns=None, namespace: str | None = None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            if ns in SKIPPED_NAMESPACES:
                continue
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from url_names(pattern.url_patterns, full)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_has_a_row():
    missing = set(url_names()) - {row.name for row in MATRIX}
    assert not missing, f"URLs without a row in the permission matrix: {sorted(missing)}"


CASES = [(row, persona) for row in MATRIX for persona in PERSONAS]


@pytest.mark.parametrize(
    ("row", "persona"), CASES, ids=[f"{row.name}{i}-{persona}" for i, (row, persona) in enumerate(CASES)]
)
def test_the_matrix(as_persona, plans_world, row: Row, persona: str):
    client = as_persona(persona)
    url = reverse(row.name, args=row.args(plans_world))
    response = getattr(client, row.method)(url, row.data or {})
    assert response.status_code == row.expected[persona], f"{row.method.upper()} {url} as {persona}"
    if response.status_code == REDIRECT and persona == "anonymous" and row.name not in {"logout"}:
        assert "/dang-nhap/" in response["Location"] or "/quan-tri/login/" in response["Location"]


# --- a page never writes -----------------------------------------------------------------------------

GET_ROWS = [row for row in MATRIX if row.method == "get"]
# Sessions change with any request that logs in or carries a message; they are not data.
NOT_DATA = {"django_session"}


def _row_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(set(connection.introspection.table_names()) - NOT_DATA):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def test_no_page_writes_anything(as_persona, plans_world):
    """Every GET of the matrix, as every persona: the number of rows of every table stays the
    same (a report is created when someone starts it, never by opening its page)."""
    w = report_b(plans_world)
    urls = [reverse(row.name, args=row.args(w)) for row in GET_ROWS]
    for persona in PERSONAS:
        client = as_persona(persona)
        before = _row_counts()
        for url in urls:
            client.get(url)
        after = _row_counts()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        assert not changed, f"GETs as {persona} changed row counts: {changed}"


def test_starting_a_report_is_what_creates_it(as_persona, plans_world):
    from reports.models import Report
    from reports.periods import Period

    w = report_b(plans_world)
    period = Period.from_code(w.unstarted_b)
    client = as_persona("officer_b")
    page = client.get(reverse("reports:entries", args=[w.commune_b.pk, w.unstarted_b]))
    assert "Bắt đầu nhập kết quả" in page.text
    assert not Report.objects.filter(unit=w.commune_b, period_kind=period.kind, period_number=1).exists()
    started = client.post(reverse("reports:start", args=[w.commune_b.pk, w.unstarted_b]), {"next": "entries"})
    assert started["Location"] == reverse("reports:entries", args=[w.commune_b.pk, w.unstarted_b])
    report = Report.objects.get(unit=w.commune_b, period_kind=period.kind, period_number=1)
    assert report.entries.count() == report.plan.tasks.count() > 0
