"""Writes for staff and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from fangyi.core.sql import run
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


# How often a token's "last used" time is written: at most once a minute per token.
LAST_USED_EVERY = dt.timedelta(seconds=60)


_principal_sql: str | None = None


def api_token_principal(token: str) -> tuple[int, bool] | None:
    """(user id, is operator) of the active user a token belongs to, or None; records
    when it was last used. Plain SQL (core.sql): the scan path calls it on every check."""
    global _principal_sql
    if not token:
        return None
    if _principal_sql is None:
        users = connection.ops.quote_name(get_user_model()._meta.db_table)
        _principal_sql = (
            "SELECT t.id, u.id, u.is_superuser, t.last_used_at IS NULL OR t.last_used_at < %s "
            f"FROM duty_apitoken t JOIN {users} u ON u.id = t.user_id "
            "WHERE t.digest = %s AND u.is_active"
        )
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    rows = run(_principal_sql, (adapt(now - LAST_USED_EVERY), token_digest(token)))
    if not rows:
        return None
    token_id, user_id, is_superuser, stale = rows[0]
    if stale:
        run("UPDATE duty_apitoken SET last_used_at = %s WHERE id = %s", (adapt(now), token_id))
    return user_id, bool(is_superuser)


def api_token_user(token: str):
    """The active user a token belongs to, or None. Records when it was last used."""
    found = api_token_principal(token)
    if found is None:
        return None
    return get_user_model().objects.get(pk=found[0])


def user_by_username(username: str):
    return get_user_model().objects.filter(username=username).first()
