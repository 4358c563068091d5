"""At the superior unit: the PAR-style score of each unit, the completeness chart, and the
superior's own report drafted from the accepted reports below it."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from plans.models import Channel
from reports import rollup, services
from reports.models import EntryStatus, ReportState

pytestmark = pytest.mark.django_db


def _report(
    w,
    unit,
    by,
    *,
    radio,
    listing,
    status=EntryStatus.DONE_ON_TIME,
    accept=True,
    results="",
    progress=100,
    strengths="Phối hợp tốt với Đài truyền thanh.",
    proposals="",
):
    report = services.open_report(unit, w.annual)
    for entry in report.entries.select_related("task").prefetch_related("task__targets"):
        data = {"status": status, "progress": str(progress), "narrative": "Đã làm"}
        for target in entry.task.targets.all():
            data[f"target_{target.pk}"] = str(radio if "phát thanh" in target.name else listing)
        values, errors = services.parse_entry(entry, data)
        assert not errors
        services.save_entry(entry, values, expected_version=None, by=by)
    report.results, report.strengths, report.proposals = results, strengths, proposals
    report.save()
    report = services.submit(report, by=w.leader_a)
    return services.accept(report, by=w.reviewer) if accept else report


def test_units_are_ranked_by_their_score_with_the_evidence_behind_it(reporting):
    w = reporting
    online = Channel.objects.filter(mode=Channel.Mode.ONLINE).first()
    traditional = Channel.objects.filter(mode=Channel.Mode.TRADITIONAL).first()
    for plan in (w.plan_a, w.plan_b):
        radio = plan.tasks.get(title__startswith="Chuyên mục")
        radio.channels.add(traditional)
        plan.tasks.get(title__startswith="Niêm yết").channels.add(online)
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)  # every target reached
    _report(w, w.commune_b, w.officer_b, radio=11, listing=100, status=EntryStatus.IN_PROGRESS)
    rows = rollup.scores(w.danang, w.annual)
    assert [r.unit.code for r in rows] == ["20341", "20335"]
    a, b = rows
    assert (a.reached, a.items, a.completion_points, a.online_points, a.traditional_points) == (
        2,
        2,
        1.0,
        0.5,
        0.5,
    )
    assert a.total == 2.0
    # B: 1 of 2 targets (50% < 90%) → 0; in progress without evidence counts for no channel.
    assert (b.completion_points, b.online_points, b.traditional_points) == (0.0, 0.0, 0.0)
    assert b.short == ["Chuyên đề phát thanh: 11/12"]  # as the page prints it, not "11.00/12.00"


def test_the_scores_page(reporting, as_persona):
    w = reporting
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)
    page = as_persona("reviewer").get(reverse("reports:scores", args=[w.danang.pk, w.annual.code]))
    assert page.status_code == 200 and "Phường Tam Kỳ" in page.text and "PAR INDEX" in page.text


def test_the_overview_draws_completeness_by_period(reporting, as_persona):
    w = reporting
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)
    bars = rollup.completeness_by_period(w.danang, services.periods_for(w.province_plan))
    annual = next(b for b in bars if b.period == w.annual)
    assert (annual.expected, annual.submitted, annual.on_time) == (2, 1, 1)
    page = as_persona("reviewer").get(reverse("reports:overview", args=[w.danang.pk, w.annual.code]))
    assert '<svg viewBox="0 0' in page.text and "50%" in page.text


def test_the_superior_report_is_drafted_from_the_accepted_ones(reporting, as_persona):
    w = reporting
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100, results="Phát 12 chuyên đề trên Đài phường.")
    _report(w, w.commune_b, w.officer_b, radio=5, listing=100, accept=False, results="Chưa tiếp nhận")
    client = as_persona("reviewer")
    response = client.post(reverse("reports:compose", args=[w.danang.pk, w.annual.code]), follow=True)
    assert "Đã soạn dự thảo báo cáo của Thành phố Đà Nẵng" in response.text
    own = services.open_report(w.danang, w.annual)
    assert "2/2 đơn vị đã gửi báo cáo" in own.results
    assert (
        "- Chuyên mục CCHC trên hệ thống truyền thanh: 2 đơn vị thực hiện; 1 hoàn thành, 1 chưa có báo cáo "
        "được tiếp nhận; tiến độ bình quân 100%. Chuyên đề phát thanh: 12 chuyên đề (Theo kỳ: cộng dồn các kỳ; "
        "theo đơn vị: cộng các đơn vị; 1 đơn vị có số liệu)." in own.results
    )
    assert "Phường Tam Kỳ: Phát 12 chuyên đề trên Đài phường." in own.results
    assert "Chưa tiếp nhận" not in own.results  # only accepted reports are quoted
    assert "Phường Tam Kỳ: Phối hợp tốt" in own.strengths
    radio = own.entries.get(task=w.province_radio)
    assert radio.status == EntryStatus.IN_PROGRESS and radio.results.get().achieved == 12
    # What the reviewer has written is kept on a second draft.
    own.strengths = "Đã biên tập"
    own.save()
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own.refresh_from_db()
    assert own.strengths == "Đã biên tập" and own.state == ReportState.DRAFT


def test_nothing_to_draft_from(reporting, as_persona):
    w = reporting
    response = as_persona("reviewer").post(
        reverse("reports:compose", args=[w.danang.pk, w.annual.code]), follow=True
    )
    assert "Chưa có báo cáo nào của đơn vị cấp dưới được tiếp nhận" in response.text


# --- the superior's report: the findings of the drafted report, each with its test ----------------------------------


@pytest.fixture
def city(world):
    """The reporting world whose city plan also has a task of the city's own."""
    from reports.tests.conftest import build_reporting

    return build_reporting(world, own_task=True)


