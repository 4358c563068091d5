"""The register of outgoing documents, signing identities, and the steps of issuing a signed PDF.

This module knows documents, not what they are: plans and reports (their own services) start a
document here, render themselves and go through these steps (NĐ 30/2020 Điều 14–15):

1. the leader signs — on the server with their stored key (`sign_as_leader`), or in their own
   tool (USB token): `prepare_for_leader` gives the PDF with empty fields, `accept_leader_signed`
   takes it back only if it is exactly that PDF plus the leader's signature;
2. the văn thư checks the form, takes the number (`take_number`: the register's counter, then the
   number and date filled into their fields) and applies the body's signature — on the server
   (`seal_on_server`) or with the unit's token (`accept_seal_signed`) — and the document is issued.

Every signature must come from a certificate registered to the right person or unit
(`check_signer`); every file is judged by the one strict judgement (documents/verification.py).
A prepared or half-signed document is tied to the data it was rendered from (`source_sha256`)
and void once that data changes (`check_source`, `void`). `documents.sources` lets each owner
say what a register entry is.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cchc_portal.lib import nd30
from documents import pdf_fields
from documents.models import (
    DocumentType,
    OutgoingDocument,
    RegisterCounter,
    SigningCredential,
    SigningIdentity,
    TrustedRoot,
)
from units.models import Unit

VIETNAM = datetime.timezone(datetime.timedelta(hours=7), "ICT")


class DocumentError(Exception):
    """A refused action on a document; the message is shown to the user as is."""


def document_symbol(document_type: str, unit: Unit) -> str:
    """Type + issuing body, e.g. "KH-UBND" (NĐ 30: ký hiệu = loại văn bản - cơ quan ban hành)."""
    return nd30.symbol(document_type, nd30.body_symbol(unit))


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
    # The certificate is this holder's signing identity: what it signs is accepted as theirs.
    register_identity(credential.certificate, by=by, **owner)
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


# --- signing identities ------------------------------------------------------------------------------


def _certificate(data) -> Any:
    from asn1crypto import pem, x509

    if isinstance(data, x509.Certificate):
        return data
    try:
        der = pem.unarmor(data)[2] if pem.detect(data) else data
        certificate = x509.Certificate.load(der)
        certificate.native  # parse now, so a bad file fails here  # noqa: B018
    except Exception as exc:
        raise DocumentError(_("Tệp không phải chứng thư số (X.509, PEM hoặc DER).")) from exc
    return certificate


@transaction.atomic
def register_identity(
    certificate, *, user: Any = None, unit: Unit | None = None, by: Any = None
) -> SigningIdentity:
    """Register a certificate (PEM/DER bytes or asn1crypto) to a person or to a unit. The same
    certificate registered again to the same holder changes nothing; to another holder, refused."""
    from documents.signing import _subject_parts

    if (user is None) == (unit is None):
        raise DocumentError(_("Hãy chọn đúng một người ký hoặc một cơ quan cho chứng thư."))
    certificate = _certificate(certificate)
    fingerprint = certificate.sha256.hex()
    kind = SigningIdentity.Kind.PERSON if user is not None else SigningIdentity.Kind.ORGANISATION
    existing = SigningIdentity.objects.filter(fingerprint=fingerprint).first()
    if existing is not None:
        if existing.user_id != getattr(user, "pk", None) or existing.unit_id != getattr(unit, "pk", None):
            raise DocumentError(
                _("Chứng thư này đã được đăng ký cho %(holder)s.")
                % {"holder": existing.unit or existing.user}
            )
        if not existing.is_active:
            existing.is_active = True
            existing.save(update_fields=["is_active"])
        return existing
    name, organisation = _subject_parts(certificate)
    validity = certificate["tbs_certificate"]["validity"]
    return SigningIdentity.objects.create(
        kind=kind,
        user=user,
        unit=unit,
        fingerprint=fingerprint,
        subject_name=name[:300] or certificate.subject.human_friendly[:300],
        organisation=organisation[:300],
        issuer_name=certificate.issuer.human_friendly[:300],
        serial=format(certificate.serial_number, "X")[:80],
        valid_from=validity["not_before"].native,
        valid_to=validity["not_after"].native,
        certificate_der=certificate.dump(),
        added_by=by if getattr(by, "is_authenticated", False) else None,
    )


def check_signer(report, *, people: Any = None, unit: Unit | None = None) -> None:
    """The signature `report` (documents.verification.SignatureReport) must come from a
    certificate registered to one of `people` (the leader's field) or to `unit` (the body's)."""
    identity = SigningIdentity.objects.filter(fingerprint=report.fingerprint, is_active=True).first()
    holder = (
        (identity.unit or identity.user) if identity is not None else _("chứng thư chưa đăng ký trên cổng")
    )
    who = report.signer_name or report.field_name
    if people is not None:
        allowed = {getattr(p, "pk", p) for p in people}
        if (
            identity is None
            or identity.kind != SigningIdentity.Kind.PERSON
            or identity.user_id not in allowed
        ):
            raise DocumentError(
                _(
                    "Chữ ký lãnh đạo là của “%(who)s” (%(holder)s), không phải chứng thư đã đăng ký của người phê duyệt hoặc một lãnh đạo được ký của đơn vị."
                )
                % {"who": who, "holder": holder}
            )
    if unit is not None and (
        identity is None or identity.kind != SigningIdentity.Kind.ORGANISATION or identity.unit_id != unit.pk
    ):
        raise DocumentError(
            _("Chữ ký cơ quan là của “%(who)s” (%(holder)s), không phải chứng thư đã đăng ký của %(unit)s.")
            % {"who": who, "holder": holder, "unit": unit.full_name}
        )


# --- a document's life ---------------------------------------------------------------------------------


def verification_line(document: OutgoingDocument | None) -> str:
    """What the foot of a document's first page says: its code and where to check it."""
    if document is None:
        return ""
    base = settings.CCHC_PUBLIC_URL.rstrip("/")
    where = f"{base}/xac-minh/" if base else _("mục Xác minh văn bản của Cổng CCHC")
    line = _("Mã xác minh: %(code)s — tra cứu tại %(where)s") % {
        "code": document.printed_code,
        "where": where,
    }
    return "".join(ch for ch in line if ch not in '"\\\n')


