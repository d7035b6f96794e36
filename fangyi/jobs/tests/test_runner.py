"""The runner: progress written at most every interval, failures, stale jobs, clean-up,
and a real worker (in a thread) running a queued job."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pytest
from django.utils import timezone, translation

from fangyi.jobs.choices import JobKind, JobStatus
from fangyi.jobs.conf import files_dir
from fangyi.jobs.models import ERR_STALE, Job
from fangyi.jobs.runner import ERR_FAILED, JobError
from fangyi.jobs.services import job_start

pytestmark = pytest.mark.django_db


def _db(job: Job) -> Job:
    return Job.objects.get(pk=job.pk)


def test_progress_counters_move(tree, settings):
    settings.JOBS_PROGRESS_SECONDS = 0
    seen = []

    def work(context):
        context.stage("counting", total=3)
        for n in (1, 2, 3):
            context.progress(n)
            row = Job.objects.get(pk=context.job.pk)
            seen.append((row.status, row.done, row.total, row.message))
        return {"answer": 42}

    job = job_start(user=tree.users["zone"], kind=JobKind.EXPORT, work=work)
    assert seen == [("running", n, 3, "counting") for n in (1, 2, 3)]
    job = _db(job)
    assert (job.status, job.done, job.total, job.percent, job.result) == (
        JobStatus.DONE, 3, 3, 100, {"answer": 42}
    )  # fmt: skip
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at


def test_progress_is_not_written_per_row(tree, settings):
    settings.JOBS_PROGRESS_SECONDS = 3600
    settings.JOBS_HEARTBEAT_SECONDS = 3600
    seen = []

    def work(context):
        context.stage("rows", total=10_000)
        for n in range(1, 10_001):
            context.progress(n)
        seen.append(Job.objects.get(pk=context.job.pk).done)

    job = job_start(user=tree.users["zone"], kind=JobKind.EXPORT, work=work)
    assert seen == [0]  # 10,000 calls, no write within the interval
    assert _db(job).done == 10_000  # the end is always written


def test_failing_job_shows_its_error_and_keeps_no_file(tree):
    made = []

    def work(context):
        path = context.output_file("x.xlsx", ".xlsx")
        path.write_bytes(b"half")
        made.append(path)
        raise ValueError("disk on fire")

    with translation.override("en"):
        job = _db(job_start(user=tree.users["zone"], kind=JobKind.EXPORT, work=work))
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    with translation.override("en"):
        assert job.error == str(ERR_FAILED).format(error="ValueError: disk on fire")
    assert not made[0].exists() and job.result_file == ""


def test_job_error_message_is_shown_as_is(tree):
    def work(context):
        raise JobError("Upload it again.")

    job = _db(job_start(user=tree.users["zone"], kind=JobKind.IMPORT, work=work))
    assert (job.status, job.error) == (JobStatus.FAILED, "Upload it again.")


def test_stale_heartbeat_reads_waiting_then_failed_when_no_attempt_is_left(tree, settings):
    settings.JOBS_STALE_SECONDS = 120
    settings.JOBS_MAX_ATTEMPTS = 2
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    user = tree.users["zone"]
    stale = Job.objects.create(
        kind=JobKind.EXPORT, user=user, status=JobStatus.RUNNING, language="en", attempts=1
    )
    Job.objects.filter(pk=stale.pk).update(heartbeat_at=long_ago)
    alive = Job.objects.create(
        kind=JobKind.EXPORT, user=user, status=JobStatus.RUNNING, heartbeat_at=timezone.now()
    )
    stale = _db(stale)
    assert stale.status == JobStatus.RUNNING  # as stored
    # Its worker ended; the sweep will begin it again: it waits, it has not failed.
    assert stale.state == JobStatus.QUEUED and not stale.finished
    Job.objects.filter(pk=stale.pk).update(attempts=2)
    stale = _db(stale)
    assert stale.state == JobStatus.FAILED and stale.finished
    with translation.override("en"):
        assert stale.error_text == str(ERR_STALE)
    assert _db(alive).state == JobStatus.RUNNING


def test_result_files_are_deleted_after_a_day(tree):
    user = tree.users["zone"]
    directory = files_dir()
    old, fresh = directory / "1-old.xlsx", directory / "2-fresh.xlsx"
    old.write_bytes(b"old")
    fresh.write_bytes(b"fresh")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    finished = timezone.now() - dt.timedelta(days=2)
    old_job = Job.objects.create(
        kind=JobKind.EXPORT, user=user, status=JobStatus.DONE, result_file=old.name,
        result_name="a.xlsx", finished_at=finished,
    )  # fmt: skip
    # Starting a job cleans up.
    job_start(user=user, kind=JobKind.EXPORT, work=lambda context: None)
    assert not old.exists() and fresh.exists()
    assert _db(old_job).result_file == ""


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_job_in_the_background_and_finishes(tree, settings, job_worker):
    from fangyi.jobs.tests import work

    settings.JOBS_PROGRESS_SECONDS = 0.05
    work.halfway.clear()
    work.proceed.clear()
    job = job_start(user=tree.users["zone"], kind=JobKind.EXPORT, work=work.held)
    assert _db(job).function == "fangyi.jobs.tests.work.held"
    assert work.halfway.wait(20)
    # The ticker writes the progress while the work is still going.
    row = _wait_for(job, lambda r: r.done == 5)
    assert (row.status, row.total, row.message) == (JobStatus.RUNNING, 10, "halves")
    assert (row.worker, row.attempts) == ("test-worker", 1)
    work.proceed.set()
    row = _wait_for(job, lambda r: r.status == JobStatus.DONE)
    assert (row.done, row.result["ok"], row.heartbeat_at is not None) == (10, True, True)
    assert row.result["thread"] != threading.get_ident()


def _wait_for(job: Job, condition, seconds: float = 20) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = _db(job)
        if condition(row):
            return row
        time.sleep(0.02)
    raise AssertionError(f"job {job.pk} never got there: {_db(job).__dict__}")
