"""Outline validation, confirmed cases and the days-since-last-case edges."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from fangyi.reports import selectors
from fangyi.reports.services import (
    ERR_ALREADY_CONFIRMED,
    ERR_FUTURE,
    ERR_NO_AREA,
    ERR_OUTSIDE,
    ERR_POINTS_SHAPE,
    ERR_SELF_CROSSING,
    ERR_TOO_FEW,
    confirmed_case_create,
    polygon_clean,
)


def error_of(raw) -> str:
    with pytest.raises(ValidationError) as info:
        polygon_clean(raw)
    return info.value.message_dict["polygon"][0]


def test_polygon_rules():
    assert polygon_clean([[0, 0], [1000, 0], [1000, 700], [0, 700]]) == [
        [0, 0],
        [1000, 0],
        [1000, 700],
        [0, 700],
    ]
    # A repeated corner (double click) and a closing point are dropped.
    assert polygon_clean([[1, 1], [1, 1], [9, 1], [9, 9], [1, 1]]) == [[1, 1], [9, 1], [9, 9]]
    assert error_of("nope") == str(ERR_POINTS_SHAPE)
    assert error_of([[1, 1], [2, "x"], [3, 3]]) == str(ERR_POINTS_SHAPE)
    assert error_of([[1, 1], [2, True], [3, 3]]) == str(ERR_POINTS_SHAPE)
    assert error_of([[1, 1], [2, float("nan")], [3, 3]]) == str(ERR_POINTS_SHAPE)
    assert error_of([[1, 1], [9, 1]]) == str(ERR_TOO_FEW)
    assert error_of([[-1, 1], [9, 1], [9, 9]]) == str(ERR_OUTSIDE % {"width": 1000, "height": 700})
    assert error_of([[1, 1], [9, 1], [9, 701]]).startswith(str(ERR_OUTSIDE)[:10])
    assert error_of([[1, 1], [5, 5], [9, 9]]) == str(ERR_NO_AREA)
    # A bow tie crosses itself.
    assert error_of([[0, 0], [10, 10], [10, 0], [0, 10]]) == str(ERR_SELF_CROSSING)


@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=1000), st.floats(min_value=0, max_value=700)),
        min_size=0,
        max_size=12,
    )
)
def test_what_is_kept_is_valid_again(points):
    try:
        cleaned = polygon_clean([list(p) for p in points])
    except ValidationError:
        return
    assert polygon_clean(cleaned) == cleaned
    assert len(cleaned) >= 3


def test_days_since_the_last_case(tree):
    leader = tree.users["district"]
    today = dt.date(2020, 2, 20)
    stats = selectors.case_stats(leader, "district", tree.district.pk, today=today)
    assert (stats.cumulative, stats.new_today, stats.days_since_last) == (0, 0, None)
    confirmed_case_create(by=leader, date=dt.date(2020, 2, 13), zone=tree.zones[2], today=today)
    stats = selectors.case_stats(leader, "district", tree.district.pk, today=today)
    assert (stats.cumulative, stats.days_since_last) == (1, 7)
    confirmed_case_create(by=leader, date=today, zone=tree.zones[0], today=today)
    stats = selectors.case_stats(leader, "district", tree.district.pk, today=today, days=8)
    assert (stats.cumulative, stats.new_today, stats.days_since_last) == (2, 1, 0)
    assert [(d.day, n, c) for d, n, c in stats.series] == [
        (13, 1, 1), (14, 0, 1), (15, 0, 1), (16, 0, 1), (17, 0, 1), (18, 0, 1), (19, 0, 1),
        (20, 1, 2),
    ]  # fmt: skip
    # A case recorded for a later date does not count before it.
    before = selectors.case_stats(leader, "zone", tree.zones[0].pk, today=dt.date(2020, 2, 19))
    assert (before.cumulative, before.days_since_last) == (0, None)
    street = selectors.case_stats(leader, "street", tree.streets[1].pk, today=today)
    assert (street.cumulative, street.days_since_last) == (1, 7)
    kids = selectors.child_stats(leader, "district", tree.district.pk, today=today)
    assert [(k.name, k.cumulative) for k in kids] == [("坪山街道", 1), ("坑梓街道", 1)]


def test_confirmed_case_rules(tree):
    today = dt.date(2020, 2, 20)
    with pytest.raises(ValidationError) as info:
        confirmed_case_create(by=None, date=dt.date(2020, 2, 21), zone=tree.zones[0], today=today)
    assert info.value.message_dict["date"] == [str(ERR_FUTURE)]
    person = tree.people[0]
    case = confirmed_case_create(by=None, date=today, person=person, today=today)
    assert (case.zone_id, case.community_id, case.street_id) == (
        person.zone_id,
        person.community_id,
        person.street_id,
    )
    with pytest.raises(ValidationError) as info:
        confirmed_case_create(by=None, date=today, person=person, today=today)
    assert info.value.message_dict["person"] == [str(ERR_ALREADY_CONFIRMED)]
    with pytest.raises(ValidationError) as info:
        confirmed_case_create(by=None, date=today, person=tree.people[1], zone=tree.zones[2])
    assert "person" in info.value.message_dict
