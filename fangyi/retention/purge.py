"""The daily purge: personal data the policy no longer needs is removed.

Each kind is one or a few set-based statements (no query per row), in its own
transaction, so an interrupted run leaves every kind either done or untouched and the
next run finishes the work: running twice removes nothing more. The periods are policy
values (`core.policy.PolicyValues.retain_*`) of the version in force today. What is kept,
and why, is in docs/retention.md.

On PostgreSQL gate checks, health checks and the access log are partitioned by month
(`retention.partitions`): a month wholly older than the period whose every row goes is
dropped as a table (DETACH, DROP) after what points at its rows is handled as the rows'
delete would, and counted first; the rest (part of a month, the DEFAULT partition, a
month with a row that stays, SQLite) is deleted row by row.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from axes.models import AccessAttempt, AccessFailureLog
from axes.models import AccessLog as LoginLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.audit.models import AccessLog
from fangyi.core.models import Policy, RateCount
from fangyi.core.policy import PolicyValues, policy_in_force, values_of
from fangyi.health.choices import AlertStatus
from fangyi.health.models import Alert
from fangyi.jobs.choices import JobStatus
from fangyi.jobs.conf import files_dir, setting
from fangyi.jobs.models import Job
from fangyi.jobs.services import jobs_cleanup
from fangyi.passes.choices import ApplicationStatus
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.quarantine.choices import CLOSED_STATES
from fangyi.quarantine.models import HealthCheck, QuarantineCase, Stage
from fangyi.retention.models import Purge
from fangyi.retention.partitions import Partition, partitions_of
from fangyi.screening.models import VisitPerson

# What `fangyi purge` reports, in this order.
KINDS = {
    "gate_visitors": _("gate checks: visitor's name, phone and note cleared"),
    "gate_checks": _("gate checks"),
    "gate_fever_alerts": _("reviewed gate fever alerts"),
    "rejected_applications": _("rejected pass applications"),
    "health_checks": _("health checks of closed quarantine cases"),
    "case_alerts": _("alerts of closed quarantine cases"),
    "screening_details": _("people checked at visits: temperature, symptoms, travel cleared"),
    "job_files": _("job result and upload files"),
    "jobs": _("finished background jobs"),
    "login_attempts": _("failed login counts"),
    "login_log": _("login records"),
    "login_failure_log": _("failed login records"),
    "sessions": _("expired login sessions"),
    "rate_counts": _("ended rate-limit counts"),
    "access_log": _("access log entries (reveals)"),
}

# Files of uploads checked on the import page wait this long for the commit that follows
# (screening.views_io.UPLOAD_KEEP_SECONDS; the same number, not imported from a view).
UPLOAD_KEEP_SECONDS = 24 * 3600


@dataclass
class PurgeResult:
    """What a purge removed (or, dry, would remove): a count per kind of KINDS."""

    policy: Policy
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> Iterator[tuple[str, str, int]]:
        """(kind, label in the active language, count) in the order of KINDS."""
        for kind, label in KINDS.items():
            yield kind, str(label), self.counts.get(kind, 0)


@dataclass(frozen=True)
class _Run:
    now: dt.datetime
    values: PolicyValues
    apply: bool

    def before(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)


def _raw_delete(queryset: QuerySet) -> int:
    """One DELETE statement for the rows of `queryset`.

    Django's delete() loads every row into memory first when other rows point at the
    model (to cascade), which at millions of gate checks is minutes and gigabytes. The
    callers first delete or detach whatever points at these rows."""
    return queryset._raw_delete(queryset.db)


def _old_months(model: type, cutoff: dt.datetime) -> list[Partition]:
    """The month partitions of `model`'s table that end at or before `cutoff` (none on
    SQLite)."""
    return [
        part
        for part in partitions_of(model._meta.db_table)  # type: ignore[attr-defined]
        if part.end is not None and part.end <= cutoff
    ]


def _hold(cursor, part: Partition) -> bool:
    """Lock one month partition for its drop, in the caller's transaction: False when it
    is gone (another purge dropped it). Writes into it wait; reads go on."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [part.name])
    cursor.execute("SELECT to_regclass(%s)", [part.name])
    if cursor.fetchone()[0] is None:
        return False
    cursor.execute(f'LOCK TABLE "{part.name}" IN EXCLUSIVE MODE')
    return True


# A month partition with more rows than this is counted from PostgreSQL's statistics
# (autovacuum's last ANALYZE), not row by row: an exact count reads the whole month
# (a minute at a city's 20 million checks), which the drop itself does not.
EXACT_COUNT_UP_TO = 100_000


def _rows_of(cursor, part: Partition) -> int:
    """The rows a drop of the held partition removes: exact up to EXACT_COUNT_UP_TO, else
    the planner's estimate (within a few per cent; docs/retention.md)."""
    cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [part.name])
    estimate = int(cursor.fetchone()[0])
    if estimate > EXACT_COUNT_UP_TO:
        return estimate
    cursor.execute(f'SELECT count(*) FROM "{part.name}"')
    return int(cursor.fetchone()[0])


