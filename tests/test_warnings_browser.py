"""Early warnings in a real browser (issue 15 §2): headless Chromium (Debian's) through Playwright against a live
server. Hà Nội's reporter logs in, follows the nav to the warnings, sees Hà Nội's and none of Hồ Chí Minh City's,
marks one resolved and sees it so. No silent skip: without Chromium the test fails and says to run
scripts/browser.sh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_support import chromium, live_server, log_in_page, reporter_workspace
from chiso import app as core
from chiso.web import create_app
from test_warnings_web import findings


@pytest.fixture
def ws(tmp_path: Path, cheap_hashes: None) -> Iterator[core.Workspace]:
    w = reporter_workspace(tmp_path)
    yield w
    w.close()


def test_a_reporter_sees_and_resolves_its_provinces_warnings(ws: core.Workspace) -> None:
    ids = findings(ws)
    with live_server(create_app(ws)) as server, chromium() as browser:
        page = browser.new_context(base_url=server.url, locale="vi-VN").new_page()
        log_in_page(page, "hanoi")
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
    w = ws.store.warnings.get(ids["P01"])
    assert w is not None and (w.state, w.state_by) == ("resolved", "hanoi")
