"""The operational store: values, targets, source documents and their audit trail.

One write path (``write_values``, ``write_targets``, ``write_sources``, all through ``_upsert``), each call
one transaction (or a part of an open ``batch()``) and one change set, every insert and update audited
with before and after. SQLite by default, PostgreSQL by URL; the schema is made by Alembic migrations.
"""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, and_, create_engine, delete, event, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from chiso.catalogue.models import SourceDocument, Target
from chiso.catalogue.periods import Period
from chiso.catalogue.records import Origin, StoredValue, ValueInput
from chiso.errors import ConflictError, WorkspaceError
from chiso.store import schema as s
from chiso.store.aggregates import EventBook
from chiso.store.clock import now
from chiso.store.notify import NotifyBook
from chiso.store.users import UserBook, _audit
from chiso.store.warnings import WarningBook

_MIGRATIONS = Path(__file__).parent / "migrations"
_VALUE_FIELDS = ("value", "numerator", "denominator", "approximate", "qualifier", "paragraph", "comment")


def normalise_url(url: str) -> str:
    """Plain ``postgresql://`` means psycopg 3 here (the driver chiso installs)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"


@dataclass(frozen=True)
class WriteSummary:
    change_set: int | None
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class _Row:
    """One record for ``Store._upsert``: the audited columns, the stored row if any, and the other columns
    a new row (its key, bookkeeping) or a changed row (its version, who and when) gets."""

    new: dict[str, Any]
    old: Mapping[str, Any] | None
    insert: dict[str, Any]
    update: dict[str, Any]
    subject: ValueInput | Target | None  # the indicator, unit and period the audit row names
    entity_id: str | None = None  # the record's id when it is not the table's generated one


@dataclass(frozen=True)
class AuditEntry:
    id: int
    change_set: int
    at: datetime
    actor: str
    entity: str
    entity_id: str
    action: str
    indicator: str | None
    unit: str | None
    period: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()  # the open batch() of this thread, if any: the web shares a store
        self.events = EventBook(engine)
        self.users = UserBook(engine, write=self._write)  # a form's move joins an open batch()
        self.warnings = WarningBook(engine, write=self._write, audit=_audit)
        self.notify = NotifyBook(engine)  # subscriptions and deliveries (issue 15 §3)

    # lifecycle ------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        url = normalise_url(url)
        try:
            engine = create_engine(url, future=True)
        except Exception as exc:  # bad URL syntax, unknown dialect
            raise WorkspaceError(f"cannot open the store at {url!r}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except Exception as exc:
            if "OperationalError" in type(exc).__name__ or "connect" in str(exc).lower():
                raise WorkspaceError(f"cannot reach the store at {self.engine.url!r}: {exc}") from None
            raise

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # writes ---------------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Several writes (sources, values, targets) in one transaction: all of them, or none."""
        if getattr(self._local, "conn", None) is not None:
            yield  # already inside one
            return
        with self.engine.begin() as conn:
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """The connection a write runs on: the open batch's, or a transaction of its own."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
        else:
            with self.engine.begin() as own:
                yield own

    def _nothing_changed(self, conn: Connection, cs: int, same: int) -> WriteSummary:
        # drop the empty change set (not a rollback: the write may be one of a batch)
        conn.execute(delete(s.change_set).where(s.change_set.c.id == cs))
        return WriteSummary(None, 0, 0, same)

    def _change_set(self, conn: Connection, actor: str, kind: str, description: str | None) -> int:
        res = conn.execute(insert(s.change_set).values(actor=actor, at=now(), kind=kind, description=description))
        return int(res.inserted_primary_key[0])  # type: ignore[index]

    def _upsert(
        self,
        table: Table,
        entity: str,
        kind: str,
        description: str | None,
        actor: str,
        rows: Callable[[Connection, datetime], Iterable[_Row]],
    ) -> WriteSummary:
        """The one audited write: each row inserted, updated or left as it is, in one change set, every
        insert and update audited with before and after. ``rows`` builds the rows on the write's
        connection (it may read the stored ones, and refuse by raising: then nothing is written)."""
        ins = upd = same = 0
        with self._write() as conn:
            cs = self._change_set(conn, actor, kind, description)
            at = now()
            for r in rows(conn, at):
                if r.old is None:
                    res = conn.execute(insert(table).values(**r.insert, **r.new))
                    rid = r.entity_id or str(res.inserted_primary_key[0])  # type: ignore[index]
                    self._audit(conn, cs, actor, at, entity, rid, "insert", r.subject, None, r.new)
                    ins += 1
                elif any(r.old[k] != v for k, v in r.new.items()):
                    old_id = r.old["id"]
                    conn.execute(update(table).where(table.c.id == old_id).values(**r.update, **r.new))
                    before = {k: r.old[k] for k in r.new}
                    self._audit(
                        conn, cs, actor, at, entity, r.entity_id or str(old_id), "update", r.subject, before, r.new
                    )
                    upd += 1
                else:
                    same += 1
            if ins == upd == 0:
                return self._nothing_changed(conn, cs, same)
        return WriteSummary(cs, ins, upd, same)

    def write_values(
        self,
        inputs: Sequence[ValueInput],
        *,
        actor: str,
        kind: str = "import",
        description: str | None = None,
        status: str = "approved",
        expected_versions: Mapping[tuple[str, str, str, str, str], int] | None = None,
    ) -> WriteSummary:
        """Insert or update values by key (indicator, unit, period, origin, source), all or nothing."""
        if not inputs:
            return WriteSummary(None)

        def rows(conn: Connection, at: datetime) -> Iterator[_Row]:
            existing = self._existing(conn, inputs)
            for vi in inputs:
                old = existing.get(vi.key)
                if expected_versions is not None and vi.key in expected_versions:
                    have = old["version"] if old else 0
                    if have != expected_versions[vi.key]:
                        raise ConflictError(
                            f"{vi.indicator} {vi.unit} {vi.period} changed since it was read "
                            f"(version {expected_versions[vi.key]}, now {have})"
                        )
                p = Period.parse(vi.period)
                yield _Row(
                    new={f: getattr(vi, f) for f in _VALUE_FIELDS} | {"status": status},
                    old=old,
                    insert={
                        "indicator": vi.indicator,
                        "unit": vi.unit,
                        "period": vi.period,
                        "period_start": p.start,
                        "period_end": p.end,
                        "origin": vi.origin.value,
                        "source": vi.source,
                        "version": 1,
                        "created_by": actor,
                        "created_at": at,
                        "updated_by": actor,
                        "updated_at": at,
                    },
                    update={"version": old["version"] + 1 if old else 1, "updated_by": actor, "updated_at": at},
                    subject=vi,
                )

        return self._upsert(s.data_value, "data_value", kind, description, actor, rows)

    def _existing(self, conn: Connection, inputs: Sequence[ValueInput]) -> dict[tuple[str, ...], dict[str, Any]]:
        keys = {vi.key for vi in inputs}
        out: dict[tuple[str, ...], dict[str, Any]] = {}
        indicators = sorted({k[0] for k in keys})
        for i in range(0, len(indicators), 200):
            q = select(s.data_value).where(s.data_value.c.indicator.in_(indicators[i : i + 200]))
            units = sorted({k[1] for k in keys})
            if len(units) <= 500:
                q = q.where(s.data_value.c.unit.in_(units))
            for r in conn.execute(q).mappings():
                k = (r["indicator"], r["unit"], r["period"], r["origin"], r["source"])
                if k in keys:
                    out[k] = dict(r)
        return out

    def _audit(
        self,
        conn: Connection,
        cs: int,
        actor: str,
        at: datetime,
        entity: str,
        entity_id: str,
        action: str,
        vi: ValueInput | Target | None,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        conn.execute(
            insert(s.audit).values(
                change_set=cs,
                at=at,
                actor=actor,
                entity=entity,
                entity_id=entity_id,
                action=action,
                indicator=getattr(vi, "indicator", None),
                unit=getattr(vi, "unit", None),
                period=getattr(vi, "period", None),
                before=_jsonable(before) if before is not None else None,
                after=_jsonable(after) if after is not None else None,
            )
        )

    def write_targets(self, targets: Sequence[Target], *, actor: str, description: str | None = None) -> WriteSummary:
        """Insert or update targets by key (indicator, unit, period), all or nothing."""
        if not targets:
            return WriteSummary(None)
        c = s.target.c

        def rows(conn: Connection, at: datetime) -> Iterator[_Row]:
            for tg in targets:
                old = (
                    conn.execute(
                        select(s.target).where(c.indicator == tg.indicator, c.unit == tg.unit, c.period == tg.period)
                    )
                    .mappings()
                    .first()
                )
                yield _Row(
                    new={f: getattr(tg, f) for f in ("value", "source", "paragraph", "note")},
                    old=dict(old) if old is not None else None,
                    insert={
                        "indicator": tg.indicator,
                        "unit": tg.unit,
                        "period": tg.period,
                        "updated_by": actor,
                        "updated_at": at,
                    },
                    update={"updated_by": actor, "updated_at": at},
                    subject=tg,
                )

        return self._upsert(s.target, "target", "targets", description, actor, rows)

    def write_sources(self, docs: Iterable[SourceDocument], *, actor: str) -> WriteSummary:
        """Insert or update source documents by id, all or nothing."""
        docs = list(docs)
        if not docs:
            return WriteSummary(None)

        def rows(conn: Connection, _at: datetime) -> Iterator[_Row]:
            for d in docs:
                old = conn.execute(select(s.source_document).where(s.source_document.c.id == d.id)).mappings().first()
                yield _Row(
                    new=d.model_dump(),
                    old=dict(old) if old is not None else None,
                    insert={},
                    update={},
                    subject=None,
                    entity_id=d.id,
                )

        return self._upsert(s.source_document, "source_document", "sources", "source documents", actor, rows)

    # reads ----------------------------------------------------------------------------------
    def values(
        self,
        *,
        indicator: str | None = None,
        units: Collection[str] | None = None,
        within: Period | None = None,
        period: str | None = None,
        origin: Origin | None = None,
        source: str | None = None,
        statuses: Collection[str] | None = None,
    ) -> list[StoredValue]:
        """Values matching every filter given; ``within`` keeps periods contained in it."""
        c = s.data_value.c
        where = [
            test
            for test, given in (
                (c.indicator == indicator, indicator),
                (c.period == period, period),
                (c.origin == (origin.value if origin else None), origin),
                (c.source == source, source),
            )
            if given is not None
        ]
        return self._read_values(where, units=units, within=within, statuses=statuses)

    def values_of(
        self, indicators: Collection[str], *, within: Period | None = None, statuses: Collection[str] | None = None
    ) -> list[StoredValue]:
        """Several indicators' values in one query, in the order of ``values``."""
        return self._read_values([s.data_value.c.indicator.in_(sorted(indicators))], within=within, statuses=statuses)

    def _read_values(
        self,
        where: list[Any],
        *,
        units: Collection[str] | None = None,
        within: Period | None = None,
        statuses: Collection[str] | None = None,
    ) -> list[StoredValue]:
        c = s.data_value.c
        q = select(s.data_value).where(*where)
        if units is not None:
            q = q.where(c.unit.in_(sorted(units)))
        if within is not None:
            q = q.where(and_(c.period_start >= within.start, c.period_end <= within.end))
        if statuses is not None:
            q = q.where(c.status.in_(sorted(statuses)))
        q = q.order_by(c.indicator, c.unit, c.period_start, c.period_end, c.origin, c.source)
        with self.engine.connect() as conn:
            return [StoredValue.model_validate(dict(r)) for r in conn.execute(q).mappings()]

    def value_periods(
        self, indicators: Collection[str], statuses: Collection[str] | None = None
    ) -> dict[str, list[Period]]:
        """The distinct periods each indicator has values for: latest end first, the longest first among
        periods ending together (2024 before 2024Q4 and 2024-12)."""
        c = s.data_value.c
        q = select(c.indicator, c.period).where(c.indicator.in_(sorted(indicators))).distinct()
        if statuses is not None:
            q = q.where(c.status.in_(sorted(statuses)))
        found: dict[str, set[Period]] = {code: set() for code in indicators}
        with self.engine.connect() as conn:
            for code, period in conn.execute(q):
                found[code].add(Period.parse(period))
        return {
            code: sorted(ps, key=lambda p: (p.end, -(p.end - p.start).days), reverse=True)
            for code, ps in found.items()
        }

    def indicators_with_values(
        self, window: Period, *, units: Collection[str] | None = None, statuses: Collection[str] | None = None
    ) -> set[str]:
        """The indicators with a value inside ``window`` (for ``units``, when given)."""
        c = s.data_value.c
        q = select(c.indicator).distinct().where(c.period_start >= window.start, c.period_end <= window.end)
        if units is not None:
            q = q.where(c.unit.in_(sorted(units)))
        if statuses is not None:
            q = q.where(c.status.in_(sorted(statuses)))
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(q)}

    def event_years(self, measures: Collection[str]) -> set[int]:
        """The years of the kept event aggregates of ``measures``: from the first day's to the last day's (one
        index range; a year in between without events is taken to have them)."""
        e = s.event_agg.c
        q = select(func.min(e.day), func.max(e.day)).where(e.measure.in_(sorted(measures)))
        with self.engine.connect() as conn:
            first, last = conn.execute(q).one()
        return set() if first is None or last is None else set(range(first.year, last.year + 1))

    def data_version(self) -> tuple[int, int, int]:
        """(last change set, applied event batches, last applied batch): it changes whenever a figure can, so
        a cache of answers keyed on it is never stale."""
        b = s.event_batch.c
        with self.engine.connect() as conn:
            cs = conn.execute(select(func.max(s.change_set.c.id))).scalar()
            n, last = conn.execute(select(func.count(), func.max(b.id)).where(b.state == "applied")).one()
        return int(cs or 0), int(n or 0), int(last or 0)

    def count_values(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(s.data_value)).scalar_one())

    def targets(
        self,
        *,
        indicator: str | None = None,
        units: Collection[str] | None = None,
        periods: Collection[str] | None = None,
    ) -> list[Target]:
        c = s.target.c
        q = select(s.target)
        if indicator is not None:
            q = q.where(c.indicator == indicator)
        if units is not None:
            q = q.where(c.unit.in_(sorted(units)))
        if periods is not None:
            q = q.where(c.period.in_(sorted(periods)))
        q = q.order_by(c.indicator, c.unit, c.period)
        with self.engine.connect() as conn:
            return [
                Target(
                    indicator=r["indicator"],
                    unit=r["unit"],
                    period=r["period"],
                    value=r["value"],
                    source=r["source"],
                    paragraph=r["paragraph"],
                    note=r["note"],
                )
                for r in conn.execute(q).mappings()
            ]

    def sources(self) -> dict[str, SourceDocument]:
        with self.engine.connect() as conn:
            return {
                r["id"]: SourceDocument.model_validate(dict(r))
                for r in conn.execute(select(s.source_document)).mappings()
            }

    def history(
        self,
        *,
        indicator: str | None = None,
        unit: str | None = None,
        period: str | None = None,
        change_set: int | None = None,
    ) -> list[AuditEntry]:
        c = s.audit.c
        q = select(s.audit)
        if indicator is not None:
            q = q.where(c.indicator == indicator)
        if unit is not None:
            q = q.where(c.unit == unit)
        if period is not None:
            q = q.where(c.period == period)
        if change_set is not None:
            q = q.where(c.change_set == change_set)
        with self.engine.connect() as conn:
            return [AuditEntry(**dict(r)) for r in conn.execute(q.order_by(c.id)).mappings()]

    def table_counts(self) -> dict[str, int]:
        out = {}
        with self.engine.connect() as conn:
            for t in (s.data_value, s.target, s.source_document, s.audit, s.change_set):
                out[t.name] = int(conn.execute(select(func.count()).select_from(t)).scalar_one())
        return out


__all__ = ["AuditEntry", "Store", "WriteSummary", "normalise_url", "or_"]
