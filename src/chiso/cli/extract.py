"""``chiso extract FILE``: read the figures of a published report back, review them, import them with provenance."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chiso import app as core
from chiso.catalogue import Catalogue, load_catalogue
from chiso.catalogue.periods import Period
from chiso.cli.common import err, fail_on_errors, out, state, workspace
from chiso.errors import ChisoError, ValidationError, WorkspaceError
from chiso.i18n import current_lang, fmt_value, t
from chiso.ingest.extract import Proposal, document_period, is_binary_document, read_document

_ALL = {"a", "all", "tất cả", "tat ca", "*"}
_NONE = {"", "n", "none", "no", "không", "khong", "0"}


def parse_selection(text: str, n: int) -> list[int] | None:
    """'all' → every index, '' → none, '1-5,8' → [0..4, 7] (0-based); None when the text is not a selection."""
    s = text.strip().lower()
    if s in _ALL:
        return list(range(n))
    if s in _NONE:
        return []
    chosen: list[int] = []
    for part in re.split(r"[,\s;]+", s):
        if not part:
            continue
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            return None
        lo, hi = int(m[1]), int(m[2] or m[1])
        if not 1 <= lo <= hi <= n:
            return None
        chosen.extend(i - 1 for i in range(lo, hi + 1) if i - 1 not in chosen)
    return chosen


def _value_text(cat: Catalogue, p: Proposal, x: float | None) -> str:
    ind = cat.indicators.get(p.code)
    if ind is None or x is None:
        return "—" if x is None else str(x)
    return fmt_value(x, ind.unit, ind.decimals, kind=ind.kind)


def _snippet(p: Proposal, width: int = 90) -> str:
    s = p.where.snippet
    at = s.find(p.text) if p.text else -1
    if len(s) <= width:
        return s
    a = max(0, min(at - width // 3, len(s) - width)) if at >= 0 else 0
    return ("…" if a else "") + s[a : a + width] + ("…" if a + width < len(s) else "")


def review_table(cat: Catalogue, proposals: list[Proposal], width: int) -> Table:
    """The proposals, numbered; the indicator's name only when the terminal is wide enough."""
    wide = width >= 150
    table = Table(show_lines=False, header_style="bold", pad_edge=False)
    columns = ["cli.label.code"] + (["cli.label.indicator"] if wide else [])
    columns += ["cli.label.unit", "cli.label.period", "cli.label.value", "cli.label.target"]
    table.add_column("#", no_wrap=True, min_width=4)
    for msg_id in columns:
        table.add_column(t(msg_id), min_width=7)
    table.add_column(t("cli.label.line"), no_wrap=True, min_width=4)
    table.add_column(t("cli.label.excerpt"), overflow="fold", max_width=max(24, width // 3))
    lang = current_lang()
    for i, p in enumerate(proposals, start=1):
        ind = cat.indicators.get(p.code)
        unit = cat.units.get(p.unit)
        value = _value_text(cat, p, p.value)
        if p.value is not None and p.qualifier:
            value = f"{p.qualifier} {value}"
        row = [f"{i}⚑" if p.flagged else str(i), p.code] + ([ind.name.get(lang) if ind else ""] if wide else [])
        row += [
            (unit.name_en if lang == "en" and unit.name_en else unit.short) if unit else p.unit,
            p.period,
            value,
            _value_text(cat, p, p.target) if p.target is not None else "",
            str(p.where.line),
            _snippet(p, max(24, width // 3)),
        ]
        table.add_row(*row)
    return table


def _choose(n: int) -> list[int]:
    for _ in range(3):
        answer = typer.prompt(t("extract.prompt"), default="", show_default=False)
        chosen = parse_selection(answer, n)
        if chosen is not None:
            return chosen
        err.print(t("extract.bad_selection", None, text=answer, n=n), highlight=False)
    raise typer.Exit(2)


def extract(
    file: Annotated[
        Path, typer.Argument(help="báo cáo: văn bản, HTML, PDF hoặc DOCX (a report: text, HTML, PDF or DOCX)")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="in các đề xuất dạng JSON (print the proposals as JSON)")
    ] = False,
    accept_all: Annotated[
        bool, typer.Option("--accept-all", help="nhập tất cả, không hỏi (import them all without asking)")
    ] = False,
    period: Annotated[
        str | None,
        typer.Option("--period", help="kỳ của báo cáo nếu tiêu đề không ghi (the report's period: 2024, 2024Q3…)"),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="tên nguồn (source title; default: the report's first line)")
    ] = None,
) -> None:
    """Đọc lại số liệu từ báo cáo đã công bố (read figures back from a published report), xem lại và nhập."""
    with fail_on_errors():
        if period is not None:
            period = str(Period.parse(period))
        try:
            ws: core.Workspace | None = workspace()
        except WorkspaceError:
            if not as_json or accept_all:
                raise
            ws = None  # reading needs only the catalogue
        cat = ws.catalogue if ws is not None else load_catalogue()
        limits = ws.limits if ws is not None else core.Limits.read({}, "")
        if file.is_file() and not is_binary_document(file.name):  # a PDF, a DOCX: bounded by read_document
            limits.check_text_bytes(str(file), file.stat().st_size)
        text, fmt = read_document(file)
        limits.check_text(str(file), text.replace("\f", "").replace("\t", ""))
        doc_period = Period.parse(period) if period else document_period(text)
        if doc_period is None:
            raise ChisoError(t("extract.no_period", None, file=str(file)))
        doc, proposals = core.read_report(cat, text, file.name, period, title=title, fmt=fmt)
        if as_json:
            sys.stdout.write(json.dumps([p.as_dict() for p in proposals], ensure_ascii=False, indent=2) + "\n")
            if not accept_all:
                return
        elif not proposals:
            out.print(t("extract.none", None, file=str(file)), highlight=False)
            return
        else:
            out.print(t("extract.found", None, n=len(proposals), file=str(file), period=str(doc_period)))
            out.print(review_table(cat, proposals, out.width))
            reasons = sorted({p.reason for p in proposals if p.flagged and p.reason})
            if reasons:
                out.print(t("extract.flag_note", None, reasons="; ".join(reasons)), highlight=False)
        if accept_all:  # never a flagged one: its unit or period was not stated (a reviewer may still pick it)
            chosen = [i for i, p in enumerate(proposals) if not p.flagged]
            skipped = len(proposals) - len(chosen)
            if skipped:
                (err if as_json else out).print(t("extract.skipped_flagged", None, n=skipped), highlight=False)
        else:
            chosen = _choose(len(proposals))
        if not chosen:
            out.print(t("extract.nothing"))
            return
        assert ws is not None
        try:
            res = core.accept_proposals(ws, doc, [proposals[i] for i in chosen], actor=state.actor)
        except ValidationError as exc:
            err.print(t("extract.failed", None, n=len({p.row for p in exc.problems})), highlight=False)
            for pr in exc.problems:
                err.print(f"  - {pr.render()}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        v = res.values
        say = err if as_json else out  # keep stdout pure JSON
        say.print(
            t(
                "extract.accepted",
                None,
                values=v.inserted + v.updated + v.unchanged,
                inserted=v.inserted,
                updated=v.updated,
                unchanged=v.unchanged,
                targets=res.targets.inserted + res.targets.updated + res.targets.unchanged,
                file=file.name,
                source=res.source,
            ),
            highlight=False,
        )
