"""Shared by the benchmark scripts: the machine, the events (simulated, cached), isolation, the report.

Events come from the simulator (``chiso.simulate.generate``), at the scale that gives about the number
asked for, and are cached under ``$CHISO_BENCH_DATA`` (default /tmp/chiso-bench): raw simulator Parquet
in ``sim-<N>/raw``, and with the derived columns (``day``, ``on_time``, computed exactly as ingestion
does) in ``sim-<N>/parquet/<kind>/month=…/``, the layout of ``EventStore.export_parquet``.

Each measured path runs in its own spawned process, so its peak memory (``ru_maxrss``) is its own.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import platform
import re
import socket
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
DATA = Path(os.environ.get("CHISO_BENCH_DATA", "/tmp/chiso-bench"))
PG_ADMIN = os.environ.get("CHISO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# Events the simulator writes per unit of scale for 2024 (9,718,742 at scale 0.00735, measured).
EVENTS_PER_SCALE = 1.3223e9


def label(n: int) -> str:
    for unit, div in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def parse_count(text: str) -> int:
    """``10M``, ``100m``, ``2.5M``, ``500k`` or plain digits."""
    m = re.fullmatch(r"\s*([\d_.]+)\s*([kKmMbB]?)\s*", text)
    if not m:
        raise ValueError(f"not a count: {text!r}")
    mult = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9}[m.group(2).lower()]
    return int(float(m.group(1).replace("_", "")) * mult)


# --- the machine --------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    versions = {}
    for mod in ("duckdb", "ibis", "pyarrow", "pyspark", "psycopg"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # an optional engine that is not installed
            versions[mod] = "-"
    return {
        "nproc": str(os.cpu_count()),
        "memory": f"{mem_kb / 2**20:.1f} GiB",
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        **versions,
        "postgresql": pg_version(),
    }


def pg_version() -> str:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3) as c:
            row = c.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception:
        return "not reachable"


def machine_line() -> str:
    m = machine()
    return (f"{m['nproc']} cores ({m['cpu']}), {m['memory']}, {m['os']}; Python {m['python']}, DuckDB {m['duckdb']}, "
            f"Ibis {m['ibis']}, PyArrow {m['pyarrow']}, PySpark {m['pyspark']}, PostgreSQL {m['postgresql']}")


# --- events -------------------------------------------------------------------------------------------


@dataclass
class EventSet:
    events: int  # asked for
    raw: Path
    parquet: Path
    dossier_events: int = 0
    ndxp_events: int = 0
    seconds_simulate: float = 0.0
    seconds_derive: float = 0.0
    scale: float = 0.0

    @property
    def total(self) -> int:
        return self.dossier_events + self.ndxp_events


def events(n: int, *, seed: int = 2024, log: Callable[[str], None] = print) -> EventSet:
    """The simulated events for ``n`` (cached): raw, and with derived columns."""
    folder = DATA / f"sim-{label(n)}"
    meta = folder / "events.json"
    from chiso.simulate import generate

    if meta.exists():
        d = json.loads(meta.read_text())
        es = EventSet(**{**d, "raw": Path(d["raw"]), "parquet": Path(d["parquet"])})
        if not any(es.raw.glob("*/*.parquet")):  # raw files removed to save space: the same again (deterministic)
            log(f"simulating the raw files of {es.raw} again …")
            generate(2024, es.scale, es.raw, seed=seed)
        return es

    folder.mkdir(parents=True, exist_ok=True)
    scale = n / EVENTS_PER_SCALE
    raw_meta = folder / "raw.json"
    if raw_meta.exists():  # simulated before, derivation not finished
        counts = json.loads(raw_meta.read_text())
    else:
        log(f"simulating 2024 at scale {scale:.6f} (≈{n:,} events) into {folder / 'raw'} …")
        t0 = time.perf_counter()
        s = generate(2024, scale, folder / "raw", seed=seed)
        counts = {"dossier": s.dossier_events, "ndxp": s.ndxp_events, "seconds": time.perf_counter() - t0}
        raw_meta.write_text(json.dumps(counts))
    log(f"  {counts['dossier']:,} dossier + {counts['ndxp']:,} NDXP events; deriving day and on_time …")
    t1 = time.perf_counter()
    derive(folder / "raw", folder / "parquet")
    es = EventSet(n, folder / "raw", folder / "parquet", counts["dossier"], counts["ndxp"], counts["seconds"],
                  time.perf_counter() - t1, scale)
    meta.write_text(json.dumps({**asdict(es), "raw": str(es.raw), "parquet": str(es.parquet)}, indent=1))
    return es


def national_days(days: int, *, seed: int = 2024, log: Callable[[str], None] = print) -> EventSet:
    """The first ``days`` days of 2024 at the national scale (scale 1: a year holds about 1,32 billion events),
    as raw Parquet files of 2,000,000 rows (cached): what a national day looks like to ingestion, where the
    10M set's year is 130 times sparser (a chunk there spans months, and its aggregates weigh accordingly)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from chiso.simulate import nation

    folder = DATA / f"national-{days}d"
    meta = folder / "events.json"
    if meta.exists():
        d = json.loads(meta.read_text())
        return EventSet(**{**d, "raw": Path(d["raw"]), "parquet": Path(d["parquet"])})
    end = datetime(2024, 1, 1) + timedelta(days=days)
    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    for kind in ("dossier", "ndxp"):
        log(f"simulating the first {days} days of 2024 at scale 1, {kind} …")
        out = folder / "raw" / kind
        out.mkdir(parents=True, exist_ok=True)
        n, part = 0, 0
        buf: list[pa.RecordBatch] = []
        held = 0
        for b in nation.iter_batches(2024, 1.0, seed=seed, kind=kind, batch_rows=500_000):
            b = b.filter(pc.less(b.column("at"), pa.scalar(end, b.schema.field("at").type)))
            buf.append(b)
            n, held = n + b.num_rows, held + b.num_rows
            if held >= 2_000_000 or b.num_rows < 500_000:
                pq.write_table(pa.Table.from_batches(buf), out / f"part-{part:05d}.parquet", compression="snappy")
                buf, held, part = [], 0, part + 1
            if b.num_rows < 500_000:  # the cut: the stream is in time order
                break
        counts[kind] = n
    es = EventSet(counts["dossier"] + counts["ndxp"], folder / "raw", folder / "raw", counts["dossier"],
                  counts["ndxp"], time.perf_counter() - t0, 0.0, 1.0)
    meta.write_text(json.dumps({**asdict(es), "raw": str(es.raw), "parquet": str(es.parquet)}, indent=1))
    return es


