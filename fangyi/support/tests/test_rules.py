"""The derived dates: which round an order goes to, and when visits come due."""

import datetime as dt

import pytest

from fangyi.core.policy import PolicyValues
from fangyi.support import rules
from fangyi.support.tests.conftest import at

VALUES = PolicyValues()


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2020, 2, 10, 0, 0), dt.date(2020, 2, 11)),
        (at(2020, 2, 10, 19, 59), dt.date(2020, 2, 11)),
        (at(2020, 2, 10, 20, 0), dt.date(2020, 2, 12)),
        (at(2020, 2, 10, 20, 1), dt.date(2020, 2, 12)),
        (at(2020, 2, 10, 23, 59), dt.date(2020, 2, 12)),
        # 11:59 UTC is 19:59 in Shanghai; 12:01 UTC is 20:01.
        (dt.datetime(2020, 2, 10, 11, 59, tzinfo=dt.UTC), dt.date(2020, 2, 11)),
        (dt.datetime(2020, 2, 10, 12, 1, tzinfo=dt.UTC), dt.date(2020, 2, 12)),
    ],
)
def test_round_date_for_cutoff_in_shanghai(moment, expected):
    assert rules.round_date_for(moment, VALUES) == expected


def test_deadline_and_delivery_time_follow_the_policy():
    assert rules.order_deadline(dt.date(2020, 2, 11), VALUES) == at(2020, 2, 10, 20)
    assert rules.delivery_time(dt.date(2020, 2, 11), VALUES) == at(2020, 2, 11, 15)
    later = PolicyValues(grocery_order_cutoff="18:30")
    assert rules.round_date_for(at(2020, 2, 10, 18, 45), later) == dt.date(2020, 2, 12)


def test_policy_values_read_the_grocery_times_from_json():
    values = PolicyValues.from_json({"grocery_order_cutoff": "21:00"})
    assert rules.round_date_for(at(2020, 2, 10, 20, 30), values) == dt.date(2020, 2, 11)


def test_visit_due_dates_every_three_days():
    start = dt.date(2020, 2, 1)
    assert rules.visit_due_dates(start, 3, None, dt.date(2020, 2, 1), dt.date(2020, 2, 10)) == [
        dt.date(2020, 2, 1),
        dt.date(2020, 2, 4),
        dt.date(2020, 2, 7),
        dt.date(2020, 2, 10),
    ]
    assert rules.visit_due_dates(start, 3, None, dt.date(2020, 2, 5), dt.date(2020, 2, 9)) == [
        dt.date(2020, 2, 7)
    ]
    assert rules.visit_due_dates(start, 3, dt.date(2020, 2, 6), start, dt.date(2020, 2, 29)) == [
        dt.date(2020, 2, 1),
        dt.date(2020, 2, 4),
    ]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2020, 1, 31), None),
        (dt.date(2020, 2, 1), dt.date(2020, 2, 1)),
        (dt.date(2020, 2, 3), dt.date(2020, 2, 1)),
        (dt.date(2020, 2, 4), dt.date(2020, 2, 4)),
        (dt.date(2020, 2, 6), dt.date(2020, 2, 4)),
    ],
)
def test_visit_last_due(day, expected):
    assert rules.visit_last_due(dt.date(2020, 2, 1), 3, None, day) == expected


def test_visit_last_due_stops_at_the_end():
    assert rules.visit_last_due(
        dt.date(2020, 2, 1), 3, dt.date(2020, 2, 5), dt.date(2020, 2, 20)
    ) == (dt.date(2020, 2, 4))
