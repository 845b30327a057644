"""The dashboard pages, in HTML: the national overview (``/``), an indicator (``/indicators/{code}``) and a unit
(``/units/{code}``), server-rendered with inline SVG charts.

Each page is a view of ``web.dashboards`` (cached per data version) turned into its typed context
(``web.contexts``); its tables download from ``web.downloads``. A name a page does not understand answers with
the page itself saying so, with the nearest names (``*_ERRORS``, for the routes of a page and its downloads).

The public sees published (approved) values only. A logged-in user may add ``?drafts=1`` to see the
unapproved values of the units in their scope too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from chiso.errors import ChisoError
from chiso.web.contexts import error_context, indicator_context, overview_context, unit_context
from chiso.web.deps import DashboardsDep, WorkspaceDep
from chiso.web.params import group_param, indicator_of, overview_of, unit_of
from chiso.web.problems import PageErrors, page_errors
from chiso.web.session import load_user
from chiso.web.templating import lang_of, render


def error_page(template: str) -> PageErrors:
    """Answers a page's error with the page itself, saying what was wrong and the nearest names."""

    def show(request: Request, exc: ChisoError, status: int) -> Response:
        load_user(request)  # the header shows who is logged in
        return render(request, template, error_context(exc, lang_of(request)).as_dict(), status_code=status)

    return show


OVERVIEW_ERRORS: Any = Depends(page_errors(error_page("overview.html")))
INDICATOR_ERRORS: Any = Depends(page_errors(error_page("indicator.html")))
UNIT_ERRORS: Any = Depends(page_errors(error_page("unit.html")))

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/", dependencies=[OVERVIEW_ERRORS])
def overview_page(request: Request, ws: WorkspaceDep, dash: DashboardsDep, period: str | None = None,
                  group: str | None = None, drafts: bool = False) -> HTMLResponse:
    load_user(request)  # the header and the drafts switch show who is logged in
    ov = overview_of(request, ws, dash, period, drafts)
    only = group_param(ws.catalogue, group) if group else None
    return render(request, "overview.html", overview_context(ws, ov, only, drafts, lang_of(request)).as_dict())


@router.get("/indicators/{code}", dependencies=[INDICATOR_ERRORS])
def indicator_page(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, period: str | None = None,
                   group: str | None = None, unit: str | None = None, drafts: bool = False,
                   structure: str | None = None) -> HTMLResponse:
    load_user(request)
    v = indicator_of(request, ws, dash, code, period, group, unit, drafts, structure)
    return render(request, "indicator.html", indicator_context(ws, v, structure, drafts, lang_of(request)).as_dict())


@router.get("/units/{code}", dependencies=[UNIT_ERRORS])
def unit_page(request: Request, ws: WorkspaceDep, dash: DashboardsDep, code: str, period: str | None = None,
              drafts: bool = False) -> HTMLResponse:
    load_user(request)
    v = unit_of(request, ws, dash, code, period, drafts)
    return render(request, "unit.html", unit_context(ws, v, drafts, lang_of(request)).as_dict())
