"""A real browser (Debian's Chromium driven by Playwright) through the demo portal.

Loads the same demo data as `make run` (the real 2025 unit list, the Quảng Nam history, the
demo personas), then logs in as each persona, opens the unit directory and searches without
diacritics, as a user would.
"""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from demo.units import DEMO_PASSWORD, load_demo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags the machine needs: no sandbox as root, and no background traffic to a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# serialized_rollback: the flush after a live-server test would otherwise also remove the data
# the migrations seed (unit kinds, roles, channels) that the next test needs.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def browser_page(live_server):
    load_demo(log=lambda *_: None)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        # An English-language browser: the portal must still speak Vietnamese, dates included.
        context = browser.new_context(locale="en-US", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15000)
        problems: list[str] = []
        # Console errors (a CSP violation, a script error) and failed requests, with their URL.
        page.on(
            "console",
            lambda msg: (
                problems.append(msg.text)
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        yield page, problems
        context.close()
        browser.close()


def log_in(page: Page, username: str) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Xin chào")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()


def search(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox")
    box.fill(text)  # htmx searches as the user types, without a page load


def test_each_persona_logs_in_and_browses_the_units_they_may_see(browser_page):
    page, problems = browser_page

    # Province reviewer: sees Đà Nẵng and finds a ward typed without diacritics.
    log_in(page, "snv.danang")
    expect(page.locator("#attention-review")).to_contain_text("đơn vị cấp xã")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Đơn vị hành chính"
    ).click()
    expect(page.locator("#results")).to_contain_text("Thành phố Đà Nẵng")
    search(page, "ban thach")
    expect(page.locator("#results")).to_contain_text("Phường Bàn Thạch")
    expect(page.locator("#results")).to_contain_text("Tìm thấy 1 đơn vị")
    expect(page.locator("#results")).to_contain_text("từ 01/07/2025")
    assert "q=ban" in page.url  # the search is in the address bar, so it can be shared
    page.get_by_role("link", name="Phường Bàn Thạch").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Phường Bàn Thạch")
    expect(page.locator(".doc-header")).to_contain_text("ỦY BAN NHÂN DÂN PHƯỜNG BÀN THẠCH")
    # Its pre-2025 predecessors are there, including the ward that issued the seed plan.
    expect(page.get_by_text("Hình thành từ:")).to_be_visible()
    expect(page.get_by_role("link", name="Phường Tân Thạnh")).to_be_visible()
    page.get_by_role("link", name="Thành phố Đà Nẵng").first.click()
    expect(page.locator("#children")).to_contain_text("Phường Hải Châu")
    page.get_by_label("Lọc theo tên hoặc mã").fill("HAI CHAU")
    expect(page.locator("#children tbody tr")).to_have_count(1)
    log_out(page)

    # A reviewer of another province does not find Đà Nẵng's wards at all.
    log_in(page, "snv.quangngai")
    page.goto("/don-vi/")
    search(page, "ban thach")
    expect(page.locator("#results")).to_contain_text("Không tìm thấy đơn vị nào")
    search(page, "QUANG NGAI")
    expect(page.locator("#results")).to_contain_text("Tỉnh Quảng Ngãi")
    log_out(page)

    # A commune officer sees their own ward only; the city above is a name, not a link.
    log_in(page, "canbo.tamky")
    expect(page.locator("#attention-progress")).to_be_visible()
    page.goto("/don-vi/")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Phường Tam Kỳ")
    search(page, "hai chau")
    expect(page.locator("#results")).to_contain_text("Không tìm thấy đơn vị nào")
    response = page.goto("/don-vi/1/")  # a forged address outside their scope
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    problems.remove(f"404 {page.url}")
    log_out(page)

    # The commune leader and the other officer log in too.
    for username, card in (("chutich.tamky", "#attention-sign"), ("canbo.banthach", "#attention-progress")):
        log_in(page, username)
        expect(page.locator(card)).to_be_visible()
        log_out(page)

    # The administrator sees the whole country, historical units on request, and the audit log.
    log_in(page, "admin")
    expect(page.locator("#attention-admin")).to_contain_text("34 đơn vị cấp tỉnh, 3321 đơn vị cấp xã")
    page.goto("/don-vi/")
    expect(page.locator("#results tbody tr")).to_have_count(34)
    page.get_by_label("Gồm cả đơn vị đã hết hiệu lực").check()
    # with the former Tỉnh Quảng Nam and the former Thành phố Đà Nẵng (until 30/6/2025)
    expect(page.locator("#results tbody tr")).to_have_count(36)
    search(page, "tan thanh")
    expect(page.locator("#results")).to_contain_text("Phường Tân Thạnh")
    page.goto("/nhat-ky/")
    expect(page.get_by_role("heading", name="Nhật ký thay đổi")).to_be_visible()
    page.goto("/quan-tri/units/unit/nhap/")
    expect(page.get_by_role("button", name="Xem trước")).to_be_visible()
    page.goto("/")
    log_out(page)

    assert problems == [], problems
