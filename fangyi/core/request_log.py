"""One JSON line per request when FANGYI_LOG_FORMAT=json (settings.LOG_FORMAT).

The line goes through Python logging (logger `fangyi.request`, level INFO), so the
deployment's log collector reads it from the process's standard error like every other
line; with that format every other log line is JSON too (`JsonLineFormatter`). The
default format logs no request line: gunicorn's access log does that.

What a line holds: time (UTC), method, view name, path without the query string (a
search's query string may hold a name or an ID number), status, duration in
milliseconds, the user's id or null, and the client's address as the trusted-proxy
setting resolves it (core.middleware.client_ip). No name, no ID number, no phone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

logger = logging.getLogger("fangyi.request")


def _utc(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="milliseconds")


def request_record(request, *, status: int, seconds: float, view: str) -> dict[str, Any]:
    from fangyi.core.middleware import client_ip

    user = getattr(request, "user", None)  # the API's bearer token sets it too
    return {
        "time": _utc(dt.datetime.now(dt.UTC).timestamp()),
        "method": request.method,
        "view": view,
        "path": request.path,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "user_id": user.pk if user is not None and user.is_authenticated else None,
        "remote_addr": client_ip(request),
    }


def log_request(request, status: int, seconds: float, view: str) -> None:
    record = request_record(request, status=status, seconds=seconds, view=view)
    logger.info(
        "%s %s %s", record["method"], record["path"], status, extra={"request_record": record}
    )


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: a request's record, else time, level, logger, message
    (and the traceback of an exception)."""

    def format(self, record: logging.LogRecord) -> str:
        data = getattr(record, "request_record", None)
        if not isinstance(data, dict):
            data = {
                "time": _utc(record.created),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)
