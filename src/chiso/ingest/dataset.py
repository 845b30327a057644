"""Shipped datasets (``chiso/datasets/<name>/``): source documents, values and targets, checked on load.

Values and targets go through the one intake (``chiso.ingest.intake``); the first problem is refused as a
definition error naming the file and the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticError

from chiso.catalogue import Catalogue, yamlfile
from chiso.catalogue.models import SourceDocument, Target
from chiso.catalogue.records import ValueInput
from chiso.errors import DefinitionError, Problem, UnknownNameError
from chiso.ingest.intake import Batch, Figure, check_figures


@dataclass(frozen=True)
class Dataset:
    name: str
    sources: list[SourceDocument]
    values: list[ValueInput]
    targets: list[Target]


def datasets_dir() -> Path:
    return Path(str(files("chiso") / "datasets"))


def available() -> list[str]:
    return sorted(p.name for p in datasets_dir().iterdir() if (p / "values.yaml").exists())


def _entries(path: Path, key: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    doc = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict) or not isinstance(doc.get(key, []), list):
        raise DefinitionError(str(path), None, f"expected a top-level key {key!r} holding a list")
    return list(doc.get(key, []))


def load_dataset(name: str, catalogue: Catalogue, base: Path | None = None) -> Dataset:
    root = (base or datasets_dir()) / name
    if not (root / "values.yaml").exists():
        raise UnknownNameError(name, available(), detail="no such dataset")
    sources = []
    for i, e in enumerate(_entries(root / "sources.yaml", "sources"), start=1):
        try:
            sources.append(SourceDocument.model_validate(e))
        except PydanticError as exc:
            raise DefinitionError(str(root / "sources.yaml"), f"entry {i}", str(exc.errors()[0]["msg"])) from None
    known_sources = {s.id for s in sources}
    return Dataset(
        name,
        sources,
        _values(catalogue, root / "values.yaml", known_sources),
        _targets(catalogue, root / "targets.yaml"),
    )


def _refuse(file: Path, entries: list[dict[str, Any]], batch: Batch) -> None:
    """The first problem of the batch, as a definition error naming the file and the entry."""
    bad = next((o for o in batch.outcomes if o.problems), None)
    if bad is None:
        return
    i = bad.number or 0
    e = entries[i - 1]
    label = f"entry {i} ({e.get('indicator')}, {e.get('unit')}, {e.get('period')})"
    p = bad.problems[0]
    raise DefinitionError(str(file), label, str(Problem(None, p.field, p.reason, p.params, p.value)))


def _values(catalogue: Catalogue, file: Path, known_sources: set[str]) -> list[ValueInput]:
    entries = _entries(file, "values")
    for i, e in enumerate(entries, start=1):
        if e.get("source") not in known_sources:
            label = f"entry {i} ({e.get('indicator')}, {e.get('unit')}, {e.get('period')})"
            raise DefinitionError(str(file), label, f"source {e.get('source')!r} is not in sources.yaml")
    batch = check_figures(
        catalogue,
        (
            (
                i,
                Figure(
                    code=e.get("indicator"),
                    unit=e.get("unit"),
                    period=None if e.get("period") is None else str(e["period"]),
                    value=e.get("value"),
                    numerator=e.get("numerator"),
                    denominator=e.get("denominator"),
                    approximate=bool(e.get("approximate", False)),
                    qualifier=e.get("qualifier"),
                    source=str(e["source"]),
                    paragraph=e.get("paragraph"),
                    comment=e.get("comment"),
                ),
            )
            for i, e in enumerate(entries, start=1)
        ),
    )
    _refuse(file, entries, batch)
    return batch.values


def _targets(catalogue: Catalogue, file: Path) -> list[Target]:
    entries = _entries(file, "targets")
    for i, e in enumerate(entries, start=1):
        try:
            Target.model_validate(e)  # the file's shape: no unknown or missing keys
        except PydanticError as exc:
            raise DefinitionError(str(file), f"entry {i}", str(exc.errors()[0]["msg"])) from None
    batch = check_figures(
        catalogue,
        (
            (
                i,
                Figure(
                    code=e.get("indicator"),
                    unit=e.get("unit"),
                    period=str(e["period"]),
                    target=e.get("value"),
                    source=e.get("source"),
                    paragraph=e.get("paragraph"),
                    comment=e.get("note"),
                ),
            )
            for i, e in enumerate(entries, start=1)
        ),
    )
    _refuse(file, entries, batch)
    return batch.targets
