"""The gate's and the door's findings move the person's one state (issue 14), walked as
the demo district's staff meet them, in Chinese, through the pages:

- a guard sends a red to the observation point: the quarantine case is there, with an
  event naming the gate and the guard, the duty chain is alerted, and the next scan is
  red at that point;
- a guard sends a returnee to the health station: the station doctor's worklist shows who
  is expected from which gate, with the intake opened for that person;
- a screening team finds a fever at the door: an alert to the duty chain, and the person
  is "review"; a new arrival from 湖北武汉: an alert.

After each, no stored state differs from the facts (people.state.rebuild_differences).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangyi.duty.models import Assignment
from fangyi.health.models import Alert
from fangyi.passes import services as passes
from fangyi.passes.models import GateCheck, Pass
from fangyi.people.models import Person
from fangyi.people.services import person_update
from fangyi.people.state import rebuild_differences
from fangyi.places.models import Gate
from fangyi.quarantine import services as quarantine
from fangyi.quarantine.models import QuarantineCase
from fangyi.screening.models import Team
from fangyi.tests.phone import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", scale=0.004, seed=7, no_progress=True, stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


def logged_in(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert client.login(username=username, password=DEMO_PASSWORD)
    return client


def guards_gate(guard) -> Gate:
    zones = Assignment.objects.filter(staff__user=guard).values("zone_id")
    return Gate.objects.filter(zone_id__in=zones).order_by("id").first()


def pass_showing(gate: Gate, colour: str, reason: str) -> Pass | None:
    for candidate in (
        Pass.objects.filter(person__zone_id=gate.zone_id, revoked_at__isnull=True)
        .select_related("person")
        .order_by("id")
    ):
        verdict, _policy = passes.pass_verdict(candidate)
        if (verdict.colour, verdict.reason) == (colour, reason):
            return candidate
    return None


def scan(client: Client, gate: Gate, pass_obj: Pass) -> str:
    page = client.post(
        reverse("passes:check", args=[gate.pk]),
        {"token": passes.pass_token(pass_obj), "temperature": "36.6"},
    )
    assert page.status_code == 200
    return page.content.decode()


def test_a_red_sent_to_the_observation_point_from_the_gate(demo):
    guard, secretary = demo["guard"], demo["secretary"]
    gate = guards_gate(guard)
    green = pass_showing(gate, "green", "clear")
    assert green is not None
    person = green.person
    quarantine.case_intake(
        by=secretary,
        person=person,
        reason="close_contact",
        arrived_at=timezone.now() - dt.timedelta(days=1),
        first_state="home",
    )
    client = logged_in("guard")
    html = scan(client, gate, green)
    verdict, _policy = passes.pass_verdict(green)
    point = verdict.observation_name
    assert verdict.colour == "red" and point and point in html
    assert "转送指定观察点" in html  # the decision's button, in Chinese
    check = GateCheck.objects.latest("id")
    done = client.post(reverse("passes:decide", args=[check.pk]), {"decision": "observation"})
    assert done.status_code == 302

    case = QuarantineCase.objects.get(person=person, state="observation")
    assert case.stages.get(ended_at__isnull=True).facility.name == point
    event = case.events.latest("id")
    assert event.action == "send_to_observation" and event.by == guard
    assert gate.name in event.note and point in event.note
    alert = Alert.objects.get(kind="gate_observation", person=person)
    assert alert.gate_check_id == check.pk and alert.building_id == person.building_id
    # The next request: red, at that point; the person's state everywhere is observation.
    again = scan(client, gate, green)
    assert point in again and "红" in again
    person.refresh_from_db()
    assert person.epidemic_state == "observation"
    assert rebuild_differences() == []


def test_a_returnee_sent_from_the_gate_to_the_station_doctor(demo):
    guard, secretary, doctor = demo["guard"], demo["secretary"], demo["doctor"]
    gate = guards_gate(guard)
    chosen = pass_showing(gate, "yellow", "station_unfinished")
    if chosen is None:
        chosen = pass_showing(gate, "green", "clear")
        assert chosen is not None
        person_update(
            user=secretary,
            person=chosen.person,
            values={
                "travel_status": "returned",
                "return_date": timezone.localdate() - dt.timedelta(days=1),
                "origin": "湖北武汉",
            },
        )
    person = chosen.person
    client = logged_in("guard")
    html = scan(client, gate, chosen)
    assert 'data-testid="decide-station"' in html and "转送温馨驿站" in html
    check = GateCheck.objects.latest("id")
    client.post(reverse("passes:decide", args=[check.pk]), {"decision": "station"})
    alert = Alert.objects.get(kind="station_referral", person=person)
    assert alert.facility is not None and doctor.staff in alert.facility.staff.all()

    # The station doctor's worklist: expected from the gate, with the intake for them.
    station_doctor = logged_in("doctor")
    worklist = station_doctor.get(reverse("quarantine:worklists"))
    assert worklist.status_code == 200
    expected = _section(worklist.content.decode(), 'data-testid="expected"')
    assert person.name in expected and f"从卡口 {gate.name} 转来" in expected
    intake = f"{reverse('quarantine:intake')}?person={person.pk}"
    assert intake in expected and "接收入站" in expected
    form = station_doctor.get(intake)
    assert form.status_code == 200 and person.name in form.content.decode()  # prefilled
    # Taken in at the station: no longer expected.
    quarantine.case_intake(
        by=doctor,
        person=person,
        reason="returned",
        arrived_at=timezone.now(),
        first_state="station",
        facility=alert.facility,
        origin="湖北武汉",
    )
    later = station_doctor.get(reverse("quarantine:worklists")).content.decode()
    assert 'data-testid="expected"' not in later
    # The referral is answered: closed with the case it became, off the alerts page.
    alert.refresh_from_db()
    case_no = person.quarantine_cases.get().case_no
    assert (alert.status, alert.note) == ("closed", f"已接收入站：案例 {case_no}。")
    assert person.name not in station_doctor.get(reverse("alerts:list")).content.decode()
    person.refresh_from_db()
    assert person.epidemic_state == "station"
    assert rebuild_differences() == []


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def _grid_team_dwelling(grid) -> tuple[Team, Person]:
    team = (
        Team.objects.filter(memberships__staff__user=grid, memberships__leader=True)
        .order_by("id")
        .first()
    )
    assert team is not None
    buildings = [area.building_id for area in team.areas.all()]
    person = (
        Person.objects.filter(building_id__in=buildings, epidemic_state="clear")
        .order_by("id")
        .first()
    )
    assert person is not None
    return team, person


def _visit(client: Client, team: Team, person: Person, **fields) -> None:
    data = {"key": str(uuid.uuid4()), "outcome": "answered"}
    for other in Person.objects.filter(dwelling_id=person.dwelling_id):
        data[f"p{other.pk}-present"] = "on"
        data[f"p{other.pk}-temperature"] = "36.5"
    data.update({f"p{person.pk}-{name}": value for name, value in fields.items()})
    url = reverse("screening:visit", args=[team.pk, person.dwelling_id])
    answer = client.post(url, data)
    assert answer.status_code in (200, 302), answer.content.decode()[:500]


def test_a_fever_at_the_door_holds_the_person_for_review(demo):
    team, person = _grid_team_dwelling(demo["grid"])
    _visit(logged_in("grid"), team, person, temperature="38,1")
    alert = Alert.objects.get(kind="fever", person=person)
    assert (alert.source, alert.building_id) == ("visit", person.building_id)
    assert alert.detail == "38.1 °C"
    person.refresh_from_db()
    assert person.epidemic_state == "review"
    # On the duty chain's alert list, and on the station doctor's worklist.
    for username in ("grid", "secretary", "doctor", "leader"):
        page = logged_in(username).get(reverse("alerts:list")).content.decode()
        assert f'data-testid="alert-{alert.pk}"' in page, username
    worklist = logged_in("doctor").get(reverse("quarantine:worklists")).content.decode()
    door = _section(worklist, 'data-testid="door-alerts"')
    assert person.name in door and "38.1 °C" in door and "发热" in door
    # Not on the list of a guard of the zone or of a grid worker elsewhere.
    for outsider in _outsiders(person):
        page = logged_in(outsider).get(reverse("alerts:list")).content.decode()
        assert f'data-testid="alert-{alert.pk}"' not in page, outsider
    assert rebuild_differences() == []


def _outsiders(person: Person) -> list[str]:
    """The demo logins who must not see an alert about this person: the guard and the
    volunteer (they keep no files), and a grid worker of another building if any."""
    names = ["guard", "volunteer"]
    other = (
        Assignment.objects.filter(staff__user__isnull=False, building__isnull=False)
        .exclude(building_id=person.building_id)
        .exclude(staff__user__username__in=["grid"])
        .values_list("staff__user__username", flat=True)
        .first()
    )
    return names + ([other] if other else [])


def test_a_new_arrival_from_wuhan_found_at_the_door(demo):
    team, person = _grid_team_dwelling(demo["grid"])
    came = timezone.localdate() - dt.timedelta(days=2)
    _visit(logged_in("grid"), team, person, came_from="湖北武汉", came_on=came.isoformat())
    alert = Alert.objects.get(kind="high_risk_arrival", person=person)
    assert alert.source == "visit" and alert.detail.startswith("湖北武汉")
    person.refresh_from_db()
    assert person.travel_status == "returned"
    assert rebuild_differences() == []
