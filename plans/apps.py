from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def plan_documents(document_ids: list[int]) -> dict:
    """The register's link from a document to the plan it issued (documents.sources)."""
    from django.urls import reverse

    from documents.sources import Source
    from plans.models import Plan
    from units.access import CLERK, PLAN_SIGNING

    # The plan's page is open to everyone in scope (readers None), as its signed PDF.
    return {
        plan.document_id: Source(
            str(_("Kế hoạch")), reverse("plans:detail", args=[plan.pk]), signers=PLAN_SIGNING | CLERK
        )
        for plan in Plan.objects.filter(document_id__in=document_ids).only("pk", "document_id")
    }


def plans_before(cutoffs: dict) -> list:
    """A predecessor's issued plans of the years up to its succession (units.history)."""
    import datetime

    from django.urls import reverse

    from plans.models import Plan, Status
    from units.history import Record

    plans = Plan.objects.filter(unit_id__in=cutoffs, is_latest=True).only(
        "pk", "unit_id", "year", "status", "version"
    )
    return [
        Record(
            plan.unit_id,
            str(_("Kế hoạch năm %(year)d") % {"year": plan.year}),
            plan.get_status_display(),
            reverse("plans:detail", args=[plan.pk]),
            datetime.date(plan.year, 1, 1),
        )
        for plan in plans.order_by("unit_id", "year")
        if plan.year <= cutoffs[plan.unit_id].year and plan.status == Status.ISSUED
    ]


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Kế hoạch")

    def ready(self) -> None:
        from documents import sources
        from units import history

        sources.register(plan_documents)
        history.register(plans_before)
