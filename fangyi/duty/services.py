"""Writes for staff and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fangyi.duty.models import ApiToken

TOKEN_PREFIX = "fy_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, label: str = "") -> str:
    """Make a new API token for `user`; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, digest=token_digest(token), label=label)
    return token


def api_token_user(token: str):
    """The active user a token belongs to, or None. Records when it was last used."""
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(token), user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def user_by_username(username: str):
    return get_user_model().objects.filter(username=username).first()
