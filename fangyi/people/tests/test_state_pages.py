"""The state on the pages that list people: read with the rows (one stored column), so a
page of 50 people costs the queries of a page of 2, and each row shows the state its
person's page and the gate show."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangyi.conftest import PASSWORD, make_id_number
from fangyi.people import services
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences


def _add(tree, n: int, start: int = 0) -> list[Person]:
    made = []
    for i in range(start, start + n):
        dwelling = tree.dwellings[i % 4]
        made.append(
            services.person_create(
                user=None,
                dwelling=dwelling,
                values={
                    "name": f"同名{i:02d}",
                    "doc_number": make_id_number(500 + i),
                    "verified": i % 3 != 0,
                    "travel_status": "returned" if i % 5 == 0 else "never_left",
                    "return_date": dt.date.today() - dt.timedelta(days=2) if i % 5 == 0 else None,
                },
            )
        )
    return made


def _queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize("url", ["/search/?q=同名", "/api/people/?limit=50&q=同名"])
def test_a_page_of_50_costs_what_a_page_of_2_does(client, tree, url):
    client.login(username="d_leader", password=PASSWORD)
    _add(tree, 2)
    small, _ = _queries(client, url)
    _add(tree, 48, start=2)
    # One look per day for states that ended by themselves; the rows carry the state.
    big, body = _queries(client, url)
    assert big <= small
    states = dict(
        Person.objects.filter(name__startswith="同名").values_list("name", "epidemic_state")
    )
    assert len(states) == 50
    if url.startswith("/api/"):
        import json

        items = json.loads(body)["items"]
        assert len(items) == 50
        assert {i["name"]: i["epidemic_state"] for i in items} == states
    else:
        shown = re.findall(r'>(同名\d\d)</a></td>.*?data-state="(\w+)"', body, re.S)
        assert dict(shown) == states
    assert {"returnee", "unverified", "clear"} <= set(states.values())
    assert rebuild_differences() == []


def test_the_person_page_shows_the_state_the_gate_reads(client, tree):
    client.login(username="d_leader", password=PASSWORD)
    person = _add(tree, 1)[0]  # unverified, returned two days ago
    html = client.get(f"/people/{person.pk}/").content.decode()
    assert 'data-state="returnee"' in html
    assert "返深人员，驿站观察未完成" in html
