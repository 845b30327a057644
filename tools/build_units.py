"""Generate the provinces of the 2024 and 2025 structures from the bundled data of ``vietnamadminunits``.

Writes ``src/chiso/catalogue/data/units/provinces_2024.yaml`` (the 63 provinces until 30 June 2025, each
merged one with its successor) and ``provinces_2025.yaml`` (the 23 provinces Resolution 202/2025/QH15
formed on 1 July 2025; the 11 it left unchanged continue as their 2024 units). Codes, names and which
provinces merged into which come from the package; region, tile-grid position, English-name exceptions
and extra aliases, which the package does not hold, from the tables below. See docs/units.md.

Also writes ``local_2024.json`` (the 696 districts and 10,035 communes of 2024, until 30 June 2025, each with
the 2025 communes that took it over) and ``local_2025.json`` (the 3,321 communes formed on 1 July 2025), with
the groups of each province's communes; JSON, not YAML, so that 14,000 units load fast.

    python tools/build_units.py          # write the four files
    python tools/build_units.py --check  # exit 1 if a shipped file differs from what would be written
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
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
OUTPUT_LOCAL_2024 = UNITS_DIR / "local_2024.json"
OUTPUT_LOCAL_2025 = UNITS_DIR / "local_2025.json"
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
    "79": Extra(S, (19, 3), ("TP.HCM", "TP. HCM", "TPHCM", "Thành phố HCM", "Sài Gòn")),
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


# --- below the province: districts and communes (issue 13) -----------------------------------------

# The package's counts, and what Resolution 202 and the ward reform (Resolution 1654–1686/NQ-UBTVQH15 of 16 June
# 2025) give: 696 districts of 2024, of which 5 island districts had no commune (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa,
# Lý Sơn, Côn Đảo); 10,035 communes of 2024; 3,321 communes of 2025.
DISTRICTS_2024 = 696
COMMUNES_2024 = 10_035
COMMUNES_2025 = 3_321
# The official word before a name, and its written abbreviation (an alias: "P. Hồng Hà"). Longest first.
LOCAL_ABBREV: dict[str, str] = {
    "Thành phố": "TP.", "Thị trấn": "TT.", "Thị xã": "TX.", "Đặc khu": "ĐK.",
    "Phường": "P.", "Quận": "Q.", "Huyện": "H.", "Xã": "X.",
}  # fmt: skip
LOCAL_EN: dict[str, str] = {
    "Thành phố": "City", "Thị trấn": "Township", "Thị xã": "Town", "Đặc khu": "Special Zone",
    "Phường": "Ward", "Quận": "District", "Huyện": "District", "Xã": "Commune",
}  # fmt: skip
URBAN = {"Phường", "Thị trấn"}  # the rest (Xã, Đặc khu) is rural
TYPE_ORDER = ("Phường", "Thị trấn", "Xã", "Đặc khu")  # how a group's name lists its members' types
LOCAL_NOTE_SPLIT = "tách (split among several new communes)"
LOCAL_NOTE_DEFAULT = "tách; mặc định của vietnamadminunits (split; the package's default)"
LOCAL_NOTE_DISTRICT = "địa bàn (territory: districts were abolished)"


@dataclass(frozen=True)
class Local:
    """A district or commune as the package holds it; ``key`` is the converter's "province_district_ward"."""

    code: str  # official code: 3 digits (district), 5 (commune)
    name: str
    type: str  # the official word (Phường, Xã, ...)
    province: str  # GSO code of its province (of its structure)
    district: str | None  # official code of its district (2024 communes)
    lat: float | None
    lon: float | None
    key: str


