"""A report too long to print is refused with a message naming its longest part: the preview and
the leader's signing alike, at once, and nothing is signed."""

from __future__ import annotations

import time

from django.urls import reverse

from documents.models import OutgoingDocument
from reports.models import Report
from reports.pdf import report_html
from reports.tests.test_signing import _report, filled  # noqa: F401  (a fixture: a filled report)

RESULTS = "Đã tổ chức tuyên truyền cải cách hành chính tại tổ dân phố. " * 30


def _too_long(w, settings) -> None:
    Report.objects.filter(pk=w.report.pk).update(results=RESULTS)
    settings.CCHC_RENDER_MAX_CHARS = len(report_html(Report.objects.get(pk=w.report.pk))) - 1


def test_the_preview_names_the_narrative_in_under_a_second(filled, as_persona, settings):  # noqa: F811
    w = filled
    _too_long(w, settings)
    client = as_persona("leader_a")
    started = time.perf_counter()
    response = client.get(reverse("reports:pdf", args=[w.commune_a.pk, w.annual.code]))
    assert time.perf_counter() - started < 1
    assert response.status_code == 422
    page = response.text
    assert f'href="{reverse("reports:report", args=[w.commune_a.pk, w.annual.code])}"' in page
    assert "Phần dài nhất là phần “Kết quả thực hiện” (1.800 ký tự)" in page


def test_signing_a_report_too_long_to_print_is_refused(filled, as_persona, settings):  # noqa: F811
    w = filled
    _too_long(w, settings)
    url = reverse("reports:transition", args=[w.report.pk])
    for action in ("sign", "prepare_client"):
        response = as_persona("leader_a").post(url, {"action": action}, follow=True)
        assert response.status_code == 200
        assert "Phần dài nhất là phần “Kết quả thực hiện”" in response.text
    assert _report(w).document_id is None
    assert not OutgoingDocument.objects.filter(unit=w.commune_a, document_type="BC").exists()
