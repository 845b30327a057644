"""Commands for operational events: simulate, ingest, sources, rejects, recompute, serve."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from chiso import app as core
from chiso.catalogue.events import EVENT_KINDS, SUBUNIT_REJECT_KIND
from chiso.cli.common import err, fail_on_errors, out, state, workspace
from chiso.errors import ChisoError, WorkspaceError
from chiso.i18n import fmt_number
from chiso.i18n import t as say
from chiso.ingest.nats import ConsumeStats, lag, run_consumer
from chiso.logs import configure as configure_logs
from chiso.store.events import PARTITIONS, EventStore

events_app = typer.Typer(
    no_args_is_help=True, help="Sự kiện vận hành (operational events): rejects, recompute, export."
)
sources_app = typer.Typer(no_args_is_help=True, help="Hệ thống nguồn sự kiện (event source systems) and their tokens.")


class RateColumn(ProgressColumn):
    """How fast a task moves: rows (or bytes) per second, Vietnamese style."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{fmt_number(speed, 0)}/s" if speed else "", style="progress.data.speed")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


def _receipt_line(r: dict[str, object]) -> str:
    line = say("cli.events.receipt", kind=r["kind"], received=r["received"], accepted=r["accepted"],
               duplicates=r["duplicates"], rejected=r["rejected"])
    moved = r.get("attributed")
    if isinstance(moved, list) and moved:  # events of a former unit, sent after its end, went to its successor
        parts = ", ".join(f"{m['attributed_from']} → {m['to']}: {m['events']}" for m in moved)
        line += say("cli.events.moved", moves=parts)
    return line


