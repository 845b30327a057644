"""The dashboards and the read API under concurrent load, with ≈10 M simulated events in the workspace.

    .venv/bin/python bench/web_load.py [--scale 0.007] [--connections 1,8,32] [--duration 10] [--rebuild]

The workspace (SQLite, the default store) holds the 2024 dataset and the simulated nation of
``chiso simulate --year 2024 --scale S`` (0.007 gives ≈9.3 M events: 2.65 M dossier status records and 6.6 M
NDXP transactions), built once and kept under ``$CHISO_BENCH_DATA`` (default /tmp/chiso-bench). The
server is the web app in its own process (uvicorn, one process, as ``chiso serve`` runs it); the load
comes from wrk (Debian's package; scripts/browser.sh installs it) in another process, on 127.0.0.1 only,
each run bounded by ``--duration``. Before the load, each page's first (uncached) answer is timed; the
pages keep their data per data version, so the load measures the steady state of a dashboard that is
read far more often than its data change. The baseline, ``/api/v1/health`` (one ``SELECT 1``), is
measured in the same run at each concurrency. Goal: p95 under 100 ms for the overview and the indicator
page.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

RATE = "dossier_full_online_rate"
TARGETS: list[tuple[str, str, bool]] = [  # (name, path, a page with the p95 goal)
    ("overview", "/", True),
    ("indicator page", f"/indicators/{RATE}", True),
    ("API value", f"/api/v1/values/{RATE}?unit=VN&period=2024", False),
    ("baseline: health", "/api/v1/health", False),
]
GOAL_MS = 100.0
KEY = "web-load"

# wrk's summary as one JSON line (wrk itself prints p50/75/90/99 only, not p95)
WRK_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
"""


# --- the workspace ------------------------------------------------------------------------------------


def chiso(ws: Path, *args: str) -> None:
    exe = Path(sys.executable).with_name("chiso")
    subprocess.run([str(exe), "--workspace", str(ws), *args], check=True)


