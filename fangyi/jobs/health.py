"""The worker's line in /healthz (registered with core.healthz by the app)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fangyi.jobs.conf import setting
from fangyi.jobs.models import WorkerBeat


def check_worker() -> dict[str, Any]:
    """The job workers (`fangyi worker`): how many beat within WORKER_STALE_SECONDS and
    how long ago the last one did. "not_configured" when no worker ever ran against this
    database; "fail" when none beats now (jobs wait, periodic tasks stop). Information
    for the web node's probe (it serves without a worker); the worker's own probe reads
    this check."""
    now = timezone.now()
    last = WorkerBeat.objects.filter(stopped_at__isnull=True).order_by("-seen_at").first()
    if last is None and not WorkerBeat.objects.exists():
        return {"status": "not_configured"}
    fresh = now - dt.timedelta(seconds=setting("WORKER_STALE_SECONDS"))
    alive = WorkerBeat.objects.filter(stopped_at__isnull=True, seen_at__gte=fresh).count()
    result: dict[str, Any] = {"status": "ok" if alive else "fail", "workers": alive}
    if last is not None:
        result["last_beat_seconds"] = round((now - last.seen_at).total_seconds(), 1)
    return result
