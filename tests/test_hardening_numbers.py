"""Issue 11, numbers and periods coming in: every indicator has a plausible range (its kind's default, or its
definition's ``plausible``), non-finite numbers are refused with their own message, counts are whole, periods
lie within the framework's years; and an import, fuzzed, lands whole or is refused with reasons."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from chiso import app as core
from chiso.catalogue import Catalogue
from chiso.catalogue.models import MAX_MAGNITUDE, Indicator, SourceDocument, plausible_number
from chiso.catalogue.periods import YEARS, Period, check_year, within_years
from chiso.errors import ChisoError, UnknownPeriodError, ValidationError
from chiso.i18n import fmt_number, fmt_value
from chiso.ingest.extract import Proposal, Where, extract
from chiso.ingest.files import read_value_rows
from chiso.ingest.intake import Figure, check_figure, check_proposals, check_rows
from chiso.ingest.vnnumbers import find_numbers

COUNT, STOCK, RATE, RANK = "portal_accounts", "community_dx_teams", "dossier_full_online_rate", "egdi_rank"
MONEY = "portal_payment_value_vnd"
GROWTH = "ndxp_transactions_growth_rate"
INDICATOR = TypeAdapter(Indicator)


def reasons(catalogue: Catalogue, **fields: object) -> list[tuple[str | None, str]]:
    fig = Figure(**{"code": COUNT, "unit": "VN", "period": "2024", **fields})  # type: ignore[arg-type]
    return [(p.field, p.reason) for p in check_figure(catalogue, fig, row=1).problems]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# --- a plausible range, as data ------------------------------------------------------------------------------


def test_each_kind_has_a_plausible_range_and_a_definition_may_widen_it(catalogue: Catalogue) -> None:
    assert catalogue.indicator(COUNT).bounds == (0.0, 1e15)
    assert catalogue.indicator(STOCK).bounds == (0.0, 1e15)
    assert catalogue.indicator(RATE).bounds == (0.0, 100.0)
    assert catalogue.indicator(GROWTH).bounds == (-100.0, 1e6)  # a growth rate has no upper range
    assert catalogue.indicator(RANK).bounds == (1.0, 193.0)  # of_total
    assert catalogue.indicator(MONEY).bounds == (0.0, 1e18)  # plausible: [null, 1.0e+18] in its YAML
    for ind in catalogue.indicators.values():
        lo, hi = ind.bounds
        assert -MAX_MAGNITUDE <= lo <= hi <= MAX_MAGNITUDE, ind.code


def test_a_rank_without_of_total_is_at_most_1000() -> None:
    ind = INDICATOR.validate_python({"code": "r", "pillar": "rankings", "kind": "rank", "name": {"vi": "r", "en": "r"}})
    assert ind.bounds == (1.0, 1000.0)


@pytest.mark.parametrize(
    "plausible",
    [[10, 1], [0, float("inf")], [float("nan"), 5], [0, 1e19], [None, -1], [0, 5, "range", [10, None]]],
)
def test_a_plausible_range_must_be_finite_ordered_and_within_the_maximum(plausible: list[object]) -> None:
    entry: dict[str, object] = {"code": "c", "pillar": "data", "kind": "count", "name": {"vi": "c", "en": "c"}}
    entry["plausible"] = plausible[:2]
    if len(plausible) > 2:  # a range beyond the plausible one
        entry[str(plausible[2])] = plausible[3]
    with pytest.raises(PydanticValidationError, match="plausible"):
        INDICATOR.validate_python(entry)


@pytest.mark.parametrize(
    ("code", "value", "reason"),
    [
        (COUNT, "1e26", "above_plausible"),
        (COUNT, "1000000000000001", "above_plausible"),
        (COUNT, "1000000000000000", None),
        (STOCK, 1e30, "above_plausible"),
        (GROWTH, "2000000", "above_plausible"),
        (GROWTH, "-101", "below_range"),
        (RANK, "194", "above_range"),  # its range is 1–193
        ("app_downloads_rank", "1001", "above_plausible"),  # no range above, no of_total: at most 1000
        (MONEY, "2e15", None),
        (MONEY, "2e18", "above_plausible"),
    ],
)
def test_a_value_beyond_its_plausible_range_is_refused_naming_the_bound(
    catalogue: Catalogue, code: str, value: object, reason: str | None
) -> None:
    out = check_figure(catalogue, Figure(code=code, unit="P48", period="2024", value=value), row=3)  # type: ignore[arg-type]
    assert [(p.field, p.reason) for p in out.problems] == ([("value", reason)] if reason else [])
    if reason == "above_plausible":
        hi = catalogue.indicator(code).plausible_range[1]
        text = out.problems[0].render("en")
        assert "'value'" in text and code in text and (repr(int(hi)) if hi < 1e18 else repr(hi)) in text
        assert out.value is None


def test_a_target_obeys_the_plausible_range_too(catalogue: Catalogue) -> None:
    assert reasons(catalogue, target="1e20") == [("target", "above_plausible")]


def test_parts_beyond_any_plausible_size_are_refused(catalogue: Catalogue) -> None:
    fig = Figure(code=RATE, unit="P48", period="2024", numerator="1e300", denominator="1e300")
    assert [(p.field, p.reason) for p in check_figure(catalogue, fig).problems] == [
        ("numerator", "part_implausible"),
        ("denominator", "part_implausible"),
    ]


def test_an_extracted_figure_obeys_the_plausible_range(catalogue: Catalogue) -> None:
    doc = SourceDocument(id="bc", title="Báo cáo")
    batch = check_proposals(catalogue, doc, [Proposal(COUNT, "P48", "2024", 1e26, Where(1, 0, 4, "…"))])
    assert [(p.field, p.reason) for p in batch.problems] == [("value", "above_plausible")]
    assert batch.values == []


def test_plausible_number_for_other_paths() -> None:
    assert plausible_number(1e15) and plausible_number(-MAX_MAGNITUDE)
    assert not plausible_number(1e26) and not plausible_number(math.inf) and not plausible_number(math.nan)
    assert plausible_number(50, bound=100) and not plausible_number(101, bound=100)


# --- non-finite numbers: refused with their own message ---------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["1e400", "-1E999", "inf", "NaN", "1" + "0" * 400, math.inf, -math.inf, math.nan, 10**400]
)
def test_non_finite_numbers_are_refused_with_their_own_message(catalogue: Catalogue, value: object) -> None:
    assert reasons(catalogue, value=value) == [("value", "not_finite")]
    text = check_figure(catalogue, Figure(code=COUNT, unit="P48", period="2024", value=value)).problems[0]  # type: ignore[arg-type]
    assert "finite" in text.render("en") and "hữu hạn" in text.render("vi")


def test_chiso_import_refuses_1e400_and_writes_nothing(workspace: core.Workspace, tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "v.csv",
        [["code", "unit", "period", "value"], [COUNT, "P48", "2024", "1e400"], [COUNT, "P48", "2024-05", "1e26"]],
    )
    with pytest.raises(ValidationError) as info:
        core.import_file(workspace, f, actor="test")
    assert [(p.row, p.field, p.reason) for p in info.value.problems] == [
        (2, "value", "not_finite"),
        (3, "value", "above_plausible"),
    ]
    assert core.select_values(workspace, status="all") == []


# --- counts are whole; periods within the framework's years ------------------------------------------------------


def test_a_count_takes_no_fraction(catalogue: Catalogue) -> None:
    assert reasons(catalogue, value=2.5) == [("value", "not_whole")]
    assert reasons(catalogue, value="2,5") == [("value", "not_whole")]


@pytest.mark.parametrize(
    ("period", "ok"),
    [
        ("1900Q1", False),
        ("1999", False),
        ("1999-12..2000-02", False),
        ("2101-01", False),
        ("9999-12-31", False),
        ("2000", True),
        ("2024Q3", True),
        ("2100-12", True),
    ],
)
def test_a_period_outside_the_framework_years_is_refused(catalogue: Catalogue, period: str, ok: bool) -> None:
    got = reasons(catalogue, period=period, value="5")
    assert got == ([] if ok else [("period", "period_out_of_years")])
    p = Period.parse(period)  # stored data still parses, whatever its years
    assert within_years(p) is ok
    if ok:
        assert check_year(p) == p
    else:
        with pytest.raises(UnknownPeriodError, match=f"{YEARS[0]}–{YEARS[1]}"):
            check_year(p)


# --- a fuzzed import lands whole or is refused with reasons --------------------------------------------------------

_CODES = st.sampled_from([COUNT, STOCK, RATE, RANK, MONEY, GROWTH, "nope", ""])
_UNITS = st.sampled_from(["P48", "VN", "BTTTT", "Đà Nẵng", "P99", ""])
_PERIODS = st.sampled_from(["2024", "2024Q3", "2024-04", "2024-W15", "1900Q1", "2101", "2024Q5", "x", ""])
_NUMBERS = st.one_of(
    st.sampled_from(["", "1e400", "nan", "-inf", "1.234", "1,5", "2.800.000", "45,8%", "1e26", "-3", "0", "abc"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.text(alphabet="0123456789.,-e% ", max_size=12),
)
_ROWS = st.lists(st.tuples(_CODES, _UNITS, _PERIODS, _NUMBERS, _NUMBERS, _NUMBERS, _NUMBERS), min_size=1, max_size=5)


def test_fuzz_an_import_lands_whole_or_is_refused(sqlite_workspace: core.Workspace, tmp_path: Path) -> None:
    ws = sqlite_workspace
    header = ["code", "unit", "period", "value", "numerator", "denominator", "target"]

    @settings(
        max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
    )
    @given(_ROWS, st.booleans())
    @example([(COUNT, "P48", "2024", "2.800.000", "", "", "")], False)  # lands
    @example([(RATE, "P48", "2024Q3", "", "612", "1000", "70"), (COUNT, "P48", "2024", "1e400", "", "", "")], True)
    @example([(COUNT, "P48", "1900Q1", "1e26", "", "", "")], False)  # refused
    def one(rows: list[tuple[str, ...]], keep_good: bool) -> None:
        f = write_csv(tmp_path / "fuzz.csv", [header, *[list(r) for r in rows]])
        before = {(v.indicator, v.unit, v.period): v.value for v in core.select_values(ws, status="all")}
        try:
            result = core.import_file(ws, f, actor="fuzz", keep_good=keep_good, rejects=tmp_path / "rejects.csv")
        except ValidationError as exc:  # refused: every problem has a reason, and nothing was written
            assert exc.problems and all(p.reason for p in exc.problems)
            after = {(v.indicator, v.unit, v.period): v.value for v in core.select_values(ws, status="all")}
            assert after == before
            seen["refused"] += 1
            return
        except ChisoError:  # chiso's own refusal of the file as a whole
            seen["file refused"] += 1
            return
        seen["landed"] += 1
        assert all(o.problems for o in result.rejected)
        stored = core.select_values(ws, status="all")
        now = {(v.indicator, v.unit, v.period): v.value for v in stored}
        good = check_rows(ws.catalogue, read_value_rows(f)[1], default_source="fuzz").values
        assert len(good) + len(result.rejected) <= len(rows)
        for g in good:  # every good row landed whole
            assert now[(g.indicator, g.unit, g.period)] == g.value
        for v in stored:  # whatever landed is finite, plausible and formats in both languages
            assert v.value is None or plausible_number(v.value)
            ind = ws.catalogue.indicator(v.indicator)
            if v.value is not None:
                lo, hi = ind.bounds
                assert lo <= v.value <= hi
                for lang in ("vi", "en"):
                    assert fmt_number(v.value, ind.decimals, lang)
                    assert fmt_value(v.value, ind.unit, ind.decimals, lang, ind.kind)

    seen: Counter[str] = Counter()
    one()
    assert seen["landed"] and seen["refused"], seen


# --- figures read back from a report: huge numbers never raise, never pass ---------------------------------------


def test_a_huge_fraction_in_prose_does_not_raise() -> None:
    phrase = find_numbers("đạt 9999999999999999999999999999990/045,8 hồ sơ")[0]
    assert phrase.percent_of == pytest.approx(100 * 9999999999999999999999999999990 / 45.8)


_PROSE = st.sampled_from(
    [
        "Số tài khoản trên Cổng Dịch vụ công quốc gia đạt ",
        "Tỷ lệ hồ sơ trực tuyến toàn trình đạt ",
        "Đà Nẵng",
        " năm 2024 ",
        "quý 1/1900",
        " nghìn tỷ",
        " triệu tỷ",
        "%",
        " xếp hạng thứ ",
        "9" * 30,
        "1.000.000.000.000.000.000.000.000.000",
        "99999999999999999999999999,5",
        ". ",
        "\n",
        "45,8",
        "tăng 400 bậc",
        "5/0",
    ]
)


@settings(max_examples=50, deadline=None)
@given(st.lists(_PROSE, max_size=12).map("".join))
def test_fuzz_extracted_figures_are_checked_without_raising(catalogue: Catalogue, text: str) -> None:
    batch = check_proposals(
        catalogue, SourceDocument(id="bc", title="bc"), extract(text, catalogue, default_period="2024")
    )
    for v in batch.values:
        lo, hi = catalogue.indicator(v.indicator).bounds
        assert v.value is not None and lo <= v.value <= hi
