"""Projections on the web (issue 15 §1): the chart on the indicator and unit pages, the overview's likely misses
in a real browser (headless Chromium through Playwright against a live server), ``GET /api/v1/forecast`` and
the scopes through the test client. Every expected figure is ``Foresight``'s own answer for the same data.

The world: a count (NDXP transactions) reported monthly from January to September 2024 by four provinces,
each with a 2024 target: Đà Nẵng and Hồ Chí Minh short of theirs, Hà Nội ahead, Cà Mau with one month only
(too short to project). The data ends in September, so the pages project from 30/09/2024.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from browser_support import LiveServer, chromium, live_server
from chiso import app as core
from chiso.auth import subtree
from chiso.catalogue.models import Target
from chiso.catalogue.records import Origin, ValueInput
from chiso.engine.foresight import Foresight, Projection
from chiso.report.foresight_text import projection_sentence, sentences
from chiso.web import create_app
from web_support import MakeClient, by_testid

if TYPE_CHECKING:  # playwright missing is a clear failure in browser_support.chromium, not an import error here
    from playwright.sync_api import Browser, Page

FLOW = "ndxp_transactions"
AS_OF = date(2024, 9, 30)  # the data's last month end
PACE = {"P48": 100, "P01": 300, "P79": 50}
TARGETS = {"P48": 1500.0, "P01": 3000.0, "P79": 1000.0, "P96": 500.0}
STALE = "Số liệu vừa thay đổi: danh sách đang được tính lại."
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def monthly(unit: str, base: float, months: range) -> list[ValueInput]:
    return [ValueInput(indicator=FLOW, unit=unit, period=f"2024-{m:02d}", value=base + (m % 3) * 5, source="test",
                       origin=Origin.REPORTED) for m in months]


def build(root: Path) -> core.Workspace:
    ws = core.init_workspace(root, f"sqlite:///{root / 'store.sqlite'}")
    rows = [v for u, base in PACE.items() for v in monthly(u, base, range(1, 10))] + monthly("P96", 80, range(9, 10))
    ws.store.write_values(rows, actor="test", status="approved")
    ws.store.write_targets([Target(indicator=FLOW, unit=u, period="2024", value=v) for u, v in TARGETS.items()],
                           actor="test")
    return ws


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[core.Workspace]:
    ws = build(tmp_path_factory.mktemp("foresight-web") / "ws")
    yield ws
    ws.close()


def project(ws: core.Workspace, unit: str) -> Projection:
    return Foresight(ws.engine).project(FLOW, unit, 2024, as_of=AS_OF)


def as_json(p: Projection) -> Any:
    return json.loads(json.dumps(p.as_dict()))  # floats go through JSON exactly


def expected_misses(ws: core.Workspace, units: frozenset[str] | None = None) -> list[Projection]:
    rows, _ = Foresight(ws.engine).behind(2024, as_of=AS_OF, units=sorted(units) if units is not None else None)
    return rows


def misses_section(html: str) -> str:
    m = re.search(r'<section id="likely-misses".*?</section>', html, re.S)
    assert m is not None, "no likely misses on the overview"
    return m.group(0)


def wait_for_misses(get: Any, url: str, timeout: float = 60.0) -> str:
    """A page once its projections are made (they are made aside; the page says so meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        html = get(url)
        if 'data-testid="misses-computing"' not in html and '-pending"' not in html:
            return str(html)
        assert time.monotonic() < deadline, "the likely misses were never made"
        time.sleep(0.2)


# --- in a browser ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(world: core.Workspace) -> Iterator[LiveServer]:
    with live_server(create_app(world)) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    ctx = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, locale="vi-VN")
    elsewhere: list[str] = []
    ctx.route("**/*", lambda route, req: route.continue_() if req.url.startswith(server.url)
              else (elsewhere.append(req.url), route.abort("blockedbyclient")))
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(15_000)
    yield pg
    ctx.close()
    assert elsewhere == [] and errors == []  # nothing fetched from another host, no script error


def settle(pg: Page, url: str) -> None:
    """Opens ``url`` and reloads it until the projections it shows are made."""
    def html(u: str) -> str:
        pg.goto(u)
        return pg.content()

    wait_for_misses(html, url)


def drawn(pg: Page, testid: str) -> list[dict[str, str | None]]:
    """The chart's points: period, value, and for projected months the interval."""
    return [{k: c.get_attribute(f"data-{k}") for k in ("period", "value", "low", "high")}
            for c in pg.get_by_test_id(testid).locator("circle.pt").all()]


