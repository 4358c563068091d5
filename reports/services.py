"""Periodic reports: opening a unit's report for a period, saving entries safely, evidence, the
report's workflow (submit → return/accept → reopen) and the period windows.

Every refused action raises ReportError with a Vietnamese message the views show as is. Saving
an entry carries the `lock_version` the user loaded; if someone saved in between, EntryConflict
carries the current entry so the page can show both and let the user choose.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cchc_portal.lib.bounds import NARRATIVE_MAX, REASON_MAX, check_text
from cchc_portal.lib.decimal_field import VietnameseDecimalField
from cchc_portal.lib.documents import RenderedPdf, RenderTooLong
from cchc_portal.lib.formatting import megabytes, number, percent, short_date, time_of_day
from plans.models import NonWorkingDay, Plan, Status
from plans.services import formal_name
from reports import cumulative, signer
from reports.models import (
    DONE,
    NARRATIVE_FIELDS,
    Entry,
    EntryStatus,
    Evidence,
    Report,
    ReportEvent,
    ReportState,
    TargetResult,
)
from reports.periods import DEFAULT_DEADLINE_DAY, Period, required_periods
from units.access import ALL_ENTRIES, CLERK, ENTRY_EDITORS, REPORT_WORK, is_member_of
from units.models import Membership, Unit


class ReportError(Exception):
    """A refused action, with the message to show the user."""


class EntryConflict(ReportError):
    def __init__(self, current: Entry) -> None:
        self.current = current
        who = current.updated_by.get_full_name() if current.updated_by else _("người khác")
        super().__init__(
            _(
                "%(who)s vừa lưu kết quả này lúc %(when)s. Nội dung bạn nhập vẫn còn trong ô; hãy xem bản của "
                "họ bên dưới rồi chọn giữ bản nào."
            )
            % {"who": who, "when": time_of_day(current.updated_at, seconds=True)}
        )


def today() -> datetime.date:
    return timezone.localdate()


# --- plans and periods -------------------------------------------------------------------------------


def plan_for(unit: Unit, year: int) -> Plan | None:
    """The plan a unit reports against: its latest issued plan of the year."""
    return (
        Plan.objects.filter(unit=unit, year=year, status=Status.ISSUED)
        .select_related("unit__kind")
        .order_by("-version")
        .first()
    )


def deadline_days(plan: Plan) -> dict[str, int]:
    """The periods the plan asks for and the plan unit's own deadline day (reports of this plan)."""
    return {rule.period_type: rule.deadline_day for rule in plan.reporting_rules.all()}


def deadline_rule(plan: Plan, period: Period) -> tuple[int, str]:
    """The deadline day of the period's last month and the non-working-day policy by which the
    plan's unit must send its report of `period` (the report's deadline).

    Which rule wins: when the plan implements a superior plan (`parent_plan`, e.g. a commune's
    plan cascaded from the city's) and that plan has a rule for the period's kind, the superior
    plan's `subordinate_deadline_day` and its policy — the superior sets when the units below
    report, to leave itself time to compile. Otherwise the plan's own rule for the kind
    (`deadline_day`, its policy); without either, the 20th kept as it falls.
    """
    parent = plan.parent_plan
    ruling = parent and next((r for r in parent.reporting_rules.all() if r.period_type == period.kind), None)
    if ruling:
        return ruling.subordinate_deadline_day, ruling.on_non_working_day
    own = next((r for r in plan.reporting_rules.all() if r.period_type == period.kind), None)
    if own:
        return own.deadline_day, own.on_non_working_day
    return DEFAULT_DEADLINE_DAY, NonWorkingDay.KEEP


def periods_for(plan: Plan) -> list[Period]:
    return required_periods(deadline_days(plan), plan.year)


def period_in_plan(plan: Plan, period: Period) -> bool:
    return period in periods_for(plan)


@dataclass(frozen=True)
class Window:
    """Where a period stands for a unit today."""

    state: str  # "upcoming" | "open" | "late" | "closed"
    deadline: datetime.date
    closes: datetime.date

    @property
    def accepts_entries(self) -> bool:
        return self.state in ("open", "late")

    @property
    def label(self) -> str:
        return {
            "upcoming": _("Chưa đến kỳ"),
            "open": _("Đang mở, gửi chậm nhất ngày %(d)s"),
            "late": _("Quá hạn %(d)s, vẫn nhận (ghi trễ hạn)"),
            "closed": _("Đã đóng"),
        }[self.state] % {"d": short_date(self.deadline)}


def window(
    plan: Plan, period: Period, *, report: Report | None = None, on: datetime.date | None = None
) -> Window:
    day = on or today()
    rule = deadline_rule(plan, period)
    due, closes = period.deadline(*rule), period.closes(*rule)
    if report is not None and report.reopened_until and day <= report.reopened_until:
        closes = max(closes, report.reopened_until)
    if day < period.start:
        state = "upcoming"
    elif day <= due:
        state = "open"
    elif day <= closes:
        state = "late"
    else:
        state = "closed"
    return Window(state, due, closes)


def current_period(plan: Plan, on: datetime.date | None = None) -> Period | None:
    """The period to work on today: the earliest one whose window is open (or late)."""
    day = on or today()
    for period in periods_for(plan):
        if window(plan, period, on=day).accepts_entries:
            return period
    return None


# --- opening a report ---------------------------------------------------------------------------------


def reporting_plan(unit: Unit, period: Period, *, plan: Plan | None = None) -> Plan:
    """The plan the unit reports the period against, or ReportError saying why there is none."""
    plan = plan or plan_for(unit, period.year)
    if plan is None:
        raise ReportError(
            _("%(unit)s chưa có kế hoạch năm %(year)d đã ban hành, nên chưa có gì để báo cáo.")
            % {"unit": unit.full_name, "year": period.year}
        )
    if not period_in_plan(plan, period):
        raise ReportError(
            _("Kế hoạch của %(unit)s không yêu cầu báo cáo %(period)s.")
            % {"unit": unit.full_name, "period": period.label}
        )
    return plan


def find_report(unit: Unit, period: Period) -> tuple[Plan, Report | None]:
    """The plan and the unit's report for the period if someone has started it — without
    creating anything: pages only read, a report starts when someone first saves or acts."""
    plan = reporting_plan(unit, period)
    report = (
        Report.objects.filter(
            unit=unit, year=period.year, period_kind=period.kind, period_number=period.number
        )
        .select_related("plan", "unit__kind", "document")
        .first()
    )
    return plan, report


@transaction.atomic
def open_report(unit: Unit, period: Period, *, plan: Plan | None = None) -> Report:
    """The unit's report for the period, created with one entry per task of its plan (cumulative
    periods prefilled from the quarters' entries). Called by the actions that start or change a
    report (never by a page that only shows one)."""
    plan = reporting_plan(unit, period, plan=plan)
    report = Report.objects.filter(
        unit=unit, year=period.year, period_kind=period.kind, period_number=period.number
    ).first()
    if report is None:
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    unit=unit,
                    plan=plan,
                    year=period.year,
                    period_kind=period.kind,
                    period_number=period.number,
                    deadline=period.deadline(*deadline_rule(plan, period)),
                    recipients=default_recipients(unit),
                )
        except IntegrityError:  # someone else opened it at the same moment
            report = Report.objects.get(
                unit=unit, year=period.year, period_kind=period.kind, period_number=period.number
            )
    _ensure_entries(report)
    return report


