"""Import file readers: CSV, XLSX and DHIS2 dataValueSets JSON, read from real files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from chiso.catalogue.periods import Period
from chiso.errors import ImportFileError, UnknownPeriodError
from chiso.ingest.files import RawRow, dhis2_period, read_value_rows, render_number


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def by_number(rows: list[RawRow]) -> dict[int, dict[str, str | None]]:
    return {r.number: r.fields for r in rows}


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_comma_english_headers(tmp_path: Path) -> None:
    f = write(
        tmp_path / "v.csv",
        "code,unit,period,value,comment\n"
        "dossier_full_online_rate, VN ,2024-04, 63.47 ,\n"
        "portal_accounts,VN,2024,2800000,lũy kế đến nay\n",
    )
    fmt, rows = read_value_rows(f)
    assert fmt == "csv"
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].fields == {
        "code": "dossier_full_online_rate",
        "unit": "VN",
        "period": "2024-04",
        "value": "63.47",
        "comment": None,
    }
    assert rows[1].fields["comment"] == "lũy kế đến nay"
    assert rows[0].problems == ()


def test_csv_semicolon_vietnamese_headers_keep_decimal_comma_as_text(tmp_path: Path) -> None:
    f = write(
        tmp_path / "v.csv",
        "Mã;Đơn vị;Kỳ;Giá trị;Xấp xỉ;Nguồn;Ghi chú;Mục tiêu\n"
        "dossier_full_online_rate;Đà Nẵng;2024S1;63,47;x;Báo cáo 123/BC-BTTTT;gần;80\n",
    )
    fmt, rows = read_value_rows(f)
    assert fmt == "csv"
    assert rows == [
        RawRow(
            2,
            {
                "code": "dossier_full_online_rate",
                "unit": "Đà Nẵng",
                "period": "2024S1",
                "value": "63,47",  # the validator, not the reader, decides what a number is
                "approximate": "x",
                "source": "Báo cáo 123/BC-BTTTT",
                "comment": "gần",
                "target": "80",
            },
        )
    ]


def test_csv_bom_crlf_headers_without_diacritics_and_parts(tmp_path: Path) -> None:
    f = write(
        tmp_path / "v.csv",
        "\ufeffMA,Don Vi,ky,tu so,mau so\r\ndossier_on_time_rate,da nang,2024Q3,950,1000\r\n",
    )
    _, rows = read_value_rows(f)
    assert rows[0].number == 2
    assert rows[0].fields == {
        "code": "dossier_on_time_rate",
        "unit": "da nang",
        "period": "2024Q3",
        "numerator": "950",
        "denominator": "1000",
    }


def test_csv_tab_delimited(tmp_path: Path) -> None:
    f = write(tmp_path / "v.csv", "code\tunit\tperiod\tvalue\nportal_services\tVN\t2024-W15\t4500\n")
    _, rows = read_value_rows(f)
    assert rows[0].fields == {"code": "portal_services", "unit": "VN", "period": "2024-W15", "value": "4500"}


def test_csv_blank_lines_keep_row_numbers(tmp_path: Path) -> None:
    f = write(
        tmp_path / "v.csv",
        "\ncode,unit,period,value\n"  # line 1 blank: the header is line 2
        "a,VN,2024,1\n"  # line 3
        "\n"  # line 4
        "   \n"  # line 5
        ",,,\n"  # line 6: only delimiters
        'b,VN,2024,"2"\n'  # line 7
        "c,VN,2024,3,\n"  # line 8: trailing empty cell
        "d,VN\n",  # line 9: short row
    )
    _, rows = read_value_rows(f)
    assert [r.number for r in rows] == [3, 7, 8, 9]
    assert by_number(rows)[7]["value"] == "2"
    assert by_number(rows)[8]["value"] == "3"
    assert by_number(rows)[9] == {"code": "d", "unit": "VN", "period": None, "value": None}


def test_csv_quoted_multiline_comment_numbers_rows_by_first_line(tmp_path: Path) -> None:
    f = write(
        tmp_path / "v.csv",
        'code,unit,period,value,comment\na,VN,2024,1,"line one\nline two, with comma"\nb,VN,2024,2,\n',
    )
    _, rows = read_value_rows(f)
    assert [r.number for r in rows] == [2, 4]
    assert rows[0].fields["comment"] == "line one\nline two, with comma"


def test_csv_nameless_empty_column_is_ignored(tmp_path: Path) -> None:
    f = write(tmp_path / "v.csv", "code,unit,period,value,\na,VN,2024,1,\n")
    _, rows = read_value_rows(f)
    assert rows[0].fields == {"code": "a", "unit": "VN", "period": "2024", "value": "1"}


def test_csv_header_only_gives_no_rows(tmp_path: Path) -> None:
    f = write(tmp_path / "v.csv", "code,unit,period,value\n")
    assert read_value_rows(f) == ("csv", [])


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("code,unit,value\na,VN,1\n", ["'period'"]),
        ("unit,period,value\nVN,2024,1\n", ["'code'"]),
        ("code,unit,period\na,VN,2024\n", ["'value'", "numerator"]),
        ("code,unit,period,numerator\na,VN,2024,1\n", ["'denominator'"]),
        ("code,unit,period,mẫu số\na,VN,2024,1\n", ["'numerator'"]),
    ],
)
def test_csv_missing_required_column(tmp_path: Path, text: str, named: list[str]) -> None:
    f = write(tmp_path / "missing.csv", text)
    with pytest.raises(ImportFileError) as info:
        read_value_rows(f)
    message = str(info.value)
    assert str(f) in message
    assert "missing required column" in message
    for name in named:
        assert name in message


def test_csv_unknown_column(tmp_path: Path) -> None:
    f = write(tmp_path / "unknown.csv", "code,unit,period,value,colour\na,VN,2024,1,red\n")
    with pytest.raises(ImportFileError) as info:
        read_value_rows(f)
    assert info.value.file == str(f)
    assert "'colour'" in info.value.reason
    assert "expected columns" in info.value.reason and "period (kỳ)" in info.value.reason


def test_csv_duplicate_column(tmp_path: Path) -> None:
    f = write(tmp_path / "dup.csv", "code,unit,period,value,Mã\na,VN,2024,1,b\n")
    with pytest.raises(ImportFileError) as info:
        read_value_rows(f)
    message = str(info.value)
    assert str(f) in message
    assert "duplicate column 'Mã'" in message and "'code'" in message


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n \n\r\n"])
def test_csv_empty_file(tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "empty.csv"
    f.write_bytes(content)
    with pytest.raises(ImportFileError, match="empty") as info:
        read_value_rows(f)
    assert str(f) in str(info.value)


def test_csv_not_utf8(tmp_path: Path) -> None:
    f = write(tmp_path / "latin.csv", "code,unit,period,value,comment\na,VN,2024,1,café\n", encoding="latin-1")
    with pytest.raises(ImportFileError) as info:
        read_value_rows(f)
    message = str(info.value)
    assert str(f) in message and "UTF-8" in message and "line 2" in message


def test_csv_binary_file_renamed(tmp_path: Path) -> None:
    f = tmp_path / "binary.csv"
    f.write_bytes("code,unit,period,value\na,VN,2024,1\n".encode("utf-16-le"))  # UTF-16 without BOM
    with pytest.raises(ImportFileError, match="NUL characters in line 1"):
        read_value_rows(f)


def test_csv_extra_cells_from_decimal_comma(tmp_path: Path) -> None:
    f = write(tmp_path / "comma.csv", "code,unit,period,value\na,VN,2024,1\nb,VN,2024,63,47\n")
    with pytest.raises(ImportFileError) as info:
        read_value_rows(f)
    message = str(info.value)
    assert str(f) in message and "row 3" in message and "'47'" in message


def test_csv_cells_under_a_nameless_column_are_refused(tmp_path: Path) -> None:
    f = write(tmp_path / "nameless.csv", "code,unit,,period,value\na,VN,x,2024,1\n")
    with pytest.raises(ImportFileError, match="column 3 has values but no name"):
        read_value_rows(f)


# --- file types ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["values.txt", "values.xls", "values"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    f = write(tmp_path / name, "code,unit,period,value\n")
    with pytest.raises(ImportFileError) as info:
        read_value_rows(f)
    message = str(info.value)
    assert str(f) in message
    assert ".csv" in message and ".xlsx" in message and ".json" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        read_value_rows(tmp_path / "absent.csv")


# --- XLSX ---------------------------------------------------------------------------------------


def save_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    first = True
    for title, grid in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        first = False
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)
    book.save(path)
    return path


def test_xlsx_numbers_render_losslessly(tmp_path: Path) -> None:
    f = save_workbook(
        tmp_path / "v.xlsx",
        {
            "Sheet1": [
                ["Mã", "Đơn vị", "Kỳ", "Giá trị", "Xấp xỉ", "Ghi chú"],
                ["dossier_full_online_rate", "VN", "2024-04", 63.47, None, "  "],
                ["portal_accounts", "VN", "2024", 2800000, True, None],
                [None, None, None, None, None, None],  # row 4 blank
                ["portal_payment_value_vnd", "VN", "2024", 2800000.0, False, None],
                ["x", "VN", "2024", 1e-7, None, None],
                ["y", "VN", "2024", 2.8e16, None, None],
                ["z", "VN", "2024", 1 / 3, None, 12],
            ]
        },
    )
    fmt, rows = read_value_rows(f)
    assert fmt == "xlsx"
    got = by_number(rows)
    assert sorted(got) == [2, 3, 5, 6, 7, 8]
    assert got[2] == {
        "code": "dossier_full_online_rate",
        "unit": "VN",
        "period": "2024-04",
        "value": "63.47",
        "approximate": None,
        "comment": None,
    }
    assert got[3]["value"] == "2800000" and got[3]["approximate"] == "true"
    assert got[5]["value"] == "2800000" and got[5]["approximate"] == "false"
    assert got[6]["value"] == "0.0000001"
    assert got[7]["value"] == "28000000000000000"
    assert got[8]["value"] == "0.3333333333333333" and float(got[8]["value"]) == 1 / 3
    assert got[8]["comment"] == "12"
    for fields in got.values():
        assert "e" not in (fields["value"] or "").lower()


def test_xlsx_prefers_values_sheet(tmp_path: Path) -> None:
    f = save_workbook(
        tmp_path / "v.xlsx",
        {
            "Hướng dẫn": [["Read me first"]],
            "Giá trị": [["code", "unit", "period", "value"], ["a", "VN", "2024Q1", 5]],
        },
    )
    _, rows = read_value_rows(f)
    # the 5 is an Excel number cell: its text is marked as written by a program
    fields = {"code": "a", "unit": "VN", "period": "2024Q1", "value": "5"}
    assert rows == [RawRow(2, fields, machine=frozenset({"value"}))]


def test_xlsx_date_in_period_cell_is_refused_per_row(tmp_path: Path) -> None:
    f = save_workbook(
        tmp_path / "v.xlsx",
        {
            "values": [
                ["code", "unit", "period", "value"],
                ["a", "VN", datetime(2024, 4, 1), 5],
                ["b", "VN", "2024-04", 6],
            ]
        },
    )
    _, rows = read_value_rows(f)
    dated, typed = rows
    period = dated.fields["period"]
    assert period is not None and period.startswith("2024-04-01T")
    with pytest.raises(UnknownPeriodError):  # never silently a day period
        Period.parse(period)
    assert len(dated.problems) == 1
    problem = dated.problems[0]
    assert (problem.row, problem.field) == (2, "period")
    assert problem.reason == "period_is_a_date" and "2024-04" in problem.render("en")
    assert typed.fields["period"] == "2024-04" and typed.problems == ()


def test_xlsx_missing_column_names_the_sheet(tmp_path: Path) -> None:
    f = save_workbook(tmp_path / "bad.xlsx", {"Sheet1": [["code", "unit", "value"], ["a", "VN", 1]]})
    with pytest.raises(ImportFileError) as info:
        read_value_rows(f)
    message = str(info.value)
    assert str(f) in message and "'period'" in message and "Sheet1" in message


def test_xlsx_duplicate_column(tmp_path: Path) -> None:
    f = save_workbook(tmp_path / "dup.xlsx", {"Sheet1": [["code", "unit", "period", "value", "Giá trị"]]})
    with pytest.raises(ImportFileError, match="duplicate column 'Giá trị'"):
        read_value_rows(f)


def test_xlsx_empty_sheet(tmp_path: Path) -> None:
    f = save_workbook(tmp_path / "empty.xlsx", {"Sheet1": []})
    with pytest.raises(ImportFileError, match="empty"):
        read_value_rows(f)


def test_xlsx_not_a_workbook(tmp_path: Path) -> None:
    f = write(tmp_path / "fake.xlsx", "code,unit,period,value\n")
    with pytest.raises(ImportFileError) as info:
        read_value_rows(f)
    assert str(f) in str(info.value) and ".xlsx" in str(info.value)


# --- DHIS2 dataValueSets ------------------------------------------------------------------------


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("dhis2", "contract"),
    [
        ("2024", "2024"),
        ("2024S1", "2024S1"),
        ("2024Q3", "2024Q3"),
        ("202404", "2024-04"),
        ("2024W15", "2024-W15"),
        ("2024W5", "2024-W05"),
        ("20240415", "2024-04-15"),
        ("2024-04", "2024-04"),
        ("2024-W15", "2024-W15"),
        ("2024-04-15", "2024-04-15"),
        ("2024-01..2024-09", "2024-01..2024-09"),
        ("2024BiW1", "2024BiW1"),  # no contract form: left for the validator to refuse by name
    ],
)
def test_dhis2_periods(tmp_path: Path, dhis2: str, contract: str) -> None:
    assert dhis2_period(dhis2) == contract
    f = write_json(
        tmp_path / "dvs.json",
        {"dataValues": [{"dataElement": "portal_services", "orgUnit": "VN", "period": dhis2, "value": "1"}]},
    )
    fmt, rows = read_value_rows(f)
    assert fmt == "datavaluesets"
    assert rows[0].fields["period"] == contract


def test_datavaluesets_combines_parts_and_applies_defaults(tmp_path: Path) -> None:
    f = write_json(
        tmp_path / "dvs.json",
        {
            "dataSet": "CDS",
            "period": "202404",
            "orgUnit": "VN",
            "dataValues": [
                {
                    "dataElement": "dossier_on_time_rate",
                    "orgUnit": "DNG",
                    "categoryOptionCombo": "Numerator",
                    "value": "950",
                },
                {"dataElement": "portal_accounts", "value": "2800000", "followup": True, "comment": "hơn 2,8 triệu"},
                {
                    "dataElement": "dossier_on_time_rate",
                    "orgUnit": "DNG",
                    "categoryOptionCombo": "DENOMINATOR",
                    "value": "1000",
                },
                {"dataElement": "dossier_on_time_rate", "orgUnit": "DNG", "period": "2024-04", "value": "95"},
                {"dataElement": "gci_score", "period": "2024", "value": 99.4, "approximate": False},
                {"dataElement": "chip_id_cards", "period": "2024", "value": 1e-7, "categoryOptionCombo": "default"},
                {"dataElement": "chip_id_cards", "period": "2024", "value": 2800000, "source": "doc-7"},
            ],
        },
    )
    _, rows = read_value_rows(f)
    got = by_number(rows)
    assert sorted(got) == [1, 2, 5, 6, 7]
    assert got[1] == {
        "code": "dossier_on_time_rate",
        "unit": "DNG",
        "period": "2024-04",  # 202404 and 2024-04 are the same period, so they join
        "numerator": "950",
        "denominator": "1000",
        "value": "95",
    }
    assert got[2] == {
        "code": "portal_accounts",
        "unit": "VN",
        "period": "2024-04",
        "value": "2800000",
        "approximate": "true",
        "comment": "hơn 2,8 triệu",
    }
    assert got[5]["value"] == "99.4" and got[5]["approximate"] == "false"
    assert got[6]["value"] == "0.0000001"  # a JSON number keeps its digits, never an exponent
    # A second value for the same key starts its own row, so the validator sees the repeat.
    assert got[7] == {
        "code": "chip_id_cards",
        "unit": "VN",
        "period": "2024",
        "value": "2800000",
        "source": "doc-7",
    }


def test_datavaluesets_json_numbers_keep_their_digits(tmp_path: Path) -> None:
    f = write(
        tmp_path / "dvs.json",
        '{"dataValues": [{"dataElement": "a", "orgUnit": "VN", "period": "2024", "value": 12.345678901234567890123},'
        ' {"dataElement": "b", "orgUnit": "VN", "period": "2024", "value": 2.8e6}]}',
    )
    _, rows = read_value_rows(f)
    assert [r.fields["value"] for r in rows] == ["12.345678901234567890123", "2800000"]  # no float cut, no exponent


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"dataValues": [', "malformed JSON at line 1"),
        ("", "empty"),
        ("[]", '"dataValues" list'),
        ('{"dataSet": "x"}', '"dataValues" list'),
        ('{"dataValues": {"a": 1}}', '"dataValues" list'),
        ('{"idScheme": "UID", "dataValues": []}', "idScheme 'UID' is not supported; expected CODE"),
        ('{"dataValues": [1]}', "dataValues[0]"),
        (
            '{"dataValues": [{"dataElement": "a", "orgUnit": "VN", "period": "2024", "categoryOptionCombo": "male"}]}',
            "categoryOptionCombo 'male' is not supported",
        ),
    ],
)
def test_datavaluesets_errors(tmp_path: Path, content: str, expected: str) -> None:
    f = write(tmp_path / "dvs.json", content)
    with pytest.raises(ImportFileError) as info:
        read_value_rows(f)
    assert str(f) in str(info.value)
    assert expected in str(info.value)


def test_datavaluesets_not_utf8(tmp_path: Path) -> None:
    f = write(tmp_path / "dvs.json", '{"dataValues": [{"comment": "café"}]}', encoding="latin-1")
    with pytest.raises(ImportFileError, match="UTF-8"):
        read_value_rows(f)


# --- helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (63.47, "63.47"),
        (2800000, "2800000"),
        (2800000.0, "2800000"),
        (2.8e6, "2800000"),
        (1e-7, "0.0000001"),
        (-0.5, "-0.5"),
    ],
)
def test_render_number(number: float, text: str) -> None:
    assert render_number(number) == text
    assert float(text) == number
