"""Browser journey of a pass (issue 5): apply → the grid worker verifies → the pass turns
green → the guard types the code, enters 36.5 → green, let in; the person is put under
quarantine → the same code shows red with the observation point.

The live server runs in a thread of this process, so time-machine moves its clock too.
"""

from __future__ import annotations

import io

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD, make_id_number
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page
from fangyi.passes import services
from fangyi.passes.models import GateCheck, Pass
from fangyi.passes.tests.conftest import at
from fangyi.quarantine.services import case_intake

__all__ = ["browser", "chromium_executable", "new_page"]


def htmx_settled(page) -> None:
    """Wait until no htmx request, swap or settle is under way on the page."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_apply_verify_green_check_then_red(transactional_db, tree, guard, observation, new_page):
    today = timezone.localdate()
    with time_machine.travel(at(today.year, today.month, today.day, 10), tick=True):
        resident = new_page(locale="en-US")
        resident.goto("/passes/apply/")
        resident.get_by_label("Name").fill("王小明")
        resident.get_by_label("Document number").fill(make_id_number(901))
        resident.get_by_label("Mobile number").fill("139 1234 5678")
        # Each choice reloads the next list (htmx): wait until it is swapped in and settled,
        # or the next choice would be made on a list that is about to be replaced.
        with resident.expect_response(lambda r: "/passes/apply/buildings/" in r.url):
            resident.get_by_label("Zone").select_option(label=tree.zones[0].name)
        htmx_settled(resident)
        with resident.expect_response(lambda r: "/passes/apply/rooms/" in r.url):
            resident.get_by_label("Building").select_option(label=tree.buildings[0].name)
        htmx_settled(resident)
        resident.get_by_label("Room").select_option(label=tree.dwellings[0].room)
        resident.get_by_test_id("apply").click()
        # Not verified yet: no colour and no reason (they would read whoever's file).
        expect(resident.get_by_test_id("colour")).to_have_attribute("data-colour", "pending")
        expect(resident.get_by_test_id("reason")).to_have_count(0)
        expect(resident.get_by_test_id("name")).to_have_text("王*明")
        pass_url = resident.url
        code = resident.get_by_test_id("code").inner_text()

        # The QR on the resident's screen decodes (ZXing) to a token of this pass.
        import zxingcpp
        from PIL import Image

        shot = resident.get_by_test_id("qr").screenshot()
        decoded = [
            b.text
            for b in zxingcpp.read_barcodes(
                Image.open(io.BytesIO(shot)), formats=zxingcpp.BarcodeFormat.QRCode
            )
        ]
        assert decoded == [services.pass_token(Pass.objects.get())]

        # The grid worker of the building verifies the application.
        grid = new_page(locale="en-US")
        log_in(grid, "b_grid", PASSWORD)
        grid.goto("/passes/queue/")
        row = grid.get_by_test_id("queue").locator("tbody tr").filter(has_text="王小明")
        row.get_by_role("button", name="Verified: approve").click()
        expect(grid.get_by_test_id("queue")).not_to_contain_text("王小明")

        resident.goto(pass_url)
        expect(resident.get_by_test_id("colour")).to_have_attribute("data-colour", "green")

        # The guard types the code and the temperature.
        gate = new_page(locale="en-US")
        log_in(gate, guard.username, PASSWORD)
        gate.goto("/passes/")
        expect(gate.get_by_test_id("gate-name")).to_contain_text("东门")
        # A slip of the finger looks like a slip, not like a refused (red) pass.
        gate.get_by_test_id("code").fill(code[:-1] + ("2" if code[-1] != "2" else "3"))
        gate.get_by_test_id("temperature").fill("36.5")
        gate.get_by_test_id("check").click()
        expect(gate.get_by_test_id("typo")).to_contain_text("Code not recognised")
        expect(gate.get_by_test_id("refused")).to_have_count(0)
        assert GateCheck.objects.count() == 0
        gate.get_by_test_id("code").fill(code.lower())
        gate.get_by_test_id("temperature").fill("36.5")
        gate.get_by_test_id("check").click()
        expect(gate.get_by_test_id("result")).to_have_attribute("data-colour", "green")
        expect(gate.get_by_test_id("result-name")).to_contain_text("王*明 · 36.5 °C")
        expect(gate.get_by_test_id("result-instruction")).to_have_text("Let in.")
        gate.get_by_test_id("decide-let_in").click()
        expect(gate.get_by_test_id("gate-name")).to_be_visible()
        check = GateCheck.objects.get()
        assert (check.colour, check.decision, str(check.temperature)) == ("green", "let_in", "36.5")

        # Put under quarantine: the same code is red and names the observation point.
        person = Pass.objects.get().person
        case_intake(
            by=tree.users["zone"], person=person, reason="close_contact",
            arrived_at=timezone.now(), first_state="home",
        )  # fmt: skip
        gate.get_by_test_id("code").fill(code)
        gate.get_by_test_id("temperature").fill("36.5")
        gate.get_by_test_id("check").click()
        expect(gate.get_by_test_id("result")).to_have_attribute("data-colour", "red")
        expect(gate.get_by_test_id("result-reason")).to_have_text("under quarantine observation")
        expect(gate.get_by_test_id("result-observation")).to_contain_text("坪山指定观察点")
        expect(gate.get_by_test_id("result-observation")).to_contain_text("坪山大道88号")
        gate.get_by_test_id("decide-observation").click()
        assert GateCheck.objects.order_by("-id").first().decision == "observation"
        resident.goto(pass_url)
        expect(resident.get_by_test_id("colour")).to_have_attribute("data-colour", "red")
        expect(resident.get_by_test_id("observation")).to_contain_text("坪山指定观察点")
