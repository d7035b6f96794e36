"""The gate guard's shift on a phone (390×844), in Chinese, on the demo district (issue 13).

From the home page to the guard's gate in one tap; a mistyped code, which must read as a
slip of the finger ("code not recognised", type it again) and not as the red refusal
screen, and records nothing; the code of a person under quarantine: the red screen with
the reason and the observation point to send them to; then a green pass at 36.5 °C, let
in. Every page is measured against the phone's width; screenshots are saved under
FANGYI_TEST_OUTPUT (default var/test-output)/journey-guard. The clock is pinned at 14:00
today (fangyi.tests.phone.journey_clock).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.core.tests.browser import browser, chromium_executable, log_in
from fangyi.duty.models import Assignment
from fangyi.passes import services, tokens
from fangyi.passes.models import GateCheck, Pass
from fangyi.quarantine import services as quarantine
from fangyi.quarantine.choices import ACTIVE_STATES
from fangyi.tests.phone import DEMO_PASSWORD, PHONE, build_demo, journey_clock, phone

__all__ = ["browser", "chromium_executable", "phone"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _valid_passes(zone_ids):
    """The passes a guard of these zones can be shown today (not revoked nor replaced, not
    expired), of people living there."""
    return (
        Pass.objects.filter(person__zone_id__in=zone_ids, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .select_related("person")
        .order_by("id")
    )


def _pass_showing(passes, colour: str, reason: str) -> Pass | None:
    """The first of these passes whose verdict now is this colour for this reason."""
    for candidate in passes:
        verdict, _policy = services.pass_verdict(candidate)
        if (verdict.colour, verdict.reason) == (colour, reason):
            return candidate
    return None


def _red_and_green(zone_ids) -> tuple[Pass, Pass]:
    """A red pass (a person of the guard's zone under quarantine: the demo's, else one put
    under home quarantine here through the quarantine services) and a green one."""
    passes = _valid_passes(zone_ids)
    green = _pass_showing(passes, "green", "clear")
    assert green is not None, "the demo has green passes in the guard's zone"
    quarantined = passes.filter(person__quarantine_cases__state__in=ACTIVE_STATES).distinct()
    red = _pass_showing(quarantined, "red", "quarantine")
    if red is None:
        red = _pass_showing(passes.exclude(pk=green.pk), "green", "clear")
        assert red is not None, "the demo has two green passes in the guard's zone"
        quarantine.case_intake(
            by=get_user_model().objects.get(username="secretary"),
            person=red.person,
            reason="close_contact",
            arrived_at=timezone.now(),
            first_state="home",
        )
        verdict, _policy = services.pass_verdict(red)
        assert (verdict.colour, verdict.reason) == ("red", "quarantine")
    return red, green


def _mistyped(code: str) -> str:
    """The code with its last (check) character changed: the slip a guard makes."""
    body = code.replace("-", "")
    wrong = next(c for c in tokens.ALPHABET if c != body[-1])
    return f"{code[:-1]}{wrong}"


def _check(page, code: str, temperature: str) -> None:
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("temperature").fill(temperature)
    page.get_by_test_id("check").click()
    page.wait_for_load_state()


def test_guard_tells_a_typo_from_a_red_pass_and_lets_a_green_one_in(phone):
    with journey_clock():
        build_demo()
        user = get_user_model().objects.get(username="guard")
        zone_ids = list(
            Assignment.objects.filter(staff__user=user, zone__isnull=False).values_list(
                "zone_id", flat=True
            )
        )
        red, green = _red_and_green(zone_ids)
        guard = phone("journey-guard")
        page = guard.page

        log_in(page, "guard", DEMO_PASSWORD)
        expect(page.locator("h1")).to_contain_text("今日工作")
        gate_button = page.locator("[data-testid^=action-gate-]").first
        expect(gate_button).to_be_visible()
        box = gate_button.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], "the gate is below the fold"
        guard.shot("home")
        gate_button.click()
        expect(page).to_have_url(re.compile(r"/passes/gates/\d+/$"))
        gate_name = page.get_by_test_id("gate-name").inner_text()
        checks_before = GateCheck.objects.count()
        guard.shot("gate")

        # A slip of the finger: a neutral "type it again", on the gate form, nothing red.
        typo = _mistyped(red.code)
        _check(page, typo, "36.5")
        expect(page.get_by_test_id("typo")).to_contain_text("编码无法识别")
        expect(page.get_by_test_id("refused")).to_have_count(0)
        expect(page.get_by_test_id("result")).to_have_count(0)
        expect(page.locator(".colour.red, .fullscreen")).to_have_count(0)
        expect(page.get_by_test_id("gate-name")).to_have_text(gate_name)
        expect(page.get_by_test_id("code")).to_have_value(typo)
        expect(page.get_by_test_id("code")).to_be_focused()
        assert GateCheck.objects.count() == checks_before, "a typo is not a gate check"
        guard.shot("typo")

        # The code of a person under quarantine: red, why, and where to send them.
        _check(page, red.code, "36.5")
        result = page.get_by_test_id("result")
        expect(result).to_have_attribute("data-colour", "red")
        expect(page.get_by_test_id("result-colour")).to_have_text("红码")
        expect(page.get_by_test_id("result-reason")).to_have_text("正在隔离观察")
        verdict, _policy = services.pass_verdict(red)
        assert verdict.observation_name, "the red verdict names an observation point"
        observation = page.get_by_test_id("result-observation")
        expect(observation).to_contain_text(verdict.observation_name)
        expect(observation).to_contain_text(verdict.observation_address)
        expect(page.get_by_test_id("result-name")).not_to_contain_text(red.person.name)
        decide = page.get_by_test_id("decide-observation")
        box = decide.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], "the decision is below the fold"
        guard.shot("red")
        decide.click()
        expect(page.get_by_test_id("gate-name")).to_have_text(gate_name)
        check = GateCheck.objects.order_by("-id").first()
        assert (check.colour, check.reason, check.decision, check.pass_obj_id) == (
            "red",
            "quarantine",
            "observation",
            red.pk,
        )

        # A green pass at a normal temperature: let in.
        _check(page, green.code.lower(), "36.5")
        expect(page.get_by_test_id("result")).to_have_attribute("data-colour", "green")
        expect(page.get_by_test_id("result-colour")).to_have_text("绿码")
        expect(page.get_by_test_id("result-name")).to_contain_text("36.5 °C")
        expect(page.get_by_test_id("result-observation")).to_have_count(0)
        guard.shot("green")
        page.get_by_test_id("decide-let_in").click()
        expect(page.get_by_test_id("gate-name")).to_have_text(gate_name)
        guard.shot("after")
        check = GateCheck.objects.order_by("-id").first()
        assert (check.colour, check.decision, str(check.temperature), check.pass_obj_id) == (
            "green",
            "let_in",
            "36.5",
            green.pk,
        )
        assert GateCheck.objects.count() == checks_before + 2

    assert not guard.overflows, "pages wider than the phone:\n" + "\n".join(guard.overflows)
