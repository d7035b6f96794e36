"""Logins: lockout (django-axes, per account and per client address) and passwords.

django-axes keeps failed logins in the database (so every app node and worker shares
them, on SQLite and PostgreSQL alike) and refuses a locked-out login before its password
is checked. Two things are fangyi's own:

- one limit per account (`AXES_FAILURE_LIMIT`) and a higher one per address
  (`LOGIN_FAILURES_PER_ADDRESS`): axes has one limit for all its lockout parameters, and
  a community office puts all its staff behind one address;
- the lockout answer is a page of the site, in the user's language, saying for how long
  and what to do, instead of a bare 403.

An operator unlocks early with `fangyi axes_reset_username USERNAME` or
`fangyi axes_reset_ip ADDRESS` (or deletes the attempt in the admin).
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import password_validation
from django.db.models import Sum
from django.shortcuts import render
from django.utils.translation import ngettext


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses the logins of a locked-out account or address.

    A login without a request (the test client's `login()`, a shell) is no attempt
    from a client: there is no address to count, and axes would raise instead."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a separate limit for the client address."""

    def get_failures(self, request, credentials=None) -> int:
        counts = {}
        for parameter, attempts in zip(
            settings.AXES_LOCKOUT_PARAMETERS,
            self.get_user_attempts(request, credentials),
            strict=True,
        ):
            total = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            counts[parameter if isinstance(parameter, str) else tuple(parameter)] = total
        failures = counts.get("username", 0)
        if counts.get("ip_address", 0) >= settings.LOGIN_FAILURES_PER_ADDRESS:
            # The address is locked: report at least the account limit, which is what
            # axes compares with.
            failures = max(failures, settings.AXES_FAILURE_LIMIT)
        return failures

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is None:
            return  # see LoginLockoutBackend: nothing to count
        super().user_login_failed(sender, credentials, request=request, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets: 429, in the user's language, with the wait."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with a message that has a Chinese translation (Django 5.2 changed its
    msgid and its zh_Hans catalogue still has the old one, so the refusal was English)."""

    def get_error_message(self):
        return ngettext(
            "This password is too short: use at least %(min_length)d character.",
            "This password is too short: use at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
