from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

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
    move_error = None
    if request.method == "POST":
        # "Move someone here": a person of the user's area, found by document number.
        from fangyi.people.identity import normalise
        from fangyi.people.selectors import people_for
        from fangyi.people.services import person_move

        number = normalise(request.POST.get("doc_number", ""))
        person = people_for(request.user).filter(doc_number=number).first() if number else None
        if person is None:
            move_error = _("No person file with this document number in your area.")
        else:
            try:
                person_move(user=request.user, person=person, dwelling=dwelling)
            except ValidationError as exc:
                move_error = " ".join(exc.messages)
            else:
                return redirect("dwelling", pk=dwelling.pk)
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
        {"dwelling": dwelling, "people": people, "crumbs": crumbs, "move_error": move_error},
    )
