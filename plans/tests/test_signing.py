"""Issuing a plan as a signed document, in two acts (NĐ 30 Điều 14): the leader signs (on the
server, or with a USB token), then the văn thư numbers it, applies the body's signature (server
key or the unit's token) and issues it. Real WeasyPrint PDFs, real pyHanko, the local PKI."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cchc_portal.lib import nd30
from documents import pdf_fields
from documents import services as documents
from documents.models import OutgoingDocument
from documents.tests.signing_tools import token_sign
from documents.tests.test_pki import nss_db  # noqa: F401  (a fixture: NSS trusting the DEMO root)
from documents.tests.test_views import _flip, _upload
from plans import services as plans
from plans.models import Plan, Status


@pytest.fixture
def approved(plans_world, give_credentials):
    """Commune A's plan, approved by its leader; the leader and the unit have server keys."""
    w = plans_world
    give_credentials(user=w.leader_a)
    give_credentials(unit=w.commune_a)
    plans.submit(w.plan_a, by=w.leader_a)
    plans.approve(w.plan_a, by=w.leader_a)
    return w


@pytest.fixture
def signed_plan(approved):
    """Signed by the leader, then numbered, sealed and issued by the văn thư, on the server."""
    w = approved
    plans.sign_as_leader(w.plan_a, by=w.leader_a)
    plan = plans.issue_by_clerk(w.plan_a, by=w.clerk_a, issued_on=datetime.date(2026, 2, 3))
    w.document = plan.document
    w.signed_pdf = w.document.signed_pdf.open("rb").read()
    return w


def _fresh(w) -> OutgoingDocument:
    return OutgoingDocument.objects.get(pk=Plan.objects.get(pk=w.plan_a.pk).document_id)


# --- on the server ----------------------------------------------------------------------------------


def test_the_leader_signs_without_a_number_and_the_document_waits_for_the_van_thu(approved):
    w = approved
    plans.sign_as_leader(w.plan_a, by=w.leader_a)
    document = _fresh(w)
    assert document.state == OutgoingDocument.State.AWAITING_CLERK
    assert document.number is None and document.year is None  # numbers are taken at issue
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.APPROVED
    leader_pdf = document.leader_pdf.open("rb").read()
    assert pdf_fields.text_fields(leader_pdf) == {"SoVanBan": None, "NgayBanHanh": None}
    assert not OutgoingDocument.objects.filter(unit=w.commune_a, number__isnull=False).exists()


def test_the_van_thu_numbers_seals_and_issues(signed_plan):
    w = signed_plan
    document = OutgoingDocument.objects.get(pk=w.document.pk)
    assert document.state == OutgoingDocument.State.ISSUED and document.reference == "01/KH-UBND"
    assert document.issued_on == datetime.date(2026, 2, 3) and document.issued_by == w.clerk_a
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.ISSUED
    assert pdf_fields.text_fields(w.signed_pdf) == {
        "SoVanBan": "01",
        "NgayBanHanh": nd30.place_date_line(w.commune_a.place_name, datetime.date(2026, 2, 3)),
    }
    verdict = documents.verify_stored(document)
    assert verdict.ok, verdict.message
    seal = w.commune_a.authority_line or w.commune_a.full_name
    assert [s.signer_name for s in verdict.signatures] == ["Phạm Văn Minh", seal]
    assert [s.revocation for s in verdict.signatures] == ["good", "good"]
    assert document.leader_fingerprint == verdict.signatures[0].fingerprint
    assert document.seal_fingerprint == verdict.signatures[1].fingerprint
    assert document.source_sha256 == documents.source_fingerprint(plans.plan_source(w.plan_a))


def test_the_verification_code_is_printed_on_the_document(signed_plan):
    import subprocess
    import tempfile

    w = signed_plan
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(w.signed_pdf)
        handle.flush()
        text = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", handle.name, "-"], capture_output=True, text=True
        ).stdout
    assert w.document.printed_code in text and "Mã xác minh" in text


def test_a_failed_signature_takes_no_number(approved, settings):
    from cryptography.fernet import Fernet

    w = approved
    settings.CCHC_SIGNING_KEY = Fernet.generate_key().decode()  # the stored keys no longer open
    with pytest.raises(plans.PlanError, match="CCHC_SIGNING_KEY"):
        plans.sign_as_leader(w.plan_a, by=w.leader_a)
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.APPROVED
    assert not OutgoingDocument.objects.filter(unit=w.commune_a).exists()


