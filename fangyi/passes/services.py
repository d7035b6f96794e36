"""Writes for passes: applications, issuing and revoking passes, gate checks, fever review.

Every service is keyword-only and atomic, validates everything before it writes, and
raises ValidationError (or PassRefused for a pass that does not admit) with the module's
message constants, so tests assert them exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.core.models import Policy
from fangyi.core.policy import policy_in_force, values_of
from fangyi.core.templatetags.fangyi_tags import enumeration
from fangyi.duty.scope import keeps_files
from fangyi.health.alerts import alert_close
from fangyi.health.choices import AlertStatus
from fangyi.health.models import Alert
from fangyi.passes import keys, referrals, scanning, selectors, tokens
from fangyi.passes.choices import (
    ApplicationStatus,
    Decision,
    FeverStatus,
    Method,
)
from fangyi.passes.colour import PersonState, Verdict, pass_colour_for
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.passes.scanning import (  # noqa: F401 (the services' messages)
    ERR_DECISION,
    ERR_TEMPERATURE_REQUIRED,
    ERR_TOKEN_OR_CODE,
    REJECTED_REVOKE_REASON,
)
from fangyi.people.choices import DocType
from fangyi.people.identity import IdentityError, parse_document, parse_phone
from fangyi.people.models import Person
from fangyi.people.services import person_create, person_update
from fangyi.places.models import Dwelling, Gate

ERR_NAME = _("Enter the name.")
ERR_DOC_TYPE = _("Choose a document type from the list.")
ERR_PHONE_REQUIRED = _("Enter the mobile number.")
ERR_DWELLING = _("Choose the zone, building and room you live in.")
ERR_NOT_PENDING = _("This application was already decided.")
ERR_REJECT_REASON = _("Write the reason for rejecting; the applicant will see it.")
ERR_REVOKE_REASON = _("Write the reason for revoking the pass.")
ERR_ALREADY_REVOKED = _("This pass is already revoked.")
ERR_NO_PERSON = _("A pass is issued to a person file.")
ERR_DECIDED = _("This check was already decided.")
ERR_NOT_YOUR_CHECK = _("Only the guard who made the check records its decision.")
ERR_VISITOR_NAME = _("Enter the visitor's name.")
ERR_REVIEWED = _("This alert was already reviewed.")
ERR_OUTCOME = _("Choose cleared or referred.")
ERR_NOT_YOURS = _(
    "You may not do this: it is for the staff who keep the person files of this place."
)
ERR_REVIEW_NOT_YOURS = _(
    "Only the zone's doctor or the staff who keep its person files review a gate fever."
)
ERR_FILE_ELSEWHERE = _(
    "A person file with this document number lies outside your area: ask the staff of "
    "that area to verify the applicant."
)
ERR_FILE_DIFFERS = _(
    "The person file with this document number does not match the application in: "
    "%(fields)s. If the applicant is right, correct the file first; otherwise reject the "
    "application."
)
# The fields of selectors.MATCHED_FIELDS as the refusal names them.
FIELD_LABELS = {"name": _("name"), "phone": _("phone"), "dwelling": _("dwelling")}
# Why an older pass stopped admitting when its holder got a new one (kept on the pass,
# with who and when: the record of the replacement).
REPLACED_REASON = "replaced"


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# --- who may do what ---------------------------------------------------------------------
#
# `by=None` is the system (the demo, commands); every page and API call passes the
# acting user, anonymous included, and these rules decide for them.


def application_may_decide(user, application: PassApplication) -> bool:
    """Approve or reject an application: the staff who keep the person files of its
    dwelling (the building's grid worker and everyone above); not guards or volunteers."""
    return keeps_files(user, "person", application)


@dataclass(frozen=True)
class PassActions:
    """What the user may do with a person's passes (pages show only these)."""

    view: bool = False
    issue: bool = False
    revoke: bool = False


def pass_actions_for(user, person: Person | None) -> PassActions:
    """Issue, reissue and revoke a person's passes (and open their pass page, whose link
    is the holder's credential): the staff who keep the person's file; not guards, not a
    volunteer serving the person."""
    if person is None or user is None or not keeps_files(user, "person", person):
        return PassActions()
    return PassActions(view=True, issue=True, revoke=True)


# Clear or refer a gate fever: the zone's doctor and the staff who keep the zone's person
# files (a read rule, so the list can show it: it lives with the selectors).
fever_alert_may_review = selectors.fever_alert_may_review


def _require(by, allowed: bool, message=ERR_NOT_YOURS) -> None:
    if by is not None and not allowed:
        raise PermissionDenied(message)


# --- applications ------------------------------------------------------------------------


def _clean_application(values: dict[str, Any], today: dt.date) -> dict[str, Any]:
    errors: dict[str, list] = {}
    cleaned: dict[str, Any] = {}
    name = " ".join(str(values.get("name") or "").split())
    if not name or len(name) > 50:
        errors["name"] = [ERR_NAME]
    cleaned["name"] = name
    doc_type = values.get("doc_type") or DocType.ID_CARD
    if doc_type not in DocType.values:
        errors["doc_type"] = [ERR_DOC_TYPE]
    else:
        try:
            info = parse_document(doc_type, str(values.get("doc_number") or ""), today=today)
        except IdentityError as exc:
            errors["doc_number"] = [exc.message]
        else:
            cleaned["doc_number"] = info.number
    cleaned["doc_type"] = doc_type
    raw_phone = str(values.get("phone") or "").strip()
    if not raw_phone:
        errors["phone"] = [ERR_PHONE_REQUIRED]
    else:
        try:
            cleaned["phone"] = parse_phone(raw_phone)
        except IdentityError as exc:
            errors["phone"] = [exc.message]
    dwelling = None
    dwelling_id = str(values.get("dwelling_id") or "")
    if dwelling_id.isdigit():
        dwelling = Dwelling.objects.select_related("building").filter(pk=int(dwelling_id)).first()
    if dwelling is None:
        errors["dwelling_id"] = [ERR_DWELLING]
    cleaned["dwelling"] = dwelling
    if errors:
        raise ValidationError(errors)
    return cleaned


def _new_pass(
    *,
    district_id: int,
    person: Person | None,
    application: PassApplication | None,
    by,
    now: dt.datetime,
    version: int = 1,
) -> Pass:
    days = values_of(policy_in_force(timezone.localdate(now))).pass_valid_days
    for _attempt in range(5):
        code = tokens.new_code()
        try:
            with transaction.atomic():
                return Pass.objects.create(
                    person=person,
                    application=application,
                    district_id=district_id,
                    key=tokens.new_key(),
                    version=version,
                    code=code,
                    issued_at=now,
                    expires_at=now + dt.timedelta(days=days),
                    issued_by=_user(by),
                )
        except IntegrityError:
            if Pass.objects.filter(code=code).exists():  # pragma: no cover - 50 bits collided
                continue
            raise  # the person got another valid pass meanwhile (pass_one_valid_per_person)
    raise RuntimeError("could not draw a unique pass code")  # pragma: no cover


def _retire_passes(*, person_id: int, by, now: dt.datetime) -> None:
    """First half of a replacement: the person's valid passes stop admitting (one valid
    pass per person is a constraint, so they go before the new one comes)."""
    Pass.objects.filter(person_id=person_id, revoked_at__isnull=True).update(
        revoked_at=now, revoke_reason=REPLACED_REASON, revoked_by=_user(by)
    )


def _mark_replaced(*, person_id: int, new: Pass, now: dt.datetime) -> None:
    """Second half: the passes just retired point to the one that replaced them. With
    revoked_at, revoked_by and the reason, this is the record of the replacement."""
    Pass.objects.filter(
        person_id=person_id,
        revoked_at=now,
        revoke_reason=REPLACED_REASON,
        replaced_by__isnull=True,
    ).exclude(pk=new.pk).update(replaced_by=new)


def _issue_replacing(
    *,
    person: Person | None,
    district_id: int,
    application: PassApplication | None,
    by,
    now: dt.datetime,
) -> Pass:
    """A new pass; the holder's earlier valid passes are refused from now on as replaced.
    Without a holder the same statements run for nobody (no person has id 0), so an
    application that matches no file takes the same time as one that does."""
    holder_id = person.pk if person is not None else 0
    # The reissue counter goes on from the holder's last pass (docs/offline.md).
    last = Pass.objects.filter(person_id=holder_id).aggregate(v=Max("version"))["v"] or 0
    _retire_passes(person_id=holder_id, by=by, now=now)
    new = _new_pass(
        district_id=district_id,
        person=person,
        application=application,
        by=by,
        now=now,
        version=last + 1,
    )
    _mark_replaced(person_id=holder_id, new=new, now=now)
    return new


@dataclass(frozen=True)
class Submitted:
    application: PassApplication
    pass_obj: Pass


def _file_matches(person: Person | None, cleaned: dict[str, Any]) -> bool:
    """Name, document, phone and dwelling all those of a verified file."""
    return (
        person is not None
        and person.verified
        and person.name == cleaned["name"]
        and bool(person.phone)
        and person.phone == cleaned["phone"]
        and person.dwelling_id == cleaned["dwelling"].pk
    )


@transaction.atomic
def application_submit(*, values: dict[str, Any], now: dt.datetime | None = None) -> Submitted:
    """A resident applies (no login). Approved at once only when name, document, phone
    and dwelling all match a verified person file (the new pass then replaces the
    person's old one); otherwise the application waits for the staff of the building.

    Anybody may post anybody's name and ID number, so the answer must not tell whether
    a file exists or what it says: every application that is not a full match gets the
    same answer (pending, a pass page without colour or reason until verified), and
    every application runs the same statements, so not even the time tells them apart."""
    now = now or timezone.now()
    cleaned = _clean_application(values, timezone.localdate(now))
    dwelling: Dwelling = cleaned["dwelling"]
    building = dwelling.building
    person = (
        Person.objects.select_for_update()
        .filter(doc_type=cleaned["doc_type"], doc_number=cleaned["doc_number"])
        .first()
    )
    holder = person if _file_matches(person, cleaned) else None
    application = PassApplication.objects.create(
        name=cleaned["name"],
        doc_type=cleaned["doc_type"],
        doc_number=cleaned["doc_number"],
        phone=cleaned["phone"],
        dwelling=dwelling,
        building=building,
        zone_id=building.zone_id,
        community_id=building.community_id,
        street_id=building.street_id,
        district_id=building.district_id,
        status=ApplicationStatus.APPROVED if holder else ApplicationStatus.PENDING,
        person=holder,
        decided_at=now if holder else None,
    )
    issued = _issue_replacing(
        person=holder, district_id=building.district_id, application=application, by=None, now=now
    )
    return Submitted(application, issued)


def _pending(application: PassApplication) -> PassApplication:
    locked = PassApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != ApplicationStatus.PENDING:
        raise ValidationError(ERR_NOT_PENDING, code="decided")
    return locked


@transaction.atomic
def application_approve(
    *, by, application: PassApplication, now: dt.datetime | None = None
) -> PassApplication:
    """The grid worker verified the applicant: link or create the person file (through
    people.services, so the file's history shows it) and the pass turns from pending
    to the person's colour, replacing the person's earlier pass. Only the staff who keep
    the files of the application's dwelling decide; a file of the document outside
    their places is not theirs to verify. An existing file is linked only when its name,
    dwelling and mobile number (if it has one) are the application's
    (selectors.file_differences): otherwise the reviewer corrects the file first or
    rejects the application."""
    now = now or timezone.now()
    _require(by, application_may_decide(by, application))
    application = _pending(application)
    person = (
        Person.objects.select_for_update()
        .filter(doc_type=application.doc_type, doc_number=application.doc_number)
        .first()
    )
    if person is None:
        person = person_create(
            user=by,
            dwelling=application.dwelling,
            values={
                "name": application.name,
                "doc_type": application.doc_type,
                "doc_number": application.doc_number,
                "phone": application.phone,
                "verified": True,
            },
            source="pass",
        )
    else:
        if by is not None and not keeps_files(by, "person", person):
            raise ValidationError(ERR_FILE_ELSEWHERE, code="file_elsewhere")
        differs = selectors.file_differences(person, application)
        if differs:
            # Linking would put this applicant's pass on somebody's file (its colour, its
            # quarantine) and replace that person's own pass.
            raise ValidationError(
                ERR_FILE_DIFFERS,
                code="file_differs",
                params={"fields": enumeration(FIELD_LABELS[f] for f in differs)},
            )
        changes: dict[str, Any] = {"verified": True}
        if not person.phone:
            changes["phone"] = application.phone
        person = person_update(user=by, person=person, values=changes, source="pass")
    application.status = ApplicationStatus.APPROVED
    application.person = person
    application.decided_by = _user(by)
    application.decided_at = now
    application.save(update_fields=["status", "person", "decided_by", "decided_at"])
    _retire_passes(person_id=person.pk, by=by, now=now)
    mine = Pass.objects.filter(application=application, revoked_at__isnull=True).first()
    if mine is not None:
        Pass.objects.filter(pk=mine.pk).update(person=person)
        _mark_replaced(person_id=person.pk, new=mine, now=now)
    return application


@transaction.atomic
def application_reject(
    *, by, application: PassApplication, reason: str, now: dt.datetime | None = None
) -> PassApplication:
    """Reject with a reason the applicant sees on their link; the pass stops admitting.
    Only the staff who keep the files of the application's dwelling decide."""
    now = now or timezone.now()
    _require(by, application_may_decide(by, application))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [ERR_REJECT_REASON]})
    application = _pending(application)
    application.status = ApplicationStatus.REJECTED
    application.reject_reason = reason[:200]
    application.decided_by = _user(by)
    application.decided_at = now
    application.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
    Pass.objects.filter(application=application, revoked_at__isnull=True).update(
        revoked_at=now, revoke_reason=REJECTED_REVOKE_REASON, revoked_by=_user(by)
    )
    return application


