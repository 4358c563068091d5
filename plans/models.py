"""Annual CCHC communication plans: sections, task groups, tasks, targets, reporting rules.

A plan belongs to a unit and a year and exists in versions: version 1 is drafted, approved
and issued; an amendment is a new version (the issued one never changes). Only one version per
unit and year is the latest. Tasks and targets carry a `key` that stays the same across
versions, so cascade links (a commune task implementing a province task) and amendment diffs
follow a task through its versions.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cchc_portal.lib.bounds import ITEM_TEXT_MAX, LONG_TEXT_MAX, REASON_MAX, TASK_TITLE_MAX, bounded_text
from cchc_portal.lib.formatting import number
from units.models import Level, Role, Unit

if TYPE_CHECKING:
    from units.access import Access


class Status(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    SUBMITTED = "submitted", _("Chờ phê duyệt")
    APPROVED = "approved", _("Đã phê duyệt")
    ISSUED = "issued", _("Đã ban hành")


class ContentArea(models.TextChoices):
    """The six reform areas of the CCHC programme (NQ 76/NQ-CP), the indices, and general."""

    INSTITUTIONS = "the_che", _("Cải cách thể chế")
    PROCEDURES = "tthc", _("Cải cách thủ tục hành chính")
    ORGANISATION = "bo_may", _("Cải cách tổ chức bộ máy")
    CIVIL_SERVICE = "cong_vu", _("Cải cách chế độ công vụ")
    PUBLIC_FINANCE = "tai_chinh_cong", _("Cải cách tài chính công")
    DIGITAL = "chinh_quyen_so", _("Chính quyền điện tử, chính quyền số")
    PAR_INDEX = "par_index", _("Chỉ số CCHC (PAR INDEX)")
    SIPAS = "sipas", _("Chỉ số hài lòng (SIPAS)")
    PAPI = "papi", _("Chỉ số PAPI")
    PCI = "pci", _("Chỉ số PCI")
    GENERAL = "chung", _("Chung")


class Frequency(models.TextChoices):
    ONCE = "once", _("Một lần")
    MONTHLY = "monthly", _("Hằng tháng")
    QUARTERLY = "quarterly", _("Hằng quý")
    CONTINUOUS = "continuous", _("Thường xuyên")


class Aggregation(models.TextChoices):
    """How the units' figures of a target add up in a superior's roll-up (plans/targets.py)."""

    SUM = "sum", _("Cộng các đơn vị")
    AVERAGE = "avg", _("Bình quân các đơn vị")
    SHARE = "share", _("Tỷ lệ đơn vị đạt chỉ tiêu")


class TargetKind(models.TextChoices):
    """What a target counts, hence how its figures add up over time (plans/targets.py)."""

    COUNT = "count", _("Số lượng (cộng dồn theo kỳ)")
    RATE = "rate", _("Định mức theo thời gian (ví dụ số/tháng)")
    PERCENT = "percent", _("Tỷ lệ phần trăm")
    LEVEL = "level", _("Mức độ, điểm số tại thời điểm báo cáo")
    YESNO = "yesno", _("Có/không (đã thực hiện hay chưa)")


class PeriodType(models.TextChoices):
    """Reporting periods of NĐ 09/2019 (cut-off 15th of the previous month to the 14th)."""

    MONTHLY = "monthly", _("Báo cáo tháng")
    QUARTERLY = "quarterly", _("Báo cáo quý")
    HALF_YEAR = "half_year", _("Báo cáo 6 tháng")
    NINE_MONTHS = "nine_months", _("Báo cáo 9 tháng")
    ANNUAL = "annual", _("Báo cáo năm")


class NonWorkingDay(models.TextChoices):
    """What a reporting deadline falling on a weekend or a public holiday becomes."""

    KEEP = "keep", _("Giữ nguyên ngày")
    PREVIOUS = "previous", _("Lùi về ngày làm việc liền trước")


class Channel(models.Model):
    """A communication channel (hình thức tuyên truyền); online or traditional for the PAR score."""

    class Mode(models.TextChoices):
        ONLINE = "online", _("Trực tuyến, điện tử")
        TRADITIONAL = "traditional", _("Truyền thống")

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên hình thức"), max_length=150)
    mode = models.CharField(_("loại"), max_length=20, choices=Mode.choices)
    sort_order = models.PositiveSmallIntegerField(_("thứ tự"), default=100)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("hình thức tuyên truyền")
        verbose_name_plural = _("hình thức tuyên truyền")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class PlanQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> PlanQuerySet:
        """Plans of units in the user's scope, and the issued plans of the units above them
        (a commune must read the plan it implements; issued plans are public documents)."""
        above = {
            g.unit_path[:i]
            for g in access.grants
            for i in range(Unit.steplen, len(g.unit_path), Unit.steplen)
        }
        q = access.scope_q("unit__path")
        if above:
            q |= Q(status=Status.ISSUED, unit__path__in=above)
        return self.filter(q)

    def latest(self) -> PlanQuerySet:
        return self.filter(is_latest=True)


class Plan(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="plans", verbose_name=_("đơn vị"))
    year = models.PositiveSmallIntegerField(_("năm"))
    version = models.PositiveSmallIntegerField(_("phiên bản"), default=1)
    is_latest = models.BooleanField(default=True, editable=False)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendment",
        verbose_name=_("sửa đổi từ phiên bản"),
    )
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT)

    title = models.CharField(_("tên kế hoạch"), max_length=300)
    summary = models.CharField(
        _("trích yếu"),
        max_length=300,
        help_text=_('Dòng dưới chữ KẾ HOẠCH, ví dụ "Tuyên truyền công tác cải cách hành chính năm 2026".'),
    )
    parent_plan = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subordinate_plans",
        verbose_name=_("thực hiện kế hoạch cấp trên"),
    )
    parent_reference = models.CharField(
        _("kế hoạch cấp trên (ngoài hệ thống)"),
        max_length=500,
        blank=True,
        help_text=_(
            'Chỉ khi kế hoạch cấp trên không có trên cổng, ví dụ "Kế hoạch số 71/KH-UBND ngày 24/3/2022 của UBND thành phố Tam Kỳ".'
        ),
    )
    legal_bases = models.TextField(
        _("căn cứ khác"),
        blank=True,
        max_length=LONG_TEXT_MAX,
        validators=bounded_text(LONG_TEXT_MAX),
        help_text=_("Mỗi căn cứ một dòng."),
    )
    closing_text = models.TextField(
        _("câu kết"),
        blank=True,
        max_length=REASON_MAX,
        validators=bounded_text(REASON_MAX),
        help_text=_('Để trống để dùng câu "Trên đây là kế hoạch …" theo trích yếu.'),
    )
    recipients = models.TextField(
        _("nơi nhận"),
        blank=True,
        max_length=REASON_MAX,
        validators=bounded_text(REASON_MAX),
        help_text=_("Mỗi nơi nhận một dòng, không cần gạch đầu dòng."),
    )
    archive_line = models.CharField(
        _("lưu"), max_length=200, default="VT", help_text=_('Sau "Lưu:", ví dụ "VT, VP".')
    )
    signer_authority = models.CharField(_("thẩm quyền ký"), max_length=100, default="TM. ỦY BAN NHÂN DÂN")
    signer_delegation = models.CharField(
        _("ký thay"), max_length=100, blank=True, help_text=_('Ví dụ "KT. CHỦ TỊCH".')
    )
    signer_title = models.CharField(_("chức vụ người ký"), max_length=100, default="CHỦ TỊCH")
    signer_name = models.CharField(_("họ tên người ký"), max_length=100, blank=True)

    document = models.OneToOneField(
        "documents.OutgoingDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan",
        verbose_name=_("số văn bản"),
    )
    return_reason = models.TextField(
        _("lý do trả lại"), blank=True, max_length=REASON_MAX, validators=bounded_text(REASON_MAX)
    )
    # Who approved: the leader whose signature the issued document must carry (or another
    # leader of the unit who holds approve-and-sign).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("người phê duyệt"),
    )
    approved_at = models.DateTimeField(_("phê duyệt lúc"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    lock_version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("kế hoạch")
        verbose_name_plural = _("kế hoạch")
        ordering = ["-year", "unit__path", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "version"], name="plan_unique_version"),
            models.UniqueConstraint(
                fields=["unit", "year"], condition=Q(is_latest=True), name="plan_one_latest"
            ),
        ]

    def __str__(self) -> str:
        suffix = f" (sửa đổi lần {self.version - 1})" if self.version > 1 else ""
        return f"{self.title} — {self.unit}{suffix}"

    @property
    def is_editable(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def reference(self) -> str:
        """ "05/KH-UBND" once the văn thư has numbered it; "" before."""
        return self.document.reference if self.document_id and self.document.number is not None else ""

    @property
    def issued_on(self):
        return self.document.issued_on if self.document_id else None


class Section(models.Model):
    """A top-level part of the plan (I. MỤC ĐÍCH, YÊU CẦU …), numbered I, II, III… in order."""

    class Kind(models.TextChoices):
        PURPOSE = "purpose", _("Mục đích, yêu cầu")
        CONTENT = "content", _("Nội dung, hình thức tuyên truyền")
        ACTIVITIES = "activities", _("Hoạt động trọng tâm")
        TASKS = "tasks", _("Nhiệm vụ cụ thể")
        ORGANISATION = "organisation", _("Tổ chức thực hiện")
        OTHER = "other", _("Khác")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("tiêu đề"), max_length=300)
    lock_version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("phần của kế hoạch")
        verbose_name_plural = _("phần của kế hoạch")
        ordering = ["plan_id", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class SectionItem(models.Model):
    """A heading or paragraph inside a section; headings are numbered 1., 2. then a), b)."""

    class Style(models.TextChoices):
        HEADING = "heading", _("Mục có số thứ tự")
        BULLET = "bullet", _("Đoạn gạch đầu dòng")
        PARAGRAPH = "paragraph", _("Đoạn văn")
        SCHEDULE = "schedule", _("Chế độ báo cáo (tự sinh)")

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0)
    style = models.CharField(_("kiểu"), max_length=20, choices=Style.choices, default=Style.BULLET)
    text = models.TextField(
        _("nội dung"), blank=True, max_length=ITEM_TEXT_MAX, validators=bounded_text(ITEM_TEXT_MAX)
    )
    lock_version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("nội dung mục")
        verbose_name_plural = _("nội dung mục")
        ordering = ["section_id", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class TaskGroup(models.Model):
    """Section IV groups tasks by who leads them: a role (commune plans), a unit (province plans),
    or a body outside the unit ("Đề nghị UBMTTQ Việt Nam…") when neither is set."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="groups")
    position = models.PositiveSmallIntegerField(default=0)
    heading = models.CharField(_("tiêu đề nhóm"), max_length=300)
    lead_role = models.ForeignKey(
        Role,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vai trò chủ trì"),
    )
    lead_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("đơn vị chủ trì"),
    )
    lead_level = models.CharField(
        _("giao cho tất cả đơn vị cấp"),
        max_length=20,
        choices=Level.choices,
        blank=True,
        help_text=_(
            "Kế hoạch cấp trên: nhóm nhiệm vụ giao cho mọi đơn vị của cấp này (ví dụ mọi xã, phường)."
        ),
    )
    lock_version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("nhóm nhiệm vụ")
        verbose_name_plural = _("nhóm nhiệm vụ")
        ordering = ["plan_id", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lead_role__isnull=True) | Q(lead_unit__isnull=True), name="taskgroup_one_lead"
            )
        ]

    def __str__(self) -> str:
        return self.heading

    @property
    def is_unassigned(self) -> bool:
        return self.lead_role_id is None and self.lead_unit_id is None and not self.lead_level


