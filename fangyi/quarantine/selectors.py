"""Reads of quarantine data, scoped: a user sees the cases of the people they may see,
plus the cases currently at a facility where they are on duty (a station doctor sees
everyone at the station, whichever zone they live in)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from fangyi.core.policy import values_of
from fangyi.duty.scope import is_places_only, keeps_any_files, keeps_files, scope_for
from fangyi.health.models import Alert
from fangyi.people.choices import IN_QUARANTINE_STATES, EpidemicState
from fangyi.people.selectors import counted, state_counts, zone_state_counts
from fangyi.places.models import Zone
from fangyi.quarantine import rules
from fangyi.quarantine.choices import (
    ACTIVE_STATES,
    CLOSED_STATES,
    AlertStatus,
    CaseReason,
    CaseState,
    FacilityKind,
    TestResult,
)
from fangyi.quarantine.models import Facility, NucleicTest, QuarantineCase, Stage


def _facility_ids(user) -> list[int]:
    staff = getattr(user, "staff", None) if user.is_authenticated else None
    if staff is None:
        return []
    return list(staff.facilities.values_list("pk", flat=True))


def _person_scope_q(user, prefix: str) -> Q:
    """The user's people scope applied through a relation (`person__` …)."""
    scope = scope_for(user)
    if scope.everything:
        return Q()
    inner = scope.person_q()
    return Q(**{f"{prefix}id__in": _person_ids_subquery(inner)})


def _person_ids_subquery(person_q: Q):
    from fangyi.people.models import Person

    return Person.objects.filter(person_q).values("id")


def cases_for(user) -> QuerySet[QuarantineCase]:
    """Cases of people in the user's scope, and open cases at the user's facilities."""
    if not user.is_authenticated:
        return QuarantineCase.objects.none()
    scope = scope_for(user)
    if scope.everything:
        return QuarantineCase.objects.all()
    condition = _person_scope_q(user, "person__")
    facilities = _facility_ids(user)
    if facilities:
        condition |= Q(
            pk__in=Stage.objects.filter(facility_id__in=facilities, ended_at__isnull=True).values(
                "case_id"
            )
        )
    return QuarantineCase.objects.filter(condition)


def cases_readable(user) -> QuerySet[QuarantineCase]:
    """`cases_for`, and the closed cases the user took in or that were at a facility where
    it is on duty: a released or transferred case stays reachable to them for its
    documents (the release certificate, the notice) and its history, though the person
    is no longer at their station."""
    if not user.is_authenticated:
        return QuarantineCase.objects.none()
    if scope_for(user).everything:
        return QuarantineCase.objects.all()
    condition = Q(pk__in=cases_for(user).values("pk"))
    if not is_places_only(user):
        closed = Q(created_by=user)
        facilities = _facility_ids(user)
        if facilities:
            closed |= Q(pk__in=Stage.objects.filter(facility_id__in=facilities).values("case_id"))
        condition |= Q(closed, state__in=CLOSED_STATES)
    return QuarantineCase.objects.filter(condition)


