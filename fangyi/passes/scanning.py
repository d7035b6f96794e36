"""The gate check: the one implementation behind the guard's page, `POST /api/scans` and
the scan fast path (fangyi.passes.fastpath).

A district's gates check tens of thousands of people a day, in bursts at shift changes,
so a check is a handful of indexed statements written in SQL (the same text on SQLite
and PostgreSQL) instead of ORM queries, whose compilation cost ten times the database
work. A green check is two round trips, whoever checks: on PostgreSQL each is a wait for
another process, so every read that can go with another does. The token or code is read
first, without the database (`lookup_of`); then:

1. one statement (`_GATE_AND_PASS`; `_token_statement` for a device's `api_token`,
   which also reads its API token by duty.services' own text) reads side by side:
   - the gate, its district's code, whether the user may check there (a gate post or an
     assignment to the gate's zone; operators anywhere) and the policy version in force
     today (its values parsed once per version), as `gate_and_policy` reads them alone.
     Both rules have one text each, which the pages' lists share: `_may_check` here
     (`gate_ids`, the subquery of selectors.gates_for) and
     core.policy.POLICY_IN_FORCE_SQL (policy_in_force);
   - the pass with its holder's file and the facts of the holder's epidemic state, in
     people.state's own text (FACT_COLUMNS), as `pass_for` reads it alone; refused with
     the reason when it does not admit (`admitted`);
2. the holder's state for the colour rules (`state_of`): the one epidemic state, derived
   from those facts by people.state's rule; the facility of a case at one, its recent
   check-ins and the designated observation point only when they matter (more
   statements, for those holders only);
3. the insert of the check (and of a fever alert) in one short transaction — `_insert`.

Whatever the token's reading refuses is said after the gate (Http404) and the
temperature, as when they were separate statements.

Statements run on the driver's connection (core.sql.run). The colour itself comes from
fangyi.passes.colour, the rules' only home. Tests hold the
page, the API and the fast path to the same answers (tests/test_scanning.py).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import UUIDField
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.core.metrics import gate_check_counted
from fangyi.core.policy import POLICY_IN_FORCE_SQL, PolicyValues, policy_in_force, values_of
from fangyi.core.sql import run
from fangyi.duty import services as duty_services
from fangyi.health.alerts import raise_alert
from fangyi.health.choices import AlertKind, AlertSource
from fangyi.passes import keys, referrals, tokens
from fangyi.passes.choices import (
    REFERRAL_DECISIONS,
    CheckColour,
    Decision,
    Method,
    decisions_for,
)
from fangyi.passes.colour import (
    AT_FACILITY_STAGES,
    CASE_AT_HOME_STATES,
    PersonState,
    Verdict,
    pass_colour_for,
)
from fangyi.passes.tokens import PassRefused
from fangyi.people.identity import mask_name
from fangyi.people.state import (
    FACT_COLUMNS,
    PERSON_COLUMNS,
    Facts,
    facts_of_row,
    state_from_facts,
)
from fangyi.quarantine.choices import ACTIVE_STATES, FacilityKind
from fangyi.quarantine.services import parse_temperature

ERR_TOKEN_OR_CODE = _("Scan the QR code or type the pass code.")
ERR_TEMPERATURE_REQUIRED = _("Enter the temperature.")
ERR_DECISION = _("This decision is not possible for a {colour} pass: choose one of {choices}.")

# A pass revoked because its application was rejected (services.application_reject).
REJECTED_REVOKE_REASON = "application rejected"
# States whose red is sent to the designated observation point when not at a facility.
SENT_TO_OBSERVATION = ("confirmed", "positive", "suspected", "contact", *CASE_AT_HOME_STATES)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who checks: a user id and whether they are an operator (checks at any gate)."""

    user_id: int
    is_superuser: bool = False


@dataclass(frozen=True, slots=True)
class GateRow:
    id: int
    zone_id: int
    district_code: str


@dataclass(frozen=True, slots=True)
class PolicyRow:
    id: int
    code: str
    values: PolicyValues


