"""`/healthz`: is this app node fit to serve? For the proxy and the orchestrator.

JSON, no login, no personal data, cheap enough to be probed every few seconds:

- database: one `SELECT 1` on the default database;
- migrations: no migration of the code is unapplied (Django's migration plan towards the
  leaf nodes, as `migrate` computes it). Reading the graph costs tens of milliseconds, so
  a node keeps the answer for MIGRATIONS_CACHE_SECONDS: a deploy that migrates turns the
  check green within that time;
- worker: the job workers' heartbeats (`fangyi worker` beats every few seconds):
  "ok" with how many beat lately, "fail" when none does, "not_configured" when no
  worker ever ran against this database;
- replica: "not_configured" unless a `replica` database alias exists; then its lag
  (PostgreSQL's last replayed transaction), for information.

200 when the database answers and every migration is applied, else 503; each check's
result is in the body either way. Failures name the exception's class only: the probe is
answered to anybody, and a driver's message may name hosts and users.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

OK = "ok"
FAIL = "fail"
PENDING = "pending"
UNKNOWN = "unknown"
NOT_CONFIGURED = "not_configured"

MIGRATIONS_CACHE_SECONDS = 30.0

# (monotonic time of the check, its result), per process.
_migrations_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _failure(exc: BaseException) -> dict[str, Any]:
    return {"status": FAIL, "error": type(exc).__name__}


def check_database(alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """One `SELECT 1`."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means not reachable
        return _failure(exc)
    return {"status": OK}


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The migrations `migrate` would apply now, as `app.name`."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan]


def check_migrations(alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """No unapplied migration; the answer is kept MIGRATIONS_CACHE_SECONDS."""
    now = time.monotonic()
    cached = _migrations_cache.get(alias)
    if cached is not None and now - cached[0] < MIGRATIONS_CACHE_SECONDS:
        return cached[1]
    try:
        unapplied = unapplied_migrations(alias)
    except Exception as exc:
        return _failure(exc)  # not cached: the next probe tries again
    result: dict[str, Any] = {"status": PENDING if unapplied else OK, "unapplied": len(unapplied)}
    _migrations_cache[alias] = (now, result)
    return result


# Checks an app adds (name → function returning {"status": …, …}): the job worker's
# (fangyi.jobs) is registered by its app, as core imports no app above it.
INFORMATION_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {}


def register(name: str, check: Callable[[], dict[str, Any]]) -> None:
    """Add an information check to /healthz (it never turns the answer into 503)."""
    INFORMATION_CHECKS[name] = check


def check_worker() -> dict[str, Any]:
    """The job workers' heartbeats, when the jobs app registered its check."""
    check = INFORMATION_CHECKS.get("worker")
    if check is None:
        return {"status": NOT_CONFIGURED}
    try:
        return check()
    except Exception as exc:
        return _failure(exc)


def check_replica() -> dict[str, Any]:
    """The read replica (core.dbrouter): ok, lagging (past FANGYI_REPLICA_MAX_LAG_SECONDS)
    or fail, with its lag in seconds; as the router last saw it (at most
    dbrouter.CHECK_SECONDS ago). Information only: reads fall back to the primary."""
    from fangyi.core import dbrouter

    if not dbrouter.replica_configured():
        return {"status": NOT_CONFIGURED}
    return dict(dbrouter.replica_status())


def health() -> tuple[bool, dict[str, Any]]:
    """(healthy, the body): healthy when the database answers and is migrated."""
    database = check_database()
    migrations = check_migrations() if database["status"] == OK else {"status": UNKNOWN}
    checks = {
        "database": database,
        "migrations": migrations,
        "worker": check_worker(),
        "replica": check_replica(),
    }
    healthy = database["status"] == OK and migrations["status"] == OK
    return healthy, {"status": OK if healthy else FAIL, "checks": checks}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, body = health()
    return JsonResponse(body, status=200 if healthy else 503)
