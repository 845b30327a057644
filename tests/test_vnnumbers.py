"""Vietnamese number phrases in prose (chiso.ingest.vnnumbers) and Vietnamese number formatting (chiso.i18n),
edge cases included, and the round trip: what chiso prints, it reads back within the printed precision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiso.i18n import fmt_compact, fmt_number, fmt_value, round_half_up
from chiso.ingest.vnnumbers import NumberKind, find_numbers, parse_decimal, parse_number_phrase

# --- digits -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("1.267.427", Decimal("1267427")),
        ("1.500", Decimal("1500")),  # prose: a dot and three digits group thousands
        ("5.117", Decimal("5117")),
        ("45,8", Decimal("45.8")),
        ("87,08", Decimal("87.08")),
        ("02", Decimal("2")),
        ("0", Decimal("0")),
        ("1.267,5", Decimal("1267.5")),
        ("4.0", Decimal("4.0")),  # not three digits after the dot: a decimal point
        ("1,267", Decimal("1.267")),  # a comma is always the decimal mark in prose
    ],
)
def test_parse_decimal(token: str, value: Decimal) -> None:
    assert parse_decimal(token) == value


@pytest.mark.parametrize("token", ["", "abc", "1.2.3", "1,2,3", "1.2345.678", "12a", "-"])
def test_parse_decimal_refuses(token: str) -> None:
    with pytest.raises(ValueError, match="not a Vietnamese number"):
        parse_decimal(token)


# --- phrases: every form of the issue -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "kind", "qualifier", "scale", "currency"),
    [
        ("2,8 triệu", 2_800_000, NumberKind.PLAIN, None, "triệu", None),
        ("12,9 nghìn tỷ đồng", 12_900_000_000_000, NumberKind.PLAIN, None, "nghìn tỷ", "đồng"),
        ("45,8%", 45.8, NumberKind.PERCENT, None, None, None),
        ("87,08%", 87.08, NumberKind.PERCENT, None, None, None),
        ("98,23 %", 98.23, NumberKind.PERCENT, None, None, None),
        ("1.267.427", 1_267_427, NumberKind.PLAIN, None, None, None),
        ("02", 2, NumberKind.PLAIN, None, None, None),
        ("hơn 90", 90, NumberKind.PLAIN, "hơn", None, None),
        ("gần 14,6 triệu", 14_600_000, NumberKind.PLAIN, "gần", "triệu", None),
        ("khoảng 2,8 triệu", 2_800_000, NumberKind.PLAIN, "khoảng", "triệu", None),
        ("trên 1 triệu", 1_000_000, NumberKind.PLAIN, "trên", "triệu", None),
        ("ước đạt 18,3%", 18.3, NumberKind.PERCENT, "ước đạt", None, None),
        ("ước tính 18,3%", 18.3, NumberKind.PERCENT, "ước tính", None, None),
        ("ước 40 tỷ USD", 40_000_000_000, NumberKind.PLAIN, "ước", "tỷ", "USD"),
        ("xấp xỉ 50%", 50, NumberKind.PERCENT, "xấp xỉ", None, None),
        ("gần như 100%", 100, NumberKind.PERCENT, "gần như", None, None),
        ("đạt gần 36,3 tỷ USD", 36_300_000_000, NumberKind.PLAIN, "gần", "tỷ", "USD"),  # "đạt gần" means "gần"
        ("lên tới hơn 800 tỷ đồng", 800_000_000_000, NumberKind.PLAIN, "hơn", "tỷ", "đồng"),
        ("vượt 20%", 20, NumberKind.PERCENT, "vượt", None, None),
        ("118 tỉ USD", 118_000_000_000, NumberKind.PLAIN, None, "tỉ", "USD"),  # tỉ: a spelling of tỷ
        ("5.397 tỷ đồng", 5_397_000_000_000, NumberKind.PLAIN, None, "tỷ", "đồng"),
        ("3 ngàn", 3_000, NumberKind.PLAIN, None, "ngàn", None),
        ("2,5 lần", 2.5, NumberKind.MULTIPLE, None, None, None),
        ("tăng 15 bậc", 15, NumberKind.RANK_CHANGE, None, None, None),
        ("25/25", 25, NumberKind.FRACTION, None, None, None),
    ],
)
def test_phrase_forms(
    text: str, value: float, kind: NumberKind, qualifier: str | None, scale: str | None, currency: str | None
) -> None:
    p = parse_number_phrase(text)
    assert p.value == pytest.approx(value, rel=1e-12)
    assert (p.kind, p.qualifier, p.scale, p.currency) == (kind, qualifier, scale, currency)
    assert p.approximate is (qualifier is not None)
    assert text.endswith(p.text)


def test_scaled_values_are_exact() -> None:
    # Decimal arithmetic: 2,8 × 10⁶ is 2 800 000 exactly, not 2 800 000.0000000005
    assert parse_number_phrase("2,8 triệu").value == 2_800_000.0
    assert parse_number_phrase("93,7 triệu").value == 93_700_000.0
    assert parse_number_phrase("1,3 tỷ").value == 1_300_000_000.0


@pytest.mark.parametrize(
    ("text", "n", "d", "percent"),
    [("25/25", 25, 25, 100.0), ("56/63", 56, 63, 88.89), ("21/22", 21, 22, 95.45), ("15/63", 15, 63, 23.81)],
)
def test_fractions(text: str, n: int, d: int, percent: float) -> None:
    p = parse_number_phrase(text)
    assert (p.kind, p.numerator, p.denominator, p.percent_of) == (NumberKind.FRACTION, n, d, percent)


def test_percent_of_is_only_for_fractions() -> None:
    assert parse_number_phrase("45,8%").percent_of is None


@pytest.mark.parametrize(
    ("text", "change", "signed"),
    [("tăng 17,7%", "tăng", 17.7), ("giảm 32,6%", "giảm", -32.6), ("tăng thêm 01", None, 1), ("đạt 45%", None, 45)],
)
def test_change_words(text: str, change: str | None, signed: float) -> None:
    p = parse_number_phrase(text)
    assert (p.change, p.signed) == (change, signed)


@pytest.mark.parametrize(
    ("text", "ordinal"),
    [("thứ 71", True), ("vị trí 17/194", True), ("xếp hạng 5/11", True), ("đứng thứ 04/38", True), ("đạt 71", False)],
)
def test_ordinals(text: str, ordinal: bool) -> None:
    assert parse_number_phrase(text).ordinal is ordinal


def test_per_year_and_ranges() -> None:
    p = parse_number_phrase("vượt 20%/năm")
    assert (p.kind, p.per, p.value, p.qualifier) == (NumberKind.PERCENT, "năm", 20, "vượt")
    r = parse_number_phrase("5 - 10 triệu")
    assert (r.kind, r.value, r.upper) == (NumberKind.RANGE, 5_000_000, 10_000_000)
    r = parse_number_phrase("2000-3000")
    assert (r.kind, r.value, r.upper) == (NumberKind.RANGE, 2000, 3000)


# --- what is not a figure -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Nghị định số 82/2024/NĐ-CP",
        "Quyết định số 1437/QĐ-TTg",
        "Nghị quyết số 18-NQ/TW",
        "Đề án 06/CP",
        "Đề án 06",
        "Hà Nội, Ngày 25/01/2025",
        "Chiều 6/2, Thủ tướng chủ trì",
        "tháng 4/2024",
        "Quý I/2024",
        "năm 2024",
        "giai đoạn 2021-2030",
        "date 2024-12",
        "9 tháng năm 2024",
        "5 ngày làm việc",
        "sóng 5G và 4G",
        "tuyến 20Tbps",
        "top 10 doanh nghiệp",
        "nhóm 10 quốc gia",
        "lớp 1 đến lớp 4",
        "phiên họp lần thứ 10",
        "Ngày đăng: 07/01/2025   11:05",
    ],
)
def test_not_figures(text: str) -> None:
    assert find_numbers(text) == []


def test_find_numbers_in_a_sentence_with_spans() -> None:
    text = "Đến nay, đã có gần 14,6 triệu tài khoản và hơn 46,2 triệu hồ sơ; 41/53 dịch vụ, tăng 05 dịch vụ."
    found = find_numbers(text)
    assert [p.text for p in found] == ["gần 14,6 triệu", "hơn 46,2 triệu", "41/53", "05"]
    for p in found:
        assert text[p.start : p.end] == p.text
        assert text[p.number_start].isdigit()
    assert found[0].number_start == text.index("14,6")
    assert found[3].change == "tăng"


def test_a_sentence_end_is_not_a_decimal() -> None:
    assert [p.value for p in find_numbers("tổng số là 3.418. Có 2.365 hệ thống")] == [3418, 2365]


@pytest.mark.parametrize("text", ["", "không có số", "45,8% và 12%", "ngày 10/9/2024", "hơn 90 cơ quan"])
def test_parse_number_phrase_wants_exactly_one_phrase(text: str) -> None:
    with pytest.raises(ValueError, match="not one Vietnamese number phrase"):
        parse_number_phrase(text)


# --- formatting edge cases (chiso.i18n) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "decimals", "vi", "en"),
    [
        (0, 2, "0", "0"),
        (0.0049, 2, "0", "0"),
        (2.675, 2, "2,68", "2.68"),  # half up on the written decimal, not on the binary float
        (1.005, 2, "1,01", "1.01"),
        (45.85, 1, "45,9", "45.9"),
        (-0.05, 1, "-0,1", "-0.1"),  # half up goes away from zero
        (-0.5, 0, "-1", "-1"),
        (999.994, 2, "999,99", "999.99"),
        (999.995, 2, "1.000", "1,000"),
        (999.999, 2, "1.000", "1,000"),
        (999_999.5, 0, "1.000.000", "1,000,000"),
        (1234.5, 2, "1.234,5", "1,234.5"),
    ],
)
def test_fmt_number_edges(x: float, decimals: int, vi: str, en: str) -> None:
    assert (fmt_number(x, decimals, "vi"), fmt_number(x, decimals, "en")) == (vi, en)


@pytest.mark.parametrize("x", [-0.0, -0.004, -0.4])
def test_fmt_number_negative_zero(x: float) -> None:
    assert fmt_number(x, 0 if x == -0.4 else 2, "vi") == "0"


@pytest.mark.parametrize(
    ("x", "vi", "en"),
    [
        (0, "0", "0"),
        (9_999, "9.999", "9,999"),  # below ten thousand: in full
        (10_000, "10 nghìn", "10 thousand"),
        (999_994, "999,99 nghìn", "999.99 thousand"),
        (2_800_000, "2,8 triệu", "2.8 million"),
        (-2_800_000, "-2,8 triệu", "-2.8 million"),
        (12.9e12, "12,9 nghìn tỷ", "12.9 trillion"),
        (5e15, "5.000 nghìn tỷ", "5,000 trillion"),  # no larger word: thousands of trillions
    ],
)
def test_fmt_compact_edges(x: float, vi: str, en: str) -> None:
    assert (fmt_compact(x, "vi"), fmt_compact(x, "en")) == (vi, en)


@pytest.mark.parametrize(("x", "vi"), [(999_999, "1 triệu"), (999_999_999, "1 tỷ")])
def test_fmt_compact_scale_boundary(x: float, vi: str) -> None:
    assert fmt_compact(x, "vi") == vi


@pytest.mark.parametrize(
    ("x", "unit", "kind", "vi", "en"),
    [
        (2_800_000, "giao dịch", None, "2,8 triệu giao dịch", "2.8 million transactions"),
        (12_900_000_000_000, "đồng", None, "12,9 nghìn tỷ đồng", "12.9 trillion dong"),
        (999_999, "lượt", None, "999.999 lượt", "999,999 times"),
        (1_000_000, "lượt", None, "1 triệu lượt", "1 million times"),
        (71, "bậc", "rank", "thứ 71", "#71"),
        (0, "%", None, "0%", "0%"),
        (-32.6, "%", None, "-32,6%", "-32.6%"),
    ],
)
def test_fmt_value_edges(x: float, unit: str, kind: str | None, vi: str, en: str) -> None:
    assert (fmt_value(x, unit, 2, "vi", kind=kind), fmt_value(x, unit, 2, "en", kind=kind)) == (vi, en)


# --- round trip: parse(format(x)) ----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=1e14, allow_nan=False, allow_infinity=False), st.integers(0, 3))
def test_round_trip_fmt_number(x: float, decimals: int) -> None:
    printed = fmt_number(x, decimals, "vi")
    assert parse_number_phrase(printed).value == pytest.approx(float(round_half_up(x, decimals)), rel=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=1e15, allow_nan=False, allow_infinity=False))
def test_round_trip_fmt_compact(x: float) -> None:
    printed = fmt_compact(x, "vi")
    back = parse_number_phrase(printed).value
    # the printed precision: two places of the scale word, or of the number itself below ten thousand
    scale = next((s for s in (10**12, 10**9, 10**6, 10**3) if x >= s and (s > 10**3 or x >= 10_000)), 1)
    assert abs(back - x) <= 0.005 * scale + 1e-9 * x


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=100, allow_nan=False), st.integers(0, 2))
def test_round_trip_percent(x: float, decimals: int) -> None:
    p = parse_number_phrase(fmt_value(x, "%", decimals, "vi"))
    assert p.kind is NumberKind.PERCENT
    assert p.value == pytest.approx(float(round_half_up(x, decimals)), rel=1e-12)
