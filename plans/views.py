"""Plan pages: list, create, read, edit (htmx, partials), workflow, cascade, spreadsheets.

Every view resolves the plan inside the user's scope (outsiders get 404) and checks the
capability at the plan's unit (members without it get 403). Editor endpoints answer htmx
requests with the partial they change and plain requests with a redirect to the editor.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cchc_portal.audit import history_entries
from cchc_portal.lib import imports
from cchc_portal.lib.documents import RenderTooLong
from cchc_portal.lib.spreadsheets import SpreadsheetError, number_text
from documents import services as document_services
from documents.forms import SignedUploadForm
from documents.models import OutgoingDocument
from plans import deadlines, document, services
from plans.forms import (
    AssignForm,
    GroupForm,
    ItemForm,
    MoveForm,
    NewGroupForm,
    NewItemForm,
    NewPlanForm,
    PlanHeaderForm,
    ReturnForm,
    RulesForm,
    SectionTitleForm,
    TargetFormSet,
    TaskForm,
    TaskImportForm,
    role_choices,
)
from plans.models import Plan, Section, SectionItem, Status, Target, Task, TaskGroup
from units.access import CASCADE_READERS, CLERK, LEADER_SIGNING, PLAN_SIGNING
from units.models import Capability, Unit

UNPROCESSABLE, CONFLICT = 422, 409


# --- lookups inside the user's scope ----------------------------------------------------------------


def get_plan_for_user(request: HttpRequest, plan_id: int, capability: str | None = None) -> Plan:
    plan = get_object_or_404(
        Plan.objects.visible_to(request.access).select_related("unit__kind", "document"), pk=plan_id
    )
    request.plan_caps = request.access.capabilities_at(plan.unit)
    if capability and capability not in request.plan_caps:
        raise PermissionDenied
    return plan


def plan_view(capability: str | None = None, methods: tuple[str, ...] = ("GET",)):
    """login + method + plan in scope (+ capability at its unit); the view gets the plan."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapper(request: HttpRequest, plan_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            return view(request, get_plan_for_user(request, plan_id, capability), *args, **kwargs)

        return wrapper

    return decorator


def editor_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """POST-only editor endpoint: manage_plans at the plan's unit; a plan that can no longer be
    edited gets a clear message rather than a failure."""

    @plan_view(Capability.MANAGE_PLANS, methods=("GET", "POST"))
    @wraps(view)
    def wrapper(request: HttpRequest, plan: Plan, *args: Any, **kwargs: Any) -> HttpResponse:
        if not plan.is_editable:
            try:
                services.require_editable(plan)
            except services.PlanError as exc:
                return _refuse(request, plan, str(exc))
        try:
            return view(request, plan, *args, **kwargs)
        except services.PlanError as exc:
            return _refuse(request, plan, str(exc))

    return wrapper


def _refuse(request: HttpRequest, plan: Plan, message: str) -> HttpResponse:
    if request.htmx:
        return render(request, "plans/includes/refusal.html", {"message": message}, status=UNPROCESSABLE)
    messages.error(request, message)
    return redirect("plans:detail", plan.pk)


def _child(model: type[Model], plan: Plan, pk: int, **lookup: Any) -> Any:
    """A row of this plan (404 for another plan's row: ids in URLs are never trusted)."""
    field = {
        SectionItem: "section__plan",
        Section: "plan",
        TaskGroup: "plan",
        Task: "plan",
        Target: "task__plan",
    }[model]
    return get_object_or_404(model, pk=pk, **{field: plan}, **lookup)


# --- list and create --------------------------------------------------------------------------------


@require_GET
@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    access = request.access
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    plans = (
        Plan.objects.visible_to(access)
        .latest()
        .filter(year=year)
        .select_related("unit__kind", "document")
        .order_by("unit__path")
    )
    own_unit_ids = {g.unit_id for g in access.memberships}
    creatable = [g for g in access.memberships if Capability.MANAGE_PLANS in g.capabilities]
    years = sorted({year - 1, year, year + 1, timezone.localdate().year}, reverse=True)
    return render(
        request,
        "plans/plan_list.html",
        {
            "plans": list(plans),
            "year": year,
            "years": years,
            "own_unit_ids": own_unit_ids,
            "creatable": creatable,
        },
    )