def test_the_indicator_page_draws_what_foresight_projects(page: Page, world: core.Workspace) -> None:
    p = project(world, "P48")
    assert p.method == "ets" and p.behind  # the world is what the test means it to be
    settle(page, f"/indicators/{FLOW}?period=2024&unit=P48")
    chart = page.get_by_test_id("projection-chart")
    assert chart.is_visible()
    points = drawn(page, "projection-chart")
    assert [pt["period"] for pt in points] == [f"T{m}" for m in range(1, 13)]
    assert [float(pt["value"] or "nan") for pt in points] == [x.value for x in p.path]
    ahead = [x for x in p.path if x.projected]
    assert [(float(pt["low"] or "nan"), float(pt["high"] or "nan")) for pt in points[-len(ahead):]] == [
        (x.low, x.high) for x in ahead]
    assert chart.locator("circle.projected").count() == len(ahead) == 3
    assert page.get_by_test_id("projection-chart-band").count() == 1
    assert chart.locator("polyline.projected").get_attribute("stroke-dasharray")
    assert float(page.get_by_test_id("projection-chart-target").get_attribute("data-value") or "nan") == 1500
    # the text alternative and the caption say the projection in Foresight's sentences
    said = " ".join(sentences(p))
    assert chart.locator("desc").text_content() == said
    assert page.get_by_test_id("projection-sentences").inner_text().strip() == said
    assert "30/09/2024" in page.get_by_test_id("projection-caption").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#foresight").screenshot(path=str(SHOTS / "foresight-indicator.png"))


def test_the_unit_page_draws_its_target_or_says_why_it_cannot(page: Page, world: core.Workspace) -> None:
    p = project(world, "P79")
    settle(page, "/units/P79?period=2024")
    assert [float(pt["value"] or "nan") for pt in drawn(page, f"projection-chart-{FLOW}")] == [x.value for x in p.path]
    assert page.get_by_test_id(f"projection-{FLOW}-sentences").inner_text().strip() == " ".join(sentences(p))
    # Cà Mau holds one month: no chart, and the page says why in the projection's own words
    short = project(world, "P96")
    assert (short.method, short.reason) == ("none", "too_short")
    settle(page, "/units/P96?period=2024")
    assert page.get_by_test_id(f"projection-chart-{FLOW}").count() == 0
    assert page.get_by_test_id(f"projection-{FLOW}-sentences").inner_text().strip() == projection_sentence(short)


def test_the_overview_lists_the_likely_misses_worst_first(page: Page, world: core.Workspace) -> None:
    settle(page, "/?period=2024")
    want = expected_misses(world)
    assert [p.unit.code for p in want] == ["P79", "P48"]  # Hồ Chí Minh the further behind
    table = page.get_by_test_id("misses")
    got = [(r.get_attribute("data-unit"), r.get_attribute("data-indicator"), float(r.get_attribute("data-value") or 0),
            float(r.get_attribute("data-probability") or 0)) for r in table.locator("tbody tr").all()]
    assert got == [(p.unit.code, FLOW, p.value, p.probability) for p in want]
    first = table.locator("tbody tr").first
    assert first.get_attribute("title") == " ".join(sentences(want[0]))
    page.locator("#likely-misses").screenshot(path=str(SHOTS / "foresight-overview.png"))
    first.get_by_role("link").first.click()
    page.wait_for_url("**/units/P79?period=2024")
    settle(page, "/units/P79?period=2024")
    assert page.get_by_test_id(f"projection-chart-{FLOW}").is_visible()


# --- the test client: scopes, the API, the cache ----------------------------------------------------------------


def test_a_reporter_sees_only_their_units(world: core.Workspace, make_client: MakeClient) -> None:
    public = make_client(world)
    everyone = misses_section(wait_for_misses(lambda u: public.get(u).text, "/?period=2024"))
    assert 'data-unit="P79"' in everyone and 'data-unit="P48"' in everyone
    reporter = make_client(world, user="danang-fw", role="reporter", unit="P48")
    page = misses_section(wait_for_misses(lambda u: reporter.get(u).text, "/?period=2024"))
    scope = subtree(world.catalogue, reporter_user(world, "danang-fw"))
    want = expected_misses(world, scope)
    assert [p.unit.code for p in want] == ["P48"]
    assert 'data-unit="P48"' in page and 'data-unit="P79"' not in page
    assert "Chỉ gồm các đơn vị trong phạm vi tài khoản của bạn." in by_testid(page, "likely-misses")


def reporter_user(ws: core.Workspace, username: str) -> Any:
    from chiso.auth import Role, User

    rec = ws.store.users.by_username(username)
    assert rec is not None
    return User(rec.id, rec.username, rec.name, Role(rec.role), rec.unit)


