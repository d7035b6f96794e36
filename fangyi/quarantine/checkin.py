"""Personal self check-in links: no login, a signed token naming one case.

The token is `<case id>.<case key>` signed with the site's secret; a changed
character breaks the signature (refused as altered), a reissued key makes old
links unusable (refused as replaced), and a closed case ends the link (expired).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fangyi.core.links import ERR_ALTERED, ERR_REPLACED, LinkError, read_link, sign_link
from fangyi.quarantine.choices import ACTIVE_STATES
from fangyi.quarantine.models import QuarantineCase, new_checkin_key

SALT = "fangyi.quarantine.checkin"

ERR_EXPIRED = _("This link has expired: the quarantine has ended.")


__all__ = ["ERR_ALTERED", "ERR_EXPIRED", "ERR_REPLACED", "LinkError", "case_for_token"]


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
