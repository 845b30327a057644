"""Composition root: a workspace's settings, catalogue, store and engine, and the use-cases on them.

The CLI and the web application call these functions; neither holds logic of its own.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import re
import time
import tomllib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from chiso import auth
from chiso.catalogue import Catalogue, load_catalogue
from chiso.catalogue.columns import REJECT_COLUMNS, neutralise
from chiso.catalogue.models import SourceDocument, Unit, UnitType
from chiso.catalogue.names import fold
from chiso.catalogue.periods import Period
from chiso.catalogue.records import StoredValue
from chiso.catalogue.warnings import KINDS as WARNING_KINDS
from chiso.catalogue.warnings import STATES as WARNING_STATES
from chiso.catalogue.warnings import WarningRecord
from chiso.engine import Engine
from chiso.errors import (
    ChisoError,
    DefinitionError,
    ImportFileError,
    LinkRefused,
    PermissionDenied,
    Problem,
    UnknownNameError,
    UnknownNotificationError,
    UnknownSubscriptionError,
    UnknownUnitError,
    UnknownWarningError,
    ValidationError,
    WorkspaceError,
)
from chiso.i18n import fmt_number, t
from chiso.ingest.dataset import load_dataset
from chiso.ingest.events import EventIngestor
from chiso.ingest.extract import Proposal, extract, read_document
from chiso.ingest.files import MAX_BYTES, MAX_ROWS, read_value_rows
from chiso.ingest.intake import Outcome, check_proposals, check_rows
from chiso.ingest.nats import DEFAULT_PREFIX, DURABLE
from chiso.logs import FORMATS, LEVELS
from chiso.notify import CURSOR as NOTIFY_CURSOR
from chiso.notify import LINK_SECRET, Dispatcher, NotifySettings, check_link, check_subscription
from chiso.store import Store, WriteSummary
from chiso.store.events import read_export_marker
from chiso.store.notify import Delivery, Subscription
from chiso.store.warnings import MAX_LIST as MAX_WARNINGS
from chiso.watch import Watch

log = logging.getLogger(__name__)

SETTINGS = "chiso.toml"
DEFAULT_DB = "sqlite:///chiso.sqlite"


CATALOGUE_CHECK = 1.0  # seconds between looks at the workspace's definition files


@dataclass(frozen=True)
class Limits:
    """How much an import or a report read back may hold: ``[limits]`` of chiso.toml, each overridden by the
    environment (``CHISO_LIMIT_IMPORT_BYTES``, ``CHISO_LIMIT_IMPORT_ROWS``, ``CHISO_LIMIT_EXTRACT_CHARS``).

    A file or a text over a limit is refused before any work, naming the file, the limit and the setting.
    """

    import_bytes: int = MAX_BYTES  # an import file (CSV, XLSX, dataValueSets JSON), in bytes
    import_rows: int = MAX_ROWS  # its data rows (dataValues of a dataValueSets document)
    extract_chars: int = 2_000_000  # the text of a report read back (``chiso extract``, ``/extract``)

    @classmethod
    def read(cls, settings: dict[str, object], file: str = SETTINGS) -> Limits:
        given = settings.get("limits", {})
        section = given if isinstance(given, dict) else {}
        values: dict[str, int] = {}
        for name in ("import_bytes", "import_rows", "extract_chars"):
            env = f"CHISO_LIMIT_{name.upper()}"
            raw = os.environ.get(env) or section.get(name)
            if raw is None:
                continue
            text = str(raw).strip().replace("_", "")
            if isinstance(raw, bool) or not text.isdigit() or int(text) <= 0:
                where = env if os.environ.get(env) else file
                raise WorkspaceError(t("cli.limit.bad_setting", None, file=where, setting=name, value=raw))
            values[name] = int(text)
        return cls(**values)

    def check_text(self, name: str, text: str, lang: str | None = None) -> None:
        """Refuse a report's text longer than ``extract_chars`` (ImportFileError naming it and the setting)."""
        if len(text) > self.extract_chars:
            raise self.text_too_long(name, lang)

    def check_text_bytes(self, name: str, size: int, lang: str | None = None) -> None:
        """Before reading: a file of more than four bytes per allowed character holds too many characters."""
        if size > 4 * self.extract_chars:
            raise self.text_too_long(name, lang)

    def text_too_long(self, name: str, lang: str | None = None) -> ImportFileError:
        return ImportFileError(name, t("cli.limit.extract_chars", lang, limit=fmt_number(self.extract_chars, 0, lang),
                                       setting="extract_chars", env="CHISO_LIMIT_EXTRACT_CHARS"))


def _bad(file: str, section: str, key: str, value: object, expected: str) -> WorkspaceError:
    # the section and key as one dotted TOML key (serve.port): brackets would be taken for markup by a console
    return WorkspaceError(t("cli.setting.bad", None, file=file, name=f"{section}.{key}" if key else section,
                            value=value, expected=t(f"cli.setting.expected.{expected}", None)))


