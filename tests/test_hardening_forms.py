"""Issue 11, forms: a move never undoes a save made meanwhile, and a second person approves.

A save and a submit of one form at the same moment: the submit names the form's version it read (the page's
``form_version``, the API's ``?version=``); a save in between makes it 409 and the save survives. Without a
version, the move writes the values current in its own transaction, never those it read before.
With ``[workflow] four_eyes`` (on by default) whoever submitted a form or saved its values may not approve it.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chiso import app as core
from chiso import auth, workflow
from chiso.auth import User
from chiso.errors import ConflictError, PermissionDenied, UnknownNameError
from web_support import MakeClient

DS, UNIT, PERIOD = "province_monthly", "P48", "2024-04"
TEAMS = "community_dx_teams"
PW = "mật-khẩu-đủ-dài"
API = f"/api/v1/forms/{DS}/{UNIT}/{PERIOD}"
PAGE = f"/forms/{DS}/{UNIT}/{PERIOD}"

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def user(ws: core.Workspace, name: str, role: str, unit: str) -> User:
    rec = ws.store.users.by_username(name) or ws.store.users.create(name, name, PW, role, unit)
    return auth.user_of(rec)


def fill(ws: core.Workspace, who: User, period: str = PERIOD, teams: float = 56) -> workflow.FormView:
    """Every field of the form saved (so that it can be submitted)."""
    view = workflow.open_form(ws, who, DS, UNIT, period)
    entries = [
        workflow.Entry(
            f.indicator.code,
            teams if f.indicator.code == TEAMS else (50.5 if f.indicator.kind == "rate" else 56),
            version=f.version,
        )
        for f in view.fields
    ]
    return workflow.save_form(ws, who, DS, UNIT, period, entries)


def stored(ws: core.Workspace, code: str = TEAMS, period: str = PERIOD) -> tuple[float | None, str]:
    (v,) = [x for x in ws.store.values(units=[UNIT], period=period) if x.indicator == code]
    return v.value, v.status


def set_teams(ws: core.Workspace, who: User, value: float, period: str = PERIOD) -> workflow.FormView:
    view = workflow.open_form(ws, who, DS, UNIT, period)
    (f,) = [f for f in view.fields if f.indicator.code == TEAMS]
    return workflow.save_form(ws, who, DS, UNIT, period, [workflow.Entry(TEAMS, value, version=f.version)])


# --- 1. a lost update between save and submit ------------------------------------------------------------
def test_a_submit_naming_the_version_read_before_a_save_is_refused_and_the_save_survives(
    workspace: core.Workspace, make_client: MakeClient
) -> None:
    """The race, made deterministic: read the form, save through another client, submit with the old
    version: 409 ``conflict``, nothing moved, the saved value stays; with the current version it goes."""
    ws = workspace
    fill(ws, user(ws, "dn", "reporter", UNIT))
    a = make_client(ws, user="dn")
    b = make_client(ws, user="dn2", role="reporter", unit=UNIT)
    read = a.get(API).json()
    teams = next(f for f in read["fields"] if f["indicator"] == TEAMS)
    r = b.put(API, headers={"X-CSRF-Token": b.csrf},
              json={"entries": [{"indicator": TEAMS, "value": 60, "version": teams["version"]}]})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == read["version"] + 1

    r = a.post(API + "/submit", params={"version": read["version"]}, headers={"X-CSRF-Token": a.csrf})
    assert r.status_code == 409 and r.json()["type"].endswith(":conflict"), r.text
    assert stored(ws) == (60, "draft") and ws.store.users.form(DS, UNIT, PERIOD).state == "open"

    now = a.get(API).json()["version"]
    r = a.post(API + "/submit", params={"version": now}, headers={"X-CSRF-Token": a.csrf})
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    assert stored(ws) == (60, "submitted")
    rv = make_client(ws, user="rev", role="reviewer", unit="VN")
    r = rv.post(API + "/approve", params={"version": now}, headers={"X-CSRF-Token": rv.csrf})
    assert r.status_code == 409  # the submit moved it since
    r = rv.post(API + "/approve", params={"version": rv.get(API).json()["version"]}, headers={"X-CSRF-Token": rv.csrf})
    assert r.status_code == 200 and r.json()["state"] == "approved"


def _entry_form(page: str) -> dict[str, str]:
    form = re.search(r'<form method="post" action="[^"]*" id="entry".*?</form>', page, re.S)
    assert form is not None
    fields = {n: html.unescape(v) for n, v in re.findall(r'<input[^>]*name="([^"]+)" value="([^"]*)"', form[0])}
    fields.update((n, html.unescape(v)) for n, v in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>',
                                                               form[0], re.S))
    return fields


def test_the_page_refuses_a_submit_or_an_approval_of_a_form_changed_since_it_was_drawn(
    workspace: core.Workspace, make_client: MakeClient
) -> None:
    ws = workspace
    fill(ws, user(ws, "dn", "reporter", UNIT))
    a = make_client(ws, user="dn", follow_redirects=False)
    fields = _entry_form(a.get(PAGE).text)
    assert fields["form_version"].isdigit()
    set_teams(ws, user(ws, "dn2", "reporter", UNIT), 61)  # another person saves meanwhile

    r = a.post(PAGE, data={**fields, "action": "submit"})
    assert r.status_code == 409 and "Biểu mẫu đã thay đổi kể từ khi bạn mở" in html.unescape(r.text)
    assert stored(ws) == (61, "draft") and ws.store.users.form(DS, UNIT, PERIOD).state == "open"
    fields = _entry_form(r.text)  # drawn again: now current
    r = a.post(PAGE, data={**fields, "action": "submit"})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=submitted")
    assert stored(ws) == (61, "submitted")

    rv = make_client(ws, user="rev", role="reviewer", unit="VN", follow_redirects=False)
    page = rv.get(PAGE).text
    drawn = re.search(r'action="[^"]*/approve".*?name="form_version" value="(\d+)"', page, re.S)
    assert drawn is not None
    workflow.return_form(ws, user(ws, "rev2", "reviewer", "VN"), DS, UNIT, PERIOD, "sửa lại")
    fill(ws, user(ws, "dn", "reporter", UNIT), teams=62)
    workflow.submit_form(ws, user(ws, "dn", "reporter", UNIT), DS, UNIT, PERIOD)
    r = rv.post(PAGE + "/approve", data={"csrf": rv.csrf, "form_version": drawn[1]})
    assert r.status_code == 409 and "Biểu mẫu đã thay đổi" in html.unescape(r.text)
    assert ws.store.users.form(DS, UNIT, PERIOD).state == "submitted"


def _save_meanwhile(ws: core.Workspace, monkeypatch: pytest.MonkeyPatch, save: Callable[[], object]) -> None:
    """Run ``save`` in another thread just before the next move's transaction begins: after the move has
    read the form, before it writes (the window of the race)."""
    real = ws.store.batch
    done: list[object] = []

    @contextmanager
    def batch() -> Iterator[None]:
        if not done:
            done.append(True)
            t = threading.Thread(target=lambda: done.append(save()))
            t.start()
            t.join()
            assert len(done) == 2, "the save failed"
        with real():
            yield

    monkeypatch.setattr(ws.store, "batch", batch)


@pytest.mark.parametrize("verb", ["submit", "submit-with-version"])
def test_a_save_landing_while_a_submit_runs_is_never_undone(
    workspace: core.Workspace, monkeypatch: pytest.MonkeyPatch, verb: str
) -> None:
    """A submit used to write back the values it had read, over a save made meanwhile (1 → 2 → 1 in the
    audit). Now it writes the values current in its transaction; naming its version, it is refused."""
    ws = workspace
    dn, dn2 = user(ws, "dn", "reporter", UNIT), user(ws, "dn2", "reporter", UNIT)
    view = fill(ws, dn)
    _save_meanwhile(ws, monkeypatch, lambda: set_teams(ws, dn2, 70))
    if verb == "submit":
        workflow.submit_form(ws, dn, DS, UNIT, PERIOD)
        assert stored(ws) == (70, "submitted")
    else:
        with pytest.raises(ConflictError, match="changed"):
            workflow.submit_form(ws, dn, DS, UNIT, PERIOD, version=view.version)
        assert stored(ws) == (70, "draft") and ws.store.users.form(DS, UNIT, PERIOD).state == "open"


def test_concurrent_saves_and_submits_lose_nothing(sqlite_workspace: core.Workspace) -> None:
    """A threaded trial: on each of 12 forms a save and a submit run at once. Whatever the order, a save
    that answered is in the store, and the form's state and its values' status agree."""
    ws = sqlite_workspace
    dn, dn2 = user(ws, "dn", "reporter", UNIT), user(ws, "dn2", "reporter", UNIT)
    periods = [f"2023-{m:02d}" for m in range(1, 13)]
    read = {p: fill(ws, dn, p).version for p in periods}
    results: dict[tuple[str, str], Any] = {}

    def run(key: tuple[str, str], fn: Callable[[], object], gate: threading.Barrier) -> None:
        gate.wait()
        try:
            fn()
            results[key] = "ok"
        except (ConflictError, PermissionDenied) as exc:
            results[key] = exc

    for p in periods:
        gate = threading.Barrier(2)
        threads = [
            threading.Thread(target=run, args=((p, "save"), lambda p=p: set_teams(ws, dn2, 99, p), gate)),
            threading.Thread(target=run, args=((p, "submit"), lambda p=p: workflow.submit_form(
                ws, dn, DS, UNIT, p, version=read[p]), gate)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for p in periods:
        value, status = stored(ws, period=p)
        state = ws.store.users.form(DS, UNIT, p).state
        # exactly one goes through: a submit after the save names an old version; a save after the submit
        # finds the form no longer editable
        assert [results[(p, "save")], results[(p, "submit")]].count("ok") == 1, (p, results)
        if results[(p, "save")] == "ok":
            assert (value, status, state) == (99, "draft", "open"), p  # never lost
        else:
            assert (value, state) == (56, "submitted"), p
        assert {v.status for v in ws.store.values(units=[UNIT], period=p)} == (
            {"submitted"} if state == "submitted" else {"draft"}
        ), p


# --- 2. a second person approves ---------------------------------------------------------------------------
def _approvals(ws: core.Workspace) -> list[tuple[str, dict[str, Any]]]:
    return [(a.actor, a.after or {}) for a in ws.store.history(unit=UNIT, period=PERIOD)
            if a.entity == "form" and a.action == "approved"]


def test_with_four_eyes_on_by_default_whoever_submitted_or_saved_may_not_approve(
    workspace: core.Workspace, make_client: MakeClient
) -> None:
    ws = workspace
    assert workflow.four_eyes(ws) is True  # on, as a new workspace says
    admin, admin2 = user(ws, "admin", "admin", "VN"), user(ws, "admin2", "admin", "VN")
    fill(ws, admin)
    workflow.submit_form(ws, admin, DS, UNIT, PERIOD)
    with pytest.raises(PermissionDenied, match="admin submitted the form of P48; another person must approve"):
        workflow.approve_form(ws, admin, DS, UNIT, PERIOD)
    c = make_client(ws, user="admin")
    r = c.post(API + "/approve", headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 403 and "another person must approve" in r.json()["detail"]

    # the one who saved a value, though another submitted, may not either
    workflow.return_form(ws, admin2, DS, UNIT, PERIOD, "sửa")
    dn = user(ws, "dn", "reporter", UNIT)
    set_teams(ws, admin, 57)
    workflow.submit_form(ws, dn, DS, UNIT, PERIOD)
    with pytest.raises(PermissionDenied, match="admin entered values of the form of P48"):
        workflow.approve_form(ws, admin, DS, UNIT, PERIOD)
    assert ws.store.users.form(DS, UNIT, PERIOD).state == "submitted"
    workflow.approve_form(ws, admin2, DS, UNIT, PERIOD)
    assert _approvals(ws) == [
        ("admin2", {"state": "approved", "comment": None, "submitted_by": "dn", "four_eyes": True})
    ]


def test_with_four_eyes_off_one_person_enters_submits_and_approves(workspace: core.Workspace) -> None:
    ws = workspace
    toml = ws.root / "chiso.toml"
    text = toml.read_text(encoding="utf-8")
    assert "four_eyes = true" in text  # a new workspace says the setting and its default
    toml.write_text(text.replace("four_eyes = true", "four_eyes = false"), encoding="utf-8")
    assert workflow.four_eyes(ws) is False
    admin = user(ws, "admin", "admin", "VN")
    fill(ws, admin)
    workflow.submit_form(ws, admin, DS, UNIT, PERIOD)
    assert workflow.approve_form(ws, admin, DS, UNIT, PERIOD).state.state == "approved"
    assert _approvals(ws) == [
        ("admin", {"state": "approved", "comment": None, "submitted_by": "admin", "four_eyes": False})
    ]


# --- 3. periods outside the framework's years ----------------------------------------------------------------
@pytest.mark.parametrize("period", ["1900-01", "2999-04"])
def test_no_form_opens_or_saves_for_a_period_outside_the_years(
    workspace: core.Workspace, make_client: MakeClient, period: str
) -> None:
    ws = workspace
    dn = user(ws, "dn", "reporter", UNIT)
    with pytest.raises(UnknownNameError, match="outside the years"):
        workflow.open_form(ws, dn, DS, UNIT, period)
    with pytest.raises(UnknownNameError, match="outside the years"):
        workflow.save_form(ws, dn, DS, UNIT, period, [workflow.Entry(TEAMS, 5)])
    c = make_client(ws, user="dn")
    api = f"/api/v1/forms/{DS}/{UNIT}/{period}"
    r = c.get(api)
    assert r.status_code == 404 and r.json()["type"].endswith(":unknown-form") and "outside the years" in r.text
    r = c.put(api, headers={"X-CSRF-Token": c.csrf}, json={"entries": [{"indicator": TEAMS, "value": 5}]})
    assert r.status_code == 404 and r.json()["type"].endswith(":unknown-form")
    page = c.get(f"/forms/{DS}/{UNIT}/{period}")
    assert page.status_code == 404 and f"không rõ kỳ '{period}'" in html.unescape(page.text)
    fields = {"csrf": c.csrf, f"{TEAMS}.value": "5", "action": "save"}
    assert c.post(f"/forms/{DS}/{UNIT}/{period}", data=fields).status_code == 404
    assert ws.store.values(units=[UNIT], period=period) == []
    assert f"không rõ kỳ '{period}'" in html.unescape(c.get("/forms", params={"period": period}).text)
