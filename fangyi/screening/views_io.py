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

from fangyi.core.spreadsheets import XLSX_CONTENT_TYPE
from fangyi.duty.scope import scope_for
from fangyi.places.selectors import place_get
from fangyi.screening import exporting, importing
from fangyi.screening.forms import UploadForm, mapping_choices

# A file checked on the page is kept this long for the commit that follows.
UPLOAD_KEEP_SECONDS = 24 * 3600
# Exports larger than this belong to `fangyi export people` (they outlast a request).
PAGE_EXPORT_MAX = 200_000


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


# ---- export and import ----------------------------------------------------------------


@login_required
def place_people(request, level: str, pk: int):
    """Import into a zone, export the people of any place (in scope)."""
    place = place_get(request.user, level, pk)
    return render(
        request,
        "screening/place_people.html",
        {
            "place": place,
            "level": level,
            "upload": UploadForm() if level == "zone" else None,
            "total": exporting.people_to_export(request.user, level, place).count(),
            "page_max": PAGE_EXPORT_MAX,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def export(request, level: str, pk: int):
    """GET: masked; POST with reveal: unmasked, one access-log row per person and field."""
    place = place_get(request.user, level, pk)
    reveal = request.method == "POST" and request.POST.get("reveal") == "1"
    if exporting.people_to_export(request.user, level, place).count() > PAGE_EXPORT_MAX:
        messages.error(request, _("Too many people for the page; use `fangyi export people`."))
        return redirect("screening:place_people", level, pk)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
    try:
        exporting.people_export(
            user=request.user,
            level=level,
            place=place,
            target=handle,
            reveal=reveal,
            ip=_client_ip(request),
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


def _zone(request, zone_pk: int):
    zone = place_get(request.user, "zone", zone_pk)
    if not scope_for(request.user).covers("zone", zone):
        raise Http404
    return zone


@login_required
@require_POST
def import_upload(request, zone_pk: int):
    zone = _zone(request, zone_pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("screening:place_people", "zone", zone.pk)
    token = secrets.token_hex(12)
    upload = form.cleaned_data["file"]
    suffix = ".csv" if upload.name.lower().endswith(".csv") else ".xlsx"
    path = _upload_dir() / f"{request.user.pk}-{token}"
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    request.session[f"import-{token}"] = {"name": upload.name, "suffix": suffix}
    return redirect("screening:import_check", zone.pk, token)


@login_required
@require_http_methods(["GET", "POST"])
def import_check(request, zone_pk: int, token: str):
    """The mapping (proposed, then as the user set it), the dry run report, the commit."""
    zone = _zone(request, zone_pk)
    path = _upload_path(request.user, token)
    meta = request.session.get(f"import-{token}", {})
    context = {"zone": zone, "token": token, "filename": meta.get("name", "")}
    try:
        rows = list(importing.read_table(path, meta.get("name", "") or "upload.xlsx"))
        header = importing.detect_header(rows)
    except importing.ImportFileError as exc:
        context["file_error"] = exc.message
        return render(request, "screening/import.html", context, status=422)
    mapping = header.mapping
    if request.method == "POST":
        mapping = {
            int(key.removeprefix("col-")): value
            for key, value in request.POST.items()
            if key.startswith("col-") and value
        }
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
        data_rows=len(rows) - header.row,
        page_max=importing.PAGE_MAX_ROWS,
    )
    if len(rows) - header.row > importing.PAGE_MAX_ROWS:
        context["too_big"] = True
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
    report = importing.people_import(
        user=request.user, zone=zone, rows=rows, header=header, mapping=mapping, commit=commit
    )
    context["report"] = report
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
