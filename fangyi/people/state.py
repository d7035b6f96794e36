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
from dataclasses import dataclass

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
    # The start (day 1) of the person's latest quarantine case, open or closed.
    latest_case_start: dt.date | None = None


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
        cased = facts.latest_case_start is not None and facts.latest_case_start >= facts.return_date
        if facts.return_date <= today <= until and not cased:
            return EpidemicState.RETURNEE, until
    if not facts.verified:
        return EpidemicState.UNVERIFIED, None
    return EpidemicState.CLEAR, None


# --- reading the facts -------------------------------------------------------------------


def _run(sql: str, params: Iterable = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        # An UPDATE has no rows to fetch (psycopg refuses to fetch them).
        return cursor.fetchall() if cursor.description is not None else []


def _day(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _marks(n: int) -> str:
    return ", ".join(["%s"] * n)


_OPEN = ", ".join(f"'{s}'" for s in OPEN_CASE_STATES)

# What the rule reads of a person `per` besides the file's own columns: the one text of
# the facts, read here for many people (facts_for) and by the gate check for one, in the
# statement that reads the pass (passes.scanning), so both see the same facts. In order:
# the open case's place, a positive test on it, the last day of an exposure to a case,
# a fever or symptoms held for review (an open or acknowledged fever or symptoms alert,
# health.Alert, raised anywhere but at a quarantine check-in: a quarantined person's
# check-in fever does not change their state, their case does), and the latest start of
# a quarantine case.
FACT_COLUMNS = f"""(SELECT c.state FROM quarantine_quarantinecase c
    WHERE c.person_id = per.id AND c.state IN ({_OPEN})),
  EXISTS (SELECT 1 FROM quarantine_quarantinecase c
    JOIN quarantine_nucleictest t ON t.case_id = c.id
    WHERE c.person_id = per.id AND c.state IN ({_OPEN}) AND t.result = 'positive'),
  (SELECT MAX(e.last_exposure_on) FROM health_exposure e WHERE e.contact_id = per.id),
  EXISTS (SELECT 1 FROM health_alert a
    WHERE a.person_id = per.id AND a.status IN ('open', 'acknowledged')
      AND a.kind IN ('fever', 'symptom') AND a.source <> 'checkin'),
  (SELECT MAX(c.start_date) FROM quarantine_quarantinecase c WHERE c.person_id = per.id)"""
# The file's own columns the rule reads, before FACT_COLUMNS.
PERSON_COLUMNS = "per.health_status, per.verified, per.travel_status, per.return_date"


def facts_of_row(row: tuple | list) -> Facts:
    """Facts from PERSON_COLUMNS followed by FACT_COLUMNS (nine values)."""
    health, verified, travel, returned, open_case, positive, exposed, held, started = row
    return Facts(
        health_status=health,
        verified=bool(verified),
        travel_status=travel,
        return_date=_day(returned),
        open_case=open_case,
        positive_test=bool(positive),
        last_exposure=_day(exposed),
        held_for_review=bool(held),
        latest_case_start=_day(started),
    )


def facts_for(ids: list[int]) -> dict[int, Facts]:
    """The facts of these people: one statement for up to BATCH of them."""
    if not ids:
        return {}
    rows = _run(
        f"SELECT per.id, {PERSON_COLUMNS}, {FACT_COLUMNS} FROM people_person per "
        f"WHERE per.id IN ({_marks(len(ids))})",
        ids,
    )
    return {row[0]: facts_of_row(row[1:]) for row in rows}


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
        for pid, facts in facts_for(batch).items():
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


# The days for which this process has refreshed the expired states. A refresh leaves no
# state ending before its day, and every later write stores a last day of today or later,
# so one look per day per process is enough (tests forget it: forget_expired_checks).
_expired_checked: set[dt.date] = set()
# How long after a policy version takes effect the first read of a day checks whether its
# days changed any state (longer than any quarantine or returnee window).
NEW_VERSION_DAYS = 366


def refresh_expired(today: dt.date | None = None) -> int:
    """Refresh the people whose state ended by itself before today (a contact's or a
    returnee's last day passed), and after a new policy version those its days decide
    (`_decided_by_new_days`): one indexed query, once a day per process."""
    day = today or timezone.localdate()
    if day in _expired_checked:
        return 0
    adapt = connection.ops.adapt_datefield_value
    # In the same statement: a 0 when a policy version (not the first) took effect lately,
    # whose days may differ from those the stored last days were counted with.
    rows = _run(
        "SELECT id FROM people_person WHERE state_until IS NOT NULL AND state_until < %s "
        "UNION ALL SELECT 0 FROM core_policy WHERE effective_from > %s "
        "AND effective_from <= %s "
        "AND effective_from > (SELECT MIN(effective_from) FROM core_policy)",
        [adapt(day), adapt(day - dt.timedelta(days=NEW_VERSION_DAYS)), adapt(day)],
    )
    ids = {r[0] for r in rows}
    if 0 in ids:
        ids.discard(0)
        ids |= _decided_by_new_days(day)
    changed = refresh(ids, day) if ids else 0
    if len(_expired_checked) > 8:
        _expired_checked.clear()
    _expired_checked.add(day)
    return changed


def _decided_by_new_days(day: dt.date) -> set[int]:
    """The people whose state a policy version that took effect lately may have changed:
    when its quarantine or returnee days differ from the version before it, the contacts
    and returnees within the longer of the two windows (their stored last days were
    counted under the old version). Empty once the window has passed."""
    current = policy_in_force(day)
    if current.effective_from == dt.date.min:
        return set()
    new = values_of(current)
    old = values_of(policy_in_force(current.effective_from - dt.timedelta(days=1)))
    if (new.quarantine_days, new.pass_returnee_days) == (
        old.quarantine_days,
        old.pass_returnee_days,
    ):
        return set()
    watch = max(new.quarantine_days, old.quarantine_days)
    monitor = max(new.pass_returnee_days, old.pass_returnee_days)
    if (day - current.effective_from).days > max(watch, monitor):
        return set()
    adapt = connection.ops.adapt_datefield_value
    rows = _run(
        "SELECT id FROM people_person WHERE state_until IS NOT NULL "
        "OR (travel_status = 'returned' AND return_date >= %s) "
        "OR id IN (SELECT contact_id FROM health_exposure WHERE last_exposure_on >= %s)",
        [adapt(day - dt.timedelta(days=monitor)), adapt(day - dt.timedelta(days=watch))],
    )
    return {r[0] for r in rows}


def forget_expired_checks() -> None:
    """Look for expired states again at the next read (tests roll the database back)."""
    _expired_checked.clear()


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
