"""The scan fast path: `POST /api/scans` with a bearer token, answered in front of Django.

A gate device's check needs none of what pages need (sessions, CSRF, messages, URL
resolution, the API framework's schema machinery); through the whole stack a check
cost ten times its database work. `ScanFastPath` wraps the WSGI application
(fangyi.wsgi): it answers exactly the requests it fully understands — `POST` to
`/api/scans`, an allowed host, a bearer token, a JSON object whose fields have the
schema's types — with scanning.scan, the same code the API view and the guard's page
run, and hands everything else (other paths, session logins, malformed bodies, which
get the API's own validation message) to Django untouched.

What Django would have done around the request is done here too: the request
signals (so database connections are reused and closed as CONN_MAX_AGE says), the host
check, the language (cookie, else Accept-Language, as core.middleware does for the
API), the security headers SecurityMiddleware, XFrameOptionsMiddleware and the
Content-Security-Policy middleware add, the API's error shape (core.api_errors), and a
500 logged like Django's.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from django.core import signals
from django.core.exceptions import DisallowedHost, ValidationError
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.http import Http404, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from fangyi.core.api_errors import INT_MAX, INT_MIN, error_body, validation_error_body
from fangyi.core.csp import ContentSecurityPolicyMiddleware
from fangyi.core.middleware import language_for
from fangyi.duty.services import TokenRefused
from fangyi.passes import scanning
from fangyi.passes.tokens import PassRefused

logger = logging.getLogger("django.request")

PATH = "/api/scans"
# The body of a check is a few hundred bytes; anything much larger is not one.
MAX_BODY = 16 * 1024
# The schema of ScanIn (fangyi.passes.schemas): field -> (type, required).
FIELDS: dict[str, tuple[type, bool]] = {
    "gate_id": (int, True),
    "token": (str, False),
    "code": (str, False),
    "temperature": (str, True),
    "decision": (str, False),
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _payload(body: bytes) -> dict[str, Any] | None:
    """The check's fields if the body is exactly what the schema accepts, else None."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or any(key not in FIELDS for key in data):
        return None
    for key, (kind, required) in FIELDS.items():
        value = data.get(key)
        if value is None:
            if required:
                return None
            data[key] = ""
        elif type(value) is not kind:  # bool is not an int here, as for the schema
            return None
        elif kind is int and not INT_MIN <= value <= INT_MAX:
            return None  # Django's API answers it: 422 naming the field
    return data


def _unused(request):  # the middlewares' get_response: never called here
    raise AssertionError


class ScanFastPath:
    def __init__(self, application: WSGIApp):
        self.application = application
        # Django's own header logic (HTTPS redirect, HSTS, nosniff, referrer and opener
        # policies, X-Frame-Options) and the Content-Security-Policy, applied to the fast
        # path's answers as well.
        self.security = SecurityMiddleware(_unused)
        self.frames = XFrameOptionsMiddleware(_unused)
        self.policy = ContentSecurityPolicyMiddleware(_unused)
        self._static: dict[bool, list[tuple[str, str]]] = {}
        setting_changed.connect(self._settings_changed)  # weakly: instances may go

    def _settings_changed(self, **kwargs):
        self._static.clear()
        self.security = SecurityMiddleware(_unused)

    def __call__(self, environ: dict[str, Any], start_response):
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("PATH_INFO") != PATH
            or not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
        ):
            return self.application(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return self.application(environ, start_response)
        body = environ["wsgi.input"].read(length)
        payload = _payload(body)
        # Whatever happens next, Django can still read the same bytes.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        if payload is None:
            # Not a check answered here: Django reads the body and explains.
            return self.application(environ, start_response)
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return self.application(environ, start_response)  # Django answers 400
        if self.security.process_request(request) is not None:
            return self.application(environ, start_response)  # Django redirects to HTTPS
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            language = language_for(request)
            with translation.override(language):
                status, answer = self._check(environ, payload)
            data = json.dumps(answer, ensure_ascii=False).encode()
            headers = [
                *self._headers(request),
                ("Content-Length", str(len(data))),
                ("Content-Language", language),
            ]
            start_response(f"{status} {HTTPStatus(status).phrase}", headers)
            return [data]
        finally:
            signals.request_finished.send(sender=self.__class__)

    def _headers(self, request: WSGIRequest) -> list[tuple[str, str]]:
        """The headers Django's middleware would give an API answer (they depend on the
        settings and on whether the request came over HTTPS only), worked out once by
        passing a response through the same middleware."""
        secure = request.is_secure()
        headers = self._static.get(secure)
        if headers is None:
            probe = HttpResponse(content_type="application/json; charset=utf-8")
            patch_vary_headers(probe, ("Cookie", "Accept-Language"))
            probe = self.security.process_response(request, probe)
            probe = self.frames.process_response(request, probe)
            probe = self.policy.process_response(request, probe)
            headers = self._static[secure] = list(probe.items())
        return headers

    def _check(self, environ: dict[str, Any], payload: dict[str, Any]) -> tuple[int, dict]:
        try:
            # The token is read in the check's own first statement (scanning.scan).
            result = scanning.scan(
                api_token=environ["HTTP_AUTHORIZATION"][7:].strip(),
                gate_id=payload["gate_id"],
                token=payload["token"],
                code=payload["code"],
                temperature=payload["temperature"],
                decision=payload["decision"],
                method="device",
            )
        except TokenRefused as refusal:  # expired or revoked, with the reason
            return 401, error_body(refusal.code, refusal.message)
        except scanning.NoPrincipal:
            message = _("Send a valid token: Authorization: Bearer <token>.")
            return 401, error_body("unauthenticated", message)
        except PassRefused as refusal:
            return 422, error_body(refusal.code, str(refusal.message))
        except Http404:
            return 404, error_body("not_found", _("Not found."))
        except ValidationError as exc:
            return 422, validation_error_body(exc)
        except Exception:
            logger.error(
                "Internal Server Error: %s",
                PATH,
                exc_info=sys.exc_info(),
                extra={"status_code": 500},
            )
            return 500, error_body("server_error", _("Server error."))
        return 201, scanning.scan_body(result)