@dataclass(frozen=True, slots=True)
class Holder:
    """What the colour rules read of a person file: the facts of their state
    (people.state) and their open case."""

    id: int
    name: str
    district_id: int | None
    community_id: int | None
    # Read with the pass (pass_for) so that state_of needs no statement of its own.
    # None: not read yet (state_of reads them).
    facts: Facts | None = None
    # The open case's id and reason, if any.
    open_case: tuple[int, str] | None = None


@dataclass(frozen=True, slots=True)
class PassRow:
    id: int
    holder: Holder | None
    # The name shown (masked) to the guard: the file's, else the application's.
    name: str


@dataclass(frozen=True, slots=True)
class Scan:
    check_id: int
    verdict: Verdict
    name_masked: str
    decision: str
    policy: PolicyRow
    method: str
    pass_id: int | None
    person_id: int | None


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _day(value: Any) -> dt.date:
    """A NOT NULL date column's value as a date."""
    day = _date(value)
    assert day is not None
    return day


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


# --- 1. the gate -------------------------------------------------------------------------


# Who may check at a gate `g`: an operator anywhere; anybody else where an active staff
# record of theirs is posted at the gate or assigned to the gate's zone. The rule's only
# text, with its parameters from `_may_check_params`: the check reads it with the gate
# (`gate_and_policy`) and the ORM takes it as a subquery (`gate_ids`: selectors.gates_for,
# and through it gate_get, checks_for_guard, the home page), so the gates a page lists
# are exactly the gates where a check is let through.
# The principal's operator flag and user id are parameters (`%s`), or the columns of a
# token read in the same statement (scan with its `api_token`).
def _may_check(superuser: str, user: str) -> str:
    return f"""({superuser}
  OR EXISTS (SELECT 1 FROM duty_assignment a JOIN duty_staff s ON s.id = a.staff_id
          WHERE s.user_id = {user} AND s.active AND a.zone_id = g.zone_id)
  OR EXISTS (SELECT 1 FROM passes_gatepost p JOIN duty_staff s ON s.id = p.staff_id
          WHERE p.gate_id = g.id AND s.user_id = {user} AND s.active))"""


_MAY_CHECK = _may_check("%s", "%s")
_GATE_IDS = f"SELECT g.id FROM places_gate g WHERE {_MAY_CHECK}"
# The gate, whether the principal may check there, and the policy version in force
# (core.policy's rule, by its one text) in one round trip.
_GATE_JOINS = f"""JOIN places_zone z ON z.id = g.zone_id
JOIN places_district d ON d.id = z.district_id
LEFT JOIN core_policy pol ON pol.id = ({POLICY_IN_FORCE_SQL})"""


def _gate_columns(may_check: str) -> str:
    return f'g.id, g.zone_id, d.code, {may_check}, pol.id, pol.code, pol."values"'


_GATE_AND_POLICY = f"""
SELECT {_gate_columns(_MAY_CHECK)}
FROM places_gate g
{_GATE_JOINS}
WHERE g.id = %s
"""


