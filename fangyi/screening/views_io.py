"""Screening pages: import of resident lists into a zone, export of the people of a place."""

from __future__ import annotations

import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fangyi.core.dbrouter import replica_view
from fangyi.core.middleware import client_ip
from fangyi.core.spreadsheets import XLSX_CONTENT_TYPE
from fangyi.duty.scope import scope_for
from fangyi.duty.selectors import place_get
from fangyi.jobs.choices import ACTIVE, JobKind, JobStatus
from fangyi.jobs.selectors import job_get, jobs_for
from fangyi.jobs.services import job_start
from fangyi.screening import exporting, importing
from fangyi.screening.forms import UploadForm, mapping_choices
from fangyi.screening.importing.limits import ERR_UPLOAD_SIZE, MIB

# A file checked on the page is kept this long for the commit that follows.
UPLOAD_KEEP_SECONDS = 24 * 3600
# The multipart envelope around the file (boundaries, the CSRF token, the headers).
UPLOAD_FORM_OVERHEAD = 64 * 1024


# ---- export and import ----------------------------------------------------------------


@login_required
def place_people(request, level: str, pk: int):
    """Import into a zone, export the people of any place (in scope)."""
    place = _people_place(request, level, pk)
    return render(
        request,
        "screening/place_people.html",
        {
            "place": place,
            "level": level,
            "upload": UploadForm() if level == "zone" else None,
            "total": exporting.people_to_export(request.user, level, place).count(),
            "inline_max": exporting.inline_max(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@replica_view  # heavy reads: from the replica (core.dbrouter)
def export(request, level: str, pk: int):
    """GET: masked; POST with reveal: unmasked, one access-log row per person and field.

    A place of more than `exporting.inline_max()` people is exported by a job (POST only:
    a GET starts no work), whose file only this user may download.
    """
    place = _people_place(request, level, pk)
    reveal = request.method == "POST" and request.POST.get("reveal") == "1"
    total = exporting.people_to_export(request.user, level, place).count()
    if total > exporting.inline_max():
        if request.method != "POST":
            messages.info(request, _("This place is large: start its export with a button."))
            return redirect("screening:place_people", level, pk)
        job = job_start(
            user=request.user,
            kind=JobKind.EXPORT,
            work=exporting.export_job,
            params={
                "level": level,
                "place": place.pk,
                "reveal": reveal,
                "ip": client_ip(request),
                "title": place.name,
            },
            total=total,
        )
        return redirect(job)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
    try:
        exporting.people_export(
            user=request.user,
            level=level,
            place=place,
            target=handle,
            reveal=reveal,
            ip=client_ip(request),
        )
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{place.name}.xlsx")
    return response


def _upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in path.iterdir():
        if now - old.stat().st_mtime > UPLOAD_KEEP_SECONDS:
            old.unlink(missing_ok=True)
    return path


def _upload_path(user, token: str) -> Path:
    if not token.isalnum():
        raise Http404
    path = _upload_dir() / f"{user.pk}-{token}"
    if not path.exists():
        raise Http404
    return path


def _people_place(request, level: str, pk: int):
    """A place whose person files the user sees (a gate guard sees the zone, not them)."""
    place = place_get(request.user, level, pk)
    if not scope_for(request.user).covers_people_of(level, place):
        raise Http404
    return place


def _zone(request, zone_pk: int):
    zone = place_get(request.user, "zone", zone_pk)
    if not scope_for(request.user).covers_people_of("zone", zone):
        raise Http404
    return zone


@login_required
@require_POST
def import_upload(request, zone_pk: int):
    zone = _zone(request, zone_pk)
    back = redirect("screening:place_people", "zone", zone.pk)
    # A body larger than the upload limit is refused before Django reads it to disk.
    limit = importing.current_limits()
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > limit.upload_bytes + UPLOAD_FORM_OVERHEAD:
        messages.error(request, ERR_UPLOAD_SIZE.format(limit=limit.upload_bytes // MIB))
        return back
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return back
    token = secrets.token_hex(12)
    upload = form.cleaned_data["file"]
    suffix = ".csv" if upload.name.lower().endswith(".csv") else ".xlsx"
    path = _upload_dir() / f"{request.user.pk}-{token}"
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    # The whole file is read once, holding nothing: a file over any limit is refused now
    # (with the limit named), and not kept.
    try:
        importing.count_rows(path, upload.name)
    except importing.ImportFileError as exc:
        path.unlink(missing_ok=True)
        messages.error(request, exc.message)
        return back
    request.session[f"import-{token}"] = {"name": upload.name, "suffix": suffix}
    return redirect("screening:import_check", zone.pk, token)


def _mapping_from(post, columns: int) -> dict[int, str]:
    """The mapping as posted: columns of the file to known fields (a forged post's other
    keys and values are ignored)."""
    mapping = {}
    for key, value in post.items():
        col = key.removeprefix("col-")
        known = value in importing.FIELDS_BY_NAME
        if known and key.startswith("col-") and col.isdigit() and int(col[:6]) < columns:
            mapping[int(col)] = value
    return mapping


def _import_job_for(request, zone, token: str):
    """The finished import job (?job=) whose report this page shows, or None."""
    raw = request.GET.get("job", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    job = job_get(request.user, int(raw))
    params = job.params
    if (
        job.kind not in (JobKind.IMPORT_CHECK, JobKind.IMPORT)
        or params.get("token") != token
        or params.get("zone") != zone.pk
    ):
        raise Http404
    return job


def _running_import(user, token: str, kind: str):
    """An import job of this upload still running (a second click joins it)."""
    for job in jobs_for(user).filter(kind=kind, status__in=ACTIVE, params__token=token):
        if not job.is_stale():
            return job
    return None


@login_required
@require_http_methods(["GET", "POST"])
def import_check(request, zone_pk: int, token: str):
    """The mapping (proposed, then as the user set it), the dry run report, the commit.

    A file of up to `importing.inline_rows()` data rows is checked (and imported) in the
    request. A larger one is checked, then imported, by a background job: this page shows
    the mapping and starts the job, and afterwards (`?job=`) shows the job's report.
    """
    zone = _zone(request, zone_pk)
    path = _upload_path(request.user, token)
    meta = request.session.get(f"import-{token}", {})
    filename = meta.get("name", "") or "upload.xlsx"
    context = {"zone": zone, "token": token, "filename": meta.get("name", "")}
    limit = importing.inline_rows()
    job = _import_job_for(request, zone, token) if request.method == "GET" else None
    # With a job's report, only the header is needed; else enough rows to tell the size.
    scan = importing.HEADER_SCAN_ROWS + 2 if job is not None else limit + importing.HEADER_SCAN_ROWS
    try:
        rows, more = importing.read_start(path, filename, scan)
        header = importing.detect_header(rows)
    except importing.ImportFileError as exc:
        context["file_error"] = exc.message
        return render(request, "screening/import.html", context, status=422)
    large = job is not None or more or len(rows) - header.row > limit
    mapping = header.mapping
    if request.method == "POST":
        mapping = _mapping_from(request.POST, len(header.labels))
    elif job is not None:
        mapping = {int(col): name for col, name in job.params.get("mapping", {}).items()}
    context.update(
        header=header,
        columns=[
            (
                i,
                header.column_name(i),
                mapping.get(i, ""),
                [s[i] if i < len(s) else "" for s in header.samples],
            )
            for i in range(len(header.labels))
        ],
        choices=mapping_choices(),
        large=large,
        inline_rows=limit,
        report_limit=importing.REPORT_PROBLEMS_SHOWN,
    )
    if job is not None:
        context["job"] = job
        if job.state == JobStatus.DONE:
            context["report"] = job.result
            context["problems"] = job.result.get("problems", [])
        return render(request, "screening/import.html", context)
    problems = importing.mapping_problems(mapping)
    if problems:
        context["mapping_problems"] = problems
        return render(
            request,
            "screening/import.html",
            context,
            status=422 if request.method == "POST" else 200,
        )
    commit = request.method == "POST" and request.POST.get("commit") == "1"
    if large:
        if request.method != "POST":
            return render(request, "screening/import.html", context)
        kind = JobKind.IMPORT if commit else JobKind.IMPORT_CHECK
        running = _running_import(request.user, token, kind)
        if running is not None:
            return redirect(running)
        started = job_start(
            user=request.user,
            kind=kind,
            work=importing.import_job,
            params={
                "zone": zone.pk,
                "token": token,
                "path": str(path),
                "filename": filename,
                "mapping": {str(col): name for col, name in mapping.items()},
                "commit": commit,
                "title": f"{filename} → {zone.name}",
            },
        )
        return redirect(started)
    report = importing.people_import(
        user=request.user, zone=zone, rows=rows, header=header, mapping=mapping, commit=commit
    )
    context["report"] = report
    context["problems"] = report.problems[: importing.REPORT_PROBLEMS_SHOWN]
    if report.committed:
        path.unlink(missing_ok=True)
        request.session.pop(f"import-{token}", None)
        messages.success(
            request,
            _("Imported: {created} new, {updated} updated, {unchanged} unchanged.").format(
                created=report.created, updated=report.updated, unchanged=report.unchanged
            ),
        )
        return redirect("place", "zone", zone.pk)
    return render(request, "screening/import.html", context)
