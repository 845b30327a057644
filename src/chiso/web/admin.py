"""Administration pages, for national admins only: indicators, targets, units, users, event sources (``router``).

Every change here is audited: targets through ``Store.write_targets``; users and event sources through
``UserBook.record``. An event source's token is shown once, on the page answering its creation, and is
stored only as a hash. The event sources' page also tells how far the event writer is behind: with a NATS log
(``create_app(nats=…)``) the batches waiting in it for the writer, asked on the app's one NATS connection; without
one, that the events are written in this process; and when the last batch was applied.
Any error on these pages (not a national admin, a wrong CSRF token, no such user…)
is answered by the admin error page with its status.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError

from chiso import auth
from chiso.app import Workspace
from chiso.auth import Role, User
from chiso.catalogue.datasets import DataSet
from chiso.catalogue.events import EVENT_KINDS
from chiso.catalogue.models import PILLAR_NAMES, Indicator, Pillar, Target, Unit, UnitType
from chiso.catalogue.periods import Period, PeriodKind, check_year
from chiso.errors import ChisoError, HttpProblem, PermissionDenied, UnknownNameError, UnknownUnitError
from chiso.i18n import fmt_number, t
from chiso.ingest.events import ALL
from chiso.ingest.intake import reading_for
from chiso.ingest.vnnumbers import MACHINE, NumberError, read_number
from chiso.store import AuditEntry
from chiso.store.aggregates import EventSourceRecord, RejectRecord
from chiso.store.users import UserRecord
from chiso.web.auth_routes import role_label
from chiso.web.bootstrap import password_problem, username_problem
from chiso.web.contexts import Context
from chiso.web.deps import WorkspaceDep
from chiso.web.forms import input_number
from chiso.web.metrics import LogWatch
from chiso.web.pages import error_page
from chiso.web.problems import page_errors
from chiso.web.session import check_csrf, require_user
from chiso.web.templating import lang_of, render

SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
DONE = ("target", "user", "deactivated", "activated", "revoked")  # ?done= after a change: what was done


def require_admin(request: Request, user: Annotated[User, Depends(require_user)]) -> User:
    """Dependency: the logged-in national admin; ``PermissionDenied`` for anyone else logged in."""
    if not auth.can_administer(user):
        raise PermissionDenied(t("admin.only_national", lang_of(request)))
    return user


Admin = Annotated[User, Depends(require_admin)]


# --- typed contexts ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AdminLayout(Context):
    """What every admin page has (admin_nav.html): what was just done, and role names."""

    done: str | None
    role_label: Callable[[str], str]


@dataclass(frozen=True)
class ErrorContext(Context):
    message: str


@dataclass(frozen=True)
class IndexContext(Context):
    counts: dict[str, int]


@dataclass(frozen=True)
class IndicatorsContext(Context):
    rows: list[Indicator]
    pillar: str
    pillars: list[tuple[str, str]]  # (value, name)
    event_derived: set[str]


@dataclass(frozen=True)
class IndicatorContext(Context):
    ind: Indicator
    pillar_name: str
    definition: list[tuple[str, str]]  # (field, value as text)
    event: list[tuple[str, str]]  # the event-derived definition, when there is one
    datasets: list[DataSet]
    targets: list[Target]


@dataclass(frozen=True)
class TargetsContext(Context):
    rows: list[Target]
    total: int
    indicator: str
    unit: str
    edit: dict[str, str]  # the target in the form: being edited, or as typed when refused
    errors: list[str]
    history: list[AuditEntry]
    indicators: list[str]
    units: list[str]
    sources: list[str]


@dataclass(frozen=True)
class UnitsContext(Context):
    rows: list[Unit]
    type: str
    types: list[str]
    province: str = ""
    provinces: tuple[Unit, ...] = ()


@dataclass(frozen=True)
class UsersContext(Context):
    rows: list[UserRecord]
    errors: list[str]
    entry: dict[str, str]
    roles: list[str]
    units: list[str]


@dataclass(frozen=True)
class WriterLag:
    """How far the event writer is behind, as the sources' page shows it."""

    mode: str  # "in_process" | "log" | "no_consumer" (no writer has ever read the log) | "unavailable"
    text: str  # the sentence saying it, in the page's language
    pending: int | None  # batches in the log not yet delivered to the writer
    unacknowledged: int | None  # delivered but not yet committed
    last_applied: str  # when the last applied batch was received, or a dash


@dataclass(frozen=True)
class SourcesContext(Context):
    lag: WriterLag
    rows: list[EventSourceRecord]
    pending: dict[str, int]  # source id → rejected events not yet replayed
    errors: list[str]
    entry: dict[str, Any]
    token: str | None  # the new source's token: shown on this page only
    kinds: list[str]
    units: list[str]


