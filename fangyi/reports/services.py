"""Writes of the reports app: confirmed cases, zone base pictures, building outlines."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fangyi.duty.scope import ERR_NOT_YOUR_FILES, ERR_PLACES_ONLY, is_places_only, require_files
from fangyi.health.alerts import raise_alert
from fangyi.people.models import Person
from fangyi.people.services import person_health_from_case
from fangyi.people.state import refresh as refresh_state
from fangyi.places.models import Building, Zone
from fangyi.quarantine.hospital import Admission, Outcome, case_admit_to_hospital
from fangyi.reports.choices import CANVAS_HEIGHT, CANVAS_WIDTH, CaseClassification
from fangyi.reports.models import ConfirmedCase, ZoneMap
from fangyi.reports.selectors import can_edit_map, case_zones, may_record_case_in

ERR_POINTS_SHAPE = _("A polygon is a list of [x, y] points.")
ERR_TOO_FEW = _("A building needs at least 3 distinct corners.")
ERR_TOO_MANY = _("A building outline has at most %(max)d corners.")
ERR_OUTSIDE = _("Every corner must lie on the map (0–%(width)d across, 0–%(height)d down).")
ERR_NO_AREA = _("The outline has no area: its corners lie on one line.")
ERR_SELF_CROSSING = _("The outline crosses itself.")
ERR_NOT_ALLOWED = _("You may look at this map but not change it.")
ERR_FUTURE = _("The date of confirmation cannot be in the future.")
ERR_TOO_OLD = _("The date of confirmation is before the epidemic.")
ERR_ZONE_NEEDED = _("Choose the zone, or a person whose file names it.")
ERR_PERSON_ELSEWHERE = _("This person lives in another zone (%(zone)s).")
ERR_ALREADY_CONFIRMED = _("This person is already counted as a confirmed case.")
ERR_NOT_RECORDER = _(
    "Confirmed cases are recorded by the staff who keep the person files of the zone."
)
ERR_IMAGE = _("Upload a PNG, JPEG or WebP picture.")
ERR_IMAGE_BIG = _("The picture is too large (at most %(mb)d MB and %(px)d pixels a side).")

MAX_CORNERS = 200
MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_IMAGE_SIDE = 10_000
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
EARLIEST_CASE = dt.date(2019, 12, 1)


# --- building outlines ---------------------------------------------------------------------


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p1, p2, q1, q2) -> bool:
    """Whether two segments share a point (touching counts)."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True

    def on(a, b, c, d) -> bool:
        return (
            d == 0
            and min(a[0], b[0]) <= c[0] <= max(a[0], b[0])
            and (min(a[1], b[1]) <= c[1] <= max(a[1], b[1]))
        )

    return on(q1, q2, p1, d1) or on(q1, q2, p2, d2) or on(p1, p2, q1, d3) or on(p1, p2, q2, d4)


def polygon_clean(raw: Any) -> list[list[float]]:
    """A building outline, checked: 3–200 distinct corners on the canvas, with an area,
    not crossing itself. Returns the points rounded to 0.1; raises ValidationError."""
    if not isinstance(raw, list | tuple):
        raise ValidationError({"polygon": [ERR_POINTS_SHAPE]})
    points: list[list[float]] = []
    for point in raw:
        if (
            not isinstance(point, list | tuple)
            or len(point) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
            or not all(math.isfinite(v) for v in point)
        ):
            raise ValidationError({"polygon": [ERR_POINTS_SHAPE]})
        x, y = round(float(point[0]), 1), round(float(point[1]), 1)
        if not (0 <= x <= CANVAS_WIDTH and 0 <= y <= CANVAS_HEIGHT):
            raise ValidationError(
                {"polygon": [ERR_OUTSIDE % {"width": CANVAS_WIDTH, "height": CANVAS_HEIGHT}]}
            )
        # A double click leaves the same corner twice: keep one.
        if not points or points[-1] != [x, y]:
            points.append([x, y])
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) > MAX_CORNERS:
        raise ValidationError({"polygon": [ERR_TOO_MANY % {"max": MAX_CORNERS}]})
    if len({(x, y) for x, y in points}) < 3:
        raise ValidationError({"polygon": [ERR_TOO_FEW]})
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share a corner
            if _segments_cross(*edges[i], *edges[j]):
                raise ValidationError({"polygon": [ERR_SELF_CROSSING]})
    area = sum(
        a[0] * b[1] - b[0] * a[1] for a, b in zip(points, points[1:] + points[:1], strict=True)
    )
    if abs(area) / 2 < 1:
        raise ValidationError({"polygon": [ERR_NO_AREA]})
    return points


@transaction.atomic
def building_polygon_set(*, by, building: Building, polygon: Any) -> Building:
    """Draw or move a building on its zone's map (the outline is checked first)."""
    zone = Zone.objects.get(pk=building.zone_id)
    if not can_edit_map(by, zone):
        raise PermissionDenied(ERR_NOT_ALLOWED)
    building.polygon = polygon_clean(polygon)
    Building.objects.filter(pk=building.pk).update(polygon=building.polygon)
    return building


