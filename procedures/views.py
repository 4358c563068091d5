"""The procedure catalogue (read by everyone logged in) and each unit's public listing of the
procedures it handles: the editing page (htmx, one row at a time), the listing board and its PDF.

Searches are live (htmx, the results partial only); every page also works as a plain GET.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cchc_portal.lib import nd30
from cchc_portal.lib.bounds import BoundedForm, check_text, control_character, shown
from cchc_portal.lib.documents import RenderTooLong, render_pdf
from cchc_portal.lib.formatting import short_date
from cchc_portal.lib.vietnamese import fold
from procedures import listing
from procedures.models import (
    ACTIVE_STATUSES,
    Level,
    OnlineLevel,
    Procedure,
    ProcedureChange,
    ProcedureStatus,
)
from procedures.search import ONLINE_NONE, STATUS_ACTIVE, matches, search
from procedures.services import LABELS as IMPORT_LABELS
from units.access import LISTING_EDITORS, unit_capability_required
from units.models import Unit

RESULTS_PER_PAGE = 50
UNIT_ROWS_PER_PAGE = 100

LEVEL_CHOICES = [("", gettext_lazy("Mọi cấp thực hiện")), *Level.choices]
ONLINE_CHOICES = [
    ("", gettext_lazy("Mọi mức độ")),
    (OnlineLevel.FULL.value, OnlineLevel.FULL.label),
    (OnlineLevel.PARTIAL.value, OnlineLevel.PARTIAL.label),
    (ONLINE_NONE, gettext_lazy("Không có DVC trực tuyến")),
]
STATUS_CHOICES = [
    ("", gettext_lazy("Mọi tình trạng")),
    (STATUS_ACTIVE, gettext_lazy("Còn hiệu lực (kể cả được sửa đổi)")),
    *ProcedureStatus.choices,
]
LISTED_CHOICES = [
    ("", gettext_lazy("Tất cả")),
    ("co", gettext_lazy("Đã niêm yết")),
    ("chua", gettext_lazy("Chưa niêm yết")),
]
DATE_LABELS = {
    "listed_at_centre": gettext_lazy("Ngày niêm yết tại Bộ phận một cửa"),
    "listed_on_website": gettext_lazy("Ngày công khai trên trang thông tin điện tử"),
    "listed_by_qr": gettext_lazy("Ngày có mã QR tới Cổng DVC quốc gia"),
}
EARLIEST = datetime.date(2000, 1, 1)


class CatalogueFilterForm(BoundedForm):
    q = forms.CharField(max_length=200, required=False, strip=True)
    field = forms.CharField(max_length=255, required=False)
    level = forms.ChoiceField(choices=LEVEL_CHOICES, required=False)
    online = forms.ChoiceField(choices=ONLINE_CHOICES, required=False)
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)


class UnitFilterForm(BoundedForm):
    q = forms.CharField(max_length=200, required=False, strip=True)
    field = forms.CharField(max_length=255, required=False)
    online = forms.ChoiceField(choices=ONLINE_CHOICES, required=False)
    listed = forms.ChoiceField(choices=LISTED_CHOICES, required=False)
    all = forms.BooleanField(required=False)


def _filters(form_class: type[forms.Form], data) -> dict[str, Any]:
    """The valid filters of a GET; a wrong value is ignored (as if not given), not an error."""
    form = form_class(data)
    form.is_valid()
    return {
        name: form.cleaned_data.get(name, False if isinstance(field, forms.BooleanField) else "")
        for name, field in form.fields.items()
    }


def _partial_or_page(request: HttpRequest, template: str, partial: str, context: dict) -> HttpResponse:
    """The results partial for htmx's live search, the whole page otherwise (also when htmx
    restores a page from history, which needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(request, f"{template}#{partial}", context)
    else:
        response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _today() -> datetime.date:
    return timezone.localdate()


# --- the catalogue --------------------------------------------------------------------------------


