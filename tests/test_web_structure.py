"""The 2025 reorganisation in the web: a 2024 ranking of provinces shown in the 2024 structure (63) and in the
2025 structure (34, merged provinces rebased from their predecessors' numerators and denominators), through
the indicator page and the read API; the tile map of each structure; a unit's lineage; bad structures."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from chiso import app as core
from chiso.catalogue.records import ValueInput
from web_support import MakeClient, by_testid, ranking_rows

RATE = "dossier_full_online_rate"
# 2024 figures (numerator, denominator): Hà Nội unchanged; Hà Nam + Nam Định + Ninh Bình became the new Ninh
# Bình (P37-2025); Hà Giang + Tuyên Quang the new Tuyên Quang (P08-2025), but Tuyên Quang has a rate only
PROVINCES = {"P01": (620, 1000), "P35": (300, 1000), "P36": (540, 1200), "P37": (410, 800), "P02": (12, 300)}


@pytest.fixture
def ws(loaded: core.Workspace) -> core.Workspace:
    rows = [ValueInput(indicator=RATE, unit=u, period="2024", value=round(100 * n / d, 2), numerator=n,
                       denominator=d, source="test-web") for u, (n, d) in PROVINCES.items()]
    rows.append(ValueInput(indicator=RATE, unit="P08", period="2024", value=50.0, source="test-web"))
    loaded.store.write_values(rows, actor="test", status="approved")
    return loaded


@pytest.fixture
def client(ws: core.Workspace, make_client: MakeClient) -> TestClient:
    return make_client(ws)


# (300 + 540 + 410) / (1000 + 1200 + 800) = 1250 / 3000 = 41,666…%
NINH_BINH_2025 = 41.67


def test_a_2024_ranking_in_the_2024_and_the_2025_structure_on_the_indicator_page(client: TestClient) -> None:
    old = client.get(f"/indicators/{RATE}?period=2024&group=provinces")
    assert old.status_code == 200
    rows = ranking_rows(old.text, "provinces")
    assert len(rows) == 63
    assert [u for u, r in rows if r is not None] == ["P01", "P37", "P08", "P36", "P35", "P02"]
    assert 'data-rebased' not in old.text
    assert same_as(old.text, client.get(f"/indicators/{RATE}?period=2024&group=provinces&structure=2024").text)

    new = client.get(f"/indicators/{RATE}?period=2024&group=provinces&structure=2025")
    assert new.status_code == 200
    page = new.text
    rows = ranking_rows(page, "provinces")
    assert len(rows) == 34
    assert [(u, r) for u, r in rows if r is not None] == [("P01", 1), ("P37-2025", 2)]
    assert by_testid(page, f"rank-value-{RATE}-P37-2025") == "41,67%"
    assert re.search(r'data-unit="P37-2025" data-rank="2" data-rebased="yes"', page)
    assert 'data-unit="P01" data-rank="1" data-rebased' not in page  # unchanged: not rebased
    # Tuyên Quang's rate has no parts: refused with its reason, not guessed
    assert 'data-unit="P08-2025" data-rank="" data-rebased="refused"' in page
    assert "Tuyên Quang (P08) chỉ có tỷ lệ, thiếu tử số và mẫu số" in by_testid(page, "refused-P08-2025")
    assert "cơ cấu đơn vị ngày 01/07/2025 (34 đơn vị)" in by_testid(page, "ranking-structure-provinces")
    assert '<option value="2025" selected>' in page
    # the map draws the 34 provinces, the islands beside Đà Nẵng and Khánh Hòa of 2025
    svg = re.search(r'<svg class="chart tile-map".*?</svg>', page, re.S)
    assert svg is not None
    assert len(re.findall(r'href="/units/P[0-9]+(?:-2025)?\?period=2024"', svg.group(0))) == 34 + 2
    assert 'href="/units/P48-2025?period=2024"' in svg.group(0) and 'href="/units/P56-2025?period=2024"' in svg.group(0)
    old_svg = re.search(r'<svg class="chart tile-map".*?</svg>', old.text, re.S)
    assert old_svg is not None and 'href="/units/P48?period=2024"' in old_svg.group(0)
    # English: the same figures, the notes in English
    en = client.get(f"/indicators/{RATE}?period=2024&group=provinces&structure=2025-07-01&lang=en").text
    assert by_testid(en, f"rank-value-{RATE}-P37-2025") == "41.67%"
    assert "Tuyên Quang (P08) has a rate without the numerator and denominator" in by_testid(en, "refused-P08-2025")


def same_as(a: str, b: str) -> bool:
    return ranking_rows(a, "provinces") == ranking_rows(b, "provinces")


def test_the_same_rankings_through_the_api(client: TestClient) -> None:
    old = client.get(f"/api/v1/rankings/{RATE}", params={"period": "2024", "structure": "2024"}).json()
    assert len(old["rows"]) == 63 and old["ranked"] == 6 and old["structure"] == "2024-12-31"
    default = client.get(f"/api/v1/rankings/{RATE}", params={"period": "2024"}).json()
    assert default["structure"] is None and [r["unit"] for r in default["rows"]] == [r["unit"] for r in old["rows"]]
    new = client.get(f"/api/v1/rankings/{RATE}", params={"period": "2024", "structure": "2025-07-01"}).json()
    assert len(new["rows"]) == 34 and new["ranked"] == 2 and new["structure"] == "2025-07-01"
    rows = {r["unit"]: r for r in new["rows"]}
    assert (rows["P37-2025"]["rank"], rows["P37-2025"]["value"]) == (2, NINH_BINH_2025)
    assert rows["P37-2025"]["rebased_from"] == ["P35", "P36", "P37"]
    assert rows["P37-2025"]["message"] == (
        "Số liệu năm 2024 tính theo cơ cấu đơn vị ngày 01/07/2025 (gộp từ Hà Nam, Nam Định, Ninh Bình)")
    assert rows["P08-2025"]["rank"] is None and rows["P08-2025"]["missing"] == ["P08"]
    assert "thiếu tử số và mẫu số" in rows["P08-2025"]["message"]
    assert rows["P01"]["rebased_from"] is None and rows["P01"]["value"] == 62.0


def test_a_series_across_the_change_through_the_api(client: TestClient) -> None:
    r = client.get(f"/api/v1/series/{RATE}", params={"unit": "P37-2025", "from": "2023", "to": "2025"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["unit"] == "P37-2025" and d["structure"] == "2025-12-31"  # the newest period's end
    assert [p["value"] for p in d["points"]][1] == NINH_BINH_2025
    assert d["points"][1]["rebased_from"] == ["P35", "P36", "P37"]
    assert "Các kỳ 2024 của Ninh Bình tính lại theo cơ cấu đơn vị ngày 31/12/2025" in d["note"]
    # the 2024 Ninh Bình asked in the 2025 structure goes forward to the new one
    d = client.get(f"/api/v1/series/{RATE}", params={"unit": "P37", "from": "2024", "to": "2024",
                                                     "structure": "2025"}).json()
    assert d["unit"] == "P37-2025" and d["points"][0]["value"] == NINH_BINH_2025


def test_a_bad_structure_is_a_clear_400(client: TestClient) -> None:
    for url in (f"/api/v1/rankings/{RATE}?structure=2023x", f"/api/v1/series/{RATE}?unit=P01&structure=hôm qua"):
        r = client.get(url)
        assert r.status_code == 400, r.text
        d = r.json()
        assert d["field"] == "structure" and "cơ cấu đơn vị" in d["detail"] and "2025" in d["suggestions"]
    r = client.get(f"/api/v1/series/{RATE}", params={"unit": "P37-2025", "to": "2024", "structure": "2024"})
    assert r.status_code == 400 and "chưa có trong cơ cấu đơn vị ngày 31/12/2024" in r.json()["detail"]
    page = client.get(f"/indicators/{RATE}?structure=31/02/2025")
    assert page.status_code == 400
    assert "không hiểu cơ cấu đơn vị '31/02/2025'" in by_testid(page.text, "error")


def test_the_lineage_of_a_new_province_and_its_rebased_history(client: TestClient) -> None:
    r = client.get("/units/P37-2025?period=2024")
    assert r.status_code == 200
    page = r.text
    made_of = by_testid(page, "lineage-from")
    for name in ("Hà Nam", "Nam Định", "Ninh Bình"):
        assert name in made_of
    assert re.findall(r'<li data-unit="([^"]+)"', page.split('data-testid="lineage-from"')[1].split("</ul>")[0]) == [
        "P35", "P36", "P37"]
    assert "toàn bộ" in made_of and "30/06/2025" in made_of
    assert by_testid(page, "lineage-validity") == "Hiệu lực: từ 01/07/2025 đến nay"
    # its 2024 figure, rebased from the three, with the rebasing said under the history
    assert by_testid(page, f"value-{RATE}-P37-2025") == "41,67%"
    assert by_testid(page, "series-note") == (
        "Các kỳ 2024 của Ninh Bình tính lại theo cơ cấu đơn vị ngày 01/07/2025 (gộp từ Hà Nam, Nam Định, Ninh Bình)")
    assert by_testid(page, f"rank-{RATE}-P37-2025") == "2/2"


def test_a_former_province_by_its_old_code_and_name(client: TestClient) -> None:
    for url in ("/units/P02?period=2024", "/units/Hà Giang?period=2024"):
        r = client.get(url)
        assert r.status_code == 200
        page = r.text
        assert by_testid(page, "unit-name") == "Tỉnh Hà Giang"
        assert by_testid(page, "ended").replace(" .", ".") == (
            "Đơn vị này đã kết thúc ngày 30/06/2025; nay thuộc Tuyên Quang.")
        assert 'href="/units/P08-2025' in page.split('data-testid="lineage-to"')[1].split("</ul>")[0]
        assert by_testid(page, f"value-{RATE}-P02") == "4%"
    en = client.get("/units/P02?period=2024&lang=en").text
    assert by_testid(en, "ended").replace(" .", ".") == "This unit ended on 30 June 2025; now part of Tuyên Quang."


def test_a_value_in_another_structure_through_the_api(client: TestClient) -> None:
    url = f"/api/v1/values/{RATE}"
    got = client.get(url, params={"unit": "Ninh Bình", "period": "2024", "structure": "2025-07-01"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["unit"] == "P37-2025" and body["value"] == NINH_BINH_2025
    assert (body["numerator"], body["denominator"]) == (1250, 3000)
    # without a structure, "Ninh Bình" in 2024 is the former province, with its own figure
    own = client.get(url, params={"unit": "Ninh Bình", "period": "2024"}).json()
    assert own["unit"] == "P37" and own["value"] == round(100 * 410 / 800, 2)
    # the new Tuyên Quang: its predecessor's rate has no parts, so no value, and the answer says why
    refused = client.get(url, params={"unit": "P08-2025", "period": "2024", "structure": "2025"}).json()
    assert refused["value"] is None and "P08" in str(refused)
    bad = client.get(url, params={"unit": "P37-2025", "period": "2024", "structure": "sau sáp nhập"})
    assert bad.status_code == 400 and "structure" in bad.json()["detail"]
    assert client.get(url, params={"unit": "P37", "period": "2024", "estimate": RATE}).status_code == 400
