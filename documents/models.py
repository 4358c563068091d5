"""The register of outgoing documents (sổ đăng ký văn bản đi), NĐ 30/2020 Điều 15.

Per unit and calendar year, numbers start at 01 and are never reused. Plans and reports take
their number from here when they are issued; the signing and verification of the documents
themselves come with the documents issue.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from units.models import Unit


class DocumentType(models.TextChoices):
    """Document types this portal issues, with their NĐ 30 abbreviations (PL III)."""

    PLAN = "KH", _("Kế hoạch")
    REPORT = "BC", _("Báo cáo")


class RegisterCounter(models.Model):
    """The last number given by a unit in a year; its row is locked while a number is taken."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="register_counter_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.year}: {self.last_number}"


def _document_path(document: OutgoingDocument, filename: str) -> str:
    # Private storage; the name carries no guessable information.
    return f"documents/{document.year}/{document.unit_id}/{uuid.uuid4().hex}.pdf"


class OutgoingDocument(models.Model):
    class State(models.TextChoices):
        NUMBERED = "numbered", _("Đã cấp số")
        AWAITING_SIGNATURE = "awaiting_signature", _("Chờ ký số")
        SIGNED = "signed", _("Đã ký số")

    class SigningMode(models.TextChoices):
        SERVER = "server", _("Ký trên cổng")
        CLIENT = "client", _("Ký bằng công cụ của người ký (USB token)")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="outgoing_documents", verbose_name=_("đơn vị")
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    number = models.PositiveIntegerField(_("số"))
    document_type = models.CharField(_("loại văn bản"), max_length=10, choices=DocumentType.choices)
    symbol = models.CharField(_("ký hiệu"), max_length=40, help_text=_('Ví dụ "KH-UBND".'))
    issued_on = models.DateField(_("ngày ban hành"))
    subject = models.CharField(_("trích yếu"), max_length=500)
    signer_name = models.CharField(_("người ký"), max_length=100, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("người cấp số"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The electronic document. Once signed it never changes; its SHA-256 identifies it.
    verification_code = models.UUIDField(_("mã xác minh"), default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(_("tình trạng"), max_length=20, choices=State.choices, default=State.NUMBERED)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("thay thế văn bản"),
    )
    unsigned_pdf = models.FileField(_("bản chưa ký"), upload_to=_document_path, blank=True)
    unsigned_sha256 = models.CharField(max_length=64, blank=True)
    signed_pdf = models.FileField(_("bản đã ký số"), upload_to=_document_path, blank=True)
    signed_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    signed_at = models.DateTimeField(_("thời điểm ký"), null=True, blank=True)
    signing_mode = models.CharField(_("cách ký"), max_length=10, choices=SigningMode.choices, blank=True)

    class Meta:
        verbose_name = _("văn bản đi")
        verbose_name_plural = _("sổ văn bản đi")
        ordering = ["unit", "-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "number"], name="outgoing_number_unique")
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """ "05/KH-UBND": numbers below 10 are written with a leading zero (NĐ 30, PL I)."""
        return f"{self.number:02d}/{self.symbol}"


class TrustedRoot(models.Model):
    """A certification authority whose certificates the portal accepts on signed documents."""

    name = models.CharField(_("tên"), max_length=200)
    certificate_pem = models.TextField(_("chứng thư (PEM)"))
    fingerprint = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    is_demo = models.BooleanField(_("minh họa (không có giá trị pháp lý)"), default=False)
    is_active = models.BooleanField(_("đang tin cậy"), default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tổ chức chứng thực được tin cậy")
        verbose_name_plural = _("tổ chức chứng thực được tin cậy")

    def __str__(self) -> str:
        return f"{self.name}{' (DEMO)' if self.is_demo else ''}"


class SigningCredential(models.Model):
    """A certificate and its private key (encrypted at rest) that the server signs with.

    An organisation credential belongs to a unit (the seal); a personal one to a leader.
    The key never leaves the server: it is decrypted in memory only to sign.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("Cá nhân (lãnh đạo ký)")
        ORGANISATION = "organisation", _("Cơ quan (con dấu)")

    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_credentials",
        verbose_name=_("cơ quan"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_credentials",
        verbose_name=_("người ký"),
    )
    subject_name = models.CharField(_("tên trong chứng thư"), max_length=300)
    organisation = models.CharField(_("tổ chức trong chứng thư"), max_length=300, blank=True)
    fingerprint = models.CharField(_("dấu vân tay SHA-256"), max_length=64)
    valid_from = models.DateTimeField(_("hiệu lực từ"))
    valid_to = models.DateTimeField(_("hiệu lực đến"))
    certificate_der = models.BinaryField()
    chain_der = models.JSONField(default=list, help_text="Intermediate and root certificates, hex DER.")
    encrypted_key = models.BinaryField()
    image_png = models.BinaryField(null=True, blank=True)
    is_demo = models.BooleanField(_("minh họa"), default=False)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư ký số")
        verbose_name_plural = _("chứng thư ký số")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="person", user__isnull=False, unit__isnull=True))
                | (Q(kind="organisation", unit__isnull=False, user__isnull=True)),
                name="credential_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(is_active=True, kind="organisation"),
                name="one_active_seal_per_unit",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_active=True, kind="person"),
                name="one_active_credential_per_person",
            ),
        ]

    def __str__(self) -> str:
        owner = self.unit or self.user
        return f"{self.get_kind_display()}: {owner} — {self.subject_name}{' (DEMO)' if self.is_demo else ''}"
