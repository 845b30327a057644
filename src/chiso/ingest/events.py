"""Operational events in: validate, store once, keep aggregates current. One writer per workspace.

A batch goes through four steps (docs/events.md):
1. validate every event; the bad ones go to the rejects store with their reason (the good ones go on);
2. record the batch (``event_batch``, state *received*) with its rejects;
3. append the good events to the event store, each event once by its unit and ``event_id`` — after this commit the
   batch is durable and is acknowledged;
4. add the batch's per-unit, per-day measure totals to the kept aggregates and mark it *applied*.
A crash between 3 and 4 is repaired by ``recover()`` at the next start, from the stored events.

Validation (issue 11): every field is bounded (``chiso.catalogue.events``; lines to ``MAX_LINE`` characters, JSON to
``MAX_DEPTH`` levels) and anything that goes wrong with one event is that event's reject, never the batch's failure.
An event later than now and a day, or dated before its unit began (unless one predecessor took that unit over
whole: then it is the predecessor's), is refused. An NDXP event is its consumer's; a source may name a provider
outside its scope only by an endpoint already known on that day, so it cannot raise another unit's connection
points or agencies. The same rules run on the file path in SQL.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError as PydanticError

from chiso.catalogue import Catalogue
from chiso.catalogue.events import (
    DERIVED_COLUMNS,
    EVENT_KINDS,
    LOCAL_COLUMN,
    DossierEvent,
    NdxpEvent,
)
from chiso.catalogue.measures import UNIT_COLUMN
from chiso.catalogue.models import UnitType
from chiso.engine.events import BatchPlan, daily_long, daily_plan, first_seen_plan, measures_of, run, split_local
from chiso.errors import ChisoError, ImportFileError
from chiso.ingest.portal import is_portal_record, portal_to_event
from chiso.store import Store
from chiso.store.aggregates import EventSourceRecord, SubunitReject
from chiso.store.clock import now
from chiso.store.events import EventStore, arrow_schema, columns, table_name

Reject = tuple[int | None, str, str]  # (position in the batch, raw text, reason)
Attributed = Counter[tuple[str, str]]  # (former unit, successor) -> events re-attributed
# What a batch is, for recording its rejects once: an idempotency key or a content hash, or how to compute it
# (only needed when the batch has rejects: a file is hashed only then).
Identity = str | Callable[[], str] | None
ALL = "*"
log = logging.getLogger(__name__)


@dataclass
class Receipt:
    kind: str
    batch: int | None = None
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejects: list[tuple[int | None, str]] = field(default_factory=list)  # (position, reason)
    attributed: Attributed = field(default_factory=Counter)  # events of a former unit given to its successor
    # accepted events whose subunit names no commune they can be attributed to: they count for their province, and
    # are listed among the rejects (kind dossier.subunit) with the reason; not counted in ``rejected``
    subunit_rejected: int = 0
    resumed_from: int = 0  # a file's rows (or lines) skipped: committed by an earlier ingest that did not finish

    def add(self, other: Receipt) -> None:
        self.received += other.received
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.rejects.extend(other.rejects)
        self.attributed.update(other.attributed)
        self.subunit_rejected += other.subunit_rejected
        self.batch = other.batch

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "batch": self.batch,
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects": [{"position": p, "reason": r} for p, r in self.rejects[:100]],
        } | (
            {
                "attributed": [
                    {"attributed_from": a, "to": b, "events": n} for (a, b), n in sorted(self.attributed.items())
                ]
            }
            if self.attributed
            else {}
        ) | ({"subunit_rejected": self.subunit_rejected} if self.subunit_rejected else {})


def _reason(exc: PydanticError) -> str:
    parts = []
    for e in exc.errors()[:3]:
        loc = ".".join(str(x) for x in e["loc"])
        parts.append(f"{loc}: {e['msg']}" if loc else str(e["msg"]))
    return "; ".join(parts)


_COMMUNE_CODE = re.compile(r"X(\d{5})(?:-2025)?")
MEMO_LIMIT = 200_000  # resolved (province, subunit, day) kept at most
_OFFICIAL = re.compile(r"\d{5}")


class Communes:
    """Where in its province a dossier was handled: its ``subunit`` resolved to a commune (docs/events.md).

    Accepted: a commune's chiso code (``X00097``, ``X00097-2025``) or the official 5-digit ward code (``00097``),
    taken as the commune of that code valid on the event's day. A commune that ended before the event's day gives
    its events to the one commune that took it over whole (followed through later changes), else to none. The
    commune must lie in the province the event is attributed to (after a former province's events went to its
    successor). ``resolve`` gives (the commune, None), or (None, the reason it names none), or (None, None)
    without a subunit. Pure over the catalogue; remembered per (province, subunit, day)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._memo: dict[tuple[str, str, date], tuple[str | None, str | None]] = {}

    def resolve(self, unit: str, subunit: str | None, day: date) -> tuple[str | None, str | None]:
        if subunit is None or not subunit.strip():
            return None, None
        key = (unit, subunit, day)
        got = self._memo.get(key)
        if got is None:
            if len(self._memo) >= MEMO_LIMIT:  # a server runs for years: (commune, day) pairs must not pile up
                self._memo.clear()
            got = self._memo[key] = self._resolve(unit, subunit.strip(), day)
        return got

    def _resolve(self, unit: str, sub: str, day: date) -> tuple[str | None, str | None]:
        on = day.isoformat()
        if _OFFICIAL.fullmatch(sub):
            found = [u for u in self.catalogue.bearing_official(sub) if u.type is UnitType.COMMUNE]
            if not found:
                return None, f"subunit: no commune has the official code {sub!r}"
            valid = [u for u in found if u.valid_on(day)]
            ended = [u for u in found if u.valid_to is not None and u.valid_to < day]
            if valid:
                c = valid[0]
            elif ended:
                c = max(ended, key=lambda u: (u.valid_to or date.min, u.code))
            else:
                return None, f"subunit: no commune with the official code {sub!r} existed on {on}"
        elif _COMMUNE_CODE.fullmatch(sub):
            got = self.catalogue.units.get(sub)
            if got is None or got.type is not UnitType.COMMUNE:
                return None, f"subunit: {sub!r} is not a commune of the catalogue"
            c = got
        else:
            return None, (f"subunit: {sub!r} is not a commune code (expected X#####, X#####-2025 or the official "
                          "5-digit ward code)")
        if c.valid_from is not None and day < c.valid_from:
            return None, f"subunit: the commune {c.code!r} began on {c.valid_from.isoformat()}, after {on}"
        if not c.valid_on(day):  # ended: its one whole successor on that day, else none
            whole = [u for u, link in self.catalogue.successor_on(c, day) if link.kind == "whole"]
            if len(whole) != 1:
                names = ", ".join(s.unit for s in c.successors) or "none"
                return None, (f"subunit: the commune {c.code!r} ended on {c.valid_to} and no single commune took it "
                              f"over whole (successors: {names})")
            c = whole[0]
        if c.province != unit:
            return None, f"subunit: the commune {c.code!r} lies in {c.province or 'no province'}, not in {unit!r}"
        return c.code, None


@dataclass(frozen=True)
class _Check:
    """A chunk's validating query over ``raw_in`` (see ``EventIngestor._checking``)."""

    sql: str
    moved: bool  # a unit's lifetime renames some rows: ``__given`` holds the unit as given
    given: list[str]  # the event fields the chunk has, for a reject's raw text
    days: tuple[date | None, date | None]  # the chunk's first and last day, rejected rows included


