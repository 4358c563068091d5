"""Reminders: units whose report is due within a few days (or overdue) and not yet sent.

`send_reminders()` runs once a day from cron (`manage.py send_reminders`): it e-mails the people
who enter progress or compile the report in each such unit, records a `Reminder` per unit,
period and day (so a second run the same day sends nothing new, even if both run at once), logs
a "reminded" event on the report if it exists, and sends each reviewer above those units one
summary. `remind_one()` is the reviewer's "Nhắc" button for one unit; `notices_for()` gives the
same information as lines for the portal's pages (no e-mail, no writes).

Whatever the number of units, the work takes a fixed number of queries: plans, reporting rules,
reports, memberships and reminders are each loaded once for all the units concerned.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from cchc_portal.lib.formatting import short_date
from plans.models import Plan, Status
from reports import services
from reports.models import Reminder, Report, ReportEvent, ReportState
from reports.periods import Period
from units.models import Membership, Unit

logger = logging.getLogger(__name__)

# A report in one of these states still has to be sent (no row at all counts as not started).
PENDING_STATES = frozenset({ReportState.NOT_STARTED, ReportState.DRAFT, ReportState.RETURNED})
# Who is reminded in a unit, and who sees the portal notices.
REMINDED_CAPABILITIES = ("compile_reports", "enter_progress")
NOTICE_CAPABILITIES = ("compile_reports", "enter_progress", "approve_sign")


@dataclass(frozen=True)
class Due:
    """One unit's report for one period that is due soon or overdue and not yet sent."""

    unit: Unit
    plan: Plan
    period: Period
    deadline: datetime.date
    closes: datetime.date
    overdue: bool
    report: Report | None

    @property
    def key(self) -> tuple[int, int, str, int]:
        return (self.unit.pk, self.period.year, self.period.kind, self.period.number)

    @property
    def entry_url(self) -> str:
        return site_url(reverse("reports:entries", args=[self.unit.pk, self.period.code]))

    def phrase(self, day: datetime.date) -> str:
        """ "gửi chậm nhất ngày 20/03/2026 (còn 2 ngày)" or "đã quá hạn 20/03/2026; …" """
        deadline = short_date(self.deadline)
        if self.overdue:
            return _("đã quá hạn %(d)s; cổng vẫn nhận báo cáo (ghi trễ hạn) đến hết ngày %(c)s") % {
                "d": deadline,
                "c": short_date(self.closes),
            }
        left = (self.deadline - day).days
        if left <= 0:
            return _("gửi chậm nhất hôm nay, ngày %(d)s") % {"d": deadline}
        return _("gửi chậm nhất ngày %(d)s (còn %(n)d ngày)") % {
            "d": deadline,
            "n": left,
        }


@dataclass
class Summary:
    """What a run did (or, with dry_run, would do)."""

    day: datetime.date
    dry_run: bool = False
    units_reminded: int = 0
    due_soon: int = 0  # of the units reminded: with a report due soon (and none overdue)
    overdue: int = 0  # of the units reminded: with an overdue report
    emails_sent: int = 0  # to the units and to the reviewers
    skipped: int = 0  # units already reminded today
    without_recipients: int = 0  # units reminded with nobody to write to
    failed: int = 0  # units whose e-mail could not be sent (not recorded: the next run retries)
    reminded: list[Due] = field(default_factory=list, repr=False)

    def line(self) -> str:
        text = _(
            "Ngày %(day)s: đã nhắc %(units)d đơn vị (%(soon)d sắp đến hạn, %(late)d quá hạn), gửi %(mails)d "
            "thư; bỏ qua %(skipped)d đơn vị đã nhắc trong ngày; %(nobody)d đơn vị không có người nhận."
        ) % {
            "day": short_date(self.day),
            "units": self.units_reminded,
            "soon": self.due_soon,
            "late": self.overdue,
            "mails": self.emails_sent,
            "skipped": self.skipped,
            "nobody": self.without_recipients,
        }
        if self.failed:
            text += " " + _("Không gửi được thư cho %(n)d đơn vị (sẽ thử lại lần chạy sau).") % {
                "n": self.failed
            }
        if self.dry_run:
            text = _("[Chạy thử: không gửi thư, không ghi dữ liệu]") + " " + text
        return text


