"""Reading: the questions every view asks the engine the same way (the web pages, the read API, the CLI, the
demo), over one engine and, for a page, one snapshot of the stored values.

- ``Policy``: what a reader may see (published values, or also the drafts of some units);
- ``Snapshot``: a ``ValueReader`` that reads each indicator's values in a window once, then serves the engine
  from memory (a page asks many times: a ranking, a series, a fallback); ``EventMemo`` does the same for the
  kept event aggregates;
- ``Reader``: memoised answers, asked only where stored values or events can make a figure
  (``may_answer``); ``latest``: failing a figure for the period, the latest sub-period inside it that has one
  (2024-04 for 2024, said so); series in one structure across a change; rankings with the same fallback;
- ``Cell``: one answer as a table shows it; ``Ranking``: a group's members best first, with the period shown.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol, TypeVar, runtime_checkable

from chiso.catalogue import Catalogue
from chiso.catalogue.models import Indicator, PeriodsRule, SourceDocument, Target, Unit
from chiso.catalogue.periods import TILING_KINDS, Period, PeriodKind
from chiso.catalogue.records import StoredValue
from chiso.engine import Engine, EventReader, ValueReader
from chiso.engine.answers import Answer, RankRow, attainment
from chiso.engine.latest import latest_first
from chiso.engine.structure import shown_structure, unit_structure

T = TypeVar("T")

SERIES_LENGTH = {PeriodKind.YEAR: 5, PeriodKind.HALF: 6, PeriodKind.QUARTER: 8, PeriodKind.MONTH: 12}
FALLBACK_TRIES = 4  # sub-periods tried for "the latest value inside the period"


@functools.lru_cache(maxsize=8192)
def period_of(text: str) -> Period:
    """``Period.parse``, remembered: a page parses the same few period strings thousands of times."""
    return Period.parse(text)


# --- who may see what ------------------------------------------------------------------------------


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


# --- a page's snapshot -------------------------------------------------------------------------------


@runtime_checkable
class ManyValues(Protocol):
    """A ``ValueReader`` that can read several indicators' values in one query."""

    def values_of(
        self, indicators: Collection[str], *, within: Period | None, statuses: Collection[str] | None
    ) -> list[StoredValue]: ...


class Snapshot:
    """A ``ValueReader`` for one page: each indicator's values inside ``window`` are read once from ``inner``,
    then served from memory. ``statuses`` asked by the engine are ignored: this snapshot's policy decides."""

    def __init__(self, inner: ValueReader, window: Period, policy: Policy = PUBLIC,
                 sources: dict[str, SourceDocument] | None = None) -> None:
        self.inner, self.window, self.policy = inner, window, policy
        self._sources = sources
        self._values: dict[str, list[StoredValue]] = {}
        self._targets: dict[str, list[Target]] = {}
        self.queries = 0

    def _read(self, indicator: str | None, units: Collection[str] | None, within: Period | None) -> list[StoredValue]:
        self.queries += 1
        rows = self.inner.values(indicator=indicator, units=units, within=within, statuses=self.policy.statuses)
        return [v for v in rows if self.policy.visible(v)]

    def preload(self, indicators: Iterable[str]) -> None:
        """Read several indicators' windows at once (the overview's key indicators): in one query when the inner
        reader can (``ManyValues``), else one per indicator."""
        want = sorted({c for c in indicators if c not in self._values})
        if not want:
            return
        for code in want:
            self._values[code] = []
        if len(want) == 1 or not isinstance(self.inner, ManyValues):
            for code in want:
                self._values[code] = self._read(code, None, self.window)
            return
        self.queries += 1
        for v in self.inner.values_of(want, within=self.window, statuses=self.policy.statuses):
            if self.policy.visible(v) and v.indicator in self._values:
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
                if (wanted is None or v.unit in wanted) and within.contains(period_of(v.period))]

    def targets(
        self, *, indicator: str | None = None, units: Collection[str] | None = None,
        periods: Collection[str] | None = None,
    ) -> list[Target]:
        if indicator is None:
            self.queries += 1
            return self.inner.targets(units=units, periods=periods)
        if indicator not in self._targets:
            self.queries += 1
            self._targets[indicator] = self.inner.targets(indicator=indicator)
        return [t for t in self._targets[indicator]
                if (units is None or t.unit in units) and (periods is None or t.period in periods)]

    def sources(self) -> dict[str, SourceDocument]:
        if self._sources is None:
            self.queries += 1
            self._sources = self.inner.sources()
        return self._sources


