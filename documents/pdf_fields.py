"""The form fields of an official document: the two signatures and what the văn thư fills.

Every document is signed in prepared fields (NĐ 30 Điều 14): the leader's signature
(`ChuKyLanhDao`), then the body's (`ChuKyCoQuan`). A document the văn thư has not numbered yet
also has two empty text fields where its number and its place and date go (`SoVanBan`,
`NgayBanHanh`; a report's annex two more, `SoVanBanPhuLuc`, `NgayBanHanhPhuLuc`): the leader
signs without them, the văn thư fills them when issuing, then the
body signs. Between the two signatures only these prepared fields change; the strict judgement
(documents/verification.py) refuses anything else.

The fields are written with pyHanko's incremental writer. A filled text field carries its own
appearance (Tinos, as the rest of the document) and the AcroForm never asks viewers to redraw
appearances (/NeedAppearances), so what was signed is what every viewer shows.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cchc_portal.lib.documents import Box
from documents.signing import STAMP_FONT, SigningError, _stamp_font_factory_class

PERSON_FIELD = "ChuKyLanhDao"
ORGANISATION_FIELD = "ChuKyCoQuan"
NUMBER_FIELD = "SoVanBan"
DATE_FIELD = "NgayBanHanh"
# A report's annex repeats the number and date: "(Kèm theo Báo cáo số 05/BC-UBND ngày 05 tháng
# 01 năm 2026 của …)" (NĐ 30 PL I III.1.c); filled at issue with the header's.
ANNEX_NUMBER_FIELD = "SoVanBanPhuLuc"
ANNEX_DATE_FIELD = "NgayBanHanhPhuLuc"
# Rendered area → field name (cchc_portal.lib.documents.render_pdf names the areas).
SIGNATURE_FIELDS = {"person": PERSON_FIELD, "organisation": ORGANISATION_FIELD}
TEXT_FIELDS = {
    "number": NUMBER_FIELD,
    "date": DATE_FIELD,
    "annex-number": ANNEX_NUMBER_FIELD,
    "annex-date": ANNEX_DATE_FIELD,
}
ITALIC_FONT = STAMP_FONT.replace("Tinos-Regular", "Tinos-Italic")


# How far the field's bottom is below the baseline of its line (room for descenders: "ngày").
BASELINE_PT = 3.5


@dataclass(frozen=True)
class TextLook:
    font_file: str
    size: float
    align: str  # "right" | "center"


# NĐ 30 PL I: the number 13 upright; the place and date 14 italic; the annex's line 14 italic.
LOOKS = {
    NUMBER_FIELD: TextLook(STAMP_FONT, 13, "right"),
    DATE_FIELD: TextLook(ITALIC_FONT, 14, "center"),
    ANNEX_NUMBER_FIELD: TextLook(ITALIC_FONT, 14, "right"),
    ANNEX_DATE_FIELD: TextLook(ITALIC_FONT, 14, "center"),
}


def prepare(pdf: bytes, boxes: dict[str, Box]) -> bytes:
    """`pdf` with empty fields on its rendered areas (an incremental update): the signature
    fields always, the number and date fields when the renderer left room for them."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field, ensure_sig_flags

    missing = [area for area in SIGNATURE_FIELDS if area not in boxes]
    if missing:
        raise SigningError(_("Văn bản không có vị trí chữ ký: %(areas)s.") % {"areas": ", ".join(missing)})
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        for area, name in SIGNATURE_FIELDS.items():
            box = boxes[area]
            append_signature_field(
                writer,
                SigFieldSpec(sig_field_name=name, on_page=box.page, box=(box.x1, box.y1, box.x2, box.y2)),
            )
        form = writer.root["/AcroForm"]
        for area, name in TEXT_FIELDS.items():
            box = boxes.get(area)
            if box is None:
                continue
            page_ref = writer.find_page_for_modification(box.page)[0]
            page = page_ref.get_object()
            # No /P: the widget is found through the page's /Annots, and pyHanko's difference
            # analysis then sees only the field itself change when it is filled.
            widget = generic.DictionaryObject(
                {
                    pdf_name("/FT"): pdf_name("/Tx"),
                    pdf_name("/T"): generic.TextStringObject(name),
                    pdf_name("/Type"): pdf_name("/Annot"),
                    pdf_name("/Subtype"): pdf_name("/Widget"),
                    pdf_name("/Rect"): generic.ArrayObject(
                        generic.FloatObject(v) for v in (box.x1, box.y1, box.x2, box.y2)
                    ),
                    pdf_name("/F"): generic.NumberObject(4),  # print
                    pdf_name("/Ff"): generic.NumberObject(1),  # read-only for viewers
                    pdf_name("/DA"): generic.TextStringObject("/TiRo 0 Tf 0 g"),
                }
            )
            reference = writer.add_object(widget)
            form["/Fields"].append(reference)
            if "/Annots" not in page:
                page[pdf_name("/Annots")] = generic.ArrayObject()
            page["/Annots"].append(reference)
            writer.update_container(page)
        writer.update_container(form)
        # SignaturesExist | AppendOnly, as signing sets them.
        ensure_sig_flags(writer, lock_sig_flags=True)
        out = io.BytesIO()
        writer.write(out)
    except SigningError:
        raise
    except Exception as exc:
        raise SigningError(_("Không chuẩn bị được tệp PDF để ký: %(error)s") % {"error": exc}) from None
    return out.getvalue()


