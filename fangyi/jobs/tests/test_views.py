"""Job pages: the owner sees progress, result and file; anybody else gets 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.jobs.choices import JobKind, JobStatus
from fangyi.jobs.conf import files_dir
from fangyi.jobs.models import Job
from fangyi.jobs.services import job_start

pytestmark = pytest.mark.django_db


def _file_job(user) -> Job:
    def work(context):
        context.stage("writing", total=2)
        context.output_file("名单.xlsx", ".xlsx").write_bytes(b"the file")
        context.progress(2)
        return {"summary": "2 people exported."}

    return job_start(user=user, kind=JobKind.EXPORT, work=work, params={"title": "Z1小区"})


def _running_job(user, **fields) -> Job:
    return Job.objects.create(
        kind=JobKind.IMPORT_CHECK, user=user, status=JobStatus.RUNNING,
        heartbeat_at=timezone.now(), **fields,
    )  # fmt: skip


def _urls(job: Job) -> list[str]:
    return [reverse(f"jobs:{name}", args=[job.pk]) for name in ("detail", "progress", "download")]


def test_owner_sees_the_result_and_downloads_the_file(client, tree):
    job = _file_job(tree.users["zone"])
    client.force_login(tree.users["zone"])
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Z1小区" in page and "2 people exported." in page
    assert 'data-state="done"' in page and "hx-trigger" not in page  # polling has stopped
    assert reverse("jobs:download", args=[job.pk]) in page
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"the file"
    assert "attachment" in response["Content-Disposition"]
    assert "xlsx" in response["Content-Disposition"]


def test_running_job_polls_every_second_with_counts(client, tree):
    job = _running_job(tree.users["zone"], done=250, total=1000, message="checking")
    client.force_login(tree.users["zone"])
    fragment = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert reverse("jobs:progress", args=[job.pk]) in fragment
    assert '<progress value="250" max="1000"' in fragment and "25%" in fragment
    assert "checking" in fragment and "<html" not in fragment
    # No total yet: an indeterminate bar.
    Job.objects.filter(pk=job.pk).update(total=0, done=0)
    fragment = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert '<progress data-testid="job-bar"' in fragment


@pytest.mark.parametrize("persona", ["community", "outsider", "district"])
def test_other_users_get_404(client, tree, persona):
    job = _file_job(tree.users["zone"])
    client.force_login(tree.users[persona])
    assert [client.get(url).status_code for url in _urls(job)] == [404, 404, 404]
    assert job.get_absolute_url() not in client.get(reverse("jobs:index")).content.decode()


def test_anonymous_goes_to_login_and_wrong_method_is_405(client, tree):
    job = _file_job(tree.users["zone"])
    for url in _urls(job):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(tree.users["zone"])
    assert [client.post(url).status_code for url in _urls(job)] == [405, 405, 405]


def test_stale_job_is_shown_waiting_again_then_failed(client, tree, settings):
    settings.JOBS_STALE_SECONDS = 60
    settings.JOBS_MAX_ATTEMPTS = 2
    job = _running_job(tree.users["zone"], done=10, total=100)
    Job.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(minutes=5), attempts=1
    )
    client.force_login(tree.users["zone"])
    page = client.get(job.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Its worker ended: a worker will begin it again, the page keeps polling.
    assert 'data-state="queued"' in page and 'data-testid="job-error"' not in page
    assert "hx-trigger" in page
    Job.objects.filter(pk=job.pk).update(attempts=2)
    page = client.get(job.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-state="failed"' in page and 'data-testid="job-error"' in page
    assert "hx-trigger" not in page


def test_deleted_file_is_said_so_and_not_served(client, tree):
    job = _file_job(tree.users["zone"])
    (files_dir() / job.result_file).unlink()
    client.force_login(tree.users["zone"])
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="job-file-gone"' in page
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_my_jobs_lists_my_own(client, tree):
    mine = _file_job(tree.users["zone"])
    theirs = _file_job(tree.users["community"])
    client.force_login(tree.users["zone"])
    page = client.get(reverse("jobs:index")).content.decode()
    assert mine.get_absolute_url() in page and theirs.get_absolute_url() not in page


def test_a_waiting_job_says_when_no_worker_runs(client, tree):
    from fangyi.jobs.worker import Scheduler

    job = Job.objects.create(
        kind=JobKind.EXPORT, user=tree.users["zone"], heartbeat_at=timezone.now()
    )
    client.force_login(tree.users["zone"])
    # Chinese, as the page opens by default: no worker ever ran here.
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="job-no-worker"' in page and "没有后台进程在运行" in page
    # A worker beats: the job just waits its turn.
    Scheduler("worker-a", periodic=False).tick()
    page = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert 'data-testid="job-no-worker"' not in page and 'data-state="queued"' in page
