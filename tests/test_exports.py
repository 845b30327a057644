"""Export writers: chiso CSV and dataValueSets round-trip through the import reader; SDMX-CSV is read by sdmx1."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sdmx

from chiso.catalogue.periods import Period
from chiso.catalogue.records import Origin, StoredValue
from chiso.errors import UnknownPeriodError
from chiso.ingest.files import read_value_rows
from chiso.report.exports import (
    CSV_COLUMNS,
    dhis2_period,
    export_csv,
    export_datavaluesets,
    export_sdmx_csv,
    number_text,
    sdmx_structure,
    sdmx_structure_xml,
    sdmx_time_period,
)

WHEN = datetime(2024, 10, 5, 9, 30)


def stored(id: int, indicator: str, unit: str, period: str, value: float | None, **kw: Any) -> StoredValue:
    fields: dict[str, Any] = {
        "id": id,
        "indicator": indicator,
        "unit": unit,
        "period": period,
        "value": value,
        "numerator": None,
        "denominator": None,
        "approximate": False,
        "qualifier": None,
        "source": "import",
        "paragraph": None,
        "comment": None,
        "origin": Origin.REPORTED,
        "status": "approved",
        "version": 1,
        "created_by": "admin",
        "created_at": WHEN,
        "updated_by": "admin",
        "updated_at": WHEN,
    }
    fields.update(kw)
    return StoredValue(**fields)


VALUES = [
    stored(1, "dossier_full_online_rate", "VN", "2024-01..2024-09", 63.47, source="doc-12", paragraph=4),
    stored(
        2,
        "portal_accounts",
        "VN",
        "2024",
        2800000.0,
        approximate=True,
        qualifier="hơn",
        comment='hơn 2,8 triệu; "lũy kế"',
        source="Báo cáo 123/BC-BTTTT",
    ),
    stored(3, "dossier_on_time_rate", "DNG", "2024Q3", 95.0, numerator=950.0, denominator=1000.0, status="draft"),
    stored(4, "online_payment_rate", "HCM", "2024S1", None, numerator=1.0, denominator=3.0, origin=Origin.COMPUTED),
    stored(5, "ndxp_transactions", "VN", "2024-04", 0.1 + 0.2),
    stored(6, "ndxp_transactions_per_day", "VN", "2024-W15", 1e-7, comment="two\nlines"),
    stored(7, "portal_payment_value_vnd", "VN", "2024-04-15", 1.29e16),
    stored(8, "egdi_rank", "VN", "2024", 71.0, source="UN E-Government Survey 2024"),
]


def expected_csv_fields(v: StoredValue) -> dict[str, str | None]:
    def num(x: float | None) -> str | None:
        return None if x is None else number_text(x)

    return {
        "code": v.indicator,
        "unit": v.unit,
        "period": v.period,
        "value": num(v.value),
        "numerator": num(v.numerator),
        "denominator": num(v.denominator),
        "approximate": "true" if v.approximate else "false",
        "qualifier": v.qualifier,
        "source": v.source,
        "paragraph": None if v.paragraph is None else str(v.paragraph),
        "comment": v.comment,
        "origin": v.origin.value,
        "status": v.status,
    }


def as_float(text: str | None) -> float | None:
    return None if text is None else float(text)


# --- number text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (63.47, "63.47"),
        (2800000.0, "2800000"),
        (2800000, "2800000"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-7, "0.0000001"),
        (1.29e16, "12900000000000000"),
        (-4.5, "-4.5"),
        (None, ""),
    ],
)
def test_number_text_is_exact_without_exponent(number: float | None, text: str) -> None:
    assert number_text(number) == text
    if number is not None:
        assert float(text) == number


def test_number_text_refuses_non_finite() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        number_text(float("nan"))


# --- chiso CSV ----------------------------------------------------------------------------------


def test_csv_header_and_round_trip(tmp_path: Path) -> None:
    text = export_csv(VALUES)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert "e-07" not in text and "e+16" not in text
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")

    fmt, rows = read_value_rows(path)
    assert fmt == "csv"
    assert len(rows) == len(VALUES)
    assert rows[0].number == 2
    for row, v in zip(rows, VALUES, strict=True):
        assert row.fields == expected_csv_fields(v)
        assert as_float(row.fields["value"]) == v.value  # bit-exact, not merely close
        assert as_float(row.fields["numerator"]) == v.numerator
        assert str(Period.parse(row.fields["period"] or "")) == v.period
    # A comment spanning two lines stays one row; later rows keep their true line numbers.
    assert rows[5].fields["comment"] == "two\nlines"
    assert rows[6].number == rows[5].number + 2


def test_csv_empty_export_reads_back_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(export_csv([]), encoding="utf-8")
    assert read_value_rows(path) == ("csv", [])


# --- DHIS2 dataValueSets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contract", "dhis2"),
    [
        ("2024", "2024"),
        ("2024S1", "2024S1"),
        ("2024Q3", "2024Q3"),
        ("2024-04", "202404"),
        ("2024-W05", "2024W5"),
        ("2024-04-15", "20240415"),
        ("2024-01..2024-09", "2024-01..2024-09"),
    ],
)
def test_dhis2_period(contract: str, dhis2: str) -> None:
    assert dhis2_period(contract) == dhis2


def test_datavaluesets_document_shape() -> None:
    document = json.loads(export_datavaluesets(VALUES))
    assert document["idScheme"] == "CODE"
    entries = [e for e in document["dataValues"] if e["dataElement"] == "dossier_on_time_rate"]
    assert [(e.get("categoryOptionCombo"), e["value"]) for e in entries] == [
        (None, "95"),
        ("numerator", "950"),
        ("denominator", "1000"),
    ]
    assert all(e["period"] == "2024Q3" and e["orgUnit"] == "DNG" for e in entries)
    month = next(e for e in document["dataValues"] if e["dataElement"] == "ndxp_transactions")
    assert month["period"] == "202404" and month["value"] == "0.30000000000000004"
    approx = next(e for e in document["dataValues"] if e["dataElement"] == "portal_accounts")
    assert approx["followup"] is True and approx["value"] == "2800000"
    # Only the parts of a rate known without its value: no empty main value is invented.
    parts = [e for e in document["dataValues"] if e["dataElement"] == "online_payment_rate"]
    assert [e.get("categoryOptionCombo") for e in parts] == ["numerator", "denominator"]


def test_datavaluesets_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(export_datavaluesets(VALUES), encoding="utf-8")

    fmt, rows = read_value_rows(path)
    assert fmt == "datavaluesets"
    assert len(rows) == len(VALUES)
    for row, v in zip(rows, VALUES, strict=True):
        expected = expected_csv_fields(v)
        for key in ("qualifier", "paragraph", "origin", "status"):  # chiso-only columns, not in dataValueSets
            del expected[key]
        if v.value is None:
            del expected["value"]
        if v.numerator is None:
            del expected["numerator"], expected["denominator"]
        if v.comment is None:
            del expected["comment"]
        assert row.fields == expected
        assert as_float(row.fields.get("value")) == v.value
    numbers = [r.number for r in rows]
    assert numbers[:4] == [1, 2, 3, 6]  # the rate with parts took dataValues 3, 4 and 5


# --- SDMX ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "time_period"),
    [
        ("2024", "2024"),
        ("2024S1", "2024-S1"),
        ("2024Q3", "2024-Q3"),
        ("2024-04", "2024-04"),
        ("2024-W15", "2024-W15"),
        ("2024-04-15", "2024-04-15"),
        ("2024-01..2024-09", "2024-01-01/P9M"),
        ("2023-11..2024-02", "2023-11-01/P4M"),
    ],
)
def test_sdmx_time_period(period: str, time_period: str) -> None:
    assert sdmx_time_period(period) == time_period


def test_sdmx_time_period_refuses_unknown_period() -> None:
    with pytest.raises(UnknownPeriodError):
        sdmx_time_period("2024-13")


def read_sdmx_csv(path: Path, structure: Any) -> Any:
    with path.open("rb") as fh:
        message: Any = sdmx.read_sdmx(fh, format="csv", structure=structure)
    assert len(message.data) == 1
    return message.data[0]


def observations(dataset: Any) -> dict[tuple[str, ...], tuple[str, dict[str, str]]]:
    out: dict[tuple[str, ...], tuple[str, dict[str, str]]] = {}
    for obs in dataset.obs:
        key = tuple(kv.value for kv in obs.dimension.values.values())
        assert key not in out
        out[key] = (obs.value, {k: a.value for k, a in obs.attached_attribute.items()})
    return out


def test_sdmx_csv_is_read_by_sdmx1(tmp_path: Path) -> None:
    path = tmp_path / "export.sdmx.csv"
    path.write_text(export_sdmx_csv(VALUES), encoding="utf-8")

    dataset = read_sdmx_csv(path, sdmx_structure())
    assert dataset.structured_by.id == "CDS_INDICATORS"
    got = observations(dataset)
    expected_keys = {(v.indicator, v.unit, sdmx_time_period(v.period)) for v in VALUES}
    assert set(got) == expected_keys
    assert ("dossier_full_online_rate", "VN", "2024-01-01/P9M") in got
    for v in VALUES:
        value, attrs = got[(v.indicator, v.unit, sdmx_time_period(v.period))]
        assert "e" not in value.lower()
        assert (float(value) if value else None) == v.value  # bit-exact
        assert attrs["OBS_STATUS"] == ("M" if v.value is None else "E" if v.approximate else "A")
        assert attrs["SOURCE"] == v.source
        assert as_float(attrs["NUMERATOR"] or None) == v.numerator
        assert as_float(attrs["DENOMINATOR"] or None) == v.denominator
    assert got[("portal_accounts", "VN", "2024")] == (
        "2800000",
        {
            "OBS_STATUS": "E",
            "NUMERATOR": "",
            "DENOMINATOR": "",
            "SOURCE": "Báo cáo 123/BC-BTTTT",
            "COMMENT_OBS": 'hơn 2,8 triệu; "lũy kế"',
        },
    )
    assert got[("ndxp_transactions", "VN", "2024-04")][0] == "0.30000000000000004"
    assert got[("ndxp_transactions_per_day", "VN", "2024-W15")][1]["COMMENT_OBS"] == "two lines"


def test_sdmx_csv_read_with_the_shipped_sdmx_ml_structure(tmp_path: Path) -> None:
    # What a user outside chiso has: the data file and the SDMX-ML structure message, both files.
    structure_path = tmp_path / "structure.xml"
    structure_path.write_text(sdmx_structure_xml(agency="VN_MIC", dataflow="DX", version="2.1"), encoding="utf-8")
    with structure_path.open("rb") as fh:
        structures: Any = sdmx.read_sdmx(fh)
    flow = structures.dataflow["DX"]
    assert [d.id for d in flow.structure.dimensions.components] == ["INDICATOR", "REF_AREA", "TIME_PERIOD"]
    assert sorted(structures.codelist["CL_OBS_STATUS"].items) == ["A", "E", "M"]

    data_path = tmp_path / "data.csv"
    data_path.write_text(export_sdmx_csv(VALUES[:3], agency="VN_MIC", dataflow="DX", version="2.1"), encoding="utf-8")
    assert "dataflow,VN_MIC:DX(2.1),I," in data_path.read_text(encoding="utf-8")
    got = observations(read_sdmx_csv(data_path, flow))
    assert got[("dossier_full_online_rate", "VN", "2024-01-01/P9M")][0] == "63.47"
    assert got[("portal_accounts", "VN", "2024")][1]["OBS_STATUS"] == "E"
    assert got[("dossier_on_time_rate", "DNG", "2024-Q3")][1]["NUMERATOR"] == "950"


def test_sdmx_csv_header() -> None:
    first = export_sdmx_csv([]).splitlines()
    assert first == [
        "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE,"
        "OBS_STATUS,NUMERATOR,DENOMINATOR,SOURCE,COMMENT_OBS"
    ]


def test_sdmx_csv_refuses_two_values_for_one_key() -> None:
    twice = [VALUES[0], VALUES[0].model_copy(update={"id": 99, "source": "other"})]
    with pytest.raises(ValueError, match="one observation per key"):
        export_sdmx_csv(twice)


def test_sdmx_reader_sees_values_not_strings_of_other_rows() -> None:
    # Guard against a silently shifted column: the reader maps columns by header name.
    text = export_sdmx_csv(VALUES[:1])
    message: Any = sdmx.read_sdmx(io.BytesIO(text.encode()), format="csv", structure=sdmx_structure())
    (obs,) = message.data[0].obs
    assert obs.value == "63.47"
    assert obs.attached_attribute["SOURCE"].value == "doc-12"
