"""Periodic reports: officers' entry page (autosaved, conflict-safe), evidence, the unit's report
and its workflow, and the superior's review and roll-up pages."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from cchc_portal.lib.bounds import REASON_MAX, SECTION_MAX, BoundedForm, parse_id
from cchc_portal.lib.documents import RenderTooLong
from cchc_portal.lib.formatting import megabytes, number
from cchc_portal.lib.xlsx import table_xlsx
from documents.forms import SignedUploadForm
from plans.models import PeriodType
from reports import cumulative, rollup, services
from reports.models import Entry, EntryStatus, Evidence, Report, ReportState
from reports.periods import DEFAULT_DEADLINE_DAY, Period, PeriodError, required_periods
from units.access import CLERK, LEADER_SIGNING, REPORT_SIGNING, REPORT_WORK, REVIEW, unit_capability_required
from units.models import Capability, Unit


def _report_prefix() -> str:
    """ "/bao-cao/": the unit reports' URL up to the unit, so that a page listing a province's
    communes builds each link by joining strings instead of reversing the URL for every row."""
    return reverse("reports:report", args=[0, "X"]).removesuffix("0/X/")


def _period(code: str) -> Period:
    try:
        return Period.from_code(code)
    except PeriodError:
        raise Http404 from None


def _report_or_error(request: HttpRequest, unit: Unit, period: Period) -> Report | None:
    """The report, opened (created) if nobody has yet: for the actions (POST) only."""
    try:
        return services.open_report(unit, period)
    except services.ReportError as exc:
        messages.error(request, str(exc))
        return None


def _found_or_error(request: HttpRequest, unit: Unit, period: Period) -> tuple[bool, Report | None]:
    """For pages (GET): whether the unit reports this period, and its report if started."""
    try:
        return True, services.find_report(unit, period)[1]
    except services.ReportError as exc:
        messages.error(request, str(exc))
        return False, None


def _not_started(request: HttpRequest, unit: Unit, period: Period, page: str) -> HttpResponse:
    """A period nobody has started: what it asks, and (for those who work on it) the button
    that starts it. Showing it writes nothing."""
    plan = services.plan_for(unit, period.year)
    return render(
        request,
        "reports/not_started.html",
        {
            "unit": unit,
            "period": period,
            "page": page,
            "window": services.window(plan, period),
            "tasks": services.tasks_for(plan, request.user, unit, request.unit_caps),
            "can_start": bool(REPORT_WORK & request.unit_caps),
        },
    )


@require_POST
@unit_capability_required()
def start(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    """Start the unit's report for the period (its entries, prefilled for a cumulative period)
    and go to the page asked for."""
    period = _period(code)
    if not REPORT_WORK & request.unit_caps:
        raise PermissionDenied
    if _report_or_error(request, unit, period) is None:
        return redirect("reports:index")
    page = "reports:entries" if request.POST.get("next") == "entries" else "reports:report"
    return redirect(page, unit.pk, period.code)


# --- the officer's home ------------------------------------------------------------------------------------


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Where each of the user's units stands: the period to work on, and (for reviewers) the
    review page of the unit's subordinates."""
    year = services.today().year
    rows = []
    for unit in Unit.objects.filter(
        pk__in=[g.unit_id for g in request.access.grants if not g.inherited]
    ).select_related("kind"):
        caps = request.access.capabilities_at(unit)
        plan = services.plan_for(unit, year)
        period = services.current_period(plan) if plan else None
        report = (
            Report.objects.filter(
                unit=unit, year=period.year, period_kind=period.kind, period_number=period.number
            ).first()
            if period
            else None
        )
        rows.append(
            {
                "unit": unit,
                "plan": plan,
                "period": period,
                "periods": services.periods_for(plan) if plan else [],
                "report": report,
                "window": services.window(plan, period, report=report) if period else None,
                "works": bool(REPORT_WORK & caps),
                "reviews": bool(REVIEW & caps),
            }
        )
    from reports.reminders import notices_for

    return render(
        request, "reports/index.html", {"rows": rows, "year": year, "notices": notices_for(request.user)}
    )


# --- entering progress ---------------------------------------------------------------------------------------


