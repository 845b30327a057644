"""The written reports end to end, on a demo-like workspace (the 2024 figures and a simulated 2024).

``chiso report 2024 --format pdf`` and ``--format docx`` are run as a user runs them; the files are read
back (python-docx; the PDF's text with pypdf, its first page drawn with pdftoppm) and every figure they
print is checked against the data: each stated figure equals the engine's answer, and no other number
appears in the prose. The web lists, writes and serves the reports; only the national office writes them.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import docx
import pypdf
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chiso import app as core
from chiso.catalogue.periods import Period
from chiso.cli.main import app as cli
from chiso.engine import change, change_pct
from chiso.i18n import shown_value
from chiso.report.compose import compose
from chiso.report.document import Paragraph, Report, Stated
from chiso.report.specs import load_specs, spec_for
from web_support import MakeClient

pytestmark = pytest.mark.usefixtures("cheap_hashes")

# what may stay in the prose once every stated figure is taken out: years, period names and dates
PERIOD_WORDS = re.compile(
    r"(năm|tháng|quý|kỳ|đến|từ|ngày|year|month|quarter|of|in|to|since|until|and|và|so với|cùng kỳ|"
    r"đầu năm|mục tiêu|target|the|with|by)\s*$",
    re.IGNORECASE,
)


def squash(text: str) -> str:
    """NFC and no whitespace: PDF text breaks lines and words where the layout did."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


@pytest.fixture(scope="module")
def ws(simulated_world: core.Workspace, cheap_hashes: None) -> core.Workspace:
    """The simulated world with the national office's reviewer and a reporter of Đà Nẵng."""
    for name, full, role, unit in (("rev", "Người duyệt quốc gia", "reviewer", "VN"),
                                   ("dn", "Báo cáo viên Đà Nẵng", "reporter", "P48")):
        if simulated_world.store.users.by_username(name) is None:
            simulated_world.store.users.create(name, full, "mật-khẩu-đủ-dài", role, unit)
    return simulated_world


@pytest.fixture(scope="module")
def annual(ws: core.Workspace) -> Report:
    specs = load_specs([ws.root / "catalogue" / "reports"])
    p = Period.parse("2024")
    return compose(ws.engine, spec_for(specs, p, None), p, lang="vi")


