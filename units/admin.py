from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from cchc_portal.lib import uploads
from units.importers import FORMAT_DEFAULTS, UnitFileError, read_unit_file
from units.models import Capability, Membership, Role, Unit, UnitImport, UnitKind, UnitSuccession
from units.services import UnitImportError, apply_unit_import, find_code_clash, plan_unit_import, save_unit

IMPORT_KIND = "units"
PREVIEW_ROWS = 300
CAPABILITY_FIELDS = tuple(c.value for c in Capability)


class UnitForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        Unit.objects.all(),
        required=False,
        label=gettext_lazy("Đơn vị cấp trên"),
        help_text=gettext_lazy("Để trống nếu là đơn vị cấp tỉnh."),
        widget=AutocompleteSelect(Membership._meta.get_field("unit"), admin.site),
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
            self.fields["parent"].initial = Unit.objects.get(path=self.instance.parent_path)
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


class UnitImportOptionsForm(forms.Form):
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
        label=gettext_lazy("Tệp danh mục (JSON)"),
        help_text=gettext_lazy(
            "Danh mục ĐVHC từ 01/7/2025 (danh sách tỉnh có Wards) hoặc danh mục ba cấp trước 01/7/2025."
        ),
    )
    field_order = ["file", "valid_from", "valid_to", "legal_basis"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UNIT_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("Tệp quá lớn (%(size)s MB); giới hạn là %(limit)s MB.")
                % {
                    "size": round(upload.size / 1048576, 1),
                    "limit": round(settings.UNIT_IMPORT_MAX_BYTES / 1048576, 1),
                }
            )
        return upload


def _plan_options(data: dict) -> dict:
    return {
        "valid_from": data.get("valid_from"),
        "valid_to": data.get("valid_to"),
        "legal_basis": data.get("legal_basis") or None,
    }


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
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload → preview (nothing written) → confirm or cancel."""
        if not request.user.is_superuser:
            messages.error(request, _("Chỉ quản trị viên hệ thống được nhập danh mục đơn vị."))
            return HttpResponseRedirect(reverse("admin:units_unit_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Nhập danh mục đơn vị"),
        }
        action = request.POST.get("action") if request.method == "POST" else None

        if action in {"confirm", "cancel"}:
            token = request.POST.get("token", "")
            content = uploads.unstash(IMPORT_KIND, token, ".json")
            if content is None:
                messages.error(
                    request, _("Phiên xem trước đã hết hạn hoặc không hợp lệ. Hãy tải tệp lên lại.")
                )
                return HttpResponseRedirect(reverse("admin:units_unit_import"))
            if action == "cancel":
                uploads.discard(IMPORT_KIND, token, ".json")
                messages.info(request, _("Đã hủy nhập. Không có gì được ghi."))
                return HttpResponseRedirect(reverse("admin:units_unit_changelist"))
            form = UnitImportOptionsForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Tùy chọn nhập không hợp lệ. Hãy tải tệp lên lại."))
                return HttpResponseRedirect(reverse("admin:units_unit_import"))
            try:
                parsed = read_unit_file(content)
                plan = plan_unit_import(parsed, **_plan_options(form.cleaned_data))
                result = apply_unit_import(
                    plan, by=request.user, source_name=request.POST.get("source_name", "?")
                )
            except (UnitFileError, UnitImportError) as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(reverse("admin:units_unit_import"))
            except IntegrityError:
                messages.error(
                    request,
                    _(
                        "Dữ liệu đơn vị vừa bị thay đổi đồng thời; không có gì được ghi. "
                        "Hãy xem trước và nhập lại."
                    ),
                )
                return HttpResponseRedirect(reverse("admin:units_unit_import"))
            uploads.discard(IMPORT_KIND, token, ".json")
            messages.success(request, plan.summary() if result else _("Không có thay đổi nào được ghi."))
            return HttpResponseRedirect(reverse("admin:units_unit_changelist"))

        if action == "preview":
            form = UnitImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                content = upload.read()
                try:
                    parsed = read_unit_file(content, settings.UNIT_IMPORT_MAX_BYTES)
                except UnitFileError as exc:
                    form.add_error("file", str(exc))
                else:
                    plan = plan_unit_import(parsed, **_plan_options(form.cleaned_data))
                    token = ""
                    if plan.is_valid and plan.has_changes:
                        token = uploads.stash(IMPORT_KIND, content, ".json")
                    context.update(
                        {
                            "plan": plan,
                            "token": token,
                            "source_name": upload.name,
                            "form": form,
                            "errors": plan.errors[:PREVIEW_ROWS],
                            "more_errors": max(0, len(plan.errors) - PREVIEW_ROWS),
                            "new_rows": plan.new[:PREVIEW_ROWS],
                            "more_new": max(0, len(plan.new) - PREVIEW_ROWS),
                            "updates": plan.updates[:PREVIEW_ROWS],
                            "missing": plan.missing[:PREVIEW_ROWS],
                        }
                    )
                    return render(request, "admin/units/unit/import_preview.html", context)
        else:
            form = UnitImportForm()
        context.update({"form": form, "defaults": FORMAT_DEFAULTS, "today": datetime.date.today()})
        return render(request, "admin/units/unit/import_form.html", context)


@admin.register(UnitKind)
class UnitKindAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "level", "label", "authority_body", "default_symbol", "sort_order"]
    list_filter = ["level"]
    search_fields = ["name", "code", "label"]


@admin.register(UnitSuccession)
class UnitSuccessionAdmin(SimpleHistoryAdmin):
    list_display = ["predecessor", "successor", "extent", "effective_date", "legal_basis"]
    list_filter = ["extent", "effective_date"]
    autocomplete_fields = ["predecessor", "successor"]
    search_fields = [
        "predecessor__search_text",
        "successor__search_text",
        "predecessor__code",
        "successor__code",
    ]
    list_select_related = ["predecessor", "successor"]


@admin.register(Role)
class RoleAdmin(SimpleHistoryAdmin):
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


class MembershipForm(forms.ModelForm):
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


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["unit", "role"]
    fields = ["unit", "role", "position", "is_active", *CAPABILITY_FIELDS]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
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