def case_get(user, pk: int) -> QuarantineCase:
    case = (
        cases_readable(user)
        .select_related("person", "person__zone", "person__building", "person__dwelling", "policy")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def case_writable(user, case: QuarantineCase) -> bool:
    """Whether the user may act on a case (transitions, tests, checks, alerts, its link):
    the system (None); staff keeping the person's file; staff on duty at the facility
    where the person is now. Never a gate guard or a volunteer, who may read the cases
    of the people they serve."""
    if user is None:
        return True
    if not user.is_authenticated or is_places_only(user):
        return False
    if keeps_files(user, "person", case.person):
        return True
    facilities = _facility_ids(user)
    return (
        bool(facilities)
        and case.stages.filter(ended_at__isnull=True, facility_id__in=facilities).exists()
    )


def may_intake(user) -> bool:
    """Whether the user may open cases at all: operators, staff keeping person files,
    staff on duty at a facility (not gate guards and volunteers)."""
    if user is None:
        return True
    if not user.is_authenticated or is_places_only(user):
        return False
    return keeps_any_files(user) or bool(_facility_ids(user))


def intake_allowed_for(user, person, facility: Facility | None) -> bool:
    """Whether the user may open a case for this person: it keeps the file, or it is on
    duty at the facility the person arrives at."""
    if user is None:
        return True
    if not may_intake(user):
        return False
    return keeps_files(user, "person", person) or (
        facility is not None and facility.pk in _facility_ids(user)
    )


def alerts_for(user) -> QuerySet[Alert]:
    return Alert.objects.filter(case__in=cases_for(user).values("pk"))


def facilities_visible(user) -> QuerySet[Facility]:
    """Facilities are not personal data: any staff member may see the capacity board."""
    if not user.is_authenticated:
        return Facility.objects.none()
    return Facility.objects.filter(active=True)


# The kinds a case may start at (services.FIRST_STAGES: a station, or an observation point
# or hotel for the observation stage), in the order the intake form lists them. A hospital
# is a later transfer, never a first stage, so the intake offers none.
INTAKE_KINDS = (FacilityKind.STATION, FacilityKind.OBSERVATION, FacilityKind.HOTEL)


@dataclass(frozen=True)
class IntakeFacilities:
    """The intake form's facility list: groups by kind, the user's own station first, and
    the facility chosen by default (None: nothing chosen)."""

    groups: list[tuple[str, list[Facility]]]
    default: Facility | None

    @property
    def facilities(self) -> list[Facility]:
        return [f for _label, group in self.groups for f in group]


def own_station(user) -> Facility | None:
    """The user's own health station: the station where its staff record is on duty, else
    the station of its community (of the community, zone or building it is assigned to)."""
    staff = getattr(user, "staff", None) if user is not None and user.is_authenticated else None
    if staff is None or not staff.active:
        return None
    # Of several (rare), the oldest: the same on every database, whatever its collation.
    stations = Facility.objects.filter(active=True, kind=FacilityKind.STATION).order_by("pk")
    on_duty = stations.filter(staff=staff).first()
    if on_duty is not None:
        return on_duty
    communities = {
        community
        for row in staff.assignments.values_list(
            "community_id", "zone__community_id", "building__community_id"
        )
        for community in row
        if community is not None
    }
    return stations.filter(community_id__in=communities).first() if communities else None


def intake_facilities(user) -> IntakeFacilities:
    """The facilities an intake may name, grouped by kind (stations, observation points,
    hotels), each group by name; the user's own station (`own_station`) first in its
    group and chosen by default."""
    own = own_station(user)
    rows = Facility.objects.filter(active=True, kind__in=INTAKE_KINDS)
    by_kind: dict[str, list[Facility]] = {kind: [] for kind in INTAKE_KINDS}
    # Sorted here, not by the database, whose collation of Chinese names differs.
    for facility in sorted(rows, key=lambda f: (f.name, f.pk)):
        by_kind[facility.kind].append(facility)
    if own is not None:
        stations = by_kind[FacilityKind.STATION]
        stations.sort(key=lambda f: f.pk != own.pk)  # stable: the others keep their order
    groups = [(str(FacilityKind(kind).label), by_kind[kind]) for kind in INTAKE_KINDS]
    return IntakeFacilities(groups=[g for g in groups if g[1]], default=own)


@dataclass(frozen=True)
class CaseDays:
    """What the case page says about dates today."""

    today: dt.date
    day: int
    total: int
    release_date: dt.date
    in_quarantine: bool
    due_for_release: bool
    station_day: int | None
    station_days_left: int | None
    earliest_home: dt.date | None


def case_days(case: QuarantineCase, today: dt.date | None = None) -> CaseDays:
    today = today or timezone.localdate()
    values = values_of(case.policy)
    release = rules.release_date(case.start_date, values, case.extension_days)
    active = case.state in ACTIVE_STATES
    at_station = case.state == CaseState.STATION
    window = rules.station_window(case.start_date, values)
    return CaseDays(
        today=today,
        day=rules.day_number(case.start_date, today),
        total=rules.total_days(values, case.extension_days),
        release_date=release,
        in_quarantine=active and case.start_date <= today,
        due_for_release=active and today >= release,
        station_day=rules.day_number(case.start_date, today) if at_station else None,
        station_days_left=rules.station_days_left(case.start_date, today, values)
        if at_station
        else None,
        earliest_home=window.earliest_home if at_station else None,
    )


def open_case_of(person) -> QuarantineCase | None:
    return (
        QuarantineCase.objects.filter(person=person, state__in=ACTIVE_STATES)
        .select_related("policy")
        .first()
    )


def in_quarantine_counts(
    level: str, place_id: int, group_by: str, *, unplaced: bool = False
) -> dict[Any, int]:
    """People under quarantine or isolation per `group_by` (building, zone, …) inside a
    place: those whose one epidemic state (people.state) is one of IN_QUARANTINE_STATES,
    grouped by the person's current place. With `unplaced`, people with no `group_by`
    place (e.g. no dwelling) are counted under None, so that the counts add up to the
    place's total."""
    return {
        key: n
        for key, states in state_counts(level, place_id, group_by, unplaced=unplaced).items()
        if (n := counted(states, IN_QUARANTINE_STATES))
    }


def _contacts_in_quarantine(where: Q, group_by: str):
    """(place id, people) in quarantine as a close contact (an open case of that
    reason), per `group_by` among the cases `where` selects: the second half of the
    close contacts under observation, beside those in the state "contact"."""
    return (
        QuarantineCase.objects.filter(
            where, state__in=ACTIVE_STATES, reason=CaseReason.CLOSE_CONTACT
        )
        .values_list(group_by)
        .annotate(n=Count("person_id", distinct=True))
        .order_by()
    )


def quarantine_figures(
    level: str, place_id: int, group_by: str, *, unplaced: bool = False
) -> dict[Any, tuple[int, int]]:
    """Per `group_by` place inside a place: (people under quarantine or isolation, close
    contacts under observation), two queries. A close contact under observation is a
    person whose state is "contact" (exposed, not yet taken in) or who is in quarantine
    as a contact (their open case's reason); the two are apart, since the state "contact"
    means no open case. Those in quarantine are in the first figure too. With `unplaced`,
    people with no `group_by` place are counted under None."""
    figures: dict[Any, list[int]] = {}
    for key, states in state_counts(level, place_id, group_by, unplaced=unplaced).items():
        figures[key] = [
            counted(states, IN_QUARANTINE_STATES),
            states.get(EpidemicState.CONTACT, 0),
        ]
    for key, n in _contacts_in_quarantine(
        Q(**{f"person__{level}_id": place_id}), f"person__{group_by}_id"
    ):
        if key is not None or unplaced:
            figures.setdefault(key, [0, 0])[1] += n
    return {key: (q, c) for key, (q, c) in figures.items() if q or c}


def zone_figures(zones: QuerySet[Zone]) -> dict[int, tuple[int, int, int]]:
    """Per zone of `zones`: (residents, people under quarantine or isolation, close
    contacts under observation), counted as `quarantine_figures` counts them, in two
    queries whatever the number of districts the zones span."""
    figures: dict[int, list[int]] = {}
    for key, states in zone_state_counts(zones).items():
        figures[key] = [
            sum(states.values()),
            counted(states, IN_QUARANTINE_STATES),
            states.get(EpidemicState.CONTACT, 0),
        ]
    for key, n in _contacts_in_quarantine(
        Q(person__zone_id__in=zones.values("pk")), "person__zone_id"
    ):
        figures.setdefault(key, [0, 0, 0])[2] += n
    return {key: (r, q, c) for key, (r, q, c) in figures.items()}


def facility_occupancy() -> dict[int, int]:
    rows = (
        Stage.objects.filter(ended_at__isnull=True, facility__isnull=False)
        .values_list("facility_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


# Worklists: each returns a queryset of cases or alerts already scoped to the user.


def worklist_must_move(user) -> QuerySet[QuarantineCase]:
    """Open cases with a positive test that are still at a station or at home: they must
    move to a hospital or an observation point, and come first on the doctor's worklist
    and home page until they do. The longest waiting first."""
    return (
        cases_for(user)
        .filter(
            state__in=(CaseState.STATION, CaseState.HOME),
            tests__result=TestResult.POSITIVE,
        )
        .annotate(positive_at=Min("tests__result_at"))
        .select_related("person", "person__zone", "policy")
        .order_by("positive_at", "pk")
    )


def worklist_due_release(user, today: dt.date) -> list[QuarantineCase]:
    """Open cases whose release date is today or past (needs the derived date, so in Python
    over the open cases of the scope; a district has thousands of open cases, not millions)."""
    cases = (
        cases_for(user)
        .filter(state__in=(CaseState.STATION, CaseState.HOME, CaseState.OBSERVATION))
        .select_related("person", "person__zone", "policy")
    )
    due = []
    for case in cases:
        values = values_of(case.policy)
        if today >= rules.release_date(case.start_date, values, case.extension_days):
            due.append(case)
    due.sort(key=lambda c: (c.start_date, c.pk))
    return due


def worklist_alerts(user, kind: str) -> QuerySet[Alert]:
    return (
        alerts_for(user)
        .filter(kind=kind, status__in=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED))
        .select_related("case", "case__person", "case__person__zone", "case__policy", "facility")
        .order_by("date", "slot", "id")
    )


def worklist_tests_pending(user) -> QuerySet[NucleicTest]:
    return (
        NucleicTest.objects.filter(result=TestResult.PENDING, case__in=cases_for(user).values("pk"))
        .select_related("case", "case__person", "case__person__zone", "case__policy")
        .order_by("sampled_on", "id")
    )


def worklist_station_arrivals(user, today: dt.date) -> QuerySet[QuarantineCase]:
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    end = start + dt.timedelta(days=1)
    return (
        cases_for(user)
        .filter(stages__kind="station", stages__started_at__gte=start, stages__started_at__lt=end)
        .select_related("person", "person__zone", "policy")
        .distinct()
        .order_by("arrived_at")
    )


def person_cases(person) -> list[tuple[QuarantineCase, CaseDays]]:
    """A person's quarantine cases, newest first, with today's derived dates."""
    today = timezone.localdate()
    cases = QuarantineCase.objects.filter(person=person).select_related("policy")
    return [(case, case_days(case, today)) for case in cases]


# Recently closed: how far back the worklist shows released and transferred cases.
RECENTLY_CLOSED_DAYS = 14


def worklist_recently_closed(user, today: dt.date) -> list[QuarantineCase]:
    """Cases released or transferred in the last RECENTLY_CLOSED_DAYS days that the user
    may read (`cases_readable`: its own intakes and its facilities' included), the latest
    first, each with `closed_at` (when its last stage ended)."""
    since = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=RECENTLY_CLOSED_DAYS - 1), dt.time.min)
    )
    return list(
        cases_readable(user)
        .filter(state__in=CLOSED_STATES)
        .annotate(closed_at=Max("stages__ended_at"))
        .filter(closed_at__gte=since)
        .select_related("person", "person__zone", "policy")
        .order_by("-closed_at", "-id")
    )