def run_cli(ws: core.Workspace, *args: str) -> str:
    res = CliRunner().invoke(cli, ["-w", str(ws.root), *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def expected(ws: core.Workspace, f: Stated) -> float | None:
    """What the engine answers for a stated figure, asked independently of the composer."""
    eng = ws.engine
    if f.role == "rank":
        return None  # a position in a ranking: checked against engine.rank below
    a = eng.value(f.indicator, f.unit, f.period)
    if f.role in ("value", "previous", "last_year"):
        return a.value
    if f.role == "target":
        return a.target.value if a.target else None
    return f.value  # changes, gaps and shares are checked from their parts in test_stated_figures_equal_data


def test_stated_figures_equal_data(ws: core.Workspace, annual: Report) -> None:
    figures = annual.figures()
    assert len(figures) > 30
    checked = 0
    for f in figures:
        want = expected(ws, f)
        if f.role in ("value", "previous", "last_year", "target"):
            assert want is not None, f"{f} states a figure the data does not hold"
            assert f.value == pytest.approx(want, rel=1e-9), f
            checked += 1
    assert checked > 20
    # a change is the difference of two figures the data holds
    for f in figures:
        if f.role in ("change", "change_pct"):
            a = ws.engine.value(f.indicator, f.unit, f.period)
            ind = ws.catalogue.indicator(f.indicator)
            olds = [o.value for o in (a.previous, a.last_year) if o is not None]
            diffs = [change(a.value, o) if f.role == "change" else change_pct(a.value, o, ind) for o in olds]
            assert any(d is not None and abs(abs(d) - abs(f.value)) < 1e-6 for d in diffs), f


def test_no_figure_in_the_prose_but_stated_ones(annual: Report) -> None:
    """Take every stated figure out of each paragraph: what remains holds no number but years and periods."""
    for block in annual.blocks():
        if not isinstance(block, Paragraph):
            continue
        rest = "".join("\0" if r.figure is not None else r.text for r in block.runs)
        for m in re.finditer(r"(?<!\w)\d+(?:[.,]\d+)*(?![\w])", rest):  # numbers, not names like "5G"
            token = m.group()
            before = rest[: m.start()]
            is_year = re.fullmatch(r"(19|20)\d\d", token) is not None
            in_period = re.search(r"(tháng|quý|T|Q)\s*[\dIVX/]*$", before) is not None or "/" in token
            assert is_year or in_period or PERIOD_WORDS.search(before), (
                f"unstated number {token!r} in: {block.text!r}")


def test_cli_writes_pdf_and_docx_that_state_the_data(ws: core.Workspace, annual: Report, tmp_path: Path) -> None:
    run_cli(ws, "report", "2024", "--format", "pdf", "--output", str(tmp_path))
    run_cli(ws, "report", "2024", "--format", "docx", "--output", str(tmp_path))
    pdf_path = tmp_path / f"{annual.id}.pdf"
    docx_path = tmp_path / f"{annual.id}.docx"
    assert pdf_path.exists() and docx_path.exists()
    assert not list(tmp_path.glob("*.tmp*")), "a temporary file was left behind"

    # DOCX: paragraphs and table cells, read back
    d = docx.Document(io.BytesIO(docx_path.read_bytes()))
    doc_text = "\n".join(p.text for p in d.paragraphs)
    cells = "\n".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    for block in annual.blocks():
        if isinstance(block, Paragraph):
            assert block.text in doc_text, block.text
    for f in annual.figures():
        assert f.text in doc_text or f.text in cells, f
    assert annual.title in doc_text

    # PDF: its text carries the same sentences, diacritics included
    reader = pypdf.PdfReader(io.BytesIO(pdf_path.read_bytes()))
    pdf_text = squash("".join(page.extract_text() for page in reader.pages))
    assert len(reader.pages) > 2
    assert squash(annual.title) in pdf_text
    for block in annual.blocks():
        if isinstance(block, Paragraph):
            assert squash(block.text) in pdf_text, block.text
    for word in ("Chuyển đổi số", "Chính phủ số", "Xã hội số", "khối bộ", "khối tỉnh"):
        assert squash(word) in pdf_text or squash(word.capitalize()) in pdf_text, word

    # and its first page drawn, for a look
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm is not None, "pdftoppm is missing: scripts/browser.sh installs poppler-utils"
    subprocess.run([pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf_path), str(tmp_path / "page")],
                   check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 2 and all(p.stat().st_size > 5_000 for p in pngs)


def test_the_same_data_gives_the_same_report(ws: core.Workspace, annual: Report) -> None:
    specs = load_specs([ws.root / "catalogue" / "reports"])
    p = Period.parse("2024")
    again = compose(ws.engine, spec_for(specs, p, None), p, lang="vi", generated_at=annual.generated_at)
    assert again.text() == annual.text()


def test_web_lists_writes_and_serves_reports(ws: core.Workspace, make_client: MakeClient) -> None:
    public = make_client(ws, follow_redirects=False)
    assert public.get("/reports").status_code == 200

    def session(username: str) -> tuple[TestClient, str]:
        c = make_client(ws, app=public.app, user=username, follow_redirects=False)
        return c, c.csrf

    # a province's reporter may not write the national report; the public may not either
    dn, dn_csrf = session("dn")
    r = dn.post("/reports", data={"period": "2024Q3", "format": "html", "csrf": dn_csrf})
    assert r.status_code == 403
    assert public.post("/reports", data={"period": "2024Q3"}).status_code == 303  # to the login page

    rev, csrf = session("rev")
    wrong = rev.post("/reports", data={"period": "2024Q3", "format": "html", "csrf": "wrong"})
    assert wrong.status_code == 403 and "CSRF" in wrong.text  # said on the reports page itself
    page = rev.get("/reports")
    assert 'data-testid="report-form"' in page.text
    bad = rev.post("/reports", data={"period": "2024Q9", "format": "html", "csrf": csrf})
    assert bad.status_code == 400 and "2024Q9" in bad.text
    r = rev.post("/reports", data={"period": "2024Q3", "format": ["html", "docx"], "csrf": csrf})
    assert r.status_code == 303, r.text
    listing = public.get("/reports").text
    names = re.findall(r'href="/reports/([^"]+)"', listing)
    assert any(n.endswith(".html") for n in names) and any(n.endswith(".docx") for n in names)
    html_name = next(n for n in names if n.endswith(".html"))
    got = public.get(f"/reports/{html_name}")
    assert got.status_code == 200 and "quý iii" in got.text.lower()
    assert public.get("/reports/..%2Fchiso.toml").status_code == 404
    assert public.get("/reports/nope.pdf").status_code == 404
    # the dashboard links the latest report
    assert 'data-testid="latest-report"' in public.get("/").text


@pytest.mark.parametrize(("form", "floor"), [("text", 0.85), ("pdf", 0.85), ("docx", 0.85)])
def test_round_trip_dataset_report_extract(loaded: core.Workspace, form: str, floor: float) -> None:
    """The 2024 annual report written from the 2024 dataset alone, read back by ``extract`` from its text, its
    PDF and its DOCX: what it reads (unflagged) is what the data holds, and it reads back most of what the
    report states; a PDF's figures keep their page, a DOCX's their paragraph."""
    from chiso.ingest.extract import decode_document, extract
    from chiso.report.render import to_docx, to_pdf

    specs = load_specs([loaded.root / "catalogue" / "reports"])
    p = Period.parse("2024")
    report = compose(loaded.engine, spec_for(specs, p, None), p, lang="vi")
    if form == "text":
        text, fmt = report.text(), "text"
    else:
        text, fmt = decode_document(to_pdf(report) if form == "pdf" else to_docx(report), f"report.{form}")
    read = extract(text, loaded.catalogue, default_period="2024", fmt=fmt)
    proposals = [x for x in read if x.value is not None and not x.flagged]
    if form == "pdf":
        assert all(x.where.page is not None and x.where.page >= 1 for x in read)
    if form == "docx":
        assert all(x.where.paragraph == x.where.line for x in read)
    stated = {(f.indicator, f.unit, f.period): f for f in report.figures() if f.role == "value"}
    assert len(stated) > 40

    wrong = []
    for x in proposals:
        a = loaded.engine.value(x.code, x.unit, x.period, compare=False)
        if a.value is None or abs(a.value - (x.value or 0)) > 0.5 * 10 ** -a.indicator.decimals + 1e-9 * abs(a.value):
            # a figure the report rounds and says approximately ("khoảng 5,4 nghìn tỷ") is right as shown
            ind = a.indicator
            if a.value is not None and x.approximate and x.value == pytest.approx(
                    shown_value(a.value, ind.unit, ind.decimals, ind.kind), rel=1e-12):
                continue
            wrong.append((x.key, x.value, a.value, x.where.snippet if hasattr(x.where, "snippet") else x.where))
    precision = 1 - len(wrong) / len(proposals)
    found = {x.key for x in proposals} & set(stated)
    in_prose = {k for k, f in stated.items() if f.text in report.text()}
    recall = len(found & in_prose) / len(in_prose)
    print(f"round trip ({form}): {len(proposals)} read, precision {precision:.3f}; {len(in_prose)} stated, "
          f"recall {recall:.3f}")
    assert precision >= 0.98, wrong[:10]
    assert recall >= floor