def _enter(report, task, by, *, status, progress=0, figures=None, narrative=""):
    entry = report.entries.select_related("task").get(task=task)
    data = {"status": status, "progress": str(progress), "narrative": narrative}
    for target in entry.task.targets.all():
        data[f"target_{target.pk}"] = str((figures or {}).get(target.name, ""))
    values, errors = services.parse_entry(entry, data)
    assert not errors
    return services.save_entry(entry, values, expected_version=None, by=by)


def _more_communes(w, count: int, *, cascaded: bool = True) -> list:
    from conftest import make_unit
    from reports.tests.conftest import cascade

    units = []
    for n in range(count):
        unit = make_unit(f"2039{n}", f"Phường Thử {chr(65 + n)}", "phuong", w.danang)
        if cascaded:
            cascade(unit, w.province_plan)
        units.append(unit)
    return units


def test_the_denominator_counts_the_units_without_a_plan_and_names_them(reporting, as_persona):
    w = reporting
    [no_plan] = _more_communes(w, 1, cascaded=False)
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)
    data = rollup.build(w.danang, w.annual)
    assert (data.expected, data.submitted, data.on_time) == (3, 1, 1)
    assert [r.unit for r in data.no_plan] == [no_plan]
    assert {r.unit.code for r in data.silent} == {no_plan.code, w.commune_b.code}
    bars = rollup.completeness_by_period(w.danang, services.periods_for(w.province_plan))
    assert next(b for b in bars if b.period == w.annual).expected == 3  # the chart agrees
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own = services.open_report(w.danang, w.annual)
    assert own.results.startswith(
        "Trong kỳ, 1/3 đơn vị đã gửi báo cáo (33%), trong đó 1 đúng hạn, 0 trễ hạn; 1 báo cáo đã được tiếp "
        "nhận và được tổng hợp dưới đây. 2 đơn vị chưa gửi báo cáo, gồm 1 đơn vị đã có kế hoạch: Phường Bàn "
        "Thạch (chưa bắt đầu); 1 đơn vị chưa có kế hoạch: Phường Thử A."
    )
    page = as_persona("reviewer").get(reverse("reports:rollup", args=[w.danang.pk, w.annual.code]))
    assert "1/3 đơn vị đã gửi (33%)" in page.text
    assert "trong đó 1 đơn vị chưa có kế hoạch: Phường Thử A" in page.text


def test_the_city_s_own_task_is_reported_from_its_own_entry(city):
    w = city
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)
    own = services.open_report(w.danang, w.annual)
    entry = _enter(
        own, w.own_task, w.reviewer, status=EntryStatus.IN_PROGRESS, progress=75, figures={"Cuộc kiểm tra": 3}
    )
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer, overwrite=True)
    own.refresh_from_db()
    kept = own.entries.get(task=w.own_task)
    assert (kept.status, kept.progress, kept.lock_version) == (
        EntryStatus.IN_PROGRESS,
        75,
        entry.lock_version,
    )
    assert kept.results.get().achieved == 3
    assert (
        "- Hướng dẫn, kiểm tra việc triển khai (Thành phố Đà Nẵng trực tiếp thực hiện): đang thực hiện (75%); "
        "Cuộc kiểm tra: 3 cuộc." in own.results
    )
    assert "0/0" not in own.results and "0 đơn vị thực hiện" not in own.results
    roll = next(r for r in rollup.build(w.danang, w.annual).tasks if r.task == w.own_task)
    assert not roll.is_rolled_up