def site_url(path: str) -> str:
    base = getattr(settings, "CCHC_SITE_URL", "") or ""
    return f"{base.rstrip('/')}{path}" if base else path


# --- what is due -----------------------------------------------------------------------------------


def _plans(day: datetime.date, years: Iterable[int], unit_ids: Iterable[int] | None = None) -> list[Plan]:
    """The plan each unit reports against for each year (its latest issued version, as
    services.plan_for chooses it), with its own and its superior plan's reporting rules
    (services.deadline_rule): four queries for all units."""
    plans = (
        Plan.objects.filter(year__in=list(years), status=Status.ISSUED)
        .filter(
            Q(unit__valid_from__isnull=True) | Q(unit__valid_from__lte=day),
            Q(unit__valid_to__isnull=True) | Q(unit__valid_to__gte=day),
        )
        .select_related("unit")
        .prefetch_related("reporting_rules", "parent_plan__reporting_rules")
        .order_by("unit__path", "year", "-version")
    )
    if unit_ids is not None:
        plans = plans.filter(unit_id__in=list(unit_ids))
    chosen: dict[tuple[int, int], Plan] = {}
    for plan in plans:
        chosen.setdefault((plan.unit_id, plan.year), plan)
    return list(chosen.values())


def due_reports(
    *, days: int = 5, on: datetime.date | None = None, unit_ids: Iterable[int] | None = None
) -> list[Due]:
    """Every report due within `days` days of `on` (deadline not passed) or overdue (deadline
    passed, the window still open), and not yet submitted or accepted; by unit, then period."""
    day = on or services.today()
    years = range(day.year - 1, (day + datetime.timedelta(days=max(days, 0))).year + 1)
    plans = _plans(day, years, unit_ids)
    if not plans:
        return []
    reports = {
        (r.unit_id, r.year, r.period_kind, r.period_number): r
        for r in Report.objects.filter(unit_id__in={p.unit_id for p in plans}, year__in=list(years)).only(
            "pk", "unit_id", "year", "period_kind", "period_number", "state", "reopened_until", "deadline"
        )
    }
    items = []
    for plan in plans:
        for period in services.periods_for(plan):
            report = reports.get((plan.unit_id, period.year, period.kind, period.number))
            if report is not None and report.state not in PENDING_STATES:
                continue
            window = services.window(plan, period, report=report, on=day)
            if window.state == "late":
                overdue = True
            elif window.state == "open" and (window.deadline - day).days <= days:
                overdue = False
            else:
                continue
            items.append(Due(plan.unit, plan, period, window.deadline, window.closes, overdue, report))
    items.sort(key=lambda d: (d.unit.path, d.period.end, d.period.code))
    return items


# --- who is told --------------------------------------------------------------------------------------


def _recipients(unit_ids: Iterable[int]) -> dict[int, list[str]]:
    """unit id → the e-mail addresses of its active members who enter progress or compile the
    report: one query for all the units."""
    capable = Q()
    for capability in REMINDED_CAPABILITIES:
        capable |= Q(**{capability: True})
    rows = (
        Membership.objects.active()
        .filter(capable, unit_id__in=list(unit_ids))
        .exclude(user__email="")
        .values_list("unit_id", "user__email")
        .order_by("unit_id", "user__email")
    )
    out: dict[int, list[str]] = defaultdict(list)
    for unit_id, email in rows:
        if email not in out[unit_id]:
            out[unit_id].append(email)
    return out