@dataclass(frozen=True)
class Deployment:
    """What every process of a deployment reads from the one chiso.toml (docs/deploy.md, deploy/chiso.toml): the
    web node's ``[serve]`` (host, port, events), the event log's ``[events]`` (nats, subject_prefix, durable,
    ack_wait, metrics_port), ``[log]`` (format, level; ``CHISO_LOG_FORMAT``/``CHISO_LOG_LEVEL`` override them) and
    ``[web] login_limits``. A command's flags override the file. A bad value, or an unknown key in these
    sections, is refused naming the file, the section, the key and what is expected."""

    host: str = "127.0.0.1"
    port: int = 8000
    events: bool = True  # this node holds the event store (one node does); false: chiso serve --no-events
    nats: str | None = None  # the NATS JetStream of the event log
    subject_prefix: str = DEFAULT_PREFIX
    durable: str = DURABLE
    ack_wait: float = 60.0
    metrics_port: int | None = None  # the writer's own /metrics (chiso ingest --from nats), on [serve] host
    log_format: str = "text"
    log_level: str = "info"
    login_limits: str = "memory"

    SECTIONS = {  # noqa: RUF012  -- section → key → what it expects
        "serve": {"host": "host", "port": "port", "events": "bool"},
        "events": {"nats": "nats_url", "subject_prefix": "name", "durable": "name", "ack_wait": "seconds",
                   "metrics_port": "port"},
        "log": {"format": "log_format", "level": "log_level"},
    }

    @classmethod
    def read(cls, settings: dict[str, Any], file: str = SETTINGS) -> Deployment:
        values: dict[str, Any] = {}
        for section, keys in cls.SECTIONS.items():
            given = settings.get(section, {})
            if not isinstance(given, dict):
                raise _bad(file, section, "", given, "table")
            for key, value in given.items():
                if key not in keys:
                    raise WorkspaceError(t("cli.setting.unknown", None, file=file, section=section, key=key,
                                           known=", ".join(keys)))
                name = f"log_{key}" if section == "log" else str(key)
                values[name] = cls.check(file, section, key, value, keys[key])
        for key, env in (("format", "CHISO_LOG_FORMAT"), ("level", "CHISO_LOG_LEVEL")):
            if os.environ.get(env):
                values[f"log_{key}"] = cls.check(env, "log", key, os.environ[env].strip().lower(), f"log_{key}")
        web = settings.get("web", {})
        if isinstance(web, dict) and "login_limits" in web:
            values["login_limits"] = cls.check(file, "web", "login_limits", web["login_limits"], "login_limits")
        return cls(**values)

    @staticmethod
    def check(file: str, section: str, key: str, value: Any, expected: str) -> Any:
        ok = False
        if expected == "bool":
            ok = isinstance(value, bool)
        elif expected == "port":
            ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535
        elif expected == "seconds":
            ok = isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value <= 3600
            value = float(value) if ok else value
        elif expected == "nats_url":
            ok = isinstance(value, str) and value.startswith(("nats://", "tls://")) and len(value) > 7
        elif expected in ("host", "name"):
            ok = isinstance(value, str) and 0 < len(value) <= 200 and not any(c.isspace() for c in value)
        elif expected == "log_format":
            ok = value in FORMATS
        elif expected == "log_level":
            ok = value in LEVELS
        elif expected == "login_limits":
            ok = value in ("memory", "store")
        if not ok:
            raise _bad(file, section, key, value, expected)
        return value


