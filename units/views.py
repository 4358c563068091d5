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
from units.access import MEMBER_READERS, Access, unit_capability_required
from units.models import Membership, Unit, UnitSuccession

RESULTS_PER_PAGE = 50
CHILDREN_PER_PAGE = 100


class UnitFilterForm(forms.Form):
    q = forms.CharField(label=_("Tìm đơn vị"), max_length=100, required=False, strip=True)
    all = forms.BooleanField(label=_("Gồm cả đơn vị đã hết hiệu lực"), required=False)
    kind = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


def _filters(request: HttpRequest) -> dict:
    form = UnitFilterForm(request.GET)
    return form.cleaned_data if form.is_valid() else {"q": "", "all": False, "kind": None}


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
    page = Paginator(children.order_by("kind__sort_order", "sort_key", "code"), CHILDREN_PER_PAGE).get_page(
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
        "predecessors": [(s.predecessor, s) for s in successions if s.successor_id == unit.pk],
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
