from django.db import models
from django.utils.translation import gettext_lazy as _


class DocType(models.TextChoices):
    ID_CARD = "id_card", _("mainland ID card")
    HK_MACAU = "hk_macau", _("Hong Kong/Macau permit")
    TAIWAN = "taiwan", _("Taiwan permit")
    PASSPORT = "passport", _("passport")


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")
    UNKNOWN = "U", _("unknown")


class TravelStatus(models.TextChoices):
    NEVER_LEFT = "never_left", _("never left the city")
    RETURNED = "returned", _("left and returned")
    NEW_ARRIVAL = "new_arrival", _("newly arrived")
    AWAY = "away", _("away, not yet returned")


class HealthStatus(models.TextChoices):
    NORMAL = "normal", _("normal")
    SYMPTOMS = "symptoms", _("has symptoms")
    SUSPECTED = "suspected", _("suspected case")
    CONFIRMED = "confirmed", _("confirmed case")
    RECOVERED = "recovered", _("recovered")


# The vulnerability flags, as (field name, label); the form and the page list them in this order.
VULNERABILITY_FLAGS = (
    ("elderly_alone", _("elderly living alone")),
    ("disabled", _("disabled")),
    ("pregnant", _("pregnant")),
    ("chronic_illness", _("chronic illness")),
)


# Where a change to a file came from (PersonEvent.source); other values are shown as stored.
SOURCE_LABELS = {
    "web": _("web page"),
    "api": _("API"),
    "import": _("import"),
    "demo": _("demo data"),
    "pass": _("pass application"),
    "quarantine": _("quarantine intake"),
}
