"""Importing a community's resident spreadsheet (.xlsx or .csv) into one zone.

The steps: `read_table` turns the file into rows; `detect_header` finds the header row
(title rows and blank rows above it are skipped, a second header row under merged cells
is folded in) and proposes a column → field mapping from the synonyms communities use;
the user confirms or fixes it; `people_import` checks every row (a dry run) and, with
`commit=True` and no problem at all, writes everything in one transaction.

Matching is by document (type, number): a row whose person exists updates that file
(fields that differ only, with history); an identical re-import writes nothing. Empty
cells never blank a file. Buildings must exist in the zone (a typo must not create a
building on the map); a missing room in an existing building is created (dwellings are
just numbers on a floor, and lists are often more complete than the registry).

Writes are set-based: existing files are looked up in chunks, new files, households,
dwellings and history rows are `bulk_create`d, changed files `bulk_update`d, recording
the same PersonEvent rows as `people.services` (source "import").
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
import io
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from openpyxl.utils import get_column_letter

from fangyi.duty.scope import scope_for
from fangyi.people.choices import DocType, Sex, TravelStatus
from fangyi.people.identity import IdentityError, normalise, parse_document, parse_phone
from fangyi.people.models import Person, PersonEvent
from fangyi.people.services import (
    ERR_DUPLICATE_ELSEWHERE,
    ERR_NAME,
    ERR_RETURN_DATE,
    ERR_RETURN_FUTURE,
)
from fangyi.places.models import Building, Dwelling, Household, Zone

SOURCE = "import"
HEADER_SCAN_ROWS = 30
LOOKUP_CHUNK = 2000
# The page checks files up to this many rows in the request (a few seconds); larger ones
# are checked and imported by a background job (settings.SCREENING_IMPORT_INLINE_ROWS).
PAGE_MAX_ROWS = 20_000
# A report kept by a job, and shown on the page, lists this many problems (and the total).
REPORT_PROBLEMS_SHOWN = 500
# Stages of `people_import`, for its `stage` callback.
STAGE_MATCH = "match"
STAGE_WRITE = "write"

ERR_FILE_TYPE = _("Upload an .xlsx or .csv file (.xls is not supported: save it as .xlsx).")
ERR_FILE_UNREADABLE = _("The file cannot be read as a spreadsheet: {error}")
ERR_ENCODING = _("The CSV file is neither UTF-8 nor GBK/GB18030 text.")
ERR_NO_HEADER = _(
    "No header row found: the first {rows} rows have no columns named like 姓名 and 身份证号."
)
ERR_MAPPING_TWICE = _("Two columns are mapped to {field}.")
ERR_MAPPING_MISSING = _("Map a column to {field}.")
ERR_ZONE_SCOPE = _("You may import only into a zone of your area.")
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
ERR_UPLOAD_GONE = _(
    "The uploaded file is no longer there (files are kept 24 hours); upload it again."
)


@dataclass(frozen=True)
class FieldSpec:
    """A person field a column can be mapped to, with the header names that mean it."""

    name: str
    label: Any
    synonyms: tuple[str, ...]
    required: bool = False


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", _("name"), ("姓名", "名字", "居民姓名", "人员姓名", "name"), True),
    FieldSpec("doc_type", _("document type"), ("证件类型", "证件种类", "document type")),
    FieldSpec(
        "doc_number",
        _("document number"),
        (
            "身份证号",
            "身份证号码",
            "证件号码",
            "证件号",
            "身份证",
            "公民身份号码",
            "身份证件号码",
            "document number",
            "id number",
        ),
        True,
    ),
    FieldSpec(
        "phone",
        _("mobile phone"),
        (
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "电话",
            "电话号码",
            "联系方式",
            "phone",
            "mobile",
        ),
    ),
    FieldSpec(
        "building", _("building"), ("楼栋", "栋号", "楼号", "楼栋号", "栋", "building"), True
    ),
    FieldSpec("floor", _("floor"), ("楼层", "层", "层数", "floor")),
    FieldSpec(
        "room",
        _("room"),
        ("房号", "门牌", "门牌号", "房间号", "房间", "房号门牌", "户号", "room"),
        True,
    ),
    FieldSpec(
        "origin",
        _("place of origin"),
        ("户籍地", "来源地", "籍贯", "户籍", "户籍地址", "来自", "从何地来", "origin"),
    ),
    FieldSpec(
        "return_date",
        _("return date"),
        ("返深日期", "返回日期", "返深时间", "抵深日期", "来深日期", "到深日期", "return date"),
    ),
    FieldSpec(
        "travel_status",
        _("travel status"),
        ("人员类别", "人员类型", "类别", "人员状态", "离深情况", "离返深情况", "travel status"),
    ),
    FieldSpec("sex", _("sex"), ("性别", "sex")),
    FieldSpec("notes", _("notes"), ("备注", "说明", "notes")),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}

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


# Fields compared between a row and an existing file, in history order.
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


# ---- reading --------------------------------------------------------------------------


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; `message` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def read_table(source: str | Path | bytes | IO[bytes], filename: str = "") -> Iterator[list]:
    """The rows of the first sheet of an .xlsx, or of a .csv, as lists of cell values."""
    name = (filename or (str(source) if isinstance(source, str | Path) else "")).lower()
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            head = handle.read(4)
    elif isinstance(source, bytes):
        head = source[:4]
    else:
        head = source.read(4)
        source.seek(0)
    if head.startswith(b"PK"):
        return _xlsx_rows(source)
    if name.endswith(".csv") or (name and not name.endswith((".xlsx", ".xls"))) or not name:
        if head.startswith(b"\xd0\xcf\x11\xe0"):  # an old .xls (OLE2) file
            raise ImportFileError(ERR_FILE_TYPE)
        return _csv_rows(source)
    raise ImportFileError(ERR_FILE_TYPE)


def read_start(source: str | Path, filename: str, limit: int) -> tuple[list[list], bool]:
    """The first `limit` rows, and whether the file has more (the rest is not read)."""
    table = read_table(source, filename)
    rows = list(itertools.islice(table, limit))
    more = next(table, None) is not None
    close = getattr(table, "close", None)
    if close is not None:
        close()  # an .xlsx generator closes its zip file
    return rows, more


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]+)")


_COLUMNS: dict[str, int] = {}


def _column_index(ref: str) -> int:
    """0-based column of a cell reference ("C12" -> 2); the letters' index is cached."""
    letters = ref.rstrip("0123456789")
    index = _COLUMNS.get(letters)
    if index is None:
        match = _CELL_REF.fullmatch(letters)
        index = 0
        for ch in match.group(1) if match else "":
            index = index * 26 + ord(ch) - 64
        index = _COLUMNS[letters] = index - 1
    return index


