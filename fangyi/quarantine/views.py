import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from fangyi.core.middleware import resident_page
from fangyi.people.choices import EpidemicState
from fangyi.people.identity import mask_document, mask_phone
from fangyi.quarantine import checkin, referrals, selectors, services
from fangyi.quarantine import intake as intake_services
from fangyi.quarantine.checkin import ERR_CHECKIN_RATE_LIMITED, checkin_allowed
from fangyi.quarantine.choices import (
    ACTIVE_STATES,
    AlertKind,
    CaseReason,
    CaseState,
    CheckChannel,
    FacilityKind,
    TestResult,
)
from fangyi.quarantine.forms import (
    CheckForm,
    ExtendForm,
    FacilityMoveForm,
    IntakeForm,
    NoteForm,
    ReleaseForm,
    TestForm,
)
from fangyi.quarantine.models import NucleicTest

ERR_ROOM = gettext_lazy("Choose the room from the list.")


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# Worklists: name → (title, kind of rows)
WORKLISTS = {
    # First: positive cases still at a station or at home (selectors.worklist_must_move).
    "must_move": gettext_lazy("must move"),
    "due_release": gettext_lazy("due for release"),
    "missed": gettext_lazy("missed check-in"),
    "fever": gettext_lazy("fever"),
    "symptoms": gettext_lazy("symptoms"),
    "positive": gettext_lazy("positive test"),
    "tests_pending": gettext_lazy("tests pending result"),
    "arrivals": gettext_lazy("station arrivals today"),
    "closed": gettext_lazy("recently closed"),
}
ALERT_WORKLISTS = {
    "missed": AlertKind.MISSED_CHECK,
    "fever": AlertKind.FEVER,
    "symptoms": AlertKind.SYMPTOM,
    "positive": AlertKind.POSITIVE_TEST,
}


def worklist_rows(user, name: str, today: dt.date):
    """(kind, rows) of one worklist; kind says which template columns apply."""
    if name == "must_move":
        return "cases", list(selectors.worklist_must_move(user))
    if name == "due_release":
        return "cases", selectors.worklist_due_release(user, today)
    if name in ALERT_WORKLISTS:
        services.alerts_sync_missed(cases=selectors.cases_for(user).filter(state__in=ACTIVE_STATES))
        return "alerts", list(selectors.worklist_alerts(user, ALERT_WORKLISTS[name]))
    if name == "tests_pending":
        return "tests", list(selectors.worklist_tests_pending(user))
    if name == "arrivals":
        return "cases", list(selectors.worklist_station_arrivals(user, today))
    if name == "closed":
        # Released or transferred lately, for their documents (certificate, notice).
        return "cases", selectors.worklist_recently_closed(user, today)
    raise Http404


@login_required
def worklists(request):
    today = timezone.localdate()
    # A positive case that must move is the first thing a doctor sees; otherwise the
    # cases due for release.
    name = request.GET.get("list") or (
        "must_move" if selectors.worklist_must_move(request.user).exists() else "due_release"
    )
    if name not in WORKLISTS:
        raise Http404
    kind, rows = worklist_rows(request.user, name, today)
    if request.GET.get("format") == "xlsx":
        from fangyi.quarantine.exports import worklist_xlsx

        return worklist_xlsx(name, str(WORKLISTS[name]), kind, rows, today)
    # Each row with its case and the case's day line (day N of 14, release date), which
    # a phone shows under the name instead of a column per fact.
    items = []
    for row in rows:
        case = row if kind == "cases" else row.case
        days = selectors.case_days(case, today) if case.state in ACTIVE_STATES else None
        items.append((row, case, days))
    return render(
        request,
        "quarantine/worklists.html",
        {
            "lists": list(WORKLISTS.items()),
            "current": name,
            "title": WORKLISTS[name],
            "kind": kind,
            "rows": rows,
            "items": items,
            "today": today,
            "may_intake": selectors.may_intake(request.user),
            # Above every list: returnees sent here from a gate, to take in.
            "expected": list(referrals.expected_at_station(request.user)),
            # and what screening teams found at the door (fever, symptoms, arrivals).
            "door": referrals.found_at_the_door(request.user),
        },
    )


