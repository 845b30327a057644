"""Issue 11, hardening of the event paths: every field bounded (a bad event is one reject, never a failed batch);
idempotency scoped to the event's unit (no source shadows another's events); events outside their unit's lifetime
refused; a fuzz test of the parser."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chiso import app as core
from chiso.ingest.events import MAX_LINE, EventIngestor
from chiso.ingest.nats import batch_records
from web_support import MakeClient

NDJSON = {"Content-Type": "application/x-ndjson"}


def dossier(i: int, **kw: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"event_id": f"ev-{i}", "at": "2024-03-05T10:00:00", "source_system": "dvc-test",
                          "dossier_id": f"hs-{i}", "procedure_code": "1.001234", "unit": "P01",
                          "status": "received", "channel": "online"}
    ev.update(kw)
    return ev


def ndxp(i: int, **kw: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"event_id": f"tx-{i}", "at": "2024-03-05T10:00:00", "source_system": "ndxp",
                          "consumer_unit": "P01", "consumer_system": "dvc", "provider_unit": "BCA",
                          "provider_system": "csdl-dan-cu", "service": "tra-cuu"}
    ev.update(kw)
    return ev


def lines(events: list[dict[str, Any] | str]) -> str:
    return "\n".join(e if isinstance(e, str) else json.dumps(e) for e in events) + "\n"


def deep(n: int) -> str:
    return '{"a": ' * n + "1" + "}" * n


@pytest.fixture
def ws(sqlite_workspace: core.Workspace) -> core.Workspace:
    return sqlite_workspace


@pytest.fixture
def ing(ws: core.Workspace) -> Any:
    i = ws.ingestor()
    yield i
    i.events.close()


# 1. bounds ------------------------------------------------------------------------------------------------
BAD_LINES: list[tuple[str, str]] = [
    (json.dumps(dossier(2, fee=2**63)), "fee"),
    (json.dumps(dossier(3, fee=10**400)), "fee"),
    (json.dumps(dossier(4, documents=2**70, documents_reused=0)), "documents"),
    (json.dumps(dossier(5, paused_days=1e308)), "paused_days"),
    (json.dumps(dossier(6, due_at="9999-12-31T23:59:59", status="result_issued", paused_days=30)), "due_at"),
    (json.dumps(dossier(7)).replace('"ev-7"', '"\\ud800"'), "event_id"),
    (deep(1000), "nested"),
    (deep(20_000), "nested"),
    ("[" * 5000 + "]" * 5000, "nested"),
    (json.dumps(dossier(8, subunit="x" * 500)), "subunit"),
    (json.dumps(dossier(9, source_system="s" * (MAX_LINE + 10))), "longer"),
]


def test_one_bad_event_is_one_reject_never_a_failed_batch(ing: EventIngestor) -> None:
    body = lines([dossier(1), *(text for text, _ in BAD_LINES), dossier(99)])
    r = ing.submit_ndjson("dossier", body, "test")
    assert (r.accepted, r.rejected) == (2, len(BAD_LINES)), r.rejects
    for (pos, reason), (_, word) in zip(r.rejects, BAD_LINES, strict=True):
        assert word in reason, (pos, reason)
    assert ing.events.count("dossier") == 2


def test_portal_record_overflow_is_a_reject(ing: EventIngestor) -> None:
    rec = {"MaHoSo": "H1", "MaTTHC": "1.1", "TrangThaiHoSo": "1", "MaDonVi": "P01", "NgayTiepNhan": "20240305100000",
           "DanhSachLePhi": [{"Gia": "1e400"}]}
    rec2 = {**rec, "MaHoSo": "H2", "DanhSachLePhi": ["not an object"]}
    r = ing.submit_records("dossier", [(1, json.dumps(rec)), (2, rec2), (3, json.dumps(dossier(1)))], "test")
    assert (r.accepted, r.rejected) == (1, 2), r.rejects


def test_http_batch_with_bad_events_answers_200(ws: core.Workspace, make_client: MakeClient) -> None:
    token = ws.store.events.add_source("dvc-hn", "Hà Nội", ["P01"], ["dossier"])
    c = make_client(ws)
    hdr = {**NDJSON, "Authorization": f"Bearer {token}"}
    r = c.post("/api/v1/events/dossier", content=lines([dossier(1), dossier(2, fee=2**63), deep(1000)]), headers=hdr)
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (1, 2)
    # a JSON array nested too deep is not a 500 either; its elements are judged one by one
    arr = "[" + json.dumps(dossier(3)) + ", " + deep(5000) + "]"
    r = c.post("/api/v1/events/dossier", content=arr,
               headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (1, 1)


def test_batch_records_never_raises_on_depth() -> None:
    assert [p for p, _ in batch_records("[" + json.dumps(dossier(1)) + "," + deep(5000) + "]")] == [1, 2]
    assert len(batch_records(deep(5000))) == 1


def test_file_path_bounds(ing: EventIngestor, tmp_path: Path) -> None:
    d = tmp_path / "dossier"
    d.mkdir()
    rows = [dossier(1), dossier(2, fee=10**13), dossier(3, subunit="x" * 500), dossier(4, at="2099-01-01T00:00:00")]
    pq.write_table(pa.Table.from_pylist([{"fee": 0, "subunit": None, **x} for x in rows]), d / "a.parquet")
    r = ing.ingest_file(d / "a.parquet")
    assert (r.accepted, r.rejected) == (1, 3), r.rejects
    (d / "b.ndjson").write_text(lines([dossier(5), dossier(6, fee=2**63)]))
    r = ing.ingest_file(d / "b.ndjson")
    assert (r.accepted, r.rejected) == (1, 1), r.rejects


# 2. idempotency per unit -----------------------------------------------------------------------------------
def test_an_id_of_another_unit_does_not_shadow(ws: core.Workspace, ing: EventIngestor) -> None:
    book = ws.store.events
    book.add_source("dvc-hn", "Hà Nội", ["P01"], ["dossier", "ndxp"])
    book.add_source("dvc-hcm", "HCM", ["P79"], ["dossier", "ndxp"])
    src = {s.id: s for s in book.sources()}
    # P79's source sends first an id that P01 will use (portal ids are predictable)
    first = ing.submit_records("dossier", [(1, dossier(1, unit="P79"))], src["dvc-hcm"])
    assert first.accepted == 1
    real = ing.submit_records("dossier", [(1, dossier(1)), (2, dossier(1))], src["dvc-hn"])
    assert (real.accepted, real.duplicates) == (1, 1)
    again = ing.submit_records("dossier", [(1, dossier(1))], src["dvc-hn"])
    assert (again.accepted, again.duplicates) == (0, 1)
    tx = ing.submit_records("ndxp", [(1, ndxp(1, consumer_unit="P79", provider_unit="P79"))], src["dvc-hcm"])
    tx2 = ing.submit_records("ndxp", [(1, ndxp(1, provider_unit="P01"))], src["dvc-hn"])
    assert (tx.accepted, tx2.accepted) == (1, 1)
    daily, _ = ing.recompute()
    assert {(m, u, d): v for m, u, d, v in zip(*(daily[c].to_pylist() for c in ("measure", "unit", "day", "value")),
                                                strict=True)} == ing.book.all_daily()


# 4. lifetime -------------------------------------------------------------------------------------------------
def test_events_outside_the_units_lifetime(ws: core.Workspace, ing: EventIngestor) -> None:
    cat = ws.catalogue
    new = next(u for u in cat.units.values() if u.valid_from is not None and len(cat.predecessors(u)) > 1
               and not cat.components(u) and not u.is_local)  # an event's unit: a ministry or province
    later = datetime.now().replace(year=datetime.now().year + 1).isoformat(timespec="seconds")
    r = ing.submit_records("dossier", [
        (1, dossier(1, unit=new.code, at="2024-05-01T10:00:00")),  # before it existed, several predecessors
        (2, dossier(2, at="2099-01-01T00:00:00")),
        (3, dossier(3, at=later)),
        (4, dossier(4, unit=new.code, at=f"{new.valid_from.isoformat()}T10:00:00")),  # type: ignore[union-attr]
    ], "test")
    assert r.accepted == 1, r.rejects
    reasons = dict(r.rejects)
    assert "before" in reasons[1] and new.code in reasons[1]
    assert "future" in reasons[2] and "future" in reasons[3]


def test_lifetime_on_the_file_path(ws: core.Workspace, ing: EventIngestor, tmp_path: Path) -> None:
    cat = ws.catalogue
    new = next(u for u in cat.units.values() if u.valid_from is not None and len(cat.predecessors(u)) > 1
               and not cat.components(u) and not u.is_local)  # an event's unit: a ministry or province
    d = tmp_path / "dossier"
    d.mkdir()
    rows = [dossier(1, unit=new.code, at="2024-05-01T10:00:00"), dossier(2, at="2099-01-01T00:00:00"), dossier(3)]
    pq.write_table(pa.Table.from_pylist(rows), d / "a.parquet")
    r = ing.ingest_file(d / "a.parquet")
    assert r.accepted == 1, r.rejects
    reasons = dict(r.rejects)
    assert "before" in reasons[1] and "future" in reasons[2]


# 5. fuzz -------------------------------------------------------------------------------------------------------
_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                    st.sampled_from([2**63, -(2**63) - 1, 10**400, "9999-12-31T23:59:59+14:00", "0001-01-01",
                                     "2099-01-01T00:00:00", "\ud800", "x" * 300]))
_values = st.recursive(_scalar, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c,
                                                                                      max_size=3), max_leaves=8)
_field = st.sampled_from([*dossier(0), "fee", "documents", "documents_reused", "paused_days", "due_at", "rating",
                          "paid_online", "MaHoSo", "TrangThaiHoSo", "MaTTHC", "DanhSachLePhi", "TaiLieuNop"])
_event = st.builds(lambda base, over: json.dumps({**base, **over}),
                   st.builds(dossier, st.integers(0, 10**6)), st.dictionaries(_field, _values, max_size=4))
_line = st.one_of(_event, st.text(max_size=60), _values.map(json.dumps), st.integers(1, 3000).map(deep))


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(_line, min_size=1, max_size=6))
def test_fuzz_every_line_accepted_or_rejected_with_a_reason(sqlite_workspace: core.Workspace,
                                                            batch: list[str]) -> None:
    ing = sqlite_workspace.ingestor()
    try:
        body = "\n".join(x.replace("\n", " ").replace("\r", " ") for x in batch)
        expected = [i for i, x in enumerate(body.splitlines(), start=1) if x.strip()]
        before = ing.events.count("dossier")
        r = ing.submit_ndjson("dossier", body, "fuzz")
        assert r.received == len(expected)
        assert r.accepted + r.duplicates + r.rejected == r.received
        assert all(reason for _, reason in r.rejects)
        assert ing.events.count("dossier") == before + r.accepted
    finally:
        ing.events.close()


# 3. what a source may assert about the other party ---------------------------------------------------------------
def test_a_source_cannot_raise_another_units_connection_points(ws: core.Workspace, ing: EventIngestor) -> None:
    book = ws.store.events
    book.add_source("dvc-hn", "Hà Nội", ["P01"], ["ndxp"])
    hn = {s.id: s for s in book.sources()}["dvc-hn"]
    # the platform's own feed (unscoped) has seen BCA's population database since 4 March
    ing.submit_records("ndxp", [(1, ndxp(0, consumer_unit="P79", at="2024-03-04T09:00:00"))], "ndxp-platform")
    r = ing.submit_records("ndxp", [
        (1, ndxp(1)),  # P01 consumes BCA's known endpoint: its own transaction, accepted
        (2, ndxp(2, provider_unit="P79", provider_system="fake-1")),  # another province's new endpoint: refused
        (3, ndxp(3, provider_system="fake-2")),  # a new endpoint of BCA: refused
        (4, ndxp(4, at="2024-03-01T10:00:00")),  # BCA's endpoint before it was first seen: refused (no backdating)
        (5, ndxp(5, provider_unit="P01", provider_system="own")),  # its own unit as provider: accepted
    ], hn)
    assert r.accepted == 2, r.rejects
    assert [p for p, _ in r.rejects] == [2, 3, 4]
    assert all(reason.startswith("provider_unit: this source may not report for") for _, reason in r.rejects)
    seen = ing.book.all_first_seen()
    assert not any(u == "P79" and k.startswith("fake") for (_, u, k) in seen)
    assert not any(k == "fake-2" for (_, _, k) in seen)
    # the file path (a chunk submitted as the source) says the same
    rows = [ndxp(11), ndxp(12, provider_unit="P79", provider_system="fake-1"), ndxp(13, at="2024-03-01T10:00:00")]
    r2 = ing.submit_arrow("ndxp", pa.Table.from_pylist(rows), hn)
    assert r2.accepted == 1, r2.rejects
    assert [p for p, _ in r2.rejects] == [2, 3]
    assert dict(r2.rejects)[2] == dict(r.rejects)[2]


class _Msg:
    """A JetStream message, as ``ingest.nats._handle`` uses it."""

    def __init__(self, subject: str, data: bytes) -> None:
        self.subject, self.data, self.done = subject, data, ""

    async def ack(self) -> None:
        self.done = "ack"

    async def nak(self, delay: float | None = None) -> None:
        self.done = "nak"

    async def term(self) -> None:
        self.done = "term"


def test_nats_message_with_bad_events_is_acknowledged(ing: EventIngestor) -> None:
    import asyncio

    from chiso.ingest.nats import ConsumeStats, EventWriter, _handle

    writer = EventWriter.of(ing)
    try:
        for body in (lines([dossier(1), dossier(2, fee=2**63), deep(1000)]),
                     "[" + json.dumps(dossier(3)) + "," + deep(5000) + "]"):
            msg, stats = _Msg("chiso.events.dossier", body.encode()), ConsumeStats()
            asyncio.run(_handle(msg, writer, "chiso.events", stats, 0.1))
            assert msg.done == "ack" and stats.accepted == 1 and stats.rejected >= 1, (msg.done, stats)
    finally:
        writer.close()
