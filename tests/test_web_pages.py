"""Dashboards through HTTP against a real workspace (SQLite and PostgreSQL): the overview, an indicator's
page (ranking, tile map with Hoàng Sa and Trường Sa, series, distribution), a unit's page; Vietnamese and
English number styles; CSV (with BOM) and XLSX downloads that read back to the engine's numbers; no page
pointing outside the server; unapproved values only for logged-in users in scope who ask for them."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from chiso import app as core
from chiso.catalogue.records import ValueInput
from chiso.web.dashboards import PageCache
from chiso.web.session import COOKIE
from web_support import MakeClient, by_testid, ranking_rows

RATE = "dossier_full_online_rate"
# (numerator, denominator) per province: P31 and P92 tie at 40%, P96 has no value
PROVINCES = {"P01": (620, 1000), "P79": (1750, 2500), "P48": (900, 1500), "P31": (400, 1000), "P92": (800, 2000),
             "P56": (90, 600), "P02": (12, 300)}
MINISTRIES = {"BTTTT": (950, 1000), "BTP": (300, 1000), "BCA": (720, 900)}


@pytest.fixture
def client(loaded: core.Workspace, make_client: MakeClient) -> TestClient:
    return make_client(loaded)


def write_units(ws: core.Workspace, rows: dict[str, tuple[int, int]], period: str = "2024", status: str = "approved",
                code: str = RATE) -> dict[str, float]:
    values = {u: round(100 * n / d, 2) for u, (n, d) in rows.items()}
    ws.store.write_values([ValueInput(indicator=code, unit=u, period=period, value=values[u], numerator=n,
                                      denominator=d, source="test-web") for u, (n, d) in rows.items()],
                          actor="test", status=status)
    return values




def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(body: bytes) -> list[list[Any]]:
    wb = load_workbook(io.BytesIO(body), read_only=True)
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


# --- the overview -------------------------------------------------------------------------------------


def test_overview_in_vietnamese_then_english(client: TestClient) -> None:
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = client.get("/")
        timings.append(1000 * (time.perf_counter() - t0))
    print(f"\noverview: cold {timings[0]:.0f} ms, warm {min(timings[1:]):.1f} ms")
    assert r.status_code == 200
    page = r.text
    assert '<html lang="vi">' in page
    assert by_testid(page, "period") == "2024"
    assert by_testid(page, f"value-{RATE}-VN") == "45,8%"
    assert by_testid(page, f"value-{RATE}-ministries") == "63,47%"
    assert by_testid(page, f"value-{RATE}-provinces") == "18,54%"
    assert by_testid(page, f"attainment-{RATE}-VN") == "91,6%"  # 45,8 of the target 50
    assert by_testid(page, "value-vneid_accounts_activated-VN") == "trên 55,25 triệu tài khoản"
    assert by_testid(page, "value-egdi_rank-VN") == "thứ 71"
    for pillar in ("Chính phủ số", "Kinh tế số", "Xã hội số", "Hạ tầng số", "Dữ liệu số"):
        assert f">{pillar}</h2>" in page
    behind = re.search(r'<table data-testid="behind">(.*?)</table>', page, re.S)
    assert behind is not None  # all three CĐS blocs are behind their 2024 targets for full-online dossiers
    assert re.findall(rf'data-indicator="{RATE}" data-unit="(\w+)"', behind.group(1)) == [
        "provinces", "ministries", "VN"]
    en = client.get("/?lang=en").text
    assert '<html lang="en">' in en
    assert by_testid(en, f"value-{RATE}-VN") == "45.8%"
    assert by_testid(en, f"value-{RATE}-ministries") == "63.47%"
    assert by_testid(en, f"attainment-{RATE}-VN") == "91.6%"
    assert "Behind target" in en and "Digital government" in en


def test_overview_sees_a_saved_value_at_once_and_falls_back_to_the_latest_sub_period(
        loaded: core.Workspace, client: TestClient) -> None:
    page = client.get("/?period=2024").text
    # only 2024-04 is published for fibre: the year shows it, saying so
    card = re.search(r'data-testid="card-fiber_household_rate">(.*?)</article>', page, re.S)
    assert card is not None and "(số liệu 2024-04)" in card.group(1)
    assert by_testid(page, "value-fiber_household_rate-VN") == "80,2%"
    loaded.store.write_values([ValueInput(indicator="fiber_household_rate", unit="VN", period="2024",
                                          value=81.25, source="test-web")], actor="test")
    page = client.get("/?period=2024").text  # cached before: the new change set makes it fresh
    assert by_testid(page, "value-fiber_household_rate-VN") == "81,25%"
    card = re.search(r'data-testid="card-fiber_household_rate">(.*?)</article>', page, re.S)
    assert card is not None and "2024-04" not in card.group(1)


def test_filters_and_unknown_names(client: TestClient) -> None:
    only = client.get("/?group=ministries").text
    assert f'data-testid="value-{RATE}-ministries"' in only
    assert f'data-testid="value-{RATE}-provinces"' not in only
    r = client.get("/?period=2024Q7")
    assert r.status_code == 422 and "2024Q3" in r.text and "không rõ kỳ" in r.text
    r = client.get("/indicators/dossier_full_onlin_rate")
    assert r.status_code == 404 and RATE in r.text
    r = client.get(f"/indicators/{RATE}?group=nowhere")
    assert r.status_code == 422 and 'data-field="group"' in r.text
    r = client.get("/units/Da%20Nangg")
    assert r.status_code == 404 and "P48 (Đà Nẵng)" in r.text
    assert client.get("/units/da nang").status_code == 200  # names without diacritics resolve


def test_overview_opens_on_the_complete_year_and_says_what_the_live_one_is(loaded: core.Workspace,
                                                                         make_client: MakeClient) -> None:
    # a stream begins 2025: events for one key indicator out of 21; the reported figures are 2024's
    token = loaded.store.events.add_source("live-test", "Luồng mô phỏng 2025 (simulated 2025 stream)", ["*"],
                                           ["dossier"])
    events = [{"event_id": f"ev-{i}", "at": f"2025-03-0{1 + i % 5}T10:00:00", "source_system": "dvc-test",
               "dossier_id": f"hs-{i}", "procedure_code": "1.001234", "unit": "P01", "status": "received",
               "channel": "online"} for i in range(6)]
    c = make_client(loaded)
    r = c.post("/api/v1/events/dossier", content="\n".join(json.dumps(e) for e in events) + "\n",
               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    page = c.get("/").text
    assert by_testid(page, "period") == "2024"  # where the figures are, not the year the stream began
    assert by_testid(page, f"value-{RATE}-VN") == "45,8%"
    note = by_testid(page, "live-note")
    assert "Năm 2025 đang cập nhật trực tiếp" in note and "Luồng mô phỏng 2025" in note
    assert "Tỷ lệ hồ sơ trực tuyến toàn trình" in note and "1/21 chỉ tiêu chính" in note
    assert 'data-testid="live-link" href="/?period=2025"' in page
    live = c.get("/?period=2025").text
    assert by_testid(live, "period") == "2025" and "Năm 2025 đang cập nhật trực tiếp" in live
    assert 'data-testid="live-link" href="/?period=2024"' in live and "Xem năm 2024" in live
    en = c.get("/?lang=en").text
    assert "2025 is updating live" in by_testid(en, "live-note") and "See 2025 (live)" in en
    assert 'data-testid="live-note"' not in c.get("/?period=2023").text


# --- an indicator -------------------------------------------------------------------------------------


def test_indicator_ranks_provinces_maps_them_and_charts_the_series(loaded: core.Workspace,
                                                                   client: TestClient) -> None:
    values = write_units(loaded, PROVINCES)
    write_units(loaded, MINISTRIES)
    r = client.get(f"/indicators/{RATE}?period=2024&group=provinces")
    assert r.status_code == 200
    page = r.text
    rows = ranking_rows(page, "provinces")
    ranked = [(u, k) for u, k in rows if k is not None]
    assert ranked == [("P79", 1), ("P01", 2), ("P48", 3), ("P31", 4), ("P92", 4), ("P56", 6), ("P02", 7)]
    assert len(rows) == 63 and all(k is None for _, k in rows[7:])  # no data: last, unranked
    assert [engine_row.unit.code for engine_row in loaded.engine.rank(RATE, "provinces", "2024")][:7] == \
        [u for u, _ in ranked]
    assert by_testid(page, f"rank-value-{RATE}-P79") == "70%"
    assert by_testid(page, f"rank-value-{RATE}-P48") == "60%"
    assert [u for u, _ in ranking_rows(page, "ministries")][:3] == ["BTTTT", "BCA", "BTP"]
    # the published bloc value stands: members' parts do not cover the bloc
    assert by_testid(page, f"value-{RATE}-provinces") == "18,54%"
    # the map: 63 provinces on the tile grid, coloured by value, and both archipelagos
    tiles = re.findall(r'<g class="tile" data-testid="tile-(\w+)" data-unit="\w+"( data-value="([^"]+)")?>', page)
    assert len(tiles) == 63
    assert {u: float(v) for u, _, v in tiles if v} == values
    for island, name in (("island-hoang-sa", "Hoàng Sa"), ("island-truong-sa", "Trường Sa")):
        g = re.search(rf'<g class="island" data-testid="{island}">(.*?)</g>', page, re.S)
        assert g is not None and name in g.group(1)
    # series against the target, leaders and laggards, distribution
    assert 'data-testid="series-chart"' in page and "Mục tiêu 50" in page
    assert by_testid(page, "leaders").startswith("1 Hồ Chí Minh 70%")
    assert "Hà Giang" in by_testid(page, "laggards")
    bins = re.findall(r'<g class="bin" data-count="(\d+)">', page)
    assert sum(int(b) for b in bins) == 7
    en = client.get(f"/indicators/{RATE}?period=2024&lang=en").text
    assert by_testid(en, f"rank-value-{RATE}-P48") == "60%" and by_testid(en, f"value-{RATE}-ministries") == "63.47%"
    assert "Hoàng Sa archipelago" in en


def test_indicator_defaults_to_its_latest_period(loaded: core.Workspace, client: TestClient) -> None:
    code = "procedures_full_online_rate"
    page = client.get(f"/indicators/{code}").text
    assert by_testid(page, "period") == "2024-09"  # reported monthly: the latest month, not the year
    expected = [(r.unit.code, r.rank) for r in loaded.engine.rank(code, "ministries", "2024-09") if r.rank]
    assert len(expected) == 4 and [x for x in ranking_rows(page, "ministries") if x[1]] == expected


# --- a unit ---------------------------------------------------------------------------------------------


def test_unit_page_shows_indicators_rank_and_history(loaded: core.Workspace, client: TestClient) -> None:
    write_units(loaded, PROVINCES)
    write_units(loaded, {"P48": (500, 1000)}, period="2023")
    page = client.get("/units/P48?period=2024").text
    assert by_testid(page, "unit-name") == "Thành phố Đà Nẵng"
    assert by_testid(page, f"value-{RATE}-P48") == "60%"
    assert by_testid(page, f"rank-{RATE}-P48") == "3/7"
    history = re.search(r'<table data-testid="unit-history">(.*?)</table>', page, re.S)
    assert history is not None and "50%" in history.group(1) and "60%" in history.group(1)
    assert "+10 điểm %" in page  # 60% on 50% a year before
    nation = client.get("/units/VN?period=2024").text
    assert by_testid(nation, f"value-{RATE}-VN") == "45,8%"
    assert "Khối bộ" in nation and "Khối tỉnh" in nation
    assert client.get("/units/provinces").text.count('<li><a href="/units/P') == 63


# --- downloads ------------------------------------------------------------------------------------------


def test_downloads_read_back_to_the_same_numbers(loaded: core.Workspace, client: TestClient) -> None:
    values = write_units(loaded, PROVINCES)
    r = client.get(f"/indicators/{RATE}/ranking.csv?group=provinces&period=2024")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = read_csv(r.content)
    assert rows[0][:4] == ["Hạng", "Mã đơn vị", "Đơn vị", "Giá trị"]
    got = {row[1]: float(row[3]) for row in rows[1:] if row[3]}
    assert got == values
    assert [row[0] for row in rows[1:8]] == ["1", "2", "3", "4", "4", "6", "7"]
    assert rows[1][2] == "Hồ Chí Minh"
    x = client.get(f"/indicators/{RATE}/ranking.xlsx?group=provinces&period=2024")
    assert x.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = read_xlsx(x.content)
    assert sheet[0][:4] == ["Hạng", "Mã đơn vị", "Đơn vị", "Giá trị"]
    assert {row[1]: row[3] for row in sheet[1:] if row[3] is not None} == values
    engine = {row.unit.code: row.value for row in loaded.engine.rank(RATE, "provinces", "2024") if row.value}
    assert engine == values

    ov = read_csv(client.get("/overview.csv?period=2024").content)
    head = ov[0]
    assert head[:3] == ["Trụ cột", "Mã chỉ tiêu", "Chỉ tiêu"]
    by_key = {(row[1], row[3]): row for row in ov[1:]}
    vn = by_key[(RATE, "VN")]
    assert float(vn[head.index("Giá trị")]) == 45.8 and float(vn[head.index("Mục tiêu")]) == 50
    assert float(vn[head.index("Tỷ lệ đạt (%)")]) == 91.6
    assert float(by_key[(RATE, "ministries")][head.index("Giá trị")]) == 63.47
    ovx = read_xlsx(client.get("/overview.xlsx?period=2024").content)
    assert {(row[1], row[3]): row[ovx[0].index("Giá trị")] for row in ovx[1:]}[(RATE, "provinces")] == 18.54
    en = read_csv(client.get("/overview.csv?period=2024&lang=en").content)
    assert en[0][:3] == ["Pillar", "Indicator code", "Indicator"]

    series = read_csv(client.get(f"/indicators/{RATE}/series.csv?unit=ministries&period=2024").content)
    assert [row[4] for row in series[1:]] == ["2020", "2021", "2022", "2023", "2024"]
    assert float(series[-1][6]) == 63.47 and float(series[-1][8]) == 70
    sx = read_xlsx(client.get(f"/indicators/{RATE}/series.xlsx?unit=ministries&period=2024").content)
    assert sx[-1][6] == 63.47

    summary = read_xlsx(client.get(f"/indicators/{RATE}/summary.xlsx?period=2024").content)
    assert [(r[2], r[6]) for r in summary[1:]] == [("VN", 45.8), ("ministries", 63.47), ("provinces", 18.54)]

    dist = read_csv(client.get(f"/indicators/{RATE}/distribution.csv?group=provinces&period=2024").content)
    assert dist[0] == ["Từ", "Đến", "Số đơn vị"] and sum(int(row[2]) for row in dist[1:]) == 7

    unit = read_csv(client.get("/units/P48/indicators.csv?period=2024").content)
    row = next(r for r in unit[1:] if r[1] == RATE)
    assert float(row[unit[0].index("Giá trị")]) == 60 and row[unit[0].index("Hạng")] == "3"
    hist = read_csv(client.get("/units/VN/history.csv?period=2024").content)
    assert hist[0][3:] == ["2020", "2021", "2022", "2023", "2024"]
    assert float(next(r for r in hist[1:] if r[0] == RATE)[-1]) == 45.8
    tg = read_csv(client.get("/overview/targets.csv?period=2024").content)
    assert {(r[1], r[3]) for r in tg[1:] if r[0] == "chậm"} >= {(RATE, "VN"), (RATE, "provinces")}


# --- no internet needed -----------------------------------------------------------------------------------


URL_ATTR = re.compile(r'\b(?:src|href|action|xlink:href|data)\s*=\s*["\']([^"\']*)["\']', re.I)


def test_no_page_points_outside_the_server(loaded: core.Workspace, client: TestClient) -> None:
    write_units(loaded, PROVINCES)
    host = urlsplit(str(client.base_url)).netloc
    checked = 0
    for path in ("/", "/?lang=en", f"/indicators/{RATE}", f"/indicators/{RATE}?lang=en",
                 "/indicators/procedures_full_online_rate", "/units/P48", "/units/VN", "/units/ministries",
                 "/indicators/nothing", "/docs"):
        r = client.get(path)
        assert r.status_code in (200, 404), path
        assert "text/html" in r.headers["content-type"]
        for url in URL_ATTR.findall(r.text):
            parts = urlsplit(url)
            assert not url.startswith("//"), (path, url)
            assert parts.scheme in ("", "http", "https") and (not parts.scheme or parts.netloc == host), (path, url)
            checked += 1
        assert "<script src=\"http" not in r.text and "@import" not in r.text
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", r.text):
            assert "http://" not in tag and "https://" not in tag, (path, tag)
    assert checked > 100
    css = client.get("/static/chiso.css")
    assert css.status_code == 200 and "http" not in css.text and "@import" not in css.text


# --- drafts -------------------------------------------------------------------------------------------------


def test_unapproved_values_only_for_users_in_scope_who_ask(loaded: core.Workspace, client: TestClient,
                                                          cheap_hashes: None) -> None:
    write_units(loaded, {"P48": (300, 1000)}, status="submitted")
    write_units(loaded, {"P01": (700, 1000)}, status="draft")
    public = client.get("/units/P48?period=2024&drafts=1").text  # not logged in: drafts=1 is ignored
    assert f'data-testid="value-{RATE}-P48"' not in public
    rec = loaded.store.users.create("dn", "Người dùng Đà Nẵng", "mật-khẩu-đủ-dài", "reporter", "P48")
    token, _ = loaded.store.users.start_session(rec.id)
    client.cookies.set(COOKIE, token)
    assert f'data-testid="value-{RATE}-P48"' not in client.get("/units/P48?period=2024").text  # did not ask
    mine = client.get("/units/P48?period=2024&drafts=1").text
    assert by_testid(mine, f"value-{RATE}-P48") == "30%" and 'data-testid="drafts-note"' in mine
    assert 'name="drafts" value="1" checked' in mine and "Người dùng Đà Nẵng" in mine
    other = client.get(f"/indicators/{RATE}?period=2024&drafts=1").text
    assert [u for u, k in ranking_rows(other, "provinces") if k] == ["P48"]  # Hà Nội's draft is out of scope
    assert f'data-testid="value-{RATE}-P48"' not in client.get("/units/P48?period=2024").text


def test_page_cache_follows_saved_values_at_once_and_events_in_the_background() -> None:
    cache = PageCache(grace=0.0)
    made: list[int] = []

    def make(n: int) -> Any:
        def f() -> int:
            made.append(n)
            return n
        return f

    assert cache.get("k", (1, 0, 0), make(1)) == 1
    assert cache.get("k", (1, 0, 0), make(2)) == 1  # same data version: cached
    assert cache.get("k", (2, 0, 0), make(3)) == 3  # a saved value: recomputed before answering
    assert cache.get("k", (2, 5, 9), make(4)) == 3  # new events: the page stands while it is redone
    for _ in range(100):
        if cache.get("k", (2, 5, 9), make(5)) == 4:
            break
        time.sleep(0.01)
    assert made == [1, 3, 4] and cache.stale == 1
