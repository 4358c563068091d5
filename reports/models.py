"""Periodic reports: a unit's report for one period, one entry per task of its plan, the achieved
value of each target, evidence, and the history of every transition.

A report that has no row yet is "not started" (chưa bắt đầu): the row is created the first time
someone in the unit enters progress or the office opens it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cchc_portal.lib.bounds import NARRATIVE_MAX, REASON_MAX, SECTION_MAX, bounded_text
from cchc_portal.lib.formatting import short_datetime
from plans.models import PeriodType, Plan, Target, Task
from units.models import Unit


class ReportState(models.TextChoices):
    NOT_STARTED = "not_started", _("Chưa bắt đầu")
    DRAFT = "draft", _("Đang soạn")
    SUBMITTED = "submitted", _("Đã gửi, chờ xét")
    RETURNED = "returned", _("Bị trả lại")
    ACCEPTED = "accepted", _("Đã tiếp nhận")


class EntryStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Chưa thực hiện")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    DONE_ON_TIME = "done_on_time", _("Hoàn thành đúng hạn")
    DONE_LATE = "done_late", _("Hoàn thành trễ hạn")
    OVERDUE = "overdue", _("Quá hạn")


DONE = {EntryStatus.DONE_ON_TIME, EntryStatus.DONE_LATE}

# What the report's people write besides the entries: who it goes to and its sections.
NARRATIVE_FIELDS = (
    "recipients",
    "other_recipients",
    "drafting_unit",
    "results",
    "strengths",
    "weaknesses",
    "causes",
    "next_tasks",
    "proposals",
)


class Report(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="reports", verbose_name=_("đơn vị"))
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="reports", verbose_name=_("kế hoạch")
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    period_kind = models.CharField(_("loại kỳ"), max_length=20, choices=PeriodType.choices)
    period_number = models.PositiveSmallIntegerField(_("kỳ số"), default=1)
    deadline = models.DateField(_("hạn gửi"))
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=ReportState.choices, default=ReportState.DRAFT
    )
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(_("gửi lần đầu lúc"), null=True, blank=True)
    is_late = models.BooleanField(_("gửi trễ hạn"), default=False)
    accepted_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    return_reason = models.TextField(
        _("lý do trả lại"), blank=True, max_length=REASON_MAX, validators=bounded_text(REASON_MAX)
    )
    # Until this date the unit may enter and submit even though the period has closed.
    reopened_until = models.DateField(_("mở lại đến ngày"), null=True, blank=True)
    # The narrative, in the standard outline of a CCHC communication report.
    # "Kính gửi": one recipient a line, in proper case ("Ủy ban nhân dân thành phố Đà Nẵng").
    recipients = models.TextField(
        _("kính gửi"),
        blank=True,
        max_length=REASON_MAX,
        validators=bounded_text(REASON_MAX),
        help_text=_("Mỗi dòng một nơi nhận, ví dụ “Ủy ban nhân dân thành phố Đà Nẵng”."),
    )
    # "Nơi nhận" after "- Như trên;": copies sent for information, one a line.
    other_recipients = models.TextField(
        _("nơi nhận khác"),
        blank=True,
        max_length=REASON_MAX,
        validators=bounded_text(REASON_MAX),
        help_text=_("Ngoài nơi được kính gửi; mỗi dòng một nơi, ví dụ “Thường trực Đảng ủy phường”."),
    )
    # The drafting unit's short name, kept with the archive copy: "- Lưu: VT, VP.".
    drafting_unit = models.CharField(
        _("đơn vị soạn thảo (viết tắt)"),
        max_length=30,
        default="VP",
        blank=True,
        help_text=_("Ghi ở dòng “- Lưu: VT, VP.” của nơi nhận, ví dụ “VP” (Văn phòng)."),
    )
    results = models.TextField(
        _("I. Kết quả thực hiện"), blank=True, max_length=SECTION_MAX, validators=bounded_text(SECTION_MAX)
    )
    strengths = models.TextField(
        _("Ưu điểm"), blank=True, max_length=SECTION_MAX, validators=bounded_text(SECTION_MAX)
    )
    weaknesses = models.TextField(
        _("Tồn tại, hạn chế"), blank=True, max_length=SECTION_MAX, validators=bounded_text(SECTION_MAX)
    )
    causes = models.TextField(
        _("Nguyên nhân"), blank=True, max_length=SECTION_MAX, validators=bounded_text(SECTION_MAX)
    )
    next_tasks = models.TextField(
        _("III. Nhiệm vụ kỳ tới"), blank=True, max_length=SECTION_MAX, validators=bounded_text(SECTION_MAX)
    )
    proposals = models.TextField(
        _("IV. Đề xuất, kiến nghị"), blank=True, max_length=SECTION_MAX, validators=bounded_text(SECTION_MAX)
    )
    # The official document (numbered in the register, signed) once the leader issues it.
    document = models.OneToOneField(
        "documents.OutgoingDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report",
        verbose_name=_("văn bản"),
    )
    signer_name = models.CharField(_("họ tên người ký"), max_length=100, blank=True)
    # The signer's block as the leader who signed holds it (reports.signer): "TM. ỦY BAN NHÂN
    # DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", one a line.
    signer_lines = models.TextField(_("thẩm quyền, chức vụ người ký"), blank=True, editable=False)
    # Average progress (%) of the entries when last submitted: what the national overview sums.
    progress = models.FloatField(_("tiến độ bình quân khi gửi (%)"), null=True, blank=True, editable=False)
    # What the report said when it was accepted: the reviewer sees what changed since.
    accepted_snapshot = models.JSONField(default=dict, blank=True, editable=False)
    lock_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["accepted_snapshot"])

    class Meta:
        verbose_name = _("báo cáo")
        verbose_name_plural = _("báo cáo")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "period_kind", "period_number"], name="one_report_per_unit_period"
            )
        ]
        indexes = [models.Index(fields=["year", "period_kind", "period_number", "state"])]
        permissions = [
            ("view_national_overview", _("Xem tổng hợp toàn quốc (mọi tỉnh, thành phố)")),
        ]

    def __str__(self) -> str:
        return f"{self.unit} — {self.period.label}"

    @property
    def period(self):
        from reports.periods import Period

        return Period(self.year, self.period_kind, self.period_number)


class Entry(models.Model):
    """What the unit did for one task in the period."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="entries")
    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, related_name="entries", verbose_name=_("nhiệm vụ")
    )
    status = models.CharField(
        _("tình trạng"), max_length=20, choices=EntryStatus.choices, default=EntryStatus.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    narrative = models.TextField(
        _("kết quả, mô tả"), blank=True, max_length=NARRATIVE_MAX, validators=bounded_text(NARRATIVE_MAX)
    )
    is_entered = models.BooleanField(default=False, editable=False)  # someone has saved it
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    lock_version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kết quả nhiệm vụ")
        verbose_name_plural = _("kết quả nhiệm vụ")
        constraints = [models.UniqueConstraint(fields=["report", "task"], name="one_entry_per_task")]

    def __str__(self) -> str:
        return f"{self.report} — {self.task_id}"


class TargetResult(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="results")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="results")
    # The figure for the whole period: what roll-ups, scores and the annex read. In a 6-month,
    # 9-month or annual report it is put together from the earlier reports and `own`
    # (reports/cumulative.py); elsewhere it is the figure typed.
    achieved = models.DecimalField(_("đạt được"), max_digits=12, decimal_places=2, null=True, blank=True)
    # The figure typed in this report: in a cumulative report, for the part of the period no
    # earlier report covered (15/09–14/12 in an annual report after the third quarter's).
    own = models.DecimalField(
        _("số liệu nhập kỳ này"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "target"], name="one_result_per_target")]

    def __str__(self) -> str:
        return f"{self.target_id}: {self.achieved}"


