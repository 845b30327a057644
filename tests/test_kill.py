"""Kill -9 in the middle of ingestion, restart, resend what was not acknowledged: nothing lost, nothing
counted twice, kept aggregates equal to a full recompute, answers equal to hand-computed ones.

A real ingesting process (``serve`` with uvicorn, or the NATS consumer) runs in a subprocess on a SQLite
workspace; events stream at it in batches of 500; it is SIGKILLed while batches are in flight and
restarted on the same workspace (its start runs ``recover()``). The measurements are printed (``-s``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text

from chiso import app as core
from chiso.store.events import EventStore
from receivers import free_port

SERVERS = os.environ.get("CHISO_TEST_NATS", "nats://127.0.0.1:4222")
UNITS = ["P01", "P79", "P48", "P31", "P92", "BTP", "BCA"]
CHANNELS = ["online", "in_person", "postal", "online"]
BATCH = 500

# "mid-commit" runs: the ingesting process stops right after the Nth batch's events are committed (step 3,
# durable) and before they are counted (step 4), and says so in a file: the kill lands in that window.
HOOK = """
import os, time
from pathlib import Path
if os.environ.get("CHISO_TEST_PAUSE_AFTER"):
    from chiso.store.events import EventStore
    real, calls = EventStore.append, []
    def append(self, kind, rows, batch):
        out = real(self, kind, rows, batch)
        calls.append(batch)
        if len(calls) == int(os.environ["CHISO_TEST_PAUSE_AFTER"]):
            Path(os.environ["CHISO_TEST_MARKER"]).write_text(str(batch))
            time.sleep(120)
        return out
    EventStore.append = append
"""
SERVE = HOOK + """
import sys
from chiso.app import Workspace
from chiso.web import serve
serve(Workspace(Path(sys.argv[1]), sys.argv[2]), port=int(sys.argv[3]), log_level="warning")
"""
CONSUME = HOOK + """
import logging, sys
from chiso.app import Workspace
from chiso.ingest.nats import run_consumer
logging.basicConfig(level=logging.WARNING)
run_consumer(Workspace(Path(sys.argv[1]), sys.argv[2]), sys.argv[3], sys.argv[4], stream=sys.argv[5],
             durable=sys.argv[6], ack_wait=3.0, fetch_batch=2, fetch_timeout=0.5, nak_delay=0.5)
"""


# --- the events: deterministic, several units, three months, sent out of date order ---------------
def make_events(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        at = datetime(2024, 1, 1, 8) + timedelta(days=(i * 37) % 91, minutes=i % 600)
        ev: dict[str, Any] = {
            "event_id": f"kill-{i:06d}", "at": at.isoformat(), "source_system": "dvc-kill",
            "dossier_id": f"hs-{i // 2}", "procedure_code": f"1.00{i % 9}", "unit": UNITS[(i * 3) % len(UNITS)],
            "status": "result_issued" if i % 3 == 0 else "received", "channel": CHANNELS[(i // 3) % 4],
            "documents": i % 4, "documents_reused": (i % 4) // 2,
        }
        if ev["status"] == "result_issued":
            ev["due_at"] = (at + timedelta(days=i % 5 - 2)).isoformat()  # 2 of 5 finish late
        out.append(ev)
    return out


def batches_of(events: list[dict[str, Any]]) -> list[bytes]:
    bs = ["\n".join(json.dumps(e) for e in events[k:k + BATCH]).encode() for k in range(0, len(events), BATCH)]
    random.Random(7).shuffle(bs)  # batches go out in an order unrelated to their dates: late arrivals
    return bs


def hand_counts(events: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(indicator, unit, month) -> (numerator, denominator), computed without chiso."""
    c: Counter[tuple[str, str, str]] = Counter()
    for e in events:
        month = e["at"][:7]
        if e["status"] == "received":
            c["online_den", e["unit"], month] += 1
            c["online_num", e["unit"], month] += e["channel"] == "online"
        else:
            c["on_time_den", e["unit"], month] += 1
            c["on_time_num", e["unit"], month] += e["at"] <= e["due_at"]
    return {(ind, u, m): (c[f"{short}_num", u, m], c[f"{short}_den", u, m])
            for ind, short in (("dossier_online_submission_rate", "online"), ("dossier_on_time_rate", "on_time"))
            for u in UNITS for m in ("2024-01", "2024-02", "2024-03")}


