"""`fangyi backup` / `fangyi restore`: a backup taken while others write restores to the
database at one moment (every table's rows, checked by count and checksum), and bad
input is refused with a message saying what is wrong, nothing written."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import close_old_connections, connection, transaction
from django.utils import translation

from fangyi.core import backup
from fangyi.core.backup import (
    FILE_EXISTS,
    IN_MEMORY,
    NO_FILE,
    NOT_A_BACKUP,
    NOT_EMPTY,
    NOT_FANGYI,
    TOOL_MISSING,
    WRONG_KIND,
    BackupError,
    backup_database,
    database_tables,
    restore_database,
)

SQLITE_ENGINE = "django.db.backends.sqlite3"


def digest(conn, table: str, *, up_to: int | None = None) -> tuple[int, str]:
    """Row count and sha256 of a table's rows in primary-key order (up to an id if given)."""
    sql = f'SELECT * FROM "{table}"'
    if up_to is not None:
        sql += f" WHERE id <= {int(up_to)}"
    rows = conn.execute(sql + " ORDER BY 1").fetchall()
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(tuple(row)).encode())
    return len(rows), h.hexdigest()


# SQLite: a real file database in tmp_path, runs on every backend --------------------------


def _sqlite_source(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(
        """
        CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT);
        CREATE TABLE zone (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE person (id INTEGER PRIMARY KEY, zone_id INTEGER REFERENCES zone(id),
                             name TEXT NOT NULL, note TEXT);
        CREATE TABLE gate_check (id INTEGER PRIMARY KEY, person_id INTEGER
                                 REFERENCES person(id), temperature REAL);
        """
    )
    conn.execute("BEGIN")
    conn.execute("INSERT INTO django_migrations (app, name) VALUES ('core', '0001_initial')")
    conn.executemany("INSERT INTO zone (name) VALUES (?)", [(f"围合区{i}",) for i in range(50)])
    # ~2 MB, so that the copy takes many steps for the writes to land between.
    conn.executemany(
        "INSERT INTO person (zone_id, name, note) VALUES (?, ?, ?)",
        [(i % 50 + 1, f"居民{i}", "备注" * 100) for i in range(3000)],
    )
    conn.executemany(
        "INSERT INTO gate_check (person_id, temperature) VALUES (?, 36.5)",
        [(i + 1,) for i in range(3000)],
    )
    conn.execute("COMMIT")
    conn.close()


def _write_pair(conn: sqlite3.Connection, name: str) -> None:
    """One resident and their gate check, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    cur = conn.execute(
        "INSERT INTO person (zone_id, name, note) VALUES (1, ?, ?)", (name, "写" * 300)
    )
    conn.execute(
        "INSERT INTO gate_check (person_id, temperature) VALUES (?, 37.5)", (cur.lastrowid,)
    )
    conn.execute("COMMIT")


def test_sqlite_backup_taken_during_writes_restores_one_moment(tmp_path):
    source = tmp_path / "fangyi.sqlite3"
    _sqlite_source(source)
    db = {"ENGINE": SQLITE_ENGINE, "NAME": str(source)}

    # A writer that goes on all the time, as a serving district does.
    stop = threading.Event()
    written = [0]

    def writer():
        conn = sqlite3.connect(source, isolation_level=None, timeout=30)
        while not stop.is_set():
            _write_pair(conn, f"新{written[0]}")
            written[0] += 1
            time.sleep(0.001)
        conn.close()

    # And writes that land, provably, while the copy is under way: at every progress line.
    during = sqlite3.connect(source, isolation_level=None, timeout=30)
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if "%" in line:  # a progress line: the copy is half done
            _write_pair(during, f"中途{len(lines)}")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 20:
            time.sleep(0.005)
        backup_database(db, tmp_path / "b.sqlite3", say=say)
        at_end = written[0]
        while written[0] < at_end + 20:  # writes after the backup, too
            time.sleep(0.005)
    finally:
        stop.set()
        thread.join()
    during.close()

    # Progress was shown (a line per stage, percentages while copying), and each line
    # committed a write in the middle of the copy.
    progress = [line for line in lines if "%" in line]
    assert len(progress) >= 3, lines

    target = tmp_path / "restored" / "fangyi.sqlite3"
    restore_database({"ENGINE": SQLITE_ENGINE, "NAME": str(target)}, tmp_path / "b.sqlite3")

    src = sqlite3.connect(source)
    out = sqlite3.connect(target)
    assert out.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = [
        r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    ]
    assert sorted(tables) == sorted(
        r[0] for r in out.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    )
    # Tables nobody wrote to: identical. Written ones: exactly the source's rows up to the
    # last id in the copy (the rows were only appended), and both tables of each
    # transaction agree: a snapshot, not a mix of before and after.
    for table in ("django_migrations", "zone"):
        assert digest(out, table) == digest(src, table)
    restored = {}
    for table in ("person", "gate_check"):
        last = out.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
        restored[table] = digest(out, table)
        assert restored[table] == digest(src, table, up_to=last)
    n_person, n_check = restored["person"][0], restored["gate_check"][0]
    assert n_person == n_check
    assert n_person >= 3000 + 20  # the writes before the backup are in it
    # None of the writes made during the copy is, nor those after it.
    assert out.execute("SELECT count(*) FROM person WHERE name LIKE '中途%'").fetchone()[0] == 0
    assert n_person < src.execute("SELECT count(*) FROM person").fetchone()[0] - len(progress)
    src.close()
    out.close()


def test_sqlite_restore_refuses_a_database_with_tables(tmp_path):
    source = tmp_path / "a.sqlite3"
    _sqlite_source(source)
    db = {"ENGINE": SQLITE_ENGINE, "NAME": str(source)}
    backup_database(db, tmp_path / "b.sqlite3")
    with pytest.raises(BackupError) as err:
        restore_database(db, tmp_path / "b.sqlite3")
    assert str(err.value) == NOT_EMPTY % {
        "name": source,
        "count": 4,
        "tables": "django_migrations, gate_check, person",
    }
    # An existing file without tables is empty: restored into.
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    assert restore_database({"ENGINE": SQLITE_ENGINE, "NAME": str(empty)}, tmp_path / "b.sqlite3")
    assert len(database_tables({"ENGINE": SQLITE_ENGINE, "NAME": str(empty)})) == 4


def test_sqlite_backup_of_another_database_is_not_restored(tmp_path):
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError) as err:
        restore_database({"ENGINE": SQLITE_ENGINE, "NAME": str(tmp_path / "new.sqlite3")}, other)
    assert str(err.value) == NOT_FANGYI % {"file": other, "table": "django_migrations"}
    assert not (tmp_path / "new.sqlite3").exists()


# The commands, on the test database of whichever backend runs -------------------------


@pytest.mark.django_db
def test_backup_never_overwrites_a_file(tmp_path):
    existing = tmp_path / "b.dump"
    existing.write_bytes(b"yesterday's backup")
    with translation.override("zh-hans"), pytest.raises(CommandError) as err:
        call_command("backup", str(existing))
    assert str(err.value) == str(FILE_EXISTS % {"file": existing})
    assert "已存在" in str(err.value)
    assert existing.read_bytes() == b"yesterday's backup"
    assert [p.name for p in tmp_path.iterdir()] == ["b.dump"]


@pytest.mark.django_db
def test_restore_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("不是备份")
    with pytest.raises(CommandError) as err:
        call_command("restore", str(junk))
    assert str(err.value) == str(NOT_A_BACKUP % {"file": junk})
    with pytest.raises(CommandError) as err:
        call_command("restore", str(tmp_path / "missing.dump"))
    assert str(err.value) == str(NO_FILE % {"file": tmp_path / "missing.dump"})
    assert "不存在" in str(err.value)


@pytest.mark.django_db
def test_restore_refuses_the_live_database(tmp_path):
    """The database the tests run on has every table: a restore into it is refused."""
    dump = tmp_path / "b.dump"
    if connection.vendor == "sqlite":
        _sqlite_source(dump)  # the tests' SQLite database is in memory: no file to copy
    else:
        call_command("backup", str(dump), stdout=_Lines([]))
    name = connection.settings_dict["NAME"]
    tables = database_tables(connection.settings_dict)
    assert "people_person" in tables
    with translation.override("zh-hans"), pytest.raises(CommandError) as err:
        call_command("restore", str(dump), stdout=_Lines([]))
    assert str(err.value) == str(
        NOT_EMPTY % {"name": name, "count": len(tables), "tables": ", ".join(sorted(tables)[:3])}
    )
    assert "不是空的" in str(err.value)


def test_restore_refuses_a_backup_of_the_other_kind(tmp_path):
    source = tmp_path / "a.sqlite3"
    _sqlite_source(source)
    pg = {"ENGINE": "django.db.backends.postgresql", "NAME": "fangyi_restore"}
    with pytest.raises(BackupError) as err:
        restore_database(pg, source)
    assert str(err.value) == WRONG_KIND % {
        "file": source,
        "kind": "SQLite",
        "target": "PostgreSQL",
    }


def test_backup_of_an_in_memory_database_is_refused(tmp_path):
    with pytest.raises(BackupError) as err:
        backup_database({"ENGINE": SQLITE_ENGINE, "NAME": ":memory:"}, tmp_path / "b")
    assert str(err.value) == IN_MEMORY % {"name": ":memory:"}
    assert list(tmp_path.iterdir()) == []


def test_missing_pg_dump_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    monkeypatch.setattr(backup, "PG_LIB_DIR", tmp_path / "postgresql")
    pg = {"ENGINE": "django.db.backends.postgresql", "NAME": "fangyi"}
    with pytest.raises(BackupError) as err:
        backup_database(pg, tmp_path / "b.dump")
    assert str(err.value) == TOOL_MISSING % {"tool": "pg_dump"}
    assert "postgresql-client" in str(err.value)
    assert not (tmp_path / "b.dump").exists()
    # Debian's versioned directory is found when PATH lacks the program: the newest.
    for version in ("9", "15", "13"):
        program = tmp_path / "postgresql" / version / "bin" / "pg_dump"
        program.parent.mkdir(parents=True)
        program.touch()
    assert backup._tool("pg_dump") == str(tmp_path / "postgresql" / "15" / "bin" / "pg_dump")


# PostgreSQL: pg_dump of the test database while another connection writes --------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_taken_during_writes_restores_one_moment(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "pg_dump/pg_restore back up PostgreSQL only; the SQLite path is tested on a file "
            "database above"
        )
    import psycopg

    source_db = dict(connection.settings_dict)
    target_db = {**source_db, "NAME": f"{source_db['NAME']}_restore"}
    for n in range(30):
        Group.objects.create(name=f"组{n}")
        User.objects.create(username=f"u{n}")
    base_groups, base_users = Group.objects.count(), User.objects.count()

    stop = threading.Event()
    written = [0]

    def writer():
        try:
            while not stop.is_set():
                with transaction.atomic():  # a group and a user, always together
                    Group.objects.create(name=f"写{written[0]}")
                    User.objects.create(username=f"w{written[0]}")
                written[0] += 1
        finally:
            close_old_connections()
            connection.close()

    with connection.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{target_db["NAME"]}"')
        cur.execute(f'CREATE DATABASE "{target_db["NAME"]}"')
    thread = threading.Thread(target=writer)
    thread.start()
    lines: list[str] = []
    try:
        while written[0] < 20:
            time.sleep(0.005)
        started = written[0]
        call_command("backup", str(tmp_path / "fangyi.dump"), stdout=_Lines(lines))
        ended = written[0]
        while written[0] < ended + 20:
            time.sleep(0.005)
    finally:
        stop.set()
        thread.join()
    assert ended > started, "the writer kept writing while pg_dump ran"
    assert any("pg_dump" in line for line in lines)

    try:
        restore_database(target_db, tmp_path / "fangyi.dump")
        with _pg(psycopg, source_db) as src, _pg(psycopg, target_db) as out:
            tables = [
                r[0]
                for r in src.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            ]
            assert len(tables) > 50
            assert sorted(tables) == sorted(
                r[0]
                for r in out.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            )
            written_to = {"auth_group", "auth_user"}
            for table in sorted(set(tables) - written_to):
                assert digest(out, table) == digest(src, table), table
            restored = {}
            last = {}
            for table in sorted(written_to):
                last[table] = out.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
                restored[table] = digest(out, table)
                assert restored[table] == digest(src, table, up_to=last[table]), table
            groups = restored["auth_group"][0] - base_groups
            users = restored["auth_user"][0] - base_users
            assert groups == users  # one moment: never a group without its user
            assert started <= groups < written[0]
            # The sequences came along: the next row gets a new id.
            assert (
                out.execute("SELECT nextval('auth_group_id_seq')").fetchone()[0]
                > last["auth_group"]
            )
    finally:
        with connection.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{target_db["NAME"]}" WITH (FORCE)')


class _Lines:
    def __init__(self, lines: list[str]):
        self.lines = lines

    def write(self, text: str) -> None:
        self.lines.append(text)

    def flush(self) -> None:
        pass


def _pg(psycopg, db):
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
        autocommit=True,
    )
