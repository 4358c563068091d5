from __future__ import annotations

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cchc_portal.lib.bounds import ITEM_TEXT_MAX, NAME_MAX, REASON_MAX, BoundedForm, BoundedModelForm
from cchc_portal.lib.decimal_field import VietnameseDecimalField
from plans.deadlines import rule_errors
from plans.models import (
    Channel,
    NonWorkingDay,
    PeriodType,
    Plan,
    ReportingRule,
    SectionItem,
    Target,
    Task,
    TaskGroup,
)
from plans.targets import default_aggregation, infer_kind
from units.forms import UnitChoiceField, label_units
from units.models import Level, Role, Unit

MIN_YEAR, MAX_YEAR = 2015, 2100


class LockedForm(BoundedModelForm):
    """A form for a row edited under optimistic locking: it carries the version the user saw."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["lock_version"] = self.instance.lock_version

    def values(self) -> dict:
        """The edited fields, for plans.services.update_fields."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class NewPlanForm(BoundedForm):
    class Mode:
        BLANK = "blank"
        SUPERIOR = "superior"
        COPY = "copy"

    unit = UnitChoiceField(Unit.objects.none(), label=_("Đơn vị"), empty_label=None)
    year = forms.IntegerField(label=_("Năm"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    mode = forms.ChoiceField(
        label=_("Bắt đầu từ"),
        widget=forms.RadioSelect,
        choices=[
            (Mode.SUPERIOR, _("Kế hoạch đã ban hành của cấp trên (nhận các nhiệm vụ giao cho đơn vị)")),
            (Mode.COPY, _("Kế hoạch năm trước của đơn vị (sao chép rồi sửa)")),
            (Mode.BLANK, _("Kế hoạch trống theo mẫu")),
        ],
        initial=Mode.SUPERIOR,
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()
        self.fields["year"].initial = timezone.localdate().year


class PlanHeaderForm(LockedForm):
    class Meta:
        model = Plan
        fields = [
            "title",
            "summary",
            "parent_reference",
            "legal_bases",
            "closing_text",
            "recipients",
            "archive_line",
            "signer_authority",
            "signer_delegation",
            "signer_title",
            "signer_name",
        ]
        widgets = {
            "legal_bases": forms.Textarea(attrs={"rows": 3}),
            "closing_text": forms.Textarea(attrs={"rows": 2}),
            "recipients": forms.Textarea(attrs={"rows": 5}),
        }


class SectionTitleForm(BoundedForm):
    title = forms.CharField(label=_("Tiêu đề phần"), max_length=NAME_MAX)


class ItemForm(LockedForm):
    class Meta:
        model = SectionItem
        fields = ["style", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        if data.get("style") != SectionItem.Style.SCHEDULE and not (data.get("text") or "").strip():
            self.add_error("text", _("Hãy nhập nội dung."))
        return data


class NewItemForm(BoundedForm):
    style = forms.ChoiceField(
        label=_("Kiểu"), choices=SectionItem.Style.choices, initial=SectionItem.Style.BULLET
    )
    text = forms.CharField(
        label=_("Nội dung"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=ITEM_TEXT_MAX,
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("style") != SectionItem.Style.SCHEDULE and not (data.get("text") or "").strip():
            self.add_error("text", _("Hãy nhập nội dung."))
        return data


def role_choices(plan: Plan):
    """Roles that exist in units of the plan's kind, valid in the plan's year."""
    year_end = datetime.date(plan.year, 12, 31)
    year_start = datetime.date(plan.year, 1, 1)
    return (
        Role.objects.filter(Q(kinds=plan.unit.kind) | Q(kinds__isnull=True))
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=year_end))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year_start))
        .distinct()
        .order_by("sort_order", "name")
    )


def _subordinate_units(plan: Plan):
    return (
        Unit.objects.subtree(plan.unit, include_self=False)
        .valid_on(datetime.date(plan.year, 12, 31))
        .select_related("kind")
        .order_by("kind__sort_order", "sort_key")
    )


class GroupForm(LockedForm):
    class Meta:
        model = TaskGroup
        fields = ["heading", "lead_role", "lead_unit", "lead_level"]

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["lead_role"].queryset = role_choices(plan)
        self.fields["lead_unit"].queryset = _subordinate_units(plan)
        label_units(self.fields["lead_unit"])
        self.fields["lead_level"].choices = [
            ("", "—"),
            (Level.COMMUNE, _("Tất cả đơn vị cấp xã")),
            (Level.DISTRICT, _("Tất cả đơn vị cấp huyện")),
            (Level.AGENCY, _("Tất cả sở, ban, ngành")),
        ]
        self.fields["heading"].required = False

    def clean(self):
        data = super().clean()
        leads = [x for x in (data.get("lead_role"), data.get("lead_unit"), data.get("lead_level")) if x]
        if len(leads) > 1:
            raise forms.ValidationError(
                _("Mỗi nhóm chỉ có một bên chủ trì: vai trò, đơn vị, hoặc tất cả đơn vị một cấp.")
            )
        if not data.get("heading"):
            lead = data.get("lead_role") or data.get("lead_unit")
            if lead is not None:
                data["heading"] = str(lead)
            elif data.get("lead_level"):
                data["heading"] = dict(self.fields["lead_level"].choices)[data["lead_level"]]
            else:
                self.add_error("heading", _("Hãy nhập tiêu đề nhóm hoặc chọn bên chủ trì."))
        return data


class NewGroupForm(GroupForm):
    lock_version = None

    class Meta(GroupForm.Meta):
        pass

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class TaskForm(LockedForm):
    class Meta:
        model = Task
        fields = [
            "title",
            "description",
            "content_area",
            "channels",
            "for_officials",
            "for_public",
            "co_roles",
            "co_units",
            "co_text",
            "addressees",
            "frequency",
            "deadline",
            "timing_note",
            "budget",
            "product",
        ]
        widgets = {
            "title": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 2}),
            "channels": forms.CheckboxSelectMultiple,
            "co_roles": forms.CheckboxSelectMultiple,
            "deadline": forms.DateInput(attrs={"placeholder": "31/12/2026"}),
        }
        field_classes = {"budget": VietnameseDecimalField}

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["channels"].queryset = Channel.objects.filter(is_active=True)
        self.fields["co_roles"].queryset = role_choices(plan)
        subordinates = _subordinate_units(plan)
        self.fields["co_units"].queryset = subordinates
        self.fields["addressees"].queryset = subordinates
        label_units(self.fields["co_units"])
        label_units(self.fields["addressees"])
        self.fields["co_units"].widget.attrs["size"] = 6
        self.fields["addressees"].widget.attrs["size"] = 6
        self.has_subordinates = plan.unit.numchild > 0
        if not self.has_subordinates:  # a commune plan: co-operating roles, no units to address
            for name in ("co_units", "addressees"):
                self.fields[name].widget = forms.MultipleHiddenInput()

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if deadline and not (self.plan.year - 1 <= deadline.year <= self.plan.year + 1):
            raise forms.ValidationError(
                _("Thời hạn phải thuộc năm %(year)d (hoặc liền kề).") % {"year": self.plan.year}
            )
        return deadline


