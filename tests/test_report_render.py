"""The written report laid out as HTML, PDF and DOCX, each read back and compared with the report it came from.

A report is built by hand: Vietnamese text with every class of diacritic, characters that mean something to
HTML or typst ("#", "$", "*", "_", "@", "<b>", "[x]"), a series chart with a target, rankings and a table
long enough to span pages. HTML is parsed, the PDF's text extracted with pypdf (and its first page drawn
with pdftoppm), the DOCX reopened with python-docx.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import pypdf
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from chiso.errors import ChisoError, RenderError
from chiso.report import render
from chiso.report.document import Chart, ChartLine, Paragraph, Report, Run, Section, Stated, Table

# --- a report, by hand ---------------------------------------------------------------------------


def fig(text: str, value: float, role: Any = "value", unit: str = "ministries", ind: str = "DVC01") -> Run:
    return Run(text, Stated(text, value, ind, unit, "2024", role))


TRICKY = '#tag $x$ *đậm* _nghiêng_ @nhãn <b>không đậm</b> [x] ~ \\ & "trích" {a} // 50%'
LEAD = Paragraph(
    (
        Run("Tỷ lệ hồ sơ trực tuyến toàn trình của khối bộ đạt "),
        fig("63,47%", 63.4712),
        Run(", Đà Nẵng, Bắc Giang, Quảng Ninh dẫn đầu; Hà Giang, Điện Biên còn thấp."),
    ),
    "lead",
)
SPECIAL = Paragraph((Run(f"Ký tự đặc biệt: {TRICKY} — "), fig("12,9 nghìn tỷ đồng", 12.9e12, unit="VN"), Run(".")))
# every vowel with every tone, the horn and breve letters, đ, in lower and upper case
DIACRITICS = Paragraph(
    (
        Run(
            "Dấu: à á ả ã ạ ằ ắ ẳ ẵ ặ ầ ấ ẩ ẫ ậ è é ẻ ẽ ẹ ề ế ể ễ ệ ì í ỉ ĩ ị ò ó ỏ õ ọ ồ ố ổ ỗ ộ ờ ớ ở ỡ ợ "
            "ù ú ủ ũ ụ ừ ứ ử ữ ự ỳ ý ỷ ỹ ỵ đ Đ Ơ Ư Ă Â Ê Ô ỨNG HỘ QUẢNG TRỊ; ghi chú "
        ),
        Run("nhấn mạnh", strong=True),
        Run("."),
    ),
    "note",
)
MISSING = Paragraph((Run("Chỉ tiêu DVC05 chưa có số liệu trong kỳ."),), "missing")


def body(i: int) -> Paragraph:
    return Paragraph(
        (
            Run(
                f"Đoạn {i}: chỉ số chuyển đổi số cấp tỉnh năm 2024 của vùng đồng bằng sông Hồng tiếp tục được cải "
                "thiện, trong đó hạ tầng số, nhân lực số và an toàn thông tin mạng đều tăng so với cùng kỳ; đạt "
            ),
            fig(f"{40 + i},{i}%", 40 + i + i / 10, unit="P48"),
            Run(", tăng "),
            fig(f"{i},5 điểm %", i + 0.5, "change", unit="P48"),
            Run(" so với năm 2023, mục tiêu là "),
            fig("80%", 80.0, "target", unit="P48"),
            Run("."),
        )
    )


NAMES = ("Đà Nẵng", "Bắc Giang", "Quảng Ninh", "Thừa Thiên Huế", "TP. Hồ Chí Minh", "Hà Giang", "Điện Biên")
RATES = (92.5, 90.1, 88.0, 85.3, 80.2, 31.7, 28.4)
SERIES = Chart(
    "series",
    "Tỷ lệ hồ sơ trực tuyến toàn trình theo tháng <khối bộ> & #1",
    tuple(f"T{m}" for m in range(1, 13)),
    (
        ChartLine("Khối bộ", (40.1, 42.3, 44.0, None, 48.2, 50.0, 52.4, 55.0, 57.1, 59.9, 61.2, 63.47)),
        ChartLine("Khối tỉnh", (35.0, 36.2, 38.1, 40.0, 41.5, 43.0, 45.2, 47.9, 50.3, 52.0, 54.4, 56.8)),
    ),
    "%",
    2,
    "rate",
    target=(50.0,) * 6 + (60.0,) * 6,
    target_label="Mục tiêu",
    note="Tháng 4 khối bộ chưa báo cáo.",
)
RANKING = Chart(
    "ranking",
    "Xếp hạng tỷ lệ hồ sơ trực tuyến toàn trình năm 2024",
    NAMES,
    (ChartLine("2024", RATES),),
    "%",
    1,
    "rate",
    target=(50.0,) * len(NAMES),
    target_label="Mục tiêu",
    highlight=(5, 6),
    note="Tô màu: dưới mục tiêu.",
)
RANKS = Chart(
    "ranking", "Thứ hạng DTI 2024", NAMES[:4], (ChartLine("2024", (1, 2, 12, 63)),), "bậc", 0, "rank", invert=True
)


def table_rows(n: int) -> tuple[tuple[Run, ...], ...]:
    rows = []
    for k in range(n):
        name, rate = NAMES[k % len(NAMES)], RATES[k % len(RATES)]
        text = f"{rate:.1f}".replace(".", ",")
        count = f"{1_000_000 + 7919 * k:,}".replace(",", ".")
        rows.append(
            (
                Run(f"{name} – dòng {k + 1:02d}"),
                Run(text, Stated(text, rate, "DVC01", f"P{k}", "2024")),
                Run(count, Stated(count, 1_000_000 + 7919 * k, "DVC02", f"P{k}", "2024")),
                Run(f"thứ {k + 1}", Stated(f"thứ {k + 1}", k + 1, "DVC01", f"P{k}", "2024", "rank")),
            )
        )
    return tuple(rows)


TABLE = Table(
    "Tỷ lệ hồ sơ trực tuyến theo tỉnh, năm 2024",
    ("Tỉnh, thành phố", "Tỷ lệ (%)", "Số hồ sơ <đã nhận>", "Xếp hạng"),
    table_rows(70),
    (False, True, True, True),
    note="Số liệu <sơ bộ> & chưa kiểm toán.",
)
SMALL_TABLE = Table(
    "Bảng #2 *nhỏ*",
    ("Khối", "Giá trị"),
    ((Run("Bộ_ngành [x]", strong=True), Run("63,47%", Stated("63,47%", 63.4712, "DVC01", "ministries", "2024"))),),
    (False, True),
)


def make_report(lang: str = "vi") -> Report:
    return Report(
        id="bao-cao-cds-2024",
        template="annual",
        period="2024",
        kind="annual",
        lang=lang,
        title="Báo cáo tình hình chuyển đổi số năm 2024 #1",
        subtitle="Kỳ báo cáo: năm 2024 (số liệu đến 31/12/2024)",
        issuer="Bộ Thông tin và Truyền thông",
        generated_at=datetime(2025, 1, 5, 9, 30),
        sections=(
            Section("summary", "Tóm tắt $ưu tiên$", (LEAD, SPECIAL, DIACRITICS, *(body(i) for i in range(1, 7)))),
            Section(
                "digital_government",
                "Chính phủ số",
                (SERIES, *(body(i) for i in range(7, 12)), RANKING, RANKS, SMALL_TABLE, MISSING),
            ),
            Section("annex", "Phụ lục: bảng số liệu", (TABLE,)),
        ),
        sources=(("QĐ-411", "Quyết định 411/QĐ-TTg"),),
        notes=("Tỷ lệ tính trên tổng số hồ sơ.",),
        missing=("DVC05",),
    )


REPORT = make_report()
PARAGRAPHS = [b for b in REPORT.blocks() if isinstance(b, Paragraph)]
CHARTS = [b for b in REPORT.blocks() if isinstance(b, Chart)]
TABLES = [b for b in REPORT.blocks() if isinstance(b, Table)]


def squash(text: str) -> str:
    """NFC, no whitespace at all: the PDF breaks lines (and justifies) where the layout did."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


