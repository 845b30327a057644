"""A live chiso server for browser tests, fuzzing and benchmarks: a real workspace served by uvicorn on
127.0.0.1 and a free port, in a thread of the test process.

``seeded_workspace`` makes the workspace the browser tests use: SQLite, the 2024 dataset, four users (two
province reporters, a reviewer of the provinces, the national admin) and provincial values, so that
rankings and the tile map have something to show.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi import FastAPI

from chiso import app as core
from chiso.catalogue.periods import Period
from chiso.catalogue.records import ValueInput

PASSWORD = "mật-khẩu-đủ-dài-2024"  # one password for every test user; long enough for the rules
RATE = "dossier_full_online_rate"  # the headline indicator the pages and the benchmark look at
DATASET, FORM_PERIOD = "province_monthly", "2024-04"
# what Đà Nẵng's reporter enters for April 2024 (the data set's every field); its approved history for
# January–March is seeded a little below, so that nothing is flagged as far from the unit's history
FORM_VALUES: dict[str, float | int] = {
    RATE: 61.5, "dossier_online_submission_rate": 72.4, "procedures_full_online_rate": 55.0,
    "dossier_digitisation_rate": 81.3, "e_result_rate": 77.0, "digitised_data_reuse_rate": 40.8,
    "online_payment_rate": 66.1, "community_dx_teams": 56, "community_dx_team_members": 1234,
}


@dataclass(frozen=True)
class Persona:
    username: str
    name: str
    role: str
    unit: str


REPORTER_DN = Persona("danang", "Phòng Chuyển đổi số Đà Nẵng", "reporter", "P48")
REPORTER_CM = Persona("camau", "Phòng Chuyển đổi số Cà Mau", "reporter", "P96")
REVIEWER = Persona("duyet", "Người duyệt các tỉnh", "reviewer", "provinces")
ADMIN = Persona("quantri", "Quản trị quốc gia", "admin", "VN")
USERS = (REPORTER_DN, REPORTER_CM, REVIEWER, ADMIN)

CHROMIUM_MISSING = (
    "Chromium is not installed: the browser tests drive Debian's chromium through Playwright. "
    "Run scripts/browser.sh (apt-get install chromium) and `pip install -e '.[dev]'` (playwright)."
)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright, headless and quiet (no background network); a clear failure, naming
    the fix, when either is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[dev]'; " + CHROMIUM_MISSING)
    exe = chromium_path()
    if exe is None:
        pytest.fail(CHROMIUM_MISSING)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=[
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield b
        finally:
            b.close()


def _spread(unit: str, lo: float, hi: float) -> float:
    """A stable pseudo-random value in [lo, hi] per unit: the same picture every run."""
    h = int.from_bytes(hashlib.sha256(unit.encode()).digest()[:4], "big") / 2**32
    return round(lo + (hi - lo) * h, 1)


def provincial_values(ws: core.Workspace) -> list[ValueInput]:
    """Every province's 2024 rate (the map and the rankings), some provinces' April 2024 figures, and
    Đà Nẵng's January–March 2024 of the whole data set (the form's approved history); Đà Nẵng's April is
    left for the form."""
    provinces = [u.code for u in ws.catalogue.members("provinces", Period.parse("2024"))]
    out: list[ValueInput] = []
    for code in provinces:
        denominator = 1000 + int(_spread(code, 0, 9000))
        value = _spread(code + "y", 35.0, 92.0)
        out.append(ValueInput(indicator=RATE, unit=code, period="2024", value=value,
                              numerator=round(denominator * value / 100), denominator=denominator,
                              source="test-browser"))
    for code in provinces[::6]:
        if code != REPORTER_DN.unit:
            out.append(ValueInput(indicator=RATE, unit=code, period=FORM_PERIOD,
                                  value=_spread(code + "m", 30.0, 90.0), source="test-browser"))
    for code, entered in FORM_VALUES.items():  # a steady climb to what the reporter will enter
        for month, share in (("2024-01", 0.93), ("2024-02", 0.96), ("2024-03", 0.98)):
            value = round(entered * share) if isinstance(entered, int) else round(entered * share, 1)
            out.append(ValueInput(indicator=code, unit=REPORTER_DN.unit, period=month, value=value,
                                  source="test-browser"))
    return out


def seeded_workspace(root: Path) -> core.Workspace:
    ws = core.init_workspace(root, f"sqlite:///{root / 'store.sqlite'}")
    core.load(ws, "vn-2024", "test")
    for u in USERS:
        ws.store.users.create(u.username, u.name, PASSWORD, u.role, u.unit)
    ws.store.write_values(provincial_values(ws), actor="test", status="approved")
    return ws


def reporter_workspace(root: Path) -> core.Workspace:
    """An empty SQLite workspace with one user: Hà Nội's reporter ``hanoi``."""
    ws = core.init_workspace(root / "ws", f"sqlite:///{root / 'store.sqlite'}")
    ws.store.users.create("hanoi", "Phòng CĐS Hà Nội", PASSWORD, "reporter", "P01")
    return ws


def log_in_page(page: Any, username: str) -> None:
    """Logs ``username`` in through the login form, as a person would; back on the forms page."""
    page.goto("/login")
    form = page.locator("form.login")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/forms")


@dataclass(frozen=True)
class LiveServer:
    url: str  # http://127.0.0.1:PORT
    host: str
    port: int
    app: FastAPI

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"


def closed_network(context: Any, server: LiveServer) -> list[str]:
    """Lets a Playwright browser context reach only ``server``, as on a closed network: a request to another host
    (a CDN's font or script) is refused, and its URL kept in the list returned."""
    external: list[str] = []

    def guard(route: Any, request: Any) -> None:
        if urlsplit(request.url).netloc == server.netloc:
            route.continue_()
        else:
            external.append(request.url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    return external


@contextlib.contextmanager
def live_server(app: FastAPI, host: str = "127.0.0.1", timeout: float = 15.0) -> Iterator[LiveServer]:
    """Serves ``app`` with uvicorn in a daemon thread. The socket is bound here (port 0), so no other
    process can take the port between choosing and serving it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="chiso-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live chiso server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://{host}:{port}", host, port, app)
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
        sock.close()
