"""Template filters about places (a builtin library: see settings.TEMPLATES)."""

from django import template
from django.utils.translation import gettext_lazy as _

from fangyi.places.choices import Level

register = template.Library()

PLURALS = {
    "district": _("districts"),
    "street": _("streets"),
    "community": _("communities"),
    "zone": _("zones"),
    "building": _("buildings"),
}


@register.filter
def verbose_level(_place, level: str) -> str:
    """The label of a place level: `{{ place|verbose_level:"zone" }}` → 围合区."""
    return Level(level).label


@register.filter
def level_plural(level: str) -> str:
    return PLURALS.get(level, level)
