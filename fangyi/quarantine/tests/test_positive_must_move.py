"""A positive nucleic acid test (issue 14, point 2): the person is red at once, an alert is
raised, and the case must move to a hospital or an observation point. Until it does it
is the first thing on the station doctor's worklists and home page, marked "must move".
On the demo district, in Chinese, as the station doctor meets it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from fangyi.demo.logins import DEMO_PASSWORD
from fangyi.health.models import Alert
from fangyi.passes.models import Pass
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences
from fangyi.places.models import Gate
from fangyi.quarantine import selectors, services
from fangyi.quarantine.choices import CaseState, FacilityKind
from fangyi.quarantine.choices import TestResult as Result
from fangyi.quarantine.models import Facility, NucleicTest, QuarantineCase
from fangyi.reports.tests.conftest import at

NOW = at(2026, 3, 10, 15)
TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VAR_DIR = tmp_path
    with time_machine.travel(NOW, tick=False):
        call_command("demo", scale=0.003, seed=3, no_progress=True, verbosity=0)
        yield


def _home_case_with_pass() -> tuple[QuarantineCase, Pass, Gate]:
    """A case at home in the first zone whose person holds a valid pass, with no positive
    test yet, and the zone's gate."""
    gate = Gate.objects.order_by("zone__code", "pk").first()
    for case in QuarantineCase.objects.filter(
        state=CaseState.HOME, person__zone_id=gate.zone_id
    ).order_by("pk"):
        if case.tests.filter(result=Result.POSITIVE).exists():
            continue
        pass_obj = Pass.objects.filter(
            person_id=case.person_id, revoked_at__isnull=True, expires_at__gt=NOW
        ).first()
        if pass_obj is not None:
            return case, pass_obj, gate
    raise AssertionError("the demo's first zone has no case at home with a pass")


def _worklist_names(html: str) -> list[str]:
    return re.findall(r'data-testid="worklist-name">([^<]+)<', html)


def test_a_positive_result_is_red_at_once_and_first_on_the_doctors_lists(client, demo):
    case, pass_obj, gate = _home_case_with_pass()
    person = case.person
    doctor = get_user_model().objects.get(username="doctor")
    assert selectors.case_writable(doctor, case)
    with time_machine.travel(NOW, tick=False):
        test = services.test_record(by=doctor, case=case, sampled_on=TODAY)
        client.login(username="doctor", password=DEMO_PASSWORD)
        assert not list(selectors.worklist_must_move(doctor))
        answer = client.post(
            f"/api/quarantine/tests/{test.pk}/result",
            {"result": "positive"},
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.content
        # The next request: red at the gate, under every policy the first states are red.
        client.logout()
        client.login(username="guard", password=DEMO_PASSWORD)
        scan = client.post(
            "/api/scans",
            {"gate_id": gate.pk, "code": pass_obj.code, "temperature": "36.5"},
            content_type="application/json",
        ).json()
        assert scan["colour"] == "red"
        assert Person.objects.get(pk=person.pk).epidemic_state == "positive"
        # The doctor's worklists open on the cases that must move, this one first.
        client.logout()
        client.login(username="doctor", password=DEMO_PASSWORD)
        html = client.get(reverse("quarantine:worklists")).content.decode()
        assert 'aria-current="page">必须转移' in html
        assert _worklist_names(html)[0] == person.name
        assert 'data-testid="must-move"' in html
        assert "必须转移：核酸阳性" in html
        # The row says the person's one state (not only where the case is).
        row = html[html.index(f">{person.name}</a>") :][:400]
        assert 'data-state="positive"' in row and "核酸阳性" in row
        # The home page: "must move" is the first item of the quarantine section.
        home = client.get(reverse("home")).content.decode()
        section = home[home.index('data-testid="home-quarantine"') :]
        items = re.findall(r'data-testid="item-([a-z_]+)"', section)
        assert items[0] == "must_move"
        assert re.search(r'data-testid="count-must_move">1<', section)
        assert NucleicTest.objects.get(pk=test.pk).result == Result.POSITIVE
        # The alert (the one alert model), on the doctor's alerts page.
        alert = Alert.objects.get(kind="positive_test", case_id=case.pk)
        assert (alert.source, alert.person_id, alert.test_id) == ("test", person.pk, test.pk)
        alerts = client.get(reverse("alerts:list")).content.decode()
        assert f'data-testid="alert-{alert.pk}"' in alerts
        assert rebuild_differences(TODAY) == []
        # Moved to an observation point: off the list, still red (positive).
        point = Facility.objects.filter(kind=FacilityKind.OBSERVATION, active=True).first()
        services.case_send_to_observation(by=doctor, case=case, facility=point, note="阳性")
        assert not list(selectors.worklist_must_move(doctor))
        html = client.get(reverse("quarantine:worklists")).content.decode()
        assert 'aria-current="page">必须转移' not in html
        home = client.get(reverse("home")).content.decode()
        assert re.search(r'data-testid="count-must_move">0<', home)
        assert Person.objects.get(pk=person.pk).epidemic_state == "positive"
    assert rebuild_differences(TODAY) == []


def test_a_negative_result_moves_nothing(client, demo):
    case, _pass, _gate = _home_case_with_pass()
    doctor = get_user_model().objects.get(username="doctor")
    with time_machine.travel(NOW, tick=False):
        test = services.test_record(by=doctor, case=case, sampled_on=TODAY)
        services.test_set_result(by=doctor, test=test, result=Result.NEGATIVE)
        assert Person.objects.get(pk=case.person_id).epidemic_state == "home"
        assert not list(selectors.worklist_must_move(doctor))
    assert rebuild_differences(TODAY) == []


def test_each_persona_sees_the_must_move_case_only_within_its_scope(client, demo):
    # The list is read through the user's scope (selectors.cases_for): a guard keeps no
    # files, a grid worker only its building's, a volunteer reads the cases of the
    # people it serves.
    case, _pass, _gate = _home_case_with_pass()
    users = {u.username: u for u in get_user_model().objects.all()}
    with time_machine.travel(NOW, tick=False):
        test = services.test_record(by=users["doctor"], case=case, sampled_on=TODAY)
        services.test_set_result(by=users["doctor"], test=test, result=Result.POSITIVE)
        seen = {
            name: set(selectors.worklist_must_move(user).values_list("pk", flat=True))
            for name, user in users.items()
        }
    assert seen["doctor"] == seen["admin"] == seen["secretary"] == {case.pk}
    assert seen["guard"] == set()
    for name, user in users.items():
        readable = selectors.cases_for(user).filter(pk=case.pk).exists()
        assert seen[name] == ({case.pk} if readable else set()), name
