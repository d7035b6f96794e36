"""Erasing one person's file on request: who may, what goes, what stays counted."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone

from fangyi.audit.models import AccessLog
from fangyi.health.models import Alert
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.people.models import Person, PersonEvent
from fangyi.people.selectors import people_for, person_search
from fangyi.quarantine.models import HealthCheck, NucleicTest, QuarantineCase
from fangyi.reports.models import ConfirmedCase
from fangyi.reports.selectors import case_stats, screening_person_times
from fangyi.retention.erasure import (
    ERR_ALREADY_ERASED,
    ERR_NOT_ALLOWED,
    erasure_lines,
)
from fangyi.retention.models import Erasure
from fangyi.retention.services import is_erased, person_erase
from fangyi.retention.tests.conftest import NAME, PHONE
from fangyi.screening.models import VisitPerson
from fangyi.support.models import Order, RecurringVisit, ResidentLink, ServiceRequest


def _texts() -> str:
    """Every text, JSON and IP value of every row of every model, as one string."""
    found = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if fields:
            for row in model._base_manager.values_list(*fields):
                found.append(json.dumps(row, ensure_ascii=False, default=str))
    return "\n".join(found)


def test_erasure_leaves_no_trace_of_the_person(filed, operator):
    person = filed.person
    traces = (NAME, PHONE, person.doc_number, "湖北武汉")
    before = _texts()
    for trace in traces:  # the test would pass vacuously otherwise
        assert trace in before, trace

    person_erase(by=operator, person=person)

    after = _texts()
    for trace in traces:
        assert trace not in after, trace


def test_erasure_keeps_the_counts(filed, operator, tree):
    today = timezone.localdate()
    district = tree.district.pk
    stats = case_stats(operator, "district", district, today=today)
    times = screening_person_times("district", district, today)
    checks, cases = GateCheck.objects.count(), QuarantineCase.objects.count()

    person_erase(by=operator, person=filed.person)

    after = case_stats(operator, "district", district, today=today)
    assert (after.cumulative, after.series) == (stats.cumulative, stats.series)
    assert after.cumulative == 1
    assert screening_person_times("district", district, today) == times == (1, 0)
    assert (GateCheck.objects.count(), QuarantineCase.objects.count()) == (checks, cases)
    # The open order was cancelled through support: its stock is back.
    filed.item.refresh_from_db()
    assert filed.item.ordered == 0


def test_erasure_what_goes_and_what_stays(filed, operator):
    person = filed.person
    reveals = AccessLog.objects.filter(person=person).count()

    erasure = person_erase(by=operator, person=person, channel="web")

    person.refresh_from_db()
    assert is_erased(person)
    assert (person.name, person.phone, person.birth_date, person.dwelling_id) == (
        "—",
        "",
        None,
        None,
    )
    assert person.zone_id is None and person.district_id is None and person.notes == ""
    # Gone: history, readings and alerts, applications, the personal link, visit plans.
    assert not PersonEvent.objects.filter(person=person).exists()
    assert not HealthCheck.objects.filter(case=filed.case).exists()
    assert not Alert.objects.filter(case=filed.case).exists()
    assert not PassApplication.objects.exists()
    assert not ResidentLink.objects.filter(person=person).exists()
    assert not RecurringVisit.objects.filter(person=person).exists()
    # Kept without content: the access log's facts, the case, its test, the passes as
    # anonymous revoked tokens, the gate check, the confirmed case, the person-time.
    assert AccessLog.objects.filter(person=person).count() == reveals == 1
    case = QuarantineCase.objects.get(pk=filed.case.pk)
    assert case.person_id == person.pk and case.origin == ""
    assert case.checkin_key != filed.case.checkin_key
    assert NucleicTest.objects.filter(case=case).count() == 1
    assert Pass.objects.count() == 2
    assert not Pass.objects.filter(revoked_at=None).exists()
    assert not Pass.objects.exclude(person=None, application=None).exists()
    check = GateCheck.objects.get(pk=filed.gate_check.pk)
    assert (check.person_id, check.pass_obj_id is not None) == (None, True)
    assert ConfirmedCase.objects.get().person_id is None
    visited = VisitPerson.objects.get(pk=filed.visit_person.pk)
    assert (visited.person_id, visited.present, visited.temperature) == (person.pk, True, None)
    assert Order.objects.get(pk=filed.placed_order.pk).status == "cancelled"
    assert ServiceRequest.objects.get().status == "cancelled"
    # The record: who, which file, when, how many; nothing personal (see the trace test).
    recorded = Erasure.objects.get()
    assert (recorded.pk, recorded.by, recorded.person_id) == (erasure.pk, operator, person.pk)
    assert recorded.counts["people.PersonEvent:deleted"] == 1
    assert recorded.counts["audit.AccessLog:kept"] == 1
    assert recorded.counts["passes.PassApplication:deleted"] == 2
    assert recorded.counts["support.Order:cancelled"] == 1


def test_the_erased_file_is_in_no_list_and_its_page_still_opens(filed, operator, client, tree):
    person = filed.person
    person_erase(by=operator, person=person)
    assert not people_for(tree.users["district"]).filter(pk=person.pk).exists()
    assert not person_search(operator, NAME).exists()
    client.force_login(operator)
    response = client.get(f"/people/{person.pk}/")
    assert response.status_code == 200
    assert NAME not in response.content.decode()


@pytest.mark.parametrize("persona", ["operator", "secretary"])
def test_operators_and_the_community_secretary_may_erase(filed, personas, persona):
    person_erase(by=personas[persona], person=filed.person)
    assert Erasure.objects.get().by == personas[persona]


@pytest.mark.parametrize(
    "persona",
    [
        "other_secretary",
        "district_leader",
        "cadre",
        "property_manager",
        "grid_worker",
        "station_doctor",
        "gate_guard",
        "volunteer",
        "anonymous",
    ],
)
def test_nobody_else_may_erase(filed, personas, persona):
    with pytest.raises(PermissionDenied) as refused:
        person_erase(by=personas[persona], person=filed.person)
    assert str(refused.value) == str(ERR_NOT_ALLOWED)
    filed.person.refresh_from_db()
    assert filed.person.name == NAME
    assert PersonEvent.objects.filter(person=filed.person).exists()
    assert not Erasure.objects.exists()


def test_the_system_cannot_erase_without_a_user(filed):
    with pytest.raises(PermissionDenied):
        person_erase(by=None, person=filed.person)


def test_an_inactive_secretary_may_not_erase(filed, personas):
    secretary = personas["secretary"]
    secretary.staff.active = False
    secretary.staff.save()
    with pytest.raises(PermissionDenied):
        person_erase(by=secretary, person=filed.person)


def test_refused_under_quarantine_and_nothing_changes(filed, operator):
    QuarantineCase.objects.filter(pk=filed.case.pk).update(state="home", released_on=None)
    with pytest.raises(ValidationError) as refused:
        person_erase(by=operator, person=filed.person)
    assert "Q2020-0001" in refused.value.messages[0]
    filed.person.refresh_from_db()
    assert filed.person.name == NAME
    assert HealthCheck.objects.filter(case=filed.case).exists()
    assert Order.objects.get(pk=filed.placed_order.pk).status == "placed"


def test_erasing_twice_is_refused(filed, operator):
    person_erase(by=operator, person=filed.person)
    with pytest.raises(ValidationError) as refused:
        person_erase(by=operator, person=Person.objects.get(pk=filed.person.pk))
    assert refused.value.messages == [str(ERR_ALREADY_ERASED)]
    assert Erasure.objects.count() == 1


def test_dry_run_counts_and_changes_nothing(filed, operator):
    dry = person_erase(by=operator, person=filed.person, dry_run=True)
    assert dry.pk is None and not Erasure.objects.exists()
    filed.person.refresh_from_db()
    assert filed.person.name == NAME
    assert HealthCheck.objects.filter(case=filed.case).exists()
    assert Order.objects.get(pk=filed.placed_order.pk).status == "placed"
    done = person_erase(by=operator, person=filed.person)
    assert dry.counts == done.counts


def test_lines_name_the_kinds_in_chinese(filed, operator):
    erasure = person_erase(by=operator, person=filed.person)
    lines = {(kind, action): n for kind, action, n in erasure_lines(erasure.counts)}
    assert lines[("档案变更记录", "已删除")] == 1
    assert lines[("查阅日志", "原样保留")] == 1


def test_erase_command(filed, operator, capsys):
    call_command("erase", str(filed.person.pk), "--user", "op", "--dry-run")
    assert "试运行" in capsys.readouterr().out
    assert not Erasure.objects.exists()
    call_command("erase", str(filed.person.pk), "--user", "op")
    out = capsys.readouterr().out
    assert f"已删除档案 {filed.person.pk}" in out and "档案变更记录 已删除: 1" in out
    assert Erasure.objects.get().channel == "command"


def test_erase_command_refusals(filed, tree):
    with pytest.raises(CommandError, match="nobody"):
        call_command("erase", str(filed.person.pk), "--user", "nobody")
    with pytest.raises(CommandError, match="999999"):
        call_command("erase", "999999", "--user", "b_grid")
    with pytest.raises(CommandError, match=str(ERR_NOT_ALLOWED)):
        call_command("erase", str(filed.person.pk), "--user", "b_grid")


def test_a_person_with_nothing_hanging_is_erased_too(tree, operator):
    person = tree.people[5]
    erasure = person_erase(by=operator, person=person, now=timezone.now() - dt.timedelta(hours=1))
    assert erasure.counts == {"people.Person:anonymised": 1}


def test_the_erased_file_s_state_is_derived_again(filed, operator):
    """What was the person's (verified, returned, a held fever) is gone: the stored state
    is what the cleared facts give, not what the person was."""
    from fangyi.people.state import rebuild_differences

    before = Person.objects.get(pk=filed.person.pk).epidemic_state
    person_erase(by=operator, person=filed.person)
    after = Person.objects.get(pk=filed.person.pk).epidemic_state
    assert rebuild_differences() == []
    assert before != after
