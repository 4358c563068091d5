"""Plan services: creating, the workflow, the cascade, amendments and the changes they carry down."""

import datetime
from decimal import Decimal

import pytest

from conftest import make_unit
from plans import services
from plans.models import Plan, Section, Status, Target, Task
from units.models import Level, Role


def issued(plan, by=None, day=datetime.date(2026, 1, 20)):
    services.submit(plan, by=by)
    services.approve(plan, by=by)
    return services.issue(plan, by=by, issued_on=day)


def test_a_new_plan_has_the_usual_sections_and_schedule(world):
    plan = services.create_plan(world.commune_a, 2026)
    assert plan.title == "Kế hoạch tuyên truyền công tác cải cách hành chính năm 2026"
    assert [s.kind for s in plan.sections.all()] == [
        "purpose",
        "content",
        "activities",
        "tasks",
        "organisation",
    ]
    assert sorted(r.period_type for r in plan.reporting_rules.all()) == ["annual", "half_year", "quarterly"]
    assert plan.signer_authority == "TM. ỦY BAN NHÂN DÂN"
    assert "UBND thành phố Đà Nẵng" in plan.recipients


def test_one_plan_per_unit_and_year(world):
    services.create_plan(world.commune_a, 2026)
    with pytest.raises(services.PlanError, match="đã có kế hoạch năm 2026"):
        services.create_plan(world.commune_a, 2026)


def test_the_workflow_and_the_register(plans_world):
    w = plans_world
    assert w.province_plan.status == Status.ISSUED
    assert w.province_plan.reference == "01/KH-UBND"
    second = services.create_plan(w.danang, 2027)
    group = services.add_group(second, heading="Sở Nội vụ", lead_unit=w.snv)
    services.add_task(group, title="Một nhiệm vụ")
    second = issued(second, day=datetime.date(2026, 12, 30))
    assert second.reference == "02/KH-UBND"  # the register counts per calendar year of issue
    january = services.create_plan(w.danang, 2028)
    services.add_task(services.add_group(january, heading="X", lead_unit=w.snv), title="Y")
    assert issued(january, day=datetime.date(2027, 1, 2)).reference == "01/KH-UBND"


def test_returning_needs_a_reason_and_reopens_the_draft(plans_world):
    plan = plans_world.plan_a
    services.submit(plan)
    with pytest.raises(services.PlanError, match="lý do"):
        services.return_to_draft(plan, reason="  ")
    plan = services.return_to_draft(plan, reason="Thiếu chỉ tiêu")
    assert plan.status == Status.DRAFT and plan.return_reason == "Thiếu chỉ tiêu"
    assert plan.history.first().history_change_reason == "Trả lại: Thiếu chỉ tiêu"


def test_steps_out_of_order_are_refused(plans_world):
    with pytest.raises(services.PlanError, match="Chỉ ban hành được kế hoạch đã phê duyệt"):
        services.issue(plans_world.plan_a)
    with pytest.raises(services.PlanError, match="trạng thái"):
        services.approve(plans_world.plan_a)


def test_a_plan_with_unassigned_cascaded_tasks_cannot_be_submitted(plans_world):
    plan = services.start_from_superior(plans_world.commune_b, plans_world.province_plan)
    with pytest.raises(services.PlanError, match="chưa phân công"):
        services.submit(plan)


def test_an_issued_plan_never_changes(plans_world):
    plan = plans_world.province_plan
    task = plan.tasks.first()
    with pytest.raises(services.PlanError, match="đã ban hành"):
        services.update_fields(task, task.lock_version, {"title": "Sửa lén"}, plan=plan)
    with pytest.raises(services.PlanError, match="đã ban hành"):
        services.add_task(task.group, title="Thêm lén")
    assert Task.objects.get(pk=task.pk).title != "Sửa lén"


def test_a_stale_edit_is_a_conflict_and_writes_nothing(plans_world):
    task = plans_world.plan_a_task
    services.update_fields(
        task, task.lock_version, {"title": "Bản của người thứ nhất"}, plan=plans_world.plan_a
    )
    with pytest.raises(services.ConflictError) as caught:
        services.update_fields(
            task, task.lock_version, {"title": "Bản của người thứ hai"}, plan=plans_world.plan_a
        )
    assert caught.value.current.title == "Bản của người thứ nhất"
    assert Task.objects.get(pk=task.pk).title == "Bản của người thứ nhất"


def test_the_cascade_copies_the_tasks_addressed_to_the_unit(plans_world):
    w = plans_world
    plan_a = w.plan_a
    assert plan_a.parent_plan == w.province_plan
    [task] = plan_a.tasks.all()  # the commune-level task, not the Sở Nội vụ one
    assert task.superior_task == w.province_task and task.superior_key == w.province_task.key
    [target] = task.targets.all()
    assert (target.name, target.value, target.superior_key) == (
        "Chuyên đề phát thanh",
        12,
        w.province_task.targets.get().key,
    )
    assert services.basis_sentence(plan_a).startswith(
        "Thực hiện Kế hoạch số 01/KH-UBND ngày 20/1/2026 của UBND thành phố Đà Nẵng về tuyên truyền"
    )
    # The department gets its own task, the communes do not.
    snv_plan = services.start_from_superior(w.snv, w.province_plan)
    assert [t.title for t in snv_plan.tasks.all()] == ["Hướng dẫn, kiểm tra việc triển khai"]


