"""The demo: a workspace with the national framework and the 2024 figures, answering queries."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from chiso import app as core
from chiso.catalogue.models import PILLAR_NAMES, Pillar
from chiso.i18n import current_lang, fmt_number, fmt_value


def run_demo(path: Path, actor: str, out: Console) -> None:
    lang = current_lang()
    with Progress(console=out, transient=True) as bar:
        task = bar.add_task("Khởi tạo workspace / making the workspace", total=3)
        ws = core.init_workspace(path)
        bar.advance(task)
        bar.update(task, description="Nạp số liệu 2024 / loading the 2024 figures")
        res = core.load(ws, "vn-2024", actor)
        bar.advance(task)
        bar.update(task, description="Tính toán / computing")
        cat, eng = ws.catalogue, ws.engine
        rows = []
        for pillar in Pillar:
            for ind in sorted(cat.by_pillar(pillar), key=lambda i: i.code):
                if not ind.key:
                    continue
                for unit in ("VN", "ministries", "provinces"):
                    ans = eng.value(ind, unit, "2024", compare=False)
                    if ans.value is not None:
                        rows.append((pillar, ans))
        bar.advance(task)
    out.print(
        f"[bold]chiso[/bold] · workspace [cyan]{ws.root}[/cyan] · "
        f"{res.values.inserted + res.values.updated + res.values.unchanged} giá trị / values, "
        f"{len(cat.indicators)} chỉ tiêu / indicators, {len(cat.units)} đơn vị / units"
    )
    t = Table(
        title="Chuyển đổi số quốc gia năm 2024 — chỉ tiêu chính"
        if lang == "vi"
        else "National digital transformation 2024 — key indicators"
    )
    for c in (
        ("Trụ cột", "Pillar"),
        ("Chỉ tiêu", "Indicator"),
        ("Đơn vị", "Unit"),
        ("Giá trị", "Value"),
        ("Mục tiêu", "Target"),
        ("Đạt", "Attainment"),
    ):
        t.add_column(c[1] if lang == "en" else c[0])
    for pillar, a in rows:
        ind = a.indicator
        v = fmt_value(a.value, ind.unit, ind.decimals, kind=ind.kind)
        if a.figure and a.figure.approximate:
            v = f"{a.figure.qualifier or '~'} {v}"
        t.add_row(
            PILLAR_NAMES[pillar].get(lang),
            ind.name.get(lang),
            a.unit.short,
            v,
            fmt_value(a.target.value, ind.unit, ind.decimals, kind=ind.kind) if a.target else "",
            f"{fmt_number(a.attainment * 100, 1)}%" if a.attainment else "",
        )
    out.print(t)
    out.print(
        "Thử / try:\n"
        f"  chiso -w {ws.root} value dossier_full_online_rate --unit ministries --period 2024 --json\n"
        f"  chiso -w {ws.root} rank procedures_full_online_rate --group provinces --period 2024-09\n"
        f"  chiso -w {ws.root} targets"
    )
