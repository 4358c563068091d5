from decimal import Decimal

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def normalize(value):
    """12.00 → 12, 12.50 → 12.5; anything else as it is."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return value


@register.simple_tag
def field_error(errors, target_pk):
    message = (errors or {}).get(f"target_{target_pk}")
    return format_html('<span class="error">{}</span>', message) if message else ""
