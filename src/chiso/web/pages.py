"""Dashboards: the national overview (``/``), an indicator (``/indicators/{code}``) and a unit
(``/units/{code}``), server-rendered with inline SVG charts, and every table as CSV (UTF-8 with BOM, so Excel
shows diacritics) and XLSX.

Speed: a page reads each indicator's values once (``Snapshot``, a ``ValueReader`` over one window of
periods) and the engine answers from memory, asked only where stored values or events can make a figure
(``Reader.may_answer``). The page's numbers are cached per data version (the last change set, the applied
event batches), so a repeated view costs two tiny queries: a saved value shows at once; after new event
batches a cached page stands ``EVENT_GRACE`` seconds, then is served while it is recomputed in the background.

The public sees published (approved) values only. A logged-in user may add ``?drafts=1`` to see the
unapproved values of the units in their scope too.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select

from chiso import app as core
from chiso import charts
from chiso.app import Workspace
from chiso.auth import User
from chiso.catalogue import Ancestor, Catalogue
from chiso.catalogue.models import (
    PILLAR_NAMES,
    Direction,
    Indicator,
    PeriodsRule,
    Pillar,
    SourceDocument,
    Successor,
    Target,
    Unit,
    UnitType,
)
from chiso.catalogue.periods import TILING_KINDS, Period, PeriodKind
from chiso.catalogue.records import StoredValue
from chiso.engine import Answer, Engine, EventReader, RankRow, attainment
from chiso.engine import rebase as rb
from chiso.errors import ChisoError, UnknownNameError, UnknownPeriodError, UnknownUnitError
from chiso.i18n import fmt_compact, fmt_number, fmt_value
from chiso.report.exports import number_text
from chiso.store import Store
from chiso.store import schema as s
from chiso.web.session import load_user
from chiso.web.templating import lang_of, render, tr

T = TypeVar("T")
log = logging.getLogger(__name__)

EVENT_GRACE = 5.0  # seconds a cached page may lag the event stream
CACHE_TTL = 300.0  # bounds staleness after a full event recompute, which leaves no batch behind
SERIES_LENGTH = {PeriodKind.YEAR: 5, PeriodKind.HALF: 6, PeriodKind.QUARTER: 8, PeriodKind.MONTH: 12}
FALLBACK_TRIES = 4  # sub-periods tried for "the latest value inside the period"
Fmt = Literal["csv", "xlsx"]


# --- reading -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _period(text: str) -> Period:
    return Period.parse(text)


@dataclass(frozen=True)
class Policy:
    """What a reader may see: published values, or also the unapproved values of the units in ``drafts_for``."""

    drafts_for: frozenset[str] | None = None
    scope: str = "public"  # names the policy in cache keys

    def visible(self, v: StoredValue) -> bool:
        if self.drafts_for is None:
            return v.status == "approved"
        return v.status == "approved" or v.unit in self.drafts_for

    @property
    def statuses(self) -> tuple[str, ...] | None:
        return ("approved",) if self.drafts_for is None else None


PUBLIC = Policy()


class Snapshot:
    """A ``ValueReader`` for one page: each indicator's values inside ``window`` are read once, then served
    from memory (the engine asks many times per page: a ranking, a series, a fallback)."""

    def __init__(self, store: Store, window: Period, policy: Policy, sources: dict[str, SourceDocument]) -> None:
        self.store, self.window, self.policy = store, window, policy
        self._sources = sources
        self._values: dict[str, list[StoredValue]] = {}
        self._targets: dict[str, list[Target]] = {}
        self.queries = 0

    def _read(self, indicator: str | None, units: Collection[str] | None, within: Period | None) -> list[StoredValue]:
        self.queries += 1
        rows = self.store.values(indicator=indicator, units=units, within=within, statuses=self.policy.statuses)
        return [v for v in rows if self.policy.visible(v)]

    def preload(self, indicators: Iterable[str]) -> None:
        """Read several indicators' windows in one query (the overview's key indicators)."""
        want = [c for c in indicators if c not in self._values]
        if not want:
            return
        for code in want:
            self._values[code] = []
        if len(want) == 1:
            self._values[want[0]] = self._read(want[0], None, self.window)
            return
        self.queries += 1
        c = s.data_value.c
        q = select(s.data_value).where(c.indicator.in_(sorted(want)), c.period_start >= self.window.start,
                                       c.period_end <= self.window.end)
        if self.policy.statuses is not None:
            q = q.where(c.status.in_(self.policy.statuses))
        q = q.order_by(c.indicator, c.unit, c.period_start, c.period_end, c.origin, c.source)
        with self.store.engine.connect() as conn:
            for r in conn.execute(q).mappings():
                v = StoredValue.model_validate(dict(r))
                if self.policy.visible(v):
                    self._values[v.indicator].append(v)

    def values(
        self,
        *,
        indicator: str | None = None,
        units: Collection[str] | None = None,
        within: Period | None = None,
        statuses: Collection[str] | None = None,  # the engine's; this snapshot's policy decides instead
    ) -> list[StoredValue]:
        if indicator is None or within is None or not self.window.contains(within):
            return self._read(indicator, units, within)
        if indicator not in self._values:
            self.preload([indicator])
        wanted = None if units is None else set(units)
        return [v for v in self._values[indicator]
                if (wanted is None or v.unit in wanted) and within.contains(_period(v.period))]

    def targets(
        self, *, indicator: str | None = None, units: Collection[str] | None = None,
        periods: Collection[str] | None = None,
    ) -> list[Target]:
        if indicator is None:
            self.queries += 1
            return self.store.targets(units=units, periods=periods)
        if indicator not in self._targets:
            self.queries += 1
            self._targets[indicator] = self.store.targets(indicator=indicator)
        return [t for t in self._targets[indicator]
                if (units is None or t.unit in units) and (periods is None or t.period in periods)]

    def sources(self) -> dict[str, SourceDocument]:
        return self._sources

    def periods(self, indicator: str, units: Collection[str], within: Period) -> list[Period]:
        """The distinct periods with values inside ``within``, latest end first, longest first."""
        found = {_period(v.period) for v in self.values(indicator=indicator, units=units, within=within)}
        return sorted(found, key=lambda p: (p.end, -(p.end - p.start).days), reverse=True)


class EventMemo:
    """An ``EventReader`` that asks the event aggregates once per distinct question within a page."""

    def __init__(self, inner: EventReader) -> None:
        self.inner = inner
        self._memo: dict[Hashable, Any] = {}

    def _once(self, key: Hashable, fn: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]  # type: ignore[no-any-return]

    def by_unit(self, measure: str, units: Collection[str] | None, start: date | None, end: date) -> dict[str, int]:
        key = ("b", measure, None if units is None else frozenset(units), start, end)
        return dict(self._once(key, lambda: self.inner.by_unit(measure, units, start, end)))

    def first_seen_by_unit(self, measure: str, units: Collection[str] | None, end: date) -> dict[str, int]:
        key = ("f", measure, None if units is None else frozenset(units), end)
        return dict(self._once(key, lambda: self.inner.first_seen_by_unit(measure, units, end)))

    def days_with_data(self, measure: str, start: date, end: date) -> int:
        return self._once(("d", measure, start, end), lambda: self.inner.days_with_data(measure, start, end))


Version = tuple[int, int, int]


def data_version(store: Store) -> Version:
    """(last change set, applied event batches, last applied batch): changes whenever a figure can."""
    b = s.event_batch.c
    with store.engine.connect() as conn:
        cs = conn.execute(select(func.max(s.change_set.c.id))).scalar()
        n, last = conn.execute(select(func.count(), func.max(b.id)).where(b.state == "applied")).one()
    return int(cs or 0), int(n or 0), int(last or 0)


class PageCache:
    """Page data by key, valid while the data version holds.

    A saved value (a new change set) is seen at once. New event batches alone do not stall readers: within
    ``grace`` seconds the cached page stands; after that it is still served while one background thread
    recomputes it. Concurrent misses of one key compute it once.
    """

    def __init__(self, size: int = 256, grace: float = EVENT_GRACE, ttl: float = CACHE_TTL) -> None:
        self.size, self.grace, self.ttl = size, grace, ttl
        self._items: OrderedDict[Hashable, tuple[Version, float, Any]] = OrderedDict()
        self._inflight: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = self.stale = 0

    def get(self, key: Hashable, version: Version, make: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            got = self._items.get(key)
            if got is not None and got[0][0] == version[0] and now - got[1] < self.ttl:
                v, at, data = got
                self._items.move_to_end(key)
                if v[1:] != version[1:] and now - at >= self.grace and key not in self._inflight:
                    self.stale += 1
                    self._inflight[key] = threading.Event()
                    threading.Thread(target=self._background, args=(key, version, make), daemon=True).start()
                else:
                    self.hits += 1
                return data  # type: ignore[no-any-return]
            self.misses += 1
            waiting = self._inflight.get(key)
            if waiting is None:
                self._inflight[key] = threading.Event()
        if waiting is not None:  # someone is computing this very page: wait for it rather than repeat it
            waiting.wait(timeout=60)
            with self._lock:
                got = self._items.get(key)
            if got is not None and got[0][0] == version[0]:
                return got[2]  # type: ignore[no-any-return]
            return make()
        return self._refresh(key, version, make)

    def _background(self, key: Hashable, version: Version, make: Callable[[], Any]) -> None:
        try:
            self._refresh(key, version, make)
        except Exception:  # the stale page keeps being served; the next reader tries again
            log.exception("refreshing the dashboard %r failed", key)

    def _refresh(self, key: Hashable, version: Version, make: Callable[[], T]) -> T:
        try:
            data = make()
            with self._lock:
                self._items[key] = (version, time.monotonic(), data)
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return data
        finally:
            with self._lock:
                done = self._inflight.pop(key, None)
            if done is not None:
                done.set()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# --- unit structures ---------------------------------------------------------------------------------

# The words a reader may give for a structure: the 2024 one (63 provinces, 22 ministries) and the 2025 one
# (34 provinces, 17 ministries); any date (2025-07-01, 01/07/2025) names the structure in force that day.
STRUCTURE_WORDS = {"2024": date(2024, 12, 31), "2025": date(2025, 7, 1)}


class UnknownStructureError(UnknownNameError):
    kind = "unit structure"

    def render(self, lang: str | None = None) -> str:
        return tr(lang or "vi", f"Không hiểu cơ cấu đơn vị {self.name!r}", f"Unknown unit structure {self.name!r}")


def parse_structure(text: str | None) -> date | None:
    """``2024``, ``2025`` or a date; None (or empty): each period in the structure valid at its end."""
    if text is None or not text.strip():
        return None
    word = STRUCTURE_WORDS.get(text.strip())
    if word is not None:
        return word
    try:
        return rb.parse_structure(text)
    except ChisoError:
        raise UnknownStructureError(text, [*STRUCTURE_WORDS, "2025-07-01", "01/07/2025"]) from None


@functools.lru_cache(maxsize=16)
def change_days(cat: Catalogue) -> tuple[date, ...]:
    """The days a unit structure changed: a unit began, or the day after one ended."""
    days = {u.valid_from for u in cat.units.values() if u.valid_from is not None}
    days |= {u.valid_to + timedelta(days=1) for u in cat.units.values() if u.valid_to is not None}
    return tuple(sorted(days))


def crosses_change(cat: Catalogue, p: Period) -> bool:
    return any(p.start < d <= p.end for d in change_days(cat))


def shown_structure(cat: Catalogue, p: Period, asked: date | None) -> date | None:
    """The structure a period is shown in: the asked one; by default the one valid at the period's end, which
    needs rebasing (None: nothing to rebase) only when the structure changed inside the period."""
    if asked is not None:
        return asked
    return p.end if crosses_change(cat, p) else None


def unit_structure(unit: Unit, day: date) -> date:
    """``day``, moved into the unit's own validity: a unit's series is shown in a structure it belongs to."""
    if unit.valid_from is not None and day < unit.valid_from:
        return unit.valid_from
    if unit.valid_to is not None and day > unit.valid_to:
        return unit.valid_to
    return day


def needs_rebase(cat: Catalogue, unit: Unit, window: Period) -> bool:
    """Whether a unit's figures over ``window`` cross a change of structure: it began or ended inside it, or
    units it took over were valid then."""
    if unit.is_group:
        return False
    if (unit.valid_from is not None and unit.valid_from > window.start) or (
            unit.valid_to is not None and unit.valid_to < window.end):
        return True
    return any(a.unit.overlaps(window.start, window.end) for a in cat.lineage(unit))


# --- what a page shows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One answer as a page shows it. ``as_of`` is set when the period itself has no value and the latest
    sub-period inside it answers instead (e.g. 2024-09 for 2024)."""

    indicator: Indicator
    unit: Unit
    period: Period
    value: float | None
    target: float | None = None
    attainment: float | None = None
    as_of: str | None = None
    approximate: bool = False
    qualifier: str | None = None
    source: str | None = None
    document: str | None = None
    numerator: float | None = None
    denominator: float | None = None
    complete: bool = True

    @property
    def shown_period(self) -> str:
        return self.as_of or str(self.period)

    @property
    def behind(self) -> bool:
        return self.attainment is not None and self.attainment < 1


