"""Policy values: one typed place for every number the rules use.

Numbers live in `Policy.values` (JSON) and are read through `PolicyValues`, whose
defaults are Pingshan's in February 2020. Views and templates never hold them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from fangyi.core.models import Policy

DEFAULT_POLICY_CODE = "pingshan-2020"


@dataclasses.dataclass(frozen=True)
class PolicyValues:
    """Typed policy values with Pingshan's numbers as defaults."""

    # A temperature at or above this is a fever (°C).
    fever_threshold: Decimal = Decimal("37.3")
    # A typed temperature outside this range (°C) is a slip, not a reading: refused.
    temperature_min: Decimal = Decimal("34.0")
    temperature_max: Decimal = Decimal("43.0")
    # Days of quarantine counted from the arrival day (day 1); release on arrival + this.
    quarantine_days: int = 14
    # Days at a health station (温馨驿站) before going home, arrival day being day 1.
    station_days_min: int = 3
    station_days_max: int = 5
    # A normal release needs a negative nucleic acid test sampled within this many days.
    release_requires_negative_test: bool = True
    release_test_max_age_days: int = 7
    # Health check slots: (name, local end time); a check belongs to the first slot
    # whose end is after it, and a slot with no check by its end is missed.
    check_slots: tuple[tuple[str, str], ...] = (("am", "12:00"), ("pm", "20:00"))
    # Groceries (support): orders for a delivery day close at this local time on the
    # evening before; later orders go to the next round. Bags wait at the gate from
    # the delivery time.
    grocery_order_cutoff: str = "20:00"
    grocery_delivery_time: str = "15:00"
    # The daily report (日报) of each district is written at this local time by the
    # worker (`fangyi worker`, docs/jobs.md), with the figures of the day so far.
    daily_report_time: str = "08:00"
    # Passes (fangyi.passes.colour). A pass is valid this many days from issue.
    pass_valid_days: int = 30
    # A returnee with no quarantine case since returning is yellow (station monitoring not
    # done) for this many days after the return date, arrival day being day 1.
    pass_returnee_days: int = 14
    # Colour of a returnee's open case at a station or at home ("red" or "yellow"); a case
    # for any other reason, at an observation point or in hospital is always red.
    pass_returned_case_colour: str = "red"
    # Consecutive days of normal self check-ins after which a red or a yellow case shows
    # green (0: never; only release ends it, as in Pingshan).
    pass_red_green_after_days: int = 0
    pass_yellow_green_after_days: int = 0
    # A gate's offline list (docs/offline.md) older than this admits yellow only.
    offline_list_max_age_minutes: int = 30
    # A screening team's offline list (docs/offline.md) is deleted from the phone after this.
    screening_offline_hours: int = 12
    # Places whose arrivals a screening team reports at once (an alert to the duty chain
    # and the station doctor): a visit's "came from" matching one of these at its start
    # ("湖北" matches "湖北武汉"). Pingshan, February 2020: Hubei.
    high_risk_areas: tuple[str, ...] = ("湖北",)
    # Retention (`fangyi purge`, docs/retention.md): personal data no longer needed goes
    # this many days after the moment named.
    retain_gate_visitor_days: int = 14  # a visitor's name, phone and note, after the check
    retain_gate_check_days: int = 28  # gate checks (with reviewed fever alerts)
    retain_rejected_application_days: int = 30  # rejected pass applications, after decision
    retain_health_check_days: int = 90  # health checks and alerts, after the case closed
    retain_screening_detail_days: int = 90  # temperature, symptoms, travel noted at a visit
    retain_job_days: int = 30  # background jobs (import reports quote rows of the file)
    retain_login_log_days: int = 180  # login records: network logs ≥ 6 months (网络安全法 §21)
    retain_access_log_days: int = 1095  # the reveal log: who saw whose ID number or phone

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> PolicyValues:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - fields
        if unknown:
            raise ImproperlyConfigured(
                _("Unknown policy values: %(names)s") % {"names": ", ".join(sorted(unknown))}
            )
        values = dict(raw)
        for name in ("fever_threshold", "temperature_min", "temperature_max"):
            if name in values:
                values[name] = Decimal(str(values[name]))
        if "check_slots" in values:
            values["check_slots"] = tuple(tuple(slot) for slot in values["check_slots"])
        if "high_risk_areas" in values:
            areas = values["high_risk_areas"]
            if isinstance(areas, str) or not all(
                isinstance(area, str) and area.strip() for area in areas
            ):
                raise ImproperlyConfigured(
                    _("Policy high_risk_areas must be a list of place names.")
                )
            values["high_risk_areas"] = tuple("".join(area.split()) for area in areas)
        result = cls(**values)
        if result.pass_returned_case_colour not in ("red", "yellow"):
            raise ImproperlyConfigured(_("Policy pass_returned_case_colour must be red or yellow."))
        if not result.temperature_min < result.fever_threshold < result.temperature_max:
            raise ImproperlyConfigured(
                _("Policy temperatures must be min < fever threshold < max.")
            )
        # Every time of day a rule reads (the check slots' ends, the grocery round, the
        # daily report): a version with one that cannot be read would fail where it is used.
        for name in ("daily_report_time", "grocery_order_cutoff", "grocery_delivery_time"):
            if not _is_time(getattr(result, name)):
                raise ImproperlyConfigured(
                    _("Policy %(name)s must be a time like 08:00.") % {"name": name}
                )
        slots = result.check_slots
        if (
            not slots
            or not all(
                len(slot) == 2 and str(slot[0]).strip() and _is_time(slot[1]) for slot in slots
            )
            or [end for _name, end in slots] != sorted({end for _name, end in slots})
        ):
            raise ImproperlyConfigured(
                _(
                    "Policy check_slots must be named slots with end times in order, e.g. "
                    '[["am", "12:00"], ["pm", "20:00"]].'
                )
            )
        if not result.station_days_min <= result.station_days_max <= result.quarantine_days:
            raise ImproperlyConfigured(
                _("Policy station days must be min ≤ max ≤ quarantine days.")
            )
        minutes = result.offline_list_max_age_minutes
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 1440:
            raise ImproperlyConfigured(
                _("Policy offline_list_max_age_minutes must be a whole number of minutes, 1–1440.")
            )
        for name in (f.name for f in dataclasses.fields(cls) if f.name.startswith("retain_")):
            days = getattr(result, name)
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                raise ImproperlyConfigured(
                    _("Policy %(name)s must be a whole number of days ≥ 1.") % {"name": name}
                )
        return result

    def is_high_risk(self, origin: str) -> bool:
        """Whether a place someone came from is one of the policy's high-risk areas (its
        name starts with one of them, spaces ignored: "湖北 武汉" matches "湖北")."""
        place = "".join((origin or "").split())
        return bool(place) and any(place.startswith(area) for area in self.high_risk_areas)

    def slot_ends(self) -> list[tuple[str, dt.time]]:
        return [(name, dt.time.fromisoformat(end)) for name, end in self.check_slots]


