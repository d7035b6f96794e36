from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseClassification(models.TextChoices):
    """What a confirmed-case record says of the person; it sets their health status
    (people.choices.HealthStatus of the same value) in the same transaction."""

    CONFIRMED = "confirmed", _("confirmed case")
    ASYMPTOMATIC = "asymptomatic", _("asymptomatic infection")
    SUSPECTED = "suspected", _("suspected case")


class ZoneStatus(models.TextChoices):
    """A zone's colour on the overview, worst first: the first that applies wins."""

    QUARANTINE = "quarantine", _("people in quarantine")
    FEVER = "fever", _("open fever alert")
    NEW_CASE = "new_case", _("new confirmed case in the last 14 days")
    CLEAR = "clear", _("clear")


# How far back a confirmed case keeps a zone marked (the brief's 14 days).
RECENT_CASE_DAYS = 14
# How many days the trend charts and the stats API show by default.
TREND_DAYS = 60

# The site plan's own coordinates (the demo generator's building polygons use them).
CANVAS_WIDTH = 1000
CANVAS_HEIGHT = 700
