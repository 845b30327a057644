"""One plan, two engines: DuckDB and Spark give identical answers for every event-derived measure.

The events (the simulated nation at ≈40,000 events, plus edge cases made here: every leaf unit, day
boundaries, every measure's filter, nulls wherever the schema allows them) go in the real way — Parquet
through ``EventIngestor.ingest_file`` — and out with ``EventStore.export_parquet``; both engines run
``recompute_on`` over those same files. Also here: the SQL each engine is sent, kept as snapshots
(``CHISO_UPDATE_SNAPSHOTS=1`` rewrites them; never edit them by hand), and a hand-written DuckDB query
as an oracle for a few measures. No timings are asserted.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chiso.catalogue import Catalogue
from chiso.catalogue.events import EVENT_KINDS, LOCAL_COLUMN
from chiso.catalogue.models import UnitType
from chiso.engine.events import daily_plan, first_seen_plan, measures_of, sql
from chiso.engine.spark import parquet_files, read_events, recompute_on
from chiso.ingest.events import EventIngestor
from chiso.store import Store
from chiso.store.events import EventStore, arrow_schema, columns

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("CHISO_UPDATE_SNAPSHOTS") == "1"
START = datetime(2024, 1, 1)
DAYS = 182  # January to June 2024 for the edge cases; the simulator covers the year
DAILY_KEYS = ["measure", "unit", "day"]
# PySpark 4.3 warns about pandas 3 on every conversion; the answers are checked here regardless.
pytestmark = [pytest.mark.filterwarnings("ignore::FutureWarning:pyspark"),
              pytest.mark.filterwarnings("ignore:.*copy keyword is deprecated"),
              pytest.mark.filterwarnings("ignore:.*future.infer_string"),
              pytest.mark.filterwarnings("ignore:fetch_arrow_table.. is deprecated")]  # inside Ibis 12
FIRST_KEYS = ["measure", "unit", "key"]


# --- events ---------------------------------------------------------------------------------------


def _raw_schema(kind: str) -> pa.Schema:
    """The event schema's own columns, as a portal or the simulator writes them (no derived ones)."""
    derived = {"day", "on_time", "batch"}
    return pa.schema([pa.field(n, a, nullable=nl) for n, a, _, nl in columns(kind) if n not in derived])


def _dossier_events(rng: random.Random, units: list[str], dossiers: int,
                    starts: dict[str, datetime]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(dossiers):
        unit = units[i % len(units)]  # every unit, many times
        received = starts.get(unit, START) + timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86_400))
        if i % 97 == 0:  # day boundaries: the first and the last microsecond of a day
            received = received.replace(hour=0, minute=0, second=0, microsecond=0)
        elif i % 89 == 0:
            received = received.replace(hour=23, minute=59, second=59, microsecond=999_999)
        channel = rng.choices(["online", "in_person", "postal"], [55, 35, 10])[0]
        documents = rng.randrange(0, 9)
        fee = rng.choice([0, 0, 0, 15_000, 50_000, 200_000])
        due = None if rng.random() < 0.1 else received + timedelta(days=rng.randrange(1, 21))
        paused = rng.choice([0.0, 0.0, 0.0, 1.0, 2.5, 0.25])
        base: dict[str, Any] = {
            "schema_version": 1, "kind": "dossier", "source_system": f"dvc-{unit.lower()}",
            "dossier_id": f"T-HS-{i:06d}", "procedure_code": f"1.{rng.randrange(1, 40):06d}", "unit": unit,
            "subunit": None if rng.random() < 0.3 else f"{unit}-{rng.randrange(1, 30):02d}",
            "channel": channel, "full_online": channel == "online" and rng.random() < 0.5,
            "digitised": rng.random() < 0.6, "result_digitised": rng.random() < 0.5, "e_result": rng.random() < 0.4,
            "documents": documents, "documents_reused": rng.randrange(0, documents + 1),
            "fee": fee, "paid_online": fee > 0 and rng.random() < 0.5,
            "received_at": received, "due_at": due, "paused_days": paused,
            "supplement_requests": 0, "vneid": rng.random() < 0.3,
            "national_db_lookups": rng.randrange(0, 4), "rating": None if rng.random() < 0.7 else rng.randrange(1, 6),
        }
        steps = [("received", received), ("processing", received + timedelta(hours=rng.randrange(1, 48)))]
        if rng.random() < 0.15:
            steps.append(("supplement_requested", steps[-1][1] + timedelta(hours=rng.randrange(1, 72))))
            base["supplement_requests"] = 1
        fate = rng.random()
        if fate < 0.8:
            if due is not None and i % 23 == 0:  # finished exactly at the extended due time: on time
                done = due + timedelta(days=paused)
            else:
                done = received + timedelta(days=rng.randrange(0, 25), seconds=rng.randrange(86_400))
            steps.append(("result_issued", done))
            if rng.random() < 0.7:
                steps.append(("returned", done + timedelta(hours=rng.randrange(1, 96))))
        elif fate < 0.9:
            steps.append(("cancelled", steps[-1][1] + timedelta(days=1)))
        for j, (status, at) in enumerate(steps):
            rows.append({**base, "event_id": f"t-d{i:06d}-{j}", "status": status, "at": at})
    return rows


