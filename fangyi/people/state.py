"""One person, one epidemic state (docs/state.md): the one place it is derived.

A person's state is a function of the facts recorded about them (`state_from_facts`):
their confirmed-case status, a positive nucleic acid test on their open quarantine
case, where that case is now, recorded exposures to a case, a fever or symptoms held
for review, a recent return and whether the file is verified. The first that applies
in `EpidemicState` order is the state.

It is stored on the person (`Person.epidemic_state`, with `state_until`, the last day a
state that ends by itself holds) so that the gate, the zone map, the overview, the
statistics and the worklists all read one indexed column and can never disagree.
Every service that changes a fact calls `refresh(person_ids)` in its own transaction;
a state past its `state_until` is refreshed before it is read (`refresh_expired`,
`read_state`). `rebuild_differences()` derives every state again from the facts and
lists the people whose stored state differs: the test of the whole rule.

The facts live in apps above this one (quarantine, passes, health, reports). They are
read here by their tables' names, in plain SQL, so that this layer imports none of them
(the same way the gate check reads them, passes.scanning).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from fangyi.core.policy import PolicyValues, policy_in_force, values_of
from fangyi.people.choices import EpidemicState

# The quarantine case states that are open (quarantine.choices.ACTIVE_STATES).
OPEN_CASE_STATES = ("station", "home", "observation", "hospital")
# Health statuses that are a confirmed-case record's own (reports.services keeps them).
CONFIRMED_HEALTH = ("confirmed", "asymptomatic")
BATCH = 1000


@dataclass
class Facts:
    """What the state rule reads of one person."""

    health_status: str = "normal"
    verified: bool = False
    travel_status: str = "never_left"
    return_date: dt.date | None = None
    # The open quarantine case's place (station, home, observation, hospital), if any.
    open_case: str | None = None
    # A positive test result on the open case.
    positive_test: bool = False
    # The latest day of an exposure to a case recorded for this person as the contact.
    last_exposure: dt.date | None = None
    # A fever or symptoms held for review (an open fever or symptom alert).
    held_for_review: bool = False
    # Start dates of the person's quarantine cases (open or closed).
    case_starts: list[dt.date] = field(default_factory=list)


def state_from_facts(
    facts: Facts, values: PolicyValues, today: dt.date
) -> tuple[str, dt.date | None]:
    """The state of a person with `facts` on `today`, and the last day it holds by
    itself (None: until a fact changes). The precedence is EpidemicState's order."""
    if facts.health_status in CONFIRMED_HEALTH:
        return EpidemicState.CONFIRMED, None
    if facts.positive_test and facts.open_case:
        return EpidemicState.POSITIVE, None
    if facts.health_status == "suspected":
        return EpidemicState.SUSPECTED, None
    if facts.open_case in ("hospital", "observation"):
        return (
            EpidemicState.HOSPITAL if facts.open_case == "hospital" else EpidemicState.OBSERVATION
        ), None
    if facts.open_case in ("station", "home"):
        return (EpidemicState.STATION if facts.open_case == "station" else EpidemicState.HOME), None
    if facts.last_exposure is not None:
        # The day of the last exposure is day 1; the contact is watched through day N.
        until = facts.last_exposure + dt.timedelta(days=values.quarantine_days - 1)
        if until >= today:
            return EpidemicState.CONTACT, until
    if facts.held_for_review:
        return EpidemicState.REVIEW, None
    if facts.travel_status == "returned" and facts.return_date is not None:
        until = facts.return_date + dt.timedelta(days=values.pass_returnee_days - 1)
        if facts.return_date <= today <= until and not any(
            start >= facts.return_date for start in facts.case_starts
        ):
            return EpidemicState.RETURNEE, until
    if not facts.verified:
        return EpidemicState.UNVERIFIED, None
    return EpidemicState.CLEAR, None


# --- reading the facts -------------------------------------------------------------------


