"""The API's one error shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def validation_error_body(exc: DjangoValidationError) -> dict:
    """A Django ValidationError in the one shape: per field, or about the whole request."""
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        message = _("Some fields are not valid.")
    else:
        # A refusal that is about the request as a whole (an illegal transition).
        fields = {"__all__": [str(m) for m in exc.messages]}
        message = " ".join(fields["__all__"])
    code = getattr(exc, "code", None) or "invalid"
    return error_body(code, message, fields)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", _("Not found.")), status=404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return api.create_response(
            request, error_body("forbidden", _("You may not do this.")), status=403
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return api.create_response(
            request,
            error_body("unauthenticated", _("Send a valid token: Authorization: Bearer <token>.")),
            status=401,
        )

    @api.exception_handler(DjangoValidationError)
    def invalid(request, exc):
        return api.create_response(request, validation_error_body(exc), status=422)

    @api.exception_handler(NinjaValidationError)
    def invalid_schema(request, exc):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [
                str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")
            ]
            fields.setdefault(".".join(loc) or "request", []).append(err.get("msg", ""))
        return api.create_response(
            request, error_body("invalid", _("Some fields are not valid."), fields), status=422
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return api.create_response(request, error_body("error", str(exc)), status=exc.status_code)
