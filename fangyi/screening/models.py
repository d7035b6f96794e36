"""Door-to-door screening: campaigns, three-person teams, their areas and visits.

A campaign covers a place (a street, community or zone) over dates, and can be closed
(and reopened). Teams of three staff (one leader) are given buildings, or single floors
of a building. A visit is one team's call at one dwelling; each person found is a
`VisitPerson` row, so person-times (人次) are a count of rows. Progress is derived from
visits at read time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.duty.models import Staff
from fangyi.places.models import Building, Community, District, Dwelling, Street, Zone
from fangyi.screening.choices import Outcome


class Campaign(models.Model):
    """A screening campaign (排查) over one place (street, community or zone) and dates.

    The lowest of street/community/zone that is set is the place; the ids above it are
    copied so scoping is one indexed filter, as for places and people.
    """

    name = models.CharField(pgettext_lazy("group", "name"), max_length=100)
    district = models.ForeignKey(District, models.PROTECT, related_name="+")
    street = models.ForeignKey(Street, models.PROTECT, related_name="+")
    community = models.ForeignKey(
        Community, models.PROTECT, null=True, blank=True, related_name="+"
    )
    zone = models.ForeignKey(Zone, models.PROTECT, null=True, blank=True, related_name="+")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Closing is an event, not a date range: a campaign can end early or run late.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(zone__isnull=True) | models.Q(community__isnull=False),
                name="campaign_zone_has_community",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        """A closed campaign takes no new visits or teams; its records stay readable."""
        return self.closed_at is not None

    @property
    def level(self) -> str:
        if self.zone_id:
            return "zone"
        if self.community_id:
            return "community"
        return "street"

    @property
    def place(self):
        return getattr(self, self.level)


class Team(models.Model):
    """A three-person team (三人小组) of a campaign; one member leads."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="teams")
    name = models.CharField(pgettext_lazy("group", "name"), max_length=30)
    members = models.ManyToManyField(  # type: ignore[var-annotated]
        Staff, through="TeamMember", related_name="screening_teams"
    )

    class Meta:
        ordering = ["campaign", "name", "id"]
        verbose_name = _("screening team")
        verbose_name_plural = _("screening teams")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    """A staff member on a team; exactly one member of a team is its leader."""

    team = models.ForeignKey(Team, models.CASCADE, related_name="memberships")
    staff = models.ForeignKey(Staff, models.CASCADE, related_name="screening_memberships")
    leader = models.BooleanField(_("team leader"), default=False)

    class Meta:
        ordering = ["team", "-leader", "id"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(fields=["team", "staff"], name="team_member_unique"),
            models.UniqueConstraint(
                fields=["team"], condition=models.Q(leader=True), name="team_one_leader"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.staff.name}"


class TeamArea(models.Model):
    """A building, or one floor of it (`floor` set), given to a team."""

    team = models.ForeignKey(Team, models.CASCADE, related_name="areas")
    building = models.ForeignKey(Building, models.CASCADE, related_name="+")
    zone = models.ForeignKey(Zone, models.CASCADE, related_name="+")
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)

    class Meta:
        ordering = ["team", "building", "floor"]
        verbose_name = _("team area")
        verbose_name_plural = _("team areas")
        constraints = [
            # Two partial constraints, because SQLite has no NULLS NOT DISTINCT.
            models.UniqueConstraint(
                fields=["team", "building"],
                condition=models.Q(floor__isnull=True),
                name="team_area_unique_building",
            ),
            models.UniqueConstraint(
                fields=["team", "building", "floor"],
                condition=models.Q(floor__isnull=False),
                name="team_area_unique_floor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.floor or ''}".strip()


class Visit(models.Model):
    """One team's call at one dwelling. `key` is made by the client for each form, so a
    double tap or a retried request is recorded once (unique constraint)."""

    key = models.UUIDField(_("visit key"))
    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="visits")
    team = models.ForeignKey(Team, models.CASCADE, related_name="visits")
    dwelling = models.ForeignKey(Dwelling, models.CASCADE, related_name="+")
    zone = models.ForeignKey(Zone, models.CASCADE, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    at = models.DateTimeField(_("time"), db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [models.UniqueConstraint(fields=["key"], name="visit_unique_key")]
        indexes = [
            models.Index(fields=["campaign", "dwelling"], name="visit_campaign_dwelling"),
            # The zone map reads one zone's visits of one campaign.
            models.Index(fields=["zone", "campaign"], name="visit_zone_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.dwelling_id} {self.outcome} {self.at:%Y-%m-%d %H:%M}"


class VisitPerson(models.Model):
    """One person checked at a visit (one person-time, 人次, when present)."""

    visit = models.ForeignKey(Visit, models.CASCADE, related_name="people")
    person = models.ForeignKey("people.Person", models.CASCADE, related_name="screening_checks")
    present = models.BooleanField(_("present"), default=True)
    temperature = models.DecimalField(
        _("temperature"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    symptoms = models.BooleanField(_("symptoms"), default=False)
    came_from = models.CharField(_("came from"), max_length=100, blank=True)
    came_on = models.DateField(_("came on"), null=True, blank=True)
    new_file = models.BooleanField(_("new file made on the spot"), default=False)

    class Meta:
        ordering = ["visit", "id"]
        verbose_name = _("person checked")
        verbose_name_plural = _("people checked")
        constraints = [
            models.UniqueConstraint(fields=["visit", "person"], name="visit_person_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.person_id}"
