"""Screening pages: campaigns, team lists, the visit form, import, export, duplicates.

Views are thin: a selector gives what is in scope (404 otherwise), a service writes.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangyi.duty.models import Staff
from fangyi.duty.scope import ERR_NOT_YOUR_FILES
from fangyi.duty.selectors import place_get
from fangyi.people.identity import mask_document, mask_phone
from fangyi.people.selectors import person_get
from fangyi.screening import duplicates as dup
from fangyi.screening import selectors, services, worklist
from fangyi.screening.choices import DwellingStatus, Outcome
from fangyi.screening.forms import (
    NEW_PERSON_SLOTS,
    CampaignForm,
    NewPersonForm,
    PersonCheckForm,
    TeamEditForm,
    TeamForm,
    WorklistFilter,
)

CAMPAIGN_LEVELS = selectors.CAMPAIGN_LEVELS
ERR_FIELD = gettext_lazy("{who}, {field}: {error}")


@login_required
def index(request):
    """My teams, the campaigns I may see, and where I may start one."""
    places = selectors.campaign_places(request.user)
    return render(
        request,
        "screening/index.html",
        {
            "teams": list(selectors.teams_of(request.user)),
            "campaigns": list(selectors.campaigns_for(request.user)[:50]),
            "places": places,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request, level: str, pk: int):
    if level not in CAMPAIGN_LEVELS:
        raise Http404
    place = place_get(request.user, level, pk)
    services.campaign_check_start(user=request.user, place=place)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(user=request.user, place=place, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect("screening:campaign", campaign.pk)
    return render(request, "screening/campaign_new.html", {"form": form, "place": place})


def _team_form(request, campaign, data=None, *, team=None) -> TeamForm:
    place_filter = {f"{campaign.level}_id": campaign.place.pk}
    # Staff assigned inside the campaign's place, or to it.
    scope_filter = {
        "street": ["street", "community__street", "zone__street", "building__street"],
        "community": ["community", "zone__community", "building__community"],
        "zone": ["zone", "building__zone"],
    }[campaign.level]
    q = Q(pk__in=[])
    for path in scope_filter:
        q |= Q(**{f"assignments__{path}": campaign.place.pk})
    staff = Staff.objects.filter(q, active=True).distinct().order_by("name")
    buildings = services.campaign_buildings(campaign).filter(**place_filter).order_by("zone", "id")
    if team is None:
        return TeamForm(data, staff=staff, buildings=buildings)
    areas = list(team.areas.select_related("building"))
    memberships = list(team.memberships.all())
    leader = next((m.staff_id for m in memberships if m.leader), None)
    initial = {
        "name": team.name,
        "members": [m.staff_id for m in memberships],
        "leader": leader,
        "keep": [str(a.pk) for a in areas],
    }
    # Members stay choosable even if their assignment has moved since the team was formed.
    staff = Staff.objects.filter(Q(pk__in=staff.values("pk")) | Q(pk__in=initial["members"]))
    return TeamEditForm(
        data, staff=staff.order_by("name"), buildings=buildings, areas=areas, initial=initial
    )


def _managed_campaign(request, pk: int):
    """A campaign the user may change: 404 if they cannot see it, 403 if they only see it
    (a team member of a campaign run above them)."""
    campaign = selectors.campaign_get(request.user, pk)
    if not selectors.campaign_manages(request.user, campaign):
        raise PermissionDenied
    return campaign


def _managed_team(request, pk: int):
    team = selectors.team_get(request.user, pk)
    if not selectors.campaign_manages(request.user, team.campaign):
        raise PermissionDenied
    return team


def _form_errors(form, exc: ValidationError) -> None:
    """Put a service's errors on the form's fields where it has them."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