@login_required
def facility_board(request):
    facilities = list(selectors.facilities_visible(request.user).select_related("community"))
    occupancy = selectors.facility_occupancy()
    rows = []
    totals = {}
    for f in facilities:
        used = occupancy.get(f.pk, 0)
        rows.append((f, used, max(0, f.capacity - used), list(f.staff.all())))
        t = totals.setdefault(f.kind, [f.get_kind_display(), 0, 0])
        t[1] += f.capacity
        t[2] += used
    return render(
        request,
        "quarantine/facilities.html",
        {
            "rows": rows,
            "totals": list(totals.values()),
            "may_intake": selectors.may_intake(request.user),
        },
    )


def _intake_places(request):
    source = request.POST if request.method == "POST" else request.GET
    return selectors.intake_places(
        request.user,
        query=source.get("zone_q", ""),
        zone=source.get("zone"),
        building=source.get("building"),
        dwelling=source.get("dwelling"),
    )


def _intake_reason(asked: str | None, person) -> str:
    """The reason the intake form starts with: the one the link asks for (?reason=), else
    "close contact" for a person watched as one (the contact list's link), else returned."""
    if asked in CaseReason.values:
        return str(asked)
    if person is not None and person.epidemic_state == EpidemicState.CONTACT:
        return CaseReason.CLOSE_CONTACT
    return CaseReason.RETURNED


@login_required
def intake(request):
    services.check_intake(request.user)
    # Opened for a person (?person=<id>: a gate's referral, a contact): the file is found
    # by id, its document never put in the page.
    chosen = selectors.intake_person(request.user, request.GET.get("person") or "")
    initial = {
        "arrived_at": timezone.localtime().replace(second=0, microsecond=0, tzinfo=None),
        "person": chosen.pk if chosen else None,
        "reason": _intake_reason(request.GET.get("reason"), chosen),
    }
    # "find" (the picker's button without script) only shows the zones found: the form
    # comes back as typed, not yet checked.
    finding = request.method == "POST" and "find" in request.POST
    form = IntakeForm(
        None if finding else (request.POST or None),
        facilities=selectors.intake_facilities(request.user),
        initial={**initial, **request.POST.dict()} if finding else initial,
    )
    places = _intake_places(request)
    place_errors: list[str] = []
    if request.method == "POST" and not finding and form.is_valid():
        data = form.cleaned_data
        if data["person"]:
            chosen = selectors.intake_person(request.user, data["person"])
            if chosen is None:
                raise Http404
        try:
            if chosen is not None:
                case = services.case_intake(
                    by=request.user,
                    person=chosen,
                    reason=data["reason"],
                    arrived_at=data["arrived_at"],
                    first_state=data["first_state"],
                    facility=data["facility"],
                    origin=data["origin"],
                    note=data["note"],
                )
            else:
                raw = request.POST.get("dwelling") or ""
                dwelling = selectors.intake_dwelling(request.user, raw) if raw else None
                if raw and dwelling is None:
                    raise ValidationError({"dwelling": [ERR_ROOM]})
                case = intake_services.case_intake_by_document(
                    by=request.user,
                    doc_type=data["doc_type"],
                    doc_number=data["doc_number"],
                    name=data.get("name") or "",
                    phone=data.get("phone") or "",
                    dwelling=dwelling,
                    outside=data["outside"],
                    reason=data["reason"],
                    arrived_at=data["arrived_at"],
                    first_state=data["first_state"],
                    facility=data["facility"],
                    origin=data["origin"],
                    note=data["note"],
                )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            # The picker is not a field of the form: its error is shown under it.
            place_errors = errors.pop("dwelling", [])
            for field, field_errors in errors.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, _("Case %(no)s opened.") % {"no": case.case_no})
            return redirect("quarantine:case", pk=case.pk)
    return render(
        request,
        "quarantine/intake.html",
        {
            "form": form,
            "may_intake": True,
            "chosen": chosen,
            "masked_doc": mask_document(chosen.doc_number) if chosen else "",
            "places": places,
            "place_errors": place_errors,
        },
    )


