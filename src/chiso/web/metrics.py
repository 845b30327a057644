"""Operations: ``/metrics`` in the Prometheus text format, and ``/ready``.

Request counts and latencies are this node's (a counter and a histogram per route template, from a middleware).
The event figures are the deployment's, read from the operational store at each scrape (every node and the
writer share it, so any node tells the same): batches by kind and state, events received, accepted, duplicate
and rejected by kind, the data version; and, when this node talks to NATS, the writer's lag behind the log.
Each app has its own registry (tests make many apps in one process).

``LogWatch`` is the app's one connection to NATS, opened in the app's lifespan and closed at its end (the client
reconnects by itself when it drops; a connection that could not be made is tried again at the next question):
``/metrics``, ``/ready`` and the admin page ask it the writer's lag. ``LoggedWriter`` logs one line per applied
batch (the writer's own batch times: it serves no ``/metrics``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import nats
from fastapi import APIRouter, Request
from fastapi.responses import Response
from nats.js.errors import NotFoundError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp

from chiso.app import Workspace
from chiso.errors import HttpProblem
from chiso.ingest.events import EventIngestor, Receipt
from chiso.ingest.nats import DURABLE, STREAM, EventWriter, lag
from chiso.logs import FIELDS, SHOWN
from chiso.web.api import require_store
from chiso.web.deps import WorkspaceDep

router = APIRouter(include_in_schema=False)
LAG_TIMEOUT = 3.0  # seconds a scrape waits for NATS before it leaves the lag out
T = TypeVar("T")
batch_log = logging.getLogger("chiso.writer")


class LogWatch:
    """One connection to NATS for a process's questions about the writer's lag (not for publishing or
    consuming). ``start`` in the event loop that will own it (an app's lifespan); ``lag`` there, or
    ``lag_now`` from another thread (a sync route); ``close`` at the end."""

    def __init__(self, servers: str | Sequence[str], durable: str = DURABLE, stream: str = STREAM) -> None:
        self.servers = servers if isinstance(servers, str) else list(servers)
        self.durable, self.stream = durable, stream
        self._nc: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self.connects = 0  # connections made (one, unless NATS was not there when first asked)

    async def start(self) -> None:
        """Remember this loop and try to connect (NATS down: not now, at the next question)."""
        self._loop = asyncio.get_running_loop()
        self._lock = asyncio.Lock()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._connection(), LAG_TIMEOUT)

    async def _connection(self) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._nc is None or self._nc.is_closed:
                self._nc = await nats.connect(self.servers, name="chiso-watch", connect_timeout=2,
                                              max_reconnect_attempts=-1, reconnect_time_wait=1)
                self.connects += 1
            return self._nc

    @property
    def connected(self) -> bool:
        return self._nc is not None and bool(self._nc.is_connected)

    async def lag(self) -> dict[str, int] | None:
        """As ``chiso.ingest.nats.lag`` on the held connection (None: no such consumer yet); raises when NATS
        does not answer within ``LAG_TIMEOUT``. The loop that first asks owns the connection, if none started it."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()

        async def ask() -> dict[str, int] | None:
            nc = await self._connection()
            try:
                info = await nc.jetstream().consumer_info(self.stream, self.durable)
            except NotFoundError:
                return None
            return {"pending": int(info.num_pending or 0), "unacknowledged": int(info.num_ack_pending or 0),
                    "delivered": int(info.delivered.stream_seq if info.delivered else 0)}

        return await asyncio.wait_for(ask(), LAG_TIMEOUT)

    def lag_now(self) -> dict[str, int] | None:
        """``lag`` from a thread other than the loop's (a sync route, a scrape). Without a started loop (an app
        whose lifespan did not run), a connection of its own for this question."""
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            return asyncio.run(asyncio.wait_for(lag(self.servers, self.stream, self.durable), LAG_TIMEOUT))
        future = asyncio.run_coroutine_threadsafe(self.lag(), loop)
        try:
            return future.result(LAG_TIMEOUT + 1)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    async def close(self) -> None:
        nc, self._nc = self._nc, None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()


class LoggedWriter(EventWriter):
    """The event writer, logging one line per applied batch (``chiso.writer``): kind, batch, accepted,
    duplicates, rejected, the seconds it took, and the writer's lag behind the NATS log (batches not yet
    delivered, asked at most once a second of ``watch``; absent without one)."""

    def __init__(self, opener: Callable[[], EventIngestor], *, watch: LogWatch | None = None) -> None:
        super().__init__(opener)
        self.watch = watch
        self._lag: tuple[float, int | None] = (-1e9, None)
        # registered where the writer's figures are scraped: the node's /metrics, or the writer's own
        self.batch_seconds = Histogram("chiso_event_batch_seconds", "Time to apply an event batch (validation, "
                                       "store, aggregates) by kind", ["kind"], registry=None,
                                       buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))

    async def _pending(self) -> int | None:
        if self.watch is None:
            return None
        asked, pending = self._lag
        if time.monotonic() - asked >= 1.0:
            try:
                behind = await self.watch.lag()
                pending = None if behind is None else behind["pending"]
            except Exception:
                pending = None
            self._lag = (time.monotonic(), pending)
        return pending

    async def run(self, fn: Callable[[EventIngestor], T]) -> T:
        start = time.perf_counter()
        result = await super().run(fn)
        if isinstance(result, Receipt):
            seconds = time.perf_counter() - start
            self.batch_seconds.labels(result.kind).observe(seconds)
            fields: dict[str, Any] = {"kind": result.kind, "batch": result.batch, "accepted": result.accepted,
                                      "duplicates": result.duplicates, "rejected": result.rejected,
                                      "seconds": round(seconds, 4)}
            pending = await self._pending()
            if pending is not None:
                fields["lag"] = pending
            batch_log.info("batch %s applied", result.batch, extra={FIELDS: fields, SHOWN: ("batch",)})
        return result


