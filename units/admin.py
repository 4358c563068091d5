from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from cchc_portal.lib import imports
from cchc_portal.lib.bounds import BoundedForm, BoundedModelForm
from cchc_portal.lib.formatting import short_date
from units.forms import UnitAutocompleteSelect, UnitAutocompleteView, UnitChoiceField
from units.importers import UnitFileError, read_unit_file
from units.models import Capability, Membership, Role, Unit, UnitImport, UnitKind, UnitSuccession
from units.services import (
    UnitImportError,
    UnitImportPlan,
    apply_successions,
    apply_unit_import,
    find_code_clash,
    plan_unit_import,
    save_unit,
)
from units.successions import SuccessionFileError, SuccessionPlan, plan_successions, read_successions

CAPABILITY_FIELDS = tuple(c.value for c in Capability)


class UnitPickers:
    """A model admin whose unit fields show code, validity and parent (units.forms)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.remote_field.model is Unit:
            kwargs.setdefault(
                "widget", UnitAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            )
            kwargs["form_class"] = UnitChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class UnitForm(BoundedModelForm):
    parent = UnitChoiceField(
        Unit.objects.all(),
        required=False,
        label=gettext_lazy("Đơn vị cấp trên"),
        help_text=gettext_lazy("Để trống nếu là đơn vị cấp tỉnh."),
        widget=UnitAutocompleteSelect(Membership._meta.get_field("unit"), admin.site),
    )

    class Meta:
        model = Unit
        fields = [
            "code",
            "name",
            "full_name",
            "kind",
            "valid_from",
            "valid_to",
            "legal_basis",
            "parent_authority_line",
            "authority_line",
            "place_name",
            "body_symbol",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.depth > 1:
            self.fields["parent"].initial = Unit.objects.for_picker().get(path=self.instance.parent_path)
        for name in ("parent_authority_line", "authority_line", "place_name", "body_symbol"):
            self.fields[name].required = False
            self.fields[name].help_text = f"{self.fields[name].help_text} " + _("Để trống để điền tự động.")

    def clean(self):
        data = super().clean()
        parent = data.get("parent")
        if parent is not None and self.instance.pk and parent.path.startswith(self.instance.path):
            self.add_error("parent", _("Không thể đặt một đơn vị làm cấp dưới của chính nó."))
        valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", _("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."))
        if data.get("code") and data.get("kind"):
            candidate = Unit(
                pk=self.instance.pk,
                code=data["code"],
                kind=data["kind"],
                valid_from=valid_from,
                valid_to=valid_to,
            )
            clash = find_code_clash(candidate)
            if clash:
                self.add_error("code", clash)
        return data


class UnitImportOptionsForm(BoundedForm):
    valid_from = forms.DateField(label=gettext_lazy("Hiệu lực từ"), required=False)
    valid_to = forms.DateField(label=gettext_lazy("Hiệu lực đến"), required=False)
    legal_basis = forms.CharField(
        label=gettext_lazy("Căn cứ pháp lý"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Để trống để dùng mặc định của loại danh mục."),
    )


class UnitImportForm(UnitImportOptionsForm):
    file = forms.FileField(
        label=gettext_lazy("Tệp danh mục (JSON, .xlsx hoặc .csv)"),
        help_text=gettext_lazy(
            "Danh mục ĐVHC từ 01/7/2025 (JSON có Wards, hoặc bảng Excel/CSV theo QĐ 19/2025) hoặc danh mục ba cấp "
            "trước 01/7/2025 (JSON như daohoangson/dvhcvn công bố)."
        ),
    )
    field_order = ["file", "valid_from", "valid_to", "legal_basis"]


class UnitListImport(imports.AdminImport):
    """The list of administrative units (JSON), with the validity the new units get."""

    kind = "units"
    suffix = ".bin"  # JSON, .xlsx or CSV
    upload_form = UnitImportForm
    options_form = UnitImportOptionsForm
    refusals = (UnitFileError, UnitImportError)
    title = gettext_lazy("Nhập danh mục đơn vị")
    intro = gettext_lazy(
        "Tải lên tệp danh mục đơn vị hành chính. Hệ thống sẽ cho xem trước các đơn vị thêm mới, thay đổi và "
        "lỗi (nếu có); chưa có gì được ghi cho đến khi bạn xác nhận."
    )
    intro_items = (
        gettext_lazy(
            "Danh mục từ 01/7/2025: danh sách 34 tỉnh, thành phố, mỗi mục có danh sách Wards (xã, phường, "
            "đặc khu). Mặc định hiệu lực từ 01/7/2025."
        ),
        gettext_lazy(
            "Bảng Excel (.xlsx) hoặc CSV danh mục theo QĐ 19/2025/QĐ-TTg: dòng tiêu đề có cột Mã, Tên và Cấp "
            "(Tỉnh, Thành phố Trung ương, Phường, Xã, Đặc khu) hoặc Mã tỉnh/Tỉnh. Mặc định hiệu lực từ 01/7/2025."
        ),
        gettext_lazy(
            "Danh mục trước 01/7/2025: tỉnh → huyện → xã (level1_id, level2s, level3s), như tệp dvhcvn.json "
            "của daohoangson/dvhcvn (đối tượng {data, data_date, …}). Mặc định hiệu lực đến 30/6/2025."
        ),
    )
    conflict_message = gettext_lazy(
        "Dữ liệu đơn vị vừa bị thay đổi đồng thời; không có gì được ghi. Hãy xem trước và nhập lại."
    )

    @property
    def max_bytes(self) -> int:
        return settings.UNIT_IMPORT_MAX_BYTES

    def read(self, content: bytes, name: str, options: dict[str, Any]) -> UnitImportPlan:
        return plan_unit_import(
            read_unit_file(content, max_bytes=self.max_bytes, filename=name),
            valid_from=options.get("valid_from"),
            valid_to=options.get("valid_to"),
            legal_basis=options.get("legal_basis") or None,
        )

    def preview(self, plan: UnitImportPlan, name: str) -> imports.Preview:
        validity = []
        if plan.valid_from:
            validity.append(_("từ %(date)s") % {"date": short_date(plan.valid_from)})
        if plan.valid_to:
            validity.append(_("đến %(date)s") % {"date": short_date(plan.valid_to)})
        preview = imports.Preview(
            title=f"{name} — {plan.parsed.format_label}",
            counts=[imports.Count(label, n) for label, n in plan.counts_by_level()],
            notes=[
                *plan.parsed.notes,
                *([_("Hiệu lực: %(validity)s") % {"validity": " ".join(validity)}] if validity else []),
            ],
            summary=plan.summary(),
            outcome="errors" if not plan.is_valid else "changes" if plan.has_changes else "nothing",
            confirmable=plan.is_valid and plan.has_changes,
        )
        preview.set_errors(plan.errors)
        more = _("… và %(n)d đơn vị khác.")
        preview.add_table(
            ngettext("%(n)d đơn vị thay đổi", "%(n)d đơn vị thay đổi", len(plan.updates))
            % {"n": len(plan.updates)},
            [_("Mã"), _("Đơn vị"), _("Thay đổi")],
            plan.updates,
            lambda u: [
                u.unit.code,
                u.unit.full_name,
                imports.Changes(
                    [imports.Change(capfirst(c.label), c.old or "—", c.new or "—") for c in u.changes]
                ),
            ],
            id="updated-units",
            more=more,
        )
        preview.add_table(
            ngettext("%(n)d đơn vị thêm mới", "%(n)d đơn vị thêm mới", len(plan.new)) % {"n": len(plan.new)},
            [_("Vị trí trong tệp"), _("Mã"), _("Tên đầy đủ"), _("Loại")],
            plan.new,
            lambda r: [r.where, r.code, r.full_name, r.kind.name],
            id="new-units",
            more=more,
        )
        preview.add_table(
            _("Đơn vị đang có nhưng không có trong tệp (sẽ giữ nguyên)"),
            [_("Mã"), _("Đơn vị")],
            plan.missing,
            lambda u: [u.code, u.full_name],
            id="missing-units",
            more=more,
        )
        return preview

    def apply(
        self, plan: UnitImportPlan, *, content: bytes, name: str, skip_invalid: bool
    ) -> imports.Applied:
        if apply_unit_import(plan, by=self.request.user, source_name=name) is None:
            return imports.Applied(_("Không có thay đổi nào được ghi."), wrote=False)
        return imports.Applied(plan.summary())


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    form = UnitForm
    list_display = ["code", "full_name", "kind", "valid_from", "valid_to"]
    list_filter = ["kind__level", "kind", "valid_to"]
    search_fields = ["code", "search_text"]
    list_select_related = ["kind"]
    ordering = ["path"]
    list_per_page = 100
    change_list_template = "admin/units/unit/change_list.html"
    fieldsets = [
        (None, {"fields": ["parent", "code", "name", "full_name", "kind"]}),
        (gettext_lazy("Hiệu lực"), {"fields": ["valid_from", "valid_to", "legal_basis"]}),
        (
            gettext_lazy("Trên văn bản (NĐ 30/2020)"),
            {"fields": ["parent_authority_line", "authority_line", "place_name", "body_symbol"]},
        ),
    ]

    def get_search_results(self, request, queryset, search_term):
        # Diacritic-insensitive, like the public directory: "da nang" finds "Đà Nẵng".
        if not search_term:
            return queryset, False
        return queryset.search(search_term), False

    def has_delete_permission(self, request, obj=None):
        # Deleting a unit would delete its whole subtree; units end by their validity instead.
        # (False without an object also removes the bulk "delete selected" action.)
        return bool(obj is not None and obj.is_leaf() and super().has_delete_permission(request, obj))

    def save_model(self, request, obj, form, change):
        save_unit(obj, parent=form.cleaned_data.get("parent"), by=request.user)

    def get_urls(self):
        return [
            path("nhap/", self.admin_site.admin_view(self.import_view), name="units_unit_import"),
            path(
                "chon/",
                self.admin_site.admin_view(UnitAutocompleteView.as_view(admin_site=self.admin_site)),
                name="units_unit_autocomplete",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload → preview (nothing written) → confirm or cancel."""
        if not request.user.is_superuser:
            messages.error(request, _("Chỉ quản trị viên hệ thống được nhập danh mục đơn vị."))
            return HttpResponseRedirect(reverse("admin:units_unit_changelist"))
        return imports.handle(request, UnitListImport(request, self))


