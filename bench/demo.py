"""Benchmark: the demo district written by Django's bulk_create and by plain sqlite3.

    .venv/bin/python bench/demo.py [--scale 1.0] [--seed 2020]

Both paths write the very same rows (the generator is deterministic) into
fresh SQLite files with the same schema, in temporary directories that are
removed afterwards. Three timings are printed:

- generate only: planning and making every row, writing nothing, the part
  both paths share;
- Django: `fangyi demo` as a user runs it (hash the password, plan,
  generate, build model instances, bulk_create, in one transaction);
- sqlite3: the same generation, then `executemany` of the same rows into a
  copy of the migrated schema, with the same pragmas Django's connection uses.

The ratio says what Django's per-field work costs over the database's own;
the last line checks that the two databases hold identical rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of Pingshan (1.0)")
    parser.add_argument("--seed", type=int, default=2020, help="random seed (2020)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    return parser.parse_args()


def setup_django(workdir: Path) -> Path:
    """Point fangyi at a fresh SQLite file under `workdir`, set Django up and migrate."""
    database = workdir / "django.sqlite3"
    os.environ["FANGYI_VAR_DIR"] = str(workdir)
    os.environ["FANGYI_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangyi.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return database


def copy_schema(source: Path, target: Path) -> None:
    """Create every table and index of `source` (a migrated database) in an empty `target`."""
    with sqlite3.connect(source) as src:
        statements = src.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid"
        ).fetchall()
    dst = sqlite3.connect(target)
    for (sql,) in statements:
        dst.execute(sql)
    dst.commit()
    dst.close()


def sqlite3_converters(fields, now: str) -> list[tuple[int, object]]:
    """(position, function) for the columns whose Python values sqlite3 cannot store as is.

    The same conversions Django's SQLite backend makes: dates as ISO text,
    aware datetimes as naive UTC text, JSON as json.dumps; auto_now fields
    get the time of the run.
    """
    converters: list[tuple[int, object]] = []
    for i, field in enumerate(fields):
        kind = field.get_internal_type()
        if kind == "DateTimeField" and (field.auto_now or field.auto_now_add):
            converters.append((i, lambda _value: now))
        elif kind == "DateTimeField":
            converters.append(
                (
                    i,
                    lambda v: None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None)),
                )
            )
        elif kind == "DateField":
            converters.append((i, lambda v: None if v is None else v.isoformat()))
        elif kind == "JSONField":
            converters.append((i, json.dumps))
    return converters


def write_with_sqlite3(path: Path, batches) -> int:
    """Write the batches with executemany in one transaction; return the number of rows."""
    from fangyi.demo.write import SQLITE_CACHE_KIB, full_row_getter

    now = str(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
        f"cache_size=-{SQLITE_CACHE_KIB}",
    ):  # fmt: skip
        connection.execute(f"PRAGMA {pragma}")
    plans: dict = {}
    rows_written = 0
    connection.execute("BEGIN IMMEDIATE")
    for batch in batches:
        key = (batch.model, batch.columns)
        if key not in plans:
            fields, full_row = full_row_getter(batch.model, batch.columns)
            table = batch.model._meta.db_table
            columns = ", ".join(f'"{f.column}"' for f in fields)
            marks = ", ".join("?" * len(fields))
            sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'
            plans[key] = (sql, full_row, sqlite3_converters(fields, now))
        sql, full_row, converters = plans[key]

        def values(rows, full_row=full_row, converters=converters):
            for row in rows:
                value = list(full_row(row))
                for i, convert in converters:
                    value[i] = convert(value[i])
                yield value

        connection.executemany(sql, values(batch.rows))
        rows_written += len(batch.rows)
    connection.execute("COMMIT")
    connection.close()
    return rows_written


def digest(path: Path) -> tuple[int, str]:
    """Rows and a SHA-256 over every demo table's rows, in id order, without auto timestamps."""
    from fangyi.demo.generate import MODELS

    sha = hashlib.sha256()
    total = 0
    with sqlite3.connect(path) as connection:
        for model in MODELS:
            columns = [
                f'"{f.column}"'
                for f in model._meta.concrete_fields
                if not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
            ]
            query = f'SELECT {", ".join(columns)} FROM "{model._meta.db_table}" ORDER BY id'
            for row in connection.execute(query):
                sha.update(repr(row).encode())
                total += 1
    return total, sha.hexdigest()


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fangyi-bench-demo-"))
    try:
        django_db = setup_django(workdir)
        raw_db = workdir / "sqlite3.sqlite3"
        copy_schema(django_db, raw_db)

        from django.core.management import call_command

        from fangyi.demo.generate import DemoDistrict
        from fangyi.demo.management.commands.demo import demo_password_hash

        def plan() -> DemoDistrict:
            # Explicit ids from 1, as the command picks on an empty database.
            return DemoDistrict(args.scale, args.seed, password_hash=demo_password_hash(args.seed))

        started = time.perf_counter()
        generated = sum(len(batch.rows) for batch in plan().batches())
        generate_s = time.perf_counter() - started

        started = time.perf_counter()
        call_command("demo", scale=args.scale, seed=args.seed, verbosity=0)
        django_s = time.perf_counter() - started

        started = time.perf_counter()
        raw_rows = write_with_sqlite3(raw_db, plan().batches())
        raw_s = time.perf_counter() - started

        django_rows, django_digest = digest(django_db)
        raw_rows_read, raw_digest = digest(raw_db)

        print()
        print(
            f"demo district, scale {args.scale}, seed {args.seed}, SQLite {sqlite3.sqlite_version}"
        )
        print(f"{'path':<34} {'rows':>11} {'seconds':>9} {'rows/s':>10}")
        for label, rows, seconds in (
            ("generate only (no writes)", generated, generate_s),
            ("Django bulk_create (fangyi demo)", django_rows, django_s),
            ("sqlite3 executemany", raw_rows, raw_s),
        ):
            print(f"{label:<34} {rows:>11,} {seconds:>9.1f} {rows / seconds:>10,.0f}")
        print(f"Django time / sqlite3 time: {django_s / raw_s:.2f}x")
        print(
            "Django time / sqlite3 time, writing only (generation subtracted): "
            f"{(django_s - generate_s) / max(raw_s - generate_s, 1e-9):.2f}x"
        )
        same = django_digest == raw_digest and django_rows == raw_rows_read == generated
        print(f"same rows in both databases: {'yes' if same else 'NO'} ({django_digest[:16]})")
        if args.keep:
            print(f"databases kept in {workdir}")
        if not same:
            sys.exit(1)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
