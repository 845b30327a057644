"""Messages of the web's accounts, forms, administration and event endpoints: id → (Vietnamese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # roles
    "role.admin": ("Quản trị", "Administrator"),
    "role.reviewer": ("Người duyệt", "Reviewer"),
    "role.reporter": ("Người báo cáo", "Reporter"),
    "role.viewer": ("Người xem", "Viewer"),
    # logging in and out
    "login.locked": (
        "Tài khoản tạm thời bị khóa vì đăng nhập sai nhiều lần; hãy thử lại sau 15 phút.",
        "The account is locked for a while after repeated failed logins; try again in 15 minutes.",
    ),
    "login.inactive": (
        "Tài khoản đã bị vô hiệu hóa; hãy liên hệ quản trị.",
        "The account is deactivated; ask an administrator.",
    ),
    "login.wrong": ("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong user name or password."),
    "login.too_many": (
        "Đăng nhập quá nhiều lần; hãy thử lại sau {wait} giây.",
        "Too many login attempts; try again in {wait} seconds.",
    ),
    "login.expired_form": ("Biểu mẫu đăng nhập đã hết hạn; hãy thử lại.", "The login form expired; please try again."),
    "login.missing": ("Hãy nhập tên đăng nhập và mật khẩu.", "Enter your user name and password."),
    "logout.csrf": (
        "Yêu cầu đăng xuất không hợp lệ (thiếu mã CSRF); hãy tải lại trang rồi thử lại.",
        "Invalid logout request (missing CSRF token); reload the page and try again.",
    ),
    # user names and passwords
    "account.username_rule": (
        "Tên đăng nhập gồm 2–100 ký tự: chữ không dấu, số, dấu . _ @ -",
        "A user name is 2–100 characters: letters, digits, . _ @ -",
    ),
    "account.password_short": ("Mật khẩu cần ít nhất {n} ký tự", "A password needs at least {n} characters"),
    "account.password_long": ("Mật khẩu dài quá {n} ký tự", "A password is at most {n} characters"),
    "account.password_is_name": ("Mật khẩu không được trùng tên đăng nhập", "The password must not be the user name"),
    # forms: states, actions, what was done
    "form.state.open": ("Đang nhập", "Being entered"),
    "form.state.submitted": ("Chờ duyệt", "Awaiting review"),
    "form.state.approved": ("Đã duyệt", "Approved"),
    "form.state.returned": ("Bị trả lại", "Returned"),
    "form.action.enter": ("Nhập liệu", "Enter data"),
    "form.action.review": ("Duyệt", "Review"),
    "form.action.reopen": ("Mở lại", "Reopen"),
    "form.action.view": ("Xem", "View"),
    "form.done.saved": ("Đã lưu.", "Saved."),
    "form.done.submitted": ("Đã lưu và gửi duyệt.", "Saved and submitted for review."),
    "form.done.approved": ("Đã duyệt; số liệu được công bố.", "Approved; the figures are published."),
    "form.done.returned": ("Đã trả lại cho đơn vị báo cáo.", "Returned to the reporting unit."),
    "form.done.reopened": ("Đã mở lại biểu mẫu.", "The form was reopened."),
    # forms: one form
    "form.conflict": (
        "Giá trị này vừa được người khác lưu ({who}): giá trị hiện tại là {current}. Giá trị bạn nhập được giữ "
        "trong ô; kiểm tra lại rồi lưu nếu vẫn muốn thay.",
        "Someone else saved this value meanwhile ({who}): it is now {current}. Your input is kept in the box; "
        "check it and save again to replace the current value.",
    ),
    "form.moved": (
        "Biểu mẫu vừa được người khác chuyển trạng thái; hãy xem lại.",
        "Someone else moved this form meanwhile; look at it again.",
    ),
    "form.numerator": ("Tử số", "Numerator"),
    "form.denominator": ("Mẫu số", "Denominator"),
    "form.note.comment": ("Lý do trả lại", "Why it is returned"),
    "form.note.reason": ("Lý do mở lại", "Why it is reopened"),
    "form.denied": ("Bạn không có quyền thực hiện việc này ({reason}).", "You may not do this ({reason})."),
    "form.unknown": ("Không có biểu mẫu này: {reason}.", "No such form: {reason}."),
    # administration: what was done
    "admin.done.target": ("Đã lưu mục tiêu.", "Target saved."),
    "admin.done.user": ("Đã tạo người dùng.", "User created."),
    "admin.done.deactivated": (
        "Đã vô hiệu hóa người dùng; các phiên của họ không còn hiệu lực.",
        "User deactivated; their sessions no longer work.",
    ),
    "admin.done.activated": ("Đã kích hoạt lại người dùng.", "User reactivated."),
    "admin.done.revoked": ("Đã thu hồi token của nguồn sự kiện.", "The event source's token was revoked."),
    # administration: refusals
    "admin.only_national": (
        "Chỉ quản trị viên cấp quốc gia được vào trang quản trị.",
        "Only national administrators may use the admin pages.",
    ),
    "admin.csrf": (
        "Yêu cầu không hợp lệ (thiếu hoặc sai mã CSRF); hãy tải lại trang.",
        "Invalid request (missing or wrong CSRF token); reload the page.",
    ),
    "admin.no_indicator": ("Không có chỉ tiêu {code!r}.", "No indicator {code!r}."),
    "admin.no_user": ("Không có người dùng này.", "No such user."),
    "admin.not_yourself": ("Bạn không thể tự vô hiệu hóa chính mình.", "You cannot deactivate yourself."),
    "admin.no_source": ("Không có nguồn sự kiện này.", "No such event source."),
    # administration: the target form
    "admin.target.indicator": ("Chỉ tiêu: không có mã này", "Indicator: no such code"),
    "admin.target.unit": ("Đơn vị: không có mã này", "Unit: no such code"),
    "admin.target.period_kind": (
        "Kỳ: mục tiêu chỉ đặt cho năm hoặc quý", "Period: a target is for a year or a quarter"
    ),
    "admin.target.period": ("Kỳ: {reason}", "Period: {reason}"),
    "admin.target.not_a_number": ("Giá trị: phải là một số", "Value: must be a number"),
    "admin.target.value": ("Giá trị: {reason}", "Value: {reason}"),
    "admin.target.range": (
        "Giá trị: ngoài khoảng cho phép {lo} – {hi}", "Value: outside the allowed range {lo} – {hi}"
    ),
    "admin.target.source": ("Nguồn: không có văn bản này", "Source: no such document"),
    "admin.target.paragraph": ("Mục: phải là số nguyên", "Paragraph: must be a whole number"),
    # administration: the user form
    "admin.user.name": ("Họ tên: bắt buộc", "Name: required"),
    "admin.user.role": ("Vai trò: không hợp lệ", "Role: not valid"),
    "admin.user.unit": ("Đơn vị phạm vi: không có mã này", "Scope unit: no such code"),
    "admin.user.taken": ("Tên đăng nhập đã có người dùng", "The user name is taken"),
    # administration: the event source form
    "admin.source.id": (
        "Mã nguồn: 1–100 ký tự chữ không dấu, số, . _ : -",
        "Source id: 1–100 characters: letters, digits, . _ : -",
    ),
    "admin.source.taken": ("Mã nguồn đã có", "The source id is taken"),
    "admin.source.kinds": ("Loại sự kiện: chọn ít nhất một", "Event kinds: choose at least one"),
    "admin.source.unit": ("Đơn vị: không có mã {code!r}", "Units: no unit code {code!r}"),
}
