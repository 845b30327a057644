"""User-facing text: Vietnamese first, English available; numbers in Vietnamese style.

Messages are ids with a Vietnamese and an English template, in one table (``MESSAGES``) kept as data in
``messages/*.yaml``, one file per area, so a translator edits text without touching code; an id is defined
once, and ``tests/test_messages.py`` checks that every id used exists in both languages with the same params.
Numbers go through Babel with ROUND_HALF_UP applied first, because Babel rounds half to even and Vietnamese readers
expect 45,85 → 45,9. Formatting never raises on a float: an infinity or a NaN shows as "—" and a number of
``SCIENTIFIC_FROM`` or more as a power of ten ("1,23×10³⁰⁰"), whatever a store holds.
"""

from __future__ import annotations

import calendar
import math
import os
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import yaml
from babel.numbers import format_decimal

LANGS = ("vi", "en")
LOCALES = {"vi": "vi_VN", "en": "en_US"}

MESSAGE_DIR = Path(__file__).parent / "messages"


def load_messages(folder: Path = MESSAGE_DIR) -> dict[str, tuple[str, str]]:
    """The message table from its YAML files (one per area: core, engine, ingest, web, account, templates, cli):
    ``id: {vi: …, en: …}``. An id is defined once; both languages are given."""
    table: dict[str, tuple[str, str]] = {}
    where: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        entries = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
        for msg_id, texts in entries.items():
            if msg_id in table:
                raise RuntimeError(f"{path.name}: message {msg_id!r} is already defined in {where[msg_id]}")
            if not isinstance(texts, dict) or not all(isinstance(texts.get(k), str) for k in LANGS):
                raise RuntimeError(f"{path.name}: message {msg_id!r} needs a 'vi' and an 'en' text")
            table[msg_id] = (texts["vi"], texts["en"])
            where[msg_id] = path.name
    return table


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MESSAGES: dict[str, tuple[str, str]] = load_messages()


def current_lang(lang: str | None = None) -> str:
    lang = (lang or os.environ.get("CHISO_LANG") or "vi").lower()[:2]
    return lang if lang in LANGS else "vi"


def t(msg_id: str, lang: str | None = None, /, **params: object) -> str:
    vi, en = MESSAGES[msg_id]
    return (en if current_lang(lang) == "en" else vi).format(**params)


def fmt_date(d: date, lang: str | None = None) -> str:
    """01/07/2025 in Vietnamese, 1 July 2025 in English."""
    if current_lang(lang) == "en":
        return f"{d.day} {calendar.month_name[d.month]} {d.year}"
    return d.strftime("%d/%m/%Y")


def _decimal(x: float) -> Decimal:
    """The exact decimal of a number: an int as is, a float by its shortest text (``repr``)."""
    return Decimal(x) if isinstance(x, int) else Decimal(repr(float(x)))


def _finite(x: float) -> bool:
    return isinstance(x, int) or math.isfinite(x)


def round_half_up(x: float, decimals: int) -> Decimal:
    """``x`` rounded half up to ``decimals`` places, exactly, however large (an infinity or NaN is returned as is)."""
    d = _decimal(x)
    if not d.is_finite():
        return d
    need = d.adjusted() + decimals + 3
    if need <= 28 and 0 <= decimals < len(_PLACES):  # the default context holds it: no context to set up
        return d.quantize(_PLACES[decimals], rounding=ROUND_HALF_UP)
    with localcontext() as ctx:  # enough digits for the integer part and the places (28 by default)
        ctx.prec = max(28, need)
        return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


_PLACES = tuple(Decimal(1).scaleb(-k) for k in range(13))  # 1, 0.1, … 1E-12


# From here a number is written as a power of ten: a billion billion has no Vietnamese scale word, and no
# figure of the framework comes near it (see ``chiso.catalogue.models.MAX_MAGNITUDE``).
SCIENTIFIC_FROM = 1e18
NOT_FINITE = "—"
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _scientific(x: float, lang: str | None) -> str:
    """1.234e300 → '1,23×10³⁰⁰' (vi) / '1.23×10³⁰⁰' (en)."""
    d = _decimal(x)
    exponent = d.adjusted()
    mantissa = d.scaleb(-exponent).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(mantissa) >= 10:  # 9.999e20 rounds to 10,00
        mantissa, exponent = mantissa.scaleb(-1).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), exponent + 1
    return f"{fmt_number(float(mantissa), 2, lang)}×10{str(exponent).translate(_SUPERSCRIPT)}"


