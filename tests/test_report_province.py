"""A province's own report (issue 13): ``chiso report 2024 --unit "Đà Nẵng"`` on the simulated world.

The report states Đà Nẵng's figures beside the nation's and the provinces' bloc, and ranks its 2024 communes:
the table of the ranking is the engine's ranking of "communes of Đà Nẵng", the leaders and laggards are named
with their figures written the Vietnamese way, every stated figure is the engine's answer. It is written in
the three formats under the province's name, beside the national report and never over it; a --unit that is
not a province is refused naming the option; the national report is as before. On the web, a province's
reviewers write their own province's report (and no other).
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import docx
import pypdf
import pytest
from typer.testing import CliRunner

from chiso import app as core
from chiso import auth
from chiso.catalogue.models import Unit
from chiso.catalogue.periods import Period
from chiso.cli.main import app as cli
from chiso.engine.indices import IndexScorer
from chiso.errors import ChisoError, DefinitionError, ValidationError
from chiso.report.compose import compose
from chiso.report.document import Paragraph, Report, Table
from chiso.report.specs import load_specs, spec_for
from web_support import MakeClient

pytestmark = pytest.mark.usefixtures("cheap_hashes")

RATE = "dossier_full_online_rate"
RANKED = ("dossier_full_online_rate", "dossier_online_submission_rate", "dossier_on_time_rate")
END_2024 = date(2024, 12, 31)
YEAR = Period.parse("2024")


def vn_percent(v: float) -> str:
    """A rate as the seed reports write it, independently of chiso.i18n: 67,98% · 100% · 40%."""
    return f"{v:.2f}".rstrip("0").rstrip(".").replace(".", ",") + "%"


def in_text(u: Unit) -> str:
    """A commune in running text: its official word small, "phường Xuân Hà", "xã Hòa Phú"."""
    assert u.local_type and u.name.startswith(u.local_type)
    return u.local_type.lower() + u.name[len(u.local_type):]


def text(p: Paragraph) -> str:
    return "".join(r.text for r in p.runs)


@pytest.fixture(scope="module")
def report(simulated_world: core.Workspace) -> Report:
    ws = simulated_world
    specs = load_specs([ws.root / "catalogue" / "reports"], ws.catalogue, scope="province")
    assert list(specs) == ["bao-cao-tinh"]
    spec = spec_for(specs, YEAR, None, "province")
    return compose(ws.engine, spec, YEAR, lang="vi", unit=ws.catalogue.unit("Đà Nẵng", on=END_2024))


def ranking_table(report: Report, code: str) -> Table:
    tables = [b for s in report.sections if s.key == "annex_ranking" for b in s.blocks if isinstance(b, Table)]
    found = [t for t in tables if any(c.figure and c.figure.indicator == code for row in t.rows for c in row)]
    assert len(found) == 1, [t.title for t in tables]
    return found[0]


def ranking_paragraph(report: Report, code: str, communes: set[str]) -> Paragraph:
    """The paragraph of the indicator's section naming communes."""
    for s in report.sections:
        if s.key == "summary":
            continue
        for b in s.blocks:
            if isinstance(b, Paragraph) and any(
                r.figure and r.figure.indicator == code and r.figure.unit in communes for r in b.runs
            ):
                return b
    raise AssertionError(f"no paragraph ranks the communes on {code}")


def test_the_report_is_about_the_province(report: Report) -> None:
    assert report.id == "bao-cao-cds-da-nang-2024" and report.template == "bao-cao-tinh"
    assert "Đà Nẵng" in report.title and "năm 2024" in report.title
    assert "Đà Nẵng" in report.issuer
    keys = [s.key for s in report.sections]
    assert keys[0] == "summary" and keys[-2:] == ["annex", "annex_ranking"]


def test_the_communes_are_ranked_as_the_engine_ranks_them(simulated_world: core.Workspace, report: Report) -> None:
    ws, cat = simulated_world, simulated_world.catalogue
    group = cat.unit("communes of Đà Nẵng", on=END_2024)
    members = {u.code for u in cat.communes_of("P48", END_2024)}
    assert group.code == "P48.communes"
    for code in RANKED:
        rows = [r for r in ws.engine.rank(code, group, "2024") if r.value is not None]
        assert len(rows) >= 10
        table = ranking_table(report, code)
        got = []
        for rank, name, value in table.rows:
            assert rank.figure is not None and value.figure is not None
            assert rank.figure.role == "rank" and rank.figure.unit == value.figure.unit
            unit = cat.units[value.figure.unit]
            assert name.text == unit.name  # "Phường Xuân Hà" at the head of a cell
            assert value.text == vn_percent(value.figure.value)
            got.append((unit.code, rank.figure.value, value.figure.value))
        assert got == [(r.unit.code, r.rank, r.value) for r in rows]
        assert {u for u, _, _ in got} <= members


