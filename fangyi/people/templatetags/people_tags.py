"""Template filters about person files (a builtin library: see settings.TEMPLATES)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fangyi.people.choices import SOURCE_LABELS, EpidemicState

register = template.Library()

# fangyi.screening.services.team_source writes "screening team <name>".
SCREENING_TEAM_PREFIX = "screening team "


@register.filter
def source_label(source: str) -> str:
    """How a change came in (people.choices.SOURCE_LABELS), or the stored text."""
    if source.startswith(SCREENING_TEAM_PREFIX):
        return _("screening team %(name)s") % {"name": source[len(SCREENING_TEAM_PREFIX) :]}
    return SOURCE_LABELS.get(source, source)


# How a state looks: those that need isolation or quarantine stand out in red, those held
# for a check in yellow, the rest quietly.
STATE_TONES = {
    "confirmed": "bad",
    "positive": "bad",
    "suspected": "bad",
    "hospital": "bad",
    "observation": "bad",
    "station": "bad",
    "home": "bad",
    "contact": "bad",
    "review": "warn",
    "returnee": "warn",
    "unverified": "quiet",
    "clear": "ok",
}


@register.simple_tag
def state_badge(state: str):
    """A person's one epidemic state (people.state) as a badge."""
    label = dict(EpidemicState.choices).get(state, state)
    return format_html(
        '<span class="badge {}" data-testid="epidemic-state" data-state="{}">{}</span>',
        STATE_TONES.get(state, "quiet"),
        state,
        label,
    )
