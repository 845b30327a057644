"""Who is asking: the session cookie, the CSRF token, and the FastAPI dependencies pages and APIs use.

Sessions are server-side (only a hash of the token is stored); the cookie is HttpOnly, SameSite=Lax,
and Secure when the request came over HTTPS. Every state-changing request from a browser session must
carry the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import secrets

from fastapi import Request

from chiso.app import Workspace
from chiso.auth import User
from chiso.errors import PermissionDenied
from chiso.workflow import to_user

COOKIE = "chiso_session"


def workspace_of(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def load_user(request: Request) -> User | None:
    """Sets ``request.state.user`` and ``request.state.csrf`` from the session cookie (None when absent)."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    request.state.user, request.state.csrf = None, ""
    token = request.cookies.get(COOKIE)
    if token:
        ws = workspace_of(request)
        sess = ws.store.users.session(token)
        if sess is not None:
            rec = ws.store.users.by_id(sess.user_id)
            if rec is not None and rec.active:
                request.state.user, request.state.csrf = to_user(rec), sess.csrf
    return request.state.user  # type: ignore[no-any-return]


def current_user(request: Request) -> User | None:
    """Dependency: the logged-in user, or None for the public."""
    return load_user(request)


def require_user(request: Request) -> User:
    """Dependency: the logged-in user; 401 (a problem detail, or a redirect to /login for pages) otherwise."""
    user = load_user(request)
    if user is None:
        raise NotLoggedIn()
    return user


def check_csrf(request: Request, supplied: str | None) -> None:
    """Refuse a state-changing request whose CSRF token does not match the session's."""
    load_user(request)
    expected = getattr(request.state, "csrf", "")
    if not expected or not supplied or not secrets.compare_digest(expected, supplied):
        raise PermissionDenied("missing or wrong CSRF token: reload the page and try again")


def set_session_cookie(request: Request, response: object, token: str) -> None:
    from starlette.responses import Response

    assert isinstance(response, Response)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=8 * 3600, path="/")


class NotLoggedIn(Exception):
    """Raised by ``require_user``; the app turns it into 401 for APIs and a redirect to /login for pages."""
