"""Door deliveries follow where the person is: at home → to the door; at a station, an
observation point or in hospital → nobody is home, so no volunteer is sent. The volunteer
sees the phone of the person served masked and reveals it (logged) to call before coming."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError

from fangyi.audit.models import AccessLog
from fangyi.conftest import PASSWORD
from fangyi.quarantine import services as quarantine_services
from fangyi.quarantine.choices import FacilityKind
from fangyi.quarantine.models import Facility
from fangyi.support import selectors, services
from fangyi.support.tests.conftest import DAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def observation(tree):
    return Facility.objects.create(
        district=tree.district, kind=FacilityKind.OBSERVATION, name="坪山指定观察点",
        address="坪山大道88号", capacity=10,
    )  # fmt: skip


def _home_quarantine(person):
    with time_machine.travel(at(2020, 2, 9, 9), tick=False):
        return quarantine_services.case_intake(
            by=None, person=person, reason="returned", arrived_at=at(2020, 2, 9, 9),
            first_state="home",
        )  # fmt: skip


def test_a_person_moved_to_an_observation_point_gets_no_door_delivery(
    tree, catalogue, place_order, volunteer, observation
):
    items = catalogue(DAY)
    person = tree.people[0]
    order = place_order(person, {items["veg"]: 1})
    case = _home_quarantine(person)
    (at_home,) = selectors.round_orders(tree.users["zone"], tree.zones[0], DAY)
    assert at_home.to_door and not at_home.away_at
    services.order_assign(by=None, order=order, deliverer=volunteer.staff)

    with time_machine.travel(at(2020, 2, 10, 18), tick=False):
        quarantine_services.case_send_to_observation(
            by=None, case=case, facility=observation, note="核酸阳性"
        )
    (moved,) = selectors.round_orders(tree.users["zone"], tree.zones[0], DAY)
    assert not moved.to_door
    assert moved.away_at == "坪山指定观察点"
    # Nobody may be sent to an empty flat.
    with pytest.raises(ValidationError) as refused:
        services.order_assign(by=None, order=order, deliverer=volunteer.staff)
    assert refused.value.code == "away_from_home"

    # The volunteer who was sent before the move is told, and offered no delivery form.
    with time_machine.travel(at(2020, 2, 11, 8), tick=False):
        from django.test import Client

        client = Client()
        client.login(username="vol", password=PASSWORD)
        page = client.get("/support/").content.decode()
    assert f'data-testid="away-{order.pk}"' in page
    assert "坪山指定观察点" in page
    assert f'data-testid="confirm-{order.pk}"' not in page


def test_the_volunteer_reveals_the_phone_of_the_person_served_and_it_is_logged(
    client, tree, catalogue, place_order, volunteer
):
    items = catalogue(DAY)
    person = tree.people[0]
    order = place_order(person, {items["veg"]: 1})
    _home_quarantine(person)
    services.order_assign(by=None, order=order, deliverer=volunteer.staff)
    client.login(username="vol", password=PASSWORD)
    with time_machine.travel(at(2020, 2, 11, 8), tick=False):
        page = client.get("/support/").content.decode()
        assert person.phone not in page  # masked until asked
        assert f"{person.phone[:3]}****{person.phone[-4:]}" in page
        assert f'data-testid="reveal-phone-{order.pk}"' in page
        revealed = client.post(f"/people/{person.pk}/reveal/phone/", headers={"HX-Request": "true"})
    assert revealed.status_code == 200
    assert person.phone in revealed.content.decode()
    assert AccessLog.objects.filter(user=volunteer, person=person, field="phone").count() == 1