def _xlsx_rows(source) -> Iterator[list]:
    """Rows of the first sheet, parsed straight from the XML (lxml iterparse).

    Three to five times faster than openpyxl's read-only mode, which matters at 100,000
    rows. Values: shared and inline strings as str, numbers as int or float (a date is
    its Excel serial number; the date columns convert it), booleans as bool.
    """
    import zipfile

    from lxml import etree

    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        archive = zipfile.ZipFile(source)
        names = set(archive.namelist())
        sheet_path = _first_sheet_path(archive, etree)
        strings: list[str] = []
        if "xl/sharedStrings.xml" in names:
            with archive.open("xl/sharedStrings.xml") as handle:
                for _event, si in etree.iterparse(handle, tag=f"{_NS}si"):
                    strings.append("".join(si.itertext(f"{_NS}t")))
                    si.clear()
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise ImportFileError(ERR_FILE_UNREADABLE.format(error=exc)) from exc

    def rows() -> Iterator[list]:
        row_tag, cell_tag, v_tag, is_tag = f"{_NS}row", f"{_NS}c", f"{_NS}v", f"{_NS}is"
        is_t_path = f"{is_tag}/{_NS}t"
        expected = 1
        with archive, archive.open(sheet_path) as handle:
            for _event, row in etree.iterparse(handle, tag=row_tag):
                number = int(row.get("r") or expected)
                while expected < number:  # rows with no cells are not stored
                    yield []
                    expected += 1
                expected = number + 1
                values: list = []
                for cell in row.iterchildren(cell_tag):
                    ref = cell.get("r")
                    col = _column_index(ref) if ref else len(values)
                    kind = cell.get("t", "n")
                    if kind == "inlineStr":
                        # One run of text (what writers make): one lookup; rich text
                        # (several runs) is joined.
                        value: Any = cell.findtext(is_t_path)
                        if value is None:
                            node = cell.find(is_tag)
                            value = "".join(node.itertext(f"{_NS}t")) if node is not None else ""
                    else:
                        text = cell.findtext(v_tag)
                        if text is None:
                            value = None
                        elif kind == "s":
                            value = strings[int(text)]
                        elif kind == "n":
                            number_value = float(text)
                            is_int = number_value.is_integer() and "E" not in text.upper()
                            value = int(text.split(".")[0]) if is_int else number_value
                        elif kind == "b":
                            value = text == "1"
                        elif kind == "e":
                            value = None
                        else:
                            value = text
                    if col > len(values):
                        values.extend([None] * (col - len(values)))
                    values.append(value)
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
                yield values

    return rows()


