"""Report templates (specs) as data: which indicators a report states, in which sections, in which words.

A spec is one YAML file. The built-in ones ship in ``chiso/report/specs``; a workspace adds or overrides
them (by ``id``) with files in ``<workspace>/catalogue/reports``. A spec may ``extends`` another (or the
built-in of its own id): mappings merge key by key, lists and scalars replace. A broken spec is refused
with a ``DefinitionError`` naming the file, the entry and the reason, like a broken catalogue definition.

Wording is a set of *slots*, each a list of sentence variants in Vietnamese and English with named
placeholders (``{value}``, ``{comparisons}``, ``{target}``…); the composer picks among the variants
(``chiso.report.phrasing``) so that a user changes the wording without touching code.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from pydantic import ValidationError as PydanticError

from chiso.catalogue import Catalogue, load_catalogue, yamlfile
from chiso.catalogue.models import Pillar, Text, Unit, UnitType
from chiso.catalogue.periods import Period, PeriodKind
from chiso.errors import ChisoError, DefinitionError, UnknownIndicatorError

__all__ = [
    "LABELS",
    "NOTES",
    "SLOTS",
    "Annex",
    "IndexEntry",
    "Item",
    "Ranking",
    "ReportSpec",
    "Section",
    "Series",
    "Summary",
    "builtin_province_specs_dir",
    "builtin_specs_dir",
    "is_province",
    "load_specs",
    "spec_for",
]

# --- the vocabulary a spec's wording may use ---------------------------------------------------------

# ``unit``: the unit the report is about (the nation's name in a national report, the province's in a province's)
_VALUE = frozenset({"name", "period", "value", "comparisons", "nation", "unit"})
_RANKING = frozenset({"name", "period", "group", "members", "units", "coverage", "unit"})

# slot -> the placeholders its variants may use; the composer fills every one of them
SLOTS: dict[str, frozenset[str]] = {
    "summary_lead": frozenset({"period", "nation", "unit"}),
    "value": _VALUE,
    "value_rate": _VALUE,
    "value_count": _VALUE,
    "value_stock": _VALUE,
    "value_average_per_day": _VALUE,
    "value_rank": _VALUE,
    "value_score": _VALUE,
    "blocs": frozenset({"name", "period", "ministries", "provinces"}),
    "bloc_one": frozenset({"name", "period", "group", "value"}),
    "blocs_only": frozenset({"name", "period", "ministries", "provinces"}),
    "bloc_only_one": frozenset({"name", "period", "group", "value"}),
    "bloc_target": frozenset({"target", "target_period"}),
    "coverage": frozenset({"coverage", "members"}),
    "change_up": frozenset({"change", "ref"}),
    "change_down": frozenset({"change", "ref"}),
    "change_flat": frozenset({"ref"}),
    "change_times": frozenset({"ratio", "ref"}),
    "rank_up": frozenset({"change", "ref"}),
    "rank_down": frozenset({"change", "ref"}),
    "rank_flat": frozenset({"ref"}),
    "ref_previous": frozenset({"period", "value"}),
    "ref_last_year": frozenset({"period", "year", "value"}),
    "target_above": frozenset({"target", "target_period", "gap", "attainment"}),
    "target_equal": frozenset({"target", "target_period"}),
    "target_below": frozenset({"target", "target_period", "gap", "attainment"}),
    "leaders": _RANKING,
    "laggards": _RANKING,
    "unit_value": frozenset({"unit", "value"}),
    "behind_target": frozenset({"count", "members", "group", "target", "target_period", "units"}),
    "behind_own_target": frozenset({"count", "members", "group", "units"}),
    "behind_units": frozenset({"units"}),
    "all_met": frozenset({"members", "group", "target", "target_period"}),
    "alternative": frozenset({"name", "source"}),
    "missing": frozenset({"names", "period"}),
    # a province's report: its figure beside the nation's and its bloc's (both, or the one with data)
    "versus": frozenset({"name", "period", "unit", "nation", "bloc"}),
    "versus_one": frozenset({"name", "period", "unit", "scope", "value"}),
}
PROVINCE_SLOTS = frozenset({"versus", "versus_one"})
# kind-specific value sentences fall back to ``value``; a national report needs no province slot
OPTIONAL_SLOTS = frozenset(s for s in SLOTS if s.startswith("value_")) | PROVINCE_SLOTS

# single labels (titles, table headers, words) and their placeholders
LABELS: dict[str, frozenset[str]] = {
    "nation": frozenset(),  # "Việt Nam", in sentences
    "nation_scope": frozenset(),  # "Cả nước", a table's or a chart's scope
    "and": frozenset(),
    "series_title": frozenset({"name", "period"}),
    "ranking_title": frozenset({"name", "group", "period"}),
    "target_line": frozenset(),
    "chart_gaps": frozenset(),
    "chart_computed": frozenset(),
    "annex_table": frozenset({"pillar"}),
    "annex_indicator": frozenset(),
    "annex_scope": frozenset(),
    "annex_value": frozenset(),
    "annex_target": frozenset(),
    "annex_attainment": frozenset(),
    "annex_previous": frozenset(),
    "annex_previous_year": frozenset(),
    "annex_last_year": frozenset(),
    "annex_source": frozenset(),
    "source_computed": frozenset(),
    "source_aggregated": frozenset(),
    "source_unknown": frozenset(),
    # a ranking's full table (``Ranking.table``), in a section of its own after the annex
    "ranking_annex": frozenset(),
    "ranking_table": frozenset({"name", "group", "period"}),
    "ranking_rank": frozenset(),
    "ranking_unit": frozenset(),
}
# needed only by a spec with tables
TABLE_LABELS = frozenset({"ranking_annex", "ranking_table", "ranking_rank", "ranking_unit"})
# notes at the end of the report: method (always), approximate / computed (when such figures are stated),
# structure (when a structure date is asked for), rebased (per group and change, when rebased figures are stated)
NOTES: dict[str, frozenset[str]] = {
    "method": frozenset(),
    "approximate": frozenset(),
    "computed": frozenset(),
    "structure": frozenset({"date"}),
    "rebased": frozenset({"date", "members", "structure"}),
}
_TITLE = frozenset({"period", "start", "end", "unit"})
_REPORT_ID = frozenset({"slug", "unit"})
_ISSUER = frozenset({"unit"})
UNIT = "{unit}"  # in a province spec's ranking groups, series units and group words: the province's code
BLOCS = ("ministries", "provinces")


# --- the models ----------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ranking(_Strict):
    """Members of a group by their value: leaders and laggards named, those behind target counted."""

    group: str = "provinces"  # a group code; in a province's spec "{unit}.communes" (the province's communes)
    top: int = Field(default=3, ge=0, le=20)
    bottom: int = Field(default=3, ge=0, le=20)
    behind_target: bool = True
    chart: bool = False  # bars of the members
    chart_limit: int | None = Field(default=None, ge=1)  # bars shown (default: every member with data)
    table: bool = False  # a table of every member with data (rank, name, value) in the rankings' annex


class Series(_Strict):
    """A line chart over sub-periods (the report period's, the year to date's, or the last ``n``)."""

    span: Literal["subperiods", "year_to_date", "last"] = "subperiods"
    step: Literal["month", "quarter", "half", "year"] = "month"
    n: int = Field(default=12, ge=2, le=60)
    units: tuple[str, ...] = ("VN",)
    target: bool = True


class Item(_Strict):
    """An indicator as a report states it."""

    code: str
    blocs: bool = False  # khối bộ / khối tỉnh after the nation
    rankings: tuple[Ranking, ...] = ()
    series: Series | None = None
    label: Text | None = None  # how sentences name it (default: the catalogue's name)
    wording: tuple[Text, ...] = ()  # its own variants of the value sentence

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"code": data} if isinstance(data, str) else data


class IndexEntry(_Strict):
    """A composite index as a report states it (``chiso.engine.indices``): for each group it ranks, the national
    spread, leaders and laggards with their scores and ratings, the units per rating band, what moved since the
    previous period, ranks that are not robust, and scores that rest on partial data. Left out when the index
    has no score for the period."""

    code: str
    groups: tuple[str, ...] = ()  # default: every group the index ranks, in the index's order
    top: int = Field(default=3, ge=0, le=20)
    bottom: int = Field(default=3, ge=0, le=20)
    moves: int = Field(default=3, ge=0, le=10)  # units that rose (and fell) most since the previous period
    robustness: bool = True  # say when a named leader's or laggard's rank is not robust
    samples: int = Field(default=200, ge=10, le=5000)  # of the uncertainty analysis (fixed seed: deterministic)
    seed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"code": data} if isinstance(data, str) else data


class Section(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    pillar: Pillar | None = None
    title: Text | None = None  # default: the pillar's name
    indicators: tuple[Item, ...] = ()
    indices: tuple[IndexEntry, ...] = ()  # after the indicators

    @model_validator(mode="before")
    @classmethod
    def _key_from_pillar(cls, data: Any) -> Any:
        if isinstance(data, dict) and "key" not in data and isinstance(data.get("pillar"), str):
            return {**data, "key": data["pillar"]}
        return data


class Summary(_Strict):
    title: Text
    indicators: tuple[Item, ...] = Field(min_length=1)
    per_paragraph: int = Field(default=3, ge=1, le=10)


class Annex(_Strict):
    include: bool = True
    title: Text
    scope: Literal["template", "catalogue"] = "template"  # catalogue: every indicator with data
    blocs: bool = True


class ForesightSpec(_Strict):
    """The year-end projections of the year's targets (``report.foresight_text``), in a report of a period that
    ends before its year does; each projected from the data to the period's end."""

    title: Text
    units: tuple[str, ...] = ("VN", "ministries", "provinces")  # whose targets ("{unit}": a province's report's)


