"""Catalogue pages, a unit's listing page (htmx row editing, bulk action) and the listing PDF."""

from __future__ import annotations

import datetime
import subprocess
import tempfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cchc_portal.lib.documents import pdf_font_names
from procedures.models import (
    ImportBatch,
    Level,
    OnlineLevel,
    Procedure,
    ProcedureChange,
    ProcedureStatus,
    UnitProcedure,
)
from procedures.tests.test_search import make_procedure

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def catalogue(world):
    return {
        p.code: p
        for p in [
            make_procedure(
                "1.001193",
                "Đăng ký khai sinh",
                online=OnlineLevel.PARTIAL,
                agencies=["UBND cấp xã", "Công chức tư pháp - hộ tịch"],
                ministry="Bộ Tư pháp",
            ),
            make_procedure("1.001022", "Đăng ký kết hôn", online=OnlineLevel.FULL),
            make_procedure("1.004227", "Chứng thực chữ ký", field="Chứng thực"),
            make_procedure("1.000105", "Thủ tục đã bãi bỏ", status=ProcedureStatus.REPEALED),
            make_procedure("2.000889", "Cấp giấy phép xây dựng", field="Xây dựng", levels=[Level.PROVINCE]),
        ]
    }


def _bulk(count: int, prefix: str = "9") -> None:
    Procedure.objects.bulk_create(
        [
            make_procedure(f"{prefix}.{i:06d}", f"Thủ tục số {i}", field=f"Lĩnh vực {i % 9}", save=False)
            for i in range(count)
        ]
    )


# --- catalogue ------------------------------------------------------------------------------------


def test_the_catalogue_needs_a_login(client, world):
    response = client.get(reverse("procedures:list"))
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


def test_catalogue_list_and_search(as_persona, catalogue):
    client = as_persona("officer_b")
    url = reverse("procedures:list")
    page = client.get(url).content.decode()
    for text in (
        "Đăng ký khai sinh",
        "1.001193",
        "Hộ tịch",
        "Cấp xã",
        "Một phần",
        "Bị bãi bỏ",
        "Thủ tục hành chính",
    ):
        assert text in page, text
    assert 'hx-trigger="input changed delay:300ms' in page
    assert "<script>" not in page  # CSP: no inline scripts
    page = client.get(url, {"q": "dang ky khai sinh"}).content.decode()
    assert "Đăng ký khai sinh" in page and "Đăng ký kết hôn" not in page
    page = client.get(url, {"q": "DANG KY", "status": "active"}).content.decode()
    assert "Đăng ký kết hôn" in page and "Thủ tục đã bãi bỏ" not in page
    page = client.get(url, {"level": "tinh"}).content.decode()
    assert "Cấp giấy phép xây dựng" in page and "Đăng ký kết hôn" not in page
    page = client.get(url, {"q": "khong co thu tuc nay"}).content.decode()
    assert "Không tìm thấy thủ tục nào" in page
    # A wrong filter value is ignored, not an error.
    assert client.get(url, {"level": "sao-hoa", "status": "x"}).status_code == 200


def test_live_search_answers_with_the_results_only(as_persona, catalogue):
    client = as_persona("officer_a")
    response = client.get(reverse("procedures:list"), {"q": "ket hon"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="results"') and "<html" not in page
    assert "Đăng ký kết hôn" in page and "Đăng ký khai sinh" not in page
    assert "HX-Request" in response["Vary"]


def test_the_catalogue_is_paginated_by_50(as_persona, world):
    _bulk(60)
    client = as_persona("officer_a")
    first = client.get(reverse("procedures:list")).content.decode()
    second = client.get(reverse("procedures:list"), {"page": 2}).content.decode()
    assert "9.000049" in first and "9.000050" not in first
    assert "9.000050" in second and "9.000059" in second
    assert "Trang 1/2" in first


def test_catalogue_query_count_does_not_grow(as_persona, world):
    client = as_persona("officer_a")
    url = reverse("procedures:list")
    _bulk(10)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"q": "thu tuc"}).status_code == 200
    _bulk(300, prefix="8")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url, {"q": "thu tuc"}).status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


def test_procedure_detail_with_history(as_persona, catalogue, world):
    procedure = catalogue["1.001193"]
    batch = ImportBatch.objects.create(
        source_name="danh-muc-2026.xlsx", sha256="0" * 64, imported_by=world.admin
    )
    ProcedureChange.objects.create(batch=batch, procedure=procedure, kind=ProcedureChange.Kind.ADDED)
    later = ImportBatch.objects.create(source_name="danh-muc-2026-06.xlsx", sha256="1" * 64)
    ProcedureChange.objects.create(
        batch=later,
        procedure=procedure,
        kind=ProcedureChange.Kind.CHANGED,
        diff={
            "online_level": ["", "mot_phan"],
            "levels": [["huyen"], ["xa"]],
            "agencies": [[], ["UBND cấp xã"]],
        },
    )
    client = as_persona("other_reviewer")  # the catalogue is national: everyone reads it
    url = reverse("procedures:detail", args=["1.001193"])
    assert url == "/thu-tuc/1.001193/"
    page = client.get(url).content.decode()
    for text in (
        "Đăng ký khai sinh",
        "Bộ Tư pháp",
        "Công chức tư pháp - hộ tịch",
        "danh-muc-2026.xlsx",
        "danh-muc-2026-06.xlsx",
        "Thêm mới",
        "Sửa đổi",
        "Dịch vụ công trực tuyến",
        "Cấp huyện",
        "Quản trị",  # who imported
    ):
        assert text in page, text
    assert page.index("danh-muc-2026-06.xlsx") < page.index("danh-muc-2026.xlsx")  # newest first
    assert client.get(reverse("procedures:detail", args=["9.999999"])).status_code == 404


