"""The table reader: figures in a report's tables (PDF, DOCX rows, ``TABLE_ROW`` lines), read by their column
headings, their rows and the table's caption (the nearest text line before it).

A figure is proposed only when its indicator, unit and period are each decided without ambiguity: the
indicator by a column heading, a row's first cells or (under a generic heading, "Giá trị", "Tỷ lệ (%)") the
one indicator the caption names; the unit by a row's cell or a column heading; the period by the column's
heading, else the caption, else the document's period. Ranks, changes and unknown columns are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from chiso.catalogue.names import fold
from chiso.catalogue.periods import Period, PeriodKind
from chiso.ingest.extract import (
    _ORGANISATION,
    TABLE_ROW,
    Clue,
    Evidence,
    Proposal,
    Where,
    _compatible,
    _dates,
    _Figure,
    _match_aliases,
    _match_units,
    _parse_dates,
    _Reader,
    _shape,
    _tokens,
    confidence,
)
from chiso.ingest.vnnumbers import find_numbers, parse_number_phrase

_SEP = " | "
_EMPTY = {"", "-", "–", "—", "x", "X", "…", "..."}
_ORDINAL = {"stt", "tt", "so tt", "so thu tu"}
# columns of change and rank: never a value of the indicator they sit beside
_LEFT_OUT = re.compile(
    r"(?<!\w)(?:tăng|giảm|so với|cùng kỳ|chênh lệch|điểm\s*%|xếp hạng|thứ hạng|hạng|thứ tự|ghi chú)(?!\w)",
    re.IGNORECASE,
)
_GENERIC = {("gia", "tri"), ("ket", "qua"), ("ty", "le"), ("diem",), ("so", "luong"), ("thuc", "hien")}
_TARGET = re.compile(r"^\s*(?:mục tiêu|chỉ tiêu|kế hoạch)(?!\w)", re.IGNORECASE)
_PAREN = re.compile(r"\(([^()]*)\)")
_SCALE_WORDS = re.compile(r"(?<!\w)(?:nghìn|ngàn|triệu|tỷ)(?:\s+(?:tỷ|triệu))?(?!\w)")
_YEAR_WORD = re.compile(r"(?<!\w)(?:năm|đến|tính đến|tại|kỳ)(?!\w)", re.IGNORECASE)
_UNIT_PREFIX = {"tinh", "thanh", "pho", "tp"}
_CAPTION_HEAD = re.compile(r"^\s*(?:bảng|biểu|phụ lục)(?!\w)", re.IGNORECASE)
_CAPTION_MAX = 200  # characters: a longer line before a table is prose, not its caption


@dataclass(frozen=True)
class _Cell:
    text: str
    start: int  # columns in the row's line
    end: int


def _cells(line: str) -> list[_Cell]:
    at = line.index(TABLE_ROW) + len(TABLE_ROW)  # after the space a PDF page's form feed left, if any
    out = []
    for part in line[at:].split(_SEP):
        lead = len(part) - len(part.lstrip())
        text = part.strip()
        out.append(_Cell(text, at + lead, at + lead + len(text)))
        at += len(part) + len(_SEP)
    return out


@dataclass(frozen=True)
class _Column:
    role: str  # ordinal | key | value | target | out
    codes: tuple[str, ...] = ()  # the indicators its heading names
    unit: str | None = None  # the unit its heading names (units as columns)
    period: Period | None = None  # the period its heading names
    scale: str = ""  # "%", " triệu": what the heading says its figures are in
    heading: str = ""


def _unit_of(text: str, reader: _Reader) -> str | None:
    """The one unit a cell is: a named province or ministry ("Tỉnh Thanh Hóa", "Bộ Y tế"), the nation ("Cả
    nước", "Toàn quốc") or a bloc ("Khối bộ", "Khối tỉnh"); None for anything else."""
    toks = _tokens(text, [])
    if not toks:
        return None
    mentions = [m for m in _match_units(toks, 0, len(toks), reader.names, reader.units, []) if not m.bare]
    if len(mentions) != 1 or mentions[0].unit == _ORGANISATION:
        return None
    m = mentions[0]
    rest = [t.fold for t in toks if not (m.start <= t.start and t.end <= m.end)]
    if any(w not in _UNIT_PREFIX for w in rest):
        return None
    if m.named is None:  # a group: the nation's names or a bloc said "Khối …", not "địa phương", "tỉnh"
        words = fold(text[m.start : m.end]).split()
        if m.unit != reader.cat.nation.code and words[:1] != ["khoi"]:
            return None
        if m.unit == reader.cat.nation.code and words not in (["ca", "nuoc"], ["toan", "quoc"], ["viet", "nam"]):
            return None
    return m.unit


def _indicators_of(text: str, reader: _Reader) -> tuple[str, ...]:
    """The indicators a cell names, the whole cell one name; () for anything else. A scale in parentheses after
    the name ("Tỷ lệ cấp kết quả điện tử (%)") is no part of it (round 16b)."""
    text = re.sub(r"\s*\((?:%|tỷ lệ %|[^()]{0,20}đồng|người|hồ sơ|triệu|nghìn)\)\s*$", "", text, flags=re.IGNORECASE)
    toks = _tokens(text, [])
    if not toks:
        return ()
    found = _match_aliases(toks, reader.names, 0, len(toks), text)
    whole = {c for m in found if m.first == 0 and m.last == len(toks) - 1 for c in m.alias.codes}
    if not whole and [t.fold for t in toks[:2]] == ["ty", "le"]:
        # "Tỷ lệ số hóa hồ sơ, kết quả giải quyết thủ tục hành chính": a rate's name said after "tỷ lệ"
        whole = {
            c
            for m in found
            if m.first == 2 and m.last == len(toks) - 1
            for c in m.alias.codes
            if reader.cat.indicators[c].is_rate
        }
    return tuple(sorted(whole))


def _heading(cell: str) -> tuple[str, Period | None, str, bool]:
    """A heading's words without its date and its parentheses, the date, the scale it states, and whether it
    holds more than one date (then the column is not read)."""
    scale = ""
    for inner in _PAREN.findall(cell):
        low = inner.lower()
        if "%" in low:
            scale = "%"
        elif m := _SCALE_WORDS.search(low):  # "(nghìn tỷ đồng)": the words as the number phrase reads them
            scale = " " + " ".join(m.group().replace("ngàn", "nghìn").split())
            scale += " đồng" if re.search(r"(?<!\w)đồng(?!\w)", low) else ""
        elif re.fullmatch(r"\s*(?:tỷ\s+)?đồng\s*", low):
            scale = " đồng"
    bare = _PAREN.sub(" ", cell)
    dates = _parse_dates(bare)
    for start, end, _, _ in reversed(dates):
        bare = bare[:start] + " " + bare[end:]
    bare = _YEAR_WORD.sub(" ", bare)
    bare = " ".join(bare.replace("/", " ").split()).strip(" :,.")
    return bare, dates[0][2] if len(dates) == 1 else None, scale, len(dates) > 1


def _column(cell: str, reader: _Reader) -> _Column:
    words, period, scale, many = _heading(cell)
    folded = tuple(fold(words).split())
    if many:
        return _Column("out", heading=cell)
    if " ".join(folded) in _ORDINAL:
        return _Column("ordinal", heading=cell)
    if _LEFT_OUT.search(cell):
        return _Column("out", heading=cell)
    if _TARGET.match(words):
        return _Column("target", period=period, scale=scale, heading=cell)
    if not folded and period is not None:  # "Năm 2023", "Quý III/2024"
        return _Column("value", period=period, scale=scale, heading=cell)
    if folded in _GENERIC:
        return _Column("value", period=period, scale=scale or ("%" if folded == ("ty", "le") else ""), heading=cell)
    if codes := _indicators_of(words, reader):
        return _Column("value", codes=codes, period=period, scale=scale, heading=cell)
    if (unit := _unit_of(words, reader)) is not None:
        return _Column("value", unit=unit, period=period, scale=scale, heading=cell)
    return _Column("out", heading=cell)


def is_row(line: str) -> bool:
    """Whether a line (its form feed made a space) is a table's row; a page may open with one."""
    return line.startswith(TABLE_ROW) or line.startswith(" " + TABLE_ROW)


@dataclass(frozen=True)
class Table:
    rows: list[tuple[int, str]]  # (line number, line): the header first
    caption: tuple[int, str] | None


def tables_of(lines: Sequence[str]) -> list[Table]:
    """Runs of table rows, each with its caption: the nearest non-empty line before it, if not too long."""
    out: list[Table] = []
    run: list[tuple[int, str]] = []
    caption: tuple[int, str] | None = None
    last_text: tuple[int, str] | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.replace("\f", " ")
        if is_row(line):
            if not run:
                caption = last_text
            run.append((number, line))
            continue
        if not line.strip():
            continue
        if run:
            out.append(Table(run, caption))
            run = []
        last_text = (number, line.strip())
    if run:
        out.append(Table(run, caption))
    return out


def _caption_period(caption: str | None) -> Period | bool | None:
    """The one period a caption names; None when it names none, False when more than one."""
    if caption is None:
        return None
    # a report's date in the caption ("kèm theo Báo cáo số … ngày 15/10/2025") is not the figures' period
    dates = [d for d in _dates(caption) if d.role not in ("publication", "dateline")]
    periods = {d.period for d in dates}
    if any(d.period.kind is PeriodKind.DAY for d in dates):
        return False  # "tính đến ngày 30/9/2025": a day, not a period of the table's figures
    return periods.pop() if len(periods) == 1 else (False if periods else None)


def _caption_indicators(caption: str | None, reader: _Reader) -> set[str] | None:
    """The indicator codes of the one name a caption holds; None when it names none or several."""
    if caption is None:
        return None
    toks = _tokens(caption, [])
    found = [m for m in _match_aliases(toks, reader.names, 0, len(toks), caption) if not m.contained]
    names = {m.alias.codes for m in found}
    return set(next(iter(names))) if len(names) == 1 else None


# why a table's figure is not read: the generic reader's (flagged) proposal at that cell says it
_NO_PERIOD = "bảng: kỳ của số liệu không rõ / a table: the figure's period is not clear"
_UNREAD_HEADING = "bảng: tiêu đề cột «{}» không đọc được / a table: the column heading «{}» is not understood"
_LEFT_OUT_COLUMN = (
    "bảng: cột thay đổi, xếp hạng hay ghi chú, không đọc / a table: a change, rank or note column, not read"
)
_NO_KEY = (
    "bảng: ô đầu hàng không phải đơn vị hay chỉ tiêu đã biết / a table: the row's key is no known unit or indicator"
)
_NO_UNIT = "bảng: hàng và cột không nêu đúng một đơn vị / a table: not exactly one unit named by the row and the column"
_NO_INDICATOR = (
    "bảng: không rõ chỉ tiêu (tiêu đề cột chung, tên bảng không nêu đúng một chỉ tiêu) / a table: no indicator "
    "(a generic heading, and the caption names not exactly one)"
)
_BOTH_INDICATORS = "bảng: chỉ tiêu nêu ở cả hàng và cột / a table: both the row and the column name an indicator"
_NO_FIT = "bảng: số liệu không khớp chỉ tiêu (đơn vị đo, khoảng) / a table: the figure does not fit the indicator"


Unread = dict[tuple[int, int, int], str]  # (line, start, end) of a cell -> why its figure is not read


def read_tables(lines: Sequence[str], reader: _Reader) -> tuple[list[Proposal], Unread]:
    """The proposals of every table the reader can read (see the module's doc), and why the other cells of
    the tables it read are not."""
    out: list[Proposal] = []
    unread: Unread = {}
    for table in tables_of(lines):
        out.extend(_read(table, reader, unread))
    return out, unread


def _read(table: Table, reader: _Reader, unread: Unread) -> list[Proposal]:
    if len(table.rows) < 2:
        return []
    header = _cells(table.rows[0][1])
    if any(find_numbers(_PAREN.sub(" ", c.text)) for c in header):
        return []  # a figure in the first row: no header (a table going on from the page before)
    body = [(n, line, _cells(line)) for n, line, in table.rows[1:]]
    width = len(header)
    body = [r for r in body if len(r[2]) == width]  # merged or split rows: their columns are not the header's
    if not body:
        return []
    columns = [_column(c.text, reader) for c in header]
    # a column stating no scale ("Mục tiêu 2025") takes the one the table's other headings state ("Tỷ lệ (%)")
    scales = {c.scale for c in columns if c.role in ("value", "target") and c.scale}
    if len(scales) == 1:  # never to a column naming its own indicator ("Số hồ sơ" beside "Tỷ lệ (%)")
        columns = [replace(c, scale=c.scale or ("" if c.codes else next(iter(scales)))) for c in columns]
    # "| Tỷ lệ hồ sơ … (%) | Chỉ tiêu 2024 (%) | Tỷ lệ thanh toán … (%) |": a target column naming no indicator
    # after one that names its indicator is that indicator's target (round 16b)
    columns = [
        replace(c, codes=columns[i - 1].codes)
        if c.role == "target" and not c.codes and i > 0 and columns[i - 1].role == "value" and columns[i - 1].codes
        else c
        for i, c in enumerate(columns)
    ]
    # the key columns: a column of units, one of indicator names
    unit_col = ind_col = None
    for i, col in enumerate(columns):
        if col.role == "ordinal":
            continue
        texts = [cells[i].text for _, _, cells in body if cells[i].text not in _EMPTY]
        if not texts:
            continue
        # most cells (a "Tổng" row, a name the catalogue lacks: that row alone is not read)
        if unit_col is None and 3 * sum(_unit_of(t, reader) is not None for t in texts) >= 2 * len(texts):
            unit_col = i
        elif ind_col is None and 3 * sum(bool(_indicators_of(t, reader)) for t in texts) >= 2 * len(texts):
            ind_col = i
    caption = table.caption[1] if table.caption else None
    if caption is not None and len(caption) > _CAPTION_MAX and not _CAPTION_HEAD.match(caption):
        caption = None
    if caption is not None and "(%)" in caption:  # "Bảng 3. Tỷ lệ … (%)": the figures are percents
        columns = [replace(c, scale=c.scale or "%") for c in columns]
    caption_codes = _caption_indicators(caption, reader)
    caption_period = _caption_period(caption)
    out: list[Proposal] = []
    for number, line, cells in body:
        row_unit = _unit_of(cells[unit_col].text, reader) if unit_col is not None else None
        row_codes = _indicators_of(cells[ind_col].text, reader) if ind_col is not None else ()
        no_key = (unit_col is not None and row_unit is None) or (ind_col is not None and not row_codes)
        for i, col in enumerate(columns):
            cell = cells[i]
            if i in (unit_col, ind_col) or col.role == "ordinal" or cell.text in _EMPTY:
                continue
            at = (number, cell.start, cell.end)
            if col.role == "out":
                left_out = _LEFT_OUT.search(col.heading)
                unread[at] = _LEFT_OUT_COLUMN if left_out else _UNREAD_HEADING.format(col.heading, col.heading)
                continue
            if no_key:
                unread[at] = _NO_KEY
                continue
            p = _figure(reader, col, header[i], cell, number, line, caption, caption_codes, caption_period,
                        (row_unit, cells[unit_col] if unit_col is not None else None),
                        (row_codes, cells[ind_col] if ind_col is not None else None))  # fmt: skip
            if isinstance(p, Proposal):
                out.append(p)
            else:
                unread[at] = p
    return out


def _figure(
    reader: _Reader,
    col: _Column,
    head: _Cell,
    cell: _Cell,
    number: int,
    line: str,
    caption: str | None,
    caption_codes: set[str] | None,
    caption_period: Period | bool | None,
    row_unit: tuple[str | None, _Cell | None],
    row_codes: tuple[tuple[str, ...], _Cell | None],
) -> Proposal | str:
    """The cell's proposal, or why it is not read."""
    # the unit: the row's or the column's, never both; neither: the one the document is about ("UBND tỉnh Khánh
    # Hòa: Phụ lục kết quả …", round 16b)
    subject = reader.doc_unit or reader.title_ministry  # "Bộ Công Thương: Phụ lục kết quả …" too
    if row_unit[0] is None and col.unit is None and subject is not None and row_codes[1] is not None:
        unit, unit_clue = subject
    elif (row_unit[0] is None) == (col.unit is None):
        return _NO_UNIT
    elif row_unit[0] is not None and row_unit[1] is not None:
        unit, unit_clue = row_unit[0], Clue(row_unit[1].text, row_unit[1].start, row_unit[1].end, "table")
    else:
        unit, unit_clue = str(col.unit), Clue(head.text, -1, -1, "table")
    # the indicator: the row's, the column's, or (a generic column) the caption's: one of them
    said = [s for s in (row_codes[0], col.codes) if s]
    if len(said) > 1:
        return _BOTH_INDICATORS
    if said:
        codes = set(said[0])
        if row_codes[0] and row_codes[1] is not None:
            ind_clue = Clue(row_codes[1].text, row_codes[1].start, row_codes[1].end, "table")
        else:
            ind_clue = Clue(head.text, -1, -1, "table")
    elif caption_codes and caption is not None:
        codes, ind_clue = caption_codes, Clue(caption, -1, -1, "table")
    else:
        return _NO_INDICATOR
    # the figure, in what the heading says it is in
    text = cell.text
    if not col.scale and row_codes[1] is not None and re.search(r"\(\s*%\s*\)\s*$", row_codes[1].text):
        col = replace(col, scale="%")  # "Tỷ lệ cấp kết quả điện tử (%)": the row's figures are percents
    if re.match(r"[-+−–]\s*\d", text):
        return _NO_FIT  # a signed figure: a change, not a value
    if col.scale and not re.search(r"[%]|triệu|nghìn|ngàn|tỷ|đồng", text):
        text += col.scale
    try:
        phrase = parse_number_phrase(text)
    except ValueError:
        return _NO_FIT
    phrase_at = type(phrase)(**{**phrase.__dict__, "start": cell.start, "end": cell.end})
    fig = _Figure(phrase_at, 0)
    _shape(fig, [], "")
    fits = [c for c in codes if reader.level_fits(c, [unit]) and _compatible(reader.cat.indicators[c], fig)]
    if len(fits) != 1:
        return _NO_FIT
    code = fits[0]
    # the period: the column's, else the caption's, else the document's
    reason = None
    if col.period is not None:
        period, period_clue = col.period, Clue(head.text, -1, -1, "table")
    elif isinstance(caption_period, Period) and caption is not None:
        period, period_clue = caption_period, Clue(caption, -1, -1, "table")
    elif caption_period is None and reader.doc_period is not None:
        period, period_clue = reader.doc_period, reader.doc_clue
    else:
        if reader.doc_period is None:
            return _NO_PERIOD
        period, period_clue = reader.doc_period, Clue("", -1, -1, "none")
        reason = _NO_PERIOD
    unit = reader.unit_at(unit, period)
    evidence = Evidence(ind_clue, unit_clue, period_clue)
    snippet = line.strip()[:240]
    where = Where(number, cell.start, cell.end, snippet, reader.page_of(number), reader.para_of(number))
    value, target = (None, fig.value) if col.role == "target" else (fig.value, None)
    return Proposal(
        code,
        unit,
        str(period),
        value,
        where,
        target,
        phrase.approximate,
        phrase.qualifier,
        fig.numerator,
        fig.denominator,
        cell.text,
        evidence,
        confidence(evidence, 0.0),
        reason is not None,
        reason,
    )


def merge(generic: list[Proposal], read: tuple[list[Proposal], Unread]) -> list[Proposal]:
    """The table reader's proposals in place of the generic reader's for the same figures (same line, inside
    the same cell); the generic reader's flagged ones in the cells it did not read say why; every other
    proposal kept, in the document's order."""
    tables, unread = read
    if not tables and not unread:
        return generic
    read_cells: dict[int, list[tuple[int, int]]] = {}  # by line: one document's table cells are many
    for t in tables:
        read_cells.setdefault(t.where.line, []).append((t.where.start, t.where.end))
    kept = [p for p in generic if not any(s <= p.where.start < e for s, e in read_cells.get(p.where.line, ()))]
    by_line: dict[int, list[tuple[int, int, str]]] = {}
    for (ln, s, e), why in unread.items():
        by_line.setdefault(ln, []).append((s, e, why))
    kept = [_why(p, by_line.get(p.where.line, ())) for p in kept]
    out: list[Proposal] = []
    i = 0
    for p in kept:  # each table figure before the first proposal of a later line: the generic order kept
        while i < len(tables) and tables[i].where.line < p.where.line:
            out.append(tables[i])
            i += 1
        out.append(p)
    return [*out, *tables[i:]]


def _why(p: Proposal, cells: Sequence[tuple[int, int, str]]) -> Proposal:
    if not p.flagged:
        return p
    why = next((r for s, e, r in cells if s <= p.where.start < e), None)
    return p if why is None else replace(p, reason=why)
