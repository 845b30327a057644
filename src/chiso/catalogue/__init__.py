"""The catalogue: organisation units, indicators and periods, loaded from definition files.

Definitions ship in ``chiso/catalogue/data`` and may be extended, without a release, by files in a
workspace's ``catalogue/`` folder (same layout: ``units/*.yaml``, ``indicators/*.yaml``). Units may also come
as JSON (``units/*.json``, ``{"units": [...]}``): the districts and communes, 14,000 of them, ship so. The
shipped JSON is trusted (built without validation, cached per file and modification time); a workspace's is
validated like YAML. Both pass the same cross-entry rules.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError

from chiso.catalogue import yamlfile
from chiso.catalogue.datasets import DataSet, load_datasets
from chiso.catalogue.indices import IndexDef, load_indices
from chiso.catalogue.measures import DAYS, EventIndicator, Measure
from chiso.catalogue.models import (
    Indicator,
    Pillar,
    Successor,
    Unit,
    UnitType,
)
from chiso.catalogue.names import fold
from chiso.catalogue.periods import Period
from chiso.catalogue.rules import INDICATOR_RULES, UNIT_RULES
from chiso.errors import DefinitionError, UnknownIndexError, UnknownIndicatorError, UnknownUnitError

_M = TypeVar("_M", bound=BaseModel)
_INDICATOR = TypeAdapter(Indicator)
_UNIT = TypeAdapter(Unit)

__all__ = ["Ancestor", "Catalogue", "Period", "builtin_data_dir", "load_catalogue"]


def builtin_data_dir() -> Path:
    return Path(str(files("chiso.catalogue") / "data"))


def _describe(exc: PydanticError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(x) for x in err["loc"] if not isinstance(x, int) or len(err["loc"]) == 1)
        parts.append(f"{loc}: {err['msg']}" if loc else str(err["msg"]))
    return "; ".join(parts)


def _read_entries(path: Path, key: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        doc = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(str(path), None, f"not valid YAML: {exc}") from None
    if doc is None:
        return []
    if not isinstance(doc, dict) or key not in doc or not isinstance(doc[key], list):
        raise DefinitionError(str(path), None, f"expected a top-level key {key!r} holding a list")
    out = []
    for i, entry in enumerate(doc[key], start=1):
        label = f"entry {i}"
        if isinstance(entry, dict) and "code" in entry:
            label += f" ({entry['code']})"
        if not isinstance(entry, dict):
            raise DefinitionError(str(path), label, "expected a mapping of fields")
        out.append((label, entry))
    return out


def _read_json(path: Path) -> list[Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DefinitionError(str(path), None, f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("units"), list):
        raise DefinitionError(str(path), None, "expected a top-level key 'units' holding a list")
    units: list[Any] = doc["units"]
    return units


def _read_json_entries(path: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i, entry in enumerate(_read_json(path), start=1):
        label = f"entry {i}" + (f" ({entry['code']})" if isinstance(entry, dict) and "code" in entry else "")
        if not isinstance(entry, dict):
            raise DefinitionError(str(path), label, "expected a mapping of fields")
        out.append((label, entry))
    return out


def _trusted(cls: type[_M], defaults: dict[str, Any], allowed: frozenset[str], fields: dict[str, Any]) -> _M:
    """``cls.model_construct(**fields)`` for trusted data, five times faster: the same instance state (its
    defaults, the fields set), without its per-field work. tests/test_units_local.py compares the result with
    validated units."""
    if not allowed.issuperset(fields):
        raise KeyError(f"unknown fields {sorted(set(fields) - allowed)}")
    obj = cls.__new__(cls)
    _SET_DICT(obj, {**defaults, **fields})
    _SET_FIELDS(obj, set(fields))
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj


# BaseModel's slots, set as model_construct sets them
_SET_DICT = BaseModel.__dict__["__dict__"].__set__
_SET_FIELDS = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__


def _defaults(cls: type[BaseModel]) -> dict[str, Any]:
    return {name: f.get_default(call_default_factory=True) for name, f in cls.model_fields.items()}


_UNIT_DEFAULTS = _defaults(Unit)
_UNIT_FIELDS = frozenset(_UNIT_DEFAULTS)
_SUCCESSOR_DEFAULTS = _defaults(Successor)
_SUCCESSOR_FIELDS = frozenset(_SUCCESSOR_DEFAULTS)


def _construct(entry: dict[str, Any]) -> Unit:
    """A shipped, generated unit built without validation (the generator and its test check the files)."""
    fields = dict(entry)
    for k in ("valid_from", "valid_to"):
        if k in fields:
            fields[k] = date.fromisoformat(fields[k])
    for k in ("aliases", "groups", "grid"):
        if k in fields:
            fields[k] = tuple(fields[k])
    if "successors" in fields:
        links = fields["successors"]
        fields["successors"] = tuple(_trusted(Successor, _SUCCESSOR_DEFAULTS, _SUCCESSOR_FIELDS, s) for s in links)
    fields["type"] = UnitType(fields["type"])
    return _trusted(Unit, _UNIT_DEFAULTS, _UNIT_FIELDS, fields)


_SHIPPED_JSON: dict[Path, tuple[float, int, list[tuple[str, Unit]]]] = {}  # path -> (mtime, size, units)


def _shipped_json_units(path: Path) -> list[tuple[str, Unit]]:
    """The units of a shipped JSON file, parsed once per modification (units are immutable, so shared)."""
    st = path.stat()
    cached = _SHIPPED_JSON.get(path)
    if cached is not None and cached[:2] == (st.st_mtime, st.st_size):
        return cached[2]
    units = []
    for i, entry in enumerate(_read_json(path), start=1):
        try:
            units.append((f"entry {i} ({entry['code']})", _construct(entry)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DefinitionError(str(path), f"entry {i}", f"not a unit: {exc}") from None
    _SHIPPED_JSON[path] = (st.st_mtime, st.st_size, units)
    return units


def _unit_entries(dirs: Sequence[Path]) -> Iterable[tuple[Path, str, Unit]]:
    """Every unit of every catalogue dir: YAML and JSON, each validated but the shipped JSON."""
    builtin = builtin_data_dir()
    for d in dirs:
        for path in sorted([*(d / "units").glob("*.yaml"), *(d / "units").glob("*.json")]):
            if path.suffix == ".json" and d == builtin:
                for label, u in _shipped_json_units(path):
                    yield path, label, u
                continue
            entries = _read_entries(path, "units") if path.suffix == ".yaml" else _read_json_entries(path)
            for label, entry in entries:
                try:
                    yield path, label, _UNIT.validate_python(entry)
                except PydanticError as exc:
                    raise DefinitionError(str(path), label, _describe(exc)) from None


def _yaml_files(dirs: Iterable[Path], sub: str) -> list[Path]:
    found: list[Path] = []
    for d in dirs:
        found.extend(sorted((d / sub).glob("*.yaml")))
    return found


def _kind(path: Sequence[Successor]) -> Literal["whole", "part"]:
    return "whole" if all(s.kind == "whole" for s in path) else "part"


def _share(path: Sequence[Successor]) -> float | None:
    # A whole link without a share counts as 1; a partial one without a share makes the product unknown.
    out = 1.0
    for s in path:
        if s.share is not None:
            out *= s.share
        elif s.kind == "part":
            return None
    return out


_OFFICIAL = re.compile(r"^(\d{3}|\d{5})$")  # an official code below the province: district 3 digits, commune 5
_LOCAL_CODE = re.compile(r"[DX](\d{3}|\d{5})(?:-\d{4})?")  # chiso's code of a district or commune: its official code


def _variants(key: str) -> tuple[str, ...]:
    return (key, key.removeprefix("tinh "), key.removeprefix("thanh pho "), key.removeprefix("tp "),
            key.removeprefix("bo "))


def _distance(u: Unit, on: date) -> int:
    """Days between ``on`` and the unit's validity (0 within it)."""
    if u.valid_to is not None and u.valid_to < on:
        return (on - u.valid_to).days
    if u.valid_from is not None and on < u.valid_from:
        return (u.valid_from - on).days
    return 0


