"""The national benchmark dataset (reports/national.py) at a small scale, and the national overview
built on it: the shapes the benchmarks rely on, and figures that agree with each province's own
roll-up."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.urls import reverse

from demo import national
from plans.models import Plan, Status, Target, Task
from reports import rollup
from reports.models import Entry, Evidence, Report, ReportEvent, ReportState, TargetResult
from reports.periods import Period
from units.models import Membership, Unit, User

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 21)  # Q1, 6 months and Q3 closed; the annual period open


@pytest.fixture
def dataset():
    return national.build(
        today=TODAY, provinces=2, communes_per_province=6, procedures=30, log=lambda *a: None
    )


def test_the_dataset_has_the_promised_shape(dataset):
    assert (dataset.provinces, dataset.communes) == (2, 12)
    provinces = Unit.objects.filter(depth=1)
    assert provinces.count() == 2
    for province in provinces:
        plan = Plan.objects.get(unit=province, year=2026)
        assert plan.status == Status.ISSUED
        assert plan.tasks.count() == national.TASKS
        assert Target.objects.filter(task__plan=plan).count() == national.TARGETS
        assert plan.sections.count() == 5
        assert {r.period_type for r in plan.reporting_rules.all()} == {"quarterly", "half_year", "annual"}
    for plan in Plan.objects.filter(unit__depth=2):
        assert plan.status == Status.ISSUED and plan.parent_plan.unit.path == plan.unit.path[:4]
        tasks = plan.tasks.select_related("superior_task", "group__lead_role")
        assert len(tasks) == national.TASKS
        # Every task and target implements the province's, and every task has a commune role.
        assert all(t.superior_task.plan_id == plan.parent_plan_id and t.group.lead_role for t in tasks)
        targets = Target.objects.filter(task__plan=plan).select_related("superior_target__task")
        assert len(targets) == national.TARGETS
        assert all(t.superior_target.task.plan_id == plan.parent_plan_id for t in targets)
    # People in every role, one password.
    commune = Unit.objects.filter(depth=2).first()
    for prefix in ("cb", "vp", "ct"):
        user = User.objects.get(username=f"{prefix}.{commune.code}")
        assert user.check_password(national.BENCH_PASSWORD)
        assert Membership.objects.filter(user=user, unit=commune).exists()
    assert User.objects.get(username=national.NATIONAL_USER).has_perm("reports.view_national_overview")


def test_reports_cover_the_year_with_an_entry_for_every_task_and_a_result_for_every_target(dataset):
    closed = [Period(2026, "quarterly", 1), Period(2026, "half_year", 1), Period(2026, "quarterly", 3)]
    for commune in Unit.objects.filter(depth=2):
        for period in closed:
            report = Report.objects.get(
                unit=commune, year=2026, period_kind=period.kind, period_number=period.number
            )
            assert report.first_submitted_at is not None
            assert report.state in (ReportState.ACCEPTED, ReportState.SUBMITTED)
            assert report.progress is not None
        # Nothing for the periods the plan does not ask for separately (Q2 is in the 6 months).
        assert not Report.objects.filter(unit=commune, period_kind="quarterly", period_number=2).exists()
    counts = Report.objects.annotate(n=Count("entries")).values_list("n", flat=True)
    assert set(counts) == {national.TASKS}
    assert TargetResult.objects.count() == Report.objects.count() * national.TARGETS
    assert Entry.objects.filter(report__state=ReportState.ACCEPTED, is_entered=False).count() == 0
    # The open annual period: drafts only, some entries still to enter.
    drafts = Report.objects.filter(period_kind="annual")
    assert drafts.exists() and set(drafts.values_list("state", flat=True)) == {ReportState.DRAFT}
    assert Entry.objects.filter(report__in=drafts, is_entered=False).exists()
    # Every submitted report has its submission event; a returned one was resubmitted.
    for report in Report.objects.filter(first_submitted_at__isnull=False):
        actions = list(report.events.values_list("action", flat=True))
        assert actions[0] == ReportEvent.Action.SUBMITTED
        if ReportEvent.Action.RETURNED in actions:
            assert actions[actions.index(ReportEvent.Action.RETURNED) + 1] == ReportEvent.Action.RESUBMITTED
        assert report.events.get(action=ReportEvent.Action.SUBMITTED).at == report.first_submitted_at
    assert dataset.late == Report.objects.filter(is_late=True).count()
    assert Evidence.objects.exists()
    assert not Entry.objects.filter(narrative__contains="{").exists()  # every template filled in


class Rollback(Exception):
    pass


def built_then_undone(fn, **scale):
    """What `fn` reads from a dataset built at `scale`, the dataset then rolled back."""
    try:
        with transaction.atomic():
            national.build(today=TODAY, log=lambda *a: None, **scale)
            seen = fn()
            raise Rollback
    except Rollback:
        return seen


def test_the_dataset_is_deterministic():
    def read():
        entries = Entry.objects.order_by(
            "report__unit__code",
            "report__period_kind",
            "report__period_number",
            "task__group__position",
            "task__position",
        )
        late = Report.objects.filter(is_late=True).order_by("unit__code", "period_kind", "period_number")
        return (
            list(entries.values_list("status", "progress", "narrative")),
            list(late.values_list("unit__code", "period_kind")),
        )

    scale = {"provinces": 2, "communes_per_province": 6, "procedures": 0}
    assert built_then_undone(read, **scale) == built_then_undone(read, **scale)


def test_a_second_run_refuses_instead_of_doubling(dataset):
    with pytest.raises(RuntimeError, match="đã có kế hoạch năm 2026"):
        national.build(today=TODAY, provinces=2, communes_per_province=6, procedures=0, log=lambda *a: None)


def test_the_province_rollup_sums_the_communes_results(dataset):
    province = Unit.objects.filter(depth=1).order_by("path").first()
    period = Period(2026, "quarterly", 3)
    data = rollup.build(province, period)
    assert (data.expected, data.submitted) == (6, 6)
    roll = data.tasks[0]
    assert roll.units == 6 and sum(roll.statuses.values()) == 6
    for summed in roll.targets:
        target = summed["target"]
        values = list(
            TargetResult.objects.filter(
                target__superior_target=target,
                entry__report__year=2026,
                entry__report__period_kind="quarterly",
                entry__report__period_number=3,
            ).values_list("achieved", flat=True)
        )
        assert summed["units"] == len(values) == 6
        if target.aggregation == "sum":
            assert summed["value"] == sum(values, Decimal(0))


def test_national_overview_agrees_with_each_province(dataset, client):
    period = Period(2026, "quarterly", 3)
    data = rollup.national(period)
    assert len(data.rows) == 2
    for row in data.rows:
        own = rollup.build(row.unit, period, with_tasks=False)
        assert (row.communes, row.expected, row.submitted, row.on_time) == (
            6,
            own.expected,
            own.submitted,
            own.on_time,
        )
        sent = Report.objects.filter(
            unit__path__startswith=row.unit.path, period_kind="quarterly", period_number=3
        ).values_list("progress", flat=True)
        assert row.progress == pytest.approx(sum(sent) / len(sent))
    assert data.submitted == 12

    client.force_login(User.objects.get(username=national.NATIONAL_USER))
    response = client.get(reverse("reports:national", args=[period.code]))
    assert response.status_code == 200
    assert "12/12" in response.content.decode()
    # Without a period: the latest period whose deadline has passed (or the first one).
    assert client.get(reverse("reports:national_now")).status_code == 302


def test_national_overview_costs_the_same_queries_for_more_provinces(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("reports:national", args=["2026-Q3"])

    def measure():
        client.force_login(User.objects.get(username=national.NATIONAL_USER))
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(queries), response.content.decode().count("data-unit=")

    small = built_then_undone(measure, provinces=1, communes_per_province=2, procedures=0)
    large = built_then_undone(measure, provinces=4, communes_per_province=5, procedures=0)
    assert (small[1], large[1]) == (1, 4)
    assert small[0] == large[0]


def test_a_reviewer_without_the_permission_gets_403(dataset, client):
    client.force_login(User.objects.get(username="snv." + Unit.objects.filter(depth=1).first().code))
    assert client.get(reverse("reports:national", args=["2026-Q3"])).status_code == 403
    user = User.objects.get(username="snv." + Unit.objects.filter(depth=1).first().code)
    user.user_permissions.add(Permission.objects.get(codename="view_national_overview"))
    client.force_login(User.objects.get(pk=user.pk))
    assert client.get(reverse("reports:national", args=["2026-Q3"])).status_code == 200


def test_the_command_prints_what_it_built(capsys, settings):
    settings.DEBUG = True
    call_command(
        "bench_dataset", "--provinces", "1", "--communes", "2", "--procedures", "5", "--today", "2026-11-21"
    )
    out = capsys.readouterr().out
    assert "1 tỉnh, 2 xã" in out and national.BENCH_PASSWORD in out
    assert Task.objects.filter(plan__unit__depth=2).count() == 2 * national.TASKS


def test_the_reports_home_links_the_national_overview_for_those_who_may_see_it(dataset, client):
    client.force_login(User.objects.get(username=national.NATIONAL_USER))
    text = client.get(reverse("reports:index")).content.decode()
    assert reverse("reports:national_now") in text and "Bạn chưa thuộc đơn vị nào" not in text
    client.force_login(User.objects.get(username="snv." + Unit.objects.filter(depth=1).first().code))
    assert reverse("reports:national_now") not in client.get(reverse("reports:index")).content.decode()


def test_the_command_refuses_without_debug_and_writes_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="chỉ chạy ở chế độ phát triển"):
        call_command("bench_dataset", "--provinces", "1", "--communes", "1", "--procedures", "1")
    assert not Unit.objects.exists() and not Plan.objects.exists()