def default_recipients(unit: Unit) -> str:
    """ "Kính gửi" by default: the unit above, in proper case ("Ủy ban nhân dân thành phố Đà Nẵng")."""
    parent = Unit.objects.get_parent(unit)
    return "" if parent is None else formal_name(parent)


def _ensure_entries(report: Report) -> None:
    """One entry per task of the report's plan; new ones of a cumulative period prefilled."""
    tasks = list(report.plan.tasks.values_list("pk", flat=True))
    have = set(report.entries.values_list("task_id", flat=True))
    missing = [pk for pk in tasks if pk not in have]
    if not missing:
        return
    Entry.objects.bulk_create([Entry(report=report, task_id=pk) for pk in missing], ignore_conflicts=True)
    if report.period.is_cumulative:
        _prefill_cumulative(report, missing)


def _prefill_cumulative(report: Report, task_ids: list[int]) -> None:
    """A 6-month, 9-month or annual report starts from the earlier reports that tile it
    (reports/cumulative.py): the latest status and % (a task whose deadline has passed by the
    period's end and is not done reads "Quá hạn"), the narratives one after another under their
    period, and each target's figure for the earlier part put together by its kind."""
    parts = cumulative.parts_of(report)
    if parts is None or not parts.earlier:
        return
    earlier = parts.earlier
    entries = {
        (e.report_id, e.task_id): e
        for e in Entry.objects.filter(report__in=earlier, task_id__in=task_ids, is_entered=True)
    }
    new_entries = report.entries.filter(task_id__in=task_ids).select_related("task")
    for entry in new_entries:
        found = [entries[(r.pk, entry.task_id)] for r in earlier if (r.pk, entry.task_id) in entries]
        if not found:
            continue
        latest = found[-1]
        entry.status = latest.status
        entry.progress = latest.progress
        if cumulative.overdue(entry, report.period):
            entry.status = EntryStatus.OVERDUE
        entry.narrative = "\n".join(
            f"{r.period.label}: {entries[(r.pk, entry.task_id)].narrative.strip()}"
            for r in earlier
            if (r.pk, entry.task_id) in entries and entries[(r.pk, entry.task_id)].narrative.strip()
        )
        entry.save(update_fields=["status", "progress", "narrative"])
    cumulative.refresh(report, task_ids)


# --- who works on what --------------------------------------------------------------------------------


def roles_at(user: Any, unit: Unit) -> set[int]:
    return set(Membership.objects.active().filter(user=user, unit=unit).values_list("role_id", flat=True))


def entry_prefetch() -> tuple:
    """What an entry's partial shows: the task's targets, the results with their target (named in
    the read-only view; joined, not a query per result) and the evidence."""
    return (
        "task__targets",
        Prefetch("results", queryset=TargetResult.objects.select_related("target")),
        "evidence",
    )


def entries_for(report: Report, user: Any, caps: frozenset[str]):
    """The entries a user works on: the office (compile) and leaders see all of them; an officer
    sees the tasks led by or shared with their role."""
    entries = (
        report.entries.select_related("task__group__lead_role", "updated_by")
        .prefetch_related("task__co_roles", *entry_prefetch())
        .order_by("task__group__position", "task__position", "task__pk")
    )
    if caps & ALL_ENTRIES:
        return entries
    roles = roles_at(user, report.unit)
    return entries.filter(Q(task__group__lead_role__in=roles) | Q(task__co_roles__in=roles)).distinct()


def tasks_for(plan: Plan, user: Any, unit: Unit, caps: frozenset[str]):
    """The plan's tasks a user works on (as `entries_for`, before any entry exists)."""
    tasks = plan.tasks.select_related("group").order_by("group__position", "position", "pk")
    if caps & ALL_ENTRIES:
        return tasks
    roles = roles_at(user, unit)
    return tasks.filter(Q(group__lead_role__in=roles) | Q(co_roles__in=roles)).distinct()


def may_open_evidence(report: Report, entry_id: int, user: Any, caps: frozenset[str]) -> bool:
    """Whether the entry's evidence files are on a page the user sees: every entry's for the
    report's office, leaders, văn thư and reviewers; an officer's own tasks' only."""
    if caps & (ALL_ENTRIES | CLERK):
        return True
    return bool(caps & REPORT_WORK) and entries_for(report, user, caps).filter(pk=entry_id).exists()


def evidence_entry_ids(report: Report, user: Any, caps: frozenset[str]) -> set[int] | None:
    """The entries whose evidence the user may open (None: all of them), for the report page."""
    if caps & (ALL_ENTRIES | CLERK):
        return None
    if not caps & REPORT_WORK:
        return set()
    return set(entries_for(report, user, caps).values_list("pk", flat=True))


def can_edit_entries(report: Report, caps: frozenset[str]) -> bool:
    return bool(caps & ENTRY_EDITORS)


def signing_in_progress(report: Report) -> bool:
    """Whether the report's document is being signed (leader or văn thư): its data is frozen."""
    return bool(report.document_id and report.document.is_pending)


def editable_problem(report: Report, on: datetime.date | None = None) -> str:
    """Why the report's entries cannot be changed now, or ""."""
    if signing_in_progress(report):
        return _(
            "Báo cáo đang được ký số (%(step)s); nội dung không sửa được cho đến khi ký xong hoặc hủy bản đang ký."
        ) % {"step": report.document.get_state_display()}
    if report.state == ReportState.SUBMITTED:
        return _("Báo cáo đã gửi, đang chờ xét; không sửa được cho đến khi được trả lại.")
    if report.state == ReportState.ACCEPTED:
        return _("Báo cáo đã được tiếp nhận và khóa; muốn sửa phải đề nghị cấp trên mở lại.")
    state = window(report.plan, report.period, report=report, on=on).state
    if state == "closed":
        return _("Kỳ báo cáo đã đóng; đề nghị cấp trên mở lại kỳ báo cáo cho đơn vị.")
    if state == "upcoming":
        return _("Chưa đến kỳ báo cáo này.")
    return ""


# --- saving an entry ------------------------------------------------------------------------------------


@dataclass
class EntryInput:
    status: str
    progress: int
    narrative: str
    achieved: dict[int, Decimal | None]  # target pk → value (None: cleared)


def parse_entry(entry: Entry, data: Any) -> tuple[EntryInput | None, dict[str, str]]:
    """Read and check an entry form; errors are keyed by field name."""
    errors: dict[str, str] = {}
    status = data.get("status", "")
    if status not in EntryStatus.values:
        errors["status"] = _("Hãy chọn tình trạng thực hiện.")
    raw_progress = (data.get("progress") or "0").strip().rstrip("%")
    try:
        progress = int(raw_progress)
        if not 0 <= progress <= 100:
            raise ValueError
    except ValueError:
        errors["progress"] = _("Tiến độ là số phần trăm từ 0 đến 100.")
        progress = 0
    if status in DONE and not errors.get("progress"):
        progress = 100
    achieved: dict[int, Decimal | None] = {}
    field = VietnameseDecimalField(max_digits=12, decimal_places=2, required=False)
    for target in entry.task.targets.all():
        # "1.500" is fifteen hundred, "12,5" twelve and a half (formatting.parse_number); the
        # range is checked after rounding to the column's two decimals.
        try:
            achieved[target.pk] = field.clean(data.get(f"target_{target.pk}") or "")
        except ValidationError as exc:
            errors[f"target_{target.pk}"] = f"{exc.messages[0]} ({target.name})"
    narrative = (data.get("narrative") or "").strip()
    try:
        check_text(narrative, label=_("Kết quả, mô tả"), limit=NARRATIVE_MAX, multiline=True)
    except ValidationError as exc:
        errors["narrative"] = exc.messages[0]
    if errors:
        return None, errors
    return EntryInput(status, progress, narrative, achieved), {}


