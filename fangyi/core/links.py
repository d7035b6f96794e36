"""Personal links without a login: `<row id>.<key>` signed with the site's secret.

Used by the quarantine self check-in link and the residents' grocery/request link.
A changed character breaks the signature (refused as altered); the caller compares
the key with the row's current key, so reissuing a key refuses older links (replaced).
"""

from __future__ import annotations

from django.core import signing
from django.utils.translation import gettext_lazy as _

ERR_ALTERED = _("This link is not valid: it was changed or copied incompletely.")
ERR_REPLACED = _("This link was replaced by a newer one; ask your community staff.")


class LinkError(Exception):
    """A link that cannot be used; `message` says why, in the reader's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def sign_link(salt: str, pk: int, key: str) -> str:
    return signing.Signer(salt=salt).sign(f"{pk}.{key}")


def read_link(salt: str, token: str) -> tuple[int, str]:
    """(row id, key) of a token; LinkError(ERR_ALTERED) when it was tampered with."""
    try:
        pk_text, key = signing.Signer(salt=salt).unsign(token).split(".", 1)
        return int(pk_text), key
    except (signing.BadSignature, ValueError):
        raise LinkError(ERR_ALTERED) from None
