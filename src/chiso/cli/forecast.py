"""``chiso forecast``: where each figure is heading by year end, against its target (issue 15 §1).

A thin command over ``chiso.engine.foresight`` (the projections) and ``chiso.report.foresight_text`` (the same
sentences the web and the written reports say).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from chiso.cli.common import WIDE, as_of_date, out, run, workspace
from chiso.engine.foresight import Foresight, Projection
from chiso.engine.structure import parse_structure
from chiso.errors import ChisoError
from chiso.i18n import current_lang
from chiso.i18n import t as say
from chiso.report.foresight_text import (
    fmt,
    fmt_probability,
    level_name,
    method_sentence,
    sentences,
    unit_name,
    unreachable,
)


def forecast(
    code: Annotated[str | None, typer.Argument(help="indicator code (omit with --behind)")] = None,
    unit: Annotated[str, typer.Option("--unit", "-u", help="unit or group code or name")] = "VN",
    year: Annotated[int | None, typer.Option("--year", "-y", help="the year to project (default: this year)")] = None,
    behind: Annotated[bool, typer.Option("--behind", help="every unit likely to miss a target, most at risk first")]
    = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="project from the data to this date (YYYY-MM-DD)")]
    = None,
    structure: Annotated[
        str | None, typer.Option("--structure", help="project in the unit structure of 2024, 2025 or a date")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Dự báo cuối năm so với chỉ tiêu (year-end projection against the target)."""

    def body() -> None:
        ws = workspace()
        y = year or date.today().year
        if not 2000 <= y <= 2100:
            raise ChisoError(say("cli.forecast.bad_year", None, value=y))
        cut, on = as_of_date(as_of), parse_structure(structure)
        fs = Foresight(ws.engine)
        lang = current_lang()
        if behind:
            rows, checked = fs.behind(y, as_of=cut, structure=on)
            if as_json:
                sys.stdout.write(json.dumps({"year": y, "projected": checked, "behind": [p.as_dict() for p in rows]},
                                            ensure_ascii=False, indent=2) + "\n")
                return
            if not rows:
                out.print(say("foresight.behind.none", None, year=y, checked=checked), highlight=False)
                return
            out.print(say("foresight.behind.title", None, year=y, n=len(rows)), highlight=False)
            out.print(_behind_table(rows, lang))
            return
        if code is None:
            raise ChisoError(say("cli.forecast.need_code", None))
        p = fs.project(code, unit, y, as_of=cut, structure=on)
        if as_json:
            sys.stdout.write(json.dumps(p.as_dict(), ensure_ascii=False, indent=2) + "\n")
            return
        _print(p, lang)

    run(body)


def _print(p: Projection, lang: str) -> None:
    t = Table(show_header=False, box=None)
    t.add_column(no_wrap=True)
    t.add_column()
    t.add_row(say("cli.label.indicator"), f"{p.indicator.name.get(lang)} [dim]({p.indicator.code})[/dim]")
    t.add_row(say("cli.label.unit"), f"{unit_name(p, lang)} [dim]({p.unit.code})[/dim]")
    t.add_row(say("cli.label.period"), str(p.year))
    if p.as_of is not None:
        t.add_row(say("foresight.label.as_of"), p.as_of.isoformat())
    if p.actual is not None:
        t.add_row(say("foresight.label.so_far"), fmt(p, p.actual, lang))
    if p.value is not None:
        t.add_row(say("foresight.label.projection"), f"[bold]{fmt(p, p.value, lang)}[/bold]")
        if p.method != "final":
            t.add_row(say("foresight.label.interval", None, level=level_name(lang)),
                      f"{fmt(p, p.low, lang)} – {fmt(p, p.high, lang)}")
    if p.target is not None:
        t.add_row(say("cli.label.target"), fmt(p, p.target.value, lang))
    if p.probability is not None and p.method != "final":
        t.add_row(say("foresight.label.probability"), fmt_probability(p.probability, lang))
    t.add_row(say("foresight.label.method"), method_sentence(p, lang))
    out.print(t)
    for s in sentences(p, lang):
        out.print(s, highlight=False)


def _behind_table(rows: list[Projection], lang: str) -> Table:
    narrow = out.width < WIDE
    t = Table(box=None if narrow else box.SQUARE, pad_edge=not narrow)
    for h, right in ((say("cli.label.unit"), False), (say("cli.label.indicator"), False),
                     (say("foresight.label.projection"), True), (say("foresight.label.interval", None,
                                                                     level=level_name(lang)), True),
                     (say("cli.label.target"), True), (say("foresight.label.probability"), True),
                     (say("foresight.label.per_month"), True)):
        t.add_column(h, justify="right" if right else "left")
    for p in rows:
        step = say("foresight.unreachable_short") if unreachable(p) else fmt(p, p.per_month, lang, step=True)
        t.add_row(unit_name(p, lang), p.indicator.code, fmt(p, p.value, lang),
                  f"{fmt(p, p.low, lang)} – {fmt(p, p.high, lang)}", fmt(p, p.target.value if p.target else None, lang),
                  fmt_probability(p.probability, lang) if p.probability is not None else "—", step)
    return t

