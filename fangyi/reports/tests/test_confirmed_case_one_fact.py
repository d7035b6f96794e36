"""A confirmed case is one fact (issue 14, points 2 and 5): recording it sets the person's
health status (with history) and epidemic state, moves their quarantine case to a
hospital (or opens one there), alerts the duty chain and the hospital, and the pass scans
red at the gate in the next request. The person file can no longer set or drop a case
status by hand. Built on the demo district, in Chinese, for every demo persona."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from fangyi.demo.logins import DEMO_PASSWORD
from fangyi.health.models import Alert
from fangyi.passes.models import Pass
from fangyi.people.models import Person, PersonEvent
from fangyi.people.services import (
    CASE_HEALTH,
    ERR_CASE_HEALTH,
    ERR_CASE_HEALTH_LEAVE,
    person_update,
)
from fangyi.people.state import rebuild_differences
from fangyi.places.models import Gate
from fangyi.quarantine.choices import ACTIVE_STATES, CaseState, FacilityKind
from fangyi.quarantine.models import CaseEvent, Facility, QuarantineCase
from fangyi.reports.models import ConfirmedCase
from fangyi.reports.services import (
    ERR_ONSET_AFTER,
    confirmed_case_create,
)
from fangyi.reports.tests.conftest import at

User = get_user_model()

NOW = at(2026, 3, 10, 15)
TODAY = dt.date(2026, 3, 10)
# Who may record a case of a resident of the demo's first zone (they keep its files).
RECORDERS = ("admin", "leader", "cadre", "secretary", "property", "doctor")
REFUSED = ("grid", "guard", "volunteer")


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VAR_DIR = tmp_path
    with time_machine.travel(NOW, tick=False):
        call_command("demo", scale=0.003, seed=3, no_progress=True, verbosity=0)
        yield


def _first_zone_gate() -> Gate:
    return Gate.objects.order_by("zone__code", "pk").first()


def _green_pass(*, with_open_case: bool) -> Pass:
    return _green_passes(1, with_open_case=with_open_case)[0]


def _green_passes(n: int, *, with_open_case: bool) -> list[Pass]:
    """A valid pass of a clear resident of the first zone (or one at home quarantine)."""
    zone_id = _first_zone_gate().zone_id
    passes = Pass.objects.filter(
        person__zone_id=zone_id, revoked_at__isnull=True, expires_at__gt=NOW
    ).select_related("person")
    open_people = QuarantineCase.objects.filter(state__in=ACTIVE_STATES).values("person_id")
    if with_open_case:
        passes = passes.filter(person__in=open_people, person__epidemic_state="home")
    else:
        passes = passes.exclude(person__in=open_people).filter(
            person__epidemic_state__in=("clear", "unverified")
        )
    found = list(passes.order_by("pk")[:n])
    assert len(found) == n, "the demo's first zone lacks such passes"
    return found


def _scan(client, gate: Gate, code: str) -> dict:
    client.logout()
    assert client.login(username="guard", password=DEMO_PASSWORD)
    response = client.post(
        "/api/scans",
        {"gate_id": gate.pk, "code": code, "temperature": "36.5"},
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    return response.json()


def test_the_demo_has_no_case_status_without_its_record_nor_a_record_disagreeing(demo):
    people = Person.objects.filter(health_status__in=CASE_HEALTH)
    assert people.exists(), "the demo shows suspected and confirmed people"
    for person in people:
        record = ConfirmedCase.objects.get(person=person)
        assert record.classification == person.health_status
    for record in ConfirmedCase.objects.filter(person__isnull=False).select_related("person"):
        assert record.person.health_status in (record.classification, "recovered")
    assert rebuild_differences(TODAY) == []


def test_recording_a_case_on_the_page_moves_everything_and_the_next_scan_is_red(client, demo):
    pass_obj = _green_pass(with_open_case=False)
    person = pass_obj.person
    gate = _first_zone_gate()
    with time_machine.travel(NOW, tick=False):
        assert _scan(client, gate, pass_obj.code)["colour"] in ("green", "yellow")
        client.logout()
        assert client.login(username="secretary", password=DEMO_PASSWORD)
        response = client.post(
            reverse("reports:case_new"),
            {
                "date": TODAY.isoformat(),
                "classification": "confirmed",
                "onset_date": (TODAY - dt.timedelta(days=2)).isoformat(),
                "id_number": person.doc_number,
            },
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        # The next request at the gate: red.
        scan = _scan(client, gate, pass_obj.code)
    assert scan["colour"] == "red"
    case = QuarantineCase.objects.get(person=person, state__in=ACTIVE_STATES)
    hospital = case.stages.get(ended_at__isnull=True).facility
    # In Chinese: recorded, the case at the hospital, and the close contacts proposed.
    assert 'data-testid="case-recorded"' in page
    assert "确诊病例" in page
    assert hospital.name in page
    assert 'data-testid="record-contacts"' in page
    assert reverse("contacts:new", args=[person.pk]) in page
    person.refresh_from_db()
    assert (person.health_status, person.epidemic_state) == ("confirmed", "confirmed")
    event = PersonEvent.objects.filter(person=person, source="case").get()
    assert event.changes == {"health_status": ["normal", "confirmed"]}
    assert case.state == CaseState.HOSPITAL
    assert hospital.kind == FacilityKind.HOSPITAL
    assert hospital.district_id == person.district_id
    intake = CaseEvent.objects.filter(case=case, action="intake").get()
    assert intake.data["facility"] == hospital.name
    alert = Alert.objects.get(kind="confirmed_case", person=person)
    assert (alert.source, alert.case_id, alert.facility_id) == ("case", case.pk, hospital.pk)
    assert alert.building_id == person.building_id
    # On the one alerts page of the duty chain (the secretary keeps the community's
    # files), marked as a confirmed case raised by the case record.
    with time_machine.travel(NOW, tick=False):
        client.logout()
        assert client.login(username="secretary", password=DEMO_PASSWORD)
        alerts = client.get(reverse("alerts:list")).content.decode()
    row = alerts[alerts.index(f'data-testid="alert-{alert.pk}"') :].split("</tr>")[0]
    assert 'data-kind="confirmed_case"' in row and 'data-source="case"' in row
    assert hospital.name in row
    record = ConfirmedCase.objects.get(person=person)
    assert (record.classification, record.onset_date) == ("confirmed", TODAY - dt.timedelta(2))
    assert rebuild_differences(TODAY) == []


def test_an_open_case_at_home_moves_to_the_hospital_with_its_event(client, demo):
    pass_obj = _green_pass(with_open_case=True)
    person = pass_obj.person
    before = QuarantineCase.objects.get(person=person, state__in=ACTIVE_STATES)
    with time_machine.travel(NOW, tick=False):
        response = _api_post(
            client,
            "doctor",
            {"person_id": person.pk, "date": TODAY.isoformat(), "classification": "suspected"},
        )
        assert response.status_code == 201, response.content
        assert _scan(client, _first_zone_gate(), pass_obj.code)["colour"] == "red"
    case = QuarantineCase.objects.get(person=person, state__in=ACTIVE_STATES)
    assert case.pk == before.pk
    assert case.state == CaseState.HOSPITAL
    moved = CaseEvent.objects.filter(case=case, action="transfer_to_hospital").get()
    hospital = case.stages.get(ended_at__isnull=True).facility
    assert moved.data["facility"] == hospital.name
    assert moved.from_state == "home"
    assert response.json()["quarantine_case_id"] == case.pk
    assert response.json()["facility_name"] == hospital.name
    assert Person.objects.get(pk=person.pk).epidemic_state == "suspected"
    assert Alert.objects.filter(kind="confirmed_case", person=person, facility=hospital).exists()
    assert rebuild_differences(TODAY) == []


def test_without_a_hospital_with_room_the_case_stays_and_the_alert_says_so(demo):
    person = _green_pass(with_open_case=True).person
    Facility.objects.filter(kind=FacilityKind.HOSPITAL).update(active=False)
    with time_machine.travel(NOW, tick=False):
        confirmed_case_create(by=None, date=TODAY, person=person, classification="confirmed")
    case = QuarantineCase.objects.get(person=person, state__in=ACTIVE_STATES)
    assert case.state == CaseState.HOME
    alert = Alert.objects.get(kind="confirmed_case", person=person)
    assert "没有" in alert.detail or "no hospital" in alert.detail
    assert Person.objects.get(pk=person.pk).epidemic_state == "confirmed"


def test_a_suspected_case_confirmed_later_is_the_same_record_updated(demo):
    person = _green_pass(with_open_case=False).person
    with time_machine.travel(NOW, tick=False):
        first = confirmed_case_create(
            by=None, date=TODAY - dt.timedelta(days=1), person=person, classification="suspected"
        )
        assert Person.objects.get(pk=person.pk).epidemic_state == "suspected"
        second = confirmed_case_create(
            by=None, date=TODAY, person=person, classification="confirmed"
        )
    assert second.pk == first.pk
    assert ConfirmedCase.objects.filter(person=person).count() == 1
    person.refresh_from_db()
    assert (person.health_status, person.epidemic_state) == ("confirmed", "confirmed")
    history = list(
        PersonEvent.objects.filter(person=person, source="case")
        .order_by("id")
        .values_list("changes", flat=True)
    )
    assert [c["health_status"][1] for c in history] == ["suspected", "confirmed"]


def test_the_onset_cannot_be_after_the_diagnosis(demo):
    person = _green_pass(with_open_case=False).person
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        confirmed_case_create(
            by=None, date=TODAY - dt.timedelta(days=3), person=person, onset_date=TODAY
        )
    assert refused.value.message_dict == {"onset_date": [str(ERR_ONSET_AFTER)]}
    assert not ConfirmedCase.objects.filter(person=person).exists()
    assert Person.objects.get(pk=person.pk).health_status != "confirmed"


def test_the_person_file_cannot_set_a_case_status_by_hand(client, demo):
    person = _green_pass(with_open_case=False).person
    client.login(username="secretary", password=DEMO_PASSWORD)
    labels = {"confirmed": "确诊病例", "asymptomatic": "无症状感染者", "suspected": "疑似病例"}
    for status, label in labels.items():
        response = client.post(
            reverse("person_edit", args=[person.pk]),
            {
                "name": person.name,
                "doc_type": person.doc_type,
                "travel_status": person.travel_status,
                "return_date": person.return_date.isoformat() if person.return_date else "",
                "health_status": status,
            },
        )
        assert response.status_code in (200, 422)
        message = ERR_CASE_HEALTH.format(status=label)
        assert message in response.content.decode()
        assert Person.objects.get(pk=person.pk).health_status == person.health_status
        api = client.patch(
            f"/api/people/{person.pk}", {"health_status": status}, content_type="application/json"
        )
        assert api.status_code == 422
        assert api.json()["error"]["fields"] == {"health_status": [message]}
        assert Person.objects.get(pk=person.pk).health_status == person.health_status
    # The form offers the statuses it may set, and says where the others are recorded.
    form = client.get(reverse("person_edit", args=[person.pk])).content.decode()
    assert 'value="recovered"' in form
    assert 'value="confirmed"' not in form


def test_a_recorded_case_can_only_be_marked_recovered_in_the_file(demo):
    secretary = User.objects.get(username="secretary")
    person = _green_pass(with_open_case=False).person
    with time_machine.travel(NOW, tick=False):
        confirmed_case_create(by=secretary, date=TODAY, person=person)
        person.refresh_from_db()
        with pytest.raises(ValidationError) as refused:
            person_update(user=secretary, person=person, values={"health_status": "normal"})
        expected = ERR_CASE_HEALTH_LEAVE.format(status="确诊病例")
        assert refused.value.message_dict == {"health_status": [expected]}
        # Unchanged is fine (the edit form sends the current status back).
        person_update(user=secretary, person=person, values={"health_status": "confirmed"})
        person_update(user=secretary, person=person, values={"health_status": "recovered"})
    person.refresh_from_db()
    assert person.health_status == "recovered"
    assert person.epidemic_state != "confirmed"
    with pytest.raises(ValidationError) as refused:
        person_update(user=secretary, person=person, values={"health_status": "confirmed"})
    assert refused.value.message_dict == {
        "health_status": [ERR_CASE_HEALTH.format(status="确诊病例")]
    }
    assert rebuild_differences(TODAY) == []


# --- the API -------------------------------------------------------------------------------


def _api_post(client, username: str, body: dict):
    client.logout()
    assert client.login(username=username, password=DEMO_PASSWORD)
    return client.post("/api/confirmed-cases", body, content_type="application/json")


def test_the_api_records_a_case_for_those_who_keep_the_file(client, demo):
    passes = _green_passes(len(RECORDERS), with_open_case=False)
    for username, pass_obj in zip(RECORDERS, passes, strict=True):
        person = pass_obj.person
        with time_machine.travel(NOW, tick=False):
            response = _api_post(
                client,
                username,
                {"person_id": person.pk, "date": TODAY.isoformat(), "classification": "confirmed"},
            )
            assert response.status_code == 201, (username, response.content)
            body = response.json()
            assert body["person_id"] == person.pk
            assert body["classification"] == "confirmed"
            assert body["classification_label"] == "确诊病例"
            assert body["quarantine_state"] == "hospital"
            assert body["facility_name"]
            listed = client.get("/api/confirmed-cases").json()
            assert body["id"] in [row["id"] for row in listed]
            assert _scan(client, _first_zone_gate(), pass_obj.code)["colour"] == "red"
    assert rebuild_differences(TODAY) == []


def test_the_api_refuses_those_who_do_not_keep_the_file(client, demo):
    person = _green_pass(with_open_case=False).person
    for username in REFUSED:
        with time_machine.travel(NOW, tick=False):
            response = _api_post(
                client,
                username,
                {"person_id": person.pk, "date": TODAY.isoformat(), "classification": "confirmed"},
            )
        assert response.status_code in (403, 404), username
        assert response.json()["error"]["code"] in ("forbidden", "not_found")
    assert not ConfirmedCase.objects.filter(person=person).exists()
    assert Person.objects.get(pk=person.pk).health_status != "confirmed"
    assert not PersonEvent.objects.filter(person=person, source="case").exists()
    # The gate guard reads its zone's records, as the statistics page shows them: the
    # names masked, no link to a file it may not open.
    record = confirmed_case_create(by=None, date=TODAY, person=person)
    client.logout()
    client.login(username="guard", password=DEMO_PASSWORD)
    rows = client.get("/api/confirmed-cases", {"zone_id": person.zone_id}).json()
    row = next(r for r in rows if r["id"] == record.pk)
    assert row["person_id"] is None
    assert row["person_name"] not in ("", person.name)
    assert row["person_name"][0] == person.name[0]


def test_the_api_refuses_anonymous_callers(client, demo):
    person = Person.objects.order_by("pk").first()
    response = client.post(
        "/api/confirmed-cases",
        {"person_id": person.pk, "date": TODAY.isoformat(), "classification": "confirmed"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert not ConfirmedCase.objects.filter(person=person).exists()


def test_the_api_names_each_bad_field(client, demo):
    person = _green_pass(with_open_case=False).person
    good = {"person_id": person.pk, "date": TODAY.isoformat(), "classification": "confirmed"}
    bad = {
        "date": (TODAY + dt.timedelta(days=1)).isoformat(),
        "classification": "probable",
        "onset_date": (TODAY + dt.timedelta(days=1)).isoformat(),
    }
    with time_machine.travel(NOW, tick=False):
        for field, value in bad.items():
            response = _api_post(client, "secretary", {**good, field: value})
            assert response.status_code == 422, (field, response.content)
            assert list(response.json()["error"]["fields"]) == [field]
        for field in ("person_id", "date", "classification"):
            body = {k: v for k, v in good.items() if k != field}
            response = _api_post(client, "secretary", body)
            assert response.status_code == 422
            assert field in str(response.json()["error"]["fields"])
        # A second record of the same person.
        assert _api_post(client, "secretary", good).status_code == 201
        again = _api_post(client, "secretary", good)
        assert again.status_code == 422
        assert list(again.json()["error"]["fields"]) == ["person_id"]
    assert ConfirmedCase.objects.filter(person=person).count() == 1


def test_the_api_answers_404_for_a_person_out_of_scope(client, demo):
    # The property manager keeps the files of its zone only: a resident of another zone
    # is not even said to exist, nor is a person that does not.
    person = _green_pass(with_open_case=False).person
    elsewhere = Person.objects.exclude(zone_id=person.zone_id).order_by("pk").first()
    with time_machine.travel(NOW, tick=False):
        for target in (elsewhere.pk, 10**9):
            response = _api_post(
                client,
                "property",
                {"person_id": target, "date": TODAY.isoformat(), "classification": "confirmed"},
            )
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
    assert not ConfirmedCase.objects.filter(person=elsewhere).exists()


def test_the_statistics_count_confirmed_cases_only(client, demo):
    # A suspected case is not (yet) a case, an asymptomatic infection is reported apart:
    # both are listed with their classification, neither is counted.
    passes = _green_passes(3, with_open_case=False)
    zone_id = passes[0].person.zone_id
    client.login(username="secretary", password=DEMO_PASSWORD)
    url = reverse("reports:stats") + f"?place=zone:{zone_id}"
    with time_machine.travel(NOW, tick=False):
        before = client.get(url).context["stats"].cumulative
        for pass_obj, classification in zip(
            passes, ("suspected", "asymptomatic", "confirmed"), strict=True
        ):
            confirmed_case_create(
                by=None, date=TODAY, person=pass_obj.person, classification=classification
            )
        response = client.get(url)
    assert response.context["stats"].cumulative == before + 1
    assert response.context["stats"].new_today >= 1
    page = response.content.decode()
    assert '<small data-testid="classification">疑似病例</small>' in page
    assert '<small data-testid="classification">无症状感染者</small>' in page
