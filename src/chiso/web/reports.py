"""The written reports: the public list and downloads, and writing a report (the national office).

Reports are files in the workspace's ``reports/`` folder, written by ``chiso.app.write_report`` (the same
use-case as ``chiso report``). A download is served only by a name of that folder's listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from chiso import app as core
from chiso import auth
from chiso.auth import User
from chiso.catalogue.periods import Period
from chiso.errors import ChisoError
from chiso.i18n import t
from chiso.report.specs import is_province
from chiso.web.contexts import Context
from chiso.web.deps import WorkspaceDep, workspace
from chiso.web.pages import error_page
from chiso.web.problems import page_errors
from chiso.web.session import check_csrf, current_user, load_user
from chiso.web.templating import lang_of, render

MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
FORMAT_NAMES = {"html": "HTML", "pdf": "PDF", "docx": "Word (DOCX)"}


@dataclass(frozen=True)
class ReportsContext(Context):
    reports: list[core.WrittenReport]
    can_write: bool
    templates: list[tuple[str, str]]
    formats: dict[str, str]
    error: str | None
    period: str
    done: str | None
    unit: str  # a province's report: the user's own province, or empty (the national report)


def _own_province(ws: core.Workspace, user: User | None) -> str:
    """The province a user works in, when the user may write its report ("" otherwise)."""
    u = ws.catalogue.units.get(user.unit) if user is not None else None
    ok = u is not None and is_province(u) and auth.can_write_report(ws.catalogue, user, u.code)
    return u.short if ok and u is not None else ""


def reports_context(ws: core.Workspace, request: Request, user: User | None, error: str | None,
                    period: str) -> ReportsContext:
    done = request.query_params.get("done")
    own = _own_province(ws, user)
    return ReportsContext(
        reports=core.list_reports(ws), can_write=auth.can_publish_reports(ws.catalogue, user) or bool(own),
        templates=core.report_templates(ws), formats=FORMAT_NAMES, error=error, period=period,
        done=t("web.reports.written", lang_of(request), id=done) if done else None, unit=own,
    )


def _page(ws: core.Workspace, request: Request, user: User | None, *, error: str | None = None, period: str = "",
          status: int = 200) -> Response:
    resp = render(request, "reports.html", reports_context(ws, request, user, error, period).as_dict(),
                  status_code=status)
    if user is not None:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def _error_context(request: Request, exc: ChisoError) -> dict[str, Any]:
    """An error on these routes (a wrong CSRF token) shows on the reports page."""
    return reports_context(workspace(request), request, load_user(request), exc.render(lang_of(request)),
                           "").as_dict()


PAGE_ERRORS: Any = Depends(page_errors(error_page("reports.html", _error_context, no_store=True)))
router = APIRouter(prefix="/reports", include_in_schema=False, dependencies=[PAGE_ERRORS])


@router.get("")
def reports_page(request: Request, ws: WorkspaceDep, user: Annotated[User | None, Depends(current_user)]) -> Response:
    return _page(ws, request, user)


@router.post("")
async def write_report(
    request: Request,
    ws: WorkspaceDep,
    user: Annotated[User | None, Depends(current_user)],
    period: Annotated[str, Form()] = "",
    template: Annotated[str, Form()] = "",
    report_lang: Annotated[str, Form()] = "vi",
    unit: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    lang = lang_of(request)
    if user is None:
        return RedirectResponse("/login?next=/reports", status_code=303)
    check_csrf(request, csrf)
    if not (auth.can_publish_reports(ws.catalogue, user) or _own_province(ws, user)):
        return _page(ws, request, user, status=403, error=t("web.reports.not_allowed", lang))
    form = await request.form()
    formats = [f for f in form.getlist("format") if isinstance(f, str) and f in MEDIA] or list(MEDIA)
    try:
        p = Period.parse(period.strip())
        province = core.report_province(ws.catalogue, unit, p, "unit").code if unit.strip() else None
        if not auth.can_write_report(ws.catalogue, user, province):  # a province's reviewers: their own only
            return _page(ws, request, user, status=403, error=t("web.reports.not_allowed", lang))
        written = await run_in_threadpool(
            core.write_report, ws, str(p), formats=tuple(formats), template=template or None,
            lang=report_lang if report_lang in ("vi", "en") else "vi", actor=user.username, unit=province,
        )
    except (ChisoError, ValueError) as exc:
        msg = exc.render(lang) if isinstance(exc, ChisoError) else str(exc)
        return _page(ws, request, user, status=400, error=msg, period=period)
    return RedirectResponse(f"/reports?done={written.id}", status_code=303)


@router.get("/{name}")
def download(ws: WorkspaceDep, name: str) -> Response:
    for r in core.list_reports(ws):
        for fmt, path in r.files.items():
            if path.name == name:
                inline = fmt in ("html", "pdf")
                return FileResponse(
                    path, media_type=MEDIA[fmt], filename=path.name,
                    content_disposition_type="inline" if inline else "attachment",
                )
    return Response("không có báo cáo này / no such report", status_code=404, media_type="text/plain")
