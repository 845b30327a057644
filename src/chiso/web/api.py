"""The read API (``/api/v1``): the catalogue, series, rankings, targets and values, and the store's health, with
its OpenAPI description; ``/docs`` shows that description as an offline page.

Errors are RFC 9457 problem documents (``web.problems``) naming the field at fault (``field``), the value given
(``value``) and the nearest valid names (``suggestions``): an unknown code in the path is 404, an unknown unit,
period or group in the query is 422 (400 for ``/values``, as it always was). Every status an operation can
answer is declared in its ``responses``, and the closed sets (pillar, unit type, group, indicator kind) are
enums. Answers hold published figures only; a logged-in user may add ``drafts=1`` for the unapproved values of
the units in their scope.

``/docs`` is an offline page built from the OpenAPI document: FastAPI's own pages load Swagger UI and ReDoc
from a CDN, which a closed network cannot reach.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text as sql

from chiso.app import Workspace
from chiso.catalogue import Catalogue
from chiso.catalogue.models import KINDS, PILLAR_NAMES, Direction, Indicator, Pillar, Target, Text, Unit, UnitType
from chiso.catalogue.periods import Period, PeriodKind
from chiso.engine import rebase as rb
from chiso.engine.reading import Policy, series_periods, window_of
from chiso.engine.structure import needs_rebase
from chiso.errors import HttpProblem, StructureError
from chiso.i18n import t
from chiso.web.dashboards import Dashboards
from chiso.web.deps import DashboardsDep, WorkspaceDep, WriterDep
from chiso.web.params import indicator_param, period_param, policy_of, structure_param, unit_param
from chiso.web.problems import responses
from chiso.web.templating import env, lang_of, page_t

MAX_POINTS = 240  # a series longer than this is almost surely a mistake in from/to (days over years)

IndicatorKind = Literal["rate", "count", "stock", "average_per_day", "rank", "score"]
assert get_args(IndicatorKind) == KINDS, "IndicatorKind is the catalogue's KINDS"
# The built-in groups of units; a query may name them by name too ("Khối tỉnh"), and a workspace may add more.
GROUPS = ("ministries", "provinces")


def _enum(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """A closed set in the OpenAPI description. The handler checks it itself, answering as it always did (422 with
    the valid names), and accepts names as well as codes where the description says so."""
    return {"enum": list(values)}


# --- response models (they are the OpenAPI document) ----------------------------------------------


class TextOut(BaseModel):
    vi: str
    en: str


class IndicatorOut(BaseModel):
    code: str
    name: TextOut
    pillar: Pillar
    pillar_name: TextOut
    kind: IndicatorKind
    unit: str
    direction: Direction
    decimals: int
    key: bool
    event_derived: bool
    description: TextOut | None = None


class IndicatorList(BaseModel):
    count: int
    indicators: list[IndicatorOut]


class TargetOut(BaseModel):
    indicator: str
    unit: str
    period: str
    value: float
    source: str | None = None
    paragraph: int | None = None
    note: str | None = None


class IndicatorDetail(IndicatorOut):
    definition: dict[str, Any]
    targets: list[TargetOut]


class UnitOut(BaseModel):
    code: str
    type: UnitType
    name: str
    short: str
    name_en: str | None = None
    groups: list[str]
    parent: str | None = None
    region: str | None = None
    grid: list[int] | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class UnitList(BaseModel):
    count: int
    units: list[UnitOut]


class SeriesPoint(BaseModel):
    period: str
    value: float | None
    target: float | None = None
    attainment: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    source: str | None = None
    approximate: bool = False
    rebased_from: list[str] | None = None  # the former units this point was recomputed from
    message: str | None = None  # how it was rebased, or why it could not be


class SeriesOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    code: str
    unit: str
    unit_name: str
    start: str = Field(serialization_alias="from")
    end: str = Field(serialization_alias="to")
    points: list[SeriesPoint]
    structure: date | None = None  # the unit structure of every point, when the series crosses a change
    note: str | None = None  # which points were rebased


class RankingRow(BaseModel):
    rank: int | None
    unit: str
    unit_name: str
    value: float | None
    source: str | None = None
    approximate: bool | None = None
    rebased_from: list[str] | None = None  # recomputed from these former units
    estimated: bool | None = None
    missing: list[str] | None = None  # a refused rebasing: the units whose figures cannot be combined
    message: str | None = None  # the rebasing, or the reason it was refused


class RankingOut(BaseModel):
    code: str
    group: str
    period: str
    as_of: str | None = None  # with latest=true: the sub-period ranked when nobody had a value for the period
    structure: date | None = None  # the unit structure ranked in (None: the one valid at the period's end)
    ranked: int
    rows: list[RankingRow]


class TargetList(BaseModel):
    count: int
    targets: list[TargetOut]


# --- helpers ------------------------------------------------------------------------------------------


def _text(x: Text) -> TextOut:
    return TextOut(vi=x.vi, en=x.en)


def invalid(status: int, slug: str, field: str, value: str, lang: str, msg: str,
            suggestions: list[str] | None = None, **params: object) -> HttpProblem:
    """A problem naming ``field``, its message (``msg``, a message id) in the reader's language."""
    return HttpProblem(status, slug, f"{field}: {t(msg, lang, **params)}", field=field, value=value,
                       suggestions=suggestions or [])