class TargetForm(BoundedModelForm):
    class Meta:
        model = Target
        fields = ["name", "value", "unit_of_measure", "kind", "aggregation"]
        widgets = {"value": forms.TextInput(attrs={"size": 8})}
        # "1.500" is fifteen hundred, "12,5" twelve and a half (formatting.parse_number).
        field_classes = {"value": VietnameseDecimalField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty (an older form, a script): read from the unit of measure ("%" → percent).
        self.fields["kind"].required = False
        self.fields["aggregation"].required = False

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or infer_kind(data.get("unit_of_measure") or "")
        data["kind"] = kind
        if not data.get("aggregation"):
            data["aggregation"] = default_aggregation(kind)
        return data


TargetFormSet = forms.inlineformset_factory(
    Task, Target, form=TargetForm, extra=1, can_delete=True, max_num=20, validate_max=True
)


class AssignForm(BoundedForm):
    """Give a task to a lead: an existing group, or a role (its group is created if needed)."""

    group = forms.ModelChoiceField(TaskGroup.objects.none(), required=False)
    role = forms.ModelChoiceField(Role.objects.none(), required=False)
    lock_version = forms.IntegerField(min_value=1)

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = plan.groups.all()
        self.fields["role"].queryset = role_choices(plan)

    def clean(self):
        data = super().clean()
        if not data.get("group") and not data.get("role"):
            raise forms.ValidationError(_("Hãy chọn nhóm hoặc vai trò chủ trì."))
        return data


class MoveForm(BoundedForm):
    direction = forms.TypedChoiceField(choices=[("-1", "lên"), ("1", "xuống")], coerce=int)


class ReturnForm(BoundedForm):
    reason = forms.CharField(
        label=_("Lý do trả lại"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX,
        error_messages={"required": _("Hãy ghi lý do trả lại để người soạn biết cần sửa gì.")},
    )


class RulesForm(BoundedForm):
    """Which periods must be reported and, per period, the units' deadline day, the plan unit's own
    deadline day and whether a deadline on a day off moves to the previous working day. Checked
    against the calendar of the plan's year (plans.deadlines.rule_errors). A "move" submit (the
    editor's warning button) moves every checked period's deadlines off days off."""

    def __init__(self, data=None, *args, plan: Plan, **kwargs):
        if data is not None and data.get("move"):
            data = data.copy()
            for period in PeriodType:
                if data.get(f"on_{period.value}"):
                    data[f"move_{period.value}"] = "on"
        super().__init__(data, *args, **kwargs)
        self.plan = plan
        current = {r.period_type: r for r in plan.reporting_rules.all()}
        for period in PeriodType:
            rule = current.get(period.value) or ReportingRule(period_type=period.value)
            self.fields[f"on_{period.value}"] = forms.BooleanField(
                label=period.label, required=False, initial=period.value in current
            )
            self.fields[f"units_{period.value}"] = self._day_field(
                _("các đơn vị gửi chậm nhất ngày"), rule.subordinate_deadline_day
            )
            self.fields[f"day_{period.value}"] = self._day_field(
                _("gửi cấp trên chậm nhất ngày"), rule.deadline_day
            )
            self.fields[f"move_{period.value}"] = forms.BooleanField(
                label=_("Hạn trùng ngày nghỉ: lùi về ngày làm việc liền trước"),
                required=False,
                initial=rule.on_non_working_day == NonWorkingDay.PREVIOUS,
            )

    @staticmethod
    def _day_field(label: str, initial: int) -> forms.IntegerField:
        return forms.IntegerField(
            label=label,
            min_value=15,
            max_value=28,
            initial=initial,
            error_messages={
                "min_value": _("Hạn gửi phải sau ngày chốt số liệu (14): từ ngày 15."),
                "max_value": _("Hạn gửi phải có trong mọi tháng: đến ngày 28."),
            },
        )

    def periods(self):
        return [
            (
                p,
                self[f"on_{p.value}"],
                self[f"units_{p.value}"],
                self[f"day_{p.value}"],
                self[f"move_{p.value}"],
            )
            for p in PeriodType
        ]

    def clean(self):
        data = super().clean()
        for period in PeriodType:
            own, units = data.get(f"day_{period.value}"), data.get(f"units_{period.value}")
            if not data.get(f"on_{period.value}") or own is None or units is None:
                continue
            policy = NonWorkingDay.PREVIOUS if data.get(f"move_{period.value}") else NonWorkingDay.KEEP
            for field, message in rule_errors(self.plan.year, period.value, own, units, policy).items():
                self.add_error(
                    f"units_{period.value}" if field == "subordinate_deadline_day" else f"day_{period.value}",
                    message,
                )
        return data

    def rules(self) -> dict[str, dict[str, int | str]]:
        return {
            p.value: {
                "deadline_day": self.cleaned_data[f"day_{p.value}"],
                "subordinate_deadline_day": self.cleaned_data[f"units_{p.value}"],
                "on_non_working_day": NonWorkingDay.PREVIOUS
                if self.cleaned_data[f"move_{p.value}"]
                else NonWorkingDay.KEEP,
            }
            for p in PeriodType
            if self.cleaned_data.get(f"on_{p.value}")
        }


class TaskImportForm(BoundedForm):
    """A task table to import into a plan (cchc_portal.lib.imports)."""

    file = forms.FileField(
        label=_("Tệp bảng nhiệm vụ"),
        error_messages={"required": _("Hãy chọn tệp Excel (.xlsx) hoặc CSV.")},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
