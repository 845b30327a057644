"""Turn raw rows (text fields) into validated values and targets, collecting every problem.

Numbers are read in machine form (``63.47``) or Vietnamese form (``63,47``, ``1.267.427``): when both
separators appear the last one is the decimal mark; a lone comma is a decimal comma; several dots
(or several commas) are thousands separators.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chiso.catalogue import Catalogue
from chiso.catalogue.models import Indicator, Target, Unit
from chiso.catalogue.periods import Period, PeriodKind
from chiso.catalogue.records import Origin, ValueInput
from chiso.errors import Problem, UnknownNameError

_NUM = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")
TRUE = {"1", "true", "yes", "y", "x", "có", "co", "đúng", "dung"}
FALSE = {"0", "false", "no", "n", "không", "khong", "sai", ""}


# Thousands groups count only when unambiguous: two groups or more, or one group and the other decimal mark
# ("1.267" alone is the machine decimal 1.267; "1.267.427" and "1.267,5" are Vietnamese).
_GROUPED = {
    ".": re.compile(r"^[+-]?\d{1,3}((\.\d{3}){2,}(,\d+)?|\.\d{3},\d+)$"),
    ",": re.compile(r"^[+-]?\d{1,3}((,\d{3}){2,}(\.\d+)?|,\d{3}\.\d+)$"),
}


def parse_number(text: str) -> float:
    """'63.47', '63,47', '1.267.427', '1,267,427.5', '45,8%' → float; ValueError otherwise."""
    s = text.strip().replace("\u00a0", "").replace(" ", "").removesuffix("%")
    for thousands, pattern in _GROUPED.items():
        if pattern.match(s):  # grouped thousands, with the other mark as the decimal one
            decimal = "," if thousands == "." else "."
            return float(s.replace(thousands, "").replace(decimal, "."))
    if s.count(",") == 1 and "." not in s:  # a lone decimal comma
        s = s.replace(",", ".")
    if not _NUM.match(s):
        raise ValueError(text)
    return float(s)


@dataclass
class RowOutcome:
    number: int
    fields: Mapping[str, str | None]
    value: ValueInput | None = None
    target: Target | None = None
    problems: list[Problem] = field(default_factory=list)


def _num(row: int, fields: Mapping[str, str | None], name: str, problems: list[Problem]) -> float | None:
    text = fields.get(name)
    if text is None or str(text).strip() == "":
        return None
    try:
        return parse_number(str(text))
    except ValueError:
        problems.append(Problem(row, name, "not_a_number", {}, str(text)))
        return None


def _fmt(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() else repr(x)


def check_numbers(
    ind: Indicator, value: float | None, num: float | None, den: float | None, row: int | None, problems: list[Problem]
) -> float | None:
    """Range and parts rules; returns the value (computed from the parts when only they are given)."""
    if (num is None) != (den is None):
        problems.append(Problem(row, "numerator" if num is None else "denominator", "parts_need_both"))
        return value
    if num is not None and den is not None:
        if not ind.has_parts:
            problems.append(Problem(row, "numerator", "parts_not_for_kind", {"kind": ind.kind}))
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
        computed = (100.0 if ind.is_rate else 1.0) * num / den
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
    lo, hi = ind.range
    if lo is not None and value < lo:
        problems.append(Problem(row, "value", "below_range", {"lo": _fmt(lo)}, _fmt(value)))
    if hi is not None and value > hi:
        problems.append(Problem(row, "value", "above_range", {"hi": _fmt(hi)}, _fmt(value)))
    return value


def validate_row(
    catalogue: Catalogue,
    number: int,
    fields: Mapping[str, str | None],
    *,
    default_source: str,
    origin: Origin = Origin.REPORTED,
) -> RowOutcome:
    out = RowOutcome(number, fields)
    pr = out.problems
    ind: Indicator | None = None
    unit: Unit | None = None
    period: Period | None = None
    for name in ("code", "unit", "period"):
        if not (fields.get(name) or "").strip():
            pr.append(Problem(number, name, "required"))
    try:
        if (fields.get("period") or "").strip():
            period = Period.parse(str(fields["period"]))
    except UnknownNameError as exc:
        pr.append(exc.problem(number, "period"))
    try:
        if (fields.get("code") or "").strip():
            ind = catalogue.indicator(str(fields["code"]).strip())
    except UnknownNameError as exc:
        pr.append(exc.problem(number, "code"))
    try:
        if (fields.get("unit") or "").strip():
            unit = catalogue.unit(str(fields["unit"]).strip(), on=period.end if period else None)
    except UnknownNameError as exc:
        pr.append(exc.problem(number, "unit"))
    if unit is not None and period is not None and not unit.overlaps(period.start, period.end):
        valid = f"{unit.valid_from or '…'} – {unit.valid_to or '…'}"
        pr.append(Problem(number, "unit", "unit_not_valid", {"unit": unit.code, "period": str(period), "valid": valid}))
    value = _num(number, fields, "value", pr)
    num = _num(number, fields, "numerator", pr)
    den = _num(number, fields, "denominator", pr)
    target = _num(number, fields, "target", pr)
    approx_text = (fields.get("approximate") or "").strip().lower()
    if approx_text not in TRUE | FALSE:
        pr.append(Problem(number, "approximate", "not_a_bool", {}, approx_text))
    if ind is not None and not any(p.field in ("value", "numerator", "denominator") for p in pr):
        value = check_numbers(ind, value, num, den, number, pr)
    if target is not None and period is not None and period.kind not in (PeriodKind.YEAR, PeriodKind.QUARTER):
        pr.append(Problem(number, "target", "target_period", {"period": str(period)}))
    if pr or ind is None or unit is None or period is None:
        return out
    source = (fields.get("source") or "").strip() or default_source
    out.value = ValueInput(
        indicator=ind.code,
        unit=unit.code,
        period=str(period),
        value=value,
        numerator=num,
        denominator=den,
        approximate=approx_text in TRUE - {""},
        source=source,
        comment=(fields.get("comment") or None),
        origin=origin,
    )
    if target is not None:
        out.target = Target(indicator=ind.code, unit=unit.code, period=str(period), value=target, source=source)
    return out


def validate_rows(
    catalogue: Catalogue, rows: Sequence[tuple[int, Mapping[str, str | None]]], *, default_source: str
) -> list[RowOutcome]:
    """Validate every row; a row repeating an earlier row's key is a problem of its own."""
    outcomes = [validate_row(catalogue, n, f, default_source=default_source) for n, f in rows]
    seen: dict[tuple[str, ...], int] = {}
    for o in outcomes:
        if o.value is None:
            continue
        k = o.value.key
        if k in seen:
            o.problems.append(Problem(o.number, None, "duplicate_row", {"other": seen[k]}))
            o.value = None
            o.target = None
        else:
            seen[k] = o.number
    return outcomes