def test_a_rolled_up_task_s_progress_is_the_mean_of_the_units(reporting):
    w = reporting
    _report(w, w.commune_a, w.officer_a, radio=4, listing=100, status=EntryStatus.IN_PROGRESS, progress=75)
    _report(w, w.commune_b, w.officer_b, radio=5, listing=90, status=EntryStatus.IN_PROGRESS, progress=95)
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own = services.open_report(w.danang, w.annual)
    radio = own.entries.get(task=w.province_radio)
    # Neither unit is done: the share done would say 0%; the units' mean says 85%.
    assert (radio.status, radio.progress, radio.is_entered) == (EntryStatus.IN_PROGRESS, 85, True)
    assert radio.results.get().achieved == 9
    assert "2 đơn vị thực hiện; 0 hoàn thành, 2 đang thực hiện; tiến độ bình quân 85%." in own.results
    listing = own.entries.get(task=w.province_listing)
    assert listing.results.get().achieved == 50  # share of units reaching their 100%


def test_every_unit_done_or_none_started(reporting):
    w = reporting
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)
    _report(w, w.commune_b, w.officer_b, radio=12, listing=100)
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own = services.open_report(w.danang, w.annual)
    assert own.entries.get(task=w.province_radio).status == EntryStatus.DONE_ON_TIME


def test_quotes_come_through_whole(reporting):
    w = reporting
    long = ("Đài truyền thanh phường phát 3 số/tháng bản tin CCHC, " * 8).strip()
    assert len(long) > 400
    text = f"{long}\n- Tổ chức 2 hội nghị đối thoại."
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100, results=text, strengths=long, proposals=long)
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own = services.open_report(w.danang, w.annual)
    assert f"- Phường Tam Kỳ: {text}" in own.results
    assert f"- Phường Tam Kỳ: {long}" in own.strengths and f"- Phường Tam Kỳ: {long}" in own.proposals
    assert "…" not in own.results + own.strengths + own.proposals


def test_sections_ii_and_iv_open_with_a_synthesis(reporting):
    w = reporting
    [no_plan] = _more_communes(w, 1, cascaded=False)
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100, proposals="Bổ sung kinh phí.")
    _report(w, w.commune_b, w.officer_b, radio=3, listing=80, status=EntryStatus.IN_PROGRESS, progress=40)
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own = services.open_report(w.danang, w.annual)
    strengths = own.strengths.splitlines()
    assert strengths[0].startswith("Các nhiệm vụ các đơn vị thực hiện tốt nhất: ")
    assert "2/2 báo cáo gửi đúng hạn" in strengths[0]
    assert strengths[1:] == [  # in the units' order
        "Ưu điểm các đơn vị nêu:",
        "- Phường Tam Kỳ: Phối hợp tốt với Đài truyền thanh.",
        "- Phường Bàn Thạch: Phối hợp tốt với Đài truyền thanh.",
    ]
    assert own.weaknesses.startswith("Tồn tại: các nhiệm vụ có tiến độ thấp nhất: ")
    assert "1/3 đơn vị chưa gửi báo cáo (Phường Thử A)" in own.weaknesses
    proposals = own.proposals.splitlines()
    assert proposals[0].startswith("Đề nghị tiếp tục chỉ đạo các nhiệm vụ còn chậm (")
    assert "hướng dẫn 1 đơn vị chưa có kế hoạch (Phường Thử A) ban hành kế hoạch" in proposals[0]
    assert proposals[1:] == ["Đề xuất, kiến nghị của các đơn vị:", "- Phường Tam Kỳ: Bổ sung kinh phí."]
    assert no_plan.full_name in own.results


def test_leading_and_lagging_units_from_four_units_carrying_the_task(reporting):
    w = reporting
    two = rollup.build(w.danang, w.annual)
    assert all(not r.leading and not r.lagging for r in two.tasks)  # 2 units: nobody ranked
    extra = _more_communes(w, 3)
    people = {w.commune_a: w.officer_a, w.commune_b: w.officer_b}
    for unit, progress in zip([w.commune_a, w.commune_b, *extra], [60, 90, 30, 90, 10], strict=True):
        _report(
            w,
            unit,
            people.get(unit, w.officer_a),
            radio=1,
            listing=100,
            status=EntryStatus.IN_PROGRESS,
            progress=progress,
        )
    roll = next(
        r
        for r in rollup.build(w.danang, w.annual, include_unaccepted=False).tasks
        if r.task == w.province_radio
    )
    # Ties by name: Phường Bàn Thạch (90) before Phường Thử B (90).
    assert [(u.unit.full_name, u.progress) for u in roll.leading] == [
        ("Phường Bàn Thạch", 90),
        ("Phường Thử B", 90),
        ("Phường Tam Kỳ", 60),
    ]
    assert [u.unit.full_name for u in roll.lagging] == ["Phường Thử C", "Phường Thử A", "Phường Tam Kỳ"]
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own = services.open_report(w.danang, w.annual)
    assert (
        "Dẫn đầu: Phường Bàn Thạch (90%), Phường Thử B (90%), Phường Tam Kỳ (60%). "
        "Chậm nhất: Phường Thử C (10%), Phường Thử A (30%), Phường Tam Kỳ (60%)." in own.results
    )
    assert own.entries.get(task=w.province_radio).progress == 56  # (60 + 90 + 30 + 90 + 10) / 5


