"""The catalogue: shipped definitions, name resolution, and definitions refused with file, entry and reason."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from chiso.catalogue import Catalogue, Period, load_catalogue
from chiso.catalogue.models import Indicator
from chiso.errors import DefinitionError, UnknownIndicatorError, UnknownUnitError
from paths import CONTRACT, shared


def contract_codes(path: Path = CONTRACT) -> dict[str, str]:
    rows = re.findall(r"^\| (\w+) \| (\w+) \| .* \| ([a-z ]+) \|$", path.read_text(encoding="utf-8"), re.M)
    return {code: kind.strip().replace(" ", "_") for pillar, code, kind in rows if pillar != "pillar"}


def test_every_contract_code_is_shipped_with_its_kind(catalogue: Catalogue) -> None:
    codes = contract_codes()
    assert len(codes) >= 39
    for code, kind in codes.items():
        ind = catalogue.indicator(code)
        assert ind.kind == kind, code
        assert ind.contract, code


@pytest.mark.shared
def test_the_contract_in_docs_is_the_teams() -> None:
    """docs/framework.md states the same codes and kinds as the team's framework, when it is beside the clone."""
    theirs = contract_codes(shared("framework.md", "compares docs/framework.md with the team's framework"))
    assert contract_codes() == theirs


def test_units_of_2024(catalogue: Catalogue) -> None:
    assert len(catalogue.members("ministries", Period.parse("2024"))) == 22
    assert len(catalogue.members("provinces", Period.parse("2024"))) == 63
    assert catalogue.nation.code == "VN"
    assert [g.code for g in catalogue.components(catalogue.nation)] == ["ministries", "provinces"]


@pytest.mark.parametrize(
    ("ref", "code"),
    [
        ("Đà Nẵng", "P48"),
        ("da nang", "P48"),
        ("ĐÀ NẴNG", "P48"),
        ("Da-Nang", "P48"),
        ("P48", "P48"),
        ("Cà Mau", "P96"),
        ("ca mau", "P96"),
        ("Tây Ninh", "P72"),
        ("tay ninh", "P72"),
        ("Tỉnh Cà Mau", "P96"),
        ("Thành phố Hồ Chí Minh", "P79"),
        ("TP.HCM", "P79"),
        ("Khối bộ", "ministries"),
        ("bộ, ngành", "ministries"),
        ("Khối tỉnh", "provinces"),
        ("địa phương", "provinces"),
        ("toàn quốc", "VN"),
        ("Bộ Công Thương", "BCT"),
        ("Công Thương", "BCT"),
        ("Bộ TT&TT", "BTTTT"),
    ],
)
def test_names_resolve_with_or_without_diacritics(catalogue: Catalogue, ref: str, code: str) -> None:
    # in 2024: Đà Nẵng, Cà Mau, Tây Ninh and TP Hồ Chí Minh share their names with 2025 provinces
    assert catalogue.unit(ref, on=date(2024, 12, 31)).code == code


def test_unknown_names_suggest_the_nearest(catalogue: Catalogue) -> None:
    with pytest.raises(UnknownUnitError) as exc:
        catalogue.unit("Da Nangg")
    assert "P48 (Đà Nẵng)" in str(exc.value)
    with pytest.raises(UnknownIndicatorError) as iexc:
        catalogue.indicator("dossier_full_online_rat")
    assert "dossier_full_online_rate" in str(iexc.value)
    assert "không rõ mã chỉ tiêu" in iexc.value.render("vi")


def write(dir_: Path, sub: str, name: str, text: str) -> Path:
    (dir_ / sub).mkdir(parents=True, exist_ok=True)
    p = dir_ / sub / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """indicators:
  - code: ai_services_rate
    pillar: digital_government
    kind: rate
    name: {vi: Tỷ lệ dịch vụ dùng AI, en: Share of services using AI}
    numerator: {vi: Số dịch vụ dùng AI, en: Services using AI}
    denominator: {vi: Tổng số dịch vụ, en: All services}
"""


