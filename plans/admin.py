from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cchc_portal.lib.bounds import BoundedModelForm
from plans.models import Channel, Plan


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    """The catalogue of communication channels is data: admins add and retire channels here."""

    form = BoundedModelForm
    list_display = ["name", "code", "mode", "sort_order", "is_active"]
    list_filter = ["mode", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    """Read-only: plans are written through the portal's editor and workflow, never here."""

    list_display = ["title", "unit", "year", "version", "status", "document", "is_latest"]
    list_filter = ["status", "year", "is_latest"]
    search_fields = ["title", "unit__search_text"]
    list_select_related = ["unit", "document"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
