"""Rate limits of the pass application (see fangyi.core.ratelimit for how they count)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fangyi.core.middleware import client_ip
from fangyi.core.ratelimit import allow

# Applications per client address per hour: a family applies for its members from one
# phone; more than this is a script.
APPLY_LIMIT = 20
APPLY_WINDOW = 3600

ERR_RATE_LIMITED = _("Too many applications from this network; try again in an hour.")


def hit(scope: str, request, *, limit: int, window: int) -> bool:
    """Count one request; False when the address has used up its `limit` in this window."""
    return allow(f"{scope}:{client_ip(request) or 'unknown'}", limit=limit, window=window)


def apply_allowed(request) -> bool:
    return hit("apply", request, limit=APPLY_LIMIT, window=APPLY_WINDOW)
