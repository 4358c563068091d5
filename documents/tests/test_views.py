"""The register page, downloads, client-side signing (USB token) and public verification, through
the views, with real WeasyPrint PDFs and real pyHanko signatures."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from documents import services
from documents.models import OutgoingDocument
from documents.signing import SignerSpec, sign_pdf
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
    plan = services.issue_plan_signed(w.plan_a, by=w.leader_a, issued_on=datetime.date(2026, 2, 3))
    w.document = plan.document
    w.signed_pdf = w.document.signed_pdf.open("rb").read()
    return w


def _upload(content: bytes, name: str = "van-ban.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _flip(pdf: bytes) -> bytes:
    tampered = bytearray(pdf)
    tampered[pdf.index(b"stream") + 40] ^= 0x01
    return bytes(tampered)


# --- issuing ----------------------------------------------------------------------------------------


def test_issuing_signs_as_the_leader_then_the_seal(signed_plan):
    w = signed_plan
    document = OutgoingDocument.objects.get(pk=w.document.pk)
    assert document.state == OutgoingDocument.State.SIGNED
    assert document.reference == "01/KH-UBND" and document.signing_mode == "server"
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.ISSUED
    verdict = services.verify_stored(document)
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
    with pytest.raises(services.DocumentError, match="CCHC_SIGNING_KEY"):
        services.issue_plan_signed(w.plan_a, by=w.leader_a)
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.APPROVED
    assert not OutgoingDocument.objects.filter(unit=w.commune_a).exists()


# --- the register -----------------------------------------------------------------------------------


def test_the_register_lists_and_exports_the_year(signed_plan, as_persona):
    w = signed_plan
    client = as_persona("reviewer")
    page = client.get(reverse("documents:register", args=[w.commune_a.pk]) + "?year=2026")
    assert page.status_code == 200
    assert "01/KH-UBND" in page.text and "03/02/2026" in page.text
    export = client.get(reverse("documents:register_export", args=[w.commune_a.pk]) + "?year=2026")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = [list(row) for row in sheet.iter_rows()]
    [row] = [r for r in rows if r and r[0].value == "01/KH-UBND"]
    # A real date, shown as 03/02/2026 (cchc_portal/lib/xlsx.py), not a text.
    assert row[1].value == datetime.datetime(2026, 2, 3) and row[1].number_format == "dd/mm/yyyy"
    assert row[8].value == w.document.signed_sha256
    empty = client.get(reverse("documents:register", args=[w.commune_a.pk]) + "?year=2019")
    assert "01/KH-UBND" not in empty.text
    assert client.get(reverse("documents:register", args=[w.commune_a.pk]) + "?year=abc").status_code == 200


def test_people_in_scope_download_the_signed_pdf(signed_plan, as_persona):
    w = signed_plan
    response = as_persona("leader_a").get(reverse("documents:download", args=[w.document.pk]))
    assert b"".join(response.streaming_content) == w.signed_pdf
    assert as_persona("officer_b").get(reverse("documents:download", args=[w.document.pk])).status_code == 404


# --- public verification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "status", "text"),
    [
        (lambda w: w.signed_pdf, 200, "Hợp lệ"),
        (lambda w: _flip(w.signed_pdf), 200, "Không hợp lệ"),
        (lambda w: w.document.unsigned_pdf.open("rb").read(), 200, "Tệp chưa có chữ ký số"),
        (lambda w: b"%PDF-1.7 rubbish", 200, "không đọc được"),
        (lambda w: "Xin chào".encode(), 200, "Tệp không phải là tệp PDF"),
        (lambda w: b"\x00" * 2048, 200, "Tệp không phải là tệp PDF"),
    ],
)
def test_anyone_can_verify_an_upload_and_it_never_fails(signed_plan, client, make, status, text):
    response = client.post(reverse("documents:verify"), {"file": _upload(make(signed_plan))})
    assert response.status_code == status
    assert text in response.text


def test_a_valid_upload_names_the_register_entry(signed_plan, client):
    response = client.post(reverse("documents:verify"), {"file": _upload(signed_plan.signed_pdf)})
    assert "01/KH-UBND" in response.text and "Phường Tam Kỳ" in response.text
    assert "Phạm Văn Minh" in response.text


def test_empty_and_oversized_uploads_get_a_message(signed_plan, client, settings):
    empty = client.post(reverse("documents:verify"), {"file": _upload(b"")})
    assert empty.status_code == 422
    settings.SIGNED_PDF_MAX_BYTES = 1000
    big = client.post(reverse("documents:verify"), {"file": _upload(signed_plan.signed_pdf)})
    assert big.status_code == 422 and "Tệp quá lớn" in big.text
    assert client.post(reverse("documents:verify"), {}).status_code == 422


def test_lookup_by_unit_number_and_year(signed_plan, client):
    w = signed_plan
    url = reverse("documents:verify")
    found = client.get(url, {"unit": w.commune_a.code, "number": 1, "year": 2026})
    assert found.status_code == 302
    assert found["Location"] == reverse("documents:verify_code", args=[w.document.verification_code])
    page = client.get(found["Location"])
    assert "Hợp lệ" in page.text and "01/KH-UBND" in page.text
    missing = client.get(url, {"unit": w.commune_a.code, "number": 7, "year": 2026})
    assert missing.status_code == 422 and "không có số 07" in missing.text
    nobody = client.get(url, {"unit": "không có đơn vị này", "number": 1, "year": 2026})
    assert nobody.status_code == 422 and "Không tìm thấy đơn vị" in nobody.text
    assert client.get(url, {"unit": "x", "number": "abc", "year": "1"}).status_code == 422


def test_public_download_gives_the_signed_file(signed_plan, client):
    w = signed_plan
    response = client.get(reverse("documents:public_download", args=[w.document.verification_code]))
    assert b"".join(response.streaming_content) == w.signed_pdf
    forged = "00000000-0000-0000-0000-000000000000"
    assert client.get(reverse("documents:verify_code", args=[forged])).status_code == 404


def test_the_verify_pdf_command(signed_plan, tmp_path):
    good = tmp_path / "good.pdf"
    good.write_bytes(signed_plan.signed_pdf)
    out = io.StringIO()
    call_command("verify_pdf", str(good), stdout=out)
    assert "Hợp lệ" in out.getvalue() and "01/KH-UBND" in out.getvalue()
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(_flip(signed_plan.signed_pdf))
    with pytest.raises(CommandError, match="invalid"):
        call_command("verify_pdf", str(bad), stdout=io.StringIO())
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        call_command("verify_pdf", str(tmp_path / "missing.pdf"), stdout=io.StringIO())


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
        reverse("documents:upload_signed", args=[w.document.pk]), {"file": _upload(signed)}, follow=True
    )
    assert "Đã nhận bản đã ký số" in response.text
    document = OutgoingDocument.objects.get(pk=w.document.pk)
    assert document.state == OutgoingDocument.State.SIGNED and document.signing_mode == "client"
    assert document.signed_pdf.open("rb").read() == signed
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.ISSUED
    again = w.client.post(
        reverse("documents:upload_signed", args=[w.document.pk]), {"file": _upload(signed)}, follow=True
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
            reverse("documents:upload_signed", args=[w.document.pk]), {"file": _upload(content)}, follow=True
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
        reverse("documents:upload_signed", args=[w.document.pk]),
        {"file": _upload(_token_sign(w, w.original))},
        follow=True,
    )
    assert "Tệp quá lớn" in response.text
    assert OutgoingDocument.objects.get(pk=w.document.pk).state == OutgoingDocument.State.AWAITING_SIGNATURE
