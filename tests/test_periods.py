from datetime import date

import pytest

from chiso.catalogue.periods import Period, PeriodKind
from chiso.errors import UnknownPeriodError


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2024", PeriodKind.YEAR, date(2024, 1, 1), date(2024, 12, 31)),
        ("2024S1", PeriodKind.HALF, date(2024, 1, 1), date(2024, 6, 30)),
        ("2024S2", PeriodKind.HALF, date(2024, 7, 1), date(2024, 12, 31)),
        ("2024Q3", PeriodKind.QUARTER, date(2024, 7, 1), date(2024, 9, 30)),
        ("2024-02", PeriodKind.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        ("2024-W15", PeriodKind.WEEK, date(2024, 4, 8), date(2024, 4, 14)),
        ("2024-04-15", PeriodKind.DAY, date(2024, 4, 15), date(2024, 4, 15)),
        ("2024-01..2024-09", PeriodKind.SPAN, date(2024, 1, 1), date(2024, 9, 30)),
        ("2024q3", PeriodKind.QUARTER, date(2024, 7, 1), date(2024, 9, 30)),
    ],
)
def test_parse_and_round_trip(text: str, kind: PeriodKind, start: date, end: date) -> None:
    p = Period.parse(text)
    assert (p.kind, p.start, p.end) == (kind, start, end)
    assert Period.parse(str(p)) == p
    assert str(p) == text.upper()


@pytest.mark.parametrize("bad", ["2024Q5", "2024-13", "2024-W54", "2024-02-30", "24", "2024-09..2024-01", "", "Q3"])
def test_bad_periods_name_the_text(bad: str) -> None:
    with pytest.raises(UnknownPeriodError) as exc:
        Period.parse(bad)
    assert repr(bad) in str(exc.value)
    assert "2024Q3" in str(exc.value)  # lists the valid forms


def test_containment() -> None:
    y, q3, sep, d = (Period.parse(x) for x in ("2024", "2024Q3", "2024-09", "2024-09-10"))
    assert y.contains(q3) and q3.contains(sep) and sep.contains(d) and y.contains(d)
    assert not q3.contains(y) and not sep.contains(q3)
    assert Period.parse("2024S2").contains(q3)
    assert not Period.parse("2024S1").contains(q3)
    assert Period.parse("2024-01..2024-09").contains(q3)
    assert not Period.parse("2024-01..2024-09").contains(Period.parse("2024Q4"))


@pytest.mark.parametrize(
    ("text", "previous", "last_year"),
    [
        ("2024", "2023", "2023"),
        ("2024S1", "2023S2", "2023S1"),
        ("2024Q1", "2023Q4", "2023Q1"),
        ("2024-01", "2023-12", "2023-01"),
        ("2024-W01", "2023-W52", "2023-W01"),
        ("2024-03-01", "2024-02-29", "2023-03-01"),
        ("2024-02-29", "2024-02-28", "2023-02-28"),
        ("2024-01..2024-09", "2023-04..2023-12", "2023-01..2023-09"),
        ("2020-W53", "2020-W52", "2019-W52"),
    ],
)
def test_previous_and_same_period_last_year(text: str, previous: str, last_year: str) -> None:
    p = Period.parse(text)
    assert str(p.previous()) == previous
    assert str(p.same_period_last_year()) == last_year


def test_subperiods_tile_exactly() -> None:
    y = Period.parse("2024")
    assert [str(q) for q in y.subperiods(PeriodKind.QUARTER)] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert len(y.subperiods(PeriodKind.MONTH)) == 12
    assert len(y.subperiods(PeriodKind.DAY)) == 366
    assert [str(m) for m in Period.parse("2024Q3").subperiods(PeriodKind.MONTH)] == ["2024-07", "2024-08", "2024-09"]
    assert Period.parse("2024-01..2024-09").subperiods(PeriodKind.QUARTER)[-1] == Period.parse("2024Q3")
    assert Period.parse("2024-02..2024-04").subperiods(PeriodKind.QUARTER) == []  # not aligned
    assert Period.parse("2024-04").subperiods(PeriodKind.MONTH) == []  # nothing finer of that kind
    assert Period.parse("2024-W15").subperiods(PeriodKind.MONTH) == []
    assert len(Period.parse("2024-W15").subperiods(PeriodKind.DAY)) == 7
