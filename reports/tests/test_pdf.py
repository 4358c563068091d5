"""The report as an NĐ 30 document: layout text, fonts, the annex, and signing as the leader and
the unit (the register gives it a BC number)."""

from __future__ import annotations

import subprocess
import tempfile

import pytest

from cchc_portal.lib.documents import pdf_font_names
from reports import services
from reports.models import EntryStatus
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
    report.weaknesses = "Một số tin bài đăng chậm."
    report.causes = "Thiếu cộng tác viên."
    report.next_tasks = "Duy trì chuyên mục CCHC hằng tháng."
    report.save()
    return report


def test_the_report_pdf_reads_as_an_official_report(reporting):
    report = _filled(reporting)
    rendered = render_report_pdf(report)  # the chair (Phạm Văn Minh) is expected to sign
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
        "- Như trên;",
        "- Lưu: VT, VP.",
        "TM. ỦY BAN NHÂN DÂN",
        "Phạm Văn Minh",
        "Phụ lục",
        "12 chuyên đề / 12",
    ]:
        assert expected in text, expected
    annex = text.index(f"Phụ lục SỐ LIỆU KẾT QUẢ THỰC HIỆN NĂM {reporting.year}")
    assert text.index("KẾT QUẢ THỰC HIỆN") < text.index("ĐÁNH GIÁ CHUNG") < annex
    assert all("Tinos" in name for name in pdf_font_names(rendered.pdf))
    # the prepared fields: the signatures, the number and date, and the annex's number and date
    assert set(rendered.boxes) == {"person", "organisation", "number", "date", "annex-number", "annex-date"}