# The derived columns exactly as EventIngestor.validate_arrow computes them at ingestion.
DERIVED_SQL = {
    "dossier": """CAST("at" AS DATE) AS day, CASE WHEN status = 'result_issued' AND due_at IS NOT NULL THEN
                  "at" <= due_at + to_microseconds(CAST(paused_days * 86400000000 AS BIGINT)) END AS on_time""",
    "ndxp": 'CAST("at" AS DATE) AS day',
}


def derive(raw: Path, out: Path) -> None:
    """Raw simulator Parquet → Parquet with ``day`` (and ``on_time``), one folder per month."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")  # no global order needed: lets DuckDB stream
    out.mkdir(parents=True, exist_ok=True)
    for kind, derived in DERIVED_SQL.items():
        src = f"read_parquet('{raw / kind}/*.parquet')"
        con.execute(f"""COPY (SELECT *, {derived}, strftime("at", '%Y-%m') AS month FROM {src})
                        TO '{out / kind}' (FORMAT parquet, PARTITION_BY (month), OVERWRITE_OR_IGNORE true,
                        ROW_GROUP_SIZE 1000000)""")
    con.close()


# --- measuring ----------------------------------------------------------------------------------------


def peak_rss_mib(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a live process, this one by default.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries that over fork and exec, so a spawned worker would
    report its parent's peak when that is higher.
    """
    try:
        for line in Path(f"/proc/{pid or os.getpid()}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _traceback() -> str:
    import traceback

    return traceback.format_exc()


def _child(fn: Callable[..., Any], args: tuple[Any, ...], q: Any) -> None:
    try:
        out = fn(*args)
        q.put(("ok", out, peak_rss_mib()))
    except BaseException:  # report, do not hang the parent
        q.put(("error", _traceback(), peak_rss_mib()))


def isolated(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Run ``fn(*args)`` in a fresh spawned process: (its result, its peak RSS in MiB)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, args, q))
    p.start()
    status, out, rss = q.get()
    p.join()
    if status != "ok":
        raise RuntimeError(f"{getattr(fn, '__name__', fn)} failed in its process:\n{out}")
    return out, rss


