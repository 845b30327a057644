"""Reading figures back from a published report, on the web: ``/extract`` (the national office).

``GET /extract`` shows the form (upload a text, HTML, PDF or DOCX report, or paste its text); ``POST /extract``
reads it and shows the proposals with checkboxes, each checked by the one intake (``chiso.ingest.intake``),
with its evidence (the words that decided its indicator, unit and period) and its confidence; a flagged
proposal (unit or period not stated) is shown unticked with its reason;
``POST /extract/accept`` imports the checked ones through ``chiso.app.accept_proposals`` (the use-case of
``chiso extract``: source document, line, audit).

The page carries the report's text, not the proposals: accepting reads the text again on the server, so
what is written is what the server proposed, whatever the browser sends back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from chiso import app as core
from chiso import auth
from chiso.auth import User
from chiso.catalogue import Catalogue
from chiso.catalogue.models import SourceDocument
from chiso.catalogue.periods import Period
from chiso.errors import ChisoError, ImportFileError, PermissionDenied, ValidationError
from chiso.i18n import fmt_number, fmt_value, t
from chiso.ingest.extract import Proposal, decode_document, document_period, is_binary_document
from chiso.ingest.intake import check_proposals
from chiso.web.contexts import Context
from chiso.web.deps import WorkspaceDep
from chiso.web.session import check_csrf, current_user
from chiso.web.templating import lang_of, render

MAX_BYTES = 5 * 1024 * 1024  # the least a form part may be; the workspace's extract_chars may allow more


def _max_part(limits: core.Limits) -> int:
    """The most bytes a form part (the upload, the pasted text) may hold: 4 per allowed character (UTF-8)."""
    return max(MAX_BYTES, 4 * limits.extract_chars + 1)


@dataclass(frozen=True)
class ProposalRow:
    """One proposed figure as the page lists it, with what the intake finds wrong with it."""

    index: int
    number: int
    code: str
    name: str
    unit: str
    period: str
    value: str
    target: str
    approximate: str
    line: int
    snippet: tuple[str, str, str]  # the line before, the figure's text, after
    problems: list[str]
    evidence: list[tuple[str, str, str]] = field(default_factory=list)  # (field, the deciding words, where read)
    confidence: str = ""
    flagged: bool = False
    reason: str = ""


@dataclass(frozen=True)
class ExtractContext(Context):
    errors: list[str]
    doc: SourceDocument | None
    rows: list[ProposalRow]
    checked: set[int]
    form: dict[str, str]
    done: str | None


def proposal_row(cat: Catalogue, i: int, p: Proposal, lang: str, problems: list[str]) -> ProposalRow:
    ind = cat.indicators.get(p.code)
    unit = cat.units.get(p.unit)

    def shown(x: float | None) -> str:
        if x is None:
            return ""
        return fmt_value(x, ind.unit, ind.decimals, lang, kind=ind.kind) if ind else str(x)

    snippet = p.where.snippet
    at = snippet.find(p.text) if p.text else -1
    parts = (snippet[:at], p.text, snippet[at + len(p.text) :]) if at >= 0 else (snippet, "", "")
    return ProposalRow(
        index=i, number=i + 1, code=p.code, name=ind.name.get(lang) if ind else p.code,
        unit=(unit.name_en if lang == "en" and unit.name_en else unit.name) if unit else p.unit,
        period=p.period, value=shown(p.value), target=shown(p.target), approximate=p.qualifier or "",
        line=p.where.line, snippet=parts, problems=problems,
        evidence=[
            (t(msg_id, lang), clue.text, t(_SOURCE_IDS[clue.source], lang))
            for msg_id, clue in (
                ("page.extract.by_indicator", p.evidence.indicator),
                ("page.extract.by_unit", p.evidence.unit),
                ("page.extract.by_period", p.evidence.period),
            )
        ],
        confidence=fmt_number(p.confidence, 2, lang, trim=False), flagged=p.flagged, reason=_reason(p.reason, lang),
    )


_SOURCE_IDS = {  # where a clue was read (chiso.ingest.extract.CLUE_SOURCES)
    "clause": "page.extract.from_clause",
    "sentence": "page.extract.from_sentence",
    "paragraph": "page.extract.from_paragraph",
    "table": "page.extract.from_table",
    "document": "page.extract.from_document",
    "catalogue": "page.extract.from_catalogue",
    "none": "page.extract.from_none",
}


def _reason(reason: str | None, lang: str) -> str:
    """The flag's reason in the page's language (the extractor says it "vi / en")."""
    if not reason:
        return ""
    vi, _, en = reason.partition(" / ")
    return en if lang == "en" and en else vi


def extract_context(cat: Catalogue, request: Request, *, errors: list[str] | None = None,
                    doc: SourceDocument | None = None, proposals: list[Proposal] | None = None,
                    checked: set[int] | None = None, form: dict[str, str] | None = None) -> ExtractContext:
    lang = lang_of(request)
    rows = []
    for i, p in enumerate(proposals or []):
        problems = check_proposals(cat, doc, [p]).problems if doc else []
        rows.append(proposal_row(cat, i, p, lang, [pr.render(lang).split(": ", 1)[-1] for pr in problems]))
    q = request.query_params
    done = None
    if q.get("done"):
        done = t("web.extract.done", lang, values=q.get("values", "0"), targets=q.get("targets", "0"),
                 source=q.get("source", ""))
    return ExtractContext(
        errors=errors or [], doc=doc, rows=rows,
        # a flagged proposal (unit or period unclear) is never ticked for the reviewer
        checked=checked if checked is not None else {x.index for x in rows if not x.problems and not x.flagged},
        form=form or {}, done=done,
    )


def _page(ws: core.Workspace, request: Request, *, status: int = 200, errors: list[str] | None = None,
          doc: SourceDocument | None = None, proposals: list[Proposal] | None = None,
          checked: set[int] | None = None, form: dict[str, str] | None = None) -> Response:
    ctx = extract_context(ws.catalogue, request, errors=errors, doc=doc, proposals=proposals, checked=checked,
                          form=form)
    resp = render(request, "extract.html", ctx.as_dict(), status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _allowed(ws: core.Workspace, user: User | None) -> bool:
    return auth.can_publish_reports(ws.catalogue, user)


def _refused(ws: core.Workspace, request: Request) -> Response:
    return _page(ws, request, status=403, errors=[t("web.extract.not_allowed", lang_of(request))])


async def _read_form(request: Request, limits: core.Limits) -> tuple[dict[str, str], list[int], UploadFile | None]:
    try:
        form = await request.form(max_part_size=_max_part(limits))
    except HTTPException as exc:
        if "maximum size" not in str(exc.detail):
            raise
        # a part over the size: the text is over the limit, said as the limit (and its setting)
        raise limits.text_too_long(t("page.extract.form", lang_of(request)), lang_of(request)) from exc
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    picks = [int(x) for x in form.getlist("pick") if isinstance(x, str) and x.isdigit()]
    upload = form.get("file")
    return fields, picks, upload if isinstance(upload, UploadFile) and upload.filename else None


def _proposals_of(cat: Catalogue, fields: dict[str, str], text: str, name: str,
                  limits: core.Limits) -> tuple[SourceDocument, list[Proposal]]:
    limits.check_text(name, text, fields.get("_lang", "vi"))  # before the work, on reading and on accepting
    period = fields.get("period", "").strip()
    if period:
        period = str(Period.parse(period))
    elif document_period(text) is None:
        raise ChisoError(t("web.extract.no_period", fields.get("_lang", "vi"), file=name))
    fmt = fields.get("fmt", "text")
    return core.read_report(cat, text, name, period or None, title=fields.get("title", "").strip() or None,
                            fmt=fmt if fmt in ("text", "html", "pdf", "docx") else "text")


async def _admitted(
    ws: core.Workspace, request: Request, user: User | None
) -> Response | tuple[dict[str, str], list[int], UploadFile | None]:
    """The posted form of a logged-in, allowed user with a good CSRF token; else the answer to send."""
    if user is None:
        return RedirectResponse("/login?next=/extract", status_code=303)
    try:
        fields, picks, upload = await _read_form(request, ws.limits)
    except ChisoError as exc:
        return _page(ws, request, status=413, errors=[exc.render(lang_of(request))])
    try:
        check_csrf(request, fields.get("csrf"))
    except PermissionDenied:  # said on the page itself, keeping the form
        return _page(ws, request, status=403, errors=[t("web.extract.csrf", lang_of(request))])
    if not _allowed(ws, user):
        return _refused(ws, request)
    fields["_lang"] = lang_of(request)
    return fields, picks, upload


router = APIRouter(prefix="/extract", tags=["extract"], include_in_schema=False)


@router.get("")
def form_page(request: Request, ws: WorkspaceDep, user: Annotated[User | None, Depends(current_user)]) -> Response:
    if user is None:
        return RedirectResponse("/login?next=/extract", status_code=303)
    return _page(ws, request) if _allowed(ws, user) else _refused(ws, request)


@router.post("")
async def read(request: Request, ws: WorkspaceDep, user: Annotated[User | None, Depends(current_user)]) -> Response:
    lang = lang_of(request)
    gate = await _admitted(ws, request, user)
    if isinstance(gate, Response):
        return gate
    fields, _picks, upload = gate
    try:
        limits = ws.limits
        if upload is not None:
            name = upload.filename or "report.txt"
            data = await upload.read(_max_part(limits) + 1)
            if not is_binary_document(name):  # a PDF, a DOCX: bounded by the form part and decode_document
                limits.check_text_bytes(name, len(data), lang)
        else:
            name = "pasted.txt"
            limits.check_text(name, fields.get("text", ""), lang)  # before encoding a long text again
            data = fields.get("text", "").encode("utf-8")
        text, fmt = decode_document(data, name)
        fields["fmt"] = fmt
        doc, proposals = await run_in_threadpool(_proposals_of, ws.catalogue, fields, text, name, limits)
    except ImportFileError as exc:  # unreadable or over the limit: the page does not carry the text back
        return _page(ws, request, status=400, errors=[exc.render(lang)],
                     form={k: v for k, v in fields.items() if k != "text"})
    except ChisoError as exc:
        return _page(ws, request, status=400, errors=[exc.render(lang)], form=fields)
    form = {"text": text, "name": name, "period": fields.get("period", ""), "title": fields.get("title", ""),
            "fmt": fields.get("fmt", "text")}
    if not proposals:
        return _page(ws, request, errors=[t("web.extract.none", lang, file=name)], form=form)
    return _page(ws, request, doc=doc, proposals=proposals, form=form)


@router.post("/accept")
async def accept(request: Request, ws: WorkspaceDep, user: Annotated[User | None, Depends(current_user)]) -> Response:
    lang = lang_of(request)
    gate = await _admitted(ws, request, user)
    if isinstance(gate, Response):
        return gate
    fields, picks, _upload = gate
    assert user is not None  # _admitted() answered for the public
    text, name = fields.get("text", ""), fields.get("name", "") or "pasted.txt"
    try:
        doc, proposals = await run_in_threadpool(_proposals_of, ws.catalogue, fields, text, name, ws.limits)
    except ChisoError as exc:
        return _page(ws, request, status=400, errors=[exc.render(lang)], form=fields)
    chosen = sorted({i for i in picks if 0 <= i < len(proposals)})
    if not chosen:
        return _page(ws, request, status=400, errors=[t("web.extract.nothing_chosen", lang)], doc=doc,
                     proposals=proposals, form=fields, checked=set())
    try:
        res = await run_in_threadpool(
            core.accept_proposals, ws, doc, [proposals[i] for i in chosen], actor=user.username
        )
    except ValidationError as exc:
        errors = [p.render(lang) for p in exc.problems]
        return _page(ws, request, status=400, errors=errors, doc=doc, proposals=proposals, form=fields,
                     checked=set(chosen))
    v, tg = res.values, res.targets
    query = (
        f"done=1&values={v.inserted + v.updated + v.unchanged}"
        f"&targets={tg.inserted + tg.updated + tg.unchanged}&source={res.source}"
    )
    return RedirectResponse(f"/extract?{query}", status_code=303)
