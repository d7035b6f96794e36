"""Who may act on quarantine (issue 12, hole 4): the staff who keep the person's file
and the staff on duty where the person is; never a gate guard or a volunteer, not even
for the person a volunteer serves (it may read that case, not change it). Every
service refuses with the reason before anything is saved; pages and the API only call.

And the self check-in link (issue 12, logins): reissued from the case page, the old
link then refused as replaced; check-ins rate limited per link and per address."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from fangyi.conftest import PASSWORD, _user, make_id_number
from fangyi.duty.choices import Role
from fangyi.duty.scope import ERR_PLACES_ONLY
from fangyi.duty.services import api_token_create
from fangyi.health.models import Alert
from fangyi.people.models import Person
from fangyi.quarantine import checkin, services
from fangyi.quarantine.choices import AlertKind, CaseState
from fangyi.quarantine.models import CaseEvent, HealthCheck, NucleicTest, QuarantineCase
from fangyi.quarantine.tests.conftest import at
from fangyi.support.choices import Channel, RequestKind
from fangyi.support.models import ServiceRequest

PLACES_ONLY = ("guard", "volunteer")
NOW = at(2020, 2, 20, 10)


@pytest.fixture
def staff(tree):
    """The guard and a volunteer of zone 1; the volunteer serves resident 1, so it may
    read resident 1's file and case."""
    zone = tree.zones[0]
    users = {
        "guard": _user("guard", Role.GATE_GUARD, zone=zone),
        "volunteer": _user("volunteer", Role.VOLUNTEER, zone=zone),
    }
    served = tree.people[0]
    ServiceRequest.objects.create(
        person=served,
        kind=RequestKind.MEDICINE,
        channel=Channel.STAFF,
        created_at=timezone.now(),
        assigned_to=users["volunteer"].staff,
        district_id=served.district_id,
        street_id=served.street_id,
        community_id=served.community_id,
        zone_id=served.zone_id,
        building_id=served.building_id,
    )
    return users


@pytest.fixture
def case(tree, facilities):
    """Resident 1 at the station since 18 February, with a pending test and a fever."""
    with time_machine.travel(at(2020, 2, 18, 9), tick=False):
        case = services.case_intake(
            by=None,
            person=tree.people[0],
            reason="returned",
            arrived_at=at(2020, 2, 18, 9),
            facility=facilities["station"],
        )
        services.test_record(by=None, case=case, sampled_on=dt.date(2020, 2, 18))
        services.health_check_record(case=case, temperature="38.0")
    return case


def _actions(case, facilities, user):
    """Every write on a case, as (name, call)."""
    test = NucleicTest.objects.get(case=case)
    alert = Alert.objects.get(case=case, kind=AlertKind.FEVER)
    return [
        ("move_home", lambda: services.case_move_home(by=user, case=case, now=NOW)),
        (
            "observation",
            lambda: services.case_send_to_observation(
                by=user, case=case, facility=facilities["observation"], note="密接", now=NOW
            ),
        ),
        (
            "hospital",
            lambda: services.case_transfer_to_hospital(
                by=user, case=case, facility=facilities["hospital"], note="发热", now=NOW
            ),
        ),
        (
            "release",
            lambda: services.case_release(by=user, case=case, kind="early", note="x", now=NOW),
        ),
        ("transfer", lambda: services.case_transfer_out(by=user, case=case, note="x", now=NOW)),
        ("extend", lambda: services.case_extend(by=user, case=case, days=3, note="x")),
        (
            "policy",
            lambda: services.case_reapply_policy(by=user, case=case, policy=case.policy, note="x"),
        ),
        (
            "test",
            lambda: services.test_record(by=user, case=case, sampled_on=dt.date(2020, 2, 19)),
        ),
        ("result", lambda: services.test_set_result(by=user, test=test, result="positive")),
        (
            "check",
            lambda: services.health_check_record(by=user, case=case, temperature="36.5", now=NOW),
        ),
        ("acknowledge", lambda: services.alert_acknowledge(by=user, alert=alert)),
        ("close", lambda: services.alert_close(by=user, alert=alert, note="x")),
        ("reissue", lambda: services.checkin_link_reissue(by=user, case=case)),
    ]


def _snapshot(case):
    case.refresh_from_db()
    return (
        case.state,
        case.extension_days,
        case.checkin_key,
        CaseEvent.objects.filter(case=case).count(),
        HealthCheck.objects.filter(case=case).count(),
        list(NucleicTest.objects.filter(case=case).values_list("result", flat=True)),
        list(Alert.objects.filter(case=case).values_list("status", flat=True)),
    )


@pytest.mark.parametrize("persona", [*PLACES_ONLY, "outsider", "other_grid"])
def test_every_case_write_is_refused_and_changes_nothing(tree, staff, case, facilities, persona):
    user = {
        **staff,
        "outsider": tree.users["outsider"],
        # The grid worker of the other building of the zone: not resident 1's files.
        "other_grid": _user("grid2", Role.GRID_WORKER, building=tree.buildings[1]),
    }[persona]
    before = _snapshot(case)
    with time_machine.travel(NOW, tick=False):
        for name, call in _actions(case, facilities, user):
            with pytest.raises(PermissionDenied) as caught:
                call()
            if persona in PLACES_ONLY:
                assert str(caught.value) == str(ERR_PLACES_ONLY), name
            else:
                assert str(caught.value) == str(services.ERR_NOT_YOUR_CASE), name
    assert _snapshot(case) == before


