"""A source registered for a unit formed in 2025 may still send the late events of the units it took over whole.

`chiso sources add … --unit "Đà Nẵng"` scopes a source to P48-2025, the new Đà Nẵng formed on 1 July 2025 from
P48 (the former Đà Nẵng) and P49 (Quảng Nam). Its late events dated before the change belong to P48 or P49 and
are kept under them; after their end they go to P48-2025, as any event of a former unit does. It may not report
for a unit outside that lineage (P01 Hà Nội), nor for a former unit its unit took over only in part.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from chiso import app as core
from chiso.cli.main import app as cli
from chiso.ingest.events import EventIngestor
from chiso.store.aggregates import EventSourceRecord
from web_support import MakeClient


def dossier(n: int, unit: str, at: datetime) -> dict[str, Any]:
    return {"event_id": f"dn-{n}", "at": at.isoformat(), "source_system": "dvc-danang", "dossier_id": f"hs-{n}",
            "procedure_code": "1.004227", "unit": unit, "status": "received", "channel": "online"}


# (event, the unit it is stored under, or None when the source may not send it)
CASES: list[tuple[dict[str, Any], str | None]] = [
    (dossier(1, "P48", datetime(2024, 12, 31, 16, 0)), "P48"),  # the event: late, for the former Đà Nẵng
    (dossier(2, "P49", datetime(2025, 3, 4, 9, 0)), "P49"),  # the other predecessor, Quảng Nam
    (dossier(3, "P48", datetime(2025, 7, 2, 9, 0)), "P48-2025"),  # after P48 ended: its successor's
    (dossier(4, "P48-2025", datetime(2025, 7, 3, 9, 0)), "P48-2025"),  # its own unit
    (dossier(5, "P01", datetime(2024, 12, 31, 9, 0)), None),  # Hà Nội: outside its lineage
    (dossier(6, "P79", datetime(2025, 8, 1, 9, 0)), None),
]
REFUSED = {5: "unit: this source may not report for 'P01'", 6: "unit: this source may not report for 'P79'"}


@pytest.fixture
def ws(sqlite_workspace: core.Workspace) -> core.Workspace:
    return sqlite_workspace


def add_source(ws: core.Workspace, id: str, unit: str) -> tuple[str, EventSourceRecord]:
    """Registered as an operator does it: `chiso sources add ID --unit NAME --kind dossier`."""
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "sources", "add", id, "--unit", unit, "--kind", "dossier"])
    assert res.exit_code == 0, res.output
    token = res.output.strip().split()[-1]
    src = next(s for s in ws.store.events.sources() if s.id == id)
    return token, src


def stored(ing: EventIngestor) -> dict[str, str]:
    return {str(e): str(u) for e, u in ing.events.con.execute("SELECT event_id, unit FROM dossier_event").fetchall()}


def test_the_new_da_nang_may_send_its_predecessors_late_events(ws: core.Workspace, ing: EventIngestor) -> None:
    _, src = add_source(ws, "dvc-danang", "Đà Nẵng")
    assert src.units == ("P48-2025",)  # the name gives the new Đà Nẵng
    rec = ing.submit_records("dossier", [(i, e) for i, (e, _) in enumerate(CASES, start=1)], src)
    assert (rec.accepted, rec.rejected) == (4, 2)
    assert dict(rec.rejects) == REFUSED
    assert stored(ing) == {e["event_id"]: u for e, u in CASES if u is not None}
    assert rec.as_dict()["attributed"] == [{"attributed_from": "P48", "to": "P48-2025", "events": 1}]
    # counted where they belong, for those dates
    received = ws.store.events.by_unit("dossier_received", None, date(2024, 1, 1), date(2025, 12, 31))
    assert received == {"P48": 1, "P49": 1, "P48-2025": 2}


def test_the_file_path_applies_the_same_scope(ws: core.Workspace, ing: EventIngestor, tmp_path: Path) -> None:
    _, src = add_source(ws, "dvc-danang", "Đà Nẵng")
    f = tmp_path / "dossier" / "late.parquet"
    f.parent.mkdir()
    pq.write_table(pa.Table.from_pylist([{**e, "at": datetime.fromisoformat(e["at"])} for e, _ in CASES]), f)
    rec = ing.submit_arrow("dossier", pq.read_table(f), src)
    assert (rec.accepted, rec.rejected) == (4, 2)
    assert dict(rec.rejects) == REFUSED
    assert stored(ing) == {e["event_id"]: u for e, u in CASES if u is not None}


def test_over_http_with_the_token_chiso_sources_add_printed(ws: core.Workspace, make_client: MakeClient) -> None:
    token, _ = add_source(ws, "dvc-danang", "Đà Nẵng")
    body = "\n".join(json.dumps(e) for e, _ in CASES)
    c = make_client(ws)
    r = c.post("/api/v1/events/dossier", content=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    rec = r.json()
    assert (rec["accepted"], rec["rejected"]) == (4, 2)
    assert {x["position"]: x["reason"] for x in rec["rejects"]} == REFUSED
    v = c.get("/api/v1/values/dossier_online_submission_rate", params={"unit": "P48", "period": "2024-12"})
    assert (v.json()["numerator"], v.json()["denominator"]) == (1.0, 1.0)


def test_a_unit_that_took_over_part_of_a_former_unit_does_not_speak_for_all_of_it(
    ws: core.Workspace, ing: EventIngestor
) -> None:
    # BTTTT (until 28 February 2025) went whole to BKHCN-2025; its press function went to BVHTTDL
    _, whole = add_source(ws, "dvc-bkhcn", "BKHCN-2025")
    _, part = add_source(ws, "dvc-bvhttdl", "BVHTTDL")
    late = dossier(10, "BTTTT", datetime(2025, 2, 10, 9, 0))
    assert ing.submit_records("dossier", [(1, late)], whole).accepted == 1
    refused = ing.submit_records("dossier", [(1, {**late, "event_id": "dn-11"})], part)
    assert refused.rejects == [(1, "unit: this source may not report for 'BTTTT'")]
    assert stored(ing) == {"dn-10": "BTTTT"}


def test_a_source_of_a_former_unit_keeps_its_scope(ws: core.Workspace, ing: EventIngestor) -> None:
    """Lineage looks back only: the former Đà Nẵng's source may not report for Quảng Nam, its partner in the merger."""
    _, old = add_source(ws, "dvc-danang-cu", "P48")
    rec = ing.submit_records("dossier", [(1, dossier(20, "P49", datetime(2025, 3, 1, 9, 0))),
                                         (2, dossier(21, "P48", datetime(2025, 3, 1, 9, 0)))], old)
    assert rec.rejects == [(1, "unit: this source may not report for 'P49'")] and rec.accepted == 1