def evidence_path(instance: Evidence, filename: str) -> str:
    # Never the uploaded name: a random one, kept under the report's unit and year.
    suffix = filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else "bin"
    report = instance.entry.report
    return f"evidence/{report.year}/{report.unit_id}/{uuid.uuid4().hex}.{suffix}"


class Evidence(models.Model):
    """A file or a link proving what was done (tài liệu kiểm chứng)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("tệp"), upload_to=evidence_path, blank=True)
    url = models.URLField(_("đường dẫn"), max_length=500, blank=True)
    name = models.CharField(_("tên"), max_length=255)
    size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tài liệu kiểm chứng")
        verbose_name_plural = _("tài liệu kiểm chứng")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class ReportEvent(models.Model):
    """Every transition of a report, with who, when and why."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Gửi báo cáo")
        RESUBMITTED = "resubmitted", _("Gửi lại báo cáo")
        RETURNED = "returned", _("Trả lại")
        ACCEPTED = "accepted", _("Tiếp nhận")
        REOPENED = "reopened", _("Mở lại để sửa")
        PERIOD_REOPENED = "period_reopened", _("Mở lại kỳ báo cáo đã đóng")
        REMINDED = "reminded", _("Nhắc báo cáo")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)
    is_late = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {short_datetime(self.at)}"


class Reminder(models.Model):
    """A reminder sent to a unit for a period (once per unit, period and day)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    period_kind = models.CharField(max_length=20, choices=PeriodType.choices)
    period_number = models.PositiveSmallIntegerField(default=1)
    sent_on = models.DateField()
    recipients = models.TextField(blank=True)
    is_overdue = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "period_kind", "period_number", "sent_on"], name="one_reminder_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}-{self.period_kind}-{self.period_number} {self.sent_on}"
