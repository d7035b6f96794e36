"""Offline verification on the gate page (issue 15's benchmark, the phone's side).

Loads the gate page's own offline code (fangyi/passes/static/passes/gate-offline.js, the
pure functions it exposes as `window.fangyiGate`) in Debian's Chromium through Playwright,
with a deny list as big as a whole district (551,000 passes, the worst case: every
resident listed; a real zone's list is a few hundred, bench/offline.py), and measures:

- the list's size as the phone stores it (JSON, and gzipped as it travels);
- parsing the list (JSON.parse of that text);
- per check: parse the P2 token, verify its Ed25519 signature (WebCrypto; and the
  @noble/ed25519 fallback), look the pass up in the list and decide the colour.

    .venv/bin/python bench/offline_page.py [--passes 551000] [--checks 500]

Needs `make install` (the vendored noble-ed25519.js) and Chromium (package chromium).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import random
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "fangyi" / "static" / "vendor" / "noble-ed25519.js"
PASSES_JS = ROOT / "fangyi" / "passes" / "static" / "passes"

MEASURE_JS = """
async ([listText, checks, engine]) => {
  const g = window.fangyiGate;
  const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const pair = await crypto.subtle.generateKey({name: "Ed25519"}, true, ["sign", "verify"]);
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  const keys = [{kid: "bench-1", alg: "Ed25519", public_key: b64(raw),
                 not_before: "2020-01-01T00:00:00Z", not_after: null}];
  const t0 = performance.now();
  const list = JSON.parse(listText);
  const parseMs = performance.now() - t0;
  list.keys = keys;
  list.stored_at = Date.now();
  const ids = Object.keys(list.passes);
  const tokens = [];
  const issued = Math.floor(Date.now() / 1000);
  for (let i = 0; i < checks; i++) {
    // Half listed (red, yellow or refused), half not (green).
    const id = i % 2 ? ids[(i * 7919) % ids.length] : String(10000000 + i);
    const signed = `P2.bench-1.${id}.1.${issued}`;
    const sig = await crypto.subtle.sign({name: "Ed25519"}, pair.privateKey,
                                         new TextEncoder().encode(signed));
    tokens.push(`${signed}.${b64(sig)}`);
  }
  const times = [];
  const colours = {};
  const now = Date.now();
  for (const text of tokens) {
    const start = performance.now();
    const token = g.parseToken(text);
    const verdict = await g.verifyToken(token, keys, now, engine);
    if (verdict !== "ok") throw new Error("verify " + verdict);
    const answer = g.decide(token, list, 36.5, now);
    times.push(performance.now() - start);
    colours[answer.colour] = (colours[answer.colour] || 0) + 1;
  }
  times.sort((a, b) => a - b);
  const pick = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return {parseMs, median: pick(0.5), p99: pick(0.99), max: times[times.length - 1],
          colours, heapMB: (performance.memory ? performance.memory.usedJSHeapSize : 0) / 1e6};
}
"""


def deny_list(passes: int, seed: int = 2020) -> dict:
    rng = random.Random(seed)
    kinds = [("red", "isolated"), ("yellow", "returnee"), ("refused", "revoked")]
    entries = {}
    for pass_id in range(1, passes + 1):
        colour, reason = rng.choice(kinds)
        entries[str(pass_id)] = {"v": 1, "c": colour, "r": reason}
    return {
        "taken_at": "2026-12-01T07:42:00+08:00",
        "gate_id": 1,
        "zone_id": 1,
        "district_code": "440310",
        "max_age_minutes": 30,
        "fever_threshold": "37.3",
        "observation_point": None,
        "keys": [],
        "passes": entries,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=551_000)
    parser.add_argument("--checks", type=int, default=500)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from fangyi.core.tests.browser import find_chromium

    chromium = find_chromium()
    if chromium is None or not STATIC.is_file():
        print("needs Chromium (package chromium) and `make install`", file=sys.stderr)
        return 2
    text = json.dumps(deny_list(args.passes), separators=(",", ":"))
    size, packed = len(text.encode()), len(gzip.compress(text.encode()))
    with tempfile.TemporaryDirectory() as folder:
        # The page's files at the paths they have under /static/ (the fallback is an ES
        # module importing ../vendor/), served on loopback (a secure context).
        root = Path(folder)
        (root / "vendor").mkdir()
        (root / "vendor" / "noble-ed25519.js").symlink_to(STATIC)
        (root / "passes").symlink_to(PASSES_JS)
        (root / "bench.html").write_text(
            "<!doctype html><meta charset=utf-8>"
            "<script type=module src='passes/ed25519-fallback.js'></script>"
            "<script src='passes/gate-offline.js'></script>"
        )
        handler = functools.partial(QuietHandler, directory=folder)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/bench.html"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium)
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(url)
            page.wait_for_function("() => window.fangyiGate && window.fangyiEd25519")
            print(f"deny list: {args.passes:,} passes, {size / 1e6:.1f} MB JSON, "
                  f"{packed / 1e6:.2f} MB gzipped")  # fmt: skip
            for engine in ("webcrypto", "noble"):
                started = time.perf_counter()
                result = page.evaluate(MEASURE_JS, [text, args.checks, engine])
                print(
                    f"{engine:9}: list parsed in {result['parseMs']:.0f} ms; per check "
                    f"(parse + verify + look-up + decide) median {result['median']:.2f} ms, "
                    f"p99 {result['p99']:.2f} ms, max {result['max']:.2f} ms over "
                    f"{args.checks} checks {result['colours']}; "
                    f"{time.perf_counter() - started:.1f} s in all"
                )
            browser.close()
        server.shutdown()
    return 0


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
