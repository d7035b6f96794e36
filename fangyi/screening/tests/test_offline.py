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
