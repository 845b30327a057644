"""Vietnamese numbers: typed into a form or an import file, and written in prose.

Typed numbers (forms, CSV/XLSX cells; ``read_number``) are read as a Vietnamese user means them, by one
rule that ``chiso/web/static/forms.js`` (``readNumber``) repeats word for word:

1. Spaces (also non-breaking ones) and a trailing ``%`` are ignored: "2 800 000", "45,8%".
2. A comma is the decimal mark: "45,8" is 45,8 and "1,234" is 1,234. With dots before it, the dots
   group thousands: "1.267.427,5".
3. Dots that group by three are thousands separators: "1.267.427". The English form with thousands
   commas and a decimal point is read too when it cannot be anything else: "1,267,427" and
   "1,267.5" (several commas, or a comma and then a point).
4. A lone dot not followed by exactly three digits can only be a decimal point: "45.8", "0.5",
   "1.2345", "0.123" (no thousands group begins with 0).
5. A lone dot followed by exactly three digits ("1.234") is either a thousands dot (1234) or a decimal
   point (1,234), and the indicator decides:
   - a whole quantity (the value of a count, a stock or a rank) has no decimal part: 1234;
   - otherwise the reading inside the indicator's range is taken when only one is ("1.234" for a rate,
     at most 100, is 1,234);
   - otherwise the entry is refused as ambiguous, naming both readings: "1.234 có thể là 1234 hoặc
     1,234: viết 1234 hoặc 1,234". Nothing is ever read silently one way.
   Text a program wrote from a number (an Excel number cell, a DHIS2 dataValueSets value) is marked
   ``machine``: its lone dot is the decimal point.
6. "2.8e6" (an exponent) is a machine number; infinities and anything else are not numbers.

A whole quantity with a decimal part ("1,5" hồ sơ) reads as 1,5 here and is refused by the intake's
value rules (``chiso.ingest.intake``), which also check ranges.

Prose (``find_numbers``, ``parse_decimal``, ``parse_number_phrase``) follows the published reports'
style, which has no machine numbers and no indicator at hand: "hơn 2,8 triệu", "12,9 nghìn tỷ đồng",
"45,8%", "56/63", "tăng 15 bậc".

- a dot followed by exactly three digits groups thousands ("1.267.427", "1.500"); a comma is the decimal
  mark ("45,8"); leading zeros are kept by writers for small counts ("02", "05") and mean nothing;
- a scale word multiplies ("nghìn", "ngàn", "triệu", "tỷ"/"tỉ", "nghìn tỷ"), a currency may follow
  ("đồng", "USD");
- a word before the number may make it approximate ("hơn", "gần", "khoảng", "trên", "ước", "xấp xỉ",
  "gần như", "vượt", …), possibly with "đạt"/"là"/"lên tới" between (and "đạt gần" means "gần");
- dates ("25/01/2025", "tháng 4/2024", "ngày 6/2"), document numbers ("82/2024/NĐ-CP", "18-NQ/TW"),
  years ("2024"), durations ("9 tháng", "5 ngày"), labels ("Đề án 06", "top 10", "lớp 1", "mức độ 2") and numbers
  glued to letters ("5G", "20Tbps") are not figures and are not returned.

Everything here is pure: text in, numbers or typed phrases out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum

from chiso.errors import NumberError

__all__ = [
    "MACHINE",
    "NumberError",
    "NumberKind",
    "NumberPhrase",
    "Reading",
    "find_numbers",
    "parse_decimal",
    "parse_number",
    "parse_number_phrase",
    "read_number",
]


# --- typed numbers: forms and import files ------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What a typed number is for: it settles the one shape the text alone cannot ("1.234", rule 5)."""

    whole: bool = False  # the value of a count, a stock or a rank: a lone dot groups thousands
    lo: float | None = None  # the indicator's range: a reading outside it is not what the user meant
    hi: float | None = None
    machine: bool = False  # a program wrote the text from a number: a lone dot is the decimal point


