"""The colour rules as a table, for both shipped policies, and hypothesis on combinations."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangyi.core.policy import PolicyValues
from fangyi.passes.colour import INSTRUCTION_FEVER, INSTRUCTIONS, PersonState, pass_colour_for

PINGSHAN = PolicyValues()
# The values of migration core/0003 (hangzhou-2020).
HANGZHOU = PolicyValues.from_json(
    {
        "quarantine_days": 14,
        "pass_returnee_days": 7,
        "pass_returned_case_colour": "yellow",
        "pass_red_green_after_days": 14,
        "pass_yellow_green_after_days": 7,
    }
)
S = PersonState
OBS = {"observation_name": "坪山指定观察点", "observation_address": "坪山大道88号"}

# (state, Pingshan (colour, reason), Hangzhou (colour, reason))
TABLE = [
    (S(), ("green", "clear"), ("green", "clear")),
    (S(verified=False), ("yellow", "unverified"), ("yellow", "unverified")),
    (S(linked=False, verified=False), ("yellow", "unverified"), ("yellow", "unverified")),
    (S(visitor=True, linked=False), ("yellow", "visitor"), ("yellow", "visitor")),
    (S(health_status="confirmed"), ("red", "confirmed"), ("red", "confirmed")),
    (S(health_status="suspected"), ("red", "suspected"), ("red", "suspected")),
    (S(health_status="symptoms"), ("green", "clear"), ("green", "clear")),
    (S(health_status="recovered"), ("green", "clear"), ("green", "clear")),
    (S(case_stage="station", case_reason="returned"), ("red", "quarantine"),
     ("yellow", "quarantine_yellow")),
    (S(case_stage="home", case_reason="returned"), ("red", "quarantine"),
     ("yellow", "quarantine_yellow")),
    (S(case_stage="home", case_reason="close_contact"), ("red", "quarantine"),
     ("red", "quarantine")),
    (S(case_stage="observation", case_reason="returned"), ("red", "quarantine"),
     ("red", "quarantine")),
    (S(case_stage="hospital", case_reason="fever"), ("red", "quarantine"), ("red", "quarantine")),
    # Consecutive normal check-ins: never in Pingshan; 7 (yellow) / 14 (red) in Hangzhou.
    (S(case_stage="home", case_reason="returned", normal_checkin_days=6), ("red", "quarantine"),
     ("yellow", "quarantine_yellow")),
    (S(case_stage="home", case_reason="returned", normal_checkin_days=7), ("red", "quarantine"),
     ("green", "normal_checkins")),
    (S(case_stage="home", case_reason="close_contact", normal_checkin_days=13),
     ("red", "quarantine"), ("red", "quarantine")),
    (S(case_stage="home", case_reason="close_contact", normal_checkin_days=14),
     ("red", "quarantine"), ("green", "normal_checkins")),
    (S(case_stage="observation", case_reason="close_contact", normal_checkin_days=30),
     ("red", "quarantine"), ("red", "quarantine")),
    # Returnees without a case: yellow for 14 (Pingshan) / 7 (Hangzhou) days.
    (S(returnee_day=1), ("yellow", "station_unfinished"), ("yellow", "station_unfinished")),
    (S(returnee_day=7), ("yellow", "station_unfinished"), ("yellow", "station_unfinished")),
    (S(returnee_day=8), ("yellow", "station_unfinished"), ("green", "clear")),
    (S(returnee_day=14), ("yellow", "station_unfinished"), ("green", "clear")),
    (S(returnee_day=15), ("green", "clear"), ("green", "clear")),
    (S(fever_pending=True), ("yellow", "fever_pending"), ("yellow", "fever_pending")),
    (S(temperature=Decimal("37.3")), ("yellow", "fever_now"), ("yellow", "fever_now")),
    (S(temperature=Decimal("37.2")), ("green", "clear"), ("green", "clear")),
    (S(temperature=Decimal("36.5")), ("green", "clear"), ("green", "clear")),
    # Combinations: red beats yellow; the first reason of the colour is given.
    (S(health_status="confirmed", verified=False, fever_pending=True), ("red", "confirmed"),
     ("red", "confirmed")),
    (S(case_stage="home", case_reason="returned", verified=False), ("red", "quarantine"),
     ("yellow", "quarantine_yellow")),
    (S(case_stage="home", case_reason="returned", temperature=Decimal("38.0")),
     ("red", "quarantine"), ("yellow", "quarantine_yellow")),
    (S(verified=False, temperature=Decimal("38.5")), ("yellow", "fever_now"),
     ("yellow", "fever_now")),
    (S(verified=False, returnee_day=3), ("yellow", "unverified"), ("yellow", "unverified")),
    (S(case_stage="home", case_reason="returned", normal_checkin_days=7, fever_pending=True),
     ("red", "quarantine"), ("yellow", "fever_pending")),
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
    red = pass_colour_for(S(case_stage="home", case_reason="close_contact", **OBS), PINGSHAN)
    assert (red.observation_name, red.observation_address) == ("坪山指定观察点", "坪山大道88号")
    assert red.instruction == str(INSTRUCTIONS["red"])
    yellow = pass_colour_for(S(verified=False, **OBS), PINGSHAN)
    assert yellow.observation_name == ""


def test_the_fever_threshold_is_the_policy_s():
    strict = PolicyValues.from_json({"fever_threshold": "37.0"})
    assert pass_colour_for(S(temperature=Decimal("37.1")), strict).colour == "yellow"
    assert pass_colour_for(S(temperature=Decimal("37.1")), PINGSHAN).colour == "green"


states = st.builds(
    PersonState,
    linked=st.booleans(),
    verified=st.booleans(),
    health_status=st.sampled_from(["normal", "symptoms", "suspected", "confirmed", "recovered"]),
    case_stage=st.sampled_from([None, "station", "home", "observation", "hospital"]),
    case_reason=st.sampled_from(["returned", "close_contact", "fever", "other"]),
    normal_checkin_days=st.integers(0, 30),
    returnee_day=st.one_of(st.none(), st.integers(1, 30)),
    fever_pending=st.booleans(),
    temperature=st.one_of(
        st.none(), st.decimals(min_value=35, max_value=41, places=1, allow_nan=False)
    ),
    visitor=st.booleans(),
)


@given(state=states, hangzhou=st.booleans())
def test_red_always_wins_and_fever_is_never_green(state, hangzhou):
    values = HANGZHOU if hangzhou else PINGSHAN
    verdict = pass_colour_for(state, values)
    if state.health_status in ("confirmed", "suspected") or state.case_stage in (
        "observation",
        "hospital",
    ):
        assert verdict.colour == "red"
    if not hangzhou and state.case_stage is not None:
        assert verdict.colour == "red"
    if verdict.fever:
        assert verdict.colour != "green"
    if not state.linked or not state.verified or state.visitor or state.fever_pending:
        assert verdict.colour != "green"
    # Adding a red reason to any state makes it red.
    worse = pass_colour_for(PersonState(**{**state.__dict__, "health_status": "confirmed"}), values)
    assert worse.colour == "red"