def _ndxp_events(rng: random.Random, units: list[str], n: int, starts: dict[str, datetime]) -> list[dict[str, Any]]:
    providers = [*units[:20], "CSDLQG-DC", "CSDLQG-DD"]  # providers outside the catalogue exist too
    rows = []
    for i in range(n):
        consumer = units[i % len(units)]
        provider = rng.choice(providers)
        # Systems appear over time, so first-seen days spread across the months.
        rows.append({
            "schema_version": 1, "kind": "ndxp", "event_id": f"t-x{i:06d}", "source_system": "ndxp",
            "at": starts.get(consumer, START) + timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86_400)),
            "consumer_unit": consumer, "consumer_system": f"sys-{rng.randrange(1, 4 + i % 5)}",
            "provider_unit": provider, "provider_system": f"api-{rng.randrange(1, 6)}",
            "service": rng.choice(["tra-cuu-cong-dan", "xac-thuc", "ho-tich"]),
            "outcome": rng.choices(["ok", "error", "timeout", "denied"], [90, 5, 3, 2])[0],
            "latency_ms": rng.randrange(0, 3000), "size_bytes": rng.randrange(0, 100_000),
        })
    return rows


def _simulated(out: Path) -> bool:
    """The simulated nation at ≈40,000 events, when the simulator is there (``out/dossier``, ``out/ndxp``)."""
    try:
        from chiso.simulate import generate
    except ImportError:
        return False
    generate(2024, 0.00003, out, seed=7)
    return bool(parquet_files(out, "dossier")) and bool(parquet_files(out, "ndxp"))


def _write_edges(out: Path, catalogue: Catalogue, dossiers: int, transactions: int) -> None:
    """Events made here for what the simulator need not produce: every unit, day boundaries, all nulls."""
    rng = random.Random(20240101)
    # an event's unit: a ministry or province (a commune is its subunit)
    units = sorted(c for c, u in catalogue.units.items()
                   if u.type not in (UnitType.GROUP, UnitType.NATION) and not u.is_local)
    # a unit formed later has its events in its own first half-year (earlier ones would be refused)
    starts = {c: datetime.combine(u.valid_from, time()) for c, u in catalogue.units.items()
              if u.valid_from is not None and u.valid_from > START.date()}
    for kind, rows in (("dossier", _dossier_events(rng, units, dossiers, starts)),
                       ("ndxp", _ndxp_events(rng, units, transactions, starts))):
        (out / kind).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=_raw_schema(kind)), out / kind / "edges.parquet")


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Iterator[tuple[Path, EventIngestor]]:
    """(exported Parquet folder, the ingestor that stored the events and kept their aggregates)."""
    root = tmp_path_factory.mktemp("parity")
    raw = root / "raw"
    if _simulated(raw):
        _write_edges(raw, catalogue, 1_500, 2_000)
    else:
        _write_edges(raw, catalogue, 8_000, 12_000)
    store = Store.open(f"sqlite:///{root / 'store.sqlite'}")
    events = EventStore(root / "events.duckdb")
    ing = EventIngestor(catalogue, store, events)
    for kind in EVENT_KINDS:
        for f in parquet_files(raw, kind):
            receipt = ing.ingest_file(f, kind)
            assert receipt.rejected == 0 and receipt.duplicates == 0, receipt.rejects[:3]
    events.export_parquet(root / "parquet")
    yield root / "parquet", ing
    events.close()
    store.close()


