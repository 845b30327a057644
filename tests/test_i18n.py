"""Vietnamese number formatting, edge cases included."""

from __future__ import annotations

import pytest

from chiso.i18n import fmt_compact, fmt_number, fmt_value, round_half_up
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
