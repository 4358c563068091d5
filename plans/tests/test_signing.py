"""Issuing a plan as a signed document: on the server (leader, then seal) or in the leader's own
tool (USB token), uploaded on the plan's page and checked; real WeasyPrint PDFs, real pyHanko."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse

from documents import services as documents
from documents.models import OutgoingDocument
from documents.signing import SignerSpec, sign_pdf
from documents.tests.test_views import _flip, _upload
from plans import services as plans
from plans.models import Plan, Status


@pytest.fixture
def signed_plan(plans_world, give_credentials):
    """Commune A's plan, issued and signed on the server by its leader and its seal."""
    w = plans_world
    give_credentials(user=w.leader_a)
    give_credentials(unit=w.commune_a)
    plans.submit(w.plan_a, by=w.leader_a)
    plans.approve(w.plan_a, by=w.leader_a)
    plan = plans.issue_signed(w.plan_a, by=w.leader_a, issued_on=datetime.date(2026, 2, 3))
    w.document = plan.document
    w.signed_pdf = w.document.signed_pdf.open("rb").read()
    return w


# --- issuing ----------------------------------------------------------------------------------------


def test_issuing_signs_as_the_leader_then_the_seal(signed_plan):
    w = signed_plan
    document = OutgoingDocument.objects.get(pk=w.document.pk)
    assert document.state == OutgoingDocument.State.SIGNED
    assert document.reference == "01/KH-UBND" and document.signing_mode == "server"
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.ISSUED
    verdict = documents.verify_stored(document)
    assert verdict.ok, verdict.message
    seal = w.commune_a.authority_line or w.commune_a.full_name
    assert [s.signer_name for s in verdict.signatures] == ["Phạm Văn Minh", seal]


def test_a_failed_signature_takes_no_number(plans_world, give_credentials, settings):
    w = plans_world
    give_credentials(user=w.leader_a)
    give_credentials(unit=w.commune_a)
    plans.submit(w.plan_a, by=w.leader_a)
    plans.approve(w.plan_a, by=w.leader_a)
    from cryptography.fernet import Fernet

    settings.CCHC_SIGNING_KEY = Fernet.generate_key().decode()  # the stored keys no longer open
    with pytest.raises(plans.PlanError, match="CCHC_SIGNING_KEY"):
        plans.issue_signed(w.plan_a, by=w.leader_a)
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.APPROVED
    assert not OutgoingDocument.objects.filter(unit=w.commune_a).exists()


def test_the_register_links_the_document_to_its_plan(signed_plan, as_persona):
    w = signed_plan
    page = as_persona("leader_a").get(reverse("documents:register", args=[w.commune_a.pk]) + "?year=2026")
    assert f'href="{reverse("plans:detail", args=[w.plan_a.pk])}"' in page.text


# --- client-side signing (USB token) ---------------------------------------------------------------


@pytest.fixture
def awaiting(plans_world, as_persona, give_credentials, demo_pki):
    """Commune A's approved plan, numbered for signing in the leader's own tool."""
    w = plans_world
    give_credentials(user=w.leader_a)  # the portal's trust root is the demo CA
    plans.submit(w.plan_a, by=w.leader_a)
    plans.approve(w.plan_a, by=w.leader_a)
    client = as_persona("leader_a")
    client.post(reverse("plans:transition", args=[w.plan_a.pk]), {"action": "prepare_client"})
    w.document = OutgoingDocument.objects.get(unit=w.commune_a)
    w.client = client
    response = client.get(reverse("documents:unsigned", args=[w.document.pk]))
    w.original = b"".join(response.streaming_content)
    w.token = demo_pki.certificate("Phạm Văn Minh", "Cổng CCHC", person=True)
    w.ca = demo_pki.ca
    return w


