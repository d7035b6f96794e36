"""Pass applications, passes, gate posts, gate checks and gate fever alerts.

A pass's colour is never stored as the truth: it is computed at each check
(fangyi.passes.colour). A GateCheck keeps what was shown then, with the policy version
that decided it, as the record of that check.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangyi.core.models import Policy
from fangyi.duty.models import Staff
from fangyi.passes.choices import (
    CHECK_REASONS,
    ApplicationStatus,
    CheckColour,
    Decision,
    Method,
    differs_offline,
)
from fangyi.people.choices import DocType
from fangyi.people.models import Person
from fangyi.places.models import Building, Community, District, Dwelling, Gate, Street, Zone


def new_link_key() -> str:
    return secrets.token_urlsafe(18)


class PassApplication(models.Model):
    """A resident's application for a pass (name, document, phone, dwelling).

    Carries the ids of the dwelling's places so the verification queue is scoped with one
    indexed filter, like Person rows.
    """

    name = models.CharField(_("name"), max_length=50)
    doc_type = models.CharField(
        _("document type"), max_length=12, choices=DocType.choices, default=DocType.ID_CARD
    )
    doc_number = models.CharField(_("document number"), max_length=20)
    phone = models.CharField(_("mobile phone"), max_length=11)
    dwelling = models.ForeignKey(Dwelling, models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, models.PROTECT, related_name="+")
    zone = models.ForeignKey(Zone, models.PROTECT, related_name="+")
    community = models.ForeignKey(Community, models.PROTECT, related_name="+")
    street = models.ForeignKey(Street, models.PROTECT, related_name="+")
    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=ApplicationStatus.choices, default="pending"
    )
    person = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="pass_applications"
    )
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("pass application")
        verbose_name_plural = _("pass applications")
        indexes = [
            models.Index(fields=["status", "building"], name="passapp_status_building_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"


class Pass(models.Model):
    """An electronic pass (电子通行证): a secret link for its holder, a token for the QR and
    a short code to type. `person` is empty while the application waits for verification.
    """

    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="passes")
    application = models.ForeignKey(
        PassApplication, models.PROTECT, null=True, blank=True, related_name="passes"
    )
    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    key = models.CharField(max_length=24)
    # The reissue counter printed in the signed (P2) token: a pass issued to replace
    # another has the old one's version + 1 (docs/offline.md).
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1)
    code = models.CharField(_("code"), max_length=11, unique=True)
    link_key = models.CharField(max_length=32, unique=True, default=new_link_key)
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)
    replaced_by = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        constraints = [
            # One person holds one valid pass: a new one replaces the old (services).
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(revoked_at__isnull=True),
                name="pass_one_valid_per_person",
            )
        ]

    def __str__(self) -> str:
        return self.code


class GatePost(models.Model):
    """A staff member posted at a gate (卡口值守). Staff assigned to a zone may check at all
    of its gates too."""

    staff = models.ForeignKey(Staff, models.CASCADE, related_name="gate_posts")
    gate = models.ForeignKey(Gate, models.CASCADE, related_name="posts")

    class Meta:
        ordering = ["gate", "id"]
        verbose_name = _("gate post")
        verbose_name_plural = _("gate posts")
        constraints = [
            models.UniqueConstraint(fields=["staff", "gate"], name="gatepost_unique_staff_gate")
        ]

    def __str__(self) -> str:
        return f"{self.staff} @ {self.gate}"


class GateCheck(models.Model):
    """One check at a gate: who, where, when, the temperature, what was shown and decided.

    The highest-volume table: only the indexes the scan path and the board need.
    """

    gate = models.ForeignKey(Gate, models.PROTECT, related_name="+", db_index=False)
    zone = models.ForeignKey(Zone, models.PROTECT, related_name="+", db_index=False)
    guard = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", db_index=False
    )
    at = models.DateTimeField(_("time"))
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    pass_obj = models.ForeignKey(
        Pass, models.PROTECT, null=True, blank=True, related_name="checks", db_index=False
    )
    person = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    visitor_name = models.CharField(_("visitor's name"), max_length=50, blank=True)
    visitor_phone = models.CharField(_("visitor's phone"), max_length=11, blank=True)
    visitor_note = models.CharField(_("visiting"), max_length=100, blank=True)
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    fever = models.BooleanField(_("fever"), default=False)
    # A real pass that does not admit (revoked, replaced, expired…) is a check too, online
    # and synced from offline: colour "refused", the refusal code as its reason.
    colour = models.CharField(_("colour shown"), max_length=8, choices=CheckColour.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=CHECK_REASONS)
    policy = models.ForeignKey(
        Policy, models.PROTECT, related_name="+", db_index=False, verbose_name=_("policy")
    )
    decision = models.CharField(
        _("decision"), max_length=12, choices=Decision.choices, blank=True, default=""
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # A check made offline and sent later (POST /api/scans/batch, docs/offline.md): the
    # phone's id for it (a batch sent twice makes the row once), the colour the phone
    # showed and the time of the list it used. A check whose server colour differs from
    # the phone's is a reconciliation line on the gate board.
    client_id = models.UUIDField(_("client id"), null=True, blank=True)
    offline_colour = models.CharField(
        _("colour shown offline"), max_length=8, blank=True, default="", db_default=""
    )
    list_taken_at = models.DateTimeField(_("offline list as of"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("gate check")
        verbose_name_plural = _("gate checks")
        indexes = [
            # The board: checks of the zones in scope over a time window.
            models.Index(fields=["zone", "at"], name="gatecheck_zone_at_idx"),
            # Operators' board over every zone, and retention purges.
            models.Index(fields=["at"], name="gatecheck_at_idx"),
            # A person's recent checks (pass page, review).
            models.Index(fields=["person", "at"], name="gatecheck_person_at_idx"),
        ]
        constraints = [
            # Idempotent offline sync. With the time column: on PostgreSQL the table is
            # partitioned by `at`, and a unique index there must hold the partition key
            # (the phone sends a queued check with the same time every time).
            models.UniqueConstraint(
                fields=["client_id", "at"],
                condition=Q(client_id__isnull=False),
                name="gatecheck_client_id_at_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gate_id} {self.at:%Y-%m-%d %H:%M} {self.colour}"

    @property
    def offline_colour_label(self) -> str:
        """The colour the phone showed, in the active language ("refused" is no colour)."""
        return str(CheckColour(self.offline_colour).label) if self.offline_colour else ""

    @property
    def differs_offline(self) -> bool:
        """Made offline and shown there in another colour than the server's, or decided
        there as the server's answer does not allow (choices.differs_offline)."""
        return differs_offline(
            shown=self.offline_colour,
            decision=self.decision,
            colour=self.colour,
            fever=self.fever,
            reason=self.reason,
        )


class PassKey(models.Model):
    """One of a district's Ed25519 key pairs for signing pass tokens (docs/offline.md).

    The newest key whose `not_before` has come signs; every key verifies until its
    `not_after` (None: until a rotation retires it). The private key is kept encrypted
    with a key derived from SECRET_KEY (passes.keys); the public key is published.
    """

    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    kid = models.CharField(_("key id"), max_length=32, unique=True)
    number = models.PositiveIntegerField(_("number"))
    public_key = models.CharField(_("public key"), max_length=64)
    private_key_sealed = models.TextField()
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["district", "-number"]
        verbose_name = _("pass signing key")
        verbose_name_plural = _("pass signing keys")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "number"], name="passkey_unique_district_number"
            )
        ]

    def __str__(self) -> str:
        return self.kid
