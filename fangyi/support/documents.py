"""Bag labels: one label (100 × 70 mm) per order, large type, for the round's bags."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.utils.translation import gettext as _

from fangyi.core.documents import pdf_document, pdf_response
from fangyi.core.text import list_separator
from fangyi.places.models import Zone
from fangyi.support.models import Order

LABEL_SIZE = (100, 70)  # mm, landscape
NAME_SIZE = 30
PLACE_SIZE = 22
ITEMS_SIZE = 12


def order_items_text(order: Order) -> str:
    """`菜包A ×2、鸡蛋 ×1` from the prefetched lines."""
    return list_separator().join(f"{line.item.name} ×{line.quantity}" for line in order.lines.all())


def labels_document(zone: Zone, day: dt.date, orders: list[Order]) -> bytes:
    doc = pdf_document(
        title=_("Bag labels %(zone)s %(date)s") % {"zone": zone.name, "date": day.isoformat()},
        page_size=LABEL_SIZE,
        orientation="landscape",
        font_size=ITEMS_SIZE,
        margin=4,
    )
    if not orders:
        doc.paragraph(_("No orders for this round."), size=PLACE_SIZE)
    for index, order in enumerate(orders):
        if index:
            doc.page_break()
        doc.paragraph(order.person.name, size=NAME_SIZE)
        room = order.person.dwelling.room if order.person.dwelling_id else ""
        building = order.building.name if order.building_id else ""
        doc.paragraph(f"{building} {room}".strip(), size=PLACE_SIZE)
        handover = _("to the door") if getattr(order, "to_door", False) else _("at the gate")
        doc.paragraph(
            f"{zone.name} · {day.isoformat()} · {handover} · #{order.pk}", size=ITEMS_SIZE - 2
        )
        doc.paragraph(order_items_text(order), size=ITEMS_SIZE)
    return doc.render()


def labels_pdf(zone: Zone, day: dt.date, orders: list[Order]) -> HttpResponse:
    filename = _("bag-labels-%(zone)s-%(date)s") % {"zone": zone.name, "date": day.isoformat()}
    return pdf_response(filename, labels_document(zone, day, orders))
