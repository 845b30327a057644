"""Scoring composite indices (``chiso.catalogue.indices``): scores, ranks, explanations, robustness.

The arithmetic is pure and vectorised over the units of a group (``evaluate``): a leaf's values become scores in
[0, 1] by its scoring method (some need the whole group: min-max, z-score, rank), inner nodes combine their
children's scores by weight, under the node's missing-data rule. ``IndexScorer`` gathers the leaves' values from
the engine (one ranking per leaf indicator, so a group costs one aggregate query per measure), scores every
member, ranks them, explains what moved a unit's score and what would raise it most, and measures how robust
each rank is when weights and methods vary (the JRC/OECD Handbook's uncertainty and sensitivity analysis).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from chiso.catalogue import Catalogue
from chiso.catalogue.indices import IndexDef, Missing, Node, Rating, Version
from chiso.catalogue.models import Direction, Indicator, Unit, UnitType
from chiso.catalogue.periods import Period, parse_period
from chiso.engine import Engine
from chiso.engine.answers import Figure
from chiso.engine.reading import PUBLIC, EventMemo, Policy, Snapshot
from chiso.engine.structure import in_structure
from chiso.errors import IndexScoreError
from chiso.i18n import round_half_up

Arr = npt.NDArray[np.float64]
SOURCES = ("none", "computed", "published")  # how a node got its score, per unit (codes 0, 1, 2)


# --- pure arithmetic -------------------------------------------------------------------------------------------
def _ranks(x: Arr, higher: bool) -> Arr:
    """Competition ranks (1 best; ties share, 1 2 2 4) of the non-missing values; NaN stays NaN."""
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    v = x[ok] if higher else -x[ok]
    out[ok] = [1 + int(np.sum(v > a)) for a in v]
    return out


def score_leaf(node: Node, x: Arr, direction: Direction, targets: Arr | None = None, method: str | None = None) -> Arr:
    """A leaf's values (NaN: missing) as scores in [0, 1] (z-scores unbounded)."""
    sc = node.score
    m = method or sc.method
    higher = direction is not Direction.LOWER
    ok = ~np.isnan(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        if m == "given":
            s = x / sc.scale if higher else 1 - x / sc.scale
        elif m == "threshold":
            assert sc.full_at is not None
            s = np.minimum(1.0, np.maximum(0.0, x) / sc.full_at) if higher else \
                np.where(x <= sc.full_at, 1.0, sc.full_at / np.maximum(x, 1e-300))
        elif m == "goalposts":
            assert sc.min is not None and sc.max is not None
            s = np.clip((x - sc.min) / (sc.max - sc.min), 0.0, 1.0)
            s = s if higher else 1 - s
        elif m == "minmax":
            if not ok.any():
                return np.full(x.shape, np.nan)
            lo, hi = float(np.min(x[ok])), float(np.max(x[ok]))
            s = np.ones(x.shape) if hi == lo else (x - lo) / (hi - lo)
            s = s if higher or hi == lo else 1 - s
        elif m == "zscore":
            if not ok.any():
                return np.full(x.shape, np.nan)
            mu, sd = float(np.mean(x[ok])), float(np.std(x[ok]))
            s = np.zeros(x.shape) if sd == 0 else (x - mu) / sd
            s = s if higher else -s
        elif m == "rank":
            r = _ranks(x, higher)
            n = int(ok.sum())
            s = np.ones(x.shape) if n <= 1 else (n - r) / (n - 1)
        elif m == "target":
            t = targets if targets is not None else np.full(x.shape, np.nan)
            s = np.minimum(1.0, x / t) if higher else np.minimum(1.0, t / np.maximum(x, 1e-300))
            s = np.where(t > 0, s, np.nan)
        else:  # pragma: no cover - the model admits no other method
            raise ValueError(m)
    return np.where(ok, s, np.nan)


def aggregate(how: str, scores: Sequence[Arr], weights: Sequence[float], missing: Missing,
              coverages: Sequence[Arr] | None = None) -> tuple[Arr, Arr]:
    """Children's scores (each over the units) combined by weight under ``missing``: (score, coverage).

    Coverage is the share of the node's weight that rests on data, down to the leaves (``coverages``: the
    children's own; by default a child with a score is covered whole); the node is scored only from
    ``missing.min_coverage`` up."""
    S = np.vstack(scores) if scores else np.zeros((0, 0))
    W = np.asarray(weights, dtype=float)[:, None] * np.ones(S.shape)
    ok = ~np.isnan(S)
    C = np.where(ok, np.vstack(coverages), 0.0) if coverages is not None else ok.astype(float)
    coverage = (W * C).sum(axis=0) / W.sum(axis=0)
    if missing.rule == "zero":
        S = np.where(ok, S, 0.0)
    elif missing.rule == "mean":
        means = np.array([np.nanmean(r) if (~np.isnan(r)).any() else np.nan for r in S])
        S = np.where(ok, S, means[:, None])
    present = ~np.isnan(S)
    Wp = np.where(present, W, 0.0)
    Sz = np.where(present, S, 0.0)
    tot = Wp.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if how == "arithmetic":
            out = (Wp * Sz).sum(axis=0) / tot
        elif how == "geometric":
            logs = np.where(Sz > 0, np.log(np.where(Sz > 0, Sz, 1.0)), -np.inf)
            out = np.exp((np.where(Wp > 0, Wp * logs, 0.0)).sum(axis=0) / tot)
        elif how == "harmonic":
            zero = (present & (Sz <= 0)).any(axis=0)
            out = np.where(zero, 0.0, tot / np.where(present, Wp / np.where(Sz > 0, Sz, 1.0), 0.0).sum(axis=0))
        else:  # minimum
            out = np.where(present, Sz, np.inf).min(axis=0)
    refused = (coverage < missing.min_coverage - 1e-12) | (tot <= 0)
    if missing.rule == "refuse":
        refused |= coverage < 1 - 1e-12
    return np.where(refused, np.nan, out), coverage


def weight_of(n: Node) -> float:
    return n.points if n.points is not None else (n.weight or 0.0)


@dataclass
class Inputs:
    """What scoring a group needs: per leaf its values over the units, and the same for published nodes."""

    units: list[Unit]
    leaves: dict[str, Arr]  # node code → values (NaN: missing)
    targets: dict[str, Arr] = field(default_factory=dict)  # leaf code → targets (target scoring)
    published: dict[str, Arr] = field(default_factory=dict)  # node code → published values (the node's own terms)
    directions: dict[str, Direction] = field(default_factory=dict)


@dataclass
class Evaluated:
    s: dict[str, Arr]  # node code → scores over the units
    computed: dict[str, Arr]  # node code → the score its children give (before a published value is taken)
    coverage: dict[str, Arr]
    source: dict[str, npt.NDArray[np.int8]]


def evaluate(idx: IndexDef, version: Version, inp: Inputs, *, weights: Mapping[str, float] | None = None,
             methods: Mapping[str, str] | None = None, fixed: Mapping[str, Arr] | None = None) -> Evaluated:
    """Score the tree over the units. ``weights``/``methods``: overrides by node code (the sensitivity analysis);
    ``fixed``: scores forced for some nodes (what-if: a sub-criterion at full marks)."""
    weights, methods, fixed = weights or {}, methods or {}, fixed or {}
    n = len(inp.units)
    ev = Evaluated({}, {}, {}, {})

    def published_s(node: Node) -> Arr | None:
        if node.published is None or node.code not in inp.published:
            return None
        p = inp.published[node.code]
        if idx.value == "points" and node.points:
            return p / node.points
        return p

    def walk(node: Node) -> Arr:
        if node.code in fixed:
            s = fixed[node.code]
            cov = np.where(np.isnan(s), 0.0, 1.0)
            comp = s
        elif node.is_leaf:
            x = inp.leaves.get(node.code, np.full(n, np.nan))
            s = score_leaf(node, x, inp.directions.get(node.code, Direction.HIGHER), inp.targets.get(node.code),
                           methods.get(node.code))
            cov = np.where(np.isnan(s), 0.0, 1.0)
            comp = s
        else:
            kids = [walk(c) for c in node.children]
            ws = [weights.get(c.code, weight_of(c)) for c in node.children]
            comp, cov = aggregate(methods.get(node.code, node.aggregate), kids, ws, node.missing or version.missing,
                                  [ev.coverage[c.code] for c in node.children])
            s = comp
        src = np.where(np.isnan(s), 0, 1).astype(np.int8)
        pub = published_s(node)
        if pub is not None:
            took = ~np.isnan(pub)
            s = np.where(took, pub, s)
            cov = np.where(took, 1.0, cov)  # a published value is data for the whole node
            src = np.where(took, 2, src).astype(np.int8)
        ev.s[node.code], ev.computed[node.code], ev.coverage[node.code], ev.source[node.code] = s, comp, cov, src
        return s

    walk(version.tree)
    return ev


def competition_ranks(values: Sequence[float | None], decimals: int) -> list[int | None]:
    """Ranks of values, higher first, equal at the published precision sharing a rank (1, 2, 2, 4)."""
    keys = [None if v is None else round_half_up(v, decimals) for v in values]
    known = sorted((k for k in keys if k is not None), reverse=True)
    first: dict[Any, int] = {}
    for i, k in enumerate(known, start=1):
        first.setdefault(k, i)
    return [None if k is None else first[k] for k in keys]


# --- results ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeScore:
    node: Node
    depth: int
    score: float | None  # 0–1 (z-score nodes unbounded)
    value: float | None  # as the index publishes the node: points, or the 0–1 score
    points: float | None  # score × the node's maximum points (None without points)
    max_points: float | None
    coverage: float  # share of the node's weight with data
    source: str  # computed, published, none
    raw: float | None = None  # a leaf: the indicator's value
    computed: float | None = None  # the score from children, shown beside a published value taken instead

    @property
    def gap(self) -> float | None:
        """Points missing to full marks."""
        if self.max_points is None or self.points is None:
            return None
        return max(0.0, self.max_points - self.points)

    def as_dict(self) -> dict[str, Any]:
        n = self.node
        return {
            "code": n.code, "name": n.name.vi, "name_en": n.name.en, "depth": self.depth,
            "indicator": n.indicator, "value": self.value, "score": self.score, "points": self.points,
            "max_points": self.max_points, "points_missing": self.gap, "coverage": self.coverage,
            "source": self.source, "raw": self.raw, "computed_score": self.computed,
            "weight": n.weight, "method": n.score.method if n.is_leaf else n.aggregate,
        }


@dataclass(frozen=True)
class UnitScore:
    unit: Unit
    nodes: dict[str, NodeScore]  # by code, in tree order
    root: str
    rank: int | None
    of: int  # units ranked (with a score)
    rating: Rating | None

    @property
    def top(self) -> NodeScore:
        return self.nodes[self.root]

    @property
    def value(self) -> float | None:
        return self.top.value


@dataclass(frozen=True)
class GroupScore:
    index: IndexDef
    version: Version
    group: Unit
    period: Period
    structure: date | None
    units: list[UnitScore]  # best first, unscored last
    inputs: Inputs
    evaluated: Evaluated

    def of(self, unit: Unit) -> UnitScore:
        for u in self.units:
            if u.unit.code == unit.code:
                return u
        raise KeyError(unit.code)

    def missing_leaves(self) -> list[tuple[Node, int]]:
        """The leaves without data for some of the units scored, with how many of them (a commune's two reported
        sub-criteria are usually missing): said beside a ranking, in tree order."""
        scored = ~np.isnan(self.evaluated.s[self.version.tree.code])
        out = []
        for node in self.version.tree.walk():
            if node.is_leaf:
                n = int(np.sum(scored & (self.evaluated.source[node.code] == 0)))
                if n:
                    out.append((node, n))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index.code, "version": self.version.id, "group": self.group.code,
            "period": str(self.period), "structure": self.structure.isoformat() if self.structure else None,
            "value_kind": self.index.value,
            "rows": [{"unit": u.unit.code, "name": u.unit.short, "rank": u.rank, "of": u.of, "value": u.value,
                      "coverage": u.top.coverage, "source": u.top.source,
                      "rating": u.rating.label.vi if u.rating else None} for u in self.units],
        }


