"""Users (argon2id password hashes), web sessions, and the state of each data-entry form."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from chiso.store import schema as s
from chiso.store.clock import now

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
MAX_FAILED = 5
LOCKOUT = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=8)
_DUMMY: dict[tuple[int, int, int], str] = {}  # per hasher's parameters: a hash no password matches


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    name: str
    role: str
    unit: str
    active: bool
    failed_logins: int
    locked_until: datetime | None


@dataclass(frozen=True)
class SessionRecord:
    user_id: int
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class FormState:
    dataset: str
    unit: str
    period: str
    state: str  # open | submitted | approved | returned
    comment: str | None
    updated_by: str
    updated_at: datetime | None
    version: int


def _user(r: Any) -> UserRecord:
    return UserRecord(
        r["id"], r["username"], r["name"], r["role"], r["unit"], r["active"], r["failed_logins"], r["locked_until"]
    )


def _audit(conn: Connection, actor: str, kind: str, description: str, **row: Any) -> None:
    """One change set holding one audit row: who, when, what, before and after."""
    t = now()
    cs = int(
        conn.execute(
            insert(s.change_set).values(actor=actor, at=t, kind=kind, description=description)
        ).inserted_primary_key[0]  # type: ignore[index]
    )
    conn.execute(insert(s.audit).values(change_set=cs, at=t, actor=actor, **row))


def _form(r: Any) -> FormState:
    return FormState(
        r["dataset"], r["unit"], r["period"], r["state"], r["comment"], r["updated_by"], r["updated_at"], r["version"]
    )


def _sid(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _password_ok(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    """A hash made with the current hasher's parameters, checked when a name has no account: the same work."""
    key = (_HASHER.time_cost, _HASHER.memory_cost, _HASHER.parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = _HASHER.hash(secrets.token_urlsafe(24))
    return _DUMMY[key]


class UserBook:
    def __init__(self, engine: Engine, write: Callable[[], AbstractContextManager[Connection]] | None = None) -> None:
        self.engine = engine
        # the connection a form's move is written on: the store's open batch(), if any, so that the form's
        # state and its values' status are one transaction; else a transaction of its own
        self._write = write or engine.begin
        # failed logins at names without an account (name → failures, locked until): locked like real ones
        self._unknown: dict[str, tuple[int, datetime | None]] = {}
        self._unknown_lock = threading.Lock()
        # [web] login_limits = "store": those failures are kept in the store (login_lockout), so every web node
        # over it locks an unknown name alike (set by the workspace from chiso.toml)
        self.shared_lockouts = False

    # login attempts shared by web nodes ----------------------------------------------------------
    def attempt_login(self, keys: dict[str, int], window: float, at: float) -> float:
        """Count one login attempt against each key (``key → limit`` over ``window`` seconds) unless one of them
        is spent: 0 when it was counted, else the seconds until the spent key frees. Older attempts are pruned
        on the way, so the table holds at most a window of them."""
        a = s.login_attempt.c
        since = at - window
        with self.engine.begin() as conn:
            conn.execute(delete(s.login_attempt).where(a.at <= since))
            wait = 0.0
            for key, limit in keys.items():
                times = [float(r[0]) for r in conn.execute(
                    select(a.at).where(a.key == key, a.at > since).order_by(a.at).limit(limit))]
                if len(times) >= limit:
                    wait = max(wait, times[0] + window - at, 0.001)
            if wait == 0:
                conn.execute(insert(s.login_attempt), [{"key": k, "at": at} for k in keys])
            return wait

    # users ------------------------------------------------------------------------------------
    def create(self, username: str, name: str, password: str, role: str, unit: str) -> UserRecord:
        with self.engine.begin() as conn:
            conn.execute(
                insert(s.app_user).values(
                    username=username,
                    name=name,
                    password_hash=_HASHER.hash(password),
                    role=role,
                    unit=unit,
                    active=True,
                    created_at=now(),
                    failed_logins=0,
                )
            )
        u = self.by_username(username)
        assert u is not None
        return u

    def by_username(self, username: str) -> UserRecord | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(s.app_user).where(s.app_user.c.username == username)).mappings().first()
        return _user(r) if r else None

    def by_id(self, uid: int) -> UserRecord | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(s.app_user).where(s.app_user.c.id == uid)).mappings().first()
        return _user(r) if r else None

    def all(self) -> list[UserRecord]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(s.app_user).order_by(s.app_user.c.username)).mappings()]

    def set_active(self, uid: int, active: bool) -> None:
        """Deactivating ends the user's sessions for good: reactivating does not bring them back."""
        with self.engine.begin() as conn:
            conn.execute(update(s.app_user).where(s.app_user.c.id == uid).values(active=active))
            if not active:
                conn.execute(delete(s.web_session).where(s.web_session.c.user_id == uid))

    def verify(self, username: str, password: str) -> tuple[UserRecord | None, str]:
        """(user, "ok") or (None, why): "unknown", "locked", "inactive" or "wrong". Failed attempts lock a
        name for a while, whether it has an account or not, so a password cannot be guessed at speed even from
        many addresses. Every answer costs one password check (against a dummy hash for an unknown name), so
        its time tells nothing either; callers answer every refusal alike (no hint which names exist)."""
        with self.engine.begin() as conn:
            r = conn.execute(select(s.app_user).where(s.app_user.c.username == username)).mappings().first()
            t = now()
            if r is not None:
                return self._verify_account(conn, r, password, t)
        # no such account (counted after this transaction: in the store, on a connection of its own)
        _password_ok(_dummy_hash(), password)
        return None, self._unknown_failed(username, t)

    def _verify_account(self, conn: Connection, r: Any, password: str, t: datetime) -> tuple[UserRecord | None, str]:
        """The answer of ``verify`` for an existing account, on ``verify``'s transaction."""
        right = _password_ok(r["password_hash"], password)
        if r["locked_until"] is not None and r["locked_until"] > t:
            return None, "locked"
        if not right:
            failed = r["failed_logins"] + 1
            lock = t + LOCKOUT if failed >= MAX_FAILED else None
            conn.execute(
                update(s.app_user)
                .where(s.app_user.c.id == r["id"])
                .values(failed_logins=0 if lock else failed, locked_until=lock)
            )
            return None, "locked" if lock else "wrong"
        if not r["active"]:
            return None, "inactive"
        if r["failed_logins"] or r["locked_until"]:
            conn.execute(
                update(s.app_user).where(s.app_user.c.id == r["id"]).values(failed_logins=0, locked_until=None)
            )
        return _user(r), "ok"

    def _unknown_failed(self, username: str, t: datetime) -> str:
        """Count a failed login at a name without an account, as ``verify`` does for an account."""
        if self.shared_lockouts:
            return self._unknown_failed_in_store(username, t)
        with self._unknown_lock:
            failed, until = self._unknown.pop(username, (0, None))
            if until is not None and until > t:
                self._unknown[username] = (failed, until)
                return "locked"
            failed += 1
            self._unknown[username] = (0, t + LOCKOUT) if failed >= MAX_FAILED else (failed, None)
            while len(self._unknown) > 100_000:  # bound the memory a spray of names can take
                del self._unknown[next(iter(self._unknown))]
            return "locked" if failed >= MAX_FAILED else "unknown"

    def _unknown_failed_in_store(self, username: str, t: datetime) -> str:
        """As ``_unknown_failed``, in the store (``login_lockout``), one row per name as tried (its first 100
        characters, the longest user name), never a user: every node counts the failures and sees the lock.
        Names neither locked nor failed at within ``LOCKOUT`` are forgotten on the way (the table stays bounded)."""
        c = s.login_lockout.c
        name = username[:100]
        with self.engine.begin() as conn:
            conn.execute(delete(s.login_lockout).where(
                c.updated_at < t - LOCKOUT, or_(c.locked_until.is_(None), c.locked_until <= t)))
        with self.engine.begin() as conn:
            query = select(c.failed, c.locked_until).where(c.name == name).with_for_update()
            row = conn.execute(query).first()
            if row is None:
                try:
                    with conn.begin_nested():  # another node may add the same name at the same moment
                        conn.execute(insert(s.login_lockout).values(name=name, failed=0, locked_until=None,
                                                                    updated_at=t))
                except IntegrityError:
                    pass
                row = conn.execute(query).first()
                assert row is not None
            failed, until = int(row[0]), row[1]
            if until is not None and until > t:
                return "locked"
            failed += 1
            locked = failed >= MAX_FAILED
            conn.execute(update(s.login_lockout).where(c.name == name).values(
                failed=0 if locked else failed, locked_until=t + LOCKOUT if locked else None, updated_at=t))
            return "locked" if locked else "unknown"

    def record(
        self,
        actor: str,
        entity: str,
        entity_id: str,
        action: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        unit: str | None = None,
    ) -> None:
        """Audit an administrative action (a user or an event source added, deactivated, revoked…)."""
        with self.engine.begin() as conn:
            _audit(
                conn,
                actor,
                "admin",
                f"{entity} {action}",
                entity=entity,
                entity_id=entity_id[:100],
                action=action[:20],
                unit=unit,
                before=before,
                after=after,
            )

    # sessions ---------------------------------------------------------------------------------
    def start_session(self, uid: int) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token). Only the token's hash is stored."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            conn.execute(
                insert(s.web_session).values(
                    id=_sid(token), user_id=uid, csrf=csrf, created_at=now(), expires_at=now() + SESSION_TTL
                )
            )
        return token, csrf

    def session(self, token: str) -> SessionRecord | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(s.web_session).where(s.web_session.c.id == _sid(token))).mappings().first()
        if r is None or r["expires_at"] <= now():
            return None
        return SessionRecord(r["user_id"], r["csrf"], r["expires_at"])

    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(s.web_session).where(s.web_session.c.id == _sid(token)))

    # forms --------------------------------------------------------------------------------------
    def form(self, dataset: str, unit: str, period: str) -> FormState:
        c = s.form_state.c
        with self.engine.connect() as conn:
            r = (
                conn.execute(select(s.form_state).where(c.dataset == dataset, c.unit == unit, c.period == period))
                .mappings()
                .first()
            )
        if r is None:
            return FormState(dataset, unit, period, "open", None, "", None, 0)
        return _form(r)

    def forms(self, *, state: str | None = None, units: list[str] | None = None) -> list[FormState]:
        c = s.form_state.c
        q = select(s.form_state)
        if state:
            q = q.where(c.state == state)
        if units is not None:
            q = q.where(c.unit.in_(units))
        with self.engine.connect() as conn:
            return [_form(r) for r in conn.execute(q.order_by(c.updated_at.desc())).mappings()]

    def form_now(self, dataset: str, unit: str, period: str, *, source: str) -> tuple[FormState, dict[str, int]]:
        """The form's state and its values' versions (by indicator) as they are now, on the write's connection
        (the open ``batch()``'s): the values' rows are locked until it ends (PostgreSQL; SQLite has one
        writer at a time), so a save and a move of one form never interleave."""
        c, v = s.form_state.c, s.data_value.c
        with self._write() as conn:
            rows = conn.execute(
                select(v.indicator, v.version)
                .where(v.unit == unit, v.period == period, v.source == source)
                .with_for_update()
            ).all()
            r = (
                conn.execute(select(s.form_state).where(c.dataset == dataset, c.unit == unit, c.period == period))
                .mappings()
                .first()
            )
        state = _form(r) if r is not None else FormState(dataset, unit, period, "open", None, "", None, 0)
        return state, {str(x.indicator): int(x.version) for x in rows}

    def set_form(
        self, f: FormState, state: str, actor: str, comment: str | None, *, detail: dict[str, Any] | None = None
    ) -> FormState:
        """Move a form to ``state``, audited (``detail``: more to record in the entry, e.g. an approval's
        submitter); refuses if someone else moved it since ``f`` was read.

        Inside the store's ``batch()`` the move is part of the batch's transaction."""
        from chiso.errors import ConflictError

        c = s.form_state.c
        t = now()
        with self._write() as conn:
            if f.version == 0:
                try:
                    conn.execute(
                        insert(s.form_state).values(
                            dataset=f.dataset,
                            unit=f.unit,
                            period=f.period,
                            state=state,
                            comment=comment,
                            updated_by=actor,
                            updated_at=t,
                            version=1,
                        )
                    )
                except Exception as exc:  # a concurrent first transition
                    raise ConflictError(f"form {f.dataset} {f.unit} {f.period} changed meanwhile") from exc
            else:
                res = conn.execute(
                    update(s.form_state)
                    .where(
                        c.dataset == f.dataset,
                        c.unit == f.unit,
                        c.period == f.period,
                        c.version == f.version,
                    )
                    .values(state=state, comment=comment, updated_by=actor, updated_at=t, version=f.version + 1)
                )
                if res.rowcount != 1:
                    raise ConflictError(f"form {f.dataset} {f.unit} {f.period} changed meanwhile")
            _audit(
                conn,
                actor,
                "workflow",
                f"{f.state} → {state}",
                entity="form",
                entity_id=f"{f.dataset}/{f.unit}/{f.period}",
                action=state,
                unit=f.unit,
                period=f.period,
                before={"state": f.state},
                after={"state": state, "comment": comment, **(detail or {})},
            )
        # built, not read back: inside a batch another connection would not see the move yet
        return FormState(f.dataset, f.unit, f.period, state, comment, actor, t, f.version + 1)
