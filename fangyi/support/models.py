"""Supplies and care for sealed-off residents: suppliers, daily catalogue, grocery
orders, service requests, recurring visits, the volunteer roster and care groups.

Rows about a person carry the ids of the person's places (district … building),
copied by the services when the row is made, so that the one scoping function
(`duty.scope`) filters them with one indexed condition, as it does people.
Nothing that changes by itself is stored: the delivery round of a zone and day,
hand-over at the gate or the door, and which visits are due are derived when read.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.duty.models import Staff
from fangyi.people.models import Person
from fangyi.places.models import Building, Community, District, Street, Zone
from fangyi.support.choices import (
    Channel,
    OrderStatus,
    RequestKind,
    RequestStatus,
    SupplierKind,
    VolunteerKind,
)


def new_link_key() -> str:
    return secrets.token_urlsafe(12)


class Placed(models.Model):
    """The place ids of a row (as on Person), for scoping without joins."""

    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    street = models.ForeignKey(Street, models.PROTECT, related_name="+")
    community = models.ForeignKey(Community, models.PROTECT, related_name="+")
    zone = models.ForeignKey(Zone, models.PROTECT, related_name="+", verbose_name=_("zone"))
    building = models.ForeignKey(
        Building,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )

    class Meta:
        abstract = True


class Supplier(models.Model):
    """A farm, shop or supermarket that delivers to the gates of the zones it serves."""

    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    name = models.CharField(pgettext_lazy("supplier", "name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=SupplierKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    zones = models.ManyToManyField(Zone, related_name="suppliers", verbose_name=_("zones served"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return self.name


class CatalogueItem(models.Model):
    """One item or set bundle a supplier offers for one delivery day.

    `stock` is the most that may be ordered for that day (empty: no limit); `ordered`
    counts what has been ordered, raised only by a conditional UPDATE so that
    concurrent orders can never take it past the stock (and a check constraint
    guards it in the database too).
    """

    supplier = models.ForeignKey(
        Supplier, models.CASCADE, related_name="items", verbose_name=_("supplier")
    )
    date = models.DateField(_("delivery day"))
    name = models.CharField(pgettext_lazy("item", "name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, default="份")
    is_bundle = models.BooleanField(_("set bundle"), default=False)
    description = models.CharField(_("contents"), max_length=200, blank=True)
    price = models.DecimalField(_("price"), max_digits=8, decimal_places=2)
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True)
    max_per_order = models.PositiveIntegerField(_("most per order"), null=True, blank=True)
    ordered = models.PositiveIntegerField(_("ordered"), default=0)

    class Meta:
        ordering = ["date", "supplier", "name", "id"]
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "date", "name"], name="catalogue_item_unique_per_day"
            ),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(ordered__lte=F("stock")),
                name="catalogue_item_not_oversold",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalogue_item_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%Y-%m-%d})"

    @property
    def left(self) -> int | None:
        return None if self.stock is None else self.stock - self.ordered


class ResidentLink(models.Model):
    """The key of a resident's personal link (groceries and requests without a login).

    Reissuing the key makes older links unusable.
    """

    person = models.OneToOneField(Person, models.CASCADE, related_name="support_link")
    key = models.CharField(max_length=32, default=new_link_key)
    created_at = models.DateTimeField(_("created at"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("personal link")
        verbose_name_plural = _("personal links")

    def __str__(self) -> str:
        return f"{self.person_id}"


class Order(Placed):
    """A grocery order of one person for one delivery day (the round of their zone)."""

    person = models.ForeignKey(
        Person, models.PROTECT, related_name="grocery_orders", verbose_name=_("person")
    )
    delivery_date = models.DateField(_("delivery day"))
    status = models.CharField(
        _("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    channel = models.CharField(_("ordered through"), max_length=8, choices=Channel.choices)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    placed_at = models.DateTimeField(_("ordered at"))
    deliverer = models.ForeignKey(
        Staff,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("delivered to the door by"),
    )
    amount_due = models.DecimalField(
        _("amount due"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    delivery_note = models.CharField(_("delivery note"), max_length=200, blank=True)

    class Meta:
        ordering = ["delivery_date", "building", "id"]
        verbose_name = _("grocery order")
        verbose_name_plural = _("grocery orders")
        indexes = [models.Index(fields=["zone", "delivery_date"], name="order_round_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.delivery_date:%Y-%m-%d}"


class OrderLine(models.Model):
    """An item of an order, with the price of the day and what was missing at delivery."""

    order = models.ForeignKey(Order, models.CASCADE, related_name="lines")
    item = models.ForeignKey(CatalogueItem, models.PROTECT, related_name="lines")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("price"), max_digits=8, decimal_places=2)
    missing = models.PositiveIntegerField(_("missing"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "item"], name="order_line_unique_item"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_gte_1"),
            models.CheckConstraint(
                condition=Q(missing__lte=F("quantity")), name="order_line_missing_lte_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} × {self.quantity}"


class Volunteer(Placed):
    """A member of the roster: a party member or volunteer, the zone they serve, when free."""

    staff = models.OneToOneField(
        Staff, models.CASCADE, related_name="volunteer", verbose_name=_("staff member")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=VolunteerKind.choices)
    availability = models.CharField(_("availability"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["zone", "kind", "id"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self) -> str:
        return self.staff.name


class RecurringVisit(Placed):
    """Regular visits to a person (an elderly person living alone): due every
    `every_days` days from `starts_on` (derived, never scheduled)."""

    person = models.ForeignKey(
        Person, models.PROTECT, related_name="recurring_visits", verbose_name=_("person")
    )
    every_days = models.PositiveSmallIntegerField(_("every (days)"))
    starts_on = models.DateField(_("first visit"))
    ends_on = models.DateField(_("last visit"), null=True, blank=True)
    volunteer = models.ForeignKey(
        Staff,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="recurring_visits",
        verbose_name=_("visited by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("recurring visit")
        verbose_name_plural = _("recurring visits")
        constraints = [
            models.CheckConstraint(
                condition=Q(every_days__gte=1), name="recurring_visit_every_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} / {self.every_days}"


class ServiceRequest(Placed):
    """Help asked for by (or for) a person: groceries, medicine, rubbish, repairs, a visit.

    A recurring visit done on a due day is also recorded as a request (kind `visit`,
    `visit` and `due_on` set), so every service done is counted the same way.
    """

    person = models.ForeignKey(
        Person, models.PROTECT, related_name="service_requests", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RequestKind.choices)
    description = models.TextField(_("what is needed"), blank=True)
    channel = models.CharField(_("raised through"), max_length=8, choices=Channel.choices)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("raised at"))
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    assigned_to = models.ForeignKey(
        Staff,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("assigned to"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    visit = models.ForeignKey(
        RecurringVisit, models.SET_NULL, null=True, blank=True, related_name="done_visits"
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "due_on"],
                condition=Q(visit__isnull=False),
                name="service_request_one_per_visit_day",
            ),
        ]
        indexes = [models.Index(fields=["zone", "status"], name="service_request_zone_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class CareGroup(Placed):
    """A residents' group (a zone, or one building of it) with its chat group and the
    staff member responsible for its people in quarantine."""

    name = models.CharField(pgettext_lazy("group", "name"), max_length=100)
    chat_name = models.CharField(_("chat group"), max_length=100, blank=True)
    chat_link = models.URLField(_("chat group link"), blank=True)
    staff = models.ForeignKey(
        Staff,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible"),
    )

    class Meta:
        ordering = ["zone", "building", "id"]
        verbose_name = _("care group")
        verbose_name_plural = _("care groups")

    def __str__(self) -> str:
        return self.name
