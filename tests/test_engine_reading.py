"""The engine as every view asks it (chiso.engine.reading, .latest, .structure): one way to name a unit
structure, the "latest sub-period" fallback without the web, a page's snapshot over any value reader, the
latest period with data and the live year, and an engine that imports nothing above it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Collection
from datetime import date

import pytest

from chiso import app as core
from chiso.catalogue import Catalogue, Period
from chiso.catalogue.models import SourceDocument, Target
from chiso.catalogue.records import StoredValue, ValueInput
from chiso.engine import Engine
from chiso.engine.latest import ScanHoldings, data_years, default_year, key_years, latest_period
from chiso.engine.reading import PUBLIC, Reader, Snapshot
from chiso.engine.structure import parse_structure, shown_structure
from chiso.errors import UnknownNameError, UnknownStructureError

FIBRE = "fiber_household_rate"  # vn-2024 publishes it for 2024-04 only


# --- unit structures --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "day"), [
    ("2024", date(2024, 12, 31)), ("2025", date(2025, 7, 1)), ("2025-07-01", date(2025, 7, 1)),
    (" 01/07/2025 ", date(2025, 7, 1)), ("", None), (None, None),
])
def test_one_way_to_name_a_structure(text: str | None, day: date | None) -> None:
    assert parse_structure(text) == day


@pytest.mark.parametrize("text", ["2023x", "31/02/2025", "sau sáp nhập", "2025-13-01"])
def test_an_unknown_structure_names_the_forms_understood(text: str) -> None:
    with pytest.raises(UnknownStructureError) as exc:
        parse_structure(text)
    assert isinstance(exc.value, UnknownNameError) and exc.value.name == text
    assert "2025" in exc.value.suggestions
    assert exc.value.render("vi").startswith(f"không hiểu cơ cấu đơn vị {text!r}")
    assert exc.value.render("en").startswith(f"unknown unit structure {text!r}")


def test_a_period_is_shown_in_a_structure_only_when_it_crosses_a_change(catalogue: Catalogue) -> None:
    assert shown_structure(catalogue, Period.parse("2024"), None) is None
    assert shown_structure(catalogue, Period.parse("2025"), None) == date(2025, 12, 31)  # the change of 1 July
    assert shown_structure(catalogue, Period.parse("2025-08"), None) is None
    assert shown_structure(catalogue, Period.parse("2024"), date(2025, 7, 1)) == date(2025, 7, 1)


def test_the_engine_imports_nothing_above_it() -> None:
    code = ("import sys, chiso.engine.rebase, chiso.engine.reading, chiso.engine.latest, chiso.engine.structure\n"
            "print(' '.join(m for m in sys.modules if m.split('.')[:2] in "
            "(['chiso', 'store'], ['chiso', 'web'], ['chiso', 'app'], ['chiso', 'ingest'], ['chiso', 'report'])))")
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert got.stdout.strip() == ""


# --- reading without the web ---------------------------------------------------------------------------


def test_the_latest_sub_period_answers_for_the_cli_and_api_too(loaded: core.Workspace) -> None:
    rd = Reader(loaded.engine)  # over the store itself: no page, no snapshot
    ind = loaded.catalogue.indicator(FIBRE)
    nation = loaded.catalogue.nation
    assert rd.answer(ind, nation, Period.parse("2024")).value is None
    ans, as_of = rd.latest_answer(ind, nation, Period.parse("2024"))
    assert (ans.value, str(as_of)) == (80.2, "2024-04")
    cell = rd.latest(ind, nation, Period.parse("2024"))
    assert (cell.value, cell.as_of, str(cell.period), cell.shown_period) == (80.2, "2024-04", "2024", "2024-04")
    rk = rd.ranking(loaded.catalogue.indicator("procedures_full_online_rate"),
                    loaded.catalogue.unit("provinces"), Period.parse("2024"))
    assert rk.as_of == "2024-09" and [r.unit.code for r in rk.ranked][:1] == ["P48"]
    plain = rd.ranking(loaded.catalogue.indicator("procedures_full_online_rate"),
                       loaded.catalogue.unit("provinces"), Period.parse("2024"), fallback=False)
    assert plain.as_of is None and not plain.ranked


class CountingReader:
    """A fake ``ValueReader``: a few values, every read counted."""

    def __init__(self, rows: list[StoredValue], docs: dict[str, SourceDocument]) -> None:
        self.rows, self.docs, self.reads = rows, docs, 0

    def values(self, *, indicator: str | None = None, units: Collection[str] | None = None,
               within: Period | None = None, statuses: Collection[str] | None = None) -> list[StoredValue]:
        self.reads += 1
        return [v for v in self.rows if (indicator is None or v.indicator == indicator)
                and (units is None or v.unit in units) and (within is None or within.contains(Period.parse(v.period)))
                and (statuses is None or v.status in statuses)]

    def targets(self, *, indicator: str | None = None, units: Collection[str] | None = None,
                periods: Collection[str] | None = None) -> list[Target]:
        return []

    def sources(self) -> dict[str, SourceDocument]:
        return self.docs


def test_a_snapshot_reads_each_indicator_once_over_any_value_reader(catalogue: Catalogue,
                                                                   loaded: core.Workspace) -> None:
    rows = [v for v in loaded.store.values() if v.indicator in (FIBRE, "dossier_full_online_rate")]
    inner = CountingReader(rows, loaded.store.sources())
    snap = Snapshot(inner, Period.parse("2020-01..2024-12"), PUBLIC)
    snap.preload([FIBRE, "dossier_full_online_rate"])  # no values_of on this reader: one read per indicator
    assert inner.reads == 2
    rd = Reader(Engine(catalogue, snap, statuses=PUBLIC.statuses), snap)
    nation = catalogue.nation
    assert rd.latest(catalogue.indicator(FIBRE), nation, Period.parse("2024")).value == 80.2
    assert rd.value(catalogue.indicator("dossier_full_online_rate"), nation, Period.parse("2024")).value == 45.8
    assert inner.reads == 2  # everything else from memory


# --- the latest period with data, and the live year -----------------------------------------------------


class Events:
    """A fake ``EventReader``: events of every measure on the days of ``years``."""

    def __init__(self, years: set[int]) -> None:
        self.years = years

    def by_unit(self, measure: str, units: Collection[str] | None, start: date | None, end: date) -> dict[str, int]:
        return {}

    def first_seen_by_unit(self, measure: str, units: Collection[str] | None, end: date) -> dict[str, int]:
        return {}

    def days_with_data(self, measure: str, start: date, end: date) -> int:
        return sum(1 for y in self.years if start.year <= y <= end.year)


def test_the_latest_period_with_data(loaded: core.Workspace) -> None:
    eng = loaded.engine
    assert str(latest_period(eng, "procedures_full_online_rate")) == "2024-09"  # reported monthly
    assert str(latest_period(eng, "dossier_full_online_rate")) == "2024"
    assert str(default_year(eng)) == "2024"
    years = key_years(eng)
    assert years.complete == years.latest == Period.parse("2024") and years.live is None


def test_a_year_begun_by_events_is_the_live_one_not_the_default(loaded: core.Workspace) -> None:
    cat = loaded.catalogue
    keys = sorted((i for i in cat.indicators.values() if i.key), key=lambda i: i.code)
    holdings = ScanHoldings(loaded.store, Events({2024, 2025}), today=date(2025, 8, 1))
    years = data_years(cat, holdings, keys, ("approved",))
    evented = sorted(i.code for i in keys if i.code in cat.event_indicators)
    assert years.have[2025] == len(evented) < len(keys) / 2
    assert years.latest == Period.parse("2025") and years.complete == Period.parse("2024")
    assert years.default == Period.parse("2024") and years.live == Period.parse("2025")
    assert sorted(years.from_events[2025]) == evented
    # a value reported for most key indicators in 2025 makes it the complete year, and nothing is live
    loaded.store.write_values([ValueInput(indicator=i.code, unit="VN", period="2025", value=1.0, source="t")
                               for i in keys if i.code not in cat.event_indicators], actor="t")
    again = data_years(cat, holdings, keys, ("approved",))
    assert again.complete == Period.parse("2025") and again.live is None
