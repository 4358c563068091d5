"""The register of outgoing documents, and issuing documents as signed PDFs.

This module knows documents, not what they are: plans and reports (their own services) take a
number here, render themselves, and sign with these steps — on the server with the leader's and
the unit's stored certificates, or in the official's own signing tool (USB token): the portal
then gives out the unsigned PDF and accepts the signed one only if it is exactly that PDF,
intact and trusted. A signed document never changes; its SHA-256 identifies it on the public
verification page. `documents.sources` lets each owner say what a register entry is.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cchc_portal.lib import nd30
from documents.models import (
    DocumentType,
    OutgoingDocument,
    RegisterCounter,
    SigningCredential,
    TrustedRoot,
)
from units.models import Unit

VIETNAM = datetime.timezone(datetime.timedelta(hours=7), "ICT")


class DocumentError(Exception):
    """A refused action on a document; the message is shown to the user as is."""


def document_symbol(document_type: str, unit: Unit) -> str:
    """Type + issuing body, e.g. "KH-UBND" (NĐ 30: ký hiệu = loại văn bản - cơ quan ban hành)."""
    return nd30.symbol(document_type, nd30.body_symbol(unit))


@transaction.atomic
def register_outgoing(
    unit: Unit,
    document_type: DocumentType | str,
    *,
    issued_on: datetime.date,
    subject: str,
    signer_name: str = "",
    by: Any = None,
    number: int | None = None,
) -> OutgoingDocument:
    """Take the unit's next number for the year and record the document.

    The counter row is created if missing and then locked by the UPDATE, so two documents
    issued at the same moment get distinct numbers. `number` records a document issued before
    the portal was used (its number must be free); later numbers continue after it.
    """
    year = issued_on.year
    RegisterCounter.objects.get_or_create(unit=unit, year=year)
    if number is None:
        RegisterCounter.objects.filter(unit=unit, year=year).update(last_number=F("last_number") + 1)
        number = RegisterCounter.objects.select_for_update().get(unit=unit, year=year).last_number
    else:
        counter = RegisterCounter.objects.select_for_update().get(unit=unit, year=year)
        if OutgoingDocument.objects.filter(unit=unit, year=year, number=number).exists():
            raise ValueError(f"Số {number:02d} năm {year} của {unit} đã được cấp.")
        counter.last_number = max(counter.last_number, number)
        counter.save(update_fields=["last_number"])
    return OutgoingDocument.objects.create(
        unit=unit,
        year=year,
        number=number,
        document_type=document_type,
        symbol=document_symbol(str(document_type), unit),
        issued_on=issued_on,
        subject=subject[:500],
        signer_name=signer_name,
        issued_by=by if getattr(by, "is_authenticated", False) else None,
    )


# --- trust and credentials ----------------------------------------------------------------------


def trust_roots() -> list:
    from asn1crypto import pem, x509

    roots = []
    for root in TrustedRoot.objects.filter(is_active=True):
        _type, _headers, der = pem.unarmor(root.certificate_pem.encode())
        roots.append(x509.Certificate.load(der))
    return roots


def add_trusted_root(data: bytes, *, name: str = "", is_demo: bool = False) -> TrustedRoot:
    """Trust a CA certificate (PEM or DER). Adding the same certificate twice changes nothing."""
    from asn1crypto import pem, x509

    try:
        der = pem.unarmor(data)[2] if pem.detect(data) else data
        certificate = x509.Certificate.load(der)
        certificate.native  # parse now, so a bad file fails here  # noqa: B018
    except Exception as exc:
        raise DocumentError(_("Tệp không phải chứng thư số (X.509, PEM hoặc DER).")) from exc
    fingerprint = hashlib.sha256(certificate.dump()).hexdigest()
    root, _created = TrustedRoot.objects.get_or_create(
        fingerprint=fingerprint,
        defaults={
            "name": name or certificate.subject.human_friendly[:200],
            "certificate_pem": pem.armor("CERTIFICATE", certificate.dump()).decode(),
            "is_demo": is_demo,
        },
    )
    return root


@transaction.atomic
def add_credential(
    *,
    kind: str,
    pkcs12: bytes,
    passphrase: str,
    unit: Unit | None = None,
    user: Any = None,
    image_png: bytes | None = None,
    is_demo: bool = False,
    by: Any = None,
) -> SigningCredential:
    """Store a certificate and its key (encrypted with CCHC_SIGNING_KEY); replaces the previous one."""
    from documents.signing import read_pkcs12, seal_key

    credential = read_pkcs12(pkcs12, passphrase)  # SigningError with a Vietnamese message
    owner = {"unit": unit} if kind == SigningCredential.Kind.ORGANISATION else {"user": user}
    SigningCredential.objects.filter(kind=kind, is_active=True, **owner).update(is_active=False)
    return SigningCredential.objects.create(
        kind=kind,
        subject_name=credential.subject_name,
        organisation=credential.organisation,
        fingerprint=credential.fingerprint,
        valid_from=credential.valid_from,
        valid_to=credential.valid_to,
        certificate_der=credential.certificate.dump(),
        chain_der=[c.dump().hex() for c in credential.chain],
        encrypted_key=seal_key(credential.key_der),
        image_png=image_png,
        is_demo=is_demo,
        uploaded_by=by if getattr(by, "is_authenticated", False) else None,
        **owner,
    )


def active_credential(*, unit: Unit | None = None, user: Any = None) -> SigningCredential | None:
    now = timezone.now()
    qs = SigningCredential.objects.filter(is_active=True, valid_from__lte=now, valid_to__gte=now)
    if unit is not None:
        return qs.filter(kind=SigningCredential.Kind.ORGANISATION, unit=unit).first()
    return qs.filter(kind=SigningCredential.Kind.PERSON, user=user).first()


def signer_for(
    credential: SigningCredential, box, *, field_name: str, display_name: str, reason: str, location: str
):
    from asn1crypto import x509

    from documents.signing import SignerSpec, open_key

    return SignerSpec(
        key_der=open_key(bytes(credential.encrypted_key)),
        certificate=x509.Certificate.load(bytes(credential.certificate_der)),
        chain=[x509.Certificate.load(bytes.fromhex(c)) for c in credential.chain_der],
        display_name=display_name,
        image_png=bytes(credential.image_png) if credential.image_png else None,
        box=box,
        field_name=field_name,
        reason=reason,
        location=location,
    )


# --- issuing: the steps plans and reports build on ----------------------------------------------------


def store_pdf(document: OutgoingDocument, field: str, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    getattr(document, field).save(f"{digest}.pdf", ContentFile(content), save=False)
    setattr(document, f"{field.split('_')[0]}_sha256", digest)
    return digest


def signing_readiness(unit: Unit, user: Any) -> dict[str, Any]:
    """What server-side signing would use, for a page to say what is missing."""
    return {"person": active_credential(user=user), "organisation": active_credential(unit=unit)}


def signing_credentials(by: Any, unit: Unit) -> tuple[SigningCredential, SigningCredential]:
    """The signer's personal credential and the unit's seal, or DocumentError saying which is missing."""
    person = active_credential(user=by)
    if person is None:
        raise DocumentError(
            _(
                "Bạn chưa có chứng thư số còn hiệu lực trên cổng. Hãy ký bằng công cụ của mình (USB token) hoặc nhờ quản trị viên nạp chứng thư."
            )
        )
    seal = active_credential(unit=unit)
    if seal is None:
        raise DocumentError(
            _(
                "%(unit)s chưa có chứng thư số của cơ quan (con dấu) trên cổng; quản trị viên cần nạp trước khi ký."
            )
            % {"unit": unit.full_name}
        )
    return person, seal


def sign_on_server(
    document: OutgoingDocument,
    rendered,
    *,
    person: SigningCredential,
    seal: SigningCredential,
    unit: Unit,
    signer_name: str,
) -> OutgoingDocument:
    """Sign the rendered PDF as the person, then as the unit (NĐ 30), and keep both PDFs."""
    from documents.signing import SigningError, sign_pdf

    signing_time = timezone.now().astimezone(VIETNAM).replace(microsecond=0)
    try:
        signed = sign_pdf(
            rendered.pdf,
            [
                signer_for(
                    person,
                    rendered.boxes["person"],
                    field_name=CLIENT_FIELDS["person"],
                    display_name=signer_name,
                    reason=_("Ký ban hành văn bản"),
                    location=unit.place_name,
                ),
                signer_for(
                    seal,
                    rendered.boxes["organisation"],
                    field_name=CLIENT_FIELDS["organisation"],
                    display_name=unit.authority_line or unit.full_name,
                    reason=_("Đóng dấu cơ quan"),
                    location=unit.place_name,
                ),
            ],
            signing_time=signing_time,
        )
    except SigningError as exc:
        raise DocumentError(str(exc)) from exc
    store_pdf(document, "unsigned_pdf", rendered.pdf)
    store_pdf(document, "signed_pdf", signed)
    document.state = OutgoingDocument.State.SIGNED
    document.signing_mode = OutgoingDocument.SigningMode.SERVER
    document.signed_at = signing_time
    document.signer_name = signer_name
    document.save()
    return document


# The signature fields of every document: the leader's, then the seal's (NĐ 30).
CLIENT_FIELDS = {"person": "ChuKyLanhDao", "organisation": "ChuKyCoQuan"}


def prepare_client_pdf(rendered) -> bytes:
    """The rendered PDF with empty signature fields on the signature areas (the leader's, then the
    seal's), which the official's signing tool fills."""
    from documents.signing import SigningError, prepare_for_signing

    try:
        return prepare_for_signing(
            rendered.pdf,
            {CLIENT_FIELDS[area]: box for area, box in rendered.boxes.items() if area in CLIENT_FIELDS},
        )
    except SigningError as exc:
        raise DocumentError(str(exc)) from exc


def await_client_signature(document: OutgoingDocument, rendered) -> OutgoingDocument:
    """Keep the PDF (with its empty signature fields) that the official signs in their own tool."""
    store_pdf(document, "unsigned_pdf", prepare_client_pdf(rendered))
    document.state = OutgoingDocument.State.AWAITING_SIGNATURE
    document.save()
    return document


@transaction.atomic
def accept_client_signed(document: OutgoingDocument, signed: bytes) -> OutgoingDocument:
    """Keep the signed PDF only if it is the portal's PDF, intact, trusted and unmodified.

    The caller (plans or reports) locks its own row first and then issues or submits what the
    document belongs to, in the same transaction.
    """
    from documents.verification import verify_client_signed

    document = OutgoingDocument.objects.select_for_update().get(pk=document.pk)
    if document.state == OutgoingDocument.State.SIGNED:
        raise DocumentError(_("Văn bản này đã được ký số; bản đã ký không thể thay đổi."))
    if document.state != OutgoingDocument.State.AWAITING_SIGNATURE or not document.unsigned_pdf:
        raise DocumentError(_("Văn bản chưa có bản PDF chờ ký."))
    with document.unsigned_pdf.open("rb") as stored:
        original = stored.read()
    verdict = verify_client_signed(original, signed, trust_roots())
    if not verdict.ok:
        raise DocumentError(verdict.message)
    store_pdf(document, "signed_pdf", signed)
    document.state = OutgoingDocument.State.SIGNED
    document.signing_mode = OutgoingDocument.SigningMode.CLIENT
    document.signed_at = next((s.signing_time for s in verdict.signatures if s.signing_time), timezone.now())
    document.save()
    return document


# --- verification ------------------------------------------------------------------------------------


def verify_upload(pdf: bytes):
    """The verdict on a PDF anyone uploads, and the register entry it is, if any."""
    from documents.verification import verify_pdf

    verdict = verify_pdf(pdf, trust_roots())
    digest = hashlib.sha256(pdf).hexdigest()
    document = (
        OutgoingDocument.objects.select_related("unit__kind").filter(signed_sha256=digest).first()
        if pdf
        else None
    )
    return verdict, document


def verify_stored(document: OutgoingDocument):
    from documents.verification import verify_pdf

    if not document.signed_pdf:
        return None
    with document.signed_pdf.open("rb") as stored:
        return verify_pdf(stored.read(), trust_roots())
