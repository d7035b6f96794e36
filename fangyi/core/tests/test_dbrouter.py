"""The read replica (core.dbrouter): router rules everywhere; the pages against a real
PostgreSQL streaming standby when FANGYI_TEST_REPLICA_DATABASE_URL names one (.ci/run
starts one and sets it for the PostgreSQL run)."""

from __future__ import annotations

import json
import logging
import os
import socket
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import OperationalError
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangyi.core import dbrouter
from fangyi.core.env import env_replica_database
from fangyi.places.models import Building

REPLICA_VARIABLE = "FANGYI_TEST_REPLICA_DATABASE_URL"
SKIP_REASON = "needs FANGYI_TEST_REPLICA_DATABASE_URL (a PostgreSQL standby; .ci/run starts one)"
PG = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"prepare_threshold": 5, "pool": {}}}
SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}


@pytest.fixture(autouse=True)
def _fresh_state():
    dbrouter.forget_replica_state()
    yield
    dbrouter.forget_replica_state()


# --- the rules, on any database -------------------------------------------------------------


def test_the_replica_takes_no_migration_and_the_primary_all():
    router = dbrouter.ReplicaRouter()
    assert router.allow_migrate("replica", "people") is False
    assert router.allow_migrate("default", "people") is True


def test_writes_go_to_the_primary_even_inside_replica_reads(db):
    router = dbrouter.ReplicaRouter()
    assert router.db_for_write(Building) == "default"
    with dbrouter.replica_reads():
        assert router.db_for_write(Building) == "default"


def test_reads_go_to_the_primary_without_a_replica(db):
    router = dbrouter.ReplicaRouter()
    assert router.db_for_read(Building) == "default"
    with dbrouter.replica_reads() as reads:
        assert reads.use_replica is False
        assert router.db_for_read(Building) == "default"


def test_rows_of_the_primary_and_the_replica_may_refer_to_each_other():
    router = dbrouter.ReplicaRouter()
    a, b = Building(), Building()
    a._state.db, b._state.db = "default", "replica"
    assert router.allow_relation(a, b) is True
    b._state.db = "elsewhere"
    assert router.allow_relation(a, b) is None


def test_a_replica_of_sqlite_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("FANGYI_REPLICA_DATABASE_URL", "postgres://u:p@db2:5432/fangyi")
    with pytest.raises(ImproperlyConfigured, match="needs a PostgreSQL primary"):
        env_replica_database("FANGYI_REPLICA_DATABASE_URL", SQLITE)
    monkeypatch.setenv("FANGYI_REPLICA_DATABASE_URL", "sqlite:////tmp/copy.sqlite3")
    with pytest.raises(ImproperlyConfigured, match="must be a postgres:// URL"):
        env_replica_database("FANGYI_REPLICA_DATABASE_URL", PG)


def test_the_replica_has_the_primarys_options_without_a_pool(monkeypatch):
    monkeypatch.delenv("FANGYI_REPLICA_DATABASE_URL", raising=False)
    assert env_replica_database("FANGYI_REPLICA_DATABASE_URL", PG) is None
    monkeypatch.setenv("FANGYI_REPLICA_DATABASE_URL", "postgres://u:p@db2:5433/fangyi")
    config = env_replica_database("FANGYI_REPLICA_DATABASE_URL", PG)
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db2", 5433, "fangyi")
    assert config["OPTIONS"] == {"prepare_threshold": 5, "connect_timeout": 3}


def _respond(status: int, write: bool = False):
    def get_response(request):
        from django.http import HttpResponse

        if write:
            dbrouter.ReplicaRouter().db_for_write(Building)
        return HttpResponse(status=status)

    return get_response


@pytest.mark.parametrize(
    ("method", "status", "write", "pins"),
    [
        ("post", 200, False, True),  # a form that succeeded
        ("post", 302, False, True),
        ("post", 403, False, False),  # a refused write wrote nothing
        ("get", 200, True, True),  # a GET that wrote
        ("get", 200, False, False),
    ],
)
def test_a_request_that_wrote_pins_the_browser_to_the_primary(
    monkeypatch, method, status, write, pins
):
    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)
    middleware = dbrouter.ReplicaPinMiddleware(_respond(status, write))
    response = middleware(getattr(RequestFactory(), method)("/"))
    assert (dbrouter.PIN_COOKIE in response.cookies) is pins
    if pins:
        # The next request carries the cookie: pinned, for FANGYI_REPLICA_PIN_SECONDS.
        request = RequestFactory().get("/")
        request.COOKIES[dbrouter.PIN_COOKIE] = response.cookies[dbrouter.PIN_COOKIE].value
        assert dbrouter._pinned(request)
        assert response.cookies[dbrouter.PIN_COOKIE]["max-age"] == 10


