"""``chiso index …`` end to end: list, score, rank, explain, sensitivity over the simulated world, and ``chiso check``
refusing a broken index definition (naming file, entry and reason)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chiso import app as core
from chiso.catalogue.periods import parse_period
from chiso.cli.main import app
from chiso.i18n import round_half_up

runner = CliRunner()
MONTH = "2024-09"


def chiso(ws: Path, *args: str, lang: str = "vi") -> tuple[int, str, str]:
    res = runner.invoke(app, ["--workspace", str(ws), "--lang", lang, *args], env={"COLUMNS": "140"})
    return res.exit_code, res.stdout, res.stderr


def as_json(ws: Path, *args: str) -> Any:
    rc, out, err = chiso(ws, *args, "--json")
    assert rc == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def world(simulated_world: core.Workspace) -> Path:
    return simulated_world.root


def refused(rc: int, err: str) -> str:
    """A refusal: a non-zero exit and one clear line on stderr, never a traceback."""
    assert rc != 0
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    return lines[0]


# --- list ------------------------------------------------------------------------------------------------------
def test_list_names_every_index_with_its_versions_and_kind(world: Path) -> None:
    got = {d["code"]: d for d in as_json(world, "index", "list")}
    assert set(got) == {"qd766", "dti_province", "dti_ministry", "egdi"}
    assert got["qd766"]["value"] == "points" and got["qd766"]["points"] == 100
    assert got["qd766"]["units"] == ["provinces", "ministries"]
    assert [v["id"] for v in got["dti_province"]["versions"]] == ["922/QĐ-BTTTT", "405/QĐ-BKHCN"]
    assert got["dti_province"]["versions"][0]["valid_to"] == "2024-12-31"
    assert got["egdi"]["value"] == "score" and got["egdi"]["units"] == ["VN"]
    rc, out, _ = chiso(world, "index", "list")
    assert rc == 0 and "qd766" in out and "922/QĐ-BTTTT" in out and "2024-12-31" in out


# --- score -----------------------------------------------------------------------------------------------------
def children(nodes: dict[str, Any], code: str) -> list[dict[str, Any]]:
    depth = nodes[code]["depth"]
    return [n for c, n in nodes.items() if c.startswith(code + ".") and n["depth"] == depth + 1]


def test_score_gives_the_published_value_and_its_tree(world: Path) -> None:
    d = as_json(world, "index", "score", "qd766", "--unit", "Hà Nội", "--period", MONTH)
    assert (d["index"], d["unit"], d["period"], d["version"]) == ("qd766", "P01", MONTH, "766/2022")
    assert 0 < d["value"] <= 100 and d["value"] == d["nodes"]["qd766"]["value"]  # points of 100
    assert d["rank"] >= 1 and d["rank"] <= d["of"] <= 63
    assert d["rating"] in {"Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"} and 0.5 <= d["coverage"] <= 1.0
    nodes = d["nodes"]
    assert next(iter(nodes)) == "qd766" and len(nodes) > 10
    summed = 0
    for code, n in nodes.items():
        assert set(n) >= {"value", "points", "max_points", "points_missing", "coverage", "source"}
        kids = children(nodes, code)
        if n["points"] is not None:
            assert n["points"] == pytest.approx(n["value"])  # qd766 publishes points
            assert n["points"] + n["points_missing"] == pytest.approx(n["max_points"])
        if kids:  # the points of 100 are shared out: children's full marks sum to their parent's
            assert sum(k["max_points"] for k in kids) == pytest.approx(n["max_points"])
        if kids and n["coverage"] == 1.0 and n["points"] is not None:
            assert sum(k["points"] for k in kids) == pytest.approx(n["points"])
            summed += 1
    assert summed >= 2  # several pillars were checked


def test_a_leaf_is_its_indicator_scored_by_the_threshold(simulated_world: core.Workspace, world: Path) -> None:
    d = as_json(world, "index", "score", "qd766", "--unit", "P01", "--period", MONTH)
    leaf = d["nodes"]["qd766.progress.on_time"]
    ans = simulated_world.engine.value("dossier_on_time_766_rate", "P01", MONTH, compare=False)
    assert ans.value is not None and abs(leaf["raw"] - ans.value) <= 0.005 + 1e-9  # the rate, to its precision
    assert leaf["points"] == pytest.approx(20 * min(1.0, leaf["raw"] / 100))


def test_score_in_words(world: Path) -> None:
    rc, out, err = chiso(world, "index", "score", "qd766", "--unit", "P01", "--period", MONTH)
    assert rc == 0, err
    d = as_json(world, "index", "score", "qd766", "--unit", "P01", "--period", MONTH)
    assert "Chỉ số 766" in out and "Hà Nội" in out and "Số hóa hồ sơ" in out and "tháng 9/2024" in out
    assert f"xếp thứ {d['rank']}/{d['of']}" in out
    rc, out, err = chiso(world, "index", "score", "qd766", "--unit", "P01", "--period", MONTH, lang="en")
    assert rc == 0, err
    assert "766 index" in out and "Digitisation" in out and f"ranked {d['rank']} of {d['of']}" in out


def test_one_units_score_is_its_row_in_the_ranking(world: Path) -> None:
    rk = as_json(world, "index", "rank", "qd766", "--group", "provinces", "--period", MONTH)
    rows = {r["unit"]: r for r in rk["rows"]}
    for unit in ("P01", "P79", rk["rows"][0]["unit"], rk["rows"][-1]["unit"]):
        d = as_json(world, "index", "score", "qd766", "--unit", unit, "--period", MONTH)
        assert (d["value"], d["rank"], d["of"], d["coverage"]) == (
            rows[unit]["value"], rows[unit]["rank"], rows[unit]["of"], rows[unit]["coverage"])
        assert d["rating"] == rows[unit]["rating"]


# --- rank ------------------------------------------------------------------------------------------------------
def test_rank_is_ordered_by_value_with_ties_sharing_a_rank(world: Path) -> None:
    rk = as_json(world, "index", "rank", "qd766", "--group", "provinces", "--period", MONTH)
    rows = rk["rows"]
    assert rk["index"] == "qd766" and rk["period"] == MONTH and len(rows) == 63
    ranked = [r for r in rows if r["rank"] is not None]
    assert ranked == rows[: len(ranked)]  # the unscored last
    assert all(r["value"] is None for r in rows[len(ranked):])
    keys = [round_half_up(r["value"], 2) for r in ranked]  # ranks are by the published precision
    assert keys == sorted(keys, reverse=True)
    for r, k in zip(ranked, keys, strict=True):
        assert r["rank"] == 1 + sum(1 for o in keys if o > k)  # competition ranks: 1, 2, 2, 4
        assert r["of"] == len(ranked)
    rc, out, err = chiso(world, "index", "rank", "qd766", "--period", MONTH)
    assert rc == 0, err
    assert ranked[0]["name"] in out and "Khối tỉnh" in out


def test_ministries_are_ranked_too(world: Path) -> None:
    rk = as_json(world, "index", "rank", "qd766", "--group", "ministries", "--period", MONTH)
    assert rk["group"] == "ministries" and any(r["value"] is not None for r in rk["rows"])


def test_cumulative_to_a_date(simulated_world: core.Workspace, world: Path) -> None:
    span = "2024-01..2024-09"
    d = as_json(world, "index", "score", "qd766", "--unit", "P01", "--period", span)
    assert d["period"] == span and d["value"] is not None
    leaf = d["nodes"]["qd766.online_services.full_online"]
    ans = simulated_world.engine.value("dossier_full_online_rate", "P01", span, compare=False)
    assert ans.value is not None and abs(leaf["raw"] - ans.value) <= 0.005 + 1e-9  # over the nine months
    sept = as_json(world, "index", "score", "qd766", "--unit", "P01", "--period", MONTH)
    assert leaf["raw"] != sept["nodes"]["qd766.online_services.full_online"]["raw"]
    rk = as_json(world, "index", "rank", "qd766", "--period", span)
    assert rk["period"] == span and {r["unit"]: r["rank"] for r in rk["rows"]}["P01"] == d["rank"]


def test_rank_in_the_2025_structure(simulated_world: core.Workspace, world: Path) -> None:
    rk = as_json(world, "index", "rank", "qd766", "--period", MONTH, "--structure", "2025")
    cat = simulated_world.catalogue
    members = cat.components(cat.unit("provinces"), parse_period("2025-07-01"))
    assert rk["structure"] == "2025-07-01" and {r["unit"] for r in rk["rows"]} == {m.code for m in members}


# --- explain ---------------------------------------------------------------------------------------------------
def test_explain_compares_with_the_previous_month(world: Path) -> None:
    d = as_json(world, "index", "explain", "qd766", "--unit", "P01", "--period", MONTH)
    assert d["previous_period"] == "2024-08" and d["previous_value"] is not None
    root = next(m for m in d["moves"] if m["depth"] == 0)
    assert root["after"] == pytest.approx(d["value"]) and root["before"] == pytest.approx(d["previous_value"])
    assert all(g["gain"] > 0 for g in d["gains"]) and d["sentences"]
    rc, out, err = chiso(world, "index", "explain", "qd766", "--unit", "P01", "--period", MONTH)
    assert rc == 0, err
    assert "tháng 8/2024" in out and "tháng 9/2024" in out
    rc, out, err = chiso(world, "index", "explain", "qd766", "--unit", "P01", "--period", MONTH, lang="en")
    assert rc == 0, err
    assert "August 2024" in out


# --- sensitivity -----------------------------------------------------------------------------------------------
def test_sensitivity_is_the_same_for_a_seed(world: Path) -> None:
    args = ("index", "sensitivity", "qd766", "--group", "provinces", "--period", MONTH, "--samples", "200",
            "--seed", "3")
    first, again = as_json(world, *args), as_json(world, *args)
    assert first == again
    assert first["samples"] == 200 and first["seed"] == 3 and len(first["rows"]) == 63
    for r in first["rows"]:
        if r["rank"] is not None:
            assert r["p5"] <= r["median"] <= r["p95"] and r["robust"] == (r["p95"] - r["p5"] <= first["tolerance"])
    assert first["sensitivity"] and first["sensitivity"][0]["s1"] >= first["sensitivity"][-1]["s1"]
    rc, out, err = chiso(world, *args)
    assert rc == 0, err
    assert "Trung vị" in out and "Thứ hạng phụ thuộc nhiều nhất" in out


def test_sensitivity_refuses_too_many_samples(world: Path) -> None:
    rc, _, err = chiso(world, "index", "sensitivity", "qd766", "--period", MONTH, "--samples", "999999")
    assert "20000" in refused(rc, err)


# --- refusals --------------------------------------------------------------------------------------------------
def test_an_unknown_index_is_refused_with_the_nearest_code(world: Path) -> None:
    rc, _, err = chiso(world, "index", "score", "qd76", "--unit", "P01", "--period", MONTH)
    line = refused(rc, err)
    assert "qd76" in line and "qd766" in line
    rc, _, err = chiso(world, "index", "rank", "dti_provnce", "--period", "2024", lang="en")
    assert "did you mean" in refused(rc, err) and "dti_province" in err


def test_the_provincial_dti_for_a_ministry_is_refused(world: Path) -> None:
    rc, _, err = chiso(world, "index", "score", "dti_province", "--unit", "BCA", "--period", "2024", lang="en")
    line = refused(rc, err)
    assert "dti_province does not score" in line and "Khối tỉnh" in line
    rc, _, err = chiso(world, "index", "rank", "dti_province", "--group", "ministries", "--period", "2024")
    assert "không chấm điểm" in refused(rc, err)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("score", "qd766", "--unit", "Xyz", "--period", MONTH), "Xyz"),
        (("score", "qd766", "--unit", "P01", "--period", "2024-13"), "2024-13"),
        (("score", "qd766", "--unit", "P01", "--period", MONTH, "--structure", "2030x"), "2030x"),
        (("score", "dti_province", "--unit", "P01", "--period", "2021"), "2021"),
        (("score", "qd766", "--unit", "provinces", "--period", MONTH), "index rank qd766"),
        (("rank", "qd766", "--group", "Atlantis", "--period", MONTH), "Atlantis"),
    ],
)
def test_errors_are_one_line(world: Path, args: tuple[str, ...], says: str) -> None:
    rc, _, err = chiso(world, "index", *args)
    assert says in refused(rc, err)


# --- chiso check -----------------------------------------------------------------------------------------------
GOOD_LEAF = "{code: bad_idx.a, name: {vi: A, en: A}, weight: 0.5, indicator: dossier_full_online_rate}"


def index_yaml(children: str) -> str:
    return (
        "indices:\n"
        "- code: bad_idx\n"
        "  name: {vi: Chỉ số hỏng, en: A broken index}\n"
        "  units: [provinces]\n"
        "  versions:\n"
        "  - id: v1\n"
        "    valid_from: 2024-01-01\n"
        "    tree:\n"
        "      code: bad_idx\n"
        "      name: {vi: Chỉ số hỏng, en: A broken index}\n"
        f"      children: [{GOOD_LEAF}, {children}]\n"
    )


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    res = runner.invoke(app, ["init", str(root)])
    assert res.exit_code == 0, res.output
    return root


def test_check_counts_the_indices(fresh: Path) -> None:
    rc, out, err = chiso(fresh, "check")
    assert rc == 0, err
    assert out.startswith("OK: ") and "4 chỉ số tổng hợp / composite indices" in out


@pytest.mark.parametrize(
    ("child", "reason"),
    [
        ("{code: bad_idx.b, name: {vi: B, en: B}, weight: 0.3, indicator: dossier_on_time_rate}",
         "node 'bad_idx': children's weights sum to 0.8, not 1"),
        ("{code: bad_idx.b, name: {vi: B, en: B}, weight: 0.5, indicator: no_such_indicator}",
         "node 'bad_idx.b': indicator 'no_such_indicator' is not in the catalogue"),
        ("{code: bad_idx.b, name: {vi: B, en: B}, weight: 0.5}", "a leaf needs an indicator"),
    ],
)
def test_check_refuses_a_broken_index_naming_file_entry_and_reason(fresh: Path, child: str, reason: str) -> None:
    bad = fresh / "catalogue" / "indices" / "bad.yaml"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text(index_yaml(child), encoding="utf-8")
    rc, out, err = chiso(fresh, "check")
    line = refused(rc, err)
    assert "OK" not in out
    assert str(bad) in line and "entry 1 (bad_idx)" in line and reason in line
    bad.write_text(index_yaml(child.replace("0.3", "0.5").replace("no_such_indicator", "dossier_on_time_rate")
                              .replace("weight: 0.5}", "weight: 0.5, indicator: dossier_on_time_rate}")),
                   encoding="utf-8")
    rc, out, err = chiso(fresh, "check")  # mended, the same file is taken
    assert rc == 0, err
    assert "5 chỉ số tổng hợp" in out