def _db(pkg: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{(pkg / 'data' / 'dataset.db').as_uri()}?mode=ro", uri=True)


def local_type(name: str, package_type: str, problems: list[str]) -> tuple[str, str]:
    """The official word and the name: the name's own word (the resolution's text), written as the word is
    ("Thành Phố Bắc Kạn" -> "Thành phố Bắc Kạn"), noting where the package's type disagrees."""
    word = next((w for w in LOCAL_ABBREV if name.lower().startswith(w.lower() + " ")), None)
    if word is None:
        raise BuildError(f"{name!r} does not begin with an official type word")
    fixed = word + name[len(word):]
    if fixed != name:
        problems.append(f"{name}: written {fixed}")
    if word != package_type:
        problems.append(f"{fixed}: the package's type is {package_type}; the name's ({word}) is kept")
    return word, fixed


def read_local_2024(pkg: Path, problems: list[str]) -> tuple[list[Local], list[Local]]:
    """The 696 districts and the communes of 2024 (the 5 island districts without a commune have a row each)."""
    with _db(pkg) as conn:
        rows = conn.execute(
            "SELECT provinceCode, provinceKey, districtCode, district, districtType, districtLat, districtLon,"
            " districtKey, wardCode, ward, wardType, wardLat, wardLon, wardKey"
            " FROM admin_units_legacy ORDER BY districtCode, wardCode"
        ).fetchall()
    districts: dict[str, Local] = {}
    communes: list[Local] = []
    for pcode, pkey, dcode, dname, dtype, dlat, dlon, dkey, wcode, wname, wtype, wlat, wlon, wkey in rows:
        if dcode not in districts:
            word, name = local_type(dname, dtype, problems)
            districts[dcode] = Local(dcode, name, word, pcode, None, dlat, dlon, f"{pkey}_{dkey}_")
        if wcode is not None:
            word, name = local_type(wname, wtype, problems)
            communes.append(Local(wcode, name, word, pcode, dcode, wlat, wlon, f"{pkey}_{dkey}_{wkey}"))
    distinct = len({c.code for c in communes})
    if len(districts) != DISTRICTS_2024 or distinct != COMMUNES_2024 or len(communes) != COMMUNES_2024:
        raise BuildError(f"expected {DISTRICTS_2024} districts and {COMMUNES_2024} distinct communes of 2024, "
                         f"found {len(districts)} and {len(communes)}")
    return list(districts.values()), communes


def read_local_2025(pkg: Path, problems: list[str]) -> list[Local]:
    with _db(pkg) as conn:
        rows = conn.execute(
            "SELECT provinceCode, provinceKey, wardCode, ward, wardType, wardLat, wardLon, wardKey"
            " FROM admin_units ORDER BY wardCode"
        ).fetchall()
    out = []
    for pcode, pkey, wcode, wname, wtype, wlat, wlon, wkey in rows:
        word, name = local_type(wname, wtype, problems)
        out.append(Local(wcode, name, word, pcode, None, wlat, wlon, f"{pkey}_{wkey}"))
    if len({c.code for c in out}) != len(out) or len(out) != COMMUNES_2025:
        raise BuildError(f"expected {COMMUNES_2025} distinct communes of 2025, found {len(out)}")
    return out


def read_ward_mapping(pkg: Path) -> tuple[dict[str, list[str]], dict[str, list[tuple[str, bool]]]]:
    """Old key -> the new "province_ward" key it went into whole; old key -> (new key, package default) it was split
    among."""
    data = json.loads((pkg / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    whole: dict[str, list[str]] = {}
    for pkey, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for wkey, olds in wards.items():
            for old in olds:
                whole.setdefault(old, []).append(f"{pkey}_{wkey}")
    split: dict[str, list[tuple[str, bool]]] = {}
    for pkey, olds in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, news in olds.items():
            split[old] = [(f"{pkey}_{n['newWardKey']}", bool(n["isDefaultNewWard"])) for n in news]
    return whole, split


def _local_names(name: str, word: str) -> tuple[str, str, list[str]]:
    """Short name, English name and aliases: "Phường Hồng Hà" -> "Hồng Hà", "Hong Ha Ward", ["P. Hồng Hà"]. A
    number alone ("Phường 1", "Quận 10") is no name: the short name stays whole ("Ward 1" in English). Folding
    (catalogue.names.fold) gives the unaccented forms."""
    rest = name.removeprefix(word + " ")
    short = name if rest.isdigit() else rest
    english = f"{LOCAL_EN[word]} {rest}" if rest.isdigit() else f"{unaccent(rest)} {LOCAL_EN[word]}"
    return short, english, [f"{LOCAL_ABBREV[word]} {rest}"]


def _local_unit(loc: Local, code: str, utype: str, parent: str, province: str) -> dict[str, Any]:
    short, english, aliases = _local_names(loc.name, loc.type)
    unit: dict[str, Any] = {"code": code, "type": utype, "name": loc.name, "short": short, "name_en": english,
                            "aliases": aliases}
    unit.update({"groups": [], "parent": parent, "gso_code": loc.code, "local_type": loc.type, "province": province})
    if loc.lat is not None and loc.lon is not None:
        unit.update({"lat": loc.lat, "lon": loc.lon})
    return unit


def province_code_2025(new_2025: list[Province], mapping: dict[str, list[str]]) -> dict[str, str]:
    """2025 GSO code -> unit code: P01 for an unchanged province, P48-2025 for a merged one."""
    return {p.code: f"P{p.code}" if len(mapping[p.key]) == 1 else code_2025(p.code) for p in new_2025}


def _group(code: str, name: str, name_en: str, aliases: list[str], province: dict[str, Any] | None) -> dict[str, Any]:
    unit: dict[str, Any] = {"code": code, "type": "group", "name": name, "short": name, "name_en": name_en,
                            "aliases": aliases, "groups": [], "parent": province["code"] if province else None}
    if province is not None:
        unit["province"] = province["code"]
        for k in ("valid_from", "valid_to", "structure"):
            if k in province:
                unit[k] = province[k]
    return unit


def _types_text(types: set[str]) -> str:
    words = [w for w in TYPE_ORDER if w in types]
    return ", ".join([words[0], *(w.lower() for w in words[1:])])


def province_groups(province: dict[str, Any], members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The groups of one province's local units (hand-written rule): its communes (all, urban, rural) and, where
    it had any, its districts. Parent: the province, never VN (the nation is the sum of VN's groups)."""
    short, en, pcode = province["short"], province["name_en"], province["code"]
    communes = [m for m in members if m["type"] == "commune"]
    urban = {m["local_type"] for m in communes if m["local_type"] in URBAN}
    rural = {m["local_type"] for m in communes if m["local_type"] not in URBAN}
    groups = [
        _group(f"{pcode}.communes", f"Xã, phường của {short}", f"Communes of {en}",
               [f"communes of {short}", f"các xã, phường của {short}", f"cấp xã {short}"], province),
        _group(f"{pcode}.rural", f"{_types_text(rural)} của {short}", f"Rural communes of {en}",
               [f"rural communes of {short}", f"các xã của {short}"], province),
        _group(f"{pcode}.urban", f"{_types_text(urban)} của {short}", f"Urban communes of {en}",
               [f"urban communes of {short}", f"các phường của {short}"], province),
    ]
    if any(m["type"] == "district" for m in members):
        groups.append(_group(f"{pcode}.districts", f"Quận, huyện của {short}", f"Districts of {en}",
                             [f"districts of {short}", f"các quận, huyện của {short}", f"cấp huyện {short}"],
                             province))
    for m in members:
        if m["type"] == "district":
            m["groups"] = [f"{pcode}.districts"]
        else:
            kind = "urban" if m["local_type"] in URBAN else "rural"
            m["groups"] = ["communes", f"{pcode}.communes", f"{pcode}.{kind}"]
    return groups


NATIONAL_COMMUNES = _group("communes", "Cấp xã toàn quốc", "All communes",
                           ["các xã, phường", "cấp xã", "all communes"], None)


def build_local(
    legacy: list[Province], new_2025: list[Province], mapping: dict[str, list[str]],
    provinces_2024: list[dict[str, Any]], provinces_2025: list[dict[str, Any]], pkg: Path,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """The local units of 2024 and 2025 with their groups, and the problems found (printed, and in docs/units.md)."""
    problems: list[str] = []
    districts, communes = read_local_2024(pkg, problems)
    communes_2025 = read_local_2025(pkg, problems)
    whole, split = read_ward_mapping(pkg)
    prov_2025 = province_code_2025(new_2025, mapping)
    new_by_key = {c.key: c for c in communes_2025}
    new_code = {c.key: f"X{c.code}-2025" for c in communes_2025}

    units_2024: list[dict[str, Any]] = []
    went: dict[str, set[str]] = {}  # district code -> the 2025 communes its communes went into
    whole_only: dict[str, bool] = {}
    for c in communes:
        u = _local_unit(c, f"X{c.code}", "commune", f"D{c.district}", f"P{c.province}")
        u["valid_to"] = MERGED_UNTIL
        if c.key in whole and len(whole[c.key]) == 1 and c.key not in split:
            u["successors"] = [{"unit": new_code[whole[c.key][0]], "kind": "whole"}]
        elif c.key in split and c.key not in whole:
            u["successors"] = sorted(
                ({"unit": new_code[k], "kind": "part", "note": LOCAL_NOTE_DEFAULT if default else LOCAL_NOTE_SPLIT}
                 for k, default in split[c.key]), key=lambda s: s["unit"])
        else:
            problems.append(f"{c.name} ({c.code}, {c.key}): the converter maps it {whole.get(c.key)} / "
                            f"{split.get(c.key)}: left without successor")
        u["structure"] = STRUCTURE
        assert c.district is not None
        went.setdefault(c.district, set()).update(s["unit"] for s in u.get("successors", []))
        whole_only[c.district] = whole_only.get(c.district, True) and c.key in whole
        units_2024.append(u)
    for d in districts:
        u = _local_unit(d, f"D{d.code}", "district", f"P{d.province}", f"P{d.province}")
        u["valid_to"] = MERGED_UNTIL
        targets = went.get(d.code, set())
        if not targets and len(whole.get(d.key, [])) == 1:  # an island district without communes: one đặc khu
            u["successors"] = [{"unit": new_code[whole[d.key][0]], "kind": "whole"}]
        elif len(targets) == 1 and whole_only.get(d.code):  # every commune went whole into one new commune
            u["successors"] = [{"unit": next(iter(targets)), "kind": "whole"}]
        elif targets:
            u["successors"] = [{"unit": t, "kind": "part", "note": LOCAL_NOTE_DISTRICT} for t in sorted(targets)]
        else:
            problems.append(f"{d.name} ({d.code}): no commune of it is mapped: left without successor")
        u["structure"] = STRUCTURE
        units_2024.append(u)

    units_2025: list[dict[str, Any]] = []
    for c in communes_2025:
        pcode = prov_2025[c.province]
        u = _local_unit(c, new_code[c.key], "commune", pcode, pcode)
        u.update({"valid_from": FROM_2025, "structure": STRUCTURE_2025})
        units_2025.append(u)
    received = {s["unit"] for u in units_2024 if u["type"] == "commune" for s in u.get("successors", [])}
    received |= {new_code[k] for v in whole.values() for k in v if k in new_by_key}
    for u in units_2025:
        if u["code"] not in received:
            problems.append(f"{u['name']} ({u['code']}): no former commune is mapped into it")

    # Groups, per province valid in each structure (an unchanged province's groups span both).
    by_province: dict[str, list[dict[str, Any]]] = {}
    for u in units_2024 + units_2025:
        by_province.setdefault(u["province"], []).append(u)
    groups_2024: list[dict[str, Any]] = [NATIONAL_COMMUNES]
    for p in provinces_2024:
        groups_2024 += province_groups(p, by_province.pop(p["code"]))
    groups_2025: list[dict[str, Any]] = []
    for p in provinces_2025:
        groups_2025 += province_groups(p, by_province.pop(p["code"]))
    if by_province:
        raise BuildError(f"local units in no known province: {sorted(by_province)}")
    return (sorted(units_2024 + groups_2024, key=lambda u: u["code"]),
            sorted(units_2025 + groups_2025, key=lambda u: u["code"]), problems)


def _json_ready(unit: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO strings; null and empty fields left out (the model's defaults)."""
    out: dict[str, Any] = {}
    for k, v in unit.items():
        if v is None and k == "parent":
            out[k] = None  # parent's default is "VN": a null parent must be written
        elif v is None or v == [] or v == ():
            continue
        else:
            out[k] = v.isoformat() if isinstance(v, date) else v
    return out


def render_json(units: list[dict[str, Any]], header: str) -> str:
    """One unit per line, for readable diffs; ``about`` says where the file comes from."""
    lines = [json.dumps(_json_ready(u), ensure_ascii=False, separators=(",", ":")) for u in units]
    return '{"about":' + json.dumps(header, ensure_ascii=False) + ',\n"units":[\n' + ",\n".join(lines) + "\n]}\n"


def header_local(year: str, pkg_version: str, counts: str) -> str:
    return (f"Districts and communes of the {year} structure ({counts}) and the groups of each province's communes. "
            f"GENERATED by tools/build_units.py from vietnamadminunits {pkg_version}: do not edit by hand. "
            f"See docs/units.md.")


@dataclass(frozen=True)
class Generated:
    text_2024: str
    text_2025: str
    note: str
    local_2024: str = ""
    local_2025: str = ""
    problems: tuple[str, ...] = ()


def generate() -> Generated:
    """The provinces' files, the local units' files, a note on the cross-check and the problems found."""
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
    provinces_2024 = build_units(legacy, successor_of)
    provinces_2025 = build_units_2025(legacy, new_2025, mapping)
    text_2024 = render(provinces_2024, header_2024(pkg_version))
    text_2025 = render(provinces_2025, header_2025(pkg_version))
    local_2024, local_2025, problems = build_local(legacy, new_2025, mapping, provinces_2024, provinces_2025, pkg)
    counts_2024 = f"{DISTRICTS_2024} districts, {COMMUNES_2024} communes, until 30 June 2025"
    counts_2025 = f"{COMMUNES_2025} communes, from 1 July 2025"
    return Generated(
        text_2024, text_2025, note,
        render_json(local_2024, header_local("2024", pkg_version, counts_2024)),
        render_json(local_2025, header_local("2025", pkg_version, counts_2025)),
        tuple(problems),
    )


def _write(out: Path, text: str) -> None:
    # Atomic, and only when changed: a test may run the script while another reads the shipped file.
    if out.exists() and out.read_text(encoding="utf-8") == text:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a shipped file is not what would be written")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the 2024 file (default: %(default)s)")
    parser.add_argument("--output-2025", type=Path, default=OUTPUT_2025, help="the 2025 file (default: %(default)s)")
    parser.add_argument("--output-local-2024", type=Path, default=OUTPUT_LOCAL_2024,
                        help="the districts and communes of 2024 (default: %(default)s)")
    parser.add_argument("--output-local-2025", type=Path, default=OUTPUT_LOCAL_2025,
                        help="the communes of 2025 (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        gen = generate()
    except BuildError as exc:
        print(f"build_units: {exc}", file=sys.stderr)
        return 2
    print(gen.note, file=sys.stderr)
    for problem in gen.problems:
        print(f"note: {problem}", file=sys.stderr)
    files = ((args.output.resolve(), gen.text_2024), (args.output_2025.resolve(), gen.text_2025),
             (args.output_local_2024.resolve(), gen.local_2024), (args.output_local_2025.resolve(), gen.local_2025))
    if args.check:
        stale = [out for out, text in files if (out.read_text(encoding="utf-8") if out.exists() else None) != text]
        for out in stale:
            print(f"{out} is out of date: run tools/build_units.py", file=sys.stderr)
        for out, _ in files:
            if out not in stale:
                print(f"{out} is up to date", file=sys.stderr)
        return 1 if stale else 0
    for out, text in files:
        _write(out, text)
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
