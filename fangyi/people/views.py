from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fangyi.audit.services import REVEALABLE, reveal_field
from fangyi.core.middleware import client_ip
from fangyi.duty.selectors import dwelling_get
from fangyi.people import selectors, services
from fangyi.people.choices import VULNERABILITY_FLAGS
from fangyi.people.forms import PersonForm
from fangyi.people.identity import mask_document, mask_phone
from fangyi.people.panels import panels_for


def _add_errors(form, exc: ValidationError) -> int | None:
    """Put the service's errors on the form; return the id of a duplicate file, if any."""
    duplicate = None
    for error in getattr(exc, "error_dict", {}).get("doc_number", ()):
        duplicate = (error.params or {}).get("id", duplicate)
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
    return duplicate


def _display(person, field: str, value):
    """A stored history value as a person reads it: choice labels, yes/no, masked numbers."""
    if value is None or value == "":
        return None
    if field == "doc_number":
        return mask_document(value)
    if field == "phone":
        return mask_phone(value)
    try:
        model_field = person._meta.get_field(field)
    except FieldDoesNotExist:
        return value
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return value


def _timeline(person):
    events = []
    for event in person.events.select_related("by", "by__staff"):
        rows = []
        for field, (old, new) in event.changes.items():
            try:
                label = person._meta.get_field(field).verbose_name
            except FieldDoesNotExist:
                label = field
            rows.append((label, _display(person, field, old), _display(person, field, new)))
        events.append((event, rows))
    return events


def _person_page(request, person, revealed=None):
    context = {
        "person": person,
        "masked_doc": mask_document(person.doc_number),
        "masked_phone": mask_phone(person.phone),
        "revealed": revealed or {},
        "flags": [label for name, label in VULNERABILITY_FLAGS if getattr(person, name)],
        "timeline": _timeline(person),
        "duty": selectors.duty_chain(person),
        "may_edit": services.may_update(request.user, person),
        # What apps above people show here: the quarantine cases (people.panels).
        **panels_for(person),
    }
    return render(request, "people/person_detail.html", context)


@login_required
def person_detail(request, pk: int):
    return _person_page(request, selectors.person_get(request.user, pk))


@login_required
@require_POST
def person_reveal(request, pk: int, field: str):
    if field not in REVEALABLE:
        raise Http404
    person = selectors.person_get(request.user, pk)
    value = reveal_field(user=request.user, person=person, field=field, ip=client_ip(request))
    if request.headers.get("HX-Request"):
        return render(request, "people/_revealed.html", {"value": value, "field": field})
    return _person_page(request, person, revealed={field: value})


@login_required
def person_edit(request, pk: int):
    person = selectors.person_get(request.user, pk)
    services.check_update(user=request.user, person=person)
    duplicate = None
    if request.method == "POST":
        form = PersonForm(request.POST, editing=True, health_status=person.health_status)
        if form.is_valid():
            try:
                services.person_update(user=request.user, person=person, values=form.values())
            except ValidationError as exc:
                duplicate = _add_errors(form, exc)
            else:
                return redirect("person", pk=person.pk)
    else:
        initial = {name: getattr(person, name) for name in services.EDITABLE}
        initial.pop("doc_number"), initial.pop("phone")
        form = PersonForm(initial=initial, editing=True, health_status=person.health_status)
    return render(
        request,
        "people/person_form.html",
        {"form": form, "person": person, "duplicate": duplicate},
    )


@login_required
def person_create(request, dwelling_pk: int):
    dwelling = dwelling_get(request.user, dwelling_pk)
    services.check_create(user=request.user, dwelling=dwelling)
    duplicate = None
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    person = services.person_create(
                        user=request.user, dwelling=dwelling, values=form.values()
                    )
            except ValidationError as exc:
                duplicate = _add_errors(form, exc)
            else:
                return redirect("person", pk=person.pk)
    else:
        form = PersonForm()
    return render(
        request,
        "people/person_form.html",
        {"form": form, "dwelling": dwelling, "duplicate": duplicate},
    )


@login_required
def search(request):
    query = request.GET.get("q", "")
    results = list(selectors.person_search(request.user, query)[: selectors.SEARCH_LIMIT])
    rows = [(p, mask_document(p.doc_number), mask_phone(p.phone)) for p in results]
    return render(
        request,
        "people/search.html",
        {"query": query, "rows": rows, "limit": selectors.SEARCH_LIMIT},
    )