def test_a_forged_or_old_pin_does_not_count(monkeypatch, settings):
    request = RequestFactory().get("/")
    request.COOKIES[dbrouter.PIN_COOKIE] = "1:forged:sig"
    assert not dbrouter._pinned(request)
    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)
    response = dbrouter.ReplicaPinMiddleware(_respond(200))(RequestFactory().post("/"))
    request.COOKIES[dbrouter.PIN_COOKIE] = response.cookies[dbrouter.PIN_COOKIE].value
    settings.REPLICA_PIN_SECONDS = 0
    time.sleep(1.01)  # signing timestamps count whole seconds
    assert not dbrouter._pinned(request)


def test_one_warning_per_change_of_the_replicas_state(monkeypatch, caplog, settings):
    looks = iter(["ok", "ok", "lagging", "lagging", "fail", "fail", "ok"])
    monkeypatch.setattr(
        dbrouter,
        "replica_lag",
        lambda: {"status": next(looks), "lag_seconds": 40.0, "max_lag_seconds": 30},
    )
    with caplog.at_level(logging.WARNING, logger="fangyi.replica"):
        for _ in range(7):
            dbrouter.replica_status(fresh=True)
    messages = [r.getMessage() for r in caplog.records if r.name == "fangyi.replica"]
    assert len(messages) == 3, messages
    assert "lags 40.0 s (limit 30 s)" in messages[0]
    assert "unavailable" in messages[1]
    assert "back" in messages[2]


def test_a_replica_that_is_down_is_looked_at_less_often(monkeypatch, settings):
    looks = []
    state = {"status": "fail"}
    monkeypatch.setattr(
        dbrouter, "replica_lag", lambda: looks.append(1) or {**state, "max_lag_seconds": 30}
    )
    dbrouter.replica_status()
    dbrouter._health.checked -= dbrouter.CHECK_SECONDS + 1
    dbrouter.replica_status()
    assert len(looks) == 1  # down: its connect timeout is not paid every 5 s
    dbrouter._health.checked -= dbrouter.DOWN_CHECK_SECONDS
    state["status"] = "ok"
    dbrouter.replica_status()
    assert len(looks) == 2
    dbrouter._health.checked -= dbrouter.CHECK_SECONDS + 1
    dbrouter.replica_status()
    assert len(looks) == 3


# --- against a real standby -----------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_undo: list = []


def _allow_the_alias_in_this_test(alias: str) -> None:
    """Django's test case refuses connections to aliases outside its `databases`, fixed
    when the test starts (pytest-django's helper runs before any fixture of ours); an
    alias listed there from the start would make pytest-django create a test database on
    the standby, which is read-only. So the alias joins the running test case's list."""
    patched = BaseDatabaseWrapper.ensure_connection
    cells = dict(zip(patched.__code__.co_freevars, patched.__closure__ or (), strict=True))
    assert "cls" in cells, "Django's test-case connection guard changed: adapt this fixture"
    test_case = cells["cls"].cell_contents
    before = test_case.databases
    test_case.databases = frozenset(before) | {alias}
    _undo.append(lambda: setattr(test_case, "databases", before))


def _add_replica(monkeypatch, url: str) -> None:
    _allow_the_alias_in_this_test("replica")
    primary = connections["default"].settings_dict
    monkeypatch.setenv("FANGYI_REPLICA_DATABASE_URL", url)
    config = env_replica_database("FANGYI_REPLICA_DATABASE_URL", primary)
    assert config is not None
    # The standby holds the test database pytest-django made on the primary, by the same
    # name: the alias points at it; nothing is created or destroyed there.
    connections.settings["replica"] = {**primary, **config, "NAME": primary["NAME"]}