def catalogue_fields() -> list[str]:
    """The distinct non-empty fields of the catalogue, in Vietnamese alphabetical order."""
    fields = Procedure.objects.exclude(field="").order_by().values_list("field", flat=True).distinct()
    return sorted(fields, key=fold)


@require_GET
@login_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(CatalogueFilterForm, request.GET)
    procedures = search(
        Procedure.objects.order_by("code"),
        filters["q"],
        field=filters["field"],
        level=filters["level"],
        online=filters["online"],
        status=filters["status"],
    ).defer("search_text", "decisions")
    page = Paginator(procedures, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    filtered = any(filters.values())
    context: dict[str, Any] = {"filters": filters, "filtered": filtered, "page": page}
    if not (request.htmx and not request.htmx.history_restore_request):
        context |= {
            "fields": catalogue_fields(),
            "level_choices": LEVEL_CHOICES,
            "online_choices": ONLINE_CHOICES,
            "status_choices": STATUS_CHOICES,
            "own_units": [g for g in request.access.grants if not g.inherited],
        }
    return _partial_or_page(request, "procedures/list.html", "results", context)


def _display(name: str, value: Any) -> str:
    """A value of a procedure's field as the history shows it."""
    if value in (None, "", []):
        return "—"
    if name == "levels" and isinstance(value, list):
        labels = dict(Level.choices)
        return ", ".join(str(labels.get(v, v)) for v in value)
    if name == "online_level":
        return str(dict(OnlineLevel.choices).get(value, value))
    if name == "status":
        return str(dict(ProcedureStatus.choices).get(value, value))
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _diff_rows(change: ProcedureChange) -> list[dict[str, str]]:
    rows = []
    for name, pair in (change.diff or {}).items():
        try:
            label = str(Procedure._meta.get_field(name).verbose_name)
        except Exception:
            label = IMPORT_LABELS.get(name, name)  # "original_name": the name before its repair
        before, after = pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, pair)
        rows.append({"label": label, "before": _display(name, before), "after": _display(name, after)})
    return rows


@require_GET
@login_required
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = get_object_or_404(Procedure, code=code)
    changes = procedure.changes.select_related("batch__imported_by").order_by(
        "-batch__imported_at", "-batch_id", "-pk"
    )
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "history": [{"change": c, "diff": _diff_rows(c)} for c in changes],
            "active": procedure.status in ACTIVE_STATUSES,
        },
    )


# --- a unit's procedures and their listing -----------------------------------------------------------


def _can_edit(request: HttpRequest) -> bool:
    return bool(LISTING_EDITORS & request.unit_caps)


def _unit_context(request: HttpRequest, unit: Unit, editable: bool) -> dict[str, Any]:
    filters = _filters(UnitFilterForm, request.GET)
    show_all = editable and filters["all"]
    entries = listing.procedures_for(unit, include_not_handled=editable)
    today = _today()
    listed, handled = listing.share(entries, today)
    fields = sorted({e.procedure.field for e in entries if e.procedure.field}, key=fold)
    shown = [
        e
        for e in entries
        if (show_all or e.handles)
        and matches(e.procedure, filters["q"], field=filters["field"], online=filters["online"])
        and (not filters["listed"] or (filters["listed"] == "co") == (e.handles and e.is_listed(today)))
    ]
    page = Paginator(shown, UNIT_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "unit": unit,
        "editable": editable,
        "filters": filters,
        "filtered": any(v for k, v in filters.items() if k != "all"),
        "page": page,
        "groups": listing.groups(page.object_list),
        "listed": listed,
        "handled": handled,
        "share_label": listing.share_label(listed, handled),
        "share_percent": round(listing.percent(listed, handled), 1),
        "fields": fields,
        "online_choices": ONLINE_CHOICES,
        "listed_choices": LISTED_CHOICES,
        "today": today,
        "level_label": dict(Level.choices)[listing.procedure_level(unit)],
    }


