"""The one alerts page (/alerts/) and GET /api/alerts: a gate fever and a quarantine
fever reach the zone's doctor on one page and not another zone's; who may acknowledge
and close, per persona; in Chinese; nothing changes for those refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.conftest import PASSWORD
from fangyi.core.policy import policy_in_force
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.duty.services import api_token_create
from fangyi.health.alerts import raise_alert
from fangyi.health.choices import AlertKind, AlertSource, AlertStatus
from fangyi.health.models import Alert
from fangyi.passes.models import GateCheck
from fangyi.people.choices import EpidemicState
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences, refresh_all
from fangyi.quarantine import services as quarantine_services
from fangyi.quarantine.choices import FacilityKind
from fangyi.quarantine.models import Facility, QuarantineCase, Stage


def _staff(django_user_model, username, role, **place):
    user = django_user_model.objects.create_user(username, password=PASSWORD)
    staff = Staff.objects.create(user=user, name=f"{username}员", role=role)
    if place:
        Assignment.objects.create(staff=staff, **place)
    return user


@pytest.fixture
def world(tree, django_user_model):
    """Zone 1's doctor, zone 3's doctor, a station and its doctor, a guard and a
    volunteer of zone 1; a quarantine fever (case at the station) and a gate fever of two
    zone-1 residents, a gate visitor's fever at zone 1's gate; a zone-3 resident's gate
    fever."""
    Person.objects.update(verified=True)
    refresh_all()
    z1, z3 = tree.zones[0], tree.zones[2]
    users = dict(tree.users)
    users["doctor"] = _staff(django_user_model, "z1doc", Role.STATION_DOCTOR, zone=z1)
    users["other_doctor"] = _staff(django_user_model, "z3doc", Role.STATION_DOCTOR, zone=z3)
    users["guard"] = _staff(django_user_model, "guard1", Role.GATE_GUARD, zone=z1)
    users["volunteer"] = _staff(django_user_model, "vol1", Role.VOLUNTEER, zone=z1)
    station = Facility.objects.create(
        district=tree.district, kind=FacilityKind.STATION, name="驿站", address="路1号",
        capacity=5, phone="0755-12345678",
    )  # fmt: skip
    users["station_doctor"] = _staff(django_user_model, "stdoc", Role.STATION_DOCTOR)
    station.staff.add(users["station_doctor"].staff)
    quarantined = tree.people[0]
    now = timezone.now()
    case = QuarantineCase.objects.create(
        person=quarantined, zone=quarantined.zone, reason="returnee", arrived_at=now,
        start_date=timezone.localdate(), policy=policy_in_force(timezone.localdate()),
        state="station", case_no="GL-1",
    )  # fmt: skip
    Stage.objects.create(case=case, kind="station", facility=station, started_at=now)
    refresh_all()
    quarantine_services.health_check_record(case=case, temperature="38.4", channel="self")
    gate = z1.gates.get()
    resident = tree.people[4]  # building 2 of zone 1

    def gate_fever(person, zone_gate, visitor=""):
        check = GateCheck.objects.create(
            gate=zone_gate, zone=zone_gate.zone, guard=users["guard"], at=now,
            method="visitor" if visitor else "scan", person=person, visitor_name=visitor,
            temperature=Decimal("38.1"), fever=True, colour="yellow", reason="fever_now",
            policy=policy_in_force(timezone.localdate()),
        )  # fmt: skip
        return raise_alert(
            kind=AlertKind.FEVER, person=person, source=AlertSource.GATE, zone=zone_gate.zone,
            gate_check=check, temperature=Decimal("38.1"),
        )  # fmt: skip

    alerts = {
        "quarantine": Alert.objects.get(case=case, kind=AlertKind.FEVER),
        "gate": gate_fever(resident, gate),
        "visitor": gate_fever(None, gate, visitor="访客甲"),
        "zone3": gate_fever(tree.people[-1], z3.gates.get()),
    }
    return tree, users, alerts, station


def _seen(user) -> set[int]:
    from fangyi.health.selectors import alerts_for

    return set(alerts_for(user).values_list("pk", flat=True))


def test_one_page_for_the_zones_doctor_not_another_zones(client, world):
    _tree, users, alerts, _station = world
    client.force_login(users["doctor"])
    page = client.get(reverse("alerts:list")).content.decode()
    for name in ("quarantine", "gate", "visitor"):
        assert f'data-testid="alert-{alerts[name].pk}"' in page, name
    assert f'data-testid="alert-{alerts["zone3"].pk}"' not in page
    # In Chinese: the kinds, the sources, the visitor's gate and time.
    assert "预警" in page and "发热" in page and "卡口检查" in page and "隔离打卡" in page
    assert "访* " in page or "访*" in page
    assert "东门" in page
    client.force_login(users["other_doctor"])
    page = client.get(reverse("alerts:list")).content.decode()
    assert f'data-testid="alert-{alerts["zone3"].pk}"' in page
    for name in ("quarantine", "gate", "visitor"):
        assert f'data-testid="alert-{alerts[name].pk}"' not in page, name


# Who sees which alert (routing), and who may act on it.
SEES = {
    "district": {"quarantine", "gate", "visitor", "zone3"},
    "street": {"quarantine", "gate", "visitor"},
    "community": {"quarantine", "gate", "visitor"},
    "zone": {"quarantine", "gate", "visitor"},
    "building": {"quarantine"},  # people[0] lives in building 1; people[4] in building 2
    "outsider": {"zone3"},
    "doctor": {"quarantine", "gate", "visitor"},
    "other_doctor": {"zone3"},
    "station_doctor": {"quarantine"},
    # A guard and a volunteer see the fevers found at their zone's gates, act on none.
    "guard": {"gate", "visitor"},
    "volunteer": {"gate", "visitor"},
}
ACTS = {name: seen for name, seen in SEES.items() if name not in ("guard", "volunteer")}


@pytest.mark.parametrize("persona", sorted(SEES))
def test_routing_and_who_may_act_per_persona(client, world, persona):
    from fangyi.health.selectors import alert_may_act

    _tree, users, alerts, _station = world
    user = users[persona]
    assert _seen(user) == {alerts[name].pk for name in SEES[persona]}
    acting = {name for name, a in alerts.items() if alert_may_act(user, a)}
    assert acting & SEES[persona] == ACTS.get(persona, set())


@pytest.mark.parametrize("persona", ["guard", "volunteer", "building"])
def test_those_who_may_not_act_change_nothing(client, world, persona):
    _tree, users, alerts, _station = world
    alert = alerts["gate"]
    client.force_login(users[persona])
    for action, data in (("acknowledge", {}), ("close", {"note": "已处理"})):
        response = client.post(reverse("alerts:action", args=[alert.pk, action]), data)
        # Not routed to the building's grid worker: 404; routed, not theirs to act: 403.
        assert response.status_code == (404 if persona == "building" else 403)
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.closed_by) == ("open", None, None)


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get(reverse("alerts:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_acknowledge_then_close_with_a_note_releases_the_hold(client, world):
    _tree, users, alerts, _station = world
    alert = alerts["gate"]
    person = Person.objects.get(pk=alert.person_id)
    assert person.epidemic_state == EpidemicState.REVIEW
    client.force_login(users["doctor"])
    url = reverse("alerts:action", args=[alert.pk, "acknowledge"])
    assert client.post(url).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, users["doctor"])
    person.refresh_from_db()
    assert person.epidemic_state == EpidemicState.REVIEW  # acknowledged still holds
    # A close without a note is refused, with the reason, and changes nothing.
    response = client.post(
        reverse("alerts:action", args=[alert.pk, "close"]), {"note": "  "}, follow=True
    )
    assert "请填写处置情况。" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    client.post(
        reverse("alerts:action", args=[alert.pk, "close"]), {"note": "已电话随访，体温正常"}
    )
    alert.refresh_from_db()
    assert (alert.status, alert.closed_by, alert.note) == (
        AlertStatus.CLOSED, users["doctor"], "已电话随访，体温正常",
    )  # fmt: skip
    person.refresh_from_db()
    assert person.epidemic_state == EpidemicState.CLEAR
    assert rebuild_differences() == []


def test_the_station_doctor_closes_a_quarantine_fever(client, world):
    _tree, users, alerts, _station = world
    alert = alerts["quarantine"]
    client.force_login(users["station_doctor"])
    client.post(reverse("alerts:action", args=[alert.pk, "close"]), {"note": "复测正常"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    # A check-in fever never changed the state: the case did.
    assert rebuild_differences() == []


def test_filters_by_kind_and_status(client, world):
    _tree, users, alerts, _station = world
    client.force_login(users["zone"])
    page = client.get(reverse("alerts:list"), {"kind": "missed_check"}).content.decode()
    assert f'data-testid="alert-{alerts["gate"].pk}"' not in page
    Alert.objects.filter(pk=alerts["gate"].pk).update(status=AlertStatus.CLOSED)
    page = client.get(reverse("alerts:list")).content.decode()
    assert f'data-testid="alert-{alerts["gate"].pk}"' not in page  # active only by default
    page = client.get(reverse("alerts:list"), {"status": "closed"}).content.decode()
    assert f'data-testid="alert-{alerts["gate"].pk}"' in page
    assert f'data-testid="alert-{alerts["visitor"].pk}"' not in page


def test_the_page_reads_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    _tree, users, _alerts, _station = world
    client.force_login(users["district"])
    with django_assert_max_num_queries(12):
        client.get(reverse("alerts:list"))


def test_the_menu_links_the_alerts_page(client, world):
    _tree, users, _alerts, _station = world
    client.force_login(users["guard"])
    page = client.get(reverse("alerts:list")).content.decode()
    assert 'data-testid="nav-alerts"' in page


def _api(client, user):
    token = api_token_create(user=user)
    return {"headers": {"Authorization": f"Bearer {token}"}}


def test_api_lists_the_routed_alerts_filtered_and_paginated(client, world):
    tree, users, alerts, _station = world
    auth = _api(client, users["doctor"])
    body = client.get("/api/alerts", {"limit": 2}, **auth).json()
    assert body["count"] == 3 and body["limit"] == 2 and len(body["items"]) == 2
    body = client.get("/api/alerts", {"source": "gate", "zone": tree.zones[0].pk}, **auth).json()
    assert {i["id"] for i in body["items"]} == {alerts["gate"].pk, alerts["visitor"].pk}
    visitor = next(i for i in body["items"] if i["id"] == alerts["visitor"].pk)
    assert (visitor["person_id"], visitor["gate"], visitor["source"]) == (None, "东门", "gate")
    assert visitor["name"].startswith("访") and "甲" not in visitor["name"]
    body = client.get("/api/alerts", {"kind": "rash"}, **auth)
    assert body.status_code in (400, 422)
    assert "rash" in body.content.decode()


def test_api_acknowledge_and_close(client, world):
    _tree, users, alerts, _station = world
    auth = _api(client, users["doctor"])
    alert = alerts["visitor"]
    answer = client.post(f"/api/alerts/{alert.pk}/acknowledge", **auth)
    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"
    answer = client.post(
        f"/api/alerts/{alert.pk}/close", data={"note": ""}, content_type="application/json",
        **auth,
    )  # fmt: skip
    assert answer.status_code in (400, 422)
    answer = client.post(
        f"/api/alerts/{alert.pk}/close", data={"note": "已送医"}, content_type="application/json",
        **auth,
    )  # fmt: skip
    assert answer.json()["status"] == "closed"
    guard = _api(client, users["guard"])
    assert client.post(f"/api/alerts/{alerts['gate'].pk}/acknowledge", **guard).status_code == 403
    other = _api(client, users["other_doctor"])
    assert client.post(f"/api/alerts/{alerts['gate'].pk}/acknowledge", **other).status_code == 404
    assert Alert.objects.get(pk=alerts["gate"].pk).status == "open"


def test_api_refuses_anonymous(client, world):
    assert client.get("/api/alerts").status_code == 401


@pytest.fixture(autouse=True)
def _day():
    # Far from the slot boundaries the check-in rule uses.
    import time_machine

    with time_machine.travel(dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC), tick=False):
        yield