@dataclass(frozen=True)
class Ancestor:
    """A former unit in another unit's lineage, with the successor links that lead from it to that unit."""

    unit: Unit
    path: tuple[Successor, ...]  # oldest link first; the last one names the descendant

    @property
    def kind(self) -> Literal["whole", "part"]:
        """Whole if the unit went whole down every link (its main body: functions may have left by others)."""
        return _kind(self.path)

    @property
    def share(self) -> float | None:
        """The share of ``unit`` the descendant carries, where every partial link publishes one; else None."""
        return _share(self.path)


def _along(path: Sequence[Successor], to: str) -> Successor:
    """One link standing for a chain of links: whole only if every step is, shares multiplied, notes joined."""
    kind = _kind(path)
    notes = [s.note for s in path if s.note]
    return Successor(unit=to, kind=kind, share=_share(path) if kind == "part" else None, note="; ".join(notes) or None)


class Catalogue:
    """Units and indicators, with name resolution. Immutable once built."""

    def __init__(
        self,
        units: dict[str, Unit],
        indicators: dict[str, Indicator],
        measures: dict[str, Measure] | None = None,
        event_indicators: dict[str, EventIndicator] | None = None,
    ) -> None:
        self.units = units
        self.indicators = indicators
        self.measures = measures or {}
        self.event_indicators = event_indicators or {}
        self.datasets: dict[str, DataSet] = {}
        self.indices: dict[str, IndexDef] = {}  # composite indices (chiso.catalogue.indices)
        # Names of the units above the province (and of groups) now; of the 14,000 local units on first need.
        self._names: dict[str, list[str]] = {}
        self._local_index: tuple[dict[str, list[str]], dict[str, list[Unit]]] | None = None
        self._by_province: dict[str, list[Unit]] = {}
        self._members: dict[str, list[Unit]] = {}
        self._predecessors: dict[str, list[tuple[Unit, Successor]]] = {}
        for u in units.values():
            if u.is_local:
                if u.province is not None:
                    self._by_province.setdefault(u.province, []).append(u)
            else:
                self._index_names(self._names, u)
            for g in u.groups:
                self._members.setdefault(g, []).append(u)
            for s in u.successors:
                self._predecessors.setdefault(s.unit, []).append((u, s))
        # A group of local units (a province's communes, all communes) is local too: listed apart, never
        # matched in text.
        self._local_groups = frozenset(
            g for g, ms in self._members.items() if g in units and ms and all(m.is_local for m in ms)
        )
        nation = next((u for u in units.values() if u.type is UnitType.NATION), None)
        self._nation = nation
        self._nation_groups: list[Unit] = sorted(
            (u for u in units.values() if u.type is UnitType.GROUP and nation is not None and u.parent == nation.code),
            key=lambda u: u.code,
        )

    @staticmethod
    def _index_names(index: dict[str, list[str]], u: Unit) -> None:
        for name in {u.code, u.name, u.short, *(u.aliases), *([u.name_en] if u.name_en else [])}:
            codes = index.setdefault(fold(name), [])
            if u.code not in codes:
                codes.append(u.code)

    def _local(self) -> tuple[dict[str, list[str]], dict[str, list[Unit]]]:
        """The local units' names (folded) and official codes, built on the first lookup that needs them."""
        if self._local_index is None:
            names: dict[str, list[str]] = {}
            official: dict[str, list[Unit]] = {}
            for u in self.units.values():
                if u.is_local:
                    self._index_names(names, u)
                    m = _LOCAL_CODE.fullmatch(u.code)
                    for key in {u.gso_code, m.group(1) if m else None} - {None}:
                        official.setdefault(str(key), []).append(u)
            for found in official.values():
                found.sort(key=lambda u: (u.valid_from or date.min, u.code))
            self._local_index = (names, official)
        return self._local_index

    def is_local(self, unit: Unit) -> bool:
        """A district or commune, or a group of them: below the province (kept out of lists and text matching)."""
        return unit.is_local or unit.code in self._local_groups

    # indicators -----------------------------------------------------------------------------
    def index(self, code: str) -> IndexDef:
        """A composite index by code (case and spaces forgiven), or UnknownIndexError with the nearest codes."""
        idx = self.indices.get(code) or self.indices.get(code.strip().lower())
        if idx is not None:
            return idx
        raise UnknownIndexError(code, difflib.get_close_matches(code.strip().lower(), list(self.indices), n=3,
                                                                cutoff=0.4))

    def indicator(self, code: str) -> Indicator:
        ind = self.indicators.get(code) or self.indicators.get(code.strip().lower())
        if ind is not None:
            return ind
        names = list(self.indicators)
        near = difflib.get_close_matches(code.lower(), names, n=3, cutoff=0.5)
        if not near:  # try the Vietnamese names
            by_name = {fold(i.name.vi): c for c, i in self.indicators.items()}
            near = [by_name[m] for m in difflib.get_close_matches(fold(code), list(by_name), n=3, cutoff=0.5)]
        raise UnknownIndicatorError(code, near)

    def prefer(self, ind: Indicator) -> str:
        """Which origin answers first: an explicit ``prefer``, else computed for event-derived indicators."""
        if ind.prefer is not None:
            return ind.prefer
        return "computed" if ind.code in self.event_indicators else "reported"

    def by_pillar(self, pillar: Pillar) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.pillar is pillar]

    # units ----------------------------------------------------------------------------------
    @property
    def nation(self) -> Unit:
        if self._nation is None:
            raise StopIteration("the catalogue has no nation")
        return self._nation

    def unit(self, ref: str, on: date | None = None) -> Unit:
        """Resolve a code or a name (any case, with or without diacritics) to one unit.

        Where a name is shared across time (a unit and its successor), the one valid on ``on`` wins (if
        none is, the nearest in time); without ``on``, the newest. A code names one unit, whatever the date.

        Below the province: a district or commune by its name ("Phường Hồng Hà", "Hồng Hà", "P. Hồng Hà"),
        qualified by its province after a comma where the name is shared ("Hồng Hà, Hà Nội"), or by its
        official code ("00097": the unit bearing it on ``on``, see ``local_by_official``). A name above the
        province wins over a local one; a local name shared by units of one time raises UnknownUnitError
        listing them with their provinces.
        """
        if ref in self.units:
            return self.units[ref]
        stripped = ref.strip()
        if _OFFICIAL.match(stripped):
            return self.local_by_official(stripped, on)
        if "," in stripped:
            name, _, province = stripped.rpartition(",")
            provinces = self._province_codes(province)
            if provinces and name.strip():
                return self._pick_local(ref, self._local_candidates(name, provinces), on)
        key = fold(ref)
        codes = self._names.get(key)
        if codes:
            return self._pick([self.units[c] for c in codes], on)
        local = self._local_candidates(ref, None)
        if local:  # a local unit's own name comes before a province's name without its "Tỉnh"
            return self._pick_local(ref, local, on)
        for k in _variants(key)[1:]:
            codes = self._names.get(k)
            if codes:
                return self._pick([self.units[c] for c in codes], on)
        near = difflib.get_close_matches(key, list(self._names), n=3, cutoff=0.6)
        sugg: list[str] = []
        for n in near:
            for c in self._names[n]:
                label = f"{c} ({self.units[c].short})"
                if label not in sugg:
                    sugg.append(label)
        raise UnknownUnitError(ref, sugg)

    def _province_codes(self, ref: str) -> set[str]:
        """The provinces (of any time) that bear a name: "Đà Nẵng" is P48 and P48-2025."""
        key = fold(ref)
        for k in _variants(key):
            codes = {c for c in self._names.get(k, []) if self.units[c].type in (UnitType.PROVINCE, UnitType.CITY)}
            if codes:
                return codes
        return set()

    def _local_candidates(self, name: str, provinces: set[str] | None) -> list[Unit]:
        names, _ = self._local()
        found = [self.units[c] for c in names.get(fold(name), [])]
        return found if provinces is None else [u for u in found if u.province in provinces]

    def _pick_local(self, ref: str, units: Sequence[Unit], on: date | None) -> Unit:
        """One of the local units bearing a name: those valid on ``on`` (else the nearest in time; without a
        date, the newest); more than one left is ambiguous."""
        if on is None:
            newest = max((u.valid_to is None, u.valid_to or date.max) for u in units)
            left = [u for u in units if (u.valid_to is None, u.valid_to or date.max) == newest]
        else:
            left = [u for u in units if u.valid_on(on)]
            if not left:
                nearest = min(_distance(u, on) for u in units)
                left = [u for u in units if _distance(u, on) == nearest]
        if len(left) == 1:
            return left[0]
        raise UnknownUnitError(ref, [self._label(u) for u in sorted(left, key=lambda u: u.code)])

    def _label(self, u: Unit) -> str:
        """A local unit for a list of candidates: "X00097-2025 (Phường Hồng Hà, Hà Nội)"."""
        where = [u.name]
        if u.type is UnitType.COMMUNE and u.parent in self.units and self.units[u.parent].type is UnitType.DISTRICT:
            where.append(self.units[u.parent].name)
        if u.province in self.units:
            where.append(self.units[u.province].short)
        return f"{u.code} ({', '.join(where)})"

    def bearing_official(self, code: str) -> list[Unit]:
        """Every district or commune, of any time, that bore an official code, oldest first."""
        return list(self._local()[1].get(code.strip(), []))

    def local_by_official(self, code: str, on: date | None = None) -> Unit:
        """The district or commune bearing an official code ("00097", "001") on ``on``: the ward of 2024 before 1
        July 2025, the commune of 2025 from then; without a date, the newest. UnknownUnitError if none did."""
        _, official = self._local()
        units = official.get(code.strip(), [])
        if on is not None:
            units = [u for u in units if u.valid_on(on)]
        if not units:
            raise UnknownUnitError(code, [])
        return self._pick(units, None) if on is None else units[0]

    def communes_of(self, province: str | Unit, on: date | None = None) -> list[Unit]:
        """The communes lying in a province (a unit, code or name), those valid on ``on`` (all without a date)."""
        p = province if isinstance(province, Unit) else self.unit(province, on)
        return sorted(
            (u for u in self._by_province.get(p.code, [])
             if u.type is UnitType.COMMUNE and (on is None or u.valid_on(on))),
            key=lambda u: u.code,
        )

    def local_units_of(self, province: str) -> list[Unit]:
        """Every district and commune of a province code, of any time, by code."""
        return sorted(self._by_province.get(province, []), key=lambda u: u.code)

    def below(self, unit: Unit) -> list[Unit]:
        """What lies below a province (its districts, communes and the groups of them) or a district (its
        communes), of any time; nothing below other units."""
        if unit.type in (UnitType.PROVINCE, UnitType.CITY):
            groups = [self.units[g] for g in sorted(self._local_groups) if self.units[g].parent == unit.code]
            return self.local_units_of(unit.code) + groups
        if unit.type is UnitType.DISTRICT and unit.province:
            return [u for u in self.local_units_of(unit.province) if u.parent == unit.code]
        return []

    @staticmethod
    def _pick(units: Sequence[Unit], on: date | None) -> Unit:
        if len(units) == 1 or on is None:
            return max(units, key=lambda u: (u.valid_to is None, u.valid_to or date.max, u.code))
        valid = [u for u in units if u.valid_on(on)]
        if valid:
            return valid[0]
        return min(units, key=lambda u: (_distance(u, on), u.code))

    def members(self, group: str, period: Period | None = None) -> list[Unit]:
        """Members of a group unit; with a period, those in the structure at the period's end."""
        units = self._members.get(group, [])
        if period is not None:
            at_end = [u for u in units if u.valid_on(period.end)]
            units = at_end or [u for u in units if u.overlaps(period.start, period.end)]
        return sorted(units, key=lambda u: u.code)

    def expected_forms(self, period: Period, *, datasets: Iterable[DataSet] | None = None,
                       within: Iterable[str] | None = None) -> list[tuple[DataSet, Unit]]:
        """The forms due for ``period``: each data set reported for periods of its kind (of ``datasets``), for each
        member of its group in the structure at the period's end (of the units ``within``). One rule for the
        late-reporting warning and for "the period's data is approved" (a report sent on approval)."""
        wanted = None if within is None else set(within)
        return [(ds, u) for ds in (self.datasets.values() if datasets is None else datasets)
                if ds.period is period.kind for u in self.members(ds.group, period)
                if wanted is None or u.code in wanted]

    def components(self, unit: Unit, period: Period | None = None) -> list[Unit]:
        """What a unit's value is made of: a group's members, or the nation's groups."""
        if unit.type is UnitType.GROUP:
            return self.members(unit.code, period)
        if unit.type is UnitType.NATION:
            return list(self._nation_groups)
        return []

    def successors(self, unit: Unit) -> list[tuple[Unit, Successor]]:
        """The units that took a former unit over (whole or in part), with the link."""
        return [(self.units[s.unit], s) for s in unit.successors]

    def whole_successor(self, unit: Unit) -> Unit | None:
        """The one unit that took ``unit`` over whole, when exactly one did (its events and its place go there)."""
        whole = [self.units[s.unit] for s in unit.successors if s.kind == "whole" and s.unit in self.units]
        return whole[0] if len(whole) == 1 else None

    def predecessors(self, unit: Unit) -> list[tuple[Unit, Successor]]:
        """The former units a unit took over (whole or in part), with the link; its lineage one step back."""
        return sorted(self._predecessors.get(unit.code, []), key=lambda us: us[0].code)

    def lineage(self, unit: Unit) -> list[Ancestor]:
        """Every former unit the unit took over, directly or through earlier merges, nearest first.

        Each comes with the path of links down to ``unit``: BLDTBXH reaches BYT by one partial link; a unit
        reached by two paths is listed once, by the shorter.
        """
        out: list[Ancestor] = []
        seen = {unit.code}
        frontier: list[tuple[Unit, tuple[Successor, ...]]] = [(unit, ())]
        while frontier:
            nxt: list[tuple[Unit, tuple[Successor, ...]]] = []
            for u, path in frontier:
                for pred, link in self.predecessors(u):
                    if pred.code not in seen:
                        seen.add(pred.code)
                        out.append(Ancestor(pred, (link, *path)))
                        nxt.append((pred, (link, *path)))
            frontier = nxt
        return out

    def successor_on(self, unit: Unit, day: date) -> list[tuple[Unit, Successor]]:
        """The unit(s) that carry ``unit`` on ``day``: itself while valid; after it ended, its successors valid
        that day, following chains of later merges. Each comes with one link standing for the chain (whole
        only if every step was whole), the whole one first. Empty before the unit began.
        """
        if unit.valid_on(day):
            return [(unit, Successor(unit=unit.code))]
        if unit.valid_from is not None and day < unit.valid_from:
            return []
        found: dict[str, tuple[Unit, Successor]] = {}
        stack: list[tuple[Unit, tuple[Successor, ...]]] = [(unit, ())]
        seen = {unit.code}
        while stack:
            u, path = stack.pop()
            for nxt, link in self.successors(u):
                chain = (*path, link)
                if nxt.valid_on(day):
                    found[nxt.code] = (nxt, self._merge_links(found.get(nxt.code), _along(chain, nxt.code)))
                elif nxt.valid_to is not None and nxt.valid_to < day and nxt.code not in seen:
                    seen.add(nxt.code)
                    stack.append((nxt, chain))
        return sorted(found.values(), key=lambda us: (us[1].kind != "whole", us[0].code))

    @staticmethod
    def _merge_links(old: tuple[Unit, Successor] | None, new: Successor) -> Successor:
        # Two chains from one former unit to the same successor: whole wins; two parts add up.
        if old is None:
            return new
        a = old[1]
        if "whole" in (a.kind, new.kind):
            return a if a.kind == "whole" else new
        share = a.share + new.share if a.share is not None and new.share is not None else None
        note = "; ".join(n for n in (a.note, new.note) if n) or None
        return Successor(unit=new.unit, kind="part", share=min(share, 1.0) if share else None, note=note)

    def structure_on(self, day: date, group: str) -> list[Unit]:
        """The members of a group (code or name) valid on ``day``: the structure then in force."""
        code = group if group in self._members else self.unit(group).code
        return sorted((u for u in self._members.get(code, []) if u.valid_on(day)), key=lambda u: u.code)

    def groups(self, local: bool = False) -> list[Unit]:
        """The group units; those of local units (a province's communes) only with ``local``."""
        return [u for u in self.units.values()
                if u.type is UnitType.GROUP and (local or u.code not in self._local_groups)]


