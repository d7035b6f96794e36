"""The worker process (`fangyi worker`): runs queued jobs and the periodic tasks.

- **Queue.** Jobs are queued in the database by Django's tasks framework (backend
  django_tasks_db: no broker, SQLite and PostgreSQL; PostgreSQL hands an entry to one
  worker with `SELECT … FOR UPDATE SKIP LOCKED`, SQLite with its write lock). The worker's
  main thread takes one entry at a time and runs it (`tasks.run_job`, `tasks.run_periodic`).
- **Claims.** A job or periodic run is claimed by a conditional update (queued → running);
  an entry whose row is not queued any more does nothing, so a job queued twice (a
  recovery racing a slow worker) runs once.
- **Scheduler.** A second thread, every WORKER_TICK_SECONDS: writes the worker's
  heartbeat (`WorkerBeat`, read by /healthz), recovers jobs of workers that ended
  (`jobs_recover`), and records the periodic runs that are due (`Scheduler.tick`) —
  `PeriodicRun(name, period)` is unique, so with two workers each period runs once.
- **Stopping.** SIGTERM or Ctrl-C: the worker takes no more entries; a job it is running
  is interrupted (`WorkerStopping`), its transaction rolled back, and it goes back to the
  queue for the next worker. A worker killed outright (SIGKILL, a crash, the machine)
  leaves its job running with a heartbeat that stops: after JOBS_STALE_SECONDS the
  next sweep of any worker queues it again, up to JOBS_MAX_ATTEMPTS, then fails it
  with the reason. Nothing is lost either way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import threading
import time
from types import FrameType
from typing import Any

from django.db import (
    DatabaseError,
    IntegrityError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from fangyi.jobs import runner
from fangyi.jobs.choices import JobStatus
from fangyi.jobs.conf import setting
from fangyi.jobs.models import ERR_STALE, Job, PeriodicRun, WorkerBeat
from fangyi.jobs.periodic import BY_NAME, PERIODIC, Periodic

logger = logging.getLogger(__name__)

MSG_AGAIN = _("Begun again: the worker running it stopped before it finished.")
MSG_BACK = _("Waiting again: the worker running it was stopped; another will take it.")

# The id of this process's worker (set by `fangyi worker`; "" elsewhere, e.g. tests
# that run entries by hand).
current_worker_id = ""


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"


# ---- jobs ----


def _patiently(update: Any, **values: Any) -> int:
    """A claim that must not fail because SQLite answered "locked" at once."""
    for attempt in range(50):
        try:
            return update(**values)
        except OperationalError as exc:
            if not is_locked_database_exception(exc) or attempt == 49:
                raise
            time.sleep(0.1)
    return 0


def enqueue(job: Job) -> str:
    """A queue entry for the job (in the caller's transaction); its id is on the row."""
    from fangyi.jobs.tasks import run_job

    result = run_job.enqueue(job.pk)
    task_id = str(result.id)
    Job.objects.filter(pk=job.pk).update(task_id=task_id)
    job.task_id = task_id
    return task_id


def run_job(job_id: int) -> dict[str, Any]:
    """Claim the job (queued → running) and run it; a job not queued any more is left."""
    now = timezone.now()
    claimed = _patiently(
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update,
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        worker=current_worker_id,
        done=0,
    )
    if not claimed:
        return {"job": job_id, "skipped": True}
    job = Job.objects.select_related("user").get(pk=job_id)
    try:
        runner.run_claimed(job, worker_id=current_worker_id)
    except WorkerStoppingError:
        _give_back(job_id)
        raise
    return {"job": job_id}


WorkerStoppingError = runner.WorkerStopping


def _give_back(job_id: int) -> None:
    """The worker was asked to stop mid-job: the job waits again (not an attempt)."""
    with contextlib.suppress(DatabaseError):
        connections["default"].close()  # the interrupted query may have left it unusable
    job = Job.objects.filter(pk=job_id).only("language").first()
    if job is None:
        return
    with translation.override(job.language or None):
        message = str(MSG_BACK)
    with transaction.atomic():
        back = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.QUEUED,
            attempts=F("attempts") - 1,
            message=message[:200],
            done=0,
            heartbeat_at=timezone.now(),
            worker="",
        )
        if back:
            enqueue(job)
    logger.warning("job %s given back to the queue: the worker is stopping", job_id)