def cell_of(ans: Answer, as_of: str | None = None, target: float | None = None) -> Cell:
    f = ans.figure
    tv = ans.target.value if ans.target else target
    att = ans.attainment
    if att is None and tv is not None and ans.value is not None:
        att = attainment(ans.indicator, ans.value, tv)  # a sub-period's figure against the period's target
    return Cell(
        ans.indicator, ans.unit, ans.period, ans.value, tv, att, as_of,
        f.approximate if f else False, f.qualifier if f else None, f.source if f else None,
        f.document if f else None, f.numerator if f else None, f.denominator if f else None,
        f.complete if f else True,
    )


@dataclass
class Reader:
    """The engine and its snapshot for one page."""

    ws: Workspace
    snap: Snapshot
    engine: Engine
    policy: Policy
    _answers: dict[tuple[str, str, str], Answer] = field(default_factory=dict)
    _closures: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    @property
    def cat(self) -> Catalogue:
        return self.ws.catalogue

    def closure(self, unit: Unit, p: Period) -> list[str]:
        """The unit and everything its figure can be made of, in the structure at the period's end."""
        key = (unit.code, str(p))
        if key not in self._closures:
            out, todo = [], [unit]
            while todo:
                u = todo.pop()
                out.append(u.code)
                todo.extend(self.cat.components(u, p))
            self._closures[key] = out
        return self._closures[key]

    def may_answer(self, ind: Indicator, unit: Unit, p: Period) -> bool:
        """Whether the engine can find a figure at all: events in scope, or stored values in the unit's closure
        that are for ``p`` or tile it (recursively, as the engine combines sub-periods).

        A necessary condition only (the engine still decides); it spares the engine's search down to single
        days where nothing can come of it, which otherwise dominates a cold dashboard.
        """
        if ind.code in self.cat.event_indicators and self.engine.computed(ind, unit, p) is not None:
            return True
        held = self.snap.periods(ind.code, self.closure(unit, p), p)
        if not held:
            return False
        if ind.periods_rule is PeriodsRule.LATEST:
            return True
        if ind.periods_rule is PeriodsRule.NONE:
            return p in held
        return _tiles(p, held, {})

    def answer(self, ind: Indicator, unit: Unit, p: Period) -> Answer:
        key = (ind.code, unit.code, str(p))
        if key not in self._answers:
            if self.may_answer(ind, unit, p):
                self._answers[key] = self.engine.value(ind, unit, p, compare=False)
            else:
                self._answers[key] = Answer(ind, unit, p, None, self.engine.target(ind, unit, p))
        return self._answers[key]

    def value(self, ind: Indicator, unit: Unit, p: Period) -> Cell:
        return cell_of(self.answer(ind, unit, p))

    def latest(self, ind: Indicator, unit: Unit, p: Period) -> Cell:
        """The value for ``p``; failing that, the latest sub-period inside ``p`` that has one."""
        ans = self.answer(ind, unit, p)
        if ans.value is not None:
            return cell_of(ans)
        target = ans.target.value if ans.target else None
        for q in self.snap.periods(ind.code, self.closure(unit, p), p)[:FALLBACK_TRIES]:
            if q == p:
                continue
            sub = self.answer(ind, unit, q)
            if sub.value is not None:
                return replace(cell_of(sub, as_of=str(q), target=target), period=p)
        return cell_of(ans)

    def series(self, ind: Indicator, unit: Unit, periods: Sequence[Period]) -> list[Cell]:
        return [self.value(ind, unit, q) for q in periods]

    def series_in(self, ind: Indicator, unit: Unit, periods: Sequence[Period]) -> list[Answer]:
        """A unit's series crossing a change, all in the structure of the newest period it belongs to."""
        s = unit_structure(unit, max(q.end for q in periods))
        return self.engine.series(ind, unit, periods, structure=s)

    def ranking(self, ind: Indicator, group: Unit, p: Period, structure: date | None = None) -> Ranking:
        """Members best first; when nobody has a value for ``p``, the latest sub-period that ranks anyone.
        ``structure``: rank the members of that date's structure, rebased (None: the structure at ``p``'s end)."""
        s = shown_structure(self.cat, p, structure)
        rows = self.engine.rank(ind, group, p, structure=s)
        if any(r.value is not None for r in rows):
            return Ranking(group, p, None, rows, s)
        members = {m.code for m in self.cat.components(group, p)}
        if s is not None:
            members |= {m.code for m in self.cat.components(group, Period.day(s))}
        for q in self.snap.periods(ind.code, sorted(members), p)[:FALLBACK_TRIES]:
            if q == p:
                continue
            sub = self.engine.rank(ind, group, q, structure=shown_structure(self.cat, q, structure))
            if any(r.value is not None for r in sub):
                return Ranking(group, p, str(q), sub, s)
        return Ranking(group, p, None, rows, s)


