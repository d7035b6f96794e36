from django.db import models
from django.utils.translation import gettext_lazy as _


class SupplierKind(models.TextChoices):
    FARM = "farm", _("farm")
    SHOP = "shop", _("shop")
    SUPERMARKET = "supermarket", _("supermarket")
    PHARMACY = "pharmacy", _("pharmacy")


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("placed")
    DELIVERED = "delivered", _("delivered")
    CANCELLED = "cancelled", _("cancelled")


class Channel(models.TextChoices):
    """How an order or a request came in."""

    LINK = "link", _("personal link")
    STAFF = "staff", _("by staff")
    API = "api", _("API")


class Handover(models.TextChoices):
    """Where the bag is handed over (derived from the person's quarantine on the day)."""

    GATE = "gate", _("at the gate")
    DOOR = "door", _("to the door")


class RequestKind(models.TextChoices):
    GROCERIES = "groceries", _("groceries")
    MEDICINE = "medicine", _("medicine")
    RUBBISH = "rubbish", _("rubbish")
    REPAIRS = "repairs", _("repairs")
    VISIT = "visit", _("talk or visit")
    OTHER = "other", _("other")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("open")
    ASSIGNED = "assigned", _("assigned")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


OPEN_REQUEST_STATES = (RequestStatus.OPEN, RequestStatus.ASSIGNED)


class VolunteerKind(models.TextChoices):
    PARTY_MEMBER = "party_member", _("party member")
    VOLUNTEER = "volunteer", _("volunteer")
