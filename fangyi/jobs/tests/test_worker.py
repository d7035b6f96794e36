"""The worker: a job survives the worker being killed or stopped mid-job (a real
`fangyi worker` process on a database file), the recovery sweep, the periodic tasks
(once per period with two workers), and the queue entry written with the job."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from fangyi.jobs import periodic as periodic_module
from fangyi.jobs import worker
from fangyi.jobs.choices import JobKind, JobStatus
from fangyi.jobs.models import ERR_STALE, Job, PeriodicRun, WorkerBeat
from fangyi.jobs.periodic import Periodic, check_slots, daily, every
from fangyi.jobs.services import job_start
from fangyi.jobs.tests import work

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


# ---- queueing ----


def test_a_job_is_queued_with_its_entry_in_one_transaction(tree, settings):
    settings.JOBS_RUN_INLINE = False
    job = job_start(user=tree.users["zone"], kind=JobKind.EXPORT, work=work.slow)
    job = Job.objects.get(pk=job.pk)
    assert (job.status, job.function, job.attempts) == (
        JobStatus.QUEUED, "fangyi.jobs.tests.work.slow", 0,
    )  # fmt: skip
    entry = DBTaskResult.objects.get(id=job.task_id)
    assert entry.status == "READY" and entry.task_path == "fangyi.jobs.tasks.run_job"
    assert entry.args_kwargs["args"] == [job.pk]


def test_work_a_worker_cannot_import_is_refused_before_anything_is_saved(tree, settings):
    settings.JOBS_RUN_INLINE = False
    with pytest.raises(ValueError, match="module-level"):
        job_start(user=tree.users["zone"], kind=JobKind.EXPORT, work=lambda context: None)
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()


def test_running_an_entry_twice_runs_the_job_once(tree, settings):
    settings.JOBS_RUN_INLINE = False
    job = job_start(
        user=tree.users["zone"],
        kind=JobKind.EXPORT,
        work=work.slow,
        params={"steps": 2, "pause": 0},
    )
    assert worker.run_job(job.pk) == {"job": job.pk}
    assert worker.run_job(job.pk) == {"job": job.pk, "skipped": True}
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == (JobStatus.DONE, 1, {"steps": 2})


def test_a_failing_job_records_its_error_in_the_users_language(tree, settings):
    settings.JOBS_RUN_INLINE = False
    with translation.override("zh-hans"):
        job = job_start(user=tree.users["zone"], kind=JobKind.EXPORT, work=work.broken)
    worker.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "ValueError: a bug" in job.error
    assert job.error.startswith("任务失败")


# ---- recovery ----


def _running(user, *, attempts: int, minutes_ago: float, language: str = "en") -> Job:
    job = Job.objects.create(
        kind=JobKind.EXPORT, user=user, status=JobStatus.RUNNING, attempts=attempts,
        function="fangyi.jobs.tests.work.slow", language=language,
    )  # fmt: skip
    entry = DBTaskResult.objects.create(
        args_kwargs={"args": [job.pk], "kwargs": {}}, task_path="fangyi.jobs.tasks.run_job",
        backend_name="default", run_after=timezone.now(), status="RUNNING",
        started_at=timezone.now(),
    )  # fmt: skip
    Job.objects.filter(pk=job.pk).update(
        task_id=str(entry.id), heartbeat_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return Job.objects.get(pk=job.pk)


def test_a_job_whose_worker_ended_is_queued_again_then_failed(tree, settings):
    settings.JOBS_STALE_SECONDS = 120
    settings.JOBS_MAX_ATTEMPTS = 2
    user = tree.users["zone"]
    first_try = _running(user, attempts=1, minutes_ago=5)
    last_try = _running(user, attempts=2, minutes_ago=5)
    alive = _running(user, attempts=1, minutes_ago=0.5)

    assert worker.jobs_recover() == {"again": 1, "failed": 1, "requeued": 0}
    first_try.refresh_from_db()
    assert first_try.status == JobStatus.QUEUED and first_try.message.startswith("Begun again")
    # A new entry to run it; the dead worker's entry reads failed, not running for ever.
    entries = DBTaskResult.objects.filter(args_kwargs__args=[first_try.pk])
    assert sorted(entries.values_list("status", flat=True)) == ["FAILED", "READY"]
    assert str(entries.get(status="READY").id).replace("-", "") == first_try.task_id.replace(
        "-", ""
    )
    last_try.refresh_from_db()
    with translation.override("en"):
        assert (last_try.status, last_try.error) == (JobStatus.FAILED, str(ERR_STALE))
    alive.refresh_from_db()
    assert alive.status == JobStatus.RUNNING
    # A second sweep (another worker) finds nothing more to do.
    assert worker.jobs_recover() == {"again": 0, "failed": 0, "requeued": 0}


def test_a_queued_job_whose_entry_is_gone_is_queued_again(tree, settings):
    settings.JOBS_RUN_INLINE = False
    job = job_start(user=tree.users["zone"], kind=JobKind.EXPORT, work=work.slow)
    DBTaskResult.objects.filter(id=job.task_id).update(status="FAILED")
    later = timezone.now() + dt.timedelta(minutes=1)
    assert worker.jobs_recover(now=later)["requeued"] == 1
    job.refresh_from_db()
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"
    assert worker.jobs_recover(now=later)["requeued"] == 0


# ---- periodic tasks ----


def test_schedules_name_their_periods():
    at = dt.datetime(2020, 2, 15, 7, 59, tzinfo=SHANGHAI)
    assert every(60)(at) == "2020-02-14T23:59:00Z"
    assert daily("08:00")(at) is None
    assert daily("08:00")(at + dt.timedelta(minutes=1)) == "2020-02-15"
    assert daily("00:00")(at) == "2020-02-15"


def test_missed_check_ins_are_swept_after_each_slot_of_the_policy():
    morning = dt.datetime(2020, 2, 15, 11, 59, tzinfo=SHANGHAI)
    assert check_slots(morning) is None
    assert check_slots(morning + dt.timedelta(minutes=1)) == "2020-02-15 am"
    assert check_slots(dt.datetime(2020, 2, 15, 20, 0, tzinfo=SHANGHAI)) == "2020-02-15 pm"


def test_the_daily_report_waits_for_the_policys_time():
    schedule = periodic_module.BY_NAME["daily_report"].schedule
    assert schedule(dt.datetime(2020, 2, 15, 7, 0, tzinfo=SHANGHAI)) is None
    assert schedule(dt.datetime(2020, 2, 15, 8, 0, tzinfo=SHANGHAI)) == "2020-02-15"


COUNTED: list[str] = []


def count_a_run() -> int:
    COUNTED.append("run")
    return len(COUNTED)


def test_each_period_runs_once_with_two_workers(settings, monkeypatch):
    COUNTED.clear()
    tasks = (Periodic("count", f"{__name__}.count_a_run", every(3600), "test"),)
    monkeypatch.setitem(periodic_module.BY_NAME, "count", tasks[0])
    settings.JOBS_RUN_INLINE = False
    now = timezone.now()
    made = worker.periodic_due(now, periodics=tasks) + worker.periodic_due(now, periodics=tasks)
    assert len(made) == 1
    # Both workers run whatever entries they find: the run is claimed once.
    for entry in DBTaskResult.objects.filter(task_path="fangyi.jobs.tasks.run_periodic"):
        worker.run_periodic(entry.args_kwargs["args"][0])
        worker.run_periodic(entry.args_kwargs["args"][0])
    assert COUNTED == ["run"]
    run = PeriodicRun.objects.get(name="count")
    assert (run.status, run.result) == (JobStatus.DONE, {"count": 1})
    # The next hour is a new period.
    assert len(worker.periodic_due(now + dt.timedelta(hours=1), periodics=tasks)) == 1


def test_the_real_schedule_records_each_due_task_once(settings):
    at = dt.datetime(2020, 2, 15, 21, 0, tzinfo=SHANGHAI)
    worker.Scheduler("worker-a").tick(at)
    worker.Scheduler("worker-b").tick(at)
    names = sorted(PeriodicRun.objects.values_list("name", flat=True))
    assert names == ["daily_report", "missed_checkins", "partitions", "purge", "states"]
    assert set(WorkerBeat.objects.values_list("worker_id", flat=True)) == {"worker-a", "worker-b"}


def test_each_periodic_function_runs_on_the_demo_district(settings, tmp_path):
    """Every periodic task runs for real (not only its schedule) and records a result."""
    settings.VAR_DIR = tmp_path
    call_command("demo", scale=0.002, seed=7, no_progress=True, stdout=io.StringIO())
    for periodic in periodic_module.PERIODIC:
        run = PeriodicRun.objects.create(name=periodic.name, period="test")
        worker.run_periodic(run.pk)
        run.refresh_from_db()
        assert run.status == JobStatus.DONE, (periodic.name, run.error)
    # The daily report was issued for each district, a real workbook.
    from openpyxl import load_workbook

    from fangyi.places.models import District
    from fangyi.reports.issued import daily_report_issued

    for district in District.objects.all():
        path = daily_report_issued(district.pk, timezone.localdate())
        assert path is not None
        rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
        # In Chinese (the site's language, as the worker has no user's), one row a community.
        assert rows[0][:2] == ("街道", "社区")
        streets = set(district.streets.values_list("name", flat=True))
        assert streets and streets <= {row[0] for row in rows[1:]}


def test_a_failing_periodic_run_records_why(monkeypatch):
    monkeypatch.setitem(
        periodic_module.BY_NAME, "boom", Periodic("boom", f"{__name__}.nope", every(60), "x")
    )
    run = PeriodicRun.objects.create(name="boom", period="p")
    worker.run_periodic(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and "nope" in run.error


# ---- a real worker process, stopped and killed mid-job ----


def _fangyi(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fangyi.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=True, **kwargs,
    )  # fmt: skip


@pytest.fixture
def worker_site(tmp_path):
    """A database file of its own, migrated, with a user and a queued slow job."""
    env = {
        **os.environ,
        "FANGYI_VAR_DIR": str(tmp_path),
        "FANGYI_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    env.pop("FANGYI_TEST_DATABASE_URL", None)
    _fangyi(env, "migrate", "-v0")
    _fangyi(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "from fangyi.jobs.services import job_start\n"
        "from fangyi.jobs.tests.work import slow\n"
        "user = get_user_model().objects.create_user('lead', password='x')\n"
        "job_start(user=user, kind='export', work=slow, params={'steps': 40, 'pause': 0.1})\n",
    )
    return env, tmp_path / "db.sqlite3"


def _job(db: Path) -> dict:
    with sqlite3.connect(db, timeout=10) as connection:
        connection.row_factory = sqlite3.Row
        return dict(connection.execute("SELECT * FROM jobs_job").fetchone())


def _start_worker(env: dict[str, str], name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "fangyi.cli", "worker", "--interval", "0.1", "--worker-id", name],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _until(db: Path, condition, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = _job(db)
        if condition(row):
            return row
        time.sleep(0.1)
    raise AssertionError(f"the job never got there: {_job(db)}")


def test_a_job_survives_its_worker_being_killed_and_being_stopped(worker_site):
    env, db = worker_site
    # 1. Killed outright mid-job (SIGKILL: no goodbye).
    first = _start_worker(env, "first")
    try:
        row = _until(db, lambda r: r["status"] == "running" and r["done"] >= 3)
        assert (row["worker"], row["attempts"]) == ("first", 1)
    finally:
        first.kill()
        first.wait(10)
    assert _job(db)["status"] == "running"  # as the dead worker left it
    # Its heartbeat goes stale (here: made old, instead of waiting two minutes).
    with sqlite3.connect(db, timeout=10) as connection:
        connection.execute("UPDATE jobs_job SET heartbeat_at = '2020-01-01 00:00:00'")
    # 2. The next worker's sweep queues it again and begins it; stopped (SIGTERM) midway,
    # it gives the job back to the queue without using an attempt.
    second = _start_worker(env, "second")
    row = _until(db, lambda r: r["worker"] == "second" and r["done"] >= 3)
    assert row["attempts"] == 2
    second.send_signal(signal.SIGTERM)
    output, _ = second.communicate(timeout=30)
    assert second.returncode == 0, output
    row = _job(db)
    assert (row["status"], row["attempts"]) == ("queued", 1), output
    assert row["message"].startswith("重新排队")  # the language the job was started in
    # 3. A third worker finishes it.
    third = _start_worker(env, "third")
    try:
        row = _until(db, lambda r: r["status"] in ("done", "failed"))
    finally:
        third.send_signal(signal.SIGTERM)
        third.communicate(timeout=30)
    assert (row["status"], row["worker"], row["done"]) == ("done", "third", 40), row
    with sqlite3.connect(db) as connection:
        beats = dict(connection.execute("SELECT worker_id, stopped_at FROM jobs_workerbeat"))
    assert set(beats) == {"first", "second", "third"}
    assert beats["first"] is None and beats["second"] and beats["third"]  # killed: no goodbye
