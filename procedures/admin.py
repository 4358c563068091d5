"""The catalogue in the admin: procedures (read-only: the catalogue changes by import), the
import with its preview, the import batches, and an Excel/CSV export (django-import-export)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.admin import ExportMixin

from cchc_portal.lib import imports
from cchc_portal.lib.bounds import BoundedForm, BoundedModelForm
from procedures import services
from procedures.models import ImportBatch, Procedure, ProcedureChange
from procedures.reading import ReadError, read_procedures


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


class ProcedureImportOptionsForm(BoundedForm):
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
    scope = forms.CharField(
        label=gettext_lazy("Phạm vi (nguồn)"),
        required=False,
        max_length=255,
        help_text=gettext_lazy(
            "Cơ quan ban hành mà danh sách đầy đủ thuộc về, ví dụ “Bộ Tư pháp”. Để trống để dùng cơ quan ban hành "
            "mà tệp khai (cơ quan của hơn nửa số dòng). Danh sách đầy đủ chỉ bãi bỏ thủ tục trong phạm vi này."
        ),
    )


class ProcedureImportForm(ProcedureImportOptionsForm):
    file = forms.FileField(
        label=gettext_lazy("Tệp danh mục TTHC (.xlsx hoặc .csv)"),
        help_text=gettext_lazy(
            "Tệp xuất từ Cổng DVC quốc gia, hoặc phụ lục quyết định công bố của tỉnh đã nhập vào Excel."
        ),
    )
    field_order = ["file", "full_list", "scope"]


def _full_list(choice: str) -> bool | None:
    return {"full": True, "partial": False}.get(choice)


SHAPES = {
    "portal": gettext_lazy("tệp xuất từ Cổng DVC quốc gia"),
    "csv": "CSV",
    "appendix": gettext_lazy("phụ lục quyết định công bố"),
}


class CatalogueImport(imports.AdminImport):
    """The catalogue of procedures from a spreadsheet: new, changed and repealed procedures."""

    kind = "procedures"
    upload_form = ProcedureImportForm
    options_form = ProcedureImportOptionsForm
    refusals = (ReadError, services.ImportRefused)
    title = gettext_lazy("Nhập danh mục TTHC")
    intro = gettext_lazy(
        "Tải lên danh mục thủ tục hành chính. Hệ thống cho xem trước thủ tục thêm mới, sửa đổi, không đổi, "
        "bị bãi bỏ và các dòng lỗi; chưa có gì được ghi cho đến khi bạn xác nhận."
    )
    intro_items = (
        gettext_lazy(
            "Tệp xuất từ Cổng Dịch vụ công quốc gia (.xlsx): dòng tiêu đề Mã số · Tên · Cơ quan ban hành · "
            "Cơ quan thực hiện · Lĩnh vực."
        ),
        gettext_lazy(
            "Phụ lục quyết định công bố của tỉnh đã nhập vào Excel: dòng tiêu đề được tự tìm trong 15 dòng đầu; "
            "các dòng mục như “A. THỦ TỤC HÀNH CHÍNH CẤP TỈNH”, “I. LĨNH VỰC HỘ TỊCH” đặt cấp và lĩnh vực "
            "cho các dòng bên dưới."
        ),
        gettext_lazy("Tệp CSV mã UTF-8 (có hoặc không có BOM) hoặc UTF-16 (văn bản Unicode của Excel)."),
    )
    stale_message = gettext_lazy(
        "Danh mục vừa được cập nhật bởi một lần nhập khác; hãy xem lại bản xem trước rồi xác nhận."
    )

    @property
    def max_bytes(self) -> int:
        return settings.PROCEDURE_IMPORT_MAX_BYTES

    def read(self, content: bytes, name: str, options: dict[str, Any]) -> services.ImportPlan:
        sheet = read_procedures(content, name, max_bytes=self.max_bytes)
        return services.plan_import(
            sheet, full_list=_full_list(options["full_list"]), scope=options.get("scope") or None
        )

    def fingerprint(self, plan: services.ImportPlan) -> str:
        return plan.fingerprint()

    def preview(self, plan: services.ImportPlan, name: str) -> imports.Preview:
        sheet, counts = plan.sheet, plan.counts
        preview = imports.Preview(
            title=f"{name} — {SHAPES[sheet.shape]}",
            notes=[
                _("Trang tính “%(sheet)s”, dòng tiêu đề số %(row)d.")
                % {"sheet": sheet.sheet_name, "row": sheet.header_row},
                plan.scope_note(),
            ],
            counts=[
                imports.Count(_("Thêm mới"), counts["new"], "count-new"),
                imports.Count(_("Sửa đổi"), counts["changed"], "count-changed"),
                imports.Count(_("Không đổi"), counts["unchanged"], "count-unchanged"),
                imports.Count(_("Bị bãi bỏ"), counts["repealed"], "count-repealed"),
                imports.Count(_("Dòng lỗi"), counts["invalid"], "count-invalid"),
            ],
            warnings=[*sheet.warnings, *services.plan_warnings(plan)],
            confirmable=plan.has_changes and not plan.refusal,
            skippable=counts["invalid"],
        )
        if plan.refusal:
            preview.summary, preview.outcome = plan.refusal, "errors"
        elif not plan.has_changes:
            preview.summary = _("Tệp không có thay đổi nào so với danh mục hiện có.")
            preview.outcome = "nothing"
        preview.set_errors([error for planned in plan.of("invalid") for error in planned.row.errors])
        more = _("… và %(n)d thủ tục khác.")
        preview.add_table(
            _("Thủ tục sửa đổi"),
            [_("Dòng"), _("Mã"), _("Tên"), _("Thay đổi")],
            plan.of("changed"),
            lambda r: [
                r.row.line,
                r.row.code,
                r.row.name,
                imports.Changes(
                    [
                        imports.Change(
                            services.LABELS[name], services.describe(before), services.describe(after)
                        )
                        for name, (before, after) in r.diff.items()
                    ]
                ),
            ],
            id="changed-rows",
            more=more,
        )
        preview.add_table(
            _("Thủ tục không còn trong tệp (sẽ đánh dấu bị bãi bỏ)"),
            [_("Mã"), _("Tên")],
            plan.repealed,
            lambda p: [p.code, p.name],
            id="repealed-rows",
            more=more,
        )
        preview.add_table(
            _("Thủ tục không còn trong tệp nhưng có trong danh sách của nguồn khác (giữ nguyên)"),
            [_("Mã"), _("Tên")],
            plan.protected,
            lambda p: [p.code, p.name],
            id="protected-rows",
            more=more,
        )
        preview.add_table(
            _("Thủ tục thêm mới"),
            [_("Dòng"), _("Mã"), _("Tên"), _("Lĩnh vực"), _("Cơ quan thực hiện")],
            plan.of("new"),
            lambda r: [r.row.line, r.row.code, r.row.name, r.row.field, "; ".join(r.row.agencies)],
            id="new-rows",
            more=more,
        )
        return preview

    def apply(
        self, plan: services.ImportPlan, *, content: bytes, name: str, skip_invalid: bool
    ) -> imports.Applied:
        batch = services.apply_import(
            plan, source_name=name, content=content, by=self.request.user, skip_invalid=skip_invalid
        )
        if batch is None:
            return imports.Applied(
                _("Tệp không có thay đổi nào so với danh mục hiện có; không có gì được ghi."), wrote=False
            )
        return imports.Applied(
            _("Đã nhập %(file)s: %(a)d thêm mới, %(c)d sửa đổi, %(r)d bãi bỏ, %(s)d dòng lỗi bỏ qua.")
            % {"file": name, "a": batch.added, "c": batch.changed, "r": batch.repealed, "s": batch.skipped}
        )


@admin.register(Procedure)
class ProcedureAdmin(ExportMixin, admin.ModelAdmin):
    form = BoundedModelForm
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
        return imports.handle(request, CatalogueImport(request, self))


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
