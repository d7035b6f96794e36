"""The public application must not disclose anybody's health (issue 12, hole 1).

Anybody may post anybody's name and ID number. An application is approved at once only
when name, document, phone and dwelling all match a verified file; every other one gets
the same answer (status, wording, statements run), and a pass page shows no colour or
reason until the pass is verified. One person holds one valid pass.
"""

import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangyi.conftest import make_id_number
from fangyi.passes import services
from fangyi.passes.models import Pass, PassApplication
from fangyi.passes.tests.conftest import NOW
from fangyi.passes.tokens import PassRefused
from fangyi.people.models import PersonEvent
from fangyi.people.services import person_move
from fangyi.quarantine import services as quarantine

pytestmark = pytest.mark.django_db

ATTACKER_PHONE = "13700001111"


@pytest.fixture
def victim(tree, observation, station):
    """A verified resident under quarantine and a confirmed case: red, with an
    observation point, on any page that shows the colour."""
    person = tree.people[0]
    person.verified = True
    person.health_status = "confirmed"
    person.save()
    with time_machine.travel(NOW, tick=False):
        quarantine.case_intake(
            by=None, person=person, reason="close_contact", arrived_at=NOW, facility=station
        )
    return person


def values_for(person, **overrides):
    values = {
        "name": person.name,
        "doc_type": person.doc_type,
        "doc_number": person.doc_number,
        "phone": person.phone,
        "dwelling_id": person.dwelling_id,
    }
    values.update(overrides)
    return values


def probes(tree, victim):
    """What a stranger may post: each is not a full match of a verified file."""
    other_dwelling = tree.dwellings[-1].pk  # another zone, another street
    return {
        "name_and_id_any_dwelling": values_for(
            victim, phone=ATTACKER_PHONE, dwelling_id=other_dwelling
        ),
        "name_id_dwelling_wrong_phone": values_for(victim, phone=ATTACKER_PHONE),
        "name_id_phone_wrong_dwelling": values_for(victim, dwelling_id=other_dwelling),
        "wrong_name": values_for(victim, name="别人", phone=ATTACKER_PHONE),
        "no_file": values_for(victim, doc_number=make_id_number(777), phone=ATTACKER_PHONE),
    }


def test_name_and_id_of_a_red_resident_give_no_colour_and_no_reason(client, tree, victim):
    """Today's hole: posting a neighbour's name and ID number with any dwelling answered
    "approved" and the pass page showed 红码, 确诊病例 and the observation point."""
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("passes:apply"),
            {
                "name": victim.name,
                "doc_type": "id_card",
                "doc_number": victim.doc_number,
                "phone": ATTACKER_PHONE,
                "dwelling": tree.dwellings[-1].pk,
            },
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    application = PassApplication.objects.get()
    assert application.status == "pending" and application.person is None
    assert Pass.objects.get(application=application).person is None
    assert 'data-colour="pending"' in page and "等待核验" in page
    for secret in ("确诊", "隔离", "观察点", "坪山指定观察点", 'data-colour="red"', "红"):
        assert secret not in page, secret


def test_every_non_match_gets_the_same_answer_in_the_same_statements(client, tree, victim):
    pages, bodies, counts = {}, {}, {}
    with time_machine.travel(NOW, tick=False):
        services.application_submit(values=values_for(tree.people[1], phone=ATTACKER_PHONE))
        for label, values in probes(tree, victim).items():
            with CaptureQueriesContext(connection) as queries:
                submitted = services.application_submit(values=values)
            counts[label] = len(queries)
            bodies[label] = submitted.application.status
            key = submitted.pass_obj.link_key
            status = client.get(reverse("passes:pass_status", args=[key])).content.decode()
            pages[label] = status.replace(key, "KEY")
        # The full match runs the very same statements (the timing class is the same).
        with CaptureQueriesContext(connection) as queries:
            full = services.application_submit(values=values_for(victim))
        counts["full_match"] = len(queries)
    assert set(bodies.values()) == {"pending"}
    assert len(set(pages.values())) == 1, pages
    assert len(set(counts.values())) == 1, counts
    assert full.application.status == "approved" and full.pass_obj.person == victim


