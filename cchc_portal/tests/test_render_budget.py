"""A PDF render is bounded: too much HTML is refused before layout, a layout past its time is
stopped (and the next render is served), and no resource outside the document is fetched."""

from __future__ import annotations

import base64
import http.server
import threading
import time

import pytest

from cchc_portal.lib.documents import RenderTooLong, render_pdf, too_long_message

PAGE = '<html lang="vi"><body style="font-family: Tinos">%s</body></html>'
# A 1×1 red PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def test_it_renders_within_the_budget():
    rendered = render_pdf(PAGE % "<p>Kế hoạch tuyên truyền</p>")
    assert rendered.pdf.startswith(b"%PDF") and rendered.page_count == 1


def test_it_refuses_html_above_the_size_budget_before_layout(settings):
    settings.CCHC_RENDER_MAX_CHARS = 10_000
    title = "Tuyên truyền " * 1_000
    started = time.perf_counter()
    with pytest.raises(RenderTooLong) as caught:
        render_pdf(PAGE % f"<p>{title}</p>", parts={"tên nhiệm vụ 1.1": title, "trích yếu": "Kế hoạch"})
    assert time.perf_counter() - started < 0.5
    message = str(caught.value)
    assert "quá dài" in message
    assert "tên nhiệm vụ 1.1 (13.000 ký tự)" in message
    assert "“Tuyên truyền Tuyên truyền" in message


def test_it_stops_a_layout_past_its_time_and_serves_the_next(settings):
    settings.CCHC_RENDER_TIMEOUT = 0.5
    long = "<p>Tuyên truyền cải cách hành chính đến người dân.</p>" * 10_000  # several seconds
    started = time.perf_counter()
    with pytest.raises(RenderTooLong) as caught:
        render_pdf(PAGE % long, parts={"phần “Kết quả thực hiện”": long})
    assert time.perf_counter() - started < 2
    assert "quá thời gian cho phép" in str(caught.value)
    assert "phần “Kết quả thực hiện”" in str(caught.value)
    assert render_pdf(PAGE % "<p>Tiếp theo</p>").page_count == 1


def test_an_error_in_the_layout_reaches_the_caller():
    # Not a string: WeasyPrint fails in the child, and the caller gets the error as if it had
    # laid out the document itself.
    with pytest.raises(TypeError, match="bytes-like object is required"):
        render_pdf(["<p>Văn bản</p>"])  # type: ignore[arg-type]


def test_without_a_time_budget_it_lays_out_in_the_process(settings):
    settings.CCHC_RENDER_TIMEOUT = 0
    assert render_pdf(PAGE % "<p>Văn bản</p>").page_count == 1


def test_the_message_without_parts_is_still_vietnamese():
    assert too_long_message(None, slow=False).startswith("Văn bản quá dài để tạo bản PDF")


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def _images(pdf: bytes) -> int:
    return pdf.count(b"/Subtype /Image")


def test_it_fetches_no_file_and_no_network_resource(recorder, tmp_path):
    image = tmp_path / "anh.png"
    image.write_bytes(PNG)
    html = PAGE % (
        f'<link rel="stylesheet" href="{recorder}/kieu.css">'
        f'<img src="{recorder}/anh.png"><img src="file://{image}"><img src="file:///etc/passwd">'
        f'<p style="background: url({recorder}/nen.png)">Văn bản</p>'
    )
    rendered = render_pdf(html, base_url=recorder + "/")
    assert _Recorder.requests == []
    assert _images(rendered.pdf) == 0
    # A relative address against the base URL is refused the same way.
    render_pdf(PAGE % '<img src="anh.png">', base_url=recorder + "/")
    assert _Recorder.requests == []


def test_it_reads_an_image_inlined_as_data(recorder):
    inlined = base64.b64encode(PNG).decode()
    rendered = render_pdf(PAGE % f'<img src="data:image/png;base64,{inlined}" style="width: 10mm">')
    assert _images(rendered.pdf) > 0
    # (The same image from the local server would have been drawn if fetching were allowed.)
    assert _Recorder.requests == []


def test_a_layout_process_that_dies_is_a_refusal_with_the_reason(settings):
    """A render child killed (out of memory, a crash in a C library) answers like a document too
    long to lay out: the Vietnamese message naming the longest part, never a 500."""
    import multiprocessing

    settings.CCHC_RENDER_TIMEOUT = 60
    long = "<p>Tuyên truyền cải cách hành chính đến người dân.</p>" * 10_000  # several seconds
    outcome: list[BaseException] = []

    def render() -> None:
        try:
            render_pdf(PAGE % long, parts={"phần “Kết quả thực hiện”": long})
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=render)
    thread.start()
    deadline = time.monotonic() + 20
    while not multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    for child in multiprocessing.active_children():
        child.kill()  # as the kernel's OOM killer would
    thread.join(timeout=30)
    assert outcome and isinstance(outcome[0], RenderTooLong), outcome
    assert "quá dài" in str(outcome[0]) and "phần “Kết quả thực hiện”" in str(outcome[0])
    assert render_pdf(PAGE % "<p>Tiếp theo</p>").page_count == 1