def test_only_a_leader_of_the_unit_signs_and_only_the_van_thu_issues(approved, as_persona):
    w = approved
    transition = reverse("plans:transition", args=[w.plan_a.pk])
    assert as_persona("officer_a").post(transition, {"action": "sign"}).status_code == 403
    as_persona("leader_a").post(transition, {"action": "sign"})
    assert _fresh(w).state == OutgoingDocument.State.AWAITING_CLERK
    # The leader may not number and seal (the văn thư's act); the văn thư may.
    assert as_persona("leader_a").post(transition, {"action": "issue_clerk"}).status_code == 403
    client = as_persona("officer_a")
    client.force_login(w.clerk_a)
    page = client.get(reverse("plans:detail", args=[w.plan_a.pk]))
    assert "Cấp số, ký số của cơ quan và phát hành" in page.text
    client.post(transition, {"action": "issue_clerk"})
    assert _fresh(w).state == OutgoingDocument.State.ISSUED


def test_the_register_links_the_document_to_its_plan(signed_plan, as_persona):
    w = signed_plan
    page = as_persona("leader_a").get(reverse("documents:register", args=[w.commune_a.pk]) + "?year=2026")
    assert f'href="{reverse("plans:detail", args=[w.plan_a.pk])}"' in page.text


# --- with USB tokens ----------------------------------------------------------------------------------


@pytest.fixture
def awaiting(approved, as_persona, demo_pki):
    """The approved plan's PDF prepared for the leader's token (no number yet)."""
    w = approved
    client = as_persona("leader_a")
    client.post(reverse("plans:transition", args=[w.plan_a.pk]), {"action": "prepare_client"})
    w.document = _fresh(w)
    w.client = client
    w.original = b"".join(client.get(reverse("documents:working", args=[w.document.pk])).streaming_content)
    w.token = demo_pki.certificate("Phạm Văn Minh", "Cổng CCHC", person=True)
    w.seal_token = demo_pki.certificate(
        w.commune_a.authority_line or w.commune_a.full_name, w.commune_a.full_name, person=False
    )
    w.ca = demo_pki.ca
    return w


def _upload_to(w, content: bytes, client=None):
    return (client or w.client).post(
        reverse("plans:upload_signed", args=[w.plan_a.pk]), {"file": _upload(content)}, follow=True
    )


def test_a_leader_token_then_a_unit_token_issue_the_plan(awaiting, as_persona):
    w = awaiting
    assert w.document.state == OutgoingDocument.State.AWAITING_LEADER and w.document.number is None
    done = _upload_to(w, token_sign(w.original, pdf_fields.PERSON_FIELD, w.token, [w.ca.certificate]))
    assert "Đã nhận bản lãnh đạo đã ký số" in done.text
    assert _fresh(w).state == OutgoingDocument.State.AWAITING_CLERK
    clerk = as_persona("officer_a")
    clerk.force_login(w.clerk_a)
    clerk.post(reverse("plans:transition", args=[w.plan_a.pk]), {"action": "number_token"})
    document = _fresh(w)
    assert document.state == OutgoingDocument.State.AWAITING_SEAL and document.reference == "01/KH-UBND"
    numbered = b"".join(clerk.get(reverse("documents:working", args=[document.pk])).streaming_content)
    sealed = token_sign(numbered, pdf_fields.ORGANISATION_FIELD, w.seal_token, [w.ca.certificate])
    issued = _upload_to(w, sealed, clerk)
    assert "ban hành kế hoạch số 01/KH-UBND" in issued.text
    document = _fresh(w)
    assert document.state == OutgoingDocument.State.ISSUED and document.signing_mode == "client"
    assert document.signed_pdf.open("rb").read() == sealed
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.ISSUED


def test_wrong_leader_uploads_are_refused_with_the_reason(awaiting, demo_pki):
    w = awaiting
    stranger = demo_pki.stranger
    other_pdf = w.original.replace(b"WeasyPrint", b"WeasyPrinT", 1)
    cases = {
        "không có chữ ký": (w.original, "chưa có chữ ký số"),
        "CA lạ": (
            token_sign(w.original, pdf_fields.PERSON_FIELD, stranger, stranger.chain),
            "không thuộc tổ chức chứng thực được tin cậy",
        ),
        "sửa sau khi ký": (
            _flip(token_sign(w.original, pdf_fields.PERSON_FIELD, w.token, [w.ca.certificate])),
            "Chưa nhận bản đã ký",
        ),
        "văn bản khác": (
            token_sign(other_pdf, pdf_fields.PERSON_FIELD, w.token, [w.ca.certificate]),
            "không phải là văn bản do cổng tạo ra",
        ),
        "rác": (b"rubbish", "Chưa nhận bản đã ký"),
    }
    for label, (content, message) in cases.items():
        response = _upload_to(w, content)
        assert response.status_code == 200, label
        assert message in response.text, label
        assert _fresh(w).state == OutgoingDocument.State.AWAITING_LEADER, label
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.APPROVED


