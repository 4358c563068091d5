"""A plan too long to print is refused with a message naming its longest part, at once, by the
preview and by the signing actions alike; the worker then serves the next request."""

from __future__ import annotations

import time

from django.urls import reverse

from documents.models import OutgoingDocument
from plans.models import Plan, Status, Task
from plans.pdf import plan_html
from plans.tests.test_signing import approved  # noqa: F401  (a fixture: commune A's plan, approved)

TITLE = "Tuyên truyền về cải cách hành chính " * 11


def _too_long(w, settings) -> None:
    """Commune A's task gets a long title and the budget is one character short of the plan."""
    Task.objects.filter(pk=w.plan_a_task.pk).update(title=TITLE.strip())
    settings.CCHC_RENDER_MAX_CHARS = len(plan_html(w.plan_a)) - 1


def test_the_preview_names_the_longest_part_in_under_a_second(plans_world, as_persona, settings):
    w = plans_world
    _too_long(w, settings)
    client = as_persona("leader_a")
    started = time.perf_counter()
    response = client.get(reverse("plans:pdf", args=[w.plan_a.pk]))
    assert time.perf_counter() - started < 1
    assert response.status_code == 422
    page = response.text
    assert "Văn bản quá dài để tạo bản PDF. Phần dài nhất là" in page
    assert f'href="{reverse("plans:detail", args=[w.plan_a.pk])}"' in page
    assert "ký tự): “Tuyên truyền về cải cách hành chính" in page
    settings.CCHC_RENDER_MAX_CHARS = 1_000_000
    again = client.get(reverse("plans:pdf", args=[w.plan_a.pk]))
    assert again.status_code == 200 and again["Content-Type"] == "application/pdf"


def test_a_layout_past_its_time_is_stopped_with_a_message(plans_world, as_persona, settings):
    w = plans_world
    settings.CCHC_RENDER_TIMEOUT = 0.01
    client = as_persona("leader_a")
    response = client.get(reverse("plans:pdf", args=[w.plan_a.pk]))
    assert response.status_code == 422
    assert "Văn bản quá thời gian cho phép để tạo bản PDF" in response.text
    settings.CCHC_RENDER_TIMEOUT = 20
    assert client.get(reverse("plans:pdf", args=[w.plan_a.pk])).status_code == 200


def test_signing_a_plan_too_long_to_print_is_refused_and_changes_nothing(approved, as_persona, settings):  # noqa: F811
    w = approved
    _too_long(w, settings)
    client = as_persona("leader_a")
    for action in ("sign", "prepare_client"):
        response = client.post(
            reverse("plans:transition", args=[w.plan_a.pk]), {"action": action}, follow=True
        )
        assert response.status_code == 200
        assert "Văn bản quá dài để tạo bản PDF" in response.text
    plan = Plan.objects.get(pk=w.plan_a.pk)
    assert plan.status == Status.APPROVED and plan.document_id is None
    assert not OutgoingDocument.objects.filter(unit=w.commune_a).exists()
