"""Reads for passes and gate checks. Lists take the user and are scoped; the snapshot of
a person's state for the colour rules is read by the scan path after the gate check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.http import Http404
from django.utils import timezone

from fangyi.core.policy import PolicyValues
from fangyi.duty.scope import scope_for
from fangyi.passes.colour import AT_FACILITY_STAGES, RED_HEALTH, PersonState
from fangyi.passes.models import GateCheck, GateFeverAlert, GatePost, Pass, PassApplication
from fangyi.people.models import Person
from fangyi.places.models import Gate, Zone
from fangyi.quarantine.choices import ACTIVE_STATES, FacilityKind
from fangyi.quarantine.models import Facility, HealthCheck, QuarantineCase, Stage

SHANGHAI = ZoneInfo("Asia/Shanghai")


def mask_name(name: str) -> str:
    """`张*明`, `李*`: the first character, and the last of names of three or more."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- gates -----------------------------------------------------------------------------


def gates_for(user) -> QuerySet[Gate]:
    """Gates where the user may check: gate posts, and every gate of a zone they are
    assigned to. Operators may check anywhere."""
    if not user.is_authenticated:
        return Gate.objects.none()
    if user.is_superuser:
        return Gate.objects.all()
    zone_ids = sorted(scope_for(user).ids.get("zone", ()))
    posted = Q(posts__staff__user=user, posts__staff__active=True)
    return Gate.objects.filter(posted | Q(zone_id__in=zone_ids)).distinct()


def gate_get(user, pk: int) -> Gate:
    """A gate the user may check at, else 404. The scan path: one query for the gate, the
    user's scope (cached per request), and a gate post lookup only when the zone is not
    the user's."""
    gate = Gate.objects.select_related("zone", "zone__district").filter(pk=pk).first()
    if gate is None or not user.is_authenticated:
        raise Http404
    if user.is_superuser or gate.zone_id in scope_for(user).ids.get("zone", ()):
        return gate
    posted = GatePost.objects.filter(gate=gate, staff__user=user, staff__active=True).exists()
    if not posted:
        raise Http404
    return gate


def zones_visible(user) -> QuerySet[Zone]:
    """Zones in the user's place scope (zone level and up); grid workers of a building
    see none."""
    if not user.is_authenticated:
        return Zone.objects.none()
    return Zone.objects.filter(scope_for(user).place_q("zone"))


# --- applications and passes ----------------------------------------------------------


def applications_for(user) -> QuerySet[PassApplication]:
    """Applications for dwellings in the user's scope (the verification queue)."""
    if not user.is_authenticated:
        return PassApplication.objects.none()
    return PassApplication.objects.filter(scope_for(user).person_q())


def application_get(user, pk: int) -> PassApplication:
    app = applications_for(user).select_related("dwelling__building", "zone").filter(pk=pk).first()
    if app is None:
        raise Http404
    return app


def pass_for_link(link_key: str) -> Pass:
    """The pass of a secret link (no login): only this pass, nobody else's."""
    found = (
        Pass.objects.select_related("person", "application", "district", "replaced_by")
        .filter(link_key=link_key)
        .first()
    )
    if found is None:
        raise Http404
    return found


def passes_of(user, person: Person) -> QuerySet[Pass]:
    """Passes of a person the caller may see (the caller passes a scoped person)."""
    if not scope_for(user).covers("person", person):
        return Pass.objects.none()
    return Pass.objects.filter(person=person).order_by("-issued_at", "-id")


# --- the state the colour rules read ----------------------------------------------------


def _normal_checkin_days(case_id: int, today: dt.date, values: PolicyValues, most: int) -> int:
    """Consecutive days up to today with self/staff checks, all below the fever threshold
    and without symptoms. Today counts only once it has a check."""
    since = today - dt.timedelta(days=most + 1)
    days: dict[dt.date, bool] = {}
    for date, temperature, symptoms in HealthCheck.objects.filter(
        case_id=case_id, date__gte=since
    ).values_list("date", "temperature", "symptoms"):
        normal = temperature < values.fever_threshold and not symptoms
        days[date] = days.get(date, True) and normal
    count = 0
    day = today if today in days else today - dt.timedelta(days=1)
    while days.get(day):
        count += 1
        day -= dt.timedelta(days=1)
    return count


def designated_observation_point(person: Person | None) -> Facility | None:
    """Where a red is sent when not already at a facility: an active observation point of
    the person's district, one of their own community first."""
    points = Facility.objects.filter(kind=FacilityKind.OBSERVATION, active=True)
    if person is not None and person.district_id:
        points = points.filter(district_id=person.district_id)
    community = person.community_id if person is not None else None
    candidates = list(points.order_by("name", "id")[:20])
    for point in candidates:
        if community and point.community_id == community:
            return point
    return candidates[0] if candidates else None


