"""Writing an import: rows matched to existing files by document (set-based), then new
dwellings, households, files and their history inserted in bulk and changed files
updated, in one transaction, with the same PersonEvent rows as `people.services`."""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from fangyi.duty.scope import scope_for
from fangyi.people.models import Person, PersonEvent
from fangyi.people.services import ERR_DUPLICATE_ELSEWHERE
from fangyi.people.state import refresh as refresh_state
from fangyi.places.models import Building, Dwelling, Household, Zone
from fangyi.screening.importing.rows import CheckedRow, Problem, ZonePlaces

SOURCE = "import"
LOOKUP_CHUNK = 2000

COMPARED = (
    "name",
    "doc_type",
    "doc_number",
    "sex",
    "birth_date",
    "phone",
    "origin",
    "travel_status",
    "return_date",
    "notes",
)
MAX_LENGTH = {"name": 50, "origin": 100, "room": 20}


@dataclass
class Plan:
    new: list[CheckedRow] = field(default_factory=list)
    changed: list[tuple[dict, CheckedRow, dict[str, list]]] = field(default_factory=list)
    new_dwellings: dict[tuple[int, str], CheckedRow] = field(default_factory=dict)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def plan_import(user, places: ZonePlaces, parsed: list[CheckedRow], column, problems) -> Plan:
    """Match rows to existing files (set-based) and work out what changes."""
    plan = Plan()
    scope = scope_for(user) if user is not None else None
    by_type: dict[str, list[str]] = {}
    for row in parsed:
        by_type.setdefault(row.values["doc_type"], []).append(row.values["doc_number"])
    existing: dict[tuple[str, str], dict] = {}
    wanted = ["pk", *COMPARED, "dwelling_id", "household_id"]
    wanted += ["building_id", "zone_id", "community_id", "street_id", "district_id"]
    for doc_type, numbers in by_type.items():
        for start in range(0, len(numbers), LOOKUP_CHUNK):
            chunk = numbers[start : start + LOOKUP_CHUNK]
            for found in Person.objects.filter(doc_type=doc_type, doc_number__in=chunk).values(
                *wanted
            ):
                existing[(found["doc_type"], found["doc_number"])] = found
    for row in parsed:
        dwelling_key = row.dwelling_key
        dwelling_id = places.dwellings.get(dwelling_key)
        if dwelling_id is None and dwelling_key not in plan.new_dwellings:
            plan.new_dwellings[dwelling_key] = row
        found = existing.get((row.values["doc_type"], row.values["doc_number"]))
        if found is None:
            plan.new.append(row)
            continue
        if scope is not None and not _covers(scope, found):
            problems.append(Problem(row.number, column["doc_number"], str(ERR_DUPLICATE_ELSEWHERE)))
            continue
        changes = {
            name: [_json(found[name]), _json(new)]
            for name, new in row.values.items()
            if found[name] != new
        }
        if dwelling_id is None or found["dwelling_id"] != dwelling_id:
            old = places.dwelling_labels.get(found["dwelling_id"]) if found["dwelling_id"] else None
            changes["dwelling"] = [old, f"{row.building.name} {row.room}"]
        if changes:
            plan.changed.append((found, row, changes))
    return plan


def _covers(scope, found: dict) -> bool:
    if scope.everything:
        return True
    return any(
        found[f"{level}_id"] in scope.people_ids.get(level, ())
        for level in ("district", "street", "community", "zone", "building")
    )


def _place_ids(building: Building) -> dict[str, int]:
    return {
        "building_id": building.pk,
        "zone_id": building.zone_id,
        "community_id": building.community_id,
        "street_id": building.street_id,
        "district_id": building.district_id,
    }


