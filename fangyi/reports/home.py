"""Today's work of each role, for the home page (registered with `fangyi.core.home`).

Every count comes from a selector that takes the user, so a home page never shows work
the user may not open; each section runs a fixed, small number of queries. Which
sections a user gets follows the role of their staff record (operators get the
district's); the screening section follows the data: anyone on a team of an open
campaign sees its dwellings not yet visited.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangyi.core.home import Item, Section
from fangyi.duty.choices import Role
from fangyi.duty.scope import scope_for
from fangyi.duty.selectors import top_places
from fangyi.people.models import Person
from fangyi.reports import selectors
from fangyi.reports.selectors import STATS_LEVELS

# The sections of each role, in the order the page shows them.
OPERATOR = "operator"
SECTIONS_BY_ROLE: dict[str, tuple[str, ...]] = {
    OPERATOR: ("overview", "quarantine", "passes", "area"),
    Role.DISTRICT_LEADER: ("overview", "area"),
    Role.CADRE: ("overview", "passes", "area"),
    Role.COMMUNITY_SECRETARY: ("overview", "passes", "quarantine", "care", "area"),
    Role.PROPERTY_MANAGER: ("maps", "passes", "gates", "care", "area"),
    Role.GRID_WORKER: ("passes", "area"),
    Role.GATE_GUARD: ("gates", "maps"),
    Role.STATION_DOCTOR: ("quarantine", "area"),
    Role.VOLUNTEER: ("support", "maps"),
}
# A handful of big buttons (gates, maps); beyond it, a link to the full list.
MAX_ACTIONS = 6


def role_of(user) -> str | None:
    """The user's role for the home page: "operator" for superusers, else the staff role."""
    if user.is_superuser:
        return OPERATOR
    staff = getattr(user, "staff", None)
    return staff.role if staff is not None and staff.active else None


def today_sections(user, today: dt.date) -> list[Section]:
    """The home page of `user` on `today`: sections of counted links, today's work first
    and the way into the area tree last."""
    role = role_of(user)
    if role is None:
        return []
    keys = list(SECTIONS_BY_ROLE.get(role, ("area",)))
    # A walk in progress is today's work: before the area tree, or last.
    keys.insert(keys.index("area") if "area" in keys else len(keys), "teams")
    sections = [BUILDERS[key](user, today) for key in keys]
    return [s for s in sections if s is not None]


def _url(name: str, *args, **query) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


# --- the sections --------------------------------------------------------------------------


def overview_section(user, today: dt.date) -> Section | None:
    """A leader's district (street, community) at a glance: zones by what they have,
    people in quarantine, open fever alerts and confirmed cases."""
    data = selectors.overview(user)
    if not data.tiles:
        return None
    totals = data.figures()
    section = Section(
        "overview",
        _("My area today"),
        note=ngettext("%(n)d zone", "%(n)d zones", len(data.tiles)) % {"n": len(data.tiles)},
    )
    overview = reverse("reports:overview")
    section.items += [
        Item(
            "zones_quarantine",
            _("zones with people in quarantine"),
            overview,
            totals.zones_quarantine,
        ),
        Item("in_quarantine", _("people in quarantine"), overview, totals.in_quarantine),
        Item(
            "fever_alerts",
            _("open fever alerts"),
            _url("quarantine:worklists", list="fever"),
            totals.fever_alerts,
            urgent=True,
        ),
    ]
    place = next(((lvl, p) for lvl, p in top_places(user) if lvl in STATS_LEVELS), None)
    if place is not None:
        level, obj = place
        stats = selectors.case_stats(user, level, obj.pk, today=today, days=1)
        url = _url("reports:stats", place=f"{level}:{obj.pk}")
        days = stats.days_since_last
        section.items += [
            Item("new_cases", _("new confirmed cases today"), url, stats.new_today, urgent=True),
            Item("cumulative", _("confirmed cases in all"), url, stats.cumulative),
            Item(
                "days_without",
                _("days without a new case"),
                url,
                days,
                note="" if days is not None else _("no case yet"),
            ),
        ]
        section.actions.append(Item("overview", _("Overview of zones"), overview))
        if level != "zone":
            section.actions.append(
                Item(
                    "daily",
                    _("Daily report (xlsx)"),
                    _url("reports:daily", place=f"{level}:{obj.pk}", date=today.isoformat()),
                )
            )
    return section


