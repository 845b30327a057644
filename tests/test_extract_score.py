"""The corpus scorer's command line: its summary line and the interval it gives each figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from chiso.ingest.extract_score import interval, main

CORPUS = """\
- id: t-001
  style: bloc
  text: |
    Năm 2024, tỷ lệ hồ sơ trực tuyến toàn trình của khối tỉnh đạt 18,54%.
  expect:
    - {code: dossier_full_online_rate, unit: provinces, period: "2024", value: 18.54}
- id: t-002
  style: trap
  text: |
    Nghị định số 42/2022/NĐ-CP quy định về cung cấp thông tin.
  expect: []
"""


def test_the_summary_gives_each_figure_with_its_interval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(CORPUS, encoding="utf-8")
    assert main([str(path)]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    low, high = interval(1, 1)
    assert f"precision 1/1 = 1.000 (95 %: {low:.3f}–{high:.3f})" in line
    assert f"recall 1/1 = 1.000 (95 %: {low:.3f}–{high:.3f})" in line
    assert line.startswith(f"{path}: 2 passages, 1 expected figures;")


def test_the_interval_narrows_with_more_figures_and_holds_the_share() -> None:
    small, large = interval(29, 30), interval(290, 300)
    for (low, high), share in ((small, 29 / 30), (large, 290 / 300)):
        assert 0.0 <= low < share < high <= 1.0
    assert large[1] - large[0] < small[1] - small[0]
    # a set must be large and nearly clean to show 0,99: 300 figures with 3 wrong still reach below it
    assert interval(297, 300)[0] < 0.99 < interval(297, 300)[1]
    assert interval(0, 0) == (0.0, 1.0)


def test_bad_corpora_are_named_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main([str(missing)]) == 2
    assert f"no such corpus file: {missing}" in capsys.readouterr().err
    no_unit = tmp_path / "no-unit.yaml"
    no_unit.write_text("- id: t-9\n  text: x\n  expect: [{code: dossier_full_online_rate, period: '2024'}]\n",
                       encoding="utf-8")
    assert main([str(no_unit)]) == 2
    assert f"{no_unit}: passage t-9: missing field 'unit'" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: [\n", encoding="utf-8")
    assert main([str(broken)]) == 2
    assert capsys.readouterr().err.startswith(f"{broken}: ")
    assert main(["--help"]) == 0
    assert "usage:" in capsys.readouterr().err
