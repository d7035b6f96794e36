"""The API answers every refusal and failure in its one error shape (issue 12, hole 6):
numbers the database cannot hold, date-times without an offset, unexpected exceptions;
and its codes do not change with the language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from fangyi.duty.services import api_token_create
from fangyi.quarantine.models import QuarantineCase
from fangyi.quarantine.tests.conftest import at, facilities

__all__ = ["facilities"]

pytestmark = pytest.mark.django_db

BIG = 2**64  # beyond SQLite's INTEGER and PostgreSQL's bigint


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("op", password="x")


def _headers(user, language="zh-hans") -> dict:
    return {"Authorization": f"Bearer {api_token_create(user=user)}", "Accept-Language": language}


def _is_error_shape(response) -> bool:
    if not response["Content-Type"].startswith("application/json"):
        return False
    error = response.json().get("error", {})
    return {"code", "message", "fields"} <= set(error)


def _probes(schema: dict) -> list[tuple[str, str, str]]:
    """(method, url, parameter) for every integer path or query parameter of every
    operation of the OpenAPI document, that parameter set beyond the range."""
    examples = {"integer": "1", "string": "zone"}
    probes = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            for param in params:
                if _type(param["schema"]) != "integer":
                    continue
                url = path
                query = []
                for other in params:
                    value = str(BIG) if other is param else _example(other["schema"], examples)
                    if other["in"] == "path":
                        url = url.replace("{" + other["name"] + "}", value)
                    elif other is param:
                        query.append(f"{other['name']}={value}")
                probes.append(
                    (method, url + ("?" + "&".join(query) if query else ""), param["name"])
                )
    return probes


def _type(schema: dict) -> str | None:
    if "type" in schema:
        return schema["type"]
    for option in schema.get("anyOf", []):
        if option.get("type") not in (None, "null"):
            return option["type"]
    return None


def _example(schema: dict, examples: dict) -> str:
    if "date" in (schema.get("format"), *(o.get("format") for o in schema.get("anyOf", []))):
        return "2020-02-20"
    return examples.get(_type(schema) or "string", "1")


def test_numbers_beyond_the_database_are_refused_on_every_operation(client, tree, operator):
    """Every integer in any path or query of the API (ids, offset, zone, place_id, …):
    422 or 404 in the error shape, never a 500."""
    client.raise_request_exception = False
    schema = client.get("/api/openapi.json").json()
    probes = _probes(schema)
    names = {name for _method, _url, name in probes}
    # Not vacuous: the document has these, and they are all probed.
    assert {"offset", "place_id", "zone_id", "person_id", "case_id"} <= names, names
    assert len(probes) >= 25
    failures = []
    for method, url, _name in probes:
        response = getattr(client, method)(
            url, headers=_headers(operator), content_type="application/json", data={}
        )
        if response.status_code not in (404, 422) or not _is_error_shape(response):
            failures.append((method, url, response.status_code, response.content[:80]))
    assert not failures


def test_an_out_of_range_number_names_its_field(client, tree, operator):
    response = client.get(f"/api/people/?offset={BIG}", headers=_headers(operator, "en"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "offset": [f"Out of range: a whole number here is at most {2**63 - 1}."]
    }
    # In the body too, at any depth.
    response = client.post(
        "/api/scans",
        {"gate_id": BIG, "token": "x", "temperature": "36.5"},
        content_type="application/json",
        headers=_headers(operator, "en"),
    )
    assert response.status_code == 422 and set(response.json()["error"]["fields"]) == {"gate_id"}
    # The largest number the database holds is an ordinary miss.
    response = client.get(f"/api/people/{2**63 - 1}", headers=_headers(operator))
    assert response.status_code == 404 and _is_error_shape(response)


def test_a_date_time_without_offset_is_shanghai_wall_time(client, tree, facilities):
    person = tree.people[0]
    with time_machine.travel(at(2020, 2, 18, 9, 30), tick=False):
        response = client.post(
            "/api/quarantine/cases",
            {
                "person_id": person.pk,
                "reason": "returned",
                "arrived_at": "2020-02-18T09:00:00",
                "facility_id": facilities["station"].pk,
            },
            content_type="application/json",
            headers=_headers(tree.users["zone"]),
        )
    assert response.status_code == 201, response.content
    arrived = dt.datetime.fromisoformat(response.json()["arrived_at"].replace("Z", "+00:00"))
    assert arrived == at(2020, 2, 18, 9, 0)
    assert QuarantineCase.objects.get().arrived_at == at(2020, 2, 18, 9, 0)


def test_an_unexpected_failure_answers_the_error_shape(client, tree, operator, monkeypatch):
    from fangyi.people import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "people_for", broken)
    client.raise_request_exception = False
    response = client.get("/api/people/", headers=_headers(operator, "en"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "error": {
            "code": "error",
            "message": "Server error: the request was not done.",
            "fields": {},
        }
    }
    assert b"a bug" not in response.content and b"<html" not in response.content


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_codes_are_the_same_in_every_language(client, tree, facilities, language):
    """The codes api_errors gives (not_found, invalid, a service's own code) do not
    depend on the language the message is in."""
    headers = _headers(tree.users["zone"], language)
    assert client.get("/api/quarantine/cases/999999", headers=headers).json()["error"]["code"] == (
        "not_found"
    )
    response = client.post(
        "/api/quarantine/cases",
        {"person_id": "x"},
        content_type="application/json",
        headers=headers,
    )
    assert response.json()["error"]["code"] == "invalid"
    with time_machine.travel(at(2020, 2, 18, 9, 30), tick=False):
        body = {
            "person_id": tree.people[0].pk,
            "reason": "returned",
            "arrived_at": "2020-02-18T09:00:00+08:00",
            "facility_id": facilities["station"].pk,
        }
        case = client.post(
            "/api/quarantine/cases", body, content_type="application/json", headers=headers
        ).json()
        response = client.post(
            f"/api/quarantine/cases/{case['id']}/transitions",
            {"action": "move_home"},
            content_type="application/json",
            headers=headers,
        )
    error = response.json()["error"]
    assert error["code"] == "too_early"
    assert bool(re.search(r"[\u4e00-\u9fff]", error["message"])) == (language == "zh-hans")


def test_an_address_under_api_that_names_no_operation_answers_the_error_shape(client, db):
    answer = client.get("/api/no-such-thing/", headers={"Accept": "application/json"})
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
