"""Typed models of the catalogue: units, indicators (one model per kind), source documents, targets.

Definitions are data (YAML under ``catalogue/data``); these models are their schema.
"""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A label in Vietnamese (first) and English."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


# --- organisation units ------------------------------------------------------------------------


class UnitType(StrEnum):
    NATION = "nation"
    GROUP = "group"
    MINISTRY = "ministry"  # bộ
    AGENCY = "agency"  # cơ quan ngang bộ / cơ quan thuộc Chính phủ
    PROVINCE = "province"  # tỉnh
    CITY = "city"  # thành phố trực thuộc trung ương
    DISTRICT = "district"  # cấp huyện (2024: quận, huyện, thị xã, thành phố thuộc tỉnh); abolished 1 July 2025
    COMMUNE = "commune"  # cấp xã (xã, phường, thị trấn; from 2025 also đặc khu)


LOCAL_TYPES = (UnitType.DISTRICT, UnitType.COMMUNE)  # below the province (issue 13)


class Successor(Strict):
    """Where a unit went when it ended: whole, or a part (a function moved, a share)."""

    unit: str
    kind: Literal["whole", "part"] = "whole"
    share: float | None = Field(default=None, gt=0, le=1)
    note: str | None = None


class Unit(Strict):
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    type: UnitType
    name: str  # full Vietnamese name, e.g. "Thành phố Đà Nẵng"
    short: str  # e.g. "Đà Nẵng"
    name_en: str | None = None
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # membership of group units, e.g. ("provinces",)
    parent: str | None = "VN"
    region: str | None = None
    gso_code: str | None = None  # official administrative code (provinces)
    grid: tuple[int, int] | None = None  # (row, col) on a tile-grid map
    valid_from: date | None = None
    valid_to: date | None = None  # inclusive; None: still valid
    successors: tuple[Successor, ...] = ()
    structure: str | None = None  # the structure it belongs to, e.g. "2024"
    local_type: str | None = None  # below the province, the official type: Phường, Xã, Thị trấn, Đặc khu, Quận, Huyện…
    province: str | None = None  # below the province: the province it lies in (its parent may be a district)
    lat: float | None = None  # below the province: the package's centre point, for a grid map drawn offline
    lon: float | None = None

    @model_validator(mode="after")
    def _dates(self) -> Unit:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    def valid_on(self, d: date) -> bool:
        return (self.valid_from is None or self.valid_from <= d) and (self.valid_to is None or d <= self.valid_to)

    def overlaps(self, start: date, end: date) -> bool:
        return (self.valid_from is None or self.valid_from <= end) and (self.valid_to is None or start <= self.valid_to)

    @property
    def is_group(self) -> bool:
        """A bloc or the nation: its figures are made of its members' (never reported for one body)."""
        return self.type in (UnitType.GROUP, UnitType.NATION)

    @property
    def is_local(self) -> bool:
        """A district or commune: below the province (its events are kept per commune, issue 13)."""
        return self.type in LOCAL_TYPES

    @property
    def is_ministry(self) -> bool:
        """A ministry or a ministry-level agency (named in full: "Bộ Tư pháp")."""
        return self.type in (UnitType.MINISTRY, UnitType.AGENCY)


# --- indicators ----------------------------------------------------------------------------------


class Pillar(StrEnum):
    INSTITUTIONS = "institutions"  # thể chế
    INFRASTRUCTURE = "infrastructure"  # hạ tầng số
    DATA = "data"  # dữ liệu số
    DIGITAL_GOVERNMENT = "digital_government"  # Chính phủ số
    DIGITAL_ECONOMY = "digital_economy"  # kinh tế số
    DIGITAL_SOCIETY = "digital_society"  # xã hội số
    SECURITY = "security"  # an toàn thông tin
    RANKINGS = "rankings"  # xếp hạng quốc tế


PILLAR_NAMES: dict[Pillar, Text] = {
    Pillar.INSTITUTIONS: Text(vi="Thể chế", en="Institutions"),
    Pillar.INFRASTRUCTURE: Text(vi="Hạ tầng số", en="Digital infrastructure"),
    Pillar.DATA: Text(vi="Dữ liệu số", en="Digital data"),
    Pillar.DIGITAL_GOVERNMENT: Text(vi="Chính phủ số", en="Digital government"),
    Pillar.DIGITAL_ECONOMY: Text(vi="Kinh tế số", en="Digital economy"),
    Pillar.DIGITAL_SOCIETY: Text(vi="Xã hội số", en="Digital society"),
    Pillar.SECURITY: Text(vi="An toàn thông tin", en="Information security"),
    Pillar.RANKINGS: Text(vi="Xếp hạng quốc tế", en="International rankings"),
}


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"  # lower is better
    NEUTRAL = "neutral"


