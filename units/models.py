"""Administrative units, the people who work in them, and what each may do there.

The unit tree holds both shapes the country has had: province → commune since 1 July 2025 and
province → district → commune before. A unit is identified by its code *within a validity
period*: after the 2025 merger new communes reuse a predecessor's 5-digit code.

The tree is a materialised path (django-treebeard MP_Node): a subtree is one indexed
`path LIKE 'prefix%'` query and the ancestors are one `path IN (...)` query, whatever the depth.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from cchc_portal.lib.bounds import LONG_TEXT_MAX, REASON_MAX, bounded_text
from cchc_portal.lib.formatting import short_date, short_datetime
from cchc_portal.lib.vietnamese import fold

if TYPE_CHECKING:
    from units.access import Access


class User(AbstractUser):
    """A person who logs in. Vietnamese names are written family name first: "Hoàng Thị Mai"."""

    class Meta(AbstractUser.Meta):
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")
        swappable = "AUTH_USER_MODEL"

    def get_full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


class Level(models.TextChoices):
    """The tiers of Vietnamese local government, plus agencies (sở, ban, ngành) under a province."""

    PROVINCE = "province", _("Cấp tỉnh")
    DISTRICT = "district", _("Cấp huyện")
    COMMUNE = "commune", _("Cấp xã")
    AGENCY = "agency", _("Cơ quan, đơn vị")


class UnitKind(models.Model):
    """A kind of unit (tỉnh, phường, sở…). Kinds are data: adding one needs no code change."""

    code = models.SlugField(_("mã loại"), max_length=40, unique=True)
    name = models.CharField(_("tên loại"), max_length=100)
    level = models.CharField(_("cấp"), max_length=20, choices=Level.choices)
    label = models.CharField(
        _("tiền tố trong tên"),
        max_length=60,
        blank=True,
        help_text=_('Cách loại này đứng đầu tên đầy đủ trong tệp danh mục, ví dụ "Phường", "Thành phố".'),
    )
    authority_body = models.CharField(
        _("tên cơ quan ban hành văn bản"),
        max_length=100,
        blank=True,
        help_text=_('Ví dụ "ỦY BAN NHÂN DÂN"; để trống với sở, ban, ngành (tên đơn vị là tên cơ quan).'),
    )
    default_symbol = models.CharField(_("ký hiệu cơ quan mặc định"), max_length=20, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("thứ tự"), default=100)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("loại đơn vị")
        verbose_name_plural = _("loại đơn vị")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "label"], condition=~Q(label=""), name="unitkind_unique_label_per_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_level_display()})"


class UnitQuerySet(MP_NodeQuerySet):
    def valid_on(self, day: datetime.date) -> UnitQuerySet:
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )

    def current(self) -> UnitQuerySet:
        return self.valid_on(timezone.localdate())

    def subtree(self, unit: Unit, include_self: bool = True) -> UnitQuerySet:
        """The unit's descendants (and itself): one query, whatever the depth or size."""
        qs = self.filter(path__startswith=unit.path)
        return qs if include_self else qs.exclude(pk=unit.pk)

    def ancestors(self, unit: Unit, include_self: bool = False) -> UnitQuerySet:
        """The unit's ancestors, root first: one query on the path prefixes."""
        return self.filter(path__in=unit.ancestor_paths(include_self)).order_by("depth")

    def children_of(self, unit: Unit) -> UnitQuerySet:
        return self.filter(path__startswith=unit.path, depth=unit.depth + 1)

    def visible_to(self, access: Access) -> UnitQuerySet:
        """Units in the subtree of any of the user's memberships (everything for an admin)."""
        return self.filter(access.scope_q("path"))

    def for_picker(self) -> UnitQuerySet:
        """With `parent_name` (the parent's full name) for `Unit.picker_label`: one subquery on
        the path prefix, not one query per unit listed."""
        parent = Unit.objects.filter(
            path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Unit.steplen)
        ).values("full_name")[:1]
        if "parent_name" in self.query.annotations:
            return self
        return self.annotate(parent_name=Subquery(parent))

    def search(self, text: str) -> UnitQuerySet:
        """Diacritic- and case-insensitive search on name and code ("tan thanh" finds "Tân Thạnh").

        The folded text must start at a word: "da nang" finds "Đà Nẵng", not "Nguyễn Đại Năng".
        """
        folded = fold(text)
        if not folded:
            return self
        return self.filter(search_text__contains=f" {folded}")


class UnitManager(MP_NodeManager.from_queryset(UnitQuerySet)):
    def get_queryset(self) -> UnitQuerySet:
        # treebeard's manager builds its own queryset class; keep its path ordering, use ours.
        return UnitQuerySet(self.model, using=self._db).order_by("path")


