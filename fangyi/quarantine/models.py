"""Facilities, quarantine cases with their stages, tests, health checks and alerts.

Dates that change every day ("day 6 of 14", "in quarantine today", "release date")
are never stored: quarantine.rules derives them from the case's start date, its
extensions and its policy version.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core.models import Policy
from fangyi.duty.models import Staff
from fangyi.people.models import Person
from fangyi.places.models import Community, District, Zone
from fangyi.quarantine.choices import (
    CaseReason,
    CaseState,
    CheckChannel,
    FacilityKind,
    ReleaseKind,
    StageKind,
    TestResult,
)


def new_checkin_key() -> str:
    return secrets.token_urlsafe(12)


class Facility(models.Model):
    """A health station, observation point, quarantine hotel or hospital."""

    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    community = models.ForeignKey(
        Community, models.PROTECT, null=True, blank=True, related_name="facilities"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FacilityKind.choices)
    name = models.CharField(pgettext_lazy("place", "name"), max_length=100)
    address = models.CharField(_("address"), max_length=200)
    capacity = models.PositiveIntegerField(_("capacity"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    staff = models.ManyToManyField(
        Staff, blank=True, related_name="facilities", verbose_name=_("staff on duty")
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")

    def __str__(self) -> str:
        return self.name


class QuarantineCase(models.Model):
    """One person's quarantine, from intake to release or transfer.

    `state` changes only through quarantine.services (one service per transition).
    Day 1 is `start_date`, the arrival day in Asia/Shanghai.
    """

    case_no = models.CharField(_("case number"), max_length=20, unique=True, blank=True)
    person = models.ForeignKey(Person, models.PROTECT, related_name="quarantine_cases")
    # Copied from the person at intake for scoping and counting without joins.
    zone = models.ForeignKey(Zone, models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=15, choices=CaseReason.choices)
    origin = models.CharField(_("coming from"), max_length=100, blank=True)
    arrived_at = models.DateTimeField(_("arrival time"))
    start_date = models.DateField(_("day 1"))
    policy = models.ForeignKey(Policy, models.PROTECT, related_name="+", verbose_name=_("policy"))
    extension_days = models.SmallIntegerField(_("days added"), default=0)
    state = models.CharField(_("state"), max_length=12, choices=CaseState.choices)
    released_on = models.DateField(_("released on"), null=True, blank=True)
    release_kind = models.CharField(
        _("release kind"), max_length=8, choices=ReleaseKind.choices, blank=True
    )
    checkin_key = models.CharField(max_length=32, default=new_checkin_key)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("quarantine case")
        verbose_name_plural = _("quarantine cases")
        constraints = [
            # One open case per person: a new one starts only after release or transfer.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(state__in=["station", "home", "observation", "hospital"]),
                name="case_one_open_per_person",
            ),
        ]
        indexes = [models.Index(fields=["state", "zone"], name="case_state_zone_idx")]

    def __str__(self) -> str:
        return self.case_no or f"#{self.pk}"


class Stage(models.Model):
    """A period of a case in one place: a station, home, an observation point, a hospital."""

    case = models.ForeignKey(QuarantineCase, models.CASCADE, related_name="stages")
    kind = models.CharField(_("stage"), max_length=12, choices=StageKind.choices)
    facility = models.ForeignKey(
        Facility,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="stages",
        verbose_name=_("facility"),
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        indexes = [models.Index(fields=["facility", "ended_at"], name="stage_facility_open_idx")]

    def __str__(self) -> str:
        return f"{self.case} {self.kind}"


class NucleicTest(models.Model):
    """A nucleic acid test of a case: when sampled, where analysed, what came out."""

    case = models.ForeignKey(QuarantineCase, models.CASCADE, related_name="tests")
    sampled_on = models.DateField(_("sample date"))
    lab = models.CharField(_("lab"), max_length=100, blank=True)
    result = models.CharField(
        _("result"), max_length=10, choices=TestResult.choices, default=TestResult.PENDING
    )
    result_at = models.DateTimeField(_("result time"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["sampled_on", "id"]
        verbose_name = _("nucleic acid test")
        verbose_name_plural = _("nucleic acid tests")

    def __str__(self) -> str:
        return f"{self.case} {self.sampled_on} {self.result}"


class HealthCheck(models.Model):
    """A temperature and symptoms reading for one slot (morning/evening) of one day."""

    case = models.ForeignKey(QuarantineCase, models.CASCADE, related_name="checks")
    date = models.DateField(_("date"))
    slot = models.CharField(_("slot"), max_length=8)
    at = models.DateTimeField(_("time"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    channel = models.CharField(_("entered by"), max_length=6, choices=CheckChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["date", "at"]
        verbose_name = _("health check")
        verbose_name_plural = _("health checks")
        indexes = [models.Index(fields=["case", "date", "slot"], name="check_case_slot_idx")]

    def __str__(self) -> str:
        return f"{self.case} {self.date} {self.slot} {self.temperature}"


class CaseEvent(models.Model):
    """The history of a case: every transition, test, extension, with who and why."""

    case = models.ForeignKey(QuarantineCase, models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case} {self.action}"
