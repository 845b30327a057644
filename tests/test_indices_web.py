"""Composite indices on the web (web/indices.py) against the simulated world: the list, an index's page (ranking
with rank intervals, the criteria tree, the tile map coloured by rating with Hoàng Sa and Trường Sa), a unit's
scorecard with the explanation sentences, in Vietnamese and English; the CSV/XLSX tables read back to the
engine's numbers; the API's JSON equals the engine's; OpenAPI lists the endpoints; bad names are 4xx, never
500; the page's data follows the data version; and a real browser shows the page and the scorecard (screenshots
to docs/screenshots/)."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

import chiso.web.indices as web_indices
from browser_support import CHROMIUM_MISSING, chromium_path, live_server
from chiso import app as core
from chiso.engine import Engine
from chiso.engine.indices import IndexScorer
from chiso.engine.robustness import analyse
from chiso.report.index_text import explanation_sentences, fmt_index, robustness_sentences
from web_support import MakeClient, by_testid

PERIOD = "2024-06"
LATEST = "2024-12"  # the latest month with events in the simulated 2024
SAMPLES = 40  # rank intervals on the pages in these tests: the page's 500 cost seconds each


@pytest.fixture(autouse=True)
def few_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_indices, "PAGE_SAMPLES", SAMPLES)


@pytest.fixture
def client(simulated_world: core.Workspace, make_client: MakeClient) -> TestClient:
    return make_client(simulated_world)


@pytest.fixture(scope="module")
def scorer(simulated_world: core.Workspace) -> IndexScorer:
    """The engine as the public sees it (approved values, the kept event aggregates)."""
    ws = simulated_world
    return IndexScorer(Engine(ws.catalogue, ws.store, ws.store.events, statuses=("approved",)))


def rows_of(page: str, testid: str = "index-ranking") -> list[tuple[str, str]]:
    """(unit, rank) of each row of a ranking table, in the page's order."""
    start = page.index(f'data-testid="{testid}"')
    table = page[start:page.index("</table>", start)]
    return re.findall(r'<tr data-unit="([^"]+)" data-rank="([^"]*)"', table)


