"""``/extract``: the national office reads a report's figures on the web, ticks them, imports them (audited)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from chiso import app as core
from test_extract import _docx
from web_support import Client, MakeClient

PW = "mật-khẩu-đủ-dài"
USERS = {
    "admin": ("admin", "VN"),
    "rev": ("reviewer", "VN"),
    "rep": ("reporter", "P48"),
    "viewer": ("viewer", "VN"),
    "padmin": ("admin", "P48"),
}
REPORT = (
    "Kết quả chuyển đổi số quốc gia tháng 4/2024\n"
    "Tỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8% (mục tiêu 2024: 50%), trong đó khối bộ đạt tỷ lệ 63,47%.\n"
    "Đến nay, đã có gần 14,6 triệu tài khoản trên Cổng Dịch vụ công quốc gia."
)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def ws(tmp_path: Path, cheap_hashes: None) -> Iterator[core.Workspace]:
    w = core.init_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'store.sqlite'}")
    for name, (role, unit) in USERS.items():
        w.store.users.create(name, f"Người dùng {name}", PW, role, unit)
    yield w
    w.close()


def session(make_client: MakeClient, ws: core.Workspace, username: str) -> tuple[Client, str]:
    c = make_client(ws, user=username, follow_redirects=False)
    return c, c.csrf


def rows(page: str) -> list[list[str]]:
    """The proposals table: each row's cells, as text."""
    out = []
    for tr in re.findall(r'<tr data-proposal="\d+"[^>]*>(.*?)</tr>', page, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        out.append([" ".join(c) for c in cells])
    return out


def hidden(page: str) -> dict[str, str]:
    form = page[page.index('action="/extract/accept"') :]
    return {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)}


def test_anonymous_goes_to_login(ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, follow_redirects=False)
    assert c.get("/extract").headers["location"] == "/login?next=/extract"
    assert c.post("/extract/accept", data={"text": REPORT, "pick": "0"}).status_code == 303


@pytest.mark.parametrize("username", ["rep", "viewer", "padmin"])
def test_only_the_national_office(make_client: MakeClient, ws: core.Workspace, username: str) -> None:
    c, csrf = session(make_client, ws, username)
    assert c.get("/extract").status_code == 403
    res = c.post("/extract", data={"csrf": csrf, "text": REPORT})
    assert res.status_code == 403 and "data-proposal" not in res.text
    res = c.post("/extract/accept", data={"csrf": csrf, "text": REPORT, "name": "r.txt", "pick": ["0", "1"]})
    assert res.status_code == 403
    assert ws.store.values() == []


def test_csrf_is_required(make_client: MakeClient, ws: core.Workspace) -> None:
    c, _csrf = session(make_client, ws, "rev")
    assert c.post("/extract", data={"text": REPORT}).status_code == 403
    assert c.post("/extract/accept", data={"csrf": "wrong", "text": REPORT, "pick": "0"}).status_code == 403
    assert ws.store.values() == []


