"""Reading a resident list: the rows of the first sheet of an .xlsx, or of a .csv.

`read_table` checks the file against the limits (limits.py) before it returns, then
streams the rows: memory holds one chunk of the file and the rows made from it, never
the sheet. The xlsx sheet is parsed with expat (the standard library's XML parser) with
callbacks: no element tree is built, so no element with millions of children can grow,
and it is about twice as fast as lxml's iterparse over rows. A DTD is refused (so no
entity is ever declared, let alone expanded); an undefined entity, a bad cell reference
or a shared text out of range is a damaged file, refused with what was wrong.

Values: shared and inline strings as str, numbers as int or float (a date is its Excel
serial number; the date columns convert it), booleans as bool, errors as None.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from django.utils.translation import gettext_lazy as _

from fangyi.screening.importing.limits import (
    ERR_CELL_CHARS,
    ERR_CELL_REF,
    ERR_DTD,
    ERR_LINE_CHARS,
    ERR_NUMBER,
    ERR_ROW_NUMBER,
    ERR_SHARED_INDEX,
    ERR_SHARED_STRINGS,
    ImportFileError,
    Limits,
    column_letters,
    current_limits,
    refuse_archive,
    refuse_column,
    refuse_row,
    refuse_size,
)

ERR_FILE_TYPE = _("Upload an .xlsx or .csv file (.xls is not supported: save it as .xlsx).")
ERR_FILE_UNREADABLE = _("The file cannot be read as a spreadsheet: {error}")
ERR_ENCODING = _("The CSV file is neither UTF-8 nor GBK/GB18030 text.")

Source = str | Path | bytes | IO[bytes]
CHUNK = 64 * 1024
# The sheet's declared range is near its start; this much is read to find it.
HEAD_BYTES = 1024 * 1024
SHEETS_ERRORS = (expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError)


def read_table(source: Source, filename: str = "") -> Iterator[list]:
    """The rows of the first sheet of an .xlsx, or of a .csv, as lists of cell values.

    The file's size, type, parts and declared range are checked now (ImportFileError);
    the rows' limits as they stream (ImportFileError from the iteration, at the first
    row over a limit, before anything is written by the caller).
    """
    limit = current_limits()
    name = (filename or (str(source) if isinstance(source, str | Path) else "")).lower()
    head = _head(source, limit)
    if head.startswith(b"PK"):
        return _xlsx_rows(source, limit)
    if name.endswith(".csv") or (name and not name.endswith((".xlsx", ".xls"))) or not name:
        if head.startswith(b"\xd0\xcf\x11\xe0"):  # an old .xls (OLE2) file
            raise ImportFileError(ERR_FILE_TYPE)
        return _csv_rows(source, limit)
    raise ImportFileError(ERR_FILE_TYPE)


def read_start(source: Source, filename: str, limit: int) -> tuple[list[list], bool]:
    """The first `limit` rows, and whether the file has more (the rest is not read)."""
    table = read_table(source, filename)
    try:
        rows = list(itertools.islice(table, limit))
        more = next(table, None) is not None
    finally:
        close = getattr(table, "close", None)
        if close is not None:
            close()  # an .xlsx reader closes its zip file
    return rows, more


def count_rows(source: Source, filename: str = "", progress=None) -> int:
    """Read the whole file once, holding nothing, and return its number of rows: every
    limit is checked (ImportFileError) before the rows are worked on."""
    count = 0
    for count, _row in enumerate(read_table(source, filename), start=1):
        if progress is not None and count % 1000 == 0:
            progress(count)
    return count


def _head(source: Source, limit: Limits) -> bytes:
    """The first bytes of the file, after checking its size."""
    if isinstance(source, str | Path):
        refuse_size(os.path.getsize(source), limit)
        with open(source, "rb") as handle:
            return handle.read(4)
    if isinstance(source, bytes | bytearray):
        refuse_size(len(source), limit)
        return bytes(source[:4])
    source.seek(0, io.SEEK_END)
    refuse_size(source.tell(), limit)
    source.seek(0)
    head = source.read(4)
    source.seek(0)
    return head


def _binary(source: Source) -> IO[bytes]:
    if isinstance(source, str | Path):
        return open(source, "rb")
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    source.seek(0)
    return source


def _unreadable(exc: BaseException) -> ImportFileError:
    return ImportFileError(ERR_FILE_UNREADABLE.format(error=str(exc)[:200] or type(exc).__name__))


# ---- xlsx -----------------------------------------------------------------------------


def _parser() -> expat.XMLParserType:
    """An expat parser that refuses DTDs (and so every entity declaration)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_dtd(*args: Any) -> None:
        raise ImportFileError(ERR_DTD)

    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    return parser


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _Stop(Exception):
    """Ends a parse early (what was wanted has been seen)."""


