"""xlsx exports that stream: worklists, daily reports, lists of people.

openpyxl's write-only mode writes each row to a temporary file as it comes, so
an export of all 551,000 residents of a district runs in bounded memory as long
as the rows come from a generator (e.g. `queryset.values_list(...).iterator()`)::

    rows = ((p.name, p.building_label, p.arrived_on) for p in people.iterator())
    return xlsx_response("隔离人员名单.xlsx", [Sheet("名单", ["姓名", "楼栋", "到达日期"], rows)])

Values: str, int, float, Decimal, bool, date, datetime and None are written as
themselves (dates as real Excel dates with a number format; timezone-aware
datetimes as Asia/Shanghai wall time, since Excel has no time zones). Anything
else is written as `str(value)`. Text is always text: a value typed as
`=HYPERLINK(...)` by a resident is never turned into a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.http import FileResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from fangyi.core.documents import safe_filename

__all__ = [
    "XLSX_CONTENT_TYPE",
    "Sheet",
    "SpreadsheetError",
    "read_xlsx_rows",
    "write_xlsx",
    "xlsx_response",
]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Day boundaries and wall-clock times are Shanghai's (settings.TIME_ZONE).
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
TIME_FORMAT = "hh:mm:ss"

EXCEL_MAX_ROWS = 1_048_576  # header included
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = set("[]:*?/\\")
PROGRESS_EVERY = 1000

TOO_MANY_ROWS = "Sheet {title!r} has more rows than Excel allows ({limit:,}); split it."
DUPLICATE_TITLE = "Two sheets are titled {title!r} (after shortening to 31 characters)."

ProgressCallback = Callable[[int], object]
Target = str | os.PathLike[str] | IO[bytes]


class SpreadsheetError(Exception):
    """An xlsx file cannot be written as asked (too many rows, duplicate sheet titles)."""


@dataclass
class Sheet:
    """One worksheet: a title, a header row, and rows consumed once, in order.

    `column_widths` are in Excel character units, one per column (None keeps the
    default, which is fitted to the header).
    """

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    column_widths: Sequence[float | None] | None = field(default=None)


def _sheet_title(title: str) -> str:
    cleaned = "".join("_" if ch in SHEET_TITLE_FORBIDDEN else ch for ch in title).strip()
    # Excel also refuses a title that starts or ends with an apostrophe.
    cleaned = cleaned.strip("'")[:SHEET_TITLE_MAX]
    return cleaned or "Sheet"


def _display_width(text: str) -> int:
    """Columns a text takes: Chinese characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """Convert one value to what openpyxl writes, with a number format for dates."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if text.startswith("="):
            # openpyxl would store it as a formula; user data must stay text.
            cell = WriteOnlyCell(ws, value=text)
            cell.data_type = "s"
            return cell
        return text
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, dt.time) and value.tzinfo is None:
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = TIME_FORMAT
        return cell
    return _cell(ws, str(value))


def write_xlsx(
    target: Target,
    sheets: Sequence[Sheet],
    *,
    progress: ProgressCallback | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> int:
    """Write `sheets` to `target` (a path or a binary file object); return the rows written.

    Each sheet's header is bold and frozen. `progress(rows_written)` is called every
    `progress_every` data rows (counted over all sheets) and once at the end.
    """
    if not sheets:
        raise SpreadsheetError("An xlsx file needs at least one sheet.")
    workbook = Workbook(write_only=True)
    try:
        bold = Font(bold=True)
        titles: set[str] = set()
        written = 0
        for sheet in sheets:
            title = _sheet_title(sheet.title)
            if title.casefold() in titles:
                raise SpreadsheetError(DUPLICATE_TITLE.format(title=title))
            titles.add(title.casefold())
            ws = workbook.create_sheet(title)
            ws.freeze_panes = "A2"
            widths = list(sheet.column_widths or [])
            for index, label in enumerate(sheet.header):
                width = widths[index] if index < len(widths) else None
                if width is None:
                    width = min(max(_display_width(str(label)) + 4, 10), 60)
                ws.column_dimensions[get_column_letter(index + 1)].width = width
            header_cells = []
            for label in sheet.header:
                cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", str(label)))
                cell.data_type = "s"
                cell.font = bold
                header_cells.append(cell)
            ws.append(header_cells)
            limit = EXCEL_MAX_ROWS - 1
            count = 0
            for row in sheet.rows:
                count += 1
                if count > limit:
                    raise SpreadsheetError(TOO_MANY_ROWS.format(title=title, limit=EXCEL_MAX_ROWS))
                ws.append([_cell(ws, value) for value in row])
                written += 1
                if progress is not None and written % progress_every == 0:
                    progress(written)
            if sheet.header:
                ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.header))}{count + 1}"
        workbook.save(target)
    except BaseException:
        _discard(workbook)
        raise
    if progress is not None and written % progress_every != 0:
        progress(written)
    return written


def _discard(workbook: Workbook) -> None:
    """Close and delete the temporary files of a write-only workbook abandoned midway."""
    for ws in workbook.worksheets:
        with contextlib.suppress(Exception):
            ws.close()
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()


def xlsx_response(
    filename: str,
    sheets: Sequence[Sheet],
    *,
    progress: ProgressCallback | None = None,
) -> FileResponse:
    """Write the workbook to a temporary file and stream it as a download.

    The file is written before the response is returned (xlsx is a zip: it cannot be
    sent before it is finished), so memory stays bounded but the time is spent in the
    request; the temporary file is removed when the response is closed.
    """
    # FileResponse owns the file from here and closes (so deletes) it after sending.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        write_xlsx(handle, sheets, progress=progress)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    name = safe_filename(filename, ".xlsx")
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE)
    # FileResponse would emit a non-ASCII name unencoded; Django's helper does RFC 5987.
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _read_value(cell: Any) -> Any:
    value = cell.value
    # Excel stores dates as datetimes; a date-only number format means it was a date.
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        number_format = (cell.number_format or "").lower()
        if "h" not in number_format and "s" not in number_format:
            return value.date()
    return value


def read_xlsx_rows(
    source: str | os.PathLike[str] | bytes | IO[bytes], sheet: str | int | None = None
) -> list[list[Any]]:
    """All rows of one sheet (by title, by index, or the first), header included.

    Dates written as dates come back as `date`, datetimes as naive Shanghai `datetime`.
    Meant for tests and checks: it holds the sheet in memory.
    """
    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    workbook = load_workbook(source, read_only=True, data_only=True)
    try:
        if sheet is None:
            ws = workbook.worksheets[0]
        elif isinstance(sheet, int):
            ws = workbook.worksheets[sheet]
        else:
            ws = workbook[sheet]
        rows = [[_read_value(cell) for cell in row] for row in ws.iter_rows()]
    finally:
        workbook.close()
    # Trailing empty cells are not stored; pad so every row is as wide as the widest.
    width = max((len(row) for row in rows), default=0)
    return [row + [None] * (width - len(row)) for row in rows]