def principal_of(user) -> Principal | None:
    """The principal of a logged-in user; None for an anonymous or inactive one, who
    checks nowhere (an API token of an inactive user is refused before: duty.services)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Principal(user.pk, user.is_superuser)


def _may_check_params(principal: Principal) -> tuple[bool, int, int]:
    return (principal.is_superuser, principal.user_id, principal.user_id)


def gate_ids(principal: Principal) -> RawSQL:
    """The ids of the gates `principal` may check at, as a subquery for the ORM:
    `Gate.objects.filter(pk__in=gate_ids(principal))`."""
    return RawSQL(_GATE_IDS, _may_check_params(principal))


def gate_and_policy(
    principal: Principal, gate_id: int, today: dt.date
) -> tuple[GateRow, PolicyRow]:
    """The gate if the principal may check there (_MAY_CHECK), else Http404 (a guard
    cannot even learn another gate exists), and the policy version in force on `today`
    (core.policy.policy_in_force), in one statement."""
    day = connection.ops.adapt_datefield_value(today)
    rows = run(_GATE_AND_POLICY, (*_may_check_params(principal), day, gate_id))
    return _gate_of(rows[0] if rows else None, today)


def _gate_of(row: tuple | list | None, today: dt.date) -> tuple[GateRow, PolicyRow]:
    """The gate and policy of a row of _GATE_AND_POLICY; Http404 when there is no gate or
    the principal may not check there."""
    if row is None or not row[3]:
        raise Http404
    gate = GateRow(row[0], row[1], row[2])
    return gate, _policy_row(row[4:7] if row[4] is not None else None, today)


# --- 2. the policy -----------------------------------------------------------------------

# Per policy id: the stored values last seen and their parse (an edit is parsed again).
_parsed: dict[int, tuple[Any, PolicyValues]] = {}


def _policy_row(row: tuple | list | None, today: dt.date) -> PolicyRow:
    if row is None:  # nothing dated yet: core.policy's fallbacks
        policy = policy_in_force(today)
        return PolicyRow(policy.pk, policy.code, values_of(policy))
    # The stored values as the driver gives them (text on SQLite, a dict on PostgreSQL):
    # parsed again only when they differ from the last ones seen for this version.
    cached = _parsed.get(row[0])
    if cached is None or cached[0] != row[2]:
        if len(_parsed) > 64:
            _parsed.clear()
        cached = _parsed[row[0]] = (row[2], PolicyValues.from_json(_json(row[2]) or {}))
    return PolicyRow(row[0], row[1], cached[1])


# --- 3. the pass -------------------------------------------------------------------------

_ACTIVE = ", ".join(f"'{state}'" for state in ACTIVE_STATES)
# What the colour rules read of a holder `per`: the facts of their state, in people.state's
# own text (PERSON_COLUMNS, FACT_COLUMNS), and their open case (at most one), joined as `c`.
_HOLDER_COLUMNS = f"{PERSON_COLUMNS}, {FACT_COLUMNS}, c.id, c.reason"
_CASES_JOIN = f"""LEFT JOIN quarantine_quarantinecase c ON c.person_id = per.id
  AND c.state IN ({_ACTIVE})"""
# The pass, its holder's file and the facts of the holder's state, in one statement.
_PASS_SQL = f"""
SELECT p.id, p.key, d.code, (p.revoked_at IS NOT NULL AND p.revoked_at <= %s),
  p.replaced_by_id, p.revoke_reason,
  p.expires_at <= %s, per.id, per.name, per.district_id, per.community_id, app.name,
  {_HOLDER_COLUMNS}, p.version
FROM passes_pass p
JOIN places_district d ON d.id = p.district_id
LEFT JOIN people_person per ON per.id = p.person_id
LEFT JOIN passes_passapplication app ON app.id = p.application_id
{_CASES_JOIN}
WHERE {{where}}
"""
_PASS_BY_ID = _PASS_SQL.format(where="p.id = %s")
_PASS_BY_CODE = _PASS_SQL.format(where="p.code = %s")
# The check's first statement: the gate with the policy (_GATE_AND_POLICY) and the pass
# with its holder (_PASS_SQL), each as it is read alone, side by side in one row (a side
# is all NULL when it finds nothing): one round trip instead of two.
_GATE_COLUMNS = 7
_BESIDE = """
SELECT gp.*, ps.* FROM (SELECT 1 AS one) o
LEFT JOIN ({gate}) gp ON 1 = 1
LEFT JOIN ({pass_}) ps ON 1 = 1
"""
_GATE_AND_PASS = {
    by_code: _BESIDE.format(gate=_GATE_AND_POLICY, pass_=_PASS_BY_CODE if by_code else _PASS_BY_ID)
    for by_code in (False, True)
}
# A device's check (scan with its `api_token`): the token's principal (duty.services'
# principal_sql) as well, whose user the gate's rule reads as columns. Made once the
# user table's name can be read.
_TOKEN_BESIDE = """
SELECT tk.*, {gate_columns}, ps.* FROM (SELECT 1 AS one) o
LEFT JOIN ({principal}) tk ON 1 = 1
LEFT JOIN (places_gate g
{gate_joins}) ON g.id = %s
LEFT JOIN ({pass_}) ps ON 1 = 1
"""
_token_statements: dict[bool, str] = {}


def _token_statement(by_code: bool) -> str:
    text = _token_statements.get(by_code)
    if text is None:
        text = _token_statements[by_code] = _TOKEN_BESIDE.format(
            principal=duty_services.principal_sql(),
            gate_columns=_gate_columns(_may_check("tk.is_superuser", "tk.user_id")),
            gate_joins=_GATE_JOINS,
            pass_=_PASS_BY_CODE if by_code else _PASS_BY_ID,
        )
    return text


# Where the holder columns start in a row of _PASS_SQL.
_AT = 12
_FACTS = 9


def _holder_parts(row: tuple | list, at: int) -> tuple[Facts, tuple[int, str] | None]:
    facts = facts_of_row(row[at : at + _FACTS])
    case_id, reason = row[at + _FACTS], row[at + _FACTS + 1]
    return facts, ((case_id, reason) if case_id is not None else None)


def _refused(code: str, row: tuple | list) -> PassRefused:
    """The refusal of a pass this system made (a row of _PASS_SQL): it names the pass and
    its holder, so that the check is kept (record_refused)."""
    refusal = PassRefused(code)
    refusal.pass_id = row[0]
    refusal.person_id = row[7]
    return refusal


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a scanned token or typed code asks of the database, worked out before any
    statement: the pass by id (`by_code` False) or by code (`value`), and what its row is
    then held to (`admitted`)."""

    by_code: bool
    value: Any
    # A signed P2 token's payload (its district, version); a P1 token's district and key.
    signed: keys.Signed | None = None
    token_district: str = ""
    key: str = ""
    # A genuine P2 token whose key or time is not in force: refused whatever its row says,
    # which only decides whether the refusal names the pass (the check is then kept).
    refusal: PassRefused | None = None


