"""The report as an NĐ 30 document: layout text, fonts, the annex, and signing as the leader and
the unit (the register gives it a BC number)."""

from __future__ import annotations

import subprocess
import tempfile

import pytest
from django.urls import reverse

from cchc_portal.lib.documents import pdf_font_names
from documents.services import verify_stored
from reports import services
from reports.models import EntryStatus, ReportState
from reports.pdf import render_report_pdf

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, timeout=60
        )
    return " ".join(out.stdout.split())


def _filled(w):
    report = services.open_report(w.commune_a, w.annual)
    for entry in report.entries.select_related("task").prefetch_related("task__targets"):
        data = {"status": EntryStatus.DONE_ON_TIME, "narrative": "Đã thực hiện"}
        for target in entry.task.targets.all():
            data[f"target_{target.pk}"] = "12"
        values, _errors = services.parse_entry(entry, data)
        services.save_entry(entry, values, expected_version=None, by=w.officer_a)
    report.results = services.compose_results(report)
    report.strengths = "Các bộ phận phối hợp chặt chẽ."
    report.save()
    return report


def test_the_report_pdf_reads_as_an_official_report(reporting):
    report = _filled(reporting)
    rendered = render_report_pdf(report, signer_name="Phạm Văn Minh")
    text = _text(rendered.pdf)
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: /BC-UBND",
        "BÁO CÁO",
        f"Kết quả thực hiện công tác tuyên truyền cải cách hành chính năm {reporting.year}",
        "Kính gửi:",
        "I. KẾT QUẢ THỰC HIỆN",
        "Chuyên mục CCHC trên hệ thống truyền thanh: hoàn thành đúng hạn; Chuyên đề phát thanh: 12 chuyên đề",
        "II. ĐÁNH GIÁ CHUNG",
        "1. Ưu điểm",
        "III. NHIỆM VỤ KỲ TỚI",
        "IV. ĐỀ XUẤT, KIẾN NGHỊ",
        "Nơi nhận:",
        "- Lưu: VT.",
        "TM. ỦY BAN NHÂN DÂN",
        "Phạm Văn Minh",
        "Phụ lục",
        "12 chuyên đề / 12",
    ]:
        assert expected in text, expected
    assert text.index("KẾT QUẢ THỰC HIỆN") < text.index("ĐÁNH GIÁ CHUNG") < text.index("Phụ lục")
    assert all("Tinos" in name for name in pdf_font_names(rendered.pdf))
    assert set(rendered.boxes) == {"person", "organisation"}


def test_the_leader_signs_and_submits(reporting, give_credentials, as_persona):
    w = reporting
    report = _filled(w)
    client = as_persona("leader_a")
    url = reverse("reports:transition", args=[report.pk])
    refused = client.post(url, {"action": "sign"}, follow=True)
    assert "chưa có chứng thư số" in refused.text
    assert not report.__class__.objects.get(pk=report.pk).document_id  # no number taken
    give_credentials(user=w.leader_a)
    give_credentials(unit=w.commune_a)
    done = client.post(url, {"action": "sign"}, follow=True)
    report.refresh_from_db()
    # One register per unit and year: the plan issued earlier this year took 01/KH-UBND.
    first = report.document.reference
    assert first == "02/BC-UBND" and f"Đã ký số báo cáo số {first}" in done.text
    assert report.state == ReportState.SUBMITTED
    verdict = verify_stored(report.document)
    assert verdict.ok, verdict.message
    assert next(s.signer_name for s in verdict.signatures) == w.leader_a.get_full_name()
    assert "Số: 02/BC-UBND" in _text(report.document.signed_pdf.open("rb").read())
    # Returned, then signed again: a new number that replaces the first document.
    services.return_report(report, reason="Sửa số liệu", by=w.reviewer)
    client.post(url, {"action": "sign"})
    report.refresh_from_db()
    assert report.document.reference == "03/BC-UBND" and report.document.supersedes.reference == first
    preview = client.get(reverse("reports:pdf", args=[w.commune_a.pk, w.annual.code]))
    assert preview["Content-Type"] == "application/pdf" and preview.content.startswith(b"%PDF-")


def test_the_leader_signs_with_a_usb_token(reporting, give_credentials, demo_pki, as_persona):
    """The report numbered, its PDF (with empty signature fields) signed in the leader's own tool
    and uploaded: accepted, the report is submitted; a tampered upload is refused."""
    import datetime
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    from cchc_portal.lib.documents import Box
    from documents.signing import SignerSpec, sign_pdf

    w = reporting
    give_credentials(user=w.leader_a)  # makes the DEMO CA a trusted root
    report = _filled(w)
    client = as_persona("leader_a")
    client.post(reverse("reports:transition", args=[report.pk]), {"action": "prepare_client"})
    report.refresh_from_db()
    document = report.document
    assert document.state == "awaiting_signature" and report.state == ReportState.DRAFT
    page = client.get(reverse("reports:report", args=[w.commune_a.pk, w.annual.code]))
    assert "đang chờ ký số" in page.text
    original = b"".join(client.get(reverse("documents:unsigned", args=[document.pk])).streaming_content)
    [name] = [
        f[0] for f in enumerate_sig_fields(PdfFileReader(io.BytesIO(original))) if f[0] == "ChuKyLanhDao"
    ]
    token = demo_pki.certificate(w.leader_a.get_full_name(), "Cổng CCHC", person=True)
    spec = SignerSpec(
        token.key_der, token.certificate, [demo_pki.ca.certificate], "x", None, Box(0, 0, 0, 1, 1), name
    )
    signed = sign_pdf(original, [spec], signing_time=datetime.datetime.now(datetime.UTC))
    upload = reverse("reports:upload_signed", args=[report.pk])
    tampered = bytearray(signed)
    tampered[signed.index(b"stream") + 40] ^= 1
    refused = client.post(upload, {"file": SimpleUploadedFile("a.pdf", bytes(tampered))}, follow=True)
    assert "Chưa nhận bản đã ký" in refused.text
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT
    done = client.post(upload, {"file": SimpleUploadedFile("a.pdf", signed)}, follow=True)
    assert "Đã nhận bản đã ký số" in done.text
    assert done.redirect_chain[-1][0] == reverse("reports:report", args=[w.commune_a.pk, w.annual.code])
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED and report.document.state == "signed"
