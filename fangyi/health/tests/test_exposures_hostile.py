"""The close-contact pages and API against hostile input and personas who may not see
them (issue 14's review): no 500 for an id no database can hold, a 404 for a file the
user may not open, and nothing saved."""

from __future__ import annotations

import pytest

from fangyi.conftest import PASSWORD
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.health.models import Exposure

# Beyond SQLite's INTEGER and PostgreSQL's bigint.
BIG = 2**64


def _staff(django_user_model, username, role, **place):
    user = django_user_model.objects.create_user(username, password=PASSWORD)
    staff = Staff.objects.create(user=user, name=f"{username}员", role=role)
    if place:
        Assignment.objects.create(staff=staff, **place)
    return user


@pytest.mark.parametrize("path", [f"/people/{BIG}/exposures/", f"/people/{BIG}/exposures/new/"])
@pytest.mark.parametrize("persona", ["district", "building", "doctor"])
def test_an_id_beyond_the_database_is_not_found(client, tree, django_user_model, path, persona):
    # The lookup falls back to "on duty at the person's facility" for a file outside the
    # user's area; that join met the huge id as an OverflowError (500) on SQLite.
    if persona == "doctor":
        user = _staff(django_user_model, "doc", Role.STATION_DOCTOR)
    else:
        user = tree.users[persona]
    client.force_login(user)
    assert client.get(path).status_code == 404
    assert client.post(path, {"kind": "household"}).status_code in (404, 405)
    assert not Exposure.objects.exists()


def test_an_exposure_to_someone_outside_the_area_comes_without_its_note(client, tree):
    # The note was written by the other person's staff and may name them: the API gives
    # it, like the name, only to those who may see the other person's file (the page
    # shows neither).
    import datetime as dt

    from django.utils import timezone

    from fangyi.duty.services import api_token_create
    from fangyi.health import exposures

    leader, grid = tree.users["district"], tree.users["building"]
    contact, index = tree.people[0], tree.people[-1]  # building 1 of zone 1; zone 3
    today = timezone.localdate()
    exposures.exposure_record(
        by=leader, index_person=index, contact=contact, kind="transport",
        first_exposure_on=today - dt.timedelta(days=2),
        last_exposure_on=today - dt.timedelta(days=1), place="M1 路公交", note="与王五同车",
    )  # fmt: skip
    auth = {"headers": {"Authorization": f"Bearer {api_token_create(user=grid)}"}}
    row = client.get(f"/api/people/{contact.pk}/exposures", **auth).json()["exposed_to"][0]
    assert (row["person_name"], row["note"]) == (None, "")
    assert row["place"] == "M1 路公交"
    auth = {"headers": {"Authorization": f"Bearer {api_token_create(user=leader)}"}}
    row = client.get(f"/api/people/{contact.pk}/exposures", **auth).json()["exposed_to"][0]
    assert (row["person_name"], row["note"]) == (index.name, "与王五同车")


@pytest.mark.parametrize(
    ("first", "note", "field"),
    [
        ("0001-01-01", "", "first_exposure_on"),
        ("2019-11-30", "", "first_exposure_on"),
        (None, "长" * 1001, "note"),
    ],
)
def test_a_day_before_the_epidemic_or_an_endless_note_is_refused_by_name(tree, first, note, field):
    import datetime as dt

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from fangyi.health import exposures

    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        exposures.exposure_record(
            by=tree.users["district"],
            index_person=tree.people[0],
            contact=tree.people[1],
            kind="work",
            first_exposure_on=dt.date.fromisoformat(first) if first else today,
            last_exposure_on=today,
            note=note,
        )
    assert list(refused.value.message_dict) == [field]
    assert not Exposure.objects.exists()
