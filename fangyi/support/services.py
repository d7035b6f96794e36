"""Writes for supplies and care: `<entity>_<action>`, keyword-only, atomic.

Stock is taken with one conditional UPDATE per item (`… SET ordered = ordered + n
WHERE stock IS NULL OR stock >= ordered + n`): on PostgreSQL a concurrent order
waits for the row and re-checks the condition, so two orders can never both take
the last bag; on SQLite writes are serialised anyway. A check constraint backs it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.core.policy import PolicyValues, policy_in_force, values_of
from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.duty.scope import is_places_only, keeps_files
from fangyi.people.models import Person
from fangyi.places.models import Building, Zone
from fangyi.support import rules
from fangyi.support.choices import (
    Channel,
    OrderStatus,
    RequestKind,
    RequestStatus,
    SupplierKind,
    VolunteerKind,
)
from fangyi.support.models import (
    CareGroup,
    CatalogueItem,
    Order,
    OrderLine,
    RecurringVisit,
    ServiceRequest,
    Supplier,
    Volunteer,
)
from fangyi.support.selectors import away_at_subquery

ERR_NO_HOME = _("This person has no dwelling in the files: groceries cannot be delivered.")
ERR_EMPTY = _("Choose at least one item.")
ERR_QUANTITY = _("Enter a whole number of 0 or more.")
ERR_ITEM_UNKNOWN = _("This item is not offered to your zone.")
ERR_ROUND_CLOSED = _(
    "Orders for {date} have closed; this order would go to the round of {next}. "
    "Please choose again from that day's list."
)
ERR_SOLD_OUT = _("Not enough left of {name}: {left} left.")
ERR_TOO_MANY = _("At most {limit} of {name} per order.")
ERR_ORDER_NOT_OPEN = _("This order is {status}; it cannot be changed.")
ERR_CANCEL_CLOSED = _("Orders for {date} closed at {deadline}; ask your community staff.")
ERR_MISSING = _("Missing cannot be more than ordered ({quantity}).")
ERR_NOT_VOLUNTEER = _("Choose a volunteer or staff member from the roster.")
ERR_AWAY_FROM_HOME = _(
    "{name} is quarantined at {facility}, not at home: nobody is there to take the bag. "
    "Cancel the order or keep it at the gate."
)
ERR_REQUEST_NOT_OPEN = _("This request is {status}; it cannot be changed.")
ERR_KIND = _("Choose a kind from the list.")
ERR_DESCRIPTION = _("Say briefly what is needed.")
ERR_VISIT_NOT_DUE = _("This visit is not due on {date}.")
ERR_VISIT_DONE = _("The visit due on {date} is already recorded.")
ERR_EVERY_DAYS = _("Enter a number of days from 1 to 60.")
ERR_PRICE = _("Enter a price of 0 or more.")
ERR_NAME = _("Enter the name.")
ERR_ZONES = _("Choose at least one zone.")
ERR_DUPLICATE_ITEM = _("{name} is already in the catalogue of {date}.")
ERR_BUILDING_ZONE = _("The building must be in the zone.")
ERR_NOT_MANAGER = _(
    "Rounds, orders, requests, visits, the roster and suppliers of this place are managed "
    "by the staff who keep its person files."
)
ERR_PLACES_ONLY = _(
    "Gate guards and volunteers do not manage supplies and care: a volunteer delivers the "
    "bags, does the requests and makes the visits given to it; ask the community office "
    "for the rest."
)


def policy_values(today: dt.date | None = None) -> PolicyValues:
    """The policy values in force today (Asia/Shanghai)."""
    return values_of(policy_in_force(today or timezone.localdate()))


# Who may do what (docs/support.md "Who may do what"). `None` as the user is the system:
# a command, the demo, a resident's personal link.


def may_manage(user, level: str, obj) -> bool:
    """Whether `user` manages the supplies and care of a place (`level` district …
    building) or of the rows about one person (`level` "person": a person, an order, a
    request or a visit, by its place ids): the staff keeping the person files there
    (`duty.scope.keeps_files`), operators everywhere; gate guards and volunteers nowhere."""
    return user is None or keeps_files(user, level, obj)


def may_manage_supplier(user, supplier: Supplier) -> bool:
    """Whether `user` manages a supplier's catalogue: it manages one of the zones served."""
    return user is None or any(may_manage(user, "zone", z) for z in supplier.zones.all())


