"""The store on SQLite and PostgreSQL: migrations, one audited write path, all-or-nothing writes."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from chiso.catalogue.models import Target
from chiso.catalogue.records import ValueInput
from chiso.errors import ConflictError
from chiso.store import Store


def val(value: float, **kw: object) -> ValueInput:
    base: dict[str, object] = {
        "indicator": "dossier_full_online_rate",
        "unit": "P48",
        "period": "2024",
        "value": value,
        "source": "form",
    }
    return ValueInput(**(base | kw))  # type: ignore[arg-type]


def test_migrations_make_the_schema(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {"data_value", "target", "source_document", "audit", "change_set", "alembic_version"} <= tables
    store.migrate()  # running again is harmless


def test_every_change_is_audited_with_before_after_who_when(store: Store) -> None:
    s1 = store.write_values([val(60.0, numerator=600, denominator=1000, paragraph=4)], actor="alice")
    s2 = store.write_values([val(61.5, numerator=615, denominator=1000, paragraph=4)], actor="bob")
    s3 = store.write_values([val(61.5, numerator=615, denominator=1000, paragraph=4)], actor="carol")
    assert (s1.inserted, s2.updated, s3.unchanged, s3.change_set) == (1, 1, 1, None)
    [stored] = store.values(indicator="dossier_full_online_rate")
    assert (stored.value, stored.numerator, stored.version, stored.created_by, stored.updated_by) == (
        61.5,
        615,
        2,
        "alice",
        "bob",
    )
    hist = store.history(indicator="dossier_full_online_rate", unit="P48", period="2024")
    assert [(h.action, h.actor) for h in hist] == [("insert", "alice"), ("update", "bob")]
    assert hist[0].before is None and hist[0].after is not None and hist[0].after["value"] == 60.0
    assert hist[1].before is not None and hist[1].before["value"] == 60.0
    assert hist[1].after is not None and hist[1].after["numerator"] == 615
    assert hist[1].at >= hist[0].at and hist[1].change_set == s2.change_set


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    store.write_values([val(50.0)], actor="a")
    before = store.table_counts()
    with pytest.raises(ConflictError):
        store.write_values(
            [val(10.0, unit="P01"), val(70.0)], actor="b", expected_versions={val(70.0).key: 0}
        )  # someone else wrote version 1
    assert store.table_counts() == before
    assert [v.value for v in store.values()] == [50.0]


def test_a_batch_is_one_transaction(store: Store) -> None:
    """Sources, values and targets written together: a failure in the last write undoes the first two."""
    from chiso.catalogue.models import SourceDocument

    store.write_values([val(50.0)], actor="a")
    before = store.table_counts()
    doc = SourceDocument(id="extract.bao-cao.1234abcd", title="Báo cáo tháng 5/2024")
    with pytest.raises(ConflictError), store.batch():
        assert store.write_sources([doc], actor="b").inserted == 1
        assert store.write_values([val(20.0, unit="P01", source=doc.id)], actor="b").inserted == 1
        store.write_values([val(70.0)], actor="b", expected_versions={val(70.0).key: 0})  # stale
    assert store.table_counts() == before
    assert store.sources().get(doc.id) is None and [v.value for v in store.values()] == [50.0]
    # a write that changes nothing leaves no change set and does not undo the batch's other writes
    with store.batch():
        same = store.write_values([val(50.0)], actor="c")
        new = store.write_sources([doc], actor="c")
    assert (same.change_set, same.unchanged, new.inserted) == (None, 1, 1)
    after = store.table_counts()
    assert after["change_set"] == before["change_set"] + 1 and doc.id in store.sources()


def test_optimistic_version_lets_the_right_writer_through(store: Store) -> None:
    store.write_values([val(50.0)], actor="a")
    store.write_values([val(55.0)], actor="b", expected_versions={val(55.0).key: 1})
    with pytest.raises(ConflictError):
        store.write_values([val(56.0)], actor="c", expected_versions={val(56.0).key: 1})
    assert store.values()[0].value == 55.0


def test_values_keep_provenance_and_approximation(store: Store) -> None:
    store.write_values(
        [
            val(
                2_800_000.0,
                indicator="ndxp_transactions_per_day",
                unit="VN",
                period="2024-04",
                approximate=True,
                qualifier="khoảng",
                source="seed-001",
                paragraph=1,
                comment="per day",
            )
        ],
        actor="loader",
    )
    [s] = store.values(within=None, indicator="ndxp_transactions_per_day")
    assert (s.approximate, s.qualifier, s.source, s.paragraph, s.comment) == (True, "khoảng", "seed-001", 1, "per day")


def test_within_selects_contained_periods(store: Store) -> None:
    from chiso.catalogue.periods import Period

    store.write_values(
        [val(1.0, period="2024-04"), val(2.0, period="2024Q2"), val(3.0, period="2024"), val(4.0, period="2025-01")],
        actor="a",
    )
    got = sorted(v.period for v in store.values(within=Period.parse("2024S1")))
    assert got == ["2024-04", "2024Q2"]


def test_targets_are_audited(store: Store) -> None:
    t = Target(indicator="dossier_full_online_rate", unit="provinces", period="2024", value=30.0, source="seed-003")
    store.write_targets([t], actor="a")
    store.write_targets([t.model_copy(update={"value": 35.0})], actor="b")
    assert store.targets()[0].value == 35.0
    hist = [h for h in store.history() if h.entity == "target"]
    assert [(h.action, h.before and h.before["value"], h.after and h.after["value"]) for h in hist] == [
        ("insert", None, 30.0),
        ("update", 30.0, 35.0),
    ]
