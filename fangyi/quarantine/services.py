"""Quarantine transitions: one service per transition, each refusing illegal moves.

State machine (CaseState):
    intake → station | home | observation
    station → home                (move_home: station days done, negative test)
    station | home → observation  (send_to_observation)
    station | home | observation → hospital   (transfer_to_hospital)
    hospital → observation        (send_to_observation, after hospital)
    station | home | observation → released  (release: normal or early with reason)
    any active → transferred      (transfer_out, with reason)
Every transition closes the open stage, opens the next one and writes a CaseEvent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.core.models import Policy
from fangyi.core.policy import PolicyValues, policy_in_force, values_of
from fangyi.core.temperature import body_temperature
from fangyi.duty.scope import ERR_PLACES_ONLY, is_places_only
from fangyi.health import alerts as health_alerts
from fangyi.health.alerts import alerts_resolved_by, raise_alert, raise_alerts
from fangyi.health.choices import AlertSource
from fangyi.health.models import Alert
from fangyi.people.models import Person
from fangyi.people.services import person_record_arrival
from fangyi.people.state import refresh as refresh_state
from fangyi.quarantine import checkin, rules, selectors
from fangyi.quarantine.choices import (
    ACTIVE_STATES,
    SYMPTOMS,
    AlertKind,
    CaseReason,
    CaseState,
    CheckChannel,
    FacilityKind,
    ReleaseKind,
    StageKind,
    TestResult,
)
from fangyi.quarantine.models import (
    CaseEvent,
    Facility,
    HealthCheck,
    NucleicTest,
    QuarantineCase,
    Stage,
)

ERR_ALREADY_OPEN = _("This person already has an open quarantine case ({case_no}).")
ERR_NOT_ALLOWED = _("A case that is “{state}” cannot do this: {action}.")
ERR_FACILITY_KIND = _("Choose a facility of the kind “{kind}”.")
ERR_FACILITY_FULL = _("{name} is full ({capacity} places).")
ERR_STATION_TOO_EARLY = _(
    "Station day {day}: going home is allowed from station day {min_days} ({date})."
)
ERR_NEEDS_NEGATIVE_TEST = _("A negative nucleic acid test is required first.")
ERR_RELEASE_TOO_EARLY = _(
    "The release date is {date}; before it, use early release with a written reason."
)
ERR_REASON_REQUIRED = _("Write the reason.")
ERR_ARRIVAL_FUTURE = _("The arrival time cannot be in the future.")
ERR_TEMPERATURE_MISSING = _("Enter the temperature.")
ERR_SYMPTOM = _("Unknown symptom: {name}.")
ERR_DAYS = _("Enter a number of days between 1 and 28.")
ERR_RESULT = _("The result is already recorded.")
ERR_SAMPLE_DATE = _("The sample date must be between day 1 and today.")
ERR_CASE_CLOSED = _("The case is closed.")
ERR_NOT_YOUR_CASE = _(
    "You may not act on this case: it is for the staff who keep the person's file "
    "or are on duty where the person is."
)
ERR_NO_INTAKE = _(
    "You may not open quarantine cases: it is for the staff who keep person files "
    "or are on duty at a facility."
)

FIRST_STAGES: dict[str, str] = {
    CaseState.STATION: StageKind.STATION,
    CaseState.HOME: StageKind.HOME,
    CaseState.OBSERVATION: StageKind.OBSERVATION,
}
STAGE_FACILITY_KIND: dict[str, tuple[FacilityKind, ...]] = {
    StageKind.STATION: (FacilityKind.STATION,),
    StageKind.OBSERVATION: (FacilityKind.OBSERVATION, FacilityKind.HOTEL),
    StageKind.HOSPITAL: (FacilityKind.HOSPITAL,),
}


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _refuse(by, message) -> None:
    raise PermissionDenied(ERR_PLACES_ONLY if is_places_only(by) else message)


def require_case_writer(by, case: QuarantineCase) -> None:
    """Refuse (PermissionDenied, with the reason) unless `by` may act on the case
    (`selectors.case_writable`; None, the system, may)."""
    if not selectors.case_writable(by, case):
        _refuse(by, ERR_NOT_YOUR_CASE)


def check_intake(by) -> None:
    """Refuse unless `by` may open cases at all (the intake page asks first)."""
    if not selectors.may_intake(by):
        _refuse(by, ERR_NO_INTAKE)


def case_values(case: QuarantineCase) -> PolicyValues:
    return values_of(case.policy)


def _refuse_unless(case: QuarantineCase, allowed: tuple, action) -> None:
    if case.state not in allowed:
        raise ValidationError(
            ERR_NOT_ALLOWED.format(state=case.get_state_display(), action=action),
            code="illegal_transition",
        )


def _check_facility(stage_kind: str, facility: Facility | None) -> None:
    kinds = STAGE_FACILITY_KIND.get(stage_kind)
    if kinds is None:
        return
    if facility is None or facility.kind not in kinds:
        raise ValidationError({"facility": [ERR_FACILITY_KIND.format(kind=kinds[0].label)]})
    occupied = Stage.objects.filter(facility=facility, ended_at__isnull=True).count()
    if occupied >= facility.capacity:
        raise ValidationError(
            {"facility": [ERR_FACILITY_FULL.format(name=facility.name, capacity=facility.capacity)]}
        )


def _event(case, *, by, action, from_state="", note="", **data) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        by=_user(by),
        action=action,
        from_state=from_state,
        to_state=case.state,
        note=note,
        data=data,
    )


def _move(case, *, by, to_state, stage_kind, facility, now, note, action) -> QuarantineCase:
    """Close the open stage, open the next one, record the transition."""
    from_state = case.state
    case.stages.filter(ended_at__isnull=True).update(ended_at=now)
    if stage_kind is not None:
        Stage.objects.create(
            case=case,
            kind=stage_kind,
            facility=facility,
            started_at=now,
            decided_by=_user(by),
            note=note,
        )
    case.state = to_state
    case.save(update_fields=["state", "released_on", "release_kind"])
    # Where the case is (or that it closed) is a fact of the person's state.
    refresh_state([case.person_id])
    _event(
        case,
        by=by,
        action=action,
        from_state=from_state,
        note=note,
        facility=facility.name if facility else "",
    )
    return case


def _locked(case: QuarantineCase) -> QuarantineCase:
    # Lock the row: two staff acting on one case at once must not both succeed.
    return QuarantineCase.objects.select_for_update().select_related("policy").get(pk=case.pk)


@transaction.atomic
def case_intake(
    *,
    by,
    person: Person,
    reason: str,
    arrived_at: dt.datetime,
    first_state: str = CaseState.STATION,
    facility: Facility | None = None,
    origin: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> QuarantineCase:
    """Open a case for a person arriving (a returnee, a close contact, …), if `by` keeps
    the person's file or is on duty at the facility of the first stage."""
    if not selectors.intake_allowed_for(by, person, facility):
        _refuse(by, ERR_NOT_YOUR_CASE)
    return _open_case(
        by=by,
        person=person,
        reason=reason,
        arrived_at=arrived_at,
        first_state=first_state,
        facility=facility,
        origin=origin,
        note=note,
        now=now,
    )


