"""Tried as an attacker would: every finding of the "signed documents nobody can forge" issue,
each refused by the upload checks or judged "modified"/"invalid" by the one strict judgement,
with `verify_pdf` exiting non-zero. Real PDFs, real signatures, the local PKI (OCSP, CRL, TSA).
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from cchc_portal.lib.documents import render_pdf
from documents import pdf_fields, services
from documents.models import DocumentType, OutgoingDocument
from documents.tests.signing_tools import token_sign
from documents.tests.test_views import PAGE, _upload
from documents.verification import verify_pdf

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@pytest.fixture
def pki(world, give_credentials, demo_pki):
    """Commune A's leader and seal registered (server keys, and so signing identities), commune B's
    seal too, and the officer of commune A holding a registered personal certificate."""
    w = world
    w.leader_cred = give_credentials(user=w.leader_a)
    w.seal_cred = give_credentials(unit=w.commune_a)
    give_credentials(unit=w.commune_b)
    give_credentials(user=w.officer_a)
    w.pki = demo_pki
    w.ca = demo_pki.ca.certificate
    w.leader = demo_pki.certificate(w.leader_a.get_full_name(), "Cổng CCHC", person=True)
    w.officer = demo_pki.certificate(w.officer_a.get_full_name(), "Cổng CCHC", person=True)
    w.seal_a = demo_pki.certificate(
        w.commune_a.authority_line or w.commune_a.full_name, w.commune_a.full_name, person=False
    )
    w.seal_b = demo_pki.certificate(
        w.commune_b.authority_line or w.commune_b.full_name, w.commune_b.full_name, person=False
    )
    return w


def _document(w) -> OutgoingDocument:
    document = services.start_document(w.commune_a, DocumentType.PLAN, subject="Kế hoạch", source={"v": 1})
    return services.prepare_for_leader(document, render_pdf(PAGE % {"subject": "Kế hoạch tuyên truyền CCHC"}))


def _prepared(document) -> bytes:
    return document.unsigned_pdf.open("rb").read()


def _issued(w) -> OutgoingDocument:
    """Leader (token), văn thư numbers, seal (token): an issued document."""
    document = _document(w)
    services.accept_leader_signed(
        document,
        token_sign(_prepared(document), pdf_fields.PERSON_FIELD, w.leader, [w.ca]),
        people=[w.leader_a],
    )
    document = services.take_number(document, by=w.clerk_a)
    numbered = document.numbered_pdf.open("rb").read()
    return services.accept_seal_signed(
        document, token_sign(numbered, pdf_fields.ORGANISATION_FIELD, w.seal_a, [w.ca])
    )


def _overlay(pdf: bytes, *, name: str = "Overlay", annotation: bool = False) -> bytes:
    """An incremental update drawing a white box and new text over page 1: an unsigned signature
    field with its own appearance, or a plain annotation."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.writer import init_xobject_dictionary
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        }
    )
    drawing = b"1 1 1 rg 0 0 595 842 re f 0 0 0 rg BT /Helv 24 Tf 100 700 Td (SO 99 - NOI DUNG GIA) Tj ET"
    appearance = writer.add_object(
        init_xobject_dictionary(
            drawing,
            595,
            842,
            generic.DictionaryObject(
                {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/Helv"): font})}
            ),
        )
    )
    if annotation:
        page_ref = writer.find_page_for_modification(0)[0]
        page = page_ref.get_object()
        annot = writer.add_object(
            generic.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Annot"),
                    pdf_name("/Subtype"): pdf_name("/Stamp"),
                    pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in (0, 0, 595, 842)),
                    pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): appearance}),
                }
            )
        )
        if "/Annots" not in page:
            page[pdf_name("/Annots")] = generic.ArrayObject()
        page["/Annots"].append(annot)
        writer.update_container(page)
    else:
        append_signature_field(writer, SigFieldSpec(sig_field_name=name, on_page=0, box=(0, 0, 595, 842)))
        field = next(
            f.get_object() for f in writer.root["/AcroForm"]["/Fields"] if f.get_object()["/T"] == name
        )
        field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): appearance})
        writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _refused_by_verify_pdf(pdf: bytes, tmp_path) -> CommandError:
    path = tmp_path / "attack.pdf"
    path.write_bytes(pdf)
    with pytest.raises(CommandError) as refused:
        call_command("verify_pdf", str(path), stdout=io.StringIO())
    assert refused.value.returncode != 0
    return refused.value