def test_the_api_answers_the_projection(world: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(world)
    r = c.get("/api/v1/forecast", params={"indicator": FLOW, "unit": "P48", "year": 2024})
    assert r.status_code == 200
    body = r.json()
    p = project(world, "P48")
    assert {k: v for k, v in body.items() if k not in ("sentences", "method_text")} == as_json(p)
    assert body["sentences"] == sentences(p)
    en = c.get("/api/v1/forecast", params={"indicator": FLOW, "unit": "Đà Nẵng", "year": 2024, "lang": "en"}).json()
    assert en["unit"] == "P48" and en["sentences"] == sentences(p, "en")  # a name: the unit of the year's end
    assert en["sentences"][0].startswith("At the current pace, Da Nang reaches")


@pytest.mark.parametrize(("params", "status"), [
    ({"indicator": "no_such_indicator", "unit": "P48", "year": 2024}, 422),  # a name in the query: 422
    ({"indicator": FLOW, "unit": "Atlantis", "year": 2024}, 422),
    ({"indicator": FLOW, "unit": "P48", "year": 1999}, 400),  # malformed or out of bounds: 400
    ({"indicator": FLOW, "unit": "P48", "year": 99999999999999999999}, 400),
    ({"indicator": FLOW, "unit": "P48", "year": "2024-09"}, 400),
    ({"unit": "P48", "year": 2024}, 400),
    ({"indicator": "x" * 5000, "unit": "P48", "year": 2024}, 400),
    ({"indicator": FLOW, "unit": "P48\x00'; drop", "year": 2024}, 422),
])
def test_the_api_refuses_what_it_cannot_answer(world: core.Workspace, make_client: MakeClient,
                                               params: dict[str, Any], status: int) -> None:
    r = make_client(world, raise_server_exceptions=False).get("/api/v1/forecast", params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_projections_are_kept_while_the_data_holds(tmp_path: Path, make_client: MakeClient) -> None:
    ws = build(tmp_path / "ws")
    app = create_app(ws)
    c = make_client(ws, app=app)
    with c:
        made = app.state.outlooks
        ask = {"indicator": FLOW, "unit": "P48", "year": 2024}
        first = c.get("/api/v1/forecast", params=ask).json()
        assert made.made == 1
        assert c.get("/api/v1/forecast", params=ask).json() == first
        page = c.get(f"/indicators/{FLOW}", params={"period": "2024", "unit": "P48"}).text
        assert 'data-testid="projection-chart"' in page
        assert made.made == 1  # the page drew the projection the API had made: none made twice
        before = misses_section(wait_for_misses(lambda u: c.get(u).text, "/?period=2024"))
        assert 'data-unit="P48"' in before
        # a value saved moves the data version: the next answer is a new projection of the new data
        ws.store.write_values(monthly("P48", 400, range(9, 10)), actor="test", status="approved")
        # the overview shows the last list at once, saying it is being remade, and no cache keeps that page
        r = c.get("/?period=2024")
        assert STALE in misses_section(r.text) and r.headers["cache-control"] == "no-store"
        deadline = time.monotonic() + 60
        while STALE in (page := c.get("/?period=2024").text):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert [m for m in expected_misses(ws) if m.unit.code == "P48"] == []  # a September of 400: on track
        assert 'data-unit="P48"' not in misses_section(page)
        again = c.get("/api/v1/forecast", params=ask).json()
        assert again["actual"] > first["actual"]
        now = Foresight(ws.engine).project(FLOW, "P48", 2024, as_of=AS_OF)
        assert again == {**as_json(now), "sentences": sentences(now), "method_text": again["method_text"]}


def test_a_complete_year_is_not_projected(tmp_path: Path, make_client: MakeClient) -> None:
    ws = core.init_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'store.sqlite'}")
    ws.store.write_values(monthly("P48", 100, range(1, 13)), actor="test", status="approved")
    ws.store.write_targets([Target(indicator=FLOW, unit="P48", period="2024", value=1500)], actor="test")
    # a past year with a yearly figure only is that figure, not a forecast
    rate = "dossier_full_online_rate"
    ws.store.write_values([ValueInput(indicator=rate, unit="VN", period="2024", value=40.0, source="test",
                                      origin=Origin.REPORTED)], actor="test", status="approved")
    ws.store.write_targets([Target(indicator=rate, unit="VN", period="2024", value=50)], actor="test")
    c = make_client(ws)
    assert 'id="foresight"' not in c.get(f"/indicators/{rate}", params={"period": "2024", "unit": "VN"}).text
    assert 'id="foresight"' not in c.get(f"/indicators/{FLOW}", params={"period": "2024", "unit": "P48"}).text
    assert c.app.state.outlooks.made == 0  # nothing to project: nothing made
    assert 'id="foresight"' not in c.get("/units/P48", params={"period": "2024"}).text
    assert 'id="likely-misses"' not in wait_for_misses(lambda u: c.get(u).text, "/?period=2024")
