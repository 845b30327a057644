"""Read figures back from a published Vietnamese report: propose (indicator, unit, period, value) with provenance.

How a figure is read (every rule is general; what is specific to an indicator is data, its ``aliases``):

1. The text is cut into paragraphs (lines: HTML blocks become lines, so line numbers are meaningful),
   sentences and clauses (";" and "trong đó" start a clause).
2. Number phrases are found by ``chiso.ingest.vnnumbers`` (dates, years and labels left out).
3. Indicator names are found through the catalogue's aliases (and names), compared folded (no case, no
   diacritics, no punctuation); a number phrase or a date inside a name may be skipped ("thay thế hơn
   250.600 hồ sơ giấy" matches "thay thế hồ sơ giấy"). A rate's alias "tỷ lệ X" also answers to "X", so
   "X … đạt 92%" reads as the rate of X, and a growth rate's "tăng trưởng X" answers to "X" (a name found
   for several indicators this way goes to the one the figure can be).
4. Each figure goes to the name that holds it, stands right after it ("80,2% hộ gia đình sử dụng cáp quang")
   or stands nearest before it in its clause, then in its sentence, among the indicators the figure can
   belong to: a "%" to a rate (a change "tăng 17,7% so với cùng kỳ" only to a rate that may be negative, a
   growth rate), an amount in "USD"/"đồng" to an indicator in that currency, "thứ 71"/"17/194 quốc gia"
   to a rank, "99,74/100 điểm" to a score, "56/63" to a rate (100·n/N), other numbers to counts and stocks
   (a bare decimal also to an index with no unit, "TII … đạt 0,8511"; "95,8%" to an index component in %);
   the value must lie in the indicator's range. A name takes one figure per unit. A name may also be split
   around the figure ("22 tổ chức tín dụng và 13 trung gian … triển khai ứng dụng VNeID"); a name of one or
   two words ("Nghị định") counts only right after a number; a name after "top 10" speaks of a subset.
   Ties go to the indicator whose counting noun follows the number ("2.662 phiếu"), to a daily average
   near "mỗi ngày" (``count_of`` links it to its count), to a cumulative stock near "tổng cộng", "hiện".
   A figure no name reaches may still be named by the words around it, matched against every indicator's
   name, aliases, numerator and denominator (syllable pairs weighted by rarity): proposed unflagged only
   when most of one name is said and it leads the runner-up clearly (``overlap_name``). A title naming one
   rate gives it to the percents of a sentence that names none.
5. The unit, never guessed: a bloc noun right after the number ("18 bộ, ngành", "63 địa phương", also inside
   a name: "56/63 địa phương ban hành …"), a named unit with the figure in parentheses ("Bộ Y tế (81,2%)"),
   "A, B và C lần lượt đạt x, y và z", a list of named units after it ("100% … như Bộ Công Thương; Bộ Tư
   pháp"), else the nearest unit before it in its clause that is its subject ("cả nước", "khối bộ", "tại các
   địa phương", "Đà Nẵng đạt 95,6%", "của Bộ Tư pháp", "Bộ Công an dẫn đầu với …"); a ministry that only
   reports ("Bộ Thông tin và Truyền thông cho biết", "theo thống kê của Bộ Y tế") is not the unit. Then
   inherited: a unit opening the sentence ("Tại Đồng Nai, …"), else the last one opening a sentence of the
   paragraph when no other unit was named before the figure, else the nation when the title or first lines
   name it ("… quốc gia", "cả nước", "Việt Nam"), else the nation for an indicator of the nation only (its
   catalogue ``levels``). Otherwise the proposal is flagged (the nation is no default). A name two
   units bore goes to the one standing at the figure's period's end ("Bộ Tài chính … 30/6/2025" is the 2025
   ministry). A bloc right after a ranking verb ("dẫn đầu khối bộ, ngành") is the
   ranking's scope, not the unit; a named unit right before the figure ("… và Bộ Ngoại giao 85,3%") owns it.
   The catalogue's ``levels`` is an indicator's only level: one of one level (the DTI cấp bộ) is read only
   for units of that level, and a count or share of one level's members ("cả nước có 3 địa phương ban hành
   …", "100% địa phương đã thành lập …") is that bloc's, with "cả nước" before it or no unit named; one over
   "bộ, ngành, địa phương" together is the nation's (docs/extract.md, "Conventions").
6. The period: a date phrase of the figure's sentence ("Đến tháng 9/2024", "trong Quý I/2024", "9 tháng năm
   2024", "06 tháng đầu năm" / "quý III" with the document's year, "đến hết tháng 12/2024" → the year, "từ
   01/01/2023 đến 15/9/2024" → that day), "vào cuối tháng 11/2024" right after it, a date given earlier in the
   paragraph for the same indicator, else the document's period (its title or first lines). "hiện nay"/"đến
   nay" mean the document's period; dates after "so với" are comparisons; a date inside parentheses dates only
   the figure inside them; a date of publication ("công bố") gives its year; "so với tháng trước" dates a
   figure by the month the paragraph names. "lũy kế đến hết tháng 10/2024" dates a flow January–October (a
   stock: October); ", tính đến ngày 31/8/2025." closing a sentence dates its figures; a clause dated after its
   figure ("…; Việt Nam đứng thứ 5 … năm 2024") is not dated by an earlier clause's date.
7. Comparisons are not values ("tăng 15 bậc", "2,5 lần", "tăng 7 điểm %", "tăng 82,5 triệu so với năm 2023")
   except the base a comparison states outright, for its own period ("so với năm 2023 là 65%", "(cuối năm
   2022 là 30%)", "(cùng kỳ năm 2024 đạt …)" → the main figure's period in 2024). A figure after "mục tiêu",
   "kế hoạch năm" or an aim ("phấn đấu", "yêu cầu … đạt", "tối thiểu"), or in a paragraph opening with "Mục
   tiêu" / "Chỉ tiêu năm 2025:", is a target (of the year named there: "Mục tiêu năm 2025, … là 85%", "đặt mục
   tiêu năm 2025 … đạt 80%"); a forecast ("dự kiến", "sẽ đạt") is nothing; a base with no period ("so với mức
   61,7% của kỳ trước") is left out. Not values either:
   a percent counted or unnamed units pass ("12 tỉnh đạt trên 50%", "một số bộ … trên 80%", "top 10 … đều
   đạt trên 70%"), a share of a subset ("30% hồ sơ … bị trả lại"), a figure in parentheses after a name that
   is no known unit ("Bộ Y (81,2%)"); "N … mới" is a flow, never a stock. "lần lượt" pairs names and units
   with the figures of its list in order; a name takes one figure per unit and date.
   A value and the target beside it ("đạt 34,2%, vượt mục tiêu 30%") are two proposals; "mục tiêu <name> là
   80%" and an aim opening the sentence ("Phấn đấu …, X đạt 55%; 100% xã …") are targets; "tương ứng là" pairs as
   "lần lượt"; an average per member ("bình quân mỗi tỉnh"), a share of a subset ("trong đó 35% số hồ sơ") and a
   level below the unit ("riêng cấp xã") are left out; so is the figure of an organisation whose name ends in
   "Việt Nam" ("Bảo hiểm xã hội Việt Nam": not the nation).
8. Evidence and confidence: each proposal keeps the words that decided its indicator, unit and period
   (``Evidence`` of ``Clue``s, with where each was read: clause, sentence, paragraph, document, none) and a
   ``confidence`` from stated weights (``confidence()``). Flagged (``reason``): no unit named or inherited,
   an ambiguous inheritance (several units before it, a unit named later in its clause, a "lần lượt" list
   that does not pair), two values for one key in one sentence, a figure in a table row (its column heading
   is not read).

Documents (``read_document``): text, HTML, PDF (pypdf; a form feed opens each page, kept as ``Where.page``;
table rows open with a tab) and DOCX (python-docx; a line per paragraph, ``Where.paragraph``), bounded.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import Any

from chiso.catalogue import Catalogue
from chiso.catalogue.models import AveragePerDayIndicator, Indicator, RateIndicator, Unit, UnitType
from chiso.catalogue.names import fold
from chiso.catalogue.periods import Period, PeriodKind
from chiso.errors import ImportFileError, UnknownNameError
from chiso.ingest.vnnumbers import NumberKind, NumberPhrase, find_numbers, parse_decimal

__all__ = [
    "CLUE_SOURCES",
    "Clue",
    "Evidence",
    "Proposal",
    "Where",
    "confidence",
    "decode_document",
    "document_period",
    "extract",
    "html_to_text",
    "is_binary_document",
    "read_document",
]


# --- reading documents ---------------------------------------------------------------------------

_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
}  # fmt: skip
_LEAF_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dd", "dt", "pre", "td", "th", "div"}
_HIDDEN = {"script", "style", "head", "noscript", "template", "title"}


class _TextOfHtml(HTMLParser):
    """Text of an HTML page: one line per block (an empty block or <br> alone gives an empty line), hidden
    elements (head, script, style) dropped, white space inside a line collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.buffer: list[str] = []
        self.hidden = 0
        self.opened = False  # a block opened and nothing written in it yet

    def flush(self, empty_line: bool) -> None:
        line = " ".join("".join(self.buffer).split())
        self.buffer = []
        if line:
            self.lines.append(line)
        elif empty_line:
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.flush(empty_line=True)
        elif tag in _BLOCKS:
            self.flush(empty_line=False)
            self.opened = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.flush(empty_line=True)
        elif tag in _BLOCKS:
            self.flush(empty_line=False)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.flush(empty_line=self.opened and tag in _LEAF_BLOCKS)
            self.opened = False

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.buffer.append(data)
            if data.strip():
                self.opened = False

    def text(self) -> str:
        self.flush(empty_line=False)
        while self.lines and not self.lines[0]:
            self.lines.pop(0)
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return "\n".join(self.lines)


def html_to_text(markup: str) -> str:
    """The text of an HTML document, one block per line (what a reader sees, in order)."""
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    return parser.text()


_HTML_HINT = re.compile(r"<\s*(!doctype\s+html|html|body|p|div|h[1-6]|table|br)\b", re.IGNORECASE)


# Bounds of a document read: a larger file, or a PDF of more pages, is refused naming the file.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 1000
MAX_DOCX_BLOCKS = 100_000  # paragraphs and table rows
TABLE_ROW = "\t"  # opens a line that is a table's row (PDF, DOCX): its figures are flagged, columns unread
_SENTENCE_END = re.compile(r"[.:;!?…]\s*$")
_NEW_BLOCK = re.compile(r"^\s*(?:[-–•*+]|\d{1,2}[.)]\s|[IVX]{1,4}[.)]\s|[a-zđ][)]\s)")


def read_document(path: Path) -> tuple[str, str]:
    """(text, format) of a report file: plain text, HTML, PDF or DOCX; ImportFileError naming the file otherwise."""
    if not path.exists():
        raise ImportFileError(str(path), "no such file / không có tệp này")
    if path.is_dir():
        raise ImportFileError(str(path), "is a folder, not a file / là thư mục, không phải tệp")
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise ImportFileError(str(path), _too_big())
    return decode_document(path.read_bytes(), str(path))


def is_binary_document(name: str) -> bool:
    """Whether a file name says PDF or DOCX (bounded by ``MAX_DOCUMENT_BYTES``, not by the text's length)."""
    return name.lower().endswith((".pdf", ".docx", ".docm"))


def _too_big() -> str:
    mb = MAX_DOCUMENT_BYTES // (1024 * 1024)
    return f"tệp lớn hơn {mb} MB / the file is larger than {mb} MB"


def decode_document(data: bytes, name: str) -> tuple[str, str]:
    """(text, format) of a report's bytes (an upload, a file): UTF-8 (or UTF-16 with a BOM) text or HTML, a PDF
    (format "pdf": a form feed opens each page) or a DOCX (format "docx": one line per paragraph or table row)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ImportFileError(name, _too_big())
    if data[:5] == b"%PDF-" or (name.lower().endswith(".pdf") and b"%PDF-" in data[:1024]):
        return _pdf_text(data, name), "pdf"
    if data[:4] == b"PK\x03\x04" and (name.lower().endswith((".docx", ".docm")) or b"word/" in data[:4096]):
        return _docx_text(data, name), "docx"
    if not data.strip():
        raise ImportFileError(name, "the file is empty / tệp rỗng")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(name, "not valid UTF-16 text / không phải văn bản UTF-16 hợp lệ") from None
    elif b"\x00" in data[:8192]:
        raise ImportFileError(
            name, "a binary file, not text, HTML, PDF or DOCX / tệp nhị phân, không phải văn bản, HTML, PDF hay DOCX"
        )
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(name, "not UTF-8 text / không phải văn bản UTF-8") from None
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise ImportFileError(name, "the file is empty / tệp rỗng")
    if name.lower().endswith((".html", ".htm", ".xhtml")) or _HTML_HINT.search(text[:4096]):
        text = html_to_text(text)
        if not text.strip():
            raise ImportFileError(name, "the HTML page has no text / trang HTML không có nội dung")
        return text, "html"
    return text, "text"


def _paragraphs_of_page(text: str) -> list[str]:
    """A PDF page's lines (pypdf's layout mode) joined back into paragraphs: a line goes on with the next unless
    it ends a sentence or stops well short of the page's width, the next opens a list item or is indented
    further (a paragraph's first line), or an empty line comes between. A line of columns (runs of spaces
    inside) is a table row: a line of its own, its cells joined by " | " and opened by a tab (``TABLE_ROW``)."""
    out: list[str] = []
    current, indent, short = "", 0, False
    rows = text.replace("\r", "\n").split("\n")
    width = max((len(r.rstrip()) for r in rows), default=0)
    for raw in rows:
        content = raw.strip()
        if not content:
            if current:
                out.append(current)
                current = ""
            continue
        lead = len(raw) - len(raw.lstrip())
        if re.search(r"\S\s{3,}\S", content):
            if current:
                out.append(current)
                current = ""
            out.append(TABLE_ROW + " | ".join(re.split(r"\s{3,}", content)))
            continue
        line = " ".join(content.split())
        # a line well short of the page's width ended its paragraph (a title, a paragraph's last line)
        if current and (_SENTENCE_END.search(current) or _NEW_BLOCK.match(line) or lead > indent + 1 or short):
            out.append(current)
            current = ""
        short = len(raw.rstrip()) < 0.6 * width and not content.endswith("-")
        if not current:
            indent = lead
        current = f"{current} {line}" if current else line
    if current:
        out.append(current)
    return out


def _pdf_text(data: bytes, name: str) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ImportFileError(name, "the PDF is encrypted / tệp PDF được mã hóa (có mật khẩu)")
        n = len(reader.pages)
        if n > MAX_PDF_PAGES:
            raise ImportFileError(name, f"the PDF has {n} pages, more than {MAX_PDF_PAGES} / PDF có {n} trang")
        pages = []
        for page in reader.pages:
            paras = _paragraphs_of_page(page.extract_text(extraction_mode="layout") or "")
            pages.append("\f" + "\n".join(paras))
    except ImportFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        raise ImportFileError(name, "a damaged PDF, not readable / tệp PDF bị hỏng, không đọc được") from None
    text = unicodedata.normalize("NFC", "\n".join(pages))
    if not text.replace("\f", "").strip():
        raise ImportFileError(name, "the PDF has no text (a scan?) / tệp PDF không có văn bản (bản quét?)")
    return text


def _docx_text(data: bytes, name: str) -> str:
    import io
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.element.body.iterchildren():
            tag = block.tag.rsplit("}", 1)[-1]
            if tag == "p":
                lines.append(" ".join("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")).split()))
            elif tag == "tbl":
                for row in block.iter():
                    if row.tag.endswith("}tr"):
                        cells = [
                            " ".join("".join(t.text or "" for t in c.iter() if t.tag.endswith("}t")).split())
                            for c in row.iterchildren()
                            if c.tag.endswith("}tc")
                        ]
                        lines.append(TABLE_ROW + " | ".join(cells))
            if len(lines) > MAX_DOCX_BLOCKS:
                raise ImportFileError(name, f"more than {MAX_DOCX_BLOCKS} paragraphs / hơn {MAX_DOCX_BLOCKS} đoạn")
    except ImportFileError:
        raise
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError, AttributeError, TypeError):
        raise ImportFileError(name, "a damaged DOCX, not readable / tệp DOCX bị hỏng, không đọc được") from None
    except Exception as exc:  # lxml's XMLSyntaxError and the like: a damaged file, said so
        if type(exc).__module__.startswith(("lxml", "docx")):
            raise ImportFileError(name, "a damaged DOCX, not readable / tệp DOCX bị hỏng, không đọc được") from None
        raise
    text = unicodedata.normalize("NFC", "\n".join(lines))
    if not text.strip():
        raise ImportFileError(name, "the DOCX has no text / tệp DOCX không có nội dung")
    return text


# --- proposals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Where a figure stands: line (1-based, as ``cat -n`` numbers it), columns [start, end) of the
    figure in that line (0-based), and the sentence around it; for a PDF its page, for a DOCX its paragraph."""

    line: int
    start: int
    end: int
    snippet: str
    page: int | None = None
    paragraph: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"line": self.line, "start": self.start, "end": self.end, "snippet": self.snippet}
        if self.page is not None:
            out["page"] = self.page
        if self.paragraph is not None:
            out["paragraph"] = self.paragraph
        return out


# Where a clue was read, strongest first; the confidence of a proposal follows them (see ``confidence``).
CLUE_SOURCES = ("clause", "sentence", "paragraph", "table", "document", "catalogue", "none")


@dataclass(frozen=True)
class Clue:
    """The words that decided one field of a proposal: their text, their columns in the figure's line
    ([start, end); -1 when read elsewhere, as the document's title), and where they were read."""

    text: str
    start: int = -1
    end: int = -1
    source: str = "clause"  # one of CLUE_SOURCES

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "start": self.start, "end": self.end, "source": self.source}


_NO_CLUE = Clue("", -1, -1, "none")
# the unit of a figure no text names, read from the catalogue (an indicator of the nation only)
_NATION_ONLY_CLUE = Clue("levels: [nation]", -1, -1, "catalogue")
# the country's people and businesses reported by a ministry, the only unit the text names (convention 6)
_COUNTRY_CLUE = Clue("levels: [nation, province]", -1, -1, "catalogue")
# an owner the catalogue does not hold ("Bộ Quốc phòng", "Tập đoàn VNPT", "Viettel"), the world's figure, or a part
# of the country ("tại các đô thị", "khu vực nông thôn")
_OTHER_OWNER = re.compile(
    r"(?<!\w)(?:Bộ|Tập đoàn|Tổng công ty|Công ty|Ngân hàng|Bảo hiểm xã hội|Quân đội|Công an)\s+[A-ZĐ]"
    r"|(?<!\w)(?:thế giới|toàn cầu|khu vực|ASEAN|các nước|quốc tế|đô thị|nông thôn|vùng|miền)(?!\w)"
    r"|(?<!\w)(?:Viettel|VNPT|FPT|MobiFone)(?!\w)"
)


@dataclass(frozen=True)
class Evidence:
    """Why a proposal says what it says: the words that decided its indicator, its unit and its period."""

    indicator: Clue = _NO_CLUE
    unit: Clue = _NO_CLUE
    period: Clue = _NO_CLUE

    def as_dict(self) -> dict[str, object]:
        return {"indicator": self.indicator.as_dict(), "unit": self.unit.as_dict(), "period": self.period.as_dict()}


# The stated rules of confidence: how far the deciding words stood from the figure, field by field.
# "table": read in the table's header, its row or its caption (chiso.ingest.extract_tables); "catalogue": no unit
# named, the indicator exists only for the nation (its ``levels``)
_UNIT_WEIGHT = {"clause": 1.0, "sentence": 0.9, "paragraph": 0.8, "table": 0.9, "document": 0.75, "catalogue": 0.75,
                "none": 0.3}
_PERIOD_WEIGHT = {"clause": 1.0, "sentence": 1.0, "paragraph": 0.9, "table": 0.9, "document": 0.85, "catalogue": 0.85,
                  "none": 0.3}


def confidence(evidence: Evidence, name_score: float, *, comparison: bool = False) -> float:
    """A confidence in [0, 1]: the product of the unit's and the period's weights (named in the clause >
    in the sentence > inherited from the paragraph > from the document > none), a weight for how the
    indicator was named (in or right by the figure 1.0, before it in the clause 0.9, further 0.75), and
    0.8 for the base of a comparison ("(cuối năm 2022 là 30%)")."""
    name = 1.0 if name_score < 1.0 else 0.9 if name_score < 3.0 else 0.75
    c = _UNIT_WEIGHT[evidence.unit.source] * _PERIOD_WEIGHT[evidence.period.source] * name
    return round(c * (0.8 if comparison else 1.0), 2)


@dataclass(frozen=True)
class Proposal:
    """A figure proposed for review: a value or a target (``value`` None); a target its sentence states beside a
    value ("đạt 34,2%, vượt mục tiêu 30%") is a proposal of its own.

    ``flagged`` proposals (``reason`` says why: the unit or the period was not stated nor inherited
    unambiguously) are shown to a reviewer but never taken by ``--accept-all``."""

    code: str
    unit: str
    period: str
    value: float | None
    where: Where
    target: float | None = None
    approximate: bool = False
    qualifier: str | None = None
    numerator: float | None = None
    denominator: float | None = None
    text: str = ""  # the number phrase as written
    evidence: Evidence = field(default_factory=Evidence)
    confidence: float = 1.0
    flagged: bool = False
    reason: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.code, self.unit, self.period)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "unit": self.unit,
            "period": self.period,
            "value": self.value,
            "target": self.target,
            "approximate": self.approximate,
            "qualifier": self.qualifier,
            "where": self.where.as_dict(),
            "evidence": self.evidence.as_dict(),
            "confidence": self.confidence,
            "flagged": self.flagged,
            "reason": self.reason,
        }


# --- the catalogue's names, as token sequences ---------------------------------------------------


@dataclass(frozen=True)
class _Alias:
    tokens: tuple[str, ...]
    codes: tuple[str, ...]


@dataclass(frozen=True)
class _Names:
    by_first: dict[str, list[_Alias]]  # first token -> aliases, longest first
    groups: list[tuple[tuple[str, ...], str, bool]]  # (tokens, unit code, after a number only)
    units_of_count: frozenset[str]  # the counting nouns of count and stock indicators ("phiếu", "hồ sơ")
    per_day_of: dict[str, tuple[str, ...]]  # a count -> the daily averages of it (``count_of``)
    by_head: dict[str, list[tuple[_Alias, int]]]  # first word after a leading "số", "tổng số" -> (alias, where)
    bloc_headed: list[tuple[_Alias, int]]  # names opening with a bloc ("bộ, ngành, địa phương kết nối …")


# Nouns that name members of a bloc, as they follow a count ("18 bộ, ngành", "57 tỉnh").
_TYPE_NOUNS: dict[str, tuple[str, ...]] = {
    "VN": ("bo nganh dia phuong", "cac bo nganh dia phuong", "bo nganh va dia phuong", "cac bo nganh va dia phuong"),
    "ministries": ("bo nganh", "cac bo nganh", "bo", "cac bo", "co quan ngang bo"),
    "provinces": (
        "dia phuong",
        "cac dia phuong",
        "tinh thanh pho",
        "cac tinh thanh pho",
        "tinh",
        "cac tinh",
        "tinh thanh",
        "cac tinh thanh",
        "thanh pho",
    ),
}
_BARE_RAW = {"bộ", "tỉnh", "thành", "phố", "các"}
_BARE_NOUNS = {("bo",), ("tinh",), ("thanh", "pho"), ("cac", "bo"), ("cac", "tinh")}  # only right after a count
# A rate "tỷ lệ X" also answers to "X" ("X … đạt 92%"); a growth rate "tăng trưởng X" to "X" (the figure's
# kind, a change, picks it).
_RATE_PREFIXES = (("ty", "le"),)
_SCORE_PREFIXES = (("diem",),)  # a score's "điểm X" also answers to "X" ("X …, đạt 99,74 điểm")
_GROWTH_PREFIXES = (("toc", "do", "tang", "truong"), ("toc", "do", "tang"), ("tang", "truong"), ("tang", "giam", "so"))
_ORG_UNITS = {"co quan", "dia phuong", "don vi", "bo", "tinh", "bo nganh"}
# A name "HEAD + connector + SUBJECT" ("giao dịch qua Nền tảng …", "doanh nghiệp kết nối Cơ sở dữ liệu …")
# matches "SUBJECT … N HEAD"; a leading "số"/"tổng số" of a name is no part of its head.
_HEAD_PREFIXES = (("tong", "so"), ("so", "luong"), ("so",), ("tong",))
_CONNECTORS = (
    ("ket", "noi", "voi"),
    ("ket", "noi"),
    ("thong", "qua"),
    ("qua",),
    ("tren",),
    ("cua",),
    ("voi",),
    ("vao",),
    ("tai",),
    ("duoc",),
)


# a name's level ("Chỉ số chuyển đổi số cấp bộ"): the name without it answers for every level, the unit picks
_LEVELS = (("cap", "bo"), ("cap", "tinh"))
_ACRONYM = re.compile(r"[A-ZĐ]{3,}")


def _rests(rest: tuple[str, ...], acronyms: frozenset[str] = frozenset()) -> list[tuple[str, ...]]:
    """The rest of a split name, and the same without its leading connector; two words at least, or one
    acronym of the catalogue after a connector ("giao dịch qua NDXP": "NDXP ghi nhận 98,5 triệu giao dịch")."""
    out = [rest]
    for c in _CONNECTORS:
        if rest[: len(c)] == c:
            out.append(rest[len(c) :])
            break
    return [r for r in out if len(r) >= 2 or (r is not rest and len(r) == 1 and r[0] in acronyms)]


@lru_cache(maxsize=8)  # per catalogue, not per document: it reads every indicator
def _acronyms(catalogue: Catalogue) -> frozenset[str]:
    """The catalogue's acronyms ("NDXP", "VNeID", "MOOCs"), folded: words of three capitals or more."""
    out = set()
    for ind in catalogue.indicators.values():
        for text in (ind.name.vi, *ind.aliases):
            out |= {fold(w) for w in re.findall(r"[\w]+", text) if sum(c.isupper() for c in w) >= 3}
    return frozenset(out)


def _growth(ind: Indicator) -> bool:
    lo = ind.range[0]
    return ind.is_rate and lo is not None and lo < 0


@dataclass(frozen=True)
class _Overlap:
    """The catalogue's names as syllable pairs, for naming a figure by the words around it (``overlap_name``)."""

    each: dict[str, list[set[tuple[str, str]]]]  # per indicator: each name, alias, numerator and denominator
    grams: dict[str, set[tuple[str, str]]]  # per indicator: all of them
    weights: defaultdict[tuple[str, str], float]  # how rare a pair is among the indicators: log(n / df)


@lru_cache(maxsize=8)
def _shares_of_counts(catalogue: Catalogue) -> dict[str, str]:
    """Round 16: a count or stock -> the one rate whose numerator it is ("Số khách hàng Mobile Money ở nông thôn, miền
    núi, …" -> the share of them): a percent named by the count's words is that rate's ("… 8,2 triệu khách hàng, trong
    đó khoảng 70% ở khu vực nông thôn, miền núi, vùng sâu, vùng xa"). The count's name is the numerator, or the
    numerator with more words after it."""

    def core(text: str) -> str:
        words = re.sub(r"\bluy ke\b", " ", fold(text)).split()
        while words and words[0] in ("tong", "so", "luong"):
            words = words[1:]
        return " ".join(words)

    numerators = {
        code: core(ind.numerator.vi) for code, ind in catalogue.indicators.items() if isinstance(ind, RateIndicator)
    }
    out = {}
    for code, ind in catalogue.indicators.items():
        if ind.kind not in ("count", "stock"):
            continue
        name = core(ind.name.vi)
        rates = [r for r, n in numerators.items() if n and (name == n or name.startswith(n + " "))]
        if len(rates) == 1:
            out[code] = rates[0]
    return out


@lru_cache(maxsize=8)
def _overlap_index(catalogue: Catalogue) -> _Overlap:
    each = {
        code: [set(pairwise(fold(re.sub(r"\([^)]*\)", " ", t)).split())) - _OVERLAP_STOP for t in _names_of(ind)]
        for code, ind in catalogue.indicators.items()
    }
    grams = {code: set().union(*e) for code, e in each.items()}
    df: dict[tuple[str, str], int] = {}
    for g_set in grams.values():
        for g in g_set:
            df[g] = df.get(g, 0) + 1
    return _Overlap(each, grams, defaultdict(float, {g: math.log(len(grams) / c) for g, c in df.items()}))


@lru_cache(maxsize=8)
def _names(catalogue: Catalogue) -> _Names:
    merged: dict[tuple[str, ...], set[str]] = {}
    for code, ind in catalogue.indicators.items():
        for text in (ind.name.vi, *ind.aliases):
            toks = tuple(fold(text).split())
            if not toks:
                continue
            merged.setdefault(toks, set()).add(code)
            prefixes = (
                _GROWTH_PREFIXES
                if _growth(ind)
                else _RATE_PREFIXES
                if ind.is_rate
                else _SCORE_PREFIXES
                if ind.kind == "score"
                else ()
            )
            for pre in prefixes:
                if toks[: len(pre)] == pre and len(toks) - len(pre) >= 2:
                    merged.setdefault(toks[len(pre) :], set()).add(code)
                    break
            for level in _LEVELS:  # "DTI cấp bộ", "DTI cấp tỉnh" also answer to "DTI": the figure's unit picks
                if toks[-len(level) :] == level and len(toks) > len(level):
                    merged.setdefault(toks[: -len(level)], set()).add(code)
    aliases = tuple(_Alias(toks, tuple(sorted(codes))) for toks, codes in merged.items())
    by_first: dict[str, list[_Alias]] = {}
    for a in aliases:
        by_first.setdefault(a.tokens[0], []).append(a)
    for entries in by_first.values():
        entries.sort(key=lambda a: -len(a.tokens))
    groups: list[tuple[tuple[str, ...], str, bool]] = []
    seen: set[tuple[str, ...]] = set()
    for u in catalogue.units.values():
        # a group of communes ("Xã của Hà Nội") is no figure's unit in a report, and would match common words
        if not u.is_group or catalogue.is_local(u):
            continue
        for text in (u.name, u.short, *u.aliases):
            toks = tuple(fold(text).split())
            if toks and toks not in seen:
                seen.add(toks)
                groups.append((toks, u.code, False))
    for code, phrases in _TYPE_NOUNS.items():
        for p in phrases:
            toks = tuple(p.split())
            if toks not in seen:
                seen.add(toks)
                groups.append((toks, code, toks in _BARE_NOUNS))
    groups.sort(key=lambda g: -len(g[0]))
    nouns = frozenset(fold(i.unit.split("/")[0]) for i in catalogue.indicators.values() if i.kind in _COUNT_KINDS)
    per_day: dict[str, list[str]] = {}
    for code, ind in catalogue.indicators.items():
        if isinstance(ind, AveragePerDayIndicator) and ind.count_of:
            per_day.setdefault(ind.count_of, []).append(code)
    by_head: dict[str, list[tuple[_Alias, int]]] = {}
    for a in aliases:
        start = next((len(p) for p in _HEAD_PREFIXES if a.tokens[: len(p)] == p and len(a.tokens) > len(p)), 0)
        by_head.setdefault(a.tokens[start], []).append((a, start))
    bloc_headed = [
        (a, len(g))
        for a in aliases
        for g, _code, _bare in groups
        if a.tokens[: len(g)] == g and len(a.tokens) > len(g) + 2
    ]
    return _Names(by_first, groups, nouns - {""}, {k: tuple(v) for k, v in per_day.items()}, by_head, bloc_headed)


# --- tokens, names and units found in a paragraph ------------------------------------------------


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    fold: str
    raw: str
    skip: int | None  # the number (index) or date phrase it belongs to, which a name may step over


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    alias: _Alias
    first: int  # token indexes
    last: int
    inside: frozenset[int]  # numbers stepped over
    literal: frozenset[int]  # numbers that are part of the name ("giảm tối đa 50% phí")
    contained: bool = False  # inside a longer name

    @property
    def size(self) -> int:
        return len(self.alias.tokens)


@dataclass(frozen=True)
class _UnitMention:
    start: int
    end: int
    unit: str
    bare: bool  # "tỉnh", "bộ": a bloc only right after a count
    named: str | None  # "ministry" | "province" for named units


@dataclass(frozen=True)
class _Date:
    start: int
    end: int
    period: Period
    role: str  # context | until | partial | comparison | start | publication | dateline | years | target
    flow: Period | None = None  # "lũy kế đến hết tháng 10/2024": a flow's months from January (a stock: the month)


_WORD = re.compile(r"\w+")


def _tokens(line: str, skips: Sequence[tuple[int, int]]) -> list[_Token]:
    out = []
    for m in _WORD.finditer(line):
        skip = next((i for i, (s, e) in enumerate(skips) if s <= m.start() and m.end() <= e), None)
        out.append(_Token(m.start(), m.end(), fold(m.group()), m.group(), skip))
    return out


_ABBREVIATION = re.compile(r"(?<!\w)(?:TP|Tp|tp|TX|TT|Q|P|TS|ThS|PGS|GS|BS|KS|Th\.S|ông|bà)\.$")


def _sentences(line: str) -> list[tuple[int, int]]:
    """Sentence spans: a full stop (or ! ? …) and a space before an upper-case letter, digit or quote."""
    spans, start = [], 0
    for m in re.finditer(r"(?:[.!?…]+(?:/\.)?)\s+(?=[\"“'(\[]?[^\W_a-zđ])", line):
        if _ABBREVIATION.search(line, max(0, m.start() - 6), m.start() + 1):
            continue  # "TP. Hồ Chí Minh", "ThS. Nguyễn …": an abbreviation, not a sentence's end
        if m.start() > start:
            spans.append((start, m.start() + 1))
        start = m.end()
    if start < len(line):
        spans.append((start, len(line)))
    return spans


