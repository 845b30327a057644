"""Composite indices in the written reports: each index with scores for the period gets its part of a section.

The reports are composed on the simulated world (the 2024 dataset and a simulated 2024 of dossier events, from
which the 766 index is scored every month) and read as documents: every index figure a paragraph prints is a
``Stated`` run naming index, unit, period and role, and each is asked again of ``IndexScorer`` here. A workspace
without event data has no score, so no index part; an index is never an empty heading.
"""

from __future__ import annotations

import re
import statistics
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chiso import app as core
from chiso.catalogue.periods import Period
from chiso.cli.main import app as cli
from chiso.engine.indices import IndexScorer
from chiso.engine.robustness import analyse
from chiso.i18n import fmt_number
from chiso.report.compose import compose
from chiso.report.document import Heading, Paragraph, Report, Section, Stated
from chiso.report.index_text import fmt_index
from chiso.report.specs import ReportSpec, load_specs, spec_for

STAMP = datetime(2025, 1, 15, 9, 0)
MONTH, YEAR = "2024-09", "2024"
VI_LETTERS = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE)


def specs_of(ws: core.Workspace) -> dict[str, ReportSpec]:
    return load_specs([ws.root / "catalogue" / "reports"], ws.catalogue)


def write(ws: core.Workspace, period: str, lang: str = "vi") -> Report:
    p = Period.parse(period)
    return compose(ws.engine, spec_for(specs_of(ws), p), p, lang=lang, generated_at=STAMP)


@pytest.fixture(scope="module")
def reports(simulated_world: core.Workspace) -> dict[str, Report]:
    return {p: write(simulated_world, p) for p in (MONTH, YEAR)}


@pytest.fixture(scope="module")
def scorer(simulated_world: core.Workspace) -> IndexScorer:
    return IndexScorer(simulated_world.engine)


def index_part(report: Report, heading_start: str) -> tuple[Section, list[Paragraph]]:
    """The section holding the index's heading, and the paragraphs under it (up to the next heading)."""
    for s in report.sections:
        for i, b in enumerate(s.blocks):
            if isinstance(b, Heading) and b.text.startswith(heading_start):
                out: list[Paragraph] = []
                for after in s.blocks[i + 1 :]:
                    if isinstance(after, Heading) or (isinstance(after, Paragraph) and after.style == "missing"):
                        break
                    if isinstance(after, Paragraph):
                        out.append(after)
                return s, out
    raise AssertionError(f"no heading {heading_start!r} in {report.id}")


def stated(paragraphs: list[Paragraph]) -> list[Stated]:
    return [r.figure for p in paragraphs for r in p.runs if r.figure is not None]


def group_paragraphs(paragraphs: list[Paragraph], word: str) -> list[Paragraph]:
    """The paragraphs about one group: its ranking ("Khối tỉnh: …") and what moved ("… trong khối tỉnh …")."""
    return [p for p in paragraphs if p.text.startswith(word.capitalize()) or f"trong {word} " in p.text]


