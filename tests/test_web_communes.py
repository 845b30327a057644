"""A province's communes on the web (issue 13): the page ``/units/{code}/communes``, its CSV/XLSX and the API
``/api/v1/units/{code}/communes``, against the simulated world's real dossiers (figures compared with
``ws.engine.rank``'s), a commune's own unit page, bad input answered 4xx naming the field, and the reading policy
(a commune's reported draft hidden from the public, shown to the province's reviewer who asks for drafts).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from chiso import app as core
from chiso.catalogue.models import Unit
from chiso.catalogue.periods import Period
from chiso.catalogue.records import ValueInput
from chiso.engine import Engine
from chiso.engine.answers import RankRow
from chiso.web.communes import COLUMNS, CommunesView, commune_grid, communes_map, communes_table
from chiso.web.labels import value_text
from web_support import Client, MakeClient, by_testid

RATE = "dossier_full_online_rate"
ON_TIME = "dossier_on_time_rate"
TEAMS = "community_dx_teams"  # reported by the communes (commune_quarterly), approved by the province
END_2024 = date(2024, 12, 31)


@pytest.fixture(scope="module")
def world(simulated_world: core.Workspace) -> core.Workspace:
    return simulated_world


@pytest.fixture
def client(world: core.Workspace, make_client: MakeClient) -> Client:
    return make_client(world, raise_server_exceptions=False)


def engine_rank(ws: core.Workspace, indicator: str, group: str, period: str) -> list[RankRow]:
    return ws.engine.rank(indicator, ws.catalogue.units[group], period)


def table_rows(html: str) -> list[tuple[str, int | None]]:
    table = re.search(r'<table data-testid="communes-table">(.*?)</table>', html, re.S)
    assert table is not None
    return [(u, int(r) if r else None)
            for u, r in re.findall(r'<tr data-unit="([^"]+)" data-rank="([^"]*)"', table.group(1))]


def listed(html: str, testid: str) -> list[str]:
    block = re.search(rf'data-testid="{testid}">(.*?)</ol>', html, re.S)
    assert block is not None, testid
    return re.findall(r'<li data-unit="([^"]+)"', block.group(1))


# --- the page, against the engine ---------------------------------------------------------------------------
def test_the_page_shows_the_engines_ranking_of_the_communes(world: core.Workspace, client: Client) -> None:
    cat = world.catalogue
    r = client.get("/units/P48/communes?period=2024")
    assert r.status_code == 200, r.text
    html = r.text
    expected = engine_rank(world, RATE, "P48.communes", "2024")
    members = {u.code for u in cat.communes_of("P48", END_2024)}
    assert {x.unit.code for x in expected} == members
    # every 2024 commune of Đà Nẵng, in the engine's order with its ranks (no data last)
    assert table_rows(html) == [(x.unit.code, x.rank) for x in expected]
    ranked = [x for x in expected if x.rank is not None]
    assert len(ranked) >= 10
    ind = cat.indicators[RATE]
    for x in expected:
        shown = by_testid(html, f"value-{RATE}-{x.unit.code}")
        assert shown == (value_text(x.value, ind, "vi") if x.value is not None else "—")
    # every column is the engine's too, and the dossiers received are the rate's denominator
    on_time = {x.unit.code: x for x in engine_rank(world, ON_TIME, "P48.communes", "2024")}
    for code, x in on_time.items():
        assert by_testid(html, f"value-{ON_TIME}-{code}") == (
            value_text(x.value, cat.indicators[ON_TIME], "vi") if x.value is not None else "—")
    best = ranked[0]
    assert best.figure is not None and best.figure.denominator
    row = re.search(rf'<tr data-unit="{best.unit.code}".*?</tr>', html, re.S)
    assert row is not None and f'<td class="n">{int(best.figure.denominator)}</td>' in row.group(0)
    # the leaders and laggards: the five best and the five worst, worst first
    assert listed(html, "leaders") == [x.unit.code for x in ranked[:5]]
    assert listed(html, "laggards") == [x.unit.code for x in reversed(ranked[-5:])]
    # the map: one tile per commune, coloured by its value, linking to the commune's page
    for x in expected:
        tile = re.search(rf'<a href="([^"]+)"><g class="tile" data-testid="tile-{x.unit.code}"[^>]*>', html)
        assert tile is not None, x.unit.code
        assert tile.group(1).startswith(f"/units/{x.unit.code}?period=2024")
        assert (f'data-value="{x.value!r}"' in tile.group(0)) == (x.value is not None)
    assert "47 xã, phường theo địa giới ngày 31/12/2024" in by_testid(html, "communes-structure")
    en = client.get("/units/P48/communes?period=2024&lang=en").text
    assert by_testid(en, "communes-title") == "Communes of Đà Nẵng" and "Dossiers received" in en
    assert table_rows(en) == table_rows(html)


def test_sorted_and_mapped_by_the_chosen_indicator(world: core.Workspace, client: Client) -> None:
    html = client.get(f"/units/P48/communes?period=2024&indicator={ON_TIME}").text
    expected = engine_rank(world, ON_TIME, "P48.communes", "2024")
    assert table_rows(html) == [(x.unit.code, x.rank) for x in expected]
    assert re.search(rf'<th class="n" data-indicator="{ON_TIME}" aria-sort="descending">', html)
    assert f'data-indicator="{RATE}" aria-sort' not in html
    assert "Tỷ lệ hồ sơ giải quyết đúng hạn" in by_testid(html, "sorted-by")
    # each column header sorts by its indicator
    assert f'href="/units/P48/communes?period=2024&amp;indicator={RATE}"' in html


def test_the_communes_follow_the_periods_structure(world: core.Workspace, client: Client) -> None:
    cat = world.catalogue
    # 2025 (ending after 1 July): Đà Nẵng P48 ended; its carrier's 2025 communes, said so
    html = client.get("/units/P48/communes?period=2025").text
    codes = [u for u, _ in table_rows(html)]
    assert set(codes) == {u.code for u in cat.communes_of("P48-2025", date(2025, 12, 31))}
    assert all(code.endswith("-2025") for code in codes)
    assert "P48-2025" in by_testid(html, "carried")
    # the first half of 2025 still has the 2024 communes
    h1 = [u for u, _ in table_rows(client.get("/units/P48/communes?period=2025Q2").text)]
    assert set(h1) == {u.code for u in cat.communes_of("P48", date(2025, 6, 30))}
    # Hà Nội, unchanged, its 2024 communes: hundreds of them, one ranking per column
    hn = client.get("/units/P01/communes?period=2024").text
    assert len(table_rows(hn)) == len(cat.communes_of("P01", END_2024)) > 500


def test_a_large_province_renders_from_one_ranking_per_column(world: core.Workspace, make_client: MakeClient,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"value": 0, "rank": 0}
    value, rank = Engine.value, Engine.rank

    def counted_value(self: Engine, *a: Any, **k: Any) -> Any:
        calls["value"] += 1
        return value(self, *a, **k)

    def counted_rank(self: Engine, *a: Any, **k: Any) -> Any:
        calls["rank"] += 1
        return rank(self, *a, **k)

    monkeypatch.setattr(Engine, "value", counted_value)
    monkeypatch.setattr(Engine, "rank", counted_rank)
    c = make_client(world)
    r = c.get("/units/P01/communes?period=2024")
    assert r.status_code == 200 and r.headers.get("X-Chiso-Cache") == "miss"
    columns = len(COLUMNS) + 2  # and the two figures the communes report
    assert calls == {"value": 0, "rank": columns}  # never once per commune (526 of them)
    again = c.get("/units/P01/communes?period=2024")
    assert again.headers.get("X-Chiso-Cache") == "hit" and again.text == r.text
    c.get("/api/v1/units/P01/communes?period=2024")  # the same cached view: no engine call
    assert calls == {"value": 0, "rank": columns}


# --- downloads and the API ----------------------------------------------------------------------------------
def test_csv_and_xlsx_hold_the_same_table(world: core.Workspace, client: Client) -> None:
    expected = engine_rank(world, RATE, "P48.communes", "2024")
    r = client.get("/units/P48/communes.csv?period=2024")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="xa-phuong_P48_2024_dossier_full_online_rate.csv"' in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Hạng", "Mã đơn vị", "Xã, phường"]
    col = next(i for i, h in enumerate(header) if h.startswith("Tỷ lệ hồ sơ trực tuyến toàn trình"))
    assert [(b[1], b[0]) for b in body] == [(x.unit.code, str(x.rank) if x.rank else "") for x in expected]
    for b, x in zip(body, expected, strict=True):
        assert (float(b[col]) if b[col] else None) == (None if x.value is None else pytest.approx(x.value))
        assert b[2] == x.unit.name
    x = client.get("/units/P48/communes.xlsx?period=2024")
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet is not None
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [g[1] for g in got[1:]] == [e.unit.code for e in expected]
    assert [g[col] for g in got[1:]] == [e.value for e in expected]
    assert [g[5] for g in got[1:]] == [e.figure.denominator if e.figure else None for e in expected]


def test_the_api_answers_the_same(world: core.Workspace, client: Client) -> None:
    r = client.get(f"/api/v1/units/P48/communes?period=2024&indicator={ON_TIME}")
    assert r.status_code == 200, r.text
    body = r.json()
    expected = engine_rank(world, ON_TIME, "P48.communes", "2024")
    assert (body["province"], body["shown"], body["group"], body["period"], body["structure"]) == (
        "P48", "P48", "P48.communes", "2024", "2024-12-31")
    assert body["indicator"] == ON_TIME and body["count"] == len(expected)
    assert [(c["code"], c["rank"], c["value"]) for c in body["communes"]] == [
        (x.unit.code, x.rank, x.value) for x in expected]
    ranked = [x for x in expected if x.rank is not None]
    assert body["ranked"] == len(ranked)
    assert body["leaders"] == [x.unit.code for x in ranked[:5]]
    assert body["laggards"] == [x.unit.code for x in reversed(ranked[-5:])]
    full = {x.unit.code: x for x in engine_rank(world, RATE, "P48.communes", "2024")}
    for c in body["communes"]:
        by_ind = {v["indicator"]: v for v in c["values"]}
        want = full[c["code"]]
        assert by_ind[RATE]["value"] == want.value and by_ind[RATE]["rank"] == want.rank
        assert c["received"] == (want.figure.denominator if want.figure else None)
        assert c["district"] == world.catalogue.units[c["code"]].parent
    schema = client.get("/openapi.json").json()
    op = schema["paths"]["/api/v1/units/{code}/communes"]["get"]
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/CommunesOut")
    assert {"400", "404", "422"} <= set(op["responses"])


# --- bad input: 4xx naming the field, never a 500 -----------------------------------------------------------
BAD_PAGES = [
    ("/units/P00/communes", 404, "code"),  # no such unit
    ("/units/X20209/communes", 404, "code"),  # a commune (of Đà Nẵng)
    ("/units/BTP/communes", 404, "code"),  # a ministry
    ("/units/provinces/communes", 404, "code"),  # a group
    ("/units/P48/communes?period=2024-13", 422, "period"),
    ("/units/P48/communes?period=soon", 422, "period"),
    ("/units/P48/communes?indicator=dossier_full_onlin_rate", 422, "indicator"),
    ("/units/P48-2025/communes?period=2024", 422, "period"),  # not yet formed then
    ("/units/P48/communes?period=" + "2" * 300, 422, "period"),
    ("/units/P48/communes?indicator=" + "x" * 5000, 422, "indicator"),
    ("/units/" + "P" * 3000 + "/communes", 422, "code"),
]


@pytest.mark.parametrize(("path", "status", "field"), BAD_PAGES)
def test_bad_input_is_answered_with_the_field_at_fault(client: Client, path: str, status: int, field: str) -> None:
    page = client.get(path)
    assert page.status_code == status, page.text[:500]
    assert f'data-field="{field}"' in page.text and 'role="alert"' in page.text
    download = client.get(path.replace("/communes", "/communes.csv", 1))
    assert download.status_code == status
    api = client.get("/api/v1" + path)
    assert api.status_code == status and api.headers["content-type"].startswith("application/problem+json")
    body = api.json()
    assert body["field"] == field and body["detail"].startswith(f"{field}: ")


def test_bad_input_says_what_would_do(client: Client) -> None:
    commune = client.get("/api/v1/units/X20209/communes").json()
    assert commune["suggestions"] == ["P48"] and "Xuân Hà" in commune["detail"]
    near = client.get("/api/v1/units/P48/communes?indicator=dossier_full_onlin_rate").json()
    assert RATE in near["suggestions"]
    later = client.get("/api/v1/units/P48-2025/communes?period=2024").json()
    assert set(later["suggestions"]) >= {"P48"}
    assert client.get("/units/P48/communes.pdf").status_code in (400, 404)
    en = client.get("/units/BTP/communes?lang=en")
    assert "is not a province" in en.text


# --- a commune's own page -----------------------------------------------------------------------------------
def test_a_communes_unit_page_and_the_links_to_it(world: core.Workspace, client: Client) -> None:
    cat = world.catalogue
    html = client.get("/units/P48/communes?period=2024").text
    first = table_rows(html)[0][0]
    u: Unit = cat.units[first]
    assert f'href="/units/{first}?period=2024"' in html
    page = client.get(f"/units/{first}?period=2024")
    assert page.status_code == 200
    local = by_testid(page.text, "local-unit")
    district = cat.units[u.parent or ""]
    assert u.local_type and u.local_type in local and district.name in local and "Thành phố Đà Nẵng" in local
    assert f'href="/units/{district.code}?period=2024"' in page.text
    # where it went on 1 July 2025
    successors = re.findall(r'<li data-unit="([^"]+)"', page.text.split('data-testid="lineage-to"')[1])
    assert successors and successors[0] in {s.unit for s in u.successors}
    # the 2025 commune says what it was made of
    after = client.get(f"/units/{successors[0]}")
    assert after.status_code == 200
    made_of_list = after.text.split('data-testid="lineage-from"')[1].split("</ul>")[0]
    made_of = re.findall(r'<li data-unit="([^"]+)"', made_of_list)
    assert first in made_of
    # the province's page links to its communes
    province = client.get("/units/P48?period=2024").text
    link = re.search(r'<p data-testid="communes-link">(.*?)</p>', province, re.S)
    assert link is not None and 'href="/units/P48/communes?period=2024"' in link.group(1)
    assert 'data-testid="communes-link"' not in client.get("/units/BTP").text


def test_the_grid_keeps_north_up_and_every_commune_in_its_own_cell(world: core.Workspace) -> None:
    communes = world.catalogue.communes_of("P01", END_2024)
    grid = commune_grid(communes)
    assert set(grid) == {u.code for u in communes}
    assert len(set(grid.values())) == len(communes)  # no two on one tile
    north = max(communes, key=lambda u: u.lat or 0)
    south = min(communes, key=lambda u: u.lat or 0)
    assert grid[north.code][0] < grid[south.code][0]
    west = min(communes, key=lambda u: u.lon or 0)
    east = max(communes, key=lambda u: u.lon or 0)
    assert grid[west.code][1] < grid[east.code][1]
    assert commune_grid(list(reversed(communes))) == grid  # the order given changes nothing


# --- who sees a commune's reported draft --------------------------------------------------------------------
@pytest.fixture
def reported(sqlite_workspace: core.Workspace) -> Iterator[tuple[core.Workspace, str, str]]:
    """Two communes of Đà Nẵng report their teams for 2024Q4: one approved, one submitted (a draft)."""
    ws = sqlite_workspace
    approved, draft = (u.code for u in ws.catalogue.communes_of("P48", END_2024)[:2])
    ws.store.write_values([ValueInput(indicator=TEAMS, unit=approved, period="2024Q4", value=3, source="xa")],
                          actor="test", status="approved")
    ws.store.write_values([ValueInput(indicator=TEAMS, unit=draft, period="2024Q4", value=7, source="xa")],
                          actor="test", status="submitted")
    yield ws, approved, draft


def test_a_communes_draft_is_shown_to_its_provinces_reviewer_only(reported: tuple[core.Workspace, str, str],
                                                                  make_client: MakeClient) -> None:
    ws, approved, draft = reported
    path = f"/units/P48/communes?period=2024Q4&indicator={TEAMS}"
    public = make_client(ws)
    html = public.get(path).text
    assert by_testid(html, f"value-{TEAMS}-{approved}") == "3 tổ"
    assert by_testid(html, f"value-{TEAMS}-{draft}") == "—"
    assert public.get(path + "&drafts=1").text.count("3 tổ") >= 1  # drafts asked anonymously: still public
    assert by_testid(public.get(path + "&drafts=1").text, f"value-{TEAMS}-{draft}") == "—"
    api = {c["code"]: c["value"] for c in public.get("/api/v1" + path + "&drafts=1").json()["communes"]}
    assert api[approved] == 3 and api[draft] is None

    reviewer = make_client(ws, user="duyet-dn", role="reviewer", unit="P48")
    seen = reviewer.get(path + "&drafts=1").text
    assert by_testid(seen, f"value-{TEAMS}-{draft}") == "7 tổ"
    assert 'data-testid="drafts-note"' in seen
    assert table_rows(seen)[0] == (draft, 1)  # ranked first with its draft
    assert by_testid(reviewer.get(path).text, f"value-{TEAMS}-{draft}") == "—"  # without asking: published only
    api = {c["code"]: c["value"] for c in reviewer.get("/api/v1" + path + "&drafts=1").json()["communes"]}
    assert api[draft] == 7
    rows = list(csv.reader(io.StringIO(reviewer.get(path.replace("/communes", "/communes.csv") + "&drafts=1")
                                       .content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:3]] == [draft, approved]

    other = make_client(ws, user="duyet-cm", role="reviewer", unit="P96")  # Cà Mau's: not in its scope
    assert by_testid(other.get(path + "&drafts=1").text, f"value-{TEAMS}-{draft}") == "—"


def test_a_province_without_communes_in_the_catalogue_says_so(world: core.Workspace) -> None:
    cat = world.catalogue
    view = CommunesView(cat.units["P48"], cat.units["P48"], None, Period.parse("2024"),
                        cat.indicators[RATE], [cat.indicators[RATE]], {}, [])
    assert view.called_out() == ([], []) and view.ranked == []
    assert 'data-testid="communes-map"' in communes_map(view, "vi", drafts=False)
    assert communes_table(view, "vi").rows == []