@dataclass
class Workspace:
    """A workspace: its settings, catalogue, store and engine.

    A long-running process (``chiso serve``) sees a definition dropped into ``catalogue/`` without a restart:
    the catalogue is reloaded when the files change (looked at most once a second); a broken file keeps the
    last good catalogue in force and is reported in the log (``chiso check`` names the file and entry).
    """

    root: Path
    db_url: str
    _store: Store | None = field(default=None, repr=False)
    _catalogue: tuple[tuple[tuple[str, int, int], ...], Catalogue] | None = field(default=None, repr=False)
    _checked: float = field(default=0.0, repr=False)
    _engine: tuple[Catalogue, Engine] | None = field(default=None, repr=False)
    _generation: int = field(default=0, repr=False)
    _dispatcher: Dispatcher | None = field(default=None, repr=False)
    login_limits: str | None = field(default=None, repr=False)  # "memory" | "store" given by a flag: over chiso.toml

    def _definition_files(self) -> tuple[tuple[str, int, int], ...]:
        found = []
        for path in sorted((self.root / "catalogue").rglob("*.y*ml")):
            with contextlib.suppress(OSError):  # a file removed while we look
                st = path.stat()
                found.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(found)

    @property
    def catalogue(self) -> Catalogue:
        now = time.monotonic()
        if self._catalogue is not None and now - self._checked < CATALOGUE_CHECK:
            return self._catalogue[1]
        self._checked = now
        stamp = self._definition_files()
        if self._catalogue is None:
            self._catalogue = (stamp, load_catalogue([self.root / "catalogue"]))
        elif stamp != self._catalogue[0]:
            try:
                self._catalogue = (stamp, load_catalogue([self.root / "catalogue"]))
                self._generation += 1
            except DefinitionError as exc:
                log.error("the workspace's definitions changed but do not load; the last good ones stay: %s", exc)
                self._catalogue = (stamp, self._catalogue[1])
        return self._catalogue[1]

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.resolved_db_url)
            with contextlib.suppress(WorkspaceError):  # a bad setting is refused where it is used (the login)
                self._store.users.shared_lockouts = self.shared_login_limits
        return self._store

    @property
    def catalogue_generation(self) -> int:
        """How many times the definitions were reloaded: part of every cache key of answers and pages."""
        self.catalogue  # noqa: B018  -- look at the files first
        return self._generation

    @property
    def engine(self) -> Engine:
        """The engine over the current catalogue (a new one when the definitions changed)."""
        cat = self.catalogue
        if self._engine is None or self._engine[0] is not cat:
            self._engine = (cat, Engine(cat, self.store, self.store.events))
        return self._engine[1]

    @property
    def events_path(self) -> Path:
        return self.root / "events.duckdb"

    def ingestor(self) -> EventIngestor:
        """The single writer of events for this workspace (opens the event store read-write)."""
        from chiso.store.events import EventStore

        ing = EventIngestor(self.catalogue, self.store, EventStore(self.events_path))
        if self.warnings_after_batch:
            watch = self.watch()

            def after(kind: str, _batch: int, units: frozenset[str]) -> None:
                watch.use(self.catalogue, self.engine)  # reloaded definitions, if they changed
                if watch.after_batch(kind, units)["raised"]:
                    self.notify_now()  # only wakes the dispatcher's thread: the writer never waits on delivery

            ing.after_apply.append(after)
        ing.recover()
        return ing

    @property
    def notify_settings(self) -> NotifySettings:
        """``[notify]`` of chiso.toml: SMTP, retries, the webhooks' allow-list (docs/notifications.md)."""
        return NotifySettings.read(self.settings, str(self.root / SETTINGS))

    def dispatcher(self) -> Dispatcher:
        """This process's one notification dispatcher (not started: ``notify_now`` starts it)."""
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(lambda: self.catalogue, self.store, self.notify_settings, self._report_pdf)
        return self._dispatcher

    def _report_pdf(self, period: str, unit: str, lang: str) -> Path:
        """A report to send to its subscribers (``write_report``, the PDF), in ``reports/delivered/``: beside the
        reports people wrote, never over them."""
        nation = self.catalogue.nation.code
        written = write_report(self, period, formats=("pdf",), lang=lang, unit=None if unit == nation else unit,
                               out=self.root / REPORTS / DELIVERED, actor="chiso-notify")
        return written.files["pdf"]

    def notify_now(self) -> None:
        """Wake this process's dispatcher thread (started on first need, when anyone subscribed): warnings raised by
        a batch go out within seconds, and the caller goes on at once."""
        try:
            if self._dispatcher is None and not (self.notify_settings.after_batch and self.store.notify.any()):
                return
            self.dispatcher().start().wake()
        except Exception:  # a bad [notify] setting must not fail the batch; `chiso notify run` names it
            log.exception("the notification dispatcher could not start")

    def watch(self) -> Watch:
        """The early-warning checks over this workspace's store and engine (``chiso.watch``; docs/warnings.md)."""
        return Watch(self.catalogue, self.store, self.engine)

    @property
    def warnings_after_batch(self) -> bool:
        """``[warnings] after_batch`` (on when absent): the checks run after each event batch is applied."""
        value = self.settings.get("warnings", {}).get("after_batch", True)
        if not isinstance(value, bool):
            raise WorkspaceError(f"{self.root / SETTINGS}: [warnings] after_batch must be true or false, not "
                                 f"{value!r}")
        return value

    @property
    def resolved_db_url(self) -> str:
        """Relative SQLite paths are relative to the workspace, not to the current directory."""
        url = self.db_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
            return prefix + str((self.root / url[len(prefix) :]).resolve())
        return url

    @property
    def settings(self) -> dict[str, Any]:
        """The workspace's chiso.toml, read when asked (empty when there is none)."""
        path = self.root / SETTINGS
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except tomllib.TOMLDecodeError as exc:
            raise WorkspaceError(f"{path}: {exc}") from None

    @property
    def limits(self) -> Limits:
        """The workspace's limits (chiso.toml ``[limits]``, the environment), read when asked."""
        return Limits.read(self.settings, str(self.root / SETTINGS))

    @property
    def shared_login_limits(self) -> bool:
        """``[web] login_limits``: ``"memory"`` (each process its own, the default) or ``"store"`` (every web
        node over the operational store counts every attempt: several nodes)."""
        value = self.login_limits or self.settings.get("web", {}).get("login_limits", "memory")
        if value not in ("memory", "store"):
            raise WorkspaceError(f"{self.root / SETTINGS}: [web] login_limits must be \"memory\" or \"store\", "
                                 f"not {value!r}")
        return bool(value == "store")

    def use_login_limits(self, value: str) -> None:
        """``"memory"`` or ``"store"`` for this process, over chiso.toml (``chiso serve --login-limits``)."""
        self.login_limits = Deployment.check("--login-limits", "web", "login_limits", value, "login_limits")
        if self._store is not None:
            self._store.users.shared_lockouts = value == "store"

    @property
    def deployment(self) -> Deployment:
        """The deployment's settings of chiso.toml (``[serve]``, ``[events]``, ``[log]``, ``[web]``), read when
        asked."""
        return Deployment.read(self.settings, str(self.root / SETTINGS))

    def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.stop()
            self._dispatcher = None
        if self._store is not None:
            self._store.close()
            self._store = None


