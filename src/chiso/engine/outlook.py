"""Projections as the views make them: each from the data's own date, not the clock's (issue 15 §1).

``Foresight.project`` takes the date a projection is made at. A page, an API answer or a report made today
about a year whose figures stop in September projects from September's end: the months the data holds are
the actual, the rest projected. ``data_month`` finds that date for an indicator; ``likely_misses`` is
``Foresight.behind`` with each indicator projected from its own data date, and only years still open.

Pure: reads through the engine and the store's small ``Holdings`` questions.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from chiso.catalogue.models import Indicator, Unit
from chiso.catalogue.periods import Period, PeriodKind
from chiso.engine import EventReader
from chiso.engine.foresight import Foresight, Projection, _risk
from chiso.engine.latest import Holdings, latest_event_month
from chiso.errors import UnknownUnitError

# a projection is drawn only for these: a complete year is its own value, "none" says why there is none
PROJECTED = ("ets_seasonal", "ets", "pace")


def data_month(fs: Foresight, holdings: Holdings, ind: Indicator, year: int,
               statuses: Collection[str] | None = ("approved",), today: date | None = None) -> date | None:
    """The end of the latest month of ``year`` with figures of ``ind`` (stored monthly values of any unit, or
    events), that has ended by ``today``; None: no month of the year holds any."""
    today = today or date.today()
    found: list[Period] = [p for p in holdings.value_periods([ind.code], statuses).get(ind.code, [])
                           if p.kind is PeriodKind.MONTH and p.start.year == year]
    ei = fs.engine.catalogue.event_indicators.get(ind.code)
    events: EventReader | None = fs.engine.events
    if ei is not None and events is not None:
        m = latest_event_month(events, ei.measures, year)
        if m is not None:
            found.append(m)
    ended = [p for p in found if p.end <= today]
    if not ended and found and today.year == year and today.month > 1:  # this month so far: the last one ended
        return Period.month(year, today.month).shift(-1).end
    return max(p.end for p in ended) if ended else None


def year_open(fs: Foresight, holdings: Holdings, ind: Indicator, year: int,
              statuses: Collection[str] | None = ("approved",), today: date | None = None) -> bool:
    """Whether ``ind``'s year is still a forecast as of the data: its figures reach a month before December, or
    it has none yet and the year is not over. A past year without monthly figures is what its yearly figure
    says, not a forecast."""
    today = today or date.today()
    month = data_month(fs, holdings, ind, year, statuses, today)
    return month.month < 12 if month is not None else today < date(year, 12, 31)


def project(fs: Foresight, holdings: Holdings, ind: Indicator, unit: str | Unit, year: int,
            statuses: Collection[str] | None = ("approved",), today: date | None = None) -> Projection:
    """``Foresight.project`` as of the data: from the end of the latest month holding figures of ``ind``
    (a year without any, as of today or its end: the projection then says why there is none)."""
    today = today or date.today()
    as_of = data_month(fs, holdings, ind, year, statuses, today) or min(today, date(year, 12, 31))
    return fs.project(ind, unit, year, as_of=as_of)


def risk(p: Projection) -> tuple[float, float]:
    """The order of likely misses, most at risk first (``Foresight.behind``'s)."""
    return _risk(p)


def is_open(p: Projection) -> bool:
    """A projection of a year still open as of the data, with a value to draw."""
    return p.method in PROJECTED and p.value is not None


def likely_misses(fs: Foresight, holdings: Holdings, year: int, *, units: Collection[str] | None = None,
                  statuses: Collection[str] | None = ("approved",),
                  today: date | None = None) -> tuple[list[Projection], int]:
    """Every (indicator, unit) with a target for ``year`` (among ``units``) likely to miss it, most at risk
    first, each projected from its indicator's data date; and how many were projected. A complete year, or
    one without a month of figures, lists nobody: it is no longer, or not yet, a forecast."""
    eng = fs.engine
    months: dict[str, date | None] = {}
    out, checked = [], 0
    for tg in eng.reader.targets(periods=[str(year)]):
        ind = eng.catalogue.indicators.get(tg.indicator)
        if ind is None or (units is not None and tg.unit not in units):
            continue
        if ind.code not in months:
            months[ind.code] = data_month(fs, holdings, ind, year, statuses, today)
        as_of = months[ind.code]
        if as_of is None or as_of.month == 12:  # nothing yet, or a complete year: no forecast to make
            continue
        try:
            pr = fs.project(ind, tg.unit, year, as_of=as_of)
        except UnknownUnitError:  # a target for a unit not in the year's structure
            continue
        if not is_open(pr):
            continue
        checked += 1
        if pr.behind:
            out.append(pr)
    return sorted(out, key=risk), checked