@transaction.atomic
def save_entry(entry: Entry, values: EntryInput, *, expected_version: int | None, by: Any) -> Entry:
    # The report row first, as signing locks it: a save waits for a signing in progress and then
    # sees it (never acknowledged over a report being signed), and the two never deadlock.
    _locked_report(entry.report)
    entry = (
        Entry.objects.select_for_update(of=("self",))
        .select_related("report__plan", "report__document", "updated_by")
        .get(pk=entry.pk)
    )
    problem = editable_problem(entry.report)
    if problem:
        raise ReportError(problem)
    if expected_version is not None and entry.lock_version != expected_version:
        raise EntryConflict(entry)
    entry.status = values.status
    entry.progress = values.progress
    entry.narrative = values.narrative
    entry.is_entered = True
    entry.updated_by = by if getattr(by, "is_authenticated", False) else None
    entry.lock_version += 1
    if entry.updated_by:
        entry._history_user = entry.updated_by
    entry.save()
    existing = {r.target_id: r for r in entry.results.all()}
    for target_id, value in values.achieved.items():
        result = existing.get(target_id)
        if result is None:
            if value is not None:
                TargetResult.objects.create(entry=entry, target_id=target_id, achieved=value, own=value)
        elif (result.achieved, result.own) != (value, value):
            result.achieved = result.own = value
            result.save(update_fields=["achieved", "own"])
    # In a 6-month, 9-month or annual report what was typed is the remainder's figure; the
    # period's is put together with the earlier reports' (reports/cumulative.py).
    cumulative.refresh(entry.report, [entry.task_id])
    if entry.report.state == ReportState.NOT_STARTED:
        Report.objects.filter(pk=entry.report_id).update(state=ReportState.DRAFT)
    return entry


# --- evidence ----------------------------------------------------------------------------------------------

# Extension → what the file must start with (checked, not trusted from the browser).
EVIDENCE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "webp": ("image/webp", (b"RIFF",)),
    "pdf": ("application/pdf", (b"%PDF-",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "ppt": ("application/vnd.ms-powerpoint", (b"\xd0\xcf\x11\xe0",)),
}
MAX_EVIDENCE_PER_ENTRY = 30


def _check_upload(name: str, content: bytes) -> str:
    """The content type of an acceptable evidence file, or ReportError saying why not."""
    limit = settings.EVIDENCE_MAX_BYTES
    if len(content) > limit:
        raise ReportError(
            _("Tệp “%(name)s” quá lớn (%(size)s MB); giới hạn là %(limit)s MB.")
            % {"name": name, "size": megabytes(len(content)), "limit": megabytes(limit)}
        )
    if not content:
        raise ReportError(_("Tệp “%(name)s” trống.") % {"name": name})
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EVIDENCE_TYPES:
        raise ReportError(
            _(
                "Không nhận tệp “%(name)s”: chỉ nhận ảnh (JPG, PNG, WEBP), PDF và tệp văn phòng (Word, Excel, PowerPoint)."
            )
            % {"name": name}
        )
    content_type, magics = EVIDENCE_TYPES[extension]
    if not content.startswith(magics):
        raise ReportError(
            _("Tệp “%(name)s” không đúng định dạng .%(ext)s (nội dung không khớp với phần mở rộng).")
            % {"name": name, "ext": extension}
        )
    if content_type.startswith("image/"):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(content)) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
            raise ReportError(_("Ảnh “%(name)s” bị hỏng, không mở được.") % {"name": name}) from None
    return content_type


@transaction.atomic
def add_evidence(
    entry: Entry, *, name: str = "", content: bytes | None = None, url: str = "", by: Any
) -> Evidence:
    from django.core.exceptions import ValidationError
    from django.core.files.base import ContentFile
    from django.core.validators import URLValidator

    entry = Entry.objects.select_for_update(of=("self",)).select_related("report__plan").get(pk=entry.pk)
    problem = editable_problem(entry.report)
    if problem:
        raise ReportError(problem)
    if entry.evidence.count() >= MAX_EVIDENCE_PER_ENTRY:
        raise ReportError(
            _("Mỗi nhiệm vụ có tối đa %(n)d tài liệu kiểm chứng.") % {"n": MAX_EVIDENCE_PER_ENTRY}
        )
    user = by if getattr(by, "is_authenticated", False) else None
    if content is not None:
        safe_name = (name or "tep").replace("/", "_").replace("\\", "_")[-200:]
        content_type = _check_upload(safe_name, content)
        evidence = Evidence(
            entry=entry, name=safe_name, size=len(content), content_type=content_type, uploaded_by=user
        )
        evidence.file.save(safe_name, ContentFile(content), save=False)
        evidence.save()
        return evidence
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ReportError(
            _("Đường dẫn “%(url)s” không hợp lệ (cần bắt đầu bằng https:// hoặc http://).")
            % {"url": url[:100]}
        ) from None
    return Evidence.objects.create(entry=entry, url=url, name=url[:255], uploaded_by=user)


@transaction.atomic
def remove_evidence(evidence: Evidence, *, by: Any) -> None:
    entry = (
        Entry.objects.select_for_update(of=("self",)).select_related("report__plan").get(pk=evidence.entry_id)
    )
    problem = editable_problem(entry.report)
    if problem:
        raise ReportError(problem)
    if evidence.file:
        evidence.file.delete(save=False)
    evidence.delete()


# --- the report's workflow -------------------------------------------------------------------------------


def _event(report: Report, action: str, by: Any, reason: str = "", is_late: bool = False) -> None:
    ReportEvent.objects.create(
        report=report,
        action=action,
        by=by if getattr(by, "is_authenticated", False) else None,
        reason=reason,
        is_late=is_late,
    )


def _save(report: Report, by: Any) -> None:
    """Save a transition: a new version, in the history under the user's name."""
    report.lock_version += 1
    report._history_user = by
    report.save()


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReportError(message)
    _check_text(reason, label=_("Lý do"), limit=REASON_MAX, multiline=True)
    return reason


def _check_text(value: str, *, label: str, limit: int, multiline: bool) -> None:
    """The bounds of cchc_portal.lib.bounds, as a refused action."""
    try:
        check_text(value, label=label, limit=limit, multiline=multiline)
    except ValidationError as exc:
        raise ReportError(exc.messages[0]) from None


def _locked_report(report: Report) -> Report:
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("plan", "unit__kind", "document")
        .get(pk=report.pk)
    )


def _check_reviewer(report: Report, by: Any) -> None:
    """Nobody reviews their own unit's report (a reviewer of the province who also works in a
    commune never returns, accepts or reopens that commune's report) — whichever page asks."""
    if is_member_of(by, report.unit):
        raise ReportError(
            _("Bạn là thành viên của %(unit)s nên không xét duyệt báo cáo của chính đơn vị mình.")
            % {"unit": report.unit.full_name}
        )


def missing_entries(report: Report):
    return report.entries.filter(is_entered=False).select_related("task")


@transaction.atomic
def save_narrative(report: Report, data: dict[str, str], *, expected_version: int | None, by: Any) -> Report:
    report = _locked_report(report)
    problem = editable_problem(report)
    if problem:
        raise ReportError(problem)
    if expected_version is not None and report.lock_version != expected_version:
        raise ReportError(_("Báo cáo vừa được người khác sửa; hãy tải lại trang để xem bản mới nhất."))
    for field in NARRATIVE_FIELDS:
        if field in data:
            value = (data[field] or "").strip()
            model_field = Report._meta.get_field(field)
            # Refused whole, never cut: the form says the same before this is reached.
            _check_text(
                value,
                label=str(model_field.verbose_name),
                limit=model_field.max_length,
                multiline=field != "drafting_unit",
            )
            setattr(report, field, value)
    _save(report, by)
    return report


