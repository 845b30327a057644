"""The written reports: the public list and downloads, and writing a report (the national office).

Reports are files in the workspace's ``reports/`` folder, written by ``chiso.app.write_report`` (the same
use-case as ``chiso report``). A download is served only by a name of that folder's listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from chiso import app as core
from chiso import auth
from chiso.auth import User
from chiso.catalogue.periods import Period
from chiso.errors import ChisoError
from chiso.i18n import t
from chiso.web.contexts import Context
from chiso.web.deps import WorkspaceDep, workspace
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


def reports_context(ws: core.Workspace, request: Request, user: User | None, error: str | None,
                    period: str) -> ReportsContext:
    done = request.query_params.get("done")
    return ReportsContext(
        reports=core.list_reports(ws), can_write=auth.can_publish_reports(ws.catalogue, user),
        templates=core.report_templates(ws), formats=FORMAT_NAMES, error=error, period=period,
        done=t("web.reports.written", lang_of(request), id=done) if done else None,
    )


def _page(ws: core.Workspace, request: Request, user: User | None, *, error: str | None = None, period: str = "",
          status: int = 200) -> Response:
    resp = render(request, "reports.html", reports_context(ws, request, user, error, period).as_dict(),
                  status_code=status)
    if user is not None:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def _error_page(request: Request, exc: ChisoError, status: int) -> Response:
    """An error on these routes (a wrong CSRF token) shows on the reports page."""
    return _page(workspace(request), request, load_user(request), error=exc.render(lang_of(request)),
                 status=status)


router = APIRouter(prefix="/reports", include_in_schema=False, dependencies=[Depends(page_errors(_error_page))])


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
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    lang = lang_of(request)
    if user is None:
        return RedirectResponse("/login?next=/reports", status_code=303)
    check_csrf(request, csrf)
    if not auth.can_publish_reports(ws.catalogue, user):
        return _page(ws, request, user, status=403, error=t("web.reports.not_allowed", lang))
    form = await request.form()
    formats = [f for f in form.getlist("format") if isinstance(f, str) and f in MEDIA] or list(MEDIA)
    try:
        p = Period.parse(period.strip())
        written = await run_in_threadpool(
            core.write_report, ws, str(p), formats=tuple(formats), template=template or None,
            lang=report_lang if report_lang in ("vi", "en") else "vi", actor=user.username,
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
