"""Reminders: who is reminded (due soon, overdue, not yet sent), once a day, the reviewers'
summary, the dry run and the command, the reviewer's "Nhắc" button, the portal notices, and a
query count that does not grow with the number of units.

Every run is given an explicit date computed from the period, so the tests pass on any day."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import grant, make_unit, make_user
from reports import reminders, services
from reports.models import Reminder, Report, ReportEvent, ReportState
from reports.periods import Period
from reports.reminders import notices_for, send_reminders
from reports.tests.conftest import cascade
from units.models import Unit

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def mailed(reporting):
    """The reporting world with an e-mail address for every persona."""
    w = reporting
    for name in ("officer_a", "officer_b", "leader_a", "reviewer", "other_reviewer"):
        user = getattr(w, name)
        user.email = f"{user.username}@example.vn"
        user.save(update_fields=["email"])
    return w


def _set_state(unit, period, state):
    report = services.open_report(unit, period)
    Report.objects.filter(pk=report.pk).update(state=state)
    return Report.objects.get(pk=report.pk)


def _to_unit(unit):
    """The reminders sent to a unit (not the reviewers' summaries)."""
    return [
        m for m in mail.outbox if m.subject.startswith("[Cổng CCHC] Nhắc gửi") and unit.full_name in m.subject
    ]


def _summaries():
    return [m for m in mail.outbox if m.subject.startswith("[Cổng CCHC] Đã nhắc")]


def test_a_unit_due_soon_gets_one_email_and_a_submitted_one_none(mailed):
    w = mailed
    on = w.q1.deadline(20) - 2 * DAY
    _set_state(w.commune_b, w.q1, ReportState.SUBMITTED)
    summary = send_reminders(on=on)
    [message] = _to_unit(w.commune_a)
    assert sorted(message.to) == ["canbo.a@example.vn", "chutich.a@example.vn"]
    assert "Quý I năm" in message.subject
    assert f"gửi chậm nhất ngày {w.q1.deadline(20):%d/%m/%Y} (còn 2 ngày)" in message.body
    assert reverse("reports:entries", args=[w.commune_a.pk, w.q1.code]) in message.body
    assert not _to_unit(w.commune_b)
    reminder = Reminder.objects.get(unit=w.commune_a)
    assert reminder.sent_on == on and not reminder.is_overdue and reminder.period_kind == "quarterly"
    assert "canbo.a@example.vn" in reminder.recipients
    assert not Reminder.objects.filter(unit=w.commune_b).exists()
    # Đà Nẵng has an issued plan too (its office compiles it), due to its superior by the 25th, a
    # week away: not reminded yet.
    assert summary.units_reminded == 1 and summary.due_soon == 1 and summary.overdue == 0
    assert summary.emails_sent == 2  # commune A, the reviewer's summary


def test_an_overdue_unit_is_reminded_and_an_accepted_one_is_not(mailed):
    w = mailed
    on = w.q1.deadline(20) + 3 * DAY
    draft = _set_state(w.commune_a, w.q1, ReportState.RETURNED)
    _set_state(w.commune_b, w.q1, ReportState.ACCEPTED)
    summary = send_reminders(on=on)
    [message] = _to_unit(w.commune_a)
    assert f"đã quá hạn {w.q1.deadline(20):%d/%m/%Y}" in message.body
    assert not _to_unit(w.commune_b)
    assert summary.overdue == 1 and summary.due_soon == 1  # Đà Nẵng: due on the 25th, in 2 days
    assert Reminder.objects.get(unit=w.commune_a).is_overdue
    event = ReportEvent.objects.get(report=draft, action=ReportEvent.Action.REMINDED)
    assert event.is_late and event.by is None and "2 người" in event.reason


def test_a_closed_or_far_period_is_not_reminded(mailed):
    w = mailed
    assert send_reminders(on=w.q1.deadline(20) - 10 * DAY).units_reminded == 0
    assert send_reminders(on=w.q1.closes(25) + DAY).units_reminded == 0  # Đà Nẵng's closes last
    assert not mail.outbox and not Reminder.objects.exists()


def test_one_email_per_unit_lists_every_period_due(mailed, settings):
    w = mailed
    settings.REPORT_LATE_DAYS = 100  # the first quarter is still accepted (late) in June
    half = Period(w.year, "half_year", 1)
    send_reminders(on=half.deadline(20) - 2 * DAY)
    [message] = _to_unit(w.commune_a)
    assert "Nhắc gửi 2 báo cáo" in message.subject
    assert "Quý I năm" in message.body and "6 tháng đầu năm" in message.body
    assert Reminder.objects.filter(unit=w.commune_a).count() == 2


def test_running_twice_the_same_day_sends_nothing_new(mailed):
    w = mailed
    on = w.q1.deadline(20) - 2 * DAY
    send_reminders(on=on)
    sent, recorded = len(mail.outbox), Reminder.objects.count()
    again = send_reminders(on=on)
    assert len(mail.outbox) == sent and Reminder.objects.count() == recorded
    assert again.units_reminded == 0 and again.emails_sent == 0 and again.skipped == 2
    # The next day is another day.
    assert send_reminders(on=on + DAY).units_reminded == 2


def test_the_reviewer_gets_one_summary_of_the_units_below(mailed):
    w = mailed
    on = w.q1.deadline(20) + 3 * DAY
    _set_state(w.commune_b, w.q1, ReportState.DRAFT)
    send_reminders(on=on)
    [summary] = _summaries()
    assert summary.to == ["snv.danang@example.vn"]
    assert "Đã nhắc 2 đơn vị" in summary.subject
    assert "Quá hạn (2):" in summary.body and "Sắp đến hạn" not in summary.body
    assert "Phường Tam Kỳ — Quý I năm" in summary.body and "Phường Bàn Thạch — Quý I năm" in summary.body
    assert "- Thành phố Đà Nẵng —" not in summary.body  # its own report is not "below" it
    assert reverse("reports:overview", args=[w.danang.pk, w.q1.code]) in summary.body
    assert not [m for m in mail.outbox if "snv.quangngai@example.vn" in m.to]


def test_a_dry_run_sends_nothing_and_writes_nothing(mailed):
    w = mailed
    on = w.q1.deadline(20) + 3 * DAY
    report = _set_state(w.commune_a, w.q1, ReportState.DRAFT)
    summary = send_reminders(on=on, dry_run=True)
    assert summary.units_reminded == 3 and summary.emails_sent == 4
    assert summary.line().startswith("[Chạy thử")
    assert not mail.outbox
    assert not Reminder.objects.exists() and not report.events.exists()


def test_the_command_prints_one_line(mailed):
    w = mailed
    on = w.q1.deadline(20) - 2 * DAY
    out = io.StringIO()
    call_command("send_reminders", "--date", on.isoformat(), "--dry-run", stdout=out)
    assert out.getvalue().startswith("[Chạy thử") and not mail.outbox
    out = io.StringIO()
    call_command("send_reminders", "--date", on.isoformat(), "--days", "1", stdout=out)
    assert "đã nhắc 0 đơn vị" in out.getvalue() and not mail.outbox  # 2 days left: outside --days 1
    out = io.StringIO()
    call_command("send_reminders", "--date", on.isoformat(), "--days", "3", stdout=out)
    line = out.getvalue().strip()
    assert "\n" not in line
    assert line.startswith(f"Ngày {on:%d/%m/%Y}: đã nhắc 2 đơn vị (2 sắp đến hạn, 0 quá hạn), gửi 3 thư")
    with pytest.raises(CommandError, match="không hợp lệ"):
        call_command("send_reminders", "--date", "18/03/2026")
    with pytest.raises(CommandError, match="không hợp lệ"):
        call_command("send_reminders", "--date", "2026-02-30")


def test_the_query_count_does_not_grow_with_the_number_of_units(mailed):
    w = mailed
    on = w.q1.deadline(20) + 3 * DAY
    _set_state(w.commune_a, w.q1, ReportState.DRAFT)

    def run() -> int:
        Reminder.objects.all().delete()
        mail.outbox.clear()
        with CaptureQueriesContext(connection) as queries:
            summary = send_reminders(on=on)
        return len(queries), summary

    few, small = run()
    for i in range(30):
        danang = Unit.objects.get(pk=w.danang.pk)
        commune = make_unit(f"9{i:04d}", f"Phường Thử {i}", "phuong", danang)
        cascade(commune, w.province_plan, issued_on=datetime.date(w.year, 2, 1))
        officer = make_user(f"canbo.thu{i}", email=f"canbo.thu{i}@example.vn")
        grant(officer, commune, "phong-van-hoa-xa-hoi")
    many, big = run()
    assert big.units_reminded == small.units_reminded + 30
    assert many == few, f"{few} queries for {small.units_reminded} units, {many} for {big.units_reminded}"


# --- the reviewer's button -------------------------------------------------------------------------------


def _remind(client, w, unit_pk, code=None):
    return client.post(
        reverse("reports:remind", args=[w.danang.pk, code or w.annual.code]), {"unit": unit_pk}, follow=True
    )


def test_the_overview_has_a_remind_button_for_units_that_have_not_sent(mailed, as_persona):
    w = mailed
    _set_state(w.commune_a, w.annual, ReportState.SUBMITTED)
    page = as_persona("reviewer").get(reverse("reports:overview", args=[w.danang.pk, w.annual.code]))
    action = reverse("reports:remind", args=[w.danang.pk, w.annual.code])
    assert f'<form id="remind-form" method="post" action="{action}">' in page.text
    assert f'form="remind-form" name="unit" value="{w.commune_b.pk}"' in page.text
    assert f'form="remind-form" name="unit" value="{w.commune_a.pk}"' not in page.text  # it has sent


def test_the_reviewer_reminds_a_unit_once_a_day(mailed, as_persona):
    w = mailed
    report = _set_state(w.commune_a, w.annual, ReportState.DRAFT)
    client = as_persona("reviewer")
    response = _remind(client, w, w.commune_a.pk)
    assert response.redirect_chain[-1][0] == reverse("reports:overview", args=[w.danang.pk, w.annual.code])
    assert "Đã gửi thư nhắc báo cáo" in response.text and "đến 2 người của Phường Tam Kỳ" in response.text
    [message] = mail.outbox
    assert sorted(message.to) == ["canbo.a@example.vn", "chutich.a@example.vn"]
    assert "Năm " in message.subject and reverse("reports:entries", args=[w.commune_a.pk, w.annual.code]) in (
        message.body
    )
    assert Reminder.objects.get(unit=w.commune_a).sent_on == services.today()
    assert report.events.get(action=ReportEvent.Action.REMINDED).by == w.reviewer
    again = _remind(client, w, w.commune_a.pk)
    assert "Hôm nay đã nhắc Phường Tam Kỳ" in again.text
    assert len(mail.outbox) == 1 and Reminder.objects.count() == 1
    # The daily run the same day does not remind it again either.
    reminded = {(d.unit.pk, d.period.code) for d in send_reminders(days=400).reminded}
    assert (w.commune_a.pk, w.annual.code) not in reminded
    assert Reminder.objects.filter(unit=w.commune_a, period_kind="annual").count() == 1


def test_the_button_refuses_units_outside_and_explains_the_rest(mailed, as_persona):
    w = mailed
    client = as_persona("reviewer")
    assert _remind(client, w, w.commune_c.pk).status_code == 404  # another province
    assert _remind(client, w, w.danang.pk).status_code == 404  # not below itself
    assert _remind(as_persona("other_reviewer"), w, w.commune_b.pk).status_code == 404
    assert _remind(as_persona("officer_b"), w, w.commune_b.pk).status_code == 404
    client = as_persona("reviewer")
    assert "Hãy chọn đơn vị cần nhắc" in _remind(client, w, "").text
    _set_state(w.commune_b, w.annual, ReportState.ACCEPTED)
    assert "đã gửi báo cáo" in _remind(client, w, w.commune_b.pk).text
    assert "không phải gửi báo cáo" in _remind(client, w, w.commune_a.pk, f"{w.year}-T01").text
    w.officer_a.email = w.leader_a.email = ""
    w.officer_a.save()
    w.leader_a.save()
    assert "chưa có ai" in _remind(client, w, w.commune_a.pk).text
    assert not mail.outbox and not Reminder.objects.exists()


# --- notices in the portal --------------------------------------------------------------------------------


def test_notices_for_a_user_read_only(mailed):
    w = mailed
    on = w.q1.deadline(20) - 2 * DAY
    [line] = notices_for(w.officer_a, on=on)
    assert line.startswith("Phường Tam Kỳ cần gửi báo cáo Quý I năm") and "(còn 2 ngày)" in line
    [late] = notices_for(w.leader_a, on=on + 5 * DAY)
    assert late.startswith("Phường Tam Kỳ chưa gửi báo cáo Quý I năm") and "đã quá hạn" in late
    _set_state(w.commune_b, w.q1, ReportState.SUBMITTED)
    assert notices_for(w.officer_b, on=on) == []
    assert notices_for(w.other_reviewer, on=on) == []
    from django.contrib.auth.models import AnonymousUser

    assert notices_for(AnonymousUser()) == []
    assert not mail.outbox and not Reminder.objects.exists()


def test_the_due_list_is_what_the_button_and_the_run_share(mailed):
    w = mailed
    on = w.q1.deadline(20)
    due = reminders.due_reports(on=on, days=0)
    assert {(d.unit.pk, d.period.code, d.overdue) for d in due} == {
        (w.commune_a.pk, w.q1.code, False),
        (w.commune_b.pk, w.q1.code, False),
    }
    assert "gửi chậm nhất hôm nay" in due[0].phrase(on)
    # Đà Nẵng compiles the communes' reports and sends its own by the 25th.
    later = reminders.due_reports(on=w.q1.deadline(25), days=0)
    assert {(d.unit.pk, d.overdue) for d in later} == {
        (w.danang.pk, False),
        (w.commune_a.pk, True),
        (w.commune_b.pk, True),
    }