def _nodes_of(tree: Node) -> list[tuple[Node, int]]:
    out: list[tuple[Node, int]] = []

    def go(n: Node, d: int) -> None:
        out.append((n, d))
        for c in n.children:
            go(c, d + 1)

    go(tree, 0)
    return out


def _f(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _column(a: Arr | None, n: int) -> list[float | None]:
    """An array over the units as Python numbers, NaN as None (indexing numpy per element is slow)."""
    if a is None:
        return [None] * n
    return [None if x != x else x for x in a.tolist()]  # x != x: NaN


def unit_scores(idx: IndexDef, version: Version, inp: Inputs, ev: Evaluated) -> list[UnitScore]:
    """Each unit's node scores, ranked by the root's published value (best first, unscored last)."""
    nodes = _nodes_of(version.tree)
    root = version.tree.code
    n_units = len(inp.units)
    cols = {}
    for n, _d in nodes:
        src = ev.source[n.code].tolist()
        comp = _column(ev.computed[n.code], n_units)
        cols[n.code] = (_column(ev.s[n.code], n_units), ev.coverage[n.code].tolist(), src,
                        [c if k == 2 else None for c, k in zip(comp, src, strict=True)],
                        _column(inp.leaves.get(n.code), n_units) if n.is_leaf else [None] * n_units)
    points_valued = idx.value == "points"
    rows: list[dict[str, NodeScore]] = []
    for i in range(n_units):
        got: dict[str, NodeScore] = {}
        for n, d in nodes:
            ss, cov, src, comp, raw = cols[n.code]
            s = ss[i]
            pts = None if (s is None or n.points is None) else s * n.points
            got[n.code] = NodeScore(n, d, s, pts if points_valued else s, pts, n.points, float(cov[i]),
                                    SOURCES[int(src[i])], raw[i], comp[i])
        rows.append(got)
    values = [r[root].value for r in rows]
    ranks = competition_ranks(values, idx.decimals)
    scored = sum(1 for v in values if v is not None)
    out = [UnitScore(u, r, root, k, scored, idx.rating(r[root].value)) for u, r, k in zip(inp.units, rows, ranks,
                                                                                           strict=True)]
    return sorted(out, key=lambda x: (x.rank is None, x.rank or 0, x.unit.code))


# --- over the engine -------------------------------------------------------------------------------------------
def exact(ind: Indicator, f: Figure | None) -> float | None:
    """A figure's value for scoring: a rate from its parts, unrounded (the engine rounds it to the indicator's
    decimals for display; 66,67 % instead of 4 of 6 would cost a unit points it earned)."""
    if f is None or f.value is None:
        return None
    if ind.is_rate and f.numerator is not None and f.denominator:
        return 100.0 * f.numerator / f.denominator
    return float(f.value)


class _LocalGathered:
    """An ``EventReader`` over an ``EventMemo`` that reads several measures of many communes in one query
    (``by_unit_many_local``) and answers the engine's per-measure reads of those communes from it."""

    def __init__(self, memo: EventMemo) -> None:
        self.memo = memo
        self._held: dict[tuple[str, date | None, date], tuple[frozenset[str], dict[str, int]]] = {}

    def prefetch(self, measures: Collection[str], start: date | None, end: date, communes: Collection[str]) -> None:
        many = getattr(self.memo.inner, "by_unit_many_local", None)
        if many is None:
            return
        scope = frozenset(communes)
        got = many(sorted(measures), scope, start, end)
        for m in measures:
            self._held[(m, start, end)] = (scope, got.get(m, {}))

    def by_unit_local(self, measure: str, communes: Collection[str], start: date | None, end: date) -> dict[str, int]:
        held = self._held.get((measure, start, end))
        if held is not None and held[0].issuperset(communes):
            every = held[1]
            return {c: every[c] for c in communes if c in every}
        return self.memo.by_unit_local(measure, communes, start, end)

    def by_unit(self, measure: str, units: Collection[str] | None, start: date | None, end: date) -> dict[str, int]:
        return self.memo.by_unit(measure, units, start, end)

    def first_seen_by_unit(self, measure: str, units: Collection[str] | None, end: date) -> dict[str, int]:
        return self.memo.first_seen_by_unit(measure, units, end)

    def days_with_data(self, measure: str, start: date, end: date) -> int:
        return self.memo.days_with_data(measure, start, end)


class IndexScorer:
    """Scores indices from what the engine answers (reported values and the kept event aggregates)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._groups: dict[tuple[str, str, str, date | None], GroupScore] = {}

    @property
    def cat(self) -> Catalogue:
        return self.engine.catalogue

    def version(self, idx: IndexDef, p: Period) -> Version:
        v = idx.version_on(p.end)
        if v is None:
            spans = ", ".join(f"{x.valid_from.isoformat()}–{x.valid_to.isoformat() if x.valid_to else '…'}"
                              for x in idx.versions)
            raise IndexScoreError("index.no_version", index=idx.code, period=str(p), spans=spans)
        return v

    def group_of(self, idx: IndexDef, unit: Unit, p: Period) -> Unit:
        """The group among the index's units that ranks ``unit`` (the unit itself when the index names it)."""
        if unit.code in idx.units:
            if unit.type is UnitType.GROUP:
                raise IndexScoreError("index.group_not_unit", index=idx.code, unit=unit.short, group=unit.code)
            return unit
        if idx.scores_level(unit):
            return self._local_group(idx, unit, p)
        for g in idx.units:
            gu = self.cat.units[g]
            if unit.code == g or any(m.code == unit.code for m in self.cat.components(gu, p)):
                return gu
        groups = ", ".join(self.cat.units[g].short for g in idx.units)
        raise IndexScoreError("index.not_for_unit", index=idx.code, unit=unit.short, groups=groups)

    def _local_group(self, idx: IndexDef, unit: Unit, p: Period) -> Unit:
        """A district or commune is ranked among its province's of its level (``P48.communes``), else in any
        group of its level that holds it (a workspace's own)."""
        if unit.type is UnitType.GROUP:
            raise IndexScoreError("index.group_not_unit", index=idx.code, unit=unit.short, group=unit.code)
        kind = "communes" if unit.type is UnitType.COMMUNE else "districts"
        tried = [f"{unit.province}.{kind}"] + [g for g in unit.groups if g != f"{unit.province}.{kind}"]
        for code in tried:
            g = self.cat.units.get(code)
            if g is not None and self.ranks_group(idx, g, p) and any(m.code == unit.code
                                                                      for m in self.cat.components(g, p)):
                return g
        groups = ", ".join(self.cat.units[g].short for g in idx.units)
        raise IndexScoreError("index.not_for_unit", index=idx.code, unit=unit.short, groups=groups)

    def ranks_group(self, idx: IndexDef, group: Unit, p: Period) -> bool:
        """Whether the index ranks ``group``: one it names, or a group of districts or communes of the levels it
        scores (a province's communes, its urban ones, the national ``communes``)."""
        if group.code in idx.units:
            return True
        if not idx.levels or group.type is not UnitType.GROUP or not self.cat.is_local(group):
            return False
        members = self.cat.components(group, p)
        return bool(members) and all(idx.scores_level(m) for m in members)

    def members(self, group: Unit, p: Period, structure: date | None) -> list[Unit]:
        if group.type is not UnitType.GROUP:  # the nation or one unit the index names: scored alone
            return [group]
        return self.cat.components(group, Period.day(structure) if structure else p)

    def group(self, idx: IndexDef | str, group: Unit | str, period: Period | str,
              structure: date | None = None) -> GroupScore:
        """Every member of ``group`` scored and ranked for ``period`` (in ``structure``'s units, rebased, when the
        index allows it)."""
        idx = self.cat.index(idx) if isinstance(idx, str) else idx
        p = parse_period(period)
        g = self.cat.unit(group, on=p.end) if isinstance(group, str) else group
        if structure is not None and not idx.rebase:
            moved = {m.code for m in self.members(g, p, structure)} != {m.code for m in self.members(g, p, None)}
            if moved:
                raise IndexScoreError("index.no_rebase", index=idx.code, period=str(p),
                                      structure=structure.isoformat())
            structure = None
        if not self.ranks_group(idx, g, Period.day(structure) if structure else p):
            raise IndexScoreError("index.not_for_unit", index=idx.code, unit=g.short,
                                  groups=", ".join(self.cat.units[c].short for c in idx.units))
        key = (idx.code, g.code, str(p), structure)
        if key not in self._groups:
            version = self.version(idx, p)
            scope = None if structure is not None else [m.code for m in self.members(g, p, None)]
            inp = self.inputs(idx, version, g, p, structure, self.reading(version, p, scope))
            ev = evaluate(idx, version, inp)
            self._groups[key] = GroupScore(idx, version, g, p, structure, unit_scores(idx, version, inp, ev), inp, ev)
        return self._groups[key]

    def score(self, idx: IndexDef | str, unit: Unit | str, period: Period | str,
              structure: date | None = None) -> tuple[UnitScore, GroupScore]:
        """One unit's score, with the group it is ranked in."""
        idx = self.cat.index(idx) if isinstance(idx, str) else idx
        p = parse_period(period)
        if isinstance(unit, str):
            unit = self.cat.unit(unit, on=structure or p.end)
        if structure is not None:
            unit = in_structure(self.cat, unit, structure)
        g = self.group_of(idx, unit, Period.day(structure) if structure else p)
        gs = self.group(idx, g, p, structure)
        return gs.of(unit), gs

    def reading(self, version: Version, p: Period, units: Sequence[str] | None = None) -> Engine:
        """The engine, reading what the tree needs for ``p`` up front: every indicator's values in one query (a
        snapshot), every event measure of every unit in one more (a dozen leaves would otherwise cost some thirty
        queries), of ``units`` (None: every unit). Answers are the engine's own; only the reads are gathered."""
        e = self.engine
        codes = sorted({c for n in version.tree.walk() for c in (n.indicator, n.published) if c is not None})
        reader = e.reader
        if not isinstance(reader, Snapshot):
            if e.statuses not in (("approved",), None):
                return e
            policy = PUBLIC if e.statuses else Policy(frozenset(self.cat.units), scope="all")
            reader = Snapshot(reader, p, policy)
        if reader.window.contains(p):
            reader.preload(codes)
        events = e.events
        if events is not None:
            memo = events if isinstance(events, EventMemo) else EventMemo(events)
            windows: dict[date | None, set[str]] = {}
            for c in codes:
                ei = self.cat.event_indicators.get(c)
                if ei is not None:
                    ms = [m for m in ei.measures if self.cat.measures[m].agg != "first_seen"]
                    windows.setdefault(None if ei.cumulative else p.start, set()).update(ms)
            plain, local = e._local_scope(list(units)) if units is not None else (None, [])
            for start, wanted in windows.items():
                if plain is None or plain or not local:
                    memo.prefetch(wanted, start, p.end, plain)
            if local:  # a group of communes or districts: their measures from the per-commune aggregates, at once
                gathered = _LocalGathered(memo)
                for start, wanted in windows.items():
                    gathered.prefetch(wanted, start, p.end, local)
                return Engine(self.cat, reader, gathered, e.statuses)
            events = memo
        return Engine(self.cat, reader, events, e.statuses)

    def inputs(self, idx: IndexDef, version: Version, group: Unit, p: Period, structure: date | None,
               engine: Engine | None = None) -> Inputs:
        engine = engine or self.engine
        members = self.members(group, p, structure)
        pos = {m.code: i for i, m in enumerate(members)}
        n = len(members)

        def values_of(code: str) -> Arr:
            ind = self.cat.indicator(code)
            out = np.full(n, np.nan)
            if group.type is UnitType.GROUP:
                figures = [(r.unit, r.figure) for r in engine.rank(ind, group, p, structure=structure)]
            else:
                figures = [(group, engine.value(ind, group, p, compare=False).figure)]
            for u, f in figures:
                x = exact(ind, f)
                if x is not None and u.code in pos:
                    out[pos[u.code]] = x
            return out

        inp = Inputs(members, {})
        for node in version.tree.walk():
            if node.published is not None:
                inp.published[node.code] = values_of(node.published)
            if node.indicator is None:
                continue
            ind = self.cat.indicator(node.indicator)
            inp.leaves[node.code] = values_of(node.indicator)
            inp.directions[node.code] = node.direction or ind.direction
            if node.score.method == "target" or "target" in node.alternatives:
                t = np.full(n, np.nan)
                for m in members:
                    tg = engine.target(ind, m, p)
                    if tg is not None:
                        t[pos[m.code]] = tg.value
                inp.targets[node.code] = t
        return inp

    # what moved, what would help --------------------------------------------------------------------------------
    def explain(self, idx: IndexDef | str, unit: Unit | str, period: Period | str,
                structure: date | None = None, top: int = 3) -> Explanation:
        idx = self.cat.index(idx) if isinstance(idx, str) else idx
        p = parse_period(period)
        now, gs = self.score(idx, unit, p, structure)
        before: UnitScore | None = None
        prev = p.previous()
        try:
            if idx.version_on(prev.end) is not None:
                before, _ = self.score(idx, now.unit, prev, structure)
        except IndexScoreError:
            before = None
        moves = []
        for code, ns in now.nodes.items():
            old = before.nodes.get(code) if before else None
            if ns.value is not None and old is not None and old.value is not None:
                moves.append(Move(ns.node, ns.depth, old.value, ns.value))
        gains = self.gains(gs, now.unit)[:top]
        return Explanation(idx, now, gs, prev if before is not None else None, before, moves, gains)

    def gains(self, gs: GroupScore, unit: Unit) -> list[Gain]:
        """For each leaf below full marks (or without data), the index value the unit would reach if that leaf
        alone scored full marks, all else equal; the largest gain first."""
        i = [m.code for m in gs.inputs.units].index(unit.code)
        base = gs.of(unit).value
        out = []
        for node in gs.version.tree.walk():
            if not node.is_leaf:
                continue
            s = gs.evaluated.s[node.code]
            if not np.isnan(s[i]) and s[i] >= 1 - 1e-12:
                continue
            forced = s.copy()
            forced[i] = 1.0
            ev = evaluate(gs.index, gs.version, gs.inputs, fixed={node.code: forced})
            root = _f(ev.s[gs.version.tree.code][i])
            if root is None:
                continue
            pts = gs.version.tree.points
            value = root * pts if gs.index.value == "points" and pts else root
            gain = value - (base or 0.0)
            if gain > 1e-12:
                out.append(Gain(node, value, gain, _f(s[i])))
        return sorted(out, key=lambda g: (-g.gain, g.node.code))


@dataclass(frozen=True)
class Move:
    node: Node
    depth: int
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class Gain:
    node: Node
    reach: float  # the index value if this leaf had full marks
    gain: float
    score: float | None  # the leaf's score now (None: no data)


@dataclass(frozen=True)
class Explanation:
    index: IndexDef
    now: UnitScore
    group: GroupScore
    previous: Period | None
    before: UnitScore | None
    moves: list[Move]
    gains: list[Gain]

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index.code, "unit": self.now.unit.code, "period": str(self.group.period),
            "value": self.now.value, "rank": self.now.rank, "of": self.now.of,
            "previous_period": str(self.previous) if self.previous else None,
            "previous_value": self.before.value if self.before else None,
            "previous_rank": self.before.rank if self.before else None,
            "moves": [{"code": m.node.code, "depth": m.depth, "before": m.before, "after": m.after,
                       "change": m.change} for m in self.moves],
            "gains": [{"code": g.node.code, "reach": g.reach, "gain": g.gain, "score": g.score} for g in self.gains],
        }
