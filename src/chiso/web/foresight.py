"""Projections on the web (issue 15 §1): the year-end projection drawn on the indicator and unit pages, the
overview's "likely to miss" list, and ``GET /api/v1/forecast``.

A projection costs a model fit (0.1–1 s), so none is made per request: ``Outlooks`` makes each (a chart's, the
overview's list of every target of the year) in a background thread and keeps it for the store's
``data_version`` (the one the page caches follow, which every process sees move). A page waits for what it
shows at most as long as its own data took, and otherwise says it is being computed (and is cached by
nobody). Each projection is made as of its data (``engine.outlook``), through the same reading policy as the
page (published figures, or a logged-in user's drafts of their units).
"""

from __future__ import annotations

import calendar
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from markupsafe import Markup

from chiso import charts
from chiso.auth import subtree
from chiso.catalogue.models import Indicator, Unit
from chiso.catalogue.periods import Period, PeriodKind
from chiso.engine import outlook
from chiso.engine.foresight import HISTORY_YEARS, Foresight, Projection
from chiso.engine.reading import Policy
from chiso.errors import ChisoError, HttpProblem, UnknownUnitError
from chiso.i18n import fmt_date, fmt_number, t
from chiso.report.foresight_text import (
    fmt,
    fmt_probability,
    level_name,
    method_sentence,
    sentences,
    unreachable,
)
from chiso.web.dashboards import Dashboards, Version
from chiso.web.deps import DashboardsDep, WorkspaceDep
from chiso.web.labels import unit_label
from chiso.web.params import indicator_param, policy_of, unit_param
from chiso.web.problems import responses
from chiso.web.session import load_user
from chiso.web.templating import lang_of

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a projection may be asked for
API_WAIT = 30.0  # seconds the API waits for a projection being made
REFRESH = 60.0  # seconds the overview's likely misses stand after event batches alone


def foresight_of(dash: Dashboards, policy: Policy, version: Version, year: int) -> Foresight:
    """Projections over the page's reading of the figures: the year and the years a model reads before it."""
    window = Period(PeriodKind.SPAN, date(year - HISTORY_YEARS, 1, 1), date(year, 12, 31))
    return Foresight(dash.reader(window, policy, version).engine)


def has_target(dash: Dashboards, ind: Indicator, unit: Unit, year: int) -> bool:
    return bool(dash.ws.store.targets(indicator=ind.code, units=[unit.code], periods=[str(year)]))


# --- what a page shows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectionBlock:
    """A projection on a page: the chart (None: no projection, ``said`` says why), its sentences (the chart's
    text alternative too), a caption and the rule applied; ``projection`` None: still being made."""

    indicator: Indicator
    unit: Unit
    year: int
    projection: Projection | None
    chart: Markup | None
    said: list[str]
    caption: str = ""
    method: str = ""

    @property
    def pending(self) -> bool:
        return self.projection is None


def projection_block(p: Projection, lang: str, testid: str = "projection-chart") -> ProjectionBlock | None:
    """What a page shows of ``p``: nothing for a complete year (its own chart shows it against its target)."""
    if p.method == "final":
        return None
    said = sentences(p, lang)
    if not outlook.is_open(p):
        return ProjectionBlock(p.indicator, p.unit, p.year, p, None, said, "", method_sentence(p, lang))
    ind = p.indicator
    level = level_name(lang)
    points = [charts.ProjectionPoint(month_label(pt.period, lang), pt.value, pt.low, pt.high, pt.projected)
              for pt in p.path]
    chart = charts.projection_chart(
        points, fmt=lambda x: fmt_number(x, ind.decimals, lang), description=" ".join(said),
        title=t("page.foresight.chart_title", lang, name=ind.name.get(lang), unit=unit_label(p.unit, lang),
                year=p.year),
        target=p.target.value if p.target is not None else None, testid=testid,
        names=(t("page.foresight.legend.actual", lang), t("page.foresight.legend.projection", lang),
               t("page.foresight.legend.interval", lang, level=level), t("page.foresight.legend.target", lang)),
    )
    caption = t("page.foresight.caption", lang, as_of=fmt_date(p.as_of, lang) if p.as_of else "—", level=level,
                year=p.year)
    return ProjectionBlock(ind, p.unit, p.year, p, chart, said, caption, method_sentence(p, lang))


def month_label(period: str, lang: str) -> str:
    """"T9" (tháng 9), "Sep"."""
    month = int(period[-2:])
    return calendar.month_abbr[month] if lang == "en" else f"T{month}"


def year_open(dash: Dashboards, ind: Indicator, year: int, policy: Policy) -> bool:
    """``outlook.year_open``: a cheap question, asked before a projection is made at all."""
    return outlook.year_open(foresight_of(dash, policy, dash.version(), year), dash.ws.store, ind, year,
                             policy.statuses)