def fmt_number(x: float | None, decimals: int = 2, lang: str | None = None, *, trim: bool = True) -> str:
    """45.8 → '45,8' (vi) / '45.8' (en); 2800000 → '2.800.000'; inf, NaN → '—'; 1e300 → '1×10³⁰⁰'."""
    if x is None:
        return "—"
    if not _finite(x):
        return NOT_FINITE
    if abs(x) >= SCIENTIFIC_FROM:
        return _scientific(x, lang)
    d = round_half_up(x, decimals)
    if d == 0:
        d = abs(d)  # "-0" is not a number a reader writes
    if trim and d == d.to_integral():
        d = d.quantize(Decimal(1))
    elif trim:
        d = d.normalize()
    places = max(0, -int(d.as_tuple().exponent))
    fmt = "#,##0" + ("." + "0" * places if places else "")
    return str(format_decimal(d, format=fmt, locale=LOCALES[current_lang(lang)]))


_SCALES_VI = ((10**12, "nghìn tỷ"), (10**9, "tỷ"), (10**6, "triệu"), (10**3, "nghìn"))
_SCALES_EN = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))


def fmt_compact(x: float | None, lang: str | None = None, decimals: int = 2) -> str:
    """2_800_000 → '2,8 triệu'; 55_250_000 → '55,25 triệu'; 12.9e12 → '12,9 nghìn tỷ'; below 10 000 in full."""
    if x is None:
        return "—"
    if not _finite(x) or abs(x) >= SCIENTIFIC_FROM:
        return fmt_number(x, decimals, lang)
    scale = _compact_scale(x, lang, decimals)
    if scale is not None:
        return f"{fmt_number(x / scale[0], decimals, lang)} {scale[1]}"
    return fmt_number(x, 0 if float(x).is_integer() else 2, lang)


def _compact_scale(x: float, lang: str | None, decimals: int) -> tuple[int, str] | None:
    """The scale ``fmt_compact`` writes ``x`` in (10¹², "nghìn tỷ"), None below 10 000."""
    scales = _SCALES_EN if current_lang(lang) == "en" else _SCALES_VI
    for i, (size, word) in enumerate(scales):
        if abs(x) >= size and (size > 10**3 or abs(x) >= 10_000):
            if i > 0 and abs(round_half_up(x / size, decimals)) >= 1000:
                return scales[i - 1]  # 999.999 rounds to "1 triệu", not "1.000 nghìn"
            return size, word
    return None


def measure_name(unit: str, lang: str | None = None) -> str:
    """A unit of measure as the definitions write it ("giao dịch"), in the language asked ("transactions"); one
    without an entry (a workspace's own indicator) as given."""
    return t(f"measure.{unit}", lang) if f"measure.{unit}" in MESSAGES else unit


def fmt_value(x: float | None, unit: str, decimals: int, lang: str | None = None, kind: str | None = None) -> str:
    """A value the way the reports write it: '45,8%', '2,8 triệu giao dịch', '1.267.427 lượt', 'thứ 71'."""
    if x is None:
        return t("no_value", lang)
    if not _finite(x):
        return NOT_FINITE
    if kind == "rank":
        return f"thứ {fmt_number(x, 0, lang)}" if current_lang(lang) == "vi" else f"#{fmt_number(x, 0, lang)}"
    if unit == "%":
        return f"{fmt_number(x, decimals, lang)}%"
    unit = measure_name(unit, lang)
    if _compact(x):
        return f"{fmt_compact(x, lang)} {unit}".rstrip()
    return f"{fmt_number(x, decimals, lang)} {unit}".rstrip()


def _compact(x: float) -> bool:
    """Round figures ("2,8 triệu", "942 triệu") read compact; exact ones ("1.267.427") in full."""
    return abs(x) >= 1_000_000 and (len(str(round(abs(x))).rstrip("0")) <= 4 or abs(x) >= 10**8)


def shown_value(x: float, unit: str, decimals: int, kind: str | None = None) -> float:
    """The number ``fmt_value``'s text shows for ``x``, after its rounding and scale (5,397 nghìn tỷ → 5,4 nghìn tỷ):
    a bound said with it ("hơn …", "gần …") must hold for the number shown, not only for ``x``."""
    if not _finite(x) or abs(x) >= SCIENTIFIC_FROM:
        return float(x)
    if kind == "rank":
        return float(round_half_up(x, 0))
    if unit != "%" and _compact(x):
        scale = _compact_scale(x, None, 2)
        if scale is not None:
            return float(round_half_up(x / scale[0], 2)) * scale[0]
    return float(round_half_up(x, decimals))
