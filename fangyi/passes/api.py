"""Pass endpoints at the top of /api/: /passes/applications, /scans, /gates, /gate-board."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Status

from fangyi.core.api_errors import error_body
from fangyi.passes import keys, offline, ratelimit, scanning, selectors, services, tokens
from fangyi.passes.schemas import (
    ApplicationIn,
    ApplicationOut,
    BoardRowOut,
    DecidedOut,
    DecisionIn,
    GateOfflineListOut,
    GateOut,
    PassKeysOut,
    QueueItemOut,
    RejectIn,
    ScanBatchIn,
    ScanBatchOut,
    ScanIn,
    ScanOut,
)
from fangyi.people.identity import mask_document, mask_phone

router = Router(tags=["passes"])


@router.post(
    "/passes/applications", auth=None, response={201: ApplicationOut, 429: dict, 422: dict}
)
def application_create(request, payload: ApplicationIn):
    """Apply for a pass (no login; rate limited per client address)."""
    if not ratelimit.apply_allowed(request):
        return Status(429, error_body("rate_limited", str(ratelimit.ERR_RATE_LIMITED)))
    submitted = services.application_submit(values=payload.dict())
    pass_obj = submitted.pass_obj
    return Status(
        201,
        {
            "id": submitted.application.pk,
            "status": submitted.application.status,
            "pass_url": request.build_absolute_uri(
                reverse("passes:pass", args=[pass_obj.link_key])
            ),
            "code": tokens.format_code(pass_obj.code),
        },
    )


@router.get("/passes/applications", response=list[QueueItemOut])
def application_queue(request, limit: int = 100):
    """Pending applications in the caller's scope (the verification queue), each with how
    it compares with the person file of its document (`file`; only whether one exists
    when it lies outside the caller's area)."""
    apps = list(
        selectors.applications_for(request.user)
        .filter(status="pending")
        .order_by("id")[: max(1, min(limit, 500))]
    )
    matches = selectors.application_matches(request.user, apps)
    return [
        {
            "id": a.pk,
            "name": a.name,
            "doc_number_masked": mask_document(a.doc_number),
            "phone_masked": mask_phone(a.phone),
            "dwelling_id": a.dwelling_id,
            "created_at": a.created_at,
            "file": _file_match(matches[a.pk]),
        }
        for a in apps
    ]


def _file_match(match: selectors.FileMatch) -> dict:
    return {
        "found": match.found,
        "in_area": match.in_area,
        "person_id": match.person_id,
        "verified": match.verified,
        "name": match.name,
        "phone": match.phone,
        "phone_missing": match.phone_missing,
        "dwelling": match.dwelling,
        "approvable": match.approvable,
    }


def _decided(app) -> dict:
    return {
        "id": app.pk,
        "status": app.status,
        "person_id": app.person_id,
        "reject_reason": app.reject_reason,
    }


@router.post("/passes/applications/{app_id}/approve", response=DecidedOut)
def application_approve(request, app_id: int):
    app = selectors.application_get(request.user, app_id)
    return _decided(services.application_approve(by=request.user, application=app))


@router.post("/passes/applications/{app_id}/reject", response=DecidedOut)
def application_reject(request, app_id: int, payload: RejectIn):
    app = selectors.application_get(request.user, app_id)
    return _decided(
        services.application_reject(by=request.user, application=app, reason=payload.reason)
    )


@router.get("/gates", response=list[GateOut])
def gate_list(request):
    """Gates where the caller may check."""
    gates = selectors.gates_for(request.user).select_related("zone").order_by("zone", "name")
    return [
        {"id": g.pk, "name": g.name, "zone_id": g.zone_id, "zone_name": g.zone.name}
        for g in gates[:1000]
    ]


@router.post("/scans", response={201: ScanOut, 422: dict})
def scan_create(request, payload: ScanIn):
    """A check by a device at a gate: token or code, temperature, optional decision.
    A pass that does not admit answers 422 with the refusal's code (forged, altered,
    unknown, mistyped, revoked, replaced, rejected, expired, other_district).

    Requests with a bearer token are answered by the scan fast path
    (fangyi.passes.fastpath) before they reach here, with the same answers."""
    principal = scanning.principal_of(request.user)
    if principal is None:  # authenticated by the router: a logged-in, active user
        raise Http404
    try:
        result = scanning.scan(
            principal=principal,
            gate_id=payload.gate_id,
            token=payload.token,
            code=payload.code,
            temperature=payload.temperature,
            decision=payload.decision,
            method="device",
        )
    except tokens.PassRefused as refusal:
        return Status(422, error_body(refusal.code, str(refusal.message)))
    return Status(201, scanning.scan_body(result))


@router.post("/scans/{check_id}/decision", response=dict)
def scan_decide(request, check_id: int, payload: DecisionIn):
    check = selectors.checks_for_guard(request.user).filter(pk=check_id).first()
    if check is None:
        raise Http404
    check = services.gate_check_decide(by=request.user, check=check, decision=payload.decision)
    return {"check_id": check.pk, "decision": check.decision}


@router.get("/gate-board", response=list[BoardRowOut])
def gate_board(request, day: dt.date | None = None, zone_id: int | None = None):
    """Checks per hour per gate on a day, for the zones in the caller's scope."""
    rows = selectors.gate_board(
        request.user,
        day=day or timezone.localdate(),
        zone_ids=[zone_id] if zone_id is not None else None,
    )
    return [
        {
            "zone_id": r["zone_id"],
            "zone_name": r["zone__name"],
            "gate_id": r["gate_id"],
            "gate_name": r["gate__name"],
            "hour": r["hour"],
            "checks": r["checks"],
            "reds": r["reds"],
            "yellows": r["yellows"],
            "refused": r["refused"],
            "fevers": r["fevers"],
            "reconciliations": r["reconciliations"],
        }
        for r in rows
    ]


# --- offline (docs/offline.md) -------------------------------------------------------------


@router.get("/passes/keys", auth=None, response=PassKeysOut)
def pass_keys(request):
    """The public keys that verify signed pass tokens (P2), current and not yet retired,
    of every district: no personal data, no login."""
    keys.keys_ensure()
    return {"keys": keys.public_keys(), "clock_skew_seconds": keys.CLOCK_SKEW_SECONDS}


@router.get("/gates/{gate_id}/offline-list", response=GateOfflineListOut)
def gate_offline_list(request, gate_id: int):
    """What a gate's phone keeps to check passes offline: its district's keys, the policy
    values it needs and the zone's passes that are not green (id, version, colour,
    reason code; no personal data). For the staff who may check at the gate and the staff
    whose area holds its zone."""
    return offline.offline_list(user=request.user, gate_id=gate_id)


@router.post("/scans/batch", response=ScanBatchOut)
def scan_batch(request, payload: ScanBatchIn):
    """Checks a gate's phone made offline, sent when back online (at most 500): each is
    recorded as at its time, once per client id; a check the server colours otherwise
    than the phone did is marked and alerted (`differs`)."""
    principal = scanning.principal_of(request.user)
    if principal is None:
        raise Http404
    checks = [offline.OfflineCheck(**check.dict()) for check in payload.checks]
    return {
        "results": offline.scan_batch(principal=principal, gate_id=payload.gate_id, checks=checks)
    }