# --- the part is there and states the engine's ranking --------------------------------------------------------
@pytest.mark.parametrize("period", [MONTH, YEAR])
def test_the_766_index_ranking_is_in_the_report(reports: dict[str, Report], scorer: IndexScorer, period: str) -> None:
    report = reports[period]
    section, paragraphs = index_part(report, "Chỉ số 766")
    assert section.key == "digital_government"
    assert report.index_figures() and all(f.index == "qd766" for f in report.index_figures())
    for group, word in (("provinces", "khối tỉnh"), ("ministries", "khối bộ")):
        gs = scorer.group("qd766", group, period)
        scored = [u for u in gs.units if u.value is not None]
        ranking = group_paragraphs(paragraphs, word)[0]
        # the leader IndexScorer ranks first, named with its score the Vietnamese way and its rating
        leader = scored[0]
        assert leader.rank == 1 and leader.value is not None and leader.rating is not None
        score = fmt_number(leader.value, 2, "vi", trim=False)
        assert "," in score and fmt_index(gs.index, leader.value, "vi") == score
        name = leader.unit.name if leader.unit.is_ministry else leader.unit.short
        assert f"Dẫn đầu là {name} ({score} điểm, {leader.rating.label.vi})" in ranking.text
        # every number of the ranking agrees with the engine
        figs = [f for f in stated([ranking]) if f.period == period]
        by_role: dict[str, list[Stated]] = {}
        for f in figs:
            by_role.setdefault(f.role, []).append(f)
        (count,) = by_role["coverage"]
        assert (count.value, count.text) == (len(scored), f"{len(scored)}/{len(gs.units)}")
        (median,) = by_role["median"]
        assert median.value == pytest.approx(statistics.median(u.value for u in scored if u.value is not None))
        values = {u.unit.code: u.value for u in scored}
        for f in by_role["value"]:
            assert f.value == pytest.approx(values[f.unit]) and f.text == fmt_index(gs.index, values[f.unit], "vi")
        # best, worst, three leaders and three laggards
        named = [f.unit for f in by_role["value"]]
        assert named[:2] == [scored[0].unit.code, scored[-1].unit.code]
        assert named[2:5] == [u.unit.code for u in scored[:3]]
        assert named[5:8] == [u.unit.code for u in reversed(scored)][:3]
        # units per rating band, every scored unit in one band
        bands = {f.detail: f.value for f in by_role["count"] if f.detail != "partial"}
        assert bands == {r.label.vi: sum(1 for u in scored if u.rating == r) for r in gs.index.ratings}
        assert sum(bands.values()) == len(scored)
        # partial data said with the rule that filled it
        partial = [u for u in scored if u.top.coverage < 1 - 1e-9]
        said = [f for f in by_role["count"] if f.detail == "partial"]
        assert [f.value for f in said] == ([len(partial)] if partial else [])
        if partial:
            assert "chia trọng số cho các tiêu chí có dữ liệu" in ranking.text
        # ranks not robust are those the robustness analysis finds, among the units named
        rows = {r.unit: r for r in analyse(gs, 200, 0, sensitivity=False).rows}
        lows = {f.unit: f.value for f in by_role.get("rank", []) if f.detail == "low"}
        shown = set(named[2:])
        assert set(lows) == {u for u in shown if rows[u].robust is False}
        for u, low in lows.items():
            assert low == rows[u].low
            assert "chưa vững" in ranking.text
    # every printed index number is a stated run: none is left in the prose
    for p in paragraphs:
        rest = "".join("\0" if r.figure is not None else r.text for r in p.runs)
        rest = re.sub(r"(tháng \d+/|năm )\d{4}", "", rest)
        assert not re.search(r"\d", rest), p.text


def test_what_moved_since_the_previous_month(reports: dict[str, Report], scorer: IndexScorer) -> None:
    _, paragraphs = index_part(reports[MONTH], "Chỉ số 766")
    for group, word in (("provinces", "khối tỉnh"), ("ministries", "khối bộ")):
        now, before = scorer.group("qd766", group, MONTH), scorer.group("qd766", group, "2024-08")
        then = {u.unit.code: u for u in before.units if u.value is not None}
        diffs = {
            u.unit.code: u.value - then[u.unit.code].value  # type: ignore[operator]
            for u in now.units
            if u.value is not None and u.unit.code in then
        }
        moved = next(p for p in group_paragraphs(paragraphs, word) if p.text.startswith("So với tháng 8/2024"))
        changes = [f for f in stated([moved]) if f.role == "change"]
        ups = sorted((c for c in diffs.items() if c[1] > 0.005), key=lambda c: -c[1])[:3]
        downs = sorted((c for c in diffs.items() if c[1] < -0.005), key=lambda c: c[1])[:3]
        assert [f.unit for f in changes] == [u for u, _ in ups] + [u for u, _ in downs]
        for f in changes:
            assert f.value == pytest.approx(abs(diffs[f.unit]))
        ranks = [(f.unit, f.period, f.value) for f in stated([moved]) if f.role == "rank"]
        for code, _ in ups[:1]:
            assert (code, "2024-08", then[code].rank) in ranks and (code, MONTH, now.of(then[code].unit).rank) in ranks
        assert "tăng điểm nhiều nhất" in moved.text and "giảm điểm nhiều nhất" in moved.text