class EventIngestor:
    def __init__(self, catalogue: Catalogue, store: Store, events: EventStore) -> None:
        self.catalogue = catalogue
        self.communes = Communes(catalogue)
        self.store = store
        self.events = events
        self.book = store.events
        # what a dossier's ``unit`` may name: a ministry, a province (never a district or commune: that is ``subunit``)
        self._leaf_units = {c for c, u in catalogue.units.items() if not u.is_group and not u.is_local}
        self._after_end = _after_end(catalogue)
        self._before_start = _before_start(catalogue)
        # the same edges as (unit, "<" or ">", day, successor, problem), for the SQL path's rules
        self._lifetime_edges = [(code, "<", began, to, problem) for code, (began, to, problem) in
                                sorted(self._before_start.items())]
        self._lifetime_edges += [(code, ">", ended, to, problem) for code, steps in sorted(self._after_end.items())
                                 for ended, to, problem in steps]
        self._batch_plans: dict[tuple[str, str], BatchPlan] = {}  # (kind, plan) → compiled once: see _plan
        # called after each batch is applied with (kind, batch, the units it counted for): what runs the early
        # warnings (chiso.watch, hooked by the app layer); a listener's error is its own, never the batch's
        self.after_apply: list[Callable[[str, int, frozenset[str]], None]] = []
        self._behind: _Behind | None = None  # within ``overlapped``: the store's writes of the batch before
        self._upcoming: tuple[str, str, int] | None = None  # within ``overlapped``: the next chunk (kind, source, rows)
        self._ahead: tuple[tuple[str, str, int], int] | None = None  # its batch record, made before it is needed
        # the first_seen measures that credit a provider's endpoint (unit, system): what a provider claim would raise
        self._endpoint_measures = sorted(
            m.id for m in catalogue.measures.values()
            if m.events == "ndxp" and m.agg == "first_seen" and ("provider_unit", "provider_system") in m.keys
        )

    # former units -------------------------------------------------------------------------------
    def _attribute(self, unit: str, day: date) -> tuple[str, str | None]:
        """(the unit an event of ``unit`` on ``day`` belongs to, or a reason to reject it).

        Before the unit began: its one whole predecessor's, else refused. After it ended: its whole successor's,
        else refused (``_after_end``)."""
        began = self._before_start.get(unit)
        if began is not None and day < began[0]:
            return (unit, began[2]) if began[1] is None else (began[1], None)
        for ended, to, problem in self._after_end.get(unit, ()):
            if day > ended:
                return (unit, problem) if to is None else (to, None)
        return unit, None

    def future_limit(self) -> datetime:
        """The latest ``at`` accepted: now (local time, UTC+7) and a day's tolerance for clocks set wrong."""
        return now() + timedelta(hours=7) + FUTURE_TOLERANCE

    def _check_time(self, at: datetime) -> str | None:
        limit = self.future_limit()
        if at > limit:
            return f"at: {at.isoformat()} is in the future (later than {limit.isoformat(timespec='seconds')})"
        return None

    # the other party ----------------------------------------------------------------------------
    def _check_provider(
        self, ev: NdxpEvent, allowed: set[str] | None, known: dict[tuple[str, str], date | None]
    ) -> str | None:
        """A source reports its own units' transactions (the consumer). It may name any provider, but a provider
        outside its scope is only *referred to*: its endpoint must already be known on the event's day (first seen
        from a source that speaks for it), so no source can create or backdate another unit's connection points
        or agencies."""
        if allowed is None or ev.provider_unit in allowed or not self._endpoint_measures:
            return None
        ep = (ev.provider_unit, ev.provider_system)
        if ep not in known:
            known[ep] = self.book.first_seen_day(self._endpoint_measures, *ep)
        first = known[ep]
        if first is None or first > ev.at.date():
            return (
                f"provider_unit: this source may not report for {ev.provider_unit!r}, and its endpoint "
                f"{ev.provider_system!r} is not known on {ev.at.date().isoformat()}; the provider's own source "
                "establishes its endpoints"
            )
        return None

    # scope --------------------------------------------------------------------------------------
    def allowed_units(self, source: EventSourceRecord | None) -> set[str] | None:
        """The leaf units a source may report for (None: any): its units, and the former units each of them took
        over whole (its lineage), so a source of a merged unit may still send its predecessors' late events.

        Such an event is the predecessor's while the predecessor existed and its successor's after (``_attribute``).
        A unit that took over only part of a former unit does not speak for all of the former unit's events."""
        if source is None or ALL in source.units:
            return None
        out: set[str] = set()
        for code in source.units:
            u = self.catalogue.units.get(code)
            if u is None:
                continue
            todo = [u]
            while todo:
                x = todo.pop()
                comps = self.catalogue.components(x)
                if comps:
                    todo.extend(comps)
                else:
                    out.add(x.code)
                    out.update(a.unit.code for a in self.catalogue.lineage(x) if a.kind == "whole")
        return out

    def _check_units(self, kind: str, unit: str, allowed: set[str] | None) -> str | None:
        if kind == "dossier" and unit not in self._leaf_units:
            return f"unit: {unit!r} is not a ministry or province of the catalogue"
        if allowed is not None and unit not in allowed:
            return f"unit: this source may not report for {unit!r}"
        return None

    # row path -----------------------------------------------------------------------------------
    def validate_records(
        self, kind: str, records: Iterable[tuple[int | None, str | Mapping[str, Any]]], allowed: set[str] | None
    ) -> tuple[list[dict[str, Any]], list[Reject]]:
        good, bad, _ = self._validate_records(kind, records, allowed)
        return good, bad

    def _validate_records(
        self,
        kind: str,
        records: Iterable[tuple[int | None, str | Mapping[str, Any]]],
        allowed: set[str] | None,
        seen: Callable[[bytes], None] | None = None,
    ) -> tuple[list[dict[str, Any]], list[Reject], Attributed]:
        """``seen`` is given every record's position and text (the batch's content, for its hash)."""
        model = EVENT_KINDS[kind]
        good: list[dict[str, Any]] = []
        bad: list[Reject] = []
        moved: Attributed = Counter()
        known: dict[tuple[str, str], date | None] = {}  # provider endpoints looked up in this batch
        for pos, rec in records:
            raw = rec if isinstance(rec, str) else _dumps(rec)
            if seen is not None:
                seen(f"{pos}\x1e{raw}\x1d".encode("utf-8", "surrogatepass"))
            try:
                row, problem, frm = self._one(kind, model, rec, raw, allowed, known)
            except _DATA_ERRORS as exc:  # whatever the event holds, it is one reject, never a failed batch
                row, problem, frm = None, f"unreadable event ({type(exc).__name__}: {str(exc)[:200]})", None
            if problem is not None or row is None:
                bad.append((pos, _bounded(raw), problem or "unreadable event"))
                continue
            if frm is not None:  # a former unit's event after its end: its successor's, and counted as such
                moved[(frm, row[UNIT_COLUMN[kind]])] += 1
            good.append(row)
        return good, bad, moved

    def _one(
        self,
        kind: str,
        model: type[DossierEvent] | type[NdxpEvent],
        rec: str | Mapping[str, Any],
        raw: str,
        allowed: set[str] | None,
        known: dict[tuple[str, str], date | None],
    ) -> tuple[dict[str, Any] | None, str | None, str | None]:
        """One record: (its stored row, None, the former unit it was moved from) or (None, the reason, None)."""
        if len(raw) > MAX_LINE:
            return None, f"the event is longer than {MAX_LINE:,} characters", None
        if isinstance(rec, str):
            try:
                data = json.loads(rec)
            except json.JSONDecodeError as exc:
                return None, f"not valid JSON: {exc.msg} at column {exc.colno}", None
            except RecursionError:
                return None, f"JSON nested more than {MAX_DEPTH} deep", None
        else:
            data = rec
        if not isinstance(data, Mapping):
            return None, "expected a JSON object", None
        if _too_deep(data, MAX_DEPTH):
            return None, f"JSON nested more than {MAX_DEPTH} deep", None
        data = dict(data)
        if kind == "dossier" and is_portal_record(data):
            try:
                data = portal_to_event(data)
            except (ValueError, TypeError, AttributeError, OverflowError) as exc:
                return None, f"portal record: {exc}", None
        data.setdefault("kind", kind)
        try:
            ev = model.model_validate(data)
        except PydanticError as exc:
            return None, _reason(exc), None
        unit = ev.unit if isinstance(ev, DossierEvent) else ev.consumer_unit
        problem = self._check_units(kind, unit, allowed)
        if problem is None and isinstance(ev, NdxpEvent):
            problem = self._check_provider(ev, allowed, known)
        problem = problem or self._check_time(ev.at)
        if problem:
            return None, problem, None
        to, problem = self._attribute(unit, ev.at.date())
        if problem:
            return None, problem, None
        row = ev.model_dump()
        row["day"] = ev.at.date()
        if to != unit:
            row[UNIT_COLUMN[kind]] = to
        if isinstance(ev, DossierEvent):
            row["on_time"] = ev.on_time
            row["commune"] = self.communes.resolve(to, ev.subunit, row["day"])[0]
        return row, None, (unit if to != unit else None)

    def submit_records(
        self,
        kind: str,
        records: Iterable[tuple[int | None, str | Mapping[str, Any]]],
        source: EventSourceRecord | str,
        *,
        batch_key: Identity = None,
    ) -> Receipt:
        """One batch. Its rejects are recorded once per (source, batch, position): ``batch_key`` names the batch
        (an idempotency key), else the hash of its records does, so the same batch resent adds no rejects."""
        if kind not in EVENT_KINDS:
            raise ChisoError(f"unknown event kind {kind!r}; expected one of: {', '.join(EVENT_KINDS)}")
        src = source if isinstance(source, EventSourceRecord) else None
        if src is not None and kind not in src.kinds and ALL not in src.kinds:
            raise ChisoError(f"source {src.id!r} may not send {kind} events")
        content = hashlib.sha256() if batch_key is None else None
        good, bad, moved = self._validate_records(
            kind, records, self.allowed_units(src), content.update if content is not None else None
        )
        if content is not None:
            batch_key = f"sha256:{content.hexdigest()}"
        table = pa.Table.from_pylist(good, schema=arrow_schema(kind, with_batch=False))
        return self._commit(kind, table, bad, src.id if src else str(source), moved, batch_key)

    def submit_ndjson(
        self, kind: str, body: bytes | str, source: EventSourceRecord | str, *, batch_key: Identity = None
    ) -> Receipt:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
        return self.submit_records(kind, lines, source, batch_key=batch_key)

    # vectorised path (files) ----------------------------------------------------------------------
    def validate_arrow(self, kind: str, table: pa.Table, allowed: set[str] | None) -> tuple[pa.Table, list[Reject]]:
        """The same rules as the models, in SQL over a whole file chunk at once."""
        good, bad, _ = self._validate_arrow(kind, table, allowed)
        return good, bad

    def _validate_arrow(
        self, kind: str, table: pa.Table, allowed: set[str] | None
    ) -> tuple[pa.Table, list[Reject], Attributed]:
        con = self.events.con
        if "__pos" in table.column_names:  # not an event field: ignored like any unknown column
            table = table.drop_columns(["__pos"])
        # each row's place in the chunk, for its reject's position
        con.register("raw_in", table.append_column("__pos", pa.array(np.arange(table.num_rows, dtype=np.int64))))
        try:
            return self._validate_raw(kind, set(table.column_names), allowed)
        finally:
            con.unregister("raw_in")

    @contextlib.contextmanager
    def _parquet_rows(self, path: Path, names: Sequence[str], start: int, stop: int) -> Iterator[None]:
        """Rows ``start``..``stop`` of a Parquet file as the view ``raw_in``, read by DuckDB itself: its reader
        decodes straight into the validating query (the row range skips the other row groups), where decoding to
        Arrow first cost as much again as validating. ``__pos`` is the file's row number. A damaged file found
        while reading it is an ``ImportFileError``: what was committed before stays."""
        con = self.events.con
        cols = ", ".join(_quoted(n) for n in names if n != "__pos")
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW raw_in AS SELECT {cols}, file_row_number AS __pos FROM "
            f"read_parquet({_sql_list([str(path)])}, file_row_number = true) "
            f"WHERE file_row_number >= {int(start)} AND file_row_number < {int(stop)}"
        )
        try:
            yield
        except duckdb.Error as exc:
            raise ImportFileError(str(path), f"rows {start + 1}–{stop}: not readable as Parquet ({exc})") from None
        finally:
            con.execute("DROP VIEW IF EXISTS raw_in")

    @contextlib.contextmanager
    def _checking(self, kind: str, present: set[str], allowed: set[str] | None) -> Iterator[_Check]:
        """The rules over ``raw_in`` (the chunk's columns as given, and each row's ``__pos``), as one query: the typed
        columns, the derived ones, the commune, the first broken rule (``__reason``, null for an event) and ``__pos``;
        ``__given`` too when a unit's lifetime renames some rows. The small tables it joins live as long as it."""
        con = self.events.con
        try:
            derived = {n for n, _ in DERIVED_COLUMNS[kind]}
            wanted = [c for c in columns(kind) if c[0] not in derived and c[0] != "batch"]
            missing = [n for n, _, _, nl in wanted if n not in present and not nl and n not in _DEFAULTS[kind]]
            if missing:
                raise ImportFileError("events", f"missing required columns: {', '.join(missing)}")
            casts = []
            for n, _, duck, _nl in wanted:
                if n in present:
                    casts.append(f'TRY_CAST("{n}" AS {duck}) AS "{n}", "{n}" AS "__raw_{n}"')
                else:
                    casts.append(f'CAST({_DEFAULTS[kind].get(n, "NULL")} AS {duck}) AS "{n}", NULL AS "__raw_{n}"')
            rules = _sql_rules(kind, [n for n, *_ in wanted], {n: nl for n, _, _, nl in wanted})
            unit_col = "unit" if kind == "dossier" else "consumer_unit"
            at_type = next(duck for n, _, duck, _nl in wanted if n == "at")
            # the chunk's days and the units it names, in one cheap pass: a rule no row can break is left out (the
            # catalogue's hundred codes tested on every row cost more than all the bounds together)
            first, last, named = con.execute(
                f'SELECT min(d), max(d), list(DISTINCT u) FROM (SELECT CAST(TRY_CAST("at" AS {at_type}) AS DATE) AS d, '
                f"TRY_CAST({unit_col} AS VARCHAR) AS u FROM raw_in)"
            ).fetchall()[0]
            named = {u for u in named or () if u is not None}
            known = sorted(self._leaf_units) if kind == "dossier" and not named <= self._leaf_units else None
            # the unit quoted as the record path's reasons quote it ({unit!r}), so both paths say the same
            if known is not None:
                rules.append(
                    (
                        f"{unit_col} NOT IN ({_sql_list(known)})",
                        f"'unit: ''' || {unit_col} || ''' is not a ministry or province of the catalogue'",
                    )
                )
            if allowed is not None and not named <= allowed:
                rules.append(
                    (
                        f"{unit_col} NOT IN ({_sql_list(sorted(allowed))})",
                        f"'unit: this source may not report for ''' || {unit_col} || ''''",
                    )
                )
            if (allowed is not None and kind == "ndxp" and self._endpoint_measures
                    and {"provider_unit", "provider_system"} <= present):
                rules.append(self._provider_rule(con, allowed))
            owner = unit_col  # whose the event is: the reported unit, or a former unit's successor
            limit = self.future_limit().isoformat(sep=" ", timespec="seconds")
            rules.append(
                (
                    f"\"at\" > TIMESTAMP '{limit}'",
                    f"'at: ' || strftime(\"at\", '%Y-%m-%dT%H:%M:%S') || ' is in the future (later than "
                    f"{limit.replace(' ', 'T')})'",
                )
            )
            whens, refusals = [], []
            # before a unit began, then after it ended: an event goes to the unit named, or is refused
            # only the edges the chunk's days cross, of the units it names: a year inside every unit's lifetime needs
            # none of them
            lifetime = [r for r in self._lifetime_edges if first is not None and last is not None
                        and r[0] in named and (first < r[2] if r[1] == "<" else last > r[2])]
            for code, cmp, edge, to, problem in lifetime:
                cond = f"{unit_col} = {_sql_list([code])} AND CAST(\"at\" AS DATE) {cmp} DATE '{edge.isoformat()}'"
                if to is None:
                    assert problem is not None
                    refusals.append((cond, _sql_list([problem])))
                else:
                    whens.append(f"WHEN {cond} THEN {_sql_list([to])}")
            rules.extend(refusals)
            if whens:
                owner = f"CASE {' '.join(whens)} ELSE {unit_col} END"
            # the first broken rule, but only for the rows that break one: the common row is tested once, by one
            # OR of the conditions, rather than stepped through every WHEN (half the validation's time)
            reason = ("CASE WHEN " + " OR ".join(f"({cond})" for cond, _ in rules) + " THEN CASE "
                      + " ".join(f"WHEN {cond} THEN {msg}" for cond, msg in rules) + " END END")
            day = 'CAST("at" AS DATE) AS "day"'
            on_time = (
                ", CASE WHEN status = 'result_issued' AND due_at IS NOT NULL THEN "
                '"at" <= due_at + to_microseconds(CAST(paused_days * 86400000000 AS BIGINT)) END AS on_time'
                if kind == "dossier"
                else ""
            )
            names = ", ".join(f'{owner} AS "{n}"' if n == unit_col else f'"{n}"' for n, *_ in wanted)
            moved_col = f', {unit_col} AS "__given"' if owner != unit_col else ""
            typed = f"SELECT {', '.join(casts)}, __pos FROM raw_in"
            local, commune = "", ""
            if kind in LOCAL_COLUMN:  # the commune each (province, subunit, day) resolves to, in the same pass
                triples = con.execute(
                    f'SELECT DISTINCT {owner}, subunit, CAST("at" AS DATE) FROM ({typed}) '
                    'WHERE subunit IS NOT NULL AND "at" IS NOT NULL'
                ).fetchall()
                found = [(u, sub, d, self.communes.resolve(u, sub, d)[0]) for u, sub, d in triples if u is not None]
                found = [x for x in found if x[3] is not None]
                con.register("sub_map", pa.table({
                    "u": pa.array([x[0] for x in found], pa.string()),
                    "s": pa.array([x[1] for x in found], pa.string()),
                    "d": pa.array([x[2] for x in found], pa.date32()),
                    "c": pa.array([x[3] for x in found], pa.string()),
                }))
                local = (f" LEFT JOIN sub_map ON sub_map.u = v.{unit_col} AND sub_map.s = v.subunit "
                         "AND sub_map.d = v.day")
                commune = f', sub_map.c AS "{LOCAL_COLUMN[kind]}"'
            # One pass: the typed columns, the derived ones, the commune and the first broken rule. The raw copies are
            # only referenced by the rules, never materialised; rejected rows' raw values are read again, by position
            # (carried in __pos: the join does not keep the rows' order), for those rows only.
            yield _Check(
                f"SELECT v.* EXCLUDE (__pos){commune}, v.__pos FROM (SELECT {names}, {day}{on_time}, "
                f"{reason} AS __reason{moved_col}, __pos FROM ({typed})) v{local}",
                bool(moved_col), [n for n, *_ in wanted if n in present], (first, last),
            )
        finally:
            for name in ("known_ep", "sub_map"):
                with contextlib.suppress(Exception):
                    con.unregister(name)

    def _reject_rows(self, check: _Check, bad: pa.Table) -> list[Reject]:
        """(position, raw, reason) of the rows ``bad`` holds (``__pos``, ``__reason``), their raw values read again
        from ``raw_in`` by position; positions 1-based."""
        bad = bad.sort_by("__pos")
        positions = bad.column("__pos")
        con = self.events.con
        con.register("bad_pos", pa.table({"p": positions}))
        try:
            raws = con.execute(
                "SELECT to_json(struct_pack(" + ", ".join(f'"{n}" := "{n}"' for n in check.given)
                + ")) FROM raw_in SEMI JOIN bad_pos ON raw_in.__pos = bad_pos.p ORDER BY raw_in.__pos"
            ).fetchall()
        finally:
            con.unregister("bad_pos")
        return [(int(p) + 1, str(raw[0]), str(r)) for p, r, raw in
                zip(positions.to_pylist(), bad.column("__reason").to_pylist(), raws, strict=True)]

    def _validate_raw(
        self, kind: str, present: set[str], allowed: set[str] | None
    ) -> tuple[pa.Table, list[Reject], Attributed]:
        """The rules over ``raw_in``, into Arrow: the events, the rejects, the rows a unit's lifetime moved."""
        with self._checking(kind, present, allowed) as check:
            return self._checked_arrow(kind, check)

    def _checked_arrow(self, kind: str, check: _Check) -> tuple[pa.Table, list[Reject], Attributed]:
        checked = self.events.con.sql(check.sql).to_arrow_table()
        ok = checked.column("__reason").is_null()
        bad_rows: list[Reject] = []
        if checked.column("__reason").null_count < checked.num_rows:
            bad_rows = self._reject_rows(check, checked.filter(pc.invert(ok)).select(["__pos", "__reason"]))
            checked = checked.filter(ok)
        moved: Attributed = Counter()
        if check.moved:
            unit_col = UNIT_COLUMN[kind]
            given = checked.column("__given")
            unit = checked.column(unit_col)
            changed = checked.filter(pc.not_equal(given, unit)).select(["__given", unit_col])
            for r in changed.group_by(["__given", unit_col]).aggregate([([], "count_all")]).to_pylist():
                moved[(str(r["__given"]), str(r[unit_col]))] = int(r["count_all"])
        good = checked.drop_columns([c for c in ("__reason", "__given", "__pos") if c in checked.column_names])
        return good.cast(arrow_schema(kind, with_batch=False)), bad_rows, moved

    def _provider_rule(self, con: Any, allowed: set[str]) -> tuple[str, str]:
        """``_check_provider`` in SQL: the endpoints of providers outside the scope, with the day each was first
        seen, as a small table ``known_ep`` the rule looks up."""
        scope = _sql_list(sorted(allowed))
        pairs = con.execute(
            "SELECT DISTINCT CAST(provider_unit AS VARCHAR), CAST(provider_system AS VARCHAR) FROM raw_in "
            f"WHERE provider_unit IS NOT NULL AND provider_system IS NOT NULL AND provider_unit NOT IN ({scope})"
        ).fetchall()
        rows = [(u, k, self.book.first_seen_day(self._endpoint_measures, u, k)) for u, k in pairs]
        rows = [r for r in rows if r[2] is not None]
        known = pa.table({"u": pa.array([r[0] for r in rows], pa.string()),
                          "k": pa.array([r[1] for r in rows], pa.string()),
                          "d": pa.array([r[2] for r in rows], pa.date32())})
        con.register("known_ep", known)
        return (
            f"provider_unit NOT IN ({scope}) AND NOT EXISTS (SELECT 1 FROM known_ep WHERE known_ep.u = provider_unit "
            'AND known_ep.k = provider_system AND known_ep.d <= CAST("at" AS DATE))',
            "'provider_unit: this source may not report for ''' || provider_unit || ''', and its endpoint ''' || "
            "provider_system || ''' is not known on ' || strftime(CAST(\"at\" AS DATE), '%Y-%m-%d') || "
            "'; the provider''s own source establishes its endpoints'",
        )

    def submit_arrow(
        self,
        kind: str,
        table: pa.Table,
        source: EventSourceRecord | str,
        offset: int = 0,
        *,
        batch_key: Identity = None,
    ) -> Receipt:
        """A chunk of a file; ``offset`` makes its rejects' positions the file's rows, and ``batch_key`` names
        the file (default: the chunk's content hash, computed only if it has rejects)."""
        src = source if isinstance(source, EventSourceRecord) else None
        good, bad, moved = self._validate_arrow(kind, table, self.allowed_units(src))
        bad = [(None if p is None else p + offset, raw, r) for p, raw, r in bad]
        key = batch_key if batch_key is not None else functools.partial(_table_digest, table)
        return self._commit(kind, good, bad, src.id if src else str(source), moved, key)

    def submit_parquet(
        self,
        kind: str,
        path: Path,
        names: Sequence[str],
        start: int,
        stop: int,
        source: EventSourceRecord | str,
        *,
        batch_key: Identity = None,
    ) -> Receipt:
        """Rows ``start``..``stop`` of a Parquet file (``names``: its columns) as one batch; rejects' positions are
        the file's rows."""
        src = source if isinstance(source, EventSourceRecord) else None
        key = batch_key if batch_key is not None else functools.partial(_file_digest, path)
        source_id, received, con = src.id if src else str(source), stop - start, self.events.con
        with self._parquet_rows(path, names, start, stop), \
                self._checking(kind, set(names), self.allowed_units(src)) as check:
            if check.moved:  # some rows change units: through Arrow, which counts them
                good, bad, moved = self._checked_arrow(kind, check)
            else:
                # The checked rows go from the file into the store in one statement: taking them out into Arrow
                # and back cost as much as the rules (a fifth of a bulk ingest). Rejects are looked for only when
                # fewer rows went in than came, before the store commits.
                ids = con.sql("SELECT TRY_CAST(event_id AS VARCHAR) FROM raw_in WHERE event_id IS NOT NULL"
                              ).to_arrow_table().column(0)
                low_high = pc.min_max(ids)
                repeats = self.events.repeats(ids)
                batch = self._open_batch(kind, source_id, received)
                found: list[Reject] = []

                def short() -> int:
                    bad = con.sql(f"SELECT __pos, __reason FROM ({check.sql}) WHERE __reason IS NOT NULL")
                    found.extend(self._reject_rows(check, bad.to_arrow_table()))
                    if found:
                        self._catch_up()  # the write behind holds SQLite's one writer lock
                        self.book.add_rejects(batch, kind, source_id, found, key if isinstance(key, str) else key())
                    return len(found)

                try:
                    events = f"SELECT * EXCLUDE (__reason, __pos) FROM ({check.sql}) WHERE __reason IS NULL"
                    accepted, rejected = self.events.insert(
                        kind, events, batch, days=check.days, repeats=repeats, received=received,
                        ids=(low_high["min"].as_py(), low_high["max"].as_py()), short=short)
                except BaseException:
                    self.book.abandon([batch])  # nothing of it was stored
                    raise
                self._stored(batch, accepted, received - accepted - rejected)
        if check.moved:
            return self._commit(kind, good, bad, source_id, moved, key)
        return Receipt(kind, batch, received, accepted, received - accepted - rejected, rejected,
                       [(p, r) for p, _, r in found], Counter(), self._apply(kind, batch))

    def ingest_file(
        self,
        path: Path,
        kind: str | None = None,
        *,
        source: str | None = None,
        chunk_rows: int = 2_000_000,
        progress: Callable[[int, int], None] | None = None,
        resume: bool = False,
        next_file: Path | None = None,
    ) -> Receipt:
        """NDJSON, CSV or Parquet; the kind from ``kind`` or the file's folder name (dossier/, ndxp/).

        Streamed: at most ``chunk_rows`` rows (or lines) are held at once, whatever the file's size; each chunk is
        committed as it comes. ``progress(done, total)``: rows of a Parquet file, bytes of NDJSON, rows of CSV
        (the total unknown: ``done`` again).
        ``resume``: the place in the file is kept after each chunk while it is ingested, and an ingest of the
        same, unchanged file that did not finish (killed, stopped) resumes there; ``resumed_from`` says where.
        Rows before that place are skipped, not re-sent: stored events are counted once anyway.
        ``next_file``: the file the caller ingests next in the same ``overlapped`` block (its kind from its folder),
        so that its first batch's record is made ahead, as a Parquet file's next chunk's is."""
        kind = kind or _kind_from_path(path)
        source = source or f"file:{path.name}"
        # The file is the batch: positions are its lines or rows, and its content hash (taken only when a chunk
        # has rejects) names it, so ingesting the same file again records no reject twice.
        file_key = functools.cache(lambda: f"file-sha256:{_file_digest(path)}")
        total = Receipt(kind)
        place = _place_key(path) if resume else None
        skip = self.book.resume_point(place) if place else 0
        total.resumed_from = skip

        def committed(rows: int) -> None:
            if place:
                self.checkpoint(place, str(path), rows)

        with self.overlapped():  # a chunk's aggregates are written while the next is checked
            suffix = path.suffix.lower()
            if suffix in (".ndjson", ".jsonl", ".json"):
                size, done_bytes, last = path.stat().st_size, 0, 0
                part: list[tuple[int | None, str | Mapping[str, Any]]] = []
                with path.open("rb") as f:
                    for lineno, raw in enumerate(f, start=1):
                        done_bytes += len(raw)
                        if lineno <= skip:
                            continue
                        try:
                            line = raw.decode("utf-8").rstrip("\r\n")
                        except UnicodeDecodeError as exc:
                            raise ImportFileError(str(path), f"line {lineno}: not valid UTF-8 ({exc.reason})") from None
                        if line.strip():
                            part.append((lineno, line))
                        last = lineno
                        if len(part) >= chunk_rows:
                            total.add(self.submit_records(kind, part, source, batch_key=file_key))
                            part = []
                            committed(lineno)
                            if progress:
                                progress(done_bytes, size)
                if part:
                    total.add(self.submit_records(kind, part, source, batch_key=file_key))
                committed(max(last, skip))
                if progress:
                    progress(size, size)
            elif suffix == ".parquet":
                import pyarrow.parquet as pq

                try:
                    meta = pq.ParquetFile(path).metadata
                except (OSError, pa.ArrowException) as exc:
                    raise ImportFileError(str(path), f"not a readable Parquet file ({exc})") from None
                names = meta.schema.to_arrow_schema().names

                def chunk_done(stop: int) -> None:
                    committed(stop)
                    if progress:
                        progress(stop, meta.num_rows)

                if "file_row_number" in names:  # DuckDB's row number would clash with it: read through Arrow
                    for start, stop, rows in _arrow_chunks(pq.ParquetFile(path), chunk_rows):
                        if stop > skip:  # of a chunk the last run committed part of, its rest
                            total.add(self.submit_arrow(kind, rows.slice(max(skip - start, 0)), source,
                                                        offset=max(start, skip), batch_key=file_key))
                            chunk_done(stop)
                else:
                    ranges = [(max(a, skip), b) for a, b in _row_ranges(meta, chunk_rows) if b > skip]
                    after = None if next_file is None else self._first_chunk(
                        next_file, None if source == f"file:{path.name}" else source, chunk_rows, resume)
                    for i, (start, stop) in enumerate(ranges):
                        # the next chunk, whose batch record is made while this one's writes are queued
                        self._upcoming = (kind, source, ranges[i + 1][1] - ranges[i + 1][0]) if i + 1 < len(ranges) \
                            else after
                        total.add(self.submit_parquet(kind, path, names, start, stop, source, batch_key=file_key))
                        chunk_done(stop)
            elif suffix == ".csv":
                import pyarrow.csv as pcsv

                batches = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=64 << 20),
                                        convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
                done = 0
                for rb in batches:
                    start, done = done, done + rb.num_rows
                    if done <= skip:
                        continue
                    if start < skip:  # the chunk the last run committed part of: only its rest
                        rb, start = rb.slice(skip - start), skip
                    total.add(self.submit_arrow(kind, pa.Table.from_batches([rb]), source, offset=start,
                                                batch_key=file_key))
                    committed(done)
                    if progress:
                        progress(done, done)  # CSV: rows, the total unknown
            else:
                raise ImportFileError(str(path), "expected an .ndjson, .jsonl, .csv or .parquet file of events")
            if place:
                self.checkpoint(place, str(path), None)  # done: the next ingest of the file starts anew
        return total

    def _first_chunk(self, path: Path, source: str | None, chunk_rows: int,
                     resume: bool) -> tuple[str, str, int] | None:
        """(kind, source, rows) of a Parquet file's first chunk as ``ingest_file`` will cut it; None when that cannot
        be told cheaply (not Parquet, no kind in its path, a place to resume from)."""
        import pyarrow.parquet as pq

        if path.suffix.lower() != ".parquet" or (resume and self.book.resume_point(_place_key(path))):
            return None
        try:
            kind = _kind_from_path(path)
            first = next(_row_ranges(pq.ParquetFile(path).metadata, chunk_rows), None)
        except (ImportFileError, OSError, pa.ArrowException):
            return None
        return None if first is None else (kind, source or f"file:{path.name}", first[1] - first[0])

    # commit and apply -----------------------------------------------------------------------------
    def _commit(
        self,
        kind: str,
        good: pa.Table,
        bad: Sequence[Reject],
        source: str,
        moved: Attributed | None = None,
        identity: Identity = None,
    ) -> Receipt:
        received = good.num_rows + len(bad)
        key = identity if isinstance(identity, str) else identity() if identity is not None and bad else None
        batch = self._open_batch(kind, source, received, bad, key)
        accepted, dups = self.events.append(kind, good, batch) if good.num_rows else (0, 0)
        self._stored(batch, accepted, dups)
        unattributed = self._apply(kind, batch)
        return Receipt(kind, batch, received, accepted, dups, len(bad), [(p, r) for p, _, r in bad], moved or Counter(),
                       unattributed)

    def _open_batch(self, kind: str, source: str, received: int, bad: Sequence[Reject] = (),
                    key: str | None = None) -> int:
        """A new batch's record: within ``overlapped``, the one made ahead for it when the batch before was queued
        (``_ahead``), so that it need not wait for that batch's writes (SQLite has one writer)."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            if ahead[0] == (kind, source, received) and not bad:
                return ahead[1]
            self._catch_up()
            self.book.abandon([ahead[1]])  # not the batch it was made for: it holds nothing
        self._catch_up()
        return self.book.new_batch(kind, source, received, bad, key)

    def _make_ahead(self) -> None:
        """Within ``overlapped``, the next chunk's batch record (``_upcoming``), made before this batch's writes are
        queued: the batch before's are done by now (its events were counted meanwhile), SQLite's lock is free."""
        upcoming, self._upcoming = self._upcoming, None
        if upcoming is not None and self._behind is not None and self._ahead is None:
            self._catch_up()
            self._ahead = (upcoming, self.book.new_batch(*upcoming, []))

    def _stored(self, batch: int, accepted: int, duplicates: int) -> None:
        """The batch's events are committed to the event store (written behind: ``recover`` counts a batch the event
        store holds from its own record, whatever its state here)."""
        self._later(functools.partial(self.book.mark_stored, batch, accepted, duplicates), _nothing)

    def _plan(self, kind: str, name: str, build: Callable[[Any], Any], where_batch: int | None) -> pa.Table:
        """A plan over a kind's stored events: over one batch, compiled once per ingestor (its catalogue); over
        all, built and run through Ibis."""
        if where_batch is None:
            con = self.events.ibis()
            return run(con, build(con.table(table_name(kind))))
        key = (kind, name)
        plan = self._batch_plans.get(key)
        if plan is None:
            plan = self._batch_plans[key] = BatchPlan(self.events.ibis(), table_name(kind), build)
        return plan.run(self.events.con, where_batch)

    def _deltas(self, kind: str, where_batch: int | None) -> tuple[pa.Table, pa.Table]:
        """(daily sums per unit, first-seen keys)."""
        ms = measures_of(kind, self.catalogue.measures)
        daily = daily_long(self._plan(kind, "daily", lambda t: daily_plan(t, kind, ms), where_batch))
        return daily, self._first_seen(kind, where_batch)

    def _first_seen(self, kind: str, where_batch: int | None) -> pa.Table:
        """The first-seen keys (measure, unit, key, first_day) of the kind's first_seen measures."""
        firsts = []
        for m in measures_of(kind, self.catalogue.measures):
            if m.agg == "first_seen":
                fs = self._plan(kind, f"first_seen:{m.id}", functools.partial(first_seen_plan, m=m), where_batch)
                firsts.append(fs.append_column("measure", pa.array([m.id] * fs.num_rows, pa.string())))
        if firsts:
            return pa.concat_tables(firsts).select(["measure", "unit", "key", "first_day"])
        return pa.table({"measure": pa.array([], pa.string()), "unit": pa.array([], pa.string()),
                         "key": pa.array([], pa.string()), "first_day": pa.array([], pa.date32())})

    def _batch_deltas(self, kind: str, batch: int) -> tuple[pa.Table, pa.Table, pa.Table]:
        """A batch's sums per unit and day, its first-seen keys, and its sums per commune: the two sums from one scan
        of its events (``split_local``), which a recompute makes in two."""
        if kind not in LOCAL_COLUMN:
            daily, fs = self._deltas(kind, batch)
            return daily, fs, self._local(kind, batch)
        ms = measures_of(kind, self.catalogue.measures)
        wide = self._plan(kind, "daily+local", lambda t: daily_plan(t, kind, ms, within=LOCAL_COLUMN[kind]), batch)
        per_unit, per_local = split_local(wide, LOCAL_COLUMN[kind])
        return daily_long(per_unit), self._first_seen(kind, batch), daily_long(per_local)

    def _local(self, kind: str, where_batch: int | None) -> pa.Table:
        """The per-commune daily totals (measure, unit = commune, day, value) of a kind's events: the same plan as
        the province's, grouped by the ``commune`` column (events without one left out). first_seen measures are
        kept per province only."""
        if kind not in LOCAL_COLUMN:
            return daily_long(pa.table({"unit": pa.array([], pa.string()), "day": pa.array([], pa.date32())}))
        ms = measures_of(kind, self.catalogue.measures)
        return daily_long(self._plan(kind, "local", lambda t: daily_plan(t, kind, ms, by=LOCAL_COLUMN[kind]),
                                     where_batch))

    def _subunit_rejects(self, kind: str, batch: int) -> list[SubunitReject]:
        """The batch's stored events whose subunit names no commune they can be attributed to, with the reason."""
        if kind not in LOCAL_COLUMN:
            return []
        rows = self.events.con.execute(
            f'SELECT event_id, dossier_id, unit, subunit, "at", day FROM {table_name(kind)} '
            f"WHERE batch = ? AND subunit IS NOT NULL AND {LOCAL_COLUMN[kind]} IS NULL ORDER BY event_id",
            [batch],
        ).fetchall()
        out = []
        for event_id, dossier_id, unit, sub, at, day in rows:
            _, reason = self.communes.resolve(unit, sub, day)
            if reason is not None:
                raw = _dumps({"event_id": event_id, "dossier_id": dossier_id, "unit": unit, "subunit": sub,
                              "at": at.isoformat()})
                out.append(SubunitReject(unit, event_id, raw, reason))
        return out

    def _apply(self, kind: str, batch: int) -> int:
        """Add the batch to the kept aggregates (per province and per commune) and list its events' commune rejects,
        in one transaction; returns how many of its events were attributed to no commune despite a subunit."""
        daily, fs, local = self._batch_deltas(kind, batch)
        unattributed = self._subunit_rejects(kind, batch)
        units = frozenset(str(u) for u in pc.unique(daily.column("unit")).to_pylist() if u is not None)
        self._make_ahead()
        self._later(functools.partial(self.book.apply, batch, daily, fs, local, unattributed),
                    functools.partial(self._applied, kind, batch, units))
        return len(unattributed)

    def _applied(self, kind: str, batch: int, units: frozenset[str]) -> None:
        for listener in self.after_apply:
            try:
                listener(kind, batch, units)
            except Exception:  # the batch is applied and committed: a listener cannot undo it
                log.exception("a listener after batch %s failed", batch)

    # the store's writes behind the next batch ------------------------------------------------------
    @contextlib.contextmanager
    def overlapped(self) -> Iterator[None]:
        """Within: a batch's kept aggregates go to the operational store on a second thread while the next batch
        is read, checked and counted (DuckDB), instead of one after the other; at most one batch is behind, and
        everything is written when the block ends. What a crash leaves is unchanged: the batch behind is *stored*
        until its aggregates commit, and ``recover`` applies it. A write's error is raised at the next batch (or
        the block's end); a failure in the block waits for the write behind it, then is raised."""
        if self._behind is not None:  # nested: the outer block drains
            yield
            return
        self._behind = _Behind()
        try:
            yield
            self._catch_up()
        finally:
            behind, self._behind = self._behind, None
            behind.close()
            ahead, self._ahead, self._upcoming = self._ahead, None, None
            if ahead is not None:  # made for a chunk that never came
                self.book.abandon([ahead[1]])

    def _later(self, write: Callable[[], None], then: Callable[[], None]) -> None:
        """``write`` (the operational store's) now, or behind the next batch within ``overlapped``; ``then`` on this
        thread once it is written (the listeners read what it wrote)."""
        if self._behind is None:
            write()
            then()
        else:
            self._behind.submit(write, then)

    def _catch_up(self) -> None:
        """Wait for the write behind (the operational store has one writer), raise its error, run what follows it."""
        if self._behind is not None:
            self._behind.wait()

    def checkpoint(self, file_key: str, path: str, rows: int | None) -> None:
        """The place reached in a file, written after the batches before it (behind them within ``overlapped``)."""
        self._later(functools.partial(self.book.checkpoint, file_key, path, rows), _nothing)

    def recover(self) -> list[int]:
        """Apply batches that were stored (acknowledged) but not applied before a crash; mark those received but
        never stored abandoned (the crash came before the event store's commit: nothing of theirs counts)."""
        stored = self.events.stored_batches()
        received = self.book.batches_in_state("received")
        todo = [b for b in self.book.batches_in_state("stored") + received if b in stored]
        self.book.abandon([b for b in received if b not in stored])
        for b in sorted(todo):
            kind, accepted, duplicates = stored[b]
            if b in received:  # committed, its counts not yet written here (they are written behind)
                self.book.mark_stored(b, accepted, duplicates)
            self._apply(kind, b)
        return todo

    def recompute(self) -> tuple[pa.Table, pa.Table]:
        """Every measure from every stored event (the check on the kept aggregates)."""
        dailies, firsts = [], []
        for kind in EVENT_KINDS:
            d, f = self._deltas(kind, None)
            dailies.append(d)
            firsts.append(f)
        return pa.concat_tables(dailies), pa.concat_tables(firsts)

    def recompute_local(self) -> pa.Table:
        """Every measure per commune from every stored event (the check on ``event_agg_local``)."""
        return pa.concat_tables([self._local(kind, None) for kind in EVENT_KINDS])

    def rebuild(self) -> None:
        daily, fs = self.recompute()
        self.book.replace_all(daily, fs, self.recompute_local())

    def replay_rejects(
        self, ids: Sequence[int] | None = None, *, kind: str | None = None, source: str | None = None
    ) -> list[Receipt]:
        """Validate pending rejects again (after the catalogue or a source's scope was fixed), as their own
        source, so its scope still applies. Every replayed reject is closed; those still bad are recorded
        once more, under the replay batch, with the old reject's id as their position.

        A commune reject (kind ``dossier.subunit``) is skipped and stays listed: its event is stored and counts for
        its province already, and replaying it would count the dossier twice."""
        pending = [
            r for r in self.book.rejects(kind=kind, source=source, limit=1_000_000)
            if (ids is None or r.id in ids) and r.kind in EVENT_KINDS
        ]
        known = {s.id: s for s in self.book.sources()}
        out = []
        for k, src in sorted({(r.kind, r.source) for r in pending}):
            group = [r for r in pending if r.kind == k and r.source == src]
            rec = self.submit_records(k, [(r.id, r.raw) for r in group], known.get(src, src),
                                      batch_key=replay_key([r.id for r in group]))
            if rec.batch is not None:
                self.book.mark_replayed([r.id for r in group], rec.batch)
            out.append(rec)
        return out


