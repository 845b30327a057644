"""Rebasing across a change of structure, against hand-computed expectations, on SQLite and PostgreSQL.

The world (a small catalogue of its own, not the shipped units), changed on 1 July 2025:

    PA, PB (whole) ─┐
    PC (part 0.3) ──┴─> PAB        PC (part 0.7) ──> PD        PF (whole) ──> PG (renamed)
    PE: unchanged

and ministries on 1 March 2025: M2 went into M1 (whole) and part of it, without a share, to M3.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from chiso import app as core
from chiso.catalogue import Catalogue, load_catalogue
from chiso.catalogue.models import Unit, UnitType
from chiso.catalogue.records import ValueInput
from chiso.cli.main import app
from chiso.engine import Engine
from chiso.engine.rebase import StructureError, series_note
from chiso.store import Store

RATE = "dossier_full_online_rate"
COUNT = "gov_tasks_assigned"
STOCK = "portal_accounts"  # additive
FLAT = "ndxp_data_services"  # a stock that is not additive
RANK = "egdi_rank"
JULY = date(2025, 7, 1)
MARCH = date(2025, 3, 1)
END_2024 = date(2024, 12, 31)

P = {"groups": ["provinces"], "parent": "VN", "type": "province"}
M = {"groups": ["ministries"], "parent": "VN", "type": "ministry"}
OLD = {"valid_to": "2025-06-30", "structure": "2024"}
NEW = {"valid_from": "2025-07-01", "structure": "2025"}
UNITS: list[dict[str, Any]] = [
    {"code": "PA", "name": "Tỉnh An", "short": "An", **P, **OLD, "successors": [{"unit": "PAB"}]},
    {"code": "PB", "name": "Tỉnh Bình", "short": "Bình", **P, **OLD, "successors": [{"unit": "PAB"}]},
    {
        "code": "PC",
        "name": "Tỉnh Cao",
        "short": "Cao",
        **P,
        **OLD,
        "successors": [{"unit": "PAB", "kind": "part", "share": 0.3}, {"unit": "PD", "kind": "part", "share": 0.7}],
    },
    {"code": "PE", "name": "Tỉnh Yên", "short": "Yên", **P},
    {"code": "PF", "name": "Tỉnh Phú", "short": "Phú", **P, **OLD, "successors": [{"unit": "PG"}]},
    {"code": "PAB", "name": "Tỉnh An Bình", "short": "An Bình", **P, **NEW},
    {"code": "PD", "name": "Tỉnh Đông", "short": "Đông", **P, **NEW},
    {"code": "PG", "name": "Tỉnh Phú Gia", "short": "Phú Gia", **P, **NEW},
    {"code": "M1", "name": "Bộ Một", "short": "Một", **M},
    {
        "code": "M2",
        "name": "Bộ Hai",
        "short": "Hai",
        **M,
        "valid_to": "2025-02-28",
        "successors": [{"unit": "M1"}, {"unit": "M3", "kind": "part", "note": "báo chí (press)"}],
    },
    {"code": "M3", "name": "Bộ Ba", "short": "Ba", **M},
]


def world(units: list[dict[str, Any]] = UNITS) -> Catalogue:
    """The shipped nation, blocs and indicators, with this file's units only."""
    real = load_catalogue()
    keep = {c: u for c, u in real.units.items() if u.type in (UnitType.NATION, UnitType.GROUP)}
    keep.update({d["code"]: Unit.model_validate(d) for d in units})
    return Catalogue(keep, real.indicators, real.measures, real.event_indicators)


def v(
    ind: str, unit: str, period: str, value: float | None = None, num: float | None = None, den: float | None = None
) -> ValueInput:
    if value is None and num is not None and den is not None:
        value = round(100 * num / den, 4)
    return ValueInput(indicator=ind, unit=unit, period=period, value=value, numerator=num, denominator=den, source="t")