def block_of(o: Outlooks, ind: Indicator, unit: Unit, year: int, policy: Policy, lang: str, wait: float,
             testid: str) -> ProjectionBlock | None:
    try:
        p, _ = o.projection(ind, unit, year, policy, wait)
    except ChisoError:  # no projection of this unit that year (e.g. not in its structure): nothing to draw
        return None
    if p is None:
        return ProjectionBlock(ind, unit, year, None, None, [t("page.foresight.computing", lang)])
    return projection_block(p, lang, testid)


def indicator_block(o: Outlooks, ind: Indicator, unit: Unit, period: Period, policy: Policy, lang: str,
                    wait: float) -> ProjectionBlock | None:
    """The indicator page's projection: of the series' unit, for the shown period's year, if it has a target and
    the year is open; made aside, waited for at most ``wait`` seconds."""
    year = period.end.year
    if period.start.year != year or not has_target(o.dash, ind, unit, year) or not year_open(o.dash, ind, year,
                                                                                               policy):
        return None
    return block_of(o, ind, unit, year, policy, lang, wait, "projection-chart")


def unit_blocks(o: Outlooks, unit: Unit, period: Period, policy: Policy, lang: str,
                wait: float) -> list[ProjectionBlock]:
    """The unit page's projections: every indicator with a target for the unit in the shown period's year, while
    the year is open; all waited for within ``wait`` seconds."""
    year = period.end.year
    codes = sorted({tg.indicator for tg in o.dash.ws.store.targets(units=[unit.code], periods=[str(year)])})
    deadline = time.monotonic() + wait
    out = []
    for code in codes:
        ind = o.dash.cat.indicators.get(code)
        if ind is None or not year_open(o.dash, ind, year, policy):
            continue
        block = block_of(o, ind, unit, year, policy, lang, deadline - time.monotonic(), f"projection-chart-{code}")
        if block is not None:
            out.append(block)
    return out


# --- the overview's likely misses, made in the background ----------------------------------------------------


@dataclass(frozen=True)
class Misses:
    year: int
    rows: list[Projection]
    checked: int


@dataclass(frozen=True)
class MissRow:
    """A likely miss as the overview lists it, in the reader's language."""

    projection: Projection
    value: str
    interval: str
    target: str
    probability: str
    per_month: str  # the rise (fall) per month it takes; "out of reach" when no month can do it
    said: str  # the projection's sentences


def miss_row(p: Projection, lang: str) -> MissRow:
    return MissRow(p, fmt(p, p.value, lang), f"{fmt(p, p.low, lang)}–{fmt(p, p.high, lang)}",
                   fmt(p, p.target.value if p.target else None, lang),
                   fmt_probability(p.probability, lang) if p.probability is not None else "—",
                   t("foresight.unreachable_short", lang) if unreachable(p)
                   else fmt(p, abs(p.per_month) if p.per_month is not None else None, lang, step=True),
                   " ".join(sentences(p, lang)))


@dataclass(frozen=True)
class MissesView:
    """The overview's list as one viewer sees it (``rows`` within their scope)."""

    year: int
    rows: list[MissRow]
    checked: int
    computing: bool  # not made yet: the page says so
    stale: bool  # made for an earlier data version, being remade
    scoped: bool  # cut to a logged-in user's units
    level: str  # the interval's coverage, "80%"


@dataclass(frozen=True)
class Made(Generic[T]):
    """Something made aside, with the data version it was made for."""

    value: T
    version: Version
    at: float  # when (time.monotonic)
    seconds: float  # how long it took