def test_the_api_answer_is_the_same_whether_or_not_a_file_exists(client, tree, victim):
    answers = []
    for values in probes(tree, victim).values():
        response = client.post("/api/passes/applications", values, content_type="application/json")
        assert response.status_code == 201
        body = response.json()
        answers.append((tuple(sorted(body)), body["status"]))
    assert set(answers) == {(("code", "id", "pass_url", "status"), "pending")}


def test_an_unverified_file_is_not_approved_even_when_everything_matches(tree):
    person = tree.people[1]  # not verified
    submitted = services.application_submit(values=values_for(person))
    assert submitted.application.status == "pending" and submitted.pass_obj.person is None


def test_a_file_without_a_phone_is_not_matched_by_any_phone(tree):
    person = tree.people[1]
    person.verified, person.phone = True, ""
    person.save()
    submitted = services.application_submit(values=values_for(person, phone=ATTACKER_PHONE))
    assert submitted.application.status == "pending"


def test_the_pass_page_shows_the_colour_once_verified(client, tree, victim):
    victim.verified = False  # so that even a full match waits for the grid worker
    victim.save()
    with time_machine.travel(NOW, tick=False):
        submitted = services.application_submit(values=values_for(victim))
        url = reverse("passes:pass", args=[submitted.pass_obj.link_key])
        assert 'data-colour="pending"' in client.get(url).content.decode()
        services.application_approve(by=tree.users["building"], application=submitted.application)
        page = client.get(url).content.decode()
    assert 'data-colour="red"' in page and "确诊病例" in page


def test_a_new_pass_replaces_the_old_one_with_who_and_when(tree, gate, guard):
    person = tree.people[0]
    person.verified = True
    person.save()
    with time_machine.travel(NOW, tick=False):
        first = services.pass_issue(by=tree.users["building"], person=person)
        # A full match replaces it at once (by nobody: the system).
        applied = services.application_submit(values=values_for(person)).pass_obj
        # The grid worker issues a paper pass: it replaces the applied one.
        paper = services.pass_issue(by=tree.users["building"], person=person)
    first.refresh_from_db()
    applied.refresh_from_db()
    assert (first.replaced_by, first.revoke_reason, first.revoked_by) == (applied, "replaced", None)
    assert (applied.replaced_by, applied.revoked_by) == (paper, tree.users["building"])
    assert applied.revoked_at == NOW
    assert list(Pass.objects.filter(person=person, revoked_at__isnull=True)) == [paper]
    with pytest.raises(PassRefused) as refused:
        services.gate_check_record(
            by=guard, gate=gate, token=services.pass_token(first), temperature="36.5"
        )
    assert refused.value.code == "replaced"


def test_approving_an_application_replaces_the_persons_pass(tree):
    person = tree.people[1]  # not verified: even a full match waits
    old = services.pass_issue(by=None, person=person)
    submitted = services.application_submit(values=values_for(person))
    services.application_approve(by=tree.users["building"], application=submitted.application)
    old.refresh_from_db()
    assert old.replaced_by == submitted.pass_obj and old.revoked_by == tree.users["building"]
    valid = Pass.objects.filter(person=person, revoked_at__isnull=True)
    assert [p.pk for p in valid] == [submitted.pass_obj.pk]


def test_the_database_holds_one_valid_pass_per_person(tree):
    person = tree.people[0]
    issued = services.pass_issue(by=None, person=person)
    with pytest.raises(IntegrityError), transaction.atomic():
        Pass.objects.create(
            person=person, district=tree.district, key="k", code="C" * 11,
            issued_at=issued.issued_at, expires_at=issued.expires_at,
        )  # fmt: skip
    # Pending passes (no person yet) are not limited.
    for seq in (1, 2):
        services.application_submit(values=values_for(person, phone=f"1370000000{seq}"))
    assert Pass.objects.filter(person__isnull=True, revoked_at__isnull=True).count() == 2


def test_a_file_outside_the_approvers_area_is_not_theirs_to_verify(tree):
    """The document's file lives in another street: the building's grid worker may not
    verify it through an application for their building."""
    elsewhere = tree.people[-1]
    values = values_for(elsewhere, dwelling_id=tree.dwellings[0].pk)
    submitted = services.application_submit(values=values)
    with pytest.raises(ValidationError) as info:
        services.application_approve(by=tree.users["building"], application=submitted.application)
    assert info.value.messages == [str(services.ERR_FILE_ELSEWHERE)]
    elsewhere.refresh_from_db()
    assert not elsewhere.verified
    assert PassApplication.objects.get().status == "pending"


