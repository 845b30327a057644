"""The command line: a thin shell over ``chiso.app`` (the same functions the web application calls)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from chiso import app as core
from chiso.catalogue.models import PILLAR_NAMES, Indicator, Pillar
from chiso.cli.common import WIDE, err, fit_width, out, run, state, workspace
from chiso.cli.events import events_app, ingest, serve, simulate, sources_app
from chiso.cli.extract import extract
from chiso.cli.forecast import forecast
from chiso.cli.indices import index_app
from chiso.cli.notify import notify_app
from chiso.cli.notify import subscribe as subscribe_cmd
from chiso.cli.notify import subscriptions as subscriptions_cmd
from chiso.cli.notify import unsubscribe as unsubscribe_cmd
from chiso.cli.report import report
from chiso.cli.warnings import warnings_app
from chiso.engine import Answer, RankRow
from chiso.errors import ChisoError, ValidationError
from chiso.i18n import current_lang, fmt_number, fmt_value
from chiso.i18n import t as say

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="chiso — giám sát chỉ số chuyển đổi số quốc gia (national digital-transformation indicators).",
)
@app.callback()
def main(
    workspace: Annotated[
        str | None,
        typer.Option("--workspace", "-w", help="workspace folder (default: CHISO_HOME, else the current folder)"),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="store URL: sqlite:///file or postgresql://user@host/db")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="vi (default) or en")] = None,
    actor: Annotated[str | None, typer.Option("--as", help="who is acting, for the audit trail")] = None,
) -> None:
    import os

    state.workspace, state.db = workspace, db
    fit_width()
    if lang:
        os.environ["CHISO_LANG"] = lang
    if actor:
        state.actor = actor


def _ws() -> core.Workspace:
    return workspace()


def _json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def _fmt(ind: Indicator, x: float | None) -> str:
    return fmt_value(x, ind.unit, ind.decimals, kind=ind.kind)



# --- commands -------------------------------------------------------------------------------------


@app.command()
def init(
    path: Annotated[Path | None, typer.Argument(help="folder (default: --workspace, CHISO_HOME or here)")] = None,
) -> None:
    """Tạo workspace (make a workspace)."""
    import os

    def body() -> None:
        root = path or Path(state.workspace or os.environ.get("CHISO_HOME") or ".")
        ws = core.init_workspace(root, state.db)
        cat = ws.catalogue
        summary = say("cli.workspace.summary", indicators=len(cat.indicators), units=len(cat.units))
        out.print(f"Workspace: {ws.root}  ·  store: {ws.store.dialect}  ·  {summary}")

    run(body)


@app.command()
def load(name: Annotated[str, typer.Argument(help="dataset name, e.g. vn-2024")]) -> None:
    """Nạp bộ số liệu có sẵn (load a shipped dataset)."""

    def body() -> None:
        res = core.load(_ws(), name, state.actor)
        v, t = res.values, res.targets
        out.print(say("cli.load.done", name=name, inserted=v.inserted, updated=v.updated,
                      unchanged=v.unchanged, targets_written=t.inserted + t.updated, targets_unchanged=t.unchanged))

    run(body)


@app.command()
def value(
    code: Annotated[str, typer.Argument(help="indicator code, e.g. dossier_full_online_rate")],
    unit: Annotated[str, typer.Option("--unit", "-u", help="unit code or name; VN, ministries, provinces")] = "VN",
    period: Annotated[
        str,
        typer.Option(
            "--period",
            "-p",
            help="2024, 2024S1, 2024Q3, 2024-04, 2024-W15, 2024-04-15, 2024-01..2024-09; "
            "default: the latest period with data",
        ),
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    structure: Annotated[
        str | None,
        typer.Option("--structure", help="answer in the unit structure of 2024, 2025 or a date, e.g. 2025-07-01"),
    ] = None,
    estimate: Annotated[
        str | None,
        typer.Option("--estimate", help="with --structure: an indicator whose values weight an estimate, if needed"),
    ] = None,
    latest: Annotated[
        bool,
        typer.Option("--latest", help="failing a figure for the period, the latest sub-period inside it that has one"),
    ] = False,
) -> None:
    """Giá trị một chỉ tiêu (the value of an indicator for a unit and period)."""
    from chiso.engine import rebase
    from chiso.engine.latest import latest_period
    from chiso.engine.reading import Reader
    from chiso.engine.structure import parse_structure

    def body() -> None:
        ws = _ws()
        if estimate and not structure:
            raise ChisoError(say("rebase.estimate_needs_structure", None))
        on = parse_structure(structure)
        ind = ws.catalogue.indicator(code)
        asked = period or str(latest_period(ws.engine, ind))
        ans = ws.engine.value(ind, unit, asked, structure=on, estimate=estimate)
        as_of = None
        if latest and on is None and ans.value is None:
            _, as_of = Reader(ws.engine).latest_answer(ind, ans.unit, ans.period)
            if as_of is not None:
                ans = ws.engine.value(ind, ans.unit, as_of)
        f = ans.figure
        rb = f.rebase if f is not None else None
        refused = rb is not None and rb.refused
        message = None
        if rb is not None:
            if refused:
                message = rebase.refusal(rb, ans.indicator, ws.catalogue, ans.period, estimate_possible=not estimate)
            else:
                message = rebase.describe(rb, ws.catalogue, ans.period)
        if as_json:
            d = ans.as_dict()
            if as_of is not None:
                d["period"], d["as_of"] = asked, str(as_of)
            if on is not None:
                d["structure"] = on.isoformat()
                d["rebased_from"] = list(rb.rebased_from) if rb else []
                d["estimated"] = rb is not None and rb.estimate is not None and not refused
                if message:
                    d["message"] = message
                if rb is not None and refused:
                    d["missing"] = [x.as_dict() for x in rb.lacks]
            _json(d)
        elif refused:
            err.print(message, highlight=False)
        else:
            _print_answer(ans, asked if as_of is not None else None)
            if message:
                out.print(message, highlight=False)
        if refused:
            raise typer.Exit(1)

    run(body)


def _print_answer(ans: Answer, asked: str | None = None) -> None:
    """Label and value, two columns: they fit any width, a long name wrapping inside its column."""
    ind, f = ans.indicator, ans.figure
    t = Table(show_header=False, box=None)
    t.add_column(no_wrap=True)
    t.add_column()
    t.add_row(say("cli.label.indicator"), f"{ind.name.get(current_lang())} [dim]({ind.code})[/dim]")
    t.add_row(say("cli.label.unit"), f"{ans.unit.short} [dim]({ans.unit.code})[/dim]")
    shown = str(ans.period) if asked is None else f"{asked} ({say('as_of', None, period=ans.period)})"
    t.add_row(say("cli.label.period"), shown)
    val = _fmt(ind, ans.value)
    if f is not None and f.approximate:
        val += f" ({f.qualifier or say('cli.label.approx')})"
    t.add_row(say("cli.label.value"), f"[bold]{val}[/bold]")
    if ans.target is not None:
        t.add_row(say("cli.label.target"), _fmt(ind, ans.target.value))
        if ans.attainment is not None:
            t.add_row(say("cli.label.attainment"), f"{fmt_number(ans.attainment * 100, 1)}%")
    if f is not None:
        src = say(f"figure.source.{f.source}")
        if f.document:
            src += f" · {f.document}" + (f" §{f.paragraph}" if f.paragraph else "")
        if f.period and f.period != str(ans.period):
            src += f" · {say('cli.label.as_of')} {f.period}"
        if f.coverage:
            src += f" · {f.coverage[0]}/{f.coverage[1]} {say('cli.label.coverage')}"
        t.add_row(say("cli.label.source"), src)
    for key, other in (("cli.label.previous", ans.previous), ("cli.label.last_year", ans.last_year)):
        if other is not None and other.value is not None:
            t.add_row(say(key), f"{_fmt(ind, other.value)} ({other.period})")
    for a in ans.alternatives:
        doc = f" · {a.document} §{a.paragraph}" if a.document else ""
        source = say(f"figure.source.{a.source}")
        t.add_row(say("cli.label.alternatives"), f"{_fmt(ind, a.value)} [dim]({source}{doc})[/dim]")
    out.print(t)


@app.command()
def rank(
    code: Annotated[str, typer.Argument(help="indicator code")],
    group: Annotated[str, typer.Option("--group", "-g", help="ministries or provinces")] = "provinces",
    period: Annotated[str, typer.Option("--period", "-p", help="default: the latest period with data")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    structure: Annotated[
        str | None,
        typer.Option("--structure", help="rank the members of the unit structure of 2024, 2025 or a date"),
    ] = None,
    estimate: Annotated[
        str | None,
        typer.Option("--estimate", help="with --structure: an indicator whose values weight an estimate, if needed"),
    ] = None,
    latest: Annotated[
        bool,
        typer.Option("--latest", help="when nobody has a value for the period, rank its latest sub-period that has"),
    ] = False,
) -> None:
    """Xếp hạng thành viên của một khối (rank a group's members)."""
    from chiso.catalogue.periods import parse_period
    from chiso.engine import rebase
    from chiso.engine.latest import latest_period
    from chiso.engine.reading import Reader
    from chiso.engine.structure import parse_structure

    def body() -> None:
        ws = _ws()
        if estimate and not structure:
            raise ChisoError(say("rebase.estimate_needs_structure", None))
        ind = ws.catalogue.indicator(code)
        on = parse_structure(structure)
        p = parse_period(period) if period else latest_period(ws.engine, ind)
        g = ws.catalogue.unit(group, on=p.end)
        # the structure a period is shown in, and the fallback, as the web and the API decide them
        rk = Reader(ws.engine).ranking(ind, g, p, on, estimate, fallback=latest)
        rows, shown = rk.rows, rk.structure
        moved = [r for r in rows if r.figure is not None and r.figure.rebase is not None]
        summary = None
        if shown is not None:
            summary = say(
                "rebase.rank",
                None,
                period=rebase.period_words(parse_period(rk.shown_period)),
                date=rebase.fmt_date(shown),
                n=len(moved),
            )
        if as_json:
            d: dict[str, Any] = {"code": ind.code, "group": g.code, "period": str(p)}
            if rk.as_of is not None:
                d["as_of"] = rk.as_of
            if shown is not None:
                d["structure"] = shown.isoformat()
                d["message"] = summary
            d["ranking"] = [r.as_dict() for r in rows]
            _json(d)
            return
        title = f"{ind.name.get(current_lang())} · {p}"
        if rk.as_of is not None:
            title += f" ({say('as_of', None, period=rk.as_of)})"
        if shown is not None:
            title += f" · {say('rebase.structure', None)} {rebase.fmt_date(shown)}"
        out.print(f"[bold]{title}[/bold]", highlight=False)  # above the table: it wraps at the console's width
        out.print(_rank_table(ind, rows))
        if summary:
            out.print(f"* {summary}", highlight=False)
        for r in moved:
            assert r.figure is not None and r.figure.rebase is not None
            if r.figure.rebase.refused:
                out.print(f"  - {r.figure.note}", highlight=False)

    run(body)


def _rank_table(ind: Indicator, rows: Sequence[RankRow]) -> Table:
    """Rank, unit, value, source; without borders on a narrow terminal, so that an 80-column line holds a row."""
    narrow = out.width < WIDE
    t = Table(box=None if narrow else box.SQUARE, pad_edge=not narrow)
    t.add_column(say("cli.label.rank"), justify="right", no_wrap=True)
    t.add_column(say("cli.label.unit"), no_wrap=True)
    t.add_column(say("cli.label.value"), justify="right")
    t.add_column(say("cli.label.source"))
    for r in rows:
        val = _fmt(ind, r.value)
        if r.figure is not None and r.figure.value is not None and r.figure.approximate:
            val += f" ({r.figure.qualifier or say('cli.label.approx')})"
        t.add_row(
            "" if r.rank is None else str(r.rank),
            r.unit.short + (" *" if r.figure is not None and r.figure.rebase is not None else ""),
            val,
            say(f"figure.source.{r.figure.source}") if r.figure else "",
        )
    return t


@app.command()
def targets(
    indicator: Annotated[str | None, typer.Option("--indicator", "-i")] = None,
    unit: Annotated[str | None, typer.Option("--unit", "-u")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Mục tiêu (targets), với nguồn."""

    def body() -> None:
        ws = _ws()
        cat = ws.catalogue
        ind = cat.indicator(indicator).code if indicator else None
        units = [cat.unit(unit).code] if unit else None
        periods = [period] if period else None
        rows = ws.store.targets(indicator=ind, units=units, periods=periods)
        if as_json:
            _json([r.model_dump() for r in rows])
            return
        t = Table()
        for c in ("cli.label.indicator", "cli.label.unit", "cli.label.period", "cli.label.target", "cli.label.source"):
            t.add_column(say(c))
        for r in rows:
            i = cat.indicators.get(r.indicator)
            shown = _fmt(i, r.value) if i else str(r.value)
            src = f"{r.source} §{r.paragraph}" if r.paragraph else (r.source or "")
            t.add_row(r.indicator, cat.units[r.unit].short if r.unit in cat.units else r.unit, r.period, shown, src)
        out.print(t)

    run(body)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or dataValueSets JSON")],
    keep_good: Annotated[
        bool, typer.Option("--keep-good", help="keep the good rows; write rejected rows with reasons")
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="where rejected rows go (default FILE.rejected.csv)")
    ] = None,
) -> None:
    """Nhập số liệu từ tệp (import values); mặc định: tất cả hoặc không gì cả."""

    def body() -> None:
        ws = _ws()
        try:
            res = core.import_file(ws, file, actor=state.actor, keep_good=keep_good, rejects=rejects)
        except ValidationError as exc:
            err.print(say("import.failed", None, file=str(file), n=len(exc.problems)), highlight=False)
            for p in exc.problems:
                err.print(f"  - {p.render()}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        w = res.written
        out.print(say("import.ok", None, inserted=w.inserted, updated=w.updated, unchanged=w.unchanged, file=res.file))
        if res.rejected:
            err.print(say("import.rejected", None, n=len(res.rejected), file=str(res.rejects_file)), highlight=False)
            raise typer.Exit(1)

    run(body)


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, json (dataValueSets) or sdmx-csv")] = "csv",
    indicator: Annotated[str | None, typer.Option("--indicator", "-i")] = None,
    unit: Annotated[str | None, typer.Option("--unit", "-u")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="values inside this period")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default: standard output)")] = None,
    structure: Annotated[
        Path | None, typer.Option("--structure", help="with sdmx-csv: also write the SDMX-ML structure (DSD) here")
    ] = None,
    status: Annotated[
        str,
        typer.Option("--status", help="approved (published values only, the default) or all (drafts, returned too)"),
    ] = "approved",
) -> None:
    """Xuất số liệu (export values): CSV, dataValueSets JSON, SDMX-CSV."""
    from chiso.report import exports

    def body() -> None:
        ws = _ws()
        vals = core.select_values(ws, indicator=indicator, unit=unit, period=period, status=status)
        writers = {"csv": exports.export_csv, "json": exports.export_datavaluesets, "sdmx-csv": exports.export_sdmx_csv}
        if fmt not in writers:
            raise ChisoError(f"unknown format {fmt!r}; expected one of: {', '.join(writers)}")
        if fmt == "sdmx-csv":  # one observation per key: the figure that answers
            vals = ws.engine.best_per_key(vals)
            if structure:
                structure.write_text(exports.sdmx_structure_xml(), encoding="utf-8")
        text = writers[fmt](vals)
        which = say("cli.export.status_all" if status == "all" else "cli.export.status_approved")
        if output:
            output.write_text(text, encoding="utf-8")
            out.print(f"{len(vals)} → {output}")
            out.print(which, highlight=False)
        else:
            sys.stdout.write(text)
            err.print(which, highlight=False)  # standard output stays the file

    run(body)


@app.command()
def indicators(
    pillar: Annotated[str | None, typer.Option("--pillar")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Danh mục chỉ tiêu (the indicator catalogue)."""

    def body() -> None:
        ws = _ws()
        inds = list(ws.catalogue.indicators.values())
        if pillar:
            inds = [i for i in inds if i.pillar.value == pillar]
        if as_json:
            _json([i.model_dump(mode="json") for i in inds])
            return
        t = Table()
        for c in ("cli.label.code", "cli.label.name", "cli.label.kind", "cli.label.pillar"):
            t.add_column(say(c))
        lang = current_lang()
        for i in sorted(inds, key=lambda i: (list(Pillar).index(i.pillar), i.code)):
            t.add_row(i.code, i.name.get(lang), i.kind, PILLAR_NAMES[i.pillar].get(lang))
        out.print(t)

    run(body)


@app.command()
def units(
    group: Annotated[str | None, typer.Option("--group", "-g")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Danh mục đơn vị (organisation units)."""

    def body() -> None:
        ws = _ws()
        cat = ws.catalogue  # the districts and communes are listed by their groups (P01.communes), not by default
        us = cat.members(cat.unit(group).code) if group else [u for u in cat.units.values() if not cat.is_local(u)]
        if as_json:
            _json([u.model_dump(mode="json") for u in us])
            return
        t = Table()
        for c in ("cli.label.code", "cli.label.name", "cli.label.type", "cli.label.region"):
            t.add_column(say(c))
        for u in us:
            t.add_row(u.code, u.name, u.type.value, u.region or "")
        out.print(t)

    run(body)


@app.command()
def history(
    code: Annotated[str, typer.Argument()],
    unit: Annotated[str, typer.Option("--unit", "-u")] = "VN",
    period: Annotated[str | None, typer.Option("--period", "-p")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Lịch sử thay đổi một giá trị (audit trail: who, when, before, after)."""

    def body() -> None:
        ws = _ws()
        ind = ws.catalogue.indicator(code)
        u = ws.catalogue.unit(unit)
        rows = ws.store.history(indicator=ind.code, unit=u.code, period=period)
        if as_json:
            _json([r.__dict__ for r in rows])
            return
        t = Table()
        for c in ("cli.label.when", "cli.label.who", "cli.label.action", "cli.label.what", "cli.label.period",
                  "cli.label.before", "cli.label.after"):
            t.add_column(say(c))
        for r in rows:
            b = "" if r.before is None else str(r.before.get("value"))
            a = "" if r.after is None else str(r.after.get("value"))
            what = say("cli.label.target") if r.entity == "target" else say("cli.label.value")
            t.add_row(r.at.isoformat(sep=" "), r.actor, r.action, what, r.period or "", b, a)
        out.print(t)

    run(body)


@app.command()
def check() -> None:
    """Kiểm tra định nghĩa (check the catalogue, including the workspace's own definitions)."""

    def body() -> None:
        ws = _ws()
        cat = ws.catalogue
        out.print("OK: " + say("cli.workspace.summary", indicators=len(cat.indicators), units=len(cat.units))
                  + ", " + say("cli.index.check", n=len(cat.indices)))

    run(body)


@app.command()
def demo(
    path: Annotated[Path, typer.Argument(help="workspace folder for the demo")] = Path("chiso-demo"),
    no_serve: Annotated[bool, typer.Option("--no-serve", help="build the workspace and stop, without serving")] = False,
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Chạy bản trình diễn: số liệu 2024, quốc gia mô phỏng, dashboard trực tiếp (the demo)."""
    from chiso.cli.demo import run_demo

    run(lambda: run_demo(path, state.actor, out, serve=not no_serve, port=port))


app.command()(ingest)
app.command()(simulate)
app.command()(serve)
app.command()(report)
app.command()(extract)
app.command()(forecast)
app.add_typer(events_app, name="events")
app.add_typer(sources_app, name="sources")
app.add_typer(index_app, name="index")
app.add_typer(warnings_app, name="warnings")
app.add_typer(notify_app, name="notify")
app.command("subscribe")(subscribe_cmd)
app.command("subscriptions")(subscriptions_cmd)
app.command("unsubscribe")(unsubscribe_cmd)


if __name__ == "__main__":  # pragma: no cover
    app()
