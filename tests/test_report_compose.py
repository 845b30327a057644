"""The composer of written reports: every figure it states is the engine's answer, in Vietnamese style.

Reports are composed on the 2024 dataset (SQLite and PostgreSQL) and on a SQLite workspace with the 2024
dataset plus a small simulated year of events (monthly series, rankings of ministries and provinces). Each
stated figure is asked again of the engine, independently of the composer, and its text is formatted again
with ``chiso.i18n``. Report templates are data: a broken one is refused naming file and entry, and a
workspace's template overrides the built-in one.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from chiso import app as core
from chiso.catalogue.models import PILLAR_NAMES, Direction, Pillar, Target
from chiso.catalogue.periods import Period
from chiso.catalogue.records import ValueInput
from chiso.engine import Answer, Engine, change, change_pct
from chiso.engine.foresight import Foresight, Projection
from chiso.errors import DefinitionError
from chiso.i18n import fmt_number, fmt_value
from chiso.report.compose import compose
from chiso.report.document import Paragraph, Report, Stated, Table
from chiso.report.phrasing import period_name
from chiso.report.specs import ReportSpec, load_specs, spec_for

PERIODS = {"2024": "annual", "2024Q3": "quarterly", "2024-04": "monthly"}
STAMP = datetime(2025, 1, 15, 9, 0)
VI_LETTERS = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE)


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim(simulated_world: core.Workspace) -> core.Workspace:
    """The 2024 dataset and a simulated 2024 (a few thousand dossiers, NDXP transactions), on SQLite."""
    return simulated_world


def specs_of(ws: core.Workspace) -> dict[str, ReportSpec]:
    return load_specs([ws.root / "catalogue" / "reports"], ws.catalogue)


def write(ws: core.Workspace, period: str, lang: str = "vi", specs: dict[str, ReportSpec] | None = None) -> Report:
    p = Period.parse(period)
    return compose(ws.engine, spec_for(specs or specs_of(ws), p), p, lang=lang, generated_at=STAMP)


@pytest.fixture(scope="module")
def reports(sim: core.Workspace) -> dict[str, Report]:
    return {p: write(sim, p) for p in PERIODS}


# --- checking a report against the engine -----------------------------------------------------------------


def points(value: float, kind: str, decimals: int) -> str:
    if kind == "rate":
        return f"{fmt_number(value, decimals, 'vi')} điểm phần trăm"
    if kind == "rank":
        return f"{fmt_number(value, 0, 'vi')} bậc"
    return f"{fmt_number(value, decimals, 'vi')} điểm"


def allowed_coverage(eng: Engine, f: Stated) -> set[tuple[int, int]]:
    """What a stated "n/m" may say: a figure's coverage, members with data, or members behind target."""
    ind = eng.catalogue.indicator(f.indicator)
    p = Period.parse(f.period)
    a = eng.value(ind, f.unit, p)
    out = {a.figure.coverage} if a.figure is not None and a.figure.coverage is not None else set()
    rows = eng.rank(ind, f.unit, p)
    have = [r for r in rows if r.value is not None]
    out.add((len(have), len(rows)))
    group_target = a.target.value if a.target else None
    behind = 0
    for r in have:
        own = eng.target(ind, r.unit, p)
        t = own.value if own else group_target
        assert r.value is not None
        if t is not None and (r.value > t if ind.direction is Direction.LOWER else r.value < t):
            behind += 1
    out.add((behind, len(have)))
    return out


PROJECTED = {"projection": "value", "low": "low", "high": "high", "needed": "needed", "recent": "current",
             "per_month": "per_month", "probability": "probability"}