# --- a unit's procedures --------------------------------------------------------------------------


def unit_url(w, name="procedures:unit", *args):
    return reverse(name, args=[w.commune_a.pk, *args])


def test_unit_page_for_readers_and_editors(as_persona, catalogue, world):
    UnitProcedure.objects.create(
        unit=world.commune_a, procedure=catalogue["1.001193"], listed_at_centre=timezone.localdate()
    )
    officer = as_persona("officer_a").get(unit_url(world)).content.decode()
    assert "Đã niêm yết 1/3 thủ tục (33,3%)" in officer
    assert "Chứng thực" in officer and "Đăng ký kết hôn" in officer
    assert "Cấp giấy phép xây dựng" not in officer and "Thủ tục đã bãi bỏ" not in officer
    assert 'type="date"' not in officer and "Đánh dấu đã niêm yết" not in officer
    reviewer = as_persona("reviewer").get(unit_url(world)).content.decode()
    assert "Đã niêm yết 1/3 thủ tục" in reviewer and 'type="date"' not in reviewer
    leader = as_persona("leader_a").get(unit_url(world)).content.decode()
    assert 'type="date"' in leader and "Đánh dấu đã niêm yết tại Bộ phận một cửa hôm nay" in leader
    assert as_persona("officer_b").get(unit_url(world)).status_code == 404
    assert as_persona("other_reviewer").get(unit_url(world)).status_code == 404


def test_unit_page_search_and_filters(as_persona, catalogue, world):
    UnitProcedure.objects.create(
        unit=world.commune_a, procedure=catalogue["1.001193"], listed_at_centre=timezone.localdate()
    )
    client = as_persona("officer_a")
    page = client.get(unit_url(world), {"q": "ket hon"}, **HTMX).content.decode()
    assert "<html" not in page and "Đăng ký kết hôn" in page and "Đăng ký khai sinh" not in page
    page = client.get(unit_url(world), {"listed": "chua"}).content.decode()
    assert "Đăng ký kết hôn" in page and "Đăng ký khai sinh" not in page
    page = client.get(unit_url(world), {"listed": "co"}).content.decode()
    assert "Đăng ký kết hôn" not in page and "Đăng ký khai sinh" in page
    page = client.get(unit_url(world), {"field": "Chứng thực"}).content.decode()
    assert "Chứng thực chữ ký" in page and "Đăng ký kết hôn" not in page


