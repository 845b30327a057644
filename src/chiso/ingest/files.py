"""Readers that turn an import file (CSV, XLSX, DHIS2 dataValueSets JSON) into raw rows.

Only the file's shape is checked here (it can be read, its columns are known, none is missing or
repeated); the columns are the contract of ``chiso.catalogue.columns``. Codes, units, periods and numbers
are left as the user's text: ``chiso.ingest.intake`` checks them against the catalogue (reading a number
with its indicator known), so that every row-level problem is reported in one place.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from chiso.catalogue.columns import alias_to_key, column_list, missing_required, unneutralise
from chiso.errors import ImportFileError, Problem
from chiso.i18n import fmt_number, t

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "SUPPORTED_SUFFIXES",
    "RawRow",
    "dhis2_period",
    "normalise_header",
    "read_value_rows",
    "render_number",
    "unneutralise",
]

# The defaults of the workspace's ``[limits] import_bytes`` and ``import_rows`` (``chiso.app.Limits``): a file
# over either is refused before its rows are read (a row limit counts data rows, not the header).
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".json")

_XLSX_SHEET_NAMES = ("values", "gia tri")


@dataclass(frozen=True)
class RawRow:
    """One data row as the user wrote it, before any validation.

    ``number`` is what the user sees: the line (CSV) or sheet row (XLSX) with the header as row 1,
    or the 1-based index of the first dataValue (JSON). ``problems`` holds row-level problems that
    only the reader can see (e.g. Excel turned a period into a date); the text in ``fields`` is
    still left so that the validator rejects it as well. ``machine`` names the fields whose text a
    program wrote from a number (an Excel number cell, a dataValueSets value): a lone dot there is the
    decimal point, where a person's "1.234" may mean one thousand two hundred and thirty-four.
    """

    number: int
    fields: dict[str, str | None]
    problems: tuple[Problem, ...] = field(default=())
    machine: frozenset[str] = field(default=frozenset())


# --- helpers ------------------------------------------------------------------------------------


def normalise_header(name: str) -> str:
    """Lower case, no diacritics (đ → d), runs of spaces, '_' and '-' as one space."""
    text = unicodedata.normalize("NFKD", name.replace("\ufeff", "").strip().casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("đ", "d")
    return re.sub(r"[\s_\-]+", " ", text).strip()


def render_number(number: int | float | Decimal) -> str:
    """Text of a number without loss and without scientific notation (63.47, 2800000, 0.0000001)."""
    if isinstance(number, bool):  # bool is an int: keep it readable
        return "true" if number else "false"
    if isinstance(number, int):
        return str(number)
    if isinstance(number, float):
        if number != number or number in (float("inf"), float("-inf")):
            return repr(number)  # nan/inf: let the validator refuse it by name
        if number.is_integer():
            return str(int(number))  # exact for every integral float, however large
        number = Decimal(repr(number))  # repr is the shortest text that reads back to this float
    return format(number, "f")


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text or None


def _size(n: int) -> str:
    """20971520 → '20 MB', 1500 → '1,5 KB' (in the user's language), 900 → '900 B'."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{fmt_number(n / scale, 1)} {unit}"
    return f"{n} B"


def _too_large(file: str, size: int, limit: int) -> ImportFileError:
    reason = t("cli.limit.import_bytes", None, size=_size(size), limit=_size(limit),
               setting="import_bytes", env="CHISO_LIMIT_IMPORT_BYTES")
    return ImportFileError(file, reason)


def _too_many_rows(file: str, limit: int) -> ImportFileError:
    reason = t("cli.limit.import_rows", None, limit=fmt_number(limit, 0), setting="import_rows",
               env="CHISO_LIMIT_IMPORT_ROWS")
    return ImportFileError(file, reason)


def _supported() -> str:
    return ", ".join(SUPPORTED_SUFFIXES)


def _map_header(file: str, header: Sequence[str | None], data_in_column: Sequence[bool]) -> list[str | None]:
    """Map each header cell to a field key; None for a nameless, empty column (a trailing delimiter)."""
    keys: list[str | None] = []
    seen: dict[str, str] = {}
    unknown: list[str] = []
    for index, raw in enumerate(header):
        name = (raw or "").strip()
        if not name:
            if data_in_column[index] if index < len(data_in_column) else False:
                raise ImportFileError(
                    file,
                    f"column {index + 1} has values but no name in the header row; expected one of: {column_list()}",
                )
            keys.append(None)
            continue
        key = alias_to_key(normalise_header(name))
        if key is None:
            unknown.append(name)
            keys.append(None)
            continue
        if key in seen:
            raise ImportFileError(
                file, f"duplicate column {name!r}: {seen[key]!r} already gives {key!r}; keep only one of them"
            )
        seen[key] = name
        keys.append(key)
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise ImportFileError(file, f"unknown column(s) {names}; expected columns: {column_list()}")
    _check_required(file, set(seen))
    return keys


def _check_required(file: str, present: set[str]) -> None:
    missing = missing_required(present)
    if missing:
        names = ", ".join(repr(m) for m in missing)
        raise ImportFileError(
            file,
            f"missing required column(s) {names}; expected code (mã), unit (đơn vị), period (kỳ) and either "
            "value (giá trị) or both numerator (tử số) and denominator (mẫu số)",
        )


# the fields whose cells may hold numbers; a number a program wrote there is marked ``machine``
_NUMBER_FIELDS = frozenset({"value", "numerator", "denominator", "target"})

_Numbered = tuple[int, list[str | None], tuple[Problem, ...], frozenset[int]]


def _rows_to_raw(file: str, numbered: Iterable[_Numbered], keys: list[str | None]) -> list[RawRow]:
    """Cells to fields by the header's keys; the last item of each row: the indexes of number cells."""
    out: list[RawRow] = []
    for number, cells, problems, number_cells in numbered:
        extra = [c for c in cells[len(keys) :] if _clean(c) is not None]
        if extra:
            # Most often a decimal comma ("63,47") in a comma-separated file: the row cannot be mapped.
            raise ImportFileError(
                file,
                f"row {number} has {len(cells)} cells but the header has {len(keys)} columns "
                f"(extra {extra[0]!r}); quote values that contain the delimiter, or use ';' as the delimiter",
            )
        fields: dict[str, str | None] = {}
        for key, cell in zip(keys, cells, strict=False):
            if key is not None:
                fields[key] = _clean(None if cell is None else unneutralise(cell))
        for key in keys:  # short rows: the missing trailing cells are empty
            if key is not None:
                fields.setdefault(key, None)
        machine = frozenset(
            key for i, key in enumerate(keys) if key in _NUMBER_FIELDS and i in number_cells and fields.get(key)
        )
        out.append(RawRow(number, fields, problems, machine))
    return out


# --- CSV ----------------------------------------------------------------------------------------


def _decode(path: Path, data: bytes, hint: str = "") -> str:
    try:
        return data.decode("utf-8-sig")  # Excel writes a BOM; it is not part of the first header
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            str(path), f"not UTF-8 text (byte {exc.start + 1}, line {line}); expected UTF-8{hint}"
        ) from None


