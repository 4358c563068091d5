"""The PDF renderer shared by official documents: signature boxes and the fonts a PDF uses."""

import io
import re

import pytest

from cchc_portal.lib.documents import (
    PT_PER_MM,
    SIGNATURE_AREAS_MM,
    Box,
    anchor_box,
    pdf_font_names,
    render_pdf,
)
from cchc_portal.lib.nd30 import organ_lines

A4_W, A4_H = 595.276, 841.89  # PDF points
TINOS = re.compile(r"^([A-Z]{6}\+)?Tinos(-Bold|-Italic|-Bold-?Italic)?$")


def html(body: str, *, font: str = "Tinos", page: str = "A4") -> str:
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
      @page {{ size: {page}; margin: 0; }}
      @page wide {{ size: A4 landscape; margin: 0; }}
      * {{ font-family: {font}; }}
      #sig-person {{ position: absolute; width: 60mm; height: 24mm; }}
      #sig-organisation {{ position: absolute; width: 30mm; height: 30mm; }}
    </style></head><body>{body}</body></html>"""


def close(box: Box, expected: tuple[float, float, float, float]) -> bool:
    return all(abs(a - b) < 0.01 for a, b in zip((box.x1, box.y1, box.x2, box.y2), expected, strict=True))


def test_boxes_are_in_pdf_points_from_the_bottom_left():
    # 96 px = 72 pt; the page is 841.89 pt high, so a top of 192 px (144 pt) is y2 = 697.89.
    rendered = render_pdf(
        html(
            '<p>Chữ ký</p><div id="sig-person" style="left: 96px; top: 192px"></div>'
            '<div id="sig-organisation" style="left: 48px; top: 160px"></div>'
        )
    )
    width, height = 60 * PT_PER_MM, 24 * PT_PER_MM
    assert rendered.page_count == 1
    person = rendered.boxes["person"]
    assert person.page == 0
    assert close(person, (72, A4_H - 144 - height, 72 + width, A4_H - 144))
    seal = rendered.boxes["organisation"]
    assert close(seal, (36, A4_H - 120 - 30 * PT_PER_MM, 36 + 30 * PT_PER_MM, A4_H - 120))
    # The rectangle WeasyPrint reports is the fixed CSS size.
    for name, (w_mm, h_mm) in SIGNATURE_AREAS_MM.items():
        box = rendered.boxes[name]
        assert abs(box.width - w_mm * PT_PER_MM) < 0.01
        assert abs(box.height - h_mm * PT_PER_MM) < 0.01


def test_boxes_carry_their_page_and_its_height():
    # The seal on page 2, a landscape page (595.276 pt high): the y flip uses that page's height.
    rendered = render_pdf(
        html(
            '<p>Trang 1</p><div id="sig-person" style="left: 0; top: 0"></div>'
            '<div style="page: wide; break-before: page">'
            '<div id="sig-organisation" style="position: relative; left: 40px; top: 80px"></div></div>'
        )
    )
    assert rendered.page_count == 2
    assert rendered.boxes["person"].page == 0
    assert close(rendered.boxes["person"], (0, A4_H - 24 * PT_PER_MM, 60 * PT_PER_MM, A4_H))
    seal = rendered.boxes["organisation"]
    assert seal.page == 1
    assert close(seal, (30, A4_W - 60 - 30 * PT_PER_MM, 30 + 30 * PT_PER_MM, A4_W - 60))


def test_anchor_point_and_rectangle_give_the_same_box():
    """WeasyPrint documents anchors as a top-left point; this version gives the rectangle."""
    size = SIGNATURE_AREAS_MM["person"]
    width_px, height_px = size[0] * PT_PER_MM / 0.75, size[1] * PT_PER_MM / 0.75
    point = anchor_box(3, 1122.52, (100.0, 200.0), size)
    rectangle = anchor_box(3, 1122.52, (100.0, 200.0, 100.0 + width_px, 200.0 + height_px), size)
    assert point.page == rectangle.page == 3
    assert close(point, (rectangle.x1, rectangle.y1, rectangle.x2, rectangle.y2))
    assert close(
        point,
        (75, 1122.52 * 0.75 - 150 - size[1] * PT_PER_MM, 75 + size[0] * PT_PER_MM, 1122.52 * 0.75 - 150),
    )


def test_a_document_without_signature_areas_has_no_boxes():
    rendered = render_pdf(html("<p>Không có chỗ ký</p>"))
    assert rendered.boxes == {}
    assert rendered.pdf.startswith(b"%PDF-")


def test_font_names_are_tinos_only():
    names = pdf_font_names(
        render_pdf(html("<p>Độc lập - <b>Tự do</b> - <i>Hạnh phúc</i> <b><i>ữ</i></b></p>")).pdf
    )
    assert len(names) == 4, names
    assert all(TINOS.match(name) for name in names), names


def test_font_names_catch_a_fallback_font():
    """A font that is not installed falls back to another one: the check must see it."""
    names = pdf_font_names(
        render_pdf(html("<p>Cộng hòa xã hội chủ nghĩa Việt Nam</p>", font='"NoSuchFont"')).pdf
    )
    assert names
    assert not any(TINOS.match(name) for name in names), names


def test_font_names_include_form_xobjects():
    """Fonts used only inside a form XObject (a stamp, a signature appearance) are listed too."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.stamp import TextStamp, TextStampStyle

    writer = IncrementalPdfFileWriter(io.BytesIO(render_pdf(html("<p>Văn bản</p>")).pdf), strict=False)
    TextStamp(writer=writer, style=TextStampStyle(stamp_text="Signed")).apply(0, 100, 100)
    out = io.BytesIO()
    writer.write(out)
    names = pdf_font_names(out.getvalue())
    assert "Courier" in names  # pyHanko's stamp font, only in the stamp's XObject resources
    assert any(TINOS.match(name) for name in names)


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("ỦY BAN NHÂN DÂN PHƯỜNG TÂN THẠNH", ["ỦY BAN NHÂN DÂN", "PHƯỜNG TÂN THẠNH"]),
        ("HỘI ĐỒNG NHÂN DÂN  XÃ TỊNH KHÊ", ["HỘI ĐỒNG NHÂN DÂN", "XÃ TỊNH KHÊ"]),
        ("SỞ NỘI VỤ", ["SỞ NỘI VỤ"]),
        ("ỦY BAN NHÂN DÂN", ["ỦY BAN NHÂN DÂN"]),
        ("", []),
    ],
)
def test_organ_lines(name, lines):
    assert organ_lines(name) == lines
