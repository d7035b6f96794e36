"""One home for each rule of the gate check (issue 12).

Who may check at which gate has one text (scanning._MAY_CHECK), and so has which policy
version is in force on a day (core.policy.POLICY_IN_FORCE_SQL): the gate check's first
statement (scanning.gate_and_policy) and the pages' lists (selectors.gates_for,
core.policy.policy_in_force) both run it. These tests hold every way in to each rule to
an answer worked out here in Python from the demo district's posts, assignments and
policy versions, for every demo persona, every gate and days around every policy change;
and they assert that every kind of answer occurs (gates allowed and refused, versions
changing), so they cannot pass on empty lists. Only the refusal (Http404) is caught.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import Http404
from django.test import Client

from fangyi.core.models import Policy
from fangyi.core.policy import policy_in_force, values_of
from fangyi.demo.logins import DEMO_LOGINS
from fangyi.duty.models import Assignment
from fangyi.passes import scanning, selectors, services
from fangyi.passes.models import GateCheck, GatePost
from fangyi.people.models import Person
from fangyi.places.models import Gate

pytestmark = pytest.mark.django_db

PERSONAS = [username for username, _role, _place in DEMO_LOGINS]
TODAY = dt.date(2026, 11, 29)


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", scale=0.004, seed=7, no_progress=True, stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.filter(username__in=PERSONAS)}


def expected_gates(user) -> set[int]:
    """The rule, worked out in Python from the rows: an operator checks anywhere; anybody
    else where an active staff record of theirs is posted at the gate or assigned to its
    zone."""
    gates = {gate.pk: gate.zone_id for gate in Gate.objects.all()}
    if not user.is_active:
        return set()
    if user.is_superuser:
        return set(gates)
    posted = set(
        GatePost.objects.filter(staff__user=user, staff__active=True).values_list(
            "gate_id", flat=True
        )
    )
    zones = set(
        Assignment.objects.filter(staff__user=user, staff__active=True).values_list(
            "zone_id", flat=True
        )
    )
    return {pk for pk, zone in gates.items() if pk in posted or zone in zones}


def expected_policy(day: dt.date) -> Policy:
    """The version in force, worked out in Python: the latest effective on or before the
    day (the later-made of two dated the same), else the first one."""
    versions = sorted(Policy.objects.all(), key=lambda p: (p.effective_from, p.pk))
    dated = [p for p in versions if p.effective_from <= day]
    return dated[-1] if dated else versions[0]


def scan_allows(user, gate_id: int, day: dt.date = TODAY) -> bool:
    """Whether the gate check's statement lets the user through at the gate."""
    principal = scanning.principal_of(user)
    if principal is None:
        return False
    try:
        scanning.gate_and_policy(principal, gate_id, day)
    except Http404:
        return False
    return True


def test_every_way_to_a_gate_gives_the_one_rule_s_answer(demo):
    gates = sorted(Gate.objects.values_list("pk", flat=True))
    zones = set(Gate.objects.values_list("zone_id", flat=True))
    # A district where a rule can say no: gates in more than one zone.
    assert len(gates) >= 2 and len(zones) >= 2, (gates, zones)
    answers: dict[str, tuple[int, int]] = {}
    for persona in PERSONAS:
        user = demo[persona]
        expected = expected_gates(user)
        listed = set(selectors.gates_for(user).values_list("pk", flat=True))
        assert listed == expected, persona
        client = Client()
        client.force_login(user)
        api = client.get("/api/gates")
        assert api.status_code == 200, persona
        assert {row["id"] for row in api.json()} == expected, persona
        for gate in gates:
            allowed = gate in expected
            assert scan_allows(user, gate) == allowed, (persona, gate)
            page = client.get(f"/passes/gates/{gate}/")
            assert page.status_code == (200 if allowed else 404), (persona, gate)
        answers[persona] = (len(expected), len(gates) - len(expected))
    # Every class of answer occurs: the operator everywhere, the guard at its gates and
    # refused at the others', a grid worker of a building nowhere.
    assert answers["admin"] == (len(gates), 0)
    assert answers["guard"][0] > 0 and answers["guard"][1] > 0, answers
    assert answers["grid"] == (0, len(gates)), answers
    anonymous = Client()
    assert anonymous.get("/api/gates").status_code == 401
    assert anonymous.get(f"/passes/gates/{gates[0]}/").status_code == 302  # to the login


def test_the_policy_in_force_is_one_rule_on_every_day(demo):
    """Days around every change of version, including before the first one (the
    fallback) and two versions dated the same day, for every persona at every gate."""
    pingshan = Policy.objects.get(code="pingshan-2020")
    hangzhou = Policy.objects.get(code="hangzhou-2020")
    copy = Policy.objects.create(
        code="hangzhou-copy", name="copy", effective_from=dt.date(2020, 3, 1),
        values=hangzhou.values,
    )  # fmt: skip
    first = Policy.objects.create(
        code="same-day-1", name="same day", effective_from=dt.date(2020, 4, 1), values={}
    )
    second = Policy.objects.create(
        code="same-day-2", name="same day", effective_from=dt.date(2020, 4, 1),
        values={"fever_threshold": "37.5"},
    )  # fmt: skip
    changes = sorted({p.effective_from for p in Policy.objects.all()})
    # The day before, of and after each change (the preset's 9999-12-31 has no day after).
    days = sorted(
        day + dt.timedelta(days=delta)
        for day in changes
        for delta in ((-1, 0, 1) if day < dt.date.max else (-1, 0))
    )
    gates = sorted(Gate.objects.values_list("pk", flat=True))
    chosen: list[str] = []
    checked = 0
    for day in days:
        expected = expected_policy(day)
        assert policy_in_force(day) == expected, day
        chosen.append(expected.code)
        for persona in PERSONAS:
            principal = scanning.principal_of(demo[persona])
            assert principal is not None
            for gate in gates:
                try:
                    _gate, policy = scanning.gate_and_policy(principal, gate, day)
                except Http404:
                    continue
                assert (policy.id, policy.code) == (expected.pk, expected.code), (day, persona)
                assert policy.values == values_of(expected), day
                checked += 1
    # The range crosses every change: before the first version (the first one applies),
    # each version's day, and the later-made of two versions dated the same day.
    assert chosen[0] == pingshan.code and days[0] < pingshan.effective_from
    assert copy.code in chosen and second.code in chosen and first.code not in chosen
    assert chosen[-1] == hangzhou.code
    assert len(set(chosen)) == 4, chosen
    assert checked >= len(days) * len(PERSONAS), checked


def test_an_inactive_login_checks_nowhere(demo):
    """A login made inactive keeps its staff record, posts and assignments: it is still
    listed at no gate, opens no gate and records no check (the list used to show its
    posted gates and the check to let it in at every gate of its zone)."""
    guard = demo["guard"]
    gate = selectors.gates_for(guard).first()
    assert gate is not None
    person = Person.objects.filter(verified=True).first()
    pass_obj = services.pass_issue(by=None, person=person)
    guard.is_active = False
    guard.save()
    guard = get_user_model().objects.get(pk=guard.pk)
    assert expected_gates(guard) == set()
    assert list(selectors.gates_for(guard)) == []
    with pytest.raises(Http404):
        selectors.gate_get(guard, gate.pk)
    before = GateCheck.objects.count()
    with pytest.raises(Http404):
        services.gate_check_record(by=guard, gate=gate, code=pass_obj.code, temperature="36.5")
    assert GateCheck.objects.count() == before
