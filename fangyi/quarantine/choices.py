from django.db import models
from django.utils.translation import gettext_lazy as _

from fangyi.health import choices as health_choices


class FacilityKind(models.TextChoices):
    STATION = "station", _("health station")
    OBSERVATION = "observation", _("observation point")
    HOTEL = "hotel", _("quarantine hotel")
    HOSPITAL = "hospital", _("hospital")


class CaseReason(models.TextChoices):
    RETURNED = "returned", _("returned from elsewhere")
    CLOSE_CONTACT = "close_contact", _("close contact")
    FEVER = "fever", _("fever")
    OTHER = "other", _("other")


class CaseState(models.TextChoices):
    """Where a case is now. The first four are active (the person is under quarantine)."""

    STATION = "station", _("at a health station")
    HOME = "home", _("home quarantine")
    OBSERVATION = "observation", _("at an observation point")
    HOSPITAL = "hospital", _("in hospital")
    RELEASED = "released", _("released")
    TRANSFERRED = "transferred", _("transferred out")


ACTIVE_STATES = (CaseState.STATION, CaseState.HOME, CaseState.OBSERVATION, CaseState.HOSPITAL)
CLOSED_STATES = (CaseState.RELEASED, CaseState.TRANSFERRED)


class StageKind(models.TextChoices):
    STATION = "station", _("health station")
    HOME = "home", _("home")
    OBSERVATION = "observation", _("observation point")
    HOSPITAL = "hospital", _("hospital")


class ReleaseKind(models.TextChoices):
    NORMAL = "normal", _("normal release")
    EARLY = "early", _("early release")


class TestResult(models.TextChoices):
    PENDING = "pending", _("pending")
    NEGATIVE = "negative", _("negative")
    POSITIVE = "positive", _("positive")


class CheckChannel(models.TextChoices):
    SELF = "self", _("self check-in")
    STAFF = "staff", _("staff")


# The alert kinds and statuses are the one alert model's (health.Alert).
AlertKind = health_choices.AlertKind
AlertStatus = health_choices.AlertStatus


SYMPTOMS = (
    ("cough", _("cough")),
    ("fatigue", _("fatigue")),
    ("sore_throat", _("sore throat")),
    ("short_breath", _("shortness of breath")),
    ("diarrhoea", _("diarrhoea")),
    ("loss_of_smell", _("loss of smell or taste")),
)


# CaseEvent.action → what the history shows.
CASE_ACTIONS = {
    "intake": _("intake"),
    "move_home": _("moved to home quarantine"),
    "send_to_observation": _("sent to an observation point"),
    "transfer_to_hospital": _("transferred to hospital"),
    "release_normal": _("released"),
    "release_early": _("released early"),
    "transfer_out": _("transferred out"),
    "extend": _("quarantine extended"),
    "reapply_policy": _("policy re-applied"),
    "test_sampled": _("test sampled"),
    "test_negative": _("test negative"),
    "test_positive": _("test positive"),
    "checkin_reissued": _("new self check-in link (the old one refused)"),
    "contact_day1_moved": _("day 1 moved to the last exposure to a case"),
}

# Health check slots named in the policy (core.policy.PolicyValues.check_slots).
SLOT_LABELS = {"am": _("morning"), "pm": _("evening")}
