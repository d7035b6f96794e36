"""Zone maps, posters, the overview, case statistics and the daily report (thin views)."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangyi.core.api_errors import error_body
from fangyi.core.dbrouter import replica_view
from fangyi.core.documents import pdf_response
from fangyi.core.spreadsheets import xlsx_response
from fangyi.duty.selectors import place_get, top_places
from fangyi.people.identity import mask_document, mask_phone
from fangyi.reports import case_selectors, selectors, services
from fangyi.reports.choices import CANVAS_HEIGHT, CANVAS_WIDTH, ZoneStatus
from fangyi.reports.forms import BaseImageForm, ConfirmedCaseForm
from fangyi.reports.issued import issued_days, issued_report
from fangyi.reports.models import ZoneMap


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


@login_required
@require_GET
@replica_view  # heavy reads: from the replica (core.dbrouter)
def overview(request):
    data = selectors.overview(
        request.user,
        street_id=_int(request.GET.get("street")),
        community_id=_int(request.GET.get("community")),
    )
    return render(
        request,
        "reports/overview.html",
        {"data": data, "statuses": list(ZoneStatus), "recent_days": 14},
    )


@login_required
@require_GET
@replica_view  # heavy reads: from the replica (core.dbrouter)
def zone_map(request, pk: int):
    data = selectors.with_screening(request.user, selectors.zone_map(request.user, pk))
    return render(
        request,
        "reports/zone_map.html",
        {
            "data": data,
            "zone": data.zone,
            "canvas": {"width": CANVAS_WIDTH, "height": CANVAS_HEIGHT},
            "fence": {"width": CANVAS_WIDTH - 40, "height": CANVAS_HEIGHT - 40},
            "image_form": BaseImageForm() if data.can_edit else None,
        },
    )


@login_required
@require_GET
def building(request, pk: int):
    place, floors, screening = selectors.building_floors(request.user, pk)
    template = "reports/_building.html" if request.headers.get("HX-Request") else None
    context = {
        "building": place,
        "floors": floors,
        "screening": screening,
        "duty": selectors.building_duty(place.pk),
    }
    if template:
        return render(request, template, context)
    return render(request, "reports/building.html", context)


@login_required
@require_GET
def poster(request, pk: int):
    from fangyi.reports.posters import poster_pdf

    data = selectors.with_screening(request.user, selectors.zone_map(request.user, pk))
    url = request.build_absolute_uri(reverse("reports:zone_map", args=[pk]))
    stamp = timezone.localtime(data.taken_at).strftime("%Y%m%d-%H%M")
    name = "{}-{}-{}.pdf".format(data.zone.name, _("Epidemic-prevention map"), stamp)
    return pdf_response(name, poster_pdf(data, url), inline=request.GET.get("download") != "1")


@login_required
@require_http_methods(["GET", "POST"])
def base_image(request, pk: int):
    """GET: the zone's base picture (scoped, never a public URL); POST: replace it."""
    zone = selectors.zone_get(request.user, pk)
    if request.method == "GET":
        zone_map = ZoneMap.objects.filter(zone=zone).first()
        if zone_map is None or not default_storage.exists(zone_map.base_image.name):
            raise Http404
        response = FileResponse(default_storage.open(zone_map.base_image.name, "rb"))
        response["Cache-Control"] = "private, max-age=3600"
        return response
    form = BaseImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.zone_base_image_set(
                by=request.user, zone=zone, upload=form.cleaned_data["base_image"]
            )
            messages.success(request, _("The base picture is saved."))
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
    else:
        messages.error(request, _("Choose a picture to upload."))
    return redirect(reverse("reports:zone_map", args=[pk]) + "?edit=1")


@login_required
@require_POST
def base_image_remove(request, pk: int):
    zone = selectors.zone_get(request.user, pk)
    services.zone_base_image_remove(by=request.user, zone=zone)
    messages.success(request, _("The map shows the site plan drawn from the buildings again."))
    return redirect(reverse("reports:zone_map", args=[pk]) + "?edit=1")


