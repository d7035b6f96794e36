"""Screening pages: every view for allowed, outsider (404), anonymous (login) and wrong method."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.audit.models import AccessLog
from fangyi.conftest import make_id_number
from fangyi.core.spreadsheets import read_xlsx_rows
from fangyi.people.models import Person, PersonEvent
from fangyi.screening.models import Visit
from fangyi.screening.tests.helpers import HEADER, xlsx_bytes

pytestmark = pytest.mark.django_db


def _urls(tree, campaign, team):
    zone = tree.zones[0]
    return {
        "index": (reverse("screening:index"), "GET"),
        "campaign": (reverse("screening:campaign", args=[campaign.pk]), "GET"),
        "team": (reverse("screening:team", args=[team.pk]), "GET"),
        "visit": (reverse("screening:visit", args=[team.pk, tree.dwellings[0].pk]), "GET"),
        "place_people": (reverse("screening:place_people", args=["zone", zone.pk]), "GET"),
        "export": (reverse("screening:export", args=["zone", zone.pk]), "GET"),
        "duplicates": (reverse("screening:duplicates"), "GET"),
        "new_campaign": (reverse("screening:campaign_new", args=["zone", zone.pk]), "GET"),
    }


# Whose pages are they: the team leader (building persona) and the community secretary.
@pytest.mark.parametrize(
    "name", ["campaign", "team", "visit", "place_people", "export", "new_campaign"]
)
def test_outsider_gets_404_and_anonymous_goes_to_login(client, tree, campaign, team, name):
    url, _method = _urls(tree, campaign, team)[name]
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(tree.users["outsider"])
    assert client.get(url).status_code == 404


def test_index_lists_my_team(client, tree, campaign, team):
    client.force_login(tree.users["building"])
    page = client.get(reverse("screening:index")).content.decode()
    assert team.name in page and campaign.name in page


@pytest.mark.parametrize(
    ("persona", "status"), [("building", 200), ("community", 200), ("zone", 404)]
)
def test_team_page_for_member_manager_and_other(client, tree, team, persona, status):
    client.force_login(tree.users[persona])
    assert client.get(reverse("screening:team", args=[team.pk])).status_code == status


def test_wrong_methods_are_405(client, tree, campaign, team):
    client.force_login(tree.users["community"])
    assert client.get(reverse("screening:team_new", args=[campaign.pk])).status_code == 405
    assert client.get(reverse("screening:merge")).status_code == 405
    url = reverse("screening:import_upload", args=[tree.zones[0].pk])
    assert client.get(url).status_code == 405
    assert client.put(reverse("screening:visit", args=[team.pk, tree.dwellings[0].pk])).status_code == 405  # fmt: skip


def test_visit_form_double_post_records_once(client, tree, team):
    client.force_login(tree.users["building"])
    url = reverse("screening:visit", args=[team.pk, tree.dwellings[0].pk])
    key = str(uuid.uuid4())
    data = {"key": key, "outcome": "answered", "new0-name": "新人", "new0-doc_number": make_id_number(777)}  # fmt: skip
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Visit.objects.count() == 1 and Person.objects.filter(name="新人").count() == 1


def test_visit_form_shows_errors(client, tree, team):
    client.force_login(tree.users["building"])
    url = reverse("screening:visit", args=[team.pk, tree.dwellings[0].pk])
    data = {"key": str(uuid.uuid4()), "outcome": "answered", "new0-name": "x", "new0-doc_number": "1"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 422 and not Visit.objects.exists()


def test_team_page_query_count(client, tree, team, django_assert_max_num_queries):
    client.force_login(tree.users["building"])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("screening:team", args=[team.pk])).status_code == 200


def test_campaign_page_and_team_form(client, tree, campaign, team):
    client.force_login(tree.users["community"])
    page = client.get(reverse("screening:campaign", args=[campaign.pk])).content.decode()
    assert team.name in page and 'name="members"' in page


def test_export_is_masked_and_reveal_is_logged(client, tree):
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    url = reverse("screening:export", args=["zone", zone.pk])
    rows = read_xlsx_rows(b"".join(client.get(url).streaming_content))
    people = [p for p in tree.people if p.zone_id == zone.pk]
    assert len(rows) == 1 + len(people)
    numbers = {r[2] for r in rows[1:]}
    assert all("*" in n for n in numbers) and not AccessLog.objects.exists()
    response = client.post(url, {"reveal": "1"})
    rows = read_xlsx_rows(b"".join(response.streaming_content))
    assert {r[2] for r in rows[1:]} == {p.doc_number for p in tree.people if p.zone_id == zone.pk}
    assert AccessLog.objects.filter(user=tree.users["zone"], channel="export").count() == 2 * len(
        rows[1:]
    )


def test_export_respects_scope(client, tree):
    client.force_login(tree.users["building"])
    url = reverse("screening:export", args=["building", tree.buildings[0].pk])
    rows = read_xlsx_rows(b"".join(client.get(url).streaming_content))
    assert len(rows) == 1 + 4
    assert client.get(reverse("screening:export", args=["zone", tree.zones[0].pk])).status_code == 404  # fmt: skip


def test_import_on_the_page_dry_run_then_commit(client, tree):
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    data = xlsx_bytes(
        [HEADER, [1, "页面导入", make_id_number(555), None, "1栋", "101", None, None]]
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("screening:import_upload", args=[zone.pk]),
        {"file": SimpleUploadedFile("名单.xlsx", data)},
    )
    assert response.status_code == 302
    check_url = response["Location"]
    page = client.get(check_url).content.decode()
    assert 'data-testid="commit"' in page and not Person.objects.filter(name="页面导入").exists()
    response = client.post(check_url, {"col-1": "name", "col-2": "doc_number", "col-4": "building", "col-5": "room", "commit": "1"})  # fmt: skip
    assert response.status_code == 302
    assert PersonEvent.objects.filter(person__name="页面导入", source="import").count() == 1
    # The token is single use, and another user cannot use it.
    assert client.get(check_url).status_code == 404


def test_duplicates_and_merge(client, tree):
    a, b = tree.people[0], tree.people[1]
    Person.objects.filter(pk=b.pk).update(name=a.name, phone=a.phone)
    client.force_login(tree.users["zone"])
    page = client.get(reverse("screening:duplicates")).content.decode()
    assert f"#{b.pk}" in page
    response = client.post(reverse("screening:merge"), {"keep": a.pk, "drop": b.pk})
    assert response.status_code == 302
    assert not Person.objects.filter(pk=b.pk).exists()
    merged = a.events.get(action="merged")
    assert merged.changes["merged_file"][0]["id"] == b.pk


def test_merge_outside_scope_is_404(client, tree):
    client.force_login(tree.users["building"])
    a, far = tree.people[0], tree.people[-1]
    response = client.post(reverse("screening:merge"), {"keep": a.pk, "drop": far.pk})
    assert response.status_code == 404 and Person.objects.filter(pk=far.pk).exists()


def test_a_merge_takes_the_dropped_file_s_quarantine_into_the_kept_state(client, tree):
    """The dropped duplicate was in home quarantine: once merged, the kept file is."""
    from fangyi.people.state import rebuild_differences
    from fangyi.quarantine import services as quarantine

    a, b = tree.people[0], tree.people[1]
    Person.objects.filter(pk=b.pk).update(name=a.name, phone=a.phone)
    quarantine.case_intake(
        by=None, person=b, reason="close_contact", arrived_at=timezone.now(), first_state="home"
    )
    assert Person.objects.get(pk=b.pk).epidemic_state == "home"
    client.force_login(tree.users["zone"])
    response = client.post(reverse("screening:merge"), {"keep": a.pk, "drop": b.pk})
    assert response.status_code == 302
    assert Person.objects.get(pk=a.pk).epidemic_state == "home"
    assert rebuild_differences() == []