def test_the_annual_report_says_there_is_no_previous_year(reports: dict[str, Report]) -> None:
    _, paragraphs = index_part(reports[YEAR], "Chỉ số 766")
    assert len(paragraphs) == 2  # one per group: no 2023 scores, so nothing moved to tell
    assert all("Chưa có điểm năm 2023 để so sánh." in p.text for p in paragraphs)


def test_an_index_without_scores_is_left_out(reports: dict[str, Report], scorer: IndexScorer) -> None:
    for period, report in reports.items():
        for code in ("dti_province", "dti_ministry"):
            idx = scorer.cat.index(code)
            assert all(u.value is None for g in idx.units for u in scorer.group(idx, g, period).units)
            assert not any(f.index == code for f in report.index_figures())
        headings = [b.text for b in report.blocks() if isinstance(b, Heading)]
        assert headings == [f"Chỉ số 766: kết quả xếp hạng {'tháng 9/2024' if period == MONTH else 'năm 2024'}"]


def test_english(simulated_world: core.Workspace, reports: dict[str, Report], scorer: IndexScorer) -> None:
    report = write(simulated_world, MONTH, lang="en")
    _, paragraphs = index_part(report, "766 index: rankings, September 2024")
    text = "\n".join(p.text for p in paragraphs)
    assert not VI_LETTERS.search(text), VI_LETTERS.findall(text)[:10]
    leader = next(u for u in scorer.group("qd766", "provinces", MONTH).units if u.value is not None)
    assert leader.rating is not None
    name = leader.unit.name_en or leader.unit.short
    assert (
        f"The leaders are {name} ({fmt_number(leader.value, 2, 'en', trim=False)} points, {leader.rating.label.en})"
        in text
    )
    assert "Since August 2024" in text
    # the same index figures as the Vietnamese report
    assert [(f.index, f.unit, f.period, f.role, f.value) for f in report.index_figures()] == [
        (f.index, f.unit, f.period, f.role, f.value) for f in reports[MONTH].index_figures()
    ]


def test_rendered_report_shows_the_part(simulated_world: core.Workspace, tmp_path: Path) -> None:
    written = core.write_report(simulated_world, MONTH, formats=("html", "docx"), out=tmp_path)
    html = written.files["html"].read_text(encoding="utf-8")
    assert '<h3 class="part">Chỉ số 766: kết quả xếp hạng tháng 9/2024</h3>' in html
    assert "Dẫn đầu là" in html
    from docx import Document

    doc = Document(str(written.files["docx"]))
    assert any(
        p.text == "Chỉ số 766: kết quả xếp hạng tháng 9/2024" and p.style.name == "Heading 2" for p in doc.paragraphs
    )


def test_a_workspace_without_events_has_no_index_part(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    runner = CliRunner()
    for args in (["init", str(root)], ["--workspace", str(root), "load", "vn-2024"]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, res.output
    ws = core.find_workspace(root)
    try:
        for period in (MONTH, YEAR):
            report = write(ws, period)
            assert not [b for b in report.blocks() if isinstance(b, Heading)]
            assert report.index_figures() == []
            assert "Chỉ số 766" not in report.text()
    finally:
        ws.close()


def test_a_template_naming_an_unknown_index_is_refused(simulated_world: core.Workspace, tmp_path: Path) -> None:
    from chiso.errors import DefinitionError

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "nam.yaml").write_text(
        "id: bao-cao-nam\nextends: bao-cao-nam\nsections:\n  - pillar: digital_government\n"
        "    indices: [{code: qd767}]\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as err:
        load_specs([folder], simulated_world.catalogue)
    assert err.value.entry == "sections[1] (digital_government).indices[1] (qd767)" and "qd766" in err.value.reason
    (folder / "nam.yaml").write_text(
        "id: bao-cao-nam\nextends: bao-cao-nam\nsections:\n  - pillar: digital_government\n"
        "    indices: [{code: dti_ministry, groups: [provinces]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as err:
        load_specs([folder], simulated_world.catalogue)
    assert "provinces" in err.value.reason
