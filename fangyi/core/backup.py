"""Backup and restore of the whole database (`fangyi backup FILE`, `fangyi restore FILE`).

SQLite: the online backup API copies the file page by page in one step, under one read
transaction, so the copy is the database at one moment while the server goes on
writing (WAL lets the writers continue). PostgreSQL: `pg_dump --format=custom`, which
reads every table in one snapshot; `pg_restore` puts it back into an empty database.

A backup is written beside its final name and moved there only once it is complete and
checked, so a FILE that exists is always a whole backup. The password reaches pg_dump and
pg_restore through the PGPASSWORD environment variable, never on the command line,
where every user of the machine could read it. docs/backup.md has the operator's side.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
# Every fangyi database has Django's migration table: a database file without it
# is something else.
MARKER_TABLE = "django_migrations"

FILE_EXISTS = gettext_lazy(
    "%(file)s already exists: give a new file name (a backup never overwrites)."
)
NO_FILE = gettext_lazy("%(file)s does not exist.")
NOT_A_BACKUP = gettext_lazy(
    "%(file)s is not a fangyi backup (neither an SQLite database nor a pg_dump custom-format file)."
)
NOT_FANGYI = gettext_lazy(
    "%(file)s is a database but not a fangyi one (it has no %(table)s table)."
)
DAMAGED = gettext_lazy("%(file)s is damaged: %(reason)s")
WRONG_KIND = gettext_lazy(
    "%(file)s is a backup of a %(kind)s database; the database to restore into is %(target)s."
)
NOT_EMPTY = gettext_lazy(
    "The database %(name)s is not empty (%(count)d tables, e.g. %(tables)s): restore only "
    "into an empty database. Create a new one (or drop and re-create this one) and run "
    "the restore again."
)
TOOL_MISSING = gettext_lazy(
    "%(tool)s was not found: install the Debian package postgresql-client "
    "(apt-get install postgresql-client), of the server's major version or newer."
)
TOOL_FAILED = gettext_lazy("%(tool)s failed (exit code %(code)d): %(detail)s")
UNSUPPORTED = gettext_lazy("Backups support SQLite and PostgreSQL, not %(engine)s.")
IN_MEMORY = gettext_lazy("The database %(name)s lives in memory only: there is no file to back up.")

SQLITE = "sqlite3"
# Pages copied per step of an SQLite backup (at least; a twentieth of the file for big ones).
SQLITE_MIN_STEP = 64
# Where Debian puts each PostgreSQL version's programs (/usr/lib/postgresql/15/bin/pg_dump).
PG_LIB_DIR = Path("/usr/lib/postgresql")
POSTGRESQL = "postgresql"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


Say = Callable[[str], None]


def _quiet(_line: str) -> None:
    pass


def _kind(database: Mapping[str, Any]) -> str:
    engine = str(database.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        return SQLITE
    if engine.endswith("postgresql"):
        return POSTGRESQL
    raise BackupError(UNSUPPORTED % {"engine": engine})


def _size(path: Path) -> str:
    n = path.stat().st_size
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def backup_kind(path: Path) -> str:
    """Which kind of backup FILE is, from its first bytes; refuses anything else."""
    if not path.is_file():
        raise BackupError(NO_FILE % {"file": path})
    with path.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return SQLITE
    if head.startswith(PG_MAGIC):
        return POSTGRESQL
    raise BackupError(NOT_A_BACKUP % {"file": path})


def _publish(tmp: Path, final: Path) -> None:
    """Move a finished backup to its name; fails (keeping what is there) if the name is taken."""
    try:
        os.link(tmp, final)  # unlike rename, link never replaces an existing file
    except FileExistsError:
        raise BackupError(FILE_EXISTS % {"file": final}) from None


def backup_database(database: Mapping[str, Any], file: Path, *, say: Say = _quiet) -> Path:
    """Write a backup of the database (a Django DATABASES entry) to FILE, which must not exist."""
    kind = _kind(database)
    file = Path(file)
    if file.exists():
        raise BackupError(FILE_EXISTS % {"file": file})
    if kind == POSTGRESQL:
        pg_dump = _tool("pg_dump")  # before anything is written
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".partial", dir=file.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if kind == SQLITE:
            tmp.unlink()  # sqlite3 makes its own file
            _sqlite_backup(database, tmp, say)
        else:
            _pg_dump(pg_dump, database, tmp, say)
        say(_("Checking the backup…"))
        tables = check_backup(tmp)
        _publish(tmp, file)
    finally:
        tmp.unlink(missing_ok=True)
    say(
        _("Backup written: %(file)s (%(size)s, %(tables)d tables).")
        % {"file": file, "size": _size(file), "tables": tables}
    )
    return file


def check_backup(file: Path) -> int:
    """Open a backup as a restore would, and return its number of tables; refuse a bad one."""
    kind = backup_kind(file)
    if kind == SQLITE:
        try:
            with _sqlite_open(file, readonly=True) as conn:
                result = conn.execute("PRAGMA quick_check").fetchone()[0]
                if result != "ok":
                    raise BackupError(DAMAGED % {"file": file, "reason": result})
                tables = _sqlite_tables(conn)
        except sqlite3.DatabaseError as exc:
            raise BackupError(DAMAGED % {"file": file, "reason": exc}) from exc
    else:
        listing = _run(_tool("pg_restore"), ["--list", str(file)], env=os.environ.copy())
        tables = re.findall(
            r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ", listing, flags=re.MULTILINE
        )
        tables = [name for _schema, name in tables]
    if MARKER_TABLE not in tables:
        raise BackupError(NOT_FANGYI % {"file": file, "table": MARKER_TABLE})
    return len(tables)


def restore_database(database: Mapping[str, Any], file: Path, *, say: Say = _quiet) -> int:
    """Restore FILE into the database, which must be empty; return the number of tables."""
    kind = _kind(database)
    file = Path(file)
    if backup_kind(file) != kind:
        raise BackupError(
            WRONG_KIND
            % {
                "file": file,
                "kind": "SQLite" if kind == POSTGRESQL else "PostgreSQL",
                "target": "SQLite" if kind == SQLITE else "PostgreSQL",
            }
        )
    if kind == POSTGRESQL:
        _tool("pg_restore")
    say(_("Checking the backup…"))
    tables = check_backup(file)
    say(_("Checking that the database %(name)s is empty…") % {"name": database["NAME"]})
    present = database_tables(database)
    if present:
        raise BackupError(
            NOT_EMPTY
            % {
                "name": database["NAME"],
                "count": len(present),
                "tables": ", ".join(sorted(present)[:3]),
            }
        )
    if kind == SQLITE:
        _sqlite_restore(database, file, say)
    else:
        _pg_restore(database, file, say)
    say(_("Restored %(tables)d tables from %(file)s.") % {"tables": tables, "file": file})
    return tables


def database_tables(database: Mapping[str, Any]) -> list[str]:
    """The tables of the database (none when it is new or its SQLite file does not exist yet)."""
    if _kind(database) == SQLITE:
        name = str(database["NAME"])
        if not _sqlite_is_memory(name) and not Path(name).exists():
            return []
        with _sqlite_open(name) as conn:
            return _sqlite_tables(conn)
    with _pg_connect(database) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
            "'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'"
        ).fetchall()
    return [r[0] for r in rows]


# SQLite ---------------------------------------------------------------------------------


def _sqlite_is_memory(name: str) -> bool:
    return name == ":memory:" or (name.startswith("file:") and "mode=memory" in name)


def _sqlite_open(name: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    name = str(name)
    if readonly:
        return sqlite3.connect(f"{Path(name).resolve().as_uri()}?mode=ro", uri=True)
    return sqlite3.connect(name, uri=name.startswith("file:"), timeout=30)


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\'"
    ).fetchall()
    return [r[0] for r in rows]


def _sqlite_backup(database: Mapping[str, Any], tmp: Path, say: Say) -> None:
    name = str(database["NAME"])
    if _sqlite_is_memory(name):
        raise BackupError(IN_MEMORY % {"name": name})
    if not Path(name).is_file():
        raise BackupError(NO_FILE % {"file": name})
    say(
        _("Copying the SQLite database %(name)s (%(size)s) with the online backup API…")
        % {"name": name, "size": _size(Path(name))}
    )
    source = _sqlite_open(name)
    source.isolation_level = None  # we open and end the read transaction ourselves
    target = sqlite3.connect(tmp)
    try:
        # One read transaction around the whole copy: in WAL mode it pins one snapshot,
        # which the copy reads step by step while other connections go on writing; the
        # copy is the database at the moment the transaction began.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        pages = source.execute("PRAGMA page_count").fetchone()[0]
        step = max(SQLITE_MIN_STEP, pages // 20)
        shown = [0]

        def progress(_status: int, remaining: int, total: int) -> None:
            percent = 100 * (total - remaining) // max(total, 1)
            if percent // 10 > shown[0] // 10 and remaining:
                shown[0] = percent
                say(
                    _("Copied %(percent)d %% of %(total)d pages…")
                    % {"percent": percent, "total": total}
                )

        source.backup(target, pages=step, progress=progress)
        source.execute("COMMIT")
        # The copy is one self-contained file, not a WAL database with a side file.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def _sqlite_restore(database: Mapping[str, Any], file: Path, say: Say) -> None:
    name = str(database["NAME"])
    say(_("Copying %(file)s into %(name)s…") % {"file": file, "name": name})
    if not _sqlite_is_memory(name):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    source = _sqlite_open(file, readonly=True)
    target = _sqlite_open(name)
    try:
        source.backup(target, pages=-1)
        # Back to the mode the server runs in (core.env): readers beside one writer.
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


# PostgreSQL -----------------------------------------------------------------------------


def _tool(name: str) -> str:
    """The path of a PostgreSQL client program: on PATH, else Debian's versioned directory."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        PG_LIB_DIR.glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    raise BackupError(TOOL_MISSING % {"tool": name})


