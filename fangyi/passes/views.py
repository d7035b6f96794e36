"""Pass pages: thin views over passes.selectors and passes.services."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangyi.core.dbrouter import replica_view
from fangyi.core.documents import pdf_document, pdf_response
from fangyi.core.middleware import resident_page
from fangyi.passes import ratelimit, selectors, services, tokens
from fangyi.passes.choices import Decision, FeverStatus, decisions_for
from fangyi.passes.models import Pass
from fangyi.passes.qr import qr_svg
from fangyi.people.choices import DocType
from fangyi.people.identity import mask_document, mask_name, mask_phone
from fangyi.people.selectors import person_get

BOARD_ZONES_LIMIT = 300


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    # Templates cannot read "__all__": errors about the whole request are under "form".
    if hasattr(exc, "error_dict"):
        return {
            ("form" if k == "__all__" else k): [str(m) for m in v]
            for k, v in exc.message_dict.items()
        }
    return {"form": [str(m) for m in exc.messages]}


# --- residents -----------------------------------------------------------------------------


def _apply_context(data) -> dict:
    zone_id = data.get("zone") or ""
    building_id = data.get("building") or ""
    return {
        **selectors.application_places(zone_id, building_id),
        "doc_types": DocType.choices,
        "data": data,
    }


@resident_page
@require_http_methods(["GET", "POST"])
def apply(request):
    """The public application page (no login)."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not ratelimit.apply_allowed(request):
            context = _apply_context(request.POST)
            context["errors"] = {"form": [str(ratelimit.ERR_RATE_LIMITED)]}
            return render(request, "passes/apply.html", context, status=429)
        try:
            submitted = services.application_submit(
                values={
                    "name": request.POST.get("name"),
                    "doc_type": request.POST.get("doc_type"),
                    "doc_number": request.POST.get("doc_number"),
                    "phone": request.POST.get("phone"),
                    "dwelling_id": request.POST.get("dwelling"),
                }
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("passes:pass", key=submitted.pass_obj.link_key)
    context = _apply_context(request.POST if request.method == "POST" else request.GET)
    context["errors"] = errors
    return render(request, "passes/apply.html", context, status=422 if errors else 200)


@resident_page
@require_GET
def apply_buildings(request):
    return render(request, "passes/_apply_buildings.html", _apply_context(request.GET))


@resident_page
@require_GET
def apply_rooms(request):
    return render(request, "passes/_apply_rooms.html", _apply_context(request.GET))


def _pass_context(pass_obj: Pass) -> dict:
    now = timezone.now()
    state = "valid"
    application = pass_obj.application
    if pass_obj.revoked_at is not None:
        if pass_obj.replaced_by_id:
            state = "replaced"
        elif application is not None and application.status == "rejected":
            state = "rejected"
        else:
            state = "revoked"
    elif pass_obj.expires_at <= now:
        state = "expired"
    elif pass_obj.person_id is None:
        # Not verified yet: no colour and no reason, which would read the file of
        # whoever's name and ID number were typed (anyone may apply in anyone's name).
        state = "pending"
    context = {"pass": pass_obj, "state": state, "application": application, "now": now}
    if state in ("valid", "pending"):
        holder = pass_obj.person.name if pass_obj.person else application.name
        context.update(name=mask_name(holder), code=tokens.format_code(pass_obj.code))
    if state == "valid":
        verdict, policy = services.pass_verdict(pass_obj, now=now)
        context.update(verdict=verdict, policy=policy)
    return context


# The pass pages are the holder's: never kept by a shared browser's or a proxy's cache.
_private = cache_control(private=True, no_store=True)


@resident_page
@_private
@require_GET
def pass_page(request, key: str):
    """The resident's pass (bookmarkable secret link): QR, code and the current colour
    (once verified)."""
    pass_obj = selectors.pass_for_link(key)
    context = _pass_context(pass_obj)
    if context["state"] in ("valid", "pending"):
        context["qr"] = qr_svg(services.pass_token(pass_obj), title=_("Pass QR code"))
    return render(request, "passes/pass.html", context)


@resident_page
@_private
@require_GET
def pass_status(request, key: str):
    """The colour block alone, polled by the pass page."""
    return render(request, "passes/_pass_status.html", _pass_context(selectors.pass_for_link(key)))


@resident_page
@_private
@require_GET
def pass_pdf(request, key: str):
    """A paper pass for people without a smartphone: QR, typed code, masked name."""
    pass_obj = selectors.pass_for_link(key)
    context = _pass_context(pass_obj)
    if context["state"] not in ("valid", "pending"):
        raise Http404
    doc = pdf_document(title=_("Electronic pass"))
    doc.heading(_("Electronic pass"))
    doc.key_values(
        [
            (_("Name"), context["name"]),
            (_("District"), pass_obj.district.name),
            (_("Pass code"), context["code"]),
            (_("Valid until"), f"{timezone.localtime(pass_obj.expires_at):%Y-%m-%d}"),
        ]
    )
    doc.qr_code(services.pass_token(pass_obj), size=60, caption=context["code"])
    doc.paragraph(
        _(
            "Show this paper at the gate. The colour is checked at every scan; "
            "this paper does not show it."
        )
    )
    return pdf_response(f"pass-{pass_obj.code}.pdf", doc.render())


# --- guards --------------------------------------------------------------------------------


@login_required
@require_GET
def gate_home(request):
    gates = list(selectors.gates_for(request.user).select_related("zone").order_by("zone", "name"))
    if len(gates) == 1:
        return redirect("passes:gate", gate_id=gates[0].pk)
    return render(request, "passes/gates.html", {"gates": gates})


def _gate_context(request, gate, **extra) -> dict:
    return {"gate": gate, **extra}


@login_required
@require_GET
def gate_page(request, gate_id: int):
    gate = selectors.gate_get(request.user, gate_id)
    return render(request, "passes/gate.html", _gate_context(request, gate, errors={}))


# Served from /passes/ rather than /static/: a service worker controls only the pages
# under the folder of its script, and the gate pages are under /passes/gates/.
GATE_SERVICE_WORKER = Path(__file__).parent / "static" / "passes" / "gate-sw.js"


@require_GET
def gate_service_worker(request):
    """The gate page's service worker (docs/offline.md): no login, it holds no data (the
    browser fetches it again to update it, also after the session has ended)."""
    response = HttpResponse(GATE_SERVICE_WORKER.read_bytes(), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


def _result(request, gate, result) -> HttpResponse:
    verdict = result.verdict
    choices = decisions_for(verdict.colour, verdict.fever, verdict.reason)
    return render(
        request,
        "passes/result.html",
        {
            "gate": gate,
            "check": result.check,
            "verdict": verdict,
            "name": result.name_masked,
            "choices": [(c, Decision(c).label) for c in choices],
        },
    )


@login_required
@require_POST
def gate_check(request, gate_id: int):
    """A scanned token or typed code plus the temperature → the full-screen colour."""
    gate = selectors.gate_get(request.user, gate_id)
    try:
        result = services.gate_check_record(
            by=request.user,
            gate=gate,
            token=request.POST.get("token", "").strip(),
            code=request.POST.get("code", "").strip(),
            temperature=request.POST.get("temperature"),
        )
    except tokens.PassRefused as refusal:
        if refusal.is_typo:
            # A slip of the finger is not a refusal: keep the form, ask to type again.
            context = _gate_context(request, gate, errors={}, data=request.POST, typo=True)
            return render(request, "passes/gate.html", context, status=422)
        return render(
            request,
            "passes/refused.html",
            {"gate": gate, "message": refusal.message, "code": refusal.code},
            status=422,
        )
    except ValidationError as exc:
        context = _gate_context(request, gate, errors=_errors(exc), data=request.POST)
        return render(request, "passes/gate.html", context, status=422)
    return _result(request, gate, result)


@login_required
@require_POST
def gate_visitor(request, gate_id: int):
    """A visitor without a pass, registered by hand."""
    gate = selectors.gate_get(request.user, gate_id)
    try:
        result = services.gate_check_record(
            by=request.user,
            gate=gate,
            temperature=request.POST.get("temperature"),
            visitor={
                "name": request.POST.get("visitor_name", ""),
                "phone": request.POST.get("visitor_phone", ""),
                "note": request.POST.get("visitor_note", ""),
            },
        )
    except ValidationError as exc:
        context = _gate_context(request, gate, errors=_errors(exc), data=request.POST)
        return render(request, "passes/gate.html", context, status=422)
    return _result(request, gate, result)


@login_required
@require_POST
def check_decide(request, pk: int):
    check = selectors.checks_for_guard(request.user).filter(pk=pk).first()
    if check is None:
        raise Http404
    try:
        services.gate_check_decide(
            by=request.user, check=check, decision=request.POST.get("decision", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            _("Recorded: %(decision)s.") % {"decision": Decision(request.POST["decision"]).label},
        )
    return redirect("passes:gate", gate_id=check.gate_id)


# --- grid workers: the verification queue, a person's passes -----------------------------


@login_required
@require_GET
def queue(request):
    apps = list(
        selectors.applications_for(request.user)
        .filter(status="pending")
        .select_related("dwelling__building", "zone")
        .order_by("created_at", "id")[:200]
    )
    matches = selectors.application_matches(request.user, apps)
    rows = [(a, mask_document(a.doc_number), mask_phone(a.phone), matches[a.pk]) for a in apps]
    return render(request, "passes/queue.html", {"rows": rows})


@login_required
@require_POST
def application_action(request, pk: int, action: str):
    application = selectors.application_get(request.user, pk)
    try:
        if action == "approve":
            services.application_approve(by=request.user, application=application)
            messages.success(
                request, _("Approved: %(name)s's pass is valid.") % {"name": application.name}
            )
        elif action == "reject":
            services.application_reject(
                by=request.user, application=application, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Rejected; the applicant sees the reason."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(m for v in _errors(exc).values() for m in v))
    return redirect("passes:queue")


def _person_with_passes(request, person_id: int):
    """The person file (404 outside scope) and what the user may do with its passes
    (404 when nothing: a guard or a volunteer serving the person learns nothing here)."""
    person = person_get(request.user, person_id)
    actions = services.pass_actions_for(request.user, person)
    if not actions.view:
        raise Http404
    return person, actions


@_private
@login_required
@require_GET
def person_passes(request, person_id: int):
    person, actions = _person_with_passes(request, person_id)
    passes = list(
        selectors.passes_of(request.user, person).select_related("district", "revoked_by__staff")
    )
    verdict = None
    active = next((p for p in passes if p.revoked_at is None), None)
    if active is not None:
        verdict, _policy = services.pass_verdict(active)
    return render(
        request,
        "passes/person.html",
        {
            "person": person,
            "passes": passes,
            "active": active,
            "verdict": verdict,
            "actions": actions,
        },
    )


@login_required
@require_POST
def person_pass_action(request, person_id: int, action: str):
    person, _actions = _person_with_passes(request, person_id)
    passes = selectors.passes_of(request.user, person)
    try:
        if action == "issue":
            services.pass_issue(by=request.user, person=person)
        elif action == "revoke":
            active = passes.filter(revoked_at__isnull=True).first()
            if active is None:
                raise Http404
            services.pass_revoke(
                by=request.user, pass_obj=active, reason=request.POST.get("reason", "")
            )
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(m for v in _errors(exc).values() for m in v))
    return redirect("passes:person", person_id=person.pk)


# --- the board and fever alerts -----------------------------------------------------------


# The gate board's counts per gate and in all (selectors.gate_board).
BOARD_COUNTS = ("checks", "reds", "yellows", "refused", "fevers")


@login_required
@require_GET
@replica_view  # heavy reads: from the replica (core.dbrouter)
def board(request):
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    zone_ids = None
    zone = request.GET.get("zone", "")
    if zone.isdigit():
        zone_ids = [int(zone)]
    rows = selectors.gate_board(request.user, day=day, zone_ids=zone_ids)
    gates: dict[int, dict] = {}
    for row in rows:
        g = gates.setdefault(
            row["gate_id"],
            {
                "zone": row["zone__name"],
                "gate": row["gate__name"],
                "hours": [0] * 24,
                **dict.fromkeys(BOARD_COUNTS, 0),
            },
        )
        g["hours"][row["hour"]] += row["checks"]
        for key in BOARD_COUNTS:
            g[key] += row[key]
    totals = {k: sum(g[k] for g in gates.values()) for k in BOARD_COUNTS}
    zones = selectors.zones_visible(request.user).only("id", "name")[:BOARD_ZONES_LIMIT]
    return render(
        request,
        "passes/board.html",
        {
            "day": day,
            "gates": list(gates.values()),
            "totals": totals,
            "hours": range(24),
            "zones": zones,
            "zone": zone,
            # Checks made offline that the server coloured otherwise (docs/offline.md).
            "reconciliations": selectors.reconciliation_lines(
                request.user, day=day, zone_ids=zone_ids
            ),
        },
    )


@login_required
@require_GET
def fevers(request):
    rows = selectors.fever_alert_rows(request.user)
    return render(request, "passes/fevers.html", {"rows": rows})


@login_required
@require_POST
def fever_review(request, pk: int):
    alert = selectors.fever_alert_get(request.user, pk)
    try:
        services.fever_alert_review(
            by=request.user,
            alert=alert,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for v in _errors(exc).values() for m in v))
    else:
        messages.success(request, FeverStatus(request.POST["outcome"]).label)
    return redirect(reverse("passes:fevers"))
