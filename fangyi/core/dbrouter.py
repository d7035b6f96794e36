"""Reads of the heavy read-only pages on the PostgreSQL streaming replica (docs/operations.md,
"Read replica").

`FANGYI_REPLICA_DATABASE_URL` adds the database alias `replica`. Writes always go to the
primary (`default`). A read goes to the replica only when all of these hold:

- it runs inside `replica_reads()` (the view decorator `replica_view`, or the context
  manager around a command's work): zone maps, overview, statistics, the daily report,
  exports of people, the gate board. Everything else reads the primary;
- the user is not pinned to the primary: a request that wrote (a non-safe method that
  succeeded, or any write to the database) sets a signed cookie for
  `FANGYI_REPLICA_PIN_SECONDS`, so that whoever just wrote reads their own writes;
- nothing was written in this piece of work so far, and the primary is not inside a
  transaction (a transaction reads what it wrote);
- the replica is healthy: it answers and its lag is at most
  `FANGYI_REPLICA_MAX_LAG_SECONDS`. The state is checked at most every
  `CHECK_SECONDS` per process; each change of state is logged once (a warning).

A replica that refuses the connection or fails a query in the middle of a page sends the
page to the primary again (a page in `replica_view` only reads, so running it again is
safe): the user never sees an error page because of the replica.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

logger = logging.getLogger("fangyi.replica")

REPLICA_ALIAS = "replica"
ALIASES = frozenset({DEFAULT_DB_ALIAS, REPLICA_ALIAS})
# How long a process trusts its last look at the replica; longer while it is down, as a
# replica that does not answer costs the request that looks its connect timeout (3 s).
CHECK_SECONDS = 5.0
DOWN_CHECK_SECONDS = 15.0
PIN_COOKIE = "fangyi_primary"
PIN_SALT = "fangyi.replica.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# What a statement that writes starts with (plain SQL bypasses the router).
_WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "ALTER", "DROP", "TRUNCATE")

# Replica states, as /healthz reports them.
OK = "ok"
LAGGING = "lagging"
DOWN = "fail"


@dataclasses.dataclass
class _Request:
    """What the pin middleware knows of the request being served."""

    pinned: bool = False
    wrote: bool = False


@dataclasses.dataclass
class _Reads:
    """One piece of work inside `replica_reads()`."""

    use_replica: bool
    wrote: bool = False
    replica_used: bool = False
    replica_failed: bool = False


_request: ContextVar[_Request | None] = ContextVar("fangyi_replica_request", default=None)
_reads: ContextVar[_Reads | None] = ContextVar("fangyi_replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA_ALIAS in connections.databases


# --- health -------------------------------------------------------------------------------


@dataclasses.dataclass
class _Health:
    checked: float = -1e9  # monotonic time of the last look
    status: str = ""  # "" before the first look
    body: dict[str, Any] = dataclasses.field(default_factory=dict)


_health = _Health()


def replica_lag() -> dict[str, Any]:
    """Look at the replica now: `{"status", "in_recovery", "lag_seconds"}`.

    The lag is 0 when the replica has replayed the primary's WAL up to where it stood just
    before the look (an idle primary writes nothing, and the time of the last replayed
    transaction then grows although the replica is current); otherwise it is the age of
    the last transaction replayed (`now() - pg_last_xact_replay_timestamp()`).
    """
    max_lag = settings.REPLICA_MAX_LAG_SECONDS
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            primary_lsn = cursor.fetchone()[0]
        with connections[REPLICA_ALIAS].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(),"
                " COALESCE(pg_last_wal_replay_lsn() >= %s::pg_lsn, false),"
                " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
                [primary_lsn],
            )
            in_recovery, caught_up, age = cursor.fetchone()
    except Exception as exc:  # any driver error: the replica cannot be read
        _close_quietly(REPLICA_ALIAS)
        return {"status": DOWN, "error": type(exc).__name__, "max_lag_seconds": max_lag}
    if caught_up:
        lag: float | None = 0.0
    else:
        lag = None if age is None else round(max(float(age), 0.0), 3)
    status = OK if lag is not None and lag <= max_lag else LAGGING
    if not in_recovery:
        # A promoted replica takes writes of its own: it is no longer a copy of the primary.
        status = DOWN
    return {
        "status": status,
        "in_recovery": bool(in_recovery),
        "lag_seconds": lag,
        "max_lag_seconds": max_lag,
    }


def _close_quietly(alias: str) -> None:
    with contextlib.suppress(Exception):
        connections[alias].close()


def _record(body: dict[str, Any]) -> None:
    """Keep the state; one warning when it changes."""
    previous = _health.status
    _health.status, _health.body, _health.checked = body["status"], body, time.monotonic()
    if body["status"] == previous:
        return
    if body["status"] == OK:
        if previous:  # not at the first look of the process
            logger.warning("Read replica is back: reports and maps read from it again.")
    elif body["status"] == LAGGING:
        logger.warning(
            "Read replica lags %s s (limit %s s): reads go to the primary.",
            body.get("lag_seconds"),
            body["max_lag_seconds"],
        )
    else:
        logger.warning(
            "Read replica unavailable (%s): reads go to the primary.",
            body.get("error") or "not in recovery",
        )


def replica_status(*, fresh: bool = False) -> dict[str, Any]:
    """The replica's state, looked at again when older than CHECK_SECONDS (DOWN_CHECK_SECONDS
    while down), or at once when `fresh`."""
    keep = DOWN_CHECK_SECONDS if _health.status == DOWN else CHECK_SECONDS
    if not fresh and time.monotonic() - _health.checked < keep:
        return _health.body
    body = replica_lag()
    _record(body)
    return body


def replica_failed(exc: BaseException) -> None:
    """A query on the replica failed mid-work: down until the next look."""
    _close_quietly(REPLICA_ALIAS)
    _record(
        {
            "status": DOWN,
            "error": type(exc).__name__,
            "max_lag_seconds": settings.REPLICA_MAX_LAG_SECONDS,
        }
    )


def forget_replica_state() -> None:
    """Forget the last look (tests; a process that must look again at once)."""
    _health.checked, _health.status, _health.body = -1e9, "", {}


# --- where reads go -----------------------------------------------------------------------


def _is_write(sql: str) -> bool:
    return sql.lstrip()[:8].upper().startswith(_WRITE_PREFIXES)


def _watch_primary(execute, sql, params, many, context):
    if _is_write(sql):
        _note_write()
    return execute(sql, params, many, context)


def _watch_replica(execute, sql, params, many, context):
    try:
        return execute(sql, params, many, context)
    except (OperationalError, InterfaceError):
        reads = _reads.get()
        if reads is not None:
            reads.replica_failed = True
        raise


def _note_write() -> None:
    request = _request.get()
    if request is not None:
        request.wrote = True
    reads = _reads.get()
    if reads is not None:
        reads.wrote = True


@contextlib.contextmanager
def replica_reads() -> Iterator[_Reads]:
    """Reads inside go to the replica when it may serve them (see the module's text)."""
    configured = replica_configured()
    request = _request.get()
    pinned = request is not None and (request.pinned or request.wrote)
    use = configured and not pinned and replica_status()["status"] == OK
    reads = _Reads(use_replica=use)
    token = _reads.set(reads)
    if not use:
        try:
            yield reads
        finally:
            _reads.reset(token)
        return
    primary, replica = connections[DEFAULT_DB_ALIAS], connections[REPLICA_ALIAS]
    primary.execute_wrappers.append(_watch_primary)
    # Outermost, so that it sees every failure of the replica's statements.
    replica.execute_wrappers.insert(0, _watch_replica)
    try:
        yield reads
    finally:
        _reads.reset(token)
        with contextlib.suppress(ValueError):
            primary.execute_wrappers.remove(_watch_primary)
        with contextlib.suppress(ValueError):
            replica.execute_wrappers.remove(_watch_replica)


def _read_alias() -> str:
    reads = _reads.get()
    if reads is None or not reads.use_replica or reads.wrote or reads.replica_failed:
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if not reads.replica_used:
        # The first read: a replica that refuses the connection sends the work to the
        # primary here, before any query.
        try:
            connections[REPLICA_ALIAS].ensure_connection()
        except Exception as exc:
            reads.replica_failed = True
            replica_failed(exc)
            return DEFAULT_DB_ALIAS
        reads.replica_used = True
    return REPLICA_ALIAS


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: writes to the primary, reads where `replica_reads` says."""

    def db_for_read(self, model, **hints) -> str:
        return _read_alias()

    def db_for_write(self, model, **hints) -> str:
        _note_write()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica is the primary's copy: a row read from one may refer to a row of the other.
        if obj1._state.db in ALIASES and obj2._state.db in ALIASES:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        # The replica replays the primary's migrations; it cannot run its own.
        return db != REPLICA_ALIAS


# --- requests -----------------------------------------------------------------------------


def _wrap_streaming(content, reads_state: _Reads):
    """Reads of a streamed body (an export) happen after the view returned: in the same
    replica context."""
    token = _reads.set(reads_state)
    try:
        yield from content
    finally:
        _reads.reset(token)


def replica_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """A page (or API endpoint) that only reads, and reads much: from the replica.

    A replica failing in the middle sends the whole page to the primary again."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> Any:
        if request.method not in SAFE_METHODS or not replica_configured():
            return view(request, *args, **kwargs)
        with replica_reads() as reads:
            if not reads.use_replica:
                return view(request, *args, **kwargs)
            try:
                response = view(request, *args, **kwargs)
            except (OperationalError, InterfaceError) as exc:
                if not reads.replica_failed:
                    raise
                replica_failed(exc)
            else:
                if reads.replica_failed:
                    # A failure the page caught itself: its answer may lack what failed.
                    replica_failed(OperationalError("replica query failed"))
                else:
                    if isinstance(response, StreamingHttpResponse):
                        response.streaming_content = _wrap_streaming(
                            response.streaming_content, reads
                        )
                    return response
        # Again, on the primary.
        with replica_reads() as again:
            again.use_replica = False
            return view(request, *args, **kwargs)

    return wrapper


def _pinned(request: HttpRequest) -> bool:
    try:
        request.get_signed_cookie(PIN_COOKIE, salt=PIN_SALT, max_age=settings.REPLICA_PIN_SECONDS)
    except (KeyError, signing.BadSignature):
        return False
    return True


class ReplicaPinMiddleware:
    """Read your own writes: after a request that wrote, the browser is pinned to the
    primary for FANGYI_REPLICA_PIN_SECONDS (a signed cookie, so every app node honours
    it). Does nothing without a replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        state = _Request(pinned=_pinned(request))
        token = _request.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        succeeded_write = request.method not in SAFE_METHODS and response.status_code < 400
        if state.wrote or succeeded_write:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_SALT,
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