@login_required
@require_GET
def intake_places(request):
    """The intake form's place picker, swapped in as the user types and chooses."""
    services.check_intake(request.user)
    return render(request, "quarantine/_intake_places.html", {"places": _intake_places(request)})


# The case page, read on a phone: what the doctor acts on comes first and stays short.
RECENT_CHECKS = 5
SHOWN_ALERTS = 3
ALERT_URGENCY = {
    AlertKind.POSITIVE_TEST: 0,
    AlertKind.FEVER: 1,
    AlertKind.SYMPTOM: 2,
    AlertKind.MISSED_CHECK: 3,
}


def _case_context(request, case, forms=None):
    days = selectors.case_days(case)
    forms = forms or {}
    token = checkin.checkin_token(case) if case.state in ACTIVE_STATES else None
    may_write = selectors.case_writable(request.user, case)
    tests = list(case.tests.all())
    checks = list(case.checks.order_by("-at"))
    # A positive test or a fever before a missed check-in, however old; newest first within.
    alerts = sorted(
        case.alerts.exclude(status="closed"), key=lambda a: ALERT_URGENCY.get(a.kind, 9)
    )
    return {
        "case": case,
        "person": case.person,
        "masked_doc": mask_document(case.person.doc_number),
        "masked_phone": mask_phone(case.person.phone),
        "days": days,
        "stages": case.stages.select_related("facility", "decided_by__staff"),
        "tests": tests,
        "pending_tests": [t for t in tests if t.result == TestResult.PENDING],
        # The latest checks first; the earlier ones fold away (a phone would otherwise
        # scroll past some 30 rows to reach the history).
        "checks": checks[:RECENT_CHECKS],
        "earlier_checks": checks[RECENT_CHECKS:],
        "alerts": alerts[:SHOWN_ALERTS],
        "more_alerts": alerts[SHOWN_ALERTS:],
        "events": case.events.select_related("by", "by__staff"),
        "active": case.state in ACTIVE_STATES,
        # Actions, results, alerts and the check-in link only for those who may act.
        "may_write": may_write,
        "may_intake": selectors.may_intake(request.user),
        "checkin_url": request.build_absolute_uri(reverse("checkin", args=[token]))
        if token and may_write
        else None,
        **{f"{action}_form": forms.get(action) or _action_form(action) for action in ACTIONS},
        "state": CaseState,
    }


@login_required
def case_detail(request, pk: int):
    case = selectors.case_get(request.user, pk)
    return render(request, "quarantine/case_detail.html", _case_context(request, case))


ACTIONS = {
    "move_home": (NoteForm, {}),
    "observation": (FacilityMoveForm, {"kinds": (FacilityKind.OBSERVATION, FacilityKind.HOTEL)}),
    "hospital": (FacilityMoveForm, {"kinds": (FacilityKind.HOSPITAL,)}),
    "release": (ReleaseForm, {}),
    "extend": (ExtendForm, {}),
    "transfer": (NoteForm, {}),
    "test": (TestForm, {}),
    "check": (CheckForm, {}),
}


def _run_action(user, case, action: str, data: dict):
    if action == "move_home":
        return services.case_move_home(by=user, case=case, note=data["note"])
    if action == "observation":
        return services.case_send_to_observation(
            by=user, case=case, facility=data["facility"], note=data["note"]
        )
    if action == "hospital":
        return services.case_transfer_to_hospital(
            by=user, case=case, facility=data["facility"], note=data["note"]
        )
    if action == "release":
        return services.case_release(by=user, case=case, kind=data["kind"], note=data["note"])
    if action == "extend":
        return services.case_extend(by=user, case=case, days=data["days"], note=data["note"])
    if action == "transfer":
        return services.case_transfer_out(by=user, case=case, note=data["note"])
    if action == "test":
        return services.test_record(
            by=user, case=case, sampled_on=data["sampled_on"], lab=data["lab"]
        )
    if action == "check":
        return services.health_check_record(
            case=case,
            temperature=data["temperature"],
            symptoms=data["symptoms"],
            channel=CheckChannel.STAFF,
            by=user,
        )
    raise Http404