_CLAUSE_BREAK = re.compile(r";|,?\s+\btrong đó\b,?", re.IGNORECASE)
# also with the units named between ("lần lượt là A, B và C với điểm số 87,3; 86,8 và 86,01")
_LIST_SO_FAR = re.compile(
    r"(?:lần lượt|tương ứng)\s+(?:là|đạt|:)?(?:\s*[^\W\d][^\d;.]{0,120}?)?\s*\d[\d.,]*\s*%?"
    r"(?:\s*;\s*\d[\d.,]*\s*%?)*\s*$",
    re.IGNORECASE,
)


def _clauses(line: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    s, e = span
    out, start = [], s
    for m in _CLAUSE_BREAK.finditer(line, s, e):
        if m.group() == ";" and _LIST_SO_FAR.search(line, start, m.start()) and re.match(r"\s*\d", line[m.end() :]):
            continue  # "lần lượt là 89,7; 88,95 và 87,2": a list cut by semicolons, one clause
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    out.append((start, e))
    return out


_LOCATIVES = (
    ("tren", "dia", "ban", "tinh"),
    ("tren", "dia", "ban", "thanh", "pho"),
    ("tren", "dia", "ban", "ca", "nuoc"),
    ("tren", "dia", "ban"),
    ("tren", "ca", "nuoc"),
    ("tren", "toan", "quoc"),
)


# words of aspect or voice a name holds or not without changing what it names ("đã được kích hoạt", "kích hoạt")
_ASPECT = frozenset({"đã", "được", "đang", "đều"})


def _locative_at(tokens: Sequence[_Token], k: int, hi: int) -> int:
    """The length of a locative ("trên địa bàn tỉnh") at token k inside a name, 0 if none."""
    words = tuple(t.fold for t in tokens[k : min(hi, k + 5)])
    return next((len(loc) for loc in _LOCATIVES if words[: len(loc)] == loc), 0)


def _match_aliases(
    tokens: Sequence[_Token], names: _Names, lo: int, hi: int, line: str | None = None
) -> list[_Match]:
    """Names within tokens[lo:hi]; a name may step over whole number/date phrases (two at most), never across a
    ";" ("tỷ lệ 96,9%; 100% hồ sơ được giải quyết đúng hạn" is no name; ``line``, when given, shows it)."""
    found: list[_Match] = []
    for i in range(lo, hi):
        for alias in names.by_first.get(tokens[i].fold, ()):
            toks = alias.tokens
            j, k, stepped, aspect = 0, i, 0, 0
            inside: set[int] = set()
            literal: set[int] = set()
            while j < len(toks) and k < hi:
                t = tokens[k]
                if t.fold == toks[j]:
                    if t.skip is not None:
                        literal.add(t.skip)
                    j += 1
                    k += 1
                elif t.skip is not None and j > 0 and stepped < 2:
                    stepped += 1
                    inside.add(t.skip)
                    first = k
                    while k < hi and tokens[k].skip == t.skip:
                        k += 1
                    upto = tokens[k].start if k < hi else len(line or "")
                    if line is not None and ";" in line[tokens[first - 1].end : upto]:
                        break
                    if line is not None and re.search(r"[,:]", line[tokens[first - 1].end : tokens[first].start]):
                        break  # "93,4% hồ sơ được số hóa, 80,6% hồ sơ …": a list's next figure opens anew; "… dữ
                        # liệu số hóa: 52.936/142.684 hồ sơ": a label closes at its colon (round 16b)
                elif (
                    j > 0 and k + 2 < hi and (t.fold, tokens[k + 1].fold) == ("tong", "cong")
                    and tokens[k + 2].skip is not None
                ):
                    k += 2  # "phục vụ tổng cộng 134 hội nghị": a total's word before the number stepped over
                elif j > 0 and aspect < 2 and t.raw.lower() in _ASPECT and t.skip is None:
                    aspect += 1  # "… quốc gia đã được xác định", "tài khoản … đã được kích hoạt": an aspect word inside
                    k += 1
                elif 0 < j < len(toks) - 1 and aspect < 2 and toks[j] in ("da", "duoc") and t.fold == toks[j + 1]:
                    aspect += 1  # "tài khoản định danh điện tử kích hoạt" for a name written with "đã": the same name
                    j += 1
                elif j > 0 and stepped < 2 and (n := _locative_at(tokens, k, hi)):
                    stepped += 1  # "người trưởng thành trên địa bàn tỉnh có chữ ký số": where, not what
                    k += n
                else:
                    break
            if j == len(toks):
                found.append(
                    _Match(tokens[i].start, tokens[k - 1].end, alias, i, k - 1, frozenset(inside), frozenset(literal))
                )
    # "tiếp nhận 100% hồ sơ trực tuyến toàn trình": a name stepping over the figure whose end runs into a longer
    # name that opens after the figure is no name of it; that longer name is (round 16b)
    found = [
        m
        for m in found
        if not m.inside
        or not any(
            not o.inside and m.start < o.start < m.end < o.end and o.last - o.first > m.last - m.first - 2
            for o in found
        )
    ]
    out = []
    for m in found:
        longer = any(o.start <= m.start and m.end <= o.end and (o.end - o.start) > (m.end - m.start) for o in found)
        out.append(_Match(m.start, m.end, m.alias, m.first, m.last, m.inside, m.literal, longer))
    return sorted(out, key=lambda m: (m.start, m.end))


@dataclass(frozen=True)
class _UnitNames:
    """The named units of ``_unit_index``, longest name first, and the same by their first token: a line is
    looked up word by word, and a report of 10⁴ table rows against every name took a hundred seconds."""

    entries: tuple[tuple[tuple[str, ...], str, str], ...]
    by_first: dict[str, tuple[tuple[tuple[str, ...], str, str], ...]]

    @classmethod
    def of(cls, entries: Sequence[tuple[tuple[str, ...], str, str]]) -> _UnitNames:
        by_first: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        for e in entries:  # each bucket keeps the entries' order: longest first, as the loop over all had it
            by_first.setdefault(e[0][0], []).append(e)
        return cls(tuple(entries), {k: tuple(v) for k, v in by_first.items()})


@lru_cache(maxsize=8)
def _nameable_units(catalogue: Catalogue) -> tuple[tuple[Unit, tuple[tuple[str, ...], ...]], ...]:
    """The units a text may name, with their names' tokens; a ministry only as "Bộ X". Read once per catalogue:
    every unit, 14,000 with the communes, was looked at again for each document."""
    out = []
    for u in catalogue.units.values():
        # districts and communes never: their names ("Hồng Hà", "Phường 1") would make false matches
        if u.is_group or u.is_local:
            continue
        names = []
        for text in {u.name, u.short, *u.aliases}:
            toks = tuple(fold(text).split())
            # a ministry's short name ("Xây dựng", "Y tế") is a common phrase: only "Bộ X" (or a list of them)
            if toks and not (u.type is UnitType.MINISTRY and toks[0] != "bo"):
                names.append(toks)
        out.append((u, tuple(names)))
    return tuple(out)


def _unit_index(catalogue: Catalogue, on: Period | None) -> _UnitNames:
    """(tokens, code, 'ministry'|'province') for named units of the period (any, without one)."""
    out: list[tuple[tuple[str, ...], str, str, int]] = []
    for u, names in _nameable_units(catalogue):
        if on is not None and not u.overlaps(on.start, on.end):
            continue
        kind = "ministry" if u.is_ministry else "province"
        # a name two units bore within the period (Bộ Tài chính before and after 1 March 2025): the one that
        # stands at the period's end, as a figure of the period is reported for it
        later = 0 if on is None or u.overlaps(on.end, on.end) else 1
        out.extend((toks, u.code, kind, later) for toks in names)
    out.sort(key=lambda x: (-len(x[0]), x[3]))
    return _UnitNames.of([(toks, code, kind) for toks, code, kind, _ in out])


def _named_at(tokens: Sequence[_Token], i: int, hi: int, units: _UnitNames) -> bool:
    """Whether a named unit (capitalised) begins at token i."""
    if not tokens[i].raw[:1].isupper():
        return False
    return any(
        i + len(toks) <= hi and tuple(t.fold for t in tokens[i : i + len(toks)]) == toks
        for toks, _, _ in units.by_first.get(tokens[i].fold, ())
    )


_ORGANISATION = "?organisation"  # a named body the catalogue does not hold ("Bảo hiểm xã hội Việt Nam")
_NAME_BREAKS = {
    "cua", "tai", "o", "va", "voi", "cho", "la", "dat", "co", "trong", "theo", "nhu", "tu", "den", "nam", "thang",
    "hien", "nay", "giup", "dua", "cung", "ve", "ca", "toan", "quoc", "nuoc", "xep", "danh", "gia", "nhan", "ghi",
    "giu", "dung", "vuon", "len", "tang", "giam",
}  # fmt: skip  # words no organisation's name holds before "Việt Nam" ("Ngân hàng Thế giới xếp Việt Nam …")


_ORG_HEADS = {
    "bảo", "tập", "ngân", "tổng", "công", "hiệp", "viện", "trung", "cục", "đài", "hội", "quỹ", "học", "ủy", "uỷ",
    "liên", "thông", "đại", "kho", "sở",
}  # fmt: skip  # the first words of a body's name: "Bảo hiểm", "Tập đoàn", "Ngân hàng", "Tổng công ty", "Hiệp hội" …


# bodies the catalogue holds no unit for, by the head of their name: "Bảo hiểm xã hội (Việt Nam)", "Kho
# bạc Nhà nước"; and, followed by a capitalised name, "Tập đoàn …", "Tổng công ty …", "Tổng cục …", "Cục …"
_ORG_NAMES: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("bảo", "hiểm", "xã", "hội"), False),
    (("kho", "bạc", "nhà", "nước"), False),
    (("tổng", "công", "ty"), True),
    (("tập", "đoàn"), True),
    (("tổng", "cục"), True),
    (("cục",), True),
    (("viettel",), False),
    (("vnpt",), False),
    (("mobifone",), False),
    (("vinaphone",), False),
    (("fpt",), False),
)


def _organisation_at(tokens: Sequence[_Token], i: int, hi: int) -> int:
    """The number of tokens of a body's name the catalogue holds no unit for, opening at token i (0: none)."""
    if not tokens[i].raw[:1].isupper():
        return 0
    for head, named in _ORG_NAMES:
        n = len(head)
        if i + n > hi or tuple(t.raw.lower() for t in tokens[i : i + n]) != head:
            continue
        j = i + n
        while j < hi and tokens[j].raw[:1].isupper() and tokens[j].start - tokens[j - 1].end == 1:
            j += 1
        if named and j == i + n:
            continue  # "cục" alone is a common noun
        return j - i
    return 0


def _ends_a_name(tokens: Sequence[_Token], i: int, lo: int) -> bool:
    """Whether "Việt Nam" at token i closes a capitalised name that opens inside the sentence ("… của Bảo hiểm
    xã hội Việt Nam", "Tập đoàn Bưu chính Viễn thông Việt Nam"): an organisation, not the nation."""
    j = i - 1
    while j >= lo and i - j <= 6:
        t, nxt = tokens[j], tokens[j + 1]
        if nxt.start - t.end != 1 or t.skip is not None or t.fold in _NAME_BREAKS:
            return False
        if t.raw[:1].isupper() and not t.raw.isupper() and (j > lo or t.raw.lower() in _ORG_HEADS):
            return True  # at the sentence's start, a body's head noun ("Bảo hiểm xã hội Việt Nam")
        j -= 1
    return False


def _match_units(
    tokens: Sequence[_Token],
    lo: int,
    hi: int,
    names: _Names,
    units: _UnitNames,
    names_at: Sequence[_Match],
) -> list[_UnitMention]:
    """Units named in tokens[lo:hi], outside indicator names ("… khu vực thủ phủ tỉnh" is no unit)."""
    out: list[_UnitMention] = []
    i = lo
    while i < hi:
        hit = None
        org = _organisation_at(tokens, i, hi)
        if org:
            hit = _UnitMention(tokens[i].start, tokens[i + org - 1].end, _ORGANISATION, False, None), org
        for toks, code, kind in units.by_first.get(tokens[i].fold, ()) if hit is None else ():
            n = len(toks)
            if i + n <= hi and tokens[i].raw[:1].isupper() and tuple(t.fold for t in tokens[i : i + n]) == toks:
                hit = _UnitMention(tokens[i].start, tokens[i + n - 1].end, code, False, kind), n
                break
        if hit is None:
            for toks, code, bare in names.groups:
                n = len(toks)
                if i + n <= hi and tuple(t.fold for t in tokens[i : i + n]) == toks:
                    if bare and any(t.raw.lower() not in _BARE_RAW for t in tokens[i : i + n]):
                        continue  # folded "tinh" is also "tính" ("5 tính năng mới"): the bare nouns as written only
                    if any(_named_at(tokens, k, hi, units) for k in range(i + 1, i + n)):
                        continue  # "tỉnh Thanh Hóa" is Thanh Hóa, not the bloc noun "tỉnh thành"
                    if toks == ("viet", "nam") and _ends_a_name(tokens, i, lo):
                        hit = _UnitMention(tokens[i].start, tokens[i + n - 1].end, _ORGANISATION, False, None), n
                        break  # "Bảo hiểm xã hội Việt Nam": an organisation's name, not the nation
                    hit = _UnitMention(tokens[i].start, tokens[i + n - 1].end, code, bare, None), n
                    break
        if hit is None:
            i += 1
            continue
        mention, n = hit
        if not any(m.start <= mention.start and mention.end <= m.end for m in names_at):
            out.append(mention)
        i += n
    return out


# --- dates ---------------------------------------------------------------------------------------