@pytest.fixture(scope="module")
def html_text() -> str:
    return render.to_html(REPORT)


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return render.to_pdf(REPORT)


@pytest.fixture(scope="module")
def pdf(pdf_bytes: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf_bytes))


@pytest.fixture(scope="module")
def pdf_text(pdf: pypdf.PdfReader) -> str:
    return squash("".join(page.extract_text() for page in pdf.pages))


@pytest.fixture(scope="module")
def document() -> Any:
    return docx.Document(io.BytesIO(render.to_docx(REPORT)))


# --- HTML ----------------------------------------------------------------------------------------


class Page(HTMLParser):
    """The parts of the HTML the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.paragraphs: list[str] = []
        self.strong_figures: list[str] = []
        self.cells: list[tuple[str, str, str | None]] = []  # (th|td, text, class)
        self.captions: list[str] = []
        self._buf: dict[int, list[str]] = {}
        self._attrs: dict[int, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("meta", "br", "img", "link"):
            return
        self.stack.append(tag)
        self._buf[len(self.stack)] = []
        self._attrs[len(self.stack)] = dict(attrs)

    def handle_endtag(self, tag: str) -> None:
        depth = len(self.stack)
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        text = "".join(self._buf.pop(depth))
        attrs = self._attrs.pop(depth)
        self.stack.pop()
        if depth - 1 in self._buf:
            self._buf[depth - 1].append(text)
        if tag == "p":
            self.paragraphs.append(text)
        elif tag == "strong" and "figure" in (attrs.get("class") or ""):
            self.strong_figures.append(text)
        elif tag in ("th", "td"):
            self.cells.append((tag, text, attrs.get("class")))
        elif tag in ("caption", "figcaption"):
            self.captions.append(text)

    def handle_data(self, data: str) -> None:
        if self.stack and "svg" not in self.stack and "style" not in self.stack:
            self._buf[len(self.stack)].append(data)


@pytest.fixture(scope="module")
def page(html_text: str) -> Page:
    p = Page()
    p.feed(html_text)
    p.close()
    assert p.stack == [], "unclosed elements"
    return p


def test_html_states_every_paragraph_and_figure(page: Page) -> None:
    for b in PARAGRAPHS:
        assert b.text in page.paragraphs, b.text
    in_paragraphs = [r.text for b in PARAGRAPHS for r in b.runs if r.figure is not None]
    assert page.strong_figures == in_paragraphs
    assert ("html", {"lang": "vi"}) in page.tags
    heads = [c for c in page.captions if c.startswith(("Hình", "Bảng"))]
    assert heads == [
        f"Hình 1. {SERIES.title}",
        f"Hình 2. {RANKING.title}",
        f"Hình 3. {RANKS.title}",
        f"Bảng 1. {SMALL_TABLE.title}",
        f"Bảng 2. {TABLE.title}",
    ]


def test_html_is_self_contained(html_text: str, page: Page) -> None:
    assert "http://" not in html_text and "https://" not in html_text
    assert not [t for t, a in page.tags if t in ("script", "link", "img", "iframe")]
    assert all(not a.get("src") for _, a in page.tags)
    hrefs = [a["href"] for t, a in page.tags if t == "a" and a.get("href")]
    assert hrefs and all(h and h.startswith("#") for h in hrefs)  # the table of contents, within the page
    ids = {a.get("id") for _, a in page.tags}
    assert all(h[1:] in ids for h in hrefs if h)
    assert len([t for t, _ in page.tags if t == "svg"]) == len(CHARTS)
    assert html_text.count("<style>") == 1


def test_html_tables_have_captions_headers_and_right_aligned_numbers(page: Page) -> None:
    heads = [text for tag, text, _ in page.cells if tag == "th"]
    assert heads == list(SMALL_TABLE.header) + list(TABLE.header)
    cells = [(text, cls) for tag, text, cls in page.cells if tag == "td"]
    want = [
        (r.text, "n" if t.numeric[k] else None)
        for t in (SMALL_TABLE, TABLE)
        for row in t.rows
        for k, r in enumerate(row)
    ]
    assert cells == want


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_text_has_every_paragraph_and_figure(pdf_text: str) -> None:
    for b in PARAGRAPHS:
        assert squash(b.text) in pdf_text, b.text
    for f in REPORT.figures():
        assert squash(f.text) in pdf_text, f
    for text in (
        REPORT.title,
        REPORT.subtitle,
        "I.Tóm tắt $ưu tiên$",
        "II.Chính phủ số",
        "Phụ lục: bảng số liệu",
        f"Hình1.{SERIES.title}",
        f"Bảng2.{TABLE.title}",
        "Trang1/",
        TABLE.note or "",
    ):
        assert squash(text) in pdf_text, text


def test_pdf_is_a_multi_page_a4_with_metadata(pdf: pypdf.PdfReader) -> None:
    assert len(pdf.pages) > 2
    box = pdf.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    meta = pdf.metadata
    assert meta is not None and meta.title == REPORT.title and meta.author == REPORT.issuer
    assert pdf.trailer["/Root"]["/Lang"] == "vi-VN"
    n = len(pdf.pages)
    for k, p in enumerate(pdf.pages, 1):
        assert f"Trang {k}/{n}" in p.extract_text()


def test_pdf_table_repeats_its_header_on_every_page_it_spans(pdf: pypdf.PdfReader) -> None:
    first, last = squash(TABLE.rows[0][0].text), squash(TABLE.rows[-1][0].text)
    pages = [squash(p.extract_text()) for p in pdf.pages]
    start = next(i for i, t in enumerate(pages) if first in t)
    end = next(i for i, t in enumerate(pages) if last in t)
    assert end > start, "the annex table should span pages"
    for t in pages[start : end + 1]:
        assert squash("Tỉnh, thành phố") in t and squash("Số hồ sơ <đã nhận>") in t


def _fonts(obj: Any, seen: set[int], out: set[tuple[str, bool]]) -> None:
    """Every font in a resource tree, with whether its program is embedded (SVG images are forms with
    resources of their own)."""
    obj = obj.get_object()
    if id(obj) in seen or not isinstance(obj, dict):
        return
    seen.add(id(obj))
    for font in (obj.get("/Font") or {}).values():
        font = font.get_object()
        desc = font.get("/FontDescriptor")
        if desc is None and "/DescendantFonts" in font:
            desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
        desc = desc.get_object() if desc is not None else {}
        embedded = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        out.add((str(font["/BaseFont"]).split("+", 1)[-1], embedded))
    for xobj in (obj.get("/XObject") or {}).values():
        _fonts(xobj.get_object().get("/Resources") or {}, seen, out)


def test_pdf_uses_only_typst_embedded_fonts(pdf: pypdf.PdfReader) -> None:
    fonts: set[tuple[str, bool]] = set()
    seen: set[int] = set()
    for p in pdf.pages:
        _fonts(p["/Resources"], seen, fonts)
    assert fonts, "no font found"
    assert all(embedded for _, embedded in fonts), fonts
    assert {name.split("-")[0] for name, _ in fonts} <= {"LibertinusSerif", "DejaVuSansMono"}, fonts


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    """A binary greyscale PGM (P5): width, height, pixels."""
    data = path.read_bytes()
    fields = re.match(rb"P5\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert fields is not None, data[:20]
    w, h, maxval = (int(x) for x in fields.groups())
    assert maxval < 256
    return w, h, data[fields.end() : fields.end() + w * h]


def test_pdf_first_page_draws_ink(pdf_bytes: bytes, tmp_path: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm is not None, "pdftoppm is missing (Debian: poppler-utils)"
    (tmp_path / "r.pdf").write_bytes(pdf_bytes)
    subprocess.run(
        [pdftoppm, "-r", "50", "-gray", "-f", "1", "-l", "1", str(tmp_path / "r.pdf"), str(tmp_path / "p")], check=True
    )
    (pgm,) = tmp_path.glob("p-*.pgm")
    w, h, px = read_pgm(pgm)
    assert abs(w - 413) <= 1 and abs(h - 585) <= 1  # A4 at 50 dpi
    dark = sum(1 for v in px if v < 128) / len(px)
    assert 0.01 < dark < 0.3, dark  # text on white: neither blank nor a black page
    assert len(set(px)) > 20  # anti-aliased glyphs, not a flat fill
    subprocess.run(
        [pdftoppm, "-r", "50", "-png", "-f", "1", "-l", "1", str(tmp_path / "r.pdf"), str(tmp_path / "p")], check=True
    )
    (png,) = tmp_path.glob("p-*.png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5_000


def test_chart_text_in_the_pdf_is_real_text(pdf_text: str) -> None:
    # the SVG's labels stay text (not paths): selectable, searchable, with diacritics
    for text in ("Khối bộ", "Khối tỉnh", "Mục tiêu 60%", "63,47%", "Điện Biên", "28,4%"):
        assert squash(text) in pdf_text, text


# --- DOCX ----------------------------------------------------------------------------------------


def test_docx_paragraphs_equal_the_report_with_figures_in_bold(document: Any) -> None:
    by_text = {p.text: p for p in document.paragraphs}
    for b in PARAGRAPHS:
        assert b.text in by_text, b.text
        runs = by_text[b.text].runs
        assert [r.text for r in runs if r.bold] == [r.text for r in b.runs if r.figure is not None or r.strong]
        assert "".join(r.text for r in runs) == b.text
    texts = [p.text for p in document.paragraphs]
    assert REPORT.title in texts and REPORT.subtitle in texts
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["I. Tóm tắt $ưu tiên$", "II. Chính phủ số", "Phụ lục: bảng số liệu"]
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions[:3] == [f"Hình {k}. {c.title}" for k, c in enumerate(CHARTS, 1)]


def test_docx_tables_have_a_repeating_header_and_right_aligned_numbers(document: Any) -> None:
    tables = [t for t in document.tables if tuple(c.text for c in t.rows[0].cells) in {x.header for x in TABLES}]
    assert len(tables) == len(TABLES)
    for got, want in zip(tables, TABLES, strict=True):
        assert tuple(c.text for c in got.rows[0].cells) == want.header
        assert got.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert [[c.text for c in row.cells] for row in got.rows[1:]] == [[r.text for r in row] for row in want.rows]
        for row in got.rows[1:]:
            aligns = [c.paragraphs[0].alignment for c in row.cells]
            assert aligns == [WD_ALIGN_PARAGRAPH.RIGHT if n else WD_ALIGN_PARAGRAPH.LEFT for n in want.numeric]
    strong = tables[0].rows[1].cells[0].paragraphs[0].runs[0]
    assert strong.bold and strong.text == "Bộ_ngành [x]"


def test_docx_has_one_png_per_chart_and_its_properties(document: Any) -> None:
    shapes = document.inline_shapes
    assert len(shapes) == len(CHARTS)
    blips = [s._inline.graphic.graphicData.pic.blipFill.blip.embed for s in shapes]
    parts = [document.part.related_parts[rid] for rid in blips]
    assert all(p.content_type == "image/png" and p.blob.startswith(b"\x89PNG") for p in parts)
    assert [s._inline.docPr.get("descr") for s in shapes] == [c.title for c in CHARTS]
    cp = document.core_properties
    assert (cp.title, cp.author, cp.language) == (REPORT.title, REPORT.issuer, "vi-VN")
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    rpr = normal.element.rPr
    assert rpr.find(qn("w:lang")).get(qn("w:val")) == "vi-VN"
    assert rpr.find(qn("w:rFonts")).get(qn("w:asciiTheme")) is None
    heading = document.styles["Heading 1"].element.rPr.find(qn("w:rFonts"))
    assert heading.get(qn("w:ascii")) == "Times New Roman" and heading.get(qn("w:asciiTheme")) is None
    footer = document.sections[0].footer.paragraphs[0]
    assert footer.text.startswith("Trang ")
    instr = [f.get(qn("w:instr")) for f in footer._p.iter(qn("w:fldSimple"))]
    assert instr == ["PAGE", "NUMPAGES"]
    assert round(document.sections[0].page_width.mm) == 210


# --- all three: what a name may hold survives --------------------------------------------------------


def test_tricky_characters_survive_every_format(page: Page, pdf_text: str, document: Any, html_text: str) -> None:
    assert SPECIAL.text in page.paragraphs
    assert "<b>không đậm</b>" not in html_text and "&lt;b&gt;không đậm&lt;/b&gt;" in html_text
    assert squash(SPECIAL.text) in pdf_text
    assert SPECIAL.text in [p.text for p in document.paragraphs]
    # in a chart title, a table header, a table note and a section title, too
    assert f"Hình 1. {SERIES.title}" in page.captions
    assert squash(SERIES.title) in pdf_text and squash("Số liệu <sơ bộ> & chưa kiểm toán.") in pdf_text
    assert squash("Bảng #2 *nhỏ*") in pdf_text and squash("Bộ_ngành [x]") in pdf_text
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Số hồ sơ <đã nhận>" in cells and "Bộ_ngành [x]" in cells


def test_english_report_labels_in_english() -> None:
    report = make_report("en")
    html_text = render.to_html(report)
    assert '<html lang="en">' in html_text and "Figure 1." in html_text and "Mục lục" not in html_text
    reader = pypdf.PdfReader(io.BytesIO(render.to_pdf(report)))
    text = squash(reader.pages[0].extract_text())
    assert squash("SOCIALIST REPUBLIC OF VIET NAM") in text and "Page1/" in text
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_chart_svg_writes_numbers_in_the_reports_language() -> None:
    vi, en = render.chart_svg(SERIES, "vi"), render.chart_svg(SERIES, "en")
    assert ">63,47%<" in vi and ">63.47%<" in en
    ranking = render.chart_svg(RANKING)
    assert 'data-testid="report-ranking"' in ranking and ranking.count('data-testid="report-ranking-bar"') == 7
    assert ">Mục tiêu 50%<" in ranking
    assert 'font-family="Libertinus Serif' in ranking
    png = render.chart_png(RANKING)
    assert png.startswith(b"\x89PNG")


# --- files ---------------------------------------------------------------------------------------


def test_write_writes_each_format_atomically(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    paths = render.write(REPORT, out)
    assert paths == [out / "bao-cao-cds-2024.html", out / "bao-cao-cds-2024.pdf", out / "bao-cao-cds-2024.docx"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temporary file left
    assert paths[0].read_text(encoding="utf-8").startswith("<!doctype html>")
    assert paths[1].read_bytes().startswith(b"%PDF-")
    assert paths[2].read_bytes().startswith(b"PK")
    assert all(p.stat().st_mode & 0o044 == 0o044 for p in paths)  # readable by the web server, not 0600
    # writing again replaces the files
    again = render.write(REPORT, out, ("pdf",))
    assert again == [paths[1]] and sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)


def test_a_failing_format_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(report: Report) -> bytes:
        raise RenderError("PDF", "typst: boom")

    monkeypatch.setitem(render._RENDERERS, "pdf", broken)
    with pytest.raises(RenderError):
        render.write(REPORT, tmp_path, ("html", "pdf", "docx"))
    assert list(tmp_path.iterdir()) == []


def test_a_failing_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bao-cao-cds-2024.pdf").write_bytes(b"%PDF-old")
    real = render.os.replace

    def replace(src: str, dst: str | Path) -> None:
        if str(dst).endswith(".pdf"):
            raise OSError("disk full")
        real(src, dst)

    monkeypatch.setattr(render.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        render.write(REPORT, tmp_path, ("html", "pdf"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["bao-cao-cds-2024.html", "bao-cao-cds-2024.pdf"]  # no temporary file
    assert (tmp_path / "bao-cao-cds-2024.pdf").read_bytes() == b"%PDF-old"  # the old file, whole


def test_typst_errors_are_chiso_errors_with_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "report.typ").write_text("#let data = json(bytes(sys.inputs.data))\n#nope(data)\n")
    monkeypatch.setattr(render, "TEMPLATES", tmp_path)
    with pytest.raises(ChisoError) as err:
        render.to_pdf(REPORT)
    assert isinstance(err.value, RenderError)
    assert str(err.value) == "report PDF: typst: unknown variable: nope (report.typ:2:1)"
    assert err.value.render("vi").startswith("Không tạo được báo cáo (PDF)")


def test_unknown_format_and_unsafe_id_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="odt"):
        render.write(REPORT, tmp_path, ("odt",))
    bad = Report(**{**REPORT.__dict__, "id": "../escape"})
    with pytest.raises(RenderError, match="safe file name"):
        render.write(bad, tmp_path, ("html",))
    ragged = Table("Lệch", ("A", "B"), ((Run("1"),),), (False, True))
    short = Chart("series", "Thiếu", ("T1", "T2"), (ChartLine("a", (1.0,)),), "%", 1, "rate")
    for block in (ragged, short):
        odd = Report(**{**REPORT.__dict__, "sections": (Section("summary", "Tóm tắt", (block,)),)})
        for fmt in ("html", "pdf", "docx"):
            with pytest.raises(RenderError, match=r"Lệch|Thiếu"):
                render.write(odd, tmp_path, (fmt,))
    assert list(tmp_path.iterdir()) == []
