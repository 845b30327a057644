"""Spark as a second engine for the event plans: the same Ibis expressions, over the same Parquet.

``recompute_on`` is written once for any Ibis backend (DuckDB via ``ibis.duckdb.connect()``, Spark via
``spark_backend``): it reads each kind's Parquet files and runs ``daily_plan`` / ``first_seen_plan``
of ``chiso.engine.events`` unchanged, so the answers are comparable integer for integer. Only reading
the files differs per engine (a DuckDB file list versus a Spark directory scan).

PySpark is an optional extra (``chiso[spark]``): it is imported only when a session is asked for.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from chiso.catalogue import Catalogue
from chiso.catalogue.events import DERIVED_COLUMNS, EVENT_KINDS, LATER_COLUMNS, LOCAL_COLUMN
from chiso.engine.events import daily_long, daily_plan, first_seen_plan, measures_of, run

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from pyspark.sql import SparkSession

# The JVM logs at INFO/WARN to stderr before Python can lower the level: give it a quiet log4j2
# configuration from the start instead. Spark's own loggers are set too, or PySpark (an
# "interpreter" to Spark) announces that it resets the level to WARN.
_LOG4J2 = """\
status = error
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.spark.name = org.apache.spark
logger.spark.level = error
"""


@cache
def _log4j2_file() -> str:
    path = Path(tempfile.gettempdir()) / "chiso-spark-log4j2.properties"
    if not path.exists() or path.read_text(encoding="utf-8") != _LOG4J2:
        # Written aside and renamed: another process may be starting its JVM on this file right now.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".chiso-log4j2-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_LOG4J2)
        os.replace(tmp, path)
    return str(path)


def spark_session(master: str = "local[2]", app: str = "chiso") -> SparkSession:
    """A local (or given) Spark session set up for chiso's event plans.

    Event times are naive local time (UTC+7). With the session and JVM time zone both UTC, a naive
    timestamp read from Parquet (NTZ, or LTZ interpreted in UTC) comes back to Python unchanged;
    any other zone would shift it by the zone's offset on the way through pandas.
    """
    from pyspark.sql import SparkSession

    java_opts = f"-Duser.timezone=UTC -Dlog4j2.configurationFile=file:{_log4j2_file()}"
    session = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", java_opts)
        .config("spark.executor.extraJavaOptions", java_opts)
        # Naive Parquet timestamps stay TIMESTAMP_NTZ: no zone is ever applied to them.
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
        # 200 shuffle partitions suit a cluster; on a few local cores they only add task overhead.
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_backend(session: SparkSession) -> Any:
    """The Ibis PySpark backend over ``session`` (Ibis sets the session time zone to UTC, as above)."""
    import ibis

    return ibis.pyspark.connect(session)


def parquet_files(parquet_dir: Path | str, kind: str) -> list[Path]:
    """A kind's Parquet files under ``parquet_dir/kind`` (flat, or Hive ``month=…`` folders), sorted."""
    return sorted((Path(parquet_dir) / kind).rglob("*.parquet"))


def read_events(backend: Any, parquet_dir: Path | str, kind: str) -> ir.Table:
    """A kind's events as an Ibis table on ``backend``; refuses files without the derived columns."""
    files = parquet_files(parquet_dir, kind)
    if not files:
        raise FileNotFoundError(f"no Parquet files under {Path(parquet_dir) / kind}")
    folder = str((Path(parquet_dir) / kind).resolve())
    if backend.name == "pyspark":
        # Spark reads a folder tree itself; recursive lookup skips Hive partition columns, as DuckDB does below.
        t = backend.read_parquet(folder, recursiveFileLookup="true")
    else:
        t = backend.read_parquet([str(f) for f in files], hive_partitioning=False)
    later = {name: py for name, py in DERIVED_COLUMNS[kind] if name not in t.columns and name in LATER_COLUMNS}
    if later:  # files exported before a later derived column existed: it reads as null (no commune attributed)
        import ibis

        t = t.mutate(**{name: ibis.null().cast(_IBIS_TYPES[py]) for name, py in later.items()})
    missing = [name for name, _ in DERIVED_COLUMNS[kind] if name not in t.columns]
    if missing:
        raise ValueError(
            f"{folder} lacks the derived column(s) {', '.join(missing)}: ingest the files with "
            "EventIngestor.ingest_file and write them out with EventStore.export_parquet"
        )
    return t


_IBIS_TYPES = {str: "string", bool: "boolean", int: "int64", float: "float64"}


