"""Benchmark: importing a 100,000-row resident list, and exporting a whole district.

    .venv/bin/python bench/import.py [--rows 100000] [--export-db sqlite:////path/demo.sqlite3]
    .venv/bin/python bench/import.py --memory-only   # only the peak-memory table

Import: a fresh SQLite database (temporary directory) gets one zone with 200 buildings;
an xlsx of `--rows` residents is generated (valid ID numbers, phones, rooms, some
without a dwelling yet). The same file is then (1) merely read with openpyxl in
read-only mode, (2) checked (dry run), (3) imported with commit, (4) imported again
(nothing changes). Rows/second of each are printed with the ratio to (1); the target is
import ≥ 50 % of reading.

Export: with `--export-db` (a database holding the scale-1.0 demo, made with
`FANGYI_DATABASE_URL=… FANGYI_VAR_DIR=… fangyi demo --scale 1.0 --no-progress
--no-activity`), all people of the district are exported to xlsx as the superuser,
timed, and the file is opened again with openpyxl to check it. The target is < 60 s.

Memory: each hostile upload of issue 12 (built by `fangyi.screening.tests.hostile`), and
the legitimate `--rows` file, is imported as the background job does it (a first pass
counting rows, then the check and, for the legitimate one, the commit) in a fresh
subprocess of its own, which reports its peak RSS (ru_maxrss), the RSS before the import
(Django loaded, the zone made), the time and the outcome (the refusal, or the counts).
The targets: every hostile file refused in under 5 s with bounded memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to import (100000)")
    parser.add_argument("--export-db", help="database URL of a scale-1.0 demo to export")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--memory-only", action="store_true", help="only the memory table")
    parser.add_argument("--child-memory", nargs=2, metavar=("FILE", "NAME"), help=argparse.SUPPRESS)
    return parser.parse_args()


def setup_django(workdir: Path, database_url: str | None = None) -> None:
    os.environ["FANGYI_VAR_DIR"] = str(workdir)
    os.environ["FANGYI_DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangyi.settings"
    import django
    from django.core.management import call_command

    django.setup()
    if database_url is None:
        call_command("migrate", verbosity=0)


def make_zone(buildings: int):
    from fangyi.places.models import Building, Community, District, Dwelling, Street, Zone

    district = District.objects.create(name="坪山区", code="440310")
    street = Street.objects.create(district=district, name="坪山街道", code="S1")
    community = Community.objects.create(
        street=street, district=district, name="六和社区", code="C1"
    )
    zone = Zone.objects.create(
        community=community, street=street, district=district, name="六和城", code="Z1",
        kind="urban_village",
    )  # fmt: skip
    made = Building.objects.bulk_create(
        [
            Building(zone=zone, community=community, street=street, district=district,
                     name=f"{b + 1}栋", floors=30)
            for b in range(buildings)
        ]
    )  # fmt: skip
    # Half the rooms exist already; the import creates the rest.
    Dwelling.objects.bulk_create(
        [
            Dwelling(building=b, zone=zone, floor=f, room=f"{f}{r:02d}")
            for b in made
            for f in range(1, 31)
            for r in range(1, 5)
            if (f + r) % 2
        ]
    )
    return zone


def make_xlsx(path: Path, rows: int, buildings: int) -> None:
    from openpyxl import Workbook

    from fangyi.people.identity import check_char

    rng = random.Random(2020)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民名单")
    ws.append(["六和城居民登记表"])
    ws.append(["序号", "姓名", "身份证号", "手机", "楼栋", "房号", "户籍地", "返深日期", "备注"])
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
    born0 = dt.date(1950, 1, 1)
    for i in range(rows):
        born = born0 + dt.timedelta(days=rng.randrange(20000))
        first17 = f"440310{born:%Y%m%d}{i % 1000:03d}"
        # Unique numbers: vary the region's last digits by the row's thousands.
        first17 = f"4403{(i // 1000) % 100:02d}{born:%Y%m%d}{i % 1000:03d}"
        returned = rng.random() < 0.1
        ws.append(
            [
                i + 1,
                rng.choice(surnames) + "".join(rng.choice(given) for _ in range(2)),
                first17 + check_char(first17),
                f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}",
                f"{rng.randrange(buildings) + 1}栋",
                f"{rng.randrange(1, 31)}{rng.randrange(1, 5):02d}",
                rng.choice(["湖北省武汉市", "广东省深圳市", "湖南省长沙市", ""]),
                dt.date(2020, 2, rng.randrange(1, 15)) if returned else None,
                "",
            ]
        )
    wb.save(path)


def bench_import(workdir: Path, rows: int) -> None:
    from django.db import connection
    from openpyxl import load_workbook

    from fangyi.people.models import Person, PersonEvent
    from fangyi.screening.importing import detect_header, people_import, read_table

    buildings = 200
    zone = make_zone(buildings)
    path = workdir / "residents.xlsx"
    started = time.monotonic()
    make_xlsx(path, rows, buildings)
    print(f"made {path.name}: {rows:,} rows, {path.stat().st_size / 2**20:.1f} MiB "
          f"in {time.monotonic() - started:.1f} s")  # fmt: skip

    def timed(label: str, fn) -> float:
        started = time.monotonic()
        result = fn()
        seconds = time.monotonic() - started
        return seconds, result

    def read_only() -> int:
        wb = load_workbook(path, read_only=True, data_only=True)
        n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        return n

    def run(commit: bool):
        table = read_table(path)
        head = []
        for row in table:
            head.append(row)
            if len(head) >= 30:
                break
        header = detect_header(head)

        def all_rows():
            yield from head
            yield from table

        return people_import(user=None, zone=zone, rows=all_rows(), header=header, commit=commit)

    results = []
    seconds, n = timed("read", read_only)
    results.append(("openpyxl read-only, reading only", seconds, n))
    seconds, report = timed("dry", lambda: run(False))
    assert report.ok, report.problems[:5]
    results.append(("import, dry run (check every row)", seconds, report.rows))
    seconds, report = timed("commit", lambda: run(True))
    assert report.committed and report.created == rows
    results.append(("import with commit (new files)", seconds, report.rows))
    events = PersonEvent.objects.count()
    seconds, report = timed("again", lambda: run(True))
    assert report.unchanged == rows and PersonEvent.objects.count() == events
    results.append(("same file again (nothing changes)", seconds, report.rows))
    assert Person.objects.count() == rows
    base = results[0][2] / results[0][1]
    print(f"\n{'':36} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'vs read':>8}")
    for label, seconds, n in results:
        rate = n / seconds
        print(f"{label:36} {n:>9,} {seconds:>8.2f} {rate:>9,.0f} {rate / base:>8.0%}")
    print(f"(database: {connection.vendor})")


HOSTILE = [
    # (name, builder, filename): the three, then the damaged and CSV ones.
    ("cell in column ZZZZZ", "far_column", "a.xlsx"),
    ("shared-strings bomb (packed 1000:1)", "shared_strings_bomb", "a.xlsx"),
    ("1,000,001 distinct shared texts", "many_shared_strings", "a.xlsx"),
    ("sheet declaring 6 million rows", "declared_rows", "a.xlsx"),
    ("a row numbered 6,000,000", "far_row", "a.xlsx"),
    ("zip bomb: 600 MB of spaces", "zip_bomb", "a.xlsx"),
    ("billion laughs (DTD entities)", "entity_expansion", "a.xlsx"),
    ("undefined entity", "undefined_entity", "a.xlsx"),
    ("shared text index out of range", "shared_index_out_of_range", "a.xlsx"),
    ("CSV field of 131,073 characters", "csv_long_field", "a.csv"),
    ("CSV row of 100,000 columns", "csv_wide_row", "a.csv"),
    ("CSV line of 2 MiB", "csv_long_line", "a.csv"),
]


def bench_memory(workdir: Path, legit: Path | None, rows: int) -> None:
    """Peak RSS of importing each hostile file and the legitimate one, one subprocess each."""
    import json

    from fangyi.screening.tests import hostile

    files = []
    for label, builder, filename in HOSTILE:
        path = workdir / f"hostile-{builder}-{filename}"
        path.write_bytes(getattr(hostile, builder)())
        files.append((label, path))
    if legit is not None:
        files.append((f"legitimate list of {rows:,} rows", legit))
    print(f"\n{'file':38} {'size':>9} {'RSS before':>10} {'peak RSS':>9} {'seconds':>8}  outcome")
    for label, path in files:
        result = subprocess.run(
            [sys.executable, __file__, "--child-memory", str(path), path.name],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            print(f"{label:38} failed: {result.stderr.strip()[-300:]}")
            continue
        out = json.loads(lines[-1])
        size = path.stat().st_size
        size_text = f"{size / 2**20:.1f} MB" if size > 2**20 else f"{size / 1024:.1f} KB"
        print(
            f"{label:38} {size_text:>9} {out['before'] / 1024:>7.0f} MB {out['peak'] / 1024:>6.0f} MB"
            f" {out['seconds']:>8.2f}  {out['outcome'][:110]}"
        )


def child_memory(workdir: Path, path: Path, name: str) -> None:
    """Import one file as the job does, in this fresh process; print one JSON line."""
    import json
    import resource

    from django.utils import translation

    from fangyi.screening.importing import (
        HEADER_SCAN_ROWS,
        ImportFileError,
        count_rows,
        detect_header,
        people_import,
        read_start,
        read_table,
    )

    zone = make_zone(200)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with translation.override("en"):
        try:
            total = count_rows(path, name)
            header = detect_header(read_start(path, name, HEADER_SCAN_ROWS + 2)[0])
            report = people_import(
                user=None, zone=zone, rows=read_table(path, name), header=header, commit=True
            )
            outcome = (
                f"{total:,} rows read; {report.created:,} created, "
                f"{len(report.problems):,} problems, committed: {report.committed}"
            )
        except ImportFileError as exc:
            outcome = f"refused: {exc.message}"
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before": before, "peak": peak, "seconds": seconds, "outcome": outcome}))


def bench_export(workdir: Path) -> None:
    from django.contrib.auth import get_user_model
    from openpyxl import load_workbook

    from fangyi.places.models import District
    from fangyi.screening.exporting import people_export

    user = get_user_model().objects.filter(is_superuser=True).first()
    district = District.objects.get()
    path = workdir / "district.xlsx"
    started = time.monotonic()
    n = people_export(user=user, level="district", place=district, target=path)
    seconds = time.monotonic() - started
    print(f"\nexport of {district.name}: {n:,} people in {seconds:.1f} s "
          f"({n / seconds:,.0f} rows/s, {path.stat().st_size / 2**20:.0f} MiB); target < 60 s")  # fmt: skip
    started = time.monotonic()
    wb = load_workbook(path, read_only=True)
    count = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True)) - 1
    wb.close()
    assert count == n, (count, n)
    print(f"read back with openpyxl: {count:,} rows in {time.monotonic() - started:.1f} s")


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    workdir = Path(tempfile.mkdtemp(prefix="fangyi-bench-import-"))
    try:
        if args.export_db:
            # Django is set up once per process: the export runs in a child process.
            setup_django(workdir, args.export_db)
            bench_export(workdir)
            return
        setup_django(workdir)
        if args.child_memory:
            child_memory(workdir, Path(args.child_memory[0]), args.child_memory[1])
            return
        legit = workdir / "residents.xlsx"
        if args.memory_only:
            make_xlsx(legit, args.rows, 200)
        else:
            bench_import(workdir, args.rows)
        bench_memory(workdir, legit, args.rows)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
