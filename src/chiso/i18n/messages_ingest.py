"""Messages of values in: imports, forms, intake: id → (Vietnamese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # typed numbers (chiso.ingest.vnnumbers.read_number)
    "ambiguous_number": (
        "{text} có thể là {whole} hoặc {decimal}: viết {whole} hoặc {decimal}",
        "{text} could be {whole} or {decimal} (a comma is the decimal mark): write {whole} or {decimal}",
    ),
    # a figure's rules (chiso.ingest.intake)
    "not_whole": (
        "chỉ tiêu loại {kind} nhận số nguyên, không có phần thập phân",
        "an indicator of kind {kind} takes whole numbers, without a decimal part",
    ),
    "not_a_paragraph": ("phải là số thứ tự của đoạn (số nguyên từ 0)", "must be a paragraph number (0 or more)"),
    "too_long": ("dài quá {max} ký tự", "is longer than {max} characters"),
    # forms (chiso.workflow)
    "far_from_history": (
        "khác xa lịch sử của đơn vị: hãy giải thích trong phần ghi chú",
        "far from this unit's history: explain it in a comment",
    ),
    "not_in_dataset": ("{code} không thuộc bộ số liệu {dataset}", "{code} is not part of data set {dataset}"),
    # files (chiso.ingest.files)
    "period_is_a_date": (
        "ô này chứa một ngày, không phải một kỳ; hãy định dạng cột là Văn bản (Text) và gõ ví dụ '2024-04'",
        "the cell holds a date, not a period; format the column as Text and type e.g. '2024-04'",
    ),
}
