"""Projections in words: where a figure is heading by year end, against its target, and what it would take.

One home for these sentences: the command line, the web and the written reports say them the same way, in
Vietnamese first (English with ``lang="en"``), numbers in the language's style.
"""

from __future__ import annotations

import numpy as np

from chiso.catalogue.models import Direction
from chiso.engine.foresight import LEVEL, MODEL_MONTHS, PACE_MONTHS, SEASONAL_MONTHS, Projection, meets
from chiso.i18n import fmt_number, fmt_value, t


def unit_name(p: Projection, lang: str) -> str:
    return p.unit.name_en if lang == "en" and p.unit.name_en else p.unit.short


def fmt(p: Projection, x: float | None, lang: str, *, step: bool = False) -> str:
    """A value in the indicator's unit; ``step``: a change, a rate's in points."""
    ind = p.indicator
    if step and ind.unit == "%":
        return t("foresight.points", lang, n=fmt_number(x, 1, lang)) if x is not None else t("no_value", lang)
    return fmt_value(x, ind.unit, ind.decimals, lang, getattr(ind, "kind", None))


def fmt_probability(x: float, lang: str) -> str:
    return fmt_number(100 * x, 0, lang) + (" %" if lang == "en" else "%")


def level_name(lang: str) -> str:
    return fmt_number(100 * LEVEL, 0, lang) + (" %" if lang == "en" else "%")


# A figure written in a sentence: its text, what it states (a ``report.document.Role``) and the number behind it
# (a probability in percent, as printed). The reports cut their sentences at these to state each figure.
Piece = tuple[str, str | None, float | None]
_MARK = "\x00"


class _Figures:
    """How the sentences write their figures: as plain text, or (``mark``) as markers that ``parts`` cuts at."""

    def __init__(self, mark: bool = False) -> None:
        self.mark = mark
        self.found: list[tuple[str, str, float]] = []

    def __call__(self, text: str, role: str, value: float | None) -> str:
        if not self.mark or value is None:
            return text
        self.found.append((text, role, float(value)))
        return f"{_MARK}{len(self.found) - 1}{_MARK}"

    def cut(self, sentence: str) -> list[Piece]:
        out: list[Piece] = []
        for i, bit in enumerate(sentence.split(_MARK)):
            if i % 2:
                out.append(self.found[int(bit)])
            elif bit:
                out.append((bit, None, None))
        return out


_PLAIN = _Figures()


def _against(p: Projection, value: float, lang: str, fig: _Figures = _PLAIN) -> str:
    if p.target is None:
        return ""
    target = fig(fmt(p, p.target.value, lang), "target", p.target.value)
    if meets(p.indicator, np.array(value), p.target.value):
        return t("foresight.meets", lang, target=target)
    lower = p.indicator.direction is Direction.LOWER
    return t("foresight.short_of_lower" if lower else "foresight.short_of", lang, target=target)


def method_sentence(p: Projection, lang: str = "vi") -> str:
    if p.method == "none":
        return t(f"foresight.why.{p.reason}", lang, n=p.history, pace=PACE_MONTHS)
    said = t(f"foresight.method.{p.reason}", lang, n=p.history, model=MODEL_MONTHS, seasonal=SEASONAL_MONTHS,
             level=level_name(lang))
    if p.widened:
        said += " " + t("foresight.widened", lang, n=p.widened, months=p.months_left)
    return said


def projection_sentence(p: Projection, lang: str = "vi", fig: _Figures = _PLAIN) -> str:
    """"At the current pace khối tỉnh reaches 61% (56–66%) by the end of 2025, short of the 70% target." """
    unit = unit_name(p, lang)
    if p.method == "none" or p.value is None:
        return t("foresight.none", lang, unit=unit, year=p.year, why=method_sentence(p, lang))
    value = fig(fmt(p, p.value, lang), "projection", p.value)
    if p.method == "final":
        return t("foresight.final", lang, unit=unit, year=p.year, value=value, against=_against(p, p.value, lang, fig))
    return t("foresight.sentence", lang, unit=unit, year=p.year, value=value,
             low=fig(fmt(p, p.low, lang), "low", p.low), high=fig(fmt(p, p.high, lang), "high", p.high),
             against=_against(p, p.value, lang, fig))


def unreachable(p: Projection) -> bool:
    """The remaining months would need a value outside the indicator's range (a rate above 100 %)."""
    if p.needed is None:
        return False
    lo, hi = p.indicator.range
    return (hi is not None and p.needed > hi) or (lo is not None and p.needed < lo)


def needed_sentence(p: Projection, lang: str = "vi", fig: _Figures = _PLAIN) -> str | None:
    """What it would take to meet the target, when the projection is likely to miss it (None otherwise)."""
    if p.target is None or p.method in ("none", "final") or p.needed is None:
        return None
    if not p.behind:
        return t("foresight.on_track", lang)
    needed = fig(fmt(p, p.needed, lang), "needed", p.needed)
    if unreachable(p):
        return t("foresight.unreachable", lang, needed=needed)
    lower = p.indicator.direction is Direction.LOWER
    per_month = abs(p.per_month) if p.per_month is not None else None
    return t("foresight.needed_lower" if lower else "foresight.needed", lang, needed=needed,
             current=fig(fmt(p, p.current, lang), "recent", p.current),
             per_month=fig(fmt(p, per_month, lang, step=True), "per_month", per_month))


def _sentences(p: Projection, lang: str, fig: _Figures) -> list[str]:
    out = [projection_sentence(p, lang, fig)]
    if p.probability is not None and p.method not in ("none", "final"):
        out.append(t("foresight.probability", lang, p=fig(fmt_probability(p.probability, lang), "probability",
                                                           100 * p.probability)))
    need = needed_sentence(p, lang, fig)
    if need:
        out.append(need)
    return out


def sentences(p: Projection, lang: str = "vi") -> list[str]:
    """The projection, its probability and what it would take: the paragraph a report or a page says."""
    return _sentences(p, lang, _PLAIN)


def parts(p: Projection, lang: str = "vi") -> list[list[Piece]]:
    """``sentences``, each cut into its text and its figures (text, role, value), for a report to state them."""
    fig = _Figures(mark=True)
    return [fig.cut(s) for s in _sentences(p, lang, fig)]
