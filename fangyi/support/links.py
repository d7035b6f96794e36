"""Residents' personal links: groceries and requests without a login.

The same idea as the quarantine self check-in link: the token is
`<person id>.<key>` signed with the site's secret, so a changed character is
refused as altered and a reissued key refuses older links as replaced. A link
only ever shows and acts on its own person's orders and requests.
"""

from __future__ import annotations

from fangyi.core.links import ERR_ALTERED, ERR_REPLACED, LinkError, read_link, sign_link
from fangyi.people.models import Person
from fangyi.support.models import ResidentLink, new_link_key
from fangyi.support.services import require_manager

SALT = "fangyi.support.resident"

__all__ = ["ERR_ALTERED", "ERR_REPLACED", "LinkError", "person_for_token", "resident_token"]


def resident_token(person: Person) -> str:
    """The person's link token (the key is made on first use)."""
    link, _created = ResidentLink.objects.get_or_create(person=person)
    return sign_link(SALT, person.pk, link.key)


def person_for_token(token: str) -> Person:
    """The person a token names, or LinkError with the reason."""
    pk, key = read_link(SALT, token)
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


def resident_link_reissue(*, by, person: Person) -> str:
    """A new link for the person, by the staff managing its supplies and care (`by` None:
    the system); older ones stop working."""
    require_manager(by, "person", person)
    ResidentLink.objects.update_or_create(person=person, defaults={"key": new_link_key()})
    return resident_token(person)
