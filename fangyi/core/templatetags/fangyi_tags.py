"""Template filters used across the site (registered as builtins in settings).

`core` knows no domain app: filters about one app's data live in that app's own
library (places_tags, people_tags, quarantine_tags), also builtins.
"""

from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from fangyi.core.text import enumerate_items, list_separator

register = template.Library()


@register.filter
def enumeration(items) -> str:
    """Join items as the language does: 甲、乙、丙 in Chinese, "a, b, c" in English."""
    return enumerate_items(items)


@register.simple_tag
def sep() -> str:
    """`{% if not forloop.last %}{% sep %}{% endif %}` between the items of a loop."""
    return list_separator()


@register.filter
def author(user, empty: str = "") -> str:
    """Who did something: the staff name, else the user name, else `empty` or "system".

    Records made by imports, commands and the demo have no author, and a deleted user
    leaves none (SET_NULL): both must render, never fail the page.
    """
    if user is None:
        return empty or str(_("system"))
    staff = getattr(user, "staff", None)  # no Staff row: RelatedObjectDoesNotExist
    return (staff.name if staff is not None and staff.name else "") or user.get_username()


@register.filter
def names(items) -> list[str]:
    return [item.name for item in items]


@register.filter
def duty_items(assignments) -> str:
    """A duty chain as list items: name · role · duty, and the place in muted type.

    The zone map lists the whole chain (often fifty people); written here instead of a
    template loop, the list renders in a fraction of the time."""
    return format_html_join(
        "",
        '<li>{} · {}{} <span class="muted">{}</span></li>',
        (
            (
                a.staff.name,
                a.staff.role_label,
                f" · {a.duty}" if a.duty else "",
                a.place.name,
            )
            for a in assignments
        ),
    )
