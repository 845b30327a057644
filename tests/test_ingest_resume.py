"""A bulk ingest killed in the middle resumes where it stopped (issue 14): ``chiso ingest FILE`` keeps its place
in the file after each committed chunk; the same command run again skips what was committed, says where it
resumed, and counts nothing twice; the kept aggregates equal a full recompute; once done the place is forgotten.
The first run is a real process, SIGKILLed while it ingests."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from chiso import app as core
from chiso.cli.main import app as cli
from chiso.ingest.events import _place_key

LINES, CHUNK = 16_000, 1_000
UNITS = ("P01", "P79", "P48", "BCA")

# the first run, slowed after each committed chunk so that the kill lands in the middle of the file
SLOW = """
import sys, time
from chiso.ingest.events import EventIngestor
submit = EventIngestor.submit_records
def slow(self, *a, **k):
    out = submit(self, *a, **k)
    time.sleep(0.3)
    return out
EventIngestor.submit_records = slow
from chiso.cli.main import app
app(sys.argv[1:])
"""


def write_events(path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(LINES):
            f.write(json.dumps({"event_id": f"bulk-{i}", "at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00",
                                "source_system": "dvc", "dossier_id": f"hs-{i}", "procedure_code": "1.001234",
                                "unit": UNITS[i % len(UNITS)], "status": "received",
                                "channel": ("online", "in_person")[i % 2]}) + "\n")


def test_a_killed_bulk_ingest_resumes_where_it_stopped(sqlite_workspace: core.Workspace, tmp_path: Path) -> None:
    ws = sqlite_workspace
    src = tmp_path / "dossier" / "bulk.ndjson"
    src.parent.mkdir()
    write_events(src)
    args = ["--workspace", str(ws.root), "ingest", str(src), "--chunk-rows", str(CHUNK)]
    first = subprocess.Popen([sys.executable, "-c", SLOW, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    place = _place_key(src)
    deadline = time.monotonic() + 120
    while ws.store.events.resume_point(place) < 3 * CHUNK:  # a bound, not a timing
        assert first.poll() is None, first.stdout.read() if first.stdout else ""
        assert time.monotonic() < deadline, "the first run committed nothing"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    stopped_at = ws.store.events.resume_point(place)
    assert CHUNK <= stopped_at < LINES  # killed in the middle, its place kept

    res = CliRunner().invoke(cli, [*args, "--json"])
    assert res.exit_code == 0, res.output
    (totals,) = json.loads(res.stdout.strip().splitlines()[-1])
    assert totals["resumed_from"] >= stopped_at
    assert "tiếp tục từ dòng" in res.output or "resumed after row" in res.output, res.output
    assert totals["received"] == LINES - totals["resumed_from"]  # only the rest was read and sent
    status = CliRunner().invoke(cli, ["--workspace", str(ws.root), "events", "status", "--json"])
    assert json.loads(status.stdout)["dossier_events"] == LINES  # every event once, none twice
    assert ws.store.events.resume_point(place) == 0  # done: the place forgotten
    check = CliRunner().invoke(cli, ["--workspace", str(ws.root), "events", "recompute", "--check"])
    assert check.exit_code == 0, check.output
    rate = ws.engine.value("dossier_online_submission_rate", "P01", "2024")
    assert rate.figure is not None and rate.figure.denominator == LINES // len(UNITS)
    # the same file again: a new ingest from the top, every event a duplicate
    again = CliRunner().invoke(cli, [*args, "--json"])
    (totals,) = json.loads(again.stdout.strip().splitlines()[-1])
    assert (totals["resumed_from"], totals["received"], totals["duplicates"]) == (0, LINES, LINES)
