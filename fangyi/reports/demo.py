"""Demo confirmed cases: a few zones with cases spread over the last weeks.

Placed relative to today (like the quarantine demo), so the overview shows zones
with a new case in the last 14 days and the charts show a wave that has passed.
The site plans are not stored as pictures: the map draws them from the building
outlines the demo generator made, so nothing is written to MEDIA_ROOT.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import connection, transaction
from django.utils import timezone

from fangyi.people.choices import HealthStatus
from fangyi.people.models import Person
from fangyi.people.services import CASE_HEALTH
from fangyi.places.models import District, Zone
from fangyi.reports.models import ConfirmedCase

# Pingshan counted a few dozen cases in early 2020; at least a handful in small demos.
CASES_AT_FULL_SCALE = 40
MIN_CASES = 6
DAYS_BACK = 35


@transaction.atomic
def seed_reports_demo(*, seed: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Confirmed cases over the last five weeks in a few zones; returns what was made."""
    today = timezone.localdate(now or timezone.now())
    rng = random.Random(seed * 104729 + today.toordinal())
    # The demo's own district: the first made (a demo city's other districts follow).
    district = District.objects.order_by("pk").first()
    if district is None:
        return {"confirmed_cases": 0}
    zones = list(Zone.objects.filter(district=district).order_by("code"))
    residents = Person.objects.filter(district=district).count()
    wanted = max(MIN_CASES, round(CASES_AT_FULL_SCALE * residents / 551_000))
    # A few zones carry the cases (clusters), the first zone among them so the demo
    # logins see one; the confirmed people of the files come first.
    hot = [zones[0], *rng.sample(zones[1:], min(len(zones) - 1, max(2, wanted // 4)))]
    # Every person whose file says confirmed, asymptomatic or suspected has a record of
    # that classification (the record and the status are one fact), in every district;
    # the statistics' other cases name nobody in the files.
    classified = list(
        Person.objects.filter(health_status__in=CASE_HEALTH, zone__isnull=False)
        .order_by("id")
        .values_list("id", "zone_id", "health_status")
    )
    zone_of = {z.pk: z for z in Zone.objects.filter(pk__in={z for _p, z, _h in classified})}
    zone_of.update({z.pk: z for z in zones})
    cases = []

    def record(date, person_id, zone, classification) -> ConfirmedCase:
        return ConfirmedCase(
            date=date,
            classification=classification,
            person_id=person_id,
            zone=zone,
            community_id=zone.community_id,
            street_id=zone.street_id,
            district_id=zone.district_id,
            note="演示数据",
        )

    for person_id, zone_id, status in classified:
        if status == HealthStatus.SUSPECTED:
            # Suspected within the last few days, not yet confirmed or excluded.
            date = today - dt.timedelta(days=rng.randint(0, 3))
        else:
            back = DAYS_BACK - int(DAYS_BACK * rng.betavariate(1.3, 3.0))
            date = today - dt.timedelta(days=max(0, min(DAYS_BACK, back)))
        cases.append(record(date, person_id, zone_of[zone_id], status))
    counted = sum(1 for c in cases if c.classification == HealthStatus.CONFIRMED)
    for i in range(max(0, wanted - counted)):
        # Most cases early in the window, tailing off: days since the last one grow.
        back = DAYS_BACK - int(DAYS_BACK * rng.betavariate(1.3, 3.0))
        date = today - dt.timedelta(days=max(0, min(DAYS_BACK, back)))
        cases.append(record(date, None, hot[i % len(hot)], HealthStatus.CONFIRMED))
    # One recent case in the first zone, so its map and the overview show the 14-day mark.
    anonymous = [c for c in cases if c.person_id is None]
    if not anonymous:
        cases.append(record(today, None, zones[0], HealthStatus.CONFIRMED))
        anonymous = [cases[-1]]
    last = anonymous[-1]
    last.date = today - dt.timedelta(days=rng.randint(1, 6))
    last.zone = zones[0]
    last.community_id = zones[0].community_id
    last.street_id = zones[0].street_id
    ConfirmedCase.objects.bulk_create(cases)
    # The demo has just bulk-loaded hundreds of thousands of rows: without statistics
    # SQLite's planner reads open quarantine cases through the district index of all
    # people (0.3 s at scale 1.0) instead of the few cases (10 ms). PostgreSQL's
    # autovacuum would get there in a while; ANALYZE gets there now.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"confirmed_cases": len(cases)}
