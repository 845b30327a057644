"""Data entry and approval through the web: pages and the JSON API, against a real workspace.

The whole flow runs on SQLite and PostgreSQL: a reporter of Đà Nẵng (P48) logs in, enters province_monthly
for 2024-04, submits; a reviewer approves; only then the value is published (``ws.engine.value``).
Every denial path is here too: other province, viewer, reporter approving, reviewer reopening, CSRF,
locked (approved) forms; and two people editing one value.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from chiso import app as core
from chiso import auth, workflow
from chiso.catalogue.records import Origin, ValueInput
from chiso.web import create_app, forms
from chiso.web.templating import STATIC
from web_support import MakeClient

DS, UNIT, PW = "province_monthly", "P48", "mật-khẩu-đủ-dài"
RATE, TEAMS, MEMBERS = "procedures_full_online_rate", "community_dx_teams", "community_dx_team_members"
USERS = {  # username: (role, scope unit)
    "dn": ("reporter", "P48"), "dn2": ("reporter", "P48"), "hn": ("reporter", "P01"),
    "rev": ("reviewer", "VN"), "viewer": ("viewer", "P48"), "admin": ("admin", "VN"),
}


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, cheap_hashes: None) -> Iterator[core.Workspace]:
    d = tmp_path_factory.mktemp("forms")
    w = core.init_workspace(d / "ws", f"sqlite:///{d / 'store.sqlite'}")
    for name, (role, unit) in USERS.items():
        w.store.users.create(name, f"Người dùng {name}", PW, role, unit)
    yield w
    w.close()


@pytest.fixture(scope="module")
def app(ws: core.Workspace) -> FastAPI:
    """One app for the module's tests (its clients come from ``make_client(ws, app=app, …)``)."""
    return create_app(ws)



def login(c: TestClient, username: str, password: str = PW) -> Response:
    page = c.get("/login")
    token = re.search(r'action="/login"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    r: Response = c.post("/login", data={"username": username, "password": password, "csrf": token[1],
                                         "next": "/forms"})
    return r