def _is_assignee(user, staff_id: int | None) -> bool:
    """Whether `user` is the active staff member given the task (a gate guard never is:
    guards do no supplies and care)."""
    if user is None or staff_id is None or not user.is_authenticated:
        return False
    staff = getattr(user, "staff", None)
    return (
        staff is not None
        and staff.active
        and staff.pk == staff_id
        and staff.role != Role.GATE_GUARD
    )


def may_do(user, row: Order | ServiceRequest | RecurringVisit) -> bool:
    """Whether `user` may do the task of a row: deliver an order, mark a request done,
    record a visit. Its managers, and the one it is given to (a volunteer's part)."""
    if isinstance(row, Order):
        staff_id = row.deliverer_id
    elif isinstance(row, ServiceRequest):
        staff_id = row.assigned_to_id
    else:
        staff_id = row.volunteer_id
    return may_manage(user, "person", row) or _is_assignee(user, staff_id)


def _refusal(user) -> PermissionDenied:
    return PermissionDenied(ERR_PLACES_ONLY if is_places_only(user) else ERR_NOT_MANAGER)


def require_manager(user, level: str, obj) -> None:
    """Refuse (PermissionDenied, with the reason) unless `may_manage`."""
    if not may_manage(user, level, obj):
        raise _refusal(user)


def _require_doer(user, row: Order | ServiceRequest | RecurringVisit) -> None:
    if not may_do(user, row):
        raise _refusal(user)


def _places(person: Person) -> dict[str, Any]:
    if person.zone_id is None or person.dwelling_id is None:
        raise ValidationError({"person": [ERR_NO_HOME]}, code="no_home")
    return {
        "district_id": person.district_id,
        "street_id": person.street_id,
        "community_id": person.community_id,
        "zone_id": person.zone_id,
        "building_id": person.building_id,
    }


def _zone_places(zone: Zone, building: Building | None = None) -> dict[str, Any]:
    return {
        "district_id": zone.district_id,
        "street_id": zone.street_id,
        "community_id": zone.community_id,
        "zone_id": zone.pk,
        "building_id": building.pk if building else None,
    }


# Suppliers and the daily catalogue


@transaction.atomic
def supplier_create(
    *,
    by,
    name: str,
    kind: str,
    zones: list[Zone],
    contact_name: str = "",
    contact_phone: str = "",
) -> Supplier:
    """A supplier serving the given zones (all of one district); `by` manages each."""
    for zone in zones:
        require_manager(by, "zone", zone)
    errors: dict[str, list] = {}
    if not name.strip():
        errors["name"] = [ERR_NAME]
    if kind not in SupplierKind.values:
        errors["kind"] = [ERR_KIND]
    if not zones:
        errors["zones"] = [ERR_ZONES]
    if errors:
        raise ValidationError(errors)
    supplier = Supplier(
        district_id=zones[0].district_id,
        name=name.strip(),
        kind=kind,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
    )
    supplier.full_clean(exclude=["zones"])
    supplier.save()
    supplier.zones.set(zones)
    return supplier