def _is_time(value: Any) -> bool:
    """A local time of day as the rules write it (08:00)."""
    try:
        dt.time.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def values_of(policy: Policy | None) -> PolicyValues:
    return PolicyValues.from_json(policy.values if policy is not None else {})


# Which version is in force on a date (%s): the latest one effective on or before it, the
# later-made one of two dated the same day. The rule's only text: `policy_in_force` runs
# it through the ORM, and the gate check (passes.scanning) joins it to the gate in the
# check's first statement, so the two cannot drift apart. No row: no version is dated
# that early (see policy_in_force's fallbacks).
POLICY_IN_FORCE_SQL = (
    "SELECT id FROM core_policy WHERE effective_from <= %s "
    "ORDER BY effective_from DESC, id DESC LIMIT 1"
)


def policy_in_force(on: dt.date) -> Policy:
    """The policy version in force on a date (POLICY_IN_FORCE_SQL); before the first
    version, the first one."""
    day = connection.ops.adapt_datefield_value(on)
    policy = Policy.objects.filter(pk=RawSQL(POLICY_IN_FORCE_SQL, (day,))).first()
    if policy is None:
        policy = Policy.objects.order_by("effective_from", "id").first()
    if policy is None:
        # A database without the seeded versions (the migration adds them).
        policy, _ = Policy.objects.get_or_create(
            code=DEFAULT_POLICY_CODE,
            defaults={"name": "坪山 2020", "effective_from": dt.date(2020, 1, 1), "values": {}},
        )
    return policy
