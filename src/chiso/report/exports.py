"""Writers of stored values: chiso's own CSV, DHIS2 dataValueSets JSON, and SDMX-CSV 2.0.

The CSV and dataValueSets outputs read back through ``chiso.ingest.files.read_value_rows`` unchanged,
so an export is also a valid import; the CSV's columns are the contract of ``chiso.catalogue.columns``.
SDMX-CSV needs its structure (``sdmx_structure``) to be read: SDMX-CSV 2.0 names the dataflow but does
not say which columns are dimensions.

Every text cell of a CSV (or XLSX) that chiso writes goes through ``neutralise``: a text a spreadsheet would
take for a formula gets a leading "'" (OWASP, CSV injection); numbers are written as numbers. The import
reader takes the quote off again (``chiso.catalogue.columns.unneutralise``), so an export still imports unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chiso.catalogue.columns import EXPORT_COLUMNS, neutralise
from chiso.catalogue.periods import Period, PeriodKind
from chiso.catalogue.records import StoredValue

if TYPE_CHECKING:
    from sdmx.model import v21

__all__ = [
    "CSV_COLUMNS",
    "SDMX_ATTRIBUTES",
    "SDMX_DIMENSIONS",
    "dhis2_period",
    "export_csv",
    "export_datavaluesets",
    "export_sdmx_csv",
    "neutralise",
    "number_text",
    "sdmx_structure",
    "sdmx_structure_xml",
    "sdmx_time_period",
]

# chiso's CSV: the column contract's columns that a value has (chiso.catalogue.columns), in its order
CSV_COLUMNS = EXPORT_COLUMNS

SDMX_DIMENSIONS = ("INDICATOR", "REF_AREA", "TIME_PERIOD")
SDMX_MEASURE = "OBS_VALUE"
# Observation-level attributes. OBS_STATUS uses the SDMX code list CL_OBS_STATUS: A normal value,
# E estimated value (an approximate "hơn"/"gần"/"khoảng" figure), M missing value.
SDMX_ATTRIBUTES = ("OBS_STATUS", "NUMERATOR", "DENOMINATOR", "SOURCE", "COMMENT_OBS")

_CONCEPT_NAMES = {
    "INDICATOR": "Indicator (chỉ tiêu)",
    "REF_AREA": "Reference area: nation, group, ministry or province (đơn vị)",
    "TIME_PERIOD": "Time period (kỳ)",
    "OBS_VALUE": "Observation value (giá trị)",
    "OBS_STATUS": "Observation status",
    "NUMERATOR": "Numerator of a rate (tử số)",
    "DENOMINATOR": "Denominator of a rate (mẫu số)",
    "SOURCE": "Source document or label (nguồn)",
    "COMMENT_OBS": "Observation comment (ghi chú)",
}
_OBS_STATUS_CODES = {"A": "Normal value", "E": "Estimated value", "M": "Missing value"}


# --- shared helpers -----------------------------------------------------------------------------

def number_text(number: float | int | None) -> str:
    """Text of a stored number: exact (repr digits), never in scientific notation, integral floats without '.0'."""
    if number is None:
        return ""
    if isinstance(number, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(number, int):
        return str(number)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"cannot export the non-finite number {number!r}")
    if number.is_integer():
        return str(int(number))  # exact for any integral float, e.g. 2.8e16 → 28000000000000000
    return format(Decimal(repr(number)), "f")  # repr is the shortest text that reads back to this float


def _bool_text(flag: bool) -> str:
    return "true" if flag else "false"


_CONTRACT_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_CONTRACT_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_CONTRACT_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def dhis2_period(period: str) -> str:
    """Contract period → DHIS2 period (2024-04 → 202404, 2024-W15 → 2024W15, 2024-04-15 → 20240415).

    Years, halves and quarters are written alike; a span of months has no DHIS2 form and stays in
    the contract's syntax, which chiso's reader also accepts.
    """
    canonical = str(Period.parse(period))
    if m := _CONTRACT_MONTH.match(canonical):
        return f"{m[1]}{m[2]}"
    if m := _CONTRACT_WEEK.match(canonical):
        return f"{m[1]}W{int(m[2])}"
    if m := _CONTRACT_DAY.match(canonical):
        return f"{m[1]}{m[2]}{m[3]}"
    return canonical


# --- chiso CSV ----------------------------------------------------------------------------------


_TWO_WAYS = re.compile(r"-?[1-9]\d{0,2}\.\d{3}")


def _csv_number(number: float | None) -> str:
    """``number_text``, with a trailing 0 where a person would take the decimal point for a thousands dot
    ("1.234" is 1234 to a Vietnamese reader, rule 5 of ``chiso.ingest.vnnumbers``): "1.2340" reads back as
    itself through the import, and as the same number in any program."""
    text = number_text(number)
    return text + "0" if _TWO_WAYS.fullmatch(text) else text


def export_csv(values: Sequence[StoredValue]) -> str:
    """Values as CSV with a header row (columns ``CSV_COLUMNS``), UTF-8 text without BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for v in values:
        row = {
            "code": neutralise(v.indicator),
            "unit": neutralise(v.unit),
            "period": neutralise(v.period),
            "value": _csv_number(v.value),
            "numerator": _csv_number(v.numerator),
            "denominator": _csv_number(v.denominator),
            "approximate": _bool_text(v.approximate),
            "qualifier": neutralise(v.qualifier or ""),
            "source": neutralise(v.source),
            "paragraph": "" if v.paragraph is None else str(v.paragraph),
            "comment": neutralise(v.comment or ""),
            "origin": v.origin.value,
            "status": v.status,
        }
        writer.writerow([row[c] for c in CSV_COLUMNS])
    return buffer.getvalue()