def test_a_user_adds_an_indicator_by_adding_a_definition(tmp_path: Path) -> None:
    write(tmp_path, "indicators", "mine.yaml", GOOD)
    cat = load_catalogue([tmp_path])
    ind = cat.indicator("ai_services_rate")
    assert ind.kind == "rate" and ind.range == (0.0, 100.0) and ind.units_rule.value == "ratio"


@pytest.mark.parametrize(
    ("text", "entry", "reason"),
    [
        (
            GOOD.replace("kind: rate", "kind: ratio"),
            "entry 1 (ai_services_rate)",
            "does not match any of the expected tags",
        ),
        (
            GOOD.replace("    numerator: {vi: Số dịch vụ dùng AI, en: Services using AI}\n", ""),
            "entry 1 (ai_services_rate)",
            "numerator: Field required",
        ),
        (
            GOOD.replace("code: ai_services_rate", "code: AI-Services"),
            "entry 1 (AI-Services)",
            "code: String should match",
        ),
        (
            GOOD + "    range: [100, 0]\n",
            "entry 1 (ai_services_rate)",
            "range upper bound 0.0 is below lower bound 100.0",
        ),
        (GOOD + "    colour: red\n", "entry 1 (ai_services_rate)", "colour: Extra inputs are not permitted"),
        (
            GOOD.replace("ai_services_rate", "dossier_full_online_rate"),
            "entry 1 (dossier_full_online_rate)",
            "is already defined in",
        ),
        (
            "indicators:\n  - code: per_day\n    pillar: data\n    kind: average_per_day\n    count_of: nothing\n"
            "    name: {vi: a, en: b}\n",
            "entry 1 (per_day)",
            "count_of 'nothing' is not a defined indicator",
        ),
        ("indicators: {}\n", None, "expected a top-level key 'indicators' holding a list"),
        ("indicators: [\n", None, "not valid YAML"),
    ],
)
def test_a_broken_definition_is_refused_naming_file_entry_and_reason(
    tmp_path: Path, text: str, entry: str | None, reason: str
) -> None:
    path = write(tmp_path, "indicators", "broken.yaml", text)
    with pytest.raises(DefinitionError) as exc:
        load_catalogue([tmp_path])
    assert exc.value.file == str(path)
    assert exc.value.entry == entry
    assert reason in exc.value.reason
    assert str(path) in str(exc.value)


def test_a_unit_in_an_unknown_group_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "units",
        "extra.yaml",
        "units:\n  - {code: X1, type: province, name: Tỉnh X, short: X, groups: [regions]}\n",
    )
    with pytest.raises(DefinitionError) as exc:
        load_catalogue([tmp_path])
    assert exc.value.file == str(path) and exc.value.entry == "entry 1 (X1)"
    assert "group 'regions' is not a defined unit" in exc.value.reason


def test_levels_say_where_an_indicator_exists(catalogue: Catalogue) -> None:
    # round 9: every level by default; the nation only for a national system or an international index
    assert catalogue.indicator("dossier_full_online_rate").levels == ("nation", "ministry", "province")
    for code in ("ecabinet_meetings", "ndxp_transactions", "portal_services", "egdi_rank"):
        assert catalogue.indicator(code).levels == ("nation",), code
    for code in ("dti_ministry", "dti_ministry.awareness", "dti_ministry.digital_government"):
        assert catalogue.indicator(code).levels == ("ministry",), code  # one level: the only home of it
    for code in ("dti_province", "dti_province.awareness", "dti_province.digital_society"):
        assert catalogue.indicator(code).levels == ("province",), code
    reported = {c for ds in catalogue.datasets.values() for c in ds.indicators}
    assert reported and all(catalogue.indicator(c).levels != ("nation",) for c in reported)  # units report these


@pytest.mark.parametrize("levels", [[], ["nation", "nation"], ["region"]])
def test_levels_name_each_level_once(levels: list[str]) -> None:
    entry = {"code": "c", "pillar": "data", "kind": "count", "name": {"vi": "c", "en": "c"}, "levels": levels}
    with pytest.raises(ValidationError, match="levels"):
        TypeAdapter(Indicator).validate_python(entry)
