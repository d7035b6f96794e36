"""The places API: the caller's places and one place with its people counts."""

from ninja import Router

from fangyi.duty.selectors import CHILD_LEVEL, ancestors, place_get, top_places
from fangyi.people.place_schemas import PlaceOut, PlaceRef
from fangyi.people.selectors import children_with_counts, people_total

router = Router(tags=["places"])


@router.get("/", response=list[PlaceRef])
def my_places(request):
    """The places the caller is assigned to."""
    return [{"level": level, "id": p.pk, "name": p.name} for level, p in top_places(request.user)]


@router.get("/{level}/{place_id}", response=PlaceOut)
def place_detail(request, level: str, place_id: int):
    """One place with its people count and its children (dwellings for a building)."""
    place = place_get(request.user, level, place_id)
    child_level = CHILD_LEVEL.get(level, "dwelling")
    children = [
        {
            "level": child_level,
            "id": c.pk,
            "name": c.name if child_level != "dwelling" else c.room,
            "people": n,
        }
        for c, n in children_with_counts(request.user, level, place)
    ]
    return {
        "level": level,
        "id": place.pk,
        "name": place.name,
        "code": getattr(place, "code", None),
        "kind": getattr(place, "kind", None),
        "floors": getattr(place, "floors", None),
        "polygon": getattr(place, "polygon", None),
        "people": people_total(level, place),
        "ancestors": [
            {"level": lvl, "id": p.pk, "name": p.name} for lvl, p in ancestors(level, place)
        ],
        "children": children,
    }
