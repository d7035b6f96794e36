"""Day counting, derived from dates (see docs/quarantine.md).

The rule, in Asia/Shanghai time:
- day 1 is the arrival day (the local date of the arrival time);
- day N is the N-th local calendar day counted from it, inclusive;
- the release date is arrival day + quarantine days (+ days added by extensions),
  i.e. with 14 days, someone arriving on 18 February 2020 is on day 14 on 2 March and
  is released on 3 March; days at a health station count toward the 14;
- at a station, a person may go home from station day `station_days_min` on and should
  have gone by day `station_days_max`.

Nothing here reads the clock: callers pass `today` (timezone.localdate()).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from fangyi.core.policy import PolicyValues


def local_date(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar date of an aware datetime."""
    return timezone.localtime(moment).date()


def day_number(start: dt.date, today: dt.date) -> int:
    """Day N of the quarantine on `today`; day 1 is `start`. 0 or less before it starts."""
    return (today - start).days + 1


def release_date(start: dt.date, values: PolicyValues, extension_days: int = 0) -> dt.date:
    return start + dt.timedelta(days=values.quarantine_days + extension_days)


def total_days(values: PolicyValues, extension_days: int = 0) -> int:
    return values.quarantine_days + extension_days


@dataclass(frozen=True)
class StationWindow:
    earliest_home: dt.date  # first day the person may go home
    latest_home: dt.date  # last station day; home by then at the latest


def station_window(start: dt.date, values: PolicyValues) -> StationWindow:
    return StationWindow(
        earliest_home=start + dt.timedelta(days=values.station_days_min - 1),
        latest_home=start + dt.timedelta(days=values.station_days_max - 1),
    )


def station_days_left(start: dt.date, today: dt.date, values: PolicyValues) -> int:
    """Station days left after today, up to the policy's maximum (0 on the last day)."""
    return max(0, values.station_days_max - day_number(start, today))


def slot_of(moment: dt.datetime, values: PolicyValues) -> tuple[dt.date, str]:
    """The (local date, slot name) a health check taken at `moment` belongs to."""
    local = timezone.localtime(moment)
    slots = values.slot_ends()
    for name, end in slots:
        if local.time() < end:
            return local.date(), name
    return local.date(), slots[-1][0]


def slot_deadline(date: dt.date, slot: str, values: PolicyValues) -> dt.datetime:
    """When a slot ends, as an aware datetime."""
    end = dict(values.slot_ends())[slot]
    return timezone.make_aware(dt.datetime.combine(date, end))


def slots_between(
    since: dt.datetime, until: dt.datetime, values: PolicyValues
) -> list[tuple[dt.date, str]]:
    """Every slot whose deadline falls in (since, until]: the ones that may have been missed."""
    result = []
    day = local_date(since)
    last = local_date(until)
    while day <= last:
        for name, _end in values.slot_ends():
            deadline = slot_deadline(day, name, values)
            if since < deadline <= until:
                result.append((day, name))
        day += dt.timedelta(days=1)
    return result