@transaction.atomic
def write_plan(user, zone: Zone, plan: Plan, places: ZonePlaces) -> None:
    """Write the plan: dwellings, households, files and their history, set-based."""
    by = user if user is not None and user.is_authenticated else None
    created = Dwelling.objects.bulk_create(
        [
            Dwelling(building=row.building, zone=zone, floor=row.floor, room=row.room)
            for row in plan.new_dwellings.values()
        ]
    )
    # The zone's dwellings by (building, room): those loaded before, and the new ones
    # (bulk_create gives their ids on SQLite and PostgreSQL).
    dwelling_ids: dict[tuple[int, str], int] = dict(places.dwellings)
    for new_key, dwelling in zip(plan.new_dwellings, created, strict=True):
        dwelling_ids[new_key] = dwelling.pk
    households: dict[int, int] = {}
    for household_id, dwelling_id in (
        Household.objects.filter(dwelling__zone=zone)
        .order_by("-id")
        .values_list("pk", "dwelling_id")
    ):
        households[dwelling_id] = household_id  # ordered by -id: the first one wins
    needed = {dwelling_ids[row.dwelling_key] for row in plan.new}
    needed |= {
        dwelling_ids[row.dwelling_key]
        for _found, row, changes in plan.changed
        if "dwelling" in changes
    }
    without = sorted(needed - set(households))
    for h in Household.objects.bulk_create([Household(dwelling_id=d) for d in without]):
        households[h.dwelling_id] = h.pk

    now = timezone.now()

    def person_rows() -> Iterator[dict[str, Any]]:
        # Made a batch at a time as they are inserted: 100,000 dicts of 30 columns
        # held at once were most of an import's memory.
        for row in plan.new:
            dwelling_id = dwelling_ids[row.dwelling_key]
            yield {
                **_PERSON_DEFAULTS,
                **row.values,
                "dwelling_id": dwelling_id,
                "household_id": households[dwelling_id],
                **_place_ids(row.building),
                "created_at": now,
                "updated_at": now,
            }

    _insert(Person, person_rows())
    new_ids = _ids_by_document([(r.values["doc_type"], r.values["doc_number"]) for r in plan.new])

    def event_rows() -> Iterator[dict[str, Any]]:
        for row in plan.new:
            values = row.values
            changes = {name: [None, _json(v)] for name, v in values.items() if v not in ("", None)}
            changes["dwelling"] = [None, f"{row.building.name} {row.room}"]
            yield {
                "person_id": new_ids[(values["doc_type"], values["doc_number"])],
                "at": now,
                "by_id": by.pk if by is not None else None,
                "source": SOURCE,
                "action": PersonEvent.Action.CREATED.value,
                "changes": changes,
            }

    events: list[PersonEvent] = []
    updated: list[Person] = []
    fields: set[str] = {"updated_at"}
    for found, row, changes in plan.changed:
        person = Person(pk=found["pk"], updated_at=now, **row.values)
        fields.update(row.values)
        if "dwelling" in changes:
            dwelling_id = dwelling_ids[row.dwelling_key]
            person.dwelling_id = dwelling_id
            person.household_id = households[dwelling_id]
            for key, value in _place_ids(row.building).items():
                setattr(person, key, value)
        else:
            person.dwelling_id = found["dwelling_id"]
            person.household_id = found["household_id"]
            for key in ("building_id", "zone_id", "community_id", "street_id", "district_id"):
                setattr(person, key, found[key])
        for name in COMPARED:
            if name not in row.values:
                setattr(person, name, found[name])
        updated.append(person)
        events.append(
            PersonEvent(
                person_id=found["pk"],
                by=by,
                source=SOURCE,
                action=PersonEvent.Action.UPDATED,
                changes=changes,
            )
        )
    if updated:
        fields.update({"dwelling_id", "household_id", "building_id", "zone_id"})
        fields.update({"community_id", "street_id", "district_id"})
        names = sorted(f.removesuffix("_id") for f in fields)
        Person.objects.bulk_update(updated, names, batch_size=1000)
    PersonEvent.objects.bulk_create(events, batch_size=2000)
    _insert(PersonEvent, event_rows())
    # The files' verification and travel are facts of their people's one state.
    refresh_state([*new_ids.values(), *(p.pk for p in updated)])


# Defaults of the Person fields an import does not set (the model's own defaults).
_PERSON_DEFAULTS: dict[str, Any] = {
    f.attname: f.get_default()
    for f in Person._meta.concrete_fields
    if not f.primary_key and f.attname not in ("created_at", "updated_at")
}


def _insert(model, rows: Iterable[dict[str, Any]], batch: int = 1000) -> None:
    """INSERT rows (dicts of column values) with executemany.

    `bulk_create` spends most of its time preparing each field of each instance; the
    values here are already clean, so only dates, datetimes and JSON are adapted. The
    rows are consumed a batch at a time; the first one names the columns.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    connection = transaction.get_connection()
    fields = [f for f in model._meta.concrete_fields if f.attname in first]
    adapters: list[Callable[[Any], Any] | None] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            adapters.append(connection.ops.adapt_datetimefield_value)
        elif kind == "DateField":
            adapters.append(connection.ops.adapt_datefield_value)
        elif kind == "JSONField":
            # The backend's own JSON adaptation (text on SQLite, jsonb on PostgreSQL).
            adapters.append(lambda v, f=f: f.get_db_prep_save(v, connection))
        else:
            adapters.append(None)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    names = [f.attname for f in fields]
    pick = operator.itemgetter(*names)
    # A whole import shares a few values per date/time column (its `now`): adapt each
    # once. JSON values (dicts, lists) are adapted one by one.
    adapted: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [
        (i, adapt, {}) for i, adapt in enumerate(adapters) if adapt is not None
    ]
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(rows, batch)):
            params = []
            for row in chunk:
                values = list(pick(row))
                for i, adapt, memo in adapted:
                    value = values[i]
                    if value is None:
                        continue
                    if isinstance(value, dict | list):
                        values[i] = adapt(value)
                        continue
                    found = memo.get(value)
                    if found is None:
                        found = memo[value] = adapt(value)
                    values[i] = found
                params.append(values)
            cursor.executemany(sql, params)


def _ids_by_document(keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The ids of files by (document type, number), in chunks."""
    by_type: dict[str, list[str]] = {}
    for doc_type, number in keys:
        by_type.setdefault(doc_type, []).append(number)
    found: dict[tuple[str, str], int] = {}
    for doc_type, numbers in by_type.items():
        for start in range(0, len(numbers), LOOKUP_CHUNK):
            rows = Person.objects.filter(
                doc_type=doc_type, doc_number__in=numbers[start : start + LOOKUP_CHUNK]
            ).values_list("doc_number", "pk")
            found.update({(doc_type, number): pk for number, pk in rows})
    return found
