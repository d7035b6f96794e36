"""The records of what retention removed: erasures of one file and daily purges.

Neither holds personal data: an erasure names the file by its id and counts what went,
a purge counts what it removed per kind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Erasure(models.Model):
    """Who erased which person file (by id) when, and how many rows of each kind went or
    were anonymised; never the file's content (retention.erasure)."""

    at = models.DateTimeField(_("time"), db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    person_id = models.PositiveBigIntegerField(_("file id"))
    channel = models.CharField(_("channel"), max_length=10, default="web")
    counts = models.JSONField(_("rows removed or anonymised"), default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("erasure of a person file")
        verbose_name_plural = _("erasures of person files")
        constraints = [
            # A file is erased once; the anonymised file left behind cannot be erased again.
            models.UniqueConstraint(fields=["person_id"], name="erasure_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.at:%Y-%m-%d %H:%M}"


class Purge(models.Model):
    """One run of `fangyi purge` that removed something or nothing (dry runs are not
    recorded): when, under which policy version, and the count of each kind."""

    started_at = models.DateTimeField(_("started at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    policy = models.ForeignKey(
        "core.Policy", models.PROTECT, related_name="+", verbose_name=_("policy")
    )
    counts = models.JSONField(_("rows removed"), default=dict)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"