def _manageable_units(request: HttpRequest):
    ids = [g.unit_id for g in request.access.memberships if Capability.MANAGE_PLANS in g.capabilities]
    return Unit.objects.filter(pk__in=ids).select_related("kind")


def _superior_plan(unit: Unit, year: int) -> Plan | None:
    """The nearest unit above with a plan in force for the year."""
    for ancestor in reversed(list(Unit.objects.ancestors(unit))):
        plan = services.in_force(ancestor, year)
        if plan is not None:
            return plan
    return None


def _last_plan(unit: Unit, year: int) -> Plan | None:
    return Plan.objects.filter(unit=unit, year__lt=year).order_by("-year", "-version").first()


@require_http_methods(["GET", "POST"])
@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    units = _manageable_units(request)
    if not units.exists():
        raise PermissionDenied
    form = NewPlanForm(request.POST or None, units=units, initial={"unit": request.GET.get("unit")})
    if request.method == "POST" and form.is_valid():
        unit, year, mode = form.cleaned_data["unit"], form.cleaned_data["year"], form.cleaned_data["mode"]
        if Capability.MANAGE_PLANS not in request.access.capabilities_at(unit):
            raise PermissionDenied
        try:
            if mode == NewPlanForm.Mode.SUPERIOR:
                superior = _superior_plan(unit, year)
                if superior is None:
                    raise services.PlanError(
                        _(
                            "Cấp trên của %(unit)s chưa ban hành kế hoạch năm %(year)d; hãy chọn cách bắt đầu khác."
                        )
                        % {"unit": unit.full_name, "year": year}
                    )
                plan = services.start_from_superior(unit, superior, by=request.user)
            elif mode == NewPlanForm.Mode.COPY:
                source = _last_plan(unit, year)
                if source is None:
                    raise services.PlanError(
                        _("%(unit)s chưa có kế hoạch năm trước để sao chép.") % {"unit": unit.full_name}
                    )
                plan = services.copy_previous_year(source, year, by=request.user)
            else:
                plan = services.create_plan(unit, year, by=request.user)
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Đã tạo kế hoạch. Hãy soạn nội dung rồi trình phê duyệt."))
            return redirect("plans:edit", plan.pk)
    hints = []
    for unit in units:
        year = form.data.get("year") or form.fields["year"].initial
        try:
            year = int(year)
        except (TypeError, ValueError):
            continue
        hints.append((unit, _superior_plan(unit, year), _last_plan(unit, year)))
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(request, "plans/plan_create.html", {"form": form, "hints": hints}, status=status)


# --- reading ---------------------------------------------------------------------------------------


def _actions(request: HttpRequest, plan: Plan) -> dict[str, bool]:
    caps = request.plan_caps
    manage, sign = Capability.MANAGE_PLANS in caps, Capability.APPROVE_SIGN in caps
    approved = plan.status == Status.APPROVED
    return {
        "edit": manage and plan.status == Status.DRAFT,
        "submit": manage and plan.status == Status.DRAFT,
        "approve": sign and plan.status == Status.SUBMITTED,
        "return": sign and plan.status in {Status.SUBMITTED, Status.APPROVED},
        "amend": manage and plan.status == Status.ISSUED and plan.is_latest,
        "cascade": bool(CASCADE_READERS & caps) and plan.unit.numchild > 0,
        # Signing (documents/includes/signing.html): the leader, then the văn thư.
        "lead": bool(LEADER_SIGNING & caps) and approved,
        "prepare": bool(PLAN_SIGNING & caps) and approved,
        "clerk": bool(CLERK & caps) and approved,
    }