def test_leaders_and_laggards_are_named_with_their_figures(simulated_world: core.Workspace, report: Report) -> None:
    ws, cat = simulated_world, simulated_world.catalogue
    group = cat.unit("communes of Đà Nẵng", on=END_2024)
    members = {u.code for u in cat.communes_of("P48", END_2024)}
    for code in RANKED:
        rows = [r for r in ws.engine.rank(code, group, "2024") if r.value is not None]
        para = ranking_paragraph(report, code, members)
        said = text(para)
        named = [r.figure for r in para.runs if r.figure and r.figure.unit in members]
        top, bottom = rows[:3], list(reversed(rows))[:3]
        assert [f.unit for f in named] == [r.unit.code for r in top + bottom]
        # "… là phường X (100%), phường Y (100%) và phường Z (100%) …", then the lowest, the lowest first
        leaders = ", ".join(f"{in_text(r.unit)} ({vn_percent(r.value or 0)})" for r in top[:2])
        leaders += f" và {in_text(top[2].unit)} ({vn_percent(top[2].value or 0)})"
        laggards = ", ".join(f"{in_text(r.unit)} ({vn_percent(r.value or 0)})" for r in bottom[:2])
        laggards += f" và {in_text(bottom[2].unit)} ({vn_percent(bottom[2].value or 0)})"
        assert leaders in said and laggards in said, said
        assert said.index(leaders) < said.index(laggards)
        coverage = f"{len(rows)}/{len(members)} xã, phường"
        assert coverage in said
    # the wording the seed reports use: "dẫn đầu là …", "thấp nhất là …" (the variants are chosen per sentence)
    whole = " ".join(text(b) for s in report.sections for b in s.blocks if isinstance(b, Paragraph))
    assert re.search(r"[Dd]ẫn đầu (các xã, phường )?là (phường|xã) ", whole)
    assert re.search(r"Thấp nhất là (phường|xã) ", whole)


def test_the_766_index_of_the_communes(simulated_world: core.Workspace, report: Report) -> None:
    """The 766 index of the province's communes: its leaders named with the scorer's scores, best first."""
    ws, cat = simulated_world, simulated_world.catalogue
    gs = IndexScorer(ws.engine).group(cat.index("qd766"), cat.unit("P48.communes"), YEAR)
    scored = [u for u in gs.units if u.value is not None]
    assert len(scored) >= 10
    whole = " ".join(text(b) for s in report.sections for b in s.blocks if isinstance(b, Paragraph))
    assert f"{len(scored)}/{len(cat.communes_of('P48', END_2024))} xã, phường được chấm điểm" in whole
    best = scored[0]
    said = f"{in_text(cat.units[best.unit.code])} ({best.value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    assert "Dẫn đầu là " + said in whole, whole[whole.index("766"):][:600]


def test_the_province_beside_the_nation_and_its_bloc(simulated_world: core.Workspace, report: Report) -> None:
    ws = simulated_world
    own, nation, bloc = (ws.engine.value(RATE, u, "2024") for u in ("P48", "VN", "provinces"))
    assert own.value is not None and nation.value is not None and bloc.value is not None
    summary = next(s for s in report.sections if s.key == "summary")
    lead = text(summary.blocks[0])  # type: ignore[arg-type]
    assert "của Đà Nẵng" in lead or "tại Đà Nẵng" in lead
    assert vn_percent(own.value) in lead
    assert vn_percent(nation.value) in lead and vn_percent(bloc.value) in lead
    stated = {(f.indicator, f.unit, f.role): f for f in report.figures()}
    assert stated[(RATE, "P48", "value")].value == own.value
    assert stated[(RATE, "VN", "value")].value == nation.value
    assert stated[(RATE, "provinces", "value")].value == bloc.value
    assert nation.target is not None and stated[(RATE, "VN", "target")].value == nation.target.value


def test_every_stated_value_is_the_engines_answer(simulated_world: core.Workspace, report: Report) -> None:
    ws = simulated_world
    checked = 0
    for f in report.figures():
        if f.role != "value":
            continue
        a = ws.engine.value(f.indicator, f.unit, f.period, compare=False)
        assert a.value == f.value, f
        checked += 1
    assert checked > 100
    # only Đà Nẵng, its communes (and how many of them have data), its bloc and the nation are stated
    allowed = {"P48", "VN", "provinces", "P48.communes"} | {u.code for u in ws.catalogue.communes_of("P48", END_2024)}
    assert {f.unit for f in report.figures()} <= allowed


