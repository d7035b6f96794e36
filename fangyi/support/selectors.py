"""Reads for supplies and care, always scoped.

- Staff see the rows of their place subtree (`duty.scope`: rows here carry the same
  place ids as Person rows, so `scope.rows_q("person")` filters them, matching the
  files granted to a places-only role on the row's person, never on its id), plus
  whatever is assigned to them.
- A volunteer (role `volunteer`) sees only what is assigned to them: their door
  deliveries, their requests, their recurring visits; nothing else of the zone.
- Operators see everything. Anonymous users see nothing (residents go through their
  personal link, `links.person_for_token`, which reads only their own rows).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.duty.scope import keeps_files, scope_for
from fangyi.people.identity import mask_phone
from fangyi.places.models import Zone
from fangyi.quarantine.choices import ACTIVE_STATES, CaseState
from fangyi.quarantine.models import QuarantineCase, Stage
from fangyi.support import rules
from fangyi.support.choices import OPEN_REQUEST_STATES, OrderStatus, RequestStatus
from fangyi.support.models import (
    CareGroup,
    CatalogueItem,
    Order,
    RecurringVisit,
    ServiceRequest,
    Supplier,
    Volunteer,
)

ERR_VOLUNTEER_PAGES = _(
    "This page is for the staff who manage supplies and care; your deliveries, requests "
    "and visits are on the supplies and care home page."
)


def staff_of(user) -> Staff | None:
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "staff", None)


def is_volunteer(user) -> bool:
    """A volunteer's login: sees only what is assigned to it."""
    staff = staff_of(user)
    return (
        staff is not None
        and staff.role == Role.VOLUNTEER
        and not user.is_superuser
        and staff.active
    )


def served_person_ids(staff_id: int) -> list[int]:
    """The people a staff member serves now: open door deliveries, open requests and
    recurring visits not yet ended that are given to them. A volunteer sees these
    people's files and nobody else's (duty.scope's person grant; one query)."""
    today = timezone.localdate()
    orders = Order.objects.filter(deliverer_id=staff_id, status=OrderStatus.PLACED)
    requests = ServiceRequest.objects.filter(
        assigned_to_id=staff_id, status__in=OPEN_REQUEST_STATES
    )
    visits = RecurringVisit.objects.filter(volunteer_id=staff_id).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    return list(
        orders.values_list("person_id", flat=True)
        .order_by()
        .union(requests.values_list("person_id", flat=True).order_by())
        .union(visits.values_list("person_id", flat=True).order_by())
    )


def _scoped(
    user, queryset: QuerySet, assigned_field: str | None, person_field: str | None
) -> QuerySet:
    """Rows of the user's person-file places, the rows about the people granted to it
    (matched on `person_field`, never on the row's own id), and the rows given to it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    staff = staff_of(user)
    mine = Q(**{assigned_field: staff}) if assigned_field and staff is not None else Q(pk__in=[])
    if is_volunteer(user):
        return queryset.filter(mine)
    scope = scope_for(user)
    if scope.everything:
        return queryset
    return queryset.filter(scope.rows_q(person_field) | mine)


def orders_for(user) -> QuerySet[Order]:
    return _scoped(user, Order.objects.all(), "deliverer", "person")


def requests_for(user) -> QuerySet[ServiceRequest]:
    return _scoped(user, ServiceRequest.objects.all(), "assigned_to", "person")


def visits_for(user) -> QuerySet[RecurringVisit]:
    return _scoped(user, RecurringVisit.objects.all(), "volunteer", "person")


def volunteers_for(user) -> QuerySet[Volunteer]:
    if is_volunteer(user):
        return Volunteer.objects.filter(staff=staff_of(user))
    return _scoped(user, Volunteer.objects.all(), None, None)


def care_groups_for(user) -> QuerySet[CareGroup]:
    if is_volunteer(user):
        return CareGroup.objects.none()
    return _scoped(user, CareGroup.objects.all(), None, None)


def zones_for(user) -> QuerySet[Zone]:
    """Zones whose rounds and rosters the user manages (none for a volunteer)."""
    if user is None or not user.is_authenticated or is_volunteer(user):
        return Zone.objects.none()
    return Zone.objects.filter(scope_for(user).place_q("zone"))


def check_manager_pages(user) -> None:
    """The managers' pages (a zone's round and labels, ordering for someone, the roster,
    care groups, suppliers) are not a volunteer's, whose pages are its own tasks:
    PermissionDenied. Others see there what their scope holds; what they may change
    there the services decide."""
    if is_volunteer(user):
        raise PermissionDenied(ERR_VOLUNTEER_PAGES)


def managed_zones(user) -> QuerySet[Zone]:
    """The zones whose roster, care groups and suppliers the user may change: those of its
    zones whose person files it keeps (`duty.scope.keeps_files`, the rule the services
    apply). For the forms' zone lists: nothing listed that would be refused."""
    zones = list(zones_for(user))
    return Zone.objects.filter(
        pk__in=[z.pk for z in zones if keeps_files(user, "zone", z)]
    ).order_by("code", "id")