class EntryForm(HTMLParser):
    """The fields of ``<form id="entry">`` as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == "entry"
        elif self.inside and tag == "input" and a.get("name"):
            self.fields[str(a["name"])] = a.get("value") or ""
        elif self.inside and tag == "textarea" and a.get("name"):
            self._textarea = str(a["name"])
            self.fields[self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None


def entry_form(page: str) -> dict[str, str]:
    p = EntryForm()
    p.feed(page)
    return p.fields


def url(period: str, unit: str = UNIT, dataset: str = DS) -> str:
    return f"/forms/{dataset}/{unit}/{period}"


def api(period: str, unit: str = UNIT, dataset: str = DS) -> str:
    return f"/api/v1/forms/{dataset}/{unit}/{period}"


def problems_of(page: str, code: str) -> list[str]:
    m = re.search(rf'<ul class="msg err problems" id="p-{code}"[^>]*>(.*?)</ul>', page, re.S)
    assert m is not None, code
    return [html.unescape(x) for x in re.findall(r"<li>(.*?)</li>", m[1], re.S)]


def published(ws: core.Workspace, code: str, period: str, unit: str = UNIT) -> float | None:
    return ws.engine.value(code, unit, period, compare=False).value


def draft_values(ws: core.Workspace, period: str, unit: str = UNIT) -> dict[str, float | None]:
    return {v.indicator: v.value for v in ws.store.values(units=[unit], period=period, source=f"form:{DS}")}


def fill_all(fields: dict[str, str], period_seed: int = 0) -> dict[str, str]:
    """Every field of province_monthly filled with plausible numbers (Vietnamese decimal commas)."""
    out = dict(fields)
    for code in ("dossier_full_online_rate", "dossier_online_submission_rate", "dossier_digitisation_rate",
                 "e_result_rate", "digitised_data_reuse_rate", "online_payment_rate"):
        out[f"{code}.value"] = f"{50 + period_seed},5"
    out[f"{RATE}.numerator"], out[f"{RATE}.denominator"] = "80", "100"
    out[f"{TEAMS}.value"], out[f"{MEMBERS}.value"] = "56", "1234"
    return out


# --- the whole flow, on both stores ---------------------------------------------------------------------
def test_whole_flow_reporter_to_published(workspace: core.Workspace, make_client: MakeClient) -> None:
    ws = workspace
    ws.store.users.create("dn", "Phòng CĐS Đà Nẵng", PW, "reporter", "P48")
    ws.store.users.create("rev", "Người duyệt quốc gia", PW, "reviewer", "VN")
    app = create_app(ws)  # one app, two users
    rep = make_client(ws, app=app, follow_redirects=False)
    r = login(rep, "dn")
    assert r.status_code == 303 and r.headers["location"] == "/forms"

    listing = rep.get("/forms", params={"period": "2024-04"})
    assert listing.status_code == 200
    assert f'href="{url("2024-04")}"' in listing.text and "Nhập liệu" in listing.text
    assert 'href="/forms/province_monthly/P01/' not in listing.text  # another province's form is not listed

    page = rep.get(url("2024-04"))
    assert page.status_code == 200 and "Đà Nẵng" in page.text and '<script src="/static/forms.js"' in page.text
    data = fill_all(entry_form(page.text))
    r = rep.post(url("2024-04"), data={**data, "action": "save"})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == url("2024-04") + "?done=saved"
    saved = draft_values(ws, "2024-04")
    assert saved[RATE] == 80.0 and saved["dossier_full_online_rate"] == 50.5 and saved[MEMBERS] == 1234
    assert published(ws, RATE, "2024-04") is None  # a draft is not published

    page = rep.get(r.headers["location"])
    assert "Đã lưu." in page.text
    r = rep.post(url("2024-04"), data={**entry_form(page.text), "action": "submit"})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=submitted")
    assert ws.store.users.form(DS, UNIT, "2024-04").state == "submitted"
    assert published(ws, RATE, "2024-04") is None  # submitted is not published either
    page = rep.get(url("2024-04"))
    assert 'name="procedures_full_online_rate.value"' not in page.text  # no longer editable
    assert rep.post(url("2024-04"), data={**data, "action": "save"}).status_code == 403

    rv = make_client(ws, app=app, follow_redirects=False)
    assert login(rv, "rev").status_code == 303
    listing = rv.get("/forms")  # submitted forms are listed whatever the period chosen
    assert f'href="{url("2024-04")}">Duyệt</a>' in listing.text
    page = rv.get(url("2024-04"))
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None and f'action="{url("2024-04")}/approve"' in page.text
    r = rv.post(url("2024-04") + "/approve", data={"csrf": csrf[1]})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=approved")

    assert published(ws, RATE, "2024-04") == 80.0
    assert published(ws, MEMBERS, "2024-04") == 1234
    state = ws.store.users.form(DS, UNIT, "2024-04")
    assert (state.state, state.updated_by) == ("approved", "rev")
    # approved is locked: the reporter can no longer change it, through the page or the API
    assert rep.post(url("2024-04"), data={**data, "action": "save"}).status_code == 403
    body = rep.get(api("2024-04")).json()
    assert body["state"] == "approved" and body["can_edit"] is False
    rate = next(f for f in body["fields"] if f["indicator"] == RATE)
    assert rate["status"] == "approved" and [c["actor"] for c in rate["changes"]] == ["dn", "dn", "rev"]
    assert [t["state"] for t in body["transitions"]] == ["submitted", "approved"]


# --- validation ---------------------------------------------------------------------------------------------
def test_every_problem_is_shown_next_to_its_field_and_nothing_is_saved(app: FastAPI, ws: core.Workspace,
                                                                     make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user="dn", follow_redirects=False)
    data = entry_form(c.get(url("2024-01")).text)
    data |= {f"{RATE}.numerator": "120", f"{RATE}.denominator": "100",  # numerator above denominator
             "dossier_full_online_rate.value": "101,5",  # above 100 %
             "e_result_rate.numerator": "5",  # needs a denominator too
             f"{TEAMS}.value": "năm mươi",  # not a number
             f"{MEMBERS}.value": "-3",  # below 0
             "online_payment_rate.value": "40"}  # fine, but nothing is saved while others are wrong
    r = c.post(url("2024-01"), data={**data, "action": "save"})
    assert r.status_code == 422
    assert problems_of(r.text, RATE) == ["tử số 120 lớn hơn mẫu số 100"]
    assert problems_of(r.text, "dossier_full_online_rate") == [
        "lớn hơn giá trị cao nhất cho phép 100 (nhận được '101.5')"]
    assert problems_of(r.text, "e_result_rate") == ["cần cả tử số và mẫu số"]
    assert problems_of(r.text, TEAMS) == ["phải là một số (nhận được 'năm mươi')"]
    assert problems_of(r.text, MEMBERS) == ["nhỏ hơn giá trị thấp nhất cho phép 0 (nhận được '-3')"]
    assert problems_of(r.text, "online_payment_rate") == []
    assert 'value="năm mươi"' in r.text  # the user's input is kept
    assert draft_values(ws, "2024-01") == {}
    r = c.post(url("2024-01") + "?lang=en", data={**data, "action": "save"})
    assert problems_of(r.text, RATE) == ["numerator 120 is above denominator 100"]

    # the JSON API names each field
    r = c.put(api("2024-01"), headers={"X-CSRF-Token": _csrf(c)}, json={"entries": [
        {"indicator": RATE, "numerator": 120, "denominator": 100},
        {"indicator": "online_payment_rate", "value": 140},
        {"indicator": "no_such_code", "value": 1}]})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    errors = r.json()["errors"]
    assert [(e["field"], e["rule"]) for e in errors] == [
        (RATE, "numerator_above_denominator"), ("online_payment_rate", "above_range"),
        ("no_such_code", "not_in_dataset")]
    assert draft_values(ws, "2024-01") == {}


def _csrf(c: TestClient) -> str:
    r = c.get("/api/v1/session")
    assert r.status_code == 200, r.text
    return str(r.json()["csrf"])


def test_submit_needs_every_field(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user="dn", follow_redirects=False)
    data = entry_form(c.get(url("2024-02")).text)
    data[f"{TEAMS}.value"] = "50"
    r = c.post(url("2024-02"), data={**data, "action": "submit"})
    assert r.status_code == 422
    assert problems_of(r.text, RATE) == ["bắt buộc, đang để trống"]
    assert problems_of(r.text, TEAMS) == []
    assert draft_values(ws, "2024-02") == {TEAMS: 50}  # saved, not submitted
    assert ws.store.users.form(DS, UNIT, "2024-02").state == "open"


def test_value_far_from_history_needs_a_comment(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    ws.store.write_values([ValueInput(indicator=TEAMS, unit=UNIT, period=p, value=v, source="form:" + DS,
                                      origin=Origin.REPORTED) for p, v in
                           (("2023-09", 52), ("2023-10", 55), ("2023-11", 54), ("2023-12", 56))],
                          actor="seed", status="approved")
    c = make_client(ws, app=app, user="dn", follow_redirects=False)
    page = c.get(url("2024-03"))
    assert "2023-12: 56" in page.text and 'data-history="[52.0, 55.0, 54.0, 56.0]"' in page.text
    data = entry_form(page.text) | {f"{TEAMS}.value": "560"}
    r = c.post(url("2024-03"), data={**data, "action": "save"})
    assert r.status_code == 422
    assert problems_of(r.text, TEAMS) == ["khác xa lịch sử của đơn vị: hãy giải thích trong phần ghi chú"]
    r = c.post(url("2024-03"), data={**data, f"{TEAMS}.comment": "Thành lập tổ CĐS ở mọi thôn", "action": "save"})
    assert r.status_code == 303
    page = c.get(url("2024-03"))
    assert "⚠ Giá trị khác xa lịch sử của đơn vị: Thành lập tổ CĐS ở mọi thôn" in page.text
    field = next(f for f in c.get(api("2024-03")).json()["fields"] if f["indicator"] == TEAMS)
    assert field["far_from_history"] is True and field["comment"] == "Thành lập tổ CĐS ở mọi thôn"


# --- two people, one value ------------------------------------------------------------------------------------
def test_two_people_cannot_overwrite_each_other(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    a = make_client(ws, app=app, user="dn", follow_redirects=False)
    b = make_client(ws, app=app, user="dn2", follow_redirects=False)
    page_a = entry_form(a.get(url("2024-05")).text)
    page_b = entry_form(b.get(url("2024-05")).text)  # both read the empty form

    assert a.post(url("2024-05"), data={**page_a, f"{TEAMS}.value": "60", "action": "save"}).status_code == 303
    r = b.post(url("2024-05"), data={**page_b, f"{TEAMS}.value": "61", "action": "save"})
    assert r.status_code == 409
    text = html.unescape(r.text)
    assert "Giá trị này vừa được người khác lưu (dn," in text and "giá trị hiện tại là 60" in text
    assert draft_values(ws, "2024-05") == {TEAMS: 60}  # a's value stands
    kept = entry_form(r.text)
    assert kept[f"{TEAMS}.value"] == "61" and kept[f"{TEAMS}.version"] == "1"  # b's input, the current version

    # b's old page, changing another field only: a's value is not touched (it was not changed on b's page)
    r = b.post(url("2024-05"), data={**page_b, f"{MEMBERS}.value": "900", "action": "save"})
    assert r.status_code == 303
    assert draft_values(ws, "2024-05") == {TEAMS: 60, MEMBERS: 900}

    # having seen the current value, b saves again on purpose
    assert b.post(url("2024-05"), data={**kept, "action": "save"}).status_code == 303
    assert draft_values(ws, "2024-05")[TEAMS] == 61
    history = [h for h in ws.store.history(indicator=TEAMS, unit=UNIT, period="2024-05")]
    assert [(h.actor, (h.before or {}).get("value"), (h.after or {}).get("value")) for h in history] == [
        ("dn", None, 60), ("dn2", 60, 61)]
    page = a.get(url("2024-05"))  # the history of the value is on the form
    assert re.search(r"<td>dn2</td><td>value</td><td>60</td><td>61</td>", page.text)

    # the API: a stale version is a 409 naming the field and the current value
    r = a.put(api("2024-05"), headers={"X-CSRF-Token": _csrf(a)},
              json={"entries": [{"indicator": TEAMS, "value": 62, "version": 1}]})
    assert r.status_code == 409
    body = r.json()
    assert body["detail"].startswith(f"{TEAMS}:")
    assert body["current"] == [{"field": TEAMS, "version": 2, "value": 61.0, "updated_by": "dn2",
                                "updated_at": body["current"][0]["updated_at"]}]
    r = a.put(api("2024-05"), headers={"X-CSRF-Token": _csrf(a)},
              json={"entries": [{"indicator": TEAMS, "value": 62, "version": 2}]})
    assert r.status_code == 200 and draft_values(ws, "2024-05")[TEAMS] == 62


# --- the JSON API: submit, return, approve, reopen --------------------------------------------------------------
def test_api_flow_with_return_and_reopen(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    rep = make_client(ws, app=app, user="dn", follow_redirects=False)
    rev = make_client(ws, app=app, user="rev", follow_redirects=False)
    adm = make_client(ws, app=app, user="admin", follow_redirects=False)
    h_rep, h_rev, h_adm = ({"X-CSRF-Token": _csrf(x)} for x in (rep, rev, adm))
    form = rep.get(api("2024-07")).json()
    assert form["state"] == "open" and form["can_edit"] is True
    # 50,5 where a decimal part is allowed; a count or a stock takes whole numbers only
    entries: list[dict[str, Any]] = [{"indicator": f["indicator"], "value": 50.5, "version": f["version"]}
                                     for f in form["fields"]]
    r = rep.put(api("2024-07"), headers=h_rep, json={"entries": entries})
    assert r.status_code == 422 and {(e["field"], e["rule"]) for e in r.json()["errors"]} == {
        (TEAMS, "not_whole"), (MEMBERS, "not_whole")}
    for e in entries:
        e["value"] = 50 if e["indicator"] in (TEAMS, MEMBERS) else 50.5
    r = rep.put(api("2024-07"), headers=h_rep, json={"entries": entries})
    assert r.status_code == 200, r.text
    assert rep.post(api("2024-07") + "/submit", headers=h_rep).json()["state"] == "submitted"

    r = rev.post(api("2024-07") + "/return", headers=h_rev, json={"comment": "  "})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "comment"
    r = rev.post(api("2024-07") + "/return", headers=h_rev, json={"comment": "Kiểm tra lại số tổ CĐS"})
    assert r.status_code == 200 and r.json()["state"] == "returned" and r.json()["comment"] == "Kiểm tra lại số tổ CĐS"
    page = rep.get(url("2024-07"))
    assert "Bị trả lại" in page.text and "Kiểm tra lại số tổ CĐS" in page.text
    assert f'name="{TEAMS}.value"' in page.text  # editable again

    assert rep.post(api("2024-07") + "/submit", headers=h_rep).status_code == 200
    assert rev.post(api("2024-07") + "/approve", headers=h_rev).json()["state"] == "approved"
    assert published(ws, TEAMS, "2024-07") == 50

    r = adm.post(api("2024-07") + "/reopen", headers=h_adm, json={"reason": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = adm.post(api("2024-07") + "/reopen", headers=h_adm, json={"reason": "Sửa số liệu theo công văn 12"})
    assert r.status_code == 200 and r.json()["state"] == "open"
    assert published(ws, TEAMS, "2024-07") is None  # unpublished again until approved
    reopen = [a for a in ws.store.history(unit=UNIT, period="2024-07") if a.entity == "form"][-1]
    assert (reopen.actor, reopen.action, (reopen.after or {}).get("comment")) == (
        "admin", "open", "Sửa số liệu theo công văn 12")

    listing = rep.get("/api/v1/forms", params={"period": "2024-07", "dataset": DS}).json()
    assert [(f["unit"], f["state"], f["action"]) for f in listing["forms"]] == [(UNIT, "open", "enter")]
    assert rep.get("/api/v1/forms", params={"period": "2024-13"}).status_code == 400
    assert rep.get(api("2024Q1")).status_code == 404  # a monthly data set has no quarterly form
    assert rep.get(api("2024-07", dataset="no_such")).status_code == 404
    assert rep.get(api("2024-07", unit="B01")).status_code == 404  # a ministry does not report province_monthly


def test_review_on_pages_return_needs_a_comment(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    rep = make_client(ws, app=app, user="dn", follow_redirects=False)
    data = fill_all(entry_form(rep.get(url("2024-08")).text))
    assert rep.post(url("2024-08"), data={**data, "action": "submit"}).status_code == 303
    rev = make_client(ws, app=app, user="rev", follow_redirects=False)
    csrf = rev.csrf
    r = rev.post(url("2024-08") + "/return", data={"csrf": csrf, "comment": ""})
    assert r.status_code == 422 and "<li>Lý do trả lại: bắt buộc, đang để trống</li>" in r.text
    r = rev.post(url("2024-08") + "/return", data={"csrf": csrf, "comment": "Thiếu số liệu thanh toán"})
    assert r.status_code == 303 and ws.store.users.form(DS, UNIT, "2024-08").state == "returned"


# --- denials ----------------------------------------------------------------------------------------------------
def test_reporter_of_another_province_is_refused(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user="hn", follow_redirects=False)  # reporter of Hà Nội (P01)
    csrf = c.csrf
    assert c.get(url("2024-04", unit="P01")).status_code == 200  # its own form
    r = c.get(url("2024-04"))
    assert r.status_code == 403 and "Bạn không có quyền" in r.text
    assert c.post(url("2024-04"), data={"csrf": csrf, "action": "save", f"{TEAMS}.value": "1"}).status_code == 403
    r = c.get(api("2024-04"))
    assert r.status_code == 403 and r.json()["type"].endswith(":forbidden")
    r = c.put(api("2024-04"), headers={"X-CSRF-Token": csrf}, json={"entries": [{"indicator": TEAMS, "value": 1}]})
    assert r.status_code == 403
    assert c.post(api("2024-04") + "/submit", headers={"X-CSRF-Token": csrf}).status_code == 403
    assert "/P48/" not in c.get("/forms", params={"period": "2024-04"}).text


def test_viewer_cannot_save(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user="viewer", follow_redirects=False)
    csrf = c.csrf
    page = c.get(url("2024-09"))
    assert page.status_code == 200 and f'name="{TEAMS}.value"' not in page.text  # read-only
    r = c.post(url("2024-09"), data={"csrf": csrf, "action": "save", f"{TEAMS}.value": "5",
                                     f"{TEAMS}.orig": "", f"{TEAMS}.version": "0"})
    assert r.status_code == 403
    r = c.put(api("2024-09"), headers={"X-CSRF-Token": csrf}, json={"entries": [{"indicator": TEAMS, "value": 5}]})
    assert r.status_code == 403
    assert draft_values(ws, "2024-09") == {}


def test_reporter_cannot_approve_and_reviewer_cannot_reopen(app: FastAPI, ws: core.Workspace,
                                                           make_client: MakeClient) -> None:
    rep = make_client(ws, app=app, user="dn", follow_redirects=False)
    rep_csrf = rep.csrf
    data = fill_all(entry_form(rep.get(url("2024-10")).text))
    assert rep.post(url("2024-10"), data={**data, "action": "submit"}).status_code == 303
    assert rep.post(url("2024-10") + "/approve", data={"csrf": rep_csrf}).status_code == 403
    assert rep.post(api("2024-10") + "/approve", headers={"X-CSRF-Token": rep_csrf}).status_code == 403
    assert rep.post(api("2024-10") + "/return", headers={"X-CSRF-Token": rep_csrf},
                    json={"comment": "tự trả"}).status_code == 403
    assert ws.store.users.form(DS, UNIT, "2024-10").state == "submitted"

    rev = make_client(ws, app=app, user="rev", follow_redirects=False)
    rev_csrf = rev.csrf
    assert rev.post(url("2024-10") + "/approve", data={"csrf": rev_csrf}).status_code == 303
    page = rev.get(url("2024-10"))
    assert "/reopen" not in page.text
    r = rev.post(url("2024-10") + "/reopen", data={"csrf": rev_csrf, "reason": "muốn sửa"})
    assert r.status_code == 403
    r = rev.post(api("2024-10") + "/reopen", headers={"X-CSRF-Token": rev_csrf}, json={"reason": "muốn sửa"})
    assert r.status_code == 403
    assert ws.store.users.form(DS, UNIT, "2024-10").state == "approved"
    adm = make_client(ws, app=app, user="admin", follow_redirects=False)
    adm_csrf = adm.csrf
    assert 'action="/forms/province_monthly/P48/2024-10/reopen"' in adm.get(url("2024-10")).text
    r = adm.post(url("2024-10") + "/reopen", data={"csrf": adm_csrf, "reason": "Sai số đoàn viên"})
    assert r.status_code == 303 and ws.store.users.form(DS, UNIT, "2024-10").state == "open"


def test_csrf_missing_or_wrong_is_refused(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, user="dn", follow_redirects=False)
    csrf = c.csrf
    data = entry_form(c.get(url("2024-11")).text) | {f"{TEAMS}.value": "5", "action": "save"}
    for bad in (None, "", "not-the-token"):
        sent = {k: v for k, v in data.items() if k != "csrf"} | ({"csrf": bad} if bad is not None else {})
        r = c.post(url("2024-11"), data=sent)
        assert r.status_code == 403 and "CSRF" in r.text
        headers = {"X-CSRF-Token": bad} if bad else {}
        r = c.put(api("2024-11"), headers=headers, json={"entries": [{"indicator": TEAMS, "value": 5}]})
        assert r.status_code == 403 and r.json()["type"].endswith(":csrf")
    other = make_client(ws, app=app, user="dn", follow_redirects=False)  # another session's token is wrong too
    r = other.put(api("2024-11"), headers={"X-CSRF-Token": csrf}, json={"entries": [{"indicator": TEAMS, "value": 5}]})
    assert r.status_code == 403
    assert draft_values(ws, "2024-11") == {}
    assert c.post(url("2024-11"), data=data).status_code == 303  # with the right token it goes through


def test_not_logged_in(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app, follow_redirects=False)
    r = c.get(url("2024-04"))
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fforms%2Fprovince_monthly%2FP48%2F2024-04"
    assert c.get("/forms").status_code == 303
    r = c.get(api("2024-04"))
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert c.put(api("2024-04"), json={"entries": []}).status_code == 401


def test_forms_js_is_self_hosted(app: FastAPI, ws: core.Workspace, make_client: MakeClient) -> None:
    c = make_client(ws, app=app)
    r = c.get("/static/forms.js")
    assert r.status_code == 200 and "readNumber" in r.text and "http" not in r.text
    assert (Path(STATIC) / "forms.js").exists()


# --- the browser's checks mirror the server's ----------------------------------------------------------------------
NODE_HARNESS = r"""
// A minimal DOM: just what forms.js touches. Reads cases on stdin, prints each field's rules.
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
function node(attrs) {
  return {attrs: attrs || {}, listeners: {}, children: [], hidden: false, value: "", placeholder: "",
          getAttribute(k) { return k in this.attrs ? String(this.attrs[k]) : null; },
          setAttribute(k, v) { this.attrs[k] = v; },
          addEventListener(t, f) { this.listeners[t] = f; },
          appendChild(c) { this.children.push(c); },
          set textContent(v) { if (v === "") { this.children = []; } this.text = v; },
          get textContent() { return this.text; },
          focus() {}};
}
const fields = cases.map((c, i) => {
  const f = node({"data-code": "f" + i, "data-kind": c.kind, "data-parts": c.parts ? "1" : "0",
                  "data-min": c.min === null ? "" : c.min, "data-max": c.max === null ? "" : c.max,
                  "data-decimals": c.decimals, "data-history": JSON.stringify(c.history), "data-stored": "0"});
  const inputs = {};
  for (const part of ["value", "numerator", "denominator", "comment"]) {
    inputs["f" + i + "." + part] = Object.assign(node(), {value: c.inputs[part] || ""});
  }
  const list = node();
  f.querySelector = (sel) => sel === ".js-problems" ? list : sel === ".problems" ? null
    : sel === "input, textarea" ? null : inputs[sel.slice(7, -2)] || null;
  f.list = list;
  return f;
});
const form = node({"data-lang": "vi"});
form.querySelectorAll = () => fields;
global.document = {getElementById: () => form, createElement: () => node()};
global.window = {alert() {}};
require(process.argv[2]);
form.listeners.submit({submitter: {value: "save"}, preventDefault() {}});
console.log(JSON.stringify(fields.map((f) => f.list.children.map((li) => li.getAttribute("data-rule")))));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run forms.js")
def test_browser_checks_match_the_server(app: FastAPI, ws: core.Workspace, tmp_path: Path) -> None:
    admin_user = auth.user_of(ws.store.users.by_username("admin"))
    ws.store.write_values([ValueInput(indicator=TEAMS, unit="P49", period=f"2022-{m:02d}", value=v,
                                      source="form:" + DS, origin=Origin.REPORTED)
                           for m, v in enumerate([40, 41, 43, 42, 44, 45, 45, 46, 47, 48, 48, 49], start=1)],
                          actor="seed", status="approved")
    view = workflow.open_form(ws, admin_user, DS, "P49", "2023-01")
    by = {f.indicator.code: f for f in view.fields}
    cases: list[tuple[str, dict[str, str]]] = [
        (RATE, {"numerator": "80", "denominator": "100"}),
        (RATE, {"numerator": "120", "denominator": "100"}),
        (RATE, {"numerator": "-5", "denominator": "100"}),
        (RATE, {"numerator": "5", "denominator": "0"}),
        (RATE, {"numerator": "5"}),
        (RATE, {"denominator": "5"}),
        (RATE, {"value": "45,5", "numerator": "1", "denominator": "2"}),
        (RATE, {"value": "50", "numerator": "1", "denominator": "2"}),
        (RATE, {"value": "100,01"}),
        (RATE, {"value": "1.267.427"}),
        (RATE, {"value": "1,267,427.5"}),
        (RATE, {"value": "45,8%"}),
        (RATE, {"value": "4e1"}),
        (RATE, {"value": "1e999"}),
        (RATE, {"value": "abc"}),
        (RATE, {"value": "1.2.3"}),
        (RATE, {}),
        (TEAMS, {"value": "50"}),
        (TEAMS, {"value": "500"}),
        (TEAMS, {"value": "500", "comment": "sáp nhập xã"}),
        (TEAMS, {"value": "-1"}),
        (TEAMS, {"numerator": "1", "denominator": "2"}),
        (TEAMS, {"value": "1.234"}),
    ]
    js_cases = []
    server: list[list[str]] = []
    for code, inputs in cases:
        f = by[code]
        ind = f.indicator
        js_cases.append({"kind": ind.kind, "parts": ind.has_parts, "min": ind.range[0], "max": ind.range[1],
                         "decimals": ind.decimals, "history": [h for _, h in f.history], "inputs": inputs})
        posted = {f"{code}.{k}": v for k, v in inputs.items()} | {f"{code}.orig": "", f"{code}.version": "0"}
        _, entries, problems = forms.parse_posted(view, posted)
        problems += workflow.check_entries(ws, view, [e for e in entries if e.indicator == code])
        server.append([p.reason for p in problems if p.field == code])
    assert by[TEAMS].history  # the far-from-history cases have a history to be far from
    harness = tmp_path / "harness.js"
    harness.write_text(NODE_HARNESS, encoding="utf-8")
    out = subprocess.run(["node", str(harness), str(STATIC / "forms.js")], input=json.dumps(js_cases),
                         capture_output=True, text=True, check=True, timeout=30)
    browser = json.loads(out.stdout)
    assert [(c, b) for c, b in zip(cases, browser, strict=True)] == [(c, s) for c, s in zip(cases, server, strict=True)]
    assert server[1] == ["numerator_above_denominator"] and server[18] == ["far_from_history"]