class Whole:
    """What a cumulative report's entries show of the earlier reports (reports/cumulative.py):
    the parts, each target's figure so far, and the earlier evidence."""

    def __init__(self, report: Report, task_ids=None):
        self.parts = cumulative.parts_of(report)
        self.figures: dict = {}
        self.evidence: dict = {}
        if self.parts is not None and self.parts.earlier:
            ids = list(task_ids if task_ids is not None else report.entries.values_list("task_id", flat=True))
            self.figures = cumulative.figures(report, self.parts, cumulative.own_tasks(ids))
            self.evidence = cumulative.carried_evidence(report, self.parts)

    def of(self, entry: Entry) -> dict:
        return {"carried_evidence": self.evidence.get(entry.task_id, [])}


def _carried(entry: Entry) -> dict:
    """The earlier reports' evidence shown under an entry of a cumulative report."""
    return {"carried_evidence": cumulative.carried_evidence(entry.report).get(entry.task_id, [])}


def _overdue(entry: Entry) -> bool:
    try:
        return cumulative.overdue(entry, entry.report.period)
    except PeriodError:
        return False


def _entry_context(
    entry: Entry,
    *,
    editable: bool,
    errors=None,
    conflict=None,
    saved=False,
    values=None,
    whole: Whole | None = None,
):
    targets = []
    results = {r.target_id: r for r in entry.results.all()}
    for target in entry.task.targets.all():
        figure = whole.figures.get((entry.task_id, target.pk)) if whole else None
        result = results.get(target.pk)
        if values is not None:
            value = values.get(f"target_{target.pk}")
        elif result is None:
            value = None
        else:
            # The figure typed here: in a cumulative report, the remainder's.
            value = result.own if figure is not None or result.own is not None else result.achieved
        targets.append(
            {
                "target": target,
                "value": "" if value is None else value,
                "figure": figure,
                "achieved": result.achieved if result else None,
            }
        )
    return {
        "entry": entry,
        "targets": targets,
        "whole": whole,
        "overdue": _overdue(entry),
        **(whole.of(entry) if whole else {"carried_evidence": []}),
        "statuses": EntryStatus.choices,
        "editable": editable,
        "errors": errors or {},
        "conflict": conflict,
        "saved": saved,
        "values": values,
    }


