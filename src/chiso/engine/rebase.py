"""Rebasing: a value asked in the unit structure of a date (docs/rules.md, "Rebasing across a change of structure").

When a unit of the asked structure did not exist as such in the asked period, its value for the period is
made from the units that became it (its *contributions*, found through the catalogue's successor links):

- counts, additive stocks and per-day averages sum; a partial successor takes its ``share`` of the value;
- rates are recomputed from the summed numerators and denominators (a share scales both);
- non-additive stocks, ranks and scores are never combined (one whole predecessor passes through).

Whatever cannot be combined (no value, a rate without its parts, a partial move without a share) is refused
by name, never guessed; an *estimate* weighted by a stated basis indicator is given only when asked for,
and says it is one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from chiso.catalogue import Catalogue
from chiso.catalogue.models import Indicator, Unit, UnitsRule, UnitType
from chiso.catalogue.periods import Period, PeriodKind
from chiso.engine.answers import Answer, Figure, Lack, RankRow, Rebase
from chiso.engine.structure import StructureError, fmt_date, in_structure
from chiso.errors import ChisoError
from chiso.i18n import current_lang, fmt_number, round_half_up, t


@dataclass(frozen=True)
class Part:
    """A unit whose value for the period goes (wholly, or by ``share``) into the asked unit."""

    unit: Unit
    share: float | None  # product of the shares along the links; None where a partial link has none
    unshared: tuple[str, str] | None = None  # the (from, to) link that lacks a share
    period: Period | None = None  # the part of the asked period the unit existed in, when not all of it


# --- the contributions ------------------------------------------------------------------------------


def contributions(cat: Catalogue, unit: Unit, p: Period, structure: date, *, as_of: bool = False) -> list[Part]:
    """The units of the period whose values make ``unit``'s value in the structure of ``structure``.

    A predecessor counts when it ended before ``structure`` (else it is a unit of that structure itself) and
    not before ``p`` began (else its data is already in its successors'). A commune's predecessors are communes:
    a district that gave it territory is skipped (its figures are its communes', counted through their links).
    Shares multiply along the links; a unit reached twice (split, then merged again) adds its shares. A unit that
    existed in part of ``p`` gives its figure for that part (flows); with ``as_of`` (stocks, ranks, scores: a level
    at the period's end) only the units that existed at the end of ``p`` count.
    """
    acc: dict[str, Part] = {}

    def add(u: Unit, share: float | None, unshared: tuple[str, str] | None) -> None:
        old = acc.get(u.code)
        if old is None:
            acc[u.code] = Part(u, share, unshared, None if as_of else clip(p, u))
        else:
            both = None if old.share is None or share is None else old.share + share
            acc[u.code] = replace(old, share=both, unshared=old.unshared or unshared)

    def walk(u: Unit, share: float | None, unshared: tuple[str, str] | None, path: frozenset[str]) -> None:
        if u.valid_on(p.end) if as_of else u.overlaps(p.start, p.end):
            add(u, share, unshared)
        for pu, link in cat.predecessors(u):
            if pu.code in path or pu.valid_to is None or pu.valid_to >= structure or pu.valid_to < p.start:
                continue
            if pu.type is UnitType.DISTRICT and u.type is UnitType.COMMUNE:
                # a district's figures are its communes' sums: they come through the communes' own links; the
                # district's link to a commune says where its territory went, not a share of its figures
                continue
            if link.kind == "whole":
                f, miss = share, unshared
            elif link.share is None or share is None:
                f, miss = None, unshared or (pu.code, u.code)
            else:
                f, miss = share * link.share, unshared
            walk(pu, f, miss, path | {pu.code})

    walk(unit, 1.0, None, frozenset({unit.code}))
    return sorted(acc.values(), key=lambda x: x.unit.code)


def clip(p: Period, u: Unit) -> Period | None:
    """The part of ``p`` in which ``u`` existed, as a period of the contract (None: all of ``p``)."""
    start = max(p.start, u.valid_from or p.start)
    end = min(p.end, u.valid_to or p.end)
    if (start, end) == (p.start, p.end) or end < start:
        return None
    for kind in (PeriodKind.HALF, PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.DAY):
        c = Period.containing(kind, start)
        if (c.start, c.end) == (start, end):
            return c
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        return Period.span(start.year, start.month, end.year, end.month)
    return None  # a change off month boundaries: the unit's own figure for the period


def is_plain(unit: Unit, parts: Sequence[Part], p: Period, structure: date) -> bool:
    """Nothing to rebase: the unit alone, wholly, all period; or a unit that had not begun, with nothing before."""
    if split_refusal(unit, p, structure):
        return False
    if not parts:
        return True
    return len(parts) == 1 and parts[0].unit.code == unit.code and parts[0].share == 1.0 and parts[0].period is None


def split_refusal(unit: Unit, p: Period, structure: date) -> tuple[Lack, ...]:
    """A unit that ended before the period's end, asked in a structure where it still existed: its successors'
    values cannot be divided back."""
    if unit.successors and unit.valid_to is not None and unit.valid_to < p.end and unit.valid_to >= structure:
        return (Lack(unit.code, "split", tuple(s.unit for s in unit.successors)),)
    return ()


# --- combining ----------------------------------------------------------------------------------------


def combine(
    ind: Indicator,
    cat: Catalogue,
    unit: Unit,
    p: Period,
    structure: date,
    parts: Sequence[Part],
    figure_of: Callable[[Part], Figure | None],
    basis: Indicator | None = None,
    basis_of: Callable[[Part], Figure | None] | None = None,
) -> Figure | None:
    """The asked unit's Figure from its contributions' figures (``figure_of``), or a refusal naming what lacks;
    None when none of them has data (no data, as for any unit)."""
    rule = ind.units_rule
    shares = tuple((x.unit.code, x.share) for x in parts)
    periods = tuple((x.unit.code, str(x.period)) for x in parts if x.period is not None)
    lacks: list[Lack] = []

    def refuse(extra: Sequence[Lack] = ()) -> Figure:
        rb = Rebase(structure, unit.code, shares, (*lacks, *extra), basis.code if basis else None, periods=periods)
        missing = tuple(dict.fromkeys(x.unit for x in rb.lacks))
        return Figure(
            None,
            source="aggregated",
            method="rebased",
            coverage=(max(0, len(parts) - len(missing)), len(parts)),
            complete=False,
            missing=missing,
            note=refusal(rb, ind, cat, p, estimate_possible=basis is None and _estimable(ind, rb)),
            rebase=rb,
        )

    split = split_refusal(unit, p, structure)
    if split or not parts:
        return refuse(split)
    figs = {x.unit.code: figure_of(x) for x in parts}
    if all(f is None or f.value is None for f in figs.values()):
        return None
    if rule is UnitsRule.NONE and not (len(parts) == 1 and parts[0].share == 1.0):
        return refuse([Lack(x.unit.code, "kind") for x in parts])
    for x in parts:
        if x.share is None and x.unshared is not None:
            lacks.append(Lack(x.unshared[0], "share", (x.unshared[1],)))
    vals: dict[str, Figure] = {}
    for x in parts:
        f = figs[x.unit.code]
        if f is None or f.value is None:
            lacks.append(Lack(x.unit.code, "value"))
        else:
            vals[x.unit.code] = f
            if rule is UnitsRule.RATIO and (f.numerator is None or f.denominator is None):
                lacks.append(Lack(x.unit.code, "parts"))
    if lacks and not (basis is not None and all(x.want == "parts" for x in lacks)):
        return refuse()
    share = {x.unit.code: 1.0 if x.share is None else x.share for x in parts}  # no None is left here
    approx = any(f.approximate for f in vals.values())
    rb = Rebase(structure, unit.code, shares, periods=periods)
    note = describe(rb, cat, p)
    whole = (len(parts), len(parts))
    if rule is UnitsRule.NONE:  # a single whole predecessor: its own figure, moved
        return replace(vals[parts[0].unit.code], method="rebased", note=note, rebase=rb)
    if rule is UnitsRule.SUM:
        total = sum(share[c] * _num(f.value) for c, f in vals.items())
        summed = float(round_half_up(total, max(ind.decimals, 6)))
        return Figure(
            summed, source="aggregated", approximate=approx, method="rebased", coverage=whole, note=note, rebase=rb
        )
    if not lacks:
        num = float(round_half_up(sum(share[c] * _num(f.numerator) for c, f in vals.items()), 6))
        den = float(round_half_up(sum(share[c] * _num(f.denominator) for c, f in vals.items()), 6))
        rate = None if den == 0 else float(round_half_up(100 * num / den, ind.decimals))
        return Figure(rate, num, den, "aggregated", approx, method="rebased", coverage=whole, note=note, rebase=rb)
    # an estimate: the contributions' rates weighted by the basis times their shares; it says it is one
    assert basis is not None and basis_of is not None
    weights: dict[str, float] = {}
    for x in parts:
        w = basis_weight(basis, basis_of(x))
        if w is None:
            lacks.append(Lack(x.unit.code, "basis"))
        else:
            weights[x.unit.code] = w
    total_w = sum(share[c] * w for c, w in weights.items())
    if any(x.want == "basis" for x in lacks) or total_w == 0:
        return refuse([] if any(x.want == "basis" for x in lacks) else [Lack(c, "basis") for c in weights])
    est = sum(share[c] * weights[c] * _num(f.value) for c, f in vals.items()) / total_w
    rb = Rebase(structure, unit.code, shares, estimate=basis.code, weights=tuple(weights.items()), periods=periods)
    return Figure(
        float(round_half_up(est, ind.decimals)),
        source="aggregated",
        approximate=True,
        qualifier=t("rebase.qualifier", None),
        method="rebased",
        coverage=whole,
        note=describe(rb, cat, p),
        rebase=rb,
    )


def _num(x: float | None) -> float:
    assert x is not None
    return x


def basis_weight(basis: Indicator, fig: Figure | None) -> float | None:
    """A contribution's weight: the basis value (a count or stock), or a rate's denominator."""
    if fig is None:
        return None
    w = fig.denominator if basis.is_rate else fig.value
    return None if w is None or w < 0 else float(w)


def check_basis(basis: Indicator) -> None:
    if basis.kind not in ("count", "stock", "rate", "average_per_day"):
        raise ChisoError(t("rebase.bad_basis", None, code=basis.code, kind=basis.kind))


def _estimable(ind: Indicator, rb: Rebase) -> bool:
    return ind.units_rule is UnitsRule.RATIO and bool(rb.lacks) and all(x.want == "parts" for x in rb.lacks)


# --- words ---------------------------------------------------------------------------------------------


def period_words(p: Period, lang: str | None = None) -> str:
    key = "rebase.period_year" if p.kind is PeriodKind.YEAR else "rebase.period"
    return t(key, lang, period=str(p))


def _name(cat: Catalogue, code: str) -> str:
    u = cat.units.get(code)
    return u.short if u is not None else code


def _part_name(cat: Catalogue, code: str, share: float | None, lang: str | None) -> str:
    name = _name(cat, code)
    if share is None:
        return f"{name} ({t('rebase.share_unknown', lang)})"
    if share != 1.0:
        return f"{name} ({fmt_number(100 * share, 2, lang)}%)"
    return name


def describe(rb: Rebase, cat: Catalogue, p: Period, lang: str | None = None) -> str:
    """'Số liệu năm 2024 tính theo cơ cấu đơn vị ngày 01/07/2025 (gộp từ Hà Nam, Nam Định, Ninh Bình)'."""
    names = ", ".join(_part_name(cat, c, s, lang) for c, s in rb.parts)
    text = t(
        "rebase.note" if len(rb.parts) > 1 else "rebase.note_one",
        lang,
        period=period_words(p, lang),
        date=fmt_date(rb.structure, lang),
        units=names,
    )
    if rb.estimate is not None:
        basis = cat.indicators.get(rb.estimate)
        weights = ", ".join(f"{_name(cat, c)} {fmt_number(w, 2, lang)}" for c, w in rb.weights)
        text += ". " + t(
            "rebase.estimate",
            lang,
            basis=f"{basis.name.get(current_lang(lang))} ({rb.estimate})" if basis else rb.estimate,
            weights=weights,
        )
    return text


def _lack_words(x: Lack, cat: Catalogue, ind: Indicator, lang: str | None) -> str:
    name = f"{_name(cat, x.unit)} ({x.unit})"
    to = ", ".join(f"{_name(cat, c)} ({c})" for c in x.to) or "—"
    if x.want == "kind":
        return t("rebase.lack.kind", lang, unit=name, kind=ind.kind)
    return t(f"rebase.lack.{x.want}", lang, unit=name, to=to)


def refusal(
    rb: Rebase, ind: Indicator, cat: Catalogue, p: Period, lang: str | None = None, *, estimate_possible: bool = False
) -> str:
    """The plain message of a refused rebasing: what is missing, by name."""
    kinds = [x for x in rb.lacks if x.want == "kind"]
    reasons = [_lack_words(x, cat, ind, lang) for x in rb.lacks if x.want != "kind"]
    if kinds:
        names = ", ".join(f"{_name(cat, x.unit)} ({x.unit})" for x in kinds)
        reasons.insert(0, t("rebase.lack.kind", lang, unit=names, kind=ind.kind))
    text = t(
        "rebase.refused",
        lang,
        unit=_name(cat, rb.into),
        period=period_words(p, lang),
        date=fmt_date(rb.structure, lang),
        reasons="; ".join(reasons),
    )
    if estimate_possible:
        text += " " + t("rebase.estimate_hint", lang)
    return text


def note(ind: Indicator, cat: Catalogue, r: RankRow | Answer, p: Period, lang: str | None = None) -> str | None:
    """A rebased figure's note in the reader's language: how it was moved, or why it could not be (None when it
    was not rebased). Pages are cached across languages, so the note is worded when shown."""
    f = r.figure
    if f is None or f.rebase is None:
        return None
    if f.rebase.refused:
        return refusal(f.rebase, ind, cat, p, lang)
    return describe(f.rebase, cat, p, lang)


def series_note(answers: Sequence[Answer], cat: Catalogue, lang: str | None = None) -> str | None:
    """One line for a chart: which periods of a series were rebased, into which structure (None if none)."""
    moved = [(a, a.figure.rebase) for a in answers if a.figure is not None and a.figure.rebase is not None]
    if not moved:
        return None
    rb = moved[0][1]
    units = list(dict.fromkeys(c for _, r in moved for c in r.rebased_from))
    return t(
        "rebase.series",
        lang,
        periods=", ".join(str(a.period) for a, _ in moved),
        date=fmt_date(rb.structure, lang),
        unit=moved[0][0].unit.short,
        units=", ".join(_name(cat, c) for c in units),
    )


__all__ = [  # Lack, Rebase (chiso.engine.answers), StructureError, in_structure, fmt_date (chiso.engine.structure)
    "Lack",  # are named here too, for the callers that knew them here
    "Part",
    "Rebase",
    "StructureError",
    "combine",
    "contributions",
    "describe",
    "fmt_date",
    "in_structure",
    "note",
    "refusal",
    "series_note",
]
