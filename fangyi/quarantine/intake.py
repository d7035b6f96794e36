"""The intake page's service: a person arriving (a returnee, a contact, …) is found by
their document or registered on the spot with their dwelling, so that everyone in
quarantine is on a zone map, and their case is opened. A returnee's file then says
returned, on the arrival day, from where (services._open_case, through
people.services.person_record_arrival, with history).

Who may register a file where is decided here (`quarantine.selectors.may_register_in`):
the keepers of the building's files, and the staff on duty at a facility of its district
(a station takes in the district's arrivals); without a dwelling (someone who does not
live in the district), whoever may open cases.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.people.choices import TravelStatus
from fangyi.people.identity import IdentityError, normalise, parse_document
from fangyi.people.models import Person
from fangyi.people.services import person_place_on_intake, person_register_on_intake
from fangyi.places.models import District, Dwelling
from fangyi.quarantine import selectors
from fangyi.quarantine.choices import CaseReason, CaseState
from fangyi.quarantine.models import Facility, QuarantineCase
from fangyi.quarantine.rules import local_date
from fangyi.quarantine.services import ERR_ARRIVAL_FUTURE, _open_case, _refuse, check_intake

ERR_FILE_ELSEWHERE = _("This person's file is outside your area.")
ERR_NAME_FOR_NEW = _("Not in the files yet: enter the name to register the person now.")
ERR_DWELLING_OR_OUTSIDE = _(
    "Not in the files yet: choose the dwelling (zone, building, room), or tick "
    "“does not live in the district”."
)
ERR_DWELLING_AND_OUTSIDE = _(
    "A dwelling is chosen: untick “does not live in the district”, or clear the dwelling."
)
ERR_NOT_YOUR_DWELLING = _(
    "You may not register a file in this dwelling: it is for the staff who keep the files "
    "of its building or are on duty at a facility of its district."
)
ERR_NO_REGISTER = _("You may not register person files.")


def find_by_document(doc_type: str, doc_number: str) -> tuple[Person | None, str]:
    """The file with this document (forgiving: full-width digits, spaces, dashes, a
    15-digit ID number), and the number as stored. A number that does not parse for the
    chosen type still finds the one file that has it under another type (a permit typed
    as an ID card); else the type's message, on `doc_number`."""
    try:
        info = parse_document(doc_type, doc_number, today=timezone.localdate())
    except IdentityError as exc:
        compact = normalise(doc_number or "")
        found = list(Person.objects.filter(doc_number=compact)[:2]) if compact else []
        if len(found) == 1:
            return found[0], compact
        raise ValidationError({"doc_number": [exc.message]}) from None
    person = Person.objects.filter(doc_type=doc_type, doc_number=info.number).first()
    if person is None:
        others = list(Person.objects.filter(doc_number=info.number)[:2])
        person = others[0] if len(others) == 1 else None
    return person, info.number


def _district(dwelling: Dwelling | None, facility: Facility | None) -> District | None:
    if dwelling is not None:
        return District.objects.get(pk=dwelling.building.district_id)
    if facility is not None:
        return facility.district
    return District.objects.order_by("pk").first()


@transaction.atomic
def case_intake_by_document(
    *,
    by,
    doc_type: str,
    doc_number: str,
    name: str = "",
    phone: str = "",
    dwelling: Dwelling | None = None,
    outside: bool = False,
    reason: str,
    arrived_at: dt.datetime,
    first_state: str = CaseState.STATION,
    facility: Facility | None = None,
    origin: str = "",
    note: str = "",
) -> QuarantineCase:
    """The intake page: open a case for the person with this document; when there is no
    file yet, register one (not verified) in `dwelling`, or, with `outside`, without a
    dwelling (in the district of the facility); a file without a dwelling is placed in
    `dwelling` if one is given. Nothing is saved if anything is refused."""
    check_intake(by)
    if arrived_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"arrived_at": [ERR_ARRIVAL_FUTURE]})
    person, number = find_by_document(doc_type, doc_number)
    if person is not None:
        if not selectors.intake_allowed_for(by, person, facility):
            raise ValidationError({"doc_number": [ERR_FILE_ELSEWHERE]})
        if person.dwelling_id is None and dwelling is not None:
            # A file on no map yet: placed where the intake says the person lives. A file
            # with a dwelling keeps it (moving house is the person page's).
            if not selectors.may_register_in(by, dwelling):
                _refuse(by, ERR_NOT_YOUR_DWELLING)
            person = person_place_on_intake(by=by, person_id=person.pk, dwelling=dwelling)
    else:
        errors: dict[str, list] = {}
        if not (name or "").strip():
            errors["name"] = [ERR_NAME_FOR_NEW]
        if dwelling is None and not outside:
            errors["dwelling"] = [ERR_DWELLING_OR_OUTSIDE]
        if dwelling is not None and outside:
            errors["outside"] = [ERR_DWELLING_AND_OUTSIDE]
        if errors:
            raise ValidationError(errors)
        if dwelling is not None and not selectors.may_register_in(by, dwelling):
            _refuse(by, ERR_NOT_YOUR_DWELLING)
        if dwelling is None and not selectors.may_register_outside(by):
            raise PermissionDenied(ERR_NO_REGISTER)
        returnee = reason == CaseReason.RETURNED
        values = {
            "name": name,
            "doc_type": doc_type,
            "doc_number": number,
            "phone": phone or "",
            "origin": origin or "",
            "verified": False,
        }
        if returnee:
            values["travel_status"] = TravelStatus.RETURNED
            values["return_date"] = local_date(arrived_at)
        elif dwelling is None:
            values["travel_status"] = TravelStatus.NEW_ARRIVAL
        person = person_register_on_intake(
            by=by, dwelling=dwelling, district=_district(dwelling, facility), values=values
        )
    # The file was found within the user's reach, or registered by it just now.
    return _open_case(
        by=by,
        person=person,
        reason=reason,
        arrived_at=arrived_at,
        first_state=first_state,
        facility=facility,
        origin=origin,
        note=note,
        now=None,
    )
