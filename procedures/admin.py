"""The catalogue in the admin: procedures (read-only: the catalogue changes by import), the
import with its preview, the import batches, and an Excel/CSV export (django-import-export)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.admin import ExportMixin

from cchc_portal.lib import uploads
from cchc_portal.lib.formatting import megabytes
from procedures import services
from procedures.models import ImportBatch, Procedure, ProcedureChange
from procedures.reading import ReadError, read_procedures

IMPORT_KIND = "procedures"
PREVIEW_LIMIT = 300  # rows listed per category in the preview (the counts are always complete)


class ProcedureResource(resources.ModelResource):
    """The export: the catalogue as a spreadsheet (formula-like cells are escaped by the library
    setting IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT)."""

    agencies = fields.Field(attribute="agencies", column_name="Cơ quan thực hiện")
    levels = fields.Field(column_name="Cấp thực hiện")

    class Meta:
        model = Procedure
        fields = (
            "code",
            "name",
            "field",
            "ministry",
            "agencies",
            "levels",
            "online_level",
            "status",
            "decisions",
        )
        export_order = fields

    def dehydrate_agencies(self, procedure):
        return "\n".join(procedure.agencies or [])

    def dehydrate_levels(self, procedure):
        return ", ".join(procedure.level_labels())


class ProcedureImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Tệp danh mục TTHC (.xlsx hoặc .csv)"),
        help_text=gettext_lazy(
            "Tệp xuất từ Cổng DVC quốc gia, hoặc phụ lục quyết định công bố của tỉnh đã nhập vào Excel."
        ),
    )
    full_list = forms.ChoiceField(
        label=gettext_lazy("Tệp là"),
        choices=[
            ("auto", gettext_lazy("Tự nhận biết (tệp xuất từ Cổng DVC quốc gia là danh sách đầy đủ)")),
            (
                "full",
                gettext_lazy("Danh sách đầy đủ của cơ quan ban hành: thủ tục không còn trong tệp bị bãi bỏ"),
            ),
            ("partial", gettext_lazy("Một phần danh mục: không bãi bỏ thủ tục nào")),
        ],
        initial="auto",
    )


def _full_list(choice: str) -> bool | None:
    return {"full": True, "partial": False}.get(choice)


@admin.register(Procedure)
class ProcedureAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [ProcedureResource]
    list_display = ["code", "name", "field", "ministry", "online_level", "status"]
    list_filter = ["status", "online_level", "ministry"]
    search_fields = ["code", "search_text"]
    readonly_fields = [f.name for f in Procedure._meta.fields if f.name != "id"]
    import_export_change_list_template = "admin/procedures/procedure/change_list.html"
    list_per_page = 100

    def get_search_results(self, request, queryset, search_term):
        from cchc_portal.lib.vietnamese import fold

        if not search_term:
            return queryset, False
        for word in fold(search_term).split():
            queryset = queryset.filter(search_text__contains=word)
        return queryset, False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("nhap/", self.admin_site.admin_view(self.import_view), name="procedures_procedure_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload → preview (nothing written) → confirm or cancel."""
        if not request.user.is_superuser:
            messages.error(request, _("Chỉ quản trị viên hệ thống được nhập danh mục thủ tục hành chính."))
            return HttpResponseRedirect(reverse("admin:procedures_procedure_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Nhập danh mục TTHC"),
        }
        action = request.POST.get("action") if request.method == "POST" else None
        if action in {"confirm", "cancel"}:
            return self._finish(request, action)
        form = ProcedureImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.PROCEDURE_IMPORT_MAX_BYTES:
                form.add_error(
                    "file",
                    _("Tệp quá lớn (%(size)s MB); giới hạn là %(limit)s MB.")
                    % {
                        "size": megabytes(upload.size),
                        "limit": megabytes(settings.PROCEDURE_IMPORT_MAX_BYTES),
                    },
                )
            else:
                content = upload.read()
                try:
                    sheet = read_procedures(
                        content, upload.name, max_bytes=settings.PROCEDURE_IMPORT_MAX_BYTES
                    )
                except ReadError as exc:
                    form.add_error("file", str(exc))
                else:
                    plan = services.plan_import(sheet, full_list=_full_list(form.cleaned_data["full_list"]))
                    token = uploads.stash(IMPORT_KIND, content, ".bin")
                    return render(
                        request,
                        "admin/procedures/procedure/import_preview.html",
                        context
                        | _preview_context(plan)
                        | {
                            "token": token,
                            "source_name": upload.name,
                            "full_list": form.cleaned_data["full_list"],
                            "fingerprint": plan.fingerprint(),
                        },
                    )
        return render(request, "admin/procedures/procedure/import_form.html", context | {"form": form})

    def _finish(self, request: HttpRequest, action: str) -> HttpResponse:
        token = request.POST.get("token", "")
        content = uploads.unstash(IMPORT_KIND, token, ".bin")
        if content is None:
            messages.error(request, _("Phiên xem trước đã hết hạn hoặc không hợp lệ. Hãy tải tệp lên lại."))
            return HttpResponseRedirect(reverse("admin:procedures_procedure_import"))
        if action == "cancel":
            uploads.discard(IMPORT_KIND, token, ".bin")
            messages.info(request, _("Đã hủy nhập. Không có gì được ghi."))
            return HttpResponseRedirect(reverse("admin:procedures_procedure_changelist"))
        source_name = request.POST.get("source_name", "?")[:255]
        try:
            sheet = read_procedures(content, source_name, max_bytes=settings.PROCEDURE_IMPORT_MAX_BYTES)
            plan = services.plan_import(sheet, full_list=_full_list(request.POST.get("full_list", "auto")))
            if plan.fingerprint() != request.POST.get("fingerprint"):
                raise services.ImportRefused(
                    _(
                        "Danh mục vừa được cập nhật bởi một lần nhập khác; hãy xem lại bản xem trước rồi xác nhận."
                    )
                )
            batch = services.apply_import(
                plan,
                source_name=source_name,
                content=content,
                by=request.user,
                skip_invalid=request.POST.get("skip_invalid") == "1",
            )
        except (ReadError, services.ImportRefused) as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:procedures_procedure_import"))
        uploads.discard(IMPORT_KIND, token, ".bin")
        if batch is None:
            messages.info(
                request, _("Tệp không có thay đổi nào so với danh mục hiện có; không có gì được ghi.")
            )
        else:
            messages.success(
                request,
                _("Đã nhập %(file)s: %(a)d thêm mới, %(c)d sửa đổi, %(r)d bãi bỏ, %(s)d dòng lỗi bỏ qua.")
                % {
                    "file": source_name,
                    "a": batch.added,
                    "c": batch.changed,
                    "r": batch.repealed,
                    "s": batch.skipped,
                },
            )
        return HttpResponseRedirect(reverse("admin:procedures_procedure_changelist"))


def _preview_context(plan: services.ImportPlan) -> dict:
    def rows(kind: str):
        items = plan.of(kind)
        return items[:PREVIEW_LIMIT], max(0, len(items) - PREVIEW_LIMIT)

    new, more_new = rows("new")
    changed, more_changed = rows("changed")
    invalid, more_invalid = rows("invalid")
    return {
        "plan": plan,
        "counts": plan.counts,
        "new_rows": new,
        "more_new": more_new,
        "changed_rows": [
            (
                r,
                [
                    (services.LABELS[name], services.describe(before), services.describe(after))
                    for name, (before, after) in r.diff.items()
                ],
            )
            for r in changed
        ],
        "more_changed": more_changed,
        "invalid_rows": invalid,
        "more_invalid": more_invalid,
        "repealed": plan.repealed[:PREVIEW_LIMIT],
        "more_repealed": max(0, len(plan.repealed) - PREVIEW_LIMIT),
    }


class ProcedureChangeInline(admin.TabularInline):
    model = ProcedureChange
    fields = ["procedure", "kind", "diff"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    show_change_link = False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["source_name", "imported_at", "imported_by", "added", "changed", "repealed", "skipped"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
