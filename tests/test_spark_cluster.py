"""Beyond one machine (issue 14): the events on shared storage as day-partitioned Parquet, computed by a real Spark
standalone cluster (a master and two workers in their own JVMs), the kept aggregates written into the operational
store on PostgreSQL, equal to DuckDB's integer for integer; then a day's new partitions computed incrementally.

The driver runs as a deployment runs it, ``chiso events recompute --engine spark --master spark://… --follow``, in its
own process: one session computes the export, then each later export as it lands.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from chiso import app as core
from chiso.cli.main import app as cli
from chiso.engine.spark import recompute_local_on, recompute_on
from chiso.store.events import EXPORT_MARKER, read_export_marker
from conftest import own_database
from spark_cluster import Cluster, standalone_cluster

pytestmark = [pytest.mark.postgres]

FIRST, LAST = date(2024, 3, 4), date(2024, 3, 6)  # working days on shared storage at first
NEW = date(2024, 3, 7)  # the day whose partitions arrive later


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster")) as c:
        yield c


@pytest.fixture(scope="module")
def pg_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[core.Workspace]:
    """A workspace on its own PostgreSQL database with a small simulated 2024 ingested (DuckDB event store)."""
    root = tmp_path_factory.mktemp("spark-ws") / "ws"
    with own_database("chiso_spark") as url:
        ws = core.init_workspace(root, url)
        res = CliRunner().invoke(cli, ["--workspace", str(root), "simulate", "--year", "2024", "--scale", "0.00005"])
        assert res.exit_code == 0, res.output
        yield ws
        ws.close()


def chiso(ws: core.Workspace, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "chiso", "--workspace", str(ws.root), *args],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def kept(ws: core.Workspace) -> tuple[dict[Any, int], dict[Any, int], dict[Any, date]]:
    book = ws.store.events
    return book.all_daily(), book.all_daily_local(), book.all_first_seen()


def duckdb_answer(ws: core.Workspace, folder: Path) -> tuple[dict[Any, int], dict[Any, int], dict[Any, date]]:
    """What DuckDB computes from the same Parquet, as the kept tables hold it."""
    con = ibis.duckdb.connect()
    daily, first = recompute_on(con, folder, ws.catalogue)
    local = recompute_local_on(con, folder, ws.catalogue)

    def sums(t: pa.Table) -> dict[Any, int]:
        return {(r["measure"], r["unit"], r["day"]): r["value"] for r in t.to_pylist()}

    return sums(daily), sums(local), {(r["measure"], r["unit"], r["key"]): r["first_day"] for r in first.to_pylist()}


def days(a: date, b: date) -> str:
    return f"{a.isoformat()}..{b.isoformat()}"


class Follower:
    """``chiso events recompute --follow`` in its own process: its lines read as they come, within a bound."""

    def __init__(self, ws: core.Workspace, cluster: Cluster, shared: Path) -> None:
        self.log = shared.parent / "follower.log"  # a file: an unread pipe would fill and stop the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chiso", "--workspace", str(ws.root), "events", "recompute", "--engine", "spark",
             "--master", cluster.master, "--from", str(shared), "--follow", "--poll", "0.5"],
            stdout=subprocess.PIPE, stderr=self.log.open("wb"), text=True, env=cluster.env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip():
                self.lines.put(line.strip())
        self.lines.put(None)

    def next_line(self, timeout: float = 600) -> str:
        line = self.lines.get(timeout=timeout)  # a bound, not a timing
        assert line is not None, f"the follower stopped: {self.proc.wait()} {self.log.read_text()[-3000:]}"
        return line

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def test_a_spark_cluster_computes_the_kept_aggregates_as_duckdb_does(
    cluster: Cluster, pg_workspace: core.Workspace, tmp_path: Path
) -> None:
    """One driver follows the shared folder, as in a deployment: the export there computed whole on the cluster,
    then a day's new partitions, exported later, computed alone on the same session."""
    ws = pg_workspace
    shared = tmp_path / "shared"
    chiso(ws, "events", "export", str(shared), "--by", "day", "--days", days(FIRST, LAST))
    parts = sorted(p.name for p in (shared / "dossier").iterdir())
    assert parts == [f"date={(FIRST + timedelta(days=i)).isoformat()}" for i in range(3)]
    expected = duckdb_answer(ws, shared)
    assert all(expected)  # sums per province, per commune, and first-seen keys

    # the kept tables start from something else: the workspace's own full recompute (a whole year)
    whole_year = kept(ws)
    assert len(whole_year[0]) > len(expected[0])
    follower = Follower(ws, cluster, shared)
    try:
        first = follower.next_line()
        assert "every day" in first and "(spark)" in first
        assert kept(ws) == expected  # integer for integer, per province, per commune, first seen
        status = cluster.status()
        assert status["aliveworkers"] == 2 and status.get("activeapps")  # the cluster runs it, not a local session

        # a day's new partitions: only that day computed on the cluster, the other days' sums kept
        before = kept(ws)
        chiso(ws, "events", "export", str(shared), "--by", "day", "--days", NEW.isoformat())
        second = follower.next_line()
        assert "1 day(s)" in second and "(spark)" in second
        after = kept(ws)
    finally:
        assert follower.stop() == 0  # SIGTERM: the run under way finished, then out cleanly
    assert after == duckdb_answer(ws, shared)  # the four days, as a full computation gives them
    assert {k: v for k, v in after[0].items() if k[2] != NEW} == before[0]
    assert any(k[2] == NEW for k in after[0]) and not any(k[2] == NEW for k in before[0])
    # run again over the same day (here on DuckDB, the same plans): it agrees, and changes nothing
    runner = CliRunner()
    again = ["--workspace", str(ws.root), "events", "recompute", "--from", str(shared), "--days", NEW.isoformat()]
    assert runner.invoke(cli, [*again, "--check"]).exit_code == 0
    assert runner.invoke(cli, again).exit_code == 0
    assert kept(ws) == after