# --- a manual approval links a file only when the application is that file's -------------

STRANGER = "陌生人"


def refusal(*fields):
    """The refusal naming the differing fields, as a Chinese reviewer reads it."""
    labels = {"name": "姓名", "phone": "电话", "dwelling": "房屋"}
    return str(services.ERR_FILE_DIFFERS) % {"fields": "、".join(labels[f] for f in fields)}


@pytest.mark.parametrize(
    ("overrides", "differs"),
    [
        # The review's case: the victim's ID number, the stranger's own name, phone and
        # dwelling (a dwelling of the same building, so the same grid worker decides).
        ({"name": STRANGER, "phone": ATTACKER_PHONE, "dwelling": 1}, ("name", "phone", "dwelling")),
        ({"name": STRANGER}, ("name",)),
        # A stranger who also knows the name: the phone or the dwelling tells.
        ({"phone": ATTACKER_PHONE}, ("phone",)),
        ({"dwelling": 1}, ("dwelling",)),
    ],
)
def test_approval_refuses_to_link_a_file_that_is_not_the_applicants(
    tree, victim, overrides, differs
):
    """Approving linked the stranger's pass to the victim's file (red, confirmed case)
    and revoked the victim's own pass as replaced."""
    grid = tree.users["building"]
    history = PersonEvent.objects.filter(person=victim).count()
    with time_machine.travel(NOW, tick=False):
        own = services.pass_issue(by=None, person=victim)
        values = values_for(victim, **{k: v for k, v in overrides.items() if k != "dwelling"})
        if "dwelling" in overrides:
            values["dwelling_id"] = tree.dwellings[overrides["dwelling"]].pk
        submitted = services.application_submit(values=values)
        assert submitted.application.status == "pending"
        with pytest.raises(ValidationError) as info:
            services.application_approve(by=grid, application=submitted.application)
    assert info.value.messages == [refusal(*differs)]
    assert info.value.code == "file_differs"
    application = PassApplication.objects.get(pk=submitted.application.pk)
    assert (application.status, application.person, application.decided_by) == (
        "pending",
        None,
        None,
    )
    assert Pass.objects.get(pk=submitted.pass_obj.pk).person is None
    own.refresh_from_db()
    assert own.revoked_at is None and own.replaced_by is None
    assert PersonEvent.objects.filter(person=victim).count() == history
    assert Pass.objects.filter(person=victim, revoked_at__isnull=True).get() == own


def test_once_the_file_is_corrected_the_approval_links_it(tree):
    """A resident who moved: the grid worker moves the file (its history shows it), then
    approves; the pass is the file's and replaces the old one."""
    person = tree.people[0]  # dwelling 0 of the grid worker's building
    grid = tree.users["building"]
    old = services.pass_issue(by=None, person=person)
    moved_to = tree.dwellings[1]
    submitted = services.application_submit(values=values_for(person, dwelling_id=moved_to.pk))
    with pytest.raises(ValidationError):
        services.application_approve(by=grid, application=submitted.application)
    person_move(user=grid, person=person, dwelling=moved_to)
    services.application_approve(by=grid, application=submitted.application)
    person.refresh_from_db()
    assert person.dwelling == moved_to and person.verified
    assert Pass.objects.get(pk=submitted.pass_obj.pk).person == person
    old.refresh_from_db()
    assert old.replaced_by_id == submitted.pass_obj.pk


def test_a_file_without_a_phone_takes_the_applicants_on_approval(tree):
    person = tree.people[1]
    person.phone = ""
    person.save()
    submitted = services.application_submit(values=values_for(person, phone=ATTACKER_PHONE))
    services.application_approve(by=tree.users["building"], application=submitted.application)
    person.refresh_from_db()
    assert person.phone == ATTACKER_PHONE and person.verified
    event = PersonEvent.objects.get(person=person)
    assert event.by == tree.users["building"] and event.source == "pass"
    assert set(event.changes) == {"phone", "verified"}


def test_pass_pages_are_never_cached(client, green_pass):
    key = green_pass.link_key
    for name in ("passes:pass", "passes:pass_status", "passes:pass_pdf"):
        response = client.get(reverse(name, args=[key]))
        assert response.status_code == 200
        directives = set(re.split(r",\s*", response["Cache-Control"]))
        assert {"private", "no-store"} <= directives, (name, response["Cache-Control"])