def jobs_recover(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Jobs whose worker ended: queued again (up to JOBS_MAX_ATTEMPTS) or failed.

    - running with a heartbeat older than JOBS_STALE_SECONDS: its worker ended mid-job;
    - queued with no live queue entry (its entry failed or is gone, e.g. a worker ended
      between taking the entry and claiming the job): queued again.
    Conditional updates: two workers sweeping at once recover each job once.
    """
    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=setting("JOBS_STALE_SECONDS"))
    again = failed = requeued = 0
    stale = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale_before)
    for job in stale.only("pk", "language", "attempts", "task_id"):
        retry = job.attempts < setting("JOBS_MAX_ATTEMPTS")
        with translation.override(job.language or None):
            text = str(MSG_AGAIN if retry else ERR_STALE)
        with transaction.atomic():
            mine = Job.objects.filter(
                pk=job.pk, status=JobStatus.RUNNING, heartbeat_at__lt=stale_before
            )
            if retry:
                changed = mine.update(
                    status=JobStatus.QUEUED, message=text[:200], done=0, heartbeat_at=now, worker=""
                )
            else:
                changed = mine.update(status=JobStatus.FAILED, error=text, finished_at=now)
            if not changed:
                continue
            _entry_failed(job.task_id, now)
            if retry:
                enqueue(job)
                again += 1
            else:
                failed += 1
        logger.warning(
            "job %s: its worker ended mid-job; %s", job.pk, "again" if retry else "failed"
        )
    # Queued with no entry a worker could take: an entry that fails, or one a worker took
    # and then ended before claiming the job (running, but long ago).
    live = DBTaskResult.objects.filter(
        Q(status="READY") | Q(status="RUNNING", started_at__gte=stale_before)
    ).values_list("id", flat=True)
    live_ids = {_normal(str(pk)) for pk in live}
    waiting = Job.objects.filter(
        status=JobStatus.QUEUED, created_at__lt=now - dt.timedelta(seconds=30)
    )
    for job in waiting.only("pk", "task_id"):
        if job.task_id and _normal(job.task_id) in live_ids:
            continue
        with transaction.atomic():
            if Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED, task_id=job.task_id).exists():
                enqueue(job)
                requeued += 1
    return {"again": again, "failed": failed, "requeued": requeued}


def _normal(task_id: str) -> str:
    return task_id.replace("-", "").lower()


def _entry_failed(task_id: str, now: dt.datetime) -> None:
    """The dead worker's queue entry reads as failed, not running for ever."""
    if task_id:
        DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
            status="FAILED", finished_at=now, exception_class_path="fangyi.jobs.worker.WorkerEnded"
        )


# ---- periodic tasks ----


def _summary(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, bool | int | float):
        return {"count": value}
    if isinstance(value, dict):
        return value
    if isinstance(value, list | tuple):
        return {"count": len(value), "items": [str(item) for item in value[:20]]}
    counts = getattr(value, "counts", None)
    if isinstance(counts, dict):
        return dict(counts)
    return {"result": str(value)[:200]}


def run_periodic(run_id: int) -> dict[str, Any]:
    """Claim a periodic run (queued → running) and call its function."""
    claimed = _patiently(
        PeriodicRun.objects.filter(pk=run_id, status=JobStatus.QUEUED).update,
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        worker=current_worker_id,
    )
    if not claimed:
        return {"run": run_id, "skipped": True}
    run = PeriodicRun.objects.get(pk=run_id)
    periodic = BY_NAME.get(run.name)
    try:
        if periodic is None:
            raise LookupError(f"no periodic task {run.name!r}")
        summary = _summary(import_string(periodic.function)())
    except Exception as exc:
        logger.exception("periodic %s %s failed", run.name, run.period)
        PeriodicRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return {"run": run_id, "failed": True}
    PeriodicRun.objects.filter(pk=run_id).update(
        status=JobStatus.DONE, result=summary, finished_at=timezone.now()
    )
    return {"run": run_id, **summary}