def _run(sql: str, params: Iterable = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _day(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _marks(n: int) -> str:
    return ", ".join(["%s"] * n)


_OPEN = ", ".join(f"'{s}'" for s in OPEN_CASE_STATES)


def facts_for(ids: list[int], today: dt.date, values: PolicyValues) -> dict[int, Facts]:
    """The facts of these people (a fixed number of queries for up to BATCH of them)."""
    if not ids:
        return {}
    marks = _marks(len(ids))
    facts: dict[int, Facts] = {}
    for pid, health, verified, travel, returned in _run(
        "SELECT id, health_status, verified, travel_status, return_date "
        f"FROM people_person WHERE id IN ({marks})",
        ids,
    ):
        facts[pid] = Facts(health, bool(verified), travel, _day(returned))
    for pid, state, start in _run(
        f"SELECT person_id, state, start_date FROM quarantine_quarantinecase "
        f"WHERE person_id IN ({marks})",
        ids,
    ):
        if pid not in facts:
            continue
        start_day = _day(start)
        if start_day is not None:
            facts[pid].case_starts.append(start_day)
        if state in OPEN_CASE_STATES:
            facts[pid].open_case = state
    for (pid,) in _run(
        "SELECT DISTINCT c.person_id FROM quarantine_quarantinecase c "
        "JOIN quarantine_nucleictest t ON t.case_id = c.id "
        f"WHERE c.person_id IN ({marks}) AND c.state IN ({_OPEN}) AND t.result = 'positive'",
        ids,
    ):
        if pid in facts:
            facts[pid].positive_test = True
    since = connection.ops.adapt_datefield_value(
        today - dt.timedelta(days=values.quarantine_days - 1)
    )
    for pid, last in _run(
        "SELECT contact_id, MAX(last_exposure_on) FROM health_exposure "
        f"WHERE contact_id IN ({marks}) AND last_exposure_on >= %s GROUP BY contact_id",
        [*ids, since],
    ):
        if pid in facts:
            facts[pid].last_exposure = _day(last)
    for (pid,) in _run(_HELD_SQL.format(marks=marks), ids):
        if pid in facts:
            facts[pid].held_for_review = True
    return facts


# People with a fever or symptoms held for review: an open gate fever alert (until the
# alerts are one model, health.Alert, whose open fever and symptom alerts count).
_HELD_SQL = (
    "SELECT DISTINCT person_id FROM passes_gatefeveralert "
    "WHERE status = 'open' AND person_id IN ({marks})"
)


def _today_and_values(today: dt.date | None) -> tuple[dt.date, PolicyValues]:
    day = today or timezone.localdate()
    return day, values_of(policy_in_force(day))


def derive(
    ids: Iterable[int], today: dt.date | None = None
) -> Iterator[tuple[int, str, dt.date | None]]:
    """(person id, state, until) of these people, derived from the facts now."""
    day, values = _today_and_values(today)
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), BATCH):
        batch = ordered[i : i + BATCH]
        for pid, facts in facts_for(batch, day, values).items():
            state, until = state_from_facts(facts, values, day)
            yield pid, state, until


# --- storing it --------------------------------------------------------------------------


def refresh(person_ids: Iterable[int | None], today: dt.date | None = None) -> int:
    """Derive and store the state of these people; call it in the transaction of every
    write that changes a fact. Returns how many stored states changed."""
    ids = [pid for pid in person_ids if pid is not None]
    if not ids:
        return 0
    stored = _stored(ids)
    changes: dict[tuple[str, dt.date | None], list[int]] = defaultdict(list)
    for pid, state, until in derive(ids, today):
        if stored.get(pid) != (state, until):
            changes[(state, until)].append(pid)
    for (state, until), changed in changes.items():
        for i in range(0, len(changed), BATCH):
            batch = changed[i : i + BATCH]
            _run(
                "UPDATE people_person SET epidemic_state = %s, state_until = %s "
                f"WHERE id IN ({_marks(len(batch))})",
                [state, connection.ops.adapt_datefield_value(until), *batch],
            )
    return sum(len(v) for v in changes.values())


def _stored(ids: list[int]) -> dict[int, tuple[str, dt.date | None]]:
    result: dict[int, tuple[str, dt.date | None]] = {}
    for i in range(0, len(ids), BATCH):
        batch = ids[i : i + BATCH]
        for pid, state, until in _run(
            "SELECT id, epidemic_state, state_until FROM people_person "
            f"WHERE id IN ({_marks(len(batch))})",
            batch,
        ):
            result[pid] = (state, _day(until))
    return result


def refresh_expired(today: dt.date | None = None) -> int:
    """Refresh the people whose state ended by itself before today (a contact's or a
    returnee's last day passed). One indexed query when there are none."""
    day = today or timezone.localdate()
    rows = _run(
        "SELECT id FROM people_person WHERE state_until IS NOT NULL AND state_until < %s",
        [connection.ops.adapt_datefield_value(day)],
    )
    return refresh([r[0] for r in rows], day) if rows else 0


def refresh_all(today: dt.date | None = None, progress=None) -> int:
    """Derive and store every person's state (after a bulk load; `fangyi states`)."""
    ids = [r[0] for r in _run("SELECT id FROM people_person ORDER BY id")]
    changed = 0
    for i in range(0, len(ids), BATCH * 10):
        changed += refresh(ids[i : i + BATCH * 10], today)
        if progress is not None:
            progress(min(i + BATCH * 10, len(ids)), len(ids))
    return changed


def rebuild_differences(today: dt.date | None = None) -> list[tuple[int, str, str]]:
    """(person id, stored, derived) for every person whose stored state is not what the
    facts give: empty when every write kept the state."""
    ids = [r[0] for r in _run("SELECT id FROM people_person ORDER BY id")]
    stored = _stored(ids)
    return [
        (pid, stored[pid][0], state)
        for pid, state, until in derive(ids, today)
        if stored.get(pid) != (state, until)
    ]