def indicator_out(cat: Catalogue, ind: Indicator) -> IndicatorOut:
    return IndicatorOut(
        code=ind.code, name=_text(ind.name), pillar=ind.pillar, pillar_name=_text(PILLAR_NAMES[ind.pillar]),
        kind=ind.kind, unit=ind.unit, direction=ind.direction, decimals=ind.decimals, key=ind.key,
        event_derived=ind.code in cat.event_indicators,
        description=_text(ind.description) if ind.description else None,
    )


def unit_out(u: Unit) -> UnitOut:
    return UnitOut(code=u.code, type=u.type, name=u.name, short=u.short, name_en=u.name_en,
                   groups=list(u.groups), parent=u.parent, region=u.region,
                   grid=list(u.grid) if u.grid else None, valid_from=u.valid_from, valid_to=u.valid_to)


def target_out(x: Target) -> TargetOut:
    return TargetOut(indicator=x.indicator, unit=x.unit, period=x.period, value=x.value, source=x.source,
                     paragraph=x.paragraph, note=x.note)


def group_of(cat: Catalogue, ref: str, lang: str) -> Unit:
    g = unit_param(cat, ref, "group")
    if not cat.components(g):
        names = [f"{x.code} ({x.short})" for x in cat.groups()]
        raise invalid(422, "not-a-group", "group", ref, lang, "web.api.not_a_group", names, code=g.code)
    return g


def default_period(dash: Dashboards, ind: Indicator, policy: Policy) -> Period:
    """The latest period with data (chiso.engine.latest), as the pages and the CLI default to."""
    found = dash.indicator_periods(ind, policy, limit=1)
    return found[0] if found else dash.default_year(policy)


_STRUCTURE = ("unit structure: 2024 (63 provinces, 22 ministries), 2025 (34 provinces, 17 ministries) or a date "
              "(2025-07-01); default: each period in the structure valid at its end")
_INVALID = "Invalid parameters (a malformed value, a missing one)"
_IN_PATH = "Unknown indicator or unit code in the path"
_IN_QUERY = "Unknown unit, period or group in the query"
_STRUCTURE_400 = "Invalid parameters, or an unknown unit structure"

router = APIRouter(prefix="/api/v1", tags=["read"])


@router.get("/indicators", response_model=IndicatorList, responses=responses(s400=_INVALID, s422="Unknown pillar"))
def list_indicators(
    request: Request,
    ws: WorkspaceDep,
    pillar: Annotated[str | None, Query(description="e.g. digital_government",
                                        json_schema_extra=_enum([p.value for p in Pillar]))] = None,
    key: Annotated[bool | None, Query(description="only the headline indicators (true) or the others")] = None,
) -> IndicatorList:
    """The indicators of the framework, with their pillar, kind, unit and direction."""
    cat = ws.catalogue
    if pillar is not None and pillar not in {p.value for p in Pillar}:
        raise invalid(422, "unknown-pillar", "pillar", pillar, lang_of(request), "web.api.unknown_pillar",
                      [p.value for p in Pillar], name=pillar)
    out = [indicator_out(cat, i) for i in cat.indicators.values()
           if (pillar is None or i.pillar.value == pillar) and (key is None or i.key == key)]
    return IndicatorList(count=len(out), indicators=out)


@router.get("/indicators/{code}", response_model=IndicatorDetail, responses=responses(s404="Unknown indicator"))
def get_indicator(ws: WorkspaceDep, code: str) -> IndicatorDetail:
    """One indicator: its whole definition and every target set for it."""
    cat = ws.catalogue
    ind = indicator_param(cat, code)
    base = indicator_out(cat, ind)
    return IndicatorDetail(**base.model_dump(), definition=ind.model_dump(mode="json"),
                           targets=[target_out(x) for x in ws.store.targets(indicator=ind.code)])


