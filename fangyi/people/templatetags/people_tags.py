"""Template filters about person files (a builtin library: see settings.TEMPLATES)."""

from django import template
from django.utils.translation import gettext_lazy as _

from fangyi.people.choices import SOURCE_LABELS

register = template.Library()

# fangyi.screening.services.team_source writes "screening team <name>".
SCREENING_TEAM_PREFIX = "screening team "


@register.filter
def source_label(source: str) -> str:
    """How a change came in (people.choices.SOURCE_LABELS), or the stored text."""
    if source.startswith(SCREENING_TEAM_PREFIX):
        return _("screening team %(name)s") % {"name": source[len(SCREENING_TEAM_PREFIX) :]}
    return SOURCE_LABELS.get(source, source)
