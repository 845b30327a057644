"""Composite indices as data: a tree of nodes over the catalogue's indicators (docs/indices.md).

An *index* (the 766 index, the DTI, the EGDI) has versions, each valid for a span of dates and each a tree:
the root, its pillars and sub-indices, and leaves bound to indicators. A leaf says how its indicator's value
becomes a score in [0, 1] (``Scoring``); an inner node says how its children's scores combine (``aggregate``)
and what happens when some are missing (``Missing``). A node carries either maximum points (the 766 index:
18 + 20 + … = 100) or a relative weight (the EGDI: a third each); a parent's children are weighed by either.

The engine (``chiso.engine.indices``) scores a tree; this module only defines and checks it, so ``chiso check``
refuses a weight that does not sum, a leaf that is not in the catalogue or a cycle, naming file, entry and why.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chiso.catalogue import yamlfile
from chiso.catalogue.models import Direction, Indicator, Text, Unit
from chiso.errors import DefinitionError

CODE = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
Method = Literal["threshold", "goalposts", "minmax", "target", "zscore", "rank", "given"]
Aggregation = Literal["arithmetic", "geometric", "harmonic", "minimum"]
MissingRule = Literal["refuse", "zero", "mean", "reweight"]
GROUP_METHODS = frozenset({"minmax", "zscore", "rank"})  # a unit's score depends on the others of its group
TOLERANCE = 1e-6  # children's points or weights must sum to the parent's within this
MAX_DEPTH = 8  # index → pillar → index → sub-index … far deeper than any published index
MAX_NODES = 500


class _Strict(BaseModel):
    # NaN and infinities are refused everywhere: a threshold of .nan would silently unscore every unit.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Scoring(_Strict):
    """How a leaf's value becomes a score in [0, 1] (``zscore`` alone is unbounded)."""

    method: Method = "given"
    # threshold: full marks at or beyond this value (the 766 rule: 80 %)
    full_at: float | None = Field(default=None, ge=-1e12, le=1e12)
    min: float | None = Field(default=None, ge=-1e12, le=1e12)  # goalposts
    max: float | None = Field(default=None, ge=-1e12, le=1e12)
    scale: float = Field(default=1.0, gt=0, le=1e12)  # given: the value that is full marks (1 for a 0–1 index value)

    @model_validator(mode="after")
    def _params(self) -> Scoring:
        if self.method == "threshold" and (self.full_at is None or self.full_at <= 0):
            raise ValueError("threshold scoring needs full_at above 0 (the value that earns full marks)")
        if self.method == "goalposts" and (self.min is None or self.max is None or self.min >= self.max):
            raise ValueError("goalposts scoring needs min below max")
        return self


class Missing(_Strict):
    """What a node does when some children have no score: ``refuse`` (no score), ``zero`` (they score 0),
    ``mean`` (they take the group's mean of that child), ``reweight`` (the others share their weight); and the
    share of the children's weight that must be scored before the node is scored at all."""

    rule: MissingRule = "refuse"
    min_coverage: float = Field(default=1.0, ge=0, le=1)


class Node(_Strict):
    code: str = Field(pattern=CODE, max_length=120)
    name: Text
    points: float | None = Field(default=None, gt=0, le=1e6)
    weight: float | None = Field(default=None, gt=0, le=1e6)
    indicator: str | None = None  # a leaf: the catalogue indicator it scores
    direction: Direction | None = None  # default: the indicator's
    score: Scoring = Scoring()
    published: str | None = None  # an indicator holding the node's published value, taken when it cannot be computed
    aggregate: Aggregation = "arithmetic"
    missing: Missing | None = None  # default: the version's
    alternatives: tuple[Aggregation | Method, ...] = ()  # what the sensitivity analysis may switch to
    source: str | None = None  # where the rule is written (a decision, its annex, a methodology note)
    note: Text | None = None
    children: tuple[Node, ...] = ()

    @field_validator("weight", mode="before")
    @classmethod
    def _fraction(cls, v: object) -> object:
        """``1/3`` is a weight: thirds and ninths do not sum to 1 in decimals."""
        if isinstance(v, str) and "/" in v:
            a, _, b = v.partition("/")
            try:
                return float(a) / float(b)
            except (ValueError, ZeroDivisionError):
                raise ValueError(f"expected a number or a fraction such as 1/3, not {v!r}") from None
        return v

    @model_validator(mode="after")
    def _shape(self) -> Node:
        if self.points is not None and self.weight is not None:
            raise ValueError("give points or weight, not both")
        if self.children and self.indicator:
            raise ValueError("a node with children scores them; only a leaf names an indicator (see `published`)")
        if not self.children and not self.indicator:
            raise ValueError("a leaf needs an indicator")
        for alt in self.alternatives:
            is_method = alt in Method.__args__  # type: ignore[attr-defined]
            if is_method == bool(self.children):
                raise ValueError(f"alternative {alt!r}: a leaf may switch scoring methods, a parent aggregations")
        return self

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            yield from c.walk()


