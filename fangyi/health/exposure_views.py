"""The contact pages: an index person's exposures (contacts, sources, the chain of
transmission) and the form that records one. Permissions are health.exposures'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.health import chains, exposures
from fangyi.health.exposure_forms import ExposureForm
from fangyi.people import selectors as people_selectors


def _person_visible(user, person) -> bool:
    return people_selectors.people_for(user).filter(pk=person.pk).exists()


@login_required
def exposure_list(request, pk: int):
    person = exposures.index_person_get(request.user, pk)
    return render(
        request,
        "health/exposures.html",
        {
            "person": person,
            "person_visible": _person_visible(request.user, person),
            "contacts": exposures.contacts_of(request.user, person),
            "sources": exposures.sources_of(request.user, person),
            "graph": chains.transmission_graph(request.user, person),
            "may_record": exposures.may_record(request.user, person),
        },
    )


def _apply(form, exc: ValidationError) -> None:
    names = {"contact": "contact_doc_number"}
    for name, errors in getattr(exc, "error_dict", {}).items():
        name = names.get(name, name)
        form.add_error(name if name in form.fields else None, errors)
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)


@login_required
def exposure_new(request, pk: int):
    person = exposures.index_person_get(request.user, pk)
    exposures.require_record(request.user, person)
    household = exposures.household_of(person)
    visible = {
        p.pk
        for p in people_selectors.people_for(request.user).filter(pk__in=[p.pk for p in household])
    }
    form = ExposureForm(request.POST or None, household=household, visible=visible)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = data.get("household_member")
            if member is not None:
                contact = next((p for p in household if p.pk == member), None)
                if contact is None:
                    raise ValidationError({"household_member": [exposures.ERR_NOT_HOUSEHOLD]})
            elif data["contact_doc_number"].strip():
                contact = exposures.contact_by_document(
                    data["contact_doc_type"], data["contact_doc_number"], "contact_doc_number"
                )
            else:
                raise ValidationError({"contact_doc_number": [exposures.ERR_NO_CONTACT]})
            exposures.exposure_record(
                by=request.user,
                index_person=person,
                contact=contact,
                kind=data["kind"],
                first_exposure_on=data["first_exposure_on"],
                last_exposure_on=data["last_exposure_on"],
                place=data["place"],
                note=data["note"],
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Exposure recorded."))
            return redirect("contacts:list", pk=person.pk)
    return render(request, "health/exposure_form.html", {"person": person, "form": form})


@login_required
@require_POST
def exposure_quarantine(request, pk: int):
    exposure = exposures.exposure_get(request.user, pk)
    try:
        case = exposures.contact_case_open(by=request.user, exposure=exposure)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Quarantine started at home: day 1 {day1}, release on {release}.").format(
                day1=f"{case.start_date:%Y-%m-%d}", release=f"{case.release_date:%Y-%m-%d}"
            ),
        )
    return redirect("contacts:list", pk=exposure.index_person_id)