def zone_get(user, pk: int) -> Zone:
    zone = zones_for(user).select_related("community").filter(pk=pk).first()
    if zone is None:
        raise Http404
    return zone


def suppliers_for(user) -> QuerySet[Supplier]:
    """Suppliers serving at least one zone the user manages."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return Supplier.objects.all()
    return Supplier.objects.filter(
        pk__in=Supplier.zones.through.objects.filter(zone__in=zones_for(user)).values("supplier_id")
    )


def supplier_get(user, pk: int) -> Supplier:
    supplier = suppliers_for(user).filter(pk=pk).first()
    if supplier is None:
        raise Http404
    return supplier


def order_get(user, pk: int) -> Order:
    order = (
        orders_for(user)
        .select_related("person", "building", "zone", "deliverer")
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404
    return order


def request_get(user, pk: int) -> ServiceRequest:
    request = (
        requests_for(user)
        .select_related("person", "building", "zone", "assigned_to", "person__dwelling")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404
    return request


def visit_get(user, pk: int) -> RecurringVisit:
    visit = visits_for(user).select_related("person", "volunteer").filter(pk=pk).first()
    if visit is None:
        raise Http404
    return visit


def catalogue_for_zone(zone_id: int, date: dt.date) -> QuerySet[CatalogueItem]:
    """The items offered to a zone for a delivery day (catalogues are not personal data)."""
    return (
        CatalogueItem.objects.filter(date=date, supplier__active=True, supplier__zones=zone_id)
        .select_related("supplier")
        .order_by("supplier__name", "supplier_id", "-is_bundle", "name", "id")
    )


def in_quarantine_q(
    day_field: str = "delivery_date", states: tuple[str, ...] = ACTIVE_STATES
) -> Exists:
    """Whether the row's person has an open quarantine case begun by the row's day
    (in one of `states`)."""
    return Exists(
        QuarantineCase.objects.filter(
            person_id=OuterRef("person_id"),
            state__in=states,
            start_date__lte=OuterRef(day_field),
        )
    )


# Quarantined away from home: the bag does not go to their door.
AWAY_STATES = (CaseState.STATION, CaseState.OBSERVATION, CaseState.HOSPITAL)


def away_at_subquery() -> Subquery:
    """The facility where the row's person is quarantined away from home now, or None."""
    return Subquery(
        Stage.objects.filter(
            case__person_id=OuterRef("person_id"),
            case__state__in=AWAY_STATES,
            ended_at__isnull=True,
        )
        .order_by("-started_at")
        .values("facility__name")[:1]
    )