@transaction.atomic
def submit(report: Report, *, by: Any, now: datetime.datetime | None = None) -> Report:
    report = _locked_report(report)
    now = now or timezone.now()
    if report.state in (ReportState.SUBMITTED, ReportState.ACCEPTED):
        raise ReportError(_("Báo cáo đã được gửi."))
    problem = editable_problem(report, on=timezone.localdate(now))
    if problem:
        raise ReportError(problem)
    missing = missing_entries(report).count()
    if missing:
        raise ReportError(
            _("Còn %(n)d nhiệm vụ chưa nhập kết quả; hãy nhập (kể cả “Chưa thực hiện”) trước khi gửi.")
            % {"n": missing}
        )
    resubmission = report.first_submitted_at is not None
    late = timezone.localdate(now) > report.deadline
    if not resubmission:
        report.first_submitted_at = now
        report.is_late = late
    report.state = ReportState.SUBMITTED
    report.submitted_at = now
    report.return_reason = ""
    report.progress = report.entries.aggregate(avg=Avg("progress"))["avg"]
    cumulative.refresh(report)  # an earlier report corrected since (returned, fixed) reaches this one
    _save(report, by)
    action = ReportEvent.Action.RESUBMITTED if resubmission else ReportEvent.Action.SUBMITTED
    _event(report, action, by, is_late=late)
    return report


@transaction.atomic
def return_report(report: Report, *, reason: str, by: Any) -> Report:
    report = _locked_report(report)
    _check_reviewer(report, by)
    reason = _reason(reason, _("Hãy ghi lý do trả lại để đơn vị biết cần sửa gì."))
    if report.state != ReportState.SUBMITTED:
        raise ReportError(_("Chỉ trả lại được báo cáo đã gửi và đang chờ xét."))
    if signing_in_progress(report):
        from documents import services as documents

        documents.void(report.document, _("Báo cáo bị trả lại: %(reason)s") % {"reason": reason})
        report.document = report.document.supersedes
    report.state = ReportState.RETURNED
    report.return_reason = reason
    _save(report, by)
    _event(report, ReportEvent.Action.RETURNED, by, reason=reason)
    return report


def snapshot(report: Report) -> dict[str, Any]:
    entries = report.entries.select_related("task").prefetch_related("results__target", "evidence")
    return {
        "narrative": {f: getattr(report, f) for f in NARRATIVE_FIELDS},
        "entries": {
            str(e.task_id): {
                "title": e.task.title[:200],
                "status": e.status,
                "progress": e.progress,
                "narrative": e.narrative,
                "targets": {
                    r.target.name: str(r.achieved) if r.achieved is not None else "" for r in e.results.all()
                },
                "evidence": sorted(ev.name for ev in e.evidence.all()),
            }
            for e in entries
        },
    }


@transaction.atomic
def accept(report: Report, *, by: Any) -> Report:
    report = _locked_report(report)
    _check_reviewer(report, by)
    if report.state != ReportState.SUBMITTED:
        raise ReportError(_("Chỉ tiếp nhận được báo cáo đã gửi và đang chờ xét."))
    report.state = ReportState.ACCEPTED
    report.accepted_at = timezone.now()
    report.accepted_by = by if getattr(by, "is_authenticated", False) else None
    report.accepted_snapshot = snapshot(report)
    _save(report, by)
    _event(report, ReportEvent.Action.ACCEPTED, by)
    return report


@transaction.atomic
def reopen(report: Report, *, reason: str, by: Any) -> Report:
    """An accepted report opened again for changes (by the reviewer, with a reason); the
    acceptance snapshot stays, so the reviewer later sees what changed since."""
    report = _locked_report(report)
    _check_reviewer(report, by)
    reason = _reason(reason, _("Hãy ghi lý do mở lại báo cáo."))
    if report.state != ReportState.ACCEPTED:
        raise ReportError(_("Chỉ mở lại được báo cáo đã tiếp nhận."))
    report.state = ReportState.RETURNED
    report.return_reason = reason
    report.reopened_until = max(report.reopened_until or today(), today() + datetime.timedelta(days=7))
    _save(report, by)
    _event(report, ReportEvent.Action.REOPENED, by, reason=reason)
    return report


@transaction.atomic
def reopen_period(report: Report, *, reason: str, days: int = 7, by: Any) -> Report:
    """A closed period reopened for one unit, for `days` days, with a logged reason."""
    report = _locked_report(report)
    _check_reviewer(report, by)
    reason = _reason(reason, _("Hãy ghi lý do mở lại kỳ báo cáo."))
    if not 1 <= days <= 60:
        raise ReportError(_("Số ngày mở lại từ 1 đến 60."))
    report.reopened_until = today() + datetime.timedelta(days=days)
    _save(report, by)
    _event(report, ReportEvent.Action.PERIOD_REOPENED, by, reason=f"{reason} ({days} ngày)")
    return report


def changes_since_acceptance(report: Report) -> list[dict[str, str]]:
    """What differs from the accepted version: one row per changed field."""
    before = report.accepted_snapshot or {}
    if not before:
        return []
    now = snapshot(report)
    labels = {
        "status": _("Tình trạng"),
        "progress": _("Tiến độ (%)"),
        "narrative": _("Kết quả, mô tả"),
        "evidence": _("Tài liệu kiểm chứng"),
    }
    status_label = dict(EntryStatus.choices)
    rows = []
    for field, value in now["narrative"].items():
        old = before.get("narrative", {}).get(field, "")
        if old != value:
            rows.append(
                {"where": str(Report._meta.get_field(field).verbose_name), "before": old, "after": value}
            )
    for key, entry in now["entries"].items():
        old = before.get("entries", {}).get(key, {})
        for field in ("status", "progress", "narrative", "evidence"):
            a, b = old.get(field, ""), entry[field]
            if a != b:
                if field == "status":
                    a, b = status_label.get(a, a), status_label.get(b, b)
                if field == "evidence":
                    a, b = ", ".join(a or []), ", ".join(b)
                rows.append(
                    {"where": f"{entry['title'][:80]} — {labels[field]}", "before": str(a), "after": str(b)}
                )
        for name, value in entry["targets"].items():
            old_value = old.get("targets", {}).get(name, "")
            if old_value != value:
                rows.append({"where": f"{entry['title'][:80]} — {name}", "before": old_value, "after": value})
    return rows


# --- the narrative, prefilled ------------------------------------------------------------------------------


# A clause that promises something by a date: "dự kiến trước ngày 31/10/2026", "sẽ hoàn thành
# chậm nhất ngày 30/11/2026". Clauses end at ".", ";" or a line break.
_PROMISE = re.compile(
    r"[^.;\n]*\b(?:dự kiến|sẽ|trước ngày|chậm nhất|hoàn thành vào|hoàn thành trong)\b[^.;\n]*?"
    r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b[^.;\n]*[.;]?",
    re.IGNORECASE,
)


def passed_promises(text: str, by: datetime.date) -> list[str]:
    """The clauses of `text` that promise something by a date on or before `by` (the period's
    cut-off): in a report of that period they promise what is already past."""
    found = []
    for match in _PROMISE.finditer(text or ""):
        day, month, year = (int(g) for g in match.groups())
        try:
            promised = datetime.date(year, month, day)
        except ValueError:
            continue
        if promised <= by:
            found.append(match.group(0).strip())
    return found