@require_http_methods(["GET", "POST"])
@unit_capability_required()
def unit_procedures(request: HttpRequest, unit: Unit) -> HttpResponse:
    """The procedures the unit handles, grouped by field, with how far they are listed; editors
    set each row (htmx, `unit_row`), mark several listed today, or add one of another level."""
    editable = _can_edit(request)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        _unit_action(request, unit)
        return redirect(request.get_full_path())
    # The share box asks for itself again after a row changed ("?phan=ty-le").
    partial = "share" if request.GET.get("phan") == "ty-le" else "results"
    return _partial_or_page(request, "procedures/unit.html", partial, _unit_context(request, unit, editable))


def _unit_action(request: HttpRequest, unit: Unit) -> None:
    action = request.POST.get("action", "")
    code_field = Procedure._meta.get_field("code")
    if action == "mark_centre_today":
        codes = request.POST.getlist("code")
        wrong = next((c for c in codes if control_character(c) or len(c) > code_field.max_length), None)
        if wrong is not None:
            messages.error(request, _("Mã TTHC không hợp lệ: “%(code)s”.") % {"code": shown(wrong)})
            return
        if not codes:
            messages.warning(request, _("Hãy chọn ít nhất một thủ tục."))
            return
        count = listing.mark_listed_at_centre(unit, codes, _today(), by=request.user)
        messages.success(
            request,
            _("Đã ghi nhận %(n)d thủ tục niêm yết tại Bộ phận một cửa từ hôm nay (%(day)s).")
            % {"n": count, "day": short_date(_today())},
        )
    elif action == "add":
        code = request.POST.get("add_code", "").strip()
        try:
            check_text(code, label=_("Mã TTHC"), limit=code_field.max_length)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return
        procedure = Procedure.objects.filter(code=code).first() if code else None
        if procedure is None:
            messages.error(request, _("Không có thủ tục mã “%(code)s” trong danh mục.") % {"code": code})
        elif procedure.status not in ACTIVE_STATUSES:
            messages.error(
                request,
                _("Thủ tục %(code)s đã %(status)s; không thể thêm vào danh mục của đơn vị.")
                % {"code": code, "status": procedure.get_status_display().lower()},
            )
        else:
            listing.save_row(unit, procedure, {"handles": True}, by=request.user)
            messages.success(
                request,
                _("Đã thêm thủ tục %(code)s vào danh mục thủ tục của %(unit)s.")
                % {"code": code, "unit": unit.full_name},
            )
    else:
        messages.error(request, _("Thao tác không hợp lệ."))


def parse_date(text: str) -> datetime.date:
    """ "2026-01-15" (what a date input sends) or "15/01/2026" (typed by hand); ValueError else."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_row(data, today: datetime.date) -> tuple[dict[str, Any], dict[str, str]]:
    """The changes a row's POST asks for, and the messages for what is wrong. A field that is
    not posted is left as it is; an empty date clears it."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "handles" in data:
        changes["handles"] = "1" in data.getlist("handles")
    latest = datetime.date(today.year + 1, 12, 31)
    for name, label in DATE_LABELS.items():
        if name not in data:
            continue
        text = data.get(name, "").strip()
        if not text:
            changes[name] = None
            continue
        try:
            day = parse_date(text)
        except ValueError:
            errors[name] = _("%(label)s không hợp lệ: “%(value)s”. Hãy nhập theo dạng ngày/tháng/năm.") % {
                "label": label,
                "value": shown(text, 30),
            }
            continue
        if not EARLIEST <= day <= latest:
            errors[name] = _("%(label)s phải trong khoảng từ %(first)s đến %(last)s.") % {
                "label": label,
                "first": short_date(EARLIEST),
                "last": short_date(latest),
            }
            continue
        changes[name] = day
    return changes, errors


