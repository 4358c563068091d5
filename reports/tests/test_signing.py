"""Signing a unit's report in two acts (NĐ 30 Điều 14): the leader signs (on the server or with a
USB token), then the văn thư numbers it, applies the unit's signature and sends it. While it is
being signed its figures are frozen; what is signed is what the database holds. Real WeasyPrint,
real pyHanko, the local PKI; the race on two real PostgreSQL connections."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.urls import reverse

from conftest import build_world
from documents import pdf_fields
from documents import services as documents
from documents.models import OutgoingDocument
from documents.tests.signing_tools import token_sign
from documents.tests.test_views import _upload
from reports import services
from reports.models import Entry, EntryStatus, Report, ReportState
from reports.tests.conftest import build_reporting
from reports.tests.test_pdf import _filled


def _report(w) -> Report:
    return Report.objects.select_related("document").get(
        unit=w.commune_a, year=w.annual.year, period_kind=w.annual.kind, period_number=w.annual.number
    )


def _save(entry: Entry, by, figure: str = "7", narrative: str = "Đã thực hiện") -> Entry:
    data = {"status": EntryStatus.DONE_ON_TIME, "narrative": narrative}
    for target in entry.task.targets.all():
        data[f"target_{target.pk}"] = figure
    values, errors = services.parse_entry(entry, data)
    assert not errors, errors
    return services.save_entry(entry, values, expected_version=None, by=by)


def _first_entry(report: Report) -> Entry:
    return (
        report.entries.select_related("task").prefetch_related("task__targets").order_by("task__pk").first()
    )


@pytest.fixture
def filled(reporting, give_credentials):
    w = reporting
    give_credentials(user=w.leader_a)
    give_credentials(unit=w.commune_a)
    w.report = _filled(w)
    return w


def test_the_leader_signs_then_the_van_thu_numbers_seals_and_sends(filled, as_persona):
    w = filled
    url = reverse("reports:transition", args=[w.report.pk])
    # The officer compiles but does not sign; the leader does not number.
    assert as_persona("officer_a").post(url, {"action": "sign"}).status_code == 403
    signed = as_persona("leader_a").post(url, {"action": "sign"}, follow=True)
    assert "Văn thư sẽ cấp số" in signed.text
    report = _report(w)
    assert report.document.state == OutgoingDocument.State.AWAITING_CLERK
    assert report.document.number is None and report.state == ReportState.DRAFT
    assert as_persona("leader_a").post(url, {"action": "issue_clerk"}).status_code == 403
    clerk = as_persona("officer_a")
    clerk.force_login(w.clerk_a)
    page = clerk.get(reverse("reports:report", args=[w.commune_a.pk, w.annual.code]))
    assert "Cấp số, ký số của cơ quan" in page.text
    # The văn thư checks the form: the page's "Xem bản PDF" opens for them too.
    preview = clerk.get(reverse("reports:pdf", args=[w.commune_a.pk, w.annual.code]))
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    done = clerk.post(url, {"action": "issue_clerk"}, follow=True)
    report = _report(w)
    first = report.document.reference
    assert first.endswith("/BC-UBND") and f"Đã cấp số {first}" in done.text
    assert report.state == ReportState.SUBMITTED and report.document.state == OutgoingDocument.State.ISSUED
    verdict = documents.verify_stored(report.document)
    assert verdict.ok, verdict.message
    assert next(s.signer_name for s in verdict.signatures) == w.leader_a.get_full_name()
    assert report.document.issued_by == w.clerk_a
    # Returned, signed again: a new number that supersedes the first document.
    services.return_report(report, reason="Sửa số liệu", by=w.reviewer)
    as_persona("leader_a").post(url, {"action": "sign"})
    clerk = as_persona("anonymous")  # one test client: log the văn thư in again
    clerk.force_login(w.clerk_a)
    again = clerk.post(url, {"action": "issue_clerk"}, follow=True)
    assert "Đã cấp số" in again.text, again.text[again.text.find("alert") : again.text.find("alert") + 400]
    report = _report(w)
    assert report.document.supersedes.reference == first
    assert report.document.number == report.document.supersedes.number + 1


def test_no_save_is_acknowledged_while_the_report_is_being_signed(filled, as_persona):
    w = filled
    services.sign_as_leader(w.report, by=w.leader_a)
    entry = _first_entry(_report(w))
    with pytest.raises(services.ReportError, match="đang được ký số"):
        _save(entry, w.officer_a, figure="1007")
    client = as_persona("officer_a")
    response = client.post(
        reverse("reports:entry_save", args=[entry.pk]),
        {"status": EntryStatus.DONE_ON_TIME, "narrative": "Sửa khi đang ký", "version": entry.lock_version},
    )
    assert response.status_code in (403, 409, 422)
    assert Entry.objects.get(pk=entry.pk).narrative == "Đã thực hiện"
    documents.check_source(_report(w).document, services.report_source(_report(w)))  # unchanged
    # Cancelling the signing (before the number) makes the report editable again.
    services.cancel_signing(_report(w), reason="Cần sửa số liệu", by=w.leader_a)
    report = _report(w)
    assert not report.document_id or report.document.state != OutgoingDocument.State.AWAITING_CLERK
    assert OutgoingDocument.objects.filter(unit=w.commune_a, state=OutgoingDocument.State.VOID).count() == 1
    _save(_first_entry(report), w.officer_a, figure="1007")


def test_a_cancel_needs_a_reason_and_a_numbered_document_cannot_be_cancelled(filled):
    w = filled
    services.sign_as_leader(w.report, by=w.leader_a)
    with pytest.raises(services.ReportError, match="lý do"):
        services.cancel_signing(_report(w), reason=" ", by=w.leader_a)
    services.number_for_seal_token(_report(w), by=w.clerk_a)
    with pytest.raises(services.ReportError, match="không hủy"):
        services.cancel_signing(_report(w), reason="Muốn sửa", by=w.leader_a)


@pytest.fixture
def prepared(filled, as_persona, demo_pki):
    """The report's PDF prepared for the leader's USB token."""
    w = filled
    w.client = as_persona("leader_a")
    w.client.post(reverse("reports:transition", args=[w.report.pk]), {"action": "prepare_client"})
    w.document = _report(w).document
    w.original = b"".join(w.client.get(reverse("documents:working", args=[w.document.pk])).streaming_content)
    w.token = demo_pki.certificate(w.leader_a.get_full_name(), "Cổng CCHC", person=True)
    w.seal = demo_pki.certificate(
        w.commune_a.authority_line or w.commune_a.full_name, w.commune_a.full_name, person=False
    )
    w.ca = demo_pki.ca
    return w


def _upload_to(w, content: bytes, client=None):
    return (client or w.client).post(
        reverse("reports:upload_signed", args=[w.report.pk]), {"file": _upload(content)}, follow=True
    )


def test_usb_tokens_for_the_leader_and_the_unit_send_the_report(prepared, as_persona):
    w = prepared
    assert w.document.state == OutgoingDocument.State.AWAITING_LEADER and w.document.number is None
    page = w.client.get(reverse("reports:report", args=[w.commune_a.pk, w.annual.code]))
    assert "đang được ký số" in page.text or "Chờ lãnh đạo ký" in page.text
    done = _upload_to(w, token_sign(w.original, pdf_fields.PERSON_FIELD, w.token, [w.ca.certificate]))
    assert "Đã nhận bản lãnh đạo đã ký số" in done.text
    assert _report(w).document.state == OutgoingDocument.State.AWAITING_CLERK
    clerk = as_persona("officer_a")
    clerk.force_login(w.clerk_a)
    clerk.post(reverse("reports:transition", args=[w.report.pk]), {"action": "number_token"})
    document = _report(w).document
    assert document.state == OutgoingDocument.State.AWAITING_SEAL and document.number is not None
    numbered = b"".join(clerk.get(reverse("documents:working", args=[document.pk])).streaming_content)
    # The leader's token may not stand in for the unit's.
    wrong = token_sign(numbered, pdf_fields.ORGANISATION_FIELD, w.token, [w.ca.certificate])
    assert "Chưa nhận bản đã ký" in _upload_to(w, wrong, clerk).text
    sealed = token_sign(numbered, pdf_fields.ORGANISATION_FIELD, w.seal, [w.ca.certificate])
    sent = _upload_to(w, sealed, clerk)
    assert "gửi báo cáo" in sent.text
    report = _report(w)
    assert report.state == ReportState.SUBMITTED and report.document.state == OutgoingDocument.State.ISSUED
    assert documents.verify_stored(report.document).ok


def test_a_prepared_pdf_is_void_once_the_report_is_returned_and_changed(prepared):
    """Finding 4: the file prepared (and signed) before the figures changed is refused."""
    w = prepared
    stale = token_sign(w.original, pdf_fields.PERSON_FIELD, w.token, [w.ca.certificate])
    services.cancel_signing(_report(w), reason="Sửa số liệu", by=w.leader_a)
    _save(_first_entry(_report(w)), w.officer_a, figure="1007")
    refused = _upload_to(w, stale)
    assert "Chưa nhận bản đã ký" in refused.text
    assert OutgoingDocument.objects.get(pk=w.document.pk).state == OutgoingDocument.State.VOID
    # A new preparation, then the stale file again: refused as another document.
    w.client.post(reverse("reports:transition", args=[w.report.pk]), {"action": "prepare_client"})
    fresh = _report(w).document
    assert fresh.pk != w.document.pk
    assert "Chưa nhận bản đã ký" in _upload_to(w, stale).text
    assert OutgoingDocument.objects.get(pk=fresh.pk).state == OutgoingDocument.State.AWAITING_LEADER


def test_a_superseded_pending_document_cannot_be_issued(prepared):
    """Finding 4: once a signing is replaced, the old document's file and steps are refused."""
    w = prepared
    stale = token_sign(w.original, pdf_fields.PERSON_FIELD, w.token, [w.ca.certificate])
    _upload_to(w, stale)  # accepted: the old document now waits for the văn thư
    services.cancel_signing(_report(w), reason="Làm lại", by=w.leader_a)
    services.sign_as_leader(_report(w), by=w.leader_a)  # its replacement
    old = OutgoingDocument.objects.get(pk=w.document.pk)
    assert old.state == OutgoingDocument.State.VOID and _report(w).document_id != old.pk
    with pytest.raises(documents.DocumentError, match="đã bị hủy"):
        documents.take_number(old, by=w.clerk_a)
    with pytest.raises(documents.DocumentError, match="đã bị hủy"):
        documents.accept_leader_signed(old, stale, people={w.leader_a.pk})
    assert "Chưa nhận bản đã ký" in _upload_to(w, stale).text
    assert not OutgoingDocument.objects.filter(pk=old.pk, number__isnull=False).exists()
    services.issue_by_clerk(_report(w), by=w.clerk_a)  # the replacement goes through
    assert _report(w).state == ReportState.SUBMITTED