@dataclass(frozen=True)
class Ranking:
    group: Unit
    period: Period
    as_of: str | None
    rows: list[RankRow]
    structure: date | None = None  # the structure ranked in, when rebased (None: the one at the period's end)

    @property
    def rebased(self) -> list[RankRow]:
        return [r for r in self.rows if r.figure is not None and r.figure.rebase is not None]

    @property
    def ranked(self) -> list[RankRow]:
        return [r for r in self.rows if r.rank is not None]

    @property
    def shown_period(self) -> str:
        return self.as_of or str(self.period)


def _tiles(p: Period, held: Sequence[Period], memo: dict[Period, bool]) -> bool:
    """Whether values held for periods ``held`` can make ``p``: one is ``p``, or every sub-period of some
    tiling can be made in turn (a union over units: each unit's own tiling only needs its own values)."""
    if p in memo:
        return memo[p]
    inside = [q for q in held if p.contains(q)]
    ok = bool(inside) and (p in inside or any(
        subs and all(_tiles(sp, inside, memo) for sp in subs) for subs in (p.subperiods(k) for k in TILING_KINDS)))
    memo[p] = ok
    return ok


def series_periods(p: Period, n: int | None = None) -> list[Period]:
    n = n or SERIES_LENGTH.get(p.kind, 6)
    return [p.shift(-k) for k in range(n - 1, -1, -1)]


def window_of(periods: Iterable[Period]) -> Period:
    ps = list(periods)
    return Period(PeriodKind.SPAN, min(q.start for q in ps), max(q.end for q in ps))


@dataclass
class OverviewRow:
    indicator: Indicator
    cells: list[Cell]  # the nation, then the blocs
    trend: list[Cell]  # the nation over the last periods
    previous: Cell | None

    @property
    def nation(self) -> Cell:
        return self.cells[0]


@dataclass
class Overview:
    period: Period
    units: list[Unit]
    pillars: list[tuple[Pillar, list[OverviewRow]]]
    behind: list[Cell]
    ahead: list[Cell]
    seconds: float = 0.0
    queries: int = 0


@dataclass
class IndicatorView:
    indicator: Indicator
    period: Period
    periods: list[str]  # periods with data, for the filter
    group: Unit
    series_unit: Unit
    headline: list[Cell]
    series: list[Cell]
    rankings: list[Ranking]  # ministries, provinces
    focus: Ranking  # the ranking of ``group``: leaders, laggards, distribution
    bins: list[charts.Bin]
    structure: date | None = None  # as asked (None: each period in the structure valid at its end)
    series_answers: list[Answer] | None = None  # the series when rebased, for the note under the chart


@dataclass
class UnitRow:
    indicator: Indicator
    cell: Cell
    previous: Cell | None
    rank: int | None
    ranked: int  # peers with a rank
    history: list[Cell]
    answers: list[Answer] | None = None  # the history when rebased across a change, for its note


@dataclass
class UnitView:
    unit: Unit
    period: Period
    peers: Unit | None
    pillars: list[tuple[Pillar, list[UnitRow]]]
    history_periods: list[Period]
    members: list[Unit] = field(default_factory=list)
    groups: list[Unit] = field(default_factory=list)
    lineage: list[Ancestor] = field(default_factory=list)  # what the unit was made of
    successors: list[tuple[Unit, Successor]] = field(default_factory=list)  # what it became, one step on
    now_in: list[tuple[Unit, Successor]] = field(default_factory=list)  # who carries it today, if it ended


# --- the dashboards' data ----------------------------------------------------------------------------


