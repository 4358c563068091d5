"""At the superior unit: the PAR-style score of each unit, the completeness chart, and the
superior's own report drafted from the accepted reports below it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from plans.models import Channel
from reports import rollup, services
from reports.models import EntryStatus, ReportState

pytestmark = pytest.mark.django_db


def _report(w, unit, by, *, radio, listing, status=EntryStatus.DONE_ON_TIME, accept=True, results=""):
    report = services.open_report(unit, w.annual)
    for entry in report.entries.select_related("task").prefetch_related("task__targets"):
        data = {"status": status, "narrative": "Đã làm"}
        for target in entry.task.targets.all():
            data[f"target_{target.pk}"] = str(radio if "phát thanh" in target.name else listing)
        values, errors = services.parse_entry(entry, data)
        assert not errors
        services.save_entry(entry, values, expected_version=None, by=by)
    report.results, report.strengths = results, "Phối hợp tốt với Đài truyền thanh."
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
        "- Chuyên mục CCHC trên hệ thống truyền thanh: 1/2 đơn vị hoàn thành; Chuyên đề phát thanh: 12 chuyên đề."
        in own.results
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