@pytest.mark.parametrize("who", ["building", "doctor"])
def test_the_files_keeper_and_the_doctor_on_duty_may_act(tree, case, facilities, doctor, who):
    user = doctor if who == "doctor" else tree.users["building"]
    with time_machine.travel(NOW, tick=False):
        services.health_check_record(by=user, case=case, temperature="36.5", now=NOW)
        services.checkin_link_reissue(by=user, case=case)
        services.case_extend(by=user, case=case, days=2, note="复查")
    assert HealthCheck.objects.filter(case=case).count() == 2


@pytest.mark.parametrize("persona", PLACES_ONLY)
def test_intake_is_refused_page_api_and_service(client, tree, staff, facilities, persona):
    user = staff[persona]
    before = (QuarantineCase.objects.count(), Person.objects.count())
    client.force_login(user)
    assert client.get(reverse("quarantine:intake")).status_code == 403
    response = client.post(
        reverse("quarantine:intake"),
        {
            "doc_type": "id_card",
            "doc_number": make_id_number(700),
            "name": "新来者",
            "reason": "returned",
            "first_state": "home",
            "arrived_at": "2020-02-20T09:00",
        },
    )
    assert response.status_code == 403
    token = api_token_create(user=user)
    response = client.post(
        "/api/quarantine/cases",
        {
            "person_id": tree.people[0].pk,
            "reason": "returned",
            "arrived_at": "2020-02-20T09:00:00+08:00",
            "first_state": "home",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    # The guard cannot see the file (404); the volunteer may read it, not open a case.
    assert response.status_code == (403 if persona == "volunteer" else 404)
    with pytest.raises(PermissionDenied):
        services.case_intake(
            by=user,
            person=tree.people[0],
            reason="returned",
            arrived_at=at(2020, 2, 20, 9),
            first_state=CaseState.HOME,
        )
    assert (QuarantineCase.objects.count(), Person.objects.count()) == before


def test_the_volunteer_reads_the_case_it_may_not_change(client, staff, case):
    client.force_login(staff["volunteer"])
    page = client.get(reverse("quarantine:case", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for testid in ("do-test", "do-check", "do-release", "checkin-url", "checkin-reissue"):
        assert f'data-testid="{testid}"' not in html, testid
    assert 'data-testid="intake-link"' not in html
    before = _snapshot(case)
    for action, data in (("check", {"temperature": "36.5"}), ("extend", {"days": 2, "note": "x"})):
        response = client.post(reverse("quarantine:action", args=[case.pk, action]), data)
        assert response.status_code == 403, action
    response = client.post(reverse("quarantine:checkin_reissue", args=[case.pk]))
    assert response.status_code == 403
    token = api_token_create(user=staff["volunteer"])
    response = client.post(
        f"/api/quarantine/cases/{case.pk}/checks",
        {"temperature": "36.5", "symptoms": []},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert _snapshot(case) == before


def test_the_doctor_sees_the_actions_and_the_intake_link(client, case, doctor):
    client.force_login(doctor)
    html = client.get(reverse("quarantine:case", args=[case.pk])).content.decode()
    for testid in ("do-check", "checkin-url", "checkin-reissue", "intake-link"):
        assert f'data-testid="{testid}"' in html, testid


# --- the self check-in link ---------------------------------------------------------------


def test_reissue_from_the_case_page_refuses_the_old_link(client, tree, case):
    old = checkin.checkin_token(case)
    client.login(username="b_grid", password=PASSWORD)
    response = client.post(reverse("quarantine:checkin_reissue", args=[case.pk]))
    assert response.status_code == 302
    case.refresh_from_db()
    new = checkin.checkin_token(case)
    assert new != old
    refused = client.get(reverse("checkin", args=[old]))
    assert refused.status_code == 404
    assert str(checkin.ERR_REPLACED) in refused.content.decode()
    assert client.get(reverse("checkin", args=[new])).status_code == 200
    page = client.get(reverse("quarantine:case", args=[case.pk])).content.decode()
    assert new in page and old not in page
    event = CaseEvent.objects.get(case=case, action="checkin_reissued")
    assert event.by.username == "b_grid"


def test_a_closed_case_gets_no_new_link(tree, case):
    with time_machine.travel(NOW, tick=False):
        services.case_release(by=None, case=case, kind="early", note="误报", now=NOW)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.checkin_link_reissue(by=tree.users["building"], case=case)


def test_check_in_posts_are_rate_limited_per_link(client, case):
    url = reverse("checkin", args=[checkin.checkin_token(case)])
    with time_machine.travel(NOW, tick=False):
        for _ in range(checkin.PER_LINK_LIMIT):
            assert client.post(url, {"temperature": "36.5"}).status_code == 200
        checks = HealthCheck.objects.filter(case=case).count()
        response = client.post(url, {"temperature": "36.5"})
    assert response.status_code == 429
    assert str(checkin.ERR_CHECKIN_RATE_LIMITED) in response.content.decode()
    assert HealthCheck.objects.filter(case=case).count() == checks
    # Reading the page is not counted.
    assert client.get(url).status_code == 200


def test_check_in_posts_are_rate_limited_per_address(client, tree, facilities, monkeypatch):
    monkeypatch.setattr(checkin, "PER_ADDRESS_LIMIT", 3)
    urls = []
    with time_machine.travel(at(2020, 2, 18, 9), tick=False):
        for person in tree.people[1:5]:
            case = services.case_intake(
                by=None,
                person=person,
                reason="returned",
                arrived_at=at(2020, 2, 18, 9),
                first_state=CaseState.HOME,
            )
            urls.append(reverse("checkin", args=[checkin.checkin_token(case)]))
    with time_machine.travel(NOW, tick=False):
        codes = [client.post(url, {"temperature": "36.5"}).status_code for url in urls]
    assert codes == [200, 200, 200, 429]
