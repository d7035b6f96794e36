"""Day counting: arrival day is day 1; release on arrival + 14; Asia/Shanghai days."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from fangyi.core.policy import PolicyValues
from fangyi.quarantine import rules
from fangyi.quarantine.tests.conftest import at

P = PolicyValues()


def test_arrival_day_is_day_one():
    start = dt.date(2020, 2, 18)
    assert rules.day_number(start, start) == 1
    assert rules.day_number(start, dt.date(2020, 2, 23)) == 6


def test_release_date_and_the_day_14_edge():
    start = dt.date(2020, 2, 18)
    # 2020 is a leap year: 18 Feb + 14 days = 3 March (the example on the case page).
    assert rules.release_date(start, P) == dt.date(2020, 3, 3)
    assert rules.day_number(start, dt.date(2020, 3, 2)) == 14
    assert rules.day_number(start, dt.date(2020, 3, 3)) == 15
    assert rules.release_date(start, P, extension_days=3) == dt.date(2020, 3, 6)


@given(st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_exactly_fourteen_days_in_quarantine(start):
    release = rules.release_date(start, P)
    days = [start + dt.timedelta(days=i) for i in range((release - start).days)]
    assert len(days) == 14
    assert rules.day_number(start, days[-1]) == 14


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2020, 2, 1, 23, 59), dt.date(2020, 2, 1)),
        (at(2020, 2, 2, 0, 0), dt.date(2020, 2, 2)),
        (at(2020, 2, 2, 0, 1), dt.date(2020, 2, 2)),
        # 16:30 UTC is 00:30 the next day in Shanghai.
        (dt.datetime(2020, 2, 1, 16, 30, tzinfo=dt.UTC), dt.date(2020, 2, 2)),
        (dt.datetime(2020, 2, 1, 15, 59, tzinfo=dt.UTC), dt.date(2020, 2, 1)),
    ],
)
def test_arrival_around_midnight_shanghai(moment, expected):
    assert rules.local_date(moment) == expected


def test_station_window_counts_toward_fourteen():
    start = dt.date(2020, 2, 10)
    window = rules.station_window(start, P)
    assert window.earliest_home == dt.date(2020, 2, 12)  # station day 3
    assert window.latest_home == dt.date(2020, 2, 14)  # station day 5
    assert rules.station_days_left(start, start, P) == 4
    assert rules.station_days_left(start, dt.date(2020, 2, 14), P) == 0
    # Going home on day 4 changes nothing about the release date.
    assert rules.release_date(start, P) == dt.date(2020, 2, 24)


def test_slots():
    assert rules.slot_of(at(2020, 2, 3, 7, 0), P) == (dt.date(2020, 2, 3), "am")
    assert rules.slot_of(at(2020, 2, 3, 11, 59), P) == (dt.date(2020, 2, 3), "am")
    assert rules.slot_of(at(2020, 2, 3, 12, 0), P) == (dt.date(2020, 2, 3), "pm")
    assert rules.slot_of(at(2020, 2, 3, 22, 0), P) == (dt.date(2020, 2, 3), "pm")
    slots = rules.slots_between(at(2020, 2, 3, 10, 0), at(2020, 2, 4, 13, 0), P)
    assert slots == [
        (dt.date(2020, 2, 3), "am"),
        (dt.date(2020, 2, 3), "pm"),
        (dt.date(2020, 2, 4), "am"),
    ]
    # An arrival after noon owes no morning check that day.
    assert rules.slots_between(at(2020, 2, 3, 12, 30), at(2020, 2, 3, 20, 0), P) == [
        (dt.date(2020, 2, 3), "pm")
    ]


def test_policy_values_from_json():
    values = PolicyValues.from_json({"fever_threshold": "37.5", "quarantine_days": 7})
    assert values.quarantine_days == 7 and str(values.fever_threshold) == "37.5"
    with (
        translation.override("zh-hans"),
        pytest.raises(ImproperlyConfigured, match="未知的政策参数：typo_days"),
    ):
        PolicyValues.from_json({"typo_days": 3})
    with translation.override("en"), pytest.raises(ImproperlyConfigured, match="Unknown"):
        PolicyValues.from_json({"typo_days": 3})
