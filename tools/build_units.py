"""Generate the provinces of the 2024 and 2025 structures from the bundled data of ``vietnamadminunits``.

Writes ``src/chiso/catalogue/data/units/provinces_2024.yaml`` (the 63 provinces until 30 June 2025, each
merged one with its successor) and ``provinces_2025.yaml`` (the 23 provinces Resolution 202/2025/QH15
formed on 1 July 2025; the 11 it left unchanged continue as their 2024 units). Codes, names and which
provinces merged into which come from the package; region, tile-grid position, English-name exceptions
and extra aliases, which the package does not hold, from the tables below. See docs/units.md.

    python tools/build_units.py          # write both files
    python tools/build_units.py --check  # exit 1 if a shipped file differs from what would be written
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sqlite3
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
UNITS_DIR = ROOT / "src" / "chiso" / "catalogue" / "data" / "units"
OUTPUT = UNITS_DIR / "provinces_2024.yaml"
OUTPUT_2025 = UNITS_DIR / "provinces_2025.yaml"
PACKAGE = "vietnamadminunits"

MERGED_UNTIL = date(2025, 6, 30)  # last day before Resolution 202/2025/QH15 took effect
FROM_2025 = date(2025, 7, 1)
STRUCTURE = "2024"
STRUCTURE_2025 = "2025"

# GSO socio-economic regions; one letter each to keep the table below readable.
N = "northern_midlands_mountains"  # Trung du và miền núi phía Bắc
R = "red_river_delta"  # Đồng bằng sông Hồng
C = "north_central_coast"  # Bắc Trung Bộ và Duyên hải miền Trung
H = "central_highlands"  # Tây Nguyên
S = "southeast"  # Đông Nam Bộ
M = "mekong_delta"  # Đồng bằng sông Cửu Long
REGIONS: dict[str, int] = {N: 14, R: 11, C: 14, H: 5, S: 6, M: 13}  # provinces in each
CITIES_2024 = {"01", "31", "48", "79", "92"}  # centrally-run cities in 2024
# Unchanged by Resolution 202/2025/QH15; only a cross-check of the package's mapping.
UNCHANGED_2025 = {"01", "04", "11", "12", "14", "20", "22", "38", "40", "42", "46"}
# From 1 July 2025: 28 provinces and 6 centrally-run cities (Resolution 202/2025/QH15).
CITIES_2025 = {"01", "31", "46", "48", "79", "92"}
# A merged province takes the region of the former province whose name it kept; the counts cross-check it.
REGIONS_2025: dict[str, int] = {N: 9, R: 6, C: 8, H: 3, S: 3, M: 5}


@dataclass(frozen=True)
class Extra:
    region: str
    grid: tuple[int, int]  # (row, col), north at row 0
    aliases: tuple[str, ...] = ()


# Hand-kept, keyed by GSO code: what the package does not hold. Regions follow the GSO assignment.
# The grid is a 23 x 7 tile map drawn from the provinces' positions; _check_grid guards it against
# the package's coordinates.
EXTRA: dict[str, Extra] = {
    "01": Extra(R, (3, 3), ("Thủ đô Hà Nội",)),
    "02": Extra(N, (0, 3)),
    "04": Extra(N, (0, 4)),
    "06": Extra(N, (1, 4), ("Bắc Cạn",)),
    "08": Extra(N, (1, 3)),
    "10": Extra(N, (0, 2)),
    "11": Extra(N, (1, 0)),
    "12": Extra(N, (0, 1)),
    "14": Extra(N, (2, 1)),
    "15": Extra(N, (1, 2)),
    "17": Extra(N, (3, 2)),
    "19": Extra(N, (2, 4)),
    "20": Extra(N, (1, 5)),
    "22": Extra(R, (2, 6)),
    "24": Extra(N, (2, 5)),
    "25": Extra(N, (2, 2)),
    "26": Extra(R, (2, 3)),
    "27": Extra(R, (3, 4)),
    "30": Extra(R, (3, 5)),
    "31": Extra(R, (3, 6)),
    "33": Extra(R, (4, 4)),
    "34": Extra(R, (4, 5)),
    "35": Extra(R, (4, 3)),
    "36": Extra(R, (5, 4)),
    "37": Extra(R, (5, 3)),
    "38": Extra(C, (5, 2)),
    "40": Extra(C, (6, 2)),
    "42": Extra(C, (7, 3)),
    "44": Extra(C, (8, 3)),
    "45": Extra(C, (9, 4)),
    "46": Extra(C, (10, 4), ("Huế", "Thừa Thiên – Huế", "Thừa Thiên - Huế")),
    "48": Extra(C, (11, 5)),
    "49": Extra(C, (12, 5)),
    "51": Extra(C, (13, 6)),
    "52": Extra(C, (14, 6)),
    "54": Extra(C, (15, 6)),
    "56": Extra(C, (16, 6)),
    "58": Extra(C, (17, 6)),
    "60": Extra(C, (17, 5)),
    "62": Extra(H, (13, 5), ("Kontum",)),
    "64": Extra(H, (14, 5)),
    "66": Extra(H, (15, 5), ("Đăk Lăk", "Đắc Lắc")),
    "67": Extra(H, (16, 4), ("Đăk Nông",)),
    "68": Extra(H, (16, 5)),
    "70": Extra(S, (17, 3)),
    "72": Extra(S, (18, 2)),
    "74": Extra(S, (18, 3)),
    "75": Extra(S, (18, 4)),
    "77": Extra(S, (19, 4), ("Bà Rịa – Vũng Tàu", "Bà Rịa-Vũng Tàu", "BR-VT")),
    "79": Extra(S, (19, 3), ("TP.HCM", "TP. HCM", "TPHCM", "Sài Gòn")),
    "80": Extra(M, (19, 2)),
    "82": Extra(M, (20, 3)),
    "83": Extra(M, (21, 3)),
    "84": Extra(M, (21, 2)),
    "86": Extra(M, (20, 2)),
    "87": Extra(M, (19, 1)),
    "89": Extra(M, (20, 0)),
    "91": Extra(M, (21, 0)),
    "92": Extra(M, (20, 1)),
    "93": Extra(M, (21, 1)),
    "94": Extra(M, (22, 2)),
    "95": Extra(M, (22, 1)),
    "96": Extra(M, (22, 0)),
}

# The package names provinces as of its data (2025): Huế became a centrally-run city only on 1 January
# 2025 (Resolution 1314/NQ-UBTVQH15), so in the 2024 structure it is still the province.
NAME_2024: dict[str, tuple[str, str]] = {"46": ("Tỉnh Thừa Thiên Huế", "Thừa Thiên Huế")}
NAME_EN: dict[str, str] = {"79": "Ho Chi Minh City"}  # where the unaccented short name is not the English one


def code_2025(gso_code: str) -> str:
    """The unit code of a province formed on 1 July 2025.

    Every merged province took the GSO code of one of its former provinces (Ninh Bình 37 and Tuyên Quang 08
    their own, Gia Lai 52 the former Bình Định's), so "P" + GSO code would name two units; the suffix is the
    year the unit began, which keeps codes unique across time. The 11 unchanged provinces keep P01 etc.
    """
    return f"P{gso_code}-2025"


# Hand-kept tile-grid cells of the 23 merged provinces, keyed by 2025 GSO code. The 11 unchanged provinces
# keep their 2024 cells (one unit, one cell), so the layout is drawn around them: a 19 x 7 map, north at
# row 0, the south drawn closer than in 2024 now that it has fewer, larger provinces. _check_grid guards it
# against the package's coordinates. The islands go at ISLANDS_2025 (the web map draws them).
GRID_2025: dict[str, tuple[int, int]] = {
    "15": (0, 2),  # Lào Cai (Lào Cai, Yên Bái)
    "08": (0, 3),  # Tuyên Quang (Hà Giang, Tuyên Quang)
    "19": (1, 4),  # Thái Nguyên (Bắc Kạn, Thái Nguyên)
    "25": (2, 2),  # Phú Thọ (Hòa Bình, Phú Thọ, Vĩnh Phúc)
    "24": (2, 4),  # Bắc Ninh (Bắc Giang, Bắc Ninh)
    "33": (3, 4),  # Hưng Yên (Hưng Yên, Thái Bình)
    "31": (3, 5),  # Hải Phòng (Hải Dương, Hải Phòng)
    "37": (4, 3),  # Ninh Bình (Hà Nam, Nam Định, Ninh Bình)
    "44": (8, 3),  # Quảng Trị (Quảng Bình, Quảng Trị)
    "48": (11, 5),  # Đà Nẵng (Đà Nẵng, Quảng Nam)
    "51": (12, 5),  # Quảng Ngãi (Kon Tum, Quảng Ngãi)
    "52": (13, 5),  # Gia Lai (Bình Định, Gia Lai)
    "66": (14, 5),  # Đắk Lắk (Đắk Lắk, Phú Yên)
    "56": (14, 6),  # Khánh Hòa (Khánh Hòa, Ninh Thuận)
    "75": (15, 4),  # Đồng Nai (Bình Phước, Đồng Nai)
    "68": (15, 5),  # Lâm Đồng (Bình Thuận, Đắk Nông, Lâm Đồng)
    "80": (16, 3),  # Tây Ninh (Long An, Tây Ninh)
    "79": (16, 4),  # Hồ Chí Minh (Bà Rịa - Vũng Tàu, Bình Dương, Hồ Chí Minh)
    "91": (17, 2),  # An Giang (An Giang, Kiên Giang)
    "82": (17, 3),  # Đồng Tháp (Đồng Tháp, Tiền Giang)
    "86": (17, 4),  # Vĩnh Long (Bến Tre, Trà Vinh, Vĩnh Long)
    "96": (18, 2),  # Cà Mau (Bạc Liêu, Cà Mau)
    "92": (18, 3),  # Cần Thơ (Cần Thơ, Hậu Giang, Sóc Trăng)
}
ISLANDS_2025 = {"Hoàng Sa": ("48", (10, 6)), "Trường Sa": ("56", (16, 6))}  # province (2025 GSO code), cell


class BuildError(Exception):
    """The package data disagrees with itself, with the hand-kept table, or with vietnam-provinces."""


# --- reading the package -----------------------------------------------------------------------


def package_dir(name: str) -> Path:
    # find_spec on a top-level name does not import it: the package's __init__ loads its parsers.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    short: str
    key: str
    lat: float
    lon: float


def read_legacy_provinces(pkg: Path) -> list[Province]:
    """The 63 provinces before 1 July 2025, from the bundled SQLite database (opened read-only)."""
    uri = f"{(pkg / 'data' / 'dataset.db').as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT provinceCode, province, provinceShort, provinceKey, provinceLat, provinceLon"
            " FROM admin_units_legacy ORDER BY provinceCode"
        ).fetchall()
    provinces = [Province(*row) for row in rows]
    codes = [p.code for p in provinces]
    if len(codes) != 63 or len(set(codes)) != 63:
        raise BuildError(f"expected 63 distinct legacy provinces, found {len(codes)} rows / {len(set(codes))} codes")
    return provinces


def read_provinces_2025(pkg: Path) -> list[Province]:
    """The 34 provinces from 1 July 2025, from the same database."""
    uri = f"{(pkg / 'data' / 'dataset.db').as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT provinceCode, province, provinceShort, provinceKey, provinceLat, provinceLon"
            " FROM admin_units ORDER BY provinceCode"
        ).fetchall()
    provinces = [Province(*row) for row in rows]
    codes = [p.code for p in provinces]
    if len(codes) != 34 or len(set(codes)) != 34:
        raise BuildError(f"expected 34 distinct 2025 provinces, found {len(codes)} rows / {len(set(codes))} codes")
    return provinces


def read_mapping(pkg: Path) -> dict[str, list[str]]:
    """New province key -> the legacy province keys merged into it."""
    data = json.loads((pkg / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    mapping: dict[str, list[str]] = data["DICT_PROVINCE"]
    return mapping


# --- checks ------------------------------------------------------------------------------------


def check_mapping(legacy: list[Province], new: dict[str, tuple[str, str]], mapping: dict[str, list[str]]) -> set[str]:
    """Return the codes of the legacy provinces that the reform merged; raise where the data disagrees."""
    by_key = {p.key: p for p in legacy}
    sources = [k for keys in mapping.values() for k in keys]
    if sorted(sources) != sorted(by_key):
        raise BuildError("the old -> new mapping does not cover each legacy province exactly once")
    if set(mapping) != set(new):
        raise BuildError("the old -> new mapping and the 2025 provinces disagree")
    unchanged = {by_key[keys[0]].code for keys in mapping.values() if len(keys) == 1}
    if unchanged != UNCHANGED_2025:
        raise BuildError(f"package says unchanged {sorted(unchanged)}, Resolution 202 lists {sorted(UNCHANGED_2025)}")
    for new_key, keys in mapping.items():
        code, short = new[new_key]
        old_codes = {by_key[k].code for k in keys}
        # Every new province took the code of one of its predecessors.
        if code not in old_codes:
            raise BuildError(f"2025 province {short} ({code}) has a code none of {sorted(old_codes)} had")
    return {p.code for p in legacy} - unchanged


def check_against_vietnam_provinces(new: dict[str, tuple[str, str]]) -> str:
    """Compare the 2025 codes and names with the other package, when installed; report what was done."""
    try:
        from vietnam_provinces import Province as VPProvince
    except ImportError:
        return "vietnam-provinces not installed: cross-check skipped"
    theirs = {}
    for p in VPProvince.iter_all():
        short = p.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
        theirs[f"{int(p.code):02d}"] = short
    ours = dict(new.values())
    if theirs != ours:
        diff = sorted(set(theirs.items()) ^ set(ours.items()))
        raise BuildError(f"vietnam-provinces and vietnamadminunits disagree on the 2025 provinces: {diff}")
    return f"vietnam-provinces {version('vietnam-provinces')}: 34 codes and names of 2025 agree"


def check_extra(legacy: list[Province]) -> None:
    codes = {p.code for p in legacy}
    if set(EXTRA) != codes:
        raise BuildError(f"hand-kept table and package differ: {sorted(set(EXTRA) ^ codes)}")
    counts = {r: 0 for r in REGIONS}
    for e in EXTRA.values():
        counts[e.region] += 1
    if counts != REGIONS:
        raise BuildError(f"provinces per region {counts} differ from the GSO counts {REGIONS}")
    cells = [e.grid for e in EXTRA.values()]
    if len(set(cells)) != len(cells):
        raise BuildError("two provinces share a grid cell")
    _check_grid(legacy)


def _check_grid(legacy: list[Province], grid: dict[str, tuple[int, int]] | None = None) -> None:
    """Catch typos in the grid: clearly more northern provinces sit higher, clearly more western ones left."""
    cells = grid if grid is not None else {code: e.grid for code, e in EXTRA.items()}
    for a in legacy:
        for b in legacy:
            (ra, ca), (rb, cb) = cells[a.code], cells[b.code]
            if a.lat - b.lat > 0.75 and ra > rb:
                raise BuildError(f"grid puts {a.short} below {b.short}")
            if abs(a.lat - b.lat) < 0.5 and b.lon - a.lon > 0.75 and ca > cb:
                raise BuildError(f"grid puts {a.short} right of {b.short}")


def check_2025(new: list[Province], merged_codes: set[str]) -> None:
    """The hand-kept 2025 tables against the package: grid cells, cities."""
    if set(GRID_2025) != merged_codes:
        diff = sorted(set(GRID_2025) ^ merged_codes)
        raise BuildError(f"GRID_2025 and the package's merged provinces differ: {diff}")
    cells = {p.code: GRID_2025[p.code] if p.code in merged_codes else EXTRA[p.code].grid for p in new}
    if len(set(cells.values())) != len(cells):
        raise BuildError("two 2025 provinces share a grid cell")
    for island, (code, cell) in ISLANDS_2025.items():
        if code not in cells or cell in cells.values():
            raise BuildError(f"the {island} marker must sit on a free cell next to a 2025 province")
    _check_grid(new, cells)
    cities = {p.code for p in new if p.name.startswith("Thành phố ")}
    if cities != CITIES_2025:
        raise BuildError(f"2025 cities {sorted(cities)} differ from Resolution 202's {sorted(CITIES_2025)}")


# --- building ----------------------------------------------------------------------------------


def unaccent(text: str) -> str:
    s = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in s if unicodedata.category(c) != "Mn")


def city_aliases(short: str) -> list[str]:
    return [f"TP. {short}", f"TP {short}"]


def build_units(legacy: list[Province], successor_of: dict[str, str]) -> list[dict[str, Any]]:
    """The 2024 units; ``successor_of`` maps the GSO code of each merged province to its 2025 unit's code."""
    units = []
    for p in sorted(legacy, key=lambda p: p.code):
        extra = EXTRA[p.code]
        name, short = NAME_2024.get(p.code, (p.name, p.short))
        is_city = name.startswith("Thành phố ")
        aliases: list[str] = []
        if is_city:
            aliases += city_aliases(short)
        if name != p.name:  # the package's (later) names are what people may still write
            aliases += [p.name, p.short]
        aliases += [a for a in extra.aliases if a not in aliases]
        unit: dict[str, Any] = {
            "code": f"P{p.code}",
            "type": "city" if is_city else "province",
            "name": name,
            "short": short,
            "name_en": NAME_EN.get(p.code, unaccent(short)),
            "aliases": aliases,
            "groups": ["provinces"],
            "parent": "VN",
            "region": extra.region,
            "gso_code": p.code,
            "grid": list(extra.grid),
        }
        if p.code in successor_of:
            unit["valid_to"] = MERGED_UNTIL
            # Resolution 202 merged whole provinces: each former one went whole into one new province.
            unit["successors"] = [{"unit": successor_of[p.code], "kind": "whole"}]
        unit["structure"] = STRUCTURE
        units.append(unit)
    cities = {u["gso_code"] for u in units if u["type"] == "city"}
    if cities != CITIES_2024:
        raise BuildError(f"centrally-run cities {sorted(cities)} differ from those of 2024 {sorted(CITIES_2024)}")
    return units


def successors_2024(legacy: list[Province], new: list[Province], mapping: dict[str, list[str]]) -> dict[str, str]:
    """GSO code of each merged 2024 province -> code of the 2025 unit that took it over."""
    by_key = {p.key: p for p in legacy}
    new_by_key = {p.key: p for p in new}
    return {
        by_key[k].code: code_2025(new_by_key[new_key].code)
        for new_key, keys in mapping.items()
        if len(keys) > 1
        for k in keys
    }


def build_units_2025(
    legacy: list[Province], new: list[Province], mapping: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The 23 provinces formed on 1 July 2025 by merging whole 2024 provinces."""
    by_key = {p.key: p for p in legacy}
    units: list[dict[str, Any]] = []
    for p in sorted(new, key=lambda p: p.code):
        former = [by_key[k] for k in mapping[p.key]]
        if len(former) == 1:
            continue  # unchanged: the 2024 unit continues
        # Each new province kept the name of one former province: its region, and its extra aliases, follow.
        namesakes = [f for f in former if f.short == p.short]
        if len(namesakes) != 1:
            raise BuildError(f"2025 province {p.short} does not carry the name of exactly one of its former provinces")
        namesake = EXTRA[namesakes[0].code]
        is_city = p.name.startswith("Thành phố ")
        aliases = city_aliases(p.short) if is_city else []
        aliases += [a for a in namesake.aliases if a not in aliases]
        units.append(
            {
                "code": code_2025(p.code),
                "type": "city" if is_city else "province",
                "name": p.name,
                "short": p.short,
                "name_en": NAME_EN.get(p.code, unaccent(p.short)),
                "aliases": aliases,
                "groups": ["provinces"],
                "parent": "VN",
                "region": namesake.region,
                "gso_code": p.code,
                "grid": list(GRID_2025[p.code]),
                "valid_from": FROM_2025,
                "structure": STRUCTURE_2025,
            }
        )
    regions = Counter(u["region"] for u in units) + Counter(EXTRA[code].region for code in UNCHANGED_2025)
    if regions != REGIONS_2025:
        raise BuildError(f"2025 provinces per region {regions} differ from the expected {REGIONS_2025}")
    return units


class _Dumper(yaml.SafeDumper):
    pass


def _list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    # Lists of scalars read best on one line: grid: [3, 3].
    flow = all(not isinstance(x, dict | list) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Double-quote what would not read back as a string, such as gso_code "01"; digits always, since
    # YAML 1.2 readers take 08 for a number where PyYAML keeps a string.
    plain_tag = dumper.resolve(yaml.ScalarNode, data, (True, False))  # type: ignore[no-untyped-call]
    style = '"' if data.isdigit() or plain_tag != "tag:yaml.org,2002:str" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(str, _str)


def header_2024(pkg_version: str) -> str:
    return (
        f"# Provinces and centrally-run cities of the 2024 structure (63 units, until 30 June 2025).\n"
        f"# GENERATED by tools/build_units.py from vietnamadminunits {pkg_version}: do not edit by hand;\n"
        f"# change the script (or its hand-kept table of regions, grid cells and aliases) and re-run it.\n"
        f"# valid_to 2025-06-30: merged by Resolution 202/2025/QH15 (effective 1 July 2025); each such unit\n"
        f"# names the 2025 province that took it over whole (provinces_2025.yaml). The 11 without valid_to\n"
        f"# were left unchanged and continue, as the same units, in the 2025 structure. See docs/units.md.\n"
    )


def header_2025(pkg_version: str) -> str:
    islands = "; ".join(f"{name} {cell}, by {code_2025(code)}" for name, (code, cell) in ISLANDS_2025.items())
    return (
        f"# Provinces and centrally-run cities formed on 1 July 2025 by Resolution 202/2025/QH15 (23 units).\n"
        f"# GENERATED by tools/build_units.py from vietnamadminunits {pkg_version}: do not edit by hand;\n"
        f"# change the script (or its hand-kept tables) and re-run it.\n"
        f"# The 2025 structure has 34 units (28 provinces, 6 cities): these 23, each formed by merging whole\n"
        f"# provinces of 2024 (which name them as successor in provinces_2024.yaml), and the 11 provinces the\n"
        f"# reform left unchanged, which continue as their 2024 units (P01, P04, P11, ...).\n"
        f'# Codes: "P" + 2025 GSO code + "-2025". Each merged province took the GSO code of one of its\n'
        f"# former provinces (Ninh Bình 37 its own, Gia Lai 52 the former Bình Định's), so P37 stays the 2024\n"
        f"# Ninh Bình and P37-2025 is the new one: the suffix, the year the unit began, keeps codes unique.\n"
        f"# region: that of the former province whose name the new one kept. grid: a 19 x 7 tile map drawn\n"
        f"# around the unchanged provinces' 2024 cells.\n"
        f"# Island markers (drawn by the map, not units): {islands}.\n"
        f"# See docs/units.md.\n"
    )


def render(units: list[dict[str, Any]], header: str) -> str:
    # One block per unit, separated by a blank line for readable diffs.
    chunks = [
        yaml.dump({"units": [u]}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000).removeprefix(
            "units:\n"
        )
        for u in units
    ]
    return header + "units:\n" + "\n".join(chunks)


def generate() -> tuple[str, str, str]:
    """The 2024 file's text, the 2025 file's text, and a note on the cross-check."""
    try:
        pkg_version = version(PACKAGE)
    except PackageNotFoundError:
        raise BuildError(f"package {PACKAGE!r} is not installed") from None
    pkg = package_dir(PACKAGE)
    legacy = read_legacy_provinces(pkg)
    new_2025 = read_provinces_2025(pkg)
    new = {p.key: (p.code, p.short) for p in new_2025}
    mapping = read_mapping(pkg)
    merged = check_mapping(legacy, new, mapping)
    note = check_against_vietnam_provinces(new)
    check_extra(legacy)
    successor_of = successors_2024(legacy, new_2025, mapping)
    if set(successor_of) != merged:
        raise BuildError("the merged provinces and those with a successor differ")
    check_2025(new_2025, {p.code for p in new_2025 if code_2025(p.code) in successor_of.values()})
    text_2024 = render(build_units(legacy, successor_of), header_2024(pkg_version))
    text_2025 = render(build_units_2025(legacy, new_2025, mapping), header_2025(pkg_version))
    return text_2024, text_2025, note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a shipped file is not what would be written")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the 2024 file (default: %(default)s)")
    parser.add_argument("--output-2025", type=Path, default=OUTPUT_2025, help="the 2025 file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        text_2024, text_2025, note = generate()
    except BuildError as exc:
        print(f"build_units: {exc}", file=sys.stderr)
        return 2
    print(note, file=sys.stderr)
    files = ((args.output.resolve(), text_2024), (args.output_2025.resolve(), text_2025))
    if args.check:
        stale = [out for out, text in files if (out.read_text(encoding="utf-8") if out.exists() else None) != text]
        for out in stale:
            print(f"{out} is out of date: run tools/build_units.py", file=sys.stderr)
        for out, _ in files:
            if out not in stale:
                print(f"{out} is up to date", file=sys.stderr)
        return 1 if stale else 0
    for out, text in files:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
