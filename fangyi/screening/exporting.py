"""Exporting the people of a place to xlsx, fast enough for a whole district.

openpyxl's write-only mode manages ~7,500 rows a second, so the 551,000 residents of a
district would take over a minute. An xlsx is a zip of XML parts; this module writes
the one sheet's XML itself (inline strings, a date style), streaming rows from the
database into a deflate stream: no shared-strings table to hold in memory.

ID numbers and phones are masked unless `reveal` is set; a reveal writes one access-log
row per person and field (AccessLog, channel "export"), in bulk, before the file is
made, so an export that fails halfway is still logged.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangyi.audit.models import AccessLog
from fangyi.core.spreadsheets import EXCEL_MAX_ROWS, SpreadsheetError
from fangyi.duty.selectors import place_get
from fangyi.people.choices import DocType, EpidemicState, HealthStatus, Sex, TravelStatus
from fangyi.people.identity import mask_document, mask_phone
from fangyi.people.selectors import people_for
from fangyi.people.state import refresh_expired
from fangyi.places.models import Building, Community, Dwelling, Street, Zone

CHUNK = 5000
LOG_BATCH = 5000
# The page writes exports of up to this many people in the request (under a second);
# larger ones are a background job (settings.SCREENING_EXPORT_INLINE_ROWS).
PAGE_INLINE_MAX = 20_000
# Stages of `people_export`, for its `stage` callback.
STAGE_REVEAL = "reveal"
STAGE_WRITE = "write"
EXCEL_EPOCH = dt.date(1899, 12, 30)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# (field of the values row, header) in column order; place names are looked up by id.
COLUMNS = (
    "name",
    "doc_type",
    "doc_number",
    "sex",
    "birth_date",
    "phone",
    "street_id",
    "community_id",
    "zone_id",
    "building_id",
    "dwelling_id",
    "origin",
    "travel_status",
    "return_date",
    "health_status",
    "verified",
    "epidemic_state",
)


def export_header() -> list[str]:
    """The header row, in the reader's language (import recognises it back)."""
    return [
        _("name"),
        _("document type"),
        _("document number"),
        _("sex"),
        _("birth date"),
        _("mobile phone"),
        _("street"),
        _("community"),
        _("zone"),
        _("building"),
        _("room"),
        _("place of origin"),
        _("travel status"),
        _("return date"),
        _("health status"),
        _("information verified"),
        # The one epidemic state (docs/state.md): read, never imported back (import leaves
        # the column unmapped; the state is derived from cases, tests and contacts).
        _("epidemic state"),
    ]


def people_to_export(user, level: str, place) -> QuerySet:
    """The people of a place the user may see (scope applied by `people_for`)."""
    return people_for(user).filter(**{f"{level}_id": place.pk}).order_by("id")


@transaction.atomic
def log_reveals(*, user, person_ids: Sequence[int], ip: str | None = None) -> int:
    """One AccessLog row per person and revealed field, in bulk; returns rows written."""
    rows = [
        AccessLog(user=user, person_id=pk, field=field, channel="export", ip=ip)
        for pk in person_ids
        for field in ("doc_number", "phone")
    ]
    AccessLog.objects.bulk_create(rows, batch_size=LOG_BATCH)
    return len(rows)


def _labels() -> dict[str, dict]:
    return {
        "doc_type": {k: str(v) for k, v in DocType.choices},
        "sex": {k: str(v) for k, v in Sex.choices},
        "travel_status": {k: str(v) for k, v in TravelStatus.choices},
        "health_status": {k: str(v) for k, v in HealthStatus.choices},
        "epidemic_state": {k: str(v) for k, v in EpidemicState.choices},
    }


def _names(people: QuerySet) -> dict[str, dict[int, str]]:
    """Names of the places the people live in, one query per level (no joins per row)."""
    ids = people.order_by()
    return {
        "street_id": dict(
            Street.objects.filter(pk__in=ids.values("street_id")).values_list("pk", "name")
        ),
        "community_id": dict(
            Community.objects.filter(pk__in=ids.values("community_id")).values_list("pk", "name")
        ),
        "zone_id": dict(
            Zone.objects.filter(pk__in=ids.values("zone_id")).values_list("pk", "name")
        ),
        "building_id": dict(
            Building.objects.filter(pk__in=ids.values("building_id")).values_list("pk", "name")
        ),
        "dwelling_id": dict(
            Dwelling.objects.filter(pk__in=ids.values("dwelling_id")).values_list("pk", "room")
        ),
    }


