"""Composite indices in words: a unit's score, what moved it, what would raise it, how robust its rank is.

One home for these sentences: the command line, the web's scorecard and the written reports all say them the
same way, in Vietnamese first (English with ``lang="en"``), numbers in the language's style.
"""

from __future__ import annotations

from chiso.catalogue.indices import IndexDef, Node
from chiso.engine.indices import Explanation, GroupScore, UnitScore
from chiso.engine.robustness import Robustness
from chiso.i18n import MESSAGES, fmt_number, t
from chiso.report.document import Run
from chiso.report.phrasing import Piece, period_name, render


def say(msg_id: str, lang: str, /, **pieces: Piece) -> list[Run]:
    """A message of the table (``chiso.i18n``) as a report's runs: a placeholder takes text or runs, so a figure
    stays its own run carrying what it states (the written reports' index part)."""
    vi, en = MESSAGES[msg_id]
    return render(en if lang == "en" else vi, pieces)


def rules_applied(us: UnitScore, gs: GroupScore) -> set[str]:
    """The missing-data rules that filled a gap in a unit's score (those of the nodes scored on partial data)."""
    return {(n.missing or gs.version.missing).rule for n in gs.version.tree.walk() if n.children
            and us.nodes[n.code].coverage < 1 - 1e-9}


def node_name(node: Node, lang: str) -> str:
    return node.name.en if lang == "en" else node.name.vi


def index_name(idx: IndexDef, lang: str) -> str:
    return idx.label.en if lang == "en" else idx.label.vi


def fmt_index(idx: IndexDef, value: float | None, lang: str) -> str:
    """A node's value as the index publishes it: points to two decimals, a 0–1 score to four."""
    return fmt_number(value, 2 if idx.value == "points" else idx.decimals, lang, trim=False)


def fmt_share(x: float, lang: str) -> str:
    return fmt_number(100 * x, 1, lang) + (" %" if lang == "en" else "%")


def score_sentence(us: UnitScore, gs: GroupScore, lang: str = "vi") -> str:
    idx = gs.index
    name = us.unit.name_en if lang == "en" and us.unit.name_en else us.unit.short
    if us.value is None:
        return t("index.score_unranked", lang, unit=name, index=index_name(idx, lang),
                 period=period_name(gs.period, lang), coverage=fmt_share(us.top.coverage, lang))
    pts = gs.version.tree.points
    of = t("index.of_points", lang, points=fmt_number(pts, 0, lang)) if idx.value == "points" and pts else ""
    rating = t("index.rating", lang, rating=(us.rating.label.en if lang == "en" else us.rating.label.vi)) \
        if us.rating else ""
    return t("index.score", lang, unit=name, index=index_name(idx, lang), period=period_name(gs.period, lang),
             value=fmt_index(idx, us.value, lang), of=of, rank=us.rank, total=us.of, rating=rating)


def coverage_sentence(us: UnitScore, gs: GroupScore, lang: str = "vi") -> str | None:
    """Said wherever a score is shown that some of its data were missing, and which rule filled the gap."""
    if us.top.coverage >= 1 - 1e-9:
        return None
    rules = rules_applied(us, gs)
    said = "; ".join(t(f"index.rule.{r}", lang) for r in sorted(rules)) or t("index.rule.refuse", lang)
    return t("index.coverage", lang, coverage=fmt_share(us.top.coverage, lang), rule=said)


def explanation_sentences(ex: Explanation, lang: str = "vi") -> list[str]:
    idx = ex.index
    out = [score_sentence(ex.now, ex.group, lang)]
    cov = coverage_sentence(ex.now, ex.group, lang)
    if cov:
        out.append(cov)
    for ns in ex.now.nodes.values():
        if ns.source == "published" and ns.computed is not None:
            comp = ns.computed * (ns.max_points or 1) if idx.value == "points" else ns.computed
            out.append(t("index.published", lang, node=node_name(ns.node, lang), value=fmt_index(idx, ns.value, lang),
                         computed=fmt_index(idx, comp, lang)))
    points = t("index.points_word", lang) if idx.value == "points" else ""
    if ex.before is None or ex.previous is None or ex.before.value is None or ex.now.value is None:
        out.append(t("index.no_previous", lang))
    else:
        root = next((m for m in ex.moves if m.depth == 0), None)
        change = root.change if root else 0.0
        if abs(change) < 0.5 * 10 ** -(2 if idx.value == "points" else idx.decimals):
            out.append(t("index.moved_none", lang, previous=period_name(ex.previous, lang),
                         before=fmt_index(idx, ex.before.value, lang)))
        else:
            parts = sorted((m for m in ex.moves if m.depth == 1 and abs(m.change) > 1e-9),
                           key=lambda m: -abs(m.change))[:3]
            out.append(t("index.moved", lang, previous=period_name(ex.previous, lang),
                         before=fmt_index(idx, ex.before.value, lang),
                         direction=t("index.up" if change > 0 else "index.down", lang),
                         change=fmt_index(idx, abs(change), lang), points=points,
                         parts="; ".join(t("index.part", lang, node=node_name(m.node, lang),
                                           change=("+" if m.change > 0 else "−") + fmt_index(idx, abs(m.change), lang))
                                         for m in parts)))
    if idx.value == "points":
        leaves = sorted((ns for ns in ex.now.nodes.values() if ns.node.is_leaf and ns.gap and ns.gap > 0.005),
                        key=lambda ns: -(ns.gap or 0))[:3]
        for ns in leaves:
            out.append(t("index.gap", lang, node=node_name(ns.node, lang), points=fmt_number(ns.points, 2, lang),
                         max=fmt_number(ns.max_points, 0, lang), gap=fmt_number(ns.gap, 2, lang)))
    for g in ex.gains:
        msg = "index.gain_missing" if g.score is None else "index.gain"
        out.append(t(msg, lang, node=node_name(g.node, lang), index=index_name(idx, lang),
                     reach=fmt_index(idx, g.reach, lang), gain=fmt_index(idx, g.gain, lang)))
    return out


def robustness_sentences(rb: Robustness, unit: str | None = None, lang: str = "vi") -> list[str]:
    out = []
    for r in rb.rows:
        if r.rank is None or (unit is not None and r.unit != unit):
            continue
        out.append(t("index.robust" if r.robust else "index.not_robust", lang, unit=r.name, low=r.low, high=r.high,
                     median=fmt_number(r.median, 1, lang)))
    if rb.sensitivity:
        f, s1 = rb.sensitivity[0]
        factor = t(f"index.factor.{f.kind}", lang, node=node_name(f.node, lang))
        out.append(t("index.depends", lang, factor=factor, s1=fmt_number(s1, 2, lang)))
    return out