def _xml_values(archive: zipfile.ZipFile, path: str, wanted: dict[str, str]) -> dict[str, str]:
    """Attributes of the first elements named in `wanted` ({element: attribute}) of a
    small part (workbook, relationships): parsed until each is seen."""
    found: dict[str, str] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        attr = wanted.get(local)
        if attr is not None and local not in found:
            for key, value in attrs.items():
                if _local(key) == attr:
                    found[local] = value
                    break
            if len(found) == len(wanted):
                raise _Stop

    _parse_part(archive, path, start)
    return found


def _parse_part(archive: zipfile.ZipFile, path: str, start, end=None, data=None) -> None:
    parser = _parser()
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if data is not None:
        parser.CharacterDataHandler = data
    try:
        with archive.open(path) as handle:
            while chunk := handle.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        pass


def _first_sheet_path(archive: zipfile.ZipFile, names: set[str]) -> str:
    sheet = _xml_values(archive, "xl/workbook.xml", {"sheet": "id"})
    rel_id = sheet.get("sheet")
    if rel_id and "xl/_rels/workbook.xml.rels" in names:
        targets: dict[str, str] = {}

        def start(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship" and attrs.get("Id") == rel_id:
                targets["sheet"] = attrs.get("Target", "")
                raise _Stop

        _parse_part(archive, "xl/_rels/workbook.xml.rels", start)
        target = targets.get("sheet")
        if target:
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return "xl/worksheets/sheet1.xml"


def _cell_column(ref: str, memo: dict[str, int], limit: Limits) -> int:
    """The 0-based column of a cell reference ("C12" → 2), within the column limit."""
    letters = ref.rstrip("0123456789")
    index = memo.get(letters)
    if index is not None:
        return index
    digits = ref[len(letters) :]
    if not letters or not digits or not letters.isascii() or not letters.isalpha():
        raise ImportFileError(ERR_CELL_REF.format(ref=ref[:20]))
    if len(letters) > 3:  # beyond XFD, Excel's last column, and any limit
        refuse_column(ref, limit.columns, limit)
    index = -1
    for ch in letters.upper():
        index = (index + 1) * 26 + ord(ch) - 65
    refuse_column(ref, index, limit)
    memo[letters] = index
    return index


def _declared_range(archive: zipfile.ZipFile, path: str, limit: Limits) -> None:
    """Refuse a sheet whose declared range (<dimension ref="A1:Z6000000">) is beyond the
    limits, before its rows are read. The range is only a claim: the rows are checked
    again as they come."""
    found: dict[str, str] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "dimension":
            found["ref"] = attrs.get("ref", "")
            raise _Stop
        if local == "sheetData":
            raise _Stop

    parser = _parser()
    parser.StartElementHandler = start
    read = 0
    try:
        with archive.open(path) as handle:
            while read < HEAD_BYTES and (chunk := handle.read(CHUNK)):
                read += len(chunk)
                parser.Parse(chunk, False)
    except _Stop:
        pass
    last = found.get("ref", "").rpartition(":")[2]
    if not last:
        return
    _cell_column(last, {}, limit)
    digits = last.lstrip("$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    if digits.isdigit() and len(digits) <= 12:
        refuse_row(int(digits), limit)


def _shared_strings(archive: zipfile.ZipFile, limit: Limits) -> list[str]:
    """The shared texts, at most `limit.shared_strings`, each within the cell length."""
    strings: list[str] = []
    parts: list[str] = []
    in_t = in_rph = False
    size = 0
    most, cell_chars = limit.shared_strings, limit.cell_chars

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_t, in_rph, size
        if ":" in name:
            name = _local(name)
        if name == "t":
            in_t = not in_rph
        elif name == "si":
            parts.clear()
            size = 0
        elif name == "rPh":  # a phonetic guide: not part of the text
            in_rph = True

    def end(name: str) -> None:
        nonlocal in_t, in_rph
        if ":" in name:
            name = _local(name)
        if name == "si":
            if len(strings) >= most:
                raise ImportFileError(ERR_SHARED_STRINGS.format(limit=most))
            strings.append("".join(parts))
        elif name == "t":
            in_t = False
        elif name == "rPh":
            in_rph = False

    def data(text: str) -> None:
        nonlocal size
        if in_t:
            parts.append(text)
            size += len(text)
            if size > cell_chars:
                raise ImportFileError(ERR_CELL_CHARS.format(row=len(strings) + 1, limit=cell_chars))

    _parse_part(archive, "xl/sharedStrings.xml", start, end, data)
    return strings


def _xlsx_rows(source: Source, limit: Limits) -> Iterator[list]:
    """Check the zip and the sheet's declared range, load the shared texts (within their
    limits), and return the streaming reader of the first sheet's rows."""
    handle = _binary(source)
    try:
        archive = zipfile.ZipFile(handle)
        infos = archive.infolist()
        refuse_archive(infos, limit)
        names = {info.filename for info in infos}
        sheet_path = _first_sheet_path(archive, names)
        if sheet_path not in names:
            raise KeyError(sheet_path)
        _declared_range(archive, sheet_path, limit)
        strings = _shared_strings(archive, limit) if "xl/sharedStrings.xml" in names else []
    except ImportFileError:
        _close(handle, source)
        raise
    except (*SHEETS_ERRORS, UnicodeError, ValueError) as exc:
        _close(handle, source)
        raise _unreadable(exc) from exc
    return _sheet_rows(archive, handle, source, sheet_path, strings, limit)


def _close(handle: IO[bytes], source: Source) -> None:
    if handle is not source:
        handle.close()


def _sheet_rows(
    archive: zipfile.ZipFile,
    handle: IO[bytes],
    source: Source,
    path: str,
    strings: list[str],
    limit: Limits,
) -> Iterator[list]:
    """The rows of one sheet, streamed: each chunk of the XML is parsed by callbacks
    that build the rows it completes; they are yielded before the next chunk is read."""
    done: list[list] = []  # rows completed by the last chunk
    parts: list[str] = []  # the text of the current cell's value
    memo: dict[str, int] = {}
    cell_chars, count = limit.cell_chars, len(strings)
    # The state of the parse, which the callbacks change.
    row: list[Any] | None = None
    expected = 1  # the number of the next row
    number = col = size = 0
    kind = ref = ""
    collect = in_is = in_rph = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, expected, number, col, size, kind, ref, collect, in_is, in_rph
        if ":" in name:
            name = _local(name)
        if name == "c":
            ref = attrs.get("r") or ""
            if ref:
                col = _cell_column(ref, memo, limit)
            else:
                col = len(row) if row is not None else 0
                refuse_column(column_letters(col), col, limit)
            kind = attrs.get("t", "n")
            parts.clear()
            size = 0
        elif name == "v":
            collect = True
        elif name == "row":
            raw = attrs.get("r")
            if raw is None:
                number = expected
            elif raw.isdigit() and len(raw) <= 12:
                number = int(raw)
            else:
                raise ImportFileError(ERR_ROW_NUMBER.format(value=raw[:20]))
            if number < expected:
                raise ImportFileError(ERR_ROW_NUMBER.format(value=raw))
            refuse_row(number, limit)
            while expected < number:  # rows with no cells are not stored
                done.append([])
                expected += 1
            expected = number + 1
            row = []
        elif name == "is":
            in_is = True
        elif name == "t":
            collect = in_is and not in_rph
        elif name == "rPh":
            in_rph = True

    def end(name: str) -> None:
        nonlocal row, collect, in_is, in_rph
        if ":" in name:
            name = _local(name)
        if name == "c":
            if row is None:
                return  # a cell outside a row: nothing to put it in
            text = "".join(parts) if parts else None
            value: Any
            if kind == "inlineStr":
                value = text or ""
            elif text is None:
                value = None
            elif kind == "s":
                if not text.isdigit() or int(text) >= count:
                    raise ImportFileError(
                        ERR_SHARED_INDEX.format(ref=ref, index=text[:20], count=count)
                    )
                value = strings[int(text)]
            elif kind == "n":
                try:
                    as_float = float(text)
                except ValueError:
                    raise ImportFileError(ERR_NUMBER.format(ref=ref, value=text[:20])) from None
                is_int = as_float.is_integer() and "E" not in text.upper()
                value = int(text.split(".")[0]) if is_int else as_float
            elif kind == "b":
                value = text == "1"
            elif kind == "e":
                value = None
            else:
                value = text
            length = len(row)
            if col == length:
                row.append(value)
            elif col > length:
                row.extend([None] * (col - length))
                row.append(value)
            else:
                row[col] = value
        elif name == "v" or name == "t":
            collect = False
        elif name == "row":
            if row is not None:
                done.append(row)
            row = None
        elif name == "is":
            in_is = False
        elif name == "rPh":
            in_rph = False

    def data(text: str) -> None:
        nonlocal size
        if collect:
            parts.append(text)
            size += len(text)
            if size > cell_chars:
                raise ImportFileError(ERR_CELL_CHARS.format(row=number, limit=cell_chars))

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        with archive, archive.open(path) as sheet:
            while chunk := sheet.read(CHUNK):
                parser.Parse(chunk, False)
                if done:
                    yield from done
                    done.clear()
            parser.Parse(b"", True)
            yield from done
    except ImportFileError:
        raise
    except (*SHEETS_ERRORS, UnicodeError) as exc:
        raise _unreadable(exc) from exc
    finally:
        _close(handle, source)


# ---- csv ------------------------------------------------------------------------------


def _encoding(source: Source) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes so, else GB18030 (a superset
    of GBK); decoded in chunks, holding nothing."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        handle = _binary(source)
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
        finally:
            _close(handle, source)
    raise ImportFileError(ERR_ENCODING)


def _csv_rows(source: Source, limit: Limits) -> Iterator[list]:
    encoding = _encoding(source)
    handle = _binary(source)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        sample = text.read(4096)
        text.seek(0)
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
        text.seek(0)
    except BaseException:
        text.detach()
        _close(handle, source)
        raise
    return _csv_stream(text, handle, source, dialect, limit)


def _csv_stream(text, handle, source, dialect, limit: Limits) -> Iterator[list]:
    line_chars, cell_chars, columns = limit.line_chars, limit.cell_chars, limit.columns
    lines_read = [0]

    def lines() -> Iterator[str]:
        # Physical lines, each at most `line_chars` long: csv would otherwise build a
        # row of any width from one line of commas.
        while line := text.readline(line_chars + 1):
            lines_read[0] += 1
            if len(line) > line_chars:
                raise ImportFileError(ERR_LINE_CHARS.format(row=lines_read[0], limit=line_chars))
            yield line

    number = 0
    try:
        for row in csv.reader(lines(), dialect):
            number += 1
            refuse_row(number, limit)
            if len(row) > columns:
                refuse_column(column_letters(len(row) - 1), len(row) - 1, limit)
            if row and max(map(len, row)) > cell_chars:
                raise ImportFileError(ERR_CELL_CHARS.format(row=number, limit=cell_chars))
            yield row
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ImportFileError(ERR_CELL_CHARS.format(row=number + 1, limit=cell_chars)) from exc
        raise _unreadable(exc) from exc
    finally:
        text.detach()
        _close(handle, source)