def _serve(setup: Callable[..., Any], args: tuple[Any, ...], inq: Any, outq: Any) -> None:
    try:
        once = setup(*args)
    except BaseException:
        outq.put(("error", _traceback()))
        return
    outq.put(("ok", None))
    last: Any = None
    while True:
        cmd = inq.get()
        try:
            if cmd == "run":
                t0 = time.perf_counter()
                last = once()
                outq.put(("ok", time.perf_counter() - t0))
            elif cmd == "result":
                outq.put(("ok", last))
            elif cmd == "stop":
                extra = getattr(once, "extra_mib", None)  # e.g. Spark's JVM, a child process
                outq.put(("ok", peak_rss_mib() + (extra() if extra else 0.0)))
                close = getattr(once, "close", None)
                if close:
                    close()
                return
        except BaseException:
            outq.put(("error", _traceback()))


class Worker:
    """A path under test in its own process: ``setup(*args)`` there returns the function to time.

    Workers let the paths run in alternating rounds (A B C, B C A, …): on a shared machine a burst of
    someone else's load then falls on every path alike instead of on whichever ran during it.
    """

    def __init__(self, name: str, setup: Callable[..., Any], *args: Any) -> None:
        ctx = mp.get_context("spawn")
        self.name = name
        self.times: list[float] = []
        self._in, self._out = ctx.Queue(), ctx.Queue()
        t0 = time.perf_counter()
        self._p = ctx.Process(target=_serve, args=(setup, args, self._in, self._out), daemon=True)
        self._p.start()
        self._get()
        self.setup_s = time.perf_counter() - t0

    def _get(self) -> Any:
        status, out = self._out.get()
        if status != "ok":
            raise RuntimeError(f"{self.name} failed in its process:\n{out}")
        return out

    def run(self) -> float:
        self._in.put("run")
        t = float(self._get())
        self.times.append(t)
        return t

    def result(self) -> Any:
        self._in.put("result")
        return self._get()

    def stop(self) -> float:
        """Ends the process; returns its peak RSS in MiB."""
        self._in.put("stop")
        rss = float(self._get())
        self._p.join(timeout=60)
        return rss


def rounds(workers: Sequence[Worker], repeat: dict[str, int], log: Callable[[str], None] = print) -> None:
    """Run every worker ``repeat[name]`` times, in rotating order, one at a time."""
    todo = max(repeat.values())
    for r in range(todo):
        order = list(workers[r % len(workers):]) + list(workers[: r % len(workers)])
        for w in order:
            if r < repeat[w.name]:
                t = w.run()
                log(f"  round {r + 1}: {w.name:50s} {t:8.3f} s")


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Wall-clock seconds of ``repeat`` runs, and the last run's result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Row:
    name: str
    times: list[float]
    rss_mib: float = float("nan")
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def first(self) -> float:
        return self.times[0]

    @property
    def warm(self) -> list[float]:
        """The runs after the first (the first also warms caches and allocators), or the only one."""
        return self.times[1:] or self.times

    @property
    def median(self) -> float:
        return statistics.median(self.warm)

    @property
    def best(self) -> float:
        return min(self.times)


def fmt_s(x: float) -> str:
    if x != x:  # nan
        return "–"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def fmt_ratio(x: float) -> str:
    return "–" if x != x else (f"{x:.2f}×" if x < 10 else f"{x:.0f}×")