MACHINE = Reading(machine=True)


# ASCII digits only, and whole-text matches (``fullmatch``): exactly what the JavaScript twin accepts.
_EXPONENT = re.compile(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)
_DOT_GROUPS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", re.ASCII)  # 1.267.427 | 1.267,5
_COMMA_GROUPS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", re.ASCII)  # 1,267,427 | 1,267.5
_DECIMAL_POINT = re.compile(r"[+-]?\d+\.\d+", re.ASCII)
_TWO_WAYS = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}", re.ASCII)  # 1.234: thousands, or a decimal point


def _within(x: float, reading: Reading) -> bool:
    return (reading.lo is None or x >= reading.lo) and (reading.hi is None or x <= reading.hi)


def _vi_decimal(text: str) -> str:
    return text.replace(".", ",")


def read_number(text: str, reading: Reading = MACHINE) -> float:
    """A typed number by the rule of this module's docstring; NumberError (a ValueError) otherwise.

    ``reading`` says what the number is for (``MACHINE``, the default, when nothing is known).
    """
    s = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").removesuffix("%")
    if _INTEGER.fullmatch(s) or _EXPONENT.fullmatch(s):
        x = float(s)
    elif _DECIMAL_COMMA.fullmatch(s):  # rule 2: a lone comma is the decimal mark
        x = float(s.replace(",", "."))
    elif _DOT_GROUPS.fullmatch(s) and (s.count(".") > 1 or "," in s):  # rules 2 and 3
        x = float(s.replace(".", "").replace(",", "."))
    elif _COMMA_GROUPS.fullmatch(s):  # rule 3, English; one lone comma was taken above
        x = float(s.replace(",", ""))
    elif _TWO_WAYS.fullmatch(s):  # rule 5
        grouped, point = float(s.replace(".", "")), float(s)
        if reading.machine:
            x = point
        elif reading.whole:
            x = grouped
        else:
            fits = [r for r in (grouped, point) if _within(r, reading)]
            if len(fits) != 1:
                plain = s.replace(".", "")
                raise NumberError(text, "ambiguous_number", {"text": s, "whole": plain, "decimal": _vi_decimal(s)})
            x = fits[0]
    elif _DECIMAL_POINT.fullmatch(s):  # rule 4
        x = float(s)
    else:
        raise NumberError(text)
    if x != x or x in (float("inf"), float("-inf")):  # "1e999"
        raise NumberError(text)
    return x


def parse_number(text: str) -> float:
    """A number read with nothing known about it: ``read_number(text, MACHINE)`` (a lone dot is a decimal
    point). For text a person typed for an indicator, use ``read_number`` with its ``Reading``."""
    return read_number(text, MACHINE)


class NumberKind(StrEnum):
    PLAIN = "plain"  # 5.117, 2,8 triệu, 12,9 nghìn tỷ đồng
    PERCENT = "percent"  # 45,8%
    FRACTION = "fraction"  # 56/63, 17/194, 99,74/100
    MULTIPLE = "multiple"  # 2,5 lần
    RANK_CHANGE = "rank_change"  # tăng 15 bậc
    RANGE = "range"  # 2000-3000, 5 - 10 triệu


