"""The gate working offline, server side (docs/offline.md): the zone's deny list a gate's
phone keeps, and the checks it queued, sent back in batches.

Both take the acting principal and answer only for a gate where it may check (the gate
check's own rule, scanning._MAY_CHECK); elsewhere Http404.

The list holds no personal data: pass ids, their version, colour and reason code. It
lists the zone's passes that are not green now (the colour from the gate's rule,
passes.colour, on the one epidemic state) and the passes that no longer admit (revoked,
replaced, rejected, recently expired). A pass it does not list is green offline.

A batch check is recorded as at its `checked_at` (the pass as it stood then: revoked or
replaced after the check still admits; the holder's state from the facts now, with the
day counted from the check's, so a person who turned red after the list was taken is red),
idempotent by the phone's client id. A real pass the server refuses at that time (revoked
or replaced before it, expired…) is kept as a refused check, as online. Where the server's
colour is not the one the phone showed, an `offline_mismatch` alert keyed on the check
goes to the duty chain and the gate board shows a reconciliation line; a fever raises the
gate's fever alert, as online.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from fangyi.core.api_errors import schema_message
from fangyi.core.policy import PolicyValues
from fangyi.duty.scope import is_places_only
from fangyi.health.alerts import raise_alert
from fangyi.health.choices import AlertKind, AlertSource
from fangyi.passes import keys, scanning, selectors
from fangyi.passes.choices import CheckColour, Decision, Reason, decisions_for, differs_offline
from fangyi.passes.colour import CASE_AT_HOME_STATES, PersonState, state_colour
from fangyi.passes.models import GateCheck, Pass
from fangyi.passes.scanning import REJECTED_REVOKE_REASON, Principal
from fangyi.passes.tokens import PassRefused
from fangyi.people.state import facts_for, state_from_facts
from fangyi.places.models import Zone
from fangyi.quarantine.choices import ACTIVE_STATES, FacilityKind
from fangyi.quarantine.models import Facility, QuarantineCase

MAX_BATCH = 500
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = keys.CLOCK_SKEW
OFFLINE_COLOURS = ("green", "yellow", "red", "refused")

ERR_BATCH_SIZE = _("Send at most {n} checks in one batch.")
ERR_CHECKED_AT_FUTURE = _("checked_at is in the future.")
ERR_OFFLINE_COLOUR = _("offline_colour must be green, yellow, red or refused.")
ERR_CLIENT_ID_TWICE = _("The same client_id is twice in this batch.")
ERR_OFFLINE_DECISION = _(
    "This decision is not possible for a check shown {colour} offline: choose one of {choices}."
)


# --- the list ------------------------------------------------------------------------------


def _refusal(revoked_at, replaced_by_id, reason: str) -> str:
    if revoked_at is None:
        return "expired"
    if replaced_by_id is not None:
        return "replaced"
    if reason == REJECTED_REVOKE_REASON:
        return "rejected"
    return "revoked"


def _observation_point(district_id: int, community_id: int) -> dict[str, Any] | None:
    """Where the zone's reds are sent: an active observation point of the district, one of
    the zone's community first (scanning.observation_point's rule)."""
    points = Facility.objects.filter(
        kind=FacilityKind.OBSERVATION, active=True, district_id=district_id
    ).order_by("name", "id")
    point = points.filter(community_id=community_id).first() or points.first()
    if point is None:
        return None
    return {"id": point.pk, "name": point.name, "address": point.address}


def _colours(
    people: list[tuple[int, str, dt.date | None]], values: PolicyValues, today: dt.date
) -> dict[int, tuple[str, str] | None]:
    """Person id -> (colour, reason) at the gate now, or None (green), by the gate's rule
    on the one epidemic state (derived again where it has ended by itself)."""
    stale = [pid for pid, _state, until in people if until is not None and until < today]
    fresh = {
        pid: state_from_facts(facts, values, today)[0] for pid, facts in facts_for(stale).items()
    }
    states = {pid: fresh.get(pid, state) for pid, state, _until in people}
    at_home = [pid for pid, state in states.items() if state in CASE_AT_HOME_STATES]
    reasons = dict(
        QuarantineCase.objects.filter(person_id__in=at_home, state__in=ACTIVE_STATES).values_list(
            "person_id", "reason"
        )
    )
    counts_checkins = max(values.pass_red_green_after_days, values.pass_yellow_green_after_days)
    cases = (
        dict(
            QuarantineCase.objects.filter(
                person_id__in=at_home, state__in=ACTIVE_STATES
            ).values_list("person_id", "id")
        )
        if counts_checkins
        else {}
    )
    result = {}
    for pid, state in states.items():
        days = 0
        if pid in cases:
            days = scanning._normal_checkin_days(cases[pid], today, values)
        result[pid] = state_colour(
            PersonState(
                linked=True,
                epidemic_state=state,
                case_reason=reasons.get(pid),
                normal_checkin_days=days,
            ),
            values,
        )
    return result


def _list_gate(user, gate_id: int, today: dt.date) -> tuple[scanning.GateRow, scanning.PolicyRow]:
    """The gate and the policy in force if the user may have the gate's list: those who
    may check there (the gate check's rule) and the staff whose scope holds its zone
    (a community secretary, a street cadre, a district leader); else Http404."""
    principal = scanning.principal_of(user)
    if principal is None:
        raise Http404
    try:
        return scanning.gate_and_policy(principal, gate_id, today)
    except Http404:
        # A volunteer of the zone works there but checks no pass: not theirs either.
        if is_places_only(user) or not (
            selectors.zones_visible(user).filter(gates__id=gate_id).exists()
        ):
            raise
    # In the user's scope: read the gate as the system (every gate).
    return scanning.gate_and_policy(Principal(principal.user_id, True), gate_id, today)


def offline_list(*, user, gate_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """The deny list of the gate's zone for a phone working offline (docs/offline.md).
    Http404 where the user may not have it (_list_gate)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    gate, policy = _list_gate(user, gate_id, today)
    values = policy.values
    zone = Zone.objects.values("district_id", "community_id").get(pk=gate.zone_id)
    keys.signing_key(zone["district_id"], now)  # the district's key, made on first use
    entries: dict[str, dict[str, Any]] = {}

    # Valid passes of the zone's people whose state is not clear.
    valid = Pass.objects.filter(revoked_at__isnull=True, expires_at__gt=now)
    people = list(
        valid.filter(person__zone_id=gate.zone_id)
        .exclude(person__epidemic_state="clear")
        .values_list("id", "version", "person_id", "person__epidemic_state", "person__state_until")
    )
    colours = _colours([(p[2], p[3], p[4]) for p in people], values, today)
    for pass_id, version, person_id, _state, _until in people:
        found = colours.get(person_id)
        if found is not None:
            entries[str(pass_id)] = {"v": version, "c": str(found[0]), "r": str(found[1])}
    # Passes of applications not verified yet (no file): yellow, unverified.
    unverified = state_colour(PersonState(linked=False), values)
    assert unverified is not None
    for pass_id, version in valid.filter(
        person__isnull=True, application__zone_id=gate.zone_id
    ).values_list("id", "version"):
        entries[str(pass_id)] = {"v": version, "c": str(unverified[0]), "r": str(unverified[1])}
    # Passes that no longer admit: revoked (replaced, rejected) or expired, until the
    # policy's validity has passed since their expiry (older ones the phone refuses by
    # their issue time).
    gone = Pass.objects.filter(
        Q(revoked_at__isnull=False) | Q(expires_at__lte=now),
        expires_at__gt=now - dt.timedelta(days=values.pass_valid_days),
    )
    fields = ("id", "version", "revoked_at", "replaced_by_id", "revoke_reason")
    for rows in (
        gone.filter(person__zone_id=gate.zone_id).values_list(*fields),
        gone.filter(person__isnull=True, application__zone_id=gate.zone_id).values_list(*fields),
    ):
        for pass_id, version, revoked_at, replaced_by_id, reason in rows:
            code = _refusal(revoked_at, replaced_by_id, reason)
            entries[str(pass_id)] = {"v": version, "c": "refused", "r": code}
    return {
        "taken_at": timezone.localtime(now).isoformat(),
        "gate_id": gate.id,
        "zone_id": gate.zone_id,
        "district_code": gate.district_code,
        "max_age_minutes": values.offline_list_max_age_minutes,
        "fever_threshold": str(values.fever_threshold),
        "pass_valid_days": values.pass_valid_days,
        "observation_point": _observation_point(zone["district_id"], zone["community_id"]),
        "keys": keys.public_keys(district_id=zone["district_id"], now=now),
        "clock_skew_seconds": keys.CLOCK_SKEW_SECONDS,
        "passes": entries,
    }


# --- the batch -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OfflineCheck:
    """One check queued on a phone, as sent."""

    client_id: uuid.UUID
    # As sent (text from the API, read in _one: a time that cannot be read makes that
    # check invalid, not the batch), or already a date-time.
    checked_at: dt.datetime | str
    temperature: str
    offline_colour: str
    token: str = ""
    code: str = ""
    list_taken_at: dt.datetime | str | None = None
    # What the guard did offline (a gate check's decision: choices.Decision); "" from a
    # phone that does not send it (kept working: the check is recorded undecided).
    offline_decision: str = ""


def _offline_decision_check(decision: str, shown: str, fever: bool) -> None:
    """The decision the guard took offline must be one the page offers for the colour it
    showed (the reason is not sent: a yellow may have been sent to the station)."""
    reason = Reason.STATION_UNFINISHED if shown == CheckColour.YELLOW else ""
    allowed = decisions_for(shown, fever, reason)
    if decision not in allowed:
        message = str(ERR_OFFLINE_DECISION).format(
            colour=CheckColour(shown).label,
            choices=", ".join(str(Decision(d).label) for d in allowed),
        )
        raise ValidationError({"offline_decision": [message]})


# What a recorded check's answer is read from (a duplicate, a race lost).
_ROW = ("id", "colour", "reason", "offline_colour", "decision", "fever")


def _duplicate(client_id, row) -> dict:
    check_id, colour, reason, shown, decision, fever = row
    differs = differs_offline(
        shown=shown, decision=decision, colour=colour, fever=fever, reason=reason
    )
    return _result(client_id, "duplicate", check_id, colour, reason, differs)


def _result(client_id, status, check_id=None, colour="", reason="", differs=False) -> dict:
    return {
        "client_id": str(client_id),
        "status": status,
        "check_id": check_id,
        "colour": colour,
        "reason": reason,
        "differs": differs,
    }


def _moment(value: dt.datetime | str | None, field: str) -> dt.datetime | None:
    """A queued check's time as sent (core.api_errors' reading: naive is Asia/Shanghai);
    ValidationError naming the field, in the reader's language, when it cannot be read."""
    if value is None or (value == "" and field != "checked_at"):
        return None
    moment = value if isinstance(value, dt.datetime) else None
    if moment is None:
        try:
            moment = parse_datetime(str(value).strip())
        except ValueError:
            moment = None
    if moment is None:
        raise ValidationError({field: [schema_message({"type": "datetime_parsing"})]})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _invalid(client_id, error: ValidationError) -> dict:
    messages = []
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            messages.extend(f"{field}: {message}" for message in errors)
    else:
        messages.extend(str(message) for message in error.messages)
    return _result(client_id, "invalid", reason="; ".join(messages))


def _mismatch_detail(check: OfflineCheck, colour: str, reason: str) -> str:
    taken = (
        timezone.localtime(check.list_taken_at).strftime("%Y-%m-%d %H:%M")
        if check.list_taken_at
        else "?"
    )
    shown = check.offline_colour
    if check.offline_decision:
        shown += f" ({check.offline_decision})"
    return f"offline {shown} → {colour} ({reason}); list {taken}; {check.client_id}"


def scan_batch(
    *,
    principal: Principal,
    gate_id: int,
    checks: list[OfflineCheck],
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Record the checks a gate's phone made offline (docs/offline.md), each as at its
    time, once per client id; Http404 where the principal may not check at the gate,
    ValidationError for a batch too large. One result per check, in order."""
    now = now or timezone.now()
    if len(checks) > MAX_BATCH:
        raise ValidationError({"checks": [str(ERR_BATCH_SIZE).format(n=MAX_BATCH)]})
    gate, policy_now = scanning.gate_and_policy(principal, gate_id, timezone.localdate(now))
    policies = {timezone.localdate(now): policy_now}
    known = {
        str(row[0]): row[1:]
        for row in GateCheck.objects.filter(
            client_id__in=[c.client_id for c in checks]
        ).values_list("client_id", *_ROW)
    }
    seen: set[str] = set()
    results = []
    for check in checks:
        key = str(check.client_id)
        if key in known:
            results.append(_duplicate(key, known[key]))
            continue
        if key in seen:
            results.append(_invalid(key, ValidationError({"client_id": [ERR_CLIENT_ID_TWICE]})))
            continue
        seen.add(key)
        results.append(
            _one(principal=principal, gate=gate, check=check, now=now, policies=policies)
        )
    return results


def _one(
    *,
    principal: Principal,
    gate: scanning.GateRow,
    check: OfflineCheck,
    now: dt.datetime,
    policies: dict[dt.date, scanning.PolicyRow],
) -> dict[str, Any]:
    key = str(check.client_id)
    try:
        check = replace(
            check,
            checked_at=_moment(check.checked_at, "checked_at"),
            list_taken_at=_moment(check.list_taken_at, "list_taken_at"),
        )
        assert isinstance(check.checked_at, dt.datetime)
        if check.offline_colour not in OFFLINE_COLOURS:
            raise ValidationError({"offline_colour": [ERR_OFFLINE_COLOUR]})
        if check.checked_at > now + CLOCK_SKEW:
            raise ValidationError({"checked_at": [ERR_CHECKED_AT_FUTURE]})
        day = timezone.localdate(check.checked_at)
        policy = policies.get(day)
        if policy is None:
            policy = policies[day] = scanning.gate_and_policy(principal, gate.id, day)[1]
        value = scanning.temperature_of(check.temperature, policy.values)
        if check.offline_decision:
            fever = value >= policy.values.fever_threshold
            _offline_decision_check(check.offline_decision, check.offline_colour, fever)
        method = "scan" if check.token else "code"
        found = scanning.pass_for(
            token=check.token,
            code=check.code,
            district_code=gate.district_code,
            now=check.checked_at,
        )
    except ValidationError as error:
        return _invalid(key, error)
    except PassRefused as refusal:
        if refusal.pass_id is None:
            # Not a pass of this system (forged, altered, unknown key): no check to keep.
            return _result(key, "refused", None, "refused", refusal.code, False)
        return _refused(principal, gate, check, refusal, value, policy, method)
    state = scanning.state_of(found.holder, values=policy.values, today=day, temperature=value)
    person_id = found.holder.id if found.holder is not None else None
    try:
        with transaction.atomic():
            result = scanning.record(
                principal=principal,
                gate=gate,
                now=check.checked_at,
                method=method,
                pass_id=found.id,
                person_id=person_id,
                name=found.name,
                temperature=value,
                state=state,
                policy=policy,
                decision=check.offline_decision,
                offline=(check.client_id, check.offline_colour, check.list_taken_at),
            )
            verdict = result.verdict
            differs = differs_offline(
                shown=check.offline_colour,
                decision=check.offline_decision,
                colour=verdict.colour,
                fever=verdict.fever,
                reason=verdict.reason,
            )
            if differs:
                # In the check's transaction: a check sent again finds its alert made.
                raise_alert(
                    kind=AlertKind.OFFLINE_MISMATCH,
                    person=person_id,
                    source=AlertSource.GATE,
                    zone=gate.zone_id,
                    gate_check=result.check_id,
                    date=day,
                    detail=_mismatch_detail(check, verdict.colour, verdict.reason),
                    by=principal.user_id,
                )
    except (IntegrityError, connection.Database.IntegrityError):
        raced = _raced(check)
        if raced is None:
            raise
        return raced
    return _result(key, "created", result.check_id, verdict.colour, verdict.reason, differs)


def _raced(check: OfflineCheck) -> dict[str, Any] | None:
    """The same check sent at the same moment by another request: theirs stands (the
    unique client id index decided); None if there is none (another integrity error).
    The insert runs on the driver's connection (core.sql.run), whose error Django does
    not wrap."""
    row = GateCheck.objects.filter(client_id=check.client_id).values_list(*_ROW).first()
    if row is None:
        return None
    return _duplicate(check.client_id, row)


def _refused(
    principal: Principal,
    gate: scanning.GateRow,
    check: OfflineCheck,
    refusal: PassRefused,
    value: Decimal,
    policy: scanning.PolicyRow,
    method: str,
) -> dict[str, Any]:
    """A real pass the server refuses at the check's time (revoked or replaced before
    it, expired…): kept as a refused check, as online (scanning.record_refused), once per
    client id; where the phone admitted it, the mismatch alert is keyed on that check,
    in its transaction, so a batch sent twice at once makes one row and one alert."""
    differs = differs_offline(
        shown=check.offline_colour,
        decision=check.offline_decision,
        colour=CheckColour.REFUSED,
        fever=value >= policy.values.fever_threshold,
        reason=refusal.code,
    )
    try:
        with transaction.atomic():
            check_id = scanning.record_refused(
                principal=principal,
                gate=gate,
                now=check.checked_at,
                method=method,
                refusal=refusal,
                temperature=value,
                policy=policy,
                offline=(check.client_id, check.offline_colour, check.list_taken_at),
                decision=check.offline_decision,
            )
            if differs:
                raise_alert(
                    kind=AlertKind.OFFLINE_MISMATCH,
                    person=refusal.person_id,
                    source=AlertSource.GATE,
                    zone=gate.zone_id,
                    gate_check=check_id,
                    date=timezone.localdate(check.checked_at),
                    detail=_mismatch_detail(check, "refused", refusal.code),
                    by=principal.user_id,
                )
    except (IntegrityError, connection.Database.IntegrityError):
        raced = _raced(check)
        if raced is None:
            raise
        return raced
    return _result(check.client_id, "refused", check_id, "refused", refusal.code, differs)
