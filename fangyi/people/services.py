"""Writes to person files. Every change records a PersonEvent (who, when, old → new)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangyi.duty.scope import keeps_any_files, keeps_files, require_files, scope_for
from fangyi.people.choices import DocType, HealthStatus, TravelStatus
from fangyi.people.identity import IdentityError, parse_document, parse_phone
from fangyi.people.models import Person, PersonEvent
from fangyi.people.rules import (  # noqa: F401 (ERR_* kept importable from here)
    ERR_NAME,
    ERR_RETURN_DATE,
    ERR_RETURN_FUTURE,
    name_errors,
    return_date_errors,
)
from fangyi.people.state import refresh as refresh_state
from fangyi.places.models import District, Dwelling, Household

ERR_DUPLICATE_IN_SCOPE = gettext_lazy("A file with this document number already exists: {name}.")
ERR_DUPLICATE_ELSEWHERE = gettext_lazy(
    "A file with this document number already exists outside your area; "
    "ask the district office to move it."
)
ERR_DWELLING_NEEDED = gettext_lazy("Give the dwelling the person lives in.")
ERR_NOT_IN_AREA = gettext_lazy("No person file with this document number in your area.")

# Fields a form or the API may change; everything else is derived.
EDITABLE = (
    "name",
    "doc_type",
    "doc_number",
    "phone",
    "origin",
    "travel_status",
    "return_date",
    "health_status",
    "verified",
    "elderly_alone",
    "disabled",
    "pregnant",
    "chronic_illness",
    "notes",
)
SENSITIVE = frozenset({"doc_number", "phone"})


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _clean(values: dict[str, Any], *, existing: Person | None, user) -> dict[str, Any]:
    """Validate and normalise; raise ValidationError naming every bad field at once."""
    errors: dict[str, list] = {}
    cleaned = dict(values)
    name = (cleaned.get("name") or "").strip()
    if "name" in cleaned or existing is None:
        if name_errors(name):
            errors["name"] = name_errors(name)
        cleaned["name"] = name

    doc_type = cleaned.get("doc_type") or (existing.doc_type if existing else DocType.ID_CARD)
    if doc_type not in DocType.values:
        errors["doc_type"] = [_("Choose a document type from the list.")]
    elif "doc_number" in cleaned or "doc_type" in cleaned or existing is None:
        raw_number = cleaned.get("doc_number", existing.doc_number if existing else "")
        try:
            info = parse_document(doc_type, raw_number, today=timezone.localdate())
        except IdentityError as exc:
            errors["doc_number"] = [exc.message]
        else:
            cleaned["doc_type"] = doc_type
            cleaned["doc_number"] = info.number
            if info.birth_date is not None:
                cleaned["birth_date"] = info.birth_date
                cleaned["sex"] = info.sex
            same_number = Person.objects.filter(doc_type=doc_type, doc_number=info.number)
            if existing is not None:
                same_number = same_number.exclude(pk=existing.pk)
            duplicate = same_number.first()
            if duplicate is not None:
                if scope_for(user).covers("person", duplicate):
                    message = ERR_DUPLICATE_IN_SCOPE.format(name=duplicate.name)
                    errors["doc_number"] = [ValidationError(message, params={"id": duplicate.pk})]
                else:
                    errors["doc_number"] = [ERR_DUPLICATE_ELSEWHERE]

    if cleaned.get("phone"):
        try:
            cleaned["phone"] = parse_phone(cleaned["phone"])
        except IdentityError as exc:
            errors["phone"] = [exc.message]
    elif "phone" in cleaned:
        cleaned["phone"] = ""

    travel = cleaned.get("travel_status", existing.travel_status if existing else None)
    if travel is not None and travel not in TravelStatus.values:
        errors["travel_status"] = [_("Choose a travel status from the list.")]
    return_date = cleaned.get("return_date", existing.return_date if existing else None)
    if return_date_errors(travel, return_date, timezone.localdate()):
        errors["return_date"] = return_date_errors(travel, return_date, timezone.localdate())
    health = cleaned.get("health_status")
    if health is not None and health not in HealthStatus.values:
        errors["health_status"] = [_("Choose a health status from the list.")]
    elif health_status_errors(existing.health_status if existing else None, health):
        errors["health_status"] = health_status_errors(
            existing.health_status if existing else None, health
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


# The health statuses a confirmed-case record sets (reports.services.confirmed_case_*):
# the record and the status are one fact, so a file's form, the API and an import
# can neither set them nor leave them other than by "recovered".
CASE_HEALTH = (HealthStatus.CONFIRMED, HealthStatus.ASYMPTOMATIC, HealthStatus.SUSPECTED)
# What the keepers of a file may set by hand; "recovered" also ends a case status.
HAND_HEALTH = (HealthStatus.NORMAL, HealthStatus.SYMPTOMS, HealthStatus.RECOVERED)
ERR_CASE_HEALTH = gettext_lazy(
    "“{status}” is set by recording the confirmed case (statistics → record a confirmed "
    "case), not in the person file."
)
ERR_CASE_HEALTH_LEAVE = gettext_lazy(
    "This person is recorded as a {status}: the file can only mark them recovered; "
    "change the confirmed-case record for anything else."
)


def health_status_errors(old: str | None, new: str | None) -> list[str]:
    """Why a file's form, the API or an import may not change the health status from
    `old` to `new` (empty: it may). Unchanged is always fine."""
    if new is None or new == old:
        return []
    if new in CASE_HEALTH:
        return [ERR_CASE_HEALTH.format(status=HealthStatus(new).label)]
    if old in CASE_HEALTH and new != HealthStatus.RECOVERED:
        return [ERR_CASE_HEALTH_LEAVE.format(status=HealthStatus(old).label)]
    return []


def hand_health_choices(current: str | None) -> list[tuple[str, Any]]:
    """The health statuses a file's form offers: the hand-set ones, and the current
    case status (kept as it is) with "recovered" only while the person has one."""
    if current in CASE_HEALTH:
        allowed: tuple[str, ...] = (current, HealthStatus.RECOVERED)
    else:
        allowed = HAND_HEALTH
    return [(value, label) for value, label in HealthStatus.choices if value in allowed]


@transaction.atomic
def person_health_from_case(*, user, person_id: int, status: str) -> None:
    """Set the health status a confirmed-case record says (source "case", with history)
    and derive the person's epidemic state again. Only reports.services calls it, in the
    transaction that writes the record, after deciding that `user` may."""
    if status not in CASE_HEALTH:
        raise ValueError(status)
    person = Person.objects.select_for_update().get(pk=person_id)
    if person.health_status != status:
        PersonEvent.objects.create(
            person=person,
            by=_user_or_none(user),
            source="case",
            action=PersonEvent.Action.UPDATED,
            changes={"health_status": [person.health_status, status]},
        )
        Person.objects.filter(pk=person.pk).update(health_status=status)
    refresh_state([person.pk])


def _place_ids(dwelling: Dwelling) -> dict[str, Any]:
    building = dwelling.building
    return {
        "dwelling": dwelling,
        "building_id": building.pk,
        "zone_id": building.zone_id,
        "community_id": building.community_id,
        "street_id": building.street_id,
        "district_id": building.district_id,
    }


def check_create(*, user, dwelling: Dwelling | None, district: District | None = None) -> None:
    """Whether `user` may create a person file in `dwelling` (PermissionDenied if not).

    In a dwelling: who keeps the files of its building. Without one (a file the district
    keeps until a grid worker places it): operators and the system, or staff keeping
    files who name the district (a station's intake of an arrival)."""
    if user is None:
        return
    if dwelling is not None:
        require_files(user, "building", dwelling.building)
        return
    if scope_for(user).everything:
        return
    if district is None:
        raise ValidationError({"dwelling": [ERR_DWELLING_NEEDED]})
    if not keeps_any_files(user):
        require_files(user, "district", district)


def check_update(*, user, person: Person) -> None:
    """Whether `user` may change this file or move it (PermissionDenied if not): who
    keeps the files of the person's place; a grant to read it is not enough."""
    require_files(user, "person", person)


def may_create_in(user, dwelling: Dwelling) -> bool:
    """For pages: whether to offer "add a person" / "move someone here" in a dwelling."""
    return keeps_files(user, "building", dwelling.building)


def may_update(user, person: Person) -> bool:
    """For pages: whether to offer "edit file"."""
    return keeps_files(user, "person", person)


@transaction.atomic
def person_create(
    *,
    user,
    dwelling: Dwelling | None,
    values: dict[str, Any],
    source: str = "web",
    household: Household | None = None,
    district: District | None = None,
) -> Person:
    """Create a person file (in a dwelling, if given, else in `district`) and its
    'created' event, if the user may (`check_create`)."""
    check_create(user=user, dwelling=dwelling, district=district)
    return _create(
        user=user,
        dwelling=dwelling,
        values=values,
        source=source,
        household=household,
        district=district,
    )


def _create(
    *,
    user,
    dwelling: Dwelling | None,
    values: dict[str, Any],
    source: str,
    household: Household | None = None,
    district: District | None = None,
) -> Person:
    """person_create after its permission check."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    cleaned = _clean(values, existing=None, user=user)
    person = Person(**cleaned)
    if dwelling is not None:
        for key, value in _place_ids(dwelling).items():
            setattr(person, key, value)
        if household is None:
            household = dwelling.households.order_by("id").first() or Household.objects.create(
                dwelling=dwelling
            )
        person.household = household
    elif district is not None:
        person.district_id = district.pk
    person.full_clean(validate_unique=False, validate_constraints=False)
    person.save()
    changes = {
        name: [None, _json_value(getattr(person, name))]
        for name in (*EDITABLE, "birth_date", "sex")
        if getattr(person, name) not in (None, "", False)
    }
    if dwelling is not None:
        changes["dwelling"] = [None, str(dwelling)]
    PersonEvent.objects.create(
        person=person,
        by=_user_or_none(user),
        source=source,
        action=PersonEvent.Action.CREATED,
        changes=changes,
    )
    return _with_state(person)


def _with_state(person: Person) -> Person:
    """The person with their epidemic state derived again (people.state) after a change
    to a fact of theirs, read back onto the instance."""
    refresh_state([person.pk])
    person.epidemic_state, person.state_until = Person.objects.values_list(
        "epidemic_state", "state_until"
    ).get(pk=person.pk)
    return person


@transaction.atomic
def person_update(*, user, person: Person, values: dict[str, Any], source: str = "web") -> Person:
    """Change fields of a person file; record old → new of each field that changed."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    # Lock the row so two concurrent edits cannot lose one another's history.
    person = Person.objects.select_for_update().get(pk=person.pk)
    check_update(user=user, person=person)
    return _update(user=user, person=person, values=values, source=source)


def _update(*, user, person: Person, values: dict[str, Any], source: str) -> Person:
    """person_update after its permission check, on the locked row."""
    cleaned = _clean(values, existing=person, user=user)
    changes: dict[str, list] = {}
    for name, new in cleaned.items():
        old = getattr(person, name)
        if old != new:
            changes[name] = [_json_value(old), _json_value(new)]
            setattr(person, name, new)
    if not changes:
        return person
    person.full_clean(validate_unique=False, validate_constraints=False)
    person.save()
    PersonEvent.objects.create(
        person=person,
        by=_user_or_none(user),
        source=source,
        action=PersonEvent.Action.UPDATED,
        changes=changes,
    )
    return _with_state(person)


def _user_or_none(user):
    return user if user is not None and user.is_authenticated else None


ERR_SAME_DWELLING = gettext_lazy("The person already lives here.")


@transaction.atomic
def person_move(*, user, person: Person, dwelling: Dwelling, source: str = "web") -> Person:
    """Move a person to another dwelling (and its household); the history keeps both."""
    person = (
        # Lock the person row only: the dwelling is on the nullable side of a join.
        Person.objects.select_for_update(of=("self",))
        .select_related("dwelling__building")
        .get(pk=person.pk)
    )
    check_update(user=user, person=person)
    require_files(user, "building", dwelling.building)
    return _move_to(user=user, person=person, dwelling=dwelling, source=source)


def _move_to(*, user, person: Person, dwelling: Dwelling, source: str) -> Person:
    """person_move after its permission checks, on the locked row."""
    if person.dwelling_id == dwelling.pk:
        raise ValidationError({"dwelling": [ERR_SAME_DWELLING]})
    old = str(person.dwelling) if person.dwelling_id else None
    for key, value in _place_ids(dwelling).items():
        setattr(person, key, value)
    person.household = dwelling.households.order_by("id").first() or Household.objects.create(
        dwelling=dwelling
    )
    person.save()
    PersonEvent.objects.create(
        person=person,
        by=_user_or_none(user),
        source=source,
        action=PersonEvent.Action.UPDATED,
        changes={"dwelling": [old, str(dwelling)]},
    )
    return person


def person_move_here(*, user, dwelling: Dwelling, doc_number: str, source: str = "web") -> Person:
    """ "Move someone here": the file with this document number among those the user keeps
    moves to `dwelling` (refused before the search if the user may not write there)."""
    from fangyi.people.identity import normalise

    require_files(user, "building", dwelling.building)
    number = normalise(doc_number or "")
    person = None
    if number:
        for candidate in Person.objects.filter(doc_number=number).select_related("dwelling"):
            if user is None or scope_for(user).covers_people_of("person", candidate):
                person = candidate
                break
    if person is None:
        raise ValidationError({"doc_number": [ERR_NOT_IN_AREA]})
    return person_move(user=user, person=person, dwelling=dwelling, source=source)


# --- quarantine intake -------------------------------------------------------------------
# These are called only by quarantine's intake (quarantine.intake), in its transaction,
# after it has decided that `by` may take the person in: the keepers of the file or of
# the dwelling's building, or the staff on duty at the arrival facility of its district.


@transaction.atomic
def person_register_on_intake(
    *, by, dwelling: Dwelling | None, district: District | None, values: dict[str, Any]
) -> Person:
    """A new file registered at a quarantine intake (source "quarantine"): in its
    dwelling, so that the person is on the zone map, or without one (someone who does
    not live in the district) in `district`."""
    return _create(
        user=by, dwelling=dwelling, values=values, source="quarantine", district=district
    )


@transaction.atomic
def person_place_on_intake(*, by, person_id: int, dwelling: Dwelling) -> Person:
    """A file without a dwelling (registered as living outside the district, or by a
    station before) placed in the dwelling the intake names, so that the person is on the
    zone map; with history (source "quarantine"). A file with a dwelling is not moved."""
    person = (
        Person.objects.select_for_update(of=("self",))
        .select_related("dwelling__building")
        .get(pk=person_id)
    )
    if person.dwelling_id is not None:
        return person
    return _move_to(user=by, person=person, dwelling=dwelling, source="quarantine")


@transaction.atomic
def person_record_arrival(*, by, person_id: int, arrived_on: dt.date, origin: str = "") -> Person:
    """A returnee taken in at quarantine intake: the file says "returned", on the arrival
    day, from `origin` (the file's origin kept when none is given); with history (source
    "quarantine") and the epidemic state derived again."""
    values: dict[str, Any] = {"travel_status": TravelStatus.RETURNED, "return_date": arrived_on}
    if origin.strip():
        values["origin"] = origin.strip()
    person = Person.objects.select_for_update().get(pk=person_id)
    return _update(user=by, person=person, values=values, source="quarantine")