class EventMemo:
    """An ``EventReader`` that asks the event aggregates once per distinct question within a page."""

    def __init__(self, inner: EventReader) -> None:
        self.inner = inner
        self._memo: dict[Hashable, Any] = {}

    def _once(self, key: Hashable, fn: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]  # type: ignore[no-any-return]

    def prefetch(self, measures: Collection[str], start: date | None, end: date,
                 units: Collection[str] | None = None) -> None:
        """Read several measures of ``units`` (None: every unit) over one window in one query, when the inner reader
        can (``by_unit_many``): a composite index asks a dozen measures of the same group and period."""
        scope = None if units is None else frozenset(units)
        want = sorted(m for m in measures if ("many", m, start, end) not in self._memo)
        many = getattr(self.inner, "by_unit_many", None)
        if not want or many is None:
            return
        got = many(want, units, start, end)
        for m in want:
            self._memo[("many", m, start, end)] = (scope, got.get(m, {}))

    def by_unit(self, measure: str, units: Collection[str] | None, start: date | None, end: date) -> dict[str, int]:
        held = self._memo.get(("many", measure, start, end))
        if held is not None:
            scope, every = held
            if units is None and scope is None:
                return dict(every)
            wanted = set(units) if units is not None else None
            if wanted is not None and (scope is None or wanted <= scope):
                return {u: v for u, v in every.items() if u in wanted}
        key = ("b", measure, None if units is None else frozenset(units), start, end)
        return dict(self._once(key, lambda: self.inner.by_unit(measure, units, start, end)))

    def by_unit_local(self, measure: str, communes: Collection[str], start: date | None,
                      end: date) -> dict[str, int]:
        key = ("l", measure, frozenset(communes), start, end)
        return dict(self._once(key, lambda: self.inner.by_unit_local(measure, communes, start, end)))

    def first_seen_by_unit(self, measure: str, units: Collection[str] | None, end: date) -> dict[str, int]:
        key = ("f", measure, None if units is None else frozenset(units), end)
        return dict(self._once(key, lambda: self.inner.first_seen_by_unit(measure, units, end)))

    def days_with_data(self, measure: str, start: date, end: date) -> int:
        return self._once(("d", measure, start, end), lambda: self.inner.days_with_data(measure, start, end))


# --- what a view shows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One answer as a view shows it. ``as_of`` is set when the period itself has no value and the latest
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


