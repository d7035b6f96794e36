"""The tasks a worker runs (Django's tasks framework): a job, or a periodic run.

Each takes ids only; what to do is in the rows. Both are safe to run twice: a job is
claimed by a conditional update (queued → running), a periodic run likewise, so a queue
entry that a second worker or a recovery sweep also holds does nothing the second time.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def run_job(job_id: int) -> dict[str, Any]:
    from fangyi.jobs.worker import run_job as run

    return run(job_id)


@task()
def run_periodic(run_id: int) -> dict[str, Any]:
    from fangyi.jobs.worker import run_periodic as run

    return run(run_id)