class UnitsRule(StrEnum):
    """How values of member units combine into a group's value."""

    RATIO = "ratio"  # sum of numerators / sum of denominators
    SUM = "sum"
    NONE = "none"  # never combined (ranks, scores, non-additive stocks)


class PeriodsRule(StrEnum):
    """How values of sub-periods combine into a longer period's value."""

    RATIO = "ratio"
    SUM = "sum"
    LATEST = "latest"  # stocks: the latest value in the period
    NONE = "none"


# The largest magnitude any number of a figure may have (a value, a target, a numerator, a denominator), whatever
# its indicator: a billion billion. Nothing a nation counts comes near it, and every number up to it formats.
MAX_MAGNITUDE = 1e18


def plausible_number(x: float, bound: float = MAX_MAGNITUDE) -> bool:
    """Whether ``x`` is a number a figure may hold: finite, and at most ``bound`` either side of 0. A number
    read from outside (an event's field, a form) that fails this is refused, never stored."""
    return math.isfinite(x) and abs(x) <= bound


class _IndicatorBase(Strict):
    """What every kind of indicator has; each kind says how it combines, as class constants (data about the
    kind, not about one indicator): over units (``UNITS_RULE``), over periods (``PERIODS_RULE``), whether
    it has a numerator and denominator, whether it is a percentage (changes in points) or a rank (1 is best,
    drawn upside down, changes in places), and its ``scale`` from numerator/denominator to value.

    Two bounds hold a value (and a target): ``range``, what the definition allows (a rate's 0–100, a count's
    0 and up), and ``plausible``, what a real figure of it can be, so that a slip of the keyboard (1e26 hồ sơ)
    is refused rather than published. ``plausible`` defaults to the kind's ``PLAUSIBLE`` (a count, a stock, a
    per-day average: at most 10¹⁵; a rate: ±10⁶ %, which a growth rate without an upper range needs; a score:
    ±10⁶; a rank: 1 to its ``of_total``, or to 1000), and an indicator whose real figures go beyond it says so
    in its YAML: ``plausible: [0, 1.0e18]`` (sums of money in đồng). Either end may be null (the kind's
    default end); neither may go beyond ``MAX_MAGNITUDE``. ``bounds`` is the two combined."""

    PLAUSIBLE: ClassVar[tuple[float, float]] = (-1e15, 1e15)

    UNITS_RULE: ClassVar[UnitsRule] = UnitsRule.NONE
    PERIODS_RULE: ClassVar[PeriodsRule] = PeriodsRule.NONE
    has_parts: ClassVar[bool] = False
    is_rate: ClassVar[bool] = False
    is_rank: ClassVar[bool] = False
    scale: ClassVar[float] = 1.0

    # dotted: the published value of an index node (dti_province.awareness)
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
    pillar: Pillar
    name: Text
    description: Text | None = None
    unit: str = ""  # display unit: "%", "hồ sơ", "đồng", "giao dịch", "bậc", "điểm"
    direction: Direction = Direction.HIGHER
    range: tuple[float | None, float | None] = (None, None)
    decimals: int = Field(default=2, ge=0, le=6)
    aliases: tuple[str, ...] = ()  # Vietnamese phrasings, for matching names in text
    key: bool = False  # a headline indicator of its pillar
    contract: bool = False  # part of framework.md (must not be renamed)
    prefer: Literal["reported", "computed"] | None = None  # None: computed first when event-derived
    plausible: tuple[float | None, float | None] = (None, None)  # None: the kind's PLAUSIBLE end
    # the levels a figure of it exists at by definition: ("nation",) for a national system or economy (e-Cabinet,
    # the NDXP, a UN index), whose figure with no unit named the extractor gives to the nation; ("ministry",) or
    # ("province",) for an index of one level (the DTI cấp bộ, cấp tỉnh), read only for units of that level
    levels: tuple[Literal["nation", "ministry", "province"], ...] = ("nation", "ministry", "province")

    @model_validator(mode="after")
    def _levels(self) -> _IndicatorBase:
        if not self.levels or len(set(self.levels)) != len(self.levels):
            raise ValueError(f"levels {list(self.levels)} must name each level once, at least one")
        return self

    @model_validator(mode="after")
    def _range(self) -> _IndicatorBase:
        for name in ("range", "plausible"):
            lo, hi = getattr(self, name)
            for end in (lo, hi):
                if end is not None and not plausible_number(end):
                    raise ValueError(f"{name} bound {end} is not a finite number within ±{MAX_MAGNITUDE:g}")
            if lo is not None and hi is not None and hi < lo:
                raise ValueError(f"{name} upper bound {hi} is below lower bound {lo}")
        lo, hi = self.plausible_range
        if hi < lo:
            raise ValueError(f"plausible upper bound {hi} is below lower bound {lo}")
        lo, hi = self.bounds
        if hi < lo:
            raise ValueError(f"range {self.range} lies outside the plausible range {self.plausible_range}")
        return self

    @property
    def plausible_range(self) -> tuple[float, float]:
        """The values a real figure of this indicator can take: ``plausible``, its null ends the kind's."""
        lo, hi = self.plausible
        default_lo, default_hi = self._plausible_default()
        return (default_lo if lo is None else lo, default_hi if hi is None else hi)

    def _plausible_default(self) -> tuple[float, float]:
        return self.PLAUSIBLE

    @property
    def bounds(self) -> tuple[float, float]:
        """Where a value or a target must lie: ``range`` within ``plausible_range``."""
        lo, hi = self.range
        plo, phi = self.plausible_range
        return (plo if lo is None else max(lo, plo), phi if hi is None else min(hi, phi))

    @property
    def units_rule(self) -> UnitsRule:
        return self.UNITS_RULE

    @property
    def periods_rule(self) -> PeriodsRule:
        return self.PERIODS_RULE


