"""Composite indices on the web (issue 12): the list (``/indices``), an index's page (its tree with points and
weights, the ranking with rank intervals, a tile map coloured by rating), a unit's scorecard, their tables as
CSV/XLSX, and the read API (``/api/v1/indices``).

The numbers are the engine's (``chiso.engine.indices.IndexScorer``, ``chiso.engine.robustness.analyse``) over a
reader of the dashboards (``Dashboards.reader``: the policy's values, the kept event aggregates), cached in the
dashboards' page cache per data version, so the 766 index moves as event batches arrive, as every page does.
The sentences are ``chiso.report.index_text``'s, said the same way as on the command line and in reports.

The public sees published (approved) values only; a logged-in user may add ``?drafts=1`` (``params.policy_of``).
A name the page does not know answers with the page saying so (404 for a name in the path, 422 in the query);
the API answers problem documents, as ``web.api`` does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import BaseModel

from chiso import charts
from chiso.app import Workspace
from chiso.catalogue import Catalogue
from chiso.catalogue.indices import IndexDef, Node, Rating, Version
from chiso.catalogue.models import Unit
from chiso.catalogue.periods import Period, PeriodKind
from chiso.engine import latest as lt
from chiso.engine.indices import Explanation, GroupScore, IndexScorer, NodeScore, UnitScore
from chiso.engine.reading import Policy, window_of
from chiso.engine.robustness import RankInterval, Robustness, analyse
from chiso.errors import HttpProblem, ParameterError, UnknownIndexError, UnknownUnitError
from chiso.i18n import fmt_number, t
from chiso.report.index_text import (
    coverage_sentence,
    explanation_sentences,
    fmt_index,
    index_name,
    node_name,
    robustness_sentences,
    score_sentence,
)
from chiso.web.contexts import Context, islands, page_context
from chiso.web.dashboards import Dashboards
from chiso.web.deps import DashboardsDep, WorkspaceDep
from chiso.web.downloads import Column, DataTable, Fmt, download
from chiso.web.labels import unit_label, value_text
from chiso.web.pages import error_page
from chiso.web.params import optional_period, policy_of, structure_param
from chiso.web.problems import page_errors, responses
from chiso.web.session import load_user
from chiso.web.templating import lang_of, render

PAGE_SAMPLES = 500  # Monte Carlo samples of the rank intervals on a page (the API's ``samples`` asks for others)
API_SAMPLES = 1000
MAX_SAMPLES = 5000  # the most the API computes for one request
COLOURS = ("green", "lime", "amber", "orange", "red")  # the ratings' traffic lights, best first
SHARE_BANDS = (0.9, 0.7, 0.5, 0.3, 0.0)  # share of full marks for each colour, where a node has no rating
HEX = {"green": ("#15803d", "#ffffff"), "lime": ("#84cc16", "#111827"), "amber": ("#fbbf24", "#111827"),
       "orange": ("#f97316", "#111827"), "red": ("#b91c1c", "#ffffff"), "grey": ("#e5e7eb", "#374151")}


# --- names -------------------------------------------------------------------------------------------------------
def index_param(cat: Catalogue, code: str, field: str = "code", *, in_path: bool = True) -> IndexDef:
    try:
        return cat.index(code)
    except UnknownIndexError as exc:
        raise ParameterError(field, exc, in_path=in_path) from exc


def group_param(cat: Catalogue, idx: IndexDef, ref: str | None, on: date | None = None) -> Unit:
    """The group ranked: one of the index's (its first when blank), or a group of the districts or communes it scores
    (``P48.communes``, "communes of Đà Nẵng": a name is the group of the structure on ``on``); the scorer refuses
    any other, saying which."""
    if ref is None or not ref.strip():
        return cat.units[idx.units[0]]
    return local_param(cat, ref, "group", on)


def local_param(cat: Catalogue, ref: str, field: str, on: date | None, *, in_path: bool = False) -> Unit:
    """A unit by code or name, a name taken as the unit valid on ``on`` (a commune's name is shared across
    structures: "Hồng Hà, Hà Nội" is a 2024 ward before July 2025 and a 2025 one after)."""
    try:
        return cat.unit(ref, on)
    except UnknownUnitError as exc:
        raise ParameterError(field, exc, in_path=in_path) from exc


def samples_param(text: str | None, lang: str) -> int:
    """The API's ``samples`` (read by the handler itself, so that any bad value is a 422 naming the field)."""
    if text is None or not text.strip():
        return API_SAMPLES
    n = int(text.strip()) if re.fullmatch(r"\s*[+]?\d{1,9}\s*", text) else 0
    if not 1 <= n <= MAX_SAMPLES:
        raise HttpProblem(422, "invalid-samples", f"samples: {t('page.index.samples_range', lang, most=MAX_SAMPLES)}",
                          field="samples", value=str(text), suggestions=[])
    return n