def _without_passed_promises(text: str, by: datetime.date) -> str:
    for clause in passed_promises(text, by):
        text = text.replace(clause, "")
    return " ".join(text.split())


def compose_results(report: Report) -> str:
    """Section I prefilled from the entries: one paragraph per task, in plan order. A task whose deadline has passed by the period's end and is not done reads
    "quá hạn (hạn …)", and a promise of a date already past is left out of the quoted text."""
    end = report.period.end
    entries = (
        report.entries.filter(is_entered=True)
        .select_related("task")
        .prefetch_related("results__target")
        .order_by("task__group__position", "task__position", "task__pk")
    )
    lines = []
    for entry in entries:
        figures = "; ".join(
            f"{r.target.name}: {number(r.achieved)} {r.target.unit_of_measure}"
            for r in entry.results.all()
            if r.achieved is not None
        )
        if cumulative.overdue(entry, report.period):
            state = _("quá hạn (hạn %(d)s), tiến độ %(p)s") % {
                "d": short_date(entry.task.deadline),
                "p": percent(entry.progress),
            }
        else:
            state = entry.get_status_display().lower()
            if entry.status not in DONE:
                state += f" ({percent(entry.progress)})"
        text = f"- {entry.task.title.rstrip('.')}: {state}"
        if figures:
            text += f"; {figures}"
        text += "."
        narrative = _without_passed_promises(entry.narrative.strip(), end)
        if narrative:
            text += f" {narrative}"
        lines.append(text)
    return "\n".join(lines)


# --- the official document ---------------------------------------------------------------------------------


# The sections a report must have before it is signed: the outline of a periodic report (NĐ
# 09/2019 đề cương; docs/reports.md, "The report's NĐ 30 form"): results, the assessment
# (strengths, weaknesses and their causes) and the next period's tasks. Proposals may be none
# (the PDF then says "Không.").
REQUIRED_SECTIONS = {
    "results": "I. Kết quả thực hiện",
    "strengths": "Ưu điểm",
    "weaknesses": "Tồn tại, hạn chế",
    "causes": "Nguyên nhân",
    "next_tasks": "III. Nhiệm vụ kỳ tới",
}
# What does not count as written: dashes, dots, ellipses ("…", "...") and blanks.
PLACEHOLDER_CHARACTERS = " \t\r\n-–—.…_"


def empty_sections(report: Report) -> list[str]:
    """The required sections left empty (or holding only a placeholder such as "…")."""
    return [
        label
        for field, label in REQUIRED_SECTIONS.items()
        if not (getattr(report, field) or "").strip(PLACEHOLDER_CHARACTERS)
    ]


def _check_signable(report: Report, now: datetime.datetime | None) -> None:
    """A report can be signed once every task is entered and every required section written,
    while it may still be sent (or once it has been sent without a signature)."""
    if report.state == ReportState.SUBMITTED and report.document_id:
        raise ReportError(_("Báo cáo đã được ký số và gửi."))
    if report.state != ReportState.SUBMITTED:
        problem = editable_problem(report, on=timezone.localdate(now or timezone.now()))
        if problem:
            raise ReportError(problem)
    missing = missing_entries(report).count()
    if missing:
        raise ReportError(
            _("Còn %(n)d nhiệm vụ chưa nhập kết quả; hãy nhập (kể cả “Chưa thực hiện”) trước khi gửi.")
            % {"n": missing}
        )
    empty = empty_sections(report)
    if empty:
        raise ReportError(
            _("Chưa ký được: báo cáo còn để trống %(sections)s; hãy viết các phần này trước khi ký.")
            % {"sections": ", ".join(f"“{label}”" for label in empty)}
        )


def leaders_of(report: Report) -> set[int]:
    """Who may sign the report: the unit's leaders who hold approve-and-sign."""
    return set(
        Membership.objects.active()
        .filter(unit=report.unit, approve_sign=True)
        .values_list("user_id", flat=True)
    )


def report_source(report: Report) -> dict[str, Any]:
    """What the signed PDF is rendered from: the narrative, every entry, the signer."""
    return {
        "report": report.pk,
        "signer": report.signer_name,
        "signer_lines": report.signer_lines,
        **snapshot(report),
    }


def _document_error(exc) -> ReportError:
    return ReportError(str(exc))


def _new_document(report: Report):
    """A fresh document for the report; a pending one is void, an issued one superseded."""
    from documents import services as documents
    from documents.models import DocumentType
    from reports.pdf import summary_line

    previous = report.document if report.document_id else None
    if previous is not None and previous.is_pending:
        documents.void(previous, _("Đã thay bằng bản chuẩn bị mới."))
        previous = previous.supersedes
    report.document = documents.start_document(
        report.unit,
        DocumentType.REPORT,
        subject=summary_line(report),
        source=report_source(report),
        supersedes=previous,
    )
    report.save(update_fields=["document"])
    return report.document


def _pending(report: Report, *states: str):
    from documents import services as documents

    document = report.document if report.document_id else None
    if document is None or document.state not in states:
        raise ReportError(_("Báo cáo không có văn bản ở bước này."))
    try:
        documents.check_source(document, report_source(report))
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    return document


def _signable(report: Report, by: Any, now: datetime.datetime | None) -> Report:
    report = _locked_report(report)
    if report.state == ReportState.ACCEPTED:
        raise ReportError(_("Báo cáo đã được tiếp nhận; không ký lại được."))
    if signing_in_progress(report):
        raise ReportError(_("Báo cáo đang được ký số; hãy hoàn tất hoặc hủy bản đang ký."))
    _check_signable(report, now)
    if report.state != ReportState.SUBMITTED:
        cumulative.refresh(report)  # the signed figures are the current ones
    block = signer.signing_block(report.unit, by)
    report.signer_name, report.signer_lines = block.name, "\n".join(block.lines)
    report.save(update_fields=["signer_name", "signer_lines"])
    return report


def _rendered(report: Report) -> RenderedPdf:
    """The report's PDF; one too long to lay out within the budget is a ReportError naming the part."""
    from reports.pdf import render_report_pdf

    try:
        return render_report_pdf(report)
    except RenderTooLong as exc:
        raise ReportError(str(exc)) from exc


@transaction.atomic
def sign_as_leader(report: Report, *, by: Any, now: datetime.datetime | None = None) -> Report:
    """The leader signs the report on the server (their stored key), the rendering done under
    the report's lock so no save slips in between; the văn thư then numbers, seals and sends it."""
    from documents import services as documents

    report = _signable(report, by, now)
    document = _new_document(report)
    try:
        documents.sign_as_leader(
            document,
            _rendered(report),
            by=by,
            signer_name=report.signer_name,
            people=leaders_of(report),
        )
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    return report


@transaction.atomic
def prepare_leader_token(report: Report, *, by: Any, now: datetime.datetime | None = None):
    """The PDF the leader signs in their own tool (USB token); signing has started: the report's
    data is frozen until it is signed or the signing is cancelled."""
    from documents import services as documents

    report = _locked_report(report)
    current = report.document if report.document_id else None
    if current is not None and current.state == current.State.AWAITING_LEADER and current.unsigned_pdf:
        return current
    report = _signable(report, by, now)
    document = _new_document(report)
    try:
        return documents.prepare_for_leader(document, _rendered(report))
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc


@transaction.atomic
def accept_leader_upload(report: Report, signed: bytes, *, by: Any) -> Report:
    """The leader's token-signed PDF; then the văn thư issues and sends the report."""
    from documents import services as documents
    from documents.models import OutgoingDocument

    report = _locked_report(report)
    document = _pending(report, OutgoingDocument.State.AWAITING_LEADER)
    try:
        documents.accept_leader_signed(document, signed, people=leaders_of(report))
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    return report


def _sent(report: Report, by: Any) -> Report:
    if report.state not in (ReportState.SUBMITTED, ReportState.ACCEPTED):
        report = submit(report, by=by)
    return report


@transaction.atomic
def issue_by_clerk(report: Report, *, by: Any) -> Report:
    """The văn thư's step on the server: number, date, the unit's signature, and the report is
    sent to the superior."""
    from documents import services as documents
    from documents.models import OutgoingDocument

    report = _locked_report(report)
    document = _pending(report, OutgoingDocument.State.AWAITING_CLERK)
    try:
        documents.take_number(document, by=by)
        documents.seal_on_server(document, by=by)
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    report.refresh_from_db()
    return _sent(report, by)


@transaction.atomic
def number_for_seal_token(report: Report, *, by: Any):
    """The văn thư numbers the leader-signed report; the unit's token signs it next."""
    from documents import services as documents
    from documents.models import OutgoingDocument

    report = _locked_report(report)
    document = _pending(report, OutgoingDocument.State.AWAITING_CLERK)
    try:
        return documents.take_number(document, by=by)
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc


@transaction.atomic
def accept_seal_upload(report: Report, signed: bytes, *, by: Any) -> Report:
    """The numbered report signed with the unit's token: checked, kept, and the report sent."""
    from documents import services as documents
    from documents.models import OutgoingDocument

    report = _locked_report(report)
    document = report.document if report.document_id else None
    if document is None or document.state != OutgoingDocument.State.AWAITING_SEAL:
        raise ReportError(_("Báo cáo chưa được văn thư cấp số để ký số của cơ quan."))
    try:
        documents.accept_seal_signed(document, signed)
    except documents.DocumentError as exc:
        raise _document_error(exc) from exc
    report.refresh_from_db()
    return _sent(report, by)


@transaction.atomic
def cancel_signing(report: Report, *, reason: str, by: Any) -> Report:
    """Stop a signing in progress (before the văn thư numbered it) so the report can be edited."""
    from documents import services as documents
    from documents.models import OutgoingDocument

    report = _locked_report(report)
    document = report.document if report.document_id else None
    if document is None or document.state not in (
        OutgoingDocument.State.AWAITING_LEADER,
        OutgoingDocument.State.AWAITING_CLERK,
    ):
        raise ReportError(_("Báo cáo không có bản đang ký nào hủy được (văn bản đã cấp số thì không hủy)."))
    documents.void(document, _reason(reason, _("Hãy ghi lý do hủy bản đang ký.")))
    report.document = document.supersedes
    report.save(update_fields=["document"])
    return report


# --- the superior's own report, drafted from its subordinates' --------------------------------------------------

# The sections drafted from the units' reports and regenerated by "Cập nhật số liệu". Section
# III, the next period's tasks, is the superior's own to write: a first draft is offered when it
# is empty, never regenerated over what was written.
COMPOSED = ("results", "strengths", "weaknesses", "causes", "proposals")


@dataclass
class DraftedEntry:
    """What a rolled-up task's entry in the superior's own report says, from the units'."""

    status: str
    progress: int
    narrative: str
    figures: dict[int, Decimal | None]  # target pk → the units' figure aggregated


@dataclass
class Draft:
    sections: dict[str, str]
    entries: dict[int, DraftedEntry]  # task pk → drafted entry: rolled-up tasks only

    def composed_only(self) -> Draft:
        """The sections "Cập nhật số liệu" regenerates (COMPOSED), the tasks' entries."""
        return Draft({f: v for f, v in self.sections.items() if f in COMPOSED}, self.entries)


def _figure(aggregated: dict[str, Any]) -> str:
    """ "Chuyên đề phát thanh: 14 chuyên đề (Theo kỳ: …; theo đơn vị: …; 2 đơn vị có số liệu)"."""
    target = aggregated["target"]
    if aggregated["is_share"]:
        value = _("%(p)s đơn vị đạt chỉ tiêu") % {"p": percent(aggregated["value"])}
    else:
        separator = "" if target.unit_of_measure.strip() == "%" else " "
        value = f"{number(aggregated['value'])}{separator}{target.unit_of_measure}".strip()
    return _("%(name)s: %(value)s (%(rule)s; %(n)s đơn vị có số liệu)") % {
        "name": target.name,
        "value": value,
        "rule": target.rule,
        "n": number(aggregated["units"]),
    }


def _ranked(units: list) -> str:
    return ", ".join(f"{u.unit.full_name} ({percent(u.progress)})" for u in units)


def _rolled_up_paragraph(roll) -> str:
    """A task carried by the units: how many did what, their mean progress, the figures with
    their rule, and (4 units or more) the leading and lagging units."""
    counts = [_("%(n)s hoàn thành") % {"n": number(roll.done)}]
    for status, label in (
        (EntryStatus.IN_PROGRESS, _("đang thực hiện")),
        (EntryStatus.OVERDUE, _("quá hạn")),
        (EntryStatus.NOT_STARTED, _("chưa thực hiện")),
    ):
        if roll.statuses[status]:
            counts.append(f"{number(roll.statuses[status])} {label}")
    if roll.not_reported:
        counts.append(_("%(n)s chưa có báo cáo được tiếp nhận") % {"n": number(roll.not_reported)})
    text = _("%(task)s: %(units)s đơn vị thực hiện; %(counts)s") % {
        "task": roll.task.title.rstrip("."),
        "units": number(roll.units),
        "counts": ", ".join(counts),
    }
    if roll.progress is not None:
        text += _("; tiến độ bình quân %(p)s") % {"p": percent(roll.progress)}
    text += "."
    for aggregated in roll.targets:
        if aggregated["value"] is not None:
            text += f" {_figure(aggregated)}."
    if roll.leading:
        text += " " + _("Dẫn đầu: %(units)s.") % {"units": _ranked(roll.leading)}
        text += " " + _("Chậm nhất: %(units)s.") % {"units": _ranked(roll.lagging)}
    return text


def _own_paragraph(roll, entry: Entry | None, unit: Unit) -> str:
    """A task of the superior itself (no plan below carries it): from its own entry."""
    text = _("%(task)s (%(unit)s trực tiếp thực hiện): ") % {
        "task": roll.task.title.rstrip("."),
        "unit": unit.full_name,
    }
    if entry is None or not entry.is_entered:
        return text + _("chưa nhập kết quả.")
    text += entry.get_status_display().lower()
    if entry.status not in DONE:
        text += f" ({percent(entry.progress)})"
    figures = "; ".join(
        f"{r.target.name}: {number(r.achieved)} {r.target.unit_of_measure}".rstrip()
        for r in entry.results.all()
        if r.achieved is not None
    )
    if figures:
        text += f"; {figures}"
    text += "."
    if entry.narrative.strip():
        text += f" {entry.narrative.strip()}"
    return text


def _names(rows: list) -> str:
    return ", ".join(row.unit.full_name for row in rows)


