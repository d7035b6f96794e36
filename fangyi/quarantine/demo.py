"""Demo quarantine data around today: facilities, and cases at every stage.

Cases are placed relative to `today` (arrivals in the last two weeks), so a new user
of `make run` finds people at a station, at home on day N of 14, due for release
today, at an observation point, with health checks, a few fevers and missed
check-ins. Everything goes through the services, so the data obeys the rules.
Deterministic for a given seed and day.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment
from fangyi.people.models import Person
from fangyi.places.models import Community, District
from fangyi.quarantine import rules, services
from fangyi.quarantine.choices import ACTIVE_STATES, CaseState, CheckChannel, FacilityKind
from fangyi.quarantine.models import Facility, HealthCheck, QuarantineCase

# Share of residents under quarantine (a Pingshan compound: 3 of 2,113).
CASE_RATE = 0.0015
MIN_CASES = 12


def _facilities(district: District, rng: random.Random) -> dict[str, list[Facility]]:
    made: dict[str, list[Facility]] = {
        "station": [],
        "observation": [],
        "hotel": [],
        "hospital": [],
    }
    for community in Community.objects.filter(district=district).order_by("code"):
        made["station"].append(
            Facility(
                district=district,
                community=community,
                kind=FacilityKind.STATION,
                name=f"{community.name}温馨驿站",
                address=f"{community.name}党群服务中心旁",
                capacity=rng.choice((20, 30, 40, 60)),
                phone=f"0755-8{rng.randrange(10**6, 10**7)}",
            )
        )
    for name, kind, capacity in (
        ("坪山区第一指定观察点", FacilityKind.OBSERVATION, 120),
        ("坪山区第二指定观察点", FacilityKind.OBSERVATION, 80),
        ("坑梓指定观察点", FacilityKind.OBSERVATION, 60),
        ("坪山隔离酒店（维也纳酒店）", FacilityKind.HOTEL, 150),
        ("坪山区人民医院", FacilityKind.HOSPITAL, 200),
    ):
        made[str(kind)].append(
            Facility(
                district=district,
                kind=kind,
                name=name,
                address=f"坪山区{name[:2]}大道",
                capacity=capacity,
            )
        )
    for group in made.values():
        Facility.objects.bulk_create(group)
    # Station doctors assigned to a community are on duty at its station.
    station_of = {f.community_id: f for f in made["station"]}
    doctors = Assignment.objects.filter(
        staff__role=Role.STATION_DOCTOR, community__isnull=False
    ).values_list("staff_id", "community_id")
    through = Facility.staff.through
    through.objects.bulk_create(
        [through(facility_id=station_of[c].pk, staff_id=s) for s, c in doctors if c in station_of]
    )
    return made


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _negative(case, day: dt.date) -> None:
    test = services.test_record(by=None, case=case, sampled_on=day, lab="坪山区疾控中心")
    services.test_set_result(by=None, test=test, result="negative", now=_at(day, 20))


@transaction.atomic
def seed_quarantine_demo(*, seed: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Facilities and quarantine cases for the demo district, around `now`."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(seed * 7919 + today.toordinal())
    # The demo's own district: the first made (a demo city's other districts follow).
    district = District.objects.order_by("pk").first()
    if district is None:
        return {}
    facilities = _facilities(district, rng)
    residents = Person.objects.filter(district=district).count()
    wanted = max(MIN_CASES, round(residents * CASE_RATE))
    candidates = list(
        Person.objects.filter(district=district, travel_status__in=("returned", "new_arrival"))
        .order_by("id")
        .values_list("id", flat=True)
    )
    chosen = sorted(rng.sample(candidates, min(wanted, len(candidates))))
    # The demo logins' first zone gets a few cases, so every login sees some.
    first_zone_people = list(
        Person.objects.filter(zone_id=Person.objects.order_by("id").values("zone_id")[:1])
        .order_by("id")
        .values_list("id", flat=True)[:400:50]
    )
    chosen = sorted(set(chosen) | set(first_zone_people))
    people = Person.objects.in_bulk(chosen)
    origins = (
        "湖北省武汉市",
        "湖北省孝感市",
        "湖南省长沙市",
        "广东省揭阳市",
        "江西省赣州市",
        "河南省信阳市",
        "广西壮族自治区玉林市",
    )
    stations = facilities["station"]
    observation = facilities["observation"] + facilities["hotel"]
    checks: list[HealthCheck] = []
    for index, pk in enumerate(chosen):
        person = people[pk]
        # Spread arrivals over the last 15 days; every 10th case is due for release today.
        days_ago = 14 if index % 10 == 0 else rng.randrange(0, 14)
        arrival_day = today - dt.timedelta(days=days_ago)
        hour = (
            rng.randrange(7, 23)
            if days_ago
            else rng.randrange(0, max(1, timezone.localtime(now).hour))
        )
        arrived_at = min(_at(arrival_day, hour, rng.randrange(60)), now)
        station = next((s for s in stations if s.community_id == person.community_id), stations[0])
        to_observation = index % 17 == 5
        first = CaseState.STATION if days_ago < 12 and not to_observation else CaseState.HOME
        if (
            first == CaseState.STATION
            and QuarantineCase.objects.filter(
                stages__facility=station, stages__ended_at__isnull=True
            ).count()
            >= station.capacity
        ):
            first = CaseState.HOME
        case = services.case_intake(
            by=None,
            person=person,
            reason="close_contact" if to_observation else "returned",
            arrived_at=arrived_at,
            first_state=first,
            facility=station if first == CaseState.STATION else None,
            origin=rng.choice(origins),
            now=now,
        )
        values = services.case_values(case)
        if first == CaseState.STATION and days_ago >= 1:
            _negative(case, arrival_day + dt.timedelta(days=1))
            station_days = rng.randint(values.station_days_min, values.station_days_max)
            home_day = arrival_day + dt.timedelta(days=station_days - 1)
            if home_day < today:
                services.case_move_home(by=None, case=case, now=_at(home_day, 15), note="核酸阴性")
        if to_observation:
            services.case_send_to_observation(
                by=None,
                case=case,
                facility=observation[index % len(observation)],
                note="密切接触者，转指定观察点",
                now=arrived_at + dt.timedelta(hours=3),
            )
        if days_ago >= 12:
            _negative(case, today - dt.timedelta(days=1))
        # Health checks for every slot that has ended, with a few missed and a few fevers.
        for date, slot in rules.slots_between(arrived_at, now, values):
            if rng.random() < 0.04:
                continue
            fever = rng.random() < 0.01
            temperature = Decimal(
                str(round(rng.uniform(37.4, 38.6) if fever else rng.uniform(36.0, 36.9), 1))
            )
            moment = rules.slot_deadline(date, slot, values) - dt.timedelta(
                minutes=rng.randrange(30, 200)
            )
            checks.append(
                HealthCheck(
                    case=case,
                    date=date,
                    slot=slot,
                    at=moment,
                    temperature=temperature,
                    channel=CheckChannel.SELF,
                )
            )
    HealthCheck.objects.bulk_create(checks, batch_size=2000)
    # Alerts for the fevers (one per check) and every missed slot, as the services raise them.
    for check in HealthCheck.objects.filter(temperature__gte=Decimal("37.3")).select_related(
        "case"
    ):
        services._raise_alert(
            check.case,
            kind="fever",
            source="checkin",
            temperature=check.temperature,
            date=check.date,
            slot=check.slot,
            health_check=check,
            detail=f"{check.temperature} °C",
        )
    missed = services.alerts_sync_missed(now=now)
    return {
        "facilities": sum(len(v) for v in facilities.values()),
        "cases": len(chosen),
        "open": QuarantineCase.objects.filter(state__in=ACTIVE_STATES).count(),
        "checks": len(checks),
        "missed_alerts": missed,
    }