def _not_scored(idx: IndexDef, unit: Unit, lang: str) -> HttpProblem:
    """The scorer ranks ``unit`` in a group that does not hold it (an index of one unit): said, never a 500."""
    return HttpProblem(422, "index-not-scored",
                       f"unit: {t('page.index.not_scored', lang, index=index_name(idx, lang), unit=unit.short)}",
                       field="unit", value=unit.code, suggestions=[])


# --- the data, cached per data version (Dashboards.cached) ------------------------------------------------------
def _indicators_of(idx: IndexDef) -> list[str]:
    codes: list[str] = []
    for v in idx.versions:
        for n in v.tree.walk():
            for c in (n.indicator, n.published):
                if c is not None and c not in codes:
                    codes.append(c)
    return codes


def default_period(dash: Dashboards, idx: IndexDef, policy: Policy) -> Period:
    """The latest period any of the index's indicators has figures for (``chiso.engine.latest``); a year that
    only events fill is narrowed to its latest month with events, where the live score moves. Failing any, the
    dashboards' default year."""
    return dash.cached(("index-default", idx.code), policy, lambda _v: _default_period(dash, idx, policy))


def _default_period(dash: Dashboards, idx: IndexDef, policy: Policy) -> Period:
    cat = dash.cat
    codes = _indicators_of(idx)
    p = lt.latest_of(cat, dash.ws.store, [i for c in codes if (i := cat.indicators.get(c)) is not None],
                     policy.statuses, keep=lambda q: idx.version_on(q.end) is not None)
    if p is None:
        return dash.default_year(policy)
    if p.kind is PeriodKind.YEAR:
        measures = sorted({m for c in codes if (ei := cat.event_indicators.get(c)) is not None for m in ei.measures})
        month = lt.latest_event_month(dash.ws.store.events, measures, p.start.year)
        if month is not None:
            return month
    return p


def _reader_scorer(dash: Dashboards, p: Period, policy: Policy, version: Any) -> IndexScorer:
    rd = dash.reader(window_of([p.previous(), p]), policy, version)
    return IndexScorer(rd.engine)


def group_scores(dash: Dashboards, idx: IndexDef, group: Unit, p: Period, structure: date | None,
                 policy: Policy) -> GroupScore:
    key = ("index", idx.code, group.code, str(p), str(structure))
    return dash.cached(key, policy,
                       lambda v: _reader_scorer(dash, p, policy, v).group(idx, group, p, structure))


def rank_robustness(dash: Dashboards, idx: IndexDef, group: Unit, p: Period, structure: date | None,
                    policy: Policy, samples: int) -> Robustness:
    key = ("index-robustness", idx.code, group.code, str(p), str(structure), samples)
    return dash.cached(key, policy, lambda _v: analyse(group_scores(dash, idx, group, p, structure, policy),
                                                       samples=samples, seed=0))


def explanation(dash: Dashboards, idx: IndexDef, unit: Unit, p: Period, policy: Policy, lang: str) -> Explanation:
    def make(v: Any) -> Explanation:
        try:
            return _reader_scorer(dash, p, policy, v).explain(idx, unit, p)
        except KeyError:  # the group ranked does not hold the unit (see _not_scored)
            raise _not_scored(idx, unit, lang) from None

    return dash.cached(("index-explain", idx.code, unit.code, str(p)), policy, make)


