"""The colour rules as a table, for both shipped policies, and hypothesis on combinations."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangyi.core.policy import PolicyValues
from fangyi.passes.colour import INSTRUCTION_FEVER, INSTRUCTIONS, PersonState, pass_colour_for
from fangyi.people.choices import ISOLATE_STATES, EpidemicState

PINGSHAN = PolicyValues()
# The values of migrations core/0003 and 0005 (hangzhou-2020).
HANGZHOU = PolicyValues.from_json(
    {
        "quarantine_days": 14,
        "pass_returnee_days": 7,
        "pass_returned_case_colour": "yellow",
        "pass_red_green_after_days": 14,
        "pass_yellow_green_after_days": 7,
        "high_risk_areas": ["湖北", "温州", "浙江温州"],
    }
)
S = PersonState
OBS = {"observation_name": "坪山指定观察点", "observation_address": "坪山大道88号"}

# (state, Pingshan (colour, reason), Hangzhou (colour, reason)). The epidemic state is
# people.state's (its own table: people/tests/test_state_rule.py); here what it means at
# the gate under each policy.
TABLE = [
    (S(epidemic_state="clear"), ("green", "clear"), ("green", "clear")),
    (S(epidemic_state="unverified"), ("yellow", "unverified"), ("yellow", "unverified")),
    (S(linked=False), ("yellow", "unverified"), ("yellow", "unverified")),
    (S(visitor=True, linked=False), ("yellow", "visitor"), ("yellow", "visitor")),
    (S(epidemic_state="confirmed"), ("red", "confirmed"), ("red", "confirmed")),
    (S(epidemic_state="positive"), ("red", "positive"), ("red", "positive")),
    (S(epidemic_state="suspected"), ("red", "suspected"), ("red", "suspected")),
    (S(epidemic_state="contact"), ("red", "close_contact"), ("red", "close_contact")),
    (S(epidemic_state="station", case_reason="returned"), ("red", "quarantine"),
     ("yellow", "quarantine_yellow")),
    (S(epidemic_state="home", case_reason="returned"), ("red", "quarantine"),
     ("yellow", "quarantine_yellow")),
    (S(epidemic_state="home", case_reason="close_contact"), ("red", "quarantine"),
     ("red", "quarantine")),
    (S(epidemic_state="observation", case_reason="returned"), ("red", "quarantine"),
     ("red", "quarantine")),
    (S(epidemic_state="hospital", case_reason="fever"), ("red", "quarantine"),
     ("red", "quarantine")),
    # Consecutive normal check-ins: never in Pingshan; 7 (yellow) / 14 (red) in Hangzhou.
    (S(epidemic_state="home", case_reason="returned", normal_checkin_days=6),
     ("red", "quarantine"), ("yellow", "quarantine_yellow")),
    (S(epidemic_state="home", case_reason="returned", normal_checkin_days=7),
     ("red", "quarantine"), ("green", "normal_checkins")),
    (S(epidemic_state="home", case_reason="close_contact", normal_checkin_days=13),
     ("red", "quarantine"), ("red", "quarantine")),
    (S(epidemic_state="home", case_reason="close_contact", normal_checkin_days=14),
     ("red", "quarantine"), ("green", "normal_checkins")),
    (S(epidemic_state="observation", case_reason="close_contact", normal_checkin_days=30),
     ("red", "quarantine"), ("red", "quarantine")),
    (S(epidemic_state="returnee"), ("yellow", "station_unfinished"),
     ("yellow", "station_unfinished")),
    (S(epidemic_state="review"), ("yellow", "fever_pending"), ("yellow", "fever_pending")),
    (S(temperature=Decimal("37.3")), ("yellow", "fever_now"), ("yellow", "fever_now")),
    (S(temperature=Decimal("37.2")), ("green", "clear"), ("green", "clear")),
    (S(temperature=Decimal("36.5")), ("green", "clear"), ("green", "clear")),
    # A fever at this check: red stays red, anything else is held (yellow).
    (S(epidemic_state="confirmed", temperature=Decimal("38.0")), ("red", "confirmed"),
     ("red", "confirmed")),
    (S(epidemic_state="home", case_reason="returned", temperature=Decimal("38.0")),
     ("red", "quarantine"), ("yellow", "fever_now")),
    (S(epidemic_state="unverified", temperature=Decimal("38.5")), ("yellow", "fever_now"),
     ("yellow", "fever_now")),
    (S(epidemic_state="home", case_reason="returned", normal_checkin_days=7,
       temperature=Decimal("37.5")), ("red", "quarantine"), ("yellow", "fever_now")),
]  # fmt: skip


@pytest.mark.parametrize(("state", "pingshan", "hangzhou"), TABLE)
def test_rule_table(state, pingshan, hangzhou):
    for values, expected in ((PINGSHAN, pingshan), (HANGZHOU, hangzhou)):
        verdict = pass_colour_for(state, values)
        assert (verdict.colour, verdict.reason) == expected
        fever = state.temperature is not None and state.temperature >= values.fever_threshold
        assert verdict.fever == fever
        if verdict.colour == "green":
            assert verdict.instruction == str(INSTRUCTIONS["green"])
        elif verdict.colour == "yellow" and not fever:
            assert verdict.instruction == str(INSTRUCTIONS["yellow"])
        elif verdict.colour == "yellow":
            assert verdict.instruction == str(INSTRUCTION_FEVER)


def test_red_names_the_observation_point_and_others_do_not():
    red = pass_colour_for(S(epidemic_state="contact", **OBS), PINGSHAN)
    assert (red.observation_name, red.observation_address) == ("坪山指定观察点", "坪山大道88号")
    assert red.instruction == str(INSTRUCTIONS["red"])
    yellow = pass_colour_for(S(epidemic_state="unverified", **OBS), PINGSHAN)
    assert yellow.observation_name == ""


def test_the_fever_threshold_is_the_policy_s():
    strict = PolicyValues.from_json({"fever_threshold": "37.0"})
    assert pass_colour_for(S(temperature=Decimal("37.1")), strict).colour == "yellow"
    assert pass_colour_for(S(temperature=Decimal("37.1")), PINGSHAN).colour == "green"


STATES = [s.value for s in EpidemicState]
states = st.builds(
    PersonState,
    linked=st.booleans(),
    epidemic_state=st.sampled_from(STATES),
    case_reason=st.sampled_from(["returned", "close_contact", "fever", "other"]),
    normal_checkin_days=st.integers(0, 30),
    temperature=st.one_of(
        st.none(), st.decimals(min_value=35, max_value=41, places=1, allow_nan=False)
    ),
    visitor=st.booleans(),
)


@given(state=states, hangzhou=st.booleans())
def test_red_always_wins_and_fever_is_never_green(state, hangzhou):
    values = HANGZHOU if hangzhou else PINGSHAN
    verdict = pass_colour_for(state, values)
    linked = state.linked and not state.visitor
    if linked and state.epidemic_state in (*ISOLATE_STATES, "contact"):
        assert verdict.colour == "red"
    if linked and not hangzhou and state.epidemic_state in ("station", "home"):
        assert verdict.colour == "red"
    if verdict.fever:
        assert verdict.colour != "green"
    if not linked or state.epidemic_state in ("unverified", "review", "returnee"):
        assert verdict.colour != "green"
    if verdict.colour == "green":
        assert state.epidemic_state in ("clear", "station", "home")
    # A worse state makes any linked person red.
    worse = pass_colour_for(
        PersonState(**{**state.__dict__, "epidemic_state": "confirmed"}), values
    )
    assert worse.colour == "red" or not linked
