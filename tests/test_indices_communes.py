"""The 766 index for communes (issue 13): Decision 766/QĐ-TTg applies to People's Committees at every level, so
``qd766`` scores a commune from the dossiers it handled and ranks it among its province's communes.

Against the simulated world (its dossiers name real communes of 2024): one commune's score computed by hand from
its event figures and the 766 threshold rule, the ranking of Đà Nẵng's communes ordered and complete, the two
reported sub-criteria missing and said so (coverage below 1, the rule named), the reads gathered for a group of
hundreds of communes, the web page and the API taking a group of communes, the districts of 2024 ranked alike, and
indices without the commune level refusing one plainly."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from typer.testing import CliRunner

from chiso import app as core
from chiso.catalogue.periods import Period
from chiso.cli.main import app
from chiso.engine.indices import IndexScorer
from chiso.i18n import round_half_up
from web_support import MakeClient

runner = CliRunner()
PERIOD = "2024"
END = date(2024, 12, 31)
GROUP = "communes of Đà Nẵng"

# The 766 tree as docs/indices.md tables it: leaf → (indicator, its group, points, full marks at %)
LEAVES = {
    "qd766.transparency.published": ("procedures_published_on_time_rate", "qd766.transparency", 6, 100),
    "qd766.transparency.tracked": ("dossier_tracked_rate", "qd766.transparency", 12, 100),
    "qd766.progress.on_time": ("dossier_on_time_766_rate", "qd766.progress", 20, 100),
    "qd766.online_services.full_online": ("dossier_full_online_rate", "qd766.online_services", 12, 80),
    "qd766.online_payment.paid_online": ("online_payment_rate", "qd766.online_payment", 10, 80),
    "qd766.satisfaction.feedback": ("feedback_on_time_rate", "qd766.satisfaction", 6, 100),
    "qd766.satisfaction.ratings": ("dossier_satisfaction_rate", "qd766.satisfaction", 12, 80),
    "qd766.digitisation.e_results": ("e_result_rate", "qd766.digitisation", 6, 80),
    "qd766.digitisation.digitised": ("dossier_digitisation_rate", "qd766.digitisation", 6, 80),
    "qd766.digitisation.reuse": ("digitised_data_reuse_rate", "qd766.digitisation", 4, 80),
    "qd766.digitisation.vneid": ("dossier_vneid_rate", "qd766.digitisation", 3, 80),
    "qd766.digitisation.national_db": ("dossier_national_db_rate", "qd766.digitisation", 3, 80),
}
GROUPS = {"qd766.transparency": 18, "qd766.progress": 20, "qd766.online_services": 12, "qd766.online_payment": 10,
          "qd766.satisfaction": 18, "qd766.digitisation": 22}
REPORTED = {"qd766.transparency.published", "qd766.satisfaction.feedback"}


def chiso(ws: core.Workspace, *args: str, lang: str = "vi") -> tuple[int, str, str]:
    res = runner.invoke(app, ["--workspace", str(ws.root), "--lang", lang, *args], env={"COLUMNS": "160"})
    return res.exit_code, res.stdout, res.stderr


def as_json(ws: core.Workspace, *args: str) -> Any:
    rc, out, err = chiso(ws, *args, "--json")
    assert rc == 0, err
    return json.loads(out)


def by_hand(ws: core.Workspace, commune: str) -> tuple[float | None, float, dict[str, float | None]]:
    """The 766 score of a commune for 2024 from the engine's answers of each leaf's indicator: (points of 100,
    coverage, each group's points), by the threshold rule, reweighting within a group (scored from half its
    points up) and over the groups."""
    scores: dict[str, float] = {}
    for leaf, (ind, _g, _pts, full_at) in LEAVES.items():
        f = ws.engine.value(ind, commune, PERIOD, compare=False).figure
        if f is not None and f.value is not None:
            x = 100 * f.numerator / f.denominator if f.denominator else f.value  # unrounded: the rate's parts
            scores[leaf] = min(1.0, max(0.0, x) / full_at)
    groups: dict[str, float | None] = {}
    covered = 0.0
    num = den = 0.0
    for g, g_points in GROUPS.items():
        with_data = [(LEAVES[k][2], s) for k, s in scores.items() if LEAVES[k][1] == g]
        weight = sum(p for p, _ in with_data)
        if weight < 0.5 * g_points:
            groups[g] = None
            continue
        share = sum(p * s for p, s in with_data) / weight
        groups[g] = share * g_points
        covered += weight
        num += g_points * share
        den += g_points
    value = 100 * num / den if den >= 50 else None
    return value, covered / 100, groups


@pytest.fixture(scope="module")
def danang(simulated_world: core.Workspace) -> list[str]:
    """Đà Nẵng's 2024 communes, those with the most dossiers first (dossier_on_time_766_rate's denominator)."""
    cat = simulated_world.catalogue
    rows = simulated_world.engine.rank("dossier_on_time_766_rate", cat.unit(GROUP, on=END), PERIOD)
    sized = sorted(((r.figure.denominator or 0) if r.figure else 0, r.unit.code) for r in rows)
    return [code for _, code in reversed(sized)]


def test_one_communes_score_is_its_event_figures_by_the_766_rule(simulated_world: core.Workspace,
                                                                  danang: list[str]) -> None:
    ws = simulated_world
    # At scale 0.001 a commune has a handful of dossiers and ratings are rare, so whether the very busiest has
    # every event-derived figure is the draw's luck: take the busiest that has them all.
    events = {ind for leaf, (ind, *_rest) in LEAVES.items() if leaf not in REPORTED}
    busiest = next(ws.catalogue.units[c] for c in danang
                   if all(ws.engine.value(ind, c, PERIOD, compare=False).value is not None for ind in events))
    d = as_json(ws, "index", "score", "qd766", "--unit", f"{busiest.name}, Đà Nẵng", "--period", PERIOD)
    assert (d["unit"], d["group"], d["period"]) == (busiest.code, "P48.communes", PERIOD)
    value, coverage, groups = by_hand(ws, busiest.code)
    assert value is not None and d["value"] == pytest.approx(value, abs=1e-9)
    assert d["coverage"] == pytest.approx(coverage)
    for g, pts in groups.items():
        assert d["nodes"][g]["points"] == (None if pts is None else pytest.approx(pts))
    for leaf, (ind, _g, pts, full_at) in LEAVES.items():
        node = d["nodes"][leaf]
        ans = ws.engine.value(ind, busiest.code, PERIOD, compare=False)
        if ans.value is None:
            assert node["points"] is None and node["source"] == "none" and node["coverage"] == 0
        else:  # the raw value is the commune's own figure (its rate, unrounded), the points the 766 rule's
            assert abs(node["raw"] - ans.value) <= 0.005 + 1e-9
            assert node["points"] == pytest.approx(pts * min(1.0, node["raw"] / full_at))
    # it has every event-derived figure; the two reported ones are missing, and said so
    assert set(d["missing"]) == REPORTED
    assert d["coverage"] == pytest.approx(1 - (6 + 6) / 100)
    said = " ".join(d["sentences"])
    assert "Dữ liệu phủ 88% trọng số" in said and "chia trọng số cho các tiêu chí có dữ liệu" in said
    assert "Công bố, công khai thủ tục hành chính đúng hạn" in said and "Xử lý phản ánh, kiến nghị đúng hạn" in said
    # and its rank is among Đà Nẵng's communes, not the provinces
    rk = as_json(ws, "index", "rank", "qd766", "--group", GROUP, "--period", PERIOD)
    row = next(r for r in rk["rows"] if r["unit"] == busiest.code)
    assert (d["rank"], d["of"], d["value"]) == (row["rank"], row["of"], row["value"])


def test_the_communes_of_da_nang_are_ranked_in_order_and_all_of_them(simulated_world: core.Workspace,
                                                                     danang: list[str]) -> None:
    ws = simulated_world
    rk = as_json(ws, "index", "rank", "qd766", "--group", GROUP, "--period", PERIOD)
    rows = rk["rows"]
    assert rk["group"] == "P48.communes" and rk["index"] == "qd766"
    members = [u.code for u in ws.catalogue.communes_of("P48", END)]
    assert sorted(r["unit"] for r in rows) == members  # every 2024 commune of Đà Nẵng, scored or not, once
    ranked = [r for r in rows if r["rank"] is not None]
    assert len(ranked) >= 10 and ranked == rows[: len(ranked)]  # the unscored last
    assert all(r["value"] is None for r in rows[len(ranked):])
    keys = [round_half_up(r["value"], 2) for r in ranked]
    assert keys == sorted(keys, reverse=True)
    for r, k in zip(ranked, keys, strict=True):
        assert r["rank"] == 1 + sum(1 for o in keys if o > k) and r["of"] == len(ranked)  # 1, 2, 2, 4
    # each row is that commune's score by hand (the busiest, the last ranked, one unscored if any)
    for code in {danang[0], ranked[-1]["unit"], rows[-1]["unit"]}:
        value, coverage, _ = by_hand(ws, code)
        row = next(r for r in rows if r["unit"] == code)
        assert row["value"] == (None if value is None else pytest.approx(value, abs=1e-9))
        if value is not None:
            assert row["coverage"] == pytest.approx(coverage)


def test_coverage_below_one_is_said_when_the_reported_parts_are_missing(simulated_world: core.Workspace) -> None:
    ws = simulated_world
    rk = as_json(ws, "index", "rank", "qd766", "--group", GROUP, "--period", PERIOD)
    ranked = [r for r in rk["rows"] if r["rank"] is not None]
    assert all(r["coverage"] <= 0.88 + 1e-9 for r in ranked)  # no commune reports the two figures
    missing = {m["code"]: m["units"] for m in rk["missing"]}
    assert missing["qd766.transparency.published"] == missing["qd766.satisfaction.feedback"] == len(ranked)
    assert rk["sentences"] and f"({len(ranked)}/{len(ranked)})" in rk["sentences"][0]
    rc, out, err = chiso(ws, "index", "rank", "qd766", "--group", GROUP, "--period", PERIOD)
    assert rc == 0, err
    text = " ".join(out.split())
    assert "Xã, phường của Đà Nẵng" in text and "Thiếu dữ liệu" in text
    assert "Công bố, công khai thủ tục hành chính đúng hạn" in text and "Điểm phủ dữ liệu dưới 100%" in text
    rc, out, err = chiso(ws, "index", "rank", "qd766", "--group", GROUP, "--period", PERIOD, lang="en")
    assert rc == 0, err
    assert "Procedures published on time" in " ".join(out.split()) and "Coverage is below 100 %" in out


def test_a_group_of_communes_is_read_in_a_fixed_number_of_queries(simulated_world: core.Workspace) -> None:
    """Gathered reads: every indicator's values in one query, every measure of the communes in another, however
    many communes the group holds (Đà Nẵng's 47, Hà Nội's 526)."""
    ws = simulated_world
    counts = {}
    for group in ("P48.communes", "P01.communes"):
        n = [0]

        def count(*_: Any, n: list[int] = n) -> None:
            n[0] += 1

        event.listen(ws.store.engine, "before_cursor_execute", count)
        try:
            gs = IndexScorer(ws.engine).group("qd766", group, PERIOD)
        finally:
            event.remove(ws.store.engine, "before_cursor_execute", count)
        assert len(gs.units) == len(ws.catalogue.components(ws.catalogue.unit(group), gs.period))
        counts[group] = n[0]
    assert counts["P48.communes"] == counts["P01.communes"] <= 4, counts


def test_the_web_page_and_the_api_rank_a_group_of_communes(simulated_world: core.Workspace,
                                                           make_client: MakeClient, danang: list[str]) -> None:
    ws = simulated_world
    client = make_client(ws)
    gs = IndexScorer(ws.engine).group("qd766", "P48.communes", PERIOD)
    api = client.get("/api/v1/indices/qd766/rank", params={"group": GROUP, "period": PERIOD})
    assert api.status_code == 200, api.text
    got = api.json()
    assert got["group"] == "P48.communes"
    assert [(r["unit"], r["rank"]) for r in got["rows"]] == [(u.unit.code, u.rank) for u in gs.units]
    one = client.get("/api/v1/indices/qd766/score", params={"unit": danang[0], "period": PERIOD}).json()
    assert one["group"] == "P48.communes" and one["value"] == pytest.approx(gs.of(ws.catalogue.units[danang[0]]).value)
    page = client.get("/indices/qd766", params={"group": "P48.communes", "period": PERIOD, "lang": "vi"})
    assert page.status_code == 200
    assert f'data-unit="{gs.units[0].unit.code}"' in page.text and "Xã, phường của Đà Nẵng" in page.text
    card = client.get(f"/indices/qd766/units/{danang[0]}", params={"period": PERIOD})
    assert card.status_code == 200 and ws.catalogue.units[danang[0]].short in card.text
    # an index without the commune level answers a group of communes with a 4xx naming what it scores
    bad = client.get("/api/v1/indices/dti_province/rank", params={"group": "P48.communes", "period": PERIOD})
    assert 400 <= bad.status_code < 500 and "Khối tỉnh" in bad.text


def test_an_index_without_the_commune_level_refuses_a_commune_plainly(simulated_world: core.Workspace,
                                                                      danang: list[str]) -> None:
    ws = simulated_world
    assert ws.catalogue.index("dti_province").levels == ()
    rc, _out, err = chiso(ws, "index", "score", "dti_province", "--unit", danang[0], "--period", PERIOD)
    lines = [x for x in err.splitlines() if x.strip()]
    assert rc != 0 and len(lines) == 1 and "Traceback" not in err
    assert "không chấm điểm" in lines[0] and ws.catalogue.units[danang[0]].short in lines[0]
    rc, _out, err = chiso(ws, "index", "rank", "dti_province", "--group", GROUP, "--period", PERIOD)
    assert rc != 0 and "không chấm điểm" in err
    # the provinces' 766 ranking is as before: 63 provinces, the level below never mixed in
    rk = as_json(ws, "index", "rank", "qd766", "--group", "provinces", "--period", PERIOD)
    assert len(rk["rows"]) == 63 and all(r["unit"].startswith("P") and "." not in r["unit"] for r in rk["rows"])


def test_districts_of_2024_are_ranked_from_their_communes_dossiers(simulated_world: core.Workspace) -> None:
    ws = simulated_world
    rk = as_json(ws, "index", "rank", "qd766", "--group", "districts of Đà Nẵng", "--period", PERIOD)
    assert rk["group"] == "P48.districts"
    districts = ws.catalogue.components(ws.catalogue.unit("P48.districts"), Period.parse(PERIOD))
    assert len(districts) >= 7 and sorted(r["unit"] for r in rk["rows"]) == sorted(u.code for u in districts)
    best = rk["rows"][0]
    value, coverage, _ = by_hand(ws, best["unit"])  # a district's figures are its communes' summed parts
    assert best["rank"] == 1 and best["value"] == pytest.approx(value) and best["coverage"] == pytest.approx(coverage)
    rc, out, err = chiso(ws, "index", "list")
    assert rc == 0, err
    assert "từng xã, phường (trong tỉnh)" in " ".join(out.split())
