"""The demo: a workspace with the national framework, the figures of a shipped dataset, a simulated nation,
served live.

Steps: make the workspace; load the figures of the national reports (``vn-2024``); ingest a simulated nation
for the year those figures are for (computed indicators for every ministry and province); create demo users;
then serve the dashboard and stream the following year into it over HTTP, so a newcomer sees the numbers
move. No year is written here: the one shown is the latest with data (``chiso.engine.latest``).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console, Group
from rich.padding import Padding
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from chiso import app as core
from chiso.catalogue.models import PILLAR_NAMES, Pillar
from chiso.catalogue.periods import Period
from chiso.engine import Answer
from chiso.engine.latest import default_year
from chiso.i18n import current_lang, fmt_date, fmt_number, fmt_value, t

DATASET = "vn-2024"
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


SILENCED = "P01"  # the province whose live stream the demo switches off, so that a warning fires while you watch
SILENCED_FROM = (1, 8)  # month and day of the live year


def _subscriptions(ws: core.Workspace) -> Path:
    """The national admin subscribed to silent streams anywhere, in the app and by mail into a folder (no SMTP
    server to set up: ``[notify] outbox``); returns the folder. Made after the simulated year is in: what it
    raised is on the warnings page, and what the live stream raises is delivered."""
    outbox = ws.root / "outbox"
    settings = ws.root / core.SETTINGS
    text = settings.read_text(encoding="utf-8")
    if "[notify]" not in text:
        settings.write_text(text.rstrip("\n") + f'\n\n[notify]\noutbox = "{outbox.as_posix()}"\n', encoding="utf-8")
    admin = core.user_named(ws, "admin")
    if not ws.store.notify.subscriptions(admin.id):
        for channel, target in (("inapp", None), ("email", "admin@demo.chiso.vn")):
            core.subscribe(ws, admin, unit="VN", below=True, kind="silent", channel=channel, target=target)
    return outbox


def run_demo(path: Path, actor: str, out: Console, *, serve: bool = True, port: int = 8000,
             scale: float = 0.001) -> None:
    lang = current_lang()
    with Progress(console=out, transient=True) as bar:
        task = bar.add_task(t("cli.demo.making", lang), total=5)
        ws = core.init_workspace(path)
        bar.advance(task)
        bar.update(task, description=t("demo.loading", lang, dataset=DATASET))
        res = core.load(ws, DATASET, actor)
        _users(ws)
        year = default_year(ws.engine).start.year  # the year the loaded figures are for
        bar.advance(task)
        bar.update(task, description=t("demo.simulating", lang, year=year))
        if ws.store.events.batches_in_state("applied") == []:
            from chiso.simulate import generate

            summary = generate(year, scale, ws.root / "simulated" / f"{year}-{scale:g}")
            ing = ws.ingestor()
            with ing.overlapped():
                for f, after in zip(summary.files, [*summary.files[1:], None], strict=True):
                    ing.ingest_file(f, next_file=after)
            ing.events.close()
        outbox = _subscriptions(ws)  # after the year is in: what the live stream raises is delivered
        bar.advance(task)
        bar.update(task, description=t("demo.computing", lang))
        rows = key_rows(ws, Period.year(year))
        bar.advance(task)
        bar.update(task, description=t("demo.writing", lang, year=year))
        written = core.write_report(ws, str(year), lang=lang, actor=actor)
        bar.advance(task)
    values = res.values.inserted + res.values.updated + res.values.unchanged
    counts = t("cli.demo.summary", lang, values=values, indicators=len(ws.catalogue.indicators),
               units=len(ws.catalogue.units))
    out.print(f"[bold]chiso[/bold] · workspace [cyan]{ws.root}[/cyan] · {counts}")
    out.print(key_figures(rows, year, lang))
    vi_scale, vi_times = fmt_number(scale, 6, "vi"), fmt_number(1 / scale, 0, "vi")
    en_scale, en_times = fmt_number(scale, 6, "en"), fmt_number(1 / scale, 0, "en")
    note = t("cli.demo.scale_note", lang, vi_scale=vi_scale, vi_times=vi_times, en_scale=en_scale, en_times=en_times)
    out.print(f"[dim]{note}[/dim]")
    out.print(t("demo.report", lang, year=year) + ": " + " · ".join(str(p) for p in written.files.values()),
              highlight=False)
    # short options and the workspace once, so that each command fits an 80-column line and copies whole
    out.print(t("cli.demo.try", lang), highlight=False)
    for cmd in (f"export CHISO_HOME={ws.root}",
                f"chiso value dossier_full_online_rate -u ministries -p {year} --json",
                f"chiso rank dossier_full_online_rate -g provinces -p {year}",
                "chiso targets",
                f"chiso report {year}Q3 --format pdf",
                f'chiso value dossier_full_online_rate -u "Ninh Bình" -p {year} --structure 2025',
                f'chiso rank dossier_full_online_rate -g "communes of Đà Nẵng" -p {year}',
                f'chiso index rank qd766 -g "communes of Đà Nẵng" -p {year}',
                f'chiso report {year} --unit "Đà Nẵng" --format pdf'):
        out.print(f"  {cmd}", highlight=False, soft_wrap=True)
    if not serve:
        return
    live = year + 1
    token = ws.store.events.add_source(f"demo-{int(time.time())}", t("demo.stream_name", lang, year=live), ["*"],
                                       ["dossier", "ndxp"])
    url = f"http://127.0.0.1:{port}"
    logins = t("cli.demo.log_in", lang, logins=", ".join(f"{u} / {u}-demo" for u, *_ in DEMO_USERS))
    out.print(f"\n[bold]Dashboard:[/bold] {url}   ·   {logins}\n" + t("demo.streaming", lang, year=live, complete=year))
    out.print(t("cli.demo.communes", lang, url=f"{url}/units/P48/communes?period={year}"), highlight=False)
    off = datetime(live, *SILENCED_FROM)
    out.print(t("cli.demo.warning_live", lang, unit=ws.catalogue.units[SILENCED].name, day=fmt_date(off.date(), lang),
                outbox=str(outbox), url=f"{url}/warnings"), highlight=False)

    def stream() -> None:
        from chiso.simulate import stream_http

        time.sleep(2)  # let the server bind
        try:
            stream_http(url, token, live, scale, rate=300, batch_rows=200, off={SILENCED: off})
        except Exception as exc:  # the demo server stopped: nothing to stream to
            out.print(f"[dim]stream ended: {exc}[/dim]")

    threading.Thread(target=stream, daemon=True).start()
    from chiso.web.app import serve as run_server

    run_server(ws, "127.0.0.1", port, log_level="warning")


def key_rows(ws: core.Workspace, year: Period) -> list[tuple[Pillar, Answer]]:
    """The key indicators' figures of ``year`` for the nation and the two blocs, where there is one."""
    rows: list[tuple[Pillar, Answer]] = []
    for pillar in Pillar:
        for ind in sorted(ws.catalogue.by_pillar(pillar), key=lambda i: i.code):
            if not ind.key:
                continue
            for unit in ("VN", "ministries", "provinces"):
                ans = ws.engine.value(ind, unit, year, compare=False)
                if ans.value is not None:
                    rows.append((pillar, ans))
    return rows


