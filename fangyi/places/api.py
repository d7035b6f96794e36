from ninja import Router

from fangyi.people.models import Person
from fangyi.places import selectors
from fangyi.places.schemas import PlaceOut, PlaceRef

router = Router(tags=["places"])


@router.get("/", response=list[PlaceRef])
def my_places(request):
    """The places the caller is assigned to."""
    return [
        {"level": level, "id": p.pk, "name": p.name}
        for level, p in selectors.top_places(request.user)
    ]


@router.get("/{level}/{place_id}", response=PlaceOut)
def place_detail(request, level: str, place_id: int):
    """One place with its people count and its children (dwellings for a building)."""
    place = selectors.place_get(request.user, level, place_id)
    child_level = selectors.CHILD_LEVEL.get(level, "dwelling")
    children = [
        {
            "level": child_level,
            "id": c.pk,
            "name": c.name if child_level != "dwelling" else c.room,
            "people": n,
        }
        for c, n in selectors.children_with_counts(request.user, level, place)
    ]
    return {
        "level": level,
        "id": place.pk,
        "name": place.name,
        "code": getattr(place, "code", None),
        "kind": getattr(place, "kind", None),
        "floors": getattr(place, "floors", None),
        "polygon": getattr(place, "polygon", None),
        "people": Person.objects.filter(**{f"{level}_id": place.pk}).count(),
        "ancestors": [
            {"level": lvl, "id": p.pk, "name": p.name}
            for lvl, p in selectors.ancestors(level, place)
        ],
        "children": children,
    }
