"""Ingestion rate: events from files, and over HTTP in batches of 1,000.

    .venv/bin/python bench/ingest.py --events 10M [--http-batches 100] [--clients 1,4]

- Files: ``EventIngestor.ingest_file`` on the simulator's Parquet files (validation, the event store
  append with its duplicate check, the kept aggregates updated per batch), into a fresh workspace.
  Baseline: the bare DuckDB insert of the same rows into the same tables (no validation, no duplicate
  check, no aggregates) — the floor for storing them. Also: the same file again (every event a duplicate).
- HTTP: ``chiso serve`` in its own process; this process posts NDJSON batches of 1,000 events to
  ``POST /api/v1/events/{kind}`` (1 client, then several at once), each answer awaited (200 = committed).
  Baseline: the same batches through ``EventIngestor.submit_ndjson`` in-process (no HTTP).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

# --- files -----------------------------------------------------------------------------------------------


def run_bare_insert(raw: str, folder: str) -> dict[str, float]:
    """The floor: the rows straight into the event store's tables with one INSERT … SELECT per kind."""
    import duckdb

    from chiso.catalogue.events import DERIVED_COLUMNS
    from chiso.store.events import EventStore, columns, table_name

    path = Path(folder) / "bare.duckdb"
    path.unlink(missing_ok=True)
    EventStore(path).close()  # the same tables, made by the store itself
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    out: dict[str, float] = {}
    for kind, derived in c.DERIVED_SQL.items():
        derived_names = {n for n, _ in DERIVED_COLUMNS[kind]}
        names = [n for n, *_ in columns(kind) if n not in derived_names and n != "batch"]
        sel = ", ".join(f'"{n}"' for n in names)
        t0 = time.perf_counter()
        # by name: the looked-up columns (a dossier's commune) stay null, the floor does no lookups
        con.execute(f"INSERT INTO {table_name(kind)} BY NAME SELECT {sel}, {derived}, 0 AS batch "
                    f"FROM read_parquet('{raw}/{kind}/*.parquet')")
        con.execute("CHECKPOINT")
        out[kind] = time.perf_counter() - t0
    con.close()
    path.unlink()
    return out


def run_ingest_files(raw: str, folder: str) -> dict[str, Any]:
    """``EventIngestor.ingest_file`` on every file, into a fresh workspace; then one file again."""
    from chiso import app as core

    ws_dir = Path(folder) / "ws-files"
    shutil.rmtree(ws_dir, ignore_errors=True)
    ws = core.init_workspace(ws_dir, f"sqlite:///{ws_dir / 'chiso.sqlite'}")
    ing = ws.ingestor()
    out: dict[str, Any] = {"seconds": {}, "events": {}, "files": {}}
    # as `chiso ingest raw/` does: every file in one block, a file's aggregates written while the next is read; a
    # kind's time runs to its last file's return (its last aggregates are written while the next kind's first is
    # read), the total to the end of the block, when all are written
    start = time.perf_counter()
    every = {kind: sorted(Path(raw, kind).glob("*.parquet")) for kind in ("dossier", "ndxp")}
    after = dict(zip(every["dossier"] + every["ndxp"], [*every["dossier"][1:], *every["ndxp"], None], strict=True))
    with ing.overlapped():
        for kind, files in every.items():
            t0 = time.perf_counter()
            n = 0
            for f in files:
                r = ing.ingest_file(f, kind, next_file=after[f])
                if r.rejected:
                    raise RuntimeError(f"{f}: {r.rejected} events rejected, e.g. {r.rejects[:2]}")
                n += r.accepted
            out["seconds"][kind] = time.perf_counter() - t0
            out["events"][kind] = n
            out["files"][kind] = len(files)
    out["total"] = time.perf_counter() - start
    again = sorted(Path(raw, "dossier").glob("*.parquet"))[-1]  # the smaller, last file
    t0 = time.perf_counter()
    r = ing.ingest_file(again, "dossier")
    out["again"] = {"seconds": time.perf_counter() - t0, "events": r.received, "duplicates": r.duplicates}
    ing.events.close()
    ws.close()
    return out


