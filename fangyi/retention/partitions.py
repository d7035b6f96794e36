"""Monthly partitions of the event tables on PostgreSQL (issue 16, docs/retention.md).

Gate checks, health checks and the access log only grow: on PostgreSQL each is
declaratively partitioned by RANGE of its time column `at`, one partition per calendar
month in Asia/Shanghai time (the time zone of every day boundary in fangyi, so a month's
partition holds exactly that month's checks as the district counts them), named
`<table>_pYYYY_MM`, plus a DEFAULT partition `<table>_default` that takes any row no month
partition holds, so an insert never fails. The primary key is (id, at) in the database;
Django keeps `id` as its key (ids come from one sequence, so they stay unique).

`ensure_partitions` makes the current month's and the next months' partitions (the
worker runs it daily; the migration once), moving rows that had landed in the DEFAULT
partition into their month's new partition. The purge (`retention.purge`) drops the
partitions of months wholly older than the retention period. On SQLite the tables stay
plain and every function here does nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

# table -> the time column it is partitioned by. By name, not by model, so that the
# migration that converts the tables and the code agree without importing the apps.
PARTITIONED = {
    "passes_gatecheck": "at",
    "quarantine_healthcheck": "at",
    "audit_accesslog": "at",
}

_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    """One partition of a partitioned table: its month [start, end), or the DEFAULT one
    (start and end None)."""

    table: str
    name: str
    start: dt.datetime | None
    end: dt.datetime | None

    @property
    def is_default(self) -> bool:
        return self.start is None


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_start(moment: dt.datetime) -> dt.datetime:
    """The first instant of the month of `moment`, in the local time zone."""
    local = moment.astimezone(_zone()) if timezone.is_aware(moment) else moment
    return dt.datetime(local.year, local.month, 1, tzinfo=_zone())


def next_month(start: dt.datetime) -> dt.datetime:
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return dt.datetime(year, month, 1, tzinfo=_zone())


def partition_name(table: str, start: dt.datetime) -> str:
    return f"{table}_p{start:%Y_%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _conn(using: str | BaseDatabaseWrapper) -> BaseDatabaseWrapper:
    return connections[using] if isinstance(using, str) else using


def is_partitioned(table: str, *, using: str | BaseDatabaseWrapper = DEFAULT_DB_ALIAS) -> bool:
    """Whether `table` is a partitioned table (never on SQLite)."""
    conn = _conn(using)
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))",
            [table],
        )
        return bool(cursor.fetchone()[0])


def partitions_of(
    table: str, *, using: str | BaseDatabaseWrapper = DEFAULT_DB_ALIAS
) -> list[Partition]:
    """The partitions of `table`, months in order and the DEFAULT one last; [] when the
    table is not partitioned."""
    conn = _conn(using)
    if not is_partitioned(table, using=conn):
        return []
    with conn.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(%s)""",
            [table],
        )
        rows = cursor.fetchall()
    months, default = [], []
    for name, bound in rows:
        found = _BOUNDS.search(bound or "")
        if found is None:
            default.append(Partition(table, name, None, None))
            continue
        start, end = (dt.datetime.fromisoformat(v) for v in found.groups())
        months.append(Partition(table, name, start, end))
    months.sort(key=lambda p: p.start)  # type: ignore[arg-type, return-value]
    return months + default


def _literal(moment: dt.datetime) -> str:
    """A timestamp with its offset as an SQL literal: DDL takes no parameters when the
    connection binds them on the server (core/env.py)."""
    return f"'{moment.isoformat()}'::timestamptz"


def _columns(cursor, table: str) -> str:
    cursor.execute(
        """SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s)
        AND attnum > 0 AND NOT attisdropped ORDER BY attnum""",
        [table],
    )
    return ", ".join(f'"{name}"' for (name,) in cursor.fetchall())


def make_month(
    table: str, start: dt.datetime, *, using: str | BaseDatabaseWrapper = DEFAULT_DB_ALIAS
) -> bool:
    """Make the partition of the month beginning at `start` if it is missing, moving the
    rows of that month out of the DEFAULT partition into it. True if it was made.

    The new table is filled first and then attached, because PostgreSQL refuses to make a
    partition for a range that the DEFAULT partition already holds rows of."""
    conn = _conn(using)
    column = PARTITIONED[table]
    name = partition_name(table, start)
    end = next_month(start)
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        # Two callers at once (two workers, a worker and the migration) make it once.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [table])
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:
            return False
        columns = _columns(cursor, table)
        cursor.execute(
            f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
            f"INCLUDING STORAGE)"
        )
        # The range as a check first: ATTACH then need not scan the new table again.
        cursor.execute(
            f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_range" '
            f'CHECK ("{column}" IS NOT NULL AND "{column}" >= {_literal(start)} '
            f'AND "{column}" < {_literal(end)})'
        )
        default = default_name(table)
        cursor.execute("SELECT to_regclass(%s)", [default])
        if cursor.fetchone()[0] is not None:
            cursor.execute(
                f'WITH moved AS (DELETE FROM "{default}" WHERE "{column}" >= {_literal(start)} '
                f'AND "{column}" < {_literal(end)} RETURNING {columns}) '
                f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM moved'
            )
        cursor.execute(
            f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" '
            f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})"
        )
        cursor.execute(f'ALTER TABLE "{name}" DROP CONSTRAINT "{name}_range"')
    return True


