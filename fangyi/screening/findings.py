"""What a screening team found at the door that others must act on (issue 14): a fever, symptoms,
or a new arrival from a place the policy lists as high-risk. Each is an alert
(health.alerts) to the duty chain of the person's building and to the health station of
their community, whose doctor sees it; a fever or symptoms alert holds the person for
review (people.state: "review"), in the visit's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from fangyi.core.policy import PolicyValues
from fangyi.health.alerts import raise_alert
from fangyi.health.choices import HOLDING_STATUSES, AlertKind, AlertSource
from fangyi.health.models import Alert
from fangyi.people.models import Person
from fangyi.quarantine.referrals import station_for


@dataclass(frozen=True)
class Finding:
    """One person's check at the door, as far as the alerts need it."""

    person: Person
    present: bool
    temperature: Decimal | None
    symptoms: bool
    came_from: str
    came_on: dt.date | None


def is_new_arrival(finding: Finding, values: PolicyValues, today: dt.date) -> bool:
    """Came from a high-risk area (policy `high_risk_areas`, prefix match) and arrived
    within the policy's quarantine days (the arrival day is day 1), or on a day not given."""
    if not values.is_high_risk(finding.came_from):
        return False
    if finding.came_on is None:
        return True
    return today - dt.timedelta(days=values.quarantine_days - 1) <= finding.came_on <= today


def visit_alerts(
    *, user, visit, findings: list[Finding], values: PolicyValues, today: dt.date
) -> list[Alert]:
    """Raise the alerts of a visit's findings (a fever or symptoms alert derives the
    person's state again: health.alerts). An arrival already reported (an open or
    acknowledged arrival alert) is not reported again on the next visit; a fever or
    symptoms is, each visit being a new reading. No query when nothing was found."""
    raised: list[Alert] = []
    stations: dict[tuple[int | None, int | None], object] = {}
    arrivals = [f.person.pk for f in findings if is_new_arrival(f, values, today)]
    reported = set(
        Alert.objects.filter(
            person_id__in=arrivals,
            kind=AlertKind.HIGH_RISK_ARRIVAL,
            status__in=HOLDING_STATUSES,
        ).values_list("person_id", flat=True)
        if arrivals
        else ()
    )
    for finding in findings:
        person = finding.person
        found: list[tuple[str, str, Decimal | None]] = []
        if finding.present:
            if finding.temperature is not None and finding.temperature >= values.fever_threshold:
                found.append((AlertKind.FEVER, f"{finding.temperature} °C", finding.temperature))
            if finding.symptoms:
                found.append((AlertKind.SYMPTOM, "", finding.temperature))
        if person.pk in arrivals and person.pk not in reported:
            arrived = f" {finding.came_on.isoformat()}" if finding.came_on else ""
            found.append((AlertKind.HIGH_RISK_ARRIVAL, f"{finding.came_from}{arrived}", None))
        if not found:
            continue
        key = (person.district_id, person.community_id)
        if key not in stations:
            stations[key] = station_for(*key)
        for kind, detail, temperature in found:
            raised.append(
                raise_alert(
                    kind=kind,
                    source=AlertSource.VISIT,
                    person=person,
                    visit=visit,
                    facility=stations[key],
                    zone=visit.zone_id,
                    temperature=temperature,
                    detail=detail,
                    date=today,
                    by=user,
                )
            )
    return raised
