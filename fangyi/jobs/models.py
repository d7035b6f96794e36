"""Background jobs: long imports and exports run off the request, with their progress."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.jobs.choices import JobKind, JobStatus
from fangyi.jobs.conf import setting

ERR_STALE = _(
    "The job stopped without finishing: the worker process running it ended (a restart "
    "or a crash) and it was tried as often as allowed. Nothing of it was saved unless "
    "its result says so; start it again."
)


class Job(models.Model):
    """One long piece of work started from a page, run by a worker process (`fangyi worker`).

    `function` is the dotted path of the work (a module-level function taking the job's
    context); `task_id` the queue entry (django_tasks_db) that runs it, `attempts` how
    many times a worker began it (a worker that ended mid-job leaves it to be begun
    again, up to JOBS_MAX_ATTEMPTS). `done` of `total` (total may be unknown, then 0) and `message` (the stage, in the
    language of the user who started it) are written every half second or so, with
    `heartbeat_at`; a queued or running job whose heartbeat is stale lost its process
    and is begun again or failed by the next sweep (`jobs.worker.jobs_recover`). The outcome is `result` (JSON, e.g. an import report) and/or a
    file under VAR_DIR/jobs (`result_file`, downloaded as `result_name`).
    """

    kind = models.CharField(_("kind"), max_length=20, choices=JobKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="jobs", verbose_name=_("user")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.CharField(_("stage"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    result_file = models.CharField(_("result file"), max_length=200, blank=True)
    result_name = models.CharField(_("file name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), null=True, blank=True)
    function = models.CharField(_("work"), max_length=200, blank=True)
    task_id = models.CharField(_("queue entry"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    worker = models.CharField(_("worker"), max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [models.Index(fields=["user", "-created_at"], name="jobs_job_user_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="jobs_job_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", args=[self.pk])

    # ---- derived at read time ----

    def is_stale(self, now: dt.datetime | None = None) -> bool:
        """Running, but its worker has not been heard of for too long (a queued job
        waits for a worker however long that takes: it is not lost)."""
        if self.status != JobStatus.RUNNING:
            return False
        last = self.heartbeat_at or self.created_at
        now = now or timezone.now()
        return (now - last).total_seconds() > setting("JOBS_STALE_SECONDS")

    def will_retry(self) -> bool:
        """A stale job the worker's sweep will queue again (attempts left)."""
        return self.attempts < setting("JOBS_MAX_ATTEMPTS")

    @property
    def state(self) -> str:
        """The status as the user sees it: a stale job waits to be begun again, or,
        tried as often as allowed, has failed."""
        if self.is_stale():
            return JobStatus.QUEUED if self.will_retry() else JobStatus.FAILED
        return self.status

    @property
    def state_label(self) -> str:
        return str(JobStatus(self.state).label)

    @property
    def error_text(self) -> str:
        return str(ERR_STALE) if self.state == JobStatus.FAILED and self.is_stale() else self.error

    @property
    def finished(self) -> bool:
        return self.state in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int | None:
        """Whole percent done, or None while the total is unknown."""
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)


class WorkerBeat(models.Model):
    """A worker process (`fangyi worker`) and when it was last heard of (/healthz)."""

    worker_id = models.CharField(_("worker"), max_length=64, unique=True)
    host = models.CharField(_("host"), max_length=200, blank=True)
    pid = models.PositiveIntegerField(_("process"), default=0)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        ordering = ["-seen_at"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return f"{self.host}:{self.pid} ({self.worker_id})"


class PeriodicRun(models.Model):
    """One run of a periodic task for one period: the unique pair (name, period) is what
    makes each period's run happen once, however many workers look at the clock."""

    name = models.CharField(_("task"), max_length=40)
    period = models.CharField(_("period"), max_length=40)
    worker = models.CharField(_("worker"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")
        constraints = [
            models.UniqueConstraint(fields=["name", "period"], name="jobs_periodic_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.period} ({self.status})"