def test_the_default_period_is_one_the_reporters_unit_existed_in(workspace: core.Workspace) -> None:
    """After the 2025 change the last complete month belongs to the new provinces: a reporter of a former
    province gets its last month, a reporter of a new one a month after it began."""
    from chiso.auth import User
    from chiso.web.forms import list_forms

    def periods(unit: str, today: date) -> set[str]:
        user = User(1, "r", "r", "reporter", unit)
        return {r.period for r in list_forms(workspace, user, dataset="province_monthly", period=None, state=None,
                                             today=today) if r.unit.code == unit}

    assert periods("P02", date(2025, 8, 15)) == {"2025-06"}  # Hà Giang ended on 30/06/2025
    assert periods("P02", date(2025, 6, 15)) == {"2025-05"}
    assert periods("P08-2025", date(2025, 8, 15)) == {"2025-07"}
    assert periods("P08-2025", date(2025, 7, 10)) == {"2025-07"}  # began on 01/07/2025: not June
    assert periods("P01", date(2025, 8, 15)) == {"2025-07"}  # unchanged


# --- a move is one transaction -------------------------------------------------------------------------------
MOVES = {  # verb: (the state it starts from, how to make it, the state it would reach)
    "submit": ("open", lambda ws, u: workflow.submit_form(ws, u["dn"], DS, UNIT, "2024-04"), "submitted"),
    "approve": ("submitted", lambda ws, u: workflow.approve_form(ws, u["rev"], DS, UNIT, "2024-04"), "approved"),
    "return": ("submitted", lambda ws, u: workflow.return_form(ws, u["rev"], DS, UNIT, "2024-04", "sửa"),
               "returned"),
    "reopen": ("approved", lambda ws, u: workflow.reopen_form(ws, u["admin"], DS, UNIT, "2024-04", "sai số"),
               "open"),
}