def fmt_mib(x: float) -> str:
    return "–" if x != x else f"{x:,.0f}"


# --- the report ---------------------------------------------------------------------------------------

HEADER = """# Benchmarks

Measured by the scripts in `bench/` (never by tests: no timing is asserted anywhere). Each script prints
its results and rewrites its own section below, between `<!-- bench:… -->` markers; the rest of this
file is kept. Every figure is wall-clock time on the machine named in its section, and every table
gives ratios against a baseline measured in the same run. Events come from the simulator
(`chiso.simulate.generate`, year 2024, seed 2024), at the scale that gives about the number of events
asked for.

"""


def command_line() -> str:
    args = " ".join(sys.argv[1:])
    return f".venv/bin/python bench/{Path(sys.argv[0]).name}{(' ' + args) if args else ''}"


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def update_doc(key: str, markdown: str) -> None:
    """Replace (or append) the section ``key`` of docs/benchmarks.md."""
    begin, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    block = f"{begin}\n{markdown.strip()}\n{end}"
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        text = text[:a] + block + text[b:]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def footer(load_before: str) -> list[str]:
    """The last lines of a section: the machine, its load, the date and the command."""
    return [
        f"- Machine: {machine_line()}. Load average {load_before} at the start, {load_average()} at the end "
        "(shared machine).",
        f"- Date: {stamp()}. Command: `{command_line()}`.",
    ]


def publish(key: str, markdown: str, no_doc: bool) -> None:
    """Print a section and, unless asked not to, write it into docs/benchmarks.md."""
    print()
    print(markdown)
    if not no_doc:
        update_doc(key, markdown)


def aggregated_workspace(parquet: str, ws_dir: str, events: int,
                         local: Callable[[str, Any], tuple[Any, dict[str, int]]] | None = None) -> dict[str, Any]:
    """A fresh SQLite workspace with the 2024 dataset and the kept aggregates of the events (and, with ``local``, of
    the communes); its sizes and times, also written to ``bench-prepared.json``."""
    import shutil

    import ibis

    from chiso import app as core
    from chiso.engine.spark import recompute_on

    shutil.rmtree(ws_dir, ignore_errors=True)
    ws = core.init_workspace(Path(ws_dir), f"sqlite:///{ws_dir}/chiso.sqlite")
    core.load(ws, "vn-2024", "bench")
    t0 = time.perf_counter()
    daily, first = recompute_on(ibis.duckdb.connect(), parquet, ws.catalogue)
    per_commune, sizes = local(parquet, ws.catalogue) if local is not None else (None, {})
    t1 = time.perf_counter()
    ws.store.events.replace_all(daily, first, per_commune)
    t2 = time.perf_counter()
    ws.close()
    info = {"events": events, "daily_rows": daily.num_rows, "first_rows": first.num_rows, **sizes,
            "recompute_s": t1 - t0, "install_s": t2 - t1}
    (Path(ws_dir) / "bench-prepared.json").write_text(json.dumps(info), encoding="utf-8")
    return info


def workspace_for(es: EventSet, name: str, prepare: Callable[..., dict[str, Any]],
                  rebuild: bool) -> tuple[str, dict[str, Any], bool]:
    """The bench's workspace for the event set: the one an earlier run prepared (unless ``rebuild``), or made now
    by ``prepare(parquet, ws_dir, events)`` in its own process. (folder, its sizes and times, kept or not)"""
    ws_dir = str(es.parquet.parent / name)
    marker = Path(ws_dir) / "bench-prepared.json"
    if marker.exists() and not rebuild:
        return ws_dir, json.loads(marker.read_text(encoding="utf-8")), True
    info, _ = isolated(prepare, str(es.parquet), ws_dir, es.total)
    return ws_dir, info, False


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table: the first and last columns (names, notes) left, the figures right."""
    rule = ["---" if i in (0, len(headers) - 1) else "---:" for i in range(len(headers))]
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join(rule) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def pct(xs: list[float], q: float) -> float:
    """The ``q`` quantile of ``xs`` (nearest rank): the figure the benchmarks report as p50 and p95."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