def test_an_oversized_signed_upload_is_refused(awaiting, settings):
    w = awaiting
    settings.SIGNED_PDF_MAX_BYTES = 1000
    signed = token_sign(w.original, pdf_fields.PERSON_FIELD, w.token, [w.ca.certificate])
    assert "Tệp quá lớn" in _upload_to(w, signed).text
    assert _fresh(w).state == OutgoingDocument.State.AWAITING_LEADER


def test_an_upload_while_the_plan_is_a_draft_is_a_clear_refusal(plans_world, as_persona):
    w = plans_world
    response = as_persona("leader_a").post(
        reverse("plans:upload_signed", args=[w.plan_a.pk]), {"file": _upload(b"%PDF-1.7")}, follow=True
    )
    assert response.status_code == 200 and "Chưa nhận bản đã ký" in response.text


# --- a genuine issued document, read as a văn thư would ----------------------------------------------


def test_a_genuine_issued_plan_is_time_stamped_with_revocation_data_and_pdfsig_trusts_it(
    approved,
    settings,
    demo_pki,
    nss_db,  # noqa: F811
):
    """With the DEMO TSA configured: both acts time-stamped (B-T), the issued file carries the
    revocation data (B-LT); poppler's pdfsig (NSS, checking OCSP itself) finds both signatures
    valid and trusted; the portal's judgement shows the TSA's time and "not revoked"."""
    from documents.tests.test_signing import _tool

    w = approved
    settings.CCHC_TSA_URL = demo_pki.tsa_url
    plans.sign_as_leader(w.plan_a, by=w.leader_a)
    plan = plans.issue_by_clerk(w.plan_a, by=w.clerk_a)
    document = OutgoingDocument.objects.get(pk=plan.document_id)
    signed = document.signed_pdf.open("rb").read()
    out = _tool("pdfsig", "-nssdir", str(nss_db), pdf=signed).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out
    assert "Signer Certificate Common Name: Phạm Văn Minh" in out
    assert b"/DSS" in signed
    verdict = documents.verify_stored(document)
    assert verdict.ok, verdict.message
    for signature in verdict.signatures:
        assert signature.revocation == "good"
        assert signature.timestamp_time is not None
        assert signature.timestamp_authority == "Máy chủ cấp dấu thời gian minh họa (DEMO)"


def test_a_prepared_pdf_is_void_once_the_plan_is_returned_and_edited(awaiting):
    """Finding 4: the file prepared and signed before the return, uploaded after the edited plan
    is approved again, is refused; so is the same file against the new preparation."""
    w = awaiting
    stale = token_sign(w.original, pdf_fields.PERSON_FIELD, w.token, [w.ca.certificate])
    plans.return_to_draft(w.plan_a, reason="Thêm nhiệm vụ", by=w.leader_a)
    assert OutgoingDocument.objects.get(pk=w.document.pk).state == OutgoingDocument.State.VOID
    plans.add_task(w.plan_a_group, title="Nhiệm vụ thêm sau khi trả lại")
    plans.submit(w.plan_a, by=w.leader_a)
    plans.approve(w.plan_a, by=w.leader_a)
    refused = _upload_to(w, stale)
    assert "Chưa nhận bản đã ký" in refused.text
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.APPROVED
    w.client.post(reverse("plans:transition", args=[w.plan_a.pk]), {"action": "prepare_client"})
    fresh = _fresh(w)
    assert fresh.pk != w.document.pk and fresh.state == OutgoingDocument.State.AWAITING_LEADER
    assert "không phải là văn bản do cổng tạo ra" in _upload_to(w, stale).text
    assert _fresh(w).state == OutgoingDocument.State.AWAITING_LEADER
    with pytest.raises(documents.DocumentError, match="đã bị hủy"):
        documents.accept_leader_signed(
            OutgoingDocument.objects.get(pk=w.document.pk), stale, people={w.leader_a.pk}
        )
