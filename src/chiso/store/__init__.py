"""The operational store: values, targets, source documents and their audit trail.

One write path (``write_values``, ``write_targets``, ``write_sources``), each call one transaction and
one change set, every insert and update audited with before and after. SQLite by default, PostgreSQL
by URL; the schema is made by Alembic migrations.
"""

from __future__ import annotations

import getpass
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, and_, create_engine, delete, event, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from chiso.catalogue.models import SourceDocument, Target
from chiso.catalogue.periods import Period
from chiso.catalogue.records import Origin, StoredValue, ValueInput
from chiso.errors import ConflictError, WorkspaceError
from chiso.store import schema as s
from chiso.store.aggregates import EventBook
from chiso.store.clock import now
from chiso.store.users import UserBook

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
        self.users = UserBook(engine)

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
        ins = upd = same = 0
        with self._write() as conn:
            cs = self._change_set(conn, actor, kind, description)
            existing = self._existing(conn, inputs)
            at = now()
            for vi in inputs:
                p = Period.parse(vi.period)
                new = {f: getattr(vi, f) for f in _VALUE_FIELDS}
                old = existing.get(vi.key)
                if expected_versions is not None and vi.key in expected_versions:
                    have = old["version"] if old else 0
                    if have != expected_versions[vi.key]:
                        raise ConflictError(
                            f"{vi.indicator} {vi.unit} {vi.period} changed since it was read "
                            f"(version {expected_versions[vi.key]}, now {have})"
                        )
                if old is None:
                    row = {
                        "indicator": vi.indicator,
                        "unit": vi.unit,
                        "period": vi.period,
                        "period_start": p.start,
                        "period_end": p.end,
                        "origin": vi.origin.value,
                        "source": vi.source,
                        **new,
                        "status": status,
                        "version": 1,
                        "created_by": actor,
                        "created_at": at,
                        "updated_by": actor,
                        "updated_at": at,
                    }
                    vid = int(conn.execute(insert(s.data_value).values(**row)).inserted_primary_key[0])  # type: ignore[index]
                    self._audit(
                        conn, cs, actor, at, "data_value", str(vid), "insert", vi, None, new | {"status": status}
                    )
                    ins += 1
                elif any(old[f] != new[f] for f in _VALUE_FIELDS) or old["status"] != status:
                    before = {f: old[f] for f in _VALUE_FIELDS} | {"status": old["status"]}
                    conn.execute(
                        update(s.data_value)
                        .where(s.data_value.c.id == old["id"])
                        .values(**new, status=status, version=old["version"] + 1, updated_by=actor, updated_at=at)
                    )
                    self._audit(
                        conn,
                        cs,
                        actor,
                        at,
                        "data_value",
                        str(old["id"]),
                        "update",
                        vi,
                        before,
                        new | {"status": status},
                    )
                    upd += 1
                else:
                    same += 1
            if ins == upd == 0:
                return self._nothing_changed(conn, cs, same)
        return WriteSummary(cs, ins, upd, same)

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
        if not targets:
            return WriteSummary(None)
        ins = upd = same = 0
        fields = ("value", "source", "paragraph", "note")
        with self._write() as conn:
            cs = self._change_set(conn, actor, "targets", description)
            at = now()
            for tg in targets:
                old = (
                    conn.execute(
                        select(s.target).where(
                            s.target.c.indicator == tg.indicator,
                            s.target.c.unit == tg.unit,
                            s.target.c.period == tg.period,
                        )
                    )
                    .mappings()
                    .first()
                )
                new = {f: getattr(tg, f) for f in fields}
                if old is None:
                    tid = conn.execute(
                        insert(s.target).values(
                            indicator=tg.indicator,
                            unit=tg.unit,
                            period=tg.period,
                            **new,
                            updated_by=actor,
                            updated_at=at,
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]
                    self._audit(conn, cs, actor, at, "target", str(tid), "insert", tg, None, new)
                    ins += 1
                elif any(old[f] != new[f] for f in fields):
                    conn.execute(
                        update(s.target)
                        .where(s.target.c.id == old["id"])
                        .values(**new, updated_by=actor, updated_at=at)
                    )
                    self._audit(
                        conn, cs, actor, at, "target", str(old["id"]), "update", tg, {f: old[f] for f in fields}, new
                    )
                    upd += 1
                else:
                    same += 1
            if ins == upd == 0:
                return self._nothing_changed(conn, cs, same)
        return WriteSummary(cs, ins, upd, same)

    def write_sources(self, docs: Iterable[SourceDocument], *, actor: str) -> WriteSummary:
        ins = upd = same = 0
        with self._write() as conn:
            cs = self._change_set(conn, actor, "sources", "source documents")
            at = now()
            for d in docs:
                new = d.model_dump()
                old = conn.execute(select(s.source_document).where(s.source_document.c.id == d.id)).mappings().first()
                if old is None:
                    conn.execute(insert(s.source_document).values(**new))
                    self._audit(conn, cs, actor, at, "source_document", d.id, "insert", None, None, new)
                    ins += 1
                elif dict(old) != new:
                    conn.execute(update(s.source_document).where(s.source_document.c.id == d.id).values(**new))
                    self._audit(conn, cs, actor, at, "source_document", d.id, "update", None, dict(old), new)
                    upd += 1
                else:
                    same += 1
            if ins == upd == 0:
                return self._nothing_changed(conn, cs, same)
        return WriteSummary(cs, ins, upd, same)

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
        q = select(s.data_value)
        if indicator is not None:
            q = q.where(c.indicator == indicator)
        if units is not None:
            q = q.where(c.unit.in_(sorted(units)))
        if within is not None:
            q = q.where(and_(c.period_start >= within.start, c.period_end <= within.end))
        if period is not None:
            q = q.where(c.period == period)
        if origin is not None:
            q = q.where(c.origin == origin.value)
        if source is not None:
            q = q.where(c.source == source)
        if statuses is not None:
            q = q.where(c.status.in_(sorted(statuses)))
        q = q.order_by(c.indicator, c.unit, c.period_start, c.period_end, c.origin, c.source)
        with self.engine.connect() as conn:
            return [StoredValue.model_validate(dict(r)) for r in conn.execute(q).mappings()]

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
