"""/healthz: 200 when the database answers and is migrated, 503 otherwise, with each
check's result; no login, nothing personal, no HTML."""

import pytest
from django.db import OperationalError, connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from fangyi.core import healthz

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_migration_check():
    healthz._migrations_cache.clear()
    yield
    healthz._migrations_cache.clear()


def test_healthy_node_answers_200_to_anybody_with_every_check():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok"},
            "migrations": {"status": "ok", "unapplied": 0},
            # No worker ever ran here and no replica: said so, not faked.
            "worker": {"status": "not_configured"},
            "replica": {"status": "not_configured"},
        },
    }
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


def test_worker_check_reads_the_workers_heartbeats(settings):
    import datetime as dt

    from django.utils import timezone

    from fangyi.jobs.models import WorkerBeat
    from fangyi.jobs.worker import Scheduler

    settings.WORKER_STALE_SECONDS = 120
    Scheduler("worker-a", periodic=False).tick()
    response = Client().get("/healthz")
    assert response.status_code == 200
    worker = response.json()["checks"]["worker"]
    assert (worker["status"], worker["workers"]) == ("ok", 1)
    assert 0 <= worker["last_beat_seconds"] < 5
    # Its last beat is old: no worker runs; the web node still serves (200).
    WorkerBeat.objects.update(seen_at=timezone.now() - dt.timedelta(minutes=5))
    response = Client().get("/healthz")
    assert response.status_code == 200
    worker = response.json()["checks"]["worker"]
    assert (worker["status"], worker["workers"]) == ("fail", 0)
    assert worker["last_beat_seconds"] >= 300
    # A worker that said goodbye is not counted either.
    Scheduler("worker-b", periodic=False).tick()
    assert Client().get("/healthz").json()["checks"]["worker"]["workers"] == 1
    WorkerBeat.objects.filter(worker_id="worker-b").update(stopped_at=timezone.now())
    assert Client().get("/healthz").json()["checks"]["worker"]["status"] == "fail"


def test_unreachable_database_answers_503_naming_only_the_error_class(monkeypatch):
    def refused(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" (10.0.0.9) refused')

    monkeypatch.setattr(connections["default"], "cursor", refused)
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"status": "fail", "error": "OperationalError"}
    assert body["checks"]["migrations"] == {"status": "unknown"}
    assert b"db.internal" not in response.content


def test_unapplied_migration_answers_503():
    # The newest migration of core is recorded as not applied, as on a node whose code
    # is newer than its database.
    recorder = MigrationRecorder(connection)
    newest = recorder.migration_qs.filter(app="core").order_by("-id").first()
    assert newest is not None
    newest.delete()
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"status": "pending", "unapplied": 1}


def test_the_migration_check_is_kept_for_a_while(monkeypatch):
    calls = []
    real = healthz.unapplied_migrations

    def counted(alias="default"):
        calls.append(alias)
        return real(alias)

    monkeypatch.setattr(healthz, "unapplied_migrations", counted)
    for _ in range(3):
        assert Client().get("/healthz").status_code == 200
    assert len(calls) == 1
    monotonic = healthz.time.monotonic()
    monkeypatch.setattr(
        healthz.time, "monotonic", lambda: monotonic + healthz.MIGRATIONS_CACHE_SECONDS + 1
    )
    assert Client().get("/healthz").status_code == 200
    assert len(calls) == 2
