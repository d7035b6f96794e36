"""Close contacts (密切接触者): recording exposures and reading them (docs/contacts.md).

Writes: `exposure_record` (the index person's page and `POST /api/exposures`) and
`contact_case_open` (the page's "start quarantine" for a contact without an open case).
Who may record: the staff who keep the index person's file (district roles included, for
their district), and the staff on duty at the facility where the index person's open
quarantine case is (the station or observation point doctor treating them). Never a gate
guard or a volunteer. The contact may live outside the user's area: the exposure is
recorded all the same, and the contact is shown to that user without name.

The contact's quarantine counts from the last exposure (day 1): quarantine's side
(`health.contact_hooks`, quarantine.contacts) moves an open case's day 1 to a later last
exposure and opens a case for a contact who has none when asked. The contact's state
(people.state: "contact" while no case is open) is refreshed in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.duty.scope import ERR_PLACES_ONLY, is_places_only, keeps_files, scope_for
from fangyi.health.alerts import raise_alert
from fangyi.health.choices import AlertKind, AlertSource, ExposureKind
from fangyi.health.contact_hooks import OpenCase, quarantine_side
from fangyi.health.models import Exposure
from fangyi.people import selectors as people_selectors
from fangyi.people.choices import EpidemicState
from fangyi.people.identity import IdentityError, parse_document
from fangyi.people.models import Person
from fangyi.people.state import refresh as refresh_state

ERR_NOT_YOURS = _(
    "You may not record exposures of this person: it is for the staff who keep the "
    "person's file or treat them at a facility."
)
ERR_SELF = _("The contact cannot be the index person.")
ERR_NO_FILE = _("No person file has this document number. Register the contact first.")
ERR_KIND = _("Choose the kind of contact from the list.")
ERR_FUTURE = _("The day cannot be in the future (today is {today}).")
ERR_LAST_BEFORE_FIRST = _("The last exposure cannot be before the first.")
ERR_TOO_OLD = _("A day before December 2019 cannot be an exposure to this epidemic.")
ERR_NOTE_LONG = _("Keep the note under {n} characters.")
# No exposure to this epidemic before its first cases (as confirmed cases, reports).
EARLIEST_EXPOSURE = dt.date(2019, 12, 1)
NOTE_MAX = 1000
ERR_NO_CONTACT_API = _(
    "Give contact_person_id, or the contact's document (contact_doc_type, contact_doc_number)."
)
ERR_NO_CONTACT = _("Give the contact's document number or choose a member of the household.")
ERR_CONTACT_ID = _(
    "No person of your area or of the index person's household has this id: name a "
    "contact living elsewhere by their document (contact_doc_type, contact_doc_number)."
)
ERR_NOT_HOUSEHOLD = _("This person is not of the index person's household.")
ERR_HAS_CASE = _("The contact is already under quarantine ({case_no}).")
ERR_NO_QUARANTINE = _("Quarantine is not installed here.")
ERR_NOT_WATCHED = _(
    "The contact is not under observation as a close contact now: no quarantine to start."
)

# --- who may ---------------------------------------------------------------------------


def may_record(user, index_person: Person) -> bool:
    """Whether `user` may record exposures to this index person (None: the system)."""
    if user is None:
        return True
    if not user.is_authenticated or is_places_only(user):
        return False
    if keeps_files(user, "person", index_person):
        return True
    side = quarantine_side()
    return side is not None and side.on_duty_for(user, index_person.pk)


def require_record(user, index_person: Person) -> None:
    if not may_record(user, index_person):
        raise PermissionDenied(ERR_PLACES_ONLY if is_places_only(user) else ERR_NOT_YOURS)


def index_person_get(user, pk: int) -> Person:
    """The index person of the contact pages: a file in the user's scope, or the person
    whose open case is at the user's facility; 404 otherwise, and always to gate guards
    and volunteers (who may read the file of a person they serve, not its contacts)."""
    if not user.is_authenticated or is_places_only(user):
        raise Http404
    try:
        return people_selectors.person_get(user, pk)
    except Http404:
        side = quarantine_side()
        # The file first (its primary key lookup answers none for an id no database can
        # hold, where the case's join would fail), then whether the user treats them.
        person = (
            Person.objects.select_related("dwelling", "building", "zone").filter(pk=pk).first()
            if side is not None
            else None
        )
        if person is not None and side is not None and side.on_duty_for(user, person.pk):
            return person
        raise


def household_of(person: Person) -> list[Person]:
    """The other people of the index person's dwelling (contacts to pick from)."""
    if person.dwelling_id is None:
        return []
    return list(
        Person.objects.filter(dwelling_id=person.dwelling_id).exclude(pk=person.pk).order_by("id")
    )


