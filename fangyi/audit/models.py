"""The access log: every reveal of a masked personal field."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessLog(models.Model):
    """Who revealed which field of whose file, when and from where."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", models.CASCADE, related_name="access_logs")
    field = models.CharField(_("field"), max_length=30)
    channel = models.CharField(_("channel"), max_length=10, default="web")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.field} {self.person_id}"
