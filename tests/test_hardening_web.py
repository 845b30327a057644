"""Issue 11, the web's hardening: security headers on every answer, one answer for every refused login,
deactivation ends sessions for good, and proxy headers believed only from configured proxies."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher

from browser_support import (
    ADMIN,
    DATASET,
    REPORTER_DN,
    Persona,
    chromium,
    live_server,
    log_in_page,
    seeded_workspace,
)
from chiso import app as core
from chiso.store import users as users_module
from chiso.web import app as web_app
from chiso.web import create_app
from chiso.web.headers import OTHER_CSP, PAGE_CSP, REPORT_CSP, policy
from chiso.web.session import COOKIE
from receivers import free_port
from web_support import MakeClient

PW = "mật-khẩu-đủ-dài"
ENV = "CHISO_TRUSTED_PROXIES"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[core.Workspace]:
    d = tmp_path_factory.mktemp("hardening")
    w = core.init_workspace(d / "ws", f"sqlite:///{d / 'store.sqlite'}")
    yield w
    w.close()


def _user(ws: core.Workspace, name: str, role: str = "reporter", unit: str = "P48") -> int:
    rec = ws.store.users.by_username(name) or ws.store.users.create(name, f"Người dùng {name}", PW, role, unit)
    return rec.id


# --- 1. security headers ----------------------------------------------------------------------------------------
def _assert_secured(r: httpx.Response, csp: str) -> None:
    assert r.headers["X-Frame-Options"] == "DENY", r.url
    assert r.headers["X-Content-Type-Options"] == "nosniff", r.url
    assert r.headers["Referrer-Policy"] == "same-origin", r.url
    assert r.headers.get("Content-Security-Policy") == csp, r.url


def test_every_answer_carries_the_security_headers(ws: core.Workspace, make_client: MakeClient,
                                                   cheap_hashes: None) -> None:
    app = create_app(ws)

    def boom() -> None:
        raise RuntimeError("boom")

    app.router.add_api_route("/boom-for-test", boom)
    c = make_client(ws, app=app, follow_redirects=False, raise_server_exceptions=False)
    for path, status, csp in (("/login", 200, PAGE_CSP), ("/docs", 200, PAGE_CSP), ("/", 200, PAGE_CSP),
                              ("/openapi.json", 200, OTHER_CSP), ("/static/chiso.css", 200, OTHER_CSP),
                              ("/api/v1/session", 401, OTHER_CSP), ("/no-such-page", 404, OTHER_CSP),
                              ("/forms", 303, OTHER_CSP), ("/boom-for-test", 500, OTHER_CSP)):
        r = c.get(path)
        assert r.status_code == status, (path, r.status_code)
        _assert_secured(r, csp)
    assert all("frame-ancestors 'none'" in p for p in (PAGE_CSP, OTHER_CSP, REPORT_CSP))
    # a written report is a document with its own <style> and no script; a PDF gets no policy (its viewer)
    assert policy("/reports/bao-cao-2024.html", "text/html; charset=utf-8") == REPORT_CSP
    assert policy("/reports/bao-cao-2024.pdf", "application/pdf") is None
    c.get("/")
    cached = c.get("/")  # an answer from the page cache
    assert cached.headers["X-Chiso-Cache"] == "hit"
    _assert_secured(cached, PAGE_CSP)


# --- 2. one answer for every refused login ---------------------------------------------------------------------
def test_every_refused_login_answers_the_same(ws: core.Workspace, make_client: MakeClient,
                                              cheap_hashes: None) -> None:
    _user(ws, "alive2")
    _user(ws, "locked2")
    off = _user(ws, "off2")
    for _ in range(5):
        ws.store.users.verify("locked2", "wrong")
    ws.store.users.set_active(off, False)
    try:
        answers = []
        for i, (name, pw) in enumerate((("nobody2", PW), ("alive2", "wrong"), ("locked2", PW), ("off2", PW))):
            c = make_client(ws, address=f"10.5.0.{i}", follow_redirects=False)
            r = c.post("/api/v1/session", json={"username": name, "password": pw})
            answers.append((r.status_code, r.json()))
            assert COOKIE not in c.cookies
        assert answers[0][0] == 401 and all(a == answers[0] for a in answers), answers
    finally:
        ws.store.users.set_active(off, True)


class CountingHasher(PasswordHasher):
    """argon2id, counting its work: (operation, the parameters of the hash it worked on)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.work: list[tuple[str, str]] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.work.append(("hash", "m=1024,t=1,p=1"))
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.work.append(("verify", str(hash).split("$")[3]))
        return super().verify(hash, password)


