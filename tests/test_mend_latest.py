"""The latest period with data of a set of indicators, and the latest month with events of a year."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from chiso.catalogue import Catalogue
from chiso.catalogue.periods import Period
from chiso.engine import latest as lt


class Held:
    """``Holdings`` of given periods per indicator, and no events."""

    def __init__(self, periods: dict[str, list[str]]) -> None:
        self.periods = {c: [Period.parse(p) for p in ps] for c, ps in periods.items()}

    def value_periods(self, indicators: Collection[str], statuses: Collection[str] | None) -> dict[str, list[Period]]:
        return {c: lt.latest_first(self.periods.get(c, [])) for c in indicators}

    def event_years(self, measures: Collection[str]) -> set[int]:
        return set()


class Days:
    """Events of one measure on the given days."""

    def __init__(self, days: list[date]) -> None:
        self.days = days

    def days_with_data(self, measure: str, start: date, end: date) -> int:
        return sum(start <= d <= end for d in self.days) if measure == "m" else 0


def test_latest_of_takes_each_indicators_latest_then_the_latest_kept(catalogue: Catalogue) -> None:
    a, b = sorted(c for c, i in catalogue.indicators.items() if c not in catalogue.event_indicators)[:2]
    inds = [catalogue.indicators[a], catalogue.indicators[b]]
    held = Held({a: ["2023", "2024"], b: ["2022Q4", "2023Q4"]})
    assert lt.latest_of(catalogue, held, inds, None) == Period.parse("2024")
    # only each indicator's own latest is weighed: a's 2023 is not, when 2024 is refused
    assert lt.latest_of(catalogue, held, inds, None, keep=lambda p: p.end.year < 2024) == Period.parse("2023Q4")
    assert lt.latest_of(catalogue, held, inds, None, keep=lambda p: False) is None
    assert lt.latest_of(catalogue, Held({}), inds, None) is None


def test_latest_event_month() -> None:
    events = Days([date(2024, 3, 5), date(2024, 7, 1), date(2025, 1, 2)])
    assert lt.latest_event_month(events, ["m"], 2024) == Period.parse("2024-07")
    assert lt.latest_event_month(events, ["other"], 2024) is None
    assert lt.latest_event_month(events, ["m"], 2023) is None
