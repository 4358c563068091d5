"""Writes to plans: creating, cascading, amending, the approval workflow, and edits.

Every function that changes more than one row runs in one transaction and raises PlanError
with a Vietnamese message that the views show as is. Edits carry the `lock_version` the user
saw; a stale one raises ConflictError with the current row, so nobody overwrites a colleague's
work without seeing it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cchc_portal.lib import nd30
from cchc_portal.lib.documents import RenderedPdf, RenderTooLong
from documents import services as documents
from documents.models import DocumentType, OutgoingDocument
from plans.models import (
    NonWorkingDay,
    PeriodType,
    Plan,
    ReportingRule,
    Section,
    SectionItem,
    Status,
    Target,
    Task,
    TaskGroup,
)
from plans.targets import default_aggregation, infer_kind
from units.models import Level, Membership, Role, Unit


class PlanError(Exception):
    """A refused action, with the message to show the user."""


class ConflictError(PlanError):
    """Someone else saved this row since the user loaded it."""

    def __init__(self, current: Model) -> None:
        self.current = current
        super().__init__(
            _("Nội dung này vừa được người khác sửa. Hãy xem bản hiện tại bên dưới rồi chọn giữ bản nào.")
        )


# --- texts a new plan starts with ---------------------------------------------------------------

DEFAULT_SECTIONS = [
    (Section.Kind.PURPOSE, "MỤC ĐÍCH, YÊU CẦU", [("heading", "Mục đích"), ("heading", "Yêu cầu")]),
    (
        Section.Kind.CONTENT,
        "NỘI DUNG, HÌNH THỨC TUYÊN TRUYỀN",
        [("heading", "Nội dung tuyên truyền"), ("heading", "Các hình thức tuyên truyền")],
    ),
    (Section.Kind.ACTIVITIES, "MỘT SỐ HOẠT ĐỘNG TUYÊN TRUYỀN TRỌNG TÂM", []),
    (Section.Kind.TASKS, "NHIỆM VỤ CỤ THỂ", []),
    (Section.Kind.ORGANISATION, "TỔ CHỨC THỰC HIỆN", [("schedule", "")]),
]
DEFAULT_PERIODS = [PeriodType.QUARTERLY, PeriodType.HALF_YEAR, PeriodType.ANNUAL]
UNASSIGNED_HEADING = "Nhiệm vụ theo kế hoạch cấp trên (chưa phân công chủ trì)"


def default_title(year: int) -> str:
    return f"Kế hoạch tuyên truyền công tác cải cách hành chính năm {year}"


def default_summary(year: int) -> str:
    return f"Tuyên truyền công tác cải cách hành chính năm {year}"


def authority_name(unit: Unit) -> str:
    """How a unit is cited in running text: "UBND phường Tân Thạnh", "Sở Nội vụ"."""
    if unit.kind.level == Level.AGENCY:
        return unit.full_name
    return f"{nd30.body_symbol(unit)} {nd30.lower_first(unit.full_name)}"


def formal_name(unit: Unit) -> str:
    """How a unit is addressed in "Kính gửi" and cited in full, proper nouns only capitalised:
    "Ủy ban nhân dân thành phố Đà Nẵng", "Sở Nội vụ"."""
    if unit.kind.level == Level.AGENCY:
        return unit.full_name
    return nd30.collective_name(unit.full_name)


def basis_sentence(plan: Plan) -> str:
    """ "Thực hiện Kế hoạch số 71/KH-UBND ngày 24/3/2022 của UBND thành phố Tam Kỳ về …; UBND
    phường Tân Thạnh ban hành kế hoạch … như sau:" — generated from the linked superior plan."""
    own = authority_name(plan.unit)
    subject = nd30.lower_first(plan.summary)
    parent = plan.parent_plan
    if parent is not None and parent.document_id:
        cited = "Thực hiện " + nd30.cited_plan(
            parent.reference, parent.issued_on, authority_name(parent.unit), parent.summary
        )
    elif plan.parent_reference:
        cited = f"Thực hiện {plan.parent_reference}"
    else:
        return f"{own} ban hành kế hoạch {subject} như sau:"
    return f"{cited}; {own} ban hành kế hoạch {subject} như sau:"


def closing_sentence(plan: Plan) -> str:
    """The closing line: the plan's own text, or one generated from its current summary."""
    if plan.closing_text.strip():
        return plan.closing_text
    return (
        f"Trên đây là kế hoạch {nd30.lower_first(plan.summary)} của {authority_name(plan.unit)}, "
        f"yêu cầu các bộ phận, đơn vị liên quan nghiêm túc triển khai thực hiện{nd30.END_MARK}"
    )


def default_signer(unit: Unit) -> dict[str, str]:
    if unit.kind.level == Level.AGENCY:
        return {"signer_authority": "", "signer_delegation": "", "signer_title": "GIÁM ĐỐC"}
    return {"signer_authority": "TM. ỦY BAN NHÂN DÂN", "signer_delegation": "", "signer_title": "CHỦ TỊCH"}


def default_recipients(unit: Unit) -> str:
    ancestors = list(Unit.objects.ancestors(unit).select_related("kind"))
    lines = [authority_name(a) for a in reversed(ancestors[-1:])]
    return "\n".join([*lines, "Các bộ phận, đơn vị liên quan"])


# --- guards -------------------------------------------------------------------------------------


