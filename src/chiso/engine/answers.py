"""What the engine answers: a ``Figure`` (a value with how it was obtained), an ``Answer`` (a figure for an
indicator, unit and period, with its target and comparisons), a ``RankRow``; and how a figure moved into
another unit structure (``Rebase``, ``Lack``), so that every answer type lives here and imports nothing of
the engine that makes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from chiso.catalogue.models import Direction, Indicator, Target, Unit
from chiso.catalogue.periods import Period
from chiso.i18n import round_half_up

Source = Literal["reported", "computed", "aggregated"]
Want = Literal["value", "parts", "share", "kind", "basis", "split"]


@dataclass(frozen=True)
class Lack:
    """What stops a contribution from being combined."""

    unit: str
    want: Want
    to: tuple[str, ...] = ()  # successors, for "share" and "split"

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"unit": self.unit, "missing": self.want}
        if self.to:
            d["to"] = list(self.to)
        return d


@dataclass(frozen=True)
class Rebase:
    """How a figure was moved into the structure of ``structure`` (``chiso.engine.rebase``)."""

    structure: date
    into: str  # the asked unit
    parts: tuple[tuple[str, float | None], ...]  # (unit code, share) of each contribution
    lacks: tuple[Lack, ...] = ()
    estimate: str | None = None  # the basis indicator of an estimate
    weights: tuple[tuple[str, float], ...] = ()  # the basis value of each contribution
    periods: tuple[tuple[str, str], ...] = ()  # contributions taken for part of the period only

    @property
    def refused(self) -> bool:
        return bool(self.lacks)

    @property
    def rebased_from(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.parts)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "structure": self.structure.isoformat(),
            "rebased_from": list(self.rebased_from),
            "shares": {c: s for c, s in self.parts},
        }
        if self.periods:
            d["periods"] = dict(self.periods)
        if self.lacks:
            d["missing"] = [x.as_dict() for x in self.lacks]
        if self.estimate is not None:
            d["estimated"] = True
            d["basis"] = self.estimate
            d["weights"] = dict(self.weights)
        return d


@dataclass(frozen=True)
class Figure:
    """A value with how it was obtained."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    source: Source = "reported"
    approximate: bool = False
    period: str | None = None  # the period of the underlying value (a stock's "as of")
    document: str | None = None
    paragraph: int | None = None
    qualifier: str | None = None
    stored_id: int | None = None
    method: str | None = None  # for aggregated figures: "members" | "sub-periods" | "latest"
    coverage: tuple[int, int] | None = None  # (components with data, components expected)
    complete: bool = True
    missing: tuple[str, ...] = ()  # components without what was needed
    note: str | None = None
    rebase: Rebase | None = None  # set when the figure was moved into another unit structure (engine.rebase)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": self.value, "source": self.source}
        for k in ("numerator", "denominator", "period", "document", "paragraph", "qualifier", "method", "note"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        d["approximate"] = self.approximate
        if self.coverage is not None:
            d["coverage"] = {"with_data": self.coverage[0], "expected": self.coverage[1]}
            d["complete"] = self.complete
        if self.missing:
            d["missing"] = list(self.missing)
        if self.rebase is not None:
            d["rebase"] = self.rebase.as_dict()
        return d


@dataclass(frozen=True)
class Answer:
    indicator: Indicator
    unit: Unit
    period: Period
    figure: Figure | None
    target: Target | None = None
    alternatives: tuple[Figure, ...] = ()
    previous: Answer | None = None
    last_year: Answer | None = None

    @property
    def value(self) -> float | None:
        return self.figure.value if self.figure else None

    @property
    def attainment(self) -> float | None:
        return attainment(self.indicator, self.value, self.target.value if self.target else None)

    def as_dict(self) -> dict[str, Any]:
        f = self.figure
        d: dict[str, Any] = {
            "code": self.indicator.code,
            "unit": self.unit.code,
            "unit_name": self.unit.short,
            "period": str(self.period),
            "value": f.value if f else None,
            "target": self.target.value if self.target else None,
            "attainment": self.attainment,
            "source": f.source if f else None,
        }
        if f is not None:
            d["numerator"] = f.numerator
            d["denominator"] = f.denominator
            d["approximate"] = f.approximate
            d["provenance"] = {k: v for k, v in f.as_dict().items() if k not in ("value", "source")}
        if self.target is not None:
            d["target_source"] = {
                "period": self.target.period,
                "unit": self.target.unit,
                "document": self.target.source,
                "paragraph": self.target.paragraph,
            }
        d["alternatives"] = [a.as_dict() for a in self.alternatives]
        comps: dict[str, Any] = {}
        for name, other in (("previous_period", self.previous), ("same_period_last_year", self.last_year)):
            if other is not None:
                comps[name] = {
                    "period": str(other.period),
                    "value": other.value,
                    "change": change(self.value, other.value),
                    "change_pct": change_pct(self.value, other.value, self.indicator),
                }
        if comps:
            d["comparisons"] = comps
        return d


@dataclass(frozen=True)
class RankRow:
    unit: Unit
    value: float | None
    rank: int | None
    figure: Figure | None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "rank": self.rank,
            "unit": self.unit.code,
            "unit_name": self.unit.short,
            "value": self.value,
            "source": self.figure.source if self.figure else None,
            "approximate": self.figure.approximate if self.figure else None,
        }
        rb = self.figure.rebase if self.figure else None
        if rb is not None and self.figure is not None:
            d["rebased_from"] = list(rb.rebased_from)
            if rb.estimate is not None:
                d["estimated"] = True
            if rb.refused:
                d["missing"] = list(self.figure.missing)
                d["message"] = self.figure.note
        return d


def attainment(ind: Indicator, value: float | None, target: float | None) -> float | None:
    if value is None or target is None or value == 0 or target == 0:
        return None
    ratio = value / target if ind.direction is not Direction.LOWER else target / value
    return float(round_half_up(ratio, 4))


def change(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else float(round_half_up(a - b, 6))


def change_pct(a: float | None, b: float | None, ind: Indicator) -> float | None:
    """Relative change in percent; for rates this is not the change in points (that is ``change``)."""
    if a is None or b is None or b == 0:
        return None
    return float(round_half_up(100 * (a - b) / b, 2))


def ratio(num: float, den: float, ind: Indicator) -> float | None:
    """A rate (or per-day average) from its parts, in the indicator's scale and decimals."""
    if den == 0:
        return None
    return float(round_half_up(ind.scale * num / den, ind.decimals))


__all__ = ["Answer", "Figure", "Lack", "RankRow", "Rebase", "Source", "Want", "attainment", "change",
           "change_pct", "ratio"]