def _sniff_delimiter(first_line: str) -> str:
    # The header decides: the candidate that splits it into the most cells wins; ties go to ','.
    best, best_count = ",", 1
    for delimiter in (",", ";", "\t"):
        count = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _read_csv(path: Path, max_rows: int) -> list[RawRow]:
    file = str(path)
    text = _decode(path, path.read_bytes(), " (in Excel: Save As 'CSV UTF-8')")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError(
            file, f"NUL characters in line {line}: a binary or UTF-16 file, not CSV; expected UTF-8 text"
        )
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise ImportFileError(file, "the file is empty; expected a header row such as 'code,unit,period,value'")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first))

    records: list[tuple[int, list[str | None]]] = []
    consumed = 0
    try:
        for cells in reader:
            number = consumed + 1  # a quoted cell may span lines: the row is numbered by its first line
            consumed = reader.line_num
            if any(cell.strip() for cell in cells):
                records.append((number, list(cells)))
                if len(records) > max_rows + 1:  # the header and more rows than allowed: stop reading
                    raise _too_many_rows(file, max_rows)
    except csv.Error as exc:  # e.g. a field beyond the csv module's size limit
        raise ImportFileError(file, f"not readable as CSV near line {reader.line_num}: {exc}") from None
    if not records:
        raise ImportFileError(file, "the file has no header row; expected a header such as 'code,unit,period,value'")
    header = records[0][1]
    body = records[1:]
    has_data = [any(i < len(c) and _clean(c[i]) for _, c in body) for i in range(len(header))]
    keys = _map_header(file, header, has_data)
    return _rows_to_raw(file, ((n, c, (), frozenset()) for n, c in body), keys)


# --- XLSX ---------------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal):
        return render_number(value)
    if isinstance(value, datetime):
        return value.isoformat()  # keeps the time part: never mistaken for a day period
    if isinstance(value, date):
        return datetime.combine(value, time()).isoformat()
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value)