def _sorted(t: pa.Table, keys: list[str]) -> pa.Table:
    return t.sort_by([(k, "ascending") for k in keys])


@pytest.fixture(scope="module")
def on_duckdb(stored: tuple[Path, EventIngestor], catalogue: Catalogue) -> tuple[pa.Table, pa.Table]:
    daily, first = recompute_on(ibis.duckdb.connect(), stored[0], catalogue)
    return _sorted(daily, DAILY_KEYS), _sorted(first, FIRST_KEYS)


@pytest.fixture(scope="module")
def spark_backend() -> Iterator[Any]:
    """One Spark session for the module: starting one takes 6–8 s."""
    pytest.importorskip("pyspark")
    from chiso.engine.spark import spark_backend, spark_session

    session = spark_session("local[2]", "chiso-parity")
    yield spark_backend(session)
    session.stop()


# --- parity ---------------------------------------------------------------------------------------


def test_events_cover_every_measure(stored: tuple[Path, EventIngestor], on_duckdb: tuple[pa.Table, pa.Table],
                                    catalogue: Catalogue) -> None:
    """Parity over data that exercises nothing would prove nothing: every measure and unit has values."""
    daily, first = on_duckdb
    with_values = set(daily["measure"].to_pylist()) | set(first["measure"].to_pylist())
    assert with_values == set(catalogue.measures)
    leaf = {c for c, u in catalogue.units.items() if u.type not in (UnitType.GROUP, UnitType.NATION) and not u.is_local}
    assert leaf <= set(daily["unit"].to_pylist())
    con = duckdb.connect()
    d = str(stored[0] / "dossier" / "**" / "*.parquet")
    nulls = con.execute(
        f"SELECT count(*) FILTER (on_time IS NULL AND status = 'result_issued'), count(*) FILTER (subunit IS NULL), "
        f"count(*) FILTER (rating IS NULL), count(*) FILTER (due_at IS NULL), count(DISTINCT strftime(day, '%Y-%m')) "
        f"FROM read_parquet('{d}', hive_partitioning = false)"
    ).fetchone()
    assert nulls is not None and all(n > 0 for n in nulls[:4]) and nulls[4] >= 3, nulls


def test_duckdb_and_spark_identical(stored: tuple[Path, EventIngestor], on_duckdb: tuple[pa.Table, pa.Table],
                                    spark_backend: Any, catalogue: Catalogue) -> None:
    daily, first = recompute_on(spark_backend, stored[0], catalogue)
    daily, first = _sorted(daily, DAILY_KEYS), _sorted(first, FIRST_KEYS)
    duck_daily, duck_first = on_duckdb
    assert daily.schema == duck_daily.schema
    assert first.schema == duck_first.schema
    assert daily.num_rows == duck_daily.num_rows > 0
    assert daily.to_pylist() == duck_daily.to_pylist()  # same rows, same integers
    assert first.num_rows == duck_first.num_rows > 0
    assert first.to_pylist() == duck_first.to_pylist()

    # Naive local times come back unchanged (no zone applied on the way), day boundaries included.
    def times(backend: Any) -> list[dict[str, Any]]:
        t = read_events(backend, stored[0], "dossier")
        picked = t.filter((t["at"].hour() == 0) | (t["at"].hour() == 23)).select("event_id", "at", "day")
        return backend.to_pyarrow(picked.order_by("event_id").limit(200)).to_pylist()  # type: ignore[no-any-return]

    spark_times = times(spark_backend)
    assert len(spark_times) == 200 and spark_times == times(ibis.duckdb.connect())
    assert all(r["at"].date() == r["day"] for r in spark_times)


def test_parquet_plans_agree_with_the_event_store(stored: tuple[Path, EventIngestor],
                                                  on_duckdb: tuple[pa.Table, pa.Table]) -> None:
    """The exported Parquet answers what the store's own recompute (native tables) answers."""
    daily, first = stored[1].recompute()
    assert _sorted(daily, DAILY_KEYS).to_pylist() == on_duckdb[0].to_pylist()
    assert _sorted(first, FIRST_KEYS).to_pylist() == on_duckdb[1].to_pylist()


