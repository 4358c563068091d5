from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def field_error(errors, target_pk):
    message = (errors or {}).get(f"target_{target_pk}")
    return format_html('<span class="error">{}</span>', message) if message else ""