def test_a_task_for_some_communes_reaches_only_them(plans_world):
    w = plans_world
    plan = services.amend(w.province_plan)
    group = plan.groups.get(lead_level=Level.COMMUNE)
    services.add_task(
        group.plan.groups.get(lead_unit=w.snv), title="Thí điểm ở phường Bàn Thạch", addressees=[w.commune_b]
    )
    plan = issued(plan)
    titles_b = {t.title for t in services.start_from_superior(w.commune_b, plan).tasks.all()}
    assert "Thí điểm ở phường Bàn Thạch" in titles_b
    assert "Thí điểm ở phường Bàn Thạch" not in {t.title for t in services.addressed_tasks(plan, w.commune_a)}


def test_the_cascade_needs_an_issued_superior_plan(world):
    draft = services.create_plan(world.danang, 2026)
    with pytest.raises(services.PlanError, match="chưa được ban hành"):
        services.start_from_superior(world.commune_a, draft)


def test_the_cascade_only_flows_down(plans_world):
    other = services.create_plan(plans_world.quangngai, 2026)
    services.add_task(services.add_group(other, heading="Các xã", lead_level=Level.COMMUNE), title="X")
    other = issued(other)
    with pytest.raises(services.PlanError, match="không phải của đơn vị cấp trên"):
        services.start_from_superior(plans_world.commune_a, other)


def test_an_amendment_is_a_new_version_and_the_issued_one_stays(plans_world):
    w = plans_world
    original = w.province_plan
    new = services.amend(original)
    original.refresh_from_db()
    assert (new.version, new.status, new.previous, new.is_latest) == (2, Status.DRAFT, original, True)
    assert original.status == Status.ISSUED and not original.is_latest
    assert {t.key for t in new.tasks.all()} == {t.key for t in original.tasks.all()}
    with pytest.raises(services.PlanError, match="phiên bản sửa đổi mới hơn"):
        services.amend(original)


def test_the_unit_sees_and_takes_the_superiors_changes(plans_world):
    w = plans_world
    plan_a = w.plan_a
    mine = plan_a.tasks.get()
    my_target = mine.targets.get()
    my_target.value, my_target.set_locally = Decimal(10), True  # set locally: keep on updates
    my_target.save()

    new = services.amend(w.province_plan)
    commune_group = new.groups.get(lead_level=Level.COMMUNE)
    task = new.tasks.get(key=w.province_task.key)
    services.update_fields(
        task, task.lock_version, {"title": "Xây dựng chuyên mục CCHC hằng tháng"}, plan=new
    )
    target = task.targets.get()
    services.update_fields(target, target.lock_version, {"value": Decimal(24)}, plan=new)
    services.add_target(task, name="Tin, bài trên trang TTĐT", unit_of_measure="tin, bài", value=20)
    services.add_task(commune_group, title="Tuyên truyền trên Zalo của UBND xã")
    new = issued(new)

    diff = services.upstream_diff(plan_a)
    assert diff.is_behind and diff.latest == new
    kinds = sorted(c.kind for c in diff.changes)
    assert kinds == ["added", "reworded", "target_added", "target_changed"]

    taken = services.take_upstream_changes(plan_a, [c.id for c in diff.changes if c.kind != "added"])
    assert taken == 3
    plan_a.refresh_from_db()
    assert plan_a.parent_plan == new
    mine.refresh_from_db()
    assert mine.title == "Xây dựng chuyên mục CCHC hằng tháng"
    assert mine.superior_task.plan == new
    values = {t.name: t.value for t in mine.targets.all()}
    assert values == {"Chuyên đề phát thanh": 10, "Tin, bài trên trang TTĐT": 20}  # local value kept
    assert not services.upstream_diff(plan_a).is_behind
    assert "Tuyên truyền trên Zalo của UBND xã" not in {t.title for t in plan_a.tasks.all()}  # set aside


def test_a_removed_superior_task_can_be_taken_away(plans_world):
    w = plans_world
    new = services.amend(w.province_plan)
    services.delete(new.tasks.get(key=w.province_task.key), plan=new)
    new = issued(new) if new.tasks.exists() else new
    diff = services.upstream_diff(w.plan_a)
    assert [c.kind for c in diff.changes] == ["removed"]
    services.take_upstream_changes(w.plan_a, [diff.changes[0].id])
    assert not w.plan_a.tasks.exists()


def test_taking_changes_needs_a_draft(plans_world):
    w = plans_world
    plan_a = issued(w.plan_a, day=datetime.date(2026, 2, 1))
    new = services.amend(w.province_plan)
    services.add_task(new.groups.get(lead_level=Level.COMMUNE), title="Mới")
    issued(new)
    with pytest.raises(services.PlanError, match="phiên bản sửa đổi"):
        services.take_upstream_changes(plan_a, ["added:x"])


