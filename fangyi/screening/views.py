"""Screening pages: campaigns, team lists, the visit form, import, export, duplicates.

Views are thin: a selector gives what is in scope (404 otherwise), a service writes.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fangyi.duty.models import Staff
from fangyi.people.identity import mask_document, mask_phone
from fangyi.people.selectors import person_get
from fangyi.places.selectors import place_get
from fangyi.screening import duplicates as dup
from fangyi.screening import selectors, services
from fangyi.screening.choices import Outcome
from fangyi.screening.forms import CampaignForm, TeamEditForm, TeamForm

CAMPAIGN_LEVELS = ("street", "community", "zone")


@login_required
def index(request):
    """My teams, the campaigns I may see, and where I may start one."""
    from fangyi.places.selectors import top_places

    places = [(lvl, p) for lvl, p in top_places(request.user) if lvl in CAMPAIGN_LEVELS]
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


@login_required
def team_detail(request, pk: int):
    team = selectors.team_get(request.user, pk)
    rows = selectors.team_dwellings(request.user, team)
    counts = dict.fromkeys(("not_visited", "revisit", "refused", "done"), 0)
    for row in rows:
        counts[row.status] += 1
    return render(
        request,
        "screening/team.html",
        {"team": team, "rows": rows, "counts": counts, "total": len(rows)},
    )


def _visit_entries(request, people) -> tuple[list[dict], list[dict]]:
    post = request.POST
    checks = []
    for person in people:
        prefix = f"p{person.pk}-"
        checks.append(
            {
                "person": person,
                "present": post.get(prefix + "present") == "on",
                "temperature": post.get(prefix + "temperature", "").strip(),
                "symptoms": post.get(prefix + "symptoms") == "on",
                "came_from": post.get(prefix + "came_from", ""),
                "came_on": parse_date(post.get(prefix + "came_on", "") or "") or None,
                "phone": post.get(prefix + "phone", ""),
            }
        )
    new = []
    for index in range(3):
        prefix = f"new{index}-"
        name = post.get(prefix + "name", "").strip()
        number = post.get(prefix + "doc_number", "").strip()
        if not name and not number:
            continue
        new.append(
            {
                "name": name,
                "doc_type": post.get(prefix + "doc_type") or "id_card",
                "doc_number": number,
                "phone": post.get(prefix + "phone", ""),
                "temperature": post.get(prefix + "temperature", "").strip(),
                "symptoms": post.get(prefix + "symptoms") == "on",
                "came_from": post.get(prefix + "came_from", ""),
                "came_on": parse_date(post.get(prefix + "came_on", "") or "") or None,
            }
        )
    return checks, new


@login_required
@require_http_methods(["GET", "POST"])
def visit(request, pk: int, dwelling_pk: int):
    """One dwelling per screen: outcome, each person found, new people."""
    team = selectors.team_get(request.user, pk)
    dwelling = selectors.team_dwelling_get(request.user, team, dwelling_pk)
    people = list(selectors.dwelling_people(request.user, dwelling))
    errors: dict[str, list] = {}
    key = request.POST.get("key") or str(uuid.uuid4())
    if request.method == "POST":
        checks, new = _visit_entries(request, people)
        outcome = request.POST.get("outcome", "")
        if outcome != Outcome.ANSWERED:
            checks, new = [], []
        try:
            services.visit_record(
                user=request.user,
                team=team,
                dwelling=dwelling,
                key=key,
                outcome=outcome,
                people=checks,
                new_people=new,
                notes=request.POST.get("notes", ""),
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        except ValueError as exc:  # a malformed visit key
            errors = {"key": [str(exc)]}
        else:
            messages.success(request, _("Visit to {dwelling} recorded.").format(dwelling=dwelling))
            return redirect("screening:team", team.pk)
    rows = [(p, mask_document(p.doc_number), mask_phone(p.phone)) for p in people]
    return render(
        request,
        "screening/visit.html",
        {
            "team": team,
            "dwelling": dwelling,
            "rows": rows,
            "key": key,
            "outcomes": Outcome.choices,
            "errors": errors,
            "new_slots": range(3),
            "post": request.POST,
        },
        status=422 if errors else 200,
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