class Unit(MP_Node):
    """An administrative unit or agency: a node of the unit tree."""

    code = models.CharField(
        _("mã đơn vị"),
        max_length=32,
        help_text=_(
            "Mã theo danh mục ĐVHC (tỉnh 2 chữ số, huyện 3, xã 5); duy nhất trong thời gian hiệu lực."
        ),
    )
    name = models.CharField(_("tên"), max_length=150, help_text=_('Tên riêng, ví dụ "Tân Thạnh".'))
    full_name = models.CharField(_("tên đầy đủ"), max_length=200, help_text=_('Ví dụ "Phường Tân Thạnh".'))
    kind = models.ForeignKey(UnitKind, on_delete=models.PROTECT, related_name="units", verbose_name=_("loại"))
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    legal_basis = models.TextField(
        _("căn cứ pháp lý"), blank=True, max_length=LONG_TEXT_MAX, validators=bounded_text(LONG_TEXT_MAX)
    )

    # What official documents (NĐ 30/2020) need.
    parent_authority_line = models.CharField(
        _("dòng cơ quan chủ quản"),
        max_length=200,
        blank=True,
        help_text=_('Dòng trên của tên cơ quan ban hành, không in đậm, ví dụ "UBND THÀNH PHỐ TAM KỲ".'),
    )
    authority_line = models.CharField(
        _("dòng cơ quan ban hành"),
        max_length=200,
        blank=True,
        help_text=_('In đậm, ví dụ "ỦY BAN NHÂN DÂN PHƯỜNG TÂN THẠNH".'),
    )
    place_name = models.CharField(
        _("địa danh"), max_length=100, blank=True, help_text=_('Dùng ở dòng "Tam Kỳ, ngày … tháng … năm …".')
    )
    body_symbol = models.CharField(
        _("ký hiệu cơ quan"),
        max_length=20,
        blank=True,
        help_text=_('Dùng trong số, ký hiệu văn bản, ví dụ "UBND".'),
    )

    # Derived from the names by the services that write units (never typed by hand).
    search_text = models.CharField(max_length=300, editable=False, default="")
    sort_key = models.CharField(max_length=150, editable=False, default="")

    history = HistoricalRecords(excluded_fields=["numchild", "search_text", "sort_key"])
    objects = UnitManager()

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        indexes = [models.Index(fields=["code"], name="unit_code_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="unit_validity_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def validity_label(self) -> str:
        """ "từ 01/07/2025", "đến 30/06/2025", "01/07/2025 – 31/12/2026" or ""."""
        if self.valid_from and self.valid_to:
            return f"{short_date(self.valid_from)} – {short_date(self.valid_to)}"
        if self.valid_from:
            return _("từ %(date)s") % {"date": short_date(self.valid_from)}
        if self.valid_to:
            return _("đến %(date)s") % {"date": short_date(self.valid_to)}
        return ""

    @property
    def picker_label(self) -> str:
        """What every picker shows, so that three "Phường Phú Thượng" can be told apart:
        "Phường Phú Thượng — 00112 · từ 01/07/2025 · Thành phố Hà Nội". The parent comes from
        `UnitQuerySet.for_picker()`."""
        parts = [self.code, str(self.validity_label), getattr(self, "parent_name", None) or ""]
        return f"{self.full_name} — {' · '.join(p for p in parts if p)}"

    def ancestor_paths(self, include_self: bool = False) -> list[str]:
        step = self.steplen
        end = len(self.path) + (step if include_self else 0)
        return [self.path[:i] for i in range(step, end, step)]

    @property
    def parent_path(self) -> str:
        return self.path[: -self.steplen]

    def is_valid_on(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def is_current(self) -> bool:
        return self.is_valid_on(timezone.localdate())

    def refresh_derived_fields(self) -> None:
        # Leading space: searches match from the start of a word.
        self.search_text = f" {fold(self.full_name)} | {fold(self.name)} | {self.code}"
        self.sort_key = fold(self.name)


class UnitSuccession(models.Model):
    """A predecessor → successor link from a merger or split (toàn bộ / một phần)."""

    class Extent(models.TextChoices):
        WHOLE = "whole", _("Toàn bộ")
        PART = "part", _("Một phần")

    predecessor = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="successions_out", verbose_name=_("đơn vị cũ")
    )
    successor = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="successions_in", verbose_name=_("đơn vị mới")
    )
    extent = models.CharField(_("phạm vi"), max_length=10, choices=Extent.choices, default=Extent.WHOLE)
    effective_date = models.DateField(_("ngày hiệu lực"))
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=300, blank=True)
    note = models.CharField(
        _("ghi chú"),
        max_length=300,
        blank=True,
        help_text=_('Như bảng chuyển đổi ghi, ví dụ "Giữ nguyên", "Đổi loại hình".'),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kế thừa đơn vị")
        verbose_name_plural = _("kế thừa đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="succession_unique_pair"),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")), name="succession_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.get_extent_display()})"


