"""Raising alerts (health.alerts.raise_alert): places copied for routing, one alert per
fact, and a fever held for review changes the person's state except at a check-in."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fangyi.health.alerts import raise_alert
from fangyi.health.choices import AlertKind, AlertSource, AlertStatus
from fangyi.health.models import Alert
from fangyi.people.choices import EpidemicState
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences, refresh_all


@pytest.fixture
def verified(tree):
    Person.objects.filter(pk__in=[p.pk for p in tree.people]).update(verified=True)
    refresh_all()
    return tree


def test_raise_copies_the_persons_places(verified):
    person = verified.people[0]
    alert = raise_alert(kind=AlertKind.FEVER, person=person, source=AlertSource.VISIT)
    assert (alert.district_id, alert.street_id, alert.community_id) == (
        person.district_id,
        person.street_id,
        person.community_id,
    )
    assert (alert.zone_id, alert.building_id) == (person.zone_id, person.building_id)
    assert alert.status == AlertStatus.OPEN


def test_a_visitors_alert_is_placed_at_the_gates_zone(verified):
    zone = verified.zones[2]
    alert = raise_alert(
        kind=AlertKind.FEVER, person=None, source=AlertSource.GATE, zone=zone,
        temperature=Decimal("38.2"),
    )  # fmt: skip
    assert (alert.zone_id, alert.community_id, alert.building_id) == (
        zone.pk,
        zone.community_id,
        None,
    )


def test_a_gate_fever_holds_the_person_for_review(verified):
    person = verified.people[0]
    raise_alert(kind=AlertKind.FEVER, person=person, source=AlertSource.GATE)
    person.refresh_from_db()
    assert person.epidemic_state == EpidemicState.REVIEW
    assert rebuild_differences() == []


def test_an_acknowledged_fever_still_holds_a_closed_one_does_not(verified):
    person = verified.people[0]
    alert = raise_alert(kind=AlertKind.SYMPTOM, person=person.pk, source=AlertSource.VISIT)
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.ACKNOWLEDGED)
    assert rebuild_differences() == []
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.CLOSED)
    assert [d[0] for d in rebuild_differences()] == [person.pk]


def test_a_checkin_fever_does_not_change_the_state(verified):
    person = verified.people[1]
    raise_alert(kind=AlertKind.FEVER, person=person, source=AlertSource.CHECKIN)
    person.refresh_from_db()
    assert person.epidemic_state == EpidemicState.CLEAR
    assert rebuild_differences() == []


def test_an_unknown_kind_is_refused(verified):
    with pytest.raises(ValueError):
        raise_alert(kind="rash", person=verified.people[0], source=AlertSource.GATE)