def _drop(cursor, part: Partition) -> int:
    """Count the rows of a held partition, then detach and drop it: the count is what the
    drop removed."""
    rows = _rows_of(cursor, part)
    # Foreign keys of rows written earlier in this transaction are checked at commit,
    # which a dropped table cannot wait for: check them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f'ALTER TABLE "{part.table}" DETACH PARTITION "{part.name}"')
    cursor.execute(f'DROP TABLE "{part.name}"')
    return rows


def _gate_visitors(run: _Run) -> dict[str, int]:
    rows = GateCheck.objects.filter(at__lt=run.before(run.values.retain_gate_visitor_days)).exclude(
        visitor_name="", visitor_phone="", visitor_note=""
    )
    if not run.apply:
        return {"gate_visitors": rows.count()}
    return {"gate_visitors": rows.update(visitor_name="", visitor_phone="", visitor_note="")}


def _gate_checks(run: _Run) -> dict[str, int]:
    """Gate checks and their closed alerts, one day at a time from the oldest, so that on
    SQLite the scans at the gates wait for one day's delete at most. A check with an
    alert not yet closed stays (a fever pending review holds the person's pass yellow)."""
    cutoff = run.before(run.values.retain_gate_check_days)
    open_alert = Alert.objects.filter(gate_check=OuterRef("pk")).exclude(status=AlertStatus.CLOSED)
    checks = GateCheck.objects.filter(at__lt=cutoff).exclude(Exists(open_alert))
    alerts = Alert.objects.filter(gate_check__at__lt=cutoff, status=AlertStatus.CLOSED)
    if not run.apply:
        return {"gate_checks": checks.count(), "gate_fever_alerts": alerts.count()}
    counts = {"gate_checks": 0, "gate_fever_alerts": 0}
    for part in _old_months(GateCheck, cutoff):
        # One month a transaction: the drop locks the table of every gate until commit.
        with transaction.atomic(), connection.cursor() as cursor:
            if not _hold(cursor, part):
                continue
            # The alerts on the month's checks: few (fevers), looked up from the alerts
            # by the partition's key, never by reading the month.
            alerts_of: dict[int, list[int]] = {}
            pairs = Alert.objects.filter(gate_check__isnull=False).values_list(
                "gate_check_id", "pk"
            )
            for check_id, alert_id in pairs:
                alerts_of.setdefault(check_id, []).append(alert_id)
            cursor.execute(f'SELECT id FROM "{part.name}" WHERE id = ANY(%s)', [list(alerts_of)])
            on_month = Alert.objects.filter(
                pk__in=[alert for (check,) in cursor.fetchall() for alert in alerts_of[check]]
            )
            if on_month.exclude(status=AlertStatus.CLOSED).exists():
                continue  # a check that stays: this month goes row by row below
            counts["gate_fever_alerts"] += on_month.delete()[0]
            counts["gate_checks"] += _drop(cursor, part)
    oldest = GateCheck.objects.filter(at__lt=cutoff).aggregate(at=Min("at"))["at"]
    while oldest is not None and oldest < cutoff:
        end = min(oldest + dt.timedelta(days=1), cutoff)
        with transaction.atomic():
            counts["gate_fever_alerts"] += alerts.filter(gate_check__at__lt=end).delete()[0]
            counts["gate_checks"] += _raw_delete(checks.filter(at__lt=end))
        oldest = end
    return counts


def _rejected_applications(run: _Run) -> dict[str, int]:
    """Rejected applications hold a full ID number typed by anyone; their pass (revoked on
    rejection) stays as an anonymous revoked token, so that gate checks that showed it
    keep their row and the link still says it is revoked."""
    cutoff = run.before(run.values.retain_rejected_application_days)
    rows = PassApplication.objects.filter(status=ApplicationStatus.REJECTED).filter(
        Q(decided_at__lt=cutoff) | Q(decided_at=None, created_at__lt=cutoff)
    )
    if not run.apply:
        return {"rejected_applications": rows.count()}
    with transaction.atomic():
        Pass.objects.filter(application__in=rows.values("pk")).update(application=None)
        return {"rejected_applications": _raw_delete(rows)}


def _closed_cases(run: _Run) -> QuerySet[QuarantineCase]:
    """Cases closed (released or transferred out) before the health-check period, whose
    alerts are all closed (an open alert is still somebody's work and counted)."""
    cutoff = run.before(run.values.retain_health_check_days)
    late_stage = Stage.objects.filter(case=OuterRef("pk")).filter(
        Q(ended_at__gte=cutoff) | Q(ended_at=None)
    )
    open_alert = Alert.objects.filter(case=OuterRef("pk")).exclude(status=AlertStatus.CLOSED)
    return (
        QuarantineCase.objects.filter(state__in=CLOSED_STATES, created_at__lt=cutoff)
        .exclude(Exists(late_stage))
        .exclude(Exists(open_alert))
    )