def check_figures(ws: core.Workspace, report: Report) -> int:
    """Every stated figure equals the engine's answer and reads as ``chiso.i18n`` writes it; returns how many."""
    eng = ws.engine
    answers: dict[tuple[str, str, str], Answer] = {}
    projections: dict[tuple[str, str], Projection] = {}
    for f in report.figures():
        if f.role in PROJECTED:  # a year-end projection, as Foresight makes it from the data to the period's end
            key2 = (f.indicator, f.unit)
            if key2 not in projections:
                projections[key2] = Foresight(eng).project(f.indicator, f.unit, int(f.period),
                                                           as_of=Period.parse(report.period).end)
            got = getattr(projections[key2], PROJECTED[f.role])
            assert got is not None, f
            want = abs(got) if f.role == "per_month" else 100 * got if f.role == "probability" else got
            assert f.value == pytest.approx(want), f
            continue
        ind = ws.catalogue.indicator(f.indicator)
        key = (f.indicator, f.unit, f.period)
        if key not in answers:
            answers[key] = eng.value(ind, f.unit, f.period)
        a = answers[key]
        olds = [o.value for o in (a.previous, a.last_year) if o is not None and o.value is not None]
        if f.role in ("value", "previous", "last_year"):
            assert a.figure is not None and a.value is not None, f"{f} states a figure the data does not hold"
            assert f.value == a.value, f
            plain = fmt_value(a.value, ind.unit, ind.decimals, "vi", ind.kind)
            assert f.approximate == a.figure.approximate, f
            if f.approximate:
                assert plain in f.text and f.text != plain, f  # the qualifier stays: "hơn 87 triệu thẻ"
            else:
                assert f.text == plain, f
        elif f.role == "target":
            assert a.target is not None and f.value == a.target.value, f
            assert f.text == fmt_value(a.target.value, ind.unit, ind.decimals, "vi", ind.kind), f
        elif f.role == "change":
            assert any(abs(abs(change(a.value, o) or 0) - f.value) < 1e-9 for o in olds), f
            assert f.text == points(f.value, ind.kind, ind.decimals), f
        elif f.role == "change_pct":
            matches = [o for o in olds if abs(abs(change_pct(a.value, o, ind) or 0) - f.value) < 1e-9]
            assert matches, f
            assert a.value is not None
            texts = {f"{fmt_number(f.value, 2, 'vi')}%"} | {f"{fmt_number(a.value / o, 1, 'vi')} lần" for o in matches}
            assert f.text in texts, f
        elif f.role == "gap":
            assert a.target is not None and a.value is not None
            assert abs(f.value - abs(a.value - a.target.value)) < 1e-9, f
            want = (
                points(f.value, ind.kind, ind.decimals)
                if ind.kind in ("rate", "rank", "score")
                else fmt_value(f.value, ind.unit, ind.decimals, "vi", ind.kind)
            )
            assert f.text == want, f
        elif f.role == "share":
            assert a.attainment is not None and f.value == pytest.approx(100 * a.attainment), f
            assert f.text == f"{fmt_number(f.value, 2, 'vi')}%", f
        elif f.role == "coverage":
            n, m = (int(x.replace(".", "")) for x in f.text.split("/"))
            assert n == f.value and (n, m) in allowed_coverage(eng, f), f
        else:
            raise AssertionError(f"unexpected role {f.role}: {f}")
    return len(report.figures())


def unstated_numbers(report: Report) -> list[str]:
    """Numbers in the prose that are not a stated figure: years, period names and names such as 5G aside."""
    found = []
    for block in report.blocks():
        if not isinstance(block, Paragraph):
            continue
        rest = "".join("\0" if r.figure is not None else r.text for r in block.runs)
        for m in re.finditer(r"(?<![\w/.,])\d+(?:[.,]\d+)*(?![\w])", rest):
            token, before, after = m.group(), rest[: m.start()], rest[m.end() :]
            if re.fullmatch(r"(19|20)\d\d", token) or re.search(r"(tháng|quý|tuần|ngày)\s*$", before):
                continue
            if re.match(r"/\d{4}|\s+tháng", after):  # "4/2024", "9 tháng năm 2024"
                continue
            found.append(f"{token!r} in {block.text!r}")
    return found


def figures_in(section_blocks: tuple[object, ...]) -> list[Stated]:
    return [r.figure for b in section_blocks if isinstance(b, Paragraph) for r in b.runs if r.figure is not None]


# --- the figures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", list(PERIODS))
def test_every_stated_figure_is_the_engines_answer(
    sim: core.Workspace, reports: dict[str, Report], period: str
) -> None:
    report = reports[period]
    assert check_figures(sim, report) > 60
    roles = {f.role for f in report.figures()}
    assert {"value", "target", "previous", "share", "coverage"} <= roles
    assert unstated_numbers(report) == []
    # prose and annex alike: no figure is a stand-in for missing data
    for f in report.figures():
        assert f.text and f.text != "—"