def test_the_roll_up_page_shows_each_figure_s_rule(reporting, as_persona):
    w = reporting
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)
    page = as_persona("reviewer").get(reverse("reports:rollup", args=[w.danang.pk, w.annual.code]))
    assert "Theo kỳ: cộng dồn các kỳ; theo đơn vị: cộng các đơn vị" in page.text
    assert "Theo kỳ: số liệu kỳ gần nhất; theo đơn vị: tỷ lệ đơn vị đạt chỉ tiêu" in page.text
    export = as_persona("reviewer").get(reverse("reports:rollup_export", args=[w.danang.pk, w.annual.code]))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "Theo kỳ: cộng dồn các kỳ; theo đơn vị: cộng các đơn vị" in cells


# --- "Cập nhật số liệu" ------------------------------------------------------------------------------------------


def _returned_city_report(w):
    """Both communes accepted (12 and 3 chuyên đề), the city's report drafted, sent and returned."""
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)
    _report(w, w.commune_b, w.officer_b, radio=3, listing=100)
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own = services.open_report(w.danang, w.annual)
    _enter(own, w.own_task, w.reviewer, status=EntryStatus.DONE_ON_TIME, figures={"Cuộc kiểm tra": 4})
    own = services.submit(own, by=w.reviewer)
    return services.return_report(own, reason="Số liệu chưa khớp", by=w.admin)


def _fix_commune_a(w, radio):
    report = services.open_report(w.commune_a, w.annual)
    services.reopen(report, reason="Sửa số liệu phát thanh", by=w.reviewer)
    _enter(
        report,
        w.plan_a.tasks.get(title__startswith="Chuyên mục"),
        w.officer_a,
        status=EntryStatus.DONE_ON_TIME,
        figures={"Chuyên đề phát thanh": radio},
    )
    services.accept(services.submit(report, by=w.leader_a), by=w.reviewer)


def test_after_a_return_and_a_fix_the_refresh_makes_section_i_agree_with_the_annex(city, as_persona):
    from reports import pdf

    w = city
    own = _returned_city_report(w)
    assert "Chuyên đề phát thanh: 15 chuyên đề" in own.results
    _fix_commune_a(w, radio=6)
    client = as_persona("reviewer")
    url = reverse("reports:refresh", args=[w.danang.pk, w.annual.code])
    report_page = client.get(reverse("reports:report", args=[w.danang.pk, w.annual.code]))
    assert url in report_page.text  # the button on the report's page
    own.refresh_from_db()
    response = client.post(url, {"lock_version": own.lock_version}, follow=True)
    assert "Đã cập nhật số liệu" in response.text
    own.refresh_from_db()
    data = rollup.build(w.danang, w.annual, include_unaccepted=False)
    radio = next(r for r in data.tasks if r.task == w.province_radio)
    assert radio.targets[0]["value"] == 9
    assert "Chuyên đề phát thanh: 9 chuyên đề" in own.results and "15 chuyên đề" not in own.results
    assert own.entries.get(task=w.province_radio).results.get().achieved == 9
    annex = {row.title: row for row in pdf.build(own).annex}
    assert [t[:3] for t in annex[w.province_radio.title].targets] == [
        ("Chuyên đề phát thanh", "12 chuyên đề", "9")
    ]
    # The city's own task is untouched.
    own_entry = own.entries.get(task=w.own_task)
    assert own_entry.status == EntryStatus.DONE_ON_TIME and own_entry.results.get().achieved == 4


