"""Residents' personal links: groceries and requests without a login.

The same idea as the quarantine self check-in link: the token is
`<person id>.<key>` signed with the site's secret, so a changed character is
refused as altered and a reissued key refuses older links as replaced. A link
only ever shows and acts on its own person's orders and requests.
"""

from __future__ import annotations

from django.core import signing
from django.utils.translation import gettext_lazy as _

from fangyi.people.models import Person
from fangyi.support.models import ResidentLink, new_link_key

SALT = "fangyi.support.resident"

ERR_ALTERED = _("This link is not valid: it was changed or copied incompletely.")
ERR_REPLACED = _("This link was replaced by a newer one; ask your community staff.")


class LinkError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def resident_token(person: Person) -> str:
    """The person's link token (the key is made on first use)."""
    link, _created = ResidentLink.objects.get_or_create(person=person)
    return signing.Signer(salt=SALT).sign(f"{person.pk}.{link.key}")


def person_for_token(token: str) -> Person:
    """The person a token names, or LinkError with the reason."""
    try:
        pk_text, key = signing.Signer(salt=SALT).unsign(token).split(".", 1)
        pk = int(pk_text)
    except (signing.BadSignature, ValueError):
        raise LinkError(ERR_ALTERED) from None
    link = (
        ResidentLink.objects.select_related("person", "person__building", "person__dwelling")
        .filter(person_id=pk)
        .first()
    )
    if link is None:
        raise LinkError(ERR_ALTERED)
    if link.key != key:
        raise LinkError(ERR_REPLACED)
    return link.person


def resident_link_reissue(person: Person) -> str:
    """A new link for the person; older ones stop working."""
    ResidentLink.objects.update_or_create(person=person, defaults={"key": new_link_key()})
    return resident_token(person)
