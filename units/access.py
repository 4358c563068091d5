"""Who may see and do what, resolved once per request from the user's unit memberships.

A membership on unit U lets the user see U and every unit below it. Outside that reach a unit
(and everything belonging to it) does not exist for the user: lookups put the
scope inside the query (`Unit.objects.visible_to(request.access)`), so outsiders get 404. A
member whose capabilities at the unit lack the one an action needs gets 403.

What a membership lets one *do* depends on the capability: reviewing and administering reach
the whole subtree (Sở Nội vụ reviews every commune of the province), while the working
capabilities (enter progress, compile reports, manage plans, approve and sign) act on the
membership's own unit only — a province reviewer reads a commune's plan but never edits it.

Reach also runs back through succession links: whoever sees Phường Bàn Thạch (since 2025)
sees the wards it was formed from (Phường Tân Thạnh…), so their history stays readable under
the successor. Such inherited reach carries only `review_reports`, never data entry.

Superusers (the portal's administrators) see every unit and hold `administer` and
`review_reports` everywhere; the working capabilities (enter progress, compile, approve and
sign, manage plans) come only from memberships, because they are personal official acts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from units.models import Capability, Membership, Unit, UnitSuccession

ADMIN_CAPABILITIES = frozenset({Capability.ADMINISTER, Capability.REVIEW_REPORTS})
SUBTREE_CAPABILITIES = frozenset({Capability.ADMINISTER, Capability.REVIEW_REPORTS})
INHERITED_CAPABILITIES = frozenset({Capability.REVIEW_REPORTS})

# --- who does what: every group of capabilities a view or service checks, named once ----------------

# Working on a unit's own reports: entering progress, compiling and sending, signing.
REPORT_WORK = frozenset({Capability.ENTER_PROGRESS, Capability.COMPILE_REPORTS, Capability.APPROVE_SIGN})
# Reviewing the units below (administrators review too).
REVIEW = frozenset({Capability.REVIEW_REPORTS, Capability.ADMINISTER})
# Changing progress entries: the officers, and the office that compiles the report.
ENTRY_EDITORS = frozenset({Capability.ENTER_PROGRESS, Capability.COMPILE_REPORTS})
# Seeing every entry of a report, not only the tasks of one's own role.
ALL_ENTRIES = frozenset(
    {Capability.COMPILE_REPORTS, Capability.APPROVE_SIGN, Capability.REVIEW_REPORTS, Capability.ADMINISTER}
)
# Reading a unit's register of outgoing documents: its office, leaders and văn thư, the reviewers above.
REGISTER_READERS = frozenset(
    {
        Capability.MANAGE_PLANS,
        Capability.COMPILE_REPORTS,
        Capability.APPROVE_SIGN,
        Capability.ISSUE_DOCUMENTS,
        Capability.REVIEW_REPORTS,
        Capability.ADMINISTER,
    }
)
# Signing as the leader (on the server, or uploading what one's USB token signed).
LEADER_SIGNING = frozenset({Capability.APPROVE_SIGN})
# Preparing the PDF the leader signs with a token: the office that runs the plan or the report,
# and the leader.
PLAN_SIGNING = frozenset({Capability.MANAGE_PLANS, Capability.APPROVE_SIGN})
REPORT_SIGNING = frozenset({Capability.COMPILE_REPORTS, Capability.APPROVE_SIGN})
# The văn thư's step: check the form, take the number, apply the body's signature, issue.
CLERK = frozenset({Capability.ISSUE_DOCUMENTS})
# Who may open a document being signed (the file of its current step).
DOCUMENT_SIGNING = PLAN_SIGNING | REPORT_SIGNING | CLERK
# Following how a plan is carried out by the units below.
CASCADE_READERS = frozenset({Capability.REVIEW_REPORTS, Capability.MANAGE_PLANS})
# Keeping a unit's public TTHC listing: whoever runs its plans or reports, or administers it.
LISTING_EDITORS = frozenset({Capability.MANAGE_PLANS, Capability.COMPILE_REPORTS, Capability.ADMINISTER})
# Seeing a unit's members: the reviewers and administrators above (members see each other).
MEMBER_READERS = REVIEW


def is_member_of(user: Any, unit: Unit) -> bool:
    """Whether the user holds an active membership of the unit itself (not above it, not by
    succession). Nobody reviews their own unit's report: the report services refuse it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.active().filter(user=user, unit=unit).exists()


@dataclass(frozen=True)
class Grant:
    """One active membership, reduced to what access decisions need."""

    unit_id: int
    unit_path: str
    unit_name: str
    role_name: str
    position: str
    capabilities: frozenset[str]
    inherited: bool = False  # reach through a succession link, not a membership

    def reaches(self, path: str) -> bool:
        return path.startswith(self.unit_path)