def store_pdf(document: OutgoingDocument, field: str, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    getattr(document, field).save(f"{digest}.pdf", ContentFile(content), save=False)
    setattr(document, f"{field.split('_')[0]}_sha256", digest)
    return digest


def _read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def source_fingerprint(source: Any) -> str:
    """SHA-256 of what a document was rendered from (canonical JSON)."""
    return hashlib.sha256(
        json.dumps(source, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


@transaction.atomic
def start_document(
    unit: Unit,
    document_type: DocumentType | str,
    *,
    subject: str,
    source: Any,
    supersedes: OutgoingDocument | None = None,
) -> OutgoingDocument:
    """A new document of the unit, not numbered yet, tied to the data it will be rendered from."""
    return OutgoingDocument.objects.create(
        unit=unit,
        document_type=document_type,
        symbol=document_symbol(str(document_type), unit),
        subject=subject[:500],
        source_data=source,
        source_sha256=source_fingerprint(source),
        supersedes=supersedes,
    )


def void(document: OutgoingDocument, reason: str) -> OutgoingDocument:
    """A prepared or half-signed document that will never be issued: its files can no longer be
    uploaded, numbered or sealed."""
    if document.state in OutgoingDocument.PENDING:
        document.state = OutgoingDocument.State.VOID
        document.void_reason = reason[:300]
        document.save(update_fields=["state", "void_reason"])
    return document


def check_source(document: OutgoingDocument, source: Any) -> None:
    """Refuse (and void the document) when its owner's data changed since it was rendered."""
    if source_fingerprint(source) != document.source_sha256:
        void(document, _("Nội dung đã thay đổi sau khi chuẩn bị văn bản để ký."))
        raise DocumentError(
            _(
                "Nội dung đã thay đổi sau khi văn bản được chuẩn bị để ký; bản đó không dùng được nữa. Hãy hủy bản đang ký và ký lại bản mới."
            )
        )


def _locked(document: OutgoingDocument, *states: str) -> OutgoingDocument:
    document = (
        OutgoingDocument.objects.select_for_update(of=("self",))
        .select_related("unit__kind")
        .get(pk=document.pk)
    )
    if document.state == OutgoingDocument.State.VOID:
        raise DocumentError(
            _("Bản này đã bị hủy (%(reason)s); hãy dùng bản mới.") % {"reason": document.void_reason or "—"}
        )
    if document.state == OutgoingDocument.State.ISSUED:
        raise DocumentError(_("Văn bản này đã được ký số và phát hành; không thể thay đổi."))
    if document.state not in states:
        raise DocumentError(
            _("Văn bản đang ở bước “%(state)s”, chưa làm được việc này.")
            % {"state": document.get_state_display()}
        )
    return document


def signing_readiness(unit: Unit, user: Any) -> dict[str, Any]:
    """What server-side signing would use, for a page to say what is missing."""
    return {"person": active_credential(user=user), "organisation": active_credential(unit=unit)}


def person_credential(by: Any) -> SigningCredential:
    credential = active_credential(user=by)
    if credential is None:
        raise DocumentError(
            _(
                "Bạn chưa có chứng thư số còn hiệu lực trên cổng. Hãy ký bằng công cụ của mình (USB token) hoặc nhờ quản trị viên nạp chứng thư."
            )
        )
    return credential


def seal_credential(unit: Unit) -> SigningCredential:
    credential = active_credential(unit=unit)
    if credential is None:
        raise DocumentError(
            _(
                "%(unit)s chưa có chứng thư số của cơ quan (con dấu) trên cổng; quản trị viên cần nạp, hoặc văn thư ký bằng USB token của cơ quan."
            )
            % {"unit": unit.full_name}
        )
    return credential


def _now() -> datetime.datetime:
    return timezone.now().astimezone(VIETNAM).replace(microsecond=0)


def _sign(
    pdf: bytes,
    credential: SigningCredential,
    box,
    *,
    field_name: str,
    display_name: str,
    reason: str,
    location: str,
    when,
) -> bytes:
    from documents.signing import SigningError, sign_pdf

    try:
        return sign_pdf(
            pdf,
            [
                signer_for(
                    credential,
                    box,
                    field_name=field_name,
                    display_name=display_name,
                    reason=reason,
                    location=location,
                )
            ],
            signing_time=when,
            # PAdES B-T: a time-stamp proves when it was signed (CCHC_TSA_URL, docs/documents.md).
            timestamp_url=settings.CCHC_TSA_URL or None,
            timeout=settings.CCHC_PKI_TIMEOUT,
        )
    except SigningError as exc:
        raise DocumentError(str(exc)) from exc


def _prepared(rendered) -> bytes:
    from documents.signing import SigningError

    try:
        return pdf_fields.prepare(rendered.pdf, rendered.boxes)
    except SigningError as exc:
        raise DocumentError(str(exc)) from exc


@transaction.atomic
def sign_as_leader(
    document: OutgoingDocument, rendered, *, by: Any, signer_name: str, people: Any
) -> OutgoingDocument:
    """The leader signs on the server with their stored key, in the prepared field; the
    document then waits for the văn thư."""
    document = _locked(document, OutgoingDocument.State.AWAITING_LEADER)
    credential = person_credential(by)
    identity = SigningIdentity.objects.filter(fingerprint=credential.fingerprint, is_active=True).first()
    allowed = {getattr(p, "pk", p) for p in people}
    if identity is None or identity.user_id not in allowed:
        raise DocumentError(_("Bạn không phải người phê duyệt hoặc lãnh đạo được ký văn bản này."))
    prepared = _prepared(rendered)
    when = _now()
    signed = _sign(
        prepared,
        credential,
        rendered.boxes["person"],
        field_name=pdf_fields.PERSON_FIELD,
        display_name=signer_name,
        reason=_("Ký ban hành văn bản"),
        location=document.unit.place_name,
        when=when,
    )
    store_pdf(document, "unsigned_pdf", prepared)
    store_pdf(document, "leader_pdf", signed)
    document.state = OutgoingDocument.State.AWAITING_CLERK
    document.signing_mode = OutgoingDocument.SigningMode.SERVER
    document.signer_name = (credential.subject_name or signer_name)[:100]  # as the certificate says it
    document.leader_fingerprint = credential.fingerprint
    document.leader_signed_at = when
    document.save()
    return document


@transaction.atomic
def prepare_for_leader(document: OutgoingDocument, rendered) -> OutgoingDocument:
    """The PDF with empty fields that the leader signs in their own tool (USB token)."""
    document = _locked(document, OutgoingDocument.State.AWAITING_LEADER)
    store_pdf(document, "unsigned_pdf", _prepared(rendered))
    document.save()
    return document


@transaction.atomic
def accept_leader_signed(document: OutgoingDocument, signed: bytes, *, people: Any) -> OutgoingDocument:
    """The leader's token-signed PDF: kept only if it is exactly the prepared PDF plus a valid,
    trusted signature in the leader's field, by a certificate registered to one of `people`."""
    from documents.verification import verify_signed_upload

    document = _locked(document, OutgoingDocument.State.AWAITING_LEADER)
    if not document.unsigned_pdf:
        raise DocumentError(_("Văn bản chưa có bản PDF chờ ký."))
    verdict = verify_signed_upload(
        _read(document.unsigned_pdf),
        signed,
        trust_roots(),
        fields={pdf_fields.PERSON_FIELD},
        not_before=document.created_at,
    )
    if not verdict.ok:
        raise DocumentError(verdict.message)
    leader = verdict.by_field()[pdf_fields.PERSON_FIELD]
    check_signer(leader, people=people)
    store_pdf(document, "leader_pdf", signed)
    document.state = OutgoingDocument.State.AWAITING_CLERK
    document.signing_mode = OutgoingDocument.SigningMode.CLIENT
    document.signer_name = leader.signer_name[:100]
    document.leader_fingerprint = leader.fingerprint
    document.leader_signed_at = leader.timestamp_time or leader.signing_time or timezone.now()
    document.save()
    return document


def _date_text(document: OutgoingDocument, day: datetime.date) -> str:
    return nd30.place_date_line(document.unit.place_name, day)


@transaction.atomic
def take_number(
    document: OutgoingDocument, *, by: Any, issued_on: datetime.date | None = None, number: int | None = None
) -> OutgoingDocument:
    """The văn thư's step: the next number of the unit's register for the year (or `number`,
    entered by hand for a register kept on paper until now: it must be free), written with the
    date into the document's prepared fields (after the leader's signature), and into the
    annex's "Kèm theo" line where the document has one."""
    from documents.signing import SigningError

    document = _locked(document, OutgoingDocument.State.AWAITING_CLERK)
    leader_signed = _read(document.leader_pdf)
    day = issued_on or timezone.localdate()
    _number(document, day, by=by, number=number)
    values = {
        pdf_fields.NUMBER_FIELD: f"{document.number:02d}",
        pdf_fields.DATE_FIELD: _date_text(document, day),
    }
    annex = {
        pdf_fields.ANNEX_NUMBER_FIELD: f"{document.number:02d}",
        pdf_fields.ANNEX_DATE_FIELD: nd30.date_words(day),
    }
    try:
        prepared = pdf_fields.text_fields(leader_signed)
        values |= {name: value for name, value in annex.items() if name in prepared}
        numbered = pdf_fields.fill(leader_signed, values)
    except SigningError as exc:
        raise DocumentError(str(exc)) from exc
    store_pdf(document, "numbered_pdf", numbered)
    document.state = OutgoingDocument.State.AWAITING_SEAL
    document.save()
    return document


def _number(document: OutgoingDocument, day: datetime.date, *, by: Any, number: int | None = None) -> None:
    """Take the unit's next number for the year (or record `number`, a document issued on paper
    before the portal: it must be free). The counter row is locked by the UPDATE, so two
    documents numbered at the same moment get distinct numbers."""
    year = day.year
    RegisterCounter.objects.get_or_create(unit=document.unit, year=year)
    if number is None:
        RegisterCounter.objects.filter(unit=document.unit, year=year).update(last_number=F("last_number") + 1)
        number = RegisterCounter.objects.select_for_update().get(unit=document.unit, year=year).last_number
    else:
        counter = RegisterCounter.objects.select_for_update().get(unit=document.unit, year=year)
        if OutgoingDocument.objects.filter(unit=document.unit, year=year, number=number).exists():
            raise DocumentError(
                _("Số %(number)02d năm %(year)d của %(unit)s đã được cấp.")
                % {"number": number, "year": year, "unit": document.unit}
            )
        counter.last_number = max(counter.last_number, number)
        counter.save(update_fields=["last_number"])
    document.year, document.number, document.issued_on = year, number, day
    document.issued_by = by if getattr(by, "is_authenticated", False) else None


def _with_revocation_data(signed: bytes) -> bytes:
    """PAdES B-LT: with a time-stamping authority configured, the issued file carries the
    revocation data of every signature (its DSS), so it can be checked long after the
    certificates expire and without reaching the CAs."""
    from documents.signing import SigningError, add_revocation_data

    try:
        return add_revocation_data(signed, trust_roots(), timeout=settings.CCHC_PKI_TIMEOUT)
    except SigningError as exc:
        raise DocumentError(str(exc)) from exc


def _finish(document: OutgoingDocument, signed: bytes, verdict) -> OutgoingDocument:
    """Issue the document on the strict judgement of the whole signed file: both signatures, the
    body's by a certificate registered to the unit; with a TSA configured, B-LT."""
    from documents.verification import verify_pdf

    if not verdict.ok:
        raise DocumentError(verdict.message)
    if settings.CCHC_TSA_URL:
        signed = _with_revocation_data(signed)
        verdict = verify_pdf(signed, trust_roots())
        if not verdict.ok:
            raise DocumentError(verdict.message)
    fields = verdict.by_field()
    if pdf_fields.PERSON_FIELD not in fields or pdf_fields.ORGANISATION_FIELD not in fields:
        raise DocumentError(_("Văn bản phải có đủ chữ ký của lãnh đạo và của cơ quan."))
    seal = fields[pdf_fields.ORGANISATION_FIELD]
    check_signer(seal, unit=document.unit)
    store_pdf(document, "signed_pdf", signed)
    document.state = OutgoingDocument.State.ISSUED
    document.seal_name = seal.signer_name[:300]
    document.seal_fingerprint = seal.fingerprint
    document.signed_at = seal.timestamp_time or seal.signing_time or timezone.now()
    document.save()
    return document


@transaction.atomic
def seal_on_server(document: OutgoingDocument, *, by: Any) -> OutgoingDocument:
    """The body's signature with the unit's stored key, on the numbered document; issued."""
    from documents.signing import SigningError
    from documents.verification import verify_pdf

    document = _locked(document, OutgoingDocument.State.AWAITING_SEAL)
    credential = seal_credential(document.unit)
    numbered = _read(document.numbered_pdf)
    try:
        box = pdf_fields.field_box(numbered, pdf_fields.ORGANISATION_FIELD)
    except SigningError as exc:
        raise DocumentError(str(exc)) from exc
    signed = _sign(
        numbered,
        credential,
        box,
        field_name=pdf_fields.ORGANISATION_FIELD,
        display_name=document.unit.authority_line or document.unit.full_name,
        reason=_("Đóng dấu cơ quan"),
        location=document.unit.place_name,
        when=_now(),
    )
    document.signing_mode = document.signing_mode or OutgoingDocument.SigningMode.SERVER
    return _finish(document, signed, verify_pdf(signed, trust_roots()))


@transaction.atomic
def accept_seal_signed(document: OutgoingDocument, signed: bytes) -> OutgoingDocument:
    """The unit's token signature on the numbered document: kept only if it is exactly that PDF
    plus a signature in the body's field by a certificate registered to the unit; issued."""
    from documents.verification import verify_signed_upload

    document = _locked(document, OutgoingDocument.State.AWAITING_SEAL)
    verdict = verify_signed_upload(
        _read(document.numbered_pdf),
        signed,
        trust_roots(),
        fields={pdf_fields.ORGANISATION_FIELD},
        not_before=document.created_at,
    )
    document.signing_mode = OutgoingDocument.SigningMode.CLIENT
    return _finish(document, signed, verdict)


@transaction.atomic
def record_paper_document(
    unit: Unit,
    document_type: DocumentType | str,
    *,
    subject: str,
    issued_on: datetime.date,
    signer_name: str = "",
    number: int | None = None,
    by: Any = None,
) -> OutgoingDocument:
    """A document issued on paper (or before the portal): a register entry with its number and
    no electronic file."""
    document = OutgoingDocument(
        unit=unit,
        document_type=document_type,
        symbol=document_symbol(str(document_type), unit),
        subject=subject[:500],
        signer_name=signer_name[:100],
        state=OutgoingDocument.State.ISSUED,
    )
    _number(document, issued_on, by=by, number=number)
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