@transaction.atomic
def catalogue_item_add(
    *,
    by,
    supplier: Supplier,
    date: dt.date,
    name: str,
    price: Decimal,
    unit: str = "份",
    stock: int | None = None,
    max_per_order: int | None = None,
    is_bundle: bool = False,
    description: str = "",
) -> CatalogueItem:
    """One item or bundle offered for one delivery day (`by` manages a zone served)."""
    if not may_manage_supplier(by, supplier):
        raise _refusal(by)
    if price is None or Decimal(price) < 0:
        raise ValidationError({"price": [ERR_PRICE]})
    if CatalogueItem.objects.filter(supplier=supplier, date=date, name=name.strip()).exists():
        raise ValidationError(
            {"name": [str(ERR_DUPLICATE_ITEM).format(name=name, date=date.isoformat())]}
        )
    item = CatalogueItem(
        supplier=supplier,
        date=date,
        name=name.strip(),
        unit=unit or "份",
        price=Decimal(price),
        stock=stock,
        max_per_order=max_per_order,
        is_bundle=is_bundle,
        description=description.strip(),
    )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def catalogue_copy(*, by, supplier: Supplier, from_date: dt.date, to_date: dt.date) -> int:
    """Offer a day's items again on another day (same prices and stock limits); items
    already listed that day are left alone. Returns the number of items added."""
    if not may_manage_supplier(by, supplier):
        raise _refusal(by)
    existing = set(
        CatalogueItem.objects.filter(supplier=supplier, date=to_date).values_list("name", flat=True)
    )
    new = [
        CatalogueItem(
            supplier=supplier,
            date=to_date,
            name=item.name,
            unit=item.unit,
            price=item.price,
            stock=item.stock,
            max_per_order=item.max_per_order,
            is_bundle=item.is_bundle,
            description=item.description,
        )
        for item in CatalogueItem.objects.filter(supplier=supplier, date=from_date)
        if item.name not in existing
    ]
    CatalogueItem.objects.bulk_create(new)
    return len(new)


# Orders


def _clean_quantities(quantities: dict[int, Any]) -> dict[int, int]:
    cleaned: dict[int, int] = {}
    errors: dict[str, list] = {}
    for item_id, raw in quantities.items():
        try:
            quantity = int(raw or 0)
        except (TypeError, ValueError):
            quantity = -1
        if quantity < 0:
            errors[f"item_{item_id}"] = [ERR_QUANTITY]
        elif quantity:
            cleaned[int(item_id)] = quantity
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError({"__all__": [ERR_EMPTY]}, code="empty")
    return cleaned


@transaction.atomic
def order_place(
    *,
    person: Person,
    quantities: dict[int, Any],
    channel: str,
    by,
    note: str = "",
    now: dt.datetime | None = None,
) -> Order:
    """Order items for the person's next round; refused as a whole if anything is wrong.
    Staff (`by`) order for the people whose files they keep; the person's own link passes
    None.

    The round is the one open at `now` (rules.round_date_for): items of another day are
    refused with ERR_ROUND_CLOSED, so an order sent after the cutoff goes to the next
    round, chosen from that day's list.
    """
    require_manager(by, "person", person)
    now = now or timezone.now()
    places = _places(person)
    wanted = _clean_quantities(quantities)
    values = policy_values(timezone.localdate(now))
    delivery_date = rules.round_date_for(now, values)
    items = {
        item.pk: item
        for item in CatalogueItem.objects.filter(
            pk__in=wanted, supplier__active=True, supplier__zones=person.zone_id
        ).select_related("supplier")
    }
    errors: dict[str, list] = {}
    for item_id in wanted:
        item = items.get(item_id)
        if item is None:
            errors[f"item_{item_id}"] = [ERR_ITEM_UNKNOWN]
        elif item.date != delivery_date:
            raise ValidationError(
                str(ERR_ROUND_CLOSED).format(
                    date=item.date.isoformat(), next=delivery_date.isoformat()
                ),
                code="round_closed",
            )
        elif item.max_per_order is not None and wanted[item_id] > item.max_per_order:
            errors[f"item_{item_id}"] = [
                str(ERR_TOO_MANY).format(limit=item.max_per_order, name=item.name)
            ]
    if errors:
        raise ValidationError(errors)
    # Items in id order, so that two orders never wait for each other's rows.
    for item_id in sorted(wanted):
        quantity = wanted[item_id]
        taken = (
            CatalogueItem.objects.filter(pk=item_id)
            .filter(Q(stock__isnull=True) | Q(stock__gte=F("ordered") + quantity))
            .update(ordered=F("ordered") + quantity)
        )
        if not taken:
            item = CatalogueItem.objects.get(pk=item_id)
            raise ValidationError(
                {f"item_{item_id}": [str(ERR_SOLD_OUT).format(name=item.name, left=item.left)]},
                code="sold_out",
            )
    order = Order.objects.create(
        person=person,
        delivery_date=delivery_date,
        channel=channel,
        placed_by=by if by is not None and by.is_authenticated else None,
        placed_at=now,
        note=note.strip()[:200],
        amount_due=sum((items[i].price * q for i, q in wanted.items()), start=Decimal("0")),
        **places,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(order=order, item=items[i], quantity=q, unit_price=items[i].price)
            for i, q in sorted(wanted.items())
        ]
    )
    return order


