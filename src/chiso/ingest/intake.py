"""One intake path for a figure: its fields in, a checked ``ValueInput`` and ``Target`` (or the problems) out.

Every way a value comes in goes through here: import files (CSV, XLSX, dataValueSets: ``check_rows``),
the shipped datasets (``chiso.ingest.dataset``), figures read back from a report (``check_proposals``)
and data-entry forms (``chiso.workflow``). A figure (``Figure``) holds the fields of the column contract
(``chiso.catalogue.columns``), as text or as numbers; its problems name those fields.

The rules, in the order they are checked:

1. ``code``, ``unit`` and ``period`` are given; the period parses and lies within the framework's years
   (``chiso.catalogue.periods.YEARS``), the code names an indicator, the unit names a unit (on the period's
   end) that exists during the period.
2. A group (a bloc, the nation) takes a value only as published, never typed into a form nor computed
   (``group_value_kind``).
3. Numbers typed as text are read with the indicator known (``chiso.ingest.vnnumbers.read_number``; a part
   is read as a plain quantity); an infinity, a NaN or a number too large for a float ("1e400") is refused
   by a message of its own (``not_finite``); ``approximate`` is yes/no, ``paragraph`` a whole number, ``source`` and
   ``qualifier`` fit their columns.
4. The value rules (``check_numbers``): both parts or neither, and only for a kind with parts; a part is
   not negative, a denominator is above 0, a rate's numerator is at most its denominator; a value given
   with its parts agrees with them (else it is computed from them); a count, stock or rank is a whole
   number; the value lies in the indicator's range, then in its plausible range
   (``Indicator.plausible_range``: the kind's default or the definition's ``plausible``); a part is at most
   ``chiso.catalogue.models.MAX_MAGNITUDE``.
5. A figure has a value (or its parts), or a target, or both. A target is set for a year or a quarter
   only, and obeys the value's ranges and wholeness.
6. Within one batch, one value per key (indicator, unit, period, origin, source) and one target per
   (indicator, unit, period): a repeat is a problem of its own, naming the row it repeats.

A figure with any problem yields neither its value nor its target.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chiso.catalogue import Catalogue
from chiso.catalogue.columns import FIELDS
from chiso.catalogue.models import MAX_MAGNITUDE, Indicator, SourceDocument, Target, Unit
from chiso.catalogue.periods import YEARS, Period, PeriodKind, within_years
from chiso.catalogue.records import Origin, ValueInput
from chiso.errors import Problem, UnknownNameError
from chiso.ingest.vnnumbers import MACHINE, NumberError, Reading, read_number

if TYPE_CHECKING:
    from chiso.ingest.extract import Proposal
    from chiso.ingest.files import RawRow

__all__ = [
    "FALSE",
    "TRUE",
    "WHOLE_KINDS",
    "Batch",
    "Figure",
    "Outcome",
    "check_figure",
    "check_figures",
    "check_numbers",
    "check_plausible",
    "check_proposals",
    "check_rows",
    "reading_for",
]

TRUE = {"1", "true", "yes", "y", "x", "có", "co", "đúng", "dung"}
FALSE = {"0", "false", "no", "n", "không", "khong", "sai", ""}
# Kinds whose values are whole numbers: a count, a stock, a place in a ranking.
WHOLE_KINDS = ("count", "stock", "rank")
_NUMBERS = ("value", "numerator", "denominator", "target")
_MAX_LENGTH = {"source": 200, "qualifier": 40}  # the store's columns

Number = float | int | str | None


# A row's fields as a figure takes them: origin and status are the store's to set (an import is reported,
# and a value is approved only by the workflow), whatever a file says.
ROW_FIELDS = tuple(key for key in FIELDS if key not in ("origin", "status"))


@dataclass(frozen=True)
class Figure:
    """One figure as it comes in: the fields of the column contract, as text or as numbers.

    ``machine`` names the text fields a program wrote from a number (an Excel number cell, a DHIS2
    value): their lone dot is the decimal point.
    """

    code: str | None
    unit: str | None
    period: str | None
    value: Number = None
    numerator: Number = None
    denominator: Number = None
    target: Number = None
    approximate: bool | str | None = None
    qualifier: str | None = None
    source: str | None = None
    paragraph: int | str | None = None
    comment: str | None = None  # the value's comment; a target's note when the figure has no value
    origin: Origin = Origin.REPORTED
    machine: frozenset[str] = frozenset()

    @classmethod
    def of_fields(cls, fields: Mapping[str, str | None], *, machine: frozenset[str] = frozenset()) -> Figure:
        """A figure from a row's fields (keys of the column contract; others are ignored)."""
        return cls(**{key: fields.get(key) for key in ROW_FIELDS}, machine=machine)  # type: ignore[arg-type]


