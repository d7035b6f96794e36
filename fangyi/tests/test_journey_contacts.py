"""A confirmed case and its close contacts on a phone (390×844), in Chinese, on the demo
district (issue 14).

The community secretary records a confirmed case for a resident of the guard's zone on
the confirmed-case page, which then offers to record the close contacts; on the index
person's contacts page they add two contacts, a member of the household (picked from the
list) and a neighbour found by an ID number typed with spaces and a lower-case x. Both are
listed as close contacts under observation through the 14th day counted from the last
exposure (day 1); one is put under home quarantine from the list, whose release date is
the last exposure + 14 days. The chain of transmission draws the index person and both
contacts, each coloured by their state. The zone map, the overview and the statistics of
the zone each count two more close contacts under observation and agree with each other.
At the zone's gate the guard types the passes' codes: the contact under observation and
the index person are red, each for their own reason. No stored state differs from the
facts at the end (people.state.rebuild_differences).

Screenshots: FANGYI_TEST_OUTPUT (default var/test-output)/journey-contacts. The clock is
pinned at 14:00 today (fangyi.tests.phone.journey_clock).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.core.tests.browser import browser, chromium_executable, log_in
from fangyi.duty.models import Assignment
from fangyi.health.chains import STATE_COLOURS
from fangyi.health.models import Exposure
from fangyi.passes import services as passes
from fangyi.passes.models import GateCheck, Pass
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences
from fangyi.quarantine.choices import ACTIVE_STATES
from fangyi.quarantine.models import QuarantineCase
from fangyi.reports.models import ConfirmedCase
from fangyi.tests.phone import DEMO_PASSWORD, build_demo, journey_clock, phone

__all__ = ["browser", "chromium_executable", "phone"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Days of a contact's watch under the demo's policy (Pingshan: 14), day 1 the last exposure.
WATCH_DAYS = 14


def _green_pass(person: Person) -> Pass:
    """The person's valid pass, green now; issued through the passes service if the demo
    gave them none."""
    found = (
        Pass.objects.filter(person=person, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by("-id")
        .first()
    )
    if found is None:
        found = passes.pass_issue(by=None, person=person)
    verdict, _policy = passes.pass_verdict(found)
    assert (verdict.colour, verdict.reason) == ("green", "clear"), person
    return found


def _cast(zone_id: int) -> tuple[Person, Person, Person]:
    """Three clear residents of the zone: the index person, a member of their household
    and a neighbour of another dwelling (one whose ID number ends with X if there is)."""
    clear = list(
        Person.objects.filter(
            zone_id=zone_id, epidemic_state="clear", doc_type="id_card", dwelling__isnull=False
        ).order_by("id")
    )
    assert not Exposure.objects.filter(Q(index_person__in=clear) | Q(contact__in=clear)).exists(), (
        "the demo records no exposure of the zone's clear people"
    )
    by_dwelling: dict[int, list[Person]] = defaultdict(list)
    for person in clear:
        by_dwelling[person.dwelling_id].append(person)
    index, member = next(group[:2] for group in by_dwelling.values() if len(group) >= 2)
    others = [p for p in clear if p.dwelling_id != index.dwelling_id]
    neighbour = next((p for p in others if p.doc_number.endswith("X")), others[0])
    return index, member, neighbour


def _typed(doc_number: str) -> str:
    """An ID number as a hurried person types it: in groups with spaces, x in lower case."""
    number = doc_number.lower()
    return f"{number[:6]} {number[6:14]} {number[14:]}"


def _figures(page, zone_id: int) -> dict[str, int]:
    """The zone map's, the overview's and the zone statistics' figures, as shown."""
    page.goto(f"/reports/zones/{zone_id}/")
    counts = {
        "map_contacts": int(page.get_by_test_id("count-contacts").inner_text()),
        "map_in_quarantine": int(page.get_by_test_id("count-in_quarantine").inner_text()),
    }
    page.goto("/reports/")
    counts["overview_contacts"] = int(
        page.get_by_test_id("figure-contacts").get_attribute("data-n")
    )
    # The zone's own tile names its close contacts when it has any ("密接 3 人").
    tile = page.get_by_test_id("zone-tile").filter(
        has=page.locator(f'a[href="/reports/zones/{zone_id}/"]')
    )
    expect(tile).to_have_count(1)
    shown = tile.get_by_test_id("tile-contacts")
    counts["tile_contacts"] = (
        int(re.fullmatch(r"密接 (\d+) 人", shown.inner_text()).group(1)) if shown.count() else 0
    )
    page.goto(f"/reports/stats/?place=zone:{zone_id}")
    for name in ("contacts", "in-quarantine", "cumulative", "new-today"):
        counts[f"stats_{name}"] = int(page.get_by_test_id(name).inner_text())
    return counts


def _record_exposure(page, *, kind: str, first: dt.date, last: dt.date) -> None:
    page.locator("select[name=kind]").select_option(kind)
    page.locator("input[name=first_exposure_on]").fill(f"{first:%Y-%m-%d}")
    page.locator("input[name=last_exposure_on]").fill(f"{last:%Y-%m-%d}")
    page.get_by_test_id("save-exposure").click()
    page.wait_for_load_state()