class EventCollector(Collector):
    """The event figures of the operational store, read when scraped."""

    def __init__(self, ws: Workspace, watch: LogWatch | None = None) -> None:
        self.ws, self.watch = ws, watch

    def collect(self) -> Iterator[Any]:
        totals = self.ws.store.events.batch_totals()
        batches = GaugeMetricFamily("chiso_event_batches", "Event batches by kind and state", labels=["kind", "state"])
        events = {k: CounterMetricFamily(f"chiso_events_{k}", f"Events {k} in applied batches", labels=["kind"])
                  for k in ("received", "accepted", "duplicates", "rejected")}
        for t in totals:
            batches.add_metric([t["kind"], t["state"]], t["batches"])
            if t["state"] == "applied":
                for k, fam in events.items():
                    fam.add_metric([t["kind"]], t[k])
        yield batches
        yield from events.values()
        change_set, applied, _ = self.ws.store.data_version()
        version = GaugeMetricFamily("chiso_data_version", "The last change set and the applied event batches",
                                    labels=["part"])
        version.add_metric(["change_set"], change_set)
        version.add_metric(["event_batches"], applied)
        yield version
        if self.watch is not None:
            behind = self._lag()
            if behind is not None:
                for k in ("pending", "unacknowledged"):
                    g = GaugeMetricFamily(f"chiso_event_log_{k}", f"Batches in the NATS log {k} by the writer")
                    g.add_metric([], behind[k])
                    yield g

    def _lag(self) -> dict[str, int] | None:
        assert self.watch is not None
        try:
            return self.watch.lag_now()
        except Exception:  # NATS unreachable: the scrape goes on without the lag (readiness says why)
            return None


class Metrics:
    """One app's registry, its request metrics and the event collector."""

    def __init__(self, ws: Workspace, watch: LogWatch | None = None, writer: EventWriter | None = None) -> None:
        self.registry = CollectorRegistry()
        if isinstance(writer, LoggedWriter):  # this node applies batches: their times too
            self.registry.register(writer.batch_seconds)
        self.requests = Counter("chiso_http_requests", "HTTP requests by method, route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("chiso_http_request_seconds", "HTTP request latency by route", ["route"],
                                 registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.registry.register(EventCollector(ws, watch))

    def text(self) -> bytes:
        return bytes(generate_latest(self.registry))


def serve_writer_metrics(ws: Workspace, writer: LoggedWriter, host: str, port: int) -> Any:
    """The writer's own ``/metrics`` (it serves no app): its batch times, the store's event figures and the lag,
    on ``host:port`` in a thread of its own. Returns the server (``shutdown()`` it at the end)."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry()
    registry.register(writer.batch_seconds)
    registry.register(EventCollector(ws, writer.watch))
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server


class RequestMetrics(BaseHTTPMiddleware):
    """Counts and times each request under its route's template (``/units/{code}``), never its raw path: the
    labels stay few whatever the clients ask for."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = str(getattr(route, "path", "")) or "unmatched"
        self.metrics.requests.labels(request.method, template, str(response.status_code)).inc()
        self.metrics.latency.labels(template).observe(time.perf_counter() - start)
        return response


@router.get("/metrics")
def metrics(request: Request) -> Response:
    m: Metrics = request.app.state.metrics
    return Response(m.text(), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


@router.get("/ready")
def ready(request: Request, ws: WorkspaceDep) -> dict[str, Any]:
    """Ready to serve: the operational store answers, and where this node relays events, NATS takes them."""
    require_store(ws)
    watch: LogWatch | None = getattr(request.app.state, "log_watch", None)
    out: dict[str, Any] = {"status": "ready", "store": ws.store.dialect}
    if watch is not None:
        try:
            behind = watch.lag_now()
        except Exception as exc:
            raise HttpProblem(503, "log-unavailable", f"the event log (NATS) cannot be reached: {exc}") from exc
        out["log"] = behind or {"pending": None, "unacknowledged": None}
    return out