# --- passes ------------------------------------------------------------------------------


@transaction.atomic
def pass_issue(*, by, person: Person, now: dt.datetime | None = None) -> Pass:
    """Issue a pass to a person file (staff, e.g. a paper pass for someone without a
    phone); the person's earlier pass is refused from now on as replaced."""
    now = now or timezone.now()
    if person is None or person.district_id is None:
        raise ValidationError(ERR_NO_PERSON)
    _require(by, pass_actions_for(by, person).issue)
    district_id = person.district_id
    person = Person.objects.select_for_update().get(pk=person.pk)  # one replacement at a time
    return _issue_replacing(
        person=person, district_id=district_id, application=None, by=by, now=now
    )


@transaction.atomic
def pass_revoke(*, by, pass_obj: Pass, reason: str, now: dt.datetime | None = None) -> Pass:
    """Revoke a pass; its token and code are refused from now on."""
    now = now or timezone.now()
    _require(by, pass_actions_for(by, pass_obj.person).revoke)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [ERR_REVOKE_REASON]})
    locked = Pass.objects.select_for_update().get(pk=pass_obj.pk)
    if locked.revoked_at is not None:
        raise ValidationError(ERR_ALREADY_REVOKED, code="revoked")
    locked.revoked_at = now
    locked.revoke_reason = reason[:200]
    locked.revoked_by = _user(by)
    locked.save(update_fields=["revoked_at", "revoke_reason", "revoked_by"])
    return locked