def test_in_english(simulated_world: core.Workspace) -> None:
    ws, cat = simulated_world, simulated_world.catalogue
    specs = load_specs([ws.root / "catalogue" / "reports"], cat, scope="province")
    en = compose(ws.engine, specs["bao-cao-tinh"], YEAR, lang="en", unit=cat.units["P48"])
    assert en.title == "Digital transformation results of Da Nang, 2024" and en.id == "bao-cao-cds-da-nang-2024"
    table = ranking_table(en, RATE)
    assert table.header == ("Rank", "Commune", "Value")
    top = next(r for r in ws.engine.rank(RATE, cat.units["P48.communes"], "2024") if r.value is not None)
    assert top.unit.name_en and table.rows[0][1].text == top.unit.name_en  # "Xuan Ha Ward"
    para = text(ranking_paragraph(en, RATE, {u.code for u in cat.communes_of("P48", END_2024)}))
    assert f"{top.unit.name_en} ({vn_percent(top.value or 0).replace(',', '.')})" in para


def run(ws: core.Workspace, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "report", *args])
    return res.exit_code, res.output


def test_cli_writes_the_three_formats_beside_the_national_report(
    simulated_world: core.Workspace, report: Report, tmp_path: Path
) -> None:
    ws = simulated_world
    code, out = run(ws, "2024", "--format", "html", "--output", str(tmp_path))
    assert code == 0, out
    national = tmp_path / "bao-cao-cds-2024.html"
    before = national.read_bytes()
    code, out = run(ws, "2024", "--unit", "Đà Nẵng", "--output", str(tmp_path))
    assert code == 0, out
    names = {p.name for p in tmp_path.iterdir()}
    assert {f"bao-cao-cds-da-nang-2024.{ext}" for ext in ("html", "pdf", "docx", "json")} <= names
    assert national.read_bytes() == before  # the national report is not overwritten
    assert "Thành phố Đà Nẵng" in out
    # the files state what the composed report states: the leaders' paragraph of the full-online rate
    members = {u.code for u in ws.catalogue.communes_of("P48", END_2024)}
    para = text(ranking_paragraph(report, RATE, members))
    html = (tmp_path / "bao-cao-cds-da-nang-2024.html").read_text(encoding="utf-8")
    plain = re.sub(r"<[^>]+>", "", html)
    assert para in plain
    d = docx.Document(io.BytesIO((tmp_path / "bao-cao-cds-da-nang-2024.docx").read_bytes()))
    assert para in [p.text for p in d.paragraphs]
    assert any(t.rows[0].cells[1].text == "Xã, phường" for t in d.tables)
    pdf = pypdf.PdfReader(io.BytesIO((tmp_path / "bao-cao-cds-da-nang-2024.pdf").read_bytes()))
    first = re.sub(r"\s+", " ", pdf.pages[0].extract_text())
    assert "Đà Nẵng" in first
    # by code as by name: the same report
    code, out = run(ws, "2024", "--unit", "P48", "--format", "html", "--output", str(tmp_path / "by-code"))
    assert code == 0, out
    assert (tmp_path / "by-code" / "bao-cao-cds-da-nang-2024.html").exists()


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("Bộ Công an", "Bộ Công an (BCA) không phải là tỉnh, thành phố"),
        ("Hòa Phú, Đà Nẵng", "Xã Hòa Phú (X20317) không phải là tỉnh, thành phố"),
        ("communes of Đà Nẵng", "(P48.communes) không phải là tỉnh, thành phố"),
        ("Không Có Tỉnh Này", "không rõ tỉnh, thành phố 'Không Có Tỉnh Này'"),
    ],
)
def test_a_unit_that_is_not_a_province_is_refused(
    simulated_world: core.Workspace, tmp_path: Path, ref: str, says: str
) -> None:
    code, out = run(simulated_world, "2024", "--unit", ref, "--output", str(tmp_path))
    assert code == 2
    line = " ".join(out.split())
    assert "'--unit'" in line and says in line and "tên hoặc mã của một tỉnh, thành phố" in line
    assert not any(tmp_path.iterdir())  # nothing written


