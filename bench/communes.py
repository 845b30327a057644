"""Answers below the province (issue 13): one commune, a province's communes, every commune of the nation.

    .venv/bin/python bench/communes.py --events 10M [--calls 100] [--rebuild]
    .venv/bin/python bench/communes.py --events 200k --calls 20 --no-doc     # a quick check

A workspace with the 2024 dataset loaded, the kept aggregates of the simulated events of 2024 (``event_agg`` and
``event_first_seen``) and the per-commune ones (``event_agg_local``), all installed from a full recompute, on
SQLite; kept beside the events (``ws-communes-sqlite``) and reused by the next run unless ``--rebuild``.

The simulator names in a dossier's ``subunit`` a 2024 commune of the dossier's own province (``X#####``), which
ingestion attributes to that very commune: the per-commune aggregates are the recompute grouped by ``subunit``
(checked: every subunit is a 2024 commune of its event's province). The simulator has no 2025 communes, so for the
national ranking of the 3,321 communes of 2025 the second half of 2024 is carried one year on and given to each
2024 commune's first successor (the one it merged into whole, for all but the 471 divided ones): the same volume
of kept rows per commune and day as 2024, in 2025's communes, read by the same paths.

Calls (drawn, seeded; in each repetition the paths run one after the other in rotating order, so that a burst of
someone else's load falls on all of them alike):

- value: ``engine.value(indicator, commune, period)`` over the dossier indicators, the 2024 communes and the
  periods of 2024 (year, quarters, months), with the previous period and last year (its default); goal < 50 ms;
- rank, province: ``engine.rank(indicator, "P01.communes", period)``, Hà Nội's 526 communes of 2024 (the brief's
  largest province; by count of communes Thanh Hóa's 547 are a few more); goal < 100 ms;
- rank, nation: ``engine.rank(indicator, "communes", period)``, the 3,321 communes of 2025, periods from July 2025
  to the year 2025; goal < 500 ms;
- index, province: ``IndexScorer(engine).group("qd766", "P01.communes", period)`` (no goal set: measured);
- baseline: one kept-aggregate read of one commune (``EventBook.by_unit_local``: one measure, one period).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

P2024 = ["2024", "2024Q1", "2024Q2", "2024Q3", "2024Q4", *[f"2024-{m:02d}" for m in range(1, 13)]]
P2025 = ["2025", "2025Q3", "2025Q4", *[f"2025-{m:02d}" for m in range(7, 13)]]
PROVINCE = "P01.communes"  # Hà Nội's communes of 2024
NATION = "communes"
INDEX = "qd766"
GOALS = {"value": 0.05, "rank_province": 0.1, "rank_nation": 0.5}


def local_aggregates(parquet: str, cat: Any) -> tuple[Any, dict[str, int]]:
    """The per-commune daily totals of 2024 from the simulated dossiers, and 2025's from its second half."""
    import ibis
    import pyarrow as pa

    from chiso.catalogue.models import UnitType
    from chiso.engine.spark import read_events, recompute_local_tables

    con = ibis.duckdb.connect()
    t = read_events(con, parquet, "dossier")
    t = t.mutate(commune=t.subunit)  # what ingestion resolves a simulated subunit to (checked below)
    pairs = con.to_pyarrow(t.filter(t.subunit.notnull()).select("unit", "subunit").distinct())
    wrong = [(u, s) for u, s in zip(pairs["unit"].to_pylist(), pairs["subunit"].to_pylist(), strict=True)
             if s not in cat.units or cat.units[s].type is not UnitType.COMMUNE or cat.units[s].province != u]
    if wrong:
        raise SystemExit(f"{len(wrong)} simulated subunits are not a 2024 commune of their province: {wrong[:5]}")
    local = recompute_local_tables(con, {"dossier": t}, cat)
    succ = [(u.code, u.successors[0].unit) for u in cat.units.values()
            if u.type is UnitType.COMMUNE and u.valid_to is not None and u.successors]
    duck = con.con  # plain DuckDB over the Arrow tables
    duck.register("loc", local)
    duck.register("succ", pa.table({"old": [a for a, _ in succ], "new": [b for _, b in succ]}))
    later = duck.sql("""
        SELECT measure, succ.new AS unit, CAST(day + INTERVAL 1 YEAR AS DATE) AS day,
               CAST(SUM(value) AS BIGINT) AS value
        FROM loc JOIN succ ON loc.unit = succ.old WHERE day >= DATE '2024-07-01'
        GROUP BY ALL""").to_arrow_table()
    later = later.select(local.column_names).cast(local.schema)
    both = pa.concat_tables([local, later])
    return both, {"local_2024": local.num_rows, "local_2025": later.num_rows, "subunits": pairs.num_rows}


