"""Subscriptions and their deliveries in the operational store (issue 15 §3).

A delivery is one row per (subscription, item), unique: whichever process fans an item out first inserts it, the
others' inserts do nothing. A delivery is sent by the process that *claims* it: one conditional UPDATE (pending and
due, or sending with its lease run out) whose row count says who won, so two dispatchers never send the same row,
and a dispatcher that died while sending leaves a row another picks up after the lease. A dispatcher's place in the
warning log is a row of ``notify_cursor``, moved in the same transaction as the deliveries it fanned out.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from chiso.store import schema as s

CHANNELS = ("email", "webhook", "inapp")
REPORTS = ("monthly", "quarterly", "annual")
STATES = ("pending", "sending", "sent", "failed", "skipped", "held", "digested")
DIGESTS = ("hourly", "daily", "weekly")


def now() -> datetime:
    """UTC to the microsecond (the store's clock keeps seconds; a retry a fraction of a second on must be due then)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Subscription:
    id: int
    user_id: int
    unit: str
    below: bool
    indicator: str | None
    kind: str | None
    report: str | None
    channel: str
    target: str | None
    secret: str | None
    lang: str
    created_at: datetime
    when: str | None = None  # a report's: "approved", "day:N", "approved+day:N"; None: [notify] report_day
    digest: str | None = None  # warnings gathered "hourly", "daily" or "weekly"; None: each at once

    def public(self) -> dict[str, Any]:
        """What the API and the CLI show: never the secret."""
        return {"id": self.id, "unit": self.unit, "below": self.below, "indicator": self.indicator,
                "kind": self.kind, "report": self.report, "when": self.when, "digest": self.digest,
                "channel": self.channel,
                "target": self.target, "lang": self.lang, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription: Subscription
    item: str
    warning: int | None
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None
    file: ReportFile | None = None  # a report's PDF as sent


@dataclass(frozen=True)
class ReportFile:
    """A report's PDF as delivered: its name in ``reports/delivered`` (written once, never over), SHA-256, size."""

    name: str
    sha256: str
    size: int


def _sub(r: Any) -> Subscription:
    return Subscription(r["id"], r["user_id"], r["unit"], bool(r["below"]), r["indicator"], r["kind"], r["report"],
                        r["channel"], r["target"], r["secret"], r["lang"], r["created_at"], r["send_when"],
                        r["digest"])


class NotifyBook:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _insert_ignoring_duplicates(self, table: Any) -> Any:
        ins = pg_insert(table) if self.engine.dialect.name == "postgresql" else sqlite_insert(table)
        return ins.on_conflict_do_nothing()

    # subscriptions ------------------------------------------------------------------------------------------------
    def subscribe(self, user_id: int, *, unit: str, below: bool, indicator: str | None, kind: str | None,
                  report: str | None, channel: str, target: str | None, secret: str | None, lang: str,
                  when: str | None = None, digest: str | None = None) -> Subscription:
        with self.engine.begin() as conn:
            res = conn.execute(insert(s.subscription).values(
                user_id=user_id, unit=unit, below=below, indicator=indicator, kind=kind, report=report,
                send_when=when, digest=digest, channel=channel, target=target, secret=secret, lang=lang,
                created_at=now()))
            sid = int(res.inserted_primary_key[0])  # type: ignore[index]
            return _sub(conn.execute(select(s.subscription).where(s.subscription.c.id == sid)).mappings().one())

    def subscriptions(self, user_id: int | None = None, *, reports: bool | None = None) -> list[Subscription]:
        c = s.subscription.c
        q = select(s.subscription).order_by(c.id)
        if user_id is not None:
            q = q.where(c.user_id == user_id)
        if reports is not None:
            q = q.where(c.report.is_not(None) if reports else c.report.is_(None))
        with self.engine.connect() as conn:
            return [_sub(r) for r in conn.execute(q).mappings()]

    def count(self, user_id: int) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(s.subscription)
                                    .where(s.subscription.c.user_id == user_id)).scalar() or 0)

    def any(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(s.subscription.c.id).limit(1)).first() is not None

    def unsubscribe(self, sid: int, user_id: int | None) -> bool:
        """Remove a subscription (``user_id``: only if it is theirs); False when there is none such."""
        c = s.subscription.c
        q = delete(s.subscription).where(c.id == sid)
        if user_id is not None:
            q = q.where(c.user_id == user_id)
        with self.engine.begin() as conn:
            return bool(conn.execute(q).rowcount)

    # the cursor and the fan-out -----------------------------------------------------------------------------------
    def start_cursor(self, name: str, position: int) -> None:
        """Place a cursor where none is yet (the first subscription: from the log's end, not its whole history)."""
        with self.engine.begin() as conn:
            conn.execute(self._insert_ignoring_duplicates(s.notify_cursor).values(name=name, position=position))

    def cursor(self, name: str) -> int | None:
        with self.engine.connect() as conn:
            v = conn.execute(select(s.notify_cursor.c.position).where(s.notify_cursor.c.name == name)).scalar()
        return None if v is None else int(v)

    def report_items(self, subs: Iterable[int]) -> dict[int, dict[str, tuple[str, datetime]]]:
        """Per report subscription, its report deliveries made so far: item → (state, when sent or else made). What
        the scheduler needs to know whether a period's report, or a corrected edition, is queued or sent already."""
        ids = sorted(set(subs))
        out: dict[int, dict[str, tuple[str, datetime]]] = {i: {} for i in ids}
        if not ids:
            return out
        d = s.delivery.c
        with self.engine.connect() as conn:
            for r in conn.execute(select(d.subscription, d.item, d.state, d.created_at, d.sent_at).where(
                    d.subscription.in_(ids), d.item.like("report:%"))):
                out[int(r[0])][str(r[1])] = (str(r[2]), r[4] or r[3])
        return out

    def add(self, items: Iterable[tuple[int, str, int | None]]) -> int:
        """Deliveries to make, those already there left alone (another scheduler made them): how many were new."""
        with self.engine.begin() as conn:
            return self._add(conn, items)

    def _add(self, conn: Any, items: Iterable[tuple[int, str, int | None]], held: Collection[int] = ()) -> int:
        at = now()
        made = 0
        for sub, item, warning in items:
            res = conn.execute(self._insert_ignoring_duplicates(s.delivery).values(
                subscription=sub, item=item, warning=warning, state="held" if sub in held else "pending",
                attempts=0, next_attempt_at=at, created_at=at).returning(s.delivery.c.id))
            made += res.first() is not None  # a row back: inserted (rowcount is -1 under RETURNING on PostgreSQL)
        return made

    def enqueue(self, items: Iterable[tuple[int, str, int | None]], *, cursor: str, position: int,
                held: Collection[int] = ()) -> int:
        """Deliveries (subscription, item, warning) to make, and the cursor moved to ``position``, in one transaction;
        an item already there (another dispatcher fanned it out) is left as it is. Returns how many were new. The
        items of the ``held`` subscriptions (digests) are made ``held``: never sent alone, gathered by a digest."""
        cc = s.notify_cursor.c
        with self.engine.begin() as conn:
            made = self._add(conn, items, held)
            conn.execute(self._insert_ignoring_duplicates(s.notify_cursor).values(name=cursor, position=position))
            conn.execute(update(s.notify_cursor).where(cc.name == cursor, cc.position < position)
                         .values(position=position))  # never backwards (a slower dispatcher's older view)
        return made

    # digests ------------------------------------------------------------------------------------------------------
    def held_before(self, subs: Iterable[int], before: datetime) -> set[int]:
        """The subscriptions with a warning held for a digest, not gathered yet, made before ``before``."""
        ids = sorted(set(subs))
        if not ids:
            return set()
        d = s.delivery.c
        with self.engine.connect() as conn:
            return {int(r[0]) for r in conn.execute(select(d.subscription).distinct().where(
                d.subscription.in_(ids), d.state == "held", d.digest.is_(None), d.created_at < before))}

    def gather(self, sub: int, digest: int, before: datetime) -> list[tuple[int, int | None]]:
        """The held warnings of ``sub`` made before ``before`` become the digest delivery ``digest``'s, by one
        conditional UPDATE (a warning is one digest's, whichever runs first); returns (delivery, warning) of every
        row it gathered, on an earlier attempt too (a retry sends the same list)."""
        d = s.delivery.c
        with self.engine.begin() as conn:
            conn.execute(update(s.delivery).where(
                d.subscription == sub, d.state == "held", d.digest.is_(None), d.created_at < before).values(
                digest=digest))
            return [(int(r[0]), r[1]) for r in conn.execute(
                select(d.id, d.warning).where(d.digest == digest).order_by(d.id))]

    def digested(self, digest: int, state: str = "digested") -> None:
        """The warnings a digest gathered, marked as gone with it (``skipped``: none was in the user's scope)."""
        d = s.delivery.c
        with self.engine.begin() as conn:
            conn.execute(update(s.delivery).where(d.digest == digest).values(
                state=state, sent_at=now() if state == "digested" else None))

    def in_digest(self, digests: Iterable[int]) -> dict[int, list[int]]:
        """Per digest delivery, the warnings it carried (their ids), in order."""
        ids = sorted(set(digests))
        out: dict[int, list[int]] = {i: [] for i in ids}
        if not ids:
            return out
        d = s.delivery.c
        with self.engine.connect() as conn:
            for r in conn.execute(select(d.digest, d.warning).where(d.digest.in_(ids)).order_by(d.id)):
                if r[1] is not None:
                    out[int(r[0])].append(int(r[1]))
        return out

    # claiming and finishing ---------------------------------------------------------------------------------------
    def _claimable(self, at: datetime) -> Any:
        d = s.delivery.c
        return or_(and_(d.state == "pending", d.next_attempt_at <= at),
                   and_(d.state == "sending", d.claimed_until < at))

    def claim(self, lease: float, limit: int = 100) -> list[Delivery]:
        """Deliveries due now, each claimed by one conditional UPDATE: a row another process claimed in between is
        not returned. Each claim counts an attempt."""
        at = now()
        d = s.delivery.c
        with self.engine.connect() as conn:
            ids = [int(r[0]) for r in conn.execute(select(d.id).where(self._claimable(at)).order_by(d.id).limit(limit))]
        mine = []
        for did in ids:
            with self.engine.begin() as conn:
                won = conn.execute(update(s.delivery).where(d.id == did, self._claimable(at)).values(
                    state="sending", claimed_until=at + timedelta(seconds=lease), attempts=d.attempts + 1)).rowcount
            if won:
                mine.append(did)
        return self.deliveries(ids=mine)

    def finish(self, did: int, state: str, *, error: str | None = None, retry_at: datetime | None = None,
               file: ReportFile | None = None) -> None:
        """``sent`` (with the report's file it carried, if any), ``failed``, ``skipped``; or back to ``pending`` at
        ``retry_at``."""
        values: dict[str, Any] = {"state": state, "claimed_until": None, "last_error": error}
        if state == "sent":
            values["sent_at"] = now()
        if file is not None:
            values.update(file=file.name, file_sha256=file.sha256, file_size=file.size)
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        with self.engine.begin() as conn:
            conn.execute(update(s.delivery).where(s.delivery.c.id == did).values(**values))

    def next_due(self) -> datetime | None:
        d = s.delivery.c
        with self.engine.connect() as conn:
            v = conn.execute(select(func.min(d.next_attempt_at)).where(d.state == "pending")).scalar()
        return v

    # read and unread (in-app notifications) ---------------------------------------------------------------------
    def _notes_of(self, user_id: int) -> Any:
        """The ids of a user's in-app notifications: ``sent`` deliveries of their ``inapp`` subscriptions."""
        d, c = s.delivery.c, s.subscription.c
        return select(d.id).join(s.subscription, c.id == d.subscription).where(
            c.user_id == user_id, c.channel == "inapp", d.state == "sent")

    def unread(self, user_id: int) -> int:
        """How many of the user's in-app notifications are not read yet."""
        d = s.delivery.c
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(self._notes_of(user_id).where(
                d.read_at.is_(None)).subquery())).scalar() or 0)

    def mark_read(self, user_id: int, did: int | None = None) -> int | None:
        """Mark one in-app notification of the user's read (``did``), or all of them: how many were unread. None
        when ``did`` is not one of the user's notifications (anyone else's is the same as none). Marking a read
        one again keeps its first ``read_at``."""
        d = s.delivery.c
        mine = self._notes_of(user_id)
        if did is not None:
            mine = mine.where(d.id == did)
        with self.engine.begin() as conn:
            if did is not None and conn.execute(mine).first() is None:
                return None
            return int(conn.execute(update(s.delivery).where(d.id.in_(mine), d.read_at.is_(None))
                                    .values(read_at=now())).rowcount or 0)

    # the server's secrets -----------------------------------------------------------------------------------------
    def secret(self, name: str) -> str:
        """The server's secret ``name`` (64 hex characters), made by whichever process asks first: every process
        sharing the store signs and checks with the same one. Deleting its row rotates it (links signed before
        stop working)."""
        c = s.app_secret.c
        with self.engine.connect() as conn:  # read first: a link's check writes nothing
            value = conn.execute(select(c.value).where(c.name == name)).scalar()
        if value is not None:
            return str(value)
        with self.engine.begin() as conn:
            conn.execute(self._insert_ignoring_duplicates(s.app_secret).values(
                name=name, value=secrets.token_hex(32), created_at=now()))
            return str(conn.execute(select(c.value).where(c.name == name)).scalar_one())

    def deliveries(self, *, ids: list[int] | None = None, user_id: int | None = None, channel: str | None = None,
                   states: Iterable[str] | None = None, unread: bool = False, limit: int = 1000) -> list[Delivery]:
        """Deliveries, the newest first, with their subscriptions (``user_id``: that user's only)."""
        d, c = s.delivery.c, s.subscription.c
        q = select(s.delivery, *[col.label(f"s_{col.name}") for col in s.subscription.c]).join(
            s.subscription, c.id == d.subscription)
        if ids is not None:
            q = q.where(d.id.in_(ids))
        if user_id is not None:
            q = q.where(c.user_id == user_id)
        if channel is not None:
            q = q.where(c.channel == channel)
        if states is not None:
            q = q.where(d.state.in_(list(states)))
        if unread:
            q = q.where(d.read_at.is_(None))
        out = []
        with self.engine.connect() as conn:
            for r in conn.execute(q.order_by(d.id.desc()).limit(limit)).mappings():
                sub = _sub({k[2:]: v for k, v in r.items() if k.startswith("s_")})
                f = ReportFile(r["file"], r["file_sha256"], int(r["file_size"] or 0)) if r["file"] else None
                out.append(Delivery(int(r["id"]), sub, r["item"], r["warning"], r["state"], int(r["attempts"]),
                                    r["last_error"], r["created_at"], r["sent_at"], r["read_at"], f))
        return out
