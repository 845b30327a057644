"""Operational events: validation and rejects, idempotency, late events, recovery, computed answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chiso import app as core
from chiso.ingest.events import EventIngestor
from chiso.store.events import EventStore, arrow_schema

T0 = datetime(2024, 4, 1, 8, 0)


def dossier(i: int, unit: str, status: str = "received", *, at: datetime | None = None, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": f"d{i}-{status}",
        "at": (at or T0 + timedelta(hours=i)).isoformat(),
        "source_system": "test",
        "dossier_id": f"d{i}",
        "procedure_code": "1.00309",
        "unit": unit,
        "status": status,
        "channel": "online",
        "full_online": i % 2 == 0,
        "documents": 4,
        "documents_reused": i % 3,
        "fee": 50_000 if i % 4 == 0 else 0,
        "paid_online": i % 8 == 0,
        "e_result": False,
        "paused_days": 0.0,
        "due_at": None,
    }
    return base | kw


def ndxp(i: int, consumer: str, at: datetime | None = None, system: str = "dvc") -> dict[str, Any]:
    return {
        "event_id": f"n{i}",
        "at": (at or T0 + timedelta(minutes=i)).isoformat(),
        "source_system": "ndxp",
        "consumer_unit": consumer,
        "consumer_system": f"{consumer}-{system}",
        "provider_unit": "BCA",
        "provider_system": "csdl-dan-cu",
        "service": "tra-cuu-cong-dan",
        "latency_ms": 20,
        "size_bytes": 900,
    }


def ndjson(rows: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)


@pytest.fixture
def ws(workspace: core.Workspace) -> Iterator[core.Workspace]:
    yield workspace


def value(ws: core.Workspace, code: str, unit: str, period: str) -> float | None:
    return ws.engine.value(code, unit, period, compare=False).value


def assert_kept_equals_recompute(ws: core.Workspace, ing: EventIngestor) -> None:
    daily, fs = ing.recompute()
    assert ws.store.events.all_daily() == {(r["measure"], r["unit"], r["day"]): r["value"] for r in daily.to_pylist()}
    assert ws.store.events.all_first_seen() == {
        (r["measure"], r["unit"], r["key"]): r["first_day"] for r in fs.to_pylist()
    }


def test_malformed_events_are_rejected_with_reasons_and_the_rest_kept(ws: core.Workspace, ing: EventIngestor) -> None:
    good = [dossier(i, "P79") for i in range(6)]
    bad = [
        dossier(100, "P79", status="lost"),
        dossier(101, "P79", documents=2, documents_reused=5),
        dossier(102, "Gotham"),
        {k: v for k, v in dossier(103, "P79").items() if k != "at"},
        dossier(104, "P79", paid_online=True, fee=0),
    ]
    body = ndjson(good[:3] + bad + good[3:]) + '\n{"event_id": "broken"'
    r = ing.submit_ndjson("dossier", body, "test")
    assert (r.received, r.accepted, r.rejected) == (12, 6, 6)
    reasons = dict(r.rejects)
    assert "status" in reasons[4] and "documents_reused (5) is above documents (2)" in reasons[5]
    assert "'Gotham' is not a ministry or province" in reasons[6] and "at: Field required" in reasons[7]
    assert "paid_online is true but fee is 0" in reasons[8] and "not valid JSON" in reasons[12]
    listed = ws.store.events.rejects()
    assert [(x.position, x.reason) for x in listed] == sorted(r.rejects)
    assert value(ws, "dossier_full_online_rate", "P79", "2024-04") == 50.0  # 3 of the 6 good ones


def test_the_same_batch_twice_changes_nothing(ws: core.Workspace, ing: EventIngestor) -> None:
    body = ndjson([dossier(i, u) for i, u in enumerate(["P79", "P01", "BTTTT", "BYT"] * 5)])
    first = ing.submit_ndjson("dossier", body, "test")
    before = ws.store.events.all_daily()
    again = ing.submit_ndjson("dossier", body, "test")
    assert (first.accepted, again.accepted, again.duplicates) == (20, 0, 20)
    assert ws.store.events.all_daily() == before
    assert ing.events.count("dossier") == 20
    # duplicates inside one batch count once too
    dup = ing.submit_ndjson("dossier", ndjson([dossier(500, "P01")] * 3), "test")
    assert (dup.accepted, dup.duplicates) == (1, 2)
    # an id is a unit's own: two units' events with one id are both kept, the repeat of one is not
    shared = ing.submit_ndjson("dossier", ndjson([dossier(600, "P01"), dossier(600, "P79"), dossier(600, "P01")]),
                               "test")
    assert (shared.accepted, shared.duplicates) == (2, 1)


def test_late_and_out_of_order_events_land_in_their_period(ws: core.Workspace, ing: EventIngestor) -> None:
    ing.submit_ndjson("dossier", ndjson([dossier(i, "P48", at=datetime(2024, 5, 2, 9)) for i in range(4)]), "t")
    late = [dossier(100 + i, "P48", at=datetime(2024, 3, 30, 9), full_online=True) for i in range(2)]
    ing.submit_ndjson("dossier", ndjson(late), "t")
    assert value(ws, "dossier_full_online_rate", "P48", "2024-03") == 100.0
    assert value(ws, "dossier_full_online_rate", "P48", "2024-05") == 50.0
    assert value(ws, "dossier_full_online_rate", "P48", "2024Q2") == 50.0
    assert value(ws, "dossier_full_online_rate", "P48", "2024") == round(100 * 4 / 6, 2)


def test_file_path_and_record_path_apply_the_same_rules(ws: core.Workspace, ing: EventIngestor, tmp_path: Path) -> None:
    rows = [dossier(i, "P79", due_at=(T0 + timedelta(days=2)).isoformat()) for i in range(5)]
    rows += [
        dossier(
            i,
            "P79",
            status="result_issued",
            at=T0 + timedelta(days=i),
            e_result=i % 2 == 0,
            due_at=(T0 + timedelta(days=2)).isoformat(),
            paused_days=1.0,
        )
        for i in range(5)
    ]
    bad = [
        dossier(90, "P79", status="lost"),
        dossier(91, "P79", documents=1, documents_reused=2),
        dossier(92, "Gotham"),
        dossier(93, "P79", channel="fax"),
        dossier(94, "P79", fee=-1),
    ]
    table = pa.Table.from_pylist(
        [
            {
                **r,
                "at": datetime.fromisoformat(r["at"]),
                "due_at": datetime.fromisoformat(r["due_at"]) if r.get("due_at") else None,
            }
            for r in rows + bad
        ]
    )
    f = tmp_path / "dossier" / "part-0.parquet"
    f.parent.mkdir()
    pq.write_table(table, f)
    by_file = ing.ingest_file(f)
    assert (by_file.accepted, by_file.rejected) == (10, 5)
    assert [p for p, _ in by_file.rejects] == [11, 12, 13, 14, 15]
    # the record path on a fresh store rejects the same events and keeps the same aggregates
    ing2 = EventIngestor(ws.catalogue, ws.store, EventStore(":memory:"))
    by_record = ing2.validate_records("dossier", [(i + 1, r) for i, r in enumerate(rows + bad)], None)
    assert len(by_record[0]) == 10 and [p for p, _, _ in by_record[1]] == [11, 12, 13, 14, 15]
    on_time = ws.store.events.by_unit("dossier_results_on_time", None, None, datetime(2024, 12, 31).date())
    assert on_time == {"P79": 4}  # day 3 is within due + 1 paused day, day 4 is late
    assert value(ws, "dossier_on_time_rate", "P79", "2024-04") == 80.0
    assert value(ws, "e_result_rate", "P79", "2024-04") == 60.0


def test_a_portal_record_is_mapped_onto_the_event_schema(ws: core.Workspace, ing: EventIngestor) -> None:
    rec = {
        "MaHoSo": "000.00.48.H17-240401-0001",
        "MaTTHC": "1.004227",
        "MaDonVi": "P48",
        "KenhThucHien": "2",
        "NgayTiepNhan": "20240401080000",
        "NgayHenTra": "20240405170000",
        "NgayKetThucXuLy": "20240403100000",
        "TrangThaiHoSo": "4",
        "HoSoCoThanhPhanSoHoa": "1",
        "LaToanTrinh": "1",
        "TaiLieuNop": [{"DuocSoHoa": 1, "DuocTaiSuDung": 1}, {"DuocSoHoa": 1, "DuocTaiSuDung": 0}],
        "DanhSachLePhi": [{"Gia": 30000}],
        "DuocThanhToanTrucTuyen": "1",
        "DanhSachGiayToKetQua": [{"DuongDanTepTinKetQua": "https://dvc/kq/1.pdf"}],
        "DSKetNoiCSDL": [{"MaCSDL": "DC"}],
    }
    r = ing.submit_records("dossier", [(1, rec), (2, rec | {"TrangThaiHoSo": "99"})], "portal")
    assert (r.accepted, r.rejected) == (1, 1) and "TrangThaiHoSo '99'" in r.rejects[0][1]
    assert value(ws, "e_result_rate", "Đà Nẵng", "2024-04") == 100.0
    assert value(ws, "dossier_on_time_rate", "P48", "2024-04") == 100.0


def test_a_source_reports_only_for_its_units(ws: core.Workspace, ing: EventIngestor) -> None:
    ws.store.events.add_source("dvc-hcm", "Cổng DVC TP.HCM", ["P79"], ["dossier"])
    src = next(s for s in ws.store.events.sources() if s.id == "dvc-hcm")
    r = ing.submit_ndjson("dossier", ndjson([dossier(1, "P79"), dossier(2, "P48")]), src)
    assert r.accepted == 1 and "may not report for 'P48'" in r.rejects[0][1]
    from chiso.errors import ChisoError

    with pytest.raises(ChisoError, match="may not send ndxp"):
        ing.submit_ndjson("ndxp", ndjson([ndxp(1, "P79")]), src)


def test_rejects_can_be_replayed_after_the_catalogue_is_fixed(ws: core.Workspace, ing: EventIngestor) -> None:
    ing.submit_ndjson("dossier", ndjson([dossier(1, "P79"), dossier(2, "XNEW")]), "t")
    assert len(ws.store.events.rejects()) == 1
    (ws.root / "catalogue" / "units" / "new.yaml").write_text(
        "units:\n  - {code: XNEW, type: province, name: Tỉnh Mới, short: Mới, groups: [provinces]}\n", encoding="utf-8"
    )
    ing.events.close()
    fixed = core.Workspace(ws.root, ws.db_url)
    ing2 = fixed.ingestor()
    [rec] = ing2.replay_rejects()
    assert rec.accepted == 1 and fixed.store.events.rejects() == []
    assert len(fixed.store.events.rejects(pending_only=False)) == 1  # kept, marked replayed
    ing2.events.close()


def test_a_crash_between_storing_and_applying_is_repaired(ws: core.Workspace, ing: EventIngestor) -> None:
    rows = [dossier(i, "P01") for i in range(8)]
    good, bad = ing.validate_records("dossier", [(i, r) for i, r in enumerate(rows)], None)
    table = pa.Table.from_pylist(good, schema=arrow_schema("dossier", with_batch=False))
    batch = ws.store.events.new_batch("dossier", "t", len(rows), bad)
    ing.events.append("dossier", table, batch)  # durable, acknowledged…
    ws.store.events.mark_stored(batch, 8, 0)  # …and the process dies before applying
    assert value(ws, "dossier_full_online_rate", "P01", "2024-04") is None
    assert ing.recover() == [batch]
    assert value(ws, "dossier_full_online_rate", "P01", "2024-04") == 50.0
    assert ing.recover() == []  # applied once only
    assert_kept_equals_recompute(ws, ing)


def test_a_crash_before_storing_leaves_the_batch_abandoned(ws: core.Workspace, ing: EventIngestor) -> None:
    book = ws.store.events
    orphan = book.new_batch("dossier", "t", 3, [])  # received, and the process dies before the store's commit
    assert ing.recover() == []
    assert book.batch(orphan)["state"] == "abandoned"  # type: ignore[index]
    assert book.batches_in_state("received") == []
    ing.submit_ndjson("dossier", ndjson([dossier(i, "P01") for i in range(3)]), "t")  # sent again: counted once
    totals = {t["state"]: t for t in book.batch_totals()}
    assert totals["abandoned"]["batches"] == 1 and totals["abandoned"]["accepted"] == 0
    assert totals["applied"]["accepted"] == 3 and book.stored_by_kind() == {"dossier": 3}


def test_computed_answers_for_units_blocs_and_nation(ws: core.Workspace, ing: EventIngestor) -> None:
    rows = [dossier(i, "P79", full_online=i < 3) for i in range(10)]  # 3/10
    rows += [dossier(100 + i, "BTTTT", full_online=i < 9) for i in range(10)]  # 9/10
    rows += [dossier(200 + i, "P48", full_online=True) for i in range(5)]  # 5/5
    ing.submit_ndjson("dossier", ndjson(rows), "t")
    ing.submit_ndjson(
        "ndxp", ndjson([ndxp(i, "P79" if i % 2 else "X-BHXH", T0 + timedelta(days=i % 3)) for i in range(30)]), "ndxp"
    )
    assert value(ws, "dossier_full_online_rate", "provinces", "2024") == round(100 * 8 / 15, 2)
    assert value(ws, "dossier_full_online_rate", "ministries", "2024") == 90.0
    ans = ws.engine.value("dossier_full_online_rate", "VN", "2024-04")
    assert ans.value == round(100 * 17 / 25, 2) and ans.figure is not None and ans.figure.source == "computed"
    ranking = [(r.unit.code, r.rank) for r in ws.engine.rank("dossier_full_online_rate", "provinces", "2024") if r.rank]
    assert ranking == [("P48", 1), ("P79", 2)]
    assert value(ws, "ndxp_transactions", "VN", "2024-04") == 30  # every transaction, external agencies too
    assert value(ws, "ndxp_transactions", "provinces", "2024-04") == 15
    assert value(ws, "ndxp_transactions_per_day", "VN", "2024-04") == 10  # 30 over 3 days with data
    assert value(ws, "ndxp_connection_points", "VN", "2024") == 3  # P79-dvc, X-BHXH-dvc, BCA-csdl-dan-cu
    assert value(ws, "ndxp_agencies", "VN", "2024-04-01") == 3
    assert value(ws, "portal_status_records", "VN", "2024") == 25
    assert value(ws, "portal_status_records", "VN", "2025") == 25  # a stock: cumulative to the period's end
    assert_kept_equals_recompute(ws, ing)


def test_a_computed_value_answers_before_a_published_one_and_both_show(loaded: core.Workspace) -> None:
    ing = loaded.ingestor()
    try:
        rows = [dossier(i, "BTTTT", at=datetime(2024, 6, 1, 9), full_online=i < 7) for i in range(10)]
        ing.submit_ndjson("dossier", ndjson(rows), "t")
    finally:
        ing.events.close()
    ans = loaded.engine.value("dossier_full_online_rate", "ministries", "2024")
    assert ans.value == 70.0 and ans.figure is not None and ans.figure.source == "computed"
    assert 63.47 in [a.value for a in ans.alternatives]  # the published figure stays visible


def test_a_batchs_plans_compiled_once_answer_as_ibis_does(ws: core.Workspace, ing: EventIngestor) -> None:
    """The per-batch plans (compiled to SQL once, the batch a parameter) give what Ibis gives for that batch."""
    from chiso.engine.events import BatchPlan, daily_plan, first_seen_plan, measures_of, run

    first = ing.submit_ndjson("dossier", ndjson([dossier(i, u) for i, u in enumerate(["P79", "P01", "BYT"] * 4)]), "t")
    second = ing.submit_ndjson("dossier", ndjson([dossier(100 + i, "P48", status="result_issued") for i in range(5)]),
                               "t")
    ing.submit_ndjson("ndxp", ndjson([ndxp(i, "P01") for i in range(6)]), "t")
    con = ing.events.ibis()
    plans = [("dossier", lambda t: daily_plan(t, "dossier", measures_of("dossier", ws.catalogue.measures)))]
    plans += [("ndxp", lambda t, m=m: first_seen_plan(t, m)) for m in measures_of("ndxp", ws.catalogue.measures)
              if m.agg == "first_seen"]
    for kind, build in plans:
        plan = BatchPlan(con, f"{kind}_event", build)
        for batch in (first.batch, second.batch, first.batch + 99):  # the last: no such batch
            t = con.table(f"{kind}_event")
            assert plan.run(ing.events.con, batch) == run(con, build(t.filter(t.batch == batch))), (kind, batch)
    with pytest.raises(ValueError, match="does not filter on its batch"):
        BatchPlan(con, "dossier_event", lambda t: con.table("dossier_event").limit(1))


def test_the_event_store_memory_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from chiso.errors import WorkspaceError

    def limit() -> float:  # DuckDB reports it rounded, in its own units
        es = EventStore(tmp_path / "e.duckdb")
        try:
            text = str(es.con.execute("SELECT current_setting('memory_limit')").fetchone()[0])  # type: ignore[index]
        finally:
            es.close()
        number, unit = text.split()
        return float(number) * {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit]

    half = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2
    assert limit() == pytest.approx(half, rel=0.01)  # not DuckDB's 80 %: the rest of chiso shares the machine
    monkeypatch.setenv("CHISO_EVENTS_MEMORY", "512MB")
    assert limit() == pytest.approx(512e6, rel=0.01)
    monkeypatch.setenv("CHISO_EVENTS_MEMORY", "lots'; DROP TABLE x")
    with pytest.raises(WorkspaceError, match=r"CHISO_EVENTS_MEMORY: .* is not a size like 4GB"):
        EventStore(tmp_path / "e.duckdb")


def test_kept_sums_are_compared_measure_by_measure(ws: core.Workspace) -> None:
    from datetime import date

    book = ws.store.events
    d1, d2 = date(2024, 3, 1), date(2024, 3, 2)

    def sums(rows: list[tuple[str, str, Any, int]]) -> pa.Table:
        return pa.table({"measure": [r[0] for r in rows], "unit": [r[1] for r in rows],
                         "day": pa.array([r[2] for r in rows], pa.date32()), "value": [r[3] for r in rows]})

    first_seen = pa.table({"measure": pa.array([], pa.string()), "unit": pa.array([], pa.string()),
                           "key": pa.array([], pa.string()), "first_day": pa.array([], pa.date32())})
    book.apply(None, sums([("a", "P01", d1, 3), ("a", "P01", d2, 0), ("b", "P79", d1, 5)]), first_seen)
    assert book.differences(sums([("a", "P01", d1, 3), ("b", "P79", d1, 5)])) == (0, [])  # a 0 is no row
    count, first = book.differences(sums([("a", "P01", d1, 4), ("b", "P48", d2, 1)]))
    assert count == 3 and first == [("a", "P01", d1), ("b", "P48", d2), ("b", "P79", d1)]
    assert book.differences(sums([("a", "P01", d1, 4)]), days=[d2]) == (0, [])  # only the days asked
