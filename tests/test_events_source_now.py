"""A source's authority and scope are read when its batch is written, not remembered by a long-running server.

Neither the HTTP layer nor the ingestor caches a source: every request authenticates against the store. A
batch may still wait in the writer's queue behind others after its request was authenticated; a revocation
or a new scope made meanwhile holds for it too. The admin's change is made here right after the request's
own authentication, which is the window the writer's queue opens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from chiso import app as core
from chiso.store import schema as s
from chiso.store.aggregates import EventSourceRecord
from web_support import MakeClient


def dossier(i: int, unit: str) -> dict[str, Any]:
    return {"event_id": f"ev-{i}", "at": "2024-03-05T10:00:00", "source_system": "dvc-test", "dossier_id": f"hs-{i}",
            "procedure_code": "1.001234", "unit": unit, "status": "received", "channel": "online"}


@pytest.fixture
def ws(sqlite_workspace: core.Workspace) -> core.Workspace:
    return sqlite_workspace


def rescope(ws: core.Workspace, id: str, units: list[str]) -> None:
    # no command changes a source's units yet; an operator's edit of the store is what this stands for
    with ws.store.engine.begin() as conn:
        conn.execute(update(s.event_source).where(s.event_source.c.id == id).values(units=units))


def after_authentication(ws: core.Workspace, monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """Run ``change`` once, right after the first authentication (the request's, before its batch is written)."""
    book = ws.store.events
    real = book.authenticate
    done: list[bool] = []

    def authenticate(token: str) -> EventSourceRecord | None:
        src = real(token)
        if not done:
            done.append(True)
            change()
        return src

    monkeypatch.setattr(book, "authenticate", authenticate)


def post(c: TestClient, token: str, events: list[dict[str, Any]]) -> Any:
    return c.post("/api/v1/events/dossier", content="\n".join(json.dumps(e) for e in events),
                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})


def stored(c: TestClient) -> int:
    return int(c.app.state.writer.call(lambda ing: ing.events.count("dossier")))  # type: ignore[attr-defined]


def test_a_source_revoked_while_its_batch_waits_is_refused(
    ws: core.Workspace, monkeypatch: pytest.MonkeyPatch, make_client: MakeClient
) -> None:
    token = ws.store.events.add_source("dvc-hn", "Hà Nội", ["P01"], ["dossier"])
    after_authentication(ws, monkeypatch, lambda: ws.store.events.revoke_source("dvc-hn"))
    c = make_client(ws)
    r = post(c, token, [dossier(1, "P01")])
    assert r.status_code == 401, r.text
    assert r.json()["detail"].startswith("Authorization:")
    assert stored(c) == 0
    assert ws.store.events.batches_in_state("applied") == []


def test_a_scope_changed_while_its_batch_waits_holds_for_it(
    ws: core.Workspace, monkeypatch: pytest.MonkeyPatch, make_client: MakeClient
) -> None:
    token = ws.store.events.add_source("dvc-hn", "Hà Nội", ["P01"], ["dossier"])
    after_authentication(ws, monkeypatch, lambda: rescope(ws, "dvc-hn", ["P79"]))
    c = make_client(ws)
    rec = post(c, token, [dossier(1, "P01"), dossier(2, "P79")]).json()
    assert rec["rejects"] == [{"position": 1, "reason": "unit: this source may not report for 'P01'"}]
    assert rec["accepted"] == 1


def test_a_replay_by_a_source_revoked_meanwhile_is_refused(
    ws: core.Workspace, monkeypatch: pytest.MonkeyPatch, make_client: MakeClient
) -> None:
    token = ws.store.events.add_source("dvc-hn", "Hà Nội", ["P01"], ["dossier"])
    c = make_client(ws)
    assert post(c, token, [dossier(1, "P79")]).json()["rejected"] == 1
    after_authentication(ws, monkeypatch, lambda: ws.store.events.revoke_source("dvc-hn"))
    r = c.post("/api/v1/events/rejects/replay", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text
    assert len(ws.store.events.rejects()) == 1  # still pending, not replayed


def test_a_running_server_follows_the_store(ws: core.Workspace, make_client: MakeClient) -> None:
    """No restart: a new scope and a revocation hold for the next batch."""
    token = ws.store.events.add_source("dvc-hn", "Hà Nội", ["P01"], ["dossier"])
    c = make_client(ws)
    assert post(c, token, [dossier(1, "P01")]).json()["accepted"] == 1
    rescope(ws, "dvc-hn", ["P79"])
    assert post(c, token, [dossier(2, "P01")]).json()["rejected"] == 1
    assert post(c, token, [dossier(3, "P79")]).json()["accepted"] == 1
    ws.store.events.revoke_source("dvc-hn")
    assert post(c, token, [dossier(4, "P79")]).status_code == 401
    assert stored(c) == 2
