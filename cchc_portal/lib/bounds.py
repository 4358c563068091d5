"""Every input bounded: lengths, control characters and numbers, the same rule on every path.

A real portal meets pasted Word text, control characters and people testing its limits. Three
rules hold for whatever a user types or imports, each refused with a Vietnamese message naming
the field, never a 500 and never a silent cut:

- **a maximum length** on every text: `CharField.max_length`, or for a `TextField` the same
  `max_length` (which gives the form's `maxlength`) plus `MaxLengthValidator`, so that old rows
  longer than the bound stay readable and no migration alters a column;
- **no control characters** (`no_control_characters`): PostgreSQL refuses NUL in text (a 500),
  the others break PDF rendering and exports; tab and line breaks are allowed in multi-line text;
- **numbers within their column after rounding** (`decimal_in_range`, applied to every typed
  number by decimal_field.VietnameseDecimalField): "9999999999,999" rounds to a value one digit
  too wide for numeric(12, 2).

`BoundedFormMixin` applies the first two to every text field of a form; `RejectControlCharacters`
(a middleware) answers a URL path or query string carrying a control character with a 400.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

# Bounds shared by models, forms and imports (characters). A PDF of the longest allowed plan
# renders in seconds; 1.5 million characters in one cell did not render at all.
NAME_MAX = 300  # titles, names, one-line texts
REASON_MAX = 2000  # a return or reopen reason, a note
LONG_TEXT_MAX = 5000  # a task's description, legal bases, a unit's legal basis
TASK_TITLE_MAX = 1000  # a task's content: a sentence or a short paragraph
ITEM_TEXT_MAX = 10_000  # one item of a plan section
NARRATIVE_MAX = 20_000  # an officer's result for one task
SECTION_MAX = 50_000  # one section of a report (results, strengths…)
CERTIFICATE_MAX = 20_000  # a PEM certificate chain pasted in the admin
# A text field that names no bound gets this one in forms (search boxes, filters, options).
DEFAULT_INPUT_MAX = 1000
DEFAULT_TEXTAREA_MAX = LONG_TEXT_MAX
# Row ids are 64-bit: a larger number in a list of ids overflows the database driver (a 500).
ID_RANGE = range(-(2**63), 2**63)
# From this length on a textarea shows how many characters are left (static/js/portal.js).
COUNTER_FROM = 2000

# C0 and C1 control characters and DEL. Multi-line text keeps tab, line feed and carriage return.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control character in `value` ("U+0000"), or None."""
    found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def control_character_message(label: str, character: str) -> str:
    return _(
        "“%(field)s” chứa ký tự điều khiển không hiển thị được (%(char)s), thường do dán từ "
        "phần mềm khác; hãy xóa ký tự đó rồi gửi lại."
    ) % {"field": label, "char": character}


def too_long_message(label: str, length: int, limit: int) -> str:
    return _("“%(field)s” dài %(n)s ký tự; tối đa %(max)s ký tự.") % {
        "field": label,
        "n": f"{length:,}".replace(",", "."),
        "max": f"{limit:,}".replace(",", "."),
    }


def shown(text: str, limit: int = 20) -> str:
    """A refused value quoted back in a message: short, its control characters shown as "?"."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return _CONTROL.sub("?", text)


def no_control_characters(value: str, *, multiline: bool = False, label: str = "") -> None:
    """Raise ValidationError naming `label` if `value` holds a control character."""
    character = control_character(value, multiline=multiline)
    if character:
        raise ValidationError(
            control_character_message(label or _("Nội dung"), character), code="control_character"
        )


def check_text(value: str, *, label: str, limit: int, multiline: bool = False) -> None:
    """The whole rule for a text read outside a form (a raw POST value, an import cell)."""
    no_control_characters(value, multiline=multiline, label=label)
    if len(value) > limit:
        raise ValidationError(too_long_message(label, len(value), limit), code="max_length")


@deconstructible
class NoControlCharacters:
    """A model or form field validator; the form mixin adds the field's label to the message."""

    def __init__(self, multiline: bool = False, label: str = "") -> None:
        self.multiline = multiline
        self.label = label

    def __call__(self, value: Any) -> None:
        if isinstance(value, str):
            no_control_characters(value, multiline=self.multiline, label=self.label)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, NoControlCharacters)
            and other.multiline == self.multiline
            and other.label == self.label
        )


def bounded_text(limit: int) -> list:
    """The validators of a multi-line TextField bounded at `limit` characters."""
    return [MaxLengthValidator(limit), NoControlCharacters(multiline=True)]


