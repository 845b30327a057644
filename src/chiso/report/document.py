"""A written report as data: what the composer decided to say, before any format (HTML, PDF, DOCX).

The composer (``chiso.report.compose``) builds a ``Report`` from the engine's answers; the renderers
(``chiso.report.render``) only lay it out. Every number written in a paragraph or a table cell is a
``Run`` that carries the ``Stated`` figure behind it, so a test (or a reader) can check each printed
figure against the data it claims to state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# value: the indicator's value; target: its target; previous / last_year: the compared period's value;
# change: the difference (points for rates, units otherwise); change_pct: relative change in percent;
# gap: how far from the target; rank: a position in a ranking; share: a part of a whole in percent;
# coverage: how many units reported; median: the middle of a group's values; count: how many units (in a band);
# a year-end projection (report.foresight_text; ``period`` is the year projected): projection: its value; low / high:
# its interval; probability: of meeting the target, in percent; needed: the mean month the remaining months need;
# recent: the mean of the last three months; per_month: the rise (fall) per month that reaches ``needed``
Role = Literal[
    "value",
    "target",
    "previous",
    "last_year",
    "change",
    "change_pct",
    "gap",
    "rank",
    "share",
    "coverage",
    "median",
    "count",
    "projection",
    "low",
    "high",
    "probability",
    "needed",
    "recent",
    "per_month",
]
Style = Literal["body", "lead", "note", "missing"]
ReportKind = Literal["monthly", "quarterly", "half", "nine_months", "annual", "other"]


@dataclass(frozen=True)
class Stated:
    """A figure written in the report, and what it states."""

    text: str  # exactly as printed, e.g. "45,8%", "2,8 triệu hồ sơ", "thứ 71", "12,9 nghìn tỷ đồng"
    value: float  # the number the data holds for it (not rounded: the printed text is rounded)
    indicator: str
    unit: str  # unit or group code ("VN", "ministries", "P48")
    period: str
    role: Role = "value"
    decimals: int = 2  # how the value was rounded to print it
    approximate: bool = False
    # a composite index's result (chiso.engine.indices) rather than an indicator's figure: the index's code
    # (``indicator`` is then the index's root node, ``unit`` the unit scored or the group ranked)
    index: str | None = None
    detail: str | None = None  # what an index figure qualifies: a rating band, "partial", "low"/"high", "previous"


@dataclass(frozen=True)
class Run:
    """A piece of text; a figure when ``figure`` is set (renderers may set it in bold)."""

    text: str
    figure: Stated | None = None
    strong: bool = False


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    style: Style = "body"

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class ChartLine:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    """A series over periods (with the target as a step line) or a ranking of units (bars)."""

    kind: Literal["series", "ranking"]
    title: str
    labels: tuple[str, ...]  # series: period labels ("T1", "Q3/2024", "2024"); ranking: unit names
    lines: tuple[ChartLine, ...]  # ranking: exactly one line, values in the order of ``labels``
    unit: str  # display unit of the indicator: "%", "hồ sơ", "bậc"…
    decimals: int
    indicator_kind: str  # rate | count | stock | average_per_day | rank | score
    target: tuple[float | None, ...] | None = None  # series: one per label
    target_label: str = ""
    note: str | None = None  # said under the chart: the source, a rebasing, what is missing
    invert: bool = False  # ranks: 1 at the top
    highlight: tuple[int, ...] = ()  # ranking: indices of bars to emphasise (e.g. below target)


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Run, ...], ...]
    numeric: tuple[bool, ...]  # per column: right-aligned numbers
    note: str | None = None


@dataclass(frozen=True)
class Heading:
    """A heading inside a section (a composite index's part of its pillar)."""

    text: str


Block = Paragraph | Chart | Table | Heading


@dataclass(frozen=True)
class Section:
    key: str  # "summary", a pillar ("digital_government"…), "annex"
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    id: str  # file stem, e.g. "bao-cao-cds-2024"
    template: str  # the report template (spec) it was written from
    period: str  # canonical period ("2024", "2024Q3", "2024-04")
    kind: ReportKind
    lang: str
    title: str
    subtitle: str
    issuer: str
    generated_at: datetime
    sections: tuple[Section, ...]
    sources: tuple[tuple[str, str], ...] = ()  # (document id, title) of the documents figures come from
    notes: tuple[str, ...] = field(default=())  # general notes at the end (method, structure, estimates)
    missing: tuple[str, ...] = ()  # indicator codes of the template without data for the period

    def blocks(self) -> Iterator[Block]:
        for s in self.sections:
            yield from s.blocks

    def stated(self) -> list[Stated]:
        """Every number the report prints with what it states, in paragraphs and in tables."""
        out: list[Stated] = []
        for b in self.blocks():
            if isinstance(b, Paragraph):
                out += [r.figure for r in b.runs if r.figure is not None]
            elif isinstance(b, Table):
                out += [r.figure for row in b.rows for r in row if r.figure is not None]
        return out

    def figures(self) -> list[Stated]:
        """Every indicator figure the report states (the engine's ``value`` answers and what derives from them),
        in paragraphs and in tables; composite indices' results are ``index_figures``."""
        return [f for f in self.stated() if f.index is None]

    def index_figures(self) -> list[Stated]:
        """Every composite index result the report states (scores, ranks, counts: ``IndexScorer``'s answers)."""
        return [f for f in self.stated() if f.index is not None]

    def text(self) -> str:
        """The report as plain text: title, then each section's title and paragraphs (no tables)."""
        parts = [self.title, self.subtitle]
        for s in self.sections:
            parts.append(s.title)
            parts += [b.text for b in s.blocks if isinstance(b, Paragraph | Heading)]
        return "\n\n".join(p for p in parts if p)