def require_editable(plan: Plan) -> None:
    if plan.status == Status.ISSUED:
        raise PlanError(_("Kế hoạch đã ban hành thì không sửa được. Hãy tạo phiên bản sửa đổi."))
    if plan.status != Status.DRAFT:
        raise PlanError(
            _(
                "Kế hoạch đang ở trạng thái “%(status)s”; chỉ sửa được khi còn là dự thảo (hãy trả lại để sửa)."
            )
            % {"status": plan.get_status_display()}
        )


def _locked(model: type[Model], pk: int, expected_version: int | None) -> Any:
    """Lock a row for update and check the version the user saw."""
    obj = model.objects.select_for_update().get(pk=pk)
    if expected_version is not None and obj.lock_version != expected_version:
        raise ConflictError(obj)
    return obj


def _bump(obj: Model, reason: str | None = None, by: Any = None) -> None:
    obj.lock_version += 1
    if by is not None and getattr(by, "is_authenticated", False):
        obj._history_user = by
    if reason:
        obj._change_reason = reason
    obj.save()


# --- creating plans -------------------------------------------------------------------------------


def _check_no_plan(unit: Unit, year: int) -> None:
    existing = Plan.objects.filter(unit=unit, year=year, is_latest=True).first()
    if existing is not None:
        raise PlanError(
            _("%(unit)s đã có kế hoạch năm %(year)d (%(status)s); hãy mở kế hoạch đó.")
            % {"unit": unit.full_name, "year": year, "status": existing.get_status_display().lower()}
        )


def _new_plan(unit: Unit, year: int, by: Any, **fields: Any) -> Plan:
    _check_no_plan(unit, year)
    defaults = {
        "title": default_title(year),
        "summary": default_summary(year),
        "recipients": default_recipients(unit),
        **default_signer(unit),
    }
    plan = Plan(unit=unit, year=year, created_by=by if getattr(by, "is_authenticated", False) else None)
    for name, value in (defaults | fields).items():
        setattr(plan, name, value)
    plan.save()
    return plan


@transaction.atomic
def create_plan(unit: Unit, year: int, *, by: Any = None) -> Plan:
    """A blank plan with the five usual sections and the CCHC reporting schedule."""
    plan = _new_plan(unit, year, by)
    for position, (kind, title, items) in enumerate(DEFAULT_SECTIONS):
        section = Section.objects.create(plan=plan, position=position, kind=kind, title=title)
        for item_position, (style, text) in enumerate(items):
            SectionItem.objects.create(section=section, position=item_position, style=style, text=text)
    ReportingRule.objects.bulk_create([ReportingRule(plan=plan, period_type=p) for p in DEFAULT_PERIODS])
    return plan


def _copy_sections(source: Plan, plan: Plan, replace_year: tuple[int, int] | None = None) -> None:
    def text(value: str) -> str:
        return value.replace(str(replace_year[0]), str(replace_year[1])) if replace_year else value

    for section in source.sections.prefetch_related("items"):
        new_section = Section.objects.create(
            plan=plan, position=section.position, kind=section.kind, title=section.title
        )
        mapping: dict[int, SectionItem] = {}
        for item in sorted(section.items.all(), key=lambda i: (i.parent_id is not None, i.position, i.pk)):
            mapping[item.pk] = SectionItem.objects.create(
                section=new_section,
                parent=mapping.get(item.parent_id),
                position=item.position,
                style=item.style,
                text=text(item.text),
            )


def _copy_task(
    task: Task,
    plan: Plan,
    group: TaskGroup,
    *,
    keep_key: bool,
    as_implementation: bool = False,
    shift_years: int = 0,
) -> Task:
    """Copy a task and its targets into `plan`.

    keep_key: a new version of the same plan (amendment). as_implementation: a subordinate
    plan's task linked to this one (cascade). Otherwise an unrelated copy (last year's plan).
    """
    new = Task(
        plan=plan,
        group=group,
        position=task.position,
        title=task.title,
        description=task.description,
        content_area=task.content_area,
        for_officials=task.for_officials,
        for_public=task.for_public,
        co_text=task.co_text,
        frequency=task.frequency,
        deadline=_shift(task.deadline, shift_years),
        timing_note=task.timing_note,
        budget=None if as_implementation else task.budget,
        product=task.product,
    )
    if keep_key:
        new.key = task.key
        new.superior_task_id, new.superior_key = task.superior_task_id, task.superior_key
    if as_implementation:
        new.superior_task, new.superior_key = task, task.key
    new.save()
    new.channels.set(task.channels.all())
    if not as_implementation:  # roles and units of the superior plan mean nothing below it
        new.co_roles.set(task.co_roles.all())
        new.co_units.set(task.co_units.all())
        new.addressees.set(task.addressees.all())
    for target in task.targets.all():
        copy = Target(
            task=new,
            position=target.position,
            name=target.name,
            unit_of_measure=target.unit_of_measure,
            value=target.value,
            kind=target.kind,
            aggregation=target.aggregation,
            set_locally=target.set_locally and not as_implementation,
        )
        if keep_key:
            copy.key = target.key
            copy.superior_target_id, copy.superior_key = target.superior_target_id, target.superior_key
        if as_implementation:
            copy.superior_target, copy.superior_key = target, target.key
        copy.save()
    return new


def _shift(day: datetime.date | None, years: int) -> datetime.date | None:
    if day is None or not years:
        return day
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _copy_groups_and_tasks(source: Plan, plan: Plan, *, keep_key: bool, shift_years: int = 0) -> None:
    for group in source.groups.all():
        new_group = TaskGroup.objects.create(
            plan=plan,
            position=group.position,
            heading=group.heading,
            lead_role=group.lead_role,
            lead_unit=group.lead_unit,
            lead_level=group.lead_level,
        )
        for task in group.tasks.all():
            _copy_task(task, plan, new_group, keep_key=keep_key, shift_years=shift_years)


