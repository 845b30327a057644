"""Both administrative structures with their dates: 63 provinces and 22 ministries, then 34 and 17.

Provinces are cross-checked against vietnamadminunits' own bundled data, read here independently of
tools/build_units.py; ministries against Resolution 176/2025/QH15, transcribed below.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from chiso.catalogue import Catalogue
from chiso.catalogue.models import Successor, Unit, UnitType
from chiso.catalogue.names import fold
from chiso.catalogue.periods import Period

ROOT = Path(__file__).resolve().parents[1]
UNITS_DIR = ROOT / "src" / "chiso" / "catalogue" / "data" / "units"
SCRIPT = ROOT / "tools" / "build_units.py"

LAST_2024 = date(2025, 6, 30)  # the provinces' last day in the 2024 structure
FIRST_2025 = date(2025, 7, 1)
MINISTRIES_LAST = date(2025, 2, 28)
MINISTRIES_FIRST = date(2025, 3, 1)

# Resolution 202/2025/QH15: the 11 provinces left unchanged.
UNCHANGED = {
    "Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa", "Nghệ An",
    "Hà Tĩnh", "Cao Bằng",
}  # fmt: skip

# Resolution 176/2025/QH15, Article 1: the 14 ministries and 3 ministry-level agencies from 1 March 2025,
# each with the 2024 units it continues or was formed from by merging whole.
RESOLUTION_176: dict[str, tuple[UnitType, set[str]]] = {
    "Bộ Quốc phòng": (UnitType.MINISTRY, {"BQP"}),
    "Bộ Công an": (UnitType.MINISTRY, {"BCA"}),
    "Bộ Ngoại giao": (UnitType.MINISTRY, {"BNG"}),
    "Bộ Nội vụ": (UnitType.MINISTRY, {"BNV", "BLDTBXH"}),
    "Bộ Tư pháp": (UnitType.MINISTRY, {"BTP"}),
    "Bộ Tài chính": (UnitType.MINISTRY, {"BTC", "BKHDT"}),
    "Bộ Công Thương": (UnitType.MINISTRY, {"BCT"}),
    "Bộ Nông nghiệp và Môi trường": (UnitType.MINISTRY, {"BNNPTNT", "BTNMT"}),
    "Bộ Xây dựng": (UnitType.MINISTRY, {"BXD", "BGTVT"}),
    "Bộ Văn hóa, Thể thao và Du lịch": (UnitType.MINISTRY, {"BVHTTDL"}),
    "Bộ Khoa học và Công nghệ": (UnitType.MINISTRY, {"BKHCN", "BTTTT"}),
    "Bộ Giáo dục và Đào tạo": (UnitType.MINISTRY, {"BGDDT"}),
    "Bộ Y tế": (UnitType.MINISTRY, {"BYT"}),
    "Bộ Dân tộc và Tôn giáo": (UnitType.MINISTRY, {"UBDT"}),
    "Ngân hàng Nhà nước Việt Nam": (UnitType.AGENCY, {"NHNN"}),
    "Thanh tra Chính phủ": (UnitType.AGENCY, {"TTCP"}),
    "Văn phòng Chính phủ": (UnitType.AGENCY, {"VPCP"}),
}
# Functions moved to a ministry other than the main successor (the Government's decrees of February 2025):
# (former unit, receiving ministry, a word of the function's name). No share is published for any.
PARTS = {
    ("BTTTT", "Bộ Văn hóa, Thể thao và Du lịch", "báo chí"),
    ("BLDTBXH", "Bộ Y tế", "bảo trợ xã hội"),
    ("BLDTBXH", "Bộ Giáo dục và Đào tạo", "giáo dục nghề nghiệp"),
    ("BLDTBXH", "Bộ Nông nghiệp và Môi trường", "giảm nghèo"),
    ("BNV", "Bộ Dân tộc và Tôn giáo", "tôn giáo"),
}


# --- vietnamadminunits' data, read without importing the package -----------------------------------

# 2025 code -> (name, short); legacy code -> (name, short); 2025 code -> legacy codes merged into it.
Package = tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]], dict[str, set[str]]]


def _package_dir() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    assert spec is not None and spec.submodule_search_locations, "vietnamadminunits (a dev dependency) is missing"
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture(scope="module")
def package() -> Package:
    pkg = _package_dir()
    with sqlite3.connect(f"{(pkg / 'data' / 'dataset.db').as_uri()}?mode=ro", uri=True) as conn:
        new = conn.execute("SELECT DISTINCT provinceCode, province, provinceShort, provinceKey FROM admin_units")
        new_rows = new.fetchall()
        old = conn.execute(
            "SELECT DISTINCT provinceCode, province, provinceShort, provinceKey FROM admin_units_legacy"
        ).fetchall()
    mapping = json.loads((pkg / "data" / "converter_2025.json").read_text(encoding="utf-8"))["DICT_PROVINCE"]
    old_code = {key: code for code, _, _, key in old}
    new_code = {key: code for code, _, _, key in new_rows}
    merged = {new_code[k]: {old_code[o] for o in olds} for k, olds in mapping.items()}
    return (
        {c: (n, s) for c, n, s, _ in new_rows},
        {c: (n, s) for c, n, s, _ in old},
        merged,
    )


def _by_gso(units: list[Unit]) -> dict[str, Unit]:
    out = {u.gso_code: u for u in units if u.gso_code}
    assert len(out) == len(units)
    return out


# --- provinces --------------------------------------------------------------------------------------------


def test_34_provinces_from_1_july_2025_are_the_packages(catalogue: Catalogue, package: Package) -> None:
    new, _, _ = package
    units = catalogue.structure_on(FIRST_2025, "provinces")
    assert len(units) == 34 and len(new) == 34
    by_gso = _by_gso(units)
    assert set(by_gso) == set(new)
    for code, (name, short) in new.items():
        u = by_gso[code]
        # Huế continues as its 2024 unit, Tỉnh Thừa Thiên Huế, whose aliases carry the city's name.
        assert name in (u.name, *u.aliases) and short in (u.short, *u.aliases), code
        assert u.region and u.grid and u.parent == "VN"


def test_each_new_province_took_the_former_provinces_the_package_says(catalogue: Catalogue, package: Package) -> None:
    new, old, merged = package
    by_gso = _by_gso(catalogue.structure_on(FIRST_2025, "provinces"))
    former_by_gso = _by_gso(catalogue.structure_on(LAST_2024, "provinces"))
    assert set(former_by_gso) == set(old)
    for code, former in merged.items():
        u = by_gso[code]
        if len(former) == 1:  # unchanged: the same unit goes on, taking over nothing
            assert former == {code} and u == former_by_gso[code] and catalogue.predecessors(u) == []
            assert u.valid_from is None and u.valid_to is None and u.successors == ()
            continue
        preds = catalogue.predecessors(u)
        assert {p.gso_code for p, _ in preds} == former, new[code]
        assert all(link.kind == "whole" and link.share is None for _, link in preds)
        assert all(p.short == old[p.gso_code or ""][1] or p.gso_code == "46" for p, _ in preds)


def test_resolution_202_11_unchanged_52_merged_into_23(catalogue: Catalogue) -> None:
    before = catalogue.structure_on(LAST_2024, "provinces")
    after = catalogue.structure_on(FIRST_2025, "provinces")
    kept = [u for u in after if u in before]
    # Huế keeps its 2024 unit, named as the province it was in 2024 (it became a city on 1 January 2025).
    assert {u.short for u in kept} == UNCHANGED - {"Huế"} | {"Thừa Thiên Huế"} and len(kept) == 11
    ended = [u for u in before if u not in after]
    assert len(ended) == 52 and all(u.valid_to == LAST_2024 for u in ended)
    created = [u for u in after if u not in before]
    assert len(created) == 23
    for u in created:
        assert u.valid_from == FIRST_2025 and u.valid_to is None and u.structure == "2025"
        assert u.code == f"P{u.gso_code}-2025"  # the code scheme: never a 2024 code
        assert len(catalogue.predecessors(u)) >= 2
        assert u.type is (UnitType.CITY if u.name.startswith("Thành phố ") else UnitType.PROVINCE)
    # 6 centrally-run cities: Hà Nội, Huế (a city since 1 January 2025, kept as its 2024 unit), and four new.
    assert {u.short for u in created if u.type is UnitType.CITY} == {"Hải Phòng", "Đà Nẵng", "Hồ Chí Minh", "Cần Thơ"}
    assert catalogue.unit("P52").short == "Bình Định" and catalogue.unit("P64").short == "Gia Lai"
    assert catalogue.unit("P52-2025").short == "Gia Lai"  # the new Gia Lai took Bình Định's GSO code


@pytest.mark.parametrize(
    ("new", "former"),
    [
        ("Ninh Bình", {"Hà Nam", "Nam Định", "Ninh Bình"}),
        ("Hồ Chí Minh", {"Bình Dương", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh"}),
        ("Tuyên Quang", {"Hà Giang", "Tuyên Quang"}),
        ("Lâm Đồng", {"Lâm Đồng", "Đắk Nông", "Bình Thuận"}),
        ("An Giang", {"An Giang", "Kiên Giang"}),
    ],
)
def test_merges_of_resolution_202(catalogue: Catalogue, new: str, former: set[str]) -> None:
    unit = catalogue.unit(new, on=FIRST_2025)
    assert unit.valid_from == FIRST_2025
    assert {a.unit.short for a in catalogue.lineage(unit)} == former
    assert all(a.kind == "whole" and a.share == 1.0 for a in catalogue.lineage(unit))


def test_2025_provinces_on_the_tile_map_and_in_regions(catalogue: Catalogue) -> None:
    after = catalogue.structure_on(FIRST_2025, "provinces")
    cells = [u.grid for u in after]
    assert None not in cells and len(set(cells)) == 34
    assert {c[0] for c in cells if c} <= set(range(19)) and {c[1] for c in cells if c} <= set(range(7))
    north, south = catalogue.unit("Tuyên Quang", on=FIRST_2025), catalogue.unit("Cà Mau", on=FIRST_2025)
    assert north.grid and south.grid and north.grid[0] < south.grid[0]
    assert Counter(u.region for u in after) == {
        "northern_midlands_mountains": 9,
        "red_river_delta": 6,
        "north_central_coast": 8,
        "central_highlands": 3,
        "southeast": 3,
        "mekong_delta": 5,
    }


# --- ministries -------------------------------------------------------------------------------------------


def test_17_ministries_from_1_march_2025_match_resolution_176(catalogue: Catalogue) -> None:
    after = catalogue.structure_on(MINISTRIES_FIRST, "ministries")
    assert {u.name for u in after} == set(RESOLUTION_176)
    assert Counter(u.type for u in after) == {UnitType.MINISTRY: 14, UnitType.AGENCY: 3}
    for u in after:
        kind, former = RESOLUTION_176[u.name]
        assert u.type is kind, u.name
        whole = {p.code for p, link in catalogue.predecessors(u) if link.kind == "whole"}
        if former == {u.code}:  # continues as its 2024 unit (perhaps with functions added by partial links)
            assert u.valid_from is None and u.valid_to is None and whole == set()
        else:  # formed by merging whole units: a new unit, even where it kept a 2024 name
            assert whole == former, u.name
            assert u.valid_from == MINISTRIES_FIRST and u.code.endswith("-2025") and u.structure == "2025"


def test_functions_moved_in_part_name_what_moved(catalogue: Catalogue) -> None:
    links = [
        (u, to, s) for u in catalogue.members("ministries") for to, s in catalogue.successors(u) if s.kind == "part"
    ]
    assert len(links) == len(PARTS)
    for former, to, s in links:
        assert s.share is None and s.note and to.valid_on(MINISTRIES_FIRST)
        assert any((f, n) == (former.code, to.name) and w in s.note for f, n, w in PARTS), (former.code, to.code)


def test_22_then_17_ministries_63_then_34_provinces(catalogue: Catalogue) -> None:
    assert len(catalogue.members("ministries", Period.parse("2024"))) == 22
    assert len(catalogue.members("provinces", Period.parse("2024"))) == 63
    assert len(catalogue.members("ministries", Period.parse("2025"))) == 17
    assert len(catalogue.members("provinces", Period.parse("2025"))) == 34
    # The two reforms took effect four months apart: in the second quarter of 2025 both structures mix.
    assert len(catalogue.members("ministries", Period.parse("2025Q2"))) == 17
    assert len(catalogue.members("provinces", Period.parse("2025Q2"))) == 63
    assert len(catalogue.structure_on(MINISTRIES_LAST, "ministries")) == 22
    assert len(catalogue.structure_on(MINISTRIES_FIRST, "Khối bộ")) == 17  # the group by name
    assert len(catalogue.structure_on(LAST_2024, "provinces")) == 63
    assert len(catalogue.structure_on(FIRST_2025, "provinces")) == 34


# --- every former unit has successors --------------------------------------------------------------------


def test_every_former_unit_has_a_whole_successor_valid_the_next_day(catalogue: Catalogue) -> None:
    former = [u for g in ("ministries", "provinces") for u in catalogue.members(g) if u.valid_to is not None]
    assert len(former) == 11 + 52
    for u in former:
        assert u.valid_to is not None
        nxt = u.valid_to + timedelta(days=1)
        assert sum(1 for s in u.successors if s.kind == "whole") == 1, u.code
        for to, s in catalogue.successors(u):
            assert to.valid_on(nxt), (u.code, to.code)
            # the whole goes to a unit that begins the next day; parts may go to one that continues
            assert s.kind == "part" or not to.valid_on(u.valid_to), (u.code, to.code)
    current = [u for u in catalogue.units.values() if u.valid_to is None]
    assert all(u.successors == () for u in current)


# --- names and codes resolve across time ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "code", "whole", "parts"),
    [
        ("Hà Giang", "P02", "P08-2025", set()),
        ("ha giang", "P02", "P08-2025", set()),
        ("P02", "P02", "P08-2025", set()),
        ("Bình Dương", "P74", "P79-2025", set()),
        ("BR-VT", "P77", "P79-2025", set()),
        ("Tỉnh Hà Nam", "P35", "P37-2025", set()),
        ("Bộ Thông tin và Truyền thông", "BTTTT", "BKHCN-2025", {"BVHTTDL"}),
        ("Bộ TT&TT", "BTTTT", "BKHCN-2025", {"BVHTTDL"}),
        ("BTTTT", "BTTTT", "BKHCN-2025", {"BVHTTDL"}),
        ("Bộ Lao động - Thương binh và Xã hội", "BLDTBXH", "BNV-2025", {"BYT", "BGDDT", "BNNMT-2025"}),
        ("Ủy ban Dân tộc", "UBDT", "BDTTG-2025", set()),
        ("Bộ Kế hoạch và Đầu tư", "BKHDT", "BTC-2025", set()),
    ],
)
def test_former_names_and_codes_resolve_to_them_and_their_successors(
    catalogue: Catalogue, ref: str, code: str, whole: str, parts: set[str]
) -> None:
    unit = catalogue.unit(ref)
    assert unit.code == code and unit.valid_to is not None  # the only unit with that name: the former one
    carried = catalogue.successor_on(unit, date(2025, 12, 31))
    assert (carried[0][0].code, carried[0][1].kind) == (whole, "whole")
    assert {u.code for u, s in carried if s.kind == "part"} == parts
    assert catalogue.successor_on(unit, unit.valid_to) == [(unit, Successor(unit=code))]  # still itself


@pytest.mark.parametrize(
    ("ref", "on", "code"),
    [
        ("Ninh Bình", FIRST_2025, "P37-2025"),
        ("Ninh Bình", date(2024, 12, 31), "P37"),
        ("Ninh Bình", LAST_2024, "P37"),
        ("Ninh Bình", None, "P37-2025"),  # without a date, the newest
        ("Tỉnh Ninh Bình", date(2030, 1, 1), "P37-2025"),
        ("Hồ Chí Minh", date(2024, 6, 1), "P79"),
        ("TP.HCM", FIRST_2025, "P79-2025"),
        ("Gia Lai", date(2024, 6, 1), "P64"),
        ("Gia Lai", FIRST_2025, "P52-2025"),
        ("Hà Giang", FIRST_2025, "P02"),  # no later namesake: the former unit, whose successor is Tuyên Quang
        ("Hà Nội", FIRST_2025, "P01"),  # unchanged: one unit throughout
        ("Bộ Tài chính", MINISTRIES_LAST, "BTC"),
        ("Bộ Tài chính", MINISTRIES_FIRST, "BTC-2025"),
        ("Bộ Tài chính", date(2019, 1, 1), "BTC"),
        ("Bộ KH&CN", date(2024, 6, 1), "BKHCN"),
        ("Bộ KH&CN", date(2025, 6, 1), "BKHCN-2025"),
        ("Bộ Y tế", date(2025, 6, 1), "BYT"),
        ("P37", FIRST_2025, "P37"),  # a code names one unit, whatever the date
    ],
)
def test_shared_names_resolve_by_date(catalogue: Catalogue, ref: str, on: date | None, code: str) -> None:
    assert catalogue.unit(ref, on=on).code == code


def test_successor_on_follows_the_structure_in_force(catalogue: Catalogue) -> None:
    hg, tq = catalogue.unit("P02"), catalogue.unit("P08-2025")
    assert catalogue.successor_on(hg, date(2024, 1, 1)) == [(hg, Successor(unit="P02"))]
    assert catalogue.successor_on(hg, FIRST_2025) == [(tq, Successor(unit="P08-2025", kind="whole"))]
    assert catalogue.successor_on(tq, LAST_2024) == []  # not yet formed
    hn = catalogue.unit("Hà Nội")
    assert catalogue.successor_on(hn, FIRST_2025) == [(hn, Successor(unit="P01"))]
    assert [(a.unit.code, a.kind) for a in catalogue.lineage(tq)] == [("P02", "whole"), ("P08", "whole")]
    assert catalogue.lineage(hn) == []


def test_names_are_not_ambiguous_on_any_day(catalogue: Catalogue) -> None:
    for day in (date(2024, 12, 31), MINISTRIES_FIRST, LAST_2024, FIRST_2025):
        owners: dict[str, set[str]] = {}
        for u in catalogue.units.values():
            # districts and communes share names across provinces: resolved with their province, or refused
            # with the candidates (test_units_local.py); a name above the province wins over theirs
            if u.valid_on(day) and not catalogue.is_local(u):
                for n in (u.code, u.name, u.short, *u.aliases, *([u.name_en] if u.name_en else [])):
                    owners.setdefault(fold(n), set()).add(u.code)
        assert {n: c for n, c in owners.items() if len(c) > 1} == {}, day


# --- lineage and chains, on a catalogue of their own -------------------------------------------------------


def _unit(code: str, start: date | None, end: date | None, *links: Successor) -> Unit:
    return Unit(
        code=code, type=UnitType.PROVINCE, name=code, short=code, groups=("g",), valid_from=start, valid_to=end,
        successors=links,
    )  # fmt: skip


def test_chains_of_merges_are_followed_with_kind_and_share() -> None:
    d1, d2 = date(2025, 1, 1), date(2026, 1, 1)
    units = [
        Unit(code="VN", type=UnitType.NATION, name="VN", short="VN", parent=None),
        Unit(code="g", type=UnitType.GROUP, name="g", short="g"),
        _unit("A", None, d1 - timedelta(days=1), Successor(unit="B"), Successor(unit="C", kind="part", share=0.25)),
        _unit("B", d1, d2 - timedelta(days=1), Successor(unit="D"), Successor(unit="C", kind="part", share=0.5)),
        _unit("C", d1, None),
        _unit("D", d2, None),
        _unit("E", None, d2 - timedelta(days=1), Successor(unit="D", kind="part", note="roads")),
    ]
    cat = Catalogue({u.code: u for u in units}, {})
    a, c, d = cat.units["A"], cat.units["C"], cat.units["D"]
    assert [(u.code, s.kind, s.share) for u, s in cat.successor_on(a, d1)] == [
        ("B", "whole", None),
        ("C", "part", 0.25),
    ]
    # After the second merge, A lives on in D (whole, through B) and in C (its own quarter, plus half of B's whole).
    later = cat.successor_on(a, d2)
    assert [(u.code, s.kind, s.share) for u, s in later] == [("D", "whole", None), ("C", "part", 0.75)]
    assert [(x.unit.code, x.kind, x.share) for x in cat.lineage(d)] == [
        ("B", "whole", 1.0),
        ("E", "part", None),
        ("A", "whole", 1.0),
    ]
    assert [(x.unit.code, x.kind, x.share) for x in cat.lineage(c)] == [("A", "part", 0.25), ("B", "part", 0.5)]
    assert [u.code for u in cat.structure_on(d2, "g")] == ["C", "D"]
    assert [u.code for u in cat.structure_on(d1, "g")] == ["B", "C", "E"]
    assert cat.unit("A", on=d2).code == "A"


# --- the generated file is what the script makes ---------------------------------------------------------


def _run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


def test_regenerating_reproduces_both_shipped_files(tmp_path: Path) -> None:
    out_2024, out_2025 = tmp_path / "p2024.yaml", tmp_path / "p2025.yaml"
    res = _run_script("--output", str(out_2024), "--output-2025", str(out_2025))
    assert res.returncode == 0, res.stderr
    assert out_2024.read_bytes() == (UNITS_DIR / "provinces_2024.yaml").read_bytes()
    assert out_2025.read_bytes() == (UNITS_DIR / "provinces_2025.yaml").read_bytes()


def test_check_notices_a_hand_edit_of_the_2025_file(tmp_path: Path) -> None:
    edited = tmp_path / "provinces_2025.yaml"
    text = (UNITS_DIR / "provinces_2025.yaml").read_text(encoding="utf-8")
    assert "GENERATED by tools/build_units.py from vietnamadminunits" in text.split("units:")[0]
    edited.write_text(text.replace("grid: [0, 3]", "grid: [0, 5]", 1), encoding="utf-8")
    res = _run_script("--check", "--output-2025", str(edited))
    assert res.returncode == 1 and "provinces_2025.yaml is out of date" in res.stderr