def decimal_in_range(
    value: Decimal, *, places: int, max_digits: int, minimum: Decimal = Decimal(0)
) -> Decimal | None:
    """`value` rounded to `places` decimals if it is finite, at least `minimum` and fits a
    numeric(max_digits, places) column after rounding; None otherwise."""
    try:
        if not value.is_finite():
            return None
        rounded = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # 1e400: more digits than the context holds
        return None
    if rounded < minimum or abs(rounded) >= Decimal(10) ** (max_digits - places):
        return None
    return rounded


def _label(field: forms.Field, name: str) -> str:
    return str(field.label or name.replace("_", " ").capitalize())


class BoundedFormMixin:
    """Every text field of the form bounded and free of control characters.

    A field keeps its own `max_length`; one without gets a default (a search box 1,000, a
    textarea 5,000). The browser's `maxlength` follows, a long textarea shows a counter, and the
    messages name the field by its label.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                bound_field(field, _label(field, name))
            elif isinstance(field, forms.FileField):
                field.validators.append(FileNameValidator(_label(field, name)))
            elif isinstance(field, forms.ModelMultipleChoiceField) and not isinstance(field, _CheckedIds):
                field.__class__ = _checked_ids(type(field))


class _CheckedIds:
    """A multiple choice of rows whose posted ids are numbers a database column can hold.

    Django checks each id alone (an out-of-range one matches nothing) but then looks them all up
    with `__in`, where SQLite's driver overflows on 10^30: a 500 instead of "not a valid choice".
    """

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        model_field = (
            self.queryset.model._meta.get_field(key) if key != "pk" else self.queryset.model._meta.pk
        )
        if model_field.get_internal_type() in (
            "AutoField",
            "BigAutoField",
            "IntegerField",
            "BigIntegerField",
        ):
            for item in value:
                try:
                    number = int(str(item))
                except ValueError:
                    continue  # Django's own check names it
                if number not in ID_RANGE:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": shown(str(item))},
                    )
        return super()._check_values(value)


_CHECKED: dict[type, type] = {}


def _checked_ids(cls: type) -> type:
    if cls not in _CHECKED:
        _CHECKED[cls] = type(f"Checked{cls.__name__}", (_CheckedIds, cls), {})
    return _CHECKED[cls]


def parse_id(value: Any) -> int | None:
    """A posted row id, or None when it is not a number a database column can hold."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number in ID_RANGE else None


@deconstructible
class FileNameValidator:
    """An uploaded file's name is stored (import records, evidence): no control characters."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __call__(self, upload: Any) -> None:
        name = getattr(upload, "name", None)
        if isinstance(name, str):
            no_control_characters(name, label=self.label)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileNameValidator) and other.label == self.label


def bound_field(field: forms.CharField, label: str) -> None:
    multiline = isinstance(field.widget, forms.Textarea)
    if field.max_length is None:
        field.max_length = DEFAULT_TEXTAREA_MAX if multiline else DEFAULT_INPUT_MAX
        field.validators.append(MaxLengthValidator(field.max_length))
    field.widget.attrs.setdefault("maxlength", str(field.max_length))
    if multiline and field.max_length >= COUNTER_FROM:
        field.widget.attrs.setdefault("data-counter", "")
    # Ours covers Django's NUL check: one message per field, naming it.
    field.validators = [
        v
        for v in field.validators
        if not isinstance(v, NoControlCharacters | ProhibitNullCharactersValidator)
    ]
    field.validators.append(NoControlCharacters(multiline=multiline, label=label))
    limit = field.max_length
    field.error_messages = {
        **field.error_messages,
        # Django formats the message with the validator's params: %(show_value)d is the length.
        "max_length": _("“%(field)s” dài %%(show_value)d ký tự; tối đa %(max)s ký tự.")
        % {"field": label.replace("%", "%%"), "max": f"{limit:,}".replace(",", ".")},
    }


class BoundedForm(BoundedFormMixin, forms.Form):
    pass


class BoundedModelForm(BoundedFormMixin, forms.ModelForm):
    pass


# --- URLs ----------------------------------------------------------------------------------------


def _url_control_character(request: HttpRequest) -> str | None:
    for text in (request.path, *request.GET.keys(), *(v for vs in request.GET.lists() for v in vs[1])):
        character = control_character(text)
        if character:
            return character
    return None


class RejectControlCharacters:
    """A URL path or query string with a control character (`/thu-tuc/%00/`, `?path=%00`) gets a
    400 page saying so, before any view passes it to the database (PostgreSQL refuses NUL: a 500)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        character = _url_control_character(request)
        if character:
            return render(
                request,
                "400.html",
                {"reason": _("Địa chỉ trang chứa ký tự điều khiển (%(char)s).") % {"char": character}},
                status=400,
            )
        return self.get_response(request)
