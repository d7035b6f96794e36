"""reports 0003: the files and the confirmed-case records made before issue 14 are brought
to agree (a record's person takes its classification; a file saying confirmed,
asymptomatic or suspected gets a record dated from its history)."""

from __future__ import annotations

import datetime as dt
import importlib

import time_machine
from django.apps import apps

from fangyi.people.models import Person, PersonEvent
from fangyi.people.state import rebuild_differences, refresh_all
from fangyi.reports.models import ConfirmedCase
from fangyi.reports.tests.conftest import at

migration = importlib.import_module("fangyi.reports.migrations.0003_case_records_agree_with_files")
NOW = at(2026, 3, 10, 15)


def test_old_records_and_files_are_made_to_agree(tree):
    normal, suspected, recovered, filed, filed_new, nowhere = tree.people[:6]
    zone = tree.zones[0]

    def old_record(person, day):
        # As the old service wrote it: the record only (classification by default).
        return ConfirmedCase.objects.create(
            date=day, person=person, zone_id=person.zone_id, community_id=zone.community_id,
            street_id=zone.street_id, district_id=zone.district_id,
        )  # fmt: skip

    Person.objects.filter(pk=suspected.pk).update(health_status="suspected")
    Person.objects.filter(pk=recovered.pk).update(health_status="recovered")
    old_record(normal, dt.date(2026, 2, 20))
    old_record(suspected, dt.date(2026, 2, 21))
    old_record(recovered, dt.date(2026, 2, 1))
    # Files set to a case status by hand, one of them with the history saying when.
    Person.objects.filter(pk__in=[filed.pk, filed_new.pk]).update(health_status="asymptomatic")
    with time_machine.travel(at(2026, 3, 2, 23, 30), tick=False):  # 3-2 in Shanghai
        PersonEvent.objects.create(
            person=filed, action="updated", changes={"health_status": ["normal", "asymptomatic"]}
        )
    Person.objects.filter(pk=nowhere.pk).update(
        health_status="confirmed", zone=None, building=None, dwelling=None
    )
    refresh_all()
    with time_machine.travel(NOW, tick=False):
        migration.forwards(apps, None)
        assert rebuild_differences() == []
    status = dict(Person.objects.values_list("pk", "health_status"))
    assert status[normal.pk] == status[suspected.pk] == "confirmed"
    assert status[recovered.pk] == "recovered"
    assert PersonEvent.objects.get(person=normal, source="case").changes == {
        "health_status": ["normal", "confirmed"]
    }
    made = {c.person_id: c for c in ConfirmedCase.objects.filter(note=migration.NOTE)}
    assert set(made) == {filed.pk, filed_new.pk}
    assert made[filed.pk].classification == "asymptomatic"
    assert made[filed.pk].date == dt.date(2026, 3, 2)
    assert made[filed_new.pk].date == dt.date(2026, 3, 10)
    assert made[filed.pk].zone_id == filed.zone_id
    assert not ConfirmedCase.objects.filter(person=nowhere).exists()
    # Run again: nothing more to do.
    with time_machine.travel(NOW, tick=False):
        assert migration.agree(apps, None) == []