def _health_checks(run: _Run) -> dict[str, int]:
    cases = _closed_cases(run).values("pk")
    alerts = Alert.objects.filter(case__in=cases)
    checks = HealthCheck.objects.filter(case__in=cases)
    if not run.apply:
        return {"health_checks": checks.count(), "case_alerts": alerts.count()}
    with transaction.atomic():
        n_alerts = _raw_delete(alerts)
        n_checks = 0
        cases_sql, params = cases.query.sql_with_params()
        for part in _old_months(HealthCheck, run.before(run.values.retain_health_check_days)):
            with connection.cursor() as cursor:
                if not _hold(cursor, part):
                    continue
                cursor.execute(
                    f'SELECT EXISTS (SELECT 1 FROM "{part.name}" '
                    f"WHERE case_id NOT IN ({cases_sql}))",
                    params,
                )
                if not cursor.fetchone()[0]:  # every check of the month goes
                    n_checks += _drop(cursor, part)
        return {"health_checks": n_checks + _raw_delete(checks), "case_alerts": n_alerts}


def _screening_details(run: _Run) -> dict[str, int]:
    """What a team noted about a person at the door; the row stays, as one person-time."""
    rows = VisitPerson.objects.filter(
        visit__at__lt=run.before(run.values.retain_screening_detail_days)
    ).filter(
        Q(temperature__isnull=False)
        | Q(symptoms=True)
        | ~Q(came_from="")
        | Q(came_on__isnull=False)
    )
    if not run.apply:
        return {"screening_details": rows.count()}
    return {
        "screening_details": rows.update(
            temperature=None, symptoms=False, came_from="", came_on=None
        )
    }


def _old_files(folder: Path, keep_seconds: float) -> list[Path]:
    if not folder.is_dir():
        return []
    oldest = time.time() - keep_seconds
    return [p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < oldest]


def _jobs(run: _Run) -> dict[str, int]:
    """Result files of jobs (exports list people) after JOBS_KEEP_SECONDS, uploaded
    import files after a day, and finished job rows after the policy's period."""
    uploads = _old_files(Path(settings.VAR_DIR) / "imports", UPLOAD_KEEP_SECONDS)
    rows = Job.objects.filter(
        status__in=(JobStatus.DONE, JobStatus.FAILED),
        finished_at__lt=run.before(run.values.retain_job_days),
    )
    if not run.apply:
        files = len(_old_files(files_dir(), setting("JOBS_KEEP_SECONDS"))) + len(uploads)
        return {"job_files": files, "jobs": rows.count()}
    files = jobs_cleanup(now=run.now)
    for path in uploads:
        path.unlink(missing_ok=True)
    return {"job_files": files + len(uploads), "jobs": rows.delete()[0]}


def _logins(run: _Run) -> dict[str, int]:
    """django-axes keeps a row per failed login count, login and (if switched on) failure."""
    cutoff = run.before(run.values.retain_login_log_days)
    tables = {
        "login_attempts": AccessAttempt.objects.filter(attempt_time__lt=cutoff),
        "login_log": LoginLog.objects.filter(attempt_time__lt=cutoff),
        "login_failure_log": AccessFailureLog.objects.filter(attempt_time__lt=cutoff),
    }
    if not run.apply:
        return {kind: rows.count() for kind, rows in tables.items()}
    # delete(), not one statement: an attempt may have an expiration row to cascade to.
    return {kind: rows.delete()[1].get(rows.model._meta.label, 0) for kind, rows in tables.items()}


def _expired(run: _Run) -> dict[str, int]:
    log_cutoff = run.before(run.values.retain_access_log_days)
    tables = {
        "sessions": Session.objects.filter(expire_date__lt=run.now),
        "rate_counts": RateCount.objects.filter(expires_at__lt=run.now),
        "access_log": AccessLog.objects.filter(at__lt=log_cutoff),
    }
    if not run.apply:
        return {kind: rows.count() for kind, rows in tables.items()}
    dropped = 0
    for part in _old_months(AccessLog, log_cutoff):
        with transaction.atomic(), connection.cursor() as cursor:
            if _hold(cursor, part):
                dropped += _drop(cursor, part)
    counts = {kind: rows.delete()[0] for kind, rows in tables.items()}
    counts["access_log"] += dropped
    return counts


STEPS: tuple[Callable[[_Run], dict[str, int]], ...] = (
    _gate_visitors,
    _gate_checks,
    _rejected_applications,
    _health_checks,
    _screening_details,
    _jobs,
    _logins,
    _expired,
)


def retention_purge(*, now: dt.datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Remove (or, `dry_run`, count) what the policy in force today no longer needs.

    Records the run (retention.Purge) unless dry."""
    now = now or timezone.now()
    policy = policy_in_force(timezone.localdate(now))
    run = _Run(now=now, values=values_of(policy), apply=not dry_run)
    result = PurgeResult(policy=policy, dry_run=dry_run)
    for step in STEPS:
        # Each step is its own transaction(s): see the module's docstring.
        result.counts.update(step(run))
    if not dry_run:
        Purge.objects.create(
            started_at=now, finished_at=timezone.now(), policy=policy, counts=result.counts
        )
    return result