def _read_xlsx(path: Path, max_rows: int) -> list[RawRow]:
    import openpyxl  # imported here: only XLSX imports pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    file = str(path)
    try:
        # read-only: rows stream from the file; data_only: cached results, not formulas
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            file, f"not a readable .xlsx workbook ({exc}); save it as 'Excel Workbook (.xlsx)'"
        ) from None
    try:
        named = [ws for ws in book.worksheets if normalise_header(ws.title) in _XLSX_SHEET_NAMES]
        sheet = named[0] if named else book.worksheets[0]
        declared = sheet.max_row  # the sheet's declared dimension, known before a row is read
        if isinstance(declared, int) and declared > max_rows + 1:
            raise _too_many_rows(f"{file} (sheet {sheet.title!r})", max_rows)
        # A writer may declare a wrong dimension (some write "A1"); read every row there is, counting them.
        sheet.reset_dimensions()
        grid: list[list[object]] = []
        filled = 0
        for row in sheet.iter_rows(min_row=1, values_only=True):
            grid.append(list(row))
            if any(c is not None for c in row):
                filled += 1
                if filled > max_rows + 1:
                    raise _too_many_rows(f"{file} (sheet {sheet.title!r})", max_rows)
    finally:
        book.close()

    records = [(number, cells) for number, cells in enumerate(grid, start=1) if any(_cell_text(c) for c in cells)]
    if not records:
        raise ImportFileError(
            file, f"sheet {sheet.title!r} is empty; expected a header row such as code, unit, period, value"
        )
    header_cells = records[0][1]
    header = [_cell_text(c) for c in header_cells]
    body = records[1:]
    has_data = [any(i < len(c) and _cell_text(c[i]) for _, c in body) for i in range(len(header))]
    keys = _map_header(f"{file} (sheet {sheet.title!r})", header, has_data)

    def rows() -> Iterable[_Numbered]:
        period_index = keys.index("period")
        for number, cells in body:
            problems: tuple[Problem, ...] = ()
            period = cells[period_index] if period_index < len(cells) else None
            if isinstance(period, date | datetime):
                # Excel turns "2024-04" into 1 April 2024; the month cannot be told from a day.
                problems = (Problem(number, "period", "period_is_a_date", {}, _cell_text(period)),)
            numbers = frozenset(
                i for i, c in enumerate(cells) if isinstance(c, int | float | Decimal) and not isinstance(c, bool)
            )
            yield number, [_cell_text(c) for c in cells], problems, numbers

    return _rows_to_raw(file, rows(), keys)


# --- DHIS2 dataValueSets JSON -------------------------------------------------------------------

_DHIS2_MONTH = re.compile(r"^(\d{4})(\d{2})$")
_DHIS2_WEEK = re.compile(r"^(\d{4})W(\d{1,2})$")
_DHIS2_DAY = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def dhis2_period(text: str) -> str:
    """DHIS2 period → the contract's syntax (202404 → 2024-04, 2024W15 → 2024-W15, 20240415 → 2024-04-15).

    Years, halves (2024S1), quarters (2024Q3) and the contract's own forms are the same in both and
    pass unchanged; anything else is left for the validator to refuse by name.
    """
    s = text.strip()
    upper = s.upper()
    if m := _DHIS2_MONTH.match(upper):
        return f"{m[1]}-{m[2]}"
    if m := _DHIS2_WEEK.match(upper):
        return f"{m[1]}-W{int(m[2]):02d}"
    if m := _DHIS2_DAY.match(upper):
        return f"{m[1]}-{m[2]}-{m[3]}"
    return s


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal):
        return render_number(value)
    if isinstance(value, str):
        return _clean(value)
    return json.dumps(value, ensure_ascii=False)  # a list or object: shown as given, refused later


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() in ("true", "1", "yes", "x", "có", "co")
    return bool(value)


@dataclass
class _Group:
    number: int
    code: str | None
    unit: str | None
    period: str | None
    slots: dict[str, str | None] = field(default_factory=dict)
    approximate: bool | None = None
    comments: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def to_row(self) -> RawRow:
        fields: dict[str, str | None] = {"code": self.code, "unit": self.unit, "period": self.period}
        fields.update(self.slots)
        if self.approximate is not None:
            fields["approximate"] = "true" if self.approximate else "false"
        if self.comments:
            fields["comment"] = "; ".join(self.comments)
        if self.sources:
            fields["source"] = "; ".join(self.sources)
        # DHIS2 writes every value in machine form ("1.234" is one point two three four)
        return RawRow(self.number, fields, machine=frozenset(k for k, v in self.slots.items() if v))