_MONTH_WORDS = {"ba": 3, "sáu": 6, "chín": 9, "mười": 10, "mười một": 11}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_DMY = r"(\d{1,2})/(\d{1,2})/(\d{4})"
_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # "Từ ngày 1/7 đến 31/12/2025" (the first year may be left out): the months it covers, not its end day
    (
        "from_to",
        re.compile(
            r"từ\s+(?:ngày\s+)?(\d{1,2})(?:/(\d{1,2})(?:/(\d{4}))?)?\s+(?:đến|tới)\s+(?:hết\s+)?(?:ngày\s+)?" + _DMY,
            re.IGNORECASE,
        ),
    ),
    # "từ tháng 7 đến (hết) tháng 11/2025": the span of months, not its last month
    (
        "month_span",
        re.compile(
            r"từ\s+tháng\s+(\d{1,2})(?:\s*(?:/|năm)\s*(\d{4}))?\s+(?:đến|tới)\s+(?:hết\s+)?tháng\s+(\d{1,2})"
            r"\s*(?:/|năm|-)\s*(\d{4})",
            re.IGNORECASE,
        ),
    ),
    ("day", re.compile(rf"(?<![\d/]){_DMY}(?![\d/])")),
    ("day_words", re.compile(r"(?<![\d/])(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)),
    # "6 tháng cuối năm 2023": the last months of that year
    ("last_months", re.compile(r"(?<![\d.,])(\d{1,2}|ba|sáu)\s+tháng\s+cuối\s+năm\s+(\d{4})", re.IGNORECASE)),
    (
        "months",
        re.compile(
            r"(?<![\d.,])(\d{1,2}|ba|sáu|chín|mười một|mười)\s+tháng\s+(?:đầu\s+)?(?:năm\s+|/\s*)?(\d{4})",
            re.IGNORECASE,
        ),
    ),
    ("quarter", re.compile(r"quý\s+(I{1,3}|IV|[1-4])\s*(?:/|năm|-)\s*(\d{4})", re.IGNORECASE)),
    ("month", re.compile(r"tháng\s+(\d{1,2})\s*(?:/|năm|-)\s*(\d{4})", re.IGNORECASE)),
    # "Tuần 15 năm 2024", "tuần thứ 15/2024": the ISO week, not the year
    ("week", re.compile(r"(?<!\w)tuần\s+(?:thứ\s+)?(\d{1,2})\s*(?:/|năm|-)\s*(\d{4})", re.IGNORECASE)),
    ("years", re.compile(r"(?<![\d/.,])((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)(?![\d/])")),
    ("year", re.compile(r"(?<![\d/.,\-])((?:19|20)\d\d)(?![\d/]|\s*[-–]\s*(?:19|20)\d\d)")),
]


def _clause_date(para: _Para, phrase: NumberPhrase, clause: tuple[int, int]) -> str | None:
    """The date a clause gives before the figure ("tháng 8/2025 đạt 51,6%"), if any."""
    dates = [d for d in para.dates if d.role == "context" and clause[0] <= d.start < phrase.start]
    return str(dates[-1].period) if dates else None


def _listed_figures(para: _Para, start: int, end: int, kind: NumberKind) -> list[NumberPhrase]:
    """The figures of a list opening after ``start``: "81,2% và 76,5%", "92%, 88% và 85%" (a figure after other
    words, "cao hơn … (63,5%)", ends it)."""
    out: list[NumberPhrase] = []
    for p in para.numbers:
        if p.start < start or p.end > end or p.kind is not kind:
            continue
        if out and not re.fullmatch(r"[\s,;]*(?:và|hoặc)?\s*", para.line[out[-1].end : p.start]):
            # "1.820 tổ và 2.340 tổ": the same measure word after each figure of the list
            gap = re.fullmatch(r"\s*([^\W\d]+)[\s,;]*(?:và|hoặc)?\s*", para.line[out[-1].end : p.start])
            if gap is None or not re.match(rf"\s*{re.escape(gap.group(1))}(?!\w)", para.line[p.end : p.end + 30]):
                break
        out.append(p)
    return out


def _same_period_in(period: str, year: int) -> Period | None:
    """The same months of another year ("2025-01..2025-09" in 2024 → "2024-01..2024-09")."""
    p = Period.parse(period)
    if p.start.year != p.end.year:
        return None
    return Period.parse(period.replace(str(p.start.year), str(year)))


def _closed_paren(line: str, at: int, end: int) -> bool:
    """Whether position ``at`` stands inside parentheses that close before ``end``."""
    depth = 0
    for ch in line[at:end]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return True
            depth -= 1
    return False


def _blank(line: str, mentions: Sequence[_UnitMention]) -> str:
    """The line with the units the catalogue knows blanked out ("Bộ Tài chính"), the same length."""
    for m in mentions:
        line = line[: m.start] + " " * (m.end - m.start) + line[m.end :]
    return line


def _contains(words: Sequence[str], part: Sequence[str]) -> bool:
    n = len(part)
    return any(tuple(words[i : i + n]) == tuple(part) for i in range(len(words) - n + 1))


def _period_of_date(form: str, m: re.Match[str]) -> Period | None:
    if form == "from_to":
        end = date(int(m[6]), int(m[5]), int(m[4]))
        first = date(int(m[3] or m[6]), int(m[2] or m[5]), int(m[1]))  # "từ 8 đến 14/4/2024": the end's month
        if first.day == 1 and (end + timedelta(days=1)).day == 1 and first <= end:
            return _named_span(first.year, first.month, end.year, end.month)  # whole months
        if first.isoweekday() == 1 and end - first == timedelta(days=6):
            return Period.week(*first.isocalendar()[:2])  # Monday to Sunday: one ISO week
        return Period.day(end)  # a span not covering whole months: its end day, flagged (``_Date.role`` "partial")
    if form == "month_span":  # "từ tháng 7 đến tháng 11/2025"
        y2 = int(m[4])
        return _named_span(int(m[2] or y2), int(m[1]), y2, int(m[3]))
    if form in ("day", "day_words"):  # "15/9/2024", "ngày 5 tháng 1 năm 2025"
        return Period.day(date(int(m[3]), int(m[2]), int(m[1])))
    if form == "months":  # "9 tháng năm 2024": the months from January
        n = int(m[1]) if m[1].isdigit() else _MONTH_WORDS[m[1].lower()]
        y = int(m[2])
        named = {3: Period.quarter(y, 1), 6: Period.half(y, 1), 12: Period.year(y)}
        return named.get(n) or (Period.span(y, 1, y, n) if 1 <= n <= 12 else None)
    if form == "last_months":  # "6 tháng cuối năm 2023": 2023S2
        n = int(m[1]) if m[1].isdigit() else _MONTH_WORDS[m[1].lower()]
        y = int(m[2])
        named = {3: Period.quarter(y, 4), 6: Period.half(y, 2), 12: Period.year(y)}
        return named.get(n) or (Period.span(y, 13 - n, y, 12) if 1 <= n <= 12 else None)
    if form == "quarter":
        return Period.quarter(int(m[2]), _ROMAN[m[1].lower()])
    if form == "month":
        return Period.month(int(m[2]), int(m[1]))
    if form == "year":
        return Period.year(int(m[1]))
    if form == "week":
        return Period.week(int(m[2]), int(m[1])) if 1 <= int(m[1]) <= 53 else None
    return Period.year(int(m[2]))  # years: kept only to mark a multi-year span


def _named_span(y1: int, m1: int, y2: int, m2: int) -> Period:
    """The span of months, named as a quarter, half or year when it is one."""
    if y1 == y2 and m2 - m1 == 11 and m1 == 1:
        return Period.year(y1)
    if y1 == y2 and m2 - m1 == 5 and m1 in (1, 7):
        return Period.half(y1, 1 if m1 == 1 else 2)
    if y1 == y2 and m2 - m1 == 2 and m1 in (1, 4, 7, 10):
        return Period.quarter(y1, (m1 + 2) // 3)
    return Period.span(y1, m1, y2, m2)


def _parse_dates(line: str) -> list[tuple[int, int, Period, str]]:
    """(start, end, period, form) of every date phrase in the line; spans never overlap."""
    found: list[tuple[int, int, Period, str]] = []
    for form, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(line):
            if any(s < m.end() and m.start() < e for s, e, _, _ in found):
                continue
            try:
                p = _period_of_date(form, m)
            except (ValueError, KeyError):
                continue
            if p is not None:
                found.append((m.start(), m.end(), p, form))
    return sorted(found, key=lambda f: f[0])


_BEFORE = 48  # characters of context read before a phrase
_NO_YEAR = r"(?!\s*(?:/|-|năm\s+\d|\d))"
_BARE_DATES: list[tuple[str, re.Pattern[str]]] = [
    ("quarter", re.compile(rf"(?<!\w)quý\s+(I{{1,3}}|IV|[1-4])\b{_NO_YEAR}", re.IGNORECASE)),
    ("months", re.compile(rf"(?<![\d.,])(\d{{1,2}}|ba|sáu|chín)\s+tháng\s+đầu\s+năm\b{_NO_YEAR}", re.IGNORECASE)),
    ("month", re.compile(rf"(?<!\w)tháng\s+(1[0-2]|0?[1-9])\b{_NO_YEAR}", re.IGNORECASE)),
    # "(tuần 15)", "Tuần thứ 15,": the ISO week of the document's year
    ("week", re.compile(rf"(?<!\w)tuần\s+(?:thứ\s+)?([1-9]|[1-4]\d|5[0-3])\b{_NO_YEAR}", re.IGNORECASE)),
    # "Lũy kế 11 tháng" under a title "tháng 11/2025": January to November of the document's year
    ("months", re.compile(rf"(?<=kế\s)(\d{{1,2}})\s+tháng\b(?!\s+(?:đầu\s+)?năm){_NO_YEAR}", re.IGNORECASE)),
    # "tỷ lệ … 9 tháng của tỉnh đạt 51,7%", "Kết quả 9 tháng, …": the months from January, not a duration
    # ("sau 3 tháng", "mỗi 6 tháng", "trong vòng 2 tháng", "3 tháng tới")
    (
        "months",
        re.compile(
            r"(?<![\d.,])(?<!sau )(?<!mỗi )(?<!hơn )(?<!khoảng )(?<!gần )(?<!vòng )(?<!hạn )(?<!trong )(?<!lần )"
            r"([2-9]|1[01]|sáu|chín)\s+tháng(?=\s*,|\s+(?:của|đạt|là|qua|vừa qua|năm nay)(?!\w))",
            re.IGNORECASE,
        ),
    ),
]


# a year in a plan's or programme's name ("Kế hoạch chuyển đổi số năm 2024"), words between (a bare "kế
# hoạch năm 2024" is the year of a target, read below)
_PLAN_NAME_YEAR = re.compile(
    r"(?<!\w)(?:kế hoạch|chương trình|đề án|chiến lược)\s+(?:[^\W\d]+\s+){1,8}năm\s*$", re.IGNORECASE
)
# a month or day of publication after a year the clause names ("… năm 2023 công bố tháng 7/2024")
_PUBLISHED_AFTER_YEAR = re.compile(
    r"(?<!\d)(?:19|20)\d\d(?!\d)[^;.\d]{0,80}?(?:được\s+|đã\s+)?công bố\s+(?:vào\s+|trong\s+)?(?:ngày\s+)?$",
    re.IGNORECASE,
)


def _date_role(line: str, start: int, end: int, form: str, period: Period) -> tuple[str, Period]:
    before = line[max(0, start - _BEFORE) : start].lower()
    after = line[end : end + 80].lower()
    if form == "years":
        return "years", period
    if form == "year" and _PLAN_NAME_YEAR.search(before):
        return "named", period  # "đã ban hành Kế hoạch chuyển đổi số năm 2024": a plan's name, not a period
    if _PUBLISHED_AFTER_YEAR.search(before):
        return "named", period  # "Chỉ số … năm 2023 công bố tháng 7/2024": the index's year dates it
    if re.search(r"(?:mục tiêu|chỉ tiêu|kế hoạch)\s+(?:(?:đến|tới)\s+)?(?:năm\s+)?$", before):
        return "target", period  # "mục tiêu 2024: 50%": the year of a target, not of the figures around it
    if re.search(
        r"(?:mục tiêu|chỉ tiêu|kế hoạch)\s+(?:là\s+)?[\d.,]+\s*%?\s*(?:(?:đề ra|đặt ra|được giao)\s+)?"
        r"(?:của|cho|trong)\s+(?:cả\s+)?(?:năm\s+)?$",
        before,
    ):
        return "target", period  # "vượt mục tiêu 85% của năm 2025": the target's year, not the figures' date
    if re.search(r"so với\s+(?:[^\d.;]{0,30}?)$", before):
        return "comparison", period
    if re.search(r"(?:^|\W)đăng:?\s*(?:ngày\s*)?$", before) or re.match(
        r"^\s*(?:[^\W\d]+\s*){0,4},\s*ngày\s*$", before
    ):
        return "dateline", period  # "Ngày đăng 25/01/2025", "Hà Nội, ngày 25/01/2025"
    if form in ("day", "day_words") and re.search(r"(?:^|\W)từ\s+(?:ngày\s+)?$", before):
        return "start", period
    if re.search(r"(?:số|ngày)\s+[\w/\-]*\s*(?:của\s+[^,;.]{0,40})?\s*ngày\s*$", before) or re.search(
        r"(?:ban hành|ký)\b[^.;]{0,40}ngày\s*$", before
    ):
        return "dateline", period  # the date of a legal document: "Quyết định số 1437/QĐ-TTg ngày 20/11/2024"
    if form == "from_to" and period.kind is PeriodKind.DAY:
        return "partial", period  # a span not covering whole months, flagged
    if (
        re.search(r"(?:^|\W)hết\s+$", before)
        and form in ("month", "year")
        and period.end.month == 12
        and not (form == "month" and re.search(r"(?:^|\W)(?:tính\s+)?(?:đến|tới)\s+hết\s+$", before))
    ):
        # hết năm 2024: the year ("(tính) đến hết tháng 12/2024": see ``_dates``)
        return "context", Period.year(period.start.year)
    announced = re.split(r"[;.]", after, maxsplit=1)[0][:60]
    if (
        "công bố" in announced
        and form not in ("quarter", "months")
        and not re.search(r"(?:được|đã được)\s+công bố", announced)
        # "Tính đến hết tháng 12/2024, Bộ … đã công bố 154 nền tảng": a date things are counted to, not published
        and not re.search(r"(?:^|\W)(?:đến|tới)\s+(?:hết\s+|cuối\s+)?$", before)
    ):
        return "publication", Period.year(period.start.year)
    return "context", period


# the former units a merged one was made of: "thành phố Cần Thơ mới (hợp nhất Cần Thơ, Hậu Giang, Sóc Trăng)"
_FORMER_UNITS = re.compile(
    r"\(\s*(?:sau\s+(?:khi\s+)?|trên cơ sở\s+)?(?:hợp nhất|sáp nhập|gộp)\b[^()]*\)"
    r"|(?<=mới )\(\s*(?:bao\s+)?gồm\b[^()]*\)",  # "TP.HCM mới (gồm TP.HCM, Bình Dương và Bà Rịa - Vũng Tàu)"
    re.IGNORECASE,
)
# the unit another is merged with ("Trước thời điểm hợp nhất với Quảng Nam, thành phố …"): a partner, no subject
_MERGED_WITH = re.compile(
    r"(?<!\w)(?:hợp nhất|sáp nhập|gộp)\s+(?:với|vào)\s+(?:(?:tỉnh|thành phố|TP\.?)\s*)?$", re.IGNORECASE
)
_SCHOOL_YEAR = re.compile(r"(?<!\w)năm học\s+(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d(?!\d)", re.IGNORECASE)
_BOTH_BLOCS = re.compile(r"\s+(?:các\s+)?(bộ,\s*ngành,?\s*(?:và\s+)?địa phương)(?!\w)", re.IGNORECASE)
# "…, tính đến ngày 31/8/2025.", "… (tính đến hết tháng 11/2025)." (round 16b): a date closing the sentence
_CLOSING_DATE = re.compile(r"(?:,|\()\s*tính\s+(?:đến\s+|tới\s+)?(?:hết\s+)?(?:ngày\s+)?$", re.IGNORECASE)
_TO_THE_END = re.compile(r"(?:^|\W)(?:tính\s+)?(?:đến|tới)\s+hết\s+$", re.IGNORECASE)
# "lũy kế đến hết tháng 8/2024", "Từ đầu năm đến hết tháng 8/2024": January to that month
_CUMULATIVE_TO = re.compile(
    r"(?:(?:lũy|luỹ) kế\s+(?:từ đầu năm\s+)?|(?<!\w)từ đầu năm\s+)(?:đến|tới)\s+(?:hết\s+)?$", re.IGNORECASE
)


def _dates(line: str) -> list[_Date]:
    out = []
    for start, end, period, form in _parse_dates(line):
        role, p = _date_role(line, start, end, form, period)
        flow = None
        if role == "context" and form == "month" and _CUMULATIVE_TO.search(line[max(0, start - _BEFORE) : start]):
            y, m = p.start.year, p.start.month
            flow = {3: Period.quarter(y, 1), 6: Period.half(y, 1), 12: Period.year(y)}.get(m) or Period.span(y, 1, y, m)
        elif (
            role == "context"
            and form == "month"
            and p.start.month == 12
            and (
                _TO_THE_END.search(line[max(0, start - _BEFORE) : start])
                # "Đến cuối tháng 12/2024, … 94,3%": the year's end too (convention 4, round 16b)
                or re.search(r"(?:^|\W)(?:tính\s+)?(?:đến|tới)\s+cuối\s+$", line[max(0, start - _BEFORE) : start], re.I)
            )
        ):
            # "(tính) đến hết tháng 12/2024": the year for a count or a rate, December for a stock (convention 4)
            out.append(_Date(start, end, p, role, Period.year(p.start.year)))
            continue
        out.append(_Date(start, end, p, role, flow))
    return out


def document_period(text: str) -> Period | None:
    """The report's own period: the first month, quarter, span or year its title or first lines name."""
    found = _document_date(text)
    return found[0] if found else None


# "(tính) đến (hết) ngày 30/9/2024", "tới ngày …": a day a stock is counted at (the date right after these words)
_UP_TO_DAY = re.compile(r"(?:^|\W)(?:đến|tới)\s+(?:hết\s+)?(?:ngày\s+)?$", re.IGNORECASE)
_CUT_OFF_DAY = re.compile(r"(?:^|\W)(?:đến|tới)\s+(?:hết\s+)?(?:ngày\s+)?$")


def _document_date(text: str) -> tuple[Period, str] | None:
    for line in [ln for ln in text.splitlines() if ln.strip()][:4]:
        for d in _dates(line):
            # "Cổng DVCQG: số liệu đến ngày 31/12/2024": the day the data are counted to
            cut_off = d.role == "context" and bool(_CUT_OFF_DAY.search(line[max(0, d.start - 20) : d.start].lower()))
            if re.search(r"(?<!\w)trước đó(?!\w)[^.;]*$", line[: d.start], re.IGNORECASE):
                continue  # "Trước đó, ở kỳ đánh giá năm 2020, …": an earlier time, not the report's (round 16b)
            if d.role in ("context", "publication", "named") and (d.period.kind is not PeriodKind.DAY or cut_off):
                part = _TITLE_PART.match(line, d.end) if d.period.kind is PeriodKind.YEAR else None
                if part:  # "Đề án 06 năm 2025: kết quả tháng 4", "… năm 2025: kết quả quý II"
                    y, n = d.period.start.year, part.group(2)
                    q = _ROMAN.get(n.lower(), 0) if not n.isdigit() else int(n)
                    if part.group(1).lower() == "tháng" and 1 <= q <= 12:
                        return Period.month(y, q), line[d.start : part.end()]
                    if part.group(1).lower() == "quý" and 1 <= q <= 4:
                        return Period.quarter(y, q), line[d.start : part.end()]
                return d.period, line[d.start : d.end]
    return None


# a title's part of its year after a colon: "năm 2025: kết quả tháng 4" (no year of its own)
_TITLE_PART = re.compile(
    r"\s*[:–-]\s*(?:kết quả|số liệu|tiến độ|báo cáo)?\s*(tháng|quý)\s+(\d{1,2}|IV|III|II|I)(?![\w/.-])", re.IGNORECASE
)


# --- reading one figure --------------------------------------------------------------------------

_COUNT_KINDS = ("count", "stock", "average_per_day")
_CURRENCY_UNITS = {"USD", "đồng"}
_AFTER_FILLERS = {"cac", "tong", "so", "nhung", "luong", "da", "duoc", "ban", "hanh", "co", "nguoi", "dan", "va"}
_RANK_FILLERS = {"toan", "cau", "the", "gioi", "quoc", "gia", "nuoc", "trong", "ve", "bang", "tren"}
_RANK_NOUNS = {"quoc", "nuoc", "nen"}  # "17/194 quốc gia", "5/11 nước", "nền kinh tế"
# a score named before its bare figure: "điểm Chỉ số … đạt 87,15", "điểm Bộ chỉ số … là 86"
_SCORE_BEFORE = re.compile(r"(?<!\w)điểm\s+(?:bộ\s+)?chỉ số(?!\w)[^;%]{0,80}?\s(?:đạt|là)\s*$", re.IGNORECASE)
_SCORE_NOUN = re.compile(
    r"\s*điểm\s*(?:[,;.)/]|$|và\b|trên\b|so\b|của\b|(?:bộ\s+)?chỉ số\b)", re.IGNORECASE
)  # "99,74/100 điểm", "0,6342 điểm Chỉ số …" (not "388 điểm kết nối")
_TARGET_BEFORE = re.compile(
    r"(?:mục tiêu|chỉ tiêu|kế hoạch năm|kế hoạch)(?:\s+(?:năm|đến năm|đặt ra|đề ra))?(?:\s+(\d{4}))?"
    r"\s*(?::|\(|là|đạt|của)?\s*(?:\(?\s*là\s*)?$"
    # "Chỉ tiêu Chính phủ giao cho năm 2024 là 50%", "mục tiêu được giao năm 2025 là 80%"
    r"|(?:mục tiêu|chỉ tiêu)\s+(?:[^\W\d]+\s+){0,3}(?:giao|đặt ra|đề ra|đặt)(?:\s+cho)?\s+năm\s+(\d{4})\s+(?:là|:)\s*$"
    # "đạt 56,8%/KH 80%": the year's plan (kế hoạch) written short after the value (round 16b)
    r"|(?<=/)(?-i:KH)\s*$",
    re.IGNORECASE,
)
_PAREN_NAME_AFTER_UNIT = re.compile(r"\s*\(\s*[^()\d;,]{3,60}?\s*(?:(?:đạt|là|:)\s*)?", re.IGNORECASE)
# "Bộ Y tế (81,2%)", "Đà Nẵng (đạt 92,1%)": a named unit's figure in parentheses
_PAREN_AFTER_NAME = re.compile(r"\s*\(\s*(?:(?:đạt|với|là|khoảng|ước đạt|gần|hơn|trên)\s+)*", re.IGNORECASE)
# a ministry that only reports the figure: "Bộ TT&TT cho biết", "Bộ Y tế thông tin"
_REPORTS = re.compile(
    r"\s*(?:\([^)]*\)\s*)?,?\s*(?:cho biết|cho hay|thông tin|báo cáo|công bố|nhận định|đánh giá)\b", re.IGNORECASE
)
# a bare place in a ranking after its unit: "Bộ Thông tin và Truyền thông thứ ba (0,7604)"
_PLACE = re.compile(r"\s*thứ\s+(?:hai|ba|tư|năm|sáu|bảy|tám|chín|mười|\d{1,2})(?!\w)", re.IGNORECASE)
# a name inside an earlier clause's "trong đó" part ("DTI … đạt 0,6612, trong đó an toàn thông tin mạng 0,7203;
# Bộ … đạt 0,6118") is that part's, never carried past its clause
_PART_BEFORE = re.compile(r"(?<!\w)trong đó(?!\w)[^;]*$", re.IGNORECASE)
_RANKING = re.compile(
    r"(?<!\w)(?:dẫn đầu|đứng đầu|xếp sau|xếp thứ|xếp hạng|đứng thứ|giữ vị trí|vươn lên|theo sau|tiếp theo|xếp cuối|"
    r"đứng cuối|xếp đầu|xếp chót|đứng chót)(?!\w)",
    re.IGNORECASE,
)
_RANK_SCOPE = re.compile(
    r"(?:dẫn đầu|đứng đầu|xếp đầu|xếp cuối|đứng cuối|xếp chót|đứng chót|xếp thứ \w+|đứng thứ \w+|thứ hạng \w+|nhất"
    r"|vị trí thứ \w+|cuối cùng)\s+(?:trong\s+|trên\s+)?$",
    re.IGNORECASE,
)
# "đứng thứ 12 cả nước", "cao nhất toàn quốc": the ranking's scope, not a subject of the text
_RANK_NATION = re.compile(
    r"(?:dẫn đầu|đứng đầu|xếp đầu|xếp cuối|đứng cuối|xếp chót|đứng chót|(?:xếp|đứng)(?: ở)?(?: vị trí)? thứ \w+|"
    r"(?:xếp|đứng) hạng \w+|nhất|cuối cùng)\s+(?:trong\s+|trên\s+|của\s+)?(?:cả nước|toàn quốc)(?!\w)",
    re.IGNORECASE,
)
_ANAPHOR = re.compile(
    # also "tại Bộ đạt …", "hồ sơ … của Bộ được tiếp nhận …"
    r"(?<!\w)(?:của|tại)\s+(bộ|tỉnh|thành phố)"
    r"(?=(?:\s+trong\s+(?:quý|tháng|năm|kỳ)(?:\s+(?:này|báo cáo|[\w/]*\d[\w/]*))?)?"
    r"(?:\s+(?:đạt|là|chiếm|lên|ở|vẫn|cũng|tăng|giảm|được|đã|mới|chỉ|lần lượt)\b|\s*[,.;:(]))",
    re.IGNORECASE
)
# the nation's own bodies opening a sentence or clause (after its date): "Chính phủ", "Thủ tướng Chính phủ", "Quốc
# hội", "Hệ thống … của Chính phủ"; not "Thanh tra Chính phủ", "Văn phòng Chính phủ" (the name runs into it)
_NATIONAL_BODY = re.compile(
    # up to two such openers, a topic among them ("Về thể chế, trong quý I/2024, Chính phủ …")
    r"[\s;]*(?:(?i:trong|năm|tháng|quý|lũy kế|tính đến|đến|về)\b[^,;.]{0,30},\s*){0,2}"
    r"((?:Thủ tướng Chính phủ|Chính phủ|Quốc hội)(?!\s+[A-ZĐ])|Hệ thống [^,;.()]{0,60}?của Chính phủ)(?!\w)"
)
_NATION_ISSUES = re.compile(
    r"(?:tham mưu|trình)\s+(?:cho\s+)?"
    r"((?:Thủ tướng Chính phủ|Chính phủ|Quốc hội)(?:,\s*(?:Thủ tướng Chính phủ|Chính phủ))?)"
    r"\s+(?:đã\s+)?(?:ban hành|thông qua|phê duyệt)(?!\w)"
)
# what ends a headline's subject: "Đà Nẵng: …", "Quảng Ninh – điểm các trụ cột DTI 2023"
# one figure that several units named before reach alike ("A và B cùng đạt 100%", "A, B đều có …")
_SHARED = re.compile(r"(?<!\w)(?:cùng|đều)\s+(?:đạt|có|là)(?!\w)", re.IGNORECASE)
# a date between a unit and its verb ("Bộ Y tế quý III/2024 có …", "Bộ KH&ĐT năm 2024 đạt …")
_DATE_LEAD = re.compile(
    r"^\s*,?\s*(?:trong\s+)?(?:(?:\d+\s+tháng\s+(?:đầu\s+)?)?năm\s+\d{4}|quý\s+[ivx\d]+/\d{4}|tháng\s+\d{1,2}/\d{4})"
    r"\s*,?(?=\s)"
)
_HEADLINE_MARK = re.compile(r"\s*[:–—]|\s+-\s")
# a province opening a title as its subject: "Quảng Ninh tổng kết …", "Hà Tĩnh ban hành …", "Cần Thơ (mới): …", not
# "Hà Nội và TP.HCM dẫn đầu", "Đà Nẵng, Huế …", "Hà Nội so với …"
_TITLE_SUBJECT = re.compile(
    r" (?:\(mới\)\s*[:–—]|(?!(?:và|cùng|với|hay|hoặc|so|hơn|như|trong|của|là)(?!\w))(?=[^\W\d_])\w*(?!\w))"
)
# "Đà Nẵng sau hợp nhất: …", "TP.HCM mới: …", "Lào Cai (mới) – …": a note of the 2025 merger after a title's unit
_MERGER_NOTE = re.compile(
    r"\s*(?:\((?:mới|cũ|sau (?:hợp nhất|sáp nhập|sắp xếp))\)|(?:mới|sau (?:hợp nhất|sáp nhập|sắp xếp))(?!\w))",
    re.IGNORECASE,
)


def _after_merger_note(line: str, end: int) -> int:
    m = _MERGER_NOTE.match(line, end)
    return m.end() if m else end

# a bare "Bộ" opening a sentence as the subject of its own dossiers ("Trong tháng, Bộ tiếp nhận 12.400 hồ sơ")
_BARE_MINISTRY = re.compile(
    r"\s*(?:[^,;.]{0,30},\s*)?Bộ\s+(?:đã\s+|đang\s+|cũng\s+)?(?:tiếp nhận|giải quyết|xử lý|số hóa"
    r"|phấn đấu|đặt mục tiêu|đề ra mục tiêu)(?!\w)"  # its aims ("Năm 2024, Bộ phấn đấu đạt …")
)
# a ministry setting its own aim ("Bộ Y tế phấn đấu có 90% …", "Bộ Tư pháp đặt mục tiêu …")
_OWN_AIM = re.compile(
    r"\s*(?:đã\s+|cũng\s+)?(?:phấn đấu|đặt mục tiêu|đề ra mục tiêu|đặt chỉ tiêu)(?!\w)", re.IGNORECASE
)
# a ministry handling its own dossiers ("Bộ Công an tiếp nhận trên 7,5 triệu hồ sơ trực tuyến"): their subject
# … and its own procedures ("Bộ Kế hoạch và Đầu tư cung cấp 92,8% TTHC dưới dạng dịch vụ công trực tuyến", round 16b)
_OWN_DOSSIERS = re.compile(
    r"^\s*(?:đã\s+|đang\s+|cũng\s+)?(?:tiếp nhận|giải quyết|xử lý|số hóa|cung cấp)(?!\w)", re.IGNORECASE
)
_SOME_UNITS = re.compile(
    r"(?<!\w)(?:(?:một số|nhiều|một vài|vài|số ít|phần lớn|đa số|hầu hết|(?:hơn\s+|gần\s+)?một nửa số)\s+(?:các\s+)?"
    r"|(?:top|nhóm)\s+\d+\s+)"
    r"(?:bộ|tỉnh|địa phương|đơn vị|cơ quan|thành phố|cục|vụ|sở|huyện|xã)(?!\w)"  # "một số cục, vụ": parts
    r"|(?<!\w)đều\s+(?:đạt\s+)?(?:trên|dưới|từ|hơn)\s*$"
    r"|(?<!\w)(?:bộ|tỉnh|địa phương|đơn vị|ngành)\s+còn lại(?!\w)",
    re.IGNORECASE,
)
# an aim ("phấn đấu", "yêu cầu … đạt", "tối thiểu") is a target; a forecast ("dự kiến", "sẽ đạt") nothing
_AIM = re.compile(
    r"(?<!\w)(?:phấn đấu|(?<!đáp ứng )yêu cầu|đề ra|đặt ra|đặt mục tiêu|hướng tới|phải đạt|phải bảo đảm|"
    r"phải đảm bảo|tối thiểu|ít nhất"
    r"|(?:giao|đặt|đề ra)\s+(?:chỉ tiêu|mục tiêu)"  # "Chính phủ giao chỉ tiêu X đạt 80%"
    # "… xác định đến cuối năm 2025 đạt 80% …": a year's end it sets itself (round 16b)
    r"|xác định\s+(?:đến|tới)\s+(?:hết\s+|cuối\s+)?năm\s+\d{4})(?!\w)",
    re.IGNORECASE,
)
# a change's base after it: "tăng 15% so với năm 2024", "so cùng kỳ"
_COMPARED_AFTER = re.compile(r"\s*(?:so\s+(?:với|cùng)|(?:cao|thấp)\s+hơn)(?!\w)", re.IGNORECASE)
# what was reached, said against an aim: "mới đạt", "đã đạt", "chỉ đạt", "hiện đạt", "thực tế đạt"
_ACHIEVED = re.compile(
    r"(?<!\w)(?:mới|đã|chỉ|hiện|thực tế|hiện mới|hiện đã)\s+(?:đạt|ở mức|là)(?!\w)", re.IGNORECASE
)
_AIM_PARTS = re.compile(r"(?<!\w)trong đó(?!\w)", re.IGNORECASE)
_CONTRAST = re.compile(r"(?<!\w)(?:nhưng|tuy nhiên|song|trong khi|thực tế)(?!\w)", re.IGNORECASE)
# also after a short subject ("Thành phố đặt mục tiêu …", "Tỉnh đề ra mục tiêu …")
_AIM_OPENS = re.compile(
    r"\s*(?:(?:[^\W\d]+\s+){1,3}(?:đã\s+)?(?:đặt|đề ra)\s+mục tiêu|phấn đấu|đặt mục tiêu|mục tiêu)(?!\w)", re.IGNORECASE
)
_AIM_YEAR_OPENS = re.compile(r"\s*(?:mục tiêu|phấn đấu)\s+(?:đến\s+(?:hết\s+)?)?năm\s+(\d{4})(?!\d)", re.IGNORECASE)
# a heading of a plan's goals, no figure in it: "II. MỤC TIÊU CỤ THỂ", "2. Các chỉ tiêu chủ yếu đến năm 2025:"
_AIM_HEADING = re.compile(
    r"(?:(?:[IVXLC]+|\d+(?:\.\d+)*)\.\s*|[a-zđ]\)\s*)?(?:các\s+)?(?:mục tiêu|chỉ tiêu)(?:\s+(?:cụ thể|chủ yếu|chính"
    r"|tổng quát|phấn đấu))?(?:\s+(?:năm|đến năm|đến hết năm|giai đoạn)\s+[\d\s–-]+)?\s*:?",
    re.IGNORECASE,
)
_NUMBERED_HEADING = re.compile(r"([IVXLC]+|\d+(?:\.\d+)*)\.\s")  # "II. …", "2. …", "2.1. …"
_AIM_LIST_ITEM = re.compile(r"(?:[a-zđ]\)|\d{1,2}\)|[-–+•*·](?=\s))")  # "a) …", "1) …", "- …", "+ …"


def _heading_outranks(level: str, of: str) -> bool:
    """Whether a heading numbered ``level`` ends the section opened by one numbered ``of`` ("II." ends "II.", "2."
    ends "1." and "2.1."; a Roman numeral ends any Arabic one; an unnumbered section ends at any numbered heading)."""
    roman = re.fullmatch(r"[IVXLC]+", level) is not None
    if not of:
        return True
    if re.fullmatch(r"[IVXLC]+", of):
        return roman
    return roman or level.count(".") <= of.count(".")


# "Chỉ tiêu năm 2024 đối với tỷ lệ … là 50% …, 70% đối với khối bộ, ngành …": targets up to the first ";"
_TARGET_OPENS = re.compile(r"\s*chỉ tiêu(?!\w)[^;]*$", re.IGNORECASE)
# "Tỉnh Bắc Kạn đề ra chỉ tiêu năm 2024: 90% …; 70% …": the targets listed after the colon, every clause of them
_TARGETS_LISTED = re.compile(
    r"(?<!\w)(?:đặt|đề ra|đặt ra|giao)\s+(?:các\s+)?(?:chỉ tiêu|mục tiêu)(?!\w)[^;:.]{0,60}:", re.IGNORECASE
)
# "mục tiêu <the indicator's name> là 80%": a target named before its figure, no other figure between
_TARGET_NAMED = re.compile(
    r"(?<!\w)(?<!vượt )(?<!đạt )(?<!với )(?<!thành )(?<!của )mục tiêu(?!\w)[^;]{0,120}?(?:\slà|\sđạt|:)\s*$",
    re.IGNORECASE,
)
# "mục tiêu số giao dịch qua NDXP tăng 20% so với năm 2024": a change the clause names as its target
_TARGET_NAMED_CHANGE = re.compile(
    r"(?<!\w)(?<!vượt )(?<!đạt )(?<!với )(?<!thành )(?<!của )mục tiêu(?!\w)[^;,]{0,120}?\stăng\s+$", re.IGNORECASE
)
# the words joining two figures of a list ("… và 100% …", "…, 95% …")
# a few syllables between a figure and the name that opens after it ("70% hồ sơ thanh toán …")
_FIGURES_NOUN = re.compile(r"\s*(?:[^\W\d]+\s+){0,8}")
# the noun phrase right after a percent, up to a verb, an aspect word or a mark ("100% dịch vụ công thiết
# yếu đã …", "100% xã, phường có …")
_OWN_NOUN = re.compile(
    r"\s+((?:(?!(?:đã|được|có|đạt|là|sẽ|đang|thực hiện|so với|trong|của|và)(?!\w))[^\W\d]+[\s,]+){1,6})",
    re.IGNORECASE,
)
_LIST_JOIN_END = re.compile(r"(?:,|\svà)\s*$", re.IGNORECASE)
# a figure followed by a noun phrase of its own ("100% hồ sơ được số hóa"), not by a date or a comparison
_OWN_WORDS_AFTER = re.compile(
    r"\s+(?!(?:so với|trong|vào|của|năm|tháng|quý|và|trở lên|trên|với|là|đạt|cho|nhưng|song|tuy nhiên|còn|thì|nên"
    r"|do|vì|khi|để|theo|tại|ở|đối với|tăng|giảm|vượt|cao|thấp|hơn|dưới|so|bằng|trước|sau|đến|tới|từ)(?!\w))[^\W\d]",
    re.IGNORECASE,
)
# a clause of a part of the figure before it ("…, trong đó …"): the same unit's
_SUBSET_OPENS = re.compile(r",\s*trong đó\s*$", re.IGNORECASE)
_SUBSET_CLAUSE = re.compile(r"(?:trong đó|trong số đó|riêng)\W*$", re.IGNORECASE)
_LEVEL_BELOW = re.compile(r"^\W*(?:riêng\s+)?(?:ở\s+|tại\s+)?cấp\s+(?:xã|huyện|cơ sở)(?!\w)", re.IGNORECASE)
_AVERAGE_UNIT = re.compile(
    r"(?<!\w)(?:bình quân|trung bình)\s+(?:mỗi|một|trên mỗi|trên một)\s+(?:bộ|tỉnh|địa phương|đơn vị|cơ quan|xã|huyện|"
    r"thành phố|doanh nghiệp|thành viên|tổ|người|cán bộ|hộ|trường|cơ sở)(?!\w)",
    re.IGNORECASE,
)
# "Khối bộ, ngành đạt bình quân 79,12 điểm": an average of the bloc's members' scores, not the bloc's
_AVERAGE_BEFORE = re.compile(
    r"(?<!\w)(?:bình quân|trung bình)(?:\s+(?:chung|cộng|của\s+(?:khối|các)\s+[^\d;,]{0,20}))?"
    r"\s*(?:(?:đạt|là|ở mức|với|khoảng|gần|hơn|trên|:)\s*)*$",
    re.IGNORECASE,
)
# Round 4, caution: words that say the figure is not (all of) the named unit's, or not the named index's.
# A part of the unit: a department, one field, a level or some communes, a share of a subset of dossiers
_PART_OF_UNIT = re.compile(
    r"(?<!\w)(?:của|ở|tại|thuộc|trong)\s+(?:các\s+|cấp\s+|một số\s+|[\d.]+\s+)?"
    r"(?:xã|phường|huyện|quận|sở|phòng|lĩnh vực)(?!\w)"
    r"|(?<!\w)cấp\s+(?:xã|huyện|cơ sở)(?!\w)"
    r"|(?<!\w)khối\s+(?:xã|phường|huyện|quận)(?!\w)"  # "riêng khối quận, huyện đạt 47%"
    r"|(?<!\w)trong số\s+(?:các\s+)?(?:hồ sơ|thủ tục|dịch vụ|giao dịch|tài khoản|người)(?!\w)",
    re.IGNORECASE,
)
_COMMUNES_NATIONWIDE = re.compile(r"(?<!\w)cấp\s+xã\s+(?:trên\s+)?(?:toàn quốc|cả nước)(?!\w)", re.IGNORECASE)
# "Riêng lĩnh vực hộ tịch, …": one field (group, level) set apart, opening the sentence
_FIELD_APART = re.compile(
    r"(?<!\w)riêng\s+(?:đối với\s+|với\s+|ở\s+|tại\s+|trong\s+)?(?:các\s+|nhóm\s+)?(?:lĩnh vực|nhóm thủ tục|nhóm|cấp"
    r"|khu vực|ngành)(?!\w)",
    re.IGNORECASE,
)
# "trong số 12 cơ sở dữ liệu …, có 7 …": the part after the whole; the whole's name is not the part's
_AMONG_PART = re.compile(
    r"(?<!\w)trong số\s+\d[^,;:]*,\s*(?:(?:đã|thì|chỉ|mới|hiện)\s+)*(?:có\s+)?(?:khoảng\s+|gần\s+|hơn\s+)?$",
    re.IGNORECASE,
)
_SUBSET_OF = re.compile(r"(?<!\w)trong số\s+(?:các\s+)?(?:hồ sơ|thủ tục|dịch vụ|giao dịch|tài khoản)", re.IGNORECASE)
# "tỷ lệ" that names nothing new: "tỷ lệ chung toàn quốc", "tỷ lệ này", "đạt tỷ lệ 63,47%"
_GENERIC_RATE = re.compile(
    r"\s*(?:này|đó|trên|tương ứng|chung|bình quân|trung bình|của|ở|tại|đạt|là|cả|toàn|khối|các)(?!\w)", re.IGNORECASE
)
# "Sở Y tế …", not a source "theo Sở …", "Số liệu từ Sở …" (round 16b)
_DEPARTMENT = re.compile(r"(?<!\w)(?<!theo )(?<!Theo )(?<!từ )Sở\s+[A-ZĐ]")
_REPORTER_AFTER = re.compile(
    r"(?<!\w)(?:cho biết|cho hay|báo cáo|thông tin|công bố|cho thấy)(?!\w)", re.IGNORECASE
)
# caution: a district or commune named as the subject ("Huyện Tiên Yên (Quảng Ninh) có …", "UBND xã Tân
# Phú đạt …"), or communes opening the sentence ("Các xã, phường khu vực phía Đông của tỉnh đạt …")
_DISTRICT = re.compile(
    r"(?<!\w)(?:[Hh]uyện|[Qq]uận|[Tt]hị xã|[Tt]hị trấn|[Xx]ã|[Pp]hường|[Đđ]ặc khu)\s+(?!Hội)[A-ZĐ\d]"
)
# caution: an agency, hospital, school or company of a unit named as the subject ("Công an tỉnh Bắc Kạn",
# "Bệnh viện Bạch Mai", "Trường Đại học …", "Công ty …"): a part, never the province or the ministry
_AGENCY = re.compile(
    r"(?<!\w)(?:Công an\s+(?:tỉnh|thành phố|TP\.?)|(?:Bệnh viện|Trung tâm Y tế|Công ty|Tổng công ty)\s+(?=[A-ZĐ])|"
    r"Trường\s+(?:Đại học|Cao đẳng|Trung học|THPT|THCS|Tiểu học|Mầm non|Phổ thông)(?!\w)"
    r"|Trung tâm Phục vụ hành chính công(?!\w))"  # the one-stop centre, a part of the province
)
_PROVINCE_POLICE = {"Công an tỉnh", "Công an thành phố", "Công an TP", "Công an TP."}
# a region, a group of provinces: "khu vực Đồng bằng sông Cửu Long", "các tỉnh miền núi phía Bắc"
_REGION = re.compile(
    r"(?<!\w)(?:khu vực|vùng|các tỉnh|các địa phương|các tỉnh, thành phố)\s+"
    r"(?:miền|đồng bằng|Tây Nguyên|Tây Bắc|Đông Bắc"
    r"|Bắc Trung Bộ|Nam Trung Bộ|Duyên hải|Đông Nam Bộ|Tây Nam Bộ|trung du|miền núi|ven biển|biên giới|phía)(?!\w)",
    re.IGNORECASE,
)
# a city below a province by its prefix: "Thành phố Thủ Đức", "thành phố Bắc Ninh" is checked against the catalogue
_CITY = re.compile(r"(?<!\w)(?:[Tt]hành phố|TP\.?)\s*((?:[A-ZĐ]\w*)(?:\s+[A-ZĐ]\w*)*)")
_SOME_LOCALITIES = re.compile(
    r"\W*(?:(?:trong|tại|ở|năm|tháng|quý)\s[^,;]{0,30},\s*)?(?:các|nhiều|một số|hầu hết)\s+"
    r"(?:xã|phường|huyện|quận|thị xã|thị trấn|sở)(?!\w)",
    re.IGNORECASE,
)
# a sentence opening with the period it counts ("Năm 2024, …", "Trong tháng 5/2025, …") and the words of a total since
# a start ("lũy kế", "kể từ khi", "đến nay")
_PERIOD_OPENS = re.compile(r"\W*(?:trong\s+)?(?:năm|tháng|quý)\s+[\dIVX]", re.IGNORECASE)
# a plan's title and a horizon in its text ("đến năm 2025"): the figure it dates is the plan's target
_PLAN_TITLE = re.compile(r"\s*(?:kế hoạch|chương trình hành động|nghị quyết)(?!\w)", re.IGNORECASE)
_HORIZON = re.compile(r"(?<!\w)đến\s+năm\s+(\d{4})(?!\d)", re.IGNORECASE)
# "…, trong đó 92% …": the parts of what the figure before it counted
_PARTS_LEAD = re.compile(r"(?<!\w)trong đó[,:]?\s*$", re.IGNORECASE)
# a span (months, a quarter, a year) named as a figure's period, and "lũy kế" over such a span (its total)
_SPAN_DATE = re.compile(
    r"(?<!\w)(?:(?:\d{1,2}|sáu|chín)\s+tháng(?:\s+đầu)?\s+năm|năm\s+\d{4}|quý\s+[IVX\d]+)(?!\w)", re.IGNORECASE
)
_SPAN_CUMULATED = re.compile(
    r"(?<!\w)(?:lũy|luỹ) kế\s+(?=(?:trong\s+)?(?:\d{1,2}|sáu|chín)\s+tháng|(?:trong\s+)?năm\s+\d|(?:trong\s+)?quý)",
    re.IGNORECASE,
)
# a date a total runs up to: "tính đến …", "đến hết …", "đến cuối …"
_UP_TO = re.compile(r"(?<!\w)(?:tính\s+)?đến\s+(?:hết|cuối)(?!\w)|(?<!\w)tính\s+đến(?!\w)", re.IGNORECASE)
_SINCE = re.compile(r"(?<!\w)(?:lũy kế|luỹ kế|kể từ|từ khi|tổng cộng|đến nay|tính đến|đến hết)(?!\w)", re.IGNORECASE)
# a span the report's period does not name: "Trong 3 tháng qua", "Tuần qua", "trong tuần"
_VAGUE_SPAN = re.compile(
    r"(?<!\w)(?:\d+|ba|sáu)\s+tháng\s+(?:qua|vừa qua|gần đây|gần nhất)(?!\w)|(?<!\w)(?:tuần qua|trong tuần|tuần này"
    r"|tuần trước)(?!\w)",
    re.IGNORECASE,
)
# the highest or lowest member: "cao nhất", "thấp nhất", "tối đa" before a bloc's or the nation's figure
_EXTREME = re.compile(r"(?<!\w)(?:cao nhất|thấp nhất|tối đa|lớn nhất|nhỏ nhất)(?!\w)", re.IGNORECASE)
# a share of one field after the figure: "50% hồ sơ thuộc lĩnh vực đất đai"
_FIELD_AFTER = re.compile(r"\s*(?:[^\W\d]+\s+){0,3}(?:thuộc|trong)\s+(?:các\s+)?(?:lĩnh vực|nhóm thủ tục)(?!\w)", re.I)
# units counted against a target: "3 địa phương chưa đạt mục tiêu 30%", "12 tỉnh đã vượt chỉ tiêu 50%"
_UNITS_VS_TARGET = re.compile(
    r"\d+\s+(?:bộ|ngành|bộ, ngành|địa phương|tỉnh|tỉnh, thành phố|thành phố|đơn vị|cơ quan|xã|huyện)(?!\w)"
    r"[^;,\d]{0,20}?"
    r"(?:chưa|không|đã|đều)?\s*(?:đạt|vượt|hoàn thành)\s+(?:được\s+)?(?:mục tiêu|chỉ tiêu|kế hoạch)\s*$",
    re.IGNORECASE,
)
# before the 2025 merger: "Trước sáp nhập, tỉnh Hà Giang …"
_BEFORE_MERGER = re.compile(r"(?<!\w)trước\s+(?:khi\s+)?(?:sáp nhập|hợp nhất|sắp xếp)", re.IGNORECASE)
# a relative date, not after "so với": "năm trước", "tháng trước", "cùng kỳ năm trước"
_RELATIVE = re.compile(
    r"(?<!so với )(?<!\w)(?:cùng kỳ\s+)?(?:năm trước|năm ngoái|tháng trước|quý trước|kỳ trước)(?!\w)", re.IGNORECASE
)
# the world, a region, another country: "Trên thế giới, …", "Singapore có …", "bình quân các nước ASEAN"
_FOREIGN = re.compile(
    r"\W*(?:trên\s+)?(?:thế giới|toàn cầu)\s*,"
    r"|(?<!\w)(?:trên thế giới|trên toàn cầu|của thế giới|bình quân thế giới|trung bình thế giới"
    r"|(?:bình quân|trung bình)(?: của)? (?:các nước|khu vực))(?!\w)"
    r"|(?<!\w)toàn cầu\s+(?=(?:có|đạt|ghi nhận|ước)(?!\w))"  # "năm 2024 toàn cầu có 5,5 tỷ người …"
    # "tại các nước kém phát triển, tỷ lệ này chỉ khoảng 35%": a group of countries, not the nation
    r"|(?<!\w)(?:tại|ở|của|nhóm)\s+(?:các\s+)?(?:nước|quốc gia)\s+(?:kém phát triển|đang phát triển|phát triển"
    r"|thu nhập (?:thấp|trung bình|cao))(?!\w)"
    r"|(?<!\w)(?:Singapore|Hàn Quốc|Trung Quốc|Nhật Bản|Thái Lan|Malaysia|Indonesia|Philippines|Hoa Kỳ|Ấn Độ"
    r"|Campuchia|Lào|Brunei|Myanmar|Australia|Liên minh châu Âu|Estonia|Đan Mạch)(?!\w)(?!\s+[A-ZĐ])"
)
_COMPARED = re.compile(r"(?:so với|hơn|sau|trước|như|cùng|với|và|cả)\s*$", re.IGNORECASE)
# a region as the subject of a share ("tỷ lệ … tại khu vực Đông Nam Á đạt 75%"); a rank "trong khu vực
# Đông Nam Á" is the nation's place in it, so this holds for figures other than ranks only
_FOREIGN_REGION = re.compile(
    r"(?<!\w)(?:tại|ở|của|trong|toàn)\s+(?:(?:khu vực|các nước|các quốc gia)\s+)?(?:Đông Nam Á|ASEAN|châu Á"
    r"|Châu Á|châu Âu|Châu Âu|Thái Bình Dương)(?!\w)",
)
# a former unit, now an area within one ("…, trong đó khu vực Ninh Thuận (cũ) đạt 86,4%"); "khu vực" alone is no
# sign ("Tại khu vực Đông Nam Á, Việt Nam xếp hạng 5/11")
_AREA_PART = re.compile(r"\(\s*cũ\s*\)", re.IGNORECASE)
# an anaphor naming no unit of its own ("Tỉnh này", "địa phương này")
_THIS_UNIT = re.compile(r"(?<!\w)(?:tỉnh|thành phố|bộ|ngành|địa phương|đơn vị|cơ quan)\s+(?:này|đó|nói trên)(?!\w)",
    re.IGNORECASE)
# a threshold passed by a count of units ("32/63 địa phương đạt trên 40%")
_UNITS_THRESHOLD = re.compile(
    r"\d+(?:/\d+)?\s+(?:bộ|ngành|bộ, ngành|địa phương|tỉnh|tỉnh, thành phố|thành phố|đơn vị|cơ quan|xã|huyện)(?!\w)"
    r"[^;]{0,80}?(?:trên|hơn|từ|dưới|ít nhất|tối thiểu|vượt|không dưới)\s*$",
    re.IGNORECASE,
)
_UNITS_REACH = re.compile(
    r"\d+(?:/\d+)?\s+(?:bộ|ngành|bộ, ngành|địa phương|tỉnh|tỉnh, thành phố|thành phố|đơn vị|cơ quan|xã|huyện)(?!\w)"
    r"[^;,]{0,40}?(?:đạt|có|ở mức)\s+(?:trên|hơn|từ|dưới|ít nhất|tối thiểu|vượt|không dưới)\s*$",
    re.IGNORECASE,
)
# "có 3 huyện đạt tỷ lệ 100%": the value of some members below the unit, not the unit's
_MEMBERS_VALUE = re.compile(
    r"(?<![\w,.])\d+(?:/\d+)?\s+"
    r"(?:huyện|xã|phường|thị xã|thị trấn|sở|phòng|đơn vị|cơ quan|bệnh viện|trường|cơ sở)(?!\w)"
    r"[^;,\d]{0,40}?(?:đạt|có|với|ở mức)\s+(?:tỷ lệ\s+)?(?:(?:trên|hơn|từ|dưới|tới|đến)\s+)?$"
    # "Khối bộ, ngành có 5 đơn vị đạt tỷ lệ hồ sơ trực tuyến toàn trình 100%", "có 12 tỉnh đạt tỷ lệ … 100%"
    r"|(?<![\w,./])(?!(?:19|20)\d\d\b)\d+\s+"
    r"(?-i:huyện|xã|phường|đơn vị|cơ quan|bộ|bộ, ngành|tỉnh|địa phương|tỉnh, thành phố)(?!\w)"
    r"[^;,\d]{0,20}?(?:đạt|có)\s+tỷ lệ\s[^;,\d]{0,60}$",
    re.IGNORECASE,
)
_UNITS_PASS = re.compile(
    r"\s*(?:bộ|ngành|bộ, ngành|địa phương|tỉnh|tỉnh, thành phố|thành phố|đơn vị|cơ quan|xã|huyện)(?!\w)"
    r"[^;]{0,40}?(?:đạt|có)(?!\w)[^;\d]{0,60}?(?:trên|hơn|từ|dưới|ít nhất|tối thiểu|không dưới|vượt|vượt quá|quá)"
    r"\s*(?:mức\s*)?\d",
    re.IGNORECASE,
)
# "cao hơn cùng kỳ năm 2024 (41,3%)": that year's figure for the same months
# a target's unit after it: "70% đặt ra cho khối địa phương", "90% giao cho các bộ, ngành"; "30% mà
# Chính phủ giao cho khối địa phương", "do Thủ tướng Chính phủ đặt ra cho …" (who set it, then whom for)
_SET_FOR = re.compile(
    r"\s*(?:điểm\s+)?(?:(?:(?:mà|do)\s+(?:Thủ tướng\s+)?(?:Chính phủ|Quốc hội|Trung ương"
    r"|Ban Chỉ đạo[^\d,;]{0,40}?)\s+)?"
    r"(?:đã\s+|được\s+)?(?:đặt ra|đề ra|giao|áp dụng|đặt)\s+)?"
    r"(?:(?:cho|đối với)\s+(?:khối\s+|các\s+)?|của\s+(?=khối\s))",
    re.IGNORECASE,
)
# "mức 30% mà địa phương này đặt ra cho năm 2024": the figure a unit set as its aim, said after it
_AIM_AFTER = re.compile(
    r"\s*(?:mà|do)\s+(?:[^\W\d]+\s+){1,6}?(?:đã\s+)?(?:đặt ra|đề ra|giao|đặt)(?!\w)"
    r"(?:\s+(?:cho|trong|của)\s+năm\s+((?:19|20)\d\d))?",
    re.IGNORECASE,
)
_TARGET_WORD = re.compile(r"(?<!\w)(?:mục tiêu|chỉ tiêu|kế hoạch)(?!\w)[^;]*$", re.IGNORECASE)
# a figure opening its clause (after a date, an approximator): "Năm 2024, hơn 90% …"
_FIGURE_OPENS = re.compile(
    r"\W*(?:(?:trong|năm|tháng|quý|đến|tính đến|lũy kế)\b[^,;]{0,30},\s*)?"
    r"(?:(?:gần|hơn|khoảng|trên|có|đã có|ước|ước tính|xấp xỉ|đến nay|hiện)\s+)*",
    re.IGNORECASE,
)
# the unit closing a figure's noun phrase: "… ở Đà Nẵng", "… tại Bộ Công an", "… trên địa bàn Hà Nội"
_WHERE_OF = re.compile(r"(?<!\w)(?:ở|tại|của|thuộc|trên địa bàn)(?:\s+(?:tỉnh|thành phố))?\s+$", re.IGNORECASE)
_SAME_PERIOD_DATED = re.compile(
    r"cùng kỳ\s+(?:năm\s+)?((?:19|20)\d\d)\s*\(([^()]{3,30})\)\s*(?:là|đạt|:)\s*$", re.IGNORECASE
)
_SAME_PERIOD_PAREN = re.compile(r"cùng kỳ\s+(?:năm\s+)?((?:19|20)\d\d)\s*\(\s*$", re.IGNORECASE)
# "Quý IV/2024, … đạt 74,6%, trong khi cùng kỳ năm 2023 là 51,2%": the main figure's period, in that year
_SAME_PERIOD_BARE = re.compile(
    r"(?<!so với )(?<!\w)cùng kỳ\s+(?:năm\s+)?((?:19|20)\d\d)\s*(?:(?:chỉ|mới|vẫn|cũng)\s+)?(?:là|đạt|ở mức|:)\s*$",
    re.IGNORECASE,
)
# "… 30% GDP vào năm 2030": a target's year right after it
_YEAR_RIGHT_AFTER = re.compile(r"\s+(?:trong\s+|của\s+)?năm\s+((?:19|20)\d\d)(?![\d/])", re.IGNORECASE)
_TARGET_YEAR_AFTER = re.compile(
    r"\s*(?:[^\W\d]+\s+){0,2}?(?:vào|đến|tới)\s+(?:hết\s+)?năm\s+((?:19|20)\d\d)", re.IGNORECASE
)
# a pillar or component of an index ("về trụ cột Nhân lực số trong DTI cấp bộ")
_COMPONENT = re.compile(r"(?<!\w)(?:trụ cột|chỉ số thành phần|chỉ số con|chỉ số phụ|nhóm chỉ số)(?!\w)", re.IGNORECASE)
_FORECAST = re.compile(
    r"(?<!\w)(?:dự kiến|dự báo|sẽ|có thể(?=\s+(?:sẽ\s+)?(?:đạt|lên|tăng|vượt))|cần(?:\s+phải)?(?=\s+đạt)|nên(?=\s+đạt))"
    r"(?!\w)|^\W*nếu(?!\w)",
    re.IGNORECASE,
)  # "có thể đạt 60%", "Nếu duy trì …": a conditional; "cần đạt 70%": what is needed, no result
_PASSIVE_AFTER = re.compile(r"\s*(?:bị|chưa|không|quá hạn|trễ hạn|phải bổ sung)(?!\w)", re.IGNORECASE)
_PASSIVE_REST = re.compile(
    r"[^,;.()]{0,60}?(?<!\w)(?:bị|chưa|không được|quá hạn|trễ hạn|phải bổ sung)(?!\w)", re.IGNORECASE
)
# "đưa vào khai thác thêm 2 tuyến …", "bổ sung 5 tính năng": the added ones, a flow, not the stock
_ADDED_BEFORE = re.compile(r"(?<!\w)(?:thêm|bổ sung|bổ sung thêm|tăng thêm)\s*(?:được\s+)?$", re.IGNORECASE)
_NEW_AFTER = re.compile(r"\s*(?:[^\W\d]+\s+){1,3}mới(?!\w)", re.IGNORECASE)
# "hai tỷ lệ này", "các chỉ số trên": the names of the sentence before
_PAIR_ANAPHOR = re.compile(
    r"(?<!\w)(?:hai|ba|bốn|các|những)\s+(?:tỷ lệ|chỉ tiêu|chỉ số|con số|số liệu)\s+(?:này|trên|nói trên|đó)(?!\w)",
    re.IGNORECASE,
)
# "…, nâng tổng số tuyến đang hoạt động lên 6 tuyến": the total after the change
_RAISED_TO = re.compile(
    r"(?<!\w)(?:nâng|đưa)\s+(?:tổng\s+)?(?:số\s+)?[^\d;,.]{0,60}?\slên(?:\s+(?:mức|con số))?\s*$", re.IGNORECASE
)
# "x% số <noun> …": the share is taken over that noun (two words of it)
_SHARE_OF = re.compile(r"\s*(?:tổng\s+)?số\s+([^\W\d]+\s+[^\W\d]+)", re.IGNORECASE)
# "Lũy kế đến hết năm 2024": the total to the year's end ("lũy kế đến hết tháng 9": the months so far, a flow)
# a change on the period just before ("so với tháng trước", "so với quý liền trước"), not on a year earlier
_PREVIOUS_PERIOD = re.compile(r"\s*so với\s+(?:tháng|quý|tuần|kỳ)\s+(?:liền\s+)?trước(?!\w)", re.IGNORECASE)
_CUMULATED_TO = re.compile(
    r"(?<!\w)(?:lũy|luỹ) kế\s+(?:từ\s+[^,;.]{0,40}?\s+)?(?:đến|tới)\s+(?:hết\s+)?năm\s", re.IGNORECASE
)
# "Từ khi đưa vào vận hành đến ngày 30/9/2025, e-Cabinet đã phục vụ …": the total since the start
_SINCE_START = re.compile(
    r"(?<!\w)(?:kể\s+)?từ\s+khi\s+(?:chính thức\s+)?(?:được\s+)?(?:đưa vào\s+|bắt đầu\s+)?"
    r"(?:vận hành|triển khai|hoạt động|khai trương|ra mắt)(?!\w)",
    re.IGNORECASE,
)
_NOUN_FIT_FROM = 1.0
# a title of totals to date ("e-Cabinet: số liệu lũy kế đến hết tháng 6/2024"): its counts are cumulative
_TITLE_CUMULATIVE = re.compile(r"(?<!\w)(?:lũy|luỹ) kế(?!\w)", re.IGNORECASE)
_OVERLAP_MIN = 6.0  # the weight of shared syllable pairs a guess needs (a pair in one indicator of 177 weighs 5.2)
_OVERLAP_COVER_MIN = 0.3  # … and the share of one of its names said
_OVERLAP_CLEAR = 8.0  # … to be proposed unflagged, with a lead of _OVERLAP_MARGIN times the runner-up
_OVERLAP_MARGIN = 2.0
_OVERLAP_COVER = 0.6  # … and most of one of its names said
_OVERLAP_ALONE_COVER = 0.5  # … or half of it, when no other indicator shares any of the words
_OVERLAP_STOP = {("ty", "le"), ("so", "luong"), ("tong", "so"), ("da", "duoc"), ("trong", "do"), ("so", "voi")}
# a date right after a figure dates it: "38% năm 2023"; "cao hơn mức 61,5% của tháng 7/2025"
_DATE_RIGHT_AFTER = re.compile(r"\s*(?:của\s+)?(?:năm|tháng|quý)?\s*", re.IGNORECASE)
_PILLAR_PAIRED = 0.5  # the score of a pillar "lần lượt" pairs with its figure
# counting nouns of people, as "người" ("hơn 350 đại biểu để quán triệt Nghị định …" counts no decrees)
_PEOPLE = {("cong", "dan"), ("nguoi", "dan"), ("dai", "bieu"), ("hoc", "vien")}
# words that open the next measure's name ("… 80% và tỷ lệ …", "… 0,5873 và trụ cột …")
_NAME_OPENERS = {("va", "ty", "le"), ("va", "ty", "trong"), ("va", "tru", "cot")}
_RESPECTIVELY = re.compile(r"(?<!\w)(?:lần lượt|tương ứng)(?!\w)(?!\s+với\b)", re.IGNORECASE)
# the words of a title or first lines that make the nation the document's subject
_MOTTO = re.compile(r"cộng hòa xã hội chủ nghĩa việt nam|cộng hoà xã hội chủ nghĩa việt nam", re.IGNORECASE)
# a report titled as a ministry's or agency's own ("Báo cáo kết quả … của Văn phòng Chính phủ")
_OWN_REPORT = re.compile(r"^\s*báo cáo\b[^:;]*\bcủa\s*$", re.IGNORECASE)
_WHOLE_PROVINCE = re.compile(r"(?<!\w)toàn\s+(tỉnh|thành phố)(?!\w)", re.IGNORECASE)
_STATE_AGENCIES = re.compile(r"(?<!\w)(?:của|các)\s+cơ quan nhà nước(?:\s+các cấp)?(?!\w)", re.IGNORECASE)
_NATIONAL_DATABASE = re.compile(r"(?<!\w)(?:cơ sở dữ liệu|CSDL)\s+quốc gia(?!\w)", re.IGNORECASE)
_NATION_DOC = re.compile(r"(?<!\w)(?:quốc gia|cả nước|toàn quốc|việt nam)(?!\w)", re.IGNORECASE)
# a base in parentheses: "(năm 2023 là 12,1%)", "(cuối năm 2022: 30%)", "(cùng kỳ năm 2024 đạt 40%)", "(ước thực
# hiện năm 2024 là 40 tỷ USD)"
_PAREN_BASE = re.compile(
    r"\(\s*(?:(?:ước\s+)?(?:thực hiện|tính)\s+|ước\s+)?(?:cuối|đầu|hết|cùng kỳ|tháng \d{1,2}/)?\s*"
    r"((?:năm|quý|tháng)?\s*[\w/]*\d{4})"
    r"\s*(?:là|:|đạt|chỉ đạt|mới đạt)\s*$",
    re.IGNORECASE,
)
_RESET = re.compile(r"(?<!\w)(?:hiện nay|đến nay|hiện có|tính đến nay)(?!\w)", re.IGNORECASE)
# between a name and its figure: its unit, a verb ("… của cả nước đạt 20%")
_NAME_TO_FIGURE = re.compile(
    r"[^\d;,.%()]{0,30}?(?:đạt|là|ở mức|:)\s*(?:khoảng\s+|gần\s+|hơn\s+|trên\s+)?", re.IGNORECASE
)
_GROWTH_BEFORE = re.compile(r"(?:tăng trưởng|tốc độ tăng)\b[^;,.%]{0,60}$", re.IGNORECASE)  # 25 -> 60
_PREVIOUS = re.compile(r"(?:^|\W)từ\s+(?:vị trí|mức|hạng)?\s*(?:thứ\s*)?$", re.IGNORECASE)
# "so với chỉ tiêu năm 2024 là 30%": the comparison is with that year's target
_AIM_BASE = re.compile(
    r"\s*(?:chỉ tiêu|mục tiêu|kế hoạch)(?:\s+(?:đề ra|đặt ra))?\s+(?:năm\s+)?((?:19|20)\d\d)\s*$", re.IGNORECASE
)
# not across a comma ("so với mặt bằng chung, tiêu biểu là Bình Dương (72,4%)" is no base)
_COMPARISON_VALUE = re.compile(r"so với\s+([^;,]{0,40}?)\s*(?:là|:|\()\s*$", re.IGNORECASE)
_CHANGE_AFTER = re.compile(r"^[^;,.]{0,40}?\b(?:tăng|giảm)\s+(?:thêm\s+)?so với\b", re.IGNORECASE)
_BARE_BASE = re.compile(r"so với\s+(?:mức|con số|tỷ lệ)\s+(?:khoảng\s+|gần\s+|hơn\s+)?$", re.IGNORECASE)
_BASE_BEFORE = re.compile(r"so với\s+(?:(?:mức|con số|tỷ lệ)\s+)?(?:khoảng\s+|gần\s+|hơn\s+)?$", re.IGNORECASE)
_MONTHLY = re.compile(r"so với tháng trước", re.IGNORECASE)
# a stock "to date": "tổng cộng", "lũy kế", "đến nay", "hiện có", "hiện kết nối" (not "thực hiện", "thể hiện")
_CUMULATIVE = re.compile(
    r"(?<!\w)(?:tổng cộng|lũy kế|luỹ kế|từ khi|kể từ|đến nay|(?<!thực )(?<!thể )(?<!xuất )(?<!phát )hiện)(?!\w)",
    re.IGNORECASE,
)
# also "4,4 triệu giao dịch/ngày"
_PER_DAY = re.compile(r"\b(?:mỗi ngày|một ngày|bình quân ngày|trung bình ngày)\b|(?<=\w)/\s*ngày\b", re.IGNORECASE)
_AFTER_DATE_LEAD = re.compile(
    r"(?:vào|cuối|tính đến|tính đến hết|trong)\s+(?:ngày\s+)?$|tính đến(?: hết)?\s+năm\s+$", re.IGNORECASE
)


@dataclass
class _Figure:
    """A number read as a candidate value or target, before it is given to an indicator."""

    phrase: NumberPhrase
    index: int  # of the phrase in its paragraph
    role: str = "value"  # value | growth
    target: bool = False
    value: float = 0.0
    numerator: float | None = None
    denominator: float | None = None
    shape: str = "count"  # count | percent | money | rank | score | fraction
    period: Period | None = None  # a comparison's base ("so với năm 2023 là 65%") or a target's year
    target_of_year: bool = False  # "kế hoạch năm": the year of the figure's date
    period_clue: Clue = _NO_CLUE  # the words that gave ``period``
    comparison: bool = False  # the base of a comparison, read for its own period
    qualifier: str | None = None


# a share stated after a fraction in its clause, no other number between ("… toàn trình (79,2%)", ", đạt 73,3%")
_STATED_SHARE = re.compile(r"[^\d.;%]{0,120}?(?<![\d,])(\d{1,3}(?:,\d+)?)\s?%")


def _shape(fig: _Figure, words_after: Sequence[str], rest: str) -> None:
    """How the figure reads: a percent, a fraction, a rank, a score, an amount of money or a count."""
    p = fig.phrase
    score = bool(_SCORE_NOUN.match(rest))  # "99,74/100 điểm", not "388 điểm kết nối"
    fig.value = p.value
    if p.kind is NumberKind.PERCENT:
        fig.shape = "percent"
    elif p.kind is NumberKind.FRACTION and p.numerator is not None:
        if score:
            fig.shape = "score"
        elif (
            p.ordinal
            or (words_after[:1] and words_after[0] in _RANK_NOUNS)
            # "77/193 về Dữ liệu mở": a place out of the world's countries, never a share of them
            or (words_after[:1] == ["ve"] and p.denominator is not None and 150 <= p.denominator <= 200)
        ):
            fig.shape = "rank"
        else:
            fig.shape = "fraction"
            fig.value = p.percent_of or 0.0
            # "42/53 dịch vụ … toàn trình (79,2%)": the share the sentence states, the fraction's rounded, is the
            # figure as reported (79,2, not 79,25 computed)
            stated = _STATED_SHARE.match(rest)
            if stated and p.percent_of is not None:
                said = float(parse_decimal(stated.group(1)))
                if round(p.percent_of, len(stated.group(1).partition(",")[2])) == said:
                    fig.value = said
            fig.numerator, fig.denominator = p.numerator, p.denominator
    elif p.ordinal:
        fig.shape = "rank"
    elif score:
        fig.shape = "score"
    elif p.currency:
        fig.shape = "money"


def _names_of(ind: Indicator) -> list[str]:
    """An indicator's Vietnamese name, aliases, and (a rate's) numerator and denominator."""
    parts = [getattr(ind, "numerator", None), getattr(ind, "denominator", None)]
    return [ind.name.vi, *ind.aliases, *(str(x.vi) for x in parts if x is not None and hasattr(x, "vi"))]


def _compatible(ind: Indicator, fig: _Figure) -> bool:
    lo, hi = ind.range
    v = fig.value
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        return False
    if fig.shape == "percent":
        if ind.kind == "score" and ind.unit == "%":  # "tỷ lệ người lớn biết chữ … là 95,8%": a component in %
            return fig.role != "growth"
        return ind.is_rate and _growth(ind) == (fig.role == "growth")
    if fig.role == "growth":
        return False
    if fig.shape == "fraction":
        # "63/63 tỉnh, thành phố" out of all provinces: also a count of provinces, its numerator
        return (ind.is_rate and not _growth(ind)) or _members_counted(ind, fig)
    if fig.shape in ("rank", "score"):
        return ind.kind == fig.shape
    if fig.shape == "money":
        return ind.unit in _CURRENCY_UNITS and ind.kind in _COUNT_KINDS
    if ind.kind == "score" and ind.unit not in ("điểm", "%"):
        # an index with no unit read as a bare decimal ("TII … đạt 0,8511"), or in its own unit (thuê bao/100 dân)
        return bool(ind.unit) or not float(v).is_integer()
    return ind.kind in _COUNT_KINDS and ind.unit not in _CURRENCY_UNITS and float(v).is_integer()


_ALL_PROVINCES = (63.0, 34.0)  # before and after the 2025 reorganisation
_ALL_MINISTRIES = (22.0, 17.0)  # the ministries and ministry-level agencies reporting, before and after


def _members_counted(ind: Indicator, fig: _Figure) -> bool:
    """A fraction over all provinces read for an indicator that counts provinces (``levels: [province]``), or over
    all ministries or provinces for one that counts agencies ("19/22 bộ, ngành và 62/63 địa phương đã kết nối API …":
    the blocs' counts, round 16b)."""
    if not (
        fig.shape == "fraction"
        and ind.kind in _COUNT_KINDS
        and fig.numerator is not None
        and float(fig.numerator).is_integer()
    ):
        return False
    if ind.levels == ("province",):
        return fig.denominator in _ALL_PROVINCES
    return fold(ind.unit) in ("co quan", "don vi") and fig.denominator in (*_ALL_PROVINCES, *_ALL_MINISTRIES)


@dataclass(frozen=True)
class _Candidate:
    score: float
    code: str
    name: tuple[object, ...]  # which occurrence of a name it came from (a name takes one figure per unit)
    clue: Clue = _NO_CLUE  # the words of the name, for the evidence


@dataclass
class _Para:
    """A paragraph as read: its tokens, figures, names, units and dates."""

    number: int
    line: str
    numbers: list[NumberPhrase]
    tokens: list[_Token]
    dates: list[_Date]
    sentences: list[tuple[int, int]]
    matches: list[list[_Match]]  # per sentence
    mentions: list[list[_UnitMention]]
    carry: dict[str, tuple[Period, Clue]] = field(default_factory=dict)  # indicator -> a date the paragraph gave it
    lead: tuple[Period, Clue] | None = (
        None  # a date that opens the paragraph ("Đến tháng 9/2024, …") or leads it ("…:")
    )
    used: set[tuple[object, ...]] = field(default_factory=set)
    target_year: Period | None = None
    targets_only: bool = False

    def sentence_of(self, pos: int) -> int:
        return next((i for i, (s, e) in enumerate(self.sentences) if s <= pos < e), len(self.sentences) - 1)

    def token_range(self, start: int, end: int) -> list[_Token]:
        return [t for t in self.tokens if start <= t.start < end]


class _Reader:
    def __init__(self, catalogue: Catalogue, doc_period: Period | None) -> None:
        self.cat = catalogue
        self.names = _names(catalogue)
        self.acronyms = _acronyms(catalogue)
        self.doc_period = doc_period
        self.units = _unit_index(catalogue, doc_period)
        self.out: list[Proposal] = []
        self.doc_unit: tuple[str, Clue] | None = None  # the subject the title names, inherited by the text
        self.plan_doc = False  # the title is a plan's ("Kế hoạch …", "Chương trình hành động …", "Nghị quyết …")
        self.lines: list[str] = []  # the document's lines
        self._components: list[tuple[str, str, list[tuple[str, ...]]]] | None = None
        self.doc_ministry: tuple[str, Clue] | None = None  # the one ministry the title names ("… của Bộ Y tế")
        # the one ministry a title is about ("Bộ Y tế: …", "Báo cáo … của Bộ Tư pháp"): its figures' subject
        self.title_ministry: tuple[str, Clue] | None = None
        self.title_index: tuple[tuple[str, ...], Clue] | None = None  # the one index (a score) the title names
        self.first_line = 0  # the report's first non-empty line (its title)
        self.doc_cumulative = False  # the title says its figures are totals to date ("… lũy kế đến …")
        self.doc_from_title = False  # the report's period was read in its title (or given)
        self.doc_clue = _NO_CLUE  # the words of the title that gave the document's period
        self.pages: dict[int, int] = {}  # line -> page (a PDF)
        self.docx = False  # line = the DOCX paragraph
        self.table_rows: set[int] = set()  # lines that are rows of a table
        self.markdown_rows: set[int] = set()  # … of a table written in Markdown in a text (round 16b)
        # (line, sentence) -> the count last read there as a value: (code, its end, the clue of its name)
        self.last_count: dict[tuple[int, int], tuple[str, int, Clue]] = {}
        # a plan's list of goals (round 16b): the heading's level ("II.", "2.", "" for none) and the year its heading or
        # opener named, while inside a "MỤC TIÊU CỤ THỂ" section; the year of an opener "Phấn đấu đến hết năm 2026:"
        self.aim_section: tuple[str, Period | None] | None = None
        self.aim_list: tuple[Period | None] | None = None

    def aims(self, line: str, found: list[NumberPhrase], dates: list[_Date]) -> tuple[bool, Period | None]:
        """Whether a line stands in a plan's list of goals, and the year the list is set for. A heading of goals
        ("II. MỤC TIÊU CỤ THỂ", "2. Chỉ tiêu chủ yếu năm 2025") holds for the list items and aims under it, up to the
        next heading of its level or higher or a line of prose; an aim that ends its line with ":" ("Phấn đấu đến hết
        năm 2026:", "Mục tiêu năm 2025:") holds for the list items under it ("a) …", "- …"). Their figures are
        targets, not values (round 16b)."""
        text = line.strip()
        heading = _NUMBERED_HEADING.match(text)
        lead = len(line) - len(line.lstrip()) + (heading.end() if heading else 0)  # a heading's own "2." is no figure
        numbers = [p for p in found if p.start >= lead and not any(d.start <= p.start < d.end for d in dates)]
        level = heading.group(1) if heading else ""
        if self.aim_section is not None:
            ends = heading is not None and _heading_outranks(level, self.aim_section[0])
            caps = not numbers and text.upper() == text and any(c.isalpha() for c in text) and len(text) < 120
            if (ends or caps) and not _AIM_HEADING.fullmatch(text):
                self.aim_section = None
        year = next(
            (_target_period(d.period) for d in dates if d.role not in ("dateline", "publication", "comparison")),
            None,
        )
        if not numbers and _AIM_HEADING.fullmatch(text):
            self.aim_section = (level, year)
            self.aim_list = None
            return False, None
        if not numbers and text.endswith(":") and (_AIM.search(text) or _AIM_OPENS.match(text)):
            self.aim_list = (year or (self.aim_section[1] if self.aim_section else None),)
            return False, None
        if self.aim_list is not None and not _AIM_LIST_ITEM.match(text):
            self.aim_list = None
        if self.aim_list is not None:
            return True, self.aim_list[0]
        if self.aim_section is not None and _AIM_LIST_ITEM.match(text):
            return True, self.aim_section[1]
        self.aim_section = None  # "Chỉ tiêu cụ thể:", "- … 50%.", then "Năm 2024, … đạt 41,2%": the list has ended
        return False, None

    @staticmethod
    def bare_dates(line: str, dates: list[_Date], year: int) -> list[_Date]:
        """Dates said without their year ("quý III", "06 tháng đầu năm", "tháng 9"): the document's year."""
        out = list(dates)
        for form, pattern in _BARE_DATES:
            for m in pattern.finditer(line):
                if any(d.start < m.end() and m.start() < d.end for d in out):
                    continue
                if form == "quarter":
                    period = Period.quarter(year, _ROMAN[m[1].lower()])
                elif form == "months":
                    n = int(m[1]) if m[1].isdigit() else _MONTH_WORDS[m[1].lower()]
                    named = {3: Period.quarter(year, 1), 6: Period.half(year, 1), 12: Period.year(year)}
                    period = named.get(n) or Period.span(year, 1, year, n)
                elif form == "week":
                    try:
                        period = Period.week(year, int(m[1]))
                    except ValueError:
                        continue  # week 53 of a year of 52
                else:
                    period = Period.month(year, int(m[1]))
                role, period = _date_role(line, m.start(), m.end(), form, period)
                out.append(_Date(m.start(), m.end(), period, role))
        return sorted(out, key=lambda d: d.start)

    def page_of(self, line: int) -> int | None:
        return self.pages.get(line)

    def para_of(self, line: int) -> int | None:
        return line if self.docx else None

    def index_of_title(self, line: str) -> tuple[tuple[str, ...], Clue] | None:
        """The one index (an indicator of kind score) a short title names ("Công bố Chỉ số chuyển đổi số cấp tỉnh
        năm 2023"): the figures of a ranking under it that name no indicator are its scores."""
        if not line.strip() or len(line) > 160:
            return None
        tokens = _tokens(line, [(d.start, d.end) for d in _dates(line)])
        found = {
            m.alias.codes: Clue(line[m.start : m.end], -1, -1, "document")
            for m in _match_aliases(tokens, self.names, 0, len(tokens))
            if not m.contained
            and all(self.cat.indicators[c].kind == "score" or self.cat.indicators[c].is_rate for c in m.alias.codes)
        }
        others = [
            m
            for m in _match_aliases(tokens, self.names, 0, len(tokens))
            if not m.contained and m.alias.codes not in found and m.size > 2  # "Quyết định 766" names no count
        ]
        narrow = [codes for codes in found if all(set(codes) <= set(other) for other in found)]
        if len(narrow) != 1 or others:  # "Chỉ số chuyển đổi số cấp tỉnh năm 2023 (DTI 2023)": the narrower name
            return None
        return narrow[0], found[narrow[0]]

    def subject(self, lines: Sequence[str]) -> None:
        """The document's subject: the one province its title or first lines name with its prefix ("… của
        tỉnh Gia Lai", "UBND TỈNH GIA LAI"), else the nation when they say so ("quốc gia", "cả nước", "Việt
        Nam"); other named units (a dateline "Hà Nội, ngày …", a reporting ministry) are no subject."""
        found: dict[str, str] = {}
        ministries: dict[str, str] = {}
        owned = False  # the title is a ministry's or agency's own report ("Báo cáo … của Văn phòng Chính phủ")
        # the title names a ministry, not as a source ("Bộ Y tế: kết quả …", "Bộ Tư pháp tổng kết …"; not "Theo Bộ …")
        headed = False
        in_title: set[str] = set()  # the provinces the title names
        for li, line in enumerate(lines):
            if len(line) > 160:
                continue  # a paragraph, not a title
            tokens = _tokens(line, [])
            for m in _match_units(tokens, 0, len(tokens), self.names, self.units, []):
                if m.named == "ministry" and not _MERGED_WITH.search(line[: m.start]):  # not a merger's partner
                    ministries.setdefault(m.unit, line[m.start : m.end])
                    owned = owned or (li == 0 and bool(_OWN_REPORT.search(line[: m.start])))
                    headed = headed or (li == 0 and not re.search(r"(?:^|\W)theo\s*$", line[: m.start], re.I))
                before = line[max(0, m.start - 16) : m.start].lower()
                dateline = re.match(r"\s*,\s*(?:ngày|ngày)\b", line[m.end : m.end + 8], re.IGNORECASE)
                prefixed = re.search(r"(?:tỉnh|thành phố|tp\.?)\s*$", before) or re.match(
                    r"(?:tỉnh|thành phố)\b", line[m.start : m.end], re.IGNORECASE
                ) or (  # a title "Báo cáo … của TP. Hồ Chí Minh": the city's own report
                    li == 0
                    and re.match(r"tp\.?(?!\w)", line[m.start : m.end], re.IGNORECASE)
                    and re.search(r"(?:^|\s)của\s*$", before)
                ) or (  # "Đề án 06 tại Thanh Hóa: sơ kết quý I/2024": the province the title reports on
                    li == 0
                    and re.search(r"(?:^|\s)tại\s*$", before)
                    and _HEADLINE_MARK.match(line, _after_merger_note(line, m.end))
                ) or (  # a heading "TP.HCM: …", "TP Cần Thơ: …": the city opening the line before a colon
                    not line[: m.start].strip()
                    and re.match(r"tp\.?(?!\w)", line[m.start : m.end], re.IGNORECASE)
                    and _HEADLINE_MARK.match(line, _after_merger_note(line, m.end))
                ) or (  # a title "Bình Thuận: tổng kết …", the province opening it before a colon
                    li == 0
                    and not line[: m.start].strip()
                    and (
                        _HEADLINE_MARK.match(line, _after_merger_note(line, m.end))
                        # "Quảng Ninh tổng kết Đề án 06 năm 2024": the province opening the title as its subject
                        # "Hà Tĩnh ban hành …", "Tuyên Quang sau hợp nhất: …", "Cần Thơ (mới): …": any word but one
                        # joining a second subject ("Hà Nội và TP.HCM …", "Đà Nẵng, Huế …") or comparing
                        or (_TITLE_SUBJECT.match(line, m.end) and not line[m.end + 1 : m.end + 2].isupper())
                    )
                    # "Hà Nội: … và Cổng quốc gia": a national system's name is no nation (round 16b)
                    and not re.search(
                        r"toàn quốc|quốc gia|cả nước|Chính phủ|Thủ tướng",
                        re.sub(r"(?i:cổng|dịch vụ công|dữ liệu|nền tảng)\s+quốc gia", " ", line),
                        re.IGNORECASE,
                    )
                ) or (  # a title that is the province's name alone: "Tiền Giang", "Lào Cai (mới)" (round 16b)
                    li == 0
                    and not line[: m.start].strip()
                    and re.fullmatch(r"\s*(?:\((?:mới|cũ)\))?\s*", line[m.end :], re.IGNORECASE) is not None
                ) or (  # "Tỉnh ủy Nghệ An", "Thành ủy Hải Phòng", "Sở Y tế Phú Thọ báo cáo …"
                    re.search(r"(?:tỉnh|thành)\s+ủy\s*$", before)
                    or re.search(r"(?:^|\s)Sở\s+[^,:;()]{1,40}$", line[: m.start])
                )
                merged_with = _MERGED_WITH.search(line[: m.start])  # "hợp nhất với tỉnh Quảng Nam": a partner
                if m.named == "province" and li == 0 and not dateline and not merged_with:
                    in_title.add(m.unit)
                if m.named == "province" and prefixed and not dateline and not merged_with:
                    found.setdefault(m.unit, line[m.start : m.end])
        if len(ministries) == 1:  # what "của Bộ" refers to; the subject only of a title about the ministry
            code, words = ministries.popitem()
            self.doc_ministry = (code, Clue(words, -1, -1, "document"))
            if (owned or headed) and not found:
                self.title_ministry = self.doc_ministry
        if len(in_title) > 1:
            found = {}  # "Hà Nội và Thành phố Hồ Chí Minh dẫn đầu …": a title of two provinces has no one subject
        if len(found) == 1:  # "Báo cáo … của tỉnh Gia Lai", "UBND TỈNH GIA LAI": the province's own report
            code, words = found.popitem()
            self.doc_unit = (code, Clue(words, -1, -1, "document"))
            return
        for li, line in enumerate(lines):
            if owned and li > 0:
                # "Cổng Dịch vụ công quốc gia" in the text of a ministry's own report: a system's name, no subject (the
                # ministry in charge of a national figure reports it the same way, so neither is read: flagged)
                break
            text = _RANK_NATION.sub(lambda m: " " * len(m.group()), _MOTTO.sub(" ", line))
            if len(line) <= 160:  # "… của Ngân hàng Nhà nước Việt Nam", "Bảo hiểm xã hội Việt Nam": a body's name
                tokens = _tokens(text, [])
                for m in _match_units(tokens, 0, len(tokens), self.names, self.units, []):
                    if m.unit != self.cat.nation.code:
                        text = text[: m.start] + " " * (m.end - m.start) + text[m.end :]
            # a title on Đề án 06 (the national project) with no province: the nation's report
            # "… khai thác dữ liệu từ cơ sở dữ liệu quốc gia": a national database's name is no nation (round 16b)
            text = _NATIONAL_DATABASE.sub(lambda m: " " * len(m.group()), text)
            nm = _NATION_DOC.search(text) or (
                re.search(r"(?<!\w)Đề án 06(?!\w)", text) if li == 0 and len(lines) > 1 and not in_title else None
            )
            if nm:
                self.doc_unit = (self.cat.nation.code, Clue(nm.group(), -1, -1, "document"))
                return

    # a paragraph ---------------------------------------------------------------------------------
    def paragraph(self, number: int, line: str) -> None:
        numbers = find_numbers(line)
        dates = _dates(line)
        if self.doc_period is not None:
            dates = self.bare_dates(line, dates, self.doc_period.start.year)
        skips = [(p.start, p.end) for p in numbers] + [(d.start, d.end) for d in dates]
        tokens = _tokens(line, skips)
        sentences = _sentences(line)
        matches, mentions = [], []
        for s, e in sentences:
            lo = next((i for i, t in enumerate(tokens) if t.start >= s), len(tokens))
            hi = next((i for i, t in enumerate(tokens) if t.start >= e), len(tokens))
            ms = _match_aliases(tokens, self.names, lo, hi, line)
            matches.append(ms)
            found = _match_units(tokens, lo, hi, self.names, self.units, ms)
            former = [(m.start(), m.end()) for m in _FORMER_UNITS.finditer(line, s, e)]
            mentions.append([
                u
                for u in found
                if not any(a <= u.start < b for a, b in former) and not _MERGED_WITH.search(line[: u.start])
            ])
        para = _Para(number, line, numbers, tokens, dates, sentences, matches, mentions)
        para.targets_only = bool(
            re.match(r"\s*mục tiêu\b|\s*(?:chỉ tiêu|kế hoạch)\b[^.:;\d]{0,20}(?:\d{4})?\s*:", line, re.IGNORECASE)
        )
        listed, list_year = self.aims(line, numbers, dates) if number > self.first_line else (False, None)
        if para.targets_only or listed:
            para.targets_only = True
            first = next((d for d in dates if d.role in ("target", "context")), None)
            para.target_year = _target_period(first.period) if first else list_year
        first_number = numbers[0].number_start if numbers else len(line)
        first_sentence_end = sentences[0][1] if sentences else len(line)
        for d in dates:
            if d.role not in ("context", "publication"):
                continue
            opens = d.start < min(first_number, first_sentence_end)
            leads = bool(re.match(r"\s*:", line[d.end : d.end + 3]))
            # "… 100% xã có cáp quang (số liệu tháng 11/2025)": the date the paragraph's figures are counted at
            noted = bool(
                re.search(r"\(\s*số liệu\s+(?:(?:đến|tính đến|tới)\s+)?$", line[max(0, d.start - 24) : d.start])
            )
            if opens or leads or noted:
                para.lead = (d.period, Clue(line[d.start : d.end], d.start, d.end, "paragraph"))
                break
        literal = {i for ms in matches for m in ms for i in m.literal}
        for idx, phrase in enumerate(numbers):
            if idx not in literal:  # a number that is part of a name ("giảm tối đa 50% phí") is no figure
                self.figure(para, idx, phrase)

    # one figure ----------------------------------------------------------------------------------
    def figure(self, para: _Para, idx: int, phrase: NumberPhrase) -> None:
        if phrase.kind in (NumberKind.RANGE, NumberKind.MULTIPLE, NumberKind.RANK_CHANGE):
            return
        line = para.line
        si = para.sentence_of(phrase.number_start)
        sentence = para.sentences[si]
        clause = next(((s, e) for s, e in _clauses(line, sentence) if s <= phrase.number_start < e), sentence)
        before = line[max(clause[0], phrase.start - _BEFORE) : phrase.start]
        rest = line[phrase.end : clause[1]]
        if _PREVIOUS.search(before) and re.match(r"\s*(?:lên|xuống)\b", rest, re.IGNORECASE):
            return  # "từ vị trí 25 lên vị trí 17": the earlier standing, undated
        per = re.search(r"(?:^|\W)trên\s*$", before + line[phrase.start : phrase.number_start])
        if per and re.match(r"\s*(?:người\s+)?dân(?!\w)", rest, re.IGNORECASE):
            return  # "91,6 trên 100 dân": the base of a rate, not a figure
        if re.search(r"(?<!\w)thang(?:\s+điểm)?\s*$", before, re.IGNORECASE):
            return  # "89,6 điểm trên thang 100": the scale, not a figure (round 16b)
        if re.match(r"\s*điểm phần trăm\b", rest, re.IGNORECASE):
            return  # "cao hơn 27 điểm phần trăm so với năm 2023": a difference in points, not a level
        if (
            phrase.kind is NumberKind.PERCENT
            and re.match(r"\s*số\s+\w", rest)
            and _SUBSET_CLAUSE.search(line[max(0, phrase.start - 20) : phrase.start])
        ):
            return  # "…; trong đó 35% số hồ sơ thuộc lĩnh vực đất đai": a share of a subset of them
        if _LEVEL_BELOW.search(line[clause[0] : phrase.start]):
            return  # "…; riêng cấp xã đạt 96,1%": a level below the unit, no unit's value
        if phrase.kind is NumberKind.PERCENT and re.match(
            r"\s*(?:tại|ở)\s+(?:khu vực|vùng)\s+(?:đô thị|thành thị|nông thôn|miền núi|đồng bằng|ven biển)", rest,
            re.IGNORECASE,
        ):
            return  # "đạt 87,6% tại khu vực đô thị và 64,2% chung cả nước": a part of the unit's area (round 16b)
        if phrase.kind is NumberKind.PERCENT and _PASSIVE_REST.match(rest):
            return  # "30% hồ sơ trực tuyến toàn trình bị trả lại": a share of them, not their rate
        if phrase.kind is NumberKind.PERCENT and (
            re.match(r"\s*(?:của\s+)?(?:mục tiêu|kế hoạch|chỉ tiêu)\b", rest, re.IGNORECASE)
            or (  # "bằng 90% so với kế hoạch"
                re.search(r"(?<!\w)bằng\s*$", line[max(0, phrase.start - 8) : phrase.start], re.IGNORECASE)
                and re.match(r"\s*so với\s+(?:mục tiêu|kế hoạch|chỉ tiêu)\b", rest, re.IGNORECASE)
            )
        ):
            return  # "mới đạt 91,6% mục tiêu": how much of the target is met, not the indicator's value
        fig = _Figure(phrase, idx, qualifier=phrase.qualifier)
        _shape(fig, [t.fold for t in para.token_range(phrase.end, sentence[1])[:2]], line[phrase.end : sentence[1]])
        plain = fig.shape == "count" and phrase.kind is NumberKind.PLAIN
        if plain and _SCORE_BEFORE.search(line, clause[0], phrase.start):
            fig.shape = "score"  # "điểm Chỉ số phục vụ người dân, doanh nghiệp đạt 87,15": a score said before
        if fig.shape == "count" and phrase.kind is NumberKind.PLAIN and self.after_points(para, phrase, clause):
            fig.shape = "score"  # "với số điểm lần lượt là 89,7; 88,95 và 87,2": points
        if phrase.change is not None:
            if phrase.kind is not NumberKind.PERCENT:
                return  # "tăng 82,5 triệu so với năm 2023": a difference, not a level
            if _PREVIOUS_PERIOD.match(rest):
                return  # "tăng 9% so với tháng trước": the catalogue's growth rates are on a year earlier
            if self.month_on_month(para, phrase):
                return  # "tăng 6,3% so với tháng 3/2025" in April's report: on the month before, not a year earlier
            fig.role, fig.value = "growth", phrase.signed
        elif _CHANGE_AFTER.match(rest):
            return  # "hơn 3 triệu tài khoản tăng so với tháng 7/2024"
        elif phrase.kind is NumberKind.PERCENT and (
            phrase.per == "năm"
            or _GROWTH_BEFORE.search(line[max(clause[0], phrase.start - 80) : phrase.start])
            or self.growth_named(para, phrase, si, clause)
        ):
            fig.role = "growth"
        cmp_base = _COMPARISON_VALUE.search(line[clause[0] : phrase.start])
        aim_base = None
        if cmp_base and (aim_base := _AIM_BASE.match(cmp_base.group(1))):
            cmp_base = None  # "36,1% so với chỉ tiêu năm 2024 là 30%": the target of that year, not a base value
        paren = _PAREN_BASE.search(line[clause[0] : phrase.start])
        paren_date = (
            next(
                (
                    d
                    for d in para.dates
                    if clause[0] + paren.start(1) <= d.start
                    and d.end <= clause[0] + paren.end(1)
                    and d.role == "context"
                ),
                None,
            )
            if paren
            else None
        )
        same = _SAME_PERIOD_PAREN.search(line[clause[0] : phrase.start])
        if same is None and not cmp_base and paren is None:
            same = _SAME_PERIOD_BARE.search(line[clause[0] : phrase.start])
        dated = _SAME_PERIOD_DATED.search(line[clause[0] : phrase.start])
        if dated and paren_date is None and not cmp_base:
            # "cùng kỳ năm 2024 (tháng 6/2024) là 19,8%": the date in parentheses says which period
            lo, hi = clause[0] + dated.start(2), clause[0] + dated.end(2)
            inner = [d for d in para.dates if lo <= d.start and d.end <= hi and d.period.start.year == int(dated[1])]
            if len(inner) == 1:
                fig.period = inner[0].period
                fig.period_clue = Clue(line[inner[0].start : inner[0].end], inner[0].start, inner[0].end, "clause")
                fig.comparison = True
                same = None
        if same and paren_date is None and not cmp_base:
            # "đạt 58,6%, cao hơn cùng kỳ năm 2024 (41,3%)": the main figure's period, in that year
            main = next((p for p in reversed(self.out) if p.where.line == para.number and p.value is not None), None)
            shifted = _same_period_in(main.period, int(same.group(1))) if main else None
            if shifted is None:
                return
            fig.period = shifted
            fig.period_clue = Clue(same.group(0), clause[0] + same.start(), clause[0] + same.end(), "clause")
            fig.comparison = True
        base_of = (
            next(
                (
                    d
                    for d in para.dates
                    if d.start >= phrase.end
                    and re.fullmatch(r"\s*(?:[^\W\d]+\s+){0,2}?của\s+(?:cả\s+)?(?:năm\s+)?", line[phrase.end : d.start])
                ),
                None,
            )
            if _BASE_BEFORE.search(line[max(clause[0], phrase.start - 30) : phrase.start])
            else None
        )
        if base_of is not None and not cmp_base and paren is None and not same:
            # "tăng so với mức 47,8% của 6 tháng đầu năm 2023", "giảm so với 19 cuộc của năm 2023": the base, for
            # the period named after it
            fig.period = base_of.period
            fig.period_clue = Clue(line[base_of.start : base_of.end], base_of.start, base_of.end, "clause")
            fig.comparison = True
        elif _BARE_BASE.search(line[max(clause[0], phrase.start - 30) : phrase.start]):
            return  # "cao hơn so với mức 61,7% của kỳ trước": a base with no period of its own, left out
        if paren_date is not None and not cmp_base:  # "(năm 2023 là 12,1%)", "(cuối năm 2022: 30%)": that year's
            fig.period = paren_date.period
            if paren and re.search(r"cùng kỳ", paren.group(0), re.IGNORECASE):
                # "(cùng kỳ năm 2024 đạt …)": the main figure's period, in that year; none read: left out
                main = next(
                    (p for p in reversed(self.out) if p.where.line == para.number and p.value is not None), None
                )
                shifted = _same_period_in(main.period, paren_date.period.start.year) if main else None
                if shifted is None:
                    return
                fig.period = shifted
            fig.period_clue = Clue(line[paren_date.start : paren_date.end], paren_date.start, paren_date.end, "clause")
            fig.comparison = True
        elif cmp_base:  # "so với năm 2023 là 65%", "so với ước thực hiện năm 2024 (40 tỷ USD)": the base's value
            base = [
                d
                for d in para.dates
                if d.role == "comparison" and clause[0] + cmp_base.start() <= d.start and d.end <= phrase.start
            ]
            if not base:
                return
            fig.period = base[-1].period
            if re.search(r"cùng kỳ", cmp_base.group(1), re.IGNORECASE):
                # "đạt 95,3% (6 tháng đầu năm 2024), so với cùng kỳ năm 2023 là 92,1%": the main figure's period
                # in that year; none read: left out
                main = next(
                    (p for p in reversed(self.out) if p.where.line == para.number and p.value is not None), None
                )
                shifted = _same_period_in(main.period, base[-1].period.start.year) if main else None
                if shifted is None:
                    return
                fig.period = shifted
            fig.period_clue = Clue(line[base[-1].start : base[-1].end], base[-1].start, base[-1].end, "clause")
            fig.comparison = True
            if fig.qualifier is None and re.search(r"\bước\b", cmp_base.group(1), re.IGNORECASE):
                fig.qualifier = "ước"
        elif aim_base is not None and phrase.change is None:
            fig.target = True
            fig.period = Period.year(int(aim_base.group(1)))
            fig.period_clue = Clue(aim_base.group(1), -1, -1, "clause")
        elif (tm := _TARGET_BEFORE.search(line[max(clause[0], phrase.start - 40) : phrase.start])) is not None:
            fig.target = True
            if tm.group(1) or tm.group(2):
                year = tm.group(1) or tm.group(2)
                fig.period = Period.year(int(year))
                fig.period_clue = Clue(year, -1, -1, "clause")
            elif (
                "năm" in tm.group(0).lower() and not re.search(r"đến năm", tm.group(0), re.IGNORECASE)
            ) or tm.group(0).strip() == "KH":
                fig.target_of_year = True
        elif (
            phrase.change is None
            and (set_by := _AIM_AFTER.match(line, phrase.end)) is not None
        ):
            # "thấp hơn mức 30% mà địa phương này đặt ra cho năm 2024": the aim a unit set itself (round 16b)
            fig.target = True
            fig.target_of_year = True
            if set_by.group(1):
                fig.period = Period.year(int(set_by.group(1)))
                fig.period_clue = Clue(set_by.group(1), set_by.start(1), set_by.end(1), "clause")
        elif (
            para.targets_only
            and si > 0
            and re.match(r"\s*(?:tuy vậy|tuy nhiên|nhưng|song|thực tế)\b", line[para.sentences[si][0] :], re.I)
            and _ACHIEVED.search(line, para.sentences[si][0], phrase.start)
        ):
            pass  # "Mục tiêu … 50% …. Tuy vậy, … tỷ lệ này mới ở mức 38,5%": what was reached, said against the aim
        elif para.targets_only and phrase.change is None:
            fig.target = True
        elif para.targets_only:
            return  # "tăng 30% so với …" in a paragraph of targets: how a target compares, not a target
        elif _FORECAST.search(line[clause[0] : phrase.start]):
            return  # "dự kiến … sẽ đạt 50%": a forecast, neither a value nor a target
        elif (
            self.plan_doc
            and phrase.change is None
            and (horizon := _HORIZON.search(line, clause[0], phrase.start)) is not None
            and self.doc_period is not None
            and int(horizon.group(1)) >= self.doc_period.end.year
            and not _ACHIEVED.search(line, horizon.end(), phrase.start)
        ):
            # "Tỷ lệ … đến năm 2025 đạt 85%" in a plan for 2025: the plan's horizon, a target (round 16)
            fig.target = True
            fig.period = Period.year(int(horizon.group(1)))
            fig.period_clue = Clue(horizon.group(0), horizon.start(), horizon.end(), "clause")
        elif phrase.change is None and (
            ((aim := _AIM.search(line[clause[0] : phrase.start])) is not None and not _CONTRAST.search(
                line[clause[0] + aim.end() : phrase.start]
            ))
            or (
                (
                    _AIM_OPENS.match(line, para.sentences[para.sentence_of(phrase.number_start)][0])
                    # "…; mục tiêu năm 2025 nâng con số này lên 52 tỷ USD và …": an aim opening the clause after ";"
                    or (line[clause[0] - 1 : clause[0]] == ";" and _AIM_OPENS.match(line, clause[0]))
                )
                and not self.achieved_after_aim(para, phrase, clause)
            )
            or _TARGET_OPENS.match(line, para.sentences[para.sentence_of(phrase.number_start)][0], phrase.start)
            or _TARGETS_LISTED.search(line, para.sentences[para.sentence_of(phrase.number_start)][0], phrase.start)
            or self.aim_carried(para, phrase)
        ):
            # "phấn đấu đến hết năm 2025 … đạt 80%": an aim is a target; one that opens the sentence holds for its
            # clauses ("Phấn đấu …, X đạt 55%; 100% xã … có …")
            fig.target = True
            fig.target_of_year = True
            if (
                line[clause[0] - 1 : clause[0]] == ";"
                and (year := _AIM_YEAR_OPENS.match(line, clause[0])) is not None
                and fig.period is None
            ):
                fig.period = Period.year(int(year.group(1)))  # "…; mục tiêu năm 2025 …": the clause's own year
                fig.period_clue = Clue(year.group(1), year.start(1), year.end(1), "clause")
        elif phrase.change is None and self.target_named(para, phrase, clause):
            fig.target = True  # "mục tiêu tỷ lệ hồ sơ … toàn quốc là 80%": the target the clause names
            fig.target_of_year = True
        elif (
            phrase.change is not None
            and phrase.change == "tăng"
            and (tc := _TARGET_NAMED_CHANGE.search(line, clause[0], phrase.start)) is not None
            and not any(tc.start() <= p.start < phrase.start for p in para.numbers)
        ):
            fig.target = True  # "mục tiêu số giao dịch … tăng 20% so với năm 2024": a growth the clause aims at
            fig.target_of_year = True
        elif (
            phrase.change == "tăng"
            and phrase.kind is NumberKind.PERCENT
            and not _COMPARED_AFTER.match(rest)
            and (aim := _AIM.search(line[clause[0] : phrase.start])) is not None
            and not _CONTRAST.search(line[clause[0] + aim.end() : phrase.start])
            and not _ACHIEVED.search(line[clause[0] + aim.end() : phrase.start])
        ):
            # "Năm 2025 phấn đấu doanh thu … đạt 170 tỷ USD … và xuất khẩu … tăng 15%": a growth the aim sets, with no
            # base after it ("tăng 5% so với năm 2024" beside an aim says how the aim compares: no target)
            fig.target = True
            fig.target_of_year = True
        if fig.target and fig.period is None:
            # "… 30% GDP vào năm 2030": a target's year said right after it
            year_after = _TARGET_YEAR_AFTER.match(rest)
            if year_after:
                fig.period = Period.year(int(year_after.group(1)))
                fig.period_clue = Clue(
                    year_after.group(1), phrase.end + year_after.start(1), phrase.end + year_after.end(1), "clause"
                )
            elif (aim := _SET_FOR.match(line, phrase.end)) is not None:
                # "chỉ tiêu 30% mà Chính phủ giao cho khối tỉnh năm 2024": the year of the unit it is set for
                for u in para.mentions[si]:
                    if u.start == aim.end() or u.start < aim.end() <= u.end:
                        year = _YEAR_RIGHT_AFTER.match(line, u.end)
                        if year is not None:
                            fig.period = Period.year(int(year.group(1)))
                            fig.period_clue = Clue(year.group(1), year.start(1), year.end(1), "clause")
                        break
        if (
            phrase.kind is NumberKind.PERCENT
            and any(
                clause[0] <= u.start < phrase.start
                and self.follows_number(para, u)
                and not any(  # "Trong số 63 địa phương, Quảng Ninh … với 78,3%": a unit named after owns it
                    v.named and u.end <= v.start < phrase.start for v in para.mentions[si]
                )
                for u in para.mentions[si]
            )
            and not self.listed_units(line, phrase.end, sentence[1])  # "3 bộ đạt 100% … là Bộ Công an, …"
        ):
            return  # "trong đó 12 tỉnh đạt trên 50%": a threshold some units pass, no unit's value
        some = _SOME_UNITS.search(line[clause[0] : phrase.start]) if phrase.kind is NumberKind.PERCENT else None
        if (
            some is not None
            and not any(  # "một số địa phương … như Đà Nẵng đạt 95,6%": a unit named after them owns it
                u.named and clause[0] + some.end() <= u.start < phrase.start for u in para.mentions[si]
            )
            and not self.listed_units(line, phrase.end, sentence[1])  # "… như Bộ Công Thương; Bộ Tư pháp"
        ):
            return  # "một số bộ dẫn đầu với … trên 80%": a threshold of unnamed units, no unit's value
        if _AVERAGE_UNIT.search(line[clause[0] : phrase.start]):
            return  # "bình quân mỗi tỉnh, thành phố có khoảng 1.350 tổ": an average per member, not the bloc's
        if self.unknown_owner(para, phrase, si):
            return  # "Bộ Y (81,2%)": the figure of a name that is no known unit
        if phrase.kind is NumberKind.FRACTION and _UNITS_PASS.match(rest):
            return  # "32/63 địa phương đạt trên 40%": how many units pass a threshold, neither a rate nor a count
        if phrase.kind is NumberKind.PERCENT and _MEMBERS_VALUE.search(line[clause[0] : phrase.start]):
            return  # "…; có 3 huyện đạt tỷ lệ 100%": some members' value, not the unit's
        if _UNITS_THRESHOLD.search(line[clause[0] : phrase.start]) or _UNITS_REACH.search(
            line[clause[0] : phrase.number_start]  # "35/63 tỉnh đạt trên 80 điểm": "trên" read with the number
        ):
            return  # "32/63 địa phương đạt trên 40%": a threshold a count of units passes, no unit's value
        if _UNITS_VS_TARGET.search(line[clause[0] : phrase.number_start]):
            return  # "Có 3 địa phương chưa đạt mục tiêu 30% … là A, B và C": the units measured against a target
        if re.search(r"(?:báo cáo|số liệu|thống kê)\s+(?:của|từ)\s*$", line[clause[0] : phrase.start], re.IGNORECASE):
            return  # "Theo báo cáo của 50/63 địa phương, …": how many reported, not a figure
        if _RELATIVE.search(line[clause[0] : phrase.start]):
            return  # "Tỷ lệ … năm trước của cả nước là 35%": a period the text does not date
        if re.match(r"(?:trên|hơn|dưới|từ)\s", line[phrase.start : phrase.number_start], re.IGNORECASE) and (
            len({m.unit for m in para.mentions[si] if m.named and clause[0] <= m.start < phrase.start}) >= 2
            and not _RESPECTIVELY.search(line, clause[0], phrase.start)
            and not any(clause[0] <= p.start < phrase.start for p in para.numbers)  # each unit with its own figure
            and not _PAREN_AFTER_NAME.fullmatch(line[max(clause[0], phrase.start - 12) : phrase.start].split(")")[-1])
        ):
            return  # "Bộ Công an, Bộ Tư pháp và Bộ Y tế có tỷ lệ … trên 90%": a threshold the units pass
        if self.foreign_subject(para, phrase, si, clause):
            return  # "Trên thế giới, tỷ lệ …", "Singapore có tỷ lệ … đạt 96%": no unit of the catalogue's
        if fig.shape != "rank" and self.foreign_subject(para, phrase, si, clause, _FOREIGN_REGION):
            return  # "tỷ lệ người dùng Internet tại khu vực Đông Nam Á đạt 75%": the region's, not the nation's
        caution = self.caution(para, phrase, si, clause)
        units = self.unit_of(para, phrase, si, clause)
        if any(u == _ORGANISATION for u, _ in units):
            return  # "của Bảo hiểm xã hội Việt Nam đạt 98,2%": a body the catalogue does not hold, not the nation
        if re.search(r"(?<!\w)đều\s+(?:(?:đạt|có|là|ở mức)\s+)?$", line[clause[0] : phrase.number_start]) and all(
            c.source not in ("clause", "sentence") for _, c in units
        ):
            return  # "Cả hai bộ Tư pháp và Công an đều đạt 100%": units the text names in its own way, not the report's
        if _EXTREME.search(line[clause[0] : phrase.start]) and all(
            u in ("ministries", "provinces", self.cat.nation.code) for u, _ in units
        ):
            return  # "Tỷ lệ … tối đa ở khối tỉnh là 92%": one member's figure, not the bloc's
        chosen = self.elided_name(para, fig, si, clause) or self.indicator(para, fig, si, clause, [u for u, _ in units])
        if chosen is None and not _RESPECTIVELY.search(line, clause[0], phrase.start):
            chosen, clear = self.overlap_name(para, fig, clause, [u for u, _ in units])
            if chosen is not None and not clear and caution is None:
                caution = _GUESSED
        if chosen is None:
            return
        code = chosen.code
        nation = self.cat.nation.code
        if (
            caution is not None
            and caution.startswith("một cơ quan,")
            and self.speaks_for_nation(code)
            and {a.group() for a in _AGENCY.finditer(line, para.sentences[si][0], phrase.start)} <= _PROVINCE_POLICE
        ):
            caution = None  # "Công an tỉnh đã cấp 862.400 thẻ căn cước": the province's people, counted by its police
        if self.speaks_for_nation(code):
            # "Bộ Y tế đặt mục tiêu … 50% người tham gia bảo hiểm có Sổ sức khỏe điện tử": the country's people
            # and businesses are never a ministry's; the ministry speaks for the nation (convention 6)
            units = self.ministries_to_nation(units, None)
        if self.cat.indicators[code].levels == ("nation",) and any(self.one_ministry(u) for u, _ in units):
            # "Văn phòng Chính phủ: … e-Cabinet đã phục vụ 118 hội nghị": a national system is the nation's, also
            # where the agency that runs or reports it is named (convention 2); a province's own share of it
            # ("hồ sơ của tỉnh … đồng bộ lên Cổng DVCQG") stays the province's
            units = self.ministries_to_nation(units, _NATION_ONLY_CLUE)
        if (
            units == [(nation, _NO_CLUE)]
            and self.speaks_for_nation(code)
            and caution is None
            and self.doc_unit is None
            and (said := [m for ms in para.mentions for m in ms])
            and all(m.named == "ministry" for m in said)  # a ministry speaks for it, the only unit named (conv. 6)
            and not _OTHER_OWNER.search(_blank(line, para.mentions[si]), para.sentences[si][0], para.sentences[si][1])
        ):
            # "Theo Bộ TT&TT, … tài khoản thanh toán điện tử đạt 87,1%": the country's people and businesses, where
            # the only unit named is a ministry, are the nation's; in a text that names no unit at all they stay
            # flagged (the nation is no default: a province's report says the same without its name)
            units = [(nation, _COUNTRY_CLUE)]
        if units == [(nation, _NO_CLUE)] and self.cat.indicators[code].levels == ("nation",):
            # no unit named, but the indicator exists only for the nation (e-Cabinet, the NDXP, a UN index)
            units = [(nation, _NATION_ONLY_CLUE)]
        if (bloc := self.bloc_of(code)) is not None:
            # no unit named, or the nation named, for a count of one level's members: that level's bloc
            level = self.cat.indicators[code].levels[0]
            own = Clue(f"levels: [{level}]", -1, -1, "catalogue")
            units = [((bloc, own if c.source == "none" else c) if u == nation else (u, c)) for u, c in units]
        flow = code.removesuffix("_cumulative")
        if (
            flow != code
            and flow in self.cat.indicators
            and self.cat.indicators[flow].kind == "count"
            and (
                _PERIOD_OPENS.match(line, para.sentences[si][0])
                # "Tổng số giao dịch qua NDXP 6 tháng đầu năm đạt 498 triệu", "Lũy kế 9 tháng năm 2025, tổng số …":
                # a span named before the figure, the period's total (round 16)
                or _SPAN_DATE.search(line, para.sentences[si][0], phrase.start)
            )
            and not _SINCE.search(_SPAN_CUMULATED.sub(" ", line[para.sentences[si][0] : phrase.start]))
        ):
            # "Năm 2024, tổng số giao dịch qua Nền tảng … đạt 1,11 tỷ": a sentence dated by a period and
            # saying nothing cumulative before the figure counts that period's, not the total since the start
            code = flow
            chosen = _Candidate(chosen.score, flow, chosen.name, chosen.clue)
        elif (
            f"{code}_cumulative" in self.cat.indicators
            and self.cat.indicators[code].kind == "count"
            and (
                _CUMULATED_TO.search(line[para.sentences[si][0] : phrase.start])
                or _SINCE_START.search(line[para.sentences[si][0] : phrase.start])
                or (
                    self.doc_cumulative
                    and not any(
                        d.role == "context"
                        and d.start < phrase.start
                        # "Tính đến hết tháng 6/2024, e-Cabinet đã …" under a title "… lũy kế": the total to a date
                        and not (
                            para.number != self.first_line
                            and _UP_TO_DAY.search(line[max(0, d.start - 20) : d.start])
                        )
                        for d in para.dates
                    )
                )
            )
        ):
            # "Lũy kế đến hết năm 2024, … đã phục vụ 1.250 phiên họp": the total to that date
            code = f"{code}_cumulative"
            chosen = _Candidate(chosen.score, code, chosen.name, chosen.clue)
        if (
            _AVERAGE_BEFORE.search(line[clause[0] : phrase.start])
            and any(u in ("ministries", "provinces") for u, _ in units)
            and self.cat.indicators[code].kind == "score"  # a bloc's rate is its members' dossiers pooled
            and not re.search(r"(?<!\w)(?:bình quân|trung bình)(?!\w)", chosen.clue.text, re.IGNORECASE)
        ):
            return  # "Khối bộ, ngành đạt bình quân 79,12 điểm": the members' average score, not the bloc's value
        among = _AMONG_PART.search(line[para.sentences[si][0] : phrase.start])
        if among is not None and chosen.clue.start < para.sentences[si][0] + among.end():
            return  # "trong số 12 cơ sở dữ liệu … đã được xác định, có 7 …": the part, not the whole's name
        if self.other_rate(para, phrase, clause, chosen):
            # "…; tỷ lệ thanh toán trực tuyến đạt 60%": a rate no alias holds, not the earlier one's; the
            # words of its clause may still name it
            other = self.overlap_name(para, fig, clause, [u for u, _ in units])
            if other[0] is None or other[0].code == chosen.code:
                return
            chosen, code = other[0], other[0].code
            if not other[1] and caution is None:
                caution = _GUESSED
        component = _COMPONENT.search(line, para.sentences[si][0], phrase.start)
        if (
            caution is None
            and "." not in code
            and component is not None
            # "Ở các chỉ số thành phần, dịch vụ trực tuyến xếp hạng 75": the name after the words is the part's own
            and not (chosen.clue.start > component.end() and self.cat.indicators[code].levels == ("nation",))
        ):
            caution = "chỉ số thành phần (trụ cột), không phải chỉ số chung / a pillar's figure, not the whole index"
        if caution is None and re.match(r"\s*(?:[^\W\d]+\s+){1,5}đủ điều kiện(?!\w)", line[phrase.end : clause[1]]):
            caution = "tỷ lệ trong số đủ điều kiện / a share of the eligible ones only"  # "100% thủ tục … đủ điều kiện"
        if caution is None and self.narrower_name(para, phrase, clause, chosen):
            caution = "tên chỉ tiêu chỉ khớp một phần / the indicator's name matches only in part"
        period, period_clue = self.period_of(para, code, fig, phrase, si, clause)
        aim_dated = False  # the target's period is the date of its own aim ("Chỉ tiêu quý II/2025 …")
        if period is None and fig.target:
            # "Mục tiêu năm 2025, tỷ lệ … là 85%", "đặt mục tiêu năm 2025 …" with no other date: the target's year
            sentence = para.sentences[si]
            ty = next((d for d in para.dates if d.role == "target" and sentence[0] <= d.start < phrase.start), None)
            if ty is None and para.target_year is not None:
                ty = next((d for d in para.dates if d.role in ("target", "context")), None)
            if ty is not None:
                period = _target_period(ty.period)
                period_clue = Clue(line[ty.start : ty.end], ty.start, ty.end, "paragraph")
                aim_dated = True
        elif fig.target and fig.period is None and period_clue.source not in ("clause", "sentence"):
            # "… năm 2024 ước đạt 41,5 tỷ USD. Kế hoạch năm 2025 đặt mục tiêu 53 tỷ USD": the year its own sentence
            # gives the target, not the date an earlier sentence gave the indicator
            sentence = para.sentences[si]
            ty = next((d for d in para.dates if d.role == "target" and sentence[0] <= d.start < phrase.start), None)
            if ty is not None:
                period = _target_period(ty.period)
                period_clue = Clue(line[ty.start : ty.end], ty.start, ty.end, "sentence")
                aim_dated = True
        if period is None:
            return
        if period_clue.source in ("document", "none"):
            head = line[clause[0] : phrase.start]
            if any(
                d.role == "years"
                and clause[0] <= d.start < phrase.start
                and re.fullmatch(r"\W*(?:(?:giai đoạn|thời kỳ|trong giai đoạn)\s*)?", line[clause[0] : d.start], re.I)
                for d in para.dates
            ):
                return  # "Giai đoạn 2021-2024, … bình quân 35%": a span of years, not the report's period
            vague = _VAGUE_SPAN.search(head)
            if (
                vague is not None
                and "tuần" in vague.group().lower()
                and self.doc_period is not None
                and self.doc_period.kind is PeriodKind.WEEK
            ):
                vague = None  # "Trong tuần, …" under a title of "tuần 15/2024": the report's week
            if vague is not None and caution is None:
                # "Trong 3 tháng qua", "Tuần qua": a span the report's period does not name
                caution = "kỳ không rõ (… tháng qua, tuần qua) / a period not stated (the last months, the week)"
            if (
                re.search(r"(?<!\w)từ đầu năm(?!\s+(?:đến|tới))", head, re.IGNORECASE)
                and self.doc_period is not None
                and self.doc_period.kind is PeriodKind.MONTH
                and self.cat.indicators[code].kind != "stock"
            ):
                # "Tính từ đầu năm, tỷ lệ … đạt 42%" under a title of September: January to September
                y, mo = self.doc_period.start.year, self.doc_period.start.month
                named = {3: Period.quarter(y, 1), 6: Period.half(y, 1), 12: Period.year(y)}
                period = named.get(mo) or Period.span(y, 1, y, mo)
        if caution is None and any(d.role == "partial" and d.start == period_clue.start for d in para.dates):
            # "từ ngày 15/7 đến 31/12/2025": a span not covering whole months, no period of the catalogue
            caution = "kỳ không trọn tháng / a span not covering whole months"
        if (
            caution is None
            and period_clue.source not in ("clause", "sentence")
            and _SCHOOL_YEAR.search(line, para.sentences[si][0], phrase.start)
        ):
            # "Năm học 2023-2024, … thí điểm … tại 19 địa phương": a school year, no period of the catalogue
            caution = "năm học, không phải kỳ báo cáo / a school year, not a reporting period"
        flowing = next((d for d in para.dates if d.flow and d.start == period_clue.start), None)
        kind = self.cat.indicators[code].kind
        if flowing is not None and flowing.flow is not None and kind != "stock":
            # "lũy kế đến hết tháng 10/2024, … 612 cuộc tấn công": January to October; "tính đến hết tháng 12/2024,
            # … 1,2 tỷ giao dịch", "… 100% bộ, ngành …": the year (a stock at that date: December)
            period = flowing.flow
        elif (
            (kind == "stock" or _held_share(self.cat.indicators[code]))
            and not fig.target
            and period.kind is PeriodKind.DAY
            and (period.start + timedelta(days=1)).day == 1
            and (
                # a report's cut-off day ("Nền tảng NDXP: số liệu đến ngày 30/9/2025"), or one said before the figure
                period_clue.source == "document"
                or _UP_TO_DAY.search(line[max(0, period_clue.start - 24) : period_clue.start])
            )
        ):
            # "Tính đến ngày 30/9/2024, … 1.164.766 thẻ", "… 92,8% TTHC": a stock (or a share held) dated by its
            # month's last day is that month's (convention 4, round 16b); a mid-month day ("đến ngày 15/6/2025")
            # stays that day, a count of what happened up to it (a flow) too; a share held at the year's last day is
            # the year's, as at "đến hết tháng 12/2024" (convention 4)
            y, m = period.start.year, period.start.month
            period = Period.year(y) if m == 12 and kind == "rate" else Period.month(y, m)
        elif (
            kind == "rate"
            and self.doc_period is not None
            and self.doc_from_title
            and self.doc_period.start == date(period.start.year, 1, 1)
            and self.doc_period.end == period.end
            and period.kind is PeriodKind.MONTH
            and (
                period_clue.source in ("sentence", "paragraph")
                # "Tính đến hết tháng 9/2024, tỷ lệ hồ sơ nộp trực tuyến của tỉnh đạt 38,4%" in a report of "9 tháng
                # năm 2024": a rate of dossiers handled in the months, a flow's (convention 4; round 16)
                or (period_clue.source == "clause" and self.dossier_rate(code))
            )
            and _TO_THE_END.search(line[max(0, period_clue.start - _BEFORE) : period_clue.start])
            and not _held_share(self.cat.indicators[code])  # "… 71,2% người trưởng thành có tài khoản": May's
        ):
            # "Đến hết tháng 6/2024, …. Tỷ lệ … đạt 85,4%" under a title of "6 tháng đầu năm 2024": the rate of the
            # months the report covers, from January (convention 4); a stock stays June's
            period = self.doc_period
        if fig.target:
            if (
                caution is None
                and fig.period is None
                and para.target_year is None
                and not re.search(r"/KH\s*$", line[max(0, phrase.start - 6) : phrase.start])  # the year's plan
                # "Chỉ tiêu cả năm của Bộ là 85%": the whole year of the date (round 16b)
                and not re.search(r"(?<!\w)cả năm(?!\s+\d)", line[para.sentences[si][0] : phrase.start], re.I)
                and period.kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.HALF, PeriodKind.SPAN)
                and period_clue.source in ("clause", "sentence", "paragraph", "document")  # any
                and not re.search(r"(?:19|20)\d\d", line[phrase.end : para.sentences[si][1]])
                and not re.search(  # "Chỉ tiêu quý II/2025 …: 50%": the aim's date says its year
                    r"(?:mục tiêu|kế hoạch|chỉ tiêu)[^;.]*?(?:19|20)\d\d",
                    line[para.sentences[si][0] : para.sentences[si][1]],
                    re.IGNORECASE,
                )
            ):
                # "Trong tháng 10/2025, … vượt mục tiêu đề ra (80%)": a target whose year is not said
                caution = "mục tiêu không nêu năm / a target whose year is not stated"
            if fig.period is not None:
                period, period_clue = fig.period, fig.period_clue
            elif para.target_year is not None:
                period = para.target_year
            elif (fig.target_of_year and not aim_dated) or period.kind is not PeriodKind.QUARTER:
                period = Period.year(period.start.year)
        if (
            caution is None
            and _BEFORE_MERGER.search(line[sentence[0] : phrase.start])
            and all(c.source in ("document", "paragraph", "none") for _, c in units)
        ):
            # "Trước sáp nhập, tỉnh Hà Giang đạt …" in a report after the merger: a unit of the earlier
            # structure that the period's names do not hold, never the report's subject
            caution = "đơn vị trước sắp xếp / a unit before the merger"
        if (
            caution is None
            and not fig.target
            and self.doc_period is not None
            and period.start > self.doc_period.end
            and para.number > self.first_line  # not the report's first line, that may have dated the report
            and self.doc_from_title  # the title dates the report (not a date read in its text)
        ):
            # "Theo kế hoạch, đến năm 2030 tỷ lệ … đạt 90%" in a report of 2024: a value after the report's
            # period is an aim or a forecast, not a result
            caution = "kỳ sau kỳ của báo cáo: mục tiêu hay dự báo? / a period after the report's: an aim or a forecast?"
        snippet = line[sentence[0] : sentence[1]].strip()
        if len(snippet) > 240:
            a = max(sentence[0], phrase.start - 120)
            snippet = ("…" if a > sentence[0] else "") + line[a : a + 240].strip() + "…"
        where = Where(
            para.number, phrase.start, phrase.end, snippet, self.page_of(para.number), self.para_of(para.number)
        )
        for unit, unit_clue in units:
            if not fig.target and fig.period is None:
                para.used.add((*chosen.name, code, unit, _clause_date(para, phrase, clause)))
            unit = self.unit_at(unit, period)
            evidence = Evidence(chosen.clue, unit_clue, period_clue)
            conf = confidence(evidence, chosen.score, comparison=fig.comparison)
            reason = None
            if unit_clue.source == "none":
                reason = (
                    "đơn vị không rõ: nhiều đơn vị được nêu trước số liệu / unit ambiguous: several units named before"
                    if unit_clue is not _NO_CLUE
                    else "không nêu đơn vị (chủ thể) của số liệu / no unit named for the figure"
                )
            elif period_clue.source == "none":
                reason = "không nêu kỳ của số liệu / no period stated for the figure"
            elif caution is not None:
                reason = caution
                conf = round(conf * 0.5, 2)
            elif para.number in self.table_rows and para.number not in self.markdown_rows:
                reason = (
                    "số liệu trong bảng: không đọc tiêu đề cột / a figure in a table: its column heading is not read"
                )
            flags = {"evidence": evidence, "confidence": conf, "flagged": reason is not None, "reason": reason}
            if fig.target:
                self.add_target(code, unit, str(period), fig.value, where, phrase, flags)
            else:
                if not fig.comparison and self.cat.indicators[code].kind in _COUNT_KINDS:
                    # a count whose name was only guessed ("kim ngạch xuất khẩu đạt 26,5 tỷ USD") lends its growth
                    # rate to no change after it ("…, tăng 11,2%": the province's exports, round 16b)
                    self.last_count[(para.number, si)] = (
                        (code, phrase.end, chosen.clue) if reason != _GUESSED else ("", phrase.end, chosen.clue)
                    )
                count = fig.numerator if _members_counted(self.cat.indicators[code], fig) else None
                self.out.append(
                    Proposal(
                        code,
                        unit,
                        str(period),
                        fig.value if count is None else count,
                        where,
                        None,
                        fig.qualifier is not None,
                        fig.qualifier,
                        fig.numerator,
                        fig.denominator,
                        phrase.text,
                        evidence,
                        conf,
                        reason is not None,
                        reason,
                    )
                )

    def unit_at(self, code: str, period: Period) -> str:
        """The unit bearing the name at the period's end: "Bộ Tài chính … 30/6/2025" is the 2025 ministry."""
        u = self.cat.units.get(code)
        if u is None or u.is_group or u.overlaps(period.end, period.end):
            return code
        same = [
            o.code
            for o in self.cat.units.values()
            if o.type is u.type and fold(o.name) == fold(u.name) and o.overlaps(period.end, period.end)
        ]
        return same[0] if len(same) == 1 else code

    def add_target(
        self,
        code: str,
        unit: str,
        period: str,
        value: float,
        where: Where,
        phrase: NumberPhrase,
        flags: dict[str, Any],
    ) -> None:
        """A target stands alone, also beside a value of its sentence ("đạt 34,2%, vượt mục tiêu 30%": a value
        and a target, kept apart)."""
        self.out.append(Proposal(code, unit, period, None, where, value, False, None, None, None, phrase.text, **flags))

    # which indicator -----------------------------------------------------------------------------
    def indicator(
        self, para: _Para, fig: _Figure, si: int, clause: tuple[int, int], units: Sequence[str]
    ) -> _Candidate | None:
        cands = [c for c in self.candidates(para, fig, si, clause) if self.level_fits(c.code, units)]
        cands.sort(key=lambda c: c.score)
        if _RAISED_TO.search(para.line, clause[0], fig.phrase.start) and any(
            self.cat.indicators[c.code].kind == "stock" for c in cands
        ):  # "…, nâng tổng số tuyến … lên 6 tuyến": the total, never what was added
            cands = [c for c in cands if self.cat.indicators[c.code].kind != "count"]
        if pillar_pair := [c for c in cands if c.name[0] == "pillar-pair"]:
            return pillar_pair[0]  # the pillars "lần lượt" pairs, whatever other names stand by
        paired = self.respective_name(para, fig.phrase, si, clause)
        lm = _RESPECTIVELY.search(para.line, clause[0], fig.phrase.start) if paired is None else None
        if lm is not None and _PAIR_ANAPHOR.search(para.line, para.sentences[si][0], lm.start()):
            return None  # "hai tỷ lệ này lần lượt là 40% và 30%" with names that do not pair: whose is which
        if paired is not None and paired.start < para.sentences[si][0]:
            # "…: hồ sơ trực tuyến toàn trình 78,4%, thanh toán trực tuyến 42,3%. Khối địa phương: hai tỷ lệ này lần
            # lượt là 35,2% và 48,1%": the names of the sentence before, in their order
            codes = [c for c in paired.alias.codes if _compatible(self.cat.indicators[c], fig)]
            if len(codes) != 1:
                return None
            clue = Clue(para.line[paired.start : paired.end], paired.start, paired.end, "paragraph")
            return _Candidate(1.0, codes[0], (paired.start,), clue)
        if paired is not None:  # "X và Y lần lượt đạt 44,1% và 37,6%": the n-th name takes the n-th figure
            cands = [c for c in cands if c.name == (paired.start,)]
        elif (
            self.unpaired_list(para, fig.phrase, si, clause) and self.respectively(para, fig.phrase, si, clause) is None
        ):
            return None  # "lần lượt" after several names its figures do not pair with: whose is which is not said
        for c in cands:
            if fig.target or fig.period is not None:
                return c
            dated = _clause_date(para, fig.phrase, clause)  # "…; tháng 8/2025 đạt 51,6%": one figure per date
            if not any((*c.name, c.code, u, dated) in para.used for u in units):
                return c
        return None

    def overlap_name(
        self, para: _Para, fig: _Figure, clause: tuple[int, int], units: Sequence[str]
    ) -> tuple[_Candidate | None, bool]:
        """Round 8: a figure no name holds, named by the words around it: the noun phrase after it (to the next
        figure or mark) and before it in its clause, against each indicator's name, aliases, numerator and
        denominator (pairs of syllables, weighted by how rare they are in the catalogue), among the indicators
        the figure can be. (candidate, clear): clear when the best shares enough and leads the runner-up well."""
        phrase, line = fig.phrase, para.line
        lo = max(
            [clause[0], *(p.end for p in para.numbers if clause[0] <= p.end <= phrase.start)]
            + [m.end() + clause[0] for m in re.finditer(r"[,:;()]", line[clause[0] : phrase.start])]
        )
        hi = min(
            [clause[1], *(p.start for p in para.numbers if phrase.end <= p.start <= clause[1])]
            + [m.start() + phrase.end for m in re.finditer(r"[,:;()]", line[phrase.end : clause[1]])]
        )
        before = [t.fold for t in para.token_range(lo, phrase.number_start) if t.skip is None][-10:]
        after = [t.fold for t in para.token_range(phrase.end, hi) if t.skip is None][:10]
        words = set(pairwise(before)) | set(pairwise(after))
        words -= _OVERLAP_STOP
        if not words:
            return None, False
        index = _overlap_index(self.cat)
        weights = index.weights
        new_ones = bool(
            _NEW_AFTER.match(line[phrase.end : phrase.end + 40])
            or _ADDED_BEFORE.search(line[max(clause[0], phrase.start - 20) : phrase.start])
        )
        scored = []
        for code, grams in index.grams.items():
            ind = self.cat.indicators[code]
            if not _compatible(ind, fig) or not self.level_fits(code, units) or (new_ones and ind.kind == "stock"):
                continue  # "có thêm 3 cơ sở dữ liệu …": the new ones, never a stock
            noun = self.noun_after(para, phrase, para.token_range(phrase.end, hi))
            if not self.noun_fits(ind, fig, noun):
                continue
            got = sum(weights[g] for g in words & grams)
            if got > 0:
                cover = max(
                    sum(weights[g] for g in words & t) / total
                    for t in index.each[code]
                    if (total := sum(weights[g] for g in t)) > 0
                )
                scored.append((got, cover, code))
        if not scored:
            return None, False
        scored.sort(reverse=True)
        best, cover, code = scored[0]
        second = scored[1][0] if len(scored) > 1 else 0.0
        if best < _OVERLAP_MIN or cover < _OVERLAP_COVER_MIN:
            return None, False
        clear = best >= _OVERLAP_CLEAR and best >= _OVERLAP_MARGIN * second and cover >= _OVERLAP_COVER
        # no other indicator shares a word pair: half of one of its names said is enough (right 13 of 13 times
        # over the corpus, docs/extract.md)
        clear = clear or (second == 0.0 and cover >= _OVERLAP_ALONE_COVER)
        a, b = (lo, phrase.start) if before else (phrase.end, hi)
        return _Candidate(6.0, code, ("overlap", phrase.start), Clue(line[a:b].strip(), a, b, "clause")), clear

    def elided_name(
        self, para: _Para, fig: _Figure, si: int, clause: tuple[int, int]
    ) -> _Candidate | None:
        """Round 16: "100% dịch vụ công thiết yếu theo Đề án 06 đã được cung cấp …, trong đó 92% được thực hiện toàn
        trình": a share right after "trong đó" names its noun by the words before it (the previous figure's name)
        and its own words after it; the indicator whose name is those two said together."""
        phrase, line = fig.phrase, para.line
        lead_from = max(para.sentences[si][0], phrase.start - 12)
        if fig.shape != "percent" or not _PARTS_LEAD.search(line, lead_from, phrase.start):
            return None
        prev = next(
            (
                p
                for p in reversed(self.out)
                if p.where.line == para.number
                and para.sentences[si][0] <= p.where.start < phrase.start
                and p.evidence.indicator.source == "clause"
                and self.cat.indicators[p.code].is_rate
            ),
            None,
        )
        if prev is None:
            return None
        head = [t.fold for t in _tokens(prev.evidence.indicator.text, []) if t.fold not in ("ty", "le")]
        end = min([clause[1], *(m.start() + phrase.end for m in re.finditer(r"[,:;()]", line[phrase.end : clause[1]]))])
        tail = [t.fold for t in para.token_range(phrase.end, end) if t.skip is None and t.fold not in ("duoc", "da")]
        if not head or not tail:
            return None
        said = tuple(head + tail)
        for alias in self.names.by_first.get(said[0], ()):
            n = len(alias.tokens)
            if len(head) < n <= len(said) and alias.tokens == said[:n] and len(alias.codes) == 1:
                code = alias.codes[0]
                if code != prev.code and self.cat.indicators[code].is_rate:
                    a, b = phrase.end, end
                    return _Candidate(6.0, code, ("elided", phrase.start), Clue(line[a:b].strip(), a, b, "clause"))
        return None

    def foreign_subject(
        self, para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int], pattern: re.Pattern[str] = _FOREIGN
    ) -> bool:
        """Round 6: the world, a region or another country as the figure's subject: the last such words before the
        figure in its clause (or opening its sentence), with no unit of the catalogue named between them and it
        and not compared with ("so với Singapore", "cao hơn Thái Lan")."""
        line = para.line
        last = None
        for lo in (clause[0], para.sentences[si][0]):
            for m in pattern.finditer(line, lo, phrase.start):
                last = m
            if last is not None:
                break
        if last is None or _COMPARED.search(line[max(0, last.start() - 14) : last.start()]):
            return False
        if last.start() < clause[0] and not pattern.match(line, para.sentences[si][0]):
            return False  # an earlier clause's, unless it opens the sentence ("Trên thế giới, …; …")
        return not any(last.end() <= m.start < phrase.start for m in para.mentions[si])

    def level_fits(self, code: str, units: Sequence[str]) -> bool:
        """An indicator of one level only (its catalogue ``levels``: the DTI "cấp bộ" is the ministries') only
        for units of that level (a ministry, the ministries' bloc)."""
        levels = self.cat.indicators[code].levels
        if len(levels) == 3 or levels == ("nation",):
            return True  # a national system's figure a unit reports as its own share stays that unit's
        if self.speaks_for_nation(code):
            # a ministry setting or reporting the country's figure speaks for the nation (convention 6)
            return all(self.level_of_unit(u) in (*levels, "ministry") for u in units)  # the blocs too
        nation_fits = self.bloc_of(code) is not None  # "cả nước có 3 địa phương …": the bloc's (convention 1)
        return all(self.level_of_unit(u) in levels or (u == self.cat.nation.code and nation_fits) for u in units)

    def dossier_rate(self, code: str) -> bool:
        """A rate of dossiers handled (its numerator counts them: "Số hồ sơ …"): what happened in the months."""
        ind = self.cat.indicators[code]
        return isinstance(ind, RateIndicator) and bool(re.match(r"(?:(?:tong )?so )?ho so\b", fold(ind.numerator.vi)))

    def speaks_for_nation(self, code: str) -> bool:
        """An indicator of the country's people, businesses or territory (``levels: [nation, province]``: chip
        ID cards, e-health books): a ministry has none of its own (docs/extract.md, convention 6)."""
        levels = self.cat.indicators[code].levels
        return "nation" in levels and "ministry" not in levels and len(levels) > 1

    def bloc_of(self, code: str) -> str | None:
        """The bloc an indicator of one level counts the members of ("Số địa phương có dịch vụ 5G": the
        provinces'): its figure goes to that bloc where the text says "cả nước", "toàn quốc" or names no unit, as
        every member was counted and no other unit is meant (docs/extract.md, convention 1). None for a score (an
        index of one level: the nation has none) and for an indicator of every level."""
        ind = self.cat.indicators[code]
        if ind.kind == "score" or len(ind.levels) != 1:
            return None
        return {"province": "provinces", "ministry": "ministries"}.get(ind.levels[0])

    def one_ministry(self, code: str) -> bool:
        """A ministry or agency (not the ministries' bloc)."""
        return code != "ministries" and self.level_of_unit(code) == "ministry"

    def ministries_to_nation(self, units: list[tuple[str, Clue]], clue: Clue | None) -> list[tuple[str, Clue]]:
        """The units with each ministry or agency replaced by the nation (with ``clue``, or the ministry's own),
        each unit once: a ministry speaking for the country (conventions 2 and 6)."""
        nation = self.cat.nation.code
        spoken = [((nation, c if clue is None else clue) if self.one_ministry(u) else (u, c)) for u, c in units]
        return [x for i, x in enumerate(spoken) if x[0] not in (u for u, _ in spoken[:i])]

    def level_of_unit(self, code: str) -> str | None:
        """ "nation", "ministry" (a ministry or the ministries' bloc), "province" (a province, a unit under it,
        or the provinces' bloc), or None (another group, an unknown unit)."""
        if code == self.cat.nation.code:
            return "nation"
        unit = self.cat.units.get(code)
        if unit is None:
            return None
        if unit.is_ministry or code == "ministries":
            return "ministry"
        if code == "provinces" or not unit.is_group:
            return "province"
        return None

    @staticmethod
    def respective_name(para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int]) -> _Match | None:
        """With "lần lượt", the indicator names before it pair in order with the figures after it."""
        lm = _RESPECTIVELY.search(para.line, clause[0], phrase.start)
        if lm is None:
            return None
        figures = _listed_figures(para, lm.end(), clause[1], phrase.kind)
        for lo in (clause[0], para.sentences[si][0]):  # "…; khối tỉnh lần lượt là 18,5% và 40%": names before
            names: list[_Match] = []
            for m in para.matches[si]:
                if lo <= m.start and m.end <= lm.start() and not m.contained:
                    if names and m.start < names[-1].end:
                        continue  # overlapping readings of one name
                    names.append(m)
            if len(names) >= 2:
                break
            if (
                len(names) == 1
                and lo == clause[0] > para.sentences[si][0]
                and len(figures) >= 2
                and phrase in figures
                and len(_Reader.respective_units(para, si, clause, lm)) == len(figures)
            ):
                # "…; tỷ lệ hồ sơ cấp kết quả bản điện tử lần lượt đạt 45,48% và 67,2%": one name of its own for
                # every figure (the units of the clause before pair), not the sentence's earlier names
                return names[0]
        if len(names) < 2 and si > 0 and _PAIR_ANAPHOR.search(para.line, para.sentences[si][0], lm.start()):
            names = []  # "hai tỷ lệ này lần lượt là …": the names of the sentence before, in order
            for m in para.matches[si - 1]:
                if not m.contained and not (names and m.start < names[-1].end):
                    names.append(m)
            if len({m.alias.codes for m in names}) != len(names):
                return None
        if len(names) < 2 or len(names) != len(figures) or phrase not in figures:
            return None
        return names[figures.index(phrase)]

    @staticmethod
    def unpaired_list(para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int]) -> bool:
        lm = _RESPECTIVELY.search(para.line, clause[0], phrase.start)
        if lm is None:
            return False
        figures = _listed_figures(para, lm.end(), clause[1], phrase.kind)
        codes = {
            m.alias.codes
            for m in para.matches[si]
            if para.sentences[si][0] <= m.start and m.end <= lm.start() and not m.contained
        }
        return len(figures) >= 2 and phrase in figures and len(codes) >= 2

    def candidates(self, para: _Para, fig: _Figure, si: int, clause: tuple[int, int]) -> list[_Candidate]:
        phrase = fig.phrase
        sentence = para.sentences[si]
        after = para.token_range(phrase.end, sentence[1])
        noun = self.noun_after(para, phrase, after)
        out: list[_Candidate] = []

        per_day = self.per_day_near(para, phrase, clause)
        new_ones = bool(
            _NEW_AFTER.match(para.line[phrase.end : phrase.end + 40])
            or _ADDED_BEFORE.search(para.line[max(clause[0], phrase.start - 20) : phrase.start])
        )

        base_m = _SHARE_OF.match(para.line, phrase.end) if fig.shape == "percent" else None
        base_of = tuple(fold(base_m.group(1)).split()) if base_m else None
        # "…; 100% xã, phường có kết nối …": a percent with words of its own after it is a share of them; a
        # name read in another clause must take its share over those words
        own_of = None
        if fig.shape == "percent" and base_of is None and _OWN_WORDS_AFTER.match(para.line, phrase.end):
            own = _OWN_NOUN.match(para.line, phrase.end)
            own_of = tuple(fold(own.group(1)).split()) if own is not None else None

        def add(score: float, codes: Iterable[str], name: tuple[object, ...], clue: Clue | None = None) -> None:
            if per_day:  # "bình quân mỗi ngày … 2,8 triệu giao dịch qua NDXP": the daily average of that count
                codes = [*codes, *(c for x in codes for c in self.names.per_day_of.get(x, ()))]
            for code in codes:
                ind = self.cat.indicators[code]
                if ind.kind == "stock" and new_ones:
                    # "8 triệu tài khoản mới", "thêm 2 tuyến cáp quang biển": the new ones, a flow, not the stock;
                    # the catalogue's count of the added ones when it holds one ("submarine_cables_added")
                    flow = next((f"{code}{x}" for x in ("_added", "_new") if f"{code}{x}" in self.cat.indicators), None)
                    if flow is None or self.cat.indicators[flow].kind == "stock":
                        continue
                    code, ind = flow, self.cat.indicators[flow]
                weaker = 0.0
                if (
                    fig.shape == "percent"
                    and name[:1] != ("split",)  # a name said whole, not split around other figures
                    and (share := _shares_of_counts(self.cat).get(code)) is not None
                ):
                    # the count's words on a percent: its share, after any rate named as such
                    code, ind, weaker = share, self.cat.indicators[share], 0.5
                if not _compatible(ind, fig):
                    continue
                if base_of is not None and not self.counts_over(ind, base_of):
                    continue  # "29% số hộ gia đình" is a share of households, not of the population
                if score >= 3.0 and own_of is not None and not self.counts_over(ind, own_of):
                    continue
                if score >= _NOUN_FIT_FROM and not self.noun_fits(ind, fig, noun):
                    # a weak reading, or a name from another clause, needs the figure to count what the
                    # indicator counts ("Sổ sức khỏe điện tử; 21,7 triệu công dân …" counts people, not books)
                    continue
                got = clue or Clue("", -1, -1, "clause" if score < 3.0 else "sentence")
                out.append(_Candidate(score + weaker + self.fit(ind, fig, noun, para, clause), code, name, got))

        def mclue(m: _Match) -> Clue:
            near = m.start >= clause[0] and m.end <= clause[1]
            return Clue(para.line[m.start : m.end], m.start, m.end, "clause" if near else "sentence")

        for m in para.matches[si]:
            penalty = 0.5 if m.contained else 0.0
            if fig.index in m.inside:
                add(0.0 + penalty, m.alias.codes, (m.start,), mclue(m))
            elif m.start >= phrase.end:
                s = self.after_score(para, fig, m, clause)
                codes = m.alias.codes
                if not per_day and re.search(r"[,;]", para.line[m.start : m.end]):
                    # "298,4 triệu giao dịch, bình quân mỗi ngày …": the daily average is the next figure's
                    codes = tuple(c for c in codes if self.cat.indicators[c].kind != "average_per_day")
                if s is not None:
                    add(s + penalty, codes, (m.start,), mclue(m))
            elif (
                m.end <= phrase.start
                and (m.size > 2 or self.acronym_name(para, m, clause))
                and not self.subset(para, m)
                and not self.previous_figures_name(para, m, phrase, clause)
                and not (m.start < clause[0] and _PART_BEFORE.search(para.line, sentence[0], m.start))
            ):
                gap = len(para.token_range(m.end, phrase.start))
                if m.start >= clause[0]:
                    add(1.0 + 0.02 * gap + penalty, m.alias.codes, (m.start,), mclue(m))
                else:
                    add(3.0 + 0.02 * gap + penalty, m.alias.codes, (m.start,), mclue(m))
        for m in self.after_unit_list(para, phrase, si):  # "Bộ A (92,3%), Bộ B (90,5%) có tỷ lệ X cao nhất"
            add(0.8, m.alias.codes, (m.start,), mclue(m))
        # a name split around the figure: the noun after the number opens it and the rest comes later in the
        # clause ("22 tổ chức tín dụng và 13 trung gian … triển khai ứng dụng VNeID") or stood earlier in the
        # paragraph ("… dịch vụ Mobile Money … Tổng số khách hàng … 9,6 triệu khách hàng"); or the words right
        # before the number open it and the rest stood earlier in the clause ("thanh toán trực tuyến với số
        # tiền hơn 12,9 nghìn tỷ đồng")
        upto = clause[1]
        for p in para.numbers:  # "88,5% hồ sơ được xử lý, 79,3% hồ sơ cấp kết quả …": the list's next figure
            if phrase.end < p.start < upto and re.search(r",\s*$", para.line[phrase.end : p.start]):
                upto = p.start
                break
        later = [t.fold for t in para.token_range(phrase.end, upto)]
        earlier = [t.fold for t in para.token_range(0, phrase.start)]
        in_clause = [t.fold for t in para.token_range(clause[0], phrase.start)]
        in_sentence = [t.fold for t in para.token_range(sentence[0], phrase.start)]
        heads = list(self.split_names([t.fold for t in after[:6]]))
        if noun == "bloc":  # "18 bộ, ngành" opens "bộ, ngành, địa phương kết nối với Cơ sở dữ liệu …"
            heads += self.names.bloc_headed
        # "80% hồ sơ … nộp trực tuyến và 100% hồ sơ được số hóa": a figure listed after another with words of
        # its own completes its noun after it or before the list ("Cổng … có 4.730 dịch vụ, 19,6 triệu tài khoản"),
        # never with the earlier figure's words
        places = ((1.5, later), (2.0, in_clause), (2.5, in_sentence), (5.0, earlier))
        listed = [p.start for p in para.numbers if clause[0] <= p.start and p.end < phrase.start]
        if listed and _LIST_JOIN_END.search(para.line, clause[0], phrase.start) and _OWN_WORDS_AFTER.match(
            para.line, phrase.end
        ):
            first = min(listed)
            places = (
                (1.5, later),
                (2.0, [t.fold for t in para.token_range(clause[0], first)]),
                (2.5, [t.fold for t in para.token_range(sentence[0], first)]),
                (5.0, [t.fold for t in para.token_range(0, first)]),
            )
        for alias, k in heads:
            for rest in _rests(alias.tokens[k:], self.acronyms):  # "giao dịch [qua] Nền tảng …": may stand alone
                where = next((score for score, words in places if _contains(words, rest)), None)
                if where is not None:
                    add(where, alias.codes, ("split", alias.tokens), Clue(" ".join(alias.tokens), -1, -1, "clause"))
                    break
        lead = in_clause[-3:]
        for n in range(len(lead)):
            for alias, k in self.split_names(lead[n:], as_head=False):
                if k == len(lead) - n and _contains(in_clause[:-3], alias.tokens[k:]):
                    add(4.5, alias.codes, ("split", alias.tokens), Clue(" ".join(alias.tokens), -1, -1, "clause"))
        if si > 0 and fig.shape in ("percent", "money"):  # "Tăng trưởng 20% so với năm 2023." after its subject
            prev = para.sentences[si - 1]
            for m in para.matches[si - 1]:
                if m.size > 2 and m.start >= prev[0]:
                    add(
                        6.0 + 0.01 * len(para.token_range(m.end, phrase.start)),
                        m.alias.codes,
                        (m.start,),
                        Clue(para.line[m.start : m.end], m.start, m.end, "sentence"),
                    )
        if fig.shape in ("score", "count", "percent"):
            for score, code, at, clue in self.pillars(para, phrase, si, clause):
                add(score, (code,), ("pillar-pair" if score == _PILLAR_PAIRED else "pillar", at), clue)
        if (
            not out
            and self.title_index is not None
            # no name in the figure's clause ("Bắc Ninh đạt 0,5527 điểm, trong đó trụ cột …" names its parts
            # only after it)
            and not any(m.start < clause[1] for m in para.matches[si])
            and fig.shape in ("score", "count")
        ):
            # "Công bố Chỉ số chuyển đổi số cấp tỉnh năm 2023" then "Đà Nẵng dẫn đầu với 0,6831 điểm": the index the
            # title names, for a figure of a sentence that names no indicator (a score, or a bare decimal)
            codes, clue = self.title_index
            if fig.shape == "score" or not float(fig.value).is_integer():
                if fig.shape not in ("score", "percent", "money", "rank", "fraction") and all(
                    self.cat.indicators[c].unit == "điểm" for c in codes
                ):
                    # "Quảng Ninh (90,13), Bình Dương (89,47) …" under a title naming the index
                    fig.shape = "score"
                add(3.5, codes, ("title",), clue)
        if (
            not out
            and self.title_index is not None
            and fig.shape == "percent"
            and not para.matches[si]
            and all(self.cat.indicators[c].is_rate for c in self.title_index[0])
            # "- Tỷ lệ tiếp nhận hồ sơ trực tuyến đạt 69,37%": a rate the sentence names, one not known (round 16b)
            and not re.search(r"(?<!\w)tỷ lệ\s+[^\W\d]", para.line[para.sentences[si][0] : phrase.start], re.IGNORECASE)
        ):
            # "Tỷ lệ hồ sơ thanh toán trực tuyến 9 tháng đầu năm 2024" then "Khối bộ: 42,8%; …": the rate the
            # title names, for a percent of a sentence that names no indicator
            add(3.5, self.title_index[0], ("title",), self.title_index[1])
        if fig.role == "growth" and not out:
            # "… đã xử lý 1,18 tỷ giao dịch, tăng 21,4% so với năm 2023": the change of the count read just before
            # it in the sentence goes to that count's growth rate (a growth rate whose name holds the count's)
            last = self.last_count.get((para.number, si))
            if last is not None and not any(
                last[1] <= p.start < phrase.start and p.kind is NumberKind.PERCENT for p in para.numbers
            ):
                growth = self.growth_of(last[0]) if last[0] else None
                if growth:
                    add(2.0, growth, ("growth", last[0]), last[2])
        return out

    def pillars(
        self, para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int]
    ) -> list[tuple[float, str, int, Clue]]:
        """A component of an index ("DTI tỉnh: Hạ tầng số") named by its own words ("trụ cột Chính quyền số", "ở chỉ
        số Hạ tầng số", "về Nhận thức số") in a sentence (or under a title) that names the index: right after the
        figure, or before it in its clause or sentence. (score, code, where, clue)"""
        scope = {c for m in para.matches[si] for c in m.alias.codes}
        if self.title_index is not None:
            scope |= set(self.title_index[0])
        lm = _RESPECTIVELY.search(para.line, clause[0], phrase.start)
        # in a list in order, a pillar named by an alias of its own ("Hạ tầng và nền tảng số") names its index
        # too, so the pillars listed with it pair ("Nhận thức số, …, Hạ tầng và nền tảng số, … lần lượt là …")
        paired_scope = scope | {c.rsplit(".", 1)[0] for c in scope if "." in c} if lm is not None else scope
        comps = [(code, forms) for code, parent, forms in self.components if parent in scope]
        paired = [(code, forms) for code, parent, forms in self.components if parent in paired_scope]
        if not paired:
            return []
        sentence = para.sentences[si]
        toks = [t for t in para.tokens if sentence[0] <= t.start < sentence[1]]
        words = [t.fold for t in toks]
        out: list[tuple[float, str, int, Clue]] = []
        if lm is not None:  # "các trụ cột A, B và C lần lượt đạt x; y và z": the n-th pillar, the n-th figure
            named: list[tuple[int, int, str]] = []
            for code, forms in paired:
                for form in forms:
                    n = len(form)
                    for i in range(len(words) - n + 1):
                        a, b = toks[i].start, toks[i + n - 1].end
                        if tuple(words[i : i + n]) == form and b <= lm.start():
                            named.append((a, b, code))
            spans = sorted(
                {(a, b) for a, b, _ in named if not any(o[0] <= a and b <= o[1] and o[1] - o[0] > b - a for o in named)}
            )
            if len(spans) >= 2:  # (one span may name the pillar of two indices: the unit's level decides)
                figures = _listed_figures(para, lm.end(), clause[1], phrase.kind)
                if len(spans) != len(figures) or phrase not in figures:
                    return []
                a, b = spans[figures.index(phrase)]
                got = Clue(para.line[a:b], a, b, "clause" if a >= clause[0] else "sentence")
                return [(_PILLAR_PAIRED, code, a, got) for x, y, code in named if (x, y) == (a, b)]
        for code, forms in comps:
            for form in forms:
                n = len(form)
                for i in range(len(words) - n + 1):
                    if tuple(words[i : i + n]) != form:
                        continue
                    a, b = toks[i].start, toks[i + n - 1].end
                    clue = Clue(para.line[a:b], a, b, "clause" if clause[0] <= a < clause[1] else "sentence")
                    if phrase.end <= a < clause[1]:
                        gap = [t for t in para.token_range(phrase.end, a) if t.fold != "diem"]  # "0,71 điểm ở …"
                        if (
                            len(gap) <= 3
                            and all(t.skip is None and t.fold != "va" for t in gap)
                            and not re.search(r"[,;.:()]", para.line[phrase.end : a])
                        ):
                            out.append((0.6 + 0.05 * len(gap), code, a, clue))  # "0,7631 ở chỉ số Hạ tầng số"
                    elif b <= phrase.start and not (a < clause[0] and _PART_BEFORE.search(para.line, sentence[0], a)):
                        gap_n = len(para.token_range(b, phrase.start))
                        out.append(((1.0 if a >= clause[0] else 3.0) + 0.02 * gap_n, code, a, clue))
        return out

    @property
    def components(self) -> list[tuple[str, str, list[tuple[str, ...]]]]:
        """(component, its index, the component's own words) for every "INDEX: Component" of the catalogue."""
        if self._components is None:
            self._components = []
            for code, ind in self.cat.indicators.items():
                parent = code.rsplit(".", 1)[0]
                if "." not in code or parent not in self.cat.indicators or ":" not in ind.name.vi:
                    continue
                own = tuple(fold(ind.name.vi.split(":", 1)[1]).split())
                forms = [own]
                if own[:2] == ("hoat", "dong") and len(own) >= 4:
                    forms.append(own[2:])  # "Hoạt động chính quyền số" is also "Chính quyền số"
                if "va" in own[1:-1]:
                    forms.append(tuple(w for w in own if w != "va"))  # "Hạ tầng, nền tảng số" for "… và …"
                self._components.append((code, parent, [f for f in forms if len(f) >= 2]))
        return self._components

    def growth_of(self, code: str) -> tuple[str, ...]:
        """The growth rates whose name or alias holds a name (of three words at least) of the count ``code``."""
        ind = self.cat.indicators[code]
        own = [tuple(fold(t).split()) for t in (ind.name.vi, *ind.aliases)]
        own = [t for t in own if len(t) >= 3]
        out = []
        for other, o in self.cat.indicators.items():
            if not _growth(o):
                continue
            names = [tuple(fold(t).split()) for t in (o.name.vi, *o.aliases)]
            if any(_contains(n, t) for n in names for t in own):
                out.append(other)
        return tuple(out)

    @staticmethod
    def after_unit_list(para: _Para, phrase: NumberPhrase, si: int) -> list[_Match]:
        """A figure in parentheses after a named unit, in a list of such that a name closes: that name."""
        line = para.line
        if not any(
            u.named and u.end <= phrase.start and _PAREN_AFTER_NAME.fullmatch(line[u.end : phrase.start])
            for u in para.mentions[si]
        ):
            return []
        out = []
        for m in para.matches[si]:
            if m.start < phrase.end or m.contained:
                continue
            gap = list(line[phrase.end : m.start])
            for u in para.mentions[si]:
                if phrase.end <= u.start and u.end <= m.start:
                    gap[u.start - phrase.end : u.end - phrase.end] = " " * (u.end - u.start)
            rest = re.sub(r"\([^()]*\)", " ", "".join(gap))
            if re.fullmatch(r"[\s,)]*(?:(?:và|có|là|đạt|với)\b[\s,]*)*", rest, re.IGNORECASE):
                out.append(m)
            break  # only the first name after the list
        return out

    def acronym_name(self, para: _Para, m: _Match, clause: tuple[int, int]) -> bool:
        """An index's acronym ("DTI") names the figures after it, unless it only sets the scope of a component the
        figure's clause names ("trụ cột Chính quyền số của DTI 2023", "Trong DTI 2024, … đạt 0,7631 ở chỉ số Hạ
        tầng số")."""
        if not _ACRONYM.fullmatch(para.line[m.start : m.end]):
            return False
        before = para.line[max(0, m.start - 8) : m.start]
        lead = [t.fold for t in para.tokens if t.end <= m.start][-6:]
        if any(
            len(lead) >= len(form) and tuple(lead[-len(form) :]) == form
            for _code, parent, forms in self.components
            if parent in m.alias.codes
            for form in forms
        ):
            return False  # "Ở chỉ số nhận thức số DTI 2023, …": the pillar, the acronym only its scope
        if not re.search(r"(?:^|\W)(?:trong|ở|của|tại|về|thuộc)\s+$", before, re.IGNORECASE):
            return True
        words = [t.fold for t in para.tokens if min(clause[0], m.start) <= t.start < clause[1]]
        return not any(
            _contains(words, form)
            for _code, parent, forms in self.components
            if parent in m.alias.codes
            for form in forms
        )

    def growth_named(self, para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int]) -> bool:
        """A growth rate's whole name right before the figure, commas and all ("tốc độ tăng trưởng giao dịch qua
        Nền tảng tích hợp, chia sẻ dữ liệu quốc gia của cả nước đạt 20%")."""
        return any(
            clause[0] <= m.start
            and m.end <= phrase.start
            and all(_growth(self.cat.indicators[c]) for c in m.alias.codes)
            and re.match(r"(?:tốc độ\s+)?tăng", para.line[m.start : m.end], re.IGNORECASE)
            and _NAME_TO_FIGURE.fullmatch(para.line[m.end : phrase.start])
            for m in para.matches[si]
        )

    @staticmethod
    def previous_figures_name(para: _Para, m: _Match, phrase: NumberPhrase, clause: tuple[int, int]) -> bool:
        """Round 9: in a list of aims or results "80% hồ sơ … nộp trực tuyến và 100% hồ sơ được số hóa" each figure
        takes the words after it: a name right after the previous figure, joined to this one by "và" or a comma, is
        that figure's, when this one has words of its own after it."""
        if not _LIST_JOIN_END.search(para.line, clause[0], phrase.start):
            return False
        if not _OWN_WORDS_AFTER.match(para.line, phrase.end):
            return False
        return any(
            clause[0] <= p.start and p.end <= m.start and _FIGURES_NOUN.fullmatch(para.line[p.end : m.start])
            for p in para.numbers
        )

    def subset(self, para: _Para, m: _Match) -> bool:
        """A name after "top 10" or "nhóm 10" speaks of a subset, not of the whole."""
        return bool(
            re.search(r"(?:^|\W)(?:top|nhóm)\s+\d+\s+$", para.line[max(0, m.start - 12) : m.start], re.IGNORECASE)
        )

    def counts_over(self, ind: Indicator, base: tuple[str, ...]) -> bool:
        """Whether a rate is taken over ``base`` ("số hộ gia đình"): its name, aliases, numerator or denominator
        name it."""
        return any(_contains(fold(t).split(), base) for t in _names_of(ind))

    def noun_fits(self, ind: Indicator, fig: _Figure, noun: str | None) -> bool:
        if fig.shape != "count" or not noun or ind.kind not in _COUNT_KINDS:
            return True
        unit = fold(ind.unit.split("/")[0])
        if noun == "bloc":
            return unit in _ORG_UNITS
        return noun.startswith(unit) or unit.startswith(noun) or noun not in self.names.units_of_count

    def after_score(self, para: _Para, fig: _Figure, m: _Match, clause: tuple[int, int]) -> float | None:
        """A name after the figure: right after it (fillers, a bloc noun or a coordinated figure between)
        scores well; further on in the clause, with no other figure between, it is a weak reading."""
        phrase, line = fig.phrase, para.line
        between = para.token_range(phrase.end, m.start)
        fillers = _AFTER_FILLERS | _RANK_FILLERS if fig.shape == "rank" else _AFTER_FILLERS
        blocs = [u for u in para.mentions[para.sentence_of(phrase.number_start)] if phrase.end <= u.start < m.start]
        gap_text = list(line[phrase.end : m.start])
        for u in blocs:
            gap_text[u.start - phrase.end : u.end - phrase.end] = " " * (u.end - u.start)
        for p in para.numbers:
            if phrase.end <= p.start and p.end <= m.start:
                gap_text[p.start - phrase.end : p.end - phrase.end] = " " * (p.end - p.start)
        if _PASSIVE_AFTER.match(line[m.end : m.end + 20]):
            return None  # "30% hồ sơ trực tuyến toàn trình bị trả lại": a share of them, not their rate
        other = [
            t
            for t in between
            if t.skip is None
            and not any(u.start <= t.start < u.end for u in blocs)
            and not (fig.shape == "score" and t.fold == "diem")  # "đạt 0,6342 điểm Chỉ số chuyển đổi số cấp bộ"
        ]
        if m.alias.tokens[:2] in (("ty", "le"), ("ty", "trong"), ("chi", "so"), ("tru", "cot")) and other:
            return None  # "30,1% và tỷ lệ số hóa …", "0,7462 và chỉ số …": a name after "và" opens the next figure
        if any(
            (a.fold, b.fold, c.fold) in _NAME_OPENERS for a, b, c in zip(other, other[1:], other[2:], strict=False)
        ):
            return None  # the same when the name read is a part after "tỷ lệ" ("80% và tỷ lệ hồ sơ …")
        extras = [t for t in other if t.fold in fillers]
        numbers_between = {t.skip for t in between if t.skip is not None and t.skip < len(para.numbers)}
        if numbers_between and any(
            clause[0] <= o.start
            and o.end <= phrase.start
            and not o.contained
            and len(para.token_range(o.end, phrase.start)) <= 4  # "tỷ lệ X đạt tối thiểu 70%, 100% Y"
            for o in para.matches[para.sentence_of(phrase.number_start)]
        ):
            return None  # "tỷ lệ X đạt 44,6% và 97% Y …": the figure has its name; the one after is the next's
        nxt = next((p for p in para.numbers if p.start >= m.end), None)
        if (
            nxt is not None
            and nxt.end <= clause[1]
            and len(para.token_range(m.end, nxt.start)) <= 2  # "và băng rộng cố định (đạt) 23,2"
            and any(
                clause[0] <= o.start
                and o.end <= phrase.start
                and not o.contained
                and len(para.token_range(o.end, phrase.start)) <= 2
                # not the name of a figure before it ("140,3 thuê bao di động, 88,6 thuê bao băng rộng …")
                and not any(q.end <= o.start and not para.line[q.end : o.start].strip() for q in para.numbers)
                for o in para.matches[para.sentence_of(phrase.number_start)]
            )
        ):
            return None  # "thuê bao băng rộng di động 92,4 và băng rộng cố định 23,2": the name after opens the next
        if (
            len(extras) == len(other)
            and len(extras) <= (4 if fig.shape == "rank" else 3)
            and not re.search(r"[;.:()]", "".join(gap_text))
            and (not numbers_between or re.search(r"\bvà\b|,", "".join(gap_text)))
            and ("," not in "".join(gap_text) or numbers_between)
        ):
            return 0.5 + 0.1 * len(extras) + 0.2 * len(numbers_between)
        if m.end <= clause[1] and not numbers_between and len(between) <= 12:
            return 4.0 + 0.05 * len(between)  # a weak reading: the noun must fit (see ``candidates``)
        return None

    def split_names(self, words: Sequence[str], *, as_head: bool = True) -> Iterable[tuple[_Alias, int]]:
        """Names that open with at least two of the words given (with ``as_head``, a leading "số", "tổng số"
        of the name aside) and go on for at least two more: (name, where the rest begins)."""
        if not words:
            return
        found = (
            self.names.by_head.get(words[0], []) if as_head else [(a, 0) for a in self.names.by_first.get(words[0], [])]
        )
        for alias, start in found:
            k = 0
            while start + k < len(alias.tokens) and k < len(words) and alias.tokens[start + k] == words[k]:
                k += 1
            if k >= 2 and len(alias.tokens) - start - k >= 2:
                yield alias, start + k

    @staticmethod
    def per_day_near(para: _Para, p: NumberPhrase, clause: tuple[int, int]) -> bool:
        """Whether "mỗi ngày", "bình quân ngày"… stands by the figure (before it, or after it in its phrase)."""
        before = para.line[max(clause[0], p.start - 40) : p.start]
        return bool(_PER_DAY.search(before + re.split(r"[,;.()]", para.line[p.end : p.end + 30])[0]))

    def noun_after(self, para: _Para, phrase: NumberPhrase, after: Sequence[_Token]) -> str | None:
        """The counting noun right after a number ("hồ sơ", "giao dịch"), or "bloc" for "18 bộ, ngành"."""
        if not after or para.line[phrase.end : after[0].start].strip():
            return None
        words = [t.fold for t in after[:4]]
        for toks, _code, _bare in self.names.groups:
            if tuple(words[: len(toks)]) == toks:
                return "bloc"
        for n in (3, 2, 1):
            cand = " ".join(words[:n])
            if cand in self.names.units_of_count:
                return cand
        if tuple(words[:2]) in _PEOPLE and "nguoi" in self.names.units_of_count:
            return "nguoi"  # "21,7 triệu công dân …" counts people, whatever the name near it counts
        return " ".join(words[:2]) if words else None

    def fit(self, ind: Indicator, fig: _Figure, noun: str | None, para: _Para, clause: tuple[int, int]) -> float:
        """Small preferences among names that fit equally: the counting noun, per day, cumulative, dated."""
        score = 0.0
        unit = fold(ind.unit.split("/")[0])
        if ind.kind in _COUNT_KINDS and noun and fig.shape == "count":
            if noun == "bloc":
                score += -0.3 if unit in _ORG_UNITS else 0.3
            elif unit and (noun.startswith(unit) or unit.startswith(noun)):
                score -= 0.3
            elif noun in self.names.units_of_count:
                score += 0.3
        per_day = self.per_day_near(para, fig.phrase, clause)
        if ind.kind == "average_per_day":
            score += -0.2 if per_day else 0.5
        elif per_day and fig.shape == "count":
            score += 0.5  # "bình quân mỗi ngày có khoảng 2,8 triệu giao dịch": not a total
        cumulative = "luy ke" in fold(ind.name.vi)
        dated = any(clause[0] <= d.start < fig.phrase.start and d.role == "context" for d in para.dates)
        sentence_start = para.sentences[para.sentence_of(fig.phrase.number_start)][0]
        head = para.line[sentence_start : fig.phrase.start]
        if (_CUMULATIVE.search(head) and (not dated or _UP_TO.search(head))) or _CUMULATED_TO.search(head):
            # "Lũy kế đến hết năm 2024, …": the date ends the accumulation, it does not make a flow
            # "Tính đến cuối năm 2024, nền tảng đã xử lý tổng cộng 2,59 tỷ giao dịch": a date the total runs up to
            # "Tổng cộng, hệ thống đã … thay thế khoảng 953.700 hồ sơ giấy": a total to date, not a flow
            score += 1.0 if ind.kind == "count" else -0.3 if cumulative else 0.0
        elif cumulative:
            score += 0.1
        if ind.kind == "count":
            score += -0.05 if dated else 0.05
        return score

    # which unit ----------------------------------------------------------------------------------
    def caution(self, para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int]) -> str | None:
        """Why the figure may not be the named unit's own: a part of it named before the figure (a
        department "Sở …", one field "lĩnh vực …", a level "cấp xã", "các xã …", "trong số hồ sơ …"), or an
        anaphor ("Tỉnh này") that names no unit. The proposal is flagged, never dropped."""
        line = para.line
        sentence = para.sentences[si]
        head = line[clause[0] : phrase.start]
        if _PART_OF_UNIT.search(head):
            return "một phần của đơn vị (sở, lĩnh vực, cấp xã…) / a part of the unit (a department, a field, a level)"
        dep = _DEPARTMENT.search(line[sentence[0] : phrase.start])
        if dep and not _REPORTER_AFTER.search(line[sentence[0] + dep.end() : phrase.start]):
            return "một sở của đơn vị / a department of the unit"
        if _SUBSET_OF.search(line[sentence[0] : phrase.start]):
            return "tỷ lệ trong một tập con / a share of a subset"
        if _FIELD_APART.search(line[sentence[0] : phrase.start]):
            return "một phần của đơn vị (sở, lĩnh vực, cấp xã…) / a part of the unit (a department, a field, a level)"
        if _COMMUNES_NATIONWIDE.search(line[sentence[0] : phrase.start]):
            # "cấp xã toàn quốc …; tỷ lệ … đạt 93,5%": the communes' level across the nation, not the nation's
            return "một phần của đơn vị (sở, lĩnh vực, cấp xã…) / a part of the unit (a department, a field, a level)"
        if _FIELD_AFTER.match(line, phrase.end):
            return "một lĩnh vực của đơn vị / one field of the unit"  # "50% hồ sơ thuộc lĩnh vực đất đai"
        if _AREA_PART.search(head):
            return "một đơn vị cũ, nay là một phần / a former unit, now a part of one"
        if _DISTRICT.search(line[sentence[0] : phrase.start]) or _SOME_LOCALITIES.match(line, sentence[0]):
            return "một huyện, xã (phường) của tỉnh / a district or commune, a part of the province"
        if _AGENCY.search(line[sentence[0] : phrase.start]):
            return "một cơ quan, bệnh viện, trường của đơn vị / an agency, hospital or school, a part of the unit"
        for region in _REGION.finditer(line, sentence[0], phrase.start):
            if re.search(r"(?:nhất|đầu|cuối|thứ\s+\d+)\s+$", line[max(0, region.start() - 12) : region.start()]):
                continue  # "cao nhất khu vực phía Nam": a ranking's scope
            if any(m.named and region.end() <= m.start < phrase.start for m in para.mentions[si]):
                continue  # "… miền núi phía Bắc như Hà Giang (97,2%)": a unit of the region named with its figure
            return "một vùng, nhóm tỉnh / a region, a group of provinces"
        for city in _CITY.finditer(line, sentence[0], phrase.start):
            if not any(m.start < city.end(1) and city.start(1) < m.end for m in para.mentions[si]):
                return "một thành phố thuộc tỉnh / a city within a province"  # "Thành phố Thủ Đức
        if _THIS_UNIT.search(line[sentence[0] : phrase.start]):
            # "Tỉnh này có 51,4% …" in a text about one province that names no other: that province (round 16b)
            named = {u.unit for ms in para.mentions for u in ms if u.named and u.start < phrase.start}
            own = self.doc_unit[0] if self.doc_unit is not None else None
            if own is None or own == self.cat.nation.code or not named <= {own}:
                return "đại từ chỉ đơn vị không rõ / an anaphor naming no unit"
        return None

    def other_rate(self, para: _Para, phrase: NumberPhrase, clause: tuple[int, int], chosen: _Candidate) -> bool:
        """A rate named in the figure's clause by words no alias holds ("tỷ lệ thanh toán trực tuyến đạt 60%"),
        when the chosen name stands outside the clause: the figure is that other rate's."""
        if chosen.clue.start < 0 or chosen.clue.start >= clause[0]:
            return False
        line = para.line
        for m in re.finditer(r"(?<!\w)tỷ lệ(?!\w)", line[clause[0] : phrase.start], re.IGNORECASE):
            at = clause[0] + m.start()
            if any(mm.start <= at < mm.end for ms in para.matches for mm in ms):
                continue
            named = re.split(r"[\d(]", line[at + len(m.group()) : phrase.start], maxsplit=1)[0]  # up to a figure
            if named.strip() and not _GENERIC_RATE.match(named):
                return True
        # "…; số cơ quan, đơn vị đã kết nối là gần 100": a count the clause names by words no alias holds
        head = re.match(r"\W*(?:tổng\s+)?số(?:\s+lượng)?\s+(?!này|đó|liệu|hóa)[^\W\d]", line[clause[0] : phrase.start],
                        re.IGNORECASE)
        if head is not None and clause[0] > para.sentences[para.sentence_of(phrase.number_start)][0]:
            at = clause[0] + head.start()
            noun = fold(line[clause[0] + head.end() - 1 : phrase.start]).split()[:2]
            name = fold(chosen.clue.text).split()
            shared = len(noun) == 2 and any(name[i : i + 2] == noun for i in range(len(name)))
            inside = any(mm.start <= at + len(head.group()) and mm.end > at for ms in para.matches for mm in ms)
            if not shared and not inside:
                return True  # "tổng số giao dịch qua nền tảng …" after "giao dịch qua NDXP" is that name's
        return False

    def narrower_name(self, para: _Para, phrase: NumberPhrase, clause: tuple[int, int], chosen: _Candidate) -> bool:
        """The name matched, but the words between it and the figure narrow it to another indicator ("dịch vụ
        công thiết yếu … được thực hiện toàn trình" is not the essential services' rate)."""
        if chosen.clue.end < 0 or not (clause[0] <= chosen.clue.start < phrase.start):
            return False
        if any(chosen.clue.end <= mm.start < phrase.start for ms in para.matches for mm in ms):
            return False  # another name stands between ("X và Y tương ứng là …")
        between = para.line[chosen.clue.end : phrase.start]
        name = chosen.clue.text.lower()
        return any(
            w in between.lower() and w not in name for w in ("toàn trình", "một phần", "thiết yếu")
        )

    def unit_of(self, para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int]) -> list[tuple[str, Clue]]:
        """The figure's units, each with the words that named it; the nation with no clue when none is named
        or inherited unambiguously (the caller flags it)."""
        line = para.line
        mentions = para.mentions[si]

        def clue(m: _UnitMention, source: str = "clause") -> Clue:
            return Clue(line[m.start : m.end], m.start, m.end, source)

        # a bloc noun right after the count: "18 bộ, ngành", "63 địa phương", "57 tỉnh"
        for m in mentions:
            if m.start >= phrase.end and not line[phrase.end : m.start].strip(" ") and m.named is None:
                # also after "cả nước có": every member counted, the bloc's figure (convention 1)
                return [(m.unit, clue(m))]
        # "tỷ lệ bộ, ngành ban hành Kế hoạch … đạt 95,5%; tỷ lệ tỉnh, thành phố ban hành đạt 98,4%": a share of a bloc's
        # members (convention 1, round 16b)
        if phrase.kind is NumberKind.PERCENT:
            for m in mentions:
                if (
                    m.named is None
                    and not m.bare
                    and clause[0] <= m.start < phrase.start
                    and m.unit != self.cat.nation.code
                    and re.search(r"(?<!\w)tỷ lệ\s+(?:các\s+)?$", line[max(0, m.start - 12) : m.start], re.IGNORECASE)
                ):
                    return [(m.unit, clue(m))]
        # "Tỷ lệ cung cấp dữ liệu mở của cơ quan nhà nước đạt 41,8%": the state's agencies of every level together, the
        # nation's (convention 1, round 16b)
        if (
            phrase.kind is NumberKind.PERCENT
            and (state := _STATE_AGENCIES.search(line, clause[0], phrase.start)) is not None
            and not any(m.named and clause[0] <= m.start < phrase.start for m in mentions)
        ):
            return [(self.cat.nation.code, Clue(state.group(), state.start(), state.end(), "clause"))]
        # "95% bộ, ngành, địa phương đã ban hành …": members of both blocs counted together, the nation's
        # (convention 1), also when the words open the indicator's name
        both = _BOTH_BLOCS.match(line, phrase.end)
        if both is not None and phrase.kind is not NumberKind.FRACTION:
            return [(self.cat.nation.code, Clue(both.group(1), both.start(1), both.end(1), "clause"))]
        # a count's bloc noun inside an indicator's name: "56/63 địa phương ban hành chính sách …"
        if phrase.kind is not NumberKind.PERCENT and not line[phrase.end : phrase.end + 1].strip():
            following = para.token_range(phrase.end, para.sentences[si][1])[:4]
            words = [t.fold for t in following]
            for toks, code, bare in self.names.groups:
                if bare and any(t.raw.lower() not in _BARE_RAW for t in following[: len(toks)]):
                    continue  # folded "tinh" is also "tính" ("6 tính năng"): the bare nouns as written only
                if tuple(words[: len(toks)]) == toks and code != self.cat.nation.code:
                    a, b = following[0].start, following[len(toks) - 1].end
                    return [(code, Clue(line[a:b], a, b, "clause"))]
        # a target and the unit it is set for after it: "mục tiêu 70% đặt ra cho khối địa phương"
        aim = _SET_FOR.match(line, phrase.end)
        if aim is not None and (
            _TARGET_WORD.search(line[max(clause[0], phrase.start - 30) : phrase.start])
            or _AIM_OPENS.match(line, para.sentences[si][0])  # "Chỉ tiêu … là 50% …, 70% đối với khối bộ"
            or _TARGET_OPENS.match(line, para.sentences[si][0], phrase.start)
        ):
            for m in mentions:
                bloc = fold(line[m.start : m.end]).startswith(("khoi", "cac "))
                if m.start == aim.end() or (m.start < aim.end() <= m.end and bloc):
                    return [(m.unit, clue(m))]
        # a named unit in parentheses right after the figure: "cao nhất là 95,2% (Đà Nẵng)"
        for m in mentions:
            if (
                (m.named or m.unit == self.cat.nation.code)
                and re.fullmatch(r"\s*\(\s*", line[phrase.end : m.start])
                and re.match(r"\s*\)", line[m.end :])
            ):
                return [(m.unit, clue(m))]
        # a named unit with its figure in parentheses: "Bộ Y tế (81,2%)", "Đà Nẵng (92,1%)"
        for m in mentions:
            if m.named and m.end <= phrase.start and _PAREN_AFTER_NAME.fullmatch(line[m.end : phrase.start]):
                return [(m.unit, clue(m))]
            # "Bộ Giao thông vận tải (tỷ lệ hồ sơ nộp trực tuyến 94,5%)": the name inside the parentheses
            if (
                m.named
                and m.end <= phrase.start
                and _PAREN_NAME_AFTER_UNIT.fullmatch(line[m.end : phrase.start])
                and any(m.end < n.start and n.end <= phrase.start for n in para.matches[si])
            ):
                return [(m.unit, clue(m))]
        # "Bộ TT&TT và Bộ GD&ĐT cùng đạt 100% …": one figure each units' own
        shared = self.shared_by(para, phrase, si, clause)
        if shared:
            return [(m.unit, clue(m)) for m in shared]
        # "A, B và C lần lượt đạt 92%, 88% và 85%": the n-th unit takes the n-th figure
        paired = self.respectively(para, phrase, si, clause)
        if paired is not None:
            return [(paired.unit, clue(paired))]
        if self.respectively_unpaired(para, phrase, si, clause):
            return [(self.cat.nation.code, Clue("", -1, -1, "none"))]  # ambiguous: flagged
        # a list of named units after the figure: "100% DVCTT toàn trình như Bộ Công Thương; Giáo dục và Đào tạo"
        listed = self.listed_units(line, phrase.end, para.sentences[si][1])
        if listed:
            return [(code, Clue(text, at, at + len(text), "clause")) for code, text, at in listed]
        best: _UnitMention | None = None
        for m in mentions:
            if m.bare or not (clause[0] <= m.start and m.end <= phrase.start) or self.reporter(line, m, clause[0]):
                continue
            if re.search(r"(?:^|\W)(?:ngoài|trừ|không kể|bên cạnh)\s+$", line[max(0, m.start - 14) : m.start].lower()):
                continue  # "Ngoài Hà Nội, các địa phương còn lại …": the unit set aside
            if self.follows_number(para, m):
                continue  # "18 bộ, ngành" counts members, it is not the subject of a later figure
            if m.unit == _ORGANISATION and not re.search(
                r"(?<!\w)(?:ghi nhận|cho biết|thống kê|công bố|báo cáo|phát hiện|theo dõi)(?!\w)",
                line[m.end : phrase.start],
                re.IGNORECASE,
            ):
                # "Ở khối bộ, ngành, Bảo hiểm xã hội Việt Nam dẫn đầu với 89,6 điểm": a body the catalogue does not
                # hold, named after the bloc, is the subject; its figure is never the bloc's (the caller drops it)
                best = m
                continue
            between = re.sub(r"^\s*\([^()]*\)", "", line[m.end : phrase.start].lower())  # an aside after the unit
            before = line[max(clause[0], m.start - 12) : m.start].lower()
            predicate = bool(
                re.match(r"^\s*,?\s*(?:(?:chỉ|mới|cũng|vẫn)\s+)?(?:đạt|là|:|có)(?:\s[^.;]{0,20})?\s*$", between)
            )  # "…, trong khi Bộ NN&PTNT chỉ đạt 18,6%"
            locative = bool(re.search(r"(?:^|\W)(?:tại|ở)\s+$", before))
            bloc = fold(line[m.start : m.end]).startswith("khoi")
            adjacent = m.named is not None and not between.strip()  # "… và Bộ Ngoại giao 85,3%"
            # "Ban Chỉ đạo yêu cầu các bộ, ngành phấn đấu … đạt 85%": the bloc that is to reach it
            aiming = m.named is None and bool(re.match(r"^\s*(?:phấn đấu|phải|cần)\b", between))
            if (m.unit == self.cat.nation.code or bloc) and _RANK_SCOPE.search(
                line[max(clause[0], m.start - 24) : m.start]
            ):
                # "Quảng Ninh đứng đầu cả nước với 98,5%", "Bộ Công an dẫn đầu khối bộ, ngành với 92,6%": the
                # ranking's scope, not the figure's unit
                continue
            ministry = m.named == "ministry" and self.ministry_is_subject(line, m, clause[0], phrase.start)
            if (
                m.unit == "VN"
                or bloc
                or locative
                or predicate
                or m.named == "province"
                or ministry
                or adjacent
                or aiming
            ):
                best = m
        if best is not None and not (
            best.unit == self.cat.nation.code and _ANAPHOR.search(line[best.end : phrase.start])
        ):  # "… của cả nước đạt 40%, của tỉnh đạt 45%": the anaphor after the nation names the figure's unit
            return [(best.unit, clue(best))]
        # a named unit later in the clause: "Với 92,1%, Đà Nẵng tiếp tục dẫn đầu" is its figure; otherwise no
        # inheritance can be trusted over it
        later = [m for m in mentions if m.named and phrase.end <= m.start < clause[1] and not self.reporter(line, m, 0)]
        own_bloc = next((m for m in mentions if not m.named and not m.bare and phrase.end <= m.start < clause[1]), None)
        if (
            not later
            and own_bloc is not None
            and own_bloc.unit in ("ministries", "provinces")
            and re.search(r"(?<!\w)của\s+(?:khối\s+)?$", line[max(phrase.end, own_bloc.start - 12) : own_bloc.start])
            and not any(phrase.end <= p.start < own_bloc.start for p in para.numbers)
            and not re.search(r"[,;:()]", line[phrase.end : own_bloc.start])  # in the figure's own noun phrase
        ):
            return [(own_bloc.unit, clue(own_bloc))]  # "100% hồ sơ … của khối địa phương được số hóa": the bloc's own
        if later:
            if re.fullmatch(r"\s*với\s*", line[clause[0] : phrase.start], re.IGNORECASE) and re.fullmatch(
                r"\s*,\s*", line[phrase.end : later[0].start]
            ):
                return [(later[0].unit, clue(later[0]))]
            if (
                len(later) == 1
                and _FIGURE_OPENS.fullmatch(line[clause[0] : phrase.start])
                and _WHERE_OF.search(line[max(phrase.end, later[0].start - 24) : later[0].start])
                and not any(phrase.end <= p.start < later[0].start for p in para.numbers)
            ):
                # "Gần 60% người dân trưởng thành ở Đà Nẵng đã có …", "Hơn 90% hồ sơ … tại Bộ Công an được
                # …": the figure opens its clause, and the one unit its noun phrase names after it owns it
                return [(later[0].unit, clue(later[0]))]
            return [(self.cat.nation.code, Clue("", -1, -1, "none"))]  # ambiguous: flagged
        # "… của Bộ đạt 96,4%", "của tỉnh": the one ministry (province) the paragraph named before
        ana = _ANAPHOR.search(line[clause[0] : phrase.start])
        at = clause[0] + ana.start() if ana else -1
        if ana is None and _FIGURE_OPENS.fullmatch(line[clause[0] : phrase.start]):
            # "74,5% hồ sơ trực tuyến của Bộ được xác thực …": the figure opens its clause and its noun phrase
            # refers back after it (docs/extract.md, convention 7)
            ana = _ANAPHOR.search(line, phrase.end, clause[1])
            if ana is not None and any(phrase.end <= p.start < ana.start() for p in para.numbers):
                ana = None
            at = ana.start() if ana else -1
        if ana is None:
            # "… của tỉnh Lạng Sơn ước đạt 20,9% …. Toàn tỉnh có 720 doanh nghiệp …": the province named before
            # (round 16b)
            ana = _WHOLE_PROVINCE.search(line[clause[0] : phrase.start])
            at = clause[0] + ana.start() if ana else -1
        if ana:
            kind = "ministry" if ana.group(1).lower() == "bộ" else "province"
            named = {
                m.unit: m
                for ms in para.mentions[: si + 1]
                for m in ms
                if m.named == kind and m.end <= at and not self.follows_number(para, m)
            }
            if len(named) == 1:
                m = next(iter(named.values()))
                return [(m.unit, clue(m, "sentence" if m.start >= para.sentences[si][0] else "paragraph"))]
            if not named and kind == "ministry" and self.doc_ministry is not None:
                return [self.doc_ministry]  # "… của Bộ Tài chính" in the title: "của Bộ" is that ministry
            doc = self.cat.units.get(self.doc_unit[0]) if self.doc_unit is not None else None
            if not named and kind == "province" and self.doc_unit is not None and doc is not None and not doc.is_group:
                return [self.doc_unit]  # "của tỉnh" under "UBND TỈNH LẠNG SƠN": the report's province
        # "Năm 2024, Chính phủ, Thủ tướng Chính phủ đã ban hành 02 Nghị định …", "…; Quốc hội đã thông qua 2 luật",
        # "Hệ thống … của Chính phủ (e-Cabinet) đã phục vụ 18 phiên họp": the national bodies' acts are the nation's
        for start in (clause[0], para.sentences[si][0]):
            body = _NATIONAL_BODY.match(line, start)
            if body is not None and body.end() <= phrase.start:
                return [(self.cat.nation.code, Clue(body.group(1), body.start(1), body.end(1), "clause"))]
        # "Bộ TT&TT đã tham mưu Chính phủ, Thủ tướng Chính phủ ban hành 5 nghị định, 7 quyết định …": what the
        # nation's bodies issue, whoever advised them
        issued = _NATION_ISSUES.search(line, clause[0], phrase.start)
        if issued is not None and re.fullmatch(r"[\s\w,]*", line[issued.end() : phrase.start]):
            return [(self.cat.nation.code, Clue(issued.group(1), issued.start(1), issued.end(1), "clause"))]
        # "tỷ lệ … của Bộ đạt 72,4%; tỷ lệ … đạt 91,06%": the one unit an earlier clause of the sentence gave its
        # figure, named in the sentence, carries to a clause after ";" that names none
        sentence = para.sentences[si]
        if clause[0] > sentence[0] and (
            line[max(sentence[0], clause[0] - 2) : clause[0]].strip().endswith(";")
            or _SUBSET_OPENS.search(line[max(sentence[0], clause[0] - 14) : clause[0]])
            # "… của Bộ Tư pháp đạt 87,5%, trong đó … chiếm 62,5%": a part of the same unit's figure
        ):
            earlier = [
                p
                for p in self.out
                if p.where.line == para.number
                and sentence[0] <= p.where.start < clause[0]
                and not p.flagged
                and p.evidence.unit.source in ("clause", "sentence", "paragraph", "document")
            ]
            carried = {p.unit for p in earlier}
            after = any(phrase.end <= m.start < clause[1] for m in mentions)  # "đạt 82,3% trên toàn quốc"
            own = self.cat.units.get(earlier[-1].unit) if earlier else None
            if len(carried) == 1 and own is not None and not own.is_group and not after:
                others = {m.unit for m in mentions if m.named and sentence[0] <= m.start < clause[0]}
                if others <= carried:
                    u = earlier[-1].evidence.unit
                    return [(earlier[-1].unit, Clue(u.text, u.start, u.end, "sentence"))]
        # inherited: the unit that opens the sentence ("Tại Đà Nẵng, …", "Cả nước …"), else the last one that
        # opened a sentence of the paragraph before it; a unit named inside a sentence is no topic
        for k in range(si, -1, -1):
            top = self.opening(para, k)
            lone = _BARE_MINISTRY.match(para.line, para.sentences[k][0]) if top is None else None
            if lone is not None and self.doc_ministry is not None and (lone.end() <= phrase.start or k < si):
                return [self.doc_ministry]  # "Trong tháng, Bộ tiếp nhận 12.400 hồ sơ; …" under "… của Bộ Y tế"
            if top is not None and top.end <= clause[0]:
                if k < si and len(self.named_before(para, clause[0]) - {top.unit}) > 0:
                    return [(self.cat.nation.code, Clue("", -1, -1, "none"))]  # several units named: ambiguous
                return [(top.unit, clue(top, "sentence" if k == si else "paragraph"))]
        if self.doc_unit is not None:
            # the province a title names ("Đà Nẵng: …", "Báo cáo … của tỉnh Gia Lai", "UBND TỈNH BẮC NINH") is the
            # subject of every figure its text gives no other unit (docs/extract.md, convention 7)
            return [self.doc_unit]
        if self.title_ministry is not None and not _NATION_DOC.search(line, *para.sentences[si]):
            # "Bộ Y tế: …", "Báo cáo … của Bộ Tư pháp": the ministry the title is about is the subject of the figures
            # its text gives no other unit (convention 7); the country's people and national systems stay the
            # nation's (conventions 6 and 2, below), and a sentence on the nation's portal or the country ("Cổng
            # Dịch vụ công quốc gia", "toàn quốc") may be either's: left to the flags
            return [self.title_ministry]
        return [(self.cat.nation.code, _NO_CLUE)]

    def opening(self, para: _Para, k: int) -> _UnitMention | None:
        """A unit that opens sentence k as its topic: within its first words, before any figure."""
        start = para.sentences[k][0]
        first_number = next((p.start for p in para.numbers if p.start >= start), len(para.line))
        for m in para.mentions[k]:
            if m.bare or m.start > first_number or self.follows_number(para, m):
                continue
            lead = para.line[start : m.start]
            for d in para.dates:  # "Trong 9 tháng đầu năm, Bộ Công an …": a date may open the sentence first
                if start <= d.start and d.end <= m.start:
                    lead = lead.replace(para.line[d.start : d.end], "")
            lead = re.sub(r"^\s*(?:trong|đến|tính đến|năm|lũy kế(?:\s+đến)?)?\s*,?\s*", "", lead, flags=re.IGNORECASE)
            if len(lead) <= 25 and not re.search(r"[,;:(]|\btrong đó\b", lead, re.IGNORECASE):
                if m.named == "ministry" and (
                    self.reporter(para.line, m, start)
                    or not self.ministry_is_subject(para.line, m, start, len(para.line))
                ):
                    return None
                return m
            return None
        return None

    @staticmethod
    def ministry_is_subject(line: str, m: _UnitMention, lo: int, figure: int) -> bool:
        """A ministry is the figure's unit when the figure is its own: "Bộ Y tế đạt", "của Bộ Y tế",
        "tại Bộ Y tế", "Bộ Công an dẫn đầu với", "Bộ Tài chính xếp sau với"."""
        before = line[max(lo, m.start - 12) : m.start].lower()
        after = line[m.end : min(figure, m.end + 60)].lower()
        after = _DATE_LEAD.sub("", after, count=1)  # "Bộ Y tế quý III/2024 có 89,5% …": the date aside
        after = re.sub(r"^\s*\([^()]*\)", "", after)  # "Bộ Xây dựng (sau khi tiếp nhận …) có …": an aside
        return bool(
            re.search(r"(?:^|\W)(?:của|tại|ở|riêng)\s+$", before)
            or re.match(r"^\s*(?::|(?:(?:chỉ|mới|cũng|vẫn)\s+)?(?:đạt|là|có)\b|với\b)", after)
            or _OWN_AIM.match(after)
            or _OWN_DOSSIERS.match(after)
            or _RANKING.search(after)
            or _PLACE.match(after)
        )

    @staticmethod
    def after_points(para: _Para, phrase: NumberPhrase, clause: tuple[int, int]) -> bool:
        """Whether a bare number is given as points: "với số điểm 90,6", "số điểm lần lượt là 89,7; 88,95 …"."""
        lead = r"(?:số điểm|điểm số)\s*(?:lần lượt|tương ứng)?\s*(?:là|đạt|:)?\s*"
        if re.search(lead + r"$", para.line[clause[0] : phrase.start], re.IGNORECASE):
            return True
        m = re.search(lead + r"(?=\d)", para.line[clause[0] : phrase.start], re.IGNORECASE)
        return m is not None and phrase in _listed_figures(para, clause[0] + m.end(), clause[1], phrase.kind)

    def month_on_month(self, para: _Para, phrase: NumberPhrase) -> bool:
        """A change "so với tháng 3/2025" (a month or quarter) in a report of another month or quarter of the same
        kind: a change on an earlier period, not on the same period a year before (the catalogue's growth rates)."""
        m = re.match(r"\s*so với\s+(?:cùng kỳ\s+)?", para.line[phrase.end :], re.IGNORECASE)
        doc = self.doc_period
        if m is None or "cùng kỳ" in m.group().lower() or doc is None:
            return False
        at = phrase.end + m.end()
        base = next((d for d in para.dates if d.start == at), None)
        if base is None or base.period.kind is not doc.kind or doc.kind not in (PeriodKind.MONTH, PeriodKind.QUARTER):
            return False
        return base.period.start.month != doc.start.month

    @staticmethod
    def achieved_after_aim(para: _Para, phrase: NumberPhrase, clause: tuple[int, int]) -> bool:
        """ "… đặt mục tiêu năm 2025 đạt 85% …; trong quý II/2025, tỷ lệ của Bộ mới đạt 66,9%": a clause after
        ";" that says what was reached ("mới đạt", "đã đạt", "chỉ đạt", "hiện đạt") is a value, not the aim's."""
        start = para.sentences[para.sentence_of(phrase.number_start)][0]
        if ";" not in para.line[start : clause[0] + 1]:
            return False
        return bool(_ACHIEVED.search(para.line, clause[0], phrase.start))

    @staticmethod
    def aim_carried(para: _Para, phrase: NumberPhrase) -> bool:
        """An aim's parts after "trong đó" are its targets too ("đặt mục tiêu … lên 80%, trong đó khối bộ đạt
        85%, khối địa phương đạt 70%"), up to a ";" or a contrast."""
        line = para.line
        start = para.sentences[para.sentence_of(phrase.number_start)][0]
        aim = _AIM.search(line, start, phrase.start)
        if aim is None:
            return False
        between = line[aim.end() : phrase.start]
        return ";" not in between and not _CONTRAST.search(between) and bool(_AIM_PARTS.search(between))

    @staticmethod
    def target_named(para: _Para, phrase: NumberPhrase, clause: tuple[int, int]) -> bool:
        """ "Năm 2025, mục tiêu tỷ lệ hồ sơ trực tuyến toàn trình toàn quốc là 80%": the figure closing a phrase
        that opens with "mục tiêu" (not "vượt mục tiêu", "so với mục tiêu"), with no other figure between."""
        m = _TARGET_NAMED.search(para.line, clause[0], phrase.start)
        if m is None:
            return False
        return not any(m.start() <= p.start < phrase.start for p in para.numbers)

    def unknown_owner(self, para: _Para, phrase: NumberPhrase, si: int) -> bool:
        """A figure alone in parentheses after a capitalised word that is no known unit nor part of a name."""
        line = para.line
        if not re.match(r"\s*\)", line[phrase.end :]):
            return False
        before = re.search(r"([^\W\d_][\w&.-]*)\s*\(\s*$", line[: phrase.start])
        if before is None or not before.group(1)[:1].isupper():
            return False
        at = before.start(1)
        in_unit = any(u.start <= at < u.end for u in para.mentions[si])
        in_name = any(m.start <= at < m.end for m in para.matches[si])
        return not in_unit and not in_name

    def named_before(self, para: _Para, end: int) -> set[str]:
        """The units the paragraph names (not counts, not reporters) before a position."""
        return {
            m.unit
            for ms in para.mentions
            for m in ms
            if m.end <= end and not m.bare and not self.follows_number(para, m) and not self.reporter(para.line, m, 0)
        }

    @staticmethod
    def reporter(line: str, m: _UnitMention, lo: int) -> bool:
        """A ministry that only reports ("Theo Bộ TT&TT", "Bộ Y tế cho biết") is not the figure's unit."""
        if m.named != "ministry":
            return False
        before = line[max(lo, m.start - 40) : m.start].lower()
        return bool(
            re.search(r"(?:^|\W)(?<!tiếp )theo\s+(?!sau\b)(?:[^\W\d]+\s+){0,4}$", before)
            or _REPORTS.match(line[m.end : m.end + 30])
        )

    @staticmethod
    def follows_number(para: _Para, m: _UnitMention) -> bool:
        return any(0 <= m.start - p.end <= 1 for p in para.numbers)

    def shared_by(self, para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int]) -> list[_UnitMention]:
        """Named units listed right before "cùng đạt", "đều đạt" … and the figure after it ("Thanh tra Chính phủ và
        Ủy ban Dân tộc trong năm 2024 đều đạt tỷ lệ … 100%"): the figure is each one's."""
        line = para.line
        sh = _SHARED.search(line, clause[0], phrase.start)
        if sh is None or any(sh.end() <= p.start < phrase.start for p in para.numbers):
            return []
        run: list[_UnitMention] = []
        end = sh.start()
        for m in sorted(para.mentions[si], key=lambda m: -m.start):
            if m.end > end or m.start < clause[0]:
                continue
            gap = line[m.end : end]
            if not run:
                gap = _DATE_LEAD.sub("", gap.lower(), count=1)
            if not m.named or not re.fullmatch(r"\s*(?:,|và)?\s*", gap) or self.reporter(line, m, clause[0]):
                break
            run.append(m)
            end = m.start
        return run[::-1] if len(run) >= 2 and len({m.unit for m in run}) == len(run) else []

    def respectively(self, para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int]) -> _UnitMention | None:
        """With "lần lượt", the named units before it pair in order with the figures after it."""
        line = para.line
        lm = _RESPECTIVELY.search(line, clause[0], phrase.start)
        if lm is None:
            return None
        units = self.respective_units(para, si, clause, lm)
        named = [m for m in units if m.named] if sum(1 for m in units if m.named) >= 2 else units
        figures = _listed_figures(para, lm.end(), clause[1], phrase.kind)
        if len(named) < 2 or len(named) != len(figures) or phrase not in figures:
            return None
        return named[figures.index(phrase)]

    def respectively_unpaired(self, para: _Para, phrase: NumberPhrase, si: int, clause: tuple[int, int]) -> bool:
        """ "lần lượt" after several units that its figures do not pair with: whose figure is which is unclear."""
        lm = _RESPECTIVELY.search(para.line, clause[0], phrase.start)
        if lm is None:
            return False
        if phrase not in _listed_figures(para, lm.end(), clause[1], phrase.kind):
            return False  # "…, cao hơn mức trung bình của khối bộ (63,5%)": after the list
        units = {m.unit for m in self.respective_units(para, si, clause, lm)}
        return len(units) >= 2

    @staticmethod
    def respective_units(
        para: _Para, si: int, clause: tuple[int, int], lm: re.Match[str]
    ) -> list[_UnitMention]:
        """The units "lần lượt" pairs: named before it ("A, B và C lần lượt đạt …"), or, when fewer than two are,
        named right after it, before its figures ("lần lượt là A, B và C với điểm số x; y và z")."""
        units = [m for m in para.mentions[si] if clause[0] <= m.start and m.end <= lm.start() and not m.bare]
        if sum(1 for m in units if m.named) >= 2:
            return units
        if not units and clause[0] > para.sentences[si][0]:
            # "… tại các bộ, ngành đạt 45,14%, tại các địa phương đạt 65,38%; tỷ lệ … lần lượt đạt 45,48% và
            # 67,2%": no unit of its own, the units of the sentence's earlier clause, in order
            earlier = [
                m for m in para.mentions[si]
                if para.sentences[si][0] <= m.start and m.end <= clause[0] and not m.bare
                and not any(0 <= m.start - p.end <= 1 for p in para.numbers)
            ]
            if len(earlier) >= 2 and len({m.unit for m in earlier}) == len(earlier):
                return earlier
        first = next((p for p in para.numbers if p.start >= lm.end()), None)
        if first is None or not re.match(r"\s*(?:là|:)", para.line[lm.end() :]):
            return units
        after = [m for m in para.mentions[si] if lm.end() <= m.start and m.end <= first.start and not m.bare]
        return after if sum(1 for m in after if m.named) >= 2 else units

    def listed_units(self, line: str, start: int, end: int) -> list[tuple[str, str, int]]:
        """Units named in a list after a figure ('như A; B; C'), if the list has no figures of its own."""
        tail = line[start:end]
        m = re.search(r"\b(?:như|gồm|là)\s*:?\s*(?=Bộ\b|[^\W\d_])", tail, re.IGNORECASE)
        if not m or re.search(r"\d", tail[m.end() :]):
            return []
        on = self.doc_period.end if self.doc_period else None
        out: list[tuple[str, str, int]] = []
        rest_at = start + m.end()
        for pm in re.finditer(r"[^;,]+", tail[m.end() :]):
            for piece in re.split(r"\s+và\s+(?=Bộ\b)", pm.group()):
                name = piece.strip(" .…\"'”“")
                if not name:
                    continue
                at = line.find(name, rest_at + pm.start())
                try:
                    u = self.cat.unit(name, on=on)
                except UnknownNameError:
                    return out
                if u.is_group:
                    return out
                out.append((u.code, name, at))
        return out

    # which period --------------------------------------------------------------------------------
    def period_of(
        self, para: _Para, code: str, fig: _Figure, phrase: NumberPhrase, si: int, clause: tuple[int, int]
    ) -> tuple[Period | None, Clue]:
        """The figure's period, with the words that dated it."""
        if fig.period is not None and not fig.target:
            return fig.period, fig.period_clue
        line = para.line
        sentence = para.sentences[si]

        def clue(d: _Date) -> Clue:
            source = "clause" if clause[0] <= d.start < clause[1] else "sentence"
            return Clue(line[d.start : d.end], d.start, d.end, source)

        later = [p.number_start for p in para.numbers if p.number_start > phrase.number_start]
        stop = min(clause[1], later[0] if later else clause[1])
        for d in para.dates:  # "… lượt truy cập vào cuối tháng 11/2024"
            right_after = _DATE_RIGHT_AFTER.fullmatch(line, phrase.end, d.start)
            if (
                phrase.end <= d.start < stop
                and d.role == "context"
                and (_AFTER_DATE_LEAD.search(line[: d.start]) or right_after)  # "38% năm 2023"
                and "(" not in line[phrase.end : d.start]  # "đạt 100% (cuối quý I/2024 là 87%)": the base's date
            ):
                para.carry[code] = (d.period, clue(d))
                return d.period, clue(d)
        if _MONTHLY.search(line[sentence[0] : sentence[1]]) and self.doc_period and self.doc_period.months > 1:
            months = [
                d
                for d in para.dates
                if d.role == "context" and d.period.kind is PeriodKind.MONTH and self.doc_period.contains(d.period)
            ]
            if months:
                return months[0].period, Clue(
                    line[months[0].start : months[0].end], months[0].start, months[0].end, "paragraph"
                )
        found: _Date | None = None
        for d in para.dates:
            if _closed_paren(line, d.start, phrase.start):
                continue  # "(năm 2023 là 12,1%)" dates its own figure, not the ones after it
            if ";" in line[d.end : phrase.start] and any(
                _DATE_RIGHT_AFTER.fullmatch(line, n.end, d.start) for n in para.numbers if n.end <= d.start
            ):
                continue  # "… mức 16,5% của năm 2023; tốc độ … đạt 20%": the date of a figure of the clause before
            if sentence[0] <= d.start < phrase.start and d.role in ("context", "publication", "until", "partial"):
                found = d
            elif sentence[0] <= d.start < phrase.start and d.role == "years":
                found = None
        if found is not None and found.start < clause[0]:
            # "Tháng 12/2024, …; Việt Nam đứng thứ 5 … năm 2024": a clause that dates its own figure after it
            own = [
                d
                for d in para.dates
                if phrase.end <= d.start < clause[1]
                and d.role == "context"
                and not any(phrase.end <= n.start < d.start for n in para.numbers)  # "… mục tiêu 80% của năm 2025"
                and not re.search(r"mục tiêu|chỉ tiêu|kế hoạch|so với", line[phrase.end : d.start], re.IGNORECASE)
            ]
            if own:
                return own[0].period, clue(own[0])
        reset = _RESET.search(line, sentence[0], phrase.start)
        if found is not None and not (reset and reset.start() > found.end):
            if found.role not in ("until", "partial"):
                para.carry[code] = (found.period, clue(found))
            return found.period, clue(found)
        if found is None and not reset:
            for d in para.dates:  # "…, tính đến ngày 31/8/2025.": a date closing the sentence dates all of it
                if (
                    phrase.end <= d.start < sentence[1]
                    and d.role == "context"
                    and (closing := _CLOSING_DATE.search(line[phrase.end : d.start])) is not None
                    and not line[d.end : sentence[1]].strip(" .)" if closing.group().startswith("(") else " .")
                ):
                    return d.period, clue(d)
        if reset:
            return self.doc_period, Clue(reset.group(), reset.start(), reset.end(), "document")
        if si > 0 and re.match(r"\s*trong (?:đó|số (?:đó|này))\s*,", line[sentence[0] :], re.IGNORECASE):
            # "… tính đến hết năm 2024 …. Trong đó, gần 1.800 doanh nghiệp …": a part of the sentence before, of
            # its date (round 16b)
            prev = para.sentences[si - 1]
            dated = [d for d in para.dates if prev[0] <= d.start < prev[1] and d.role == "context"]
            if len(dated) == 1:
                d = dated[0]
                return d.period, Clue(line[d.start : d.end], d.start, d.end, "paragraph")
        if code in para.carry:
            period, c = para.carry[code]
            return period, Clue(c.text, c.start, c.end, "paragraph")
        if para.lead is not None:
            return para.lead
        return self.doc_period, self.doc_clue


