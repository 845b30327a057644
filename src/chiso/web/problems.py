"""Errors as RFC 9457 problem details (``application/problem+json``): one table from chiso's errors to an HTTP
status and a problem type, installed once for the whole app.

Handlers raise chiso's errors (``chiso.errors``) and let them go: ``ERRORS`` gives each class its status and
type (a subclass takes its nearest listed base's), ``HttpProblem`` carries its own, and ``ParameterError``
names the field at fault with the status and type of its cause (404 for a name in the path). An HTML page
answers with its own friendly page instead: a router marks its routes with ``page_errors(render)``; without
that mark an error is a problem document, under ``/api/`` or not. ``NotAuthenticated`` sends a page to the
login form. ``responses(...)`` declares an operation's problem answers in the OpenAPI description.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from chiso.errors import (
    ChisoError,
    ConflictError,
    DefinitionError,
    HttpProblem,
    ImportFileError,
    IndexScoreError,
    NotAuthenticated,
    NumberError,
    ParameterError,
    PermissionDenied,
    RenderError,
    StructureError,
    UnknownIndexError,
    UnknownIndicatorError,
    UnknownNameError,
    UnknownNotificationError,
    UnknownPeriodError,
    UnknownStructureError,
    UnknownSubscriptionError,
    UnknownUnitError,
    UnknownWarningError,
    ValidationError,
    WorkspaceError,
)
from chiso.web.session import COOKIE
from chiso.web.templating import lang_of

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:chiso:problem:"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}

# The one table: chiso's error → (status, problem type). Names given in the query are 422; the same names in
# the path are 404 (``ParameterError(..., in_path=True)``): no such resource.
ERRORS: dict[type[ChisoError], tuple[int, str]] = {
    UnknownIndicatorError: (422, "unknown-indicator"),
    UnknownIndexError: (422, "unknown-index"),
    IndexScoreError: (422, "index-not-scored"),
    UnknownUnitError: (422, "unknown-unit"),
    UnknownWarningError: (404, "unknown-warning"),
    UnknownSubscriptionError: (404, "unknown-subscription"),
    UnknownNotificationError: (404, "unknown-notification"),
    UnknownPeriodError: (422, "unknown-period"),
    UnknownStructureError: (400, "invalid-structure"),
    UnknownNameError: (422, "unknown-name"),
    StructureError: (400, "not-in-structure"),
    ValidationError: (422, "invalid-values"),
    NumberError: (422, "not-a-number"),
    ImportFileError: (400, "invalid-file"),
    DefinitionError: (422, "invalid-definition"),
    PermissionDenied: (403, "forbidden"),
    ConflictError: (409, "conflict"),
    NotAuthenticated: (401, "not-logged-in"),
    WorkspaceError: (503, "unavailable"),
    RenderError: (500, "render-failed"),
    ChisoError: (400, "bad-request"),
}


class Problem(BaseModel):
    """RFC 9457 problem details, with the field at fault and the nearest valid names."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    value: str | None = None
    suggestions: list[str] = []


PROBLEM_SCHEMA = Problem.model_json_schema()


