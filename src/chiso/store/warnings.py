"""Early warnings in the operational store (issue 15 §2): kept by their key, moved through new → seen → resolved.

``sync`` records what a check found: a condition found again moves ``last_seen`` (one row per condition, never
another); one the check looked at and did not find is no longer ``active``, and resolved by ``system`` unless a
person resolved it already. A resolved warning whose condition comes back after it cleared is raised again
(``new``). Every move is a row of ``warning_log``, whose increasing id is the point ``raised_since`` lists from;
a person's move (seen, resolved) is audited like every other change, too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Connection

from chiso.catalogue.warnings import SYSTEM, Finding, WarningRecord
from chiso.store import schema as s
from chiso.store.clock import now

MAX_LIST = 10_000  # the most warnings one listing returns


def _record(r: Any) -> WarningRecord:
    return WarningRecord(r["id"], r["key"], r["kind"], r["unit"], r["subject"], r["period"], r["expected"], r["seen"],
                         r["since"], dict(r["detail"] or {}), r["state"], bool(r["active"]), r["first_seen"],
                         r["last_seen"], r["state_by"], r["state_at"])


class WarningBook:
    def __init__(self, engine: Engine, *, write: Callable[[], AbstractContextManager[Connection]],
                 audit: Callable[..., None]) -> None:
        self.engine = engine
        self._write = write
        self._audit = audit

    def _log(self, conn: Connection, warning: int, at: datetime, actor: str, action: str) -> None:
        conn.execute(insert(s.warning_log).values(warning=warning, at=at, actor=actor, action=action))

    def sync(self, findings: Iterable[Finding], checked: Collection[str]) -> dict[str, int]:
        """Record a check: ``findings`` hold; of the ``checked`` keys, those not found no longer do. Returns how
        many warnings were raised (new or again), updated, and cleared."""
        found = {f.key: f for f in findings}
        keys = sorted(set(checked) | set(found))
        counts = {"raised": 0, "updated": 0, "cleared": 0}
        if not keys:
            return counts
        at = now()
        c = s.warning.c
        with self._write() as conn:
            stored: dict[str, Any] = {}
            for i in range(0, len(keys), 500):
                for r in conn.execute(select(s.warning).where(c.key.in_(keys[i:i + 500]))).mappings():
                    stored[r["key"]] = r
            for key, f in found.items():
                values = {"expected": f.expected, "seen": f.seen, "detail": f.detail, "last_seen": at, "active": True}
                old = stored.get(key)
                if old is None:
                    wid = int(conn.execute(insert(s.warning).values(
                        key=key, kind=f.kind, unit=f.unit, subject=f.subject, period=f.period, since=f.since,
                        state="new", first_seen=at, **values)).inserted_primary_key[0])  # type: ignore[index]
                    self._log(conn, wid, at, SYSTEM, "raised")
                    counts["raised"] += 1
                elif old["state"] == "resolved" and not old["active"]:  # cleared, and back: raised again
                    conn.execute(update(s.warning).where(c.id == old["id"]).values(
                        since=f.since, state="new", state_by=None, state_at=None, **values))
                    self._log(conn, old["id"], at, SYSTEM, "reopened")
                    counts["raised"] += 1
                else:
                    conn.execute(update(s.warning).where(c.id == old["id"]).values(**values))
                    counts["updated"] += 1
            for key in checked:
                old = stored.get(key)
                if key in found or old is None or not old["active"]:
                    continue
                moved: dict[str, Any] = {"active": False}
                if old["state"] != "resolved":
                    moved |= {"state": "resolved", "state_by": SYSTEM, "state_at": at}
                conn.execute(update(s.warning).where(c.id == old["id"]).values(**moved))
                self._log(conn, old["id"], at, SYSTEM, "cleared")
                counts["cleared"] += 1
        return counts

    def set_state(self, wid: int, state: str, actor: str) -> WarningRecord | None:
        """A person marks a warning seen or resolved (audited); None when there is no such warning."""
        c = s.warning.c
        at = now()
        with self._write() as conn:
            old = conn.execute(select(s.warning).where(c.id == wid)).mappings().first()
            if old is None:
                return None
            if old["state"] != state:
                conn.execute(update(s.warning).where(c.id == wid).values(state=state, state_by=actor, state_at=at))
                self._log(conn, wid, at, actor, state)
                self._audit(conn, actor, "warning", f"warning {wid}: {old['state']} → {state}", entity="warning",
                            entity_id=str(wid), action=state, unit=old["unit"], period=old["period"],
                            indicator=old["subject"][:100], before={"state": old["state"]}, after={"state": state})
            r = conn.execute(select(s.warning).where(c.id == wid)).mappings().one()
        return _record(r)

    def get(self, wid: int) -> WarningRecord | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(s.warning).where(s.warning.c.id == wid)).mappings().first()
        return _record(r) if r else None

    def find(self, *, units: Collection[str] | None = None, kinds: Collection[str] | None = None,
             states: Collection[str] | None = None, limit: int = MAX_LIST) -> list[WarningRecord]:
        """Warnings, the newest moves first; ``units``: only these (a user's scope)."""
        c = s.warning.c
        q = select(s.warning)
        if kinds is not None:
            q = q.where(c.kind.in_(sorted(kinds)))
        if states is not None:
            q = q.where(c.state.in_(sorted(states)))
        rows: list[WarningRecord] = []
        with self.engine.connect() as conn:
            if units is not None and len(units) <= 2000:
                q = q.where(c.unit.in_(sorted(units)))
            for r in conn.execute(q.order_by(c.last_seen.desc(), c.id.desc())).mappings():
                if units is not None and r["unit"] not in units:
                    continue  # a scope too large for one IN list (a nation's communes): filtered here
                rows.append(_record(r))
                if len(rows) >= min(limit, MAX_LIST):
                    break
        return rows

    def raised_since(self, after: int, limit: int = 1000) -> list[tuple[int, WarningRecord]]:
        """(log id, warning) of every warning raised or raised again after the log's id ``after``, in order: a
        subscriber keeps the last id it delivered and asks from there."""
        lg, w = s.warning_log.c, s.warning.c
        q = (select(lg.id.label("log_id"), s.warning).join(s.warning, w.id == lg.warning)
             .where(lg.id > after, lg.action.in_(["raised", "reopened"])).order_by(lg.id).limit(limit))
        with self.engine.connect() as conn:
            return [(int(r["log_id"]), _record(r)) for r in conn.execute(q).mappings()]

    def last_log_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(s.warning_log.c.id))).scalar() or 0)

    def log(self, wid: int) -> list[tuple[datetime, str, str]]:
        """A warning's moves: (when, who, what), oldest first."""
        lg = s.warning_log.c
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(
                select(lg.at, lg.actor, lg.action).where(lg.warning == wid).order_by(lg.id))]

    # what the checks read --------------------------------------------------------------------------------------
    def source_hours(self, start: datetime) -> dict[str, dict[datetime, float]]:
        """Events received per event source and hour since ``start`` (from ``event_batch``: when batches arrived)."""
        b = s.event_batch.c
        out: dict[str, dict[datetime, float]] = {}
        q = select(b.source, b.received_at, b.events).where(b.received_at >= start, b.state == "applied")
        with self.engine.connect() as conn:
            for src, at, n in conn.execute(q):
                hour = at.replace(minute=0, second=0, microsecond=0)
                by = out.setdefault(src, {})
                by[hour] = by.get(hour, 0.0) + float(n)
        return out

    def unit_days(self, measure: str, start: datetime, end: datetime) -> dict[str, dict[datetime, float]]:
        """A measure's kept daily sums per unit from ``start`` to ``end`` (the event aggregates)."""
        e = s.event_agg.c
        out: dict[str, dict[datetime, float]] = {}
        q = select(e.unit, e.day, e.value).where(e.measure == measure, e.day >= start.date(), e.day <= end.date())
        with self.engine.connect() as conn:
            for unit, day, v in conn.execute(q):
                out.setdefault(unit, {})[datetime(day.year, day.month, day.day)] = float(v)
        return out

    def last_day(self, measure: str) -> datetime | None:
        e = s.event_agg.c
        with self.engine.connect() as conn:
            d = conn.execute(select(func.max(e.day)).where(e.measure == measure)).scalar()
        return None if d is None else datetime(d.year, d.month, d.day)