def test_upload_review_and_import(make_client: MakeClient, ws: core.Workspace) -> None:
    c, csrf = session(make_client, ws, "rev")
    page = c.get("/extract")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    upload = ("bao-cao.html", f"<html><body><p>{REPORT.replace(chr(10), '</p><p>')}</p></body></html>", "text/html")
    res = c.post("/extract", data={"csrf": csrf}, files={"file": upload})
    assert res.status_code == 200, res.text
    table = rows(res.text)
    line2 = (
        "dòng 2: Tỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8% (mục tiêu 2024: 50%), trong đó khối bộ đạt tỷ lệ 63,47%."
    )
    name = "Tỷ lệ hồ sơ trực tuyến toàn trình"
    assert [r[1:10] for r in table] == [
        ["1", "dossier_full_online_rate", name, "Việt Nam", "2024-04", "45,8%", "", "", line2],
        ["2", "dossier_full_online_rate", name, "Việt Nam", "2024", "", "50%", "", line2],  # the year's target
        ["3", "dossier_full_online_rate", name, "Khối bộ, ngành", "2024-04", "63,47%", "", "", line2],
        [
            "4",
            "portal_accounts",
            "Số tài khoản trên Cổng DVCQG (lũy kế)",
            "Việt Nam",
            "2024-04",
            "14,6 triệu tài khoản",
            "",
            "gần",
            "dòng 3: Đến nay, đã có gần 14,6 triệu tài khoản trên Cổng Dịch vụ công quốc gia.",
        ],
    ]
    assert "<mark>45,8%</mark>" in res.text
    assert res.text.count('name="pick"') == 4 and res.text.count("checked") == 4
    form = hidden(res.text)
    assert form["name"] == "bao-cao.html" and form["text"].startswith("Kết quả chuyển đổi số quốc gia tháng 4/2024")
    # import the first, the target and the fourth only
    done = c.post("/extract/accept", data={**form, "pick": ["0", "1", "3"]})
    assert done.status_code == 303
    source = re.search(r"source=([\w.\-]+)", done.headers["location"])
    assert source and source[1].startswith("extract.bao-cao.")
    stored = {(v.indicator, v.unit): v for v in ws.store.values()}
    assert set(stored) == {("dossier_full_online_rate", "VN"), ("portal_accounts", "VN")}
    assert {(v.source, v.paragraph, v.created_by) for v in stored.values()} == {
        (source[1], 2, "rev"),
        (source[1], 3, "rev"),
    }
    assert [(t.unit, t.period, t.value, t.source) for t in ws.store.targets()] == [("VN", "2024", 50, source[1])]
    assert ws.store.sources()[source[1]].title == "Kết quả chuyển đổi số quốc gia tháng 4/2024"
    assert [a.actor for a in ws.store.history(indicator="portal_accounts")] == ["rev"]
    after = c.get(done.headers["location"])
    assert "Đã nhập 2 giá trị và 1 mục tiêu" in after.text


def test_pasted_text_and_english(make_client: MakeClient, ws: core.Workspace) -> None:
    c, csrf = session(make_client, ws, "admin")
    res = c.post("/extract?lang=en", data={"csrf": csrf, "text": REPORT, "title": "April report"})
    assert res.status_code == 200
    assert [r[3:6] for r in rows(res.text)][2] == ["Full-online dossier rate", "Ministries and agencies", "2024-04"]
    form = hidden(res.text)
    assert form["title"] == "April report" and form["name"] == "pasted.txt"
    done = c.post("/extract/accept", data={**form, "pick": ["2"]})
    assert done.status_code == 303
    assert [s.title for s in ws.store.sources().values()] == ["April report"]


def test_nothing_chosen_writes_nothing(make_client: MakeClient, ws: core.Workspace) -> None:
    c, csrf = session(make_client, ws, "rev")
    form = hidden(c.post("/extract", data={"csrf": csrf, "text": REPORT}).text)
    res = c.post("/extract/accept", data=form)
    assert res.status_code == 400 and "Chưa chọn số liệu nào" in res.text
    assert ws.store.values() == [] and ws.store.sources() == {}


def test_problems_are_shown_and_nothing_is_written(make_client: MakeClient, ws: core.Workspace) -> None:
    c, csrf = session(make_client, ws, "rev")
    # the same key twice: both rows are fine alone, together they are refused
    text = (
        "Kết quả tháng 4/2024\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%.\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 46%."
    )
    form = hidden(c.post("/extract", data={"csrf": csrf, "text": text}).text)
    res = c.post("/extract/accept", data={**form, "pick": ["0", "1"]})
    assert res.status_code == 400 and "trùng với dòng 1" in res.text
    assert ws.store.values() == [] and ws.store.sources() == {}


@pytest.mark.parametrize(
    ("data", "files", "message"),
    [
        ({"text": ""}, None, "tệp rỗng"),
        ({"text": "Tin chuyển đổi số\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%."}, None, "hãy điền kỳ"),
        ({"text": "Báo cáo năm 2024\nKhông có con số nào đáng kể."}, None, "Không tìm thấy số liệu nào"),
        ({}, {"file": ("x.bin", b"\x00\x01\x02binary", "application/octet-stream")}, "tệp nhị phân"),
        ({"text": "Báo cáo\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%.", "period": "2024Q5"}, None, "không rõ kỳ"),
    ],
)
def test_unreadable_input(
    make_client: MakeClient, ws: core.Workspace, data: dict[str, str], files: dict[str, object] | None, message: str
) -> None:
    c, csrf = session(make_client, ws, "rev")
    res = c.post("/extract", data={"csrf": csrf, **data}, files=files)  # type: ignore[arg-type]
    assert res.status_code in (200, 400) and message in html.unescape(res.text)
    assert "data-proposal" not in res.text


