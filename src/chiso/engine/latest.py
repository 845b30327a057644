"""Which periods hold data: the default period of every view (web, API, CLI, demo) and the live year.

A view asked for no period shows *the latest period with data*: for one indicator, the latest period it has
figures for (a year first among periods ending together); for a page of many indicators (the overview, a
unit), the latest year in which most key indicators have figures (``DataYears.complete``), so that a year
only begun, where a live event stream makes a few figures move and the rest are still "—", is one click
away rather than the first thing a newcomer sees. That year is then the *live* one, and the page says so.

The facts come through ``Holdings``; ``holdings_of`` reads them through the engine's own readers when the
store offers nothing quicker (``chiso.engine.ValueReader``, ``chiso.engine.EventReader``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

from chiso.catalogue import Catalogue
from chiso.catalogue.models import Indicator
from chiso.catalogue.periods import Period
from chiso.engine import Engine, EventReader, ValueReader

YEARS_BACK = 10  # how far back events are looked for without a quicker question to the store


@runtime_checkable
class Holdings(Protocol):
    """The periods that hold data, in two small questions (the store's DISTINCT and MIN/MAX queries)."""

    def value_periods(self, indicators: Collection[str], statuses: Collection[str] | None) -> dict[str, list[Period]]:
        """Each indicator's distinct periods with stored values of these statuses (None: any)."""
        ...

    def event_years(self, measures: Collection[str]) -> set[int]:
        """The years with kept events of any of these measures."""
        ...


def latest_first(periods: Iterable[Period]) -> list[Period]:
    """Latest end first; among periods ending together, the longest first (2024 before 2024Q4 and 2024-12)."""
    return sorted(set(periods), key=lambda p: (p.end, -(p.end - p.start).days), reverse=True)


class ScanHoldings:
    """``Holdings`` read through the engine's readers: each indicator's values, and the events year by year."""

    def __init__(self, values: ValueReader, events: EventReader | None, today: date | None = None) -> None:
        self.values, self.events, self.today = values, events, today or date.today()

    def value_periods(self, indicators: Collection[str], statuses: Collection[str] | None) -> dict[str, list[Period]]:
        return {c: latest_first(Period.parse(v.period) for v in self.values.values(indicator=c, statuses=statuses))
                for c in indicators}

    def event_years(self, measures: Collection[str]) -> set[int]:
        if self.events is None or not measures:
            return set()
        first, last = self.today.year - YEARS_BACK, self.today.year
        ev = self.events
        if not any(ev.days_with_data(m, date(first, 1, 1), date(last, 12, 31)) for m in measures):
            return set()
        return {y for y in range(first, last + 1)
                if any(ev.days_with_data(m, date(y, 1, 1), date(y, 12, 31)) for m in measures)}


def holdings_of(engine: Engine, today: date | None = None) -> Holdings:
    """The engine's reader when it answers these questions itself, else a scan through the engine's readers."""
    if isinstance(engine.reader, Holdings):
        return engine.reader
    return ScanHoldings(engine.reader, engine.events, today)


def indicator_periods(cat: Catalogue, holdings: Holdings, ind: Indicator, statuses: Collection[str] | None,
                      limit: int = 40) -> list[Period]:
    """The periods an indicator has figures for, latest first: stored ones, and the latest year with events for
    an indicator computed from them."""
    found = list(holdings.value_periods([ind.code], statuses).get(ind.code, []))
    ei = cat.event_indicators.get(ind.code)
    if ei is not None:
        years = holdings.event_years(ei.measures)
        if years:
            found.append(Period.year(max(years)))
    return latest_first(found)[:limit]


def latest_of(cat: Catalogue, holdings: Holdings, indicators: Iterable[Indicator], statuses: Collection[str] | None,
              keep: Callable[[Period], bool] = lambda _p: True) -> Period | None:
    """The latest of the indicators' latest periods with figures, among those ``keep`` takes (None: none)."""
    found = [p for ind in indicators for p in indicator_periods(cat, holdings, ind, statuses, limit=1)]
    return next((p for p in latest_first(found) if keep(p)), None)


def latest_event_month(events: EventReader, measures: Collection[str], year: int) -> Period | None:
    """The latest month of ``year`` with events of any of ``measures`` (None: none)."""
    month = Period.parse(f"{year}-12")
    for _ in range(12):
        if any(events.days_with_data(m, month.start, month.end) for m in measures):
            return month
        month = month.previous()
    return None


@dataclass(frozen=True)
class DataYears:
    """The years with figures of a set of (key) indicators."""

    total: int  # indicators asked about
    have: dict[int, int] = field(default_factory=dict)  # year -> indicators with figures in it
    from_events: dict[int, tuple[str, ...]] = field(default_factory=dict)  # year -> event-derived with events in it

    @property
    def latest(self) -> Period | None:
        """The latest year with any figure."""
        return Period.year(max(self.have)) if self.have else None

    @property
    def complete(self) -> Period | None:
        """The latest year with figures for most of the indicators (more than half)."""
        full = [y for y, n in self.have.items() if 2 * n > self.total]
        return Period.year(max(full)) if full else None

    @property
    def default(self) -> Period | None:
        """Where a page of these indicators opens: the complete year, else the latest with any figure."""
        return self.complete or self.latest

    @property
    def live(self) -> Period | None:
        """A year newer than the complete one whose figures so far come (partly) from events as they arrive."""
        latest, complete = self.latest, self.complete
        if latest is None or complete is None or latest == complete or not self.from_events.get(latest.start.year):
            return None
        return latest


def data_years(cat: Catalogue, holdings: Holdings, indicators: Sequence[Indicator],
               statuses: Collection[str] | None) -> DataYears:
    """For each year, how many of ``indicators`` have figures in it: a stored value of a period ending in it,
    or (event-derived) events on one of its days."""
    stored = holdings.value_periods([i.code for i in indicators], statuses)
    have: dict[int, int] = {}
    from_events: dict[int, list[str]] = {}
    for ind in indicators:
        years = {p.end.year for p in stored.get(ind.code, [])}
        ei = cat.event_indicators.get(ind.code)
        if ei is not None:
            for y in holdings.event_years(ei.measures):
                years.add(y)
                from_events.setdefault(y, []).append(ind.code)
        for y in years:
            have[y] = have.get(y, 0) + 1
    return DataYears(len(indicators), have, {y: tuple(cs) for y, cs in from_events.items()})


def key_years(engine: Engine, holdings: Holdings | None = None) -> DataYears:
    """``data_years`` of the catalogue's key indicators, as the engine's reader sees them."""
    cat = engine.catalogue
    keys = sorted((i for i in cat.indicators.values() if i.key), key=lambda i: i.code)
    return data_years(cat, holdings or holdings_of(engine), keys, engine.statuses)


def default_year(engine: Engine, holdings: Holdings | None = None, today: date | None = None) -> Period:
    """The year a page of many indicators opens on (``DataYears.default``); this year when nothing has data."""
    return key_years(engine, holdings).default or Period.year((today or date.today()).year)


def latest_period(engine: Engine, ind: Indicator | str, holdings: Holdings | None = None,
                  today: date | None = None) -> Period:
    """The latest period an indicator has figures for; failing any, ``default_year``."""
    i = engine.catalogue.indicator(ind) if isinstance(ind, str) else ind
    h = holdings or holdings_of(engine, today)
    found = indicator_periods(engine.catalogue, h, i, engine.statuses, limit=1)
    return found[0] if found else default_year(engine, h, today)


__all__ = [
    "DataYears",
    "Holdings",
    "ScanHoldings",
    "data_years",
    "default_year",
    "holdings_of",
    "indicator_periods",
    "key_years",
    "latest_event_month",
    "latest_first",
    "latest_of",
    "latest_period",
]
