"""Support pages: thin views over support.selectors and support.services.

Staff pages need a login (scope as in selectors); a volunteer's login reaches only
what is assigned to it, and the managers' pages answer 403 to it
(`selectors.check_manager_pages`). Who may change what the services decide: a refusal
is a 403. The resident pages under /support/r/<token>/ need no login: everything is keyed
by the signed token.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangyi.core.middleware import resident_page
from fangyi.core.ratelimit import allow
from fangyi.people.identity import mask_phone
from fangyi.people.selectors import person_get, person_search
from fangyi.support import links, rules, selectors, services
from fangyi.support.choices import Channel, OrderStatus, RequestStatus
from fangyi.support.documents import labels_pdf
from fangyi.support.forms import (
    CareGroupForm,
    ItemForm,
    NoteForm,
    RequestForm,
    StaffChoiceForm,
    SupplierForm,
    VisitForm,
    VolunteerForm,
)

ERR_RATE_LIMITED = gettext_lazy("Too many attempts from this link; please try again in an hour.")
ERR_BAD_DATE = gettext_lazy("Not a date.")
# Public forms: at most this many submissions per link and hour.
RATE_LIMIT_PER_HOUR = 30


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404(ERR_BAD_DATE) from None


def _quantities(post) -> dict[int, str]:
    return {
        int(key[5:]): value
        for key, value in post.items()
        if key.startswith("item_") and key[5:].isdigit()
    }


# Overview


@login_required
@require_GET
def home(request):
    """A volunteer's tasks, or a manager's rounds, requests and visits due."""
    today = timezone.localdate()
    user = request.user
    values = services.policy_values(today)
    next_round = rules.round_date_for(timezone.now(), values)
    context = {
        "today": today,
        "next_round": next_round,
        "deadline": rules.order_deadline(next_round, values),
        "volunteer": selectors.is_volunteer(user),
        "deliveries": selectors.my_deliveries(user, today),
        "my_requests": list(
            selectors.requests_for(user)
            .filter(assigned_to=selectors.staff_of(user), status=RequestStatus.ASSIGNED)
            .select_related("person", "person__dwelling", "building")
        )
        if selectors.staff_of(user)
        else [],
        "visits_due": selectors.visits_due(user, today),
    }
    if not context["volunteer"]:
        days = sorted({today, today + dt.timedelta(days=1), next_round})
        context["rounds"] = selectors.round_summaries(user, days)
        context["open_requests"] = (
            selectors.requests_for(user).filter(status=RequestStatus.OPEN).count()
        )
    return render(request, "support/home.html", context)


# Rounds


@login_required
@require_GET
def round_detail(request, zone_pk: int, date: str):
    """A zone's round on a day: the orders, the pick lists, labels, hand-over."""
    selectors.check_manager_pages(request.user)
    zone = selectors.zone_get(request.user, zone_pk)
    day = _date(date)
    orders = selectors.round_orders(request.user, zone, day)
    values = services.policy_values(day)
    return render(
        request,
        "support/round.html",
        {
            "zone": zone,
            "day": day,
            "orders": orders,
            "picks": selectors.pick_lists(orders),
            "deadline": rules.order_deadline(day, values),
            "delivery_time": rules.delivery_time(day, values),
            "roster": list(selectors.roster_staff(request.user, zone.pk)),
            # Assigning and confirming only for those who may (the services decide).
            "may_manage": services.may_manage(request.user, "zone", zone),
            "prev": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "total_due": sum((o.amount_due for o in orders), start=0),
        },
    )


@login_required
@require_GET
def round_labels(request, zone_pk: int, date: str):
    """Bag labels of a round as a PDF, one label per order, large type."""
    selectors.check_manager_pages(request.user)
    zone = selectors.zone_get(request.user, zone_pk)
    day = _date(date)
    orders = selectors.round_orders(request.user, zone, day)
    return labels_pdf(zone, day, orders)


# Orders


