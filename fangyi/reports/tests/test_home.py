"""The home page: each role's work today, counted by scoped selectors, in Chinese.

Built on the demo district (cases at every stage, passes, orders, a screening
campaign), as its users meet it: every demo login opens its home page, every counted
link leads to a page that lists as many rows as the home page said.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.demo.logins import DEMO_PASSWORD
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.passes.services import gate_check_record, pass_revoke
from fangyi.passes.tokens import PassRefused
from fangyi.people.models import Person
from fangyi.places.models import Gate
from fangyi.reports.tests.conftest import at, login
from fangyi.support.models import Order

NOW = at(2026, 3, 10, 15)
TODAY = dt.date(2026, 3, 10)

# The sections each demo login finds on its home page, in order.
EXPECTED = {
    "admin": ["overview", "quarantine", "passes", "area"],
    "leader": ["overview", "area"],
    "cadre": ["overview", "passes", "area"],
    "secretary": ["overview", "passes", "quarantine", "care", "area"],
    "guard": ["gates", "maps"],
    "property": ["maps", "passes", "gates", "care", "area"],
    "grid": ["passes", "teams", "area"],
    "doctor": ["quarantine", "area"],
    "volunteer": ["support", "maps"],
}
# Queries of a home page, at most (each section a fixed handful; none per row). The
# overview's close contacts under observation cost one query per assigned place.
MAX_QUERIES = 44


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(NOW, tick=False):
        call_command("demo", scale=0.003, seed=3, no_progress=True, verbosity=0)
        yield


def _sections(html: str) -> list[str]:
    return re.findall(r'data-testid="home-([a-z_]+)"', html)


def _count(html: str, key: str) -> int:
    found = re.search(rf'data-testid="count-{key}">(\d+)', html)
    assert found, f"no count {key}"
    return int(found.group(1))


def _href(html: str, key: str) -> str:
    found = re.search(rf'<a href="([^"]+)" data-testid="(?:item|action)-{key}"', html)
    assert found, f"no link {key}"
    return found.group(1).replace("&amp;", "&")


def _worklist_rows(client, url: str) -> int:
    html = client.get(url).content.decode()
    return int(re.search(r"<h2>[^<(]*\((\d+)\)", html).group(1))


def test_every_demo_login_has_its_days_work_in_chinese(client, demo, django_assert_max_num_queries):
    with time_machine.travel(NOW, tick=False):
        for username, sections in EXPECTED.items():
            client.logout()
            assert client.login(username=username, password=DEMO_PASSWORD)
            with django_assert_max_num_queries(MAX_QUERIES):
                response = client.get(reverse("home"))
            html = response.content.decode()
            assert response.status_code == 200, username
            assert "<h1>今日工作" in html, username
            assert _sections(html) == sections, username
            # Every link of the page opens for this user (no 403, no 404, no 500).
            for href in set(re.findall(r'<a href="(/[^"]*)" data-testid="(?:item|action)-', html)):
                page = client.get(href.replace("&amp;", "&"))
                assert page.status_code in (200, 302), (username, href, page.status_code)


def test_counts_are_what_the_linked_lists_show(client, demo):
    with time_machine.travel(NOW, tick=False):
        for username in ("doctor", "secretary"):
            client.logout()
            client.login(username=username, password=DEMO_PASSWORD)
            html = client.get(reverse("home")).content.decode()
            for key in ("due_release", "missed", "fever", "tests_pending"):
                assert _count(html, key) == _worklist_rows(client, _href(html, key)), (
                    username,
                    key,
                )
        assert _count(html, "due_release") > 0 and _count(html, "missed") > 0


def test_grid_worker_counts_its_building_only(client, demo):
    with time_machine.travel(NOW, tick=False):
        client.login(username="grid", password=DEMO_PASSWORD)
        html = client.get(reverse("home")).content.decode()
        building = client.get(reverse("home")).wsgi_request.user.staff.assignments.get().building
        pending = PassApplication.objects.filter(status="pending", building_id=building.pk)
        assert _count(html, "pass_queue") == pending.count() > 0
        queue = client.get(_href(html, "pass_queue")).content.decode()
        assert queue.count('data-testid="application-') == pending.count()
        unverified = Person.objects.filter(building_id=building.pk, verified=False).count()
        assert _count(html, "unverified") == unverified > 0
        listed = client.get(_href(html, "unverified")).content.decode()
        assert f'data-testid="unverified-total">{unverified}<' in listed
        # The team's dwellings not yet visited link to the team's list.
        assert "/screening/teams/" in html


def test_guard_has_its_gate_one_tap_away(client, demo):
    with time_machine.travel(NOW, tick=False):
        client.login(username="guard", password=DEMO_PASSWORD)
        response = client.get(reverse("home"))
        html = response.content.decode()
        user = response.wsgi_request.user
        gates = re.findall(r'href="/passes/gates/(\d+)/" data-testid="action-gate-', html)
        assert gates, "no gate button"
        # The button opens the gate screen itself.
        page = client.get(f"/passes/gates/{gates[0]}/")
        assert page.status_code == 200
        checks = GateCheck.objects.filter(guard=user, at__date=TODAY).count()
        assert _count(html, "checks_today") == checks
        # A pass that no longer admits: turned away, counted in the checks and on its own.
        refused = GateCheck.objects.filter(guard=user, at__date=TODAY, colour="refused").count()
        assert _count(html, "refused_today") == refused
        revoked = Pass.objects.filter(revoked_at=None, district__code="440310").first()
        pass_revoke(by=None, pass_obj=revoked, reason="lost")
        with pytest.raises(PassRefused):
            gate_check_record(
                by=user, gate=Gate.objects.get(pk=gates[0]), code=revoked.code, temperature="36.6"
            )
        html = client.get(reverse("home")).content.decode()
        assert _count(html, "checks_today") == checks + 1
        assert _count(html, "refused_today") == refused + 1
        # A guard keeps no person files: no pass queue, no files to verify.
        assert 'data-testid="home-passes"' not in html
        assert client.get(reverse("reports:unverified")).content.decode().count("/people/") == 0


def test_volunteer_sees_its_deliveries_and_visits(client, demo):
    with time_machine.travel(NOW, tick=False):
        client.login(username="volunteer", password=DEMO_PASSWORD)
        response = client.get(reverse("home"))
        html = response.content.decode()
        staff = response.wsgi_request.user.staff
        placed = Order.objects.filter(deliverer=staff, status="placed")
        assert _count(html, "deliveries_today") == placed.filter(delivery_date=TODAY).count()
        assert _count(html, "deliveries_later") == placed.filter(delivery_date__gt=TODAY).count()
        assert 'data-testid="count-visits_due"' in html


def test_leader_overview_agrees_with_the_overview_page(client, demo):
    with time_machine.travel(NOW, tick=False):
        client.login(username="leader", password=DEMO_PASSWORD)
        html = client.get(reverse("home")).content.decode()
        overview = client.get(reverse("reports:overview")).content.decode()
        tiles = overview.count('data-testid="zone-tile"')
        assert f"{tiles} 个围合区" in html
        assert _count(html, "zones_quarantine") == int(
            re.search(r'data-testid="total-quarantine">(\d+)', overview).group(1)
        )
        assert _count(html, "fever_alerts") == int(
            re.search(r'data-testid="figure-fever" data-n="(\d+)"', overview).group(1)
        )


def test_someone_without_a_place_is_told_whom_to_ask(client, tree, django_user_model):
    django_user_model.objects.create_user("nobody", password=PASSWORD)
    login(client, "nobody")
    html = client.get(reverse("home")).content.decode()
    assert "您尚未包干任何区域" in html


def test_a_grid_worker_outside_has_none_of_the_others_work(client, tree):
    login(client, "outsider")
    html = client.get(reverse("home")).content.decode()
    assert (
        _count(html, "unverified")
        == Person.objects.filter(zone=tree.zones[2], verified=False).count()
    )
    assert tree.zones[0].name not in html


def test_map_and_overview_link_only_what_the_user_may_open(client, tree):
    """A zone's staff sees its map without a link to the community overview (404 for
    it); a building's grid worker gets no case statistics link (no place to count)."""
    login(client, "z_property")
    html = client.get(reverse("reports:zone_map", args=[tree.zones[0].pk])).content.decode()
    assert f"?community={tree.zones[0].community_id}" not in html
    assert (
        client.get(reverse("reports:overview") + f"?community={tree.communities[0].pk}").status_code
        == 404
    )
    login(client, "c_secretary")
    html = client.get(reverse("reports:zone_map", args=[tree.zones[0].pk])).content.decode()
    assert f"?community={tree.zones[0].community_id}" in html
    login(client, "b_grid")
    html = client.get(reverse("reports:overview")).content.decode()
    assert reverse("reports:stats") not in html
    login(client, "z_property")
    html = client.get(reverse("reports:overview")).content.decode()
    link = re.search(r'href="(/reports/stats/[^"]*)"', html).group(1)
    assert client.get(link.replace("&amp;", "&")).status_code == 200
