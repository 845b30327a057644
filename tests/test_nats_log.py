"""NATS JetStream as the durable log (issue 14): web nodes without the event store accept events over HTTP and answer
once JetStream has them; one writer (``chiso ingest --from nats://…``, a durable consumer) applies them under the
source that sent them, with its scope. A node killed (SIGKILL) while a client streams to it, and the writer killed
in the middle, lose and double nothing; its lag behind the log is on ``chiso events status --nats``. Real processes,
a real NATS server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from chiso import app as core
from conftest import own_database
from deploy_support import kill_node, serving

pytestmark = [pytest.mark.postgres]

NATS = "nats://127.0.0.1:4222"
BATCHES, PER_BATCH = 8, 25
STREAMED = 12  # batches streamed to a node that is killed on the way


def event(i: int, unit: str = "P01") -> dict[str, Any]:
    return {"event_id": f"log-{i}", "at": f"2024-03-{1 + i % 28:02d}T10:00:00", "source_system": "dvc",
            "dossier_id": f"hs-{i}", "procedure_code": "1.001234", "unit": unit, "status": "received",
            "channel": "online"}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A PostgreSQL workspace, a subject prefix and consumer of its own, and two web nodes relaying to NATS."""
    root = tmp_path_factory.mktemp("log") / "ws"
    tag = uuid.uuid4().hex[:10]
    prefix, durable = f"chiso.test{tag}", f"writer-{tag}"
    with own_database("chiso_log") as url:
        ws = core.init_workspace(root, url)
        token = ws.store.events.add_source("portal-p01", "Cổng DVC Hà Nội", ["P01"], ["dossier"])
        try:
            relaying = ["--no-events", "--nats", NATS, "--subject-prefix", prefix]
            with serving(root, [relaying, relaying]) as urls:
                yield {"ws": ws, "root": root, "url": url, "prefix": prefix, "durable": durable, "token": token,
                       "nodes": urls}
        finally:
            ws.close()


def until(check: Callable[[], bool], proc: subprocess.Popen[bytes], d: dict[str, Any], what: str,
          bound: float = 90) -> None:
    deadline = time.monotonic() + bound  # a bound, not a timing
    while not check():
        if proc.poll() is not None or time.monotonic() > deadline:
            state = "exited" if proc.poll() is not None else "timed out"
            sessions = stuck(proc, d)
            text = "\n".join(p.read_text(errors="replace")[-6000:] for p in d["root"].parent.glob("*.log"))
            pytest.fail(f"waiting for {what}: {state}\n{text}\ndatabase sessions:\n{sessions}")
        time.sleep(0.1)


