"""Rate limits for the public forms, with Django's cache framework.

The cache is whatever `CACHES` configures; fangyi sets none, so it is Django's default
local-memory cache: the limit then holds per worker process (with gunicorn's N workers,
an address gets up to N times the limit). A deployment with several nodes that wants
one shared limit configures a shared cache (Redis, Memcached, or the database cache).
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

# Applications per client address per hour: a family applies for its members from one
# phone; more than this is a script.
APPLY_LIMIT = 20
APPLY_WINDOW = 3600

ERR_RATE_LIMITED = _("Too many applications from this network; try again in an hour.")


def client_address(request) -> str:
    # Behind the proxy this is the proxy's address unless the proxy sets REMOTE_ADDR
    # (gunicorn --forwarded-allow-ips); see docs/passes.md.
    return request.META.get("REMOTE_ADDR") or "unknown"


def hit(scope: str, request, *, limit: int, window: int) -> bool:
    """Count one request; False when the address has used up its `limit` in this window."""
    bucket = int(time.time() // window)
    key = f"fangyi:rl:{scope}:{client_address(request)}:{bucket}"
    cache.add(key, 0, timeout=window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 60)
        count = 1
    return count <= limit


def apply_allowed(request) -> bool:
    return hit("apply", request, limit=APPLY_LIMIT, window=APPLY_WINDOW)
