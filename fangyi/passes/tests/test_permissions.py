"""Who may see and do what with passes (issue 12, holes 2 and 4): every scoped query
filters by the right column, and services decide from the acting user.

A volunteer serving person N is granted the file of person N (duty.scope.person_grant).
Filtering applications with the person filter matched application N by its own id: the
volunteer approved an application. Each selector is held to this with the grant made
to the very id of the row it must not return.
"""

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from fangyi.conftest import PASSWORD, make_id_number
from fangyi.duty import scope as duty_scope
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.duty.services import api_token_create
from fangyi.health.models import Alert
from fangyi.passes import selectors, services
from fangyi.passes.models import PassApplication
from fangyi.passes.tests.conftest import NOW
from fangyi.people.identity import mask_name
from fangyi.people.state import rebuild_differences

pytestmark = pytest.mark.django_db


def staff_user(username, role, **place):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    staff = Staff.objects.create(user=user, name=f"{username}员", role=role)
    if place:
        Assignment.objects.create(staff=staff, **place)
    return user


def fresh(user):
    """The user as a new request sees it (the scope is cached on the user object)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def granted(monkeypatch):
    """grant(user, ids): the volunteer/guard `user` serves the people with these ids."""
    grants: dict[int, set[int]] = {}
    monkeypatch.setattr(
        duty_scope, "_PERSON_GRANTS", [lambda staff_id: grants.get(staff_id, set())]
    )

    def grant(user, *ids):
        grants.setdefault(user.staff.pk, set()).update(ids)
        user = fresh(user)
        assert set(ids) <= duty_scope.scope_for(user).person_pks  # the grant is real
        return user

    return grant


@pytest.fixture
def volunteer(tree):
    """A volunteer of another street's zone (Z3): nothing of zone Z1 is its place."""
    return staff_user("vol", Role.VOLUNTEER, zone=tree.zones[2])


@pytest.fixture
def zone_volunteer(tree):
    return staff_user("vol1", Role.VOLUNTEER, zone=tree.zones[0])


@pytest.fixture
def zone_guard(tree, guard):
    """The gate guard of Z1, posted at its gate and assigned to the zone."""
    Assignment.objects.create(staff=guard.staff, zone=tree.zones[0])
    return fresh(guard)


@pytest.fixture
def doctor(tree):
    return staff_user("doc", Role.STATION_DOCTOR, community=tree.communities[0])


@pytest.fixture
def application(tree):
    return services.application_submit(
        values={
            "name": "王小明",
            "doc_number": make_id_number(901),
            "phone": "13912345678",
            "dwelling_id": tree.dwellings[0].pk,
        }
    ).application


@pytest.fixture
def fever(tree, gate, guard, green_pass):
    with time_machine.travel(NOW, tick=False):
        services.gate_check_record(by=guard, gate=gate, code=green_pass.code, temperature="38.1")
    return Alert.objects.select_related("zone", "gate_check").get()


# --- every selector, with a grant of the same id -----------------------------------------


def test_a_granted_person_id_does_not_open_the_application_of_that_id(
    client, tree, application, volunteer, granted
):
    user = granted(volunteer, application.pk)
    assert list(selectors.applications_for(user)) == []
    with pytest.raises(Exception) as info:
        selectors.application_get(user, application.pk)
    assert type(info.value).__name__ == "Http404"
    # Nor through the API, nor the page.
    headers = {"Authorization": f"Bearer {api_token_create(user=user)}"}
    assert client.get("/api/passes/applications", headers=headers).json() == []
    approve = f"/api/passes/applications/{application.pk}/approve"
    assert client.post(approve, headers=headers).status_code == 404
    client.force_login(user)
    assert (
        client.post(reverse("passes:application", args=[application.pk, "approve"])).status_code
        == 404
    )
    assert PassApplication.objects.get().status == "pending"


