"""Events from NATS JetStream (the server at 127.0.0.1:4222): batches committed then acked, duplicates
harmless, malformed events rejected with reasons, a failed commit redelivered. Each test has its own
stream, subjects and consumer, deleted at the end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from chiso import app as core
from chiso.ingest.events import EventIngestor
from chiso.ingest.nats import ConsumeStats, EventWriter, consume, ensure_stream

SERVERS = os.environ.get("CHISO_TEST_NATS", "nats://127.0.0.1:4222")


@dataclass(frozen=True)
class Js:
    prefix: str
    stream: str
    durable: str

    def opts(self, **kw: Any) -> dict[str, Any]:
        return {"stream": self.stream, "durable": self.durable, "fetch_timeout": 0.3, **kw}


async def _delete_stream(name: str) -> None:
    nc = await nats.connect(SERVERS)
    try:
        js = nc.jetstream()
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(name)  # its consumers go with it
    finally:
        await nc.close()


@pytest.fixture
def jsenv() -> Iterator[Js]:
    tag = uuid.uuid4().hex[:10]
    env = Js(f"chiso.test.{tag}", f"CHISO_TEST_{tag}", f"chiso-ingest-{tag}")
    yield env
    asyncio.run(_delete_stream(env.stream))



@pytest.fixture
def writer(ws: core.Workspace) -> Iterator[EventWriter]:
    w = EventWriter.of(ws)
    yield w
    w.close()


def dossier(i: int, unit: str, day: int, channel: str) -> dict[str, Any]:
    return {"event_id": f"nats-{i}", "at": f"2024-03-{day:02d}T09:30:00", "source_system": "dvc-test",
            "dossier_id": f"hs-{i}", "procedure_code": "2.000001", "unit": unit, "status": "received",
            "channel": channel}


def ndxp(i: int, day: int) -> dict[str, Any]:
    return {"event_id": f"tx-{i}", "at": f"2024-03-{day:02d}T11:00:00", "source_system": "ndxp",
            "consumer_unit": "P01", "consumer_system": "dvc-hn", "provider_unit": "BCA",
            "provider_system": "csdlqg-dc", "service": "tra-cuu-cong-dan"}


def ndjson(events: list[Any]) -> bytes:
    return "\n".join(e if isinstance(e, str) else json.dumps(e) for e in events).encode()


async def publish(env: Js, kind: str, payloads: list[bytes]) -> None:
    nc = await nats.connect(SERVERS)
    try:
        js = nc.jetstream()
        await ensure_stream(js, env.prefix, env.stream)
        for p in payloads:
            ack = await js.publish(f"{env.prefix}.{kind}", p, stream=env.stream)
            assert ack.stream == env.stream
    finally:
        await nc.close()


async def consumer_state(env: Js) -> tuple[int, int]:
    """(messages not yet delivered, messages delivered but not acknowledged)."""
    nc = await nats.connect(SERVERS)
    try:
        info = await nc.jetstream().consumer_info(env.stream, env.durable)
        return int(info.num_pending or 0), int(info.num_ack_pending or 0)
    finally:
        await nc.close()


def run(env: Js, target: Any, n: int, **kw: Any) -> ConsumeStats:
    """Consume exactly ``n`` deliveries (with a safety stop: a test never hangs on a missing message)."""

    async def go() -> ConsumeStats:
        return await asyncio.wait_for(consume(target, SERVERS, env.prefix, max_messages=n, **env.opts(**kw)), 20)

    return asyncio.run(go())


def online_rate(ws: core.Workspace, unit: str) -> tuple[float | None, float | None]:
    f = ws.engine.value("dossier_online_submission_rate", unit, "2024-03").figure
    return (f.numerator, f.denominator) if f else (None, None)


def test_batches_duplicates_and_malformed(ws: core.Workspace, writer: EventWriter, jsenv: Js) -> None:
    units = ["P01", "P79", "BTP"]
    events = [dossier(i, units[i % 3], 1 + i % 28, "online" if i % 4 else "in_person") for i in range(120)]
    batches = [ndjson(events[k:k + 40]) for k in range(0, 120, 40)]
    single = json.dumps(dossier(500, "P01", 30, "online"), indent=2).encode()  # one event, several lines
    asyncio.run(publish(jsenv, "dossier", [*batches, single]))
    asyncio.run(publish(jsenv, "ndxp", [json.dumps([ndxp(i, 1 + i % 3) for i in range(9)]).encode()]))

    stats = run(jsenv, writer, 5)
    assert (stats.messages, stats.acked, stats.nacked, stats.accepted, stats.rejected) == (5, 5, 0, 130, 0)
    assert writer.call(lambda ing: (ing.events.count("dossier"), ing.events.count("ndxp"))) == (121, 9)
    assert asyncio.run(consumer_state(jsenv)) == (0, 0)  # all acknowledged

    def expected(unit: str) -> tuple[float, float]:
        mine = [e for e in events if e["unit"] == unit] + ([dossier(500, "P01", 30, "online")] if unit == "P01"
                                                           else [])
        return float(sum(e["channel"] == "online" for e in mine)), float(len(mine))

    for u in units:
        assert online_rate(ws, u) == expected(u)
    tx = ws.engine.value("ndxp_transactions", "P01", "2024-03").figure
    assert tx is not None and tx.value == 9.0

    # a redelivered or republished batch changes nothing
    before = (ws.store.events.all_daily(), ws.store.events.all_first_seen())
    asyncio.run(publish(jsenv, "dossier", [batches[1]]))
    again = run(jsenv, writer, 1)
    assert (again.acked, again.received, again.accepted, again.duplicates) == (1, 40, 0, 40)
    assert (ws.store.events.all_daily(), ws.store.events.all_first_seen()) == before
    assert writer.call(lambda ing: ing.events.count("dossier")) == 121

    # a malformed message: its bad events are rejected with reasons, its good ones kept
    mixed = ndjson([dossier(600, "P01", 2, "online"), "{not json", dict(dossier(601, "P01", 2, "online"),
                    channel="fax"), dossier(602, "P99", 2, "online"), dossier(603, "P79", 3, "postal")])
    asyncio.run(publish(jsenv, "dossier", [mixed]))
    m = run(jsenv, writer, 1)
    assert (m.acked, m.received, m.accepted, m.rejected) == (1, 5, 2, 3)
    rejects = ws.store.events.rejects(source=f"nats:{jsenv.prefix}.dossier")
    assert [(r.position, r.reason.split(":")[0]) for r in rejects] == [(2, "not valid JSON"), (3, "channel"),
                                                                        (4, "unit")]
    assert rejects[2].reason == "unit: 'P99' is not a ministry or province of the catalogue"
    n, d = expected("P01")
    assert online_rate(ws, "P01") == (n + 1, d + 1)
    assert asyncio.run(consumer_state(jsenv)) == (0, 0)


def test_a_failed_commit_is_not_acked_and_comes_back(ws: core.Workspace, jsenv: Js,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ing = ws.ingestor()
    real = EventIngestor.submit_records
    calls: list[int] = []

    def flaky(self: EventIngestor, *args: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("store unavailable")  # as if the operational store were down
        return real(self, *args, **kw)

    monkeypatch.setattr(EventIngestor, "submit_records", flaky)
    asyncio.run(publish(jsenv, "dossier", [ndjson([dossier(i, "P01", 5, "online") for i in range(10)])]))
    asyncio.run(publish(jsenv, "parcels", [b"{}"]))  # a subject no kind matches: dropped, not retried

    stats = run(jsenv, ing, 3, nak_delay=0.2)  # the failed delivery, the unknown subject, the redelivery
    assert (stats.nacked, stats.terminated, stats.acked, stats.accepted) == (1, 1, 1, 10)
    assert len(calls) == 2
    assert ing.events.count("dossier") == 10
    assert online_rate(ws, "P01") == (10.0, 10.0)
    assert asyncio.run(consumer_state(jsenv)) == (0, 0)
    ing.events.close()


def test_the_stream_is_created_or_extended(jsenv: Js) -> None:
    async def go() -> list[str]:
        nc = await nats.connect(SERVERS)
        try:
            js = nc.jetstream()
            await ensure_stream(js, jsenv.prefix, jsenv.stream)
            await ensure_stream(js, jsenv.prefix, jsenv.stream)  # again: no change
            await ensure_stream(js, jsenv.prefix + "x", jsenv.stream)
            info = await js.stream_info(jsenv.stream)
            return list(info.config.subjects or [])
        finally:
            await nc.close()

    assert asyncio.run(go()) == [f"{jsenv.prefix}.>", f"{jsenv.prefix}x.>"]


SERVE_WITH_NATS = """
import sys
from pathlib import Path
from chiso.app import Workspace
from chiso.web import serve
serve(Workspace(Path(sys.argv[1]), sys.argv[2]), port=int(sys.argv[3]), nats=sys.argv[4], subject_prefix=sys.argv[5],
      log_level="warning", stream=sys.argv[6], durable=sys.argv[7], fetch_timeout=0.3)
