"""What each dashboard page's template is given: one typed context per page, built by one function from the
page's view (``web.dashboards``) and the reader's language. The field names are the names the templates use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from chiso import app as core
from chiso import charts
from chiso.app import Workspace
from chiso.catalogue import Catalogue
from chiso.catalogue.models import PILLAR_NAMES, Indicator, Pillar, Successor, Unit, UnitType
from chiso.catalogue.periods import Period
from chiso.engine import rebase as rb
from chiso.engine.answers import RankRow
from chiso.engine.reading import Cell, Ranking, period_of
from chiso.engine.structure import STRUCTURE_WORDS, structure_label
from chiso.errors import ChisoError, ParameterError, UnknownNameError
from chiso.i18n import fmt_compact, fmt_number, t
from chiso.web.dashboards import IndicatorView, Overview, UnitView
from chiso.web.foresight import MissesView, ProjectionBlock
from chiso.web.labels import better, cell_text, change_text, region_label, unit_label, value_text


@dataclass(frozen=True)
class Context:
    """A template's context; ``as_dict()`` is what ``templating.render`` takes (a shallow copy, not ``asdict``)."""

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class ErrorContext(Context):
    """A page that could not be shown: what was wrong, in which field, and the nearest valid names."""

    error: str
    error_field: str | None
    suggestions: list[str]
    page: None = None


def error_context(exc: ChisoError, lang: str) -> ErrorContext:
    if isinstance(exc, ParameterError):
        return ErrorContext(exc.render(lang), exc.field, exc.exc.suggestions)
    return ErrorContext(exc.render(lang), None, exc.suggestions if isinstance(exc, UnknownNameError) else [])


@dataclass(frozen=True)
class PageContext(Context):
    """What every dashboard page uses: labels and formats in the reader's language."""

    pillar_name: Callable[[Pillar], str]
    unit_label: Callable[[Unit], str]
    cell_text: Callable[[Cell], str]
    change_text: Callable[[float | None, float | None, Indicator], str]
    region_label: Callable[[str | None], str]
    better: Callable[[float | None, float | None, Indicator], bool | None]
    query: Callable[..., str]


def page_context(lang: str) -> dict[str, Any]:
    """The fields of ``PageContext`` for ``lang``, to build a page's context with."""
    return {
        "pillar_name": lambda p: PILLAR_NAMES[p].get(lang),
        "unit_label": lambda u: unit_label(u, lang),
        "cell_text": lambda c: cell_text(c, lang),
        "change_text": lambda a, b, ind: change_text(a, b, ind, lang),
        "region_label": lambda r: region_label(r, lang),
        "better": better,
        "query": lambda **kw: urlencode({k: str(v) for k, v in kw.items() if v not in (None, "")}),
    }


# --- the overview --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveNote:
    """The overview's line on a year being filled live by events, with a link to the other year."""

    lead: str
    text: str
    href: str
    link: str


@dataclass(frozen=True)
class OverviewContext(PageContext):
    page: Overview
    cols: list[int]  # the columns shown: the nation, then the blocs (only the one of the group filter)
    group: str
    sparks: dict[str, Markup]
    drafts: bool
    period_text: str
    groups: list[Unit]
    catalogue: list[tuple[Pillar, list[Indicator]]]
    latest_report: core.WrittenReport | None
    live: LiveNote | None
    misses: MissesView | None = None  # the year's likely misses (None: nothing to project)


def live_note(ov: Overview, cat: Catalogue, lang: str) -> LiveNote | None:
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
        return LiveNote("", text, f"/?period={complete}", t("live.see_complete", lang, complete=complete))
    return LiveNote(t("live.showing_complete", lang, complete=complete), text, f"/?period={live}",
                    t("live.see_live", lang, live=live))


def overview_context(ws: Workspace, ov: Overview, only: Unit | None, drafts: bool, lang: str,
                     misses: MissesView | None = None) -> OverviewContext:
    cat = ws.catalogue
    cols = [i for i, u in enumerate(ov.units) if only is None or i == 0 or u.code == only.code]
    sparks = {r.indicator.code: charts.sparkline(
        [c.value for c in r.trend], invert=r.indicator.is_rank,
        title=", ".join(f"{c.period}: {cell_text(c, lang)}" for c in r.trend if c.value is not None))
        for _, rs in ov.pillars for r in rs}
    return OverviewContext(
        **page_context(lang), page=ov, cols=cols, group=only.code if only else "", sparks=sparks, drafts=drafts,
        period_text=str(ov.period), groups=cat.groups(),
        catalogue=[(p, sorted(cat.by_pillar(p), key=lambda i: (not i.key, i.code))) for p in Pillar],
        latest_report=next(iter(core.list_reports(ws)), None), live=live_note(ov, cat, lang), misses=misses,
    )


# --- an indicator ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorContext(PageContext):
    page: IndicatorView
    ind: Indicator
    chart: Markup
    series_note: str | None
    rank_notes: dict[tuple[str, str], str | None]
    structure: str  # as asked, for the filter
    structure_choices: list[tuple[str, str]]
    structure_label: Callable[[date], str]
    map: Markup
    histogram: Markup
    leaders: list[RankRow]
    laggards: list[RankRow]
    drafts: bool
    groups: list[Unit]
    units: list[Unit]
    value_text: Callable[[float | None], str]
    pillar: str
    foresight: ProjectionBlock | None = None  # the year-end projection of the series' unit


# Where each archipelago's marker sits beside the province that holds it, in each structure's grid.
ISLAND_CELLS = {"P48": (10, 7), "P56": (19, 7), "P48-2025": (10, 6), "P56-2025": (16, 6)}


