"""Policy versions (the rules' numbers, each version in force from a date) and the
rate-limit counts of the public forms."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Policy(models.Model):
    """A version of the epidemic-prevention policy (thresholds, durations, colour rules).

    Decisions record the version they used; a quarantine case keeps the version in force
    at its intake (core.policy.policy_in_force) unless re-applied with a reason.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    effective_from = models.DateField(_("effective from"))
    values = models.JSONField(_("values"), default=dict)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%Y-%m-%d})"


class RateCount(models.Model):
    """One rate-limit window's count of one key (core.ratelimit): in the database, so that
    every worker process and app node counts against the same limit."""

    name = models.CharField(max_length=200, unique=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("rate-limit count")
        verbose_name_plural = _("rate-limit counts")

    def __str__(self) -> str:
        return f"{self.name} {self.hits}"