@router.get("/units", response_model=UnitList, responses=responses(s400=_INVALID, s422="Unknown unit type or group"))
def list_units(
    request: Request,
    ws: WorkspaceDep,
    type: Annotated[str | None, Query(description="nation, group, ministry, agency, province or city",
                                      json_schema_extra=_enum([x.value for x in UnitType]))] = None,
    group: Annotated[str | None, Query(description="members of this group (its code or name), e.g. provinces",
                                       json_schema_extra=_enum(GROUPS))] = None,
    province: Annotated[str | None, Query(description="the districts and communes of this province (its code or "
                                                      "name), of both structures; with type, only communes etc.")]
    = None,
) -> UnitList:
    """The organisation units: the nation, the two blocs, the ministries and the provinces; the districts and
    communes of a province with ``province`` (or of a group of them, ``group=P01.communes``)."""
    cat = ws.catalogue
    if type is not None and type not in {x.value for x in UnitType}:
        raise invalid(422, "unknown-type", "type", type, lang_of(request), "web.api.unknown_type",
                      [x.value for x in UnitType], name=type)
    if group is not None:
        units = cat.components(unit_param(cat, group, "group"))
    elif province is not None:
        units = cat.local_units_of(unit_param(cat, province, "province").code)
    else:  # the 14,000 districts and communes only when asked for
        units = [u for u in cat.units.values() if not cat.is_local(u)]
    out = [unit_out(u) for u in sorted(units, key=lambda u: u.code) if type is None or u.type.value == type]
    return UnitList(count=len(out), units=out)


@router.get("/units/{code}", response_model=UnitOut, responses=responses(s404="Unknown unit"))
def get_unit(ws: WorkspaceDep, code: str) -> UnitOut:
    """One unit, by code or by name (with or without diacritics)."""
    return unit_out(unit_param(ws.catalogue, code, "code", in_path=True))


@router.get("/series/{code}", response_model=SeriesOut,
            responses=responses(s400=_STRUCTURE_400, s404="Unknown indicator", s422=_IN_QUERY))
def series(
    request: Request,
    ws: WorkspaceDep,
    dash: DashboardsDep,
    code: str,
    unit_ref: Annotated[str, Query(alias="unit", description="unit code or name; VN for the nation")] = "VN",
    start: Annotated[str | None, Query(alias="from", description="first period, e.g. 2020 or 2024-01")] = None,
    end: Annotated[str | None, Query(alias="to", description="last period, of the same kind as from")] = None,
    structure_ref: Annotated[str | None, Query(alias="structure", description=_STRUCTURE)] = None,
    drafts: bool = False,
) -> SeriesOut:
    """An indicator's values and targets for a unit over consecutive periods of one kind; a series crossing a
    change of units comes rebased to the structure of its newest period (or the one asked)."""
    lang = lang_of(request)
    cat = ws.catalogue
    ind = indicator_param(cat, code)
    u = unit_param(cat, unit_ref, "unit")
    asked = structure_param(structure_ref)
    policy = policy_of(request, ws, drafts)
    first = period_param(start, "from") if start else None
    last = period_param(end, "to") if end else None
    for name, p in (("from", first), ("to", last)):
        if p is not None and p.kind is PeriodKind.SPAN:
            raise invalid(422, "invalid-period", name, str(p), lang, "web.api.series_span")
    if last is None:
        fallback = default_period(dash, ind, policy)
        last = Period.containing(first.kind, fallback.end) if first else fallback
        if last.kind is PeriodKind.SPAN:
            last = Period.year(last.end.year)
    if first is None:
        first = series_periods(last)[0]
    if first.kind is not last.kind:
        raise invalid(422, "invalid-period", "to", str(last), lang, "web.api.same_kind", first=first)
    if last < first:
        raise invalid(422, "invalid-period", "to", str(last), lang, "web.api.before_from", first=first)
    periods = [first]
    while periods[-1] != last:
        if len(periods) >= MAX_POINTS:
            raise invalid(422, "too-many-periods", "to", str(last), lang, "web.api.too_many", n=MAX_POINTS)
        periods.append(periods[-1].shift(1))
    rd = dash.reader(window_of(periods), policy, dash.version())
    points = []
    if asked is not None or needs_rebase(cat, u, window_of(periods)):
        try:
            answers = (rd.engine.series(ind, u, periods, structure=asked) if asked is not None
                       else rd.series_in(ind, u, periods))
        except StructureError as exc:  # the field is the structure asked, which the error cannot know
            raise HttpProblem(400, "not-in-structure", f"structure: {exc.render(lang)}", field="structure",
                              value=structure_ref or "", suggestions=[]) from exc
        for a in answers:
            f = a.figure
            points.append(SeriesPoint(
                period=str(a.period), value=a.value, target=a.target.value if a.target else None,
                attainment=a.attainment, numerator=f.numerator if f else None,
                denominator=f.denominator if f else None, source=f.source if f else None,
                approximate=f.approximate if f else False,
                rebased_from=list(f.rebase.rebased_from) if f and f.rebase else None,
                message=rb.note(ind, cat, a, a.period, lang)))
        shown = answers[0].unit if answers else u
        rebased = next((a.figure.rebase.structure for a in answers if a.figure and a.figure.rebase), None)
        return SeriesOut(code=ind.code, unit=shown.code, unit_name=shown.short, start=str(first),
                         end=str(last), points=points, structure=asked or rebased,
                         note=rb.series_note(answers, cat, lang))
    for p in periods:
        c = rd.value(ind, u, p)
        points.append(SeriesPoint(period=str(p), value=c.value, target=c.target, attainment=c.attainment,
                                  numerator=c.numerator, denominator=c.denominator, source=c.source,
                                  approximate=c.approximate))
    return SeriesOut(code=ind.code, unit=u.code, unit_name=u.short, start=str(first), end=str(last),
                     points=points)


