"""A screening team offline (issue 15, point 3): the team's offline list and the batch of
visits recorded offline (created, duplicate, conflict with who and when, refused)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from fangyi.duty.services import api_token_create
from fangyi.people.identity import mask_document
from fangyi.screening import services
from fangyi.screening.models import Visit, VisitPerson

pytestmark = pytest.mark.django_db

BATCH = "/api/screening/visits/batch"


def _auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user)}"}


def _list(client, team, user):
    return client.get(f"/api/screening/teams/{team.pk}/offline-list", **_auth(user))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("building", 200),  # the team's leader
        ("community", 200),  # manages the campaign
        ("district", 200),
        ("zone", 404),  # sees the zone, neither on the team nor managing the campaign
        ("outsider", 404),
    ],
)
def test_offline_list_for_the_team_and_its_managers_only(client, tree, team, persona, status):
    assert _list(client, team, tree.users[persona]).status_code == status


def test_offline_list_anonymous_is_401(client, team):
    assert client.get(f"/api/screening/teams/{team.pk}/offline-list").status_code == 401


def test_offline_list_holds_masked_documents_no_phones_and_previous_visits(client, tree, team):
    dwelling = tree.dwellings[0]
    # A visit with no author (an import or a command) is shown as the system's.
    services.visit_record(
        user=None, team=team, dwelling=dwelling, key=uuid.uuid4(), outcome="nobody_home"
    )
    response = _list(client, team, tree.users["building"])
    body = response.json()
    text = response.content.decode()
    assert [d["id"] for d in body["dwellings"]] == [tree.dwellings[0].pk, tree.dwellings[1].pk]
    first = body["dwellings"][0]
    people = [p for p in tree.people if p.dwelling_id == dwelling.pk]
    assert first["people"] == [
        {"id": p.pk, "name": p.name, "doc": mask_document(p.doc_number)} for p in people
    ]
    for person in people:
        assert person.doc_number not in text and person.phone not in text
    assert [(v["outcome"], v["by"], v["team"]) for v in first["visits"]] == [
        ("nobody_home", "系统", "第一小组")
    ]
    taken = dt.datetime.fromisoformat(body["taken_at"])
    assert dt.datetime.fromisoformat(body["expires_at"]) - taken == dt.timedelta(hours=12)
    assert body["fever_threshold"] == "37.3"


def _entry(team, dwelling, taken_at, **extra):
    return {
        "key": str(uuid.uuid4()),
        "dwelling_id": dwelling.pk,
        "outcome": "vacant",
        "at": timezone.now().isoformat(),
        "list_taken_at": taken_at,
        "team": team,
        **extra,
    }


def _post(client, user, team, visits):
    body = {"team_id": team.pk, "visits": visits}
    return client.post(BATCH, body, content_type="application/json", **_auth(user))


def _send(client, user, visits, team=None):
    team = team or visits[0]["team"]
    response = _post(
        client, user, team, [{k: v for k, v in e.items() if k != "team"} for e in visits]
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_batch_created_then_duplicate_same_rows(client, tree, team):
    user = tree.users["building"]
    taken_at = _list(client, team, user).json()["taken_at"]
    person = tree.people[0]
    visits = [
        _entry(
            team,
            tree.dwellings[0],
            taken_at,
            outcome="answered",
            people=[{"person_id": person.pk, "temperature": "36,6"}],
        ),
        _entry(team, tree.dwellings[1], taken_at),
    ]
    first = _send(client, user, visits)
    assert [r["status"] for r in first] == ["created", "created"]
    rows = sorted(Visit.objects.values_list("pk", "key"))
    again = _send(client, user, visits)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [r["visit_id"] for r in again] == [r["visit_id"] for r in first]
    assert sorted(Visit.objects.values_list("pk", "key")) == rows
    assert VisitPerson.objects.get().temperature == Decimal("36.6")


def test_batch_conflict_names_who_and_when_and_records_nothing(client, tree, team):
    user = tree.users["building"]
    taken_at = _list(client, team, user).json()["taken_at"]
    dwelling = tree.dwellings[0]
    online, _ = services.visit_record(
        user=tree.users["community"],
        team=team,
        dwelling=dwelling,
        key=uuid.uuid4(),
        outcome="answered",
    )
    [result] = _send(client, user, [_entry(team, dwelling, taken_at)])
    assert result["status"] == "conflict"
    assert result["by"] == tree.users["community"].staff.name and result["team"] == "第一小组"
    # JSON gives the time to the millisecond.
    assert dt.datetime.fromisoformat(result["at"]) == online.at.replace(
        microsecond=online.at.microsecond // 1000 * 1000
    )
    assert list(Visit.objects.values_list("pk", flat=True)) == [online.pk]


def test_batch_visit_before_the_list_is_not_a_conflict(client, tree, team):
    dwelling = tree.dwellings[0]
    services.visit_record(
        user=None, team=team, dwelling=dwelling, key=uuid.uuid4(), outcome="nobody_home"
    )
    user = tree.users["building"]
    taken_at = _list(client, team, user).json()["taken_at"]
    [result] = _send(client, user, [_entry(team, dwelling, taken_at)])
    assert result["status"] == "created"
    assert Visit.objects.count() == 2


def test_batch_refused_visit_says_why_saves_nothing_and_keeps_the_others(client, tree, team):
    user = tree.users["building"]
    taken_at = _list(client, team, user).json()["taken_at"]
    person = tree.people[0]
    bad = _entry(
        team,
        tree.dwellings[0],
        taken_at,
        outcome="answered",
        people=[{"person_id": person.pk, "temperature": "45"}],
    )
    good = _entry(team, tree.dwellings[1], taken_at)
    results = _send(client, user, [bad, good])
    assert [r["status"] for r in results] == ["refused", "created"]
    assert any(person.name in e and "45" in e for e in results[0]["errors"])
    assert list(Visit.objects.values_list("dwelling_id", flat=True)) == [tree.dwellings[1].pk]


def test_batch_keeps_the_time_recorded_on_the_phone(client, tree, team):
    user = tree.users["building"]
    taken_at = _list(client, team, user).json()["taken_at"]
    at = dt.datetime.fromisoformat(taken_at)
    later = timezone.now() + dt.timedelta(hours=1)
    early = dt.datetime.fromisoformat(taken_at) - dt.timedelta(hours=1)
    results = _send(
        client,
        user,
        [
            _entry(team, tree.dwellings[0], taken_at, at=at.isoformat()),
            _entry(team, tree.dwellings[1], taken_at, at=later.isoformat()),
            _entry(team, tree.dwellings[1], taken_at, at=early.isoformat()),
        ],
    )
    assert [r["status"] for r in results] == ["created", "created", "refused"]
    assert Visit.objects.get(dwelling=tree.dwellings[0]).at == at
    # A phone's clock ahead of the server's: the visit is not dated in the future.
    assert Visit.objects.get(dwelling=tree.dwellings[1]).at <= timezone.now()


def test_batch_outsider_and_other_teams_dwelling_refused(client, tree, team, other_team):
    taken_at = timezone.now().isoformat()
    entry = _entry(team, tree.dwellings[0], taken_at)
    del entry["team"]
    assert _post(client, tree.users["outsider"], team, [entry]).status_code == 404
    results = _send(client, tree.users["building"], [_entry(team, tree.dwellings[2], taken_at)])
    assert results[0]["status"] == "refused" and Visit.objects.count() == 0


def test_batch_anonymous_401(client, team, tree):
    body = {"team_id": team.pk, "visits": []}
    response = client.post(BATCH, body, content_type="application/json")
    assert response.status_code == 401


# --- every field of the online visit (the same service) --------------------------------


def test_batch_takes_every_field_of_the_online_visit(client, tree, team):
    """Travel history, a phone, notes and a person met at the door without a file, as
    the online form takes them: recorded through the same service."""
    from fangyi.people.models import Person

    user = tree.users["building"]
    taken_at = _list(client, team, user).json()["taken_at"]
    person = tree.people[0]
    came_on = timezone.localdate() - dt.timedelta(days=2)
    entry = _entry(
        team,
        tree.dwellings[0],
        taken_at,
        outcome="answered",
        people=[
            {
                "person_id": person.pk,
                "temperature": "36.5",
                "came_from": "湖北省武汉市",
                "came_on": came_on.isoformat(),
                "phone": "13900139000",
            }
        ],
        new_people=[
            {
                "name": "新住户",
                "doc_type": "id_card",
                "doc_number": "11010519491231002X",
                "phone": "13700137000",
                "temperature": "36,9",
                "came_from": "广州",
                "came_on": came_on.isoformat(),
            }
        ],
        notes="租客刚搬入",
    )
    [result] = _send(client, user, [entry])
    assert result["status"] == "created", result
    visit = Visit.objects.get(pk=result["visit_id"])
    assert visit.notes == "租客刚搬入"
    person.refresh_from_db()
    assert (person.origin, person.return_date, person.travel_status, person.phone) == (
        "湖北省武汉市", came_on, "returned", "13900139000",
    )  # fmt: skip
    new = Person.objects.get(doc_number="11010519491231002X")
    assert (new.name, new.dwelling_id, new.verified, new.phone, new.origin) == (
        "新住户", tree.dwellings[0].pk, False, "13700137000", "广州",
    )  # fmt: skip
    checks = {c.person_id: c for c in VisitPerson.objects.filter(visit=visit)}
    assert checks[new.pk].new_file and checks[new.pk].temperature == Decimal("36.9")
    assert (checks[person.pk].came_from, checks[person.pk].came_on) == ("湖北省武汉市", came_on)


@pytest.mark.parametrize(
    ("field", "check", "new_person", "error_key"),
    [
        ("phone", {"phone": "12345"}, None, "people.0.phone"),
        ("came_on", {"came_on": "2999-01-01"}, None, "people.0.return_date"),
        ("doc_number", None, {"doc_number": "110105194912310021"}, "new_people.0.doc_number"),
        ("name", None, {"name": ""}, "new_people.0.name"),
        ("new phone", None, {"phone": "2345"}, "new_people.0.phone"),
        ("new temperature", None, {"temperature": "52"}, "new_people.0.temperature"),
    ],
)
def test_batch_refuses_a_bad_value_naming_the_field_and_saves_nothing(
    client, tree, team, field, check, new_person, error_key
):
    from fangyi.people.models import Person

    user = tree.users["building"]
    taken_at = _list(client, team, user).json()["taken_at"]
    person = tree.people[0]
    people = [{"person_id": person.pk, "temperature": "36.5", **(check or {})}]
    new_people = []
    if new_person is not None:
        new_people = [{"name": "新住户", "doc_number": "11010519491231002X", **new_person}]
    entry = _entry(
        team, tree.dwellings[0], taken_at, outcome="answered", people=people, new_people=new_people
    )
    good = _entry(team, tree.dwellings[1], taken_at)
    before = Person.objects.count()
    bad, fine = _send(client, user, [entry, good])
    assert (bad["status"], fine["status"]) == ("refused", "created")
    assert list(bad["fields"]) == [error_key], bad
    # Said in Chinese, naming whom it is about.
    who = person.name if check else (new_person.get("name", "新住户") or "未建档人员 1")
    assert all(who in message for message in bad["fields"][error_key]), bad["fields"]
    assert bad["errors"] == bad["fields"][error_key]
    assert Visit.objects.filter(dwelling=tree.dwellings[0]).count() == 0
    assert Person.objects.count() == before
    person.refresh_from_db()
    assert (person.phone, person.return_date) == (tree.people[0].phone, None)
