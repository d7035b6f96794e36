"""Reads for passes and gate checks. Lists take the user and are scoped; the snapshot of
a person's state for the colour rules is read by the scan path after the gate check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, Q, QuerySet, When
from django.db.models.functions import TruncHour
from django.http import Http404
from django.utils import timezone

from fangyi.core.policy import PolicyValues
from fangyi.duty.scope import keeps_files, scope_for
from fangyi.health import selectors as health_selectors
from fangyi.health.choices import HOLDING_KINDS, AlertSource, AlertStatus
from fangyi.health.models import Alert
from fangyi.passes import scanning
from fangyi.passes.choices import CheckColour, decision_allowed_q
from fangyi.passes.colour import PersonState
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.people.identity import mask_name
from fangyi.people.models import Person
from fangyi.places.models import Gate, Zone

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- gates -----------------------------------------------------------------------------


def gates_for(user) -> QuerySet[Gate]:
    """Gates where the user may check: gate posts, and every gate of a zone they are
    assigned to; operators anywhere. The rule is the gate check's own
    (scanning.gate_ids), so a listed gate is one where a check is let through."""
    principal = scanning.principal_of(user)
    if principal is None:
        return Gate.objects.none()
    return Gate.objects.filter(pk__in=scanning.gate_ids(principal))


def gate_get(user, pk: int) -> Gate:
    """A gate the user may check at (gates_for), else 404."""
    gate = gates_for(user).select_related("zone", "zone__district").filter(pk=pk).first()
    if gate is None:
        raise Http404
    return gate


def zones_visible(user) -> QuerySet[Zone]:
    """Zones in the user's place scope (zone level and up); grid workers of a building
    see none."""
    if not user.is_authenticated:
        return Zone.objects.none()
    return Zone.objects.filter(scope_for(user).place_q("zone"))


# --- who keeps the person files ------------------------------------------------------------
#
# duty.scope.keeps_files(user, level, obj): `obj` a place at `level`, or (`level` "person")
# a row carrying a dwelling's place ids, a Person or a PassApplication. Only the files
# of the user's places count: gate guards and volunteers keep none, and the single files
# granted to a volunteer (the people it serves now) are files it may open, not keep.


def _kept_q(user) -> Q:
    """Filter for rows carrying a dwelling's place ids (district … building columns):
    those of the places whose person files the user keeps. Never the granted person
    ids: they are ids of Person rows and would match rows of another table by their
    own id (a volunteer serving person 3 saw application 3)."""
    scope = scope_for(user)
    if scope.everything:
        return Q()
    q = Q(pk__in=[])
    for level, ids in scope.people_ids.items():
        if ids:
            q |= Q(**{f"{level}_id__in": sorted(ids)})
    return q


# --- applications and passes ----------------------------------------------------------


def applications_for(user) -> QuerySet[PassApplication]:
    """Applications for dwellings whose person files the user keeps (the verification
    queue): the building's grid worker and everyone above; no guard, no volunteer."""
    if not user.is_authenticated:
        return PassApplication.objects.none()
    return PassApplication.objects.filter(_kept_q(user))


def application_get(user, pk: int) -> PassApplication:
    app = applications_for(user).select_related("dwelling__building", "zone").filter(pk=pk).first()
    if app is None:
        raise Http404
    return app


# What of an application must equal the person file of its document for a manual
# approval to link them. The document is the lookup itself. A differing name is somebody
# else (a stranger who knows a neighbour's ID number); a differing dwelling or mobile
# number may be a move or a new phone, but approving would put the applicant's pass on
# the file and replace the holder's own: the reviewer corrects the file first (through
# the person page, so its history shows it) or rejects the application. A file without
# a mobile number takes the applicant's on approval (recorded in the file's history).
MATCHED_FIELDS = ("name", "phone", "dwelling")


def file_differences(person: Person, application: PassApplication) -> tuple[str, ...]:
    """The fields of MATCHED_FIELDS in which `application` differs from `person`, the
    file with its document (empty: the reviewer may approve)."""
    differs = []
    if person.name != application.name:
        differs.append("name")
    if person.phone and person.phone != application.phone:
        differs.append("phone")
    if person.dwelling_id != application.dwelling_id:
        differs.append("dwelling")
    return tuple(differs)