def lookup_of(*, token: str = "", code: str = "", now: dt.datetime) -> Lookup:
    """The lookup a token (signed P2 or HMAC P1) or a typed code stands for, read without
    the database; PassRefused for a token that names no pass (forged, altered,
    unknown_key), ValidationError for neither token nor code."""
    if token and keys.is_signed_token(token):
        try:
            signed = keys.read_signed(token, now)
        except PassRefused as refusal:
            if refusal.pass_id is None:
                raise
            return Lookup(False, refusal.pass_id, refusal=refusal)
        return Lookup(False, signed.pass_id, signed=signed)
    if token:
        token_district, pass_id, key = tokens.read_token(token)
        return Lookup(False, pass_id, token_district=token_district, key=key)
    if code:
        return Lookup(True, tokens.normalise_code(code))
    raise ValidationError({"token": [ERR_TOKEN_OR_CODE]})


def admitted(lookup: Lookup, row: tuple | list | None, district_code: str) -> PassRow:
    """The pass of a lookup's row (of _PASS_SQL; None: no such pass) if it admits at a gate
    of `district_code`; else PassRefused with the reason, naming the pass when this system
    made it (PassRefused.pass_id, person_id: the check is kept)."""
    if lookup.refusal is not None:
        refusal = lookup.refusal
        refusal.pass_id = None
        if row is not None and row[-1] == refusal.version:
            raise _refused(refusal.code, row)
        raise refusal
    if lookup.signed is not None:
        signed = lookup.signed
        if row is None or signed.version > row[-1]:
            raise PassRefused("altered")  # signed, but for no pass this server made
        if signed.district_code != district_code:
            raise _refused("other_district", row)
        if signed.version < row[-1]:
            raise _refused("replaced", row)
    elif not lookup.by_code:
        if row is None or not secrets.compare_digest(row[1], lookup.key):
            # Another district's P1 token names a pass of its own numbering: not read here.
            other = lookup.token_district != district_code
            raise PassRefused("other_district" if other else "altered")
        if lookup.token_district != district_code:
            raise _refused("other_district", row)
    else:
        if row is None:
            raise PassRefused("unknown")
        if row[2] != district_code:
            raise _refused("other_district", row)
    if row[3]:
        if row[4]:
            raise _refused("replaced", row)
        if row[5] == REJECTED_REVOKE_REASON:
            raise _refused("rejected", row)
        raise _refused("revoked", row)
    if row[6]:
        raise _refused("expired", row)
    holder = None
    if row[7] is not None:
        facts, open_case = _holder_parts(row, _AT)
        holder = Holder(
            id=row[7],
            name=row[8],
            district_id=row[9],
            community_id=row[10],
            facts=facts,
            open_case=open_case,
        )
    return PassRow(row[0], holder, row[8] if holder is not None else (row[11] or ""))