@transaction.atomic
def pass_reissue(*, by, pass_obj: Pass, now: dt.datetime | None = None) -> Pass:
    """A new pass (new token, code and link) for the same holder; the old one is refused
    as replaced."""
    now = now or timezone.now()
    _require(by, pass_actions_for(by, pass_obj.person).issue)
    old = Pass.objects.select_for_update().get(pk=pass_obj.pk)
    if old.revoked_at is None:
        Pass.objects.filter(pk=old.pk).update(
            revoked_at=now, revoke_reason=REPLACED_REASON, revoked_by=_user(by)
        )
    if old.person_id is not None:
        _retire_passes(person_id=old.person_id, by=by, now=now)
    new = _new_pass(
        district_id=old.district_id,
        person=old.person,
        application=old.application,
        by=by,
        now=now,
        version=old.version + 1,
    )
    Pass.objects.filter(pk=old.pk, replaced_by__isnull=True).update(replaced_by=new)
    if old.person_id is not None:
        _mark_replaced(person_id=old.person_id, new=new, now=now)
    return new


def pass_token(pass_obj: Pass) -> str:
    """The QR text of a pass: signed with its district's current key (P2, passes.keys), so
    a gate's phone verifies it offline. P1 tokens printed before keep working online
    (scanning.pass_for) until the pass is replaced."""
    return keys.sign_token(pass_obj)