@dataclass(frozen=True)
class NumberPhrase:
    """One number phrase found in a text.

    ``value`` is the number as written, scale applied: a percent as its percent (45.8), a fraction as its
    numerator (56 of 56/63; see ``percent_of``), a multiple as its factor, a rank change as its steps,
    a range as its lower end (``upper`` holds the other). ``start``/``end`` span the whole phrase,
    qualifier included; ``number_start`` is where the digits begin.
    """

    value: float
    kind: NumberKind
    start: int
    end: int
    number_start: int
    text: str
    qualifier: str | None = None
    numerator: float | None = None
    denominator: float | None = None
    upper: float | None = None
    scale: str | None = None
    currency: str | None = None
    change: str | None = None  # "tăng" or "giảm" written just before
    ordinal: bool = False  # "thứ 71", "vị trí 17", "xếp hạng 5/11"
    per: str | None = None  # "20%/năm" → "năm"

    @property
    def approximate(self) -> bool:
        return self.qualifier is not None

    @property
    def signed(self) -> float:
        """The value with the sign of its change word ("giảm 32,6%" → -32.6)."""
        return -self.value if self.change == "giảm" else self.value

    @property
    def percent_of(self) -> float | None:
        """100·n/N for a fraction, rounded to two places (the dataset's rule); None otherwise."""
        if self.kind is not NumberKind.FRACTION or not self.denominator:
            return None
        q = Decimal(repr(self.numerator)) * 100 / Decimal(repr(self.denominator))
        if not q.is_finite():
            return float(q)
        with localcontext() as ctx:  # "99…9/1" has more digits than the default 28
            ctx.prec = max(28, q.adjusted() + 4)
            return float(round(q, 2))


# --- numbers ------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_PLAIN = re.compile(r"^\d+(,\d+)?$")
_MACHINE = re.compile(r"^\d+\.\d+$")


def parse_decimal(token: str) -> Decimal:
    """'1.267.427' → 1267427, '45,8' → 45.8, '02' → 2, '1.500' → 1500 (prose: a dot groups thousands).

    A dot followed by other than three digits ('4.0') is read as a decimal point; anything else raises
    ValueError.
    """
    s = token.strip()
    try:
        if _THOUSANDS.match(s):
            return Decimal(s.replace(".", "").replace(",", "."))
        if _PLAIN.match(s):
            return Decimal(s.replace(",", "."))
        if _MACHINE.match(s):
            return Decimal(s)
    except InvalidOperation:  # pragma: no cover - the patterns only let digits through
        pass
    raise ValueError(f"not a Vietnamese number: {token!r}")


_SCALES: dict[str, int] = {
    "nghìn tỷ": 10**12,
    "ngàn tỷ": 10**12,
    "nghìn tỉ": 10**12,
    "ngàn tỉ": 10**12,
    "triệu tỷ": 10**15,
    "tỷ": 10**9,
    "tỉ": 10**9,
    "triệu": 10**6,
    "nghìn": 10**3,
    "ngàn": 10**3,
    "trăm": 10**2,
}
_CURRENCIES = {
    "đồng": "đồng",
    "vnđ": "đồng",
    "vnd": "đồng",
    "usd": "USD",
    "đô la mỹ": "USD",
    "đô la": "USD",
    "đôla": "USD",
}
# Longest first, so "ước tính" wins over "ước" and "gần như" over "gần".
QUALIFIERS = (
    "ước tính khoảng",
    "ước tính",
    "ước đạt",
    "ước khoảng",
    "xấp xỉ",
    "gần như",
    "tới gần",
    "hơn",
    "trên",
    "gần",
    "khoảng",
    "chừng",
    "ước",
    "vượt",
    "dưới",
    "non",
)
_QUALIFIER_AS = {"tới gần": "gần", "ước tính khoảng": "ước tính"}


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUM = r"\d+(?:[.,]\d+)*"
# a number, an optional "/N" (fraction, date, document number) and an optional "/XX" tail
_CANDIDATE = re.compile(
    rf"(?<![\w.,/:\-])(?P<a>{_NUM})(?:\s*/\s*(?P<b>{_NUM}))?(?P<tail>(?:/[\w\-]+)+|-[^\W\d_][\w\-]*)?(?![\d])"
)
_RANGE_TAIL = re.compile(rf"\s*[-–]\s*(?P<u>{_NUM})(?![\w])")
_PERCENT = re.compile(r"\s*(?:%|phần trăm)(?:\s*/\s*(?P<per>năm|ngày|tháng|quý))?", re.IGNORECASE)
_SCALE = re.compile(rf"\s+(?P<s>{_alt(_SCALES)})(?![\w])", re.IGNORECASE)
_CURRENCY = re.compile(rf"\s+(?P<c>{_alt(_CURRENCIES)})(?![\w])", re.IGNORECASE)
_AFTER_WORD = re.compile(r"\s*(?P<w>bậc|lần)(?![\w])", re.IGNORECASE)
_TIME_UNIT = re.compile(r"\s+(?:ngày|tháng|năm|tuần|giờ|phút|quý)(?![\w])", re.IGNORECASE)
_GLUED = re.compile(r"[^\W\d_]")  # a letter right after the digits: 5G, 20Tbps, MP3