@dataclass(frozen=True)
class FileMatch:
    """How a pending application compares with the person file of its document.

    `found`: a file has this document number; `in_area`: the reviewer keeps it. The
    other fields are None when no file is found, or when the file lies outside the
    reviewer's places (its name, phone and dwelling are not the reviewer's to compare,
    as a duplicate ID elsewhere is reported without the other file's name). `phone` is
    False and `phone_missing` True for a file without a mobile number. `may_open`: the
    reviewer may open the file."""

    found: bool
    in_area: bool = False
    person_id: int | None = None
    verified: bool | None = None
    name: bool | None = None
    phone: bool | None = None
    phone_missing: bool | None = None
    dwelling: bool | None = None
    may_open: bool = False

    @property
    def full(self) -> bool:
        """Everything the applicant typed matches a verified file."""
        return bool(self.verified and self.name and self.phone and self.dwelling)

    @property
    def approvable(self) -> bool:
        """Whether the reviewer may approve (services.application_approve agrees): no file
        (approving makes one), or a file they keep that differs in nothing that must
        match (file_differences)."""
        if not self.found:
            return True
        return bool(
            self.in_area and self.name and self.dwelling and (self.phone or self.phone_missing)
        )


def application_matches(user, applications: list[PassApplication]) -> dict[int, FileMatch]:
    """Per application id, how it compares with the file of its document (one query):
    the queue shows it so the reviewer does not approve blind."""
    numbers = {a.doc_number for a in applications}
    columns = ("doc_type", "doc_number", "name", "phone", "verified", "dwelling_id")
    places = ("building_id", "zone_id", "community_id", "street_id", "district_id")
    people = Person.objects.filter(doc_number__in=sorted(numbers)).only(*columns, *places)
    files = {(p.doc_type, p.doc_number): p for p in people}
    scope = scope_for(user)
    matches: dict[int, FileMatch] = {}
    for app in applications:
        person = files.get((app.doc_type, app.doc_number))
        if person is None:
            matches[app.pk] = FileMatch(found=False)
        elif not keeps_files(user, "person", person):
            matches[app.pk] = FileMatch(found=True, may_open=scope.covers("person", person))
        else:
            differs = file_differences(person, app)
            matches[app.pk] = FileMatch(
                found=True,
                in_area=True,
                person_id=person.pk,
                verified=person.verified,
                name="name" not in differs,
                phone=bool(person.phone) and "phone" not in differs,
                phone_missing=not person.phone,
                dwelling="dwelling" not in differs,
                may_open=True,
            )
    return matches


def pass_for_link(link_key: str) -> Pass:
    """The pass of a secret link (no login): only this pass, nobody else's."""
    found = (
        Pass.objects.select_related("person", "application", "district", "replaced_by")
        .filter(link_key=link_key)
        .first()
    )
    if found is None:
        raise Http404
    return found


def passes_of(user, person: Person) -> QuerySet[Pass]:
    """Passes of a person whose file the user keeps (their links are the holder's
    credentials: not for guards, nor for a volunteer serving the person)."""
    if not user.is_authenticated or not keeps_files(user, "person", person):
        return Pass.objects.none()
    return Pass.objects.filter(person=person).order_by("-issued_at", "-id")


# --- the state the colour rules read ----------------------------------------------------


def holder_of(person: Person) -> scanning.Holder:
    return scanning.Holder(
        id=person.pk,
        name=person.name,
        district_id=person.district_id,
        community_id=person.community_id,
    )


def person_state(
    person: Person | None,
    *,
    values: PolicyValues,
    today: dt.date,
    temperature: Decimal | None = None,
) -> PersonState:
    """The snapshot the colour rules need (scanning.state_of)."""
    holder = holder_of(person) if person is not None else None
    return scanning.state_of(holder, values=values, today=today, temperature=temperature)


# --- checks, alerts, the board -------------------------------------------------------


def checks_for(user) -> QuerySet[GateCheck]:
    """Gate checks at the zones in the user's scope."""
    if not user.is_authenticated:
        return GateCheck.objects.none()
    if user.is_superuser:
        return GateCheck.objects.all()
    return GateCheck.objects.filter(zone_id__in=zones_visible(user).values("pk"))


def fever_alerts_for(user) -> QuerySet[Alert]:
    """The fevers and symptoms found at gates among the alerts routed to the user
    (health.selectors: the person's duty chain, the gate's zone, guards included)."""
    return health_selectors.alerts_for(user).filter(source=AlertSource.GATE, kind__in=HOLDING_KINDS)


def fever_alert_may_review(user, alert: Alert) -> bool:
    """Clear or refer a gate fever: who may act on the alert (health.selectors: the staff
    who keep the person's file, a visitor's: the gate zone's; never a guard, who would
    clear their own hold, or a volunteer). (services.fever_alert_review refuses
    everybody else.)"""
    return user is not None and health_selectors.alert_may_act(user, alert)