@admin.register(UnitKind)
class UnitKindAdmin(SimpleHistoryAdmin):
    form = BoundedModelForm
    list_display = ["name", "code", "level", "label", "authority_body", "default_symbol", "sort_order"]
    list_filter = ["level"]
    search_fields = ["name", "code", "label"]


class SuccessionImportForm(BoundedForm):
    file = forms.FileField(
        label=gettext_lazy("Bảng kế thừa (.xlsx hoặc .csv)"),
        help_text=gettext_lazy(
            "Bảng chuyển đổi ĐVHC cấp xã như được công bố (Tên Xã mới · Mã Xã mới · Tên Xã cũ · Mã Xã cũ · "
            "Ghi chú · Quận/huyện · Tỉnh cũ), hoặc bảng old_code, new_code, kind, date, legal_basis."
        ),
    )


class SuccessionImport(imports.AdminImport):
    """Succession links from a conversion table: each row's units found by code and validity."""

    kind = "successions"
    upload_form = SuccessionImportForm
    refusals = (SuccessionFileError, UnitImportError)
    title = gettext_lazy("Nhập bảng kế thừa đơn vị")
    intro = gettext_lazy(
        "Tải lên bảng kế thừa (đơn vị cũ → đơn vị mới). Đơn vị được đối chiếu theo mã và thời gian hiệu lực: "
        "đơn vị mới có hiệu lực vào ngày kế thừa, đơn vị cũ vào ngày trước đó. Hệ thống cho xem trước liên kết "
        "mới, thay đổi và các dòng lỗi; chưa có gì được ghi cho đến khi bạn xác nhận."
    )
    intro_items = (
        gettext_lazy(
            "Bảng chuyển đổi ĐVHC cấp xã năm 2025: dòng tiêu đề được tự tìm; dòng mục tên tỉnh được bỏ qua; "
            "“Nhập toàn bộ”, “Giữ nguyên”, “Đổi loại hình” là kế thừa toàn bộ, “Nhập một phần” là một phần; "
            "dòng không có mã xã cũ lấy mã huyện trong cột Quận/huyện (Hoàng Sa)."
        ),
        gettext_lazy(
            "Bảng đơn giản: old_code, new_code, kind (whole/part/unchanged/type_change), date (dd/mm/yyyy), "
            "legal_basis. Ngày mặc định 01/07/2025."
        ),
        gettext_lazy("Hãy nhập danh mục đơn vị cũ và mới trước khi nhập bảng kế thừa."),
    )

    @property
    def max_bytes(self) -> int:
        return settings.UNIT_IMPORT_MAX_BYTES

    def read(self, content: bytes, name: str, options: dict[str, Any]) -> SuccessionPlan:
        return plan_successions(read_successions(content, name, max_bytes=self.max_bytes))

    def fingerprint(self, plan: SuccessionPlan) -> str:
        return plan.fingerprint()

    def preview(self, plan: SuccessionPlan, name: str) -> imports.Preview:
        counts = plan.counts
        preview = imports.Preview(
            title=f"{name} — {plan.file.shape_label}",
            counts=[
                imports.Count(_("Liên kết mới"), counts["new"], "count-new"),
                imports.Count(_("Thay đổi"), counts["changed"], "count-changed"),
                imports.Count(_("Không đổi"), counts["unchanged"], "count-unchanged"),
                imports.Count(_("Dòng lỗi"), counts["invalid"], "count-invalid"),
            ],
            summary=plan.summary(),
            outcome="errors" if counts["invalid"] else "changes" if plan.has_changes else "nothing",
            warnings=plan.warnings,
            confirmable=plan.has_changes,
            skippable=counts["invalid"],
        )
        preview.set_errors(plan.errors)
        more = _("… và %(n)d liên kết khác.")
        preview.add_table(
            _("Liên kết thay đổi"),
            [_("Dòng"), _("Đơn vị cũ"), _("Đơn vị mới"), _("Thay đổi")],
            plan.of("changed"),
            lambda link: [
                link.row.line,
                link.predecessor.picker_label,
                link.successor.picker_label,
                imports.Changes(
                    [imports.Change(name, before, after) for name, (before, after) in link.changes.items()]
                ),
            ],
            id="changed-links",
            more=more,
        )
        preview.add_table(
            _("Liên kết mới"),
            [_("Dòng"), _("Đơn vị cũ"), _("Đơn vị mới"), _("Phạm vi"), _("Ghi chú")],
            plan.of("new"),
            lambda link: [
                link.row.line,
                f"{link.predecessor.full_name} — {link.predecessor.code} · {link.predecessor.validity_label}",
                f"{link.successor.full_name} — {link.successor.code} · {link.successor.validity_label}",
                UnitSuccession.Extent(link.row.extent).label,
                link.row.note,
            ],
            id="new-links",
            more=more,
        )
        return preview

    def apply(
        self, plan: SuccessionPlan, *, content: bytes, name: str, skip_invalid: bool
    ) -> imports.Applied:
        record = apply_successions(plan, by=self.request.user, source_name=name, skip_invalid=skip_invalid)
        if record is None:
            return imports.Applied(_("Không có thay đổi nào được ghi."), wrote=False)
        return imports.Applied(
            _("Đã nhập %(file)s: %(new)d liên kết mới, %(changed)d thay đổi, %(skipped)d dòng lỗi bỏ qua.")
            % {
                "file": name,
                "new": record.added,
                "changed": record.changed,
                "skipped": plan.counts["invalid"],
            }
        )