class Capability(models.TextChoices):
    """What a membership allows, on its unit and everything below it."""

    ENTER_PROGRESS = "enter_progress", _("Nhập tiến độ")
    COMPILE_REPORTS = "compile_reports", _("Tổng hợp, gửi báo cáo")
    APPROVE_SIGN = "approve_sign", _("Phê duyệt, ký văn bản")
    MANAGE_PLANS = "manage_plans", _("Quản lý kế hoạch")
    REVIEW_REPORTS = "review_reports", _("Theo dõi, xét duyệt đơn vị cấp dưới")
    ADMINISTER = "administer", _("Quản trị đơn vị")
    # NĐ 30/2020 Điều 14–15: the văn thư checks the form, numbers and registers the document,
    # applies the body's digital signature and issues it.
    ISSUE_DOCUMENTS = "issue_documents", _("Văn thư: cấp số, ký số cơ quan, phát hành")


class CapabilityFields(models.Model):
    """One boolean per capability, shared by a role's defaults and a membership's grant."""

    enter_progress = models.BooleanField(Capability.ENTER_PROGRESS.label, default=False)
    compile_reports = models.BooleanField(Capability.COMPILE_REPORTS.label, default=False)
    approve_sign = models.BooleanField(Capability.APPROVE_SIGN.label, default=False)
    manage_plans = models.BooleanField(Capability.MANAGE_PLANS.label, default=False)
    review_reports = models.BooleanField(Capability.REVIEW_REPORTS.label, default=False)
    administer = models.BooleanField(Capability.ADMINISTER.label, default=False)
    issue_documents = models.BooleanField(Capability.ISSUE_DOCUMENTS.label, default=False)

    class Meta:
        abstract = True

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(c.value for c in Capability if getattr(self, c.value))

    def capability_values(self) -> dict[str, bool]:
        """Every capability field with its value: a role's, to grant them to a membership."""
        return {c.value: getattr(self, c.value) for c in Capability}

    def capability_labels(self) -> list[str]:
        return [str(c.label) for c in Capability if getattr(self, c.value)]


class Role(CapabilityFields):
    """An officer role (chức danh / vị trí). Tasks are assigned to roles, so they survive turnover."""

    code = models.SlugField(_("mã vai trò"), max_length=60, unique=True)
    name = models.CharField(_("tên vai trò"), max_length=150)
    description = models.TextField(
        _("mô tả"), blank=True, max_length=REASON_MAX, validators=bounded_text(REASON_MAX)
    )
    aliases = models.TextField(
        _("tên gọi khác"),
        blank=True,
        max_length=REASON_MAX,
        validators=bounded_text(REASON_MAX),
        help_text=_(
            'Cách viết khác trong kế hoạch, mỗi dòng một cách, ví dụ "Công chức VHXH". Dùng khi nhập từ Excel.'
        ),
    )
    kinds = models.ManyToManyField(
        UnitKind,
        blank=True,
        related_name="roles",
        verbose_name=_("áp dụng cho loại đơn vị"),
        help_text=_("Để trống nếu áp dụng cho mọi loại đơn vị."),
    )
    valid_from = models.DateField(_("áp dụng từ"), null=True, blank=True)
    valid_to = models.DateField(_("áp dụng đến"), null=True, blank=True)
    is_leader = models.BooleanField(_("là lãnh đạo"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("thứ tự"), default=100)

    history = HistoricalRecords(m2m_fields=[kinds])

    class Meta:
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)


class Membership(CapabilityFields):
    """A user works in a unit in a role, with the capabilities granted there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("người dùng"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("đơn vị")
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("vai trò")
    )
    position = models.CharField(
        _("chức vụ"), max_length=150, blank=True, help_text=_('Ghi trên văn bản, ví dụ "Phó Chủ tịch".')
    )
    is_active = models.BooleanField(_("đang làm việc"), default=True)
    since = models.DateField(_("từ ngày"), null=True, blank=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("phân công")
        verbose_name_plural = _("phân công")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} — {self.unit}"

    @staticmethod
    def audit_label(record: Any) -> str:
        return f"{record.user} — {record.role} — {record.unit}"


class UnitImport(models.Model):
    """One run of the unit importer: what file, by whom, and what it changed."""

    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("người nhập"),
    )
    source_name = models.CharField(_("tệp"), max_length=255)
    sha256 = models.CharField(max_length=64)
    file_format = models.CharField(_("định dạng"), max_length=40)
    added = models.PositiveIntegerField(_("thêm mới"), default=0)
    changed = models.PositiveIntegerField(_("thay đổi"), default=0)
    unchanged = models.PositiveIntegerField(_("không đổi"), default=0)

    class Meta:
        verbose_name = _("lần nhập danh mục đơn vị")
        verbose_name_plural = _("lịch sử nhập danh mục đơn vị")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source_name} ({short_datetime(self.created_at)})"