def stuck(proc: subprocess.Popen[bytes], d: dict[str, Any]) -> str:
    """Where a process that stopped moving is: its threads' stacks into its log (SIGUSR1, see chiso.logs), and
    what the database's sessions wait for; then it is stopped, so that a failed test leaves nothing running."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(1)
    with psycopg.connect(d["url"], autocommit=True) as conn:
        rows = conn.execute("SELECT pid, state, wait_event_type, wait_event, left(query, 300) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    return "\n".join(" | ".join(str(c) for c in row) for row in rows)


def chiso(d: dict[str, Any], *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "chiso", "--workspace", str(d["root"]), *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout))


def status(d: dict[str, Any]) -> dict[str, Any]:
    return chiso(d, "events", "status", "--json", "--nats", NATS, "--durable", d["durable"])


def writer(d: dict[str, Any], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "chiso", "--workspace", str(d["root"]), "ingest", "--from", NATS,
                                 "--subject-prefix", d["prefix"], "--durable", d["durable"],
                                 "--ack-wait", "2"],
                                stdout=out, stderr=subprocess.STDOUT)


def test_nodes_log_events_and_one_writer_applies_them_once_through_a_kill(deployment: dict[str, Any]) -> None:
    d = deployment
    headers = {"Authorization": f"Bearer {d['token']}", "Content-Type": "application/x-ndjson"}
    sent = 0
    for b in range(BATCHES):
        events = [event(b * PER_BATCH + i) for i in range(PER_BATCH)]
        if b == 0:
            events.append(event(10_000, unit="P79"))  # outside the source's scope: the writer rejects it
        if b == 1:
            events.append(event(3))  # sent again: counted once
        node = d["nodes"][b % 2]  # either node takes events
        r = httpx.post(f"{node}/api/v1/events/dossier", headers=headers,
                       content="\n".join(json.dumps(e) for e in events) + "\n")
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "logged" and r.json()["events"] == len(events)
        sent += 1
    bad = httpx.post(f"{d['nodes'][0]}/api/v1/events/dossier", content="{}\n",
                     headers={**headers, "Authorization": "Bearer nope"})
    assert bad.status_code == 401  # the node checks the token before anything goes into the log

    # A node killed (SIGKILL) while a client streams batches to it: a batch it took into the log but never
    # answered, or never took, is sent again to the other node; the log may then hold it twice.
    streamed = {"answered": 0, "resent": 0}
    stream_done = threading.Event()

    def stream() -> None:
        for b in range(BATCHES, BATCHES + STREAMED):
            body = "\n".join(json.dumps(event(b * PER_BATCH + i)) for i in range(PER_BATCH)) + "\n"
            try:
                r = httpx.post(f"{d['nodes'][0]}/api/v1/events/dossier", headers=headers, content=body, timeout=10)
                ok = r.status_code == 202
            except httpx.TransportError:
                ok = False
            if not ok:  # no answer (or not a 202): the client sends it again, elsewhere
                r = httpx.post(f"{d['nodes'][1]}/api/v1/events/dossier", headers=headers, content=body, timeout=10)
                assert r.status_code == 202, r.text
                streamed["resent"] += 1
            streamed["answered"] += 1
        stream_done.set()

    client = threading.Thread(target=stream)
    client.start()
    deadline = time.monotonic() + 60  # a bound: the kill comes once a few batches went through
    while streamed["answered"] < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    kill_node(d["nodes"][0])
    client.join(timeout=120)
    assert stream_done.is_set() and streamed["answered"] == STREAMED
    assert streamed["resent"] >= 1  # the kill cut the stream: at least the batch in flight went to the other node

    before = status(d)
    assert before["dossier_events"] == 0
    # no writer yet: every batch waits in the log (a batch the dead node logged but never answered, twice)
    assert before["log_pending"] is None or before["log_pending"] >= sent + STREAMED

    log = d["root"].parent / "writer.log"
    first = writer(d, log)
    applied = lambda: len(d["ws"].store.events.batches_in_state("applied")) >= 2  # noqa: E731
    until(applied, first, d, "the writer to apply a few batches")
    first.send_signal(signal.SIGKILL)  # killed at any moment: mid-batch, before an ack, between batches
    first.wait()
    second = writer(d, log)
    try:
        expected = (BATCHES + STREAMED) * PER_BATCH  # the duplicates counted once, the out-of-scope event rejected
        until(lambda: d["ws"].store.events.stored_by_kind().get("dossier", 0) >= expected, second, d,
              "every event stored")
        # the log drained: every message delivered and acknowledged (a batch the killed writer had begun is left as
        # received, with nothing stored: its message came again and was applied as a batch of its own)
        until(lambda: (lambda st: st["log_pending"] == 0 and st["log_unacknowledged"] == 0)(status(d)), second,
              d, "the log drained")
        after = status(d)
        assert after["dossier_events"] == expected and after["counted_by"] == "batches"
        assert after["log_pending"] == 0 and after["log_unacknowledged"] == 0
        rejects = d["ws"].store.events.rejects(limit=100)
        assert [r.reason for r in rejects if "10000" in r.raw or "log-10000" in r.raw], rejects
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        if second.poll() is None:  # a failed test leaves no writer behind
            second.kill()
            second.wait()
    # what the writer kept equals a full recompute from the stored events: nothing lost, nothing doubled
    done = subprocess.run([sys.executable, "-m", "chiso", "--workspace", str(d["root"]), "events", "recompute",
                           "--check"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    rate = d["ws"].engine.value("dossier_online_submission_rate", "P01", "2024")  # over dossiers received
    assert rate.figure is not None and rate.figure.denominator == expected
