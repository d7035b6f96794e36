"""Starting background jobs and cleaning up after them."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import transaction
from django.utils import timezone, translation

from fangyi.jobs import runner
from fangyi.jobs.conf import files_dir, setting
from fangyi.jobs.models import Job
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
    """Record a job for `user` and queue `work(context)` for a worker (`fangyi worker`),
    or run it inline (JOBS_RUN_INLINE, tests).

    `work` must be a module-level function (the worker imports it by its dotted path);
    `params` must be JSON; the work reads them from its context. The row and its queue
    entry are written in one transaction: a job is never recorded without a way to run.
    Old result files are cleaned up first.
    """
    inline = setting("JOBS_RUN_INLINE")
    try:
        function = runner.work_path(work)
    except ValueError:
        if not inline:
            raise
        function = ""
    jobs_cleanup()
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            user=user,
            params=params or {},
            total=total,
            message=str(message)[:200],
            language=translation.get_language() or "",
            heartbeat_at=timezone.now(),
            function=function,
        )
        if not inline:
            from fangyi.jobs.worker import enqueue

            enqueue(job)
    if inline:
        runner.launch(job, work)
    return job


def jobs_cleanup(*, now: dt.datetime | None = None) -> int:
    """Delete result files older than JOBS_KEEP_SECONDS (jobs whose worker ended are the
    worker's sweep's: `jobs.worker.jobs_recover`). Returns the number of files deleted."""
    now = now or timezone.now()
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