@require_GET
@unit_capability_required()
def entries(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    period = _period(code)
    if not REPORT_WORK & request.unit_caps and not REVIEW & request.unit_caps:
        raise PermissionDenied
    reports_here, report = _found_or_error(request, unit, period)
    if not reports_here:
        return redirect("reports:index")
    if report is None:
        return _not_started(request, unit, period, "entries")
    problem = services.editable_problem(report)
    editable = not problem and services.can_edit_entries(report, request.unit_caps)
    whole = Whole(report)
    items = [
        _entry_context(e, editable=editable, whole=whole)
        for e in services.entries_for(report, request.user, request.unit_caps)
    ]
    return render(
        request,
        "reports/entries.html",
        {
            "unit": unit,
            "period": period,
            "report": report,
            "items": items,
            "problem": problem,
            "editable": editable,
            "window": services.window(report.plan, period, report=report),
            "caps": request.unit_caps,
        },
    )


def _entry_for_user(request: HttpRequest, entry_id: int) -> tuple[Entry, frozenset]:
    entry = get_object_or_404(
        Entry.objects.filter(request.access.scope_q("report__unit__path")).select_related(
            "report__unit__kind", "report__plan", "task", "updated_by"
        ),
        pk=entry_id,
    )
    caps = request.access.capabilities_at(entry.report.unit)
    if not services.can_edit_entries(entry.report, caps):
        raise PermissionDenied
    if not caps & {Capability.COMPILE_REPORTS}:
        roles = services.roles_at(request.user, entry.report.unit)
        task = entry.task
        if task.group.lead_role_id not in roles and not task.co_roles.filter(pk__in=roles).exists():
            raise PermissionDenied
    return entry, caps


@require_POST
@login_required
def entry_save(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Autosave of one entry (htmx). 409 with both versions when someone saved in between;
    422 with the messages when the input is wrong; the typed values are always sent back."""
    entry, _caps = _entry_for_user(request, entry_id)
    values, errors = services.parse_entry(entry, request.POST)
    status = 200
    context_kwargs: dict = {}
    if errors:
        status = 422
        context_kwargs = {"errors": errors, "values": request.POST}
    else:
        force = request.POST.get("force") == "1"
        try:
            expected = None if force else int(request.POST.get("lock_version", "0"))
        except ValueError:
            expected = 0
        try:
            entry = services.save_entry(entry, values, expected_version=expected, by=request.user)
            context_kwargs = {"saved": True}
        except services.EntryConflict as exc:
            status = 409
            current = exc.current
            entry = current
            context_kwargs = {"conflict": {"message": str(exc), "current": current}, "values": request.POST}
        except services.ReportError as exc:
            status = 422
            context_kwargs = {"errors": {"form": str(exc)}, "values": request.POST}
    entry = (
        Entry.objects.select_related("task__group", "updated_by", "report")
        .prefetch_related(*services.entry_prefetch())
        .get(pk=entry.pk)
    )
    if status == 200:
        # Only the "saved" line and the new version: the fields are left alone, so nothing the
        # officer typed while the request was on its way is overwritten.
        whole = Whole(entry.report, [entry.task_id])
        totals = [
            {"target": t, "figure": whole.figures[(entry.task_id, t.pk)]}
            for t in entry.task.targets.all()
            if (entry.task_id, t.pk) in whole.figures
        ]
        return render(request, "reports/includes/entry_saved.html", {"entry": entry, "totals": totals})
    context = _entry_context(
        entry, editable=True, whole=Whole(entry.report, [entry.task_id]), **context_kwargs
    )
    response = render(request, "reports/includes/entry.html", context, status=status)
    return reswap(retarget(response, f"#entry-{entry.pk}"), "outerHTML")


class EvidenceForm(BoundedForm):
    file = forms.FileField(required=False)
    url = forms.CharField(required=False, max_length=500)


@require_POST
@login_required
def evidence_add(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry, _caps = _entry_for_user(request, entry_id)
    form = EvidenceForm(request.POST, request.FILES)
    valid = form.is_valid()
    upload = form.cleaned_data.get("file") if valid else None
    url = form.cleaned_data.get("url", "") if valid else ""
    problem = ""
    try:
        if upload is not None:
            if upload.size > settings.EVIDENCE_MAX_BYTES:  # refused before reading it into memory
                raise services.ReportError(
                    _("Tệp “%(name)s” quá lớn; giới hạn là %(limit)s MB.")
                    % {"name": upload.name, "limit": megabytes(settings.EVIDENCE_MAX_BYTES)}
                )
            services.add_evidence(entry, name=upload.name, content=upload.read(), by=request.user)
        elif url:
            services.add_evidence(entry, url=url, by=request.user)
        else:
            problem = _("Hãy chọn tệp hoặc dán đường dẫn bài viết.")
    except services.ReportError as exc:
        problem = str(exc)
    entry = (
        Entry.objects.select_related("task__group", "updated_by")
        .prefetch_related(*services.entry_prefetch())
        .get(pk=entry.pk)
    )
    return render(
        request,
        "reports/includes/evidence.html",
        {"entry": entry, "editable": True, "evidence_error": problem, **_carried(entry)},
        status=422 if problem else 200,
    )


@require_POST
@login_required
def evidence_delete(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = get_object_or_404(
        Evidence.objects.filter(request.access.scope_q("entry__report__unit__path")), pk=evidence_id
    )
    entry, _caps = _entry_for_user(request, evidence.entry_id)
    problem = ""
    try:
        services.remove_evidence(evidence, by=request.user)
    except services.ReportError as exc:
        problem = str(exc)
    entry = Entry.objects.prefetch_related("evidence").get(pk=entry.pk)
    return render(
        request,
        "reports/includes/evidence.html",
        {"entry": entry, "editable": True, "evidence_error": problem, **_carried(entry)},
        status=422 if problem else 200,
    )


@require_GET
@login_required
def evidence_file(request: HttpRequest, evidence_id: int) -> HttpResponseBase:
    """An evidence file, to those whose pages list it (outside the scope: 404; in scope
    without the page's capability: 403): the report's page and its entries (an officer sees
    only the tasks of their role), or the reviewers' pages above."""
    evidence = get_object_or_404(
        Evidence.objects.filter(request.access.scope_q("entry__report__unit__path"))
        .exclude(file="")
        .select_related("entry__report__unit"),
        pk=evidence_id,
    )
    report_obj = evidence.entry.report
    caps = request.access.capabilities_at(report_obj.unit)
    if not services.may_open_evidence(report_obj, evidence.entry_id, request.user, caps):
        raise PermissionDenied
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=evidence.content_type or "application/octet-stream")
    inline = evidence.content_type.startswith("image/") or evidence.content_type == "application/pdf"
    response["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(evidence.name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the unit's report ------------------------------------------------------------------------------------------


def _section(label: str, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=SECTION_MAX, widget=forms.Textarea(attrs={"rows": rows})
    )


def _lines_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class NarrativeForm(BoundedForm):
    recipients = _lines_field(gettext_lazy("Kính gửi"))
    other_recipients = _lines_field(gettext_lazy("Nơi nhận khác"))
    drafting_unit = forms.CharField(label=gettext_lazy("Đơn vị soạn thảo"), required=False, max_length=30)
    results = _section(gettext_lazy("I. Kết quả thực hiện"), rows=8)
    strengths = _section(gettext_lazy("Ưu điểm"))
    weaknesses = _section(gettext_lazy("Tồn tại, hạn chế"))
    causes = _section(gettext_lazy("Nguyên nhân"))
    next_tasks = _section(gettext_lazy("III. Nhiệm vụ kỳ tới"))
    proposals = _section(gettext_lazy("IV. Đề xuất, kiến nghị"))


# The labels on the page say more than the fields' own (used in messages).
NARRATIVE_LABELS = [
    gettext_lazy("Kính gửi (mỗi dòng một nơi)"),
    gettext_lazy("Nơi nhận khác, sau “- Như trên;” (mỗi dòng một nơi)"),
    gettext_lazy("Đơn vị soạn thảo, viết tắt (“- Lưu: VT, VP.”)"),
    gettext_lazy("I. Kết quả thực hiện (gợi ý từ kết quả đã nhập)"),
    gettext_lazy("II. Đánh giá chung — Ưu điểm"),
    gettext_lazy("Tồn tại, hạn chế"),
    gettext_lazy("Nguyên nhân"),
    gettext_lazy("III. Nhiệm vụ kỳ tới"),
    gettext_lazy("IV. Đề xuất, kiến nghị"),
]


@require_http_methods(["GET", "POST"])
@unit_capability_required()
def report(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    """The unit's report: entries, who has not entered, the narrative (prefilled), the workflow."""
    period = _period(code)
    caps = request.unit_caps
    if not (REPORT_WORK | REVIEW | CLERK) & caps:  # the văn thư opens it to number and send it
        raise PermissionDenied
    compile_ = Capability.COMPILE_REPORTS in caps
    if request.method == "POST":
        if not compile_:
            raise PermissionDenied
        report_obj = _report_or_error(request, unit, period)
        if report_obj is None:
            return redirect("reports:index")
        form = NarrativeForm(request.POST)
        if form.is_valid():
            try:
                services.save_narrative(
                    report_obj,
                    form.cleaned_data,
                    expected_version=_int(request.POST.get("lock_version")),
                    by=request.user,
                )
                messages.success(request, _("Đã lưu nội dung báo cáo."))
                return redirect("reports:report", unit.pk, period.code)
            except services.ReportError as exc:
                messages.error(request, str(exc))
        else:
            messages.error(request, _("Chưa lưu: nội dung báo cáo có lỗi, hãy sửa các ô được đánh dấu."))
        # Shown again with what was typed and the errors: nothing typed is dropped.
        return _report_page(request, unit, period, report_obj, form, status=422 if request.htmx else 200)
    reports_here, report_obj = _found_or_error(request, unit, period)
    if not reports_here:
        return redirect("reports:index")
    if report_obj is None:
        return _not_started(request, unit, period, "report")
    if compile_ and not report_obj.results and not services.editable_problem(report_obj):
        report_obj.results = services.compose_results(report_obj)
    form = NarrativeForm(initial={f: getattr(report_obj, f) for f in NarrativeForm.base_fields})
    return _report_page(request, unit, period, report_obj, form)


def _rolled_up(task_ids: list[int]) -> set[int]:
    """The tasks the units below carry (a share figure is of units meeting the target)."""
    return set(task_ids) - cumulative.own_tasks(task_ids)


def _report_page(
    request: HttpRequest,
    unit: Unit,
    period: Period,
    report_obj: Report,
    form: NarrativeForm,
    status: int = 200,
) -> HttpResponse:
    caps = request.unit_caps
    compile_ = Capability.COMPILE_REPORTS in caps
    entries_qs = (
        report_obj.entries.select_related("task__group__lead_role", "updated_by")
        .prefetch_related("results__target", "evidence")
        .order_by("task__group__position", "task__position", "task__pk")
    )
    return render(
        request,
        "reports/report.html",
        {
            "unit": unit,
            "period": period,
            "report": report_obj,
            "entries": entries_qs,
            "missing": [e for e in entries_qs if not e.is_entered],
            "problem": services.editable_problem(report_obj),
            "window": services.window(report_obj.plan, period, report=report_obj),
            "can_compile": compile_,
            "signing": _signing(request, report_obj, caps),
            "sign_blocked": _sign_blocked(report_obj),
            "can_review": bool(REVIEW & caps) and not request.access.is_member_of(unit),
            "events": report_obj.events.select_related("by"),
            "evidence_entries": services.evidence_entry_ids(report_obj, request.user, caps),
            "changes": services.changes_since_acceptance(report_obj) if report_obj.accepted_snapshot else [],
            "predecessors": rollup.predecessors_of(report_obj),
            # Tasks the units below carry: a share figure is of units meeting the target.
            "rolled_up": _rolled_up([e.task_id for e in entries_qs]),
            "passed_promises": [
                clause
                for f in NarrativeForm.base_fields
                for clause in services.passed_promises(getattr(report_obj, f, "") or "", period.end)
            ],
            "form": form,
            "narrative_fields": list(zip(form, NARRATIVE_LABELS, strict=True)),
        },
        status=status,
    )


@require_GET
@unit_capability_required()
def report_pdf(request: HttpRequest, unit: Unit, code: str) -> HttpResponseBase:
    """The report as it would be signed (NĐ 30 layout), for those who prepare, review or issue
    it (the văn thư checks the form before numbering): the same rule as the report's page."""
    from reports.pdf import render_report_pdf

    period = _period(code)
    if not (REPORT_WORK | REVIEW | CLERK) & request.unit_caps:
        raise PermissionDenied
    reports_here, report_obj = _found_or_error(request, unit, period)
    if not reports_here:
        return redirect("reports:index")
    if report_obj is None:
        return _not_started(request, unit, period, "report")
    try:
        rendered = render_report_pdf(report_obj)
    except RenderTooLong as exc:
        return render(
            request,
            "documents/too_long.html",
            {
                "message": str(exc),
                "back_url": reverse("reports:report", args=[unit.pk, period.code]),
                "back_label": _("Về báo cáo"),
            },
            status=422,
        )
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bao-cao-{unit.code}-{period.code}.pdf"'
    return response


def _signing(request: HttpRequest, report_obj: Report, caps: frozenset[str]) -> dict:
    """What documents/includes/signing.html needs to show the report's signing steps."""
    from documents import services as document_services

    ready = report_obj.state != ReportState.ACCEPTED and not (
        report_obj.state == ReportState.SUBMITTED
        and report_obj.document_id
        and report_obj.document.signed_pdf
    )
    lead, prepare, clerk = bool(LEADER_SIGNING & caps), bool(REPORT_SIGNING & caps), bool(CLERK & caps)
    return {
        "document": report_obj.document if report_obj.document_id else None,
        "what": _("báo cáo"),
        "ready": ready,
        "lead": lead,
        "prepare": prepare,
        "clerk": clerk,
        "cancel": lead or prepare,
        "action_url": reverse("reports:transition", args=[report_obj.pk]),
        "upload_url": reverse("reports:upload_signed", args=[report_obj.pk]),
        "readiness": document_services.signing_readiness(report_obj.unit, request.user)
        if lead or clerk
        else None,
        "upload_form": SignedUploadForm(),
    }


def _sign_blocked(report_obj: Report) -> str:
    missing = services.missing_entries(report_obj).count()
    if missing:
        return _("Còn %(n)d nhiệm vụ chưa nhập kết quả.") % {"n": missing}
    return ""


def _int(value) -> int | None:
    return parse_id(value)


@require_POST
@login_required
def transition(request: HttpRequest, report_id: int) -> HttpResponse:
    report_obj = get_object_or_404(
        Report.objects.filter(request.access.scope_q("unit__path")).select_related("unit__kind", "plan"),
        pk=report_id,
    )
    caps = request.access.capabilities_at(report_obj.unit)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    needs = {
        "submit": {Capability.COMPILE_REPORTS},
        "sign": LEADER_SIGNING,
        "prepare_client": REPORT_SIGNING,
        "cancel_signing": REPORT_SIGNING,
        "issue_clerk": CLERK,
        "number_token": CLERK,
        "return": {Capability.REVIEW_REPORTS},
        "accept": {Capability.REVIEW_REPORTS},
        "reopen": {Capability.REVIEW_REPORTS},
        "reopen_period": {Capability.REVIEW_REPORTS},
    }
    if action not in needs:
        raise Http404
    if not needs[action] & caps:
        raise PermissionDenied
    try:
        if action == "submit":
            report_obj = services.submit(report_obj, by=request.user)
            text = _("Đã gửi báo cáo %(period)s.") % {"period": report_obj.period.label}
            if report_obj.is_late:
                text += " " + _("Báo cáo được ghi nhận là gửi trễ hạn.")
            messages.success(request, text)
        elif action == "sign":
            services.sign_as_leader(report_obj, by=request.user)
            messages.success(
                request, _("Đã ký số báo cáo. Văn thư sẽ cấp số, ký số của cơ quan và gửi cấp trên.")
            )
        elif action == "prepare_client":
            services.prepare_leader_token(report_obj, by=request.user)
            messages.success(
                request, _("Hãy tải bản PDF, ký bằng USB token của lãnh đạo rồi tải bản đã ký lên.")
            )
        elif action == "cancel_signing":
            services.cancel_signing(report_obj, reason=reason, by=request.user)
            messages.success(request, _("Đã hủy bản đang ký; báo cáo sửa được trở lại."))
        elif action == "issue_clerk":
            report_obj = services.issue_by_clerk(report_obj, by=request.user)
            messages.success(
                request,
                _("Đã cấp số %(ref)s, ký số của cơ quan và gửi báo cáo cấp trên.")
                % {"ref": report_obj.document.reference},
            )
        elif action == "number_token":
            document = services.number_for_seal_token(report_obj, by=request.user)
            messages.success(
                request,
                _("Đã cấp số %(ref)s. Hãy tải bản PDF, ký bằng USB token của cơ quan rồi tải bản đã ký lên.")
                % {"ref": document.reference},
            )
        elif action == "return":
            services.return_report(report_obj, reason=reason, by=request.user)
            messages.success(
                request, _("Đã trả lại báo cáo của %(unit)s.") % {"unit": report_obj.unit.full_name}
            )
        elif action == "accept":
            services.accept(report_obj, by=request.user)
            messages.success(
                request, _("Đã tiếp nhận báo cáo của %(unit)s.") % {"unit": report_obj.unit.full_name}
            )
        elif action == "reopen":
            services.reopen(report_obj, reason=reason, by=request.user)
            messages.success(request, _("Đã mở lại báo cáo để đơn vị sửa."))
        else:
            services.reopen_period(
                report_obj, reason=reason, days=_int(request.POST.get("days")) or 7, by=request.user
            )
            messages.success(
                request, _("Đã mở lại kỳ báo cáo cho %(unit)s.") % {"unit": report_obj.unit.full_name}
            )
    except services.ReportError as exc:
        messages.error(request, str(exc))
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("reports:report", report_obj.unit_id, report_obj.period.code)


@require_POST
@login_required
def upload_signed(request: HttpRequest, report_id: int) -> HttpResponse:
    """A PDF signed with a USB token: the leader's (the văn thư then numbers it) or the body's on
    the numbered report (the report is then sent). Checked strictly before it is kept."""
    from documents.models import OutgoingDocument

    report_obj = get_object_or_404(
        Report.objects.filter(request.access.scope_q("unit__path")).select_related(
            "unit__kind", "plan", "document"
        ),
        pk=report_id,
    )
    state = report_obj.document.state if report_obj.document_id else None
    needs = CLERK if state == OutgoingDocument.State.AWAITING_SEAL else LEADER_SIGNING
    if not needs & request.access.capabilities_at(report_obj.unit):
        raise PermissionDenied
    back = redirect("reports:report", report_obj.unit_id, report_obj.period.code)
    form = SignedUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form.first_error())
        return back
    content = form.cleaned_data["file"].read()
    try:
        if state == OutgoingDocument.State.AWAITING_SEAL:
            report_obj = services.accept_seal_upload(report_obj, content, by=request.user)
            done = _("Đã nhận bản có chữ ký số của cơ quan và gửi báo cáo %(ref)s.") % {
                "ref": report_obj.document.reference
            }
        else:
            services.accept_leader_upload(report_obj, content, by=request.user)
            done = _("Đã nhận bản lãnh đạo đã ký số. Văn thư sẽ cấp số, ký số của cơ quan và gửi cấp trên.")
    except services.ReportError as exc:
        messages.error(request, _("Chưa nhận bản đã ký: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, done)
    return back


# --- review and roll-up at the superior unit ----------------------------------------------------------------------


@require_GET
@unit_capability_required(Capability.REVIEW_REPORTS)
def overview(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    """Who has not reported: every unit below with its state for the period."""
    period = _period(code)
    data = rollup.build(unit, period, with_tasks=False)
    periods = services.periods_for(data.plan) if data.plan else []
    return render(
        request,
        "reports/overview.html",
        {
            "unit": unit,
            "period": period,
            "data": data,
            "report_prefix": _report_prefix(),
            "periods": periods,
            "chart": _chart(rollup.completeness_by_period(unit, periods)) if periods else None,
        },
    )


def _chart(bars: list[rollup.PeriodBar]) -> dict | None:
    """Bar geometry for the completeness chart (drawn as SVG on the server: no script, no
    external service). 100% is 100 px high, the baseline at y = 110."""
    if not bars:
        return None
    shapes = []
    for index, bar in enumerate(bars):
        done, timely = round(bar.completeness), round(bar.timeliness)
        short = {
            "monthly": f"T{bar.period.number}",
            "quarterly": f"Q{bar.period.number}",
            "half_year": f"6T{'-2' if bar.period.number == 2 else ''}",
            "nine_months": "9T",
            "annual": _("Năm"),
        }[bar.period.kind]
        shapes.append(
            {
                "label": bar.period.label,
                "short": short,
                "x": 10 + index * 70,
                "x2": 38 + index * 70,
                "done_y": 110 - done,
                "done_h": done,
                "time_y": 110 - timely,
                "time_h": timely,
                "text_y": max(10, 106 - done),
                "done_text": f"{done}%",
                "time_text": f"{timely}%",
            }
        )
    return {"bars": shapes, "width": 20 + 70 * len(bars)}


@require_POST
@unit_capability_required(Capability.REVIEW_REPORTS)
def bulk_accept(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    period = _period(code)
    ids = [i for i in (_int(v) for v in request.POST.getlist("report")) if i]
    reports = Report.objects.filter(
        pk__in=ids,
        unit__path__startswith=unit.path,
        state=ReportState.SUBMITTED,
        year=period.year,
        period_kind=period.kind,
        period_number=period.number,
    ).exclude(unit=unit)
    accepted, refused = 0, []
    for report_obj in reports.select_related("unit"):
        if services.missing_entries(report_obj).exists():
            continue
        try:
            services.accept(report_obj, by=request.user)
            accepted += 1
        except services.ReportError as exc:
            refused.append(str(exc))
    messages.success(request, _("Đã tiếp nhận %(n)d báo cáo.") % {"n": accepted})
    for reason in refused:
        messages.error(request, reason)
    return redirect("reports:overview", unit.pk, period.code)


@require_GET
@unit_capability_required(Capability.REVIEW_REPORTS)
def rollup_view(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    period = _period(code)
    include = request.GET.get("chi_tiep_nhan") != "1"
    data = rollup.build(unit, period, include_unaccepted=include)
    return render(
        request,
        "reports/rollup.html",
        {
            "unit": unit,
            "period": period,
            "data": data,
            "include": include,
            "report_prefix": _report_prefix(),
        },
    )


@require_GET
@unit_capability_required(Capability.REVIEW_REPORTS)
def rollup_export(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    period = _period(code)
    include = request.GET.get("chi_tiep_nhan") != "1"
    data = rollup.build(unit, period, include_unaccepted=include)
    rows = []
    for row in data.rows:
        rows.append(
            [
                row.unit.full_name,
                row.state_label,
                row.report.submitted_at if row.report and row.report.submitted_at else "",
                (
                    "Trễ hạn"
                    if row.report and row.report.is_late
                    else ("Đúng hạn" if row.has_submitted else "")
                ),
                f"{row.entered}/{row.total}",
                round(row.progress, 1),
            ]
        )
        # Its predecessors (merged during the period), under it as on the page.
        for before in row.predecessors:
            rows.append(
                [
                    f"    ↳ {before.unit.full_name} (đơn vị cũ, {before.link.get_extent_display().lower()}; "
                    f"{'được cộng' if before.counted else 'chỉ liệt kê'})",
                    f"{before.report.period.label}: {before.report.get_state_display()}",
                    before.report.submitted_at or "",
                    "",
                    f"{before.entered}/{before.total}",
                    round(before.progress, 1),
                ]
            )
    if data.has_predecessors:
        rows.append([])
        rows.append([str(data.predecessor_rule)])
    for roll in data.tasks:
        rows.append([])
        rows.append([roll.task.title, f"{roll.done}/{roll.units} đơn vị hoàn thành"])
        for label, count in roll.status_rows:
            rows.append(["", label, count])
        for t in roll.targets:
            value = "" if t["value"] is None else t["value"]
            added = t.get("predecessors")
            rows.append(
                [
                    "",
                    t["target"].name,
                    value,
                    "%" if t["is_share"] else t["target"].unit_of_measure,
                    f"{t['units']} đơn vị"
                    + (f", gồm {number(added['total'])} của {added['n']} đơn vị cũ" if added else ""),
                    t["target"].rule,
                ]
            )
    content = table_xlsx(
        sheet="Tổng hợp báo cáo",
        title=f"TỔNG HỢP BÁO CÁO {period.label.upper()} — {unit.full_name.upper()}",
        header=["Đơn vị / nhiệm vụ", "Tình trạng", "Gửi lúc", "Thời hạn", "Đã nhập", "Tiến độ bình quân (%)"],
        rows=rows,
        widths=[60, 28, 18, 14, 14, 20],
    )
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="tong-hop-{unit.code}-{period.code}.xlsx"'
    return response


@require_GET
@unit_capability_required(Capability.REVIEW_REPORTS)
def scores_view(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    """Units ranked by the PAR-style score of their communication work for the period."""
    period = _period(code)
    include = request.GET.get("chi_tiep_nhan") != "1"
    return render(
        request,
        "reports/scores.html",
        {
            "unit": unit,
            "period": period,
            "rows": rollup.scores(unit, period, include_unaccepted=include),
            "include": include,
        },
    )


@require_POST
@unit_capability_required(Capability.COMPILE_REPORTS)
def compose(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    """Draft the unit's own report from the accepted reports of the units below it."""
    period = _period(code)
    try:
        services.compose_from_subordinates(
            unit, period, by=request.user, overwrite=request.POST.get("overwrite") == "1"
        )
    except services.ReportError as exc:
        messages.error(request, str(exc))
        return redirect("reports:rollup", unit.pk, period.code)
    messages.success(
        request,
        _("Đã soạn dự thảo báo cáo của %(unit)s từ các báo cáo đã tiếp nhận; hãy biên tập rồi ký gửi.")
        % {"unit": unit.full_name},
    )
    return redirect("reports:report", unit.pk, period.code)


@require_http_methods(["GET", "POST"])
@unit_capability_required(Capability.COMPILE_REPORTS)
def refresh(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    """ "Cập nhật số liệu" on the unit's own report (who may compose it, while it is editable):
    the page shows each composed section's old and new text line by line and the drafted tasks'
    changes, writing nothing; confirming (POST, with the version previewed) replaces them."""
    period = _period(code)
    back = redirect("reports:report", unit.pk, period.code)
    if request.method == "POST":
        try:
            services.refresh_from_subordinates(
                unit, period, expected_version=_int(request.POST.get("lock_version")), by=request.user
            )
        except services.ReportError as exc:
            messages.error(request, str(exc))
            return redirect("reports:refresh", unit.pk, period.code)
        messages.success(request, _("Đã cập nhật số liệu của báo cáo từ các báo cáo đã tiếp nhận."))
        return back
    try:
        preview = services.preview_refresh(unit, period)
    except services.ReportError as exc:
        messages.error(request, str(exc))
        return back
    return render(request, "reports/refresh.html", {"unit": unit, "period": period, "preview": preview})


# --- the national overview (Bộ Nội vụ) -------------------------------------------------------------------------

NATIONAL_KINDS = (PeriodType.QUARTERLY, PeriodType.HALF_YEAR, PeriodType.ANNUAL)


@require_GET
@login_required
def national(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Every province for one period: how many of its units reported, on time, accepted, and
    their average progress. For the Bộ Nội vụ (permission "view_national_overview") and admins."""
    if not request.user.has_perm("reports.view_national_overview"):  # admins have every permission
        raise PermissionDenied
    day = services.today()
    if code is None:
        periods = required_periods(NATIONAL_KINDS, day.year)
        due = [p for p in periods if p.deadline(DEFAULT_DEADLINE_DAY) <= day]
        return redirect("reports:national", (due[-1] if due else periods[0]).code)
    period = _period(code)
    return render(
        request,
        "reports/national.html",
        {
            "period": period,
            "data": rollup.national(period),
            "periods": required_periods(NATIONAL_KINDS, period.year),
            "years": [
                Period(year, PeriodType.ANNUAL)
                for year in (period.year - 1, period.year + 1)
                if year <= day.year
            ],
        },
    )