def _reviewers(items: list[Due]) -> list[tuple[Any, list[tuple[Unit, Due]]]]:
    """Each reviewer (review_reports on the parent of a reminded unit or above) with the
    reminders below their units: one query."""
    paths = {path for item in items for path in item.unit.ancestor_paths()}
    if not paths:
        return []
    memberships = (
        Membership.objects.active()
        .filter(review_reports=True, unit__path__in=paths)
        .exclude(user__email="")
        .select_related("user", "unit")
        .order_by("user_id", "unit__path")
    )
    by_user: dict[int, tuple[Any, dict[tuple, tuple[Unit, Due]]]] = {}
    for membership in memberships:
        _user, seen = by_user.setdefault(membership.user_id, (membership.user, {}))
        for item in items:
            if item.unit.path.startswith(membership.unit.path) and item.unit.pk != membership.unit_id:
                seen.setdefault(item.key, (membership.unit, item))
    return [(user, list(seen.values())) for user, seen in by_user.values() if seen]


# --- the e-mails ----------------------------------------------------------------------------------------


def _unit_message(unit: Unit, items: list[Due], to: list[str], day: datetime.date) -> EmailMessage:
    if len(items) == 1:
        subject = _("[Cổng CCHC] Nhắc gửi báo cáo %(period)s — %(unit)s") % {
            "period": items[0].period.label,
            "unit": unit.full_name,
        }
    else:
        subject = _("[Cổng CCHC] Nhắc gửi %(n)d báo cáo — %(unit)s") % {
            "n": len(items),
            "unit": unit.full_name,
        }
    lines = [
        _("Kính gửi cán bộ, công chức %(unit)s,") % {"unit": unit.full_name},
        "",
        _("Cổng CCHC xin nhắc: đến ngày %(day)s, %(unit)s chưa gửi báo cáo sau:")
        % {"day": short_date(day), "unit": unit.full_name},
        "",
    ]
    for item in items:
        lines.append(f"- {item.period.label}: {item.phrase(day)}.")
        lines.append("  " + _("Nhập kết quả và gửi báo cáo tại: %(url)s") % {"url": item.entry_url})
    lines += [
        "",
        _("Nếu đơn vị đã gửi báo cáo, xin bỏ qua thư này."),
        _("Thư gửi tự động từ Cổng CCHC, xin không trả lời thư này."),
    ]
    return EmailMessage(subject, "\n".join(lines), None, to)


def _reviewer_message(user: Any, rows: list[tuple[Unit, Due]], day: datetime.date) -> EmailMessage:
    units = {item.unit.pk for _unit, item in rows}
    subject = _("[Cổng CCHC] Đã nhắc %(n)d đơn vị báo cáo ngày %(day)s") % {
        "n": len(units),
        "day": short_date(day),
    }
    name = user.get_full_name() or user.get_username()
    lines = [
        _("Kính gửi %(name)s,") % {"name": name},
        "",
        _("Ngày %(day)s, Cổng CCHC đã gửi thư nhắc các đơn vị sau chưa gửi báo cáo:")
        % {"day": short_date(day)},
    ]
    for overdue, heading in ((True, _("Quá hạn")), (False, _("Sắp đến hạn"))):
        chosen = [item for _unit, item in rows if item.overdue == overdue]
        if not chosen:
            continue
        lines += ["", f"{heading} ({len(chosen)}):"]
        lines += [
            f"- {item.unit.full_name} — {item.period.label}, "
            + _("gửi chậm nhất ngày %(d)s") % {"d": short_date(item.deadline)}
            for item in chosen
        ]
    links = sorted(
        {(unit.pk, unit.full_name, item.period) for unit, item in rows}, key=lambda x: (x[1], x[2])
    )
    lines += ["", _("Theo dõi tình hình gửi báo cáo:")]
    lines += [
        f"- {unit_name}, {period.label}: "
        + site_url(reverse("reports:overview", args=[unit_pk, period.code]))
        for unit_pk, unit_name, period in links
    ]
    lines += ["", _("Thư gửi tự động từ Cổng CCHC, xin không trả lời thư này.")]
    return EmailMessage(subject, "\n".join(lines), None, [user.email])


# --- recording and sending -------------------------------------------------------------------------------


@dataclass
class _Dispatch:
    sent: list[Due] = field(default_factory=list)  # reminded in this run (e-mailed or nobody to e-mail)
    skipped: list[Due] = field(default_factory=list)  # already reminded today
    failed: list[Due] = field(default_factory=list)
    emails: int = 0
    without_recipients: set[int] = field(default_factory=set)


