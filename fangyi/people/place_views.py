"""Pages of the area a user is responsible for: the home page, a place with its people
counts, a dwelling with its residents (places are the tree; counting and listing their
people is this app's)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from fangyi.core.home import home_sections
from fangyi.duty.selectors import crumbs, dwelling_get
from fangyi.people.selectors import dwelling_residents, place_page
from fangyi.people.services import may_create_in, person_move_here


@login_required
def home(request):
    """Today's work of the user's role, in counted links (fangyi.core.home)."""
    sections = home_sections(request.user, timezone.localdate())
    return render(request, "places/home.html", {"sections": sections})


@login_required
def place_detail(request, level: str, pk: int):
    context = place_page(request.user, level, pk)
    return render(request, "places/place_detail.html", context)


@login_required
def dwelling_detail(request, pk: int):
    dwelling = dwelling_get(request.user, pk)
    move_error = None
    if request.method == "POST":
        # "Move someone here": a person file the user keeps, found by document number.
        try:
            person_move_here(
                user=request.user, dwelling=dwelling, doc_number=request.POST.get("doc_number", "")
            )
        except ValidationError as exc:
            move_error = " ".join(exc.messages)
        else:
            return redirect("dwelling", pk=dwelling.pk)
    people, total = dwelling_residents(request.user, dwelling)
    chain = crumbs(request.user, "building", dwelling.building, include_self=True)
    return render(
        request,
        "places/dwelling_detail.html",
        {
            "dwelling": dwelling,
            "people": people,
            "total": total,
            "hidden": total - len(people),
            "may_write": may_create_in(request.user, dwelling),
            "crumbs": chain,
            "move_error": move_error,
        },
        status=422 if move_error else 200,
    )
