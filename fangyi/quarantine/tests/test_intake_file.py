"""Intake keeps the person file and the map true (issue 14, point 2): a returnee taken in
says "returned" in the file (date, origin, history) and on the zone map; a person not yet
in the files is registered in their dwelling (found by zone, building, room) so that they
are on a map; a released or transferred case stays reachable to those who took it in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fangyi.conftest import make_id_number
from fangyi.core.documents import pdf_text
from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.people.models import Person, PersonEvent
from fangyi.people.state import rebuild_differences
from fangyi.quarantine import intake, selectors, services
from fangyi.quarantine.choices import CaseState
from fangyi.quarantine.models import Facility, QuarantineCase
from fangyi.quarantine.tests.conftest import at
from fangyi.reports.selectors import zone_map

NOW = at(2020, 2, 18, 10)


def _form(**values) -> dict:
    return {
        "doc_type": "id_card",
        "reason": "returned",
        "origin": "湖北武汉",
        "arrived_at": "2020-02-18T09:30",
        "first_state": "station",
        **values,
    }


@pytest.fixture
def other_doctor(tree, facilities, django_user_model):
    """A doctor on duty at a station of another district: unrelated to the case."""
    from fangyi.places.models import District

    district = District.objects.create(name="龙岗区", code="440307")
    station = Facility.objects.create(
        district=district, kind="station", name="龙岗温馨驿站", address="龙岗路", capacity=5
    )
    user = django_user_model.objects.create_user("doc2", password="test-pass-123")
    staff = Staff.objects.create(user=user, name="别处医生", role=Role.STATION_DOCTOR)
    station.staff.add(staff)
    return user


def test_a_returnee_taken_in_is_returned_in_the_file_and_on_the_map(
    client, tree, facilities, doctor
):
    person = tree.people[0]
    zone = tree.zones[0]
    before = zone_map(tree.users["zone"], zone.pk).counts
    assert person.travel_status == "never_left"
    client.force_login(doctor)
    # Typed as a phone types it: full-width digits and spaces.
    typed = person.doc_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("quarantine:intake"),
            _form(doc_number=f" {typed[:6]} {typed[6:]}", facility=facilities["station"].pk),
        )
        assert response.status_code == 302, response.content.decode()[-2000:]
        person.refresh_from_db()
        assert (person.travel_status, person.return_date, person.origin) == (
            "returned",
            dt.date(2020, 2, 18),
            "湖北武汉",
        )
        assert person.epidemic_state == "station"
        event = PersonEvent.objects.filter(person=person).get()
        assert (event.source, event.by, event.changes["travel_status"]) == (
            "quarantine",
            doctor,
            ["never_left", "returned"],
        )
        assert event.changes["return_date"] == [None, "2020-02-18"]
        after = zone_map(tree.users["zone"], zone.pk).counts
        assert (after.returned, after.never_left) == (before.returned + 1, before.never_left - 1)
        assert after.in_quarantine == before.in_quarantine + 1
        assert rebuild_differences() == []
        # The file keeper's person page says it, in Chinese, with the history line.
        client.force_login(tree.users["building"])
        page = client.get(reverse("person", args=[person.pk])).content.decode()
    assert "离深返深" in page and "2020-02-18" in page and "湖北武汉" in page


def test_a_close_contact_s_intake_leaves_the_travel_status(tree, facilities, doctor):
    person = tree.people[1]
    with time_machine.travel(NOW, tick=False):
        services.case_intake(
            by=tree.users["building"],
            person=person,
            reason="close_contact",
            arrived_at=NOW,
            first_state=CaseState.HOME,
            origin="湖北武汉",
        )
    person.refresh_from_db()
    assert (person.travel_status, person.epidemic_state) == ("never_left", "home")
    assert not PersonEvent.objects.filter(person=person).exists()
    assert rebuild_differences() == []


def test_the_doctor_finds_the_dwelling_by_zone_name_and_registers_the_person_there(
    client, tree, facilities, doctor
):
    zone, building = tree.zones[2], tree.buildings[4]
    dwelling = tree.dwellings[8]
    assert dwelling.building == building and building.zone == zone
    before = zone_map(tree.users["district"], zone.pk).counts
    client.force_login(doctor)
    picker = client.get(reverse("quarantine:intake_places"), {"zone_q": "Z3"}).content.decode()
    # One zone found: it is chosen and its buildings offered.
    assert "Z3小区" in picker and "Z1小区" not in picker and f'value="{building.pk}"' in picker
    picker = client.get(
        reverse("quarantine:intake_places"),
        {"zone_q": "Z3", "zone": zone.pk, "building": building.pk},
    ).content.decode()
    assert f'value="{dwelling.pk}"' in picker and ">101<" in picker
    number = make_id_number(640)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("quarantine:intake"),
            _form(
                doc_number=number,
                name="新来人",
                phone="13912345678",
                facility=facilities["station"].pk,
                zone_q="Z3",
                zone=zone.pk,
                building=building.pk,
                dwelling=dwelling.pk,
            ),
        )
        assert response.status_code == 302, response.content.decode()[-2000:]
        person = Person.objects.get(doc_number=number)
        assert (person.dwelling, person.zone, person.verified) == (dwelling, zone, False)
        assert (person.travel_status, person.return_date) == ("returned", dt.date(2020, 2, 18))
        created = PersonEvent.objects.get(person=person)
        assert (created.source, created.by, created.action) == ("quarantine", doctor, "created")
        after = zone_map(tree.users["district"], zone.pk).counts
        assert (after.residents, after.returned) == (before.residents + 1, before.returned + 1)
        assert after.in_quarantine == before.in_quarantine + 1
        assert QuarantineCase.objects.get(person=person).zone == zone
        assert rebuild_differences() == []


def test_without_script_the_find_button_shows_the_zones_and_keeps_what_was_typed(
    client, tree, facilities, doctor
):
    client.force_login(doctor)
    response = client.post(
        reverse("quarantine:intake"),
        {"find": "1", "zone_q": "Z3", "name": "新来人", "origin": "湖北武汉"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="error-' not in page
    assert f'value="{tree.buildings[4].pk}"' in page and 'value="新来人"' in page
    assert not Person.objects.filter(name="新来人").exists()


def test_a_new_person_needs_a_dwelling_or_the_outside_box(client, tree, facilities, doctor):
    client.force_login(doctor)
    number = make_id_number(641)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("quarantine:intake")).content.decode()
        assert "不在本区居住" in page and "不在任何围合区地图上" in page
        response = client.post(
            reverse("quarantine:intake"),
            _form(doc_number=number, name="外来人", facility=facilities["station"].pk),
        )
        assert 'data-testid="error-dwelling"' in response.content.decode()
        assert not Person.objects.filter(doc_number=number).exists()
        assert not QuarantineCase.objects.exists()
        response = client.post(
            reverse("quarantine:intake"),
            _form(
                doc_number=number, name="外来人", facility=facilities["station"].pk, outside="on"
            ),
        )
    assert response.status_code == 302
    person = Person.objects.get(doc_number=number)
    assert (person.dwelling, person.district) == (None, tree.district)


def test_a_file_on_no_map_is_placed_where_the_intake_says(client, tree, facilities, doctor):
    """Registered once as living outside the district, taken in again with a dwelling:
    the file is placed there (history line) and on the zone map; a file with a dwelling
    keeps it."""
    number = make_id_number(643)
    with time_machine.travel(NOW, tick=False):
        first = intake.case_intake_by_document(
            by=doctor, doc_type="id_card", doc_number=number, name="外来人", outside=True,
            reason="returned", arrived_at=at(2020, 2, 1, 9), first_state=CaseState.STATION,
            facility=facilities["station"],
        )  # fmt: skip
        services.case_release(by=None, case=first, kind="early", note="核酸阴性")
        person = Person.objects.get(doc_number=number)
        assert person.dwelling is None
        dwelling, zone = tree.dwellings[8], tree.zones[2]
        before = zone_map(tree.users["district"], zone.pk).counts
        case = intake.case_intake_by_document(
            by=doctor, doc_type="id_card", doc_number=number, dwelling=dwelling,
            reason="returned", arrived_at=NOW, first_state=CaseState.STATION,
            facility=facilities["station"],
        )  # fmt: skip
        person.refresh_from_db()
        assert (person.dwelling, person.zone, case.zone) == (dwelling, zone, zone)
        placed = PersonEvent.objects.filter(person=person, changes__has_key="dwelling").get()
        assert (placed.source, placed.by) == ("quarantine", doctor)
        after = zone_map(tree.users["district"], zone.pk).counts
        assert (after.residents, after.in_quarantine) == (
            before.residents + 1,
            before.in_quarantine + 1,
        )
        # A file with a dwelling is not moved by an intake.
        resident = tree.people[0]
        intake.case_intake_by_document(
            by=doctor, doc_type="id_card", doc_number=resident.doc_number, dwelling=dwelling,
            reason="returned", arrived_at=NOW, first_state=CaseState.STATION,
            facility=facilities["station"],
        )  # fmt: skip
        resident.refresh_from_db()
        assert resident.dwelling == tree.dwellings[0]
        assert rebuild_differences() == []


def test_who_may_register_where(tree, facilities, doctor):
    """The keepers of a building's files register there; the staff on duty at a facility
    anywhere in its district; a grid worker not in another building; a guard nowhere."""
    grid, elsewhere = tree.users["building"], tree.dwellings[4]
    assert selectors.may_register_in(grid, tree.dwellings[0])
    assert not selectors.may_register_in(grid, elsewhere)
    assert selectors.may_register_in(doctor, elsewhere)
    places = selectors.intake_places(grid, query="小区")
    assert [z.name for z in places.zones] == ["Z1小区"]
    assert [b.pk for b in places.buildings] == [tree.buildings[0].pk]
    with time_machine.travel(NOW, tick=False), pytest.raises(PermissionDenied):
        intake.case_intake_by_document(
            by=grid,
            doc_type="id_card",
            doc_number=make_id_number(642),
            name="越界",
            dwelling=elsewhere,
            reason="returned",
            arrived_at=NOW,
            first_state=CaseState.HOME,
        )
    assert not Person.objects.filter(name="越界").exists()


def test_an_existing_file_outside_the_doctor_s_reach_is_refused(tree, community_doctor):
    # A community's doctor not on duty at a facility, the file in another community.
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as info:
        intake.case_intake_by_document(
            by=community_doctor,
            doc_type="id_card",
            doc_number=tree.people[-1].doc_number,
            reason="returned",
            arrived_at=NOW,
            first_state=CaseState.HOME,
        )
    assert info.value.message_dict == {"doc_number": [str(intake.ERR_FILE_ELSEWHERE)]}
    tree.people[-1].refresh_from_db()
    assert tree.people[-1].travel_status == "never_left"


def test_the_page_opened_for_a_person_takes_them_in(client, tree, facilities):
    person = tree.people[2]
    client.force_login(tree.users["zone"])
    url = reverse("quarantine:intake") + f"?person={person.pk}"
    with time_machine.travel(NOW, tick=False):
        page = client.get(url).content.decode()
        assert 'data-testid="intake-person"' in page and person.name in page
        assert person.doc_number not in page
        response = client.post(url, _form(person=person.pk, first_state="home"))
    assert response.status_code == 302
    assert QuarantineCase.objects.get().person == person
    # Somebody who may not see the file gets the empty form.
    client.force_login(tree.users["outsider"])
    page = client.get(url).content.decode()
    assert 'data-testid="intake-person"' not in page and person.name not in page


def test_a_returnee_the_gate_sent_is_taken_in_by_the_station_doctor(
    client, tree, facilities, doctor
):
    """The doctor on duty at the station keeps no file; the gate's referral opens the
    intake for the person all the same (quarantine.referrals, the "take in" link)."""
    from fangyi.health.alerts import raise_alert

    person = tree.people[-1]
    url = reverse("quarantine:intake") + f"?person={person.pk}"
    client.force_login(doctor)
    with time_machine.travel(NOW, tick=False):
        assert person.name not in client.get(url).content.decode()
        raise_alert(
            kind="station_referral", person=person, source="gate", facility=facilities["station"]
        )
        page = client.get(url).content.decode()
        assert 'data-testid="intake-person"' in page and person.name in page
        response = client.post(
            url, _form(person=person.pk, facility=facilities["station"].pk, origin="湖北武汉")
        )
        assert response.status_code == 302, response.content.decode()[-2000:]
        case = QuarantineCase.objects.get(person=person)
        person.refresh_from_db()
    assert (case.state, case.created_by) == ("station", doctor)
    assert (person.travel_status, person.origin, person.epidemic_state) == (
        "returned",
        "湖北武汉",
        "station",
    )
    assert rebuild_differences() == []


def test_the_page_opened_for_a_contact_takes_them_in_as_a_contact(client, tree, facilities):
    """Opened from the contact list, the reason is "close contact": the file is not made
    a returnee's by a reason nobody changed."""
    person = tree.people[3]
    Person.objects.filter(pk=person.pk).update(epidemic_state="contact")
    client.force_login(tree.users["zone"])
    url = reverse("quarantine:intake") + f"?person={person.pk}"
    page = client.get(url).content.decode()
    assert '<option value="close_contact" selected>' in page
    page = client.get(url + "&reason=fever").content.decode()
    assert '<option value="fever" selected>' in page
    page = client.get(reverse("quarantine:intake")).content.decode()
    assert '<option value="returned" selected>' in page


