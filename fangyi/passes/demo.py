"""Demo passes around today: passes for the first community's verified residents, gate
posts for the demo `guard`, applications waiting in the demo `grid` worker's queue, and
a day of gate checks (with a few fevers) at the first zone's gates for the board.

Checks go through the services (so colours, fevers and alerts obey the rules);
passes are bulk-made (tens of thousands at scale 1.0). Deterministic for a seed and day.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fangyi.core.policy import policy_in_force, values_of
from fangyi.duty.models import Assignment
from fangyi.passes import services, tokens
from fangyi.passes.models import GatePost, Pass
from fangyi.people.identity import check_char
from fangyi.people.models import Person
from fangyi.places.models import Community, District, Dwelling, Gate
from fangyi.quarantine.choices import ACTIVE_STATES

APPLICANTS = ("林晓燕", "陈建国", "黄丽娟", "吴志强", "刘芳芳", "郑海涛")
CHECKS_PER_GATE_HOUR = 12
# The demo's gate check that is always a fever, so that every demo has one to review.
FEVER_AT = 5


def _id_number(rng: random.Random) -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(16000))
    first17 = f"440310{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + check_char(first17)


@transaction.atomic
def seed_passes_demo(*, seed: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Passes, gate posts, pending applications and today's gate checks for the demo."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(seed * 104729 + today.toordinal())
    # The demo's own district: the first made (a demo city's other districts follow).
    district = District.objects.order_by("pk").first()
    community = Community.objects.filter(district=district).order_by("code").first()
    if district is None or community is None:
        return {}
    valid_days = values_of(policy_in_force(today)).pass_valid_days
    people = list(
        Person.objects.filter(community=community, verified=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    codes: set[str] = set()
    passes = []
    for person_id in people:
        code = tokens.new_code()
        while code in codes:  # pragma: no cover
            code = tokens.new_code()
        codes.add(code)
        passes.append(
            Pass(
                person_id=person_id,
                district=district,
                key=tokens.new_key(),
                code=code,
                issued_at=now - dt.timedelta(days=rng.randrange(0, 10)),
                expires_at=now + dt.timedelta(days=valid_days),
            )
        )
    Pass.objects.bulk_create(passes, batch_size=5000)

    User = get_user_model()
    posts = 0
    guard = User.objects.filter(username="guard").select_related("staff").first()
    guard_zone_ids: list[int] = []
    if guard is not None and hasattr(guard, "staff"):
        guard_zone_ids = list(
            Assignment.objects.filter(staff=guard.staff, zone__isnull=False).values_list(
                "zone_id", flat=True
            )
        )
        gates = list(Gate.objects.filter(zone_id__in=guard_zone_ids).order_by("id"))
        GatePost.objects.bulk_create(
            [GatePost(staff=guard.staff, gate=g) for g in gates], ignore_conflicts=True
        )
        posts = len(gates)

    applications = 0
    grid = User.objects.filter(username="grid").select_related("staff").first()
    building_id = None
    if grid is not None and hasattr(grid, "staff"):
        building_id = (
            Assignment.objects.filter(staff=grid.staff, building__isnull=False)
            .values_list("building_id", flat=True)
            .first()
        )
    dwellings = list(Dwelling.objects.filter(building_id=building_id).order_by("id")[:20])
    for name in APPLICANTS if dwellings else ():
        services.application_submit(
            values={
                "name": name,
                "doc_number": _id_number(rng),
                "phone": f"13{rng.randrange(10**9):09d}",
                "dwelling_id": rng.choice(dwellings).pk,
            },
            now=now - dt.timedelta(minutes=rng.randrange(10, 600)),
        )
        applications += 1

    checks = 0
    if guard is not None and guard_zone_ids:
        zone_passes = list(
            Pass.objects.filter(person__zone_id__in=guard_zone_ids, revoked_at__isnull=True)
            .order_by("id")
            .values_list("code", flat=True)[:2000]
        )
        # Some of the zone's people under quarantine come to the gate too: reds on the board.
        quarantined = list(
            Pass.objects.filter(
                person__zone_id__in=guard_zone_ids,
                person__quarantine_cases__state__in=ACTIVE_STATES,
            ).values_list("code", flat=True)
        )
        gates = list(
            Gate.objects.filter(zone_id__in=guard_zone_ids).select_related("zone__district")
        )
        # The gates' day from 06:00, and at least the last eight hours (a demo built at
        # night or early in the morning has a board and its fevers too).
        start = min(
            timezone.make_aware(dt.datetime.combine(today, dt.time(6))),
            now - dt.timedelta(hours=8),
        )
        hours = max(0, int((now - start).total_seconds() // 3600))
        for gate in gates:
            for hour in range(hours + 1):
                for _ in range(CHECKS_PER_GATE_HOUR if zone_passes else 0):
                    moment = start + dt.timedelta(hours=hour, minutes=rng.randrange(60))
                    if moment >= now:
                        continue
                    # About one in a hundred, and always one early in the day.
                    fever = rng.random() < 0.01 or checks == FEVER_AT
                    temperature = round(
                        rng.uniform(37.4, 38.5) if fever else rng.uniform(36.0, 37.0), 1
                    )
                    result = services.gate_check_record(
                        by=guard,
                        gate=gate,
                        code=rng.choice(
                            quarantined if quarantined and rng.random() < 0.08 else zone_passes
                        ),
                        temperature=str(temperature),
                        now=moment,
                    )
                    # A red is left for the guard to decide: sending them to the
                    # observation point would move the demo's cases there (passes.
                    # referrals), and the demo keeps its cases where it put them.
                    if not result.verdict.fever and result.verdict.colour != "red":
                        decision = {"green": "let_in", "yellow": "temporary"}[result.verdict.colour]
                        services.gate_check_decide(
                            by=guard, check=result.check, decision=decision, now=moment
                        )
                    checks += 1
    return {
        "passes": len(passes),
        "gate_posts": posts,
        "applications": applications,
        "checks": checks,
    }
