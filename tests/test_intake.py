"""One intake path for a figure (chiso.ingest.intake): import files, the shipped datasets, figures read back
from a report and data-entry forms all check a figure by the same rules and give the same value; one column
contract (chiso.catalogue.columns) for the reader, the exporter and the rejects file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
import yaml

from chiso import app as core
from chiso import auth, workflow
from chiso.catalogue import Catalogue
from chiso.catalogue.columns import EXPORT_COLUMNS, FIELDS, REJECT_COLUMNS
from chiso.catalogue.models import SourceDocument
from chiso.catalogue.records import Origin, ValueInput
from chiso.errors import DefinitionError, ValidationError
from chiso.ingest.dataset import load_dataset
from chiso.ingest.extract import Proposal, Where
from chiso.ingest.intake import Figure, check_figure, check_figures, check_proposals
from chiso.report.exports import CSV_COLUMNS, export_csv

RATE, STOCK, AVERAGE = "dossier_full_online_rate", "community_dx_teams", "ndxp_transactions_per_day"


def rules(batch_or_problems: object) -> list[tuple[int | None, str | None, str]]:
    problems = getattr(batch_or_problems, "problems", batch_or_problems)
    assert isinstance(problems, list)
    return [(p.row, p.field, p.reason) for p in problems]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# --- one column contract ---------------------------------------------------------------------------------------


def test_one_column_contract() -> None:
    assert CSV_COLUMNS == EXPORT_COLUMNS == tuple(c for c in FIELDS if c != "target")
    assert ("row", *FIELDS, "reason") == REJECT_COLUMNS
    assert FIELDS[:6] == ("code", "unit", "period", "value", "numerator", "denominator")


# --- the rules, once -------------------------------------------------------------------------------------------


def test_a_figure_is_checked_whatever_path_it_takes(catalogue: Catalogue) -> None:
    """The same figure, as a file's row, a dataset entry, a proposal and a form entry: the same value."""
    row = check_figure(
        catalogue,
        Figure.of_fields(
            {"code": RATE, "unit": "Đà Nẵng", "period": "2024Q3", "numerator": "612", "denominator": "1.000,0"}
        ),
        row=2,
        default_source="doc",
    )
    typed = check_figure(catalogue, Figure(RATE, "P48", "2024Q3", numerator=612, denominator=1000, source="doc"))
    doc = SourceDocument(id="doc", title="Báo cáo")
    where = Where(7, 0, 4, "…")
    proposed = check_proposals(
        catalogue, doc, [Proposal(RATE, "P48", "2024Q3", None, where, numerator=612.0, denominator=1000.0)]
    )
    assert row.problems == typed.problems == proposed.problems == []
    assert row.value is not None and row.value.value == 61.2 and row.value.unit == "P48"
    assert row.value == typed.value == proposed.values[0].model_copy(update={"paragraph": None})
    assert proposed.values[0].paragraph == 7  # the line it stands on


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"code": "nope", "unit": "P48", "period": "2024"}, [(5, "code", "unknown.indicator")]),
        ({"code": RATE, "unit": "P48", "period": "2024", "value": "101"}, [(5, "value", "above_range")]),
        ({"code": RATE, "unit": "P48", "period": "2024", "numerator": "5"}, [(5, "denominator", "parts_need_both")]),
        (
            {"code": RATE, "unit": "P48", "period": "2024", "numerator": "6", "denominator": "5"},
            [(5, "numerator", "numerator_above_denominator")],
        ),
        (
            {"code": RATE, "unit": "P48", "period": "2024", "value": "50", "numerator": "1", "denominator": "4"},
            [(5, "value", "value_disagrees_with_parts")],
        ),
        ({"code": STOCK, "unit": "P48", "period": "2024", "value": "1,5"}, [(5, "value", "not_whole")]),
        ({"code": STOCK, "unit": "P48", "period": "2024", "value": "1.500"}, []),  # 1500
        ({"code": AVERAGE, "unit": "VN", "period": "2024", "value": "1.500"}, [(5, "value", "ambiguous_number")]),
        (
            {"code": RATE, "unit": "P48", "period": "2024-04", "value": "5", "target": "60"},
            [(5, "target", "target_period")],
        ),
        ({"code": RATE, "unit": "P48", "period": "2024", "target": "160"}, [(5, "target", "above_range")]),
        ({"code": RATE, "unit": "P48", "period": "2024"}, [(5, "value", "value_or_parts")]),
        (
            {"code": RATE, "unit": "P48", "period": "2024", "value": "5", "approximate": "hmm"},
            [(5, "approximate", "not_a_bool")],
        ),
        (
            {"code": RATE, "unit": "P48", "period": "2024", "value": "5", "paragraph": "4a"},
            [(5, "paragraph", "not_a_paragraph")],
        ),
        (
            {"code": RATE, "unit": "P48", "period": "2024", "value": "5", "qualifier": "x" * 41},
            [(5, "qualifier", "too_long")],
        ),
        (
            {"code": RATE, "unit": "P02", "period": "2025-12"},
            [(5, "unit", "unit_not_valid"), (5, "value", "value_or_parts")],
        ),
    ],
)
def test_rules(catalogue: Catalogue, fields: dict[str, str], expected: list[tuple[int, str, str]]) -> None:
    out = check_figure(catalogue, Figure.of_fields(fields), row=5, default_source="f.csv")
    assert rules(out.problems) == expected
    assert (out.value is None and out.target is None) == bool(expected)


