"""The catalogue of administrative procedures (thủ tục hành chính, TTHC), versioned by import
batch, and each unit's public listing of the procedures it handles (domain.md §4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cchc_portal.lib.bounds import LONG_TEXT_MAX, bounded_text
from cchc_portal.lib.formatting import short_datetime
from units.models import Unit


class Level(models.TextChoices):
    """The level that carries out a procedure (Cấp thực hiện)."""

    CENTRAL = "trung_uong", _("Cấp trung ương")
    PROVINCE = "tinh", _("Cấp tỉnh")
    DISTRICT = "huyen", _("Cấp huyện")
    COMMUNE = "xa", _("Cấp xã")
    OTHER = "khac", _("Cơ quan khác")


class OnlineLevel(models.TextChoices):
    """Dịch vụ công trực tuyến (NĐ 42/2022): toàn trình, một phần, or none."""

    FULL = "toan_trinh", _("Toàn trình")
    PARTIAL = "mot_phan", _("Một phần")
    NONE = "", _("Không")


class ProcedureStatus(models.TextChoices):
    IN_FORCE = "in_force", _("Đang có hiệu lực")
    AMENDED = "amended", _("Được sửa đổi, bổ sung")
    REPLACED = "replaced", _("Được thay thế")
    REPEALED = "repealed", _("Bị bãi bỏ")


ACTIVE_STATUSES = (ProcedureStatus.IN_FORCE, ProcedureStatus.AMENDED)


class ImportBatch(models.Model):
    """One import: which file, by whom, and what it added, changed and repealed."""

    source_name = models.CharField(_("tệp"), max_length=255)
    sha256 = models.CharField(max_length=64)
    shape = models.CharField(_("dạng tệp"), max_length=40, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    repealed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # The source this import speaks for: the issuing body the file declares, or the one the user
    # named; a full import repeals only within it. "" for an import that named none.
    scope = models.CharField(_("phạm vi"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("lần nhập danh mục TTHC")
        verbose_name_plural = _("các lần nhập danh mục TTHC")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source_name} ({short_datetime(self.imported_at)})"


class Procedure(models.Model):
    code = models.CharField(_("mã TTHC"), max_length=40, unique=True)
    name = models.TextField(
        _("tên thủ tục"), max_length=LONG_TEXT_MAX, validators=bounded_text(LONG_TEXT_MAX)
    )
    # The name a provincial appendix or another source gives it, when that source does not own
    # the procedure (the national name stays in `name`).
    local_name = models.TextField(
        _("tên trong danh mục địa phương"),
        blank=True,
        max_length=LONG_TEXT_MAX,
        validators=bounded_text(LONG_TEXT_MAX),
    )
    # The source that owns the procedure's fields: the scope of the import that brought it, or
    # of the issuer's own import since. Other sources only fill what is empty.
    source = models.CharField(_("nguồn"), max_length=255, blank=True, db_index=True)
    field = models.CharField(_("lĩnh vực"), max_length=255, blank=True, db_index=True)
    ministry = models.CharField(_("cơ quan ban hành"), max_length=255, blank=True, db_index=True)
    agencies = models.JSONField(_("cơ quan thực hiện"), default=list, blank=True)
    levels = models.JSONField(_("cấp thực hiện"), default=list, blank=True)
    online_level = models.CharField(
        _("dịch vụ công trực tuyến"), max_length=20, choices=OnlineLevel.choices, blank=True, default=""
    )
    decisions = models.CharField(_("quyết định công bố"), max_length=500, blank=True)
    status = models.CharField(
        _("tình trạng"), max_length=20, choices=ProcedureStatus.choices, default=ProcedureStatus.IN_FORCE
    )
    effective_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    effective_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)
    # Lower case, without diacritics ("dang ky khai sinh"), code included: what search looks in.
    search_text = models.TextField(editable=False, default="")
    created_batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "field"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def level_labels(self) -> list[str]:
        """The levels' names; "Chưa xác định" when neither the file nor the catalogue says."""
        labels = dict(Level.choices)
        return [str(labels.get(level, level)) for level in self.levels] or [str(UNDETERMINED_LEVEL)]


UNDETERMINED_LEVEL = _("Chưa xác định")


class SourceListing(models.Model):
    """A procedure the latest import of a source listed. A full import of another source never
    repeals it: the Bộ Công an's export holds a procedure issued by Bộ Xây dựng, which the Bộ Xây
    dựng's own export lacks."""

    scope = models.CharField(_("nguồn"), max_length=255)
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="listings")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "procedure"], name="one_listing_per_source")]

    def __str__(self) -> str:
        return f"{self.scope}: {self.procedure_id}"


class ProcedureChange(models.Model):
    """What one import did to one procedure; a procedure's history is its changes."""

    class Kind(models.TextChoices):
        ADDED = "added", _("Thêm mới")
        CHANGED = "changed", _("Sửa đổi")
        REPEALED = "repealed", _("Bãi bỏ (không còn trong danh sách)")
        RESTORED = "restored", _("Có lại trong danh sách")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes")
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # {field: [before, after]}
    diff = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["batch_id", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.procedure_id}"


class UnitProcedure(models.Model):
    """A unit's handling and public listing of one procedure. Without a row, a unit handles every
    active procedure of its level, not yet listed."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="procedures")
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="unit_rows")
    handles = models.BooleanField(_("đơn vị thực hiện"), default=True)
    listed_at_centre = models.DateField(_("niêm yết tại Trung tâm/Bộ phận một cửa từ"), null=True, blank=True)
    listed_on_website = models.DateField(
        _("công khai trên trang thông tin điện tử từ"), null=True, blank=True
    )
    listed_by_qr = models.DateField(_("có mã QR tới Cổng DVC quốc gia từ"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "procedure"], name="one_row_per_unit_procedure")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.procedure_id}"

    @property
    def is_listed(self) -> bool:
        return bool(self.listed_at_centre or self.listed_on_website or self.listed_by_qr)
