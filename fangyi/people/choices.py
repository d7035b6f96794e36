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
    ASYMPTOMATIC = "asymptomatic", _("asymptomatic infection")
    RECOVERED = "recovered", _("recovered")


class EpidemicState(models.TextChoices):
    """A person's one epidemic state (people.state, docs/state.md), in precedence order:
    the first that applies is the state."""

    CONFIRMED = "confirmed", _("confirmed case")
    POSITIVE = "positive", _("positive test")
    SUSPECTED = "suspected", _("suspected case")
    HOSPITAL = "hospital", _("in hospital")
    OBSERVATION = "observation", _("at an observation point")
    STATION = "station", _("at a health station")
    HOME = "home", _("home quarantine")
    CONTACT = "contact", _("close contact under observation")
    REVIEW = "review", _("fever or symptoms held for review")
    RETURNEE = "returnee", _("returnee, station monitoring not done")
    UNVERIFIED = "unverified", _("file not verified")
    CLEAR = "clear", _("clear")


# States that need a facility or isolation now (red at the gate under every policy).
ISOLATE_STATES = (
    EpidemicState.CONFIRMED,
    EpidemicState.POSITIVE,
    EpidemicState.SUSPECTED,
    EpidemicState.HOSPITAL,
    EpidemicState.OBSERVATION,
)
# People under quarantine or isolation: "in quarantine" on the zone map, the overview, the
# statistics and the daily report (a close contact not yet taken in is counted apart).
IN_QUARANTINE_STATES = (
    *ISOLATE_STATES,
    EpidemicState.STATION,
    EpidemicState.HOME,
)


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
    "case": _("confirmed-case record"),
}
