"""Aggregation rules against hand-computed expectations, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from chiso.catalogue import Catalogue, Period
from chiso.catalogue.models import SourceDocument, Target
from chiso.catalogue.records import Origin, ValueInput
from chiso.engine import Engine
from chiso.store import Store

RATE = "dossier_full_online_rate"


def v(
    ind: str,
    unit: str,
    period: str,
    value: float | None = None,
    *,
    num: float | None = None,
    den: float | None = None,
    source: str = "test",
    origin: Origin = Origin.REPORTED,
    approximate: bool = False,
) -> ValueInput:
    if value is None and num is not None and den is not None:
        value = round(100 * num / den, 4) if ind.endswith("rate") else num / den
    return ValueInput(
        indicator=ind,
        unit=unit,
        period=period,
        value=value,
        numerator=num,
        denominator=den,
        source=source,
        origin=origin,
        approximate=approximate,
    )


def r2(x: float) -> float:
    return float(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture
def engine(catalogue: Catalogue, store: Store) -> Engine:
    return Engine(catalogue, store)


def ministries(catalogue: Catalogue) -> list[str]:
    return [u.code for u in catalogue.members("ministries", Period.parse("2024"))]


def test_bloc_rate_is_recomputed_from_members_parts_never_averaged(
    catalogue: Catalogue, store: Store, engine: Engine
) -> None:
    codes = ministries(catalogue)
    assert len(codes) == 22
    rows = [v(RATE, c, "2024", num=10 * i + 5, den=100 + 37 * i) for i, c in enumerate(codes)]
    store.write_values(rows, actor="t")
    num = sum(10 * i + 5 for i in range(22))
    den = sum(100 + 37 * i for i in range(22))
    ans = engine.value(RATE, "ministries", "2024")
    assert ans.figure is not None and ans.figure.source == "aggregated"
    assert ans.value == r2(100 * num / den)
    assert (ans.figure.numerator, ans.figure.denominator) == (num, den)
    mean_of_rates = sum(100 * (10 * i + 5) / (100 + 37 * i) for i in range(22)) / 22
    assert abs(ans.value - mean_of_rates) > 1  # the average of rates would be a different (wrong) figure


def test_published_group_value_stands_when_members_cannot_produce_it(
    catalogue: Catalogue, store: Store, engine: Engine
) -> None:
    codes = ministries(catalogue)
    # 21 of 22 ministries with parts, one with only a published rate: the members cannot produce the bloc rate
    rows = [v(RATE, c, "2024", num=50, den=100) for c in codes[:-1]] + [v(RATE, codes[-1], "2024", 40.0)]
    store.write_values(rows, actor="t")
    partial = engine.value(RATE, "ministries", "2024")
    assert partial.figure is not None and not partial.figure.complete
    assert partial.figure.coverage == (21, 22) and partial.figure.missing == (codes[-1],)
    store.write_values([v(RATE, "ministries", "2024", 63.47, source="report")], actor="t")
    ans = engine.value(RATE, "ministries", "2024")
    assert ans.value == 63.47 and ans.figure is not None and ans.figure.source == "reported"
    assert [a.value for a in ans.alternatives] == [50.0]  # the partial computation stays visible


def test_quarter_rate_from_three_months(store: Store, engine: Engine) -> None:
    months = {"2024-07": (120, 400), "2024-08": (90, 350), "2024-09": (300, 610)}
    store.write_values([v(RATE, "P48", m, num=n, den=d) for m, (n, d) in months.items()], actor="t")
    ans = engine.value(RATE, "Đà Nẵng", "2024Q3")
    assert ans.unit.code == "P48"
    assert ans.value == r2(100 * 510 / 1360)
    assert ans.figure is not None and ans.figure.method == "sub-periods"
    # a month missing: the quarter cannot be computed, and nothing is invented
    assert engine.value(RATE, "P48", "2024Q2").value is None


def test_count_sums_over_units_and_periods(catalogue: Catalogue, store: Store, engine: Engine) -> None:
    provinces = [u.code for u in catalogue.members("provinces", Period.parse("2024"))]
    assert len(provinces) == 63
    rows = [
        v("cyber_attack_incidents", p, q, float(i + k))
        for i, p in enumerate(provinces)
        for k, q in enumerate(["2024Q1", "2024Q2", "2024Q3", "2024Q4"])
    ]
    store.write_values(rows, actor="t")
    ans = engine.value("cyber_attack_incidents", "provinces", "2024")
    assert ans.value == sum(4 * i + 6 for i in range(63))
    q1 = engine.value("cyber_attack_incidents", "provinces", "2024Q1")
    assert q1.value == sum(range(63))
    one = engine.value("cyber_attack_incidents", "P01", "2024S2")
    assert one.value == 2 + 3


def test_stock_takes_the_latest_value_in_the_period(store: Store, engine: Engine) -> None:
    store.write_values(
        [
            v("chip_id_cards", "VN", "2024-04", 80_000_000.0),
            v("chip_id_cards", "VN", "2024-09", 87_700_000.0),
            v("chip_id_cards", "VN", "2023-12", 79_000_000.0),
        ],
        actor="t",
    )
    year = engine.value("chip_id_cards", "VN", "2024")
    assert year.value == 87_700_000 and year.figure is not None and year.figure.period == "2024-09"
    assert engine.value("chip_id_cards", "VN", "2024S1").value == 80_000_000
    assert engine.value("chip_id_cards", "VN", "2024Q4").value is None  # no value inside Q4
    assert year.last_year is not None and year.last_year.value == 79_000_000


def test_stock_of_a_bloc_sums_disjoint_members(catalogue: Catalogue, store: Store, engine: Engine) -> None:
    provinces = [u.code for u in catalogue.members("provinces", Period.parse("2024"))]
    store.write_values([v("community_dx_teams", p, "2024", 1000.0 + i) for i, p in enumerate(provinces)], actor="t")
    assert engine.value("community_dx_teams", "provinces", "2024").value == sum(1000 + i for i in range(63))


def test_ranks_and_scores_are_never_summed(catalogue: Catalogue, store: Store, engine: Engine) -> None:
    provinces = [u.code for u in catalogue.members("provinces")]
    store.write_values([v("egdi_rank", p, "2024", 10.0) for p in provinces], actor="t")
    assert engine.value("egdi_rank", "provinces", "2024").value is None
    store.write_values([v("egdi_rank", "VN", "2024", 71.0)], actor="t")
    assert engine.value("egdi_rank", "VN", "2024").value == 71  # the nation's own rank, not 63 × 10


def test_average_per_day_over_periods_uses_counts_and_days(store: Store, engine: Engine) -> None:
    store.write_values(
        [
            v("ndxp_transactions_per_day", "VN", "2024-04", num=84_000_000, den=30),
            v("ndxp_transactions_per_day", "VN", "2024-05", num=93_000_000, den=31),
            v("ndxp_transactions_per_day", "VN", "2024-06", num=90_000_000, den=30),
        ],
        actor="t",
    )
    ans = engine.value("ndxp_transactions_per_day", "VN", "2024Q2")
    places = Decimal(1).scaleb(-ans.indicator.decimals)
    assert ans.value == float(Decimal(267_000_000 / 91).quantize(places, rounding=ROUND_HALF_UP))
    assert ans.figure is not None and (ans.figure.numerator, ans.figure.denominator) == (267_000_000, 91)


def test_ranking_orders_by_direction_with_ties(catalogue: Catalogue, store: Store, engine: Engine) -> None:
    vals = {"P48": 95.6, "P96": 92.0, "P72": 92.0, "P01": 50.0, "P79": 92.004}
    store.write_values([v("procedures_full_online_rate", u, "2024-09", x) for u, x in vals.items()], actor="t")
    rows = engine.rank("procedures_full_online_rate", "provinces", "2024-09")
    ranked = [(r.unit.code, r.rank) for r in rows if r.rank is not None]
    # 92.004 shows as 92.00: it ties with 92.0 (shown values tie); ties share a rank, the next is skipped
    assert ranked == [("P48", 1), ("P72", 2), ("P79", 2), ("P96", 2), ("P01", 5)]
    assert len(rows) == 63 and all(r.rank is None for r in rows[5:])
    store.write_values(
        [v("egdi_rank", u, "2024", x) for u, x in {"P01": 3.0, "P02": 1.0, "P04": 2.0}.items()], actor="t"
    )
    lower_better = [r.unit.code for r in engine.rank("egdi_rank", "provinces", "2024") if r.rank]
    assert lower_better == ["P02", "P04", "P01"]


def test_reported_and_computed_both_visible(store: Store, engine: Engine) -> None:
    # an event-derived indicator answers with the computed value first; a reported one stays visible
    store.write_values(
        [
            v(RATE, "P48", "2024", 60.0),
            v(RATE, "P48", "2024", num=610, den=1000, origin=Origin.COMPUTED, source="events"),
        ],
        actor="t",
    )
    ans = engine.value(RATE, "P48", "2024")
    assert ans.value == 61.0 and ans.figure is not None and ans.figure.source == "computed"
    assert [(a.value, a.source) for a in ans.alternatives] == [(60.0, "reported")]
    # an indicator that is not computed from events prefers the reported value
    other = "procedures_online_rate"
    store.write_values(
        [
            v(other, "P48", "2024", 80.0),
            v(other, "P48", "2024", num=79, den=100, origin=Origin.COMPUTED, source="x"),
        ],
        actor="t",
    )
    ans = engine.value(other, "P48", "2024")
    assert ans.value == 80.0 and [(a.value, a.source) for a in ans.alternatives] == [(79.0, "computed")]


def test_disagreeing_reports_the_more_authoritative_answers(store: Store, engine: Engine) -> None:
    store.write_sources(
        [
            SourceDocument(id="news", title="news", authority=2),
            SourceDocument(id="official", title="official report", authority=1),
        ],
        actor="t",
    )
    store.write_values(
        [v(RATE, "VN", "2024", 45.0, source="news"), v(RATE, "VN", "2024", 45.8, source="official")], actor="t"
    )
    ans = engine.value(RATE, "VN", "2024")
    assert ans.value == 45.8 and ans.figure is not None and ans.figure.document == "official"
    assert [a.value for a in ans.alternatives] == [45.0]


def test_target_attainment_and_comparisons(store: Store, engine: Engine) -> None:
    store.write_values(
        [
            v(RATE, "ministries", "2024", 63.47),
            v(RATE, "ministries", "2023", 40.0),
            v(RATE, "ministries", "2024Q3", 61.1),
            v(RATE, "ministries", "2024Q2", 58.0),
        ],
        actor="t",
    )
    store.write_targets(
        [Target(indicator=RATE, unit="ministries", period="2024", value=70.0, source="plan")], actor="t"
    )
    ans = engine.value(RATE, "Khối bộ", "2024")
    assert ans.target is not None and ans.target.value == 70
    assert ans.attainment == 0.9067
    d = ans.as_dict()
    assert d["comparisons"]["previous_period"] == {
        "period": "2023",
        "value": 40.0,
        "change": 23.47,
        "change_pct": 58.68,
    }
    q3 = engine.value(RATE, "ministries", "2024Q3")
    assert q3.target is not None and q3.target.period == "2024"  # the year's target applies to its quarters
    assert q3.previous is not None and q3.previous.value == 58.0
    store.write_values([v("egdi_rank", "VN", "2024", 71.0)], actor="t")
    store.write_targets([Target(indicator="egdi_rank", unit="VN", period="2024", value=75.0)], actor="t")
    assert engine.value("egdi_rank", "VN", "2024").attainment == float(
        Decimal(75 / 71).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    )


def test_nation_from_its_blocs_when_both_are_complete(catalogue: Catalogue, store: Store, engine: Engine) -> None:
    rows = [v(RATE, u.code, "2024-01", num=30, den=100) for u in catalogue.members("ministries")]
    rows += [v(RATE, u.code, "2024-01", num=10, den=100) for u in catalogue.members("provinces")]
    store.write_values(rows, actor="t")
    ans = engine.value(RATE, "VN", "2024-01")
    assert ans.value == r2(100 * (22 * 30 + 63 * 10) / (85 * 100))
    assert ans.figure is not None and ans.figure.coverage == (2, 2)


def test_a_long_lived_engine_sees_a_source_s_new_authority(catalogue: Catalogue, store: Store) -> None:
    # one engine for the life of a server (ws.engine): a source document written later must reorder its figures
    engine = Engine(catalogue, store)
    store.write_sources([SourceDocument(id="doc-a", title="A", authority=2),
                         SourceDocument(id="doc-b", title="B", authority=3)], actor="t")
    store.write_values([v(RATE, "VN", "2024", 40.0, source="doc-a"), v(RATE, "VN", "2024", 50.0, source="doc-b")],
                       actor="t")
    assert engine.value(RATE, "VN", "2024").value == 40.0
    store.write_sources([SourceDocument(id="doc-b", title="B, revised", authority=1)], actor="t")
    ans = engine.value(RATE, "VN", "2024")
    assert ans.value == 50.0 and [a.value for a in ans.alternatives] == [40.0]
    store.write_sources([SourceDocument(id="doc-c", title="C", authority=1)], actor="t")
    store.write_values([v(RATE, "VN", "2024", 45.0, source="doc-c", num=450, den=1000)], actor="t")
    assert engine.value(RATE, "VN", "2024").value == 45.0  # a new document, authority 1, with parts