# --- colours -----------------------------------------------------------------------------------------------------
def share_of(ns: NodeScore) -> float | None:
    """How much of full marks a node earns: points of its maximum, or its 0–1 score."""
    if ns.points is not None and ns.max_points:
        return max(0.0, min(1.0, ns.points / ns.max_points))
    return None if ns.score is None else max(0.0, min(1.0, ns.score))


def colour_of_share(share: float | None) -> str:
    if share is None:
        return "grey"
    return next(c for c, lo in zip(COLOURS, SHARE_BANDS, strict=True) if share >= lo - 1e-12)


def node_colour(idx: IndexDef, us: UnitScore, ns: NodeScore) -> str:
    """The root by the index's rating rules (when it has any); any other node by its share of full marks."""
    if ns.node.code == us.root and idx.ratings:
        return us.rating.colour if us.rating is not None else "grey"
    return colour_of_share(share_of(ns))


def rating_label(r: Rating | None, lang: str) -> str:
    return "" if r is None else (r.label.en if lang == "en" else r.label.vi)


def index_map(cat: Catalogue, gs: GroupScore, lang: str) -> Markup | None:
    """The provinces ranked, as the tile map the indicator pages draw (Hoàng Sa, Trường Sa with their
    provinces), coloured by rating; None when the group is not provinces."""
    tiles = []
    idx = gs.index
    for us in sorted(gs.units, key=lambda u: u.unit.code):
        u = us.unit
        if u.grid is None:
            continue
        colour = node_colour(idx, us, us.top)
        tiles.append(charts.Tile(u.code, u.short, u.grid[0], u.grid[1], us.value, fmt_index(idx, us.value, lang),
                                 f"/indices/{idx.code}/units/{u.code}?period={gs.period}", us.rank,
                                 fill=HEX[colour], tag=colour))
    if not tiles:
        return None
    day = gs.structure or gs.period.end
    legend = [(HEX[r.colour][0], f"{rating_label(r, lang)} (≥ {fmt_index(idx, r.min, lang)})")
              for r in sorted(idx.ratings, key=lambda r: -r.min)]
    return charts.tile_map(tiles, islands(cat, lang, str(gs.period), day),
                           fmt=lambda x: fmt_index(idx, x, lang),
                           title=t("page.index.map_title", lang, index=index_name(idx, lang), period=str(gs.period)),
                           no_data_text=t("web.no_data", lang), testid="index-map", legend=legend)


# --- what the templates are given ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TreeRow:
    node: Node
    depth: int
    weight: str  # points or weight, as the index gives it
    how: str  # a leaf's scoring, a parent's aggregation
    missing: str  # a parent's missing-data rule


def tree_rows(idx: IndexDef, version: Version, lang: str) -> list[TreeRow]:
    out: list[TreeRow] = []

    def go(n: Node, d: int) -> None:
        if n.points is not None:
            weight = t("page.index.points_n", lang, n=fmt_number(n.points, 2, lang))
        elif n.weight is not None:
            weight = fmt_number(100 * n.weight, 1, lang) + "%"
        else:
            weight = "—"
        if n.is_leaf:
            sc = n.score
            how = t(f"page.index.method.{sc.method}", lang)
            if sc.full_at is not None:
                how += " " + t("page.index.full_at", lang, value=fmt_number(sc.full_at, 2, lang))
            elif sc.min is not None and sc.max is not None:
                how += f" [{fmt_number(sc.min, 2, lang)}; {fmt_number(sc.max, 2, lang)}]"
            missing = ""
        else:
            how = t(f"page.index.aggregate.{n.aggregate}", lang)
            m = n.missing or version.missing
            missing = t(f"index.rule.{m.rule}", lang)
            if m.min_coverage > 0:
                missing += " · " + t("page.index.min_coverage", lang, share=fmt_number(100 * m.min_coverage, 0, lang))
        out.append(TreeRow(n, d, weight, how, missing))
        for c in n.children:
            go(c, d + 1)

    go(version.tree, 0)
    return out


@dataclass(frozen=True)
class IndexListContext(Context):
    indices: list[IndexDef]
    unit_label: Callable[[Unit], str]
    units_of: Callable[[IndexDef], list[Unit]]
    name: Callable[[IndexDef], str]
    query: Callable[..., str]
    page: None = None