def _claim(items: list[Due], day: datetime.date, recipients: dict[int, list[str]], by: Any) -> tuple:
    """Record the reminders not yet sent today (and a "reminded" event on existing reports);
    return (fresh items, items already reminded, events created). The units are locked for the
    transaction, so two runs at the same moment (cron and a reviewer's click) claim each reminder
    once; on SQLite the IMMEDIATE transaction does the same."""
    unit_ids = sorted({item.unit.pk for item in items})
    with transaction.atomic():
        list(Unit.objects.select_for_update().filter(pk__in=unit_ids).values_list("pk", flat=True))
        done = set(
            Reminder.objects.filter(sent_on=day, unit_id__in=unit_ids).values_list(
                "unit_id", "year", "period_kind", "period_number"
            )
        )
        fresh = [item for item in items if item.key not in done]
        skipped = [item for item in items if item.key in done]
        Reminder.objects.bulk_create(
            [
                Reminder(
                    unit=item.unit,
                    year=item.period.year,
                    period_kind=item.period.kind,
                    period_number=item.period.number,
                    sent_on=day,
                    recipients="\n".join(recipients.get(item.unit.pk, [])),
                    is_overdue=item.overdue,
                )
                for item in fresh
            ],
            ignore_conflicts=True,
        )
        events = ReportEvent.objects.bulk_create(
            [
                ReportEvent(
                    report=item.report,
                    action=ReportEvent.Action.REMINDED,
                    by=by if getattr(by, "is_authenticated", False) else None,
                    reason=_event_reason(item, recipients.get(item.unit.pk, [])),
                    is_late=item.overdue,
                )
                for item in fresh
                if item.report is not None
            ]
        )
    return fresh, skipped, events


def _event_reason(item: Due, to: list[str]) -> str:
    deadline = short_date(item.deadline)
    if not to:
        return _("Không có người nhận thư nhắc (gửi chậm nhất ngày %(d)s).") % {"d": deadline}
    return _("Gửi thư nhắc đến %(n)d người (gửi chậm nhất ngày %(d)s).") % {"n": len(to), "d": deadline}


def _release(items: list[Due], day: datetime.date, events: list[ReportEvent]) -> None:
    """Forget the reminders whose e-mail failed, so that the next run tries again."""
    keys = {item.key for item in items}
    q = Q(pk__in=[])
    for unit_id, year, kind, number in keys:
        q |= Q(unit_id=unit_id, year=year, period_kind=kind, period_number=number)
    Reminder.objects.filter(q, sent_on=day).delete()
    failed_reports = {item.report.pk for item in items if item.report is not None}
    ReportEvent.objects.filter(
        pk__in=[e.pk for e in events if e.pk and e.report_id in failed_reports]
    ).delete()


def _dispatch(items: list[Due], day: datetime.date, *, dry_run: bool = False, by: Any = None) -> _Dispatch:
    out = _Dispatch()
    if not items:
        return out
    recipients = _recipients({item.unit.pk for item in items})
    if dry_run:
        done = set(
            Reminder.objects.filter(sent_on=day, unit_id__in={item.unit.pk for item in items}).values_list(
                "unit_id", "year", "period_kind", "period_number"
            )
        )
        fresh = [item for item in items if item.key not in done]
        out.skipped = [item for item in items if item.key in done]
        events: list[ReportEvent] = []
    else:
        fresh, out.skipped, events = _claim(items, day, recipients, by)
    by_unit: dict[int, list[Due]] = defaultdict(list)
    for item in fresh:
        by_unit[item.unit.pk].append(item)
    messages = []
    for unit_items in by_unit.values():
        to = recipients.get(unit_items[0].unit.pk, [])
        if not to:
            out.without_recipients.add(unit_items[0].unit.pk)
            out.sent += unit_items
            continue
        messages.append((unit_items, _unit_message(unit_items[0].unit, unit_items, to, day)))
    if dry_run:
        out.sent += [item for unit_items, _message in messages for item in unit_items]
        out.emails = len(messages)
        return out
    if messages:
        with mailers.default as connection:
            for unit_items, message in messages:
                try:
                    out.emails += connection.send_messages([message]) or 0
                    out.sent += unit_items
                except Exception:
                    logger.exception("Could not send the reminder to unit %s", unit_items[0].unit.pk)
                    out.failed += unit_items
    if out.failed:
        _release(out.failed, day, events)
    return out