class Rating(_Strict):
    """A band of the published value (e.g. Xuất sắc from 90 points) with its traffic-light colour."""

    min: float
    label: Text
    colour: Literal["green", "lime", "amber", "orange", "red", "grey"] = "grey"


class Version(_Strict):
    id: str = Field(min_length=1, max_length=80)
    valid_from: date
    valid_to: date | None = None  # inclusive
    source: str | None = None
    missing: Missing = Missing()
    tree: Node

    def valid_on(self, d: date) -> bool:
        return self.valid_from <= d and (self.valid_to is None or d <= self.valid_to)


class IndexDef(_Strict):
    code: str = Field(pattern=CODE, max_length=80)
    name: Text
    short: Text | None = None
    description: Text | None = None
    units: tuple[str, ...] = Field(min_length=1)  # groups whose members it scores (or single units)
    # The levels below the province it also scores (the 766 index: People's Committees at every level): each
    # district or commune is ranked among its province's (``<P>.districts``, ``<P>.communes``), and any group of
    # units of these levels may be ranked (``<P>.urban``, the national ``communes``).
    levels: tuple[Literal["district", "commune"], ...] = ()
    value: Literal["points", "score"] = "score"  # published as points (766: of 100) or a 0–1 score (DTI, EGDI)
    decimals: int = Field(default=4, ge=0, le=6)
    rebase: bool = False  # whether figures of a former structure may be rebased into a newer one and scored
    ratings: tuple[Rating, ...] = ()
    sensitivity: float = Field(default=0.25, ge=0, lt=1)  # weights vary by ± this share in the uncertainty analysis
    versions: tuple[Version, ...] = Field(min_length=1)

    def version_on(self, d: date) -> Version | None:
        for v in self.versions:
            if v.valid_on(d):
                return v
        return None

    def rating(self, value: float | None) -> Rating | None:
        if value is None:
            return None
        best = None
        for r in sorted(self.ratings, key=lambda r: r.min):
            if value >= r.min - 1e-9:
                best = r
        return best

    @property
    def label(self) -> Text:
        return self.short or self.name

    def scores_level(self, unit: Unit) -> bool:
        """Whether ``unit`` is a district or commune of a level this index scores."""
        return unit.is_local and unit.type.value in self.levels


def _children_weights(node: Node) -> list[float]:
    return [c.points if c.points is not None else (c.weight or 0.0) for c in node.children]