def pass_for(*, token: str = "", code: str = "", district_code: str, now: dt.datetime) -> PassRow:
    """The pass a scanned token (signed P2 or HMAC P1) or a typed code stands for, if it
    admits at `now`; else PassRefused with the reason (forged, altered, unknown, mistyped,
    unknown_key, key_retired, not_yet_valid, other district, revoked, replaced, rejected,
    expired). A pass revoked after `now` still admits (a check made offline and sent
    later). A refusal of a pass this system made names it (PassRefused.pass_id,
    person_id). One indexed query, which also reads what the colour rules need of the
    holder (Holder.facts, Holder.open_case). The gate check reads the same row beside its
    gate instead (_GATE_AND_PASS, _token_statement)."""
    lookup = lookup_of(token=token, code=code, now=now)
    moment = connection.ops.adapt_datetimefield_value(now)
    rows = run(_PASS_BY_CODE if lookup.by_code else _PASS_BY_ID, (moment, moment, lookup.value))
    return admitted(lookup, rows[0] if rows else None, district_code)


# --- 4. the holder's state ---------------------------------------------------------------

_HOLDER_SQL = f"""
SELECT {_HOLDER_COLUMNS}
FROM people_person per
{_CASES_JOIN}
WHERE per.id = %s
"""


def _holder_read(holder: Holder) -> Holder:
    """The holder with the facts of their state and their open case read (one query)."""
    rows = run(_HOLDER_SQL, (holder.id,))
    if not rows:  # the file is gone: nothing known against them, and not verified
        return replace(holder, facts=Facts(), open_case=None)
    facts, open_case = _holder_parts(rows[0], 0)
    return replace(holder, facts=facts, open_case=open_case)


_STAGE_SQL = """
SELECT s.kind, f.name, f.address FROM quarantine_stage s
LEFT JOIN quarantine_facility f ON f.id = s.facility_id
WHERE s.case_id = %s AND s.ended_at IS NULL
ORDER BY s.started_at DESC, s.id DESC LIMIT 1
"""
_CHECKS_SQL = """
SELECT date, temperature, symptoms FROM quarantine_healthcheck
WHERE case_id = %s AND date >= %s
"""
_POINTS_SQL = f"""
SELECT name, address, community_id FROM quarantine_facility
WHERE kind = '{FacilityKind.OBSERVATION}' AND active {{district}}
ORDER BY name, id LIMIT 20
"""


def _normal_checkin_days(case_id: int, today: dt.date, values: PolicyValues) -> int:
    """Consecutive days up to today with checks, all below the fever threshold and without
    symptoms. Today counts only once it has a check."""
    most = max(values.pass_red_green_after_days, values.pass_yellow_green_after_days)
    since = today - dt.timedelta(days=most + 1)
    days: dict[dt.date, bool] = {}
    for date, temperature, symptoms in run(
        _CHECKS_SQL, (case_id, connection.ops.adapt_datefield_value(since))
    ):
        day = _day(date)
        normal = _decimal(temperature) < values.fever_threshold and not _json(symptoms)
        days[day] = days.get(day, True) and normal
    count = 0
    day = today if today in days else today - dt.timedelta(days=1)
    while days.get(day):
        count += 1
        day -= dt.timedelta(days=1)
    return count


def observation_point(district_id: int | None, community_id: int | None) -> tuple[str, str] | None:
    """Where a red is sent when not already at a facility: an active observation point of
    the person's district, one of their own community first."""
    if district_id:
        candidates = run(_POINTS_SQL.format(district="AND district_id = %s"), (district_id,))
    else:
        candidates = run(_POINTS_SQL.format(district=""))
    for name, address, community in candidates:
        if community_id and community == community_id:
            return name, address
    return (candidates[0][0], candidates[0][1]) if candidates else None


