"""`VietnameseDecimalField`: every number a person types ("1.500", "12,5", "1.234,5"), read by the
one rule of formatting.parse_number and bounded by the column it goes into.

The limits are checked after rounding to the column's decimals (decimal_in_range):
"9999999999,995" rounds to 10^10, one digit too wide for numeric(12, 2), and is refused as a
field error like any other, never stored (SQLite) or sent to the database (PostgreSQL: a 500).
A value put back into the input is written without grouping ("1500", "12,5").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cchc_portal.lib.bounds import decimal_in_range, shown
from cchc_portal.lib.formatting import QUOTED_MAX, NotANumber, number, parse_number


class VietnameseDecimalField(forms.Field):
    """A number as Vietnamese write it, within numeric(max_digits, decimal_places), at least
    `min_value` (0 by default: quantities and amounts are never negative)."""

    widget = forms.TextInput

    def __init__(
        self,
        *,
        max_digits: int,
        decimal_places: int,
        min_value: Decimal | None = Decimal(0),
        **kwargs: Any,
    ) -> None:
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self.min_value = min_value
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, str]:
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.TextInput):
            attrs["inputmode"] = "decimal" if self.decimal_places else "numeric"
        return attrs

    @property
    def largest(self) -> Decimal:
        """The largest value the column holds: 9.999.999.999,99 for numeric(12, 2)."""
        step = Decimal(1).scaleb(-self.decimal_places)
        return Decimal(10) ** (self.max_digits - self.decimal_places) - step

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, Decimal | int):
            return Decimal(value)
        try:
            return parse_number(str(value))
        except NotANumber as exc:
            raise ValidationError(exc.message, code="invalid") from exc

    def clean(self, value: Any) -> Decimal | None:
        amount = super().clean(value)
        if amount is None:
            return None
        text = shown(value.strip() if isinstance(value, str) else number(amount), QUOTED_MAX)
        if self.min_value is not None and amount < self.min_value:
            message = (
                _("“%(text)s” là số âm; giá trị này không được âm.")
                if self.min_value == 0
                else _("“%(text)s”: không được nhỏ hơn %(min)s.")
            )
            raise ValidationError(message % {"text": text, "min": number(self.min_value)}, code="min_value")
        rounded = decimal_in_range(
            amount,
            places=self.decimal_places,
            max_digits=self.max_digits,
            minimum=self.min_value if self.min_value is not None else -self.largest,
        )
        if rounded is None:
            raise ValidationError(
                _("“%(text)s” quá lớn: tối đa %(max)s.") % {"text": text, "max": number(self.largest)},
                code="max_value",
            )
        return rounded + 0  # -0,001 rounds to 0, not "-0"

    def prepare_value(self, value: Any) -> Any:
        """A stored value back in the input: "1500", "12,5" (the text typed stays as typed)."""
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return number(value, decimal_pos=None, grouping=False)
        return value