@dataclass(frozen=True)
class RankRow:
    us: UnitScore
    interval: RankInterval | None
    colour: str
    value: str
    coverage: str | None  # the coverage sentence when data were missing
    rating: str


@dataclass(frozen=True)
class IndexPageContext(Context):
    page: GroupScore
    index: IndexDef
    name: str
    rows: list[RankRow]
    tree: list[TreeRow]
    robustness: Robustness
    robust_note: str
    depends: list[str]
    map: Markup | None
    groups: list[Unit]
    structure: str
    drafts: bool
    colours: list[tuple[str, str]]  # (colour, label) of the ratings' legend
    unit_label: Callable[[Unit], str]
    query: Callable[..., str]
    pct: Callable[[float | None], str]


@dataclass(frozen=True)
class CardRow:
    ns: NodeScore
    colour: str
    share: float | None
    value: str
    raw: str  # a leaf's indicator value
    rule: str  # a parent's missing rule, said when its coverage is short
    source: str


@dataclass(frozen=True)
class ScorecardContext(Context):
    page: UnitScore
    index: IndexDef
    name: str
    group: GroupScore
    rows: list[CardRow]
    sentences: list[str]
    robust: list[str]
    colour: str
    rating: str
    drafts: bool
    unit_label: Callable[[Unit], str]
    query: Callable[..., str]
    pct: Callable[[float | None], str]


def _pct(x: float | None, lang: str) -> str:
    return "—" if x is None else f"{fmt_number(100 * x, 1, lang)}%"


def rank_rows(gs: GroupScore, rb: Robustness | None, lang: str) -> list[RankRow]:
    intervals = {r.unit: r for r in rb.rows} if rb is not None else {}
    return [RankRow(us, intervals.get(us.unit.code), node_colour(gs.index, us, us.top),
                    fmt_index(gs.index, us.value, lang), coverage_sentence(us, gs, lang),
                    rating_label(us.rating, lang)) for us in gs.units]


def card_rows(cat: Catalogue, gs: GroupScore, us: UnitScore, lang: str) -> list[CardRow]:
    idx = gs.index
    out = []
    for ns in us.nodes.values():
        n = ns.node
        ind = cat.indicators.get(n.indicator) if n.indicator else None
        raw = value_text(ns.raw, ind, lang) if ind is not None and ns.raw is not None else ""
        rule = ""
        if n.children and ns.coverage < 1 - 1e-9:
            rule = t(f"index.rule.{(n.missing or gs.version.missing).rule}", lang)
        out.append(CardRow(ns, node_colour(idx, us, ns), share_of(ns), fmt_index(idx, ns.value, lang), raw, rule,
                           t(f"page.index.source.{ns.source}", lang)))
    return out


# --- tables (CSV, XLSX) -------------------------------------------------------------------------------------------
def _yes_no(x: bool | None, lang: str) -> str:
    return "" if x is None else t("web.yes", lang) if x else t("page.index.no", lang)


def ranking_table(gs: GroupScore, rb: Robustness | None, lang: str) -> DataTable:
    intervals = {r.unit: r for r in rb.rows} if rb is not None else {}
    rows: list[list[Any]] = []
    for us in gs.units:
        r = intervals.get(us.unit.code)
        rows.append([us.rank, us.unit.code, unit_label(us.unit, lang), us.value, us.top.max_points,
                     rating_label(us.rating, lang), us.top.coverage, us.top.source,
                     r.median if r else None, r.low if r else None, r.high if r else None,
                     _yes_no(r.robust if r else None, lang)])
    cols = ["rank", "unit_code", "unit", "value", "max_points", "rating", "coverage", "source", "median_rank",
            "p5", "p95", "robust"]
    return DataTable(f"chi-so_{gs.index.code}_{gs.group.code}_{gs.period}", "page.index.table.ranking",
                     [Column(f"page.index.col.{c}") for c in cols], rows)


