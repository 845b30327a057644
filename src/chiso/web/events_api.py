"""Operational events over HTTP: batches in, rejects out and replayed (values and health are in ``web.api``).

``POST /api/v1/events/{kind}`` answers 200 with the batch's receipt only after the batch is committed
(stored and counted in the kept aggregates): an acknowledged batch is durable. A client that got no answer
sends the batch again; that is harmless, events are stored once by their unit and ``event_id``.

The routes are ``router``; they authenticate the event source by its token on every request, and write
through the app's one event writer (``web.deps.writer``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar, get_args

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from chiso.catalogue.events import EVENT_KINDS
from chiso.errors import ChisoError, HttpProblem, WorkspaceError
from chiso.ingest.events import ALL, EventIngestor, Receipt, replay_key
from chiso.ingest.nats import EventWriter, Relay, batch_records
from chiso.store.aggregates import EventSourceRecord
from chiso.web.deps import WorkspaceDep, WriterDep
from chiso.web.problems import responses

T = TypeVar("T")

MAX_BODY = 16 * 1024 * 1024  # 16 MiB: ≈ 30,000 dossier events, far above a sane batch
BODY_TYPES = {"", "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json",
              "text/plain"}
_BATCH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/x-ndjson": {"schema": {"type": "string", "description": "one JSON event a line"}},
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
}}}
_BEARER = {"WWW-Authenticate": 'Bearer realm="chiso events"'}

# The event kinds, a closed set in the OpenAPI description: the catalogue's EVENT_KINDS.
EventKind = Literal["dossier", "ndxp"]
KINDS: tuple[str, ...] = get_args(EventKind)
assert set(KINDS) == set(EVENT_KINDS), "EventKind is the catalogue's EVENT_KINDS"


def _bearer(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>``."""
    header = request.headers.get("authorization")
    if not header:
        raise HttpProblem(401, "unauthenticated",
                          "Authorization: missing; send `Authorization: Bearer <token>` with your source's token",
                          headers=_BEARER)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HttpProblem(401, "unauthenticated", "Authorization: expected `Bearer <token>`", headers=_BEARER)
    return token.strip()


def _invalid_token() -> HttpProblem:
    return HttpProblem(401, "invalid-token", "Authorization: the token is unknown, or its source was revoked",
                       headers=_BEARER)


def source(request: Request, ws: WorkspaceDep) -> EventSourceRecord:
    """Dependency: the event source whose token is in ``Authorization: Bearer <token>`` (401 otherwise)."""
    src = ws.store.events.authenticate(_bearer(request))
    if src is None:
        raise _invalid_token()
    return src


def body_limit(request: Request) -> int:
    """Dependency: the largest batch body the app takes, in bytes (``create_app(max_body=…)``)."""
    return int(getattr(request.app.state, "max_body", MAX_BODY))


Source = Annotated[EventSourceRecord, Depends(source)]
BodyLimit = Annotated[int, Depends(body_limit)]


def _may_send(src: EventSourceRecord, kind: str) -> bool:
    return kind in src.kinds or ALL in src.kinds


def _as_of_now(ing: EventIngestor, request: Request) -> EventSourceRecord | None:
    """The source as it stands when the writer takes its batch (None: revoked meanwhile). A batch may wait
    behind others in the writer's queue; a revocation or a new scope made meanwhile holds for it too."""
    return ing.book.authenticate(_bearer(request))


async def _write(writer: EventWriter, fn: Callable[[EventIngestor], T]) -> T:
    try:
        return await writer.run(fn)
    except WorkspaceError as exc:  # e.g. the event store is held by another process
        raise HttpProblem(503, "event-store-unavailable", f"event store: {exc}") from exc


