"""The scan fast path (fangyi.passes.fastpath) in front of Django, and the one gate check
implementation (fangyi.passes.scanning) it shares with the API view and the guard's
page. The API tests (test_api.py) run every scan through both paths; these tests pin
what only the fast path does: which requests it answers, which it hands on untouched,
its headers and language, its errors, and how few statements a check takes."""

import json
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangyi.core.sql import run
from fangyi.duty import services as duty_services
from fangyi.duty.services import api_token_create
from fangyi.health.models import Alert
from fangyi.passes import scanning, selectors, services
from fangyi.passes.fastpath import ScanFastPath
from fangyi.passes.models import GateCheck
from fangyi.passes.tests.wsgi import served
from fangyi.wsgi import application

pytestmark = pytest.mark.django_db


class Behind:
    """The application behind the fast path: records what reaches it."""

    def __init__(self):
        self.bodies: list[bytes] = []

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.bodies.append(environ["wsgi.input"].read(length))
        start_response("299 Behind", [("Content-Type", "text/plain")])
        return [b"behind"]


@pytest.fixture
def bearer(guard):
    return {"Authorization": f"Bearer {api_token_create(user=guard)}"}


def check(gate, green_pass, **extra):
    return {"gate_id": gate.pk, "token": services.pass_token(green_pass), "temperature": "36.5"} | (
        extra
    )


def test_a_check_is_answered_in_front_of_django(gate, green_pass, bearer):
    behind = Behind()
    answer = served(ScanFastPath(behind), "post", "/api/scans", check(gate, green_pass), bearer)
    assert answer.status_code == 201 and behind.bodies == []
    body = answer.json()
    assert (body["colour"], body["reason"], body["name_masked"]) == ("green", "clear", "居*1")
    stored = GateCheck.objects.get(pk=body["check_id"])
    assert (stored.gate_id, stored.method, stored.colour, str(stored.temperature)) == (
        gate.pk,
        "device",
        "green",
        "36.5",
    )


def test_same_answer_and_headers_as_the_api_view(client, gate, green_pass, bearer):
    for payload in (
        check(gate, green_pass),
        check(gate, green_pass, temperature="38.1"),
        check(gate, green_pass, token="P1.440310.1.x:abc"),
        check(gate, green_pass, temperature="sixty"),
        check(gate, green_pass, decision="observation"),
        check(gate, green_pass, gate_id=gate.pk + 1000),
    ):
        fast = served(application, "post", "/api/scans", payload, bearer)
        view = client.post("/api/scans", payload, content_type="application/json", headers=bearer)
        assert fast.status_code == view.status_code, payload
        fast_body, view_body = fast.json(), view.json()
        fast_body.pop("check_id", None), view_body.pop("check_id", None)
        assert fast_body == view_body, payload
        assert {k.lower() for k in fast.headers} == {k.lower() for k in view.headers}, payload
        for name in ("Content-Type", "X-Frame-Options", "Referrer-Policy", "Content-Language"):
            assert fast.headers[name] == view.headers[name]
    assert GateCheck.objects.count() == 4  # two good checks on each path
    assert Alert.objects.count() == 2


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("post", "/api/scans", b"{not json", "bearer"),
        ("post", "/api/scans", {"gate_id": "1", "temperature": "36.5"}, "bearer"),
        ("post", "/api/scans", {"gate_id": 1, "temperature": "36.5", "extra": 1}, "bearer"),
        ("post", "/api/scans", {"gate_id": 1, "temperature": 36.5}, "bearer"),
        ("post", "/api/scans", {"gate_id": True, "temperature": "36.5"}, "bearer"),
        ("post", "/api/scans", {"temperature": "36.5"}, "bearer"),
        ("post", "/api/scans", {"gate_id": 1, "temperature": "36.5"}, None),
        ("post", "/api/scans/", {"gate_id": 1, "temperature": "36.5"}, "bearer"),
        ("get", "/api/scans", None, "bearer"),
        ("post", "/api/gates", {"gate_id": 1, "temperature": "36.5"}, "bearer"),
    ],
)
def test_anything_else_goes_to_django_with_its_body(method, path, body, headers, bearer):
    behind = Behind()
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body else b"")
    answer = served(ScanFastPath(behind), method, path, raw or None, bearer if headers else {})
    assert answer.status_code == 299
    assert behind.bodies == [raw]


