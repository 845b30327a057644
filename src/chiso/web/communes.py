"""A province's communes on the web (issue 13): ``/units/{code}/communes``, what a province's CĐS office sees of
its communes for a period — their dossier figures side by side, ranked by one chosen indicator, the leaders and
laggards, a tile map placed by the communes' coordinates — with the table as CSV/XLSX and the same data on the API
(``/api/v1/units/{code}/communes``).

The communes are those of the structure at the period's end: 2024 communes for a period ending before 1 July
2025, 2025 communes after (a province that ended then is shown through the province that carries it). Each column
is one ``Reader.ranking`` over the province's group of communes (``<P>.communes``): the engine reads the kept
per-commune aggregates once per measure, never once per commune, and the view is cached per data version
(``Dashboards.cached``). Event-derived figures are public; stored values follow the reader's policy
(``params.policy_of``: the public sees approved values, a user in scope adds ``?drafts=1``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import BaseModel

from chiso import charts
from chiso.app import Workspace
from chiso.catalogue import Catalogue
from chiso.catalogue.models import Indicator, Unit, UnitType
from chiso.catalogue.periods import Period
from chiso.engine import rebase as rb
from chiso.engine.answers import RankRow
from chiso.engine.reading import Policy, Ranking
from chiso.errors import HttpProblem
from chiso.i18n import fmt_number, measure_name, t
from chiso.web.api import default_period
from chiso.web.contexts import Context, page_context
from chiso.web.dashboards import Dashboards
from chiso.web.deps import DashboardsDep, WorkspaceDep
from chiso.web.downloads import Cellish, Column, DataTable, Fmt, download
from chiso.web.labels import unit_label, value_text
from chiso.web.pages import error_page, problem_error_context
from chiso.web.params import indicator_param, optional_period, policy_of, unit_param
from chiso.web.problems import page_errors, responses
from chiso.web.session import load_user
from chiso.web.templating import lang_of, render

# The columns every commune shows: what the province's office follows (Decision 766's dossier figures).
COLUMNS = ("dossier_full_online_rate", "dossier_online_submission_rate", "dossier_on_time_rate",
           "dossier_digitisation_rate")
RECEIVED_FROM = "dossier_full_online_rate"  # its denominator: the dossiers received
RESOLVED_FROM = "dossier_on_time_rate"  # its denominator: the dossiers resolved
PROVINCE_TYPES = (UnitType.PROVINCE, UnitType.CITY)
MAX_PARAM = 200  # characters: no real code, name or period is longer
CALLED_OUT = 5  # leaders and laggards


# --- what can be answered per commune ----------------------------------------------------------------------
def commune_indicators(cat: Catalogue) -> list[Indicator]:
    """The event-derived indicators the kept per-commune aggregates answer (dossier measures; a ``first_seen``
    measure is kept per province only): the columns first, then the others by code."""
    out = []
    for code, ei in cat.event_indicators.items():
        measures = [m for m in (ei.value, ei.numerator, ei.denominator) if m is not None and m in cat.measures]
        if measures and all(cat.measures[m].events == "dossier" and cat.measures[m].agg != "first_seen"
                            for m in measures):
            out.append(cat.indicators[code])
    return sorted(out, key=lambda i: (i.code not in COLUMNS, COLUMNS.index(i.code) if i.code in COLUMNS else 0,
                                      i.code))


def reported_indicators(cat: Catalogue) -> list[Indicator]:
    """What the communes report themselves: the indicators of the data sets collected from the communes
    (``commune_quarterly``), shown as the reader's policy allows."""
    codes: list[str] = []
    for ds in cat.datasets.values():
        if ds.group == "communes":
            codes += [c for c in ds.indicators if c not in codes and c in cat.indicators]
    return [cat.indicators[c] for c in codes]


