"""``chiso extract``: reading figures back from published Vietnamese reports.

The round trip is measured on the five seed reports against the vn-2024 dataset (values.yaml, targets.yaml).
A proposal is correct when its (code, unit, period) is a gold value's and its value equals it (relative
tolerance 1e-9, or equal after rounding to two places, the reports' printed precision). Each gold value is
matched once: a second proposal for the same gold value counts as wrong. Recall = gold values found / gold
values; precision = correct proposals / proposals (values only; targets are measured the same way on their own).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from chiso import app as core
from chiso.catalogue import Catalogue
from chiso.cli.extract import parse_selection
from chiso.cli.main import app as cli
from chiso.errors import ImportFileError, ValidationError
from chiso.ingest.extract import Proposal, Where, document_period, extract, html_to_text, read_document
from paths import shared

DATASET = Path(__file__).resolve().parents[1] / "src" / "chiso" / "datasets" / "vn-2024"
runner = CliRunner()

# floors set just under what the extractor achieves (docs/extract.md gives the figures and the misses); only
# unflagged proposals count (what --accept-all takes). Seed 004 names no subject (its title does not say
# "quốc gia"): its 34 national figures are proposed flagged, for a reviewer, no longer guessed as the nation.
FLOORS = {  # seed: (precision, recall)
    "seed-000": (0.97, 0.93),
    "seed-001": (0.97, 0.97),
    "seed-002": (0.97, 0.92),
    "seed-003": (0.97, 0.97),
    "seed-004": (0.97, 0.52),
}
OVERALL_FLOOR = (0.99, 0.79)
TARGET_FLOOR = (0.9, 0.84)


def _yaml(name: str) -> Any:
    return yaml.safe_load((DATASET / name).read_text(encoding="utf-8"))


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9) or round(a, 2) == round(b, 2)


def _score(found: Sequence[tuple[tuple[str, str, str], float]], gold: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """(correct proposals, gold values found), each gold entry matched at most once."""
    used: set[int] = set()
    for key, value in found:
        hit = next(
            (
                i
                for i, g in enumerate(gold)
                if i not in used and (g["indicator"], g["unit"], str(g["period"])) == key and _same(value, g["value"])
            ),
            None,
        )
        if hit is not None:
            used.add(hit)
    return len(used), len(used)


@pytest.fixture(scope="module")
def seeds(catalogue: Catalogue) -> dict[str, list[Proposal]]:
    files = {s["id"]: s["file"] for s in _yaml("sources.yaml")["sources"]}
    folder = shared("seeds", "measures extraction on the published 2024 reports")
    return {sid: extract(read_document(folder / f)[0], catalogue) for sid, f in sorted(files.items())}


def measure(seeds: dict[str, list[Proposal]]) -> dict[str, tuple[int, int, int]]:
    """seed → (correct, proposals, gold) for values."""
    gold = _yaml("values.yaml")["values"]
    out = {}
    for sid, props in seeds.items():
        g = [v for v in gold if v["source"] == sid]
        vals = [(p.key, p.value) for p in props if p.value is not None and not p.flagged]  # what --accept-all takes
        correct, _ = _score(vals, g)
        out[sid] = (correct, len(vals), len(g))
    return out


# --- the round trip -------------------------------------------------------------------------------


@pytest.mark.shared
def test_precision_and_recall_per_seed(seeds: dict[str, list[Proposal]]) -> None:
    for sid, (correct, proposed, gold) in measure(seeds).items():
        p_floor, r_floor = FLOORS[sid]
        assert correct / proposed >= p_floor, f"{sid}: precision {correct}/{proposed}"
        assert correct / gold >= r_floor, f"{sid}: recall {correct}/{gold}"


@pytest.mark.shared
def test_precision_and_recall_overall(seeds: dict[str, list[Proposal]]) -> None:
    m = measure(seeds)
    correct = sum(c for c, _, _ in m.values())
    proposed = sum(p for _, p, _ in m.values())
    gold = sum(g for _, _, g in m.values())
    for sid, (c, p, g) in m.items():  # shown with -s (docs/extract.md)
        print(f"{sid}: precision {c}/{p} = {c / p:.3f}, recall {c}/{g} = {c / g:.3f}")
    print(
        f"overall: precision {correct}/{proposed} = {correct / proposed:.3f}, recall {correct}/{gold} = "
        f"{correct / gold:.3f}"
    )
    assert gold == 183
    assert correct / proposed >= OVERALL_FLOOR[0], f"precision {correct}/{proposed}"
    assert correct / gold >= OVERALL_FLOOR[1], f"recall {correct}/{gold}"


@pytest.mark.shared
def test_targets_against_the_dataset(seeds: dict[str, list[Proposal]]) -> None:
    gold = _yaml("targets.yaml")["targets"]
    found = [(p.key, p.target) for props in seeds.values() for p in props if p.target is not None and not p.flagged]
    correct, _ = _score([(k, v) for k, v in found if v is not None], gold)
    print(f"targets: precision {correct}/{len(found)}, recall {correct}/{len(gold)}")
    assert len(gold) == 13
    assert correct / len(found) >= TARGET_FLOOR[0] and correct / len(gold) >= TARGET_FLOOR[1], (correct, len(found))


@pytest.mark.shared
def test_provenance_points_at_the_figure(seeds: dict[str, list[Proposal]]) -> None:
    files = {s["id"]: s["file"] for s in _yaml("sources.yaml")["sources"]}
    for sid, props in seeds.items():
        lines = read_document(shared("seeds", "checks provenance") / files[sid])[0].split("\n")
        for p in props:
            line = lines[p.where.line - 1]
            assert line[p.where.start : p.where.end] == p.text, (sid, p)
            assert p.text in p.where.snippet or p.where.snippet.endswith("…")


@pytest.mark.shared
def test_a_repeated_figure_is_proposed_once(seeds: dict[str, list[Proposal]]) -> None:
    # seed-001 gives the NDXP figures on lines 1, 2 and 6: one proposal each, at line 1
    per_day = [p for p in seeds["seed-001"] if p.code == "ndxp_transactions_per_day"]
    assert [(p.value, p.where.line, p.qualifier) for p in per_day] == [(2_800_000, 1, "khoảng")]


# --- number forms ---------------------------------------------------------------------------------


def one(text: str, catalogue: Catalogue, **kw: Any) -> Proposal:
    props = extract(text, catalogue, **kw)
    assert len(props) == 1, props
    return props[0]


@pytest.mark.parametrize(
    ("sentence", "code", "value", "qualifier"),
    [
        (
            "Bình quân mỗi ngày có khoảng 2,8 triệu giao dịch qua NDXP.",
            "ndxp_transactions_per_day",
            2_800_000,
            "khoảng",
        ),
        ("Số tiền thanh toán trực tuyến đạt hơn 12,9 nghìn tỷ đồng.", "portal_payment_value_vnd", 12.9e12, "hơn"),
        ("Tỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%.", "dossier_full_online_rate", 45.8, None),
        (
            "Có 87,08% người dân trưởng thành có tài khoản thanh toán điện tử.",
            "epayment_account_adult_rate",
            87.08,
            None,
        ),
        ("Số lượt doanh nghiệp tiếp cận Chương trình đạt 1.267.427 lượt.", "sme_programme_visits", 1_267_427, None),
        ("Thủ tướng đã ban hành 02 Nghị định về chuyển đổi số.", "dx_decrees_issued", 2, None),
        ("Nền tảng đã kết nối với hơn 90 cơ quan, doanh nghiệp kết nối NDXP.", "ndxp_agencies", 90, "hơn"),
        ("Hiện có gần 14,6 triệu tài khoản trên Cổng Dịch vụ công quốc gia.", "portal_accounts", 14_600_000, "gần"),
        ("Việt Nam vươn lên vị trí thứ 71 trong xếp hạng Chính phủ điện tử.", "egdi_rank", 71, None),
    ],
)
def test_number_forms(catalogue: Catalogue, sentence: str, code: str, value: float, qualifier: str | None) -> None:
    p = one(f"Báo cáo năm 2024\n{sentence}", catalogue)
    assert (p.code, p.unit, p.period, p.value, p.qualifier, p.approximate) == (
        code,
        "VN",
        "2024",
        pytest.approx(value),
        qualifier,
        qualifier is not None,
    )


def test_fraction_is_a_rate_with_parts(catalogue: Catalogue) -> None:
    p = one("Báo cáo tháng 4/2024\nĐã hoàn thành cung cấp 25/25 DVC thiết yếu theo Đề án 06.", catalogue)
    assert (p.code, p.value, p.numerator, p.denominator) == ("project06_essential_services_rate", 100, 25, 25)
    p = one("Báo cáo tháng 4/2024\nCó 56/63 địa phương ban hành chính sách hỗ trợ phí, lệ phí.", catalogue)
    assert (p.code, p.unit, p.value, p.numerator, p.denominator) == (
        "online_fee_policy_rate",
        "provinces",
        88.89,
        56,
        63,
    )


def test_comparisons_are_not_values(catalogue: Catalogue) -> None:
    text = (
        "Báo cáo năm 2024\n"
        "Việt Nam xếp thứ 71 trong xếp hạng Chính phủ điện tử, tăng 15 bậc so với năm 2022. "
        "Tỷ lệ hồ sơ trực tuyến toàn trình đạt 45%, tăng 2,5 lần so với năm 2023. "
        "Có hơn 382 triệu hồ sơ trạng thái xử lý, tăng 82,5 triệu so với năm 2023."
    )
    got = {(p.code, p.value) for p in extract(text, catalogue)}
    assert got == {("egdi_rank", 71), ("dossier_full_online_rate", 45), ("portal_status_records", 382_000_000)}


def test_a_change_goes_to_the_growth_rate(catalogue: Catalogue) -> None:
    text = (
        "Báo cáo tháng 4/2024\nTrong Quý I/2024, đã ghi nhận 2.323 cuộc tấn công mạng gây ra sự cố, giảm 32,6% so "
        "với cùng kỳ."
    )
    got = {(p.code, p.period, p.value) for p in extract(text, catalogue)}
    assert got == {("cyber_attack_incidents", "2024Q1", 2323), ("cyber_attack_incidents_growth_rate", "2024Q1", -32.6)}


def test_a_percent_does_not_go_to_a_count(catalogue: Catalogue) -> None:
    # "ước đạt 79,21% kế hoạch năm" follows a count: no rate of that name, so no proposal for it
    text = "Báo cáo quý III năm 2024\nSố lượt doanh nghiệp tiếp cận Chương trình đạt 1.267.427 lượt, ước đạt 79,21%."
    assert [(p.code, p.value) for p in extract(text, catalogue)] == [("sme_programme_visits", 1_267_427)]


def test_rate_out_of_range_is_not_proposed(catalogue: Catalogue) -> None:
    assert extract("Báo cáo năm 2024\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 145%.", catalogue) == []


def test_a_number_that_is_part_of_a_name_is_not_a_figure(catalogue: Catalogue) -> None:
    text = "Báo cáo quý III năm 2024\nCó 57 tỉnh ban hành chính sách giảm tối đa 50% phí, lệ phí."
    assert [(p.code, p.unit, p.value) for p in extract(text, catalogue)] == [
        ("online_fee_reduction_units", "provinces", 57)
    ]


# --- periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "period"),
    [
        ("Kết quả chuyển đổi số quốc gia tháng 4/2024", "2024-04"),
        ("Một số kết quả nổi bật về chuyển đổi số quý III năm 2024", "2024Q3"),
        ("Kết quả Chuyển đổi số quốc gia năm 2024", "2024"),
        ("Kết quả 9 tháng năm 2024", "2024-01..2024-09"),
        ("Hà Nội, Ngày 25/01/2025\n\nKết quả năm 2024", "2024"),  # a dateline is not the period
    ],
)
def test_document_period(catalogue: Catalogue, title: str, period: str) -> None:
    assert str(document_period(title)) == period
    p = one(f"{title}\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%.", catalogue)
    assert p.period == period


@pytest.mark.parametrize(
    ("sentence", "period"),
    [
        ("Đến tháng 9/2024, tỷ lệ hồ sơ trực tuyến toàn trình đạt 55,5%.", "2024-09"),
        ("Trong Quý I/2024, tỷ lệ hồ sơ trực tuyến toàn trình đạt 40%.", "2024Q1"),
        ("Tỷ lệ hồ sơ trực tuyến toàn trình của cả nước đến hết tháng 12/2024 đạt 45,8%.", "2024"),
        ("Tỷ lệ hồ sơ trực tuyến toàn trình 9 tháng năm 2024 đạt 44%.", "2024-01..2024-09"),
        ("Tính đến hết ngày 10/9/2024: Số lượt doanh nghiệp tiếp cận Chương trình đạt 1.267.427 lượt.", "2024-09-10"),
        ("Từ 01/01/2023 đến 15/9/2024, đã tổ chức 10 khóa bồi dưỡng về chuyển đổi số.", "2024-09-15"),
        ("Có hơn 93,7 triệu lượt truy cập bằng VNeID vào cuối tháng 11/2024.", "2024-11"),
        ("Tháng 9/2024, Liên hợp quốc công bố Việt Nam đứng thứ 71 trong xếp hạng Chính phủ điện tử.", "2024"),
    ],
)
def test_periods_from_context(catalogue: Catalogue, sentence: str, period: str) -> None:
    p = one(f"Báo cáo quý III năm 2024\n{sentence}", catalogue)
    assert p.period == period


def test_now_means_the_report_period(catalogue: Catalogue) -> None:
    text = (
        "Báo cáo tháng 4/2024\nTrong Quý I/2024, có 2.323 cuộc tấn công mạng gây ra sự cố. "
        "Hiện có 8,2 triệu khách hàng sử dụng dịch vụ Mobile Money."
    )
    assert {p.code: p.period for p in extract(text, catalogue)} == {
        "cyber_attack_incidents": "2024Q1",
        "mobile_money_customers": "2024-04",
    }


def test_a_date_given_for_an_indicator_holds_for_its_later_figures(catalogue: Catalogue) -> None:
    text = (
        "Báo cáo quý III năm 2024\nĐến tháng 9/2024, DVCTT toàn trình đạt tỷ lệ 55,5%. Một số địa phương triển "
        "khai rất tốt DVCTT toàn trình như Đà Nẵng đạt 95,6%."
    )
    assert {(p.unit, p.period) for p in extract(text, catalogue)} == {("VN", "2024-09"), ("P48", "2024-09")}


def test_comparison_base_is_dated_by_the_comparison(catalogue: Catalogue) -> None:
    text = (
        "Báo cáo năm 2024\nSố hệ thống thông tin được phê duyệt hồ sơ cấp độ là 7.540 hệ thống, đạt 92% "
        "(tăng 27% so với năm 2023 là 65%)."
    )
    got = {(p.code, p.period, p.value) for p in extract(text, catalogue)}
    assert got == {
        ("is_security_approved", "2024", 7540),
        ("is_security_approved_rate", "2024", 92),
        ("is_security_approved_rate", "2023", 65),
    }


def test_targets(catalogue: Catalogue) -> None:
    text = (
        "Báo cáo năm 2024\n"
        "Tỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8% (mục tiêu 2024: 50%), trong đó khối bộ đạt tỷ lệ 63,47% "
        "(mục tiêu 2024: 70%).\n"
        "Mục tiêu 2025: nâng tỷ lệ hồ sơ trực tuyến toàn trình của cả nước năm 2025 lên 80%."
    )
    got = {(p.unit, p.period, p.value, p.target) for p in extract(text, catalogue)}
    # a value and the target its sentence states are kept apart: a value proposal and a target proposal
    assert got == {
        ("VN", "2024", 45.8, None),
        ("VN", "2024", None, 50),
        ("ministries", "2024", 63.47, None),
        ("ministries", "2024", None, 70),
        ("VN", "2025", None, 80),
    }


def test_default_period(catalogue: Catalogue) -> None:
    text = "Tin chuyển đổi số\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%."
    assert extract(text, catalogue) == []  # no date anywhere: nothing to propose
    assert one(text, catalogue, default_period="2024Q2").period == "2024Q2"


# --- units ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "units"),
    [
        ("Tỷ lệ hồ sơ trực tuyến toàn trình đạt 45%, trong đó khối bộ đạt 62,48%.", ["VN", "ministries"]),
        (
            "Tỷ lệ số hóa hồ sơ tại các Bộ, ngành đạt 45,14%, tại các địa phương đạt 65,38%.",
            ["ministries", "provinces"],
        ),
        ("Cơ sở dữ liệu quốc gia về dân cư đã kết nối với 18 bộ, ngành, 63 địa phương.", ["ministries", "provinces"]),
        ("DVCTT toàn trình: Đà Nẵng đạt 95,6%; Cà Mau đạt 92%; Tây Ninh: 92%.", ["P48", "P96", "P72"]),
        (
            "Các bộ triển khai rất tốt với 100% DVCTT toàn trình như Bộ Công Thương; Giáo dục và Đào tạo.",
            ["BCT", "BGDDT"],
        ),
        ("Bộ Thông tin và Truyền thông cho biết: tỷ lệ hồ sơ trực tuyến toàn trình đạt 45%.", ["VN"]),
        ("100% các bộ, ngành, địa phương đã ban hành danh mục DVCTT toàn trình, DVCTT một phần.", ["VN"]),
    ],
)
def test_units(catalogue: Catalogue, sentence: str, units: list[str]) -> None:
    assert [p.unit for p in extract(f"Báo cáo năm 2024\n{sentence}", catalogue)] == units


# --- documents ------------------------------------------------------------------------------------


def _as_html(text: str) -> str:
    body = "\n".join(f"<p>{html.escape(line)}</p>" if line.strip() else "<p></p>" for line in text.split("\n"))
    return (
        "<!DOCTYPE html><html><head><title>Tin</title><style>p{margin:0}</style></head><body>"
        f"<script>var x = '45,8%';</script>\n{body}\n</body></html>"
    )


@pytest.mark.shared
@pytest.mark.parametrize("seed", ["001_d2110275f2b17c14.txt", "003_dc8a4453c1b623c0.txt", "004_6872c6d01e49498a.txt"])
def test_html_gives_the_same_proposals_as_its_text(catalogue: Catalogue, tmp_path: Path, seed: str) -> None:
    text = read_document(shared(f"seeds/{seed}", "compares HTML and text extraction on a published report"))[0]
    page = tmp_path / "report.html"
    page.write_text(_as_html(text), encoding="utf-8")
    read, fmt = read_document(page)
    assert fmt == "html"

    def shape(props: list[Proposal]) -> list[tuple[Any, ...]]:
        return [(*p.key, p.value, p.target, p.qualifier, p.where.line, p.where.start, p.where.end) for p in props]

    from_text = extract(text, catalogue)
    assert from_text and shape(extract(read, catalogue)) == shape(from_text)


def test_html_blocks_become_lines() -> None:
    page = (
        "<html><head><title>T</title></head><body><h1>Tiêu đề</h1><p></p><p>Bộ TT&amp;TT <b>cho biết</b></p>"
        "<div><p>a</p><p>b</p></div><br><ul><li>c</li></ul><script>d()</script></body></html>"
    )
    assert html_to_text(page) == "Tiêu đề\n\nBộ TT&TT cho biết\na\nb\n\nc"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"\x00\x01PK\x03\x04binary", "binary"),
        (b"\xff\xfe\xff", "UTF-16"),
        (b"ch\xe0o", "UTF-8"),
        (b"<html><body><script>x</script></body></html>", "no text"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, content: bytes | None, reason: str) -> None:
    path = tmp_path / "báo cáo.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportFileError, match=reason) as exc:
        read_document(path)
    assert str(path) in str(exc.value)


def _pdf(*pages: str) -> bytes:
    import typst

    body = "\n#pagebreak()\n".join(pages)
    return typst.compile(f'#set text(lang: "vi")\n{body}'.encode())


def _docx(paragraphs: Sequence[str], table: Sequence[Sequence[str]] = ()) -> bytes:
    import io

    import docx

    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_pdf_pages_go_into_the_provenance(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "bao-cao.pdf"
    path.write_bytes(
        _pdf(
            "Báo cáo chuyển đổi số quốc gia tháng 4/2024\n\nTỷ lệ hồ sơ trực tuyến toàn trình cả nước đạt 45,8%, tỷ lệ "
            "hồ sơ thanh toán trực tuyến đạt 30,1% và tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC đạt 55,2%.",
            "Cả nước có gần 14,6 triệu tài khoản trên Cổng Dịch vụ công quốc gia.",
        )
    )
    text, fmt = read_document(path)
    assert fmt == "pdf" and text.count("\f") == 2
    got = [(p.code, p.unit, p.period, p.value, p.where.page, p.flagged) for p in extract(text, catalogue, fmt=fmt)]
    assert got == [
        ("dossier_full_online_rate", "VN", "2024-04", 45.8, 1, False),
        ("online_payment_rate", "VN", "2024-04", 30.1, 1, False),
        ("dossier_digitisation_rate", "VN", "2024-04", 55.2, 1, False),
        ("portal_accounts", "VN", "2024-04", 14_600_000, 2, False),
    ]


def test_docx_paragraphs_and_tables(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "bao-cao.docx"
    path.write_bytes(
        _docx(
            [
                "Báo cáo chuyển đổi số quốc gia năm 2024",
                "",
                "Tại Đà Nẵng, tỷ lệ hồ sơ trực tuyến toàn trình đạt 92,1%.",
            ],
            [
                ["Chỉ tiêu", "Phạm vi", "Giá trị", "Mục tiêu"],
                ["Tỷ lệ hồ sơ trực tuyến toàn trình", "Cả nước", "45%", "50%"],
            ],
        )
    )
    text, fmt = read_document(path)
    assert fmt == "docx"
    props = extract(text, catalogue, fmt=fmt)
    first = props[0]
    assert (first.unit, first.value, first.where.line, first.where.paragraph, first.flagged) == (
        "P48",
        92.1,
        3,
        3,
        False,
    )
    assert first.evidence.unit.text == "Đà Nẵng" and first.evidence.period.source == "document"
    # the table is read by its headings: the row names the indicator and the unit, the title the year
    in_table = [(p.code, p.unit, p.period, p.value, p.target, p.flagged) for p in props if p.where.line == 5]
    assert in_table == [
        ("dossier_full_online_rate", "VN", "2024", 45.0, None, False),
        ("dossier_full_online_rate", "VN", "2024", None, 50.0, False),
    ]
    assert {p.evidence.unit.source for p in props if p.where.line == 5} == {"table"}


def _encrypted_pdf() -> bytes:
    import io

    import pypdf

    w = pypdf.PdfWriter()
    w.add_blank_page(100, 100)
    w.encrypt("mật khẩu")
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("hỏng.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catalog>> garbage", "damaged PDF"),
        ("khoá.pdf", None, "encrypted"),
        ("hỏng.docx", b"PK\x03\x04 not a zip at all", "damaged DOCX"),
        ("trống.pdf", b"", "empty"),
    ],
)
def test_damaged_documents_name_the_file(tmp_path: Path, name: str, content: bytes | None, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(_encrypted_pdf() if content is None else content)
    with pytest.raises(ImportFileError, match=reason) as exc:
        read_document(path)
    assert str(path) in str(exc.value)


def test_a_document_over_the_bound_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chiso.ingest import extract as module

    monkeypatch.setattr(module, "MAX_DOCUMENT_BYTES", 1000)
    path = tmp_path / "lớn.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"x" * 2000)
    with pytest.raises(ImportFileError, match="larger than") as exc:
        read_document(path)
    assert str(path) in str(exc.value)


# --- evidence, confidence, flags -------------------------------------------------------------------


def test_the_nation_is_no_default(catalogue: Catalogue) -> None:
    p = one("Một số kết quả nổi bật năm 2024\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 43%.", catalogue)
    assert p.flagged and p.reason and "đơn vị" in p.reason and p.evidence.unit.source == "none"
    p = one("Một số kết quả nổi bật năm 2024\nCả nước có 43% hồ sơ trực tuyến toàn trình.", catalogue)
    assert not p.flagged and p.unit == "VN" and p.evidence.unit.text == "Cả nước"
    p = one("Kết quả chuyển đổi số quốc gia năm 2024\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 43%.", catalogue)
    assert not p.flagged and p.unit == "VN" and p.evidence.unit.source == "document"


def test_evidence_and_confidence(catalogue: Catalogue) -> None:
    text = "Tin năm 2024\nTrong quý III/2024, tỷ lệ hồ sơ trực tuyến toàn trình của Bộ Tư pháp đạt 74,5%."
    p = one(text, catalogue)
    line = text.split("\n")[1]
    assert (p.unit, p.period) == ("BTP", "2024Q3")
    ev = p.evidence
    assert ev.unit.text == "Bộ Tư pháp" and line[ev.unit.start : ev.unit.end] == "Bộ Tư pháp"
    assert ev.period.text == "quý III/2024" and ev.period.source == "clause"
    assert line[ev.indicator.start : ev.indicator.end].lower() == "tỷ lệ hồ sơ trực tuyến toàn trình"
    assert 0.8 <= p.confidence <= 1.0
    # inherited from the document: lower
    q = one("Kết quả chuyển đổi số quốc gia năm 2024\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 43%.", catalogue)
    assert q.confidence < p.confidence


@pytest.mark.parametrize(
    ("sentence", "got"),
    [
        (  # a comparison in parentheses is its own period's figure, never the main one's
            "Tỷ lệ hồ sơ trực tuyến toàn trình của khối bộ đạt 55% (cuối năm 2022 là 30%).",
            [("ministries", "2025S1", 55.0), ("ministries", "2022", 30.0)],
        ),
        (  # a ministry in a ranking sentence is the ministry, not the nation
            "Về tỷ lệ hồ sơ trực tuyến toàn trình, Bộ Y tế (81,2%) và Bộ Tư pháp (78%) dẫn đầu khối bộ.",
            [("BYT", "2025S1", 81.2), ("BTP", "2025S1", 78.0)],
        ),
        (
            "Bộ Công an dẫn đầu với tỷ lệ hồ sơ trực tuyến toàn trình đạt 95%, Bộ Tài chính xếp sau với 90%.",
            [("BCA", "2025S1", 95.0), ("BTC-2025", "2025S1", 90.0)],
        ),
        (
            "Đà Nẵng, Bình Dương và TP.HCM lần lượt đạt 92%, 88% và 85% hồ sơ trực tuyến toàn trình.",
            [("P48", "2025S1", 92.0), ("P74", "2025S1", 88.0), ("P79", "2025S1", 85.0)],
        ),
        (  # a difference in points is no value
            "Cả nước có 45% hồ sơ trực tuyến toàn trình, tăng 7 điểm % so với tháng 12/2023.",
            [("VN", "2025S1", 45.0)],
        ),
        (  # the reporting ministry is not the unit
            "Theo Bộ Thông tin và Truyền thông, tỷ lệ hồ sơ trực tuyến toàn trình đạt 45%.",
            [("VN", "2025S1", 45.0, True)],
        ),
    ],
)
def test_the_wrong_readings_of_issue_16(catalogue: Catalogue, sentence: str, got: list[tuple[object, ...]]) -> None:
    props = extract(f"Báo cáo 6 tháng đầu năm 2025\n{sentence}", catalogue)
    want = [g if len(g) == 4 else (*g, False) for g in got]
    assert [(p.unit, p.period, p.value, p.flagged) for p in props] == want


# --- the command ----------------------------------------------------------------------------------

SAMPLE = (
    "Kết quả chuyển đổi số quốc gia tháng 4/2024\n"
    "Tỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%, trong đó khối bộ đạt tỷ lệ 63,47%.\n"
    "Đến nay, đã có gần 14,6 triệu tài khoản trên Cổng Dịch vụ công quốc gia; 56/63 địa phương ban hành chính "
    "sách giảm, hỗ trợ về phí, lệ phí sử dụng dịch vụ công trực tuyến."
)


def _write(tmp_path: Path, text: str = SAMPLE, name: str = "bao-cao-t4.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no workspace here: --json needs only the catalogue
    monkeypatch.delenv("CHISO_HOME", raising=False)
    res = runner.invoke(cli, ["--lang", "vi", "extract", str(_write(tmp_path)), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    keys = ("code", "unit", "period", "value", "target", "approximate", "qualifier", "where")
    assert [tuple(d) for d in data] == [(*keys, "evidence", "confidence", "flagged", "reason")] * 4
    assert [(d["code"], d["unit"], d["period"], d["value"], d["approximate"]) for d in data] == [
        ("dossier_full_online_rate", "VN", "2024-04", 45.8, False),
        ("dossier_full_online_rate", "ministries", "2024-04", 63.47, False),
        ("portal_accounts", "VN", "2024-04", 14_600_000, True),
        ("online_fee_policy_rate", "provinces", "2024-04", 88.89, False),
    ]
    assert data[2]["qualifier"] == "gần"
    line = SAMPLE.split("\n")[1]
    assert data[0]["where"] == {
        "line": 2,
        "start": line.index("45,8%"),
        "end": line.index("45,8%") + 5,
        "snippet": line,
    }


def test_accept_all_writes_values_with_provenance(workspace: core.Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path)
    res = runner.invoke(
        cli, ["--workspace", str(workspace.root), "--as", "reader", "extract", str(path), "--accept-all"]
    )
    assert res.exit_code == 0, res.output
    doc, _ = core.extract_file(workspace, path)
    assert doc.id.startswith("extract.bao-cao-t4.") and len(doc.id.rsplit(".", 1)[1]) == 8
    assert doc.id in res.output.replace("\n", "")
    stored = {(v.indicator, v.unit): v for v in workspace.store.values()}
    assert set(stored) == {
        ("dossier_full_online_rate", "VN"),
        ("dossier_full_online_rate", "ministries"),
        ("portal_accounts", "VN"),
        ("online_fee_policy_rate", "provinces"),
    }
    acc = stored[("portal_accounts", "VN")]
    assert (acc.source, acc.paragraph, acc.period, acc.value, acc.approximate, acc.qualifier, acc.origin.value) == (
        doc.id,
        3,
        "2024-04",
        14_600_000,
        True,
        "gần",
        "reported",
    )
    fee = stored[("online_fee_policy_rate", "provinces")]
    assert (fee.numerator, fee.denominator, fee.paragraph) == (56, 63, 3)
    source = workspace.store.sources()[doc.id]
    assert (source.title, source.file, source.authority) == (
        "Kết quả chuyển đổi số quốc gia tháng 4/2024",
        "bao-cao-t4.txt",
        5,
    )
    audit = workspace.store.history(indicator="portal_accounts")
    assert [(a.actor, a.action, a.entity_id, a.after["paragraph"]) for a in audit if a.after] == [
        ("reader", "insert", str(acc.id), 3)
    ]
    # a second run writes nothing new
    again = runner.invoke(cli, ["--workspace", str(workspace.root), "extract", str(path), "--accept-all"])
    assert again.exit_code == 0 and "0 mới" in again.output
    assert len(workspace.store.values()) == 4


def test_review_then_a_selection(workspace: core.Workspace, tmp_path: Path) -> None:
    res = runner.invoke(
        cli, ["--workspace", str(workspace.root), "--lang", "vi", "extract", str(_write(tmp_path))], input="x\n2-3\n"
    )
    assert res.exit_code == 0, res.output
    assert "Tìm thấy 4 số liệu" in res.output and "lựa chọn không hợp lệ" in res.output
    assert {(v.indicator, v.unit) for v in workspace.store.values()} == {
        ("dossier_full_online_rate", "ministries"),
        ("portal_accounts", "VN"),
    }


def test_review_and_import_nothing(workspace: core.Workspace, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["--workspace", str(workspace.root), "extract", str(_write(tmp_path))], input="\n")
    assert res.exit_code == 0 and workspace.store.values() == [] and workspace.store.sources() == {}


def test_accept_is_all_or_nothing(workspace: core.Workspace, tmp_path: Path) -> None:
    doc, props = core.extract_file(workspace, _write(tmp_path))
    bad = Proposal("dossier_full_online_rate", "P48", "2024-04", 130.0, Where(9, 0, 4, "130%"), text="130%")
    with pytest.raises(ValidationError) as exc:
        core.accept_proposals(workspace, doc, [*props, bad], actor="reader")
    assert [(p.row, p.reason) for p in exc.value.problems] == [(5, "above_range")]
    dup = [props[0], props[0]]
    with pytest.raises(ValidationError) as exc:
        core.accept_proposals(workspace, doc, dup, actor="reader")
    assert [(p.row, p.reason) for p in exc.value.problems] == [(2, "duplicate_row")]
    assert workspace.store.values() == [] and workspace.store.sources() == {}
    res = core.accept_proposals(workspace, doc, props, actor="reader")
    assert (res.values.inserted, res.sources.inserted, res.targets.inserted) == (4, 1, 0)


def test_accept_targets(workspace: core.Workspace, tmp_path: Path) -> None:
    text = (
        "Báo cáo năm 2024\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8% (mục tiêu 2024: 50%).\n"
        "Mục tiêu 2025: tỷ lệ hồ sơ trực tuyến toàn trình đạt 80%."
    )
    doc, props = core.extract_file(workspace, _write(tmp_path, text))
    res = core.accept_proposals(workspace, doc, props, actor="reader")
    assert (res.values.inserted, res.targets.inserted) == (1, 2)
    targets = {(t.period, t.value, t.source, t.paragraph) for t in workspace.store.targets()}
    assert targets == {("2024", 50, doc.id, 2), ("2025", 80, doc.id, 3)}


@pytest.mark.parametrize(("content", "reason"), [(None, "no such file"), (b"", "empty"), (b"\x00\x00\x01", "binary")])
def test_command_errors_name_the_file(
    tmp_path: Path, content: bytes | None, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHISO_HOME", raising=False)
    path = tmp_path / "rỗng.txt"
    if content is not None:
        path.write_bytes(content)
    res = runner.invoke(cli, ["extract", str(path), "--json"])
    assert res.exit_code == 2
    assert str(path) in res.stderr.replace("\n", "") and reason in res.stderr


def test_command_asks_for_a_period(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHISO_HOME", raising=False)
    path = _write(tmp_path, "Tin chuyển đổi số\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%.")
    res = runner.invoke(cli, ["--lang", "en", "extract", str(path), "--json"])
    assert res.exit_code == 2 and "--period" in res.stderr
    res = runner.invoke(cli, ["extract", str(path), "--json", "--period", "2024q2"])
    assert res.exit_code == 0 and json.loads(res.stdout)[0]["period"] == "2024Q2"


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        ("all", [0, 1, 2, 3, 4]),
        ("tất cả", [0, 1, 2, 3, 4]),
        ("", []),
        ("không", []),
        ("1-3,5", [0, 1, 2, 4]),
        ("2, 2 4", [1, 3]),
        ("0", []),
        ("6", None),
        ("3-1", None),
        ("a-b", None),
        ("1;x", None),
    ],
)
def test_parse_selection(text: str, chosen: list[int] | None) -> None:
    assert parse_selection(text, 5) == chosen


def test_accept_all_never_takes_a_flagged_proposal(workspace: core.Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "Tin chuyển đổi số tháng 10/2024\n"
        "Tỷ lệ hồ sơ trực tuyến toàn trình của Bộ Tư pháp đạt 74,5%.\n"
        "Tỷ lệ hồ sơ thanh toán trực tuyến đạt 40%.\n",
        "tin.txt",
    )
    res = runner.invoke(cli, ["--workspace", str(workspace.root), "extract", str(path), "--accept-all"])
    assert res.exit_code == 0, res.output
    assert "Bỏ qua 1 số liệu bị gắn cờ" in res.output.replace("\n", " ")
    assert {(v.indicator, v.unit) for v in workspace.store.values()} == {("dossier_full_online_rate", "BTP")}
    # the JSON says which one and why
    out = runner.invoke(cli, ["--workspace", str(workspace.root), "extract", str(path), "--json"])
    data = json.loads(out.stdout)
    assert [(d["unit"], d["flagged"]) for d in data] == [("BTP", False), ("VN", True)]
    assert data[1]["reason"].startswith("không nêu đơn vị") and data[1]["evidence"]["unit"]["source"] == "none"
    assert data[0]["evidence"]["unit"]["text"] == "Bộ Tư pháp" and 0 < data[1]["confidence"] < data[0]["confidence"]


# --- round 3: rules learnt on the second held-back set (sentences of their own) -------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a value and the target its sentence states: kept apart
            "Báo cáo năm 2024\nTỷ lệ hồ sơ thanh toán trực tuyến của cả nước đạt 52%, vượt mục tiêu 45% đề ra cho năm"
            " 2024.",
            {("online_payment_rate", "VN", "2024", 52.0, None), ("online_payment_rate", "VN", "2024", None, 45.0)},
        ),
        (  # "tương ứng là" pairs names and figures in order, as "lần lượt" does
            "Báo cáo năm 2024\nTỷ lệ hồ sơ thanh toán trực tuyến và tỷ lệ hồ sơ trực tuyến toàn trình của cả nước"
            " tương ứng là 40% và 50%.",
            {("online_payment_rate", "VN", "2024", 40.0, None), ("dossier_full_online_rate", "VN", "2024", 50.0, None)},
        ),
        (  # "so với cùng kỳ năm 2023 là …": the main figure's period, in 2023
            "Tin tức\nTrong quý II/2024, tỷ lệ hồ sơ trực tuyến toàn trình của cả nước đạt 41%, so với cùng kỳ năm"
            " 2023 là 30%.",
            {
                ("dossier_full_online_rate", "VN", "2024Q2", 41.0, None),
                ("dossier_full_online_rate", "VN", "2023Q2", 30.0, None),
            },
        ),
        (  # an organisation whose name ends in "Việt Nam" is not the nation
            "Báo cáo quốc gia năm 2024\nNăm 2024, tỷ lệ hồ sơ trực tuyến toàn trình của Tập đoàn Điện lực Việt Nam"
            " đạt 90%.",
            set(),
        ),
        (  # an average per member is not the bloc's figure
            "Báo cáo năm 2024\nNăm 2024, trung bình mỗi tỉnh có khoảng 900 Tổ công nghệ số cộng đồng.",
            set(),
        ),
        (  # a quarter before "được công bố" dates the figure (it is no date of publication)
            "Tin tức\nQuý I/2025, tỷ lệ thủ tục hành chính được công bố, công khai đúng hạn của cả nước đạt 97%.",
            {("procedures_published_on_time_rate", "VN", "2025Q1", 97.0, None)},
        ),
        (  # "mục tiêu <name> là 60%": a target
            "Tin tức\nNăm 2026, mục tiêu tỷ lệ hồ sơ thanh toán trực tuyến của cả nước là 60%.",
            {("online_payment_rate", "VN", "2026", None, 60.0)},
        ),
        (  # a change right after a count goes to the count's growth rate
            "Tin tức\nNăm 2024, cả nước ghi nhận 500 cuộc tấn công mạng gây ra sự cố, giảm 20% so với năm 2023.",
            {
                ("cyber_attack_incidents", "VN", "2024", 500.0, None),
                ("cyber_attack_incidents_growth_rate", "VN", "2024", -20.0, None),
            },
        ),
        (  # "tính đến hết tháng 12/2024": a rate's year (docs/extract.md, convention 4), a stock's December
            "Tin tức\nTính đến hết tháng 12/2024, tỷ lệ hồ sơ trực tuyến toàn trình của cả nước đạt 47%.",
            {("dossier_full_online_rate", "VN", "2024", 47.0, None)},
        ),
        (  # "cả nước có 3 địa phương …": a count of provinces is the provinces bloc's (convention 1)
            "Tin tức\nNăm 2024, cả nước có 3 địa phương ban hành chính sách miễn phí, lệ phí khi thực hiện DVCTT.",
            {("online_fee_waiver_units", "provinces", "2024", 3.0, None)},
        ),
        (  # an index named with its level answers to its acronym; the unit picks the level
            "Tin tức\nDTI 2024: Bộ Tư pháp dẫn đầu với 0,72 điểm.",
            {("dti_ministry", "BTP", "2024", 0.72, None)},
        ),
        (  # a component named by its own words in a sentence naming the index
            "Tin tức\nTrong DTI 2024, Bộ Y tế đạt 0,61 ở chỉ số Nhân lực số.",
            {("dti_ministry.human_resources", "BYT", "2024", 0.61, None)},
        ),
        (  # an aim ends at a contrast: the figure after "nhưng" is a value
            "Tin tức\nTrong năm 2024, mục tiêu đặt ra là 50% nhưng tỷ lệ hồ sơ trực tuyến toàn trình của cả nước chỉ"
            " đạt 45,8%.",
            {
                ("dossier_full_online_rate", "VN", "2024", None, 50.0),
                ("dossier_full_online_rate", "VN", "2024", 45.8, None),
            },
        ),
        (  # "Trong DTI 2024" names the index when the sentence names none of its components
            "Tin tức\nTrong DTI 2024, Đà Nẵng dẫn đầu với 0,71 điểm; ở trụ cột Nhân lực số, Hà Nội đạt 0,66 điểm.",
            {("dti_province", "P48", "2024", 0.71, None), ("dti_province.human_resources", "P01", "2024", 0.66, None)},
        ),
        (  # a "lần lượt" list cut by semicolons; bare numbers after "số điểm" are points
            "Kết quả Chỉ số phục vụ người dân, doanh nghiệp tháng 6/2025\nBa bộ dẫn đầu là Bộ Tư pháp, Bộ Y tế và"
            " Bộ Công an với số điểm lần lượt là 90,1; 85,2 và 80,3.",
            {
                ("qd766", "BTP", "2025-06", 90.1, None),
                ("qd766", "BYT", "2025-06", 85.2, None),
                ("qd766", "BCA", "2025-06", 80.3, None),
            },
        ),
        (  # "trong đó 35% số hồ sơ …" is a share of a subset; "riêng cấp xã" a level below the unit
            "Báo cáo năm 2024\nTỷ lệ hồ sơ giải quyết đúng hạn của tỉnh Nghệ An đạt 97%; riêng cấp xã đạt 95%, trong"
            " đó 30% số hồ sơ thuộc lĩnh vực tư pháp.",
            {("dossier_on_time_rate", "P40", "2024", 97.0, None)},
        ),
    ],
)
def test_round3_rules(catalogue: Catalogue, text: str, expected: set[tuple[Any, ...]]) -> None:
    got = {(p.code, p.unit, p.period, p.value, p.target) for p in extract(text, catalogue) if not p.flagged}
    assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a department of the province: flagged, not the province's figure
            "Tin tức\nNăm 2024, Sở Tư pháp tỉnh Nam Định có tỷ lệ hồ sơ trực tuyến toàn trình đạt 88%.",
            set(),
        ),
        (  # one field of procedures: not the whole rate
            "Tin tức\nNăm 2024, tỷ lệ hồ sơ nộp trực tuyến của lĩnh vực hộ tịch tỉnh Phú Thọ đạt 71%.",
            set(),
        ),
        (  # the commune level of a province
            "Tin tức\nQuý I/2025, tỷ lệ hồ sơ trực tuyến toàn trình của cấp xã tỉnh Yên Bái đạt 41,2%.",
            set(),
        ),
        (  # an anaphor naming no unit
            "Tin tức\nĐịa phương này có tỷ lệ thanh toán trực tuyến năm 2024 đạt 66%, đứng thứ ba cả nước.",
            set(),
        ),
        (  # how many units pass a threshold
            "Tin tức\nNăm 2024, 41/63 tỉnh đạt tỷ lệ thanh toán trực tuyến trên 50%.",
            set(),
        ),
        (  # a pillar's figure is not the whole index's
            "Tin tức\nNăm 2023, Bộ Tư pháp dẫn đầu về trụ cột Thể chế số trong DTI cấp bộ với 0,91.",
            set(),
        ),
        (  # a body named with "Việt Nam" opening the sentence is not the nation
            "Tin tức\nTổng công ty Bưu điện Việt Nam đạt tỷ lệ hồ sơ trực tuyến toàn trình 97% năm 2024.",
            set(),
        ),
        (  # "Lũy kế 10 tháng" under a title's month: January to October
            "Báo cáo tháng 10/2025 của tỉnh Quảng Trị\nLũy kế 10 tháng, tỷ lệ hồ sơ trực tuyến toàn trình của tỉnh"
            " đạt 61%.",
            {("dossier_full_online_rate", "P44-2025", "2025-01..2025-10", 61.0, None)},
        ),
        (  # a rate no alias holds is not the earlier rate's
            "Báo cáo năm 2024\nTỷ lệ hồ sơ trực tuyến toàn trình của cả nước đạt 45%; tỷ lệ hồ sơ bị từ chối đạt 3%.",
            {("dossier_full_online_rate", "VN", "2024", 45.0, None)},
        ),
        (  # a heading "TP Cần Thơ: …" names the subject of the text under it (convention 7) …
            "TP Cần Thơ: kết quả năm 2024\nNăm 2024, tỷ lệ hồ sơ trực tuyến toàn trình đạt 64%.",
            {("dossier_full_online_rate", "P92", "2024", 64.0, None)},
        ),
        (  # … also where the sentence refers back to it
            "TP Cần Thơ: kết quả năm 2024\nNăm 2024, tỷ lệ hồ sơ trực tuyến toàn trình của thành phố đạt 64%.",
            {("dossier_full_online_rate", "P92", "2024", 64.0, None)},
        ),
        (  # … but not a figure its sentence gives to the country
            "TP Cần Thơ: kết quả năm 2024\nNăm 2024, tỷ lệ hồ sơ trực tuyến toàn trình của cả nước đạt 45%.",
            {("dossier_full_online_rate", "VN", "2024", 45.0, None)},
        ),
        (  # the same months of the year before, in parentheses
            "Tin tức\nTrong quý II/2025, tỷ lệ thanh toán trực tuyến của tỉnh Lào Cai đạt 60%, cao hơn cùng kỳ năm"
            " 2024 (52%).",
            {
                ("online_payment_rate", "P10", "2025Q2", 60.0, None),
                ("online_payment_rate", "P10", "2024Q2", 52.0, None),
            },
        ),
    ],
)
def test_round4_caution(catalogue: Catalogue, text: str, expected: set[tuple[Any, ...]]) -> None:
    got = {(p.code, p.unit, p.period, p.value, p.target) for p in extract(text, catalogue) if not p.flagged}
    assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # added ones are no stock: the catalogue's count of added ones
            "Tin tức\nNăm 2023, Việt Nam đưa vào khai thác thêm 1 tuyến cáp quang biển quốc tế.",
            {("submarine_cables_added", "VN", "2023", 1.0, None)},
        ),
        (  # the part after "trong số N …," does not take the whole's name
            "Tin tức\nĐến hết năm 2023, trong số 9 cơ sở dữ liệu quốc gia đã được xác định, có 5 cơ sở dữ liệu đã"
            " vận hành.",
            {("national_databases_identified", "VN", "2023", 9.0, None)},
        ),
        (  # one field set apart opening the sentence
            "Tin tức\nRiêng lĩnh vực tư pháp, tỷ lệ hồ sơ nộp trực tuyến của tỉnh Lào Cai năm 2024 đạt 93%.",
            set(),
        ),
        (  # a ranking's scope is not the text's subject
            "Tin tức\nTỷ lệ thanh toán trực tuyến năm 2024 đạt 55%, cao nhất toàn quốc.",
            set(),
        ),
        (  # "xếp cuối khối …": the bloc is the ranking's scope
            "Tin tức\nNăm 2024, tỉnh Long An xếp cuối khối tỉnh về Bộ chỉ số 766 với 70,2 điểm.",
            {("qd766", "P80", "2024", 70.2, None)},
        ),
        (  # a threshold a count of units passes ("vượt")
            "Tin tức\nNăm 2024, 9/63 tỉnh có tỷ lệ hồ sơ nộp trực tuyến vượt 70%.",
            set(),
        ),
        (  # some members' value is not the unit's
            "Tin tức\nNăm 2024, tỷ lệ hồ sơ nộp trực tuyến của tỉnh Lào Cai đạt 81%; có 2 huyện đạt tỷ lệ 100%.",
            {("dossier_online_submission_rate", "P10", "2024", 81.0, None)},
        ),
        (  # the nation's own bodies
            "Tin tức\nNăm 2022, Chính phủ ban hành 3 nghị định về chuyển đổi số.",
            {("dx_decrees_issued", "VN", "2022", 3.0, None)},
        ),
        (  # a ministry handling its own dossiers, then the clause after ";"
            "Tin tức\nQuý II/2024, Bộ Tư pháp tiếp nhận 20.000 hồ sơ; tỷ lệ hồ sơ nộp trực tuyến đạt 88%.",
            {("dossier_online_submission_rate", "BTP", "2024Q2", 88.0, None)},
        ),
        (  # "so với chỉ tiêu năm X là Y": that year's target
            "Tin tức\nNăm 2024, tỉnh Lào Cai có tỷ lệ thanh toán trực tuyến 48% so với chỉ tiêu năm 2024 là 40%.",
            {("online_payment_rate", "P10", "2024", 48.0, None), ("online_payment_rate", "P10", "2024", None, 40.0)},
        ),
    ],
)
def test_round5_rules(catalogue: Catalogue, text: str, expected: set[tuple[Any, ...]]) -> None:
    got = {(p.code, p.unit, p.period, p.value, p.target) for p in extract(text, catalogue) if not p.flagged}
    assert got == expected