def person_state(
    person: Person | None,
    *,
    values: PolicyValues,
    today: dt.date,
    temperature: Decimal | None = None,
) -> PersonState:
    """The snapshot the colour rules need, in two to five indexed queries."""
    if person is None:
        return PersonState(linked=False, verified=False, temperature=temperature)
    condition = Q(state__in=ACTIVE_STATES)
    recent_return = (
        person.travel_status == "returned"
        and person.return_date is not None
        and (today - person.return_date).days < values.pass_returnee_days
    )
    if recent_return:
        condition |= Q(start_date__gte=person.return_date)
    cases = list(QuarantineCase.objects.filter(condition, person_id=person.pk).order_by("-id"))
    open_case = next((c for c in cases if c.state in ACTIVE_STATES), None)
    stage_kind = reason = None
    facility = None
    checkin_days = 0
    if open_case is not None:
        stage = (
            Stage.objects.filter(case_id=open_case.pk, ended_at__isnull=True)
            .select_related("facility")
            .order_by("-started_at", "-id")
            .first()
        )
        stage_kind = stage.kind if stage is not None else open_case.state
        facility = stage.facility if stage is not None else None
        reason = open_case.reason
        most = max(values.pass_red_green_after_days, values.pass_yellow_green_after_days)
        if most:
            checkin_days = _normal_checkin_days(open_case.pk, today, values, most)
    returnee_day = None
    if recent_return and not cases and person.return_date is not None:
        returnee_day = (today - person.return_date).days + 1
    fever_pending = GateFeverAlert.objects.filter(person_id=person.pk, status="open").exists()
    name = address = ""
    might_be_red = person.health_status in RED_HEALTH or open_case is not None
    if facility is not None and stage_kind in AT_FACILITY_STAGES:
        name, address = facility.name, facility.address
    elif might_be_red:
        point = designated_observation_point(person)
        if point is not None:
            name, address = point.name, point.address
    return PersonState(
        linked=True,
        verified=person.verified,
        health_status=person.health_status,
        case_stage=stage_kind,
        case_reason=reason,
        normal_checkin_days=checkin_days,
        returnee_day=returnee_day,
        fever_pending=fever_pending,
        temperature=temperature,
        observation_name=name,
        observation_address=address,
    )


# --- checks, alerts, the board -------------------------------------------------------


def checks_for(user) -> QuerySet[GateCheck]:
    """Gate checks at the zones in the user's scope."""
    if not user.is_authenticated:
        return GateCheck.objects.none()
    if user.is_superuser:
        return GateCheck.objects.all()
    return GateCheck.objects.filter(zone_id__in=zones_visible(user).values("pk"))


def fever_alerts_for(user) -> QuerySet[GateFeverAlert]:
    """Gate fever alerts of the zones in the user's scope (the zone's doctor and staff)."""
    if not user.is_authenticated:
        return GateFeverAlert.objects.none()
    if user.is_superuser:
        return GateFeverAlert.objects.all()
    return GateFeverAlert.objects.filter(zone_id__in=zones_visible(user).values("pk"))


def fever_alert_get(user, pk: int) -> GateFeverAlert:
    alert = fever_alerts_for(user).filter(pk=pk).first()
    if alert is None:
        raise Http404
    return alert


def gate_board(user, *, day: dt.date, zone_ids: list[int] | None = None) -> list[dict]:
    """Checks per hour per gate on a day (Asia/Shanghai), with reds, yellows and fevers,
    for the zones in the user's scope (or the given ones among them). One query."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    checks = checks_for(user).filter(at__gte=start, at__lt=start + dt.timedelta(days=1))
    if zone_ids is not None:
        checks = checks.filter(zone_id__in=zone_ids)
    rows = (
        checks.annotate(hour=TruncHour("at", tzinfo=SHANGHAI))
        .values("zone_id", "zone__name", "gate_id", "gate__name", "hour")
        .annotate(
            checks=Count("id"),
            reds=Count("id", filter=Q(colour="red")),
            yellows=Count("id", filter=Q(colour="yellow")),
            fevers=Count("id", filter=Q(fever=True)),
        )
        .order_by("zone__name", "gate__name", "hour")
    )
    return [{**row, "hour": timezone.localtime(row["hour"], SHANGHAI).hour} for row in rows]


def checks_for_guard(user) -> QuerySet[GateCheck]:
    """Checks the user made, at gates they may still check at."""
    if not user.is_authenticated:
        return GateCheck.objects.none()
    return GateCheck.objects.filter(guard=user, gate__in=gates_for(user).values("pk"))
