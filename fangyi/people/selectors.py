"""Reads of person files, always through the user's scope."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404

from fangyi.duty.models import Assignment
from fangyi.duty.scope import keeps_files, scope_for
from fangyi.duty.selectors import CHILD_LEVEL, MODELS, crumbs, place_get
from fangyi.people.identity import normalise
from fangyi.people.models import Person
from fangyi.people.state import refresh_expired
from fangyi.places.models import Dwelling, Zone

SEARCH_LIMIT = 50


def people_for(user) -> QuerySet[Person]:
    """All person files the user may see, their epidemic states as of today."""
    refresh_expired()
    return Person.objects.filter(scope_for(user).person_q())


def person_get(user, pk: int) -> Person:
    """One person file in scope, or 404; its epidemic state as of today."""
    refresh_expired()
    person = (
        people_for(user)
        .select_related("dwelling", "building", "zone", "community", "street", "district")
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise Http404
    return person


def dwelling_residents(user, dwelling) -> tuple[list[Person], int]:
    """The files of a dwelling's residents that the user may see (none for a gate guard or
    a volunteer, but the person it serves), and how many people live there."""
    residents = list(
        people_for(user).filter(dwelling=dwelling).order_by("household_id", "birth_date", "id")
    )
    total = Person.objects.filter(dwelling=dwelling).count()
    return residents, total


def person_search(user, query: str) -> QuerySet[Person]:
    """Search by name (part), full ID number, or phone (full or last four digits)."""
    query = (query or "").strip()
    if not query:
        return Person.objects.none()
    people = people_for(user).select_related("zone", "building", "dwelling")
    compact = normalise(query)
    condition = Q(name__contains=query)
    if compact.isdigit() and len(compact) == 11:
        condition |= Q(phone=compact)
    elif compact.isdigit() and len(compact) == 4:
        condition |= Q(phone__endswith=compact)
    if len(compact) >= 5 and compact[:-1].isalnum():
        if len(compact) == 15 and compact.isdigit():
            from fangyi.people.identity import IdentityError, parse_id_number

            with contextlib.suppress(IdentityError):
                compact = parse_id_number(compact).number
        condition |= Q(doc_number=compact)
    return people.filter(condition).order_by("name", "id")


def duty_chain(person: Person, places: dict[str, Any] | None = None) -> list[Assignment]:
    """Who is responsible for this person, from their building up to the district.

    `places` may give place objects already loaded (level -> object): they are attached
    to the assignments instead of being joined again (a seven-table join took
    PostgreSQL longer to plan than to run)."""
    levels = [
        ("building", person.building_id),
        ("zone", person.zone_id),
        ("community", person.community_id),
        ("street", person.street_id),
        ("district", person.district_id),
    ]
    places = {level: obj for level, obj in (places or {}).items() if obj is not None}
    condition = Q(pk__in=[])
    for level, pk in levels:
        if pk is not None:
            condition |= Q(**{f"{level}_id": pk})
    rank = {level: i for i, (level, _pk) in enumerate(levels)}
    joined = [level for level, pk in levels if pk is not None and level not in places]
    rows = list(
        Assignment.objects.filter(condition, staff__active=True).select_related("staff", *joined)
    )
    for assignment in rows:
        for level, obj in places.items():
            if getattr(assignment, f"{level}_id") == obj.pk:
                setattr(assignment, level, obj)
    rows.sort(key=lambda a: (rank[a.level], a.staff.role, a.staff.name))
    return rows


def people_total(level: str, place) -> int:
    """How many person files a place holds (a count, no file shown)."""
    return Person.objects.filter(**{f"{level}_id": place.pk}).count()


def people_counts(level: str, place, group_by: str) -> dict[int, int]:
    """Number of people per `group_by` id (child level or dwelling) inside `place`."""
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


def place_page(user, level: str, pk: int) -> dict[str, Any]:
    """What a place's page shows: the place (in the user's scope, else 404), its children
    with people counts, its people total, the staff on duty there and its gates."""
    place = place_get(user, level, pk)
    return {
        "level": level,
        "place": place,
        "children": children_with_counts(user, level, place),
        "child_level": CHILD_LEVEL.get(level),
        "total": people_total(level, place),
        "crumbs": crumbs(user, level, place),
        "duty": Assignment.objects.filter(
            **{f"{level}_id": place.pk}, staff__active=True
        ).select_related("staff"),
        "gates": place.gates.all() if level == "zone" else (),
        # Import, export and screening need the place's person files, not only the place.
        "keeps_files": keeps_files(user, level, place),
    }


def state_counts(
    level: str, place_id: int, group_by: str, *, unplaced: bool = False
) -> dict[Any, dict[str, int]]:
    """People per epidemic state (people.state), per `group_by` place (building, zone, …)
    inside a place: one GROUP BY on the stored state, after refreshing the states that
    ended by themselves. With `unplaced`, people with no `group_by` place are counted
    under None, so that the counts add up to the place's total."""
    refresh_expired()
    rows = (
        Person.objects.filter(**{f"{level}_id": place_id})
        .values_list(f"{group_by}_id", "epidemic_state")
        .annotate(n=Count("id"))
        .order_by()
    )
    result: dict[Any, dict[str, int]] = {}
    for key, state, n in rows:
        if key is not None or unplaced:
            result.setdefault(key, {})[state] = n
    return result


def zone_state_counts(zones: QuerySet[Zone]) -> dict[int, dict[str, int]]:
    """People per epidemic state, per zone of `zones`: one GROUP BY over the (zone, state)
    index, however many districts the zones span (a city's overview counts 2.75 million
    people in one pass, not one pass per district)."""
    refresh_expired()
    # The zones' ids as a list, not a subquery: PostgreSQL then reads the index for
    # exactly these ids (zone_id = ANY(...)) whatever the city's size, where with the
    # subquery it planned a nested loop over a district of a city but a parallel scan of
    # the whole index for a lone district (a district's overview 1.2-1.3x slower in a
    # city of five; with the list, 45 ms in both).
    ids = list(zones.values_list("pk", flat=True))
    rows = (
        Person.objects.filter(zone_id__in=ids)
        .values_list("zone_id", "epidemic_state")
        # COUNT(*), not COUNT(id): the id is not in the (zone, state) index, and counting
        # it sent PostgreSQL to the table (a district's overview read the whole city's
        # people) instead of an index-only scan of the district's zones.
        .annotate(n=Count("*"))
        .order_by()
    )
    result: dict[int, dict[str, int]] = {}
    for key, state, n in rows:
        result.setdefault(key, {})[state] = n
    return result


def counted(states: dict[str, int], which: tuple[str, ...]) -> int:
    """How many of a place's people (`state_counts`' value) are in one of `which`."""
    return sum(states.get(state, 0) for state in which)
