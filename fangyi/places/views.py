from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from fangyi.duty.models import Assignment
from fangyi.duty.scope import scope_for
from fangyi.people.models import Person
from fangyi.places import selectors


def _crumbs(user, level, place):
    scope = scope_for(user)
    return [(lvl, p, scope.covers(lvl, p)) for lvl, p in selectors.ancestors(level, place)]


@login_required
def home(request):
    tops = [
        (level, place, Person.objects.filter(**{f"{level}_id": place.pk}).count())
        for level, place in selectors.top_places(request.user)
    ]
    return render(request, "places/home.html", {"tops": tops})


@login_required
def place_detail(request, level: str, pk: int):
    place = selectors.place_get(request.user, level, pk)
    children = selectors.children_with_counts(request.user, level, place)
    total = Person.objects.filter(**{f"{level}_id": place.pk}).count()
    duty = Assignment.objects.filter(
        **{f"{level}_id": place.pk}, staff__active=True
    ).select_related("staff")
    context = {
        "level": level,
        "place": place,
        "children": children,
        "child_level": selectors.CHILD_LEVEL.get(level),
        "total": total,
        "crumbs": _crumbs(request.user, level, place),
        "duty": duty,
        "gates": place.gates.all() if level == "zone" else (),
    }
    return render(request, "places/place_detail.html", context)


@login_required
def dwelling_detail(request, pk: int):
    dwelling = selectors.dwelling_get(request.user, pk)
    people = Person.objects.filter(dwelling=dwelling).order_by("household_id", "birth_date", "id")
    crumbs = [
        *_crumbs(request.user, "building", dwelling.building),
        (
            "building",
            dwelling.building,
            scope_for(request.user).covers("building", dwelling.building),
        ),
    ]
    return render(
        request,
        "places/dwelling_detail.html",
        {"dwelling": dwelling, "people": people, "crumbs": crumbs},
    )
