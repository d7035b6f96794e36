"""Fixtures for support: a supplier serving zones Z1 and Z2, a catalogue factory,
a volunteer login on the roster of Z1 and a helper to place orders at a moment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fangyi.conftest import PASSWORD
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.support import services
from fangyi.support.choices import Channel, SupplierKind, VolunteerKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The delivery day most tests use; orders for it close at 20:00 on 10 February.
DAY = dt.date(2020, 2, 11)


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    """An aware datetime in Asia/Shanghai."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def supplier(tree):
    return services.supplier_create(
        by=None, name="东纵农场", kind=SupplierKind.FARM, zones=[tree.zones[0], tree.zones[1]]
    )


@pytest.fixture
def catalogue(supplier):
    """`catalogue(day)` → {name: item}: a bundle limited to 5, eggs (2 per order), rice."""

    def make(day: dt.date = DAY, stock: int | None = 5):
        return {
            "veg": services.catalogue_item_add(
                by=None,
                supplier=supplier,
                date=day,
                name="蔬菜套餐A",
                price=Decimal("30.00"),
                stock=stock,
                is_bundle=True,
            ),
            "eggs": services.catalogue_item_add(
                by=None,
                supplier=supplier,
                date=day,
                name="鸡蛋",
                price=Decimal("12.50"),
                max_per_order=2,
            ),
            "rice": services.catalogue_item_add(
                by=None, supplier=supplier, date=day, name="大米", price=Decimal("39.90")
            ),
        }

    return make


@pytest.fixture
def place_order():
    """Place an order at a moment (default: 10:00 the day before DAY)."""

    def place(person, quantities, when=None, channel=Channel.LINK, by=None):
        with time_machine.travel(when or at(2020, 2, 10, 10), tick=False):
            return services.order_place(
                person=person,
                quantities={item.pk: n for item, n in quantities.items()},
                channel=channel,
                by=by,
            )

    return place


def _volunteer(django_user_model, tree, username: str, zone_index: int):
    user = django_user_model.objects.create_user(username, password=PASSWORD)
    staff = Staff.objects.create(user=user, name=f"{username}志愿者", role=Role.VOLUNTEER)
    # Demo volunteers are assigned to their zone, like here: the role still limits them.
    Assignment.objects.create(staff=staff, zone=tree.zones[zone_index])
    services.volunteer_add(
        by=None, zone=tree.zones[zone_index], kind=VolunteerKind.VOLUNTEER, staff=staff
    )
    return user


@pytest.fixture
def volunteer(tree, django_user_model):
    return _volunteer(django_user_model, tree, "vol", 0)


@pytest.fixture
def other_volunteer(tree, django_user_model):
    return _volunteer(django_user_model, tree, "vol2", 0)
