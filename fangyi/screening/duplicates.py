"""Likely duplicate person files, and merging two files into one.

Two files are likely the same person when they have the same name and phone, or the
same name and birth date in the same dwelling (typically one typed with a passport,
one with an ID card, or a number mistyped). They are listed for review, never merged
automatically.

A merge keeps one file and moves everything that points at the other (its history,
quarantine cases, access-log rows, visits… found generically through
`Person._meta.related_objects`, so relations added by other apps later are moved too),
records a "merged" event on the kept file with the dropped file's values, then deletes
the dropped file: all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from fangyi.duty.scope import scope_for
from fangyi.people.models import Person, PersonEvent
from fangyi.people.selectors import people_for
from fangyi.people.services import EDITABLE, person_update
from fangyi.people.state import refresh as refresh_state

MERGED = "merged"
MAX_PAIRS = 200

ERR_SAME = _("Choose two different files.")
ERR_CONFLICT = _("The two files cannot be merged: {error}")
REASON_PHONE = _("same name and phone")
REASON_DWELLING = _("same name and birth date in the same dwelling")


@dataclass(frozen=True)
class DuplicatePair:
    """Two files that are likely the same person, and why."""

    first: Person
    second: Person
    reason: str


def likely_duplicates(user, *, limit: int = MAX_PAIRS) -> list[DuplicatePair]:
    """Pairs of likely duplicate files among those the user may see (grouped in SQL)."""
    people = people_for(user)
    groups: list[tuple[dict, object]] = []
    by_phone = (
        people.exclude(phone="")
        .values("name", "phone")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("name")[:limit]
    )
    groups += [({"name": g["name"], "phone": g["phone"]}, REASON_PHONE) for g in by_phone]
    by_dwelling = (
        people.exclude(birth_date=None)
        .exclude(dwelling=None)
        .values("name", "birth_date", "dwelling_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("name")[:limit]
    )
    groups += [
        (
            {"name": g["name"], "birth_date": g["birth_date"], "dwelling_id": g["dwelling_id"]},
            REASON_DWELLING,
        )
        for g in by_dwelling
    ]
    pairs: list[DuplicatePair] = []
    seen: set[tuple[int, int]] = set()
    for filters, reason in groups:
        members = list(
            people.filter(**filters).select_related("dwelling__building").order_by("id")[:10]
        )
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                if (first.pk, second.pk) not in seen:
                    seen.add((first.pk, second.pk))
                    pairs.append(DuplicatePair(first, second, str(reason)))
        if len(pairs) >= limit:
            break
    return pairs[:limit]


def _value(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _related_querysets(person: Person) -> list[tuple[QuerySet, str]]:
    """Every (queryset, field name) of rows pointing at a person, from any app."""
    found = []
    for rel in Person._meta.related_objects:
        if rel.many_to_many:
            through = rel.through if hasattr(rel, "through") else rel.field.remote_field.through
            for f in through._meta.get_fields():
                if getattr(f, "related_model", None) is Person and f.concrete:
                    found.append((through.objects.filter(**{f.name: person}), f.name))
        else:
            model = rel.related_model
            found.append((model._base_manager.filter(**{rel.field.name: person}), rel.field.name))
    return found


@transaction.atomic
def person_merge(*, user, keep: Person, drop: Person, source: str = "web") -> Person:
    """Merge `drop` into `keep`: move what points at `drop`, record it, delete `drop`."""
    if keep.pk == drop.pk:
        raise ValidationError(ERR_SAME)
    scope = scope_for(user)
    if not (scope.covers("person", keep) and scope.covers("person", drop)):
        raise PermissionDenied
    keep = Person.objects.select_for_update().get(pk=keep.pk)
    drop = Person.objects.select_for_update().get(pk=drop.pk)
    dropped = {
        name: _value(getattr(drop, name))
        for name in ("id", *EDITABLE, "birth_date", "sex", "dwelling_id")
    }
    try:
        with transaction.atomic():
            for queryset, field_name in _related_querysets(drop):
                queryset.update(**{field_name: keep})
    except IntegrityError as exc:
        raise ValidationError(ERR_CONFLICT.format(error=exc)) from exc
    PersonEvent.objects.create(
        person=keep,
        by=user if user is not None and user.is_authenticated else None,
        source=source,
        action=MERGED,
        changes={"merged_file": [dropped, None]},
    )
    drop.delete()
    # Fill what the kept file lacks from the dropped one (recorded as an update).
    missing = {
        name: getattr(drop, name)
        for name in ("phone", "origin", "notes")
        if not getattr(keep, name) and getattr(drop, name)
    }
    if missing:
        keep = person_update(user=user, person=keep, values=missing, source=source)
    # The dropped file's cases, tests, exposures and alerts are the kept one's now.
    refresh_state([keep.pk])
    keep.refresh_from_db(fields=["epidemic_state", "state_until"])
    return keep
