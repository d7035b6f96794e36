"""Running a job's work: in a worker process (`fangyi worker`), or inline (tests).

No broker: deployments are closed networks with the app and its database only. A job is
queued in the database (Django's tasks framework, django_tasks_db's backend) in the same
transaction as its row; a worker process takes it, runs it in its main thread and
reports progress into memory; a second thread, the ticker, writes the counters and the
heartbeat to the job row at most every JOBS_PROGRESS_SECONDS, on its own database
connection, so progress is visible while the work sits inside a long transaction and no
row costs a write. A worker that ends mid-job leaves a stale heartbeat: the next sweep
(`jobs.worker.jobs_recover`) queues the job again or, after JOBS_MAX_ATTEMPTS, fails it
with the reason. A worker asked to stop (SIGTERM, Ctrl-C) gives its job back to the queue.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, OperationalError, connections
from django.http import Http404
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from fangyi.jobs.choices import ACTIVE, JobStatus
from fangyi.jobs.conf import files_dir, setting
from fangyi.jobs.models import Job

logger = logging.getLogger(__name__)

ERR_FAILED = _("The job failed: {error}")
ERR_NOT_FOUND = _("What the job works on no longer exists or is no longer in your area.")


class JobError(Exception):
    """A failure whose message is meant for the user as it is."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class JobContext:
    """What the work sees: the job (its user and params) and ways to report.

    `progress(done, total)` and `stage(message)` only change memory (cheap enough to
    call per row); `output_file(name, suffix)` gives the path to write the result file
    to. The return value of the work (a dict) becomes the job's `result`.
    """

    def __init__(self, job: Job, *, inline: bool) -> None:
        self.job = job
        self.params: dict[str, Any] = job.params
        self.user = job.user
        self.done = job.done
        self.total = job.total
        self.message = job.message
        self.file: Path | None = None
        self.file_name = ""
        self._inline = inline
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._dirty = False
        self._written = time.monotonic()

    def progress(self, done: int, total: int | None = None) -> None:
        with self._lock:
            self.done = max(0, done)
            if total is not None:
                self.total = max(0, total)
            self._dirty = True
        if self._inline:
            self.flush()

    def stage(self, message: Any, *, total: int | None = None, done: int = 0) -> None:
        """A new stage of the work (its message shown over the bar), counting afresh.

        Written at once by the calling thread (stages are few): a stage often begins a
        long transaction, during which SQLite keeps the ticker from writing, and the
        page should say what is going on meanwhile. Call it outside transactions.
        """
        with self._lock:
            self.message = str(message)[:200]
            self.done = done
            if total is not None:
                self.total = total
            self._dirty = True
        try:
            self.flush(force=True)
        except DatabaseError:
            logger.debug("job %s: stage not written", self.job.pk)

    def output_file(self, name: str, suffix: str = "") -> Path:
        """The path to write the result file to; `name` is what the download is called."""
        self.file = files_dir() / f"{self.job.pk}-{secrets.token_hex(8)}{suffix}"
        self.file_name = name
        return self.file

    def discard_file(self) -> None:
        if self.file is not None:
            self.file.unlink(missing_ok=True)
            self.file = None

    def counters(self) -> dict[str, Any]:
        with self._lock:
            return {"done": self.done, "total": self.total, "message": self.message}

    def flush(self, *, force: bool = False) -> None:
        """Write progress and heartbeat if due (changes: every JOBS_PROGRESS_SECONDS;
        heartbeat alone: every JOBS_HEARTBEAT_SECONDS). Only while the job is active."""
        now = time.monotonic()
        since = now - self._written
        due = since >= setting("JOBS_PROGRESS_SECONDS") if self._dirty else False
        if not (force or due or since >= setting("JOBS_HEARTBEAT_SECONDS")):
            return
        # One write at a time (work and ticker), so an older snapshot never lands last.
        with self._write_lock:
            with self._lock:
                values = {"done": self.done, "total": self.total, "message": self.message}
                self._dirty = False
            self._written = now
            Job.objects.filter(pk=self.job.pk, status__in=ACTIVE).update(
                **values, heartbeat_at=timezone.now()
            )


