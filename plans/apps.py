from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def plan_documents(document_ids: list[int]) -> dict:
    """The register's link from a document to the plan it issued (documents.sources)."""
    from django.urls import reverse

    from documents.sources import Source
    from plans.models import Plan

    return {
        plan.document_id: Source(str(_("Kế hoạch")), reverse("plans:detail", args=[plan.pk]))
        for plan in Plan.objects.filter(document_id__in=document_ids).only("pk", "document_id")
    }


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Kế hoạch")

    def ready(self) -> None:
        from documents import sources

        sources.register(plan_documents)