def test_kept_aggregates_equal_the_recompute(stored: tuple[Path, EventIngestor],
                                             on_duckdb: tuple[pa.Table, pa.Table]) -> None:
    """What answers read (aggregates kept batch by batch at ingestion) is what a full recompute gives."""
    book = stored[1].book
    kept = {k: v for k, v in book.all_daily().items() if v != 0}
    assert kept == {(r["measure"], r["unit"], r["day"]): r["value"] for r in on_duckdb[0].to_pylist()}
    assert book.all_first_seen() == {(r["measure"], r["unit"], r["key"]): r["first_day"]
                                     for r in on_duckdb[1].to_pylist()}


# --- oracle ---------------------------------------------------------------------------------------


def test_hand_written_sql_agrees(stored: tuple[Path, EventIngestor], on_duckdb: tuple[pa.Table, pa.Table]) -> None:
    """Three measures written out by hand in DuckDB SQL, from the measure definitions' meaning."""
    folder = stored[0]
    con = duckdb.connect()
    d = f"read_parquet('{folder}/dossier/**/*.parquet', hive_partitioning = false)"
    x = f"read_parquet('{folder}/ndxp/**/*.parquet', hive_partitioning = false)"
    oracle = con.execute(f"""
        SELECT 'dossier_results_on_time' AS measure, unit, day, count(*) AS value FROM {d}
        WHERE status = 'result_issued' AND on_time GROUP BY unit, day
        UNION ALL
        SELECT 'dossier_documents_reused', unit, day, sum(documents_reused) FROM {d}
        WHERE status = 'received' GROUP BY unit, day HAVING sum(documents_reused) <> 0
        UNION ALL
        SELECT 'dossier_paid_online', unit, day, count(*) FROM {d}
        WHERE status = 'received' AND fee > 0 AND paid_online GROUP BY unit, day
        ORDER BY measure, unit, day""").fetchall()
    daily = on_duckdb[0]
    wanted = {"dossier_results_on_time", "dossier_documents_reused", "dossier_paid_online"}
    plan = [(r["measure"], r["unit"], r["day"], r["value"]) for r in daily.to_pylist() if r["measure"] in wanted]
    assert sorted(plan) == sorted(oracle)
    assert len(oracle) > 100

    endpoints = con.execute(f"""
        SELECT 'ndxp_endpoints', unit, key, min(day) FROM (
            SELECT consumer_unit AS unit, consumer_system AS key, day FROM {x}
            UNION ALL SELECT provider_unit, provider_system, day FROM {x})
        GROUP BY unit, key ORDER BY unit, key""").fetchall()
    plan_fs = [(r["measure"], r["unit"], r["key"], r["first_day"]) for r in on_duckdb[1].to_pylist()
               if r["measure"] == "ndxp_endpoints"]
    assert plan_fs == endpoints
    assert all(isinstance(r[3], date) for r in endpoints)


# --- generated SQL --------------------------------------------------------------------------------


def _plans(catalogue: Catalogue) -> dict[str, Any]:
    """Every plan the engines run, over unbound tables named as in the event store."""
    out: dict[str, Any] = {}
    for kind in EVENT_KINDS:
        t = ibis.table(ibis.schema(arrow_schema(kind)), name=f"{kind}_event")
        ms = measures_of(kind, catalogue.measures)
        if any(m.agg != "first_seen" for m in ms):
            out[f"{kind}_daily"] = daily_plan(t, kind, ms)
            if kind in LOCAL_COLUMN:  # the same plan per commune (event_agg_local)
                out[f"{kind}_daily_local"] = daily_plan(t, kind, ms, by=LOCAL_COLUMN[kind])
        for m in ms:
            if m.agg == "first_seen":
                out[f"{m.id}_first_seen"] = first_seen_plan(t, m)
    return out


@pytest.mark.parametrize("dialect", ["duckdb", "pyspark"])  # Ibis names Spark SQL "pyspark"
def test_sql_snapshots(catalogue: Catalogue, dialect: str) -> None:
    """A change in the generated SQL (a new Ibis or sqlglot, a changed plan) shows up in review."""
    plans = _plans(catalogue)
    assert plans
    stale = []
    for name, expr in sorted(plans.items()):
        text = sql(expr, dialect).rstrip() + "\n"
        path = SNAPSHOTS / f"{name}.{dialect}.sql"
        if UPDATE:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path.name)
    assert not stale, f"generated SQL differs from {stale}: review, then rerun with CHISO_UPDATE_SNAPSHOTS=1"
