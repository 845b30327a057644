"""Resending a batch with bad lines does not record its rejects again.

A sender unsure whether its batch arrived sends it again (docs/events.md); its good events are duplicates, and
its bad lines are already in the rejects store. A reject is recorded once per (source, kind, batch identity,
position): the identity is the hash of the batch's records (HTTP, NATS), or of the file."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import nats
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from chiso import app as core
from chiso.ingest.events import EventIngestor
from chiso.ingest.nats import consume, ensure_stream
from web_support import MakeClient

NATS = "nats://127.0.0.1:4222"


def dossier(i: int, **kw: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"event_id": f"ev-{i}", "at": "2024-03-05T10:00:00", "source_system": "dvc-test",
                          "dossier_id": f"hs-{i}", "procedure_code": "1.001234", "unit": "P01",
                          "status": "received", "channel": "online"}
    return ev | kw


GOOD = [dossier(1), dossier(2, channel="in_person"), dossier(3, unit="P79")]
BAD: list[dict[str, Any] | str] = ['{"event_id": "broken", "at": ', dossier(7, status="lost"), dossier(8, unit="P99"),
                                   dossier(9, documents=1, documents_reused=3)]
BATCH = [GOOD[0], BAD[0], GOOD[1], BAD[1], BAD[2], GOOD[2], BAD[3]]  # the bad lines are 2, 4, 5 and 7


def ndjson(events: list[dict[str, Any] | str]) -> str:
    return "\n".join(e if isinstance(e, str) else json.dumps(e) for e in events) + "\n"


def positions(ws: core.Workspace, source: str | None = None) -> list[int | None]:
    return [r.position for r in ws.store.events.rejects(source=source, pending_only=False)]


@pytest.fixture
def ws(workspace: core.Workspace) -> Iterator[core.Workspace]:
    """On SQLite and PostgreSQL (whose event tables outlive a test: emptied here)."""
    def clear() -> None:
        if workspace.store.dialect == "postgresql":
            with workspace.store.engine.begin() as conn:
                conn.execute(text("TRUNCATE event_agg, event_first_seen, event_batch, event_source, event_reject "
                                  "RESTART IDENTITY"))

    clear()
    yield workspace
    clear()


def test_an_http_batch_sent_again_records_no_reject_twice(ws: core.Workspace, make_client: MakeClient) -> None:
    token = ws.store.events.add_source("dvc", "DVC", ["*"], ["dossier"])
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    c = make_client(ws)
    first = c.post("/api/v1/events/dossier", content=ndjson(BATCH), headers=headers).json()
    again = c.post("/api/v1/events/dossier", content=ndjson(BATCH), headers=headers).json()
    # the sender is told again which lines are bad; the store keeps them once
    assert (first["accepted"], first["rejected"]) == (3, 4)
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 3, 4)
    assert again["rejects"] == first["rejects"]
    assert positions(ws) == [2, 4, 5, 7]
    listed = c.get("/api/v1/events/rejects", headers=headers).json()
    assert listed["count"] == 4 and {x["batch"] for x in listed["rejects"]} == {first["batch"]}
    # a different batch is other lines, even with a bad line seen before
    other = c.post("/api/v1/events/dossier", content=ndjson([dossier(10), BAD[1]]), headers=headers).json()
    assert other["rejected"] == 1
    assert positions(ws) == [2, 4, 5, 7, 2]


def test_a_file_ingested_again_records_no_reject_twice(ws: core.Workspace, ing: EventIngestor, tmp_path: Path) -> None:
    f = tmp_path / "dossier" / "batch.ndjson"
    f.parent.mkdir()
    f.write_text(ndjson(BATCH), encoding="utf-8")
    first = ing.ingest_file(f)
    assert (first.accepted, first.rejected) == (3, 4)
    again = ing.ingest_file(f, chunk_rows=3)  # read in other chunks: the file and its line numbers are the same
    assert (again.duplicates, again.rejected) == (3, 4)
    assert positions(ws) == [2, 4, 5, 7]


def test_a_parquet_file_ingested_again_records_no_reject_twice(
    ws: core.Workspace, ing: EventIngestor, tmp_path: Path
) -> None:
    rows = [dossier(1), dossier(2, unit="P99"), dossier(3, channel="fax"), dossier(4)]
    f = tmp_path / "dossier" / "part-0.parquet"
    f.parent.mkdir()
    pq.write_table(pa.Table.from_pylist([{**r, "at": datetime.fromisoformat(r["at"])} for r in rows]), f)
    assert ing.ingest_file(f).rejected == 2
    assert ing.ingest_file(f, chunk_rows=1).rejected == 2
    assert positions(ws) == [2, 3]
    # the same rows in a changed file are another batch
    pq.write_table(pa.Table.from_pylist([{**r, "at": datetime.fromisoformat(r["at"])} for r in rows[:3]]), f)
    assert ing.ingest_file(f).rejected == 2
    assert positions(ws) == [2, 3, 2, 3]


def test_replayed_rejects_still_bad_stay_pending_however_often_replayed(
    ws: core.Workspace, make_client: MakeClient
) -> None:
    token = ws.store.events.add_source("dvc-hn", "Hà Nội", ["P01"], ["dossier"])
    headers = {"Authorization": f"Bearer {token}"}
    c = make_client(ws)
    c.post("/api/v1/events/dossier", content=ndjson([dossier(1), dossier(2, unit="P79")]), headers=headers)
    for _ in range(3):
        out = c.post("/api/v1/events/rejects/replay", headers=headers).json()
        assert out["pending"] == 1 and out["receipts"][0]["rejected"] == 1
        listed = c.get("/api/v1/events/rejects", headers=headers).json()
        assert listed["count"] == 1 and listed["rejects"][0]["reason"].endswith("'P79'")
    assert len(ws.store.events.rejects(pending_only=False)) == 4  # the first, and one per replay


def test_rejects_replayed_from_the_command_line_stay_pending_while_bad(ws: core.Workspace, ing: EventIngestor) -> None:
    ing.submit_ndjson("dossier", ndjson([dossier(1), dossier(2, unit="XNEW")]), "t")
    for _ in range(2):
        [rec] = ing.replay_rejects()
        assert rec.rejected == 1 and len(ws.store.events.rejects()) == 1


def test_a_nats_message_delivered_again_records_no_reject_twice(tmp_path: Path) -> None:
    w = core.init_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'store.sqlite'}")
    tag = uuid.uuid4().hex[:10]
    prefix, stream, durable = f"chiso.test.{tag}", f"CHISO_TEST_{tag}", f"chiso-ingest-{tag}"
    payload = ndjson(BATCH).encode()

    async def go() -> int:
        nc = await nats.connect(NATS)
        js = nc.jetstream()
        try:
            await ensure_stream(js, prefix, stream)
            for _ in range(2):  # published twice, as a redelivery would bring it
                await js.publish(f"{prefix}.dossier", payload, stream=stream)
            stats = await asyncio.wait_for(consume(w, NATS, prefix, max_messages=2, stream=stream, durable=durable,
                                                   fetch_timeout=0.3), 20)
            return stats.rejected
        finally:
            await js.delete_stream(stream)
            await nc.close()

    try:
        assert asyncio.run(go()) == 8  # each delivery's receipt names its bad lines…
        assert positions(w, f"nats:{prefix}.dossier") == [2, 4, 5, 7]  # …recorded once
    finally:
        w.close()
