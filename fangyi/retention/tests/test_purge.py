"""`fangyi purge`: what expired goes, what is still needed stays, twice is harmless."""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from axes.models import AccessLog as LoginLog
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangyi.audit.models import AccessLog
from fangyi.core.models import Policy, RateCount
from fangyi.core.policy import PolicyValues, policy_in_force
from fangyi.health.models import Alert
from fangyi.jobs.models import Job
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.quarantine.models import HealthCheck, QuarantineCase, Stage
from fangyi.retention.models import Purge
from fangyi.retention.partitions import make_month
from fangyi.retention.purge import KINDS
from fangyi.retention.services import retention_purge
from fangyi.retention.tests.conftest import file_with_everything
from fangyi.screening.models import VisitPerson

NOW = timezone.make_aware(dt.datetime(2020, 6, 1, 3, 0))
DAY = dt.timedelta(days=1)


def _check(tree, operator, *, days: float, **fields) -> GateCheck:
    zone = tree.zones[0]
    return GateCheck.objects.create(
        gate=zone.gates.get(),
        zone=zone,
        guard=operator,
        at=NOW - days * DAY,
        method=fields.pop("method", "visitor"),
        colour="yellow",
        reason="visitor",
        policy=policy_in_force(NOW.date()),
        **fields,
    )


def _visitor(tree, operator, days: float) -> GateCheck:
    return _check(
        tree,
        operator,
        days=days,
        visitor_name="李四",
        visitor_phone="13700001111",
        visitor_note="探亲",
    )


def _closed_case(tree, *, person, closed_days: float, state: str = "released"):
    case = QuarantineCase.objects.create(
        case_no=f"Q{person.pk}",
        person=person,
        zone=person.zone,
        reason="returned",
        arrived_at=NOW - (closed_days + 14) * DAY,
        start_date=(NOW - (closed_days + 14) * DAY).date(),
        policy=policy_in_force(NOW.date()),
        state=state,
    )
    QuarantineCase.objects.filter(pk=case.pk).update(created_at=NOW - (closed_days + 14) * DAY)
    Stage.objects.create(
        case=case,
        kind="home",
        started_at=NOW - (closed_days + 14) * DAY,
        ended_at=None if state in ("home", "station") else NOW - closed_days * DAY,
    )
    check = HealthCheck.objects.create(
        case=case,
        date=(NOW - (closed_days + 2) * DAY).date(),
        slot="am",
        at=NOW - (closed_days + 2) * DAY,
        temperature=Decimal("37.8"),
        channel="self",
    )
    Alert.objects.create(
        case=case, person_id=case.person_id, kind="fever", source="checkin", date=check.date,
        health_check=check, status="closed",
    )  # fmt: skip
    return case


def _application(tree, *, status: str, decided_days: float) -> PassApplication:
    person = tree.people[1]
    app = PassApplication.objects.create(
        name="张三",
        doc_number="440304199001011234",
        phone="13600001111",
        status=status,
        decided_at=NOW - decided_days * DAY,
        dwelling=person.dwelling,
        building=person.building,
        zone=person.zone,
        community=person.community,
        street=person.street,
        district=person.district,
    )
    Pass.objects.create(
        application=app,
        district=tree.district,
        key=f"k{app.pk}",
        code=f"{app.pk:011d}",
        issued_at=NOW - (decided_days + 1) * DAY,
        expires_at=NOW + 30 * DAY,
        revoked_at=NOW - decided_days * DAY if status == "rejected" else None,
    )
    return app


def _aged(model, days: float, column: str, **values):
    row = model.objects.create(**values)
    model.objects.filter(pk=row.pk).update(**{column: NOW - days * DAY})
    return row


