"""The lockout of unknown user names shared by web nodes (issue 14): with ``[web] login_limits = "store"`` the failed
logins at a name without an account are counted in the operational store (``login_lockout``), not per process, so
five failures split between two real ``chiso serve`` nodes on one PostgreSQL lock the name at both, as for a real
account; no user is created, and the name kept is bounded. What each node decided is read from its JSON log."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from chiso import app as core
from chiso.store import schema
from conftest import own_database
from deploy_support import serving

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("cheap_hashes")]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, core.Workspace, Path]]:
    root = tmp_path_factory.mktemp("lockout") / "ws"
    with own_database("chiso_lockout") as url:
        ws = core.init_workspace(root, url)
        with (root / core.SETTINGS).open("a", encoding="utf-8") as f:
            f.write('\n[web]\nlogin_limits = "store"\n\n[log]\nformat = "json"\n')
        ws.store.users.create("real", "Một người dùng", "mật-khẩu-đủ-dài", "viewer", "VN")
        try:
            with serving(root, [["--no-events"], ["--no-events"]],
                         env={**os.environ, "CHISO_TRUSTED_PROXIES": "127.0.0.1"}) as (a, b):
                yield a, b, ws, root.parent
        finally:
            ws.close()


def login(node: str, username: str, address: str) -> int:
    with httpx.Client(base_url=node) as c:
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text)
        assert token
        return c.post("/login", data={"username": username, "password": "không đúng", "csrf": token[1], "next": "/"},
                      headers={"X-Forwarded-For": address}).status_code


def decisions(logs: Path, node: str) -> list[str]:
    """Why the node refused each login, in order, from its JSON log ("login refused: unknown", "…: locked")."""
    path = logs / f"node-{node.rsplit(':', 1)[1]}.log"
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            if rec["msg"].startswith("login refused"):
                out.append(rec["msg"].rsplit(": ", 1)[1])
    return out


def wait_for(logs: Path, node: str, n: int) -> list[str]:
    deadline = time.monotonic() + 30  # the line is written before the answer; a bound, not a timing
    while len(got := decisions(logs, node)) < n:
        assert time.monotonic() < deadline, got
        time.sleep(0.05)
    return got


def test_five_failures_at_an_unknown_name_split_between_nodes_lock_it_at_both(
        nodes: tuple[str, str, core.Workspace, Path]) -> None:
    a, b, ws, logs = nodes
    for i, node in enumerate((a, b, a, b)):  # four failures, two at each node, each from its own address
        assert login(node, "ghost", f"10.1.0.{i}") == 401
    assert wait_for(logs, a, 2) == ["unknown", "unknown"] and wait_for(logs, b, 2) == ["unknown", "unknown"]
    # the fifth, at b, is the name's fifth anywhere: locked (counted per process, b would have seen its third)
    assert login(b, "ghost", "10.1.0.5") == 401  # every refusal answers alike: the log tells which it was
    assert wait_for(logs, b, 3)[-1] == "locked"
    # and a, which saw only two of them, refuses it as locked too
    assert login(a, "ghost", "10.1.0.6") == 401
    assert wait_for(logs, a, 3)[-1] == "locked"
    c = schema.login_lockout.c
    with ws.store.engine.connect() as conn:
        row = conn.execute(select(c.failed, c.locked_until).where(c.name == "ghost")).one()
        users = [r[0] for r in conn.execute(select(schema.app_user.c.username))]
    assert row.locked_until is not None and users == ["real"]  # counted without creating a user


def test_the_name_kept_is_bounded(nodes: tuple[str, str, core.Workspace, Path]) -> None:
    a, _, ws, _ = nodes
    long = "x" * 500
    assert login(a, long, "10.2.0.1") == 401
    c = schema.login_lockout.c
    with ws.store.engine.connect() as conn:
        names = [r[0] for r in conn.execute(select(c.name).where(c.name.like("xxx%")))]
    assert names == ["x" * 100]
