"""Early warnings on the web (issue 15 §2): the API and the page list the warnings of the units a user may see
(a province's reporter never sees another province's), marking one needs the CSRF token and more than a viewer's
role, and no input makes a 500. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from chiso import app as core
from chiso.catalogue.warnings import Finding
from web_support import MakeClient


def findings(ws: core.Workspace) -> dict[str, int]:
    """A silent P01 (Hà Nội) and P79 (Hồ Chí Minh), and a late report of one of P01's communes: their ids."""
    commune = next(u.code for u in ws.catalogue.below(ws.catalogue.units["P01"]) if u.is_local)
    fs = [Finding("silent", "P01", "stream:dossier", None, 226.2, 0.0, datetime(2024, 3, 6), {"window": "day"}),
          Finding("silent", "P79", "stream:dossier", None, 300.0, 4.0, datetime(2024, 3, 8), {"window": "day"}),
          Finding("late", commune, "commune_quarterly", "2024Q1", None, None, datetime(2024, 4, 16),
                  {"deadline": "2024-04-15", "state": "open", "days_late": 3})]
    ws.store.warnings.sync(fs, {f.key for f in fs})
    return {w.unit if w.unit in ("P01", "P79") else "commune": w.id for w in ws.store.warnings.find()}


@pytest.fixture
def ids(workspace: core.Workspace) -> dict[str, int]:
    return findings(workspace)


def test_api_lists_only_the_units_a_user_may_see(workspace: core.Workspace, ids: dict[str, int],
                                                 make_client: MakeClient) -> None:
    hn = make_client(workspace, user="hn", role="reporter", unit="P01")
    got = hn.get("/api/v1/warnings").json()
    assert sorted(w["id"] for w in got["warnings"]) == sorted([ids["P01"], ids["commune"]])
    assert all(w["unit"] != "P79" for w in got["warnings"])
    hcm = make_client(workspace, user="hcm", role="reporter", unit="P79")
    assert [w["id"] for w in hcm.get("/api/v1/warnings").json()["warnings"]] == [ids["P79"]]
    assert hcm.get("/api/v1/warnings", params={"unit": "P01"}).status_code == 403
    nation = make_client(workspace, user="nat", role="viewer", unit="VN")
    assert len(nation.get("/api/v1/warnings").json()["warnings"]) == 3
    p01 = nation.get("/api/v1/warnings", params={"unit": "P01", "kind": "late"}).json()["warnings"]
    assert [w["id"] for w in p01] == [ids["commune"]]  # a unit's own and those below it
    text = nation.get("/api/v1/warnings", params={"unit": "P01", "kind": "silent"}).json()["warnings"][0]["text"]
    assert "226" in text and "06/03/2024" in text  # Vietnamese first
    public = make_client(workspace)
    assert public.get("/api/v1/warnings").status_code == 401
    # since a point of the warnings' log: what a subscriber will ask
    after = nation.get("/api/v1/warnings", params={"after": 0}).json()
    assert after["count"] == 3 and after["last"] == workspace.store.warnings.last_log_id()
    assert nation.get("/api/v1/warnings", params={"after": after["last"]}).json()["count"] == 0
    assert [w["id"] for w in hcm.get("/api/v1/warnings", params={"after": 0}).json()["warnings"]] == [ids["P79"]]


