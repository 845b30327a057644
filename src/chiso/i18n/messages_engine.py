"""Messages of answering: the engine, structures and rebasing: id → (Vietnamese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # rebasing across a change of structure (chiso.engine.rebase)
    "rebase.period_year": ("năm {period}", "{period}"),
    "rebase.period": ("kỳ {period}", "period {period}"),
    "rebase.note": (
        "Số liệu {period} tính theo cơ cấu đơn vị ngày {date} (gộp từ {units})",
        "Figures for {period} in the unit structure of {date} (combined from {units})",
    ),
    "rebase.note_one": (
        "Số liệu {period} tính theo cơ cấu đơn vị ngày {date} (từ {units})",
        "Figures for {period} in the unit structure of {date} (from {units})",
    ),
    "rebase.share_unknown": ("phần chưa rõ", "share unknown"),
    "rebase.qualifier": ("ước tính", "estimate"),
    "rebase.estimate": (
        "Đây là số ước tính, không phải số tính đủ: tỷ lệ của các đơn vị cũ bình quân theo trọng số {basis}: {weights}",
        "This is an estimate, not an exact figure: the former units' rates weighted by {basis}: {weights}",
    ),
    "rebase.refused": (
        "Không tính được số liệu {period} của {unit} theo cơ cấu đơn vị ngày {date}: {reasons}.",
        "Cannot give {unit}'s figure for {period} in the unit structure of {date}: {reasons}.",
    ),
    "rebase.lack.value": ("{unit} không có số liệu", "{unit} has no data"),
    "rebase.lack.parts": (
        "{unit} chỉ có tỷ lệ, thiếu tử số và mẫu số để tính lại",
        "{unit} has a rate without the numerator and denominator needed to recompute it",
    ),
    "rebase.lack.share": (
        "chưa biết tỷ lệ phần của {unit} chuyển sang {to} (thiếu share trong danh mục đơn vị)",
        "the share of {unit} that went to {to} is not known (no share in the unit catalogue)",
    ),
    "rebase.lack.kind": (
        "chỉ tiêu loại {kind} không cộng gộp giữa các đơn vị ({unit})",
        "an indicator of kind {kind} is never combined over units ({unit})",
    ),
    "rebase.lack.basis": (
        "{unit} không có số liệu của chỉ tiêu dùng làm trọng số",
        "{unit} has no value of the basis indicator",
    ),
    "rebase.lack.split": (
        "{unit} đã chuyển vào {to}; số liệu của đơn vị kế thừa không chia ngược lại được",
        "{unit} went into {to}; a successor's figure cannot be divided back",
    ),
    "rebase.estimate_hint": (
        "Có thể yêu cầu một số ước tính, có trọng số theo một chỉ tiêu khác (--estimate MÃ_CHỈ_TIÊU).",
        "An estimate weighted by another indicator can be asked for (--estimate CODE).",
    ),
    "rebase.bad_basis": (
        "chỉ tiêu {code} (loại {kind}) không dùng làm trọng số được; cần chỉ tiêu đếm, lũy kế hoặc tỷ lệ",
        "indicator {code} (kind {kind}) cannot weight an estimate; a count, stock or rate is needed",
    ),
    "rebase.not_in_structure": (
        "{unit} không thuộc cơ cấu đơn vị ngày {date} và không có một đơn vị kế thừa toàn bộ; "
        "đơn vị kế thừa: {successors}",
        "{unit} is not in the unit structure of {date} and no single unit took it over whole; "
        "successors: {successors}",
    ),
    "rebase.series": (
        "Các kỳ {periods} của {unit} tính lại theo cơ cấu đơn vị ngày {date} (gộp từ {units})",
        "Periods {periods} of {unit} recomputed in the unit structure of {date} (combined from {units})",
    ),
    "rebase.structure": ("Cơ cấu đơn vị", "Unit structure"),
    "rebase.rank": (
        "Số liệu {period} tính theo cơ cấu đơn vị ngày {date}; {n} đơn vị được tính lại từ các đơn vị trước đó",
        "Figures for {period} in the unit structure of {date}; {n} units recomputed from the units before them",
    ),
    "rebase.not_yet": (
        "{unit} chưa có trong cơ cấu đơn vị ngày {date} (có từ ngày {since})",
        "{unit} is not yet in the unit structure of {date} (it begins on {since})",
    ),
    "rebase.estimate_needs_structure": (
        "--estimate chỉ dùng cùng --structure (ước tính khi tính lại theo cơ cấu đơn vị khác)",
        "--estimate goes with --structure (an estimate is made only when rebasing to another structure)",
    ),
    # unit structures (chiso.engine.structure)
    "unknown.structure": ("không hiểu cơ cấu đơn vị {name!r}", "unknown unit structure {name!r}"),
    "structure.by_period": ("theo kỳ", "by period"),
    "structure.by_period_default": ("theo kỳ (mặc định)", "by period (default)"),
    "structure.2024": ("2024 (63 tỉnh, 22 bộ)", "2024 (63 provinces, 22 ministries)"),
    "structure.2025": ("2025 (34 tỉnh, 17 bộ)", "2025 (34 provinces, 17 ministries)"),
    "structure.of": ("cơ cấu đơn vị ngày {date}", "unit structure of {date}"),
    # the years with data and the live one (chiso.engine.latest)
    "live.note": (
        "Năm {live} đang cập nhật trực tiếp: các chỉ tiêu tính từ sự kiện ({names}) thay đổi ngay khi sự kiện đến "
        "(nguồn: {sources}); {have}/{keys} chỉ tiêu chính đã có số liệu năm {live}, các chỉ tiêu khác chờ báo cáo.",
        "{live} is updating live: the indicators computed from events ({names}) change as soon as events arrive "
        "(source: {sources}); {have} of {keys} key indicators have figures for {live} so far, the others await "
        "reports.",
    ),
    "live.stream_unknown": ("sự kiện của các hệ thống nguồn", "the source systems' events"),
    "live.see_live": ("Xem năm {live} (trực tiếp)", "See {live} (live)"),
    "live.see_complete": (
        "Xem năm {complete}, năm gần nhất có đủ số liệu",
        "See {complete}, the latest year with complete figures",
    ),
    "live.showing_complete": (
        "Trang đang hiện năm {complete}, năm gần nhất có số liệu của phần lớn chỉ tiêu chính.",
        "This page shows {complete}, the latest year with figures for most key indicators.",
    ),
    "as_of": ("số liệu {period}", "figure for {period}"),
    # figures as the command line and the demo show them
    "figure.source.reported": ("báo cáo", "reported"),
    "figure.source.computed": ("tính từ sự kiện", "computed from events"),
    "figure.source.aggregated": ("tổng hợp", "aggregated"),
    "figure.target": ("mục tiêu {target}", "target {target}"),
    "figure.attained": ("đạt {attainment}", "{attainment} reached"),
    "demo.loading": ("Nạp bộ số liệu {dataset}", "Loading the {dataset} dataset"),
    "demo.simulating": ("Mô phỏng năm {year}", "Simulating {year}"),
    "demo.computing": ("Tính toán", "Computing"),
    "demo.writing": ("Viết báo cáo năm {year}", "Writing the {year} annual report"),
    "demo.key_title": (
        "Chuyển đổi số quốc gia năm {year} — chỉ tiêu chính",
        "National digital transformation {year} — key indicators",
    ),
    "demo.report": ("Báo cáo năm {year}", "The {year} annual report"),
    # stored as the event source's name, shown in either language: said in both
    "demo.stream_name": (
        "Luồng mô phỏng {year} (simulated {year} stream)",
        "Luồng mô phỏng {year} (simulated {year} stream)",
    ),
    "demo.streaming": (
        "Một năm {year} mô phỏng đang được gửi trực tiếp: các chỉ tiêu tính từ sự kiện của năm {year} thay đổi khi "
        "sự kiện đến; trang tổng quan mở năm {complete}, năm có đủ số liệu. Ctrl+C để dừng.",
        "A simulated {year} is streaming in live: the {year} indicators computed from events change as events "
        "arrive; the overview opens on {complete}, the year with complete figures. Ctrl+C to stop.",
    ),
}