def test_a_granted_person_id_does_not_open_the_passes_of_that_person(
    client, tree, green_pass, zone_volunteer, granted
):
    """A volunteer serving the holder may open the file, not the holder's passes: their
    links are the holder's credentials."""
    person = green_pass.person
    user = granted(zone_volunteer, person.pk, green_pass.pk)
    assert list(selectors.passes_of(user, person)) == []
    client.force_login(user)
    assert client.get(reverse("person", args=[person.pk])).status_code == 200
    assert client.get(reverse("passes:person", args=[person.pk])).status_code == 404
    issue = reverse("passes:person_action", args=[person.pk, "issue"])
    assert client.post(issue).status_code == 404
    assert (
        green_pass.link_key not in client.get(reverse("person", args=[person.pk])).content.decode()
    )


def test_a_granted_person_id_does_not_open_the_gate_check_or_alert_of_that_id(
    tree, fever, volunteer, granted
):
    check = fever.gate_check
    user = granted(volunteer, check.pk, fever.pk, check.gate_id)
    assert list(selectors.checks_for(user)) == []
    assert list(selectors.checks_for_guard(user)) == []
    assert list(selectors.fever_alerts_for(user)) == []
    assert list(selectors.gates_for(user)) == [tree.zones[2].gates.get()]
    assert selectors.gate_board(user, day=NOW.date()) == []