class GroupWords(_Strict):
    name: Text  # "khối tỉnh"
    members: Text  # "địa phương"


class ReportSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    extends: str | None = None
    name: Text
    # what the report is about: the nation, or one province (``compose(..., unit=…)``, ``chiso report --unit``)
    scope: Literal["nation", "province"] = "nation"
    kinds: tuple[PeriodKind, ...] = Field(min_length=1)
    report_id: str = "bao-cao-cds-{slug}"
    title: Text
    subtitle: Text
    issuer: Text
    comparisons: tuple[Literal["previous", "last_year", "target"], ...] = ("previous", "last_year", "target")
    summary: Summary
    sections: tuple[Section, ...] = Field(min_length=1)
    annex: Annex
    foresight: ForesightSpec | None = None
    wording: dict[str, tuple[Text, ...]]
    labels: dict[str, Text]
    groups: dict[str, GroupWords]
    units: dict[str, Text] = {}  # display units of indicators in each language ("giao dịch": transactions)
    notes: dict[str, Text] = {}
    _file: str = PrivateAttr(default="")

    @property
    def file(self) -> str:
        """The file the spec was read from (the last one, when it overrides or extends another)."""
        return self._file

    def items(self) -> Iterable[Item]:
        """Every indicator the spec names: the summary's, then each section's."""
        yield from self.summary.indicators
        for s in self.sections:
            yield from s.indicators

    def serves(self, period: Period) -> bool:
        return period.kind in self.kinds