@pytest.fixture
def expired_and_not(tree, operator, settings, tmp_path):
    """One row of every kind past its period (default policy) and one still within it."""
    settings.VAR_DIR = tmp_path
    rows = {}
    # Gate: visitor fields at 14 days, checks at 28 (a fever pending review stays).
    rows["visitor_old"] = _visitor(tree, operator, 15)
    rows["visitor_new"] = _visitor(tree, operator, 13)
    rows["check_old"] = _check(tree, operator, days=29, method="scan")
    rows["check_new"] = _check(tree, operator, days=27, method="scan")
    for days, status in ((30, "closed"), (30, "open"), (27, "closed")):
        fever = _check(tree, operator, days=days, method="scan", fever=True)
        rows[f"fever_{days}_{status}"] = Alert.objects.create(
            kind="fever",
            source="gate",
            gate_check=fever,
            zone=fever.zone,
            date=fever.at.date(),
            temperature=Decimal("37.9"),
            status=status,
            created_at=fever.at,
        )
    # Rejected applications at 30 days after the decision; approved ones stay.
    rows["rejected_old"] = _application(tree, status="rejected", decided_days=31)
    rows["rejected_new"] = _application(tree, status="rejected", decided_days=29)
    rows["approved_old"] = _application(tree, status="approved", decided_days=400)
    # Health checks 90 days after the case closed; open cases keep theirs.
    rows["case_old"] = _closed_case(tree, person=tree.people[2], closed_days=91)
    rows["case_transferred"] = _closed_case(
        tree, person=tree.people[3], closed_days=120, state="transferred"
    )
    rows["case_new"] = _closed_case(tree, person=tree.people[4], closed_days=89)
    rows["case_open"] = _closed_case(tree, person=tree.people[5], closed_days=200, state="home")
    # Jobs: files after JOBS_KEEP_SECONDS (a day), uploads after a day, rows after 30 days.
    for folder in ("jobs", "imports"):
        (tmp_path / folder).mkdir()
        old, new = tmp_path / folder / "old.xlsx", tmp_path / folder / "new.xlsx"
        old.write_text("x")
        new.write_text("x")
        two_days_ago = time.time() - 2 * 86400
        os.utime(old, (two_days_ago, two_days_ago))
    for days in (31, 29):
        job = Job.objects.create(kind="import", user=operator, status="done")
        Job.objects.filter(pk=job.pk).update(finished_at=NOW - days * DAY)
    Job.objects.create(kind="import", user=operator, status="running")
    # Logins (django-axes): 180 days.
    for days in (181, 179):
        common = {"user_agent": "ua", "ip_address": "10.0.0.1", "http_accept": "*/*"}
        _aged(
            AccessAttempt,
            days,
            "attempt_time",
            username=f"u{days}",
            failures_since_start=1,
            **common,
        )
        _aged(LoginLog, days, "attempt_time", username=f"u{days}", **common)
        _aged(AccessFailureLog, days, "attempt_time", username=f"u{days}", **common)
    # Sessions and rate counts when they expire; reveals after 1095 days.
    Session.objects.create(session_key="a" * 32, session_data="", expire_date=NOW - DAY)
    Session.objects.create(session_key="b" * 32, session_data="", expire_date=NOW + DAY)
    RateCount.objects.create(name="apply:10.0.0.1:1", hits=3, expires_at=NOW - DAY)
    RateCount.objects.create(name="apply:10.0.0.1:2", hits=3, expires_at=NOW + DAY)
    for days in (1096, 1094):
        _aged(AccessLog, days, "at", user=operator, person=tree.people[0], field="phone")
    return rows


EXPECTED = {
    "gate_visitors": 1,
    # Older than 28 days: check_old (29) and the reviewed fever's check (30); the fever
    # pending review (30) stays.
    "gate_checks": 2,
    "gate_fever_alerts": 1,
    "rejected_applications": 1,
    "health_checks": 2,
    "case_alerts": 2,
    "screening_details": 0,
    "job_files": 2,
    "jobs": 1,
    "login_attempts": 1,
    "login_log": 1,
    "login_failure_log": 1,
    "sessions": 1,
    "rate_counts": 1,
    "access_log": 1,
}


def test_purge_removes_what_expired_and_keeps_the_rest(expired_and_not):
    rows = expired_and_not
    result = retention_purge(now=NOW)
    assert result.counts == EXPECTED
    assert list(result.counts) == list(KINDS)

    visitor = GateCheck.objects.get(pk=rows["visitor_old"].pk)
    assert (visitor.visitor_name, visitor.visitor_phone, visitor.visitor_note) == ("", "", "")
    assert GateCheck.objects.get(pk=rows["visitor_new"].pk).visitor_phone == "13700001111"
    assert not GateCheck.objects.filter(pk=rows["check_old"].pk).exists()
    assert GateCheck.objects.filter(pk=rows["check_new"].pk).exists()
    assert not Alert.objects.filter(pk=rows["fever_30_closed"].pk).exists()
    pending = Alert.objects.get(pk=rows["fever_30_open"].pk)
    assert GateCheck.objects.filter(pk=pending.gate_check_id).exists()
    assert Alert.objects.filter(pk=rows["fever_27_closed"].pk).exists()

    assert not PassApplication.objects.filter(pk=rows["rejected_old"].pk).exists()
    assert PassApplication.objects.filter(pk=rows["rejected_new"].pk).exists()
    assert PassApplication.objects.filter(pk=rows["approved_old"].pk).exists()
    # The rejected application's pass stays as an anonymous revoked token.
    assert Pass.objects.filter(application=None, person=None, revoked_at__isnull=False).count() == 1

    for name, gone in (
        ("case_old", True),
        ("case_transferred", True),
        ("case_new", False),
        ("case_open", False),
    ):
        case = rows[name]
        assert HealthCheck.objects.filter(case=case).exists() is not gone, name
        assert Alert.objects.filter(case=case).exists() is not gone, name
        assert QuarantineCase.objects.filter(pk=case.pk).exists(), name

    assert Job.objects.count() == 2
    assert AccessAttempt.objects.get().username == "u179"
    assert LoginLog.objects.get().username == "u179"
    assert AccessFailureLog.objects.get().username == "u179"
    assert Session.objects.get().session_key == "b" * 32
    assert RateCount.objects.get().name.endswith(":2")
    assert AccessLog.objects.count() == 1


