"""The key that seals what the offline pages keep on a phone (docs/offline.md, "The
phone's store").

One AES-256 key per user, derived on the server and stored nowhere: an HMAC of the
user's id and session auth hash under the site's SECRET_KEY. A new login of the same user
on the phone gets the same key, so visits and gate checks queued by a session that has
since expired are read and sent then; another user, or anybody without the login, cannot
read them. The session auth hash changes with the password, so a password change makes
every store sealed before it unreadable (what was queued in it is counted on the page as
not readable, never sent by somebody else).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.crypto import salted_hmac

KEY_SALT = "fangyi.core.offline_key"


@dataclass(frozen=True)
class OfflineKey:
    """A user's store key, as the page receives it."""

    key: str  # base64url, no padding, of the 32 key bytes
    kid: str  # a short fingerprint of the key: which key sealed a record
    user_id: int
    expires_at: dt.datetime  # the session's expiry: the store's data is kept until then


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def offline_key_for(*, user: AbstractBaseUser, session_expires_at: dt.datetime) -> OfflineKey:
    """The store key of `user` (a logged-in user; the API refuses anybody else first)."""
    raw = salted_hmac(
        KEY_SALT, f"{user.pk}:{user.get_session_auth_hash()}", algorithm="sha256"
    ).digest()
    kid = _b64(hashlib.sha256(b"kid:" + raw).digest()[:9])
    return OfflineKey(key=_b64(raw), kid=kid, user_id=int(user.pk), expires_at=session_expires_at)