# 2024: rates with their parts, counts, stocks
DATA = [
    v(RATE, "PA", "2024", num=30, den=100),  # 30 %
    v(RATE, "PB", "2024", num=45, den=60),  # 75 %
    v(RATE, "PC", "2024", num=20, den=80),  # 25 %
    v(RATE, "PE", "2024", num=50, den=100),  # 50 %
    v(RATE, "PF", "2024", num=9, den=10),  # 90 %
    v(COUNT, "PA", "2024", 120),
    v(COUNT, "PB", "2024", 80),
    v(COUNT, "PC", "2024", 50),
    v(COUNT, "M1", "2024", 10),
    v(COUNT, "M2", "2024", 7),
    v(COUNT, "M3", "2024", 4),
    v(STOCK, "PA", "2024", 1000),
    v(STOCK, "PB", "2024", 2000),
    v(STOCK, "PC", "2024", 500),
    v(FLAT, "PA", "2024", 3),
    v(FLAT, "PB", "2024", 4),
    v(FLAT, "PC", "2024", 5),
    v(RANK, "PA", "2024", 3),
    v(RANK, "PB", "2024", 5),
    v(RANK, "PF", "2024", 7),
    # 2023: PA published its rate without numerator and denominator
    v(RATE, "PA", "2023", 40.0),
    v(RATE, "PB", "2023", num=50, den=100),
    v(RATE, "PC", "2023", num=10, den=40),
    v(COUNT, "PA", "2023", 100),
    v(COUNT, "PB", "2023", 300),
    v(COUNT, "PC", "2023", 200),
    # 2025, across the change: the former units' first half, the new unit's second
    v(COUNT, "PA", "2025S1", 60),
    v(COUNT, "PB", "2025S1", 40),
    v(COUNT, "PC", "2025S1", 30),
    v(COUNT, "PAB", "2025S2", 150),
]


@pytest.fixture(autouse=True)
def vietnamese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHISO_LANG", "vi")  # notes are worded in the process's language; other tests may change it


@pytest.fixture
def cat() -> Catalogue:
    return world()


@pytest.fixture
def engine(cat: Catalogue, store: Store) -> Engine:
    store.write_values(DATA, actor="t")
    return Engine(cat, store)


def test_a_merged_province_rate_is_recomputed_from_its_predecessors_parts(engine: Engine) -> None:
    ans = engine.value(RATE, "PAB", "2024", structure=JULY, compare=False)
    f = ans.figure
    assert f is not None and f.method == "rebased" and f.rebase is not None
    # (30 + 45 + 0.3·20) / (100 + 60 + 0.3·80) = 81 / 184 = 44.0217…%
    assert (f.numerator, f.denominator) == (81.0, 184.0)
    assert ans.value == 44.02
    assert ans.value != round((30 + 75 + 25) / 3, 2)  # never the average of the rates (43.33)
    assert f.rebase.rebased_from == ("PA", "PB", "PC")
    assert dict(f.rebase.parts) == {"PA": 1.0, "PB": 1.0, "PC": 0.3}
    assert f.note == "Số liệu năm 2024 tính theo cơ cấu đơn vị ngày 01/07/2025 (gộp từ An, Bình, Cao (30%))"


def test_a_count_sums_across_the_merger_and_a_partial_successor_takes_its_share(engine: Engine) -> None:
    assert engine.value(COUNT, "PAB", "2024", structure=JULY).value == 215.0  # 120 + 80 + 0.3 · 50
    d = engine.value(COUNT, "PD", "2024", structure=JULY)
    assert d.value == 35.0  # 0.7 · 50
    assert d.figure is not None and d.figure.rebase is not None and dict(d.figure.rebase.parts) == {"PC": 0.7}
    rate = engine.value(RATE, "PD", "2024", structure=JULY).figure
    assert rate is not None and (rate.numerator, rate.denominator, rate.value) == (14.0, 56.0, 25.0)


def test_an_additive_stock_sums_a_non_additive_one_and_ranks_are_refused(engine: Engine) -> None:
    assert engine.value(STOCK, "PAB", "2024", structure=JULY).value == 3150.0  # 1000 + 2000 + 0.3 · 500
    flat = engine.value(FLAT, "PAB", "2024", structure=JULY, compare=False)
    assert flat.value is None and flat.figure is not None
    assert flat.figure.missing == ("PA", "PB", "PC")
    assert flat.figure.note is not None and "không cộng gộp" in flat.figure.note
    rank = engine.value(RANK, "PAB", "2024", structure=JULY, compare=False)
    assert rank.value is None and rank.figure is not None and rank.figure.missing == ("PA", "PB", "PC")
    # an estimate does not make ranks combinable
    assert engine.value(RANK, "PAB", "2024", structure=JULY, estimate=COUNT).value is None
    # a renamed unit (one whole predecessor) keeps its rank: nothing is combined
    renamed = engine.value(RANK, "PG", "2024", structure=JULY, compare=False)
    assert renamed.value == 7 and renamed.figure is not None and renamed.figure.method == "rebased"


