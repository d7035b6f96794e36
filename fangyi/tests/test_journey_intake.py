"""The station doctor's intake on the demo district, in Chinese (issue 14, point 2).

A returnee from 湖北武汉 is taken in at the doctor's station: the person file says
离深返深 with the arrival day and the origin, with a history line, the zone map counts
one more returned and one fewer who never left, and the person's epidemic state is the
station's; a person not yet in the files is registered in their dwelling, found by the
zone's name, and is on the zone map; the doctor prints the release certificate of a case
it took in and that was released yesterday, an unrelated doctor cannot. The state stored
for every person is what the facts give (people.state.rebuild_differences).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from fangyi.conftest import make_id_number
from fangyi.core.documents import pdf_text
from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.people.models import Person, PersonEvent
from fangyi.people.state import rebuild_differences
from fangyi.places.models import Dwelling, Zone
from fangyi.quarantine import selectors, services
from fangyi.quarantine.choices import ACTIVE_STATES
from fangyi.quarantine.models import Facility
from fangyi.reports.selectors import zone_map
from fangyi.tests.phone import DEMO_PASSWORD, build_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    build_demo()
    doctor = get_user_model().objects.get(username="doctor")
    return doctor, selectors.own_station(doctor)


def _intake(client, station, **values):
    arrived = timezone.localtime() - dt.timedelta(hours=1)
    return client.post(
        reverse("quarantine:intake"),
        {
            "doc_type": "id_card",
            "reason": "returned",
            "origin": "湖北武汉",
            "arrived_at": arrived.strftime("%Y-%m-%dT%H:%M"),
            "first_state": "station",
            "facility": station.pk,
            **values,
        },
    )


def _counts(zone_id: int):
    return zone_map(get_user_model().objects.get(username="admin"), zone_id).counts


def test_the_doctor_takes_in_a_returnee_and_registers_a_newcomer(client, demo):
    doctor, station = demo
    assert station is not None
    client.login(username="doctor", password=DEMO_PASSWORD)
    person = (
        Person.objects.filter(
            community_id=station.community_id, travel_status="never_left", zone__isnull=False
        )
        .exclude(quarantine_cases__state__in=ACTIVE_STATES)
        .order_by("id")
        .first()
    )
    before = _counts(person.zone_id)
    response = _intake(client, station, doc_number=person.doc_number.lower())
    assert response.status_code == 302, response.content.decode()[-3000:]
    person.refresh_from_db()
    # The arrival an hour ago: its day in Asia/Shanghai is the return date.
    arrival_day = (timezone.localtime() - dt.timedelta(hours=1)).date()
    assert (person.travel_status, person.return_date, person.origin) == (
        "returned",
        arrival_day,
        "湖北武汉",
    )
    assert person.epidemic_state == "station"
    after = _counts(person.zone_id)
    assert (after.returned, after.never_left) == (before.returned + 1, before.never_left - 1)
    page = client.get(reverse("person", args=[person.pk])).content.decode()
    assert "离深返深" in page and "湖北武汉" in page and person.return_date.isoformat() in page
    timeline = page[page.index('data-testid="timeline"') :]
    assert "隔离观察登记" in timeline and "未离深" in timeline
    assert PersonEvent.objects.filter(person=person, source="quarantine", by=doctor).exists()

    # A newcomer, registered where they live: the doctor types part of the zone's name.
    zone = Zone.objects.get(pk=person.zone_id)
    dwelling = Dwelling.objects.filter(zone=zone).order_by("id").first()
    picker = client.get(
        reverse("quarantine:intake_places"), {"zone_q": zone.name[:3], "zone": zone.pk}
    ).content.decode()
    assert f'value="{dwelling.building_id}"' in picker
    picker = client.get(
        reverse("quarantine:intake_places"),
        {"zone_q": zone.name[:3], "zone": zone.pk, "building": dwelling.building_id},
    ).content.decode()
    assert f'value="{dwelling.pk}"' in picker
    before = _counts(zone.pk)
    number = make_id_number(777, region="420106")
    response = _intake(
        client,
        station,
        doc_number=number,
        name="新来居民",
        phone="13912340000",
        zone_q=zone.name[:3],
        zone=zone.pk,
        building=dwelling.building_id,
        dwelling=dwelling.pk,
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    newcomer = Person.objects.get(doc_number=number)
    assert (newcomer.dwelling, newcomer.zone, newcomer.epidemic_state) == (
        dwelling,
        zone,
        "station",
    )
    after = _counts(zone.pk)
    assert (after.residents, after.returned) == (before.residents + 1, before.returned + 1)
    assert after.in_quarantine == before.in_quarantine + 1
    assert rebuild_differences() == []


def test_the_doctor_prints_the_certificate_of_yesterday_s_release(client, demo):
    doctor, station = demo
    now = timezone.now()
    # Somebody from another community (a file the doctor does not keep), taken in at its
    # station three days ago and released yesterday.
    person = (
        Person.objects.exclude(community_id=station.community_id)
        .exclude(quarantine_cases__state__in=ACTIVE_STATES)
        .order_by("id")
        .first()
    )
    assert person is not None, "the demo district has more than one community"
    case = services.case_intake(
        by=doctor,
        person=person,
        reason="returned",
        arrived_at=now - dt.timedelta(days=3),
        facility=station,
        origin="湖北武汉",
    )
    services.case_release(
        by=doctor, case=case, kind="early", note="核酸两次阴性", now=now - dt.timedelta(days=1)
    )
    client.login(username="doctor", password=DEMO_PASSWORD)
    closed = client.get(reverse("quarantine:worklists"), {"list": "closed"}).content.decode()
    assert "近期结案" in closed and person.name in closed and "解除隔离证明" in closed
    certificate = reverse("quarantine:document", args=[case.pk, "certificate"])
    assert certificate in closed
    response = client.get(certificate)
    assert response.status_code == 200
    assert person.name in pdf_text(response.content)
    assert client.get(reverse("quarantine:case", args=[case.pk])).status_code == 200

    # An unrelated doctor: on duty at another station, assigned nowhere near.
    other_station = Facility.objects.create(
        district=station.district, kind="station", name="别处温馨驿站", address="别处", capacity=5
    )
    user = get_user_model().objects.create_user("doctor2", password=DEMO_PASSWORD)
    other_station.staff.add(
        Staff.objects.create(user=user, name="别处医生", role=Role.STATION_DOCTOR)
    )
    client.login(username="doctor2", password=DEMO_PASSWORD)
    assert client.get(certificate).status_code == 404
    assert client.get(reverse("quarantine:case", args=[case.pk])).status_code == 404
    closed = client.get(reverse("quarantine:worklists"), {"list": "closed"}).content.decode()
    assert person.name not in closed
    assert not re.search(rf"/cases/{case.pk}/", closed)
    assert rebuild_differences() == []
