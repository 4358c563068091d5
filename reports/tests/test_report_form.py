"""The report's NĐ 30/2020 form, one test for each finding of the review: who it is addressed to
("Kính gửi", in proper case, centred or as a list), its Nơi nhận ("- Như trên;" first, "- Lưu: VT,
<drafting unit>."), the pointer to the annex and the annex's "Kèm theo" line (numbered by the văn
thư), the period of its figures, the signer's block built from the person who signs, and
signing refused while a required section is empty. The real PDF is read back with pdftotext;
signing goes through reports.services with the DEMO PKI."""

from __future__ import annotations

import pytest

from conftest import grant, make_user
from documents.models import OutgoingDocument
from plans.tests.test_pdf import LEFT, RIGHT, columns, find, pages_words, text_of
from reports import services
from reports.models import Report
from reports.pdf import ANNEX_POINTER, render_report_pdf, report_html
from reports.tests.test_pdf import _filled

pytestmark = pytest.mark.django_db

CITY = "Ủy ban nhân dân thành phố Đà Nẵng"


def _report(w) -> Report:
    return Report.objects.select_related("document", "unit__kind", "plan").get(pk=w.report.pk)


def _signature_block(pdf: bytes) -> tuple[str, str]:
    """The Nơi nhận column and the signer's column, each read top to bottom."""
    for words in pages_words(pdf):
        if any(w.text == "Nơi" for w in words):
            start = find(words, "Nơi")
            bottom = [w for w in words if w.y2 >= start.y2 - 2]
            return columns(bottom, find(bottom, "TM.").x1)
    raise AssertionError("no “Nơi nhận:” in the PDF")


def _body(pdf: bytes) -> str:
    return "\n".join(text_of(words) for words in pages_words(pdf))


def _read_file(field) -> bytes:
    field.open("rb")
    try:
        return field.read()
    finally:
        field.close()


@pytest.fixture
def report(reporting):
    w = reporting
    w.report = _filled(w)
    return w


@pytest.fixture
def signable(report, give_credentials):
    w = report
    give_credentials(unit=w.commune_a)
    return w


def test_recipients_default_to_the_unit_above_in_proper_case_and_several_are_a_list(report):
    w = report
    assert _report(w).recipients == CITY
    assert f"Kính gửi: {CITY}." in _body(render_report_pdf(_report(w)).pdf)
    Report.objects.filter(pk=w.report.pk).update(recipients=f"{CITY}\nSở Nội vụ thành phố Đà Nẵng")
    text = _body(render_report_pdf(_report(w)).pdf)
    assert f"Kính gửi: - {CITY};" in text and "- Sở Nội vụ thành phố Đà Nẵng." in text
    assert "THÀNH PHỐ ĐÀ NẴNG" not in text.split("Kính gửi")[1].split("\n")[0]


def test_a_single_recipient_is_centred_under_the_summary(report):
    w = report
    html = report_html(_report(w))
    assert f'<p class="nd30-kinh-gui">Kính gửi: {CITY}.</p>' in html
    assert ".nd30-body .nd30-kinh-gui {\n  text-align: center;\n  text-indent: 0;" in html
    words = pages_words(render_report_pdf(_report(w)).pdf)[0]
    label = find(words, "Kính")
    line = [x for x in words if abs(x.y2 - label.y2) < 2]
    middle = (min(x.x1 for x in line) + max(x.x2 for x in line)) / 2
    assert abs(middle - (LEFT + RIGHT) / 2) < 2, (middle, (LEFT + RIGHT) / 2)


def test_noi_nhan_starts_with_nhu_tren_then_the_other_recipients(report):
    w = report
    Report.objects.filter(pk=w.report.pk).update(other_recipients="Thường trực Đảng ủy phường\nCác đoàn thể.")
    recipients, _signer = _signature_block(render_report_pdf(_report(w)).pdf)
    lines = recipients.splitlines()
    assert lines[:4] == [
        "Nơi nhận:",
        "- Như trên;",
        "- Thường trực Đảng ủy phường;",
        "- Các đoàn thể;",
    ]
    assert CITY not in recipients  # the addressee is "Như trên", not repeated


