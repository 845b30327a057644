"""User-facing text: Vietnamese first, English available; numbers in Vietnamese style.

Messages are ids with a Vietnamese and an English template, in one table: ``MESSAGES`` here (names, rows,
answers) merged with one module per area (``chiso.i18n.messages_*``); an id is defined once.
Numbers go through Babel with ROUND_HALF_UP applied first, because Babel rounds half to even and Vietnamese readers
expect 45,85 → 45,9.
"""

from __future__ import annotations

import calendar
import os
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

LANGS = ("vi", "en")
LOCALES = {"vi": "vi_VN", "en": "en_US"}

MESSAGES: dict[str, tuple[str, str]] = {
    # names
    "unknown.indicator": ("không rõ mã chỉ tiêu {name!r}", "unknown indicator code {name!r}"),
    "unknown.unit": ("không rõ đơn vị {name!r}", "unknown unit {name!r}"),
    "unknown.period": ("không rõ kỳ {name!r}", "unknown period {name!r}"),
    "unknown.name": ("không rõ tên {name!r}", "unknown name {name!r}"),
    "did_you_mean": ("có phải là: {names}", "did you mean: {names}"),
    # rows
    "row": ("dòng {row}", "row {row}"),
    "field": ("trường {field!r}", "field {field!r}"),
    "got": ("nhận được {value!r}", "got {value!r}"),
    "required": ("bắt buộc, đang để trống", "is required but empty"),
    "not_a_number": ("phải là một số", "must be a number"),
    "not_a_bool": ("phải là có/không (true/false, 1/0)", "must be yes/no (true/false, 1/0)"),
    "below_range": ("nhỏ hơn giá trị thấp nhất cho phép {lo}", "is below the lowest allowed value {lo}"),
    "above_range": ("lớn hơn giá trị cao nhất cho phép {hi}", "is above the highest allowed value {hi}"),
    "numerator_above_denominator": (
        "tử số {numerator} lớn hơn mẫu số {denominator}",
        "numerator {numerator} is above denominator {denominator}",
    ),
    "denominator_not_positive": ("mẫu số phải lớn hơn 0", "denominator must be above 0"),
    "negative": ("không được âm", "must not be negative"),
    "parts_need_both": ("cần cả tử số và mẫu số", "needs both numerator and denominator"),
    "value_or_parts": ("cần giá trị, hoặc tử số và mẫu số", "needs a value, or a numerator and a denominator"),
    "parts_not_for_kind": (
        "chỉ tiêu loại {kind} không có tử số, mẫu số",
        "an indicator of kind {kind} has no numerator or denominator",
    ),
    "value_disagrees_with_parts": (
        "giá trị {value} không khớp với tử số/mẫu số ({computed})",
        "value {value} disagrees with numerator/denominator ({computed})",
    ),
    "target_period": (
        "mục tiêu chỉ đặt cho năm hoặc quý, không cho kỳ {period}",
        "a target is set for a year or a quarter, not for period {period}",
    ),
    "duplicate_row": (
        "trùng với dòng {other} (cùng chỉ tiêu, đơn vị, kỳ)",
        "repeats row {other} (same code, unit, period)",
    ),
    "unit_not_valid": (
        "đơn vị {unit} không tồn tại trong kỳ {period} (hiệu lực {valid})",
        "unit {unit} does not exist in period {period} (valid {valid})",
    ),
    "group_value_kind": (
        "giá trị của nhóm {unit} chỉ nhận từ báo cáo công bố",
        "a value for group {unit} comes only from published reports",
    ),
    # answers
    "no_value": ("không có số liệu", "no data"),
    "not_aggregable": (
        "chỉ tiêu loại {kind} không cộng gộp theo {over}",
        "an indicator of kind {kind} is not combined over {over}",
    ),
    "missing_parts": (
        "thiếu tử số/mẫu số của: {units}",
        "numerator/denominator missing for: {units}",
    ),
    "missing_members": (
        "chưa có số liệu của {n}/{total} đơn vị: {units}",
        "no data from {n} of {total} units: {units}",
    ),
    # import
    "import.ok": (
        "Đã nhập {inserted} giá trị mới, cập nhật {updated}, giữ nguyên {unchanged} (từ {file}).",
        "Imported {inserted} new values, updated {updated}, {unchanged} unchanged (from {file}).",
    ),
    "import.rejected": (
        "Từ chối {n} dòng; chi tiết trong {file}.",
        "Rejected {n} rows; reasons written to {file}.",
    ),
    "import.failed": (
        "Không nhập gì: {file} có {n} lỗi:",
        "Nothing imported: {file} has {n} problem(s):",
    ),
    # extract (reading figures back from a published report)
    "extract.found": (
        "Tìm thấy {n} số liệu trong {file} (kỳ của báo cáo: {period}).",
        "Found {n} figures in {file} (report period: {period}).",
    ),
    "extract.none": ("Không tìm thấy số liệu nào trong {file}.", "No figures found in {file}."),
    "extract.no_period": (
        "{file}: không xác định được kỳ của báo cáo; hãy cho biết bằng --period (ví dụ 2024, 2024Q3, 2024-04).",
        "{file}: the report's period could not be read; give it with --period (e.g. 2024, 2024Q3, 2024-04).",
    ),
    "extract.prompt": (
        "Nhập số liệu nào? 'all' (tất cả), số thứ tự như 1-5,8, hoặc Enter để không nhập",
        "Import which figures? 'all', numbers such as 1-5,8, or Enter for none",
    ),
    "extract.bad_selection": (
        "lựa chọn không hợp lệ {text!r}: dùng 'all', số thứ tự từ 1 đến {n} như 1-5,8, hoặc để trống",
        "invalid selection {text!r}: use 'all', numbers from 1 to {n} such as 1-5,8, or nothing",
    ),
    "extract.nothing": ("Không nhập số liệu nào.", "Nothing imported."),
    "extract.accepted": (
        "Đã nhập {values} giá trị ({inserted} mới, {updated} cập nhật, {unchanged} giữ nguyên) và {targets} mục tiêu"
        " từ {file}, nguồn {source}.",
        "Imported {values} values ({inserted} new, {updated} updated, {unchanged} unchanged) and {targets} targets"
        " from {file}, source {source}.",
    ),
    "extract.failed": ("Không nhập gì: {n} số liệu có lỗi:", "Nothing imported: {n} figure(s) have problems:"),
}


