"""Helpers the web tests share: a client logged in as a user, and reading a page's marked parts."""

from __future__ import annotations

import html
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from chiso import app as core
from chiso.web.session import COOKIE


def as_user(app: FastAPI, ws: core.Workspace, username: str) -> tuple[TestClient, str]:
    """A client with a fresh session of ``username`` and its CSRF token (no password check: that is
    test_web_auth's)."""
    rec = ws.store.users.by_username(username)
    assert rec is not None
    token, csrf = ws.store.users.start_session(rec.id)
    c = TestClient(app, follow_redirects=False)
    c.cookies.set(COOKIE, token)
    return c, csrf


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