@dataclass(frozen=True)
class RejectsContext(Context):
    rows: list[RejectRecord]
    source: str
    kind: str
    replayed: bool
    sources: list[str]
    kinds: list[str]


def layout(request: Request) -> AdminLayout:
    lang = lang_of(request)
    done = request.query_params.get("done")
    return AdminLayout(done=t(f"admin.done.{done}", lang) if done in DONE else None,
                       role_label=lambda r: role_label(r, lang))


def _page(request: Request, name: str, ctx: Context, status: int = 200) -> Response:
    resp = render(request, name, {**layout(request).as_dict(), **ctx.as_dict()}, status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _error_context(request: Request, exc: ChisoError) -> dict[str, Any]:
    """The admin pages' answer to an error: its text, on the admin error page."""
    return {**layout(request).as_dict(), **ErrorContext(message=exc.render(lang_of(request))).as_dict()}


def _refuse(request: Request, status: int, msg_id: str, **params: object) -> HttpProblem:
    return HttpProblem(status, "not-found" if status == 404 else "bad-request", t(msg_id, lang_of(request), **params))


def _definition(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"vi", "en"}:
        return f"{value['vi']} / {value['en']}"
    if isinstance(value, list | tuple):
        return ", ".join("—" if v is None else str(v) for v in value) or "—"
    return "—" if value is None else str(value)


async def _form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    form = await request.form()
    return ({k: str(v) for k, v in form.items()},
            {k: [str(x) for x in form.getlist(k)] for k in form})


def _check_csrf(request: Request, form: Mapping[str, str]) -> None:
    try:
        check_csrf(request, form.get("csrf"))
    except PermissionDenied as exc:
        raise PermissionDenied(t("admin.csrf", lang_of(request))) from exc


router = APIRouter(prefix="/admin", tags=["admin"], include_in_schema=False,
                   dependencies=[Depends(page_errors(error_page("admin_error.html", _error_context, no_store=True)))])


@router.get("")
def index(request: Request, ws: WorkspaceDep, user: Admin) -> Response:
    cat = ws.catalogue
    return _page(request, "admin_index.html", IndexContext(counts={
        "indicators": len(cat.indicators), "datasets": len(cat.datasets), "units": len(cat.units),
        "users": len(ws.store.users.all()), "sources": len(ws.store.events.sources()),
        "rejects": len(ws.store.events.rejects(limit=100_000)),
        "targets": ws.store.table_counts().get("target", 0)}))


# --- indicators ---------------------------------------------------------------------------------------------
@router.get("/indicators")
def indicators(request: Request, ws: WorkspaceDep, user: Admin, pillar: str | None = None) -> Response:
    lang = lang_of(request)
    cat = ws.catalogue
    rows = [i for i in cat.indicators.values() if not pillar or i.pillar.value == pillar]
    return _page(request, "admin_indicators.html", IndicatorsContext(
        rows=sorted(rows, key=lambda i: (list(Pillar).index(i.pillar), i.code)), pillar=pillar or "",
        pillars=[(p.value, PILLAR_NAMES[p].get(lang)) for p in Pillar], event_derived=set(cat.event_indicators)))


@router.get("/indicators/{code}")
def indicator(request: Request, code: str, ws: WorkspaceDep, user: Admin) -> Response:
    cat = ws.catalogue
    ind = cat.indicators.get(code)
    if ind is None:
        raise _refuse(request, 404, "admin.no_indicator", code=code)
    lang = lang_of(request)
    ei = cat.event_indicators.get(code)
    return _page(request, "admin_indicator.html", IndicatorContext(
        ind=ind, pillar_name=PILLAR_NAMES[ind.pillar].get(lang),
        definition=[(k, _definition(v)) for k, v in ind.model_dump(mode="json").items()],
        event=[(k, _definition(v)) for k, v in ei.model_dump(mode="json").items()] if ei else [],
        datasets=[d for d in cat.datasets.values() if code in d.indicators],
        targets=ws.store.targets(indicator=code)))


# --- targets ----------------------------------------------------------------------------------------------------
def targets_context(ws: Workspace, query: Mapping[str, str], *, errors: list[str] | None = None,
                    entry: Mapping[str, str] | None = None) -> TargetsContext:
    cat = ws.catalogue
    ind, unit = query.get("indicator") or None, query.get("unit") or None
    rows = ws.store.targets(indicator=ind if ind in cat.indicators else None, units=[unit] if unit else None)
    edit = dict(entry or {})
    if not edit and query.get("edit"):
        found = [x for x in rows if x.period == query.get("period")] if ind and unit else []
        # the value as an input shows it so that it reads back exactly (no "1.23457e+06", no ambiguous "1.234")
        edit = ({"indicator": ind or "", "unit": unit or "", "period": query.get("period", "")} if not found else
                {"indicator": found[0].indicator, "unit": found[0].unit, "period": found[0].period,
                 "value": input_number(found[0].value, "en"), "source": found[0].source or "",
                 "paragraph": str(found[0].paragraph or ""), "note": found[0].note or ""})
    history = []
    if edit.get("indicator") and edit.get("unit") and edit.get("period"):
        history = [a for a in ws.store.history(indicator=edit["indicator"], unit=edit["unit"],
                                               period=edit["period"]) if a.entity == "target"]
    return TargetsContext(rows=rows[:1000], total=len(rows), indicator=ind or "", unit=unit or "", edit=edit,
                          errors=errors or [], history=history, indicators=sorted(cat.indicators),
                          units=sorted(cat.units), sources=sorted(ws.store.sources()))


def targets_page(request: Request, ws: Workspace, *, status: int = 200, errors: list[str] | None = None,
                 entry: Mapping[str, str] | None = None) -> Response:
    return _page(request, "admin_targets.html",
                 targets_context(ws, request.query_params, errors=errors, entry=entry), status)


@router.get("/targets")
def targets(request: Request, ws: WorkspaceDep, user: Admin) -> Response:
    return targets_page(request, ws)


def read_target(ind: Indicator | None, text: str, lang: str) -> tuple[float | None, str | None]:
    """A typed target read as the intake reads one (``chiso.ingest.intake``): by the indicator's kind and range,
    so "1.234" is asked about when both readings could be meant; (value, None) or (None, the problem)."""
    try:
        return read_number(text, reading_for(ind, "target") if ind is not None else MACHINE), None
    except NumberError as exc:
        if exc.reason == "not_a_number":
            return None, t("admin.target.not_a_number", lang)
        return None, t("admin.target.value", lang, reason=t(exc.reason, lang, **exc.params))


def save_target(request: Request, ws: Workspace, user: User, form: Mapping[str, str]) -> Response:
    _check_csrf(request, form)
    cat = ws.catalogue
    lang = lang_of(request)
    entry = {k: form.get(k, "").strip() for k in ("indicator", "unit", "period", "value", "source", "paragraph",
                                                  "note")}
    errors: list[str] = []
    ind = cat.indicators.get(entry["indicator"])
    if ind is None:
        errors.append(t("admin.target.indicator", lang))
    if entry["unit"] not in cat.units:
        errors.append(t("admin.target.unit", lang))
    try:
        p = Period.parse(entry["period"])
        if p.kind not in (PeriodKind.YEAR, PeriodKind.QUARTER):
            errors.append(t("admin.target.period_kind", lang))
        check_year(p)  # the framework's years, as every input is held to
    except UnknownNameError as exc:
        errors.append(t("admin.target.period", lang, reason=exc.render(lang)))
    value, problem = read_target(ind, entry["value"], lang)
    if problem:
        errors.append(problem)
    if value is not None and ind is not None:
        lo, hi = ind.bounds  # the range, within the plausible one (chiso.ingest.intake holds values to the same)
        if not lo <= value <= hi:
            errors.append(t("admin.target.range", lang, lo=lo, hi=hi))
    if entry["source"] and entry["source"] not in ws.store.sources():
        errors.append(t("admin.target.source", lang))
    paragraph = None
    if entry["paragraph"]:
        if entry["paragraph"].isdigit():
            paragraph = int(entry["paragraph"])
        else:
            errors.append(t("admin.target.paragraph", lang))
    if errors or value is None:
        return targets_page(request, ws, status=422, errors=errors, entry=entry)
    ws.store.write_targets([Target(indicator=entry["indicator"], unit=entry["unit"], period=entry["period"],
                                   value=value, source=entry["source"] or None, paragraph=paragraph,
                                   note=entry["note"] or None)],
                           actor=user.username, description="admin: target")
    return RedirectResponse(f"/admin/targets?indicator={entry['indicator']}&done=target", status_code=303)


@router.post("/targets")
async def targets_post(request: Request, ws: WorkspaceDep, user: Admin) -> Response:
    form, _ = await _form(request)
    return await run_in_threadpool(save_target, request, ws, user, form)


# --- units ----------------------------------------------------------------------------------------------------
@router.get("/units")
def units(request: Request, ws: WorkspaceDep, user: Admin, type: str | None = None,
          province: str | None = None) -> Response:
    cat = ws.catalogue  # the districts and communes: one province's, with ?province=P01
    if province:
        try:
            chosen = cat.unit(province[:200])
            province = chosen.code
            pool = cat.local_units_of(chosen.code)
        except UnknownUnitError:
            pool = []
    else:
        pool = [u for u in cat.units.values() if not cat.is_local(u)]
    rows = [u for u in pool if not type or u.type.value == type]
    return _page(request, "admin_units.html", UnitsContext(
        rows=sorted(rows, key=lambda u: (u.type is not UnitType.NATION, u.type is not UnitType.GROUP, u.code)),
        type=type or "", types=[x.value for x in UnitType], province=province or "",
        provinces=tuple(sorted((u for u in cat.units.values() if u.type in (UnitType.PROVINCE, UnitType.CITY)
                               and cat.below(u)), key=lambda u: u.code))))


# --- users ----------------------------------------------------------------------------------------------------
def users_page(request: Request, ws: Workspace, *, status: int = 200, errors: list[str] | None = None,
               entry: Mapping[str, str] | None = None) -> Response:
    return _page(request, "admin_users.html", UsersContext(
        rows=ws.store.users.all(), errors=errors or [], entry=dict(entry or {}), roles=[r.value for r in Role],
        units=sorted(ws.catalogue.units)), status)


@router.get("/users")
def users(request: Request, ws: WorkspaceDep, user: Admin) -> Response:
    return users_page(request, ws)


def add_user(request: Request, ws: Workspace, user: User, form: Mapping[str, str]) -> Response:
    _check_csrf(request, form)
    lang = lang_of(request)
    entry = {k: form.get(k, "").strip() for k in ("username", "name", "role", "unit")}
    password = form.get("password", "")
    errors = [p.render(lang) for p in (username_problem(entry["username"]),
                                       password_problem(password, entry["username"])) if p]
    if not entry["name"]:
        errors.append(t("admin.user.name", lang))
    if entry["role"] not in {r.value for r in Role}:
        errors.append(t("admin.user.role", lang))
    if entry["unit"] not in ws.catalogue.units:
        errors.append(t("admin.user.unit", lang))
    if not errors and ws.store.users.by_username(entry["username"]) is not None:
        errors.append(t("admin.user.taken", lang))
    if errors:
        return users_page(request, ws, status=422, errors=errors, entry=entry)
    try:
        rec = ws.store.users.create(entry["username"], entry["name"], password, entry["role"], entry["unit"])
    except IntegrityError:  # created meanwhile
        return users_page(request, ws, status=422, entry=entry, errors=[t("admin.user.taken", lang)])
    ws.store.users.record(user.username, "user", str(rec.id), "insert", unit=rec.unit, after=entry)
    return RedirectResponse("/admin/users?done=user", status_code=303)


@router.post("/users")
async def users_post(request: Request, ws: WorkspaceDep, user: Admin) -> Response:
    form, _ = await _form(request)
    return await run_in_threadpool(add_user, request, ws, user, form)


def set_active(request: Request, ws: Workspace, user: User, uid: int, active: bool,
               form: Mapping[str, str]) -> Response:
    _check_csrf(request, form)
    rec = ws.store.users.by_id(uid)
    if rec is None:
        raise _refuse(request, 404, "admin.no_user")
    if rec.id == user.id and not active:
        raise _refuse(request, 400, "admin.not_yourself")
    ws.store.users.set_active(uid, active)
    ws.store.users.record(user.username, "user", str(uid), "activate" if active else "deactivate", unit=rec.unit,
                          before={"active": rec.active}, after={"active": active})
    return RedirectResponse(f"/admin/users?done={'activated' if active else 'deactivated'}", status_code=303)


@router.post("/users/{uid}/deactivate")
async def deactivate(request: Request, uid: int, ws: WorkspaceDep, user: Admin) -> Response:
    form, _ = await _form(request)
    return await run_in_threadpool(set_active, request, ws, user, uid, False, form)


@router.post("/users/{uid}/activate")
async def activate(request: Request, uid: int, ws: WorkspaceDep, user: Admin) -> Response:
    form, _ = await _form(request)
    return await run_in_threadpool(set_active, request, ws, user, uid, True, form)


# --- event sources ----------------------------------------------------------------------------------------------
def writer_lag(request: Request, ws: Workspace) -> WriterLag:
    """The writer's lag: from the NATS log when the app has one (its pending batches), else written in-process."""
    lang = lang_of(request)
    at = ws.store.events.last_applied()
    when = f"{at.strftime('%d/%m/%Y %H:%M:%S')} UTC" if at else "—"
    watch: LogWatch | None = getattr(request.app.state, "log_watch", None)
    if watch is None:
        return WriterLag("in_process", t("admin.writer.in_process", lang), None, None, when)
    try:
        behind = watch.lag_now()
    except Exception:  # NATS does not answer: say so, the page still shows
        return WriterLag("unavailable", t("admin.writer.unavailable", lang), None, None, when)
    if behind is None:
        return WriterLag("no_consumer", t("admin.writer.no_consumer", lang, durable=watch.durable), None, None, when)
    pending, unacked = behind["pending"], behind["unacknowledged"]
    return WriterLag("log", t("admin.writer.lag", lang, pending=fmt_number(pending, 0, lang),
                              unacknowledged=fmt_number(unacked, 0, lang)), pending, unacked, when)


def sources_page(request: Request, ws: Workspace, *, status: int = 200, errors: list[str] | None = None,
                 entry: Mapping[str, Any] | None = None, token: str | None = None) -> Response:
    pending: dict[str, int] = {}
    for x in ws.store.events.rejects(limit=100_000):
        pending[x.source] = pending.get(x.source, 0) + 1
    return _page(request, "admin_sources.html", SourcesContext(
        lag=writer_lag(request, ws),
        rows=ws.store.events.sources(), pending=pending, errors=errors or [], entry=dict(entry or {}), token=token,
        kinds=list(EVENT_KINDS), units=sorted(ws.catalogue.units)), status)


@router.get("/sources")
def sources(request: Request, ws: WorkspaceDep, user: Admin) -> Response:
    return sources_page(request, ws)


def add_source(request: Request, ws: Workspace, user: User, form: Mapping[str, str],
               lists: Mapping[str, list[str]]) -> Response:
    _check_csrf(request, form)
    lang = lang_of(request)
    sid, name = form.get("id", "").strip(), form.get("name", "").strip()
    kinds = [k for k in lists.get("kinds", []) if k in EVENT_KINDS]
    unit_text = form.get("units", "").strip()
    entry = {"id": sid, "name": name, "units": unit_text, "kinds": kinds}
    errors = []
    if not SOURCE_ID.match(sid):
        errors.append(t("admin.source.id", lang))
    elif any(s.id == sid for s in ws.store.events.sources()):
        errors.append(t("admin.source.taken", lang))
    if not kinds:
        errors.append(t("admin.source.kinds", lang))
    units: list[str] = []
    for ref in re.split(r"[,;\s]+", unit_text):
        if not ref:
            continue
        if ref == ALL:
            units.append(ALL)
            continue
        u = ws.catalogue.units.get(ref)
        if u is None:
            errors.append(t("admin.source.unit", lang, code=ref))
        else:
            units.append(u.code)
    if errors:
        return sources_page(request, ws, status=422, errors=errors, entry=entry)
    scope = units or [ALL]
    try:
        token = ws.store.events.add_source(sid, name or sid, scope, kinds)
    except IntegrityError:
        return sources_page(request, ws, status=422, entry=entry, errors=[t("admin.source.taken", lang)])
    ws.store.users.record(user.username, "event_source", sid, "insert",
                          after={"name": name or sid, "units": scope, "kinds": kinds})
    return sources_page(request, ws, status=201, token=token, entry={"id": sid})


@router.post("/sources")
async def sources_post(request: Request, ws: WorkspaceDep, user: Admin) -> Response:
    form, lists = await _form(request)
    return await run_in_threadpool(add_source, request, ws, user, form, lists)


def revoke(request: Request, ws: Workspace, user: User, sid: str, form: Mapping[str, str]) -> Response:
    _check_csrf(request, form)
    if not ws.store.events.revoke_source(sid):
        raise _refuse(request, 404, "admin.no_source")
    ws.store.users.record(user.username, "event_source", sid, "revoke", after={"active": False})
    return RedirectResponse("/admin/sources?done=revoked", status_code=303)


@router.post("/sources/{sid}/revoke")
async def revoke_post(request: Request, sid: str, ws: WorkspaceDep, user: Admin) -> Response:
    form, _ = await _form(request)
    return await run_in_threadpool(revoke, request, ws, user, sid, form)


@router.get("/rejects")
def rejects(request: Request, ws: WorkspaceDep, user: Admin, source: str | None = None, kind: str | None = None,
            replayed: bool = False) -> Response:
    rows = ws.store.events.rejects(kind=kind or None, source=source or None, pending_only=not replayed, limit=1000)
    return _page(request, "admin_rejects.html", RejectsContext(
        rows=rows, source=source or "", kind=kind or "", replayed=replayed,
        sources=[s.id for s in ws.store.events.sources()], kinds=list(EVENT_KINDS)))
