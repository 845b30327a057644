"""The read API (``/api/v1``): the catalogue, series, rankings and targets, documented by FastAPI's OpenAPI.

``/api/v1/values/{code}`` lives in ``events_api``. Errors are RFC 9457 problem documents naming the field at
fault (``field``), the value given (``value``) and the nearest valid names (``suggestions``): an unknown
code in the path is 404, an unknown unit, period or group in the query is 422. Answers hold published
figures only; a logged-in user may add ``drafts=1`` for the unapproved values of the units in their scope.

``/docs`` is an offline page built from the OpenAPI document: FastAPI's own pages load Swagger UI and ReDoc
from a CDN, which a closed network cannot reach.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field

from chiso.app import Workspace
from chiso.catalogue import Catalogue
from chiso.catalogue.models import PILLAR_NAMES, Indicator, Pillar, Target, Text, Unit, UnitType
from chiso.catalogue.periods import Period, PeriodKind
from chiso.engine import rebase as rb
from chiso.engine.reading import Policy, series_periods, window_of
from chiso.engine.structure import StructureError, needs_rebase, parse_structure
from chiso.errors import (
    UnknownIndicatorError,
    UnknownNameError,
    UnknownPeriodError,
    UnknownStructureError,
    UnknownUnitError,
)
from chiso.web.pages import Dashboards, policy_of
from chiso.web.problems import MEDIA_TYPE, ApiProblem
from chiso.web.templating import env, lang_of, tr

MAX_POINTS = 240  # a series longer than this is almost surely a mistake in from/to (days over years)

_SLUGS: dict[type[UnknownNameError], str] = {
    UnknownIndicatorError: "unknown-indicator",
    UnknownUnitError: "unknown-unit",
    UnknownPeriodError: "unknown-period",
}


# --- response models (they are the OpenAPI document) ----------------------------------------------


class TextOut(BaseModel):
    vi: str
    en: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the field at fault and the nearest valid names."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    value: str | None = None
    suggestions: list[str] = []


class IndicatorOut(BaseModel):
    code: str
    name: TextOut
    pillar: str
    pillar_name: TextOut
    kind: str
    unit: str
    direction: str
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
    type: str
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


def _text(t: Text) -> TextOut:
    return TextOut(vi=t.vi, en=t.en)


def problem_for(exc: UnknownNameError, field: str, status: int, lang: str) -> ApiProblem:
    slug = next((v for k, v in _SLUGS.items() if isinstance(exc, k)), "unknown-name")
    return ApiProblem(status, slug, f"{field}: {exc.render(lang)}", field=field, value=exc.name,
                      suggestions=exc.suggestions)


def invalid(status: int, slug: str, field: str, value: str, lang: str, vi: str, en: str,
            suggestions: list[str] | None = None) -> ApiProblem:
    """A problem naming ``field``, its message in the reader's language (Vietnamese unless ?lang=en)."""
    return ApiProblem(status, slug, f"{field}: {tr(lang, vi, en)}", field=field, value=value,
                      suggestions=suggestions or [])


def indicator_out(cat: Catalogue, ind: Indicator) -> IndicatorOut:
    return IndicatorOut(
        code=ind.code, name=_text(ind.name), pillar=ind.pillar.value, pillar_name=_text(PILLAR_NAMES[ind.pillar]),
        kind=ind.kind, unit=ind.unit, direction=ind.direction.value, decimals=ind.decimals, key=ind.key,
        event_derived=ind.code in cat.event_indicators,
        description=_text(ind.description) if ind.description else None,
    )


def unit_out(u: Unit) -> UnitOut:
    return UnitOut(code=u.code, type=u.type.value, name=u.name, short=u.short, name_en=u.name_en,
                   groups=list(u.groups), parent=u.parent, region=u.region,
                   grid=list(u.grid) if u.grid else None, valid_from=u.valid_from, valid_to=u.valid_to)


def target_out(t: Target) -> TargetOut:
    return TargetOut(indicator=t.indicator, unit=t.unit, period=t.period, value=t.value, source=t.source,
                     paragraph=t.paragraph, note=t.note)


