from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cchc_portal.audit import history_entries
from cchc_portal.lib import nd30
from cchc_portal.lib.bounds import BoundedForm
from units import history
from units.access import MEMBER_READERS, Access, unit_capability_required
from units.models import Level, Membership, Unit, UnitSuccession

RESULTS_PER_PAGE = 50
CHILDREN_PER_PAGE = 100
GROUPED_CHILDREN = 1000  # grouped by former district, a province's communes on one page (168 at most)


class UnitFilterForm(BoundedForm):
    q = forms.CharField(label=_("Tìm đơn vị"), max_length=100, required=False, strip=True)
    all = forms.BooleanField(label=_("Gồm cả đơn vị đã hết hiệu lực"), required=False)
    kind = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    former = forms.BooleanField(label=_("Nhóm theo huyện cũ (trước 01/7/2025)"), required=False)


def _filters(request: HttpRequest) -> dict:
    form = UnitFilterForm(request.GET)
    return form.cleaned_data if form.is_valid() else {"q": "", "all": False, "kind": None, "former": False}


def _by_former_district(units: list[Unit]) -> list[tuple[Unit | None, list[Unit]]]:
    """The units grouped under the district their seat belonged to before the succession: the
    predecessor with the same code (the new commune keeps its seat's code), else the first one
    merged whole. Two queries: the links with their predecessors, then those predecessors' parents."""
    links = (
        UnitSuccession.objects.filter(successor__in=units)
        .select_related("predecessor__kind")
        .order_by("successor_id", "-extent", "predecessor__path")  # "whole" before "part"
    )
    codes = {u.pk: u.code for u in units}
    seats: dict[int, Unit] = {}
    for link in links:
        current = seats.get(link.successor_id)
        same_code = link.predecessor.code == codes[link.successor_id]
        if current is None or (same_code and current.code != link.predecessor.code):
            seats[link.successor_id] = link.predecessor
    parent_paths = {p.parent_path for p in seats.values() if p.kind.level != Level.DISTRICT and p.depth > 1}
    parents = {u.path: u for u in Unit.objects.filter(path__in=parent_paths)} if parent_paths else {}
    groups: dict[int | None, tuple[Unit | None, list[Unit]]] = {}
    for unit in units:
        seat = seats.get(unit.pk)
        district = None
        if seat is not None:
            district = seat if seat.kind.level == Level.DISTRICT else parents.get(seat.parent_path)
        groups.setdefault(district.pk if district else None, (district, []))[1].append(unit)
    return sorted(groups.values(), key=lambda g: (g[0] is None, g[0].sort_key if g[0] else ""))


def _with_ancestors(units: list[Unit], access: Access) -> list[tuple[Unit, list[tuple[Unit, bool]]]]:
    """Each unit with its ancestors (root first) and whether the user may open each: one query."""
    paths = {p for u in units for p in u.ancestor_paths()}
    ancestors = {a.path: a for a in Unit.objects.filter(path__in=paths)} if paths else {}
    return [
        (u, [(ancestors[p], access.sees(ancestors[p])) for p in u.ancestor_paths() if p in ancestors])
        for u in units
    ]


@require_GET
@login_required
def directory(request: HttpRequest) -> HttpResponse:
    """Browse the units the user may see, or search them ignoring diacritics and case."""
    filters = _filters(request)
    visible = Unit.objects.visible_to(request.access).select_related("kind")
    if not filters["all"]:
        visible = visible.current()
    query = filters["q"]
    if query:
        units = visible.search(query).order_by("depth", "sort_key", "code")
    elif request.access.is_admin:
        units = visible.filter(depth=1).order_by(F("valid_to").desc(nulls_first=True), "sort_key", "code")
    else:
        units = visible.filter(pk__in=request.access.root_unit_ids).order_by("kind__sort_order", "sort_key")
    page = Paginator(units, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": UnitFilterForm(initial=filters),
        "query": query,
        "filters": filters,
        "page": page,
        "rows": _with_ancestors(list(page.object_list), request.access),
    }
    template = "units/directory.html#results" if request.htmx else "units/directory.html"
    return render(request, template, context)


@require_GET
@unit_capability_required()
def unit_detail(request: HttpRequest, unit: Unit) -> HttpResponse:
    filters = _filters(request)
    ancestors = list(Unit.objects.ancestors(unit))
    children = Unit.objects.children_of(unit).select_related("kind")
    if not filters["all"]:
        children = children.current()
    kind_counts = list(
        children.order_by().values("kind_id", "kind__name", "kind__sort_order").annotate(n=Count("id"))
    )
    kind_counts.sort(key=lambda k: (k["kind__sort_order"], k["kind__name"]))
    if filters["q"]:
        children = children.search(filters["q"])
    if filters["kind"]:
        children = children.filter(kind_id=filters["kind"])
    ordered = children.order_by("kind__sort_order", "sort_key", "code")
    # Grouped by former district, a province's communes are listed whole (a few hundred at most).
    page = Paginator(ordered, GROUPED_CHILDREN if filters["former"] else CHILDREN_PER_PAGE).get_page(
        request.GET.get("page")
    )
    successions = UnitSuccession.objects.filter(predecessor=unit) | UnitSuccession.objects.filter(
        successor=unit
    )
    successions = successions.select_related("predecessor__kind", "successor__kind").order_by(
        "effective_date"
    )
    members = (
        Membership.objects.active()
        .filter(unit=unit)
        .select_related("user", "role")
        .order_by("role__sort_order", "user__last_name", "user__first_name")
    )
    predecessors = [(s.predecessor, s) for s in successions if s.successor_id == unit.pk]
    records = history.records_before({p.pk: link.effective_date for p, link in predecessors})
    context = {
        "unit": unit,
        "body_symbol": nd30.body_symbol(unit),  # as the unit's documents will print it
        "unit_caps": request.unit_caps,
        "ancestors": [(a, request.access.sees(a)) for a in ancestors],
        "form": UnitFilterForm(initial=filters),
        "filters": filters,
        "kind_counts": kind_counts,
        "page": page,
        "successors": [(s.successor, s) for s in successions if s.predecessor_id == unit.pk],
        # Each with what it planned and reported before the succession (plans and reports register).
        "predecessors": [(p, link, records.get(p.pk, [])) for p, link in predecessors],
        "former_groups": _by_former_district(list(page.object_list)) if filters["former"] else None,
        "members": members,
        "can_see_members": bool(MEMBER_READERS & request.unit_caps or request.access.is_member_of(unit)),
    }
    template = "units/unit_detail.html#children" if request.htmx else "units/unit_detail.html"
    return render(request, template, context)


@require_GET
@unit_capability_required()
def unit_history(request: HttpRequest, unit: Unit) -> HttpResponse:
    """Who changed this unit, and its memberships, when and how."""
    entries = history_entries(
        [
            unit.history.all(),
            Membership.history.filter(unit_id=unit.pk).select_related("user", "role", "unit"),
        ],
        limit=200,
    )
    return render(request, "units/unit_history.html", {"unit": unit, "entries": entries})