# categoryOptionCombo → field; "HllvX50cXC0" is the UID DHIS2 gives its default combination.
_COMBO_SLOTS = {
    "": "value",
    "default": "value",
    "hllvx50cxc0": "value",
    "value": "value",
    "numerator": "numerator",
    "denominator": "denominator",
}


def _read_datavaluesets(path: Path, max_rows: int) -> list[RawRow]:
    file = str(path)
    text = _decode(path, path.read_bytes())
    if not text.strip():
        raise ImportFileError(file, 'the file is empty; expected a JSON object {"dataValues": [...]}')
    try:
        # Decimal keeps the user's digits (no float rounding, no exponent on the way back to text).
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            file, f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; expected a dataValueSets object"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("dataValues"), list):
        raise ImportFileError(file, 'expected a JSON object with a "dataValues" list (DHIS2 dataValueSets)')
    if len(document["dataValues"]) > max_rows:  # a rate's two parts are two dataValues: counted as given
        raise _too_many_rows(file, max_rows)
    for scheme in ("idScheme", "dataElementIdScheme", "orgUnitIdScheme"):
        given = document.get(scheme)
        if given is not None and str(given).strip().upper() != "CODE":
            raise ImportFileError(
                file, f"{scheme} {given!r} is not supported; expected CODE (indicator and unit codes as identifiers)"
            )

    default_unit = _json_text(document.get("orgUnit"))
    default_period = _json_text(document.get("period"))
    groups: list[_Group] = []
    latest: dict[tuple[str | None, str | None, str | None], _Group] = {}
    for number, item in enumerate(document["dataValues"], start=1):
        if not isinstance(item, dict):
            raise ImportFileError(file, f"dataValues[{number - 1}] (value {number}) is not an object; expected {{...}}")
        code = _json_text(item.get("dataElement"))
        unit = _json_text(item.get("orgUnit")) or default_unit
        raw_period = _json_text(item.get("period")) or default_period
        period = dhis2_period(raw_period) if raw_period is not None else None
        combo = (_json_text(item.get("categoryOptionCombo")) or "").casefold()
        slot = _COMBO_SLOTS.get(combo)
        if slot is None:
            # A disaggregation (e.g. by sex) would silently be taken for the total: refuse the file.
            raise ImportFileError(
                file,
                f"dataValues[{number - 1}] (value {number}): categoryOptionCombo "
                f"{item.get('categoryOptionCombo')!r} is not supported; expected none, 'default', "
                "'numerator' or 'denominator'",
            )
        key = (code, unit, period)

        group = latest.get(key)
        if group is None or slot in group.slots:
            # A second value for the same slot is a new row: the validator treats it as any repeated row.
            group = _Group(number, code, unit, period)
            groups.append(group)
            latest[key] = group
        group.slots[slot] = _json_text(item.get("value"))
        for flag in ("approximate", "followup"):
            if flag in item:
                group.approximate = bool(group.approximate) or _truthy(item[flag])
        for name, bucket in (("comment", group.comments), ("source", group.sources)):
            note = _json_text(item.get(name))
            if note is not None and note not in bucket:
                bucket.append(note)
    return [g.to_row() for g in groups]


# --- entry point --------------------------------------------------------------------------------


def read_value_rows(path: Path, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> tuple[str, list[RawRow]]:
    """Read an import file into raw rows; returns (format name, rows).

    Format names: "csv", "xlsx", "datavaluesets". Raises ImportFileError when the file cannot be read
    at all: unknown extension, missing file, not UTF-8, empty, malformed JSON, or wrong columns; or when it
    is over a limit: more than ``max_bytes`` (looked at before reading), more than ``max_rows`` data rows
    (an XLSX sheet's declared dimension is looked at before its rows; CSV and XLSX stop reading at the row
    past the limit; a dataValueSets document counts its dataValues).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "no extension"
        hint = "; save an .xls workbook as .xlsx" if suffix == ".xls" else ""
        raise ImportFileError(str(path), f"unsupported file type ({shown}); supported: {_supported()}{hint}")
    if not path.is_file():
        raise ImportFileError(str(path), "no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise _too_large(str(path), size, max_bytes)
    if suffix == ".csv":
        return "csv", _read_csv(path, max_rows)
    if suffix == ".xlsx":
        return "xlsx", _read_xlsx(path, max_rows)
    return "datavaluesets", _read_datavaluesets(path, max_rows)
