"""Scoped reads match the right column: a user granted person N (a guard or volunteer
who serves that person) sees the rows about person N, never order, request, visit,
roster entry or care group number N of somebody else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangyi.conftest import _user, make_id_number
from fangyi.duty.choices import Role
from fangyi.duty.scope import scope_for
from fangyi.people.models import Person
from fangyi.support import selectors
from fangyi.support.choices import Channel, RequestKind, VolunteerKind
from fangyi.support.models import CareGroup, Order, RecurringVisit, ServiceRequest, Volunteer

# Ids far above what the tests allocate, so that the same number can be given to a
# person and to rows of every other table.
N = 880_001


def _places(person) -> dict:
    return {
        "district_id": person.district_id,
        "street_id": person.street_id,
        "community_id": person.community_id,
        "zone_id": person.zone_id,
        "building_id": person.building_id,
    }


@pytest.fixture
def granted(tree):
    """A gate guard of zone 1 who serves person N (a request given to it), and rows
    number N about another person of the guard's zone, none of them given to it."""
    guard = _user("guard", Role.GATE_GUARD, zone=tree.zones[0])
    template = tree.people[8]  # a resident of zone 3, in the other street
    served = Person.objects.create(
        pk=N,
        name="被服务人",
        doc_number=make_id_number(901),
        dwelling=template.dwelling,
        household=template.household,
        **_places(template),
    )
    ServiceRequest.objects.create(
        person=served,
        kind=RequestKind.MEDICINE,
        channel=Channel.STAFF,
        created_at=timezone.now(),
        assigned_to=guard.staff,
        **_places(served),
    )
    other = tree.people[0]  # lives in the guard's zone; not served by it
    now = timezone.now()
    rows = {
        "order": Order.objects.create(
            pk=N,
            person=other,
            delivery_date=dt.date(2020, 2, 11),
            channel=Channel.LINK,
            placed_at=now,
            **_places(other),
        ),
        "request": ServiceRequest.objects.create(
            pk=N,
            person=other,
            kind=RequestKind.RUBBISH,
            channel=Channel.LINK,
            created_at=now,
            **_places(other),
        ),
        "visit": RecurringVisit.objects.create(
            pk=N, person=other, every_days=3, starts_on=dt.date(2020, 2, 1), **_places(other)
        ),
    }
    roster = _user("rostered", Role.VOLUNTEER, zone=tree.zones[0]).staff
    rows["volunteer"] = Volunteer.objects.create(
        pk=N, staff=roster, kind=VolunteerKind.VOLUNTEER, **_places(other)
    )
    rows["care_group"] = CareGroup.objects.create(pk=N, name="1栋群", **_places(other))
    assert scope_for(guard).person_pks == frozenset({N})
    return guard, served, rows


SELECTORS = {
    "order": selectors.orders_for,
    "request": selectors.requests_for,
    "visit": selectors.visits_for,
    "volunteer": selectors.volunteers_for,
    "care_group": selectors.care_groups_for,
}


@pytest.mark.parametrize("name", sorted(SELECTORS))
def test_granted_person_n_does_not_show_row_n(granted, name):
    guard, _served, rows = granted
    assert rows[name].pk == N
    assert not SELECTORS[name](guard).filter(pk=N).exists()


def test_the_rows_about_the_served_person_are_seen(granted):
    guard, served, _rows = granted
    seen = selectors.requests_for(guard)
    assert list(seen.values_list("person_id", flat=True)) == [served.pk]
    assert not selectors.orders_for(guard).exists()
    assert not selectors.visits_for(guard).exists()


def test_a_district_leader_still_sees_every_row(tree, granted):
    leader = tree.users["district"]
    for name, select in SELECTORS.items():
        assert select(leader).filter(pk=N).exists(), name