def find_workspace(explicit: str | Path | None = None, db: str | None = None) -> Workspace:
    """``--workspace`` first, then ``CHISO_HOME``, then the current directory or its parents."""
    if explicit is not None or os.environ.get("CHISO_HOME"):
        root = Path(explicit if explicit is not None else os.environ["CHISO_HOME"]).resolve()
        if not (root / SETTINGS).exists():
            raise WorkspaceError(f"{root} is not a chiso workspace (no {SETTINGS}); run `chiso init` there first")
    else:
        here = Path.cwd().resolve()
        for root in (here, *here.parents):
            if (root / SETTINGS).exists():
                break
        else:
            raise WorkspaceError(
                f"no chiso workspace in {here} or its parents; run `chiso init`, or pass --workspace / set CHISO_HOME"
            )
    settings = tomllib.loads((root / SETTINGS).read_text(encoding="utf-8"))
    url = db or os.environ.get("CHISO_DB") or settings.get("store", {}).get("url", DEFAULT_DB)
    return Workspace(root, url)


def init_workspace(root: Path, db: str | None = None) -> Workspace:
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    settings = root / SETTINGS
    url = db or os.environ.get("CHISO_DB") or DEFAULT_DB
    if not settings.exists():
        settings.write_text(
            "# chiso workspace settings\n[store]\n"
            '# SQLite in this folder by default; PostgreSQL: url = "postgresql://user@host/db"\n'
            f'url = "{url}"\n'
            "\n[workflow]\n"
            "# a second person approves what one entered or submitted; false for a one-person installation\n"
            "four_eyes = true\n",
            encoding="utf-8",
        )
    else:
        url = db or tomllib.loads(settings.read_text(encoding="utf-8")).get("store", {}).get("url", DEFAULT_DB)
    (root / "catalogue" / "indicators").mkdir(parents=True, exist_ok=True)
    (root / "catalogue" / "units").mkdir(parents=True, exist_ok=True)
    ws = Workspace(root, url)
    ws.catalogue  # noqa: B018  -- refuse a broken catalogue at init, not later
    ws.store  # noqa: B018  -- runs the migrations
    return ws


# --- use-cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    values: WriteSummary
    targets: WriteSummary
    sources: WriteSummary


def load(ws: Workspace, name: str, actor: str) -> LoadResult:
    ds = load_dataset(name, ws.catalogue)
    with ws.store.batch():  # a dataset loads whole or not at all
        src = ws.store.write_sources(ds.sources, actor=actor)
        vals = ws.store.write_values(ds.values, actor=actor, kind="load", description=f"dataset {name}")
        tgts = ws.store.write_targets(ds.targets, actor=actor, description=f"dataset {name}")
    return LoadResult(vals, tgts, src)


@dataclass(frozen=True)
class ImportResult:
    file: str
    format: str
    rows: int
    written: WriteSummary
    targets: WriteSummary
    rejected: list[Outcome]
    rejects_file: Path | None


def import_file(
    ws: Workspace, path: Path, *, actor: str, keep_good: bool = False, rejects: Path | None = None
) -> ImportResult:
    """All or nothing by default: any bad row raises ValidationError and nothing is written.

    With ``keep_good`` the good rows are written and the rejected ones, with their reasons, go to
    ``rejects`` (default: ``<file>.rejected.csv`` beside the file).
    """
    if not path.exists():
        raise ImportFileError(str(path), "no such file")
    limits = ws.limits
    fmt, raw = read_value_rows(path, max_bytes=limits.import_bytes, max_rows=limits.import_rows)
    batch = check_rows(ws.catalogue, raw, default_source=f"import:{path.name}")
    bad = batch.bad
    if bad and not keep_good:
        raise ValidationError(batch.problems, source=str(path))
    what = f"import {path.name}"
    with ws.store.batch():  # values and targets of one file: together or not at all
        written = ws.store.write_values(batch.values, actor=actor, kind="import", description=what)
        tg = ws.store.write_targets(batch.targets, actor=actor, description=what)
    rejects_file = None
    if bad:
        rejects_file = rejects or path.with_name(path.name + ".rejected.csv")
        write_rejects(rejects_file, bad)
    return ImportResult(str(path), fmt, len(batch.outcomes), written, tg, bad, rejects_file)


def write_rejects(path: Path, bad: Sequence[Outcome], lang: str | None = None) -> None:
    """The rejected rows as CSV: the row number, every column of the contract as written, the reasons.

    A text that would start a formula in a spreadsheet gets a leading "'" (``chiso.report.exports.neutralise``).
    """
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(REJECT_COLUMNS)
    for o in bad:
        reasons = neutralise("; ".join(p.render(lang) for p in o.problems))
        w.writerow([o.number, *[neutralise(o.fields.get(c) or "") for c in REJECT_COLUMNS[1:-1]], reasons])
    path.write_text(buf.getvalue(), encoding="utf-8")


EXPORT_STATUSES = ("approved", "all")