# --- services decide from the acting user ---------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("building", True),
        ("zone", True),
        ("community", True),
        ("street", True),
        ("district", True),
        ("doctor", True),
        ("zone_guard", False),
        ("zone_volunteer", False),
        ("outsider", False),
        ("anonymous", False),
    ],
)
def test_who_may_decide_an_application(
    request, tree, application, persona, allowed, zone_guard, zone_volunteer, doctor
):
    from django.contrib.auth.models import AnonymousUser

    users = {
        **tree.users,
        "zone_guard": zone_guard,
        "zone_volunteer": zone_volunteer,
        "doctor": doctor,
        "anonymous": AnonymousUser(),
    }
    user = users[persona]
    assert services.application_may_decide(user, application) is allowed
    if allowed:
        services.application_approve(by=user, application=application)
        assert PassApplication.objects.get().status == "approved"
        return
    for call in (
        lambda: services.application_approve(by=user, application=application),
        lambda: services.application_reject(by=user, application=application, reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert PassApplication.objects.get().status == "pending"


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("building", True),
        ("community", True),
        ("zone_guard", False),
        ("zone_volunteer", False),
        ("outsider", False),
    ],
)
def test_who_may_issue_reissue_and_revoke(
    tree, green_pass, persona, allowed, zone_guard, zone_volunteer, granted
):
    users = {**tree.users, "zone_guard": zone_guard, "zone_volunteer": zone_volunteer}
    user = users[persona]
    if persona == "zone_volunteer":  # even serving the holder
        user = granted(user, green_pass.person_id)
    person = green_pass.person
    actions = services.pass_actions_for(user, person)
    assert (actions.view, actions.issue, actions.revoke) == (allowed,) * 3
    if allowed:
        issued = services.pass_issue(by=user, person=person)
        reissued = services.pass_reissue(by=user, pass_obj=issued)
        services.pass_revoke(by=user, pass_obj=reissued, reason="丢失")
        assert person.passes.filter(revoked_at__isnull=True).count() == 0
        return
    for call in (
        lambda: services.pass_issue(by=user, person=person),
        lambda: services.pass_reissue(by=user, pass_obj=green_pass),
        lambda: services.pass_revoke(by=user, pass_obj=green_pass, reason="丢失"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert list(person.passes.all()) == [green_pass] and green_pass.revoked_at is None


# --- gate fevers: the guard who held the person does not clear it ----------------------------


def test_a_guard_cannot_clear_a_fever_hold(client, fever, zone_guard):
    assert fever in selectors.fever_alerts_for(zone_guard)  # the guard sees the alert
    with pytest.raises(PermissionDenied) as info:
        services.fever_alert_review(by=zone_guard, alert=fever, outcome="cleared")
    assert str(info.value) == str(services.ERR_REVIEW_NOT_YOURS)
    client.force_login(zone_guard)
    page = client.get(reverse("passes:fevers")).content.decode()
    assert f"fever-{fever.pk}" in page and f"clear-{fever.pk}" not in page
    response = client.post(reverse("passes:fever_review", args=[fever.pk]), {"outcome": "cleared"})
    assert response.status_code == 403
    fever.refresh_from_db()
    assert fever.status == "open"


def test_a_volunteer_of_the_zone_cannot_clear_a_fever_hold(fever, zone_volunteer):
    with pytest.raises(PermissionDenied):
        services.fever_alert_review(by=zone_volunteer, alert=fever, outcome="cleared")


@pytest.mark.parametrize("persona", ["doctor", "zone", "community"])
def test_the_zones_doctor_and_file_keepers_review_a_fever(client, tree, fever, doctor, persona):
    user = doctor if persona == "doctor" else tree.users[persona]
    client.force_login(user)
    page = client.get(reverse("passes:fevers")).content.decode()
    assert f"clear-{fever.pk}" in page
    response = client.post(reverse("passes:fever_review", args=[fever.pk]), {"outcome": "cleared"})
    assert response.status_code == 302
    fever.refresh_from_db()
    assert (fever.status, fever.closed_by) == ("closed", user)
    assert fever.note == "复核排除"  # the outcome, in the reviewer's language
    # Closed: the person is no longer held for review (health.alerts refreshes the state).
    assert rebuild_differences() == []


@pytest.mark.parametrize(
    ("persona", "file_link", "may_review"),
    [
        ("zone", True, True),
        ("community", True, True),
        ("doctor", True, True),
        ("zone_guard", False, False),
        ("zone_volunteer", False, False),
        ("served_volunteer", True, False),  # opens the file of the person it serves
        ("outsider", None, None),  # another street: the alert is not listed
    ],
)
def test_the_fever_list_decides_the_link_and_the_review_from_the_user(
    tree, fever, doctor, zone_guard, zone_volunteer, granted, persona, file_link, may_review
):
    """The selector decides, per user, whether the name links to the file and whether
    the review buttons show (the view only renders): a guard gets no dead link."""
    users = {"doctor": doctor, "zone_guard": zone_guard, "zone_volunteer": zone_volunteer}
    if persona == "served_volunteer":
        users[persona] = granted(zone_volunteer, fever.person_id)
    user = users.get(persona) or tree.users[persona]
    rows = selectors.fever_alert_rows(user)
    if file_link is None:
        assert rows == []
        return
    [row] = rows
    assert row.alert == fever and row.name == mask_name(fever.person.name) != fever.person.name
    assert (row.file_link, row.may_review) == (file_link, may_review)
    assert row.may_review == services.fever_alert_may_review(user, fever)


# --- the queue does not approve blind; the pass page is linked -----------------------------


def three_applications(tree):
    """For the building's grid worker: an application with the document, name and dwelling
    of a file it keeps but another phone; one with an unknown document; one with the
    document of a file in another street (and another name)."""
    person = tree.people[1]  # in the grid worker's building
    services.application_submit(
        values={
            "name": person.name,
            "doc_number": person.doc_number,
            "phone": "13700001111",
            "dwelling_id": person.dwelling_id,
        }
    )
    services.application_submit(
        values={
            "name": "陌生人",
            "doc_number": make_id_number(902),
            "phone": "13700001112",
            "dwelling_id": tree.dwellings[0].pk,
        }
    )
    elsewhere = tree.people[-1]  # a file in another street
    services.application_submit(
        values={
            "name": "冒名者",
            "doc_number": elsewhere.doc_number,
            "phone": "13700001113",
            "dwelling_id": tree.dwellings[0].pk,
        }
    )
    return person, elsewhere, *PassApplication.objects.order_by("id")


def test_the_queue_shows_whether_a_file_matches_and_links_it(client, tree):
    person, elsewhere, matched, unknown, outside = three_applications(tree)
    client.force_login(tree.users["building"])
    page = client.get(reverse("passes:queue")).content.decode()

    def cell(app):
        start = page.index(f'data-testid="match-{app.pk}"')
        return page[start : page.index("</td>", start)]

    row = cell(matched)
    assert 'data-field="name" data-matches="yes"' in row
    assert 'data-field="dwelling" data-matches="yes"' in row
    assert 'data-field="phone" data-matches="no"' in row
    assert reverse("person", args=[person.pk]) in row
    assert reverse("passes:person", args=[person.pk]) in row
    assert 'data-match="none"' in cell(unknown)
    # Outside the reviewer's area: said, without the other file's name or a link.
    assert 'data-match="elsewhere"' in cell(outside)
    assert elsewhere.name not in page and reverse("person", args=[elsewhere.pk]) not in page


def test_the_queue_offers_approval_only_where_the_service_allows_it(client, tree):
    """A file with another phone (or name, or dwelling) is corrected first or rejected:
    no approve button, and a forced POST is refused with the reason, nothing changed."""
    person, _elsewhere, matched, unknown, outside = three_applications(tree)
    client.force_login(tree.users["building"])
    page = client.get(reverse("passes:queue")).content.decode()
    assert f'data-testid="approve-{unknown.pk}"' in page
    assert f'data-testid="approve-{matched.pk}"' not in page
    assert f'data-testid="correct-first-{matched.pk}"' in page
    assert f'data-testid="approve-{outside.pk}"' not in page
    assert f'data-testid="elsewhere-{outside.pk}"' in page
    response = client.post(reverse("passes:application", args=[matched.pk, "approve"]), follow=True)
    assert str(services.ERR_FILE_DIFFERS) % {"fields": "电话"} in response.content.decode()
    matched.refresh_from_db()
    assert (matched.status, matched.person) == ("pending", None)
    person.refresh_from_db()
    assert not person.verified


def test_the_api_queue_tells_how_each_application_matches_its_file(client, tree):
    person, elsewhere, matched, unknown, outside = three_applications(tree)
    client.force_login(tree.users["building"])
    response = client.get("/api/passes/applications")
    assert response.status_code == 200
    files = {item["id"]: item["file"] for item in response.json()}
    assert files[matched.pk] == {
        "found": True,
        "in_area": True,
        "person_id": person.pk,
        "verified": False,
        "name": True,
        "phone": False,
        "phone_missing": False,
        "dwelling": True,
        "approvable": False,
    }
    nothing = dict.fromkeys(("person_id", "verified", "name", "phone", "phone_missing", "dwelling"))
    assert files[unknown.pk] == {"found": False, "in_area": False, "approvable": True, **nothing}
    # Outside the reviewer's area: only that a file exists, never its name or id.
    assert files[outside.pk] == {"found": True, "in_area": False, "approvable": False, **nothing}
    assert elsewhere.name not in response.content.decode()
    # What it says is what the service does.
    approve = "/api/passes/applications/{}/approve"
    refused = client.post(approve.format(matched.pk))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "file_differs"
    assert client.post(approve.format(outside.pk)).json()["error"]["code"] == "file_elsewhere"
    assert client.post(approve.format(unknown.pk)).json()["status"] == "approved"


@pytest.mark.parametrize(
    ("persona", "linked"),
    [("building", True), ("community", True), ("zone_volunteer", False)],
)
def test_the_person_file_links_to_the_passes_for_those_who_may_act(
    client, tree, green_pass, persona, linked, zone_volunteer, granted
):
    person = green_pass.person
    user = tree.users.get(persona) or granted(zone_volunteer, person.pk)
    client.force_login(user)
    page = client.get(reverse("person", args=[person.pk]))
    assert page.status_code == 200
    assert (reverse("passes:person", args=[person.pk]) in page.content.decode()) is linked