def state_of(
    holder: Holder | None,
    *,
    values: PolicyValues,
    today: dt.date,
    temperature: Decimal | None = None,
) -> PersonState:
    """The snapshot the colour rules need: the holder's one epidemic state derived from
    the facts by people.state's rule (state_from_facts) — no query when the facts came
    with the pass (pass_for), else one — and, for a case at a facility, a red or a
    policy that counts check-ins, up to three more."""
    if holder is None:
        return PersonState(linked=False, temperature=temperature)
    if holder.facts is None:  # not read with a pass
        holder = _holder_read(holder)
    assert holder.facts is not None
    epidemic_state, _until = state_from_facts(holder.facts, values, today)
    facility: tuple[str, str] | None = None
    checkin_days = 0
    reason = None
    if holder.open_case is not None:
        case_id, reason = holder.open_case
        if holder.facts.open_case in AT_FACILITY_STAGES:
            stages = run(_STAGE_SQL, (case_id,))
            if stages and stages[0][1] is not None:
                facility = (stages[0][1], stages[0][2])
        if epidemic_state in CASE_AT_HOME_STATES and max(
            values.pass_red_green_after_days, values.pass_yellow_green_after_days
        ):
            checkin_days = _normal_checkin_days(case_id, today, values)
    name = address = ""
    if facility is not None:
        name, address = facility
    elif epidemic_state in SENT_TO_OBSERVATION:
        point = observation_point(holder.district_id, holder.community_id)
        if point is not None:
            name, address = point
    return PersonState(
        linked=True,
        epidemic_state=epidemic_state,
        case_reason=reason,
        normal_checkin_days=checkin_days,
        temperature=temperature,
        observation_name=name,
        observation_address=address,
    )


# --- 5. the check --------------------------------------------------------------------------

_INSERT_CHECK = """
INSERT INTO passes_gatecheck (gate_id, zone_id, guard_id, at, method, pass_obj_id,
  person_id, visitor_name, visitor_phone, visitor_note, temperature, fever, colour,
  reason, policy_id, decision, decided_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING id
"""
# A check made offline (passes.offline): with the phone's client id, the colour it
# showed and the time of its list.
_INSERT_OFFLINE_CHECK = """
INSERT INTO passes_gatecheck (gate_id, zone_id, guard_id, at, method, pass_obj_id,
  person_id, visitor_name, visitor_phone, visitor_note, temperature, fever, colour,
  reason, policy_id, decision, decided_at, client_id, offline_colour, list_taken_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING id
"""
_UUID: UUIDField = UUIDField()  # a uuid as the database takes it (text on SQLite)
# (client id, colour shown offline, time of the list) of a check made offline.
Offline = tuple[Any, str, "dt.datetime | None"]


def decision_check(decision: str, colour: str, fever: bool, reason: str = "") -> None:
    """A decision the guard may record for a check of this colour, fever and reason
    (choices.decisions_for)."""
    allowed = decisions_for(colour, fever, reason)
    if decision not in allowed:
        choices = ", ".join(str(Decision(d).label) for d in allowed)
        raise ValidationError({"decision": [ERR_DECISION.format(colour=colour, choices=choices)]})


def temperature_of(raw: Any, values: PolicyValues | None = None) -> Decimal:
    """The temperature typed at the gate, read as the screening and quarantine forms read
    it (`core.temperature` through `quarantine.services.parse_temperature`: 36,8 36。8
    ３６．８ 36.8℃), within the range of the policy in force (`values`), with their
    messages."""
    if raw is None or not str(raw).strip():
        raise ValidationError({"temperature": [ERR_TEMPERATURE_REQUIRED]})
    return parse_temperature(raw, values)


def _insert(
    *, gate: GateRow, guard_id: int, now: dt.datetime, method: str, pass_id: int | None,
    person_id: int | None, temperature: Decimal, verdict: Verdict, policy: PolicyRow,
    decision: str, visitor: dict[str, str], offline: Offline | None = None,
) -> int:  # fmt: skip
    ops = connection.ops
    moment = ops.adapt_datetimefield_value(now)
    value = ops.adapt_decimalfield_value(temperature, 3, 1)
    params: tuple[Any, ...] = (
        gate.id, gate.zone_id, guard_id, moment, method, pass_id, person_id,
        visitor.get("visitor_name", ""), visitor.get("visitor_phone", ""),
        visitor.get("visitor_note", ""), value, verdict.fever, verdict.colour,
        verdict.reason, policy.id, decision, moment if decision else None,
    )  # fmt: skip
    sql = _INSERT_CHECK
    if offline is not None:
        client_id, shown, list_taken_at = offline
        sql = _INSERT_OFFLINE_CHECK
        params = (
            *params,
            _UUID.get_db_prep_value(client_id, connection),
            shown,
            ops.adapt_datetimefield_value(list_taken_at),
        )  # fmt: skip
    if not verdict.fever:
        # One statement is atomic by itself: no transaction to open and commit.
        return run(sql, params)[0][0]
    with transaction.atomic():
        check_id = run(sql, params)[0][0]
        # The one alert model (health.alerts): routed to the person's duty chain (a
        # visitor's: the gate's zone) and shown on the gate's fever list; it holds the
        # person for review until closed (people.state, refreshed by raise_alert).
        raise_alert(
            kind=AlertKind.FEVER, person=person_id, source=AlertSource.GATE,
            zone=gate.zone_id, gate_check=check_id, temperature=temperature,
            date=timezone.localdate(now), detail=f"{temperature} °C", by=guard_id,
        )  # fmt: skip
    return check_id


