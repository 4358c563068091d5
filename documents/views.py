"""The register of outgoing documents, document downloads, client-side signing and the public
verification page."""

from __future__ import annotations

import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from cchc_portal.lib.bounds import BoundedForm
from cchc_portal.lib.formatting import megabytes
from cchc_portal.lib.xlsx import table_xlsx
from documents import services, sources
from documents.models import OutgoingDocument, normalise_public_code
from units.access import DOCUMENT_SIGNING, REGISTER_READERS, unit_capability_required
from units.models import Unit


def _year(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year


def _with_sources(rows: list[OutgoingDocument]) -> list[OutgoingDocument]:
    found = sources.sources_of(d.pk for d in rows)
    for document in rows:
        document.source = found.get(document.pk)
    return rows


def _register_rows(unit: Unit, year: int) -> list[OutgoingDocument]:
    return _with_sources(
        list(
            OutgoingDocument.objects.filter(unit=unit, year=year, number__isnull=False)
            .select_related("supersedes")
            .order_by("number")
        )
    )


def _pending_rows(unit: Unit) -> list[OutgoingDocument]:
    """Documents being signed: the văn thư's work (those the leader signed wait for a number)."""
    return _with_sources(
        list(
            OutgoingDocument.objects.filter(unit=unit, state__in=OutgoingDocument.PENDING).order_by(
                "created_at"
            )
        )
    )


@require_GET
@unit_capability_required()
def register(request: HttpRequest, unit: Unit) -> HttpResponse:
    if not REGISTER_READERS & request.unit_caps:
        raise PermissionDenied
    year = _year(request)
    return render(
        request,
        "documents/register.html",
        {
            "unit": unit,
            "year": year,
            "documents": _register_rows(unit, year),
            "pending": _pending_rows(unit),
            "years": range(year + 1, year - 4, -1),
        },
    )


@require_GET
@unit_capability_required()
def register_export(request: HttpRequest, unit: Unit) -> HttpResponse:
    if not REGISTER_READERS & request.unit_caps:
        raise PermissionDenied
    year = _year(request)
    rows = [
        [
            d.reference,
            d.issued_on,
            d.get_document_type_display(),
            d.subject,
            d.signer_name,
            d.signed_at,
            d.get_state_display(),
            d.supersedes.reference if d.supersedes_id else "",
            d.signed_sha256,
        ]
        for d in _register_rows(unit, year)
    ]
    content = table_xlsx(
        sheet=f"Sổ văn bản đi {year}",
        title=f"SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM {year} — {unit.full_name.upper()}",
        header=[
            "Số, ký hiệu",
            "Ngày ban hành",
            "Loại",
            "Trích yếu",
            "Người ký",
            "Ký lúc",
            "Tình trạng",
            "Thay thế",
            "SHA-256",
        ],
        rows=rows,
        widths=[16, 14, 12, 60, 24, 17, 16, 16, 66],
    )
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="so-van-ban-di-{unit.code}-{year}.xlsx"'
    return response


def _document_for_user(
    request: HttpRequest, document_id: int
) -> tuple[OutgoingDocument, frozenset, sources.Source | None]:
    """The document in the user's scope (others: 404), the user's capabilities at its unit and
    what it is (a plan, a report: whose page decides who may open its files)."""
    document = get_object_or_404(
        OutgoingDocument.objects.filter(request.access.scope_q("unit__path")).select_related("unit__kind"),
        pk=document_id,
    )
    source = sources.sources_of([document.pk]).get(document.pk)
    return document, request.access.capabilities_at(document.unit), source


def _pdf(field, filename: str) -> FileResponse:
    response = FileResponse(field.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _filename(document: OutgoingDocument, suffix: str = "") -> str:
    if document.number is None:
        return f"{document.symbol}-{document.public_code}{suffix}.pdf"
    return f"{document.number:02d}-{document.symbol}-{document.year}{suffix}.pdf"


@require_GET
@login_required
def download(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """The signed document, for those who see it listed: on the register, or on its page (a plan's
    page is open to everyone in scope, a report's to those who work on or review it). Anyone may
    also fetch an issued document through the public verification page, by its code."""
    document, caps, source = _document_for_user(request, document_id)
    page_readers = source.readers if source is not None else frozenset()
    if page_readers is not None and not (REGISTER_READERS | page_readers) & caps:
        raise PermissionDenied
    if not document.signed_pdf:
        raise PermissionDenied
    return _pdf(document.signed_pdf, _filename(document))


# The file of each signing step: what the leader signs, what the văn thư checks, what the
# body's token signs.
WORKING_FILES = {
    OutgoingDocument.State.AWAITING_LEADER: ("unsigned_pdf", "-cho-lanh-dao-ky"),
    OutgoingDocument.State.AWAITING_CLERK: ("leader_pdf", "-lanh-dao-da-ky"),
    OutgoingDocument.State.AWAITING_SEAL: ("numbered_pdf", "-cho-ky-so-co-quan"),
    OutgoingDocument.State.ISSUED: ("signed_pdf", ""),
}


@require_GET
@login_required
def working(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """The PDF of the document's current signing step, for those who take part in signing its kind."""
    document, caps, source = _document_for_user(request, document_id)
    if not (source.signers if source is not None else DOCUMENT_SIGNING) & caps:
        raise PermissionDenied
    field_name, suffix = WORKING_FILES.get(document.state, ("", ""))
    field = getattr(document, field_name, None) if field_name else None
    if not field:
        if document.state == OutgoingDocument.State.VOID:
            messages.error(
                request, _("Bản này đã bị hủy: %(reason)s") % {"reason": document.void_reason or "—"}
            )
        else:
            messages.error(request, _("Văn bản chưa có bản PDF ở bước này."))
        return redirect(source.url if source else "home")
    return _pdf(field, _filename(document, suffix))


# --- public verification (no login) ------------------------------------------------------------------


class VerifyFileForm(BoundedForm):
    file = forms.FileField(label=gettext_lazy("Tệp PDF cần xác minh"))


class LookupForm(BoundedForm):
    unit = forms.CharField(label=gettext_lazy("Mã hoặc tên đơn vị ban hành"), max_length=200)
    number = forms.IntegerField(label=gettext_lazy("Số văn bản"), min_value=1, max_value=100000)
    year = forms.IntegerField(label=gettext_lazy("Năm ban hành"), min_value=2000, max_value=2100)


def _lookup(form: LookupForm) -> tuple[OutgoingDocument | None, str]:
    import datetime

    text, year = form.cleaned_data["unit"].strip(), form.cleaned_data["year"]
    units = Unit.objects.valid_on(datetime.date(year, 12, 31))
    candidates = list(units.filter(code=text)[:2]) or list(units.search(text)[:2])
    if not candidates:
        return None, _("Không tìm thấy đơn vị “%(unit)s” trong năm %(year)d.") % {"unit": text, "year": year}
    if len(candidates) > 1:
        return None, _("Có nhiều đơn vị khớp với “%(unit)s”; hãy nhập mã đơn vị.") % {"unit": text}
    document = (
        OutgoingDocument.objects.filter(unit=candidates[0], year=year, number=form.cleaned_data["number"])
        .select_related("unit__kind")
        .prefetch_related("superseded_by")
        .first()
    )
    if document is None:
        return None, _("Sổ văn bản đi của %(unit)s năm %(year)d không có số %(number)02d.") % {
            "unit": candidates[0].full_name,
            "year": year,
            "number": form.cleaned_data["number"],
        }
    return document, ""


class CodeForm(BoundedForm):
    code = forms.CharField(label=gettext_lazy("Mã xác minh in trên văn bản"), max_length=30)


@ratelimit(
    key="cchc_portal.lib.clients.client_ip",
    rate="cchc_portal.lib.clients.verify_rate",
    method=ratelimit.ALL,
    group="verify",
)
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone can check a document: upload the PDF, or give the code printed on it, or look up
    by unit, number and year — which confirms that the document exists and its status, but gives
    the file only to whoever holds its code (docs/documents.md)."""
    context: dict = {"file_form": VerifyFileForm(), "lookup_form": LookupForm(), "code_form": CodeForm()}
    status = 200
    if request.method == "POST":
        form = VerifyFileForm(request.POST, request.FILES)
        context["file_form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.SIGNED_PDF_MAX_BYTES:
                form.add_error(
                    "file",
                    _("Tệp quá lớn để xác minh (giới hạn %(limit)s MB).")
                    % {"limit": megabytes(settings.SIGNED_PDF_MAX_BYTES)},
                )
                status = 422
            else:
                content = upload.read()
                verdict, document = services.verify_upload(content)
                context |= {
                    "verdict": verdict,
                    "document": document,
                    "filename": upload.name,
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
        else:
            status = 422
    elif "code" in request.GET:
        form = CodeForm(request.GET)
        context["code_form"] = form
        if form.is_valid():
            code = normalise_public_code(form.cleaned_data["code"])
            if OutgoingDocument.objects.filter(public_code=code).exists():
                return redirect("documents:verify_code", code)
            form.add_error(
                "code",
                _("Không có văn bản nào mang mã xác minh “%(code)s”.") % {"code": form.cleaned_data["code"]},
            )
        status = 422
    elif "number" in request.GET:
        form = LookupForm(request.GET)
        context["lookup_form"] = form
        if form.is_valid():
            document, problem = _lookup(form)
            if document is not None:
                context["found"] = document
            else:
                context["lookup_error"] = problem
        status = 422 if "lookup_error" in context or form.errors else 200
    return render(request, "documents/verify.html", context, status=status)


def _by_code(code: str) -> OutgoingDocument:
    return get_object_or_404(
        OutgoingDocument.objects.select_related("unit__kind", "supersedes"),
        public_code=normalise_public_code(code),
    )


@ratelimit(
    key="cchc_portal.lib.clients.client_ip",
    rate="cchc_portal.lib.clients.verify_rate",
    method=ratelimit.ALL,
    group="verify",
)
@require_GET
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """A document by the code printed on it: its register entry, the judgement of its signed
    file, and the file."""
    document = _by_code(code)
    return render(
        request,
        "documents/verify_document.html",
        {"document": document, "verdict": services.verify_stored(document)},
    )


@ratelimit(
    key="cchc_portal.lib.clients.client_ip",
    rate="cchc_portal.lib.clients.verify_rate",
    method=ratelimit.ALL,
    group="verify",
)
@require_GET
def public_download(request: HttpRequest, code: str) -> HttpResponseBase:
    document = _by_code(code)
    if not document.signed_pdf or document.state != OutgoingDocument.State.ISSUED:
        raise PermissionDenied
    return _pdf(document.signed_pdf, _filename(document))
