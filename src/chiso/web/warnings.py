"""Early warnings on the web (issue 15 §2): a page listing the warnings of the units the user may see, marking one
seen or resolved, and the same on the API. Logged-in users only (a warning says unpublished things); a province's
user sees its province's warnings and those below it, never another's (``app.warning_scope``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from chiso import app as core
from chiso.auth import Role
from chiso.catalogue.warnings import KINDS, STATES, WarningRecord
from chiso.errors import ChisoError, UnknownNameError, UnknownUnitError
from chiso.i18n import fmt_date
from chiso.report.warnings_text import describe, kind_name, state_name, unit_label
from chiso.web.contexts import Context
from chiso.web.deps import WorkspaceDep
from chiso.web.problems import page_errors, responses
from chiso.web.session import CheckCsrf, CheckFormCsrf, RequiredUser
from chiso.web.templating import lang_of, render

KindQ = Literal["silent", "break", "fall", "off_track", "late"]
StateQ = Literal["new", "seen", "resolved"]
Move = Literal["seen", "resolve"]
WarningId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the warning's number")]
UnitQ = Annotated[str | None, Query(max_length=100, description="this unit and the units below it (code or name)")]


@dataclass(frozen=True)
class Row:
    w: WarningRecord
    kind: str
    unit: str
    state: str
    text: str
    since: str
    by: str | None  # who moved it last, and when, in words


@dataclass(frozen=True)
class WarningsContext(Context):
    rows: list[Row]
    kinds: list[tuple[str, str]]
    states: list[tuple[str, str]]
    kind: str
    state: str
    unit: str
    error: str | None
    may_mark: bool


def _rows(ws: core.Workspace, found: list[WarningRecord], lang: str) -> list[Row]:
    cat = ws.catalogue
    return [Row(w, kind_name(w.finding.kind, lang), unit_label(cat, w.finding.unit, lang), state_name(w.state, lang),
                describe(cat, w.finding, lang), fmt_date(w.finding.since.date(), lang),
                None if w.state_by is None or w.state_at is None else
                f"{state_name(w.state, lang)} · {w.state_by} · {fmt_date(w.state_at.date(), lang)} {w.state_at:%H:%M}")
            for w in found]


def error_page(request: Request, exc: ChisoError, status: int = 400) -> Response:
    lang = lang_of(request)
    ctx = WarningsContext([], [], [], "", "", "", exc.render(lang), False)
    return render(request, "warnings.html", ctx.as_dict(), status_code=status)


pages_router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(page_errors(error_page))])


@pages_router.get("/warnings")
def warnings_page(request: Request, ws: WorkspaceDep, user: RequiredUser,
                  kind: str = "", state: str = "", unit: str = "") -> Response:
    lang = lang_of(request)
    for name, value in (("kind", kind), ("state", state), ("unit", unit)):
        if len(value) > 100:  # answered on the page, as any name not understood (cut: it is shown)
            raise (UnknownUnitError if name == "unit" else UnknownNameError)(value[:100] + "…")
    found = core.list_warnings(ws, user, unit=unit or None, kinds=[kind] if kind else None,
                               states=[state] if state else None, limit=1000)
    ctx = WarningsContext(_rows(ws, found, lang), [(k, kind_name(k, lang)) for k in KINDS],
                          [(s, state_name(s, lang)) for s in STATES], kind, state, unit, None,
                          user.role is not Role.VIEWER)
    resp = render(request, "warnings.html", ctx.as_dict())
    resp.headers["Cache-Control"] = "no-store"
    return resp


@pages_router.post("/warnings/{wid}/{move}", dependencies=[CheckFormCsrf])
def warnings_move(ws: WorkspaceDep, user: RequiredUser, wid: WarningId, move: Move) -> Response:
    core.set_warning_state(ws, user, wid, "seen" if move == "seen" else "resolved", user.username)
    return RedirectResponse("/warnings", status_code=303)


api_router = APIRouter(prefix="/api/v1/warnings", tags=["warnings"])


def _out(ws: core.Workspace, w: WarningRecord, lang: str) -> dict[str, Any]:
    return w.as_dict() | {"text": describe(ws.catalogue, w.finding, lang)}


@api_router.get("", responses=responses(401, s403="a unit outside the user's scope",
                                        s422="an unknown unit"))
def list_warnings(request: Request, ws: WorkspaceDep, user: RequiredUser, unit: UnitQ = None,
                  kind: Annotated[KindQ | None, Query(description="only this kind")] = None,
                  state: Annotated[StateQ | None, Query(description="only this state")] = None,
                  after: Annotated[int | None, Query(ge=0, le=2**62, description=(
                      "only the warnings raised (or raised again) after this point of the warnings' log, oldest "
                      "first: `last` of the answer is the next point"))] = None,
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict[str, Any]:
    """The warnings of the units the user may see, the latest first (``after``: those raised since a point)."""
    lang = lang_of(request)
    if after is not None:
        scope = core.warning_scope(ws, user)
        raised = ws.store.warnings.raised_since(after, limit)
        last = raised[-1][0] if raised else after
        rows = [w for _, w in raised if (scope is None or w.finding.unit in scope)
                and (kind is None or w.finding.kind == kind) and (state is None or w.state == state)]
        return {"count": len(rows), "last": last, "warnings": [_out(ws, w, lang) for w in rows]}
    found = core.list_warnings(ws, user, unit=unit, kinds=[kind] if kind else None,
                               states=[state] if state else None, limit=limit)
    return {"count": len(found), "warnings": [_out(ws, w, lang) for w in found]}


@api_router.post("/{wid}/{move}", dependencies=[CheckCsrf], responses=responses(
    401, s403="a viewer, or a missing CSRF token", s404="no such warning in the user's scope"))
def move_warning(request: Request, ws: WorkspaceDep, user: RequiredUser, wid: WarningId,
                 move: Annotated[Move, Path(description="seen or resolve")]) -> dict[str, Any]:
    """Mark a warning seen or resolved (who and when are recorded and audited)."""
    w = core.set_warning_state(ws, user, wid, "seen" if move == "seen" else "resolved", user.username)
    return _out(ws, w, lang_of(request))

