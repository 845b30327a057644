"""The written reports: the public list and downloads, and writing a report (the national office).

Reports are files in the workspace's ``reports/`` folder, written by ``chiso.app.write_report`` (the same
use-case as ``chiso report``). A download is served only by a name of that folder's listing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from chiso import app as core
from chiso import auth
from chiso.auth import User
from chiso.catalogue.periods import Period
from chiso.errors import ChisoError
from chiso.web.session import check_csrf, current_user
from chiso.web.templating import lang_of, render, tr

MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
FORMAT_NAMES = {"html": "HTML", "pdf": "PDF", "docx": "Word (DOCX)"}


def register(app: FastAPI, ws: core.Workspace) -> None:
    cat = ws.catalogue

    def page(request: Request, user: User | None, *, error: str | None = None, period: str = "",
             status: int = 200) -> Response:
        lang = lang_of(request)
        done = request.query_params.get("done")
        resp = render(request, "reports.html", {
            "reports": core.list_reports(ws),
            "can_write": auth.can_publish_reports(cat, user),
            "templates": core.report_templates(ws),
            "formats": FORMAT_NAMES,
            "error": error,
            "period": period,
            "done": tr(lang, f"Đã viết báo cáo {done}.", f"Report {done} written.") if done else None,
        }, status_code=status)
        if user is not None:
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.get("/reports", include_in_schema=False)
    def reports_page(request: Request, user: Annotated[User | None, Depends(current_user)]) -> Response:
        return page(request, user)

    @app.post("/reports", include_in_schema=False)
    async def write_report(
        request: Request,
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
        if not auth.can_publish_reports(cat, user):
            return page(request, user, status=403, error=tr(
                lang, "Chỉ người duyệt hoặc quản trị của cơ quan chuyển đổi số quốc gia được viết báo cáo.",
                "Only the national office's reviewers and admins may write reports."))
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
            return page(request, user, status=400, error=msg, period=period)
        return RedirectResponse(f"/reports?done={written.id}", status_code=303)

    @app.get("/reports/{name}", include_in_schema=False)
    def download(name: str) -> Response:
        for r in core.list_reports(ws):
            for fmt, path in r.files.items():
                if path.name == name:
                    inline = fmt in ("html", "pdf")
                    return FileResponse(
                        path, media_type=MEDIA[fmt], filename=path.name,
                        content_disposition_type="inline" if inline else "attachment",
                    )
        return Response("không có báo cáo này / no such report", status_code=404, media_type="text/plain")
