"""The reviewer's "Nhắc" button on the overview page: remind one subordinate unit now."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reports import reminders, services
from reports.models import Report
from reports.periods import Period, PeriodError
from units.access import unit_capability_required
from units.models import Capability, Unit


@require_POST
@unit_capability_required(Capability.REVIEW_REPORTS)
def remind(request: HttpRequest, unit: Unit, code: str) -> HttpResponse:
    """POST `unit` (a unit below the reviewer's unit, else 404): e-mail its people a reminder of
    the period's report, at most once a day, and go back to the overview."""
    try:
        period = Period.from_code(code)
    except PeriodError:
        raise Http404 from None
    back = redirect("reports:overview", unit.pk, period.code)
    try:
        sub_id = int(request.POST.get("unit", ""))
    except ValueError:
        messages.error(request, _("Hãy chọn đơn vị cần nhắc."))
        return back
    sub = get_object_or_404(
        Unit.objects.filter(path__startswith=unit.path, depth__gt=unit.depth).select_related("kind"),
        pk=sub_id,
    )
    names = {"unit": sub.full_name, "period": period.label}
    plan = services.plan_for(sub, period.year)
    if plan is None or not services.period_in_plan(plan, period):
        messages.error(request, _("%(unit)s không phải gửi báo cáo %(period)s.") % names)
        return back
    report = Report.objects.filter(
        unit=sub, year=period.year, period_kind=period.kind, period_number=period.number
    ).first()
    if report is not None and report.state not in reminders.PENDING_STATES:
        messages.info(request, _("%(unit)s đã gửi báo cáo %(period)s, không cần nhắc.") % names)
        return back
    window = services.window(plan, period, report=report)
    if window.state == "upcoming":
        messages.error(request, _("Kỳ báo cáo %(period)s chưa bắt đầu, chưa nhắc được.") % names)
        return back
    if window.state == "closed":
        messages.error(
            request,
            _("Kỳ báo cáo %(period)s đã đóng: hãy mở lại kỳ cho %(unit)s trước khi nhắc.") % names,
        )
        return back
    result = reminders.remind_one(sub, plan, period, report=report, by=request.user)
    if result.outcome == "sent":
        messages.success(
            request,
            _("Đã gửi thư nhắc báo cáo %(period)s đến %(n)d người của %(unit)s.")
            % (names | {"n": result.recipients}),
        )
    elif result.outcome == "already":
        messages.info(
            request, _("Hôm nay đã nhắc %(unit)s gửi báo cáo %(period)s; mỗi ngày chỉ nhắc một lần.") % names
        )
    elif result.outcome == "nobody":
        messages.warning(
            request,
            _(
                "%(unit)s chưa có ai (nhập tiến độ hoặc tổng hợp báo cáo) có địa chỉ thư điện tử, nên chưa "
                "nhắc được."
            )
            % names,
        )
    else:
        messages.error(request, _("Chưa gửi được thư nhắc %(unit)s; xin thử lại sau.") % names)
    return back
