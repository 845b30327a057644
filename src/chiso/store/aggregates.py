"""Event bookkeeping in the operational store: batches, rejects, event sources, kept aggregates.

The kept aggregates (``event_agg``: measure × unit × day → integer) are what answers read, so a query
never rescans events. They are updated in the same transaction that marks a batch applied, so a
batch is counted once or not at all; ``replace_all`` installs a full recompute. ``event_agg_local`` keeps the
same per commune (the dossier events whose ``subunit`` named one), in the same transactions; the batch's events
whose subunit named none are listed among the rejects then too (kind ``dossier.subunit``, never replayed).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from chiso.catalogue.events import SUBUNIT_REJECT_KIND
from chiso.store import schema as s
from chiso.store.clock import now

SUMS_CHUNK = 200_000  # daily sums handed to the driver at a time


def reject_key(source: str, kind: str, identity: str, position: int | None, raw: str) -> str:
    """The key that makes a rejected line recorded once: its source and kind, the identity of its batch (an
    idempotency key or the batch's content hash) and its position there (its text when it has no position)."""
    where = str(position) if position is not None else "text:" + hashlib.sha256(raw.encode()).hexdigest()
    return hashlib.sha256("\x1f".join((source, kind, identity, where)).encode()).hexdigest()


def hash_token(token: str) -> str:
    # API tokens are 256-bit random secrets: a fast hash is enough (no password to brute-force).
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class EventSourceRecord:
    id: str
    name: str
    units: tuple[str, ...]
    kinds: tuple[str, ...]
    active: bool
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class SubunitReject:
    """A stored event that counts for its province but is attributed to no commune: why, and what identifies it."""

    unit: str
    event_id: str
    raw: str
    reason: str


def subunit_reject_key(unit: str, event_id: str) -> str:
    """Each stored event's commune reject is recorded once (an event is stored once by its unit and id)."""
    return hashlib.sha256("\x1f".join((SUBUNIT_REJECT_KIND, unit, event_id)).encode()).hexdigest()


@dataclass(frozen=True)
class RejectRecord:
    id: int
    batch: int
    kind: str
    source: str
    received_at: datetime
    position: int | None
    raw: str
    reason: str
    replayed_at: datetime | None


def _source(r: Any) -> EventSourceRecord:
    return EventSourceRecord(
        r["id"], r["name"], tuple(r["units"]), tuple(r["kinds"]), r["active"], r["created_at"], r["revoked_at"]
    )


class EventBook:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local_pk: tuple[str | None] | None = None  # SQLite's name of event_agg_local's primary-key index

    def _insert(self) -> Any:
        return postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert

    # batches ----------------------------------------------------------------------------------
    def new_batch(
        self,
        kind: str,
        source: str,
        events: int,
        rejects: Sequence[tuple[int | None, str, str]],
        identity: str | None = None,
    ) -> int:
        """Record a batch's arrival and its rejected events (position, raw text, reason) together.

        With the batch's ``identity`` (an idempotency key or its content hash), a reject already recorded for the
        same source, kind, identity and position is not recorded again: a resent batch adds no rejects."""
        at = now()
        with self.engine.begin() as conn:
            bid = int(
                conn.execute(
                    insert(s.event_batch).values(
                        kind=kind,
                        source=source,
                        received_at=at,
                        events=events,
                        rejected=len(rejects),
                        state="received",
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            if rejects:
                stmt = insert(s.event_reject)
                if identity is not None:
                    stmt = self._insert()(s.event_reject).on_conflict_do_nothing(index_elements=["dedup_key"])
                conn.execute(
                    stmt,
                    [
                        {
                            "batch": bid,
                            "kind": kind,
                            "source": source,
                            "received_at": at,
                            "position": pos,
                            "raw": raw,
                            "reason": reason,
                            "dedup_key": None if identity is None else reject_key(source, kind, identity, pos, raw),
                        }
                        for pos, raw, reason in rejects
                    ],
                )
        return bid

    def mark_stored(self, batch: int, accepted: int, duplicates: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(s.event_batch)
                .where(s.event_batch.c.id == batch)
                .values(state="stored", accepted=accepted, duplicates=duplicates)
            )

    def batches_in_state(self, state: str) -> list[int]:
        with self.engine.connect() as conn:
            q = select(s.event_batch.c.id).where(s.event_batch.c.state == state).order_by(s.event_batch.c.id)
            return [int(r[0]) for r in conn.execute(q)]

    def abandon(self, batches: Collection[int]) -> None:
        """Mark batches that were received but never stored (their process died in between) as abandoned: they hold
        no event, and their source sends them again (an unacknowledged NATS message) as a batch of its own."""
        todo = sorted(batches)
        with self.engine.begin() as conn:
            for i in range(0, len(todo), 500):
                conn.execute(update(s.event_batch).where(s.event_batch.c.id.in_(todo[i:i + 500]),
                                                         s.event_batch.c.state == "received").values(state="abandoned"))

    def stored_by_kind(self) -> dict[str, int]:
        """Events stored per kind, as the applied batches count them (each event once: duplicates are not
        accepted): what the event store holds, read without opening it."""
        return {t["kind"]: t["accepted"] for t in self.batch_totals() if t["state"] == "applied"}

    def last_applied(self) -> datetime | None:
        """When the last applied batch was received (UTC): how fresh the kept aggregates are."""
        b = s.event_batch.c
        with self.engine.connect() as conn:
            at = conn.execute(select(func.max(b.received_at)).where(b.state == "applied")).scalar()
        return at if isinstance(at, datetime) else None

    # a bulk ingest's place in a file ---------------------------------------------------------------
    def resume_point(self, file_key: str) -> int:
        """Rows of the file already committed by an ingest that did not finish (0: start from the top)."""
        with self.engine.connect() as conn:
            r = conn.execute(select(s.ingest_progress.c.rows).where(s.ingest_progress.c.file_key == file_key)).first()
        return int(r[0]) if r else 0

    def checkpoint(self, file_key: str, path: str, rows: int | None) -> None:
        """Record how far the file is committed (``None``: done, the place forgotten)."""
        t = s.ingest_progress
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.file_key == file_key))
            if rows is not None:
                conn.execute(insert(t).values(file_key=file_key, path=path[:1000], rows=rows, updated_at=now()))

    def batch_totals(self) -> list[dict[str, Any]]:
        """Per kind and state: batches, and the events they received, accepted, found duplicate and rejected."""
        b = s.event_batch.c
        with self.engine.connect() as conn:
            q = select(b.kind, b.state, func.count(), *(func.coalesce(func.sum(c), 0) for c in (
                b.events, b.accepted, b.duplicates, b.rejected))).group_by(b.kind, b.state)
            return [{"kind": str(r[0]), "state": str(r[1]), "batches": int(r[2]), "received": int(r[3]),
                     "accepted": int(r[4]), "duplicates": int(r[5]), "rejected": int(r[6])}
                    for r in conn.execute(q)]

    def batch(self, batch: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(s.event_batch).where(s.event_batch.c.id == batch)).mappings().first()
            return dict(r) if r else None

    # kept aggregates --------------------------------------------------------------------------
    def apply(
        self,
        batch: int | None,
        daily: pa.Table,
        first_seen: pa.Table,
        local: pa.Table | None = None,
        subunit_rejects: Sequence[SubunitReject] = (),
    ) -> None:
        """Add a batch's daily deltas (per province and, ``local``, per commune) and first-seen keys, record its
        events' commune rejects, and mark it applied, in one transaction."""
        with self.engine.begin() as conn:
            for table, data in ((s.event_agg, daily), (s.event_agg_local, local)):
                if data is not None and data.num_rows:
                    self._add_sums(conn, table.name, data)
            if subunit_rejects and batch is not None:
                self._subunit_rejects(conn, batch, subunit_rejects)
            self._merge_first_seen(conn, first_seen)
            if batch is not None:
                conn.execute(update(s.event_batch).where(s.event_batch.c.id == batch).values(state="applied"))

    def _add_sums(self, conn: Connection, table: str, data: pa.Table) -> None:
        """Daily sums (measure, unit, day, value) added into ``table``'s rows. A batch of a national day holds
        10⁵–10⁶ of them: they go to the driver as plain tuples (SQLite) or by COPY (PostgreSQL), not as one
        statement object per row."""
        def chunks() -> Iterator[list[tuple[Any, ...]]]:  # a chunk at a time: a national year's recompute is 10⁸ rows
            for b in data.to_batches(max_chunksize=SUMS_CHUNK):
                if not b.num_rows:  # a table's empty chunks: nothing to hand over
                    continue
                yield list(zip(b.column("measure").to_pylist(), b.column("unit").to_pylist(),
                               b.column("day").cast(pa.string()).to_pylist(), b.column("value").to_pylist(),
                               strict=True))

        if self.engine.dialect.name != "postgresql":
            for chunk in chunks():
                conn.exec_driver_sql(
                    f"INSERT INTO {table} (measure, unit, day, value) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (measure, unit, day) DO UPDATE SET value = value + excluded.value",
                    chunk,
                )
            return
        with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS sums_in (measure varchar(100), unit varchar(50), day date, "
                        "value bigint) ON COMMIT DELETE ROWS")
            with cur.copy("COPY sums_in (measure, unit, day, value) FROM STDIN") as copy:
                for chunk in chunks():
                    for r in chunk:
                        copy.write_row(r)
            cur.execute(
                f"INSERT INTO {table} (measure, unit, day, value) SELECT measure, unit, day, sum(value) FROM sums_in "
                f"GROUP BY measure, unit, day ON CONFLICT (measure, unit, day) DO UPDATE SET value = {table}.value + "
                "EXCLUDED.value"
            )
            cur.execute("DELETE FROM sums_in")

    def _merge_first_seen(self, conn: Connection, first_seen: pa.Table) -> None:
        """First-seen keys added, the earliest day kept where a key was already seen."""
        fs = first_seen.to_pylist()
        if not fs:
            return
        stmt = self._insert()(s.event_first_seen)
        first = s.event_first_seen.c.first_day
        earliest = func.min if self.engine.dialect.name == "sqlite" else func.least
        conn.execute(
            stmt.on_conflict_do_update(index_elements=["measure", "unit", "key"],
                                       set_={"first_day": earliest(first, stmt.excluded.first_day)}),
            fs,
        )

    def replace_days(self, days: Collection[date], daily: pa.Table, first_seen: pa.Table, local: pa.Table) -> None:
        """Install a recompute of some days (an incremental run over a day's new partitions), all or nothing: those
        days' sums replaced, per province and per commune, the other days' kept; first-seen keys merged. Run
        again over the same days, it changes nothing."""
        todo = sorted(set(days))
        with self.engine.begin() as conn:
            for table, data in ((s.event_agg, daily), (s.event_agg_local, local)):
                for i in range(0, len(todo), 500):
                    conn.execute(delete(table).where(table.c.day.in_(todo[i:i + 500])))
                if data.num_rows:
                    self._add_sums(conn, table.name, data)  # into emptied days: the sums themselves
            self._merge_first_seen(conn, first_seen)

    def _subunit_rejects(self, conn: Connection, batch: int, rejects: Sequence[SubunitReject]) -> None:
        info = conn.execute(select(s.event_batch.c.source).where(s.event_batch.c.id == batch)).first()
        source = str(info[0]) if info is not None else "?"
        at = now()
        stmt = self._insert()(s.event_reject).on_conflict_do_nothing(index_elements=["dedup_key"])
        for i in range(0, len(rejects), 50_000):
            conn.execute(stmt, [
                {"batch": batch, "kind": SUBUNIT_REJECT_KIND, "source": source, "received_at": at, "position": None,
                 "raw": r.raw, "reason": r.reason, "dedup_key": subunit_reject_key(r.unit, r.event_id)}
                for r in rejects[i:i + 50_000]
            ])

    def replace_all(self, daily: pa.Table, first_seen: pa.Table, local: pa.Table | None = None) -> None:
        """Install a full recompute (all or nothing); ``local``: the per-commune aggregates (None: left as they are)."""
        with self.engine.begin() as conn:
            conn.execute(delete(s.event_agg))
            conn.execute(delete(s.event_first_seen))
            if local is not None:
                conn.execute(delete(s.event_agg_local))
            for table, data in ((s.event_agg, daily), (s.event_agg_local, local)):
                if data is not None and data.num_rows:
                    self._add_sums(conn, table.name, data)
            self._merge_first_seen(conn, first_seen)

    def differences(self, fresh: pa.Table, *, local: bool = False, days: Collection[date] | None = None,
                    sample: int = 3) -> tuple[int, list[tuple[str, str, date]]]:
        """How many (measure, unit, day) sums of ``fresh`` differ from the kept ones (per province, or per commune
        with ``local``; only ``days`` if given), and the first few. Compared one measure at a time, as Arrow
        tables: a national year's kept sums (10⁸ rows per commune) never sit in memory whole."""
        table = s.event_agg_local if local else s.event_agg
        c = table.c
        wanted = None if days is None else sorted(set(days))
        with self.engine.connect() as conn:
            kept_measures = {str(r[0]) for r in conn.execute(select(c.measure).distinct())}
        count, first = 0, list[tuple[str, str, date]]()
        schema = pa.schema([("unit", pa.string()), ("day", pa.date32()), ("kept", pa.int64())])
        days_in = None if wanted is None else pa.array(wanted, pa.date32())
        for m in sorted(kept_measures | set(fresh.column("measure").unique().to_pylist())):
            q = select(c.unit, c.day, c.value).where(c.measure == m)
            if wanted is not None:  # only the days asked are read (an incremental run's few days)
                q = q.where(c.day.in_(wanted))
            with self.engine.connect() as conn:
                got = [tuple(r) for r in conn.execute(q)]
            kept = pa.Table.from_arrays([pa.array([r[0] for r in got], pa.string()),
                                         pa.array([r[1] for r in got], pa.date32()),
                                         pa.array([int(r[2]) for r in got], pa.int64())], schema=schema)
            del got
            new = fresh.filter(pc.equal(fresh.column("measure"), m)).select(["unit", "day", "value"])
            new = new.cast(pa.schema([("unit", pa.string()), ("day", pa.date32()), ("value", pa.int64())]))
            if days_in is not None:
                new = new.filter(pc.is_in(new.column("day"), days_in))
            both = kept.join(new, ["unit", "day"], join_type="full outer")
            # a sum of 0 and no row at all say the same: nothing counted that day
            k = pc.fill_null(both.column("kept"), 0)
            v = pc.fill_null(both.column("value"), 0)
            bad = both.filter(pc.not_equal(k, v))
            count += bad.num_rows
            if len(first) < sample and bad.num_rows:
                bad = bad.sort_by([("unit", "ascending"), ("day", "ascending")]).slice(0, sample - len(first))
                first += [(m, u, d) for u, d in zip(bad.column("unit").to_pylist(), bad.column("day").to_pylist(),
                                                     strict=True)]
        return count, first

    def all_daily(self) -> dict[tuple[str, str, date], int]:
        with self.engine.connect() as conn:
            return {(r[0], r[1], r[2]): int(r[3]) for r in conn.execute(select(s.event_agg))}

    def all_daily_local(self) -> dict[tuple[str, str, date], int]:
        with self.engine.connect() as conn:
            return {(r[0], r[1], r[2]): int(r[3]) for r in conn.execute(select(s.event_agg_local))}

    def all_first_seen(self) -> dict[tuple[str, str, str], date]:
        with self.engine.connect() as conn:
            return {(r[0], r[1], r[2]): r[3] for r in conn.execute(select(s.event_first_seen))}

    # reads for the engine ---------------------------------------------------------------------
    def by_unit(self, measure: str, units: Collection[str] | None, start: date | None, end: date) -> dict[str, int]:
        return self._by_unit(s.event_agg, measure, units, start, end)

    def by_unit_local(self, measure: str, communes: Collection[str], start: date | None,
                      end: date) -> dict[str, int]:
        """``by_unit`` per commune (``event_agg_local``): commune → total; a commune without events is absent."""
        return self._by_unit(s.event_agg_local, measure, communes, start, end)

    def by_unit_many_local(self, measures: Collection[str], communes: Collection[str] | None, start: date | None,
                           end: date) -> dict[str, dict[str, int]]:
        return self._by_unit_many(s.event_agg_local, measures, communes, start, end)

    def _local_pk_index(self, table: Any, units: Collection[str] | None) -> str | None:
        """On SQLite, the primary-key index of ``event_agg_local`` when communes are named: read by it, a seek per
        commune. Without statistics SQLite prefers the covering (measure, day, …) index and scans every commune's
        rows of the period instead: a thousand times slower for one commune at 10 M events (docs/benchmarks.md,
        "Communes"). SQLAlchemy renders no SQLite hint, so the reads that use it are written out."""
        if table is not s.event_agg_local or units is None or self.engine.dialect.name != "sqlite":
            return None
        if self._local_pk is None:
            with self.engine.connect() as conn:
                rows = conn.exec_driver_sql("PRAGMA index_list('event_agg_local')").fetchall()
            self._local_pk = (next((str(r[1]) for r in rows if r[3] == "pk"), None),)
        name = self._local_pk[0]
        return name if name is not None and name.replace("_", "").isalnum() else None

    def _local_by_pk(self, index: str, measures: Collection[str], units: Collection[str], start: date | None,
                     end: date) -> list[tuple[str, str, int]]:
        """(measure, commune, total) of the named communes, read through ``index`` (see ``_local_pk_index``). Plain
        placeholders: compiling thousands of expanding parameters costs more than the read (the national ranking)."""
        ms, us = sorted(measures), sorted(units)
        since = " AND day >= ?" if start is not None else ""
        sql = (f"SELECT measure, unit, SUM(value) FROM event_agg_local INDEXED BY {index} "
               f"WHERE measure IN ({', '.join('?' * len(ms))}) AND unit IN ({', '.join('?' * len(us))}) "
               f"AND day <= ?{since} GROUP BY measure, unit")
        # the Date type's SQLite storage: ISO text, compared as text
        params = (*ms, *us, end.isoformat(), *([start.isoformat()] if start is not None else []))
        with self.engine.connect() as conn:
            return [(r[0], r[1], int(r[2])) for r in conn.exec_driver_sql(sql, params)]

    def _by_unit(self, table: Any, measure: str, units: Collection[str] | None, start: date | None,
                 end: date) -> dict[str, int]:
        index = self._local_pk_index(table, units)
        if index is not None and units is not None:
            return {u: v for _, u, v in self._local_by_pk(index, [measure], units, start, end)} if units else {}
        c = table.c
        q = select(c.unit, func.sum(c.value)).where(c.measure == measure, c.day <= end)
        if start is not None:
            q = q.where(c.day >= start)
        if units is not None:
            q = q.where(c.unit.in_(sorted(units)))
        with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(q.group_by(c.unit))}

    def by_unit_many(self, measures: Collection[str], units: Collection[str] | None, start: date | None,
                     end: date) -> dict[str, dict[str, int]]:
        """``by_unit`` of several measures in one query: measure → unit → total (a measure without rows is absent)."""
        return self._by_unit_many(s.event_agg, measures, units, start, end)

    def _by_unit_many(self, table: Any, measures: Collection[str], units: Collection[str] | None,
                      start: date | None, end: date) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        index = self._local_pk_index(table, units)
        if index is not None and units is not None:
            for m, u, v in self._local_by_pk(index, measures, units, start, end) if units and measures else []:
                out.setdefault(m, {})[u] = v
            return out
        c = table.c
        q = select(c.measure, c.unit, func.sum(c.value)).where(c.measure.in_(sorted(measures)), c.day <= end)
        if start is not None:
            q = q.where(c.day >= start)
        if units is not None:
            q = q.where(c.unit.in_(sorted(units)))
        with self.engine.connect() as conn:
            for m, u, v in conn.execute(q.group_by(c.measure, c.unit)):
                out.setdefault(m, {})[u] = int(v)
        return out

    def first_seen_by_unit(self, measure: str, units: Collection[str] | None, end: date) -> dict[str, int]:
        c = s.event_first_seen.c
        q = select(c.unit, func.count()).where(c.measure == measure, c.first_day <= end)
        if units is not None:
            q = q.where(c.unit.in_(sorted(units)))
        with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(q.group_by(c.unit))}

    def first_seen_day(self, measures: Collection[str], unit: str, key: str) -> date | None:
        """The first day a key of a unit was seen by any of these first_seen measures (None: never)."""
        c = s.event_first_seen.c
        q = select(func.min(c.first_day)).where(c.measure.in_(sorted(measures)), c.unit == unit, c.key == key)
        with self.engine.connect() as conn:
            day = conn.execute(q).scalar_one()
        return day if isinstance(day, date) or day is None else date.fromisoformat(str(day))

    def days_with_data(self, measure: str, start: date, end: date) -> int:
        c = s.event_agg.c
        q = select(func.count(func.distinct(c.day))).where(c.measure == measure, c.day >= start, c.day <= end)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    # event sources ----------------------------------------------------------------------------
    def add_source(self, id: str, name: str, units: Iterable[str], kinds: Iterable[str]) -> str:
        """Register a source system; returns its token, shown once and stored only as a hash."""
        token = "chiso_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                insert(s.event_source).values(
                    id=id,
                    name=name,
                    token_hash=hash_token(token),
                    units=list(units),
                    kinds=list(kinds),
                    active=True,
                    created_at=now(),
                )
            )
        return token

    def authenticate(self, token: str) -> EventSourceRecord | None:
        with self.engine.connect() as conn:
            r = (
                conn.execute(
                    select(s.event_source).where(
                        s.event_source.c.token_hash == hash_token(token), s.event_source.c.active.is_(True)
                    )
                )
                .mappings()
                .first()
            )
        return _source(r) if r else None

    def active_source(self, id: str) -> EventSourceRecord | None:
        """A source by its id, as it stands now (None: unknown or revoked)."""
        with self.engine.connect() as conn:
            r = conn.execute(select(s.event_source).where(s.event_source.c.id == id,
                                                          s.event_source.c.active.is_(True))).mappings().first()
        return _source(r) if r else None

    def revoke_source(self, id: str) -> bool:
        with self.engine.begin() as conn:
            res = conn.execute(
                update(s.event_source).where(s.event_source.c.id == id).values(active=False, revoked_at=now())
            )
            return bool(res.rowcount)

    def sources(self) -> list[EventSourceRecord]:
        with self.engine.connect() as conn:
            return [_source(r) for r in conn.execute(select(s.event_source).order_by(s.event_source.c.id)).mappings()]

    # rejects ----------------------------------------------------------------------------------
    def rejects(
        self, *, kind: str | None = None, source: str | None = None, pending_only: bool = True, limit: int = 1000
    ) -> list[RejectRecord]:
        c = s.event_reject.c
        q = select(s.event_reject)
        if kind:
            q = q.where(c.kind == kind)
        if source:
            q = q.where(c.source == source)
        if pending_only:
            q = q.where(c.replayed_at.is_(None))
        with self.engine.connect() as conn:
            return [
                RejectRecord(
                    r["id"],
                    r["batch"],
                    r["kind"],
                    r["source"],
                    r["received_at"],
                    r["position"],
                    r["raw"],
                    r["reason"],
                    r["replayed_at"],
                )
                for r in conn.execute(q.order_by(c.id).limit(limit)).mappings()
            ]

    def mark_replayed(self, ids: Sequence[int], batch: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(s.event_reject)
                .where(s.event_reject.c.id.in_(list(ids)))
                .values(replayed_at=now(), replay_batch=batch)
            )


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)
