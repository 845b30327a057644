"""Helpers the web tests share: the client ``make_client`` (conftest) makes, logging it in, and reading a page's
marked parts."""

from __future__ import annotations

import html
import re
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.testclient import TestClient

from chiso import app as core
from chiso.web.session import COOKIE

PASSWORD = "mật-khẩu-đủ-dài"  # the password of the users make_client creates


class Client(TestClient):
    """A test client; logged in when made with ``user=``: then ``csrf`` is its session's CSRF token."""

    csrf: str = ""
    username: str | None = None


class MakeClient(Protocol):
    """The ``make_client`` fixture: a client of ``ws``'s app (a new ``create_app(ws, **app_options)`` unless
    ``app`` is given; a new app runs its lifespan until the test ends).

    ``user``: log in as this username (a fresh session; no password check). With ``role``, the user is created
    first when missing (``unit`` its scope, password ``PASSWORD``). ``address``: the client's IP address.
    """

    def __call__(self, ws: core.Workspace, *, app: FastAPI | None = None, user: str | None = None,
                 role: str | None = None, unit: str = "VN", address: str = "testclient",
                 follow_redirects: bool = True, raise_server_exceptions: bool = True,
                 **app_options: Any) -> Client: ...


def log_in(c: Client, ws: core.Workspace, username: str, role: str | None = None, unit: str = "VN") -> Client:
    """Give ``c`` a fresh session of ``username`` (created with ``role`` when missing; no password check: that
    is test_web_auth's) and its CSRF token."""
    rec = ws.store.users.by_username(username)
    if rec is None and role is not None:
        rec = ws.store.users.create(username, f"Người dùng {username}", PASSWORD, role, unit)
    assert rec is not None, f"no user {username!r}"
    token, c.csrf = ws.store.users.start_session(rec.id)
    c.username = username
    c.cookies.set(COOKIE, token)
    return c


def by_testid(page: str, tid: str) -> str:
    """The text of the element carrying ``data-testid=tid``, whitespace collapsed."""
    m = re.search(rf'<(\w+)[^>]*\bdata-testid="{re.escape(tid)}"[^>]*>(.*?)</\1>', page, re.S)
    assert m is not None, f"no element with data-testid={tid!r}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", m.group(2))).split())


def ranking_rows(page: str, group: str) -> list[tuple[str, int | None]]:
    table = re.search(rf'<table data-testid="ranking-{group}">(.*?)</table>', page, re.S)
    assert table is not None
    return [(u, int(r) if r else None) for u, r in re.findall(r'<tr data-unit="([^"]+)" data-rank="([^"]*)"',
                                                               table.group(1))]
