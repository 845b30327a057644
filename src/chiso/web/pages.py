"""The dashboard pages, in HTML: the national overview (``/``), an indicator (``/indicators/{code}``) and a unit
(``/units/{code}``), server-rendered with inline SVG charts.

Each page is a view of ``web.dashboards`` (cached per data version) turned into its typed context
(``web.contexts``); its tables download from ``web.downloads``. A name a page does not understand answers with
the page itself saying so, with the nearest names (``*_ERRORS``, for the routes of a page and its downloads).

The public sees published (approved) values only. A logged-in user may add ``?drafts=1`` to see the
unapproved values of the units in their scope too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from chiso.errors import ChisoError, HttpProblem
from chiso.web.contexts import ErrorContext, error_context, indicator_context, overview_context, unit_context
from chiso.web.deps import DashboardsDep, WorkspaceDep
from chiso.web.foresight import OutlooksDep, indicator_block, misses_view, unit_blocks
from chiso.web.params import group_param, indicator_of, overview_of, policy_of, unit_of
from chiso.web.problems import PageErrors, page_errors
from chiso.web.session import load_user
from chiso.web.templating import lang_of, render


def page_error_context(request: Request, exc: ChisoError) -> dict[str, Any]:
    """What was wrong, in which field, and the nearest names (``web.contexts.error_context``)."""
    return error_context(exc, lang_of(request)).as_dict()


def problem_error_context(request: Request, exc: ChisoError) -> dict[str, Any]:
    """``page_error_context``, naming the field and the nearest names an ``HttpProblem`` carries in ``extra``."""
    if isinstance(exc, HttpProblem):
        field, hints = exc.extra.get("field"), exc.extra.get("suggestions")
        return ErrorContext(exc.detail, field if isinstance(field, str) else None,
                            [str(s) for s in hints] if isinstance(hints, list) else []).as_dict()
    return page_error_context(request, exc)


def error_page(template: str, context: Callable[[Request, ChisoError], dict[str, Any]] = page_error_context, *,
               no_store: bool = False) -> PageErrors:
    """Answers a page's error (``web.problems.page_errors``) with ``template`` saying what was wrong, with the
    error's status. ``no_store``: a logged-in user's answer is not kept by shared caches."""

    def show(request: Request, exc: ChisoError, status: int) -> Response:
        user = load_user(request)  # the header shows who is logged in
        resp = render(request, template, context(request, exc), status_code=status)
        if no_store and user is not None:
            resp.headers["Cache-Control"] = "no-store"
        return resp

    return show


OVERVIEW_ERRORS: Any = Depends(page_errors(error_page("overview.html")))
INDICATOR_ERRORS: Any = Depends(page_errors(error_page("indicator.html")))
UNIT_ERRORS: Any = Depends(page_errors(error_page("unit.html")))

PROJECTION_WAIT = 2.0  # seconds a page waits at most for the projections it shows

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/", dependencies=[OVERVIEW_ERRORS])
def overview_page(request: Request, ws: WorkspaceDep, dash: DashboardsDep, outlooks: OutlooksDep,
                  period: str | None = None, group: str | None = None, drafts: bool = False) -> HTMLResponse:
    load_user(request)  # the header and the drafts switch show who is logged in
    t0 = time.perf_counter()
    ov = overview_of(request, ws, dash, period, drafts)
    only = group_param(ws.catalogue, group) if group else None
    # the likely misses are made aside: wait for them no longer than the overview's own data took
    misses = misses_view(request, outlooks, ov.period.end.year, policy_of(request, ws, drafts),
                         min(PROJECTION_WAIT, time.perf_counter() - t0), lang_of(request))
    resp = render(request, "overview.html", overview_context(ws, ov, only, drafts, lang_of(request), misses).as_dict())
    return no_store_if(resp, misses is not None and (misses.computing or misses.stale))


def no_store_if(resp: HTMLResponse, pending: bool) -> HTMLResponse:
    """A page still waiting for a projection is kept by no cache: the next load has it."""
    if pending:
        resp.headers["Cache-Control"] = "no-store"
    return resp


@router.get("/indicators/{code}", dependencies=[INDICATOR_ERRORS])
def indicator_page(request: Request, ws: WorkspaceDep, dash: DashboardsDep, outlooks: OutlooksDep, code: str,
                   period: str | None = None, group: str | None = None, unit: str | None = None,
                   drafts: bool = False, structure: str | None = None) -> HTMLResponse:
    load_user(request)
    t0 = time.perf_counter()
    v = indicator_of(request, ws, dash, code, period, group, unit, drafts, structure)
    lang = lang_of(request)
    # the projection is made aside: wait for it no longer than the page's own data took
    block = indicator_block(outlooks, v.indicator, v.series_unit, v.period, policy_of(request, ws, drafts), lang,
                            min(PROJECTION_WAIT, time.perf_counter() - t0))
    resp = render(request, "indicator.html", indicator_context(ws, v, structure, drafts, lang, block).as_dict())
    return no_store_if(resp, block is not None and block.pending)


@router.get("/units/{code}", dependencies=[UNIT_ERRORS])
def unit_page(request: Request, ws: WorkspaceDep, dash: DashboardsDep, outlooks: OutlooksDep, code: str,
              period: str | None = None, drafts: bool = False) -> HTMLResponse:
    load_user(request)
    t0 = time.perf_counter()
    v = unit_of(request, ws, dash, code, period, drafts)
    lang = lang_of(request)
    blocks = unit_blocks(outlooks, v.unit, v.period, policy_of(request, ws, drafts), lang,
                         min(PROJECTION_WAIT, time.perf_counter() - t0))
    resp = render(request, "unit.html", unit_context(ws, v, drafts, lang, blocks).as_dict())
    return no_store_if(resp, any(b.pending for b in blocks))
