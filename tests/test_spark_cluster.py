"""Beyond one machine (issue 14): the events on shared storage as day-partitioned Parquet, computed by a real Spark
standalone cluster (a master and two workers in their own JVMs), the kept aggregates written into the operational
store on PostgreSQL, equal to DuckDB's integer for integer; then a day's new partitions computed incrementally.

The driver runs as a user runs it, ``chiso events recompute --engine spark --master spark://…``, in its own process.
"""

from __future__ import annotations

import subprocess
import sys
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
from deploy_support import own_database
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


def test_a_spark_cluster_computes_the_kept_aggregates_as_duckdb_does(
    cluster: Cluster, pg_workspace: core.Workspace, tmp_path: Path
) -> None:
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
    out = chiso(ws, "events", "recompute", "--engine", "spark", "--master", cluster.master, "--from", str(shared),
                env=cluster.env)
    assert "(spark)" in out
    assert kept(ws) == expected  # integer for integer, per province, per commune, first seen
    status = cluster.status()
    assert status["aliveworkers"] == 2 and status.get("completedapps")  # the cluster ran it, not a local session

    # a day's new partitions: only that day computed on the cluster, the other days' sums kept
    chiso(ws, "events", "export", str(shared), "--by", "day", "--days", NEW.isoformat())
    before = kept(ws)
    chiso(ws, "events", "recompute", "--engine", "spark", "--master", cluster.master, "--from", str(shared),
          "--days", NEW.isoformat(), env=cluster.env)
    after = kept(ws)
    assert after == duckdb_answer(ws, shared)  # the four days, as a full computation gives them
    assert {k: v for k, v in after[0].items() if k[2] != NEW} == before[0]
    assert any(k[2] == NEW for k in after[0]) and not any(k[2] == NEW for k in before[0])
    # run again over the same day (here on DuckDB, the same plans): it agrees, and changes nothing
    runner = CliRunner()
    again = ["--workspace", str(ws.root), "events", "recompute", "--from", str(shared), "--days", NEW.isoformat()]
    assert runner.invoke(cli, [*again, "--check"]).exit_code == 0
    assert runner.invoke(cli, again).exit_code == 0
    assert kept(ws) == after


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
    ):
        res = runner.invoke(cli, ["--workspace", str(ws.root), "events", "recompute", *args])
        assert res.exit_code != 0 and says in res.output, (args, res.output)
    res = runner.invoke(cli, ["--workspace", str(ws.root), "events", "export", str(tmp_path / "x"), "--by", "week"])
    assert res.exit_code != 0 and "--by 'week'" in res.output
