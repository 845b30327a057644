"""The event store: raw operational events in a DuckDB file, appended in batches, each event once.

Native DuckDB tables rather than loose Parquet segments: appends are transactional (a batch is in or
out), duplicates are found with an anti-join limited to the batch's days (zone maps make that cheap
because events arrive roughly in time order), and scans run ≈1.5× faster than over Parquet
(stack-notes). ``export_parquet`` writes the same rows as Parquet for Spark and other engines.
One process writes (DuckDB allows one writer per file); readers go through the kept aggregates.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import types
import typing
from collections.abc import Callable, Collection, Iterator
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from chiso.catalogue.events import DERIVED_COLUMNS, EVENT_KINDS, LATER_COLUMNS
from chiso.catalogue.measures import UNIT_COLUMN
from chiso.errors import WorkspaceError

_ARROW = {str: pa.string(), bool: pa.bool_(), int: pa.int64(), float: pa.float64(), datetime: pa.timestamp("us"),
          date: pa.date32()}
# how an export partitions each kind's events: (the Hive folder's column, its strftime format)
PARTITIONS = {"month": ("month", "%Y-%m"), "day": ("date", "%Y-%m-%d")}
_DUCK = {str: "VARCHAR", bool: "BOOLEAN", int: "BIGINT", float: "DOUBLE", datetime: "TIMESTAMP", date: "DATE"}


def _base_type(annotation: Any) -> tuple[type, bool]:
    """(python type, nullable) of a model field annotation."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
        origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        annotation = type(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        annotation = str
    return annotation, nullable


def columns(kind: str) -> list[tuple[str, pa.DataType, str, bool]]:
    """(name, Arrow type, DuckDB type, nullable) of a kind's stored columns, in table order."""
    out = []
    for name, field in EVENT_KINDS[kind].model_fields.items():
        py, nullable = _base_type(field.annotation)
        out.append((name, _ARROW[py], _DUCK[py], nullable))
    out.extend((n, _ARROW[py], _DUCK[py], True) for n, py in DERIVED_COLUMNS[kind])
    out.append(("batch", pa.int64(), "BIGINT", False))
    return out


def arrow_schema(kind: str, *, with_batch: bool = True) -> pa.Schema:
    cols = columns(kind)
    return pa.schema([pa.field(n, a, nullable=nl) for n, a, _, nl in cols if with_batch or n != "batch"])


def table_name(kind: str) -> str:
    return f"{kind}_event"


class EventStore:
    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = str(path)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise WorkspaceError(
                f"the event store {self.path} is in use by another chiso process (a running `chiso serve`?): "
                "send events to that process, or stop it first"
            ) from exc
        self._limit_memory()
        if not read_only:
            self._create()

    def _limit_memory(self) -> None:
        """DuckDB's buffer pool, left alone, grows to 80 % of the machine's memory as a large store is written (it
        keeps the blocks it wrote): half of it by default, or ``CHISO_EVENTS_MEMORY`` ("4GB", "512MB"), leaves
        room for the web app, the operational store and the rest."""
        given = os.environ.get("CHISO_EVENTS_MEMORY", "").strip()
        if given:
            if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", given, re.IGNORECASE):
                raise WorkspaceError(f"CHISO_EVENTS_MEMORY: {given!r} is not a size like 4GB or 512MB")
            limit = given
        else:
            pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
            limit = f"{max(1, pages * size // 2 // 2**20)}MiB"
        self.con.execute(f"SET memory_limit = '{limit}'")

    def _create(self) -> None:
        for kind in EVENT_KINDS:
            cols = ", ".join(f'"{n}" {d}{"" if nl else " NOT NULL"}' for n, _, d, nl in columns(kind))
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {table_name(kind)} ({cols})")
            # a store written before a derived column existed: the column is added, null for the events already in
            have = {r[0] for r in self.con.execute(f"DESCRIBE {table_name(kind)}").fetchall()}
            for n, _, d, _nl in columns(kind):
                if n not in have and n in LATER_COLUMNS:
                    self.con.execute(f'ALTER TABLE {table_name(kind)} ADD COLUMN "{n}" {d}')
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS stored_batch (batch BIGINT PRIMARY KEY, kind VARCHAR, "
            "accepted BIGINT, duplicates BIGINT)"
        )

    def close(self) -> None:
        self.con.close()

    # writes -----------------------------------------------------------------------------------
    def append(self, kind: str, rows: pa.Table, batch: int) -> tuple[int, int]:
        """Insert the rows not stored before (by the event's unit and ``event_id``, within the batch's days);
        returns (accepted, duplicates). One transaction: after it returns, the events are durable.

        Idempotency is scoped to the unit the event belongs to (a dossier's ``unit``, an NDXP transaction's
        ``consumer_unit``): a source may send only for its own units, so no source can send an id first and have
        another unit's real event dropped as its duplicate. Events stored before were unique by id alone, so they
        are unique by (unit, id) too: nothing stored changes."""
        schema = arrow_schema(kind, with_batch=False)
        if not rows.schema.equals(schema):  # the ingestor's validation already casts to it
            rows = rows.cast(schema)
        con = self.con
        with self._transaction():  # first: it also ends a result left open, where register() would fail (DuckDB 2)
            con.register("incoming", rows)
            try:
                lo, hi, first, last = con.execute(
                    "SELECT min(day), max(day), min(event_id), max(event_id) FROM incoming").fetchall()[0]
                accepted, _ = self._insert(kind, "incoming", batch, days=(lo, hi), ids=(first, last),
                                           repeats=self.repeats(rows.column("event_id")), received=rows.num_rows)
            finally:
                con.unregister("incoming")
        return accepted, rows.num_rows - accepted

    def insert(self, kind: str, rows: str, batch: int, *, days: tuple[Any, Any], ids: tuple[Any, Any],
               repeats: bool, received: int, short: Callable[[], int] | None = None) -> tuple[int, int]:
        """Insert the rows of ``rows`` (a table, view or query of this connection with the kind's columns by name)
        not stored before, as ``append`` does, in one transaction; ``days`` and ``ids`` bound the batch's days and
        event ids, ``repeats``: the batch may repeat an id. ``short()``, when fewer rows went in than were
        ``received``, runs before the commit (e.g. to record the rejected rows) and says how many of the others were
        not events: the duplicates are the rest. Returns (accepted, rejected)."""
        with self._transaction():
            return self._insert(kind, rows, batch, days=days, ids=ids, repeats=repeats, received=received,
                                short=short)

    def repeats(self, ids: pa.ChunkedArray) -> bool:
        """Whether a batch's event ids (nulls left out) repeat one. The window that keeps one of each (unit, id) is
        costly: only when the batch repeats an id at all, which ids in increasing order (as systems export them) rule
        out for a fraction of counting the distinct ones (counted by DuckDB: Arrow's count takes twice as long)."""
        ids = ids.drop_null()
        if _increasing(ids):
            return False
        self.con.register("batch_ids", pa.table({"e": ids}))
        try:
            return int(self.con.execute("SELECT count(DISTINCT e) FROM batch_ids").fetchall()[0][0]) < len(ids)
        finally:
            self.con.unregister("batch_ids")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def _insert(self, kind: str, rows: str, batch: int, *, days: tuple[Any, Any], ids: tuple[Any, Any],
                repeats: bool, received: int, short: Callable[[], int] | None = None) -> tuple[int, int]:
        t = table_name(kind)
        u = UNIT_COLUMN[kind]  # whose the event is: the scope of its idempotency
        con = self.con
        kept = rows if rows.isidentifier() else f"({rows})"
        fresh = f"(SELECT * FROM {kept} QUALIFY row_number() OVER (PARTITION BY {u}, event_id) = 1)" if repeats \
            else kept
        # by name: a store whose later columns were added by ALTER TABLE has them in another order. A stored
        # duplicate lies within the batch's days and its ids' range: the range lets zone maps skip the day's
        # other row groups (ids are mostly sequential), where the days alone read every event of the day
        done = con.execute(
            f"""INSERT INTO {t} BY NAME
            SELECT i.*, CAST(? AS BIGINT) AS batch FROM {fresh} i
            ANTI JOIN (SELECT {u}, event_id FROM {t} WHERE day BETWEEN ? AND ? AND event_id BETWEEN ? AND ?) e
            ON i.event_id = e.event_id AND i.{u} = e.{u}""",
            [batch, days[0], days[1], ids[0], ids[1]],
        ).fetchall()
        accepted = int(done[0][0]) if done else 0
        rejected = short() if short is not None and accepted < received else 0
        con.execute("INSERT OR REPLACE INTO stored_batch VALUES (?, ?, ?, ?)",
                    [batch, kind, accepted, received - rejected - accepted])
        return accepted, rejected

    # reads ------------------------------------------------------------------------------------
    def stored_batches(self) -> dict[int, tuple[str, int, int]]:
        """Every committed batch: its kind, events accepted and duplicates, as its commit recorded them."""
        rows = self.con.execute("SELECT batch, kind, accepted, duplicates FROM stored_batch").fetchall()
        return {int(b): (str(k), int(a), int(d)) for b, k, a, d in rows}

    def count(self, kind: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table_name(kind)}").fetchone()[0])  # type: ignore[index]

    def ibis(self) -> Any:
        import ibis

        return ibis.duckdb.from_connection(self.con)

    def export_parquet(self, out_dir: Path, *, by: str = "month", days: Collection[date] | None = None) -> list[Path]:
        """Write each kind's events as Parquet for other engines: one folder per kind, then per month
        (``month=2024-03``) or per day (``date=2024-03-05``, shared storage a Spark cluster reads, where a day's
        new events are a new partition); ``days``: only those days' partitions, rewritten whole."""
        if by not in PARTITIONS:
            raise ValueError(f"partition by {by!r}: expected one of {', '.join(PARTITIONS)}")
        part, fmt = PARTITIONS[by]
        where = ""
        if days is not None:
            where = " WHERE day IN (" + ", ".join(f"DATE '{d.isoformat()}'" for d in sorted(set(days))) + ")"
            if not days:
                return []
        out = []
        for kind in EVENT_KINDS:
            target = Path(out_dir) / kind
            target.mkdir(parents=True, exist_ok=True)
            self.con.execute(
                f"COPY (SELECT *, strftime(day, '{fmt}') AS {part} FROM {table_name(kind)}{where} "
                f"ORDER BY day, event_id) TO '{target}' (FORMAT parquet, PARTITION_BY ({part}), "
                "OVERWRITE_OR_IGNORE true)"
            )
            out.append(target)
        _write_marker(Path(out_dir), by, days)
        return out


def _increasing(ids: pa.ChunkedArray) -> bool:
    """Each id above the one before (byte order, as DuckDB compares): no id repeats."""
    if len(ids) < 2:
        return True
    return bool(pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py())


EXPORT_MARKER = "_chiso_export.json"  # written last: a reader sees a finished export, never one being written


def _write_marker(out_dir: Path, by: str, days: Collection[date] | None) -> None:
    last = read_export_marker(out_dir)
    marker = {"seq": (last["seq"] + 1) if last else 1, "by": by,
              "days": None if days is None else [d.isoformat() for d in sorted(set(days))],
              "at": datetime.now().isoformat(timespec="seconds")}
    tmp = out_dir / f".{EXPORT_MARKER}.tmp"
    tmp.write_text(json.dumps(marker), encoding="utf-8")
    os.replace(tmp, out_dir / EXPORT_MARKER)


def read_export_marker(folder: Path) -> dict[str, Any] | None:
    """The last finished export into ``folder``: {seq, by, days (None: every day), at}; None before any (or an
    unreadable marker: a follower then waits for the next export)."""
    try:
        marker = json.loads((Path(folder) / EXPORT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or not isinstance(marker.get("seq"), int):
        return None
    days = marker.get("days")
    if days is not None:
        try:
            if not isinstance(days, list) or len(days) > 3660:
                return None
            for d in days:
                date.fromisoformat(d)
        except (TypeError, ValueError):
            return None
    return marker