# --- intake: where a new file may be registered ------------------------------------------


def _facility_districts(user) -> list[int]:
    staff = getattr(user, "staff", None) if user.is_authenticated else None
    if staff is None:
        return []
    return sorted(set(staff.facilities.filter(active=True).values_list("district_id", flat=True)))


def _registrable_buildings_q(user) -> Q | None:
    """The buildings in which the user may register a new file at intake (None: none):
    those whose files it keeps, and every building of the district of a facility where
    it is on duty (a station takes in the district's arrivals)."""
    if is_places_only(user):
        return None
    scope = scope_for(user)
    if scope.everything:
        return Q()
    condition = Q(pk__in=[])
    for level, ids in scope.people_ids.items():
        if ids:
            column = "pk" if level == "building" else f"{level}_id"
            condition |= Q(**{f"{column}__in": sorted(ids)})
    districts = _facility_districts(user)
    if districts:
        condition |= Q(district_id__in=districts)
    return condition


def may_register_in(user, dwelling) -> bool:
    """Whether the user may register a new file in this dwelling at intake: the system
    (None); who keeps the files of its building; staff on duty at a facility of its
    district."""
    if user is None:
        return True
    if not user.is_authenticated or is_places_only(user):
        return False
    building = dwelling.building
    return keeps_files(user, "building", building) or (
        building.district_id in _facility_districts(user)
    )