def select_values(
    ws: Workspace,
    *,
    indicator: str | None = None,
    unit: str | None = None,
    period: str | None = None,
    status: str = "approved",
) -> list[StoredValue]:
    """The stored values to export: ``status`` "approved" (the published ones, the default) or "all" (drafts,
    submitted and returned values too; each row's ``status`` column says which it is)."""
    if status not in EXPORT_STATUSES:
        raise ChisoError(t("cli.export.bad_status", None, status=status))
    ind = ws.catalogue.indicator(indicator).code if indicator else None
    p = Period.parse(period) if period else None
    units = [ws.catalogue.unit(unit, on=p.end if p else None).code] if unit else None
    statuses = ["approved"] if status == "approved" else None
    return ws.store.values(indicator=ind, units=units, within=p, statuses=statuses)


# --- written reports ------------------------------------------------------------------------------

REPORTS = "reports"


@dataclass(frozen=True)
class WrittenReport:
    """A report written into a folder: its files by format, and what it could not state."""

    id: str
    title: str
    period: str
    template: str
    lang: str
    generated_at: str
    files: dict[str, Path]
    missing: int = 0  # indicators of the template without data for the period

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "period": self.period,
            "template": self.template,
            "lang": self.lang,
            "generated_at": self.generated_at,
            "files": {k: str(v) for k, v in self.files.items()},
            "missing": self.missing,
        }


def report_templates(ws: Workspace) -> list[tuple[str, str]]:
    """(id, title) of the report templates: the shipped ones and the workspace's ``catalogue/reports``."""
    from chiso.report.specs import load_specs

    specs = load_specs([ws.root / "catalogue" / "reports"], ws.catalogue)
    return [(s.id, s.name.get("vi")) for s in specs.values()]


def write_report(
    ws: Workspace,
    period: str,
    *,
    formats: Sequence[str] = ("html", "pdf", "docx"),
    template: str | None = None,
    lang: str = "vi",
    out: Path | None = None,
    structure: date | None = None,
    actor: str = "",
    progress: Callable[[str], None] | None = None,
    unit: str | None = None,
    unit_field: str = "unit",
) -> WrittenReport:
    """Compose the report of ``period`` from the published (approved) data and write it in each format.

    ``unit``: a province (its name or code) for the province's own report (the first template of scope
    ``province``), written beside the national one, never over it; ``unit_field`` names the option or field
    that gave it in an error ("--unit" on the command line). Who may write which: ``auth.can_write_report``."""
    import json

    from chiso.report import render
    from chiso.report.compose import compose
    from chiso.report.specs import load_specs, spec_for

    say = progress or (lambda _what: None)
    p = Period.parse(period)
    province = report_province(ws.catalogue, unit, p, unit_field) if unit is not None else None
    specs = load_specs([ws.root / "catalogue" / "reports"], ws.catalogue, scope=None)
    spec = spec_for(specs, p, template, "nation" if province is None else "province")
    say("Đang tổng hợp số liệu…" if lang == "vi" else "Gathering the figures…")
    report = compose(ws.engine, spec, p, lang=lang, structure=structure, unit=province)
    folder = out or ws.root / REPORTS
    say("Đang dàn trang…" if lang == "vi" else "Laying out…")
    paths = render.write(report, folder, tuple(formats))
    files = {path.suffix.lstrip("."): path for path in paths}
    written = WrittenReport(
        report.id, report.title, report.period, report.template, report.lang,
        report.generated_at.isoformat(timespec="seconds"), files, len(report.missing),
    )
    meta = {**written.as_dict(), "actor": actor}
    render.write_atomic(folder / f"{report.id}.json", json.dumps(meta, ensure_ascii=False, indent=2).encode())
    return written


def report_province(catalogue: Catalogue, ref: str, period: Period, field: str = "unit") -> Unit:
    """The province a report is about, by its name or code as valid at the period's end; anything else (a
    ministry, a commune, a group, an unknown name) is a ValidationError naming ``field`` and what it expects."""
    from chiso.report.specs import is_province

    try:
        u = catalogue.unit(ref.strip(), on=period.end)
    except UnknownUnitError as exc:
        reason = Problem(None, field, "report.unit.unknown", {"name": ref, "suggest": ", ".join(exc.suggestions)})
        raise ValidationError([reason]) from None
    if not is_province(u):
        raise ValidationError([Problem(None, field, "report.unit.not_province", {"name": u.name, "code": u.code})])
    return u


def list_reports(ws: Workspace) -> list[WrittenReport]:
    """The reports written into the workspace, newest first (a file deleted by hand drops out)."""
    import json

    folder = ws.root / REPORTS
    found: list[WrittenReport] = []
    for meta in folder.glob("*.json") if folder.is_dir() else ():
        try:
            d = json.loads(meta.read_text(encoding="utf-8"))
            files = {k: folder / Path(v).name for k, v in d["files"].items() if (folder / Path(v).name).exists()}
            found.append(WrittenReport(d["id"], d["title"], d["period"], d["template"], d["lang"],
                                       d["generated_at"], files, int(d.get("missing", 0))))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a report's metadata
    return sorted((r for r in found if r.files), key=lambda r: r.generated_at, reverse=True)