def _first_sheet_path(archive, etree) -> str:
    workbook = etree.fromstring(archive.read("xl/workbook.xml"))
    sheet = workbook.find(f"{_NS}sheets/{_NS}sheet")
    rel_id = sheet.get(f"{_REL_NS}id") if sheet is not None else None
    rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return "xl/worksheets/sheet1.xml"


def _csv_rows(source) -> Iterator[list]:
    if isinstance(source, str | Path):
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(ERR_ENCODING)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return (list(row) for row in csv.reader(io.StringIO(text), dialect))


# ---- the header -----------------------------------------------------------------------


def _label_key(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"\(.*?\)|（.*?）|[\s*:：]", "", text)
    return text.lower()


_SYNONYMS = {_label_key(s): f.name for f in FIELDS for s in f.synonyms}


def field_for_label(value: Any) -> str | None:
    """The field a header label names, or None."""
    key = _label_key(value)
    if not key:
        return None
    if key in _SYNONYMS:
        return _SYNONYMS[key]
    # "身份证号码(18位)" or "联系电话/手机": the longest synonym the label contains.
    found = [(len(s), f) for s, f in _SYNONYMS.items() if len(s) >= 2 and s in key]
    return max(found)[1] if found else None


@dataclass
class Header:
    """Where the header is, the column labels as written, and a proposed mapping."""

    row: int  # 1-based row number of the last header row; data starts after it
    labels: list[str]
    mapping: dict[int, str]  # column index → field name
    samples: list[list[Any]] = field(default_factory=list)

    def column_name(self, index: int) -> str:
        label = self.labels[index] if index < len(self.labels) else ""
        letter = get_column_letter(index + 1)
        return f"{label} ({letter})" if label else letter


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def detect_header(rows: Sequence[Sequence[Any]]) -> Header:
    """Find the header among the first rows and propose a mapping.

    The header is the row naming the most fields. A header cell left empty (the lower
    part of a vertically merged cell) takes the label above it; a row right under the
    header whose cells are all text without digits, one of them a field name (sub-headers under a merged cell such as
    联系方式 → 手机, 固话) is folded into the header.
    """
    best, best_score = -1, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        fields = {field_for_label(v) for v in row if not _blank(v)} - {None}
        score = len(fields) + (1 if {"name", "doc_number"} <= fields else 0)
        if score > best_score:
            best, best_score = index, score
    if best < 0 or best_score < 2:
        raise ImportFileError(ERR_NO_HEADER.format(rows=HEADER_SCAN_ROWS))
    width = max(len(r) for r in rows[: best + 2])
    labels = [""] * width
    for col in range(width):
        for above in range(best, -1, -1):
            row = rows[above]
            if col < len(row) and not _blank(row[col]):
                labels[col] = str(row[col]).strip()
                break
    last = best
    if best + 1 < len(rows):
        below = [v for v in rows[best + 1] if not _blank(v)]
        header_like = all(isinstance(v, str) and not re.search(r"\d", v) for v in below)
        if below and header_like and any(field_for_label(v) for v in below):
            last = best + 1
            for col, value in enumerate(rows[best + 1]):
                if not _blank(value):
                    if col >= len(labels):
                        labels.extend([""] * (col + 1 - len(labels)))
                    labels[col] = str(value).strip()
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for col, label in enumerate(labels):
        name = field_for_label(label)
        if name and name not in taken:
            mapping[col] = name
            taken.add(name)
    samples = [list(r) for r in rows[last + 1 :] if any(not _blank(v) for v in r)][:3]
    return Header(row=last + 1, labels=labels, mapping=mapping, samples=samples)


