"""Event to answer: how long after a portal sends an event it is in the answers, while events stream at the national
peak rate and the dashboard is under load.

    .venv/bin/python bench/event_to_answer.py [--scale 0.007] [--seconds 60] [--connections 8] [--no-doc]

The workspace is bench/web_load.py's (the 2024 dataset and a simulated 2024 of ≈9.3 M events, SQLite). Two
deployments run one after the other in the same run:

- embedded: one ``chiso serve`` holds the event store; ``POST /api/v1/events/{kind}`` answers 200 once its batch is
  committed and its aggregates applied;
- NATS log: a node ``chiso serve --no-events --nats …`` answers 202 once JetStream holds the batch, and the one
  writer ``chiso ingest --from nats://…`` (its own process) applies it.

In each, wrk loads the overview and an indicator page (``--connections``), and a producer sends, every second, one
batch of dossier status records and one of NDXP transactions at the national peak rate: the busiest hour of the
workspace's simulated year, scaled to the nation (scale 1). After each dossier batch the producer asks the value API,
for the province and for the nation, until both include the batch. Event to answer = from the POST sent to the
first answer of both that includes it. Goal (issue 14): p95 within 1 s. Baseline: the value API's own answer time,
under the same load, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import web_load as wl

KEY = "event-to-answer"
GOAL_S = 1.0
UNIT, PERIOD = "P48", "2024-12"  # Đà Nẵng's December: the events are sent as of 31/12/2024
RECORDS = "portal_status_records"  # a count of dossier status records: each batch adds exactly its size
PAGES = ["/", "/indicators/dossier_full_online_rate"]
NATS = os.environ.get("CHISO_BENCH_NATS", "nats://127.0.0.1:4222")

PATHS = ", ".join(f'"{p}"' for p in PAGES)
WRK_LUA = f"""
local paths = {{{PATHS}}}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
""" + wl.WRK_LUA


def peak_rates(ws: Path, scale: float) -> dict[str, float]:
    """Events per second in the busiest hour of the simulated year, per kind, scaled to the nation."""
    import duckdb

    con = duckdb.connect(str(ws / "events.duckdb"), read_only=True)
    try:
        out = {}
        for kind in ("dossier", "ndxp"):
            row = con.execute(f'SELECT max(n) FROM (SELECT count(*) AS n FROM {kind}_event '
                              "GROUP BY date_trunc('hour', \"at\"))").fetchall()[0]
            out[kind] = float(row[0] or 0) / scale / 3600
        return out
    finally:
        con.close()


def add_source(ws: Path) -> str:
    exe = Path(sys.executable).with_name("chiso")
    done = subprocess.run([str(exe), "--workspace", str(ws), "sources", "add", f"bench-{uuid.uuid4().hex[:8]}",
                           "--name", "event-to-answer bench"], check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


@contextmanager
def deployment(mode: str, ws: Path, logs: Path) -> Iterator[str]:
    """The web node(s) and writer of ``mode``; yields the node's URL once it answers."""
    import httpx

    exe = str(Path(sys.executable).with_name("chiso"))
    port = c.free_port()
    procs: list[subprocess.Popen[bytes]] = []
    extra: list[str] = []
    if mode == "nats":
        prefix, durable = f"bench.e2a{uuid.uuid4().hex[:6]}", f"bench-e2a-{uuid.uuid4().hex[:6]}"
        extra = ["--no-events", "--nats", NATS, "--subject-prefix", prefix]
        procs.append(subprocess.Popen([exe, "--workspace", str(ws), "ingest", "--from", NATS, "--subject-prefix",
                                       prefix, "--durable", durable], stdout=(logs / "writer.log").open("wb"),
                                      stderr=subprocess.STDOUT))
    procs.append(subprocess.Popen([exe, "--workspace", str(ws), "serve", "--port", str(port), *extra],
                                  stdout=(logs / f"node-{mode}.log").open("wb"), stderr=subprocess.STDOUT))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"{mode}: a process exited; see {logs}")
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{mode}: the node did not answer within 180 s; see {logs}")
            time.sleep(0.3)
        yield url
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()


def records(n: int, kind: str, run: str, start: int) -> str:
    lines = []
    for i in range(start, start + n):
        at = f"2024-12-31T10:{(i // 60) % 60:02d}:{i % 60:02d}"
        if kind == "dossier":
            ev: dict[str, Any] = {"event_id": f"{run}-d{i}", "at": at, "source_system": "bench", "dossier_id":
                                  f"{run}-hs{i}", "procedure_code": "1.001234", "unit": UNIT, "status": "received",
                                  "channel": "online"}
        else:
            ev = {"event_id": f"{run}-n{i}", "at": at, "source_system": "bench", "consumer_unit": UNIT,
                  "consumer_system": "dvc", "provider_unit": "BCA", "provider_system": "csdlqg-dc",
                  "service": "tra-cuu-cong-dan"}
        lines.append(json.dumps(ev))
    return "\n".join(lines) + "\n"