class Task(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    group = models.ForeignKey(
        TaskGroup, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("nhóm")
    )
    position = models.PositiveSmallIntegerField(default=0)
    key = models.UUIDField(
        default=uuid.uuid4, editable=False, help_text="The same task across plan versions."
    )

    # Bounded: a 1.5-million-character title stalled the plan PDF past the worker timeout.
    title = models.TextField(
        _("nội dung nhiệm vụ"), max_length=TASK_TITLE_MAX, validators=bounded_text(TASK_TITLE_MAX)
    )
    description = models.TextField(
        _("mô tả thêm"), blank=True, max_length=LONG_TEXT_MAX, validators=bounded_text(LONG_TEXT_MAX)
    )
    content_area = models.CharField(
        _("lĩnh vực CCHC"), max_length=20, choices=ContentArea.choices, default=ContentArea.GENERAL
    )
    channels = models.ManyToManyField(Channel, blank=True, related_name="tasks", verbose_name=_("hình thức"))
    for_officials = models.BooleanField(_("đối tượng: cán bộ, công chức, viên chức"), default=True)
    for_public = models.BooleanField(_("đối tượng: người dân, doanh nghiệp"), default=True)
    co_roles = models.ManyToManyField(Role, blank=True, related_name="+", verbose_name=_("vai trò phối hợp"))
    co_units = models.ManyToManyField(Unit, blank=True, related_name="+", verbose_name=_("đơn vị phối hợp"))
    co_text = models.CharField(_("phối hợp khác"), max_length=300, blank=True)
    addressees = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="addressed_tasks",
        verbose_name=_("giao cho một số đơn vị"),
        help_text=_("Kế hoạch cấp trên: các đơn vị cụ thể (một số xã) phải thực hiện nhiệm vụ này."),
    )
    frequency = models.CharField(
        _("tần suất"), max_length=20, choices=Frequency.choices, default=Frequency.ONCE
    )
    deadline = models.DateField(_("thời hạn"), null=True, blank=True)
    timing_note = models.CharField(_("thời gian thực hiện"), max_length=200, blank=True)
    budget = models.DecimalField(_("kinh phí (đồng)"), max_digits=15, decimal_places=0, null=True, blank=True)
    product = models.CharField(_("sản phẩm"), max_length=300, blank=True)

    superior_task = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="implementations",
        verbose_name=_("nhiệm vụ cấp trên"),
    )
    superior_key = models.UUIDField(null=True, blank=True, db_index=True, editable=False)
    lock_version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(m2m_fields=[channels, co_roles, co_units, addressees])

    class Meta:
        verbose_name = _("nhiệm vụ")
        verbose_name_plural = _("nhiệm vụ")
        ordering = ["plan_id", "group__position", "position", "pk"]
        indexes = [models.Index(fields=["key"], name="task_key_idx")]
        constraints = [models.UniqueConstraint(fields=["plan", "key"], name="task_unique_key_per_plan")]

    def __str__(self) -> str:
        return self.title[:100]


