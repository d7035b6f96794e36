"""The jobs' settings, each with its default (settings.py may set any of them)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

DEFAULTS = {
    # Run the work in the calling thread (tests): no queue, no worker.
    "JOBS_RUN_INLINE": False,
    # Progress and heartbeat are written at most this often (seconds of work).
    "JOBS_PROGRESS_SECONDS": 0.5,
    # With no progress to write, the heartbeat is still written this often.
    "JOBS_HEARTBEAT_SECONDS": 5.0,
    # A running job whose heartbeat is older than this has lost its worker.
    # Generous: on SQLite the heartbeat waits while the job itself holds the write lock.
    "JOBS_STALE_SECONDS": 120,
    # Result files (and finished jobs' files) are deleted after this.
    "JOBS_KEEP_SECONDS": 24 * 3600,
    # How many times a worker may begin a job whose worker ended mid-job (a crash, a
    # kill); then it fails with the reason. A worker asked to stop gives its job back
    # without using an attempt.
    "JOBS_MAX_ATTEMPTS": 2,
    # The worker beats, sweeps and looks at the periodic tasks' clock this often.
    "WORKER_TICK_SECONDS": 10.0,
    # /healthz reads the worker as gone when its last beat is older than this.
    "WORKER_STALE_SECONDS": 120,
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


def files_dir() -> Path:
    """Where result files live: VAR_DIR/jobs (shared between app nodes, see docs/jobs.md)."""
    path = Path(settings.VAR_DIR) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path