def test_a_group_takes_a_value_only_as_published(catalogue: Catalogue) -> None:
    published = Figure(RATE, "provinces", "2024", value=18.54, source="doc")
    assert check_figure(catalogue, published).problems == []
    assert rules(check_figure(catalogue, published, group_values=False).problems) == [
        (None, "unit", "group_value_kind")
    ]
    computed = Figure(RATE, "VN", "2024", value=60, origin=Origin.COMPUTED)
    assert rules(check_figure(catalogue, computed).problems) == [(None, "unit", "group_value_kind")]
    target = Figure(RATE, "provinces", "2025", target=70, source="doc")  # a group's target is fine anywhere
    assert check_figure(catalogue, target, group_values=False).target is not None


def test_one_value_and_one_target_per_key(catalogue: Catalogue) -> None:
    batch = check_figures(
        catalogue,
        [
            (2, Figure(RATE, "P48", "2024", value=60, target=70, source="a")),
            (3, Figure(RATE, "Đà Nẵng", "2024", value=61, source="a")),  # the same value key
            (4, Figure(RATE, "P48", "2024", value=62, source="b")),  # another source: another value
            (5, Figure(RATE, "P48", "2024", target=75, source="b")),  # but one target per key
        ],
    )
    assert rules(batch) == [(3, None, "duplicate_row"), (5, "target", "duplicate_row")]
    assert [p.params for p in batch.problems] == [{"other": 2}, {"other": 2}]
    assert [v.value for v in batch.values] == [60, 62] and [t.value for t in batch.targets] == [70]


# --- import files ----------------------------------------------------------------------------------------------