def items(page: str, testid: str) -> list[str]:
    start = page.index(f'data-testid="{testid}"')
    block = page[start:page.index("</ul>", start)]
    return [html.unescape(re.sub(r"<[^>]+>", "", li)).strip() for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- pages ---------------------------------------------------------------------------------------------------------
def test_the_list_names_every_index_in_both_languages(client: TestClient, simulated_world: core.Workspace) -> None:
    vi = client.get("/indices?lang=vi")
    assert vi.status_code == 200
    for code in simulated_world.catalogue.indices:
        assert f'href="/indices/{code}"' in vi.text
    assert "Chỉ số tổng hợp" in vi.text and "766/2022" in vi.text
    en = client.get("/indices?lang=en")
    assert "Composite indices" in en.text and "766 index" in en.text


def test_the_index_page_ranks_as_the_engine_does(client: TestClient, scorer: IndexScorer) -> None:
    for group in ("provinces", "ministries"):
        page = client.get(f"/indices/qd766?period={PERIOD}&group={group}&lang=vi").text
        gs = scorer.group("qd766", group, PERIOD)
        assert rows_of(page) == [(u.unit.code, "" if u.rank is None else str(u.rank)) for u in gs.units]
        for us in gs.units[:5]:
            assert by_testid(page, f"index-value-{us.unit.code}") == fmt_index(gs.index, us.value, "vi")
            assert f'href="/indices/qd766/units/{us.unit.code}?period={PERIOD}"' in page
    page = client.get(f"/indices/qd766?period={PERIOD}").text
    assert 'data-testid="index-tree"' in page and 'data-node="qd766.progress.on_time"' in page
    assert "766/2022" in page and "Quyết định 766/QĐ-TTg" in page  # the version used, and its source
    assert "vững" in by_testid(page, "robust-note")


def test_the_map_is_coloured_by_rating_with_both_archipelagos(client: TestClient, scorer: IndexScorer) -> None:
    page = client.get(f"/indices/qd766?period={PERIOD}").text
    assert 'data-testid="index-map"' in page
    assert 'data-testid="island-hoang-sa"' in page and 'data-testid="island-truong-sa"' in page
    gs = scorer.group("qd766", "provinces", PERIOD)
    for us in gs.units:
        want = us.rating.colour if us.rating else "grey"
        tile = re.search(rf'<g class="tile" data-testid="tile-{us.unit.code}"[^>]*>', page)
        assert tile is not None and f'data-rating="{want}"' in tile.group(0), us.unit.code
    assert 'data-testid="rating-legend"' in page and "Xuất sắc" in page
    ministries = client.get(f"/indices/qd766?period={PERIOD}&group=ministries").text
    assert 'data-testid="index-map"' not in ministries  # no map of ministries


def test_the_default_period_is_the_latest_month_with_data(client: TestClient) -> None:
    page = client.get("/indices/qd766").text
    assert by_testid(page, "period") == LATEST


def test_the_index_page_in_english(client: TestClient) -> None:
    page = client.get(f"/indices/qd766?period={PERIOD}&lang=en").text
    assert '<html lang="en">' in page and "Ranking" in page and "Criteria tree, points and weights" in page
    assert "Excellent" in page or "Good" in page


def test_the_scorecard_says_the_engines_sentences(client: TestClient, scorer: IndexScorer) -> None:
    for lang in ("vi", "en"):
        page = client.get(f"/indices/qd766/units/P48?period={PERIOD}&lang={lang}").text
        ex = scorer.explain("qd766", "P48", PERIOD)
        assert items(page, "explanation") == explanation_sentences(ex, lang)
        assert len(items(page, "robustness")) >= 1  # the unit's rank interval, said plainly
        for code, ns in ex.now.nodes.items():
            assert f'data-node="{code}"' in page
            assert by_testid(page, f"node-value-{code}") == fmt_index(ex.index, ns.value, lang)
    page = client.get(f"/indices/qd766/units/P48?period={PERIOD}").text
    top = ex.now
    assert f'data-node="qd766" data-colour="{top.rating.colour if top.rating else "grey"}"' in page
    assert 'class="marks"' in page  # bars against full marks


def test_the_robustness_sentence_is_the_engines(client: TestClient, scorer: IndexScorer) -> None:
    page = client.get(f"/indices/qd766/units/P48?period={PERIOD}").text
    gs = scorer.group("qd766", "provinces", PERIOD)
    assert items(page, "robustness") == robustness_sentences(analyse(gs, SAMPLES, seed=0), unit="P48", lang="vi")


def test_links_from_the_overview_the_unit_page_and_the_header(client: TestClient) -> None:
    overview = client.get("/?lang=vi").text
    assert 'href="/indices/qd766"' in overview and 'href="/indices"' in overview
    unit = client.get("/units/P48").text
    assert 'href="/indices/qd766/units/P48"' in unit
    assert client.get("/indices/qd766/units/P48").status_code == 200


# --- downloads -----------------------------------------------------------------------------------------------------
def test_the_ranking_csv_and_xlsx_are_the_engines(client: TestClient, scorer: IndexScorer) -> None:
    gs = scorer.group("qd766", "provinces", PERIOD)
    rows = read_csv(client.get(f"/indices/qd766/ranking.csv?period={PERIOD}").content)
    assert rows[0][:4] == ["Hạng", "Mã đơn vị", "Đơn vị", "Điểm"]
    assert [r[1] for r in rows[1:]] == [u.unit.code for u in gs.units]
    for r, us in zip(rows[1:], gs.units, strict=True):
        assert (r[0] or None) == (None if us.rank is None else str(us.rank))
        assert (float(r[3]) if r[3] else None) == pytest.approx(us.value)
    x = client.get(f"/indices/qd766/ranking.xlsx?period={PERIOD}&lang=en")
    sheet = [list(r) for r in load_workbook(io.BytesIO(x.content), read_only=True).active.iter_rows(values_only=True)]
    assert sheet[0][0] == "Rank" and [r[1] for r in sheet[1:]] == [u.unit.code for u in gs.units]


def test_the_scorecard_downloads(client: TestClient, scorer: IndexScorer) -> None:
    us, _ = scorer.score("qd766", "P48", PERIOD)
    rows = read_csv(client.get(f"/indices/qd766/units/P48/scorecard.csv?period={PERIOD}").content)
    assert [r[0] for r in rows[1:]] == list(us.nodes)
    for r, ns in zip(rows[1:], us.nodes.values(), strict=True):
        assert (float(r[6]) if r[6] else None) == pytest.approx(ns.value)
    x = client.get(f"/indices/qd766/units/P48/scorecard.xlsx?period={PERIOD}")
    assert x.headers["content-type"].startswith("application/vnd.openxmlformats")


# --- the API -------------------------------------------------------------------------------------------------------
def test_the_api_answers_the_engines_numbers(client: TestClient, scorer: IndexScorer) -> None:
    listed = client.get("/api/v1/indices").json()
    assert {i["code"] for i in listed["indices"]} == set(scorer.cat.indices)
    assert listed["count"] == len(listed["indices"])

    us, gs = scorer.score("qd766", "P48", PERIOD)
    got = client.get(f"/api/v1/indices/qd766/score?unit=P48&period={PERIOD}").json()
    assert got["value"] == pytest.approx(us.value)
    assert (got["rank"], got["of"], got["group"]) == (us.rank, us.of, "provinces")
    assert [n["code"] for n in got["nodes"]] == list(us.nodes)
    for n, ns in zip(got["nodes"], us.nodes.values(), strict=True):
        assert {k: n[k] for k in ns.as_dict()} == pytest.approx(ns.as_dict())

    rank = client.get(f"/api/v1/indices/qd766/rank?group=ministries&period={PERIOD}").json()
    want = scorer.group("qd766", "ministries", PERIOD).as_dict()
    assert [{k: r[k] for k in w} for r, w in zip(rank["rows"], want["rows"], strict=True)] == want["rows"]

    ex = scorer.explain("qd766", "P48", PERIOD)
    got = client.get(f"/api/v1/indices/qd766/explain?unit=P48&period={PERIOD}").json()
    assert {k: got[k] for k in ex.as_dict()} == ex.as_dict()
    assert got["sentences"] == explanation_sentences(ex, "vi")

    rb = analyse(gs, 30, seed=0)
    got = client.get(f"/api/v1/indices/qd766/sensitivity?period={PERIOD}&samples=30").json()
    assert got["rows"] == rb.as_dict()["rows"] and got["samples"] == 30
    assert got["mean_rank_shift"] == pytest.approx(rb.mean_shift)


def test_openapi_lists_the_index_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/indices", "/api/v1/indices/{code}/score", "/api/v1/indices/{code}/rank",
                 "/api/v1/indices/{code}/explain", "/api/v1/indices/{code}/sensitivity"):
        op = spec["paths"][path]["get"]
        assert "200" in op["responses"]
        if "{code}" in path:
            assert {"404", "422"} <= set(op["responses"])
    samples = [p for p in spec["paths"]["/api/v1/indices/{code}/sensitivity"]["get"]["parameters"]
               if p["name"] == "samples"]
    assert samples and samples[0]["schema"]["maximum"] == web_indices.MAX_SAMPLES
    assert {"ScoreOut", "RankOut", "ExplainOut", "SensitivityOut", "IndexList"} <= set(spec["components"]["schemas"])