def export_rows(people: QuerySet, *, reveal: bool) -> Iterator[list[Any]]:
    """The rows of the export, streamed from the database in chunks."""
    labels = _labels()
    names = _names(people)
    yes, no = _("yes"), _("no")
    for row in people.values_list(*COLUMNS).iterator(chunk_size=CHUNK):
        values = dict(zip(COLUMNS, row, strict=True))
        yield [
            values["name"],
            labels["doc_type"].get(values["doc_type"], values["doc_type"]),
            values["doc_number"] if reveal else mask_document(values["doc_number"]),
            labels["sex"].get(values["sex"], values["sex"]),
            values["birth_date"],
            values["phone"] if reveal else mask_phone(values["phone"]),
            names["street_id"].get(values["street_id"], ""),
            names["community_id"].get(values["community_id"], ""),
            names["zone_id"].get(values["zone_id"], ""),
            names["building_id"].get(values["building_id"], ""),
            names["dwelling_id"].get(values["dwelling_id"], ""),
            values["origin"],
            labels["travel_status"].get(values["travel_status"], ""),
            values["return_date"],
            labels["health_status"].get(values["health_status"], ""),
            yes if values["verified"] else no,
            labels["epidemic_state"].get(values["epidemic_state"], ""),
        ]


# ---- a minimal, fast xlsx writer ------------------------------------------------------

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
# Style 0: plain; 1: a date (yyyy-mm-dd); 2: bold (the header).
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
    "<cols>{cols}</cols><sheetData>"
)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, str):
        text = escape(_ILLEGAL.sub("", value))
        return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f'<c s="1"><v>{(value - EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, int | float):
        return f"<c><v>{value}</v></c>"
    return _cell(str(value))


def write_people_xlsx(
    target: str | os.PathLike[str] | IO[bytes],
    *,
    title: str,
    header: Sequence[str],
    rows: Iterator[Sequence[Any]],
    progress: Callable[[int], object] | None = None,
    progress_every: int = 10_000,
) -> int:
    """Write one sheet (bold frozen header, then `rows`) as an xlsx; return the rows written.

    Strings are inline (never formulas: a cell typed `=…` stays text); dates are real
    Excel dates. Opens in Excel, LibreOffice and openpyxl.
    """
    title = escape(re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "Sheet", {'"': "&quot;"})
    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(title=title))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            cols = "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                for i, w in enumerate([12, 10, 22, 6, 12, 14] + [12] * (len(header) - 6), 1)
            )
            parts = [_SHEET_HEAD.format(cols=cols)]
            head = "".join(
                f'<c t="inlineStr" s="2"><is><t>{escape(str(h))}</t></is></c>' for h in header
            )
            parts.append(f"<row>{head}</row>")
            for row in rows:
                count += 1
                if count >= EXCEL_MAX_ROWS:
                    raise SpreadsheetError(f"More than {EXCEL_MAX_ROWS:,} rows; split the export.")
                parts.append("<row>" + "".join(map(_cell, row)) + "</row>")
                if len(parts) >= 2000:
                    sheet.write("".join(parts).encode())
                    parts.clear()
                if progress is not None and count % progress_every == 0:
                    progress(count)
            parts.append("</sheetData></worksheet>")
            sheet.write("".join(parts).encode())
    if progress is not None:
        progress(count)
    return count


def people_export(
    *,
    user,
    level: str,
    place,
    target: str | os.PathLike[str] | IO[bytes],
    reveal: bool = False,
    ip: str | None = None,
    progress: Callable[[int], object] | None = None,
    stage: Callable[[str], object] | None = None,
) -> int:
    """Export the people of a place the user may see; log each reveal. Returns rows.

    `stage(STAGE_REVEAL)` and `stage(STAGE_WRITE)` are called as those stages begin.
    """
    refresh_expired()  # states that ended by themselves, as every page that shows them
    people = people_to_export(user, level, place)
    if reveal:
        if stage is not None:
            stage(STAGE_REVEAL)
        log_reveals(user=user, person_ids=list(people.values_list("pk", flat=True)), ip=ip)
    if stage is not None:
        stage(STAGE_WRITE)
    return write_people_xlsx(
        target,
        title=place.name,
        header=export_header(),
        rows=export_rows(people, reveal=reveal),
        progress=progress,
    )


def inline_max() -> int:
    """Places of up to this many people are exported in the request; larger ones by a job."""
    return getattr(settings, "SCREENING_EXPORT_INLINE_ROWS", PAGE_INLINE_MAX)


def export_job(context) -> dict[str, Any]:
    """The work of an export job: the file of `people_export`, for its user to download.

    Params: level, place (id), reveal, ip. Scope is applied again when the job runs.
    """
    params = context.params
    place = place_get(context.user, params["level"], params["place"])
    total = people_to_export(context.user, params["level"], place).count()
    stages = {STAGE_REVEAL: _("Logging the reveal for every person"), STAGE_WRITE: _("Writing")}
    rows = people_export(
        user=context.user,
        level=params["level"],
        place=place,
        target=context.output_file(f"{place.name}.xlsx", ".xlsx"),
        reveal=bool(params.get("reveal")),
        ip=params.get("ip"),
        progress=context.progress,
        stage=lambda name: context.stage(stages[name], total=total if name == STAGE_WRITE else 0),
    )
    summary = ngettext("%(n)d person exported.", "%(n)d people exported.", rows) % {"n": rows}
    return {"rows": rows, "summary": summary}
