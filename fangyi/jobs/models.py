"""Background jobs: long imports and exports run off the request, with their progress."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.jobs.choices import ACTIVE, JobKind, JobStatus
from fangyi.jobs.conf import setting

ERR_STALE = _(
    "The job stopped without finishing: the server process running it ended (a restart "
    "or a crash). Nothing of it was saved unless its result says so; start it again."
)


class Job(models.Model):
    """One long piece of work started from a page, run in a thread of the web process.

    `done` of `total` (total may be unknown, then 0) and `message` (the stage, in the
    language of the user who started it) are written every half second or so, with
    `heartbeat_at`; a queued or running job whose heartbeat is stale lost its process
    and reads as failed. The outcome is `result` (JSON, e.g. an import report) and/or a
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
        """Queued or running, but its process has not been heard of for too long."""
        if self.status not in ACTIVE:
            return False
        last = self.heartbeat_at or self.created_at
        now = now or timezone.now()
        return (now - last).total_seconds() > setting("JOBS_STALE_SECONDS")

    @property
    def state(self) -> str:
        """The status as the user sees it: a stale job has failed."""
        return JobStatus.FAILED if self.is_stale() else self.status

    @property
    def state_label(self) -> str:
        return str(JobStatus(self.state).label)

    @property
    def error_text(self) -> str:
        return str(ERR_STALE) if self.is_stale() else self.error

    @property
    def finished(self) -> bool:
        return self.state in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int | None:
        """Whole percent done, or None while the total is unknown."""
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)
