"""How robust an index's ranks are (the JRC/OECD Handbook's uncertainty and sensitivity analysis).

Monte Carlo over what the index's authors could reasonably have chosen otherwise: every weight varies by up to
± ``IndexDef.sensitivity`` of itself (uniformly, then the weights of each parent are renormalised by the
aggregation), and a node with ``alternatives`` switches among its own method and those. The samples are a Latin
hypercube (SALib) from a seed, so the same seed gives the same answer. For each unit: its rank under the
published weights, the median rank and the 5–95 % interval over the samples; a rank whose interval is wider
than ``tolerance`` places is not robust, and says so. Which choice the ranking depends on most: the first-order
sensitivity (RBD-FAST, SALib) of the mean absolute shift in rank to each factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chiso.catalogue.indices import Node
from chiso.engine.indices import GroupScore, evaluate, weight_of
from chiso.errors import IndexScoreError

TOLERANCE = 2  # places: a rank whose 5–95 % interval is wider than this is not robust
MAX_SAMPLES = 20_000


@dataclass(frozen=True)
class Factor:
    node: Node
    kind: str  # weight, method
    choices: tuple[str, ...] = ()  # a method factor's options, its own first

    @property
    def name(self) -> str:
        return f"{self.node.code}:{self.kind}"


@dataclass(frozen=True)
class RankInterval:
    unit: str
    name: str
    rank: int | None  # under the published weights
    median: float | None
    low: int | None  # 5th percentile
    high: int | None  # 95th percentile
    robust: bool | None

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "name": self.name, "rank": self.rank, "median": self.median, "p5": self.low,
                "p95": self.high, "robust": self.robust}


@dataclass(frozen=True)
class Robustness:
    group: GroupScore
    samples: int
    seed: int
    spread: float
    rows: list[RankInterval]  # in the published ranking's order
    sensitivity: list[tuple[Factor, float]]  # first-order index of the mean rank shift, largest first
    mean_shift: float  # places, over units and samples

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.group.index.code, "group": self.group.group.code, "period": str(self.group.period),
            "samples": self.samples, "seed": self.seed, "spread": self.spread, "tolerance": TOLERANCE,
            "mean_rank_shift": self.mean_shift, "rows": [r.as_dict() for r in self.rows],
            "sensitivity": [{"factor": f.name, "node": f.node.code, "kind": f.kind, "s1": s}
                            for f, s in self.sensitivity],
        }


def factors(tree: Node) -> list[Factor]:
    out: list[Factor] = []
    for n in tree.walk():
        if len(n.children) >= 2:
            out.extend(Factor(c, "weight") for c in n.children)
        if n.alternatives:
            own = n.aggregate if n.children else n.score.method
            out.append(Factor(n, "method", (own, *[a for a in n.alternatives if a != own])))
    return out


def _ranks(values: np.ndarray) -> np.ndarray:
    """Competition ranks, higher first; NaN ranks last (after every scored unit)."""
    v = np.where(np.isnan(values), -np.inf, values)
    out: np.ndarray = 1 + (v[None, :] > v[:, None]).sum(axis=1)
    return out


def analyse(gs: GroupScore, samples: int = 1000, seed: int = 0, spread: float | None = None, *,
            sensitivity: bool = True) -> Robustness:
    """Rank intervals over ``samples`` Latin-hypercube draws from ``seed``; with ``sensitivity``, also which factor
    the ranking depends on most (a report that only names intervals skips it)."""
    # here, not at the top: SALib imports scipy.signal and pandas (1,2 s), which every chiso command would pay
    from SALib.analyze import rbd_fast  # type: ignore[import-untyped]
    from SALib.sample import latin  # type: ignore[import-untyped]

    if not 1 <= samples <= MAX_SAMPLES:
        raise IndexScoreError("index.samples", most=MAX_SAMPLES, got=samples)
    idx, version = gs.index, gs.version
    spread = idx.sensitivity if spread is None else spread
    fs = factors(version.tree)
    root = version.tree.code
    ref = gs.evaluated.s[root]
    scored = ~np.isnan(ref)
    ref_rank = _ranks(np.round(ref, 12))
    n = len(gs.inputs.units)
    if not fs or scored.sum() < 2:
        X = np.zeros((0, len(fs)))
        R = np.tile(ref_rank, (max(samples, 1), 1))
    else:
        problem = {"num_vars": len(fs), "names": [f.name for f in fs], "bounds": [[0.0, 1.0]] * len(fs)}
        X = latin.sample(problem, samples, seed=seed)
        R = np.empty((samples, n))
        for k in range(samples):
            weights: dict[str, float] = {}
            methods: dict[str, str] = {}
            for j, f in enumerate(fs):
                u = float(X[k, j])
                if f.kind == "weight":
                    weights[f.node.code] = weight_of(f.node) * (1 - spread + 2 * spread * u)
                else:
                    methods[f.node.code] = f.choices[min(int(u * len(f.choices)), len(f.choices) - 1)]
            ev = evaluate(idx, version, gs.inputs, weights=weights, methods=methods)
            R[k] = _ranks(np.round(ev.s[root], 12))
    shift = np.abs(R[:, scored] - ref_rank[scored]).mean(axis=1) if scored.any() else np.zeros(len(R))
    sens: list[tuple[Factor, float]] = []
    if sensitivity and len(X) >= 10 and float(np.var(shift)) > 0:
        problem = {"num_vars": len(fs), "names": [f.name for f in fs], "bounds": [[0.0, 1.0]] * len(fs)}
        # the point estimate only: its bootstrap confidence interval is not shown, and would double the time
        got = rbd_fast.analyze(problem, X, shift, M=min(10, max(1, len(X) // 20)), num_resamples=2, seed=seed)
        sens = sorted(((f, float(max(0.0, s))) for f, s in zip(fs, got["S1"], strict=True)),
                      key=lambda fs_: (-fs_[1], fs_[0].name))
    rows = []
    for us in gs.units:
        i = [m.code for m in gs.inputs.units].index(us.unit.code)
        if not scored[i]:
            rows.append(RankInterval(us.unit.code, us.unit.short, None, None, None, None, None))
            continue
        col = R[:, i]
        lo, hi = int(np.floor(np.percentile(col, 5))), int(np.ceil(np.percentile(col, 95)))
        rows.append(RankInterval(us.unit.code, us.unit.short, us.rank, float(np.median(col)), lo, hi,
                                 hi - lo <= TOLERANCE))
    return Robustness(gs, samples, seed, spread, rows, sens, float(shift.mean()) if len(shift) else 0.0)