def test_import_reads_numbers_as_a_vietnamese_user_means_them(workspace: core.Workspace, tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "vn.csv",
        [
            ["mã", "đơn vị", "kỳ", "giá trị"],
            [STOCK, "P48", "2024-04", "1.234"],  # a stock: one thousand two hundred and thirty-four
            [RATE, "P48", "2024-04", "45,8"],
            ["procedures_full_online_rate", "P48", "2024-04", "45.8"],  # a lone dot before one digit: 45,8
            ["e_result_rate", "P48", "2024-04", "1.234"],  # a rate cannot be 1234 %: 1,234
            [AVERAGE, "VN", "2024-04", "1.234"],  # could be either: asked
            ["community_dx_team_members", "P48", "2024-04", "12,5"],  # a stock with a decimal part
        ],
    )
    with pytest.raises(ValidationError) as info:
        core.import_file(workspace, f, actor="t")
    assert rules(info.value.problems) == [(6, "value", "ambiguous_number"), (7, "value", "not_whole")]
    assert workspace.store.values() == []  # all or nothing

    res = core.import_file(workspace, f, actor="t", keep_good=True)
    got = {v.indicator: v.value for v in workspace.store.values()}
    assert got == {STOCK: 1234, RATE: 45.8, "procedures_full_online_rate": 45.8, "e_result_rate": 1.234}
    assert res.rejects_file is not None
    rejected = list(csv.reader(res.rejects_file.open(encoding="utf-8")))
    assert tuple(rejected[0]) == REJECT_COLUMNS
    assert rejected[1][:5] == ["6", AVERAGE, "VN", "2024-04", "1.234"]
    assert "1.234 có thể là 1234 hoặc 1,234: viết 1234 hoặc 1,234" in rejected[1][-1]
    assert "số nguyên" in rejected[2][-1]


def test_numbers_a_program_wrote_are_machine_numbers(workspace: core.Workspace, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["code", "unit", "period", "value"],
        [AVERAGE, "VN", "2024-04", 1.234],
        [AVERAGE, "VN", "2024-05", "1.234"],
    ):
        sheet.append(row)
    book.save(tmp_path / "v.xlsx")
    with pytest.raises(ValidationError) as info:  # the number cell is 1,234; the text cell is asked about
        core.import_file(workspace, tmp_path / "v.xlsx", actor="t")
    assert rules(info.value.problems) == [(3, "value", "ambiguous_number")]

    doc = {"dataValues": [{"dataElement": AVERAGE, "orgUnit": "VN", "period": "202406", "value": "1.234"}]}
    (tmp_path / "v.json").write_text(json.dumps(doc), encoding="utf-8")
    core.import_file(workspace, tmp_path / "v.json", actor="t")  # DHIS2 values are machine numbers
    assert [v.value for v in workspace.store.values(period="2024-06")] == [1.234]


def test_a_row_may_bring_a_target_alone_and_the_reader_s_problems_count(
    workspace: core.Workspace, tmp_path: Path
) -> None:
    f = write_csv(
        tmp_path / "t.csv",
        [["code", "unit", "period", "value", "target", "comment"], [RATE, "provinces", "2025", "", "75,5", "kế hoạch"]],
    )
    res = core.import_file(workspace, f, actor="t")
    assert (res.written.inserted, res.targets.inserted) == (0, 1)
    [tg] = workspace.store.targets()
    assert (tg.value, tg.unit, tg.source, tg.note) == (75.5, "provinces", "import:t.csv", "kế hoạch")

    from datetime import datetime

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "unit", "period", "value"])
    sheet.append([RATE, "P48", datetime(2024, 4, 1), 50])
    book.save(tmp_path / "d.xlsx")
    with pytest.raises(ValidationError) as info:
        core.import_file(workspace, tmp_path / "d.xlsx", actor="t")
    assert rules(info.value.problems)[0] == (2, "period", "period_is_a_date")


def test_an_export_imports_again_unchanged(workspace: core.Workspace, tmp_path: Path) -> None:
    values = [
        ValueInput(indicator=AVERAGE, unit="VN", period="2024-04", value=1.234, source="doc"),  # three decimals
        ValueInput(indicator=RATE, unit="P48", period="2024", value=61.2, numerator=612, denominator=1000, source="d"),
        ValueInput(
            indicator=STOCK,
            unit="P48",
            period="2024",
            value=2_800_000,
            approximate=True,
            qualifier="hơn",
            paragraph=4,
            comment='hơn 2,8 triệu; "lũy kế"',
            source="Báo cáo 1",
        ),
    ]
    workspace.store.write_values(values, actor="seed")
    text = export_csv(core.select_values(workspace))
    assert "1.2340" in text  # not "1.234", which a person reads as 1234
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    res = core.import_file(workspace, path, actor="again")
    assert (res.written.inserted, res.written.updated, res.written.unchanged) == (0, 0, 3)


