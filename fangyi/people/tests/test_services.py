"""Creating and changing person files: validation, duplicates, history."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from fangyi.conftest import make_id_number
from fangyi.people.identity import ERR_ID_CHECK, ERR_PHONE
from fangyi.people.models import Person, PersonEvent
from fangyi.people.services import (
    ERR_DUPLICATE_ELSEWHERE,
    ERR_RETURN_DATE,
    person_create,
    person_update,
)


def test_create_derives_sex_birth_date_and_places(tree):
    dwelling = tree.dwellings[0]
    number = make_id_number(500, born=dt.date(1950, 7, 1))
    person = person_create(
        user=tree.users["building"],
        dwelling=dwelling,
        values={"name": "  王芳 ", "doc_number": number.lower(), "phone": "138 0000 1111"},
    )
    person.refresh_from_db()
    assert (person.name, person.doc_number, person.phone) == ("王芳", number, "13800001111")
    assert person.birth_date == dt.date(1950, 7, 1)
    assert person.sex == ("M" if int(number[16]) % 2 else "F")
    building = dwelling.building
    assert (person.building_id, person.zone_id, person.community_id) == (
        building.pk,
        building.zone_id,
        building.community_id,
    )
    assert (person.street_id, person.district_id) == (building.street_id, building.district_id)
    assert person.household.dwelling_id == dwelling.pk
    event = person.events.get()
    assert event.action == "created" and event.by == tree.users["building"]
    assert event.changes["name"] == [None, "王芳"]


def test_every_bad_field_is_named_and_nothing_saved(tree):
    number = make_id_number(501)
    bad_number = number[:-1] + ("0" if number[-1] != "0" else "1")
    before = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        person_create(
            user=tree.users["building"],
            dwelling=tree.dwellings[0],
            values={
                "name": "",
                "doc_number": bad_number,
                "phone": "12345",
                "travel_status": "returned",
            },
        )
    errors = exc.value.message_dict
    assert errors["doc_number"] == [str(ERR_ID_CHECK)]
    assert errors["phone"] == [str(ERR_PHONE)]
    assert errors["return_date"] == [str(ERR_RETURN_DATE)]
    assert "name" in errors
    assert Person.objects.count() == before
    assert not PersonEvent.objects.exists()


def test_duplicate_in_scope_points_to_the_file(tree):
    existing = tree.people[0]
    with pytest.raises(ValidationError) as exc:
        person_create(
            user=tree.users["building"],
            dwelling=tree.dwellings[1],
            values={"name": "重复", "doc_number": existing.doc_number},
        )
    (error,) = exc.value.error_dict["doc_number"]
    assert existing.name in error.message
    assert error.params == {"id": existing.pk}


def test_duplicate_outside_scope_does_not_leak_the_name(tree):
    existing = tree.people[0]  # in zone 1, not the outsider's
    with pytest.raises(ValidationError) as exc:
        person_create(
            user=tree.users["outsider"],
            dwelling=tree.dwellings[-1],
            values={"name": "重复", "doc_number": existing.doc_number},
        )
    assert exc.value.message_dict["doc_number"] == [str(ERR_DUPLICATE_ELSEWHERE)]
    assert existing.name not in str(exc.value)


def test_fifteen_digit_duplicate_is_caught(tree):
    first = person_create(
        user=tree.users["district"],
        dwelling=tree.dwellings[0],
        values={"name": "老号", "doc_number": "440304500101123"},
    )
    assert len(first.doc_number) == 18
    with pytest.raises(ValidationError):
        person_create(
            user=tree.users["district"],
            dwelling=tree.dwellings[0],
            values={"name": "老号", "doc_number": first.doc_number},
        )


def test_update_keeps_who_when_old_and_new(tree):
    person = tree.people[0]
    user = tree.users["zone"]
    with time_machine.travel(dt.datetime(2020, 2, 10, 9, 30, tzinfo=dt.UTC), tick=False):
        person_update(
            user=user,
            person=person,
            values={
                "travel_status": "returned",
                "return_date": dt.date(2020, 2, 8),
                "verified": True,
            },
        )
    person_update(user=user, person=person, values={"phone": "13912345678"})
    events = list(person.events.order_by("at", "id"))
    assert [e.action for e in events] == ["updated", "updated"]
    first, second = events
    assert first.by == user
    assert first.at == dt.datetime(2020, 2, 10, 9, 30, tzinfo=dt.UTC)
    assert first.changes == {
        "travel_status": ["never_left", "returned"],
        "return_date": [None, "2020-02-08"],
        "verified": [False, True],
    }
    assert second.changes == {"phone": [tree.people[0].phone, "13912345678"]}


def test_update_without_change_writes_no_event(tree):
    person = tree.people[0]
    person_update(user=tree.users["zone"], person=person, values={"name": person.name})
    assert not person.events.exists()


def test_update_rejects_unknown_fields(tree):
    with pytest.raises(ValidationError) as exc:
        person_update(user=tree.users["zone"], person=tree.people[0], values={"zone_id": 99})
    assert "zone_id" in exc.value.message_dict
