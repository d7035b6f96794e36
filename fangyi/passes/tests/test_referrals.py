"""What a guard's decision sets moving (issue 14): "send to the observation point" moves
the person's quarantine case to the point the check named (or opens one there), with an
event naming the gate and the guard and an alert to the duty chain; "send to the health
station" tells the station's doctor to expect a returnee. All in the decision's
transaction, whether decided with the check or after it; the person's one state follows
and nothing else disagrees (people.state.rebuild_differences)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.duty.services import api_token_create
from fangyi.health.models import Alert, Exposure
from fangyi.passes import services
from fangyi.passes.models import GateCheck
from fangyi.passes.tests.conftest import NOW
from fangyi.passes.tests.wsgi import served
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences
from fangyi.people.state import refresh as refresh_state
from fangyi.quarantine import services as quarantine
from fangyi.quarantine.choices import FacilityKind
from fangyi.quarantine.models import CaseEvent, Facility, QuarantineCase
from fangyi.wsgi import application

pytestmark = pytest.mark.django_db
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def holder(tree):
    person = tree.people[0]
    Person.objects.filter(pk=person.pk).update(verified=True)
    person.refresh_from_db()
    return person


@pytest.fixture
def red_at_home(holder):
    """A verified resident under home quarantine (red under Pingshan's policy)."""
    case = quarantine.case_intake(
        by=None,
        person=holder,
        reason="close_contact",
        arrived_at=NOW - dt.timedelta(days=2),
        first_state="home",
    )
    refresh_state([holder.pk])
    return case


def check(guard, gate, person, temperature="36.6", decision=""):
    issued = services.pass_issue(by=None, person=person)
    return services.gate_check_record(
        by=guard,
        gate=gate,
        temperature=temperature,
        token=services.pass_token(issued),
        decision=decision,
    )


def test_a_red_sent_to_the_observation_point_moves_there_with_the_gate_and_guard(
    tree, guard, gate, holder, red_at_home, observation, station
):
    first = check(guard, gate, holder)
    assert first.verdict.colour == "red"
    assert first.verdict.observation_name == observation.name  # the point the check named

    services.gate_check_decide(by=guard, check=first.check, decision="observation")

    case = QuarantineCase.objects.get(pk=red_at_home.pk)
    assert case.state == "observation"
    stage = case.stages.get(ended_at__isnull=True)
    assert (stage.kind, stage.facility_id, stage.decided_by_id) == (
        "observation",
        observation.pk,
        guard.pk,
    )
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.action == "send_to_observation"
    assert event.by_id == guard.pk
    assert "东门" in event.note and observation.name in event.note
    alert = Alert.objects.get(kind="gate_observation")
    assert (alert.source, alert.person_id, alert.case_id, alert.gate_check_id) == (
        "gate",
        holder.pk,
        case.pk,
        first.check.pk,
    )
    # Routed to the duty chain of the person's building and to the point.
    assert (alert.building_id, alert.zone_id, alert.facility_id) == (
        holder.building_id,
        holder.zone_id,
        observation.pk,
    )
    assert alert.raised_by_id == guard.pk
    assert "东门" in alert.detail and observation.name in alert.detail
    holder.refresh_from_db()
    assert holder.epidemic_state == "observation"
    # The next check: red, at that point.
    again = check(guard, gate, holder)
    assert (again.verdict.colour, again.verdict.observation_name) == ("red", observation.name)
    assert rebuild_differences() == []


def test_decided_with_the_check_the_case_moves_in_the_same_request(
    tree, guard, gate, holder, red_at_home, observation
):
    result = check(guard, gate, holder, decision="observation")
    assert result.check.decision == "observation"
    assert QuarantineCase.objects.get(pk=red_at_home.pk).state == "observation"
    assert Alert.objects.filter(kind="gate_observation", gate_check=result.check).count() == 1
    assert rebuild_differences() == []


def test_a_red_without_a_case_gets_one_opened_at_the_point(tree, guard, gate, holder, observation):
    # A close contact of a case, under observation at no place yet: red.
    Exposure.objects.create(
        index_person=tree.people[1],
        contact=holder,
        kind="household",
        first_exposure_on=TODAY - dt.timedelta(days=3),
        last_exposure_on=TODAY - dt.timedelta(days=1),
    )
    refresh_state([holder.pk])
    first = check(guard, gate, holder)
    assert first.verdict.colour == "red"
    services.gate_check_decide(by=guard, check=first.check, decision="observation")
    case = QuarantineCase.objects.get(person=holder)
    assert (case.state, case.reason, case.created_by_id) == (
        "observation",
        "close_contact",
        guard.pk,
    )
    assert case.stages.get().facility_id == observation.pk
    event = case.events.get(action="intake")
    assert event.by_id == guard.pk
    assert "东门" in event.note
    holder.refresh_from_db()
    assert holder.epidemic_state == "observation"
    assert rebuild_differences() == []


def test_a_fever_red_is_opened_for_fever_at_the_next_point_with_room(
    tree, guard, gate, holder, red_at_home
):
    full = Facility.objects.create(
        district=tree.district, kind=FacilityKind.OBSERVATION, name="A 观察点",
        address="甲路", capacity=0,
    )  # fmt: skip
    roomy = Facility.objects.create(
        district=tree.district, kind=FacilityKind.OBSERVATION, name="B 观察点",
        address="乙路", capacity=5,
    )  # fmt: skip
    result = check(guard, gate, holder, temperature="38.2")
    assert (result.verdict.colour, result.verdict.observation_name) == ("red", full.name)
    services.gate_check_decide(by=guard, check=result.check, decision="observation")
    case = QuarantineCase.objects.get(pk=red_at_home.pk)
    assert case.stages.get(ended_at__isnull=True).facility_id == roomy.pk
    assert Alert.objects.get(kind="gate_observation").facility_id == roomy.pk


def test_with_every_point_full_the_decision_stands_and_the_alert_says_so(
    tree, guard, gate, holder, red_at_home
):
    Facility.objects.create(
        district=tree.district, kind=FacilityKind.OBSERVATION, name="满员观察点",
        address="丙路", capacity=0,
    )  # fmt: skip
    result = check(guard, gate, holder)
    services.gate_check_decide(by=guard, check=result.check, decision="observation")
    assert GateCheck.objects.get(pk=result.check.pk).decision == "observation"
    assert QuarantineCase.objects.get(pk=red_at_home.pk).state == "home"  # nowhere to go
    alert = Alert.objects.get(kind="gate_observation")
    assert alert.facility_id is None and "满员" in alert.detail  # no point has room
    assert rebuild_differences() == []


def test_a_case_already_at_an_observation_point_stays_there(tree, guard, gate, holder, observation):
    other = Facility.objects.create(
        district=tree.district, community=tree.communities[0],
        kind=FacilityKind.OBSERVATION, name="六和观察点", address="丁路", capacity=5,
    )  # fmt: skip
    case = quarantine.case_intake(
        by=None, person=holder, reason="other", arrived_at=NOW - dt.timedelta(days=1),
        first_state="observation", facility=observation,
    )  # fmt: skip
    refresh_state([holder.pk])
    result = check(guard, gate, holder)
    assert result.verdict.observation_name == observation.name  # where the case is
    services.gate_check_decide(by=guard, check=result.check, decision="observation")
    case.refresh_from_db()
    assert case.stages.get().facility_id == observation.pk
    assert not case.events.filter(action="send_to_observation").exists()  # stayed
    assert Alert.objects.get(kind="gate_observation").facility_id == observation.pk
    assert other.pk != observation.pk


@pytest.fixture
def returnee(holder):
    Person.objects.filter(pk=holder.pk).update(
        travel_status="returned", return_date=TODAY - dt.timedelta(days=1), origin="湖北武汉"
    )
    refresh_state([holder.pk])
    holder.refresh_from_db()
    assert holder.epidemic_state == "returnee"
    return holder


def test_a_returnee_stopped_at_the_gate_is_sent_to_the_station(
    tree, guard, gate, returnee, station, observation
):
    result = check(guard, gate, returnee)
    assert (result.verdict.colour, result.verdict.reason) == ("yellow", "station_unfinished")
    services.gate_check_decide(by=guard, check=result.check, decision="station")
    alert = Alert.objects.get(kind="station_referral")
    assert (alert.source, alert.person_id, alert.facility_id, alert.gate_check_id) == (
        "gate",
        returnee.pk,
        station.pk,
        result.check.pk,
    )
    assert "东门" in alert.detail and station.name in alert.detail
    # Nothing moved yet: the station's doctor takes them in (the intake).
    assert not QuarantineCase.objects.filter(person=returnee).exists()
    assert rebuild_differences() == []


def test_only_a_returnee_can_be_sent_to_the_station(tree, guard, gate, holder, station):
    Person.objects.filter(pk=holder.pk).update(verified=False)
    refresh_state([holder.pk])
    result = check(guard, gate, holder)
    assert (result.verdict.colour, result.verdict.reason) == ("yellow", "unverified")
    with pytest.raises(ValidationError) as refused:
        services.gate_check_decide(by=guard, check=result.check, decision="station")
    assert "decision" in refused.value.message_dict
    assert not Alert.objects.exists()


def test_another_guard_cannot_send_someone_elses_check(
    tree, guard, other_guard, gate, holder, red_at_home, observation
):
    result = check(guard, gate, holder)
    with pytest.raises(PermissionDenied):
        services.gate_check_decide(by=other_guard, check=result.check, decision="observation")
    assert QuarantineCase.objects.get(pk=red_at_home.pk).state == "home"
    assert not Alert.objects.exists()


def test_the_guard_page_offers_the_station_to_a_returnee_in_chinese(
    client, tree, guard, gate, returnee, station
):
    issued = services.pass_issue(by=None, person=returnee)
    client.login(username="guard1", password=PASSWORD)
    page = client.post(
        reverse("passes:check", args=[gate.pk]),
        {"token": services.pass_token(issued), "temperature": "36.5"},
    )
    html = page.content.decode()
    assert 'data-testid="decide-station"' in html and "转送温馨驿站" in html
    check_id = GateCheck.objects.latest("id").pk
    done = client.post(reverse("passes:decide", args=[check_id]), {"decision": "station"})
    assert done.status_code == 302
    assert Alert.objects.filter(kind="station_referral", person=returnee).count() == 1


def test_a_device_sending_a_red_moves_the_case_through_the_fast_path(
    tree, guard, gate, holder, red_at_home, observation
):
    issued = services.pass_issue(by=None, person=holder)
    payload = {
        "gate_id": gate.pk,
        "token": services.pass_token(issued),
        "temperature": "36.6",
        "decision": "observation",
    }
    bearer = {"Authorization": f"Bearer {api_token_create(user=guard)}"}
    answer = served(application, "post", "/api/scans", payload, bearer)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["colour"], body["decision"], body["observation_point"]) == (
        "red",
        "observation",
        observation.name,
    )
    assert QuarantineCase.objects.get(pk=red_at_home.pk).state == "observation"
    alert = Alert.objects.get(kind="gate_observation")
    assert alert.gate_check_id == body["check_id"]
    assert rebuild_differences() == []
