"""Benchmark: POST /api/scans through Django against a framework-free WSGI ceiling.

    .venv/bin/python bench/scan.py [--scale 1.0] [--seconds 10] [--connections 16]

1. `fangyi demo --scale S` into a fresh SQLite file in a temporary directory (removed
   afterwards unless --keep); a bench guard with an API token, posted at the first
   zone's gates, and the demo's passes (tokens computed with the bench's secret key;
   HMAC tokens (P1), which the ceiling checks: signed P2 tokens add an Ed25519
   verification of 0.1–0.2 ms, measured by bench/offline.py).
2. gunicorn (same workers, same sync worker model) on 127.0.0.1 serves, in turn:
   - fangyi (`fangyi.wsgi:application`, what `make run` serves): the real endpoint,
     answered by the scan fast path in front of Django (fangyi.passes.fastpath: token
     auth, gate scope, pass resolution, the person's state, the colour rules, the
     insert; the same code as the API view and the guard's page);
   - `minimal_app` below: plain sqlite3, the same API-token digest lookup, the same
     signed-token check (HMAC-SHA256 as django.core.signing computes it), the gate post
     check, the indexed pass lookup and the insert into the same table.
3. wrk (Debian's `wrk`, a Lua script choosing a random pass per request) drives each for
   --seconds with --connections; then a paced client (bench/paced.c, compiled here with
   the machine's C compiler, run as a separate process) sends exactly --rate checks/s
   for --seconds, --paced-runs times, and reports p50/p99/p99.9 measured from each
   request's due time (no coordinated omission); the same paced runs against the
   ceiling show how much of the latency is the machine's. Workers default to the core
   count: more sync workers than cores competed for two cores and doubled the p99.

Only loopback addresses; bounded durations and request counts.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "bench-secret-" + "x" * 40
SIGN_SALT = "fangyi.passes.token" + "signer"

# --- the framework-free ceiling -----------------------------------------------------------

_db = None
_pg = False  # set by _conn(): PostgreSQL (psycopg) or SQLite (sqlite3)


def _conn():
    global _db, _pg
    if _db is None:
        _pg = os.environ["BENCH_DB"].startswith("postgres")
        if _pg:
            import psycopg

            _db = psycopg.connect(os.environ["BENCH_DB"], autocommit=True)
        else:
            _db = sqlite3.connect(os.environ["BENCH_DB"], isolation_level=None, timeout=10)
            _db.execute("PRAGMA journal_mode=WAL")
            _db.execute("PRAGMA synchronous=NORMAL")
            _db.execute("PRAGMA busy_timeout=10000")
    return _db


def _q(sql: str) -> str:
    """The statement with the driver's placeholders (psycopg %s, sqlite3 ?)."""
    return sql if _pg else sql.replace("%s", "?")


