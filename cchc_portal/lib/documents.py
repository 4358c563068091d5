"""Official documents as PDF (NĐ 30/2020): the renderer shared by plans and reports.

`render_pdf` turns an HTML document laid out with templates/documents/nd30.* into PDF bytes
and reports where the signature areas ended up, so that the signatures (documents/signing.py)
can be placed on them. `pdf_font_names` lists the fonts a PDF uses (NĐ 30 allows one font).

A render is bounded: HTML longer than CCHC_RENDER_MAX_CHARS is refused before layout, and the
layout runs in a child process that is killed after CCHC_RENDER_TIMEOUT seconds (WeasyPrint
cannot be interrupted inside a thread), so a pasted novel never holds a worker. Either way
`RenderTooLong` carries a Vietnamese message naming the longest part the caller listed. The
layout fetches no resource: only data: URIs are read (the templates inline their CSS and find
the fonts through fontconfig), never file:// or the network.
"""

from __future__ import annotations

import io
import multiprocessing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from cchc_portal.lib.formatting import number

# The only scheme a document may load a resource from: images inlined by the portal itself.
ALLOWED_URL_SCHEMES = frozenset({"data"})
# What is quoted of the longest part in the message: enough to find it in the editor.
QUOTED_CHARS = 60


@dataclass(frozen=True)
class Box:
    """A rectangle on a PDF page: page index from 0, PDF points, origin at the bottom left."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1


@dataclass
class RenderedPdf:
    pdf: bytes
    # Named areas: "person" (between the signer's title and name), "organisation" (the seal,
    # overlapping the left third of the person's signature), "number" and "date" (the number and
    # the place and date the văn thư fills, on a document not yet numbered).
    boxes: dict[str, Box] = field(default_factory=dict)
    page_count: int = 0


# The signature areas as templates/documents/nd30.css sizes them, in mm (width, height). The
# rectangle normally comes from WeasyPrint's anchor; the size is needed only if an anchor is a
# bare top-left point (as WeasyPrint documents it), and the tests check the two agree.
SIGNATURE_AREAS_MM: dict[str, tuple[float, float]] = {"person": (60.0, 24.0), "organisation": (30.0, 30.0)}
# The number and the place and date the văn thư fills (id="field-number", id="field-date").
# A report's annex repeats them in its "(Kèm theo Báo cáo số …)" line (id="field-annex-number", …).
FIELD_AREAS_MM: dict[str, tuple[float, float]] = {
    "number": (9.0, 6.0),
    "date": (95.0, 7.0),
    "annex-number": (9.0, 6.0),
    "annex-date": (58.0, 7.0),
}
PT_PER_PX = 0.75  # CSS: 96 px = 72 pt = 1 inch
PT_PER_MM = 72 / 25.4


def anchor_box(
    page_index: int, page_height_px: float, anchor: tuple[float, ...], size_mm: tuple[float, float]
) -> Box:
    """A WeasyPrint anchor (CSS px from the page's top left: (x1, y1, x2, y2), or just (x, y))
    as a Box in PDF points from the page's bottom left."""
    if len(anchor) >= 4:
        left, top, right, bottom = anchor[:4]
        x1, x2 = left * PT_PER_PX, right * PT_PER_PX
    else:
        left, top = anchor[:2]
        x1 = left * PT_PER_PX
        x2 = x1 + size_mm[0] * PT_PER_MM
        bottom = top + size_mm[1] * PT_PER_MM / PT_PER_PX
    y1 = (page_height_px - bottom) * PT_PER_PX
    y2 = (page_height_px - top) * PT_PER_PX
    return Box(page_index, round(x1, 3), round(y1, 3), round(x2, 3), round(y2, 3))


class RenderTooLong(Exception):
    """The document is too long to lay out within the budget; str() is the Vietnamese message."""


def too_long_message(parts: Mapping[str, str] | None, *, slow: bool) -> str:
    """Which part to shorten: the longest of `parts` ({label: text the user wrote})."""
    what = _("quá thời gian cho phép") if slow else _("quá dài")
    if not parts:
        return _("Văn bản %(what)s để tạo bản PDF; hãy rút gọn nội dung rồi thử lại.") % {"what": what}
    label, text = max(parts.items(), key=lambda item: len(item[1] or ""))
    quoted = " ".join((text or "").split())[:QUOTED_CHARS]
    return _(
        "Văn bản %(what)s để tạo bản PDF. Phần dài nhất là %(label)s (%(count)s ký tự): “%(quoted)s…”; "
        "hãy rút gọn phần này rồi thử lại."
    ) % {"what": what, "label": label, "count": number(len(text or "")), "quoted": quoted}


def _fetcher():
    """WeasyPrint's own fetcher, allowed data: URIs only and no redirects: anything else (file://,
    http(s)://, ftp://) is refused before a byte is read, and the render goes on without it."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=ALLOWED_URL_SCHEMES, allow_redirects=False, timeout=1)


def _layout(html: str, base_url: str | None) -> RenderedPdf:
    """Lay out `html` with WeasyPrint; find the signature areas."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url, url_fetcher=_fetcher()).render()
    boxes: dict[str, Box] = {}
    areas = [(f"sig-{name}", name, size) for name, size in SIGNATURE_AREAS_MM.items()]
    areas += [(f"field-{name}", name, size) for name, size in FIELD_AREAS_MM.items()]
    for index, page in enumerate(document.pages):
        for anchor_id, name, size in areas:
            anchor = page.anchors.get(anchor_id)
            if anchor is not None and name not in boxes:
                boxes[name] = anchor_box(index, page.height, tuple(anchor), size)
    return RenderedPdf(pdf=document.write_pdf(), boxes=boxes, page_count=len(document.pages))


def _layout_in_child(html: str, base_url: str | None, sender: Any) -> None:
    try:
        sender.send(_layout(html, base_url))
    except Exception as exc:  # sent back and raised in the parent, as if rendered there
        try:
            sender.send(exc)
        except Exception:  # an exception that does not pickle
            sender.send(RuntimeError(f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()


def _context() -> Any:
    """A forkserver: a clean single-threaded process that has WeasyPrint imported and its fonts
    read once (cchc_portal/lib/pdf_warmup.py), so each render forks in milliseconds and inherits
    no thread, lock or database connection of ours. As with any multiprocessing start method but
    fork, the server imports the main script as __mp_main__: manage.py, gunicorn and pytest guard
    their work with `if __name__ == "__main__"`, and so must any script that renders."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["cchc_portal.lib.pdf_warmup"])
    return context


def render_pdf(
    html: str, *, base_url: str | None = None, parts: Mapping[str, str] | None = None
) -> RenderedPdf:
    """Lay out `html` with WeasyPrint within the budget; find the signature areas.

    The areas are the elements with id="sig-person" and id="sig-organisation" (the signatures) and
    id="field-number" and id="field-date" (what the văn thư fills): each becomes the Box
    "person" / "organisation" / "number" / "date" on the page where it was laid out (the first
    one if an id repeats). A document without them gets no boxes.

    `parts` names the texts users wrote ({"tên nhiệm vụ số 3": title, …}): past the budget,
    `RenderTooLong` says which is the longest. CCHC_RENDER_TIMEOUT = 0 lays out in this process,
    without a time bound.
    """
    if len(html) > settings.CCHC_RENDER_MAX_CHARS:
        raise RenderTooLong(too_long_message(parts, slow=False))
    timeout = settings.CCHC_RENDER_TIMEOUT
    if not timeout:
        return _layout(html, base_url)
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_layout_in_child, args=(html, base_url, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise RenderTooLong(too_long_message(parts, slow=True))
        try:
            result = receiver.recv()
        except EOFError:  # the child died (killed for memory, a crash in a C library)
            raise RenderTooLong(too_long_message(parts, slow=False)) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if isinstance(result, BaseException):
        raise result
    return result


# --- fonts ---------------------------------------------------------------------------------------


def _name(value: Any) -> str:
    return str(value.get_object()).lstrip("/")


def _fonts_of(resources: Any, names: set[str], seen: dict[int, Any]) -> None:
    """BaseFont names in a /Resources dictionary: each font (and a Type0 font's descendant),
    the resources of Type3 fonts, and every form XObject, recursively."""
    if resources is None:
        return
    resources = resources.get_object()
    if id(resources) in seen:
        return
    seen[id(resources)] = resources  # kept alive so that its id is not reused
    fonts = resources.get("/Font")
    for ref in fonts.get_object().values() if fonts is not None else ():
        font = ref.get_object()
        if "/BaseFont" in font:
            names.add(_name(font["/BaseFont"]))
        for descendant in font.get("/DescendantFonts", ()):
            descendant = descendant.get_object()
            if "/BaseFont" in descendant:
                names.add(_name(descendant["/BaseFont"]))
        _fonts_of(font.get("/Resources"), names, seen)
    xobjects = resources.get("/XObject")
    for ref in xobjects.get_object().values() if xobjects is not None else ():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            _fonts_of(xobject.get("/Resources"), names, seen)


def pdf_font_names(pdf: bytes) -> list[str]:
    """The BaseFont name of every font the PDF's pages use ("ABCDEF+Tinos-Bold"), sorted, once each.

    Walks the page tree with pyHanko's reader (inherited /Resources included), each page's form
    XObjects, and the appearance streams of its annotations (signature images are drawn there).
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    names: set[str] = set()
    seen: dict[int, Any] = {}
    stack: list[tuple[Any, Any]] = [(reader.root["/Pages"].get_object(), None)]
    while stack:
        node, inherited = stack.pop()
        resources = node.get("/Resources", inherited)
        if "/Kids" in node:
            stack.extend((kid.get_object(), resources) for kid in node["/Kids"])
            continue
        _fonts_of(resources, names, seen)
        for annotation in node.get("/Annots", ()):
            appearance = annotation.get_object().get("/AP")
            normal = appearance.get_object().get("/N") if appearance is not None else None
            normal = normal.get_object() if normal is not None else None
            if normal is not None and "/Resources" in normal:
                _fonts_of(normal["/Resources"], names, seen)
    return sorted(names)
