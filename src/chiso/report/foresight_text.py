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


def _against(p: Projection, value: float, lang: str) -> str:
    if p.target is None:
        return ""
    target = fmt(p, p.target.value, lang)
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


def projection_sentence(p: Projection, lang: str = "vi") -> str:
    """"At the current pace khối tỉnh reaches 61% (56–66%) by the end of 2025, short of the 70% target." """
    unit = unit_name(p, lang)
    if p.method == "none" or p.value is None:
        return t("foresight.none", lang, unit=unit, year=p.year, why=method_sentence(p, lang))
    if p.method == "final":
        return t("foresight.final", lang, unit=unit, year=p.year, value=fmt(p, p.value, lang),
                 against=_against(p, p.value, lang))
    return t("foresight.sentence", lang, unit=unit, year=p.year, value=fmt(p, p.value, lang),
             low=fmt(p, p.low, lang), high=fmt(p, p.high, lang), against=_against(p, p.value, lang))


def unreachable(p: Projection) -> bool:
    """The remaining months would need a value outside the indicator's range (a rate above 100 %)."""
    if p.needed is None:
        return False
    lo, hi = p.indicator.range
    return (hi is not None and p.needed > hi) or (lo is not None and p.needed < lo)


def needed_sentence(p: Projection, lang: str = "vi") -> str | None:
    """What it would take to meet the target, when the projection is likely to miss it (None otherwise)."""
    if p.target is None or p.method in ("none", "final") or p.needed is None:
        return None
    if not p.behind:
        return t("foresight.on_track", lang)
    if unreachable(p):
        return t("foresight.unreachable", lang, needed=fmt(p, p.needed, lang))
    lower = p.indicator.direction is Direction.LOWER
    per_month = abs(p.per_month) if p.per_month is not None else None
    return t("foresight.needed_lower" if lower else "foresight.needed", lang, needed=fmt(p, p.needed, lang),
             current=fmt(p, p.current, lang), per_month=fmt(p, per_month, lang, step=True))


def sentences(p: Projection, lang: str = "vi") -> list[str]:
    """The projection, its probability and what it would take: the paragraph a report or a page says."""
    out = [projection_sentence(p, lang)]
    if p.probability is not None and p.method not in ("none", "final"):
        out.append(t("foresight.probability", lang, p=fmt_probability(p.probability, lang)))
    need = needed_sentence(p, lang)
    if need:
        out.append(need)
    return out