async def _read_body(request: Request, limit: int) -> bytes:
    too_big = HttpProblem(413, "body-too-large", f"body: larger than {limit:,} bytes; send the events in smaller "
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


router = APIRouter(prefix="/api/v1/events", tags=["events"])


@router.get("/rejects", responses=responses(400, 401, s403="another source's rejects"))
def list_rejects(
    ws: WorkspaceDep,
    src: Source,
    kind: Annotated[EventKind | None, Query(description="only the rejects of this event kind")] = None,
    source: Annotated[str | None, Query(description="your source id (the only one you may list)")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> dict[str, Any]:
    """The source's rejected events not yet replayed, with their reasons."""
    if source is not None and source != src.id:
        raise HttpProblem(403, "forbidden-source", f"source: you may list only your own rejects ({src.id!r})")
    rows = ws.store.events.rejects(kind=kind, source=src.id, limit=limit)
    return {"source": src.id, "count": len(rows), "rejects": [
        {"id": x.id, "batch": x.batch, "kind": x.kind, "received_at": x.received_at.isoformat(),
         "position": x.position, "reason": x.reason, "raw": x.raw} for x in rows]}


@router.post("/rejects/replay", responses=responses(400, 401, 503))
async def replay_rejects(
    request: Request,
    writer: WriterDep,
    src: Source,
    kind: Annotated[EventKind | None, Query(description="only the rejects of this event kind")] = None,
) -> dict[str, Any]:
    """Validate the source's pending rejects again (after its scope or the catalogue was fixed)."""

    def job(ing: EventIngestor) -> tuple[int, list[Receipt]] | None:
        now = _as_of_now(ing, request)
        if now is None:
            return None
        # a commune reject (dossier.subunit) is never replayed: its event is stored and counts for its province
        pending = [x for x in ing.book.rejects(kind=kind, source=now.id, limit=1_000_000) if x.kind in KINDS]
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

    done = await _write(writer, job)
    if done is None:
        raise _invalid_token()
    n, receipts = done
    return {"source": src.id, "pending": n, "receipts": [x.as_dict() for x in receipts]}


# The kind in the path is listed as an enum in the description, yet read as any text: an unknown kind is no
# such resource (404), not an invalid request.
KindPath = Annotated[str, Path(description="the event kind", json_schema_extra={"enum": list(KINDS)})]


@router.post("/{kind}", openapi_extra=_BATCH_BODY, responses=responses(
    400, 401, s403="the source may not send this kind", s404="no such event kind", s413="the body is too large",
    s415="not NDJSON or JSON", s503="the event store is held by another process"))
async def post_events(kind: KindPath, request: Request, response: Response, writer: WriterDep, src: Source,
                      max_body: BodyLimit) -> dict[str, Any]:
    """A batch of events: NDJSON (one event a line) or a JSON array. 200 = committed, durable; 202 (a web node
    relaying to the event log) = in NATS JetStream, durable, applied by the writer shortly."""
    if kind not in EVENT_KINDS:
        raise HttpProblem(404, "unknown-kind",
                          f"kind: unknown event kind {kind!r}; expected one of: {', '.join(EVENT_KINDS)}")
    if not _may_send(src, kind):
        raise HttpProblem(403, "kind-not-allowed",
                          f"kind: source {src.id!r} may not send {kind} events (it may send: "
                          f"{', '.join(src.kinds) or 'none'})")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in BODY_TYPES:
        raise HttpProblem(415, "unsupported-media-type",
                          f"Content-Type: {ctype!r} is not accepted; send application/x-ndjson or application/json")
    body = await _read_body(request, max_body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpProblem(400, "invalid-encoding", f"body: not valid UTF-8 at byte {exc.start}") from exc
    try:
        records = batch_records(text, strict_array=True)
    except ValueError as exc:
        raise HttpProblem(400, "invalid-json", f"body: {exc}") from exc
    if not records:
        raise HttpProblem(400, "empty-batch", "body: no events; send NDJSON (one event a line) or a JSON array")
    relay: Relay | None = getattr(request.app.state, "relay", None)
    if relay is not None:
        try:
            seq = await relay.publish(kind, body, src.id)
        except Exception as exc:  # NATS down or slow: nothing was taken, the client sends again
            raise HttpProblem(503, "log-unavailable", f"the event log did not take the batch: {exc}") from exc
        response.status_code = 202
        return {"status": "logged", "kind": kind, "events": len(records), "log_seq": seq}

    def job(ing: EventIngestor) -> Receipt | None:
        now = _as_of_now(ing, request)
        return None if now is None else ing.submit_records(kind, records, now)

    try:
        receipt = await _write(writer, job)
    except HttpProblem:
        raise
    except ChisoError as exc:  # e.g. the source may no longer send this kind
        raise HttpProblem(400, "rejected-batch", str(exc)) from exc
    if receipt is None:
        raise _invalid_token()
    return receipt.as_dict()
