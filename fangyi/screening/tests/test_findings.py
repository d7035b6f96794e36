"""What a team finds at the door reaches those who act on it (issue 14): a fever, symptoms
or a new arrival from a place the policy lists as high-risk raises an alert to the duty
chain of the person's building and to their community's health station, in the visit's
transaction; a fever or symptoms makes the person "review" (held for review)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from fangyi.conftest import make_id_number
from fangyi.core.policy import PolicyValues
from fangyi.health.models import Alert
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences
from fangyi.people.state import refresh as refresh_state
from fangyi.quarantine.choices import FacilityKind
from fangyi.quarantine.models import Facility
from fangyi.screening import services
from fangyi.screening.choices import Outcome
from fangyi.screening.findings import Finding, visit_alerts

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2020, 2, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
PINGSHAN = PolicyValues()


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def station(tree):
    return Facility.objects.create(
        district=tree.district, community=tree.communities[0], kind=FacilityKind.STATION,
        name="六和温馨驿站", address="六和路1号", capacity=10,
    )  # fmt: skip


@pytest.fixture
def household(tree):
    dwelling = tree.dwellings[0]
    people = list(Person.objects.filter(dwelling=dwelling).order_by("id"))
    Person.objects.filter(pk__in=[p.pk for p in people]).update(verified=True)
    refresh_state([p.pk for p in people])
    for person in people:
        person.refresh_from_db()
        assert person.epidemic_state == "clear"
    return dwelling, people


def visit(tree, team, dwelling, **kwargs):
    return services.visit_record(
        user=tree.users["building"], team=team, dwelling=dwelling, key=uuid.uuid4(),
        outcome=Outcome.ANSWERED, **kwargs,
    )[0]  # fmt: skip


def test_a_fever_at_the_door_raises_an_alert_and_holds_the_person_for_review(
    tree, team, household, station
):
    dwelling, (a, b) = household
    done = visit(
        tree, team, dwelling,
        people=[{"person": a, "temperature": "37,8"}, {"person": b, "temperature": "36.5"}],
    )  # fmt: skip
    alert = Alert.objects.get()
    assert (alert.kind, alert.source, alert.person_id, alert.visit_id) == (
        "fever",
        "visit",
        a.pk,
        done.pk,
    )
    assert alert.temperature == Decimal("37.8") and alert.detail == "37.8 °C"
    # Routed to the duty chain of a's building and to the community's station.
    assert (alert.building_id, alert.zone_id, alert.facility_id) == (
        a.building_id,
        a.zone_id,
        station.pk,
    )
    assert alert.raised_by_id == tree.users["building"].pk
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.epidemic_state, b.epidemic_state) == ("review", "clear")
    assert a.health_status == "symptoms"
    assert rebuild_differences() == []


def test_symptoms_at_the_door_raise_a_symptom_alert(tree, team, household, station):
    dwelling, (a, _b) = household
    visit(tree, team, dwelling, people=[{"person": a, "temperature": "36.6", "symptoms": True}])
    alert = Alert.objects.get()
    assert (alert.kind, alert.person_id) == ("symptom", a.pk)
    a.refresh_from_db()
    assert a.epidemic_state == "review"
    assert rebuild_differences() == []


def test_nobody_absent_is_reported_and_a_normal_visit_raises_nothing(
    tree, team, household, station
):
    dwelling, (a, b) = household
    visit(
        tree, team, dwelling,
        people=[{"person": a, "temperature": "36.4"}, {"person": b, "present": False,
                                                        "symptoms": True}],
    )  # fmt: skip
    assert not Alert.objects.exists()


def test_a_new_arrival_from_wuhan_is_reported_once(tree, team, household, station):
    dwelling, (a, _b) = household
    came = TODAY - dt.timedelta(days=2)
    entry = {"person": a, "temperature": "36.5", "came_from": "湖北武汉", "came_on": came}
    visit(tree, team, dwelling, people=[entry])
    alert = Alert.objects.get()
    assert (alert.kind, alert.source, alert.person_id, alert.facility_id) == (
        "high_risk_arrival",
        "visit",
        a.pk,
        station.pk,
    )
    assert alert.detail == f"湖北武汉 {came.isoformat()}"
    a.refresh_from_db()
    assert (a.travel_status, a.epidemic_state) == ("returned", "returnee")
    # The next visit finds the same arrival: not reported again while the alert is open.
    visit(tree, team, dwelling, people=[entry])
    assert Alert.objects.count() == 1
    assert rebuild_differences() == []


def test_arrivals_from_elsewhere_or_long_ago_are_not_reported(tree, team, household, station):
    dwelling, (a, b) = household
    visit(
        tree, team, dwelling,
        people=[
            {"person": a, "came_from": "广东广州", "came_on": TODAY - dt.timedelta(days=1)},
            # Day 15 from the arrival: past the policy's 14 days.
            {"person": b, "came_from": "湖北武汉", "came_on": TODAY - dt.timedelta(days=14)},
        ],
    )  # fmt: skip
    assert not Alert.objects.exists()


def test_a_newcomer_registered_at_the_door_with_a_fever_from_hubei_gets_both_alerts(
    tree, team, household, station
):
    dwelling, _people = household
    visit(
        tree, team, dwelling,
        new_people=[{"name": "新来者", "doc_number": make_id_number(950), "temperature": "38.0",
                     "came_from": "湖北 孝感"}],
    )  # fmt: skip
    newcomer = Person.objects.get(name="新来者")
    assert sorted(Alert.objects.filter(person=newcomer).values_list("kind", flat=True)) == [
        "fever",
        "high_risk_arrival",
    ]
    assert newcomer.epidemic_state == "review"
    assert rebuild_differences() == []


def test_a_refused_visit_raises_nothing(tree, team, household, station):
    dwelling, (a, b) = household
    with pytest.raises(ValidationError):
        visit(
            tree, team, dwelling,
            people=[{"person": a, "temperature": "38.5"}, {"person": b, "temperature": "99"}],
        )  # fmt: skip
    assert not Alert.objects.exists()
    a.refresh_from_db()
    assert a.epidemic_state == "clear"


def test_a_visit_that_found_nothing_costs_no_query(tree, household, django_assert_num_queries):
    _dwelling, (a, b) = household
    normal = [
        Finding(a, True, Decimal("36.6"), False, "广东广州", TODAY),
        Finding(b, False, None, False, "", None),
    ]
    with django_assert_num_queries(0):
        assert (
            visit_alerts(user=None, visit=None, findings=normal, values=PINGSHAN, today=TODAY) == []
        )