def _signature(value: str) -> str:
    key = hashlib.sha256((SIGN_SALT + os.environ["FANGYI_SECRET_KEY"]).encode()).digest()
    digest = hmac.new(key, value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _now():
    import datetime as dt

    moment = dt.datetime.now(dt.UTC)
    # As Django stores it: aware on PostgreSQL, naive UTC text on SQLite.
    return moment if _pg else str(moment.replace(tzinfo=None))


def _answer(start_response, status: str, body: dict):
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def minimal_app(environ, start_response):
    """POST /api/scans without a framework: the same checks, lookups and insert."""
    if environ["REQUEST_METHOD"] != "POST":
        return _answer(start_response, "405 Method Not Allowed", {})
    db = _conn()
    auth = environ.get("HTTP_AUTHORIZATION", "")
    digest = hashlib.sha256(auth.removeprefix("Bearer ").encode()).hexdigest()
    row = db.execute(
        _q(
            "SELECT t.user_id FROM duty_apitoken t JOIN auth_user u ON u.id = t.user_id "
            "WHERE t.digest = %s AND u.is_active"
        ),
        (digest,),
    ).fetchone()
    if row is None:
        return _answer(start_response, "401 Unauthorized", {})
    user_id = row[0]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    payload = json.loads(environ["wsgi.input"].read(length))
    gate = db.execute(
        _q(
            "SELECT g.zone_id, d.code FROM places_gate g JOIN places_zone z ON z.id = g.zone_id "
            "JOIN places_district d ON d.id = z.district_id JOIN passes_gatepost p "
            "ON p.gate_id = g.id JOIN duty_staff s ON s.id = p.staff_id "
            "WHERE g.id = %s AND s.user_id = %s"
        ),
        (payload["gate_id"], user_id),
    ).fetchone()
    if gate is None:
        return _answer(start_response, "404 Not Found", {})
    value, _, signature = payload["token"].rpartition(":")
    if not hmac.compare_digest(signature, _signature(value)):
        return _answer(start_response, "422 Unprocessable Entity", {"error": "altered"})
    _version, district, pass_id, key = value.split(".")
    found = db.execute(
        _q("SELECT person_id, key, revoked_at FROM passes_pass WHERE id = %s"), (int(pass_id),)
    ).fetchone()
    if found is None or found[1] != key or found[2] is not None or district != gate[1]:
        return _answer(start_response, "422 Unprocessable Entity", {"error": "refused"})
    # One statement: atomic by itself, as fangyi's insert of a check without fever.
    cursor = db.execute(
        _q(
            "INSERT INTO passes_gatecheck (gate_id, zone_id, guard_id, at, method, pass_obj_id, "
            "person_id, visitor_name, visitor_phone, visitor_note, temperature, fever, colour, "
            "reason, policy_id, decision) VALUES (%s, %s, %s, %s, 'device', %s, %s, '', '', "
            "'', %s, %s, 'green', 'clear', 1, '') RETURNING id"
        ),
        (payload["gate_id"], gate[0], user_id, _now(), int(pass_id), found[0],
         payload["temperature"], False),
    )  # fmt: skip
    check_id = cursor.fetchone()[0]
    return _answer(start_response, "201 Created", {"check_id": check_id, "colour": "green"})


# --- the paced client (bench/paced.c, a separate process) -------------------------------


def build_paced(workdir: Path) -> Path:
    """Compile the paced load generator (C, so that its own overhead stays far below
    what it measures; a Python asyncio client added milliseconds at p99 by itself)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        sys.exit("bench/scan.py needs a C compiler for its paced client: apt-get install gcc")
    binary = workdir / "paced"
    subprocess.run(
        [compiler, "-O2", "-o", str(binary), str(ROOT / "bench" / "paced.c")], check=True
    )
    return binary


def write_requests(path: Path, spec: dict) -> None:
    """Every pass's check as a whole HTTP request, in a random order, for bench/paced.c."""
    import random

    order = list(range(len(spec["tokens"])))
    random.Random(2020).shuffle(order)
    with path.open("wb") as out:
        for i in order:
            body = json.dumps(
                {"gate_id": spec["gates"][i % len(spec["gates"])], "token": spec["tokens"][i],
                 "temperature": "36.5"}
            ).encode()  # fmt: skip
            head = (
                "POST /api/scans HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {spec['api_token']}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            request = head.encode() + body
            out.write(b"%d\n" % len(request) + request)


WRK_LUA = r"""
local spec_tokens = {%(tokens)s}
local gates = {%(gates)s}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(api_token)s"
local counter = 0
request = function()
  counter = counter + 1
  local t = spec_tokens[math.random(#spec_tokens)]
  local g = gates[(counter %% #gates) + 1]
  return wrk.format(nil, "/api/scans", nil,
    '{"gate_id": ' .. g .. ', "token": "' .. t .. '", "temperature": "36.5"}')
end
local bad = 0
response = function(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format('BENCH {"requests": %%d, "seconds": %%f, "p50": %%f, "p99": %%f, "errors": %%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(workdir: Path, scale: float, env: dict, reuse: bool) -> dict:
    """Demo data (unless reused), a bench guard with a token and gate posts, the tokens."""
    fangyi = str(BIN / "fangyi")
    if not reuse:
        subprocess.run([fangyi, "migrate", "-v0"], env=env, check=True)
        started = time.monotonic()
        subprocess.run(
            [fangyi, "demo", "--scale", str(scale), "--no-progress", "-v0"], env=env, check=True
        )
        print(f"demo --scale {scale}: {time.monotonic() - started:.0f} s", flush=True)
    script = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from fangyi.duty.models import Staff
from fangyi.duty.services import api_token_create
from fangyi.passes.models import GateCheck, GatePost, Pass
from fangyi.passes.tokens import make_token
from fangyi.places.models import Gate
from fangyi.core.policy import policy_in_force
import datetime as dt
import os
user = get_user_model().objects.create_user(f"bench-guard-{os.getpid()}", password="x" * 20)
staff = Staff.objects.create(user=user, name="bench", role="gate_guard")
passes = list(Pass.objects.filter(revoked_at__isnull=True).select_related("district").order_by("id")[:5000])
zone_ids = sorted({p.person.zone_id for p in passes[:200] if p.person})
gates = list(Gate.objects.filter(zone_id__in=zone_ids).order_by("id"))
GatePost.objects.bulk_create([GatePost(staff=staff, gate=g) for g in gates])
assert policy_in_force(dt.date.today()).pk == 1
print(json.dumps({"api_token": api_token_create(user=user), "gates": [g.pk for g in gates],
                  "tokens": [make_token(district_code=p.district.code, pass_id=p.pk, key=p.key) for p in passes], "residents": Pass.objects.count(),
                  "checks_before": GateCheck.objects.count()}))
"""
    out = subprocess.run(
        [str(BIN / "python"), "-c", script], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve(app: str, port: int, env: dict, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--chdir", str(ROOT), "--log-level", "warning", "--backlog", "256"],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"gunicorn ({app}) did not start")


def run_wrk(port: int, lua: Path, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
         "-s", str(lua), f"http://127.0.0.1:{port}/api/scans"],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    )  # fmt: skip
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCH "))
    result = json.loads(line[6:])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def paced_run(binary: Path, port: int, rate: float, seconds: int, requests: Path) -> dict:
    out = subprocess.run(
        [str(binary), "127.0.0.1", str(port), str(rate), str(seconds), str(requests), "64"],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def stop(proc: subprocess.Popen, procs: list[subprocess.Popen]) -> None:
    proc.terminate()
    proc.wait(timeout=30)
    procs.remove(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--paced-runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse",
        default="",
        help="a database URL already holding the demo (e.g. PostgreSQL at scale 1.0); "
        "the bench adds a guard, gate posts and checks to it",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/scan.py needs wrk: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="fangyi-bench-scan-"))
    database = workdir / "bench.sqlite3"
    env = {
        **os.environ,
        "FANGYI_VAR_DIR": str(workdir),
        "FANGYI_DATABASE_URL": args.reuse or f"sqlite:///{database}",
        "FANGYI_SECRET_KEY": SECRET,
        "FANGYI_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "fangyi.settings",
        "BENCH_DB": args.reuse or str(database),
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
    }
    procs: list[subprocess.Popen] = []
    try:
        spec = prepare(workdir, args.scale, env, bool(args.reuse))
        paced_bin = build_paced(workdir)
        requests_path = workdir / "requests.bin"
        write_requests(requests_path, spec)
        lua = workdir / "scan.lua"
        lua.write_text(
            WRK_LUA
            % {
                "tokens": ", ".join(json.dumps(t) for t in spec["tokens"]),
                "gates": ", ".join(str(g) for g in spec["gates"]),
                "api_token": spec["api_token"],
            }
        )
        results = {}
        ceiling_name = "plain WSGI + " + (
            "psycopg" if args.reuse.startswith("postgres") else "sqlite3"
        )
        for name, app in (
            ("fangyi (Django)", "fangyi.wsgi:application"),
            (ceiling_name, "scan:minimal_app"),
        ):
            port = free_port()
            proc = serve(app, port, env, args.workers)
            procs.append(proc)
            run_wrk(port, lua, 2, args.connections)  # warm up every worker
            results[name] = run_wrk(port, lua, args.seconds, args.connections)
            results[f"paced {name}"] = [
                paced_run(paced_bin, port, args.rate, args.seconds, requests_path)
                for _ in range(args.paced_runs)
            ]
            stop(proc, procs)
        os.environ["BENCH_DB"] = env["BENCH_DB"]
        checks = _conn().execute("SELECT count(*) FROM passes_gatecheck").fetchone()[0]
        django_rps = results["fangyi (Django)"]["rps"]
        ceiling = results[ceiling_name]["rps"]
        print()
        print(f"scale {args.scale}: {spec['residents']:,} passes, {len(spec['tokens'])} scanned, "
              f"{len(spec['gates'])} gates; gunicorn {args.workers} sync workers, wrk "
              f"{args.connections} connections x {args.seconds} s; {checks:,} checks in the table")  # fmt: skip
        print(f"{'app':<24} {'checks/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for name in ("fangyi (Django)", ceiling_name):
            r = results[name]
            print(
                f"{name:<24} {r['rps']:>10.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['errors']:>7}"
            )
        ratio = django_rps / ceiling if ceiling else 0
        print(f"{'ratio Django / ceiling':<24} {ratio:>10.0%}   (target >= 50%)")
        print(
            f"paced at {args.rate:.0f} checks/s for {args.seconds} s, {args.paced_runs} runs, "
            f"gunicorn {args.workers} sync workers (bench/paced.c; latency from each "
            "request's due time to its answer's last byte):"
        )
        print(
            f"{'app':<24} {'checks/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'p99.9':>8} {'errors':>7}"
        )
        for name in ("fangyi (Django)", ceiling_name):
            for paced in results[f"paced {name}"]:
                print(f"{name:<24} {paced['rps']:>10.0f} {paced['p50']:>8.1f} {paced['p99']:>8.1f} "
                      f"{paced['p999']:>8.1f} {paced['errors']:>7}")  # fmt: skip
        print(f"{'target for fangyi':<24} {'':>10} {'':>8} {'< 20':>8}")
    finally:
        for proc in procs:
            proc.kill()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