@pytest.mark.parametrize("verb", list(MOVES))
def test_a_move_writes_the_form_and_its_values_together_or_not_at_all(
    workspace: core.Workspace, verb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form's state and its values' status are one transaction: when writing the values fails, the
    form has not moved either (nor is the move in the audit trail)."""
    ws = workspace
    users = {}
    for name in ("dn", "rev", "admin"):
        role, unit = USERS[name]
        users[name] = auth.user_of(ws.store.users.create(name, name, PW, role, unit))
    view = workflow.open_form(ws, users["dn"], DS, UNIT, "2024-04")
    entries = [workflow.Entry(f.indicator.code, 50.5 if f.indicator.kind == "rate" else 56) for f in view.fields]
    workflow.save_form(ws, users["dn"], DS, UNIT, "2024-04", entries)
    start, move, reached = MOVES[verb]
    steps = {"open": [], "submitted": ["submit"], "approved": ["submit", "approve"]}[start]
    for step in steps:
        MOVES[step][1](ws, users)
    assert ws.store.users.form(DS, UNIT, "2024-04").state == start
    statuses = {v.status for v in ws.store.values(units=[UNIT], period="2024-04")}
    audit = len(ws.store.history(unit=UNIT, period="2024-04"))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(ws.store, "write_values", broken)
    with pytest.raises(RuntimeError, match="disk"):
        move(ws, users)
    assert ws.store.users.form(DS, UNIT, "2024-04").state == start  # not moved
    assert {v.status for v in ws.store.values(units=[UNIT], period="2024-04")} == statuses
    assert len(ws.store.history(unit=UNIT, period="2024-04")) == audit

    monkeypatch.undo()
    move(ws, users)  # once the store works again, the move goes through whole
    assert ws.store.users.form(DS, UNIT, "2024-04").state == reached
    expected = {"submitted": "submitted", "approved": "approved", "returned": "returned", "open": "draft"}[reached]
    assert {v.status for v in ws.store.values(units=[UNIT], period="2024-04")} == {expected}
