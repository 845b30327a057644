"""Several web nodes over one operational store (issue 14): two ``chiso serve`` processes on one PostgreSQL
workspace, one holding the event store and one without it (``--no-events``). A login on one node holds on the
other (sessions and CSRF tokens live in the store), a form saved and submitted through one is approved through
the other, a public answer cached by a node is served again until the data move and then fresh, and the login
rate limit counts the attempts made at both nodes (``[web] login_limits = "store"``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from chiso import app as core
from conftest import own_database
from deploy_support import serving

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("cheap_hashes")]

PW = "mật-khẩu-đủ-dài"
DS, UNIT, PERIOD, TEAMS = "province_monthly", "P48", "2024-04", "community_dx_teams"
FORM = f"/api/v1/forms/{DS}/{UNIT}/{PERIOD}"
PUBLIC = f"/api/v1/values/{TEAMS}?unit={UNIT}&period={PERIOD}"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, core.Workspace]]:
    root = tmp_path_factory.mktemp("nodes") / "ws"
    with own_database("chiso_nodes") as url:
        ws = core.init_workspace(root, url)
        core.load(ws, "vn-2024", "test")
        with (root / core.SETTINGS).open("a", encoding="utf-8") as f:
            f.write('\n[web]\nlogin_limits = "store"\n')
        for user, role, unit in (("dn", "reporter", "P48"), ("rev", "reviewer", "VN")):
            ws.store.users.create(user, user, PW, role, unit)
        try:
            with serving(root, [["--events"], ["--no-events"]],
                         env={**os.environ, "CHISO_TRUSTED_PROXIES": "127.0.0.1"}) as (writer, reader):
                yield writer, reader, ws
        finally:
            ws.close()


def login(node: str, username: str, password: str = PW, address: str | None = None) -> httpx.Response:
    with httpx.Client(base_url=node) as c:
        page = c.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token, page.text
        return c.post("/login", data={"username": username, "password": password, "csrf": token[1], "next": "/"},
                      headers={"X-Forwarded-For": address} if address else None)


def session(node: str, username: str) -> tuple[dict[str, str], str]:
    """A logged-in session's cookie, and its CSRF token as the node's pages give it."""
    r = login(node, username)
    assert r.status_code == 303, r.text
    cookies = dict(r.cookies)
    page = httpx.get(f"{node}/forms", cookies=cookies)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token, page.text
    return cookies, token[1]


def test_two_nodes_share_logins_edits_and_the_data_version(nodes: tuple[str, str, core.Workspace]) -> None:
    writer, reader, _ = nodes
    # the public answer, cached by the node without the event store
    first = httpx.get(reader + PUBLIC)
    assert first.status_code == 200 and first.json()["value"] is None
    again = httpx.get(reader + PUBLIC)
    assert again.headers["x-chiso-cache"] == "hit"

    # the reporter logs in at one node and works at the other, with that session's CSRF token
    cookies, csrf = session(reader, "dn")
    got = httpx.get(writer + FORM, cookies=cookies)
    assert got.status_code == 200, got.text
    entries = [{"indicator": f["indicator"], "value": 50.5 if f["kind"] == "rate" else 56}
               for f in got.json()["fields"]]
    saved = httpx.put(writer + FORM, cookies=cookies, headers={"X-CSRF-Token": csrf}, json={"entries": entries})
    assert saved.status_code == 200, saved.text
    forged = httpx.post(writer + FORM + "/submit", cookies=cookies, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    assert httpx.post(writer + FORM + "/submit", cookies=cookies, headers={"X-CSRF-Token": csrf}).status_code == 200

    # the reviewer approves at the other node; the first node's cached answer gives way to the published one
    rcookies, rcsrf = session(writer, "rev")
    approved = httpx.post(reader + FORM + "/approve", cookies=rcookies, headers={"X-CSRF-Token": rcsrf})
    assert approved.status_code == 200, approved.text
    fresh = httpx.get(reader + PUBLIC)
    assert fresh.headers["x-chiso-cache"] == "miss" and fresh.json()["value"] == 56
    assert httpx.get(writer + PUBLIC).json()["value"] == 56

    # logging out at one node ends the session at both
    httpx.post(f"{writer}/logout", cookies=rcookies, data={"csrf": rcsrf})
    assert httpx.get(reader + FORM, cookies=rcookies).status_code == 401


def test_the_login_rate_limit_counts_attempts_at_every_node(nodes: tuple[str, str, core.Workspace]) -> None:
    writer, reader, _ = nodes
    # each attempt from another client address (the nodes trust the local proxy): only the name's limit counts
    codes = [login((writer, reader)[i % 2], "nobody-here", "wrong password", f"10.0.0.{i}").status_code
             for i in range(10)]
    assert 429 not in codes  # ten attempts at one name, five at each node: all counted, none refused yet
    assert login(writer, "nobody-here", "wrong password", "10.0.1.1").status_code == 429
    assert login(reader, "nobody-here", "wrong password", "10.0.1.2").status_code == 429
    # and one address's limit, the same way: its tenth attempt anywhere is its last
    codes = [login((writer, reader)[i % 2], f"someone-{i}", "wrong password", "10.0.2.1").status_code
             for i in range(10)]
    assert 429 not in codes
    assert login(reader, "someone-else", "wrong password", "10.0.2.1").status_code == 429


def test_only_the_writer_node_takes_events(nodes: tuple[str, str, core.Workspace]) -> None:
    writer, reader, ws = nodes
    token = ws.store.events.add_source("portal-test", "portal", ["*"], ["dossier"])
    body = ('{"event_id": "n-1", "at": "2024-03-05T10:00:00", "source_system": "dvc", "dossier_id": "hs-1", '
            '"procedure_code": "1.001234", "unit": "P01", "status": "received", "channel": "online"}\n')
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    refused = httpx.post(f"{reader}/api/v1/events/dossier", content=body, headers=headers)
    assert refused.status_code == 503 and "--no-events" in refused.text
    taken = httpx.post(f"{writer}/api/v1/events/dossier", content=body, headers=headers)
    assert taken.status_code in (200, 201, 202), taken.text
    status = subprocess.run([sys.executable, "-m", "chiso", "--workspace", str(ws.root), "events", "status",
                             "--json"], capture_output=True, text=True, timeout=120)
    assert status.returncode == 0 and '"counted_by": "batches"' in status.stdout, status.stdout + status.stderr
    assert '"dossier_events": 1' in status.stdout
