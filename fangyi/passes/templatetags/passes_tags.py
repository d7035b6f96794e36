"""Template tags that show passes on other apps' pages (the person file)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from fangyi.passes import services

register = template.Library()


@register.simple_tag(takes_context=True)
def person_passes_link(context, person) -> str:
    """A link to the person's passes (reissue, revoke) for those whom the service lets
    act on them; nothing for anyone else (a guard, a volunteer serving the person)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if not services.pass_actions_for(user, person).view:
        return ""
    return format_html(
        '<p><a class="button" href="{}" data-testid="person-passes">{}</a></p>',
        reverse("passes:person", args=[person.pk]),
        _("Passes: issue, reissue, revoke"),
    )
