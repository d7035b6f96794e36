"""The JSON API under /api/, with its schema at /api/openapi.json."""

from __future__ import annotations

import json

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer, SessionAuth

from fangyi.core import api_errors
from fangyi.duty.services import TokenRefused, api_token_user, user_is_staff_member


class BearerToken(HttpBearer):
    """Staff authenticate with `Authorization: Bearer <token>` (see `fangyi token`). An
    expired or revoked token is refused (401) with its reason (TokenRefused), not
    passed on to the session check."""

    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class StaffDocs(Swagger):
    """/api/docs: Swagger UI from the project's own static files (swagger-ui-dist from
    the npm registry, copied by `make assets`; no CDN), for logged-in staff only. An
    anonymous visitor is sent to the login page; a login without staff record gets 403."""

    def render_page(self, request, api, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_is_staff_member(request.user):
            raise PermissionDenied
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, "api_docs.html", {"api": api, "settings": json.dumps(settings)})


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
    docs=StaffDocs(),
)
api_errors.install(api)


def unknown_path(request, rest: str = ""):
    """/api/ paths that name no operation: the API's 404, not the site's HTML page."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    return JsonResponse(
        api_errors.error_body("not_found", _("No API operation at this address.")), status=404
    )


@api.exception_handler(TokenRefused)
def token_refused(request, exc):
    return api.create_response(request, api_errors.error_body(exc.code, exc.message), status=401)


from fangyi.core.offline_api import router as offline_router  # noqa: E402
from fangyi.health.api import router as alerts_router  # noqa: E402
from fangyi.health.exposure_api import router as exposures_router  # noqa: E402
from fangyi.passes.api import router as passes_router  # noqa: E402
from fangyi.people.api import router as people_router  # noqa: E402
from fangyi.people.place_api import router as places_router  # noqa: E402
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
# POST /exposures and GET /people/{id}/exposures (close contacts).
api.add_router("", exposures_router)
api.add_router("", alerts_router)
api.add_router("/support", support_router)
# GET /offline/key: the key of the offline pages' store on a phone (docs/offline.md).
api.add_router("", offline_router)
