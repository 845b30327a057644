"""A province's communes in a real browser (issue 13): headless Chromium (Debian's) through Playwright against a
live server on the simulated world. From Đà Nẵng's page to its communes, an indicator chosen in the filter, the
table sorted by a column, a commune followed to its own page; nothing asked of any other host. The screenshot
goes to docs/screenshots/communes.png.

No silent skip: without Chromium the test fails and says to run scripts/browser.sh.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from browser_support import LiveServer, chromium, live_server
from chiso import app as core
from chiso.web import create_app

if TYPE_CHECKING:  # playwright missing is a clear failure in browser_support.chromium, not an import error here
    from playwright.sync_api import Browser, Page, Route
    from playwright.sync_api import Request as PwRequest

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
RATE = "dossier_full_online_rate"
ON_TIME = "dossier_on_time_rate"
ONLINE = "dossier_online_submission_rate"


@pytest.fixture(scope="module")
def server(simulated_world: core.Workspace) -> Iterator[LiveServer]:
    with live_server(create_app(simulated_world)) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def rows(page: Page) -> list[tuple[str, str]]:
    """(commune, rank) of the table's rows, in order."""
    table = page.get_by_test_id("communes-table")
    return [(tr.get_attribute("data-unit") or "", tr.get_attribute("data-rank") or "")
            for tr in table.locator("tbody tr").all()]


def test_a_provinces_office_looks_at_its_communes(browser: Browser, server: LiveServer,
                                                  simulated_world: core.Workspace) -> None:
    ws = simulated_world
    group = ws.catalogue.units["P48.communes"]
    external: list[str] = []
    errors: list[str] = []
    ctx = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800}, locale="vi-VN")

    def guard(route: Route, request: PwRequest) -> None:
        if urlsplit(request.url).netloc == server.netloc:
            route.continue_()
        else:  # a closed network: anything from elsewhere is refused and remembered
            external.append(request.url)
            route.abort("blockedbyclient")

    ctx.route("**/*", guard)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(15_000)
    try:
        # from the province's page to its communes
        page.goto("/units/P48?period=2024")
        page.get_by_test_id("communes-link").locator("a").click()
        page.wait_for_url(re.compile(r"/units/P48/communes\?period=2024"))
        assert page.get_by_test_id("communes-title").inner_text() == "Xã, phường của Đà Nẵng"
        expected = ws.engine.rank(RATE, group, "2024")
        assert rows(page) == [(r.unit.code, str(r.rank) if r.rank is not None else "") for r in expected]
        tiles = page.get_by_test_id("communes-map").locator("g.tile")
        assert tiles.count() == len(expected)

        # another indicator, chosen in the filter: the table, leaders and map follow it
        page.get_by_test_id("indicator").select_option(ON_TIME)
        page.get_by_test_id("filters").locator("button[type=submit]").click()
        page.wait_for_url(re.compile(rf"indicator={ON_TIME}"))
        on_time = ws.engine.rank(ON_TIME, group, "2024")
        assert rows(page) == [(r.unit.code, str(r.rank) if r.rank is not None else "") for r in on_time]
        best = next(r for r in on_time if r.rank is not None)
        assert page.get_by_test_id("leaders").locator("li").first.get_attribute("data-unit") == best.unit.code
        assert page.locator(f'th[data-indicator="{ON_TIME}"]').get_attribute("aria-sort") == "descending"

        # a column header sorts by its indicator
        page.get_by_test_id(f"sort-{ONLINE}").click()
        page.wait_for_url(re.compile(rf"indicator={ONLINE}"))
        online = ws.engine.rank(ONLINE, group, "2024")
        assert rows(page)[0][0] == online[0].unit.code
        assert page.locator(f'th[data-indicator="{ONLINE}"]').get_attribute("aria-sort") == "descending"
        page.locator("h1").click()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "communes.png"), full_page=True)

        # a commune followed to its own page: its type, district, province and what it became
        first = online[0].unit
        page.get_by_test_id(f"commune-link-{first.code}").click()
        page.wait_for_url(re.compile(rf"/units/{first.code}\?"))
        local = page.get_by_test_id("local-unit").inner_text()
        assert first.local_type is not None and first.local_type in local and "Thành phố Đà Nẵng" in local
        assert page.get_by_test_id("lineage-to").locator("li").count() >= 1
        assert external == [] and errors == []
    finally:
        ctx.close()