def load_catalogue(extra_dirs: Sequence[Path] = ()) -> Catalogue:
    """Load the shipped definitions plus any in ``extra_dirs``; refuse the first error, naming it."""
    dirs = [builtin_data_dir(), *[Path(d) for d in extra_dirs]]
    units: dict[str, Unit] = {}
    unit_where: dict[str, tuple[str, str]] = {}
    for path, label, u in _unit_entries(dirs):
        if u.code in units:
            first = unit_where[u.code]
            raise DefinitionError(str(path), label, f"unit code {u.code!r} is already defined in {first[0]}")
        units[u.code] = u
        unit_where[u.code] = (str(path), label)
    indicators: dict[str, Indicator] = {}
    ind_where: dict[str, tuple[str, str]] = {}
    for path in _yaml_files(dirs, "indicators"):
        for label, entry in _read_entries(path, "indicators"):
            try:
                ind = _INDICATOR.validate_python(entry)
            except PydanticError as exc:
                raise DefinitionError(str(path), label, _describe(exc)) from None
            if ind.code in indicators:
                first = ind_where[ind.code]
                raise DefinitionError(str(path), label, f"indicator code {ind.code!r} is already defined in {first[0]}")
            indicators[ind.code] = ind
            ind_where[ind.code] = (str(path), label)
    measures, event_indicators = _load_measures(dirs, indicators)
    for urule in UNIT_RULES:
        for breach in urule(units, unit_where):
            raise DefinitionError(*breach)
    for irule in INDICATOR_RULES:
        for breach in irule(indicators, ind_where):
            raise DefinitionError(*breach)
    cat = Catalogue(units, indicators, measures, event_indicators)
    cat.datasets = load_datasets(_yaml_files(dirs, "datasets"), set(indicators), set(units))
    cat.indices = load_indices(
        [(level, path) for level, d in enumerate(dirs) for path in sorted((d / "indices").glob("*.yaml"))],
        indicators, units)
    return cat


