"""New policy versions: how an operator follows a new rule without writing SQL.

A version is never edited once made: decisions record the version they were made under
(gate checks, quarantine cases), so a changed rule is a new version dated from the day it
applies. `policy_version_add` makes one from the version it follows (or a named one),
with some values changed, each read as its field's type and the whole checked by
`PolicyValues.from_json`'s rules; nothing is saved when any value is wrong. It cannot
date a version before today (Asia/Shanghai): that would change under which rule past
days were decided. `fangyi policy` (docs/policy.md) calls it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from fangyi.core.models import Policy
from fangyi.core.policy import PolicyValues, policy_in_force, values_of

FIELDS = {field.name: field for field in dataclasses.fields(PolicyValues)}
DEFAULTS = PolicyValues()

ERR_UNKNOWN = _("“%(name)s” is not a policy value. The values are: %(names)s.")
ERR_TYPE = _("%(name)s must be %(kind)s; got “%(value)s”.")
ERR_RULES = _("These values break a rule of the policy: %(reason)s")
ERR_PAST = _(
    "A new version cannot start before today (%(today)s): past days stay decided under the "
    "version that was in force then."
)
ERR_CODE = _("The code must be letters, digits and hyphens, e.g. pingshan-2020-03; got “%(code)s”.")
ERR_CODE_TAKEN = _("A policy version with the code %(code)s exists already.")
ERR_BASE = _("No policy version has the code %(code)s.")
ERR_NAME = _("Give the version a name.")
ERR_NOTHING = _("Name at least one value to change (name=value).")

KINDS = {
    Decimal: _("a number like 37.3"),
    int: _("a whole number"),
    bool: _("true or false"),
    str: _("text"),
}


def _kind(name: str) -> type:
    default = getattr(DEFAULTS, name)
    return type(default) if not isinstance(default, tuple) else tuple


def _wrong(name: str, kind: Any, raw: str) -> ValidationError:
    return ValidationError({name: [ERR_TYPE % {"name": name, "kind": kind, "value": raw}]})


def parse_value(name: str, raw: str) -> Any:
    """A value typed by an operator (`fever_threshold=37.5`) as its field stores it in the
    version's JSON; ValidationError naming the value otherwise."""
    if name not in FIELDS:
        names = ", ".join(FIELDS)
        raise ValidationError({name: [ERR_UNKNOWN % {"name": name, "names": names}]})
    kind = _kind(name)
    text = raw.strip()
    if kind is Decimal:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _wrong(name, KINDS[Decimal], raw) from None
        if not number.is_finite():
            raise _wrong(name, KINDS[Decimal], raw)
        return str(number)
    if kind is bool:
        answer = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.lower() not in answer:
            raise _wrong(name, KINDS[bool], raw)
        return answer[text.lower()]
    if kind is int:
        if not text.lstrip("-").isdigit():
            raise _wrong(name, KINDS[int], raw)
        return int(text)
    if kind is tuple:
        # A list, as JSON: check_slots=[["am","12:00"],["pm","20:00"]], or for the areas
        # also a comma-separated list: high_risk_areas=湖北,温州.
        try:
            value = json.loads(text)
        except ValueError:
            value = [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]
        if not isinstance(value, list):
            example = json.dumps(getattr(DEFAULTS, name), ensure_ascii=False)
            raise _wrong(name, _("a list, e.g. %(example)s") % {"example": example}, raw)
        return value
    return text


def policy_version_add(
    *,
    code: str,
    name: str,
    effective_from: dt.date,
    changes: dict[str, str],
    base: str = "",
    notes: str = "",
    today: dt.date | None = None,
) -> Policy:
    """A new policy version in force from `effective_from`: the values of `base` (by code;
    default the version in force that day) with `changes` (name -> the text typed),
    checked as a whole. ValidationError naming what is wrong; nothing saved then."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if not code or slugify(code) != code:
        errors["code"] = [ERR_CODE % {"code": code}]
    elif Policy.objects.filter(code=code).exists():
        errors["code"] = [ERR_CODE_TAKEN % {"code": code}]
    if not name.strip():
        errors["name"] = [str(ERR_NAME)]
    if effective_from < today:
        errors["effective_from"] = [ERR_PAST % {"today": today.isoformat()}]
    if not changes:
        errors["values"] = [str(ERR_NOTHING)]
    values: dict[str, Any] = {}
    if base:
        found = Policy.objects.filter(code=base).first()
        if found is None:
            errors["base"] = [ERR_BASE % {"code": base}]
        else:
            values = dict(found.values)
    else:
        values = dict(policy_in_force(effective_from).values)
    for key, raw in changes.items():
        try:
            values[key] = parse_value(key, raw)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if not errors:
        try:
            values_of(Policy(values=values))
        except (ImproperlyConfigured, TypeError, ValueError) as exc:
            errors["values"] = [ERR_RULES % {"reason": exc}]
    if errors:
        raise ValidationError(errors)
    return Policy.objects.create(
        code=code,
        name=name.strip(),
        effective_from=effective_from,
        values=values,
        notes=notes.strip(),
    )


# Where a withdrawn version is put: after every real day, as the shipped presets are
# (core migration 0003), so that it is never in force and nothing that refers to a version
# has to be searched (a gate check's policy is not indexed: a deletion would read them all).
NEVER = dt.date(9999, 12, 31)
ERR_WITHDRAW_STARTED = _(
    "Version %(code)s has been in force since %(day)s: decisions were made under it. Add a "
    "new version instead."
)


def policy_version_withdraw(*, code: str, today: dt.date | None = None) -> Policy:
    """Take back a version that has not started yet (a mistake, a rule cancelled): dated
    NEVER and noted as withdrawn, so the version before it stays in force. ValidationError
    for an unknown code or a version already in force."""
    today = today or timezone.localdate()
    with transaction.atomic():
        policy = Policy.objects.select_for_update().filter(code=code).first()
        if policy is None:
            raise ValidationError({"code": [ERR_BASE % {"code": code}]})
        if policy.effective_from <= today:
            raise ValidationError(
                {"code": [ERR_WITHDRAW_STARTED % {"code": code, "day": policy.effective_from}]}
            )
        if policy.effective_from == NEVER:
            return policy  # withdrawn already, or a preset
        note = _("Withdrawn on %(today)s; it was to start on %(day)s.") % {
            "today": today.isoformat(),
            "day": policy.effective_from.isoformat(),
        }
        policy.effective_from = NEVER
        policy.notes = f"{policy.notes}\n{note}".strip()
        policy.save(update_fields=["effective_from", "notes"])
    return policy


def differences(policy: Policy) -> dict[str, tuple[Any, Any]]:
    """The values of a version that differ from Pingshan's defaults: name -> (default,
    this version's)."""
    values = values_of(policy)
    return {
        name: (getattr(DEFAULTS, name), getattr(values, name))
        for name in FIELDS
        if getattr(values, name) != getattr(DEFAULTS, name)
    }
