"""The API's one error shape: {"error": {"code", "message", "fields"}}, for every answer
that is not a success, the unexpected ones (500) included.

Input the schemas let through but the database cannot hold is refused here once for
every operation (`install` adds a decorator that runs after parsing): a whole number
outside the signed 64-bit range that SQLite and PostgreSQL store (in a path, the query
or the body, at any depth) is a 422 naming the field, not an OverflowError. A date-time
without an offset is read as Asia/Shanghai wall time (settings.TIME_ZONE), as the
pages read what is typed, instead of failing where it meets an aware one. A date or a
date-time the schema cannot read is refused in the reader's language (`schema_message`).

Error codes are plain strings given where the refusal is raised (`ValidationError(...,
code=...)`), never looked up from a message, so they do not change with the language.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

from django.core import signals
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import BaseModel

logger = logging.getLogger("django.request")

# What SQLite's INTEGER and PostgreSQL's bigint hold.
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
# How deep nested input is walked (schemas in lists in schemas…).
MAX_DEPTH = 10


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


def schema_message(err: dict) -> str:
    """A schema's refusal of one value, in the active language where it is one people meet
    (a date or a date-time typed or sent wrong); pydantic's own English text otherwise."""
    kind = str(err.get("type", ""))
    if kind.startswith("datetime_"):
        return _(
            "Enter a valid date and time as YYYY-MM-DDTHH:MM, e.g. 2020-02-20T09:30 "
            "(Asia/Shanghai time unless an offset is given)."
        )
    if kind.startswith("date_"):
        return _("Enter a valid date as YYYY-MM-DD, e.g. 2020-02-20.")
    return str(err.get("msg", ""))


def _clean(value: Any, loc: tuple, out_of_range: list[tuple], depth: int = 0) -> Any:
    """`value` with naive date-times made aware; the locations of out-of-range whole
    numbers are added to `out_of_range`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            out_of_range.append(loc)
        return value
    if isinstance(value, dt.datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    if depth >= MAX_DEPTH:
        return value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            item = getattr(value, name, None)
            cleaned = _clean(item, (*loc, name), out_of_range, depth + 1)
            if cleaned is not item:
                setattr(value, name, cleaned)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            cleaned = _clean(item, (*loc, index), out_of_range, depth + 1)
            if cleaned is not item:
                value[index] = cleaned
    elif isinstance(value, dict):
        for key, item in value.items():
            cleaned = _clean(item, (*loc, key), out_of_range, depth + 1)
            if cleaned is not item:
                value[key] = cleaned
    return value


def checked_input(view):
    """Run an operation on its parsed input, refused (422) if a whole number is beyond
    what the database holds; naive date-times are made aware first."""

    @functools.wraps(view)
    def operation(request, *args, **kwargs):
        out_of_range: list[tuple] = []
        for name, value in kwargs.items():
            # A schema's fields are named as sent (`offset`, `gate_id`), not under the
            # parameter that holds them (`filters.offset`, `payload.gate_id`).
            loc = () if isinstance(value, BaseModel) else (name,)
            cleaned = _clean(value, loc, out_of_range)
            if cleaned is not value:
                kwargs[name] = cleaned
        if out_of_range:
            message = _("Out of range: a whole number here is at most {max}.").format(max=INT_MAX)
            raise NinjaValidationError([{"loc": loc, "msg": message} for loc in out_of_range])
        return view(request, *args, **kwargs)

    return operation


# The error shape as an OpenAPI schema, and the refusals every operation may answer:
# documented once here for all of them, so that clients (and schemathesis) know them.
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ERROR_RESPONSES = {
    400: "The request body could not be read (not JSON, or not UTF-8).",
    401: "No valid token or login (code unauthenticated, token_expired, token_revoked).",
    403: "The user's role or area does not allow this (code forbidden).",
    404: "Not found, or outside the user's area (code not_found).",
    422: "The input is not valid; `fields` names what is wrong.",
    429: "Too many requests; try again later.",
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def document_errors(schema: dict) -> dict:
    """Add the error shape and the common refusals to every operation of an OpenAPI
    document (responses an operation already documents are kept)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                # django-ninja keys responses by int; a str key would be a second entry.
                if status not in responses and str(status) not in responses:
                    responses[status] = {"description": description, "content": reference}
    return schema


def install(api: NinjaAPI) -> None:
    api.add_decorator(checked_input, mode="operation")
    plain_schema = api.get_openapi_schema

    @functools.wraps(plain_schema)
    def get_openapi_schema(*args, **kwargs):
        return document_errors(plain_schema(*args, **kwargs))

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]

    @api.exception_handler(Exception)
    def server_error(request, exc):
        # Logged and signalled as Django does for a 500 (error reports; the test client
        # re-raises it), but answered in the error shape instead of an HTML page.
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        signals.got_request_exception.send(sender=None, request=request)
        return api.create_response(
            request, error_body("error", _("Server error: the request was not done.")), status=500
        )

    @api.exception_handler(DataError)
    @api.exception_handler(OverflowError)
    def out_of_range(request, exc):
        # A value the schemas let through but the database cannot hold (a number beyond
        # a 32-bit column on PostgreSQL, a text beyond a column's length).
        logger.warning("Refused by the database: %s: %s", request.path, exc)
        return api.create_response(
            request,
            error_body("invalid", _("A value is out of range or too long to be stored.")),
            status=422,
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", _("Not found.")), status=404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        # The service's reason when it gave one ("gate guards … keep no files here").
        reason = str(exc) or _("You may not do this.")
        return api.create_response(request, error_body("forbidden", reason), status=403)

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
            fields.setdefault(".".join(loc) or "request", []).append(schema_message(err))
        return api.create_response(
            request, error_body("invalid", _("Some fields are not valid."), fields), status=422
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return api.create_response(request, error_body("error", str(exc)), status=exc.status_code)
