"""Operations: ``/metrics`` in the Prometheus text format, and ``/ready``.

Request counts and latencies are this node's (a counter and a histogram per route template, from a middleware).
The event figures are the deployment's, read from the operational store at each scrape (every node and the
writer share it, so any node tells the same): batches by kind and state, events received, accepted, duplicate
and rejected by kind, the data version; and, when this node talks to NATS, the writer's lag behind the log.
Each app has its own registry (tests make many apps in one process).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp

from chiso.app import Workspace
from chiso.errors import HttpProblem
from chiso.ingest.nats import DURABLE, lag
from chiso.web.api import require_store
from chiso.web.deps import WorkspaceDep

router = APIRouter(include_in_schema=False)
LAG_TIMEOUT = 3.0  # seconds a scrape waits for NATS before it leaves the lag out


class EventCollector(Collector):
    """The event figures of the operational store, read when scraped."""

    def __init__(self, ws: Workspace, nats: str | None = None, durable: str = DURABLE) -> None:
        self.ws, self.nats, self.durable = ws, nats, durable

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
        if self.nats:
            behind = self._lag()
            if behind is not None:
                for k in ("pending", "unacknowledged"):
                    g = GaugeMetricFamily(f"chiso_event_log_{k}", f"Batches in the NATS log {k} by the writer")
                    g.add_metric([], behind[k])
                    yield g

    def _lag(self) -> dict[str, int] | None:
        assert self.nats is not None
        try:
            return asyncio.run(asyncio.wait_for(lag(self.nats, durable=self.durable), LAG_TIMEOUT))
        except Exception:  # NATS unreachable: the scrape goes on without the lag (readiness says why)
            return None


class Metrics:
    """One app's registry, its request metrics and the event collector."""

    def __init__(self, ws: Workspace, nats: str | None = None, durable: str = DURABLE) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("chiso_http_requests", "HTTP requests by method, route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("chiso_http_request_seconds", "HTTP request latency by route", ["route"],
                                 registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.registry.register(EventCollector(ws, nats, durable))

    def text(self) -> bytes:
        return bytes(generate_latest(self.registry))


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
    nats_url: str | None = getattr(request.app.state, "nats", None)
    out: dict[str, Any] = {"status": "ready", "store": ws.store.dialect}
    if nats_url:
        try:
            behind = asyncio.run(asyncio.wait_for(lag(nats_url, durable=request.app.state.durable), LAG_TIMEOUT))
        except Exception as exc:
            raise HttpProblem(503, "log-unavailable", f"the event log (NATS) cannot be reached: {exc}") from exc
        out["log"] = behind or {"pending": None, "unacknowledged": None}
    return out
