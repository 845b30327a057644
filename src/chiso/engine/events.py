"""Plans over operational events, written once in Ibis and run on DuckDB or Spark.

``daily_plan`` turns every count/sum measure of one event kind into one scan grouped by unit and
day (``COUNT(*) FILTER (WHERE …)`` per measure); ``first_seen_plan`` gives the first day each key of
a distinct measure was seen. Engines compute integers only; rates are formed in Python, so every
engine gives identical answers (stack-notes: float sums differ across engines and thread counts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from chiso.catalogue.measures import UNIT_COLUMN, Condition, Measure


def _predicate(t: ir.Table, cond: Condition) -> ir.BooleanValue:
    col = t[cond.column]
    v = cond.value
    if cond.op == "present":
        return col.notnull() if cond.value else col.isnull()
    if cond.op == "in":
        return col.isin(list(v) if isinstance(v, list) else [v])
    if isinstance(v, list):
        raise ValueError(f"operator {cond.op} takes one value, not a list")
    ops: dict[str, Any] = {
        "eq": col.__eq__,
        "ne": col.__ne__,
        "gt": col.__gt__,
        "ge": col.__ge__,
        "lt": col.__lt__,
        "le": col.__le__,
    }
    return ops[cond.op](v)


def where(t: ir.Table, m: Measure) -> ir.BooleanValue | None:
    preds = [_predicate(t, c) for c in m.where]
    if not preds:
        return None
    out = preds[0]
    for p in preds[1:]:
        out = out & p
    return out


def daily_plan(t: ir.Table, kind: str, measures: Sequence[Measure], by: str | None = None,
               within: str | None = None) -> ir.Table:
    """One row per (unit, day) with one int64 column per count/sum measure of ``kind``.

    ``by``: the column that names the unit, by default the kind's own (``UNIT_COLUMN``); the per-commune plan
    passes ``commune`` (``LOCAL_COLUMN``), and events without one are left out (they count for their province
    only). ``within``: also grouped by that column, kept after ``unit`` (``split_local`` makes both sums of it)."""
    if by is not None:
        t = t.filter(t[by].notnull())
    aggs: dict[str, ir.Value] = {}
    for m in measures:
        if m.events != kind or m.agg == "first_seen":
            continue
        w = where(t, m)
        if m.agg == "count":
            expr = t.count(where=w) if w is not None else t.count()
        else:
            assert m.column is not None
            expr = t[m.column].sum(where=w) if w is not None else t[m.column].sum()
        aggs[m.id] = expr.fill_null(0).cast("int64")
    keys = [t[by or UNIT_COLUMN[kind]].name("unit"), *([t[within]] if within else []), t.day.name("day")]
    return t.group_by(keys).aggregate(**aggs).order_by([k.get_name() for k in keys])


def split_local(wide: pa.Table, local: str) -> tuple[pa.Table, pa.Table]:
    """A ``daily_plan(…, within=local)`` table (unit, local, day, measures…) as the two a batch keeps: per unit and
    day (every event), and per ``local`` unit and day (events that name one). Count/sum measures add up, so one
    scan of the events gives both."""
    names = wide.column_names[3:]
    per_unit = wide.group_by(["unit", "day"], use_threads=False).aggregate([(n, "sum") for n in names])
    per_unit = per_unit.select(["unit", "day", *[f"{n}_sum" for n in names]]).rename_columns(["unit", "day", *names])
    kept = wide.filter(pc.is_valid(wide.column(local)))
    per_local = kept.select([local, "day", *names]).rename_columns(["unit", "day", *names])
    return per_unit, per_local


def first_seen_plan(t: ir.Table, m: Measure) -> ir.Table:
    """(unit, key, first_day) for a first_seen measure: one row per distinct key.

    One scan: the events are first reduced to the first day of each combination of the key columns,
    and the (unit, key) pairs are taken from that small table."""
    cols = list(dict.fromkeys(c for pair in m.keys for c in pair))
    base = t.group_by(cols).aggregate(first_day=t.day.min())
    parts = [base.select(unit=base[u].cast("string"), key=base[k].cast("string"), first_day=base.first_day)
             for u, k in m.keys]
    u = parts[0]
    for p in parts[1:]:
        u = u.union(p, distinct=False)
    return u.group_by(["unit", "key"]).aggregate(first_day=u.first_day.min()).order_by(["unit", "key"])


def measures_of(kind: str, measures: Mapping[str, Measure]) -> list[Measure]:
    return [m for m in measures.values() if m.events == kind]


def daily_long(wide: pa.Table) -> pa.Table:
    """Wide (unit, day, m1, m2, …) → long (measure, unit, day, value), keeping only non-zero values."""
    parts = []
    for name in wide.column_names[2:]:
        col = wide[name]
        mask = pc.not_equal(col, 0)
        sub = pa.table({"unit": wide["unit"], "day": wide["day"], "value": col}).filter(mask)
        parts.append(sub.append_column("measure", pa.array([name] * sub.num_rows, pa.string())))
    if not parts:
        return pa.table(
            {
                "measure": pa.array([], pa.string()),
                "unit": pa.array([], pa.string()),
                "day": pa.array([], pa.date32()),
                "value": pa.array([], pa.int64()),
            }
        )
    return pa.concat_tables(parts).select(["measure", "unit", "day", "value"])


def run(con: Any, expr: ir.Table) -> pa.Table:
    """Execute on any Ibis backend and return Arrow."""
    return con.to_pyarrow(expr)


# A batch number no batch has: the placeholder a per-batch plan is compiled with.
_BATCH_SENTINEL = -7_346_150_299_981


class BatchPlan:
    """A plan over one batch's events (``t.batch == …``) compiled to DuckDB SQL once, run for any batch with the
    batch as a parameter. Ibis takes tens of milliseconds to build and compile a plan: more than running it over a
    batch of a few hundred events, which is what a portal's HTTP batch is."""

    def __init__(self, con: Any, table: str, build: Any) -> None:
        t = con.table(table)
        expr: ir.Table = build(t.filter(t.batch == _BATCH_SENTINEL))
        text = str(ibis.to_sql(expr, dialect="duckdb"))
        if str(_BATCH_SENTINEL) not in text:
            raise ValueError(f"the plan over {table} does not filter on its batch")
        self.sql = text.replace(str(_BATCH_SENTINEL), "$1")
        self.schema = expr.schema().to_pyarrow()

    def run(self, duck: Any, batch: int) -> pa.Table:
        """The plan's rows for ``batch``, typed as Ibis would give them (DuckDB's sums come back wider)."""
        return duck.sql(self.sql, params=[batch]).to_arrow_table().cast(self.schema)


def sql(expr: ir.Table, dialect: str) -> str:
    if dialect == "pyspark":  # the compiler reads options the backend registers when first named (a float column)
        import contextlib

        with contextlib.suppress(ImportError, AttributeError):  # Spark is an optional extra
            _ = ibis.pyspark
    return str(ibis.to_sql(expr, dialect=dialect))