_STRUCTURE = ("unit structure: 2024 (63 provinces, 22 ministries), 2025 (34 provinces, 17 ministries) or a date "
              "(2025-07-01); default: each period in the structure valid at its end")

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    s: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": d}
    for s, d in ((400, "Unknown unit structure"), (404, "Unknown indicator or unit code in the path"),
                 (422, "Unknown unit, period or group in the query"))
}


def router(ws: Workspace, dash: Dashboards) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["read"], responses=_PROBLEMS)
    cat = ws.catalogue

    def indicator(code: str, lang: str) -> Indicator:
        try:
            return cat.indicator(code)
        except UnknownIndicatorError as exc:
            raise problem_for(exc, "code", 404, lang) from exc

    def unit(ref: str, field: str, lang: str, status: int = 422) -> Unit:
        try:
            return cat.unit(ref)
        except UnknownUnitError as exc:
            raise problem_for(exc, field, status, lang) from exc

    def period(text: str, field: str, lang: str) -> Period:
        try:
            return Period.parse(text)
        except UnknownPeriodError as exc:
            raise problem_for(exc, field, 422, lang) from exc

    def structure(text: str | None, lang: str) -> date | None:
        try:
            return parse_structure(text)
        except UnknownStructureError as exc:
            raise ApiProblem(400, "invalid-structure", f"structure: {exc.render(lang)}", field="structure",
                             value=exc.name, suggestions=exc.suggestions) from exc

    def group(ref: str, lang: str) -> Unit:
        g = unit(ref, "group", lang)
        if not cat.components(g):
            names = [f"{x.code} ({x.short})" for x in cat.groups()]
            raise invalid(422, "not-a-group", "group", ref, lang, f"{g.code} không phải một nhóm đơn vị",
                          f"{g.code} is not a group of units", names)
        return g

    def default_period(ind: Indicator, policy: Policy) -> Period:
        """The latest period with data (chiso.engine.latest), as the pages and the CLI default to."""
        found = dash.indicator_periods(ind, policy, limit=1)
        return found[0] if found else dash.default_year(policy)

    @r.get("/indicators", response_model=IndicatorList)
    def list_indicators(
        request: Request,
        pillar: Annotated[str | None, Query(description="e.g. digital_government")] = None,
        key: Annotated[bool | None, Query(description="only the headline indicators (true) or the others")] = None,
    ) -> IndicatorList:
        """The indicators of the framework, with their pillar, kind, unit and direction."""
        if pillar is not None and pillar not in {p.value for p in Pillar}:
            raise invalid(422, "unknown-pillar", "pillar", pillar, lang_of(request), f"không rõ trụ cột {pillar!r}",
                          f"unknown pillar {pillar!r}", [p.value for p in Pillar])
        out = [indicator_out(cat, i) for i in cat.indicators.values()
               if (pillar is None or i.pillar.value == pillar) and (key is None or i.key == key)]
        return IndicatorList(count=len(out), indicators=out)

    @r.get("/indicators/{code}", response_model=IndicatorDetail)
    def get_indicator(request: Request, code: str) -> IndicatorDetail:
        """One indicator: its whole definition and every target set for it."""
        ind = indicator(code, lang_of(request))
        base = indicator_out(cat, ind)
        return IndicatorDetail(**base.model_dump(), definition=ind.model_dump(mode="json"),
                               targets=[target_out(t) for t in ws.store.targets(indicator=ind.code)])

    @r.get("/units", response_model=UnitList)
    def list_units(
        request: Request,
        type: Annotated[str | None, Query(description="nation, group, ministry, agency, province or city")] = None,
        group: Annotated[str | None, Query(description="members of this group, e.g. provinces")] = None,
    ) -> UnitList:
        """The organisation units: the nation, the two blocs, the ministries and the provinces."""
        lang = lang_of(request)
        if type is not None and type not in {t.value for t in UnitType}:
            raise invalid(422, "unknown-type", "type", type, lang, f"không rõ loại đơn vị {type!r}",
                          f"unknown unit type {type!r}", [t.value for t in UnitType])
        units = list(cat.units.values())
        if group is not None:
            units = cat.components(unit(group, "group", lang))
        out = [unit_out(u) for u in sorted(units, key=lambda u: u.code) if type is None or u.type.value == type]
        return UnitList(count=len(out), units=out)

    @r.get("/units/{code}", response_model=UnitOut)
    def get_unit(request: Request, code: str) -> UnitOut:
        """One unit, by code or by name (with or without diacritics)."""
        return unit_out(unit(code, "code", lang_of(request), status=404))

    @r.get("/series/{code}", response_model=SeriesOut)
    def series(
        request: Request,
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
        ind = indicator(code, lang)
        u = unit(unit_ref, "unit", lang)
        asked = structure(structure_ref, lang)
        policy = policy_of(request, ws, drafts)
        first = period(start, "from", lang) if start else None
        last = period(end, "to", lang) if end else None
        for name, p in (("from", first), ("to", last)):
            if p is not None and p.kind is PeriodKind.SPAN:
                raise invalid(422, "invalid-period", name, str(p), lang,
                              "chuỗi cần kỳ năm, nửa năm, quý, tháng, tuần hoặc ngày, không phải một khoảng tháng",
                              "a series needs years, halves, quarters, months, weeks or days, not a span")
        if last is None:
            fallback = default_period(ind, policy)
            last = Period.containing(first.kind, fallback.end) if first else fallback
            if last.kind is PeriodKind.SPAN:
                last = Period.year(last.end.year)
        if first is None:
            first = series_periods(last)[0]
        if first.kind is not last.kind:
            raise invalid(422, "invalid-period", "to", str(last), lang, f"phải cùng loại kỳ với from ({first})",
                          f"must be of the same kind as from ({first})")
        if last < first:
            raise invalid(422, "invalid-period", "to", str(last), lang, f"ở trước from ({first})",
                          f"is before from ({first})")
        periods = [first]
        while periods[-1] != last:
            if len(periods) >= MAX_POINTS:
                raise invalid(422, "too-many-periods", "to", str(last), lang,
                              f"quá {MAX_POINTS} kỳ; hãy thu hẹp khoảng",
                              f"more than {MAX_POINTS} periods; narrow the range")
            periods.append(periods[-1].shift(1))
        rd = dash.reader(window_of(periods), policy, dash.version())
        points = []
        if asked is not None or needs_rebase(cat, u, window_of(periods)):
            try:
                answers = (rd.engine.series(ind, u, periods, structure=asked) if asked is not None
                           else rd.series_in(ind, u, periods))
            except StructureError as exc:
                raise invalid(400, "not-in-structure", "structure", structure_ref or "", lang,
                              exc.render("vi"), exc.render("en")) from exc
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

    @r.get("/rankings/{code}", response_model=RankingOut)
    def ranking(
        request: Request,
        code: str,
        group_ref: Annotated[str, Query(alias="group", description="ministries or provinces")] = "provinces",
        period_ref: Annotated[str | None, Query(alias="period", description="default: the latest with data")] = None,
        structure_ref: Annotated[str | None, Query(alias="structure", description=_STRUCTURE)] = None,
        latest: Annotated[bool, Query(description="when nobody has a value for the period, rank the latest "
                                                  "sub-period that ranks anyone (as_of says which)")] = False,
        drafts: bool = False,
    ) -> RankingOut:
        """Members of a group ranked best first (ties share a rank, members without data last, unranked). In
        another unit structure, rebased rows name the units they were recomputed from; refused ones say why."""
        lang = lang_of(request)
        ind = indicator(code, lang)
        g = group(group_ref, lang)
        asked = structure(structure_ref, lang)
        policy = policy_of(request, ws, drafts)
        p = period(period_ref, "period", lang) if period_ref else default_period(ind, policy)
        rd = dash.reader(p, policy, dash.version())
        rk = rd.ranking(ind, g, p, asked) if latest else rd.ranking(ind, g, p, asked, fallback=False)
        shown = Period.parse(rk.shown_period)
        out = [RankingRow(**{**x.as_dict(), "message": rb.note(ind, cat, x, shown, lang)}) for x in rk.rows]
        return RankingOut(code=ind.code, group=g.code, period=str(p), as_of=rk.as_of, structure=rk.structure,
                          ranked=len(rk.ranked), rows=out)

    @r.get("/targets", response_model=TargetList)
    def targets(
        request: Request,
        indicator_ref: Annotated[str | None, Query(alias="indicator", description="indicator code")] = None,
        unit_ref: Annotated[str | None, Query(alias="unit", description="unit code or name")] = None,
        period_ref: Annotated[str | None, Query(alias="period", description="a year or a quarter")] = None,
    ) -> TargetList:
        """Targets set for indicators, units and years (or quarters)."""
        lang = lang_of(request)
        code = None
        if indicator_ref is not None:
            try:
                code = cat.indicator(indicator_ref).code
            except UnknownIndicatorError as exc:
                raise problem_for(exc, "indicator", 422, lang) from exc
        u = unit(unit_ref, "unit", lang) if unit_ref is not None else None
        p = str(period(period_ref, "period", lang)) if period_ref is not None else None
        found = ws.store.targets(indicator=code, units=[u.code] if u else None, periods=[p] if p else None)
        return TargetList(count=len(found), targets=[target_out(t) for t in found])

    return r


_DOCS = env.from_string("""{% extends "base.html" %}
{% block title %}API{% endblock %}
{% block content %}
<h1>{{ t("API đọc số liệu", "Read API") }} · chiso {{ version }}</h1>
<p>{{ t("Tài liệu OpenAPI (máy đọc):", "The OpenAPI document (machine-readable):") }}
<a href="{{ openapi_url }}">{{ openapi_url }}</a>.
{{ t("Lỗi trả về theo RFC 9457 (application/problem+json), nêu trường bị lỗi và các tên gần đúng.",
     "Errors follow RFC 9457 (application/problem+json), naming the field at fault and the nearest names.") }}</p>
{% for path, ops in paths %}{% for method, op in ops %}
<section class="card" id="{{ op.operationId }}">
  <h2><code>{{ method | upper }} {{ path }}</code></h2>
  {% if op.summary %}<p><b>{{ op.summary }}</b></p>{% endif %}
  {% if op.description %}<p>{{ op.description }}</p>{% endif %}
  {% if op.parameters %}<div class="scroll"><table>
  <thead><tr><th>{{ t("Tham số", "Parameter") }}</th><th>{{ t("Vị trí", "In") }}</th>
    <th>{{ t("Bắt buộc", "Required") }}</th><th>{{ t("Mô tả", "Description") }}</th></tr></thead>
  <tbody>{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p["in"] }}</td>
    <td>{{ "✓" if p.required }}</td><td>{{ p.description or "" }}</td></tr>{% endfor %}</tbody>
  </table></div>{% endif %}
</section>
{% endfor %}{% endfor %}
{% endblock %}""")


def docs_page(app: FastAPI, request: Request) -> HTMLResponse:
    lang = lang_of(request)
    spec = app.openapi()
    paths = [(path, [(m, op) for m, op in ops.items() if isinstance(op, dict)])
             for path, ops in sorted(spec.get("paths", {}).items())]
    html = _DOCS.render(request=request, lang=lang, user=None, csrf="", t=lambda vi, en: tr(lang, vi, en),
                        version=str(escape(app.version)), openapi_url=app.openapi_url or "/openapi.json",
                        paths=paths)
    return HTMLResponse(html)


def register(app: FastAPI, ws: Workspace) -> None:
    """The read API, and ``/docs`` as an offline page (FastAPI's pages would fetch scripts from a CDN).
    Idempotent: a second call on the same app does nothing."""
    if getattr(app.state, "api_registered", False):
        return
    app.state.api_registered = True
    dash = getattr(app.state, "dashboards", None)
    if not isinstance(dash, Dashboards):
        dash = app.state.dashboards = Dashboards(ws)
    app.include_router(router(ws, dash))
    cdn_pages = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url} - {None}
    app.router.routes[:] = [rt for rt in app.router.routes if getattr(rt, "path", None) not in cdn_pages]
    app.docs_url = app.redoc_url = None

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return docs_page(app, request)