@router.get("/rankings/{code}", response_model=RankingOut,
            responses=responses(s400=_STRUCTURE_400, s404="Unknown indicator", s422=_IN_QUERY))
def ranking(
    request: Request,
    ws: WorkspaceDep,
    dash: DashboardsDep,
    code: str,
    group_ref: Annotated[str, Query(alias="group", description="ministries or provinces (a group's code or name)",
                                    json_schema_extra=_enum(GROUPS))] = "provinces",
    period_ref: Annotated[str | None, Query(alias="period", description="default: the latest with data")] = None,
    structure_ref: Annotated[str | None, Query(alias="structure", description=_STRUCTURE)] = None,
    latest: Annotated[bool, Query(description="when nobody has a value for the period, rank the latest "
                                              "sub-period that ranks anyone (as_of says which)")] = False,
    drafts: bool = False,
) -> RankingOut:
    """Members of a group ranked best first (ties share a rank, members without data last, unranked). In
    another unit structure, rebased rows name the units they were recomputed from; refused ones say why."""
    lang = lang_of(request)
    cat = ws.catalogue
    ind = indicator_param(cat, code)
    g = group_of(cat, group_ref, lang)
    asked = structure_param(structure_ref)
    policy = policy_of(request, ws, drafts)
    p = period_param(period_ref, "period") if period_ref else default_period(dash, ind, policy)
    rd = dash.reader(p, policy, dash.version())
    rk = rd.ranking(ind, g, p, asked) if latest else rd.ranking(ind, g, p, asked, fallback=False)
    shown = Period.parse(rk.shown_period)
    out = [RankingRow(**{**x.as_dict(), "message": rb.note(ind, cat, x, shown, lang)}) for x in rk.rows]
    return RankingOut(code=ind.code, group=g.code, period=str(p), as_of=rk.as_of, structure=rk.structure,
                      ranked=len(rk.ranked), rows=out)


@router.get("/targets", response_model=TargetList,
            responses=responses(s400=_INVALID, s422="Unknown indicator, unit or period in the query"))
def targets(
    ws: WorkspaceDep,
    indicator_ref: Annotated[str | None, Query(alias="indicator", description="indicator code")] = None,
    unit_ref: Annotated[str | None, Query(alias="unit", description="unit code or name")] = None,
    period_ref: Annotated[str | None, Query(alias="period", description="a year or a quarter")] = None,
) -> TargetList:
    """Targets set for indicators, units and years (or quarters)."""
    cat = ws.catalogue
    code = indicator_param(cat, indicator_ref, "indicator", in_path=False).code if indicator_ref is not None else None
    u = unit_param(cat, unit_ref, "unit") if unit_ref is not None else None
    p = str(period_param(period_ref, "period")) if period_ref is not None else None
    found = ws.store.targets(indicator=code, units=[u.code] if u else None, periods=[p] if p else None)
    return TargetList(count=len(found), targets=[target_out(x) for x in found])


