"""The self check-in page tells a resident with a fever or symptoms what happens next
(the station doctor will call; stay home) and whom to call: the phone of the facility
the case is at, else the zone's contact phone, else the nearest staff on duty with a
phone. The alert reaches the doctor's alerts page; the state follows the case only."""

from __future__ import annotations

import time_machine
from django.urls import reverse

from fangyi.duty.models import Staff
from fangyi.health.models import Alert
from fangyi.people.state import rebuild_differences
from fangyi.quarantine import services
from fangyi.quarantine.checkin import checkin_token
from fangyi.quarantine.tests.conftest import at


def _case(tree, facility=None, person=0):
    with time_machine.travel(at(2020, 2, 18, 9), tick=False):
        return services.case_intake(
            by=None, person=tree.people[person], reason="returned",
            arrived_at=at(2020, 2, 18, 9), facility=facility,
            first_state="station" if facility else "home",
        )  # fmt: skip


def _send(client, case, **data):
    with time_machine.travel(at(2020, 2, 19, 8), tick=False):
        return client.post(reverse("checkin", args=[checkin_token(case)]), data)


def test_a_fever_at_the_station_names_the_station_and_its_phone(client, tree, facilities):
    station = facilities["station"]
    station.phone = "0755-28888888"
    station.save()
    case = _case(tree, station)
    page = _send(client, case, temperature="38.2").content.decode()
    assert 'data-testid="what-next"' in page
    assert "您的体温高于正常" in page and "驿站医生已收到通知" in page and "请留在家中" in page
    assert "六和温馨驿站" in page and 'href="tel:0755-28888888"' in page
    alert = Alert.objects.get(case=case)
    assert (alert.kind, alert.source, alert.facility_id) == ("fever", "checkin", station.pk)
    assert rebuild_differences(at(2020, 2, 19, 8).date()) == []


def test_symptoms_at_home_name_the_zones_phone(client, tree, facilities):
    zone = tree.zones[0]
    zone.contact_phone = "0755-26666666"
    zone.save()
    case = _case(tree)
    page = _send(client, case, temperature="36.6", symptoms=["cough"]).content.decode()
    assert "您报告了症状" in page
    assert zone.name in page and 'href="tel:0755-26666666"' in page


def test_without_a_facility_or_zone_phone_the_grid_worker_is_named(client, tree, facilities):
    Staff.objects.filter(user=tree.users["building"]).update(phone="13800138000")
    case = _case(tree)
    page = _send(client, case, temperature="37.9").content.decode()
    assert 'href="tel:13800138000"' in page and "b_grid员" in page


def test_a_normal_check_in_says_nothing_more(client, tree, facilities):
    case = _case(tree, facilities["station"])
    page = _send(client, case, temperature="36.5").content.decode()
    assert 'data-testid="done"' in page and 'data-testid="what-next"' not in page
    assert not Alert.objects.filter(case=case).exists()
