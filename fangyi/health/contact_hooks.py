"""What quarantine does when an exposure is recorded, without health importing it.

health sits below quarantine (quarantine imports health to raise alerts), so the
exposure services cannot call quarantine's. quarantine registers its side when it is
ready (`register(contacts)` in its AppConfig, fangyi/quarantine/contacts.py): moving an
open case's day 1 to the last exposure, opening a case for a contact, and telling the
open case and release date of people. Without it (an installation without quarantine)
exposures are still recorded and the contact's state still derived (people.state).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class OpenCase:
    """A person's open quarantine case, as the contact pages and the API show it."""

    case_id: int
    case_no: str
    state: str
    start_date: dt.date
    release_date: dt.date
    url: str


class ContactQuarantine(Protocol):
    def follow_exposure(self, *, by, contact_id: int, last_exposure_on: dt.date) -> None:
        """Move the contact's open case's day 1 to a later last exposure (never earlier)."""

    def open_contact_case(self, *, by, contact: Any, facility_id: int | None) -> OpenCase:
        """Open a case for a contact, day 1 the last exposure (home unless a facility)."""

    def open_cases(self, person_ids: list[int]) -> dict[int, OpenCase]:
        """The open case of each of these people that has one."""

    def intake_url(self, person_id: int) -> str:
        """The intake page opened for this person."""

    def on_duty_for(self, user, person_id: int) -> bool:
        """Whether the user is on duty at the facility where the person's open case is."""


_SIDE: list[ContactQuarantine] = []


def register(side: ContactQuarantine) -> None:
    _SIDE[:] = [side]


def quarantine_side() -> ContactQuarantine | None:
    return _SIDE[0] if _SIDE else None