def scorecard_table(us: UnitScore, gs: GroupScore, lang: str) -> DataTable:
    rows: list[list[Any]] = []
    for ns in us.nodes.values():
        rows.append([ns.node.code, node_name(ns.node, lang), ns.depth, ns.node.indicator or "", ns.raw, ns.score,
                     ns.value, ns.max_points, ns.gap, ns.coverage, ns.source, node_colour(gs.index, us, ns)])
    cols = ["node", "name", "depth", "indicator", "raw", "score", "value", "max_points", "points_missing",
            "coverage", "source", "colour"]
    return DataTable(f"the-diem_{gs.index.code}_{us.unit.code}_{gs.period}", "page.index.table.scorecard",
                     [Column(f"page.index.col.{c}") for c in cols], rows)


# --- pages ---------------------------------------------------------------------------------------------------------
LIST_ERRORS: Any = Depends(page_errors(error_page("index_list.html")))
INDEX_ERRORS: Any = Depends(page_errors(error_page("index_page.html")))
CARD_ERRORS: Any = Depends(page_errors(error_page("index_unit.html")))

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asked:
    idx: IndexDef
    period: Period
    policy: Policy


def _asked(request: Request, ws: Workspace, dash: Dashboards, code: str, period: str | None, drafts: bool) -> Asked:
    idx = index_param(ws.catalogue, code)
    policy = policy_of(request, ws, drafts)
    p = optional_period(period) or default_period(dash, idx, policy)
    return Asked(idx, p, policy)


def _index_data(request: Request, ws: Workspace, dash: Dashboards, code: str, period: str | None, group: str | None,
                structure: str | None, drafts: bool, samples: int) -> tuple[GroupScore, Robustness]:
    a = _asked(request, ws, dash, code, period, drafts)
    s = structure_param(structure)
    g = group_param(ws.catalogue, a.idx, group, s or a.period.end)
    gs = group_scores(dash, a.idx, g, a.period, s, a.policy)
    return gs, rank_robustness(dash, a.idx, g, a.period, s, a.policy, samples)


def _card_data(request: Request, ws: Workspace, dash: Dashboards, code: str, unit: str, period: str | None,
               drafts: bool) -> tuple[Explanation, Robustness]:
    a = _asked(request, ws, dash, code, period, drafts)
    u = local_param(ws.catalogue, unit, "unit", a.period.end, in_path=True)
    ex = explanation(dash, a.idx, u, a.period, a.policy, lang_of(request))
    gs = ex.group
    rb = rank_robustness(dash, a.idx, gs.group, a.period, gs.structure, a.policy, PAGE_SAMPLES)
    return ex, rb


@router.get("/indices", response_class=HTMLResponse, dependencies=[LIST_ERRORS])
def index_list_page(request: Request, ws: WorkspaceDep) -> HTMLResponse:
    load_user(request)
    lang = lang_of(request)
    cat = ws.catalogue
    ctx = IndexListContext(
        indices=sorted(cat.indices.values(), key=lambda i: (i.code != "qd766", i.code)),
        unit_label=lambda u: unit_label(u, lang),
        units_of=lambda i: [cat.units[c] for c in i.units if c in cat.units],
        name=lambda i: i.name.en if lang == "en" else i.name.vi,
        query=page_context(lang)["query"])
    return render(request, "index_list.html", ctx.as_dict())


@router.get("/indices/{code}", response_class=HTMLResponse, dependencies=[INDEX_ERRORS])
def index_page(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, period: str | None = None,
               group: str | None = None, structure: str | None = None, drafts: bool = False) -> HTMLResponse:
    load_user(request)
    lang = lang_of(request)
    gs, rb = _index_data(request, ws, dash, code, period, group, structure, drafts, PAGE_SAMPLES)
    idx = gs.index
    cat = ws.catalogue
    scored = [r for r in rb.rows if r.robust is not None]
    ratings = sorted(idx.ratings, key=lambda r: -r.min)
    colours = ([(r.colour, f"{rating_label(r, lang)} (≥ {fmt_index(idx, r.min, lang)})") for r in ratings]
               if ratings else [(c, f"≥ {fmt_number(100 * lo, 0, lang)}%") for c, lo in zip(COLOURS, SHARE_BANDS,
                                                                                          strict=True)])
    ctx = IndexPageContext(
        page=gs, index=idx, name=index_name(idx, lang), rows=rank_rows(gs, rb, lang),
        tree=tree_rows(idx, gs.version, lang), robustness=rb,
        robust_note=t("page.index.robust_count", lang, robust=sum(1 for r in scored if r.robust), total=len(scored),
                      samples=rb.samples, spread=fmt_number(100 * rb.spread, 0, lang)),
        depends=robustness_sentences(rb, unit="", lang=lang),
        map=index_map(cat, gs, lang) if gs.group.code == "provinces" else None,
        groups=[cat.units[c] for c in idx.units if c in cat.units], structure=(structure or "").strip(),
        drafts=drafts, colours=[*colours, ("grey", t("web.no_data", lang))],
        unit_label=lambda u: unit_label(u, lang), query=page_context(lang)["query"], pct=lambda x: _pct(x, lang))
    return render(request, "index_page.html", ctx.as_dict())