def _copy_rules(source: Plan, plan: Plan) -> None:
    ReportingRule.objects.bulk_create(
        [
            ReportingRule(
                plan=plan,
                period_type=r.period_type,
                deadline_day=r.deadline_day,
                subordinate_deadline_day=r.subordinate_deadline_day,
                on_non_working_day=r.on_non_working_day,
            )
            for r in source.reporting_rules.all()
        ]
    )


@transaction.atomic
def copy_previous_year(source: Plan, year: int, *, by: Any = None) -> Plan:
    """Start this year's plan from one of the unit's earlier plans (years in texts are updated)."""
    if year <= source.year:
        raise PlanError(_("Chỉ sao chép được kế hoạch của năm trước sang năm sau."))
    shift = year - source.year
    plan = _new_plan(
        source.unit,
        year,
        by,
        title=source.title.replace(str(source.year), str(year)),
        summary=source.summary.replace(str(source.year), str(year)),
        legal_bases=source.legal_bases,
        closing_text=source.closing_text.replace(str(source.year), str(year)),
        recipients=source.recipients,
        archive_line=source.archive_line,
        signer_authority=source.signer_authority,
        signer_delegation=source.signer_delegation,
        signer_title=source.signer_title,
        signer_name=source.signer_name,
    )
    _copy_sections(source, plan, (source.year, year))
    _copy_groups_and_tasks(source, plan, keep_key=False, shift_years=shift)
    _copy_rules(source, plan)
    return plan


def addressed_tasks(superior: Plan, unit: Unit):
    """The superior plan's tasks that `unit` must carry: those given to every unit of its level,
    to the unit by name (lead, addressee or co-operating unit)."""
    return (
        superior.tasks.filter(
            Q(group__lead_level=unit.kind.level)
            | Q(group__lead_unit=unit)
            | Q(addressees=unit)
            | Q(co_units=unit)
        )
        .distinct()
        .order_by("group__position", "position", "pk")
        .prefetch_related("targets", "channels")
    )


def in_force(unit: Unit, year: int) -> Plan | None:
    """The latest issued version of a unit's plan for the year."""
    return Plan.objects.filter(unit=unit, year=year, status=Status.ISSUED).order_by("-version").first()


@transaction.atomic
def start_from_superior(unit: Unit, superior: Plan, *, by: Any = None) -> Plan:
    """A subordinate plan begun from the superior's issued plan: the addressed tasks are copied
    with a link to the superior task, unassigned, for the unit to give to its own roles."""
    if superior.status != Status.ISSUED:
        raise PlanError(
            _(
                "Kế hoạch cấp trên chưa được ban hành (đang là “%(status)s”); chỉ triển khai từ kế hoạch đã ban hành."
            )
            % {"status": superior.get_status_display()}
        )
    if not unit.path.startswith(superior.unit.path) or unit.pk == superior.unit_id:
        raise PlanError(
            _("Kế hoạch này không phải của đơn vị cấp trên của %(unit)s.") % {"unit": unit.full_name}
        )
    latest = in_force(superior.unit, superior.year)
    if latest is not None and latest.pk != superior.pk:
        superior = latest  # always implement the version in force
    plan = _new_plan(
        unit,
        superior.year,
        by,
        title=superior.title,
        summary=superior.summary,
        parent_plan=superior,
    )
    _copy_sections(superior, plan)
    # Sections I–III carry over as a starting text; IV is the unit's own tasks, and V (who
    # does what, who reports to whom) belongs to the unit, so it starts from the default.
    for section in plan.sections.filter(kind__in=[Section.Kind.TASKS, Section.Kind.ORGANISATION]):
        section.items.all().delete()
        if section.kind == Section.Kind.ORGANISATION:
            SectionItem.objects.create(section=section, position=0, style=SectionItem.Style.SCHEDULE)
    tasks = list(addressed_tasks(superior, unit))
    if tasks:
        group = TaskGroup.objects.create(plan=plan, position=0, heading=UNASSIGNED_HEADING)
        for position, task in enumerate(tasks):
            copy = _copy_task(task, plan, group, keep_key=False, as_implementation=True)
            copy.position = position
            copy.save(update_fields=["position"])
    _copy_rules(superior, plan)
    return plan