_NEEDS: dict[str, str] = {
    "rate": "numerator and denominator measures",
    "average_per_day": "a numerator measure and the denominator days_with_data",
    "count": "a value measure of agg count or sum, not cumulative",
    "stock": "a value measure that is cumulative (or first_seen)",
}


def _event_shape_ok(ind: Indicator, ei: EventIndicator, measures: dict[str, Measure]) -> bool:
    value = measures.get(ei.value) if ei.value else None
    if ind.is_rate:
        return ei.numerator is not None and ei.denominator != DAYS
    if ind.kind == "average_per_day":
        return ei.numerator is not None and ei.denominator == DAYS
    if ind.kind == "count":
        return value is not None and value.agg != "first_seen" and not ei.cumulative
    if ind.kind == "stock":
        return value is not None and (ei.cumulative or value.agg == "first_seen")
    return False


def _load_measures(
    dirs: Sequence[Path], indicators: dict[str, Indicator]
) -> tuple[dict[str, Measure], dict[str, EventIndicator]]:
    measures: dict[str, Measure] = {}
    bindings: list[tuple[str, str, dict[str, Any]]] = []
    for path in _yaml_files(dirs, "measures"):
        for label, entry in _read_entries(path, "measures"):
            label = label if "(" in label else f"{label} ({entry.get('id')})"
            try:
                m = Measure.model_validate(entry)
            except PydanticError as exc:
                raise DefinitionError(str(path), label, _describe(exc)) from None
            if m.id in measures:
                raise DefinitionError(str(path), label, f"measure {m.id!r} is already defined")
            measures[m.id] = m
        try:
            doc = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:  # pragma: no cover - _read_entries already parsed it
            raise DefinitionError(str(path), None, str(exc)) from None
        for i, entry in enumerate(doc.get("indicators", []) or [], start=1):
            bindings.append((str(path), f"indicators entry {i} ({entry.get('indicator')})", entry))
    event_indicators: dict[str, EventIndicator] = {}
    for file, label, entry in bindings:
        try:
            ei = EventIndicator.model_validate(entry)
        except PydanticError as exc:
            raise DefinitionError(file, label, _describe(exc)) from None
        ind = indicators.get(ei.indicator)
        if ind is None:
            raise DefinitionError(file, label, f"indicator {ei.indicator!r} is not defined")
        for ref in ei.measures:
            if ref not in measures:
                raise DefinitionError(file, label, f"measure {ref!r} is not defined")
        if not _event_shape_ok(ind, ei, measures):
            raise DefinitionError(file, label, f"a {ind.kind} indicator needs {_NEEDS.get(ind.kind, 'no events')}")
        if ei.indicator in event_indicators:
            raise DefinitionError(file, label, f"{ei.indicator!r} already has an event definition")
        event_indicators[ei.indicator] = ei
    return measures, event_indicators