def pass_resolve(
    *, token: str = "", code: str = "", district_code: str, now: dt.datetime | None = None
) -> Pass:
    """The pass a scanned token or a typed code stands for, if it admits; else PassRefused
    with the reason (scanning.pass_for)."""
    found = scanning.pass_for(
        token=token, code=code, district_code=district_code, now=now or timezone.now()
    )
    return Pass.objects.select_related("person").get(pk=found.id)


def pass_verdict(pass_obj: Pass, *, now: dt.datetime | None = None) -> tuple[Verdict, Policy]:
    """The colour a pass shows now (the resident's page): no temperature."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    policy = policy_in_force(today)
    values = values_of(policy)
    state = selectors.person_state(pass_obj.person, values=values, today=today)
    return pass_colour_for(state, values), policy


# --- gate checks -------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    check: GateCheck
    verdict: Verdict
    name_masked: str


def gate_check_record(
    *,
    by,
    gate: Gate,
    temperature: Any,
    token: str = "",
    code: str = "",
    visitor: dict[str, str] | None = None,
    method: str = "",
    decision: str = "",
    now: dt.datetime | None = None,
) -> CheckResult:
    """Check one person at a gate the caller may check at: a pass (scanning.scan, the
    path every gate check takes) or a visitor registered by hand. A fever is never
    green: the check is held for review and an alert goes to the zone's staff."""
    now = now or timezone.now()
    principal = scanning.principal_of(by)
    if principal is None:
        raise Http404
    if visitor is None:
        result = scanning.scan(
            principal=principal,
            gate_id=gate.pk,
            temperature=temperature,
            token=token,
            code=code,
            decision=decision,
            method=method,
            now=now,
        )
    else:
        gate_row, policy = scanning.gate_and_policy(principal, gate.pk, timezone.localdate(now))
        value = scanning.temperature_of(temperature, policy.values)
        name = " ".join(str(visitor.get("name") or "").split())
        if not name:
            raise ValidationError({"visitor_name": [ERR_VISITOR_NAME]})
        phone = str(visitor.get("phone") or "").strip()
        if phone:
            try:
                phone = parse_phone(phone)
            except IdentityError as exc:
                raise ValidationError({"visitor_phone": [exc.message]}) from None
        result = scanning.record(
            principal=principal,
            gate=gate_row,
            now=now,
            method=Method.VISITOR,
            pass_id=None,
            person_id=None,
            name=name,
            temperature=value,
            state=PersonState(linked=False, visitor=True, temperature=value),
            policy=policy,
            decision=decision,
            visitor={
                "visitor_name": name[:50],
                "visitor_phone": phone,
                "visitor_note": str(visitor.get("note") or "").strip()[:100],
            },
        )
    check = GateCheck.objects.select_related("policy").get(pk=result.check_id)
    return CheckResult(check, result.verdict, result.name_masked)