def test_every_refusal_costs_one_password_check(ws: core.Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The time of a refusal is the time of one argon2 check with the accounts' parameters, whatever the
    reason: a locked account answered at once before, telling that the name exists."""
    hasher = CountingHasher()
    monkeypatch.setattr(users_module, "_HASHER", hasher)
    _user(ws, "alive3")
    _user(ws, "locked3")
    off = _user(ws, "off3")
    for _ in range(5):
        ws.store.users.verify("locked3", "wrong")
    ws.store.users.set_active(off, False)
    ws.store.users.verify("nobody3", "warm-up")  # the dummy hash is made once
    try:
        for name, pw in (("nobody3", PW), ("alive3", "wrong"), ("locked3", PW), ("off3", PW)):
            hasher.work.clear()
            rec, _why = ws.store.users.verify(name, pw)
            assert rec is None and hasher.work == [("verify", "m=1024,t=1,p=1")], name
    finally:
        ws.store.users.set_active(off, True)


def test_unknown_names_are_locked_like_accounts(ws: core.Workspace, cheap_hashes: None) -> None:
    whys = [ws.store.users.verify("ghost4", "x")[1] for _ in range(6)]
    assert whys == ["unknown"] * 4 + ["locked"] * 2
    _user(ws, "real4")
    whys = [ws.store.users.verify("real4", "x")[1] for _ in range(6)]
    assert whys == ["wrong"] * 4 + ["locked"] * 2


# --- 3. deactivation ends sessions for good --------------------------------------------------------------------
def test_reactivation_does_not_revive_old_sessions(ws: core.Workspace, make_client: MakeClient,
                                                   cheap_hashes: None) -> None:
    uid = _user(ws, "back5")
    c = make_client(ws, follow_redirects=False)
    r = c.post("/api/v1/session", json={"username": "back5", "password": PW})
    assert r.status_code == 200
    assert c.get("/api/v1/session").status_code == 200
    ws.store.users.set_active(uid, False)
    ws.store.users.set_active(uid, True)
    assert c.get("/api/v1/session").status_code == 401  # the old cookie is refused
    assert c.post("/api/v1/session", json={"username": "back5", "password": PW}).status_code == 200


# --- 4. proxy headers only from configured proxies ---------------------------------------------------------------
def _spray(post: Any) -> list[int]:
    """Eleven failed logins from one connection, each claiming another address and at another name."""
    return [post("/api/v1/session", json={"username": f"spray{i}", "password": "x"},
                 headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(11)]


def test_trusted_proxies_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert web_app.trusted_proxies() == []
    monkeypatch.setenv(ENV, " 10.0.0.1, 10.0.1.0/24 ,")
    assert web_app.trusted_proxies() == ["10.0.0.1", "10.0.1.0/24"]


def test_forwarded_for_counts_only_from_a_trusted_proxy(ws: core.Workspace, make_client: MakeClient,
                                                       monkeypatch: pytest.MonkeyPatch, cheap_hashes: None) -> None:
    monkeypatch.delenv(ENV, raising=False)
    c = make_client(ws, address="127.0.0.1", follow_redirects=False)
    assert _spray(c.post) == [401] * 10 + [429]  # the header is ignored: one address
    monkeypatch.setenv(ENV, "10.9.9.9")
    c = make_client(ws, address="10.9.9.9", follow_redirects=False)
    assert _spray(c.post) == [401] * 11  # from the proxy: eleven addresses


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_serve_believes_forwarded_for_only_from_a_trusted_proxy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cheap_hashes: None, trusted: str) -> None:
    """``chiso serve`` itself: uvicorn believed ``X-Forwarded-For`` from any local client."""
    monkeypatch.setenv(ENV, trusted)
    servers: list[Any] = []

    class Server(uvicorn.Server):
        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            servers.append(self)

    monkeypatch.setattr(uvicorn, "Server", Server)
    w = core.init_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'store.sqlite'}")
    port = free_port()
    thread = threading.Thread(target=web_app.serve, args=(w,), kwargs={"port": port, "log_level": "warning"},
                              daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not (servers and servers[0].started):
            assert thread.is_alive() and time.monotonic() < deadline, "chiso serve did not start"
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            codes = _spray(c.post)
        assert codes == ([401] * 11 if trusted else [401] * 10 + [429])
    finally:
        if servers:
            servers[0].should_exit = True
        thread.join(timeout=20)
        w.close()


# --- 1, in Chromium: the pages live with their policy -------------------------------------------------------------
def test_pages_run_under_their_policy_in_chromium(tmp_path: Path) -> None:
    w = seeded_workspace(tmp_path / "ws")
    report = core.write_report(w, "2024-04", formats=("html",), actor="admin").files["html"]
    violations: list[str] = []
    pages: list[tuple[str, Persona | None]] = [
        ("/", None), ("/indicators/dossier_full_online_rate", None), ("/units/P48", None), ("/login", None),
        ("/docs", None), ("/reports", None), (f"/forms/{DATASET}/{REPORTER_DN.unit}/2024-05", REPORTER_DN),
        ("/admin/users", ADMIN), (f"/reports/{report.name}", None)]
    try:
        with live_server(create_app(w)) as s, chromium() as b:
            for path, who in pages:
                ctx = b.new_context(base_url=s.url)
                page = ctx.new_page()
                page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text
                        or "Content-Security-Policy" in m.text else None)
                page.on("pageerror", lambda e: violations.append(str(e)))
                if who is not None:
                    log_in_page(page, who.username)
                r = page.goto(path)
                assert r is not None and r.status == 200, path
                assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
                if path.startswith("/reports/"):  # the report's own <style> applies
                    assert page.eval_on_selector("body", "e => getComputedStyle(e).fontSize") != "16px"
                if path == "/":  # the attainment bars' inline widths apply
                    widths = page.eval_on_selector_all(".attain .fill", "els => els.map(e => e.style.width)")
                    assert widths and all(widths)
                ctx.close()
    finally:
        w.close()
    assert violations == []
