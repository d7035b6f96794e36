"""Calling the WSGI application gunicorn serves (fangyi.wsgi), as a test client would.

The test database lives in one transaction per test; Django's own test client keeps the
request signals from closing that connection, and so does `served`."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field

from django.core import signals
from django.db import close_old_connections


@dataclass
class Served:
    status_code: int
    headers: dict[str, str]
    content: bytes
    calls: list = field(default_factory=list)

    def json(self):
        return json.loads(self.content)


@contextlib.contextmanager
def keep_test_connection():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def environ_for(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> dict:
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method.upper(),
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = "application/json"
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE",) else f"HTTP_{key}"] = value
    return environ


def served(app, method: str, path: str, data=None, headers: dict | None = None) -> Served:
    body = json.dumps(data).encode() if data is not None and not isinstance(data, bytes) else data
    environ = environ_for(method, path, body or b"", headers)
    answer: dict = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    with keep_test_connection():
        chunks = app(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
    return Served(answer["status"], answer["headers"], content)
