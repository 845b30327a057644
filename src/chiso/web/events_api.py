"""Operational events over HTTP: batches in, rejects out and replayed; values and health for checking.

``POST /api/v1/events/{kind}`` answers 200 with the batch's receipt only after the batch is committed
(stored and counted in the kept aggregates): an acknowledged batch is durable. A client that got no answer
sends the batch again; that is harmless, events are stored once by ``event_id``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text as sql

from chiso.app import Workspace
from chiso.catalogue.events import EVENT_KINDS
from chiso.errors import (
    ChisoError,
    UnknownIndicatorError,
    UnknownPeriodError,
    UnknownUnitError,
    WorkspaceError,
)
from chiso.ingest.events import ALL, EventIngestor, Receipt, replay_key
from chiso.ingest.nats import EventWriter, batch_records
from chiso.store.aggregates import EventSourceRecord
from chiso.web.problems import ApiProblem

MAX_BODY = 16 * 1024 * 1024  # 16 MiB: ≈ 30,000 dossier events, far above a sane batch
BODY_TYPES = {"", "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json",
              "text/plain"}
_BATCH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/x-ndjson": {"schema": {"type": "string", "description": "one JSON event a line"}},
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
}}}
_BEARER = {"WWW-Authenticate": 'Bearer realm="chiso events"'}


def _kinds() -> str:
    return ", ".join(EVENT_KINDS)


def _check_kind(kind: str, status: int) -> None:
    """404 for the kind in the path (no such resource), 400 for the kind in a query."""
    if kind not in EVENT_KINDS:
        raise ApiProblem(status, "unknown-kind", f"kind: unknown event kind {kind!r}; expected one of: {_kinds()}")


def _bearer(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>``."""
    header = request.headers.get("authorization")
    if not header:
        raise ApiProblem(401, "unauthenticated",
                         "Authorization: missing; send `Authorization: Bearer <token>` with your source's token",
                         headers=_BEARER)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "unauthenticated", "Authorization: expected `Bearer <token>`", headers=_BEARER)
    return token.strip()


def _invalid_token() -> ApiProblem:
    return ApiProblem(401, "invalid-token", "Authorization: the token is unknown, or its source was revoked",
                      headers=_BEARER)


def _may_send(src: EventSourceRecord, kind: str) -> bool:
    return kind in src.kinds or ALL in src.kinds


