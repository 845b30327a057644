"""Shipped datasets (``chiso/datasets/<name>/``): source documents, values and targets, checked on load."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticError

from chiso.catalogue import Catalogue
from chiso.catalogue.models import SourceDocument, Target
from chiso.catalogue.periods import Period
from chiso.catalogue.records import ValueInput
from chiso.errors import DefinitionError, Problem, UnknownNameError
from chiso.ingest.validate import check_numbers


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
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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
    values: list[ValueInput] = []
    vfile = str(root / "values.yaml")
    for i, e in enumerate(_entries(root / "values.yaml", "values"), start=1):
        label = f"entry {i} ({e.get('indicator')}, {e.get('unit')}, {e.get('period')})"
        try:
            ind = catalogue.indicator(str(e["indicator"]))
            period = Period.parse(str(e["period"]))
            unit = catalogue.unit(str(e["unit"]), on=period.end)
        except KeyError as exc:
            raise DefinitionError(vfile, label, f"missing field {exc.args[0]!r}") from None
        except UnknownNameError as exc:
            raise DefinitionError(vfile, label, str(exc)) from None
        if e.get("source") not in known_sources:
            raise DefinitionError(vfile, label, f"source {e.get('source')!r} is not in sources.yaml")
        problems: list[Problem] = []

        def num(key: str, entry: dict[str, Any] = e) -> float | None:
            v = entry.get(key)
            return None if v is None else float(v)

        value = check_numbers(ind, num("value"), num("numerator"), num("denominator"), None, problems)
        if problems:
            raise DefinitionError(vfile, label, str(problems[0]))
        try:
            values.append(
                ValueInput(
                    indicator=ind.code,
                    unit=unit.code,
                    period=str(period),
                    value=value,
                    numerator=num("numerator"),
                    denominator=num("denominator"),
                    approximate=bool(e.get("approximate", False)),
                    qualifier=e.get("qualifier"),
                    source=str(e["source"]),
                    paragraph=e.get("paragraph"),
                    comment=e.get("comment"),
                )
            )
        except PydanticError as exc:
            raise DefinitionError(vfile, label, str(exc.errors()[0]["msg"])) from None
    keys = [v.key for v in values]
    if len(keys) != len(set(keys)):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise DefinitionError(vfile, None, f"the key {dup} appears twice")
    targets = []
    tfile = str(root / "targets.yaml")
    for i, e in enumerate(_entries(root / "targets.yaml", "targets"), start=1):
        try:
            tg = Target.model_validate(e)
            catalogue.indicator(tg.indicator)
            p = Period.parse(tg.period)
            unit = catalogue.unit(tg.unit, on=p.end)
        except PydanticError as exc:
            raise DefinitionError(tfile, f"entry {i}", str(exc.errors()[0]["msg"])) from None
        except UnknownNameError as exc:
            raise DefinitionError(tfile, f"entry {i}", str(exc)) from None
        targets.append(tg.model_copy(update={"unit": unit.code, "period": str(p)}))
    return Dataset(name, sources, values, targets)