class RateIndicator(_IndicatorBase):
    """A percentage 100·numerator/denominator; groups and periods re-computed from summed parts."""

    UNITS_RULE = UnitsRule.RATIO
    PERIODS_RULE = PeriodsRule.RATIO
    has_parts = True
    is_rate = True
    scale = 100.0

    PLAUSIBLE = (-1e6, 1e6)

    kind: Literal["rate"]
    numerator: Text
    denominator: Text
    unit: str = "%"
    range: tuple[float | None, float | None] = (0.0, 100.0)


class CountIndicator(_IndicatorBase):
    """A flow in the period: sums over units and over periods."""

    UNITS_RULE = UnitsRule.SUM
    PERIODS_RULE = PeriodsRule.SUM

    kind: Literal["count"]
    range: tuple[float | None, float | None] = (0.0, None)


class StockIndicator(_IndicatorBase):
    """A cumulative level: the latest value in the period; sums over units only when additive."""

    PERIODS_RULE = PeriodsRule.LATEST

    kind: Literal["stock"]
    additive: bool = True  # members are disjoint, so a group's stock is their sum
    range: tuple[float | None, float | None] = (0.0, None)

    @property
    def units_rule(self) -> UnitsRule:
        return UnitsRule.SUM if self.additive else UnitsRule.NONE


class AveragePerDayIndicator(_IndicatorBase):
    """count / days with data; numerator is the count, denominator the days."""

    UNITS_RULE = UnitsRule.SUM  # per-day averages over the same days add up
    PERIODS_RULE = PeriodsRule.RATIO
    has_parts = True

    kind: Literal["average_per_day"]
    count_of: str | None = None  # the count indicator it averages, if any
    range: tuple[float | None, float | None] = (0.0, None)


class RankIndicator(_IndicatorBase):
    """A position in a ranking (1 is best); never summed or averaged."""

    PERIODS_RULE = PeriodsRule.LATEST
    is_rank = True

    PLAUSIBLE = (1.0, 1000.0)

    kind: Literal["rank"]
    direction: Direction = Direction.LOWER
    of_total: int | None = Field(default=None, ge=1)  # e.g. 193 countries
    decimals: int = 0
    range: tuple[float | None, float | None] = (1.0, None)

    def _plausible_default(self) -> tuple[float, float]:
        return (1.0, float(self.of_total)) if self.of_total else self.PLAUSIBLE


class ScoreIndicator(_IndicatorBase):
    """A score on a scale; never summed or averaged."""

    PERIODS_RULE = PeriodsRule.LATEST
    PLAUSIBLE = (-1e6, 1e6)

    kind: Literal["score"]


Indicator = Annotated[
    RateIndicator | CountIndicator | StockIndicator | AveragePerDayIndicator | RankIndicator | ScoreIndicator,
    Field(discriminator="kind"),
]
KINDS = ("rate", "count", "stock", "average_per_day", "rank", "score")


# --- sources and targets -------------------------------------------------------------------------


class SourceDocument(Strict):
    """A document figures come from; ``authority`` orders competing figures (1 is most authoritative)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]+$")
    title: str
    publisher: str | None = None
    published: date | None = None
    file: str | None = None  # e.g. the seed file name
    authority: int = Field(default=5, ge=1, le=9)
    note: str | None = None


class Target(Strict):
    indicator: str
    unit: str  # a unit or group code
    period: str  # a year, or a quarter
    value: float
    source: str | None = None  # a SourceDocument id
    paragraph: int | None = None
    note: str | None = None
