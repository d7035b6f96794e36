"""Writes for staff and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from fangyi.core.sql import run
from fangyi.duty.models import ApiToken, Staff

TOKEN_PREFIX = "fy_"
# What is kept of the plain token to tell tokens apart: "fy_" and 8 random characters.
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# A token's life when none is asked for, and the longest one may ask for.
TOKEN_DAYS = 90
TOKEN_MAX_DAYS = 366

# How often a token's "last used" time is written: at most once a minute per token.
LAST_USED_EVERY = dt.timedelta(seconds=60)

# Refusal codes in the API's error shape (stable; never translated).
TOKEN_EXPIRED = "token_expired"
TOKEN_REVOKED = "token_revoked"

ERR_TOKEN_DAYS = _("A token lives between 1 and %(max)d days; got %(days)s.")
ERR_TOKEN_EXPIRED = _(
    "This API token expired on %(date)s. Ask an operator for a new one (fangyi token USER)."
)
ERR_TOKEN_REVOKED = _(
    "This API token was revoked on %(date)s. Ask an operator for a new one (fangyi token USER)."
)
ERR_NO_TOKEN = _("No API token starts with %(prefix)s.")
ERR_TOKEN_PREFIX_AMBIGUOUS = _(
    "%(count)d API tokens start with %(prefix)s; give more of the token."
)


class TokenRefused(Exception):
    """A known token that no longer works, with its code and a message saying why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, label: str = "", days: int = TOKEN_DAYS) -> str:
    """Make a new API token for `user`, valid for `days` days; the plain token is
    returned once and never stored."""
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": ERR_TOKEN_DAYS % {"max": TOKEN_MAX_DAYS, "days": days}}, code="invalid"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        digest=token_digest(token),
        prefix=token[:SHOWN_PREFIX_LENGTH],
        label=label,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return token


@transaction.atomic
def api_token_revoke(*, prefix: str) -> ApiToken:
    """Revoke the one token that starts with `prefix` (as `fangyi token --list` shows
    it) or is exactly `prefix` (the whole token). Revoking twice keeps the first time."""
    prefix = prefix.strip()
    found = list(ApiToken.objects.filter(digest=token_digest(prefix))) if prefix else []
    if not found and len(TOKEN_PREFIX) < len(prefix) <= SHOWN_PREFIX_LENGTH:
        found = list(ApiToken.objects.filter(prefix__startswith=prefix)[:10])
    if not found:
        raise ValidationError(ERR_NO_TOKEN % {"prefix": prefix}, code="not_found")
    if len(found) > 1:
        raise ValidationError(
            ERR_TOKEN_PREFIX_AMBIGUOUS % {"count": len(found), "prefix": prefix}, code="invalid"
        )
    token = found[0]
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def api_tokens_revoke_for_user(*, user) -> int:
    """Revoke every token of `user` that still works (a lost phone, someone leaving);
    returns how many."""
    return ApiToken.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())


_principal_sql: str | None = None
# Columns of a row of principal_sql(), for a caller that reads it inside its own statement.
PRINCIPAL_COLUMNS = 6


def principal_sql() -> str:
    """The token's statement: (token_id, user_id, is_superuser, stale (last use), revoked,
    expired) of the active user whose token has the digest; parameters from
    principal_params. The scan reads it inside its first statement (passes.scanning)."""
    global _principal_sql
    if _principal_sql is None:
        users = connection.ops.quote_name(get_user_model()._meta.db_table)
        _principal_sql = (
            "SELECT t.id AS token_id, u.id AS user_id, u.is_superuser AS is_superuser, "
            "t.last_used_at IS NULL OR t.last_used_at < %s AS stale, "
            "t.revoked_at IS NOT NULL AS revoked, "
            "t.expires_at IS NOT NULL AND t.expires_at <= %s AS expired "
            f"FROM duty_apitoken t JOIN {users} u ON u.id = t.user_id "
            "WHERE t.digest = %s AND u.is_active"
        )
    return _principal_sql


def principal_params(token: str, now: dt.datetime) -> tuple:
    adapt = connection.ops.adapt_datetimefield_value
    return (adapt(now - LAST_USED_EVERY), adapt(now), token_digest(token))


def principal_of_row(row: tuple | list | None, now: dt.datetime) -> tuple[int, bool] | None:
    """(user id, is operator) of a row of principal_sql() (None: no such token, or all
    its columns NULL), or TokenRefused for an expired or revoked token; records the
    token's use when the last one is stale."""
    if row is None or row[0] is None:
        return None
    token_id, user_id, is_superuser, stale, revoked, expired = row[:PRINCIPAL_COLUMNS]
    if revoked or expired:
        raise _refusal(token_id)
    if stale:
        adapt = connection.ops.adapt_datetimefield_value
        run("UPDATE duty_apitoken SET last_used_at = %s WHERE id = %s", (adapt(now), token_id))
    return user_id, bool(is_superuser)


def api_token_principal(token: str) -> tuple[int, bool] | None:
    """(user id, is operator) of the active user a token belongs to, or None for a token
    nobody has; raises TokenRefused for an expired or revoked one. Records when it was
    last used, at most once a minute. Plain SQL (core.sql): one statement, which the
    scan reads inside its own (passes.scanning.scan, a device's api_token)."""
    if not token:
        return None
    now = timezone.now()
    rows = run(principal_sql(), principal_params(token, now))
    return principal_of_row(rows[0] if rows else None, now)


def _refusal(token_id: int) -> TokenRefused:
    """Why a token is refused (revoked first: it was an operator's decision)."""
    revoked_at, expires_at = ApiToken.objects.values_list("revoked_at", "expires_at").get(
        pk=token_id
    )
    if revoked_at is not None:
        date = date_format(timezone.localtime(revoked_at), "DATETIME_FORMAT")
        return TokenRefused(TOKEN_REVOKED, ERR_TOKEN_REVOKED % {"date": date})
    date = date_format(timezone.localtime(expires_at), "DATETIME_FORMAT")
    return TokenRefused(TOKEN_EXPIRED, ERR_TOKEN_EXPIRED % {"date": date})


def api_token_user(token: str):
    """The active user a token belongs to, or None; raises TokenRefused for an expired
    or revoked token. Records when it was last used."""
    found = api_token_principal(token)
    if found is None:
        return None
    return get_user_model().objects.get(pk=found[0])


def user_is_staff_member(user) -> bool:
    """An active login of an operator or of a member of staff (active Staff record):
    who may read the API's documentation."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Staff.objects.filter(user=user, active=True).exists()


def user_by_username(username: str):
    return get_user_model().objects.filter(username=username).first()