# --- base pictures -------------------------------------------------------------------------


def _image_facts(upload) -> tuple[str, int, int]:
    from PIL import Image, UnidentifiedImageError

    if upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            {"base_image": [ERR_IMAGE_BIG % {"mb": MAX_IMAGE_BYTES // 2**20, "px": MAX_IMAGE_SIDE}]}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            fmt, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError({"base_image": [ERR_IMAGE]}) from None
    finally:
        upload.seek(0)
    if fmt not in IMAGE_FORMATS:
        raise ValidationError({"base_image": [ERR_IMAGE]})
    if max(width, height) > MAX_IMAGE_SIDE or min(width, height) < 1:
        raise ValidationError(
            {"base_image": [ERR_IMAGE_BIG % {"mb": MAX_IMAGE_BYTES // 2**20, "px": MAX_IMAGE_SIDE}]}
        )
    return IMAGE_FORMATS[fmt], width, height


@transaction.atomic
def zone_base_image_set(*, by, zone: Zone, upload) -> ZoneMap:
    """Store an uploaded aerial photo or site plan as the zone map's base picture.

    The file goes to the default storage (MEDIA_ROOT) under a new random name, so a
    browser never shows a cached old picture; the previous file is removed.
    """
    if not can_edit_map(by, zone):
        raise PermissionDenied(ERR_NOT_ALLOWED)
    suffix, width, height = _image_facts(upload)
    name = default_storage.save(
        f"zone-maps/{zone.pk}-{secrets.token_hex(6)}.{suffix}", upload, max_length=200
    )
    zone_map = ZoneMap.objects.select_for_update().filter(zone=zone).first()
    old = zone_map.base_image.name if zone_map else None
    if zone_map is None:
        zone_map = ZoneMap(zone=zone)
    zone_map.base_image.name = name
    zone_map.image_width, zone_map.image_height = width, height
    zone_map.updated_by = by if getattr(by, "is_authenticated", False) else None
    zone_map.save()
    if old and old != name:
        transaction.on_commit(lambda: default_storage.delete(old))
    return zone_map


@transaction.atomic
def zone_base_image_remove(*, by, zone: Zone) -> None:
    """Go back to the site plan drawn from the building outlines."""
    if not can_edit_map(by, zone):
        raise PermissionDenied(ERR_NOT_ALLOWED)
    zone_map = ZoneMap.objects.filter(zone=zone).first()
    if zone_map is not None:
        name = zone_map.base_image.name
        zone_map.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


# --- confirmed cases -----------------------------------------------------------------------


def may_record_cases(user) -> bool:
    """Whether the user may record confirmed cases somewhere (for pages: the link, the
    form): some zone of its view where `selectors.may_record_case_in`."""
    return user is None or case_zones(user).exists()


def check_case_recorder(by) -> None:
    """Refuse (PermissionDenied) a user who may record no confirmed case anywhere."""
    if not may_record_cases(by):
        raise PermissionDenied(ERR_PLACES_ONLY if is_places_only(by) else ERR_NOT_RECORDER)


ERR_CLASSIFICATION = _("Choose confirmed, asymptomatic or suspected.")
ERR_ONSET_AFTER = _("The date of onset cannot be after the date confirmed.")
ERR_ONSET_TOO_OLD = _("The date of onset is before the epidemic.")
ERR_NO_CHANGE = _("Nothing to change: the record already says this.")
ERR_DOWNGRADE = _(
    "A confirmed or asymptomatic case is not made suspected again; "
    "mark the person recovered in their file when they are."
)


def _date_errors(date: dt.date, onset_date: dt.date | None, today: dt.date) -> dict[str, list]:
    errors: dict[str, list] = {}
    if date > today:
        errors["date"] = [ERR_FUTURE]
    elif date < EARLIEST_CASE:
        errors["date"] = [ERR_TOO_OLD]
    if onset_date is not None:
        if onset_date < EARLIEST_CASE:
            errors["onset_date"] = [ERR_ONSET_TOO_OLD]
        elif onset_date > date:
            errors["onset_date"] = [ERR_ONSET_AFTER]
    return errors


@transaction.atomic
def confirmed_case_create(
    *,
    by,
    date: dt.date,
    zone: Zone | None = None,
    person: Person | None = None,
    classification: str = CaseClassification.CONFIRMED,
    onset_date: dt.date | None = None,
    note: str = "",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ConfirmedCase:
    """Record a confirmed (asymptomatic, suspected) case on the day it was classified
    (the person when known; a person recorded as suspected has the record updated,
    `confirmed_case_update`), and everything it moves, in one transaction
    (`_case_consequences`): the person's health status and epidemic state, their
    quarantine case to hospital, the alert to the duty chain and the facility.

    It changes the official statistics: `by` must keep the person files of the zone and
    of the person (`check_case_recorder`, `duty.scope.require_files`); None is the system.
    """
    check_case_recorder(by)
    today = today or timezone.localdate()
    errors = _date_errors(date, onset_date, today)
    if classification not in CaseClassification.values:
        errors["classification"] = [ERR_CLASSIFICATION]
    if person is not None and person.zone_id is not None:
        if zone is None:
            zone = Zone.objects.get(pk=person.zone_id)
        elif zone.pk != person.zone_id:
            where = Zone.objects.filter(pk=person.zone_id).values_list("name", flat=True).first()
            errors["person"] = [ERR_PERSON_ELSEWHERE % {"zone": where}]
    if zone is None:
        errors.setdefault("zone", [ERR_ZONE_NEEDED])
    # Refused before any message says more about the zone or the person.
    if zone is not None and not may_record_case_in(by, zone):
        raise PermissionDenied(ERR_PLACES_ONLY if is_places_only(by) else ERR_NOT_YOUR_FILES)
    if person is not None:
        require_files(by, "person", person)
    existing = ConfirmedCase.objects.filter(person=person).first() if person is not None else None
    if (
        existing is not None
        and not errors
        and existing.classification == CaseClassification.SUSPECTED
        and classification != CaseClassification.SUSPECTED
    ):
        # A suspected case confirmed (or found asymptomatic): the same record, updated.
        return confirmed_case_update(
            by=by,
            case=existing,
            classification=classification,
            date=date,
            onset_date=onset_date,
            note=note or None,
            today=today,
            now=now,
        )
    if existing is not None:
        errors.setdefault("person", [ERR_ALREADY_CONFIRMED])
    if errors:
        raise ValidationError(errors)
    assert zone is not None
    case = ConfirmedCase(
        date=date,
        classification=classification,
        onset_date=onset_date,
        person=person,
        zone=zone,
        community_id=zone.community_id,
        street_id=zone.street_id,
        district_id=zone.district_id,
        note=note.strip(),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    case.full_clean(exclude=["created_by"])
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise ValidationError({"person": [ERR_ALREADY_CONFIRMED]}) from None
    _case_consequences(by=by, case=case, now=now)
    return case


@transaction.atomic
def confirmed_case_update(
    *,
    by,
    case: ConfirmedCase,
    classification: str,
    date: dt.date | None = None,
    onset_date: dt.date | None = None,
    note: str | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ConfirmedCase:
    """Change a record's classification (a suspected case confirmed, or found
    asymptomatic), with the date of the new classification; the person's status, state,
    quarantine case and alerts follow as when recording. Same permission as recording."""
    case = ConfirmedCase.objects.select_for_update().select_related("zone").get(pk=case.pk)
    check_case_recorder(by)
    if not may_record_case_in(by, case.zone):
        raise PermissionDenied(ERR_PLACES_ONLY if is_places_only(by) else ERR_NOT_YOUR_FILES)
    if case.person_id is not None:
        require_files(by, "person", Person.objects.get(pk=case.person_id))
    today = today or timezone.localdate()
    date = date or case.date
    onset = onset_date if onset_date is not None else case.onset_date
    errors = _date_errors(date, onset, today)
    if classification not in CaseClassification.values:
        errors["classification"] = [ERR_CLASSIFICATION]
    elif classification == case.classification:
        errors["classification"] = [ERR_NO_CHANGE]
    elif classification == CaseClassification.SUSPECTED:
        errors["classification"] = [ERR_DOWNGRADE]
    if errors:
        raise ValidationError(errors)
    case.classification = classification
    case.date = date
    case.onset_date = onset
    if note is not None:
        case.note = note.strip()
    case.full_clean(exclude=["created_by"])
    case.save(update_fields=["classification", "date", "onset_date", "note"])
    _case_consequences(by=by, case=case, now=now)
    return case


def _case_consequences(*, by, case: ConfirmedCase, now: dt.datetime | None) -> None:
    """What a record moves, in its transaction: the person's health status (with history,
    source "case") and epidemic state; their open quarantine case to a hospital of the
    district, or a case opened there (quarantine.hospital); an alert of kind
    "confirmed_case" to the duty chain of the person's building and to the hospital,
    saying where the case is or that no hospital had room."""
    if case.person_id is None:
        return
    person_health_from_case(user=by, person_id=case.person_id, status=case.classification)
    person = Person.objects.get(pk=case.person_id)
    label = CaseClassification(case.classification).label
    admission = case_admit_to_hospital(
        by=by,
        person=person,
        note=gettext("Recorded as a %(classification)s on %(date)s.")
        % {"classification": label, "date": case.date.isoformat()},
        now=now,
    )
    refresh_state([case.person_id])
    _alert_case(by=by, case=case, person=person, admission=admission)


def _alert_case(*, by, case: ConfirmedCase, person: Person, admission: Admission) -> None:
    label = CaseClassification(case.classification).label
    if admission.outcome == Outcome.NO_HOSPITAL:
        detail = gettext(
            "%(classification)s: no hospital of the district has room; the case stays where it is."
        ) % {"classification": label}
    else:
        detail = gettext("%(classification)s: at %(hospital)s.") % {
            "classification": label,
            "hospital": admission.facility.name if admission.facility else "",
        }
    raise_alert(
        kind="confirmed_case",
        person=person,
        source="case",
        detail=detail,
        case=admission.case,
        facility=admission.facility,
        zone=case.zone,
        date=case.date,
        by=by,
    )