def _release_stock(order: Order) -> None:
    for line in order.lines.all():
        CatalogueItem.objects.filter(pk=line.item_id).update(ordered=F("ordered") - line.quantity)


@transaction.atomic
def order_cancel(*, order: Order, by, now: dt.datetime | None = None) -> Order:
    """Cancel an order and give its stock back. Through a personal link (`by` None) only
    until the cutoff; its managers may cancel until it is delivered."""
    require_manager(by, "person", order)
    now = now or timezone.now()
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PLACED:
        raise ValidationError(
            str(ERR_ORDER_NOT_OPEN).format(status=order.get_status_display()), code="not_open"
        )
    if by is None:
        deadline = rules.order_deadline(order.delivery_date, policy_values(order.delivery_date))
        if now >= deadline:
            raise ValidationError(
                str(ERR_CANCEL_CLOSED).format(
                    date=order.delivery_date.isoformat(),
                    deadline=timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M"),
                ),
                code="closed",
            )
    _release_stock(order)
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status"])
    return order


@transaction.atomic
def order_assign(*, by, order: Order, deliverer: Staff | None) -> Order:
    """Name who takes the bag to the door (a volunteer or staff member), or nobody; by its
    managers."""
    require_manager(by, "person", order)
    if order.status != OrderStatus.PLACED:
        raise ValidationError(
            str(ERR_ORDER_NOT_OPEN).format(status=order.get_status_display()), code="not_open"
        )
    if deliverer is not None and not deliverer.active:
        raise ValidationError({"deliverer": [ERR_NOT_VOLUNTEER]})
    if deliverer is not None:
        away = (
            Order.objects.filter(pk=order.pk)
            .annotate(away=away_at_subquery())
            .values_list("away", flat=True)[0]
        )
        if away:
            raise ValidationError(
                str(ERR_AWAY_FROM_HOME).format(name=order.person.name, facility=away),
                code="away_from_home",
            )
    order.deliverer = deliverer
    order.save(update_fields=["deliverer"])
    return order


