"""The web application: a small composition of routers over one workspace, and ``serve`` to run it.

Each resource is a module-level router; what a route needs from the app (the workspace, the dashboards' page
cache, the event writer) it gets through ``web.deps``, from ``app.state``. Errors become problem details (or a
page's own error page) through one table, ``web.problems``.

Many readers, one writer: requests read the operational store directly; every event batch (HTTP, and
NATS when ``serve`` runs the consumer too) is written by the workspace's one ``EventWriter`` thread.

Every request is logged once (``RequestLog``, logger ``chiso.web.requests``): method, path (never the query
string), status, duration, this node and the logged-in user; ``chiso.logs`` writes it as text or JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from chiso import __version__
from chiso.app import REPORTS, Workspace
from chiso.errors import WorkspaceError
from chiso.ingest.events import EventIngestor
from chiso.ingest.nats import DEFAULT_PREFIX, DURABLE, EventWriter, Relay, consume
from chiso.logs import FIELDS, SHOWN, configure, configured
from chiso.web import (
    admin,
    api,
    auth_routes,
    communes,
    downloads,
    events_api,
    extract,
    foresight,
    forms,
    indices,
    metrics,
    pages,
    reports,
    subscriptions,
    warnings,
)
from chiso.web.dashboards import Dashboards
from chiso.web.headers import SecurityHeaders, secure
from chiso.web.metrics import LoggedWriter, LogWatch, Metrics, RequestMetrics
from chiso.web.pagecache import PublicPageCache
from chiso.web.problems import install, problem_response
from chiso.web.templating import STATIC

log = logging.getLogger(__name__)
request_log = logging.getLogger("chiso.web.requests")
STOP_GRACE = 10.0  # seconds the NATS consumer gets to finish its batch at shutdown
TRUSTED_PROXIES = "CHISO_TRUSTED_PROXIES"  # env: comma-separated proxy addresses (or networks); default none


def trusted_proxies(value: str | None = None) -> list[str]:
    """The proxies whose ``X-Forwarded-For``/``-Proto`` are believed: ``value``, else ``CHISO_TRUSTED_PROXIES``."""
    raw = os.environ.get(TRUSTED_PROXIES, "") if value is None else value
    return [p.strip() for p in raw.split(",") if p.strip()]


class RequestLog:
    """One log line per request, after its answer: method, path (never the query string: it may carry a token),
    status, duration_ms, node (this server's host:port) and, when a session was read, the user's login. Headers,
    cookies and bodies are never logged. Outermost: cached answers and errors are logged too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            server = scope.get("server")
            user = (scope.get("state") or {}).get("user")
            fields: dict[str, Any] = {
                "method": scope.get("method", ""), "path": str(scope.get("path", ""))[:500], "status": status[0],
                "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                "node": f"{server[0]}:{server[1]}" if server else "",
            }
            if user is not None and getattr(user, "username", None):
                fields["user"] = user.username
            request_log.info("%s %s %s %s ms", fields["method"], fields["path"], status[0], fields["duration_ms"],
                             extra={FIELDS: fields, SHOWN: ("method", "path", "status", "duration_ms")})


def create_app(ws: Workspace, *, writer: EventWriter | None = None, max_body: int = events_api.MAX_BODY,
               proxies: list[str] | None = None, relay: Relay | None = None, nats: str | None = None,
               durable: str = DURABLE, login_limits: str | None = None) -> FastAPI:
    """The app for ``ws``. Without ``writer`` it opens its own on the first batch and closes it at shutdown.

    ``proxies`` (default: ``CHISO_TRUSTED_PROXIES``): the only client addresses whose proxy headers are
    believed; from anyone else ``X-Forwarded-For`` is ignored (the login rate limit counts the real address).
    ``nats``: the NATS of the event log; the app holds one connection to it (``LogWatch``, opened in its lifespan)
    for the writer's lag on ``/metrics``, ``/ready`` and the admin page. ``login_limits``: ``"memory"`` or
    ``"store"`` (default: ``[web] login_limits`` of chiso.toml); with ``"store"`` the failed logins at unknown
    names are counted in the store too, so every node locks them alike."""
    owned = writer is None
    w = writer if writer is not None else LoggedWriter(ws.ingestor)
    watch = LogWatch(nats, durable) if nats else None
    if login_limits is not None:  # over chiso.toml: the login limiter and the unknown names' lockouts
        ws.use_login_limits(login_limits)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if watch is not None:
            await watch.start()
        yield
        if relay is not None:
            await relay.close()
        if watch is not None:
            await watch.close()
        if owned:
            await asyncio.to_thread(w.close)

    # docs_url/redoc_url off: FastAPI's would load Swagger UI from a CDN; api.docs_router serves an offline /docs
    app = FastAPI(title="chiso", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    install(app)

    async def on_unexpected(req: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        resp = problem_response(500, "internal-error",
                                "the server failed on this request; the error is in the server log")
        secure(resp.headers, req.url.path)  # answered outside every middleware: secured here
        return resp

    app.add_exception_handler(Exception, on_unexpected)
    app.state.workspace = ws
    app.state.writer = w
    app.state.relay = relay  # a node without the event store: events accepted into NATS JetStream
    app.state.nats = nats  # the NATS this node relays to or consumes from: the writer's lag on /metrics, /ready
    app.state.durable = durable
    app.state.log_watch = watch  # the app's one NATS connection for the writer's lag
    app.state.metrics = Metrics(ws, watch, w)
    app.state.max_body = max_body
    app.state.dashboards = Dashboards(ws)  # one page data cache for the pages and the read API
    app.state.outlooks = foresight.Outlooks(app.state.dashboards)  # the overview's likely misses, made aside
    for router in (pages.router, downloads.router, api.router, api.docs_router, events_api.router,
                   auth_routes.pages_router, auth_routes.api_router, forms.pages_router, forms.api_router,
                   admin.router, reports.router, extract.router, indices.router, indices.api_router,
                   communes.router, communes.api_router, metrics.router, foresight.router, warnings.pages_router,
                   warnings.api_router, subscriptions.router, subscriptions.pages_router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    reports_dir = ws.root / REPORTS

    def version() -> tuple[int, ...]:
        # a newly written report changes the overview's link to the latest one, not the data
        stamp = reports_dir.stat().st_mtime_ns if reports_dir.is_dir() else 0
        return (*ws.store.data_version(), stamp, ws.catalogue_generation)

    app.add_middleware(PublicPageCache, version=version)
    app.add_middleware(SecurityHeaders)  # outside the page cache: cached answers get them too
    trusted = trusted_proxies() if proxies is None else proxies
    if trusted:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)  # cached answers are counted too
    app.add_middleware(RequestLog)  # outermost: every answer is logged
    return app


def _no_event_store() -> EventIngestor:
    raise WorkspaceError("this web node does not hold the event store (chiso serve --no-events): send events to "
                         "the node that writes them")


def server_config(app: FastAPI, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    """uvicorn's settings for ``app``. Its own proxy-header handling is off (by default it believes
    ``X-Forwarded-For`` from any local client); the app believes only ``CHISO_TRUSTED_PROXIES``. Its logging
    setup and access log are off: ``chiso.logs.configure`` formats every line, ``RequestLog`` logs requests."""
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, proxy_headers=False, log_config=None,
                          access_log=False)


@contextlib.contextmanager
def _quiet_signals() -> Iterator[None]:
    """uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown; catch them so the consumer and the
    writer are closed after it, instead of the process dying in between."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, lambda *_: None) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def serve(
    ws: Workspace,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    nats: str | None = None,
    events: bool = True,
    subject_prefix: str = DEFAULT_PREFIX,
    log_level: str = "info",
    login_limits: str | None = None,
    **consumer_options: Any,
) -> None:
    """Run the web app, and with ``nats`` the JetStream consumer, in this process, on one event writer.

    The writer opens first (``recover()`` repairs a crash): a second process on the same workspace is
    refused here, before the port is bound. ``consumer_options`` go to ``chiso.ingest.nats.consume``.
    ``events=False``: a web node that never opens the event store (several nodes over one operational store,
    docs/deploy.md): with ``nats`` it publishes the batches it accepts to JetStream for the one writer
    (``chiso ingest --from nats://…``), without it its event endpoints answer 503, naming the node that takes them.
    """
    if not configured():  # called without the CLI (chiso demo): plain text from log_level up
        configure("text", log_level if log_level in ("debug", "info", "warning", "error") else "info")
    writer = LoggedWriter(ws.ingestor) if events else EventWriter(_no_event_store)
    if events:
        writer.open()
    relay = Relay(nats, subject_prefix) if nats and not events else None
    app = create_app(ws, writer=writer, relay=relay, nats=nats, durable=consumer_options.get("durable", DURABLE),
                     login_limits=login_limits)
    if isinstance(writer, LoggedWriter):
        writer.watch = app.state.log_watch  # the lag in each applied batch's line, on the app's connection
    server = uvicorn.Server(server_config(app, host, port, log_level))
    failure: list[BaseException] = []

    def consumer_done(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            log.error("the NATS consumer stopped: %s; shutting down", exc)
            failure.append(exc)
            server.should_exit = True  # half a service is worse than none: let the supervisor restart it

    async def main() -> None:
        stop = asyncio.Event()
        task: asyncio.Task[Any] | None = None
        if nats and events:
            task = asyncio.create_task(consume(writer, nats, subject_prefix, stop=stop, **consumer_options))
            task.add_done_callback(consumer_done)
        try:
            await server.serve()
        finally:
            stop.set()
            if task is not None:
                # the consumer finishes the batch in hand; one stuck on the network is cancelled (its
                # unacknowledged messages are redelivered later, harmlessly)
                done, _ = await asyncio.wait({task}, timeout=STOP_GRACE)
                if not done:
                    task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    try:
        with _quiet_signals():
            asyncio.run(main())
    finally:
        writer.close()
    if failure:
        raise failure[0]
