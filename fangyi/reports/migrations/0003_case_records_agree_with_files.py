"""Make the files and the confirmed-case records agree (issue 14: one fact).

Before, a confirmed case was recorded without touching the person's file, and a file
could say confirmed or suspected without any record. From now on the record sets the
status (reports.services), so the data already there is brought to the same rule:

- a record names a person whose file says otherwise (normal, symptoms, or suspected
  while the record says confirmed): the record is the fact, the file follows it
  (unless the file says recovered, which ends a case), with a history line (source
  "case", no author);
- a file says confirmed, asymptomatic or suspected without a record: a record of that
  classification is made in the person's zone, dated the day the file was set so (its
  history), else the day of this migration, noted as completed from the file. A file
  without a zone cannot be counted anywhere and is left as it is.

The people changed have their epidemic state derived again (people.state).
"""

from __future__ import annotations

from django.db import migrations
from django.utils import timezone

CASE_HEALTH = ("confirmed", "asymptomatic", "suspected")
NOTE = "由人员档案的健康状况补录"


def _day_set(PersonEvent, person_id: int, status: str):
    """The day (Asia/Shanghai) the file's history last set `status`, if it says."""
    for at, changes in (
        PersonEvent.objects.filter(person_id=person_id).order_by("-at").values_list("at", "changes")
    ):
        value = (changes or {}).get("health_status")
        if isinstance(value, list) and len(value) == 2 and value[1] == status:
            return timezone.localdate(at)
    return None


def agree(apps, schema_editor) -> list[int]:
    Person = apps.get_model("people", "Person")
    PersonEvent = apps.get_model("people", "PersonEvent")
    ConfirmedCase = apps.get_model("reports", "ConfirmedCase")
    Zone = apps.get_model("places", "Zone")
    changed: list[int] = []
    for case in ConfirmedCase.objects.filter(person__isnull=False).select_related("person"):
        person = case.person
        if person.health_status in (case.classification, "recovered"):
            continue
        PersonEvent.objects.create(
            person_id=person.pk,
            source="case",
            action="updated",
            changes={"health_status": [person.health_status, case.classification]},
        )
        Person.objects.filter(pk=person.pk).update(health_status=case.classification)
        changed.append(person.pk)
    recorded = ConfirmedCase.objects.filter(person__isnull=False).values("person_id")
    zones = {}
    for person in Person.objects.filter(health_status__in=CASE_HEALTH, zone__isnull=False).exclude(
        pk__in=recorded
    ):
        zone = zones.get(person.zone_id) or Zone.objects.get(pk=person.zone_id)
        zones[zone.pk] = zone
        ConfirmedCase.objects.create(
            date=_day_set(PersonEvent, person.pk, person.health_status) or timezone.localdate(),
            classification=person.health_status,
            person_id=person.pk,
            zone_id=zone.pk,
            community_id=zone.community_id,
            street_id=zone.street_id,
            district_id=zone.district_id,
            note=NOTE,
        )
        changed.append(person.pk)
    return changed


def forwards(apps, schema_editor) -> None:
    changed = agree(apps, schema_editor)
    if changed:
        # The current rule, reading the tables of the migrations this one depends on.
        from fangyi.people.state import refresh

        refresh(changed)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_case_classification_and_onset"),
        ("people", "0003_epidemic_state"),
        ("health", "0003_alert_relations"),
        ("quarantine", "0002_alerts_moved_to_health"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
