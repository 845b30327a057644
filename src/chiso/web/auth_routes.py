"""Logging in and out: the login page (``pages_router``) and the JSON session API (``api_router``).

- ``GET/POST /login``, ``POST /logout`` for browsers; ``GET/POST/DELETE /api/v1/session`` for scripts.
- Login attempts are rate-limited per client address and per user name (429 with Retry-After) before the
  password is checked; ``UserBook.verify`` adds a lockout after repeated failures. Every refusal (unknown
  name, wrong password, locked or deactivated account) is the same answer in about the same time.
- The login form carries its own CSRF token (a cookie matched by a hidden field): without it another site
  could log a victim in under the attacker's account ("login CSRF"). The JSON login needs a JSON body,
  which a cross-site HTML form cannot send.
- A new session is started at every login (and the old one ended), so a planted cookie is worthless.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from chiso.app import Workspace
from chiso.auth import Role, User, user_of
from chiso.errors import HttpProblem, PermissionDenied
from chiso.i18n import t
from chiso.store.users import SESSION_TTL, UserRecord
from chiso.web.contexts import Context
from chiso.web.deps import WorkspaceDep
from chiso.web.problems import responses
from chiso.web.ratelimit import LoginLimiter, StoreLoginLimiter
from chiso.web.session import (
    COOKIE,
    CheckCsrf,
    CurrentUser,
    RequiredUser,
    check_csrf,
    load_user,
    set_session_cookie,
)
from chiso.web.templating import lang_of, render

log = logging.getLogger(__name__)
LOGIN_COOKIE = "chiso_login"  # the login form's own CSRF token, before there is a session


def role_label(role: str, lang: str) -> str:
    """A role's name in ``lang`` (the role itself when unknown)."""
    return t(f"role.{role}", lang) if role in {r.value for r in Role} else role


def limiter(request: Request) -> LoginLimiter | StoreLoginLimiter:
    """Dependency: the app's login limiter (made on first use, so every app, and test, has its own; in the store
    when the workspace's web nodes share their limits)."""
    lim = getattr(request.app.state, "login_limiter", None)
    if lim is None:
        ws = request.app.state.workspace
        lim = StoreLoginLimiter(ws.store.users) if ws.shared_login_limits else LoginLimiter()
        request.app.state.login_limiter = lim
    assert isinstance(lim, LoginLimiter | StoreLoginLimiter)
    return lim


Limiter = Annotated[LoginLimiter | StoreLoginLimiter, Depends(limiter)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "name": user.name, "role": str(user.role),
            "unit": user.unit}


def safe_next(target: str | None) -> str:
    """Only a path on this site: never ``//evil.example`` or a full URL (an open redirect)."""
    t = (target or "").strip()
    if not t.startswith("/") or t.startswith("//") or t.startswith("/\\") or any(c in t for c in "\r\n"):
        return "/forms"
    return t


def refusal(why: str) -> tuple[int, str, str]:
    """A failed login's status, problem type and message id: the same whatever ``why`` (an unknown name, a
    wrong password, a locked or a deactivated account), so no answer tells which names exist."""
    log.info("login refused: %s", why)
    return 401, "wrong-credentials", "web.login.refused"


def _start(ws: Workspace, request: Request, rec: UserRecord) -> tuple[str, str]:
    old = request.cookies.get(COOKIE)
    if old:
        ws.store.users.end_session(old)
    return ws.store.users.start_session(rec.id)


# --- pages ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginContext(Context):
    """What login.html shows (beside the base layout's ``user``)."""

    error: str | None
    username: str
    login_csrf: str  # the login form's own CSRF token
    next: str  # where to go after logging in


def login_context(request: Request, token: str, *, error: str | None = None, username: str = "",
                  next_: str | None = None) -> LoginContext:
    return LoginContext(error=error, username=username, login_csrf=token,
                        next=safe_next(next_ or request.query_params.get("next")))


