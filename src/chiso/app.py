"""Composition root: a workspace's settings, catalogue, store and engine, and the use-cases on them.

The CLI and the web application call these functions; neither holds logic of its own.
"""

from __future__ import annotations

import csv
import io
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from chiso.catalogue import Catalogue, load_catalogue
from chiso.catalogue.periods import Period
from chiso.catalogue.records import StoredValue
from chiso.engine import Engine
from chiso.errors import ImportFileError, Problem, ValidationError, WorkspaceError
from chiso.ingest.dataset import load_dataset
from chiso.ingest.events import EventIngestor
from chiso.ingest.files import read_value_rows
from chiso.ingest.validate import RowOutcome, validate_rows
from chiso.store import Store, WriteSummary

SETTINGS = "chiso.toml"
DEFAULT_DB = "sqlite:///chiso.sqlite"


@dataclass
class Workspace:
    root: Path
    db_url: str
    _store: Store | None = field(default=None, repr=False)

    @cached_property
    def catalogue(self) -> Catalogue:
        return load_catalogue([self.root / "catalogue"])

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.resolved_db_url)
        return self._store

    @cached_property
    def engine(self) -> Engine:
        return Engine(self.catalogue, self.store, self.store.events)

    @property
    def events_path(self) -> Path:
        return self.root / "events.duckdb"

    def ingestor(self) -> EventIngestor:
        """The single writer of events for this workspace (opens the event store read-write)."""
        from chiso.store.events import EventStore

        ing = EventIngestor(self.catalogue, self.store, EventStore(self.events_path))
        ing.recover()
        return ing

    @property
    def resolved_db_url(self) -> str:
        """Relative SQLite paths are relative to the workspace, not to the current directory."""
        url = self.db_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
            return prefix + str((self.root / url[len(prefix) :]).resolve())
        return url

    def close(self) -> None:
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
            f'url = "{url}"\n',
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
    rejected: list[RowOutcome]
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
    fmt, raw = read_value_rows(path)
    outcomes = validate_rows(ws.catalogue, [(r.number, r.fields) for r in raw], default_source=f"import:{path.name}")
    bad = [o for o in outcomes if o.problems]
    if bad and not keep_good:
        raise ValidationError([p for o in bad for p in o.problems], source=str(path))
    good = [o for o in outcomes if not o.problems and o.value is not None]
    written = ws.store.write_values(
        [o.value for o in good if o.value], actor=actor, kind="import", description=f"import {path.name}"
    )
    tg = ws.store.write_targets([o.target for o in good if o.target], actor=actor, description=f"import {path.name}")
    rejects_file = None
    if bad:
        rejects_file = rejects or path.with_name(path.name + ".rejected.csv")
        write_rejects(rejects_file, bad)
    return ImportResult(str(path), fmt, len(outcomes), written, tg, bad, rejects_file)


def write_rejects(path: Path, bad: Sequence[RowOutcome], lang: str | None = None) -> None:
    cols = [
        "row",
        "code",
        "unit",
        "period",
        "value",
        "numerator",
        "denominator",
        "target",
        "approximate",
        "source",
        "comment",
        "reason",
    ]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(cols)
    for o in bad:
        reasons = "; ".join(_problem_text(p, lang) for p in o.problems)
        w.writerow([o.number, *[o.fields.get(c) or "" for c in cols[1:-1]], reasons])
    path.write_text(buf.getvalue(), encoding="utf-8")


def _problem_text(p: Problem, lang: str | None) -> str:
    return p.render(lang)


def select_values(
    ws: Workspace, *, indicator: str | None = None, unit: str | None = None, period: str | None = None
) -> list[StoredValue]:
    ind = ws.catalogue.indicator(indicator).code if indicator else None
    p = Period.parse(period) if period else None
    units = [ws.catalogue.unit(unit, on=p.end if p else None).code] if unit else None
    return ws.store.values(indicator=ind, units=units, within=p)
