"""The dashboards' data: what the overview, an indicator and a unit show, built from the engine and cached per
data version (``Dashboards``, ``PageCache``). The HTML pages (``web.pages``), their downloads
(``web.downloads``) and the read API (``web.api``) share one ``Dashboards`` per app (``web.deps.dashboards``).

The numbers come from the engine as every view asks it (``chiso.engine.reading``: a page's ``Snapshot`` of
the stored values, a ``Reader`` that asks only where a figure can be made, the "latest sub-period" fallback);
structures from ``chiso.engine.structure``; the default period from ``chiso.engine.latest``. A saved value
shows at once; after new event batches a cached page stands ``EVENT_GRACE`` seconds, then is served while it
is recomputed in the background.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from chiso import charts
from chiso.app import Workspace
from chiso.catalogue import Ancestor, Catalogue
from chiso.catalogue.models import Indicator, Pillar, SourceDocument, Successor, Unit, UnitType
from chiso.catalogue.periods import Period, PeriodKind
from chiso.engine import Answer, Engine
from chiso.engine import latest as lt
from chiso.engine.reading import (
    Cell,
    EventMemo,
    Policy,
    Ranking,
    Reader,
    Snapshot,
    cell_of,
    period_of,
    series_periods,
    window_of,
)
from chiso.engine.structure import needs_rebase, unit_structure

T = TypeVar("T")
log = logging.getLogger(__name__)

EVENT_GRACE = 5.0  # seconds a cached page may lag the event stream
CACHE_TTL = 300.0  # bounds staleness after a full event recompute, which leaves no batch behind

Version = tuple[int, int, int]


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
    years: lt.DataYears | None = None  # the key indicators' years with figures: the complete one, the live one
    streams: list[str] = field(default_factory=list)  # the active event sources, for what the live year is

    @property
    def live(self) -> Period | None:
        """The year being filled live by events, newer than the last complete one (None: none such)."""
        return self.years.live if self.years is not None else None

    @property
    def complete(self) -> Period | None:
        return self.years.complete if self.years is not None else None


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
        self._years: tuple[Version, str, lt.DataYears] | None = None

    @property
    def cat(self) -> Catalogue:
        return self.ws.catalogue

    def version(self) -> Version:
        return self.ws.store.data_version()

    def sources(self, version: Version) -> dict[str, SourceDocument]:
        if self._sources is None or self._sources[0] != version[0]:
            self._sources = (version[0], self.ws.store.sources())
        return self._sources[1]

    def reader(self, window: Period, policy: Policy, version: Version) -> Reader:
        snap = Snapshot(self.ws.store, window, policy, self.sources(version))
        events = EventMemo(self.ws.store.events)
        return Reader(Engine(self.cat, snap, events, statuses=policy.statuses), snap)

    def cached(self, key: Hashable, policy: Policy, make: Callable[[Version], T]) -> T:
        version = self.version()
        key = (key, policy.scope, self.ws.catalogue_generation)  # new definitions: new pages
        return self.cache.get(key, version, lambda: make(version))

    # defaults (chiso.engine.latest: the latest period with data) ----------------------------------------
    def years(self, policy: Policy, version: Version | None = None) -> lt.DataYears:
        """The key indicators' years with figures, as ``policy`` sees them; kept per data version."""
        version = version or self.version()
        got = self._years
        scope = f"{policy.scope}@{self.ws.catalogue_generation}"  # the key indicators are the catalogue's
        if got is None or got[0] != version or got[1] != scope:
            keys = sorted((i for i in self.cat.indicators.values() if i.key), key=lambda i: i.code)
            got = (version, scope, lt.data_years(self.cat, self.ws.store, keys, policy.statuses))
            self._years = got
        return got[2]

    def default_year(self, policy: Policy, version: Version | None = None) -> Period:
        """Where a page of many indicators opens: the latest year with figures for most key indicators (else
        the latest with any; this year when there is none)."""
        return self.years(policy, version).default or Period.year(date.today().year)

    def indicator_periods(self, ind: Indicator, policy: Policy, limit: int = 40) -> list[Period]:
        """Periods the indicator has figures for, latest first (a year first among those ending together)."""
        return lt.indicator_periods(self.cat, self.ws.store, ind, policy.statuses, limit)

    def indicators_with_data(self, units: Collection[str] | None, window: Period, policy: Policy) -> set[str]:
        drafts = policy.drafts_for is not None
        return self.ws.store.indicators_with_values(window, units=units, statuses=None if drafts else ("approved",))

    # pages ------------------------------------------------------------------------------------------
    def overview(self, period: Period | None, policy: Policy) -> Overview:
        return self.cached(("overview", str(period)), policy, lambda v: self._overview(period, policy, v))

    def _overview(self, period: Period | None, policy: Policy, version: Version) -> Overview:
        t0 = time.perf_counter()
        years = self.years(policy, version)
        p = period or years.default or Period.year(date.today().year)
        trend_periods = series_periods(p)
        rd = self.reader(window_of(trend_periods), policy, version)
        snap = rd.snap
        assert snap is not None
        nation = self.cat.nation
        units = [nation, *self.cat.components(nation, p)]
        keys = [i for i in self.cat.indicators.values() if i.key]
        snap.preload(i.code for i in keys)
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
        streams = [x.name for x in self.ws.store.events.sources() if x.active] if years.live else []
        ov = Overview(p, units, pillars, behind, ahead, years=years, streams=streams)
        ov.seconds = time.perf_counter() - t0
        ov.queries = snap.queries
        return ov

    def _against_targets(self, rd: Reader, p: Period) -> tuple[list[Cell], list[Cell]]:
        """Every (indicator, unit) with a target for the period or its year, behind and on or ahead of it."""
        wanted = [str(p)] if p.kind is PeriodKind.YEAR else [str(p), str(p.year_period())]
        seen: set[tuple[str, str]] = set()
        behind: list[Cell] = []
        ahead: list[Cell] = []
        for tg in rd.engine.reader.targets(periods=wanted):
            ind, unit = self.cat.indicators.get(tg.indicator), self.cat.units.get(tg.unit)
            if ind is None or unit is None or (tg.indicator, tg.unit) in seen:
                continue
            seen.add((tg.indicator, tg.unit))
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
        p = period or (available[0] if available else self.default_year(policy, version))
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
        p = period or self.default_year(policy, version)
        hp = series_periods(p)
        rd = self.reader(window_of(hp), policy, version)
        groups_ = [self.cat.units[g] for g in unit.groups if g in self.cat.units]
        if unit.province:  # a commune ranks among its province's communes, not the nation's 13,000
            groups_ = [g for g in groups_ if g.parent == unit.province] or groups_
        peers = groups_[0] if groups_ else None
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
                    at = period_of(cell.as_of) if cell.as_of else p
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