def _pg_args(database: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection options for the client programs, and their environment (the password)."""
    args = []
    if database.get("HOST"):
        args.append(f"--host={database['HOST']}")
    if database.get("PORT"):
        args.append(f"--port={database['PORT']}")
    if database.get("USER"):
        args.append(f"--username={database['USER']}")
    args.append(f"--dbname={database['NAME']}")
    env = os.environ.copy()
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    sslmode = (database.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return [*args, "--no-password"], env


def _run(tool: str, args: list[str], *, env: dict[str, str]) -> str:
    done = subprocess.run(
        [tool, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(
            TOOL_FAILED
            % {
                "tool": Path(tool).name,
                "code": done.returncode,
                "detail": " ".join(detail[-3:]) or "-",
            }
        )
    return done.stdout


def _pg_connect(database: Mapping[str, Any]):
    import psycopg

    return psycopg.connect(
        dbname=database["NAME"],
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        autocommit=True,
    )


def _pg_dump(pg_dump: str, database: Mapping[str, Any], tmp: Path, say: Say) -> None:
    args, env = _pg_args(database)
    say(
        _("Dumping the PostgreSQL database %(name)s with pg_dump (custom format)…")
        % {"name": database["NAME"]}
    )
    # pg_dump reads every table in one snapshot: the dump is the database at one moment.
    _run(pg_dump, [*args, "--format=custom", f"--file={tmp}"], env=env)


def _pg_restore(database: Mapping[str, Any], file: Path, say: Say) -> None:
    args, env = _pg_args(database)
    say(
        _("Restoring into the PostgreSQL database %(name)s with pg_restore…")
        % {"name": database["NAME"]}
    )
    # One transaction: a restore that fails half-way leaves the database empty, not half
    # filled. Owners and grants are those of the restoring user (the dump's may not exist).
    _run(
        _tool("pg_restore"),
        [
            *args,
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            str(file),
        ],
        env=env,
    )
    say(_("Updating the planner statistics (ANALYZE)…"))
    with _pg_connect(database) as conn:
        conn.execute("ANALYZE")
