"""`GET /api/zones/{id}/map` and `GET /api/stats?place=level:id` (scoped; phones masked)."""

from django.urls import reverse
from ninja import Router

from fangyi.people.identity import mask_phone
from fangyi.reports import selectors
from fangyi.reports.choices import TREND_DAYS
from fangyi.reports.schemas import StatsOut, ZoneMapOut

router = Router(tags=["reports"])
MAX_DAYS = 366


@router.get("/zones/{zone_id}/map", response=ZoneMapOut)
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
        "series": [{"date": d, "new": n, "cumulative": c} for d, n, c in data.series],
    }