def _token_sign(w, pdf: bytes, *, cert=None, chain=None) -> bytes:
    """What the leader's signing tool does: fill the prepared signature field."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    from cchc_portal.lib.documents import Box

    cert = cert or w.token
    [(name, _value, _ref)] = [
        f for f in enumerate_sig_fields(PdfFileReader(io.BytesIO(pdf))) if f[0] == "ChuKyLanhDao"
    ]
    return sign_pdf(
        pdf,
        [
            SignerSpec(
                key_der=cert.key_der,
                certificate=cert.certificate,
                chain=chain if chain is not None else [w.ca.certificate],
                display_name="Phạm Văn Minh",
                image_png=None,
                box=Box(0, 0, 0, 1, 1),  # unused: the field exists
                field_name=name,
            )
        ],
        signing_time=datetime.datetime.now(datetime.UTC),
    )


def test_the_plan_waits_for_its_signature_with_a_number(awaiting):
    w = awaiting
    assert w.document.state == OutgoingDocument.State.AWAITING_SIGNATURE
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.APPROVED
    assert w.original.startswith(b"%PDF-") and w.document.reference == "01/KH-UBND"
    page = w.client.get(reverse("plans:detail", args=[w.plan_a.pk]))
    assert "tai-len-ban-da-ky" in page.text


def test_a_token_signed_pdf_is_accepted_and_issues_the_plan(awaiting):
    w = awaiting
    signed = _token_sign(w, w.original)
    response = w.client.post(
        reverse("plans:upload_signed", args=[w.plan_a.pk]), {"file": _upload(signed)}, follow=True
    )
    assert "Đã nhận bản đã ký số" in response.text
    document = OutgoingDocument.objects.get(pk=w.document.pk)
    assert document.state == OutgoingDocument.State.SIGNED and document.signing_mode == "client"
    assert document.signed_pdf.open("rb").read() == signed
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.ISSUED
    again = w.client.post(
        reverse("plans:upload_signed", args=[w.plan_a.pk]), {"file": _upload(signed)}, follow=True
    )
    assert "không thể thay đổi" in again.text


def test_wrong_uploads_are_refused_with_the_reason(awaiting, demo_pki):
    from demo.pki import issue_demo_certificate, make_demo_ca

    w = awaiting
    stranger_ca = make_demo_ca("CA LẠ")
    stranger = issue_demo_certificate(stranger_ca, common_name="Người lạ", organisation="X", person=True)
    # The same layout with one byte of the document information changed: another file.
    assert b"WeasyPrint" in w.original
    other_pdf = w.original.replace(b"WeasyPrint", b"WeasyPrinT", 1)
    cases = {
        "không có chữ ký": (w.original, "chưa có chữ ký số"),
        "CA lạ": (
            _token_sign(w, w.original, cert=stranger, chain=[stranger_ca.certificate]),
            "không thuộc tổ chức chứng thực được tin cậy",
        ),
        "sửa sau khi ký": (_flip(_token_sign(w, w.original)), "Chưa nhận bản đã ký"),
        "văn bản khác": (_token_sign(w, other_pdf), "không phải là văn bản do cổng tạo ra"),
        "rác": (b"rubbish", "Chưa nhận bản đã ký"),
    }
    for label, (content, message) in cases.items():
        response = w.client.post(
            reverse("plans:upload_signed", args=[w.plan_a.pk]), {"file": _upload(content)}, follow=True
        )
        assert response.status_code == 200, label
        assert message in response.text, label
        assert (
            OutgoingDocument.objects.get(pk=w.document.pk).state == OutgoingDocument.State.AWAITING_SIGNATURE
        )
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.APPROVED


def test_an_oversized_signed_upload_is_refused(awaiting, settings):
    w = awaiting
    settings.SIGNED_PDF_MAX_BYTES = 1000
    response = w.client.post(
        reverse("plans:upload_signed", args=[w.plan_a.pk]),
        {"file": _upload(_token_sign(w, w.original))},
        follow=True,
    )
    assert "Tệp quá lớn" in response.text
    assert OutgoingDocument.objects.get(pk=w.document.pk).state == OutgoingDocument.State.AWAITING_SIGNATURE