@login_required
@require_http_methods(["GET", "POST"])
def order_new(request):
    """Staff order for someone (an elderly person without a phone): find, then order."""
    selectors.check_manager_pages(request.user)
    query = request.GET.get("q", "")
    person = None
    if request.GET.get("person", "").isdigit():
        person = person_get(request.user, int(request.GET["person"]))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if person is None:
            raise Http404
        try:
            order = services.order_place(
                person=person,
                quantities=_quantities(request.POST),
                channel=Channel.STAFF,
                by=request.user,
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            errors = _error_dict(exc)
        else:
            messages.success(
                request,
                _("Order placed for %(name)s, delivery on %(date)s.")
                % {"name": person.name, "date": order.delivery_date.isoformat()},
            )
            return redirect("support:round", zone_pk=order.zone_id, date=order.delivery_date)
    context = _order_context(person, errors, _quantities(request.POST) if errors else None)
    context.update(
        {
            "query": query,
            "results": list(person_search(request.user, query)[:20]) if query else [],
            "person": person,
            "link": request.build_absolute_uri(
                reverse("support:resident", args=[links.resident_token(person)])
            )
            if person is not None
            else None,
        }
    )
    return render(request, "support/order_new.html", context, status=422 if errors else 200)


def _order_context(person, errors, posted: dict[int, str] | None = None) -> dict:
    """The next round's catalogue for a person's zone, with errors keyed by item."""
    values = services.policy_values()
    day = rules.round_date_for(timezone.now(), values)
    items = (
        list(selectors.catalogue_for_zone(person.zone_id, day))
        if person is not None and person.zone_id
        else []
    )
    return {
        "round_date": day,
        "deadline": rules.order_deadline(day, values),
        "items": [
            (item, errors.get(f"item_{item.pk}", []), (posted or {}).get(item.pk, ""))
            for item in items
        ],
        "form_errors": [m for k, v in errors.items() if not k.startswith("item_") for m in v],
    }


@login_required
@require_POST
def order_assign(request, pk: int):
    order = selectors.order_get(request.user, pk)
    form = StaffChoiceForm(
        request.POST, staff_queryset=selectors.roster_staff(request.user, order.zone_id)
    )
    if not form.is_valid():
        messages.error(request, _("Choose someone from the roster."))
    else:
        try:
            services.order_assign(
                by=request.user, order=order, deliverer=form.cleaned_data["staff"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("support:round", zone_pk=order.zone_id, date=order.delivery_date)


@login_required
@require_POST
def order_deliver(request, pk: int):
    """Confirm a hand-over (staff at the gate, or the volunteer at the door)."""
    order = selectors.order_get(request.user, pk)
    missing = {
        int(key[8:]): value
        for key, value in request.POST.items()
        if key.startswith("missing_") and key[8:].isdigit()
    }
    try:
        services.order_deliver(
            order=order, by=request.user, missing=missing, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Delivered: %(name)s.") % {"name": order.person.name})
    return redirect(_back(request, order))


def _back(request, order) -> str:
    if selectors.is_volunteer(request.user):
        return reverse("support:home")
    return reverse("support:round", args=[order.zone_id, order.delivery_date.isoformat()])


@login_required
@require_POST
def order_cancel(request, pk: int):
    order = selectors.order_get(request.user, pk)
    try:
        services.order_cancel(order=order, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_back(request, order))


@login_required
@require_POST
def link_reissue(request, person_pk: int):
    """A new personal link for a person; the old one stops working."""
    person = person_get(request.user, person_pk)
    links.resident_link_reissue(by=request.user, person=person)
    messages.success(request, _("A new personal link was made; the old one no longer works."))
    return redirect(reverse("support:order_new") + f"?person={person.pk}")


# Service requests


@login_required
@require_http_methods(["GET", "POST"])
def request_list(request):
    """Requests in scope by status, and a form to raise one for a person."""
    user = request.user
    status = request.GET.get("status", "open")
    if status not in ("open", "assigned", "done", "all"):
        raise Http404
    rows = selectors.requests_for(user).select_related(
        "person", "person__dwelling", "building", "zone", "assigned_to"
    )
    if status != "all":
        rows = rows.filter(status=status)
    person = None
    if request.GET.get("person", "").isdigit():
        person = person_get(user, int(request.GET["person"]))
    form = RequestForm(request.POST or None)
    if request.method == "POST":
        if person is None:
            raise Http404
        if form.is_valid():
            try:
                created = services.request_raise(
                    person=person,
                    channel=Channel.STAFF,
                    by=user,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect("support:request", pk=created.pk)
    query = request.GET.get("q", "")
    return render(
        request,
        "support/requests.html",
        {
            "rows": rows.order_by("-created_at", "-id")[:200],
            "status": status,
            "statuses": [
                ("open", _("open")),
                ("assigned", _("assigned")),
                ("done", _("done")),
                ("all", _("all")),
            ],
            "form": form,
            "person": person,
            "query": query,
            "results": list(person_search(user, query)[:20]) if query else [],
            "volunteer": selectors.is_volunteer(user),
            "may_manage": person is not None and services.may_manage(user, "person", person),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def request_detail(request, pk: int):
    item = selectors.request_get(request.user, pk)
    return render(request, "support/request_detail.html", _request_context(request, item))


def _request_context(request, item, **forms) -> dict:
    return {
        "item": item,
        "open": item.status in (RequestStatus.OPEN, RequestStatus.ASSIGNED),
        "volunteer": selectors.is_volunteer(request.user),
        # Assign and cancel for its managers; done also for the one it is given to.
        "may_manage": services.may_manage(request.user, "person", item),
        "may_do": services.may_do(request.user, item),
        "assign_form": forms.get("assign")
        or StaffChoiceForm(
            initial={"staff": item.assigned_to_id},
            staff_queryset=selectors.roster_staff(request.user, item.zone_id),
        ),
        "note_form": forms.get("note") or NoteForm(),
        "phone": mask_phone(item.person.phone),
    }


@login_required
@require_POST
def request_action(request, pk: int, action: str):
    """assign (managers), done (the assignee or a manager), cancel (managers): the
    services decide."""
    item = selectors.request_get(request.user, pk)
    if action not in ("assign", "done", "cancel"):
        raise Http404
    try:
        if action == "assign":
            form = StaffChoiceForm(
                request.POST,
                staff_queryset=selectors.roster_staff(request.user, item.zone_id),
            )
            if not form.is_valid():
                return render(
                    request,
                    "support/request_detail.html",
                    _request_context(request, item, assign=form),
                    status=422,
                )
            services.request_assign(by=request.user, request=item, staff=form.cleaned_data["staff"])
        elif action == "done":
            services.request_done(request=item, by=request.user, note=request.POST.get("note", ""))
        else:
            services.request_cancel(
                by=request.user, request=item, note=request.POST.get("note", "")
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if selectors.is_volunteer(request.user) and action == "done":
        return redirect("support:home")
    return redirect("support:request", pk=item.pk)


# Recurring visits


@login_required
@require_http_methods(["GET", "POST"])
def visit_list(request):
    """Visits due today, every recurring visit, and a form to start one for a person."""
    user = request.user
    today = timezone.localdate()
    person = None
    if request.GET.get("person", "").isdigit():
        person = person_get(user, int(request.GET["person"]))
    staff_queryset = selectors.roster_staff(user, person.zone_id if person else None)
    form = VisitForm(
        request.POST or None, staff_queryset=staff_queryset, initial={"starts_on": today}
    )
    if request.method == "POST":
        if person is None:
            raise Http404
        if form.is_valid():
            try:
                services.visit_create(person=person, by=user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect("support:visits")
    query = request.GET.get("q", "")
    return render(
        request,
        "support/visits.html",
        {
            "today": today,
            "due": selectors.visits_due(user, today),
            "visits": selectors.visits_for(user)
            .select_related("person", "person__dwelling", "building", "volunteer")
            .order_by("zone_id", "building_id", "id")[:500],
            "form": form,
            "person": person,
            "query": query,
            "results": list(person_search(user, query).filter(elderly_alone=True)[:20])
            if query
            else [],
            "volunteer": selectors.is_volunteer(user),
            "may_manage": person is not None and services.may_manage(user, "person", person),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def visit_done(request, pk: int):
    visit = selectors.visit_get(request.user, pk)
    try:
        services.visit_record(
            visit=visit,
            due_on=_date(request.POST.get("due_on", "")),
            by=request.user,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Visit recorded: %(name)s.") % {"name": visit.person.name})
    return redirect(_next(request, reverse("support:visits")))


def _next(request, default: str) -> str:
    """Where a form asks to go back to, if it is a page of this site."""
    target = request.POST.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


# Volunteers and counts


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_list(request):
    """The roster of the user's zones, and services done per volunteer, zone, community."""
    user = request.user
    selectors.check_manager_pages(user)
    zones = selectors.managed_zones(user)
    form = VolunteerForm(request.POST or None, zones=zones)
    if request.method == "POST" and form.is_valid():
        try:
            services.volunteer_add(by=user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("support:volunteers")
    first = _optional_date(request.GET.get("from"))
    last = _optional_date(request.GET.get("to"))
    counts = selectors.service_counts(user, first, last)
    per_staff = {s.pk: n for s, n in counts.per_staff}
    roster = list(
        selectors.volunteers_for(user)
        .select_related("staff", "zone")
        .order_by("zone_id", "kind", "id")[:1000]
    )
    return render(
        request,
        "support/volunteers.html",
        {
            "roster": [(v, per_staff.get(v.staff_id, 0)) for v in roster],
            "counts": counts,
            "form": form,
            "may_add": zones.exists(),
            "first": first,
            "last": last,
        },
        status=422 if form.errors else 200,
    )


def _optional_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


# Care groups


@login_required
@require_http_methods(["GET", "POST"])
def care_group_list(request):
    """Per residents' group, the people in quarantine, the staff member responsible and
    the chat group."""
    user = request.user
    selectors.check_manager_pages(user)
    zones = selectors.managed_zones(user)
    form = CareGroupForm(
        request.POST or None, zones=zones, staff_queryset=selectors.roster_staff(user)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        building_name = data.pop("building")
        building = None
        if building_name:
            building = selectors.building_named(data["zone"], building_name)
            if building is None:
                form.add_error("building", _("No building of that name in the zone."))
        if not form.errors:
            try:
                services.care_group_create(by=user, building=building, **data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect("support:care_groups")
    return render(
        request,
        "support/care_groups.html",
        {
            "groups": selectors.care_groups(user, timezone.localdate()),
            "form": form,
            "may_add": zones.exists(),
        },
        status=422 if form.errors else 200,
    )


# Suppliers and catalogue


@login_required
@require_http_methods(["GET", "POST"])
def supplier_list(request):
    user = request.user
    selectors.check_manager_pages(user)
    zones = selectors.managed_zones(user)
    form = SupplierForm(request.POST or None, zones=zones)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["zones"] = list(data["zones"])
        try:
            supplier = services.supplier_create(by=user, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("support:supplier", pk=supplier.pk)
    return render(
        request,
        "support/suppliers.html",
        {
            "suppliers": selectors.suppliers_for(user).prefetch_related("zones"),
            "form": form,
            "may_add": zones.exists(),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def supplier_detail(request, pk: int):
    """A supplier's catalogue for one day, with forms to add an item and copy the day."""
    user = request.user
    selectors.check_manager_pages(user)
    supplier = selectors.supplier_get(user, pk)
    values = services.policy_values()
    day = (
        _date(request.GET["date"])
        if request.GET.get("date")
        else rules.round_date_for(timezone.now(), values)
    )
    form = ItemForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("copy_from"):
            added = services.catalogue_copy(
                by=user, supplier=supplier, from_date=_date(request.POST["copy_from"]), to_date=day
            )
            messages.success(request, _("%(n)s items copied.") % {"n": added})
            return redirect(reverse("support:supplier", args=[pk]) + f"?date={day}")
        if form.is_valid():
            try:
                services.catalogue_item_add(
                    by=user, supplier=supplier, date=day, **form.cleaned_data
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect(reverse("support:supplier", args=[pk]) + f"?date={day}")
    return render(
        request,
        "support/supplier_detail.html",
        {
            "supplier": supplier,
            "day": day,
            "prev": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "items": supplier.items.filter(date=day).order_by("-is_bundle", "name"),
            "form": form,
            "may_manage": services.may_manage_supplier(user, supplier),
        },
        status=422 if form.errors else 200,
    )


# The resident's personal link (no login)


def _rate_limited(token: str) -> bool:
    return not allow(f"support:link:{token[-16:]}", limit=RATE_LIMIT_PER_HOUR, window=3600)


def _resident_person(token: str):
    try:
        return links.person_for_token(token), None
    except links.LinkError as exc:
        return None, exc.message


def _refused(request, reason) -> HttpResponse:
    return render(request, "support/resident_refused.html", {"reason": reason}, status=404)


@resident_page
@require_http_methods(["GET", "POST"])
def resident(request, token: str):
    """The resident's page: order for the next round, their orders and requests."""
    person, reason = _resident_person(token)
    if person is None:
        return _refused(request, reason)
    errors: dict[str, list[str]] = {}
    request_form = RequestForm()
    placed = None
    if request.method == "POST":
        if _rate_limited(token):
            return render(
                request, "support/resident_refused.html", {"reason": ERR_RATE_LIMITED}, status=429
            )
        action = request.POST.get("action")
        try:
            if action == "order":
                placed = services.order_place(
                    person=person,
                    quantities=_quantities(request.POST),
                    channel=Channel.LINK,
                    by=None,  # the person's own signed link
                    note=request.POST.get("note", ""),
                )
            elif action == "request":
                request_form = RequestForm(request.POST)
                if request_form.is_valid():
                    services.request_raise(
                        person=person, channel=Channel.LINK, by=None, **request_form.cleaned_data
                    )
                    messages.success(request, _("Your request was sent to the community staff."))
                    return redirect("support:resident", token=token)
            elif action == "cancel" and request.POST.get("order", "").isdigit():
                order = person.grocery_orders.filter(pk=int(request.POST["order"])).first()
                if order is None:
                    raise Http404
                services.order_cancel(order=order, by=None)
                messages.success(request, _("Your order was cancelled."))
                return redirect("support:resident", token=token)
            else:
                raise Http404
        except ValidationError as exc:
            if action == "request":
                _apply_errors(request_form, exc)
            else:
                errors = _error_dict(exc)
        if placed is not None:
            messages.success(
                request,
                _("Thank you: your order for %(date)s is placed.")
                % {"date": placed.delivery_date.isoformat()},
            )
            return redirect("support:resident", token=token)
    context = _order_context(person, errors, _quantities(request.POST) if errors else None)
    orders = selectors.with_details(person.grocery_orders.all()).order_by("-delivery_date", "-id")[
        :10
    ]
    now = timezone.now()
    values = services.policy_values()
    context.update(
        {
            "token": token,
            "name": person.name[:1] + "*" * (len(person.name) - 1),
            "orders": [
                (
                    o,
                    o.status == OrderStatus.PLACED
                    and now < rules.order_deadline(o.delivery_date, values),
                )
                for o in orders
            ],
            "requests": person.service_requests.exclude(kind="visit").order_by("-created_at")[:10],
            "request_form": request_form,
            "delivery_time": values.grocery_delivery_time,
        }
    )
    return render(
        request,
        "support/resident.html",
        context,
        status=422 if errors or request_form.errors else 200,
    )
