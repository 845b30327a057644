"""A Spark standalone cluster against DuckDB on the same events (issue 14): every event-derived measure for every
unit × day of 2024, per province, per commune and first seen, read from the day-partitioned Parquet export a
cluster reads from shared storage.

    .venv/bin/python bench/cluster.py --events 10M [--repeat 3] [--workers 2]

Paths, each in its own process, all giving the same answers (checked before their times are kept):
- the baseline: chiso's Ibis plans on DuckDB (``recompute_everything_on``), on this machine;
- the same plans on Spark ``local[2]`` (one JVM);
- the same plans on a Spark standalone cluster: a master and N workers of one core and 1 GiB each, in their own
  JVMs, started from the Spark that PySpark ships (the driver in the measuring process).
Session and cluster start are timed apart. The machine has 2 cores: a cluster here measures the cost of the
cluster's machinery, not what more machines would gain.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the tests' cluster starter

import _common as c

DUCK = "Ibis plans on DuckDB (baseline)"
LOCAL, CLUSTER = "Ibis plans on Spark local[2]", "Ibis plans on a Spark cluster"


NO_COMMUNES = ": the cached event set was derived before dossiers were attributed to communes"


def export_by_day(parquet: str, out: str) -> dict[str, Any]:
    """The simulated events rewritten one folder per kind and day, as ``chiso events export --by day`` does."""
    import duckdb

    from chiso.catalogue.events import EVENT_KINDS

    con = duckdb.connect()
    files = 0
    for kind in EVENT_KINDS:
        target = Path(out) / kind
        target.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT *, strftime(day, '%Y-%m-%d') AS date FROM read_parquet('{parquet}/{kind}/**/"
                    f"*.parquet') ORDER BY day) TO '{target}' (FORMAT parquet, PARTITION_BY (date), "
                    "OVERWRITE_OR_IGNORE true)")
        files += sum(1 for _ in target.rglob("*.parquet"))
    return {"files": files}


def _sorted(daily: Any, first: Any, local: Any) -> tuple[Any, Any, Any]:
    return (daily.sort_by([("measure", "ascending"), ("unit", "ascending"), ("day", "ascending")]),
            first.sort_by([("measure", "ascending"), ("unit", "ascending"), ("key", "ascending")]),
            local.sort_by([("measure", "ascending"), ("unit", "ascending"), ("day", "ascending")]))


def setup(folder: str, master: str | None) -> Any:
    import warnings

    warnings.filterwarnings("ignore")  # PySpark 4.3 warns about pandas 3 on every conversion
    import ibis

    from chiso.catalogue import load_catalogue
    from chiso.engine.spark import recompute_everything_on, spark_backend, spark_session

    cat = load_catalogue()
    session = None
    if master is None:
        backend = ibis.duckdb.connect()
    else:
        session = spark_session(master, "chiso-bench-cluster")
        backend = spark_backend(session)

    def once() -> tuple[Any, Any, Any]:
        return _sorted(*recompute_everything_on(backend, folder, cat))

    if session is not None:
        once.close = session.stop  # type: ignore[attr-defined]
    return once


def main() -> None:
    from spark_cluster import standalone_cluster

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", default="10M", help="which simulated event set (10M, 200k, …)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each path")
    ap.add_argument("--workers", type=int, default=2, help="workers of the cluster (one core each)")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    es = c.events(c.parse_count(args.events))
    by_day = es.parquet.parent / "parquet-by-day"
    if not by_day.exists():
        c.isolated(export_by_day, str(es.parquet), str(by_day))
    files = sum(1 for _ in by_day.rglob("*.parquet"))
    load_before = c.load_average()
    scratch = Path(tempfile.mkdtemp(prefix="chiso-bench-cluster-"))
    try:
        with standalone_cluster(scratch, workers=args.workers) as cluster:
            import os

            os.environ.update({k: v for k, v in cluster.env.items() if k in ("SPARK_HOME", "PYSPARK_PYTHON")})
            workers = [c.Worker(DUCK, setup, str(by_day), None), c.Worker(LOCAL, setup, str(by_day), "local[2]"),
                       c.Worker(CLUSTER, setup, str(by_day), cluster.master)]
            starts = {w.name: w.setup_s for w in workers}
            c.rounds(workers, {w.name: args.repeat for w in workers})
            answers = {w.name: w.result() for w in workers}
            rows = [c.Row(w.name, w.times, w.stop()) for w in workers]
            apps = len(cluster.status().get("completedapps", []) or []) + len(cluster.status().get("activeapps", [])
                                                                             or [])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ref = answers[DUCK]
    for name, ans in answers.items():
        if not all(a.equals(b) for a, b in zip(ans, ref, strict=True)):
            sys.exit(f"{name} answers differently from DuckDB: fix that before timing it")
    base = min(rows[0].times)
    table = c.table(["path", "runs", "first s", "best s", "× DuckDB (best)", "start s", "peak MiB (Python)"], [
        [r.name, str(len(r.times)), f"{r.times[0]:.2f}", f"{min(r.times):.2f}", f"{min(r.times) / base:.1f}×",
         f"{starts[r.name]:.1f}", c.fmt_mib(r.rss_mib)] for r in rows])
    daily, first, local = ref
    md = "\n".join([
        f"## Spark cluster against DuckDB, {c.label(es.events)} events",
        "",
        f"Every measure of {es.total:,} simulated events of 2024 ({es.dossier_events:,} dossier, "
        f"{es.ndxp_events:,} NDXP) from the day-partitioned export ({files:,} Parquet files, one per kind and "
        f"day: what a cluster reads from shared storage), per province ({daily.num_rows:,} daily values), per "
        f"commune ({local.num_rows:,}{NO_COMMUNES if local.num_rows == 0 else ''}) and first seen "
        f"({first.num_rows:,} keys); the same answers on every path, checked. The cluster: a master and "
        f"{args.workers} workers of one core and 1 GiB each, in their own JVMs on this machine (the cluster's "
        f"applications: {apps}). Start (session, and for the cluster its executors) is timed apart; a path's "
        "first run includes its warm-up (Spark compiles and caches its first queries).",
        "",
        table,
        "",
        "- On one 2-core machine the cluster cannot be faster than DuckDB: it measures what the cluster's "
        "machinery costs (task scheduling, shuffles between JVMs, Arrow to the driver). Its gain is on more "
        "machines than one, which this bench cannot show. Peak memory is the measuring Python process's; the "
        "JVMs' is not in it.",
        *c.footer(load_before),
    ])
    c.publish(f"cluster-{c.label(es.events)}", md, args.no_doc)


if __name__ == "__main__":
    main()