def test_the_2024_dataset_alone_on_both_stores(loaded: core.Workspace) -> None:
    report = write(loaded, "2024")
    assert check_figures(loaded, report) > 60
    assert unstated_numbers(report) == []
    # the summary gives the khối bộ full-online rate (Bộ TT&TT's 63,47 %) with its 2024 target of 70 %
    summary = report.sections[0]
    assert summary.key == "summary"
    stated = {(f.indicator, f.unit, f.role): f for f in figures_in(summary.blocks)}
    bloc = stated[("dossier_full_online_rate", "ministries", "value")]
    assert (bloc.value, bloc.text) == (63.47, "63,47%")
    target = stated[("dossier_full_online_rate", "ministries", "target")]
    assert (target.value, target.text) == (70.0, "70%")
    nation = stated[("dossier_full_online_rate", "VN", "value")]
    assert nation.value == 45.8
    text = "\n".join(b.text for b in summary.blocks if isinstance(b, Paragraph))
    assert "khối bộ" in text and "63,47%" in text and "khối tỉnh" in text and "18,54%" in text
    # 45,8 % of 50 %: behind target, and said so with the gap or the attainment
    assert stated.get(("dossier_full_online_rate", "VN", "gap")) or stated.get(
        ("dossier_full_online_rate", "VN", "share")
    )
    # sources: the documents the stated figures come from, with their titles
    docs = dict(report.sources)
    assert docs["seed-003"].startswith("Báo cáo tổng kết năm 2024")


def test_a_section_per_pillar_in_order(reports: dict[str, Report]) -> None:
    for report in reports.values():
        keys = [s.key for s in report.sections]
        ahead = ["foresight"] if report.kind != "annual" else []  # the year's projections, while it is open
        assert keys == ["summary", *(p.value for p in Pillar), *ahead, "annex"]
        titles = {s.key: s.title for s in report.sections}
        for p in Pillar:
            assert titles[p.value] == PILLAR_NAMES[p].vi


def test_an_indicator_without_data_is_not_stated_and_is_listed_once(
    sim: core.Workspace, reports: dict[str, Report]
) -> None:
    report = reports["2024"]
    code = "fiber_household_rate"  # reported for April 2024 only: no value for the year
    assert sim.engine.value(code, "VN", "2024").value is None
    assert sim.engine.value(code, "VN", "2024-04").value == 80.2
    assert not [f for f in report.figures() if f.indicator == code]
    assert code in report.missing
    infra = next(s for s in report.sections if s.key == "infrastructure")
    missing = [b for b in infra.blocks if isinstance(b, Paragraph) and b.style == "missing"]
    assert len(missing) == 1
    name = "tỷ lệ hộ gia đình sử dụng cáp quang băng rộng"
    assert name in missing[0].text and "chưa có số liệu" in missing[0].text.lower()
    assert report.text().count(name) == 1
    # the same indicator has data in April: the monthly report states it and does not list it as missing
    april = reports["2024-04"]
    assert code not in april.missing
    stated = next(f for f in april.figures() if f.indicator == code and f.unit == "VN" and f.role == "value")
    assert (stated.value, stated.text) == (80.2, "80,2%")


def test_sentences_vary_and_the_same_data_gives_the_same_report(
    sim: core.Workspace, reports: dict[str, Report]
) -> None:
    for report in reports.values():
        openings: list[str] = []
        for s in report.sections:
            body = [b for b in s.blocks if isinstance(b, Paragraph) and b.style == "body"]
            firsts = [" ".join(re.findall(r"\w+", b.text.lower())[:2]) for b in body]
            if len(firsts) >= 3:
                assert len(set(firsts)) > 1, (s.key, firsts)
            # no two neighbouring paragraphs open alike
            assert all(a != b for a, b in pairwise(firsts)), (s.key, firsts)
            openings += firsts
        assert len(set(openings)) >= 4
    again = write(sim, "2024")
    first = reports["2024"]
    assert again.text() == first.text()
    assert again.figures() == first.figures()
    tables = [[[r.text for r in row] for row in b.rows] for b in first.blocks() if isinstance(b, Table)]
    assert tables == [[[r.text for r in row] for row in b.rows] for b in again.blocks() if isinstance(b, Table)]


