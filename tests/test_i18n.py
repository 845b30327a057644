"""Vietnamese number formatting, edge cases included."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiso.i18n import NOT_FINITE, fmt_compact, fmt_number, fmt_value, round_half_up, shown_value
from chiso.ingest.validate import parse_number


@pytest.mark.parametrize(
    ("x", "decimals", "vi", "en"),
    [
        (45.8, 1, "45,8", "45.8"),
        (45.85, 1, "45,9", "45.9"),  # half up, not Babel's half even
        (0.125, 2, "0,13", "0.13"),
        (2800000, 0, "2.800.000", "2,800,000"),
        (63.0, 2, "63", "63"),
        (-32.6, 1, "-32,6", "-32.6"),
        (1267427, 0, "1.267.427", "1,267,427"),
    ],
)
def test_fmt_number(x: float, decimals: int, vi: str, en: str) -> None:
    assert fmt_number(x, decimals, "vi") == vi
    assert fmt_number(x, decimals, "en") == en


@pytest.mark.parametrize(
    ("x", "vi"),
    [
        (2_800_000, "2,8 triệu"),
        (55_250_000, "55,25 triệu"),
        (12.9e12, "12,9 nghìn tỷ"),
        (942e6, "942 triệu"),
        (2.59e9, "2,59 tỷ"),
        (93_524, "93,52 nghìn"),
        (5_000, "5.000"),
    ],
)
def test_fmt_compact(x: float, vi: str) -> None:
    assert fmt_compact(x, "vi") == vi


@pytest.mark.parametrize(
    ("x", "unit", "kind", "vi"),
    [
        (2_800_000, "giao dịch", None, "2,8 triệu giao dịch"),
        (1_267_427, "lượt", None, "1.267.427 lượt"),  # exact figures stay whole, as the reports write them
        (12_900_000_000_000, "đồng", None, "12,9 nghìn tỷ đồng"),
        (45.8, "%", None, "45,8%"),
        (71, "bậc", "rank", "thứ 71"),
        (None, "%", None, "không có số liệu"),
    ],
)
def test_fmt_value(x: float | None, unit: str, kind: str | None, vi: str) -> None:
    assert fmt_value(x, unit, 2, "vi", kind=kind) == vi


@pytest.mark.parametrize(
    ("text", "x"),
    [
        ("63.47", 63.47),
        ("63,47", 63.47),
        ("1.267.427", 1267427),
        ("1,267,427", 1267427),
        ("1.267.427,5", 1267427.5),
        ("1,267,427.5", 1267427.5),
        ("45,8%", 45.8),
        (" 2 800 000 ", 2800000),
        ("2.8e6", 2800000),
        ("-3", -3),
        ("1.267", 1.267),
        ("1,5", 1.5),
        ("1.267,5", 1267.5),
        ("1,267.5", 1267.5),
    ],
)
def test_parse_number(text: str, x: float) -> None:
    assert parse_number(text) == x


@pytest.mark.parametrize("text", ["", "abc", "1,2,3.4.5", "12a", "--3", "1..2"])
def test_parse_number_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


def test_round_half_up() -> None:
    assert str(round_half_up(2.675, 2)) == "2.68"  # float 2.675 is 2.67499… but reads as 2.675


# --- formatting never raises (issue 11: one huge number took the public pages down) ----------------------

_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=300, deadline=None)
@given(_ANY_FLOAT, st.integers(0, 6), st.sampled_from(["vi", "en"]), st.sampled_from([None, "rank", "rate"]))
def test_formatting_never_raises_on_any_float(x: float, decimals: int, lang: str, kind: str | None) -> None:
    for text in (
        fmt_number(x, decimals, lang),
        fmt_compact(x, lang),
        fmt_value(x, "%", decimals, lang, kind),
        fmt_value(x, "hồ sơ", decimals, lang, kind),
    ):
        assert isinstance(text, str) and text
    round_half_up(x, decimals)


@pytest.mark.parametrize(
    ("x", "vi", "en"),
    [
        (1e26, "1×10²⁶", "1×10²⁶"),
        (1.234e300, "1,23×10³⁰⁰", "1.23×10³⁰⁰"),
        (-1e300, "-1×10³⁰⁰", "-1×10³⁰⁰"),
        (9.999e20, "1×10²¹", "1×10²¹"),
        (float("inf"), NOT_FINITE, NOT_FINITE),
        (float("-inf"), NOT_FINITE, NOT_FINITE),
        (float("nan"), NOT_FINITE, NOT_FINITE),
    ],
)
def test_huge_and_non_finite_numbers_read_sanely(x: float, vi: str, en: str) -> None:
    assert fmt_number(x, 2, "vi") == vi
    assert fmt_number(x, 2, "en") == en
    assert fmt_value(x, "hồ sơ", 0, "vi") == (vi if vi == NOT_FINITE else f"{vi} hồ sơ")


def test_round_half_up_is_exact_for_large_numbers() -> None:
    assert round_half_up(1e26, 2) == round_half_up(10**26, 2) == 10**26
    # a float is taken by its shortest text
    assert str(round_half_up(123456789012345678901234567890.0, 0)) == "123456789012345680000000000000"
    assert round_half_up(float("inf"), 2).is_infinite()


def test_units_of_measure_are_said_in_english_and_a_new_one_as_given() -> None:
    from chiso.catalogue import load_catalogue
    from chiso.i18n import fmt_value, measure_name

    assert fmt_value(1256, "giao dịch", 0, "en") == "1,256 transactions"
    assert fmt_value(1256, "giao dịch", 0, "vi") == "1.256 giao dịch"
    assert fmt_value(2_800_000, "hồ sơ", 0, "en") == "2.8 million dossiers"
    assert measure_name("tấm", "en") == "tấm"  # a workspace's own unit, not in the table: as given
    # every unit the shipped indicators are measured in has its English name
    units = {i.unit for i in load_catalogue().indicators.values()} - {"", "%"}
    assert units and all(measure_name(u, "en") != u or u == "USD" for u in units), sorted(
        u for u in units if measure_name(u, "en") == u)


_SCALE_WORDS = {"nghìn tỷ": 10**12, "tỷ": 10**9, "triệu": 10**6, "nghìn": 10**3}


def _read_back(text: str, unit: str) -> float:
    """The number a reader takes from ``fmt_value``'s Vietnamese text ("." groups thousands, "," marks the
    decimals): its digits times its scale word."""
    body = text.removesuffix(unit).strip().removesuffix("%")
    size = 1
    for word, scale in _SCALE_WORDS.items():
        if body.endswith(" " + word):
            body, size = body.removesuffix(" " + word), scale
            break
    return float(body.replace(".", "").replace(",", ".")) * size


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=9e14, allow_nan=False), st.sampled_from(["%", "giao dịch"]),
       st.integers(min_value=0, max_value=2))
def test_shown_value_is_the_number_the_text_shows(x: float, unit: str, decimals: int) -> None:
    text = fmt_value(x, unit, decimals, "vi")
    assert _read_back(text, unit) == pytest.approx(shown_value(x, unit, decimals), rel=1e-12, abs=1e-9), text


def test_a_bound_the_rounding_breaks_becomes_about() -> None:
    from chiso.report.phrasing import qualify

    value = 5_397_000_000_000  # seed 004: "hơn 5.397 tỷ đồng"
    shown = shown_value(value, "đồng", 0)
    text = fmt_value(value, "đồng", 0, "vi")
    assert (text, shown) == ("5,4 nghìn tỷ đồng", 5.4e12)
    assert qualify(text, "hơn", "vi", value=value, shown=shown) == "khoảng 5,4 nghìn tỷ đồng"
    assert qualify(text, "hơn", "en", value=value, shown=shown) == "about 5,4 nghìn tỷ đồng"
    # a bound the rounding keeps stays as said; "gần" is broken by rounding down
    assert qualify("87,08 triệu thẻ", "hơn", "vi", value=87_080_000, shown=87_080_000) == "hơn 87,08 triệu thẻ"
    assert qualify("2,8 triệu", "gần", "vi", value=2_804_000, shown=2_800_000) == "khoảng 2,8 triệu"
    assert qualify("2,8 triệu", "gần", "vi", value=2_796_000, shown=2_800_000) == "gần 2,8 triệu"


def test_the_dashboards_cell_says_the_same_bound_as_the_report() -> None:
    from chiso.catalogue import load_catalogue
    from chiso.catalogue.periods import Period
    from chiso.engine.reading import Cell
    from chiso.web.labels import cell_text

    cat = load_catalogue()
    ind, vn, p = cat.indicators["mobile_money_transaction_value_vnd"], cat.units["VN"], Period.parse("2024Q3")
    rounded_up = Cell(ind, vn, p, 5_397_000_000_000, approximate=True, qualifier="hơn")
    assert cell_text(rounded_up, "vi") == "khoảng 5,4 nghìn tỷ đồng"
    kept = Cell(ind, vn, p, 12_900_000_000_000, approximate=True, qualifier="hơn")
    assert cell_text(kept, "vi") == "hơn 12,9 nghìn tỷ đồng"
