"""Importing a community's resident spreadsheet (.xlsx or .csv) into one zone.

The steps, one module each: `read` turns the file into rows, streamed, within the
`limits` (upload size, unpacked size and packing ratio, rows, columns, cell length,
shared texts: checked before the work they guard, refused with the limit named);
`header` finds the header row (title rows and blank rows above it are skipped, a second
header row under merged cells is folded in) and proposes a column → field mapping from
the synonyms communities use; the user confirms or fixes it; `rows` checks every row;
`service.people_import` runs the check (a dry run) and, with `commit=True` and no
problem at all, `write` writes everything in one transaction; `job` does the same for a
large file in the background.

Matching is by document (type, number): a row whose person exists updates that file
(fields that differ only, with history); an identical re-import writes nothing. Empty
cells never blank a file. Buildings must exist in the zone (a typo must not create a
building on the map); a missing room in an existing building is created (dwellings are
just numbers on a floor, and lists are often more complete than the registry).

Writes are set-based: existing files are looked up in chunks, new files, households,
dwellings and history rows are `bulk_create`d, changed files `bulk_update`d, recording
the same PersonEvent rows as `people.services` (source "import").
"""

from fangyi.screening.importing.header import (
    ERR_MAPPING_MISSING,
    ERR_MAPPING_TWICE,
    ERR_NO_HEADER,
    FIELDS,
    FIELDS_BY_NAME,
    HEADER_SCAN_ROWS,
    FieldSpec,
    Header,
    detect_header,
    field_for_label,
    mapping_problems,
)
from fangyi.screening.importing.job import (
    ERR_UPLOAD_GONE,
    PAGE_MAX_ROWS,
    import_job,
    inline_rows,
)
from fangyi.screening.importing.limits import ImportFileError, Limits, current_limits
from fangyi.screening.importing.read import (
    ERR_ENCODING,
    ERR_FILE_TYPE,
    ERR_FILE_UNREADABLE,
    count_rows,
    read_start,
    read_table,
)
from fangyi.screening.importing.rows import (
    ERR_BUILDING_MISSING,
    ERR_BUILDING_UNKNOWN,
    ERR_DATE,
    ERR_DOC_TYPE,
    ERR_DUPLICATE_ROW,
    ERR_FLOOR,
    ERR_FLOOR_FORMAT,
    ERR_ROOM_MISSING,
    ERR_SEX,
    ERR_SEX_MISMATCH,
    ERR_TOO_LONG,
    ERR_TRAVEL,
    REPORT_PROBLEMS_SHOWN,
    ImportReport,
    Problem,
)
from fangyi.screening.importing.service import (
    ERR_ZONE_SCOPE,
    STAGE_MATCH,
    STAGE_WRITE,
    people_import,
)
from fangyi.screening.importing.write import SOURCE

__all__ = [
    "ERR_BUILDING_MISSING",
    "ERR_BUILDING_UNKNOWN",
    "ERR_DATE",
    "ERR_DOC_TYPE",
    "ERR_DUPLICATE_ROW",
    "ERR_ENCODING",
    "ERR_FILE_TYPE",
    "ERR_FILE_UNREADABLE",
    "ERR_FLOOR",
    "ERR_FLOOR_FORMAT",
    "ERR_MAPPING_MISSING",
    "ERR_MAPPING_TWICE",
    "ERR_NO_HEADER",
    "ERR_ROOM_MISSING",
    "ERR_SEX",
    "ERR_SEX_MISMATCH",
    "ERR_TOO_LONG",
    "ERR_TRAVEL",
    "ERR_UPLOAD_GONE",
    "ERR_ZONE_SCOPE",
    "FIELDS",
    "FIELDS_BY_NAME",
    "HEADER_SCAN_ROWS",
    "PAGE_MAX_ROWS",
    "REPORT_PROBLEMS_SHOWN",
    "SOURCE",
    "STAGE_MATCH",
    "STAGE_WRITE",
    "FieldSpec",
    "Header",
    "ImportFileError",
    "ImportReport",
    "Limits",
    "Problem",
    "count_rows",
    "current_limits",
    "detect_header",
    "field_for_label",
    "import_job",
    "inline_rows",
    "mapping_problems",
    "people_import",
    "read_start",
    "read_table",
]