class Target(models.Model):
    """A countable target (chỉ tiêu): "12 chuyên đề phát thanh/năm", "100% TTHC được niêm yết"."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveSmallIntegerField(default=0)
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    name = models.CharField(_("chỉ tiêu"), max_length=300)
    unit_of_measure = models.CharField(_("đơn vị tính"), max_length=50)
    value = models.DecimalField(_("giá trị"), max_digits=12, decimal_places=2)
    kind = models.CharField(
        _("loại chỉ tiêu"),
        max_length=10,
        choices=TargetKind.choices,
        default=TargetKind.COUNT,
        help_text=_(
            "Quyết định cách cộng số liệu qua các kỳ: số lượng cộng dồn, định mức lấy bình quân, tỷ lệ lấy kỳ gần nhất."
        ),
    )
    aggregation = models.CharField(
        _("cách tổng hợp các đơn vị"), max_length=10, choices=Aggregation.choices, default=Aggregation.SUM
    )
    superior_target = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="implementations"
    )
    superior_key = models.UUIDField(null=True, blank=True, editable=False)
    set_locally = models.BooleanField(_("đơn vị tự đặt giá trị"), default=False)
    lock_version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = _("chỉ tiêu")
        ordering = ["task_id", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount_display}"

    @property
    def amount_display(self) -> str:
        """ "12 chuyên đề", "100%" (no space before a percent sign)."""
        separator = "" if self.unit_of_measure.strip() == "%" else " "
        return f"{self.value_display}{separator}{self.unit_of_measure}".strip()

    @property
    def value_display(self) -> str:
        """Vietnamese style: "3.000", "12,5"."""
        return number(self.value)

    def clean(self):
        from django.core.exceptions import ValidationError

        from plans.targets import allows

        super().clean()
        if not allows(self.kind, self.aggregation):
            raise ValidationError(
                {
                    "aggregation": _("Chỉ tiêu loại “%(kind)s” không tổng hợp theo cách “%(aggregation)s”.")
                    % {"kind": self.get_kind_display(), "aggregation": self.get_aggregation_display()}
                }
            )

    @property
    def is_yesno(self) -> bool:
        return self.kind == TargetKind.YESNO

    @property
    def rule(self) -> str:
        """How its figures add up, over time and over units (shown next to each figure)."""
        from plans.targets import rule_text

        return rule_text(self.kind, self.aggregation)


class ReportingRule(models.Model):
    """Section V's reporting schedule: which periods must be reported and by what day, per level
    (plans.deadlines): the units implementing the plan send theirs by `subordinate_deadline_day`,
    the plan's unit sends its own to its superior by `deadline_day`; both days of the period's
    last month, data cut off on the 14th."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reporting_rules")
    period_type = models.CharField(_("kỳ báo cáo"), max_length=20, choices=PeriodType.choices)
    deadline_day = models.PositiveSmallIntegerField(
        _("hạn gửi cấp trên (ngày của tháng cuối kỳ)"),
        default=20,
        help_text=_("Báo cáo CCHC: chậm nhất ngày 20 của tháng cuối kỳ (số liệu chốt ngày 14)."),
    )
    subordinate_deadline_day = models.PositiveSmallIntegerField(
        _("hạn các đơn vị thực hiện gửi (ngày của tháng cuối kỳ)"),
        default=17,
        help_text=_("Trước hạn gửi cấp trên, để còn ít nhất 01 ngày làm việc tổng hợp."),
    )
    on_non_working_day = models.CharField(
        _("hạn rơi vào ngày nghỉ"),
        max_length=10,
        choices=NonWorkingDay.choices,
        default=NonWorkingDay.KEEP,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chế độ báo cáo")
        verbose_name_plural = _("chế độ báo cáo")
        ordering = ["plan_id", "period_type"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "period_type"], name="reportingrule_unique_period"),
            models.CheckConstraint(
                condition=Q(deadline_day__gte=15, deadline_day__lte=28),
                name="reportingrule_deadline_after_cutoff",
            ),
            models.CheckConstraint(
                condition=Q(subordinate_deadline_day__gte=15)
                & Q(subordinate_deadline_day__lt=models.F("deadline_day")),
                name="reportingrule_units_before_own_deadline",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_period_type_display()} — đơn vị ngày {self.subordinate_deadline_day}, "
            f"cấp trên ngày {self.deadline_day}"
        )

    def clean(self) -> None:
        """The deadlines must leave working days after the cut-off and for compiling, in the
        calendar of the plan's year (plans.deadlines.rule_errors)."""
        from plans.deadlines import rule_errors  # plans.deadlines builds on this module

        days = (self.deadline_day, self.subordinate_deadline_day)
        if self.plan_id is None or not all(isinstance(d, int) and 15 <= d <= 28 for d in days):
            return
        errors = rule_errors(
            self.plan.year,
            self.period_type,
            self.deadline_day,
            self.subordinate_deadline_day,
            self.on_non_working_day,
        )
        if errors:
            raise ValidationError(errors)
