"""The JSON API under /api/, with its schema at /api/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import HttpBearer, SessionAuth

from fangyi.core import api_errors
from fangyi.duty.services import api_token_user


class BearerToken(HttpBearer):
    """Staff authenticate with `Authorization: Bearer <token>` (see `fangyi token`)."""

    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class PageSession(SessionAuth):
    """The pages' scripts: the login session, with Django's CSRF check. A request
    without a logged-in session is not checked for CSRF but refused as unauthenticated
    (401 with the error shape), not 403 "CSRF check failed", which would send a device
    without a token looking for the wrong thing."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


api = NinjaAPI(
    title="fangyi API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), PageSession()],
)
api_errors.install(api)

from fangyi.passes.api import router as passes_router  # noqa: E402
from fangyi.people.api import router as people_router  # noqa: E402
from fangyi.places.api import router as places_router  # noqa: E402
from fangyi.quarantine.api import router as quarantine_router  # noqa: E402
from fangyi.reports.api import router as reports_router  # noqa: E402
from fangyi.screening.api import router as screening_router  # noqa: E402
from fangyi.support.api import router as support_router  # noqa: E402

api.add_router("/places", places_router)
api.add_router("/people", people_router)
api.add_router("/quarantine", quarantine_router)
# These two own paths at the top of /api/ (/passes/…, /scans, /zones/{id}/map, /stats).
api.add_router("", passes_router)
api.add_router("", reports_router)
api.add_router("/screening", screening_router)
api.add_router("/support", support_router)