@transaction.atomic
def amend(plan: Plan, *, by: Any = None) -> Plan:
    """A new draft version of an issued plan; the issued version stays as it is."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != Status.ISSUED or not plan.is_latest:
        if not plan.is_latest:
            raise PlanError(_("Đã có phiên bản sửa đổi mới hơn của kế hoạch này."))
        raise PlanError(_("Chỉ tạo phiên bản sửa đổi từ kế hoạch đã ban hành."))
    Plan.objects.filter(pk=plan.pk).update(is_latest=False)
    new = Plan.objects.create(
        unit=plan.unit,
        year=plan.year,
        version=plan.version + 1,
        previous=plan,
        title=plan.title,
        summary=plan.summary,
        parent_plan=plan.parent_plan,
        parent_reference=plan.parent_reference,
        legal_bases=plan.legal_bases,
        closing_text=plan.closing_text,
        recipients=plan.recipients,
        archive_line=plan.archive_line,
        signer_authority=plan.signer_authority,
        signer_delegation=plan.signer_delegation,
        signer_title=plan.signer_title,
        signer_name=plan.signer_name,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    _copy_sections(plan, new)
    _copy_groups_and_tasks(plan, new, keep_key=True)
    _copy_rules(plan, new)
    return new


# --- workflow ---------------------------------------------------------------------------------------


def _transition(plan: Plan, expected: set[str], to: str, *, by: Any, reason: str, **fields: Any) -> Plan:
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    if locked.status not in expected:
        raise PlanError(
            _("Không thực hiện được: kế hoạch đang ở trạng thái “%(status)s”.")
            % {"status": locked.get_status_display()}
        )
    locked.status = to
    for name, value in fields.items():
        setattr(locked, name, value)
    _bump(locked, reason, by)
    return locked


@transaction.atomic
def submit(plan: Plan, *, by: Any = None) -> Plan:
    if not plan.tasks.exists():
        raise PlanError(_("Kế hoạch chưa có nhiệm vụ nào; hãy thêm nhiệm vụ trước khi trình."))
    unassigned = plan.tasks.filter(
        group__heading=UNASSIGNED_HEADING, group__lead_role__isnull=True, group__lead_unit__isnull=True
    )
    if unassigned.exists():
        raise PlanError(
            _("Còn nhiệm vụ chưa phân công chủ trì; hãy giao từng nhiệm vụ cho một vai trò trước khi trình.")
        )
    return _transition(
        plan, {Status.DRAFT}, Status.SUBMITTED, by=by, reason=_("Trình phê duyệt"), return_reason=""
    )


@transaction.atomic
def approve(plan: Plan, *, by: Any = None) -> Plan:
    return _transition(
        plan,
        {Status.SUBMITTED},
        Status.APPROVED,
        by=by,
        reason=_("Phê duyệt"),
        approved_by=by if getattr(by, "is_authenticated", False) else None,
        approved_at=timezone.now(),
    )


@transaction.atomic
def return_to_draft(plan: Plan, *, reason: str, by: Any = None) -> Plan:
    reason = reason.strip()
    if not reason:
        raise PlanError(_("Hãy ghi lý do trả lại để người soạn biết cần sửa gì."))
    locked = Plan.objects.select_for_update(of=("self",)).select_related("document").get(pk=plan.pk)
    if locked.document_id and locked.document.is_pending:
        # What the leader signed (or was to sign) is no longer what the plan will say.
        documents.void(locked.document, _("Kế hoạch bị trả lại: %(reason)s") % {"reason": reason})
        locked.document = None
        locked.save(update_fields=["document"])
    return _transition(
        locked,
        {Status.SUBMITTED, Status.APPROVED},
        Status.DRAFT,
        by=by,
        reason=_("Trả lại: %(reason)s") % {"reason": reason},
        return_reason=reason,
    )


@transaction.atomic
def issue(
    plan: Plan, *, by: Any = None, issued_on: datetime.date | None = None, number: int | None = None
) -> Plan:
    """Record an approved plan as issued on paper (before the portal, or outside it): a register
    entry with its number (`number` for a document numbered before the portal), no signed file.
    A plan issued through the portal is signed and issued by `issue_by_clerk`/`accept_seal_upload`."""
    locked = Plan.objects.select_for_update(of=("self",)).select_related("unit__kind").get(pk=plan.pk)
    if locked.status != Status.APPROVED:
        raise PlanError(
            _("Chỉ ban hành được kế hoạch đã phê duyệt (đang là “%(status)s”).")
            % {"status": locked.get_status_display()}
        )
    if locked.document_id and locked.document.is_pending:
        documents.void(locked.document, _("Kế hoạch được ban hành bằng văn bản giấy."))
    try:
        locked.document = documents.record_paper_document(
            locked.unit,
            DocumentType.PLAN,
            subject=locked.summary,
            issued_on=issued_on or timezone.localdate(),
            signer_name=locked.signer_name,
            number=number,
            by=by,
        )
    except documents.DocumentError as exc:
        raise PlanError(str(exc)) from exc
    _supersede(locked)
    locked.save(update_fields=["document"])
    return _transition(locked, {Status.APPROVED}, Status.ISSUED, by=by, reason=_("Ban hành"))


def _supersede(plan: Plan) -> None:
    """An amendment cites the version it replaces (the register shows both)."""
    if plan.previous_id and plan.previous.document_id and plan.document.supersedes_id is None:
        plan.document.supersedes_id = plan.previous.document_id
        plan.document.save(update_fields=["supersedes"])


# --- signing and issuing: the leader, then the văn thư (NĐ 30 Điều 14) ----------------------------------


def _document_error(exc: documents.DocumentError) -> PlanError:
    return PlanError(str(exc))


def leaders_of(plan: Plan) -> set[int]:
    """Who may sign the plan as its leader: the one who approved it, and any leader of the unit
    who holds approve-and-sign."""
    ids = set(
        Membership.objects.active()
        .filter(unit=plan.unit, approve_sign=True)
        .values_list("user_id", flat=True)
    )
    if plan.approved_by_id:
        ids.add(plan.approved_by_id)
    return ids


def plan_source(plan: Plan) -> dict[str, Any]:
    """What the signed PDF is rendered from: the whole text but the number and date."""
    from plans.document import build, load_plan

    return {"plan": plan.pk, "version": plan.version, "text": build(load_plan(plan.pk)).text(header=False)}


def _approved(plan: Plan) -> Plan:
    locked = (
        Plan.objects.select_for_update(of=("self",)).select_related("unit__kind", "document").get(pk=plan.pk)
    )
    if locked.status != Status.APPROVED:
        raise PlanError(
            _("Chỉ ký được kế hoạch đã phê duyệt (đang là “%(status)s”).")
            % {"status": locked.get_status_display()}
        )
    return locked


def _new_document(plan: Plan) -> OutgoingDocument:
    """A fresh document for the plan (a pending one it replaces is void)."""
    if plan.document_id and plan.document.is_pending:
        documents.void(plan.document, _("Đã thay bằng bản chuẩn bị mới."))
    plan.document = documents.start_document(
        plan.unit,
        DocumentType.PLAN,
        subject=plan.summary,
        source=plan_source(plan),
        supersedes=plan.previous.document if plan.previous_id and plan.previous.document_id else None,
    )
    plan.save(update_fields=["document"])
    return plan.document


def _pending(plan: Plan, *states: str) -> OutgoingDocument:
    document = plan.document if plan.document_id else None
    if document is None or document.state not in states:
        raise PlanError(_("Kế hoạch không có văn bản ở bước này."))
    try:
        documents.check_source(document, plan_source(plan))
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    return document


def _rendered(plan: Plan) -> RenderedPdf:
    """The plan's PDF; a plan too long to lay out within the budget is a PlanError naming the part."""
    from plans.pdf import render_plan_pdf

    try:
        return render_plan_pdf(plan)
    except RenderTooLong as exc:
        raise PlanError(str(exc)) from exc


