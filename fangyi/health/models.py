"""Exposures between people (close contacts, 密切接触者)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.health.choices import AlertKind, AlertSource, AlertStatus, ExposureKind
from fangyi.people.models import Person
from fangyi.places.models import Building, Community, District, Street, Zone


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


class Alert(models.Model):
    """Something staff must look at about a person (or a gate visitor): a fever or
    symptoms at a gate, a visit or a check-in, a positive test, a missed check-in, a
    confirmed case, an exposure, a referral. The one alert model (health.alerts raises
    them; health.selectors routes them to the staff responsible).

    The person's places are copied at raising (a gate visitor's: the gate's zone) so
    that routing and counting need no join; the facility, case, check, test or visit
    say where the fact was recorded.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    source = models.CharField(_("source"), max_length=10, choices=AlertSource.choices)
    # None: a visitor without a file (a gate check of a visitor).
    person = models.ForeignKey(
        Person, models.CASCADE, null=True, blank=True, related_name="alerts",
        verbose_name=_("person"),
    )  # fmt: skip
    district = models.ForeignKey(
        District, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    street = models.ForeignKey(
        Street, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    community = models.ForeignKey(
        Community, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    zone = models.ForeignKey(Zone, models.PROTECT, null=True, blank=True, related_name="+")
    building = models.ForeignKey(
        Building, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    facility = models.ForeignKey(
        "quarantine.Facility", models.SET_NULL, null=True, blank=True, related_name="alerts",
        verbose_name=_("facility"),
    )  # fmt: skip
    case = models.ForeignKey(
        "quarantine.QuarantineCase", models.CASCADE, null=True, blank=True,
        related_name="alerts", verbose_name=_("quarantine case"),
    )  # fmt: skip
    # No foreign key in the database: on PostgreSQL gate checks and health checks are
    # partitioned by month and their primary key is (id, at), which a key cannot point at
    # by id alone (docs/retention.md, "Partitions"). Django still cascades in the ORM;
    # the purge and the erasure delete these alerts before the rows they point at.
    gate_check = models.ForeignKey(
        "passes.GateCheck", models.CASCADE, null=True, blank=True, related_name="alerts",
        verbose_name=_("gate check"), db_constraint=False,
    )  # fmt: skip
    health_check = models.ForeignKey(
        "quarantine.HealthCheck", models.CASCADE, null=True, blank=True, related_name="alerts",
        verbose_name=_("health check"), db_constraint=False,
    )  # fmt: skip
    test = models.ForeignKey(
        "quarantine.NucleicTest", models.CASCADE, null=True, blank=True, related_name="alerts",
        verbose_name=_("nucleic acid test"),
    )  # fmt: skip
    visit = models.ForeignKey(
        "screening.Visit", models.CASCADE, null=True, blank=True, related_name="alerts",
        verbose_name=_("visit"),
    )  # fmt: skip
    date = models.DateField(_("date"))
    slot = models.CharField(_("slot"), max_length=8, blank=True)
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            # Exactly one alert per missed slot, however often the sweep runs.
            models.UniqueConstraint(
                fields=["case", "date", "slot"],
                condition=Q(kind="missed_check"),
                name="healthalert_one_per_missed_slot",
            ),
            models.UniqueConstraint(
                fields=["health_check", "kind"],
                condition=Q(health_check__isnull=False),
                name="healthalert_one_per_check_and_kind",
            ),
            models.UniqueConstraint(
                fields=["test", "kind"],
                condition=Q(test__isnull=False),
                name="healthalert_one_per_test_and_kind",
            ),
            models.UniqueConstraint(
                fields=["gate_check", "kind"],
                condition=Q(gate_check__isnull=False),
                name="healthalert_one_per_gate_check",
            ),
            models.UniqueConstraint(
                fields=["visit", "person", "kind"],
                condition=Q(visit__isnull=False),
                name="healthalert_one_per_visit_person",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "zone"], name="healthalert_status_zone_idx"),
            # people.state and the gate read a person's open fever alerts.
            models.Index(
                fields=["person"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="healthalert_held_person_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.person_id or '-'} {self.date}"
