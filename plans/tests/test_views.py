"""Plan pages: the editor's htmx endpoints, the workflow buttons, and what bad input gets."""

from django.urls import reverse

from plans import services
from plans.models import Plan, SectionItem, Status, Task, TaskGroup

HTMX = {"HX-Request": "true"}


def test_the_list_shows_the_year_in_scope(as_persona, plans_world):
    response = as_persona("officer_b").get(reverse("plans:list"), {"year": 2026})
    assert [p.unit.code for p in response.context["plans"]] == ["48"]
    response = as_persona("reviewer").get(reverse("plans:list"), {"year": "not-a-year"})
    assert response.status_code == 200


def test_the_detail_page_is_the_document(as_persona, plans_world):
    response = as_persona("officer_a").get(reverse("plans:detail", args=[plans_world.province_plan.pk]))
    text = response.text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Số: 01/KH-UBND" in text
    assert "Đà Nẵng, ngày 20 tháng 01 năm 2026" in text
    assert "IV. NHIỆM VỤ CỤ THỂ" in text
    assert "1. UBND các xã, phường, đặc khu" in text
    assert 'value="amend"' not in text  # a commune officer cannot amend the city's plan


def test_create_from_the_superior_plan(as_persona, plans_world):
    client = as_persona("reviewer")
    client.force_login(plans_world.officer_b)
    from conftest import grant

    grant(plans_world.officer_b, plans_world.commune_b, "van-phong-hdnd-ubnd")
    response = client.post(
        reverse("plans:create"), {"unit": plans_world.commune_b.pk, "year": 2026, "mode": "superior"}
    )
    plan = Plan.objects.get(unit=plans_world.commune_b)
    assert response.status_code == 302 and response["Location"] == reverse("plans:edit", args=[plan.pk])
    assert plan.parent_plan == plans_world.province_plan


def test_create_refuses_a_second_plan_and_a_missing_superior(as_persona, plans_world):
    client = as_persona("leader_a")
    response = client.post(
        reverse("plans:create"), {"unit": plans_world.commune_a.pk, "year": 2026, "mode": "superior"}
    )
    assert response.status_code == 422
    assert "đã có kế hoạch năm 2026" in response.text
    response = client.post(
        reverse("plans:create"), {"unit": plans_world.commune_a.pk, "year": 2030, "mode": "superior"}
    )
    assert "chưa ban hành kế hoạch năm 2030" in response.text
    response = client.post(
        reverse("plans:create"), {"unit": plans_world.commune_a.pk, "year": 2031, "mode": "copy"}
    )
    assert response.status_code == 302  # 2026's plan copied into 2031


def test_create_refuses_a_unit_the_user_cannot_plan_for(as_persona, plans_world):
    response = as_persona("leader_a").post(
        reverse("plans:create"), {"unit": plans_world.commune_b.pk, "year": 2026, "mode": "blank"}
    )
    assert response.status_code == 422  # commune B is not among the choices
    assert not Plan.objects.filter(unit=plans_world.commune_b).exists()


def test_the_editor_renders_every_part(as_persona, plans_world):
    response = as_persona("leader_a").get(reverse("plans:edit", args=[plans_world.plan_a.pk]))
    assert response.status_code == 200
    for anchor in (
        'id="header"',
        'id="tasks"',
        'id="rules"',
        f'id="section-{plans_world.plan_a_section.pk}"',
    ):
        assert anchor in response.text