# --- the names asked ---------------------------------------------------------------------------------------
def _short(value: str | None, field: str, lang: str) -> None:
    if value is not None and len(value) > MAX_PARAM:
        raise HttpProblem(422, "too-long", f"{field}: {t('page.communes.too_long', lang, most=MAX_PARAM)}",
                          field=field, value=value[:MAX_PARAM] + "…", suggestions=[])


def province_param(cat: Catalogue, code: str, lang: str) -> Unit:
    """The province in the path: a province or a centrally run city; a commune, district, ministry or group is
    refused (404) naming what it is, with its province when it lies in one."""
    _short(code, "code", lang)
    u = unit_param(cat, code, "code", in_path=True)
    if u.type not in PROVINCE_TYPES:
        hint = [u.province] if u.province else []
        raise HttpProblem(404, "not-a-province",
                          f"code: {t('page.communes.not_a_province', lang, unit=u.name, code=u.code)}",
                          field="code", value=code, suggestions=hint)
    return u


def shown_province(cat: Catalogue, province: Unit, p: Period, lang: str) -> Unit:
    """The province whose communes the period's structure holds: the one asked, or the one that carries it on
    the period's end (Đà Nẵng P48 → P48-2025 for 2025). A province not yet formed then is refused."""
    if province.valid_on(p.end):
        return province
    carriers = cat.successor_on(province, p.end)
    if carriers:
        return carriers[0][0]
    former = [u.code for u, _ in cat.predecessors(province)]
    raise HttpProblem(422, "not-in-period",
                      f"period: {t('page.communes.not_yet', lang, unit=province.short, period=str(p))}",
                      field="period", value=str(p), suggestions=former)


def communes_group(cat: Catalogue, province: Unit) -> Unit | None:
    return cat.units.get(f"{province.code}.communes")


# --- the view, cached per data version ---------------------------------------------------------------------
@dataclass(frozen=True)
class CommuneRow:
    unit: Unit
    district: Unit | None
    rank: int | None  # in the chosen indicator
    cells: dict[str, RankRow]  # by indicator code
    received: float | None
    resolved: float | None

    def value(self, code: str) -> float | None:
        r = self.cells.get(code)
        return r.value if r is not None else None


