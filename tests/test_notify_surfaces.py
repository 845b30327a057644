"""Subscriptions on the command line and the API: ``chiso subscribe`` / ``subscriptions`` / ``unsubscribe`` /
``notify run``; ``GET/POST/DELETE /api/v1/subscriptions`` scoped to the logged-in user with the CSRF token, and
``GET /api/v1/notifications``; no input makes a 500."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chiso import app as core
from chiso.catalogue.warnings import Finding
from chiso.cli.main import app as cli
from web_support import MakeClient

runner = CliRunner()


def cli_run(ws: core.Workspace, *args: str, code: int = 0) -> str:
    res = runner.invoke(cli, ["--workspace", str(ws.root), "--lang", "en", *args], env={"COLUMNS": "200"})
    assert res.exit_code == code, res.output
    return res.output


def silent(unit: str) -> Finding:
    from datetime import datetime

    return Finding("silent", unit, "stream:dossier", None, 120.0, 0.0, datetime(2026, 3, 2), {"window": "day"})


def test_the_command_line_subscribes_lists_runs_and_unsubscribes(sqlite_workspace: core.Workspace,
                                                                 cheap_hashes: None) -> None:
    ws = sqlite_workspace
    ws.store.users.create("hn", "Hà Nội", "pw-hn-123", "reporter", "P01")
    made = json.loads(cli_run(ws, "subscribe", "--user", "hn", "--unit", "P01", "--channel", "inapp", "--json"))
    assert made["unit"] == "P01" and made["channel"] == "inapp" and "secret" not in made
    out = cli_run(ws, "subscribe", "--user", "hn", "--unit", "P79", code=2)  # not their province
    assert "may not subscribe" in out
    out = cli_run(ws, "subscribe", "--user", "hn", "--unit", "P01", "--channel", "webhook", "--to",
                  "file:///etc/passwd", "--secret", "s" * 20, code=2)
    assert "http or https" in out
    hook = json.loads(cli_run(ws, "subscribe", "--user", "hn", "--unit", "P01", "--channel", "webhook", "--to",
                              "https://hooks.example.vn/chiso", "--secret", "s" * 20, "--json"))
    listed = json.loads(cli_run(ws, "subscriptions", "--json"))
    assert [(x["id"], x["user"]) for x in listed] == [(made["id"], "hn"), (hook["id"], "hn")]
    assert "s" * 20 not in cli_run(ws, "subscriptions")
    cli_run(ws, "unsubscribe", str(hook["id"]))
    assert "no subscription number" in cli_run(ws, "unsubscribe", str(hook["id"]), code=2)
    ws.store.warnings.sync([silent("P01")], [])
    done = json.loads(cli_run(ws, "notify", "run", "--json"))
    assert done["new"] == 1 and done["sent"] == 1
    assert json.loads(cli_run(ws, "notify", "run", "--json"))["new"] == 0  # once


def test_the_api_is_the_users_own_with_csrf(workspace: core.Workspace, make_client: MakeClient) -> None:
    hn = make_client(workspace, user="hn", role="reporter", unit="P01")
    hcm = make_client(workspace, user="hcm", role="reporter", unit="P79")
    body = {"unit": "P01", "channel": "inapp"}
    assert hn.post("/api/v1/subscriptions", json=body).status_code == 403  # no CSRF token
    r = hn.post("/api/v1/subscriptions", json=body, headers={"X-CSRF-Token": hn.csrf})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert hcm.post("/api/v1/subscriptions", json=body, headers={"X-CSRF-Token": hcm.csrf}).status_code == 403
    assert [s["id"] for s in hn.get("/api/v1/subscriptions").json()["subscriptions"]] == [sid]
    assert hcm.get("/api/v1/subscriptions").json()["count"] == 0
    assert hcm.delete(f"/api/v1/subscriptions/{sid}", headers={"X-CSRF-Token": hcm.csrf}).status_code == 404
    workspace.store.warnings.sync([silent("P01"), silent("P79")], [])
    workspace.dispatcher().run_once()
    notes = hn.get("/api/v1/notifications?lang=en").json()
    assert [n["unit"] for n in notes["notifications"]] == ["P01"]
    assert hcm.get("/api/v1/notifications").json()["count"] == 0
    assert make_client(workspace).get("/api/v1/notifications").status_code == 401
    assert hn.delete(f"/api/v1/subscriptions/{sid}", headers={"X-CSRF-Token": hn.csrf}).status_code == 204
    assert hn.get("/api/v1/subscriptions").json()["count"] == 0


@pytest.mark.parametrize("body", [
    {"unit": "P01", "channel": "webhook", "target": "gopher://x", "secret": "s" * 20},
    {"unit": "P01", "channel": "webhook", "target": "http://" + "a" * 700, "secret": "s" * 20},
    {"unit": "P01", "channel": "email", "target": "x" * 300},
    {"unit": "P01", "channel": "email", "target": "a@b.vn\r\nBcc: c@d.vn"},
    {"unit": "NOPE", "channel": "inapp"},
    {"unit": "P01", "channel": "inapp", "indicator": "nope"},
    {"unit": "P01", "channel": "pigeon"},
    {"unit": "P01", "channel": "inapp", "extra": 1},
    {"unit": "\x00", "channel": "inapp"},
    [],
])
def test_no_subscription_input_makes_a_500(sqlite_workspace: core.Workspace, make_client: MakeClient,
                                           body: object) -> None:
    c = make_client(sqlite_workspace, user="hn", role="reporter", unit="P01", raise_server_exceptions=False)
    r = c.post("/api/v1/subscriptions", json=body, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code in (400, 422), r.text  # a request's shape: 400; a value against chiso's rules: 422
    assert r.json()["detail"]
    assert c.delete("/api/v1/subscriptions/99999999999", headers={"X-CSRF-Token": c.csrf}).status_code == 400


def test_the_page_adds_lists_and_removes_the_users_own(workspace: core.Workspace, make_client: MakeClient) -> None:
    hn = make_client(workspace, user="hn", role="reporter", unit="P01")
    page = hn.get("/subscriptions")
    assert page.status_code == 200 and "Đăng ký nhận cảnh báo" in page.text
    form = {"unit": "P01", "channel": "email", "target": "hn@example.vn", "kind": "silent"}
    assert hn.post("/subscriptions", data=form).status_code == 403  # no form token
    r = hn.post("/subscriptions", data=form | {"csrf": hn.csrf})
    assert r.status_code == 200 and "hn@example.vn" in r.text  # redirected to the page, which lists it
    bad = hn.post("/subscriptions", data=form | {"unit": "P79", "csrf": hn.csrf})
    assert bad.status_code == 403 and 'role="alert"' in bad.text
    bad = hn.post("/subscriptions", data=form | {"target": "not-an-address", "csrf": hn.csrf})
    assert bad.status_code == 422 and "hn@example.vn" in bad.text  # the error on the page, the list kept
    [sub] = core.subscriptions(workspace, core.user_named(workspace, "hn"))
    assert make_client(workspace, user="hcm", role="reporter", unit="P79").get("/subscriptions").text.count(
        "hn@example.vn") == 0
    gone = hn.post(f"/subscriptions/{sub.id}/delete", data={"csrf": hn.csrf})
    assert gone.status_code == 200 and "hn@example.vn" not in gone.text
    assert make_client(workspace).get("/subscriptions", follow_redirects=False).status_code == 303  # to /login
