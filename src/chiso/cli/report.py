"""``chiso report PERIOD``: write the written report of a period (HTML, PDF, DOCX) into the workspace."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from chiso import app as core
from chiso.cli.common import err, fail_on_errors, out, state, workspace
from chiso.engine.structure import parse_structure
from chiso.errors import ChisoError
from chiso.i18n import current_lang, t

FORMATS = ("html", "pdf", "docx")


def report(
    period: Annotated[str, typer.Argument(help="2024, 2024Q3, 2024-04, 2024S1, 2024-01..2024-09")],
    formats: Annotated[
        list[str] | None, typer.Option("--format", "-f", help="html, pdf, docx (repeat; default: all three)")
    ] = None,
    template: Annotated[
        str | None, typer.Option("--template", "-t", help="report template id (default: by the period's kind)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="folder (default: the workspace's reports/)")
    ] = None,
    structure: Annotated[
        str | None, typer.Option("--structure", help="show units in the structure of 2024, 2025 or a date (2025-07-01)")
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option("--unit", "-u", help="a province (\"Đà Nẵng\", P48): its own report, its communes ranked"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print what was written as JSON")] = False,
) -> None:
    """Viết báo cáo của một kỳ (write the report of a period): HTML, PDF, DOCX; với --unit, báo cáo của một tỉnh."""
    with fail_on_errors():
        fmts = tuple(dict.fromkeys(f.lower() for f in (formats or FORMATS)))
        bad = [f for f in fmts if f not in FORMATS]
        if bad:
            raise ChisoError(f"--format {bad[0]!r}: expected one of {', '.join(FORMATS)}")
        when = parse_structure(structure)
        ws = workspace()
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                      transient=True) as progress:
            task = progress.add_task(t("cli.report.writing"))

            def step(what: str) -> None:
                progress.update(task, description=what)

            written = core.write_report(
                ws, period, formats=fmts, template=template, lang=current_lang(), out=output, structure=when,
                actor=state.actor, progress=step, unit=unit, unit_field="--unit",
            )
        if as_json:
            sys.stdout.write(json.dumps(written.as_dict(), ensure_ascii=False, indent=2) + "\n")
            return
        out.print(f"[bold]{written.title}[/bold]", highlight=False)
        for fmt, path in written.files.items():
            out.print(f"  {fmt.upper():5} {path}", highlight=False)
        if written.missing:
            out.print(t("cli.report.missing", missing=written.missing), highlight=False)
