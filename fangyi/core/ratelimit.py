"""A fixed-window rate limit for the public forms and links, counted in the database.

Each (key, window) is one row of core.RateCount, incremented by one statement (an
upsert that returns the new count), so every gunicorn worker and every app node counts
against the same limit; a process-local cache would give a client N times the limit
with N workers. Rows of ended windows are deleted now and then by the calls themselves.
Call `allow` outside a transaction that may roll back (the views call it first), or a
refused request's count goes with the rollback.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import connection

from fangyi.core.sql import run

_UPSERT = """
INSERT INTO core_ratecount (name, hits, expires_at) VALUES (%s, 1, %s)
ON CONFLICT (name) DO UPDATE SET hits = core_ratecount.hits + 1
RETURNING hits
"""
_PURGE = "DELETE FROM core_ratecount WHERE expires_at < %s"
# One call in this many deletes the rows of ended windows.
PURGE_EVERY = 100


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one use of `key`; False once `limit` uses were counted in this window (s)."""
    now = time.time()
    bucket = int(now // window)
    name = f"{key}:{bucket}"[-200:]
    adapt = connection.ops.adapt_datetimefield_value
    ends = dt.datetime.fromtimestamp((bucket + 1) * window, dt.UTC)
    hits = run(_UPSERT, (name, adapt(ends)))[0][0]
    if random.randrange(PURGE_EVERY) == 0:
        run(_PURGE, (adapt(dt.datetime.fromtimestamp(now, dt.UTC)),))
    return hits <= limit