def test_editor_sets_a_row(as_persona, catalogue, world):
    client = as_persona("leader_a")
    url = unit_url(world, "procedures:unit_row", "1.001022")
    response = client.post(
        url,
        {
            "handles": ["0", "1"],
            "listed_at_centre": "2026-01-15",
            "listed_on_website": "",
            "listed_by_qr": "20/02/2026",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "procedures-changed"
    page = response.content.decode()
    assert page.lstrip().startswith("<tr") and 'value="2026-01-15"' in page and "Đã lưu" in page
    row = UnitProcedure.objects.get(unit=world.commune_a, procedure=catalogue["1.001022"])
    assert (row.handles, row.listed_at_centre, row.listed_on_website, row.listed_by_qr) == (
        True,
        datetime.date(2026, 1, 15),
        None,
        datetime.date(2026, 2, 20),
    )
    assert row.updated_by == world.leader_a
    # Unticking "Đơn vị thực hiện": only the hidden "0" is posted.
    assert client.post(url, {"handles": "0"}, **HTMX).status_code == 200
    row.refresh_from_db()
    assert row.handles is False and row.listed_at_centre == datetime.date(2026, 1, 15)
    # The share box asks for itself again.
    share = client.get(unit_url(world), {"phan": "ty-le"}, **HTMX).content.decode()
    assert share.lstrip().startswith('<section class="card" id="share"') and "0/2" in share


def test_bad_dates_are_refused_with_a_message(as_persona, catalogue, world):
    client = as_persona("admin")
    url = unit_url(world, "procedures:unit_row", "1.001193")
    response = client.post(url, {"listed_at_centre": "31/02/2026"}, **HTMX)
    assert response.status_code == 422
    assert "Ngày niêm yết tại Bộ phận một cửa không hợp lệ" in response.content.decode()
    response = client.post(url, {"listed_by_qr": "1899-01-01"}, **HTMX)
    assert response.status_code == 422 and "phải trong khoảng từ 01/01/2000" in response.content.decode()
    assert not UnitProcedure.objects.exists()
    repealed = unit_url(world, "procedures:unit_row", "1.000105")
    assert client.post(repealed, {"handles": "1"}, **HTMX).status_code == 422
    assert client.post(unit_url(world, "procedures:unit_row", "0.000000"), {}, **HTMX).status_code == 404


def test_who_may_edit(as_persona, catalogue, world):
    url = unit_url(world, "procedures:unit_row", "1.001193")
    data = {"listed_at_centre": "2026-01-15"}
    assert as_persona("officer_a").post(url, data).status_code == 403  # enters progress only
    assert as_persona("reviewer").post(url, data).status_code == 403  # reviews, does not edit
    assert as_persona("officer_b").post(url, data).status_code == 404  # another commune
    assert as_persona("anonymous").post(url, data).status_code == 302
    assert not UnitProcedure.objects.exists()
    assert (
        as_persona("officer_a").post(unit_url(world), {"action": "add", "add_code": "2.000889"}).status_code
        == 403
    )
    assert as_persona("leader_a").post(url, data).status_code == 200


def test_bulk_listed_today_and_adding_a_procedure(as_persona, catalogue, world):
    client = as_persona("leader_a")
    response = client.post(
        unit_url(world) + "?q=dang+ky",
        {"action": "mark_centre_today", "code": ["1.001193", "1.001022"]},
    )
    assert response.status_code == 302 and response["Location"].endswith("?q=dang+ky")
    today = timezone.localdate()
    assert set(
        UnitProcedure.objects.filter(unit=world.commune_a, listed_at_centre=today).values_list(
            "procedure__code", flat=True
        )
    ) == {"1.001193", "1.001022"}
    page = client.get(response["Location"]).content.decode()
    assert "Đã ghi nhận 2 thủ tục niêm yết" in page
    response = client.post(unit_url(world), {"action": "add", "add_code": "2.000889"}, follow=True)
    page = response.content.decode()
    assert "Đã thêm thủ tục 2.000889" in page and "Cấp giấy phép xây dựng" in page
    assert "Đã niêm yết 2/4 thủ tục (50,0%)" in page
    page = client.post(unit_url(world), {"action": "add", "add_code": "7.7"}, follow=True).content.decode()
    assert "Không có thủ tục mã “7.7”" in page


def test_unit_page_query_count_does_not_grow(as_persona, world):
    client = as_persona("leader_a")
    _bulk(10)
    with CaptureQueriesContext(connection) as few:
        assert client.get(unit_url(world)).status_code == 200
    _bulk(300, prefix="8")
    with CaptureQueriesContext(connection) as many:
        assert client.get(unit_url(world)).status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


# --- the listing board ----------------------------------------------------------------------------


def _text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, timeout=60
        )
    return " ".join(out.stdout.split())


def test_listing_page(as_persona, catalogue, world):
    page = as_persona("reviewer").get(unit_url(world, "procedures:listing")).content.decode()
    for text in (
        "BẢNG NIÊM YẾT THỦ TỤC HÀNH CHÍNH",
        "ỦY BAN NHÂN DÂN",
        "I. Lĩnh vực Chứng thực",
        "II. Lĩnh vực Hộ tịch",
        "Đăng ký khai sinh",
        "Một phần",
        "Toàn trình",
    ):
        assert text in page, text
    assert "Cấp giấy phép xây dựng" not in page


def test_listing_pdf(as_persona, catalogue, world):
    response = as_persona("officer_a").get(unit_url(world, "procedures:listing_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    text = _text(pdf)
    for expected in (
        "BẢNG NIÊM YẾT THỦ TỤC HÀNH CHÍNH",
        "PHƯỜNG TAM KỲ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "II. Lĩnh vực Hộ tịch",
        "Đăng ký khai sinh",
        "1.001193",
        "Mức độ DVC",  # the heading wraps in its column
        "Toàn trình",
    ):
        assert expected in text, expected
    fonts = pdf_font_names(pdf)
    assert fonts and all(name.split("+")[-1].startswith("Tinos") for name in fonts), fonts


def test_a_long_listing_repeats_its_header_on_every_page(as_persona, world):
    _bulk(120)
    response = as_persona("leader_a").get(unit_url(world, "procedures:listing_pdf"))
    text = _text(response.content)
    assert text.count("Tên thủ tục") >= 3 and "Thủ tục số 119" in text


def test_a_listing_too_long_to_print_names_the_longest_procedure(as_persona, catalogue, world, settings):
    settings.CCHC_RENDER_MAX_CHARS = 1_000
    response = as_persona("officer_a").get(unit_url(world, "procedures:listing_pdf"))
    assert response.status_code == 422
    assert f'href="{unit_url(world, "procedures:listing")}"' in response.text
    assert "Văn bản quá dài để tạo bản PDF. Phần dài nhất là thủ tục số" in response.text