@require_POST
@unit_capability_required()
def unit_row(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    """Save one row of the unit's list (htmx): whether the unit handles the procedure, and its
    three listing dates. Answers with the row; 422 with the reason when the input is wrong."""
    if not _can_edit(request):
        raise PermissionDenied
    procedure = get_object_or_404(Procedure, code=code)
    by_default = listing.handled_by_default(unit, procedure)
    row = procedure.unit_rows.filter(unit=unit).first()
    changes, errors = parse_row(request.POST, _today())
    if procedure.status not in ACTIVE_STATUSES:
        errors["form"] = _("Thủ tục này đã %(status)s; không cập nhật được việc niêm yết.") % {
            "status": procedure.get_status_display().lower()
        }
    status = 422 if errors else 200
    if not errors and changes:
        row = listing.save_row(unit, procedure, changes, by=request.user)
    entry = listing.UnitProcedureEntry(procedure, row, by_default)
    context = {
        "unit": unit,
        "entry": entry,
        "editable": True,
        "errors": errors,
        "values": request.POST if errors else None,
        "saved": not errors,
        "today": _today(),
    }
    response = render(request, "procedures/unit.html#row", context, status=status)
    if status == 200:
        response["HX-Trigger"] = "procedures-changed"  # the share box refreshes itself
    return response


def _online_text(procedure: Procedure) -> str:
    return {OnlineLevel.FULL: _("Toàn trình"), OnlineLevel.PARTIAL: _("Một phần")}.get(
        procedure.online_level, "—"
    )


def _field_heading(field: str) -> str:
    if not field:
        return _("Thủ tục chưa xác định lĩnh vực")
    if fold(field).startswith("linh vuc"):
        return field
    return _("Lĩnh vực %(field)s") % {"field": field}


def listing_context(unit: Unit) -> dict[str, Any]:
    """The listing board: sections "I. Lĩnh vực Hộ tịch" with STT numbered on through them."""
    entries = listing.procedures_for(unit)
    sections, number = [], 0
    for index, (field, members) in enumerate(listing.groups(entries), start=1):
        rows = []
        for entry in members:
            number += 1
            rows.append(
                {"number": number, "procedure": entry.procedure, "online": _online_text(entry.procedure)}
            )
        sections.append({"number": nd30.roman(index), "heading": _field_heading(field), "rows": rows})
    today = _today()
    listed, handled = listing.share(entries, today)
    title = _("BẢNG NIÊM YẾT THỦ TỤC HÀNH CHÍNH")
    return {
        "unit": unit,
        "sections": sections,
        "count": number,
        "today": today,
        "share_label": listing.share_label(listed, handled),
        # A board, not a numbered document: the header without "Số:".
        "header": nd30.header(
            parent_authority=unit.parent_authority_line,
            authority=unit.authority_line or unit.full_name.upper(),
            number="",
            place_date=nd30.place_date_line(unit.place_name, today),
        ),
        "meta": {"title": f"{title} — {unit.full_name}", "author": unit.authority_line or unit.full_name},
        "title": title,
    }


def listing_parts(context: dict[str, Any]) -> dict[str, str]:
    """The procedures' names on the board (the catalogue's text), for the message naming the longest."""
    return {
        f"thủ tục số {row['number']} ({row['procedure'].code})": row["procedure"].name
        for section in context["sections"]
        for row in section["rows"]
    }


@require_GET
@unit_capability_required()
def listing_page(request: HttpRequest, unit: Unit) -> HttpResponse:
    return render(request, "procedures/listing.html", listing_context(unit))


@require_GET
@unit_capability_required()
def listing_pdf(request: HttpRequest, unit: Unit) -> HttpResponse:
    """The listing board as an A4 PDF in Tinos, to print and post at the one-stop shop."""
    context = listing_context(unit)
    try:
        rendered = render_pdf(
            render_to_string("procedures/listing_pdf.html", context), parts=listing_parts(context)
        )
    except RenderTooLong as exc:
        return render(
            request,
            "documents/too_long.html",
            {
                "message": str(exc),
                "back_url": reverse("procedures:listing", args=[unit.pk]),
                "back_label": _("Về bảng niêm yết"),
            },
            status=422,
        )
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bang-niem-yet-tthc-{unit.code}.pdf"'
    return response
