"""`GET /api/zones/{id}/map` and `GET /api/stats?place=level:id` (scoped; phones masked)."""

from django.core.exceptions import ValidationError
from django.urls import reverse
from ninja import Router, Status

from fangyi.core.dbrouter import replica_view
from fangyi.people.identity import mask_phone
from fangyi.people.selectors import person_get
from fangyi.reports import case_selectors, selectors, services
from fangyi.reports.case_selectors import CaseRow
from fangyi.reports.choices import TREND_DAYS
from fangyi.reports.schemas import (
    ConfirmedCaseIn,
    ConfirmedCaseOut,
    ConfirmedCaseRecordedOut,
    StatsOut,
    ZoneMapOut,
)

router = Router(tags=["reports"])
MAX_DAYS = 366
MAX_CASES = 500


@router.get("/zones/{zone_id}/map", response=ZoneMapOut)
@replica_view  # heavy reads: from the replica (core.dbrouter)
def zone_map(request, zone_id: int):
    """A zone's epidemic-prevention map: the zone, its duty chain, live counts, buildings
    and the door-to-door screening coverage of the campaign covering it (if any)."""
    data = selectors.with_screening(request.user, selectors.zone_map(request.user, zone_id))
    screening = data.screening
    zone = data.zone
    return {
        "zone": {
            "id": zone.pk,
            "code": zone.code,
            "name": zone.name,
            "kind": zone.kind,
            "kind_label": zone.get_kind_display(),
            "address": zone.address,
            "community": zone.community.name,
            "street": zone.street.name,
            "contact_name": zone.contact_name,
            # The zone's public contact line, printed on the poster at the gate.
            "contact_phone": zone.contact_phone,
            "gates": data.gates,
        },
        "duty_chain": [
            {
                "level": a.level,
                "place": a.place.name,
                "name": a.staff.name,
                "role": a.staff.role,
                "duty": a.duty,
                "phone": mask_phone(a.staff.phone),
            }
            for a in data.duty
        ],
        "counts": data.counts.as_dict(),
        "buildings": [
            {
                "id": b.id,
                "name": b.name,
                "floors": b.floors,
                "polygon": b.polygon,
                "residents": b.residents,
                "in_quarantine": b.in_quarantine,
                "quarantine_floors": b.quarantine_floors,
                "screening": _coverage(b.screening) if b.screening is not None else None,
            }
            for b in data.all_buildings
        ],
        "screening": None
        if screening is None
        else {
            **_coverage(screening.zone),
            "campaign_id": screening.campaign_id,
            "campaign_name": screening.campaign_name,
            "closed": screening.closed,
            "person_times": screening.zone.person_times,
        },
        "base_image_url": reverse("reports:base_image", args=[zone.pk]) if data.base_map else None,
        "taken_at": data.taken_at,
    }


def _coverage(c) -> dict:
    return {
        "total": c.total,
        "done": c.done,
        "revisit": c.revisit,
        "refused": c.refused,
        "not_visited": c.not_visited,
    }


@router.get("/stats", response=StatsOut)
@replica_view  # heavy reads: from the replica (core.dbrouter)
def stats(request, place: str, days: int = TREND_DAYS):
    """Confirmed cases of a place (`district:1`, `street:2`, `community:3`, `zone:4`):
    cumulative, new today, days since the last new case (null: no cases) and a daily series;
    and the screening person-times (人次) of the place, in all and today."""
    level, pk = selectors.parse_place(place)
    data = selectors.case_stats(request.user, level, pk, days=max(1, min(days, MAX_DAYS)))
    return {
        "level": data.level,
        "id": data.place_id,
        "name": data.name,
        "date": data.today,
        "cumulative": data.cumulative,
        "new": data.new_today,
        "last_case_on": data.last_case_on,
        "days_since_last_case": data.days_since_last,
        "screening_person_times": data.screening_person_times,
        "screening_person_times_today": data.screening_person_times_today,
        "in_quarantine": data.in_quarantine,
        "contacts": data.contacts,
        "series": [{"date": d, "new": n, "cumulative": c} for d, n, c in data.series],
    }


# The service names the record's own fields; the API names what the caller sent.
CASE_FIELDS = {"person": "person_id", "zone": "person_id"}


def _case_out(row: CaseRow) -> dict:
    case = row.case
    return {
        "id": case.pk,
        "date": case.date,
        "classification": case.classification,
        "classification_label": case.get_classification_display(),
        "onset_date": case.onset_date,
        "zone_id": case.zone_id,
        "zone_name": case.zone.name,
        "person_id": case.person_id if row.linked else None,
        "person_name": row.name,
        "note": case.note,
        "recorded_at": case.created_at,
    }


@router.get("/confirmed-cases", response=list[ConfirmedCaseOut])
def confirmed_cases(request, zone_id: int | None = None, limit: int = 100):
    """Confirmed-case records in the caller's view (by the zone they are counted in),
    newest first; names masked unless the caller may open the person's file."""
    rows = case_selectors.case_rows(
        request.user, zone_id=zone_id, limit=max(1, min(limit, MAX_CASES))
    )
    return [_case_out(row) for row in rows]


@router.post("/confirmed-cases", response={201: ConfirmedCaseRecordedOut})
def confirmed_case_record(request, payload: ConfirmedCaseIn):
    """Record a confirmed, asymptomatic or suspected case of a person in the caller's
    files, as the page does (a suspected record is updated to confirmed or asymptomatic):
    the person's state, their quarantine case (to hospital) and the alerts follow in the
    same transaction. Refused (403) to those who do not keep the person's file."""
    person = person_get(request.user, payload.person_id)
    try:
        case = services.confirmed_case_create(
            by=request.user,
            date=payload.date,
            person=person,
            classification=payload.classification,
            onset_date=payload.onset_date,
            note=payload.note,
        )
    except ValidationError as exc:
        raise ValidationError(
            {CASE_FIELDS.get(k, k): v for k, v in exc.message_dict.items()}
        ) from None
    recorded = case_selectors.recorded_case(request.user, case.pk)
    assert recorded is not None
    qcase = recorded.quarantine_case
    return Status(
        201,
        {
            **_case_out(recorded.row),
            "quarantine_case_id": qcase.pk if qcase else None,
            "quarantine_state": qcase.state if qcase else None,
            "facility_name": recorded.facility_name,
        },
    )
