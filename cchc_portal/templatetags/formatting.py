"""Template filters for quantities in Vietnamese, built into every template (settings.TEMPLATES
"builtins"): `{{ target.value|number }}` → "3.000", "12,5"; `{{ share|percent:1 }}` → "46,7%";
`{{ value|number_input }}` → "3000", "12,5" for an input's value (no grouping: the form reads
"," as the decimal mark). The rules are cchc_portal.lib.formatting's; dates use Django's
`|date:"SHORT_DATE_FORMAT"` / `"SHORT_DATETIME_FORMAT"`."""

from __future__ import annotations

from decimal import Decimal

from django import template

from cchc_portal.lib import formatting

register = template.Library()


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@register.filter
def number(value, decimal_pos=None):
    """A quantity grouped and with a decimal comma; anything else (None, "") as it is."""
    if not _is_number(value):
        return value
    return formatting.number(value, None if decimal_pos in (None, "") else int(decimal_pos))


@register.filter
def number_input(value):
    if not _is_number(value):
        return value
    return formatting.number(value, grouping=False)


@register.filter
def percent(value, decimal_pos=0):
    if not _is_number(value):
        return value
    return formatting.percent(value, None if decimal_pos in (None, "") else int(decimal_pos))