_BEFORE_QUALIFIER = re.compile(
    rf"(?:^|[\s(,:;])(?P<q>{_alt(QUALIFIERS)})\s+(?:(?:đạt|là|có|lên tới|lên đến|tới|được|ở mức|mức)\s+)?$"
)
_BEFORE_CHANGE = re.compile(r"(?:^|[\s(,:;])(?P<c>tăng|giảm)\s+(?:(?:" + _alt(QUALIFIERS) + r")\s+)?$")
_BEFORE_ORDINAL = re.compile(
    r"(?:^|[\s(,:;])(?:xếp hạng thứ|xếp hạng|xếp thứ|đứng thứ|vị trí thứ|vị trí|hạng thứ|hạng|thứ)\s*$"
)
_BEFORE_DATE = re.compile(r"(?:^|[\s(,:;])(?:ngày|chiều|sáng|trưa|tối|đêm|hôm|tháng|quý|năm|từ ngày|đến ngày)\s*$")
_BEFORE_LABEL = re.compile(
    r"(?:^|[\s(,:;])(?:đề án|top|nhóm|lớp|khóa|khoá|điều|khoản|chương|phiên bản|lần thứ|phiên họp thứ|mức độ|cấp độ|"
    r"nghị quyết|nghị định|quyết định|thông tư|chỉ thị|luật|công văn|số hiệu)(?:\s+số)?\s*$"
)


def _is_year(s: str) -> bool:
    return bool(re.fullmatch(r"(19|20)\d\d", s))


def _qualifier(before: str) -> tuple[str | None, int]:
    """The approximating word ending just before a number, and where it starts in ``before``."""
    m = _BEFORE_QUALIFIER.search(before.lower())
    if not m:
        return None, len(before)
    q = m["q"]
    return _QUALIFIER_AS.get(q, q), m.start("q")


def _scaled(number: Decimal, scale: str | None) -> Decimal:
    return number * _SCALES[scale.lower()] if scale else number