# --- figures read back from a published report --------------------------------------------------------
# (imported here, with the section, which was appended to this module)


@dataclass(frozen=True)
class AcceptResult:
    """What accepting proposals wrote: the source document, values and targets (each audited)."""

    source: str
    values: WriteSummary
    targets: WriteSummary
    sources: WriteSummary


def report_source(name: str, text: str, *, title: str | None = None) -> SourceDocument:
    """The source document of a report read back: id ``extract.<stem>.<sha8 of the text>``, authority 5."""
    import hashlib
    import re

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", fold(Path(name).stem)).strip("-.") or "report"
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), name)
    return SourceDocument(
        id=f"extract.{stem[:60]}.{digest}", title=(title or first)[:300], file=Path(name).name, authority=5
    )


def read_report(
    catalogue: Catalogue,
    text: str,
    name: str,
    default_period: str | None = None,
    *,
    title: str | None = None,
    fmt: str = "text",
) -> tuple[SourceDocument, list[Proposal]]:
    """Proposals of a report's text (already decoded; ``fmt`` as ``read_document`` gives it) and the source
    document they would cite."""
    return report_source(name, text, title=title), extract(text, catalogue, default_period=default_period, fmt=fmt)


def extract_file(
    ws: Workspace, path: Path, default_period: str | None = None, *, title: str | None = None
) -> tuple[SourceDocument, list[Proposal]]:
    """Read a report file (text, HTML, PDF or DOCX) and propose its figures; nothing is written."""
    text, fmt = read_document(path)
    return read_report(ws.catalogue, text, path.name, default_period, title=title, fmt=fmt)


def accept_proposals(ws: Workspace, doc: SourceDocument, proposals: Sequence[Proposal], *, actor: str) -> AcceptResult:
    """Import the proposals with their provenance (source document, line), all or nothing.

    Every proposal is checked first by the one intake (``chiso.ingest.intake.check_proposals``); any problem
    raises ValidationError and nothing is written. Then the source document, the values and the
    targets are written in one transaction, each write audited under ``actor``.
    """
    batch = check_proposals(ws.catalogue, doc, proposals)
    if batch.problems:
        raise ValidationError(batch.problems, source=doc.file or doc.id)
    what = f"extract {doc.file or doc.id}"
    with ws.store.batch():
        src = ws.store.write_sources([doc], actor=actor) if batch.values or batch.targets else WriteSummary(None)
        vals = ws.store.write_values(batch.values, actor=actor, kind="extract", description=what)
        tgts = ws.store.write_targets(batch.targets, actor=actor, description=what)
    return AcceptResult(doc.id, vals, tgts, src)


# --- recomputing the kept aggregates ---------------------------------------------------------------------
@dataclass(frozen=True)
class Recomputed:
    """What a recompute installed (or, with ``check``, found different from the kept aggregates)."""

    engine: str
    daily: int  # rows per province and day
    local: int  # rows per commune and day
    first_seen: int
    days: int | None  # the days replaced (None: all)
    differences: tuple[str, ...] = ()


ENGINES = ("duckdb", "spark")


def recompute_events(
    ws: Workspace,
    *,
    engine: str = "duckdb",
    master: str | None = None,
    source: Path | None = None,
    days: Collection[date] | None = None,
    check: bool = False,
    backend: Any = None,
) -> Recomputed:
    """Every event-derived measure computed again from the raw events, and installed as the kept aggregates
    (per province, per commune, first seen), all or nothing.

    Without ``source`` the workspace's own event store is read (DuckDB). With ``source``, a day- or
    month-partitioned Parquet export (``chiso events export --by day``: shared storage) is read by DuckDB or
    by Spark (``master``: ``spark://host:7077`` for a standalone cluster, ``local[2]`` by default); with
    ``days``, only those days are computed and their sums replaced (an incremental run over new partitions).
    ``check``: nothing installed, the differences from the kept aggregates returned. ``backend``: an Ibis backend
    already connected (a follower keeps one Spark session across runs)."""
    _check_recompute(engine, source, days)
    if source is None:
        ing = ws.ingestor()
        try:
            daily, first = ing.recompute()
            local = ing.recompute_local()
        finally:
            ing.events.close()
    else:
        from chiso.engine.spark import recompute_everything_on

        daily, first, local = recompute_everything_on(backend or _backend(engine, master), source, ws.catalogue, days)
    n = None if days is None else len(set(days))
    book = ws.store.events
    if check:
        diffs = []
        for name, fresh, local_sums in (("event_agg", daily, False), ("event_agg_local", local, True)):
            count, first_few = book.differences(fresh, local=local_sums, days=days)
            if count:
                diffs.append(f"{name}: {count} differences, e.g. {first_few}")
        return Recomputed(engine, daily.num_rows, local.num_rows, first.num_rows, n, tuple(diffs))
    if days is None:
        book.replace_all(daily, first, local)
    else:
        book.replace_days(days, daily, first, local)
    return Recomputed(engine, daily.num_rows, local.num_rows, first.num_rows, n)