def ingest(
    files: Annotated[
        list[Path] | None, typer.Argument(help="NDJSON, CSV or Parquet files (or folders of them)")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="dossier or ndxp (default: from the folder name)")] = None,
    source: Annotated[
        str | None, typer.Option("--from", help="nats://host:4222: be the one writer of the event log (JetStream)")
    ] = None,
    prefix: Annotated[str | None, typer.Option(
        "--subject-prefix", help="the log's subjects: PREFIX.dossier, PREFIX.ndxp (default: [events] subject_prefix "
                                 "of chiso.toml, else chiso.events)")] = None,
    durable: Annotated[str | None, typer.Option(
        "--durable", help="the writer's durable consumer (default: [events] durable, else chiso-ingest)")] = None,
    chunk_rows: Annotated[
        int, typer.Option("--chunk-rows", min=1, max=10_000_000, help="rows committed at a time (bounds the memory)")
    ] = 2_000_000,
    ack_wait: Annotated[
        float | None, typer.Option("--ack-wait", min=1, max=3600,
                                   help="seconds before a batch a writer took but never finished is delivered again "
                                        "(default: [events] ack_wait, else 60)")
    ] = None,
    metrics_port: Annotated[int | None, typer.Option(
        "--metrics-port", min=1, max=65535, help="with --from nats: serve the writer's /metrics on this port "
                                                 "(default: [events] metrics_port; none without it)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Nạp sự kiện từ tệp, hoặc từ nhật ký NATS (ingest event files, or be the writer of the NATS event log).

    ``--from nats`` (without a URL): the ``[events] nats`` of chiso.toml."""
    with fail_on_errors():
        ws = workspace()
        if source is not None:
            if files:
                raise ChisoError("--from: give files or --from nats://…, not both")
            d = ws.deployment
            if source == "nats":
                if d.nats is None:
                    raise ChisoError(f"--from nats: {ws.root / core.SETTINGS} has no [events] nats = \"nats://…\"")
                source = d.nats
            if not source.startswith(("nats://", "tls://")):
                raise ChisoError(f"--from {source[:200]!r}: expected a NATS URL, nats://host:4222")
            configure_logs(d.log_format, d.log_level)
            stats = run_writer(ws, source, prefix or d.subject_prefix, durable=durable or d.durable,
                               ack_wait=ack_wait if ack_wait is not None else d.ack_wait,
                               metrics=(d.host, metrics_port or d.metrics_port))
            line = (f"{stats.messages} batches: {stats.accepted} events accepted, {stats.duplicates} duplicates, "
                    f"{stats.rejected} rejected")
            if as_json:
                sys.stdout.write(json.dumps(asdict(stats)) + "\n")
            else:
                out.print(line)
            return
        if not files:
            raise ChisoError("give the files to ingest, or --from nats://host:4222")
        ing = ws.ingestor()
        paths = [
            p
            for f in files
            for p in (sorted(f.rglob("*")) if f.is_dir() else [f])
            if p.is_file() and p.suffix.lower() in (".parquet", ".ndjson", ".jsonl", ".json", ".csv")
        ]
        totals: dict[str, dict[str, object]] = {}
        moved: dict[str, Counter[tuple[str, str]]] = {}
        with _progress() as bar, ing.overlapped():  # a file's aggregates written while the next is read
            task = bar.add_task(say("cli.events.ingesting"), total=len(paths))
            for p, after in zip(paths, [*paths[1:], None], strict=True):
                # within a file: rows (Parquet) or bytes (NDJSON) committed, with the rate and the time left
                inner = bar.add_task(f"  {p.name}", total=None)

                def moved_on(done: int, total: int, inner: TaskID = inner) -> None:
                    bar.update(inner, completed=done, total=total or None)

                rec = ing.ingest_file(p, kind, progress=moved_on, resume=True, chunk_rows=chunk_rows, next_file=after)
                bar.remove_task(inner)
                if rec.resumed_from:
                    err.print(say("cli.events.resumed", file=p.name, rows=fmt_number(rec.resumed_from, 0)))
                t = totals.setdefault(
                    rec.kind, {"kind": rec.kind, "received": 0, "accepted": 0, "duplicates": 0, "rejected": 0,
                               "resumed_from": 0}
                )
                for k in ("received", "accepted", "duplicates", "rejected", "resumed_from"):
                    t[k] = int(t[k]) + getattr(rec, k)  # type: ignore[call-overload]
                moved.setdefault(rec.kind, Counter()).update(rec.attributed)
                bar.advance(task)
        ing.events.close()
        for k, t in totals.items():
            if moved.get(k):
                pairs = sorted(moved[k].items())
                t["attributed"] = [{"attributed_from": a, "to": b, "events": n} for (a, b), n in pairs]
        if as_json:
            sys.stdout.write(json.dumps(list(totals.values()), ensure_ascii=False) + "\n")
        else:
            for t in totals.values():
                out.print(_receipt_line(t))


def run_writer(ws: core.Workspace, servers: str, prefix: str, *, durable: str, ack_wait: float,
               metrics: tuple[str, int | None] = ("127.0.0.1", None)) -> ConsumeStats:
    """The one writer of the NATS log until SIGINT or SIGTERM: ``consume`` on a writer that logs each applied
    batch with its time and the lag (on one connection of its own for that question), closed at the end;
    ``metrics`` (host, port): its own ``/metrics`` there, when a port is given."""
    from chiso.web.metrics import LoggedWriter, LogWatch, serve_writer_metrics

    watch = LogWatch(servers, durable)
    writer = LoggedWriter(ws.ingestor, watch=watch)
    host, port = metrics
    try:
        server = serve_writer_metrics(ws, writer, host, port) if port else None
    except OSError as exc:
        raise ChisoError(f"--metrics-port {port}: cannot listen on {host}:{port} ({exc.strerror})") from None

    async def close() -> None:
        await asyncio.to_thread(writer.close)
        await watch.close()
        if server is not None:
            server.shutdown()

    return run_consumer(writer, servers, prefix, durable=durable, ack_wait=ack_wait, after=close)


def simulate(
    year: Annotated[int, typer.Option("--year")] = 2024,
    scale: Annotated[float, typer.Option("--scale", help="1 = a national year (≈46 M dossiers, ≈1 B NDXP)")] = 0.001,
    seed: Annotated[int, typer.Option("--seed")] = 2024,
    out_dir: Annotated[Path | None, typer.Option("--out", help="write Parquet here only, do not ingest")] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="stream live to a running chiso over HTTP, e.g. http://127.0.0.1:8000")
    ] = None,
    token: Annotated[str | None, typer.Option("--token", help="event source token for --to")] = None,
    nats: Annotated[
        str | None, typer.Option("--nats", help="stream live to NATS JetStream, e.g. nats://127.0.0.1:4222")
    ] = None,
    rate: Annotated[float | None, typer.Option("--rate", help="events per second when streaming")] = None,
    off: Annotated[list[str] | None, typer.Option(
        "--off", help="switch a unit off from a time, e.g. P01@2024-03-10 (repeatable): its events stop, to show a "
                      "silent-source warning")] = None,
) -> None:
    """Mô phỏng một quốc gia (a deterministic simulated nation of dossiers and NDXP transactions)."""
    from chiso import simulate as sim
    from chiso.simulate.nation import parse_off

    with fail_on_errors():
        try:
            switched = parse_off(off or [])
        except ValueError as exc:
            raise ChisoError(str(exc)) from None
        if to or nats:
            if to:
                sent = sim.stream_http(to, token or "", year, scale, seed=seed, rate=rate, off=switched)
            else:
                import asyncio

                sent = asyncio.run(sim.stream_nats(nats or "", "chiso.events", year, scale, seed=seed,
                                                   off=switched))
            out.print(say("cli.simulate.sent", n=sent))
            return
        ws = None if out_dir else workspace()
        target = out_dir or (ws.root / "simulated" / f"{year}-{scale:g}-{seed}" if ws else Path("."))
        with _progress() as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(say("cli.simulate.stage", stage=stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            summary = sim.generate(year, scale, target, seed=seed, progress=progress, off=switched)
        out.print(say("cli.simulate.written", dossiers=fmt_number(summary.dossiers, 0),
                      records=fmt_number(summary.dossier_events, 0), ndxp=fmt_number(summary.ndxp_events, 0),
                      target=target))
        if ws is not None:
            ing = ws.ingestor()
            with _progress() as bar:
                task = bar.add_task(say("cli.events.ingesting"), total=len(summary.files))
                with ing.overlapped():
                    for f, after in zip(summary.files, [*summary.files[1:], None], strict=True):
                        ing.ingest_file(f, next_file=after)
                        bar.advance(task)
            ing.events.close()
            out.print(say("cli.events.ingested"))


@events_app.command("status")
def events_status(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    nats_url: Annotated[
        str | None, typer.Option("--nats", help="also the writer's lag behind the NATS event log at this URL")
    ] = None,
    durable: Annotated[str | None, typer.Option("--durable", help="the writer's durable consumer")] = None,
) -> None:
    """Số sự kiện, lô, từ chối (events stored, batches, rejects; with --nats, or [events] nats of chiso.toml, the
    writer's lag)."""
    with fail_on_errors():
        ws = workspace()
        d = ws.deployment
        nats_url, durable = nats_url or d.nats, durable or d.durable
        book = ws.store.events
        try:  # read-only: a running server or writer may hold the event store
            store = EventStore(ws.events_path, read_only=True) if ws.events_path.exists() else None
        except WorkspaceError:
            store = None
        if store is not None:
            try:
                counts, counted_by = {k: store.count(k) for k in EVENT_KINDS}, "event store"
            finally:
                store.close()
        else:  # held by another process (or none yet): the applied batches say the same
            stored = book.stored_by_kind()
            counts, counted_by = {k: stored.get(k, 0) for k in EVENT_KINDS}, "batches"
        info: dict[str, object] = {
            "dossier_events": counts["dossier"],
            "ndxp_events": counts["ndxp"],
            "batches_applied": len(book.batches_in_state("applied")),
            "rejects_pending": len(book.rejects(limit=1_000_000)),
            "counted_by": counted_by,
        }
        if nats_url is not None:
            behind = asyncio.run(lag(nats_url, durable=durable))
            info["log_pending"] = None if behind is None else behind["pending"]
            info["log_unacknowledged"] = None if behind is None else behind["unacknowledged"]
        if as_json:
            sys.stdout.write(json.dumps(info) + "\n")
        else:
            for k, v in info.items():
                out.print(f"{k}: {fmt_number(v, 0) if isinstance(v, int) else '–' if v is None else v}")


@events_app.command("rejects")
def events_rejects(
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    source: Annotated[str | None, typer.Option("--source")] = None,
    all_: Annotated[bool, typer.Option("--all", help="include replayed ones")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Sự kiện bị từ chối, kèm lý do (rejected events with their reasons)."""
    with fail_on_errors():
        rows = workspace().store.events.rejects(kind=kind, source=source, pending_only=not all_)
        if as_json:
            sys.stdout.write(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, default=str) + "\n")
            return
        t = Table()
        for c in ("id", "batch", "kind", "source", "position", "reason"):
            t.add_column(c)
        for r in rows:
            t.add_row(str(r.id), str(r.batch), r.kind, r.source, str(r.position or ""), r.reason)
        out.print(t)


@events_app.command("replay")
def events_replay(
    ids: Annotated[list[int] | None, typer.Argument(help="reject ids (default: all pending)")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
) -> None:
    """Xử lý lại sự kiện bị từ chối (validate rejected events again, e.g. after fixing the catalogue)."""
    with fail_on_errors():
        ing = workspace().ingestor()
        for rec in ing.replay_rejects(ids or None, kind=kind):
            out.print(_receipt_line(rec.as_dict()))
        skipped = [r for r in ing.book.rejects(limit=1_000_000)
                   if r.kind == SUBUNIT_REJECT_KIND and (not ids or r.id in ids)]
        if skipped and kind in (None, SUBUNIT_REJECT_KIND):
            out.print(f"{len(skipped)} commune rejects ({SUBUNIT_REJECT_KIND}) not replayed: their events are stored "
                      "and count for their province already; they stay listed")
        ing.events.close()


@events_app.command("recompute")
def events_recompute(
    check: Annotated[
        bool, typer.Option("--check", help="only compare with the kept aggregates; exit 1 on a difference")
    ] = False,
    engine: Annotated[str, typer.Option("--engine", help="duckdb or spark")] = "duckdb",
    master: Annotated[
        str | None, typer.Option("--master", help="Spark master: spark://host:7077 (a cluster), local[2] by default")
    ] = None,
    source: Annotated[
        Path | None, typer.Option("--from", help="a Parquet export (chiso events export FOLDER --by day)")
    ] = None,
    days: Annotated[
        str | None, typer.Option("--days", help="only these days: 2024-03-05, 2024-03-05..2024-03-07, or a list")
    ] = None,
    follow: Annotated[bool, typer.Option(
        "--follow", help="stay: compute each later export into --from as it lands, on the same session (Ctrl+C or "
                         "SIGTERM stops after the run under way)")] = False,
    poll: Annotated[float, typer.Option("--poll", min=0.1, max=3600, help="seconds between looks at --from")] = 2.0,
) -> None:
    """Tính lại từ sự kiện gốc (recompute the kept aggregates from the raw events; on Spark from shared Parquet)."""
    with fail_on_errors():
        ws = workspace()
        wanted = parse_days(days) if days is not None else None
        if follow:
            if source is None or check:
                raise ChisoError("--follow needs --from FOLDER (an export that later exports add to) and no --check")
            _follow(ws, source, engine, master, wanted, poll)
            return
        with _progress() as bar:
            bar.add_task(f"recompute · {engine}{' · ' + master if master else ''}", total=None)
            done = core.recompute_events(ws, engine=engine, master=master, source=source, days=wanted, check=check)
        scope = "" if done.days is None else f" over {done.days} day(s)"
        if check:
            if done.differences:
                for d in done.differences:
                    err.print(d)
                raise typer.Exit(1)
            out.print(f"OK: {done.daily} aggregates and {done.local} per commune{scope} equal a full recompute "
                      f"({done.engine})")
            return
        out.print(f"{done.daily} aggregates and {done.local} per commune recomputed{scope} ({done.engine})")


def _follow(ws: core.Workspace, source: Path, engine: str, master: str | None, days: list[date] | None,
            poll: float) -> None:
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)

    def done(r: core.Recomputed) -> None:
        scope = "every day" if r.days is None else f"{r.days} day(s)"
        out.print(f"{r.daily} aggregates and {r.local} per commune recomputed over {scope} ({r.engine})")
        sys.stdout.flush()  # a follower's lines are read as they come (a log, a supervisor)

    core.follow_exports(ws, source, engine=engine, master=master, days=days, poll=poll, stop=lambda: bool(stopping),
                        done=done)


def parse_days(text: str) -> list[date]:
    """``2024-03-05``, ``2024-03-05..2024-03-07`` or a comma-separated list of either; at most 3,660 days."""
    out: set[date] = set()
    for part in (p.strip() for p in text[:20_000].split(",")):
        if not part:
            continue
        try:
            lo, _, hi = part.partition("..")
            start, end = date.fromisoformat(lo.strip()), date.fromisoformat((hi or lo).strip())
        except ValueError:
            raise ChisoError(
                f"--days {part!r}: expected a day (2024-03-05) or a span (2024-03-05..2024-03-07)") from None
        if end < start or (end - start).days >= 3660:
            raise ChisoError(f"--days {part!r}: the span must run forward and hold at most 3,660 days")
        out.update(start + timedelta(days=i) for i in range((end - start).days + 1))
        if len(out) > 3660:
            raise ChisoError("--days: at most 3,660 days")
    if not out:
        raise ChisoError("--days: no day given")
    return sorted(out)


@events_app.command("export")
def events_export(
    folder: Annotated[Path, typer.Argument(help="where to write Parquet (kind/month=…/ or kind/date=…/)")],
    by: Annotated[str, typer.Option("--by", help="partition by month or day")] = "month",
    days: Annotated[str | None, typer.Option("--days", help="only these days' partitions (as recompute)")] = None,
) -> None:
    """Xuất sự kiện ra Parquet (for Spark or other engines; by day for shared storage)."""
    with fail_on_errors():
        if by not in PARTITIONS:
            raise ChisoError(f"--by {by!r}: expected one of {', '.join(PARTITIONS)}")
        wanted = parse_days(days) if days is not None else None
        ing = workspace().ingestor()
        try:
            for p in ing.events.export_parquet(folder, by=by, days=wanted):
                out.print(str(p))
        finally:
            ing.events.close()


@sources_app.command("add")
def sources_add(
    id: Annotated[str, typer.Argument(help="source system id, e.g. dvc-hcm")],
    name: Annotated[str, typer.Option("--name")] = "",
    unit: Annotated[
        list[str] | None, typer.Option("--unit", help="units or groups it reports for (repeat); default all")
    ] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="dossier and/or ndxp (repeat); default both")] = None,
) -> None:
    """Đăng ký hệ thống nguồn, in token một lần (register a source system; prints its token once)."""
    with fail_on_errors():
        ws = workspace()
        units = [ws.catalogue.unit(u).code for u in unit] if unit else ["*"]
        token = ws.store.events.add_source(id, name or id, units, kind or ["dossier", "ndxp"])
        out.print(token)


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Danh sách hệ thống nguồn (event sources)."""
    with fail_on_errors():
        rows = workspace().store.events.sources()
        if as_json:
            sys.stdout.write(json.dumps([r.__dict__ for r in rows], default=str) + "\n")
            return
        t = Table()
        for c in ("id", "name", "units", "kinds", "active"):
            t.add_column(c)
        for r in rows:
            t.add_row(r.id, r.name, ", ".join(r.units), ", ".join(r.kinds), str(r.active))
        out.print(t)


@sources_app.command("revoke")
def sources_revoke(id: Annotated[str, typer.Argument()]) -> None:
    """Thu hồi token của một hệ thống nguồn (revoke a source's token)."""
    with fail_on_errors():
        if not workspace().store.events.revoke_source(id):
            err.print(f"no source {id!r}")
            raise typer.Exit(2)
        out.print(f"revoked {id}")


def serve(
    host: Annotated[str | None, typer.Option("--host", help="default: [serve] host, else 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="default: [serve] port, else 8000")
                    ] = None,
    nats: Annotated[
        str | None, typer.Option("--nats", help="the NATS JetStream of the event log (default: [events] nats): with "
                                                "--events consume it here, with --no-events relay to it")
    ] = None,
    events: Annotated[
        bool | None, typer.Option("--events/--no-events",
                                  help="hold the event store (one node does); --no-events: a further web node, which "
                                       "with --nats puts the events it accepts into the NATS log (default: [serve] "
                                       "events, else --events)")
    ] = None,
    prefix: Annotated[str | None, typer.Option(
        "--subject-prefix", help="the log's subjects: PREFIX.dossier, PREFIX.ndxp (default: [events] subject_prefix)")
    ] = None,
    durable: Annotated[str | None, typer.Option(
        "--durable", help="the writer's durable consumer, for its lag and when consuming (default: [events] durable)")
    ] = None,
    login_limits: Annotated[str | None, typer.Option(
        "--login-limits", help="memory (this process) or store (shared by every node); default: [web] login_limits")
    ] = None,
    log_format: Annotated[str | None, typer.Option("--log-format", help="text or json (default: [log] format)")
                          ] = None,
    log_level: Annotated[str | None, typer.Option("--log-level", help="debug, info, warning, error (default: "
                                                                       "[log] level)")] = None,
) -> None:
    """Chạy ứng dụng web và API (run the web application and the API).

    Every setting comes from the workspace's chiso.toml ([serve], [events], [log], [web]) unless a flag gives it."""
    from chiso.web.app import serve as run_server

    with fail_on_errors():
        ws = workspace()
        d = ws.deployment
        fmt = core.Deployment.check("--log-format", "log", "format", log_format or d.log_format, "log_format")
        level = core.Deployment.check("--log-level", "log", "level", log_level or d.log_level, "log_level")
        if nats is not None:
            core.Deployment.check("--nats", "events", "nats", nats, "nats_url")
        configure_logs(fmt, level)
        run_server(ws, host or d.host, port or d.port, nats=nats or d.nats,
                   events=d.events if events is None else events, subject_prefix=prefix or d.subject_prefix,
                   log_level=level, login_limits=login_limits, durable=durable or d.durable, ack_wait=d.ack_wait)


_ = state