def quarantine_section(user, today: dt.date) -> Section | None:
    """A doctor's day: cases due for release, check-ins missed, open alerts, tests
    waiting for a result, arrivals at the station."""
    from fangyi.passes.selectors import fever_alerts_for
    from fangyi.quarantine import selectors as quarantine
    from fangyi.quarantine.choices import ACTIVE_STATES, AlertKind
    from fangyi.quarantine.services import alerts_sync_missed

    cases = quarantine.cases_for(user)
    # As the worklists do when read: the slots that ended without a check become
    # alerts (idempotent), so the count here is the list the link opens.
    alerts_sync_missed(cases=cases.filter(state__in=ACTIVE_STATES))
    alerts = dict(
        quarantine.alerts_for(user)
        .filter(status__in=selectors.OPEN_ALERT_STATES)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    worklist = "quarantine:worklists"
    section = Section("quarantine", _("Quarantine"))
    section.items += [
        # First: positive cases still at a station or at home must move (to a hospital or
        # an observation point) before anything else is done.
        Item(
            "must_move",
            _("positive cases that must move"),
            _url(worklist, list="must_move"),
            quarantine.worklist_must_move(user).count(),
            urgent=True,
        ),
        Item(
            "due_release",
            _("due for release"),
            _url(worklist, list="due_release"),
            len(quarantine.worklist_due_release(user, today)),
            urgent=True,
        ),
        Item(
            "missed",
            _("missed check-ins"),
            _url(worklist, list="missed"),
            alerts.get(AlertKind.MISSED_CHECK, 0),
            urgent=True,
        ),
        Item(
            "fever",
            _("fever alerts"),
            _url(worklist, list="fever"),
            alerts.get(AlertKind.FEVER, 0),
            urgent=True,
        ),
        Item(
            "symptoms",
            _("symptom alerts"),
            _url(worklist, list="symptoms"),
            alerts.get(AlertKind.SYMPTOM, 0),
            urgent=True,
        ),
        Item(
            "positive",
            _("positive tests"),
            _url(worklist, list="positive"),
            alerts.get(AlertKind.POSITIVE_TEST, 0),
            urgent=True,
        ),
        Item(
            "tests_pending",
            _("tests waiting for a result"),
            _url(worklist, list="tests_pending"),
            quarantine.worklist_tests_pending(user).count(),
        ),
        Item(
            "arrivals",
            _("arrivals at the station today"),
            _url(worklist, list="arrivals"),
            quarantine.worklist_station_arrivals(user, today).count(),
        ),
    ]
    if "passes" not in SECTIONS_BY_ROLE.get(role_of(user) or "", ()):
        # The zone's doctor reviews fevers found at the gates (others see them with the
        # pass queue).
        section.items.append(
            Item(
                "gate_fevers",
                _("fevers at the gates to review"),
                reverse("passes:fevers"),
                fever_alerts_for(user).filter(status="open").count(),
                urgent=True,
            )
        )
    section.actions.append(Item("intake", _("Intake a returnee"), reverse("quarantine:intake")))
    return section


def passes_section(user, today: dt.date) -> Section | None:
    """Files to keep: pass applications waiting, files not yet verified, gate fevers."""
    from fangyi.passes.selectors import applications_for, fever_alerts_for
    from fangyi.people.selectors import people_for

    if not any(scope_for(user).people_ids.values()) and not user.is_superuser:
        return None
    section = Section("passes", _("Passes and files"))
    section.items += [
        Item(
            "pass_queue",
            _("pass applications to verify"),
            reverse("passes:queue"),
            applications_for(user).filter(status="pending").count(),
            urgent=True,
        ),
        Item(
            "unverified",
            _("person files not yet verified"),
            reverse("reports:unverified"),
            people_for(user).filter(verified=False).count(),
        ),
        Item(
            "gate_fevers",
            _("fevers at the gates to review"),
            reverse("passes:fevers"),
            fever_alerts_for(user).filter(status="open").count(),
            urgent=True,
        ),
    ]
    return section


def gates_section(user, today: dt.date) -> Section | None:
    """The gate screen one tap away, and today's checks at the user's gates."""
    from fangyi.passes.choices import CheckColour
    from fangyi.passes.selectors import checks_for_guard, gates_for

    gates = list(
        gates_for(user).select_related("zone").order_by("zone__name", "name")[: MAX_ACTIONS + 1]
    )
    if not gates:
        return None
    section = Section("gates", _("Gate check"))
    for gate in gates[:MAX_ACTIONS]:
        section.actions.append(
            Item(
                f"gate-{gate.pk}",
                _("Check at %(gate)s") % {"gate": f"{gate.zone.name} {gate.name}"},
                reverse("passes:gate", args=[gate.pk]),
            )
        )
    if len(gates) > MAX_ACTIONS:
        section.actions.append(Item("gates", _("All gates"), reverse("passes:gates")))
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    mine = checks_for_guard(user).filter(at__gte=start, at__lt=start + dt.timedelta(days=1))
    counted = mine.aggregate(
        checks=Count("id"),
        red=Count("id", filter=Q(colour="red")),
        refused=Count("id", filter=Q(colour=CheckColour.REFUSED)),
        fever=Count("id", filter=Q(fever=True)),
    )
    section.items += [
        Item("checks_today", _("my checks today"), reverse("passes:gates"), counted["checks"]),
        Item("reds_today", _("red passes today"), reverse("passes:gates"), counted["red"]),
        # Real passes that did not admit (revoked, expired...): turned away, counted above.
        Item(
            "refused_today", _("passes refused today"), reverse("passes:gates"), counted["refused"]
        ),
        Item("fevers_today", _("fevers found today"), reverse("passes:gates"), counted["fever"]),
    ]
    return section


def maps_section(user, today: dt.date) -> Section | None:
    """The epidemic-prevention maps of the user's zones (property, guards, volunteers)."""
    zone_ids = sorted(scope_for(user).ids.get("zone", ()))
    if not zone_ids:
        return None
    from fangyi.places.models import Zone

    zones = list(Zone.objects.filter(pk__in=zone_ids).order_by("code")[: MAX_ACTIONS + 1])
    section = Section("maps", _("Epidemic-prevention maps"))
    for zone in zones[:MAX_ACTIONS]:
        section.actions.append(
            Item(f"map-{zone.pk}", zone.name, reverse("reports:zone_map", args=[zone.pk]))
        )
    if len(zones) > MAX_ACTIONS:
        section.actions.append(
            Item("overview", _("Overview of zones"), reverse("reports:overview"))
        )
    return section


def support_section(user, today: dt.date) -> Section | None:
    """A volunteer's deliveries and visits."""
    from fangyi.support import selectors as support
    from fangyi.support.choices import RequestStatus

    staff = support.staff_of(user)
    if staff is None:
        return None
    deliveries = support.my_deliveries(user, today)
    home = reverse("support:home")
    section = Section("support", _("Supplies and care"))
    section.items += [
        Item(
            "deliveries_today",
            _("deliveries to make today"),
            home,
            sum(1 for o in deliveries if o.delivery_date == today),
            urgent=True,
        ),
        Item(
            "deliveries_later",
            _("deliveries for the next days"),
            home,
            sum(1 for o in deliveries if o.delivery_date > today),
        ),
        Item(
            "my_requests",
            _("requests given to me"),
            reverse("support:requests"),
            support.requests_for(user)
            .filter(assigned_to=staff, status=RequestStatus.ASSIGNED)
            .count(),
            urgent=True,
        ),
        Item(
            "visits_due",
            _("visits due"),
            reverse("support:visits"),
            len(support.visits_due(user, today)),
            urgent=True,
        ),
    ]
    return section


def care_section(user, today: dt.date) -> Section | None:
    """A manager's supplies and care: requests nobody has taken, visits due."""
    from fangyi.support import selectors as support
    from fangyi.support.choices import RequestStatus

    section = Section("care", _("Supplies and care"))
    section.items += [
        Item(
            "open_requests",
            _("requests nobody has taken"),
            reverse("support:requests"),
            support.requests_for(user).filter(status=RequestStatus.OPEN).count(),
            urgent=True,
        ),
        Item(
            "visits_due",
            _("visits due"),
            reverse("support:visits"),
            len(support.visits_due(user, today)),
        ),
    ]
    section.actions.append(Item("rounds", _("Delivery rounds"), reverse("support:home")))
    return section


def teams_section(user, today: dt.date) -> Section | None:
    """Dwellings not yet visited by each team of an open campaign the user is on."""
    from fangyi.screening.choices import DwellingStatus
    from fangyi.screening.selectors import latest_outcome, status_of, team_dwellings_qs, teams_of

    teams = list(
        teams_of(user)
        .filter(campaign__closed_at__isnull=True, campaign__starts_on__lte=today)
        .prefetch_related("areas")
    )
    if not teams:
        return None
    section = Section("teams", _("Door-to-door screening"))
    for team in teams:
        outcomes = (
            team_dwellings_qs(user, team)
            .annotate(outcome=latest_outcome(team.campaign_id))
            .values_list("outcome")
            .annotate(n=Count("id"))
            .order_by()
        )
        by_status: dict[str, int] = {}
        for outcome, n in outcomes:
            status = status_of(outcome)
            by_status[status] = by_status.get(status, 0) + n
        total = sum(by_status.values())
        waiting = by_status.get(DwellingStatus.NOT_VISITED, 0)
        revisit = by_status.get(DwellingStatus.REVISIT, 0)
        section.items.append(
            Item(
                f"team-{team.pk}",
                _("%(campaign)s · %(team)s: dwellings not yet visited")
                % {"campaign": team.campaign.name, "team": team.name},
                reverse("screening:team", args=[team.pk]),
                waiting,
                urgent=True,
                note=_("%(revisit)d to visit again · %(total)d in all")
                % {"revisit": revisit, "total": total},
            )
        )
    return section


def area_section(user, today: dt.date) -> Section | None:
    """The places the user is assigned to, with their residents (the way into the tree)."""
    tops = top_places(user)
    if not tops:
        return Section(
            "area",
            _("My area"),
            note=_(
                "You are not assigned to any place yet. Ask your community office to assign you."
            ),
        )
    counts: dict[tuple[str, int], int] = {}
    by_level: dict[str, list[int]] = {}
    for level, place in tops:
        by_level.setdefault(level, []).append(place.pk)
    for level, ids in by_level.items():
        rows = (
            Person.objects.filter(**{f"{level}_id__in": ids})
            .values_list(f"{level}_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts.update({(level, pk): n for pk, n in rows})
    section = Section("area", _("My area"))
    for level, place in tops:
        section.items.append(
            Item(
                f"{level}-{place.pk}",
                str(getattr(place, "name", place)),
                reverse("place", args=[level, place.pk]),
                counts.get((level, place.pk), 0),
                note=str(place._meta.verbose_name),
            )
        )
    return section


BUILDERS = {
    "overview": overview_section,
    "quarantine": quarantine_section,
    "passes": passes_section,
    "gates": gates_section,
    "maps": maps_section,
    "support": support_section,
    "care": care_section,
    "teams": teams_section,
    "area": area_section,
}