# --- bad names -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "status", "field"), [
    ("/indices/nope", 404, "code"),
    ("/indices/qd766?period=2024-13", 422, "period"),
    ("/indices/qd766?group=nowhere", 422, "group"),
    ("/indices/qd766?group=VN", 422, None),  # not a group the index ranks
    ("/indices/qd766?structure=1999x", 400, "structure"),
    ("/indices/qd766/units/NOPE", 404, "unit"),
    ("/indices/qd766/units/VN", 422, None),
    ("/indices/qd766/units/P48?period=1990", 422, None),  # no version of the index for it
    ("/indices/nope/ranking.csv", 404, "code"),
    ("/indices/qd766/units/NOPE/scorecard.xlsx", 404, "unit"),
])
def test_bad_names_on_pages(client: TestClient, path: str, status: int, field: str | None) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text[:300]
    assert 'data-testid="error"' in r.text
    if field:
        assert f'data-field="{field}"' in r.text


@pytest.mark.parametrize(("path", "status", "field"), [
    ("/api/v1/indices/nope/score?unit=P48", 404, "code"),
    ("/api/v1/indices/qd766/score?unit=NOPE", 422, "unit"),
    ("/api/v1/indices/qd766/score?unit=P48&period=2024-13", 422, "period"),
    ("/api/v1/indices/qd766/score?unit=VN", 422, None),
    ("/api/v1/indices/qd766/rank?group=nowhere", 422, "group"),
    ("/api/v1/indices/qd766/sensitivity?samples=0", 422, "samples"),
    ("/api/v1/indices/qd766/sensitivity?samples=5001", 422, "samples"),
    ("/api/v1/indices/qd766/sensitivity?samples=abc", 422, "samples"),
    ("/api/v1/indices/qd766/score", 400, "unit"),  # missing: malformed, as everywhere
])
def test_bad_names_in_the_api(client: TestClient, path: str, status: int, field: str | None) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    if field and status != 400:
        assert body["field"] == field
    elif field:
        assert field in body["detail"]


