"""``chiso index …``: composite indices (the 766 index, the DTI, the EGDI) on the command line.

Thin commands over ``chiso.engine.indices`` (scores, ranks, explanations), ``chiso.engine.robustness`` (how robust
the ranks are) and ``chiso.report.index_text`` (the same sentences the web and the written reports say).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from chiso import app as core
from chiso.catalogue.indices import IndexDef
from chiso.catalogue.models import Unit
from chiso.catalogue.periods import Period, parse_period
from chiso.cli.common import WIDE, err, out, run, workspace
from chiso.engine.indices import GroupScore, IndexScorer, NodeScore, UnitScore
from chiso.i18n import current_lang, fmt_number
from chiso.i18n import t as say
from chiso.report.index_text import (
    coverage_sentence,
    explanation_sentences,
    fmt_index,
    fmt_share,
    index_name,
    node_name,
    robustness_sentences,
    rules_applied,
    score_sentence,
)
from chiso.report.phrasing import period_name

index_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Chỉ số tổng hợp: Chỉ số 766, DTI, EGDI (composite indices): list, score, rank, explain, sensitivity.",
)

IndexArg = Annotated[str, typer.Argument(help="index code: qd766, dti_province, dti_ministry, egdi")]
PeriodOpt = Annotated[
    str, typer.Option("--period", "-p", help="2024, 2024Q3, 2024-09, or cumulative to a date: 2024-01..2024-09")
]
StructureOpt = Annotated[
    str | None, typer.Option("--structure", help="score in the unit structure of 2024, 2025 or a date (2025-07-01)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object")]


def _json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")



def _scorer(ws: core.Workspace) -> IndexScorer:
    return IndexScorer(ws.engine)


def _unit(ws: core.Workspace, name: str, p: Period, on: Any) -> Unit:
    """The unit asked for, by code or name, in the structure asked (or that of the period's end)."""
    return ws.catalogue.unit(name, on=on or p.end)


def _rating(us: UnitScore, lang: str) -> str:
    if us.rating is None:
        return ""
    return us.rating.label.en if lang == "en" else us.rating.label.vi


def _versions(idx: IndexDef) -> list[dict[str, Any]]:
    return [{"id": v.id, "valid_from": v.valid_from.isoformat(),
             "valid_to": v.valid_to.isoformat() if v.valid_to else None, "source": v.source} for v in idx.versions]


def _span(v: dict[str, Any]) -> str:
    if v["valid_to"] is None:
        return say("cli.index.from", None, start=v["valid_from"])
    return say("cli.index.span", None, start=v["valid_from"], end=v["valid_to"])


def _kind(idx: IndexDef) -> str:
    if idx.value == "points":
        pts = idx.versions[-1].tree.points or 100
        return say("cli.index.kind.points", None, points=fmt_number(pts, 0))
    return say("cli.index.kind.score")


def _table(*headers: str, right: tuple[int, ...] = ()) -> Table:
    narrow = out.width < WIDE
    t = Table(box=None if narrow else box.SQUARE, pad_edge=not narrow)
    for i, h in enumerate(headers):
        t.add_column(h, justify="right" if i in right else "left")
    return t


# --- list ------------------------------------------------------------------------------------------------------
@index_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Danh mục chỉ số tổng hợp (the composite indices): mã, tên, đơn vị chấm, phiên bản, kiểu giá trị."""

    def body() -> None:
        ws = workspace()
        cat, lang = ws.catalogue, current_lang()
        rows: list[dict[str, Any]] = []
        for idx in sorted(cat.indices.values(), key=lambda i: i.code):
            rows.append({
                "code": idx.code, "name": idx.name.vi, "name_en": idx.name.en, "short": idx.label.vi,
                "short_en": idx.label.en, "units": list(idx.units), "levels": list(idx.levels),
                "unit_names": [cat.units[u].short for u in idx.units if u in cat.units],
                "versions": _versions(idx), "value": idx.value, "decimals": idx.decimals,
                "points": idx.versions[-1].tree.points if idx.value == "points" else None,
                "rebase": idx.rebase,
            })
        if as_json:
            _json(rows)
            return
        t = _table(say("cli.label.code"), say("cli.label.name"), say("cli.index.label.scores"),
                   say("cli.index.label.versions"), say("cli.index.label.value_kind"))
        for idx, r in zip(sorted(cat.indices.values(), key=lambda i: i.code), rows, strict=True):
            versions = "\n".join(f"{v['id']}: {_span(v)}" for v in r["versions"])
            scores = [*r["unit_names"], *(say(f"cli.index.level.{lv}") for lv in idx.levels)]
            t.add_row(idx.code, idx.name.en if lang == "en" else idx.name.vi, ", ".join(scores), versions, _kind(idx))
        out.print(t)

    run(body)


# --- score -----------------------------------------------------------------------------------------------------
def _node_label(ns: NodeScore, lang: str) -> str:
    name = node_name(ns.node, lang)
    return "  " * ns.depth + (f"[bold]{name}[/bold]" if ns.depth == 0 else name)


def _nodes_table(idx: IndexDef, us: UnitScore, lang: str) -> Table:
    points = idx.value == "points"
    heads = [say("cli.index.label.node"), say("cli.label.value")]
    if points:
        heads.append(say("cli.index.label.full"))
    heads += [say("cli.index.label.raw"), say("cli.index.label.coverage"), say("cli.label.source")]
    t = _table(*heads, right=tuple(range(1, len(heads) - 1)))
    for ns in us.nodes.values():
        row = [_node_label(ns, lang), fmt_index(idx, ns.value, lang)]
        if points:
            row.append(fmt_number(ns.max_points, 0, lang) if ns.max_points is not None else "")
        row += ["" if ns.raw is None else fmt_number(ns.raw, 2, lang), fmt_share(ns.coverage, lang),
                say(f"index.source.{ns.source}")]
        t.add_row(*row)
    return t


def _score_dict(us: UnitScore, gs: GroupScore, lang: str) -> dict[str, Any]:
    return {
        "index": gs.index.code, "unit": us.unit.code, "name": us.unit.short, "group": gs.group.code,
        "period": str(gs.period), "structure": gs.structure.isoformat() if gs.structure else None,
        "version": gs.version.id, "value_kind": gs.index.value, "value": us.value, "rank": us.rank, "of": us.of,
        "rating": us.rating.label.vi if us.rating else None, "rating_en": us.rating.label.en if us.rating else None,
        "coverage": us.top.coverage, "source": us.top.source,
        "nodes": {code: ns.as_dict() for code, ns in us.nodes.items()},
        "sentences": [s for s in (score_sentence(us, gs, lang), coverage_sentence(us, gs, lang),
                                  _missing_one(us, lang)) if s],
        "missing": [ns.node.code for ns in _missing_of(us)],
    }


def _missing_of(us: UnitScore) -> list[NodeScore]:
    return [ns for ns in us.nodes.values() if ns.node.is_leaf and ns.source == "none"]


def _missing_one(us: UnitScore, lang: str) -> str | None:
    """Which sub-criteria a scored unit lacks (a commune's reported ones, usually), named, not only counted."""
    gone = _missing_of(us)
    if us.value is None or not gone:
        return None
    return say("cli.index.missing_one", lang, criteria="; ".join(node_name(ns.node, lang) for ns in gone))


def _missing_sentence(gs: GroupScore, lang: str) -> str | None:
    """Beside a ranking: the sub-criteria some scored units lack, how many, and the rule that filled the gap."""
    gone = gs.missing_leaves()
    scored = [us for us in gs.units if us.value is not None]
    if not gone or not scored:
        return None
    rules: set[str] = set().union(*(rules_applied(us, gs) for us in scored))
    rule = "; ".join(say(f"index.rule.{r}", lang) for r in sorted(rules)) or say("index.rule.refuse", lang)
    criteria = "; ".join(f"{node_name(n, lang)} ({k}/{len(scored)})" for n, k in gone)
    return say("cli.index.missing", lang, criteria=criteria, rule=rule)


@index_app.command()
def score(
    index: IndexArg,
    unit: Annotated[str, typer.Option("--unit", "-u", help="unit code or name: a province, a ministry, VN")],
    period: PeriodOpt,
    structure: StructureOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Điểm của một đơn vị (one unit's score): từng tiêu chí, điểm, điểm tối đa, thứ hạng, xếp loại."""
    from chiso.engine.structure import parse_structure

    def body() -> None:
        ws = workspace()
        lang = current_lang()
        idx = ws.catalogue.index(index)
        on = parse_structure(structure)
        p = parse_period(period)
        u = _unit(ws, unit, p, on)
        us, gs = _scorer(ws).score(idx, u, p, on)
        d = _score_dict(us, gs, lang)
        if as_json:
            _json(d)
            return
        title = say("cli.index.title", None, index=index_name(idx, lang), unit=us.unit.short,
                    period=period_name(gs.period, lang), version=gs.version.id)
        out.print(f"[bold]{title}[/bold]", highlight=False)
        out.print(_nodes_table(idx, us, lang))
        for s in d["sentences"]:
            out.print(s, highlight=False)

    run(body)


# --- rank ------------------------------------------------------------------------------------------------------
@index_app.command()
def rank(
    index: IndexArg,
    period: PeriodOpt,
    group: Annotated[str, typer.Option("--group", "-g", help="provinces or ministries")] = "provinces",
    structure: StructureOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Xếp hạng một khối theo chỉ số (rank a group by an index): hạng, điểm, phủ dữ liệu, xếp loại."""
    from chiso.engine.structure import parse_structure

    def body() -> None:
        ws = workspace()
        lang = current_lang()
        idx = ws.catalogue.index(index)
        on = parse_structure(structure)
        p = parse_period(period)
        g = ws.catalogue.unit(group, on=on or p.end)
        gs = _scorer(ws).group(idx, g, p, on)
        missing = _missing_sentence(gs, lang)
        if as_json:
            d = gs.as_dict()
            for row, us in zip(d["rows"], gs.units, strict=True):
                row["rating_en"] = us.rating.label.en if us.rating else None
            d["missing"] = [{"code": n.code, "name": n.name.vi, "name_en": n.name.en, "units": k}
                            for n, k in gs.missing_leaves()]
            d["sentences"] = [missing] if missing else []
            _json(d)
            return
        title = say("cli.index.rank_title", None, index=index_name(idx, lang), group=g.short,
                    period=period_name(gs.period, lang), version=gs.version.id)
        out.print(f"[bold]{title}[/bold]", highlight=False)
        t = _table(say("cli.label.rank"), say("cli.label.unit"), say("cli.label.value"),
                   say("cli.index.label.rating"), say("cli.index.label.coverage"), right=(0, 2, 4))
        for us in gs.units:
            t.add_row("" if us.rank is None else str(us.rank), us.unit.short, fmt_index(idx, us.value, lang),
                      _rating(us, lang), fmt_share(us.top.coverage, lang))
        out.print(t)
        if missing:
            out.print(missing, highlight=False)

    run(body)


# --- explain ---------------------------------------------------------------------------------------------------
@index_app.command()
def explain(
    index: IndexArg,
    unit: Annotated[str, typer.Option("--unit", "-u", help="unit code or name")],
    period: PeriodOpt,
    as_json: JsonOpt = False,
) -> None:
    """Giải thích điểm (explain a score): thay đổi so với kỳ trước, tiêu chí mất điểm, cách tăng điểm nhiều nhất."""

    def body() -> None:
        ws = workspace()
        lang = current_lang()
        idx = ws.catalogue.index(index)
        p = parse_period(period)
        ex = _scorer(ws).explain(idx, _unit(ws, unit, p, None), p)
        sentences = explanation_sentences(ex, lang)
        if as_json:
            _json({**ex.as_dict(), "sentences": sentences})
            return
        for s in sentences:
            out.print(s, highlight=False)

    run(body)


# --- sensitivity -----------------------------------------------------------------------------------------------
@index_app.command()
def sensitivity(
    index: IndexArg,
    period: PeriodOpt,
    group: Annotated[str, typer.Option("--group", "-g", help="provinces or ministries")] = "provinces",
    samples: Annotated[int, typer.Option("--samples", "-n", help="Monte Carlo samples (1–20000)")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="the same seed gives the same answer")] = 0,
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="say the sentence of this unit's rank")] = None,
    top: Annotated[int, typer.Option("--top", help="how many sensitivity factors to show")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Độ vững của thứ hạng (how robust the ranks are): trung vị, khoảng 5–95 %, yếu tố ảnh hưởng nhiều nhất."""
    from chiso.engine.robustness import TOLERANCE, analyse

    def body() -> None:
        ws = workspace()
        lang = current_lang()
        idx = ws.catalogue.index(index)
        p = parse_period(period)
        g = ws.catalogue.unit(group, on=p.end)
        gs = _scorer(ws).group(idx, g, p)
        code = ws.catalogue.unit(unit, on=p.end).code if unit else None
        if as_json:
            rb = analyse(gs, samples=samples, seed=seed)
            _json({**rb.as_dict(), "sentences": robustness_sentences(rb, code, lang)})
            return
        with err.status(say("cli.index.analysing", None, samples=samples)):
            rb = analyse(gs, samples=samples, seed=seed)
        out.print("[bold]" + say("cli.index.sensitivity_title", None, index=index_name(idx, lang), group=g.short,
                                 period=period_name(gs.period, lang), samples=samples, seed=seed,
                                 spread=fmt_share(rb.spread, lang)) + "[/bold]", highlight=False)
        t = _table(say("cli.label.rank"), say("cli.label.unit"), say("cli.index.label.median"),
                   say("cli.index.label.interval"), say("cli.index.label.robust"), right=(0, 2, 3))
        for r in rb.rows:
            t.add_row("" if r.rank is None else str(r.rank), r.name,
                      "" if r.median is None else fmt_number(r.median, 1, lang),
                      "" if r.low is None else f"{r.low}–{r.high}",
                      "" if r.robust is None else say("cli.index.yes" if r.robust else "cli.index.no"))
        out.print(t)
        ranked = [r for r in rb.rows if r.robust is not None]
        out.print(say("cli.index.robust_count", None, robust=sum(1 for r in ranked if r.robust), total=len(ranked),
                      tolerance=TOLERANCE, shift=fmt_number(rb.mean_shift, 2, lang)), highlight=False)
        if rb.sensitivity and top > 0:
            out.print(say("cli.index.top_factors"), highlight=False)
            ft = _table(say("cli.index.label.factor"), say("cli.index.label.s1"), right=(1,))
            for f, s1 in rb.sensitivity[:top]:
                ft.add_row(say(f"index.factor.{f.kind}", None, node=node_name(f.node, lang)), fmt_number(s1, 3, lang))
            out.print(ft)
        said = robustness_sentences(rb, code, lang)
        if code is None:  # every unit's sentence is a row of the table: only what the ranking depends on
            said = said[-1:] if rb.sensitivity else []
        for s in said:
            out.print(s, highlight=False)

    run(body)