def _completeness(data, accepted: int) -> str:
    """Section I's opening: completeness over every unit expected to report, the late and the
    silent units named, those without a plan counted and named."""
    text = _(
        "Trong kỳ, %(s)s/%(e)s đơn vị đã gửi báo cáo (%(c)s), trong đó %(t)s đúng hạn, %(l)s trễ hạn"
    ) % {
        "s": number(data.submitted),
        "e": number(data.expected),
        "c": percent(data.completeness),
        "t": number(data.on_time),
        "l": number(len(data.late)),
    }
    if data.late:
        text += f" ({_names(data.late)})"
    text += _("; %(a)s báo cáo đã được tiếp nhận và được tổng hợp dưới đây.") % {"a": number(accepted)}
    silent = data.silent
    if silent:
        planned = [row for row in silent if row.plan is not None]
        parts = []
        if planned:
            parts.append(
                _("%(n)s đơn vị đã có kế hoạch: %(units)s")
                % {
                    "n": number(len(planned)),
                    "units": ", ".join(
                        f"{row.unit.full_name} ({row.state_label.lower()})" for row in planned
                    ),
                }
            )
        if data.no_plan:
            parts.append(
                _("%(n)s đơn vị chưa có kế hoạch: %(units)s")
                % {"n": number(len(data.no_plan)), "units": _names(data.no_plan)}
            )
        text += " " + _("%(n)s đơn vị chưa gửi báo cáo, gồm %(parts)s.") % {
            "n": number(len(silent)),
            "parts": "; ".join(parts),
        }
    return text


# A city's report quotes a few units, whole, and names the others: 94 communes' texts quoted
# in full would be a hundred pages nobody signs.
QUOTED_UNITS = 5


def _quotes(rows: list, field: str, heading: str, *, lowest_first: bool = False) -> list[str]:
    """The texts of the section by up to QUOTED_UNITS units, each whole (the officer shortens
    it, never the code): the most advanced units (`lowest_first`: the least), by their mean
    progress, then by name; the other units that wrote something are named."""
    writing = [row for row in rows if getattr(row.report, field).strip()]
    if not writing:
        return []
    sign = 1 if lowest_first else -1
    writing.sort(key=lambda row: (sign * row.progress, row.unit.full_name))
    quoted = [
        f"- {row.unit.full_name}: {getattr(row.report, field).strip()}" for row in writing[:QUOTED_UNITS]
    ]
    others = writing[QUOTED_UNITS:]
    if others:
        quoted.append(
            _("- Các đơn vị khác cũng nêu nội dung này (xem báo cáo của từng đơn vị): %(units)s.")
            % {"units": ", ".join(row.unit.full_name for row in others)}
        )
    return [heading, *quoted]


def _next_tasks(rolled: list, data) -> list[str]:
    """Section III drafted from the data: the tasks not yet done by every unit, and the units
    still to report."""
    lines = [
        _("- Tiếp tục chỉ đạo, đôn đốc thực hiện: %(task)s.") % {"task": _task_progress(roll)}
        for roll in rolled
        if not roll.all_done
    ]
    if data.silent:
        lines.append(
            _("- Đôn đốc %(n)s đơn vị chưa gửi báo cáo hoàn thành, gửi báo cáo theo quy định.")
            % {"n": number(len(data.silent))}
        )
    return lines or [_("- Duy trì kết quả đã đạt, tiếp tục triển khai kế hoạch năm.")]


def _task_progress(roll) -> str:
    return _("%(task)s (tiến độ bình quân %(p)s, %(d)s/%(u)s đơn vị hoàn thành)") % {
        "task": roll.task.title.rstrip("."),
        "p": percent(roll.progress or 0),
        "d": number(roll.done),
        "u": number(roll.units),
    }


def _draft(unit: Unit, period: Period, report: Report) -> Draft:
    """The composed sections and the rolled-up tasks' entries, from the accepted reports of the
    units below (rollup.build with accepted reports only). Writes nothing.

    Section I: completeness over the expected units; one paragraph per task of the unit's plan —
    a rolled-up task (plans below implement it) from the units' entries, the unit's own task from
    its own entry; a pointer to the annex; the leading units' results quoted whole. Sections II
    and IV: a sentence drawn from the data (the tasks most and least advanced, the late and
    silent units), then a few units' texts quoted whole with their names (`_quotes`), the
    others named.

    A rolled-up task's drafted entry: done on time when every carrying unit is done, not started
    when none has started, else in progress; progress the mean of the units' entry progress;
    figures the aggregated values (`Target.aggregation`)."""
    from reports import rollup

    data = rollup.build(unit, period, include_unaccepted=False)
    accepted = [r for r in data.rows if r.report is not None and r.report.state == ReportState.ACCEPTED]
    if not accepted:
        raise ReportError(_("Chưa có báo cáo nào của đơn vị cấp dưới được tiếp nhận trong kỳ này."))
    own_entries = {
        e.task_id: e
        for e in report.entries.prefetch_related(
            Prefetch("results", queryset=TargetResult.objects.select_related("target"))
        )
    }
    results = [_completeness(data, len(accepted))]
    entries: dict[int, DraftedEntry] = {}
    rolled = [roll for roll in data.tasks if roll.is_rolled_up]
    for roll in data.tasks:
        if not roll.is_rolled_up:
            results.append(f"- {_own_paragraph(roll, own_entries.get(roll.task.pk), unit)}")
            continue
        paragraph = _rolled_up_paragraph(roll)
        results.append(f"- {paragraph}")
        status = (
            EntryStatus.DONE_ON_TIME
            if roll.all_done
            else EntryStatus.IN_PROGRESS
            if roll.started
            else EntryStatus.NOT_STARTED
        )
        entries[roll.task.pk] = DraftedEntry(
            status=status,
            progress=100 if status == EntryStatus.DONE_ON_TIME else round(roll.progress or 0),
            narrative=paragraph,
            figures={
                t["target"].pk: None if t["value"] is None else Decimal(t["value"]).quantize(Decimal("0.01"))
                for t in roll.targets
            },
        )
    if data.tasks:
        results.append(_("Số liệu chi tiết từng nhiệm vụ, chỉ tiêu tại Phụ lục kèm theo."))
    results += _quotes(accepted, "results", _("Kết quả nổi bật của các đơn vị dẫn đầu:"))

    # Completion: the share of carrying units done, then the mean progress.
    by_completion = sorted(rolled, key=lambda r: (r.done / r.units, r.progress or 0, r.task.title))
    ahead = sorted(
        (r for r in rolled if r.done or r.progress),
        key=lambda r: (-r.done / r.units, -(r.progress or 0), r.task.title),
    )[:3]
    behind = [r for r in by_completion if not r.all_done][:3]
    strengths = []
    if ahead:
        strengths.append(
            _("Các nhiệm vụ các đơn vị thực hiện tốt nhất: %(tasks)s; %(t)s/%(s)s báo cáo gửi đúng hạn.")
            % {"tasks": "; ".join(_task_progress(r) for r in ahead), "t": data.on_time, "s": data.submitted}
        )
    weaknesses = []
    facts = []
    if behind:
        facts.append(
            _("các nhiệm vụ có tiến độ thấp nhất: %(tasks)s")
            % {"tasks": "; ".join(_task_progress(r) for r in behind)}
        )
    if data.late:
        facts.append(
            _("%(n)s đơn vị gửi báo cáo trễ hạn (%(units)s)")
            % {"n": len(data.late), "units": _names(data.late)}
        )
    if data.silent:
        facts.append(
            _("%(n)s/%(e)s đơn vị chưa gửi báo cáo (%(units)s)")
            % {"n": len(data.silent), "e": data.expected, "units": _names(data.silent)}
        )
    if facts:
        weaknesses.append(_("Tồn tại: %(facts)s.") % {"facts": "; ".join(facts)})
    proposals = []
    asks = []
    if behind:
        asks.append(
            _("tiếp tục chỉ đạo các nhiệm vụ còn chậm (%(tasks)s)")
            % {"tasks": ", ".join(r.task.title.rstrip(".") for r in behind)}
        )
    if data.silent:
        asks.append(_("đôn đốc %(n)s đơn vị chưa gửi báo cáo") % {"n": len(data.silent)})
    if data.no_plan:
        asks.append(
            _("hướng dẫn %(n)s đơn vị chưa có kế hoạch (%(units)s) ban hành kế hoạch")
            % {"n": len(data.no_plan), "units": _names(data.no_plan)}
        )
    if asks:
        proposals.append(_("Đề nghị %(asks)s.") % {"asks": "; ".join(asks)})
    sections = {
        "results": results,
        "strengths": strengths + _quotes(accepted, "strengths", _("Ưu điểm các đơn vị nêu:")),
        "weaknesses": weaknesses
        + _quotes(accepted, "weaknesses", _("Hạn chế các đơn vị nêu:"), lowest_first=True),
        "causes": _quotes(accepted, "causes", _("Nguyên nhân các đơn vị nêu:"), lowest_first=True),
        "next_tasks": _next_tasks(rolled, data)
        + _quotes(accepted, "next_tasks", _("Nhiệm vụ kỳ tới các đơn vị nêu:")),
        "proposals": proposals + _quotes(accepted, "proposals", _("Đề xuất, kiến nghị của các đơn vị:")),
    }
    return Draft({field: "\n".join(lines) for field, lines in sections.items()}, entries)


