"""The register page, downloads and public verification, through the views, with real
WeasyPrint PDFs and real pyHanko signatures. The documents here belong to nothing: `documents`
knows no plan and no report (their signing journeys are tested in plans/ and reports/)."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from cchc_portal.lib.documents import render_pdf
from documents import services
from documents.models import DocumentType, OutgoingDocument

# A page with the areas an official document has: the number and date the văn thư fills, and
# the two signatures.
PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 20mm 15mm 20mm 30mm } body { font-family: Tinos; font-size: 14pt }
#field-number { display: inline-block; width: 9mm; height: 6mm } #field-date { display: inline-block; width: 95mm; height: 7mm }
#sig-person { width: 60mm; height: 24mm; margin-left: 90mm } #sig-organisation { width: 30mm; height: 30mm }
</style></head><body><p>ỦY BAN NHÂN DÂN PHƯỜNG TAM KỲ — Số: <span id="field-number"></span>/KH-UBND</p>
<p><span id="field-date"></span></p><p>%(subject)s</p>
<div id="sig-organisation"></div><div id="sig-person"></div><p>Phạm Văn Minh</p></body></html>"""


def issue_document(unit, *, by, clerk, subject: str, issued_on: datetime.date) -> OutgoingDocument:
    """A document of the unit signed by its leader, then numbered, sealed and issued by its văn
    thư, on the server."""
    document = services.start_document(unit, DocumentType.PLAN, subject=subject, source={"subject": subject})
    rendered = render_pdf(PAGE % {"subject": subject})
    services.sign_as_leader(document, rendered, by=by, signer_name=by.get_full_name(), people=[by])
    services.take_number(document, by=clerk, issued_on=issued_on)
    return services.seal_on_server(document, by=clerk)


@pytest.fixture
def signed_plan(world, give_credentials):
    """A document of commune A, signed on the server by its leader and its seal."""
    w = world
    give_credentials(user=w.leader_a)
    give_credentials(unit=w.commune_a)
    w.document = issue_document(
        w.commune_a,
        by=w.leader_a,
        clerk=w.clerk_a,
        subject="Kế hoạch tuyên truyền công tác cải cách hành chính năm 2026",
        issued_on=datetime.date(2026, 2, 3),
    )
    w.signed_pdf = w.document.signed_pdf.open("rb").read()
    return w


def _upload(content: bytes, name: str = "van-ban.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _flip(pdf: bytes) -> bytes:
    tampered = bytearray(pdf)
    tampered[pdf.index(b"stream") + 40] ^= 0x01
    return bytes(tampered)


def test_signing_on_the_server_signs_as_the_leader_then_the_seal(signed_plan):
    w = signed_plan
    document = OutgoingDocument.objects.get(pk=w.document.pk)
    assert document.state == OutgoingDocument.State.ISSUED
    assert document.reference == "01/KH-UBND" and document.signing_mode == "server"
    verdict = services.verify_stored(document)
    assert verdict.ok, verdict.message
    seal = w.commune_a.authority_line or w.commune_a.full_name
    assert [s.signer_name for s in verdict.signatures] == ["Phạm Văn Minh", seal]


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


def test_lookup_by_unit_number_and_year_confirms_without_giving_the_file(signed_plan, client):
    w = signed_plan
    url = reverse("documents:verify")
    found = client.get(url, {"unit": w.commune_a.code, "number": 1, "year": 2026})
    assert found.status_code == 200 and 'id="lookup-result"' in found.text
    assert "01/KH-UBND" in found.text and "Đã ký số, đang có hiệu lực" in found.text
    # Metadata only: no link to the file, none to the page that gives it.
    assert reverse("documents:public_download", args=[w.document.public_code]) not in found.text
    assert w.document.public_code not in found.text
    missing = client.get(url, {"unit": w.commune_a.code, "number": 7, "year": 2026})
    assert missing.status_code == 422 and "không có số 07" in missing.text
    nobody = client.get(url, {"unit": "không có đơn vị này", "number": 1, "year": 2026})
    assert nobody.status_code == 422 and "Không tìm thấy đơn vị" in nobody.text
    assert client.get(url, {"unit": "x", "number": "abc", "year": "1"}).status_code == 422


def test_the_code_printed_on_the_document_opens_it(signed_plan, client):
    w = signed_plan
    typed = w.document.printed_code.lower().replace("-", " ")  # as someone types it from paper
    opened = client.get(reverse("documents:verify"), {"code": typed})
    assert opened.status_code == 302
    assert opened["Location"] == reverse("documents:verify_code", args=[w.document.public_code])
    page = client.get(opened["Location"])
    assert "Hợp lệ" in page.text and "01/KH-UBND" in page.text and w.document.printed_code in page.text
    wrong = client.get(reverse("documents:verify"), {"code": "AAAA-BBBB-CCCC"})
    assert wrong.status_code == 422 and "Không có văn bản nào mang mã xác minh" in wrong.text


def test_public_download_gives_the_signed_file(signed_plan, client):
    w = signed_plan
    response = client.get(reverse("documents:public_download", args=[w.document.public_code]))
    assert b"".join(response.streaming_content) == w.signed_pdf
    assert client.get(reverse("documents:verify_code", args=["AAAABBBBCCCC"])).status_code == 404


def test_the_public_pages_are_rate_limited_per_client(signed_plan, client, settings):
    from django.core.cache import cache

    cache.clear()
    # 30 an hour: django-ratelimit counts in fixed windows, and the 39 requests below must not
    # straddle the end of one (with 30/m they sometimes did on a loaded machine).
    settings.VERIFY_RATE = "30/h"
    url = reverse("documents:verify")
    statuses = [
        client.get(url, {"unit": signed_plan.commune_a.code, "number": n, "year": 2026}).status_code
        for n in range(1, 40)
    ]
    assert 429 in statuses and statuses.index(429) == 30
    refused = client.get(url)
    assert refused.status_code == 429 and "quá nhiều yêu cầu" in refused.text and refused["Retry-After"]
    # Another client is not affected.
    assert client.get(url, REMOTE_ADDR="10.9.8.7").status_code == 200
    cache.clear()


def test_the_verify_pdf_command(signed_plan, tmp_path):
    good = tmp_path / "good.pdf"
    good.write_bytes(signed_plan.signed_pdf)
    out = io.StringIO()
    call_command("verify_pdf", str(good), stdout=out)
    assert "Hợp lệ" in out.getvalue() and "01/KH-UBND" in out.getvalue()
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(_flip(signed_plan.signed_pdf))
    with pytest.raises(CommandError, match="invalid") as refused:
        call_command("verify_pdf", str(bad), stdout=io.StringIO())
    assert refused.value.returncode == 1
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        call_command("verify_pdf", str(tmp_path / "missing.pdf"), stdout=io.StringIO())