def _check(page, code: str) -> None:
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("temperature").fill("36.5")
    page.get_by_test_id("check").click()
    page.wait_for_load_state()


def test_a_confirmed_case_its_contacts_on_the_map_and_red_at_the_gate(phone):
    with journey_clock():
        today = timezone.localdate()
        build_demo()
        guard_user = get_user_model().objects.get(username="guard")
        zone_id = (
            Assignment.objects.filter(staff__user=guard_user, zone__isnull=False)
            .values_list("zone_id", flat=True)
            .order_by("zone_id")
            .first()
        )
        index, member, neighbour = _cast(zone_id)
        index_pass, neighbour_pass = _green_pass(index), _green_pass(neighbour)
        member_pass = _green_pass(member)
        first, last = today - dt.timedelta(days=4), today - dt.timedelta(days=2)
        watch_until = last + dt.timedelta(days=WATCH_DAYS - 1)
        release = last + dt.timedelta(days=WATCH_DAYS)

        secretary = phone("journey-contacts")
        page = secretary.page
        log_in(page, "secretary", DEMO_PASSWORD)
        before = _figures(page, zone_id)

        # 1. The confirmed case, recorded on the reports' page by its ID number.
        page.goto("/reports/cases/new/")
        expect(page.locator("h1")).to_have_text("录入确诊病例")
        page.locator("input[name=date]").fill(f"{today:%Y-%m-%d}")
        page.locator("select[name=classification]").select_option("confirmed")
        page.locator("select[name=zone]").select_option(str(zone_id))
        page.locator("input[name=id_number]").fill(index.doc_number)
        secretary.shot("case-form")
        page.locator("main form button[type=submit]").click()
        recorded = page.get_by_test_id("case-recorded")
        expect(recorded).to_contain_text("已登记")
        expect(recorded).to_contain_text("确诊病例")
        expect(recorded).to_contain_text(index.name)
        record = ConfirmedCase.objects.get(person=index)
        assert (record.date, record.classification, record.zone_id) == (
            today,
            "confirmed",
            zone_id,
        )
        qcase = QuarantineCase.objects.get(person=index, state__in=ACTIVE_STATES)
        # The index person's quarantine case is now in hospital (the demo has one).
        assert qcase.state == "hospital"
        expect(page.get_by_test_id("case-where")).to_contain_text(qcase.case_no)
        expect(page.get_by_test_id("case-where")).to_contain_text("住院治疗")
        offer = page.get_by_test_id("record-contacts")
        expect(offer).to_have_text("登记密切接触者")
        secretary.shot("case-recorded")

        # 2. The first contact: a member of the household, picked from the list.
        offer.click()
        expect(page.locator("h1")).to_have_text("登记接触记录")
        page.locator("select[name=household_member]").select_option(str(member.pk))
        secretary.shot("exposure-household")
        _record_exposure(page, kind="household", first=first, last=last)
        expect(page).to_have_url(re.compile(rf"/people/{index.pk}/exposures/$"))
        expect(page.locator("h1")).to_contain_text(f"{index.name} 的密切接触者")
        expect(page.get_by_test_id("index-state")).to_have_text("确诊病例")

        # The second: a neighbour, by an ID number typed with spaces and a lower-case x.
        page.get_by_test_id("record-exposure").click()
        page.locator("input[name=contact_doc_number]").fill(_typed(neighbour.doc_number))
        page.locator("input[name=place]").fill("小区电梯")
        secretary.shot("exposure-document")
        _record_exposure(page, kind="work", first=last, last=last)
        expect(page).to_have_url(re.compile(rf"/people/{index.pk}/exposures/$"))
        rows = page.get_by_test_id("contacts").locator("li")
        expect(rows).to_have_count(2)
        for contact, kind in ((member, "同住"), (neighbour, "工作")):
            row = page.get_by_test_id(f"contact-{contact.pk}")
            expect(row).to_contain_text(contact.name)
            expect(row).to_contain_text("密切接触者（观察中）")
            expect(row).to_contain_text(kind)
            expect(row).to_contain_text(f"观察至 {watch_until:%Y-%m-%d}，尚未登记隔离观察")
        expect(page.get_by_test_id(f"contact-{neighbour.pk}")).to_contain_text("小区电梯")

        # The chain of transmission: the index person and both contacts, by state.
        graph = page.get_by_test_id("graph")
        node = graph.get_by_test_id(f"node-{index.pk}")
        expect(node).to_have_attribute("data-state", "confirmed")
        expect(node).to_have_attribute("data-level", "0")
        expect(node.locator("rect")).to_have_attribute("fill", STATE_COLOURS["confirmed"])
        expect(node).to_contain_text("确诊病例")
        for contact in (member, neighbour):
            node = graph.get_by_test_id(f"node-{contact.pk}")
            expect(node).to_have_attribute("data-state", "contact")
            expect(node).to_have_attribute("data-level", "1")
            expect(node.locator("rect")).to_have_attribute("fill", STATE_COLOURS["contact"])
            expect(node).to_contain_text(contact.name[:9])
        assert STATE_COLOURS["confirmed"] != STATE_COLOURS["contact"]
        expect(graph.locator("g[data-testid^=node-]")).to_have_count(3)
        expect(graph.locator("line")).to_have_count(2)
        secretary.shot("contacts")

        # The household member goes into home quarantine from the list: day 1 is the last
        # exposure, release 14 days later; they stay a close contact in the counts.
        page.get_by_test_id(f"start-quarantine-{member.pk}").click()
        expect(page.locator(".messages, [role=alert], .message").first).to_contain_text(
            f"第 1 天为 {last:%Y-%m-%d}，{release:%Y-%m-%d} 解除"
        )
        member_case = QuarantineCase.objects.get(person=member, state__in=ACTIVE_STATES)
        row = page.get_by_test_id(f"contact-{member.pk}")
        expect(row).to_contain_text("居家隔离")
        expect(row).to_contain_text(f"隔离观察 {member_case.case_no}，{release:%Y-%m-%d} 解除")
        expect(page.get_by_test_id(f"start-quarantine-{member.pk}")).to_have_count(0)
        expect(page.get_by_test_id(f"node-{member.pk}")).to_have_attribute("data-state", "home")
        expect(page.get_by_test_id(f"contact-{neighbour.pk}")).to_contain_text(
            f"观察至 {watch_until:%Y-%m-%d}"
        )
        assert member_case.start_date == last, "day 1 of the contact's case is the last exposure"
        secretary.shot("contact-quarantined")

        # 3. The zone map, the overview and the statistics: two more close contacts, and
        # the index person and the member in quarantine; one more confirmed case today.
        after = _figures(page, zone_id)
        secretary.shot("statistics")
        assert after == {
            **before,
            "map_contacts": before["map_contacts"] + 2,
            "map_in_quarantine": before["map_in_quarantine"] + 2,
            "overview_contacts": before["overview_contacts"] + 2,
            "tile_contacts": before["tile_contacts"] + 2,
            "stats_contacts": before["stats_contacts"] + 2,
            "stats_in-quarantine": before["stats_in-quarantine"] + 2,
            "stats_cumulative": before["stats_cumulative"] + 1,
            "stats_new-today": before["stats_new-today"] + 1,
        }, (before, after)
        assert after["map_contacts"] == after["stats_contacts"] == after["tile_contacts"]
        assert rebuild_differences() == []
        assert after["map_in_quarantine"] == after["stats_in-quarantine"]
        page.goto(f"/reports/zones/{zone_id}/")
        secretary.shot("zone-map")

        # 4. At the zone's gate: the contact under observation and the index person, red.
        guard = phone("journey-contacts-gate")
        gate_page = guard.page
        log_in(gate_page, "guard", DEMO_PASSWORD)
        gate_page.locator("[data-testid^=action-gate-]").first.click()
        expect(gate_page).to_have_url(re.compile(r"/passes/gates/\d+/$"))
        checks_before = GateCheck.objects.count()
        for typed, reason, shot in (
            (neighbour_pass.code.lower(), "密切接触者（观察中）", "contact"),
            (index_pass.code, "确诊病例", "index"),
            (member_pass.code, "正在隔离观察", "member"),
        ):
            _check(gate_page, typed)
            expect(gate_page.get_by_test_id("result")).to_have_attribute("data-colour", "red")
            expect(gate_page.get_by_test_id("result-colour")).to_have_text("红码")
            expect(gate_page.get_by_test_id("result-reason")).to_have_text(reason)
            guard.shot(f"red-{shot}")
            # The one decision a red offers: to the observation point.
            gate_page.get_by_test_id("decide-observation").click()
            expect(gate_page.get_by_test_id("code")).to_be_visible()
        checks = list(GateCheck.objects.order_by("id")[checks_before:])
        assert [(c.pass_obj_id, c.colour, c.reason, c.decision) for c in checks] == [
            (neighbour_pass.pk, "red", "close_contact", "observation"),
            (index_pass.pk, "red", "confirmed", "observation"),
            (member_pass.pk, "red", "quarantine", "observation"),
        ]

        # Sent there, the neighbour is in quarantine and still a close contact; the index
        # person stays in hospital, the member moves from home: the counts follow.
        states = dict(
            Person.objects.filter(pk__in=[index.pk, member.pk, neighbour.pk]).values_list(
                "pk", "epidemic_state"
            )
        )
        assert states == {
            index.pk: "confirmed",
            member.pk: "observation",
            neighbour.pk: "observation",
        }
        final = _figures(page, zone_id)
        assert final == {
            **after,
            "map_in_quarantine": after["map_in_quarantine"] + 1,
            "stats_in-quarantine": after["stats_in-quarantine"] + 1,
        }, (after, final)

    # 5. Every stored state is the one the facts give.
    assert rebuild_differences() == []
    assert not secretary.overflows, "pages wider than the phone:\n" + "\n".join(secretary.overflows)
    assert not guard.overflows, "pages wider than the phone:\n" + "\n".join(guard.overflows)