@transaction.atomic
def gate_check_decide(
    *, by, check: GateCheck, decision: str, now: dt.datetime | None = None
) -> GateCheck:
    """Record what the guard did after seeing the colour. Sending the person to the
    observation point or the health station sets them moving in the same transaction
    (passes.referrals: the case moves, the duty chain or the station is alerted)."""
    now = now or timezone.now()
    locked = GateCheck.objects.select_for_update().get(pk=check.pk)
    if locked.guard_id != getattr(by, "pk", None):
        raise PermissionDenied(ERR_NOT_YOUR_CHECK)
    if locked.decision and locked.decision != Decision.HELD:
        raise ValidationError(ERR_DECIDED, code="decided")
    scanning.decision_check(decision, locked.colour, locked.fever, locked.reason)
    locked.decision = decision
    locked.decided_at = now
    locked.save(update_fields=["decision", "decided_at"])
    referrals.gate_referral(check_id=locked.pk, decision=decision, guard=by, now=now)
    return locked


def fever_alert_review(
    *, by, alert: Alert, outcome: str, note: str = "", now: dt.datetime | None = None
) -> Alert:
    """The person's doctor or the staff who keep their file reviewed a gate fever: cleared
    (the person is no longer held for review) or referred for medical care; either
    closes the alert with the outcome in its note (health.alerts.alert_close, which
    refreshes the person's state). Not a guard: the one who held the person would clear
    their own hold."""
    _require(by, fever_alert_may_review(by, alert), ERR_REVIEW_NOT_YOURS)
    if outcome not in (FeverStatus.CLEARED, FeverStatus.REFERRED):
        raise ValidationError({"outcome": [ERR_OUTCOME]})
    if Alert.objects.filter(pk=alert.pk, status=AlertStatus.CLOSED).exists():
        raise ValidationError(ERR_REVIEWED, code="reviewed")
    label = str(FeverStatus(outcome).label)
    text = f"{label}: {note.strip()}" if note.strip() else label
    return alert_close(by=by, alert=alert, note=text, now=now)