def mapping_problems(mapping: dict[int, str]) -> list[str]:
    """What is wrong with a mapping (a field twice, a required field missing)."""
    problems = []
    seen: set[str] = set()
    for name in mapping.values():
        if name in seen:
            problems.append(str(ERR_MAPPING_TWICE.format(field=FIELDS_BY_NAME[name].label)))
        seen.add(name)
    for spec in FIELDS:
        if spec.required and spec.name not in seen:
            problems.append(str(ERR_MAPPING_MISSING.format(field=spec.label)))
    return problems


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
class _Row:
    number: int
    values: dict[str, Any]
    building: Building
    room: str
    floor: int

    @functools.cached_property
    def dwelling_key(self) -> tuple[int, str]:
        """(building id, normalised room): how the row's dwelling is looked up."""
        return (self.building.pk, _room_key(self.room))


class _Places:
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


def _check_row(
    number: int,
    cells: dict[str, Any],
    column: dict[str, str],
    places: _Places,
    today: dt.date,
    problems: list[Problem],
) -> _Row | None:
    """Check one row; append its problems; return the parsed row if it has none."""
    found: list[Problem] = []

    def bad(name: str, message) -> None:
        found.append(Problem(number, column.get(name, str(FIELDS_BY_NAME[name].label)), message))

    values: dict[str, Any] = {}
    name = _text(cells.get("name"))
    if not name:
        bad("name", str(ERR_NAME))
    elif len(name) > MAX_LENGTH["name"]:
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
    if not _blank(phone):
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
        if return_date > today:
            bad("return_date", str(ERR_RETURN_FUTURE))
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
        if travel == TravelStatus.RETURNED and return_date is None:
            bad("return_date", str(ERR_RETURN_DATE))

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
    if not _blank(raw_floor):
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
    return _Row(number, values, building, room, floor)


# ---- the import -----------------------------------------------------------------------


ProgressCallback = Callable[[int], object]


