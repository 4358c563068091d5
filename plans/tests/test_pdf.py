"""The plan as a PDF laid out per NĐ 30/2020 (plans/pdf.py, templates/documents/nd30.*).

The text is read back with poppler's `pdftotext -bbox` (every word with its position), not with
`pdftotext -layout`: the header and the signature block are two columns side by side, and
-layout puts both columns on the same text lines (even joining "…TAM KỲ CỘNG HÒA…" with a single
space), while plain `pdftotext` interleaves them. With the positions, each two-column block is
split at its right column's left edge and read column by column, left then right; the rest of
the page is read line by line. So the order checked is: left header column, right header
column, the body, "Nơi nhận" column, signer column.

The demo data (real unit lists) takes a few seconds to load, so it is loaded once for the
module, the PDFs rendered, and the database rolled back; the tests only read the PDFs.
"""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import transaction

from cchc_portal.lib.documents import PT_PER_MM, SIGNATURE_AREAS_MM, pdf_font_names
from demo.plans import load_plan_demo
from demo.units import load_demo
from plans import services
from plans.models import Plan, Section, SectionItem
from plans.pdf import render_plan_pdf

# Marked so that pytest-django runs these with the other database tests, before the browser
# tests: a transactional test flushes the tables (migration data included) when it ends.
pytestmark = pytest.mark.django_db

MARGIN_TOP = 20 * PT_PER_MM
LEFT, RIGHT = 30 * PT_PER_MM, (210 - 15) * PT_PER_MM  # the text area of a portrait page
TINOS = re.compile(r"^[A-Z]{6}\+Tinos(-Bold|-Italic|-Bold-?Italic)?$")
SECTIONS = [
    "I. MỤC ĐÍCH, YÊU CẦU",
    "II. NỘI DUNG, HÌNH THỨC TUYÊN TRUYỀN",
    "III. MỘT SỐ HOẠT ĐỘNG TUYÊN TRUYỀN TRỌNG TÂM",
    "IV. NHIỆM VỤ CỤ THỂ",
    "V. TỔ CHỨC THỰC HIỆN",
]


# --- reading the PDF back -------------------------------------------------------------------------


def poppler(tool: str, pdf: bytes, *args: str) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(
            [tool, *args, f.name, *(["-"] if tool == "pdftotext" else [])], capture_output=True, check=True
        )
    return out.stdout.decode("utf-8")


@dataclass(frozen=True)
class Word:
    text: str
    x1: float  # PDF points from the page's top left (poppler's convention)
    y1: float
    x2: float
    y2: float


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pages_words(pdf: bytes) -> list[list[Word]]:
    out = poppler("pdftotext", pdf, "-bbox")
    return [
        [Word(html.unescape(m[5]), *map(float, m.groups()[:4])) for m in WORD.finditer(page)]
        for page in out.split("<page ")[1:]
    ]


