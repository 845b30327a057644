"""The admin pages: national admins only; indicators, targets (audited), units, users, event sources (token
shown once, revocable) and their rejected events."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from httpx import Response

from chiso import app as core
from chiso.web import create_app
from web_support import MakeClient

PW = "mật-khẩu-đủ-dài"
USERS = {"admin": ("admin", "VN"), "padmin": ("admin", "P48"), "rev": ("reviewer", "VN"),
         "rep": ("reporter", "P48"), "viewer": ("viewer", "VN")}


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, cheap_hashes: None) -> Iterator[core.Workspace]:
    d = tmp_path_factory.mktemp("admin")
    w = core.init_workspace(d / "ws", f"sqlite:///{d / 'store.sqlite'}")
    core.load(w, "vn-2024", "test")
    for name, (role, unit) in USERS.items():
        w.store.users.create(name, f"Người dùng {name}", PW, role, unit)
    yield w
    w.close()


@pytest.fixture(scope="module")
def app(ws: core.Workspace) -> FastAPI:
    """One app for the module's tests (its clients come from ``make_client(ws, app=app, …)``)."""
    return create_app(ws)



def errors_of(page: str) -> list[str]:
    m = re.search(r'<ul class="msg err" role="alert">(.*?)</ul>', page, re.S)
    return [html.unescape(x) for x in re.findall(r"<li>(.*?)</li>", m[1])] if m else []


PAGES = ["/admin", "/admin/indicators", "/admin/indicators/dossier_full_online_rate", "/admin/targets",
         "/admin/units", "/admin/users", "/admin/sources", "/admin/rejects"]


# --- who may come in ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["rev", "rep", "viewer", "padmin"])
def test_non_admins_are_refused(app: FastAPI, ws: core.Workspace, username: str, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user=username, follow_redirects=False)
    csrf = c.csrf
    for path in PAGES:
        r = c.get(path)
        assert r.status_code == 403, path
        assert "Chỉ quản trị viên cấp quốc gia" in r.text
    before = len(ws.store.users.all())
    r = c.post("/admin/users", data={"csrf": csrf, "username": "sneaky", "name": "x", "password": PW,
                                     "role": "admin", "unit": "VN"})
    assert r.status_code == 403 and len(ws.store.users.all()) == before
    assert c.post("/admin/sources", data={"csrf": csrf, "id": "sneaky", "kinds": "dossier"}).status_code == 403
    assert not any(s.id == "sneaky" for s in ws.store.events.sources())
    assert 'href="/admin"' not in c.get("/forms").text or username == "padmin"


def test_anonymous_goes_to_login(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, follow_redirects=False)
    for path in PAGES:
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fadmin"), path
    assert c.post("/admin/users", data={}).status_code == 303


def test_admin_pages_render(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user="admin", follow_redirects=False)
    for path in PAGES:
        r = c.get(path)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store"
    r = c.get("/admin/indicators", params={"pillar": "security"})
    assert "is_security_approved_rate" in r.text and "dossier_full_online_rate" not in r.text
    r = c.get("/admin/indicators/dossier_full_online_rate")
    assert "Tỷ lệ hồ sơ trực tuyến toàn trình" in r.text and "dossier_received_full_online" in r.text
    assert "province_monthly" in r.text
    assert c.get("/admin/indicators/no_such").status_code == 404
    r = c.get("/admin/units", params={"type": "city", "lang": "en"})
    assert "<code>P48</code>" in r.text and "Da Nang" in r.text and "<code>P49</code>" not in r.text  # a province
    # the districts and communes of one province, chosen in the filter by code or by name
    r = c.get("/admin/units", params={"province": "P48", "type": "commune"})
    communes = ws.catalogue.communes_of("P48")
    assert r.status_code == 200 and all(f"<code>{u.code}</code>" in r.text for u in communes)
    assert r.text.count("<tr>") == len(communes) + 1  # the header's row
    assert '<option value="P48" selected>' in r.text and "<code>D490</code>" not in r.text
    r = c.get("/admin/units", params={"province": "Đà Nẵng"})  # a name: the newest (2025) city's communes
    assert '<option value="P48-2025" selected>' in r.text
    assert all(f"<code>{u.code}</code>" in r.text for u in ws.catalogue.communes_of("P48-2025"))
    assert "<code>" + ws.catalogue.communes_of("P01")[0].code + "</code>" not in r.text
    assert c.get("/admin/units", params={"province": "x" * 5000}).status_code == 200  # unknown: no rows, no 500


