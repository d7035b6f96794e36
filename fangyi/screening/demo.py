"""Demo screening: a campaign over the demo logins' community, teams, some visits.

The `grid` login leads a team over its own buildings, so a new user logging in as
`grid` finds a list of dwellings with some visited, revisits pending and a refusal.
Everything goes through the services. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.people.models import Person
from fangyi.places.models import Building, Dwelling
from fangyi.screening import services
from fangyi.screening.choices import Outcome

MAX_TEAMS = 4


@transaction.atomic
def seed_screening_demo(*, seed: int) -> dict[str, int]:
    """Make the demo campaign; returns counts. Does nothing without the `grid` login."""
    rng = random.Random(f"screening-{seed}")
    grid = get_user_model().objects.filter(username="grid").first()
    secretary = get_user_model().objects.filter(username="secretary").first()
    made = {"campaigns": 0, "teams": 0, "visits": 0}
    if grid is None or secretary is None:
        return made
    grid_staff = Staff.objects.get(user=grid)
    grid_buildings = list(
        Building.objects.filter(
            pk__in=Assignment.objects.filter(staff=grid_staff).values("building_id")
        )
    )
    if not grid_buildings:
        return made
    zone = grid_buildings[0].zone
    community = zone.community
    today = timezone.localdate()
    campaign = services.campaign_create(
        user=secretary,
        name=f"{community.name}入户排查",
        place=community,
        starts_on=today - dt.timedelta(days=3),
        ends_on=today + dt.timedelta(days=10),
    )
    made["campaigns"] = 1
    # Team mates have no login (two of the three in Pingshan's teams: a community cadre
    # and a doctor or police officer), so the buildings need only be in grid's scope.
    # Mates come from the community's own staff, then (small demos have few) anyone's.
    without_login = Staff.objects.filter(user=None, active=True).exclude(pk=grid_staff.pk)
    helpers = list(
        without_login.filter(
            Q(assignments__community=community)
            | Q(assignments__zone__community=community)
            | Q(assignments__building__community=community)
        )
        .distinct()
        .order_by("id")[: 2 * MAX_TEAMS]
    )
    if len(helpers) < 2 * MAX_TEAMS:
        helpers += list(
            without_login.exclude(pk__in=[h.pk for h in helpers]).order_by("id")[
                : 2 * MAX_TEAMS - len(helpers)
            ]
        )
    others = list(
        Staff.objects.filter(user=None, role=Role.GRID_WORKER, assignments__building__zone=zone)
        .distinct()
        .order_by("id")[: MAX_TEAMS - 1]
    )
    helpers = [h for h in helpers if h.pk not in {o.pk for o in others}]
    plans = [(grid_staff, grid_buildings)]
    for worker in others:
        buildings = list(
            Building.objects.filter(
                pk__in=Assignment.objects.filter(staff=worker).values("building_id")
            )
        )
        if buildings:
            plans.append((worker, buildings))
    teams = []
    for index, (leader, buildings) in enumerate(plans):
        mates = helpers[2 * index : 2 * index + 2]
        if len(mates) < 2:
            break
        teams.append(
            services.team_create(
                user=secretary,
                campaign=campaign,
                name=f"第{index + 1}小组",
                members=[leader, *mates],
                leader=leader,
                areas=[(b, None) for b in buildings],
            )
        )
    made["teams"] = len(teams)
    outcomes = [Outcome.ANSWERED] * 7 + [Outcome.NOBODY_HOME] * 2 + [Outcome.REFUSED]
    for team in teams:
        dwellings = list(
            Dwelling.objects.filter(building__in=[a.building for a in team.areas.all()]).order_by(
                "building_id", "floor", "room"
            )
        )
        for dwelling in dwellings[: max(1, len(dwellings) // 3)]:
            outcome = rng.choice(outcomes)
            people = []
            if outcome == Outcome.ANSWERED:
                for person in Person.objects.filter(dwelling=dwelling).order_by("id"):
                    people.append(
                        {
                            "person": person,
                            "present": rng.random() < 0.9,
                            "temperature": f"{rng.uniform(36.0, 37.1):.1f}",
                        }
                    )
            services.visit_record(
                user=grid if team is teams[0] else None,
                team=team,
                dwelling=dwelling,
                key=uuid.UUID(int=rng.getrandbits(128)),
                outcome=outcome,
                people=people,
            )
            made["visits"] += 1
    return made