def islands(cat: Catalogue, lang: str, period: str, day: date) -> list[charts.Island]:
    # Vietnam's maps show both archipelagos: Hoàng Sa belongs to Đà Nẵng, Trường Sa to Khánh Hòa (in any
    # structure: the province that carries the 2024 one on ``day``).
    out = []
    for testid, msg, former in (("island-hoang-sa", "web.island.hoang_sa", "P48"),
                                ("island-truong-sa", "web.island.truong_sa", "P56")):
        if former not in cat.units:
            continue
        carriers = cat.successor_on(cat.units[former], day) or [(cat.units[former], Successor(unit=former))]
        u = carriers[0][0]
        cell = ISLAND_CELLS.get(u.code) or ((u.grid[0] - 1, u.grid[1] + 1) if u.grid else None)
        if cell is None:
            continue
        out.append(charts.Island(testid, t(msg, lang), u.short, cell[0], cell[1],
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
        tiles, islands(cat, lang, str(p), day), fmt=lambda x: fmt_number(x, ind.decimals, lang),
        title=t("web.map.title", lang, name=ind.name.get(lang), period=rk.shown_period if rk else p),
        no_data_text=t("web.no_data", lang),
    )


def _fmt_axis(ind: Indicator, lang: str) -> Callable[[float], str]:
    def f(x: float) -> str:
        if abs(x) >= 1_000_000:
            return fmt_compact(x, lang)
        return fmt_number(x, ind.decimals, lang)

    return f


def indicator_context(ws: Workspace, v: IndicatorView, structure: str | None, drafts: bool,
                      lang: str, foresight: ProjectionBlock | None = None) -> IndicatorContext:
    cat = ws.catalogue
    ind = v.indicator
    series_label = unit_label(v.series_unit, lang)
    chart = charts.line_chart(
        [str(c.period) for c in v.series], [charts.Line(series_label, [c.value for c in v.series])],
        fmt=_fmt_axis(ind, lang), target=[c.target for c in v.series], target_label=t("web.chart.target", lang),
        title=t("web.chart.series", lang, name=ind.name.get(lang), unit=series_label),
        empty_text=t("web.chart.series_empty", lang), invert=ind.is_rank,
    )
    provinces = next((r for r in v.rankings if r.group.code == "provinces"), None)
    hist = charts.histogram(
        v.bins, fmt=lambda x: fmt_number(x, ind.decimals, lang),
        title=t("web.chart.distribution", lang, group=unit_label(v.focus.group, lang)),
        empty_text=t("web.no_data", lang),
    )
    ranked = v.focus.ranked
    n = min(5, len(ranked) // 2) if len(ranked) >= 4 else len(ranked)
    notes = {(rk.group.code, r.unit.code): rb.note(ind, cat, r, period_of(rk.shown_period), lang)
             for rk in v.rankings for r in rk.rebased}
    return IndicatorContext(
        **page_context(lang), page=v, ind=ind, chart=chart,
        series_note=rb.series_note(v.series_answers, cat, lang) if v.series_answers else None,
        rank_notes=notes, structure=(structure or "").strip(),
        structure_choices=[("", t("structure.by_period_default", lang)),
                           *((w, t(f"structure.{w}", lang)) for w in STRUCTURE_WORDS)],
        structure_label=lambda d: structure_label(d, lang),
        map=map_of(cat, ind, provinces, v.period, lang), histogram=hist,
        leaders=ranked[:n], laggards=list(reversed(ranked[-n:])) if len(ranked) >= 4 else [], drafts=drafts,
        groups=cat.groups(),
        units=sorted((u for u in cat.units.values() if not cat.is_local(u)),
                     key=lambda u: (u.type != UnitType.NATION, u.type != UnitType.GROUP, u.code)),
        value_text=lambda x: value_text(x, ind, lang), pillar=PILLAR_NAMES[ind.pillar].get(lang),
        foresight=foresight,
    )


# --- a unit ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitContext(PageContext):
    page: UnitView
    sparks: dict[str, Markup]
    drafts: bool
    series_notes: list[str]
    fmt_date: Callable[[date], str]
    value_text: Callable[[float | None, Indicator], str]
    above: list[Unit]  # a local unit's district and province
    communes: bool  # a province whose communes have their page
    foresight: list[ProjectionBlock] = field(default_factory=list)  # the year-end projections of its targets


def unit_context(ws: Workspace, v: UnitView, drafts: bool, lang: str,
                 foresight: list[ProjectionBlock] | None = None) -> UnitContext:
    cat = ws.catalogue
    sparks = {r.indicator.code: charts.sparkline(
        [h.value for h in r.history], invert=r.indicator.is_rank,
        title=", ".join(f"{h.period}: {cell_text(h, lang)}" for h in r.history if h.value is not None))
        for _, rs in v.pillars for r in rs}
    notes = list(dict.fromkeys(n for _, rs in v.pillars for r in rs if r.answers
                               for n in [rb.series_note(r.answers, cat, lang)] if n))
    u = v.unit
    parent, province = cat.units.get(u.parent or ""), cat.units.get(u.province or "")
    above = [*([parent] if parent is not None and parent.type is UnitType.DISTRICT else []),
             *([province] if province is not None else [])]
    return UnitContext(**page_context(lang), page=v, sparks=sparks, drafts=drafts, series_notes=notes,
                       fmt_date=lambda d: rb.fmt_date(d, lang), value_text=lambda x, ind: value_text(x, ind, lang),
                       above=above, communes=u.type in (UnitType.PROVINCE, UnitType.CITY)
                       and f"{u.code}.communes" in cat.units, foresight=foresight or [])