def _check_recompute(engine: str, source: Path | None, days: Collection[date] | None) -> None:
    if engine not in ENGINES:
        raise ChisoError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if source is None and (engine != "duckdb" or days is not None):
        raise ChisoError("--from FOLDER is needed: --engine spark and --days read a Parquet export "
                         "(chiso events export FOLDER --by day)")
    if source is not None and not source.is_dir():
        raise ImportFileError(str(source), "not a folder of Parquet files (chiso events export FOLDER --by day)")


def follow_exports(
    ws: Workspace,
    source: Path,
    *,
    engine: str = "duckdb",
    master: str | None = None,
    days: Collection[date] | None = None,
    poll: float = 2.0,
    stop: Callable[[], bool],
    done: Callable[[Recomputed], None],
) -> None:
    """A recompute that stays: the export is computed once (``days``: only those), then each later export into
    ``source`` (``chiso events export``, which writes its marker last) is computed as it lands, on the same
    session: a day's export replaces that day's sums, a whole export all of them. Runs until ``stop()``; the run
    under way finishes first."""
    _check_recompute(engine, source, days)
    backend = _backend(engine, master)
    marker = read_export_marker(source)
    seen = marker["seq"] if marker else None
    done(recompute_events(ws, engine=engine, source=source, days=days, backend=backend))
    while not stop():
        marker = read_export_marker(source)
        if marker is None or marker["seq"] == seen:
            time.sleep(poll)
            continue
        seen = marker["seq"]
        wanted = None if marker["days"] is None else [date.fromisoformat(d) for d in marker["days"]]
        done(recompute_events(ws, engine=engine, source=source, days=wanted, backend=backend))


def _backend(engine: str, master: str | None) -> Any:
    import ibis

    if engine == "duckdb":
        return ibis.duckdb.connect()
    from chiso.engine.spark import spark_backend, spark_session

    return spark_backend(spark_session(master or "local[2]"))


# early warnings (issue 15 §2; docs/warnings.md) ----------------------------------------------------------------------
def warning_scope(ws: Workspace, user: auth.User | None) -> frozenset[str] | None:
    """The units whose warnings ``user`` may see (None: every unit: the command line, a national user)."""
    if user is None:
        return None
    if not user.active:
        return frozenset()
    root = ws.catalogue.units.get(user.unit)
    if root is not None and root.type is UnitType.NATION:
        return None
    return auth.subtree(ws.catalogue, user)


def list_warnings(ws: Workspace, user: auth.User | None = None, *, unit: str | None = None,
                  kinds: Collection[str] | None = None, states: Collection[str] | None = None,
                  limit: int = MAX_WARNINGS) -> list[WarningRecord]:
    """The warnings ``user`` may see (``unit``: of that unit and the units below it), the latest first."""
    scope = warning_scope(ws, user)
    if unit is not None:
        code = ws.catalogue.unit(unit).code
        if scope is not None and code not in scope:
            raise PermissionDenied(f"{user.username if user else 'the public'} may not see the warnings of {code}")
        below = auth.subtree(ws.catalogue, auth.User(0, "", "", auth.Role.VIEWER, code))
        scope = below if scope is None else scope & below
    for name, given, allowed in (("kind", kinds, WARNING_KINDS), ("state", states, WARNING_STATES)):
        bad = sorted(set(given or ()) - set(allowed))
        if bad:
            raise UnknownNameError(bad[0], list(allowed), detail=f"no such warning {name}")
    return ws.store.warnings.find(units=scope, kinds=kinds, states=states, limit=limit)


def set_warning_state(ws: Workspace, user: auth.User | None, wid: int, state: str, actor: str) -> WarningRecord:
    """Mark a warning seen or resolved. On the web: a user who may enter or review for its unit (a viewer only
    reads); a warning outside the user's scope is as unknown as one that does not exist."""
    if state not in ("seen", "resolved"):
        raise UnknownNameError(state, ["seen", "resolved"], detail="a warning is marked seen or resolved")
    w = ws.store.warnings.get(wid) if 0 < wid < 2**31 else None
    scope = warning_scope(ws, user)
    if w is None or (scope is not None and w.finding.unit not in scope):
        raise UnknownWarningError(str(wid))
    if user is not None and user.role is auth.Role.VIEWER:
        raise PermissionDenied(f"{user.username} may read warnings, not mark them")
    moved = ws.store.warnings.set_state(wid, state, actor)
    assert moved is not None
    return moved


# subscriptions and notifications (issue 15 §3; docs/notifications.md) -----------------------------------------------
def subscribe(ws: Workspace, user: auth.User, **fields: Any) -> Subscription:
    """A subscription of ``user``: to a unit in their scope (``notify.check_subscription``), at most
    ``[notify] max_per_user`` of them. The dispatcher's cursor starts at the warning log's end if it has none."""
    checked = check_subscription(ws.catalogue, user, report_day=ws.notify_settings.report_day, **fields)
    if ws.store.notify.count(user.id) >= ws.notify_settings.max_per_user:
        raise ValidationError([Problem(None, "subscription", "notify.bad.too_many",
                                       {"limit": ws.notify_settings.max_per_user})])
    ws.store.notify.start_cursor(NOTIFY_CURSOR, ws.store.warnings.last_log_id())
    return ws.store.notify.subscribe(user.id, **checked)


