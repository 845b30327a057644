"""Events of former units: after a unit's end date they belong to its whole successor, and the receipt says so.

The workspace adds its own units to the shipped catalogue:

    XA ─(whole)─> XAB (1 July 2025)      XC ─(part 0.3)─> XAB, ─(part 0.7)─> XD: no single successor
    XF ─(whole, 1 January 2025)─> XG ─(whole, 1 July 2025)─> XH
    XM2 ─(whole)─> XM1, and a function ─(part, no share)─> XM3 (1 March 2025)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from chiso import app as core
from chiso.ingest.events import EventIngestor

P = {"groups": ["provinces"], "parent": "VN", "type": "province"}
UNITS: list[dict[str, Any]] = [
    {"code": "XA", "name": "Tỉnh Xa", "short": "Xa", **P, "valid_to": "2025-06-30", "successors": [{"unit": "XAB"}]},
    {
        "code": "XC",
        "name": "Tỉnh Xê",
        "short": "Xê",
        **P,
        "valid_to": "2025-06-30",
        "successors": [{"unit": "XAB", "kind": "part", "share": 0.3}, {"unit": "XD", "kind": "part", "share": 0.7}],
    },
    {"code": "XAB", "name": "Tỉnh Xa Bê", "short": "Xa Bê", **P, "valid_from": "2025-07-01"},
    {"code": "XD", "name": "Tỉnh Xê Đông", "short": "Xê Đông", **P, "valid_from": "2025-07-01"},
    {
        "code": "XF",
        "name": "Tỉnh Xờ Ép",
        "short": "Xờ Ép",
        **P,
        "valid_to": "2024-12-31",
        "successors": [{"unit": "XG"}],
    },
    {
        "code": "XG",
        "name": "Tỉnh Xờ Giê",
        "short": "Xờ Giê",
        **P,
        "valid_from": "2025-01-01",
        "valid_to": "2025-06-30",
        "successors": [{"unit": "XH"}],
    },
    {"code": "XH", "name": "Tỉnh Xờ Hát", "short": "Xờ Hát", **P, "valid_from": "2025-07-01"},
    {"code": "XM1", "name": "Bộ Xờ Một", "short": "Xờ Một", "type": "ministry", "groups": ["ministries"]},
    {
        "code": "XM2",
        "name": "Bộ Xờ Hai",
        "short": "Xờ Hai",
        "type": "ministry",
        "groups": ["ministries"],
        "valid_to": "2025-02-28",
        "successors": [{"unit": "XM1"}, {"unit": "XM3", "kind": "part", "note": "báo chí (press)"}],
    },
    {"code": "XM3", "name": "Bộ Xờ Ba", "short": "Xờ Ba", "type": "ministry", "groups": ["ministries"]},
]


def dossier(n: int, unit: str, at: datetime, channel: str = "online") -> dict[str, Any]:
    return {
        "event_id": f"d{n}",
        "at": at.isoformat(),
        "source_system": "test",
        "dossier_id": f"d{n}",
        "procedure_code": "1.00309",
        "unit": unit,
        "status": "received",
        "channel": channel,
    }


def ndxp(n: int, consumer: str, at: datetime) -> dict[str, Any]:
    return {
        "event_id": f"n{n}",
        "at": at.isoformat(),
        "source_system": "ndxp",
        "consumer_unit": consumer,
        "consumer_system": f"{consumer}-dvc",
        "provider_unit": "BCA",
        "provider_system": "csdl-dan-cu",
        "service": "tra-cuu-cong-dan",
    }


# (event, the unit it must be stored under, or None when it must be rejected)
CASES: list[tuple[dict[str, Any], str | None]] = [
    (dossier(1, "XA", datetime(2025, 6, 30, 23, 59)), "XA"),  # its last day: still its own
    (dossier(2, "XA", datetime(2025, 7, 1, 8, 0)), "XAB"),
    (dossier(3, "XA", datetime(2025, 7, 2, 9, 0), channel="in_person"), "XAB"),
    (dossier(4, "XC", datetime(2025, 7, 2, 9, 0)), None),  # split: no single successor
    (dossier(5, "XC", datetime(2025, 6, 2, 9, 0)), "XC"),
    (dossier(6, "XF", datetime(2025, 3, 1, 9, 0)), "XG"),
    (dossier(7, "XF", datetime(2025, 8, 1, 9, 0)), "XH"),  # two changes on
    (dossier(8, "XM2", datetime(2025, 3, 1, 9, 0)), "XM1"),  # the whole successor; a function went elsewhere
    (dossier(9, "XAB", datetime(2025, 7, 3, 9, 0)), "XAB"),
]
ATTRIBUTED = [
    {"attributed_from": "XA", "to": "XAB", "events": 2},
    {"attributed_from": "XF", "to": "XG", "events": 1},
    {"attributed_from": "XF", "to": "XH", "events": 1},
    {"attributed_from": "XM2", "to": "XM1", "events": 1},
]


@pytest.fixture
def ws(workspace: core.Workspace) -> Iterator[core.Workspace]:
    (workspace.root / "catalogue" / "units" / "former.yaml").write_text(
        yaml.safe_dump({"units": UNITS}, allow_unicode=True), encoding="utf-8"
    )
    w = core.find_workspace(workspace.root)  # a fresh catalogue, with the units above
    yield w
    w.close()


def stored_units(ing: EventIngestor, kind: str = "dossier") -> dict[str, str]:
    col = "unit" if kind == "dossier" else "consumer_unit"
    rows = ing.events.con.execute(f"SELECT event_id, {col} FROM {kind}_event").fetchall()
    return {str(e): str(u) for e, u in rows}


def test_events_after_a_unit_ended_go_to_its_whole_successor_and_the_receipt_says_so(
    ws: core.Workspace, ing: EventIngestor
) -> None:
    rec = ing.submit_ndjson("dossier", "\n".join(json.dumps(e) for e, _ in CASES), "test")
    assert (rec.received, rec.accepted, rec.rejected) == (9, 8, 1)
    assert stored_units(ing) == {e["event_id"]: u for e, u in CASES if u is not None}
    assert rec.as_dict()["attributed"] == ATTRIBUTED
    ((pos, reason),) = rec.rejects
    assert pos == 4
    assert reason == (
        "unit: 'XC' ended on 2025-06-30 and no single unit took it over whole (successors: XAB, XD); "
        "send the event under the successor's code"
    )
    # the kept aggregates count them where they now belong: XAB has XA's two July dossiers and its own
    received = ws.store.events.by_unit("dossier_received", ["XA", "XAB", "XC"], date(2025, 1, 1), date(2025, 12, 31))
    assert received == {"XA": 1, "XAB": 3, "XC": 1}
    july = ws.engine.value("dossier_online_submission_rate", "XAB", "2025-07", compare=False)
    assert july.figure is not None and (july.figure.numerator, july.figure.denominator) == (2.0, 3.0)


def test_the_file_path_attributes_and_rejects_the_same_events(
    ws: core.Workspace, ing: EventIngestor, tmp_path: Path
) -> None:
    table = pa.Table.from_pylist([{**e, "at": datetime.fromisoformat(e["at"])} for e, _ in CASES])
    f = tmp_path / "dossier" / "part-0.parquet"
    f.parent.mkdir()
    pq.write_table(table, f)
    rec = ing.ingest_file(f)
    assert (rec.accepted, rec.rejected) == (8, 1)
    assert stored_units(ing) == {e["event_id"]: u for e, u in CASES if u is not None}
    assert rec.as_dict()["attributed"] == ATTRIBUTED
    ((pos, reason),) = rec.rejects
    assert pos == 4 and "successors: XAB, XD" in reason
    # both paths give the same rows
    good, bad = ing.validate_records("dossier", [(i + 1, e) for i, (e, _) in enumerate(CASES)], None)
    assert {r["event_id"]: r["unit"] for r in good} == stored_units(ing)
    assert [(p, r) for p, _, r in bad] == rec.rejects


def test_ndxp_events_of_a_former_consumer_unit_move_too(ws: core.Workspace, ing: EventIngestor) -> None:
    rows = [
        ndxp(1, "XA", datetime(2025, 6, 1, 8)),
        ndxp(2, "XA", datetime(2025, 7, 1, 8)),
        ndxp(3, "BCA", datetime(2025, 7, 1, 9)),
    ]
    rec = ing.submit_records("ndxp", list(enumerate(rows, start=1)), "test")
    assert (rec.accepted, rec.rejected) == (3, 0)
    assert stored_units(ing, "ndxp") == {"n1": "XA", "n2": "XAB", "n3": "BCA"}
    assert rec.as_dict()["attributed"] == [{"attributed_from": "XA", "to": "XAB", "events": 1}]


def test_a_batch_without_former_units_says_nothing_of_attribution(ing: EventIngestor) -> None:
    rec = ing.submit_records("dossier", [(1, dossier(1, "P01", datetime(2024, 4, 1, 8)))], "test")
    assert rec.accepted == 1 and "attributed" not in rec.as_dict()


def test_chiso_ingest_says_which_events_went_to_successors(ws: core.Workspace, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chiso.cli.main import app as cli

    f = tmp_path / "dossier.ndjson"
    f.write_text("\n".join(json.dumps(e) for e, u in CASES if u is not None), encoding="utf-8")
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "ingest", str(f), "--kind", "dossier"])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "chuyển sang đơn vị kế thừa: XA → XAB: 2, XF → XG: 1, XF → XH: 1, XM2 → XM1: 1" in said


def test_before_a_unit_began_its_one_whole_predecessors(ws: core.Workspace, tmp_path: Path) -> None:
    """Issue 11: an event dated before its unit began is its predecessor's when exactly one took it over whole
    (XF became XG on 1 January 2025), and refused otherwise (XAB was formed from XA and part of XC); on the
    record path and the file path alike."""
    ing = ws.ingestor()
    try:
        events = [dossier(201, "XG", datetime(2024, 12, 1, 9, 0)), dossier(202, "XAB", datetime(2025, 6, 1, 9, 0)),
                  dossier(203, "XG", datetime(2025, 1, 1, 0, 0))]
        r = ing.submit_records("dossier", list(enumerate(events, start=1)), "test")
        assert (r.accepted, [p for p, _ in r.rejects]) == (2, [2]), r.rejects
        assert "'XAB' began on 2025-07-01" in r.rejects[0][1]
        assert r.as_dict()["attributed"] == [{"attributed_from": "XG", "to": "XF", "events": 1}]
        assert stored_units(ing)["d201"] == "XF" and stored_units(ing)["d203"] == "XG"
        f = tmp_path / "dossier" / "late.parquet"
        f.parent.mkdir()
        pq.write_table(pa.Table.from_pylist([{**e, "event_id": "f" + e["event_id"]} for e in events]), f)
        rf = ing.ingest_file(f)
        assert (rf.accepted, [p for p, _ in rf.rejects]) == (2, [2]), rf.rejects
        assert rf.rejects[0][1] == r.rejects[0][1]
        assert stored_units(ing)["fd201"] == "XF"
    finally:
        ing.events.close()
