"""The column contract of chiso's value files: names, order, Vietnamese headers, which are required.

One definition for every file that holds values as rows: the import reader (``chiso.ingest.files``) maps
headers onto these keys, the exporter (``chiso.report.exports``) writes them in this order, and the
rejects file of an import repeats them. The keys are also the names of a figure's fields in
``chiso.ingest.intake`` and of the fields its problems name, so a message points at a column the user
can find.

It lives in the catalogue because both ``ingest`` and ``report`` sit above it and neither may import the
other.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "COLUMNS",
    "EXPORT_COLUMNS",
    "FIELDS",
    "FORMULA_START",
    "REJECT_COLUMNS",
    "REQUIRED",
    "Column",
    "alias_to_key",
    "column_list",
    "missing_required",
    "neutralise",
    "unneutralise",
]


@dataclass(frozen=True)
class Column:
    key: str  # the normalised field key; also the header chiso writes
    vi: str  # the usual Vietnamese header, shown beside the key in messages
    aliases: tuple[str, ...]  # accepted headers, normalised (lower case, no diacritics, single spaces)
    exported: bool = True  # written by ``chiso export`` (a target is not a value's column)


# In the order files are written and columns are listed to users.
COLUMNS: tuple[Column, ...] = (
    Column("code", "mã", ("code", "ma", "ma chi tieu", "ma chi so", "indicator", "chi tieu", "chi so")),
    Column("unit", "đơn vị", ("unit", "don vi", "ma don vi", "org unit", "orgunit")),
    Column("period", "kỳ", ("period", "ky", "ky bao cao", "thoi ky")),
    Column("value", "giá trị", ("value", "gia tri", "so lieu")),
    Column("numerator", "tử số", ("numerator", "tu so")),
    Column("denominator", "mẫu số", ("denominator", "mau so")),
    Column("target", "mục tiêu", ("target", "muc tieu"), exported=False),
    Column("approximate", "xấp xỉ", ("approximate", "approx", "xap xi", "uoc tinh")),
    # the word that made a figure approximate ("hơn", "gần", "khoảng"): kept so an export reads back whole
    Column("qualifier", "từ ước lượng", ("qualifier", "tu uoc luong")),
    Column("source", "nguồn", ("source", "nguon", "nguon so lieu")),
    Column("paragraph", "đoạn", ("paragraph", "doan")),
    Column("comment", "ghi chú", ("comment", "ghi chu", "note", "notes")),
    # Written by ``chiso export`` so that an export reads back as an import; an import does not take them
    # over (every imported value is written as reported and approved).
    Column("origin", "xuất xứ", ("origin", "xuat xu")),
    Column("status", "trạng thái", ("status", "trang thai")),
)

FIELDS: tuple[str, ...] = tuple(c.key for c in COLUMNS)
EXPORT_COLUMNS: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.exported)
# An import's rejected rows: the row number, every column as the user wrote it, and the reasons.
REJECT_COLUMNS: tuple[str, ...] = ("row", *FIELDS, "reason")
# Always required; and either ``value`` or both ``numerator`` and ``denominator`` (``missing_required``).
REQUIRED: tuple[str, ...] = ("code", "unit", "period")

_BY_KEY = {c.key: c for c in COLUMNS}
_ALIAS_TO_KEY = {alias: c.key for c in COLUMNS for alias in c.aliases}


def alias_to_key(normalised_header: str) -> str | None:
    """The field key of a header already normalised (``chiso.ingest.files.normalise_header``), or None."""
    return _ALIAS_TO_KEY.get(normalised_header)


def column_list(keys: tuple[str, ...] = FIELDS) -> str:
    """'code (mã), unit (đơn vị), …': the columns as messages name them."""
    return ", ".join(f"{k} ({_BY_KEY[k].vi})" for k in keys)


def missing_required(present: set[str]) -> list[str]:
    """The required columns a header lacks: code, unit, period, and value or both parts of it."""
    missing = [k for k in REQUIRED if k not in present]
    if "value" not in present:
        if "numerator" in present and "denominator" not in present:
            missing.append("denominator")
        elif "denominator" in present and "numerator" not in present:
            missing.append("numerator")
        elif "numerator" not in present:
            missing.append("value")
    return missing


# --- cells -------------------------------------------------------------------------------------------------
# A text cell that a spreadsheet would take for a formula is written with a leading "'" by chiso's writers
# (OWASP's CSV injection advice) and read back without it, so an exported file imports back to its text. Both
# halves live here, beside the columns, because the writers (report, web) and the reader (ingest) share them.

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what starts a formula (a tab or CR before one, too)


def neutralise(text: str) -> str:
    """A text cell as written: "'" before a text that would start a formula ("=HYPERLINK(…)", "+1", "@x").

    A text that already begins with "'" before such a character gets one more, so that ``unneutralise``
    (one quote off) gives every text back as it was.
    """
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def unneutralise(text: str) -> str:
    """The text a writer neutralised: "'=HYPERLINK(…)" → "=HYPERLINK(…)"; any other text as it is."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text