def test_copying_last_years_plan(plans_world):
    w = plans_world
    source = w.province_plan
    task = source.tasks.get(key=w.province_task.key)
    Task.objects.filter(pk=task.pk).update(deadline=datetime.date(2026, 6, 30))
    copy = services.copy_previous_year(source, 2027)
    assert copy.title == "Kế hoạch tuyên truyền công tác cải cách hành chính năm 2027"
    assert copy.status == Status.DRAFT and copy.parent_plan is None
    copied = copy.tasks.get(title=task.title)
    assert copied.key != task.key and copied.deadline == datetime.date(2027, 6, 30)
    assert copied.targets.get().value == 12
    assert copy.sections.filter(kind=Section.Kind.TASKS).exists()
    with pytest.raises(services.PlanError, match="năm trước sang năm sau"):
        services.copy_previous_year(copy, 2026)


def test_assigning_a_task_to_a_role_groups_it(plans_world):
    plan = services.start_from_superior(plans_world.commune_b, plans_world.province_plan)
    role = Role.objects.get(code="trung-tam-phuc-vu-hcc")
    task = plan.tasks.get()
    group = services.group_for_role(plan, role)
    services.move_task_to_group(task, group, task.lock_version)
    assert services.group_for_role(plan, role) == group  # reused, not duplicated
    assert plan.tasks.get().group.lead_role == role
    with pytest.raises(services.ConflictError):
        services.move_task_to_group(task, plan.groups.first(), task.lock_version)  # stale version


def test_a_group_with_tasks_cannot_be_deleted(plans_world):
    with pytest.raises(services.PlanError, match="Nhóm còn nhiệm vụ"):
        services.delete(plans_world.plan_a_group, plan=plans_world.plan_a)


def test_moving_reorders_siblings(plans_world):
    plan = plans_world.plan_a
    section = plans_world.plan_a_section
    first, second = section.items.order_by("position")
    services.move(second, -1, plan=plan)
    assert list(section.items.order_by("position")) == [second, first]
    services.move(second, -1, plan=plan)  # already first: nothing happens
    assert list(section.items.order_by("position")) == [second, first]


def test_the_schedule_sentence(plans_world):
    plan = plans_world.plan_a
    services.set_reporting_rules(plan, {"quarterly": 20, "annual": 20})
    sentence = services.schedule_sentence(plan)
    assert "kế hoạch hằng quý và năm (chậm nhất ngày 17 của tháng cuối kỳ)" in sentence
    assert "tổng hợp, báo cáo cấp trên hằng quý và năm (chậm nhất ngày 20 của tháng cuối kỳ)" in sentence
    services.set_reporting_rules(plan, {"quarterly": 20, "half_year": 23, "annual": 20})
    assert "hằng quý và năm (chậm nhất ngày 20 của tháng cuối kỳ); 6 tháng (chậm nhất ngày 23" in (
        services.schedule_sentence(plan)
    )
    assert "về UBND phường Tam Kỳ" in sentence


def test_the_cascade_overview_costs_the_same_queries_for_more_communes(
    plans_world, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = plans_world
    with CaptureQueriesContext(connection) as few:
        overview = services.cascade_overview(w.province_plan)
    assert overview.addressed_total == 3  # two communes and Sở Nội vụ
    assert overview.status_counts == {"none": 2, "draft": 1}
    assert overview.task_counts == {w.province_task.key: 1}

    danang = w.danang
    for i in range(160):
        commune = make_unit(f"{30000 + i}", f"Xã Thử {i}", "xa", danang.__class__.objects.get(pk=danang.pk))
        if i < 20:
            services.start_from_superior(commune, w.province_plan)
    with CaptureQueriesContext(connection) as many:
        overview = services.cascade_overview(w.province_plan)
    assert overview.addressed_total == 163
    assert overview.task_counts[w.province_task.key] == 21
    assert len(many) == len(few)


def test_targets_show_vietnamese_numbers():
    assert Target(value=Decimal("12.50")).value_display == "12,5"
    assert Target(value=Decimal("100")).value_display == "100"
    assert Target(value=Decimal("4.00")).value_display == "4"
    assert Target(value=Decimal("50000")).value_display == "50.000"
    assert Target(value=Decimal("1234.5")).value_display == "1.234,5"
    assert Target(value=Decimal("100"), unit_of_measure="%").amount_display == "100%"


def test_plans_are_visible_in_scope_and_issued_plans_above(plans_world):
    from units.access import Access

    w = plans_world
    officer_b = set(Plan.objects.visible_to(Access(w.officer_b)))
    assert officer_b == {w.province_plan}  # the issued plan above, not commune A's draft
    assert set(Plan.objects.visible_to(Access(w.reviewer))) == {w.province_plan, w.plan_a}
    assert not Plan.objects.visible_to(Access(w.other_reviewer)).exists()
