from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status

from fangyi.people.selectors import person_get
from fangyi.quarantine import selectors, services
from fangyi.quarantine.choices import ACTIVE_STATES, CheckChannel
from fangyi.quarantine.models import Facility, NucleicTest, QuarantineCase
from fangyi.quarantine.schemas import (
    AlertOut,
    CaseDetailOut,
    CasePage,
    CheckIn,
    CheckOut,
    FacilityOut,
    IntakeIn,
    ResultIn,
    TestIn,
    TestOut,
    TransitionIn,
)

router = Router(tags=["quarantine"])
MAX_LIMIT = 500


def _case(case: QuarantineCase, detail: bool = False) -> dict:
    days = selectors.case_days(case)
    data = {
        "id": case.pk,
        "case_no": case.case_no,
        "person_id": case.person_id,
        "person_name": case.person.name,
        "zone_id": case.zone_id,
        "reason": case.reason,
        "origin": case.origin,
        "arrived_at": case.arrived_at,
        "start_date": case.start_date,
        "state": case.state,
        "policy": case.policy.code,
        "extension_days": case.extension_days,
        "released_on": case.released_on,
        "days": days.__dict__,
    }
    if detail:
        data["stages"] = [
            {
                "kind": s.kind,
                "facility": s.facility.name if s.facility_id else None,
                "started_at": s.started_at,
                "ended_at": s.ended_at,
            }
            for s in case.stages.select_related("facility")
        ]
        data["tests"] = list(case.tests.values("id", "sampled_on", "lab", "result"))
    return data


def _facility(pk: int | None) -> Facility | None:
    if pk is None:
        return None
    facility = Facility.objects.filter(pk=pk, active=True).first()
    if facility is None:
        raise ValidationError({"facility_id": [_("No such facility.")]})
    return facility


@router.get("/cases", response=CasePage)
def case_list(request, state: str | None = None, limit: int = 50, offset: int = 0):
    """Cases in the caller's scope; `state=open` for all active ones."""
    cases = selectors.cases_for(request.user).select_related("person", "policy")
    if state == "open":
        cases = cases.filter(state__in=ACTIVE_STATES)
    elif state:
        cases = cases.filter(state=state)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    items = [_case(c) for c in cases.order_by("-start_date", "-id")[offset : offset + limit]]
    return {"count": cases.count(), "limit": limit, "offset": offset, "items": items}


@router.get("/cases/{case_id}", response=CaseDetailOut)
def case_detail(request, case_id: int):
    return _case(selectors.case_get(request.user, case_id), detail=True)


@router.post("/cases", response={201: CaseDetailOut})
def case_intake(request, payload: IntakeIn):
    """Open a case for a person in the caller's scope."""
    person = person_get(request.user, payload.person_id)
    case = services.case_intake(
        by=request.user,
        person=person,
        reason=payload.reason,
        arrived_at=payload.arrived_at,
        first_state=payload.first_state,
        facility=_facility(payload.facility_id),
        origin=payload.origin,
        note=payload.note,
    )
    return Status(201, _case(selectors.case_get(request.user, case.pk), detail=True))


@router.post("/cases/{case_id}/transitions", response=CaseDetailOut)
def case_transition(request, case_id: int, payload: TransitionIn):
    """move_home, observation, hospital, release, extend or transfer_out."""
    case = selectors.case_get(request.user, case_id)
    user, note = request.user, payload.note
    if payload.action == "move_home":
        services.case_move_home(by=user, case=case, note=note)
    elif payload.action == "observation":
        facility = _facility(payload.facility_id)
        services.case_send_to_observation(by=user, case=case, facility=facility, note=note)
    elif payload.action == "hospital":
        facility = _facility(payload.facility_id)
        services.case_transfer_to_hospital(by=user, case=case, facility=facility, note=note)
    elif payload.action == "release":
        services.case_release(by=user, case=case, kind=payload.kind, note=note)
    elif payload.action == "extend":
        services.case_extend(by=user, case=case, days=payload.days or 0, note=note)
    elif payload.action == "transfer_out":
        services.case_transfer_out(by=user, case=case, note=note)
    else:
        raise ValidationError({"action": [_("Unknown action.")]})
    return _case(selectors.case_get(request.user, case_id), detail=True)


@router.post("/cases/{case_id}/tests", response={201: TestOut})
def test_create(request, case_id: int, payload: TestIn):
    case = selectors.case_get(request.user, case_id)
    test = services.test_record(
        by=request.user, case=case, sampled_on=payload.sampled_on, lab=payload.lab
    )
    return Status(201, test)


@router.post("/tests/{test_id}/result", response=TestOut)
def test_result(request, test_id: int, payload: ResultIn):
    test = get_object_or_404(
        NucleicTest, pk=test_id, case__in=selectors.cases_for(request.user).values("pk")
    )
    return services.test_set_result(by=request.user, test=test, result=payload.result)


@router.get("/cases/{case_id}/checks", response=list[CheckOut])
def check_list(request, case_id: int):
    return list(selectors.case_get(request.user, case_id).checks.order_by("at"))


@router.post("/cases/{case_id}/checks", response={201: CheckOut})
def check_create(request, case_id: int, payload: CheckIn):
    case = selectors.case_get(request.user, case_id)
    check = services.health_check_record(
        case=case,
        temperature=payload.temperature,
        symptoms=payload.symptoms,
        channel=CheckChannel.STAFF,
        by=request.user,
    )
    return Status(201, check)


@router.get("/alerts", response=list[AlertOut])
def alert_list(request, status: str = "open"):
    services.alerts_sync_missed(
        cases=selectors.cases_for(request.user).filter(state__in=ACTIVE_STATES)
    )
    alerts = selectors.alerts_for(request.user)
    if status != "all":
        alerts = alerts.filter(status=status)
    return list(alerts.order_by("date", "id")[:MAX_LIMIT])


@router.get("/facilities", response=list[FacilityOut])
def facility_list(request):
    occupancy = selectors.facility_occupancy()
    return [
        {
            "id": f.pk,
            "kind": f.kind,
            "name": f.name,
            "address": f.address,
            "capacity": f.capacity,
            "occupied": occupancy.get(f.pk, 0),
        }
        for f in selectors.facilities_visible(request.user)
    ]
