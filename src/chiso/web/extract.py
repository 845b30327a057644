"""Reading figures back from a published report, on the web: ``/extract`` (the national office).

``GET /extract`` shows the form (upload a text or HTML report, or paste its text); ``POST /extract`` reads
it and shows the proposals with checkboxes, each checked by the one intake (``chiso.ingest.intake``);
``POST /extract/accept`` imports the checked ones through ``chiso.app.accept_proposals`` (the use-case of
``chiso extract``: source document, line, audit).

The page carries the report's text, not the proposals: accepting reads the text again on the server, so
what is written is what the server proposed, whatever the browser sends back.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from chiso import app as core
from chiso import auth
from chiso.auth import User
from chiso.catalogue.models import SourceDocument
from chiso.catalogue.periods import Period
from chiso.errors import ChisoError, PermissionDenied, ValidationError
from chiso.i18n import fmt_value
from chiso.ingest.extract import Proposal, decode_document, document_period
from chiso.ingest.intake import check_proposals
from chiso.web.session import check_csrf, current_user
from chiso.web.templating import lang_of, render, tr

MAX_BYTES = 5 * 1024 * 1024  # a report is text: 5 MB is far more than any


def router(ws: core.Workspace) -> APIRouter:
    r = APIRouter(prefix="/extract", tags=["extract"], include_in_schema=False)
    cat = ws.catalogue

    def page(
        request: Request,
        *,
        status: int = 200,
        errors: list[str] | None = None,
        doc: SourceDocument | None = None,
        proposals: list[Proposal] | None = None,
        checked: set[int] | None = None,
        form: dict[str, str] | None = None,
    ) -> Response:
        lang = lang_of(request)
        rows = []
        for i, p in enumerate(proposals or []):
            problems = check_proposals(cat, doc, [p]).problems if doc else []
            rows.append(row(i, p, lang, [pr.render(lang).split(": ", 1)[-1] for pr in problems]))
        done = request.query_params.get("done")
        resp = render(
            request,
            "extract.html",
            {
                "errors": errors or [],
                "doc": doc,
                "rows": rows,
                "checked": checked if checked is not None else {x["index"] for x in rows if not x["problems"]},
                "form": form or {},
                "done": done_message(lang, request) if done else None,
            },
            status_code=status,
        )
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def done_message(lang: str, request: Request) -> str:
        q = request.query_params
        values, targets, source = q.get("values", "0"), q.get("targets", "0"), q.get("source", "")
        return tr(
            lang,
            f"Đã nhập {values} giá trị và {targets} mục tiêu, nguồn {source}.",
            f"Imported {values} values and {targets} targets, source {source}.",
        )

    def row(i: int, p: Proposal, lang: str, problems: list[str]) -> dict[str, Any]:
        ind = cat.indicators.get(p.code)
        unit = cat.units.get(p.unit)

        def shown(x: float | None) -> str:
            if x is None:
                return ""
            return fmt_value(x, ind.unit, ind.decimals, lang, kind=ind.kind) if ind else str(x)

        snippet = p.where.snippet
        at = snippet.find(p.text) if p.text else -1
        parts = (snippet[:at], p.text, snippet[at + len(p.text) :]) if at >= 0 else (snippet, "", "")
        return {
            "index": i,
            "number": i + 1,
            "code": p.code,
            "name": ind.name.get(lang) if ind else p.code,
            "unit": (unit.name_en if lang == "en" and unit.name_en else unit.name) if unit else p.unit,
            "period": p.period,
            "value": shown(p.value),
            "target": shown(p.target),
            "approximate": p.qualifier or "",
            "line": p.where.line,
            "snippet": parts,
            "problems": problems,
        }

    def allowed(user: User | None) -> bool:
        return auth.can_publish_reports(cat, user)

    def refused(request: Request) -> Response:
        lang = lang_of(request)
        return page(
            request,
            status=403,
            errors=[
                tr(
                    lang,
                    "Chỉ người duyệt hoặc quản trị của cơ quan chuyển đổi số quốc gia được nhập số liệu từ báo cáo.",
                    "Only the national office's reviewers and admins may import figures from reports.",
                )
            ],
        )

    async def read_form(request: Request) -> tuple[dict[str, str], list[int], UploadFile | None]:
        form = await request.form(max_part_size=MAX_BYTES)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        picks = [int(x) for x in form.getlist("pick") if isinstance(x, str) and x.isdigit()]
        upload = form.get("file")
        return fields, picks, upload if isinstance(upload, UploadFile) and upload.filename else None

    def proposals_of(fields: dict[str, str], text: str, name: str) -> tuple[SourceDocument, list[Proposal]]:
        period = fields.get("period", "").strip()
        if period:
            period = str(Period.parse(period))
        elif document_period(text) is None:
            raise ChisoError(
                tr(
                    fields.get("_lang", "vi"),
                    f"{name}: không xác định được kỳ của báo cáo; hãy điền kỳ (ví dụ 2024, 2024Q3, 2024-04).",
                    f"{name}: the report's period could not be read; fill in the period (e.g. 2024, 2024Q3).",
                )
            )
        return core.read_report(cat, text, name, period or None, title=fields.get("title", "").strip() or None)

    @r.get("")
    def form_page(request: Request, user: Annotated[User | None, Depends(current_user)]) -> Response:
        if user is None:
            return RedirectResponse("/login?next=/extract", status_code=303)
        return page(request) if allowed(user) else refused(request)

    async def admitted(
        request: Request, user: User | None
    ) -> Response | tuple[dict[str, str], list[int], UploadFile | None]:
        """The posted form of a logged-in, allowed user with a good CSRF token; else the answer to send."""
        if user is None:
            return RedirectResponse("/login?next=/extract", status_code=303)
        fields, picks, upload = await read_form(request)
        try:
            check_csrf(request, fields.get("csrf"))
        except PermissionDenied:
            return page(request, status=403, errors=[csrf_error(lang_of(request))])
        if not allowed(user):
            return refused(request)
        fields["_lang"] = lang_of(request)
        return fields, picks, upload

    @r.post("")
    async def read(request: Request, user: Annotated[User | None, Depends(current_user)]) -> Response:
        lang = lang_of(request)
        gate = await admitted(request, user)
        if isinstance(gate, Response):
            return gate
        fields, _picks, upload = gate
        try:
            if upload is not None:
                data = await upload.read(MAX_BYTES + 1)
                if len(data) > MAX_BYTES:
                    raise ChisoError(tr(lang, "Tệp quá lớn (tối đa 5 MB).", "The file is too large (5 MB at most)."))
                name = upload.filename or "report.txt"
            else:
                data = fields.get("text", "").encode("utf-8")
                name = "pasted.txt"
            text, _fmt = decode_document(data, name)
            doc, proposals = await run_in_threadpool(proposals_of, fields, text, name)
        except ChisoError as exc:
            return page(request, status=400, errors=[exc.render(lang)], form=fields)
        form = {"text": text, "name": name, "period": fields.get("period", ""), "title": fields.get("title", "")}
        if not proposals:
            msg = tr(lang, f"Không tìm thấy số liệu nào trong {name}.", f"No figures found in {name}.")
            return page(request, errors=[msg], form=form)
        return page(request, doc=doc, proposals=proposals, form=form)

    @r.post("/accept")
    async def accept(request: Request, user: Annotated[User | None, Depends(current_user)]) -> Response:
        lang = lang_of(request)
        gate = await admitted(request, user)
        if isinstance(gate, Response):
            return gate
        fields, picks, _upload = gate
        assert user is not None  # admitted() answered for the public
        text, name = fields.get("text", ""), fields.get("name", "") or "pasted.txt"
        try:
            doc, proposals = await run_in_threadpool(proposals_of, fields, text, name)
        except ChisoError as exc:
            return page(request, status=400, errors=[exc.render(lang)], form=fields)
        chosen = sorted({i for i in picks if 0 <= i < len(proposals)})
        if not chosen:
            msg = tr(lang, "Chưa chọn số liệu nào để nhập.", "No figure was chosen to import.")
            return page(request, status=400, errors=[msg], doc=doc, proposals=proposals, form=fields, checked=set())
        try:
            res = await run_in_threadpool(
                core.accept_proposals, ws, doc, [proposals[i] for i in chosen], actor=user.username
            )
        except ValidationError as exc:
            errors = [p.render(lang) for p in exc.problems]
            return page(
                request, status=400, errors=errors, doc=doc, proposals=proposals, form=fields, checked=set(chosen)
            )
        v, tg = res.values, res.targets
        query = (
            f"done=1&values={v.inserted + v.updated + v.unchanged}"
            f"&targets={tg.inserted + tg.updated + tg.unchanged}&source={res.source}"
        )
        return RedirectResponse(f"/extract?{query}", status_code=303)

    def csrf_error(lang: str) -> str:
        return tr(
            lang,
            "Yêu cầu không hợp lệ (thiếu hoặc sai mã CSRF); hãy tải lại trang.",
            "Invalid request (missing or wrong CSRF token); reload the page.",
        )

    return r