def _action_form(action: str, data=None):
    """The form of one case action; ids are prefixed with the action, since the case
    page holds all of them at once."""
    form_class, kwargs = ACTIONS[action]
    initial = {"sampled_on": timezone.localdate()} if action == "test" else None
    return form_class(data, initial=initial, auto_id=f"id_{action}_%s", **kwargs)


@login_required
@require_POST
def case_action(request, pk: int, action: str):
    case = selectors.case_get(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    form = _action_form(action, request.POST)
    if form.is_valid():
        try:
            _run_action(request.user, case, action, form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("quarantine:case", pk=case.pk)
    case.refresh_from_db()
    context = _case_context(request, case, forms={action: form})
    context["failed_action"] = action
    return render(request, "quarantine/case_detail.html", context, status=422)


@login_required
@require_POST
def test_result(request, pk: int, test_pk: int):
    case = selectors.case_get(request.user, pk)
    test = get_object_or_404(NucleicTest, pk=test_pk, case=case)
    try:
        services.test_set_result(by=request.user, test=test, result=request.POST.get("result", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("quarantine:case", pk=case.pk)


@login_required
@require_POST
def alert_action(request, pk: int, action: str):
    alert = selectors.alerts_for(request.user).filter(pk=pk).first()
    if alert is None or action not in ("acknowledge", "close"):
        raise Http404
    try:
        if action == "acknowledge":
            services.alert_acknowledge(by=request.user, alert=alert)
        else:
            services.alert_close(by=request.user, alert=alert, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(request.POST.get("next") or reverse("quarantine:case", args=[alert.case_id]))


@login_required
@require_POST
def checkin_reissue(request, pk: int):
    """A new self check-in link; the old one is refused from now on."""
    case = selectors.case_get(request.user, pk)
    try:
        services.checkin_link_reissue(by=request.user, case=case)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("A new check-in link is ready; the old one no longer works."))
    return redirect("quarantine:case", pk=case.pk)


@login_required
def case_document(request, pk: int, document: str):
    case = selectors.case_get(request.user, pk)
    from fangyi.quarantine import documents

    if document == "notice":
        url = None
        # The check-in link lets whoever holds it record checks: only for who may act.
        if case.state in ACTIVE_STATES and selectors.case_writable(request.user, case):
            url = request.build_absolute_uri(reverse("checkin", args=[checkin.checkin_token(case)]))
        return documents.notice_response(case, url)
    if document == "certificate":
        if case.state != CaseState.RELEASED:
            raise Http404
        return documents.certificate_response(case)
    raise Http404


# The public self check-in page (no login): everything is keyed by the signed token.


@resident_page
def checkin_page(request, token: str):
    try:
        case = checkin.case_for_token(token)
    except checkin.LinkError as exc:
        return render(
            request, "quarantine/checkin_refused.html", {"reason": exc.message}, status=404
        )
    form = CheckForm(request.POST or None)
    done = None
    limited = request.method == "POST" and not checkin_allowed(request, token)
    if limited:
        form.add_error(None, str(ERR_CHECKIN_RATE_LIMITED))
    elif request.method == "POST" and form.is_valid():
        try:
            done = services.health_check_record(
                case=case,
                temperature=form.cleaned_data["temperature"],
                symptoms=form.cleaned_data["symptoms"],
                channel=CheckChannel.SELF,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            form = CheckForm()
    days = selectors.case_days(case)
    recent = case.checks.order_by("-at")[:6]
    return render(
        request,
        "quarantine/checkin.html",
        {
            "case": case,
            "days": days,
            "form": form,
            "done": done,
            # A fever or symptoms: who will call, what to do, whom to call (checkin.what_next).
            "next": checkin.what_next(case, done) if done is not None else None,
            "recent": recent,
            "name": case.person.name[:1] + "*" * (len(case.person.name) - 1),
        },
        status=429 if limited else 200,
    )