def people_import(
    *,
    user,
    zone: Zone,
    rows: Iterable[Sequence[Any]],
    header: Header,
    mapping: dict[int, str] | None = None,
    commit: bool = False,
    progress: ProgressCallback | None = None,
    stage: Callable[[str], object] | None = None,
    today: dt.date | None = None,
) -> ImportReport:
    """Check every data row (below `header.row`) and, with `commit`, write them all.

    `rows` are all rows of the sheet from the first (as `read_table` gives them).
    `progress(row_number)` is called every 1,000 rows of the check, and once at its
    end; `stage(STAGE_MATCH)` and `stage(STAGE_WRITE)` when those stages begin.
    Nothing is written unless every row is clean; then the whole import is one
    transaction. The user must have the zone in scope (PermissionDenied otherwise).

    Python's cycle collector is paused meanwhile: an import holds every row in memory
    (hundreds of thousands of lists and dicts, none of them cyclic), and each full
    collection walks them all again — it cost as much as parsing the file. The pause is
    process-wide (a job's thread pauses it for the web worker too, for the import's
    seconds); cyclic garbage made meanwhile is collected when it ends.
    """
    with _collector_paused():
        return _people_import(
            user=user, zone=zone, rows=rows, header=header, mapping=mapping, commit=commit,
            progress=progress, stage=stage, today=today,
        )  # fmt: skip


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _people_import(
    *, user, zone, rows, header, mapping, commit, progress, stage, today
) -> ImportReport:
    if user is not None and not scope_for(user).covers_people_of("zone", zone):
        raise PermissionDenied(ERR_ZONE_SCOPE)
    mapping = header.mapping if mapping is None else mapping
    problems_in_mapping = mapping_problems(mapping)
    if problems_in_mapping:
        raise ImportFileError("; ".join(problems_in_mapping))
    today = today or timezone.localdate()
    report = ImportReport()
    places = _Places(zone)
    column = {name: header.column_name(col) for col, name in mapping.items()}
    columns = sorted(mapping.items())
    parsed: list[_Row] = []
    first_row: dict[tuple[str, str], int] = {}
    problems = report.problems
    index = 0
    for index, row in enumerate(rows, start=1):
        if index <= header.row:
            continue
        if progress is not None and index % 1000 == 0:
            progress(index)
        cells = {name: row[col] if col < len(row) else None for col, name in columns}
        if all(_blank(v) for v in cells.values()):
            continue
        report.rows += 1
        checked = _check_row(index, cells, column, places, today, problems)
        if checked is None:
            continue
        key = (checked.values["doc_type"], checked.values["doc_number"])
        if key in first_row:
            problems.append(
                Problem(
                    index,
                    column["doc_number"],
                    str(ERR_DUPLICATE_ROW.format(row=first_row[key])),
                )
            )
            continue
        first_row[key] = index
        parsed.append(checked)
    if progress is not None:
        progress(index)
    if stage is not None:
        stage(STAGE_MATCH)
    plan = _plan(user, places, parsed, column, problems)
    report.created = len(plan.new)
    report.updated = len(plan.changed)
    report.unchanged = len(parsed) - report.created - report.updated
    report.new_dwellings = len(plan.new_dwellings)
    report.problems.sort(key=lambda p: p.row)
    if commit and report.ok:
        if stage is not None:
            stage(STAGE_WRITE)
        _write(user, zone, plan, places)
        report.committed = True
    return report


def inline_rows() -> int:
    """Files of up to this many data rows are checked in the request; larger ones by a job."""
    return getattr(settings, "SCREENING_IMPORT_INLINE_ROWS", PAGE_MAX_ROWS)


