"""Event-derived indicators as data: measures over events, and how they make an indicator.

A *measure* counts or sums events of one kind that pass a filter, per unit and day (or, for
``first_seen``, records the first day each key was seen). An *event indicator* binds a framework
indicator to measures: ``value`` (a count, sum or distinct stock) or ``numerator`` / ``denominator``.
The engine keeps each measure's daily totals up to date as events arrive, so answering never rescans.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chiso.catalogue.events import DERIVED_COLUMNS, EVENT_KINDS

Scalar = str | int | float | bool
Op = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "present"]  # present: true = has a value (not null)
UNIT_COLUMN = {"dossier": "unit", "ndxp": "consumer_unit"}
DAYS = "days_with_data"  # built-in denominator: days in the period with events of the numerator's kind


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str
    op: Op = "eq"
    value: Scalar | list[Scalar]


class Measure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    events: Literal["dossier", "ndxp"]
    agg: Literal["count", "sum", "first_seen"]
    column: str | None = None  # what ``sum`` adds up
    keys: tuple[tuple[str, str], ...] = ()  # first_seen: (unit column, key column) pairs
    where: tuple[Condition, ...] = ()
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _where_shorthand(cls, data: object) -> object:
        """``where: {status: received, fee: {gt: 0}}`` is shorthand for a list of conditions."""
        if isinstance(data, dict) and isinstance(data.get("where"), dict):
            conds = []
            for col, v in data["where"].items():
                if isinstance(v, dict) and len(v) == 1:
                    ((op, val),) = v.items()
                    conds.append({"column": col, "op": op, "value": val})
                else:
                    conds.append({"column": col, "op": "eq", "value": v})
            data = {**data, "where": conds}
        return data

    @model_validator(mode="after")
    def _columns_exist(self) -> Measure:
        fields = set(EVENT_KINDS[self.events].model_fields) | {n for n, _ in DERIVED_COLUMNS[self.events]}
        used = [c.column for c in self.where] + ([self.column] if self.column else [])
        used += [c for pair in self.keys for c in pair]
        for col in used:
            if col not in fields:
                raise ValueError(f"{self.events} events have no column {col!r}")
        for c in self.where:
            if c.op == "present" and not isinstance(c.value, bool):
                raise ValueError(f"{c.column}: present takes true or false")
        if self.agg == "sum" and not self.column:
            raise ValueError("agg sum needs a column")
        if self.agg == "first_seen" and not self.keys:
            raise ValueError("agg first_seen needs keys: [[unit column, key column], ...]")
        return self


class EventIndicator(BaseModel):
    """How a framework indicator is computed from measures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicator: str
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    cumulative: bool = False  # a stock: everything up to the period's end, not only inside it

    @model_validator(mode="after")
    def _shape(self) -> EventIndicator:
        if (self.value is None) == (self.numerator is None):
            raise ValueError("give either value, or numerator and denominator")
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError("numerator and denominator go together")
        return self

    @property
    def measures(self) -> list[str]:
        return [m for m in (self.value, self.numerator, self.denominator) if m is not None and m != DAYS]
