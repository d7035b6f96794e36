"""One file per person (一人一档) and its history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangyi.people.choices import DocType, EpidemicState, HealthStatus, Sex, TravelStatus
from fangyi.places.models import Building, Community, District, Dwelling, Household, Street, Zone


class Person(models.Model):
    """A person's file. The place ids above the dwelling are copied from it
    by the services (people.services) so that scoping is one indexed filter."""

    name = models.CharField(_("name"), max_length=50)
    doc_type = models.CharField(
        _("document type"), max_length=12, choices=DocType.choices, default=DocType.ID_CARD
    )
    doc_number = models.CharField(_("document number"), max_length=20)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)

    dwelling = models.ForeignKey(
        Dwelling,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("dwelling"),
    )
    household = models.ForeignKey(
        Household,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("household"),
    )
    building = models.ForeignKey(Building, models.PROTECT, null=True, blank=True, related_name="+")
    zone = models.ForeignKey(Zone, models.PROTECT, null=True, blank=True, related_name="+")
    community = models.ForeignKey(
        Community, models.PROTECT, null=True, blank=True, related_name="+"
    )
    street = models.ForeignKey(Street, models.PROTECT, null=True, blank=True, related_name="+")
    district = models.ForeignKey(District, models.PROTECT, null=True, blank=True, related_name="+")

    origin = models.CharField(_("place of origin"), max_length=100, blank=True)
    travel_status = models.CharField(
        _("travel status"),
        max_length=12,
        choices=TravelStatus.choices,
        default=TravelStatus.NEVER_LEFT,
    )
    return_date = models.DateField(_("return date"), null=True, blank=True)
    health_status = models.CharField(
        _("health status"),
        max_length=12,
        choices=HealthStatus.choices,
        default=HealthStatus.NORMAL,
    )
    verified = models.BooleanField(_("information verified"), default=False)
    # Derived from the facts by people.state and stored by every write that changes one;
    # never set by hand. `state_until`: the last day a state that ends by itself holds.
    epidemic_state = models.CharField(
        _("epidemic state"),
        max_length=12,
        choices=EpidemicState.choices,
        default=EpidemicState.UNVERIFIED,
        editable=False,
    )
    state_until = models.DateField(null=True, blank=True, editable=False)
    elderly_alone = models.BooleanField(_("elderly living alone"), default=False)
    disabled = models.BooleanField(_("disabled"), default=False)
    pregnant = models.BooleanField(_("pregnant"), default=False)
    chronic_illness = models.BooleanField(_("chronic illness"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["doc_type", "doc_number"], name="person_unique_document"
            ),
            models.CheckConstraint(
                condition=~models.Q(travel_status="returned") | models.Q(return_date__isnull=False),
                name="person_returned_has_return_date",
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="person_name_idx"),
            models.Index(fields=["phone"], name="person_phone_idx"),
            models.Index(fields=["zone", "epidemic_state"], name="person_zone_state_idx"),
            models.Index(
                fields=["state_until"],
                condition=models.Q(state_until__isnull=False),
                name="person_state_until_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PersonEvent(models.Model):
    """One change to a person file: who, when, through what, and each field's old → new."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        MERGED = "merged", _("merged with a duplicate file")

    person = models.ForeignKey(Person, models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    source = models.CharField(_("source"), max_length=50, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("person file change")
        verbose_name_plural = _("person file changes")

    def __str__(self) -> str:
        return f"{self.person_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