def contact_by_document(doc_type: str, doc_number: str, field_name: str) -> Person:
    """The person with this document, however typed (people.identity); the refusal names
    `field_name`. Found in any area: the contact may live elsewhere."""
    try:
        info = parse_document(doc_type, doc_number, today=timezone.localdate())
    except IdentityError as exc:
        raise ValidationError({field_name: [exc.message]}) from None
    person = Person.objects.filter(doc_type=doc_type, doc_number=info.number).first()
    if person is None:
        raise ValidationError({field_name: [ERR_NO_FILE]})
    return person


# --- writes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    exposure: Exposure
    case: OpenCase | None


def _check_days(first: dt.date | None, last: dt.date | None, today: dt.date) -> dict:
    errors: dict[str, list] = {}
    future = ERR_FUTURE.format(today=f"{today:%Y-%m-%d}")
    if first is None:
        errors["first_exposure_on"] = [_("Enter the first day of exposure.")]
    elif first > today:
        errors["first_exposure_on"] = [future]
    elif first < EARLIEST_EXPOSURE:
        errors["first_exposure_on"] = [ERR_TOO_OLD]
    if last is None:
        errors["last_exposure_on"] = [_("Enter the last day of exposure.")]
    elif last > today:
        errors["last_exposure_on"] = [future]
    elif first is not None and last < first:
        errors["last_exposure_on"] = [ERR_LAST_BEFORE_FIRST]
    return errors


@transaction.atomic
def exposure_record(
    *,
    by,
    index_person: Person,
    contact: Person,
    kind: str,
    first_exposure_on: dt.date | None,
    last_exposure_on: dt.date | None,
    place: str = "",
    note: str = "",
    open_case: bool = False,
    facility_id: int | None = None,
) -> Recorded:
    """Record that `contact` was exposed to `index_person`, in Asia/Shanghai days.

    A contact under quarantine has its case's day 1 moved to a later last exposure
    (never earlier); with `open_case`, a contact without an open case gets one, at home
    unless a facility is given, day 1 the last exposure. The contact's duty chain is
    alerted and its state refreshed. Nothing is saved if anything is refused."""
    require_record(by, index_person)
    today = timezone.localdate()
    errors = _check_days(first_exposure_on, last_exposure_on, today)
    if kind not in ExposureKind.values:
        errors["kind"] = [ERR_KIND]
    if contact.pk == index_person.pk:
        errors["contact"] = [ERR_SELF]
    if len(note.strip()) > NOTE_MAX:
        errors["note"] = [ERR_NOTE_LONG.format(n=NOTE_MAX)]
    if errors:
        raise ValidationError(errors)
    assert first_exposure_on is not None and last_exposure_on is not None
    exposure = Exposure(
        index_person=index_person,
        contact=contact,
        kind=kind,
        first_exposure_on=first_exposure_on,
        last_exposure_on=last_exposure_on,
        place=place.strip(),
        note=note.strip(),
        recorded_by=by if by is not None and by.is_authenticated else None,
    )
    exposure.full_clean(exclude=["recorded_by"])
    exposure.save()
    case = _follow(by, exposure, open_case=open_case, facility_id=facility_id)
    _alert(by, exposure, case)
    refresh_state([contact.pk])
    return Recorded(exposure, case)


def _follow(by, exposure: Exposure, *, open_case: bool, facility_id: int | None):
    side = quarantine_side()
    if side is None:
        return None
    side.follow_exposure(
        by=by, contact_id=exposure.contact_id, last_exposure_on=exposure.last_exposure_on
    )
    case = side.open_cases([exposure.contact_id]).get(exposure.contact_id)
    if case is None and open_case and _watched(exposure.contact):
        try:
            with transaction.atomic():
                case = side.open_contact_case(
                    by=by, contact=exposure.contact, facility_id=facility_id
                )
        except PermissionDenied:
            # A contact whose file the user does not keep: the exposure stands (the
            # contact is watched, red at the gate) and the contact's own staff, alerted,
            # take them in.
            case = None
    return case


def _alert(by, exposure: Exposure, case: OpenCase | None) -> None:
    """Tell the contact's duty chain and, when the contact is under quarantine, the staff
    of the case (health.alerts routes it). The detail names no index person: the
    contact's staff may not see their file."""
    span = f"{exposure.first_exposure_on:%Y-%m-%d}"
    if exposure.last_exposure_on != exposure.first_exposure_on:
        span += f" – {exposure.last_exposure_on:%Y-%m-%d}"
    raise_alert(
        kind=AlertKind.EXPOSURE,
        source=AlertSource.EXPOSURE,
        person=exposure.contact_id,
        case=case.case_id if case is not None else None,
        date=exposure.last_exposure_on,
        detail=" · ".join(filter(None, [span, exposure.place])),
        by=by if by is not None and by.is_authenticated else None,
    )


