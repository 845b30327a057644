"""The read API through HTTP against a real workspace (SQLite and PostgreSQL): the catalogue, series,
rankings and targets as JSON; unknown names as RFC 9457 problem documents naming the field and the nearest
names; the OpenAPI document and an offline /docs page; values computed from events ranked like reported ones."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from chiso import app as core
from chiso.catalogue.models import KINDS, Pillar, UnitType
from chiso.catalogue.records import ValueInput
from chiso.errors import (
    ConflictError,
    HttpProblem,
    NotAuthenticated,
    ParameterError,
    PermissionDenied,
    UnknownStructureError,
    UnknownUnitError,
    ValidationError,
    WorkspaceError,
)
from chiso.web.problems import status_of
from web_support import MakeClient

RATE = "dossier_full_online_rate"
PROVINCES = {"P01": (620, 1000), "P79": (1750, 2500), "P48": (900, 1500), "P31": (400, 1000), "P92": (800, 2000),
             "P56": (90, 600), "P02": (12, 300)}  # P31 and P92 tie at 40%
MINISTRIES = {"BTTTT": (950, 1000), "BTP": (300, 1000), "BCA": (720, 900)}


def write_units(ws: core.Workspace, rows: dict[str, tuple[int, int]], period: str = "2024") -> dict[str, float]:
    values = {u: round(100 * n / d, 2) for u, (n, d) in rows.items()}
    ws.store.write_values([ValueInput(indicator=RATE, unit=u, period=period, value=values[u], numerator=n,
                                      denominator=d, source="test-web") for u, (n, d) in rows.items()], actor="test")
    return values


@pytest.fixture
def client(loaded: core.Workspace, make_client: MakeClient) -> TestClient:
    return make_client(loaded)


def ok(r: Any) -> Any:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def problem(r: Any, status: int, field: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["type"].startswith("urn:chiso:problem:")
    assert body["field"] == field and body["detail"].startswith(f"{field}: ")
    return body


def test_catalogue(loaded: core.Workspace, client: TestClient) -> None:
    cat = loaded.catalogue
    body = ok(client.get("/api/v1/indicators"))
    assert body["count"] == len(cat.indicators) == len(body["indicators"])
    one = next(i for i in body["indicators"] if i["code"] == RATE)
    assert one["name"]["vi"] == cat.indicators[RATE].name.vi and one["pillar"] == "digital_government"
    assert one["kind"] == "rate" and one["unit"] == "%" and one["key"] and one["event_derived"]
    keys = ok(client.get("/api/v1/indicators", params={"key": "true", "pillar": "digital_government"}))
    assert {i["code"] for i in keys["indicators"]} == {
        i.code for i in cat.indicators.values() if i.key and i.pillar.value == "digital_government"}
    bad = problem(client.get("/api/v1/indicators", params={"pillar": "gov"}), 422, "pillar")
    assert "digital_government" in bad["suggestions"]

    detail = ok(client.get(f"/api/v1/indicators/{RATE}"))
    assert detail["definition"]["numerator"]["vi"] and detail["direction"] == "higher"
    assert {(t["unit"], t["period"], t["value"]) for t in detail["targets"]} >= {("VN", "2024", 50.0),
                                                                                 ("ministries", "2024", 70.0)}
    nf = problem(client.get("/api/v1/indicators/dossier_full_onlin_rate"), 404, "code")
    assert RATE in nf["suggestions"] and nf["value"] == "dossier_full_onlin_rate"
    assert "không rõ mã chỉ tiêu" in nf["detail"]  # Vietnamese first
    en = problem(client.get("/api/v1/indicators/dossier_full_onlin_rate?lang=en"), 404, "code")
    assert "unknown indicator code" in en["detail"]

    units = ok(client.get("/api/v1/units"))  # the districts and communes only for a province or a group
    assert units["count"] == len([u for u in cat.units.values() if not cat.is_local(u)]) == 117
    hanoi = ok(client.get("/api/v1/units", params={"province": "Hà Nội", "type": "commune"}))
    assert hanoi["count"] == len(cat.communes_of("P01")) and {u["code"] for u in hanoi["units"]} >= {"X00097-2025"}
    assert ok(client.get("/api/v1/units", params={"group": "P01.communes"}))["count"] == hanoi["count"]
    provinces = ok(client.get("/api/v1/units", params={"group": "provinces"}))
    # units of both structures, each with its dates: 63 provinces of 2024 + 23 formed in 2025
    assert provinces["count"] == 63 + 23 and all(u["grid"] for u in provinces["units"])
    assert ok(client.get("/api/v1/units", params={"type": "ministry"}))["count"] == 18 + 6
    assert ok(client.get("/api/v1/units/Đà Nẵng"))["code"] == "P48-2025"  # undated: the newest of the name
    assert "P48 (Đà Nẵng)" in problem(client.get("/api/v1/units/Da Nangg"), 404, "code")["suggestions"]
    problem(client.get("/api/v1/units", params={"group": "nowhere"}), 422, "group")
    problem(client.get("/api/v1/units", params={"type": "city-state"}), 422, "type")


def test_series(loaded: core.Workspace, client: TestClient) -> None:
    s = ok(client.get(f"/api/v1/series/{RATE}", params={"unit": "VN", "from": "2023", "to": "2024"}))
    assert (s["code"], s["unit"], s["from"], s["to"]) == (RATE, "VN", "2023", "2024")
    assert [(p["period"], p["value"], p["target"]) for p in s["points"]] == [("2023", None, None),
                                                                              ("2024", 45.8, 50.0)]
    assert s["points"][1]["attainment"] == 0.916
    blocs = ok(client.get(f"/api/v1/series/{RATE}", params={"unit": "Khối bộ"}))  # default: five years to 2024
    assert [p["period"] for p in blocs["points"]] == ["2020", "2021", "2022", "2023", "2024"]
    assert blocs["points"][-1]["value"] == 63.47 and blocs["unit"] == "ministries"
    q = ok(client.get(f"/api/v1/series/{RATE}", params={"unit": "VN", "from": "2024Q1", "to": "2024Q4"}))
    assert [p["value"] for p in q["points"]] == [None, None, loaded.engine.value(RATE, "VN", "2024Q3").value, None]
    assert "P48 (Đà Nẵng)" in problem(client.get(f"/api/v1/series/{RATE}", params={"unit": "Da Nangg"}), 422,
                                      "unit")["suggestions"]
    assert "2024Q3" in problem(client.get(f"/api/v1/series/{RATE}", params={"from": "2024Q5"}), 422,
                               "from")["suggestions"]
    problem(client.get(f"/api/v1/series/{RATE}", params={"from": "2023", "to": "2024-03"}), 422, "to")
    problem(client.get(f"/api/v1/series/{RATE}", params={"from": "2024", "to": "2023"}), 422, "to")
    problem(client.get(f"/api/v1/series/{RATE}", params={"from": "2000-01-01", "to": "2024-12-31"}), 422, "to")
    problem(client.get("/api/v1/series/nothing_like_it"), 404, "code")


def test_rankings_and_targets(loaded: core.Workspace, client: TestClient) -> None:
    values = write_units(loaded, PROVINCES)
    write_units(loaded, MINISTRIES)
    r = ok(client.get(f"/api/v1/rankings/{RATE}", params={"group": "provinces", "period": "2024"}))
    assert (r["group"], r["period"], r["ranked"]) == ("provinces", "2024", 7) and len(r["rows"]) == 63
    assert [(x["unit"], x["rank"]) for x in r["rows"][:7]] == [
        ("P79", 1), ("P01", 2), ("P48", 3), ("P31", 4), ("P92", 4), ("P56", 6), ("P02", 7)]
    assert {x["unit"]: x["value"] for x in r["rows"] if x["rank"]} == values
    assert r["rows"][0]["unit_name"] == "Hồ Chí Minh" and r["rows"][-1]["rank"] is None
    m = ok(client.get(f"/api/v1/rankings/{RATE}", params={"group": "ministries", "period": "2024"}))
    assert [x["unit"] for x in m["rows"][:3]] == ["BTTTT", "BCA", "BTP"]
    latest = ok(client.get("/api/v1/rankings/procedures_full_online_rate", params={"group": "ministries"}))
    assert latest["period"] == "2024-09" and latest["ranked"] == 4  # no period: the latest with figures
    assert "provinces (Khối tỉnh)" in problem(client.get(f"/api/v1/rankings/{RATE}", params={"group": "BTTTT"}),
                                              422, "group")["suggestions"]
    problem(client.get(f"/api/v1/rankings/{RATE}", params={"group": "Khoi tinhh"}), 422, "group")
    problem(client.get(f"/api/v1/rankings/{RATE}", params={"period": "2024-13"}), 422, "period")

    t = ok(client.get("/api/v1/targets", params={"indicator": RATE}))
    assert t["count"] == 6 and {x["period"] for x in t["targets"]} == {"2024", "2025"}
    t = ok(client.get("/api/v1/targets", params={"indicator": RATE, "unit": "Khối tỉnh", "period": "2024"}))
    assert [(x["unit"], x["value"]) for x in t["targets"]] == [("provinces", 30.0)]
    assert ok(client.get("/api/v1/targets"))["count"] == len(loaded.store.targets())
    assert RATE in problem(client.get("/api/v1/targets", params={"indicator": "dossier_ful"}), 422,
                           "indicator")["suggestions"]
    problem(client.get("/api/v1/targets", params={"unit": "Atlantis"}), 422, "unit")
    # /values agrees
    v = ok(client.get(f"/api/v1/values/{RATE}", params={"unit": "P48", "period": "2024"}))
    assert v["value"] == values["P48"]


def test_openapi_and_offline_docs(loaded: core.Workspace, client: TestClient) -> None:
    spec = ok(client.get("/openapi.json"))
    for path in ("/api/v1/indicators", "/api/v1/indicators/{code}", "/api/v1/units", "/api/v1/series/{code}",
                 "/api/v1/rankings/{code}", "/api/v1/targets", "/api/v1/values/{code}"):
        assert path in spec["paths"], path
    params = {p["name"] for p in spec["paths"]["/api/v1/series/{code}"]["get"]["parameters"]}
    assert {"unit", "from", "to"} <= params
    assert "application/problem+json" in spec["paths"]["/api/v1/rankings/{code}"]["get"]["responses"]["422"][
        "content"]
    # the closed sets are enums: the pillars, the unit types, the groups, an indicator's kind
    def enum(path: str, name: str) -> list[str]:
        found = next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name)
        return list(found["schema"]["enum"])

    cat = loaded.catalogue
    assert enum("/api/v1/indicators", "pillar") == [p.value for p in Pillar]
    assert enum("/api/v1/units", "type") == [t.value for t in UnitType]
    assert enum("/api/v1/rankings/{code}", "group") == enum("/api/v1/units", "group") == [
        g.code for g in cat.groups()]
    assert spec["components"]["schemas"]["IndicatorOut"]["properties"]["kind"]["enum"] == list(KINDS)
    # every read operation declares its problems, as problem+json only
    for path, ops in spec["paths"].items():
        if path.startswith(("/api/v1/indicators", "/api/v1/units", "/api/v1/series", "/api/v1/rankings",
                            "/api/v1/targets", "/api/v1/values", "/api/v1/health")):
            answers = ops["get"]["responses"]
            assert any(s.startswith(("4", "5")) for s in answers), path
            for status, answer in answers.items():
                if status[0] in "45":
                    assert list(answer["content"]) == ["application/problem+json"], (path, status)
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/v1/rankings/{code}" in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text
    assert client.get("/redoc").status_code == 404


def test_event_figures_rank_and_reach_the_pages(loaded: core.Workspace, client: TestClient) -> None:
    if loaded.store.dialect == "postgresql":  # the event tables are not emptied by conftest between tests
        with loaded.store.engine.begin() as conn:
            conn.execute(text("TRUNCATE event_agg, event_first_seen, event_batch, event_source, event_reject "
                              "RESTART IDENTITY"))
    events = []
    for unit, n, online in (("P79", 10, 8), ("P48", 10, 3), ("BTTTT", 4, 4)):
        for i in range(n):
            base = {"event_id": f"{unit}-{i}", "source_system": "test", "dossier_id": f"{unit}-{i}",
                    "procedure_code": "1.00309", "unit": unit, "channel": "online", "full_online": i < online,
                    "documents": 2, "documents_reused": 0, "fee": 0, "paid_online": False, "e_result": False,
                    "paused_days": 0.0, "due_at": None}
            events.append(base | {"event_id": f"{unit}-{i}-r", "at": f"2024-04-0{1 + i % 5}T08:00:00",
                                  "status": "received"})
    ing = loaded.ingestor()
    try:
        receipt = ing.submit_ndjson("dossier", "\n".join(json.dumps(e) for e in events), "test")
    finally:
        ing.events.close()
    assert receipt.accepted == len(events)
    r = ok(client.get(f"/api/v1/rankings/{RATE}", params={"group": "provinces", "period": "2024-04"}))
    ranked = [(x["unit"], x["rank"], x["value"], x["source"]) for x in r["rows"] if x["rank"]]
    assert ranked == [("P79", 1, 80.0, "computed"), ("P48", 2, 30.0, "computed")]
    page = client.get(f"/indicators/{RATE}?period=2024-04").text
    assert 'data-testid="tile-P79" data-unit="P79" data-value="80.0"' in page
    assert 'data-testid="rank-value-dossier_full_online_rate-BTTTT">100%' in page
    overview = client.get("/?period=2024-04").text
    assert f'data-testid="value-{RATE}-VN">' in overview
    expected = loaded.engine.value(RATE, "VN", "2024-04").value
    assert expected is not None and round(expected, 2) == round(100 * 15 / 24, 2)


def test_one_table_maps_errors_to_problems() -> None:
    """Handlers raise chiso's errors; one table gives each its status and problem type."""
    assert status_of(PermissionDenied("x")) == (403, "forbidden")
    assert status_of(ConflictError("x")) == (409, "conflict")
    assert status_of(NotAuthenticated()) == (401, "not-logged-in")
    assert status_of(ValidationError([])) == (422, "invalid-values")
    assert status_of(UnknownUnitError("x")) == (422, "unknown-unit")
    assert status_of(ParameterError("code", UnknownUnitError("x"), in_path=True)) == (404, "unknown-unit")
    assert status_of(ParameterError("unit", UnknownUnitError("x"), status=400)) == (400, "unknown-unit")
    assert status_of(ParameterError("structure", UnknownStructureError("x"))) == (400, "invalid-structure")
    assert status_of(HttpProblem(413, "body-too-large", "body: too large")) == (413, "body-too-large")
    assert status_of(WorkspaceError("x")) == (503, "unavailable")
