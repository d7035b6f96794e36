"""A team's list of dwellings as a worker walks it: by building, then floor.

The rows and their statuses come from `selectors.team_dwellings` (scoped, a fixed
number of queries); this module groups them, counts them per building and status,
filters by status and searches by room or by a resident's name (one more query, through
`people_for`). Nothing here decides who may see what.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from fangyi.people.selectors import people_for
from fangyi.places.models import Building
from fangyi.screening import selectors
from fangyi.screening.choices import DwellingStatus
from fangyi.screening.models import Team, Visit
from fangyi.screening.selectors import DwellingRow

STATUSES = [s.value for s in DwellingStatus]
MAX_NAMES = 3  # resident names shown on a dwelling found by a name search


def natural_key(text: str) -> tuple:
    """Sort "2栋" before "10栋" and room "902" before "1001"."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text)
        if part
    )


def _counts(rows: list[DwellingRow]) -> dict[str, int]:
    found = Counter(r.status for r in rows)
    return {status: found.get(status, 0) for status in STATUSES}


@dataclass
class Floor:
    number: int
    rows: list[DwellingRow]


@dataclass
class BuildingGroup:
    """One building of the list: counts of all its dwellings, floors of those shown."""

    building: Building
    counts: dict[str, int]
    total: int
    floors: list[Floor] = field(default_factory=list)
    shown: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.counts[DwellingStatus.DONE] / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.counts[DwellingStatus.DONE] == self.total


@dataclass
class Worklist:
    status: str
    query: str
    counts: dict[str, int]
    total: int
    buildings: list[BuildingGroup]
    names: dict[int, list[str]]  # dwelling → residents matching a name search
    shown: int = 0

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.query)


def _matching_names(user, rows: list[DwellingRow], query: str) -> dict[int, list[str]]:
    """Residents (in the user's scope) of the listed dwellings whose name has the query."""
    building_ids = sorted({r.dwelling.building_id for r in rows})
    if not building_ids:
        return {}
    names: dict[int, list[str]] = defaultdict(list)
    found = (
        people_for(user)
        .filter(building_id__in=building_ids, name__icontains=query)
        .order_by("id")
        .values_list("dwelling_id", "name")
    )
    for dwelling_id, name in found:
        names[dwelling_id].append(name)
    return names


def _search_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").casefold()


def team_worklist(user, team: Team, *, status: str = "", query: str = "") -> Worklist:
    """The team's dwellings grouped by building and floor, with counts per building.

    `status` keeps the dwellings of one status (see `DwellingStatus`; "" for all);
    `query` keeps those whose room (or building and room, "3栋1001") contains it, or with
    a resident whose name contains it. Counts are of the whole list, whatever the filter.
    """
    rows = selectors.team_dwellings(user, team)
    status = status if status in STATUSES else ""
    query = _search_text(query)
    names = _matching_names(user, rows, query) if query else {}

    def shown(row: DwellingRow) -> bool:
        if status and row.status != status:
            return False
        if not query:
            return True
        place = _search_text(f"{row.dwelling.building.name}{row.dwelling.room}")
        return query in place or row.dwelling.pk in names

    by_building: dict[int, list[DwellingRow]] = defaultdict(list)
    for row in rows:
        by_building[row.dwelling.building_id].append(row)
    groups = []
    for building_rows in by_building.values():
        building = building_rows[0].dwelling.building
        group = BuildingGroup(building, _counts(building_rows), len(building_rows))
        floors: dict[int, list[DwellingRow]] = defaultdict(list)
        for row in building_rows:
            if shown(row):
                floors[row.dwelling.floor].append(row)
        for number in sorted(floors):
            floor_rows = sorted(floors[number], key=lambda r: natural_key(r.dwelling.room))
            group.floors.append(Floor(number, floor_rows))
            group.shown += len(floor_rows)
        groups.append(group)
    groups.sort(key=lambda g: (natural_key(g.building.name), g.building.pk))
    return Worklist(
        status=status,
        query=query,
        counts=_counts(rows),
        total=len(rows),
        buildings=groups,
        names={pk: found[:MAX_NAMES] for pk, found in names.items()},
        shown=sum(g.shown for g in groups),
    )


def dwelling_last_visit(team: Team, dwelling) -> Visit | None:
    """The dwelling's latest visit in the team's campaign (by any team), or None."""
    return (
        Visit.objects.filter(campaign_id=team.campaign_id, dwelling=dwelling)
        .select_related("team", "by__staff")
        .order_by("-at", "-id")
        .first()
    )
