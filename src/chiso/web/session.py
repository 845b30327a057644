"""Who is asking: the session cookie, the CSRF token, and the FastAPI dependencies pages and APIs use.

Sessions are server-side (only a hash of the token is stored); the cookie is HttpOnly, SameSite=Lax,
and Secure when the request came over HTTPS. Every state-changing request from a browser session must
carry the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``).

``require_user`` raises ``NotAuthenticated``: the API answers it with a 401 problem, a page with a redirect to
the login page (``chiso.web.problems``).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Form, Header, Request
from fastapi.responses import Response

from chiso.auth import User, user_of
from chiso.errors import HttpProblem, NotAuthenticated, PermissionDenied
from chiso.web.deps import workspace

COOKIE = "chiso_session"


def load_user(request: Request) -> User | None:
    """Sets ``request.state.user`` and ``request.state.csrf`` from the session cookie (None when absent)."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    request.state.user, request.state.csrf = None, ""
    token = request.cookies.get(COOKIE)
    if token:
        ws = workspace(request)
        sess = ws.store.users.session(token)
        if sess is not None:
            rec = ws.store.users.by_id(sess.user_id)
            if rec is not None and rec.active:
                request.state.user, request.state.csrf = user_of(rec), sess.csrf
    return request.state.user  # type: ignore[no-any-return]


def current_user(request: Request) -> User | None:
    """Dependency: the logged-in user, or None for the public."""
    return load_user(request)


def require_user(request: Request) -> User:
    """Dependency: the logged-in user; ``NotAuthenticated`` otherwise."""
    user = load_user(request)
    if user is None:
        raise NotAuthenticated()
    return user


def check_csrf(request: Request, supplied: str | None) -> None:
    """Refuse a state-changing request whose CSRF token does not match the session's."""
    load_user(request)
    expected = getattr(request.state, "csrf", "")
    if not expected or not supplied or not secrets.compare_digest(expected, supplied):
        raise PermissionDenied("missing or wrong CSRF token: reload the page and try again")


def csrf_header(request: Request, user: Annotated[User, Depends(require_user)], x_csrf_token: Annotated[
        str | None, Header(alias="X-CSRF-Token", description="the session's CSRF token")] = None) -> None:
    """Dependency of the JSON API's changes: a logged-in user (``user``: so 401 comes before 403) whose
    ``X-CSRF-Token`` header is the session's token (a 403 problem of type ``csrf`` otherwise)."""
    try:
        check_csrf(request, x_csrf_token)
    except PermissionDenied as exc:
        raise HttpProblem(403, "csrf", f"X-CSRF-Token: {exc}") from exc


CurrentUser = Annotated[User | None, Depends(current_user)]
RequiredUser = Annotated[User, Depends(require_user)]
def csrf_field(request: Request, user: Annotated[User, Depends(require_user)],
               csrf: Annotated[str, Form(max_length=200)] = "") -> None:
    """Dependency of a page's form post: a logged-in user (so the login page comes before 403) whose form's ``csrf``
    field is the session's token."""
    check_csrf(request, csrf)


CheckCsrf = Depends(csrf_header)  # for ``dependencies=[CheckCsrf]``: the check has no value to pass on
CheckFormCsrf = Depends(csrf_field)  # the same for a page's form post


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=8 * 3600, path="/")
