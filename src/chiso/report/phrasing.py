"""Words for figures and periods, and sentences built from a template's wording variants.

Numbers follow ``chiso.i18n`` (Vietnamese style: "45,8%", "2,8 triệu giao dịch", "thứ 71"). A sentence is
a template's variant with its placeholders filled by text or by runs (a figure is always its own ``Run``).
The ``Phraser`` chooses among the variants deterministically (the same data gives the same report), turning
away a variant the same slot used last time and an opening the previous sentences used, so that neighbouring
sentences read as a person writes them rather than as one pattern repeated.
"""

from __future__ import annotations

import re
import string
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import date

from chiso.catalogue.models import Indicator, Text
from chiso.catalogue.periods import Period, PeriodKind
from chiso.i18n import fmt_number, fmt_value, round_half_up
from chiso.report.document import ReportKind, Run

Piece = str | Sequence[Run]

ROMAN = ("I", "II", "III", "IV")
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WORDS_EN = {
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    11: "eleven",
}

# --- periods ---------------------------------------------------------------------------------------------


def period_name(p: Period, lang: str = "vi") -> str:
    """How a report names a period: "năm 2024", "quý III/2024", "tháng 4/2024", "9 tháng năm 2024"."""
    s, e, en = p.start, p.end, lang == "en"
    k = p.kind
    if k is PeriodKind.YEAR:
        return f"{s.year}" if en else f"năm {s.year}"
    if k is PeriodKind.HALF:
        first = s.month == 1
        if en:
            return f"the {'first' if first else 'second'} half of {s.year}"
        return f"6 tháng {'đầu' if first else 'cuối'} năm {s.year}"
    if k is PeriodKind.QUARTER:
        q = (s.month - 1) // 3 + 1
        return f"Q{q} {s.year}" if en else f"quý {ROMAN[q - 1]}/{s.year}"
    if k is PeriodKind.MONTH:
        return f"{MONTHS_EN[s.month - 1]} {s.year}" if en else f"tháng {s.month}/{s.year}"
    if k is PeriodKind.WEEK:
        iy, iw, _ = s.isocalendar()
        return f"week {iw} of {iy}" if en else f"tuần {iw}/{iy}"
    if k is PeriodKind.DAY:
        return f"{s.day} {MONTHS_EN[s.month - 1]} {s.year}" if en else f"ngày {s.day}/{s.month}/{s.year}"
    # a span of months: from January it is "n tháng (đầu) năm", as the reports write it
    if s.month == 1 and s.year == e.year:
        n = p.months
        if en:
            return f"the first {_WORDS_EN.get(n, str(n))} months of {s.year}"
        if n == 6:
            return f"6 tháng đầu năm {s.year}"
        return f"{n} tháng năm {s.year}" if n == 9 else f"{n} tháng đầu năm {s.year}"
    if en:
        return f"{MONTHS_EN[s.month - 1]} {s.year} to {MONTHS_EN[e.month - 1]} {e.year}"
    return f"từ tháng {s.month}/{s.year} đến tháng {e.month}/{e.year}"


def period_label(p: Period, lang: str = "vi", *, one_year: bool = False) -> str:
    """A chart's label of a period: "T4" (within one year) or "T4/2024", "Q3/2024", "2024"."""
    s, k = p.start, p.kind
    if k is PeriodKind.MONTH:
        if lang == "en":
            return MONTHS_EN[s.month - 1][:3] + ("" if one_year else f" {s.year}")
        return f"T{s.month}" + ("" if one_year else f"/{s.year}")
    if k is PeriodKind.QUARTER:
        return f"Q{(s.month - 1) // 3 + 1}/{s.year}"
    if k is PeriodKind.HALF:
        h = 1 if s.month == 1 else 2
        return f"H{h}/{s.year}" if lang == "en" else f"{6 * h - 5}-{6 * h}/{s.year}"
    if k is PeriodKind.YEAR:
        return str(s.year)
    return str(p)


def slug(p: Period) -> str:
    """The period in a file name: "2024", "2024-q3", "2024-s1", "2024-04", "2024-01-2024-09"."""
    return str(p).lower().replace("q", "-q").replace("s", "-s").replace("..", "-")


