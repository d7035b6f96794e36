"""Reads of the place tree, always through the user's scope (duty.scope): which places
a user may see and open. Counting and listing the people of a place is people's
(people.selectors), on top of these."""

from __future__ import annotations

import itertools
from typing import Any

from django.db.models import Model, QuerySet
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