def _remove_replica() -> None:
    while _undo:
        _undo.pop()()
    if "replica" in connections.settings:
        connections["replica"].close()
        del connections.settings["replica"]
    if hasattr(connections._connections, "replica"):
        delattr(connections._connections, "replica")


@pytest.fixture
def standby_url():
    url = os.environ.get(REPLICA_VARIABLE, "").strip()
    postgres = connections["default"].vendor == "postgresql"
    if postgres and not url and os.environ.get("CI") == "true":
        pytest.fail(f"{REPLICA_VARIABLE} is not set: under CI the PostgreSQL run tests the replica")
    if not (postgres and url):
        pytest.skip(SKIP_REASON)
    return url


@pytest.fixture
def replica(transactional_db, standby_url, monkeypatch):
    """The `replica` alias on the real standby; replay resumed whatever the test did."""
    _add_replica(monkeypatch, standby_url)
    try:
        yield connections["replica"]
    finally:
        try:
            with connections["replica"].cursor() as cursor:
                cursor.execute("SELECT pg_wal_replay_resume()")
        finally:
            _remove_replica()


@pytest.fixture
def replica_down(db, standby_url, monkeypatch):
    """The `replica` alias on a port where nothing listens."""
    _add_replica(monkeypatch, f"postgres://fangyi:x@127.0.0.1:{_closed_port()}/fangyi")
    yield
    _remove_replica()


def wait_for_replay(timeout: float = 15.0) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        lsn = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    with connections["replica"].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the standby did not replay {lsn} within {timeout} s")
            time.sleep(0.05)


def pause_replay() -> None:
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
        # Paused once the standby says so (it finishes the record it is replaying).
        for _ in range(100):
            cursor.execute("SELECT pg_get_wal_replay_pause_state()")
            if cursor.fetchone()[0] == "paused":
                return
            time.sleep(0.05)
    raise AssertionError("the standby did not pause its replay")


def _replica_queries(client, url: str):
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get(url)
    # The router's own look at the replica's state is not a read of the page.
    sql = [q["sql"] for q in on_replica.captured_queries]
    return response, [s for s in sql if "pg_last_wal_replay_lsn" not in s]


def _log_in(client, user) -> None:
    client.force_login(user)


def test_the_zone_map_the_overview_and_the_daily_report_read_the_replica(
    replica, tree, client, tmp_path
):
    _log_in(client, tree.users["district"])
    wait_for_replay()
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True  # the alias is the standby, not the primary
    zone = tree.zones[0]
    response, sql = _replica_queries(client, f"/api/zones/{zone.pk}/map")
    assert response.status_code == 200
    assert response.json()["zone"]["name"] == zone.name
    assert any("places_building" in s for s in sql), sql
    response, sql = _replica_queries(client, reverse("reports:zone_map", args=[zone.pk]))
    assert response.status_code == 200 and zone.name in response.content.decode()
    assert sql
    response, sql = _replica_queries(client, reverse("reports:overview"))
    assert response.status_code == 200 and sql
    # The daily report of `fangyi report daily` too.
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        call_command("report", "daily", "--out", str(tmp_path / "d.xlsx"), "--no-progress")
    assert (tmp_path / "d.xlsx").stat().st_size > 0
    assert on_replica.captured_queries
    # /healthz: a current replica, lag 0 (caught up although nothing was written since).
    body = client.get("/healthz").json()["checks"]["replica"]
    assert body["status"] == "ok" and body["in_recovery"] is True
    assert body["lag_seconds"] == 0.0