def with_details(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Orders with what a list, a label or a pick list needs, in a fixed number of queries.
    `to_door` is derived: a person quarantined at home on the delivery day gets the bag
    at the door (by a volunteer), everyone else at the gate; `away_at` names the station,
    observation point or hospital where the person is now (nobody is home to take it)."""
    return (
        orders.select_related("person", "person__dwelling", "building", "zone", "deliverer")
        .prefetch_related("lines__item__supplier")
        .annotate(to_door=in_quarantine_q(states=(CaseState.HOME,)), away_at=away_at_subquery())
    )


def round_orders(user, zone: Zone, date: dt.date) -> list[Order]:
    """The orders of a zone's round on a day (not cancelled), by building and room."""
    orders = with_details(
        orders_for(user).filter(zone=zone, delivery_date=date).exclude(status=OrderStatus.CANCELLED)
    ).order_by("building__name", "person__dwelling__room", "id")
    return list(orders)


@dataclass
class PickLine:
    item: CatalogueItem
    quantity: int = 0
    orders: int = 0


@dataclass
class PickList:
    """What one supplier has to pack for one round."""

    supplier: Supplier
    lines: list[PickLine] = field(default_factory=list)

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


def pick_lists(orders: list[Order]) -> list[PickList]:
    """Per supplier, each item's total over the orders (from prefetched lines)."""
    by_supplier: dict[int, PickList] = {}
    lines: dict[int, PickLine] = {}
    for order in orders:
        for line in order.lines.all():
            item = line.item
            pick = by_supplier.setdefault(item.supplier_id, PickList(supplier=item.supplier))
            if item.pk not in lines:
                lines[item.pk] = PickLine(item=item)
                pick.lines.append(lines[item.pk])
            lines[item.pk].quantity += line.quantity
            lines[item.pk].orders += 1
    result = sorted(by_supplier.values(), key=lambda p: (p.supplier.name, p.supplier.pk))
    for pick in result:
        pick.lines.sort(key=lambda p: (p.item.name, p.item.pk))
    return result


@dataclass(frozen=True)
class RoundSummary:
    zone: Zone
    date: dt.date
    orders: int
    delivered: int


def round_summaries(user, dates: list[dt.date]) -> list[RoundSummary]:
    """Order counts of every zone the user manages, for each of the given days."""
    zones = {z.pk: z for z in zones_for(user)}
    rows = (
        Order.objects.filter(zone_id__in=list(zones), delivery_date__in=dates)
        .exclude(status=OrderStatus.CANCELLED)
        .values_list("zone_id", "delivery_date")
        .annotate(n=Count("id"), done=Count("id", filter=Q(status=OrderStatus.DELIVERED)))
        .order_by()
    )
    counts = {(z, d): (n, done) for z, d, n, done in rows}
    return [
        RoundSummary(zone, day, *counts.get((zone.pk, day), (0, 0)))
        for day in dates
        for zone in zones.values()
        if (zone.pk, day) in counts or len(zones) <= 20
    ]


def my_deliveries(user, today: dt.date) -> list[Order]:
    """Orders assigned to the user to take to the door, from today on, not yet done."""
    staff = staff_of(user)
    if staff is None:
        return []
    orders = list(
        with_details(
            Order.objects.filter(
                deliverer=staff, status=OrderStatus.PLACED, delivery_date__gte=today
            )
        ).order_by("delivery_date", "building__name", "id")
    )
    for order in orders:  # to call before coming: masked, revealed on request (logged)
        order.masked_phone = mask_phone(order.person.phone) if order.person.phone else ""  # type: ignore[attr-defined]
    return orders


@dataclass(frozen=True)
class DueVisit:
    visit: RecurringVisit
    due_on: dt.date


def visits_due(user, day: dt.date) -> list[DueVisit]:
    """Recurring visits whose latest due date (on or before `day`) has no visit recorded."""
    visits = list(
        visits_for(user)
        .filter(starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day - dt.timedelta(days=60)))
        .select_related("person", "person__dwelling", "building", "volunteer")
    )
    due = []
    for visit in visits:
        last = rules.visit_last_due(visit.starts_on, visit.every_days, visit.ends_on, day)
        # A series that has ended stays due only until its last period is over.
        if last is not None and (
            visit.ends_on is None or last >= day - dt.timedelta(days=visit.every_days - 1)
        ):
            due.append(DueVisit(visit, last))
    done = set(
        ServiceRequest.objects.filter(
            visit_id__in=[d.visit.pk for d in due], due_on__in={d.due_on for d in due}
        ).values_list("visit_id", "due_on")
    )
    return [d for d in due if (d.visit.pk, d.due_on) not in done]


@dataclass
class ServiceCounts:
    """Services done (person-times) per volunteer, zone and community."""

    per_staff: list[tuple[Staff, int]]
    per_zone: list[tuple[Zone, int]]
    per_community: list[tuple[object, int]]
    total: int


