"""Logging in and out: argon2 hashes, session cookies and their flags, CSRF, lockout, rate limits,
expired and ended sessions, the JSON session API, and the first admin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Protocol

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update

from chiso import app as core
from chiso.errors import ChisoError
from chiso.store import schema as s
from chiso.store.clock import now
from chiso.web import create_app
from chiso.web.bootstrap import ensure_admin
from chiso.web.ratelimit import LoginLimiter
from chiso.web.session import COOKIE
from web_support import Client, MakeClient

PW = "mật-khẩu-đủ-dài"


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, cheap_hashes: None) -> Iterator[core.Workspace]:
    d = tmp_path_factory.mktemp("auth")
    w = core.init_workspace(d / "ws", f"sqlite:///{d / 'store.sqlite'}")
    for name, role, unit in (("dn", "reporter", "P48"), ("locky", "reporter", "P48"), ("gone", "viewer", "P48"),
                             ("rev", "reviewer", "VN")):
        w.store.users.create(name, f"Người dùng {name}", PW, role, unit)
    yield w
    w.close()


class ClientFrom(Protocol):
    def __call__(self, address: str = "10.0.0.1") -> Client: ...


@pytest.fixture
def client(ws: core.Workspace, make_client: MakeClient) -> ClientFrom:
    """Clients of one new app per test (the rate limiter lives in the app, so tests do not share counts), each
    from its client ``address`` (the per-address limit counts by it)."""
    app = create_app(ws)

    def make(address: str = "10.0.0.1") -> Client:
        return make_client(ws, app=app, address=address, follow_redirects=False)

    return make


def login(c: TestClient, username: str, password: str = PW, next_: str = "/forms") -> Response:
    page = c.get("/login")
    assert page.status_code == 200
    m = re.search(r'action="/login"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"', page.text)
    assert m is not None
    r: Response = c.post("/login", data={"username": username, "password": password, "csrf": m[1], "next": next_})
    return r


def csrf_of(c: TestClient) -> str:
    r = c.get("/api/v1/session")
    assert r.status_code == 200, r.text
    return str(r.json()["csrf"])


# --- logging in ---------------------------------------------------------------------------------------------
def test_login_sets_a_safe_session_cookie(client: ClientFrom, ws: core.Workspace) -> None:
    c = client()
    r = login(c, "dn")
    assert r.status_code == 303 and r.headers["location"] == "/forms"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in this test
    assert c.get("/forms").status_code == 200
    assert c.get("/api/v1/session").json()["user"] == {"id": 1, "username": "dn", "name": "Người dùng dn",
                                                        "role": "reporter", "unit": "P48"}
    https = client()
    https.base_url = "https://testserver"
    r = login(https, "dn")
    assert r.status_code == 303
    assert "Secure" in next(h for h in r.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))


def test_passwords_are_argon2id_hashes(ws: core.Workspace) -> None:
    with ws.store.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(select(s.app_user.c.password_hash))]
    assert hashes and all(h.startswith("$argon2id$") and PW not in h for h in hashes)


def test_wrong_password_and_unknown_user_read_the_same(client: ClientFrom) -> None:
    c = client()
    wrong = login(c, "rev", "not-the-password")
    unknown = login(c, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    message = "tên đăng nhập hoặc mật khẩu không đúng"
    assert message in wrong.text and message in unknown.text
    assert COOKIE not in c.cookies
    assert c.get("/forms").status_code == 303


def test_login_form_needs_its_csrf_token(client: ClientFrom) -> None:
    c = client()
    r = c.post("/login", data={"username": "dn", "password": PW, "next": "/forms"})
    assert r.status_code == 403 and COOKIE not in c.cookies
    c.get("/login")
    r = c.post("/login", data={"username": "dn", "password": PW, "csrf": "forged"})
    assert r.status_code == 403 and COOKIE not in c.cookies


def test_login_redirects_only_within_the_site(client: ClientFrom) -> None:
    for target, expected in (("/forms/province_monthly/P48/2024-04", "/forms/province_monthly/P48/2024-04"),
                             ("//evil.example/x", "/forms"), ("https://evil.example/", "/forms"),
                             ("/\\evil.example", "/forms")):
        r = login(client(), "dn", next_=target)
        assert r.status_code == 303 and r.headers["location"] == expected


def test_new_login_ends_the_previous_session(client: ClientFrom, ws: core.Workspace) -> None:
    c = client()
    login(c, "dn")
    old = c.cookies[COOKIE]
    login(c, "dn")
    assert c.cookies[COOKIE] != old and ws.store.users.session(old) is None


# --- lockout and rate limits ----------------------------------------------------------------------------------
def test_locked_account(client: ClientFrom, ws: core.Workspace) -> None:
    c = client("10.0.0.7")
    for _ in range(4):
        assert login(c, "locky", "wrong-password").status_code == 401
    r = login(c, "locky", "wrong-password")  # the fifth failure locks the account
    assert r.status_code == 401 and "tạm khóa" in r.text  # the same answer as any refusal
    r = login(c, "locky")  # even the right password, while locked
    assert r.status_code == 401 and COOKIE not in c.cookies
    r = client("10.0.0.8").post("/api/v1/session", json={"username": "locky", "password": PW})
    assert r.status_code == 401 and r.json()["type"].endswith(":wrong-credentials")
    with ws.store.engine.begin() as conn:  # the lock lapses after its time
        conn.execute(update(s.app_user).where(s.app_user.c.username == "locky")
                     .values(locked_until=now() - timedelta(seconds=1)))
    assert login(client("10.0.0.9"), "locky").status_code == 303


def test_deactivated_user_cannot_log_in_and_loses_sessions(client: ClientFrom, ws: core.Workspace) -> None:
    c = client()
    assert login(c, "gone").status_code == 303
    rec = ws.store.users.by_username("gone")
    assert rec is not None
    ws.store.users.set_active(rec.id, False)
    try:
        assert c.get("/forms").status_code == 303  # the session no longer works
        r = login(client("10.0.0.2"), "gone")
        assert r.status_code == 401 and "vô hiệu hóa" in r.text and COOKIE not in r.cookies
    finally:
        ws.store.users.set_active(rec.id, True)


def test_rate_limit_per_address(client: ClientFrom) -> None:
    c = client("10.1.1.1")
    for i in range(10):
        assert login(c, f"guess{i}", "x").status_code == 401
    r = login(c, "dn")  # the right password too: the address is over its limit
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert "Đăng nhập quá nhiều lần" in r.text and COOKIE not in c.cookies
    r = c.post("/api/v1/session", json={"username": "dn", "password": PW})
    assert r.status_code == 429 and r.headers["Retry-After"] and r.json()["type"].endswith(":too-many-attempts")
    assert login(client("10.1.1.2"), "dn").status_code == 303  # another address is not affected


def test_rate_limit_per_user_name(client: ClientFrom) -> None:
    for i in range(10):  # ten addresses, one name
        assert login(client(f"10.2.0.{i}"), "ghost", "x").status_code == 401
    r = login(client("10.2.1.1"), "ghost", "x")
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert login(client("10.2.1.1"), "dn").status_code == 303


def test_rate_limit_window_slides() -> None:
    t = [1000.0]
    lim = LoginLimiter(per_address=2, per_username=3, window=60, clock=lambda: t[0])
    assert lim.attempt("a", "x") == 0 and lim.attempt("a", "y") == 0
    assert lim.attempt("a", "z") == 60  # address a is full
    t[0] += 30
    assert lim.attempt("a", "z") == 30
    assert lim.attempt("b", "X ") == 0  # names compare trimmed and case-folded
    assert lim.attempt("c", "x") == 0
    assert lim.attempt("d", "x") == 30  # name x is full (a at 1000, b and c at 1030)
    t[0] += 30.5
    assert lim.attempt("a", "z") == 0  # a's first two attempts left the window


# --- logging out, expired sessions ----------------------------------------------------------------------------
def test_logout_needs_csrf_and_ends_the_session(client: ClientFrom, ws: core.Workspace) -> None:
    c = client()
    login(c, "dn")
    token = c.cookies[COOKIE]
    r = c.post("/logout", data={})
    assert r.status_code == 403 and ws.store.users.session(token) is not None
    r = c.post("/logout", data={"csrf": "wrong"})
    assert r.status_code == 403 and ws.store.users.session(token) is not None
    r = c.post("/logout", data={"csrf": csrf_of(c)})
    assert r.status_code == 303 and ws.store.users.session(token) is None
    stale = client()
    stale.cookies.set(COOKIE, token)  # the old cookie, replayed
    r = stale.get("/forms")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert stale.get("/api/v1/forms").status_code == 401


def test_expired_session_goes_to_login(client: ClientFrom, ws: core.Workspace) -> None:
    c = client()
    login(c, "dn")
    assert c.get("/forms").status_code == 200
    with ws.store.engine.begin() as conn:
        conn.execute(update(s.web_session).values(expires_at=now() - timedelta(seconds=1)))
    r = c.get("/forms/province_monthly/P48/2024-04")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fforms%2Fprovince_monthly%2FP48%2F2024-04"
    assert any(h.startswith(f'{COOKIE}=""') for h in r.headers.get_list("set-cookie"))  # the dead cookie is dropped
    r = c.get("/api/v1/forms/province_monthly/P48/2024-04")
    assert r.status_code == 401 and r.json()["type"].endswith(":not-logged-in")


# --- the JSON session API ----------------------------------------------------------------------------------------
def test_api_session(client: ClientFrom, ws: core.Workspace) -> None:
    c = client()
    assert c.get("/api/v1/session").status_code == 401
    r = c.post("/api/v1/session", json={"username": "rev", "password": "wrong-password"})
    assert r.status_code == 401 and r.json()["detail"].startswith("password:")
    r = c.post("/api/v1/session", data={"username": "rev", "password": PW})  # a form post is not JSON
    assert r.status_code == 400 and COOKIE not in c.cookies
    r = c.post("/api/v1/session", json={"username": "rev", "password": PW})
    assert r.status_code == 200 and r.json()["user"]["role"] == "reviewer"
    csrf = r.json()["csrf"]
    assert c.get("/api/v1/session").json()["csrf"] == csrf
    assert c.delete("/api/v1/session").status_code == 403
    assert c.delete("/api/v1/session", headers={"X-CSRF-Token": "nope"}).status_code == 403
    assert c.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert c.get("/api/v1/session").status_code == 401


# --- the first admin ---------------------------------------------------------------------------------------------
def test_ensure_admin(client: ClientFrom, ws: core.Workspace) -> None:
    with pytest.raises(ChisoError, match="at least 10"):
        ensure_admin(ws, "root", "short")
    rec = ensure_admin(ws, "root", "một-mật-khẩu-dài")
    assert (rec.role, rec.unit, rec.active) == ("admin", "VN", True)
    again = ensure_admin(ws, "root", "another-long-password")  # idempotent, the password is not reset
    assert again.id == rec.id
    assert ws.store.users.verify("root", "một-mật-khẩu-dài")[1] == "ok"
    with pytest.raises(ChisoError, match="reviewer of VN"):
        ensure_admin(ws, "rev", "một-mật-khẩu-dài")
    audit = [a for a in ws.store.history() if a.entity == "user" and a.entity_id == str(rec.id)]
    assert [(a.actor, a.action) for a in audit] == [("bootstrap", "insert")]
    c = client()
    assert login(c, "root", "một-mật-khẩu-dài").status_code == 303
    assert c.get("/admin").status_code == 200
