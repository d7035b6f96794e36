"""A fixed-window rate limit on Django's cache, for the public forms and links.

The cache is whatever `CACHES` configures; fangyi sets none, so it is Django's default
local-memory cache: a limit then holds per worker process (with gunicorn's N workers, a
client gets up to N times the limit). Several nodes that want one shared limit
configure a shared cache (Redis, Memcached, or the database cache).
"""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one use of `key`; False once `limit` uses were counted in this window (s)."""
    bucket = int(time.time() // window)
    name = f"fangyi:rl:{key}:{bucket}"
    cache.add(name, 0, timeout=window + 60)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr
        cache.set(name, 1, timeout=window + 60)
        count = 1
    return count <= limit
