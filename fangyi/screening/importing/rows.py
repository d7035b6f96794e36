"""Checking the rows of a resident list: each cell parsed and checked as `people.services`
checks a form (the same messages), every problem reported with its row and column."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from fangyi.people.choices import DocType, Sex, TravelStatus
from fangyi.people.identity import IdentityError, normalise, parse_document, parse_phone
from fangyi.people.rules import name_errors, return_date_errors
from fangyi.places.models import Building, Dwelling, Zone
from fangyi.screening.importing.header import FIELDS_BY_NAME, blank

# A report kept by a job, and shown on the page, lists this many problems (and the total).
REPORT_PROBLEMS_SHOWN = 500

ERR_BUILDING_MISSING = _("Enter the building.")
ERR_ROOM_MISSING = _("Enter the room number.")
ERR_BUILDING_UNKNOWN = _("There is no building {name} in {zone}.")
ERR_FLOOR = _("Floor {floor} does not exist: building {building} has {floors} floors.")
ERR_FLOOR_FORMAT = _("A floor is a whole number.")
ERR_DOC_TYPE = _("Unknown document type {value}: use 身份证, 护照, 港澳通行证 or 台胞证.")
ERR_DATE = _("Not a date: {value} (write it as 2020-02-03).")
ERR_TRAVEL = _("Unknown travel status {value}: use 未离深, 返深, 新到深 or 离深未返.")
ERR_SEX = _("Unknown sex {value}: use 男 or 女.")
ERR_SEX_MISMATCH = _("The sex {value} does not match the ID number.")
ERR_DUPLICATE_ROW = _("The same document number is on row {row}.")
ERR_TOO_LONG = _("Longer than {limit} characters.")

MAX_LENGTH = {"name": 50, "origin": 100, "room": 20}

DOC_TYPES = {
    "身份证": DocType.ID_CARD,
    "居民身份证": DocType.ID_CARD,
    "二代身份证": DocType.ID_CARD,
    "IDCARD": DocType.ID_CARD,
    "ID_CARD": DocType.ID_CARD,
    "护照": DocType.PASSPORT,
    "PASSPORT": DocType.PASSPORT,
    "港澳通行证": DocType.HK_MACAU,
    "港澳居民来往内地通行证": DocType.HK_MACAU,
    "回乡证": DocType.HK_MACAU,
    "HK_MACAU": DocType.HK_MACAU,
    "台胞证": DocType.TAIWAN,
    "台湾居民来往大陆通行证": DocType.TAIWAN,
    "TAIWAN": DocType.TAIWAN,
}
TRAVEL = {
    "未离深": TravelStatus.NEVER_LEFT,
    "未离开": TravelStatus.NEVER_LEFT,
    "NEVER_LEFT": TravelStatus.NEVER_LEFT,
    "返深": TravelStatus.RETURNED,
    "已返深": TravelStatus.RETURNED,
    "离深返深": TravelStatus.RETURNED,
    "RETURNED": TravelStatus.RETURNED,
    "新到深": TravelStatus.NEW_ARRIVAL,
    "新来深": TravelStatus.NEW_ARRIVAL,
    "NEW_ARRIVAL": TravelStatus.NEW_ARRIVAL,
    "离深未返": TravelStatus.AWAY,
    "未返深": TravelStatus.AWAY,
    "AWAY": TravelStatus.AWAY,
}
SEXES = {"男": Sex.MALE, "M": Sex.MALE, "MALE": Sex.MALE, "女": Sex.FEMALE, "F": Sex.FEMALE}
SEXES["FEMALE"] = Sex.FEMALE


@functools.cache
def _value_tables() -> tuple[dict[str, DocType], dict[str, TravelStatus], dict[str, Sex]]:
    """DOC_TYPES, TRAVEL and SEXES, plus each choice's label in every language of the site
    as the export writes it, so that an exported list imports back as it is. Keys are
    `identity.normalise`d (half-width, no spaces or dashes, upper case)."""
    tables: tuple[dict, dict, dict] = (
        {normalise(k): v for k, v in DOC_TYPES.items()},
        {normalise(k): v for k, v in TRAVEL.items()},
        {normalise(k): v for k, v in SEXES.items()},
    )
    for table, choices in zip(tables, (DocType, TravelStatus, Sex), strict=True):
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for member in choices:
                    table.setdefault(normalise(str(member.label)), member)
    return tables


# ---- checking rows --------------------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong with one row: sheet row number, column as written, message."""

    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    """The outcome of a dry run or a commit."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_dwellings: int = 0
    problems: list[Problem] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return len(self.problems)

    def as_json(self, limit: int | None = None) -> dict[str, Any]:
        """The report as a job keeps it: counts, and the first `limit` problems
        (REPORT_PROBLEMS_SHOWN by default)."""
        limit = REPORT_PROBLEMS_SHOWN if limit is None else limit
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "new_dwellings": self.new_dwellings,
            "committed": self.committed,
            "problem_count": len(self.problems),
            "problems": [
                {"row": p.row, "column": p.column, "message": p.message}
                for p in self.problems[:limit]
            ],
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def _number_text(value: Any) -> str:
    """A document or phone number cell as text; a number Excel rounded shows as 4.4E+17."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return f"{value:.14E}".replace("E+", "E+")
        digits = str(int(value))
        if len(digits) > 15:
            # Excel keeps 15 significant digits: anything longer has lost its tail.
            return f"{float(value):.14E}"
        return digits
    return str(value)