class Outlooks:
    """Projections made aside, one background thread per key, kept per (reading policy, data version): a reader
    waits a bounded time for one never made, else gets the last one made at once while a newer is made (after
    event batches alone, the last one stands ``REFRESH`` seconds: a few events hardly move a year-end
    projection, and remaking them on every batch would keep a core busy)."""

    SIZE = 1024

    def __init__(self, dash: Dashboards) -> None:
        self.dash = dash
        self.made = 0  # how many were made (tests: none is made twice for the same data)
        self._items: OrderedDict[Hashable, Made[Any]] = OrderedDict()
        self._inflight: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[Version], T], wait: float,
            stale: bool = True) -> tuple[Made[T] | None, bool]:
        """(the last one made, whether it is of the current data); waits at most ``wait`` s when there is none
        (``stale`` False: also when the last one is of earlier data)."""
        version = self.dash.version()
        key = (key, self.dash.ws.catalogue_generation)
        with self._lock:
            got = self._items.get(key)
            if got is not None:
                self._items.move_to_end(key)
                if got.version == version or (got.version[0] == version[0] and time.monotonic() - got.at < REFRESH):
                    return got, True
            done = self._inflight.get(key)
            if done is None:
                done = self._inflight[key] = threading.Event()
                threading.Thread(target=self._make, args=(key, make, version), daemon=True).start()
        if got is not None and stale:
            return got, False
        done.wait(max(0.0, wait))
        with self._lock:
            got = self._items.get(key)
        return got, got is not None and got.version == version

    def _make(self, key: Hashable, make: Callable[[Version], Any], version: Version) -> None:
        try:
            t0 = time.perf_counter()
            try:
                value = make(version)
            except ChisoError as exc:  # a question that has no projection (kept: asking again gives the same)
                value = exc
            with self._lock:
                self.made += 1
                self._items[key] = Made(value, version, time.monotonic(), time.perf_counter() - t0)
                while len(self._items) > self.SIZE:
                    self._items.popitem(last=False)
        except Exception:  # the last one made stays; the next reader tries again
            log.exception("projecting %r failed", key)
        finally:
            with self._lock:
                done = self._inflight.pop(key, None)
            if done is not None:
                done.set()

    def misses(self, year: int, policy: Policy, wait: float) -> tuple[Made[Misses] | None, bool]:
        """The year's likely misses, as ``policy`` reads the figures."""
        def make(version: Version) -> Misses:
            rows, checked = outlook.likely_misses(foresight_of(self.dash, policy, version, year), self.dash.ws.store,
                                                  year, statuses=policy.statuses)
            return Misses(year, rows, checked)

        return self.get(("misses", year, policy.scope), make, wait)

    def projection(self, ind: Indicator, unit: Unit, year: int, policy: Policy, wait: float,
                   stale: bool = True) -> tuple[Projection | None, bool]:
        """The year-end projection of ``ind`` for ``unit`` as of the data (raises what making it raised)."""
        got, fresh = self.get(("projection", ind.code, unit.code, year, policy.scope), lambda v: outlook.project(
            foresight_of(self.dash, policy, v, year), self.dash.ws.store, ind, unit, year, policy.statuses), wait,
            stale)
        if got is not None and isinstance(got.value, ChisoError):
            raise got.value
        return (got.value if got is not None else None), fresh


def outlooks(request: Request) -> Outlooks:
    """The app's one ``Outlooks``."""
    o: Outlooks = request.app.state.outlooks
    return o


def misses_view(request: Request, o: Outlooks, year: int, policy: Policy, wait: float,
                lang: str) -> MissesView | None:
    """The overview's list for this viewer: a logged-in user sees the units of their scope; None: the year has
    nothing to project (complete, or no target)."""
    got, fresh = o.misses(year, policy, wait)
    user = load_user(request)
    scope: Collection[str] | None = None
    if user is not None and user.active:
        scope = subtree(o.dash.cat, user)
    if got is None:
        return MissesView(year, [], 0, True, False, scope is not None, level_name(lang))
    if isinstance(got.value, ChisoError) or got.value.checked == 0:  # nothing the year can project
        return None
    rows = [miss_row(p, lang) for p in got.value.rows if scope is None or p.unit.code in scope]
    return MissesView(year, rows, got.value.checked, False, not fresh, scope is not None, level_name(lang))


# --- the API ---------------------------------------------------------------------------------------------------

router = APIRouter(prefix="/api/v1", tags=["forecast"])


@router.get("/forecast", responses=responses(s422="An unknown indicator or unit",
                                            s503="The projection is still being made: ask again"))
def forecast(
    request: Request,
    ws: WorkspaceDep,
    dash: DashboardsDep,
    indicator: Annotated[str, Query(max_length=200, description="indicator code or name")],
    unit: Annotated[str, Query(max_length=200, description="unit or group code or name; VN for the nation")] = "VN",
    year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR, description="default: this year")] = None,
    drafts: bool = False,
) -> dict[str, Any]:
    """The year-end projection of an indicator for a unit as of the data: the value, its 80 % interval, the
    target, the probability of meeting it and what the remaining months need (``Projection.as_dict``), with its
    sentences. Published figures, or with ``drafts`` a logged-in user's unapproved figures of their units."""
    lang = lang_of(request)
    ind = indicator_param(ws.catalogue, indicator, "indicator", in_path=False)
    y = year or date.today().year
    try:  # a name shared across a change of units: the one of the year's end
        u = ws.catalogue.unit(unit, on=date(y, 12, 31))
    except UnknownUnitError:
        u = unit_param(ws.catalogue, unit, "unit")  # the same refusal, said as every endpoint says it
    # the API answers with the data as it is (as the read API's page cache does): never a stale projection
    p, fresh = outlooks(request).projection(ind, u, y, policy_of(request, ws, drafts), API_WAIT, stale=False)
    if p is None or not fresh:  # still being made after API_WAIT: say so, and when to ask again
        raise HttpProblem(503, "projection-pending", t("page.foresight.computing", lang),
                          headers={"Retry-After": "5"})
    return {**p.as_dict(), "sentences": sentences(p, lang), "method_text": method_sentence(p, lang)}


OutlooksDep = Annotated[Outlooks, Depends(outlooks)]
