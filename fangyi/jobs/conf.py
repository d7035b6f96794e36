"""The jobs' settings, each with its default (settings.py may set any of them)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

DEFAULTS = {
    # Run the work in the calling thread (tests): no thread, no second connection.
    "JOBS_RUN_INLINE": False,
    # Progress and heartbeat are written at most this often (seconds of work).
    "JOBS_PROGRESS_SECONDS": 0.5,
    # With no progress to write, the heartbeat is still written this often.
    "JOBS_HEARTBEAT_SECONDS": 5.0,
    # A queued or running job whose heartbeat is older than this has lost its process.
    # Generous: on SQLite the heartbeat waits while the job itself holds the write lock.
    "JOBS_STALE_SECONDS": 120,
    # Result files (and finished jobs' files) are deleted after this.
    "JOBS_KEEP_SECONDS": 24 * 3600,
    # Jobs running at once in one web process; more wait, queued (2-core machines).
    "JOBS_MAX_RUNNING": 2,
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


def files_dir() -> Path:
    """Where result files live: VAR_DIR/jobs (shared between app nodes, see docs/jobs.md)."""
    path = Path(settings.VAR_DIR) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path
