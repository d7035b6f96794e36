"""One person, one state: for each kind of fact, starting from a clear green resident,
the state after the fact (people.state), the colour at the gate under both shipped
policies, the zone map, the overview tile and the statistics agree with each other, and
with a count made from the facts alone, without people.state.

Every fact is recorded through the service a user's page calls, as users meet it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db.models import Q

from fangyi.core.models import Policy
from fangyi.core.policy import values_of
from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.passes import selectors as pass_selectors
from fangyi.passes import services as passes
from fangyi.passes.colour import pass_colour_for
from fangyi.passes.models import GatePost
from fangyi.people import services as people
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences
from fangyi.quarantine import services as quarantine
from fangyi.quarantine.choices import ACTIVE_STATES, FacilityKind
from fangyi.quarantine.models import Facility, QuarantineCase
from fangyi.reports import selectors as reports

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2020, 2, 20, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2020, 2, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def world(tree):
    """The tree, a verified resident with a pass, a guard at the zone's gate, the three
    kinds of facility and both shipped policies."""
    facilities = {
        kind: Facility.objects.create(
            district=tree.district,
            community=tree.communities[0],
            kind=kind,
            name=f"{kind} 1",
            address="坪山大道1号",
            capacity=50,
        )
        for kind in (FacilityKind.STATION, FacilityKind.OBSERVATION, FacilityKind.HOSPITAL)
    }
    user = get_user_model().objects.create_user("guard_one_state", password="x")
    staff = Staff.objects.create(user=user, name="门岗", role=Role.GATE_GUARD)
    gate = tree.zones[0].gates.get()
    GatePost.objects.create(staff=staff, gate=gate)
    with time_machine.travel(at(1), tick=False):
        person = people.person_update(
            user=None, person=tree.people[1], values={"verified": True}, source="web"
        )
        the_pass = passes.pass_issue(by=None, person=person)
    return {
        "tree": tree,
        "person": person,
        "pass": the_pass,
        "gate": gate,
        "guard": user,
        "facilities": facilities,
    }


def _intake(world, *, state: str, reason: str, facility_kind: str | None, day: int = 18):
    facility = world["facilities"][facility_kind] if facility_kind else None
    return quarantine.case_intake(
        by=None,
        person=world["person"],
        reason=reason,
        arrived_at=at(day, 8),
        first_state=state,
        facility=facility,
        origin="湖北武汉" if reason == "returned" else "",
        now=at(day, 9),
    )


def confirmed(world, classification="confirmed"):
    from fangyi.reports import services as cases

    cases.confirmed_case_create(
        by=None, date=TODAY, person=world["person"], classification=classification
    )


def positive_test(world):
    case = _intake(world, state="home", reason="close_contact", facility_kind=None)
    test = quarantine.test_record(by=None, case=case, sampled_on=TODAY)
    quarantine.test_set_result(by=None, test=test, result="positive", now=NOW)


def at_observation(world):
    _intake(world, state="observation", reason="fever", facility_kind=FacilityKind.OBSERVATION)


def in_hospital(world):
    case = _intake(
        world, state="observation", reason="fever", facility_kind=FacilityKind.OBSERVATION
    )
    quarantine.case_transfer_to_hospital(
        by=None,
        case=case,
        facility=world["facilities"][FacilityKind.HOSPITAL],
        note="高烧不退",
        now=at(19),
    )


def at_station(world):
    _intake(world, state="station", reason="returned", facility_kind=FacilityKind.STATION)


def at_home_as_contact(world):
    _intake(world, state="home", reason="close_contact", facility_kind=None)


def exposed(world):
    from fangyi.health import exposures

    index = world["tree"].people[5]
    exposures.exposure_record(
        by=None,
        index_person=index,
        contact=world["person"],
        kind="work",
        first_exposure_on=TODAY - dt.timedelta(days=3),
        last_exposure_on=TODAY - dt.timedelta(days=2),
    )


def gate_fever(world):
    passes.gate_check_record(
        by=world["guard"],
        gate=world["gate"],
        token=passes.pass_token(world["pass"]),
        temperature="38.2",
        now=NOW,
    )


def returned(world):
    people.person_update(
        user=None,
        person=world["person"],
        values={"travel_status": "returned", "return_date": TODAY - dt.timedelta(days=1)},
    )


def unverified(world):
    people.person_update(user=None, person=world["person"], values={"verified": False})


def nothing(world):
    pass


# fact → (state, Pingshan colour, Hangzhou colour, in quarantine, close contact)
TABLE: list[tuple[Callable, str, str, str, int, int]] = [
    (nothing, "clear", "green", "green", 0, 0),
    (confirmed, "confirmed", "red", "red", 1, 0),
    (lambda w: confirmed(w, "asymptomatic"), "confirmed", "red", "red", 1, 0),
    (lambda w: confirmed(w, "suspected"), "suspected", "red", "red", 1, 0),
    (positive_test, "positive", "red", "red", 1, 1),
    (at_observation, "observation", "red", "red", 1, 0),
    (in_hospital, "hospital", "red", "red", 1, 0),
    (at_station, "station", "red", "yellow", 1, 0),
    (at_home_as_contact, "home", "red", "red", 1, 1),
    (exposed, "contact", "red", "red", 0, 1),
    (gate_fever, "review", "yellow", "yellow", 0, 0),
    (returned, "returnee", "yellow", "yellow", 0, 0),
    (unverified, "unverified", "yellow", "yellow", 0, 0),
]


def _from_facts(zone_id: int) -> tuple[int, int]:
    """People of a zone under quarantine or isolation, and close contacts under
    observation, counted from the facts without people.state."""
    open_case = QuarantineCase.objects.filter(state__in=ACTIVE_STATES)
    in_quarantine = (
        Person.objects.filter(zone_id=zone_id)
        .filter(
            Q(health_status__in=("confirmed", "asymptomatic", "suspected"))
            | Q(pk__in=open_case.values("person_id"))
        )
        .count()
    )
    watched_from = TODAY - dt.timedelta(days=13)
    contacts = (
        Person.objects.filter(zone_id=zone_id)
        .filter(
            Q(pk__in=open_case.filter(reason="close_contact").values("person_id"))
            | (
                Q(exposures__last_exposure_on__gte=watched_from)
                & ~Q(pk__in=open_case.values("person_id"))
                & ~Q(health_status__in=("confirmed", "asymptomatic", "suspected"))
            )
        )
        .distinct()
        .count()
    )
    return in_quarantine, contacts


@pytest.mark.parametrize(
    ("fact", "state", "pingshan", "hangzhou", "quarantined", "contact"),
    TABLE,
    ids=[row[1] if row[0].__name__ == "<lambda>" else row[0].__name__ for row in TABLE],
)
def test_every_view_reads_the_one_state(
    world, fact, state, pingshan, hangzhou, quarantined, contact
):
    tree, person = world["tree"], world["person"]
    zone = tree.zones[0]
    leader = tree.users["district"]
    with time_machine.travel(NOW, tick=False):
        before = reports.zone_map(leader, zone.pk).counts
        fact(world)
        person.refresh_from_db()
        assert person.epidemic_state == state
        assert rebuild_differences() == []
        # The gate, under both policies: what the gate check computes from the facts.
        for code, expected in (("pingshan-2020", pingshan), ("hangzhou-2020", hangzhou)):
            values = values_of(Policy.objects.get(code=code))
            snapshot = pass_selectors.person_state(person, values=values, today=TODAY)
            assert snapshot.epidemic_state == state, code
            assert pass_colour_for(snapshot, values).colour == expected, code
        # A real check at the gate, with the policy in force (Pingshan's).
        checked = passes.gate_check_record(
            by=world["guard"],
            gate=world["gate"],
            token=passes.pass_token(world["pass"]),
            temperature="36.5",
            now=NOW,
        )
        assert checked.verdict.colour == pingshan
        # The zone map, the overview tile and the statistics say the same.
        counts = reports.zone_map(leader, zone.pk).counts
        assert (counts.in_quarantine - before.in_quarantine, counts.contacts - before.contacts) == (
            quarantined,
            contact,
        )
        tile = next(t for t in reports.overview(leader).tiles if t.id == zone.pk)
        assert (tile.in_quarantine, tile.contacts) == (counts.in_quarantine, counts.contacts)
        stats = reports.case_stats(leader, "zone", zone.pk, today=TODAY)
        assert (stats.in_quarantine, stats.contacts) == (counts.in_quarantine, counts.contacts)
        # And a count made from the facts alone.
        assert _from_facts(zone.pk) == (counts.in_quarantine, counts.contacts)