def test_a_host_not_allowed_is_django_s_to_refuse(gate, green_pass, bearer):
    answer = served(
        application,
        "post",
        "/api/scans",
        check(gate, green_pass),
        bearer | {"Host": "evil.example"},
    )
    assert answer.status_code == 400
    assert GateCheck.objects.count() == 0


def test_refusals_and_errors_in_the_one_shape(gate, green_pass, bearer, other_guard):
    answer = served(
        application, "post", "/api/scans", check(gate, green_pass), {"Authorization": "Bearer nope"}
    )
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthenticated"
    other = {"Authorization": f"Bearer {api_token_create(user=other_guard)}"}
    answer = served(application, "post", "/api/scans", check(gate, green_pass), other)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    answer = served(
        application, "post", "/api/scans", check(gate, green_pass, token="forged"), bearer
    )
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "forged"
    answer = served(
        application, "post", "/api/scans", check(gate, green_pass, token="", code=""), bearer
    )
    assert answer.status_code == 422 and list(answer.json()["error"]["fields"]) == ["token"]
    assert GateCheck.objects.count() == 0


def test_an_inactive_user_s_token_is_refused(guard, gate, green_pass, bearer):
    guard.is_active = False
    guard.save()
    answer = served(application, "post", "/api/scans", check(gate, green_pass), bearer)
    assert answer.status_code == 401