def _attacker_sign(pdf: bytes, field: str, cert, chain, *, when: datetime.datetime) -> bytes:
    """The attacker's own tool writes whatever signing time (/M) it likes: pyHanko directly,
    without the portal's check of the time against the certificate."""
    from asn1crypto import keys
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.signers import PdfSignatureMetadata, SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from documents.signing import _pdf_signer_class, _run

    signer = SimpleSigner(
        signing_cert=cert.certificate,
        signing_key=keys.PrivateKeyInfo.load(cert.key_der),
        cert_registry=SimpleCertificateStore.from_certs(list(chain)),
    )
    pdf_signer = _pdf_signer_class()(
        PdfSignatureMetadata(field_name=field, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES),
        signer=signer,
    )
    pdf_signer.signing_time = when

    async def sign() -> bytes:
        return (await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))).getvalue()

    return _run(sign)


# --- 1. an overlay appended to a signed file --------------------------------------------------------


def test_an_unsigned_field_drawn_over_page_1_after_signing_is_modified(pki, tmp_path, client):
    w = pki
    issued = _issued(w).signed_pdf.open("rb").read()
    forged = _overlay(issued)
    verdict = verify_pdf(forged, services.trust_roots())
    assert verdict.status == "modified", verdict.message
    assert "“Overlay”" in verdict.message and "đã bị sửa đổi sau khi ký" in verdict.message
    _refused_by_verify_pdf(forged, tmp_path)
    page = client.post(reverse("documents:verify"), {"file": _upload(forged)})
    assert "Văn bản đã bị sửa đổi sau khi ký" in page.text and "Chữ ký số hợp lệ" not in page.text


def test_an_annotation_drawn_after_signing_is_modified(pki, tmp_path):
    w = pki
    forged = _overlay(_issued(w).signed_pdf.open("rb").read(), annotation=True)
    verdict = verify_pdf(forged, services.trust_roots())
    # pyHanko cannot explain a stamp over the page: "thay đổi cấu trúc tệp", modified all the same.
    assert verdict.status == "modified" and "đã bị sửa đổi sau khi ký" in verdict.message, verdict.message
    _refused_by_verify_pdf(forged, tmp_path)