@plan_view()
def plan_detail(request: HttpRequest, plan: Plan) -> HttpResponse:
    full = document.load_plan(plan.pk)
    diff = services.upstream_diff(full) if full.parent_plan_id else None
    newer = (
        Plan.objects.filter(unit=plan.unit, year=plan.year, version__gt=plan.version)
        .order_by("version")
        .first()
    )
    actions = _actions(request, plan)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": full,
            "doc": document.build(full),
            "actions": actions,
            "diff": diff,
            "newer": newer,
            "return_form": ReturnForm(),
            "signing": _signing(request, full, actions),
        },
    )


def _signing(request: HttpRequest, plan: Plan, actions: dict[str, bool]) -> dict[str, Any]:
    """What documents/includes/signing.html needs to show the plan's signing steps."""
    return {
        "document": plan.document if plan.document_id else None,
        "what": _("kế hoạch"),
        "ready": plan.status == Status.APPROVED,
        "lead": actions["lead"],
        "prepare": actions["prepare"],
        "clerk": actions["clerk"],
        "action_url": reverse("plans:transition", args=[plan.pk]),
        "upload_url": reverse("plans:upload_signed", args=[plan.pk]),
        "readiness": document_services.signing_readiness(plan.unit, request.user)
        if actions["lead"] or actions["clerk"]
        else None,
        "upload_form": SignedUploadForm(),
    }


@plan_view()
def plan_pdf(request: HttpRequest, plan: Plan) -> HttpResponse:
    """The plan as its PDF would be: a draft preview until the signed document exists."""
    from plans.pdf import render_plan_pdf

    try:
        rendered = render_plan_pdf(plan)
    except RenderTooLong as exc:
        return render(
            request,
            "documents/too_long.html",
            {
                "message": str(exc),
                "back_url": reverse("plans:detail", args=[plan.pk]),
                "back_label": _("Về kế hoạch"),
            },
            status=422,
        )
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="ke-hoach-{plan.year}-{plan.unit.code}-du-thao.pdf"'
    return response


@plan_view()
def plan_history(request: HttpRequest, plan: Plan) -> HttpResponse:
    entries = history_entries(
        [
            Plan.history.filter(id=plan.pk),
            Task.history.filter(plan_id=plan.pk),
            TaskGroup.history.filter(plan_id=plan.pk),
            Target.history.filter(task_id__in=list(plan.tasks.values_list("pk", flat=True))),
            SectionItem.history.filter(section_id__in=list(plan.sections.values_list("pk", flat=True))),
        ],
        limit=300,
    )
    return render(request, "plans/plan_history.html", {"plan": plan, "entries": entries})


# --- workflow ---------------------------------------------------------------------------------------


# Who may take each step: any one of the capabilities, at the plan's own unit.
TRANSITION_CAPABILITIES = {
    "submit": {Capability.MANAGE_PLANS},
    "approve": {Capability.APPROVE_SIGN},
    "return": {Capability.APPROVE_SIGN},
    "sign": LEADER_SIGNING,
    "prepare_client": PLAN_SIGNING,
    "issue_clerk": CLERK,
    "number_token": CLERK,
    "amend": {Capability.MANAGE_PLANS},
}