@transaction.atomic
def sign_as_leader(plan: Plan, *, by: Any) -> Plan:
    """The leader signs the approved plan on the server (their stored key); the văn thư then
    numbers, seals and issues it (`issue_by_clerk`)."""
    plan = _approved(plan)
    if not plan.signer_name.strip():
        plan.signer_name = by.get_full_name()
        plan.save(update_fields=["signer_name"])
    document = _new_document(plan)
    try:
        documents.sign_as_leader(
            document, _rendered(plan), by=by, signer_name=plan.signer_name, people=leaders_of(plan)
        )
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    _bump(plan, _("Lãnh đạo ký số"), by)
    return plan


@transaction.atomic
def prepare_leader_token(plan: Plan, *, by: Any) -> OutgoingDocument:
    """The PDF the leader signs in their own tool (USB token); the same one again while the
    plan has not changed."""
    plan = _approved(plan)
    current = plan.document if plan.document_id else None
    if (
        current is not None
        and current.state == OutgoingDocument.State.AWAITING_LEADER
        and current.unsigned_pdf
        and current.source_sha256 == documents.source_fingerprint(plan_source(plan))
    ):
        return current
    document = _new_document(plan)
    try:
        return documents.prepare_for_leader(document, _rendered(plan))
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc


@transaction.atomic
def accept_leader_upload(plan: Plan, signed: bytes, *, by: Any) -> Plan:
    """The leader's token-signed PDF of the approved plan; then the văn thư issues it."""
    plan = _approved(plan)
    document = _pending(plan, OutgoingDocument.State.AWAITING_LEADER)
    try:
        documents.accept_leader_signed(document, signed, people=leaders_of(plan))
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    _bump(plan, _("Lãnh đạo ký số"), by)
    return plan


@transaction.atomic
def issue_by_clerk(plan: Plan, *, by: Any, issued_on: datetime.date | None = None) -> Plan:
    """The văn thư's step on the server: number, date, the unit's signature, issued."""
    plan = _approved(plan)
    document = _pending(plan, OutgoingDocument.State.AWAITING_CLERK)
    try:
        documents.take_number(document, by=by, issued_on=issued_on)
        documents.seal_on_server(document, by=by)
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    plan.refresh_from_db(fields=["document"])
    return _transition(plan, {Status.APPROVED}, Status.ISSUED, by=by, reason=_("Ban hành"))


@transaction.atomic
def number_for_seal_token(plan: Plan, *, by: Any, issued_on: datetime.date | None = None) -> OutgoingDocument:
    """The văn thư numbers the leader-signed plan; the unit's token signs it next."""
    plan = _approved(plan)
    document = _pending(plan, OutgoingDocument.State.AWAITING_CLERK)
    try:
        return documents.take_number(document, by=by, issued_on=issued_on)
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc


@transaction.atomic
def accept_seal_upload(plan: Plan, signed: bytes, *, by: Any) -> Plan:
    """The numbered plan signed with the unit's token: checked, kept, issued."""
    plan = _approved(plan)
    document = plan.document if plan.document_id else None
    if document is None or document.state != OutgoingDocument.State.AWAITING_SEAL:
        raise PlanError(_("Kế hoạch chưa được văn thư cấp số để ký số của cơ quan."))
    try:
        documents.accept_seal_signed(document, signed)
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    return _transition(plan, {Status.APPROVED}, Status.ISSUED, by=by, reason=_("Ban hành"))


# --- edits under optimistic locking -------------------------------------------------------------------


@transaction.atomic
def update_fields(
    obj: Model, expected_version: int | None, values: dict[str, Any], *, plan: Plan, by: Any = None
) -> Model:
    """Save `values` on a plan, section, item, group, task or target if nobody saved it meanwhile."""
    require_editable(Plan.objects.get(pk=plan.pk))
    m2m = {k: v for k, v in values.items() if isinstance(v, list | tuple | set) or hasattr(v, "model")}
    locked = _locked(type(obj), obj.pk, expected_version)
    for name, value in values.items():
        if name not in m2m:
            setattr(locked, name, value)
    _bump(locked, by=by)
    for name, value in m2m.items():
        getattr(locked, name).set(value)
    return locked