def test_a_rate_without_its_denominator_is_refused_naming_it(engine: Engine) -> None:
    ans = engine.value(RATE, "PAB", "2023", structure=JULY, compare=False)
    f = ans.figure
    assert ans.value is None and f is not None and f.rebase is not None and f.rebase.refused
    assert f.missing == ("PA",)
    assert [(x.unit, x.want) for x in f.rebase.lacks] == [("PA", "parts")]
    assert f.note == (
        "Không tính được số liệu năm 2023 của An Bình theo cơ cấu đơn vị ngày 01/07/2025: "
        "An (PA) chỉ có tỷ lệ, thiếu tử số và mẫu số để tính lại. "
        "Có thể yêu cầu một số ước tính, có trọng số theo một chỉ tiêu khác (--estimate MÃ_CHỈ_TIÊU)."
    )
    assert f.as_dict()["rebase"]["missing"] == [{"unit": "PA", "missing": "parts"}]


def test_an_estimate_is_weighted_by_its_stated_basis_and_says_it_is_one(engine: Engine) -> None:
    ans = engine.value(RATE, "PAB", "2023", structure=JULY, estimate=COUNT, compare=False)
    f = ans.figure
    assert f is not None and f.rebase is not None
    # weights: PA 100, PB 300, PC 0.3·200 = 60; (100·40 + 300·50 + 60·25) / 460 = 20500 / 460 = 44.5652…
    assert ans.value == 44.57
    assert f.approximate and f.qualifier == "ước tính"
    assert (f.numerator, f.denominator) == (None, None)  # no exact parts are claimed
    assert f.rebase.estimate == COUNT and dict(f.rebase.weights) == {"PA": 100.0, "PB": 300.0, "PC": 200.0}
    assert f.note is not None and "ước tính" in f.note and "An 100, Bình 300, Cao 200" in f.note
    assert f.as_dict()["rebase"]["estimated"] is True


def test_a_partial_move_without_a_share_is_refused_even_for_an_estimate(engine: Engine) -> None:
    m1 = engine.value(COUNT, "M1", "2024", structure=MARCH)
    assert m1.value == 17.0  # its own 10 and the whole of M2's 7
    for est in (None, COUNT):
        m3 = engine.value(COUNT, "M3", "2024", structure=MARCH, estimate=est, compare=False)
        assert m3.value is None and m3.figure is not None and m3.figure.rebase is not None
        assert [(x.unit, x.want, x.to) for x in m3.figure.rebase.lacks] == [("M2", "share", ("M3",))]
        assert m3.figure.note is not None and "chưa biết tỷ lệ phần của Hai (M2) chuyển sang Ba (M3)" in m3.figure.note


def test_a_year_across_the_change_takes_each_unit_for_the_part_it_existed(engine: Engine) -> None:
    f = engine.value(COUNT, "PAB", "2025", structure=JULY, compare=False).figure
    assert f is not None and f.rebase is not None
    assert f.value == 259.0  # 150 + 60 + 40 + 0.3 · 30
    assert dict(f.rebase.periods) == {"PA": "2025S1", "PAB": "2025S2", "PB": "2025S1", "PC": "2025S1"}


def test_without_a_structure_nothing_changes(engine: Engine) -> None:
    assert engine.value(RATE, "PAB", "2024").figure is None  # the new unit had no 2024 of its own
    plain = engine.value(RATE, "PA", "2024")
    assert plain.value == 30.0 and plain.figure is not None and plain.figure.rebase is None
    same = engine.value(RATE, "PA", "2024", structure=END_2024)
    assert same.figure == plain.figure and same.previous is not None
    # a former unit asked in a later structure answers as the unit that took it over whole
    assert engine.value(RATE, "PA", "2024", structure=JULY).unit.code == "PAB"
    with pytest.raises(StructureError) as exc:
        engine.value(RATE, "PC", "2024", structure=JULY)
    assert "PAB, PD" in exc.value.render("vi")
    with pytest.raises(StructureError) as later:
        engine.value(RATE, "PAB", "2024", structure=END_2024)
    assert (
        later.value.render("vi") == "An Bình (PAB) chưa có trong cơ cấu đơn vị ngày 31/12/2024 (có từ ngày 01/07/2025)"
    )
    # the bloc's total is the same data in any structure
    assert (
        engine.value(COUNT, "provinces", "2024", structure=JULY).value == engine.value(COUNT, "provinces", "2024").value
    )


def test_a_successor_figure_is_not_divided_back_into_an_older_structure(engine: Engine) -> None:
    f = engine.value(COUNT, "PA", "2025", structure=END_2024, compare=False).figure
    assert f is not None and f.value is None and f.rebase is not None
    assert [(x.unit, x.want, x.to) for x in f.rebase.lacks] == [("PA", "split", ("PAB",))]


