"""The support API: rounds, orders, requests, visits due and service counts; scoped
like the pages (a volunteer's token reaches only what is assigned to it), and the
services decide who may change what (a refusal is a 403)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Router, Status

from fangyi.people.selectors import person_get
from fangyi.support import selectors, services
from fangyi.support.choices import Channel
from fangyi.support.schemas import (
    CountsOut,
    DeliverIn,
    DoneIn,
    DueVisitOut,
    OrderIn,
    OrderOut,
    RequestIn,
    RequestOut,
    RoundOut,
)

router = Router(tags=["support"])
MAX_LIMIT = 500


def _order(order) -> dict:
    person = order.person
    return {
        "id": order.pk,
        "person_id": order.person_id,
        "person_name": person.name,
        "zone_id": order.zone_id,
        "building": order.building.name if order.building_id else None,
        "room": person.dwelling.room if person.dwelling_id else None,
        "delivery_date": order.delivery_date,
        "status": order.status,
        "channel": order.channel,
        "to_door": bool(getattr(order, "to_door", False)),
        "deliverer_id": order.deliverer_id,
        "amount_due": order.amount_due,
        "delivered_at": order.delivered_at,
        "lines": [
            {
                "id": line.pk,
                "item_id": line.item_id,
                "item": line.item.name,
                "supplier": line.item.supplier.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "missing": line.missing,
            }
            for line in order.lines.all()
        ],
    }


def _request(item) -> dict:
    return {
        "id": item.pk,
        "person_id": item.person_id,
        "person_name": item.person.name,
        "zone_id": item.zone_id,
        "kind": item.kind,
        "description": item.description,
        "channel": item.channel,
        "status": item.status,
        "assigned_to_id": item.assigned_to_id,
        "created_at": item.created_at,
        "done_at": item.done_at,
        "note": item.note,
    }


def _order_detail(user, pk: int) -> dict:
    return _order(selectors.with_details(selectors.orders_for(user).filter(pk=pk)).get())


@router.get("/orders", response=list[OrderOut])
def order_list(request, date: dt.date | None = None, limit: int = 100, offset: int = 0):
    """Orders the caller may see (a volunteer: those to take to the door), newest day first."""
    orders = selectors.orders_for(request.user)
    if date is not None:
        orders = orders.filter(delivery_date=date)
    limit = max(1, min(limit, MAX_LIMIT))
    rows = selectors.with_details(orders).order_by("-delivery_date", "id")[
        max(0, offset) : max(0, offset) + limit
    ]
    return [_order(o) for o in rows]


@router.post("/orders", response={201: OrderOut})
def order_create(request, payload: OrderIn):
    """Order for someone in the caller's area, for the round open now."""
    person = person_get(request.user, payload.person_id)
    order = services.order_place(
        person=person,
        quantities=dict(payload.quantities),
        channel=Channel.API,
        by=request.user,
        note=payload.note,
    )
    return Status(201, _order_detail(request.user, order.pk))


@router.post("/orders/{order_id}/deliver", response=OrderOut)
def order_deliver(request, order_id: int, payload: DeliverIn):
    order = selectors.order_get(request.user, order_id)
    services.order_deliver(
        order=order, by=request.user, missing=dict(payload.missing), note=payload.note
    )
    return _order_detail(request.user, order.pk)


@router.get("/rounds/{zone_id}/{date}", response=RoundOut)
def round_detail(request, zone_id: int, date: dt.date):
    """A zone's round: its orders and the pick list of each supplier."""
    selectors.check_manager_pages(request.user)
    zone = selectors.zone_get(request.user, zone_id)
    orders = selectors.round_orders(request.user, zone, date)
    return {
        "zone_id": zone.pk,
        "date": date,
        "orders": [_order(o) for o in orders],
        "pick_lists": [
            {
                "supplier_id": pick.supplier.pk,
                "supplier": pick.supplier.name,
                "lines": [
                    {
                        "item_id": line.item.pk,
                        "item": line.item.name,
                        "unit": line.item.unit,
                        "quantity": line.quantity,
                        "orders": line.orders,
                    }
                    for line in pick.lines
                ],
            }
            for pick in selectors.pick_lists(orders)
        ],
    }


@router.get("/requests", response=list[RequestOut])
def request_list(request, status: str | None = None, limit: int = 100, offset: int = 0):
    rows = selectors.requests_for(request.user).select_related("person")
    if status:
        rows = rows.filter(status=status)
    limit = max(1, min(limit, MAX_LIMIT))
    return [_request(r) for r in rows[max(0, offset) : max(0, offset) + limit]]


@router.post("/requests", response={201: RequestOut})
def request_create(request, payload: RequestIn):
    person = person_get(request.user, payload.person_id)
    item = services.request_raise(
        person=person,
        kind=payload.kind,
        description=payload.description,
        channel=Channel.API,
        by=request.user,
    )
    return Status(201, _request(item))


@router.post("/requests/{request_id}/done", response=RequestOut)
def request_done(request, request_id: int, payload: DoneIn):
    item = selectors.request_get(request.user, request_id)
    return _request(services.request_done(request=item, by=request.user, note=payload.note))


@router.get("/visits/due", response=list[DueVisitOut])
def visits_due(request, date: dt.date | None = None):
    """Recurring visits due on a day (today by default) and not yet recorded."""
    day = date or timezone.localdate()
    return [
        {
            "visit_id": d.visit.pk,
            "person_id": d.visit.person_id,
            "person_name": d.visit.person.name,
            "due_on": d.due_on,
            "volunteer_id": d.visit.volunteer_id,
        }
        for d in selectors.visits_due(request.user, day)
    ]


@router.get("/counts", response=CountsOut)
def counts(request, date_from: dt.date | None = None, date_to: dt.date | None = None):
    """Services done (person-times) per volunteer, zone and community."""
    result = selectors.service_counts(request.user, date_from, date_to)

    def rows(pairs):
        return [{"id": obj.pk, "name": obj.name, "count": n} for obj, n in pairs]

    return {
        "total": result.total,
        "per_volunteer": rows(result.per_staff),
        "per_zone": rows(result.per_zone),
        "per_community": rows(result.per_community),
    }