def test_api_marks_with_the_csrf_token_and_a_role_that_may(workspace: core.Workspace, ids: dict[str, int],
                                                           make_client: MakeClient) -> None:
    hn = make_client(workspace, user="hn", role="reporter", unit="P01")
    url = f"/api/v1/warnings/{ids['P01']}/seen"
    assert hn.post(url).status_code == 403  # no CSRF token
    r = hn.post(url, headers={"X-CSRF-Token": hn.csrf})
    assert r.status_code == 200 and (r.json()["state"], r.json()["state_by"]) == ("seen", "hn")
    r = hn.post(f"/api/v1/warnings/{ids['P01']}/resolve", headers={"X-CSRF-Token": hn.csrf})
    assert r.json()["state"] == "resolved"
    audit = [a for a in workspace.store.history(unit="P01") if a.entity == "warning"]
    assert [(a.actor, a.after) for a in audit] == [("hn", {"state": "seen"}), ("hn", {"state": "resolved"})]
    # another province's warning is no warning of the user's
    r = hn.post(f"/api/v1/warnings/{ids['P79']}/seen", headers={"X-CSRF-Token": hn.csrf})
    assert r.status_code == 404 and r.json()["type"].endswith("unknown-warning")
    assert workspace.store.warnings.get(ids["P79"]).state == "new"  # type: ignore[union-attr]
    viewer = make_client(workspace, user="v", role="viewer", unit="VN")
    assert viewer.post(f"/api/v1/warnings/{ids['P79']}/seen",
                       headers={"X-CSRF-Token": viewer.csrf}).status_code == 403
    assert make_client(workspace).post(url).status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/warnings/0/seen", "/api/v1/warnings/99999999999999/seen",
                                  "/api/v1/warnings/abc/seen", "/api/v1/warnings/1/loud",
                                  "/api/v1/warnings/" + "9" * 5000 + "/seen"])
def test_no_warning_id_makes_a_500(workspace: core.Workspace, make_client: MakeClient, path: str) -> None:
    c = make_client(workspace, user="adm", role="admin", unit="VN", raise_server_exceptions=False)
    r = c.post(path, headers={"X-CSRF-Token": c.csrf})
    assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("params", [{"kind": "loud"}, {"state": "gone"}, {"unit": "ZZZ"}, {"unit": "x" * 5000},
                                    {"limit": "0"}, {"limit": "10001"}, {"after": "-1"}, {"after": "9" * 40}])
def test_no_listing_query_makes_a_500(workspace: core.Workspace, make_client: MakeClient,
                                      params: dict[str, str]) -> None:
    c = make_client(workspace, user="adm", role="admin", unit="VN", raise_server_exceptions=False)
    r = c.get("/api/v1/warnings", params=params)
    assert 400 <= r.status_code < 500, r.text
    page = c.get("/warnings", params=params)
    if set(params) & {"limit", "after"}:  # not the page's parameters: ignored
        assert page.status_code == 200
    else:
        assert 400 <= page.status_code < 500 and 'role="alert"' in page.text, page.text[:300]


def test_the_page_lists_the_users_warnings_and_marks_them(workspace: core.Workspace, ids: dict[str, int],
                                                          make_client: MakeClient) -> None:
    hn = make_client(workspace, user="hn", role="reporter", unit="P01", follow_redirects=False)
    home = hn.get("/").text
    assert 'href="/warnings"' in home
    page = hn.get("/warnings").text
    rows = re.findall(r'<tr class="state-\w+" data-warning="(\d+)" data-unit="([^"]+)"', page)
    assert sorted(int(i) for i, _ in rows) == sorted([ids["P01"], ids["commune"]])
    assert "P79" not in {u for _, u in rows} and "Nguồn im lặng" in page and "Cảnh báo sớm" in page
    assert "Silent source" in hn.get("/warnings", params={"lang": "en"}).text
    assert hn.post(f"/warnings/{ids['P01']}/resolve", data={"csrf": "wrong"}).status_code == 403
    r = hn.post(f"/warnings/{ids['P01']}/resolve", data={"csrf": hn.csrf})
    assert r.status_code == 303 and r.headers["location"] == "/warnings"
    w = workspace.store.warnings.get(ids["P01"])
    assert w is not None and (w.state, w.state_by) == ("resolved", "hn")
    assert hn.post(f"/warnings/{ids['P79']}/resolve", data={"csrf": hn.csrf}).status_code == 404
    resolved = hn.get("/warnings", params={"state": "resolved"}).text
    assert re.findall(r'data-warning="(\d+)"', resolved) == [str(ids["P01"])]
    assert make_client(workspace, follow_redirects=False).get("/warnings").status_code == 303  # to the login
