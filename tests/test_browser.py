"""chiso in a real browser: headless Chromium (Debian's) driven by Playwright against a live server.

- a province reporter logs in, enters a month's figures and submits them; a reviewer approves; only then
  does the public dashboard show the new value (the reporter sees it earlier, as a draft, on request);
- a reporter of another province is refused that form, its JSON and its drafts;
- every page works on a closed network: each request to any host but the server is blocked and recorded,
  and the pages still render with the stylesheet served from /static;
- screenshots of the main pages go to docs/screenshots/ (shown in the README; overwritten each run).

No silent skip: without Chromium the tests fail and say to run scripts/browser.sh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from browser_support import (
    ADMIN,
    DATASET,
    FORM_PERIOD,
    FORM_VALUES,
    RATE,
    REPORTER_CM,
    REPORTER_DN,
    REVIEWER,
    LiveServer,
    Persona,
    chromium,
    closed_network,
    live_server,
    log_in_page,
    seeded_workspace,
)
from chiso import app as core
from chiso.web import create_app
from chiso.web.labels import value_text

if TYPE_CHECKING:  # playwright missing is a clear failure in browser_support.chromium, not an import error here
    from playwright.sync_api import Browser, BrowserContext, Page, Response, ViewportSize

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
FORM = f"/forms/{DATASET}/{REPORTER_DN.unit}/{FORM_PERIOD}"
ACCENT = "rgb(185, 28, 28)"  # chiso.css --accent on .brand: proves the stylesheet was applied


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[core.Workspace]:
    w = seeded_workspace(tmp_path_factory.mktemp("browser") / "ws")
    yield w
    w.close()


@pytest.fixture(scope="module")
def server(ws: core.Workspace) -> Iterator[LiveServer]:
    with live_server(create_app(ws)) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@dataclass
class Watch:
    """What a browser context asked for: requests to other hosts (blocked), /static answers, JS errors."""

    external: list[str] = field(default_factory=list)
    static: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class Session:
    context: BrowserContext
    page: Page
    watch: Watch


Opener = Callable[..., Session]


@pytest.fixture
def open_session(browser: Browser, server: LiveServer) -> Iterator[Opener]:
    """Opens a context that can reach only the server, logged in as ``who`` (or public)."""
    opened: list[Session] = []

    def open_(who: Persona | None = None, viewport: ViewportSize | None = None, scale: float = 1) -> Session:
        ctx = browser.new_context(base_url=server.url, viewport=viewport or DESKTOP, locale="vi-VN",
                                  device_scale_factor=scale)
        watch = Watch(closed_network(ctx, server))

        def answered(response: Response) -> None:
            path = urlsplit(response.url).path
            if path.startswith("/static/"):
                watch.static[path] = response.status

        page = ctx.new_page()
        page.on("response", answered)
        page.on("pageerror", lambda e: watch.errors.append(str(e)))
        page.set_default_timeout(10_000)
        if who is not None:
            login(page, who)
        s = Session(ctx, page, watch)
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.context.close()


def login(page: Page, who: Persona) -> None:
    log_in_page(page, who.username)


def shot(page: Page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def ranked_value(page: Page, unit: str, drafts: bool = False) -> str:
    """The text in the provinces ranking of RATE for April 2024, as ``page`` sees it."""
    page.goto(f"/indicators/{RATE}?period={FORM_PERIOD}&group=provinces" + ("&drafts=1" if drafts else ""))
    return page.get_by_test_id(f"rank-value-{RATE}-{unit}").inner_text().strip()


# --- a closed network, and the screenshots --------------------------------------------------------------------
# These come first in the file: they then see the seeded workspace before the flow below changes it (pytest,
# and each xdist worker, run a module's tests in file order), so the screenshots are the same every run.
PAGES: list[tuple[str, Persona | None, str]] = [  # (path, who, screenshot name or "")
    ("/", None, "overview"),
    (f"/indicators/{RATE}", None, "indicator"),
    ("/units/P48", None, "unit"),
    ("/login", None, ""),
    ("/docs", None, ""),
    ("/forms", REPORTER_DN, ""),
    (f"/forms/{DATASET}/{REPORTER_DN.unit}/2024-05", REPORTER_DN, ""),
    ("/admin", ADMIN, "admin"),
    ("/admin/users", ADMIN, ""),
]


def test_pages_work_offline_with_their_own_styles(open_session: Opener, server: LiveServer) -> None:
    sessions: dict[str | None, Session] = {}
    for path, who, name in PAGES:
        key = who.username if who else None
        if key not in sessions:
            sessions[key] = open_session(who)
        s = sessions[key]
        resp = s.page.goto(path)
        assert resp is not None and resp.ok, f"{path}: {resp.status if resp else 'no response'}"
        assert s.page.locator(".brand").evaluate("e => getComputedStyle(e).color") == ACCENT, path
        sheets = s.page.evaluate("[...document.styleSheets].map(s => s.href)")
        assert sheets == [f"{server.url}/static/chiso.css"], (path, sheets)
        if name:
            shot(s.page, name)
    for s in sessions.values():
        assert s.watch.external == [], s.watch.external
        assert s.watch.static.get("/static/chiso.css") == 200, s.watch.static  # each context loads it itself
        assert s.watch.errors == []
    # the guard itself works: a request to another host is refused and recorded, not let through
    probe = sessions[None]
    # (a page's own fetch() to another host is stopped earlier, by its Content-Security-Policy)
    with pytest.raises(Exception):  # noqa: B017 -- the guard aborts the navigation; Playwright's error type varies
        probe.page.goto("http://cdn.example.invalid/x.js")
    assert probe.watch.external == ["http://cdn.example.invalid/x.js"]


def test_phone_width_overview(open_session: Opener) -> None:
    s = open_session(viewport=PHONE, scale=2)
    s.page.goto("/")
    width = s.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the overview scrolls sideways on a phone ({width}px)"
    shot(s.page, "overview-phone", full_page=False)  # the first screen: the whole page is ~9000 px tall
    assert s.watch.external == []


# --- the whole flow ---------------------------------------------------------------------------------------
def test_reporter_enters_reviewer_approves_dashboard_publishes(open_session: Opener, ws: core.Workspace) -> None:
    expected = value_text(FORM_VALUES[RATE], ws.catalogue.indicators[RATE], "vi")  # "61,5%", Vietnamese style
    public = open_session()
    assert ranked_value(public.page, REPORTER_DN.unit) == "—"  # nothing published for April yet

    dn = open_session(REPORTER_DN)
    page = dn.page
    page.goto(f"/forms?period={FORM_PERIOD}")
    page.locator(f'a[href="{FORM}"]').first.click()
    page.wait_for_url(f"**{FORM}")
    assert "Đà Nẵng" in page.locator("h1").inner_text()
    # decimals with a Vietnamese comma; no "1.234" for thousands: the form reads a lone dot as a decimal point
    page.locator(f'input[name="{RATE}.numerator"]').fill("1230")
    page.locator(f'input[name="{RATE}.denominator"]').fill("2000")
    for code, value in FORM_VALUES.items():
        page.locator(f'input[name="{code}.value"]').fill(f"{value:g}".replace(".", ","))
    page.locator(f'textarea[name="{RATE}.comment"]').fill("Cổng DVC thành phố")
    page.locator("h1").click()  # no focus ring in the screenshot
    shot(page, "form")
    page.locator('button[name="action"][value="submit"]').click()
    page.wait_for_url("**?done=submitted")
    assert page.get_by_role("status").inner_text() == "Đã lưu và gửi duyệt."
    assert page.locator("strong.state").inner_text() == "Chờ duyệt"
    assert dn.watch.errors == []  # forms.js ran without an error

    # submitted is not published: the public still sees nothing; the reporter sees the draft on request
    assert ranked_value(public.page, REPORTER_DN.unit) == "—"
    assert ranked_value(page, REPORTER_DN.unit) == "—"
    assert ranked_value(page, REPORTER_DN.unit, drafts=True) == expected

    # another province's reporter: the form, its JSON, a save and the drafts are all refused
    cm = open_session(REPORTER_CM)
    page = cm.page
    page.goto(f"/forms?period={FORM_PERIOD}")
    assert page.locator(f'a[href="{FORM}"]').count() == 0  # not even listed
    resp = page.goto(FORM)
    assert resp is not None and resp.status == 403
    assert "Bạn không có quyền" in page.get_by_role("alert").inner_text()
    assert page.locator(f'input[name="{RATE}.value"]').count() == 0
    api = page.request.get(f"/api/v1/forms/{DATASET}/{REPORTER_DN.unit}/{FORM_PERIOD}")
    assert api.status == 403, api.text()
    csrf = page.request.get("/api/v1/session").json()["csrf"]
    put = page.request.put(f"/api/v1/forms/{DATASET}/{REPORTER_DN.unit}/{FORM_PERIOD}",
                           headers={"X-CSRF-Token": csrf}, data={"entries": [{"indicator": RATE, "value": 1}]})
    assert put.status == 403, put.text()
    assert ranked_value(page, REPORTER_DN.unit, drafts=True) == "—"  # P48's draft is outside Cà Mau's scope

    # the reviewer of the provinces approves
    rv = open_session(REVIEWER)
    page = rv.page
    page.goto("/forms")
    page.locator(f'a[href="{FORM}"]').first.click()
    page.get_by_role("button", name="Duyệt và công bố").click()
    page.wait_for_url("**?done=approved")
    assert page.get_by_role("status").inner_text() == "Đã duyệt; số liệu được công bố."
    assert page.locator("strong.state").inner_text() == "Đã duyệt"

    # published: the public dashboard, its ranking, the map and the unit page show it
    page = public.page
    assert ranked_value(page, REPORTER_DN.unit) == expected
    row = page.locator(f'table[data-testid="ranking-provinces"] tr[data-unit="{REPORTER_DN.unit}"]')
    assert row.get_attribute("data-rank") not in ("", None)
    assert expected.rstrip("%") in page.locator("#map").inner_text()
    page.goto(f"/units/{REPORTER_DN.unit}?period={FORM_PERIOD}")
    table = page.get_by_test_id("unit-indicators").inner_text()
    assert expected in table and "1.234 người" in table  # the count shown back with a Vietnamese separator
    for s in (public, dn, cm, rv):
        assert s.watch.external == [] and s.watch.errors == []


# --- reports, figures read back, and a unit's lineage ---------------------------------------------------------
def test_national_office_writes_a_report_reads_figures_back_and_sees_a_lineage(open_session: Opener) -> None:
    s = open_session(ADMIN)
    page = s.page
    page.goto("/reports")
    form = page.get_by_test_id("report-form")
    form.locator("input[name=period]").fill("2024")
    form.locator('input[name=format][value="docx"]').uncheck()
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/reports?done=*")
    row = page.locator('tr[data-report="bao-cao-cds-2024"]')
    assert row.locator("a[data-format=pdf]").count() == 1 and row.locator("a[data-format=docx]").count() == 0
    shot(page, "reports")
    # the HTML report opens in the browser, with its charts, and asks for nothing outside
    row.locator("a[data-format=html]").click()
    page.wait_for_url("**/reports/bao-cao-cds-2024.html")
    assert page.locator("h1").first.inner_text().startswith("Báo cáo kết quả chuyển đổi số quốc gia năm 2024")
    assert page.locator("svg").count() >= 1
    # the overview links the latest report
    page.goto("/")
    assert page.get_by_test_id("latest-report").locator('a[href="/reports/bao-cao-cds-2024.pdf"]').count() == 1

    # a published sentence, read back and imported
    page.goto("/extract")
    reader = page.get_by_test_id("extract-form")
    reader.locator("textarea[name=text]").fill(
        "Báo cáo tháng 5/2024\nTrong tháng 5/2024, tỷ lệ hồ sơ trực tuyến toàn trình của khối bộ đạt 64,2%.\n"
        "Tỷ lệ hồ sơ thanh toán trực tuyến đạt 40%.")
    reader.locator("button[type=submit]").click()
    proposals = page.get_by_test_id("proposals")
    assert "dossier_full_online_rate" in proposals.inner_text() and "64,2" in proposals.inner_text()
    # each shows the words that decided it and a confidence; the one naming no unit is flagged and unticked
    assert "khối bộ" in proposals.get_by_test_id("evidence").first.inner_text()
    assert proposals.get_by_test_id("confidence").count() == 2
    flagged = proposals.locator('tr[data-flagged="1"]')
    assert flagged.count() == 1 and not flagged.locator("input[name=pick]").is_checked()
    assert "không nêu đơn vị" in flagged.get_by_test_id("flag-reason").inner_text()
    page.get_by_test_id("accept-form").locator("button[type=submit]").click()
    page.get_by_test_id("extract-done").wait_for()
    assert "1" in page.get_by_test_id("extract-done").inner_text()

    # the new Ninh Bình: what it was made of
    page.goto("/units/P37-2025")
    made_of = page.get_by_test_id("lineage-from")
    assert [li.get_attribute("data-unit") for li in made_of.locator("li").all()] == ["P35", "P36", "P37"]
    shot(page, "unit-lineage")
    page.goto("/units/Hà Giang")
    assert "Tuyên Quang" in page.get_by_test_id("ended").inner_text()
    assert s.watch.external == [] and s.watch.errors == []