def test_the_archive_line_names_the_drafting_unit(report):
    w = report
    recipients, _signer = _signature_block(render_report_pdf(_report(w)).pdf)
    assert recipients.splitlines()[-1] == "- Lưu: VT, VP."  # the default drafting unit
    Report.objects.filter(pk=w.report.pk).update(drafting_unit="VHXH")
    recipients, _signer = _signature_block(render_report_pdf(_report(w)).pdf)
    assert recipients.splitlines()[-1] == "- Lưu: VT, VHXH."


def test_section_one_refers_to_the_annex(report):
    text = _body(render_report_pdf(_report(report)).pdf)
    assert ANNEX_POINTER == "(Chi tiết tại Phụ lục kèm theo)"
    assert text.index("I. KẾT QUẢ THỰC HIỆN") < text.index(ANNEX_POINTER) < text.index("II. ĐÁNH GIÁ CHUNG")


def test_the_annex_says_which_report_it_belongs_to_numbered_at_issue(signable, give_credentials):
    w = signable
    give_credentials(user=w.leader_a)
    services.sign_as_leader(_report(w), by=w.leader_a)
    leader_signed = _read_file(_report(w).document.leader_pdf)
    annex = " ".join(text_of(pages_words(leader_signed)[-1]).split())
    assert "(Kèm theo Báo cáo số /BC-UBND của Ủy ban nhân dân phường Tam Kỳ)" in annex  # fields
    services.issue_by_clerk(_report(w), by=w.clerk_a)
    document = _report(w).document
    assert document.state == OutgoingDocument.State.ISSUED
    # The filled field is a text of its own, right-aligned against "/BC-UBND": joined back here.
    issued = " ".join(text_of(pages_words(_read_file(document.signed_pdf))[-1]).split()).replace(" /", "/")
    day = document.issued_on
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    expected = (
        f"(Kèm theo Báo cáo số {document.number:02d}/BC-UBND ngày {day.day:02d} tháng {month} "
        f"năm {day.year} của Ủy ban nhân dân phường Tam Kỳ)"
    )
    assert expected in issued, issued


def test_the_opening_states_the_period_of_the_figures(report):
    w = report
    text = " ".join(_body(render_report_pdf(_report(w)).pdf).split())
    assert f"(Số liệu tính từ ngày 15/12/{w.year - 1} đến ngày 14/12/{w.year}) như sau:" in text


def test_a_vice_chair_signs_as_kt_chu_tich_and_the_preview_shows_the_chair(signable, give_credentials):
    w = signable
    _recipients, preview = _signature_block(render_report_pdf(_report(w)).pdf)
    assert preview.splitlines()[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert "Phạm Văn Minh" in preview  # the chair, expected to sign
    vice = make_user("phochutich.a", first_name="Quang", last_name="Trần Đức")
    grant(vice, w.commune_a, "pho-chu-tich")
    give_credentials(user=vice)
    services.sign_as_leader(_report(w), by=vice)
    report = _report(w)
    assert report.signer_lines.splitlines() == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    _recipients, signer = _signature_block(_read_file(report.document.leader_pdf))
    lines = signer.splitlines()
    assert lines[:3] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert "CHỦ TỊCH" not in lines and lines[-1] == "Trần Đức Quang"


def test_signing_is_refused_while_a_required_section_is_empty(signable, give_credentials):
    w = signable
    give_credentials(user=w.leader_a)
    Report.objects.filter(pk=w.report.pk).update(weaknesses=" … ", causes="", next_tasks="...")
    with pytest.raises(services.ReportError) as refused:
        services.sign_as_leader(_report(w), by=w.leader_a)
    assert str(refused.value) == (
        "Chưa ký được: báo cáo còn để trống “Tồn tại, hạn chế”, “Nguyên nhân”, “III. Nhiệm vụ kỳ tới”; "
        "hãy viết các phần này trước khi ký."
    )
    assert _report(w).document_id is None