def test_a_2024_ranking_in_the_2025_structure_and_in_the_2024_structure(engine: Engine) -> None:
    new = [(r.rank, r.unit.code, r.value) for r in engine.rank(RATE, "provinces", "2024", structure=JULY)]
    assert new == [(1, "PG", 90.0), (2, "PE", 50.0), (3, "PAB", 44.02), (4, "PD", 25.0)]
    old = [(r.rank, r.unit.code, r.value) for r in engine.rank(RATE, "provinces", "2024", structure=END_2024)]
    assert old == [(1, "PF", 90.0), (2, "PB", 75.0), (3, "PE", 50.0), (4, "PA", 30.0), (5, "PC", 25.0)]
    assert old == [(r.rank, r.unit.code, r.value) for r in engine.rank(RATE, "provinces", "2024")]
    rows = {r.unit.code: r.as_dict() for r in engine.rank(RATE, "provinces", "2024", structure=JULY)}
    assert rows["PAB"]["rebased_from"] == ["PA", "PB", "PC"] and "rebased_from" not in rows["PE"]
    refused = {r.unit.code: r for r in engine.rank(RATE, "provinces", "2023", structure=JULY)}
    assert refused["PAB"].rank is None and refused["PAB"].as_dict()["missing"] == ["PA"]


def test_a_series_across_the_change_is_rebased_to_the_newest_structure_and_says_so(
    engine: Engine, cat: Catalogue
) -> None:
    answers = engine.series(COUNT, "An Bình", ["2024", "2025"])
    assert [a.unit.code for a in answers] == ["PAB", "PAB"]
    assert [a.value for a in answers] == [215.0, 259.0]
    assert series_note(answers, cat) == (
        "Các kỳ 2024, 2025 của An Bình tính lại theo cơ cấu đơn vị ngày 31/12/2025 (gộp từ An, Bình, Cao, An Bình)"
    )
    unchanged = engine.series(COUNT, "PE", ["2024"])
    assert series_note(unchanged, cat) is None


# --- the command line -------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Path:
    """A workspace whose catalogue adds this file's units (prefixed X) to the shipped ones."""
    root = tmp_path / "ws"
    core.init_workspace(root, db_url).close()
    units = [
        {**u, "code": "X" + u["code"], "successors": [{**s, "unit": "X" + s["unit"]} for s in u.get("successors", [])]}
        for u in UNITS
    ]
    (root / "catalogue" / "units" / "test.yaml").write_text(yaml.safe_dump({"units": units}, allow_unicode=True))
    w = core.find_workspace(root)
    w.store.write_values([d.model_copy(update={"unit": "X" + d.unit}) for d in DATA], actor="t")
    w.close()
    return root


def chiso(ws: Path, *args: str, lang: str = "vi") -> tuple[int, str, str]:
    res = runner.invoke(app, ["--workspace", str(ws), "--lang", lang, "--as", "tester", *args])
    return res.exit_code, res.stdout, res.stderr


