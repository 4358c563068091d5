"""The reporting journey in a real browser: an officer enters progress with evidence, the office
submits, the province returns it with a reason, the officer fixes an entry, the office submits
again, the province accepts, and the roll-up shows the new figures and the unit on time or late.
And two people editing one entry: the second save shows the conflict and loses nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import build_world
from demo.units import DEMO_PASSWORD
from reports import services
from reports.tests.conftest import build_reporting
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def world_and_browser(live_server, tmp_path, settings):
    from playwright.sync_api import sync_playwright

    settings.MEDIA_ROOT = tmp_path
    w = build_reporting(build_world())
    for user in (w.officer_a, w.officer_b, w.leader_a, w.reviewer):
        user.set_password(DEMO_PASSWORD)
        user.save()
    w.period = services.current_period(w.plan_a)
    assert w.period is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        problems: list[str] = []

        def new_page() -> Page:
            context = browser.new_context(locale="vi-VN", base_url=live_server.url)
            page = context.new_page()
            page.set_default_timeout(15000)
            page.on("dialog", lambda dialog: dialog.accept())
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
            return page

        w.new_page = new_page
        yield w
        assert problems == [], problems
        browser.close()


def entry_card(page: Page, title: str):
    return page.locator("article.entry", has=page.get_by_role("heading", name=title))


def fill_entry(page: Page, title: str, *, status: str, target: str, narrative: str) -> None:
    card = entry_card(page, title)
    card.get_by_label("Tình trạng").select_option(label=status)
    field = card.locator("input[data-target-name]").first
    field.fill(target)
    field.press("Tab")
    card.locator("textarea[name=narrative]").fill(narrative)
    card.locator("textarea[name=narrative]").press("Tab")
    settle(page)
    expect(card.locator(".save-state")).to_contain_text("Đã lưu lúc")


def settle(page: Page) -> None:
    """Wait for the autosaves to finish: the typing trigger fires 1.2 s after the last key, and
    htmx marks an element with .htmx-request while its request is on its way."""
    page.wait_for_timeout(1500)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def open_entries(page: Page) -> None:
    """From the menu: a period nobody has started offers a button that starts it, a started one a link."""
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Báo cáo").click()
    name = "Nhập kết quả thực hiện"
    page.get_by_role("link", name=name).or_(page.get_by_role("button", name=name)).first.click()
    expect(page.get_by_role("heading", name=re.compile("Kết quả thực hiện"))).to_be_visible()


def goto_entries(page: Page, w) -> None:
    """The entry page by its address; a period nobody has started is started with its button."""
    page.goto(f"/bao-cao/{w.commune_a.pk}/{w.period.code}/nhap/")
    start = page.get_by_role("button", name="Bắt đầu nhập kết quả")
    if start.count():
        start.click()
    expect(page.get_by_role("heading", name=re.compile("Kết quả thực hiện"))).to_be_visible()


def test_report_journey(world_and_browser, tmp_path):
    w = world_and_browser
    page = w.new_page()
    radio, listing = "Chuyên mục CCHC trên hệ thống truyền thanh", "Niêm yết công khai TTHC"
    photo = tmp_path / "hoi-nghi.png"
    from PIL import Image

    Image.new("RGB", (40, 30), "green").save(photo)

    # The officer enters progress with evidence for the two tasks.
    log_in(page, "canbo.a")
    open_entries(page)
    fill_entry(page, radio, status="Hoàn thành đúng hạn", target="10", narrative="Phát 10 chuyên đề")
    fill_entry(page, listing, status="Đang thực hiện", target="90", narrative="Niêm yết tại bộ phận một cửa")
    for title in (radio, listing):
        card = entry_card(page, title)
        card.locator("input[type=file]").set_input_files(str(photo))
        card.get_by_role("button", name="Thêm tài liệu").click()
        expect(card.locator(".evidence-list")).to_contain_text("hoi-nghi.png")
        settle(page)
    log_out(page)

    # The office (the chairman holds compile) submits.
    log_in(page, "chutich.a")
    page.goto(f"/bao-cao/{w.commune_a.pk}/{w.period.code}/")
    page.get_by_role("button", name="Gửi báo cáo", exact=True).click()
    expect(page.get_by_text(re.compile("Đã gửi báo cáo"))).to_be_visible()
    log_out(page)

    # The province reviewer returns it with a reason.
    log_in(page, "snv.danang")
    page.goto(f"/theo-doi/{w.danang.pk}/{w.period.code}/")
    expect(page.locator("#completeness")).to_contain_text("Đã gửi 1/2")
    page.get_by_role("link", name="Phường Tam Kỳ").click()
    page.get_by_label("Lý do trả lại").fill("Số chuyên đề chưa khớp sổ theo dõi")
    page.get_by_role("button", name="Trả lại").click()
    expect(page.get_by_text("Đã trả lại báo cáo của Phường Tam Kỳ.")).to_be_visible()
    log_out(page)

    # The officer sees why and fixes the entry.
    log_in(page, "canbo.a")
    open_entries(page)
    expect(page.get_by_text("Số chuyên đề chưa khớp sổ theo dõi")).to_be_visible()
    fill_entry(page, radio, status="Hoàn thành đúng hạn", target="12", narrative="Phát 12 chuyên đề")
    log_out(page)

    # Resubmitted, then accepted.
    log_in(page, "chutich.a")
    page.goto(f"/bao-cao/{w.commune_a.pk}/{w.period.code}/")
    page.get_by_role("button", name="Gửi lại báo cáo", exact=True).click()
    expect(page.get_by_text(re.compile("Đã gửi báo cáo"))).to_be_visible()
    log_out(page)
    log_in(page, "snv.danang")
    page.goto(f"/bao-cao/{w.commune_a.pk}/{w.period.code}/")
    page.get_by_role("button", name="Tiếp nhận").click()
    expect(page.get_by_text("Đã tiếp nhận báo cáo của Phường Tam Kỳ.")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("Trả lại")

    # The roll-up shows the new figures and the unit on time (or late, past the deadline).
    page.goto(f"/tong-hop/{w.danang.pk}/{w.period.code}/")
    row = page.locator("#rollup-tasks tr", has_text=radio)
    expect(row).to_contain_text("Chuyên đề phát thanh: 12")
    expect(row).to_contain_text("1/2 hoàn thành")
    late = services.today() > w.period.deadline(20)
    unit_row = page.locator("#rollup-units tr", has_text="Phường Tam Kỳ")
    expect(unit_row).to_contain_text("Đã tiếp nhận")
    if late:
        expect(unit_row).to_contain_text("trễ hạn")
    else:
        expect(unit_row).not_to_contain_text("trễ hạn")


def test_two_people_edit_the_same_entry(world_and_browser):
    w = world_and_browser
    radio = "Chuyên mục CCHC trên hệ thống truyền thanh"
    first, second = w.new_page(), w.new_page()
    log_in(first, "canbo.a")
    log_in(second, "chutich.a")
    for page in (first, second):
        goto_entries(page, w)
    fill_entry(first, radio, status="Đang thực hiện", target="4", narrative="Bản của cán bộ")
    # The second person's page still holds the version they loaded.
    card = entry_card(second, radio)
    card.locator("textarea[name=narrative]").fill("Bản của chủ tịch")
    card.locator("textarea[name=narrative]").press("Tab")
    card = entry_card(second, radio)
    expect(card.locator(".conflict")).to_contain_text("vừa lưu kết quả này")
    expect(card.locator(".conflict")).to_contain_text("Bản của cán bộ")
    expect(card.locator("textarea[name=narrative]")).to_have_value("Bản của chủ tịch")  # nothing lost
    card.get_by_role("button", name="Giữ bản của tôi (ghi đè)").click()
    expect(entry_card(second, radio).locator(".save-state")).to_contain_text("Đã lưu lúc")
    # The first person, reloading, sees the version that was kept.
    first.reload()
    expect(entry_card(first, radio).locator("textarea[name=narrative]")).to_have_value("Bản của chủ tịch")


def test_a_lost_connection_is_shown_and_the_entry_saved_when_it_is_back(world_and_browser):
    w = world_and_browser
    radio = "Chuyên mục CCHC trên hệ thống truyền thanh"
    page = w.new_page()
    log_in(page, "canbo.a")
    goto_entries(page, w)
    page.context.set_offline(True)
    card = entry_card(page, radio)
    card.locator("textarea[name=narrative]").fill("Gõ khi mất mạng")
    card.locator("textarea[name=narrative]").press("Tab")
    expect(card.locator(".save-state")).to_contain_text("Chưa lưu: mất kết nối")
    expect(page.locator("#connection-banner")).to_be_visible()
    expect(card.locator("textarea[name=narrative]")).to_have_value("Gõ khi mất mạng")
    page.context.set_offline(False)
    expect(card.locator(".save-state")).to_contain_text("Đã lưu lúc", timeout=20000)
    page.reload()
    expect(entry_card(page, radio).locator("textarea[name=narrative]")).to_have_value("Gõ khi mất mạng")
