"""Unit structures: which organisation of units a figure is shown in (docs/rules.md, "Rebasing").

A structure is named by a date (the units valid that day); ``2024`` (63 provinces, 22 ministries) and
``2025`` (34 provinces, 17 ministries) are words for the two the framework knows. A period is shown in
the structure valid at its end unless another is asked; rebasing (``chiso.engine.rebase``) is needed only
when the structure changed inside the period, or when a unit's series crosses a change.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from chiso.catalogue import Catalogue
from chiso.catalogue.models import Unit
from chiso.catalogue.periods import Period
from chiso.errors import StructureError, UnknownStructureError
from chiso.i18n import fmt_date, t

# The words a reader may give for a structure; any date (2025-07-01, 01/07/2025) names the one in force that day.
STRUCTURE_WORDS = {"2024": date(2024, 12, 31), "2025": date(2025, 7, 1)}
EXAMPLES = [*STRUCTURE_WORDS, "2025-07-01", "01/07/2025"]


def parse_structure(text: str | None) -> date | None:
    """``2024``, ``2025``, 2025-07-01 or 01/07/2025; None (or empty): each period in the structure valid at its
    end. Anything else raises ``UnknownStructureError`` naming the forms understood."""
    if text is None or not text.strip():
        return None
    raw = text.strip()
    word = STRUCTURE_WORDS.get(raw)
    if word is not None:
        return word
    try:
        if "/" in raw:
            d, m, y = (int(x) for x in raw.split("/"))
            return date(y, m, d)
        return date.fromisoformat(raw)
    except ValueError:
        raise UnknownStructureError(text, EXAMPLES) from None


def structure_label(d: date | None, lang: str | None = None) -> str:
    """'cơ cấu đơn vị ngày 01/07/2025'; 'theo kỳ' for None (each period in its own structure)."""
    if d is None:
        return t("structure.by_period", lang)
    return t("structure.of", lang, date=fmt_date(d, lang))


def in_structure(cat: Catalogue, unit: Unit, structure: date) -> Unit:
    """The unit that stands for ``unit`` in the structure of ``structure``: itself if valid then, else its single
    whole successor there (followed through several changes); groups and the nation are every structure's."""
    if unit.is_group or unit.valid_on(structure):
        return unit
    u, seen = unit, {unit.code}
    while not u.valid_on(structure):
        nxt = cat.whole_successor(u)
        if nxt is None or nxt.code in seen or (u.valid_to is not None and u.valid_to >= structure):
            raise StructureError(f"{unit.short} ({unit.code})", structure, [s.unit for s in u.successors],
                                 since=unit.valid_from)
        u = nxt
        seen.add(u.code)
    return u


@functools.lru_cache(maxsize=16)
def change_days(cat: Catalogue) -> tuple[date, ...]:
    """The days a unit structure changed: a unit began, or the day after one ended."""
    # Local units (14,000) change on the provinces' days; one pass over the catalogue, cached per catalogue.
    days: set[date] = set()
    for u in cat.units.values():
        if u.valid_from is not None:
            days.add(u.valid_from)
        if u.valid_to is not None:
            days.add(u.valid_to + timedelta(days=1))
    return tuple(sorted(days))


def crosses_change(cat: Catalogue, p: Period) -> bool:
    return any(p.start < d <= p.end for d in change_days(cat))


def shown_structure(cat: Catalogue, p: Period, asked: date | None) -> date | None:
    """The structure a period's rankings are shown in: the asked one; by default the one valid at the period's
    end, which needs rebasing (None: nothing to rebase) only when the structure changed inside the period."""
    if asked is not None:
        return asked
    return p.end if crosses_change(cat, p) else None


def unit_structure(unit: Unit, day: date) -> date:
    """``day``, moved into the unit's own validity: a unit's series is shown in a structure it belongs to."""
    if unit.valid_from is not None and day < unit.valid_from:
        return unit.valid_from
    if unit.valid_to is not None and day > unit.valid_to:
        return unit.valid_to
    return day


def needs_rebase(cat: Catalogue, unit: Unit, window: Period) -> bool:
    """Whether a unit's figures over ``window`` cross a change of structure: it began or ended inside it, or
    units it took over were valid then."""
    if unit.is_group:
        return False
    if (unit.valid_from is not None and unit.valid_from > window.start) or (
        unit.valid_to is not None and unit.valid_to < window.end
    ):
        return True
    return any(a.unit.overlaps(window.start, window.end) for a in cat.lineage(unit))


__all__ = [
    "STRUCTURE_WORDS",
    "StructureError",
    "change_days",
    "crosses_change",
    "fmt_date",
    "in_structure",
    "needs_rebase",
    "parse_structure",
    "shown_structure",
    "structure_label",
    "unit_structure",
]
