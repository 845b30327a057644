"""In-app notifications marked read (issue 15 §3): the list (API and page) tells the unread ones and counts them, the
navigation shows the count beside its link to the notifications; a user marks one or all read (POST with the CSRF
token, API and page), only their own: another user's number is a 404 like a number that does not exist. On SQLite
and PostgreSQL; no input makes a 500."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from chiso import app as core
from chiso.catalogue.warnings import Finding
from chiso.errors import UnknownNotificationError
from web_support import MakeClient


def silent(unit: str, subject: str = "stream:dossier") -> Finding:
    return Finding("silent", unit, subject, None, 120.0, 0.0, datetime(2026, 3, 2), {"window": "day"})


def nav_count(page: str) -> str | None:
    m = re.search(r'data-testid="nav-unread"[^>]*>(\d+)<', page)
    return m[1] if m else None


def test_notifications_are_marked_read_one_or_all_by_their_user_only(workspace: core.Workspace,
                                                                     make_client: MakeClient) -> None:
    ws = workspace
    hn = make_client(ws, user="hn", role="reporter", unit="P01", raise_server_exceptions=False)
    hcm = make_client(ws, user="hcm", role="reporter", unit="P79", raise_server_exceptions=False)
    for c, unit in ((hn, "P01"), (hcm, "P79")):
        r = c.post("/api/v1/subscriptions", json={"unit": unit, "channel": "inapp"}, headers={"X-CSRF-Token": c.csrf})
        assert r.status_code == 201, r.text
    ws.store.warnings.sync([silent("P01"), silent("P01", "stream:payment"), silent("P79")], [])
    assert ws.dispatcher().run_once()["sent"] == 3

    got = hn.get("/api/v1/notifications").json()
    assert got["count"] == 2 and got["unread"] == 2 and all(n["read_at"] is None for n in got["notifications"])
    first, second = (n["id"] for n in got["notifications"])
    [theirs] = [n["id"] for n in hcm.get("/api/v1/notifications").json()["notifications"]]
    assert nav_count(hn.get("/subscriptions").text) == "2" and nav_count(hn.get("/").text) == "2"

    # one, with the CSRF token; again: nothing changes
    assert hn.post(f"/api/v1/notifications/{first}/read").status_code == 403
    r = hn.post(f"/api/v1/notifications/{first}/read", headers={"X-CSRF-Token": hn.csrf})
    assert r.status_code == 200 and r.json() == {"id": first, "marked": 1, "unread": 1}
    [read_at] = [n["read_at"] for n in hn.get("/api/v1/notifications").json()["notifications"] if n["id"] == first]
    assert read_at is not None
    r = hn.post(f"/api/v1/notifications/{first}/read", headers={"X-CSRF-Token": hn.csrf})
    assert r.json() == {"id": first, "marked": 0, "unread": 1}
    assert [n["read_at"] for n in hn.get("/api/v1/notifications").json()["notifications"] if n["id"] == first] == [
        read_at]  # the first reading kept
    assert [n["id"] for n in hn.get("/api/v1/notifications?unread=true").json()["notifications"]] == [second]

    # someone else's: the same 404 as a number that is not there; theirs stays unread
    for c, did in ((hcm, first), (hcm, second), (hn, theirs), (hn, 999_999_999)):
        r = c.post(f"/api/v1/notifications/{did}/read", headers={"X-CSRF-Token": c.csrf})
        assert r.status_code == 404 and r.json()["type"].endswith("unknown-notification"), r.text
        assert "kèm báo cáo" not in r.json()["detail"]
    assert hn.get("/api/v1/notifications").json()["unread"] == 1
    assert hcm.get("/api/v1/notifications").json()["unread"] == 1
    for bad in ("0", "-1", "x", "9" * 30, "1.5", "%00"):
        r = hn.post(f"/api/v1/notifications/{bad}/read", headers={"X-CSRF-Token": hn.csrf})
        assert r.status_code in (400, 404, 422), (bad, r.status_code)
    assert hn.get("/api/v1/notifications?unread=maybe").status_code == 400
    with pytest.raises(UnknownNotificationError):
        core.mark_read(ws, core.user_named(ws, "hn"), 2**63)

    # all of them
    assert hn.post("/api/v1/notifications/read").status_code == 403
    r = hn.post("/api/v1/notifications/read", headers={"X-CSRF-Token": hn.csrf})
    assert r.status_code == 200 and r.json() == {"marked": 1, "unread": 0}
    assert hn.get("/api/v1/notifications").json()["unread"] == 0
    assert hcm.get("/api/v1/notifications").json()["unread"] == 1  # not theirs
    page = hn.get("/subscriptions").text
    assert nav_count(page) is None and 'data-unread="1"' not in page and 'data-testid="mark-all-read"' not in page
    anon = make_client(ws, follow_redirects=False)
    assert anon.post("/api/v1/notifications/read").status_code in (401, 403)
    assert anon.post(f"/api/v1/notifications/{first}/read").status_code in (401, 403)


def test_the_page_shows_unread_ones_and_marks_them_read(workspace: core.Workspace, make_client: MakeClient) -> None:
    ws = workspace
    hn = make_client(ws, user="hn", role="reporter", unit="P01", raise_server_exceptions=False)
    hcm = make_client(ws, user="hcm", role="reporter", unit="P79", raise_server_exceptions=False)
    core.subscribe(ws, core.user_named(ws, "hn"), unit="P01", channel="inapp")
    ws.store.warnings.sync([silent("P01"), silent("P01", "stream:payment")], [])
    ws.dispatcher().run_once()
    first, second = (n["id"] for n in hn.get("/api/v1/notifications").json()["notifications"])
    page = hn.get("/subscriptions").text
    assert page.count('data-unread="1"') == 2 and page.count('data-testid="mark-read"') == 2
    assert "Chưa đọc" in page and "2 thông báo chưa đọc" in page and "Đánh dấu tất cả đã đọc" in page
    assert f'action="/notifications/{first}/read"' in page

    assert hn.post(f"/notifications/{first}/read", data={}).status_code == 403  # no form token
    r = hn.post(f"/notifications/{first}/read", data={"csrf": hn.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/subscriptions#notifications"
    page = hn.get("/subscriptions").text
    assert page.count('data-unread="1"') == 1 and f'data-notification="{second}" class="unread"' in page
    assert nav_count(page) == "1"
    r = hcm.post(f"/notifications/{second}/read", data={"csrf": hcm.csrf})
    assert r.status_code == 404 and 'role="alert"' in r.text  # not theirs: as if there were none
    assert hn.post("/notifications/x/read", data={"csrf": hn.csrf}).status_code in (400, 404, 422)
    assert hn.post("/notifications/read", data={"csrf": "wrong"}).status_code == 403
    r = hn.post("/notifications/read", data={"csrf": hn.csrf})
    assert r.status_code == 200 and 'data-unread="1"' not in r.text and nav_count(r.text) is None
    assert make_client(ws, follow_redirects=False).post("/notifications/read", data={}).status_code in (303, 403)


def test_the_navigation_links_the_subscriptions_for_logged_in_users(sqlite_workspace: core.Workspace,
                                                                     make_client: MakeClient) -> None:
    ws = sqlite_workspace
    hn = make_client(ws, user="hn", role="reporter", unit="P01")
    page = hn.get("/").text
    assert 'href="/subscriptions" data-testid="nav-subscriptions">Đăng ký nhận tin</a>' in page
    assert 'href="/subscriptions#notifications" data-testid="nav-notifications">Thông báo' in page
    en = hn.get("/?lang=en").text
    assert ">Subscriptions</a>" in en and ">Notifications" in en
    anon = make_client(ws).get("/").text
    assert 'data-testid="nav-subscriptions"' not in anon and 'data-testid="nav-notifications"' not in anon