def measure(url: str, token: str, rates: dict[str, float], seconds: int, connections: int,
            script: Path) -> dict[str, Any]:
    import httpx

    run = uuid.uuid4().hex[:8]
    per = {k: max(1, round(r)) for k, r in rates.items()}  # events a batch, a batch a second per kind
    head = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    load: dict[str, Any] = {}
    wrk_thread = threading.Thread(target=lambda: load.update(wl.wrk(url, connections, seconds + 5, script)))
    e2a: list[float] = []
    posts: list[float] = []
    answers: list[float] = []
    statuses: set[int] = set()
    with httpx.Client(base_url=url, timeout=30) as client:

        def current(unit: str) -> float:
            t0 = time.perf_counter()
            r = client.get(f"/api/v1/values/{RECORDS}", params={"unit": unit, "period": PERIOD})
            answers.append(time.perf_counter() - t0)
            r.raise_for_status()
            return float(r.json().get("value") or 0)

        for p in PAGES:  # every page answered once before the load (first answers build the caches)
            client.get(p).raise_for_status()
        expected = {u: current(u) for u in (UNIT, "VN")}
        wrk_thread.start()
        time.sleep(2)  # the load under way
        sent = {"dossier": 0, "ndxp": 0}
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            tick = time.monotonic()
            nd = records(per["ndxp"], "ndxp", run, sent["ndxp"])
            body = records(per["dossier"], "dossier", run, sent["dossier"])
            t0 = time.perf_counter()
            r = client.post("/api/v1/events/dossier", content=body, headers=head)
            posts.append(time.perf_counter() - t0)
            statuses.add(r.status_code)
            if r.status_code not in (200, 202):
                raise RuntimeError(f"POST answered {r.status_code}: {r.text[:300]}")
            sent["dossier"] += per["dossier"]
            for u in expected:
                expected[u] += per["dossier"]
            while any(current(u) < expected[u] for u in expected):
                if time.perf_counter() - t0 > 30:
                    raise RuntimeError(f"the batch was not in the answers after 30 s ({expected})")
                time.sleep(0.01)
            e2a.append(time.perf_counter() - t0)
            r = client.post("/api/v1/events/ndxp", content=nd, headers=head)
            statuses.add(r.status_code)
            sent["ndxp"] += per["ndxp"]
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))  # one batch of each kind a second
    wrk_thread.join()
    return {"e2a": e2a, "posts": posts, "answers": answers, "load": load, "per": per, "statuses": sorted(statuses)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.007, help="the web_load workspace's simulate --scale")
    ap.add_argument("--seconds", type=int, default=60, help="seconds of streaming per deployment")
    ap.add_argument("--connections", type=int, default=8, help="wrk's concurrent connections on the pages")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (scripts/browser.sh installs it)")
    ws, info = wl.workspace(args.scale, args.rebuild)
    rates = peak_rates(ws, args.scale)
    print(f"national peak: {rates['dossier']:.0f} dossier status records/s, {rates['ndxp']:.0f} NDXP transactions/s")
    token = add_source(ws)
    load = c.load_average()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "pages.lua"
        script.write_text(WRK_LUA)
        for mode in ("embedded", "nats"):
            with deployment(mode, ws, Path(tmp)) as url:
                results[mode] = measure(url, token, rates, args.seconds, args.connections, script)
            r = results[mode]
            print(f"{mode}: event to answer p50 {statistics.median(r['e2a']):.3f} s, "
                  f"p95 {c.pct(r['e2a'], 0.95):.3f} s over {len(r['e2a'])} batches", flush=True)
    rows = []
    for mode, r in results.items():
        e2a, base = r["e2a"], r["answers"]
        label = ("embedded: `chiso serve` holds the event store (200 once applied)" if mode == "embedded" else
                 "NATS log: node answers 202 once JetStream holds it, the writer applies it")
        rows.append([label, str(len(e2a)), c.fmt_s(1000 * statistics.median(e2a)), c.fmt_s(1000 * c.pct(e2a, 0.95)),
                     c.fmt_s(1000 * max(e2a)), c.fmt_s(1000 * statistics.median(r["posts"])),
                     c.fmt_s(1000 * c.pct(base, 0.95)), c.fmt_ratio(c.pct(e2a, 0.95) / c.pct(base, 0.95)),
                     f"{r['load'].get('rps', 0):,.0f}", c.fmt_s(r["load"].get("p95", 0) / 1000)])
    worst = max(c.pct(r["e2a"], 0.95) for r in results.values())
    kept = info["tables"].get("dossier_event", 0) + info["tables"].get("ndxp_event", 0)
    md = "\n".join([
        f"## Event to answer at the national peak rate, dashboard under load (≈{kept:,} events kept)",
        "",
        f"Events sent at the busiest hour of the simulated year scaled to the nation: "
        f"{rates['dossier']:.0f} dossier status records/s and {rates['ndxp']:.0f} NDXP transactions/s, one batch "
        f"of each a second for {args.seconds} s; meanwhile wrk reads the overview and the indicator page with "
        f"{args.connections} connections. *Event to answer* = from a dossier batch's POST sent to the first answer "
        f"of `/api/v1/values/{RECORDS}` for {UNIT} and for the nation that both include it; *baseline* = the value "
        "API's own answer time (p95) under the same load.",
        "",
        c.table(["deployment", "batches", "p50 ms", "p95 ms", "max ms", "POST p50 ms", "baseline p95 ms",
                 "p95 × baseline", "pages req/s", "pages p95 ms"], rows),
        "",
        f"- Goal: p95 within {GOAL_S:.0f} s: **{'met' if worst <= GOAL_S else 'not met'}** "
        f"(worst p95 {worst:.3f} s).",
        *c.footer(load),
        "- The store is SQLite (the workspace default); the NATS log is the machine's JetStream.",
    ])
    c.publish(KEY, md, args.no_doc)


if __name__ == "__main__":
    os.environ.setdefault("CHISO_LANG", "en")
    main()
