"""Cross-entry validation rules of the catalogue, one function each.

Each rule takes the loaded entries and yields ``(file, entry, reason)`` for every breach; the loader
turns the first into a DefinitionError. A rule sees the whole catalogue, so it catches what a single
entry's schema cannot (a group that does not exist, a code defined twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from chiso.catalogue.models import AveragePerDayIndicator, CountIndicator, Indicator, Unit, UnitType

Breach = tuple[str, str, str]
Located = Mapping[str, tuple[str, str]]  # code -> (file, entry label)


def units_refer_to_known_units(units: Mapping[str, Unit], where: Located) -> Iterator[Breach]:
    for code, u in units.items():
        for g in u.groups:
            if g not in units:
                yield (*where[code], f"group {g!r} is not a defined unit")
            elif units[g].type is not UnitType.GROUP:
                yield (*where[code], f"{g!r} is a {units[g].type.value}, not a group")
        if u.parent is not None and u.parent not in units:
            yield (*where[code], f"parent {u.parent!r} is not a defined unit")
        for s in u.successors:
            if s.unit not in units:
                yield (*where[code], f"successor {s.unit!r} is not a defined unit")
            if s.kind == "part" and s.share is None and not s.note:
                yield (*where[code], f"partial successor {s.unit!r} needs a share or a note saying what moved")


def units_have_one_nation(units: Mapping[str, Unit], where: Located) -> Iterator[Breach]:
    nations = [c for c, u in units.items() if u.type is UnitType.NATION]
    if len(nations) != 1:
        file = next(iter(where.values()), ("units", ""))[0]
        yield (file, "", f"exactly one unit of type nation is needed, found {len(nations)}: {nations}")


def indicators_refer_to_known_indicators(indicators: Mapping[str, Indicator], where: Located) -> Iterator[Breach]:
    for code, ind in indicators.items():
        if isinstance(ind, AveragePerDayIndicator) and ind.count_of is not None:
            other = indicators.get(ind.count_of)
            if other is None:
                yield (*where[code], f"count_of {ind.count_of!r} is not a defined indicator")
            elif not isinstance(other, CountIndicator):
                yield (*where[code], f"count_of {ind.count_of!r} is a {other.kind}, not a count")


UNIT_RULES: tuple[Callable[[Mapping[str, Unit], Located], Iterator[Breach]], ...] = (
    units_refer_to_known_units,
    units_have_one_nation,
)
INDICATOR_RULES: tuple[Callable[[Mapping[str, Indicator], Located], Iterator[Breach]], ...] = (
    indicators_refer_to_known_indicators,
)
