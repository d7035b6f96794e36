"""Template filters used across the site (registered as builtins in settings)."""

from django import template
from django.utils.html import format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fangyi.places.choices import Level

register = template.Library()

# fangyi.screening.services.team_source writes "screening team <name>".
SCREENING_TEAM_PREFIX = "screening team "

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


def list_separator() -> str:
    """The separator of an enumeration in the active language: 、 in Chinese, ", " else."""
    return "、" if (get_language() or "").startswith("zh") else ", "


@register.filter
def enumeration(items) -> str:
    """Join items as the language does: 甲、乙、丙 in Chinese, "a, b, c" in English."""
    return list_separator().join(str(item) for item in items)


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
def source_label(source: str) -> str:
    """How a change came in (people.choices.SOURCE_LABELS), or the stored text."""
    from fangyi.people.choices import SOURCE_LABELS

    if source.startswith(SCREENING_TEAM_PREFIX):
        return _("screening team %(name)s") % {"name": source[len(SCREENING_TEAM_PREFIX) :]}
    return SOURCE_LABELS.get(source, source)


@register.filter
def symptom_labels(codes) -> list[str]:
    from fangyi.quarantine.choices import SYMPTOMS

    labels = dict(SYMPTOMS)
    return [str(labels.get(code, code)) for code in codes or ()]


@register.filter
def case_action_label(action: str) -> str:
    from fangyi.quarantine.choices import CASE_ACTIONS

    return CASE_ACTIONS.get(action, action)


@register.filter
def slot_label(slot: str) -> str:
    from fangyi.quarantine.choices import SLOT_LABELS

    return SLOT_LABELS.get(slot, slot)


@register.filter
def alert_detail(alert) -> str:
    """An alert's detail in the reader's language: symptoms are stored as codes."""
    if alert.kind == "symptom":
        return enumeration(symptom_labels(alert.detail.split(",")))
    return alert.detail


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
