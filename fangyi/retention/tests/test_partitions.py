"""Monthly partitions of gate checks, health checks and the access log (PostgreSQL), and
the purge dropping old months; SQLite keeps plain tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from fangyi.core.policy import policy_in_force
from fangyi.health.models import Alert
from fangyi.passes.models import GateCheck
from fangyi.quarantine.models import HealthCheck
from fangyi.retention.partitions import (
    PARTITIONED,
    ensure_partitions,
    is_partitioned,
    make_month,
    partition_table,
    partitions_of,
    unpartition_table,
)
from fangyi.retention.services import retention_purge
from fangyi.retention.tests.test_purge import NOW, _closed_case

TABLES = list(PARTITIONED)


def local(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def pg(db):
    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's; SQLite keeps plain tables (tested below)")


def _one(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _exists(name: str) -> bool:
    return _one("SELECT to_regclass(%s) IS NOT NULL", [name])


def _partition_of(model, pk: int) -> str:
    return _one(f"SELECT tableoid::regclass::text FROM {model._meta.db_table} WHERE id = %s", [pk])


def _months(table: str, *starts: tuple[int, int]) -> None:
    for year, month in starts:
        make_month(table, local(year, month, 1))


def _check(tree, operator, at: dt.datetime, **fields) -> GateCheck:
    zone = tree.zones[0]
    return GateCheck.objects.create(
        gate=zone.gates.get(), zone=zone, guard=operator, at=at, method="scan",
        colour="green", reason="", policy=policy_in_force(at.date()), **fields,
    )  # fmt: skip


def _fever_alert(check: GateCheck, status: str) -> Alert:
    return Alert.objects.create(
        kind="fever", source="gate", gate_check=check, zone=check.zone, date=check.at.date(),
        temperature=Decimal("37.9"), status=status, created_at=check.at,
    )  # fmt: skip


# --- the tables -------------------------------------------------------------------------


def test_sqlite_keeps_plain_tables_and_the_functions_do_nothing(db, capsys):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite run checks the plain tables")
    assert [is_partitioned(table) for table in TABLES] == [False, False, False]
    assert ensure_partitions() == []
    assert partitions_of("passes_gatecheck") == []
    call_command("partitions", "--ensure")
    assert capsys.readouterr().out.strip() == "此数据库不是 PostgreSQL：其表未分区。"


@pytest.mark.postgres
def test_after_migrate_each_table_is_partitioned_by_month_with_a_default(pg):
    this_month = timezone.localtime().strftime("%Y_%m")
    for table in TABLES:
        assert _one("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = %s::regclass", [table]) == "r"  # fmt: skip
        names = _one(
            "SELECT array_agg(inhrelid::regclass::text) FROM pg_inherits "
            "WHERE inhparent = %s::regclass",
            [table],
        )
        assert f"{table}_default" in names and f"{table}_p{this_month}" in names
        # The key is (id, at); Django still uses id alone.
        assert _one(
            "SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s::regclass AND i.indisprimary",
            [table],
        ) == ["id", "at"]
        # No foreign key can point at it (the alerts' are not in the database).
        assert _one("SELECT count(*) FROM pg_constraint WHERE confrelid = %s::regclass", [table]) == 0  # fmt: skip
    # Its own keys and indexes are there, on every partition.
    indexes = _one(
        "SELECT array_agg(indexname::text) FROM pg_indexes WHERE tablename = 'passes_gatecheck'"
    )
    assert {
        "gatecheck_zone_at_idx",
        "gatecheck_at_idx",
        "gatecheck_person_at_idx",
        "gatecheck_client_id_at_uniq",  # an offline check is recorded once (passes 0008)
    } <= set(indexes)
    assert _one(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        [f"passes_gatecheck_p{this_month}"],
    ) == 6  # fmt: skip


@pytest.mark.postgres
def test_a_check_on_the_last_second_of_a_month_and_the_first_of_the_next(pg, tree, operator):
    made = ensure_partitions(now=local(2020, 3, 15), months_ahead=1)
    assert made == [f"{table}_p{month}" for table in TABLES for month in ("2020_03", "2020_04")]
    last = _check(tree, operator, local(2020, 3, 31, 23, 59, 59))
    first = _check(tree, operator, local(2020, 4, 1, 0, 0, 0))
    assert _partition_of(GateCheck, last.pk) == "passes_gatecheck_p2020_03"
    assert _partition_of(GateCheck, first.pk) == "passes_gatecheck_p2020_04"
    # Months are Shanghai's: 16:00 UTC on the 31st is already April.
    utc = _check(tree, operator, dt.datetime(2020, 3, 31, 16, tzinfo=dt.UTC))
    assert _partition_of(GateCheck, utc.pk) == "passes_gatecheck_p2020_04"
    # A month with no partition yet: the DEFAULT one takes it, the insert does not fail.
    later = _check(tree, operator, local(2020, 9, 1))
    assert _partition_of(GateCheck, later.pk) == "passes_gatecheck_default"


@pytest.mark.postgres
def test_ensure_partitions_makes_months_ahead_once(pg):
    made = ensure_partitions(now=local(2020, 12, 20))
    months = ("2020_12", "2021_01", "2021_02")
    assert made == [f"{table}_p{month}" for table in TABLES for month in months]
    assert ensure_partitions(now=local(2020, 12, 20)) == []
    assert ensure_partitions(now=local(2021, 1, 2)) == [f"{t}_p2021_03" for t in TABLES]


@pytest.mark.postgres
def test_rows_in_the_default_partition_move_when_their_month_is_made(pg, tree, operator):
    check = _check(tree, operator, local(2020, 7, 10, 8))
    alert = _fever_alert(check, "open")
    case = _closed_case(tree, person=tree.people[2], closed_days=0)
    reading = HealthCheck.objects.filter(case=case).get()
    HealthCheck.objects.filter(pk=reading.pk).update(at=local(2020, 7, 3))
    august = _check(tree, operator, local(2020, 8, 1, 8))
    assert _partition_of(GateCheck, check.pk) == "passes_gatecheck_default"

    assert "passes_gatecheck_p2020_07" in ensure_partitions(now=local(2020, 7, 1), months_ahead=0)
    assert _partition_of(GateCheck, check.pk) == "passes_gatecheck_p2020_07"
    assert _partition_of(HealthCheck, reading.pk) == "quarantine_healthcheck_p2020_07"
    # Another month's row stays where it was; nothing is lost or doubled.
    assert _partition_of(GateCheck, august.pk) == "passes_gatecheck_default"
    assert GateCheck.objects.filter(pk__in=[check.pk, august.pk]).count() == 2
    assert Alert.objects.get(pk=alert.pk).gate_check == check


@pytest.mark.postgres
def test_the_conversion_moves_existing_rows_and_ids_go_on(pg, tree, operator):
    """What the migration does to a table with rows (run here on the test database)."""
    now = timezone.now()
    old = [_check(tree, operator, now - dt.timedelta(days=days)) for days in (45, 20, 0)]
    unpartition_table(connection, "passes_gatecheck")
    assert not is_partitioned("passes_gatecheck")
    assert GateCheck.objects.count() == 3

    made = partition_table(connection, "passes_gatecheck")
    assert made and made[-1] == f"passes_gatecheck_p{timezone.localtime(now):%Y_%m}"
    assert is_partitioned("passes_gatecheck")
    for check in old:
        assert _partition_of(GateCheck, check.pk) != "passes_gatecheck_default"
        assert GateCheck.objects.get(pk=check.pk).at == check.at
    assert _check(tree, operator, now).pk > max(c.pk for c in old)
    assert _one(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'passes_gatecheck'::regclass "
        "AND contype = 'f'"
    ) == 6  # fmt: skip


@pytest.mark.postgres
def test_the_command_lists_partitions_with_their_rows(pg, tree, operator, capsys):
    ensure_partitions(now=local(2020, 3, 1), months_ahead=0)
    _check(tree, operator, local(2020, 3, 2))
    call_command("partitions")
    out = capsys.readouterr().out
    assert "passes_gatecheck_p2020_03  2020-03-01 – 2020-04-01  行数：1" in out
    assert "audit_accesslog_default" in out


# --- the purge --------------------------------------------------------------------------


@pytest.mark.postgres
def test_an_old_month_is_purged_by_a_drop(pg, tree, operator):
    """NOW is 1 June 2020: gate checks go after 28 days, before 4 May. March is wholly
    older and dropped; April holds a fever pending review and goes row by row; May is
    partly older."""
    _months("passes_gatecheck", (2020, 3), (2020, 4), (2020, 5))
    march = [_check(tree, operator, local(2020, 3, day)) for day in (1, 15, 31)]
    reviewed = _fever_alert(march[1], "closed")
    april = [_check(tree, operator, local(2020, 4, day)) for day in (2, 20)]
    pending = _fever_alert(april[0], "open")
    may = [_check(tree, operator, local(2020, 5, day)) for day in (1, 20)]

    dry = retention_purge(now=NOW, dry_run=True).counts
    result = retention_purge(now=NOW).counts
    assert (result["gate_checks"], result["gate_fever_alerts"]) == (5, 1)
    assert (dry["gate_checks"], dry["gate_fever_alerts"]) == (5, 1)
    assert not _exists("passes_gatecheck_p2020_03")
    assert _exists("passes_gatecheck_p2020_04") and _exists("passes_gatecheck_p2020_05")
    assert not Alert.objects.filter(pk=reviewed.pk).exists()
    assert set(GateCheck.objects.values_list("pk", flat=True)) == {april[0].pk, may[1].pk}
    assert Alert.objects.get(pk=pending.pk).gate_check == april[0]

    again = retention_purge(now=NOW).counts
    assert (again["gate_checks"], again["gate_fever_alerts"]) == (0, 0)


@pytest.mark.postgres
def test_a_big_month_is_counted_from_the_statistics_without_reading_it(
    pg, tree, operator, monkeypatch
):
    """Above EXACT_COUNT_UP_TO rows the drop reports PostgreSQL's estimate (ANALYZE's,
    exact for a month this small) and reads neither the month nor its rows' alerts by a
    scan of the month: a city's month is dropped in milliseconds, not counted for a minute."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fangyi.retention import purge

    _months("passes_gatecheck", (2020, 3), (2020, 5))
    march = [_check(tree, operator, local(2020, 3, day)) for day in (1, 2, 3, 4)]
    reviewed = _fever_alert(march[2], "closed")
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "passes_gatecheck_p2020_03"')
    monkeypatch.setattr(purge, "EXACT_COUNT_UP_TO", 1)
    with CaptureQueriesContext(connection) as queries:
        result = retention_purge(now=NOW).counts
    assert (result["gate_checks"], result["gate_fever_alerts"]) == (4, 1)
    assert not _exists("passes_gatecheck_p2020_03")
    assert not Alert.objects.filter(pk=reviewed.pk).exists()
    on_march = [q["sql"] for q in queries.captured_queries if "p2020_03" in q["sql"]]
    assert not any("count(" in sql.lower() for sql in on_march), on_march
    assert any("= ANY(" in sql for sql in on_march), on_march