async def _read_body(request: Request, limit: int) -> bytes:
    too_big = ApiProblem(413, "body-too-large", f"body: larger than {limit:,} bytes; send the events in smaller "
                                                "batches")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # stop reading as soon as the limit is passed
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def events_router(ws: Workspace, writer: EventWriter, *, max_body: int = MAX_BODY) -> APIRouter:
    r = APIRouter(prefix="/api/v1/events", tags=["events"])
    book = ws.store.events

    async def source(request: Request) -> EventSourceRecord:
        """The event source whose token is in ``Authorization: Bearer <token>``."""
        src = await run_in_threadpool(book.authenticate, _bearer(request))
        if src is None:
            raise _invalid_token()
        return src

    auth = Depends(source)  # a default, not an Annotated alias: the string annotations resolve at module level

    def as_of_now(ing: EventIngestor, request: Request) -> EventSourceRecord | None:
        """The source as it stands when the writer takes its batch (None: revoked meanwhile). A batch may wait
        behind others in the writer's queue; a revocation or a new scope made meanwhile holds for it too."""
        return ing.book.authenticate(_bearer(request))

    async def write(fn: Any) -> Any:
        try:
            return await writer.run(fn)
        except WorkspaceError as exc:  # e.g. the event store is held by another process
            raise ApiProblem(503, "event-store-unavailable", f"event store: {exc}") from exc

    @r.get("/rejects")
    def list_rejects(
        kind: Annotated[str | None, Query(description="dossier or ndxp")] = None,
        source: Annotated[str | None, Query(description="your source id (the only one you may list)")] = None,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
        src: EventSourceRecord = auth,
    ) -> dict[str, Any]:
        """The source's rejected events not yet replayed, with their reasons."""
        if kind is not None:
            _check_kind(kind, 400)
        if source is not None and source != src.id:
            raise ApiProblem(403, "forbidden-source", f"source: you may list only your own rejects ({src.id!r})")
        rows = book.rejects(kind=kind, source=src.id, limit=limit)
        return {"source": src.id, "count": len(rows), "rejects": [
            {"id": x.id, "batch": x.batch, "kind": x.kind, "received_at": x.received_at.isoformat(),
             "position": x.position, "reason": x.reason, "raw": x.raw} for x in rows]}

    @r.post("/rejects/replay")
    async def replay_rejects(
        request: Request,
        kind: Annotated[str | None, Query(description="dossier or ndxp")] = None,
        src: EventSourceRecord = auth,
    ) -> dict[str, Any]:
        """Validate the source's pending rejects again (after its scope or the catalogue was fixed)."""
        if kind is not None:
            _check_kind(kind, 400)

        def job(ing: EventIngestor) -> tuple[int, list[Receipt]] | None:
            now = as_of_now(ing, request)
            if now is None:
                return None
            pending = ing.book.rejects(kind=kind, source=now.id, limit=1_000_000)
            out = []
            for k in sorted({x.kind for x in pending if _may_send(now, x.kind)}):
                group = [x for x in pending if x.kind == k]
                # As the source itself, so its scope of units still holds; positions are the replay batch's, and
                # the rejects replayed name the batch, so those still bad are recorded once more, not lost.
                rec = ing.submit_records(k, [(i, x.raw) for i, x in enumerate(group, start=1)], now,
                                         batch_key=replay_key(x.id for x in group))
                if rec.batch is not None:
                    # the ones still bad were recorded again as rejects of this batch: close all the old ones
                    ing.book.mark_replayed([x.id for x in group], rec.batch)
                out.append(rec)
            return len(pending), out

        done = await write(job)
        if done is None:
            raise _invalid_token()
        n, receipts = done
        return {"source": src.id, "pending": n, "receipts": [x.as_dict() for x in receipts]}

    @r.post("/{kind}", openapi_extra=_BATCH_BODY)
    async def post_events(kind: str, request: Request, src: EventSourceRecord = auth) -> dict[str, Any]:
        """A batch of events: NDJSON (one event a line) or a JSON array. 200 = committed, durable."""
        _check_kind(kind, 404)
        if not _may_send(src, kind):
            raise ApiProblem(403, "kind-not-allowed",
                             f"kind: source {src.id!r} may not send {kind} events (it may send: "
                             f"{', '.join(src.kinds) or 'none'})")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in BODY_TYPES:
            raise ApiProblem(415, "unsupported-media-type",
                             f"Content-Type: {ctype!r} is not accepted; send application/x-ndjson or application/json")
        body = await _read_body(request, max_body)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiProblem(400, "invalid-encoding", f"body: not valid UTF-8 at byte {exc.start}") from exc
        try:
            records = batch_records(text, strict_array=True)
        except ValueError as exc:
            raise ApiProblem(400, "invalid-json", f"body: {exc}") from exc
        if not records:
            raise ApiProblem(400, "empty-batch", "body: no events; send NDJSON (one event a line) or a JSON array")
        def job(ing: EventIngestor) -> Receipt | None:
            now = as_of_now(ing, request)
            return None if now is None else ing.submit_records(kind, records, now)

        try:
            receipt: Receipt | None = await write(job)
        except ChisoError as exc:  # e.g. the source may no longer send this kind
            raise ApiProblem(400, "rejected-batch", str(exc)) from exc
        if receipt is None:
            raise _invalid_token()
        return receipt.as_dict()

    return r


def values_router(ws: Workspace, writer: EventWriter) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["values"])

    @r.get("/values/{code}")
    def value(
        code: str,
        unit: Annotated[str, Query(description="unit code, e.g. P01, or VN for the nation")],
        period: Annotated[str, Query(description="e.g. 2024, 2024Q1, 2024-03")],
        structure: Annotated[
            str | None,
            Query(description="answer in the unit structure of 2024, 2025 or a date (2025-07-01): a merged unit's "
                              "earlier periods are computed from its predecessors"),
        ] = None,
        estimate: Annotated[
            str | None, Query(description="with structure: an indicator code whose values weight an estimate")
        ] = None,
    ) -> dict[str, Any]:
        """An indicator's value for a unit and period, from stored values and the kept event aggregates."""
        from chiso.engine.rebase import StructureError
        from chiso.web.pages import UnknownStructureError, parse_structure

        try:
            when = parse_structure(structure)
        except UnknownStructureError as exc:
            raise ApiProblem(400, "invalid-structure", f"structure: {exc}") from exc
        if estimate is not None and when is None:
            raise ApiProblem(400, "invalid-estimate", "estimate: needs a structure to rebase into")
        try:
            return ws.engine.value(code, unit, period, structure=when, estimate=estimate).as_dict()
        except StructureError as exc:
            raise ApiProblem(400, "invalid-structure", f"unit: {exc}") from exc
        except UnknownIndicatorError as exc:
            raise ApiProblem(404, "unknown-indicator", f"code: {exc}") from exc
        except UnknownUnitError as exc:
            raise ApiProblem(400, "unknown-unit", f"unit: {exc}") from exc
        except UnknownPeriodError as exc:
            raise ApiProblem(400, "unknown-period", f"period: {exc}") from exc

    @r.get("/health")
    def health() -> dict[str, Any]:
        try:
            with ws.store.engine.connect() as conn:
                conn.execute(sql("SELECT 1"))
        except Exception as exc:
            raise ApiProblem(503, "store-unavailable", f"store: cannot be reached ({type(exc).__name__})") from exc
        return {"status": "ok", "store": ws.store.dialect, "event_writer": "open" if writer.is_open else "idle"}

    return r
