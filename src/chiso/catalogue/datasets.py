"""Data sets as data: the indicators a group's members report for each period of a kind."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from chiso.catalogue import yamlfile
from chiso.catalogue.models import Text
from chiso.catalogue.periods import PeriodKind
from chiso.errors import DefinitionError


class DataSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    period: PeriodKind
    group: str  # whose members report it
    indicators: tuple[str, ...] = Field(min_length=1)
    # the deadline: this many days after the period ends (None: none, so never late); the late-reporting warning
    # (chiso.engine.warnings.late_reports) reads it
    deadline_days: int | None = Field(default=None, ge=0, le=366)


def load_datasets(files: list[Path], indicators: set[str], units: set[str]) -> dict[str, DataSet]:
    out: dict[str, DataSet] = {}
    for path in files:
        doc = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
        for i, entry in enumerate(doc.get("datasets", []) or [], start=1):
            label = f"entry {i} ({entry.get('id')})" if isinstance(entry, dict) else f"entry {i}"
            try:
                ds = DataSet.model_validate(entry)
            except PydanticError as exc:
                raise DefinitionError(str(path), label, str(exc.errors()[0]["msg"])) from None
            for code in ds.indicators:
                if code not in indicators:
                    raise DefinitionError(str(path), label, f"indicator {code!r} is not defined")
            if ds.group not in units:
                raise DefinitionError(str(path), label, f"group {ds.group!r} is not a defined unit")
            if ds.id in out:
                raise DefinitionError(str(path), label, f"data set {ds.id!r} is already defined")
            out[ds.id] = ds
    return out
