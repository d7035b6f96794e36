"""Starting background jobs and cleaning up after them."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.utils import timezone, translation

from fangyi.jobs import runner
from fangyi.jobs.choices import ACTIVE, JobStatus
from fangyi.jobs.conf import files_dir, setting
from fangyi.jobs.models import ERR_STALE, Job
from fangyi.jobs.runner import JobFunction


def job_start(
    *,
    user,
    kind: str,
    work: JobFunction,
    params: dict[str, Any] | None = None,
    total: int = 0,
    message: str = "",
) -> Job:
    """Record a job for `user` and start `work(context)` (a thread, or inline in tests).

    `params` must be JSON; the work reads them from its context. Old result files and
    jobs whose process died are cleaned up first.
    """
    jobs_cleanup()
    job = Job.objects.create(
        kind=kind,
        user=user,
        params=params or {},
        total=total,
        message=str(message)[:200],
        language=translation.get_language() or "",
        heartbeat_at=timezone.now(),
    )
    runner.launch(job, work)
    return job


def jobs_cleanup(*, now: dt.datetime | None = None) -> int:
    """Fail jobs whose process died; delete result files older than JOBS_KEEP_SECONDS.

    Returns the number of files deleted.
    """
    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=setting("JOBS_STALE_SECONDS"))
    stale = Job.objects.filter(status__in=ACTIVE, heartbeat_at__lt=stale_before)
    for job in stale.only("pk", "language"):
        with translation.override(job.language or None):
            error = str(ERR_STALE)
        # Conditional: a job that beats again in the meantime is left alone.
        Job.objects.filter(pk=job.pk, status__in=ACTIVE, heartbeat_at__lt=stale_before).update(
            status=JobStatus.FAILED, error=error, finished_at=now
        )
    keep = setting("JOBS_KEEP_SECONDS")
    Job.objects.filter(finished_at__lt=now - dt.timedelta(seconds=keep)).exclude(
        result_file=""
    ).update(result_file="")
    deleted = 0
    oldest = time.time() - keep
    for path in files_dir().iterdir():
        if path.is_file() and path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
