"""Events over HTTP: token auth and scope, receipts only after commit, rejects with reasons, idempotent
resends, late events in their own month, national-portal records; errors as problem details."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from chiso import app as core
from web_support import MakeClient

EVENT_TABLES = "event_agg, event_first_seen, event_batch, event_source, event_reject"
NDJSON = {"Content-Type": "application/x-ndjson"}


def dossier(i: int, **kw: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"event_id": f"ev-{i}", "at": "2024-03-05T10:00:00", "source_system": "dvc-test",
                          "dossier_id": f"hs-{i}", "procedure_code": "1.001234", "unit": "P01",
                          "status": "received", "channel": "online"}
    ev.update(kw)
    return ev


def ndjson(events: list[dict[str, Any] | str]) -> str:
    return "\n".join(e if isinstance(e, str) else json.dumps(e) for e in events) + "\n"


def _clear_events(ws: core.Workspace) -> None:
    # conftest empties only the value tables on PostgreSQL; the event tables outlive a test there
    if ws.store.dialect == "postgresql":
        with ws.store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {EVENT_TABLES} RESTART IDENTITY"))


@pytest.fixture
def ws_both(workspace: core.Workspace) -> Iterator[core.Workspace]:
    """A workspace on SQLite and on PostgreSQL."""
    _clear_events(workspace)
    yield workspace
    _clear_events(workspace)


@pytest.fixture
def ws(sqlite_workspace: core.Workspace) -> core.Workspace:
    return sqlite_workspace


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def value(c: TestClient, code: str, unit: str, period: str) -> dict[str, Any]:
    r = c.get(f"/api/v1/values/{code}", params={"unit": unit, "period": period})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def stored(c: TestClient, kind: str = "dossier") -> int:
    writer = c.app.state.writer  # type: ignore[attr-defined]
    return int(writer.call(lambda ing: ing.events.count(kind)))


def assert_problem(r: Any, status: int, field: str | None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    if field is not None:
        assert body["detail"].startswith(f"{field}:"), body["detail"]  # the message names the field at fault
    return body


def test_tokens_scope_and_limits(ws: core.Workspace, make_client: MakeClient) -> None:
    book = ws.store.events
    token = book.add_source("dvc-hn", "Cổng DVC Hà Nội", ["P01"], ["dossier"])
    body = ndjson([dossier(1), dossier(2, unit="P79")])
    c = make_client(ws, max_body=64 * 1024)
    r = c.post("/api/v1/events/dossier", content=body, headers=NDJSON)
    assert_problem(r, 401, "Authorization")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert_problem(c.post("/api/v1/events/dossier", content=body, headers={"Authorization": f"Basic {token}"}),
                   401, "Authorization")
    assert_problem(c.post("/api/v1/events/dossier", content=body, headers=auth("chiso_not-a-token")),
                   401, "Authorization")
    assert_problem(c.get("/api/v1/events/rejects"), 401, "Authorization")
    assert_problem(c.post("/api/v1/events/ndxp", content=body, headers=auth(token)), 403, "kind")
    assert_problem(c.post("/api/v1/events/parcels", content=body, headers=auth(token)), 404, "kind")
    big = ndjson([dossier(i) for i in range(400)])  # ≈ 90 KB, over the 64 KiB limit of this app
    assert_problem(c.post("/api/v1/events/dossier", content=big, headers=auth(token)), 413, "body")
    assert_problem(c.post("/api/v1/events/dossier", content=body,
                          headers={**auth(token), "Content-Type": "text/csv"}), 415, "Content-Type")
    assert stored(c) == 0  # nothing refused above was written

    # the source's scope of units holds: P79 is not Hà Nội's to report
    r = c.post("/api/v1/events/dossier", content=body, headers={**auth(token), **NDJSON})
    assert r.status_code == 200, r.text
    rec = r.json()
    assert (rec["received"], rec["accepted"], rec["rejected"]) == (2, 1, 1)
    assert rec["rejects"] == [{"position": 2, "reason": "unit: this source may not report for 'P79'"}]
    assert c.get("/api/v1/health").json()["status"] == "ok"

    assert book.revoke_source("dvc-hn")
    assert_problem(c.post("/api/v1/events/dossier", content=ndjson([dossier(3)]), headers=auth(token)),
                   401, "Authorization")
    assert stored(c) == 1


def test_batch_with_bad_events_and_resend(ws_both: core.Workspace, make_client: MakeClient) -> None:
    ws = ws_both
    token = ws.store.events.add_source("dvc-all", "All provinces", ["*"], ["dossier", "ndxp"])
    good = [
        dossier(1, unit="P01", channel="online"),
        dossier(2, unit="P01", channel="in_person"),
        dossier(3, unit="P01", channel="online", at="2024-03-31T23:59:59"),
        dossier(4, unit="P79", channel="postal"),
        dossier(5, unit="P01", status="result_issued", channel="online", at="2024-03-20T09:00:00",
                due_at="2024-03-25T17:00:00", e_result=True),
        dossier(6, unit="P01", status="result_issued", channel="online", at="2024-03-28T09:00:00",
                due_at="2024-03-25T17:00:00"),
    ]
    bad: list[dict[str, Any] | str] = [
        '{"event_id": "broken", "at": ',
        dossier(7, status="lost"),
        dossier(8, documents=1, documents_reused=3),
        {k: v for k, v in dossier(9).items() if k != "at"},
        dossier(10, unit="P99"),
        "[1, 2]",
    ]
    batch = [good[0], bad[0], good[1], bad[1], good[2], bad[2], good[3], bad[3], good[4], bad[4], good[5], bad[5]]
    c = make_client(ws)
    r = c.post("/api/v1/events/dossier", content=ndjson(batch), headers={**auth(token), **NDJSON})
    t0 = time.monotonic()
    assert r.status_code == 200, r.text
    rec = r.json()
    assert (rec["kind"], rec["received"], rec["accepted"], rec["duplicates"], rec["rejected"]) == (
        "dossier", 12, 6, 0, 6)
    reasons = {x["position"]: x["reason"] for x in rec["rejects"]}
    assert sorted(reasons) == [2, 4, 6, 8, 10, 12]
    assert reasons[2].startswith("not valid JSON")
    assert reasons[4].startswith("status:")
    assert reasons[6] == "documents_reused (3) is above documents (1)" or "documents_reused" in reasons[6]
    assert reasons[8] == "at: Field required"
    assert reasons[10] == "unit: 'P99' is not a ministry or province of the catalogue"
    assert reasons[12] == "expected a JSON object"

    # acknowledged means counted: the answer has the batch at once
    online = value(c, "dossier_online_submission_rate", "P01", "2024-03")
    assert time.monotonic() - t0 < 1.0
    assert (online["numerator"], online["denominator"], online["value"]) == (2.0, 3.0, pytest.approx(66.67))
    on_time = value(c, "dossier_on_time_rate", "P01", "2024-03")
    assert (on_time["numerator"], on_time["denominator"]) == (1.0, 2.0)

    listed = c.get("/api/v1/events/rejects", params={"kind": "dossier"}, headers=auth(token)).json()
    assert listed["source"] == "dvc-all" and listed["count"] == 6
    assert [x["position"] for x in listed["rejects"]] == [2, 4, 6, 8, 10, 12]
    assert all(x["reason"] and x["raw"] and x["batch"] == rec["batch"] for x in listed["rejects"])
    other = ws.store.events.add_source("other", "Other", ["*"], ["dossier"])
    assert c.get("/api/v1/events/rejects", headers=auth(other)).json()["count"] == 0
    assert_problem(c.get("/api/v1/events/rejects", params={"source": "dvc-all"}, headers=auth(other)),
                   403, "source")

    # the same batch again: nothing new is stored or counted
    before = (stored(c), ws.store.events.all_daily())
    r2 = c.post("/api/v1/events/dossier", content=ndjson(batch), headers={**auth(token), **NDJSON})
    assert r2.status_code == 200
    rec2 = r2.json()
    assert (rec2["received"], rec2["accepted"], rec2["duplicates"], rec2["rejected"]) == (12, 0, 6, 6)
    assert (stored(c), ws.store.events.all_daily()) == before
    assert value(c, "dossier_online_submission_rate", "P01", "2024-03") == online
    assert value(c, "dossier_on_time_rate", "P01", "2024-03") == on_time


def test_late_events_land_in_their_month(ws: core.Workspace, make_client: MakeClient) -> None:
    token = ws.store.events.add_source("dvc", "DVC", ["*"], ["dossier"])
    march = [dossier(i, at=f"2024-03-{10 + i:02d}T08:00:00", channel="online") for i in range(4)]
    # sent later, dated earlier, and out of order within the batch
    january = [dossier(100 + i, at=f"2024-01-{28 - 3 * i:02d}T08:00:00",
                       channel="online" if i % 2 else "in_person") for i in range(5)]
    c = make_client(ws)
    assert c.post("/api/v1/events/dossier", content=ndjson(march), headers=auth(token)).status_code == 200
    m_before = value(c, "dossier_online_submission_rate", "P01", "2024-03")
    assert value(c, "dossier_online_submission_rate", "P01", "2024-01")["value"] is None
    r = c.post("/api/v1/events/dossier", content=json.dumps(january),  # a JSON array this time
               headers={**auth(token), "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["accepted"] == 5
    jan = value(c, "dossier_online_submission_rate", "P01", "2024-01")
    assert (jan["numerator"], jan["denominator"]) == (2.0, 5.0)
    assert value(c, "dossier_online_submission_rate", "P01", "2024-03") == m_before
    q1 = value(c, "dossier_online_submission_rate", "P01", "2024Q1")
    assert (q1["numerator"], q1["denominator"]) == (6.0, 9.0)
    c.post("/api/v1/events/dossier", content=ndjson([dossier(200, unit="P79", at="2024-01-02T08:00:00")]),
           headers=auth(token))
    nation = value(c, "dossier_online_submission_rate", "VN", "2024-01")  # every unit's events
    assert (nation["numerator"], nation["denominator"]) == (3.0, 6.0)
    assert (m_before["numerator"], m_before["denominator"]) == (4.0, 4.0)


def test_national_portal_record_is_mapped(ws: core.Workspace, make_client: MakeClient) -> None:
    token = ws.store.events.add_source("dvc-qg", "Cổng DVC quốc gia", ["*"], ["dossier"])
    record = {
        "MaHoSo": "000.00.01.H26-240305-0001", "MaTTHC": "1.004227", "MaDonVi": "P01", "KenhThucHien": "2",
        "TrangThaiHoSo": "4", "NgayTiepNhan": "20240305080000", "NgayHenTra": "20240315170000",
        "NgayKetThucXuLy": "20240312103000", "HoSoCoThanhPhanSoHoa": "1",
        "TaiLieuNop": [{"TenTepDinhKem": "don.pdf", "DuocTaiSuDung": "1"}, {"TenTepDinhKem": "cccd.pdf"}],
        "DanhSachGiayToKetQua": [{"DuongDanTepTinKetQua": "https://dvc.example/kq.pdf"}],
    }
    unknown_status = {**record, "MaHoSo": "000.00.01.H26-240305-0002", "TrangThaiHoSo": "99"}
    c = make_client(ws)
    r = c.post("/api/v1/events/dossier", content=json.dumps([record, unknown_status]),
               headers={**auth(token), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    rec = r.json()
    assert (rec["accepted"], rec["rejected"]) == (1, 1)
    assert rec["rejects"][0]["reason"] == "portal record: TrangThaiHoSo '99' is not a known status"
    e_result = value(c, "e_result_rate", "P01", "2024-03")
    assert (e_result["numerator"], e_result["denominator"]) == (1.0, 1.0)
    on_time = value(c, "dossier_on_time_rate", "P01", "2024-03")  # finished on the 12th, due the 15th
    assert (on_time["numerator"], on_time["denominator"]) == (1.0, 1.0)
    digitised = value(c, "dossier_digitisation_rate", "P01", "2024-03")
    assert (digitised["numerator"], digitised["denominator"]) == (1.0, 1.0)
    # the same record again (a portal re-sync) is the same event
    again = c.post("/api/v1/events/dossier", content=json.dumps(record), headers=auth(token)).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)


def test_replay_keeps_the_scope_and_does_not_pile_up(ws: core.Workspace, make_client: MakeClient) -> None:
    token = ws.store.events.add_source("dvc-hn", "Hà Nội", ["P01"], ["dossier"])
    c = make_client(ws)
    body = ndjson([dossier(1), dossier(2, unit="P79")])
    assert c.post("/api/v1/events/dossier", content=body, headers=auth(token)).json()["rejected"] == 1
    r = c.post("/api/v1/events/rejects/replay", headers=auth(token))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["pending"] == 1 and out["receipts"][0]["accepted"] == 0  # still outside the source's scope
    listed = c.get("/api/v1/events/rejects", headers=auth(token)).json()
    assert listed["count"] == 1 and listed["rejects"][0]["reason"] == "unit: this source may not report for 'P79'"
    assert stored(c) == 1


def test_errors_are_problem_details(ws: core.Workspace, make_client: MakeClient) -> None:
    token = ws.store.events.add_source("dvc", "DVC", ["*"], ["dossier"])
    c = make_client(ws)
    assert_problem(c.post("/api/v1/events/dossier", content="[{\"event_id\": 1,", headers=auth(token)),
                   400, "body")
    assert_problem(c.post("/api/v1/events/dossier", content="\n \n", headers=auth(token)), 400, "body")
    assert_problem(c.post("/api/v1/events/dossier", content=b"\xff\xfe{}", headers=auth(token)), 400, "body")
    assert_problem(c.get("/api/v1/values/no_such_indicator", params={"unit": "P01", "period": "2024"}),
                   404, "code")
    assert_problem(c.get("/api/v1/values/dossier_on_time_rate", params={"unit": "P404", "period": "2024"}),
                   400, "unit")
    assert_problem(c.get("/api/v1/values/dossier_on_time_rate", params={"unit": "P01", "period": "soon"}),
                   400, "period")
    assert_problem(c.get("/api/v1/values/dossier_on_time_rate", params={"unit": "P01"}), 400, "period")
    assert_problem(c.get("/api/v1/events/rejects", params={"kind": "x"}, headers=auth(token)), 400, "kind")


def test_a_batch_stored_but_not_counted_is_counted_at_once(ws: core.Workspace, monkeypatch: pytest.MonkeyPatch,
                                                           make_client: MakeClient) -> None:
    """Step 4 fails after step 3 committed: the answer is an error (not acknowledged), yet the writer counts
    the stored batch straight away instead of at the next start; the client's resend changes nothing."""
    from chiso.store.aggregates import EventBook

    token = ws.store.events.add_source("dvc", "DVC", ["*"], ["dossier"])
    real, calls = EventBook.apply, []

    def flaky(self: EventBook, *args: Any, **kw: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("connection reset")
        real(self, *args, **kw)

    monkeypatch.setattr(EventBook, "apply", flaky)
    body = ndjson([dossier(i, channel="online" if i % 2 else "postal") for i in range(6)])
    c = make_client(ws, raise_server_exceptions=False)
    r = c.post("/api/v1/events/dossier", content=body, headers=auth(token))
    assert "server log" in assert_problem(r, 500, None)["detail"]
    assert len(calls) == 2  # the failed apply, then recover()
    rate = value(c, "dossier_online_submission_rate", "P01", "2024-03")
    assert (rate["numerator"], rate["denominator"]) == (3.0, 6.0)
    again = c.post("/api/v1/events/dossier", content=body, headers=auth(token)).json()
    assert (again["accepted"], again["duplicates"]) == (0, 6)
    assert value(c, "dossier_online_submission_rate", "P01", "2024-03") == rate