# a rate of what happened in the months: its base is dossiers, transactions, revenue, a year before … (convention 4)
_FLOW_BASE = re.compile(
    r"hồ sơ|giao dịch|phản ánh|cùng kỳ|năm trước|doanh thu|GDP|kim ngạch|người hưởng|đăng nhập|MAU", re.IGNORECASE
)


def _held_share(ind: Indicator) -> bool:
    """A share of people or things holding something at a date (adults with an account, households on fibre,
    procedures offered online, systems approved): a stock's ratio, dated like a stock (convention 4, round 16b)."""
    if ind.kind != "rate":
        return False
    denominator = getattr(ind, "denominator", None)
    base = denominator.vi if denominator is not None else ""
    return bool(base) and not _FLOW_BASE.search(base)


_MARKDOWN_ROW = re.compile(r"\|(.*)\|\s*")
_MARKDOWN_RULE = re.compile(r"\s*:?-{3,}:?\s*")


def _markdown_row(line: str) -> str:
    """A text's table written in Markdown ("| Khối | Tỷ lệ (%) |", then "|---|---|") read as table rows (round 16b):
    the row becomes a ``TABLE_ROW`` line of the same columns, its rule line an empty one."""
    m = _MARKDOWN_ROW.fullmatch(line)
    if m is None or "|" not in m.group(1):  # one cell: no table
        return line
    cells = m.group(1).split("|")
    if all(_MARKDOWN_RULE.fullmatch(c) for c in cells):
        return ""
    if any(c and not (c.startswith(" ") and c.endswith(" ")) for c in cells):
        return TABLE_ROW + " | ".join(c.strip() for c in cells)  # "|a|b|": the cells, their columns moved
    return TABLE_ROW + m.group(1) + " " * (len(line) - m.end(1))  # "| a | b |": every cell at its column