@plan_view(methods=("POST",))
def plan_transition(request: HttpRequest, plan: Plan) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in TRANSITION_CAPABILITIES:
        messages.error(request, _("Thao tác không hợp lệ."))
        return redirect("plans:detail", plan.pk)
    if not TRANSITION_CAPABILITIES[action] & request.plan_caps:
        raise PermissionDenied
    try:
        if action == "submit":
            services.submit(plan, by=request.user)
            messages.success(request, _("Đã trình kế hoạch để lãnh đạo phê duyệt."))
        elif action == "approve":
            services.approve(plan, by=request.user)
            messages.success(request, _("Đã phê duyệt kế hoạch."))
        elif action == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                raise services.PlanError(form.errors["reason"][0])
            services.return_to_draft(plan, reason=form.cleaned_data["reason"], by=request.user)
            messages.success(request, _("Đã trả lại kế hoạch để sửa."))
        elif action == "sign":
            services.sign_as_leader(plan, by=request.user)
            messages.success(
                request, _("Đã ký số kế hoạch. Văn thư sẽ kiểm tra, cấp số, ký số của cơ quan và ban hành.")
            )
        elif action == "prepare_client":
            services.prepare_leader_token(plan, by=request.user)
            messages.success(
                request, _("Hãy tải bản PDF, ký bằng USB token của lãnh đạo rồi tải bản đã ký lên.")
            )
        elif action == "issue_clerk":
            plan = services.issue_by_clerk(plan, by=request.user)
            messages.success(
                request,
                _("Đã cấp số, ký số của cơ quan và ban hành kế hoạch số %(ref)s.") % {"ref": plan.reference},
            )
        elif action == "number_token":
            document = services.number_for_seal_token(plan, by=request.user)
            messages.success(
                request,
                _("Đã cấp số %(ref)s. Hãy tải bản PDF, ký bằng USB token của cơ quan rồi tải bản đã ký lên.")
                % {"ref": document.reference},
            )
        elif action == "amend":
            new = services.amend(plan, by=request.user)
            messages.success(
                request, _("Đã tạo phiên bản sửa đổi (dự thảo). Bản đã ban hành vẫn giữ nguyên.")
            )
            return redirect("plans:edit", new.pk)
    except services.PlanError as exc:
        messages.error(request, str(exc))
    return redirect("plans:detail", plan.pk)