# --- HTTP --------------------------------------------------------------------------------------------------


def _json_default(o: Any) -> str:
    if isinstance(o, datetime | date):
        return o.isoformat()
    raise TypeError(type(o).__name__)


def batches(raw: Path, kind: str, count: int, size: int = 1000) -> list[bytes]:
    """The first ``count`` batches of ``size`` events of a kind, as NDJSON bodies (made before timing)."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(sorted((raw / kind).glob("*.parquet"))[0])
    out: list[bytes] = []
    for rb in pf.iter_batches(batch_size=size):
        lines = [json.dumps(r, default=_json_default, ensure_ascii=False) for r in rb.to_pylist()]
        out.append(("\n".join(lines) + "\n").encode())
        if len(out) == count:
            break
    return out


def new_workspace(folder: Path, name: str) -> tuple[Path, str]:
    """A fresh workspace with one event source allowed everything; returns (folder, its token)."""
    from chiso import app as core

    ws_dir = folder / name
    shutil.rmtree(ws_dir, ignore_errors=True)
    ws = core.init_workspace(ws_dir, f"sqlite:///{ws_dir / 'chiso.sqlite'}")
    token = ws.store.events.add_source("bench", "benchmark client", ["*"], ["*"])
    ws.close()
    return ws_dir, token


def run_in_process(ws_dir: str, bodies: dict[str, list[bytes]]) -> dict[str, list[float]]:
    """The baseline: each batch through ``submit_ndjson`` in this process, as the API would call it."""
    from chiso import app as core

    ws = core.find_workspace(ws_dir)
    ing = ws.ingestor()
    src = ws.store.events.sources()[0]
    out: dict[str, list[float]] = {}
    for kind, bs in bodies.items():
        times = []
        for b in bs:
            t0 = time.perf_counter()
            r = ing.submit_ndjson(kind, b, src)
            times.append(time.perf_counter() - t0)
            if r.rejected:
                raise RuntimeError(f"rejected: {r.rejects[:2]}")
        out[kind] = times
    ing.events.close()
    ws.close()
    return out


def post_all(url: str, token: str, kind: str, bodies: list[bytes], clients: int) -> tuple[float, list[float]]:
    """Post every body with ``clients`` concurrent clients; (wall seconds, per-request latencies)."""
    import httpx

    lat: list[float] = []
    lock = threading.Lock()
    todo = list(enumerate(bodies))
    errors: list[str] = []

    def client() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
        with httpx.Client(timeout=120) as h:
            while True:
                with lock:
                    if not todo:
                        return
                    _, body = todo.pop(0)
                t0 = time.perf_counter()
                r = h.post(f"{url}/api/v1/events/{kind}", content=body, headers=headers)
                dt = time.perf_counter() - t0
                if r.status_code != 200 or r.json().get("rejected"):
                    errors.append(f"{r.status_code} {r.text[:300]}")
                with lock:
                    lat.append(dt)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return wall, lat


def start_server(ws_dir: Path, port: int) -> subprocess.Popen[bytes]:
    import httpx

    exe = Path(sys.executable).parent / "chiso"
    # its log to a file: a pipe nobody reads fills up and stops the server (it logs every request)
    log = (ws_dir.parent / f"server-{port}.log").open("wb")
    proc = subprocess.Popen([str(exe), "--workspace", str(ws_dir), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"chiso serve exited: {Path(log.name).read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("chiso serve did not answer /api/v1/health within 30 s")


# --- main -------------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", default="10M", help="which simulated event set (10M, 100M, …)")
    ap.add_argument("--http-batches", type=int, default=100, help="batches of 1,000 per kind and client count")
    ap.add_argument("--clients", default="1,4", help="concurrent HTTP clients to try, e.g. 1,4")
    ap.add_argument("--national-days", type=int, default=0,
                    help="instead of --events: the first N days of 2024 at the national scale (files only)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternating runs of the floor and the file ingest; their medians are written")
    ap.add_argument("--no-files", action="store_true")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    if args.national_days:
        es = c.national_days(args.national_days)
        args.no_http = True
        tag = f"national-{args.national_days}d"
        title = f"the first {args.national_days} days of 2024 at the national scale ({es.total:,} events)"
    else:
        es = c.events(c.parse_count(args.events))
        tag = c.label(es.events)
        title = f"{tag} events"
    work = es.parquet.parent / "ingest"
    work.mkdir(exist_ok=True)
    if not args.no_files:
        load = c.load_average()
        body = files_section(es, work, args.rounds)
        publish(f"ingest-files-{tag}", [f"## Ingestion from files, {title}", "", *body], load, args)
    if not args.no_http:
        load = c.load_average()
        body = http_section(es, work, args)
        publish(f"ingest-http-{tag}", [f"## Ingestion over HTTP, {tag} events", "", *body], load, args)


def publish(key: str, lines: list[str], load_before: str, args: argparse.Namespace) -> None:
    lines += [
        *c.footer(load_before),
        "- The store is SQLite (the workspace default); peak = the process's peak RSS (VmHWM).",
    ]
    md = "\n".join(lines)
    c.publish(key, md, args.no_doc)


def files_section(es: c.EventSet, work: Path, rounds: int = 1) -> list[str]:
    """``rounds`` alternating runs of the floor and the ingest, each in its own process; the medians are kept (a shared
    machine's neighbours move a single run by a third), with every round's ratio."""
    bares: list[dict[str, float]] = []
    runs: list[dict[str, Any]] = []
    for i in range(rounds):
        bare, bare_rss = c.isolated(run_bare_insert, str(es.raw), str(work))
        print(f"round {i + 1}: bare DuckDB insert: {bare}", flush=True)
        res, rss = c.isolated(run_ingest_files, str(es.raw), str(work))
        print(f"round {i + 1}: ingest_file: {res}", flush=True)
        bares.append(bare)
        runs.append(res)
    per_round = [r["total"] / sum(b.values()) for b, r in zip(bares, runs, strict=True)]
    bare = {k: statistics.median(b[k] for b in bares) for k in bares[0]}
    res = dict(runs[-1], seconds={k: statistics.median(r["seconds"][k] for r in runs) for k in runs[0]["seconds"]},
               total=statistics.median(r["total"] for r in runs))
    counts = {"dossier": es.dossier_events, "ndxp": es.ndxp_events}
    rows = []
    for kind in ("dossier", "ndxp"):
        n = counts[kind]
        assert res["events"][kind] == n, (kind, res["events"][kind], n)
        rows.append([f"{kind}: `EventIngestor.ingest_file` (files: {res['files'][kind]})",
                     f"{n:,}", c.fmt_s(res["seconds"][kind]), f"{n / res['seconds'][kind]:,.0f}",
                     c.fmt_ratio(res["seconds"][kind] / bare[kind]), c.fmt_mib(rss)])
        rows.append([f"{kind}: baseline, bare DuckDB `INSERT … SELECT` into the same tables", f"{n:,}",
                     c.fmt_s(bare[kind]), f"{n / bare[kind]:,.0f}", "1.00×", c.fmt_mib(bare_rss)])
    tot_s = res["total"]
    tot_n = sum(counts.values())
    rows.append(["all: `ingest_file`", f"{tot_n:,}", c.fmt_s(tot_s), f"{tot_n / tot_s:,.0f}",
                 c.fmt_ratio(tot_s / sum(bare.values())), c.fmt_mib(rss)])
    ag = res["again"]
    rows.append([f"dossier, the last file again (all {ag['duplicates']:,} duplicates)", f"{ag['events']:,}",
                 c.fmt_s(ag["seconds"]), f"{ag['events'] / ag['seconds']:,.0f}", "–", c.fmt_mib(rss)])
    medians = "" if rounds == 1 else (
        f" Medians of {rounds} alternating rounds, each run in its own process; the total's ratio in each round: "
        + ", ".join(c.fmt_ratio(x) for x in per_round) + f" (median {c.fmt_ratio(statistics.median(per_round))}).")
    return ["The simulator's Parquet files (chunks of up to 2,000,000 rows; each chunk one batch: validated, "
            "stored once by `event_id`, its aggregates kept) into a fresh workspace, all in one block as "
            "`chiso ingest` does (a chunk's aggregates are written to SQLite while the next chunk is read and stored; "
            "a kind's seconds run to its last file's return, the total until every aggregate is written)." + medians,
            "", c.table(["path", "events", "seconds", "events/s", "× baseline", "peak MiB"], rows), ""]


def http_run(work: Path, sent: list[bytes], kind: str, k: int) -> tuple[float, list[float], float]:
    """``chiso serve`` on a fresh workspace, ``sent`` posted by ``k`` clients: (wall s, latencies, server MiB)."""
    ws_dir, token = new_workspace(work, f"ws-http-{kind}-{k}")
    port = c.free_port()
    server = start_server(ws_dir, port)
    try:
        wall, lat = post_all(f"http://127.0.0.1:{port}", token, kind, sent, k)
        server_rss = c.peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"  HTTP {kind} × {k} clients: {1000 * len(sent) / wall:,.0f} events/s", flush=True)
    return wall, lat, server_rss


def http_section(es: c.EventSet, work: Path, args: argparse.Namespace) -> list[str]:
    clients = [int(x) for x in args.clients.split(",")]
    bodies = {k: batches(es.raw, k, args.http_batches * max(clients)) for k in ("dossier", "ndxp")}
    base_bodies = {k: v[: args.http_batches] for k, v in bodies.items()}

    def baseline() -> tuple[dict[str, list[float]], float]:
        base_dir, _ = new_workspace(work, "ws-inproc")
        out: tuple[dict[str, list[float]], float] = c.isolated(run_in_process, str(base_dir), base_bodies)
        return out

    # The baseline runs before and after the HTTP runs, and counts both: on a shared machine a burst of
    # other load then weighs on both sides of the ratio.
    before, rss1 = baseline()
    runs = []
    for kind in ("dossier", "ndxp"):
        for k in clients:
            runs.append((kind, k, http_run(work, bodies[kind][: args.http_batches * k], kind, k)))
    after, rss2 = baseline()
    base_rss = max(rss1, rss2)
    rows = []
    for kind in ("dossier", "ndxp"):
        t = before[kind] + after[kind]
        n = 1000 * len(t)
        rows.append([f"{kind}: baseline, `submit_ndjson` in-process", "–", f"{n:,}", f"{n / sum(t):,.0f}",
                     c.fmt_s(1000 * statistics.median(t)), c.fmt_s(1000 * c.pct(t, 0.95)), "1.00×",
                     c.fmt_mib(base_rss)])
        for kind_, k, (wall, lat, server_rss) in runs:
            if kind_ != kind:
                continue
            n = 1000 * len(lat)
            rate = n / wall
            rows.append([f"{kind}: HTTP `POST /api/v1/events/{kind}`", str(k), f"{n:,}", f"{rate:,.0f}",
                         c.fmt_s(1000 * statistics.median(lat)), c.fmt_s(1000 * c.pct(lat, 0.95)),
                         c.fmt_ratio((wall / n) / (sum(t) / (1000 * len(t)))), f"{c.fmt_mib(server_rss)} (server)"])
    return ["Over HTTP, batches of 1,000 events (NDJSON), each answered after its commit; the server "
            "(`chiso serve`, one event writer) in its own process, the clients in this one; × baseline = time "
            "per event ÷ the in-process baseline's (run before and after the HTTP runs, both counted):", "",
            c.table(["path", "clients", "events", "events/s", "p50 ms/batch", "p95 ms/batch", "× baseline",
                     "peak MiB"], rows), ""]


if __name__ == "__main__":
    os.environ.setdefault("CHISO_LANG", "en")
    main()
