"""What an import accepts of a file, and the refusals that name the limit.

A spreadsheet is a zip of XML: a few kilobytes can unpack to gigabytes, declare millions
of rows, or put a cell in column ZZZZZ. Every limit here is checked before the work it
guards: the size of the upload and of every part of the zip (as its directory declares
it; Python's zipfile stops a part at its declared size and refuses it by its CRC), how
much a part unpacks per packed byte, and the range the sheet declares, before a row is
read; the rows, columns, cell lengths and shared texts while the rows stream, at the
first one over. A file within the limits is read in bounded memory: rows are streamed,
never held as a whole sheet, and no structure is sized by a column letter.

The defaults fit the largest real lists (a community of 46,000 residents, a street's
100,000) with room to spare; `settings.SCREENING_IMPORT_LIMITS` (a dict of the fields of
`Limits`) changes them for a deployment.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.utils.translation import gettext_lazy as _

MIB = 2**20

ERR_UPLOAD_SIZE = _("The file is larger than {limit} MB, the most an import takes.")
ERR_PARTS = _("The xlsx file has more than {limit} parts, the most an import opens.")
ERR_UNPACKED = _(
    "The xlsx file unpacks to more than {limit} MB, the most an import reads: split the list."
)
ERR_RATIO = _(
    "A part of the xlsx file ({part}) unpacks to more than {limit} times its packed size, "
    "the most an import accepts: it is not an ordinary spreadsheet."
)
ERR_ROWS = _(
    "The sheet goes beyond row {limit:,} (row {row:,}), the most an import reads: "
    "split the list into smaller files."
)
ERR_COLUMNS = _(
    "The sheet has a cell in column {column}, beyond column {last} ({limit} columns), "
    "the most an import reads."
)
ERR_CELL_CHARS = _(
    "A cell on row {row:,} has more than {limit:,} characters, the most a spreadsheet cell holds."
)
ERR_LINE_CHARS = _(
    "Line {row:,} of the CSV file is longer than {limit:,} characters, the most an import reads."
)
ERR_SHARED_STRINGS = _(
    "The xlsx file has more than {limit:,} distinct texts, the most an import reads."
)
ERR_SHARED_INDEX = _(
    "The file is damaged: cell {ref} refers to text number {index}, but the file has {count:,}."
)
ERR_CELL_REF = _("The file is damaged: {ref} is not a cell reference.")
ERR_ROW_NUMBER = _("The file is damaged: {value} is not a row number.")
ERR_NUMBER = _("The file is damaged: cell {ref} holds {value} as a number.")
ERR_DTD = _("The file declares a DTD (entities), which spreadsheets do not: it is refused.")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; `message` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclasses.dataclass(frozen=True)
class Limits:
    """What an import accepts (see the module's docstring)."""

    upload_bytes: int = 50 * MIB
    rows: int = 200_000  # the last sheet row read, title and header rows included
    columns: int = 200
    cell_chars: int = 32_767  # Excel's own limit for a cell
    line_chars: int = MIB  # a physical line of a CSV file
    parts: int = 1_000  # members of an xlsx zip
    unpacked_bytes: int = 512 * MIB  # all members of an xlsx zip together
    ratio: int = 100  # unpacked / packed size of one member (Apache POI's default)
    ratio_from_bytes: int = MIB  # the ratio is checked for members larger than this
    shared_strings: int = 1_000_000


def current_limits() -> Limits:
    """The limits in force (the defaults, changed by settings.SCREENING_IMPORT_LIMITS)."""
    return Limits(**getattr(settings, "SCREENING_IMPORT_LIMITS", {}))


def column_letters(index: int) -> str:
    """Excel's letters of a 0-based column index (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def refuse_size(size: int, limit: Limits) -> None:
    if size > limit.upload_bytes:
        raise ImportFileError(ERR_UPLOAD_SIZE.format(limit=limit.upload_bytes // MIB))


def refuse_archive(infos, limit: Limits) -> None:
    """Refuse a zip whose directory declares too many parts, too much unpacked data, or a
    part packed like a bomb. The declared sizes bind: zipfile reads no further."""
    if len(infos) > limit.parts:
        raise ImportFileError(ERR_PARTS.format(limit=limit.parts))
    total = 0
    for info in infos:
        total += info.file_size
        if total > limit.unpacked_bytes:
            raise ImportFileError(ERR_UNPACKED.format(limit=limit.unpacked_bytes // MIB))
        if info.file_size > limit.ratio_from_bytes and info.file_size > limit.ratio * max(
            info.compress_size, 1
        ):
            raise ImportFileError(ERR_RATIO.format(part=info.filename[:100], limit=limit.ratio))


def refuse_row(number: int, limit: Limits) -> None:
    if number > limit.rows:
        raise ImportFileError(ERR_ROWS.format(limit=limit.rows, row=number))


def refuse_column(ref: str, index: int, limit: Limits) -> None:
    if index >= limit.columns:
        raise ImportFileError(
            ERR_COLUMNS.format(
                column=ref[:20], last=column_letters(limit.columns - 1), limit=limit.columns
            )
        )