# What an event's content can raise while it is read; a store's own failure is not among them: it fails the batch
# (not committed, so sent again), it rejects no event.
_DATA_ERRORS = (ValueError, TypeError, OverflowError, RecursionError, AttributeError, KeyError, IndexError,
                ArithmeticError, UnicodeError)
MAX_LINE = 256 * 1024  # characters of one event (a line, an element of an array)
MAX_DEPTH = 16  # nesting of one event's JSON (a portal record's lists of objects are 3 deep)


def _nothing() -> None:
    pass


class _Behind:
    """The operational store's writes on one worker thread, in order; ``wait`` returns when all are done and runs
    what follows each on the caller's thread."""

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chiso-apply")
        self._pending: list[tuple[Any, Callable[[], None]]] = []

    def submit(self, write: Callable[[], None], then: Callable[[], None]) -> None:
        self._pending.append((self._pool.submit(write), then))

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        for i, (done, then) in enumerate(pending):
            try:
                done.result()
            except BaseException:
                self._pending = pending[i + 1:]  # still written (or failing) behind: ``close`` waits for them
                raise
            then()

    def close(self) -> None:
        """Every write finished (none left running when the block ends, whatever ended it); errors logged, as the
        block's own is being raised."""
        for done, _ in self._pending:
            if done.exception() is not None:
                log.error("writing a batch's aggregates failed: %s", done.exception())
        self._pending = []
        self._pool.shutdown(wait=True)


