"""The colour of a pass: the one place the rules live (DESIGN.md §3).

`pass_colour_for(state, values)` is a pure function of a snapshot of a person's state
(`PersonState`, read by `selectors.person_state`) and the policy values in force. It
returns the colour, the reason code, the guard's instruction and, for a red, the
observation point to send the person to. Red beats yellow beats green; within a colour
the first matching rule gives the reason. Nothing here touches the database, so the
rules are tested as a table and with hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from fangyi.core.policy import PolicyValues
from fangyi.passes.choices import Colour, Reason

# Stages of an open quarantine case.
AT_FACILITY_STAGES = ("observation", "hospital")
RED_HEALTH = ("confirmed", "suspected")

INSTRUCTIONS = {
    Colour.GREEN: _("Let in."),
    Colour.YELLOW: _("May enter temporarily, or verify the person's identity on the spot."),
    Colour.RED: _("Deny entry. Send the person to the observation point."),
}
INSTRUCTION_FEVER = _("Do not let in. Keep the person apart and wait for the doctor's review.")
INSTRUCTION_RED_FEVER = _(
    "Deny entry: fever. Keep the person apart and send them to the observation point."
)


@dataclass(frozen=True)
class PersonState:
    """What the rules need to know about a person at the moment of a check.

    `linked` is False for a pass whose application is not verified yet (no person file)
    and for a visitor registered by hand.
    """

    linked: bool = True
    verified: bool = True
    health_status: str = "normal"
    # The open quarantine case, if any: its current stage and its reason.
    case_stage: str | None = None
    case_reason: str | None = None
    # Consecutive days (up to yesterday) with self check-ins, all normal.
    normal_checkin_days: int = 0
    # For a returnee with no quarantine case since the return: day N since return (day 1).
    returnee_day: int | None = None
    # A fever at an earlier gate check that no doctor has reviewed yet.
    fever_pending: bool = False
    # The temperature taken at this check, if any.
    temperature: Decimal | None = None
    visitor: bool = False
    # Where a red is sent: the observation point the case is at, else the designated one.
    observation_name: str = ""
    observation_address: str = ""


@dataclass(frozen=True)
class Verdict:
    colour: str
    reason: str
    instruction: str
    fever: bool = False
    observation_name: str = ""
    observation_address: str = ""

    @property
    def reason_label(self) -> str:
        return str(Reason(self.reason).label)


def _case_colour(state: PersonState, values: PolicyValues) -> tuple[str, str] | None:
    if state.case_stage is None:
        return None
    if state.case_stage in AT_FACILITY_STAGES:
        return Colour.RED, Reason.QUARANTINE
    if state.case_reason == "returned" and values.pass_returned_case_colour == "yellow":
        colour, reason, after = (
            Colour.YELLOW,
            Reason.QUARANTINE_YELLOW,
            values.pass_yellow_green_after_days,
        )
    else:
        colour, reason, after = Colour.RED, Reason.QUARANTINE, values.pass_red_green_after_days
    if after and state.normal_checkin_days >= after:
        return None
    return colour, reason


def pass_colour_for(state: PersonState, values: PolicyValues) -> Verdict:
    """Colour, reason and instruction for a person in `state` under `values`."""
    fever = state.temperature is not None and state.temperature >= values.fever_threshold
    reds: list[str] = []
    yellows: list[str] = []
    if state.health_status == "confirmed":
        reds.append(Reason.CONFIRMED)
    if state.health_status == "suspected":
        reds.append(Reason.SUSPECTED)
    case = _case_colour(state, values)
    if case is not None:
        (reds if case[0] == Colour.RED else yellows).append(case[1])
    if fever:
        yellows.append(Reason.FEVER_NOW)
    if state.fever_pending:
        yellows.append(Reason.FEVER_PENDING)
    if state.visitor:
        yellows.append(Reason.VISITOR)
    elif not state.linked or not state.verified:
        yellows.append(Reason.UNVERIFIED)
    if (
        state.returnee_day is not None
        and state.case_stage is None
        and 1 <= state.returnee_day <= values.pass_returnee_days
    ):
        yellows.append(Reason.STATION_UNFINISHED)
    if reds:
        instruction = INSTRUCTION_RED_FEVER if fever else INSTRUCTIONS[Colour.RED]
        return Verdict(
            Colour.RED,
            reds[0],
            str(instruction),
            fever,
            observation_name=state.observation_name,
            observation_address=state.observation_address,
        )
    if yellows:
        instruction = INSTRUCTION_FEVER if fever else INSTRUCTIONS[Colour.YELLOW]
        return Verdict(Colour.YELLOW, yellows[0], str(instruction), fever)
    reason = Reason.NORMAL_CHECKINS if state.case_stage is not None else Reason.CLEAR
    return Verdict(Colour.GREEN, reason, str(INSTRUCTIONS[Colour.GREEN]), fever)
