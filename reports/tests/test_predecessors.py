"""Predecessors in the successor's history: after `import_successions` of Đà Nẵng's official
conversion table, the 2025 annual roll-up of Thành phố Đà Nẵng shows, under each commune formed
on 1 July 2025, what its former communes reported for the first half of 2025, and counts it by
the stated rule."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import grant, make_user
from plans import services as plans
from reports import rollup, services
from reports.models import EntryStatus, ReportState, TargetResult
from reports.periods import Period
from reports.tests.conftest import cascade
from units.importers import read_unit_file
from units.models import Level, Unit
from units.services import apply_unit_import, plan_unit_import

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "units" / "data"
H1, YEAR = Period(2025, "half_year", 1), Period(2025, "annual")
RADIO, UNIT = "Chuyên đề phát thanh", "chuyên đề"


def province_plan(province: Unit, issued_on: datetime.date):
    plan = plans.create_plan(province, 2025)
    group = plans.add_group(plan, heading="UBND các xã, phường", lead_level=Level.COMMUNE)
    task = plans.add_task(group, title="Chuyên mục CCHC trên hệ thống truyền thanh")
    plans.add_target(task, name=RADIO, unit_of_measure=UNIT, value=12)
    plans.set_reporting_rules(plan, {"half_year": 20, "annual": 20})
    plans.submit(plan)
    plans.approve(plan)
    return plans.issue(plan, issued_on=issued_on)


def report_with(unit: Unit, period: Period, achieved: int, state: str = ReportState.ACCEPTED):
    """A report as sent and reviewed at the time (the periods of 2025 are closed today)."""
    report = services.open_report(unit, period)
    for entry in report.entries.prefetch_related("task__targets"):
        entry.status, entry.progress, entry.is_entered = EntryStatus.DONE_ON_TIME, 100, True
        entry.save()
        TargetResult.objects.bulk_create(
            TargetResult(entry=entry, target=t, achieved=achieved) for t in entry.task.targets.all()
        )
    report.state = state
    report.first_submitted_at = report.submitted_at = timezone.now()
    report.save()
    return report


@pytest.fixture
def merged(db):
    for name in ("units-2025.json", "units-pre2025-quang-nam.json", "units-pre2025-da-nang.json"):
        parsed = read_unit_file((DATA / name).read_bytes())
        apply_unit_import(plan_unit_import(parsed), source_name=name)
    call_command(
        "import_successions", str(DATA / "successions-2025-da-nang.csv"), "--yes", stdout=io.StringIO()
    )
    old = Unit.objects.filter(valid_to=datetime.date(2025, 6, 30))
    new = Unit.objects.filter(valid_from=datetime.date(2025, 7, 1))
    units = {
        "quang_nam": old.get(code="49"),
        "old_danang": old.get(code="48"),
        "danang": new.get(code="48"),
        "tan_thanh": old.get(code="20335"),  # Phường Tân Thạnh → Phường Bàn Thạch, whole
        "hoa_thuan": old.get(code="20375"),  # Phường Hoà Thuận → Phường Bàn Thạch, whole
        "hoa_lien": old.get(code="20296"),  # Xã Hòa Liên → Hải Vân and Liên Chiểu, part
        "ban_thach": new.get(code="20335"),
        "hai_van": new.get(code="20194"),
    }
    # First half of 2025: the old province plans, cascaded to the old communes, which reported.
    quang_nam = province_plan(units["quang_nam"], datetime.date(2025, 1, 20))
    old_danang = province_plan(units["old_danang"], datetime.date(2025, 1, 20))
    for key, plan, achieved in (
        ("tan_thanh", quang_nam, 4),
        ("hoa_thuan", quang_nam, 3),
        ("hoa_lien", old_danang, 6),
    ):
        cascade(units[key], plan, rules={"half_year": 20}, issued_on=datetime.date(2025, 2, 1))
        report_with(units[key], H1, achieved)
    # From 1 July 2025: the new city's plan, cascaded to the new wards.
    danang = province_plan(units["danang"], datetime.date(2025, 7, 10))
    for key in ("ban_thach", "hai_van"):
        cascade(units[key], danang, rules={"annual": 20}, issued_on=datetime.date(2025, 7, 15))
    report_with(units["ban_thach"], YEAR, 5, ReportState.SUBMITTED)
    report_with(units["hai_van"], YEAR, 2, ReportState.SUBMITTED)
    return units


def test_the_roll_up_lists_the_predecessors_first_half_under_the_new_ward(merged):
    data = rollup.build(merged["danang"], YEAR)
    rows = {r.unit.code: r for r in data.rows}
    ban_thach = rows["20335"]
    assert [(p.unit.full_name, p.report.period, p.counted) for p in ban_thach.predecessors] == [
        ("Phường Tân Thạnh", H1, True),
        ("Phường Hoà Thuận", H1, True),
    ]
    assert [(p.total, p.done, p.percent) for p in ban_thach.predecessors] == [(1, 1, 100), (1, 1, 100)]
    # Xã Hòa Liên was split: listed under both new wards, counted under neither.
    [hoa_lien] = rows["20194"].predecessors
    assert hoa_lien.unit.full_name == "Xã Hòa Liên" and not hoa_lien.counted
    assert data.has_predecessors and "nhập một phần chỉ được liệt kê" in data.predecessor_rule


def test_the_predecessors_h1_figures_count_in_the_summed_target(merged):
    [roll] = rollup.build(merged["danang"], YEAR).tasks
    [target] = roll.targets
    # 5 (Bàn Thạch) + 2 (Hải Vân) this year, + 4 and 3 from Tân Thạnh and Hoà Thuận before 1 July.
    assert target["value"] == Decimal(14)
    assert target["units"] == 4
    assert target["predecessors"] == {"n": 2, "total": Decimal(7)}


def test_only_accepted_reports_when_asked(merged):
    data = rollup.build(merged["danang"], YEAR, include_unaccepted=False)
    assert [p.unit.code for p in {r.unit.code: r for r in data.rows}["20335"].predecessors] == [
        "20335",
        "20375",
    ]
    [target] = data.tasks[0].targets
    assert target["value"] == Decimal(7)  # the new wards' reports are not accepted yet


def test_a_period_that_starts_after_the_merger_has_no_predecessors(merged, django_assert_num_queries):
    with django_assert_num_queries(4):  # no plan for 2026: units, plans, reports, own plan; no links
        data = rollup.build(merged["danang"], Period(2026, "annual"))
    assert not data.has_predecessors


def test_predecessors_cost_four_queries_whatever_their_number(merged, django_assert_num_queries):
    # The roll-up's ten (units, plans, reports, entry counts, own plan, tasks, targets, units per
    # task, statuses, target sums), and four for the predecessors: links, reports, entry counts, sums.
    with django_assert_num_queries(14):
        rollup.build(merged["danang"], YEAR)
    # Tam Thăng, the third ward merged into Bàn Thạch, and two more communes report too.
    plan = merged["tan_thanh"].plans.get(year=2025).parent_plan
    for code in ("20362", "20341", "20347"):
        unit = Unit.objects.get(code=code, valid_to__isnull=False)
        cascade(unit, plan, rules={"half_year": 20}, issued_on=datetime.date(2025, 2, 1))
        report_with(unit, H1, 1)
    with django_assert_num_queries(14):
        data = rollup.build(merged["danang"], YEAR)
    assert len({r.unit.code: r for r in data.rows}["20335"].predecessors) == 3


def test_the_roll_up_page_shows_them_with_the_rule(merged, client):
    reviewer = make_user("snv.danang.2025")
    grant(reviewer, merged["danang"], "chuyen-vien-so-noi-vu")
    client.force_login(reviewer)
    response = client.get(reverse("reports:rollup", args=[merged["danang"].pk, YEAR.code]))
    assert response.status_code == 200
    assert 'id="predecessor-rule"' in response.text
    assert "↳ " in response.text and "Phường Tân Thạnh" in response.text
    assert "6 tháng đầu năm 2025: Đã tiếp nhận" in response.text
    assert "gồm 7 của 2 đơn vị cũ" in response.text
    assert "nhập một phần — không cộng" in response.text


# --- the unit page: what the predecessors planned and reported; a province by former district ------------


def test_the_new_wards_page_lists_what_its_predecessors_planned_and_reported(
    merged, client, django_assert_num_queries
):
    reviewer = make_user("snv.danang.2025")
    grant(reviewer, merged["danang"], "chuyen-vien-so-noi-vu")
    client.force_login(reviewer)
    url = reverse("units:detail", args=[merged["ban_thach"].pk])
    response = client.get(url)
    assert response.status_code == 200
    predecessors = response.text.split('id="predecessors"', 1)[1].split("</ul>\n", 3)
    text = "".join(predecessors[:3])
    assert "Phường Tân Thạnh" in text and "Kế hoạch năm 2025</a> — Đã ban hành" in text
    assert "Báo cáo 6 tháng đầu năm 2025</a> — Đã tiếp nhận" in text
    assert "Xã Tam Thăng" in text  # merged too, with nothing to list
    # One query per app that registers records, whatever the number of predecessors and records.
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    plan = merged["tan_thanh"].plans.get(year=2025).parent_plan
    tam_thang = Unit.objects.get(code="20362", valid_to__isnull=False)
    cascade(tam_thang, plan, rules={"half_year": 20}, issued_on=datetime.date(2025, 2, 1))
    report_with(tam_thang, H1, 1)
    with django_assert_num_queries(len(before)):
        response = client.get(url)
    assert response.text.count("Báo cáo 6 tháng đầu năm 2025</a>") == 3


def test_a_unit_without_predecessors_asks_for_no_records(merged, client, django_assert_num_queries):
    client.force_login(make_user("admin2", superuser=True))
    url = reverse("units:detail", args=[merged["tan_thanh"].pk])  # a former ward: successors only
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert not any("plans_plan" in q["sql"] or "reports_report" in q["sql"] for q in queries.captured_queries)


def test_a_province_groups_its_communes_by_former_district(merged, client):
    client.force_login(make_user("admin2", superuser=True))
    response = client.get(reverse("units:detail", args=[merged["danang"].pk]), {"former": "on"})
    assert response.status_code == 200
    groups = {
        part.split("</h3>", 1)[0].split(" <span", 1)[0]: part.split("</h3>", 1)[1]
        for part in response.text.split('<h3 class="former-district">')[1:]
    }
    assert "Phường Bàn Thạch" in groups["Thành phố Tam Kỳ"]  # its seat, Phường Tân Thạnh, was in Tam Kỳ
    assert "Phường Hải Vân" in groups["Quận Liên Chiểu"]
    assert "Đặc khu Hoàng Sa" in groups["Huyện Hoàng Sa"]  # the district itself became the special zone
    assert "Không có đơn vị cũ" not in response.text  # every commune of the city has its table rows


# --- the successor's own report: its predecessors' figures, with the rule --------------------------------


def test_the_merged_wards_annual_report_counts_its_predecessors_first_half(merged, client):
    """Bàn Thạch's 2025 annual report (5 chuyên đề since July) shows what Tân Thạnh (4) and Hoà
    Thuận (3), merged whole on 1 July, reported for the first half: 12 together, by the rule."""
    reviewer = make_user("snv.danang.2025")
    grant(reviewer, merged["danang"], "chuyen-vien-so-noi-vu")
    client.force_login(reviewer)
    report = services.find_report(merged["ban_thach"], YEAR)[1]
    own = rollup.predecessors_of(report)
    assert [(p.unit.full_name, p.counted) for p in own.rows] == [
        ("Phường Tân Thạnh", True),
        ("Phường Hoà Thuận", True),
    ]
    assert own.targets == [(RADIO, UNIT, Decimal(5), Decimal(7), Decimal(12))]
    page = client.get(reverse("reports:report", args=[merged["ban_thach"].pk, YEAR.code]))
    assert page.status_code == 200
    card = page.text.split('id="predecessors"', 1)[1].split("</section>", 1)[0]
    assert "Phường Tân Thạnh" in card and "Phường Hoà Thuận" in card and "Được cộng" in card
    assert "nhập một phần chỉ được liệt kê" in card  # the rule, shown
    assert "<strong>12 chuyên đề</strong>" in card
    # Hải Vân took part of Xã Hòa Liên: listed, not added.
    split = rollup.predecessors_of(services.find_report(merged["hai_van"], YEAR)[1])
    assert [(p.unit.full_name, p.counted) for p in split.rows] == [("Xã Hòa Liên", False)]
    assert split.targets == []


def test_a_report_of_a_unit_that_did_not_start_in_the_period_has_no_predecessor_card(merged):
    assert rollup.predecessors_of(services.find_report(merged["tan_thanh"], H1)[1]) is None


def test_the_roll_up_workbook_lists_the_predecessors_and_the_rule(merged, client):
    import openpyxl

    reviewer = make_user("snv.danang.2025")
    grant(reviewer, merged["danang"], "chuyen-vien-so-noi-vu")
    client.force_login(reviewer)
    response = client.get(reverse("reports:rollup_export", args=[merged["danang"].pk, YEAR.code]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    texts = [" | ".join(str(c) for c in row) for row in cells]
    ban_thach = next(i for i, t in enumerate(texts) if t.startswith("Phường Bàn Thạch"))
    assert texts[ban_thach + 1].startswith("    ↳ Phường Tân Thạnh (đơn vị cũ, toàn bộ; được cộng)")
    assert "6 tháng đầu năm 2025" in texts[ban_thach + 1]
    assert any("↳ Xã Hòa Liên (đơn vị cũ, một phần; chỉ liệt kê)" in t for t in texts)
    assert any("nhập một phần chỉ được liệt kê" in t for t in texts)  # the rule
    # The figure's rule follows in the next column.
    assert any("gồm 7 của 2 đơn vị cũ | Theo kỳ: cộng dồn các kỳ" in t for t in texts), texts
