"""The plan journey in a real browser: author, issue, cascade, assign, amend, take the change."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from demo.documents import load_document_demo
from demo.units import load_demo
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, log_in, log_out

# serialized_rollback: the flush after a live-server test would otherwise also remove the data
# the migrations seed (unit kinds, roles, channels) that the next test needs.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
YEAR = "2027"  # the demo data already holds 2026 plans


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    load_demo(log=lambda *_: None)
    load_document_demo(log=lambda *_: None)  # demo certificates: the leaders sign on the portal
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="vi-VN", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on("dialog", lambda dialog: dialog.accept())
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        yield page
        assert problems == [], problems
        context.close()
        browser.close()


def create_plan(page: Page, mode_label: str) -> None:
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Kế hoạch").click()
    page.get_by_role("link", name="Tạo kế hoạch").click()
    page.get_by_label("Năm", exact=True).fill(YEAR)
    page.get_by_label(mode_label).check()
    page.get_by_role("button", name="Tạo kế hoạch").click()
    expect(page.get_by_role("link", name="Soạn thảo", exact=True).or_(page.locator("#tasks"))).to_be_visible()


def add_task(page: Page, group: str, title: str, target: tuple[str, str, str] | None = None) -> None:
    box = page.locator(".task-group", has=page.get_by_role("heading", name=re.compile(group)))
    box.get_by_role("button", name="+ Thêm nhiệm vụ").click()
    form = page.locator("form.task-form")
    form.get_by_label("Nội dung nhiệm vụ").fill(title)
    if target:
        form.locator("input[name$='-name']").last.fill(target[0])
        form.locator("input[name$='-value']").last.fill(target[1])
        form.locator("input[name$='-unit_of_measure']").last.fill(target[2])
    form.get_by_role("button", name="Lưu nhiệm vụ").click()
    expect(page.locator("form.task-form")).to_have_count(0)
    expect(page.locator("#tasks")).to_contain_text(title)


def open_plan(page: Page, unit: str) -> None:
    page.goto(f"/ke-hoach/?year={YEAR}")
    page.get_by_role("row", name=re.compile(unit)).get_by_role("link").first.click()


def approve_and_issue(page: Page, unit: str, *, verify: bool = False) -> None:
    """The leader approves and signs; the văn thư numbers, seals and issues (NĐ 30 Điều 14);
    with `verify`, a visitor without an account checks the issued file on the public page."""
    log_in(page, "lanhdao.danang")
    open_plan(page, unit)
    page.get_by_role("button", name="Phê duyệt").click()
    expect(page.get_by_text("Đã phê duyệt kế hoạch.")).to_be_visible()
    page.get_by_role("button", name="Ký số (chứng thư trên cổng)").click()
    expect(page.get_by_text("Đã ký số kế hoạch. Văn thư sẽ kiểm tra")).to_be_visible()
    # The leader cannot take the văn thư's step.
    expect(page.get_by_role("button", name="Cấp số, ký số của cơ quan và phát hành")).to_have_count(0)
    log_out(page)
    log_in(page, "vanthu.danang")
    open_plan(page, unit)
    expect(page.locator("#signing")).to_contain_text("đang chờ văn thư cấp số")
    page.get_by_role("button", name="Cấp số, ký số của cơ quan và phát hành").click()
    expect(page.get_by_text(re.compile(r"ban hành kế hoạch số \d\d/KH-UBND"))).to_be_visible()
    link = page.get_by_role("link", name=re.compile(r"Văn bản số \d\d.KH-UBND đã ký số"))
    expect(link).to_be_visible()
    if verify:
        signed = page.request.get(link.get_attribute("href")).body()
        code_url = page.get_by_role("link", name="Xác minh chữ ký").get_attribute("href")
    log_out(page)
    if not verify:
        return
    # Anyone: the page of the code printed on the document, then the file itself checked.
    page.goto(code_url)
    expect(page.locator("#verdict h2")).to_contain_text("Chữ ký số hợp lệ")
    expect(page.locator("#verdict")).to_contain_text("Chưa bị thu hồi")
    page.goto("/xac-minh/")
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": "ke-hoach.pdf", "mimeType": "application/pdf", "buffer": signed}
    )
    page.get_by_role("button", name="Xác minh", exact=True).click()
    expect(page.locator("#verdict h2")).to_contain_text("Chữ ký số hợp lệ")
    rows = page.locator("#verdict tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Chưa bị thu hồi")
    expect(rows.nth(1)).to_contain_text("ĐÀ NẴNG")


def test_a_plan_is_authored_issued_cascaded_assigned_and_amended(page):
    # 1. The province planner (Sở Nội vụ) authors the city plan with three tasks for every commune.
    log_in(page, "snv.danang")
    create_plan(page, "Kế hoạch trống theo mẫu")
    page.locator("details.add-group summary").click()
    page.get_by_label("Giao cho tất cả đơn vị cấp").select_option(label="Tất cả đơn vị cấp xã")
    page.get_by_role("button", name="Thêm nhóm").click()
    expect(page.locator(".task-group h3")).to_contain_text("Tất cả đơn vị cấp xã")
    add_task(
        page,
        "Tất cả đơn vị cấp xã",
        "Xây dựng chuyên mục CCHC trên truyền thanh",
        ("Chuyên đề phát thanh", "12", "chuyên đề"),
    )
    add_task(
        page,
        "Tất cả đơn vị cấp xã",
        "Niêm yết công khai thủ tục hành chính",
        ("TTHC được niêm yết", "100", "%"),
    )
    add_task(page, "Tất cả đơn vị cấp xã", "Phát hành bản tin CCHC", ("Số bản tin", "4", "số"))
    # A target that is not a number is refused in place, and what was typed stays.
    box = page.locator(".task-group").first
    box.get_by_role("button", name="+ Thêm nhiệm vụ").click()
    form = page.locator("form.task-form")
    form.get_by_label("Nội dung nhiệm vụ").fill("Nhiệm vụ có chỉ tiêu sai")
    form.locator("input[name$='-name']").last.fill("Hội nghị")
    form.locator("input[name$='-value']").last.fill("hai")
    form.locator("input[name$='-unit_of_measure']").last.fill("hội nghị")
    form.get_by_role("button", name="Lưu nhiệm vụ").click()
    expect(page.locator("form.task-form")).to_contain_text("“hai” không phải là một số")
    expect(form.get_by_label("Nội dung nhiệm vụ")).to_have_value("Nhiệm vụ có chỉ tiêu sai")
    form.get_by_role("button", name="Hủy").click()
    expect(page.locator("form.task-form")).to_have_count(0)
    page.get_by_role("link", name="Xem văn bản").click()
    expect(page.locator(".official-doc")).to_contain_text("Xây dựng chuyên mục CCHC trên truyền thanh")
    expect(page.locator("#task-table")).to_contain_text("Chuyên đề phát thanh: 12 chuyên đề")
    page.get_by_role("button", name="Trình phê duyệt").click()
    expect(page.get_by_text("Đã trình kế hoạch")).to_be_visible()
    log_out(page)
    approve_and_issue(page, "Thành phố Đà Nẵng", verify=True)

    # 2. The commune planner starts the ward plan from it and gives the tasks to two roles.
    log_in(page, "vanphong.tamky")
    create_plan(page, "Kế hoạch đã ban hành của cấp trên")
    unassigned = page.locator(".task-group.unassigned")
    expect(unassigned.locator("li.task")).to_have_count(3)
    assignments = [
        ("Xây dựng chuyên mục CCHC trên truyền thanh", "Phòng Văn hóa - Xã hội"),
        ("Niêm yết công khai thủ tục hành chính", "Trung tâm Phục vụ hành chính công"),
        ("Phát hành bản tin CCHC", "Phòng Văn hóa - Xã hội"),
    ]
    for title, role in assignments:
        task = page.locator("li.task", has_text=title)
        task.locator("select[name=role]").select_option(label=role)
        task.get_by_role("button", name="Giao", exact=True).click()
        expect(
            page.locator(".task-group", has=page.get_by_role("heading", name=re.compile(role))).locator(
                "li.task", has_text=title
            )
        ).to_be_visible()
    expect(page.locator(".task-group.unassigned")).to_have_count(0)
    add_task(page, "Phòng Văn hóa - Xã hội", "Tổ chức tọa đàm CCHC với thanh niên phường")
    log_out(page)

    # 3. The province amends one task; the commune sees the change and takes it.
    log_in(page, "snv.danang")
    open_plan(page, "Thành phố Đà Nẵng")
    page.get_by_role("button", name="Tạo phiên bản sửa đổi").click()
    task = page.locator("li.task", has_text="Phát hành bản tin CCHC")
    task.get_by_role("button", name="Sửa").click()
    form = page.locator("form.task-form")
    form.get_by_label("Nội dung nhiệm vụ").fill("Phát hành bản tin CCHC điện tử hằng tháng")
    form.get_by_role("button", name="Lưu nhiệm vụ").click()
    expect(page.locator("#tasks")).to_contain_text("Phát hành bản tin CCHC điện tử hằng tháng")
    page.get_by_role("link", name="Xem văn bản").click()
    page.get_by_role("button", name="Trình phê duyệt").click()
    log_out(page)
    approve_and_issue(page, "Thành phố Đà Nẵng")

    log_in(page, "vanphong.tamky")
    open_plan(page, "Phường Tam Kỳ")
    expect(page.locator("#upstream-banner")).to_contain_text("1 thay đổi")
    page.get_by_role("link", name="Xem và nhận thay đổi").click()
    expect(page.locator(".changes-table")).to_contain_text("Phát hành bản tin CCHC điện tử hằng tháng")
    page.get_by_role("button", name="Nhận các thay đổi đã chọn").click()
    expect(page.get_by_text("Đã nhận 1 thay đổi")).to_be_visible()
    page.get_by_role("link", name="Phường Tam Kỳ").click()
    expect(page.locator("#task-table")).to_contain_text("Phát hành bản tin CCHC điện tử hằng tháng")
    expect(page.locator("#task-table")).to_contain_text("Tổ chức tọa đàm CCHC với thanh niên phường")
    page.screenshot(path="var/plan-commune.png", full_page=True)
    log_out(page)


def test_the_editor_reorders_in_place_and_warns_before_losing_typing(page):
    log_in(page, "vanphong.tamky")
    create_plan(page, "Kế hoạch trống theo mẫu")
    section = page.locator(".editor-section").first  # I. MỤC ĐÍCH, YÊU CẦU: "1. Mục đích", "2. Yêu cầu"
    expect(section.locator("> .item-list > li .item-text").first).to_have_text("Mục đích")
    url_before = page.url
    section.locator("> .item-list > li").nth(1).get_by_role("button", name="Đưa lên").click()
    expect(section.locator("> .item-list > li .item-text").first).to_have_text("Yêu cầu")
    assert page.url == url_before  # no page load: htmx swapped the section

    # Start typing a new item and leave without saving: the browser asks first.
    section.get_by_role("button", name="+ Thêm nội dung").click()
    section.get_by_label("Nội dung").fill("Một ý đang gõ dở")
    expect(page.locator("body")).to_have_attribute("data-unsaved", "1")
    with page.expect_event("dialog") as dialog:
        page.close(run_before_unload=True)  # returns at once; the browser asks before leaving
    assert dialog.value.type == "beforeunload"
