"""Confirmed cases as the statistics page lists them (a selector decides whose name is
shown in full and linked), and the confirmed-case form's zones: exactly those where the
service records a case, for every persona (one rule, `selectors.may_record_case_in`)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from fangyi.conftest import PASSWORD, _user
from fangyi.duty.choices import Role
from fangyi.people.identity import mask_name
from fangyi.reports import selectors
from fangyi.reports.forms import ConfirmedCaseForm
from fangyi.reports.services import confirmed_case_create
from fangyi.support import services as support

DAY = dt.date(2020, 2, 10)


@pytest.fixture
def users(tree):
    """The tree's staff, an operator, and a guard and a volunteer of zone Z1."""
    return {
        **tree.users,
        "operator": get_user_model().objects.create_superuser("op", password=PASSWORD),
        "guard": _user("guard", Role.GATE_GUARD, zone=tree.zones[0]),
        "volunteer": _user("volunteer", Role.VOLUNTEER, zone=tree.zones[0]),
    }


def test_the_form_offers_exactly_the_zones_where_the_service_records(tree, users):
    for name, user in users.items():
        offered = set(ConfirmedCaseForm(user=user).fields["zone"].queryset)
        accepted = set()
        for zone in tree.zones:
            with transaction.atomic():
                try:
                    confirmed_case_create(by=user, date=DAY, zone=zone, today=DAY)
                except PermissionDenied:
                    pass
                else:
                    accepted.add(zone)
                transaction.set_rollback(True)
        assert offered == accepted, name
    # Not vacuous: some offer every zone, some one, the places-only roles none.
    assert len(selectors.case_zones(users["district"])) == 3
    assert list(selectors.case_zones(users["zone"])) == [tree.zones[0]]
    assert not selectors.case_zones(users["guard"]) and not selectors.case_zones(users["volunteer"])


def test_a_person_found_by_id_number_only_in_the_zones_offered(tree, users):
    data = {"date": "2020-02-10", "id_number": tree.people[0].doc_number}
    form = ConfirmedCaseForm(data, user=users["zone"])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["id_number"] == tree.people[0]
    # The grid worker sees the file, but records in no zone: not found, no 403 page.
    form = ConfirmedCaseForm(data, user=users["building"])
    assert not form.is_valid() and "id_number" in form.errors


@pytest.fixture
def cases(tree):
    z1 = confirmed_case_create(by=None, date=DAY, person=tree.people[0], today=DAY)
    z3 = confirmed_case_create(by=None, date=DAY, person=tree.people[-1], today=DAY)
    nobody = confirmed_case_create(by=None, date=DAY, zone=tree.zones[0], today=DAY)
    return {"z1": z1, "z3": z3, "nobody": nobody}


def _listed(user, tree) -> dict[int, tuple[str, bool]]:
    rows = selectors.recent_cases(user, "district", tree.district.pk)
    return {r.case.pk: (r.name, r.linked) for r in rows}


def test_names_in_full_and_linked_only_for_who_may_open_the_file(tree, users, cases):
    first, last = tree.people[0], tree.people[-1]
    z1, z3, nobody = cases["z1"].pk, cases["z3"].pk, cases["nobody"].pk
    assert _listed(users["district"], tree) == {
        z1: (first.name, True),
        z3: (last.name, True),
        nobody: ("", False),
    }
    # The zone's property manager sees its zone's cases only.
    assert _listed(users["zone"], tree) == {z1: (first.name, True), nobody: ("", False)}
    # A guard sees its zone's cases with the name masked and no link.
    assert _listed(users["guard"], tree) == {
        z1: (mask_name(first.name), False),
        nobody: ("", False),
    }
    assert _listed(users["volunteer"], tree)[z1] == (mask_name(first.name), False)


def test_a_volunteer_serving_the_person_sees_the_name_and_the_link(tree, users, cases):
    volunteer = users["volunteer"]
    request = support.request_raise(
        by=None, person=tree.people[0], kind="medicine", description="", channel="staff"
    )
    support.request_assign(by=None, request=request, staff=volunteer.staff)
    volunteer = get_user_model().objects.get(pk=volunteer.pk)  # a fresh scope
    assert _listed(volunteer, tree)[cases["z1"].pk] == (tree.people[0].name, True)


def test_the_statistics_page_shows_what_the_selector_says(client, tree, users, cases):
    client.force_login(users["guard"])
    page = client.get(reverse("reports:stats"), {"place": f"zone:{tree.zones[0].pk}"})
    text = page.content.decode()
    assert mask_name(tree.people[0].name) in text and tree.people[0].name not in text
    assert reverse("person", args=[tree.people[0].pk]) not in text
    client.force_login(users["zone"])
    text = client.get(reverse("reports:stats"), {"place": f"zone:{tree.zones[0].pk}"}).content
    assert f'href="{reverse("person", args=[tree.people[0].pk])}"' in text.decode()