@login_required
@require_POST
def building_polygon(request, pk: int):
    """The map editor's save: `{"polygon": [[x, y], ...]}` → the cleaned outline, as JSON."""
    place = place_get(request.user, "building", pk)
    try:
        polygon = json.loads(request.body or b"{}").get("polygon")
    except (ValueError, AttributeError):
        polygon = None
    try:
        saved = services.building_polygon_set(by=request.user, building=place, polygon=polygon)
    except PermissionDenied as exc:
        return JsonResponse(error_body("forbidden", str(exc)), status=403)
    except ValidationError as exc:
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        message = " ".join(m for v in fields.values() for m in v)
        return JsonResponse(error_body("invalid", message, fields), status=422)
    return JsonResponse({"id": saved.pk, "polygon": saved.polygon})


def _default_place(user) -> tuple[str, int]:
    for level, place in top_places(user):
        if level in selectors.STATS_LEVELS:
            return level, place.pk
    raise Http404


@login_required
@require_GET
@replica_view  # heavy reads: from the replica (core.dbrouter)
def stats(request):
    raw = request.GET.get("place")
    level, pk = selectors.parse_place(raw) if raw else _default_place(request.user)
    data = selectors.case_stats(request.user, level, pk)
    children = selectors.child_stats(request.user, level, pk, today=data.today)
    chart = {
        "days": [d.isoformat() for d, _n, _c in data.series],
        "new": [n for _d, n, _c in data.series],
        "cumulative": [c for _d, _n, c in data.series],
        "labels": {"new": _("new cases"), "cumulative": _("cumulative cases")},
    }
    return render(
        request,
        "reports/stats.html",
        {
            "stats": data,
            "level": level,
            "children": children,
            "chart": chart,
            "recent": selectors.recent_cases(request.user, level, pk),
            "daily_levels": ("district", "street", "community"),
            "may_record": services.may_record_cases(request.user),
            "issued_days": issued_days(request.user, pk) if level == "district" else (),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    services.check_case_recorder(request.user)
    form = ConfirmedCaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.confirmed_case_create(
                by=request.user,
                date=form.cleaned_data["date"],
                zone=form.cleaned_data["zone"],
                person=form.cleaned_data["id_number"],
                classification=form.cleaned_data["classification"],
                onset_date=form.cleaned_data["onset_date"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The confirmed case is recorded."))
            return redirect(reverse("reports:case_new") + f"?recorded={case.pk}")
    recorded = None
    if request.method == "GET" and _int(request.GET.get("recorded")):
        recorded = case_selectors.recorded_case(request.user, _int(request.GET.get("recorded")))
    return render(request, "reports/case_form.html", {"form": form, "recorded": recorded})


@login_required
@require_GET
@replica_view  # heavy reads: from the replica (core.dbrouter)
def daily_xlsx(request):
    from fangyi.reports.exports import daily_sheets

    raw = request.GET.get("place")
    level, pk = selectors.parse_place(raw) if raw else _default_place(request.user)
    if level == "zone":
        raise Http404
    place = place_get(request.user, level, pk)
    try:
        day = dt.date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        day = timezone.localdate()
    return xlsx_response(
        "{}-{}-{:%Y%m%d}.xlsx".format(place.name, _("daily report"), day),
        daily_sheets(level, pk, day),
    )


@login_required
@require_GET
def daily_issued(request, district_id: int, day: str):
    """A daily report as the worker issued it that morning (reports.issued)."""
    name, path = issued_report(request.user, district_id, day)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)


@login_required
@require_GET
def unverified(request):
    """The person files still to verify in the user's places (masked), by dwelling."""
    people = selectors.unverified_people(request.user)
    total = people.count()
    rows = [
        (p, mask_document(p.doc_number), mask_phone(p.phone))
        for p in people[: selectors.UNVERIFIED_LIMIT]
    ]
    return render(
        request,
        "reports/unverified.html",
        {"rows": rows, "total": total, "limit": selectors.UNVERIFIED_LIMIT},
    )