# --- loading ----------------------------------------------------------------------------------------------


def builtin_specs_dir() -> Path:
    return Path(str(files("chiso.report") / "specs"))


def builtin_province_specs_dir() -> Path:
    """The built-in templates of a province's report (``scope: province``), beside the national ones."""
    return builtin_specs_dir() / "province"


def _describe(exc: PydanticError) -> tuple[str | None, str]:
    """The first error as (entry, reason), the entry as a path into the file: ``sections[3].indicators[2]``."""
    err = exc.errors()[0]
    entry = ""
    for part in err["loc"]:
        entry += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if entry else str(part))
    return entry or None, str(err["msg"])


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _check_text(entry: str, text: Text, allowed: frozenset[str]) -> Iterable[tuple[str, str]]:
    for lang in ("vi", "en"):
        try:
            names = _placeholders(text.get(lang))
        except ValueError as exc:
            yield entry, f"{lang}: {exc}"
            continue
        bad = sorted(n for n in names if n not in allowed)
        if bad:
            hint = ", ".join("{" + a + "}" for a in sorted(allowed)) or "none"
            yield entry, f"{lang}: unknown placeholder {{{bad[0]}}}; allowed: {hint}"


def _breaches(spec: ReportSpec, cat: Catalogue) -> Iterable[tuple[str, str]]:
    """Everything wrong with a schema-valid spec, as (entry, reason)."""
    province = spec.scope == "province"
    for slot in SLOTS:
        if slot not in spec.wording and (slot not in OPTIONAL_SLOTS or (province and slot in PROVINCE_SLOTS)):
            yield f"wording.{slot}", "is missing: every slot needs at least one variant"
    for slot, variants in spec.wording.items():
        if slot not in SLOTS:
            yield f"wording.{slot}", f"unknown slot; known: {', '.join(SLOTS)}"
            continue
        if not variants:
            yield f"wording.{slot}", "needs at least one variant"
        for i, v in enumerate(variants, start=1):
            yield from _check_text(f"wording.{slot}[{i}]", v, SLOTS[slot])
    tables = any(r.table for i in spec.items() for r in i.rankings)
    for key, allowed in LABELS.items():
        if key not in spec.labels:
            if key not in TABLE_LABELS or tables:
                yield f"labels.{key}", "is missing"
        else:
            yield from _check_text(f"labels.{key}", spec.labels[key], allowed)
    for key in spec.labels:
        if key not in LABELS:
            yield f"labels.{key}", f"unknown label; known: {', '.join(LABELS)}"
    for key, text in spec.notes.items():
        if key not in NOTES:
            yield f"notes.{key}", f"unknown note; known: {', '.join(NOTES)}"
        else:
            yield from _check_text(f"notes.{key}", text, NOTES[key])
    for g in BLOCS:
        if g not in spec.groups:
            yield f"groups.{g}", "is missing"
    for name, text in (("title", spec.title), ("subtitle", spec.subtitle)):
        yield from _check_text(name, text, _TITLE)
    example = _example_province(cat)
    for g in spec.groups:
        if UNIT in g and not province:
            yield f"groups.{g}", f"{UNIT} names the province of a province's report (scope: province) only"
    if province:
        yield from _check_text("issuer", spec.issuer, _ISSUER)
        # the province's name in its title and its file names: never the national report's files
        for lang in ("vi", "en"):
            if UNIT not in spec.title.get(lang):
                yield "title", f"{lang}: a province's report names its province: write {UNIT} in the title"
        if UNIT not in spec.report_id:
            yield "report_id", f"a province's report names its province: write {UNIT} in the id (its file names)"
    try:
        bad_id = sorted(_placeholders(spec.report_id) - _REPORT_ID)
    except ValueError as exc:
        bad_id = [str(exc)]
    if bad_id:
        yield "report_id", f"unknown placeholder {{{bad_id[0]}}}; allowed: {{slug}}"
    seen: set[str] = set()
    places = [("summary", None, spec.summary.indicators)] + [
        (f"sections[{i}] ({s.key})", s, s.indicators) for i, s in enumerate(spec.sections, start=1)
    ]
    for where, section, items in places:
        if section is not None:
            if section.key in seen:
                yield where, f"section key {section.key!r} is used twice"
            seen.add(section.key)
            if section.pillar is None and section.title is None:
                yield where, "a section without a pillar needs a title"
        for j, ie in enumerate(section.indices if section is not None else (), start=1):
            entry = f"{where}.indices[{j}] ({ie.code})"
            idx = cat.indices.get(ie.code)
            if idx is None:
                yield entry, f"unknown index code {ie.code!r}; known: {', '.join(sorted(cat.indices))}"
                continue
            for g in ie.groups:
                if g == f"{UNIT}.communes" and "commune" in idx.levels:
                    continue  # a province's communes, for an index that scores communes
                if g not in idx.units:
                    yield entry, f"group {g!r} is not ranked by {ie.code}; it ranks: {', '.join(idx.units)}"
        for j, item in enumerate(items, start=1):
            entry = f"{where}.indicators[{j}] ({item.code})"
            try:
                cat.indicator(item.code)
            except UnknownIndicatorError as exc:
                near = f"; did you mean: {', '.join(exc.suggestions)}" if exc.suggestions else ""
                yield entry, f"unknown indicator code {item.code!r}{near}"
                continue
            if item.code not in cat.indicators:  # resolved only by case or spaces: ask for the code itself
                yield entry, f"write the indicator code exactly: {cat.indicator(item.code).code!r}"
            for k, v in enumerate(item.wording, start=1):
                yield from _check_text(f"{entry}.wording[{k}]", v, _VALUE)
            for k, r in enumerate(item.rankings, start=1):
                if UNIT in r.group and not province:
                    yield f"{entry}.rankings[{k}]", f"{UNIT} names the province of a province's report only"
                    continue
                code = r.group.replace(UNIT, example) if UNIT in r.group and example else r.group
                group = cat.units.get(code)
                if group is None or group.type is not UnitType.GROUP:
                    yield f"{entry}.rankings[{k}]", f"group {r.group!r} is not a group unit"
            if item.series is not None:
                for u in item.series.units:
                    if u == UNIT and province:
                        continue
                    unit = cat.units.get(u)
                    if unit is None or not unit.is_group:
                        yield f"{entry}.series", f"unit {u!r} is not the nation or a group"