@router.get("/values/{code}", tags=["values"], responses=responses(
    s400="Invalid parameters: a missing or unknown unit or period, an unknown structure", s404="Unknown indicator"))
def value(
    ws: WorkspaceDep,
    request: Request,
    code: str,
    unit: Annotated[str, Query(description="unit code, e.g. P01, or VN for the nation")],
    period: Annotated[str, Query(description="e.g. 2024, 2024Q1, 2024-03")],
    structure: Annotated[
        str | None,
        Query(description="answer in the unit structure of 2024, 2025 or a date (2025-07-01): a merged unit's "
                          "earlier periods are computed from its predecessors"),
    ] = None,
    estimate: Annotated[
        str | None, Query(description="with structure: an indicator code whose values weight an estimate")
    ] = None,
) -> dict[str, Any]:
    """An indicator's value for a unit and period, from stored values and the kept event aggregates."""
    cat = ws.catalogue
    when = structure_param(structure)
    if estimate is not None and when is None:
        raise HttpProblem(400, "invalid-estimate", "estimate: needs a structure to rebase into")
    indicator_param(cat, code)
    unit_param(cat, unit, "unit", status=400)  # the engine resolves a name by the period: give it the name
    period_param(period, "period", status=400)
    try:
        return ws.engine.value(code, unit, period, structure=when, estimate=estimate).as_dict()
    except StructureError as exc:
        raise HttpProblem(400, "invalid-structure", f"unit: {exc.render(lang_of(request))}") from exc


def require_store(ws: Workspace) -> None:
    """503 unless the operational store answers."""
    try:
        with ws.store.engine.connect() as conn:
            conn.execute(sql("SELECT 1"))
    except Exception as exc:
        raise HttpProblem(503, "store-unavailable", f"store: cannot be reached ({type(exc).__name__})") from exc


@router.get("/health", tags=["values"], responses=responses(s503="The store cannot be reached"))
def health(ws: WorkspaceDep, writer: WriterDep) -> dict[str, Any]:
    """Whether the store answers, and whether the event writer is open."""
    require_store(ws)
    return {"status": "ok", "store": ws.store.dialect, "event_writer": "open" if writer.is_open else "idle"}


# --- /docs, offline ---------------------------------------------------------------------------------------

_DOCS = env.from_string("""{% extends "base.html" %}
{% block title %}API{% endblock %}
{% block content %}
<h1>{{ msg("web.docs.title") }} · chiso {{ version }}</h1>
<p>{{ msg("web.docs.openapi") }}
<a href="{{ openapi_url }}">{{ openapi_url }}</a>.
{{ msg("web.docs.errors") }}</p>
{% for path, ops in paths %}{% for method, op in ops %}
<section class="card" id="{{ op.operationId }}">
  <h2><code>{{ method | upper }} {{ path }}</code></h2>
  {% if op.summary %}<p><b>{{ op.summary }}</b></p>{% endif %}
  {% if op.description %}<p>{{ op.description }}</p>{% endif %}
  {% if op.parameters %}<div class="scroll"><table>
  <thead><tr><th>{{ msg("web.docs.parameter") }}</th><th>{{ msg("web.docs.in") }}</th>
    <th>{{ msg("web.docs.required") }}</th><th>{{ msg("web.docs.description") }}</th></tr></thead>
  <tbody>{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p["in"] }}</td>
    <td>{{ "✓" if p.required }}</td><td>{{ p.description or "" }}</td></tr>{% endfor %}</tbody>
  </table></div>{% endif %}
</section>
{% endfor %}{% endfor %}
{% endblock %}""")

docs_router = APIRouter(include_in_schema=False)


@docs_router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """The OpenAPI description as a page served by chiso itself (FastAPI's would fetch scripts from a CDN)."""
    lang = lang_of(request)
    app = request.app
    spec = app.openapi()
    paths = [(path, [(m, op) for m, op in ops.items() if isinstance(op, dict)])
             for path, ops in sorted(spec.get("paths", {}).items())]
    html = _DOCS.render(request=request, lang=lang, user=None, csrf="", msg=lambda m: t(m, lang),
                        t=page_t(lang),
                        version=str(escape(app.version)), openapi_url=app.openapi_url or "/openapi.json",
                        paths=paths)
    return HTMLResponse(html)