@router.get("/indices/{code}/units/{unit}", response_class=HTMLResponse, dependencies=[CARD_ERRORS])
def scorecard_page(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, unit: str,
                   period: str | None = None, drafts: bool = False) -> HTMLResponse:
    load_user(request)
    lang = lang_of(request)
    ex, rb = _card_data(request, ws, dash, code, unit, period, drafts)
    us, gs = ex.now, ex.group
    ctx = ScorecardContext(
        page=us, index=gs.index, name=index_name(gs.index, lang), group=gs, rows=card_rows(ws.catalogue, gs, us, lang),
        sentences=explanation_sentences(ex, lang), robust=robustness_sentences(rb, unit=us.unit.code, lang=lang),
        colour=node_colour(gs.index, us, us.top), rating=rating_label(us.rating, lang), drafts=drafts,
        unit_label=lambda u: unit_label(u, lang), query=page_context(lang)["query"], pct=lambda x: _pct(x, lang))
    return render(request, "index_unit.html", ctx.as_dict())


@router.get("/indices/{code}/ranking.{fmt}", dependencies=[INDEX_ERRORS])
def ranking_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, fmt: Fmt,
                     period: str | None = None, group: str | None = None, structure: str | None = None,
                     drafts: bool = False) -> Response:
    gs, rb = _index_data(request, ws, dash, code, period, group, structure, drafts, PAGE_SAMPLES)
    lang = lang_of(request)
    return download(ranking_table(gs, rb, lang), fmt, lang)


@router.get("/indices/{code}/units/{unit}/scorecard.{fmt}", dependencies=[CARD_ERRORS])
def scorecard_download(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, unit: str, fmt: Fmt,
                       period: str | None = None, drafts: bool = False) -> Response:
    ex, _rb = _card_data(request, ws, dash, code, unit, period, drafts)
    lang = lang_of(request)
    return download(scorecard_table(ex.now, ex.group, lang), fmt, lang)


# --- the API -------------------------------------------------------------------------------------------------------
class TextOut(BaseModel):
    vi: str
    en: str


class VersionOut(BaseModel):
    id: str
    valid_from: date
    valid_to: date | None = None
    source: str | None = None


class RatingOut(BaseModel):
    min: float
    label: TextOut
    colour: str


class IndexOut(BaseModel):
    code: str
    name: TextOut
    short: TextOut
    description: TextOut | None = None
    units: list[str]
    value: Literal["points", "score"]
    decimals: int
    ratings: list[RatingOut]
    versions: list[VersionOut]


class IndexList(BaseModel):
    count: int
    indices: list[IndexOut]


class NodeOut(BaseModel):
    code: str
    name: str
    name_en: str
    depth: int
    indicator: str | None = None
    value: float | None = None  # as the index publishes the node: points, or the 0–1 score
    score: float | None = None
    points: float | None = None
    max_points: float | None = None
    points_missing: float | None = None
    coverage: float | None = None
    source: str
    raw: float | None = None
    computed_score: float | None = None
    weight: float | None = None
    method: str
    colour: str  # traffic light: the rating for the root, the share of full marks for the others


class ScoreOut(BaseModel):
    index: str
    version: str
    unit: str
    unit_name: str
    group: str
    period: str
    value: float | None
    rank: int | None
    of: int
    rating: RatingOut | None = None
    coverage: float | None = None
    nodes: list[NodeOut]
    sentences: list[str]


class RankRowOut(BaseModel):
    unit: str
    name: str
    rank: int | None
    of: int
    value: float | None
    coverage: float | None = None
    source: str
    rating: str | None = None
    colour: str