def user_named(ws: Workspace, username: str) -> auth.User:
    """An application user by login name (the command line acts for one when it subscribes)."""
    r = ws.store.users.by_username(username[:100])
    if r is None:
        raise UnknownNameError(username[:100], detail="user")
    return auth.user_of(r)


def subscriptions(ws: Workspace, user: auth.User | None) -> list[Subscription]:
    """A user's subscriptions (None: everyone's: the command line's operator)."""
    return ws.store.notify.subscriptions(user.id if user is not None else None)


def unsubscribe(ws: Workspace, user: auth.User | None, sid: int) -> None:
    if not (0 < sid < 2**31 and ws.store.notify.unsubscribe(sid, user.id if user is not None else None)):
        raise UnknownSubscriptionError(str(sid))


def notifications(ws: Workspace, user: auth.User, limit: int = 100, *, unread: bool = False,
                  ) -> list[tuple[Delivery, WarningRecord | None]]:
    """A user's in-app notifications, the newest first: warnings (with their record), reports (None; the PDF by
    ``delivered_report``) and digests (None; their warnings by ``digest_warnings``), those still in their scope."""
    out: list[tuple[Delivery, WarningRecord | None]] = []
    for d in ws.store.notify.deliveries(user_id=user.id, channel="inapp", states=["sent"], unread=unread,
                                        limit=min(limit, 1000)):
        if d.item.startswith("report:"):
            if d.file is not None and auth.can_read_unpublished(ws.catalogue, user, d.subscription.unit):
                out.append((d, None))
            continue
        if d.item.startswith("digest:"):  # its warnings: ``digest_warnings``
            if auth.can_read_unpublished(ws.catalogue, user, d.subscription.unit):
                out.append((d, None))
            continue
        w = ws.store.warnings.get(d.warning) if d.warning is not None else None
        if w is not None and auth.can_read_unpublished(ws.catalogue, user, w.finding.unit):
            out.append((d, w))
    return out


def digest_warnings(ws: Workspace, user: auth.User, digests: Sequence[Delivery]) -> dict[int, list[WarningRecord]]:
    """Per digest notification of ``user``'s, the warnings it carried that are still in their scope."""
    mine = [d.id for d in digests if d.subscription.user_id == user.id]
    out: dict[int, list[WarningRecord]] = {}
    for did, wids in ws.store.notify.in_digest(mine).items():
        found = (ws.store.warnings.get(wid) for wid in wids)
        out[did] = [w for w in found if w is not None and auth.can_read_unpublished(ws.catalogue, user, w.finding.unit)]
    return out


def unread_count(ws: Workspace, user: auth.User) -> int:
    """How many of ``user``'s in-app notifications are unread (the navigation's count)."""
    return ws.store.notify.unread(user.id)


def mark_read(ws: Workspace, user: auth.User, did: int | None = None) -> int:
    """Mark ``user``'s in-app notification ``did`` read, or all of theirs (None): how many were unread. A number that
    is not one of ``user``'s notifications — anyone else's included — is UnknownNotificationError (a 404: the
    numbers of other users' notifications are not told apart from numbers that do not exist)."""
    if did is not None and not 0 < did < 2**63:
        raise UnknownNotificationError(str(did), report=False)
    n = ws.store.notify.mark_read(user.id, did)
    if n is None:
        raise UnknownNotificationError(str(did), report=False)
    return n


DELIVERED = "delivered"  # reports/delivered: the reports written for subscribers
SAFE_FILE = re.compile(r"[\w.-]{1,200}")


def delivered_report(ws: Workspace, user: auth.User, did: int) -> Path:
    """The PDF a report delivery of ``user``'s carried (any channel: a webhook's or a mail's link too), while its
    unit is in their scope; anything else, someone else's included, is the same UnknownNotificationError."""
    rows = ws.store.notify.deliveries(ids=[did], user_id=user.id, states=["sent"]) if 0 < did < 2**63 else []
    d = rows[0] if rows else None
    if d is not None and d.file is not None and SAFE_FILE.fullmatch(d.file.name) and not d.file.name.startswith(".") \
            and auth.can_read_unpublished(ws.catalogue, user, d.subscription.unit):
        path = ws.root / REPORTS / DELIVERED / d.file.name
        if path.is_file():
            return path
    raise UnknownNotificationError(str(did))


def signed_report(ws: Workspace, did: int, exp: int | None, sig: str | None) -> Path:
    """The PDF of delivery ``did`` for a signed link (``notify.signed_report_link``: in a report's mail and webhook),
    without a session: LinkRefused when the signature does not match or the link expired; then the same checks as
    ``delivered_report`` for the delivery's subscriber (active, the unit still in their scope), else
    UnknownNotificationError."""
    if not 0 < did < 2**63:
        raise LinkRefused("bad")
    why = check_link(ws.store.notify.secret(LINK_SECRET), did, exp, sig, time.time())
    if why is not None:
        raise LinkRefused(why)
    rows = ws.store.notify.deliveries(ids=[did], states=["sent"])
    rec = ws.store.users.by_id(rows[0].subscription.user_id) if rows else None
    if rec is None or not rec.active:
        raise UnknownNotificationError(str(did))
    return delivered_report(ws, auth.user_of(rec), did)
