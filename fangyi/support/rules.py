"""Dates of the grocery rounds and of recurring visits, derived (nothing is scheduled).

All days are calendar days in Asia/Shanghai (the site's time zone).

- **Rounds.** The round of day D is the delivery of D's orders in the afternoon of D,
  at the policy's `grocery_delivery_time` (15:00). Orders for D close on the evening
  before, at `grocery_order_cutoff` (20:00): an order made before 20:00 on day D−1 is for
  day D; at 20:00 or later it goes to the next round, D+1.
- **Recurring visits** are due on `starts_on`, then every `every_days` days, up to
  `ends_on` if set. On a given day the visit is due when that day's latest due date has
  no visit recorded for it; a missed due date is replaced by the next one.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangyi.core.policy import PolicyValues


def _time(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def round_date_for(now: dt.datetime, values: PolicyValues) -> dt.date:
    """The delivery day an order made at `now` belongs to."""
    local = timezone.localtime(now)
    days = 1 if local.time() < _time(values.grocery_order_cutoff) else 2
    return local.date() + dt.timedelta(days=days)


def order_deadline(delivery_date: dt.date, values: PolicyValues) -> dt.datetime:
    """The moment orders for `delivery_date` close (the evening before, aware)."""
    eve = delivery_date - dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(eve, _time(values.grocery_order_cutoff)))


def delivery_time(delivery_date: dt.date, values: PolicyValues) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(delivery_date, _time(values.grocery_delivery_time))
    )


def visit_last_due(
    starts_on: dt.date, every_days: int, ends_on: dt.date | None, day: dt.date
) -> dt.date | None:
    """The latest due date of a recurring visit on or before `day`, or None."""
    if day < starts_on:
        return None
    last = min(day, ends_on) if ends_on else day
    if last < starts_on:
        return None
    return starts_on + dt.timedelta(days=((last - starts_on).days // every_days) * every_days)


def visit_due_dates(
    starts_on: dt.date, every_days: int, ends_on: dt.date | None, first: dt.date, last: dt.date
) -> list[dt.date]:
    """Every due date of a recurring visit between `first` and `last`, inclusive."""
    if ends_on is not None:
        last = min(last, ends_on)
    if last < starts_on or last < first:
        return []
    offset = max(0, (first - starts_on).days)
    step = -(-offset // every_days) * every_days  # first multiple of every_days ≥ offset
    day = starts_on + dt.timedelta(days=step)
    dates = []
    while day <= last:
        dates.append(day)
        day += dt.timedelta(days=every_days)
    return dates
