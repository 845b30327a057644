"""The demo: a workspace with the national framework, the 2024 figures, a simulated nation, served live.

Steps: make the workspace; load the 2024 figures of the national reports; ingest a simulated 2024
(computed indicators for every ministry and province); create demo users; then serve the dashboard
and stream a simulated 2025 into it over HTTP, so a newcomer sees the numbers move.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from chiso import app as core
from chiso.catalogue.models import PILLAR_NAMES, Pillar
from chiso.engine import Answer
from chiso.i18n import current_lang, fmt_number, fmt_value

DEMO_USERS = (  # username, name, role, unit; password = username + "-demo" (a demo, never a deployment)
    ("admin", "Quản trị quốc gia", "admin", "VN"),
    ("reviewer", "Cán bộ thẩm định (khối tỉnh)", "reviewer", "provinces"),
    ("danang", "Sở KH&CN Đà Nẵng", "reporter", "P48"),
    ("camau", "Sở KH&CN Cà Mau", "reporter", "P96"),
)


def _users(ws: core.Workspace) -> None:
    for username, name, role, unit in DEMO_USERS:
        if ws.store.users.by_username(username) is None:
            ws.store.users.create(username, name, f"{username}-demo", role, unit)


def run_demo(path: Path, actor: str, out: Console, *, serve: bool = True, port: int = 8000,
             scale: float = 0.001) -> None:
    lang = current_lang()
    with Progress(console=out, transient=True) as bar:
        task = bar.add_task("Khởi tạo workspace / making the workspace", total=5)
        ws = core.init_workspace(path)
        bar.advance(task)
        bar.update(task, description="Nạp số liệu 2024 / loading the 2024 figures")
        res = core.load(ws, "vn-2024", actor)
        _users(ws)
        bar.advance(task)
        bar.update(task, description="Mô phỏng 2024 / simulating 2024")
        if ws.store.events.batches_in_state("applied") == []:
            from chiso.simulate import generate

            summary = generate(2024, scale, ws.root / "simulated" / f"2024-{scale:g}")
            ing = ws.ingestor()
            for f in summary.files:
                ing.ingest_file(f)
            ing.events.close()
        bar.advance(task)
        bar.update(task, description="Tính toán / computing")
        rows = _key_rows(ws)
        bar.advance(task)
        bar.update(task, description="Viết báo cáo năm 2024 / writing the 2024 annual report")
        written = core.write_report(ws, "2024", lang=lang, actor=actor)
        bar.advance(task)
    out.print(f"[bold]chiso[/bold] · workspace [cyan]{ws.root}[/cyan] · "
              f"{res.values.inserted + res.values.updated + res.values.unchanged} giá trị / values, "
              f"{len(ws.catalogue.indicators)} chỉ tiêu / indicators, {len(ws.catalogue.units)} đơn vị / units")
    t = Table(title="Chuyển đổi số quốc gia năm 2024 — chỉ tiêu chính" if lang == "vi"
              else "National digital transformation 2024 — key indicators")
    for c in (("Trụ cột", "Pillar"), ("Chỉ tiêu", "Indicator"), ("Đơn vị", "Unit"), ("Giá trị", "Value"),
              ("Nguồn", "Source"), ("Mục tiêu", "Target"), ("Đạt", "Attainment")):
        t.add_column(c[1] if lang == "en" else c[0])
    for pillar, a in rows:
        ind = a.indicator
        v = fmt_value(a.value, ind.unit, ind.decimals, kind=ind.kind)
        if a.figure and a.figure.approximate:
            v = f"{a.figure.qualifier or '~'} {v}"
        src = a.figure.source if a.figure else ""
        t.add_row(PILLAR_NAMES[pillar].get(lang), ind.name.get(lang), a.unit.short, v, src,
                  fmt_value(a.target.value, ind.unit, ind.decimals, kind=ind.kind) if a.target else "",
                  f"{fmt_number(a.attainment * 100, 1)}%" if a.attainment else "")
    out.print(t)
    vi_scale, vi_times = fmt_number(scale, 6, "vi"), fmt_number(1 / scale, 0, "vi")
    en_scale, en_times = fmt_number(scale, 6, "en"), fmt_number(1 / scale, 0, "en")
    out.print(f"[dim]Số liệu 'computed' tính từ sự kiện của quốc gia mô phỏng ở tỷ lệ {vi_scale}: các tỷ lệ (%) so "
              f"được với số công bố, còn các số đếm nhỏ hơn {vi_times} lần; số công bố vẫn hiện bên cạnh.\n"
              f"'computed' figures come from the simulated nation's events at scale {en_scale}: rates compare with "
              f"the published ones, counts are {en_times}× smaller; the published figures stay beside them.[/dim]")
    out.print(("Báo cáo năm 2024" if lang == "vi" else "The 2024 annual report") + ": "
              + " · ".join(str(p) for p in written.files.values()), highlight=False)
    out.print(
        "Thử / try:\n"
        f"  chiso -w {ws.root} value dossier_full_online_rate --unit ministries --period 2024 --json\n"
        f"  chiso -w {ws.root} rank dossier_full_online_rate --group provinces --period 2024\n"
        f"  chiso -w {ws.root} targets\n"
        f"  chiso -w {ws.root} report 2024Q3 --format pdf\n"
        f'  chiso -w {ws.root} value dossier_full_online_rate --unit "Ninh Bình" --period 2024 --structure 2025-07-01'
    )
    if not serve:
        return
    token = ws.store.events.add_source(f"demo-{int(time.time())}", "Luồng mô phỏng 2025", ["*"],
                                       ["dossier", "ndxp"])
    url = f"http://127.0.0.1:{port}"
    out.print(f"\n[bold]Dashboard:[/bold] {url}   ·   đăng nhập / log in: "
              + ", ".join(f"{u} / {u}-demo" for u, *_ in DEMO_USERS)
              + "\nMột năm 2025 mô phỏng đang được gửi trực tiếp / a simulated 2025 is streaming in live."
              + " Ctrl+C to stop.")

    def stream() -> None:
        from chiso.simulate import stream_http

        time.sleep(2)  # let the server bind
        try:
            stream_http(url, token, 2025, scale / 4, rate=300, batch_rows=200)
        except Exception as exc:  # the demo server stopped: nothing to stream to
            out.print(f"[dim]stream ended: {exc}[/dim]")

    threading.Thread(target=stream, daemon=True).start()
    from chiso.web.app import serve as run_server

    run_server(ws, "127.0.0.1", port, log_level="warning")


def _key_rows(ws: core.Workspace) -> list[tuple[Pillar, Answer]]:
    rows: list[tuple[Pillar, Answer]] = []
    for pillar in Pillar:
        for ind in sorted(ws.catalogue.by_pillar(pillar), key=lambda i: i.code):
            if not ind.key:
                continue
            for unit in ("VN", "ministries", "provinces"):
                ans = ws.engine.value(ind, unit, "2024", compare=False)
                if ans.value is not None:
                    rows.append((pillar, ans))
    return rows