@login_required
def campaign_detail(request, pk: int):
    campaign = selectors.campaign_get(request.user, pk)
    manages = selectors.campaign_manages(request.user, campaign)
    progress = selectors.campaign_progress(campaign)
    return render(
        request,
        "screening/campaign.html",
        {
            "campaign": campaign,
            "manages": manages,
            "progress": progress,
            "teams": list(campaign.teams.all()),
            "members": selectors.team_members(campaign),
            "areas": selectors.team_areas(campaign),
            "days": selectors.daily_summary(campaign),
            "visits": selectors.team_visit_counts(campaign) if manages else {},
            "form": _team_form(request, campaign) if manages and not campaign.is_closed else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk: int):
    """Rename a campaign or change its dates (the place stays)."""
    campaign = _managed_campaign(request, pk)
    initial = {"name": campaign.name, "starts_on": campaign.starts_on, "ends_on": campaign.ends_on}
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(user=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Campaign {name} saved.").format(name=campaign.name))
            return redirect("screening:campaign", campaign.pk)
    return render(
        request,
        "screening/campaign_edit.html",
        {"form": form, "campaign": campaign},
        status=422 if form.errors else 200,
    )


def _act(request, service, done: str) -> None:
    """Run a service of a button (close, reopen, dissolve): its refusal or `done` as a
    message on the page the view redirects to."""
    try:
        service()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)


@login_required
@require_POST
def campaign_close(request, pk: int):
    campaign = _managed_campaign(request, pk)
    done = _("Campaign {name} closed.").format(name=campaign.name)
    _act(request, lambda: services.campaign_close(user=request.user, campaign=campaign), done)
    return redirect("screening:campaign", campaign.pk)


@login_required
@require_POST
def campaign_reopen(request, pk: int):
    campaign = _managed_campaign(request, pk)
    done = _("Campaign {name} reopened.").format(name=campaign.name)
    _act(request, lambda: services.campaign_reopen(user=request.user, campaign=campaign), done)
    return redirect("screening:campaign", campaign.pk)


@login_required
@require_POST
def team_new(request, pk: int):
    campaign = _managed_campaign(request, pk)
    form = _team_form(request, campaign, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.team_create(
                user=request.user,
                campaign=campaign,
                name=data["name"],
                members=list(data["members"]),
                leader=data["leader"],
                areas=[(b, data["floor"]) for b in data["buildings"]],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Team {name} formed.").format(name=data["name"]))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("screening:campaign", campaign.pk)


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request, pk: int):
    """Change a team's name, members, leader and buildings/floors."""
    team = _managed_team(request, pk)
    form = _team_form(request, team.campaign, request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.team_update(
                user=request.user,
                team=team,
                name=data["name"],
                members=list(data["members"]),
                leader=data["leader"],
                areas=form.area_list(),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Team {name} saved.").format(name=team.name))
            return redirect("screening:campaign", team.campaign_id)
    return render(
        request,
        "screening/team_edit.html",
        {"form": form, "team": team, "campaign": team.campaign},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def team_dissolve(request, pk: int):
    """Delete a team without visits (one with visits stays; close the campaign instead)."""
    team = _managed_team(request, pk)
    done = _("Team {name} dissolved.").format(name=team.name)
    _act(request, lambda: services.team_dissolve(user=request.user, team=team), done)
    return redirect("screening:campaign", team.campaign_id)


def _list_params(data) -> dict[str, str]:
    """The team list's filter (status, search) carried through a visit and back."""
    status, query, _building = WorklistFilter(data).values()
    return {k: v for k, v in (("status", status), ("q", query)) if v}


def _list_url(team, params: dict[str, str], building_id: int | None = None) -> str:
    url = reverse("screening:team", args=[team.pk])
    if building_id is not None:
        params = {**params, "b": str(building_id)}
    if params:
        url += "?" + urlencode(params)
    return url + (f"#b{building_id}" if building_id is not None else "")


# Served from /screening/ rather than /static/: a service worker controls only the pages
# under the folder of its script, and the team pages are under /screening/teams/.
SERVICE_WORKER = Path(__file__).parent / "static" / "screening" / "team-sw.js"


@require_GET
def service_worker(request):
    """The team page's service worker (docs/offline.md): no login, it holds no data."""
    response = HttpResponse(SERVICE_WORKER.read_bytes(), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def team_detail(request, pk: int):
    """The team's dwellings by building and floor, with a status filter and a search."""
    team = selectors.team_get(request.user, pk)
    filters = WorklistFilter(request.GET)
    status, query, open_building = filters.values()
    work = worklist.team_worklist(request.user, team, status=status, query=query)
    params = _list_params(request.GET)
    search = {"q": params["q"]} if "q" in params else {}
    status_links = [
        (
            value,
            label,
            work.counts.get(value, 0) if value else work.total,
            "?" + urlencode({**({"status": value} if value else {}), **search}),
        )
        for value, label in filters.fields["status"].choices
    ]
    return render(
        request,
        "screening/team.html",
        {
            "team": team,
            "work": work,
            "counts": work.counts,
            "total": work.total,
            "filters": filters,
            "status_links": status_links,
            "open_building": open_building,
            "back": urlencode(params),
        },
    )


def _who(form) -> str:
    if isinstance(form, PersonCheckForm):
        return form.person.name
    typed = (form.data.get(form.add_prefix("name")) or "").strip()
    return typed or str(services.ERR_NEW_PERSON.format(n=form.number))


def _put_errors(exc: ValidationError, person_forms, new_forms) -> list[str]:
    """Put a service's errors on the form of the person they are about; return those that
    belong to no one person (the outcome, the visit key, a closed campaign)."""
    general: list[str] = []
    by_key = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for key, found in by_key.items():
        group, _dot, rest = key.partition(".")
        index, _dot, field = rest.partition(".")
        forms = {"people": person_forms, "new_people": new_forms}.get(group)
        if forms is None or not index.isdigit() or int(index) >= len(forms):
            general.extend(found)
            continue
        form = forms[int(index)]
        form.add_error(field if field in form.fields else None, found)
    return general


@login_required
@require_http_methods(["GET", "POST"])
def visit(request, pk: int, dwelling_pk: int):
    """One dwelling per screen: outcome, each person found, new people.

    A refused save shows the whole household again as it was typed, with each error on
    the person it is about and listed at the top by name."""
    team = selectors.team_get(request.user, pk)
    dwelling = selectors.team_dwelling_get(request.user, team, dwelling_pk)
    people = list(selectors.dwelling_people(request.user, dwelling))
    posted = request.method == "POST"
    data = request.POST if posted else None
    person_forms = [PersonCheckForm(data, person=p) for p in people]
    new_forms = [NewPersonForm(data, slot=i) for i in range(NEW_PERSON_SLOTS)]
    params = _list_params(request.POST if posted else request.GET)
    key = request.POST.get("key") or str(uuid.uuid4())
    outcome = request.POST.get("outcome", "") if posted else Outcome.ANSWERED
    general: list[str] = []
    if posted:
        valid = [form.is_valid() for form in (*person_forms, *new_forms)]
        if all(valid):
            answered = outcome == Outcome.ANSWERED
            typed = [f for f in new_forms if f.was_typed_in()] if answered else []
            try:
                services.visit_record(
                    user=request.user,
                    team=team,
                    dwelling=dwelling,
                    key=key,
                    outcome=outcome,
                    people=[f.entry() for f in person_forms] if answered else [],
                    new_people=[f.entry() for f in typed],
                    notes=request.POST.get("notes", ""),
                )
            except ValidationError as exc:
                general = _put_errors(exc, person_forms, typed)
            except PermissionDenied as exc:
                # The visit would change or create a file the user does not keep (a
                # volunteer on the team): nothing was saved; the form comes back as typed,
                # with the reason, for someone who keeps the files to record.
                general = [str(exc) or str(ERR_NOT_YOUR_FILES)]
            except ValueError as exc:  # a malformed visit key
                general = [str(exc)]
            else:
                messages.success(
                    request, _("Visit to {dwelling} recorded.").format(dwelling=dwelling)
                )
                return redirect(_list_url(team, params, dwelling.building_id))
    # Every error, by whom it is about, for the list at the top of the form; the
    # service's messages name the person already, the forms' (a bad date) do not.
    summary = [(message, "") for message in general]
    for form in (*person_forms, *new_forms):
        who = _who(form)
        for name, messages_of in form.errors.items():
            field = form.fields.get(name)
            for message in messages_of:
                if message.startswith(who):
                    summary.append((message, form.prefix))
                elif field is None:
                    summary.append((services.ERR_WHO.format(who=who, error=message), form.prefix))
                else:
                    text = ERR_FIELD.format(who=who, field=field.label, error=message)
                    summary.append((text, form.prefix))
    rows = [
        (f, mask_document(f.person.doc_number), mask_phone(f.person.phone)) for f in person_forms
    ]
    last_visit = worklist.dwelling_last_visit(team, dwelling)
    status = selectors.status_of(last_visit.outcome if last_visit else None)
    return render(
        request,
        "screening/visit.html",
        {
            "team": team,
            "dwelling": dwelling,
            "rows": rows,
            "new_forms": new_forms,
            "key": key,
            "outcome": outcome,
            "outcomes": Outcome.choices,
            "summary": summary,
            "notes": request.POST.get("notes", "") if posted else "",
            "last_visit": last_visit,
            "status": status,
            "status_label": DwellingStatus(status).label,
            "back_url": _list_url(team, params, dwelling.building_id),
            "params": params,
        },
        status=422 if summary else 200,
    )


# ---- duplicates -----------------------------------------------------------------------


@login_required
def duplicates(request):
    pairs = dup.likely_duplicates(request.user)
    return render(request, "screening/duplicates.html", {"pairs": pairs})


@login_required
@require_POST
def merge(request):
    try:
        keep = person_get(request.user, int(request.POST.get("keep", "0")))
        drop = person_get(request.user, int(request.POST.get("drop", "0")))
    except ValueError as exc:
        raise Http404 from exc
    try:
        kept = dup.person_merge(user=request.user, keep=keep, drop=drop)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("screening:duplicates")
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Files merged into {name}'s.").format(name=kept.name))
    return redirect(reverse("person", args=[kept.pk]))
