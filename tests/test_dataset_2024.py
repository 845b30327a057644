"""The shipped indicator catalogue and the vn-2024 dataset, checked against the contract and the seeds.

Loads the YAML files with PyYAML, validates every entry with the catalogue models, and checks every
figure against the seed report line it cites (the figure's digits, in Vietnamese number format, must
stand on that line).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from chiso.catalogue.models import Indicator, RankIndicator, SourceDocument, Target
from chiso.catalogue.periods import Period
from paths import CONTRACT, shared

ROOT = Path(__file__).resolve().parents[1]
INDICATORS_DIR = ROOT / "src" / "chiso" / "catalogue" / "data" / "indicators"
UNITS_DIR = ROOT / "src" / "chiso" / "catalogue" / "data" / "units"
DATASET_DIR = ROOT / "src" / "chiso" / "datasets" / "vn-2024"
FRAMEWORK = CONTRACT

PILLARS = (
    "institutions",
    "infrastructure",
    "data",
    "digital_government",
    "digital_economy",
    "digital_society",
    "security",
    "rankings",
)
QUALIFIERS = {"hơn", "gần", "khoảng", "trên", "ước", "ước tính", "ước đạt", "vượt"}

_INDICATOR = TypeAdapter(Indicator)


def _load(path: Path, key: str) -> list[dict[str, Any]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict) and isinstance(doc.get(key), list), f"{path.name}: top-level {key!r} list"
    return doc[key]


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def indicators() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pillar in PILLARS:
        for entry in _load(INDICATORS_DIR / f"{pillar}.yaml", "indicators"):
            ind = _INDICATOR.validate_python(entry)
            assert ind.pillar.value == pillar, f"{ind.code} is in {pillar}.yaml but has pillar {ind.pillar.value}"
            assert ind.code not in out, f"indicator {ind.code} defined twice"
            out[ind.code] = ind
    return out


@pytest.fixture(scope="module")
def sources() -> dict[str, SourceDocument]:
    docs = [SourceDocument.model_validate(e) for e in _load(DATASET_DIR / "sources.yaml", "sources")]
    by_id = {d.id: d for d in docs}
    assert len(by_id) == len(docs), "duplicate source id"
    return by_id


@pytest.fixture(scope="module")
def values() -> list[dict[str, Any]]:
    return _load(DATASET_DIR / "values.yaml", "values")


@pytest.fixture(scope="module")
def targets() -> list[Target]:
    return [Target.model_validate(e) for e in _load(DATASET_DIR / "targets.yaml", "targets")]


@pytest.fixture(scope="module")
def seed_lines(sources: dict[str, SourceDocument]) -> dict[str, list[str]]:
    seeds = shared("seeds", "checks the dataset's figures against the published 2024 reports")
    out = {}
    for sid, doc in sources.items():
        assert doc.file, f"{sid} names no file"
        out[sid] = (seeds / doc.file).read_text(encoding="utf-8").split("\n")
    return out


# --- Vietnamese number spellings -----------------------------------------------------------------


def _group(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def vi_spellings(value: float) -> set[str]:
    """Ways a report may write ``value``: 45.8 → "45,8"; 1267427 → "1.267.427"; 2800000 → "2,8" (triệu);
    12.9e12 → "12,9" (nghìn tỷ); 5 → "5" or "05". The sign is dropped ("giảm 32,6%")."""
    v = abs(value)
    out: set[str] = set()
    for scale in (1, 10**3, 10**6, 10**9, 10**12):
        x = v / scale
        if scale > 1 and x < 1:
            continue
        for places in range(4):
            if abs(round(x, places) - x) < 1e-9 * max(1.0, x):
                whole, frac = f"{round(x, places):.{places}f}".partition(".")[::2]
                w = int(whole)
                tail = f",{frac}" if frac else ""
                out.add(_group(w) + tail)
                out.add(str(w) + tail)
                if w < 10 and not frac:
                    out.add(f"0{w}")
                break
    return out


def figure_on_line(value: float, line: str) -> bool:
    """True when one of the spellings of ``value`` stands on ``line`` as a whole number (not a piece of
    another: "45" is not found in "45,8%", "427" is not found in "1.267.427")."""
    return any(re.search(rf"(?<![\d.,]){re.escape(s)}(?!\d|[.,]\d)", line) for s in vi_spellings(value))


def test_vi_spellings_helper_is_strict() -> None:
    assert "45,8" in vi_spellings(45.8)
    assert "2,8" in vi_spellings(2_800_000)
    assert "1.267.427" in vi_spellings(1_267_427)
    assert "12,9" in vi_spellings(12_900_000_000_000)
    assert figure_on_line(45.8, "đạt 45,8% (mục tiêu 2024: 50%)")
    assert not figure_on_line(45, "đạt 45,8% (mục tiêu 2024: 50%)")
    assert not figure_on_line(45.9, "đạt 45,8% (mục tiêu 2024: 50%)")
    assert not figure_on_line(427, "đạt 1.267.427 lượt")
    assert figure_on_line(5, "có 05 cơ sở dữ liệu")
    assert figure_on_line(-32.6, "giảm 32,6% so với cùng kỳ")


# --- the catalogue ------------------------------------------------------------------------------------


def _framework_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in FRAMEWORK.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in PILLARS and re.fullmatch(r"[a-z][a-z0-9_]*", cells[1]):
            rows.append((cells[0], cells[1], cells[2], cells[3]))
    assert rows, "no indicator rows parsed from framework.md"
    return rows


def test_every_contract_code_is_present(indicators: dict[str, Any]) -> None:
    rows = _framework_rows()
    for pillar, code, _meaning, kind in rows:
        assert code in indicators, f"contract code {code} is missing"
        ind = indicators[code]
        assert ind.contract, f"{code} must have contract: true"
        assert ind.pillar.value == pillar, f"{code} belongs to {pillar}"
        assert ind.kind == kind.replace(" ", "_"), f"{code} must be of kind {kind}"
    contract_codes = {r[1] for r in rows}
    extra = [c for c, i in indicators.items() if i.contract and c not in contract_codes]
    assert not extra, f"contract: true on codes outside framework.md: {extra}"


def test_catalogue_shape(indicators: dict[str, Any]) -> None:
    aliases: Counter[str] = Counter()
    for code, ind in indicators.items():
        assert ind.name.vi and ind.name.en
        assert ind.aliases, f"{code} has no aliases"
        aliases.update(a.casefold() for a in set(ind.aliases))
        if isinstance(ind, RankIndicator) and ind.of_total is not None:
            assert ind.range[1] == ind.of_total, f"{code}: range should end at of_total"
        if ind.kind == "average_per_day" and ind.count_of:
            assert indicators[ind.count_of].kind == "count"
    reused = [a for a, n in aliases.items() if n > 1]
    assert not reused, f"aliases used by more than one indicator: {reused}"
    for pillar in PILLARS:
        assert any(i.key for i in indicators.values() if i.pillar.value == pillar), f"no key indicator in {pillar}"


# --- sources ---------------------------------------------------------------------------------------


def test_sources(sources: dict[str, SourceDocument]) -> None:
    assert sorted(sources) == [f"seed-00{i}" for i in range(5)]
    assert {s: d.authority for s, d in sources.items()} == {
        "seed-000": 2,
        "seed-001": 1,
        "seed-002": 2,
        "seed-003": 1,
        "seed-004": 1,
    }


@pytest.mark.shared
def test_each_source_is_a_published_report(sources: dict[str, SourceDocument]) -> None:
    seeds = shared("seeds", "checks that each source names a published 2024 report")
    for d in sources.values():
        assert d.file and (seeds / d.file).exists(), f"{d.id}: {d.file} not found"


# --- values ----------------------------------------------------------------------------------------


def _unit_codes() -> set[str]:
    codes: set[str] = set()
    for path in sorted(UNITS_DIR.glob("*.yaml")):
        codes.update(str(u["code"]) for u in _load(path, "units"))
    return codes


def test_values_refer_to_known_things(
    values: list[dict[str, Any]], indicators: dict[str, Any], sources: dict[str, SourceDocument]
) -> None:
    units = _unit_codes()
    keys = Counter()
    for e in values:
        label = f"{e.get('indicator')} {e.get('unit')} {e.get('period')} {e.get('source')}"
        assert set(e) <= {
            "indicator",
            "unit",
            "period",
            "value",
            "numerator",
            "denominator",
            "approximate",
            "qualifier",
            "source",
            "paragraph",
            "comment",
        }, label
        assert e["indicator"] in indicators, f"unknown indicator: {label}"
        assert e["source"] in sources, f"unknown source: {label}"
        assert isinstance(e["period"], str), f"period must be a string: {label}"
        Period.parse(e["period"])
        if units:
            assert e["unit"] in units, f"unknown unit: {label}"
        assert isinstance(e["value"], int | float) and not isinstance(e["value"], bool), label
        assert isinstance(e["paragraph"], int), label
        assert bool(e.get("approximate", False)) == ("qualifier" in e), f"approximate needs a qualifier: {label}"
        if "qualifier" in e:
            assert e["qualifier"] in QUALIFIERS, label
        keys[(e["indicator"], e["unit"], e["period"], e["source"])] += 1
    dup = [k for k, n in keys.items() if n > 1]
    assert not dup, f"the same report gives one figure once: {dup}"


def test_values_in_range_and_parts(values: list[dict[str, Any]], indicators: dict[str, Any]) -> None:
    for e in values:
        ind = indicators[e["indicator"]]
        label = f"{e['indicator']} {e['unit']} {e['period']} {e['source']}"
        lo, hi = ind.range
        assert lo is None or e["value"] >= lo, f"below range: {label}"
        assert hi is None or e["value"] <= hi, f"above range: {label}"
        if "numerator" in e or "denominator" in e:
            assert ind.kind == "rate", f"parts only for rates: {label}"
            n, d = e["numerator"], e["denominator"]
            assert 0 <= n <= d and d > 0, f"numerator must not exceed denominator: {label}"
            assert e["value"] == round(100 * n / d, 2), f"value must be 100·n/d rounded to 2 places: {label}"


@pytest.mark.shared
def test_figures_stand_on_the_cited_line(values: list[dict[str, Any]], seed_lines: dict[str, list[str]]) -> None:
    missing = []
    for e in values:
        lines = seed_lines[e["source"]]
        p = e["paragraph"]
        assert 1 <= p <= len(lines) and lines[p - 1].strip(), f"{e['source']} has no line {p}"
        line = lines[p - 1]
        if "numerator" in e:
            ok = figure_on_line(e["numerator"], line) and figure_on_line(e["denominator"], line)
        else:
            ok = figure_on_line(e["value"], line)
        if not ok:
            missing.append(f"{e['indicator']} {e['unit']} {e['period']} = {e['value']} ({e['source']}:{p})")
    assert not missing, "figures not found on their line:\n" + "\n".join(missing)


@pytest.mark.shared
def test_no_sentences_copied_from_the_seeds(
    values: list[dict[str, Any]], targets: list[Target], seed_lines: dict[str, list[str]]
) -> None:
    corpus = "\n".join("\n".join(lines) for lines in seed_lines.values()).casefold()
    texts = [str(e.get("comment", "")) for e in values] + [t.note or "" for t in targets]
    width = 40
    for text in texts:
        t = text.casefold()
        for i in range(max(0, len(t) - width + 1)):
            assert t[i : i + width] not in corpus, f"copied from a seed: {text!r}"


def _pick(values: list[dict[str, Any]], indicator: str, unit: str, period: str) -> dict[str, float]:
    return {e["source"]: e["value"] for e in _rows(values, indicator, unit, period)}


def _rows(values: list[dict[str, Any]], indicator: str, unit: str, period: str) -> list[dict[str, Any]]:
    return [e for e in values if (e["indicator"], e["unit"], e["period"]) == (indicator, unit, period)]


def test_anchor_figures(values: list[dict[str, Any]]) -> None:
    assert _pick(values, "dossier_full_online_rate", "ministries", "2024") == {"seed-003": 63.47, "seed-000": 62.48}
    assert _pick(values, "dossier_full_online_rate", "VN", "2024") == {"seed-003": 45.8, "seed-000": 45, "seed-002": 45}
    assert _pick(values, "dossier_full_online_rate", "provinces", "2024") == {"seed-003": 18.54}
    ndxp = _rows(values, "ndxp_transactions_per_day", "VN", "2024-04")
    assert len(ndxp) == 1 and ndxp[0]["value"] == 2_800_000
    assert ndxp[0]["approximate"] is True and ndxp[0]["qualifier"] == "khoảng"
    chip = [e for e in values if e["indicator"] == "chip_id_cards" and e["unit"] == "VN" and e.get("approximate")]
    assert chip and all(e["qualifier"] == "hơn" for e in chip)
    assert _pick(values, "procedures_full_online_rate", "P48", "2024-09") == {"seed-004": 95.6}
    assert _pick(values, "online_fee_policy_rate", "provinces", "2024-04") == {"seed-001": 88.89}


def test_every_contract_indicator_with_a_seed_figure_has_values(values: list[dict[str, Any]]) -> None:
    have = {e["indicator"] for e in values}
    for code in (
        "dossier_full_online_rate",
        "dossier_online_submission_rate",
        "procedures_online_rate",
        "procedures_full_online_rate",
        "dossier_digitisation_rate",
        "e_result_rate",
        "digitised_data_reuse_rate",
        "portal_services",
        "portal_services_share",
        "portal_status_records",
        "portal_accounts",
        "portal_dossiers",
        "portal_payments",
        "portal_payment_value_vnd",
        "ndxp_connection_points",
        "ndxp_agencies",
        "ndxp_transactions",
        "ndxp_transactions_per_day",
        "open_data_rate",
        "fiber_household_rate",
        "coverage_5g_population_rate",
        "coverage_5g_capital_rate",
        "chip_id_cards",
        "vneid_accounts_activated",
        "digital_signature_adult_rate",
        "epayment_account_adult_rate",
        "community_dx_teams",
        "community_dx_team_members",
        "ehealth_books",
        "digital_economy_gdp_share",
        "mobile_money_customers",
        "is_security_approved",
        "is_security_approved_rate",
        "cyber_attack_incidents",
        "egdi_rank",
        "gci_rank",
        "gci_score",
    ):
        assert code in have, f"no value for {code}"


# --- targets ---------------------------------------------------------------------------------------


@pytest.mark.shared
def test_targets(
    targets: list[Target],
    indicators: dict[str, Any],
    sources: dict[str, SourceDocument],
    seed_lines: dict[str, list[str]],
) -> None:
    units = _unit_codes()
    for t in targets:
        assert t.indicator in indicators, t
        assert t.source in sources, t
        Period.parse(t.period)
        if units:
            assert t.unit in units, t
        assert t.paragraph is not None
        assert figure_on_line(t.value, seed_lines[t.source][t.paragraph - 1]), f"target not on its line: {t}"
    got = {(t.indicator, t.unit, t.period): t.value for t in targets}
    for unit, v24, v25 in (("VN", 50, 80), ("ministries", 70, 85), ("provinces", 30, 70)):
        assert got[("dossier_full_online_rate", unit, "2024")] == v24
        assert got[("dossier_full_online_rate", unit, "2025")] == v25
    assert got[("digital_economy_gdp_share", "VN", "2025")] == 20.5
    assert got[("digital_signature_adult_rate", "VN", "2025")] == 50
    assert got[("vneid_accounts_activated", "VN", "2024")] == 40_000_000