# --- DHIS2 dataValueSets ------------------------------------------------------------------------


def export_datavaluesets(values: Sequence[StoredValue]) -> str:
    """Values as a DHIS2 dataValueSets JSON document with codes as identifiers (idScheme CODE).

    A rate's numerator and denominator travel as extra dataValues with categoryOptionCombo
    "numerator" / "denominator"; an approximate value is flagged ``followup``. ``source`` is not a
    DHIS2 property: it is kept so that an export re-imported into chiso keeps its provenance.
    """
    data_values: list[dict[str, Any]] = []
    for v in values:
        common: dict[str, Any] = {"dataElement": v.indicator, "period": dhis2_period(v.period), "orgUnit": v.unit}
        stamps = {
            "storedBy": v.updated_by,
            "created": v.created_at.isoformat(),
            "lastUpdated": v.updated_at.isoformat(),
        }
        entries: list[dict[str, Any]] = []
        if v.value is not None or (v.numerator is None and v.denominator is None):
            entries.append({**common, "value": None if v.value is None else number_text(v.value)})
        for combo, part in (("numerator", v.numerator), ("denominator", v.denominator)):
            if part is not None:
                entries.append({**common, "categoryOptionCombo": combo, "value": number_text(part)})
        # The flags and notes belong to the observation, so they go on its first dataValue only.
        first = entries[0]
        first["followup"] = v.approximate
        if v.comment:
            first["comment"] = v.comment
        first["source"] = v.source
        for entry in entries:
            entry.update(stamps)
        data_values.extend(entries)
    document = {
        "idScheme": "CODE",
        "dataElementIdScheme": "CODE",
        "orgUnitIdScheme": "CODE",
        "dataValues": data_values,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# --- SDMX ---------------------------------------------------------------------------------------


def sdmx_time_period(period: str) -> str:
    """Contract period → SDMX TIME_PERIOD.

    Gregorian forms for years, months and days (2024, 2024-04, 2024-04-15), SDMX reporting periods for
    halves, quarters and weeks (2024-S1, 2024-Q3, 2024-W15), and an ISO 8601 time range (start and
    duration) for a span of months: 2024-01..2024-09 → 2024-01-01/P9M.
    """
    p = Period.parse(period)
    k, s = p.kind, p.start
    if k is PeriodKind.YEAR:
        return f"{s.year}"
    if k is PeriodKind.HALF:
        return f"{s.year}-S{1 if s.month == 1 else 2}"
    if k is PeriodKind.QUARTER:
        return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
    if k is PeriodKind.MONTH:
        return f"{s.year}-{s.month:02d}"
    if k is PeriodKind.WEEK:
        iso_year, week, _ = s.isocalendar()
        return f"{iso_year}-W{week:02d}"
    if k is PeriodKind.DAY:
        return s.isoformat()
    return f"{s.isoformat()}/P{p.months}M"


def _one_line(text: str | None) -> str:
    # sdmx1 splits SDMX-CSV on line breaks before parsing quotes, so a value must stay on one line.
    return " ".join((text or "").split())


def _obs_status(v: StoredValue) -> str:
    if v.value is None:
        return "M"
    return "E" if v.approximate else "A"


def export_sdmx_csv(
    values: Sequence[StoredValue], *, agency: str = "VN_CDS", dataflow: str = "CDS_INDICATORS", version: str = "1.0"
) -> str:
    """Values as SDMX-CSV 2.0.0 for the dataflow ``agency:dataflow(version)``; read it with ``sdmx_structure()``.

    One observation per (indicator, unit, period): SDMX has no room for two values of one key, so
    values from several sources must be reduced to one by the caller first (ValueError otherwise).
    A value that is None leaves OBS_VALUE empty with OBS_STATUS "M"; the exporter does not know the
    indicator's kind, so it does not compute a rate from NUMERATOR/DENOMINATOR itself.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["STRUCTURE", "STRUCTURE_ID", "ACTION", *SDMX_DIMENSIONS, SDMX_MEASURE, *SDMX_ATTRIBUTES])
    structure_id = f"{agency}:{dataflow}({version})"
    seen: dict[tuple[str, str, str], StoredValue] = {}
    for v in values:
        time_period = sdmx_time_period(v.period)
        key = (v.indicator, v.unit, time_period)
        if key in seen:
            raise ValueError(
                f"two values for {v.indicator} / {v.unit} / {v.period} (ids {seen[key].id} and {v.id}); "
                "SDMX allows one observation per key"
            )
        seen[key] = v
        writer.writerow(
            [
                "dataflow",
                structure_id,
                "I",  # "information": a full dissemination of the data, not an update to apply
                v.indicator,
                v.unit,
                time_period,
                number_text(v.value),
                _obs_status(v),
                number_text(v.numerator),
                number_text(v.denominator),
                neutralise(_one_line(v.source)),
                neutralise(_one_line(v.comment)),
            ]
        )
    return buffer.getvalue()


def sdmx_structure(
    *, agency: str = "VN_CDS", dataflow: str = "CDS_INDICATORS", version: str = "1.0"
) -> v21.DataflowDefinition:
    """The dataflow (with its data structure definition) that ``export_sdmx_csv`` writes.

    Pass it as ``structure=`` to ``sdmx.read_sdmx(path, structure=...)``: sdmx1 reads SDMX-CSV 2.0
    only with the structure in hand. Needs the ``sdmx1`` package (a development extra of chiso).
    """
    from sdmx.model import common, v21

    maintainer = common.Agency(id=agency)
    versioned: dict[str, Any] = {
        "maintainer": maintainer,
        "version": version,
        "is_final": True,
        "is_external_reference": False,
    }

    concepts = common.ConceptScheme(id=f"CS_{dataflow}", name="Concepts of the chiso indicators", **versioned)
    for concept_id, name in _CONCEPT_NAMES.items():
        concepts.append(common.Concept(id=concept_id, name=name))
    obs_status = common.Codelist(id="CL_OBS_STATUS", name="Observation status", **versioned)
    for code_id, name in _OBS_STATUS_CODES.items():
        obs_status.append(common.Code(id=code_id, name=name))

    dsd = v21.DataStructureDefinition(id=dataflow, name="chiso indicator values", **versioned)
    # The SDMX-ML 2.1 schema fixes these descriptor ids.
    dsd.dimensions.id = "DimensionDescriptor"
    dsd.measures.id = "MeasureDescriptor"
    dsd.attributes.id = "AttributeDescriptor"
    for position, dim_id in enumerate(SDMX_DIMENSIONS, start=1):
        if dim_id == "TIME_PERIOD":
            time_format = common.Facet(value_type=common.FacetValueType.observationalTimePeriod)
            dsd.dimensions.append(
                v21.TimeDimension(
                    id=dim_id,
                    order=position,
                    concept_identity=concepts[dim_id],
                    local_representation=common.Representation(non_enumerated=[time_format]),
                )
            )
        else:
            dsd.dimensions.append(v21.Dimension(id=dim_id, order=position, concept_identity=concepts[dim_id]))
    dsd.measures.append(v21.PrimaryMeasure(id=SDMX_MEASURE, concept_identity=concepts[SDMX_MEASURE]))
    for attr_id in SDMX_ATTRIBUTES:
        coded = attr_id == "OBS_STATUS"
        representation = common.Representation(enumerated=obs_status) if coded else None
        usage = common.UsageStatus.mandatory if coded else common.UsageStatus.conditional
        dsd.attributes.append(
            common.DataAttribute(
                id=attr_id,
                concept_identity=concepts[attr_id],
                local_representation=representation,
                related_to=v21.PrimaryMeasureRelationship(),  # attached to each observation
                usage_status=usage,
            )
        )
    return v21.DataflowDefinition(id=dataflow, name="chiso indicator values", structure=dsd, **versioned)


def sdmx_structure_xml(*, agency: str = "VN_CDS", dataflow: str = "CDS_INDICATORS", version: str = "1.0") -> str:
    """``sdmx_structure()`` as an SDMX-ML 2.1 structure message, to ship next to the SDMX-CSV file."""
    import sdmx
    from sdmx.message import StructureMessage

    flow = sdmx_structure(agency=agency, dataflow=dataflow, version=version)
    dsd = flow.structure
    message = StructureMessage()
    message.add(flow)
    message.add(dsd)
    for component in (*dsd.dimensions.components, *dsd.measures.components, *dsd.attributes.components):
        scheme = component.concept_identity.parent if component.concept_identity is not None else None
        if scheme is not None and scheme.id not in message.concept_scheme:
            message.add(scheme)
        codes = component.local_representation.enumerated if component.local_representation else None
        if codes is not None and codes.id not in message.codelist:
            message.add(codes)
    xml: bytes = sdmx.to_xml(message, pretty_print=True)
    return xml.decode("utf-8")