def _apply_draft(report: Report, draft: Draft, *, overwrite: bool, by: Any) -> None:
    """Write the draft into the (locked) report: sections and rolled-up tasks' entries, those
    already written kept unless `overwrite`. The unit's own tasks are never touched. A section
    longer than a report's section may be is refused whole, never cut."""
    for field, value in draft.sections.items():
        limit = Report._meta.get_field(field).max_length
        if len(value) > limit:
            raise ReportError(
                _(
                    "Phần “%(section)s” tổng hợp từ báo cáo các đơn vị dài %(n)s ký tự, quá giới hạn %(limit)s; "
                    "chưa lưu gì. Hãy đề nghị các đơn vị rút gọn nội dung hoặc tự soạn phần này."
                )
                % {
                    "section": Report._meta.get_field(field).verbose_name,
                    "n": number(len(value)),
                    "limit": number(limit),
                }
            )
    user = by if getattr(by, "is_authenticated", False) else None
    own_entries = {e.task_id: e for e in report.entries.select_for_update().filter(task_id__in=draft.entries)}
    for task_id, drafted in draft.entries.items():
        entry = own_entries.get(task_id)
        if entry is None or (entry.is_entered and not overwrite):
            continue
        entry.status, entry.progress, entry.narrative = drafted.status, drafted.progress, drafted.narrative
        entry.is_entered = True
        entry.updated_by = user
        entry.lock_version += 1
        if user:
            entry._history_user = user
        entry.save()
        for target_id, value in drafted.figures.items():
            if value is None and not overwrite:
                continue
            TargetResult.objects.update_or_create(
                entry=entry, target_id=target_id, defaults={"achieved": value}
            )
    for field, value in draft.sections.items():
        if overwrite or not getattr(report, field).strip():
            setattr(report, field, value)
    _save(report, by)


@transaction.atomic
def compose_from_subordinates(unit: Unit, period: Period, *, by: Any, overwrite: bool = False) -> Report:
    """Draft the unit's own report for the period from the accepted reports below it (`_draft`).
    Fields already written are kept unless `overwrite`; the unit's own tasks are never touched."""
    report = _locked_report(open_report(unit, period))
    problem = editable_problem(report)
    if problem:
        raise ReportError(problem)
    _apply_draft(report, _draft(unit, period, report), overwrite=overwrite, by=by)
    return report


# --- "Cập nhật số liệu": the composed sections regenerated from current data ----------------------------------


def line_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Line by line: ("same" | "removed" | "added", line)."""
    import difflib

    before, after = old.splitlines(), new.splitlines()
    rows: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [("same", line) for line in before[i1:i2]]
            continue
        rows += [("removed", line) for line in before[i1:i2]]
        rows += [("added", line) for line in after[j1:j2]]
    return rows


@dataclass
class SectionChange:
    label: str
    lines: list[tuple[str, str]]

    @property
    def changed(self) -> bool:
        return any(kind != "same" for kind, _line in self.lines)


@dataclass
class RefreshPreview:
    report: Report
    sections: list[SectionChange]
    entries: list[dict[str, str]]  # the drafted tasks' changes: where, before, after

    @property
    def changed(self) -> bool:
        return bool(self.entries) or any(s.changed for s in self.sections)


def _refreshable(unit: Unit, period: Period) -> Report:
    report = find_report(unit, period)[1]
    if report is None:
        raise ReportError(_("Báo cáo của đơn vị chưa được soạn; hãy soạn từ trang tổng hợp trước."))
    problem = editable_problem(report)
    if problem:
        raise ReportError(problem)
    return report


def preview_refresh(unit: Unit, period: Period) -> RefreshPreview:
    """What "Cập nhật số liệu" would change in the unit's own report, section by section and
    for each rolled-up task's entry. Writes nothing."""
    report = _refreshable(unit, period)
    draft = _draft(unit, period, report).composed_only()
    sections = [
        SectionChange(
            str(Report._meta.get_field(field).verbose_name), line_diff(getattr(report, field), value)
        )
        for field, value in draft.sections.items()
    ]
    status_label = dict(EntryStatus.choices)
    current = {
        e.task_id: e
        for e in report.entries.filter(task_id__in=draft.entries)
        .select_related("task")
        .prefetch_related(Prefetch("results", queryset=TargetResult.objects.select_related("target")))
    }
    entries = []
    for task_id, drafted in draft.entries.items():
        entry = current.get(task_id)
        if entry is None:
            continue
        title = entry.task.title[:80]
        if (entry.status, entry.progress) != (drafted.status, drafted.progress):
            entries.append(
                {
                    "where": title,
                    "before": f"{status_label[entry.status]} ({percent(entry.progress)})",
                    "after": f"{status_label[drafted.status]} ({percent(drafted.progress)})",
                }
            )
        achieved = {r.target_id: r for r in entry.results.all()}
        for target in entry.task.targets.all():
            old = achieved[target.pk].achieved if target.pk in achieved else None
            new = drafted.figures.get(target.pk)
            if old != new:
                entries.append(
                    {"where": f"{title} — {target.name}", "before": number(old), "after": number(new)}
                )
    return RefreshPreview(report, sections, entries)


@transaction.atomic
def refresh_from_subordinates(unit: Unit, period: Period, *, expected_version: int | None, by: Any) -> Report:
    """Replace the composed sections and the rolled-up tasks' entries with what the current
    data gives (the unit's own tasks untouched), if nobody changed the report since the preview
    (`expected_version`, the lock_version it showed)."""
    report = _locked_report(_refreshable(unit, period))
    problem = editable_problem(report)
    if problem:
        raise ReportError(problem)
    if expected_version is None or report.lock_version != expected_version:
        raise ReportError(
            _(
                "Báo cáo vừa được người khác sửa sau khi bạn xem trước; chưa cập nhật gì. "
                "Hãy xem lại các thay đổi rồi xác nhận lại."
            )
        )
    _apply_draft(report, _draft(unit, period, report).composed_only(), overwrite=True, by=by)
    return report