@transaction.atomic
def order_deliver(
    *,
    order: Order,
    by,
    missing: dict[int, Any] | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Order:
    """Confirm the hand-over, with what was missing; the amount due drops accordingly.
    By its managers (at the gate) or the one named to take it to the door."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    _require_doer(by, order)
    if order.status != OrderStatus.PLACED:
        raise ValidationError(
            str(ERR_ORDER_NOT_OPEN).format(status=order.get_status_display()), code="not_open"
        )
    missing = missing or {}
    lines = list(order.lines.all())
    errors: dict[str, list] = {}
    for line in lines:
        try:
            gone = int(missing.get(line.pk) or 0)
        except (TypeError, ValueError):
            gone = -1
        if gone < 0:
            errors[f"missing_{line.pk}"] = [ERR_QUANTITY]
        elif gone > line.quantity:
            errors[f"missing_{line.pk}"] = [str(ERR_MISSING).format(quantity=line.quantity)]
        line.missing = max(gone, 0)
    if errors:
        raise ValidationError(errors)
    OrderLine.objects.bulk_update(lines, ["missing"])
    order.amount_due = sum(
        (line.unit_price * (line.quantity - line.missing) for line in lines), start=Decimal("0")
    )
    order.status = OrderStatus.DELIVERED
    order.delivered_at = now or timezone.now()
    order.delivered_by = by
    order.delivery_note = note.strip()[:200]
    order.save()
    return order


# Service requests and recurring visits


@transaction.atomic
def request_raise(
    *,
    person: Person,
    kind: str,
    description: str,
    channel: str,
    by,
    assigned_to: Staff | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """A request for help for a person, through their link (`by` None) or by the staff
    keeping the person's file."""
    require_manager(by, "person", person)
    places = _places(person)
    errors: dict[str, list] = {}
    if kind not in RequestKind.values:
        errors["kind"] = [ERR_KIND]
    description = (description or "").strip()
    if kind == RequestKind.OTHER and not description:
        errors["description"] = [ERR_DESCRIPTION]
    if errors:
        raise ValidationError(errors)
    return ServiceRequest.objects.create(
        person=person,
        kind=kind,
        description=description[:2000],
        channel=channel,
        raised_by=by if by is not None and by.is_authenticated else None,
        created_at=now or timezone.now(),
        status=RequestStatus.ASSIGNED if assigned_to else RequestStatus.OPEN,
        assigned_to=assigned_to,
        **places,
    )


def _open_request(request: ServiceRequest) -> ServiceRequest:
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in (RequestStatus.OPEN, RequestStatus.ASSIGNED):
        raise ValidationError(
            str(ERR_REQUEST_NOT_OPEN).format(status=request.get_status_display()),
            code="not_open",
        )
    return request


@transaction.atomic
def request_assign(*, by, request: ServiceRequest, staff: Staff | None) -> ServiceRequest:
    """Give a request to a volunteer or staff member (None: back to open); by its
    managers."""
    require_manager(by, "person", request)
    request = _open_request(request)
    if staff is not None and not staff.active:
        raise ValidationError({"assigned_to": [ERR_NOT_VOLUNTEER]})
    request.assigned_to = staff
    request.status = RequestStatus.ASSIGNED if staff else RequestStatus.OPEN
    request.save(update_fields=["assigned_to", "status"])
    return request


@transaction.atomic
def request_done(
    *, request: ServiceRequest, by, note: str = "", now: dt.datetime | None = None
) -> ServiceRequest:
    """Mark a request done, by its managers or the one it is given to; an unassigned one
    counts for whoever did it."""
    # Decided on the locked row (who it is given to now), before its status says anything.
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    _require_doer(by, request)
    request = _open_request(request)
    if request.assigned_to_id is None:
        request.assigned_to = getattr(by, "staff", None)
    request.status = RequestStatus.DONE
    request.done_at = now or timezone.now()
    request.done_by = by
    request.note = (note or "").strip()
    request.save()
    return request


@transaction.atomic
def request_cancel(*, by, request: ServiceRequest, note: str = "") -> ServiceRequest:
    """Cancel a request, by its managers."""
    require_manager(by, "person", request)
    request = _open_request(request)
    request.status = RequestStatus.CANCELLED
    request.note = (note or "").strip()
    request.save(update_fields=["status", "note"])
    return request


@transaction.atomic
def visit_create(
    *,
    person: Person,
    every_days: int,
    starts_on: dt.date,
    volunteer: Staff | None = None,
    ends_on: dt.date | None = None,
    note: str = "",
    by,
) -> RecurringVisit:
    """Regular visits to a person, every `every_days` days from `starts_on`; by the staff
    keeping the person's file."""
    require_manager(by, "person", person)
    places = _places(person)
    if not 1 <= int(every_days or 0) <= 60:
        raise ValidationError({"every_days": [ERR_EVERY_DAYS]})
    visit = RecurringVisit(
        person=person,
        every_days=int(every_days),
        starts_on=starts_on,
        ends_on=ends_on,
        volunteer=volunteer,
        note=note.strip(),
        created_by=by if by is not None and by.is_authenticated else None,
        **places,
    )
    visit.full_clean()
    visit.save()
    return visit


@transaction.atomic
def visit_record(
    *,
    visit: RecurringVisit,
    due_on: dt.date,
    by,
    note: str = "",
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Record the visit due on `due_on` as done (a service request of kind `visit`), by
    its managers or the one who makes the visits."""
    _require_doer(by, visit)
    now = now or timezone.now()
    today = timezone.localdate(now)
    if rules.visit_last_due(visit.starts_on, visit.every_days, visit.ends_on, due_on) != due_on:
        raise ValidationError(
            str(ERR_VISIT_NOT_DUE).format(date=due_on.isoformat()), code="not_due"
        )
    if due_on > today:
        raise ValidationError(
            str(ERR_VISIT_NOT_DUE).format(date=due_on.isoformat()), code="not_due"
        )
    if ServiceRequest.objects.filter(visit=visit, due_on=due_on).exists():
        raise ValidationError(str(ERR_VISIT_DONE).format(date=due_on.isoformat()), code="done")
    staff = visit.volunteer or getattr(by, "staff", None)
    return ServiceRequest.objects.create(
        person_id=visit.person_id,
        kind=RequestKind.VISIT,
        description=visit.note,
        channel=Channel.STAFF,
        raised_by=by,
        created_at=now,
        status=RequestStatus.DONE,
        assigned_to=staff,
        done_at=now,
        done_by=by,
        note=(note or "").strip(),
        visit=visit,
        due_on=due_on,
        district_id=visit.district_id,
        street_id=visit.street_id,
        community_id=visit.community_id,
        zone_id=visit.zone_id,
        building_id=visit.building_id,
    )


# The roster and care groups


@transaction.atomic
def volunteer_add(
    *,
    by,
    zone: Zone,
    kind: str,
    name: str = "",
    phone: str = "",
    availability: str = "",
    staff: Staff | None = None,
) -> Volunteer:
    """Put someone on the roster of a zone; a new person gets a staff record (no login).
    By the zone's managers."""
    require_manager(by, "zone", zone)
    if kind not in VolunteerKind.values:
        raise ValidationError({"kind": [ERR_KIND]})
    if staff is None:
        if not name.strip():
            raise ValidationError({"name": [ERR_NAME]})
        staff = Staff.objects.create(name=name.strip(), phone=phone.strip(), role=Role.VOLUNTEER)
    volunteer, _created = Volunteer.objects.update_or_create(
        staff=staff,
        defaults={"kind": kind, "availability": availability.strip(), **_zone_places(zone)},
    )
    return volunteer


@transaction.atomic
def care_group_create(
    *,
    by,
    zone: Zone,
    name: str,
    building: Building | None = None,
    chat_name: str = "",
    chat_link: str = "",
    staff: Staff | None = None,
) -> CareGroup:
    """A residents' group of a zone (or of one building) with its chat group; by the
    zone's managers."""
    require_manager(by, "zone", zone)
    if building is not None and building.zone_id != zone.pk:
        raise ValidationError({"building": [ERR_BUILDING_ZONE]})
    group = CareGroup(
        name=name.strip(),
        chat_name=chat_name.strip(),
        chat_link=chat_link.strip(),
        staff=staff,
        **_zone_places(zone, building),
    )
    group.full_clean()
    group.save()
    return group
