"""Screening API: progress, team list, idempotent visits; 401, 404, 405, 422."""

from __future__ import annotations

import uuid

import pytest

from fangyi.duty.services import api_token_create
from fangyi.screening.models import Visit

pytestmark = pytest.mark.django_db


def _auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user)}"}


def test_progress_for_manager_404_for_outsider_401_anonymous(client, tree, campaign, team):
    url = f"/api/screening/campaigns/{campaign.pk}/progress"
    assert client.get(url).status_code == 401
    assert client.get(url, **_auth(tree.users["outsider"])).status_code == 404
    body = client.get(url, **_auth(tree.users["community"])).json()
    assert body["campaign"]["total"] == 8 and body["teams"][0]["label"] == "第一小组"
    assert client.post(url, **_auth(tree.users["community"])).status_code == 405


def test_visit_is_idempotent(client, tree, team):
    headers = _auth(tree.users["building"])
    person = tree.people[0]
    payload = {
        "key": str(uuid.uuid4()),
        "team_id": team.pk,
        "dwelling_id": person.dwelling_id,
        "outcome": "answered",
        "people": [{"person_id": person.pk, "temperature": "36.6"}],
    }
    first = client.post(
        "/api/screening/visits", payload, content_type="application/json", **headers
    )
    again = client.post(
        "/api/screening/visits", payload, content_type="application/json", **headers
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Visit.objects.count() == 1
    dwellings = client.get(f"/api/screening/teams/{team.pk}/dwellings", **headers).json()
    assert dwellings[-1]["status"] == "done"


def test_visit_errors(client, tree, team):
    headers = _auth(tree.users["building"])
    payload = {"key": str(uuid.uuid4()), "team_id": team.pk, "dwelling_id": tree.dwellings[0].pk}
    bad = client.post("/api/screening/visits", {**payload, "outcome": "x"}, content_type="application/json", **headers)  # fmt: skip
    assert bad.status_code == 422 and "outcome" in bad.json()["error"]["fields"]
    other = _auth(tree.users["outsider"])
    response = client.post("/api/screening/visits", {**payload, "outcome": "vacant"}, content_type="application/json", **other)  # fmt: skip
    assert response.status_code == 404