def ensure_partitions(*, now: dt.datetime | None = None, months_ahead: int = 2) -> list[str]:
    """Make the partitions of the current month and of the `months_ahead` next months of
    every partitioned table where they are missing (rows of those months waiting in the
    DEFAULT partition are moved into them). Returns the names of the partitions made;
    does nothing on SQLite or where a table is not partitioned. Run daily by the worker;
    running it again makes nothing."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        return []
    first = month_start(now or timezone.now())
    made = []
    for table in PARTITIONED:
        if not is_partitioned(table, using=conn):
            continue
        start = first
        for _ in range(months_ahead + 1):
            if make_month(table, start, using=conn):
                made.append(partition_name(table, start))
            start = next_month(start)
    return made


def rows_in(partition: Partition, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """The exact number of rows of one partition."""
    with connections[using].cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{partition.name}"')
        return int(cursor.fetchone()[0])


# --- converting a plain table (the migration) ------------------------------------------


def _indexes_and_constraints(cursor, table: str) -> tuple[list, list]:
    """The table's indexes that no constraint owns (partial unique ones included), and
    its unique, exclusion and foreign-key constraints, each as (name, definition), to be
    made again on the new table under the same names."""
    cursor.execute(
        """SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
        ORDER BY c.relname""",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = to_regclass(%s) AND contype IN ('u', 'x', 'f')
        ORDER BY contype DESC, conname""",
        [table],
    )
    return indexes, cursor.fetchall()


def partition_table(
    conn: BaseDatabaseWrapper, table: str, *, now: dt.datetime | None = None
) -> list[str]:
    """Turn the plain table `table` into a table partitioned by month (PostgreSQL only):
    the same columns, defaults, checks, indexes and foreign keys, the primary key
    (id, time), ids going on from the same number, a DEFAULT partition, one partition per
    month from the oldest row's to the current one, every row moved. Returns the names
    of the partitions made. Called by the migration retention 0002, in its transaction."""
    column = PARTITIONED[table]
    old = f"{table}_unpartitioned"
    with conn.cursor() as cursor:
        # Foreign keys checked at commit would stop the ALTERs below ("pending trigger
        # events") when rows were written earlier in the same transaction: check them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        indexes, constraints = _indexes_and_constraints(cursor, table)
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'",
            [table],
        )
        (pkey,) = cursor.fetchone()
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (sequence,) = cursor.fetchone()
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
        last_value, is_called = cursor.fetchone()

        # The old table gives up its names: the index and key names are schema-wide.
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE "{old}" DROP CONSTRAINT "{name}"')
        cursor.execute(f'ALTER TABLE "{old}" DROP CONSTRAINT "{pkey}"')
        cursor.execute(f'ALTER TABLE "{old}" ALTER COLUMN id DROP IDENTITY IF EXISTS')
        cursor.execute(f'ALTER TABLE "{old}" ALTER COLUMN id DROP DEFAULT')
        cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence}")

        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
            f'INCLUDING STORAGE) PARTITION BY RANGE ("{column}")'
        )
        cursor.execute(f'CREATE SEQUENCE "{table}_id_seq" OWNED BY "{table}".id')
        cursor.execute("SELECT setval(%s, %s, %s)", [f"{table}_id_seq", last_value, is_called])
        cursor.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN id SET DEFAULT nextval(\'"{table}_id_seq"\')'
        )
        cursor.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{pkey}" PRIMARY KEY (id, "{column}")'
        )
        cursor.execute(f'CREATE TABLE "{default_name(table)}" PARTITION OF "{table}" DEFAULT')

        cursor.execute(f'SELECT min("{column}") FROM "{old}"')
        (oldest,) = cursor.fetchone()
    made = []
    last = month_start(now or timezone.now())
    start = month_start(oldest) if oldest is not None and oldest < last else last
    while start <= last:
        if make_month(table, start, using=conn):
            made.append(partition_name(table, start))
        start = next_month(start)
    with conn.cursor() as cursor:
        columns = _columns(cursor, table)
        cursor.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{old}"')
        cursor.execute(f'DROP TABLE "{old}"')
        # On the partitioned table: PostgreSQL makes them on every partition, present
        # and future.
        for _, definition in indexes:
            cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    return made


def unpartition_table(conn: BaseDatabaseWrapper, table: str) -> None:
    """The reverse of `partition_table`: one plain table again, with the key (id)."""
    old = f"{table}_partitioned"
    with conn.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        indexes, constraints = _indexes_and_constraints(cursor, table)
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'",
            [table],
        )
        (pkey,) = cursor.fetchone()
        cursor.execute(f'SELECT last_value, is_called FROM "{table}_id_seq"')
        last_value, is_called = cursor.fetchone()
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE "{old}" DROP CONSTRAINT "{name}"')
        cursor.execute(f'ALTER TABLE "{old}" DROP CONSTRAINT "{pkey}"')
        cursor.execute(f'ALTER TABLE "{old}" ALTER COLUMN id DROP DEFAULT')
        cursor.execute(f'DROP SEQUENCE "{table}_id_seq"')
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
            f"INCLUDING STORAGE)"
        )
        cursor.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY'
        )
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{pkey}" PRIMARY KEY (id)')
        columns = _columns(cursor, table)
        cursor.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{old}"')
        cursor.execute(f'DROP TABLE "{old}" CASCADE')
        for _, definition in indexes:
            cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
