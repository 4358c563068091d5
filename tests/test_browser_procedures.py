"""The TTHC import in the admin, end to end in a real browser: upload the national portal's
export, read the preview, confirm, find a procedure without typing its diacritics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import make_user
from demo.units import DEMO_PASSWORD
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SAMPLE = Path(__file__).resolve().parents[1] / "procedures" / "data" / "tthc-portal-export-sample.xlsx"


@pytest.fixture
def page(live_server, tmp_path, settings):
    from playwright.sync_api import sync_playwright

    settings.MEDIA_ROOT = tmp_path
    admin = make_user("quantri", superuser=True, first_name="Quản trị")
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="vi-VN", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15000)
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        yield page
        assert problems == [], problems
        browser.close()


def test_the_admin_imports_the_portal_export(page):
    log_in(page, "quantri")
    page.goto("/quan-tri/procedures/procedure/")
    page.get_by_role("link", name="Nhập danh mục TTHC từ tệp").click()
    page.locator("input[type=file]").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Xem trước").click()
    expect(page.locator("#count-new")).to_have_text("271")
    expect(page.locator("#new-rows")).to_contain_text("Sở Tư Pháp")
    page.get_by_role("button", name="Xác nhận nhập").click()
    expect(
        page.get_by_text(re.compile("Đã nhập tthc-portal-export-sample.xlsx: 271 thêm mới"))
    ).to_be_visible()
    page.get_by_role("searchbox").fill("nuoi con nuoi yeu to nuoc ngoai")
    page.keyboard.press("Enter")
    expect(page.locator("#result_list")).to_contain_text("Giải quyết việc nuôi con nuôi có yếu tố nước ngoài")
    # The same file again: nothing to do.
    page.goto("/quan-tri/procedures/procedure/nhap/")
    page.locator("input[type=file]").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Xem trước").click()
    expect(page.locator("#count-unchanged")).to_have_text("271")
    expect(page.get_by_text("Tệp không có thay đổi nào so với danh mục hiện có.")).to_be_visible()
