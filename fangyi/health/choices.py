from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExposureKind(models.TextChoices):
    HOUSEHOLD = "household", pgettext_lazy("kind of contact", "household")
    WORK = "work", _("work")
    TRANSPORT = "transport", _("transport")
    CARE = "care", _("care")
    OTHER = "other", _("other")


class AlertKind(models.TextChoices):
    """What an alert is about (health.models.Alert)."""

    FEVER = "fever", _("fever")
    SYMPTOM = "symptom", _("symptoms")
    POSITIVE_TEST = "positive_test", _("positive test")
    MISSED_CHECK = "missed_check", _("missed check-in")
    CONFIRMED_CASE = "confirmed_case", _("confirmed case")
    EXPOSURE = "exposure", _("exposure to a case")
    GATE_OBSERVATION = "gate_observation", _("sent to an observation point at a gate")
    STATION_REFERRAL = "station_referral", _("referred to the health station")
    HIGH_RISK_ARRIVAL = "high_risk_arrival", _("arrival from a risk area")
    OFFLINE_MISMATCH = "offline_mismatch", _("gate check offline showed another colour")


class AlertSource(models.TextChoices):
    """Where the fact behind an alert was recorded."""

    GATE = "gate", _("gate check")
    VISIT = "visit", _("screening visit")
    CHECKIN = "checkin", _("quarantine check-in")
    TEST = "test", _("nucleic acid test")
    CASE = "case", _("quarantine case")
    EXPOSURE = "exposure", _("exposure")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    CLOSED = "closed", _("closed")


# A fever or symptoms alert holds its person for review while open or acknowledged
# (people.state), whatever its source except a quarantine check-in: a quarantined
# person's check-in fever does not change their state, their case does.
HOLDING_KINDS = (AlertKind.FEVER.value, AlertKind.SYMPTOM.value)
NOT_HOLDING_SOURCES = (AlertSource.CHECKIN.value,)
HOLDING_STATUSES = (AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value)