def login_page(request: Request, *, status: int = 200, error: str | None = None, username: str = "",
               next_: str | None = None, headers: dict[str, str] | None = None) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    ctx = login_context(request, token, error=error, username=username, next_=next_)
    resp = render(request, "login.html", ctx.as_dict(), status_code=status)
    resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                    path="/login", max_age=3600)
    resp.headers["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


pages_router = APIRouter(tags=["pages"], include_in_schema=False)


@pages_router.get("/login")
def login_form(request: Request, user: CurrentUser) -> Response:
    return login_page(request)


@pages_router.post("/login")
async def login(request: Request, ws: WorkspaceDep, lim: Limiter) -> Response:
    form = await request.form()
    lang = lang_of(request)
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    next_ = str(form.get("next") or "")
    cookie, supplied = request.cookies.get(LOGIN_COOKIE), str(form.get("csrf") or "")
    if not cookie or not supplied or not secrets.compare_digest(cookie, supplied):
        return login_page(request, status=403, username=username, next_=next_,
                          error=t("login.expired_form", lang))
    if not username or not password:
        return login_page(request, status=400, username=username, next_=next_, error=t("login.missing", lang))
    wait = lim.attempt(client_address(request), username)
    if wait:
        return login_page(request, status=429, username=username, next_=next_,
                          error=t("login.too_many", lang, wait=wait), headers={"Retry-After": str(wait)})
    rec, why = await run_in_threadpool(ws.store.users.verify, username, password)
    if rec is None:
        status, _, msg = refusal(why)
        return login_page(request, status=status, username=username, next_=next_, error=t(msg, lang))
    token, _csrf = await run_in_threadpool(_start, ws, request, rec)
    resp = RedirectResponse(safe_next(next_), status_code=303)
    set_session_cookie(request, resp, token)
    resp.delete_cookie(LOGIN_COOKIE, path="/login")
    return resp


@pages_router.post("/logout")
async def logout(request: Request, ws: WorkspaceDep) -> Response:
    form = await request.form()
    user = await run_in_threadpool(load_user, request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    try:
        check_csrf(request, str(form.get("csrf") or ""))
    except PermissionDenied:
        return login_page(request, status=403, error=t("logout.csrf", lang_of(request)))
    token = request.cookies.get(COOKIE)
    if token:
        await run_in_threadpool(ws.store.users.end_session, token)
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


# --- JSON -------------------------------------------------------------------------------------------
class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


api_router = APIRouter(prefix="/api/v1/session", tags=["session"])


@api_router.get("", responses=responses(401))
def who(request: Request, user: RequiredUser) -> dict[str, Any]:
    """The logged-in user and the session's CSRF token (send it as ``X-CSRF-Token`` on every change)."""
    return {"user": user_json(user), "csrf": request.state.csrf}


@api_router.post("", responses=responses(400, 401, 403, 429))
def log_in(body: LoginIn, request: Request, ws: WorkspaceDep, lim: Limiter) -> JSONResponse:
    """Log in: sets the session cookie and answers the CSRF token."""
    wait = lim.attempt(client_address(request), body.username)
    if wait:
        raise HttpProblem(429, "too-many-attempts", f"username: too many login attempts; retry in {wait} s",
                          title="Too many requests", headers={"Retry-After": str(wait)})
    rec, why = ws.store.users.verify(body.username.strip(), body.password)
    if rec is None:
        status, slug, msg = refusal(why)
        raise HttpProblem(status, slug, "password: " + t(msg, "en"))
    token, csrf = _start(ws, request, rec)
    resp = JSONResponse({"user": user_json(user_of(rec)), "csrf": csrf,
                         "expires_in": int(SESSION_TTL.total_seconds())})
    set_session_cookie(request, resp, token)
    return resp


@api_router.delete("", status_code=204, responses=responses(401, 403), dependencies=[CheckCsrf])
def log_out(request: Request, ws: WorkspaceDep) -> Response:
    """Log out (ends the session on the server)."""
    token = request.cookies.get(COOKIE)
    if token:
        ws.store.users.end_session(token)
    resp = Response(status_code=204)
    resp.delete_cookie(COOKIE, path="/")
    return resp