def test_reports_of_a_month_a_quarter_and_a_year(sim: core.Workspace, reports: dict[str, Report]) -> None:
    eng = sim.engine
    for period, kind in PERIODS.items():
        report = reports[period]
        p = Period.parse(period)
        assert report.kind == kind and report.period == period
        assert period_name(p) in report.title
        assert (
            report.id
            == {"2024": "bao-cao-cds-2024", "2024Q3": "bao-cao-cds-2024-q3", "2024-04": "bao-cao-cds-2024-04"}[period]
        )
        gov = next(s for s in report.sections if s.key == "digital_government")
        # the series of the full-online rate: months of the year to date, with the 2024 target of 50 %
        series = next(b for b in gov.blocks if getattr(b, "kind", None) == "series")
        months = {"2024": 12, "2024Q3": 9, "2024-04": 4}[period]
        assert series.labels == tuple(f"T{m}" for m in range(1, months + 1))
        nation = series.lines[0]
        want = [
            eng.value("dossier_full_online_rate", "VN", f"2024-{m:02d}", compare=False).value
            for m in range(1, months + 1)
        ]
        assert list(nation.values) == want and all(v is not None for v in want)
        assert series.target == (50.0,) * months
        # the provinces' bars: every province with data, best first, those below the khối tỉnh target marked
        bars = next(b for b in gov.blocks if getattr(b, "kind", None) == "ranking" and "khối tỉnh" in b.title)
        rows = [r for r in eng.rank("dossier_full_online_rate", "provinces", period) if r.value is not None]
        assert bars.labels == tuple(r.unit.short for r in rows)
        assert bars.lines[0].values == tuple(r.value for r in rows)
        assert bars.highlight == tuple(i for i, r in enumerate(rows) if r.value is not None and r.value < 30)
        # leaders named with their values, as the engine ranks them
        top = rows[0]
        para = next(b for b in gov.blocks if isinstance(b, Paragraph))
        assert f"{top.unit.short} ({fmt_value(top.value, '%', 2, 'vi')})" in para.text