def report_kind(p: Period) -> ReportKind:
    k = p.kind
    if k is PeriodKind.YEAR:
        return "annual"
    if k is PeriodKind.QUARTER:
        return "quarterly"
    if k is PeriodKind.MONTH:
        return "monthly"
    if k is PeriodKind.HALF or (k is PeriodKind.SPAN and p.start.month == 1 and p.months == 6):
        return "half"
    if k is PeriodKind.SPAN and p.start.month == 1 and p.months == 9:
        return "nine_months"
    return "other"


def fmt_date(d: date, lang: str = "vi") -> str:
    return d.isoformat() if lang == "en" else f"{d.day:02d}/{d.month:02d}/{d.year}"


# --- figures ----------------------------------------------------------------------------------------------

_ESTIMATE = ("ước",)  # "ước", "ước tính", "ước đạt": said after the figure
_QUALIFIERS_EN = {"hơn": "more than", "trên": "over", "vượt": "more than", "gần": "nearly", "khoảng": "about"}


def ordinal_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def unit_word(ind: Indicator, lang: str, units: Mapping[str, Text]) -> str:
    """The indicator's display unit in the language; an English unit the template does not give is left out."""
    if lang != "en" or ind.unit in ("%", "USD", ""):
        return ind.unit
    t = units.get(ind.unit)
    return t.en if t is not None else ""


def fmt_figure(ind: Indicator, value: float, lang: str, units: Mapping[str, Text]) -> str:
    """A value of the indicator with its unit: "45,8%", "2,8 triệu giao dịch", "thứ 71" / "71st"."""
    if ind.is_rank and lang == "en":
        return ordinal_en(int(round_half_up(value, 0)))
    return fmt_value(value, unit_word(ind, lang, units), ind.decimals, lang, ind.kind)


_ABOVE = ("hơn", "trên", "vượt")  # the figure is a lower bound
_BELOW = ("gần",)  # an upper bound


def said_bound(qualifier: str, value: float, shown: float) -> str:
    """The qualifier to say with the number ``shown`` for ``value``: "khoảng" where the rounding broke its bound
    ("hơn" over a number rounded up, "gần" under one rounded down), else the qualifier as given."""
    q = qualifier.strip().lower()
    return "khoảng" if (q in _ABOVE and shown > value) or (q in _BELOW and shown < value) else qualifier


def qualify(text: str, qualifier: str | None, lang: str, *, value: float | None = None,
            shown: float | None = None) -> str:
    """An approximate figure keeps its qualifier: "hơn 87 triệu thẻ", "18,3% (ước tính)". Given the ``value`` and the
    number its text ``shown`` (rounded), a bound that the rounding broke becomes "khoảng": "hơn 5.397 tỷ" shown
    as 5,4 nghìn tỷ is not "hơn 5,4 nghìn tỷ"."""
    q = (qualifier or "").strip().lower()
    if not q:
        return text
    if value is not None and shown is not None:
        q = said_bound(q, value, shown)
    if q.startswith(_ESTIMATE):
        return f"{text} ({'estimate' if lang == 'en' else 'ước tính'})"
    if lang == "en":
        return f"{_QUALIFIERS_EN.get(q, 'about')} {text}"
    return f"{'hơn' if q == 'vượt' else q} {text}"


def fmt_points(ind: Indicator, value: float, lang: str, units: Mapping[str, Text]) -> str:
    """A difference in the indicator's own unit: points for rates and scores, places for ranks."""
    v = abs(value)
    if ind.is_rate:
        return f"{fmt_number(v, ind.decimals, lang)} {'percentage points' if lang == 'en' else 'điểm phần trăm'}"
    if ind.is_rank:
        n = fmt_number(v, 0, lang)
        return f"{n} {'place' if v == 1 else 'places'}" if lang == "en" else f"{n} bậc"
    if ind.kind == "score":
        return f"{fmt_number(v, ind.decimals, lang)} {'points' if lang == 'en' else 'điểm'}"
    return fmt_figure(ind, v, lang, units)


def fmt_percent(value: float, lang: str, decimals: int = 2) -> str:
    return f"{fmt_number(abs(value), decimals, lang)}%"


def fmt_times(ratio: float, lang: str) -> str:
    return f"{fmt_number(ratio, 1, lang)} {'times' if lang == 'en' else 'lần'}"


