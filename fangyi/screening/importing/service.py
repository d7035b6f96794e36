"""`people_import`: check every row of a list and, with commit and no problem, write all."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.duty.scope import scope_for
from fangyi.places.models import Zone
from fangyi.screening.importing import write
from fangyi.screening.importing.header import Header, blank, mapping_problems
from fangyi.screening.importing.limits import ImportFileError
from fangyi.screening.importing.rows import (
    ERR_DUPLICATE_ROW,
    CheckedRow,
    ImportReport,
    Problem,
    ZonePlaces,
    check_row,
)

# Stages of `people_import`, for its `stage` callback.
STAGE_MATCH = "match"
STAGE_WRITE = "write"

ERR_ZONE_SCOPE = _("You may import only into a zone of your area.")

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

    `rows` may be a stream (`read_table`): only the checked rows are kept (the write
    needs them all). Python's cycle collector is paused meanwhile: an import holds
    hundreds of thousands of them (dicts and objects, none of them cyclic), and each full
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
    places = ZonePlaces(zone)
    column = {name: header.column_name(col) for col, name in mapping.items()}
    columns = sorted(mapping.items())
    parsed: list[CheckedRow] = []
    first_row: dict[tuple[str, str], int] = {}
    problems = report.problems
    index = 0
    for index, row in enumerate(rows, start=1):
        if index <= header.row:
            continue
        if progress is not None and index % 1000 == 0:
            progress(index)
        cells = {name: row[col] if col < len(row) else None for col, name in columns}
        if all(blank(v) for v in cells.values()):
            continue
        report.rows += 1
        checked = check_row(index, cells, column, places, today, problems)
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
    plan = write.plan_import(user, places, parsed, column, problems)
    report.created = len(plan.new)
    report.updated = len(plan.changed)
    report.unchanged = len(parsed) - report.created - report.updated
    report.new_dwellings = len(plan.new_dwellings)
    report.problems.sort(key=lambda p: p.row)
    if commit and report.ok:
        if stage is not None:
            stage(STAGE_WRITE)
        write.write_plan(user, zone, plan, places)
        report.committed = True
    return report