def test_a_template_with_an_unknown_indicator_is_refused_naming_file_and_entry(
    sim: core.Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    bad = folder / "thang.yaml"
    bad.write_text(
        "id: bao-cao-thang-rieng\nextends: bao-cao-thang\n"
        "sections:\n  - pillar: institutions\n    indicators: [dx_annual_plan_rate]\n"
        "  - pillar: data\n    indicators: [ndxp_agencies, dossier_ful_online_rate]\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as err:
        load_specs([folder], sim.catalogue)
    e = err.value
    assert e.file == str(bad)
    assert e.entry == "sections[2] (data).indicators[2] (dossier_ful_online_rate)"
    assert "dossier_ful_online_rate" in e.reason and "dossier_full_online_rate" in e.reason  # the nearest code
    # a placeholder the slot does not know is refused too
    bad.write_text(
        "id: x\nextends: bao-cao-nam\nwording:\n  missing:\n    - {vi: 'Thiếu {ten}.', en: 'No {names}.'}\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as err:
        load_specs([folder], sim.catalogue)
    assert err.value.entry == "wording.missing[1]" and "{ten}" in err.value.reason
    # and a field the schema does not have
    bad.write_text("id: x\nextends: bao-cao-nam\nsummary: {per_paragraf: 2}\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_specs([folder], sim.catalogue)
    assert err.value.entry == "summary.per_paragraf"


def test_a_workspace_template_overrides_the_built_in_one(
    sim: core.Workspace, reports: dict[str, Report], tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    mine = folder / "nam.yaml"
    mine.write_text(
        "id: bao-cao-nam\nextends: bao-cao-nam\n"
        "wording:\n  value_rate:\n"
        "    - {vi: 'Theo số liệu tổng hợp, {name} {period} đạt {value}{comparisons}.',"
        " en: 'By the figures, the {name} reached {value} in {period}{comparisons}.'}\n",
        encoding="utf-8",
    )
    specs = load_specs([folder], sim.catalogue)
    spec = spec_for(specs, Period.parse("2024"))
    assert spec.id == "bao-cao-nam" and spec.file == str(mine)
    assert list(specs) == ["bao-cao-nam", "bao-cao-thang", "bao-cao-quy"]  # built-in order kept
    report = write(sim, "2024", specs=specs)
    built_in = reports["2024"]
    rate = sim.engine.value("dossier_full_online_rate", "VN", "2024").value
    phrase = f"Theo số liệu tổng hợp, tỷ lệ hồ sơ trực tuyến toàn trình năm 2024 đạt {fmt_value(rate, '%', 2, 'vi')}"
    assert phrase in report.text() and phrase not in built_in.text()
    assert report.text().count("Theo số liệu tổng hợp") >= 5
    # the rest of the template is the built-in one: same sections, same figures
    assert [s.key for s in report.sections] == [s.key for s in built_in.sections]
    assert sorted((f.indicator, f.unit, f.period, f.role) for f in report.figures()) == sorted(
        (f.indicator, f.unit, f.period, f.role) for f in built_in.figures()
    )


def test_english_report_has_no_vietnamese_wording(sim: core.Workspace, reports: dict[str, Report]) -> None:
    report = write(sim, "2024", lang="en")
    assert report.lang == "en" and report.title == "National digital transformation results, 2024"
    text = re.sub(r"“[^”]*”", "", report.text())  # titles of Vietnamese documents are names, kept as they are
    assert not VI_LETTERS.search(text), VI_LETTERS.findall(text)[:10]
    for word in (" và ", " đạt ", "khối", "so với", "Tỷ lệ", "tháng"):
        assert word not in text
    assert "percentage points" in text or "%" in text
    for f in report.figures():
        assert not VI_LETTERS.search(f.text), f
    for b in report.blocks():
        if isinstance(b, Table):
            assert not VI_LETTERS.search(" ".join(b.header) + b.title)
            assert not any(VI_LETTERS.search(r.text) for row in b.rows for r in row[:-1])  # the source: a title
    assert [s.title for s in report.sections][1:-1] == [PILLAR_NAMES[p].en for p in Pillar]
    # the same figures as the Vietnamese report
    vi = reports["2024"]
    assert [(f.indicator, f.unit, f.period, f.role, f.value) for f in report.figures()] == [
        (f.indicator, f.unit, f.period, f.role, f.value) for f in vi.figures()
    ]


def test_comparisons_in_words(workspace: core.Workspace, tmp_path: Path) -> None:
    """Points for rates, "gấp" for a multiple, places for ranks, the target met or the gap, qualifiers kept."""

    def val(ind: str, period: str, value: float, **kw: object) -> ValueInput:
        return ValueInput(indicator=ind, unit="VN", period=period, value=value, source="test", **kw)  # type: ignore[arg-type]

    workspace.store.write_values(
        [
            val("dossier_full_online_rate", "2023", 42.6),
            val("dossier_full_online_rate", "2024", 45.8),
            val("mobile_money_customers", "2023", 3_280_000),
            val("mobile_money_customers", "2024", 8_200_000),
            val("egdi_rank", "2023", 86),
            val("egdi_rank", "2024", 71),
            val("vneid_accounts_activated", "2024", 55_250_000, approximate=True, qualifier="trên"),
            val("chip_id_cards", "2024", 87_000_000, approximate=True, qualifier="hơn"),
        ],
        actor="test",
    )
    workspace.store.write_targets(
        [
            Target(indicator="dossier_full_online_rate", unit="VN", period="2024", value=50),
            Target(indicator="vneid_accounts_activated", unit="VN", period="2024", value=40_000_000),
        ],
        actor="test",
    )
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "nam.yaml").write_text(  # one variant per slot, to pin the words
        "id: bao-cao-nam\nextends: bao-cao-nam\nwording:\n"
        "  change_up: [{vi: 'tăng {change} so với {ref}', en: 'up {change} on {ref}'}]\n"
        "  change_times: [{vi: 'gấp {ratio} so với {ref}', en: '{ratio} the level of {ref}'}]\n"
        "  rank_up: [{vi: 'tăng {change} so với {ref}', en: 'up {change} on {ref}'}]\n"
        "  ref_previous: [{vi: '{period}', en: '{period}'}]\n"
        "  target_above: [{vi: 'vượt mục tiêu {target}', en: 'above the target of {target}'}]\n"
        "  target_below: [{vi: 'còn thiếu {gap} so với mục tiêu {target}', en: '{gap} short of {target}'}]\n",
        encoding="utf-8",
    )
    report = write(workspace, "2024", specs=load_specs([folder], workspace.catalogue))
    text = report.text()
    assert "45,8%, tăng 3,2 điểm phần trăm so với năm 2023; còn thiếu 4,2 điểm phần trăm so với mục tiêu 50%" in text
    assert "8,2 triệu khách hàng, gấp 2,5 lần so với năm 2023" in text
    assert "thứ 71" in text and "tăng 15 bậc so với năm 2023" in text
    assert "trên 55,25 triệu tài khoản, vượt mục tiêu 40 triệu tài khoản" in text
    assert "hơn 87 triệu thẻ" in text
    assert check_figures(workspace, report) > 10
    by_role = {(f.indicator, f.role): f for f in report.figures()}
    assert by_role[("egdi_rank", "change")].value == 15
    assert by_role[("mobile_money_customers", "change_pct")].value == 150
    assert by_role[("chip_id_cards", "value")].approximate
    # an indicator with nothing for 2024 is never a 0
    assert not [f for f in report.figures() if f.indicator == "open_data_rate"]
    assert "open_data_rate" in report.missing


def test_the_structure_date_is_recorded_in_the_notes(sim: core.Workspace) -> None:
    p = Period.parse("2024Q3")
    spec = spec_for(specs_of(sim), p)
    report = compose(sim.engine, spec, p, generated_at=STAMP, structure=date(2025, 7, 1))
    assert any("01/07/2025" in n for n in report.notes)
    plain = compose(sim.engine, spec, p, generated_at=STAMP)
    assert not any("01/07/2025" in n for n in plain.notes)
    # the rankings are rebased into the 2025 structure: no unit that ended before it is named
    ended = {c for c, u in sim.catalogue.units.items() if u.valid_to is not None and u.valid_to < date(2025, 7, 1)}
    assert not {f.unit for f in report.figures()} & ended
    assert {f.unit for f in plain.figures()} & ended


def test_reports_after_and_across_the_2025_change_use_the_new_units(loaded: core.Workspace) -> None:
    """2025Q3: the 34 provinces and 17 ministries as they are; 2025: the provinces' first half and the
    ministries' January and February rebased into the structure of 31/12/2025, and the notes say so."""
    rate = "dossier_full_online_rate"

    def v(unit: str, period: str, num: int, den: int) -> ValueInput:
        return ValueInput(indicator=rate, unit=unit, period=period, value=round(100 * num / den, 2), numerator=num,
                          denominator=den, source="test")

    rows = [v("P37-2025", "2025Q3", 700, 1000), v("P01", "2025Q3", 600, 1000), v("BTC-2025", "2025Q3", 90, 100),
            v("BTP", "2025Q3", 50, 100)]
    # the year 2025: Hà Nam, Nam Định, Ninh Bình for the first half, the new Ninh Bình for the second
    rows += [v("P35", "2025S1", 300, 1000), v("P36", "2025S1", 540, 1200), v("P37", "2025S1", 410, 800),
             v("P37-2025", "2025S2", 1500, 2000), v("P01", "2025", 1300, 2000)]
    # Finance and Planning for January and February, the new Finance from March
    rows += [v(u, f"2025-{m:02d}", 10, 20) for u in ("BTC", "BKHDT") for m in (1, 2)]
    rows += [v("BTC-2025", f"2025-{m:02d}", 30, 40) for m in range(3, 13)]
    rows += [v("BTP", "2025", 70, 100)]
    loaded.store.write_values(rows, actor="test")
    eng = loaded.engine
    specs = specs_of(loaded)

    q3 = Period.parse("2025Q3")
    report = compose(eng, spec_for(specs, q3), q3, generated_at=STAMP)
    ranked = {f.unit for f in report.figures() if f.indicator == rate and f.role == "value"}
    assert {"P37-2025", "P01", "BTC-2025", "BTP"} <= ranked
    assert not ranked & {"P35", "P36", "P37", "BTC", "BKHDT"}
    assert len(eng.rank(rate, "provinces", q3)) == 34 and len(eng.rank(rate, "ministries", q3)) == 17
    assert not any("được tính lại theo cơ cấu đơn vị" in n for n in report.notes)

    year = Period.parse("2025")
    report = compose(eng, spec_for(specs, year), year, generated_at=STAMP)
    stated = {f.unit: f for f in report.figures() if f.indicator == rate and f.role == "value"}
    # (300 + 540 + 410 + 1500) / (1000 + 1200 + 800 + 2000) = 2750 / 5000
    assert stated["P37-2025"].value == 55.0
    # (4 × 10 + 10 × 30) / (4 × 20 + 10 × 40) = 340 / 480 = 70,833…%
    assert stated["BTC-2025"].value == 70.83
    assert not set(stated) & {"P35", "P36", "P37", "BTC", "BKHDT"}
    notes = " ".join(report.notes)
    assert "trước ngày 01/07/2025 được tính lại theo cơ cấu đơn vị ngày 31/12/2025" in notes
    assert "trước ngày 01/03/2025 được tính lại theo cơ cấu đơn vị ngày 31/12/2025" in notes
    # asked in the 2024 structure, the same data ranks the former units, and says so
    old = compose(eng, spec_for(specs, year), year, generated_at=STAMP, structure=date(2024, 12, 31))
    assert any("31/12/2024" in n for n in old.notes)
    assert "P37-2025" not in {f.unit for f in old.figures() if f.indicator == rate and f.role == "value"}
