"""Exposures between people (close contacts, 密切接触者)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fangyi.health.choices import ExposureKind
from fangyi.people.models import Person


class Exposure(models.Model):
    """A contact's exposure to an index person (a case): what kind, when and where.

    The contact is watched from the last exposure: that day is day 1 and the watch ends
    after the policy's quarantine days (people.state). A new exposure with a later day
    moves the end.
    """

    index_person = models.ForeignKey(
        Person, models.CASCADE, related_name="exposures_given", verbose_name=_("index person")
    )
    contact = models.ForeignKey(
        Person, models.CASCADE, related_name="exposures", verbose_name=_("contact")
    )
    kind = models.CharField(_("kind of contact"), max_length=10, choices=ExposureKind.choices)
    first_exposure_on = models.DateField(_("first exposure"))
    last_exposure_on = models.DateField(_("last exposure"))
    place = models.CharField(_("where"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-last_exposure_on", "-id"]
        verbose_name = _("exposure")
        verbose_name_plural = _("exposures")
        constraints = [
            models.CheckConstraint(
                condition=~Q(index_person=F("contact")), name="exposure_not_to_self"
            ),
            models.CheckConstraint(
                condition=Q(first_exposure_on__lte=F("last_exposure_on")),
                name="exposure_first_before_last",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "last_exposure_on"], name="exposure_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.index_person_id} → {self.contact_id} {self.last_exposure_on}"