def test_purge_twice_removes_nothing_more_and_is_recorded(expired_and_not):
    retention_purge(now=NOW)
    again = retention_purge(now=NOW)
    assert again.total == 0
    runs = list(Purge.objects.order_by("started_at", "id"))
    assert [run.counts for run in runs] == [EXPECTED, dict.fromkeys(KINDS, 0)]
    assert runs[0].policy == policy_in_force(NOW.date())


def test_dry_run_counts_the_same_and_changes_nothing(expired_and_not, tmp_path):
    dry = retention_purge(now=NOW, dry_run=True)
    assert dry.counts == EXPECTED
    assert not Purge.objects.exists()
    assert GateCheck.objects.get(pk=expired_and_not["visitor_old"].pk).visitor_name == "李四"
    assert (tmp_path / "jobs" / "old.xlsx").exists() and (
        tmp_path / "imports" / "old.xlsx"
    ).exists()
    assert retention_purge(now=NOW).counts == EXPECTED
    assert not (tmp_path / "jobs" / "old.xlsx").exists()
    assert (tmp_path / "imports" / "new.xlsx").exists()


def test_a_case_with_an_alert_still_open_keeps_its_checks(tree):
    case = _closed_case(tree, person=tree.people[2], closed_days=100)
    Alert.objects.filter(case=case).update(status="acknowledged")
    assert retention_purge(now=NOW).counts["health_checks"] == 0
    assert HealthCheck.objects.filter(case=case).exists()


def test_screening_details_are_cleared_and_the_person_time_stays(tree, operator):
    filed = file_with_everything(tree, operator, now=NOW - 100 * DAY)
    assert retention_purge(now=NOW).counts["screening_details"] == 1
    checked = VisitPerson.objects.get(pk=filed.visit_person.pk)
    assert (checked.present, checked.temperature, checked.came_from) == (True, None, "")


def test_periods_follow_the_policy_in_force(tree, operator):
    _check(tree, operator, days=3)
    assert retention_purge(now=NOW).counts["gate_checks"] == 0
    Policy.objects.create(
        code="short",
        name="短期",
        effective_from=NOW.date() - DAY,
        values={"retain_gate_check_days": 2},
    )
    result = retention_purge(now=NOW)
    assert result.policy.code == "short"
    assert result.counts["gate_checks"] == 1


@pytest.mark.parametrize("days", [0, -1, 1.5, True, "7"])
def test_retention_periods_must_be_whole_days(days):
    with pytest.raises(ImproperlyConfigured, match="retain_gate_check_days"):
        PolicyValues.from_json({"retain_gate_check_days": days})


def test_queries_do_not_grow_with_rows(tree, operator):
    """Set-based: ten times the rows (on the same days) costs the same queries."""

    def queries(n: int) -> int:
        for i in range(n):
            _visitor(tree, operator, 40 + (i % 3))
        with CaptureQueriesContext(connection) as captured:
            retention_purge(now=NOW)
        return len(captured)

    assert queries(5) == queries(50)


def test_purge_command_prints_counts_in_chinese(expired_and_not, capsys):
    call_command("purge", "--dry-run")
    out = capsys.readouterr().out
    assert "试运行" in out and "卡口检查" in out
    assert not Purge.objects.exists()


@pytest.mark.postgres
def test_the_whole_purge_counts_the_same_with_months_dropped(expired_and_not):
    """On PostgreSQL, with partitions for the months of these rows: the same counts, and
    the months wholly older than their period are gone as tables (SQLite: the same as
    above, nothing partitioned)."""
    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's")

    def _months(table, *months):
        for year, month in months:
            make_month(table, timezone.make_aware(dt.datetime(year, month, 1)))

    def _exists(name: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            return cursor.fetchone()[0]

    _months("passes_gatecheck", (2020, 4), (2020, 5))
    _months("quarantine_healthcheck", (2019, 11), (2020, 1), (2020, 2), (2020, 3))
    _months("audit_accesslog", (2017, 5), (2017, 6))
    assert retention_purge(now=NOW, dry_run=True).counts == EXPECTED
    assert retention_purge(now=NOW).counts == EXPECTED
    # A released case's checks (January, February) went by a drop; a case still at home
    # keeps its month (November); March is not wholly older than 90 days.
    assert not _exists("quarantine_healthcheck_p2020_01")
    assert not _exists("quarantine_healthcheck_p2020_02")
    assert _exists("quarantine_healthcheck_p2019_11")
    assert _exists("quarantine_healthcheck_p2020_03")
    assert HealthCheck.objects.filter(case=expired_and_not["case_open"]).exists()
    assert not _exists("audit_accesslog_p2017_05") and _exists("audit_accesslog_p2017_06")
    assert AccessLog.objects.count() == 1
    assert retention_purge(now=NOW).total == 0