class RankOut(BaseModel):
    index: str
    version: str
    group: str
    period: str
    structure: str | None = None
    value_kind: str
    rows: list[RankRowOut]


class MoveOut(BaseModel):
    code: str
    depth: int
    before: float | None
    after: float | None
    change: float | None


class GainOut(BaseModel):
    code: str
    reach: float | None
    gain: float | None
    score: float | None = None


class ExplainOut(BaseModel):
    index: str
    unit: str
    period: str
    value: float | None
    rank: int | None
    of: int
    previous_period: str | None = None
    previous_value: float | None = None
    previous_rank: int | None = None
    moves: list[MoveOut]
    gains: list[GainOut]
    sentences: list[str]


class IntervalOut(BaseModel):
    unit: str
    name: str
    rank: int | None
    median: float | None
    p5: int | None
    p95: int | None
    robust: bool | None


class FactorOut(BaseModel):
    factor: str
    node: str
    kind: str
    s1: float | None


class SensitivityOut(BaseModel):
    index: str
    group: str
    period: str
    samples: int
    seed: int
    spread: float
    tolerance: int
    mean_rank_shift: float | None
    rows: list[IntervalOut]
    sensitivity: list[FactorOut]
    sentences: list[str]


def finite(x: Any) -> Any:
    """JSON has no NaN or infinity: such a number is null."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [finite(v) for v in x]
    return x


def _text(x: Any) -> TextOut:
    return TextOut(vi=x.vi, en=x.en)


def _rating(r: Rating | None) -> RatingOut | None:
    return None if r is None else RatingOut(min=r.min, label=_text(r.label), colour=r.colour)


def index_out(idx: IndexDef) -> IndexOut:
    return IndexOut(code=idx.code, name=_text(idx.name), short=_text(idx.label),
                    description=_text(idx.description) if idx.description else None, units=list(idx.units),
                    value=idx.value, decimals=idx.decimals,
                    ratings=[RatingOut(min=r.min, label=_text(r.label), colour=r.colour) for r in idx.ratings],
                    versions=[VersionOut(id=v.id, valid_from=v.valid_from, valid_to=v.valid_to, source=v.source)
                              for v in idx.versions])


_IN_PATH = "Unknown index code"
_IN_QUERY = ("Unknown unit, group, period or structure in the query, a unit or period the index does not score, "
             "or samples out of range")
_PERIOD = "e.g. 2024, 2024Q3, 2024-06; default: the latest month with data"
_STRUCTURE = "unit structure: 2024, 2025 or a date (2025-07-01); default: the one valid at the period's end"

api_router = APIRouter(prefix="/api/v1/indices", tags=["indices"])


def _api_period(dash: Dashboards, idx: IndexDef, period: str | None, policy: Policy) -> Period:
    return optional_period(period) or default_period(dash, idx, policy)


@api_router.get("", response_model=IndexList, responses=responses())
def list_indices(ws: WorkspaceDep) -> IndexList:
    """The composite indices (the 766 index, the DTI, the EGDI): their units, value kind, ratings and versions."""
    out = [index_out(i) for i in sorted(ws.catalogue.indices.values(), key=lambda i: i.code)]
    return IndexList(count=len(out), indices=out)


@api_router.get("/{code}/score", response_model=ScoreOut, responses=responses(s404=_IN_PATH, s422=_IN_QUERY))
def index_score(
    request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str,
    unit: Annotated[str, Query(description="unit code or name, e.g. P48 or BTP")],
    period: Annotated[str | None, Query(description=_PERIOD)] = None,
    drafts: bool = False,
) -> ScoreOut:
    """One unit's score: every node of the tree (points against full marks, coverage, source), its rank in its
    group, its rating, and the sentence that says it."""
    lang = lang_of(request)
    idx = index_param(ws.catalogue, code)
    policy = policy_of(request, ws, drafts)
    p = _api_period(dash, idx, period, policy)
    u = local_param(ws.catalogue, unit, "unit", p.end)
    ex = explanation(dash, idx, u, p, policy, lang)
    us, gs = ex.now, ex.group
    nodes = [NodeOut(**finite(ns.as_dict()), colour=node_colour(idx, us, ns)) for ns in us.nodes.values()]
    sentences = [score_sentence(us, gs, lang), *filter(None, [coverage_sentence(us, gs, lang)])]
    return ScoreOut(index=idx.code, version=gs.version.id, unit=us.unit.code, unit_name=us.unit.short,
                    group=gs.group.code, period=str(gs.period), value=finite(us.value), rank=us.rank, of=us.of,
                    rating=_rating(us.rating), coverage=finite(us.top.coverage), nodes=nodes, sentences=sentences)


@api_router.get("/{code}/rank", response_model=RankOut, responses=responses(s404=_IN_PATH, s422=_IN_QUERY))
def index_rank(
    request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str,
    group: Annotated[str | None, Query(description="the group ranked, one of the index's units; default its first")]
    = None,
    period: Annotated[str | None, Query(description=_PERIOD)] = None,
    structure: Annotated[str | None, Query(description=_STRUCTURE)] = None,
    drafts: bool = False,
) -> RankOut:
    """Every member of a group scored and ranked, best first (unscored last)."""
    idx = index_param(ws.catalogue, code)
    policy = policy_of(request, ws, drafts)
    p, s = _api_period(dash, idx, period, policy), structure_param(structure)
    g = group_param(ws.catalogue, idx, group, s or p.end)
    gs = group_scores(dash, idx, g, p, s, policy)
    d = finite(gs.as_dict())
    rows = [RankRowOut(**r, colour=node_colour(idx, us, us.top)) for r, us in zip(d["rows"], gs.units, strict=True)]
    return RankOut(index=d["index"], version=d["version"], group=d["group"], period=d["period"],
                   structure=d["structure"], value_kind=d["value_kind"], rows=rows)


@api_router.get("/{code}/explain", response_model=ExplainOut, responses=responses(s404=_IN_PATH, s422=_IN_QUERY))
def index_explain(
    request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str,
    unit: Annotated[str, Query(description="unit code or name, e.g. P48 or BTP")],
    period: Annotated[str | None, Query(description=_PERIOD)] = None,
    drafts: bool = False,
) -> ExplainOut:
    """What moved a unit's score since the previous period, by node, and which sub-criteria at full marks would
    raise it most; with the sentences that say so."""
    lang = lang_of(request)
    idx = index_param(ws.catalogue, code)
    policy = policy_of(request, ws, drafts)
    p = _api_period(dash, idx, period, policy)
    u = local_param(ws.catalogue, unit, "unit", p.end)
    ex = explanation(dash, idx, u, p, policy, lang)
    return ExplainOut(**finite(ex.as_dict()), sentences=explanation_sentences(ex, lang))


_SAMPLES_PARAM = {"name": "samples", "in": "query", "required": False,
                  "description": f"Monte Carlo samples, a whole number from 1 to {MAX_SAMPLES}; default {API_SAMPLES}",
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_SAMPLES, "default": API_SAMPLES}}


@api_router.get("/{code}/sensitivity", response_model=SensitivityOut,
                responses=responses(s404=_IN_PATH, s422=_IN_QUERY), openapi_extra={"parameters": [_SAMPLES_PARAM]})
def index_sensitivity(
    request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str,
    group: Annotated[str | None, Query(description="the group ranked, one of the index's units; default its first")]
    = None,
    period: Annotated[str | None, Query(description=_PERIOD)] = None,
    drafts: bool = False,
) -> SensitivityOut:
    """How robust each rank is when the weights vary and methods switch (Monte Carlo, Latin hypercube, seed 0):
    the median rank and its 5–95 % interval per unit, and the first-order sensitivity of the ranking to each
    choice."""
    lang = lang_of(request)
    idx = index_param(ws.catalogue, code)
    n = samples_param(request.query_params.get("samples"), lang)
    policy = policy_of(request, ws, drafts)
    p = _api_period(dash, idx, period, policy)
    g = group_param(ws.catalogue, idx, group, p.end)
    rb = rank_robustness(dash, idx, g, p, None, policy, n)
    return SensitivityOut(**finite(rb.as_dict()), sentences=robustness_sentences(rb, lang=lang))