def person_file_may_open(user, person: Person | None) -> bool:
    """Whether a page may link `person`'s file for the user: the file is in its scope
    (people.selectors.person_get would open it), so a gate guard gets no dead link."""
    return person is not None and scope_for(user).covers("person", person)


@dataclass(frozen=True)
class FeverRow:
    """A gate fever as the list shows it to the user."""

    alert: Alert
    name: str  # masked: the person's or the visitor's
    file_link: bool  # the name links to the person file
    may_review: bool  # the review buttons are shown


def fever_alert_rows(user, *, limit: int = 200) -> list[FeverRow]:
    """The gate fevers of the user's zones, open ones first, with what the user may do:
    open the person's file (not a guard), review (the zone's doctor and file keepers)."""
    alerts = (
        fever_alerts_for(user)
        .select_related("gate_check__gate", "gate_check__zone", "person", "zone")
        .order_by(Case(When(status=AlertStatus.CLOSED, then=1), default=0), "-created_at")[:limit]
    )
    return [
        FeverRow(
            alert=a,
            name=mask_name(
                a.person.name if a.person else (a.gate_check.visitor_name if a.gate_check else "")
            ),
            file_link=person_file_may_open(user, a.person),
            may_review=fever_alert_may_review(user, a),
        )
        for a in alerts
    ]


def fever_alert_get(user, pk: int) -> Alert:
    alert = fever_alerts_for(user).filter(pk=pk).first()
    if alert is None:
        raise Http404
    return alert


def gate_board(user, *, day: dt.date, zone_ids: list[int] | None = None) -> list[dict]:
    """Checks per hour per gate on a day (Asia/Shanghai), with reds, yellows, refused and fevers,
    for the zones in the user's scope (or the given ones among them). One query."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    checks = checks_for(user).filter(at__gte=start, at__lt=start + dt.timedelta(days=1))
    if zone_ids is not None:
        checks = checks.filter(zone_id__in=zone_ids)
    rows = (
        checks.annotate(hour=TruncHour("at", tzinfo=SHANGHAI))
        .values("zone_id", "zone__name", "gate_id", "gate__name", "hour")
        .annotate(
            checks=Count("id"),
            reds=Count("id", filter=Q(colour="red")),
            yellows=Count("id", filter=Q(colour="yellow")),
            # Real passes that did not admit (revoked, expired, another district's...):
            # the person stood at the gate and was turned away (scanning.record_refused).
            refused=Count("id", filter=Q(colour=CheckColour.REFUSED)),
            fevers=Count("id", filter=Q(fever=True)),
            reconciliations=Count("id", filter=DIFFERS_OFFLINE),
        )
        .order_by("zone__name", "gate__name", "hour")
    )
    return [{**row, "hour": timezone.localtime(row["hour"], SHANGHAI).hour} for row in rows]


# A check made offline that the server coloured otherwise than the phone did, or whose
# decision taken offline the server's answer does not allow (choices.differs_offline).
DIFFERS_OFFLINE = Q(offline_colour__gt="") & (
    ~Q(offline_colour=F("colour")) | ~decision_allowed_q()
)


def reconciliation_lines(
    user, *, day: dt.date, zone_ids: list[int] | None = None, limit: int = 100
) -> list[GateCheck]:
    """The gate board's reconciliation lines: checks of the day, in the user's scope,
    made offline and coloured otherwise by the server (docs/offline.md)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    checks = checks_for(user).filter(
        DIFFERS_OFFLINE, at__gte=start, at__lt=start + dt.timedelta(days=1)
    )
    if zone_ids is not None:
        checks = checks.filter(zone_id__in=zone_ids)
    return list(checks.select_related("gate", "zone").order_by("-at", "-id")[:limit])


def checks_for_guard(user) -> QuerySet[GateCheck]:
    """Checks the user made, at gates they may still check at."""
    principal = scanning.principal_of(user)
    if principal is None:
        return GateCheck.objects.none()
    return GateCheck.objects.filter(guard=user, gate_id__in=scanning.gate_ids(principal))


def application_places(zone_id: str, building_id: str) -> dict[str, Any]:
    """What the public application form offers to choose a dwelling from: every zone, the
    buildings of the chosen zone, the rooms of the chosen building (names only; no person
    data, so no scope: residents apply without logging in)."""
    from fangyi.places.models import Building, Dwelling, Zone

    return {
        "zones": Zone.objects.only("id", "name").order_by("name"),
        "buildings": (
            Building.objects.filter(zone_id=zone_id).only("id", "name") if zone_id.isdigit() else []
        ),
        "rooms": (
            Dwelling.objects.filter(building_id=building_id).only("id", "floor", "room")
            if building_id.isdigit()
            else []
        ),
    }