def event_counts(ws: Path) -> dict[str, int]:
    """Events kept in the workspace's event store, by table (read-only: the server is not running yet)."""
    import duckdb

    con = duckdb.connect(str(ws / "events.duckdb"), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        out = {}
        for t in tables:
            row = con.execute(f'SELECT count(*) FROM "{t}"').fetchone()
            out[t] = int(row[0]) if row else 0
        return out
    finally:
        con.close()


def workspace(scale: float, rebuild: bool) -> tuple[Path, dict[str, Any]]:
    """The benchmark's workspace, built by the CLI the first time (or with ``--rebuild``)."""
    ws = c.DATA / f"web-ws-{scale:g}"
    meta = ws / "web-bench.json"
    if meta.exists() and not rebuild:
        return ws, json.loads(meta.read_text())
    shutil.rmtree(ws, ignore_errors=True)
    t0 = time.perf_counter()
    chiso(ws, "init")
    chiso(ws, "load", "vn-2024")
    t1 = time.perf_counter()
    chiso(ws, "simulate", "--year", "2024", "--scale", f"{scale:g}")
    t2 = time.perf_counter()
    info = {"scale": scale, "load_s": t1 - t0, "simulate_s": t2 - t1, "tables": event_counts(ws)}
    meta.write_text(json.dumps(info, indent=1))
    return ws, info


# --- the server ---------------------------------------------------------------------------------------


def serve(ws_dir: str, port: int) -> None:
    """Runs in the server process: the whole web app (pages, API, forms, admin) on 127.0.0.1:port."""
    import uvicorn

    from chiso import app as core
    from chiso.web import create_app

    ws = core.find_workspace(ws_dir)
    app = create_app(ws)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str

    def peak_mib(self) -> float:
        return c.peak_rss_mib(self.proc.pid)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_server(ws: Path) -> Server:
    import httpx

    port = c.free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(ws), "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return Server(proc, url)
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not answer within 120 s")


# --- measuring ----------------------------------------------------------------------------------------


def first_answers(url: str) -> dict[str, tuple[float, int, int]]:
    """Each target's first (uncached) answer: (seconds, status, bytes)."""
    import httpx

    out = {}
    with httpx.Client(base_url=url, timeout=300) as client:
        for name, path, _ in TARGETS:
            t0 = time.perf_counter()
            r = client.get(path)
            out[name] = (time.perf_counter() - t0, r.status_code, len(r.content))
            if r.status_code != 200:
                raise RuntimeError(f"GET {path} answered {r.status_code}: {r.text[:300]}")
        for _ in range(10):  # warm: every page cached, connections and allocators settled
            for _, path, _ in TARGETS:
                client.get(path)
    return out


def wrk(url: str, connections: int, seconds: int, script: Path) -> dict[str, Any]:
    threads = min(connections, 2)
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", str(script), url]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    d: dict[str, Any] = json.loads(line[len("WRKJSON "):])
    d["rps"] = d["requests"] / (d["duration_us"] / 1e6)
    d["errors"] = d["connect"] + d["read"] + d["write"] + d["status"] + d["timeout"]
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.007, help="chiso simulate --scale (0.007 ≈ 9.3 M events)")
    ap.add_argument("--connections", default="1,8,32", help="concurrent connections, comma-separated")
    ap.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint and concurrency")
    ap.add_argument("--rebuild", action="store_true", help="build the workspace again")
    ap.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: run scripts/browser.sh (apt-get install wrk)")
    levels = [int(x) for x in args.connections.split(",")]
    load_before = c.load_average()
    print(f"workspace at scale {args.scale:g} …", flush=True)
    ws, info = workspace(args.scale, args.rebuild)
    tables = {t: n for t, n in info["tables"].items() if t.endswith("_event")}  # not the batch bookkeeping
    events = sum(tables.values())
    print(f"  {ws}: {tables}", flush=True)
    server = start_server(ws)
    results: dict[tuple[str, int], dict[str, Any]] = {}
    try:
        first = first_answers(server.url)
        for name, (sec, _, size) in first.items():
            print(f"  first answer: {name:18s} {sec * 1000:9.1f} ms  {size:,} bytes", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "report.lua"
            script.write_text(WRK_LUA)
            for conns in levels:
                # rotate the order at each level: a burst of other load on this shared machine then falls
                # on every endpoint alike
                k = levels.index(conns) % len(TARGETS)
                for name, path, _ in TARGETS[k:] + TARGETS[:k]:
                    r = wrk(server.url + path, conns, args.duration, script)
                    results[(name, conns)] = r
                    print(f"  c={conns:3d} {name:18s} {r['rps']:8.1f} req/s  p50 {r['p50'] / 1000:7.1f} ms  "
                          f"p95 {r['p95'] / 1000:7.1f} ms  p99 {r['p99'] / 1000:7.1f} ms  errors {r['errors']}",
                          flush=True)
        peak = server.peak_mib()
    finally:
        server.stop()
    load_after = c.load_average()

    rows = []
    for conns in levels:
        base = results[("baseline: health", conns)]
        for name, path, goal in TARGETS:
            r = results[(name, conns)]
            p95 = r["p95"] / 1000
            rows.append([f"`GET {path}` ({name})", str(conns), f"{r['rps']:,.1f}", f"{r['p50'] / 1000:.1f}",
                         f"{p95:.1f}", f"{r['p99'] / 1000:.1f}", f"{r['requests']:,}", str(r["errors"]),
                         c.fmt_ratio(r["p50"] / base["p50"]) if base["p50"] else "–",
                         ("yes" if p95 < GOAL_MS else "**no**") if goal else "–"])
    verdict = []
    for name, _, goal in TARGETS:
        if goal:
            worst = max(levels, key=lambda n: results[(name, n)]["p95"])
            ok = [n for n in levels if results[(name, n)]["p95"] / 1000 < GOAL_MS]
            verdict.append(f"{name}: p95 under {GOAL_MS:.0f} ms at {', '.join(map(str, ok)) or 'no'} connection(s)"
                           f" of {', '.join(map(str, levels))}; worst p95 {results[(name, worst)]['p95'] / 1000:.0f} ms"
                           f" at {worst}")
    firsts = "; ".join(f"{n} {s * 1000:,.0f} ms ({size / 1024:,.0f} KiB)" for n, (s, _, size) in first.items())
    md = f"""## Web: dashboards and read API under load, ≈{events / 1e6:.1f}M events

The workspace of `chiso simulate --year 2024 --scale {args.scale:g}` plus the 2024 dataset
({', '.join(f'{t}: {n:,}' for t, n in tables.items())}; SQLite store). The web app in its own process
(uvicorn, one process, h11, as `chiso serve` runs it); the load from wrk in another process on the same
2 cores, closed loop, {args.duration} s per endpoint and concurrency, after each page's first answer
and a warm-up. × baseline = p50 ÷ the p50 of `/api/v1/health` (one `SELECT 1`) at the same
concurrency, in the same run. Errors = wrk's socket errors and non-2xx answers.

{c.table(["endpoint", "connections", "requests/s", "p50 ms", "p95 ms", "p99 ms", "requests", "errors",
          "× baseline", f"p95 < {GOAL_MS:.0f} ms"], rows)}

- Goal (p95 < {GOAL_MS:.0f} ms for the overview and the indicator page): {'; '.join(verdict)}.
- First answer after the server starts (nothing cached): {firsts}.
- Server peak RSS {c.fmt_mib(peak)} MiB. Workspace built in {info['load_s'] + info['simulate_s']:.0f} s
  (`chiso init` + `load vn-2024` {info['load_s']:.0f} s, `simulate` with ingestion {info['simulate_s']:.0f} s).
- Machine: {c.machine_line()}. Load average {load_before} at the start, {load_after} at the end (shared machine).
- Date: {c.stamp()}. Command: `{c.command_line()}`.
"""
    print(md)
    if not args.no_doc:
        c.update_doc(KEY, md)
        print(f"written to {c.DOC} (section {KEY})")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
