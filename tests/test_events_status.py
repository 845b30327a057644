"""``chiso events status`` answers while another process holds the event store (issue 14): a running server or
the one event writer keeps DuckDB open read-write; the status then counts from the applied batches, which say
the same, and says so."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from chiso import app as core
from chiso.cli.main import app as cli


def dossier(i: int, **kw: Any) -> dict[str, Any]:
    return {"event_id": f"ev-{i}", "at": "2024-03-05T10:00:00", "source_system": "dvc-test", "dossier_id": f"hs-{i}",
            "procedure_code": "1.001234", "unit": "P01", "status": "received", "channel": "online"} | kw


def status(ws: core.Workspace) -> dict[str, Any]:
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "events", "status", "--json"])
    assert res.exit_code == 0, res.output
    return dict(json.loads(res.stdout))


def test_status_while_another_process_holds_the_event_store(sqlite_workspace: core.Workspace,
                                                            tmp_path: Path) -> None:
    ws = sqlite_workspace
    ing = ws.ingestor()
    events = [dossier(i, unit=("P01", "P79", "P48")[i % 3]) for i in range(12)]
    events.append(dossier(3))  # a duplicate: stored once
    ing.submit_ndjson("dossier", "\n".join(json.dumps(e) for e in events) + "\n", "t")
    ing.events.close()

    free = status(ws)
    assert free["counted_by"] == "event store"
    assert (free["dossier_events"], free["ndxp_events"], free["batches_applied"]) == (12, 0, 1)

    ready = tmp_path / "holding"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time, pathlib\n"
        "from chiso.store.events import EventStore\n"
        f"s = EventStore({str(ws.events_path)!r})\n"
        f"pathlib.Path({str(ready)!r}).write_text('1')\n"
        "time.sleep(120)\n")])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():  # a bound, not a timing
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        held = status(ws)
        assert held["counted_by"] == "batches"
        assert {k: v for k, v in held.items() if k != "counted_by"} == {
            k: v for k, v in free.items() if k != "counted_by"}
        # a writing command still refuses, naming the other process
        res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "events", "recompute"])
        assert res.exit_code != 0 and "in use by another chiso process" in res.output
    finally:
        holder.kill()
        holder.wait()