def responses(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """The problem answers of an operation, for its ``responses=``: ``responses(401, 404, s422="why")`` (a
    status alone is described by its title). Only ``application/problem+json``, with the problem's schema."""
    out: dict[int | str, dict[str, Any]] = {}
    wanted = {**{s: TITLES.get(s, "Error") for s in statuses},
              **{int(k.lstrip("s")): v for k, v in described.items()}}
    for status, text in sorted(wanted.items()):
        out[status] = {"description": text, "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}}
    return out


def problem_response(status: int, slug: str, detail: str, *, title: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title or TITLES.get(status, "Error"),
                            "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of(exc: ChisoError) -> tuple[int, str]:
    """The status and problem type of ``exc`` (the table's, or its own for ``HttpProblem``/``ParameterError``)."""
    if isinstance(exc, HttpProblem):
        return exc.status, exc.slug
    if isinstance(exc, ParameterError):
        status, slug = status_of(exc.exc)
        if exc.status is not None:
            status = exc.status
        elif exc.in_path and isinstance(exc.exc, UnknownNameError) and status == 422:
            status = 404
        return status, slug
    for cls in type(exc).__mro__:
        if cls in ERRORS:
            return ERRORS[cls]
    return ERRORS[ChisoError]


def error_response(exc: ChisoError, lang: str | None = None) -> JSONResponse:
    """``exc`` as a problem document, its text in ``lang``."""
    status, slug = status_of(exc)
    if isinstance(exc, HttpProblem):
        return problem_response(status, slug, exc.detail, title=exc.title, headers=exc.headers, **exc.extra)
    if isinstance(exc, ParameterError):
        cause = exc.exc
        extra: dict[str, Any] = {"field": exc.field}
        if isinstance(cause, UnknownNameError):
            extra.update(value=cause.name, suggestions=cause.suggestions)
        return problem_response(status, slug, f"{exc.field}: {cause.render(lang)}", **extra)
    if isinstance(exc, ValidationError):
        errors = [{"field": p.field, "row": p.row, "reason": p.render(lang)} for p in exc.problems]
        return problem_response(status, slug, exc.render(lang), errors=errors)
    return problem_response(status, slug, exc.render(lang))


# --- HTML pages: their own error pages ---------------------------------------------------------------------

PageErrors = Callable[[Request, ChisoError, int], Response]


def page_errors(render: PageErrors) -> Callable[[Request], None]:
    """A dependency for a router (or a route) of HTML pages: its errors are answered by ``render(request, exc,
    status)`` (status from the table), not as problem documents."""

    def mark(request: Request) -> None:
        request.state.page_errors = render

    return mark


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    resp = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if request.cookies.get(COOKIE):
        resp.delete_cookie(COOKIE, path="/")  # expired or ended: drop it
    return resp


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("query", "unit") -> "unit"; the place (path, query, body) is noise to the caller
    parts = [str(x) for x in loc if x not in ("query", "path", "body", "header")]
    return ".".join(parts) or "request"


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` saying what the app answers: a malformed request is a 400 problem (``on_validation``), not
    FastAPI's 422 ``HTTPValidationError``, on every operation with parameters or a body."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = FastAPI.openapi(app)
        invalid = responses(s400="Invalid request: a parameter or the body is malformed or missing")[400]
        for ops in spec.get("paths", {}).values():
            for op in ops.values():
                answers = op.get("responses", {})
                default = answers.get("422", {}).get("content", {}).get("application/json", {})
                if default.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                    del answers["422"]
                if op.get("parameters") or op.get("requestBody"):
                    answers.setdefault("400", invalid)
        schemas = spec.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)  # FastAPI's, for the 422 above: nothing refers to them now
        app.openapi_schema = spec
        return spec

    return openapi


def install(app: FastAPI) -> None:
    """Make every error of ``app`` a problem document (or a page's own error page): chiso's, FastAPI's
    validation, and plain HTTP ones; and say so in its OpenAPI description."""

    async def on_chiso(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ChisoError)
        api = request.url.path.startswith("/api/")
        if isinstance(exc, NotAuthenticated) and not api:
            return _login_redirect(request)
        render: PageErrors | None = getattr(request.state, "page_errors", None)
        if render is not None and not api:
            return render(request, exc, status_of(exc)[0])
        return error_response(exc, lang_of(request))

    async def on_validation(_req: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"field": _field(e.get("loc", ())), "reason": str(e.get("msg", ""))} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5]) or "invalid request"
        return problem_response(400, "invalid-request", detail, errors=errors)

    async def on_http(req: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = {404: f"{req.url.path}: no such resource",
                  405: f"{req.url.path}: {req.method} is not allowed here"}.get(exc.status_code, str(exc.detail))
        return problem_response(exc.status_code, slug, detail,
                                headers=dict(exc.headers) if exc.headers else None)

    app.openapi = _openapi(app)  # type: ignore[method-assign]
    app.add_exception_handler(ChisoError, on_chiso)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