def key_figures(rows: list[tuple[Pillar, Answer]], year: int, lang: str) -> Group:
    """One block per indicator (its name, then a line per unit: value, target and attainment, source), so that
    it reads the same in 80 columns as in 200: a seven-column table wraps every name into a narrow column."""
    parts: list[Text | Padding] = [Text(t("demo.key_title", lang, year=year), style="bold")]
    by_indicator: dict[str, list[Answer]] = {}
    pillar_of: dict[str, Pillar] = {}
    for pillar, a in rows:
        by_indicator.setdefault(a.indicator.code, []).append(a)
        pillar_of.setdefault(a.indicator.code, pillar)
    shown: Pillar | None = None
    for code, answers in by_indicator.items():
        if pillar_of[code] is not shown:
            shown = pillar_of[code]
            parts.append(Text("\n" + PILLAR_NAMES[shown].get(lang), style="bold cyan"))
        ind = answers[0].indicator
        parts.append(Padding(Text(ind.name.get(lang), style="bold"), (0, 0, 0, 2)))
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
        table.add_column(no_wrap=True)
        table.add_column(justify="right")
        targets = any(a.target is not None for a in answers)
        if targets:
            table.add_column()
        table.add_column(style="dim")
        for a in answers:
            v = fmt_value(a.value, ind.unit, ind.decimals, lang, kind=ind.kind)
            if a.figure and a.figure.approximate:
                v = f"{a.figure.qualifier or '~'} {v}"
            goal = ""
            if a.target is not None:
                goal = t("figure.target", lang, target=fmt_value(a.target.value, ind.unit, ind.decimals, lang,
                                                                  kind=ind.kind))
                if a.attainment:
                    goal += " · " + t("figure.attained", lang, attainment=f"{fmt_number(a.attainment * 100, 1, lang)}%")
            source = t(f"figure.source.{a.figure.source}", lang) if a.figure else ""
            table.add_row(a.unit.short, v, *([goal] if targets else []), source)
        parts.append(Padding(table, (0, 0, 0, 4)))
    return Group(*parts)