def _events(backend: Any, parquet_dir: Path | str, kinds: Collection[str],
            days: Collection[date] | None) -> dict[str, ir.Table]:
    """The kinds' event tables, only ``days``' events when given (files of other days are skipped by their
    statistics: one day per file in a day-partitioned export)."""
    tables = {kind: read_events(backend, parquet_dir, kind) for kind in kinds if parquet_files(parquet_dir, kind)}
    if days is not None:
        wanted = sorted(set(days))
        tables = {kind: t.filter(t.day.isin(wanted)) for kind, t in tables.items()}
    return tables


def recompute_on(backend: Any, parquet_dir: Path | str, catalogue: Catalogue,
                 days: Collection[date] | None = None) -> tuple[pa.Table, pa.Table]:
    """Every measure from the events in ``parquet_dir``: (daily long, first seen), as ``EventIngestor.recompute``;
    with ``days``, from those days' events only.

    daily long: (measure, unit, day, value) with non-zero values; first seen: (measure, unit, key, first_day).
    A kind without files contributes no rows.
    """
    return recompute_tables(backend, _events(backend, parquet_dir, EVENT_KINDS, days), catalogue)


def recompute_tables(backend: Any, tables: Mapping[str, ir.Table], catalogue: Catalogue) -> tuple[pa.Table, pa.Table]:
    """``recompute_on`` over event tables already on ``backend`` (kind → table), e.g. native DuckDB tables."""
    dailies: list[pa.Table] = []
    firsts: list[pa.Table] = []
    for kind, t in tables.items():
        ms = measures_of(kind, catalogue.measures)
        if any(m.agg != "first_seen" for m in ms):
            dailies.append(daily_long(run(backend, daily_plan(t, kind, ms))))
        for m in ms:
            if m.agg == "first_seen":
                fs = run(backend, first_seen_plan(t, m))
                firsts.append(fs.append_column("measure", pa.array([m.id] * fs.num_rows, pa.string())))
    daily = pa.concat_tables(dailies) if dailies else daily_long(pa.table({"unit": pa.array([], pa.string()),
                                                                            "day": pa.array([], pa.date32())}))
    first = (pa.concat_tables(firsts).select(["measure", "unit", "key", "first_day"]) if firsts else
             pa.table({"measure": pa.array([], pa.string()), "unit": pa.array([], pa.string()),
                       "key": pa.array([], pa.string()), "first_day": pa.array([], pa.date32())}))
    return daily, first


def recompute_local_on(backend: Any, parquet_dir: Path | str, catalogue: Catalogue,
                       days: Collection[date] | None = None) -> pa.Table:
    """The per-commune daily totals (measure, unit = commune, day, value) from the events in ``parquet_dir``, as
    ``EventIngestor.recompute_local``: ``daily_plan`` grouped by the commune column; ``days`` as above."""
    kinds = [k for k in EVENT_KINDS if k in LOCAL_COLUMN]
    return recompute_local_tables(backend, _events(backend, parquet_dir, kinds, days), catalogue)


def recompute_everything_on(backend: Any, parquet_dir: Path | str, catalogue: Catalogue,
                            days: Collection[date] | None = None) -> tuple[pa.Table, pa.Table, pa.Table]:
    """``recompute_on`` and ``recompute_local_on`` over one reading of the files: (daily, first seen, local)."""
    tables = _events(backend, parquet_dir, EVENT_KINDS, days)
    daily, first = recompute_tables(backend, tables, catalogue)
    local = recompute_local_tables(backend, {k: t for k, t in tables.items() if k in LOCAL_COLUMN}, catalogue)
    return daily, first, local


def recompute_local_tables(backend: Any, tables: Mapping[str, ir.Table], catalogue: Catalogue) -> pa.Table:
    """``recompute_local_on`` over event tables already on ``backend`` (kind → table)."""
    parts = [daily_long(run(backend, daily_plan(t, kind, measures_of(kind, catalogue.measures),
                                                by=LOCAL_COLUMN[kind])))
             for kind, t in tables.items() if kind in LOCAL_COLUMN]
    return pa.concat_tables(parts) if parts else daily_long(pa.table({"unit": pa.array([], pa.string()),
                                                                       "day": pa.array([], pa.date32())}))


__all__ = ["parquet_files", "read_events", "recompute_everything_on", "recompute_local_on", "recompute_local_tables",
           "recompute_on", "recompute_tables", "spark_backend", "spark_session"]