def test_who_just_wrote_reads_the_write_although_the_replica_is_behind(
    replica, tree, client, settings
):
    user = tree.users["district"]
    _log_in(client, user)
    building, zone = tree.buildings[0], tree.zones[0]
    old = building.polygon
    wait_for_replay()
    pause_replay()  # from now on the standby shows the old outline
    new = [[0, 0], [50, 0], [50, 40], [0, 40]]
    saved = client.post(
        reverse("reports:polygon", args=[building.pk]),
        json.dumps({"polygon": new}),
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    url = f"/api/zones/{zone.pk}/map"

    def outline(response) -> list:
        return next(b["polygon"] for b in response.json()["buildings"] if b["id"] == building.pk)

    # The writer, pinned by the cookie of its POST: the primary, the new outline.
    response, sql = _replica_queries(client, url)
    assert response.status_code == 200 and outline(response) == new
    assert sql == []
    # Somebody else in the same moment reads the replica, still behind: the old outline.
    from django.test import Client

    other = Client()
    _log_in(other, user)
    response, sql = _replica_queries(other, url)
    assert sql and outline(response) == old
    # The pin lasts FANGYI_REPLICA_PIN_SECONDS.
    settings.REPLICA_PIN_SECONDS = 0
    time.sleep(1.01)
    response, sql = _replica_queries(client, url)
    assert sql and outline(response) == old


def test_a_replica_lagging_past_the_limit_is_not_read(replica, tree, client, settings, caplog):
    _log_in(client, tree.users["district"])
    wait_for_replay()
    pause_replay()
    tree.zones[0].gates.create(name="北门")  # a write the paused standby does not replay
    settings.REPLICA_MAX_LAG_SECONDS = 0.2
    time.sleep(0.3)
    with caplog.at_level(logging.WARNING, logger="fangyi.replica"):
        response, sql = _replica_queries(client, reverse("reports:overview"))
        again, sql_again = _replica_queries(client, reverse("reports:stats"))
    assert response.status_code == 200 and again.status_code == 200
    assert sql == [] and sql_again == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "fangyi.replica"]
    assert len(warnings) == 1 and "lags" in warnings[0], warnings
    health = client.get("/healthz").json()["checks"]["replica"]
    assert health["status"] == "lagging" and health["lag_seconds"] > 0.2


def test_a_stopped_replica_sends_the_pages_to_the_primary_with_one_warning(
    replica_down, tree, client, caplog
):
    _log_in(client, tree.users["district"])
    zone = tree.zones[0]
    with caplog.at_level(logging.WARNING, logger="fangyi.replica"):
        first = client.get(reverse("reports:zone_map", args=[zone.pk]))
        second = client.get(reverse("reports:overview"))
    assert first.status_code == 200 and zone.name in first.content.decode()
    assert second.status_code == 200
    warnings = [r.getMessage() for r in caplog.records if r.name == "fangyi.replica"]
    assert len(warnings) == 1 and "unavailable (OperationalError)" in warnings[0], warnings
    health = client.get("/healthz")
    assert health.status_code == 200  # reported, not judged
    assert health.json()["checks"]["replica"]["status"] == "fail"


@pytest.mark.django_db(transaction=True)  # outside a transaction the router tries the replica
def test_a_replica_refusing_the_connection_mid_request_falls_back(
    replica_down, tree, client, caplog, monkeypatch
):
    # Healthy at the last look, refused at the page's first read.
    monkeypatch.setattr(
        dbrouter, "replica_status", lambda fresh=False: {"status": "ok", "lag_seconds": 0.0}
    )
    _log_in(client, tree.users["district"])
    with caplog.at_level(logging.WARNING, logger="fangyi.replica"):
        response = client.get(reverse("reports:overview"))
    assert response.status_code == 200
    warnings = [r.getMessage() for r in caplog.records if r.name == "fangyi.replica"]
    assert len(warnings) == 1 and "unavailable" in warnings[0], warnings


def test_a_query_failing_on_the_replica_mid_page_runs_the_page_on_the_primary(
    replica, tree, client, caplog
):
    _log_in(client, tree.users["district"])
    zone = tree.zones[0]
    wait_for_replay()
    failed = []

    def fail_once(execute, sql, params, many, context):
        if not failed:
            failed.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    assert dbrouter.replica_status(fresh=True)["status"] == "ok"  # looked at before the page
    replica.execute_wrappers.append(fail_once)
    try:
        with caplog.at_level(logging.WARNING, logger="fangyi.replica"):
            response = client.get(f"/api/zones/{zone.pk}/map")
    finally:
        replica.execute_wrappers.remove(fail_once)
    assert failed and "pg_last_wal_replay_lsn" not in failed[0]  # a read of the page failed
    assert response.status_code == 200 and response.json()["zone"]["name"] == zone.name
    warnings = [r.getMessage() for r in caplog.records if r.name == "fangyi.replica"]
    assert len(warnings) == 1 and "unavailable" in warnings[0], warnings