def may_register_outside(user) -> bool:
    """Whether the user may register a file without a dwelling (someone who does not live
    in the district): the system, operators, staff keeping files, staff on duty at a
    facility."""
    return may_intake(user)


# Zones a search lists at most (a district has some 233).
ZONE_MATCHES = 20


@dataclass
class IntakePlaces:
    """The place picker of the intake form: the zones matching what was typed, the
    buildings of the chosen zone and the rooms of the chosen building, all where the user
    may register a file; names only."""

    query: str
    zones: list[Any]
    zone_id: int | None
    buildings: list[Any]
    building_id: int | None
    rooms: list[Any]
    dwelling_id: int | None


def _int(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def intake_places(user, query: str = "", zone=None, building=None, dwelling=None) -> IntakePlaces:
    """What the intake's place picker offers (`IntakePlaces`), from what the user typed
    (part of a zone's name) and chose (zone, building, room ids, as sent)."""
    from fangyi.places.models import Building, Dwelling, Zone

    query = (query or "").strip()
    condition = _registrable_buildings_q(user)
    zone_id, building_id, dwelling_id = _int(zone), _int(building), _int(dwelling)
    if condition is None:
        return IntakePlaces(query, [], None, [], None, [], None)
    buildings_q = Building.objects.filter(condition)
    zones = Zone.objects.filter(pk__in=buildings_q.values("zone_id")).only("id", "name")
    if zone_id is not None and not zones.filter(pk=zone_id).exists():
        zone_id = None
    if query:
        matches = list(zones.filter(name__contains=query).order_by("name", "id")[:ZONE_MATCHES])
    else:
        matches = []
    if zone_id is not None and zone_id not in {z.pk for z in matches}:
        matches = [*zones.filter(pk=zone_id), *matches]
    if len(matches) == 1 and zone_id is None:
        zone_id = matches[0].pk
    buildings = (
        list(buildings_q.filter(zone_id=zone_id).only("id", "name").order_by("name", "id"))
        if zone_id is not None
        else []
    )
    if building_id not in {b.pk for b in buildings}:
        building_id = None
    rooms = (
        list(
            Dwelling.objects.filter(building_id=building_id)
            .only("id", "floor", "room")
            .order_by("floor", "room", "id")
        )
        if building_id is not None
        else []
    )
    if dwelling_id not in {d.pk for d in rooms}:
        dwelling_id = None
    return IntakePlaces(query, matches, zone_id, buildings, building_id, rooms, dwelling_id)


def intake_dwelling(user, pk) -> Any:
    """The dwelling with this id if the user may register a file in it, else None."""
    from fangyi.places.models import Dwelling

    pk = _int(pk)
    condition = _registrable_buildings_q(user)
    if pk is None or condition is None:
        return None
    from fangyi.places.models import Building

    return (
        Dwelling.objects.filter(pk=pk, building__in=Building.objects.filter(condition))
        .select_related("building", "zone")
        .first()
    )


def intake_person(user, pk) -> Any:
    """The person an intake page was opened for (?person=<id>): a file the user may see,
    or a returnee a gate sent to a station where the user is on duty (an open referral,
    quarantine.referrals); else None (the page then asks for the document)."""
    from fangyi.people.selectors import people_for
    from fangyi.quarantine.referrals import expected_at_station

    pk = _int(pk)
    if pk is None:
        return None
    person = people_for(user).filter(pk=pk).first()
    if person is None:
        referral = expected_at_station(user).filter(person_id=pk).first()
        person = referral.person if referral is not None else None
    return person
