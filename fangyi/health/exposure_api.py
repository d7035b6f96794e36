"""POST /api/exposures and GET /api/people/{id}/exposures (health.exposures)."""

from django.core.exceptions import ValidationError
from ninja import Router, Status

from fangyi.health import exposures
from fangyi.health.exposure_schemas import ExposureIn, ExposureOut, PersonExposuresOut

router = Router(tags=["contacts"])


def _out(row: exposures.ContactRow) -> dict:
    e = row.exposure
    return {
        "id": e.pk,
        "index_person_id": e.index_person_id,
        "contact_person_id": e.contact_id,
        "person_name": row.name,
        "person_state": row.state,
        "kind": e.kind,
        "first_exposure_on": e.first_exposure_on,
        "last_exposure_on": e.last_exposure_on,
        "place": e.place,
        # Free text that may name the other person: only with their name.
        "note": e.note if row.visible else "",
        "recorded_at": e.recorded_at,
        "case_id": row.case.case_id if row.case else None,
        "case_no": row.case.case_no if row.case else None,
        "release_date": row.case.release_date if row.case else None,
        "watch_until": row.watch_until,
    }


@router.post("/exposures", response={201: ExposureOut})
def exposure_create(request, payload: ExposureIn):
    """Record a close contact's exposure to an index person. The contact is named by
    `contact_person_id` when the caller may see their file or they live with the index
    person, else by their document (`contact_doc_type`, `contact_doc_number`). The contact's quarantine
    counts from the last exposure (day 1): an open case's day 1 moves to a later last
    exposure; a contact without one gets a case at home, or at `facility_id`, when the
    caller may take them in (else the contact is watched and their staff alerted).
    Answers the exposure with the contact's open case (`case_id`, `release_date`)."""
    index_person = exposures.index_person_get(request.user, payload.index_person_id)
    exposures.require_record(request.user, index_person)
    if payload.contact_person_id is not None:
        contact = exposures.contact_by_id(
            request.user, index_person, payload.contact_person_id, "contact_person_id"
        )
    elif payload.contact_doc_number.strip():
        contact = exposures.contact_by_document(
            payload.contact_doc_type, payload.contact_doc_number, "contact_doc_number"
        )
    else:
        raise ValidationError({"contact_person_id": [exposures.ERR_NO_CONTACT_API]})
    recorded = exposures.exposure_record(
        by=request.user,
        index_person=index_person,
        contact=contact,
        kind=payload.kind,
        first_exposure_on=payload.first_exposure_on,
        last_exposure_on=payload.last_exposure_on,
        place=payload.place,
        note=payload.note,
        open_case=True,
        facility_id=payload.facility_id,
    )
    row = exposures.contact_row(request.user, recorded.exposure)
    return Status(201, _out(row))


@router.get("/people/{person_id}/exposures", response=PersonExposuresOut)
def person_exposures(request, person_id: int):
    """A person's close contacts (with their state and open case) and the index persons
    they were exposed to; people outside the caller's area come without name."""
    person = exposures.index_person_get(request.user, person_id)
    return {
        "person_id": person.pk,
        "contacts": [_out(r) for r in exposures.contacts_of(request.user, person)],
        "exposed_to": [_out(r) for r in exposures.sources_of(request.user, person)],
    }