class NoPrincipal(Exception):
    """An API token nobody has (scan with `api_token`)."""


def scan(
    *,
    principal: Principal | None = None,
    api_token: str | None = None,
    gate_id: int,
    temperature: Any,
    token: str = "",
    code: str = "",
    decision: str = "",
    method: str = "",
    now: dt.datetime | None = None,
) -> Scan:
    """Check one pass at a gate: may the user check here (else Http404), does the pass
    admit (else PassRefused), the colour under the policy in force, the check kept. A
    fever is never green: the check is held for review and an alert raised.

    Who checks is `principal` (a page, the session API), or for a device the `api_token`
    it sent (the scan fast path): the token is then read in the check's first statement,
    by duty.services' own text, and refused before anything of the check is said —
    TokenRefused (duty.services) for an expired or revoked one, NoPrincipal for a token
    nobody has.

    Only the inserts are in a transaction: on SQLite (IMMEDIATE transactions) a
    transaction takes the write lock at its start, and holding it through the reads
    would serialise every gate of the district behind one check's reads."""
    assert (principal is None) != (api_token is None), "a principal or an API token"
    now = now or timezone.now()
    today = timezone.localdate(now)
    # The token is read first, without the database, so that the gate, the policy and the
    # pass come in one statement; what it refuses is said after the gate and the
    # temperature, in the order a check has always answered.
    lookup: Lookup | None = None
    unread: PassRefused | ValidationError | None = None
    try:
        lookup = lookup_of(token=token, code=code, now=now)
    except (PassRefused, ValidationError) as refusal:
        unread = refusal
    ops = connection.ops
    moment = ops.adapt_datetimefield_value(now)
    by_code = lookup is not None and lookup.by_code
    # No lookup: the pass's side reads nothing (p.id = NULL).
    reads = (ops.adapt_datefield_value(today), gate_id, moment, moment,
             lookup.value if lookup is not None else None)  # fmt: skip
    if principal is None:
        assert api_token is not None
        row = run(
            _token_statement(by_code), (*duty_services.principal_params(api_token, now), *reads)
        )[0]
        found_principal = duty_services.principal_of_row(
            row[: duty_services.PRINCIPAL_COLUMNS], now
        )
        if found_principal is None:
            raise NoPrincipal
        principal = Principal(*found_principal)
        row = row[duty_services.PRINCIPAL_COLUMNS :]
    else:
        row = run(_GATE_AND_PASS[by_code], (*_may_check_params(principal), *reads))[0]
    gate, policy = _gate_of(row[:_GATE_COLUMNS] if row[0] is not None else None, today)
    pass_row = row[_GATE_COLUMNS:]
    value = temperature_of(temperature, policy.values)
    method = method or (Method.SCAN if token else Method.CODE)
    if unread is not None:
        raise unread
    assert lookup is not None
    try:
        found = admitted(lookup, pass_row if pass_row[0] is not None else None, gate.district_code)
    except PassRefused as refusal:
        if refusal.pass_id is not None:  # a real pass: the person stood at the gate
            refusal.check_id = record_refused(
                principal=principal, gate=gate, now=now, method=method, refusal=refusal,
                temperature=value, policy=policy,
            )  # fmt: skip
        raise
    state = state_of(found.holder, values=policy.values, today=today, temperature=value)
    return record(
        principal=principal,
        gate=gate,
        now=now,
        method=method,
        pass_id=found.id,
        person_id=found.holder.id if found.holder is not None else None,
        name=found.name,
        temperature=value,
        state=state,
        policy=policy,
        decision=decision,
    )