def test_a_number_changed_after_the_seal_is_modified(pki, tmp_path):
    """The văn thư's fields are filled before the body signs; after it, nothing is."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = pki
    issued = _issued(w).signed_pdf.open("rb").read()
    writer = IncrementalPdfFileWriter(io.BytesIO(issued))
    field = next(
        f.get_object()
        for f in writer.root["/AcroForm"]["/Fields"]
        if f.get_object()["/T"] == pdf_fields.NUMBER_FIELD
    )
    field[pdf_name("/V")] = generic.TextStringObject("99")
    writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_pdf(out.getvalue(), services.trust_roots())
    assert verdict.status == "modified" and "SoVanBan" in verdict.message, verdict.message
    _refused_by_verify_pdf(out.getvalue(), tmp_path)


# --- 3. fields and appearances added before the signatures -----------------------------------------------


def test_an_overlay_on_the_prepared_pdf_then_signed_is_refused(pki):
    w = pki
    document = _document(w)
    tampered = _overlay(_prepared(document))
    signed = token_sign(tampered, pdf_fields.PERSON_FIELD, w.leader, [w.ca])
    with pytest.raises(
        services.DocumentError, match=r"không phải là văn bản do cổng tạo ra|so với bản do cổng tạo ra"
    ):
        services.accept_leader_signed(document, signed, people=[w.leader_a])
    # Even appended after the portal's PDF (the bytes start with it): the added field is named.
    appended = token_sign(_overlay(_prepared(document)), pdf_fields.PERSON_FIELD, w.leader, [w.ca])
    with pytest.raises(services.DocumentError, match="Overlay"):
        services.accept_leader_signed(document, appended, people=[w.leader_a])
    assert OutgoingDocument.objects.get(pk=document.pk).state == OutgoingDocument.State.AWAITING_LEADER


def test_an_overlay_on_the_numbered_pdf_then_sealed_is_refused(pki):
    w = pki
    document = _document(w)
    services.accept_leader_signed(
        document,
        token_sign(_prepared(document), pdf_fields.PERSON_FIELD, w.leader, [w.ca]),
        people=[w.leader_a],
    )
    document = services.take_number(document, by=w.clerk_a)
    numbered = document.numbered_pdf.open("rb").read()
    sealed = token_sign(_overlay(numbered, annotation=True), pdf_fields.ORGANISATION_FIELD, w.seal_a, [w.ca])
    with pytest.raises(services.DocumentError, match="so với bản do cổng tạo ra"):
        services.accept_seal_signed(document, sealed)
    assert OutgoingDocument.objects.get(pk=document.pk).state == OutgoingDocument.State.AWAITING_SEAL


# --- 2. the wrong person, the wrong unit, one field only --------------------------------------------------


def test_the_leaders_field_signed_by_someone_else_is_refused(pki):
    w = pki
    document = _document(w)
    by_officer = token_sign(_prepared(document), pdf_fields.PERSON_FIELD, w.officer, [w.ca])
    with pytest.raises(services.DocumentError, match="Chữ ký lãnh đạo là của"):
        services.accept_leader_signed(document, by_officer, people=[w.leader_a])
    unregistered = w.pki.certificate("Phạm Văn Minh", "Chứng thư khác", person=True)  # same name, not theirs
    with pytest.raises(services.DocumentError, match="chưa đăng ký"):
        services.accept_leader_signed(
            document,
            token_sign(_prepared(document), pdf_fields.PERSON_FIELD, unregistered, [w.ca]),
            people=[w.leader_a],
        )


def test_another_units_seal_is_refused(pki):
    w = pki
    document = _document(w)
    services.accept_leader_signed(
        document,
        token_sign(_prepared(document), pdf_fields.PERSON_FIELD, w.leader, [w.ca]),
        people=[w.leader_a],
    )
    document = services.take_number(document, by=w.clerk_a)
    numbered = document.numbered_pdf.open("rb").read()
    with pytest.raises(services.DocumentError, match="không phải chứng thư đã đăng ký của Phường Tam Kỳ"):
        services.accept_seal_signed(
            document, token_sign(numbered, pdf_fields.ORGANISATION_FIELD, w.seal_b, [w.ca])
        )
    # A leader's personal certificate in the body's field is refused too.
    with pytest.raises(services.DocumentError, match="Chữ ký cơ quan là của"):
        services.accept_seal_signed(
            document, token_sign(numbered, pdf_fields.ORGANISATION_FIELD, w.leader, [w.ca])
        )
    assert OutgoingDocument.objects.get(pk=document.pk).state == OutgoingDocument.State.AWAITING_SEAL


def test_a_file_signed_only_in_the_organisation_field_is_refused(pki):
    w = pki
    document = _document(w)
    seal_only = token_sign(_prepared(document), pdf_fields.ORGANISATION_FIELD, w.seal_a, [w.ca])
    with pytest.raises(services.DocumentError, match="ChuKyLanhDao"):
        services.accept_leader_signed(document, seal_only, people=[w.leader_a])
    assert OutgoingDocument.objects.get(pk=document.pk).state == OutgoingDocument.State.AWAITING_LEADER


# --- 6. signing times, expired and revoked certificates ------------------------------------------------------


def test_an_expired_certificate_with_a_backdated_signing_time_is_refused(pki, tmp_path):
    w = pki
    expired = w.pki.expired
    services.register_identity(expired.certificate, user=w.leader_a)
    validity = expired.certificate["tbs_certificate"]["validity"]
    inside = validity["not_before"].native + datetime.timedelta(days=10)  # /M written as then
    document = _document(w)
    signed = _attacker_sign(_prepared(document), pdf_fields.PERSON_FIELD, expired, expired.chain, when=inside)
    verdict = verify_pdf(signed, services.trust_roots())
    assert verdict.status == "untrusted" and "hết hạn" in verdict.message, verdict.message
    with pytest.raises(services.DocumentError, match="hết hạn"):
        services.accept_leader_signed(document, signed, people=[w.leader_a])
    _refused_by_verify_pdf(signed, tmp_path)


def test_a_signing_time_in_the_future_is_refused(pki, tmp_path):
    w = pki
    document = _document(w)
    future = NOW + datetime.timedelta(days=200)
    signed = _attacker_sign(_prepared(document), pdf_fields.PERSON_FIELD, w.leader, [w.ca], when=future)
    verdict = verify_pdf(signed, services.trust_roots())
    assert verdict.status == "invalid" and "ở tương lai" in verdict.message, verdict.message
    with pytest.raises(services.DocumentError, match="ở tương lai"):
        services.accept_leader_signed(document, signed, people=[w.leader_a])
    _refused_by_verify_pdf(signed, tmp_path)


def test_a_signing_time_before_the_document_was_prepared_is_refused(pki):
    w = pki
    document = _document(w)
    before = document.created_at - datetime.timedelta(hours=3)
    signed = _attacker_sign(_prepared(document), pdf_fields.PERSON_FIELD, w.leader, [w.ca], when=before)
    with pytest.raises(services.DocumentError, match="trước khi văn bản được chuẩn bị"):
        services.accept_leader_signed(document, signed, people=[w.leader_a])


def test_a_revoked_certificate_is_revoked_through_the_local_ocsp(pki, tmp_path):
    w = pki
    revoked = w.pki.revoked
    services.register_identity(revoked.certificate, user=w.leader_a)
    document = _document(w)
    signed = token_sign(_prepared(document), pdf_fields.PERSON_FIELD, revoked, revoked.chain)
    verdict = verify_pdf(signed, services.trust_roots())
    assert verdict.status == "invalid" and "thu hồi" in verdict.message, verdict.message
    assert verdict.signatures[0].revocation == "revoked"
    with pytest.raises(services.DocumentError, match="thu hồi"):
        services.accept_leader_signed(document, signed, people=[w.leader_a])
    _refused_by_verify_pdf(signed, tmp_path)


def test_a_genuine_document_is_valid_with_good_revocation(pki, tmp_path):
    w = pki
    issued = _issued(w)
    verdict = services.verify_stored(issued)
    assert verdict.ok, verdict.message
    assert [s.revocation for s in verdict.signatures] == ["good", "good"]
    good = tmp_path / "good.pdf"
    good.write_bytes(issued.signed_pdf.open("rb").read())
    call_command("verify_pdf", str(good), stdout=io.StringIO())  # exit 0


def test_revocation_that_cannot_be_checked_is_indeterminate_never_valid(pki, settings, tmp_path):
    w = pki
    issued = _issued(w).signed_pdf.open("rb").read()
    settings.CCHC_REVOCATION_FETCH = False  # no OCSP/CRL reachable, none in the file
    verdict = verify_pdf(issued, services.trust_roots())
    assert verdict.status == "indeterminate", verdict.message
    assert "tra cứu" in verdict.signatures[0].revocation_note
    refused = _refused_by_verify_pdf(issued, tmp_path)
    assert refused.returncode == 2


def test_a_revoked_certificate_is_revoked_through_the_crl_alone(pki, settings, tmp_path):
    """The CA's CRL (fetched from the local PKI) is the only revocation evidence: embedded in the
    file's DSS, live fetching off. The revoked signer is revoked, never valid or indeterminate."""
    import urllib.request

    from asn1crypto import crl as asn1_crl
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    w = pki
    revoked = w.pki.revoked
    [url] = [
        point["distribution_point"].native[0] for point in revoked.certificate.crl_distribution_points_value
    ]
    with urllib.request.urlopen(url, timeout=10) as response:  # the local PKI, 127.0.0.1
        crl = asn1_crl.CertificateList.load(response.read())
    assert revoked.certificate.serial_number in {
        entry["user_certificate"].native for entry in crl["tbs_cert_list"]["revoked_certificates"]
    }
    signed = token_sign(_prepared(_document(w)), pdf_fields.PERSON_FIELD, revoked, revoked.chain)
    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    DocumentSecurityStore.supply_dss_in_writer(
        writer,
        embedded.pkcs7_content.hex().encode("ascii"),
        certs=[revoked.certificate, *revoked.chain],
        crls=[crl],
    )
    out = io.BytesIO()
    writer.write(out)
    settings.CCHC_REVOCATION_FETCH = False
    verdict = verify_pdf(out.getvalue(), services.trust_roots())
    assert verdict.signatures[0].revocation == "revoked", verdict.signatures[0].revocation_note
    assert verdict.status == "invalid" and "thu hồi" in verdict.message, verdict.message
    _refused_by_verify_pdf(out.getvalue(), tmp_path)
