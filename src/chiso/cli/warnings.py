"""``chiso warnings``: the early warnings (issue 15 §2) — list them, mark one seen or resolved, run every check now.

Thin commands over ``chiso.app`` (the listing and the moves) and ``chiso.watch`` (the checks); the sentences are
``chiso.report.warnings_text``'s, as on the web.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from chiso import app as core
from chiso.cli.common import WIDE, as_of_date, out, run, state, workspace
from chiso.i18n import current_lang, fmt_date
from chiso.i18n import t as say
from chiso.report.warnings_text import describe, kind_name, state_name, unit_label

warnings_app = typer.Typer(help="Cảnh báo sớm (early warnings: silent sources, breaks, off track, late reports)",
                           invoke_without_command=True, no_args_is_help=False)

IdArg = Annotated[int, typer.Argument(help="the warning's number (chiso warnings lists them)", min=1, max=2**31 - 1)]


@warnings_app.callback()
def warnings(
    ctx: typer.Context,
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="this unit and the units below it")] = None,
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="silent, break, fall, off_track or late")] = None,
    state_: Annotated[str | None, typer.Option("--state", "-s", help="new, seen or resolved")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Liệt kê cảnh báo sớm (list the early warnings, the latest first)."""
    if ctx.invoked_subcommand is not None:
        return

    def body() -> None:
        ws = workspace()
        rows = core.list_warnings(ws, unit=unit, kinds=[kind] if kind else None,
                                  states=[state_] if state_ else None, limit=limit)
        lang = current_lang()
        if as_json:
            json.dump([w.as_dict() | {"text": describe(ws.catalogue, w, lang)} for w in rows], sys.stdout,
                      ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
            return
        if not rows:
            out.print(say("cli.warnings.none"))
            return
        table = Table(box=box.SIMPLE if out.width >= WIDE else None, show_edge=False)
        for col in ("id", "kind", "unit", "state", "since", "what"):
            table.add_column(say(f"cli.warnings.col.{col}"), overflow="fold")
        for w in rows:
            table.add_row(str(w.id), kind_name(w.kind, lang), unit_label(ws.catalogue, w.unit, lang),
                          state_name(w.state, lang), fmt_date(w.since.date(), lang), describe(ws.catalogue, w, lang))
        out.print(table)

    run(body)


def _move(wid: int, to: str) -> None:
    def body() -> None:
        w = core.set_warning_state(workspace(), None, wid, to, state.actor)
        out.print(say("cli.warnings.moved", id=w.id, state=state_name(w.state), actor=w.state_by or ""))

    run(body)


@warnings_app.command("seen")
def seen(wid: IdArg) -> None:
    """Đánh dấu đã xem (mark a warning seen)."""
    _move(wid, "seen")


@warnings_app.command("resolve")
def resolve(wid: IdArg) -> None:
    """Đánh dấu đã xử lý (mark a warning resolved)."""
    _move(wid, "resolved")


@warnings_app.command("check")
def check(
    year: Annotated[int | None, typer.Option("--year", "-y", help="the year whose targets are projected "
                                             "(default: this year)", min=1900, max=2200)] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="judge deadlines and project as on this date "
                                              "(YYYY-MM-DD; default: today)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Chạy mọi kiểm tra ngay (run every check now: silent sources, series, projections, deadlines)."""

    def body() -> None:
        found = workspace().watch().check(today=as_of_date(as_of), year=year)
        if as_json:
            json.dump(found, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
            return
        out.print(say("cli.warnings.checked", **found["recorded"]))

    run(body)
