"""The background job of a large import (a check, or a commit), and the size of file the
page checks in the request instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from fangyi.places.models import Zone
from fangyi.screening.importing.header import HEADER_SCAN_ROWS, detect_header
from fangyi.screening.importing.read import count_rows, read_start, read_table
from fangyi.screening.importing.service import STAGE_MATCH, STAGE_WRITE, people_import

# The page checks files up to this many rows in the request (a few seconds); larger ones
# are checked and imported by a background job (settings.SCREENING_IMPORT_INLINE_ROWS).
PAGE_MAX_ROWS = 20_000

ERR_UPLOAD_GONE = _(
    "The uploaded file is no longer there (files are kept 24 hours); upload it again."
)


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
    filename = params.get("filename", "")
    # First pass: read the whole file, holding nothing, to count its rows; every limit of
    # the file is checked here (ImportFileError ends the job with the limit named) before
    # a row is checked.
    context.stage(_("Reading the file"), total=0)
    total = count_rows(path, filename, progress=context.progress)
    header = detect_header(read_start(path, filename, HEADER_SCAN_ROWS + 2)[0])
    mapping = {int(col): name for col, name in params["mapping"].items()}
    stages = {STAGE_MATCH: _("Matching existing files"), STAGE_WRITE: _("Saving")}
    context.stage(_("Checking rows"), total=total)
    # Second pass: the rows stream into the check; only the checked rows are kept.
    report = people_import(
        user=context.user,
        zone=zone,
        rows=read_table(path, filename),
        header=header,
        mapping=mapping,
        commit=bool(params.get("commit")),
        progress=context.progress,
        stage=lambda name: context.stage(stages[name], total=0),
    )
    context.progress(total, total=total)  # the job ends on the rows it checked
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
