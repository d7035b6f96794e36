"""Pages of background jobs: progress (polled with htmx), result, download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fangyi.jobs.choices import JobStatus
from fangyi.jobs.selectors import job_file, job_get, jobs_for, workers_running

RECENT = 20


@login_required
@require_GET
def index(request):
    """The user's recent jobs."""
    return render(request, "jobs/index.html", {"jobs": jobs_for(request.user)[:RECENT]})


def _context(job) -> dict:
    waiting = job.state == JobStatus.QUEUED
    return {
        "job": job,
        "file_kept": job_file(job) is not None,
        "no_worker": waiting and not workers_running(),
    }


@login_required
@require_GET
def detail(request, pk: int):
    job = job_get(request.user, pk)
    return render(request, "jobs/job.html", _context(job))


@login_required
@require_GET
def progress(request, pk: int):
    """The progress block alone, for htmx to swap in every second until the job ends."""
    job = job_get(request.user, pk)
    return render(request, "jobs/_progress.html", _context(job))


@login_required
@require_GET
def download(request, pk: int):
    job = job_get(request.user, pk)
    path = job_file(job)
    if path is None:
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=job.result_name)