def import_job(context) -> dict[str, Any]:
    """The work of an import job (a check, or a commit): read, check, maybe write.

    Params: zone (id), path (the uploaded file), filename, token (of the page), mapping
    (column → field, keys as strings), commit. The result is the report (`as_json`) with
    a summary and a link: to the report on the page, or to the zone once imported.
    """
    from fangyi.jobs.runner import JobError

    params = context.params
    zone = Zone.objects.filter(pk=params["zone"]).first()
    path = Path(params["path"])
    if zone is None or not path.is_file():
        raise JobError(ERR_UPLOAD_GONE)
    context.stage(_("Reading the file"), total=0)
    rows: list[list] = []
    with _collector_paused():  # as in people_import: the rows are many and acyclic
        for row in read_table(path, params.get("filename", "")):
            rows.append(row)
            if len(rows) % 1000 == 0:
                context.progress(len(rows))
    header = detect_header(rows[: HEADER_SCAN_ROWS + 2])
    mapping = {int(col): name for col, name in params["mapping"].items()}
    stages = {STAGE_MATCH: _("Matching existing files"), STAGE_WRITE: _("Saving")}
    context.stage(_("Checking rows"), total=len(rows))
    report = people_import(
        user=context.user,
        zone=zone,
        rows=rows,
        header=header,
        mapping=mapping,
        commit=bool(params.get("commit")),
        progress=context.progress,
        stage=lambda name: context.stage(stages[name], total=0),
    )
    context.progress(len(rows), total=len(rows))  # the job ends on the rows it checked
    result = report.as_json()
    if report.committed:
        path.unlink(missing_ok=True)
        result["summary"] = str(
            _("Imported: {created} new, {updated} updated, {unchanged} unchanged.")
        ).format(created=report.created, updated=report.updated, unchanged=report.unchanged)
        result["url"] = reverse("place", args=["zone", zone.pk])
        result["link"] = str(_("Go to {zone}")).format(zone=zone.name)
        return result
    count = len(report.problems)
    if count:
        result["summary"] = ngettext(
            "%(rows)d rows checked: %(n)d problem, nothing imported.",
            "%(rows)d rows checked: %(n)d problems, nothing imported.",
            count,
        ) % {"rows": report.rows, "n": count}
    else:
        result["summary"] = str(
            _("{rows} rows checked, no problem: {created} new files, {updated} to update.")
        ).format(rows=report.rows, created=report.created, updated=report.updated)
    url = reverse("screening:import_check", args=[zone.pk, params["token"]])
    result["url"] = f"{url}?job={context.job.pk}"
    result["link"] = str(_("Show the report"))
    return result


@dataclass
class _Plan:
    new: list[_Row] = field(default_factory=list)
    changed: list[tuple[dict, _Row, dict[str, list]]] = field(default_factory=list)
    new_dwellings: dict[tuple[int, str], _Row] = field(default_factory=dict)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _plan(user, places: _Places, parsed: list[_Row], column, problems) -> _Plan:
    """Match rows to existing files (set-based) and work out what changes."""
    plan = _Plan()
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
def _write(user, zone: Zone, plan: _Plan, places: _Places) -> None:
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
    person_rows = []
    for row in plan.new:
        dwelling_id = dwelling_ids[row.dwelling_key]
        person_rows.append(
            {
                **_PERSON_DEFAULTS,
                **row.values,
                "dwelling_id": dwelling_id,
                "household_id": households[dwelling_id],
                **_place_ids(row.building),
                "created_at": now,
                "updated_at": now,
            }
        )
    _insert(Person, person_rows)
    new_ids = _ids_by_document([(r.values["doc_type"], r.values["doc_number"]) for r in plan.new])
    event_rows = []
    for row in plan.new:
        changes = {name: [None, _json(v)] for name, v in row.values.items() if v not in ("", None)}
        changes["dwelling"] = [None, f"{row.building.name} {row.room}"]
        event_rows.append(
            {
                "person_id": new_ids[(row.values["doc_type"], row.values["doc_number"])],
                "at": now,
                "by_id": by.pk if by is not None else None,
                "source": SOURCE,
                "action": PersonEvent.Action.CREATED.value,
                "changes": changes,
            }
        )
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
    _insert(PersonEvent, event_rows)


# Defaults of the Person fields an import does not set (the model's own defaults).
_PERSON_DEFAULTS: dict[str, Any] = {
    f.attname: f.get_default()
    for f in Person._meta.concrete_fields
    if not f.primary_key and f.attname not in ("created_at", "updated_at")
}


def _insert(model, rows: list[dict[str, Any]], batch: int = 1000) -> None:
    """INSERT rows (dicts of column values) with executemany.

    `bulk_create` spends most of its time preparing each field of each instance; the
    values here are already clean, so only dates, datetimes and JSON are adapted.
    """
    if not rows:
        return
    connection = transaction.get_connection()
    fields = [f for f in model._meta.concrete_fields if f.attname in rows[0]]
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
        for start in range(0, len(rows), batch):
            params = []
            for row in rows[start : start + batch]:
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