def test_an_index_of_the_nation_alone_is_never_a_server_error(client: TestClient) -> None:
    """The EGDI scores the nation (``units: [VN]``): its scorecard and API answer, or say why not (422)."""
    for path in ("/indices/egdi", "/indices/egdi/units/VN", "/api/v1/indices/egdi/score?unit=VN",
                 "/api/v1/indices/egdi/explain?unit=VN", "/api/v1/indices/egdi/rank"):
        assert client.get(path).status_code in (200, 422), path


# --- live ----------------------------------------------------------------------------------------------------------
def test_the_page_data_follows_the_data_version(simulated_world: core.Workspace, make_client: MakeClient,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Scores are kept per data version, as every page's data (``Dashboards.cached``): a new version (a saved
    value, an event batch past the grace) recomputes them, so the 766 score moves as the stream runs."""
    c = make_client(simulated_world)
    dash = c.app.state.dashboards  # type: ignore[attr-defined]
    assert c.get(f"/indices/qd766?period={PERIOD}").status_code == 200
    misses = dash.cache.misses
    assert c.get(f"/indices/qd766?period={PERIOD}").status_code == 200
    assert dash.cache.misses == misses  # the same version: kept
    version = dash.version()
    monkeypatch.setattr(dash, "version", lambda: (version[0] + 1, *version[1:]))
    assert c.get(f"/indices/qd766?period={PERIOD}").status_code == 200
    assert dash.cache.misses > misses  # a new version: scored again


# --- a real browser --------------------------------------------------------------------------------------------------
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def live(simulated_world: core.Workspace) -> Iterator[Any]:
    from chiso.web import create_app

    with live_server(create_app(simulated_world)) as s:
        yield s


def test_the_index_page_and_a_scorecard_in_a_browser(live: Any) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[dev]'; " + CHROMIUM_MISSING)
    exe = chromium_path()
    if exe is None:
        pytest.fail(CHROMIUM_MISSING)
    external: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=[
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            ctx = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 800}, locale="vi-VN")

            def guard(route: Any, request: Any) -> None:
                if request.url.startswith(live.url):
                    route.continue_()
                else:
                    external.append(request.url)
                    route.abort("blockedbyclient")

            ctx.route("**/*", guard)
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.set_default_timeout(30_000)
            resp = page.goto(f"/indices/qd766?period={PERIOD}")
            assert resp is not None and resp.ok
            assert page.get_by_test_id("index-map").is_visible()
            assert page.get_by_test_id("island-hoang-sa").count() == 1
            first = page.locator('[data-testid="index-ranking"] tbody tr').first
            assert first.get_attribute("data-rank") == "1"
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "index.png"), full_page=True)
            first.locator("a").first.click()
            page.wait_for_url("**/indices/qd766/units/**")
            explanation = page.get_by_test_id("explanation")
            assert explanation.is_visible()
            text = explanation.inner_text()
            assert "Chỉ số 766" in text and "xếp thứ 1/" in text
            assert page.get_by_test_id("robustness").is_visible()
            page.screenshot(path=str(SHOTS / "scorecard.png"), full_page=True)
            ctx.close()
        finally:
            browser.close()
    assert external == [] and errors == []
