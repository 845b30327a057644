"""Projections of target attainment (``chiso.engine.foresight``): each rule by hand-computed series in a real
store, the event-derived rates of the shared simulated 2024, and ``chiso forecast`` on the command line."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from typer.testing import CliRunner

from chiso import app as core
from chiso.catalogue.models import Target, UnitType
from chiso.catalogue.periods import Period
from chiso.catalogue.records import Origin, ValueInput
from chiso.cli.main import app
from chiso.engine.foresight import MIN_ORIGINS, MODEL_MONTHS, TREND_MONTHS, Foresight, _trend_draws
from chiso.report.foresight_text import method_sentence, needed_sentence, projection_sentence, sentences

RATE = "dossier_full_online_rate"
FLOW = "ndxp_transactions"  # a count: the year is its months' sum
runner = CliRunner()


def flow(unit: str, period: str, value: float) -> ValueInput:
    return ValueInput(indicator=FLOW, unit=unit, period=period, value=value, source="test", origin=Origin.REPORTED)



def months(year: int, values: list[float | None], unit: str = "P48") -> list[ValueInput]:
    return [flow(unit, f"{year}-{m:02d}", v) for m, v in enumerate(values, start=1) if v is not None]


def write(ws: core.Workspace, rows: list[ValueInput], target: float | None = None, unit: str = "P48") -> None:
    ws.store.write_values(rows, actor="test", status="approved")
    if target is not None:
        ws.store.write_targets([Target(indicator=FLOW, unit=unit, period="2024", value=target)], actor="test")


def test_a_short_series_continues_at_its_pace_and_says_so(ws: core.Workspace) -> None:
    write(ws, months(2024, [100, 100, 100]), target=1500)
    p = Foresight(ws.engine).project(FLOW, "P48", 2024, as_of=date(2024, 3, 31))
    assert (p.method, p.reason, p.history, p.months_left) == ("pace", "pace", 3, 9)
    assert p.actual == 300 and p.value == p.low == p.high == 1200  # 300 so far + 9 × 100, no spread
    assert p.probability == 0.0 and p.behind and p.shortfall == 300
    assert p.needed == pytest.approx(1200 / 9) and p.current == 100
    assert p.per_month == pytest.approx(2 * (1200 / 9 - 100) / 10)  # a straight ramp whose mean is the need
    assert [x.projected for x in p.path] == [False] * 3 + [True] * 9
    assert [x.value for x in p.path][:3] == [100, 200, 300] and p.path[-1].value == 1200
    assert f"{MODEL_MONTHS}" in p.note and "pace" in p.note


def test_the_pace_has_the_spread_of_the_months(ws: core.Workspace) -> None:
    write(ws, months(2024, [80, 120, 100, 100]))
    p = Foresight(ws.engine).project(FLOW, "P48", 2024, as_of=date(2024, 4, 30))
    assert p.method == "pace" and p.target is None and p.probability is None and not p.behind
    assert p.low is not None and p.high is not None and p.value is not None
    # the line through the four months stands at 106 in April (100 + 4 × 1.5); its slope, 4 ± 8.5, is noise
    # (t = 0.47): the eight months left go on at 106, within the wide spread of two degrees of freedom
    assert p.low < p.value < p.high and p.value == pytest.approx(400 + 8 * 106, rel=0.02)
    assert p.high - p.low > 200


def test_two_months_are_said_to_leave_the_interval_wide(ws: core.Workspace) -> None:
    write(ws, months(2024, [90, 110]))
    p = Foresight(ws.engine).project(FLOW, "P48", 2024, as_of=date(2024, 2, 29))
    assert (p.method, p.reason) == ("pace", "pace_two") and "one degree of freedom" in p.note
    assert p.value == pytest.approx(1200, rel=0.02)  # their mean month, 100, goes on
    assert "một bậc tự do" in method_sentence(p) and "one degree of freedom" in method_sentence(p, "en")


def test_the_pace_is_shaped_by_a_complete_last_year(ws: core.Workspace) -> None:
    # 2023 complete, its December twice its line; 2024 misses January, so four months without a gap: the pace
    last = [100.0 + 2 * i for i in range(11)] + [2 * 122.0]
    write(ws, months(2023, last) + months(2024, [None, 126, 128, 130, 132]))
    p = Foresight(ws.engine).project(FLOW, "P48", 2024, as_of=date(2024, 5, 31))
    assert (p.method, p.reason) == ("pace", "pace_seasonal") and "last year's months" in p.note
    step = np.diff([x.value for x in p.path if x.value is not None])
    assert step[-1] > 1.5 * step[-2]  # December's month as last year's was to its line


def test_the_pace_rule_carries_the_years_rise_and_covers_about_80_percent(ws: core.Workspace) -> None:
    # 10 units of a workspace that began in 2024, a monthly count rising (or not) with noise as in the small world
    # below; forecasts at the end of April and of June (the pace rule) scored against the year's actual sum
    rng = np.random.default_rng(16)
    units = [u.code for u in ws.catalogue.members("provinces", Period.year(2024))][:10]
    rows, actual, ys = [], {}, {}
    for unit in units:
        level, slope, noise = rng.uniform(800, 1500), rng.uniform(-5, 25), rng.uniform(0.03, 0.08)
        ys[unit] = level + slope * np.arange(12) + rng.normal(0.0, noise * level, size=12)
        rows += months(2024, list(ys[unit]), unit)
        actual[unit] = float(ys[unit].sum())
    write(ws, rows)
    fs = Foresight(ws.engine, simulations=300)
    inside = []
    for unit in units:
        for month in (4, 6):
            p = fs.project(FLOW, unit, 2024, as_of=Period.month(2024, month).end)
            assert (p.method, p.reason) == ("pace", "pace") and p.low is not None and p.high is not None
            inside.append(p.low <= actual[unit] <= p.high)
    assert 65.0 <= 100.0 * sum(inside) / len(inside) <= 95.0


def test_a_clear_rise_is_carried_on(ws: core.Workspace) -> None:
    # a rise of 10 a month that the months tell from their noise (9.8 ± 0.2 a month): the line goes on, where the
    # mean month (the rule before) would have ended the year at 12 × 115 = 1380
    write(ws, months(2024, [100, 111, 119, 130, 140, 149]))
    p = Foresight(ws.engine).project(FLOW, "P48", 2024, as_of=date(2024, 6, 30))
    assert (p.method, p.reason) == ("pace", "pace")
    so_far = 100 + 111 + 119 + 130 + 140 + 149
    line = so_far + sum(149.33 + 9.8 * h for h in range(1, 7))  # the least-squares line: its level in June, its slope
    assert p.value == pytest.approx(line, rel=0.01) and p.value > 1600
    assert p.low is not None and p.high is not None and p.low < p.value < p.high


def test_a_long_series_is_modelled(ws: core.Workspace) -> None:
    # two clean years of a steady rise: the model carries the trend on
    rows = months(2023, [1000 + 10 * i for i in range(12)]) + months(2024, [1120 + 10 * i for i in range(9)])
    write(ws, rows, target=10_000)
    p = Foresight(ws.engine).project(FLOW, "P48", 2024, as_of=date(2024, 9, 30))
    assert (p.method, p.reason, p.history) == ("ets", "trend", 21)
    so_far = sum(1120 + 10 * i for i in range(9))
    straight = so_far + sum(1120 + 10 * i for i in range(9, 12))
    assert p.actual == so_far and p.value == pytest.approx(straight, rel=0.01)
    assert p.probability == 1.0 and not p.behind
    assert needed_sentence(p) == "Chỉ cần giữ nhịp độ hiện nay là đạt chỉ tiêu."


def test_an_interval_narrower_than_the_models_past_misses_is_widened(ws: core.Workspace) -> None:
    # a trend that turns every five months: each month is near the last (the model's own spread is small), but
    # three months ahead it has missed by much more, again and again
    rows, v, slope = [], 1000.0, 40.0
    for i in range(33):  # 2022-01 … 2024-09
        slope = -slope if i % 5 == 0 else slope
        v += slope
        rows.append(flow("P48", f"{2022 + i // 12}-{i % 12 + 1:02d}", v))
    write(ws, rows)
    # the model's own spread alone (the trend's uncertainty covers these misses already: nothing left to widen)
    p = Foresight(ws.engine, trend_uncertainty=False).project(FLOW, "P48", 2024, as_of=date(2024, 9, 30))
    assert (p.method, p.history, p.months_left) == ("ets_seasonal", 33, 3)
    assert p.widened >= MIN_ORIGINS and "widened" in p.note
    assert p.low is not None and p.high is not None and p.value is not None and p.low < p.value < p.high
    assert "nới rộng theo sai số của chính mô hình khi dự báo 3 tháng" in method_sentence(p)


def test_a_complete_year_is_its_own_value_and_an_empty_one_is_no_projection(ws: core.Workspace) -> None:
    write(ws, months(2024, [100.0] * 12), target=1000)
    fs = Foresight(ws.engine)
    p = fs.project(FLOW, "P48", 2024, as_of=date(2025, 3, 1))
    assert (p.method, p.value, p.probability, p.months_left) == ("final", 1200, 1.0, 0)
    assert p.value == ws.engine.value(FLOW, "P48", "2024", compare=False).value
    early = fs.project(FLOW, "P48", 2024, as_of=date(2024, 1, 20))
    assert (early.method, early.reason, early.value) == ("none", "not_started", None)
    nothing = fs.project(FLOW, "P79", 2024, as_of=date(2024, 6, 30))
    assert (nothing.method, nothing.reason, nothing.months_left) == ("none", "no_monthly", 6)
    assert projection_sentence(nothing) == ("Chưa dự báo được Hồ Chí Minh cho năm 2024: chưa có số liệu theo tháng "
                                            "trong năm (chỉ tiêu chỉ có số liệu năm hoặc chưa báo cáo).")


def test_a_series_too_short_for_a_pace(ws: core.Workspace) -> None:
    write(ws, months(2024, [100]))
    p = Foresight(ws.engine).project(FLOW, "P48", 2024, as_of=date(2024, 2, 29))
    assert (p.method, p.reason, p.value) == ("none", "too_short", None)  # one month is no pace
    assert p.actual == 100


# --- the intervals' coverage ---------------------------------------------------------------------------------
def test_the_trend_draws_carry_the_lines_uncertainty_on() -> None:
    rng = np.random.default_rng(1)
    line = 100.0 + 2.0 * np.arange(20)
    assert np.abs(_trend_draws(line, 6, 500, rng)).max() < 1e-9  # a line without noise: level and slope known
    noisy = line + rng.normal(0.0, 5.0, size=20)
    d = _trend_draws(noisy, 6, 4000, rng)
    assert d.shape == (6, 4000) and abs(float(d.mean())) < 0.5
    sd = d.std(axis=1)
    assert np.all(np.diff(sd) > 0)  # the slope's error grows with the months ahead
    # the level now is known to about σ·√(4/n) from the last TREND_MONTHS months (n = 12: ≈ 2.9 for σ = 5)
    assert 1.5 < sd[0] < 5.0
    assert not _trend_draws(noisy[:3], 6, 10, rng).any()  # too few months for a spread of the line


def coverage(ws: core.Workspace, units: list[str], actual: dict[str, float], fs: Foresight) -> float:
    inside = []
    for unit in units:
        for month in (4, 8):
            p = fs.project(FLOW, unit, 2024, as_of=Period.month(2024, month).end)
            assert p.low is not None and p.high is not None
            inside.append(p.low <= actual[unit] <= p.high)
    return 100.0 * sum(inside) / len(inside)


def test_the_80_percent_intervals_cover_about_80_percent_of_a_small_world(ws: core.Workspace) -> None:
    # 15 units of a steadily rising monthly count with noise, 2023–2024; forecasts at the end of April and of
    # August 2024 scored against the year's actual sum (30 forecasts: 80 % ± 15 is ± 2 standard errors)
    rng = np.random.default_rng(15)
    units = [u.code for u in ws.catalogue.members("provinces", Period.year(2024))][:15]
    rows, actual = [], {}
    for unit in units:
        level, slope, noise = rng.uniform(800, 1500), rng.uniform(-5, 25), rng.uniform(0.03, 0.08)
        ys = level + slope * np.arange(24) + rng.normal(0.0, noise * level, size=24)
        rows += months(2023, list(ys[:12]), unit) + months(2024, list(ys[12:]), unit)
        actual[unit] = float(ys[12:].sum())
    write(ws, rows)
    fs = Foresight(ws.engine, simulations=300)
    got = coverage(ws, units, actual, fs)
    assert 65.0 <= got <= 95.0, got
    # the model's own spread alone covers too little: what this test holds is the trend's uncertainty
    assert coverage(ws, units, actual, Foresight(ws.engine, simulations=300, trend_uncertainty=False)) < 65.0
    p = fs.project(FLOW, units[0], 2024, as_of=date(2024, 9, 30))
    assert f"level and slope of the last {TREND_MONTHS} months" in p.note


# --- the simulated 2024: rates from events ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(simulated_world: core.Workspace) -> core.Workspace:
    return simulated_world


def test_a_rate_is_projected_from_its_parts(world: core.Workspace) -> None:
    eng = world.engine
    p = Foresight(eng).project(RATE, "provinces", 2024, as_of=date(2024, 9, 30))
    so_far = eng.value(RATE, "provinces", "2024-01..2024-09", compare=False).figure
    assert so_far is not None and so_far.value is not None
    assert p.actual == pytest.approx(100 * so_far.numerator / so_far.denominator)  # type: ignore[operator]
    assert (p.method, p.history, p.months_left) == ("ets", 9, 3)
    assert p.low is not None and p.high is not None and p.value is not None and p.low <= p.value <= p.high
    assert p.low >= 0 and p.high <= 100
    assert [x.period for x in p.path] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert p.path[-1].value == p.value and p.path[8].value == pytest.approx(p.actual)
    assert p.target is not None and p.target.value == 30  # vn-2024's target for khối tỉnh
    assert p.probability is not None and p.probability < 0.5 and p.behind
    assert p.needed is not None and p.current is not None and p.needed > p.current > 0
    again = Foresight(eng).project(RATE, "provinces", 2024, as_of=date(2024, 9, 30))
    assert again.as_dict() == p.as_dict()  # the same question, the same answer
    said = sentences(p)
    assert said[0].startswith("Theo nhịp độ hiện nay, Khối tỉnh đạt ") and "thấp hơn chỉ tiêu 30%" in said[0]
    assert said[1].startswith("Xác suất đạt chỉ tiêu: ") and said[2].startswith("Để đạt chỉ tiêu, các tháng còn lại")
    assert "At the current pace" in projection_sentence(p, "en")


def test_likely_misses_most_at_risk_first(world: core.Workspace) -> None:
    rows, checked = Foresight(world.engine).behind(2024, as_of=date(2024, 9, 30))
    assert checked >= len(rows) > 0
    assert all(r.behind for r in rows)
    keys = [(r.probability, -(r.shortfall or 0) / r.target.value) for r in rows if r.target]
    assert keys == sorted(keys)
    assert {(r.indicator.code, r.unit.code) for r in rows} >= {(RATE, "provinces")}


def test_a_unit_of_the_2025_structure_is_projected_from_its_rebased_months(world: core.Workspace) -> None:
    on = date(2025, 7, 1)
    merged = next(u for u in world.catalogue.members("provinces", Period.day(on))
                  if u.type is UnitType.PROVINCE and u.valid_from == on)
    p = Foresight(world.engine).project(RATE, merged.code, 2024, as_of=date(2024, 9, 30), structure=on)
    so_far = world.engine.value(RATE, merged.code, "2024-01..2024-09", compare=False, structure=on)
    assert p.method == "ets" and p.actual == pytest.approx(so_far.value, abs=0.005)


# --- the command line ---------------------------------------------------------------------------------------------
def cli(ws: core.Workspace, *args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["--workspace", str(ws.root), "forecast", *args])
    return res.exit_code, res.output


def test_chiso_forecast(world: core.Workspace) -> None:
    code, text = cli(world, RATE, "--unit", "provinces", "--year", "2024", "--as-of", "2024-09-30")
    assert code == 0, text
    assert "Dự báo cuối năm" in text and "Theo nhịp độ hiện nay, Khối tỉnh đạt" in text
    code, text = cli(world, RATE, "-u", "provinces", "-y", "2024", "--as-of", "2024-09-30", "--json")
    d = json.loads(text)
    assert d["method"] == "ets" and d["target"] == 30 and d["behind"] and len(d["path"]) == 12
    code, text = cli(world, "--behind", "-y", "2024", "--as-of", "2024-09-30", "--json")
    assert code == 0 and any(r["unit"] == "provinces" for r in json.loads(text)["behind"])
    code, text = cli(world, "--behind", "-y", "2024", "--as-of", "2024-09-30")
    assert code == 0 and "Có nguy cơ không đạt chỉ tiêu năm 2024" in text


@pytest.mark.parametrize(("args", "said"), [
    (["--as-of", "30/09/2024"], "--as-of: '30/09/2024' không phải ngày dạng YYYY-MM-DD"),
    (["--year", "3024"], "--year: 3024 nằm ngoài 2000–2100"),
    ([], "Cần mã chỉ tiêu"),
])
def test_chiso_forecast_refuses_bad_input(world: core.Workspace, args: list[str], said: str) -> None:
    code, text = cli(world, *args)
    assert code == 2 and said in text