def _target_period(period: Period) -> Period:
    """A target is for the year it is set for, or the quarter ("Chỉ tiêu quý II/2025 …: 50%"; convention 5)."""
    return period if period.kind is PeriodKind.QUARTER else Period.year(period.start.year)


def _stated_rates(props: list[Proposal]) -> list[Proposal]:
    """ "61/63 địa phương ban hành … (đạt 96,8%)": the rate the sentence states, whose unit the fraction's bloc
    noun took, is the fraction's rate rounded; it takes the fraction's unit and stands for it."""
    drop: set[int] = set()
    out = list(props)
    for i, f in enumerate(props):
        if f.flagged or f.value is None or f.numerator is None:
            continue
        for j, p in enumerate(out):
            if (
                p.flagged
                and p.value is not None
                and p.numerator is None
                and p.evidence.unit.source == "none"
                and (p.where.line, p.where.snippet) == (f.where.line, f.where.snippet)
                and (p.code, p.period) == (f.code, f.period)
                and round(f.value, len(f"{p.value:g}".partition(".")[2])) == p.value
            ):
                out[j] = replace(
                    p, unit=f.unit, numerator=f.numerator, denominator=f.denominator, flagged=False, reason=None,
                    evidence=replace(p.evidence, unit=f.evidence.unit), confidence=f.confidence,
                )
                drop.add(i)
                break
    # "…: 23.686/49.866 hồ sơ (tỷ lệ 47,50%)": the share stated after a fraction is the fraction's figure, already
    # proposed with it; not a second figure for a name read further off (the title's, round 16b)
    stated = [
        j
        for j, p in enumerate(out)
        if p.numerator is None
        and p.value is not None
        and p.evidence.indicator.start < 0
        and any(
            f.numerator is not None
            and f.value == p.value
            and f.where.line == p.where.line
            and 0 < p.where.start - f.where.end <= 30
            for f in out
        )
    ]
    drop.update(stated)
    return [p for i, p in enumerate(out) if i not in drop]


