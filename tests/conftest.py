"""Fixtures: the real catalogue, real SQLite and PostgreSQL stores, workspaces, the simulated world, and web
clients (``make_client``).

PostgreSQL is the server at 127.0.0.1:5432 (``CHISO_TEST_PG`` overrides); each test worker gets its
own database, emptied between tests. A test marked ``postgres`` fails, not skips, when the server is
down: the store must be proven on both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from chiso import app as core
from chiso.catalogue import Catalogue, load_catalogue
from chiso.ingest.events import EventIngestor
from chiso.store import Store
from chiso.store.schema import metadata
from web_support import Client, MakeClient, log_in

PG_ADMIN = os.environ.get("CHISO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


# Modules run first, in this order. xdist gives each worker a first run of consecutive tests in collection order:
# these ~200 fill the first worker's, so the Spark session and cluster and the simulated world are set up there, the
# slow tests start at once, and the last to finish are short; with --dist worksteal (scripts/test) the other worker,
# once out of tests, takes the rest of the first one's queue from its end (the slow tests that need neither).
FIRST = (
    "test_spark_cluster.py", "test_engines_parity.py", "test_events_local.py",
    "test_foresight.py", "test_foresight_report.py", "test_report_e2e.py", "test_report_compose.py",
    "test_report_province.py", "test_indices_report.py", "test_indices_cli.py", "test_indices_communes.py",
    "test_indices_web.py", "test_web_communes.py", "test_browser_communes.py", "test_communes_cli.py",
    "test_simulated_nation.py",
    "test_demo.py", "test_kill.py", "test_nats_log.py", "test_openapi_fuzz.py", "test_web_nodes.py",
    "test_deploy_processes.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a module's own order is kept


@pytest.fixture(autouse=True)
def _vietnamese_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """``chiso --lang en`` sets CHISO_LANG for the whole process (a CliRunner's): every test starts in Vietnamese,
    and whatever a test's command set is put back after it, so the next test in the worker is not in English."""
    monkeypatch.setenv("CHISO_LANG", "vi")


@pytest.fixture(scope="module")
def cheap_hashes() -> Iterator[None]:
    """Still argon2id, with small parameters: web tests check the web, not the hash's cost."""
    from argon2 import PasswordHasher

    from chiso.store import users as users_module

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users_module, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@contextmanager
def own_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database (its URL), dropped afterwards: other tests' truncations never reach it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url(worker_id: str) -> Iterator[str]:
    with own_database(f"chiso_test_{worker_id}") as url:
        yield url


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


def _empty_pg(url: str) -> None:
    st = Store.open(url)
    with st.engine.begin() as conn:
        tables = ", ".join(t.name for t in metadata.sorted_tables)  # every table the migrations make
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    st.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    url = request.getfixturevalue("pg_url")
    _empty_pg(url)
    yield url
    _empty_pg(url)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store.open(db_url)
    yield st
    st.close()


@pytest.fixture
def workspace(tmp_path: Path, db_url: str) -> Iterator[core.Workspace]:
    ws = core.init_workspace(tmp_path / "ws", db_url)
    yield ws
    ws.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[core.Workspace]:
    """A fresh workspace on SQLite only (event tests, which do not depend on the operational database)."""
    ws = core.init_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield ws
    ws.close()


@pytest.fixture
def ws(sqlite_workspace: core.Workspace) -> core.Workspace:
    """The workspace ``ing`` writes to: a fresh one on SQLite, unless the module defines its own ``ws``."""
    return sqlite_workspace


@pytest.fixture
def ing(ws: core.Workspace) -> Iterator[EventIngestor]:
    """The event writer of ``ws`` (this file's, or the module's own), closed after the test."""
    i = ws.ingestor()
    yield i
    i.events.close()


@pytest.fixture
def loaded(workspace: core.Workspace) -> core.Workspace:
    core.load(workspace, "vn-2024", "test")
    return workspace


@pytest.fixture(scope="session")
def simulated_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[core.Workspace]:
    """The demo's world, built once per session (per test worker) through the CLI as a user builds it: a
    workspace with the 2024 dataset and a deterministic simulated 2024 at scale 0.001 (about 46,000 dossiers,
    942,000 NDXP transactions), on SQLite.

    Shared: a test reads it, or adds only what no other test counts (its own users, written reports)."""
    from typer.testing import CliRunner

    from chiso.cli.main import app as cli

    root = tmp_path_factory.mktemp("simulated-world") / "ws"
    runner = CliRunner()
    for args in (["init", str(root)], ["--workspace", str(root), "load", "vn-2024"],
                 ["--workspace", str(root), "simulate", "--year", "2024", "--scale", "0.001"]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, res.output
    ws = core.find_workspace(root)
    yield ws
    ws.close()


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """The one way tests make a web client: ``make_client(ws, user=..., address=...)`` (see
    ``web_support.MakeClient``). Apps it made are shut down (their lifespan left) when the test ends."""
    from chiso.web import create_app

    with ExitStack() as stack:

        def make(ws: core.Workspace, *, app: Any = None, user: str | None = None, role: str | None = None,
                 unit: str = "VN", address: str = "testclient", follow_redirects: bool = True,
                 raise_server_exceptions: bool = True, **app_options: Any) -> Client:
            own = app is None
            c = Client(create_app(ws, **app_options) if own else app, follow_redirects=follow_redirects,
                       raise_server_exceptions=raise_server_exceptions, client=(address, 50000))
            if own:  # a shared app's lifespan is its owner's
                stack.enter_context(c)
            if user is not None:
                log_in(c, ws, user, role, unit)
            return c

        yield make
