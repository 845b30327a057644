"""Early warnings in a real browser (issue 15 §2): headless Chromium (Debian's) through Playwright against a live
server. Hà Nội's reporter logs in, follows the nav to the warnings, sees Hà Nội's and none of Hồ Chí Minh City's,
marks one resolved and sees it so. No silent skip: without Chromium the test fails and says to run
scripts/browser.sh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_support import CHROMIUM_MISSING, PASSWORD, chromium_path, live_server
from chiso import app as core
from chiso.web import create_app
from test_warnings_web import findings

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # a clear failure below, rather than an import error that hides the remedy
    sync_playwright = None  # type: ignore[assignment]


@pytest.fixture
def ws(tmp_path: Path, cheap_hashes: None) -> Iterator[core.Workspace]:
    w = core.init_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'store.sqlite'}")
    w.store.users.create("hanoi", "Phòng CĐS Hà Nội", PASSWORD, "reporter", "P01")
    yield w
    w.close()


def test_a_reporter_sees_and_resolves_its_provinces_warnings(ws: core.Workspace) -> None:
    if sync_playwright is None:
        pytest.fail("the playwright package is missing: pip install -e '.[dev]'; " + CHROMIUM_MISSING)
    exe = chromium_path()
    if exe is None:
        pytest.fail(CHROMIUM_MISSING)
    ids = findings(ws)
    with live_server(create_app(ws)) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=[
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_context(base_url=server.url, locale="vi-VN").new_page()
        page.goto("/login")
        form = page.locator("form.login")
        form.locator("input[name=username]").fill("hanoi")
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/forms")
        page.get_by_role("link", name="Cảnh báo sớm").click()
        page.wait_for_url("**/warnings")
        table = page.get_by_test_id("warnings")
        shown = {tr.get_attribute("data-warning"): tr.get_attribute("data-unit")
                 for tr in table.locator("tbody tr").all()}
        assert set(shown) == {str(ids["P01"]), str(ids["commune"])} and "P79" not in shown.values()
        row = table.locator(f'tr[data-warning="{ids["P01"]}"]')
        assert "Nguồn im lặng" in row.inner_text() and "06/03/2024" in row.inner_text()
        row.get_by_role("button", name="Đánh dấu đã xử lý").click()
        page.wait_for_url("**/warnings")
        row = page.get_by_test_id("warnings").locator(f'tr[data-warning="{ids["P01"]}"]')
        assert row.get_attribute("data-state") == "resolved" and "hanoi" in row.inner_text()
        browser.close()
    w = ws.store.warnings.get(ids["P01"])
    assert w is not None and (w.state, w.state_by) == ("resolved", "hanoi")