def _flag_conflicts(props: list[Proposal]) -> list[Proposal]:
    """Two values for one (indicator, unit, period) in one sentence: which is right is unclear, both flagged."""
    groups: dict[tuple[int, str, tuple[str, str, str]], set[float]] = {}
    for p in props:
        if p.value is not None and not p.flagged:
            groups.setdefault((p.where.line, p.where.snippet, p.key), set()).add(p.value)
    # "tiếp nhận 100% phản ánh, kiến nghị … và xử lý đúng hạn 97,4%": a figure whose name was not read as one span
    # and another its words name (a guess, flagged) are two values for one key too
    for p in props:
        k = (p.where.line, p.where.snippet, p.key)
        if (
            p.value is not None
            and p.reason == _GUESSED
            and k in groups
            and p.text.rstrip().endswith("%")
            and any(q.evidence.indicator.start < 0 for q in props if not q.flagged and q.key == p.key)
        ):
            groups[k].add(p.value)
    # "1.210/1.650 thủ tục …, đạt 73,3%": the rate a fraction gives (73,33) and the one the sentence states,
    # its rounding, are one value: the stated one is kept
    rounded: set[tuple[int, str, tuple[str, str, str], float]] = set()
    for k, values in groups.items():
        if len(values) == 2:
            a, b = sorted(values, key=lambda v: len(f"{v:g}"))
            places = len(f"{a:g}".partition(".")[2])
            if round(b, places) == a and f"{b:g}" != f"{a:g}":
                rounded.add((*k, b))
                values.discard(b)
    props = [p for p in props if (p.where.line, p.where.snippet, p.key, p.value) not in rounded]
    reason = (
        "hai giá trị khác nhau cho cùng chỉ tiêu, đơn vị và kỳ trong một câu / two values for one indicator, unit"
        " and period in one sentence"
    )
    # one figure has its name right by it and the others' names stand far off ("có khoảng 52.300 doanh
    # nghiệp công nghệ số, …; khoảng 1.600 doanh nghiệp trong số đó …"): the name is that figure's, it stays
    clear: set[int] = set()
    members: dict[tuple[int, str, tuple[str, str, str]], list[Proposal]] = {}
    for p in props:
        if p.value is not None and not p.flagged and len(groups[(p.where.line, p.where.snippet, p.key)]) > 1:
            members.setdefault((p.where.line, p.where.snippet, p.key), []).append(p)
    for group in members.values():
        gaps = [_name_gap(p) for p in group]
        near = [p for p, g in zip(group, gaps, strict=True) if g is not None and g <= _NAME_NEAR]
        far = all(g is None or g > _NAME_FAR for p, g in zip(group, gaps, strict=True) if p not in near)
        if len(near) == 1 and far:
            clear.add(id(near[0]))
    return [
        replace(p, flagged=True, reason=reason)
        if p.value is not None
        and not p.flagged
        and len(groups[(p.where.line, p.where.snippet, p.key)]) > 1
        and id(p) not in clear
        else p
        for p in props
    ]