# --- the shipped datasets ----------------------------------------------------------------------------------------


def _dataset(tmp_path: Path, values: list[dict[str, object]], targets: list[dict[str, object]] | None = None) -> Path:
    root = tmp_path / "ds" / "mini"
    root.mkdir(parents=True)
    (root / "sources.yaml").write_text(yaml.safe_dump({"sources": [{"id": "s1", "title": "Báo cáo"}]}), "utf-8")
    (root / "values.yaml").write_text(yaml.safe_dump({"values": values}, allow_unicode=True), "utf-8")
    (root / "targets.yaml").write_text(yaml.safe_dump({"targets": targets or []}), "utf-8")
    return root.parent


def test_the_dataset_loader_uses_the_intake(tmp_path: Path, catalogue: Catalogue) -> None:
    good = {"indicator": RATE, "unit": "Đà Nẵng", "period": 2024, "value": 61.2, "source": "s1", "paragraph": 3}
    base = _dataset(tmp_path, [good], [{"indicator": RATE, "unit": "provinces", "period": "2025", "value": 70}])
    ds = load_dataset("mini", catalogue, base)
    assert [(v.unit, v.period, v.value, v.paragraph) for v in ds.values] == [("P48", "2024", 61.2, 3)]
    assert [(t.unit, t.value) for t in ds.targets] == [("provinces", 70)]


@pytest.mark.parametrize(
    ("values", "targets", "where", "says"),
    [
        (
            [{"indicator": "nope", "unit": "P48", "period": "2024", "value": 1, "source": "s1"}],
            [],
            "entry 1 (nope, P48, 2024)",
            "unknown indicator code 'nope'",
        ),
        (
            [{"indicator": RATE, "unit": "P48", "period": "2024", "value": 140, "source": "s1"}],
            [],
            "entry 1",
            "above the highest allowed value 100",
        ),
        (
            [{"indicator": RATE, "unit": "P48", "period": "2024", "value": 40, "source": "s1"}] * 2,
            [],
            "entry 2",
            "repeats row 1",
        ),
        (
            [{"indicator": RATE, "unit": "P48", "period": "2024", "value": 40, "source": "s9"}],
            [],
            "entry 1",
            "'s9' is not in sources.yaml",
        ),
        (
            [],
            [{"indicator": RATE, "unit": "P48", "period": "2024-04", "value": 40}],
            "entry 1",
            "a target is set for a year or a quarter",
        ),
    ],
)
def test_a_broken_dataset_names_its_file_and_entry(
    tmp_path: Path,
    catalogue: Catalogue,
    values: list[dict[str, object]],
    targets: list[dict[str, object]],
    where: str,
    says: str,
) -> None:
    with pytest.raises(DefinitionError) as info:
        load_dataset("mini", catalogue, _dataset(tmp_path, values, targets))
    message = str(info.value)
    assert where in message and says in message
    assert ("targets.yaml" if targets else "values.yaml") in message


# --- forms ------------------------------------------------------------------------------------------------------


def test_a_form_checks_through_the_intake(workspace: core.Workspace) -> None:
    ws = workspace
    user = auth.user_of(ws.store.users.create("dn", "dn", "mật-khẩu-đủ-dài", "reporter", "P48"))
    view = workflow.open_form(ws, user, "province_monthly", "P48", "2024-04")
    problems = workflow.check_entries(
        ws,
        view,
        [
            workflow.Entry(STOCK, 12.5),
            workflow.Entry(RATE, 140),
            workflow.Entry("portal_accounts", 1),
        ],
    )
    assert [(p.field, p.reason) for p in problems] == [
        (STOCK, "not_whole"),
        (RATE, "above_range"),
        ("portal_accounts", "not_in_dataset"),
    ]