class Dashboards:
    """Builds each page's data for a workspace; cached per (page, filters, policy, data version)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.cache = PageCache()
        self._sources: tuple[int, dict[str, SourceDocument]] | None = None

    @property
    def cat(self) -> Catalogue:
        return self.ws.catalogue

    def version(self) -> Version:
        return data_version(self.ws.store)

    def sources(self, version: Version) -> dict[str, SourceDocument]:
        if self._sources is None or self._sources[0] != version[0]:
            self._sources = (version[0], self.ws.store.sources())
        return self._sources[1]

    def reader(self, window: Period, policy: Policy, version: Version) -> Reader:
        snap = Snapshot(self.ws.store, window, policy, self.sources(version))
        events = EventMemo(self.ws.store.events)
        return Reader(self.ws, snap, Engine(self.cat, snap, events, statuses=policy.statuses), policy)

    def cached(self, key: Hashable, policy: Policy, make: Callable[[Version], T]) -> T:
        version = self.version()
        return self.cache.get((key, policy.scope), version, lambda: make(version))

    # defaults -------------------------------------------------------------------------------------
    def latest_year(self, policy: Policy) -> Period:
        """The year of the latest figure (stored or from events); this year when there is none."""
        c = s.data_value.c
        q = select(func.max(c.period_end))
        if policy.statuses is not None:
            q = q.where(c.status.in_(policy.statuses))
        with self.ws.store.engine.connect() as conn:
            last = conn.execute(q).scalar()
            last_event = conn.execute(select(func.max(s.event_agg.c.day))).scalar()
        ends = [d for d in (last, last_event) if d is not None]
        return Period.year(max(ends).year if ends else date.today().year)

    def indicator_periods(self, ind: Indicator, policy: Policy, limit: int = 40) -> list[Period]:
        """Periods the indicator has figures for, latest first (a year first among those ending together)."""
        c = s.data_value.c
        q = select(c.period, c.period_start, c.period_end).where(c.indicator == ind.code).distinct()
        if policy.statuses is not None:
            q = q.where(c.status.in_(policy.statuses))
        q = q.order_by(c.period_end.desc(), c.period_start).limit(limit)
        with self.ws.store.engine.connect() as conn:
            found = [_period(r[0]) for r in conn.execute(q)]
            ei = self.cat.event_indicators.get(ind.code)
            if ei is not None:
                e = s.event_agg.c
                day = conn.execute(select(func.max(e.day)).where(e.measure.in_(ei.measures))).scalar()
                if day is not None and Period.year(day.year) not in found:
                    found.append(Period.year(day.year))
        return sorted(set(found), key=lambda p: (p.end, -(p.end - p.start).days), reverse=True)

    def indicators_with_data(self, units: Collection[str] | None, window: Period, policy: Policy) -> set[str]:
        c = s.data_value.c
        q = select(c.indicator).distinct().where(c.period_start >= window.start, c.period_end <= window.end)
        if units is not None:
            q = q.where(c.unit.in_(sorted(units)))
        if policy.drafts_for is None:
            q = q.where(c.status == "approved")
        with self.ws.store.engine.connect() as conn:
            return {r[0] for r in conn.execute(q)}

    # pages ------------------------------------------------------------------------------------------
    def overview(self, period: Period | None, policy: Policy) -> Overview:
        return self.cached(("overview", str(period)), policy, lambda v: self._overview(period, policy, v))

    def _overview(self, period: Period | None, policy: Policy, version: Version) -> Overview:
        t0 = time.perf_counter()
        p = period or self.latest_year(policy)
        trend_periods = series_periods(p)
        rd = self.reader(window_of(trend_periods), policy, version)
        nation = self.cat.nation
        units = [nation, *self.cat.components(nation, p)]
        keys = [i for i in self.cat.indicators.values() if i.key]
        rd.snap.preload(i.code for i in keys)
        pillars: list[tuple[Pillar, list[OverviewRow]]] = []
        for pillar in Pillar:
            rows = []
            for ind in sorted((i for i in keys if i.pillar is pillar), key=lambda i: i.code):
                cells = [rd.latest(ind, u, p) for u in units]
                trend = [*rd.series(ind, nation, trend_periods[:-1]), rd.value(ind, nation, p)]
                prev = trend[-2] if len(trend) > 1 else None
                rows.append(OverviewRow(ind, cells, trend, prev))
            if rows:
                pillars.append((pillar, rows))
        behind, ahead = self._against_targets(rd, p)
        ov = Overview(p, units, pillars, behind, ahead)
        ov.seconds = time.perf_counter() - t0
        ov.queries = rd.snap.queries
        return ov

    def _against_targets(self, rd: Reader, p: Period) -> tuple[list[Cell], list[Cell]]:
        """Every (indicator, unit) with a target for the period or its year, behind and on or ahead of it."""
        wanted = [str(p)] if p.kind is PeriodKind.YEAR else [str(p), str(p.year_period())]
        seen: set[tuple[str, str]] = set()
        behind: list[Cell] = []
        ahead: list[Cell] = []
        for t in rd.snap.targets(periods=wanted):
            ind, unit = self.cat.indicators.get(t.indicator), self.cat.units.get(t.unit)
            if ind is None or unit is None or (t.indicator, t.unit) in seen:
                continue
            seen.add((t.indicator, t.unit))
            c = rd.latest(ind, unit, p)
            if c.attainment is None:
                continue
            (behind if c.behind else ahead).append(c)
        behind.sort(key=lambda c: (c.attainment or 0, c.indicator.code, c.unit.code))
        ahead.sort(key=lambda c: (-(c.attainment or 0), c.indicator.code, c.unit.code))
        return behind, ahead

    def indicator(self, ind: Indicator, period: Period | None, group: Unit, series_unit: Unit,
                  policy: Policy, structure: date | None = None) -> IndicatorView:
        key = ("indicator", ind.code, str(period), group.code, series_unit.code, str(structure))
        return self.cached(key, policy,
                           lambda v: self._indicator(ind, period, group, series_unit, policy, v, structure))

    def _indicator(self, ind: Indicator, period: Period | None, group: Unit, series_unit: Unit, policy: Policy,
                   version: Version, structure: date | None = None) -> IndicatorView:
        available = self.indicator_periods(ind, policy)
        p = period or (available[0] if available else self.latest_year(policy))
        sp = series_periods(p)
        rd = self.reader(window_of(sp), policy, version)
        nation = self.cat.nation
        blocs = self.cat.components(nation, p)
        headline = [rd.latest(ind, u, p) for u in [nation, *blocs]]
        answers = None
        if needs_rebase(self.cat, series_unit, window_of(sp)):  # a series across a change: one structure
            answers = rd.series_in(ind, series_unit, sp)
            series = [cell_of(a) for a in answers]
        else:
            series = rd.series(ind, series_unit, sp)
        rankings = [rd.ranking(ind, b, p, structure) for b in blocs]
        focus = next((r for r in rankings if r.group.code == group.code), None) or rd.ranking(ind, group, p,
                                                                                             structure)
        bins = charts.histogram_bins([r.value for r in focus.ranked if r.value is not None])
        periods = [str(q) for q in available]
        return IndicatorView(ind, p, periods, group, series_unit, headline, series, rankings, focus, bins,
                             structure, answers)

    def unit(self, unit: Unit, period: Period | None, policy: Policy) -> UnitView:
        return self.cached(("unit", unit.code, str(period)), policy, lambda v: self._unit(unit, period, policy, v))

    def _unit(self, unit: Unit, period: Period | None, policy: Policy, version: Version) -> UnitView:
        p = period or self.latest_year(policy)
        hp = series_periods(p)
        rd = self.reader(window_of(hp), policy, version)
        peers = next((self.cat.units[g] for g in unit.groups if g in self.cat.units), None)
        lineage = self.cat.lineage(unit)
        closure = [*rd.closure(unit, p), *(a.unit.code for a in lineage)]
        is_nation = unit.type is UnitType.NATION
        codes = self.indicators_with_data(None if is_nation else closure, window_of(hp), policy)
        rebased = needs_rebase(self.cat, unit, window_of(hp))
        s = unit_structure(unit, p.end)
        codes |= set(self.cat.event_indicators)
        pillars: list[tuple[Pillar, list[UnitRow]]] = []
        for pillar in Pillar:
            rows = []
            for ind in sorted((self.cat.indicators[c] for c in codes if c in self.cat.indicators
                               and self.cat.indicators[c].pillar is pillar), key=lambda i: i.code):
                answers = None
                if rebased:  # the whole history in the structure of the newest period the unit belongs to
                    answers = rd.series_in(ind, unit, hp)
                    history = [cell_of(a) for a in answers]
                    cell = history[-1] if history[-1].value is not None else rd.latest(ind, unit, p)
                else:
                    cell = rd.latest(ind, unit, p)
                    history = [*rd.series(ind, unit, hp[:-1]), rd.value(ind, unit, p)]
                if cell.value is None and all(h.value is None for h in history):
                    continue
                prev = history[-2] if len(history) > 1 else None
                rank, ranked = None, 0
                if peers is not None and cell.value is not None:
                    at = _period(cell.as_of) if cell.as_of else p
                    rows_ = rd.engine.rank(ind, peers, at, structure=s if rebased else None)
                    ranked = sum(1 for r in rows_ if r.rank is not None)
                    rank = next((r.rank for r in rows_ if r.unit.code == unit.code), None)
                rows.append(UnitRow(ind, cell, prev, rank, ranked, history, answers))
            if rows:
                pillars.append((pillar, rows))
        members = self.cat.components(unit, p)
        groups = [self.cat.units[g] for g in unit.groups if g in self.cat.units]
        now_in: list[tuple[Unit, Successor]] = []
        if unit.valid_to is not None:
            now_in = self.cat.successor_on(unit, max(date.today(), unit.valid_to + timedelta(days=1)))
        return UnitView(unit, p, peers, pillars, hp, members, groups, lineage, self.cat.successors(unit), now_in)


# --- labels and formats ----------------------------------------------------------------------------


REGION_NAMES = {
    "northern_midlands_mountains": ("Trung du và miền núi phía Bắc", "Northern midlands and mountains"),
    "red_river_delta": ("Đồng bằng sông Hồng", "Red River Delta"),
    "north_central_coast": ("Bắc Trung Bộ và duyên hải miền Trung", "North Central and Central Coast"),
    "central_highlands": ("Tây Nguyên", "Central Highlands"),
    "southeast": ("Đông Nam Bộ", "Southeast"),
    "mekong_delta": ("Đồng bằng sông Cửu Long", "Mekong River Delta"),
}


def region_label(region: str | None, lang: str) -> str:
    if region is None:
        return ""
    vi, en = REGION_NAMES.get(region, (region, region))
    return tr(lang, vi, en)


def unit_label(u: Unit, lang: str) -> str:
    """Ministries by their full name ("Bộ Tư pháp"), provinces and groups by their short one ("Đà Nẵng")."""
    if u.is_ministry:
        return u.name_en if lang == "en" and u.name_en else u.name
    if lang == "en" and u.is_group and u.name_en:
        return u.name_en
    return u.short


def value_text(x: float | None, ind: Indicator, lang: str) -> str:
    return fmt_value(x, ind.unit, ind.decimals, lang, kind=ind.kind)


def cell_text(c: Cell, lang: str) -> str:
    """'hơn 55,25 triệu tài khoản' for an approximate figure; '—' for none."""
    if c.value is None:
        return "—"
    text = value_text(c.value, c.indicator, lang)
    if c.approximate:
        q = c.qualifier if lang == "vi" and c.qualifier else ("~" if lang == "en" else "khoảng")
        text = f"{q} {text}" if q != "~" else f"~{text}"
    return text


def change_text(now: float | None, before: float | None, ind: Indicator, lang: str) -> str:
    """Change on the previous period: points for a rate (+2,3 điểm %), percent otherwise (+12,5%)."""
    if now is None or before is None:
        return ""
    if ind.is_rate:
        d = now - before
        unit = "điểm %" if lang == "vi" else "pp"
        return f"{'+' if d > 0 else ''}{fmt_number(d, ind.decimals, lang)} {unit}"
    if ind.is_rank:
        d = before - now  # climbing means a smaller number
        word = tr(lang, "bậc", "places")
        return f"{'+' if d > 0 else ''}{fmt_number(d, 0, lang)} {word}"
    if before == 0:
        return ""
    d = 100 * (now - before) / before
    return f"{'+' if d > 0 else ''}{fmt_number(d, 1, lang)}%"


def better(now: float | None, before: float | None, ind: Indicator) -> bool | None:
    if now is None or before is None or now == before or ind.direction is Direction.NEUTRAL:
        return None
    return (now > before) == (ind.direction is Direction.HIGHER)


# --- tables for download -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    vi: str
    en: str


Cellish = str | float | int | None


@dataclass
class DataTable:
    stem: str  # the file name without extension
    title: tuple[str, str]
    columns: list[Column]
    rows: list[list[Cellish]]

    def header(self, lang: str) -> list[str]:
        return [c.en if lang == "en" else c.vi for c in self.columns]


def to_csv(table: DataTable, lang: str) -> bytes:
    """UTF-8 with a BOM (Excel then reads the diacritics); numbers exact, with '.' as the decimal mark."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(table.header(lang))
    for row in table.rows:
        w.writerow(["" if x is None else number_text(x) if isinstance(x, int | float) else x for x in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: DataTable, lang: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = (table.title[1] if lang == "en" else table.title[0])[:31]
    ws.append(table.header(lang))
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in table.rows:
        ws.append(list(row))
    for r in ws.iter_rows(min_row=2):
        for c in r:
            if isinstance(c.value, float):
                c.number_format = "#,##0" if c.value.is_integer() else "#,##0.00##"
            elif isinstance(c.value, int):
                c.number_format = "#,##0"
    ws.freeze_panes = "A2"
    for i, col in enumerate(table.header(lang), start=1):
        width = max([len(col), *(len(str(r[i - 1])) for r in table.rows if r[i - 1] is not None)])
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, max(8, width + 2))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def download(table: DataTable, fmt: Fmt, lang: str) -> Response:
    if fmt == "xlsx":
        body = to_xlsx(table, lang)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = to_csv(table, lang), "text/csv; charset=utf-8"
    name = f"{table.stem}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


C_PILLAR = Column("Trụ cột", "Pillar")
C_CODE = Column("Mã chỉ tiêu", "Indicator code")
C_NAME = Column("Chỉ tiêu", "Indicator")
C_UNIT_CODE = Column("Mã đơn vị", "Unit code")
C_UNIT = Column("Đơn vị", "Unit")
C_PERIOD = Column("Kỳ", "Period")
C_AS_OF = Column("Số liệu của kỳ", "Figure for period")
C_VALUE = Column("Giá trị", "Value")
C_MEASURE = Column("Đơn vị tính", "Unit of measure")
C_TARGET = Column("Mục tiêu", "Target")
C_ATTAIN = Column("Tỷ lệ đạt (%)", "Attainment (%)")
C_APPROX = Column("Ước tính", "Approximate")
C_SOURCE = Column("Nguồn", "Source")


def _attain(c: Cell) -> float | None:
    return None if c.attainment is None else round(100 * c.attainment, 2)


def _approx(c: Cell, lang: str) -> str:
    return (c.qualifier or tr(lang, "có", "yes")) if c.approximate else ""


def _cell_row(c: Cell, lang: str) -> list[Cellish]:
    ind = c.indicator
    return [ind.code, ind.name.get(lang), c.unit.code, unit_label(c.unit, lang), str(c.period), c.shown_period,
            c.value, ind.unit, c.target, _attain(c), _approx(c, lang)]


CELL_COLUMNS = [C_CODE, C_NAME, C_UNIT_CODE, C_UNIT, C_PERIOD, C_AS_OF, C_VALUE, C_MEASURE, C_TARGET, C_ATTAIN,
                C_APPROX]


def overview_table(ov: Overview, lang: str) -> DataTable:
    rows = [[PILLAR_NAMES[pillar].get(lang), *_cell_row(c, lang)]
            for pillar, rs in ov.pillars for r in rs for c in r.cells]
    return DataTable(f"tong-quan_{ov.period}", ("Tổng quan", "Overview"), [C_PILLAR, *CELL_COLUMNS], rows)


def targets_table(ov: Overview, lang: str) -> DataTable:
    rows = [[tr(lang, "chậm", "behind"), *_cell_row(c, lang)] for c in ov.behind]
    rows += [[tr(lang, "đạt", "on target"), *_cell_row(c, lang)] for c in ov.ahead]
    return DataTable(f"muc-tieu_{ov.period}", ("So với mục tiêu", "Against targets"),
                     [Column("Tình trạng", "Status"), *CELL_COLUMNS], rows)


def series_table(v: IndicatorView, lang: str) -> DataTable:
    rows: list[list[Cellish]] = [[*_cell_row(c, lang), c.numerator, c.denominator, c.document or ""]
                                 for c in v.series]
    return DataTable(f"chuoi_{v.indicator.code}_{v.series_unit.code}_{v.period}", ("Chuỗi số liệu", "Series"),
                     [*CELL_COLUMNS, Column("Tử số", "Numerator"), Column("Mẫu số", "Denominator"), C_SOURCE], rows)


def summary_table(v: IndicatorView, lang: str) -> DataTable:
    rows = [_cell_row(c, lang) for c in v.headline]
    return DataTable(f"tom-tat_{v.indicator.code}_{v.period}", ("Tóm tắt", "Summary"), CELL_COLUMNS, rows)


def ranking_table(ind: Indicator, rk: Ranking, lang: str) -> DataTable:
    rows: list[list[Cellish]] = []
    for r in rk.rows:
        f = r.figure
        approx = ((f.qualifier or tr(lang, "có", "yes")) if f is not None and f.approximate else "")
        rows.append([r.rank, r.unit.code, unit_label(r.unit, lang), r.value, ind.unit, rk.shown_period, approx,
                     (f.document or "") if f else ""])
    return DataTable(f"xep-hang_{ind.code}_{rk.group.code}_{rk.period}", ("Xếp hạng", "Ranking"),
                     [Column("Hạng", "Rank"), C_UNIT_CODE, C_UNIT, C_VALUE, C_MEASURE, C_AS_OF, C_APPROX, C_SOURCE],
                     rows)


def distribution_table(v: IndicatorView, lang: str) -> DataTable:
    rows: list[list[Cellish]] = [[b.lo, b.hi, b.count] for b in v.bins]
    return DataTable(f"phan-bo_{v.indicator.code}_{v.focus.group.code}_{v.period}", ("Phân bố", "Distribution"),
                     [Column("Từ", "From"), Column("Đến", "To"), Column("Số đơn vị", "Units")], rows)


def unit_table(v: UnitView, lang: str) -> DataTable:
    rows: list[list[Cellish]] = []
    for pillar, rs in v.pillars:
        for r in rs:
            prev = r.previous
            rows.append([PILLAR_NAMES[pillar].get(lang), *_cell_row(r.cell, lang),
                         str(prev.period) if prev else None, prev.value if prev else None,
                         r.rank, r.ranked if r.rank is not None else None])
    return DataTable(f"don-vi_{v.unit.code}_{v.period}", ("Chỉ tiêu của đơn vị", "Unit indicators"),
                     [C_PILLAR, *CELL_COLUMNS, Column("Kỳ trước", "Previous period"),
                      Column("Giá trị kỳ trước", "Previous value"), Column("Hạng", "Rank"),
                      Column("Trong số", "Out of")], rows)


def history_table(v: UnitView, lang: str) -> DataTable:
    cols = [C_CODE, C_NAME, C_MEASURE, *(Column(str(q), str(q)) for q in v.history_periods)]
    rows: list[list[Cellish]] = [[r.indicator.code, r.indicator.name.get(lang), r.indicator.unit,
                                  *(h.value for h in r.history)] for _, rs in v.pillars for r in rs]
    return DataTable(f"lich-su_{v.unit.code}_{v.period}", ("Lịch sử", "History"), cols, rows)


# --- the web layer -----------------------------------------------------------------------------------


class PageError(Exception):
    """An unknown name in a page's path or query: the page says so with the nearest names."""

    def __init__(self, status: int, field: str, exc: UnknownNameError) -> None:
        super().__init__(str(exc))
        self.status, self.field, self.exc = status, field, exc


def policy_of(request: Request, ws: Workspace, drafts: bool) -> Policy:
    """Public unless a logged-in user asks for drafts: then the unapproved values of their subtree too."""
    if not drafts:
        return PUBLIC
    user: User | None = load_user(request)
    if user is None or not user.active:
        return PUBLIC
    root = ws.catalogue.units.get(user.unit)
    if root is None:
        return PUBLIC
    scope, todo = set(), [root]
    while todo:
        u = todo.pop()
        if u.code not in scope:
            scope.add(u.code)
            todo.extend(ws.catalogue.components(u))
    return Policy(frozenset(scope), f"drafts:{user.unit}")


def parse_period_param(text: str | None, field: str = "period") -> Period | None:
    if text is None or not text.strip():
        return None
    try:
        return Period.parse(text)
    except UnknownPeriodError as exc:
        raise PageError(422, field, exc) from exc


def unit_param(cat: Catalogue, ref: str | None, field: str, default: Unit, status: int = 422) -> Unit:
    if ref is None or not ref.strip():
        return default
    try:
        return cat.unit(ref)
    except UnknownUnitError as exc:
        raise PageError(status, field, exc) from exc


def structure_param(text: str | None) -> date | None:
    try:
        return parse_structure(text)
    except UnknownStructureError as exc:
        raise PageError(400, "structure", exc) from exc


def group_param(cat: Catalogue, ref: str | None, default: str = "provinces") -> Unit:
    g = unit_param(cat, ref, "group", cat.units[default])
    if g.type is not UnitType.GROUP:
        names = [f"{x.code} ({x.short})" for x in cat.groups()]
        raise PageError(422, "group", UnknownUnitError(ref or "", names, detail="not a group of units"))
    return g


# Where each archipelago's marker sits beside the province that holds it, in each structure's grid.
ISLAND_CELLS = {"P48": (10, 7), "P56": (19, 7), "P48-2025": (10, 6), "P56-2025": (16, 6)}


def _islands(cat: Catalogue, lang: str, period: str, day: date) -> list[charts.Island]:
    # Vietnam's maps show both archipelagos: Hoàng Sa belongs to Đà Nẵng, Trường Sa to Khánh Hòa (in any
    # structure: the province that carries the 2024 one on ``day``).
    out = []
    for testid, vi, en, former in (("island-hoang-sa", "Quần đảo Hoàng Sa", "Hoàng Sa archipelago", "P48"),
                                   ("island-truong-sa", "Quần đảo Trường Sa", "Trường Sa archipelago", "P56")):
        if former not in cat.units:
            continue
        carriers = cat.successor_on(cat.units[former], day) or [(cat.units[former], Successor(unit=former))]
        u = carriers[0][0]
        cell = ISLAND_CELLS.get(u.code) or ((u.grid[0] - 1, u.grid[1] + 1) if u.grid else None)
        if cell is None:
            continue
        out.append(charts.Island(testid, tr(lang, vi, en), u.short, cell[0], cell[1],
                                 f"/units/{u.code}?period={period}"))
    return out


def map_of(cat: Catalogue, ind: Indicator, rk: Ranking | None, p: Period, lang: str) -> Markup:
    """The provinces of the ranking's structure (by default, the one valid at the period's end) as tiles."""
    by_code = {r.unit.code: r for r in rk.rows} if rk is not None else {}
    day = rk.structure if rk is not None and rk.structure is not None else p.end
    units = [r.unit for r in rk.rows] if rk is not None and rk.rows else cat.members("provinces", p)
    tiles = []
    for u in sorted((u for u in units if u.grid is not None), key=lambda u: u.code):
        assert u.grid is not None
        r = by_code.get(u.code)
        value = r.value if r is not None else None
        tiles.append(charts.Tile(u.code, u.short, u.grid[0], u.grid[1], value, value_text(value, ind, lang),
                                 f"/units/{u.code}?period={p}", r.rank if r is not None else None))
    return charts.tile_map(
        tiles, _islands(cat, lang, str(p), day), fmt=lambda x: fmt_number(x, ind.decimals, lang),
        title=tr(lang, f"Bản đồ các tỉnh: {ind.name.vi}, {rk.shown_period if rk else p}",
                 f"Map of the provinces: {ind.name.en}, {rk.shown_period if rk else p}"),
        no_data_text=tr(lang, "Chưa có số liệu", "No data"),
    )


def rebase_note(ind: Indicator, cat: Catalogue, r: RankRow | Answer, p: Period, lang: str) -> str | None:
    """A rebased figure's note in the reader's language (pages are cached across languages)."""
    f = r.figure
    if f is None or f.rebase is None:
        return None
    if f.rebase.refused:
        return rb.refusal(f.rebase, ind, cat, p, lang)
    return rb.describe(f.rebase, cat, p, lang)


def structure_label(d: date | None, lang: str) -> str:
    if d is None:
        return tr(lang, "theo kỳ", "by period")
    return tr(lang, f"cơ cấu đơn vị ngày {d:%d/%m/%Y}", f"unit structure of {rb.fmt_date(d, 'en')}")


def _fmt_axis(ind: Indicator, lang: str) -> Callable[[float], str]:
    def f(x: float) -> str:
        if abs(x) >= 1_000_000:
            return fmt_compact(x, lang)
        return fmt_number(x, ind.decimals, lang)

    return f


def _unit_known(ws: Workspace, code: str) -> Unit:
    try:
        return ws.catalogue.unit(code)
    except UnknownUnitError as exc:
        raise PageError(404, "code", exc) from exc


def register(app: FastAPI, ws: Workspace) -> None:
    """The dashboard pages and their downloads. Idempotent: a second call on the same app does nothing."""
    if getattr(app.state, "pages_registered", False):
        return
    app.state.pages_registered = True
    dash = getattr(app.state, "dashboards", None)
    if not isinstance(dash, Dashboards):  # one cache for the pages and the API
        dash = app.state.dashboards = Dashboards(ws)
    cat = ws.catalogue

    def error_page(request: Request, template: str, err: PageError) -> HTMLResponse:
        load_user(request)  # the header shows who is logged in
        lang = lang_of(request)
        return render(request, template, {
            "error": err.exc.render(lang), "error_field": err.field, "suggestions": err.exc.suggestions,
            "page": None,
        }, status_code=err.status)

    def indicator_known(code: str) -> Indicator:
        try:
            return cat.indicator(code)
        except UnknownNameError as exc:
            raise PageError(404, "code", exc) from exc

    def common(request: Request) -> dict[str, Any]:
        load_user(request)  # the header and the drafts switch show who is logged in
        lang = lang_of(request)
        return {
            "pillar_name": lambda p: PILLAR_NAMES[p].get(lang),
            "unit_label": lambda u: unit_label(u, lang),
            "cell_text": lambda c: cell_text(c, lang),
            "change_text": lambda a, b, ind: change_text(a, b, ind, lang),
            "region_label": lambda r: region_label(r, lang),
            "better": better,
            "query": lambda **kw: urlencode({k: str(v) for k, v in kw.items() if v not in (None, "")}),
        }

    # the overview ---------------------------------------------------------------------------------
    def overview_view(request: Request, period: str | None, drafts: bool) -> Overview:
        return dash.overview(parse_period_param(period), policy_of(request, ws, drafts))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_page(request: Request, period: str | None = None, group: str | None = None,
                      drafts: bool = False) -> HTMLResponse:
        lang = lang_of(request)
        try:
            ov = overview_view(request, period, drafts)
            only = group_param(cat, group) if group else None
        except PageError as err:
            return error_page(request, "overview.html", err)
        cols = [i for i, u in enumerate(ov.units) if only is None or i == 0 or u.code == only.code]
        sparks = {r.indicator.code: charts.sparkline(
            [c.value for c in r.trend], invert=r.indicator.is_rank,
            title=", ".join(f"{c.period}: {cell_text(c, lang)}" for c in r.trend if c.value is not None))
            for _, rs in ov.pillars for r in rs}
        return render(request, "overview.html", {
            **common(request), "page": ov, "cols": cols, "group": only.code if only else "", "sparks": sparks,
            "drafts": drafts, "period_text": str(ov.period),
            "groups": cat.groups(),
            "catalogue": [(p, sorted(cat.by_pillar(p), key=lambda i: (not i.key, i.code))) for p in Pillar],
            "latest_report": next(iter(core.list_reports(ws)), None),
        })

    @app.get("/overview.{fmt}", include_in_schema=False)
    def overview_download(request: Request, fmt: Fmt, period: str | None = None, drafts: bool = False) -> Response:
        try:
            ov = overview_view(request, period, drafts)
        except PageError as err:
            return error_page(request, "overview.html", err)
        return download(overview_table(ov, lang_of(request)), fmt, lang_of(request))

    @app.get("/overview/targets.{fmt}", include_in_schema=False)
    def targets_download(request: Request, fmt: Fmt, period: str | None = None, drafts: bool = False) -> Response:
        try:
            ov = overview_view(request, period, drafts)
        except PageError as err:
            return error_page(request, "overview.html", err)
        return download(targets_table(ov, lang_of(request)), fmt, lang_of(request))

    # an indicator -----------------------------------------------------------------------------------
    def indicator_view(request: Request, code: str, period: str | None, group: str | None, unit: str | None,
                       drafts: bool, structure: str | None = None) -> IndicatorView:
        ind = indicator_known(code)
        p = parse_period_param(period)
        g = group_param(cat, group)
        su = unit_param(cat, unit, "unit", cat.nation)
        return dash.indicator(ind, p, g, su, policy_of(request, ws, drafts), structure_param(structure))

    @app.get("/indicators/{code}", response_class=HTMLResponse, include_in_schema=False)
    def indicator_page(request: Request, code: str, period: str | None = None, group: str | None = None,
                       unit: str | None = None, drafts: bool = False, structure: str | None = None) -> HTMLResponse:
        lang = lang_of(request)
        try:
            v = indicator_view(request, code, period, group, unit, drafts, structure)
        except PageError as err:
            return error_page(request, "indicator.html", err)
        ind = v.indicator
        axis = _fmt_axis(ind, lang)
        chart = charts.line_chart(
            [str(c.period) for c in v.series],
            [charts.Line(unit_label(v.series_unit, lang), [c.value for c in v.series])],
            fmt=axis, target=[c.target for c in v.series], target_label=tr(lang, "Mục tiêu", "Target"),
            title=tr(lang, f"{ind.name.vi}: {unit_label(v.series_unit, lang)} theo kỳ",
                     f"{ind.name.en}: {unit_label(v.series_unit, lang)} by period"),
            empty_text=tr(lang, "Chưa có số liệu trong các kỳ này", "No figures in these periods"),
            invert=ind.is_rank,
        )
        provinces = next((r for r in v.rankings if r.group.code == "provinces"), None)
        hist = charts.histogram(
            v.bins, fmt=lambda x: fmt_number(x, ind.decimals, lang),
            title=tr(lang, f"Phân bố giá trị: {unit_label(v.focus.group, lang)}",
                     f"Distribution of values: {unit_label(v.focus.group, lang)}"),
            empty_text=tr(lang, "Chưa có số liệu", "No data"),
        )
        ranked = v.focus.ranked
        n = min(5, len(ranked) // 2) if len(ranked) >= 4 else len(ranked)
        leaders = ranked[:n]
        laggards = list(reversed(ranked[-n:])) if len(ranked) >= 4 else []
        notes = {(rk.group.code, r.unit.code): rebase_note(ind, cat, r, _period(rk.shown_period), lang)
                 for rk in v.rankings for r in rk.rebased}
        structure_text = (structure or "").strip()
        return render(request, "indicator.html", {
            **common(request), "page": v, "ind": ind, "chart": chart,
            "series_note": rb.series_note(v.series_answers, cat, lang) if v.series_answers else None,
            "rank_notes": notes, "structure": structure_text,
            "structure_choices": [("", tr(lang, "theo kỳ (mặc định)", "by period (default)")),
                                  ("2024", tr(lang, "2024 (63 tỉnh, 22 bộ)", "2024 (63 provinces, 22 ministries)")),
                                  ("2025", tr(lang, "2025 (34 tỉnh, 17 bộ)", "2025 (34 provinces, 17 ministries)"))],
            "structure_label": lambda d: structure_label(d, lang),
            "map": map_of(cat, ind, provinces, v.period, lang),
            "histogram": hist, "leaders": leaders, "laggards": laggards, "drafts": drafts,
            "groups": cat.groups(), "units": sorted(cat.units.values(), key=lambda u: (u.type != UnitType.NATION,
                                                                                      u.type != UnitType.GROUP,
                                                                                      u.code)),
            "value_text": lambda x: value_text(x, ind, lang),
            "pillar": PILLAR_NAMES[ind.pillar].get(lang),
        })

    @app.get("/indicators/{code}/series.{fmt}", include_in_schema=False)
    def series_download(request: Request, code: str, fmt: Fmt, period: str | None = None, unit: str | None = None,
                        drafts: bool = False) -> Response:
        try:
            v = indicator_view(request, code, period, None, unit, drafts)
        except PageError as err:
            return error_page(request, "indicator.html", err)
        return download(series_table(v, lang_of(request)), fmt, lang_of(request))

    @app.get("/indicators/{code}/summary.{fmt}", include_in_schema=False)
    def summary_download(request: Request, code: str, fmt: Fmt, period: str | None = None,
                         drafts: bool = False) -> Response:
        try:
            v = indicator_view(request, code, period, None, None, drafts)
        except PageError as err:
            return error_page(request, "indicator.html", err)
        return download(summary_table(v, lang_of(request)), fmt, lang_of(request))

    @app.get("/indicators/{code}/ranking.{fmt}", include_in_schema=False)
    def ranking_download(request: Request, code: str, fmt: Fmt, period: str | None = None,
                         group: str | None = None, drafts: bool = False, structure: str | None = None) -> Response:
        try:
            v = indicator_view(request, code, period, group, None, drafts, structure)
        except PageError as err:
            return error_page(request, "indicator.html", err)
        return download(ranking_table(v.indicator, v.focus, lang_of(request)), fmt, lang_of(request))

    @app.get("/indicators/{code}/distribution.{fmt}", include_in_schema=False)
    def distribution_download(request: Request, code: str, fmt: Fmt, period: str | None = None,
                              group: str | None = None, drafts: bool = False) -> Response:
        try:
            v = indicator_view(request, code, period, group, None, drafts)
        except PageError as err:
            return error_page(request, "indicator.html", err)
        return download(distribution_table(v, lang_of(request)), fmt, lang_of(request))

    # a unit -----------------------------------------------------------------------------------------
    def unit_view(request: Request, code: str, period: str | None, drafts: bool) -> UnitView:
        u = _unit_known(ws, code)
        return dash.unit(u, parse_period_param(period), policy_of(request, ws, drafts))

    @app.get("/units/{code}", response_class=HTMLResponse, include_in_schema=False)
    def unit_page(request: Request, code: str, period: str | None = None, drafts: bool = False) -> HTMLResponse:
        lang = lang_of(request)
        try:
            v = unit_view(request, code, period, drafts)
        except PageError as err:
            return error_page(request, "unit.html", err)
        sparks = {r.indicator.code: charts.sparkline(
            [h.value for h in r.history], invert=r.indicator.is_rank,
            title=", ".join(f"{h.period}: {cell_text(h, lang)}" for h in r.history if h.value is not None))
            for _, rs in v.pillars for r in rs}
        notes = list(dict.fromkeys(n for _, rs in v.pillars for r in rs if r.answers
                                   for n in [rb.series_note(r.answers, cat, lang)] if n))
        return render(request, "unit.html", {
            **common(request), "page": v, "sparks": sparks, "drafts": drafts, "series_notes": notes,
            "fmt_date": lambda d: rb.fmt_date(d, lang),
            "value_text": lambda x, ind: value_text(x, ind, lang),
        })

    @app.get("/units/{code}/indicators.{fmt}", include_in_schema=False)
    def unit_download(request: Request, code: str, fmt: Fmt, period: str | None = None,
                      drafts: bool = False) -> Response:
        try:
            v = unit_view(request, code, period, drafts)
        except PageError as err:
            return error_page(request, "unit.html", err)
        return download(unit_table(v, lang_of(request)), fmt, lang_of(request))

    @app.get("/units/{code}/history.{fmt}", include_in_schema=False)
    def history_download(request: Request, code: str, fmt: Fmt, period: str | None = None,
                         drafts: bool = False) -> Response:
        try:
            v = unit_view(request, code, period, drafts)
        except PageError as err:
            return error_page(request, "unit.html", err)
        return download(history_table(v, lang_of(request)), fmt, lang_of(request))

