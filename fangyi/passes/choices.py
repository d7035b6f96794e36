from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Colour(models.TextChoices):
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")


class Reason(models.TextChoices):
    """Why a pass shows its colour (stored on each gate check, with the policy version)."""

    CLEAR = "clear", _("nothing against entry")
    CONFIRMED = "confirmed", _("confirmed case")
    SUSPECTED = "suspected", _("suspected case")
    POSITIVE = "positive", _("positive nucleic acid test")
    CLOSE_CONTACT = "close_contact", _("close contact under observation")
    QUARANTINE = "quarantine", _("under quarantine observation")
    QUARANTINE_YELLOW = "quarantine_yellow", _("returnee under quarantine (yellow in this policy)")
    FEVER_NOW = "fever_now", _("fever at this check")
    FEVER_PENDING = "fever_pending", _("fever or symptoms found earlier, pending review")
    UNVERIFIED = "unverified", _("information not yet verified")
    STATION_UNFINISHED = "station_unfinished", _("returnee, station monitoring not finished")
    NORMAL_CHECKINS = "normal_checkins", _("enough consecutive normal check-ins")
    VISITOR = "visitor", _("visitor without a pass")


class CheckColour(models.TextChoices):
    """What a gate check showed: a pass's colour, or refused (the pass does not admit)."""

    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")
    REFUSED = "refused", _("refused")


class RefusalReason(models.TextChoices):
    """Why a real pass was refused at a gate (a refused gate check's reason): the
    refusal codes of passes.tokens for a pass this system made."""

    REVOKED = "revoked", _("pass revoked")
    REPLACED = "replaced", _("pass replaced by a newer one")
    REJECTED = "rejected", _("application rejected")
    EXPIRED = "expired", _("pass expired")
    OTHER_DISTRICT = "other_district", _("pass of another district")
    KEY_RETIRED = "key_retired", _("signed with a retired key")
    NOT_YET_VALID = "not_yet_valid", _("dated after the check")


# A gate check's reason: the colour's (Reason) or the refusal's (RefusalReason).
CHECK_REASONS = [*Reason.choices, *RefusalReason.choices]


class Decision(models.TextChoices):
    """What the guard did."""

    PENDING = "", _("not yet decided")
    LET_IN = "let_in", _("let in")
    TEMPORARY = "temporary", _("temporary entry")
    VERIFIED = "verified", _("verified on the spot")
    OBSERVATION = "observation", _("sent to the observation point")
    HELD = "held", _("held for review (fever)")
    TURNED_AWAY = "turned_away", _("turned away")
    STATION = "station", _("sent to the health station")


# The decisions a guard may record for each colour shown.
DECISIONS_FOR: dict[str, tuple[str, ...]] = {
    "green": (Decision.LET_IN,),
    "yellow": (Decision.TEMPORARY, Decision.VERIFIED, Decision.TURNED_AWAY),
    "red": (Decision.OBSERVATION,),
    # A pass that does not admit: the person is turned away (held with a fever).
    "refused": (Decision.TURNED_AWAY,),
}
# With a fever the person is held; the guard may still send a red to the observation point.
FEVER_DECISIONS = (Decision.HELD, Decision.OBSERVATION)
# Decisions that move the person's state or tell others (passes.referrals), in the
# transaction of the decision.
REFERRAL_DECISIONS = (Decision.OBSERVATION, Decision.STATION)


def decisions_for(colour: str, fever: bool, reason: str = "") -> tuple[str, ...]:
    """The decisions a guard may record for a check that showed this colour, fever and
    reason; the page offers exactly these. A returnee whose station monitoring is not
    done may be sent to the health station (its doctor is told to expect them:
    passes.referrals)."""
    if fever:
        return FEVER_DECISIONS if colour == "red" else (Decision.HELD,)
    if colour == "yellow" and reason == Reason.STATION_UNFINISHED:
        return (Decision.STATION, *DECISIONS_FOR[colour])
    return DECISIONS_FOR[colour]


def differs_offline(*, shown: str, decision: str, colour: str, fever: bool, reason: str) -> bool:
    """Whether a check made offline came out otherwise on the server: the phone showed
    another colour (`shown`; "" for a check made online: never), or the guard's decision
    there is not one the server's answer allows (choices.decisions_for)."""
    if not shown:
        return False
    if shown != colour:
        return True
    return bool(decision) and decision not in decisions_for(colour, fever, reason)


def decision_allowed_q() -> Q:
    """decisions_for's rule as a filter on gate checks: the check's decision (or none) is
    one its colour, fever and reason allow. The gate board finds with it the checks made
    offline whose decision the server's answer does not allow (passes.selectors)."""
    allowed = Q(decision="")
    for colour, decisions in DECISIONS_FOR.items():
        allowed |= Q(fever=False, colour=colour, decision__in=decisions)
    allowed |= Q(
        fever=False, colour="yellow", reason=Reason.STATION_UNFINISHED, decision=Decision.STATION
    )
    allowed |= Q(fever=True, colour="red", decision__in=FEVER_DECISIONS)
    allowed |= Q(fever=True, decision=Decision.HELD)
    return allowed


class Method(models.TextChoices):
    SCAN = "scan", _("QR scanned")
    CODE = "code", _("code typed")
    VISITOR = "visitor", _("visitor registered by hand")
    DEVICE = "device", _("device (API)")


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("waiting for verification")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class FeverStatus(models.TextChoices):
    OPEN = "open", _("pending review")
    CLEARED = "cleared", _("cleared on review")
    REFERRED = "referred", _("referred for medical care")