@plan_view(methods=("POST",))
def upload_signed(request: HttpRequest, plan: Plan) -> HttpResponse:
    """A PDF signed with a USB token: the leader's (the plan then waits for the văn thư) or the
    body's on the numbered plan (the plan is then issued). Checked strictly before it is kept."""
    state = plan.document.state if plan.document_id else None
    needs = CLERK if state == OutgoingDocument.State.AWAITING_SEAL else LEADER_SIGNING
    if not needs & request.plan_caps:
        raise PermissionDenied
    form = SignedUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form.first_error())
        return redirect("plans:detail", plan.pk)
    content = form.cleaned_data["file"].read()
    try:
        if state == OutgoingDocument.State.AWAITING_SEAL:
            plan = services.accept_seal_upload(plan, content, by=request.user)
            done = _("Đã nhận bản có chữ ký số của cơ quan và ban hành kế hoạch số %(ref)s.") % {
                "ref": plan.reference
            }
        else:
            services.accept_leader_upload(plan, content, by=request.user)
            done = _("Đã nhận bản lãnh đạo đã ký số. Văn thư sẽ cấp số, ký số của cơ quan và ban hành.")
    except services.PlanError as exc:
        messages.error(request, _("Chưa nhận bản đã ký: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, done)
    return redirect("plans:detail", plan.pk)


# --- the editor -------------------------------------------------------------------------------------


def _section_lines(plan: Plan, section: Section) -> list[document.Line]:
    return document.item_lines(list(section.items.all()), None, 1, plan)


def _editor_context(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    plan = document.load_plan(plan_id)
    sections = [(s, _section_lines(plan, s)) for s in plan.sections.all()]
    return {
        "plan": plan,
        "sections": sections,
        "tasks_section": next((s for s, _lines in sections if s.kind == Section.Kind.TASKS), None),
        "roles": list(role_choices(plan)),
        "unassigned_heading": services.UNASSIGNED_HEADING,
        "header_form": PlanHeaderForm(instance=plan),
        "rules_form": RulesForm(plan=plan),
        "rules_warnings": deadlines.warnings(plan.year, plan.reporting_rules.all()),
        "new_item_form": NewItemForm(),
        "new_group_form": NewGroupForm(plan=plan),
        "groups": list(plan.groups.all()),
        "diff": services.upstream_diff(plan) if plan.parent_plan_id else None,
        "basis": services.basis_sentence(plan),
    }


@editor_view
def plan_edit(request: HttpRequest, plan: Plan) -> HttpResponse:
    return render(request, "plans/editor.html", _editor_context(request, plan.pk))


PARTIAL_TARGETS = {"header": "#header", "tasks": "#tasks", "rules": "#rules"}


def _partial(request: HttpRequest, plan: Plan, name: str, status: int = 200, **extra: Any) -> HttpResponse:
    """Re-render one part of the editor after a change (htmx), or go back to it.

    Editor forms target themselves, so that a refused form is replaced by itself with the
    user's input; a successful save retargets the response to the part it changed.
    """
    anchor = extra.pop("anchor", "")
    if not request.htmx:
        return redirect(f"{reverse('plans:edit', args=[plan.pk])}#{anchor}")
    context = _editor_context(request, plan.pk) | extra
    target = extra.pop("target", None) or PARTIAL_TARGETS[name]
    response = render(request, f"plans/editor.html#{name}", context, status=status)
    if status < 400:
        response["HX-Retarget"] = target
        response["HX-Reswap"] = "outerHTML"
    return response


def _section_partial(request: HttpRequest, plan: Plan, section: Section, **extra: Any) -> HttpResponse:
    if section.kind == Section.Kind.TASKS:
        return _partial(request, plan, "tasks", anchor="tasks", **extra)
    lines = _section_lines(
        document.load_plan(plan.pk), Section.objects.prefetch_related("items").get(pk=section.pk)
    )
    return _partial(
        request,
        plan,
        "section",
        anchor=f"section-{section.pk}",
        target=f"#section-{section.pk}",
        section=section,
        lines=lines,
        **extra,
    )


def _conflict(request: HttpRequest, template: str, context: dict[str, Any], current: Model) -> HttpResponse:
    """The user's input is kept and shown beside the version someone else saved."""
    last = current.history.select_related("history_user").first()
    context |= {
        "conflict": current,
        "conflict_by": last.history_user if last else None,
        "conflict_at": last.history_date if last else None,
    }
    return render(request, template, context, status=CONFLICT)


def _locked_edit(
    request: HttpRequest,
    plan: Plan,
    obj: Model,
    form: Any,
    template: str,
    context: dict[str, Any],
    saved: Callable[[], HttpResponse],
) -> HttpResponse:
    """GET the form; POST saves it under optimistic locking. A refused form (422) or a conflict
    (409) comes back as the form with what the user typed."""
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_fields(
                    obj, form.cleaned_data["lock_version"], form.values(), plan=plan, by=request.user
                )
            except services.ConflictError as exc:
                return _conflict(request, template, context, exc.current)
            return saved()
        return render(request, template, context, status=UNPROCESSABLE)
    return render(request, template, context)


@editor_view
def header_edit(request: HttpRequest, plan: Plan) -> HttpResponse:
    form = PlanHeaderForm(request.POST or None, instance=plan)
    return _locked_edit(
        request,
        plan,
        plan,
        form,
        "plans/includes/header_form.html",
        {"plan": plan, "header_form": form},
        lambda: _partial(request, plan, "header", anchor="header", saved=True),
    )


@editor_view
def rules_edit(request: HttpRequest, plan: Plan) -> HttpResponse:
    form = RulesForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        services.set_reporting_rules(plan, form.rules())
        return _partial(request, plan, "rules", anchor="rules", rules_saved=True)
    return _partial(
        request, plan, "rules", status=UNPROCESSABLE if request.method == "POST" else 200, rules_form=form
    )


@editor_view
def section_edit(request: HttpRequest, plan: Plan, section_id: int) -> HttpResponse:
    section = _child(Section, plan, section_id)
    form = SectionTitleForm(request.POST or None, initial={"title": section.title})
    if request.method == "POST" and form.is_valid():
        section.title = form.cleaned_data["title"].strip()
        section.save(update_fields=["title"])
        return _section_partial(request, plan, section)
    return render(
        request,
        "plans/includes/section_title_form.html",
        {"plan": plan, "section": section, "form": form},
        status=UNPROCESSABLE if request.method == "POST" else 200,
    )


@editor_view
def item_add(request: HttpRequest, plan: Plan, section_id: int) -> HttpResponse:
    section = _child(Section, plan, section_id)
    form = NewItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        parent = None
        if form.cleaned_data.get("parent"):
            parent = get_object_or_404(SectionItem, pk=form.cleaned_data["parent"], section=section)
        services.add_item(
            section, style=form.cleaned_data["style"], text=form.cleaned_data["text"].strip(), parent=parent
        )
        return _section_partial(request, plan, section)
    parent_id = request.GET.get("parent") or request.POST.get("parent")
    return render(
        request,
        "plans/includes/item_new_form.html",
        {"plan": plan, "section": section, "form": form, "parent_id": parent_id},
        status=UNPROCESSABLE if request.method == "POST" else 200,
    )


@editor_view
def item_edit(request: HttpRequest, plan: Plan, item_id: int) -> HttpResponse:
    item = _child(SectionItem, plan, item_id)
    form = ItemForm(request.POST or None, instance=item)
    return _locked_edit(
        request,
        plan,
        item,
        form,
        "plans/includes/item_form.html",
        {"plan": plan, "item": item, "form": form},
        lambda: _section_partial(request, plan, item.section),
    )


def _move_or_delete(
    request: HttpRequest, plan: Plan, obj: Model, after: Callable[[], HttpResponse]
) -> HttpResponse:
    if request.method != "POST":
        return after()
    if "delete" in request.POST:
        services.delete(obj, plan=plan)
    else:
        form = MoveForm(request.POST)
        if form.is_valid():
            services.move(obj, form.cleaned_data["direction"], plan=plan)
    return after()


@editor_view
def item_change(request: HttpRequest, plan: Plan, item_id: int) -> HttpResponse:
    item = _child(SectionItem, plan, item_id)
    return _move_or_delete(request, plan, item, lambda: _section_partial(request, plan, item.section))


@editor_view
def group_add(request: HttpRequest, plan: Plan) -> HttpResponse:
    form = NewGroupForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        services.add_group(plan, **form.values())
        return _partial(request, plan, "tasks", anchor="tasks")
    return _partial(
        request, plan, "tasks", status=UNPROCESSABLE if request.method == "POST" else 200, new_group_form=form
    )


@editor_view
def group_edit(request: HttpRequest, plan: Plan, group_id: int) -> HttpResponse:
    group = _child(TaskGroup, plan, group_id)
    form = GroupForm(request.POST or None, instance=group, plan=plan)
    return _locked_edit(
        request,
        plan,
        group,
        form,
        "plans/includes/group_form.html",
        {"plan": plan, "group": group, "form": form},
        lambda: _partial(request, plan, "tasks", anchor=f"group-{group.pk}"),
    )


@editor_view
def group_change(request: HttpRequest, plan: Plan, group_id: int) -> HttpResponse:
    group = _child(TaskGroup, plan, group_id)
    return _move_or_delete(request, plan, group, lambda: _partial(request, plan, "tasks", anchor="tasks"))


def _task_form_response(request, plan, form, formset, task=None, group=None, status=200, conflict=None):
    context = {"plan": plan, "form": form, "formset": formset, "task": task, "group": group}
    if conflict is not None:
        return _conflict(request, "plans/includes/task_form.html", context, conflict)
    return render(request, "plans/includes/task_form.html", context, status=status)


@editor_view
def task_add(request: HttpRequest, plan: Plan, group_id: int) -> HttpResponse:
    group = _child(TaskGroup, plan, group_id)
    form = TaskForm(request.POST or None, plan=plan)
    formset = TargetFormSet(request.POST or None, instance=Task(plan=plan), prefix="targets")
    form.fields["lock_version"].required = False
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            values = form.values()
            task = services.add_task(group, **values)
            for target in formset.save(commit=False):
                services.add_target(
                    task,
                    name=target.name,
                    unit_of_measure=target.unit_of_measure,
                    value=target.value,
                    kind=target.kind,
                    aggregation=target.aggregation,
                )
            return _partial(request, plan, "tasks", anchor=f"task-{task.pk}")
        return _task_form_response(request, plan, form, formset, group=group, status=UNPROCESSABLE)
    return _task_form_response(request, plan, form, formset, group=group)


@editor_view
def task_edit(request: HttpRequest, plan: Plan, task_id: int) -> HttpResponse:
    task = _child(Task, plan, task_id)
    form = TaskForm(request.POST or None, instance=task, plan=plan)
    formset = TargetFormSet(request.POST or None, instance=task, prefix="targets")
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                services.update_fields(
                    task, form.cleaned_data["lock_version"], form.values(), plan=plan, by=request.user
                )
            except services.ConflictError as exc:
                return _task_form_response(request, plan, form, formset, task=task, conflict=exc.current)
            for target in formset.save(commit=False):
                if target.superior_key is not None and target.pk:
                    target.set_locally = True
                target.save()
            for target in formset.deleted_objects:
                target.delete()
            return _partial(request, plan, "tasks", anchor=f"task-{task.pk}")
        return _task_form_response(request, plan, form, formset, task=task, status=UNPROCESSABLE)
    return _task_form_response(request, plan, form, formset, task=task)


@editor_view
def task_change(request: HttpRequest, plan: Plan, task_id: int) -> HttpResponse:
    task = _child(Task, plan, task_id)
    return _move_or_delete(request, plan, task, lambda: _partial(request, plan, "tasks", anchor="tasks"))


@editor_view
def task_assign(request: HttpRequest, plan: Plan, task_id: int) -> HttpResponse:
    task = _child(Task, plan, task_id)
    form = AssignForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        group = form.cleaned_data["group"] or services.group_for_role(plan, form.cleaned_data["role"])
        try:
            services.move_task_to_group(task, group, form.cleaned_data["lock_version"], by=request.user)
        except services.ConflictError:
            return _partial(
                request,
                plan,
                "tasks",
                status=CONFLICT,
                anchor=f"task-{task.pk}",
                tasks_message=_(
                    "Nhiệm vụ vừa được người khác sửa; danh sách đã được tải lại, hãy giao lại nếu cần."
                ),
            )
        return _partial(request, plan, "tasks", anchor=f"task-{task.pk}")
    return _partial(request, plan, "tasks", status=UNPROCESSABLE if request.method == "POST" else 200)


# --- cascade ------------------------------------------------------------------------------------------


@plan_view(methods=("GET", "POST"))
def upstream_changes(request: HttpRequest, plan: Plan) -> HttpResponse:
    diff = services.upstream_diff(plan)
    can_take = Capability.MANAGE_PLANS in request.plan_caps
    if request.method == "POST":
        if not can_take:
            raise PermissionDenied
        try:
            applied = services.take_upstream_changes(plan, request.POST.getlist("change"), by=request.user)
        except services.PlanError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Đã nhận %(n)d thay đổi; kế hoạch nay theo phiên bản mới nhất của kế hoạch cấp trên.")
                % {"n": applied},
            )
        return redirect("plans:upstream", plan.pk)
    return render(
        request,
        "plans/upstream.html",
        {"plan": plan, "diff": diff, "can_take": can_take and plan.is_editable},
    )


@plan_view()
def cascade(request: HttpRequest, plan: Plan) -> HttpResponse:
    if not CASCADE_READERS & request.plan_caps:
        raise PermissionDenied
    overview = services.cascade_overview(plan)
    tasks = list(plan.tasks.select_related("group").order_by("group__position", "position"))
    return render(
        request,
        "plans/cascade.html",
        {
            "plan": plan,
            "overview": overview,
            "tasks": [(t, overview.task_counts.get(t.key, 0)) for t in tasks],
            "in_review": overview.status_counts.get(Status.SUBMITTED, 0)
            + overview.status_counts.get(Status.APPROVED, 0),
        },
    )


@plan_view()
def cascade_task(request: HttpRequest, plan: Plan, task_id: int) -> HttpResponse:
    if not CASCADE_READERS & request.plan_caps:
        raise PermissionDenied
    task = _child(Task, plan, task_id)
    return render(
        request,
        "plans/cascade_task.html",
        {"plan": plan, "task": task, "units": services.carrying_units(plan, task)},
    )


# --- spreadsheets -------------------------------------------------------------------------------------


class TaskImport(imports.Import):
    """A task table from a spreadsheet into a draft plan (plans.spreadsheets)."""

    kind = "tasks"
    upload_form = TaskImportForm
    refusals = (SpreadsheetError, services.PlanError)
    form_template = "plans/task_import.html"
    preview_template = "plans/task_import_preview.html"
    refused_status = UNPROCESSABLE
    cancelled_message = gettext_lazy("Đã hủy nhập. Không có nhiệm vụ nào được ghi.")

    def __init__(self, request: HttpRequest, plan: Plan) -> None:
        super().__init__(request)
        self.plan = plan

    @property
    def max_bytes(self) -> int:
        return settings.TASK_IMPORT_MAX_BYTES

    def read(self, content: bytes, name: str, options: dict[str, Any]) -> Any:
        from plans import spreadsheets

        return spreadsheets.read_task_sheet(content, name, self.plan, self.max_bytes)

    def preview(self, preview: Any, name: str) -> imports.Preview:
        valid, invalid = len(preview.valid_rows), len(preview.invalid_rows)
        shown = imports.Preview(
            title=name,
            summary=_("%(ok)d nhiệm vụ hợp lệ, %(bad)d dòng có lỗi.") % {"ok": valid, "bad": invalid},
            outcome="changes" if preview.is_valid else "errors",
            confirmable=bool(valid),
            skippable=invalid,
        )
        shown.set_errors(preview.errors)
        shown.add_table(
            _("Nhiệm vụ trong tệp"),
            [
                _("Dòng"),
                _("Nội dung nhiệm vụ"),
                _("Chủ trì"),
                _("Phối hợp"),
                _("Thời gian"),
                _("Chỉ tiêu, sản phẩm"),
            ],
            preview.rows,
            _task_cells,
            id="import-rows",
            more=_("… và %(n)d dòng khác."),
            invalid=lambda row: bool(row.errors),
        )
        return shown

    def apply(self, preview: Any, *, content: bytes, name: str, skip_invalid: bool) -> imports.Applied:
        from plans import spreadsheets

        created = spreadsheets.apply_task_import(preview, by=self.request.user, skip_invalid=skip_invalid)
        return imports.Applied(_("Đã thêm %(n)d nhiệm vụ từ tệp.") % {"n": created})

    def form_url(self) -> str:
        return reverse("plans:import", args=[self.plan.pk])

    def done_url(self) -> str:
        return reverse("plans:edit", args=[self.plan.pk])

    def context(self) -> dict[str, Any]:
        return {"plan": self.plan}


def _task_cells(row: Any) -> list[Any]:
    from plans import spreadsheets

    if row.lead_role:
        lead = row.lead_role.name
    elif row.lead_unit:
        lead = row.lead_unit.full_name
    elif row.lead_level:
        lead = spreadsheets.LEVEL_HEADINGS.get(row.lead_level, row.lead_level)  # every unit of a level
    else:
        lead = row.lead_label
    partners = [r.name for r in row.co_roles] + [u.full_name for u in row.co_units]
    amounts = [f"{t.name} — {number_text(t.value)} {t.unit_of_measure}".rstrip() for t in row.targets]
    return [
        row.row,
        row.title,
        lead,
        ", ".join([*partners, row.co_text] if row.co_text else partners),
        row.timing_note,
        imports.Lines(amounts + ([row.product] if row.product else [])),
    ]


@editor_view
def task_import(request: HttpRequest, plan: Plan) -> HttpResponse:
    """Upload a task table → preview with row errors (nothing written) → confirm or cancel."""
    return imports.handle(request, TaskImport(request, plan))


@plan_view()
def task_export(request: HttpRequest, plan: Plan) -> HttpResponse:
    from plans import spreadsheets

    full = document.load_plan(plan.pk)
    response = HttpResponse(
        spreadsheets.export_tasks_xlsx(full),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"nhiem-vu-ke-hoach-{plan.year}-{plan.unit.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
