from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def report_documents(document_ids: list[int]) -> dict:
    """The register's link from a document to the report it is (documents.sources)."""
    from django.urls import reverse

    from documents.sources import Source
    from reports.models import Report
    from units.access import CLERK, REPORT_SIGNING, REPORT_WORK, REVIEW

    return {
        report.document_id: Source(
            str(_("Báo cáo %(period)s") % {"period": report.period.label}),
            reverse("reports:report", args=[report.unit_id, report.period.code]),
            readers=REPORT_WORK | REVIEW | CLERK,  # as reports.views.report
            signers=REPORT_SIGNING | CLERK,
        )
        for report in Report.objects.filter(document_id__in=document_ids).only(
            "pk", "document_id", "unit_id", "year", "period_kind", "period_number"
        )
    }


def reports_before(cutoffs: dict) -> list:
    """A predecessor's sent reports of periods that ended before its succession (units.history)."""
    from django.urls import reverse

    from reports.models import Report
    from units.history import Record

    years = {day.year for day in cutoffs.values()}
    reports = Report.objects.filter(
        unit_id__in=cutoffs, year__lte=max(years), first_submitted_at__isnull=False
    ).only("pk", "unit_id", "year", "period_kind", "period_number", "state")
    return [
        Record(
            report.unit_id,
            str(_("Báo cáo %(period)s") % {"period": report.period.label}),
            report.get_state_display(),
            reverse("reports:report", args=[report.unit_id, report.period.code]),
            report.period.start,
        )
        for report in reports
        if report.period.end < cutoffs[report.unit_id]
    ]


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Báo cáo")

    def ready(self) -> None:
        from documents import sources
        from units import history

        sources.register(report_documents)
        history.register(reports_before)
