"""Reading jobs: each is visible only to the user who started it."""

from __future__ import annotations

from pathlib import Path

from django.db.models import QuerySet
from django.http import Http404

from fangyi.jobs.choices import JobStatus
from fangyi.jobs.conf import files_dir
from fangyi.jobs.models import Job


def jobs_for(user) -> QuerySet[Job]:
    """The user's own jobs, newest first."""
    if not user.is_authenticated:
        return Job.objects.none()
    return Job.objects.filter(user=user)


def job_get(user, pk: int) -> Job:
    """One of the user's jobs, or 404 (also for other users' jobs)."""
    job = jobs_for(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def job_file(job: Job) -> Path | None:
    """The finished job's result file, if it is still kept."""
    if job.state != JobStatus.DONE or not job.result_file:
        return None
    path = files_dir() / Path(job.result_file).name
    return path if path.is_file() else None


def workers_running() -> bool:
    """Whether a job worker (`fangyi worker`) beats now (jobs.health's rule)."""
    from fangyi.jobs.health import check_worker

    return check_worker()["status"] == "ok"