@dataclass(frozen=True)
class CommunesView:
    province: Unit  # as asked
    shown: Unit  # whose communes are shown
    group: Unit | None
    period: Period
    indicator: Indicator  # the one ranked, sorted by and mapped
    columns: list[Indicator]
    rankings: dict[str, Ranking]
    rows: list[CommuneRow]  # best first in the chosen indicator; without a value last, by code

    @property
    def ranked(self) -> list[CommuneRow]:
        return [r for r in self.rows if r.rank is not None]

    def called_out(self) -> tuple[list[CommuneRow], list[CommuneRow]]:
        """The leaders and laggards (up to five each, never the same commune in both)."""
        ranked = self.ranked
        n = min(CALLED_OUT, len(ranked) // 2)
        return ranked[:n], list(reversed(ranked[-n:])) if n else []


def communes_view(dash: Dashboards, province: Unit, shown: Unit, p: Period, ind: Indicator,
                  policy: Policy) -> CommunesView:
    key = ("communes", province.code, shown.code, str(p), ind.code)
    return dash.cached(key, policy, lambda v: _view(dash, province, shown, p, ind, policy, v))


def _view(dash: Dashboards, province: Unit, shown: Unit, p: Period, ind: Indicator, policy: Policy,
          version: Any) -> CommunesView:
    cat = dash.cat
    columns = [cat.indicators[c] for c in COLUMNS if c in cat.indicators] + reported_indicators(cat)
    if ind not in columns:
        columns.append(ind)
    group = communes_group(cat, shown)
    rankings: dict[str, Ranking] = {}
    if group is not None:
        rd = dash.reader(p, policy, version)
        for c in columns:  # one ranking per column: one read per measure for every commune at once
            rankings[c.code] = rd.ranking(c, group, p, fallback=False)
    by_unit: dict[str, dict[str, RankRow]] = {}
    for code, rk in rankings.items():
        for r in rk.rows:
            by_unit.setdefault(r.unit.code, {})[code] = r
    order = [r.unit for r in rankings[ind.code].rows] if ind.code in rankings else []

    def count(cells: dict[str, RankRow], code: str) -> float | None:
        r = cells.get(code)
        return r.figure.denominator if r is not None and r.figure is not None else None

    rows = []
    for u in order:
        cells = by_unit.get(u.code, {})
        parent = cat.units.get(u.parent) if u.parent else None
        district = parent if parent is not None and parent.type is UnitType.DISTRICT else None
        rows.append(CommuneRow(u, district, cells[ind.code].rank, cells, count(cells, RECEIVED_FROM),
                               count(cells, RESOLVED_FROM)))
    return CommunesView(province, shown, group, p, ind, columns, rankings, rows)


# --- the grid map ------------------------------------------------------------------------------------------
def commune_grid(units: Sequence[Unit]) -> dict[str, tuple[int, int]]:
    """Each commune's (row, col) on a grid drawn from its ``lat``/``lon``: the bounding box cut into about twice
    as many cells as communes, each commune in its own cell or the nearest free one (north up). Communes without
    coordinates go on a row below. Deterministic: the same units give the same grid."""
    placed = [u for u in units if u.lat is not None and u.lon is not None]
    out: dict[str, tuple[int, int]] = {}
    rows = cols = 0
    if placed:
        lats = [u.lat for u in placed if u.lat is not None]
        lons = [u.lon for u in placed if u.lon is not None]
        mid = math.cos(math.radians((min(lats) + max(lats)) / 2))
        h = max(max(lats) - min(lats), 1e-6)
        w = max((max(lons) - min(lons)) * mid, 1e-6)
        cells = 2 * len(placed)
        cols = max(1, min(len(placed), round(math.sqrt(cells * w / h))))
        rows = max(1, math.ceil(cells / cols))
        free = {(r, c) for r in range(rows) for c in range(cols)}
        want = {}
        for u in placed:
            assert u.lat is not None and u.lon is not None
            want[u.code] = ((max(lats) - u.lat) / h * (rows - 1), (u.lon - min(lons)) * mid / w * (cols - 1))
        # the communes nearest their own cell's centre choose first, then outwards
        for u in sorted(placed, key=lambda x: (abs(want[x.code][0] - round(want[x.code][0]))
                                               + abs(want[x.code][1] - round(want[x.code][1])), x.code)):
            y, x = want[u.code]
            cell = min(free, key=lambda rc: ((rc[0] - y) ** 2 + (rc[1] - x) ** 2, rc))
            free.discard(cell)
            out[u.code] = cell
    rest = sorted((u for u in units if u.code not in out), key=lambda u: u.code)
    width = max(cols, 8)
    for i, u in enumerate(rest):
        out[u.code] = (rows + 1 + i // width, i % width)
    return out


def communes_map(v: CommunesView, lang: str, drafts: bool) -> Markup:
    ind = v.indicator
    grid = commune_grid([r.unit for r in v.rows])
    q = f"?period={v.period}" + ("&drafts=1" if drafts else "")
    tiles = [charts.Tile(r.unit.code, r.unit.short, *grid[r.unit.code], r.value(ind.code),
                         value_text(r.value(ind.code), ind, lang), f"/units/{r.unit.code}{q}", r.rank)
             for r in v.rows]
    return charts.tile_map(
        tiles, [], fmt=lambda x: fmt_number(x, ind.decimals, lang),
        title=t("page.communes.map_title", lang, name=ind.name.get(lang), province=v.shown.short,
                period=str(v.period)),
        no_data_text=t("web.no_data", lang), testid="communes-map")


# --- the table (page, CSV, XLSX) ---------------------------------------------------------------------------
def communes_table(v: CommunesView, lang: str) -> DataTable:
    cols = [Column("page.communes.col.rank"), Column("web.col.unit_code"), Column("page.communes.col.commune"),
            Column("page.communes.col.type"), Column("page.communes.col.district"),
            Column("page.communes.col.received"), Column("page.communes.col.resolved"),
            *(Column(text=f"{c.name.get(lang)} ({measure_name(c.unit, lang)})" if c.unit else c.name.get(lang))
              for c in v.columns)]
    rows: list[list[Cellish]] = []
    for r in v.rows:
        rows.append([r.rank, r.unit.code, r.unit.name, r.unit.local_type or "",
                     r.district.name if r.district else "", r.received, r.resolved,
                     *(r.value(c.code) for c in v.columns)])
    return DataTable(f"xa-phuong_{v.shown.code}_{v.period}_{v.indicator.code}", "page.communes.table", cols, rows)


# --- the page ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CommunesContext(Context):
    page: CommunesView
    choices: list[Indicator]
    map: Markup
    leaders: list[CommuneRow]
    laggards: list[CommuneRow]
    drafts: bool
    carried: bool  # the province asked ended; its carrier's communes are shown
    unit_label: Callable[[Unit], str]
    value_text: Callable[[float | None, Indicator], str]
    num: Callable[[float | None], str]
    fmt_date: Callable[[date], str]
    query: Callable[..., str]


PAGE_ERRORS: Any = Depends(page_errors(error_page("communes.html", problem_error_context)))
router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asked:
    province: Unit
    shown: Unit
    period: Period
    indicator: Indicator
    policy: Policy


def asked(request: Request, ws: Workspace, dash: Dashboards, code: str, period: str | None,
          indicator: str | None, drafts: bool) -> Asked:
    lang = lang_of(request)
    cat = ws.catalogue
    _short(period, "period", lang)
    _short(indicator, "indicator", lang)
    province = province_param(cat, code, lang)
    ind = (indicator_param(cat, indicator, "indicator", in_path=False) if indicator is not None and indicator.strip()
           else cat.indicators[COLUMNS[0]])
    policy = policy_of(request, ws, drafts)
    p = optional_period(period) or default_period(dash, ind, policy)
    return Asked(province, shown_province(cat, province, p, lang), p, ind, policy)


def _view_of(request: Request, ws: Workspace, dash: Dashboards, code: str, period: str | None,
             indicator: str | None, drafts: bool) -> CommunesView:
    a = asked(request, ws, dash, code, period, indicator, drafts)
    return communes_view(dash, a.province, a.shown, a.period, a.indicator, a.policy)


@router.get("/units/{code}/communes", response_class=HTMLResponse, dependencies=[PAGE_ERRORS])
def communes_page(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, period: str | None = None,
                  indicator: str | None = None, drafts: bool = False) -> HTMLResponse:
    load_user(request)
    lang = lang_of(request)
    v = _view_of(request, ws, dash, code, period, indicator, drafts)
    leaders, laggards = v.called_out()
    choices = commune_indicators(ws.catalogue) + reported_indicators(ws.catalogue)
    if v.indicator not in choices:
        choices.append(v.indicator)
    ctx = CommunesContext(
        page=v, choices=choices, map=communes_map(v, lang, drafts), leaders=leaders, laggards=laggards,
        drafts=drafts, carried=v.shown.code != v.province.code, unit_label=lambda u: unit_label(u, lang),
        value_text=lambda x, ind: value_text(x, ind, lang) if x is not None else "—",
        num=lambda x: fmt_number(x, 0, lang) if x is not None else "—",
        fmt_date=lambda d: rb.fmt_date(d, lang), query=page_context(lang)["query"])
    return render(request, "communes.html", ctx.as_dict())


@router.get("/units/{code}/communes.{fmt}", dependencies=[PAGE_ERRORS])
def communes_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, fmt: Fmt,
                      period: str | None = None, indicator: str | None = None, drafts: bool = False) -> Response:
    v = _view_of(request, ws, dash, code, period, indicator, drafts)
    lang = lang_of(request)
    return download(communes_table(v, lang), fmt, lang)


# --- the API -----------------------------------------------------------------------------------------------
class CommuneValue(BaseModel):
    indicator: str
    value: float | None
    rank: int | None
    numerator: float | None = None
    denominator: float | None = None
    source: str | None = None


class CommuneOut(BaseModel):
    code: str
    name: str
    short: str
    local_type: str | None = None
    district: str | None = None
    district_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    rank: int | None  # in the indicator ranked
    value: float | None
    received: float | None = None  # dossiers received (the full-online rate's denominator)
    resolved: float | None = None  # dossiers resolved (the on-time rate's denominator)
    values: list[CommuneValue]


class CommunesOut(BaseModel):
    province: str
    province_name: str
    shown: str  # the province whose communes these are (the one asked, or the one carrying it at the period's end)
    group: str | None = None
    period: str
    structure: date  # the day whose structure the communes are of: the period's end
    indicator: str
    indicators: list[str]
    count: int
    ranked: int
    leaders: list[str]
    laggards: list[str]
    communes: list[CommuneOut]


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def communes_out(v: CommunesView) -> CommunesOut:
    leaders, laggards = v.called_out()
    out = []
    for r in v.rows:
        values = []
        for c in v.columns:
            cell = r.cells.get(c.code)
            f = cell.figure if cell is not None else None
            values.append(CommuneValue(indicator=c.code, value=_finite(cell.value) if cell else None,
                                       rank=cell.rank if cell else None,
                                       numerator=f.numerator if f else None, denominator=f.denominator if f else None,
                                       source=f.source if f else None))
        u = r.unit
        out.append(CommuneOut(code=u.code, name=u.name, short=u.short, local_type=u.local_type,
                              district=r.district.code if r.district else None,
                              district_name=r.district.name if r.district else None, lat=u.lat, lon=u.lon,
                              rank=r.rank, value=_finite(r.value(v.indicator.code)), received=r.received,
                              resolved=r.resolved, values=values))
    return CommunesOut(province=v.province.code, province_name=v.province.name, shown=v.shown.code,
                       group=v.group.code if v.group else None, period=str(v.period), structure=v.period.end,
                       indicator=v.indicator.code, indicators=[c.code for c in v.columns], count=len(v.rows),
                       ranked=len(v.ranked), leaders=[r.unit.code for r in leaders],
                       laggards=[r.unit.code for r in laggards], communes=out)


api_router = APIRouter(prefix="/api/v1", tags=["read"])
_NOT_FOUND = "Unknown unit code in the path, or a unit that is not a province (a commune, a ministry, a group)"
_UNPROCESSABLE = ("Unknown period or indicator, a parameter longer than 200 characters, or a province not yet "
                  "formed at the period's end")


@api_router.get("/units/{code}/communes", response_model=CommunesOut,
                responses=responses(s404=_NOT_FOUND, s422=_UNPROCESSABLE))
def communes_api(
    request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str,
    period: Annotated[str | None, Query(description="e.g. 2024, 2024Q3, 2025; default: the latest with data. "
                                                    "The communes are those of the structure at its end")] = None,
    indicator: Annotated[str | None, Query(description="the indicator ranked (any indicator's code); "
                                                       "default dossier_full_online_rate")] = None,
    drafts: bool = False,
) -> CommunesOut:
    """A province's communes for a period: each one's dossier figures (full-online, online-submission, on-time
    and digitisation rates, dossiers received and resolved), ranked by one indicator, with the leaders and
    laggards."""
    return communes_out(_view_of(request, ws, dash, code, period, indicator, drafts))


__all__ = ["api_router", "commune_grid", "commune_indicators", "communes_table", "router"]