def _example_province(cat: Catalogue) -> str:
    """A province's code, to check a province spec's ``{unit}.communes`` against the catalogue's groups."""
    for u in cat.units.values():
        if is_province(u) and f"{u.code}.communes" in cat.units:
            return u.code
    return ""


def is_province(unit: Unit) -> bool:
    """A province or a centrally-run city: what a province's report may be about."""
    return unit.type in (UnitType.PROVINCE, UnitType.CITY)


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(str(path), None, f"not valid YAML: {exc}") from None
    except OSError as exc:
        raise DefinitionError(str(path), None, f"cannot be read: {exc}") from None
    if not isinstance(doc, dict):
        raise DefinitionError(str(path), None, "expected a mapping of fields (one report template per file)")
    if not isinstance(doc.get("id"), str):
        raise DefinitionError(str(path), None, "needs an 'id' (the template's name, e.g. bao-cao-nam)")
    return doc


def _default_catalogue(extra_dirs: Sequence[Path]) -> Catalogue:
    # a workspace keeps its specs in <workspace>/catalogue/reports: its catalogue is the parent folder
    return load_catalogue([d.parent for d in extra_dirs if d.name == "reports" and d.parent.is_dir()])


def load_specs(
    extra_dirs: Sequence[Path] = (), catalogue: Catalogue | None = None, scope: str | None = "nation"
) -> dict[str, ReportSpec]:
    """The built-in specs, then each ``extra_dirs``' ``*.yaml`` (overriding by id); refuse the first error.

    Indicator codes are checked against ``catalogue`` (default: the built-in catalogue plus the
    workspace's, found as the parent of a ``reports`` folder). Every spec is checked; those of ``scope``
    are returned (the national reports' by default, a province's with ``"province"``, all with None).
    """
    cat = catalogue if catalogue is not None else _default_catalogue(extra_dirs)
    layers: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for d in [builtin_specs_dir(), builtin_province_specs_dir(), *[Path(x) for x in extra_dirs]]:
        for path in sorted(d.glob("*.yaml")) if d.is_dir() else ():
            raw = _read(path)
            layers.setdefault(raw["id"], []).append((path, raw))

    def resolve(spec_id: str, depth: int, chain: tuple[str, ...]) -> tuple[Path, dict[str, Any]]:
        path, raw = layers[spec_id][depth]
        parent = raw.get("extends")
        if parent is None:
            return path, raw
        if not isinstance(parent, str):
            raise DefinitionError(str(path), "extends", "expected the id of another report template")
        if parent == spec_id:
            if depth == 0:
                raise DefinitionError(str(path), "extends", f"there is no earlier template {parent!r} to extend")
            _, base = resolve(spec_id, depth - 1, chain)
        else:
            if parent not in layers:
                known = ", ".join(sorted(layers))
                raise DefinitionError(str(path), "extends", f"no report template {parent!r}; known: {known}")
            if parent in chain:
                raise DefinitionError(str(path), "extends", f"templates extend each other in a circle: {parent!r}")
            _, base = resolve(parent, len(layers[parent]) - 1, (*chain, spec_id))
        return path, _merge(base, raw)

    out: dict[str, ReportSpec] = {}
    for spec_id, stack in layers.items():
        path, raw = resolve(spec_id, len(stack) - 1, (spec_id,))
        try:
            spec = ReportSpec.model_validate(raw)
        except PydanticError as exc:
            raise DefinitionError(str(path), *_describe(exc)) from None
        for entry, reason in _breaches(spec, cat):
            raise DefinitionError(str(path), entry, reason)
        spec._file = str(path)
        out[spec_id] = spec
    return {k: s for k, s in out.items() if scope is None or s.scope == scope}


def spec_for(
    specs: Mapping[str, ReportSpec], period: Period, template: str | None = None, scope: str = "nation"
) -> ReportSpec:
    """The named template, or the first of ``scope`` that serves the period's kind (built-in order, then the
    workspace's): a national report without a unit, a province's report with one."""
    if template is not None:
        spec = specs.get(template)
        if spec is None:
            raise ChisoError(f"no report template {template!r}; known: {', '.join(specs)}")
        if spec.scope != scope:
            raise ChisoError(
                f"report template {template!r} writes a report of scope {spec.scope!r}, not {scope!r}"
                + (": name a province with --unit" if spec.scope == "province" else ": leave out --unit")
            )
        if not spec.serves(period):
            kinds = ", ".join(k.value for k in spec.kinds)
            raise ChisoError(f"report template {template!r} serves periods of kind {kinds}, not {period.kind.value}")
        return spec
    for spec in specs.values():
        if spec.scope == scope and spec.serves(period):
            return spec
    raise ChisoError(f"no report template of scope {scope!r} serves a period of kind {period.kind.value} ({period})")