# --- targets ---------------------------------------------------------------------------------------------------
def test_targets_add_edit_audited(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user="admin", follow_redirects=False)
    csrf = c.csrf
    key = {"indicator": "dossier_full_online_rate", "unit": "P48", "period": "2026"}
    r = c.post("/admin/targets", data={**key, "csrf": csrf, "value": "80", "note": "Kế hoạch 2026"})
    assert r.status_code == 303, r.text
    r = c.post("/admin/targets", data={**key, "csrf": csrf, "value": "85,5"})
    assert r.status_code == 303
    [tg] = ws.store.targets(indicator=key["indicator"], units=["P48"], periods=["2026"])
    assert tg.value == 85.5
    audit = [a for a in ws.store.history(indicator=key["indicator"], unit="P48", period="2026")
             if a.entity == "target"]
    assert [(a.actor, a.action, (a.before or {}).get("value"), (a.after or {}).get("value")) for a in audit] == [
        ("admin", "insert", None, 80.0), ("admin", "update", 80.0, 85.5)]
    r = c.get("/admin/targets", params={**key, "edit": "1"})
    assert 'name="value" value="85.5"' in r.text and "Lịch sử thay đổi mục tiêu này" in r.text

    r = c.post("/admin/targets", data={"csrf": csrf, "indicator": "no_such", "unit": "X1", "period": "2026-04",
                                       "value": "abc", "paragraph": "ba"})
    assert r.status_code == 422
    assert errors_of(r.text) == ["Chỉ tiêu: không có mã này", "Đơn vị: không có mã này",
                                 "Kỳ: mục tiêu chỉ đặt cho năm hoặc quý", "Giá trị: phải là một số",
                                 "Mục: phải là số nguyên"]
    r = c.post("/admin/targets", data={**key, "csrf": csrf, "value": "150"})
    assert r.status_code == 422 and errors_of(r.text) == ["Giá trị: ngoài khoảng cho phép 0.0 – 100.0"]
    # the plausible range and the framework's years hold here as on every way in
    big = {"indicator": "community_dx_teams", "unit": "VN", "period": "2026", "csrf": csrf, "value": "9" * 20}
    r = c.post("/admin/targets", data=big)
    assert r.status_code == 422 and errors_of(r.text)[0].startswith("Giá trị: ngoài khoảng cho phép"), errors_of(r.text)
    r = c.post("/admin/targets", data={**key, "period": "1900", "csrf": csrf, "value": "80"})
    assert r.status_code == 422 and any("1900" in e for e in errors_of(r.text)), errors_of(r.text)
    r = c.post("/admin/targets", data={**key, "value": "90"})  # no CSRF token
    assert r.status_code == 403
    assert ws.store.targets(indicator=key["indicator"], units=["P48"], periods=["2026"])[0].value == 85.5