def test_a_period_given_by_hand(make_client: MakeClient, ws: core.Workspace) -> None:
    c, csrf = session(make_client, ws, "rev")
    text = "Tin chuyển đổi số\nTỷ lệ hồ sơ trực tuyến toàn trình đạt 45,8%."
    res = c.post("/extract", data={"csrf": csrf, "text": text, "period": "2024q2"})
    assert [r[5] for r in rows(res.text)] == ["2024Q2"]
    assert c.post("/extract/accept", data={**hidden(res.text), "pick": "0"}).status_code == 303
    assert [(v.period, v.value) for v in ws.store.values()] == [("2024Q2", 45.8)]


def test_evidence_confidence_and_flags(make_client: MakeClient, ws: core.Workspace) -> None:
    c, csrf = session(make_client, ws, "rev")
    text = (
        "Tin chuyển đổi số tháng 10/2024\n"
        "Tỷ lệ hồ sơ trực tuyến toàn trình của Bộ Tư pháp đạt 74,5%.\n"
        "Tỷ lệ hồ sơ thanh toán trực tuyến đạt 40%."
    )
    res = c.post("/extract", data={"csrf": csrf, "text": text})
    assert res.status_code == 200
    table = rows(res.text)
    assert [r[4] for r in table] == ["Bộ Tư pháp", "Việt Nam"]
    first, second = table
    # the deciding words of each field, and how far they stood
    assert "Đơn vị: Bộ Tư pháp (trong vế câu)" in first[10] and "Kỳ: tháng 10/2024 (kế thừa từ tiêu đề)" in first[10]
    assert re.search(r"Độ tin cậy: 0,\d\d", first[10])
    # the second names no unit: flagged, unticked, its reason shown
    assert "Đơn vị: — (không nêu)" in second[10] and "⚑ không nêu đơn vị" in second[10]
    assert res.text.count('data-flagged="1"') == 1
    boxes = re.findall(r'<input type="checkbox" name="pick" value="(\d+)"[^>]*?(checked)?\s*aria-label', res.text, re.S)
    assert [(v, bool(ch)) for v, ch in boxes] == [("0", True), ("1", False)]
    # a reviewer may still tick a flagged one
    assert c.post("/extract/accept", data={**hidden(res.text), "pick": ["0", "1"]}).status_code == 303
    assert {(v.indicator, v.unit) for v in ws.store.values()} == {
        ("dossier_full_online_rate", "BTP"),
        ("online_payment_rate", "VN"),
    }


def _post_docx(make_client: MakeClient, ws: core.Workspace, data: bytes) -> str:
    """A reviewer uploads a DOCX to /extract: the page it answers."""
    c, csrf = session(make_client, ws, "rev")
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    res = c.post("/extract", data={"csrf": csrf}, files={"file": ("bao-cao.docx", data, mime)})
    assert res.status_code == 200, res.text
    return res.text


def test_a_docx_upload(make_client: MakeClient, ws: core.Workspace) -> None:
    page = _post_docx(make_client, ws, _docx(REPORT.split("\n")))
    assert rows(page)[0][2] == "dossier_full_online_rate"
    assert hidden(page)["fmt"] == "docx"


def test_a_table_figure_says_it_was_read_in_the_table(make_client: MakeClient, ws: core.Workspace) -> None:
    data = _docx(["Báo cáo chuyển đổi số năm 2024", "Bảng 1. Tỷ lệ hồ sơ trực tuyến toàn trình năm 2024"],
                 [["Tỉnh", "Tỷ lệ (%)"], ["Hà Nội", "45,8"]])
    (row,) = rows(_post_docx(make_client, ws, data))
    assert row[2] == "dossier_full_online_rate" and "Đơn vị: Hà Nội (trong bảng" in row[10]