def test_adding_an_item_returns_the_section(as_persona, plans_world):
    w = plans_world
    url = reverse("plans:item_add", args=[w.plan_a.pk, w.plan_a_section.pk])
    response = as_persona("leader_a").post(
        url, {"style": "bullet", "text": "Nâng cao nhận thức"}, headers=HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#section-{w.plan_a_section.pk}"
    assert "Nâng cao nhận thức" in response.text
    assert SectionItem.objects.filter(section=w.plan_a_section, text="Nâng cao nhận thức").exists()


def test_an_empty_item_is_refused_in_place(as_persona, plans_world):
    w = plans_world
    url = reverse("plans:item_add", args=[w.plan_a.pk, w.plan_a_section.pk])
    response = as_persona("leader_a").post(url, {"style": "bullet", "text": "  "}, headers=HTMX)
    assert response.status_code == 422
    assert "Hãy nhập nội dung." in response.text
    assert "HX-Retarget" not in response


def test_a_nested_item_cannot_point_into_another_section(as_persona, plans_world):
    w = plans_world
    other = w.plan_a.sections.get(kind="content").items.first()
    url = reverse("plans:item_add", args=[w.plan_a.pk, w.plan_a_section.pk])
    response = as_persona("leader_a").post(
        url, {"style": "bullet", "text": "x", "parent": other.pk}, headers=HTMX
    )
    assert response.status_code == 404


def test_a_row_of_another_plan_is_not_found(as_persona, plans_world):
    w = plans_world
    foreign = w.province_plan.tasks.first()
    response = as_persona("leader_a").get(reverse("plans:task", args=[w.plan_a.pk, foreign.pk]))
    assert response.status_code == 404


def test_editing_a_task_with_targets(as_persona, plans_world):
    w = plans_world
    task = w.plan_a_task
    target = task.targets.get()
    data = {
        "lock_version": task.lock_version,
        "title": "Chuyên mục CCHC hằng tháng",
        "content_area": "tthc",
        "frequency": "monthly",
        "for_public": "on",
        "channels": [],
        "targets-TOTAL_FORMS": "2",
        "targets-INITIAL_FORMS": "1",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "20",
        "targets-0-id": target.pk,
        "targets-0-task": task.pk,
        "targets-0-name": "Chuyên đề phát thanh",
        "targets-0-value": "10",
        "targets-0-unit_of_measure": "chuyên đề",
        "targets-0-aggregation": "sum",
        "targets-1-task": task.pk,
        "targets-1-name": "Tin bài",
        "targets-1-value": "12,5",
        "targets-1-unit_of_measure": "tin",
        "targets-1-aggregation": "sum",
    }
    response = as_persona("leader_a").post(
        reverse("plans:task", args=[w.plan_a.pk, task.pk]), data, headers=HTMX
    )
    assert response.status_code == 200, response.text
    task.refresh_from_db()
    assert task.title == "Chuyên mục CCHC hằng tháng" and task.frequency == "monthly"
    assert {t.name: str(t.value) for t in task.targets.all()} == {
        "Chuyên đề phát thanh": "10.00",
        "Tin bài": "12.50",
    }
    assert task.targets.get(name="Chuyên đề phát thanh").set_locally  # a cascaded target changed locally


def test_a_target_that_is_not_a_number_is_refused_and_nothing_is_lost(as_persona, plans_world):
    w = plans_world
    task = w.plan_a_task
    data = {
        "lock_version": task.lock_version,
        "title": "Tiêu đề mới chưa lưu",
        "content_area": "chung",
        "frequency": "once",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "20",
        "targets-0-task": task.pk,
        "targets-0-name": "Chuyên đề",
        "targets-0-value": "mười hai",
        "targets-0-unit_of_measure": "chuyên đề",
        "targets-0-aggregation": "sum",
    }
    response = as_persona("leader_a").post(
        reverse("plans:task", args=[w.plan_a.pk, task.pk]), data, headers=HTMX
    )
    assert response.status_code == 422
    assert "“mười hai” không phải là một số" in response.text
    assert "Tiêu đề mới chưa lưu" in response.text  # what was typed is still in the form
    task.refresh_from_db()
    assert task.title != "Tiêu đề mới chưa lưu"


def test_two_people_saving_the_same_task(as_persona, plans_world):
    w = plans_world
    task = w.plan_a_task
    stale = task.lock_version
    services.update_fields(task, stale, {"title": "Bản của đồng nghiệp"}, plan=w.plan_a, by=w.leader_a)
    data = {
        "lock_version": stale,
        "title": "Bản của tôi",
        "content_area": "chung",
        "frequency": "once",
        "targets-TOTAL_FORMS": "0",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "20",
    }
    client = as_persona("leader_a")
    url = reverse("plans:task", args=[w.plan_a.pk, task.pk])
    response = client.post(url, data, headers=HTMX)
    assert response.status_code == 409
    assert "Có người vừa sửa nội dung này." in response.text
    assert "Bản của đồng nghiệp" in response.text and "Bản của tôi" in response.text
    assert Task.objects.get(pk=task.pk).title == "Bản của đồng nghiệp"
    # Saving again from the conflict form (it now carries the current version) overwrites.
    data["lock_version"] = Task.objects.get(pk=task.pk).lock_version
    assert client.post(url, data, headers=HTMX).status_code == 200
    assert Task.objects.get(pk=task.pk).title == "Bản của tôi"


def test_assigning_a_task_to_a_role(as_persona, plans_world):
    w = plans_world
    from units.models import Role

    role = Role.objects.get(code="trung-tam-phuc-vu-hcc")
    url = reverse("plans:task_assign", args=[w.plan_a.pk, w.plan_a_task.pk])
    response = as_persona("leader_a").post(
        url, {"role": role.pk, "lock_version": w.plan_a_task.lock_version}, headers=HTMX
    )
    assert response.status_code == 200
    assert Task.objects.get(pk=w.plan_a_task.pk).group.lead_role == role
    assert TaskGroup.objects.filter(plan=w.plan_a, lead_role=role).count() == 1


def test_editing_an_issued_plan_gets_a_clear_message(as_persona, plans_world):
    w = plans_world
    client = as_persona("reviewer")
    response = client.get(reverse("plans:edit", args=[w.province_plan.pk]), follow=True)
    assert "đã ban hành thì không sửa được" in response.text
    task = w.province_plan.tasks.first()
    response = client.post(
        reverse("plans:task_change", args=[w.province_plan.pk, task.pk]), {"delete": "1"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "đã ban hành thì không sửa được" in response.text
    assert Task.objects.filter(pk=task.pk).exists()


def test_the_workflow_buttons(as_persona, plans_world, give_credentials):
    w = plans_world
    client = as_persona("leader_a")
    client.post(reverse("plans:transition", args=[w.plan_a.pk]), {"action": "submit"})
    client.post(reverse("plans:transition", args=[w.plan_a.pk]), {"action": "approve"})
    response = client.post(reverse("plans:transition", args=[w.plan_a.pk]), {"action": "sign"}, follow=True)
    assert "chưa có chứng thư số còn hiệu lực" in response.text
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.APPROVED  # no number taken
    give_credentials(user=w.leader_a)
    give_credentials(unit=w.commune_a)
    client.post(reverse("plans:transition", args=[w.plan_a.pk]), {"action": "return", "reason": "Làm lại"})
    url = reverse("plans:transition", args=[w.plan_a.pk])
    client.post(url, {"action": "submit"})
    assert Plan.objects.get(pk=w.plan_a.pk).status == Status.SUBMITTED
    response = client.post(url, {"action": "return", "reason": ""}, follow=True)
    assert "Hãy ghi lý do trả lại" in response.text
    client.post(url, {"action": "approve"})
    response = client.post(url, {"action": "sign"}, follow=True)
    assert "Văn thư sẽ kiểm tra, cấp số" in response.text
    client.force_login(w.clerk_a)
    response = client.post(url, {"action": "issue_clerk"}, follow=True)
    assert "ban hành kế hoạch số 01/KH-UBND" in response.text
    from documents.services import verify_stored

    assert verify_stored(Plan.objects.get(pk=w.plan_a.pk).document).status == "valid"
    client = as_persona("leader_a")
    response = client.post(url, {"action": "amend"})
    new = Plan.objects.get(unit=w.commune_a, is_latest=True)
    assert new.version == 2 and response["Location"] == reverse("plans:edit", args=[new.pk])


def test_an_officer_cannot_take_a_workflow_step(as_persona, plans_world):
    response = as_persona("officer_a").post(
        reverse("plans:transition", args=[plans_world.plan_a.pk]), {"action": "approve"}
    )
    assert response.status_code == 403
    assert Plan.objects.get(pk=plans_world.plan_a.pk).status == Status.DRAFT


def test_reporting_rules_are_validated(as_persona, plans_world):
    w = plans_world
    url = reverse("plans:rules", args=[w.plan_a.pk])
    kinds = ("monthly", "quarterly", "half_year", "nine_months", "annual")
    data = {f"day_{p}": 20 for p in kinds} | {f"units_{p}": 17 for p in kinds}
    response = as_persona("leader_a").post(
        url, {**data, "on_monthly": "on", "day_monthly": "10"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "sau ngày chốt số liệu" in response.text
    response = as_persona("leader_a").post(
        url, {**data, "on_quarterly": "on", "on_annual": "on"}, headers=HTMX
    )
    assert response.status_code == 200
    assert sorted(r.period_type for r in w.plan_a.reporting_rules.all()) == ["annual", "quarterly"]


def test_taking_upstream_changes_in_the_browser_flow(as_persona, plans_world):
    w = plans_world
    new = services.amend(w.province_plan)
    from units.models import Level

    services.add_task(new.groups.get(lead_level=Level.COMMUNE), title="Tuyên truyền trên Zalo")
    services.submit(new)
    services.approve(new)
    services.issue(new)
    client = as_persona("leader_a")
    page = client.get(reverse("plans:upstream", args=[w.plan_a.pk]))
    assert "Tuyên truyền trên Zalo" in page.text and "Nhiệm vụ mới" in page.text
    detail = client.get(reverse("plans:detail", args=[w.plan_a.pk]))
    assert 'id="upstream-banner"' in detail.text
    [change] = page.context["diff"].changes
    client.post(reverse("plans:upstream", args=[w.plan_a.pk]), {"change": [change.id]})
    assert w.plan_a.tasks.filter(title="Tuyên truyền trên Zalo").exists()


def test_the_cascade_page(as_persona, plans_world):
    response = as_persona("reviewer").get(reverse("plans:cascade", args=[plans_world.province_plan.pk]))
    assert response.status_code == 200
    assert "Phường Tam Kỳ" in response.text and "Chưa có" in response.text
    task_page = as_persona("reviewer").get(
        reverse("plans:cascade_task", args=[plans_world.province_plan.pk, plans_world.province_task.pk])
    )
    assert "Phường Tam Kỳ" in task_page.text


def test_the_plan_history(as_persona, plans_world):
    response = as_persona("leader_a").get(reverse("plans:history", args=[plans_world.plan_a.pk]))
    assert response.status_code == 200
    assert response.context["entries"]


def test_the_editor_costs_the_same_queries_with_more_tasks(as_persona, plans_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = plans_world
    client = as_persona("leader_a")
    url = reverse("plans:edit", args=[w.plan_a.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(15):
        task = services.add_task(w.plan_a_group, title=f"Nhiệm vụ thêm {i}")
        services.add_target(task, name="Tin bài", unit_of_measure="tin", value=i)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_home_page_lists_plans_and_assigned_tasks(as_persona, world):
    from django.utils import timezone

    from units.models import Level, Role

    year = timezone.localdate().year
    assert "chưa có kế hoạch năm" in as_persona("leader_a").get(reverse("home")).text
    plan = services.create_plan(world.commune_a, year)
    group = services.group_for_role(plan, Role.objects.get(code="phong-van-hoa-xa-hoi"))
    task = services.add_task(group, title="Tuyên truyền trên loa phường")
    services.add_task(
        services.add_group(plan, heading="Khác", lead_level=Level.AGENCY), title="Không phải của tôi"
    )
    assert as_persona("leader_a").get(reverse("home")).context["own_plans"][0][1] == [plan]
    assert as_persona("officer_a").get(reverse("home")).context["my_tasks"] == []  # not issued yet
    services.submit(plan)
    services.approve(plan)
    services.issue(plan)
    assert as_persona("officer_a").get(reverse("home")).context["my_tasks"] == [task]
