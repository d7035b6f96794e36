"""The place tree: district → street → community → zone → building → dwelling.

Each level is its own model because each carries different facts (a zone has
a kind and gates, a building floors and a polygon). Lower levels keep the ids
of all their ancestors (set once, by the services, when the row is made) so a
scope or a count at any level is one indexed filter, without joins.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.places.choices import ZoneKind


class District(models.Model):
    """A district (区), the top of a deployment's place tree."""

    name = models.CharField(pgettext_lazy("place", "name"), max_length=100)
    code = models.CharField(_("code"), max_length=20, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    """A street (街道), part of a district."""

    district = models.ForeignKey(District, models.PROTECT, related_name="streets")
    name = models.CharField(pgettext_lazy("place", "name"), max_length=100)
    code = models.CharField(_("code"), max_length=20, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("street")
        verbose_name_plural = _("streets")

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """A community (社区), part of a street."""

    street = models.ForeignKey(Street, models.PROTECT, related_name="communities")
    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    name = models.CharField(pgettext_lazy("place", "name"), max_length=100)
    code = models.CharField(_("code"), max_length=20, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """An enclosed zone (围合区): an urban village, a property compound or one building."""

    community = models.ForeignKey(Community, models.PROTECT, related_name="zones")
    street = models.ForeignKey(Street, models.PROTECT, related_name="+")
    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    name = models.CharField(pgettext_lazy("place", "name"), max_length=100)
    code = models.CharField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ZoneKind.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self) -> str:
        return self.name


class Gate(models.Model):
    """An entrance of a zone (出入口/卡口)."""

    zone = models.ForeignKey(Zone, models.CASCADE, related_name="gates")
    name = models.CharField(pgettext_lazy("place", "name"), max_length=100)

    class Meta:
        ordering = ["zone", "name"]
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        constraints = [
            models.UniqueConstraint(fields=["zone", "name"], name="gate_unique_name_per_zone")
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building (楼栋) of a zone, drawn as a polygon on the zone's base map.

    `polygon` is a list of [x, y] points in the base map's own coordinates
    (0–1000 across, 0–700 down for generated site plans).
    """

    zone = models.ForeignKey(Zone, models.PROTECT, related_name="buildings")
    community = models.ForeignKey(Community, models.PROTECT, related_name="+")
    street = models.ForeignKey(Street, models.PROTECT, related_name="+")
    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    name = models.CharField(pgettext_lazy("place", "name"), max_length=100)
    floors = models.PositiveSmallIntegerField(_("floors"))
    polygon = models.JSONField(_("polygon"), default=list, blank=True)

    class Meta:
        ordering = ["zone", "id"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["zone", "name"], name="building_unique_name_per_zone"),
            models.CheckConstraint(condition=models.Q(floors__gte=1), name="building_floors_gte_1"),
        ]

    def __str__(self) -> str:
        return self.name


class Dwelling(models.Model):
    """A dwelling (房屋): one room number on one floor of a building."""

    building = models.ForeignKey(Building, models.PROTECT, related_name="dwellings")
    zone = models.ForeignKey(Zone, models.PROTECT, related_name="+")
    floor = models.SmallIntegerField(_("floor"))
    room = models.CharField(_("room"), max_length=20)

    class Meta:
        ordering = ["building", "floor", "room"]
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        constraints = [
            models.UniqueConstraint(fields=["building", "room"], name="dwelling_unique_room"),
        ]

    def __str__(self) -> str:
        return f"{self.building.name} {self.room}"


class Household(models.Model):
    """A household (户): people who live together in one dwelling."""

    dwelling = models.ForeignKey(Dwelling, models.PROTECT, related_name="households")
    label = models.CharField(_("label"), max_length=50, blank=True)

    class Meta:
        ordering = ["dwelling", "id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.label or f"#{self.pk}"