_GUESSED = "tên chỉ tiêu đoán theo từ ngữ / the indicator guessed from the words around the figure"
_NAME_NEAR = 6  # characters between a figure and its name read as right by it ("… đạt 90,5%", "52.300 doanh nghiệp")
_NAME_FAR = 12


def _name_gap(p: Proposal) -> int | None:
    """Characters between a figure and the name it was given (0 when the name holds it); None when the name
    was not read as one span. A name after the figure counts threefold: "0,5873 ở trụ cột …" is not right by it."""
    ic = p.evidence.indicator
    if ic.start < 0:
        return None
    if ic.start <= p.where.start and p.where.end <= ic.end:
        return 0
    if ic.start >= p.where.end:
        return 3 * (ic.start - p.where.end)
    return max(0, p.where.start - ic.end)


def extract(
    text: str, catalogue: Catalogue, *, default_period: str | Period | None = None, fmt: str = "text"
) -> list[Proposal]:
    """Propose the figures of a Vietnamese report (plain text; see ``read_document`` for files).

    ``default_period`` is the report's period (default: the period its title or first lines name);
    figures the text dates otherwise keep their own date. Undated figures of an undated report are left out.
    A form feed opens each page of a PDF's text (``read_document``): the page goes into the provenance;
    with ``fmt="docx"`` each line is a paragraph of the document, and its number goes there too.
    """
    text = unicodedata.normalize("NFC", text)
    found = _document_date(text)
    doc = found[0] if found else None
    doc_clue = Clue(found[1], -1, -1, "document") if found else _NO_CLUE
    if default_period is not None:
        doc = default_period if isinstance(default_period, Period) else Period.parse(default_period)
        doc_clue = Clue(str(doc), -1, -1, "document")
    reader = _Reader(catalogue, doc)
    reader.doc_clue = doc_clue
    reader.docx = fmt == "docx"
    lines = [_markdown_row(ln) for ln in text.split("\n")]
    # a Markdown table's rows: the table reader reads them; a cell it cannot read keeps the generic reader's proposal
    # as the line's text gives it (unflagged when its words are clear), as before they were read as a table
    reader.markdown_rows = {
        n for n, (ln, raw) in enumerate(zip(lines, text.split("\n"), strict=True), start=1) if ln != raw
    }
    reader.subject([ln.replace("\f", " ")[:200] for ln in lines if ln.strip()][:4])
    reader.lines = lines
    reader.first_line = next((i for i, ln in enumerate(lines, start=1) if ln.strip()), 0)
    first = lines[reader.first_line - 1] if reader.first_line else ""
    reader.doc_from_title = default_period is not None or (found is not None and found[1] in first)
    reader.doc_cumulative = bool(_TITLE_CUMULATIVE.search(first))
    reader.plan_doc = bool(_PLAN_TITLE.match(first))
    reader.title_index = reader.index_of_title(next((ln.replace("\f", " ") for ln in lines if ln.strip()), ""))
    page = (0 if text.startswith("\f") else 1) if "\f" in text else 0
    for number, line in enumerate(lines, start=1):
        feeds = line.count("\f")
        if feeds:
            lead = line.startswith("\f")
            page += 1 if lead else 0  # a paragraph is on the page it opens on
            reader.pages[number] = page
            page += feeds - (1 if lead else 0)
            line = line.replace("\f", " ")
        elif page:
            reader.pages[number] = page
        if line.startswith(TABLE_ROW) or line.startswith(" " + TABLE_ROW):  # a page may open with a row
            reader.table_rows.add(number)
        if line.strip():
            reader.paragraph(number, line)
    if reader.table_rows:
        from chiso.ingest.extract_tables import merge, read_tables  # it reads with this module's helpers

        reader.out = merge(reader.out, read_tables(lines, reader))
    reader.out = _flag_conflicts(_stated_rates(reader.out))
    # "NDXP xử lý bình quân hơn 3 triệu giao dịch mỗi ngày" over "… khoảng 3,1 triệu giao dịch …": a headline rounds
    # the figure its text gives; the text's stands alone (round 16b); one it repeats as it is stays at its first line
    told: dict[tuple[str, str, str], set[float]] = {}
    for p in reader.out:
        if p.where.line > reader.first_line and p.value is not None and not p.flagged:
            told.setdefault(p.key, set()).add(p.value)
    reader.out = [
        p
        for p in reader.out
        if not (p.where.line == reader.first_line and p.value is not None and p.value not in told.get(p.key, {p.value}))
    ]
    seen: set[tuple[str, str, str, float | None, float | None]] = set()
    out: list[Proposal] = []
    for p in reader.out:  # a figure the report repeats is proposed once, at its first line
        k = (*p.key, p.value, p.target)
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out