JobFunction = Callable[[JobContext], dict[str, Any] | None]


def error_text(exc: BaseException) -> str:
    """What the user reads about a failure, in the active language."""
    message = getattr(exc, "message", None)
    if message is not None:
        return str(message)
    if isinstance(exc, PermissionDenied) and str(exc):
        return str(exc)
    if isinstance(exc, Http404):
        return str(ERR_NOT_FOUND)
    return str(ERR_FAILED).format(error=f"{type(exc).__name__}: {exc}")


def _record(job_id: int, **values: Any) -> None:
    """Write a job's status. SQLite may answer "table is locked" at once instead of
    waiting (a shared-cache database, as the tests use, while the ticker writes): the
    status must land, so try again for a few seconds."""
    for attempt in range(50):
        try:
            Job.objects.filter(pk=job_id).update(**values)
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)


def execute(job: Job, work: JobFunction, context: JobContext, *, mark_running: bool = True) -> None:
    """Run the work and record how it ended (in the language of whoever started it)."""
    if mark_running:
        started = timezone.now()
        _record(job.pk, status=JobStatus.RUNNING, started_at=started, heartbeat_at=started)
    final: dict[str, Any]
    with translation.override(job.language or None):
        try:
            result = work(context) or {}
        except Exception as exc:
            if getattr(exc, "message", None) is None and not isinstance(
                exc, PermissionDenied | Http404
            ):
                logger.exception("job %s (%s) failed", job.pk, job.kind)
            context.discard_file()
            final = {"status": JobStatus.FAILED, "error": error_text(exc)}
        else:
            final = {
                "status": JobStatus.DONE,
                "result": result,
                "result_file": context.file.name if context.file else "",
                "result_name": context.file_name if context.file else "",
            }
    finished = timezone.now()
    _record(job.pk, **final, **context.counters(), finished_at=finished, heartbeat_at=finished)


class _Ticker(threading.Thread):
    """Writes a job's progress and heartbeat on its own connection until stopped."""

    def __init__(self, context: JobContext) -> None:
        super().__init__(name=f"job-{context.job.pk}-ticker", daemon=True)
        self.context = context
        self._stop_event = threading.Event()

    def run(self) -> None:
        interval = min(setting("JOBS_PROGRESS_SECONDS"), setting("JOBS_HEARTBEAT_SECONDS"))
        try:
            while not self._stop_event.wait(interval):
                try:
                    self.context.flush()
                except DatabaseError:
                    # SQLite: the work holds the write lock; the next tick tries again.
                    logger.debug("job %s: progress not written", self.context.job.pk)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


class WorkerStopping(BaseException):
    """Raised in the work when the worker is asked to stop: the job goes back to the queue.

    A BaseException, so that the work's own `except Exception` does not swallow it."""


def work_path(work: JobFunction) -> str:
    """The dotted path a worker imports the work by; only module-level functions can be."""
    module = getattr(work, "__module__", None)
    name = getattr(work, "__qualname__", "")
    if not module or not name or "<" in name:
        raise ValueError(f"A job's work must be a module-level function, not {work!r}")
    path = f"{module}.{name}"
    if import_string(path) is not work:
        raise ValueError(f"A job's work must be importable as {path}")
    return path


def run_claimed(job: Job, *, worker_id: str) -> None:
    """Run a job a worker has claimed (status running), with its ticker."""
    work = import_string(job.function)
    context = JobContext(job, inline=False)
    ticker = _Ticker(context)
    ticker.start()
    try:
        execute(job, work, context, mark_running=False)
    except WorkerStopping:
        context.discard_file()
        raise
    finally:
        ticker.stop()


def launch(job: Job, work: JobFunction) -> None:
    """Inline (JOBS_RUN_INLINE), or queued for a worker in the caller's transaction."""
    if setting("JOBS_RUN_INLINE"):
        execute(job, work, JobContext(job, inline=True))
        job.refresh_from_db()
        return
    from fangyi.jobs.tasks import run_job

    result = run_job.enqueue(job.pk)
    job.task_id = str(result.id)
    Job.objects.filter(pk=job.pk).update(task_id=job.task_id)