def sentence_name(text: str, lang: str = "vi") -> str:
    """A name inside a sentence: first letter small unless it starts with an acronym ("NDXP", "VNeID") or,
    in English, a proper name of two capitalised words ("Mobile Money")."""
    text = re.sub(r"\s*\((lũy kế|cumulative)\)\s*$", "", text.strip())
    words = text.split(" ")
    if len(words[0]) > 1 and any(c.isupper() for c in words[0][1:]):
        return text
    if lang == "en" and len(words) > 1 and words[1][:1].isupper():
        return text
    return text[:1].lower() + text[1:]


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def join_list(items: Sequence[Sequence[Run]], and_word: str) -> list[Run]:
    """A, B và C."""
    out: list[Run] = []
    for i, item in enumerate(items):
        if i:
            out.append(Run(f" {and_word} " if i == len(items) - 1 else ", "))
        out.extend(item)
    return out


# --- sentences --------------------------------------------------------------------------------------------


def _runs(piece: Piece) -> list[Run]:
    return [Run(piece)] if isinstance(piece, str) else list(piece)


def tidy(runs: Sequence[Run]) -> list[Run]:
    """Merge neighbouring plain runs; no doubled spaces, no space before punctuation, nothing empty."""
    out: list[Run] = []
    for r in runs:
        if r.figure is None and not r.strong and out and out[-1].figure is None and not out[-1].strong:
            out[-1] = Run(out[-1].text + r.text)
        elif r.text or r.figure is not None:
            out.append(r)
    cleaned: list[Run] = []
    for r in out:
        if r.figure is None:
            text = re.sub(r" {2,}", " ", r.text)
            text = re.sub(r" +([,.;:)])", r"\1", text)
            text = re.sub(r"([,;]){2,}", r"\1", text)
            if text:
                cleaned.append(Run(text, strong=r.strong))
        else:
            cleaned.append(r)
    return cleaned


def render(template: str, fields: Mapping[str, Piece]) -> list[Run]:
    runs: list[Run] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            runs.append(Run(literal))
        if name is not None:
            runs.extend(_runs(fields[name]))
    return tidy(runs)


def plain(runs: Sequence[Run]) -> str:
    return "".join(r.text for r in runs)


def _opening(runs: Sequence[Run]) -> str:
    words = re.findall(r"\w+", plain(runs).lower())
    return " ".join(words[:2])


class Phraser:
    """Chooses wording variants for sentences and clauses, varied and reproducible."""

    def __init__(self, wording: Mapping[str, Sequence[Text]], lang: str) -> None:
        self.wording = wording
        self.lang = lang
        self._last: dict[str, int] = {}
        self._openings: deque[str] = deque(maxlen=2)

    def has(self, slot: str) -> bool:
        return bool(self.wording.get(slot))

    def _order(self, slot: str, key: str, n: int) -> list[int]:
        start = zlib.crc32(f"{slot}|{key}".encode()) % n
        order = [(start + i) % n for i in range(n)]
        last = self._last.get(slot)
        if n > 1 and last is not None:
            order.remove(last)  # never the variant this slot used last
            order.append(last)
        return order

    def clause(self, slot: str, key: str, /, **fields: Piece) -> list[Run]:
        variants = self.wording[slot]
        i = self._order(slot, key, len(variants))[0]
        self._last[slot] = i
        return render(variants[i].get(self.lang), fields)

    def sentence(self, slot: str, key: str, variants: Sequence[Text] | None = None, /, **fields: Piece) -> list[Run]:
        """A whole sentence: capitalised, ending in a full stop, not opening as the last ones did."""
        vs = list(variants) if variants else list(self.wording[slot])
        tag = slot if not variants else f"{slot}:{key}"
        order = self._order(tag, key, len(vs))
        chosen: tuple[int, list[Run]] | None = None
        for i in order:
            runs = render(vs[i].get(self.lang), fields)
            if chosen is None:
                chosen = (i, runs)
            if _opening(runs) not in self._openings:
                chosen = (i, runs)
                break
        assert chosen is not None
        i, runs = chosen
        self._last[tag] = i
        self._openings.append(_opening(runs))
        return _finish(runs)


def _finish(runs: list[Run]) -> list[Run]:
    if runs and runs[0].figure is None:
        runs[0] = Run(capitalise(runs[0].text.lstrip()), strong=runs[0].strong)
    if runs and runs[-1].figure is None:
        text = runs[-1].text.rstrip()
        if not text.endswith((".", "!", "?", ":")):
            text += "."
        runs[-1] = Run(text, strong=runs[-1].strong)
    elif runs:
        runs.append(Run("."))
    return runs
