"""The alerts page: every alert routed to the user (health.selectors), filtered by kind
and status, with acknowledge and close for those who may act (health.alerts)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fangyi.health import alerts as services
from fangyi.health import selectors
from fangyi.health.choices import AlertKind, AlertStatus

PER_PAGE = 50
# The status filter's choices: "active" (open or acknowledged, the default), each status,
# or all ("any").
STATUS_CHOICES = ("active", *AlertStatus.values, "any")


@login_required
@require_GET
def alert_list(request):
    kind = request.GET.get("kind", "")
    if kind not in AlertKind.values:
        kind = ""
    status = request.GET.get("status", "active")
    if status not in STATUS_CHOICES:
        status = "active"
    alerts = selectors.alerts_list(
        request.user, kind=kind, status="" if status == "any" else status
    )
    page = Paginator(alerts, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "health/alerts.html",
        {
            "rows": selectors.alert_rows(request.user, page.object_list),
            "page": page,
            "kind": kind,
            "status": status,
            "kinds": AlertKind.choices,
            "statuses": [
                ("active", _("open or acknowledged")),
                *AlertStatus.choices,
                ("any", _("all")),
            ],
        },
    )


@login_required
@require_POST
def alert_action(request, pk: int, action: str):
    if action not in ("acknowledge", "close"):
        raise Http404
    alert = selectors.alert_get(request.user, pk)
    try:
        if action == "acknowledge":
            services.alert_acknowledge(by=request.user, alert=alert)
            messages.success(request, _("Alert acknowledged."))
        else:
            services.alert_close(by=request.user, alert=alert, note=request.POST.get("note", ""))
            messages.success(request, _("Alert closed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("alerts:list")
    return redirect(back)