@dataclass
class Outcome:
    """What one figure gave: its value and target when it has no problem. ``number`` is the row the user
    sees (a file's line, a proposal's number, a form's field); ``fields`` the row as written, if any."""

    number: int | None
    fields: Mapping[str, str | None] = field(default_factory=dict)
    value: ValueInput | None = None
    target: Target | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Batch:
    """The outcomes of figures checked together (so that a repeated key is seen)."""

    outcomes: list[Outcome]

    @property
    def values(self) -> list[ValueInput]:
        return [o.value for o in self.outcomes if o.value is not None]

    @property
    def targets(self) -> list[Target]:
        return [o.target for o in self.outcomes if o.target is not None]

    @property
    def bad(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problems]

    @property
    def problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]


# --- numbers -----------------------------------------------------------------------------------------


def reading_for(ind: Indicator, part: str) -> Reading:
    """How a number typed for ``part`` of ``ind`` is read: a value or target by the indicator's kind and
    range, a numerator or denominator as a plain quantity (it may be a sum of money, so not whole)."""
    if part in ("numerator", "denominator"):
        return Reading(lo=0.0)
    lo, hi = ind.range
    return Reading(whole=ind.kind in WHOLE_KINDS, lo=lo, hi=hi)


def _fmt(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() and abs(x) < 1e18 else repr(x)


def _not_finite(text: str) -> bool:
    """Whether refused text is a number a float cannot hold ("1e400", "inf", "NaN", 400 digits)."""
    try:
        return not math.isfinite(float(text.strip().replace(" ", "")))
    except ValueError:
        return False


def _number(fig: Figure, name: str, ind: Indicator | None, row: int | None, problems: list[Problem]) -> float | None:
    raw = getattr(fig, name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        problems.append(Problem(row, name, "not_a_number", {}, str(raw)))
        return None
    if isinstance(raw, int | float):
        try:
            x = float(raw)
        except OverflowError:  # an int beyond any float
            x = math.inf
        if not math.isfinite(x):
            problems.append(Problem(row, name, "not_finite", {}, str(raw)[:40]))
            return None
        return x
    # with the indicator unknown (already a problem) the text is only checked to be a number
    reading = MACHINE if name in fig.machine or ind is None else reading_for(ind, name)
    try:
        return read_number(raw, reading)
    except NumberError as exc:
        if exc.reason == "not_a_number" and _not_finite(raw):
            problems.append(Problem(row, name, "not_finite", {}, raw.strip()[:40]))
        else:
            problems.append(Problem(row, name, exc.reason, exc.params, raw if exc.reason == "not_a_number" else None))
        return None


def _whole_and_range(ind: Indicator, x: float, name: str, row: int | None, problems: list[Problem]) -> None:
    if ind.kind in WHOLE_KINDS and not float(x).is_integer():
        problems.append(Problem(row, name, "not_whole", {"kind": ind.kind}, _fmt(x)))
    lo, hi = ind.range
    if lo is not None and x < lo:
        problems.append(Problem(row, name, "below_range", {"lo": _fmt(lo)}, _fmt(x)))
    elif hi is not None and x > hi:
        problems.append(Problem(row, name, "above_range", {"hi": _fmt(hi)}, _fmt(x)))
    else:
        check_plausible(ind, x, name, row, problems)


def check_plausible(ind: Indicator, x: float, name: str, row: int | None, problems: list[Problem]) -> None:
    """A value or target of ``ind`` within its plausible range (``Indicator.plausible_range``), else a
    problem naming the field and the bound."""
    lo, hi = ind.plausible_range
    if not math.isfinite(x):
        problems.append(Problem(row, name, "not_finite", {}, repr(x)))
    elif x < lo:
        problems.append(Problem(row, name, "below_plausible", {"lo": _fmt(lo), "code": ind.code}, _fmt(x)))
    elif x > hi:
        problems.append(Problem(row, name, "above_plausible", {"hi": _fmt(hi), "code": ind.code}, _fmt(x)))


def _part_bounded(x: float, name: str, row: int | None, problems: list[Problem]) -> bool:
    if abs(x) <= MAX_MAGNITUDE:
        return True
    problems.append(Problem(row, name, "part_implausible", {"max": _fmt(MAX_MAGNITUDE)}, _fmt(x)))
    return False


def check_numbers(
    ind: Indicator, value: float | None, num: float | None, den: float | None, row: int | None, problems: list[Problem]
) -> float | None:
    """The value rules (rule 4); returns the value, computed from the parts when only they are given.

    ``chiso/web/static/forms.js`` (``check``) repeats these rules, in this order.
    """
    if (num is None) != (den is None):
        problems.append(Problem(row, "numerator" if num is None else "denominator", "parts_need_both"))
        return value
    if num is not None and den is not None:
        if not ind.has_parts:
            problems.append(Problem(row, "numerator", "parts_not_for_kind", {"kind": ind.kind}))
            return value
        if not (_part_bounded(num, "numerator", row, problems) & _part_bounded(den, "denominator", row, problems)):
            return value
        if num < 0:
            problems.append(Problem(row, "numerator", "negative", {}, _fmt(num)))
        if den <= 0:
            problems.append(Problem(row, "denominator", "denominator_not_positive", {}, _fmt(den)))
            return value
        if ind.is_rate and num > den:
            problems.append(
                Problem(
                    row, "numerator", "numerator_above_denominator", {"numerator": _fmt(num), "denominator": _fmt(den)}
                )
            )
            return value
        computed = ind.scale * num / den
        if value is None:
            value = round(computed, max(ind.decimals, 4))
        elif abs(value - computed) > max(0.5 * 10**-ind.decimals, 1e-9 * abs(computed)) + 1e-9:
            problems.append(
                Problem(
                    row,
                    "value",
                    "value_disagrees_with_parts",
                    {"value": _fmt(value), "computed": round(computed, ind.decimals + 2)},
                )
            )
    if value is None:
        problems.append(Problem(row, "value", "value_or_parts"))
        return None
    _whole_and_range(ind, value, "value", row, problems)
    return value


# --- one figure --------------------------------------------------------------------------------------


def _text(x: object) -> str:
    return "" if x is None else str(x).strip()


def _flag(fig: Figure, row: int | None, problems: list[Problem]) -> bool:
    if isinstance(fig.approximate, bool):
        return fig.approximate
    text = _text(fig.approximate).lower()
    if text not in TRUE | FALSE:
        problems.append(Problem(row, "approximate", "not_a_bool", {}, text))
    return text in TRUE - {""}


def _paragraph(fig: Figure, row: int | None, problems: list[Problem]) -> int | None:
    raw = fig.paragraph
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    text = _text(raw)
    if text.isascii() and text.isdigit():
        return int(text)
    if text:
        problems.append(Problem(row, "paragraph", "not_a_paragraph", {}, text))
    return None


def _place(
    catalogue: Catalogue, fig: Figure, row: int | None, problems: list[Problem]
) -> tuple[Indicator | None, Unit | None, Period | None]:
    """Rule 1: the indicator, the unit and the period, each resolved or a problem."""
    ind: Indicator | None = None
    unit: Unit | None = None
    period: Period | None = None
    for name in ("code", "unit", "period"):
        if not _text(getattr(fig, name)):
            problems.append(Problem(row, name, "required"))
    try:
        if _text(fig.period):
            period = Period.parse(_text(fig.period))
    except UnknownNameError as exc:
        problems.append(exc.problem(row, "period"))
    if period is not None and not within_years(period):
        params = {"period": str(period), "lo": YEARS[0], "hi": YEARS[1]}
        problems.append(Problem(row, "period", "period_out_of_years", params))
    try:
        if _text(fig.code):
            ind = catalogue.indicator(_text(fig.code))
    except UnknownNameError as exc:
        problems.append(exc.problem(row, "code"))
    try:
        if _text(fig.unit):
            unit = catalogue.unit(_text(fig.unit), on=period.end if period else None)
    except UnknownNameError as exc:
        problems.append(exc.problem(row, "unit"))
    if unit is not None and period is not None and not unit.overlaps(period.start, period.end):
        valid = f"{unit.valid_from or '…'} – {unit.valid_to or '…'}"
        problems.append(
            Problem(row, "unit", "unit_not_valid", {"unit": unit.code, "period": str(period), "valid": valid})
        )
    return ind, unit, period


def check_figure(
    catalogue: Catalogue,
    fig: Figure,
    *,
    row: int | None = None,
    default_source: str = "",
    group_values: bool = True,
    fields: Mapping[str, str | None] | None = None,
) -> Outcome:
    """Rules 1–5 for one figure. ``group_values``: whether this path may bring a group's value (a
    published document or a file may; a data-entry form may not). ``fields``: the row as written, kept in
    the outcome (an import's rejects file repeats it)."""
    out = Outcome(row, fields or {})
    pr = out.problems
    ind, unit, period = _place(catalogue, fig, row, pr)
    has_value = any(_text(getattr(fig, n)) for n in ("value", "numerator", "denominator"))
    if unit is not None and unit.is_group and has_value and (not group_values or fig.origin is not Origin.REPORTED):
        pr.append(Problem(row, "unit", "group_value_kind", {"unit": unit.code}))
    value, num, den, target = (_number(fig, n, ind, row, pr) for n in _NUMBERS)
    approximate = _flag(fig, row, pr)
    paragraph = _paragraph(fig, row, pr)
    source = _text(fig.source) or default_source
    qualifier = _text(fig.qualifier) or None
    for name, text in (("source", source), ("qualifier", qualifier or "")):
        if len(text) > _MAX_LENGTH[name]:
            pr.append(Problem(row, name, "too_long", {"max": _MAX_LENGTH[name]}, text[:40] + "…"))
    numbers_read = not any(p.field in _NUMBERS for p in pr)
    if ind is not None and numbers_read:
        if has_value:
            value = check_numbers(ind, value, num, den, row, pr)
        elif target is None:
            pr.append(Problem(row, "value", "value_or_parts"))
        if target is not None:
            _whole_and_range(ind, target, "target", row, pr)
    if target is not None and period is not None and period.kind not in (PeriodKind.YEAR, PeriodKind.QUARTER):
        pr.append(Problem(row, "target", "target_period", {"period": str(period)}))
    if pr or ind is None or unit is None or period is None:
        return out
    comment = fig.comment or None
    if has_value:
        out.value = ValueInput(
            indicator=ind.code,
            unit=unit.code,
            period=str(period),
            value=value,
            numerator=num,
            denominator=den,
            approximate=approximate,
            qualifier=qualifier,
            source=source or "import",
            paragraph=paragraph,
            comment=comment,
            origin=fig.origin,
        )
    if target is not None:
        out.target = Target(
            indicator=ind.code,
            unit=unit.code,
            period=str(period),
            value=target,
            source=source or None,
            paragraph=paragraph,
            note=None if has_value else comment,
        )
    return out


# --- figures checked together ---------------------------------------------------------------------------


def _one_per_key(outcomes: Sequence[Outcome]) -> None:
    """Rule 6: a repeated value or target key is a problem of the later figure, which then yields nothing."""
    values: dict[tuple[str, ...], int | None] = {}
    targets: dict[tuple[str, ...], int | None] = {}
    for o in outcomes:
        if o.value is not None and o.value.key in values:
            o.problems.append(Problem(o.number, None, "duplicate_row", {"other": values[o.value.key]}))
        elif o.target is not None and (k := (o.target.indicator, o.target.unit, o.target.period)) in targets:
            o.problems.append(Problem(o.number, "target", "duplicate_row", {"other": targets[k]}))
        else:
            if o.value is not None:
                values[o.value.key] = o.number
            if o.target is not None:
                targets[(o.target.indicator, o.target.unit, o.target.period)] = o.number
            continue
        o.value = o.target = None


def check_figures(
    catalogue: Catalogue,
    figures: Iterable[tuple[int | None, Figure]],
    *,
    default_source: str = "",
    group_values: bool = True,
) -> Batch:
    """Every figure (numbered as the user sees it) through rules 1–6."""
    outcomes = [
        check_figure(catalogue, fig, row=n, default_source=default_source, group_values=group_values)
        for n, fig in figures
    ]
    _one_per_key(outcomes)
    return Batch(outcomes)


def check_rows(catalogue: Catalogue, rows: Sequence[RawRow], *, default_source: str) -> Batch:
    """The rows of an import file (``chiso.ingest.files.read_value_rows``), with what the reader saw."""
    outcomes = []
    for r in rows:
        o = check_figure(
            catalogue,
            Figure.of_fields(r.fields, machine=r.machine),
            row=r.number,
            default_source=default_source,
            fields=r.fields,
        )
        if r.problems:
            o.problems[:0] = r.problems
            o.value = o.target = None
        outcomes.append(o)
    _one_per_key(outcomes)
    return Batch(outcomes)


def check_proposals(catalogue: Catalogue, doc: SourceDocument, proposals: Sequence[Proposal]) -> Batch:
    """Figures read back from a report, citing ``doc`` and the line each stands on (row = its number)."""
    return check_figures(
        catalogue,
        (
            (
                n,
                Figure(
                    code=p.code,
                    unit=p.unit,
                    period=p.period,
                    value=p.value,
                    numerator=p.numerator,
                    denominator=p.denominator,
                    target=p.target,
                    approximate=p.approximate,
                    qualifier=p.qualifier,
                    source=doc.id,
                    paragraph=p.where.line,
                ),
            )
            for n, p in enumerate(proposals, start=1)
        ),
    )