# --- processes ---------------------------------------------------------------------------------------
def start(code: str, args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-c", code, *args], stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})})


def pause_env(mode: str, after: int, marker: Path) -> dict[str, str]:
    return {"CHISO_TEST_PAUSE_AFTER": str(after), "CHISO_TEST_MARKER": str(marker)} if mode == "mid-commit" else {}


def wait_until(check: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, what: str,
               timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"the process exited ({proc.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"no clean stop on SIGTERM:\n{log.read_text()[-3000:]}")
    assert rc == 0, log.read_text()[-3000:]



def state_after_kill(ws: core.Workspace) -> tuple[int, int]:
    """(events stored, batches stored but not yet counted: the ones ``recover()`` must apply)."""
    es = EventStore(ws.events_path, read_only=True)
    try:
        stored, durable = es.count("dossier"), es.stored_batches()
    finally:
        es.close()
    book = ws.store.events
    pending = [b for b in book.batches_in_state("received") + book.batches_in_state("stored") if b in durable]
    return stored, len(pending)


def check_final(ws: core.Workspace, events: list[dict[str, Any]]) -> None:
    """Exactly the distinct events, aggregates = recompute, answers = hand-computed."""
    ing = ws.ingestor()
    try:
        assert ing.recover() == []  # the restarted process already repaired everything
        assert ws.store.events.batches_in_state("received") == []  # none left counted as received yet empty
        assert ing.events.count("dossier") == len({e["event_id"] for e in events})
        distinct = ing.events.con.execute("SELECT count(DISTINCT event_id) FROM dossier_event").fetchone()
        assert distinct is not None and distinct[0] == len(events)
        daily, first_seen = ing.recompute()
        recomputed = {(r["measure"], r["unit"], r["day"]): r["value"] for r in daily.to_pylist() if r["value"]}
        kept = {k: v for k, v in ws.store.events.all_daily().items() if v}
        assert kept == recomputed
        assert ws.store.events.all_first_seen() == {(r["measure"], r["unit"], r["key"]): r["first_day"]
                                                     for r in first_seen.to_pylist()}
        assert kept[("dossier_status_records", "P01", date(2024, 1, 1))] > 0
        for (ind, unit, month), (num, den) in hand_counts(events).items():
            f = ws.engine.value(ind, unit, month, compare=False).figure
            assert f is not None and (f.numerator, f.denominator) == (num, den), (ind, unit, month)
    finally:
        ing.events.close()


# --- HTTP ------------------------------------------------------------------------------------------------
class Sender:
    """Posts batches with a few concurrent clients, as the source systems would; remembers what was acked."""

    def __init__(self, base: str, token: str, batches: list[bytes]) -> None:
        self.base, self.batches = base, batches
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
        self.lock = threading.Lock()
        self.acked: dict[int, dict[str, Any]] = {}
        self.in_flight: set[int] = set()
        self.failed: set[int] = set()
        self.stopping = threading.Event()

    def _take(self, todo: list[int]) -> int | None:
        with self.lock:
            if self.stopping.is_set() or not todo:
                return None
            k = todo.pop(0)
            self.in_flight.add(k)
            return k

    def run(self, todo: list[int], workers: int = 4) -> list[dict[str, Any]]:
        receipts: list[dict[str, Any]] = []

        def work() -> None:
            with httpx.Client(base_url=self.base, timeout=60) as client:
                while (k := self._take(todo)) is not None:
                    try:
                        r = client.post("/api/v1/events/dossier", content=self.batches[k], headers=self.headers)
                    except httpx.TransportError:
                        with self.lock:
                            self.in_flight.discard(k)
                            self.failed.add(k)
                        continue
                    assert r.status_code == 200, r.text
                    with self.lock:
                        self.in_flight.discard(k)
                        self.acked[k] = r.json()
                        receipts.append(r.json())

        with ThreadPoolExecutor(workers) as pool:
            for f in [pool.submit(work) for _ in range(workers)]:
                f.result()
        return receipts


@pytest.mark.parametrize("mode", ["random", "mid-commit"])
def test_sigkill_during_http_ingest(ws: core.Workspace, tmp_path: Path, mode: str) -> None:
    events = make_events(10_000)
    batches = batches_of(events)
    token = ws.store.events.add_source("dvc-kill", "Kill test", ["*"], ["dossier"])
    port, log = free_port(), tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    args = [str(ws.root), ws.resolved_db_url, str(port)]

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    marker = tmp_path / "paused"
    proc = start(SERVE, args, log, pause_env(mode, 7, marker))
    try:
        wait_until(healthy, proc, log, "the server answers")
        sender = Sender(base, token, batches)
        todo = list(range(len(batches)))
        t = threading.Thread(target=sender.run, args=(todo,))
        t.start()
        if mode == "mid-commit":
            wait_until(marker.exists, proc, log, "the 7th batch stored, not yet counted")
        else:
            wait_until(lambda: len(sender.acked) >= 6, proc, log, "6 acknowledged batches")
        with sender.lock:
            sender.stopping.set()
            sent_unanswered = set(sender.in_flight)
            proc.kill()  # SIGKILL: no shutdown, no flush, mid-batch
        proc.wait()
        t.join()
        in_flight_at_kill = sorted(sender.failed)  # (an answer already on its way still counts as acked)
        assert in_flight_at_kill, "the kill should land while batches are in flight"
        assert set(in_flight_at_kill) <= sent_unanswered
        acked_before = dict(sender.acked)
        stored_at_kill, to_recover = state_after_kill(ws)
        acked_events = sum(r["accepted"] for r in acked_before.values())
        assert stored_at_kill >= acked_events  # nothing acknowledged was lost

        proc = start(SERVE, args, log)  # same workspace: its start runs recover()
        wait_until(healthy, proc, log, "the restarted server answers")
        resend = [k for k in range(len(batches)) if k not in acked_before]
        again = min(acked_before)  # and one that was acknowledged: a sender unsure of its ack resends
        sender2 = Sender(base, token, batches)
        receipts = sender2.run([again, *resend])
        assert not sender2.failed and len(receipts) == len(resend) + 1
        assert sender2.acked[again]["duplicates"] == BATCH and sender2.acked[again]["accepted"] == 0
        unanswered = [sender2.acked[k] for k in in_flight_at_kill]
        committed_unacked = sum(r["duplicates"] for r in unanswered)  # stored before the kill, never acked
        assert stored_at_kill == acked_events + committed_unacked
        total_accepted = acked_events + sum(r["accepted"] for r in receipts)
        assert total_accepted + committed_unacked == len(events)
        if mode == "mid-commit":  # the paused batch: durable, unanswered, and repaired by recover() at the restart
            assert to_recover == 1 and committed_unacked >= BATCH

        answer = httpx.get(f"{base}/api/v1/values/dossier_online_submission_rate",
                           params={"unit": "P01", "period": "2024-02"}).json()
        assert (answer["numerator"], answer["denominator"]) == hand_counts(events)[
            ("dossier_online_submission_rate", "P01", "2024-02")]
        stop(proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"\nHTTP kill ({mode}): {len(batches)} batches of {BATCH}; {len(acked_before)} acknowledged before the kill; "
          f"{len(in_flight_at_kill)} in flight at the kill, {committed_unacked // BATCH} of them already committed "
          f"(unanswered), {to_recover} stored-but-uncounted for recover(); {len(resend) + 1} resent; "
          f"{stored_at_kill} events stored at the kill; final {len(events)} events")
    check_final(ws, events)


# --- NATS ----------------------------------------------------------------------------------------------
async def _js_call(fn: Callable[[Any], Any]) -> Any:
    nc = await nats.connect(SERVERS)
    try:
        return await fn(nc.jetstream())
    finally:
        await nc.close()


def js_call(fn: Callable[[Any], Any]) -> Any:
    return asyncio.run(_js_call(fn))


@pytest.mark.parametrize("mode", ["random", "mid-commit"])
def test_sigkill_during_nats_ingest(ws: core.Workspace, tmp_path: Path, mode: str) -> None:
    events = make_events(7_500)
    batches = batches_of(events)
    tag = uuid.uuid4().hex[:10]
    prefix, stream, durable = f"chiso.test.{tag}", f"CHISO_TEST_{tag}", f"chiso-ingest-{tag}"
    log = tmp_path / "consume.log"
    args = [str(ws.root), ws.resolved_db_url, SERVERS, prefix, stream, durable]

    async def publish_all(js: Any) -> None:
        await js.add_stream(name=stream, subjects=[f"{prefix}.>"])
        for b in batches:
            await js.publish(f"{prefix}.dossier", b, stream=stream)

    def info() -> Any:
        return js_call(lambda js: js.consumer_info(stream, durable))

    js_call(publish_all)
    marker = tmp_path / "paused"
    proc = start(CONSUME, args, log, pause_env(mode, 6, marker))
    try:
        def some_acked() -> bool:
            try:
                return int(info().ack_floor.stream_seq) >= 5
            except nats.js.errors.NotFoundError:
                return False

        if mode == "mid-commit":
            wait_until(marker.exists, proc, log, "the 6th message stored, not yet counted", timeout=40)
        else:
            wait_until(some_acked, proc, log, "5 acknowledged messages", timeout=40)
        proc.kill()
        proc.wait()
        at_kill = info()
        acked_at_kill, in_flight_at_kill = int(at_kill.ack_floor.stream_seq), int(at_kill.num_ack_pending)
        stored_at_kill, to_recover = state_after_kill(ws)
        assert stored_at_kill >= acked_at_kill * BATCH  # nothing acknowledged was lost
        if mode == "mid-commit":  # the paused one: durable but never acked, so JetStream delivers it again
            assert to_recover == 1 and stored_at_kill > acked_at_kill * BATCH

        # a duplicate message too: a publisher that retried after a lost publish ack
        js_call(lambda js: js.publish(f"{prefix}.dossier", batches[0], stream=stream))
        proc = start(CONSUME, args, log)
        total = len(batches) + 1

        def all_acked() -> bool:
            i = info()
            return int(i.ack_floor.stream_seq) == total and not i.num_pending and not i.num_ack_pending

        wait_until(all_acked, proc, log, "every message acknowledged", timeout=40)
        stop(proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
        js_call(lambda js: js.delete_stream(stream))
    with ws.store.engine.connect() as conn:  # one batch per delivery that reached step 2
        deliveries = conn.execute(text("SELECT count(*) FROM event_batch")).scalar_one()
    print(f"\nNATS kill ({mode}): {len(batches)} messages of {BATCH} (+1 duplicate); {acked_at_kill} acknowledged "
          f"before the kill; {in_flight_at_kill} delivered but unacknowledged at the kill; {to_recover} stored but "
          f"uncounted for recover(); {stored_at_kill} events stored at the kill; {deliveries} deliveries committed "
          f"in all; final {len(events)} events")
    check_final(ws, events)