def test_an_export_is_seen_by_a_follower_only_once_finished(pg_workspace: core.Workspace, tmp_path: Path) -> None:
    """The marker an export writes last: what a follower reads, and what it refuses to trust."""
    shared = tmp_path / "shared"
    assert read_export_marker(shared) is None
    export = ["--workspace", str(pg_workspace.root), "events", "export", str(shared), "--by", "day"]
    assert CliRunner().invoke(cli, [*export, "--days", NEW.isoformat()]).exit_code == 0
    m = read_export_marker(shared)
    assert m is not None and m["seq"] == 1 and m["days"] == [NEW.isoformat()] and m["by"] == "day"
    assert CliRunner().invoke(cli, export).exit_code == 0
    m = read_export_marker(shared)
    assert m is not None and m["seq"] == 2 and m["days"] is None
    for broken in ("{", '{"seq": "x"}', '{"seq": 3, "days": ["yesterday"]}', '{"seq": 3, "days": 7}'):
        (shared / EXPORT_MARKER).write_text(broken)
        assert read_export_marker(shared) is None, broken


def test_recompute_refuses_what_it_cannot_do(pg_workspace: core.Workspace, tmp_path: Path) -> None:
    ws = pg_workspace
    runner = CliRunner()
    for args, says in (
        (["--engine", "spark"], "--from"),
        (["--days", "2024-03-01"], "--from"),
        (["--engine", "flink", "--from", str(tmp_path)], "--engine 'flink'"),
        (["--from", str(tmp_path / "missing")], "not a folder"),
        (["--from", str(tmp_path), "--days", "2024-03-09..2024-03-01"], "forward"),
        (["--from", str(tmp_path), "--days", "yesterday"], "expected a day"),
        (["--follow"], "--follow needs --from"),
        (["--follow", "--check", "--from", str(tmp_path)], "--follow needs --from"),
    ):
        res = runner.invoke(cli, ["--workspace", str(ws.root), "events", "recompute", *args])
        assert res.exit_code != 0 and says in res.output, (args, res.output)
    res = runner.invoke(cli, ["--workspace", str(ws.root), "events", "export", str(tmp_path / "x"), "--by", "week"])
    assert res.exit_code != 0 and "--by 'week'" in res.output
