"""Dashboards: the national overview (``/``), an indicator (``/indicators/{code}``) and a unit
(``/units/{code}``), server-rendered with inline SVG charts, and every table as CSV (UTF-8 with BOM, so Excel
shows diacritics) and XLSX.

The numbers come from the engine as every view asks it (``chiso.engine.reading``: a page's ``Snapshot`` of
the stored values, a ``Reader`` that asks only where a figure can be made, the "latest sub-period" fallback);
structures from ``chiso.engine.structure``; the default period from ``chiso.engine.latest``. This module holds
what is the web's own: the page data cached per data version (``Dashboards``, ``PageCache``: a saved value
shows at once; after new event batches a cached page stands ``EVENT_GRACE`` seconds, then is served while it
is recomputed in the background), labels, downloads and routes.

The public sees published (approved) values only. A logged-in user may add ``?drafts=1`` to see the
unapproved values of the units in their scope too.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font

from chiso import app as core
from chiso import charts
from chiso.app import Workspace
from chiso.auth import User
from chiso.catalogue import Ancestor, Catalogue
from chiso.catalogue.models import (
    PILLAR_NAMES,
    Direction,
    Indicator,
    Pillar,
    SourceDocument,
    Successor,
    Unit,
    UnitType,
)
from chiso.catalogue.periods import Period, PeriodKind
from chiso.engine import Answer, Engine
from chiso.engine import latest as lt
from chiso.engine import rebase as rb
from chiso.engine.reading import (
    PUBLIC,
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
from chiso.engine.structure import STRUCTURE_WORDS, needs_rebase, structure_label, unit_structure
from chiso.engine.structure import parse_structure as parse_structure  # web.events_api imports both from here
from chiso.errors import UnknownNameError, UnknownPeriodError, UnknownUnitError
from chiso.errors import UnknownStructureError as UnknownStructureError
from chiso.i18n import fmt_compact, fmt_number, fmt_value, t
from chiso.report.exports import number_text
from chiso.store import Store
from chiso.web.session import load_user
from chiso.web.templating import lang_of, render, tr

T = TypeVar("T")
log = logging.getLogger(__name__)

EVENT_GRACE = 5.0  # seconds a cached page may lag the event stream
CACHE_TTL = 300.0  # bounds staleness after a full event recompute, which leaves no batch behind
Fmt = Literal["csv", "xlsx"]


# --- the store, as the engine's readers need it ------------------------------------------------------


Version = tuple[int, int, int]


def data_version(store: Store) -> Version:
    return store.data_version()


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
        return data_version(self.ws.store)

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
        return self.cache.get((key, policy.scope), version, lambda: make(version))

    # defaults (chiso.engine.latest: the latest period with data) ----------------------------------------
    def years(self, policy: Policy, version: Version | None = None) -> lt.DataYears:
        """The key indicators' years with figures, as ``policy`` sees them; kept per data version."""
        version = version or self.version()
        got = self._years
        if got is None or got[0] != version or got[1] != policy.scope:
            keys = sorted((i for i in self.cat.indicators.values() if i.key), key=lambda i: i.code)
            got = (version, policy.scope, lt.data_years(self.cat, self.ws.store, keys, policy.statuses))
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


def live_note(ov: Overview, cat: Catalogue, lang: str) -> dict[str, str] | None:
    """What the overview says of a year being filled live by events, beside the last complete one: a line on
    the page that shows either, with a link to the other (None: no live year, or another period shown)."""
    live, complete, years = ov.live, ov.complete, ov.years
    if live is None or complete is None or years is None:
        return None
    year = live.start.year
    on_live = ov.period.start.year == year
    if not on_live and ov.period != complete:
        return None
    codes = years.from_events.get(year, ())
    shown = ov.streams[:3]
    sources = ", ".join(shown) + (", …" if len(ov.streams) > len(shown) else "")
    names = ", ".join(cat.indicators[c].name.get(lang) for c in codes if c in cat.indicators)
    text = t("live.note", lang, live=year, names=names, sources=sources or t("live.stream_unknown", lang),
             have=years.have.get(year, 0), keys=years.total)
    if on_live:
        return {"lead": "", "text": text, "href": f"/?period={complete}",
                "link": t("live.see_complete", lang, complete=complete)}
    return {"lead": t("live.showing_complete", lang, complete=complete), "text": text, "href": f"/?period={live}",
            "link": t("live.see_live", lang, live=live)}


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
            "live": live_note(ov, cat, lang),
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
        notes = {(rk.group.code, r.unit.code): rb.note(ind, cat, r, period_of(rk.shown_period), lang)
                 for rk in v.rankings for r in rk.rebased}
        structure_text = (structure or "").strip()
        return render(request, "indicator.html", {
            **common(request), "page": v, "ind": ind, "chart": chart,
            "series_note": rb.series_note(v.series_answers, cat, lang) if v.series_answers else None,
            "rank_notes": notes, "structure": structure_text,
            "structure_choices": [("", t("structure.by_period_default", lang)),
                                  *((w, t(f"structure.{w}", lang)) for w in STRUCTURE_WORDS)],
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