def test_targets_are_read_as_the_intake_reads_them(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    """A typed target is read with its indicator known: "1.234" is 1234 for a count, 1,234 for a rate of
    0–100 %, and asked about for an average with no upper bound, where both could be meant."""
    c = make_client(ws, app=app, user="admin", follow_redirects=False)

    def post(code: str, value: str) -> Response:
        r: Response = c.post("/admin/targets", data={"csrf": c.csrf, "indicator": code, "unit": "VN",
                                                     "period": "2027", "value": value})
        return r

    def target(code: str) -> float | None:
        found = ws.store.targets(indicator=code, units=["VN"], periods=["2027"])
        return found[0].value if found else None

    avg, count, rate = "ndxp_transactions_per_day", "community_dx_teams", "dossier_full_online_rate"
    r = post(avg, "1.234")
    assert r.status_code == 422 and target(avg) is None  # not silently 1.234
    assert errors_of(r.text) == ["Giá trị: 1.234 có thể là 1234 hoặc 1,234: viết 1234 hoặc 1,234"]
    assert post(avg, "1,234").status_code == 303 and target(avg) == 1.234
    assert post(count, "1.234").status_code == 303 and target(count) == 1234
    assert post(rate, "1.234").status_code == 303 and target(rate) == 1.234

    # the edit form shows a target so that it reads back as it is
    for code, value, shown in ((avg, "1234567", "1234567"), (avg, "1,234", "1.2340")):
        assert post(code, value).status_code == 303
        page = c.get("/admin/targets", params={"indicator": code, "unit": "VN", "period": "2027", "edit": "1"})
        assert f'name="value" value="{shown}"' in page.text
        assert post(code, shown).status_code == 303 and target(code) == float(value.replace(",", "."))


# --- users ------------------------------------------------------------------------------------------------------
def test_users_add_and_deactivate(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user="admin", follow_redirects=False)
    csrf = c.csrf
    new = {"csrf": csrf, "username": "qn.reporter", "name": "Phòng CĐS Quảng Nam", "password": "một-mật-khẩu-dài",
           "role": "reporter", "unit": "P49"}
    r = c.post("/admin/users", data=new)
    assert r.status_code == 303 and r.headers["location"] == "/admin/users?done=user"
    rec = ws.store.users.by_username("qn.reporter")
    assert rec is not None and (rec.role, rec.unit, rec.active) == ("reporter", "P49", True)
    assert "Phòng CĐS Quảng Nam" in c.get("/admin/users").text

    r = c.post("/admin/users", data=new)
    assert r.status_code == 422 and errors_of(r.text) == ["Tên đăng nhập đã có người dùng"]
    r = c.post("/admin/users", data={**new, "username": "a b", "password": "ngắn", "role": "king", "unit": "X9",
                                     "name": ""})
    assert r.status_code == 422 and len(errors_of(r.text)) == 5
    assert c.post("/admin/users", data={**new, "csrf": "", "username": "other"}).status_code == 403
    assert ws.store.users.by_username("other") is None

    # the new user can log in; once deactivated, its session stops working, for good
    u = make_client(ws, app=app, user="qn.reporter", follow_redirects=False)
    assert u.get("/forms").status_code == 200
    assert c.post(f"/admin/users/{rec.id}/deactivate", data={}).status_code == 403  # CSRF
    r = c.post(f"/admin/users/{rec.id}/deactivate", data={"csrf": csrf})
    assert r.status_code == 303
    assert u.get("/forms").status_code == 303
    assert ws.store.users.verify("qn.reporter", "một-mật-khẩu-dài") == (None, "inactive")
    assert c.post(f"/admin/users/{rec.id}/activate", data={"csrf": csrf}).status_code == 303
    assert u.get("/forms").status_code == 303  # reactivated: the old session stays ended (issue 11)
    audit = [a for a in ws.store.history() if a.entity == "user" and a.entity_id == str(rec.id)]
    assert [(a.actor, a.action) for a in audit] == [("admin", "insert"), ("admin", "deactivate"),
                                                     ("admin", "activate")]
    assert all("password" not in str(a.after) for a in audit)

    me = ws.store.users.by_username("admin")
    assert me is not None
    assert c.post(f"/admin/users/{me.id}/deactivate", data={"csrf": csrf}).status_code == 400
    assert c.post("/admin/users/99999/deactivate", data={"csrf": csrf}).status_code == 404


# --- event sources ------------------------------------------------------------------------------------------------
def test_event_sources_token_once_revoke_and_rejects(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user="admin", follow_redirects=False)
    csrf = c.csrf
    r = c.post("/admin/sources", data={"csrf": csrf, "id": "dvc-danang", "name": "Cổng DVC Đà Nẵng",
                                       "units": "P48", "kinds": ["dossier"]})
    assert r.status_code == 201
    m = re.search(r'<code class="token">(chiso_[^<]+)</code>', r.text)
    assert m is not None
    token = m[1]
    src = ws.store.events.authenticate(token)
    assert src is not None and (src.id, src.units, src.kinds) == ("dvc-danang", ("P48",), ("dossier",))
    listing = c.get("/admin/sources").text
    assert "dvc-danang" in listing and token not in listing  # shown once only

    r = c.post("/admin/sources", data={"csrf": csrf, "id": "dvc-danang", "units": "P48 Q99", "kinds": []})
    assert r.status_code == 422
    assert errors_of(r.text) == ["Mã nguồn đã có", "Loại sự kiện: chọn ít nhất một", "Đơn vị: không có mã 'Q99'"]
    r = c.post("/admin/sources", data={"csrf": csrf, "id": "all-systems", "kinds": ["dossier", "ndxp"]})
    assert r.status_code == 201
    assert next(s for s in ws.store.events.sources() if s.id == "all-systems").units == ("*",)

    ws.store.events.new_batch("dossier", "dvc-danang", 2, [(2, '{"event_id": "x"}', "at: required")])
    r = c.get("/admin/rejects", params={"source": "dvc-danang"})
    assert "at: required" in r.text and "{&#34;event_id&#34;: &#34;x&#34;}" in r.text
    assert '<a href="/admin/rejects?source=dvc-danang">1</a>' in c.get("/admin/sources").text

    assert c.post("/admin/sources/dvc-danang/revoke", data={"csrf": "bad"}).status_code == 403
    assert ws.store.events.authenticate(token) is not None
    r = c.post("/admin/sources/dvc-danang/revoke", data={"csrf": csrf})
    assert r.status_code == 303 and ws.store.events.authenticate(token) is None
    assert c.post("/admin/sources/no-such/revoke", data={"csrf": csrf}).status_code == 404
    audit = [(a.entity_id, a.action) for a in ws.store.history() if a.entity == "event_source"]
    assert audit == [("dvc-danang", "insert"), ("all-systems", "insert"), ("dvc-danang", "revoke")]
    assert all(token not in str(a.after) for a in ws.store.history() if a.entity == "event_source")