@dataclass
class Reader:
    """The engine as views ask it: answers remembered for the reader's life (one page, one command)."""

    engine: Engine
    snap: Snapshot | None = None  # the engine's value reader, when it is a page's snapshot
    tries: int = FALLBACK_TRIES
    _answers: dict[tuple[str, str, str], Answer] = field(default_factory=dict)
    _closures: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    @property
    def cat(self) -> Catalogue:
        return self.engine.catalogue

    def closure(self, unit: Unit, p: Period) -> list[str]:
        """``Engine.closure``, remembered."""
        key = (unit.code, str(p))
        if key not in self._closures:
            self._closures[key] = self.engine.closure(unit, p)
        return self._closures[key]

    def held(self, ind: Indicator, units: Collection[str], within: Period) -> list[Period]:
        """The distinct periods with values of these units inside ``within``, latest end first, longest first."""
        found = self.engine.reader.values(indicator=ind.code, units=units, within=within,
                                          statuses=self.engine.statuses)
        return latest_first(period_of(v.period) for v in found)

    def may_answer(self, ind: Indicator, unit: Unit, p: Period) -> bool:
        """Whether the engine can find a figure at all: events in scope, or stored values in the unit's closure
        that are for ``p`` or tile it (recursively, as the engine combines sub-periods).

        A necessary condition only (the engine still decides); it spares the engine's search down to single
        days where nothing can come of it, which otherwise dominates a cold dashboard.
        """
        if ind.code in self.cat.event_indicators and self.engine.computed(ind, unit, p) is not None:
            return True
        held = self.held(ind, self.closure(unit, p), p)
        if not held:
            return False
        if ind.periods_rule is PeriodsRule.LATEST:
            return True
        if ind.periods_rule is PeriodsRule.NONE:
            return p in held
        return tiles(p, held, {})

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

    def latest_answer(self, ind: Indicator, unit: Unit, p: Period) -> tuple[Answer, Period | None]:
        """The answer for ``p``; failing a value, the answer of the latest sub-period inside ``p`` that has one,
        with that sub-period (None: ``p`` answered, or nothing inside it did)."""
        ans = self.answer(ind, unit, p)
        if ans.value is not None:
            return ans, None
        for q in self.held(ind, self.closure(unit, p), p)[: self.tries]:
            if q == p:
                continue
            sub = self.answer(ind, unit, q)
            if sub.value is not None:
                return sub, q
        return ans, None

    def latest(self, ind: Indicator, unit: Unit, p: Period) -> Cell:
        """The value for ``p``; failing that, the latest sub-period inside ``p`` that has one, against ``p``'s
        target."""
        ans, q = self.latest_answer(ind, unit, p)
        if q is None:
            return cell_of(ans)
        target = self.answer(ind, unit, p).target  # remembered: the answer for ``p`` holds ``p``'s target
        return replace(cell_of(ans, as_of=str(q), target=target.value if target else None), period=p)

    def series(self, ind: Indicator, unit: Unit, periods: Sequence[Period]) -> list[Cell]:
        return [self.value(ind, unit, q) for q in periods]

    def series_in(self, ind: Indicator, unit: Unit, periods: Sequence[Period]) -> list[Answer]:
        """A unit's series crossing a change, all in the structure of the newest period it belongs to."""
        s = unit_structure(unit, max(q.end for q in periods))
        return self.engine.series(ind, unit, periods, structure=s)

    def ranking(self, ind: Indicator, group: Unit, p: Period, structure: date | None = None,
                estimate: str | None = None, *, fallback: bool = True) -> Ranking:
        """Members best first; when nobody has a value for ``p`` (and ``fallback``), the latest sub-period that
        ranks anyone. ``structure``: rank the members of that date's structure, rebased (None: the structure at
        ``p``'s end, rebased only when the structure changed inside ``p``)."""
        s = shown_structure(self.cat, p, structure)
        rows = self.engine.rank(ind, group, p, structure=s, estimate=estimate)
        if not fallback or any(r.value is not None for r in rows):
            return Ranking(group, p, None, rows, s)
        members = {m.code for m in self.cat.components(group, p)}
        if s is not None:
            members |= {m.code for m in self.cat.components(group, Period.day(s))}
        for q in self.held(ind, sorted(members), p)[: self.tries]:
            if q == p:
                continue
            sub = self.engine.rank(ind, group, q, structure=shown_structure(self.cat, q, structure),
                                   estimate=estimate)
            if any(r.value is not None for r in sub):
                return Ranking(group, p, str(q), sub, s)
        return Ranking(group, p, None, rows, s)


def tiles(p: Period, held: Sequence[Period], memo: dict[Period, bool]) -> bool:
    """Whether values held for periods ``held`` can make ``p``: one is ``p``, or every sub-period of some
    tiling can be made in turn (a union over units: each unit's own tiling only needs its own values)."""
    if p in memo:
        return memo[p]
    inside = [q for q in held if p.contains(q)]
    ok = bool(inside) and (p in inside or any(
        subs and all(tiles(sp, inside, memo) for sp in subs) for subs in (p.subperiods(k) for k in TILING_KINDS)))
    memo[p] = ok
    return ok


def series_periods(p: Period, n: int | None = None) -> list[Period]:
    """The ``n`` periods of ``p``'s kind ending with ``p`` (5 years, 8 quarters, 12 months by default)."""
    n = n or SERIES_LENGTH.get(p.kind, 6)
    return [p.shift(-k) for k in range(n - 1, -1, -1)]


def window_of(periods: Iterable[Period]) -> Period:
    ps = list(periods)
    return Period(PeriodKind.SPAN, min(q.start for q in ps), max(q.end for q in ps))


__all__ = [
    "FALLBACK_TRIES",
    "PUBLIC",
    "SERIES_LENGTH",
    "Cell",
    "EventMemo",
    "ManyValues",
    "Policy",
    "Ranking",
    "Reader",
    "Snapshot",
    "cell_of",
    "period_of",
    "series_periods",
    "tiles",
    "window_of",
]
