"""Projections in the written reports (issue 15 §1): a monthly or quarterly report of a year still open says, for
the year's targets of the nation and the blocs, where each is heading in ``report.foresight_text``'s sentences,
every figure stated; an annual report of a complete year says none. Composed on the shared simulated 2024 (its
figures read as of the report's period end), rendered to HTML, PDF and DOCX and read back."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import datetime
from html.parser import HTMLParser

import docx
import pypdf
import pytest

from chiso import app as core
from chiso.catalogue.periods import Period
from chiso.engine import outlook
from chiso.engine.foresight import Foresight, Projection
from chiso.report import render
from chiso.report.compose import compose
from chiso.report.document import Paragraph, Report, Section
from chiso.report.foresight_text import sentences
from chiso.report.phrasing import capitalise, sentence_name
from chiso.report.specs import load_specs, spec_for

STAMP = datetime(2024, 10, 5, 9, 0)
UNITS = ("VN", "ministries", "provinces")  # the monthly and quarterly templates' units


def write(ws: core.Workspace, period: str, lang: str = "vi") -> Report:
    p = Period.parse(period)
    specs = load_specs([ws.root / "catalogue" / "reports"], ws.catalogue)
    return compose(ws.engine, spec_for(specs, p), p, lang=lang, generated_at=STAMP)


def section(report: Report) -> Section | None:
    return next((s for s in report.sections if s.key == "foresight"), None)


def expected(ws: core.Workspace, period: str) -> list[Projection]:
    """What Foresight projects for the templates' units from the data to the period's end, likely misses first."""
    fs, end = Foresight(ws.engine), Period.parse(period).end
    got = [fs.project(tg.indicator, tg.unit, 2024, as_of=end)
           for tg in ws.engine.reader.targets(units=list(UNITS), periods=["2024"])]
    got = [p for p in got if outlook.is_open(p)]
    return sorted(got, key=lambda q: (not q.behind, *outlook.risk(q), q.indicator.code, q.unit.code))


@pytest.fixture(scope="module")
def quarter(simulated_world: core.Workspace) -> Report:
    return write(simulated_world, "2024Q3")


def test_a_quarterly_report_says_where_each_target_is_heading(simulated_world: core.Workspace,
                                                              quarter: Report) -> None:
    s = section(quarter)
    assert s is not None and s.title == "Dự báo khả năng đạt chỉ tiêu năm"
    want = expected(simulated_world, "2024Q3")
    assert len(want) >= 3 and want[0].behind  # the simulated 2024 misses its full-online targets
    lead, *paragraphs = s.blocks
    assert isinstance(lead, Paragraph) and "quý III/2024" in lead.text
    # a paragraph per indicator, naming it, then each unit's sentences, the likeliest miss first
    groups: dict[str, list[Projection]] = {}
    for p in want:
        groups.setdefault(p.indicator.code, []).append(p)
    assert [b.text for b in paragraphs if isinstance(b, Paragraph)] == [
        f"{capitalise(indicator_name(simulated_world, ps[0]))}. " + " ".join(s for p in ps for s in sentences(p))
        for ps in groups.values()]
    # every figure a projection's sentences print is stated, and is Foresight's own number
    stated = [f for b in paragraphs if isinstance(b, Paragraph) for r in b.runs if (f := r.figure) is not None]
    for p in want:
        mine = {f.role: f for f in stated if (f.indicator, f.unit) == (p.indicator.code, p.unit.code)}
        assert {f.period for f in mine.values()} == {"2024"}
        assert p.target is not None and p.probability is not None
        assert (mine["projection"].value, mine["low"].value, mine["high"].value) == (p.value, p.low, p.high)
        assert mine["target"].value == p.target.value and mine["probability"].value == 100 * p.probability
        if "per_month" in mine:
            assert p.per_month is not None and mine["per_month"].value == abs(p.per_month)
            assert mine["needed"].value == p.needed and mine["recent"].value == p.current
    assert any("khoảng dự báo 80%" in n for n in quarter.notes)


def indicator_name(ws: core.Workspace, p: Projection) -> str:
    """How the report names the indicator (its template's label, else the catalogue's name in a sentence)."""
    specs = load_specs([ws.root / "catalogue" / "reports"], ws.catalogue)
    labels = {i.code: i.label for i in spec_for(specs, Period.parse("2024Q3")).items() if i.label is not None}
    return sentence_name((labels.get(p.indicator.code) or p.indicator.name).vi, "vi")


def test_a_report_of_a_complete_year_or_its_last_quarter_projects_nothing(simulated_world: core.Workspace) -> None:
    assert section(write(simulated_world, "2024")) is None
    assert section(write(simulated_world, "2024Q4")) is None
    monthly = write(simulated_world, "2024-09")
    s = section(monthly)
    assert s is not None
    stated = {(f.indicator, f.unit, f.value) for b in s.blocks if isinstance(b, Paragraph) for r in b.runs
              if (f := r.figure) is not None and f.role == "projection"}
    assert stated == {(p.indicator.code, p.unit.code, p.value) for p in expected(simulated_world, "2024-09")}


def test_the_english_report_says_it_in_english(simulated_world: core.Workspace) -> None:
    s = section(write(simulated_world, "2024Q3", "en"))
    assert s is not None and s.title == "Will the year's targets be met?"
    assert all("At the current pace" in b.text for b in s.blocks[1:] if isinstance(b, Paragraph))


# --- read back from each format ----------------------------------------------------------------------------------


def squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


class Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth, self.found, self.buf = 0, [], []  # type: ignore[var-annotated]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self.depth, self.buf = 1, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self.depth:
            self.found.append("".join(self.buf))
            self.depth = 0

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.buf.append(data)


def said(report: Report) -> list[str]:
    s = section(report)
    assert s is not None
    return [s.title, *(b.text for b in s.blocks if isinstance(b, Paragraph))]


def test_html_pdf_and_docx_carry_the_projections(quarter: Report) -> None:
    texts = said(quarter)
    html = Paragraphs()
    html.feed(render.to_html(quarter))
    for t in texts[1:]:
        assert " ".join(t.split()) in [" ".join(p.split()) for p in html.found], t
    pdf = squash("".join(pg.extract_text() for pg in pypdf.PdfReader(io.BytesIO(render.to_pdf(quarter))).pages))
    for t in texts:
        assert squash(t) in pdf, t
    doc = docx.Document(io.BytesIO(render.to_docx(quarter)))
    paragraphs = [p.text for p in doc.paragraphs]
    for t in texts[1:]:
        assert t in paragraphs, t
    # the stated figures are set apart (bold) in the DOCX as every figure is
    bold = {r.text for p in doc.paragraphs for r in p.runs if r.bold}
    s = section(quarter)
    assert s is not None
    assert {r.text for b in s.blocks if isinstance(b, Paragraph) for r in b.runs if r.figure is not None} <= bold