def text_fields(pdf: bytes) -> dict[str, str | None]:
    """The document's prepared text fields and their values (None while empty)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf))
    found: dict[str, str | None] = {}
    if "/AcroForm" not in reader.root:
        return found
    for ref in reader.root["/AcroForm"].get("/Fields", []):
        field = ref.get_object()
        if field.get("/FT") == "/Tx" and str(field.get("/T")) in LOOKS:
            value = field.get("/V")
            found[str(field["/T"])] = str(value) if value else None
    return found


@functools.cache
def _style(name: str):
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    look = LOOKS[name]
    return TextStampStyle(
        stamp_text="%(text)s",
        border_width=0,
        text_box_style=TextBoxStyle(
            font=_stamp_font_factory_class()(look.font_file, font_size=look.size, bcp47_lang_code="vi"),
            font_size=look.size,
            # pyHanko pads a text box by 10 pt by default; the field's own box is the margin.
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins(),
            ),
        ),
        # The baseline BASELINE_PT above the field's bottom, where the text around it has its
        # own (templates/documents/nd30.css puts the field's bottom that far below the line).
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MAX
            if look.align == "right"
            else layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(bottom=BASELINE_PT),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )


def fill(pdf: bytes, values: dict[str, str]) -> bytes:
    """Fill prepared, still empty text fields (an incremental update, no signature): the value and
    an appearance that draws it. Refuses a field that is missing or already filled."""
    from pyhanko.pdf_utils import generic, layout
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.stamp import TextStamp

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        # Indexing resolves the indirect reference; .get() would not.
        form = writer.root["/AcroForm"] if "/AcroForm" in writer.root else {}  # noqa: SIM401
        fields = {str(ref.get_object().get("/T")): ref for ref in form.get("/Fields", [])}
    except Exception as exc:
        raise SigningError(_("Không đọc được tệp PDF: %(error)s") % {"error": exc}) from None
    for name, text in values.items():
        ref = fields.get(name)
        field = ref.get_object() if ref is not None else None
        if field is None or field.get("/FT") != "/Tx" or name not in LOOKS:
            raise SigningError(_("Văn bản không có ô “%(field)s” để điền.") % {"field": name})
        if field.get("/V"):
            raise SigningError(_("Ô “%(field)s” của văn bản đã được điền.") % {"field": name})
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
        stamp = TextStamp(
            writer, _style(name), text_params={"text": text}, box=layout.BoxConstraints(x2 - x1, y2 - y1)
        )
        appearance = stamp.register()
        field[pdf_name("/V")] = generic.TextStringObject(text)
        field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): appearance})
        writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def field_box(pdf: bytes, name: str) -> Box:
    """Where a prepared field is: its page and rectangle (the page whose /Annots hold it)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        field_ref = next(
            (ref for ref in reader.root["/AcroForm"]["/Fields"] if str(ref.get_object().get("/T")) == name),
            None,
        )
        if field_ref is not None:
            for index in range(int(reader.root["/Pages"]["/Count"])):
                page = reader.find_page_for_modification(index)[0].get_object()
                annots = page.get("/Annots", [])
                if any(getattr(a, "idnum", None) == field_ref.idnum for a in annots):
                    x1, y1, x2, y2 = (float(v) for v in field_ref.get_object()["/Rect"])
                    return Box(index, x1, y1, x2, y2)
    except Exception as exc:
        raise SigningError(
            _("Không đọc được ô “%(field)s” của văn bản: %(error)s") % {"field": name, "error": exc}
        ) from None
    raise SigningError(_("Văn bản không có ô “%(field)s”.") % {"field": name})