def _merge() -> None:
    from chiso.i18n import (
        messages_account,
        messages_cli,
        messages_engine,
        messages_events,
        messages_ingest,
        messages_templates,
        messages_web,
    )

    parts = (messages_engine, messages_ingest, messages_events, messages_web, messages_account, messages_templates,
             messages_cli)
    for part in parts:
        twice = MESSAGES.keys() & part.MESSAGES.keys()
        if twice:
            raise RuntimeError(f"message ids defined twice: {sorted(twice)}")
        MESSAGES.update(part.MESSAGES)


_merge()


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


def round_half_up(x: float, decimals: int) -> Decimal:
    q = Decimal(1).scaleb(-decimals)
    return Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP)


def fmt_number(x: float | None, decimals: int = 2, lang: str | None = None, *, trim: bool = True) -> str:
    """45.8 → '45,8' (vi) / '45.8' (en); 2800000 → '2.800.000'."""
    if x is None:
        return "—"
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
    scales = _SCALES_EN if current_lang(lang) == "en" else _SCALES_VI
    for i, (size, word) in enumerate(scales):
        if abs(x) >= size and (size > 10**3 or abs(x) >= 10_000):
            if i > 0 and abs(round_half_up(x / size, decimals)) >= 1000:
                size, word = scales[i - 1]  # 999.999 rounds to "1 triệu", not "1.000 nghìn"
            return f"{fmt_number(x / size, decimals, lang)} {word}"
    return fmt_number(x, 0 if float(x).is_integer() else 2, lang)


def fmt_value(x: float | None, unit: str, decimals: int, lang: str | None = None, kind: str | None = None) -> str:
    """A value the way the reports write it: '45,8%', '2,8 triệu giao dịch', '1.267.427 lượt', 'thứ 71'."""
    if x is None:
        return t("no_value", lang)
    if kind == "rank":
        return f"thứ {fmt_number(x, 0, lang)}" if current_lang(lang) == "vi" else f"#{fmt_number(x, 0, lang)}"
    if unit == "%":
        return f"{fmt_number(x, decimals, lang)}%"
    # round figures ("2,8 triệu", "942 triệu") read compact; exact ones ("1.267.427") in full
    if abs(x) >= 1_000_000 and (len(str(round(abs(x))).rstrip("0")) <= 4 or abs(x) >= 10**8):
        return f"{fmt_compact(x, lang)} {unit}".rstrip()
    return f"{fmt_number(x, decimals, lang)} {unit}".rstrip()