def test_the_use_case_names_the_field_it_was_given(simulated_world: core.Workspace, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as err:
        core.write_report(simulated_world, "2024", unit="BCA", out=tmp_path)
    assert err.value.problems[0].field == "unit"
    assert "is not a province" in err.value.render("en")


def test_templates_keep_to_their_scope(simulated_world: core.Workspace, tmp_path: Path) -> None:
    ws, cat = simulated_world, simulated_world.catalogue
    assert list(load_specs([ws.root / "catalogue" / "reports"], cat)) == ["bao-cao-nam", "bao-cao-thang", "bao-cao-quy"]
    specs = load_specs([ws.root / "catalogue" / "reports"], cat, scope=None)
    # the national reports are chosen as before; the province's template only with a province
    assert spec_for(specs, YEAR).id == "bao-cao-nam"
    assert spec_for(specs, Period.parse("2024Q3")).id == "bao-cao-quy"
    assert spec_for(specs, Period.parse("2024-04")).id == "bao-cao-thang"
    assert spec_for(specs, Period.parse("2024Q3"), None, "province").id == "bao-cao-tinh"
    with pytest.raises(ChisoError, match="scope 'province'"):
        spec_for(specs, YEAR, "bao-cao-tinh")
    with pytest.raises(ChisoError, match="needs the province"):
        compose(ws.engine, specs["bao-cao-tinh"], YEAR)
    with pytest.raises(ChisoError, match="takes no unit"):
        compose(ws.engine, specs["bao-cao-nam"], YEAR, unit=cat.units["P48"])
    assert all(t != "bao-cao-tinh" for t, _ in core.report_templates(ws))  # the web's form names no unit
    # a province's template must name the province in its file names; a national one cannot rank {unit}
    folder = tmp_path / "catalogue" / "reports"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text("id: bao-cao-tinh\nextends: bao-cao-tinh\nreport_id: 'bc-{slug}'\n", "utf-8")
    with pytest.raises(DefinitionError) as bad:
        load_specs([folder], cat)
    assert bad.value.entry == "report_id"
    (folder / "mine.yaml").write_text(
        "id: bao-cao-nam\nextends: bao-cao-nam\nsections:\n  - pillar: digital_government\n    indicators:\n"
        "      - {code: dossier_full_online_rate, rankings: [{group: '{unit}.communes'}]}\n",
        "utf-8",
    )
    with pytest.raises(DefinitionError, match="province"):
        load_specs([folder], cat)


def test_the_national_report_names_no_commune(simulated_world: core.Workspace) -> None:
    ws = simulated_world
    specs = load_specs([ws.root / "catalogue" / "reports"], ws.catalogue)
    national = compose(ws.engine, spec_for(specs, YEAR), YEAR, lang="vi")
    assert national.id == "bao-cao-cds-2024" and "Đà Nẵng" not in national.title
    assert "annex_ranking" not in [s.key for s in national.sections]
    assert not any(ws.catalogue.units[f.unit].is_local for f in national.figures())


def test_who_may_write_a_provinces_report(simulated_world: core.Workspace) -> None:
    cat = simulated_world.catalogue
    national = auth.User(1, "rev", "Người duyệt", auth.Role.REVIEWER, "VN")
    danang = auth.User(2, "dn", "Người duyệt Đà Nẵng", auth.Role.REVIEWER, "P48")
    reporter = auth.User(3, "bc", "Báo cáo viên Đà Nẵng", auth.Role.REPORTER, "P48")
    assert auth.can_write_report(cat, national, None) and auth.can_write_report(cat, national, "P48")
    assert auth.can_write_report(cat, danang, "P48")
    assert not auth.can_write_report(cat, danang, "P01") and not auth.can_write_report(cat, danang, None)
    assert not auth.can_write_report(cat, reporter, "P48") and not auth.can_write_report(cat, None, "P48")


def test_the_web_lets_a_province_write_its_own_report(
    simulated_world: core.Workspace, make_client: MakeClient
) -> None:
    ws = simulated_world
    dn = make_client(ws, user="tinh-p48-rev", role="reviewer", unit="P48", follow_redirects=False)
    page = dn.get("/reports")
    assert 'data-testid="report-form"' in page.text and 'name="unit" value="Đà Nẵng"' in page.text
    form = {"period": "2024", "format": "html", "csrf": dn.csrf}
    assert dn.post("/reports", data={**form, "unit": "Hà Nội"}).status_code == 403  # another province's
    assert dn.post("/reports", data=form).status_code == 403  # the national one
    bad = dn.post("/reports", data={**form, "unit": "Bộ Công an"})
    assert bad.status_code == 400 and "không phải là tỉnh, thành phố" in bad.text and "unit" in bad.text
    r = dn.post("/reports", data={**form, "unit": "Đà Nẵng"})
    assert r.status_code == 303, r.text
    listing = make_client(ws).get("/reports").text
    assert 'href="/reports/bao-cao-cds-da-nang-2024.html"' in listing
    # a province's reporter writes none; the national office's page offers the unit field empty
    rep = make_client(ws, user="tinh-p48-rep", role="reporter", unit="P48", follow_redirects=False)
    assert 'data-testid="report-form"' not in rep.get("/reports").text
    assert rep.post("/reports", data={**form, "csrf": rep.csrf, "unit": "Đà Nẵng"}).status_code == 403
    national = make_client(ws, user="tinh-vn-rev", role="reviewer", unit="VN")
    assert 'name="unit" value=""' in national.get("/reports").text
