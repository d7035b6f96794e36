from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext
from ninja import Query, Router, Schema, Status

from fangyi.audit.services import REVEALABLE, reveal_field
from fangyi.core.middleware import client_ip
from fangyi.duty.selectors import dwelling_get
from fangyi.people import selectors, services
from fangyi.people.identity import mask_document, mask_phone
from fangyi.people.schemas import (
    EventOut,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
    RevealIn,
    RevealOut,
)
from fangyi.places.choices import LEVELS

router = Router(tags=["people"])
MAX_LIMIT = 500


class PeopleFilter(Schema):
    level: str | None = None
    place_id: int | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0


def _item(p) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "doc_type": p.doc_type,
        "doc_number_masked": mask_document(p.doc_number),
        "phone_masked": mask_phone(p.phone),
        "sex": p.sex,
        "birth_date": p.birth_date,
        "zone_id": p.zone_id,
        "building_id": p.building_id,
        "dwelling_id": p.dwelling_id,
        "travel_status": p.travel_status,
        "health_status": p.health_status,
        "verified": p.verified,
        "epidemic_state": p.epidemic_state,
    }


def _detail(p) -> dict:
    return {
        **_item(p),
        "origin": p.origin,
        "return_date": p.return_date,
        "elderly_alone": p.elderly_alone,
        "disabled": p.disabled,
        "pregnant": p.pregnant,
        "chronic_illness": p.chronic_illness,
        "notes": p.notes,
        "duty_chain": [
            {"level": a.level, "place": a.place.name, "staff": a.staff.name, "role": a.staff.role}
            for a in selectors.duty_chain(p)
        ],
    }


@router.get("/", response=PersonPage)
def people_list(request, filters: Query[PeopleFilter]):
    """Person files in the caller's scope, masked; filter by place or search text."""
    if filters.q:
        people = selectors.person_search(request.user, filters.q)
    else:
        people = selectors.people_for(request.user).order_by("id")
    if filters.level or filters.place_id is not None:
        if filters.level not in (*LEVELS, "dwelling") or filters.place_id is None:
            raise _invalid(
                "level", gettext("Give level (district … building, dwelling) and place_id.")
            )
        people = people.filter(Q(**{f"{filters.level}_id": filters.place_id}))
    limit = max(1, min(filters.limit, MAX_LIMIT))
    offset = max(0, filters.offset)
    count = people.count()
    items = [_item(p) for p in people[offset : offset + limit]]
    return {"count": count, "limit": limit, "offset": offset, "items": items}


def _invalid(field: str, message: str):
    return ValidationError({field: [message]})


@router.get("/{person_id}", response=PersonOut)
def person_detail(request, person_id: int):
    return _detail(selectors.person_get(request.user, person_id))


@router.get("/{person_id}/history", response=list[EventOut])
def person_history(request, person_id: int):
    person = selectors.person_get(request.user, person_id)
    events = []
    for e in person.events.select_related("by"):
        changes = {}
        for field, (old, new) in e.changes.items():
            if field == "doc_number":
                old, new = mask_document(old or ""), mask_document(new or "")
            elif field == "phone":
                old, new = mask_phone(old or ""), mask_phone(new or "")
            changes[field] = [old, new]
        events.append(
            {
                "at": e.at,
                "by": e.by.username if e.by else None,
                "source": e.source,
                "action": e.action,
                "changes": changes,
            }
        )
    return events


@router.post("/{person_id}/reveal", response=RevealOut)
def person_reveal(request, person_id: int, payload: RevealIn):
    """Unmask the ID number or phone of one person; the reveal is logged."""
    if payload.field not in REVEALABLE:
        raise _invalid("field", gettext("Only doc_number and phone can be revealed."))
    person = selectors.person_get(request.user, person_id)
    value = reveal_field(
        user=request.user,
        person=person,
        field=payload.field,
        ip=client_ip(request),
        channel="api",
    )
    return {"field": payload.field, "value": value}


@router.post("/", response={201: PersonOut})
def person_create(request, payload: PersonIn):
    values = payload.dict()
    dwelling_id = values.pop("dwelling_id")
    try:
        dwelling = dwelling_get(request.user, dwelling_id) if dwelling_id else None
    except Http404:
        raise _invalid("dwelling_id", gettext("No such dwelling in your area.")) from None
    try:
        person = services.person_create(
            user=request.user, dwelling=dwelling, values=values, source="api"
        )
    except ValidationError as exc:
        # The service names the dwelling "dwelling"; this endpoint takes it as dwelling_id.
        if hasattr(exc, "error_dict") and "dwelling" in exc.error_dict:
            exc.error_dict["dwelling_id"] = exc.error_dict.pop("dwelling")
        raise
    return Status(201, _detail(selectors.person_get(request.user, person.pk)))


@router.patch("/{person_id}", response=PersonOut)
def person_update(request, person_id: int, payload: PersonPatch):
    person = selectors.person_get(request.user, person_id)
    values = payload.dict(exclude_unset=True)
    services.person_update(user=request.user, person=person, values=values, source="api")
    return _detail(selectors.person_get(request.user, person_id))