def _released_yesterday(tree, facilities, doctor) -> QuarantineCase:
    with time_machine.travel(at(2020, 2, 3, 9), tick=False):
        case = intake.case_intake_by_document(
            by=doctor,
            doc_type="id_card",
            doc_number=tree.people[-1].doc_number,  # a file the doctor does not keep
            reason="returned",
            arrived_at=at(2020, 2, 3, 8),
            first_state=CaseState.STATION,
            facility=facilities["station"],
            origin="湖北武汉",
        )
    with time_machine.travel(at(2020, 2, 17, 16), tick=False):
        services.case_release(by=None, case=case, kind="early", note="核酸阴性")
    return case


def test_the_doctor_who_took_it_in_prints_the_certificate_of_yesterday_s_release(
    client, tree, facilities, doctor, other_doctor
):
    case = _released_yesterday(tree, facilities, doctor)
    client.force_login(doctor)
    with time_machine.travel(NOW, tick=False):
        worklist = client.get(reverse("quarantine:worklists"), {"list": "closed"})
        assert case.person.name in worklist.content.decode()
        assert client.get(reverse("quarantine:case", args=[case.pk])).status_code == 200
        pdf = client.get(reverse("quarantine:document", args=[case.pk, "certificate"]))
        assert pdf.status_code == 200 and case.person.name in pdf_text(pdf.content)
        assert (
            client.get(reverse("quarantine:document", args=[case.pk, "notice"])).status_code == 200
        )
        # An unrelated doctor (another district's station) reaches none of it.
        client.force_login(other_doctor)
        assert client.get(reverse("quarantine:case", args=[case.pk])).status_code == 404
        response = client.get(reverse("quarantine:document", args=[case.pk, "certificate"]))
        assert response.status_code == 404
        worklist = client.get(reverse("quarantine:worklists"), {"list": "closed"})
        assert case.person.name not in worklist.content.decode()
    # Still only a reader: nothing on the closed case may be changed by the doctor.
    assert not selectors.case_writable(doctor, case)


def test_a_staff_of_the_facility_reaches_a_transferred_case(tree, facilities, doctor):
    with time_machine.travel(NOW, tick=False):
        case = services.case_intake(
            by=None,
            person=tree.people[-1],
            reason="returned",
            arrived_at=NOW,
            facility=facilities["station"],
        )
        services.case_transfer_out(by=None, case=case, note="转回户籍地")
        assert selectors.case_get(doctor, case.pk) == case
        assert [c.pk for c in selectors.worklist_recently_closed(doctor, NOW.date())] == [case.pk]
    # Fourteen days later it has left the list, not the reach.
    later = NOW.date() + dt.timedelta(days=selectors.RECENTLY_CLOSED_DAYS)
    assert selectors.worklist_recently_closed(doctor, later) == []
    assert selectors.case_get(doctor, case.pk) == case
