"""Events in from NATS JetStream, and the one writer thread every event path goes through.

Stream ``CHISO_EVENTS`` holds the subjects ``<prefix>.>``; a message on ``<prefix>.<kind>`` (kind: dossier or
ndxp) is one batch of that kind: NDJSON, one JSON event, or a JSON array. The durable pull consumer
``chiso-ingest`` submits each message as one batch and acknowledges it only after the batch is committed
(stored and counted in the kept aggregates); when the commit fails the message is nak'ed with a delay and
JetStream redelivers it. A redelivered message changes nothing: events are stored once by their unit and ``event_id``.
The subject is trusted: its events are attributed to the source ``nats:<subject>`` and may name any unit.

``EventWriter`` holds the workspace's single EventIngestor behind one thread: DuckDB allows one writing
process and its connections are not for concurrent use, so the HTTP API and this consumer, when they run
in one process, queue their batches on the same writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import nats
from nats.js import api
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from chiso.catalogue.events import EVENT_KINDS
from chiso.ingest.events import EventIngestor, Receipt

log = logging.getLogger(__name__)

STREAM = "CHISO_EVENTS"
DURABLE = "chiso-ingest"
DEFAULT_PREFIX = "chiso.events"
DEFAULT_SERVERS = "nats://127.0.0.1:4222"
SOURCE_HEADER = "Chiso-Source"  # on a batch a web node relays: the id of the source it authenticated

T = TypeVar("T")
Record = tuple[int | None, str | Mapping[str, Any]]


class OpensIngestor(Protocol):
    """A workspace (``chiso.app.Workspace``): typed structurally so ingest does not import app."""

    def ingestor(self) -> EventIngestor: ...


class EventWriter:
    """The single EventIngestor of a workspace, used from one thread only.

    ``run`` (async) and ``call`` (blocking) queue a function of the ingestor on that thread, in order.
    The ingestor is opened on first use (``open`` forces it): opening runs ``recover()``.
    """

    def __init__(self, opener: Callable[[], EventIngestor], *, owns: bool = True) -> None:
        self._opener = opener
        self._owns = owns  # close the event store at the end only if this writer opened it
        self._ingestor: EventIngestor | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chiso-writer")
        self._closed = False

    @classmethod
    def of(cls, target: OpensIngestor | EventIngestor | EventWriter) -> EventWriter:
        if isinstance(target, EventWriter):
            return target
        if isinstance(target, EventIngestor):
            ing = target
            return cls(lambda: ing, owns=False)
        return cls(target.ingestor)

    def _ing(self) -> EventIngestor:
        if self._ingestor is None:
            self._ingestor = self._opener()
        return self._ingestor

    def _job(self, fn: Callable[[EventIngestor], T]) -> Callable[[], T]:
        def job() -> T:
            ing = self._ing()
            try:
                return fn(ing)
            except Exception:
                # A batch may have been stored (durable) but not counted: count it now rather than at the
                # next start. If the store is still failing this fails too, and recover() at start remains.
                try:
                    ing.recover()
                except Exception:
                    log.warning("recover() after a failed batch failed too; the next start will repair",
                                exc_info=True)
                raise

        return job

    def call(self, fn: Callable[[EventIngestor], T]) -> T:
        return self._pool.submit(self._job(fn)).result()

    async def run(self, fn: Callable[[EventIngestor], T]) -> T:
        # If the awaiting task is cancelled the function still runs to its end: a batch is never cut.
        return await asyncio.wrap_future(self._pool.submit(self._job(fn)))

    def open(self) -> None:
        self._pool.submit(self._ing).result()

    @property
    def is_open(self) -> bool:
        return self._ingestor is not None and not self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        def _close() -> None:
            if self._ingestor is not None and self._owns:
                self._ingestor.events.close()
            self._ingestor = None

        self._pool.submit(_close).result()
        self._pool.shutdown(wait=True)


def batch_records(text: str, *, strict_array: bool = False) -> list[Record]:
    """The events of one body: a JSON array, one JSON object, or NDJSON (one event a line).

    Positions are 1-based: the element of the array, or the line. A body starting with ``[`` that is not
    valid JSON is read line by line (its bad lines become rejects), or with ``strict_array`` raises ValueError.
    """
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if head == "[" and strict_array:
                raise ValueError(f"not a valid JSON array: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
            data = None  # several objects: NDJSON
        except RecursionError:
            # nested too deep for the parser: an array is split into its elements, each judged on its own
            parts = _array_elements(text) if head == "[" else None
            if parts is not None:
                return [(i, part) for i, part in enumerate(parts, start=1)]
            if head == "[" and strict_array:
                raise ValueError("not a valid JSON array") from None
            data = None
        if isinstance(data, list):
            # non-objects go on as JSON text so the ingestor rejects them with its reason
            return [(i, rec if isinstance(rec, dict) else _text(rec)) for i, rec in enumerate(data, start=1)]
        if isinstance(data, dict):
            return [(1, data)]
    return [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _text(value: Any) -> str:
    try:
        return json.dumps(value)
    except (RecursionError, ValueError):
        return "[" * 10_000  # too deep to write back: the ingestor rejects it as nested too deep


def _array_elements(text: str) -> list[str] | None:
    """The texts of a JSON array's elements, found by a scan of brackets and strings (no recursion), or None
    when the text is not one array."""
    body = text.strip()
    if not body.startswith("[") or not body.endswith("]"):
        return None
    out: list[str] = []
    depth, start, in_str, esc = 0, 1, False, False
    for i, ch in enumerate(body):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                if i != len(body) - 1:
                    return None
                last = body[start:i].strip()
                if last:
                    out.append(last)
                elif out:
                    return None  # a trailing comma
            elif depth < 0:
                return None
        elif ch == "," and depth == 1:
            part = body[start:i].strip()
            if not part:
                return None
            out.append(part)
            start = i + 1
    return out if depth == 0 and not in_str else None


@dataclass
class ConsumeStats:
    """What one ``consume`` run did (deliveries: redelivered messages count again)."""

    messages: int = 0
    acked: int = 0
    nacked: int = 0
    terminated: int = 0
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0

    def add(self, r: Receipt) -> None:
        self.received += r.received
        self.accepted += r.accepted
        self.duplicates += r.duplicates
        self.rejected += r.rejected


async def ensure_stream(js: JetStreamContext, prefix: str, stream: str = STREAM) -> None:
    """Create the stream for ``<prefix>.>``, or add that subject to an existing stream of that name."""
    subject = f"{prefix}.>"
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(name=stream, subjects=[subject], storage=api.StorageType.FILE)
        return
    subjects = list(info.config.subjects or [])
    if subject not in subjects:
        await js.update_stream(config=info.config.evolve(subjects=[*subjects, subject]))


def _kind_of(subject: str, prefix: str) -> str | None:
    head, _, kind = subject.rpartition(".")
    return kind if head == prefix and kind in EVENT_KINDS else None


async def consume(
    ws_or_ingestor: OpensIngestor | EventIngestor | EventWriter,
    servers: str | Sequence[str] = DEFAULT_SERVERS,
    prefix: str = DEFAULT_PREFIX,
    *,
    stop: asyncio.Event | None = None,
    max_messages: int | None = None,
    idle_exit: float | None = None,
    stream: str = STREAM,
    durable: str = DURABLE,
    fetch_batch: int = 10,
    fetch_timeout: float = 1.0,
    ack_wait: float = 60.0,
    nak_delay: float = 5.0,
) -> ConsumeStats:
    """Consume event batches until ``stop`` is set, ``max_messages`` were handled, or nothing arrived for
    ``idle_exit`` seconds. Each message is acknowledged only after its batch is committed."""
    writer = EventWriter.of(ws_or_ingestor)
    own_writer = writer is not ws_or_ingestor
    stats = ConsumeStats()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()

    async def on_error(exc: Exception) -> None:
        log.warning("NATS: %s", exc)

    # Keep trying to reach NATS (a service outlives a NATS restart), but give up at once when told to stop.
    connecting = asyncio.ensure_future(nats.connect(
        servers if isinstance(servers, str) else list(servers), name="chiso-ingest", error_cb=on_error,
        max_reconnect_attempts=-1, connect_timeout=5,
    ))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not connecting.done():
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await connecting
        if own_writer:
            await asyncio.to_thread(writer.close)
        return stats
    try:
        nc = connecting.result()
    except BaseException:
        if own_writer:
            await asyncio.to_thread(writer.close)
        raise
    try:
        js = nc.jetstream()
        await ensure_stream(js, prefix, stream)
        config = api.ConsumerConfig(
            durable_name=durable, ack_policy=api.AckPolicy.EXPLICIT, ack_wait=ack_wait, max_deliver=-1,
            deliver_policy=api.DeliverPolicy.ALL, max_ack_pending=max(100, 10 * fetch_batch),
        )
        sub = await js.pull_subscribe(f"{prefix}.>", durable=durable, stream=stream, config=config)
        last = asked = loop.time()
        log.info("consuming %s.> from stream %s as %s", prefix, stream, durable)
        while not stop.is_set() and (max_messages is None or stats.messages < max_messages):
            want = fetch_batch if max_messages is None else min(fetch_batch, max_messages - stats.messages)
            try:
                msgs = await sub.fetch(want, timeout=fetch_timeout)
            except TimeoutError:  # nothing came (nats-py raises its own subclass, or asyncio's)
                if idle_exit is not None and loop.time() - last >= idle_exit:
                    break
                now = loop.time()
                if now - last >= STALL_AFTER and now - asked >= STALL_AFTER:
                    asked = now
                    sub = await _unstalled(js, sub, prefix, durable, stream, config, idle=now - last)
                continue
            except nats.errors.Error as exc:  # disconnected: the client reconnects by itself, keep asking
                log.warning("fetching from %s failed (%s); retrying", stream, exc)
                await asyncio.sleep(1.0)
                continue
            last = loop.time()
            for msg in msgs:
                await _handle(msg, writer, prefix, stats, nak_delay)
        await nc.flush()
    finally:
        with contextlib.suppress(Exception):
            await nc.close()
        if own_writer:
            await asyncio.to_thread(writer.close)
    return stats


# Seconds without a message while the log says some wait for this consumer, before the pull subscription is made
# anew: a writer once stood idle for minutes with messages pending after another writer on its durable was killed.
STALL_AFTER = 10.0


async def _unstalled(js: Any, sub: Any, prefix: str, durable: str, stream: str, config: Any, *, idle: float) -> Any:
    """``sub``, or a new pull subscription on the same durable when messages wait and none came for ``idle`` seconds
    (pending, or delivered and unacknowledged for longer than the ack wait, after which they are due again): the log
    keeps them, so asking again loses and doubles nothing."""
    try:
        info = await sub.consumer_info()
    except Exception as exc:  # NATS away: the fetch loop's own retry handles it
        log.warning("asking %s for its consumer's state failed (%s)", stream, exc)
        return sub
    if not (info.num_pending or (info.num_ack_pending and idle > (config.ack_wait or 0) + STALL_AFTER)):
        return sub
    log.warning("no message for %ss while %s wait (%s unacknowledged): subscribing to %s again",
                STALL_AFTER, info.num_pending, info.num_ack_pending, durable)
    with contextlib.suppress(Exception):
        await sub.unsubscribe()
    return await js.pull_subscribe(f"{prefix}.>", durable=durable, stream=stream, config=config)


async def _handle(msg: Any, writer: EventWriter, prefix: str, stats: ConsumeStats, nak_delay: float) -> None:
    stats.messages += 1
    subject = str(msg.subject)
    kind = _kind_of(subject, prefix)
    if kind is None:
        # no retry can fix a subject: stop its redelivery, and say so loudly
        log.error("NATS message on %s dropped: expected the subject %s.<%s>", subject, prefix, "|".join(EVENT_KINDS))
        await msg.term()
        stats.terminated += 1
        return
    try:
        text = bytes(msg.data).decode("utf-8")
    except UnicodeDecodeError as exc:
        log.error("NATS message on %s (stream seq %s) dropped: not valid UTF-8 (%s)",
                  subject, msg.metadata.sequence.stream, exc)
        await msg.term()
        stats.terminated += 1
        return
    records = batch_records(text)
    sent_by = (getattr(msg, "headers", None) or {}).get(SOURCE_HEADER)

    def write(ing: EventIngestor) -> Receipt | None:
        if sent_by is None:  # published straight to NATS: the subject is trusted
            return ing.submit_records(kind, records, f"nats:{subject}")
        # relayed by a web node for a source it authenticated: the source as it stands now, with its scope
        now = ing.book.active_source(str(sent_by))
        return None if now is None else ing.submit_records(kind, records, now)

    try:
        receipt = await writer.run(write)
    except Exception:
        # not committed: JetStream delivers it again after the delay
        log.exception("batch from %s not committed; asking for redelivery in %ss", subject, nak_delay)
        with contextlib.suppress(Exception):
            await msg.nak(delay=nak_delay)
        stats.nacked += 1
        return
    if receipt is None:  # as over HTTP, a revoked source's batch is not taken; no retry can change that
        log.error("batch on %s from source %r dropped: the source is unknown or was revoked", subject, sent_by)
        await msg.term()
        stats.terminated += 1
        return
    stats.add(receipt)
    try:
        await msg.ack()  # committed: only now may JetStream forget the message
    except Exception as exc:  # a lost ack means one harmless redelivery
        log.warning("ack of batch %s from %s failed (%s); it will be redelivered", receipt.batch, subject, exc)
    else:
        stats.acked += 1
    if receipt.rejected:
        log.warning("batch %s from %s: %d of %d events rejected", receipt.batch, subject, receipt.rejected,
                    receipt.received)


class Relay:
    """What a web node without the event store does with a batch it accepted over HTTP: publish it to JetStream
    and answer once JetStream has it (the one writer applies it later, as ``consume`` does, under the source that
    sent it). One connection per node, opened on the first batch."""

    def __init__(self, servers: str | Sequence[str] = DEFAULT_SERVERS, prefix: str = DEFAULT_PREFIX,
                 stream: str = STREAM) -> None:
        self.servers, self.prefix, self.stream = servers, prefix, stream
        self._js: JetStreamContext | None = None
        self._nc: Any = None
        self._lock = asyncio.Lock()

    async def _jetstream(self) -> JetStreamContext:
        async with self._lock:
            if self._js is None:
                servers = self.servers if isinstance(self.servers, str) else list(self.servers)
                self._nc = await nats.connect(servers, name="chiso-relay", connect_timeout=5,
                                              max_reconnect_attempts=-1)
                js = self._nc.jetstream()
                await ensure_stream(js, self.prefix, self.stream)
                self._js = js
            return self._js

    async def publish(self, kind: str, body: bytes, source: str) -> int:
        """The batch in the log: its stream sequence (raises when JetStream did not take it)."""
        js = await self._jetstream()
        ack = await js.publish(f"{self.prefix}.{kind}", body, stream=self.stream, timeout=10,
                               headers={SOURCE_HEADER: source})
        return int(ack.seq)

    async def close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.drain()
        self._nc = self._js = None


async def lag(servers: str | Sequence[str] = DEFAULT_SERVERS, stream: str = STREAM,
              durable: str = DURABLE) -> dict[str, int] | None:
    """How far the writer is behind the log: messages not yet delivered to it and delivered but not yet
    acknowledged (None: no such consumer yet)."""
    nc = await nats.connect(servers if isinstance(servers, str) else list(servers), name="chiso-status",
                            connect_timeout=5, max_reconnect_attempts=0)
    try:
        try:
            info = await nc.jetstream().consumer_info(stream, durable)
        except NotFoundError:
            return None
        return {"pending": int(info.num_pending or 0), "unacknowledged": int(info.num_ack_pending or 0),
                "delivered": int(info.delivered.stream_seq if info.delivered else 0)}
    finally:
        await nc.close()


def run_consumer(
    ws_or_ingestor: OpensIngestor | EventIngestor | EventWriter,
    servers: str | Sequence[str] = DEFAULT_SERVERS,
    prefix: str = DEFAULT_PREFIX,
    after: Callable[[], Awaitable[None]] | None = None,
    **options: Any,
) -> ConsumeStats:
    """Run ``consume`` until SIGINT or SIGTERM (or its own limits), for a CLI command or a service; ``after`` is
    awaited at the end, in the same event loop, whatever happened (closing what the caller opened for it)."""

    async def main() -> ConsumeStats:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            return await consume(ws_or_ingestor, servers, prefix, stop=stop, **options)
        finally:
            if after is not None:
                await after()

    return asyncio.run(main())


__all__ = ["DURABLE", "SOURCE_HEADER", "STREAM", "ConsumeStats", "EventWriter", "Relay", "batch_records", "consume",
           "ensure_stream", "lag", "run_consumer"]
