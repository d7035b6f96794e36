"""Template filters of the screening pages."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key`: a dict value in a template (empty list when absent)."""
    return mapping.get(key, [])
