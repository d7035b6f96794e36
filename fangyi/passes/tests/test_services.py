"""Applications, issuing, gate checks, fevers and the state the colour rules read."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from fangyi.conftest import make_id_number
from fangyi.core.models import Policy
from fangyi.core.policy import policy_in_force, values_of
from fangyi.core.temperature import ERR_TEMPERATURE_RANGE
from fangyi.health.models import Alert
from fangyi.passes import selectors, services
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.passes.tests.conftest import NOW, at
from fangyi.passes.tests.test_colour import HANGZHOU
from fangyi.people.identity import ERR_PHONE
from fangyi.people.models import PersonEvent
from fangyi.quarantine import services as quarantine
from fangyi.quarantine.models import HealthCheck

pytestmark = pytest.mark.django_db


def application_values(tree, **overrides):
    values = {
        "name": "王小明",
        "doc_type": "id_card",
        "doc_number": make_id_number(901),
        "phone": "13912345678",
        "dwelling_id": tree.dwellings[0].pk,
    }
    values.update(overrides)
    return values


def test_the_hangzhou_preset_is_shipped_and_not_in_force():
    hangzhou = Policy.objects.get(code="hangzhou-2020")
    assert values_of(hangzhou) == HANGZHOU
    assert policy_in_force(dt.date(2020, 2, 20)).code == "pingshan-2020"
    assert policy_in_force(dt.date(2030, 1, 1)).code == "pingshan-2020"


def test_an_unknown_applicant_waits_yellow_in_the_building_queue(tree):
    with time_machine.travel(NOW, tick=False):
        submitted = services.application_submit(values=application_values(tree))
        verdict, _policy = services.pass_verdict(submitted.pass_obj)
    app = submitted.application
    assert app.status == "pending" and app.person is None
    assert (verdict.colour, verdict.reason) == ("yellow", "unverified")
    assert app.building == tree.buildings[0] and app.district == tree.district
    # The building's grid worker and everyone above see it; the outsider does not.
    for persona in ("building", "zone", "community", "street", "district"):
        assert list(selectors.applications_for(tree.users[persona])) == [app]
    assert list(selectors.applications_for(tree.users["outsider"])) == []


def test_a_full_match_with_a_verified_file_gets_a_pass_at_once(tree):
    person = tree.people[0]
    person.verified = True
    person.save()
    values = application_values(
        tree,
        name=person.name,
        doc_number=person.doc_number,
        phone=person.phone,
        dwelling_id=person.dwelling_id,
    )
    with time_machine.travel(NOW, tick=False):
        submitted = services.application_submit(values=values)
        verdict, _policy = services.pass_verdict(submitted.pass_obj)
    assert submitted.application.status == "approved"
    assert submitted.pass_obj.person == person
    assert verdict.colour == "green"


def test_bad_input_names_every_field_and_saves_nothing(tree):
    with pytest.raises(ValidationError) as info:
        services.application_submit(
            values={"name": " ", "doc_number": "123", "phone": "12345", "dwelling_id": "x"}
        )
    errors = info.value.message_dict
    assert errors["name"] == [str(services.ERR_NAME)]
    assert errors["phone"] == [str(ERR_PHONE)]
    assert errors["dwelling_id"] == [str(services.ERR_DWELLING)]
    assert "doc_number" in errors
    assert PassApplication.objects.count() == 0 and Pass.objects.count() == 0


def test_approval_creates_the_file_with_history_and_the_pass_turns_green(tree):
    with time_machine.travel(NOW, tick=False):
        submitted = services.application_submit(values=application_values(tree))
        grid = tree.users["building"]
        app = services.application_approve(by=grid, application=submitted.application)
        verdict, _policy = services.pass_verdict(Pass.objects.get(pk=submitted.pass_obj.pk))
    person = app.person
    assert person.verified and person.dwelling == tree.dwellings[0]
    assert person.building == tree.buildings[0]
    event = PersonEvent.objects.get(person=person)
    assert event.by == grid and event.source == "pass" and event.action == "created"
    assert verdict.colour == "green"
    with pytest.raises(ValidationError) as info:
        services.application_approve(by=grid, application=app)
    assert info.value.messages == [str(services.ERR_NOT_PENDING)]


def test_approval_links_an_existing_file_and_records_the_change(tree):
    person = tree.people[1]
    values = application_values(
        tree, name=person.name, doc_number=person.doc_number, phone=person.phone
    )
    submitted = services.application_submit(values=values)  # the file is not verified
    services.application_approve(by=tree.users["building"], application=submitted.application)
    person.refresh_from_db()
    assert person.verified
    assert PersonEvent.objects.get(person=person).changes == {"verified": [False, True]}
    assert Pass.objects.get(pk=submitted.pass_obj.pk).person == person


def test_rejection_needs_a_reason_and_refuses_the_pass(tree, gate, guard):
    submitted = services.application_submit(values=application_values(tree))
    with pytest.raises(ValidationError) as info:
        services.application_reject(
            by=tree.users["building"], application=submitted.application, reason=" "
        )
    assert info.value.message_dict == {"reason": [str(services.ERR_REJECT_REASON)]}
    services.application_reject(
        by=tree.users["building"], application=submitted.application, reason="查无此人"
    )
    assert PassApplication.objects.get().reject_reason == "查无此人"
    from fangyi.passes.tokens import ERR_REJECTED, PassRefused

    with pytest.raises(PassRefused) as refused:
        services.gate_check_record(
            by=guard, gate=gate, token=services.pass_token(submitted.pass_obj), temperature="36.5"
        )
    assert refused.value.message == ERR_REJECTED


@pytest.fixture
def green_pass(tree):
    """Issued at NOW: these tests travel there (conftest's is issued today)."""
    person = tree.people[0]
    person.verified = True
    person.save()
    with time_machine.travel(NOW, tick=False):
        return services.pass_issue(by=None, person=person)


def test_a_green_check_is_recorded_with_the_policy_version(green_pass, gate, guard):
    with time_machine.travel(NOW, tick=False):
        result = services.gate_check_record(
            by=guard, gate=gate, token=services.pass_token(green_pass), temperature="36.5"
        )
        services.gate_check_decide(by=guard, check=result.check, decision="let_in")
    check = GateCheck.objects.get()
    assert (check.colour, check.reason, check.decision) == ("green", "clear", "let_in")
    assert check.policy.code == "pingshan-2020" and check.temperature == Decimal("36.5")
    assert (check.gate, check.zone, check.guard, check.at) == (gate, gate.zone, guard, NOW)
    assert check.method == "scan" and check.person == green_pass.person
    assert result.name_masked == "居*1"


def test_a_fever_is_never_green_is_held_and_alerts_the_zone(green_pass, gate, guard, tree):
    with time_machine.travel(NOW, tick=False):
        result = services.gate_check_record(
            by=guard, gate=gate, code=green_pass.code, temperature="37.3"
        )
    assert result.verdict.colour == "yellow" and result.verdict.fever
    check = GateCheck.objects.get()
    assert check.fever and check.decision == "held" and check.method == "code"
    alert = Alert.objects.get()
    assert alert.gate_check == check and alert.person == green_pass.person
    assert alert.temperature == Decimal("37.3") and alert.status == "open"
    # The zone's staff see it; the outsider does not.
    assert list(selectors.fever_alerts_for(tree.users["zone"])) == [alert]
    assert list(selectors.fever_alerts_for(tree.users["outsider"])) == []
    with pytest.raises(ValidationError):
        services.gate_check_decide(by=guard, check=check, decision="let_in")
    # Until reviewed, the pass shows "fever pending review", even at a normal temperature.
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        again = services.gate_check_record(
            by=guard, gate=gate, code=green_pass.code, temperature="36.6"
        )
        assert (again.verdict.colour, again.verdict.reason) == ("yellow", "fever_pending")
        services.fever_alert_review(by=tree.users["zone"], alert=alert, outcome="cleared")
        verdict, _policy = services.pass_verdict(green_pass)
    assert verdict.colour == "green"
    with pytest.raises(ValidationError) as info:
        services.fever_alert_review(by=tree.users["zone"], alert=alert, outcome="cleared")
    assert info.value.messages == [str(services.ERR_REVIEWED)]


def test_decisions_must_fit_the_colour_and_the_guard(green_pass, gate, guard, other_guard):
    with time_machine.travel(NOW, tick=False):
        result = services.gate_check_record(
            by=guard, gate=gate, token=services.pass_token(green_pass), temperature="36.5"
        )
    with pytest.raises(ValidationError) as info:
        services.gate_check_decide(by=guard, check=result.check, decision="observation")
    assert list(info.value.message_dict) == ["decision"]
    with pytest.raises(PermissionDenied):
        services.gate_check_decide(by=other_guard, check=result.check, decision="let_in")
    services.gate_check_decide(by=guard, check=result.check, decision="let_in")
    with pytest.raises(ValidationError) as info:
        services.gate_check_decide(by=guard, check=result.check, decision="let_in")
    assert info.value.messages == [str(services.ERR_DECIDED)]


def test_temperature_is_required_and_checked(green_pass, gate, guard):
    for bad, message in (
        ("", services.ERR_TEMPERATURE_REQUIRED),
        ("45", ERR_TEMPERATURE_RANGE.format(value="45", low="34.0", high="43.0")),
    ):
        with pytest.raises(ValidationError) as info:
            services.gate_check_record(by=guard, gate=gate, code=green_pass.code, temperature=bad)
        assert info.value.message_dict == {"temperature": [str(message)]}
    assert GateCheck.objects.count() == 0


def test_a_visitor_is_registered_by_hand(gate, guard):
    with time_machine.travel(NOW, tick=False):
        result = services.gate_check_record(
            by=guard,
            gate=gate,
            temperature="36.4",
            visitor={"name": "快递员张三", "phone": "13800138000", "note": "送货"},
        )
    check = GateCheck.objects.get()
    assert (check.colour, check.reason, check.method) == ("yellow", "visitor", "visitor")
    assert check.visitor_name == "快递员张三" and check.pass_obj is None
    assert result.name_masked == "快***三"
    with pytest.raises(ValidationError) as info:
        services.gate_check_record(by=guard, gate=gate, temperature="36.4", visitor={"name": ""})
    assert info.value.message_dict == {"visitor_name": [str(services.ERR_VISITOR_NAME)]}


def test_quarantine_makes_the_same_pass_red_with_the_observation_point(
    green_pass, gate, guard, tree, observation, station
):
    person = green_pass.person
    with time_machine.travel(NOW, tick=False):
        quarantine.case_intake(
            by=None, person=person, reason="close_contact", arrived_at=NOW, facility=station
        )
        result = services.gate_check_record(
            by=guard, gate=gate, code=green_pass.code, temperature="36.5"
        )
        services.gate_check_decide(by=guard, check=result.check, decision="observation")
    verdict = result.verdict
    assert (verdict.colour, verdict.reason) == ("red", "quarantine")
    assert (verdict.observation_name, verdict.observation_address) == (
        "坪山指定观察点",
        "坪山大道88号",
    )


def test_person_state_reads_cases_checkins_and_returns(tree, station):
    person = tree.people[2]
    values = values_of(policy_in_force(dt.date(2020, 2, 20)))
    person.travel_status, person.return_date = "returned", dt.date(2020, 2, 10)
    person.save()
    state = selectors.person_state(person, values=values, today=dt.date(2020, 2, 20))
    assert state.epidemic_state == "returnee" and state.case_reason is None  # day 11 of 14
    with time_machine.travel(at(2020, 2, 10, 9), tick=False):
        case = quarantine.case_intake(
            by=None, person=person, reason="returned", arrived_at=at(2020, 2, 10, 8),
            facility=station,
        )  # fmt: skip
    for day in range(10, 20):
        for hour in (9, 18):
            HealthCheck.objects.create(
                case=case, date=dt.date(2020, 2, day), slot="am" if hour == 9 else "pm",
                at=at(2020, 2, day, hour), temperature=Decimal("36.5"), channel="self",
            )  # fmt: skip
    HealthCheck.objects.filter(date=dt.date(2020, 2, 12)).update(temperature=Decimal("37.5"))
    state = selectors.person_state(person, values=HANGZHOU, today=dt.date(2020, 2, 20))
    assert state.epidemic_state == "station" and state.case_reason == "returned"
    assert state.normal_checkin_days == 7  # 13th to 19th; the 12th had a fever
    assert state.observation_name == ""  # no observation point exists in this district


def test_scan_path_is_a_few_queries(green_pass, gate, guard, django_assert_max_num_queries):
    token = services.pass_token(green_pass)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(8):
        services.gate_check_record(by=guard, gate=gate, token=token, temperature="36.5")