def text_of(words: list[Word]) -> str:
    """Words in reading order: line by line (words sharing a baseline), left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.y2, w.x1)):
        if lines and abs(lines[-1][0].y2 - word.y2) < 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    return "\n".join(" ".join(w.text for w in sorted(line, key=lambda w: w.x1)) for line in lines)


def find(words: list[Word], text: str) -> Word:
    return next(w for w in words if w.text == text)


def columns(words: list[Word], right_starts_at: float) -> tuple[str, str]:
    left = [w for w in words if w.x1 < right_starts_at - 0.5]
    right = [w for w in words if w.x1 >= right_starts_at - 0.5]
    return text_of(left), text_of(right)


@dataclass
class Reading:
    header_left: str
    header_right: str
    body: str
    recipients: str
    signer: str
    pages: list[list[Word]]
    signature_page: int


def read(pdf: bytes) -> Reading:
    pages = pages_words(pdf)
    first = pages[0]
    kind = find(first, "KẾ")  # "KẾ HOẠCH" ends the header
    header = [w for w in first if w.y2 < kind.y1]
    header_left, header_right = columns(header, find(header, "CỘNG").x1)
    body = []
    for index, words in enumerate(pages):
        if index == 0:
            words = [w for w in words if w.y1 >= kind.y1]
        if any(w.text == "Nơi" for w in words):
            signature_page = index
            start = find(words, "Nơi")
            # the block starts at the line of "Nơi nhận:" (its baseline: the signer's first line
            # is in a larger font and reaches higher)
            bottom = [w for w in words if w.y2 >= start.y2 - 2]
            body.append(text_of([w for w in words if w.y2 < start.y2 - 2]))
            recipients, signer = columns(bottom, find(bottom, "TM.").x1)
            break
        body.append(text_of(words))
    else:
        raise AssertionError("no “Nơi nhận:” in the PDF")
    return Reading(header_left, header_right, "\n".join(body), recipients, signer, pages, signature_page)


def normalised(text: str) -> str:
    return " ".join(text.split())


def assert_in_order(text: str, expected: list[str]) -> None:
    text = normalised(text)
    position = 0
    for item in expected:
        found = text.find(item, position)
        assert found >= 0, f"{item!r} not found after {text[max(0, position - 80) : position]!r}"
        position = found + len(item)


def page_sizes(pdf: bytes, count: int) -> list[tuple[float, float]]:
    info = poppler("pdfinfo", pdf, "-f", "1", "-l", str(count))
    return [(float(w), float(h)) for w, h in re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info)]


# --- the demo plans, rendered once -----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo(log=lambda *_: None)
        load_plan_demo(log=lambda *_: None)
        tan_thanh = Plan.objects.get(unit__code="20335", year=2022, unit__valid_to__isnull=False)
        ban_thach = Plan.objects.get(unit__code="20335", year=2026, unit__valid_to__isnull=True)
        da_nang = Plan.objects.get(unit__code="48", year=2026, is_latest=True)
        result = SimpleNamespace(
            tan_thanh=render_plan_pdf(tan_thanh),
            ban_thach=render_plan_pdf(ban_thach),
            da_nang=render_plan_pdf(da_nang),
            da_nang_signer=da_nang.signer_name,
            summary=tan_thanh.summary,
        )
        transaction.set_rollback(True)
    result.tan_thanh_reading = read(result.tan_thanh.pdf)
    return result


def test_tan_thanh_reads_in_document_order(demo):
    reading = demo.tan_thanh_reading
    assert_in_order(
        reading.header_left, ["UBND THÀNH PHỐ TAM KỲ", "ỦY BAN NHÂN DÂN PHƯỜNG TÂN THẠNH", "Số: 25/KH-UBND"]
    )
    assert_in_order(
        reading.header_right,
        [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Tân Thạnh, ngày 30 tháng 3 năm 2022",
        ],
    )
    assert_in_order(
        reading.body,
        ["KẾ HOẠCH", demo.summary, "Thực hiện Kế hoạch số 71/KH-UBND", *SECTIONS, "Trên đây là kế hoạch"],
    )
    assert_in_order(reading.recipients, ["Nơi nhận:", "- UBND thành phố;", "- Lưu: VT – đ/c Châu."])
    assert_in_order(reading.signer, ["TM. ỦY BAN NHÂN DÂN", "PHÓ CHỦ TỊCH"])
    # and nothing of one column leaked into the other
    assert "CỘNG" not in reading.header_left and "UBND" not in reading.header_right
    assert "TM." not in reading.recipients and "Lưu" not in reading.signer


def test_tan_thanh_header_and_signature_levels(demo):
    first = demo.tan_thanh_reading.pages[0]
    # "Số: …" and the place/date are on the same line (PL I II.4.c): the same baseline.
    assert abs(find(first, "Số:").y2 - find(first, "Thạnh,").y2) < 1
    # "Nơi nhận:" level with the signer's authority line (PL I II.9).
    signature_page = demo.tan_thanh_reading.pages[demo.tan_thanh_reading.signature_page]
    assert abs(find(signature_page, "Nơi").y2 - find(signature_page, "TM.").y2) < 1
    # the two header columns: the body's name in the left, Quốc hiệu in the right
    assert find(first, "UBND").x2 < find(first, "CỘNG").x1


def test_tan_thanh_uses_tinos_only(demo):
    names = pdf_font_names(demo.tan_thanh.pdf)
    assert names and all(TINOS.match(name) for name in names), names
    assert {TINOS.match(n)[1] for n in names} == {None, "-Bold", "-Italic", "-Bold-Italic"}


def test_tan_thanh_pages(demo):
    rendered = demo.tan_thanh
    sizes = page_sizes(rendered.pdf, rendered.page_count)
    assert len(sizes) == rendered.page_count
    assert sizes[0] == pytest.approx((595.28, 841.89), abs=0.1)  # A4 portrait
    body_pages = demo.tan_thanh_reading.signature_page + 1
    assert all(size == sizes[0] for size in sizes[:body_pages])
    # the task table: an appendix on landscape pages, its header row on each of them
    assert body_pages < rendered.page_count
    assert all(size == pytest.approx((841.89, 595.28), abs=0.1) for size in sizes[body_pages:])
    pages = demo.tan_thanh_reading.pages
    assert_in_order(text_of(pages[body_pages]), ["Phụ lục", "BẢNG NHIỆM VỤ TUYÊN TRUYỀN CÔNG TÁC", "STT"])
    for words in pages[body_pages:]:
        assert "Nội dung nhiệm vụ Chủ trì Phối hợp Thời gian Chỉ tiêu, sản phẩm" in normalised(text_of(words))
    assert "Kèm theo" not in normalised(text_of(pages[body_pages]))  # not filled in electronically


def top_margin_words(words: list[Word]) -> list[Word]:
    return [w for w in words if w.y2 <= MARGIN_TOP]


def test_page_numbers_in_the_top_margin_from_page_2(demo):
    pages = demo.tan_thanh_reading.pages
    assert top_margin_words(pages[0]) == []
    number = top_margin_words(pages[1])
    assert [w.text for w in number] == ["2"]
    assert (number[0].x1 + number[0].x2) / 2 == pytest.approx((LEFT + RIGHT) / 2, abs=2)
    assert [w.text for w in top_margin_words(pages[2])] == ["3"]
    # the appendix is numbered on its own (PL I III.1.đ): its first page without a number
    first_appendix = demo.tan_thanh_reading.signature_page + 1
    assert top_margin_words(pages[first_appendix]) == []
    if first_appendix + 1 < len(pages):
        assert [w.text for w in top_margin_words(pages[first_appendix + 1])] == ["2"]


def test_signature_boxes(demo):
    rendered = demo.tan_thanh
    person, seal = rendered.boxes["person"], rendered.boxes["organisation"]
    # on the last page of the body, the one with the signer's block
    assert person.page == seal.page == demo.tan_thanh_reading.signature_page
    for box, name in ((person, "person"), (seal, "organisation")):
        assert 0 <= box.x1 < box.x2 <= 595.28 and 0 <= box.y1 < box.y2 <= 841.89
        assert box.width == pytest.approx(SIGNATURE_AREAS_MM[name][0] * PT_PER_MM, abs=0.01)
        assert box.height == pytest.approx(SIGNATURE_AREAS_MM[name][1] * PT_PER_MM, abs=0.01)
    # the seal covers the left third of the signature (PL I II.8.a), not more
    overlap_x = min(person.x2, seal.x2) - max(person.x1, seal.x1)
    overlap_y = min(person.y2, seal.y2) - max(person.y1, seal.y1)
    assert overlap_x == pytest.approx(person.width / 3, abs=1)
    assert seal.x1 < person.x1 and overlap_y > 0
    # the signature is under the signer's title (poppler's y runs from the top)
    page_height = 841.89
    words = demo.tan_thanh_reading.pages[person.page]
    title = max((w for w in words if w.text in {"PHÓ", "CHỦ", "TỊCH"}), key=lambda w: w.y2)
    assert title.y2 <= page_height - person.y2
    assert person.x1 < title.x1 < title.x2 < person.x2


def test_signature_between_title_and_name(demo):
    rendered = demo.da_nang
    person = rendered.boxes["person"]
    words = pages_words(rendered.pdf)[person.page]
    top, bottom = 841.89 - person.y2, 841.89 - person.y1
    surname = demo.da_nang_signer.split()[0]
    name = next(w for w in words if w.text == surname and w.y1 >= bottom)
    title = next(w for w in words if w.text == "PHÓ" and w.y2 <= top)
    assert name.y1 - bottom < 20 and top - title.y2 < 20  # close to both, centred between


def test_unissued_plan_keeps_blanks(demo):
    rendered = demo.ban_thach
    first = pages_words(rendered.pdf)[0]
    header_left, header_right = columns(
        [w for w in first if w.y2 < find(first, "KẾ").y1], find(first, "CỘNG").x1
    )
    assert "Số: /KH-UBND" in normalised(header_left)
    # The date is a field the văn thư fills when issuing (documents/pdf_fields.py): empty here.
    assert normalised(header_right) == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc"
    assert {"number", "date"} <= set(rendered.boxes)
    # the number's blank stays visible: room for the number
    assert find(first, "/KH-UBND").x1 - find(first, "Số:").x2 > 10
    assert set(rendered.boxes) == {"person", "organisation", "number", "date"}


def test_metadata(demo):
    info = poppler("pdfinfo", demo.tan_thanh.pdf)
    assert re.search(r"^Title: +Kế hoạch tuyên truyền công tác cải cách hành chính năm 2022$", info, re.M)
    assert re.search(r"^Author: +ỦY BAN NHÂN DÂN PHƯỜNG TÂN THẠNH$", info, re.M)
    assert re.search(r"^Keywords: +.*25/KH-UBND", info, re.M)


# --- a long plan ---------------------------------------------------------------------------------

PARAGRAPH = (
    "Tuyên truyền, phổ biến sâu rộng các chủ trương của Đảng, chính sách, pháp luật của Nhà nước về cải "
    "cách hành chính; kết quả thực hiện Chương trình tổng thể cải cách hành chính nhà nước giai đoạn "
    "2021-2030 trên địa bàn; hướng dẫn người dân, doanh nghiệp sử dụng dịch vụ công trực tuyến toàn trình, "
    "thanh toán trực tuyến và tra cứu kết quả giải quyết thủ tục hành chính (mục {n})."
)


def build_long_plan(
    unit, year: int = 2027, *, headings: int = 2, bullets: int = 2, groups: int = 3, tasks: int = 3
) -> Plan:
    """A plan long enough for ≥ 6 pages: numbered khoản with bullets in sections I–III and V, and
    a task table. Built through plans.services, as the editor builds plans."""
    plan = services.create_plan(unit, year)
    plan.legal_bases = (
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05/3/2020 của Chính phủ về công tác văn thư;\n"
        "Căn cứ Kế hoạch cải cách hành chính năm 2027 của Ủy ban nhân dân phường."
    )
    plan.signer_name = "Nguyễn Văn An"
    plan.save(update_fields=["legal_bases", "signer_name"])
    n = 0
    for section in plan.sections.all():
        if section.kind == Section.Kind.TASKS:
            continue
        for h in range(headings):
            heading = services.add_item(section, style=SectionItem.Style.HEADING, text=f"Nội dung {h + 1}")
            for _ in range(bullets):
                n += 1
                services.add_item(
                    section, style=SectionItem.Style.BULLET, text=PARAGRAPH.format(n=n), parent=heading
                )
    for g in range(groups):
        group = services.add_group(plan, heading=f"Bộ phận thực hiện số {g + 1}")
        for t in range(tasks):
            task = services.add_task(
                group,
                title=f"Nhiệm vụ {g + 1}.{t + 1}: tuyên truyền cải cách hành chính trên hệ thống truyền thanh, "
                "Trang thông tin điện tử và mạng xã hội của phường",
                timing_note="Hằng quý",
                co_text="Đài truyền thanh phường, các khu phố",
            )
            services.add_target(task, name="Tin, bài tuyên truyền", unit_of_measure="tin, bài", value=12)
    return plan


@pytest.mark.django_db
def test_long_plan_renders_six_pages_or_more(world):
    plan = build_long_plan(world.commune_a)
    rendered = render_plan_pdf(plan)
    assert rendered.page_count >= 6
    assert set(rendered.boxes) == {"person", "organisation", "number", "date"}
    reading = read(rendered.pdf)
    assert_in_order(reading.body, ["Căn cứ Nghị định số 30/2020/NĐ-CP", *SECTIONS, "Trên đây là kế hoạch"])
    assert_in_order(reading.signer, ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn An"])
    assert all(TINOS.match(name) for name in pdf_font_names(rendered.pdf))


def test_screenshots_are_documented():
    docs = Path(__file__).resolve().parents[2] / "docs"
    text = (docs / "documents.md").read_text(encoding="utf-8")
    for name in ("pdf-page1.png", "pdf-signature-page.png", "pdf-signed-page.png"):
        assert (docs / name).exists()
        assert name in text
