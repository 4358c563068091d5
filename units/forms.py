"""Choosing a unit: every picker shows the code, the validity and the parent next to the name.

After the 2025 reform the same name is borne by several units (the new "Phường Phú Thượng" and
two former ones), so a name alone cannot be chosen from. `UnitChoiceField` labels its options
with `Unit.picker_label` and loads the parents' names in the same query; in the admin,
`UnitAutocompleteSelect` asks the units' own autocomplete view (`UnitAutocompleteView`,
registered by `UnitAdmin`), which answers with the same labels.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.urls import reverse

from units.models import Unit


class UnitChoiceField(forms.ModelChoiceField):
    """A unit, labelled "Phường Phú Thượng — 00112 · từ 01/07/2025 · Thành phố Hà Nội"."""

    def _set_queryset(self, queryset: Any) -> None:
        super()._set_queryset(None if queryset is None else queryset.for_picker())

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def label_from_instance(self, obj: Unit) -> str:
        return obj.picker_label


def label_units(field: forms.ModelChoiceField) -> None:
    """Give an existing unit field (single or multiple) the picker labels; call after setting its
    queryset."""
    field.queryset = field.queryset.for_picker()
    field.label_from_instance = lambda unit: unit.picker_label


class CheckedAutocompleteSelect(AutocompleteSelect):
    """Django's searchable select, showing again only the posted values that can be ids: its own
    rendering looks the selected values up as they were posted, and "abc" or a NUL there is a 500."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key = remote.model._meta.get_field(remote.field_name)
        valid = []
        for item in value:
            try:
                key.run_validators(key.to_python(item))
            except ValidationError:
                continue
            valid.append(item)
        return super().optgroups(name, valid, attr)


class UnitAutocompleteSelect(CheckedAutocompleteSelect):
    """The admin's searchable select, answered by `UnitAutocompleteView`."""

    def get_url(self) -> str:
        return reverse("admin:units_unit_autocomplete")


class UnitAutocompleteView(AutocompleteJsonView):
    """The admin's autocomplete (search, permission checks, paging) with the picker labels."""

    def get_queryset(self):
        return super().get_queryset().for_picker()

    def serialize_result(self, obj: Unit, to_field_name: str) -> dict[str, str]:
        return {"id": str(getattr(obj, to_field_name)), "text": obj.picker_label}
