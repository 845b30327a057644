"""Operations (issue 14): ``/metrics`` in the Prometheus text format (requests per route template with their
latency, the deployment's event batches and events from the store, the data version, the writer's lag behind
the NATS log) and ``/ready`` telling the truth about the store and the log."""

from __future__ import annotations

import asyncio
import json
import uuid

import nats
from prometheus_client.parser import text_string_to_metric_families

from chiso import app as core
from chiso.ingest.nats import STREAM, ensure_stream
from web_support import MakeClient

NATS = "nats://127.0.0.1:4222"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def dossier(i: int, **kw: object) -> dict[str, object]:
    return {"event_id": f"m-{i}", "at": "2024-03-05T10:00:00", "source_system": "dvc", "dossier_id": f"hs-{i}",
            "procedure_code": "1.001234", "unit": "P01", "status": "received", "channel": "online"} | kw


def test_metrics_count_requests_by_route_and_the_stores_events(sqlite_workspace: core.Workspace,
                                                               make_client: MakeClient) -> None:
    ws = sqlite_workspace
    ing = ws.ingestor()
    batch = [dossier(i) for i in range(5)] + [dossier(1), dossier(9, status="lost")]  # a duplicate, a reject
    ing.submit_ndjson("dossier", "\n".join(json.dumps(e) for e in batch) + "\n", "t")
    ing.events.close()
    c = make_client(ws)
    for code in ("P48", "P01", "nowhere"):
        c.get(f"/units/{code}")
    got = c.get("/metrics")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/plain")
    assert got.headers["cache-control"] == "no-store"
    m = samples(got.text)
    # the route's template, not the raw path: three requests, two found and one not
    assert m[("chiso_http_requests_total", (("method", "GET"), ("route", "/units/{code}"), ("status", "200")))] == 2
    assert m[("chiso_http_requests_total", (("method", "GET"), ("route", "/units/{code}"), ("status", "404")))] == 1
    assert m[("chiso_http_request_seconds_count", (("route", "/units/{code}"),))] == 3
    assert not any("P48" in str(labels) for _, labels in m)
    # the events, as the store's applied batches count them
    kind = (("kind", "dossier"),)
    assert m[("chiso_events_received_total", kind)] == 7
    assert m[("chiso_events_accepted_total", kind)] == 5
    assert m[("chiso_events_duplicates_total", kind)] == 1
    assert m[("chiso_events_rejected_total", kind)] == 1
    assert m[("chiso_event_batches", (("kind", "dossier"), ("state", "applied")))] == 1
    assert m[("chiso_data_version", (("part", "event_batches"),))] == 1
    assert ("chiso_event_log_pending", ()) not in m  # no NATS on this node
    ready = c.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready" and "log" not in ready.json()
    # a batch this node applies: its time too
    token = ws.store.events.add_source("portal-p01", "Cổng DVC", ["P01"], ["dossier"])
    r = c.post("/api/v1/events/dossier", content=json.dumps(dossier(20)) + "\n",
               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    m = samples(c.get("/metrics").text)
    assert m[("chiso_event_batch_seconds_count", kind)] == 1 and m[("chiso_events_accepted_total", kind)] == 6


def test_a_node_on_nats_reports_the_writers_lag_and_is_not_ready_without_nats(
        sqlite_workspace: core.Workspace, make_client: MakeClient) -> None:
    ws = sqlite_workspace
    tag = uuid.uuid4().hex[:10]
    prefix, durable = f"chiso.metrics{tag}", f"writer-{tag}"

    async def three_batches_no_writer_has_taken() -> None:
        nc = await nats.connect(NATS)
        js = nc.jetstream()
        await ensure_stream(js, prefix)
        await js.pull_subscribe(f"{prefix}.>", durable=durable, stream=STREAM)  # the writer's consumer, idle
        for i in range(3):
            await js.publish(f"{prefix}.dossier", json.dumps(dossier(i)).encode(), stream=STREAM)
        await nc.close()

    asyncio.run(three_batches_no_writer_has_taken())
    c = make_client(ws, nats=NATS, durable=durable)
    m = samples(c.get("/metrics").text)
    assert m[("chiso_event_log_pending", ())] == 3 and m[("chiso_event_log_unacknowledged", ())] == 0
    ready = c.get("/ready")
    assert ready.status_code == 200 and ready.json()["log"]["pending"] == 3
    down = make_client(ws, nats="nats://127.0.0.1:9", durable=durable)  # nothing listens there
    r = down.get("/ready")
    assert r.status_code == 503 and r.json()["type"].endswith("log-unavailable")
    got = down.get("/metrics")
    assert got.status_code == 200 and ("chiso_event_log_pending", ()) not in samples(got.text)