class Access:
    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def is_authenticated(self) -> bool:
        return bool(self.user and self.user.is_authenticated and self.user.is_active)

    @cached_property
    def is_admin(self) -> bool:
        return self.is_authenticated and self.user.is_superuser

    @cached_property
    def memberships(self) -> list[Grant]:
        """The user's active memberships: one query per request, on first use."""
        if not self.is_authenticated:
            return []
        memberships = (
            Membership.objects.active()
            .filter(user=self.user)
            .select_related("unit", "role")
            .order_by("unit__path", "role__sort_order")
        )
        return [
            Grant(
                unit_id=m.unit_id,
                unit_path=m.unit.path,
                unit_name=m.unit.full_name,
                role_name=m.role.name,
                position=m.position,
                capabilities=m.capabilities,
            )
            for m in memberships
        ]

    @cached_property
    def grants(self) -> list[Grant]:
        """Memberships plus the predecessors of units they reach (one more query)."""
        direct = self.memberships
        if not direct:
            return []
        reach = Q()
        for grant in direct:
            reach |= Q(successor__path__startswith=grant.unit_path)
        inherited = []
        links = UnitSuccession.objects.filter(reach).select_related("predecessor", "successor")
        for link in links.order_by("predecessor__path"):
            source = next(g for g in direct if link.successor.path.startswith(g.unit_path))
            if any(link.predecessor.path.startswith(g.unit_path) for g in direct):
                continue
            capabilities = source.capabilities & INHERITED_CAPABILITIES
            # A former commune under a former province already reached (a conversion table links
            # every commune, the province link covers them all): one filter term, not hundreds.
            if any(
                link.predecessor.path.startswith(g.unit_path) and capabilities <= g.capabilities
                for g in inherited
            ):
                continue
            inherited.append(
                Grant(
                    unit_id=link.predecessor_id,
                    unit_path=link.predecessor.path,
                    unit_name=link.predecessor.full_name,
                    role_name=source.role_name,
                    position=source.position,
                    capabilities=capabilities,
                    inherited=True,
                )
            )
        return sorted(direct + inherited, key=lambda g: g.unit_path)

    def scope_q(self, path_field: str = "path", capability: str | None = None) -> Q:
        """A filter on `path_field` (a unit path, e.g. "unit__path") for what the user may see.

        With `capability`, only memberships granting it count (for a working capability, on
        the membership's own unit only).
        """
        if self.is_admin and (capability is None or capability in ADMIN_CAPABILITIES):
            return Q()
        q = Q(pk__in=[])
        for grant in self.grants:
            if capability is None or (
                capability in grant.capabilities and capability in SUBTREE_CAPABILITIES
            ):
                q |= Q(**{f"{path_field}__startswith": grant.unit_path})
            elif capability in grant.capabilities:
                q |= Q(**{path_field: grant.unit_path})
        return q

    def sees(self, unit: Unit) -> bool:
        """Whether `unit` is in the user's scope (no query once the grants are loaded)."""
        return self.is_admin or any(grant.reaches(unit.path) for grant in self.grants)

    def capabilities_at(self, unit: Unit) -> frozenset[str]:
        caps = set(ADMIN_CAPABILITIES) if self.is_admin else set()
        for grant in self.grants:
            if grant.unit_path == unit.path:
                caps |= grant.capabilities
            elif grant.reaches(unit.path):
                caps |= grant.capabilities & SUBTREE_CAPABILITIES
        return frozenset(caps)

    def can(self, capability: str, unit: Unit) -> bool:
        return capability in self.capabilities_at(unit)

    def is_member_of(self, unit: Unit) -> bool:
        """`is_member_of` from the grants already loaded (no query)."""
        return any(g.unit_id == unit.pk and not g.inherited for g in self.grants)

    @cached_property
    def capabilities_anywhere(self) -> frozenset[str]:
        caps = set(ADMIN_CAPABILITIES) if self.is_admin else set()
        for grant in self.grants:
            caps |= grant.capabilities
        return frozenset(caps)

    @cached_property
    def root_unit_ids(self) -> list[int]:
        """The top units of the user's reach (a membership under another one adds nothing)."""
        roots: list[Grant] = []
        for grant in self.grants:  # ordered by path, so an ancestor comes before its descendants
            if not any(grant.unit_path.startswith(r.unit_path) for r in roots):
                roots.append(grant)
        return [r.unit_id for r in roots]


class AccessMiddleware:
    """Puts `request.access` on every request (memberships load lazily, on first use)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.access = Access(request.user)
        return self.get_response(request)


def access_context(request: HttpRequest) -> dict[str, Any]:
    access = getattr(request, "access", None)
    return {"access": access, "Capability": Capability}


def get_unit_for_user(
    request: HttpRequest, unit_id: int, capability: str | None = None
) -> tuple[Unit, frozenset]:
    """The unit if the user's scope reaches it (else 404) and their capabilities there.

    With `capability`, a member who lacks it gets 403.
    """
    unit = get_object_or_404(Unit.objects.visible_to(request.access).select_related("kind"), pk=unit_id)
    caps = request.access.capabilities_at(unit)
    if capability and capability not in caps:
        raise PermissionDenied
    return unit, caps


def unit_capability_required(capability: str | None = None):
    """Resolve `unit_id` from the URL within the user's scope and check a capability there.

    The view receives the unit; `request.unit_caps` holds the capabilities for templates
    (`{% if "review_reports" in unit_caps %}`).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, unit_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            unit, caps = get_unit_for_user(request, unit_id, capability)
            request.unit_caps = caps
            return view(request, unit, *args, **kwargs)

        return wrapper

    return decorator
