"""Personal self check-in links: no login, a signed token naming one case.

The token is `<case id>.<case key>` signed with the site's secret; a changed
character breaks the signature (refused as altered), a reissued key makes old
links unusable (refused as replaced), and a closed case ends the link (expired).
"""

from __future__ import annotations

from django.core import signing
from django.utils.translation import gettext_lazy as _

from fangyi.quarantine.choices import ACTIVE_STATES
from fangyi.quarantine.models import QuarantineCase, new_checkin_key

SALT = "fangyi.quarantine.checkin"

ERR_ALTERED = _("This link is not valid: it was changed or copied incompletely.")
ERR_REPLACED = _("This link was replaced by a newer one; ask your community staff.")
ERR_EXPIRED = _("This link has expired: the quarantine has ended.")


class CheckinLinkError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def checkin_token(case: QuarantineCase) -> str:
    return signing.Signer(salt=SALT).sign(f"{case.pk}.{case.checkin_key}")


def case_for_token(token: str) -> QuarantineCase:
    try:
        value = signing.Signer(salt=SALT).unsign(token)
        pk_text, key = value.split(".", 1)
        pk = int(pk_text)
    except (signing.BadSignature, ValueError):
        raise CheckinLinkError(ERR_ALTERED) from None
    case = QuarantineCase.objects.select_related("person", "policy").filter(pk=pk).first()
    if case is None:
        raise CheckinLinkError(ERR_ALTERED)
    if case.checkin_key != key:
        raise CheckinLinkError(ERR_REPLACED)
    if case.state not in ACTIVE_STATES:
        raise CheckinLinkError(ERR_EXPIRED)
    return case


def checkin_reissue(case: QuarantineCase) -> str:
    """A new link; the old one stops working."""
    case.checkin_key = new_checkin_key()
    case.save(update_fields=["checkin_key"])
    return checkin_token(case)