def record(
    *, principal: Principal, gate: GateRow, now: dt.datetime, method: str, pass_id: int | None,
    person_id: int | None, name: str, temperature: Decimal, state: PersonState,
    policy: PolicyRow, decision: str, visitor: dict[str, str] | None = None,
    offline: Offline | None = None,
) -> Scan:  # fmt: skip
    """Colour the state, check the decision, keep the check (pass or visitor).

    A check made offline (`offline`) keeps the decision the guard took there as it was
    taken (passes.offline checked it against the colour the phone showed): what happened
    at the gate is recorded even where the server's colour allows otherwise; it is then
    followed (a referral) only where the server's colour allows it too."""
    verdict = pass_colour_for(state, policy.values)
    allowed = decisions_for(verdict.colour, verdict.fever, verdict.reason)
    if decision and offline is None:
        decision_check(decision, verdict.colour, verdict.fever, verdict.reason)
    elif not decision and verdict.fever:
        decision = Decision.HELD

    def insert() -> int:
        return _insert(
            gate=gate,
            guard_id=principal.user_id,
            now=now,
            method=method,
            pass_id=pass_id,
            person_id=person_id,
            temperature=temperature,
            verdict=verdict,
            policy=policy,
            decision=decision,
            visitor=visitor or {},
            offline=offline,
        )

    if decision in REFERRAL_DECISIONS and decision in allowed:
        # Sent to the observation point or the station with the check: the case moves and
        # the alert goes in the check's transaction (passes.referrals). Other checks keep
        # their one statement.
        with transaction.atomic():
            check_id = insert()
            referrals.gate_referral(
                check_id=check_id, decision=decision, guard=principal.user_id, now=now
            )
    else:
        check_id = insert()
    gate_check_counted(gate_id=gate.id, colour=verdict.colour)
    return Scan(
        check_id=check_id,
        verdict=verdict,
        name_masked=mask_name(name),
        decision=decision,
        policy=policy,
        method=method,
        pass_id=pass_id,
        person_id=person_id,
    )


def record_refused(
    *, principal: Principal, gate: GateRow, now: dt.datetime, method: str,
    refusal: PassRefused, temperature: Decimal, policy: PolicyRow,
    offline: Offline | None = None, decision: str = "",
) -> int:  # fmt: skip
    """Keep the check of a real pass that does not admit (revoked, replaced, rejected,
    expired, another district's, a key not in force): a person stood at the gate and was
    turned away, so the board and the day's numbers count them. Colour `refused`, the
    refusal code as reason, decision turned away (held with a fever, whose alert goes as
    for any check). Online (scan) and synced from offline (passes.offline) alike; a
    check made offline keeps the decision taken there (`decision`), as `record` does."""
    fever = temperature >= policy.values.fever_threshold
    verdict = Verdict(colour=CheckColour.REFUSED, reason=refusal.code, instruction="", fever=fever)
    check_id = _insert(
        gate=gate, guard_id=principal.user_id, now=now, method=method,
        pass_id=refusal.pass_id, person_id=refusal.person_id, temperature=temperature,
        verdict=verdict, policy=policy,
        decision=decision or (Decision.HELD if fever else Decision.TURNED_AWAY), visitor={},
        offline=offline,
    )  # fmt: skip
    gate_check_counted(gate_id=gate.id, colour=verdict.colour)
    return check_id


def scan_body(result: Scan) -> dict[str, Any]:
    """The answer of `POST /api/scans` (schemas.ScanOut), in the active language."""
    verdict = result.verdict
    return {
        "check_id": result.check_id,
        "colour": verdict.colour,
        "reason": verdict.reason,
        "reason_label": verdict.reason_label,
        "instruction": verdict.instruction,
        "name_masked": result.name_masked,
        "fever": verdict.fever,
        "decision": result.decision,
        "observation_point": verdict.observation_name or None,
        "observation_address": verdict.observation_address or None,
        "policy": result.policy.code,
    }
