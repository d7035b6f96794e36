"""Personas and a person with something of every kind hanging from the file."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from fangyi.audit.models import AccessLog
from fangyi.conftest import PASSWORD, make_id_number
from fangyi.core.policy import policy_in_force
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.health.models import Alert
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.people.models import Person, PersonEvent
from fangyi.quarantine.models import (
    CaseEvent,
    HealthCheck,
    NucleicTest,
    QuarantineCase,
    Stage,
)
from fangyi.reports.services import confirmed_case_create
from fangyi.screening.models import Campaign, Team, Visit, VisitPerson
from fangyi.support.models import (
    CatalogueItem,
    Order,
    OrderLine,
    RecurringVisit,
    ResidentLink,
    ServiceRequest,
    Supplier,
)

NAME = "王小明"
PHONE = "13912345678"


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_superuser("op", password=PASSWORD)


def _staff(username: str, role: str, **place):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    staff = Staff.objects.create(user=user, name=f"{username}员", role=role)
    if place:
        Assignment.objects.create(staff=staff, **place)
    return user


@pytest.fixture
def personas(tree, operator):
    """Every persona (the tree's and the roles it lacks), by name; `anonymous` is None."""
    zone = tree.zones[0]
    return {
        "operator": operator,
        "secretary": tree.users["community"],
        "other_secretary": _staff(
            "c2_secretary", Role.COMMUNITY_SECRETARY, community=tree.communities[1]
        ),
        "district_leader": tree.users["district"],
        "cadre": tree.users["street"],
        "property_manager": tree.users["zone"],
        "grid_worker": tree.users["building"],
        "station_doctor": _staff("doctor", Role.STATION_DOCTOR, community=tree.communities[0]),
        "gate_guard": _staff("guard", Role.GATE_GUARD, zone=zone),
        "volunteer": _staff("volunteer", Role.VOLUNTEER, zone=zone),
        "anonymous": None,
    }


@dataclass
class Filed:
    """A person and one row of every kind that hangs from the file."""

    person: Person
    case: QuarantineCase
    placed_order: Order
    item: CatalogueItem
    gate_check: GateCheck
    visit_person: VisitPerson


def file_with_everything(tree, operator, *, now: dt.datetime) -> Filed:
    """tree.people[0], renamed so that its name is found nowhere else, with history,
    reveals, a closed case, a confirmed case, a visit, passes, applications, gate checks,
    orders, requests, visits and a personal link. Free texts quote the person's name,
    document number or phone, as staff do."""
    person = tree.people[0]
    # Confirmed in the file already: recording the case below then adds no history line.
    Person.objects.filter(pk=person.pk).update(name=NAME, phone=PHONE, health_status="confirmed")
    person.refresh_from_db()
    said = f"{NAME} {PHONE} {person.doc_number}"
    policy = policy_in_force(timezone.localdate(now))
    PersonEvent.objects.create(
        person=person, by=operator, action="updated", changes={"phone": ["13800000000", PHONE]}
    )
    AccessLog.objects.create(user=operator, person=person, field="phone", ip="10.0.0.8")

    case = QuarantineCase.objects.create(
        case_no="Q2020-0001",
        person=person,
        zone=person.zone,
        reason="returned",
        origin="湖北武汉",
        arrived_at=now - dt.timedelta(days=20),
        start_date=(now - dt.timedelta(days=20)).date(),
        policy=policy,
        state="released",
        released_on=(now - dt.timedelta(days=6)).date(),
        release_kind="normal",
    )
    Stage.objects.create(
        case=case,
        kind="station",
        started_at=now - dt.timedelta(days=20),
        ended_at=now - dt.timedelta(days=6),
        note=said,
    )
    check = HealthCheck.objects.create(
        case=case,
        date=(now - dt.timedelta(days=10)).date(),
        slot="am",
        at=now - dt.timedelta(days=10),
        temperature=Decimal("37.6"),
        symptoms=["cough"],
        channel="staff",
    )
    Alert.objects.create(
        case=case,
        person=person,
        source="checkin",
        zone=person.zone,
        kind="fever",
        date=check.date,
        health_check=check,
        detail="37.6",
        status="closed",
        note=said,
    )
    NucleicTest.objects.create(case=case, sampled_on=check.date, result="negative")
    CaseEvent.objects.create(case=case, by=operator, action="release_normal", note=said)
    confirmed_case_create(by=None, date=(now - dt.timedelta(days=3)).date(), person=person)

    campaign = Campaign.objects.create(
        name="二月排查",
        district=tree.district,
        street=tree.streets[0],
        starts_on=(now - dt.timedelta(days=30)).date(),
        ends_on=now.date(),
    )
    team = Team.objects.create(campaign=campaign, name="一组")
    visit = Visit.objects.create(
        key=uuid.uuid4(),
        campaign=campaign,
        team=team,
        dwelling=person.dwelling,
        zone=person.zone,
        outcome="answered",
        at=now - dt.timedelta(days=12),
    )
    visit_person = VisitPerson.objects.create(
        visit=visit, person=person, temperature=Decimal("36.5"), came_from="湖北武汉"
    )

    places = {
        "dwelling": person.dwelling,
        "building": person.building,
        "zone": person.zone,
        "community": person.community,
        "street": person.street,
        "district": person.district,
    }
    approved = PassApplication.objects.create(
        name=NAME,
        doc_number=person.doc_number,
        phone=PHONE,
        status="approved",
        person=person,
        **places,
    )
    # Typed again by someone, never linked to the file: its ID number is the person's.
    rejected = PassApplication.objects.create(
        name=NAME, doc_number=person.doc_number, phone=PHONE, status="rejected", **places
    )
    valid = Pass.objects.create(
        person=person,
        application=approved,
        district=tree.district,
        key="k1",
        code="11111111111",
        issued_at=now - dt.timedelta(days=5),
        expires_at=now + dt.timedelta(days=25),
    )
    Pass.objects.create(
        application=rejected,
        district=tree.district,
        key="k2",
        code="22222222222",
        issued_at=now - dt.timedelta(days=5),
        expires_at=now + dt.timedelta(days=25),
        revoked_at=now - dt.timedelta(days=4),
        revoke_reason="application rejected",
    )
    gate = person.zone.gates.get()
    gate_check = GateCheck.objects.create(
        gate=gate,
        zone=person.zone,
        guard=operator,
        at=now - dt.timedelta(days=1),
        method="scan",
        pass_obj=valid,
        person=person,
        temperature=Decimal("37.5"),
        fever=True,
        colour="yellow",
        reason="fever_now",
        policy=policy,
    )
    Alert.objects.create(
        kind="fever",
        source="gate",
        gate_check=gate_check,
        person=person,
        zone=person.zone,
        building=person.building,
        date=gate_check.at.date(),
        temperature=Decimal("37.5"),
        detail="37.5 °C",
        status="closed",
        created_at=gate_check.at,
        note=said,
    )

    supplier = Supplier.objects.create(district=tree.district, name="坪山菜场", kind="shop")
    item = CatalogueItem.objects.create(
        supplier=supplier,
        date=(now + dt.timedelta(days=1)).date(),
        name="蔬菜套餐",
        price=Decimal("30"),
        stock=10,
        ordered=2,
    )
    order_places = {k: v for k, v in places.items() if k != "dwelling"}
    placed = Order.objects.create(
        person=person,
        delivery_date=item.date,
        channel="link",
        placed_at=now,
        note=said,
        **order_places,
    )
    OrderLine.objects.create(order=placed, item=item, quantity=2, unit_price=item.price)
    Order.objects.create(
        person=person,
        delivery_date=(now - dt.timedelta(days=2)).date(),
        status="delivered",
        channel="staff",
        placed_at=now - dt.timedelta(days=3),
        delivered_at=now - dt.timedelta(days=2),
        delivery_note=said,
        **order_places,
    )
    ServiceRequest.objects.create(
        person=person,
        kind="medicine",
        description=said,
        channel="link",
        created_at=now,
        **order_places,
    )
    RecurringVisit.objects.create(
        person=person, every_days=3, starts_on=now.date(), note=said, **order_places
    )
    ResidentLink.objects.create(person=person)
    return Filed(person, case, placed, item, gate_check, visit_person)


@pytest.fixture
def filed(tree, operator) -> Filed:
    return file_with_everything(tree, operator, now=timezone.now())


__all__ = ["NAME", "PHONE", "Filed", "file_with_everything", "make_id_number"]
