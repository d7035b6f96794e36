"""Confirmed cases (for the statistics) and zone base maps (for the epidemic-prevention map).

Nothing here stores a count: residents, people in quarantine, alerts and case totals are
computed from the person files, quarantine cases and confirmed cases when read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangyi.people.models import Person
from fangyi.places.models import Community, District, Street, Zone
from fangyi.reports.choices import CaseClassification


class ConfirmedCaseQuerySet(models.QuerySet):
    def counted(self) -> ConfirmedCaseQuerySet:
        """The records the statistics count as confirmed cases: not the suspected ones
        (not yet cases) nor asymptomatic infections (reported apart, as in 2020)."""
        return self.filter(classification=CaseClassification.CONFIRMED)


class ConfirmedCase(models.Model):
    """A confirmed case (确诊病例) counted in the statistics, on the day it was confirmed.

    The classification (confirmed, asymptomatic, suspected) is the person's health
    status: the service sets both in one transaction, and a suspected case later
    confirmed is an update of this record. Only classification "confirmed" counts in
    the statistics of confirmed cases.

    The zone is where the case lived (known even when the person is not in the files);
    community, street and district are copied from it by the service so that totals at
    any level are one indexed filter without joins.
    """

    date = models.DateField(_("date confirmed"))
    classification = models.CharField(
        _("classification"),
        max_length=12,
        choices=CaseClassification.choices,
        default=CaseClassification.CONFIRMED,
    )
    onset_date = models.DateField(_("date of onset"), null=True, blank=True)
    person = models.ForeignKey(
        Person,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="confirmed_cases",
        verbose_name=_("person"),
    )
    zone = models.ForeignKey(Zone, models.PROTECT, related_name="+", verbose_name=_("zone"))
    community = models.ForeignKey(Community, models.PROTECT, related_name="+")
    street = models.ForeignKey(Street, models.PROTECT, related_name="+")
    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ConfirmedCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("confirmed case")
        verbose_name_plural = _("confirmed cases")
        constraints = [
            # A person is confirmed once; a second entry would count them twice.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(person__isnull=False),
                name="confirmed_case_one_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["district", "date"], name="confirmed_district_date_idx"),
            models.Index(fields=["zone", "date"], name="confirmed_zone_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.date}"


def base_image_path(instance: ZoneMap, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"zone-maps/{instance.zone_id}.{suffix}"


class ZoneMap(models.Model):
    """The base picture of a zone's map: an uploaded aerial photo or site plan.

    Without one, the map draws a site plan from the building polygons. Polygons are in
    the canvas's own coordinates (0–1000 across, 0–700 down); the picture is fitted into
    that canvas, keeping its proportions, the same way on the page and in the poster.
    """

    zone = models.OneToOneField(Zone, models.CASCADE, related_name="map", verbose_name=_("zone"))
    base_image = models.ImageField(_("base image"), upload_to=base_image_path, max_length=200)
    image_width = models.PositiveIntegerField(_("image width (px)"))
    image_height = models.PositiveIntegerField(_("image height (px)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["zone"]
        verbose_name = _("zone base map")
        verbose_name_plural = _("zone base maps")

    def __str__(self) -> str:
        return f"{self.zone_id}"