def find_numbers(text: str) -> list[NumberPhrase]:
    """Every number phrase of ``text``, in order; dates, years, labels and document numbers left out."""
    found: list[NumberPhrase] = []
    last_end = 0
    for m in _CANDIDATE.finditer(text):
        if m.start() < last_end:  # the upper end of a range already read
            continue
        a, b, tail = m["a"], m["b"], m["tail"]
        end = m.end()
        before = text[max(0, m.start() - 40) : m.start()]
        low_before = before.lower()
        if tail:  # 82/2024/NĐ-CP, 06/CP, 18-NQ/TW, 25/01/2025: a document number or a full date
            continue
        if end < len(text) and (_GLUED.match(text[end]) or re.match(r"[:h]\d", text[end : end + 2])):
            continue  # 5G, 20Tbps; a time 11:05
        if b is None and _is_year(a) and re.match(r"-(0?[1-9]|1[0-2])(?!\d)", text[end : end + 4]):
            continue  # 2024-12: a year and month
        if _BEFORE_LABEL.search(low_before):
            continue
        if b is not None:
            if _is_year(b) and not ("." in a or "," in a) and int(a) <= 12:  # tháng 4/2024
                continue
            if _BEFORE_DATE.search(low_before):  # ngày 6/2, chiều 6/2
                continue
        elif _is_year(a):
            rng = _RANGE_TAIL.match(text, end)
            if not (rng and not _is_year(rng["u"])):  # 2024, 2021-2030 (years); 2000-3000 is a range
                continue
        elif _BEFORE_DATE.search(low_before) and re.search(r"(?:tháng|quý|năm)\s*$", low_before):
            continue  # tháng 12, năm 2024 handled above
        if (
            b is None
            and _TIME_UNIT.match(text, end)
            and not _PERCENT.match(text, end)
            # a decimal is a measure in years unless a span's word opens it ("số năm đi học kỳ vọng 13,2 năm";
            # "sau 1,5 năm", "trong 2,5 năm qua" stay durations)
            and not ("," in a and not re.search(r"(?:^|\s)(?:sau|trong|suốt|mất|vòng|qua|từ)\s*$", low_before))
        ):
            continue  # 9 tháng, 01 ngày: a duration
        try:
            n = parse_decimal(a)
            d = parse_decimal(b) if b is not None else None
        except ValueError:
            continue
        qualifier, q_at = _qualifier(before)
        start = m.start() - (len(before) - q_at) if qualifier else m.start()
        change_m = _BEFORE_CHANGE.search(low_before)
        change = change_m["c"] if change_m else None
        ordinal = bool(_BEFORE_ORDINAL.search(low_before))
        kind = NumberKind.PLAIN
        upper: Decimal | None = None
        per = scale = currency = None
        if d is not None:
            kind = NumberKind.FRACTION
        elif (rng := _RANGE_TAIL.match(text, end)) is not None:
            try:
                upper = parse_decimal(rng["u"])
            except ValueError:
                continue
            kind, end = NumberKind.RANGE, rng.end()
        if kind is not NumberKind.FRACTION and (pm := _PERCENT.match(text, end)) is not None:
            kind, end, per = (NumberKind.PERCENT if kind is NumberKind.PLAIN else kind), pm.end(), pm["per"]
        elif kind is not NumberKind.FRACTION and (sm := _SCALE.match(text, end)) is not None:
            scale, end = sm["s"].lower(), sm.end()
            if (cm := _CURRENCY.match(text, end)) is not None:
                currency, end = _CURRENCIES[cm["c"].lower()], cm.end()
        elif kind is not NumberKind.FRACTION and (cm := _CURRENCY.match(text, end)) is not None:
            currency, end = _CURRENCIES[cm["c"].lower()], cm.end()
        if kind is NumberKind.PLAIN and (wm := _AFTER_WORD.match(text, end)) is not None:
            kind = NumberKind.RANK_CHANGE if wm["w"].lower() == "bậc" else NumberKind.MULTIPLE
            end = wm.end()
        value = _scaled(n, scale)
        last_end = end
        found.append(
            NumberPhrase(
                value=float(value),
                kind=kind,
                start=start,
                end=end,
                number_start=m.start(),
                text=text[start:end],
                qualifier=qualifier,
                numerator=float(n) if d is not None else None,
                denominator=float(d) if d is not None else None,
                upper=float(_scaled(upper, scale)) if upper is not None else None,
                scale=scale,
                currency=currency,
                change=change,
                ordinal=ordinal,
                per=per,
            )
        )
    return found


def parse_number_phrase(text: str) -> NumberPhrase:
    """The one number phrase that ``text`` is ('hơn 2,8 triệu', '45,8%', '25/25'); ValueError otherwise.

    Words before the phrase that give its reading ("tăng", "thứ", "khoảng") may be part of ``text``.
    """
    phrases = find_numbers(text)
    if len(phrases) != 1 or text[phrases[0].end :].strip():
        raise ValueError(f"not one Vietnamese number phrase: {text!r}")
    return phrases[0]
