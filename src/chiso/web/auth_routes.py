"""Logging in and out: the login page, the JSON session API, and the "not logged in" answers.

- ``GET/POST /login``, ``POST /logout`` for browsers; ``GET/POST/DELETE /api/v1/session`` for scripts.
- Login attempts are rate-limited per client address and per user name (429 with Retry-After) before the
  password is checked; ``UserBook.verify`` adds a lockout after repeated failures.
- The login form carries its own CSRF token (a cookie matched by a hidden field): without it another site
  could log a victim in under the attacker's account ("login CSRF"). The JSON login needs a JSON body,
  which a cross-site HTML form cannot send.
- A new session is started at every login (and the old one ended), so a planted cookie is worthless.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from chiso.app import Workspace
from chiso.auth import User
from chiso.errors import PermissionDenied
from chiso.store.users import SESSION_TTL, UserRecord
from chiso.web.problems import ApiProblem, problem_response
from chiso.web.ratelimit import LoginLimiter
from chiso.web.session import (
    COOKIE,
    NotLoggedIn,
    check_csrf,
    current_user,
    load_user,
    require_user,
    set_session_cookie,
)
from chiso.web.templating import lang_of, render, tr
from chiso.workflow import to_user

LOGIN_COOKIE = "chiso_login"  # the login form's own CSRF token, before there is a session
ROLE_NAMES = {
    "admin": ("Quản trị", "Administrator"),
    "reviewer": ("Người duyệt", "Reviewer"),
    "reporter": ("Người báo cáo", "Reporter"),
    "viewer": ("Người xem", "Viewer"),
}


# --- shared by the other modules ------------------------------------------------------------------
def install_handlers(app: FastAPI) -> None:
    """``NotLoggedIn`` → 401 problem under /api/, a redirect to /login for pages. Idempotent."""
    if NotLoggedIn in app.exception_handlers:
        return

    async def on_not_logged_in(request: Request, _exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return problem_response(401, "not-logged-in",
                                    "session: not logged in, or the session expired; log in with "
                                    "POST /api/v1/session", title="Not authenticated")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        resp = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        if request.cookies.get(COOKIE):
            resp.delete_cookie(COOKIE, path="/")  # expired or ended: drop it
        return resp

    app.add_exception_handler(NotLoggedIn, on_not_logged_in)


def limiter_of(request: Request) -> LoginLimiter:
    lim = getattr(request.app.state, "login_limiter", None)
    if lim is None:
        lim = request.app.state.login_limiter = LoginLimiter()
    assert isinstance(lim, LoginLimiter)
    return lim


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


def _why(lang: str, why: str) -> tuple[int, str]:
    if why == "locked":
        return 403, tr(lang, "Tài khoản tạm thời bị khóa vì đăng nhập sai nhiều lần; hãy thử lại sau 15 phút.",
                       "The account is locked for a while after repeated failed logins; try again in 15 minutes.")
    if why == "inactive":
        return 403, tr(lang, "Tài khoản đã bị vô hiệu hóa; hãy liên hệ quản trị.",
                       "The account is deactivated; ask an administrator.")
    # an unknown name and a wrong password read the same: no hint which names exist
    return 401, tr(lang, "Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong user name or password.")


def _too_many(lang: str, wait: int) -> str:
    return tr(lang, f"Đăng nhập quá nhiều lần; hãy thử lại sau {wait} giây.",
              f"Too many login attempts; try again in {wait} seconds.")


def _start(ws: Workspace, request: Request, rec: UserRecord) -> tuple[str, str]:
    old = request.cookies.get(COOKIE)
    if old:
        ws.store.users.end_session(old)
    return ws.store.users.start_session(rec.id)


# --- pages ------------------------------------------------------------------------------------------
def _login_page(request: Request, *, status: int = 200, error: str | None = None, username: str = "",
                next_: str | None = None, headers: dict[str, str] | None = None) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    resp = render(request, "login.html", {"error": error, "username": username, "login_csrf": token,
                                          "next": safe_next(next_ or request.query_params.get("next"))},
                  status_code=status)
    resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                    path="/login", max_age=3600)
    resp.headers["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def pages_router(ws: Workspace) -> APIRouter:
    r = APIRouter(tags=["pages"], include_in_schema=False)

    @r.get("/login")
    def login_form(request: Request, user: Annotated[User | None, Depends(current_user)]) -> Response:
        return _login_page(request)

    @r.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        lang = lang_of(request)
        username = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        next_ = str(form.get("next") or "")
        cookie, supplied = request.cookies.get(LOGIN_COOKIE), str(form.get("csrf") or "")
        if not cookie or not supplied or not secrets.compare_digest(cookie, supplied):
            return _login_page(request, status=403, username=username, next_=next_, error=tr(
                lang, "Biểu mẫu đăng nhập đã hết hạn; hãy thử lại.", "The login form expired; please try again."))
        if not username or not password:
            return _login_page(request, status=400, username=username, next_=next_, error=tr(
                lang, "Hãy nhập tên đăng nhập và mật khẩu.", "Enter your user name and password."))
        wait = limiter_of(request).attempt(client_address(request), username)
        if wait:
            return _login_page(request, status=429, username=username, next_=next_, error=_too_many(lang, wait),
                               headers={"Retry-After": str(wait)})
        rec, why = await run_in_threadpool(ws.store.users.verify, username, password)
        if rec is None:
            status, msg = _why(lang, why)
            return _login_page(request, status=status, username=username, next_=next_, error=msg)
        token, _csrf = await run_in_threadpool(_start, ws, request, rec)
        resp = RedirectResponse(safe_next(next_), status_code=303)
        set_session_cookie(request, resp, token)
        resp.delete_cookie(LOGIN_COOKIE, path="/login")
        return resp

    @r.post("/logout")
    async def logout(request: Request) -> Response:
        form = await request.form()
        user = await run_in_threadpool(load_user, request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        try:
            check_csrf(request, str(form.get("csrf") or ""))
        except PermissionDenied:
            lang = lang_of(request)
            return _login_page(request, status=403, error=tr(
                lang, "Yêu cầu đăng xuất không hợp lệ (thiếu mã CSRF); hãy tải lại trang rồi thử lại.",
                "Invalid logout request (missing CSRF token); reload the page and try again."))
        token = request.cookies.get(COOKIE)
        if token:
            await run_in_threadpool(ws.store.users.end_session, token)
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    return r


# --- JSON -------------------------------------------------------------------------------------------
class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


def api_router(ws: Workspace) -> APIRouter:
    r = APIRouter(prefix="/api/v1/session", tags=["session"])

    @r.get("")
    def who(request: Request, user: Annotated[User, Depends(require_user)]) -> dict[str, Any]:
        """The logged-in user and the session's CSRF token (send it as ``X-CSRF-Token`` on every change)."""
        return {"user": user_json(user), "csrf": request.state.csrf}

    @r.post("", responses={401: {}, 403: {}, 429: {}})
    def login(body: LoginIn, request: Request) -> JSONResponse:
        """Log in: sets the session cookie and answers the CSRF token."""
        wait = limiter_of(request).attempt(client_address(request), body.username)
        if wait:
            raise ApiProblem(429, "too-many-attempts", f"username: too many login attempts; retry in {wait} s",
                             title="Too many requests", headers={"Retry-After": str(wait)})
        rec, why = ws.store.users.verify(body.username.strip(), body.password)
        if rec is None:
            status, _ = _why("en", why)
            slug = {"locked": "account-locked", "inactive": "account-inactive"}.get(why, "wrong-credentials")
            raise ApiProblem(status, slug, "password: " + _why("en", why)[1])
        token, csrf = _start(ws, request, rec)
        resp = JSONResponse({"user": user_json(to_user(rec)), "csrf": csrf,
                             "expires_in": int(SESSION_TTL.total_seconds())})
        set_session_cookie(request, resp, token)
        return resp

    @r.delete("", status_code=204)
    def logout(request: Request, user: Annotated[User, Depends(require_user)],
               x_csrf_token: Annotated[str | None, Header()] = None) -> Response:
        """Log out (ends the session on the server)."""
        try:
            check_csrf(request, x_csrf_token)
        except PermissionDenied as exc:
            raise ApiProblem(403, "csrf", f"X-CSRF-Token: {exc}") from exc
        token = request.cookies.get(COOKIE)
        if token:
            ws.store.users.end_session(token)
        resp = Response(status_code=204)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    return r


def register(app: FastAPI, ws: Workspace) -> None:
    install_handlers(app)
    app.include_router(pages_router(ws))
    app.include_router(api_router(ws))
