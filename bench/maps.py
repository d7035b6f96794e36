"""Benchmark: zone map page and JSON, district overview and daily report at demo scale.

    .venv/bin/python bench/maps.py [--scale 1.0] [--seed 2020] [--repeat 15]
    .venv/bin/python bench/maps.py --database-url postgres://fangyi:fangyi@127.0.0.1:54330/fangyi
    .venv/bin/python bench/maps.py --reuse sqlite:////tmp/bench/db.sqlite3   # already seeded

Without --reuse, a fresh database is made (a temporary SQLite file, or a temporary
database next to the one --database-url names, which needs CREATEDB), migrated and
filled with `fangyi demo --scale S` (~2.5 minutes at 1.0 on SQLite), then dropped.
Each target is timed through Django's test client as the demo's district leader (median
of --repeat runs after one warm-up); next to it, one hand-written SQL query computing
the same numbers, timed in the same run, and the ratio. Targets (issue 4): zone map page
and JSON < 50 ms, overview < 300 ms, daily report < 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGETS_MS = {"zone map page": 50, "zone map JSON": 50, "overview": 300, "daily report": 10_000}

ZONE_SQL = """
SELECT p.building_id, p.travel_status, COUNT(*),
  (SELECT COUNT(DISTINCT c.person_id) FROM quarantine_quarantinecase c
     JOIN people_person q ON q.id = c.person_id
    WHERE q.zone_id = %(zone)s AND c.state IN ('station','home','observation','hospital')
      AND c.start_date <= %(today)s)
FROM people_person p WHERE p.zone_id = %(zone)s GROUP BY p.building_id, p.travel_status
"""
OVERVIEW_SQL = """
SELECT z.id, COUNT(p.id),
  (SELECT COUNT(DISTINCT c.person_id) FROM quarantine_quarantinecase c
     JOIN people_person q ON q.id = c.person_id
    WHERE q.zone_id = z.id AND c.state IN ('station','home','observation','hospital')
      AND c.start_date <= %(today)s),
  (SELECT COUNT(*) FROM reports_confirmedcase r WHERE r.zone_id = z.id AND r.date > %(since)s)
FROM places_zone z LEFT JOIN people_person p ON p.zone_id = z.id
WHERE z.district_id = %(district)s GROUP BY z.id
"""
DAILY_SQL = """
SELECT p.community_id, p.travel_status, COUNT(*) FROM people_person p
WHERE p.district_id = %(district)s GROUP BY p.community_id, p.travel_status
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of Pingshan (1.0)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per target (15)")
    parser.add_argument("--database-url", default="", help="PostgreSQL server to make a db on")
    parser.add_argument("--reuse", default="", help="an already seeded database URL")
    return parser.parse_args()


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fangyi-bench-maps-"))
    os.environ["FANGYI_VAR_DIR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangyi.settings"
    made_pg = None
    if args.reuse:
        os.environ["FANGYI_DATABASE_URL"] = args.reuse
    elif args.database_url:
        import psycopg

        made_pg = f"fangyi_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{made_pg}"')
        parts = urlsplit(args.database_url)
        os.environ["FANGYI_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{made_pg}"))
    else:
        os.environ["FANGYI_DATABASE_URL"] = f"sqlite:///{workdir / 'db.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    try:
        if not args.reuse:
            started = time.monotonic()
            call_command("migrate", verbosity=0)
            call_command("demo", scale=args.scale, seed=args.seed, no_progress=True, verbosity=0)
            print(f"demo scale {args.scale} generated in {time.monotonic() - started:.0f} s")
        run(args.repeat, workdir)
    finally:
        if made_pg:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{made_pg}"')


def run(repeat: int, workdir: Path) -> None:
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from fangyi.people.models import Person
    from fangyi.places.models import District, Zone

    district = District.objects.order_by("code").first()
    zone = Zone.objects.order_by("code").first()
    today = timezone.localdate()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="leader"))
    params = {
        "zone": zone.pk,
        "district": district.pk,
        "today": today,
        "since": today - dt.timedelta(days=14),
    }

    def sql(query: str):
        def go():
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                cursor.fetchall()

        return go

    def get(url: str):
        def go():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)

        return go

    out = workdir / "daily.xlsx"

    def daily():
        call_command("report", "daily", "--out", str(out), "--no-progress", verbosity=0)

    rows = [
        ("zone map page", get(f"/reports/zones/{zone.pk}/"), sql(ZONE_SQL), repeat),
        ("zone map JSON", get(f"/api/zones/{zone.pk}/map"), sql(ZONE_SQL), repeat),
        ("overview", get("/reports/"), sql(OVERVIEW_SQL), max(3, repeat // 3)),
        ("daily report", daily, sql(DAILY_SQL), 3),
    ]
    vendor = connection.vendor
    people = Person.objects.count()
    zones = Zone.objects.count()
    print(f"{vendor}: {people:,} people, {zones} zones; zone {zone.code} ({zone.name})")
    print(f"{'target':<16}{'fangyi ms':>11}{'goal ms':>9}{'SQL ms':>9}{'ratio':>8}  ok")
    for name, fn, raw, n in rows:
        ours = median_ms(fn, n)
        theirs = median_ms(raw, n)
        goal = TARGETS_MS[name]
        ok = "yes" if ours < goal else "NO"
        print(f"{name:<16}{ours:>11.1f}{goal:>9}{theirs:>9.1f}{ours / theirs:>8.1f}  {ok}")


if __name__ == "__main__":
    main()