# --- entry points -------------------------------------------------------------------------------------------


def send_reminders(*, days: int = 5, on: datetime.date | None = None, dry_run: bool = False) -> Summary:
    """Remind every unit whose report is due within `days` days or overdue (once a day), then
    send each reviewer above them one summary. With dry_run, count what would be sent: nothing
    is sent, nothing written."""
    day = on or services.today()
    summary = Summary(day=day, dry_run=dry_run)
    result = _dispatch(due_reports(days=days, on=day), day, dry_run=dry_run)
    reminded_units = {item.unit.pk for item in result.sent}
    summary.reminded = result.sent
    summary.units_reminded = len(reminded_units)
    overdue_units = {item.unit.pk for item in result.sent if item.overdue}
    summary.overdue = len(overdue_units)
    summary.due_soon = len(reminded_units - overdue_units)
    summary.skipped = len({item.unit.pk for item in result.skipped} - reminded_units)
    summary.without_recipients = len(result.without_recipients)
    summary.failed = len({item.unit.pk for item in result.failed})
    summary.emails_sent = result.emails
    reviewers = _reviewers(result.sent)
    if dry_run:
        summary.emails_sent += len(reviewers)
        return summary
    if reviewers:
        with mailers.default as connection:
            for user, rows in reviewers:
                try:
                    summary.emails_sent += connection.send_messages([_reviewer_message(user, rows, day)]) or 0
                except Exception:
                    logger.exception("Could not send the reminder summary to user %s", user.pk)
    return summary


@dataclass(frozen=True)
class OneResult:
    """What the reviewer's "Nhắc" button did: "sent", "already" (reminded today), "nobody" (no
    one with an e-mail address to remind), "failed" (the e-mail could not be sent)."""

    outcome: str
    recipients: int = 0


def remind_one(
    unit: Unit, plan: Plan, period: Period, *, report: Report | None, by: Any, on: datetime.date | None = None
) -> OneResult:
    """Remind one unit of one period now (the same e-mail and record as the daily run)."""
    day = on or services.today()
    window = services.window(plan, period, report=report, on=day)
    item = Due(unit, plan, period, window.deadline, window.closes, window.state == "late", report)
    to = _recipients([unit.pk]).get(unit.pk, [])
    if not to:
        return OneResult("nobody")
    result = _dispatch([item], day, by=by)
    if result.skipped:
        return OneResult("already")
    if result.failed:
        return OneResult("failed")
    return OneResult("sent", len(to))


def notices_for(user: Any, *, days: int = 5, on: datetime.date | None = None) -> list[str]:
    """One Vietnamese line per report of the user's units (where they enter progress, compile
    or sign reports) due within `days` days or overdue and not yet sent. Reads only."""
    if not getattr(user, "is_authenticated", False):
        return []
    capable = Q()
    for capability in NOTICE_CAPABILITIES:
        capable |= Q(**{capability: True})
    unit_ids = set(Membership.objects.active().filter(capable, user=user).values_list("unit_id", flat=True))
    if not unit_ids:
        return []
    day = on or services.today()
    lines = []
    for item in due_reports(days=days, on=day, unit_ids=unit_ids):
        if item.overdue:
            text = _("%(unit)s chưa gửi báo cáo %(period)s, %(phrase)s.")
        else:
            text = _("%(unit)s cần gửi báo cáo %(period)s, %(phrase)s.")
        lines.append(
            text % {"unit": item.unit.full_name, "period": item.period.label, "phrase": item.phrase(day)}
        )
    return lines
