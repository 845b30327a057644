"""Answer latency: ``ws.engine.value(...)`` and ``ws.engine.rank(...)`` over the kept aggregates.

    .venv/bin/python bench/answers.py --events 10M [--calls 500] [--no-pg]

A workspace with the 2024 dataset loaded (reported values and targets) and the kept aggregates of the
simulated events (``event_agg`` and ``event_first_seen``, installed from a full recompute), in SQLite
(the default) and in PostgreSQL. Calls are drawn (seeded) over every event-derived indicator, units
from the nation to single provinces, and periods from the year to single months; ``value`` compares with
the previous period and the same period a year before (its default). Goal (the issue): under 50 ms.
Baseline: one kept-aggregate read (``EventBook.by_unit`` for one measure, unit and period), the
primitive that each answer makes several of.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

PERIODS = ["2024", "2024Q1", "2024Q2", "2024Q3", "2024Q4", *[f"2024-{m:02d}" for m in range(1, 13)]]


def prepare(parquet: str, ws_dir: str, url: str) -> dict[str, Any]:
    """A workspace with the dataset and the kept aggregates of the events (returns sizes and times)."""
    import shutil

    import ibis

    from chiso import app as core
    from chiso.engine.spark import recompute_on

    shutil.rmtree(ws_dir, ignore_errors=True)
    ws = core.init_workspace(Path(ws_dir), url)
    if ws.store.dialect == "postgresql":  # a database left by an earlier run: start empty
        from sqlalchemy import text

        with ws.store.engine.begin() as conn:
            conn.execute(text("TRUNCATE data_value, target, source_document, audit, change_set, event_agg, "
                              "event_first_seen RESTART IDENTITY CASCADE"))
    core.load(ws, "vn-2024", "bench")
    t0 = time.perf_counter()
    daily, first = recompute_on(ibis.duckdb.connect(), parquet, ws.catalogue)
    t1 = time.perf_counter()
    ws.store.events.replace_all(daily, first)
    t2 = time.perf_counter()
    ws.close()
    return {"daily_rows": daily.num_rows, "first_rows": first.num_rows, "recompute_s": t1 - t0, "install_s": t2 - t1}


def calls(catalogue: Any, n: int, seed: int = 7) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    from chiso.catalogue.models import UnitType

    rng = random.Random(seed)
    inds = sorted(catalogue.event_indicators)
    leaves = sorted(code for code, u in catalogue.units.items() if u.type not in (UnitType.GROUP, UnitType.NATION))
    units = ["VN", "ministries", "provinces"]
    value_calls = []
    for i in range(n):
        unit = units[i % 3] if i % 4 == 0 else rng.choice(leaves)  # a quarter at the nation and the groups
        value_calls.append((rng.choice(inds), unit, rng.choice(PERIODS)))
    rank_calls = [(rng.choice(inds), rng.choice(["ministries", "provinces"]), rng.choice(PERIODS)) for _ in range(n)]
    return value_calls, rank_calls


def measure(ws_dir: str, n: int) -> dict[str, Any]:
    """Latencies (seconds) of value, rank and the baseline read, and memory, in this process."""
    from chiso import app as core
    from chiso.catalogue.periods import Period

    ws = core.find_workspace(ws_dir)
    engine = ws.engine
    book = ws.store.events
    value_calls, rank_calls = calls(ws.catalogue, n)
    for ind, unit, period in value_calls[:20]:  # warm: connections, caches, the catalogue
        engine.value(ind, unit, period)
    for ind, group, period in rank_calls[:10]:
        engine.rank(ind, group, period)
    out: dict[str, Any] = {"value": [], "value_alone": [], "rank": [], "read": []}
    checked = 0
    slowest = (0.0, "")
    for ind, unit, period in value_calls:
        t0 = time.perf_counter()
        ans = engine.value(ind, unit, period)
        dt = time.perf_counter() - t0
        out["value"].append(dt)
        slowest = max(slowest, (dt, f"value({ind!r}, {unit!r}, {period!r})"))
        checked += ans.value is not None
    out["with_value"] = checked
    out["slowest"] = slowest
    for ind, unit, period in value_calls:
        t0 = time.perf_counter()
        engine.value(ind, unit, period, compare=False)
        out["value_alone"].append(time.perf_counter() - t0)
    for ind, group, period in rank_calls:
        t0 = time.perf_counter()
        rows = engine.rank(ind, group, period)
        out["rank"].append(time.perf_counter() - t0)
        assert rows
    measures = sorted(m for m, x in ws.catalogue.measures.items() if x.agg != "first_seen")
    rng = random.Random(3)
    for _ in range(n):
        p = Period.parse(rng.choice(PERIODS))
        m, u = rng.choice(measures), rng.choice(["P01", "P79", "BCA", "BTC", "P48"])
        t0 = time.perf_counter()
        book.by_unit(m, [u], p.start, p.end)
        out["read"].append(time.perf_counter() - t0)
    # Python allocations while answering (tracemalloc slows the calls, so apart from the timing).
    tracemalloc.start()
    for ind, unit, period in value_calls[:100]:
        engine.value(ind, unit, period)
    for ind, group, period in rank_calls[:50]:
        engine.rank(ind, group, period)
    out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    out["dialect"] = ws.store.dialect
    ws.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", default="10M", help="which simulated event set (10M, 100M, …)")
    ap.add_argument("--calls", type=int, default=500, help="timed calls of each kind")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    es = c.events(c.parse_count(args.events))
    tag = c.label(es.events).lower()
    stores = [("SQLite", str(es.parquet.parent / "ws-answers-sqlite"), None)]
    if not args.no_pg:
        import psycopg

        db = f"chiso_bench_answers_{tag}"
        with psycopg.connect(c.PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{db}"')
        stores.append(("PostgreSQL", str(es.parquet.parent / "ws-answers-pg"), c.PG_ADMIN.rsplit("/", 1)[0] + "/" + db))
    rows = []
    prep_notes = []
    slow_notes: list[str] = []
    load_before = c.load_average()
    for label, ws_dir, url in stores:
        info, _ = c.isolated(prepare, str(es.parquet), ws_dir, url or f"sqlite:///{ws_dir}/chiso.sqlite")
        prep_notes.append(f"{label}: {info['daily_rows']:,} kept daily rows and {info['first_rows']:,} first-seen "
                          f"keys installed in {info['install_s']:.1f} s (recomputed in {info['recompute_s']:.1f} s)")
        res, rss = c.isolated(measure, ws_dir, args.calls)
        base = statistics.median(res["read"])
        for kind, what in (("value", "`ws.engine.value(indicator, unit, period)`"),
                           ("value_alone", "`ws.engine.value(…, compare=False)`"),
                           ("rank", "`ws.engine.rank(indicator, group, period)`"),
                           ("read", "baseline: `EventBook.by_unit` (one measure, one unit, one period)")):
            xs = res[kind]
            p95 = c.pct(xs, 0.95)
            goal = "–" if kind == "read" else ("yes" if p95 < 0.05 else "no")
            rows.append([f"{label}: {what}", str(len(xs)), c.fmt_s(1000 * statistics.median(xs)),
                         c.fmt_s(1000 * p95), c.fmt_s(1000 * c.pct(xs, 0.99)), c.fmt_s(1000 * max(xs)),
                         c.fmt_ratio(statistics.median(xs) / base), goal,
                         f"{c.fmt_mib(rss)} ({res['tracemalloc_peak_mib']:.1f} traced)"])
        slow_notes.append(f"{label}: {res['slowest'][1]} took {1000 * res['slowest'][0]:,.0f} ms; "
                          f"{res['with_value']} of {len(res['value'])} value calls had a value")
        print(f"  {label}: value p50 {1000 * statistics.median(res['value']):.1f} ms, rank p50 "
              f"{1000 * statistics.median(res['rank']):.1f} ms", flush=True)
    md = "\n".join([
        f"## Answers from the kept aggregates, {c.label(es.events)} events",
        "",
        f"The kept aggregates of {es.total:,} simulated events of 2024 plus the 2024 dataset (reported values and "
        f"targets). {args.calls} calls of each kind, drawn over the {len(PERIODS)} periods of 2024 (year, quarters, "
        "months), every event-derived indicator, and units from the nation (VN), the two groups and single "
        "ministries and provinces (value) or the two groups (rank); `value` also answers the previous period and "
        "the same period last year (its default). × baseline = median ÷ the baseline's median. Peak = the "
        "process's peak RSS (VmHWM), with the Python allocations traced by tracemalloc over 150 calls.",
        "",
        c.table(["call", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms", "× baseline", "p95 < 50 ms",
                 "peak MiB"], rows),
        "",
        "- " + "; ".join(prep_notes) + ".",
        "- Slowest: " + "; ".join(slow_notes) + ".",
        *c.footer(load_before),
    ])
    c.publish(f"answers-{c.label(es.events)}", md, args.no_doc)


if __name__ == "__main__":
    main()