def _dumps(rec: Mapping[str, Any]) -> str:
    if _too_deep(rec, MAX_DEPTH):
        return f"<an object nested more than {MAX_DEPTH} deep>"
    try:
        return json.dumps(rec, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        return repr(rec)[:MAX_LINE]


def _bounded(raw: str) -> str:
    """The text kept of a rejected event: at most MAX_LINE characters, valid UTF-8."""
    if len(raw) > MAX_LINE:
        raw = raw[:MAX_LINE] + "…"
    return raw.encode("utf-8", "replace").decode("utf-8")


def _too_deep(obj: Any, limit: int) -> bool:
    """Whether a parsed JSON value nests more than ``limit`` deep (iteratively: no recursion to overflow)."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, Mapping):
            children: Iterable[Any] = x.values()
        elif isinstance(x, list | tuple):
            children = x
        else:
            continue
        if d > limit:
            return True
        stack.extend((c, d + 1) for c in children)
    return False


_DEFAULTS: dict[str, dict[str, str]] = {
    "dossier": {
        "schema_version": "1",
        "kind": "'dossier'",
        "full_online": "false",
        "digitised": "false",
        "result_digitised": "false",
        "e_result": "false",
        "documents": "0",
        "documents_reused": "0",
        "fee": "0",
        "paid_online": "false",
        "paused_days": "0",
        "supplement_requests": "0",
        "vneid": "false",
        "national_db_lookups": "0",
    },
    "ndxp": {"schema_version": "1", "kind": "'ndxp'", "outcome": "'ok'", "latency_ms": "0", "size_bytes": "0"},
}


FUTURE_TOLERANCE = timedelta(days=1)


def _before_start(cat: Catalogue) -> dict[str, tuple[date, str | None, str | None]]:
    """For each unit that began on a date: (that date, the one predecessor that took it over whole and keeps its
    earlier events, or None and the reason to refuse them)."""
    out: dict[str, tuple[date, str | None, str | None]] = {}
    for code, u in cat.units.items():
        if u.valid_from is None or u.is_local or cat.components(u):
            continue
        preds = cat.predecessors(u)
        if len(preds) == 1 and preds[0][1].kind == "whole":
            out[code] = (u.valid_from, preds[0][0].code, None)
            continue
        names = ", ".join(p.code for p, _ in preds) or "none"
        out[code] = (
            u.valid_from,
            None,
            f"unit: {code!r} began on {u.valid_from.isoformat()}, so it has no events before (predecessors: "
            f"{names}); send the event under the predecessor's code",
        )
    return out


def _after_end(cat: Catalogue) -> dict[str, list[tuple[date, str | None, str | None]]]:
    """For each former unit: (end date, the unit its events after that date belong to or None, the reason if
    None), latest end first. Followed through several changes; a unit the catalogue gives no successor keeps
    its events (nothing says where they belong)."""
    out: dict[str, list[tuple[date, str | None, str | None]]] = {}
    for code, first in cat.units.items():
        if first.is_local:  # an event's unit is a ministry or province; its commune is resolved by ``Communes``
            continue
        steps: list[tuple[date, str | None, str | None]] = []
        u, seen = first, {code}
        while u.valid_to is not None and u.successors:
            nxt = cat.whole_successor(u)
            if nxt is None or nxt.code in seen:
                names = ", ".join(s.unit for s in u.successors)
                steps.append(
                    (
                        u.valid_to,
                        None,
                        f"unit: {u.code!r} ended on {u.valid_to.isoformat()} and no single unit took it over whole "
                        f"(successors: {names}); send the event under the successor's code",
                    )
                )
                break
            steps.append((u.valid_to, nxt.code, None))
            u = nxt
            seen.add(u.code)
        if steps:
            out[code] = steps[::-1]
    return out


def replay_key(reject_ids: Iterable[int]) -> str:
    """A replay's batch identity: the rejects it validates again (each pending reject is replayed once)."""
    ids = ",".join(str(i) for i in sorted(reject_ids))
    return "replay-sha256:" + hashlib.sha256(ids.encode()).hexdigest()


def _place_key(path: Path) -> str:
    """A file as a bulk ingest resumes it: its path, size and modification time (a changed file starts anew)."""
    st = path.stat()
    ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return "file:" + hashlib.sha256(ident.encode()).hexdigest()[:64]


def _file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _table_digest(table: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return "arrow-sha256:" + hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _row_ranges(meta: Any, most: int) -> Iterator[tuple[int, int]]:
    """A Parquet file's rows in ranges of at most ``most``, cut at row group edges where they allow: a row group is
    decoded by the one chunk that reads it, unless it alone holds more than ``most`` rows."""
    start = end = 0
    for i in range(meta.num_row_groups):
        n = meta.row_group(i).num_rows
        if end > start and end - start + n > most:
            yield start, end
            start = end
        end += n
        while end - start > most:
            yield start, start + most
            start += most
    if end > start:
        yield start, end


def _arrow_chunks(pf: Any, most: int) -> Iterator[tuple[int, int, pa.Table]]:
    done = 0
    for rb in pf.iter_batches(batch_size=most):
        yield done, done + rb.num_rows, pa.Table.from_batches([rb])
        done += rb.num_rows


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _sql_rules(kind: str, names: Sequence[str], nullable: Mapping[str, bool]) -> list[tuple[str, str]]:
    """The models' rules as (condition, reason) SQL pairs, first match wins."""
    from chiso.catalogue.events import Channel, DossierStatus, NdxpOutcome

    rules: list[tuple[str, str]] = []
    for n in names:
        if not nullable[n]:
            rules.append((f'"{n}" IS NULL AND "__raw_{n}" IS NULL', f"'{n}: Field required'"))
        rules.append(
            (
                f'"{n}" IS NULL AND "__raw_{n}" IS NOT NULL',
                f"'{n}: not a valid value: ' || CAST(\"__raw_{n}\" AS VARCHAR)",
            )
        )
    rules.append(("schema_version <> 1", "'schema_version: expected 1'"))
    rules.append((f"kind <> '{kind}'", f"'kind: expected {kind}'"))
    rules.append((f"strlen(event_id) = 0 OR {_longer('event_id', 200)}", "'event_id: 1 to 200 characters'"))
    rules += _bound_rules(kind, names)
    if kind == "dossier":
        rules += [
            (
                f"status NOT IN ({_sql_list([s.value for s in DossierStatus])})",
                f"'status: expected one of {', '.join(s.value for s in DossierStatus)}'",
            ),
            (
                f"channel NOT IN ({_sql_list([c.value for c in Channel])})",
                f"'channel: expected one of {', '.join(c.value for c in Channel)}'",
            ),
            (
                "documents < 0 OR documents_reused < 0 OR fee < 0 OR paused_days < 0 OR supplement_requests < 0 "
                "OR national_db_lookups < 0",
                "'a count, fee or duration is negative'",
            ),
            (
                "documents_reused > documents",
                "'documents_reused (' || documents_reused || ') is above documents (' || documents || ')'",
            ),
            ("paid_online AND fee = 0", "'paid_online is true but fee is 0'"),
            ("rating IS NOT NULL AND (rating < 1 OR rating > 5)", "'rating: expected 1 to 5'"),
        ]
    else:
        rules += [
            (
                f"outcome NOT IN ({_sql_list([o.value for o in NdxpOutcome])})",
                f"'outcome: expected one of {', '.join(o.value for o in NdxpOutcome)}'",
            ),
            ("latency_ms < 0 OR size_bytes < 0", "'latency_ms and size_bytes must not be negative'"),
        ]
    return rules


def _bound_rules(kind: str, names: Sequence[str]) -> list[tuple[str, str]]:
    """The models' bounds (lengths, magnitudes, the range of times) as SQL rules: one list of bounds, two paths."""
    import annotated_types as at

    from chiso.catalogue.events import EARLIEST, LATEST

    rules: list[tuple[str, str]] = []
    for n, f in EVENT_KINDS[kind].model_fields.items():
        if n not in names:
            continue
        py = f.annotation
        if py is float or py == float | None:
            rules.append((f'isnan("{n}") OR isinf("{n}")', f"'{n}: expected a finite number'"))
        for m in f.metadata:
            if isinstance(m, at.MaxLen):
                rules.append((_longer(n, m.max_length), f"'{n}: at most {m.max_length} characters'"))
            elif isinstance(m, at.MinLen) and m.min_length > 0:
                rules.append((_shorter_trimmed(n, m.min_length), f"'{n}: at least {m.min_length} characters'"))
            elif isinstance(m, at.Le):
                rules.append((f'"{n}" > {m.le}', f"'{n}: at most {m.le}'"))
            elif isinstance(m, at.Ge):
                rules.append((f'"{n}" < {m.ge}', f"'{n}: at least {m.ge}'"))
        if py is datetime or py == datetime | None:
            rules.append(
                (
                    f"\"{n}\" < TIMESTAMP '{EARLIEST.isoformat(sep=' ')}' "
                    f"OR \"{n}\" >= TIMESTAMP '{LATEST.isoformat(sep=' ')}'",
                    f"'{n}: expected a time from {EARLIEST:%Y} to {LATEST.year - 1}'",
                )
            )
    return rules


def _longer(n: str, limit: int) -> str:
    """``length(n) > limit``, counting characters only where the bytes (a string's stored size) could exceed it."""
    return f'(strlen("{n}") > {limit} AND length("{n}") > {limit})'


def _shorter_trimmed(n: str, limit: int) -> str:
    """``length(trim(n)) < limit`` without trimming every row: ``trim`` copies, and a string starting with a visible
    ASCII character (bytes sort: below '!' or from U+0080 up is anything else) keeps that character."""
    if limit == 1:
        return f"(\"{n}\" < '!' OR \"{n}\" >= '\u0080') AND trim(\"{n}\") = ''"
    return f'length(trim("{n}")) < {limit}'


def _kind_from_path(path: Path) -> str:
    for part in reversed(path.parts[:-1]):
        if part in EVENT_KINDS:
            return part
    stem = path.stem.lower()
    for kind in EVENT_KINDS:
        if stem.startswith(kind):
            return kind
    raise ImportFileError(str(path), "cannot tell the event kind: pass --kind dossier|ndxp")


__all__ = ["DossierEvent", "EventIngestor", "NdxpEvent", "Receipt"]