def check_index(idx: IndexDef, indicators: Mapping[str, Indicator], units: Mapping[str, Unit]) -> list[str]:
    """Every breach of an index's rules that its model cannot see alone: unknown indicators and units,
    points or weights that do not sum, repeated codes, overlapping versions. Empty when sound."""
    out: list[str] = []
    for g in idx.units:
        if g not in units:
            out.append(f"units: {g!r} is not a unit or group of the catalogue")
    if len(set(idx.levels)) != len(idx.levels):
        out.append("levels: a level is named twice")
    spans = sorted(idx.versions, key=lambda v: v.valid_from)
    for a, b in itertools.pairwise(spans):
        if a.valid_to is None or a.valid_to >= b.valid_from:
            out.append(f"versions {a.id!r} and {b.id!r} overlap: a period must have one version")
    for v in idx.versions:
        if v.valid_to is not None and v.valid_to < v.valid_from:
            out.append(f"version {v.id!r}: valid_to is before valid_from")
        root = v.tree
        if root.code != idx.code:
            out.append(f"version {v.id!r}: the tree's root must carry the index's code {idx.code!r}, not {root.code!r}")
        seen: set[str] = set()
        nodes = list(root.walk())
        if len(nodes) > MAX_NODES:
            out.append(f"version {v.id!r}: {len(nodes)} nodes, more than {MAX_NODES}")
        for n in nodes:
            if n.code in seen:
                out.append(f"version {v.id!r}: node {n.code!r} appears twice (a tree has no cycle or repeat)")
            seen.add(n.code)
            if not n.code.startswith(idx.code):
                out.append(f"node {n.code!r}: codes start with the index's code {idx.code!r}")
            for ref, what in ((n.indicator, "indicator"), (n.published, "published")):
                if ref is not None and ref not in indicators:
                    out.append(f"node {n.code!r}: {what} {ref!r} is not in the catalogue")
            if n.children:
                ws = _children_weights(n)
                if any(c.points is None and c.weight is None for c in n.children):
                    out.append(f"node {n.code!r}: every child needs points or a weight")
                elif n.points is not None and all(c.points is not None for c in n.children):
                    if abs(sum(ws) - n.points) > TOLERANCE * max(1.0, n.points):
                        out.append(f"node {n.code!r}: children's points sum to {sum(ws):g}, not {n.points:g}")
                elif all(c.weight is not None for c in n.children):
                    if abs(sum(ws) - 1.0) > TOLERANCE:
                        out.append(f"node {n.code!r}: children's weights sum to {sum(ws):g}, not 1")
                else:
                    out.append(f"node {n.code!r}: children mix points and weights, or give points under a node "
                               "without points")
            if n.score.method == "zscore" and idx.value == "points":
                out.append(f"node {n.code!r}: z-scores are unbounded and cannot earn points")
        if _depth(root) > MAX_DEPTH:
            out.append(f"version {v.id!r}: deeper than {MAX_DEPTH} levels")
    return out


def _depth(n: Node) -> int:
    return 1 + max((_depth(c) for c in n.children), default=0)


def _nesting(obj: Any, limit: int) -> bool:
    """Whether YAML nests deeper than ``limit`` (a cyclic or hostile document is refused before validation)."""
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        o, d = stack.pop()
        if d > limit:
            return True
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o)
    return False


def load_indices(
    files: Iterable[tuple[int, Path]], indicators: Mapping[str, Indicator], units: Mapping[str, Unit]
) -> dict[str, IndexDef]:
    """Index definitions from ``(level, path)`` pairs: level 0 is the shipped catalogue, higher levels a
    workspace's; a later level overrides an index of the same code, the same level may not define it twice."""
    out: dict[str, IndexDef] = {}
    where: dict[str, tuple[int, str]] = {}
    for level, path in files:
        try:
            doc = yamlfile.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise DefinitionError(str(path), None, f"not valid YAML: {exc}") from None
        if doc is None:
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("indices"), list):
            raise DefinitionError(str(path), None, "expected a top-level key 'indices' holding a list")
        for i, entry in enumerate(doc["indices"], start=1):
            label = f"entry {i}" + (f" ({entry.get('code')})" if isinstance(entry, dict) and entry.get("code") else "")
            if not isinstance(entry, dict):
                raise DefinitionError(str(path), label, "expected a mapping of fields")
            if _nesting(entry, 4 * MAX_DEPTH + 8):
                raise DefinitionError(str(path), label, f"nested deeper than an index of {MAX_DEPTH} levels")
            try:
                idx = IndexDef.model_validate(entry)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(x) for x in err["loc"])
                raise DefinitionError(str(path), label, f"{loc}: {err['msg']}" if loc else str(err["msg"])) from None
            for breach in check_index(idx, indicators, units):
                raise DefinitionError(str(path), label, breach)
            if idx.code in where and where[idx.code][0] == level:
                first = where[idx.code][1]
                raise DefinitionError(str(path), label, f"index {idx.code!r} is already defined in {first}")
            out[idx.code] = idx
            where[idx.code] = (level, str(path))
    return out
