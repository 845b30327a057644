"""The simulated nation, live: NDJSON batches to a running chiso over HTTP, or to NATS JetStream.

Events go out in time order, so a live demo shows the year unfolding: each kind's batches are in time
order, and the kinds interleave batch by batch (the batch whose first event is earliest goes next).
Datetimes are ISO 8601 without offset (naive local time, as the portals send them).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime

import httpx
import pyarrow as pa

from chiso.errors import ChisoError
from chiso.simulate.nation import Kind, iter_batches

KINDS: tuple[Kind, ...] = ("dossier", "ndxp")
_RETRY_STATUS = {429, 500, 502, 503, 504}


def _check_kinds(kinds: Sequence[str]) -> list[Kind]:
    out: list[Kind] = []
    for k in kinds:
        known = [x for x in KINDS if x == k]
        if not known:
            raise ChisoError(f"unknown event kind {k!r}; expected one of: dossier, ndxp")
        out.append(known[0])
    if not out:
        raise ChisoError("no event kind to send; expected one or more of: dossier, ndxp")
    return out


def merged_batches(year: int, scale: float, *, kinds: Sequence[str] = KINDS, batch_rows: int = 1000,
                   seed: int = 2024, limit: int | None = None, off: Mapping[str, datetime] | None = None
                   ) -> Iterator[tuple[Kind, pa.RecordBatch]]:
    """(kind, batch) in time order across kinds, at most ``limit`` events in all; ``off``: units switched off from
    a time (``chiso.simulate.nation.switched_off``)."""
    ks = _check_kinds(kinds)
    its = {k: iter_batches(year, scale, seed=seed, kind=k, batch_rows=batch_rows, off=off) for k in ks}
    heads: dict[Kind, pa.RecordBatch] = {}
    for k, it in its.items():
        first = next(it, None)
        if first is not None:
            heads[k] = first
    left = limit
    while heads and (left is None or left > 0):
        k = min(heads, key=lambda x: (heads[x].column("at")[0].value, ks.index(x)))
        batch = heads[k]
        nxt = next(its[k], None)
        while nxt is not None and not nxt.num_rows:  # a batch wholly of a unit switched off
            nxt = next(its[k], None)
        if nxt is None:
            del heads[k]
        else:
            heads[k] = nxt
        if left is not None:
            batch = batch.slice(0, left)
            left -= batch.num_rows
        yield k, batch


def _iso(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def ndjson(batch: pa.RecordBatch) -> bytes:
    """One JSON object a line, nulls as null, datetimes as ISO 8601 without offset."""
    rows = batch.to_pylist()
    return "".join(json.dumps(r, default=_iso, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for r in rows).encode("utf-8")


class _Pacer:
    """Keeps the average rate at or below ``rate`` events a second (None: no limit)."""

    def __init__(self, rate: float | None) -> None:
        if rate is not None and not rate > 0:
            raise ChisoError(f"rate must be a positive number of events a second, not {rate}")
        self.rate = rate
        self.start = time.monotonic()
        self.sent = 0

    def wait_time(self, n: int) -> float:
        """Seconds to wait before sending ``n`` more events."""
        if self.rate is None:
            return 0.0
        due = self.start + self.sent / self.rate
        return max(0.0, due - time.monotonic())

    def done(self, n: int) -> None:
        self.sent += n


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str], retries: int) -> None:
    """POST one batch, again on connection errors and 5xx (the server keeps events once by event_id)."""
    for attempt in range(retries + 1):
        last = attempt == retries
        try:
            resp = client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            if last:
                raise ChisoError(f"{url}: could not send a batch after {retries + 1} attempts ({exc})") from exc
        else:
            if resp.status_code < 300:
                return
            if resp.status_code not in _RETRY_STATUS or last:
                raise ChisoError(f"{url}: HTTP {resp.status_code}: {resp.text.strip()[:300]}")
        time.sleep(min(0.2 * 2**attempt, 5.0))


def stream_http(base_url: str, token: str, year: int, scale: float, *, kinds: Sequence[str] = KINDS,
                batch_rows: int = 1000, rate: float | None = None, seed: int = 2024, limit: int | None = None,
                retries: int = 5, off: Mapping[str, datetime] | None = None) -> int:
    """POST the events as NDJSON batches to ``{base_url}/api/v1/events/{kind}``; returns the events sent.

    A batch is sent again (up to ``retries`` times, with backoff) on a connection error or a 5xx
    answer; any other error answer stops the stream with a ChisoError naming it.
    """
    pacer = _Pacer(rate)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    base = base_url.rstrip("/")
    with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as client:
        for kind, batch in merged_batches(year, scale, kinds=kinds, batch_rows=batch_rows, seed=seed, limit=limit,
                                          off=off):
            time.sleep(pacer.wait_time(batch.num_rows))
            _post(client, f"{base}/api/v1/events/{kind}", ndjson(batch), headers, retries)
            pacer.done(batch.num_rows)
    return pacer.sent


async def stream_nats(servers: str, subject_prefix: str, year: int, scale: float, *, kinds: Sequence[str] = KINDS,
                      batch_rows: int = 1000, seed: int = 2024, limit: int | None = None,
                      off: Mapping[str, datetime] | None = None) -> int:
    """Publish NDJSON batches to JetStream subjects ``{subject_prefix}.{kind}``, each awaiting its ack.

    The stream ``CHISO_EVENTS`` (subjects ``{subject_prefix}.>``) is created when missing. Each message
    carries a ``Nats-Msg-Id`` (kind, first and last event id), so JetStream drops a resent duplicate.
    """
    import nats  # the NATS client is only needed here

    from chiso.ingest.nats import ensure_stream

    nc = await nats.connect(servers=[s.strip() for s in servers.split(",") if s.strip()])
    sent = 0
    try:
        js = nc.jetstream()
        await ensure_stream(js, subject_prefix)
        for kind, batch in merged_batches(year, scale, kinds=kinds, batch_rows=batch_rows, seed=seed, limit=limit,
                                          off=off):
            for part, body in _fit(batch, int(nc.max_payload)):
                ids = part.column("event_id")
                msg_id = f"{kind}:{ids[0].as_py()}:{ids[len(ids) - 1].as_py()}"
                await js.publish(f"{subject_prefix}.{kind}", body, timeout=30.0, headers={"Nats-Msg-Id": msg_id})
                sent += part.num_rows
    finally:
        await nc.drain()
    return sent


def _fit(batch: pa.RecordBatch, max_bytes: int) -> Iterator[tuple[pa.RecordBatch, bytes]]:
    """Split a batch until each part's NDJSON fits in one NATS message: (part, its NDJSON)."""
    body = ndjson(batch)
    if batch.num_rows <= 1 or len(body) <= max_bytes:
        yield batch, body
        return
    half = batch.num_rows // 2
    yield from _fit(batch.slice(0, half), max_bytes)
    yield from _fit(batch.slice(half), max_bytes)


__all__ = ["KINDS", "merged_batches", "ndjson", "stream_http", "stream_nats"]
