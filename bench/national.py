"""The national year end to end on one machine (issue 14): simulate, ingest, check, answer, report.

    .venv/bin/python bench/national.py                 # the whole of 2024 at scale 1 (≈1.32 billion events)
    .venv/bin/python bench/national.py --days 7 --no-doc   # its first week: the same steps at national density

Each step runs as a user runs it, by the CLI in its own process (its peak memory read from the kernel), in a
workspace under ``$CHISO_BENCH_DATA/national-{days}`` (kept: run again, and the steps already done are skipped):

1. ``chiso init`` and ``chiso load vn-2024``;
2. the events of 2024 at scale 1 as Parquet (``chiso simulate --out``; with ``--days``, the first days only);
3. ``chiso ingest`` of every file: streamed, resumable (killed, the same command resumes where it stopped);
4. ``chiso events recompute --check``: the kept aggregates equal a full recompute from the stored events;
5. ``value`` and ``rank`` over the kept aggregates (bench/answers.py's calls and measure), p95;
6. the annual report, ``chiso report 2024`` (HTML, PDF, DOCX);
7. disk: the raw Parquet, the event store, the operational store;
8. the simulated truth: the bloc and national rates the engine answers equal, numerator and denominator, the
   same formulas counted by DuckDB straight over the simulator's Parquet, and are within 0.1 point of the
   published figures the simulator is calibrated to.

Goals (issue 14): ingestion within 1.5× of the bare DuckDB insert (bench/ingest.py measures the ratio), the
national year ingested in under about two hours, ``value``/``rank`` p95 under 50 ms, the report under 10 s. CI
does not run this.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import answers


def du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def run(ws: Path, *args: str, log: Path) -> tuple[float, float]:
    """A chiso command on the workspace: (seconds, peak RSS MiB of the process), its output in ``log``."""
    exe = str(Path(sys.executable).with_name("chiso"))
    t0 = time.perf_counter()
    with log.open("ab") as out:
        out.write(f"\n$ chiso {' '.join(args)}\n".encode())
        out.flush()
        proc = subprocess.Popen([exe, "--workspace", str(ws), *args], stdout=out, stderr=subprocess.STDOUT)
        peak = [0.0]

        def watch() -> None:  # VmHWM is gone once the process is reaped: read it while it runs
            while proc.poll() is None:
                peak[0] = max(peak[0], c.peak_rss_mib(proc.pid))
                time.sleep(0.5)

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        code = proc.wait()
        t.join()
    if code != 0:
        raise RuntimeError(f"chiso {' '.join(args)} failed ({code}); see {log}")
    return time.perf_counter() - t0, peak[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=366, help="the first N days of 2024 (366: the year)")
    ap.add_argument("--calls", type=int, default=200, help="value and rank calls to time")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    year = args.days >= 366
    home = c.DATA / f"national-{'year' if year else f'{args.days}d-e2e'}"
    home.mkdir(parents=True, exist_ok=True)
    ws, raw, log = home / "ws", home / "raw", home / "commands.log"
    state_file = home / "state.json"
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}

    def step(name: str, fn: Any) -> Any:
        if name not in state:
            print(f"• {name} …", flush=True)
            state[name] = fn()
            state_file.write_text(json.dumps(state, indent=1))
        print(f"  {name}: {state[name]}", flush=True)
        return state[name]

    load = c.load_average()
    step("workspace", lambda: [run(ws, "init", log=log)[0], run(ws, "load", "vn-2024", log=log)[0]])

    def simulate() -> dict[str, Any]:
        t0 = time.perf_counter()
        if year:
            run(ws, "simulate", "--year", "2024", "--scale", "1", "--out", str(raw), log=log)
            counts = {k: sum(_rows(f) for f in (raw / k).glob("*.parquet")) for k in ("dossier", "ndxp")}
        else:
            es = c.national_days(args.days)  # the bench's cached first days, linked in
            raw.mkdir(exist_ok=True)
            for k in ("dossier", "ndxp"):
                if not (raw / k).exists():
                    (raw / k).symlink_to(es.raw / k)
            counts = {"dossier": es.dossier_events, "ndxp": es.ndxp_events}
        return {**counts, "seconds": time.perf_counter() - t0, "raw_bytes": du(raw.resolve()) if year else
                du((raw / "dossier").resolve()) + du((raw / "ndxp").resolve())}

    sim = step("simulate", simulate)
    events = sim["dossier"] + sim["ndxp"]

    def ingest() -> dict[str, Any]:
        seconds, peak = run(ws, "ingest", str(raw / "dossier"), str(raw / "ndxp"), log=log)
        return {"seconds": seconds, "peak_mib": peak, "events_per_s": events / seconds}

    ing = step("ingest", ingest)
    check = step("recompute --check", lambda: run(ws, "events", "recompute", "--check", log=log)[0])
    disk = step("disk", lambda: {"event_store": du(ws / "events.duckdb"), "store": sum(
        p.stat().st_size for p in ws.glob("chiso.sqlite*"))})

    def answer() -> dict[str, Any]:
        m = answers.measure(str(ws), args.calls)
        return {k: 1000 * c.pct(m[k], 0.95) for k in ("value", "value_alone", "rank", "read")} | {
            "value_p50": 1000 * statistics.median(m["value"])}

    ans = step("answers (ms, p95)", answer)
    report = step("report 2024", lambda: run(ws, "report", "2024", log=log)[0])
    truth = step("simulated truth", lambda: simulated_truth(ws, raw))
    rows = [
        ["simulate (Parquet)", f"{events:,}", c.fmt_s(sim["seconds"]), f"{events / sim['seconds']:,.0f}",
         f"{sim['raw_bytes'] / 2**30:.1f} GiB raw", ""],
        ["`chiso ingest` (validated, stored once, aggregates kept)", f"{events:,}", c.fmt_s(ing["seconds"]),
         f"{ing['events_per_s']:,.0f}", f"{disk['event_store'] / 2**30:.1f} GiB event store, "
         f"{disk['store'] / 2**20:,.0f} MiB operational store", c.fmt_mib(ing["peak_mib"])],
        ["`chiso events recompute --check` (equal to a full recompute)", f"{events:,}", c.fmt_s(check), "", "", ""],
        ["`chiso report 2024` (HTML, PDF, DOCX)", "", c.fmt_s(report), "", "", ""],
    ]
    what = "the whole of 2024" if year else f"the first {args.days} days of 2024"
    md = "\n".join([
        f"## The national year end to end: {what} at scale 1",
        "",
        f"Every step by the CLI in its own process, on this machine; `.venv/bin/python bench/national.py"
        f"{'' if year else f' --days {args.days}'}`.",
        "",
        c.table(["step", "events", "seconds", "events/s", "disk", "peak MiB"], rows),
        "",
        f"- Answers over the kept aggregates, p95 of {args.calls} calls each: value {ans['value']:.1f} ms "
        f"(p50 {ans['value_p50']:.1f}), value without comparisons {ans['value_alone']:.1f} ms, rank "
        f"{ans['rank']:.1f} ms; baseline, one kept-aggregate read: {ans['read']:.1f} ms. Goal: under 50 ms.",
        f"- Disk per billion events: raw Parquet {sim['raw_bytes'] / events * 1e9 / 2**30:.0f} GiB, event store "
        f"{disk['event_store'] / events * 1e9 / 2**30:.0f} GiB.",
        "",
        "The simulated truth: the engine's answers from the kept aggregates against the same formulas counted by "
        "DuckDB straight over the simulator's Parquet (numerator and denominator, exactly), and against the "
        "published figures (goal: within 0.1 point).",
        "",
        c.table(["indicator", "unit", "period", "engine", "counted over the raw events", "equal", "published",
                 "off by"], [truth_row(t) for t in truth]),
        "",
        *c.footer(load),
    ])
    c.publish(f"national-{'year' if year else f'{args.days}d'}", md, args.no_doc)


# (indicator, unit, period) → the published figure (simulate/nation.py's TARGETS, and 45.8 / 43.8 for the nation);
# seed 004's rates as the simulator reads them: the year to date, January–September
YTD = "2024-01..2024-09"
PUBLISHED = [
    ("dossier_full_online_rate", "VN", "2024", 45.8), ("dossier_full_online_rate", "ministries", "2024", 63.47),
    ("dossier_full_online_rate", "provinces", "2024", 18.54), ("dossier_full_online_rate", "VN", YTD, 43.8),
    ("dossier_full_online_rate", "ministries", YTD, 61.1), ("dossier_full_online_rate", "provinces", YTD, 18.2),
    ("dossier_digitisation_rate", "ministries", YTD, 45.14), ("dossier_digitisation_rate", "provinces", YTD, 65.38),
    ("e_result_rate", "ministries", YTD, 45.48), ("e_result_rate", "provinces", YTD, 67.2),
    ("digitised_data_reuse_rate", "ministries", YTD, 1.29), ("digitised_data_reuse_rate", "provinces", YTD, 13.15),
]
PERIOD_SQL = {"2024": "\"at\" >= TIMESTAMP '2024-01-01' AND \"at\" < TIMESTAMP '2025-01-01'",
              YTD: "\"at\" >= TIMESTAMP '2024-01-01' AND \"at\" < TIMESTAMP '2024-10-01'"}
UNIT_SQL = {"VN": "TRUE", "ministries": "unit NOT LIKE 'P%'", "provinces": "unit LIKE 'P%'"}


def simulated_truth(ws: Path, raw: Path) -> list[dict[str, Any]]:
    """Each published rate: the engine's numerator and denominator against DuckDB's count over the raw files."""
    import duckdb

    from chiso import app as core
    from chiso.simulate.nation import COUNTS  # the simulator's own counts, not the engine's measure definitions

    con = duckdb.connect()
    con.execute(f"SET temp_directory = '{raw.parent / 'duckdb-tmp'}'")
    # One scan: every (formula part, unit group, period) as a FILTERed aggregate.
    parts, names = [], []
    for code, unit, period, _ in PUBLISHED:
        for side, expr in zip(("num", "den"), COUNTS[code], strict=True):
            agg, cond = expr.split(" FILTER (WHERE ")
            parts.append(f"{agg} FILTER (WHERE {cond[:-1]} AND {UNIT_SQL[unit]} AND {PERIOD_SQL[period]})")
            names.append((code, unit, period, side))
    row = con.execute(f"SELECT {', '.join(parts)} FROM read_parquet('{raw / 'dossier'}/*.parquet')").fetchone()
    assert row is not None
    counted = dict(zip(names, row, strict=True))
    w = core.find_workspace(ws)
    out = []
    for code, unit, period, published in PUBLISHED:
        a = w.engine.value(code, unit, period, compare=False)
        f = a.figure
        num, den = counted[(code, unit, period, "num")], counted[(code, unit, period, "den")]
        out.append({"code": code, "unit": unit, "period": period, "published": published,
                    "value": a.value, "numerator": f.numerator if f else None,
                    "denominator": f.denominator if f else None, "raw_numerator": num, "raw_denominator": den,
                    "raw_value": 100.0 * num / den if den else None})
    w.close()
    return out


def truth_row(t: dict[str, Any]) -> list[str]:
    equal = t["numerator"] == t["raw_numerator"] and t["denominator"] == t["raw_denominator"]
    return [f"`{t['code']}`", t["unit"], t["period"],
            f"{t['value']:.2f} ({t['numerator']:,.0f} / {t['denominator']:,.0f})" if t["value"] is not None else "—",
            f"{t['raw_value']:.2f} ({t['raw_numerator']:,.0f} / {t['raw_denominator']:,.0f})",
            "yes" if equal else "**no**", f"{t['published']:g}",
            f"{t['value'] - t['published']:+.2f}" if t["value"] is not None else "—"]


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


if __name__ == "__main__":
    os.environ.setdefault("CHISO_LANG", "en")
    main()
