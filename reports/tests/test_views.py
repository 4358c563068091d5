"""Report pages through the test client: autosave answers, conflicts, evidence, the workflow
buttons, the reviewer's pages and the export."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports import services
from reports.models import Entry, Report, ReportState

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def annual_a(reporting, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    reporting.report_a = services.open_report(reporting.commune_a, reporting.annual)
    return reporting


def _entry_data(entry, **values):
    data = {
        "status": "in_progress",
        "progress": "50",
        "narrative": "Đã phát 5 chuyên đề",
        "lock_version": entry.lock_version,
    }
    for target in entry.task.targets.all():
        data[f"target_{target.pk}"] = "5"
    data.update(values)
    return data


def test_the_officer_sees_the_period_and_the_tasks(annual_a, as_persona):
    w = annual_a
    client = as_persona("officer_a")
    home = client.get(reverse("reports:index"))
    assert "Phường Tam Kỳ" in home.text and "Nhập kết quả thực hiện" in home.text
    page = client.get(reverse("reports:entries", args=[w.commune_a.pk, w.annual.code]))
    assert page.status_code == 200
    assert (
        "Chuyên mục CCHC trên hệ thống truyền thanh" in page.text and "Niêm yết công khai TTHC" in page.text
    )
    assert "Chuyên đề phát thanh" in page.text and 'name="lock_version"' in page.text
    assert client.get(reverse("reports:entries", args=[w.commune_a.pk, "2026-X"])).status_code == 404


def test_autosave_returns_only_the_saved_line_and_the_new_version(annual_a, as_persona):
    w = annual_a
    entry = w.report_a.entries.select_related("task").first()
    response = as_persona("officer_a").post(
        reverse("reports:entry_save", args=[entry.pk]), _entry_data(entry), headers=HTMX
    )
    assert response.status_code == 200
    assert "Đã lưu lúc" in response.text
    assert f'id="lock-{entry.pk}" value="{entry.lock_version + 1}" hx-swap-oob="true"' in response.text
    saved = Entry.objects.get(pk=entry.pk)
    assert saved.is_entered and saved.progress == 50 and saved.updated_by == w.officer_a
    assert saved.results.get().achieved == 5


def test_a_stale_save_gets_409_with_both_versions_and_keeps_what_was_typed(annual_a, as_persona):
    w = annual_a
    entry = w.report_a.entries.select_related("task").first()
    as_persona("leader_a").post(
        reverse("reports:entry_save", args=[entry.pk]),
        _entry_data(entry, narrative="Bản của chủ tịch"),
        headers=HTMX,
    )
    client = as_persona("officer_a")
    response = client.post(
        reverse("reports:entry_save", args=[entry.pk]),
        _entry_data(entry, narrative="Bản của cán bộ"),
        headers=HTMX,
    )
    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#entry-{entry.pk}"
    assert "Bản của chủ tịch" in response.text  # theirs, shown
    assert re.search(r"<textarea[^>]*>Bản của cán bộ</textarea>", response.text)  # mine, kept
    assert "Giữ bản của tôi" in response.text and "Lấy bản của họ" in response.text
    assert Entry.objects.get(pk=entry.pk).narrative == "Bản của chủ tịch"
    forced = client.post(
        reverse("reports:entry_save", args=[entry.pk]),
        _entry_data(entry, narrative="Bản của cán bộ", force="1"),
        headers=HTMX,
    )
    assert forced.status_code == 200
    assert Entry.objects.get(pk=entry.pk).narrative == "Bản của cán bộ"


def test_bad_input_gets_422_and_the_message(annual_a, as_persona):
    entry = annual_a.report_a.entries.select_related("task").first()
    target = entry.task.targets.get()
    response = as_persona("officer_a").post(
        reverse("reports:entry_save", args=[entry.pk]),
        _entry_data(entry, progress="200", **{f"target_{target.pk}": "mười"}),
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "từ 0 đến 100" in response.text and "không phải là một số" in response.text
    assert 'value="200"' in response.text  # what was typed is still there
    assert not Entry.objects.get(pk=entry.pk).is_entered


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, format="PNG")
    return out.getvalue()


def test_evidence_upload_and_private_download(annual_a, as_persona, settings):
    w = annual_a
    entry = w.report_a.entries.first()
    client = as_persona("officer_a")
    url = reverse("reports:evidence_add", args=[entry.pk])
    ok = client.post(url, {"file": SimpleUploadedFile("hội nghị.png", _png())}, headers=HTMX)
    assert ok.status_code == 200 and "hội nghị.png" in ok.text
    evidence = entry.evidence.get()
    bad = client.post(url, {"file": SimpleUploadedFile("x.exe", b"MZ\x90")}, headers=HTMX)
    assert bad.status_code == 422 and "chỉ nhận ảnh" in bad.text
    link = client.post(url, {"url": "https://danang.gov.vn/bai-viet"}, headers=HTMX)
    assert link.status_code == 200 and "danang.gov.vn/bai-viet" in link.text
    settings.EVIDENCE_MAX_BYTES = 50
    big = client.post(url, {"file": SimpleUploadedFile("a.pdf", b"%PDF-" + b"x" * 100)}, headers=HTMX)
    assert big.status_code == 422 and "quá lớn" in big.text
    download = client.get(reverse("reports:evidence_file", args=[evidence.pk]))
    assert b"".join(download.streaming_content) == _png()
    assert download["X-Content-Type-Options"] == "nosniff"
    assert as_persona("reviewer").get(reverse("reports:evidence_file", args=[evidence.pk])).status_code == 200
    # Commune B's officer, even with the file's URL: it does not exist for them.
    assert (
        as_persona("officer_b").get(reverse("reports:evidence_file", args=[evidence.pk])).status_code == 404
    )
    assert entry.evidence.count() == 2


def test_evidence_follows_the_entries_an_officer_sees(annual_a, as_persona):
    """An officer opens the evidence of his role's tasks only (the entries page shows him no
    other); the report page names the others' files without a link. The city's vice-chair, who
    sees the commune but neither works on nor reviews its reports, opens none."""
    from django.core.files.base import ContentFile

    from plans.models import Task
    from reports.models import Evidence
    from units.models import Role

    w = annual_a
    mine, theirs = w.report_a.entries.select_related("task__group").order_by("task__pk")[:2]
    centre = Role.objects.get(code="trung-tam-phuc-vu-hcc")
    group = theirs.task.group
    group.pk, group.lead_role, group.position = None, centre, 9
    group.save()
    Task.objects.filter(pk=theirs.task_id).update(group=group)
    files = {}
    for entry, name in ((mine, "cua-toi.png"), (theirs, "cua-trung-tam.pdf")):
        evidence = Evidence(entry=entry, name=name, size=3)
        evidence.file.save(name, ContentFile(b"abc"), save=True)
        files[name] = reverse("reports:evidence_file", args=[evidence.pk])

    officer = as_persona("officer_a")
    assert officer.get(files["cua-toi.png"]).status_code == 200
    assert officer.get(files["cua-trung-tam.pdf"]).status_code == 403
    page = officer.get(reverse("reports:report", args=[w.commune_a.pk, w.annual.code])).text
    assert f'href="{files["cua-toi.png"]}"' in page
    assert "cua-trung-tam.pdf" in page and files["cua-trung-tam.pdf"] not in page
    leader_page = as_persona("leader_a").get(reverse("reports:report", args=[w.commune_a.pk, w.annual.code]))
    assert files["cua-trung-tam.pdf"] in leader_page.text
    for persona, status in (("leader_a", 200), ("reviewer", 200), ("vice_chair", 403), ("officer_b", 404)):
        for url in files.values():
            assert as_persona(persona).get(url).status_code == status, (persona, url)


def _fill_through_views(client, report):
    for entry in report.entries.select_related("task"):
        response = client.post(
            reverse("reports:entry_save", args=[entry.pk]),
            _entry_data(entry, status="done_on_time", narrative=f"Hoàn thành {entry.task.title}"),
            headers=HTMX,
        )
        assert response.status_code == 200


def test_submit_return_resubmit_accept_through_the_pages(annual_a, as_persona):
    w = annual_a
    url = reverse("reports:report", args=[w.commune_a.pk, w.annual.code])
    page = as_persona("leader_a").get(url)
    assert "2 nhiệm vụ chưa nhập kết quả" in page.text
    transition = reverse("reports:transition", args=[w.report_a.pk])
    refused = as_persona("leader_a").post(transition, {"action": "submit"}, follow=True)
    assert "Còn 2 nhiệm vụ chưa nhập" in refused.text
    _fill_through_views(as_persona("officer_a"), w.report_a)
    page = as_persona("leader_a").get(url)
    assert "Hoàn thành Chuyên mục CCHC" in page.text  # section I prefilled from the entries
    as_persona("leader_a").post(
        url,
        {
            "results": "Kết quả đã biên tập",
            "recipients": "UBND thành phố Đà Nẵng",
            "lock_version": Report.objects.get(pk=w.report_a.pk).lock_version,
        },
    )
    assert Report.objects.get(pk=w.report_a.pk).results == "Kết quả đã biên tập"
    done = as_persona("leader_a").post(transition, {"action": "submit"}, follow=True)
    assert "Đã gửi báo cáo Năm" in done.text
    # The leader cannot review their own unit's report.
    assert as_persona("leader_a").post(transition, {"action": "accept"}).status_code == 403
    empty = as_persona("reviewer").post(transition, {"action": "return", "reason": ""}, follow=True)
    assert "Hãy ghi lý do trả lại" in empty.text
    as_persona("reviewer").post(transition, {"action": "return", "reason": "Bổ sung ảnh hội nghị"})
    assert Report.objects.get(pk=w.report_a.pk).state == ReportState.RETURNED
    shown = as_persona("officer_a").get(reverse("reports:entries", args=[w.commune_a.pk, w.annual.code]))
    assert "Bổ sung ảnh hội nghị" in shown.text
    as_persona("leader_a").post(transition, {"action": "submit"})
    as_persona("reviewer").post(transition, {"action": "accept"})
    report = Report.objects.get(pk=w.report_a.pk)
    assert report.state == ReportState.ACCEPTED
    history = as_persona("leader_a").get(url).text
    for action in ("Gửi báo cáo", "Trả lại", "Gửi lại báo cáo", "Tiếp nhận"):
        assert action in history
    assert "Hoàng Thị Mai" in history or "snv.danang" in history


def test_the_reviewer_sees_who_has_not_reported_and_accepts_in_bulk(annual_a, as_persona):
    w = annual_a
    _fill_through_views(as_persona("officer_a"), w.report_a)
    services.submit(w.report_a, by=w.leader_a)
    client = as_persona("reviewer")
    page = client.get(reverse("reports:overview", args=[w.danang.pk, w.annual.code]))
    assert page.status_code == 200
    assert "Đã gửi 1/2 đơn vị" in page.text
    assert "Phường Bàn Thạch" in page.text and "Chưa bắt đầu" in page.text
    assert f'value="{w.report_a.pk}"' in page.text  # clean: may be accepted in bulk
    client.post(
        reverse("reports:bulk_accept", args=[w.danang.pk, w.annual.code]),
        {"report": [w.report_a.pk, "x", 999999]},
    )
    assert Report.objects.get(pk=w.report_a.pk).state == ReportState.ACCEPTED
    rollup = client.get(reverse("reports:rollup", args=[w.danang.pk, w.annual.code]))
    assert "Chuyên mục CCHC trên hệ thống truyền thanh" in rollup.text and "1/2 hoàn thành" in rollup.text
    export = client.get(reverse("reports:rollup_export", args=[w.danang.pk, w.annual.code]))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "Phường Tam Kỳ" in cells and "Đã tiếp nhận" in cells


def test_an_officer_sees_only_the_tasks_of_their_role(reporting, as_persona):
    from plans.models import Task, TaskGroup
    from units.models import Role

    w = reporting
    office = TaskGroup.objects.create(
        plan=w.plan_a, heading="Văn phòng", lead_role=Role.objects.get(code="van-phong-hdnd-ubnd"), position=9
    )
    Task.objects.create(plan=w.plan_a, group=office, title="Cập nhật trang thông tin điện tử", position=1)
    url = reverse("reports:entries", args=[w.commune_a.pk, w.annual.code])
    officer = as_persona("officer_a").get(url).text
    assert "Chuyên mục CCHC" in officer and "Cập nhật trang thông tin điện tử" not in officer
    leader = as_persona("leader_a").get(url).text  # the chairman compiles: every task
    assert "Cập nhật trang thông tin điện tử" in leader
    entry = services.open_report(w.commune_a, w.annual).entries.get(task__title__startswith="Cập nhật")
    response = as_persona("officer_a").post(
        reverse("reports:entry_save", args=[entry.pk]), _entry_data(entry), headers=HTMX
    )
    assert response.status_code == 403


def test_the_home_page_points_to_the_period(reporting, as_persona):
    w = reporting
    period = services.current_period(w.plan_a)
    officer = as_persona("officer_a").get(reverse("home")).text
    # Nobody has started the report: the button starts it (a POST), then the link leads to it.
    assert reverse("reports:start", args=[w.commune_a.pk, period.code]) in officer
    services.open_report(w.commune_a, period)
    officer = as_persona("officer_a").get(reverse("home")).text
    assert reverse("reports:entries", args=[w.commune_a.pk, period.code]) in officer
    reviewer = as_persona("reviewer").get(reverse("home")).text
    assert f"{period.label}: 0/2 đơn vị đã gửi báo cáo" in reviewer


# --- nobody reviews their own unit --------------------------------------------------------------


@pytest.fixture
def own_report_submitted(annual_a):
    """Commune A's report submitted; the province reviewer also works in commune A."""
    from conftest import grant

    w = annual_a
    for entry in w.report_a.entries.all():
        services.save_entry(
            entry,
            services.EntryInput("done_on_time", 100, "Xong", {t.pk: None for t in entry.task.targets.all()}),
            expected_version=None,
            by=w.officer_a,
        )
    services.submit(w.report_a, by=w.officer_a)
    grant(w.reviewer, w.commune_a, "phong-van-hoa-xa-hoi")
    return w


