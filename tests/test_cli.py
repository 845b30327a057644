"""The CLI end to end: init, load vn-2024, value/rank/targets/import/export/history, errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chiso.cli.main import app
from conftest import own_database

runner = CliRunner()


def chiso(ws: Path, *args: str, lang: str = "vi") -> tuple[int, str, str]:
    res = runner.invoke(app, ["--workspace", str(ws), "--lang", lang, "--as", "tester", *args])
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Path:
    root = tmp_path / "ws"
    res = runner.invoke(app, ["--db", db_url, "init", str(root)])
    assert res.exit_code == 0, res.output
    code, out, err = chiso(root, "load", "vn-2024")
    assert code == 0, err
    return root


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Path]:
    """One workspace with vn-2024 per store for the tests that only read it (``ws`` loads it for each test)."""
    root = tmp_path_factory.mktemp("cli") / "ws"
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{root.parent / 'store.sqlite'}"
        else:  # a database of its own: the worker's is emptied between tests
            url = stack.enter_context(own_database(f"chiso_test_cli_{worker_id}"))
        res = runner.invoke(app, ["--db", url, "init", str(root)])
        assert res.exit_code == 0, res.output
        code, out, err = chiso(root, "load", "vn-2024")
        assert code == 0, err
        yield root


def value(ws: Path, code: str, unit: str, period: str) -> dict[str, object]:
    rc, out, err = chiso(ws, "value", code, "--unit", unit, "--period", period, "--json")
    assert rc == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_the_contract_query_gives_the_published_figure(loaded: Path) -> None:
    d = value(loaded, "dossier_full_online_rate", "ministries", "2024")
    assert d["code"] == "dossier_full_online_rate" and d["unit"] == "ministries" and d["period"] == "2024"
    assert d["value"] == 63.47 and d["target"] == 70 and d["source"] == "reported"
    assert d["attainment"] == 0.9067
    assert d["provenance"]["document"] == "seed-003"
    assert 62.48 in [a["value"] for a in d["alternatives"]]  # the other report stays visible


@pytest.mark.parametrize(
    ("unit", "expected", "target"),
    [("VN", 45.8, 50), ("provinces", 18.54, 30), ("Khối tỉnh", 18.54, 30), ("bộ, ngành", 63.47, 70)],
)
def test_bloc_and_nation_figures_with_targets(loaded: Path, unit: str, expected: float, target: float) -> None:
    d = value(loaded, "dossier_full_online_rate", unit, "2024")
    assert (d["value"], d["target"]) == (expected, target)


def test_a_stock_for_the_year_is_its_latest_report(loaded: Path) -> None:
    d = value(loaded, "ndxp_transactions_per_day", "VN", "2024-04")
    assert d["value"] == 2_800_000 and d["approximate"] is True


def test_named_units_resolve_by_name(loaded: Path) -> None:
    d = value(loaded, "procedures_full_online_rate", "da nang", "2024-09")
    assert d["unit"] == "P48" and d["value"] == 95.6


def test_rank_of_named_provinces(loaded: Path) -> None:
    rc, out, err = chiso(
        loaded, "rank", "procedures_full_online_rate", "--group", "provinces", "--period", "2024-09", "--json"
    )
    assert rc == 0, err
    ranking = json.loads(out)["ranking"]
    top = [(r["unit"], r["rank"], r["value"]) for r in ranking if r["rank"] is not None]
    assert top == [("P48", 1, 95.6), ("P72", 2, 92.0), ("P96", 2, 92.0)]


def test_targets_listing(loaded: Path) -> None:
    rc, out, err = chiso(loaded, "targets", "--indicator", "dossier_full_online_rate", "--json")
    assert rc == 0, err
    got = {(t["unit"], t["period"]): t["value"] for t in json.loads(out)}
    assert got[("VN", "2024")] == 50 and got[("ministries", "2025")] == 85 and got[("provinces", "2025")] == 70


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["value", "dossier_full_online_rat", "--unit", "VN", "--period", "2024"], "dossier_full_online_rate"),
        (["value", "dossier_full_online_rate", "--unit", "Da Nangg", "--period", "2024"], "P48 (Đà Nẵng)"),
        (["value", "dossier_full_online_rate", "--unit", "VN", "--period", "2024Q5"], "2024Q3"),
    ],
)
def test_unknown_names_exit_non_zero_with_one_clear_line(loaded: Path, args: list[str], needle: str) -> None:
    rc, out, err = chiso(loaded, *args)
    assert rc != 0 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi:") and needle in lines[0]
    rc, _, err_en = chiso(loaded, *args, lang="en")
    assert err_en.startswith("Error: unknown")


BAD_FILES = {
    "wrong_columns.csv": ("code,unit,when,value\ndossier_full_online_rate,P48,2024,50\n", "when"),
    "not_a_number.csv": (
        "code,unit,period,value\ndossier_full_online_rate,P48,2024,năm mươi\n",
        "row 3, field 'value': must be a number",
    ),
    "rate_over_100.csv": ("code,unit,period,value\ndossier_full_online_rate,P48,2024,120\n", "above the highest"),
    "num_above_den.csv": (
        "code,unit,period,numerator,denominator\ndossier_full_online_rate,P48,2024,12,10\n",
        "numerator 12 is above denominator 10",
    ),
    "unknown_unit.csv": ("code,unit,period,value\ndossier_full_online_rate,Gotham,2024,50\n", "unknown unit 'Gotham'"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_malformed_imports_change_nothing(ws: Path, tmp_path: Path, name: str) -> None:
    text, needle = BAD_FILES[name]
    good_then_bad = text.replace("\n", "\ndossier_full_online_rate,P01,2024,40\n", 1) if "period" in text else text
    f = tmp_path / name
    f.write_text(good_then_bad if "numerator" not in text else text, encoding="utf-8")
    before = value(ws, "dossier_full_online_rate", "P01", "2024")
    rc, out, err = chiso(ws, "import", str(f), lang="en")
    assert rc != 0
    assert needle in err and name in err
    assert value(ws, "dossier_full_online_rate", "P01", "2024") == before  # all or nothing


def test_import_then_export_and_audit(ws: Path, tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    f.write_text(
        "mã,đơn vị,kỳ,tử số,mẫu số,mục tiêu\n"
        "dossier_full_online_rate,Đà Nẵng,2024,612,1000,65\n"
        "dossier_full_online_rate,Cà Mau,2024,455,1000,\n",
        encoding="utf-8",
    )
    rc, out, err = chiso(ws, "import", str(f))
    assert rc == 0, err
    d = value(ws, "dossier_full_online_rate", "P48", "2024")
    assert (d["value"], d["numerator"], d["denominator"], d["target"]) == (61.2, 612, 1000, 65)
    f.write_text("code,unit,period,value\ndossier_full_online_rate,P48,2024,62\n", encoding="utf-8")
    rc, out, err = chiso(ws, "import", str(f))
    assert rc == 0, err
    rc, out, _ = chiso(ws, "history", "dossier_full_online_rate", "--unit", "P48", "--period", "2024", "--json")
    hist = [h for h in json.loads(out) if h["entity"] == "data_value"]
    assert [h["action"] for h in hist] == ["insert", "update"]
    assert hist[1]["before"]["value"] == 61.2 and hist[1]["after"]["value"] == 62 and hist[1]["actor"] == "tester"
    out_file = tmp_path / "out.csv"
    rc, _, err = chiso(ws, "export", "--format", "csv", "--unit", "P48", "-o", str(out_file))
    assert rc == 0, err
    assert "dossier_full_online_rate,P48,2024,62" in out_file.read_text(encoding="utf-8")


def test_keep_good_writes_rejects_with_reasons(ws: Path, tmp_path: Path) -> None:
    f = tmp_path / "mixed.csv"
    f.write_text(
        "code,unit,period,value\n"
        "dossier_full_online_rate,P01,2024,40\n"
        "dossier_full_online_rate,P02,2024,abc\n"
        "nope,P03,2024,5\n",
        encoding="utf-8",
    )
    rc, out, err = chiso(ws, "import", str(f), "--keep-good", lang="en")
    assert rc == 1  # something was rejected
    assert value(ws, "dossier_full_online_rate", "P01", "2024")["value"] == 40
    rejected = (tmp_path / "mixed.csv.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert rejected[0].endswith(",reason") and len(rejected) == 3
    assert rejected[1].startswith("3,") and "must be a number" in rejected[1]
    assert rejected[2].startswith("4,") and "unknown indicator code 'nope'" in rejected[2]


def test_the_installed_command_finds_its_workspace_by_chiso_home(tmp_path: Path) -> None:
    env = {**os.environ, "CHISO_HOME": str(tmp_path / "home")}
    exe = Path(sys.executable).with_name("chiso")
    subprocess.run([str(exe), "init"], env=env, check=True, capture_output=True)
    subprocess.run([str(exe), "load", "vn-2024"], env=env, check=True, capture_output=True)
    res = subprocess.run(
        [str(exe), "value", "dossier_full_online_rate", "--unit", "ministries", "--period", "2024", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(res.stdout)["value"] == 63.47
    again = subprocess.run([str(exe), "load", "vn-2024"], env=env, check=True, capture_output=True, text=True)
    assert "thêm 0 giá trị, cập nhật 0" in again.stdout  # loading twice changes nothing


def test_sdmx_csv_export_reads_back_with_sdmx1(loaded: Path, tmp_path: Path) -> None:
    import sdmx

    data, dsd_file = tmp_path / "cds.csv", tmp_path / "cds-structure.xml"
    rc, _, err = chiso(loaded, "export", "--format", "sdmx-csv", "-o", str(data), "--structure", str(dsd_file))
    assert rc == 0, err
    structure = sdmx.read_sdmx(dsd_file)
    dfd = next(iter(structure.dataflow.values()))
    msg = sdmx.read_sdmx(data, format="csv", structure=dfd)
    obs = {
        (o.key["INDICATOR"].value, o.key["REF_AREA"].value, o.key["TIME_PERIOD"].value): o
        for ds in msg.data
        for o in ds.obs
    }
    o = obs[("dossier_full_online_rate", "ministries", "2024")]
    assert float(o.value) == 63.47  # one observation per key: the figure that answers
    approx = obs[("ndxp_transactions_per_day", "VN", "2024-04")]
    assert float(approx.value) == 2_800_000 and approx.attrib["OBS_STATUS"].value == "E"
    rc, out, _ = chiso(loaded, "export", "--format", "csv")
    assert len(obs) == len({tuple(line.split(",")[:3]) for line in out.splitlines()[1:]})


def test_every_command_is_documented() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    import typer.main

    names = [c.name for c in typer.main.get_command(app).commands.values()]  # type: ignore[attr-defined]
    assert len(names) >= 12
    missing = [n for n in names if f"chiso {n}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"


RATE_CODE = "dossier_full_online_rate"


def test_no_period_means_the_latest_with_data(loaded: Path) -> None:
    rc, out, err = chiso(loaded, "rank", "procedures_full_online_rate", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["period"] == "2024-09" and d["ranking"][0]["unit"] == "P48"  # reported monthly: its latest month
    rc, out, err = chiso(loaded, "value", "procedures_full_online_rate", "--unit", "da nang", "--json")
    assert rc == 0, err
    assert (json.loads(out)["period"], json.loads(out)["value"]) == ("2024-09", 95.6)
    assert value(loaded, "dossier_full_online_rate", "VN", "")["period"] == "2024"


def test_latest_sub_period_and_structure_words_as_the_web_has_them(loaded: Path) -> None:
    assert value(loaded, "fiber_household_rate", "VN", "2024")["value"] is None  # only 2024-04 is published
    rc, out, err = chiso(loaded, "value", "fiber_household_rate", "--period", "2024", "--latest", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert (d["period"], d["as_of"], d["value"]) == ("2024", "2024-04", 80.2)
    rc, out, err = chiso(loaded, "value", "fiber_household_rate", "--period", "2024", "--latest")
    assert rc == 0 and "2024 (số liệu 2024-04)" in out and "80,2%" in out
    rc, out, err = chiso(loaded, "rank", "procedures_full_online_rate", "--period", "2024", "--latest", "--json")
    assert rc == 0, err
    assert json.loads(out)["as_of"] == "2024-09"
    rc, out, err = chiso(loaded, "value", "dossier_full_online_rate", "--unit", "Ninh Bình", "--period", "2024",
                         "--structure", "2025", "--json")
    assert rc == 0, err
    assert (json.loads(out)["unit"], json.loads(out)["structure"]) == ("P37-2025", "2025-07-01")
    rc, out, err = chiso(loaded, "rank", RATE_CODE, "--structure", "sau sáp nhập")
    assert rc == 2 and "không hiểu cơ cấu đơn vị 'sau sáp nhập'" in err


def narrow(ws: Path, *args: str) -> list[str]:
    res = runner.invoke(app, ["--workspace", str(ws), "--lang", "vi", *args], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, "\n".join(lines)
    return lines


def test_tables_fit_an_80_column_terminal(loaded: Path) -> None:
    from rich.console import Console

    from chiso import app as core
    from chiso.catalogue.periods import Period
    from chiso.cli.demo import key_figures, key_rows

    lines = narrow(loaded, "value", RATE_CODE, "--unit", "ministries", "--period", "2024")
    assert any("Tỷ lệ hồ sơ trực tuyến toàn trình" in line for line in lines)
    assert any("63,47%" in line for line in lines) and any("62,48%" in line for line in lines)
    lines = narrow(loaded, "rank", "procedures_full_online_rate", "--group", "provinces", "--period", "2024-09")
    assert any("Đà Nẵng" in line and "95,6%" in line and "báo cáo" in line for line in lines)  # one row, one line
    lines = narrow(loaded, "rank", RATE_CODE, "--group", "provinces", "--period", "2024", "--structure", "2025")
    assert any("Cơ cấu đơn vị 01/07/2025" in line for line in lines)
    # the demo's key figures: one block per indicator, a line per unit with its value, target and attainment
    console = Console(width=80, record=True, file=io.StringIO())
    wsp = core.find_workspace(loaded)
    console.print(key_figures(key_rows(wsp, Period.parse("2024")), 2024, "vi"))
    shown = console.export_text().splitlines()
    wsp.close()
    assert max(len(line) for line in shown) <= 80
    assert any(line.split() == ["Khối", "bộ", "63,47%", "mục", "tiêu", "70%", "·", "đạt", "90,7%", "báo", "cáo"]
               for line in shown), "\n".join(shown)
    assert any("thứ 71" in line for line in shown)