def _open_case(
    *,
    by,
    person: Person,
    reason: str,
    arrived_at: dt.datetime,
    first_state: str,
    facility: Facility | None,
    origin: str,
    note: str,
    now: dt.datetime | None,
) -> QuarantineCase:
    """case_intake after its permission check."""
    now = now or timezone.now()
    errors: dict[str, list] = {}
    if reason not in CaseReason.values:
        errors["reason"] = [_("Choose a reason from the list.")]
    if first_state not in FIRST_STAGES:
        errors["first_state"] = [
            _("A case starts at a station, at home or at an observation point.")
        ]
    if arrived_at > now + dt.timedelta(minutes=5):
        errors["arrived_at"] = [ERR_ARRIVAL_FUTURE]
    if errors:
        raise ValidationError(errors)
    open_case = QuarantineCase.objects.filter(person=person, state__in=ACTIVE_STATES).first()
    if open_case is not None:
        raise ValidationError({"person": [ERR_ALREADY_OPEN.format(case_no=open_case.case_no)]})
    stage_kind = FIRST_STAGES[first_state]
    _check_facility(stage_kind, facility)
    start = rules.local_date(arrived_at)
    case = QuarantineCase(
        person=person,
        zone_id=person.zone_id,
        reason=reason,
        origin=origin.strip(),
        arrived_at=arrived_at,
        start_date=start,
        policy=policy_in_force(start),
        state=first_state,
        created_by=_user(by),
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # Another intake of the same person won the race.
        raise ValidationError({"person": [ERR_ALREADY_OPEN.format(case_no="")]}) from None
    case.case_no = f"GL{start:%Y%m%d}{case.pk:05d}"
    case.save(update_fields=["case_no"])
    Stage.objects.create(
        case=case,
        kind=stage_kind,
        facility=facility if stage_kind != StageKind.HOME else None,
        started_at=arrived_at,
        decided_by=_user(by),
        note=note,
    )
    _event(
        case,
        by=by,
        action="intake",
        note=note,
        reason=reason,
        policy=case.policy.code,
        facility=facility.name if facility else "",
    )
    if reason == CaseReason.RETURNED:
        # The file says where the person is: returned, on the arrival day, from where
        # (with history), so that the zone map's travel counts hold.
        person_record_arrival(by=by, person_id=person.pk, arrived_on=start, origin=origin)
    if reason == CaseReason.CLOSE_CONTACT:
        # A close contact's day 1 is the last exposure, not the intake (docs/contacts.md).
        from fangyi.quarantine.contacts import start_from_last_exposure

        start_from_last_exposure(case, by=by)
    # A returnee a guard referred to the station is here: the referral is answered.
    alerts_resolved_by(
        person_id=person.pk,
        kinds=(AlertKind.STATION_REFERRAL,),
        note=_("Taken in: case {case_no}.").format(case_no=case.case_no),
        by=by,
        now=now,
    )
    refresh_state([person.pk])
    return case


def latest_negative_test(case: QuarantineCase) -> NucleicTest | None:
    return case.tests.filter(result=TestResult.NEGATIVE).order_by("-sampled_on", "-id").first()


@transaction.atomic
def case_move_home(
    *, by, case: QuarantineCase, note: str = "", now: dt.datetime | None = None
) -> QuarantineCase:
    """Station → home: after the policy's minimum station days, with a negative test."""
    now = now or timezone.now()
    case = _locked(case)
    require_case_writer(by, case)
    _refuse_unless(case, (CaseState.STATION,), _("go home"))
    values = case_values(case)
    today = timezone.localdate(now)
    window = rules.station_window(case.start_date, values)
    if today < window.earliest_home:
        raise ValidationError(
            ERR_STATION_TOO_EARLY.format(
                day=rules.day_number(case.start_date, today),
                min_days=values.station_days_min,
                date=window.earliest_home.isoformat(),
            ),
            code="too_early",
        )
    if latest_negative_test(case) is None:
        raise ValidationError(ERR_NEEDS_NEGATIVE_TEST, code="needs_test")
    return _move(
        case,
        by=by,
        to_state=CaseState.HOME,
        stage_kind=StageKind.HOME,
        facility=None,
        now=now,
        note=note,
        action="move_home",
    )


@transaction.atomic
def case_send_to_observation(
    *, by, case: QuarantineCase, facility: Facility, note: str = "", now: dt.datetime | None = None
) -> QuarantineCase:
    """Station, home or hospital → a designated observation point (or quarantine hotel)."""
    now = now or timezone.now()
    case = _locked(case)
    require_case_writer(by, case)
    _refuse_unless(
        case,
        (CaseState.STATION, CaseState.HOME, CaseState.HOSPITAL),
        _("go to an observation point"),
    )
    if not note.strip():
        raise ValidationError({"note": [ERR_REASON_REQUIRED]})
    _check_facility(StageKind.OBSERVATION, facility)
    return _move(
        case,
        by=by,
        to_state=CaseState.OBSERVATION,
        stage_kind=StageKind.OBSERVATION,
        facility=facility,
        now=now,
        note=note,
        action="send_to_observation",
    )


@transaction.atomic
def case_transfer_to_hospital(
    *, by, case: QuarantineCase, facility: Facility, note: str = "", now: dt.datetime | None = None
) -> QuarantineCase:
    now = now or timezone.now()
    case = _locked(case)
    require_case_writer(by, case)
    _refuse_unless(
        case, (CaseState.STATION, CaseState.HOME, CaseState.OBSERVATION), _("go to hospital")
    )
    if not note.strip():
        raise ValidationError({"note": [ERR_REASON_REQUIRED]})
    _check_facility(StageKind.HOSPITAL, facility)
    return _move(
        case,
        by=by,
        to_state=CaseState.HOSPITAL,
        stage_kind=StageKind.HOSPITAL,
        facility=facility,
        now=now,
        note=note,
        action="transfer_to_hospital",
    )


@transaction.atomic
def case_release(
    *,
    by,
    case: QuarantineCase,
    kind: str = ReleaseKind.NORMAL,
    note: str = "",
    now: dt.datetime | None = None,
) -> QuarantineCase:
    """Release: normal from the derived release date with a recent negative test
    (policy), or early with a written reason."""
    now = now or timezone.now()
    case = _locked(case)
    require_case_writer(by, case)
    _refuse_unless(
        case, (CaseState.STATION, CaseState.HOME, CaseState.OBSERVATION), _("be released")
    )
    values = case_values(case)
    today = timezone.localdate(now)
    if kind == ReleaseKind.NORMAL:
        due = rules.release_date(case.start_date, values, case.extension_days)
        if today < due:
            raise ValidationError(
                ERR_RELEASE_TOO_EARLY.format(date=due.isoformat()), code="too_early"
            )
        if values.release_requires_negative_test:
            test = latest_negative_test(case)
            oldest = today - dt.timedelta(days=values.release_test_max_age_days)
            if test is None or test.sampled_on < oldest:
                raise ValidationError(ERR_NEEDS_NEGATIVE_TEST, code="needs_test")
    elif kind == ReleaseKind.EARLY:
        if not note.strip():
            raise ValidationError({"note": [ERR_REASON_REQUIRED]})
    else:
        raise ValidationError({"kind": [_("Choose normal or early release.")]})
    case.released_on = today
    case.release_kind = kind
    return _move(
        case,
        by=by,
        to_state=CaseState.RELEASED,
        stage_kind=None,
        facility=None,
        now=now,
        note=note,
        action=f"release_{kind}",
    )


@transaction.atomic
def case_transfer_out(
    *, by, case: QuarantineCase, note: str, now: dt.datetime | None = None
) -> QuarantineCase:
    """Hand the case over to another authority (another district, the hospital system)."""
    now = now or timezone.now()
    case = _locked(case)
    require_case_writer(by, case)
    _refuse_unless(case, ACTIVE_STATES, _("be transferred out"))
    if not note.strip():
        raise ValidationError({"note": [ERR_REASON_REQUIRED]})
    return _move(
        case,
        by=by,
        to_state=CaseState.TRANSFERRED,
        stage_kind=None,
        facility=None,
        now=now,
        note=note,
        action="transfer_out",
    )


@transaction.atomic
def case_extend(*, by, case: QuarantineCase, days: int, note: str) -> QuarantineCase:
    """Add days to the quarantine (the release date moves), with a written reason."""
    case = _locked(case)
    require_case_writer(by, case)
    _refuse_unless(case, ACTIVE_STATES, _("be extended"))
    if not isinstance(days, int) or not 1 <= days <= 28:
        raise ValidationError({"days": [ERR_DAYS]})
    if not note.strip():
        raise ValidationError({"note": [ERR_REASON_REQUIRED]})
    case.extension_days += days
    case.save(update_fields=["extension_days"])
    _event(case, by=by, action="extend", from_state=case.state, note=note, days=days)
    return case


@transaction.atomic
def case_reapply_policy(*, by, case: QuarantineCase, policy: Policy, note: str) -> QuarantineCase:
    """Put a case under another policy version (e.g. a new one), with a written reason."""
    case = _locked(case)
    require_case_writer(by, case)
    _refuse_unless(case, ACTIVE_STATES, _("change policy"))
    if not note.strip():
        raise ValidationError({"note": [ERR_REASON_REQUIRED]})
    old = case.policy.code
    case.policy = policy
    case.save(update_fields=["policy"])
    _event(
        case,
        by=by,
        action="reapply_policy",
        from_state=case.state,
        note=note,
        old=old,
        new=policy.code,
    )
    return case


def _raise_alert(case: QuarantineCase, *, kind: str, source: str, **fields) -> Alert:
    """Raise an alert about the case's person (health.alerts: idempotent, routed to the
    person's duty chain and the station the case is at)."""
    station = (
        case.stages.filter(ended_at__isnull=True, facility__isnull=False)
        .values_list("facility_id", flat=True)
        .first()
    )
    return raise_alert(
        kind=kind, person=case.person_id, source=source, case=case, facility=station,
        zone=case.zone_id, **fields,
    )  # fmt: skip


@transaction.atomic
def test_record(*, by, case: QuarantineCase, sampled_on: dt.date, lab: str = "") -> NucleicTest:
    require_case_writer(by, case)
    today = timezone.localdate()
    if case.state not in ACTIVE_STATES:
        raise ValidationError(ERR_CASE_CLOSED)
    if not case.start_date <= sampled_on <= today:
        raise ValidationError({"sampled_on": [ERR_SAMPLE_DATE]})
    test = NucleicTest.objects.create(
        case=case, sampled_on=sampled_on, lab=lab.strip(), recorded_by=_user(by)
    )
    _event(
        case,
        by=by,
        action="test_sampled",
        from_state=case.state,
        sampled_on=sampled_on.isoformat(),
        lab=test.lab,
    )
    return test


@transaction.atomic
def test_set_result(*, by, test: NucleicTest, result: str, now: dt.datetime | None = None):
    """Record a test result. A positive one makes the person's state "positive" at once
    (red at the gate, people.state), raises an alert, and puts the case first on the
    station doctor's worklist as "must move" until it is at a hospital or an
    observation point (selectors.worklist_must_move)."""
    now = now or timezone.now()
    test = NucleicTest.objects.select_for_update().select_related("case").get(pk=test.pk)
    require_case_writer(by, test.case)
    if test.result != TestResult.PENDING:
        raise ValidationError({"result": [ERR_RESULT]})
    if result not in (TestResult.NEGATIVE, TestResult.POSITIVE):
        raise ValidationError({"result": [_("Choose negative or positive.")]})
    test.result = result
    test.result_at = now
    test.recorded_by = _user(by) or test.recorded_by
    test.save(update_fields=["result", "result_at", "recorded_by"])
    case = test.case
    _event(
        case,
        by=by,
        action=f"test_{result}",
        from_state=case.state,
        sampled_on=test.sampled_on.isoformat(),
    )
    if result == TestResult.POSITIVE:
        _raise_alert(
            case,
            kind=AlertKind.POSITIVE_TEST,
            source=AlertSource.TEST,
            by=_user(by),
            date=timezone.localdate(now),
            test=test,
            detail=test.sampled_on.isoformat(),
        )
    # The person's state follows the result in this transaction (people.state).
    refresh_state([case.person_id])
    return test


def parse_temperature(raw: Any, values: PolicyValues | None = None) -> Decimal:
    """A body temperature as people type it on a phone (`core.temperature`: 36,8 36。8
    ３６．８ 36.8℃ 36.8度), to 0.1 °C, within the plausible range of the policy `values`
    (the one in force today if not given). A ValidationError on `temperature` naming
    the value typed, with the screening form's messages; nothing typed is refused too."""
    if values is None:
        values = values_of(policy_in_force(timezone.localdate()))
    try:
        value = body_temperature(raw, low=values.temperature_min, high=values.temperature_max)
    except ValidationError as exc:
        raise ValidationError({"temperature": exc.messages}) from None
    if value is None:
        raise ValidationError({"temperature": [ERR_TEMPERATURE_MISSING]})
    return value


@transaction.atomic
def health_check_record(
    *,
    case: QuarantineCase,
    temperature: Any,
    symptoms: list[str] | tuple[str, ...] = (),
    channel: str = CheckChannel.STAFF,
    by=None,
    now: dt.datetime | None = None,
) -> HealthCheck:
    """Record a temperature and symptoms for the current slot; raise fever/symptom alerts.
    Staff record for the cases they may act on; the person (`by` None) through the
    signed check-in link."""
    require_case_writer(by, case)
    now = now or timezone.now()
    if case.state not in ACTIVE_STATES:
        raise ValidationError(ERR_CASE_CLOSED)
    values = case_values(case)
    value = parse_temperature(temperature, values)
    known = {code for code, _label in SYMPTOMS}
    for name in symptoms:
        if name not in known:
            raise ValidationError({"symptoms": [ERR_SYMPTOM.format(name=name)]})
    date, slot = rules.slot_of(now, values)
    check = HealthCheck.objects.create(
        case=case,
        date=date,
        slot=slot,
        at=now,
        temperature=value,
        symptoms=sorted(set(symptoms)),
        channel=channel,
        recorded_by=_user(by),
    )
    if value >= values.fever_threshold:
        _raise_alert(
            case,
            kind=AlertKind.FEVER,
            source=AlertSource.CHECKIN,
            by=_user(by),
            date=date,
            slot=slot,
            health_check=check,
            temperature=value,
            detail=f"{value} °C",
        )
    if check.symptoms:
        _raise_alert(
            case,
            kind=AlertKind.SYMPTOM,
            source=AlertSource.CHECKIN,
            by=_user(by),
            temperature=value,
            date=date,
            slot=slot,
            health_check=check,
            detail=",".join(check.symptoms),
        )
    return check


def alerts_sync_missed(*, now: dt.datetime | None = None, cases=None) -> int:
    """Raise one alert per slot that ended without a check, for open cases (idempotent).

    Called when worklists and alert lists are read (and by `fangyi quarantine
    sync-alerts` if a district wants them pushed): nothing depends on a job running.
    """
    now = now or timezone.now()
    cases = cases if cases is not None else QuarantineCase.objects.filter(state__in=ACTIVE_STATES)
    cases = list(cases.select_related("policy"))
    if not cases:
        return 0
    ids = [c.pk for c in cases]
    checked = set(
        HealthCheck.objects.filter(case_id__in=ids).values_list("case_id", "date", "slot")
    )
    raised = set(
        Alert.objects.filter(case_id__in=ids, kind=AlertKind.MISSED_CHECK).values_list(
            "case_id", "date", "slot"
        )
    )
    station_of = dict(
        Stage.objects.filter(
            case_id__in=ids, ended_at__isnull=True, facility__isnull=False
        ).values_list("case_id", "facility_id")
    )
    new = []
    for case in cases:
        values = values_of(case.policy)
        for date, slot in rules.slots_between(case.arrived_at, now, values):
            key = (case.pk, date, slot)
            if key not in checked and key not in raised:
                new.append(
                    Alert(
                        case=case,
                        person_id=case.person_id,
                        zone_id=case.zone_id,
                        facility_id=station_of.get(case.pk),
                        kind=AlertKind.MISSED_CHECK,
                        source=AlertSource.CHECKIN,
                        date=date,
                        slot=slot,
                    )
                )
    # A concurrent sync may have raised the same slot a moment ago: the constraint keeps one.
    return raise_alerts(new)


def alert_acknowledge(*, by, alert: Alert, now: dt.datetime | None = None) -> Alert:
    """Acknowledge a case's alert: those who may act on the case (refused with the case's
    reason), then health.alerts' rule for every alert."""
    if alert.case_id is not None:
        require_case_writer(by, QuarantineCase.objects.get(pk=alert.case_id))
    return health_alerts.alert_acknowledge(by=by, alert=alert, now=now)


def alert_close(*, by, alert: Alert, note: str, now: dt.datetime | None = None) -> Alert:
    """Close a case's alert with what was done (as alert_acknowledge)."""
    if alert.case_id is not None:
        require_case_writer(by, QuarantineCase.objects.get(pk=alert.case_id))
    return health_alerts.alert_close(by=by, alert=alert, note=note, now=now)


@transaction.atomic
def checkin_link_reissue(*, by, case: QuarantineCase) -> str:
    """A new self check-in link for an open case (a lost or forwarded one): the old link
    is refused from now on as replaced. Recorded in the case's history."""
    case = _locked(case)
    require_case_writer(by, case)
    _refuse_unless(case, ACTIVE_STATES, _("get a new check-in link"))
    token = checkin.checkin_reissue(case)
    _event(case, by=by, action="checkin_reissued", from_state=case.state)
    return token
