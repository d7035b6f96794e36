"""Personal self check-in links: no login, a signed token naming one case.

The token is `<case id>.<case key>` signed with the site's secret; a changed
character breaks the signature (refused as altered), a reissued key makes old
links unusable (refused as replaced), and a closed case ends the link (expired).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from fangyi.core.links import ERR_ALTERED, ERR_REPLACED, LinkError, read_link, sign_link
from fangyi.core.middleware import client_ip
from fangyi.core.ratelimit import allow
from fangyi.quarantine.choices import ACTIVE_STATES
from fangyi.quarantine.models import QuarantineCase, new_checkin_key

SALT = "fangyi.quarantine.checkin"

ERR_EXPIRED = _("This link has expired: the quarantine has ended.")
ERR_CHECKIN_RATE_LIMITED = _(
    "Too many check-ins were sent in a short time; wait a few minutes and send again."
)

# Check-ins sent per link and per client address in a window of 10 minutes: a person
# checks in twice a day and may correct a typo; a household shares one phone, a
# station's desk checks in for many; more than this is a script.
PER_LINK_LIMIT = 10
PER_ADDRESS_LIMIT = 60
WINDOW = 600


__all__ = [
    "ERR_ALTERED",
    "ERR_CHECKIN_RATE_LIMITED",
    "ERR_EXPIRED",
    "ERR_REPLACED",
    "LinkError",
    "case_for_token",
    "checkin_allowed",
]


def checkin_token(case: QuarantineCase) -> str:
    return sign_link(SALT, case.pk, case.checkin_key)


def case_for_token(token: str) -> QuarantineCase:
    pk, key = read_link(SALT, token)
    case = QuarantineCase.objects.select_related("person", "policy").filter(pk=pk).first()
    if case is None:
        raise LinkError(ERR_ALTERED)
    if case.checkin_key != key:
        raise LinkError(ERR_REPLACED)
    if case.state not in ACTIVE_STATES:
        raise LinkError(ERR_EXPIRED)
    return case


def checkin_reissue(case: QuarantineCase) -> str:
    """A new link; the old one stops working."""
    case.checkin_key = new_checkin_key()
    case.save(update_fields=["checkin_key"])
    return checkin_token(case)


def checkin_allowed(request, token: str) -> bool:
    """Count one check-in POST against the link and the client address (in the database,
    so every worker counts against the same limit); False once either is used up."""
    by_link = allow(f"checkin:link:{token[-16:]}", limit=PER_LINK_LIMIT, window=WINDOW)
    address = client_ip(request) or "unknown"
    by_address = allow(f"checkin:ip:{address}", limit=PER_ADDRESS_LIMIT, window=WINDOW)
    return by_link and by_address


@dataclass(frozen=True)
class WhatNext:
    """What a resident whose check-in shows a fever or symptoms is told: who will call,
    what to do meanwhile and whom to call (the phone of the facility the case is at, else
    the zone's contact phone, else the nearest staff on the person's duty chain)."""

    fever: bool
    symptoms: bool
    call_name: str
    call_phone: str


def what_next(case: QuarantineCase, check) -> WhatNext | None:
    """None when the check is normal; else what the check-in page tells the resident."""
    from fangyi.core.policy import values_of
    from fangyi.people.selectors import duty_chain

    fever = check.temperature >= values_of(case.policy).fever_threshold
    symptoms = bool(check.symptoms)
    if not fever and not symptoms:
        return None
    stage = (
        case.stages.filter(ended_at__isnull=True, facility__isnull=False)
        .select_related("facility")
        .first()
    )
    facility = stage.facility if stage is not None else None
    if facility is not None and facility.phone:
        return WhatNext(fever, symptoms, facility.name, facility.phone)
    zone = case.person.zone
    if zone is not None and zone.contact_phone:
        return WhatNext(fever, symptoms, zone.name, zone.contact_phone)
    for assignment in duty_chain(case.person):
        if assignment.staff.phone:
            return WhatNext(fever, symptoms, assignment.staff.name, assignment.staff.phone)
    return WhatNext(fever, symptoms, "", "")