def test_a_failure_is_a_logged_500_in_the_one_shape(gate, green_pass, bearer, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(scanning, "scan", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        answer = served(application, "post", "/api/scans", check(gate, green_pass), bearer)
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "server_error"
    assert "disk on fire" in caplog.text


def test_language_from_cookie_or_accept_language(gate, green_pass, bearer):
    chinese = served(application, "post", "/api/scans", check(gate, green_pass), bearer).json()
    english = served(
        application,
        "post",
        "/api/scans",
        check(gate, green_pass),
        bearer | {"Accept-Language": "en-GB,en;q=0.8"},
    )
    assert english.headers["Content-Language"] == "en"
    assert english.json()["instruction"] == "Let in."
    assert chinese["instruction"] != "Let in." and chinese["instruction"]
    cookie = served(
        application,
        "post",
        "/api/scans",
        check(gate, green_pass),
        bearer | {"Cookie": "django_language=en", "Accept-Language": "zh-CN"},
    )
    assert cookie.json()["instruction"] == "Let in."


def test_a_green_check_is_a_handful_of_statements(gate, green_pass, bearer, monkeypatch):
    served(application, "post", "/api/scans", check(gate, green_pass), bearer)  # token's last use
    statements = []

    def counted(sql, params=()):
        statements.append(" ".join(sql.split())[:60])
        return run(sql, params)

    payload = check(gate, green_pass)  # signing the token reads the district's key
    monkeypatch.setattr(scanning, "run", counted)
    monkeypatch.setattr(duty_services, "run", counted)
    with CaptureQueriesContext(connection) as through_django:
        answer = served(application, "post", "/api/scans", payload, bearer)
    assert answer.status_code == 201
    # The token, the gate and policy, the pass and the holder's state in one; the insert.
    # Nothing through the ORM.
    assert len(statements) == 2, statements
    assert statements[0].startswith("SELECT tk.*"), statements
    assert statements[1].startswith("INSERT INTO passes_gatecheck"), statements
    assert through_django.captured_queries == []
    assert GateCheck.objects.count() == 2


def test_the_api_with_a_session_still_checks_csrf(guard, gate, green_pass):
    """A page's script posting with the login session needs the CSRF token; a request
    with neither session nor token is unauthenticated (401), not a CSRF failure."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(guard)
    payload = check(gate, green_pass)
    refused = browser.post("/api/scans", payload, content_type="application/json")
    assert refused.status_code == 403
    token = browser.get(f"/passes/gates/{gate.pk}/").cookies["csrftoken"].value
    accepted = browser.post(
        "/api/scans", payload, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    anonymous = Client(enforce_csrf_checks=True).post(
        "/api/scans", payload, content_type="application/json"
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"


def test_the_policy_in_force_is_core_policy_s(gate):
    """The policy read with the gate (gate_and_policy) is the version core.policy picks,
    on any day, and an edited version is parsed again."""
    import datetime as dt

    from fangyi.core.models import Policy
    from fangyi.core.policy import policy_in_force, values_of

    operator = scanning.Principal(0, is_superuser=True)
    later = Policy.objects.create(
        code="later", name="later", effective_from=dt.date(2030, 1, 1), values={}
    )
    for day in (
        dt.date(2020, 2, 1),
        dt.date(2026, 11, 29),
        dt.date(2030, 1, 1),
        dt.date(9999, 12, 31),
    ):
        expected = policy_in_force(day)
        chosen = scanning.gate_and_policy(operator, gate.pk, day)[1]
        assert (chosen.id, chosen.code) == (expected.pk, expected.code), day
        assert chosen.values == values_of(expected), day
    later.values = {"fever_threshold": "37.5"}
    later.save()
    read = scanning.gate_and_policy(operator, gate.pk, dt.date(2030, 1, 2))[1]
    assert str(read.values.fever_threshold) == "37.5"


def test_the_state_read_with_the_pass_is_the_state_read_alone(tree, station, gate, guard):
    """pass_for reads the facts of the holder's state with the pass; state_of gives from
    them exactly what it gives reading them itself (selectors.person_state), for every
    kind of history and both policies."""
    import datetime as dt

    import time_machine

    from fangyi.core.policy import policy_in_force, values_of
    from fangyi.passes.tests.conftest import at
    from fangyi.passes.tests.test_colour import HANGZHOU
    from fangyi.quarantine import services as quarantine

    today = dt.date(2020, 3, 20)
    people = tree.people[:8]
    plain, recent, recent_case, old_case, open_case, fever, released, unverified = people

    def returned(person, day):
        person.travel_status, person.return_date = "returned", day
        person.save()

    def intake(person, day):
        with time_machine.travel(at(day.year, day.month, day.day, 9), tick=False):
            return quarantine.case_intake(
                by=None, person=person, reason="returned",
                arrived_at=at(day.year, day.month, day.day, 8),
                facility=station, now=at(day.year, day.month, day.day, 9),
            )  # fmt: skip

    for person in people:
        person.verified = person is not unverified
        person.save()
    returned(recent, today - dt.timedelta(days=5))
    returned(recent_case, today - dt.timedelta(days=6))
    case = intake(recent_case, today - dt.timedelta(days=6))
    quarantine.case_release(by=None, case=case, kind="early", note="test", now=at(2020, 3, 18))
    returned(old_case, dt.date(2020, 1, 10))
    case = intake(old_case, dt.date(2020, 1, 10))
    quarantine.case_release(by=None, case=case, kind="early", note="test", now=at(2020, 1, 30))
    intake(open_case, today - dt.timedelta(days=3))
    case = intake(released, dt.date(2020, 2, 1))
    quarantine.case_release(by=None, case=case, kind="early", note="test", now=at(2020, 2, 20))
    passes = {p.pk: services.pass_issue(by=None, person=p) for p in people}
    services.gate_check_record(by=guard, gate=gate, code=passes[fever.pk].code, temperature="38.2")
    assert Alert.objects.filter(person=fever, status="open").exists()
    # The passes were issued now: checked now (a check before their issue is refused).
    moment = dt.datetime.now(dt.UTC)
    for values in (values_of(policy_in_force(today)), HANGZHOU):
        for person in people:
            person.refresh_from_db()
            found = scanning.pass_for(
                token=services.pass_token(passes[person.pk]),
                district_code=tree.district.code,
                now=moment,
            )
            assert found.holder is not None and found.holder.facts is not None
            read_with_pass = scanning.state_of(found.holder, values=values, today=today)
            read_alone = selectors.person_state(person, values=values, today=today)
            assert read_with_pass == read_alone, person.name
    states = {p.name: selectors.person_state(p, values=values, today=today) for p in people}
    expected = {
        plain: "clear",
        released: "clear",  # released: no longer matters
        recent: "returnee",  # Hangzhou's 7 days: day 6
        recent_case: "clear",  # a case since the return
        old_case: "clear",
        open_case: "station",
        fever: "review",
        unverified: "unverified",
    }
    assert {p.name: states[p.name].epidemic_state for p in people} == {
        p.name: state for p, state in expected.items()
    }