def _next_position(qs) -> int:
    return (qs.aggregate(m=Max("position"))["m"] or 0) + 1 if qs.exists() else 0


@transaction.atomic
def add_item(section: Section, *, style: str, text: str, parent: SectionItem | None = None) -> SectionItem:
    require_editable(section.plan)
    siblings = section.items.filter(parent=parent)
    return SectionItem.objects.create(
        section=section, parent=parent, style=style, text=text, position=_next_position(siblings)
    )


@transaction.atomic
def add_group(
    plan: Plan,
    *,
    heading: str,
    lead_role: Role | None = None,
    lead_unit: Unit | None = None,
    lead_level: str = "",
) -> TaskGroup:
    require_editable(plan)
    return TaskGroup.objects.create(
        plan=plan,
        heading=heading,
        lead_role=lead_role,
        lead_unit=lead_unit,
        lead_level=lead_level,
        position=_next_position(plan.groups.all()),
    )


def group_for_role(plan: Plan, role: Role) -> TaskGroup:
    group = plan.groups.filter(lead_role=role).first()
    return group or add_group(plan, heading=role.name, lead_role=role)


@transaction.atomic
def add_task(group: TaskGroup, **values: Any) -> Task:
    require_editable(group.plan)
    m2m = {k: values.pop(k) for k in ("channels", "co_roles", "co_units", "addressees") if k in values}
    task = Task.objects.create(
        plan=group.plan, group=group, position=_next_position(group.tasks.all()), **values
    )
    for name, items in m2m.items():
        getattr(task, name).set(items)
    return task


@transaction.atomic
def add_target(
    task: Task,
    *,
    name: str,
    unit_of_measure: str,
    value,
    kind: str | None = None,
    aggregation: str | None = None,
) -> Target:
    """A target; its kind read from the unit of measure when not given ("%" → percent,
    "số/tháng" → rate), its aggregation the kind's default (plans/targets.py)."""
    require_editable(task.plan)
    kind = kind or infer_kind(unit_of_measure)
    return Target.objects.create(
        task=task,
        name=name,
        unit_of_measure=unit_of_measure,
        value=value,
        kind=kind,
        aggregation=aggregation or default_aggregation(kind),
        position=_next_position(task.targets.all()),
        set_locally=task.superior_key is not None,
    )


@transaction.atomic
def move_task_to_group(task: Task, group: TaskGroup, expected_version: int | None, *, by: Any = None) -> Task:
    """Give a task to another lead (role, unit or group)."""
    require_editable(task.plan)
    if group.plan_id != task.plan_id:
        raise PlanError(_("Nhóm nhiệm vụ không thuộc kế hoạch này."))
    locked = _locked(Task, task.pk, expected_version)
    if locked.group_id != group.pk:
        old_group = locked.group
        locked.group = group
        locked.position = _next_position(group.tasks.all())
        _bump(locked, by=by)
        # The holding group of cascaded tasks goes away once every task has a lead.
        if (
            old_group.heading == UNASSIGNED_HEADING
            and old_group.is_unassigned
            and not old_group.tasks.exists()
        ):
            old_group.delete()
    return locked


@transaction.atomic
def move(obj: SectionItem | TaskGroup | Task | Target, direction: int, *, plan: Plan) -> None:
    """Swap with the previous (-1) or next (+1) sibling."""
    require_editable(plan)
    siblings = {
        SectionItem: lambda o: SectionItem.objects.filter(section=o.section_id, parent=o.parent_id),
        TaskGroup: lambda o: TaskGroup.objects.filter(plan=o.plan_id),
        Task: lambda o: Task.objects.filter(group=o.group_id),
        Target: lambda o: Target.objects.filter(task=o.task_id),
    }[type(obj)](obj)
    ordered = list(siblings.select_for_update().order_by("position", "pk"))
    for index, sibling in enumerate(ordered):  # normalise positions 0..n-1 first
        sibling.position = index
    index = next(i for i, s in enumerate(ordered) if s.pk == obj.pk)
    other = index + direction
    if 0 <= other < len(ordered):
        ordered[index].position, ordered[other].position = other, index
    type(obj).objects.bulk_update(ordered, ["position"])


@transaction.atomic
def delete(obj: SectionItem | TaskGroup | Task | Target, *, plan: Plan) -> None:
    require_editable(plan)
    if isinstance(obj, TaskGroup) and obj.tasks.exists():
        raise PlanError(_("Nhóm còn nhiệm vụ; hãy chuyển hoặc xóa các nhiệm vụ trước."))
    if isinstance(obj, Section):
        raise PlanError(_("Không xóa được phần chính của kế hoạch."))
    obj.delete()


@transaction.atomic
def set_reporting_rules(plan: Plan, rules: dict[str, int | dict[str, int | str]]) -> None:
    """Replace the reporting schedule: {period_type: {field: value}} with the fields
    deadline_day, subordinate_deadline_day, on_non_working_day (the model's defaults for those not
    given), or {period_type: deadline_day} with the units' day three days before it (never before
    the 15th), deadlines on days off kept. Each rule is validated against the calendar of the
    plan's year (ReportingRule.clean): ValidationError when it leaves fewer working days than NĐ 09
    allows."""
    require_editable(plan)
    plan.reporting_rules.exclude(period_type__in=rules).delete()
    existing = {r.period_type: r for r in plan.reporting_rules.all()}
    for period_type, values in rules.items():
        if isinstance(values, int):
            values = {"deadline_day": values, "subordinate_deadline_day": max(15, values - 3)}
        rule = existing.get(period_type) or ReportingRule(plan=plan, period_type=period_type)
        for name, value in values.items():
            setattr(rule, name, value)
        rule.full_clean()
        rule.save()


