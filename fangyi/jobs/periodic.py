"""The periodic tasks: what the worker runs on its own schedule, and when.

Each entry names a function by its dotted path (imported when it runs, so this module
imports no domain app) and a schedule that gives, for a moment, the period it falls in
once the period's run is due (else None). A run is recorded as (name, period), unique:
with any number of workers looking at the clock, each period's run happens once
(`jobs.worker.Scheduler`). A period missed while no worker ran is not made up for: the
next due period runs (each of these tasks catches up by itself: the purge removes what
is older than the cut-off, the sweep raises every missed slot since the case began).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

Schedule = Callable[[dt.datetime], str | None]


def every(seconds: int) -> Schedule:
    """Every `seconds` (periods aligned on the epoch, in UTC)."""

    def period(now: dt.datetime) -> str | None:
        start = int(now.timestamp()) // seconds * seconds
        return dt.datetime.fromtimestamp(start, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return period


def daily(at: str | Callable[[dt.date], str]) -> Schedule:
    """Once a local day (the site's time zone), from the local time `at` ("HH:MM", or a
    function of the day giving it, e.g. a policy value)."""

    def period(now: dt.datetime) -> str | None:
        local = timezone.localtime(now)
        when = at(local.date()) if callable(at) else at
        if local.time() < dt.time.fromisoformat(when):
            return None
        return local.date().isoformat()

    return period


def check_slots(now: dt.datetime) -> str | None:
    """After the end of each health-check slot of the policy in force (missed check-ins)."""
    local = timezone.localtime(now)
    ended = [name for name, end in _values(local.date()).slot_ends() if end <= local.time()]
    if not ended:
        return None
    return f"{local.date().isoformat()} {ended[-1]}"


def _values(day: dt.date):
    from fangyi.core.policy import policy_in_force, values_of

    return values_of(policy_in_force(day))


def _daily_report_time(day: dt.date) -> str:
    return _values(day).daily_report_time


@dataclass(frozen=True)
class Periodic:
    name: str
    # Dotted path; called with no arguments; returns a count, a dict of counts, or an
    # object with `counts` (what the run's row keeps).
    function: str
    schedule: Schedule
    description: str


PERIODIC: tuple[Periodic, ...] = (
    Periodic(
        "missed_checkins",
        "fangyi.quarantine.services.alerts_sync_missed",
        check_slots,
        "alerts for check-in slots that ended without a check, after each slot",
    ),
    Periodic(
        "states",
        "fangyi.people.state.refresh_expired",
        daily("00:00"),
        "states that end by themselves (returnee, close contact) derived again, after midnight",
    ),
    Periodic(
        "daily_report",
        "fangyi.reports.issued.daily_reports_issue",
        daily(_daily_report_time),
        "each district's daily report written at the policy's time",
    ),
    Periodic(
        "partitions",
        "fangyi.retention.partitions.ensure_partitions",
        daily("01:00"),
        "PostgreSQL: the month partitions of the event tables made ahead (docs/retention.md)",
    ),
    Periodic(
        "purge",
        "fangyi.retention.services.retention_purge",
        daily("02:30"),
        "personal data the policy no longer needs removed, nightly",
    ),
)

BY_NAME = {periodic.name: periodic for periodic in PERIODIC}
