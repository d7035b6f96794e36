"""Benchmark: the offline gate's server side (issue 15, docs/offline.md).

    .venv/bin/python bench/offline.py [--scale 1.0] [--checks 1000] [--keep DIR]

1. `fangyi demo --scale S` into a fresh SQLite file in a temporary directory (or the one
   --keep names, reused when it holds a demo already); a bench guard with an API token,
   posted at every gate of the zone measured.
   The zone is the district's worst for the list (the most residents whose state is not
   clear); its residents without a pass get one (the demo gives passes to a few only).
2. The offline list of that zone (`GET /api/gates/{id}/offline-list`): its entries, its
   size as JSON and gzipped, and the time to build it (median of 5, through the whole
   WSGI application as a phone asks for it).
3. Sync of --checks queued checks (passes of the zone's residents, a random order)
   through `POST /api/scans/batch` in batches of 500, against the same number of checks
   one by one through `POST /api/scans` (the scan fast path a gate device uses): checks/s
   of each, in this process, one client (what one phone coming back online sees).
4. Ed25519 verification in Python for reference: `cryptography`'s verify alone and the
   whole token check (`passes.keys.read_signed`: parse, key lookup, verify).

Prints a table with the ratios; nothing listens on a port.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "bench-secret-" + "x" * 40


def _call(app, method: str, path: str, token: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    status: list[str] = []
    chunks = app(environ, lambda s, headers, exc_info=None: status.append(s))
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return int(status[0].split()[0]), content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--keep", help="work in this directory and keep it (reused)")
    args = parser.parse_args()
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="fangyi-bench-offline-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "FANGYI_VAR_DIR": str(workdir),
        "FANGYI_SECRET_KEY": SECRET,
        "FANGYI_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "fangyi.settings",
    }
    env.pop("FANGYI_DATABASE_URL", None)
    if not (workdir / "demo-done").exists():
        subprocess.run([str(BIN / "fangyi"), "migrate", "-v0"], env=env, check=True)
        started = time.monotonic()
        subprocess.run(
            [str(BIN / "fangyi"), "demo", "--scale", str(args.scale), "--no-progress", "-v0"],
            env=env,
            check=True,
        )
        print(f"demo --scale {args.scale}: {time.monotonic() - started:.0f} s", flush=True)
        (workdir / "demo-done").write_text(str(args.scale))
    os.environ.update(env)
    import django

    django.setup()
    measure(args.checks)
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


def measure(count: int) -> None:
    import random

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from fangyi.duty.models import Staff
    from fangyi.duty.services import api_token_create
    from fangyi.passes import keys, services
    from fangyi.passes.models import GateCheck, GatePost, Pass
    from fangyi.passes.tokens import new_code, new_key
    from fangyi.people.models import Person
    from fangyi.places.models import Gate, Zone
    from fangyi.wsgi import application

    # The worst zone for the list: the most residents whose state is not clear.
    zone_id, not_clear = (
        Person.objects.exclude(epidemic_state="clear")
        .values_list("zone_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("zone_id", "n")
        .first()
    )
    zone = Zone.objects.get(pk=zone_id)
    residents = Person.objects.filter(zone_id=zone_id).count()
    # The demo gives passes to a few residents only; in a real district every resident
    # holds one: the zone's residents without a valid pass get one here (bulk).
    now = timezone.now()
    holders = set(
        Pass.objects.filter(revoked_at__isnull=True, person__zone_id=zone_id).values_list(
            "person_id", flat=True
        )
    )
    Pass.objects.bulk_create(
        [
            Pass(
                person_id=pid,
                district_id=zone.district_id,
                key=new_key(),
                code=new_code(),
                issued_at=now,
                expires_at=now + dt.timedelta(days=30),
            )
            for pid in Person.objects.filter(zone_id=zone_id).values_list("id", flat=True)
            if pid not in holders
        ],
        batch_size=1000,
    )
    user = get_user_model().objects.create_user(f"bench-offline-{os.getpid()}", password="x" * 20)
    staff = Staff.objects.create(user=user, name="bench", role="gate_guard")
    gates = list(Gate.objects.filter(zone_id=zone_id).order_by("id"))
    GatePost.objects.bulk_create([GatePost(staff=staff, gate=g) for g in gates])
    token = api_token_create(user=user)
    gate = gates[0]
    district_people = Person.objects.filter(district_id=zone.district_id).count()
    print(f"worst zone: {zone.name} (id {zone_id}), {residents:,} residents "
          f"({not_clear:,} not clear, every one with a pass), {len(gates)} gates; "
          f"district {district_people:,} people", flush=True)  # fmt: skip

    # --- the list ----------------------------------------------------------------------
    path = f"/api/gates/{gate.pk}/offline-list"
    status, body = _call(application, "GET", path, token)
    assert status == 200, body[:300]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        status, body = _call(application, "GET", path, token)
        times.append(time.perf_counter() - started)
    listed = json.loads(body)
    colours: dict[str, int] = {}
    for entry in listed["passes"].values():
        colours[entry["c"]] = colours.get(entry["c"], 0) + 1
    raw, packed = len(body), len(gzip.compress(body))

    # --- sync against single checks ------------------------------------------------------
    passes = list(
        Pass.objects.filter(revoked_at__isnull=True, person__zone_id=zone_id)
        .select_related("district")
        .order_by("id")[:count]
    )
    tokens = [services.pass_token(p) for p in passes]
    rng = random.Random(2020)
    picks = [tokens[rng.randrange(len(tokens))] for _ in range(count)]
    checks = [
        {
            "client_id": str(uuid.uuid4()),
            "token": t,
            "temperature": "36.5",
            "checked_at": (now - dt.timedelta(seconds=count - i)).isoformat(),
            # What the phone showed: the list's colour, else green (a valid signature).
            "offline_colour": listed["passes"].get(t.split(".")[2], {}).get("c", "green"),
            "list_taken_at": listed["taken_at"],
        }
        for i, t in enumerate(picks)
    ]
    before = GateCheck.objects.count()
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    for i in range(0, count, 500):
        status, answer = _call(
            application, "POST", "/api/scans/batch", token,
            {"gate_id": gate.pk, "checks": checks[i : i + 500]},
        )  # fmt: skip
        assert status == 200, answer[:300]
        for result in json.loads(answer)["results"]:
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
            statuses["differs"] = statuses.get("differs", 0) + result["differs"]
    batch_seconds = time.perf_counter() - started
    assert GateCheck.objects.count() - before == statuses.get("created", 0)
    started = time.perf_counter()
    for i in range(0, count, 500):  # the same batches again: all duplicates
        _call(application, "POST", "/api/scans/batch", token,
              {"gate_id": gate.pk, "checks": checks[i : i + 500]})  # fmt: skip
    again_seconds = time.perf_counter() - started
    started = time.perf_counter()
    single_ok = 0
    for t in picks:
        status, _answer = _call(
            application, "POST", "/api/scans", token,
            {"gate_id": gate.pk, "token": t, "temperature": "36.5"},
        )  # fmt: skip
        single_ok += status == 201
    single_seconds = time.perf_counter() - started

    # --- Ed25519 -------------------------------------------------------------------------
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    signature = private.sign(b"P2.440310-1-abcd.123456.1.1582162200")
    n = 5000
    started = time.perf_counter()
    for _ in range(n):
        public.verify(signature, b"P2.440310-1-abcd.123456.1.1582162200")
    verify_us = (time.perf_counter() - started) / n * 1e6
    keys.read_signed(tokens[0], now)  # the key cache filled
    started = time.perf_counter()
    for _ in range(n):
        keys.read_signed(tokens[0], now)
    read_us = (time.perf_counter() - started) / n * 1e6

    print()
    print("| measure | figure |")
    print("|---|---|")
    print(f"| offline list: passes listed (of the zone's {residents:,} residents) | "
          f"{len(listed['passes']):,} ({', '.join(f'{k} {v:,}' for k, v in sorted(colours.items()))}) |")  # fmt: skip
    print(f"| offline list: JSON bytes / gzip bytes | {raw:,} / {packed:,} |")
    print(f"| offline list: build and answer, median of 5 | {statistics.median(times) * 1000:.0f} ms |")  # fmt: skip
    print(f"| sync {count:,} checks, batches of 500 | {batch_seconds:.2f} s, "
          f"{count / batch_seconds:,.0f} checks/s ({statuses}) |")  # fmt: skip
    print(f"| the same batches again (all duplicates) | {again_seconds:.2f} s, "
          f"{count / again_seconds:,.0f} checks/s |")  # fmt: skip
    print(f"| {count:,} single checks, POST /api/scans (fast path) | {single_seconds:.2f} s, "
          f"{count / single_seconds:,.0f} checks/s ({single_ok} created) |")  # fmt: skip
    print(f"| batch / single | {single_seconds / batch_seconds:.2f}× |")
    print(f"| Ed25519 verify (cryptography) | {verify_us:.0f} µs |")
    print(f"| token check, passes.keys.read_signed | {read_us:.0f} µs |")


if __name__ == "__main__":
    main()
