"""Revealing masked personal data, always logged."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from fangyi.audit.models import AccessLog
from fangyi.duty.scope import scope_for

REVEALABLE = ("doc_number", "phone")


@transaction.atomic
def reveal_field(*, user, person, field: str, ip: str | None = None, channel: str = "web") -> str:
    """Return the unmasked value of `field` and write an access-log row."""
    if field not in REVEALABLE:
        raise ValueError(f"{field} cannot be revealed")
    if not scope_for(user).covers("person", person):
        raise PermissionDenied
    AccessLog.objects.create(user=user, person=person, field=field, ip=ip, channel=channel)
    return getattr(person, field)
