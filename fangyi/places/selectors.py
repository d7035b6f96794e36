"""Reads of the place tree, always through the user's scope."""

from __future__ import annotations

import itertools
from typing import Any

from django.db.models import Count, Model, QuerySet
from django.http import Http404

from fangyi.duty.scope import scope_for
from fangyi.places.choices import LEVELS
from fangyi.places.models import Building, Community, District, Dwelling, Street, Zone

MODELS: dict[str, Any] = {
    "district": District,
    "street": Street,
    "community": Community,
    "zone": Zone,
    "building": Building,
}
CHILD_LEVEL: dict[str, str] = dict(itertools.pairwise(LEVELS))


def places_for(user, level: str) -> QuerySet:
    """The places at `level` the user may see."""
    return MODELS[level].objects.filter(scope_for(user).place_q(level))


def place_get(user, level: str, pk: int):
    """One place in scope, or 404 (also for places that do not exist)."""
    if level not in MODELS:
        raise Http404
    # Ancestors come in the same query: breadcrumbs need their names.
    related = LEVELS[: LEVELS.index(level)]
    place = places_for(user, level).select_related(*related).filter(pk=pk).first()
    if place is None:
        raise Http404
    return place


def dwelling_get(user, pk: int) -> Dwelling:
    dwelling = (
        Dwelling.objects.filter(scope_for(user).dwelling_q())
        .select_related("building", "zone")
        .filter(pk=pk)
        .first()
    )
    if dwelling is None:
        raise Http404
    return dwelling


def top_places(user) -> list[tuple[str, Model]]:
    """The places a user is assigned to (their entry points), highest level first."""
    scope = scope_for(user)
    if scope.everything:
        return [("district", d) for d in District.objects.all()]
    result: list[tuple[str, Model]] = []
    for level in LEVELS:
        ids = scope.ids.get(level)
        if ids:
            result.extend((level, p) for p in MODELS[level].objects.filter(pk__in=sorted(ids)))
    return result


def people_counts(level: str, place, group_by: str) -> dict[int, int]:
    """Number of people per `group_by` id (child level or dwelling) inside `place`."""
    from fangyi.people.models import Person

    rows = (
        Person.objects.filter(**{f"{level}_id": place.pk})
        .values_list(f"{group_by}_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {key: n for key, n in rows if key is not None}


def children_with_counts(user, level: str, place) -> list[tuple[Model, int]]:
    """The children of a place (all in scope, since the place is), with people counts."""
    if level == "building":
        children = list(Dwelling.objects.filter(building=place).order_by("floor", "room"))
        counts = people_counts(level, place, "dwelling")
    else:
        child = CHILD_LEVEL[level]
        children = list(MODELS[child].objects.filter(**{f"{level}_id": place.pk}))
        counts = people_counts(level, place, child)
    return [(c, counts.get(c.pk, 0)) for c in children]


def ancestors(level: str, place) -> list[tuple[str, Model]]:
    """The chain of places above `place`, top first. Every place row carries the ids of
    all its ancestors, so this reads `place.<level>` for each level above it."""
    return [(lvl, getattr(place, lvl)) for lvl in LEVELS[: LEVELS.index(level)]]


def crumbs(user, level: str, place, *, include_self: bool = False) -> list[tuple[str, Model, bool]]:
    """The chain above a place (and the place itself with `include_self`), each with
    whether the user may open it (a link) or not."""
    scope = scope_for(user)
    chain = ancestors(level, place) + ([(level, place)] if include_self else [])
    return [(lvl, p, scope.covers(lvl, p)) for lvl, p in chain]


def place_page(user, level: str, pk: int) -> dict[str, Any]:
    """What a place's page shows: the place (in the user's scope, else 404), its children
    with people counts, its people total, the staff on duty there and its gates."""
    from fangyi.duty.models import Assignment
    from fangyi.duty.scope import keeps_files
    from fangyi.people.models import Person

    place = place_get(user, level, pk)
    return {
        "level": level,
        "place": place,
        "children": children_with_counts(user, level, place),
        "child_level": CHILD_LEVEL.get(level),
        "total": Person.objects.filter(**{f"{level}_id": place.pk}).count(),
        "crumbs": crumbs(user, level, place),
        "duty": Assignment.objects.filter(
            **{f"{level}_id": place.pk}, staff__active=True
        ).select_related("staff"),
        "gates": place.gates.all() if level == "zone" else (),
        # Import, export and screening need the place's person files, not only the place.
        "keeps_files": keeps_files(user, level, place),
    }