"""


def test_serve_takes_http_and_nats_on_one_writer(ws: core.Workspace, jsenv: Js, tmp_path: Path) -> None:
    token = ws.store.events.add_source("dvc", "DVC", ["*"], ["dossier"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base, log = f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    asyncio.run(publish(jsenv, "dossier", [ndjson([dossier(i, "P01", 3, "online") for i in range(5)])]))
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", SERVE_WITH_NATS, str(ws.root), ws.resolved_db_url, str(port),
                                 SERVERS, jsenv.prefix, jsenv.stream, jsenv.durable], stdout=out, stderr=out)
    try:
        def answer() -> tuple[float | None, float | None] | None:
            try:
                r = httpx.get(f"{base}/api/v1/values/dossier_online_submission_rate",
                              params={"unit": "P01", "period": "2024-03"}, timeout=2)
            except httpx.TransportError:
                return None
            return (r.json().get("numerator"), r.json().get("denominator"))

        end = time.monotonic() + 60  # a bound for a loaded machine (the process starts, then consumes)
        while answer() != (5.0, 5.0):  # the message published before the start is consumed
            assert proc.poll() is None and time.monotonic() < end, log.read_text()
            time.sleep(0.05)
        r = httpx.post(f"{base}/api/v1/events/dossier", headers={"Authorization": f"Bearer {token}"},
                       content=ndjson([dossier(100 + i, "P01", 4, "in_person") for i in range(3)]))
        assert r.status_code == 200 and r.json()["accepted"] == 3, r.text
        assert answer() == (5.0, 8.0)
        asyncio.run(publish(jsenv, "dossier", [ndjson([dossier(200, "P01", 5, "online")])]))
        while answer() != (6.0, 9.0):
            assert proc.poll() is None and time.monotonic() < end, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert asyncio.run(consumer_state(jsenv)) == (0, 0)


def test_a_subscription_that_stopped_receiving_is_made_anew(jsenv: Js) -> None:
    """A writer whose pull subscription no longer receives while messages wait subscribes again and gets them; one
    with nothing waiting keeps its subscription."""
    from nats.js import api

    from chiso.ingest.nats import _unstalled

    async def run() -> tuple[bool, bool, int]:
        nc = await nats.connect(SERVERS)
        try:
            js = nc.jetstream()
            await ensure_stream(js, jsenv.prefix, jsenv.stream)
            config = api.ConsumerConfig(durable_name=jsenv.durable, ack_policy=api.AckPolicy.EXPLICIT, ack_wait=30)
            sub = await js.pull_subscribe(f"{jsenv.prefix}.>", durable=jsenv.durable, stream=jsenv.stream,
                                          config=config)
            idle = await _unstalled(js, sub, jsenv.prefix, jsenv.durable, jsenv.stream, config, idle=60)
            kept = idle is sub  # nothing waits: nothing to do
            for i in range(3):
                await js.publish(f"{jsenv.prefix}.dossier", f"m{i}".encode())
            await sub._sub.unsubscribe()  # its inbox gone: what a stalled subscription looks like from outside
            fresh = await _unstalled(js, sub, jsenv.prefix, jsenv.durable, jsenv.stream, config, idle=60)
            msgs = await fresh.fetch(3, timeout=5)
            for m in msgs:
                await m.ack()
            return kept, fresh is not sub, len(msgs)
        finally:
            await nc.close()

    assert asyncio.run(run()) == (True, True, 3)