_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and 20000 < value < 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))  # an Excel serial
    text = _text(value)
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    text = text.split(" ")[0].split("T")[0]
    match = _DATE_RE.match(text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise ValueError(value)


def _room_key(room: str) -> str:
    return normalise(room).removesuffix("室").removesuffix("房")


def _building_key(name: str) -> str:
    text = normalise(name)
    text = re.sub(r"(号楼|栋|座|幢|号|楼)$", "", text)
    return text


def _floor_of(room: str) -> int:
    digits = re.match(r"\d+", room)
    if digits and len(digits.group()) >= 3:
        return int(digits.group()[:-2])
    return 1


@dataclass
class CheckedRow:
    number: int
    values: dict[str, Any]
    building: Building
    room: str
    floor: int

    @functools.cached_property
    def dwelling_key(self) -> tuple[int, str]:
        """(building id, normalised room): how the row's dwelling is looked up."""
        return (self.building.pk, _room_key(self.room))


class ZonePlaces:
    """The zone's buildings and dwellings, loaded once."""

    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self.buildings: dict[str, Building] = {}
        for b in Building.objects.filter(zone=zone):
            self.buildings.setdefault(normalise(b.name), b)
            self.buildings.setdefault(_building_key(b.name), b)
        self.dwellings: dict[tuple[int, str], int] = {}
        self.dwelling_labels: dict[int, str] = {}
        names = {b.pk: b.name for b in self.buildings.values()}
        for pk, building_id, room in Dwelling.objects.filter(zone=zone).values_list(
            "pk", "building_id", "room"
        ):
            self.dwellings[(building_id, _room_key(room))] = pk
            self.dwelling_labels[pk] = f"{names.get(building_id, '')} {room}"

    def building(self, name: str) -> Building | None:
        return self.buildings.get(normalise(name)) or self.buildings.get(_building_key(name))


def check_row(
    number: int,
    cells: dict[str, Any],
    column: dict[str, str],
    places: ZonePlaces,
    today: dt.date,
    problems: list[Problem],
) -> CheckedRow | None:
    """Check one row; append its problems; return the parsed row if it has none."""
    found: list[Problem] = []

    def bad(name: str, message) -> None:
        found.append(Problem(number, column.get(name, str(FIELDS_BY_NAME[name].label)), message))

    values: dict[str, Any] = {}
    name = _text(cells.get("name"))
    for message in name_errors(name):
        bad("name", str(message))
    if name and len(name) > MAX_LENGTH["name"]:
        bad("name", str(ERR_TOO_LONG.format(limit=MAX_LENGTH["name"])))
    values["name"] = name

    doc_type = DocType.ID_CARD
    raw_type = normalise(_text(cells.get("doc_type")))
    if raw_type:
        doc_type = _value_tables()[0].get(raw_type)
        if doc_type is None:
            bad("doc_type", str(ERR_DOC_TYPE.format(value=_text(cells.get("doc_type")))))
            doc_type = DocType.ID_CARD
    values["doc_type"] = str(doc_type)
    info = None
    try:
        info = parse_document(doc_type, _number_text(cells.get("doc_number")), today=today)
    except IdentityError as exc:
        bad("doc_number", str(exc.message))
    else:
        values["doc_number"] = info.number
        if info.birth_date is not None:
            values["birth_date"] = info.birth_date
            values["sex"] = str(info.sex)

    raw_sex = _text(cells.get("sex")).upper()
    if raw_sex:
        sex = _value_tables()[2].get(normalise(raw_sex))
        if sex is None:
            bad("sex", str(ERR_SEX.format(value=raw_sex)))
        elif "sex" in values and values["sex"] != sex:
            bad("sex", str(ERR_SEX_MISMATCH.format(value=_text(cells.get("sex")))))
        elif "sex" not in values:
            values["sex"] = str(sex)

    phone = cells.get("phone")
    if not blank(phone):
        try:
            values["phone"] = parse_phone(_number_text(phone))
        except IdentityError as exc:
            bad("phone", str(exc.message))

    origin = _text(cells.get("origin"))
    if origin:
        if len(origin) > MAX_LENGTH["origin"]:
            bad("origin", str(ERR_TOO_LONG.format(limit=MAX_LENGTH["origin"])))
        values["origin"] = origin

    return_date = None
    try:
        return_date = _date(cells.get("return_date"))
    except ValueError:
        bad("return_date", str(ERR_DATE.format(value=_text(cells.get("return_date")))))
    if return_date is not None:
        values["return_date"] = return_date

    raw_travel = normalise(_text(cells.get("travel_status"))).upper()
    travel = None
    if raw_travel:
        travel = _value_tables()[1].get(raw_travel)
        if travel is None:
            bad("travel_status", str(ERR_TRAVEL.format(value=_text(cells.get("travel_status")))))
    elif return_date is not None:
        travel = TravelStatus.RETURNED
    if travel is not None:
        values["travel_status"] = str(travel)
    # The rules every file write keeps (people.rules), reported on this row's cell.
    for message in return_date_errors(travel, return_date, today):
        bad("return_date", str(message))

    notes = _text(cells.get("notes"))
    if notes:
        values["notes"] = notes

    building = None
    building_name = _text(cells.get("building"))
    if not building_name:
        bad("building", str(ERR_BUILDING_MISSING))
    else:
        building = places.building(building_name)
        if building is None:
            bad(
                "building",
                str(ERR_BUILDING_UNKNOWN.format(name=building_name, zone=places.zone.name)),
            )
    room = _text(cells.get("room"))
    if building is not None and room.startswith(building.name):
        room = room[len(building.name) :].lstrip("-")
    if not room:
        bad("room", str(ERR_ROOM_MISSING))
    elif len(room) > MAX_LENGTH["room"]:
        bad("room", str(ERR_TOO_LONG.format(limit=MAX_LENGTH["room"])))
    floor = _floor_of(room)
    raw_floor = cells.get("floor")
    if not blank(raw_floor):
        try:
            floor = int(re.sub(r"[层楼Ff]$", "", _text(raw_floor)))
        except ValueError:
            bad("floor", str(ERR_FLOOR_FORMAT))
    if building is not None and room and floor > building.floors:
        bad(
            "floor",
            str(ERR_FLOOR.format(floor=floor, building=building.name, floors=building.floors)),
        )
    if found:
        problems.extend(found)
        return None
    assert building is not None
    return CheckedRow(number, values, building, room, floor)