@admin.register(UnitSuccession)
class UnitSuccessionAdmin(UnitPickers, SimpleHistoryAdmin):
    form = BoundedModelForm
    list_display = ["predecessor", "successor", "extent", "effective_date", "note", "legal_basis"]
    list_filter = ["extent", "effective_date"]
    change_list_template = "admin/units/unitsuccession/change_list.html"
    autocomplete_fields = ["predecessor", "successor"]
    search_fields = [
        "predecessor__search_text",
        "successor__search_text",
        "predecessor__code",
        "successor__code",
    ]
    list_select_related = ["predecessor", "successor"]

    def get_urls(self):
        return [
            path("nhap/", self.admin_site.admin_view(self.import_view), name="units_unitsuccession_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload → preview (nothing written) → confirm or cancel."""
        if not request.user.is_superuser:
            messages.error(request, _("Chỉ quản trị viên hệ thống được nhập bảng kế thừa đơn vị."))
            return HttpResponseRedirect(reverse("admin:units_unitsuccession_changelist"))
        return imports.handle(request, SuccessionImport(request, self))


@admin.register(Role)
class RoleAdmin(SimpleHistoryAdmin):
    form = BoundedModelForm
    list_display = ["name", "code", "valid_from", "valid_to", "is_leader", *CAPABILITY_FIELDS]
    list_filter = ["is_leader", "kinds"]
    search_fields = ["name", "code"]
    filter_horizontal = ["kinds"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "name",
                    "description",
                    "kinds",
                    "valid_from",
                    "valid_to",
                    "is_leader",
                    "sort_order",
                ]
            },
        ),
        (gettext_lazy("Quyền mặc định khi phân công"), {"fields": list(CAPABILITY_FIELDS)}),
    ]