def test_returning_a_report_voids_the_document_being_signed(filled):
    w = filled
    services.submit(w.report, by=w.leader_a)
    report = _report(w)
    services.sign_as_leader(report, by=w.leader_a)
    pending = _report(w).document
    services.return_report(_report(w), reason="Sai số liệu", by=w.reviewer)
    assert OutgoingDocument.objects.get(pk=pending.pk).state == OutgoingDocument.State.VOID
    assert _report(w).state == ReportState.RETURNED


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row locks are what is tested; SQLite serialises every writer anyway",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_save_during_the_leaders_signing_is_refused_and_the_signed_figures_are_the_stored_ones(
    give_credentials,
):
    """Finding 5: the leader's signing holds the report row from before rendering to the commit;
    an autosave arriving meanwhile waits, then is refused. Two real PostgreSQL connections."""
    w = build_reporting(build_world())
    give_credentials(user=w.leader_a)
    give_credentials(unit=w.commune_a)
    report = _filled(w)
    entry = _first_entry(report)
    locked = threading.Event()
    outcomes: dict[str, str] = {}

    def sign() -> None:
        try:
            with transaction.atomic():
                Report.objects.select_for_update().get(pk=report.pk)
                locked.set()
                time.sleep(0.5)  # the autosave arrives while the leader's signing holds the row
                services.sign_as_leader(report, by=w.leader_a)
            outcomes["sign"] = "signed"
        except BaseException as exc:
            outcomes["sign"] = f"error:{exc!r}"
            locked.set()
        finally:
            connections.close_all()

    def autosave() -> None:
        try:
            locked.wait(timeout=10)
            _save(entry, w.officer_a, figure="1007", narrative="Sửa lúc đang ký")
            outcomes["save"] = "saved"
        except services.ReportError as exc:
            outcomes["save"] = f"refused:{exc}"
        except BaseException as exc:
            outcomes["save"] = f"error:{exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign), threading.Thread(target=autosave)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes["sign"] == "signed", outcomes
    assert outcomes["save"].startswith("refused:") and "đang được ký số" in outcomes["save"], outcomes
    stored = _report(w)
    assert Entry.objects.get(pk=entry.pk).narrative == "Đã thực hiện"
    # What was signed is what the database holds.
    documents.check_source(stored.document, services.report_source(stored))
