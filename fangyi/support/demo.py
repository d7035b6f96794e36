"""Demo supplies and care around today, for the demo logins' zone.

A farm and a supermarket serving the zone with catalogues for today and the next two
days; today's round (partly handed over) and tomorrow's orders; the roster (the
zone's volunteers, including the `volunteer` login, and party members); a week of
service requests; regular visits to the elderly living alone, some due today; and
one care group per building. Everything goes through the services. Deterministic
for a given seed and day.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.duty.scope import PLACES_ONLY_ROLES
from fangyi.people.models import Person
from fangyi.places.models import Building, Zone
from fangyi.support import services
from fangyi.support.choices import Channel, RequestKind, SupplierKind, VolunteerKind
from fangyi.support.models import CatalogueItem, Order, Volunteer

CATALOGUE = {
    "坪山东纵生态农场": (
        SupplierKind.FARM,
        [
            ("时令蔬菜套餐A", "菜心、生菜、西红柿、土豆约5斤", "30.00", 80, 2, True),
            ("时令蔬菜套餐B", "白菜、胡萝卜、青椒、冬瓜约6斤", "35.00", 60, 2, True),
            ("土鸡蛋", "30个装", "28.00", 40, 1, False),
            ("猪肉", "前腿肉1斤", "32.00", 50, 3, False),
        ],
    ),
    "百佳华超市（坪山店）": (
        SupplierKind.SUPERMARKET,
        [
            ("大米", "5公斤", "39.90", None, 1, False),
            ("纯牛奶", "250ml×12盒", "45.00", 30, 2, False),
            ("生活用品包", "纸巾、洗手液、垃圾袋", "25.00", 40, 1, True),
        ],
    ),
}
PARTY_MEMBERS = ("黄建国", "陈志强", "李红梅", "张伟东")
VOLUNTEERS = ("刘晓燕", "王磊", "赵敏", "周杰", "吴丽娟", "郑浩", "孙悦", "何文")
AVAILABILITY = ("工作日下午", "周末全天", "每天上午", "每天15:00–17:00")
REQUESTS = [
    (RequestKind.MEDICINE, "降压药（硝苯地平）快吃完了，请帮忙到社康配药"),
    (RequestKind.RUBBISH, "隔离期间请帮忙把垃圾带下楼"),
    (RequestKind.REPAIRS, "厨房水龙头漏水"),
    (RequestKind.GROCERIES, "想要一袋面粉和酱油"),
    (RequestKind.VISIT, "一个人在家，想找人聊聊天"),
    (RequestKind.OTHER, "孩子网课需要打印作业"),
]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _demo_zone() -> Zone | None:
    assignment = (
        Assignment.objects.filter(staff__user__username="volunteer", zone__isnull=False)
        .select_related("zone")
        .first()
    )
    if assignment is not None:
        return assignment.zone
    first = Person.objects.filter(zone__isnull=False).order_by("id").first()
    return first.zone if first else None


@transaction.atomic
def seed_support_demo(*, seed: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Suppliers, orders, volunteers, requests, visits and care groups for the demo zone."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(seed * 104729 + today.toordinal())
    zone = _demo_zone()
    if zone is None:
        return {}
    # Suppliers and catalogues for today and the next two days.
    items: dict[dt.date, list[CatalogueItem]] = {}
    for name, (kind, rows) in CATALOGUE.items():
        supplier = services.supplier_create(
            by=None,
            name=name,
            kind=kind,
            zones=[zone],
            contact_name=rng.choice(("罗先生", "曾女士", "叶经理")),
            contact_phone=f"13{rng.randrange(10**8, 10**9)}",
        )
        for offset in range(3):
            day = today + dt.timedelta(days=offset)
            for item, contents, price, stock, most, bundle in rows:
                items.setdefault(day, []).append(
                    services.catalogue_item_add(
                        by=None,
                        supplier=supplier,
                        date=day,
                        name=item,
                        description=contents,
                        price=Decimal(price),
                        stock=stock,
                        max_per_order=most,
                        is_bundle=bundle,
                    )
                )
    # The roster: the zone's volunteers with a login, and some without.
    roster: list[Staff] = []
    for staff in Staff.objects.filter(
        role=Role.VOLUNTEER, assignments__zone=zone, active=True
    ).distinct():
        services.volunteer_add(
            by=None, zone=zone, kind=VolunteerKind.VOLUNTEER, staff=staff, availability="每天下午"
        )
        roster.append(staff)
    for names, kind in ((PARTY_MEMBERS, VolunteerKind.PARTY_MEMBER), (VOLUNTEERS, "volunteer")):
        for name in names:
            volunteer = services.volunteer_add(
                by=None,
                zone=zone,
                kind=kind,
                name=name,
                phone=f"13{rng.randrange(10**8, 10**9)}",
                availability=rng.choice(AVAILABILITY),
            )
            # Like the generated volunteers, each is on duty in the zone (the role still
            # limits what a volunteer's login sees in support to what is assigned to it).
            Assignment.objects.create(staff=volunteer.staff, zone=zone, duty="志愿服务")
            roster.append(volunteer.staff)
    demo_volunteer = Staff.objects.filter(user__username="volunteer").first() or roster[0]
    User = get_user_model()
    # Staff keeping the zone's files act as themselves (the services check them); None,
    # the system, when the demo has no such login.
    manager = (
        User.objects.filter(username="property").first()
        or User.objects.filter(staff__assignments__zone=zone)
        .exclude(staff__role__in=PLACES_ONLY_ROLES)
        .first()
    )
    residents = list(
        Person.objects.filter(zone=zone, dwelling__isnull=False)
        .select_related("dwelling")
        .order_by("id")[:600]
    )
    in_quarantine = set(
        Person.objects.filter(
            zone=zone, quarantine_cases__state__in=("station", "home", "observation")
        ).values_list("id", flat=True)
    )
    at_home = set(
        Person.objects.filter(zone=zone, quarantine_cases__state="home").values_list(
            "id", flat=True
        )
    )
    # Today's round (ordered yesterday) and tomorrow's (ordered this morning).
    orders = {"today": 0, "tomorrow": 0}
    for label, day, placed in (
        ("today", today, _at(today - dt.timedelta(days=1), 18)),
        ("tomorrow", today + dt.timedelta(days=1), _at(today, 9)),
    ):
        chosen = rng.sample(residents, min(len(residents), 24 if label == "today" else 32))
        quarantined = [p for p in residents if p.pk in in_quarantine]
        for person in sorted({*chosen, *quarantined[:6]}, key=lambda p: p.pk):
            day_items = items[day]
            picks = rng.sample(day_items, rng.randint(1, 3))
            quantities = {i.pk: 1 for i in picks}
            channel = Channel.STAFF if person.elderly_alone else Channel.LINK
            try:
                order = services.order_place(
                    person=person,
                    quantities=quantities,
                    channel=channel,
                    by=manager if channel == Channel.STAFF else None,
                    now=placed,
                )
            except Exception:  # sold out: the demo simply skips that order
                continue
            orders[label] += 1
            # Only a person quarantined at home is at the door to take the bag; one at a
            # station or an observation point gets none (services.order_assign refuses).
            if person.pk in at_home:
                services.order_assign(by=manager, order=order, deliverer=demo_volunteer)
    # Half of today's round already handed over (at the gate by staff, or to the door).
    for order in Order.objects.filter(zone=zone, delivery_date=today).order_by("id")[::2]:
        by = order.deliverer.user if order.deliverer and order.deliverer.user else manager
        services.order_deliver(order=order, by=by, now=_at(today, 15, 20))
    # A week of service requests.
    requests = 0
    for offset in range(7, -1, -1):
        day = today - dt.timedelta(days=offset)
        for _n in range(rng.randint(1, 3)):
            kind, text = rng.choice(REQUESTS)
            person = rng.choice(residents)
            helper = rng.choice(roster)
            if offset == 0 and _n == 0:
                helper = demo_volunteer
            request = services.request_raise(
                person=person,
                kind=kind,
                description=text,
                channel=rng.choice((Channel.LINK, Channel.STAFF)),
                by=manager,
                now=_at(day, rng.randrange(8, 18)),
            )
            requests += 1
            if offset > 1 or rng.random() < 0.3:
                services.request_assign(by=manager, request=request, staff=helper)
                if offset > 1:
                    services.request_done(
                        request=request,
                        by=helper.user or manager,
                        note="已完成",
                        now=_at(day, 19),
                    )
            elif offset == 0:
                services.request_assign(by=manager, request=request, staff=helper)
    # Regular visits to the elderly living alone (or the oldest residents).
    elderly = [p for p in residents if p.elderly_alone][:6] or sorted(
        (p for p in residents if p.birth_date), key=lambda p: p.birth_date
    )[:4]
    visits = 0
    for index, person in enumerate(elderly):
        volunteer = demo_volunteer if index % 2 == 0 else rng.choice(roster)
        visit = services.visit_create(
            person=person,
            every_days=rng.choice((2, 3, 7)),
            starts_on=today - dt.timedelta(days=rng.randrange(0, 10)),
            volunteer=volunteer,
            note="量血压、聊聊天、看看缺什么",
            by=manager,
        )
        visits += 1
        day = visit.starts_on
        while day < today:
            services.visit_record(
                visit=visit, due_on=day, by=volunteer.user or manager, now=_at(day, 10)
            )
            day += dt.timedelta(days=visit.every_days)
    # One care group per building, with the staff member responsible for it.
    responsible = {
        a.building_id: a.staff
        for a in Assignment.objects.filter(building__zone=zone).select_related("staff")
    }
    zone_staff = Staff.objects.filter(assignments__zone=zone).exclude(role=Role.VOLUNTEER).first()
    groups = 0
    for building in Building.objects.filter(zone=zone).order_by("id")[:12]:
        services.care_group_create(
            by=None,
            zone=zone,
            building=building,
            name=f"{zone.name}{building.name}居民群",
            chat_name=f"{building.name}防疫互助群",
            staff=responsible.get(building.pk) or zone_staff or demo_volunteer,
        )
        groups += 1
    return {
        "suppliers": len(CATALOGUE),
        "orders_today": orders["today"],
        "orders_tomorrow": orders["tomorrow"],
        "volunteers": Volunteer.objects.count(),
        "requests": requests,
        "visits": visits,
        "care_groups": groups,
    }