class MembershipForm(BoundedModelForm):
    class Meta:
        model = Membership
        fields = ["user", "unit", "role", "position", "since", "is_active", *CAPABILITY_FIELDS]

    def clean(self):
        data = super().clean()
        role, unit = data.get("role"), data.get("unit")
        if role and unit:
            kinds = set(role.kinds.values_list("pk", flat=True))
            if kinds and unit.kind_id not in kinds:
                self.add_error(
                    "role",
                    _("Vai trò này không áp dụng cho loại đơn vị %(kind)s.") % {"kind": unit.kind.name},
                )
        # A new membership with no capability ticked takes the role's defaults.
        if role and not self.instance.pk and not any(data.get(c) for c in CAPABILITY_FIELDS):
            for cap in CAPABILITY_FIELDS:
                data[cap] = getattr(role, cap)
        return data


class MembershipInline(UnitPickers, admin.TabularInline):
    model = Membership
    form = MembershipForm
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["unit", "role"]
    fields = ["unit", "role", "position", "is_active", *CAPABILITY_FIELDS]


@admin.register(Membership)
class MembershipAdmin(UnitPickers, SimpleHistoryAdmin):
    form = MembershipForm
    list_display = ["user", "unit", "role", "position", "is_active", *CAPABILITY_FIELDS]
    list_filter = ["is_active", "role", *CAPABILITY_FIELDS]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "unit__search_text",
        "unit__code",
    ]
    autocomplete_fields = ["user", "unit", "role"]
    list_select_related = ["user", "unit", "role"]
    fieldsets = [
        (None, {"fields": ["user", "unit", "role", "position", "since", "is_active"]}),
        (
            gettext_lazy("Quyền"),
            {
                "fields": list(CAPABILITY_FIELDS),
                "description": gettext_lazy(
                    "Quyền áp dụng tại đơn vị này và mọi đơn vị trực thuộc. "
                    "Khi tạo mới, nếu không chọn quyền nào thì dùng quyền mặc định của vai trò."
                ),
            },
        ),
    ]


@admin.register(UnitImport)
class UnitImportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "source_name", "file_format", "user", "added", "changed", "unchanged"]
    readonly_fields = [f.name for f in UnitImport._meta.fields]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(get_user_model())
class PortalUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "last_name", "first_name", "email", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "email"]