def test_a_reviewer_cannot_accept_the_report_of_a_unit_they_work_in(own_report_submitted, as_persona):
    w = own_report_submitted
    client = as_persona("reviewer")
    response = client.post(
        reverse("reports:transition", args=[w.report_a.pk]), {"action": "accept"}, follow=True
    )
    assert "không xét duyệt báo cáo của chính đơn vị mình" in response.text
    assert Report.objects.get(pk=w.report_a.pk).state == ReportState.SUBMITTED


def test_bulk_accept_cannot_bypass_the_own_unit_rule(own_report_submitted, as_persona):
    w = own_report_submitted
    client = as_persona("reviewer")
    response = client.post(
        reverse("reports:bulk_accept", args=[w.danang.pk, w.annual.code]),
        {"report": [w.report_a.pk]},
        follow=True,
    )
    assert "Đã tiếp nhận 0 báo cáo" in response.text
    assert "không xét duyệt báo cáo của chính đơn vị mình" in response.text
    assert Report.objects.get(pk=w.report_a.pk).state == ReportState.SUBMITTED
    # The services refuse it whatever page asks: return and reopen too.
    with pytest.raises(services.ReportError, match="chính đơn vị mình"):
        services.return_report(w.report_a, reason="Sửa lại", by=w.reviewer)
