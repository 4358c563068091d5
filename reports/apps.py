from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def report_documents(document_ids: list[int]) -> dict:
    """The register's link from a document to the report it is (documents.sources)."""
    from django.urls import reverse

    from documents.sources import Source
    from reports.models import Report

    return {
        report.document_id: Source(
            str(_("Báo cáo %(period)s") % {"period": report.period.label}),
            reverse("reports:report", args=[report.unit_id, report.period.code]),
        )
        for report in Report.objects.filter(document_id__in=document_ids).only(
            "pk", "document_id", "unit_id", "year", "period_kind", "period_number"
        )
    }


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Báo cáo")

    def ready(self) -> None:
        from documents import sources

        sources.register(report_documents)
