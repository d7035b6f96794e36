"""Close contacts (issue 14, point 3): exposures recorded from the index person's page
and the API; the contact's quarantine counts from the last exposure (that day is day 1,
release = last exposure + the policy's 14 days, Asia/Shanghai dates); a later exposure
moves an open case's day 1 with history, never earlier; the chain of transmission three
levels deep; a contact outside the user's area shown without name. After each journey
the stored states are what the facts give (people.state.rebuild_differences)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.duty.services import api_token_create
from fangyi.health import chains, exposures
from fangyi.health.models import Alert, Exposure
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences, refresh_expired
from fangyi.people.state import refresh as refresh_state
from fangyi.quarantine import services as quarantine_services
from fangyi.quarantine.choices import FacilityKind
from fangyi.quarantine.models import CaseEvent, Facility, QuarantineCase

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def travel(moment):
    return time_machine.travel(moment, tick=False)


def consistent() -> None:
    assert rebuild_differences() == []


def record(by, index, contact, first, last, **kw):
    return exposures.exposure_record(
        by=by,
        index_person=index,
        contact=contact,
        kind=kw.pop("kind", "household"),
        first_exposure_on=day(first),
        last_exposure_on=day(last),
        **kw,
    )


@pytest.fixture
def api(client, tree):
    def call(user, method, path, data=None):
        kwargs = {"headers": {"Authorization": f"Bearer {api_token_create(user=user)}"}}
        if data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(f"/api{path}", **kwargs)

    return call


def fresh(person) -> Person:
    return Person.objects.get(pk=person.pk)


# --- day counting from the last exposure ------------------------------------------------


def test_a_contact_is_watched_from_the_last_exposure_through_day_14(tree):
    leader = tree.users["district"]
    index, contact = tree.people[0], tree.people[4]
    with travel(at(2020, 2, 20)):
        record(leader, index, contact, "2020-02-16", "2020-02-18")
        p = fresh(contact)
        # 18 Feb is day 1, 2 Mar day 14: watched through it; released on 3 Mar.
        assert (p.epidemic_state, p.state_until) == ("contact", day("2020-03-02"))
        consistent()
    with travel(at(2020, 3, 2, 23, 59)):
        refresh_expired()
        assert fresh(contact).epidemic_state == "contact"
        consistent()
    with travel(at(2020, 3, 3, 0, 1)):
        refresh_expired()
        assert fresh(contact).epidemic_state != "contact"
        consistent()


def test_the_api_opens_a_case_at_home_with_day_1_the_last_exposure(tree, api):
    index, contact = tree.people[0], tree.people[4]
    with travel(at(2020, 2, 20, 9)):
        response = api(
            tree.users["community"],
            "post",
            "/exposures",
            {
                "index_person_id": index.pk,
                "contact_person_id": contact.pk,
                "kind": "work",
                "first_exposure_on": "2020-02-10",
                "last_exposure_on": "2020-02-18",
                "place": "同一车间",
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        case = QuarantineCase.objects.get(person=contact)
        assert (case.state, case.reason, case.start_date) == (
            "home",
            "close_contact",
            day("2020-02-18"),
        )
        assert body["case_id"] == case.pk and body["release_date"] == "2020-03-03"
        assert body["person_name"] == contact.name and body["person_state"] == "home"
        # The intake of today moved back to the last exposure, with the dates in history.
        event = CaseEvent.objects.get(case=case, action="contact_day1_moved")
        assert event.note == "2020-03-05 → 2020-03-03"
        # The contact's duty chain is alerted, about the contact, naming no index person.
        alert = Alert.objects.get(kind="exposure")
        assert (alert.source, alert.person_id, alert.case_id, alert.date) == (
            "exposure",
            contact.pk,
            case.pk,
            day("2020-02-18"),
        )
        assert alert.zone_id == contact.zone_id and alert.building_id == contact.building_id
        assert alert.detail == "2020-02-10 – 2020-02-18 · 同一车间"
        assert index.name not in alert.detail
        consistent()
    with travel(at(2020, 3, 2, 20)):
        days = quarantine_services.selectors.case_days(case)
        assert (days.day, days.in_quarantine, days.due_for_release) == (14, True, False)
    with travel(at(2020, 3, 3, 8)):
        assert quarantine_services.selectors.case_days(case).due_for_release


def test_the_api_starts_the_case_at_a_facility_when_given(tree, api):
    observation = Facility.objects.create(
        district=tree.district,
        kind=FacilityKind.OBSERVATION,
        name="坪山指定观察点",
        address="坪山大道88号",
        capacity=10,
    )
    index, contact = tree.people[0], tree.people[4]
    with travel(at(2020, 2, 20, 9)):
        body = api(
            tree.users["district"],
            "post",
            "/exposures",
            {
                "index_person_id": index.pk,
                "contact_person_id": contact.pk,
                "kind": "care",
                "first_exposure_on": "2020-02-19",
                "last_exposure_on": "2020-02-19",
                "facility_id": observation.pk,
            },
        ).json()
    case = QuarantineCase.objects.get(pk=body["case_id"])
    assert case.state == "observation" and body["release_date"] == "2020-03-04"
    assert fresh(contact).epidemic_state == "observation"
    consistent()


def test_an_exposure_late_at_night_counts_in_shanghai_dates(tree):
    leader = tree.users["district"]
    index, contact = tree.people[0], tree.people[4]
    # 00:30 on 21 Feb in Shanghai is still 20 Feb in UTC: the 21st is today, not future.
    with travel(dt.datetime(2020, 2, 20, 16, 30, tzinfo=dt.UTC)):
        with pytest.raises(ValidationError) as refused:
            record(leader, index, contact, "2020-02-21", "2020-02-22")
        assert "last_exposure_on" in refused.value.message_dict
        assert Exposure.objects.count() == 0
        record(leader, index, contact, "2020-02-20", "2020-02-21")
        assert fresh(contact).state_until == day("2020-03-05")
        consistent()


def test_bad_days_are_refused_naming_the_field_and_nothing_is_saved(tree):
    leader = tree.users["district"]
    index, contact = tree.people[0], tree.people[4]
    with travel(at(2020, 2, 20)):
        with pytest.raises(ValidationError) as refused:
            record(leader, index, contact, "2020-02-19", "2020-02-18")
        assert refused.value.message_dict["last_exposure_on"] == [
            str(exposures.ERR_LAST_BEFORE_FIRST)
        ]
        with pytest.raises(ValidationError) as refused:
            record(leader, index, index, "2020-02-18", "2020-02-18")
        assert "contact" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            record(leader, index, contact, "2020-02-18", "2020-02-18", kind="party")
        assert "kind" in refused.value.message_dict
    assert Exposure.objects.count() == 0
    assert fresh(contact).epidemic_state != "contact"


# --- re-exposure ---------------------------------------------------------------------------


def test_a_later_exposure_moves_the_release_date_with_history_never_earlier(tree):
    leader = tree.users["district"]
    index, second_index, contact = tree.people[0], tree.people[1], tree.people[4]
    with travel(at(2020, 2, 20)):
        recorded = record(leader, index, contact, "2020-02-18", "2020-02-18", open_case=True)
        case = QuarantineCase.objects.get(pk=recorded.case.case_id)
        assert recorded.case.release_date == day("2020-03-03")
    with travel(at(2020, 2, 23)):
        recorded = record(
            leader, second_index, contact, "2020-02-21", "2020-02-22", kind="transport"
        )
        case.refresh_from_db()
        assert case.start_date == day("2020-02-22")
        assert recorded.case.release_date == day("2020-03-07")
        moved = CaseEvent.objects.filter(case=case, action="contact_day1_moved").order_by("id")
        assert moved.last().note == "2020-03-03 → 2020-03-07"
        assert moved.last().by == leader
        # An exposure that ended earlier never brings the release date forward.
        recorded = record(leader, index, contact, "2020-02-19", "2020-02-20", kind="other")
        case.refresh_from_db()
        assert case.start_date == day("2020-02-22")
        assert recorded.case.release_date == day("2020-03-07")
        assert moved.count() == 2
        consistent()


# --- the chain of transmission ---------------------------------------------------------------


def test_the_graph_follows_the_chain_three_levels_deep(tree, client):
    leader = tree.users["district"]
    a, b, c, d = tree.people[0], tree.people[4], tree.people[8], tree.people[12]
    with travel(at(2020, 2, 20)):
        record(leader, a, b, "2020-02-10", "2020-02-12")
        record(leader, b, c, "2020-02-14", "2020-02-15", kind="work")
        record(leader, c, d, "2020-02-17", "2020-02-18", kind="transport")
        record(leader, d, a, "2020-02-18", "2020-02-18", kind="other")  # back to the index
        graph = chains.transmission_graph(leader, a)
        levels = {n.person_id: n.level for n in graph.nodes}
        assert levels == {a.pk: 0, b.pk: 1, c.pk: 2, d.pk: 3}
        assert len(graph.edges) == 3  # the edge back to the index is not drawn twice
        contact_colour = chains.STATE_COLOURS["contact"]
        assert {n.colour for n in graph.nodes if n.person_id != a.pk} == {contact_colour}
        client.force_login(leader)
        page = client.get(reverse("contacts:list", args=[a.pk])).content.decode()
        assert f'data-testid="node-{d.pk}" data-level="3" data-state="contact"' in page
        assert f'fill="{contact_colour}"' in page and d.name in page
        consistent()


# --- outside the user's area -------------------------------------------------------------------


def test_a_contact_outside_the_users_area_is_recorded_and_shown_without_name(tree, client, api):
    grid = tree.users["building"]  # the grid worker of the index's building
    index = tree.people[0]
    elsewhere = tree.people[-1]  # another street
    with travel(at(2020, 2, 20)):
        response = api(
            grid,
            "post",
            "/exposures",
            {
                # Outside the grid worker's area: named by document, not by id.
                "index_person_id": index.pk,
                "contact_doc_type": "id_card",
                "contact_doc_number": elsewhere.doc_number,
                "kind": "transport",
                "first_exposure_on": "2020-02-18",
                "last_exposure_on": "2020-02-18",
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        # Recorded and watched, but the grid worker may not take them in, nor see their name.
        assert body["person_name"] is None and body["case_id"] is None
        assert body["watch_until"] == "2020-03-02"
        assert fresh(elsewhere).epidemic_state == "contact"
        client.force_login(grid)
        page = client.get(reverse("contacts:list", args=[index.pk])).content.decode()
        assert elsewhere.name not in page and 'data-testid="masked"' in page
        assert "（不在您的辖区）" in page
        listing = api(grid, "get", f"/people/{index.pk}/exposures").json()
        assert listing["contacts"][0]["person_name"] is None
        # The contact's own staff see the name.
        assert exposures.contacts_of(tree.users["outsider"], index)[0].name == elsewhere.name
        consistent()


# --- the page ------------------------------------------------------------------------------------


def test_recording_from_the_page_by_document_or_household(tree, client):
    secretary = tree.users["community"]
    index, partner, neighbour = tree.people[0], tree.people[1], tree.people[4]
    client.force_login(secretary)
    url = reverse("contacts:new", args=[index.pk])
    with travel(at(2020, 2, 20)):
        page = client.get(url).content.decode()
        assert partner.name in page  # the household is offered
        response = client.post(
            url,
            {
                "household_member": partner.pk,
                "contact_doc_type": "id_card",
                "kind": "household",
                "first_exposure_on": "2020-02-01",
                "last_exposure_on": "2020-02-19",
            },
        )
        assert response.status_code == 302
        # A document typed with spaces and full-width digits finds the file.
        typed = " ".join(neighbour.doc_number[i : i + 6] for i in range(0, 18, 6))
        typed = typed.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        response = client.post(
            url,
            {
                "contact_doc_type": "id_card",
                "contact_doc_number": typed,
                "kind": "work",
                "first_exposure_on": "2020-02-18",
                "last_exposure_on": "2020-02-18",
                "place": "办公室",
            },
        )
        assert response.status_code == 302, response.content.decode()
        assert set(Exposure.objects.values_list("contact_id", flat=True)) == {
            partner.pk,
            neighbour.pk,
        }
        # Nobody named: the refusal names the field, in Chinese.
        response = client.post(
            url,
            {
                "contact_doc_type": "id_card",
                "kind": "work",
                "first_exposure_on": "2020-02-18",
                "last_exposure_on": "2020-02-18",
            },
        )
        assert response.status_code == 200
        assert 'data-testid="error-contact_doc_number"' in response.content.decode()
        listing = client.get(reverse("contacts:list", args=[index.pk])).content.decode()
        assert "密切接触者" in listing
        # The contact without a case is offered the quarantine, day 1 the last exposure.
        response = client.post(
            reverse("contacts:quarantine", args=[Exposure.objects.get(contact=neighbour).pk])
        )
        assert response.status_code == 302
        case = QuarantineCase.objects.get(person=neighbour)
        assert case.start_date == day("2020-02-18") and case.state == "home"
        assert Exposure.objects.count() == 2
        person_page = client.get(reverse("person", args=[index.pk])).content.decode()
        assert reverse("contacts:list", args=[index.pk]) in person_page
        consistent()


# --- who may ---------------------------------------------------------------------------------------


def test_who_may_record(tree, api):
    index, contact = tree.people[0], tree.people[4]
    guard_user = tree.users["zone"].__class__.objects.create_user("guard", password="x")
    staff = Staff.objects.create(user=guard_user, name="门卫", role=Role.GATE_GUARD)
    Assignment.objects.create(staff=staff, zone=tree.zones[0])
    body = {
        "index_person_id": index.pk,
        "contact_person_id": contact.pk,
        "kind": "work",
        "first_exposure_on": "2020-02-18",
        "last_exposure_on": "2020-02-18",
    }
    with travel(at(2020, 2, 20)):
        for user in (tree.users["outsider"], guard_user):
            assert api(user, "post", "/exposures", body).status_code == 404
            assert api(user, "get", f"/people/{index.pk}/exposures").status_code == 404
            with pytest.raises(PermissionDenied):
                record(user, index, contact, "2020-02-18", "2020-02-18")
        assert Exposure.objects.count() == 0
        # A station doctor on duty where the index person is held may record.
        station = Facility.objects.create(
            district=tree.district,
            kind=FacilityKind.STATION,
            name="六和温馨驿站",
            address="六和路1号",
            capacity=5,
        )
        doctor = tree.users["zone"].__class__.objects.create_user("doc", password="x")
        station.staff.add(Staff.objects.create(user=doctor, name="医生", role=Role.STATION_DOCTOR))
        assert api(doctor, "post", "/exposures", body).status_code == 404
        quarantine_services.case_intake(
            by=None,
            person=index,
            reason="returned",
            arrived_at=at(2020, 2, 19),
            first_state="station",
            facility=station,
        )
        refresh_state([index.pk])  # (the intake's own refresh is quarantine's to test)
        # The doctor sees no file of the index's neighbours: one of them by id is refused
        # as an id nobody has (nothing saved), named by document it is recorded; the index's
        # household by id too.
        for pk in (contact.pk, 10**9):
            refused = api(doctor, "post", "/exposures", {**body, "contact_person_id": pk})
            assert refused.status_code == 422
            assert "contact_person_id" in refused.json()["error"]["fields"]
        assert Exposure.objects.count() == 0
        by_document = {
            **body,
            "contact_person_id": None,
            "contact_doc_type": "id_card",
            "contact_doc_number": contact.doc_number,
        }
        response = api(doctor, "post", "/exposures", by_document)
        assert response.status_code == 201, response.content
        household = {**body, "contact_person_id": tree.people[1].pk}
        assert api(doctor, "post", "/exposures", household).status_code == 201
        assert set(Exposure.objects.values_list("contact_id", flat=True)) == {
            contact.pk,
            tree.people[1].pk,
        }
        consistent()


def _persona(tree, name):
    """The personas beyond the tree's staff: a gate guard and a volunteer of the index's
    zone, a station doctor not treating the index, the operator, nobody logged in."""
    users = tree.users["zone"].__class__.objects
    if name == "operator":
        return users.create_superuser("op", password="x")
    if name == "anonymous":
        return None
    role = {"guard": Role.GATE_GUARD, "volunteer": Role.VOLUNTEER, "doctor": Role.STATION_DOCTOR}
    user = users.create_user(name, password="x")
    staff = Staff.objects.create(user=user, name=name, role=role[name])
    if name != "doctor":
        Assignment.objects.create(staff=staff, zone=tree.zones[0])
    return user


# persona -> (status for a contact by id outside their area, a contact by id inside it);
# the index person lives in Z1, building 1. None: no such contact for this persona.
EXPOSURE_BY_ID = {
    "operator": (None, 201),
    "district": (None, 201),
    "street": (422, 201),  # Z3 is another street's; Z2 is theirs
    "community": (422, 201),
    "zone": (422, 201),
    "building": (422, 201),  # the other building of Z1 is not theirs
    "outsider": (404, 404),  # the index is not theirs
    "guard": (404, 404),
    "volunteer": (404, 404),
    "doctor": (404, 404),  # not treating the index
    "anonymous": (401, 401),
}


@pytest.mark.parametrize("persona", list(EXPOSURE_BY_ID))
def test_a_contact_by_id_must_be_in_the_users_area(tree, client, persona):
    """POST /api/exposures took any person id of the city as the contact: whoever could
    record one exposure could make anybody a close contact (red at every gate). By id
    only a file the user may see (or the index's household); nothing saved otherwise."""
    index = tree.people[0]
    far = {"street": 16, "community": 16, "zone": 8, "building": 4}.get(persona, 16)
    near = {"street": 8, "community": 8, "zone": 4, "building": 2}.get(persona, 20)
    user = tree.users.get(persona) or _persona(tree, persona)
    headers = {}
    if user is not None:
        headers = {"Authorization": f"Bearer {api_token_create(user=user)}"}
    outside, inside = EXPOSURE_BY_ID[persona]
    body = {
        "index_person_id": index.pk,
        "kind": "work",
        "first_exposure_on": "2020-02-18",
        "last_exposure_on": "2020-02-18",
    }

    def post(contact):
        return client.post(
            "/api/exposures",
            data={**body, "contact_person_id": contact.pk},
            content_type="application/json",
            headers=headers,
        )

    with travel(at(2020, 2, 20)):
        if outside is not None:
            response = post(tree.people[far])
            assert response.status_code == outside, response.content
            if outside == 422:
                error = response.json()["error"]
                assert list(error["fields"]) == ["contact_person_id"]
                assert "证件" in error["fields"]["contact_person_id"][0]  # in Chinese
            assert Exposure.objects.count() == 0
            assert fresh(tree.people[far]).epidemic_state != "contact"
        response = post(tree.people[near])
        assert response.status_code == inside, response.content
        assert Exposure.objects.count() == (1 if inside == 201 else 0)


# --- counts for the maps ------------------------------------------------------------------------------


def test_contacts_under_observation_per_building(tree):
    from fangyi.quarantine.selectors import quarantine_figures

    leader = tree.users["district"]
    index = tree.people[0]
    watched, quarantined = tree.people[2], tree.people[4]
    with travel(at(2020, 2, 20)):
        record(leader, index, watched, "2020-02-18", "2020-02-18")
        record(leader, index, quarantined, "2020-02-18", "2020-02-18", open_case=True)
        # The maps' and statistics' count (quarantine.selectors.quarantine_figures).
        counts = quarantine_figures("zone", tree.zones[0].pk, "building")
        assert {key: c for key, (_q, c) in counts.items()} == {
            tree.buildings[0].pk: 1,
            tree.buildings[1].pk: 1,
        }
        assert QuarantineCase.objects.get(person=quarantined).reason == "close_contact"
        assert quarantine_figures("zone", tree.zones[2].pk, "building") == {}
        consistent()


def test_any_intake_of_a_close_contact_starts_on_the_last_exposure(tree, client):
    """The contact list links to the intake page opened for the contact; a case opened
    there (or anywhere) as a close contact has day 1 the last exposure."""
    secretary = tree.users["community"]
    index, contact = tree.people[0], tree.people[4]
    station = Facility.objects.create(
        district=tree.district,
        community=tree.communities[0],
        kind=FacilityKind.STATION,
        name="六和温馨驿站",
        address="六和路1号",
        capacity=5,
    )
    with travel(at(2020, 2, 20)):
        record(secretary, index, contact, "2020-02-12", "2020-02-17", kind="work")
        client.force_login(secretary)
        page = client.get(reverse("contacts:list", args=[index.pk])).content.decode()
        assert f"{reverse('quarantine:intake')}?person={contact.pk}" in page
        case = quarantine_services.case_intake(
            by=secretary,
            person=contact,
            reason="close_contact",
            arrived_at=at(2020, 2, 20, 9),
            first_state="station",
            facility=station,
        )
        case.refresh_from_db()
        assert case.start_date == day("2020-02-17")
        assert quarantine_services.selectors.case_days(case).release_date == day("2020-03-02")
        assert fresh(contact).epidemic_state == "station"
        consistent()


def test_no_quarantine_is_started_once_the_watch_is_over(tree, api):
    leader = tree.users["district"]
    index, contact = tree.people[0], tree.people[4]
    with travel(at(2020, 3, 10)):
        # Last exposure on 18 February: watched through 2 March, over by 10 March.
        body = api(
            leader,
            "post",
            "/exposures",
            {
                "index_person_id": index.pk,
                "contact_person_id": contact.pk,
                "kind": "work",
                "first_exposure_on": "2020-02-18",
                "last_exposure_on": "2020-02-18",
            },
        ).json()
        assert body["case_id"] is None and body["watch_until"] is None
        assert not QuarantineCase.objects.filter(person=contact).exists()
        with pytest.raises(ValidationError) as refused:
            exposures.contact_case_open(by=leader, exposure=Exposure.objects.get())
        assert refused.value.messages == [str(exposures.ERR_NOT_WATCHED)]
        consistent()


def test_the_contact_page_costs_the_same_queries_for_two_contacts_or_twelve(tree, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    leader = tree.users["district"]
    index = tree.people[0]
    client.force_login(leader)
    url = reverse("contacts:list", args=[index.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    with travel(at(2020, 2, 20)):
        for contact in tree.people[1:3]:
            record(leader, index, contact, "2020-02-18", "2020-02-18", open_case=True)
        # The graph as deep as the larger one below (a contact of a contact: one query a
        # level), and the day's one look for ended states paid before measuring.
        record(leader, tree.people[1], tree.people[14], "2020-02-19", "2020-02-19", kind="other")
        queries()
        few = queries()
        for contact in tree.people[3:13]:
            record(leader, index, contact, "2020-02-18", "2020-02-18", open_case=True)
            record(leader, contact, tree.people[13], "2020-02-19", "2020-02-19", kind="other")
        assert queries() == few
        assert few <= 25