SCHEDULE_NAMES = {
    PeriodType.MONTHLY: "hằng tháng",
    PeriodType.QUARTERLY: "hằng quý",
    PeriodType.HALF_YEAR: "6 tháng",
    PeriodType.NINE_MONTHS: "9 tháng",
    PeriodType.ANNUAL: "năm",
}


def schedule_sentence(plan: Plan) -> str:
    """Section V's generated reporting sentence: the units' deadline, the plan unit's own to its
    superior, and which deadlines on a day off move to the previous working day."""
    rules = list(plan.reporting_rules.all())
    if not rules:
        return ""
    order = list(PeriodType.values)
    rules.sort(key=lambda r: order.index(r.period_type))
    receiver = authority_name(plan.unit)
    sentence = (
        f"Chế độ báo cáo: các bộ phận, đơn vị báo cáo kết quả thực hiện kế hoạch "
        f"{_by_day(rules, 'subordinate_deadline_day')} về {receiver}; {receiver} tổng hợp, báo cáo cấp trên "
        f"{_by_day(rules, 'deadline_day')}; số liệu tính từ ngày 15 tháng trước đến ngày 14 của tháng cuối kỳ "
        "(Nghị định số 09/2019/NĐ-CP)."
    )
    moved = [
        SCHEDULE_NAMES[PeriodType(r.period_type)]
        for r in rules
        if r.on_non_working_day == NonWorkingDay.PREVIOUS
    ]
    if moved:
        sentence += (
            f" Hạn gửi báo cáo {_join(moved)} trùng ngày nghỉ (thứ Bảy, Chủ nhật, ngày lễ, Tết) "
            "là ngày làm việc liền trước."
        )
    return sentence


def _by_day(rules: list[ReportingRule], field: str) -> str:
    """ "hằng quý và năm (chậm nhất ngày 20 của tháng cuối kỳ); 6 tháng (chậm nhất ngày 18 …)"."""
    by_day: dict[int, list[str]] = {}
    for rule in rules:
        by_day.setdefault(getattr(rule, field), []).append(SCHEDULE_NAMES[PeriodType(rule.period_type)])
    return "; ".join(
        f"{_join(periods)} (chậm nhất ngày {day} của tháng cuối kỳ)" for day, periods in by_day.items()
    )


def _join(words: list[str]) -> str:
    """ "hằng quý, 6 tháng và năm"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} và {words[-1]}"


# --- changes in the superior plan after the cascade ------------------------------------------------------


@dataclass
class UpstreamChange:
    kind: str  # added, removed, reworded, target_added, target_removed, target_changed
    key: str  # task key, or task key:target key
    label: str
    old: str = ""
    new: str = ""

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass
class UpstreamDiff:
    plan: Plan
    linked: Plan | None
    latest: Plan | None
    changes: list[UpstreamChange] = field(default_factory=list)

    @property
    def is_behind(self) -> bool:
        return self.latest is not None and self.linked is not None and self.latest.pk != self.linked.pk


def _target_text(target: Target) -> str:
    return str(target)


def upstream_diff(plan: Plan) -> UpstreamDiff:
    """What changed in the superior plan since this plan was started from it (or last took changes):
    added, removed and reworded tasks addressed to this unit, and their targets."""
    linked = plan.parent_plan
    if linked is None:
        return UpstreamDiff(plan, None, None)
    latest = in_force(linked.unit, linked.year)
    diff = UpstreamDiff(plan, linked, latest)
    if not diff.is_behind:
        return diff
    old = {t.key: t for t in addressed_tasks(linked, plan.unit)}
    new = {t.key: t for t in addressed_tasks(latest, plan.unit)}
    for key, task in new.items():
        if key not in old:
            diff.changes.append(UpstreamChange("added", str(key), task.title, new=task.title))
    for key, task in old.items():
        if key not in new:
            diff.changes.append(UpstreamChange("removed", str(key), task.title, old=task.title))
    for key in old.keys() & new.keys():
        before, after = old[key], new[key]
        if (before.title, before.description) != (after.title, after.description):
            diff.changes.append(
                UpstreamChange("reworded", str(key), after.title, old=before.title, new=after.title)
            )
        old_targets = {t.key: t for t in before.targets.all()}
        new_targets = {t.key: t for t in after.targets.all()}
        for tkey, target in new_targets.items():
            if tkey not in old_targets:
                diff.changes.append(
                    UpstreamChange("target_added", f"{key}:{tkey}", after.title, new=_target_text(target))
                )
            elif _target_text(old_targets[tkey]) != _target_text(target):
                diff.changes.append(
                    UpstreamChange(
                        "target_changed",
                        f"{key}:{tkey}",
                        after.title,
                        old=_target_text(old_targets[tkey]),
                        new=_target_text(target),
                    )
                )
        for tkey, target in old_targets.items():
            if tkey not in new_targets:
                diff.changes.append(
                    UpstreamChange("target_removed", f"{key}:{tkey}", after.title, old=_target_text(target))
                )
    order = ["added", "reworded", "target_added", "target_changed", "target_removed", "removed"]
    diff.changes.sort(key=lambda c: order.index(c.kind))
    return diff


@transaction.atomic
def take_upstream_changes(plan: Plan, change_ids: Iterable[str], *, by: Any = None) -> int:
    """Apply the chosen changes of the superior plan; the others are set aside. The plan then
    implements the superior's latest issued version. Returns how many changes were applied."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    require_editable(plan)
    diff = upstream_diff(plan)
    if not diff.is_behind:
        raise PlanError(_("Kế hoạch đã theo phiên bản mới nhất của kế hoạch cấp trên."))
    chosen = set(change_ids)
    latest = diff.latest
    new_tasks = {str(t.key): t for t in addressed_tasks(latest, plan.unit)}
    local = {
        str(t.superior_key): t
        for t in plan.tasks.filter(superior_key__isnull=False).prefetch_related("targets")
    }
    applied = 0
    for change in diff.changes:
        if change.id not in chosen:
            continue
        task_key, _sep, target_key = change.key.partition(":")
        source = new_tasks.get(task_key)
        mine = local.get(task_key)
        if change.kind == "added":
            group = plan.groups.filter(heading=UNASSIGNED_HEADING).first() or add_group(
                plan, heading=UNASSIGNED_HEADING
            )
            _copy_task(source, plan, group, keep_key=False, as_implementation=True)
        elif change.kind == "removed" and mine is not None:
            mine.delete()
        elif mine is None or source is None:
            continue  # the unit removed its copy of the task itself; nothing to update
        elif change.kind == "reworded":
            mine.title, mine.description = source.title, source.description
            mine.superior_task = source
            _bump(mine, by=by)
        else:
            source_target = next((t for t in source.targets.all() if str(t.key) == target_key), None)
            my_target = next((t for t in mine.targets.all() if str(t.superior_key) == target_key), None)
            if change.kind == "target_removed" and my_target is not None:
                my_target.delete()
            elif change.kind == "target_added" and source_target is not None:
                Target.objects.create(
                    task=mine,
                    name=source_target.name,
                    unit_of_measure=source_target.unit_of_measure,
                    value=source_target.value,
                    kind=source_target.kind,
                    aggregation=source_target.aggregation,
                    superior_target=source_target,
                    superior_key=source_target.key,
                    position=_next_position(mine.targets.all()),
                )
            elif change.kind == "target_changed" and source_target is not None and my_target is not None:
                my_target.name, my_target.unit_of_measure = source_target.name, source_target.unit_of_measure
                my_target.kind, my_target.aggregation = source_target.kind, source_target.aggregation
                if not my_target.set_locally:
                    my_target.value = source_target.value
                my_target.superior_target = source_target
                _bump(my_target, by=by)
        applied += 1
    # Relink every implementation to the new version's rows.
    for key, mine in local.items():
        if key in new_tasks and Task.objects.filter(pk=mine.pk).exists():
            Task.objects.filter(pk=mine.pk).update(superior_task=new_tasks[key])
    plan.parent_plan = latest
    _bump(plan, _("Nhận %(n)d thay đổi từ kế hoạch cấp trên") % {"n": applied}, by)
    return applied