@transaction.atomic
def contact_case_open(*, by, exposure: Exposure, facility_id: int | None = None) -> OpenCase:
    """Start the quarantine of a contact without an open case, day 1 its last exposure
    (the contact page's button). Refused as any intake of the contact is."""
    require_record(by, exposure.index_person)
    side = quarantine_side()
    if side is None:
        raise ValidationError(ERR_NO_QUARANTINE)
    contact = exposure.contact
    existing = side.open_cases([contact.pk]).get(contact.pk)
    if existing is not None:
        raise ValidationError(ERR_HAS_CASE.format(case_no=existing.case_no))
    if not _watched(contact):
        raise ValidationError(ERR_NOT_WATCHED)
    case = side.open_contact_case(by=by, contact=contact, facility_id=facility_id)
    refresh_state([contact.pk])
    return case


def _watched(contact: Person) -> bool:
    """Whether the contact is watched as a close contact now (people.state's "contact":
    within the quarantine days of the last exposure, no open case): only then is a
    quarantine started from the exposure."""
    refresh_state([contact.pk])
    state = Person.objects.filter(pk=contact.pk).values_list("epidemic_state", flat=True).first()
    return state == EpidemicState.CONTACT


# --- reads -----------------------------------------------------------------------------


def exposure_get(user, pk: int) -> Exposure:
    """An exposure whose index person the user may open the contact pages of."""
    exposure = Exposure.objects.select_related("index_person", "contact").filter(pk=pk).first()
    if exposure is None:
        raise Http404
    index_person_get(user, exposure.index_person_id)
    return exposure


def visible_ids(user, ids: set[int]) -> set[int]:
    """Which of these people's files the user may see (the others are shown without name)."""
    if not ids:
        return set()
    scope = scope_for(user)
    if scope.everything:
        return set(ids)
    return set(Person.objects.filter(scope.person_q(), pk__in=ids).values_list("pk", flat=True))


@dataclass
class ContactRow:
    """One exposure as a list shows it: the other person, named only when the user may
    see their file."""

    exposure: Exposure
    person_id: int
    name: str | None
    state: str
    state_label: str
    watch_until: dt.date | None
    case: OpenCase | None
    # The intake page opened for a watched contact (to take them in at a facility).
    intake_url: str | None = None

    @property
    def visible(self) -> bool:
        return self.name is not None


def _rows(user, exposures: list[Exposure], other: str) -> list[ContactRow]:
    people = {getattr(e, other).pk: getattr(e, other) for e in exposures}
    visible = visible_ids(user, set(people))
    side = quarantine_side()
    cases = side.open_cases(list(people)) if side is not None else {}
    labels = dict(EpidemicState.choices)
    rows = []
    for e in exposures:
        person = getattr(e, other)
        watched = person.epidemic_state == EpidemicState.CONTACT
        rows.append(
            ContactRow(
                exposure=e,
                person_id=person.pk,
                name=person.name if person.pk in visible else None,
                state=person.epidemic_state,
                state_label=str(labels.get(person.epidemic_state, person.epidemic_state)),
                watch_until=person.state_until if watched else None,
                case=cases.get(person.pk),
                intake_url=side.intake_url(person.pk)
                if side is not None and watched and person.pk in visible
                else None,
            )
        )
    return rows


def contacts_of(user, person: Person) -> list[ContactRow]:
    """The people exposed to `person` (its close contacts), latest exposure first."""
    exposures = list(
        Exposure.objects.filter(index_person=person).select_related("contact", "recorded_by__staff")
    )
    return _rows(user, exposures, "contact")


def sources_of(user, person: Person) -> list[ContactRow]:
    """The index persons `person` was exposed to."""
    exposures = list(
        Exposure.objects.filter(contact=person).select_related("index_person", "recorded_by__staff")
    )
    return _rows(user, exposures, "index_person")


def exposure_counts(person: Person) -> tuple[int, int]:
    """(contacts recorded for this person, exposures of this person to others), in one
    query (the person page's panel)."""
    counts = Exposure.objects.filter(Q(index_person=person) | Q(contact=person)).aggregate(
        contacts=Count("id", filter=Q(index_person=person)),
        sources=Count("id", filter=Q(contact=person)),
    )
    return counts["contacts"], counts["sources"]


# --- counts for the maps, the overview and the statistics --------------------------------


def contact_by_id(user, index_person: Person, pk: int, field_name: str) -> Person:
    """A contact named by id (the API): a file the user may see, or a member of the index
    person's household (as the page offers them). A person elsewhere is named by their
    document (contact_by_document): an id alone would let anybody who may record one
    exposure make anybody in the city a close contact, red at every gate. The refusal
    is the same whether the id exists or lies outside the user's area."""
    person = Person.objects.filter(pk=pk).first()
    if person is not None and (
        person.pk in visible_ids(user, {person.pk})
        or (index_person.dwelling_id is not None and person.dwelling_id == index_person.dwelling_id)
    ):
        return person
    raise ValidationError({field_name: [ERR_CONTACT_ID]})


def contact_row(user, exposure: Exposure) -> ContactRow:
    """The exposure as the contact list shows it (after recording, with the fresh state)."""
    exposure = Exposure.objects.select_related("contact").get(pk=exposure.pk)
    return _rows(user, [exposure], "contact")[0]