def prepare(parquet: str, ws_dir: str, events: int) -> dict[str, Any]:
    """A workspace with the dataset and the kept aggregates of the events (returns sizes and times)."""
    return c.aggregated_workspace(parquet, ws_dir, events, local_aggregates)


def dossier_indicators(cat: Any) -> list[str]:
    """The event-derived indicators a commune has figures for: those of dossier measures kept per commune."""
    out = []
    for code, ei in cat.event_indicators.items():
        ms = [m for m in (ei.value, ei.numerator, ei.denominator) if m is not None]
        if ms and all(m in cat.measures and cat.measures[m].events == "dossier" and cat.measures[m].agg != "first_seen"
                      for m in ms):
            out.append(code)
    return sorted(out)


def measure(ws_dir: str, n: int) -> dict[str, Any]:
    from chiso import app as core
    from chiso.catalogue.periods import Period, parse_period
    from chiso.engine.indices import IndexScorer

    ws = core.find_workspace(ws_dir)
    engine, cat, book = ws.engine, ws.catalogue, ws.store.events
    inds = dossier_indicators(cat)
    communes = [u.code for u in cat.members(NATION, parse_period("2024"))]
    province = cat.unit(PROVINCE)
    nation = cat.unit(NATION)
    sizes = {"province": len(cat.components(province, parse_period("2024"))),
             "nation_2025": len(cat.components(nation, parse_period("2025"))), "communes_2024": len(communes)}
    rng = random.Random(13)
    draws = [(rng.choice(inds), rng.choice(communes), rng.choice(P2024), rng.choice(P2024), rng.choice(P2025))
             for _ in range(n)]
    rate_measures = sorted({m for code in inds for m in (cat.event_indicators[code].numerator,) if m})
    for ind, unit, p, q, r in draws[:5]:  # warm: connections, caches, the catalogue
        engine.value(ind, unit, p)
        engine.rank(ind, province, q)
        engine.rank(ind, nation, r)
        IndexScorer(engine).group(INDEX, province, q)
    out: dict[str, Any] = {k: [] for k in ("value", "rank_province", "rank_nation", "index_province", "baseline")}
    seen = {"value": 0, "rank_province": 0, "rank_nation": 0, "index_province": 0}
    slowest: dict[str, tuple[float, str]] = {}

    def value(ind: str, unit: str, p: str, q: str, r: str) -> str:
        seen["value"] += engine.value(ind, unit, p).value is not None
        return f"value({ind}, {unit}, {p})"

    def rank_province(ind: str, unit: str, p: str, q: str, r: str) -> str:
        rows = engine.rank(ind, province, q)
        assert len(rows) == sizes["province"]
        seen["rank_province"] += sum(1 for x in rows if x.rank is not None)
        return f"rank({ind}, {PROVINCE}, {q})"

    def rank_nation(ind: str, unit: str, p: str, q: str, r: str) -> str:
        rows = engine.rank(ind, nation, r)
        assert len(rows) == sizes["nation_2025"]
        seen["rank_nation"] += sum(1 for x in rows if x.rank is not None)
        return f"rank({ind}, {NATION}, {r})"

    def index_province(ind: str, unit: str, p: str, q: str, r: str) -> str:
        gs = IndexScorer(engine).group(INDEX, province, q)
        assert len(gs.units) == sizes["province"]
        seen["index_province"] += sum(1 for u in gs.units if u.rank is not None)
        return f"group({INDEX}, {PROVINCE}, {q})"

    def baseline(ind: str, unit: str, p: str, q: str, r: str) -> str:
        m = rate_measures[hash((ind, unit)) % len(rate_measures)]
        pp = Period.parse(p)
        book.by_unit_local(m, [unit], pp.start, pp.end)
        return f"by_unit_local({m}, [{unit}], {p})"

    paths = [("baseline", baseline), ("value", value), ("rank_province", rank_province),
             ("rank_nation", rank_nation), ("index_province", index_province)]
    for k, args in enumerate(draws):
        for name, fn in paths[k % len(paths):] + paths[: k % len(paths)]:
            t0 = time.perf_counter()
            what = fn(*args)
            dt = time.perf_counter() - t0
            out[name].append(dt)
            if dt > slowest.get(name, (0.0, ""))[0]:
                slowest[name] = (dt, what)
    # where a national ranking's time goes (one run, not timed above): the store's reads against the rest. Timed
    # around the reading methods, not the cursor: SQLite runs a query as its rows are fetched.
    spent = [0.0, 0]

    def timed(fn: Any) -> Any:
        def call(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[0] += time.perf_counter() - t0
                spent[1] += 1
        return call

    for obj, names in ((book, ("by_unit", "by_unit_local", "by_unit_many", "by_unit_many_local",
                               "first_seen_by_unit", "days_with_data")),
                       (ws.store, ("values", "values_of", "targets", "sources"))):
        for name in names:
            if hasattr(obj, name):
                setattr(obj, name, timed(getattr(obj, name)))
    t0 = time.perf_counter()
    engine.rank("dossier_full_online_rate", nation, "2025")
    sql_nation = (spent[0], spent[1], time.perf_counter() - t0)
    spent[:] = [0.0, 0]
    t0 = time.perf_counter()
    IndexScorer(engine).group(INDEX, province, "2024")
    sql_index = (spent[0], spent[1], time.perf_counter() - t0)
    out.update(seen=seen, sizes=sizes, slowest=slowest, indicators=len(inds), sql_nation=sql_nation,
               sql_index=sql_index)
    ws.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", default="10M", help="which simulated event set (10M, 200k, …)")
    ap.add_argument("--calls", type=int, default=100, help="timed calls of each path")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the workspace even if one is kept")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    es = c.events(c.parse_count(args.events))
    load_before = c.load_average()
    ws_dir, info, was_kept = c.workspace_for(es, "ws-communes-sqlite", prepare, args.rebuild)
    kept = "the workspace kept from an earlier run: " if was_kept else ""
    prep_note = (f"{kept}{info['daily_rows']:,} kept daily rows per province, {info['local_2024']:,} per commune "
                 f"for 2024 and {info['local_2025']:,} carried to 2025's communes ({info['subunits']:,} distinct "
                 f"(province, commune) pairs named), installed in {info['install_s']:.1f} s (recomputed in "
                 f"{info['recompute_s']:.1f} s)")
    res, rss = c.isolated(measure, ws_dir, args.calls)
    base = statistics.median(res["baseline"])
    sz = res["sizes"]
    what = {
        "value": "`engine.value(indicator, commune, period)` (with the previous period and last year)",
        "rank_province": f"`engine.rank(indicator, \"{PROVINCE}\", period)`: Hà Nội's {sz['province']} communes, 2024",
        "rank_nation": f"`engine.rank(indicator, \"{NATION}\", period)`: the {sz['nation_2025']:,} communes of 2025",
        "index_province": f"`IndexScorer(engine).group(\"{INDEX}\", \"{PROVINCE}\", period)`: {sz['province']} "
                          "communes",
        "baseline": "baseline: `EventBook.by_unit_local` (one measure, one commune, one period)",
    }
    rows = []
    for kind in ("value", "rank_province", "rank_nation", "index_province", "baseline"):
        xs = res[kind]
        p95 = c.pct(xs, 0.95)
        goal = GOALS.get(kind)
        aim = "–" if goal is None else f"< {1000 * goal:,.0f} ms"
        met = "–" if goal is None else ("yes" if p95 < goal else "**no**")
        rows.append([what[kind], str(len(xs)), c.fmt_s(1000 * statistics.median(xs)), c.fmt_s(1000 * p95),
                     c.fmt_s(1000 * max(xs)), c.fmt_ratio(statistics.median(xs) / base), aim, met])
        print(f"  {kind}: p50 {1000 * statistics.median(xs):.1f} ms, p95 {1000 * p95:.1f} ms", flush=True)
    seen, slow = res["seen"], res["slowest"]
    n = args.calls
    sql_s, sql_n, sql_t = res["sql_nation"]
    isql_s, isql_n, isql_t = res["sql_index"]
    md = "\n".join([
        f"## Communes, {c.label(es.events)} events",
        "",
        f"The kept aggregates of {es.total:,} simulated events of 2024 (per province and per commune) plus the 2024 "
        f"dataset, on SQLite. {n} calls of each path, drawn (seeded) over the {res['indicators']} dossier indicators "
        f"(those whose measures are kept per commune), the {sz['communes_2024']:,} communes of 2024 and the periods "
        "of 2024 (value, the province's ranking and its 766 index) or of the second half of 2025 (the national "
        "ranking), in rotating order. The 2025 communes' figures are the second half of 2024 carried a year on to "
        "each 2024 commune's first successor (the simulator has no 2025 communes; same rows per commune and day). "
        "× baseline = median ÷ the baseline's median; the goals (the issue) are read on p95.",
        "",
        c.table(["call", "calls", "p50 ms", "p95 ms", "max ms", "× baseline", "goal (p95)", "met?"], rows),
        "",
        f"- Answers with a value: {seen['value']} of {n} commune values; ranked rows per call, on average, "
        f"{seen['rank_province'] / n:.0f} of {sz['province']} (province), {seen['rank_nation'] / n:,.0f} of "
        f"{sz['nation_2025']:,} (nation), {seen['index_province'] / n:.0f} of {sz['province']} (766 index).",
        f"- Where a national ranking goes (`dossier_full_online_rate`, 2025, one run): {sql_n} reads of the store, "
        f"{1000 * sql_s:.0f} ms; the engine's rules for each of the {sz['nation_2025']:,} members in Python "
        f"(figures, rates rounded half up, the ordering), {1000 * (sql_t - sql_s):.0f} ms; {1000 * sql_t:.0f} ms in "
        f"all. The 766 index of Hà Nội's communes (2024): {isql_n} reads, {1000 * isql_s:.0f} ms (every measure of "
        f"the communes in one query, every indicator's values in another), {1000 * isql_t:.0f} ms in all (13 "
        "rankings from memory and the tree's arithmetic).",
        "- Reads of named communes go through the primary key of `event_agg_local` (measure, unit, day) on SQLite "
        "(`INDEXED BY`, `EventBook._local_pk_index`): left to itself, without statistics, SQLite chose the covering "
        "(measure, day, unit, value) index and scanned every commune's rows of the period, 57 ms for one commune's "
        "year of one measure against 0.05 ms by the key. The same bench at 10M before that change (load average "
        "2.9 to 4.6 during it): value p50 32 ms / p95 136 ms, the province's ranking 46 / 137 ms, the national one "
        "313 / 731 ms, the 766 index of Hà Nội's communes 475 / 1,274 ms.",
        *([f"- **The national ranking misses its goal on p95** ({1000 * c.pct(res['rank_nation'], 0.95):,.0f} ms) on "
           "this shared machine: its two reads (numerator and denominator of 3,321 communes, by the key) take about "
           "30 ms each, the engine's rules for each member in Python (figures, rates rounded half up, the ordering) "
           "about 120 ms; single runs outside the bench took 180–240 ms. A covering primary-key-ordered index "
           "(measure, unit, day, value) on `event_agg_local` would bring each read from 30 to 19 ms (measured on a "
           "copy of this workspace; a migration, not made here)."]
          if c.pct(res["rank_nation"], 0.95) >= GOALS["rank_nation"] else []),
        "- Slowest: " + "; ".join(f"{k} `{v[1]}` {1000 * v[0]:,.0f} ms" for k, v in slow.items()) + ".",
        f"- Peak RSS of the measuring process: {c.fmt_mib(rss)} MiB. Workspace: {prep_note}.",
        *c.footer(load_before),
    ])
    c.publish(f"communes-{c.label(es.events)}", md, args.no_doc)


if __name__ == "__main__":
    main()