def periodic_due(now: dt.datetime, *, periodics: tuple[Periodic, ...] = PERIODIC) -> list[int]:
    """Record the runs that are due now (each (name, period) once, whoever asks) and
    queue them; returns the ids of the runs this caller recorded."""
    from fangyi.jobs.tasks import run_periodic as run_periodic_task

    made = []
    for periodic in periodics:
        try:
            period = periodic.schedule(now)
        except Exception:
            logger.exception("periodic %s: its schedule failed", periodic.name)
            continue
        if period is None:
            continue
        if PeriodicRun.objects.filter(name=periodic.name, period=period).exists():
            continue
        try:
            with transaction.atomic():
                run = PeriodicRun.objects.create(
                    name=periodic.name, period=period, worker=current_worker_id
                )
                run_periodic_task.enqueue(run.pk)
        except IntegrityError:
            continue  # another worker recorded it first
        made.append(run.pk)
    return made


def periodic_recover(*, now: dt.datetime | None = None) -> int:
    """Periodic runs begun by a worker that ended: failed with the reason (the next
    period runs again; each periodic task catches up by itself)."""
    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=setting("JOBS_STALE_SECONDS"))
    live = WorkerBeat.objects.filter(seen_at__gte=stale_before, stopped_at__isnull=True)
    return (
        PeriodicRun.objects.filter(status=JobStatus.RUNNING, started_at__lt=stale_before)
        .exclude(worker__in=live.values("worker_id"))
        .update(
            status=JobStatus.FAILED,
            error="the worker running it ended before it finished",
            finished_at=now,
        )
    )


# ---- the process ----


class Scheduler(threading.Thread):
    """Beats, recovers and records due periodic runs every WORKER_TICK_SECONDS."""

    def __init__(self, worker_id: str, *, periodic: bool = True) -> None:
        super().__init__(name="fangyi-scheduler", daemon=True)
        self.worker_id = worker_id
        self.periodic = periodic
        self._stop_event = threading.Event()

    def tick(self, now: dt.datetime | None = None) -> None:
        now = now or timezone.now()
        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"seen_at": now, "host": socket.gethostname()[:200], "pid": os.getpid()},
            create_defaults={
                "started_at": now,
                "seen_at": now,
                "host": socket.gethostname()[:200],
                "pid": os.getpid(),
            },
        )
        jobs_recover(now=now)
        periodic_recover(now=now)
        if self.periodic:
            periodic_due(now)

    def run(self) -> None:
        try:
            while True:
                try:
                    close_old_connections()
                    self.tick()
                except DatabaseError:
                    # SQLite: a job holds the write lock; the next tick tries again.
                    logger.info("worker %s: tick not written", self.worker_id, exc_info=True)
                except Exception:
                    logger.exception("worker %s: tick failed", self.worker_id)
                if self._stop_event.wait(setting("WORKER_TICK_SECONDS")):
                    return
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=30)


class FangyiWorker(Worker):
    """django_tasks_db's worker loop; asked to stop, it interrupts the running job
    (which goes back to the queue) instead of waiting for it to finish."""

    def run(self) -> None:
        # SQLite may answer "locked" at once where the loop does not expect it (a
        # shared-cache database, as the tests use): wait and go on, never die of it.
        while self.running:
            try:
                super().run()
                return
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                time.sleep(self.interval or 0.05)

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        logger.warning("worker %s: %s, stopping", self.worker_id, signal.strsignal(signum))
        self.running = False
        if self.running_task:
            raise WorkerStoppingError()
        raise SystemExit(0)


def queue_worker(*, worker_id: str, interval: float) -> FangyiWorker:
    """The queue loop of a worker: every queue entry of the default backend."""
    return FangyiWorker(
        queue_names=["default"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def serve(*, worker_id: str, interval: float, periodic: bool = True, signals: bool = True) -> None:
    """Run a worker until stopped: the scheduler thread and the queue loop."""
    global current_worker_id
    current_worker_id = worker_id
    scheduler = Scheduler(worker_id, periodic=periodic)
    worker = queue_worker(worker_id=worker_id, interval=interval)
    if signals:
        worker.configure_signals()
    scheduler.start()
    try:
        worker.run()
    except (WorkerStoppingError, SystemExit):
        pass
    finally:
        scheduler.stop()
        with contextlib.suppress(DatabaseError):
            WorkerBeat.objects.filter(worker_id=worker_id).update(stopped_at=timezone.now())
        connections.close_all()
        logger.warning("worker %s stopped", worker_id)
