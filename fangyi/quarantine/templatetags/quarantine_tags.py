"""Template filters about quarantine cases (a builtin library: see settings.TEMPLATES)."""

from django import template

from fangyi.core.templatetags.fangyi_tags import enumeration
from fangyi.quarantine.choices import CASE_ACTIONS, SLOT_LABELS, SYMPTOMS

register = template.Library()


@register.filter
def symptom_labels(codes) -> list[str]:
    labels = dict(SYMPTOMS)
    return [str(labels.get(code, code)) for code in codes or ()]


@register.filter
def case_action_label(action: str) -> str:
    return CASE_ACTIONS.get(action, action)


@register.filter
def slot_label(slot: str) -> str:
    return SLOT_LABELS.get(slot, slot)


@register.filter
def alert_detail(alert) -> str:
    """An alert's detail in the reader's language: symptoms are stored as codes."""
    if alert.kind == "symptom":
        return enumeration(symptom_labels(alert.detail.split(",")))
    return alert.detail
