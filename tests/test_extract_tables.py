"""The table reader (chiso.ingest.extract_tables): figures in a report's tables, read by their column headings,
rows and caption, from real DOCX (python-docx) and PDF (typst) files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chiso.catalogue import Catalogue
from chiso.ingest.extract import Proposal, extract, read_document
from test_extract import _docx, _pdf

RATE = "dossier_full_online_rate"


def _extract(catalogue: Catalogue, path: Path) -> tuple[str, list[Proposal]]:
    text, fmt = read_document(path)
    return text, extract(text, catalogue, fmt=fmt)


def _docx_file(tmp_path: Path, paragraphs: Sequence[str], table: Sequence[Sequence[str]]) -> Path:
    path = tmp_path / "bao-cao.docx"
    path.write_bytes(_docx(paragraphs, table))
    return path


def _rows(text: str) -> set[int]:
    return {n for n, line in enumerate(text.split("\n"), start=1) if line.startswith("\t")}


def _figures(props: Sequence[Proposal], rows: set[int]) -> list[tuple[object, ...]]:
    return [(p.code, p.unit, p.period, p.value, p.target) for p in props if p.where.line in rows and not p.flagged]


_APPENDIX = [
    ["STT", "Tỉnh, thành phố", "Tỷ lệ (%)", "Mục tiêu 2025", "Xếp hạng", "Tăng/giảm so với cùng kỳ (điểm %)"],
    ["1", "Hà Nội", "45,8", "50", "3", "+2,1"],
    ["2", "Tỉnh Thanh Hóa", "38,2", "40", "10", "-1,5"],
    ["3", "Cả nước", "40,1", "-", "", ""],
]


def test_an_appendix_of_provinces_with_values_and_targets(catalogue: Catalogue, tmp_path: Path) -> None:
    text, props = _extract(
        catalogue,
        _docx_file(
            tmp_path,
            [
                "Báo cáo chuyển đổi số năm 2025",
                "Phụ lục 1: Tỷ lệ hồ sơ trực tuyến toàn trình của các địa phương, 9 tháng đầu năm 2025",
            ],
            _APPENDIX,
        ),
    )
    rows = _rows(text)
    assert _figures(props, rows) == [
        (RATE, "P01", "2025-01..2025-09", 45.8, None),
        (RATE, "P01", "2025", None, 50.0),
        (RATE, "P38", "2025-01..2025-09", 38.2, None),
        (RATE, "P38", "2025", None, 40.0),
        (RATE, "VN", "2025-01..2025-09", 40.1, None),
    ]
    first = next(p for p in props if p.where.line in rows)
    line = text.split("\n")[first.where.line - 1]
    assert line[first.where.start : first.where.end] == "45,8" and first.where.paragraph == first.where.line
    ev = first.evidence
    assert (ev.indicator.source, ev.unit.source, ev.period.source) == ("table", "table", "table")
    assert ev.indicator.text.startswith("Phụ lục 1") and ev.unit.text == "Hà Nội"
    assert line[ev.unit.start : ev.unit.end] == "Hà Nội"
    # (e) the rank and the change are no figures of the rate: never proposed unflagged
    assert not [p for p in props if p.where.line in rows and not p.flagged and p.value in (3, 10, 2.1, 1.5)]


def test_indicators_as_rows_and_blocs_as_columns(catalogue: Catalogue, tmp_path: Path) -> None:
    text, props = _extract(
        catalogue,
        _docx_file(
            tmp_path,
            ["Báo cáo tình hình chuyển đổi số quý III/2024", "Bảng 1. Kết quả năm 2024"],
            [
                ["Chỉ tiêu", "Cả nước", "Khối bộ", "Khối tỉnh"],
                ["Tỷ lệ hồ sơ trực tuyến toàn trình", "45,8%", "50,1%", "40,2%"],
                ["Tỷ lệ số hóa hồ sơ, kết quả giải quyết thủ tục hành chính", "60%", "70%", "—"],
            ],
        ),
    )
    assert _figures(props, _rows(text)) == [
        (RATE, "VN", "2024", 45.8, None),
        (RATE, "ministries", "2024", 50.1, None),
        (RATE, "provinces", "2024", 40.2, None),
        ("dossier_digitisation_rate", "VN", "2024", 60.0, None),
        ("dossier_digitisation_rate", "ministries", "2024", 70.0, None),
    ]
    p = props[0]
    assert p.evidence.unit.text == "Cả nước" and p.evidence.unit.start == -1  # the column's heading
    assert p.evidence.period.text == "Bảng 1. Kết quả năm 2024"


def test_year_columns_give_each_year_its_value(catalogue: Catalogue, tmp_path: Path) -> None:
    text, props = _extract(
        catalogue,
        _docx_file(
            tmp_path,
            ["Báo cáo tình hình chuyển đổi số năm 2024", "Bảng 3. Tỷ lệ hồ sơ trực tuyến toàn trình (%)"],
            [
                ["Địa phương", "Năm 2023", "Năm 2024", "Tăng/giảm (điểm %)"],
                ["Hà Nội", "40,1", "45,8", "5,7"],
                ["Đà Nẵng", "50", "55,5", "5,5"],
                ["Tổng", "70,1", "75,8", "5,7"],  # no unit: this row alone is not read
            ],
        ),
    )
    assert _figures(props, _rows(text)) == [
        (RATE, "P01", "2023", 40.1, None),
        (RATE, "P01", "2024", 45.8, None),
        (RATE, "P48", "2023", 50.0, None),
        (RATE, "P48", "2024", 55.5, None),
    ]
    assert props[0].evidence.period.text == "Năm 2023"


def test_a_table_whose_headings_name_nothing_stays_flagged(catalogue: Catalogue, tmp_path: Path) -> None:
    text, props = _extract(
        catalogue,
        _docx_file(
            tmp_path,
            ["Báo cáo tình hình chuyển đổi số năm 2024", "Bảng 4. Kết quả"],
            [
                ["Chỉ tiêu", "Chỉ số A", "Chỉ số B"],
                ["Tỷ lệ hồ sơ trực tuyến toàn trình", "45%", "50%"],
                ["Hà Nội", "40,1%", "45,8%"],
            ],
        ),
    )
    in_table = [p for p in props if p.where.line in _rows(text)]
    assert in_table and all(p.flagged and p.reason for p in in_table)
    # the generic reader's flag says what the table reader missed: the heading it could not read
    assert next(p.reason or "" for p in in_table if p.value == 45).startswith("bảng: tiêu đề cột «Chỉ số A»")


def test_a_pdf_table_reads_as_the_docx_one(catalogue: Catalogue, tmp_path: Path) -> None:
    title = "Báo cáo chuyển đổi số năm 2025"
    caption = "Bảng 2. Tỷ lệ hồ sơ trực tuyến toàn trình của các địa phương, 9 tháng đầu năm 2025"
    rows = [["Tỉnh", "Tỷ lệ (%)", "Mục tiêu 2025"], ["Hà Nội", "45,8", "50"], ["Thanh Hóa", "38,2", "40"]]
    cells = ", ".join(f"[{c}]" for row in rows for c in row)
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(_pdf(f"{title}\n\n{caption}\n\n#table(columns: 3, {cells})"))
    text, props = _extract(catalogue, pdf)
    got = _figures(props, _rows(text))
    assert got == [
        (RATE, "P01", "2025-01..2025-09", 45.8, None),
        (RATE, "P01", "2025", None, 50.0),
        (RATE, "P38", "2025-01..2025-09", 38.2, None),
        (RATE, "P38", "2025", None, 40.0),
    ]
    assert {p.where.page for p in props if p.where.line in _rows(text)} == {1}
    dtext, dprops = _extract(catalogue, _docx_file(tmp_path, [title, caption], rows))
    assert _figures(dprops, _rows(dtext)) == got


def test_a_caption_of_two_periods_decides_none(catalogue: Catalogue, tmp_path: Path) -> None:
    text, props = _extract(
        catalogue,
        _docx_file(
            tmp_path,
            ["Báo cáo chuyển đổi số năm 2025", "Bảng 5. Tỷ lệ hồ sơ trực tuyến toàn trình năm 2024 và năm 2025"],
            [["Tỉnh", "Tỷ lệ (%)"], ["Hà Nội", "45,8"]],
        ),
    )
    in_table = [p for p in props if p.where.line in _rows(text)]
    assert in_table and all(p.flagged and p.reason and "kỳ" in p.reason for p in in_table)


def test_a_caption_of_a_day_or_a_headerless_table_decides_nothing(catalogue: Catalogue, tmp_path: Path) -> None:
    caption = "Bảng 6. Tỷ lệ hồ sơ trực tuyến toàn trình tính đến ngày 30/9/2025"
    text, props = _extract(
        catalogue,
        _docx_file(tmp_path, ["Báo cáo chuyển đổi số năm 2025", caption], [["Tỉnh", "Tỷ lệ (%)"], ["Hà Nội", "45,8"]]),
    )
    assert not _figures(props, _rows(text))
    # a table going on from the page before: its first row holds figures, no headings
    text, props = _extract(
        catalogue,
        _docx_file(
            tmp_path,
            ["Báo cáo chuyển đổi số năm 2025", "Bảng 7. Tỷ lệ hồ sơ trực tuyến toàn trình (%)"],
            [["Cả nước", "45,8"], ["Hà Nội", "40,1"], ["Đà Nẵng", "50"]],
        ),
    )
    assert not _figures(props, _rows(text))


def test_a_pdf_page_opening_with_a_table(catalogue: Catalogue, tmp_path: Path) -> None:
    caption = "Bảng 2. Tỷ lệ hồ sơ trực tuyến toàn trình của các địa phương, 9 tháng đầu năm 2025"
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(
        _pdf(
            f"Báo cáo chuyển đổi số năm 2025\n\n{caption}",
            "#table(columns: 3, [Tỉnh], [Tỷ lệ (%)], [Mục tiêu 2025], [Hà Nội], [45,8], [50])",
        )
    )
    text, props = _extract(catalogue, pdf)
    rows = {n for n, line in enumerate(text.split("\n"), start=1) if line.lstrip("\f").startswith("\t")}
    assert [(p.unit, p.period, p.value, p.target, p.where.page) for p in props if p.where.line in rows] == [
        ("P01", "2025-01..2025-09", 45.8, None, 2),
        ("P01", "2025", None, 50.0, 2),
    ]
    line = text.split("\n")[props[0].where.line - 1].replace("\f", " ")
    assert line[props[0].where.start : props[0].where.end] == "45,8"


def test_a_heading_scales_its_figures_and_a_signed_figure_is_no_value(catalogue: Catalogue, tmp_path: Path) -> None:
    text, props = _extract(
        catalogue,
        _docx_file(
            tmp_path,
            ["Báo cáo chuyển đổi số năm 2024", "Bảng 8. Số tài khoản trên Cổng Dịch vụ công quốc gia"],
            [["Phạm vi", "Số lượng (triệu)", "Năm 2023 (triệu)"], ["Cả nước", "14,6", "-1,5"]],
        ),
    )
    assert _figures(props, _rows(text)) == [("portal_accounts", "VN", "2024", 14_600_000, None)]