def test_the_preview_shows_the_changes_and_saves_nothing(city, as_persona):
    w = city
    own = _returned_city_report(w)
    _fix_commune_a(w, radio=6)
    own.refresh_from_db()
    before = (own.results, own.lock_version)
    entry = own.entries.get(task=w.province_radio)
    page = as_persona("reviewer").get(reverse("reports:refresh", args=[w.danang.pk, w.annual.code]))
    assert page.status_code == 200
    html = page.text
    assert "<del>- Chuyên mục CCHC trên hệ thống truyền thanh: 2 đơn vị thực hiện" in html
    assert "Chuyên đề phát thanh: 15 chuyên đề" in html and "Chuyên đề phát thanh: 9 chuyên đề" in html
    assert "Bỏ" in html and "Thêm" in html and "Xác nhận cập nhật" in html
    # The drafted task's figure, before and after.
    assert 'id="refresh-entries"' in html and "<del>15</del>" in html and "<ins>9</ins>" in html
    assert f'name="lock_version" value="{own.lock_version}"' in html
    own.refresh_from_db()
    assert (own.results, own.lock_version) == before
    same = own.entries.get(pk=entry.pk)
    assert (same.lock_version, same.results.get().achieved) == (entry.lock_version, 15)


def test_a_stale_preview_is_refused(city, as_persona):
    w = city
    own = _returned_city_report(w)
    _fix_commune_a(w, radio=6)
    own.refresh_from_db()
    seen = own.lock_version
    services.save_narrative(own, {"next_tasks": "Tăng cường kiểm tra."}, expected_version=seen, by=w.reviewer)
    response = as_persona("reviewer").post(
        reverse("reports:refresh", args=[w.danang.pk, w.annual.code]), {"lock_version": seen}, follow=True
    )
    assert "Báo cáo vừa được người khác sửa sau khi bạn xem trước; chưa cập nhật gì." in response.text
    own.refresh_from_db()
    assert (
        "15 chuyên đề" in own.results and own.entries.get(task=w.province_radio).results.get().achieved == 15
    )


def test_a_sent_report_is_not_refreshed(city, as_persona):
    w = city
    own = _returned_city_report(w)
    own = services.submit(own, by=w.reviewer)
    response = as_persona("reviewer").post(
        reverse("reports:refresh", args=[w.danang.pk, w.annual.code]),
        {"lock_version": own.lock_version},
        follow=True,
    )
    assert "Báo cáo đã gửi, đang chờ xét" in response.text


def test_a_city_quotes_a_few_units_whole_and_names_the_others(reporting):
    """Ninety-four communes' texts quoted in full would be a hundred pages: the most advanced
    units' strengths (the least advanced units' weaknesses) are quoted whole, the others named."""
    w = reporting
    more = _more_communes(w, services.QUOTED_UNITS)
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100, progress=100)
    _report(w, w.commune_b, w.officer_b, radio=3, listing=80, status=EntryStatus.IN_PROGRESS, progress=10)
    for n, unit in enumerate(more):
        _report(
            w,
            unit,
            w.reviewer,
            radio=5,
            listing=90,
            status=EntryStatus.IN_PROGRESS,
            progress=50 + n,
            strengths=f"Ưu điểm riêng của {unit.full_name}.",
        )
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own = services.open_report(w.danang, w.annual)
    quoted = [line for line in own.strengths.splitlines() if line.startswith("- Phường")]
    assert len(quoted) == services.QUOTED_UNITS
    assert quoted[0] == "- Phường Tam Kỳ: Phối hợp tốt với Đài truyền thanh."  # the most advanced first
    assert own.strengths.splitlines()[-1] == (
        "- Các đơn vị khác cũng nêu nội dung này (xem báo cáo của từng đơn vị): Phường Thử A, Phường Bàn Thạch."
    )


def test_the_annex_says_a_share_is_of_units_meeting_the_target(reporting):
    """ "100 % / 50" would read as half the procedures listed; it is half the communes."""
    from reports import pdf

    w = reporting
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)
    _report(w, w.commune_b, w.officer_b, radio=3, listing=80)
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    own = services.open_report(w.danang, w.annual)
    annex = {row.title: row for row in pdf.build(own).annex}
    [listing] = annex[w.province_listing.title].targets
    assert listing[:3] == ("TTHC được niêm yết", "100 %", "50% đơn vị đạt")


def test_the_report_page_says_a_share_is_of_units(reporting, as_persona):
    w = reporting
    _report(w, w.commune_a, w.officer_a, radio=12, listing=100)
    _report(w, w.commune_b, w.officer_b, radio=3, listing=80)
    services.compose_from_subordinates(w.danang, w.annual, by=w.reviewer)
    page = as_persona("reviewer").get(reverse("reports:report", args=[w.danang.pk, w.annual.code]))
    assert page.status_code == 200
    assert "TTHC được niêm yết: 50% đơn vị đạt" in page.text
