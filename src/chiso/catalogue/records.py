"""Data values as they travel: validated input, and stored values with provenance."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Origin(StrEnum):
    REPORTED = "reported"  # typed, imported or published by a unit or a document
    COMPUTED = "computed"  # computed from operational events
    AGGREGATED = "aggregated"  # derived by the engine from members or sub-periods (never stored)


class ValueInput(BaseModel):
    """One validated value ready for the store (codes resolved, period canonical)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicator: str
    unit: str
    period: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    approximate: bool = False
    qualifier: str | None = None  # the word that made it approximate: "hơn", "gần", "khoảng", "trên"
    source: str = "import"  # a SourceDocument id, or a free label such as a file name
    paragraph: int | None = None
    comment: str | None = None
    origin: Origin = Origin.REPORTED

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.indicator, self.unit, self.period, self.origin.value, self.source)


class StoredValue(BaseModel):
    """A value as the store holds it."""

    model_config = ConfigDict(frozen=True)

    id: int
    indicator: str
    unit: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    approximate: bool
    qualifier: str | None
    source: str
    paragraph: int | None
    comment: str | None
    origin: Origin
    status: str  # draft | submitted | approved | returned
    version: int
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    def as_input(self) -> ValueInput:
        """The same value as input to the write path (to re-write it, e.g. with another status)."""
        return ValueInput(**self.model_dump(include=set(ValueInput.model_fields)))
