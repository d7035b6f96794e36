"""The colour of a pass: the one place the rules live (DESIGN.md §3).

`pass_colour_for(state, values)` is a pure function of a snapshot of a person
(`PersonState`: their one epidemic state, people.state, and what a policy weighs beside
it, read by `selectors.person_state`) and the policy values in force. It returns the
colour, the reason code, the guard's instruction and, for a red, the observation point
to send the person to. The state says what the person is; the policy says what that
means at the gate (STATE_COLOURS, _case_colour); a fever at this check is never green.
Nothing here touches the database, so the rules are tested as a table and with
hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from fangyi.core.policy import PolicyValues
from fangyi.passes.choices import Colour, Reason

# States of an open quarantine case at a facility (the red is sent there, not elsewhere).
AT_FACILITY_STAGES = ("observation", "hospital")

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

    `epidemic_state` is the person's one state (people.state, docs/state.md); the rest
    is what a policy may weigh beside it. `linked` is False for a pass whose application
    is not verified yet (no person file) and for a visitor registered by hand.
    """

    linked: bool = True
    epidemic_state: str = "clear"
    # The open quarantine case's reason, if any.
    case_reason: str | None = None
    # Consecutive days (up to yesterday) with self check-ins, all normal.
    normal_checkin_days: int = 0
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


# What each state means at the gate, under every policy, but a case at a station or at
# home, whose colour the policy decides (_case_colour).
STATE_COLOURS: dict[str, tuple[str, str]] = {
    "confirmed": (Colour.RED, Reason.CONFIRMED),
    "positive": (Colour.RED, Reason.POSITIVE),
    "suspected": (Colour.RED, Reason.SUSPECTED),
    "hospital": (Colour.RED, Reason.QUARANTINE),
    "observation": (Colour.RED, Reason.QUARANTINE),
    "contact": (Colour.RED, Reason.CLOSE_CONTACT),
    "review": (Colour.YELLOW, Reason.FEVER_PENDING),
    "returnee": (Colour.YELLOW, Reason.STATION_UNFINISHED),
    "unverified": (Colour.YELLOW, Reason.UNVERIFIED),
}
CASE_AT_HOME_STATES = ("station", "home")


def _case_colour(state: PersonState, values: PolicyValues) -> tuple[str, str] | None:
    """A case at a station or at home: red, or yellow for a returnee's case where the
    policy says so; none (green) after the policy's days of normal check-ins."""
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


def state_colour(state: PersonState, values: PolicyValues) -> tuple[str, str] | None:
    """The colour and reason of a person's state under `values`; None: nothing against
    entry."""
    if state.visitor:
        return Colour.YELLOW, Reason.VISITOR
    if not state.linked:
        return Colour.YELLOW, Reason.UNVERIFIED
    if state.epidemic_state in CASE_AT_HOME_STATES:
        return _case_colour(state, values)
    return STATE_COLOURS.get(state.epidemic_state)


def pass_colour_for(state: PersonState, values: PolicyValues) -> Verdict:
    """Colour, reason and instruction for a person in `state` under `values`. A fever at
    this check makes any colour but red yellow (held for review)."""
    fever = state.temperature is not None and state.temperature >= values.fever_threshold
    found = state_colour(state, values)
    if found is not None and found[0] == Colour.RED:
        instruction = INSTRUCTION_RED_FEVER if fever else INSTRUCTIONS[Colour.RED]
        return Verdict(
            Colour.RED,
            found[1],
            str(instruction),
            fever,
            observation_name=state.observation_name,
            observation_address=state.observation_address,
        )
    if fever or found is not None:
        reason = Reason.FEVER_NOW if fever else found[1]  # type: ignore[index]
        instruction = INSTRUCTION_FEVER if fever else INSTRUCTIONS[Colour.YELLOW]
        return Verdict(Colour.YELLOW, reason, str(instruction), fever)
    reason = Reason.NORMAL_CHECKINS if state.epidemic_state in CASE_AT_HOME_STATES else Reason.CLEAR
    return Verdict(Colour.GREEN, reason, str(INSTRUCTIONS[Colour.GREEN]), fever)
