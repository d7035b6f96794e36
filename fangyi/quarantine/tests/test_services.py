"""The case state machine, tests, health checks and alerts."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from fangyi.core.models import Policy
from fangyi.health.models import Alert
from fangyi.quarantine import services
from fangyi.quarantine.choices import AlertKind, AlertStatus, CaseState
from fangyi.quarantine.models import QuarantineCase
from fangyi.quarantine.selectors import case_days
from fangyi.quarantine.tests.conftest import at


def travel(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def intake(tree, facilities):
    def make(person=None, when=None, state=CaseState.STATION, facility="station"):
        when = when or at(2020, 2, 18, 9, 0)
        with travel(when):
            return services.case_intake(
                by=tree.users["zone"],
                person=person or tree.people[0],
                reason="returned",
                arrived_at=when,
                first_state=state,
                facility=facilities.get(facility) if facility else None,
                origin="湖北省武汉市",
            )

    return make


def negative_test(tree, case, sampled_on):
    with travel(at(sampled_on.year, sampled_on.month, sampled_on.day, 18)):
        test = services.test_record(by=tree.users["zone"], case=case, sampled_on=sampled_on)
        services.test_set_result(by=tree.users["zone"], test=test, result="negative")
    return test


def test_intake_takes_the_policy_in_force_and_numbers_the_case(tree, intake):
    case = intake()
    assert case.state == CaseState.STATION
    assert case.start_date == dt.date(2020, 2, 18)
    assert case.policy.code == "pingshan-2020"
    assert case.case_no == f"GL20200218{case.pk:05d}"
    assert case.zone_id == tree.people[0].zone_id
    stage = case.stages.get()
    assert (stage.kind, stage.facility.name, stage.ended_at) == ("station", "六和温馨驿站", None)
    assert [e.action for e in case.events.all()] == ["intake"]


def test_case_page_days(tree, intake):
    case = intake()
    days = case_days(case, today=dt.date(2020, 2, 23))
    assert (days.day, days.total, days.release_date) == (6, 14, dt.date(2020, 3, 3))
    assert days.in_quarantine and not days.due_for_release
    assert (days.station_day, days.station_days_left) == (6, 0)
    assert case_days(case, today=dt.date(2020, 3, 3)).due_for_release


def test_one_open_case_per_person(tree, intake):
    intake()
    with pytest.raises(ValidationError) as exc:
        intake(when=at(2020, 2, 19))
    assert "person" in exc.value.message_dict


def test_station_full_is_refused(tree, intake):
    intake(person=tree.people[0])
    intake(person=tree.people[1])
    with pytest.raises(ValidationError) as exc:
        intake(person=tree.people[2])
    assert "六和温馨驿站" in exc.value.message_dict["facility"][0]


def test_full_journey_station_test_home_release(tree, intake):
    case = intake()
    user = tree.users["zone"]
    # Day 2: too early to go home, and no test yet.
    with travel(at(2020, 2, 19, 10)), pytest.raises(ValidationError) as exc:
        services.case_move_home(by=user, case=case)
    assert exc.value.code == "too_early"
    with travel(at(2020, 2, 20, 10)), pytest.raises(ValidationError) as exc:
        services.case_move_home(by=user, case=case)
    assert exc.value.code == "needs_test"
    negative_test(tree, case, dt.date(2020, 2, 19))
    with travel(at(2020, 2, 20, 11)):
        case = services.case_move_home(by=user, case=case)
    assert case.state == CaseState.HOME
    assert [s.kind for s in case.stages.all()] == ["station", "home"]
    assert case.stages.first().ended_at == at(2020, 2, 20, 11)
    # The day before the release date: refused, day 14.
    negative_test(tree, case, dt.date(2020, 2, 29))
    with travel(at(2020, 3, 2, 9)), pytest.raises(ValidationError) as exc:
        services.case_release(by=user, case=case)
    assert "2020-03-03" in exc.value.messages[0]
    with travel(at(2020, 3, 3, 9)):
        case = services.case_release(by=user, case=case)
    assert (case.state, case.released_on, case.release_kind) == (
        CaseState.RELEASED,
        dt.date(2020, 3, 3),
        "normal",
    )
    assert not case.stages.filter(ended_at__isnull=True).exists()
    actions = [e.action for e in case.events.all()]
    assert actions == [
        "intake",
        "test_sampled",
        "test_negative",
        "move_home",
        "test_sampled",
        "test_negative",
        "release_normal",
    ]


def test_release_needs_a_recent_negative_test(tree, intake):
    case = intake(state=CaseState.HOME, facility=None)
    negative_test(tree, case, dt.date(2020, 2, 19))  # 13 days before the release date
    with travel(at(2020, 3, 3, 9)), pytest.raises(ValidationError) as exc:
        services.case_release(by=tree.users["zone"], case=case)
    assert exc.value.code == "needs_test"


def test_early_release_needs_a_reason(tree, intake):
    case = intake(state=CaseState.HOME, facility=None)
    with travel(at(2020, 2, 25)), pytest.raises(ValidationError) as exc:
        services.case_release(by=tree.users["zone"], case=case, kind="early")
    assert "note" in exc.value.message_dict
    with travel(at(2020, 2, 25)):
        case = services.case_release(
            by=tree.users["zone"], case=case, kind="early", note="排除密接，区防控办批准"
        )
    assert case.release_kind == "early" and case.events.last().note == "排除密接，区防控办批准"


def test_extension_moves_the_release_date(tree, intake):
    case = intake(state=CaseState.HOME, facility=None)
    case = services.case_extend(by=tree.users["zone"], case=case, days=7, note="同住人发热")
    assert case_days(case, today=dt.date(2020, 3, 3)).release_date == dt.date(2020, 3, 10)
    with pytest.raises(ValidationError):
        services.case_extend(by=tree.users["zone"], case=case, days=0, note="x")


# Every (state, transition) pair: which are legal.
TRANSITIONS = {
    "move_home": {CaseState.STATION},
    "observation": {CaseState.STATION, CaseState.HOME, CaseState.HOSPITAL},
    "hospital": {CaseState.STATION, CaseState.HOME, CaseState.OBSERVATION},
    "release_early": {CaseState.STATION, CaseState.HOME, CaseState.OBSERVATION},
    "transfer_out": {CaseState.STATION, CaseState.HOME, CaseState.OBSERVATION, CaseState.HOSPITAL},
    "extend": {CaseState.STATION, CaseState.HOME, CaseState.OBSERVATION, CaseState.HOSPITAL},
}


def _run(name, tree, facilities, case):
    user = tree.users["zone"]
    if name == "move_home":
        return services.case_move_home(by=user, case=case)
    if name == "observation":
        return services.case_send_to_observation(
            by=user, case=case, facility=facilities["observation"], note="密接"
        )
    if name == "hospital":
        return services.case_transfer_to_hospital(
            by=user, case=case, facility=facilities["hospital"], note="发热转诊"
        )
    if name == "release_early":
        return services.case_release(by=user, case=case, kind="early", note="解除")
    if name == "transfer_out":
        return services.case_transfer_out(by=user, case=case, note="转回原籍")
    if name == "extend":
        return services.case_extend(by=user, case=case, days=2, note="延长")
    raise AssertionError(name)


@pytest.mark.parametrize("state", list(CaseState))
@pytest.mark.parametrize("transition", list(TRANSITIONS))
def test_every_transition_from_every_state(tree, facilities, intake, state, transition):
    case = intake(state=CaseState.STATION)
    negative_test(tree, case, dt.date(2020, 2, 19))
    # Put the case in `state` directly: the transitions under test are what matters here.
    QuarantineCase.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    events_before = case.events.count()
    with travel(at(2020, 2, 21, 10)):
        if state in TRANSITIONS[transition]:
            result = _run(transition, tree, facilities, case)
            assert case.events.count() == events_before + 1
            assert result.events.last().from_state == state
        else:
            with pytest.raises(ValidationError) as exc:
                _run(transition, tree, facilities, case)
            assert exc.value.code == "illegal_transition"
            assert str(state.label) in exc.value.messages[0]
            case.refresh_from_db()
            assert case.state == state
            assert case.events.count() == events_before


def test_policy_change_during_quarantine(tree, intake):
    case = intake(state=CaseState.HOME, facility=None)
    seven = Policy.objects.create(
        code="short-2020",
        name="短",
        effective_from=dt.date(2020, 2, 20),
        values={"quarantine_days": 7},
    )
    # The case keeps the policy it started with…
    case.refresh_from_db()
    assert case_days(case, today=dt.date(2020, 2, 25)).release_date == dt.date(2020, 3, 3)
    # …a new case after the change gets the new one…
    later = intake(person=tree.people[1], when=at(2020, 2, 21), state=CaseState.HOME, facility=None)
    assert later.policy == seven
    assert case_days(later, today=dt.date(2020, 2, 22)).release_date == dt.date(2020, 2, 28)
    # …and re-applying needs a reason and is kept in the history.
    with pytest.raises(ValidationError):
        services.case_reapply_policy(by=tree.users["zone"], case=case, policy=seven, note=" ")
    case = services.case_reapply_policy(
        by=tree.users["zone"], case=case, policy=seven, note="区防控办通知"
    )
    assert case_days(case, today=dt.date(2020, 2, 25)).release_date == dt.date(2020, 2, 25)
    assert case.events.last().data == {"old": "pingshan-2020", "new": "short-2020"}


def test_fever_and_symptoms_raise_one_alert_each(tree, intake):
    case = intake(state=CaseState.HOME, facility=None)
    with travel(at(2020, 2, 19, 8)):
        services.health_check_record(case=case, temperature="36.6")
        check = services.health_check_record(case=case, temperature="37.3", symptoms=["cough"])
    assert check.slot == "am"
    alerts = Alert.objects.filter(case=case).order_by("kind")
    assert [(a.kind, a.slot) for a in alerts] == [("fever", "am"), ("symptom", "am")]
    assert alerts[0].zone_id == tree.people[0].zone_id


@pytest.mark.parametrize("bad", ["abc", "", "45", "33.9", "NaN", "Infinity"])
def test_bad_temperature_is_refused(tree, intake, bad):
    case = intake(state=CaseState.HOME, facility=None)
    with pytest.raises(ValidationError) as exc:
        services.health_check_record(case=case, temperature=bad)
    assert "temperature" in exc.value.message_dict
    assert not case.checks.exists()


def test_missed_checks_one_alert_per_slot(tree, intake):
    case = intake(state=CaseState.HOME, facility=None, when=at(2020, 2, 18, 9))
    with travel(at(2020, 2, 18, 10)):
        services.health_check_record(case=case, temperature="36.5")  # am done
    now = at(2020, 2, 19, 13)  # 18 pm and 19 am have passed without checks
    assert services.alerts_sync_missed(now=now) == 2
    assert services.alerts_sync_missed(now=now) == 0  # idempotent
    missed = Alert.objects.filter(case=case, kind=AlertKind.MISSED_CHECK).order_by("date", "slot")
    assert [(a.date, a.slot) for a in missed] == [
        (dt.date(2020, 2, 18), "pm"),
        (dt.date(2020, 2, 19), "am"),
    ]
    alert = missed[0]
    alert = services.alert_acknowledge(by=tree.users["zone"], alert=alert)
    assert alert.status == AlertStatus.ACKNOWLEDGED
    with pytest.raises(ValidationError):
        services.alert_close(by=tree.users["zone"], alert=alert, note="")
    alert = services.alert_close(by=tree.users["zone"], alert=alert, note="电话联系，已补测 36.4")
    assert alert.status == AlertStatus.CLOSED and alert.closed_by == tree.users["zone"]
    # Closing does not make the sync raise it again.
    assert services.alerts_sync_missed(now=now) == 0


def test_no_missed_alerts_after_release(tree, intake):
    case = intake(state=CaseState.HOME, facility=None)
    with travel(at(2020, 2, 18, 11)):
        services.case_release(by=tree.users["zone"], case=case, kind="early", note="误报")
    assert services.alerts_sync_missed(now=at(2020, 2, 25)) == 0


def test_positive_test_raises_an_alert(tree, intake):
    case = intake()
    with travel(at(2020, 2, 19, 18)):
        test = services.test_record(
            by=tree.users["zone"], case=case, sampled_on=dt.date(2020, 2, 19)
        )
        services.test_set_result(by=tree.users["zone"], test=test, result="positive")
        with pytest.raises(ValidationError):
            services.test_set_result(by=tree.users["zone"], test=test, result="negative")
    alert = Alert.objects.get(case=case)
    assert alert.kind == AlertKind.POSITIVE_TEST
    assert alert.facility.name == "六和温馨驿站"
