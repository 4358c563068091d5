"""Cross-app pages: the home page, the site-wide audit log and the health check."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cchc_portal.audit import history_entries
from plans.models import Plan, Status, Task
from units.access import REPORT_WORK
from units.models import Capability, Level, Membership, Role, Unit, UnitImport, UnitKind, UnitSuccession

AUDIT_LOG_SIZE = 200


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What needs the user's attention, by what they may do and where."""
    access = request.access
    caps = access.capabilities_anywhere
    context: dict = {"grants": access.memberships, "caps": caps}
    if Capability.REVIEW_REPORTS in caps:
        subordinate = (
            Unit.objects.current()
            .filter(access.scope_q("path", Capability.REVIEW_REPORTS))
            .order_by()
            .values("kind__level")
            .annotate(n=Count("id"))
        )
        context["subordinate_counts"] = {row["kind__level"]: row["n"] for row in subordinate}
    if access.is_admin:
        context["unit_counts"] = {
            row["kind__level"]: row["n"]
            for row in Unit.objects.current().values("kind__level").annotate(n=Count("id")).order_by()
        }
        context["last_import"] = UnitImport.objects.select_related("user").first()
    context |= _plan_cards(access, caps)
    context |= _report_cards(access, caps)
    context |= _clerk_cards(access)
    context["Level"] = Level
    return render(request, "home.html", context)


def _clerk_cards(access) -> dict:
    """For a văn thư: the documents of their units waiting to be numbered, sealed and issued."""
    from documents.models import OutgoingDocument

    units = [g.unit_id for g in access.memberships if Capability.ISSUE_DOCUMENTS in g.capabilities]
    if not units:
        return {}
    waiting = (
        OutgoingDocument.objects.filter(
            unit_id__in=units,
            state__in=(OutgoingDocument.State.AWAITING_CLERK, OutgoingDocument.State.AWAITING_SEAL),
        )
        .values("unit_id", "unit__full_name")
        .annotate(n=Count("id"))
        .order_by("unit__full_name")
    )
    return {
        "clerk_units": [(row["unit_id"], row["unit__full_name"], row["n"]) for row in waiting],
        "is_clerk": True,
    }


def _report_cards(access, caps) -> dict:
    """The period to work on in each of the user's units, and, for reviewers, who has reported."""
    from reports import rollup
    from reports import services as reports
    from reports.models import Report

    year = timezone.localdate().year
    working, reviewing = [], []
    units = {
        u.pk: u
        for u in Unit.objects.filter(pk__in=[g.unit_id for g in access.memberships]).select_related("kind")
    }
    for grant in access.memberships:
        unit = units.get(grant.unit_id)
        plan = reports.plan_for(unit, year) if unit else None
        period = reports.current_period(plan) if plan else None
        if period is None:
            continue
        if grant.capabilities & REPORT_WORK:
            report = Report.objects.filter(
                unit=unit, year=period.year, period_kind=period.kind, period_number=period.number
            ).first()
            working.append(
                {
                    "unit": unit,
                    "period": period,
                    "report": report,
                    "window": reports.window(plan, period, report=report),
                }
            )
        if Capability.REVIEW_REPORTS in grant.capabilities:
            data = rollup.build(unit, period)
            reviewing.append({"unit": unit, "period": period, "data": data})
    return {"report_work": working, "report_review": reviewing}


def _plan_cards(access, caps) -> dict:
    """This year's plan of each unit the user plans for, and the tasks given to their roles."""
    year = timezone.localdate().year
    cards: dict = {"year": year}
    planned = [g.unit_id for g in access.memberships if Capability.MANAGE_PLANS in g.capabilities]
    if planned:
        plans = {
            p.unit_id: p for p in Plan.objects.filter(unit_id__in=planned, year__in=[year, year + 1]).latest()
        }
        cards["own_plans"] = [
            (g, plans_for_unit)
            for g in access.memberships
            if g.unit_id in planned
            for plans_for_unit in [
                sorted((p for p in plans.values() if p.unit_id == g.unit_id), key=lambda p: p.year)
            ]
        ]
    if Capability.ENTER_PROGRESS in caps:
        roles = (
            Membership.objects.active()
            .filter(user=access.user, enter_progress=True)
            .values("unit_id", "role_id")
        )
        mine = Q(pk__in=[])
        for row in roles:
            mine |= Q(plan__unit_id=row["unit_id"]) & (
                Q(group__lead_role_id=row["role_id"]) | Q(co_roles=row["role_id"])
            )
        cards["my_tasks"] = list(
            Task.objects.filter(mine, plan__year=year, plan__status=Status.ISSUED)
            .select_related("plan__unit", "group")
            .distinct()
            .order_by("plan__unit__path", "group__position", "position")[:20]
        )
    return cards


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every recorded change across the portal, newest first (administrators only)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    entries = history_entries(
        [
            Unit.history.all(),
            UnitKind.history.all(),
            UnitSuccession.history.select_related("predecessor", "successor"),
            Role.history.all(),
            Membership.history.select_related("user", "role", "unit"),
        ],
        limit=AUDIT_LOG_SIZE,
    )
    account_changes = LogEntry.objects.filter(
        content_type__app_label="units", content_type__model="user"
    ).select_related("user", "content_type")
    return render(
        request,
        "audit_log.html",
        {"entries": entries, "account_changes": account_changes[:50], "limit": AUDIT_LOG_SIZE},
    )


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: 200 when the app can reach its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """django-ratelimit's refusal (RATELIMIT_VIEW): a Vietnamese 429 that says when to retry."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response
