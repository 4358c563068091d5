"""The register of outgoing documents (sổ đăng ký văn bản đi), NĐ 30/2020 Điều 15.

Per unit and calendar year, numbers start at 01 and are never reused. Plans and reports take
their number from here when they are issued; the signing and verification of the documents
themselves come with the documents issue.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cchc_portal.lib.bounds import CERTIFICATE_MAX, bounded_text
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
    return f"documents/{document.created_at.year if document.created_at else 'new'}/{document.unit_id}/{uuid.uuid4().hex}.pdf"


# The code printed on every document (NĐ 30 leaves the foot of page 1 free for it): whoever holds
# the paper or the file can open it at /xac-minh/; the register's number alone gives metadata only.
PUBLIC_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and retyped
PUBLIC_CODE_LENGTH = 12


def new_public_code() -> str:
    return "".join(secrets.choice(PUBLIC_CODE_ALPHABET) for _ in range(PUBLIC_CODE_LENGTH))


def format_public_code(code: str) -> str:
    """ "7K3F-9Q2M-XW4B": in groups of four, as printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_public_code(text: str) -> str:
    """What someone typed from the paper: case, spaces and dashes do not matter."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


class OutgoingDocument(models.Model):
    """An outgoing document of a unit, from the PDF its leader signs to the register's number.

    NĐ 30 Điều 14–15: the leader signs (on the server or with a USB token); then the văn thư
    checks the form, takes the number in the register, applies the body's digital signature and
    issues. The number and date are fields the văn thư fills between the two signatures; until
    then the document has no number. A prepared or half-signed document is void once what it was
    rendered from changes (its plan is returned, its report edited) or it is replaced.
    """

    class State(models.TextChoices):
        AWAITING_LEADER = "awaiting_leader", _("Chờ lãnh đạo ký số")
        AWAITING_CLERK = "awaiting_clerk", _("Lãnh đạo đã ký, chờ văn thư cấp số, phát hành")
        AWAITING_SEAL = "awaiting_seal", _("Đã cấp số, chờ ký số của cơ quan")
        ISSUED = "issued", _("Đã ký số, phát hành")
        VOID = "void", _("Đã hủy")

    PENDING = (State.AWAITING_LEADER, State.AWAITING_CLERK, State.AWAITING_SEAL)

    class SigningMode(models.TextChoices):
        SERVER = "server", _("Ký trên cổng")
        CLIENT = "client", _("Ký bằng công cụ của người ký (USB token)")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="outgoing_documents", verbose_name=_("đơn vị")
    )
    document_type = models.CharField(_("loại văn bản"), max_length=10, choices=DocumentType.choices)
    symbol = models.CharField(_("ký hiệu"), max_length=40, help_text=_('Ví dụ "KH-UBND".'))
    subject = models.CharField(_("trích yếu"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        _("tình trạng"), max_length=20, choices=State.choices, default=State.AWAITING_LEADER
    )
    # The register (sổ đăng ký văn bản đi): taken by the văn thư when issuing, never before.
    year = models.PositiveSmallIntegerField(_("năm"), null=True, blank=True)
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("văn thư cấp số"),
    )

    # Who signs: the leader (as the certificate says it), then the body.
    signer_name = models.CharField(_("người ký"), max_length=100, blank=True)
    leader_fingerprint = models.CharField(_("chứng thư của người ký"), max_length=64, blank=True)
    leader_signed_at = models.DateTimeField(_("lãnh đạo ký lúc"), null=True, blank=True)
    seal_name = models.CharField(_("cơ quan ký"), max_length=300, blank=True)
    seal_fingerprint = models.CharField(_("chứng thư của cơ quan"), max_length=64, blank=True)
    signed_at = models.DateTimeField(_("thời điểm ký số của cơ quan"), null=True, blank=True)
    signing_mode = models.CharField(_("cách ký"), max_length=10, choices=SigningMode.choices, blank=True)

    # What was signed, and what it was rendered from.
    public_code = models.CharField(
        _("mã xác minh"), max_length=PUBLIC_CODE_LENGTH, unique=True, default=new_public_code, editable=False
    )
    source_data = models.JSONField(_("dữ liệu lập văn bản"), default=dict, blank=True)
    source_sha256 = models.CharField(_("SHA-256 dữ liệu lập văn bản"), max_length=64, blank=True)
    unsigned_pdf = models.FileField(_("bản chuẩn bị để ký"), upload_to=_document_path, blank=True)
    unsigned_sha256 = models.CharField(max_length=64, blank=True)
    leader_pdf = models.FileField(_("bản lãnh đạo đã ký"), upload_to=_document_path, blank=True)
    leader_sha256 = models.CharField(max_length=64, blank=True)
    numbered_pdf = models.FileField(
        _("bản đã cấp số, chờ ký số cơ quan"), upload_to=_document_path, blank=True
    )
    numbered_sha256 = models.CharField(max_length=64, blank=True)
    signed_pdf = models.FileField(_("bản đã ký số"), upload_to=_document_path, blank=True)
    signed_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    void_reason = models.CharField(_("lý do hủy"), max_length=300, blank=True)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("thay thế văn bản"),
    )

    class Meta:
        verbose_name = _("văn bản đi")
        verbose_name_plural = _("sổ văn bản đi")
        ordering = ["unit", "-year", "-number", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "number"],
                condition=Q(number__isnull=False),
                name="outgoing_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(year__isnull=False, issued_on__isnull=False),
                name="outgoing_number_has_year_and_date",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """ "05/KH-UBND": numbers below 10 are written with a leading zero (NĐ 30, PL I); a
        document the văn thư has not numbered yet is "…/KH-UBND"."""
        if self.number is None:
            return f"…/{self.symbol}"
        return f"{self.number:02d}/{self.symbol}"

    @property
    def printed_code(self) -> str:
        return format_public_code(self.public_code)

    @property
    def is_pending(self) -> bool:
        return self.state in self.PENDING


class TrustedRoot(models.Model):
    """A certification authority whose certificates the portal accepts on signed documents."""

    name = models.CharField(_("tên"), max_length=200)
    certificate_pem = models.TextField(
        _("chứng thư (PEM)"), max_length=CERTIFICATE_MAX, validators=bounded_text(CERTIFICATE_MAX)
    )
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


class SigningIdentity(models.Model):
    """A certificate registered to a person or to a unit by an administrator.

    A signature is accepted in the leader's field only with a certificate registered to the
    leader who may sign, and in the body's field only with one registered to the issuing unit
    (documents.services.check_signers). The certificate alone (no key): a USB token or a remote
    signing service holds the key. Server credentials register their certificate here too.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("Cá nhân (lãnh đạo ký)")
        ORGANISATION = "organisation", _("Cơ quan (con dấu)")

    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_identities",
        verbose_name=_("người ký"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_identities",
        verbose_name=_("cơ quan"),
    )
    fingerprint = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    subject_name = models.CharField(_("tên trong chứng thư"), max_length=300)
    organisation = models.CharField(_("tổ chức trong chứng thư"), max_length=300, blank=True)
    issuer_name = models.CharField(_("tổ chức cấp"), max_length=300, blank=True)
    serial = models.CharField(_("số hiệu chứng thư"), max_length=80, blank=True)
    valid_from = models.DateTimeField(_("hiệu lực từ"))
    valid_to = models.DateTimeField(_("hiệu lực đến"))
    certificate_der = models.BinaryField()
    is_active = models.BooleanField(_("đang dùng"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("danh tính ký số")
        verbose_name_plural = _("danh tính ký số")
        ordering = ["kind", "subject_name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="person", user__isnull=False, unit__isnull=True))
                | (Q(kind="organisation", unit__isnull=False, user__isnull=True)),
                name="identity_holder_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        holder = self.unit or self.user
        return f"{self.subject_name} → {holder}"