def service_counts(
    user, first: dt.date | None = None, last: dt.date | None = None
) -> ServiceCounts:
    """Count every request done and every bag taken to the door, each once, by who did
    it and by the person's zone and community, within the user's scope."""
    from fangyi.places.models import Community

    requests = requests_for(user).filter(status=RequestStatus.DONE, assigned_to__isnull=False)
    orders = orders_for(user).filter(status=OrderStatus.DELIVERED, deliverer__isnull=False)
    if first is not None:
        start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
        requests = requests.filter(done_at__gte=start)
        orders = orders.filter(delivered_at__gte=start)
    if last is not None:
        end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
        requests = requests.filter(done_at__lt=end)
        orders = orders.filter(delivered_at__lt=end)
    per_staff: dict[int, int] = defaultdict(int)
    per_zone: dict[int, int] = defaultdict(int)
    per_community: dict[int, int] = defaultdict(int)
    for queryset, who in ((requests, "assigned_to_id"), (orders, "deliverer_id")):
        rows = (
            queryset.values_list(who, "zone_id", "community_id").annotate(n=Count("id")).order_by()
        )
        for staff_id, zone_id, community_id, n in rows:
            per_staff[staff_id] += n
            per_zone[zone_id] += n
            per_community[community_id] += n
    staff = Staff.objects.in_bulk(list(per_staff))
    zones = Zone.objects.in_bulk(list(per_zone))
    communities = Community.objects.in_bulk(list(per_community))

    def ranked(counts, objects):
        return sorted(
            ((objects[pk], n) for pk, n in counts.items() if pk in objects),
            key=lambda pair: (-pair[1], str(pair[0])),
        )

    return ServiceCounts(
        per_staff=ranked(per_staff, staff),
        per_zone=ranked(per_zone, zones),
        per_community=ranked(per_community, communities),
        total=sum(per_staff.values()),
    )


@dataclass
class CareGroupView:
    """A care group with the people of its place in quarantine today."""

    group: CareGroup | None
    zone: Zone
    cases: list[QuarantineCase] = field(default_factory=list)


def care_groups(user, today: dt.date) -> list[CareGroupView]:
    """Each care group with its people in quarantine (a building group takes its
    building's people; the zone group the rest); people whose zone has no group are
    listed under their zone without one, so nobody is left out."""
    groups = list(care_groups_for(user).select_related("zone", "building", "staff"))
    scope = scope_for(user)
    if is_volunteer(user) or scope.is_empty:
        return []
    cases = list(
        QuarantineCase.objects.filter(
            state__in=ACTIVE_STATES,
            start_date__lte=today,
            person__in=_people_q(scope),
        )
        .select_related("person", "person__building", "person__dwelling", "person__zone")
        .order_by("person__building_id", "person__dwelling__room", "id")
    )
    by_building = {g.building_id: g for g in groups if g.building_id}
    by_zone = {g.zone_id: g for g in groups if not g.building_id}
    views: dict[tuple, CareGroupView] = {
        ("g", g.pk): CareGroupView(group=g, zone=g.zone) for g in groups
    }
    for case in cases:
        person = case.person
        group = by_building.get(person.building_id or 0) or by_zone.get(person.zone_id or 0)
        if group is not None:
            views[("g", group.pk)].cases.append(case)
        elif person.zone is not None:
            key = ("z", person.zone_id)
            views.setdefault(key, CareGroupView(group=None, zone=person.zone)).cases.append(case)
    return sorted(
        views.values(),
        key=lambda v: (v.zone.code, v.group is None, (v.group.building_id or 0) if v.group else 0),
    )


def _people_q(scope):
    from fangyi.people.models import Person

    return Person.objects.filter(scope.person_q()).values("id")


def roster_staff(user, zone_id: int | None = None) -> QuerySet[Staff]:
    """Who a request or a delivery may be given to: the roster of the user's zones and
    the staff with a login assigned inside the user's scope."""
    volunteers = volunteers_for(user).filter(active=True)
    if zone_id is not None:
        volunteers = volunteers.filter(zone_id=zone_id)
    return Staff.objects.filter(active=True, pk__in=volunteers.values("staff_id")).order_by(
        "name", "id"
    )


def building_named(zone: Zone, name: str):
    """The building of a zone by its name (a care group's building), or None."""
    from fangyi.places.models import Building

    return Building.objects.filter(zone=zone, name=name).first()
