"""The state rule as a table: each fact alone, then facts together by precedence."""

from __future__ import annotations

import datetime as dt

import pytest

from fangyi.core.policy import PolicyValues
from fangyi.people.choices import EpidemicState as S
from fangyi.people.state import Facts, state_from_facts

TODAY = dt.date(2020, 2, 20)
V = PolicyValues()


@pytest.mark.parametrize(
    ("facts", "state", "until"),
    [
        (Facts(verified=True), S.CLEAR, None),
        (Facts(), S.UNVERIFIED, None),
        (Facts(verified=True, health_status="confirmed"), S.CONFIRMED, None),
        (Facts(verified=True, health_status="asymptomatic"), S.CONFIRMED, None),
        (Facts(verified=True, health_status="suspected"), S.SUSPECTED, None),
        (Facts(verified=True, health_status="recovered"), S.CLEAR, None),
        (Facts(verified=True, health_status="symptoms"), S.CLEAR, None),
        (Facts(verified=True, open_case="home", positive_test=True), S.POSITIVE, None),
        (Facts(verified=True, positive_test=True), S.CLEAR, None),
        (Facts(verified=True, open_case="hospital"), S.HOSPITAL, None),
        (Facts(verified=True, open_case="observation"), S.OBSERVATION, None),
        (Facts(verified=True, open_case="station"), S.STATION, None),
        (Facts(verified=True, open_case="home"), S.HOME, None),
        (Facts(verified=True, held_for_review=True), S.REVIEW, None),
        # Last exposure on Feb 7 is day 1; day 14 is Feb 20, today: still watched.
        (Facts(verified=True, last_exposure=dt.date(2020, 2, 7)), S.CONTACT, TODAY),
        (Facts(verified=True, last_exposure=dt.date(2020, 2, 6)), S.CLEAR, None),
        (
            Facts(verified=True, travel_status="returned", return_date=dt.date(2020, 2, 10)),
            S.RETURNEE,
            dt.date(2020, 2, 23),
        ),
        (
            Facts(
                verified=True,
                travel_status="returned",
                return_date=dt.date(2020, 2, 10),
                latest_case_start=dt.date(2020, 2, 10),
            ),
            S.CLEAR,
            None,
        ),
        (
            Facts(travel_status="returned", return_date=dt.date(2020, 2, 6)),
            S.UNVERIFIED,
            None,
        ),
        # Precedence.
        (Facts(health_status="confirmed", open_case="home", positive_test=True), S.CONFIRMED, None),
        (Facts(health_status="suspected", open_case="home", positive_test=True), S.POSITIVE, None),
        (Facts(health_status="suspected", open_case="hospital"), S.SUSPECTED, None),
        (Facts(open_case="home", last_exposure=dt.date(2020, 2, 19)), S.HOME, None),
        (
            Facts(last_exposure=dt.date(2020, 2, 19), held_for_review=True),
            S.CONTACT,
            dt.date(2020, 3, 3),
        ),
        (
            Facts(held_for_review=True, travel_status="returned", return_date=TODAY),
            S.REVIEW,
            None,
        ),
    ],
)
def test_state_from_facts(facts, state, until):
    assert state_from_facts(facts, V, TODAY) == (state, until)


def test_order_of_states_is_the_precedence():
    assert [s.value for s in S][:3] == ["confirmed", "positive", "suspected"]
    assert [s.value for s in S][-2:] == ["unverified", "clear"]
