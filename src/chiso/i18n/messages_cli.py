"""Messages of the command line: id → (Vietnamese, English).

A few lines read in both languages at once, whatever ``--lang`` says (the workspace summaries, the progress
bars, the demo's notes); their two texts are the same bilingual line.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "cli.error": ("Lỗi", "Error"),
    # labels: table headers and the rows of an answer
    "cli.label.action": ("Thao tác", "Action"),
    "cli.label.after": ("Sau", "After"),
    "cli.label.alternatives": ("Số liệu khác", "Other figures"),
    "cli.label.approx": ("xấp xỉ", "approximate"),
    "cli.label.as_of": ("tính đến", "as of"),
    "cli.label.attainment": ("Đạt", "Attainment"),
    "cli.label.before": ("Trước", "Before"),
    "cli.label.code": ("Mã", "Code"),
    "cli.label.coverage": ("đơn vị có số liệu", "units with data"),
    "cli.label.excerpt": ("Trích đoạn", "Excerpt"),
    "cli.label.indicator": ("Chỉ tiêu", "Indicator"),
    "cli.label.kind": ("Loại", "Kind"),
    "cli.label.last_year": ("Cùng kỳ năm trước", "Same period last year"),
    "cli.label.line": ("Dòng", "Line"),
    "cli.label.name": ("Tên", "Name"),
    "cli.label.period": ("Kỳ", "Period"),
    "cli.label.pillar": ("Trụ cột", "Pillar"),
    "cli.label.previous": ("Kỳ trước", "Previous period"),
    "cli.label.rank": ("Hạng", "Rank"),
    "cli.label.region": ("Vùng", "Region"),
    "cli.label.source": ("Nguồn", "Source"),
    "cli.label.target": ("Mục tiêu", "Target"),
    "cli.label.type": ("Loại", "Type"),
    "cli.label.unit": ("Đơn vị", "Unit"),
    "cli.label.value": ("Giá trị", "Value"),
    "cli.label.what": ("Loại", "What"),
    "cli.label.when": ("Thời điểm", "When"),
    "cli.label.who": ("Người thực hiện", "Who"),
    # chiso init, load, check
    "cli.workspace.summary": (
        "{indicators} chỉ tiêu / indicators, {units} đơn vị / units",
        "{indicators} chỉ tiêu / indicators, {units} đơn vị / units",
    ),
    "cli.load.done": (
        "{name}: thêm {inserted} giá trị, cập nhật {updated}, giữ nguyên {unchanged}; "
        "ghi {targets_written} mục tiêu, giữ nguyên {targets_unchanged}.",
        "{name}: {inserted} values added, {updated} updated, {unchanged} unchanged; "
        "{targets_written} targets written, {targets_unchanged} unchanged.",
    ),
    # chiso ingest, simulate, events
    "cli.events.receipt": (
        "{kind}: nhận {received}, chấp nhận {accepted}, trùng {duplicates}, từ chối {rejected}",
        "{kind}: {received} received, {accepted} accepted, {duplicates} duplicates, {rejected} rejected",
    ),
    "cli.events.moved": ("; chuyển sang đơn vị kế thừa: {moves}", "; moved to successors: {moves}"),
    "cli.events.ingesting": ("Nạp sự kiện / ingesting", "Nạp sự kiện / ingesting"),
    "cli.events.ingested": (
        "Đã nạp vào workspace / ingested into the workspace.",
        "Đã nạp vào workspace / ingested into the workspace.",
    ),
    "cli.simulate.sent": ("{n} sự kiện đã gửi / events sent", "{n} sự kiện đã gửi / events sent"),
    "cli.simulate.stage": ("Mô phỏng {stage} / simulating", "Mô phỏng {stage} / simulating"),
    "cli.simulate.written": (
        "{dossiers} hồ sơ / dossiers, {records} bản ghi trạng thái / status records, {ndxp} giao dịch NDXP → {target}",
        "{dossiers} hồ sơ / dossiers, {records} bản ghi trạng thái / status records, {ndxp} giao dịch NDXP → {target}",
    ),
    # chiso report
    "cli.report.writing": ("Đang viết báo cáo…", "Writing the report…"),
    "cli.report.missing": (
        "Chỉ tiêu chưa có số liệu trong kỳ: {missing}",
        "Indicators without data for the period: {missing}",
    ),
    # chiso demo
    "cli.demo.making": ("Khởi tạo workspace / making the workspace", "Khởi tạo workspace / making the workspace"),
    "cli.demo.summary": (
        "{values} giá trị / values, {indicators} chỉ tiêu / indicators, {units} đơn vị / units",
        "{values} giá trị / values, {indicators} chỉ tiêu / indicators, {units} đơn vị / units",
    ),
    "cli.demo.scale_note": (
        "Số liệu 'computed' tính từ sự kiện của quốc gia mô phỏng ở tỷ lệ {vi_scale}: các tỷ lệ (%) so được với số"
        " công bố, còn các số đếm nhỏ hơn {vi_times} lần; số công bố vẫn hiện bên cạnh.\n"
        "'computed' figures come from the simulated nation's events at scale {en_scale}: rates compare with the"
        " published ones, counts are {en_times}× smaller; the published figures stay beside them.",
        "Số liệu 'computed' tính từ sự kiện của quốc gia mô phỏng ở tỷ lệ {vi_scale}: các tỷ lệ (%) so được với số"
        " công bố, còn các số đếm nhỏ hơn {vi_times} lần; số công bố vẫn hiện bên cạnh.\n"
        "'computed' figures come from the simulated nation's events at scale {en_scale}: rates compare with the"
        " published ones, counts are {en_times}× smaller; the published figures stay beside them.",
    ),
    "cli.demo.try": ("Thử / try:", "Thử / try:"),
    "cli.demo.log_in": ("đăng nhập / log in: {logins}", "đăng nhập / log in: {logins}"),
}