def test_the_command_says_the_structure_in_vietnamese_and_in_json(ws: Path) -> None:
    rc, out, err = chiso(ws, "value", RATE, "--unit", "An Bình", "--period", "2024", "--structure", "2025-07-01")
    assert rc == 0, err
    flat = " ".join(out.split())
    assert "44,02%" in flat
    assert "Số liệu năm 2024 tính theo cơ cấu đơn vị ngày 01/07/2025 (gộp từ An, Bình, Cao (30%))" in flat
    rc, out, err = chiso(ws, "value", RATE, "-u", "XPAB", "-p", "2024", "--structure", "01/07/2025", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert (d["value"], d["structure"], d["rebased_from"]) == (44.02, "2025-07-01", ["XPA", "XPB", "XPC"])
    assert d["numerator"] == 81.0 and d["denominator"] == 184.0 and d["estimated"] is False


def test_the_command_refuses_with_the_message_and_exit_code_1(ws: Path) -> None:
    rc, out, err = chiso(ws, "value", RATE, "-u", "XPAB", "-p", "2023", "--structure", "2025-07-01")
    assert rc == 1
    assert "An (XPA) chỉ có tỷ lệ, thiếu tử số và mẫu số" in " ".join(err.split())
    rc, out, err = chiso(
        ws, "value", RATE, "-u", "XPAB", "-p", "2023", "--structure", "2025-07-01", "--json", lang="en"
    )
    assert rc == 1
    d = json.loads(out)
    assert d["value"] is None and d["missing"] == [{"unit": "XPA", "missing": "parts"}]
    assert "An (XPA) has a rate without the numerator and denominator" in d["message"]
    rc, out, err = chiso(
        ws, "value", RATE, "-u", "XPAB", "-p", "2023", "--structure", "2025-07-01", "--estimate", COUNT
    )
    assert rc == 0, err
    assert "44,57% (ước tính)" in " ".join(out.split())
    rc, out, err = chiso(ws, "value", RATE, "-u", "XPAB", "-p", "2023", "--estimate", COUNT)
    assert rc == 2 and "--estimate chỉ dùng cùng --structure" in err


def test_the_rank_command_in_two_structures(ws: Path) -> None:
    rc, out, err = chiso(ws, "rank", RATE, "--period", "2024", "--structure", "2025-07-01", "--json")
    assert rc == 0, err
    d = json.loads(out)
    ranked = [(r["rank"], r["unit"], r["value"]) for r in d["ranking"] if r["rank"] is not None]
    assert ranked == [(1, "XPG", 90.0), (2, "XPE", 50.0), (3, "XPAB", 44.02), (4, "XPD", 25.0)]
    assert d["structure"] == "2025-07-01"
    rc, out, err = chiso(ws, "rank", RATE, "--period", "2024", "--structure", "2024-12-31", "--json")
    ranked = [(r["rank"], r["unit"]) for r in json.loads(out)["ranking"] if r["rank"] is not None]
    assert ranked == [(1, "XPF"), (2, "XPB"), (3, "XPE"), (4, "XPA"), (5, "XPC")]
    rc, out, err = chiso(ws, "rank", RATE, "--period", "2024", "--structure", "2025-07-01")
    assert rc == 0, err
    assert "An Bình *" in out and "Số liệu năm 2024 tính theo cơ cấu đơn vị ngày 01/07/2025" in " ".join(out.split())


# --- the shipped 2025 structure ---------------------------------------------------------------------


def test_the_new_ninh_binh_in_2024_from_the_shipped_units_and_dataset(loaded: core.Workspace) -> None:
    loaded.store.write_values(
        [
            v(RATE, "P35", "2024", num=300, den=1000),  # Hà Nam 30 %
            v(RATE, "P36", "2024", num=540, den=1200),  # Nam Định 45 %
            v(RATE, "P37", "2024", num=410, den=800),  # Ninh Bình 51,25 %
            v(COUNT, "BKHDT", "2024", 12),
            v(COUNT, "BTC", "2024", 30),
            v(COUNT, "BTTTT", "2024", 20),
            v(COUNT, "BVHTTDL", "2024", 5),
        ],
        actor="t",
    )
    eng = loaded.engine
    ans = eng.value(RATE, "Ninh Bình", "2024", structure=JULY)
    # (300 + 540 + 410) / (1000 + 1200 + 800) = 1250 / 3000 = 41,666…%
    assert ans.unit.code == "P37-2025" and ans.value == 41.67
    assert ans.figure is not None and ans.figure.note == (
        "Số liệu năm 2024 tính theo cơ cấu đơn vị ngày 01/07/2025 (gộp từ Hà Nam, Nam Định, Ninh Bình)"
    )
    assert eng.value(RATE, "Ninh Bình", "2024").unit.code == "P37"  # by default, the 2024 province
    assert eng.value(RATE, "Ninh Bình", "2024").value == 51.25
    # the bloc's published 2024 figure is the same in either structure
    assert eng.value(RATE, "ministries", "2024", structure=JULY).value == eng.value(RATE, "ministries", "2024").value
    ranked = [(r.rank, r.unit.code, r.value) for r in eng.rank(RATE, "provinces", "2024", structure=JULY)]
    assert len(ranked) == 34 and ranked[0] == (1, "P37-2025", 41.67) and ranked[1][0] is None
    old = [(r.rank, r.unit.code) for r in eng.rank(RATE, "provinces", "2024") if r.rank is not None]
    assert len(eng.rank(RATE, "provinces", "2024")) == 63 and old == [(1, "P37"), (2, "P36"), (3, "P35")]
    # ministries on 1 March 2025: Finance took Planning and Investment whole; press went from Information and
    # Communications to Culture, Sports and Tourism with no published share, so that one is refused
    assert eng.value(COUNT, "Bộ Tài chính", "2024", structure=MARCH).value == 42.0
    culture = eng.value(COUNT, "BVHTTDL", "2024", structure=MARCH).figure
    assert culture is not None and culture.value is None and culture.missing == ("BTTTT",)
    rc, out, err = chiso(
        loaded.root, "value", RATE, "--unit", "Ninh Bình", "--period", "2024", "--structure", "2025-07-01"
    )
    assert rc == 0, err
    assert "Số liệu năm 2024 tính theo cơ cấu đơn vị ngày 01/07/2025 (gộp từ Hà Nam, Nam Định, Ninh Bình)" in " ".join(
        out.split()
    )
