"""Staff, their duty assignments (分片包干) and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangyi.duty.choices import Role
from fangyi.places.choices import LEVELS
from fangyi.places.models import Building, Community, District, Street, Zone


class Staff(models.Model):
    """A member of staff, with or without a login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("login"),
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return f"{self.name} ({self.role_label})"

    @property
    def role_label(self) -> str:
        """The role's name in the active language. Django's get_role_display() hashes
        every choice's lazy label (one translation each) on every call: 0.16 ms, which
        made the 48-person duty chain of a zone map 8 ms."""
        return str(Role(self.role).label) if self.role in Role.values else self.role


class Assignment(models.Model):
    """A staff member made responsible for one place node (exactly one level is set)."""

    staff = models.ForeignKey(Staff, models.CASCADE, related_name="assignments")
    district = models.ForeignKey(District, models.CASCADE, null=True, blank=True, related_name="+")
    street = models.ForeignKey(Street, models.CASCADE, null=True, blank=True, related_name="+")
    community = models.ForeignKey(
        Community, models.CASCADE, null=True, blank=True, related_name="+"
    )
    zone = models.ForeignKey(Zone, models.CASCADE, null=True, blank=True, related_name="+")
    building = models.ForeignKey(Building, models.CASCADE, null=True, blank=True, related_name="+")
    duty = models.CharField(_("duty"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                # Exactly one place level is set.
                condition=(
                    models.Q(
                        district__isnull=False,
                        street=None,
                        community=None,
                        zone=None,
                        building=None,
                    )
                    | models.Q(
                        district=None,
                        street__isnull=False,
                        community=None,
                        zone=None,
                        building=None,
                    )
                    | models.Q(
                        district=None,
                        street=None,
                        community__isnull=False,
                        zone=None,
                        building=None,
                    )
                    | models.Q(
                        district=None,
                        street=None,
                        community=None,
                        zone__isnull=False,
                        building=None,
                    )
                    | models.Q(
                        district=None,
                        street=None,
                        community=None,
                        zone=None,
                        building__isnull=False,
                    )
                ),
                name="assignment_exactly_one_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} → {self.place}"

    @property
    def level(self) -> str:
        for level in LEVELS:
            if getattr(self, f"{level}_id"):
                return level
        raise ValueError("assignment without a place")

    @property
    def place(self):
        return getattr(self, self.level)


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 is stored, with the token's first
    characters (`prefix`) so that an operator can tell tokens apart and revoke one.
    A token stops working when it expires or is revoked; it is kept, so that using it
    is refused with the reason."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=16, blank=True, db_index=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # None for the tokens made before tokens expired: they work until revoked.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.label}"