# --- the superior's view of the cascade -------------------------------------------------------------------


@dataclass
class CascadeOverview:
    plan: Plan
    units: list[tuple[Unit, Plan | None]]
    task_counts: dict[Any, int]
    status_counts: dict[str, int]
    addressed_total: int


def subordinate_units(plan: Plan):
    """The units below the plan's unit that must make their own plan: every unit of a level the
    plan addresses, and every unit it names."""
    levels = set(plan.groups.exclude(lead_level="").values_list("lead_level", flat=True))
    named = (
        Q(pk__in=plan.groups.filter(lead_unit__isnull=False).values("lead_unit"))
        | Q(pk__in=Task.addressees.through.objects.filter(task__plan=plan).values("unit"))
        | Q(pk__in=Task.co_units.through.objects.filter(task__plan=plan).values("unit"))
    )
    return (
        Unit.objects.subtree(plan.unit, include_self=False)
        .valid_on(datetime.date(plan.year, 12, 31))
        .filter(Q(kind__level__in=levels) | named)
        .select_related("kind")
    )


def cascade_overview(plan: Plan) -> CascadeOverview:
    """Which subordinate units have a plan for the year and in which state, and for each of the
    superior's tasks how many units carry it. A fixed number of queries, whatever the number of
    units."""
    units = list(subordinate_units(plan).order_by("kind__sort_order", "sort_key"))
    plans = {
        p.unit_id: p
        for p in Plan.objects.filter(year=plan.year, is_latest=True, unit__path__startswith=plan.unit.path)
        .exclude(unit=plan.unit)
        .select_related("document")
    }
    keys = list(plan.tasks.values_list("key", flat=True))
    counts = dict(
        Task.objects.filter(
            superior_key__in=keys,
            plan__is_latest=True,
            plan__year=plan.year,
            plan__unit__path__startswith=plan.unit.path,
        )
        .order_by()
        .values_list("superior_key")
        .annotate(n=Count("plan__unit", distinct=True))
    )
    status_counts: dict[str, int] = {"none": 0}
    for unit in units:
        sub = plans.get(unit.pk)
        status = sub.status if sub else "none"
        status_counts[status] = status_counts.get(status, 0) + 1
    return CascadeOverview(plan, [(u, plans.get(u.pk)) for u in units], counts, status_counts, len(units))


def carrying_units(plan: Plan, task: Task):
    """The units whose latest plan carries `task` (for a drill-down)."""
    return (
        Unit.objects.filter(
            plans__is_latest=True,
            plans__year=plan.year,
            plans__tasks__superior_key=task.key,
            path__startswith=plan.unit.path,
        )
        .distinct()
        .select_related("kind")
        .order_by("sort_key")
    )
