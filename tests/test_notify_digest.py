"""Warnings as a digest (issue 15 §3): a subscription with ``digest: hourly|daily`` gets one mail, webhook or in-app
item listing the warnings held since its last digest, once the hour or day (Vietnam's time) closes; two dispatchers
at once send it once; one back from downtime sends one digest of everything held; an immediate subscription beside
it is unchanged. A real SMTP server (aiosmtpd) and HTTP receiver; on SQLite and PostgreSQL. The clock of the
scheduler is given (``run_once(at=…)``): no test waits for an hour to close."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from chiso import app as core
from chiso import auth
from chiso import notify as notify_mod
from chiso.catalogue.warnings import Finding
from chiso.errors import ValidationError
from chiso.notify import LOCAL as LOCAL_OFFSET
from chiso.notify import digest_end, last_window
from chiso.store import notify as store_notify
from chiso.store import schema as s
from chiso.store import warnings as store_warnings
from chiso.store.notify import now
from receivers import Mailbox, Receiver, mail_and_webhook
from test_notify_surfaces import cli_run
from web_support import MakeClient

SECRET = "a-webhook-secret-of-32-characters"


def silent(unit: str, subject: str = "stream:dossier") -> Finding:
    return Finding("silent", unit, subject, None, 120.0, 0.0, datetime(2026, 3, 2), {"window": "day"})


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Mailbox, int, Receiver]]:
    with mail_and_webhook() as servers:
        yield servers


@pytest.fixture
def morning(monkeypatch: pytest.MonkeyPatch) -> Callable[[], datetime]:
    """The notifications' clock, running from the last 10:00 in Hà Nội: a test that steps through an hour's and a
    day's windows must not see the day close on its own between its steps (run at 23:30 there, the day closed
    before the first hourly digest did). Sessions keep the real clock."""
    real = datetime.now(UTC).replace(tzinfo=None)
    local = real + LOCAL_OFFSET
    anchor = local.replace(hour=10, minute=0, second=0, microsecond=0)
    if anchor > local:
        anchor -= timedelta(days=1)
    anchor -= LOCAL_OFFSET

    def clock() -> datetime:
        return anchor + (datetime.now(UTC).replace(tzinfo=None) - real)

    monkeypatch.setattr(store_notify, "now", clock)
    monkeypatch.setattr(store_warnings, "now", lambda: clock().replace(microsecond=0))
    monkeypatch.setattr(notify_mod, "utc_now", clock)
    return clock


def run_together(dispatchers: tuple[core.Dispatcher, ...], at: datetime) -> None:
    """The dispatchers' runs started together (two nodes' schedulers on one due job)."""
    barrier = threading.Barrier(len(dispatchers))

    def run(x: core.Dispatcher) -> None:
        barrier.wait()
        x.run_once(at=at)

    threads = [threading.Thread(target=run, args=(x,)) for x in dispatchers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)


def test_windows_close_on_vietnams_hours_and_days() -> None:
    at = datetime(2026, 12, 6, 17, 30)  # 00:30 on 7 December in Hà Nội
    assert last_window("hourly", at) == ("2026-12-06T23", datetime(2026, 12, 6, 17))
    assert last_window("daily", at) == ("2026-12-06", datetime(2026, 12, 6, 17))
    assert digest_end("digest:2026-12-06T23") == datetime(2026, 12, 6, 17)
    assert digest_end("digest:2026-12-06") == datetime(2026, 12, 6, 17)


def test_a_week_closes_on_monday_at_midnight_in_vietnam_with_its_iso_label() -> None:
    at = datetime(2026, 12, 6, 17, 30)  # Monday 7 December, 00:30 in Hà Nội: the week of 30 November closed
    assert last_window("weekly", at) == ("2026-W49", datetime(2026, 12, 6, 17))
    assert last_window("weekly", datetime(2026, 12, 6, 16, 59)) == ("2026-W48", datetime(2026, 11, 29, 17))
    assert last_window("weekly", datetime(2026, 12, 6, 17, 0)) == ("2026-W49", datetime(2026, 12, 6, 17))
    assert last_window("weekly", datetime(2026, 12, 10, 3)) == ("2026-W49", datetime(2026, 12, 6, 17))
    # across the year: 2026 has 53 ISO weeks, and week 1 of 2027 starts on 4 January
    assert last_window("weekly", datetime(2027, 1, 4, 0)) == ("2026-W53", datetime(2027, 1, 3, 17))
    assert last_window("weekly", datetime(2027, 1, 10, 17, 1)) == ("2027-W01", datetime(2027, 1, 10, 17))
    for label, end in (("2026-W49", datetime(2026, 12, 6, 17)), ("2026-W53", datetime(2027, 1, 3, 17)),
                       ("2027-W01", datetime(2027, 1, 10, 17))):
        assert digest_end(f"digest:{label}") == end


def test_a_weekly_digest_goes_once_per_closed_week_and_catches_up(
        workspace: core.Workspace, servers: tuple[Mailbox, int, Receiver], make_client: MakeClient,
        cheap_hashes: None) -> None:
    box, port, receiver = servers
    box.mails.clear()
    ws = workspace
    with (ws.root / "chiso.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nretry = [0]\n'
                'webhook_allow = ["127.0.0.1"]\n')
    app = make_client(ws, user="hn", role="reporter", unit="P01")
    hn = auth.user_of(ws.store.users.by_username("hn"))  # type: ignore[arg-type]
    path = f"/weekly-{ws.store.engine.dialect.name}"
    mail = core.subscribe(ws, hn, unit="P01", channel="email", target="hn@example.vn", digest="weekly").id
    core.subscribe(ws, hn, unit="P01", channel="webhook", target=f"http://127.0.0.1:{receiver.port}{path}",
                   secret=SECRET, digest="weekly", lang="en")
    inapp = core.subscribe(ws, hn, unit="P01", channel="inapp", digest="weekly").id
    below = next(c for c, u in ws.catalogue.units.items() if u.parent == "P01")
    ws.store.warnings.sync([silent("P01"), silent(below)], [])
    other = core.Workspace(ws.root, ws.db_url)  # a second process
    a, b = ws.dispatcher(), other.dispatcher()
    try:
        start = now()
        a.run_once(at=start)  # held: this week has not closed
        assert box.mails == [] and receiver.at(path) == []
        assert {d.state for d in ws.store.notify.deliveries()} == {"held"}
        # the week closes (the next Monday, 00:00 in Hà Nội): both dispatchers at once, one digest each
        label, end = last_window("weekly", start + timedelta(days=7))
        assert end > start and label.startswith(f"{(start + LOCAL_OFFSET).isocalendar()[0]}-W")
        later = end + timedelta(minutes=1)
        run_together((a, b), later)
        assert len(box.mails) == 1 and len(receiver.at(path)) == 1
        text = box.mails[0][2].get_body(("plain",)).get_content()
        assert "Bản tổng hợp hằng tuần: 2 cảnh báo" in text and text.count("\n- ") == 2
        got = json.loads(receiver.at(path)[0][3])
        assert got["digest"] == "weekly" and got["item"] == f"digest:{label}" and got["count"] == 2
        assert got["until"] == end.isoformat() + "Z" and "Weekly digest: 2 warnings" in got["text"]
        items = {d.item for d in ws.store.notify.deliveries() if d.item.startswith("digest:")}
        assert items == {f"digest:{label}"}
        assert a.run_once(at=later + timedelta(days=3))["new"] == 0  # the same week: nothing more

        # down for three weeks: one digest of what was held, under the last closed week, and never again
        ws.store.warnings.sync([silent("P01", "stream:payment")], [])
        a.run_once(at=later)
        gone = later + timedelta(weeks=3)
        done = b.run_once(at=gone)
        assert done["new"] == 3 and len(box.mails) == 2, done
        label2, _ = last_window("weekly", gone)
        assert box.mails[1][2].get_body(("plain",)).get_content().count("\n- ") == 1
        assert json.loads(receiver.at(path)[1][3])["item"] == f"digest:{label2}"
        assert a.run_once(at=gone)["new"] == 0 and b.run_once(at=gone + timedelta(days=1))["new"] == 0
        assert len(box.mails) == 2 and len(receiver.at(path)) == 2
        notes = [n for n in app.get("/api/v1/notifications").json()["notifications"] if n["subscription"] == inapp]
        assert [len(n["warnings"]) for n in notes] == [1, 2] and "hằng tuần" in notes[0]["text"]
        assert "Tổng hợp hằng tuần" in app.get("/subscriptions").text
        assert [d.subscription.id for d in ws.store.notify.deliveries() if d.item == f"digest:{label2}"
                and d.state == "sent"].count(mail) == 1
    finally:
        other.close()


def test_a_digest_goes_once_lists_what_came_since_the_last_and_catches_up(
        workspace: core.Workspace, servers: tuple[Mailbox, int, Receiver], make_client: MakeClient,
        cheap_hashes: None, morning: Callable[[], datetime]) -> None:
    now = morning  # the steps below are hours and days from 10:00 in Hà Nội
    box, port, receiver = servers
    box.mails.clear()
    ws = workspace
    with (ws.root / "chiso.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nretry = [0]\n'
                'webhook_allow = ["127.0.0.1"]\n')
    app = make_client(ws, user="hn", role="reporter", unit="P01")
    hn = auth.user_of(ws.store.users.by_username("hn"))  # type: ignore[arg-type]
    path = f"/digest-{ws.store.engine.dialect.name}"
    mail = core.subscribe(ws, hn, unit="P01", channel="email", target="hn@example.vn", digest="hourly").id
    hook = core.subscribe(ws, hn, unit="P01", channel="webhook", target=f"http://127.0.0.1:{receiver.port}{path}",
                          secret=SECRET, digest="hourly", lang="en").id
    daily = core.subscribe(ws, hn, unit="P01", channel="inapp", digest="daily").id
    at_once = core.subscribe(ws, hn, unit="P01", channel="inapp").id
    below = next(c for c, u in ws.catalogue.units.items() if u.parent == "P01")
    ws.store.warnings.sync([silent("P01"), silent(below)], [])
    other = core.Workspace(ws.root, ws.db_url)  # a second process
    a, b = ws.dispatcher(), other.dispatcher()
    try:
        done = a.run_once(at=now())  # the hour has not closed: only the immediate subscription hears now
        assert done["sent"] == 2 and box.mails == [] and receiver.at(path) == []
        rows = ws.store.notify.deliveries()
        assert sorted((d.subscription.id, d.state) for d in rows if d.subscription.id != at_once) == sorted(
            (sid, "held") for sid in (mail, hook, daily) for _ in range(2))

        # the hour closed: both dispatchers at once, one digest per subscription
        later = now() + timedelta(hours=2)
        run_together((a, b), later)
        assert len(box.mails) == 1 and len(receiver.at(path)) == 1
        text = box.mails[0][2].get_body(("plain",)).get_content()
        assert "Bản tổng hợp hằng giờ: 2 cảnh báo" in text and text.count("\n- ") == 2
        assert "2 cảnh báo" in str(box.mails[0][2]["Subject"])
        _, _, headers, body = receiver.at(path)[0]
        assert headers["X-Chiso-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        got = json.loads(body)
        assert got["count"] == 2 and got["digest"] == "hourly" and {w["unit"] for w in got["warnings"]} == {
            "P01", below} and "Hourly digest: 2 warnings" in got["text"]
        assert a.run_once(at=later)["new"] == 0 and b.run_once(at=later)["sent"] == 0

        # a new warning: the next digest lists it alone (since the last)
        ws.store.warnings.sync([silent("P01", "stream:payment")], [])
        a.run_once(at=later)
        assert len(box.mails) == 1  # its hour has not closed
        b.run_once(at=later + timedelta(hours=1))
        assert len(box.mails) == 2 and box.mails[1][2].get_body(("plain",)).get_content().count("\n- ") == 1
        assert json.loads(receiver.at(path)[1][3])["count"] == 1

        # down for a day: one daily digest in the app of all three, and nothing more by mail
        done = a.run_once(at=later + timedelta(days=2))
        assert len(box.mails) == 2, done
        notes = app.get("/api/v1/notifications").json()["notifications"]
        [digest] = [n for n in notes if n["subscription"] == daily]
        assert digest["kind"] == "digest" and len(digest["warnings"]) == 3 and "3 cảnh báo" in digest["text"]
        assert len([n for n in notes if n["subscription"] == at_once]) == 3  # each at once, as before
        page = app.get("/subscriptions").text
        assert 'data-testid="digest-items"' in page and "Tổng hợp hằng giờ" in page
        states = [d.state for d in ws.store.notify.deliveries() if d.warning is not None
                  and d.subscription.id != at_once]
        assert states == ["digested"] * 9

        # out of the user's scope by the time its digest goes: skipped, not sent
        ws.store.warnings.sync([silent(below, "stream:payment")], [])
        a.run_once(at=now())  # held, its hour not closed
        with ws.store.engine.begin() as conn:
            conn.execute(update(s.app_user).where(s.app_user.c.username == "hn").values(unit="P79"))
        done = a.run_once(at=later + timedelta(days=4))
        assert len(box.mails) == 2 and done["skipped"] >= 2, done
        assert "held" not in {d.state for d in ws.store.notify.deliveries()}  # gone with their skipped digests
        assert a.run_once(at=later + timedelta(days=5))["new"] == 0
    finally:
        other.close()


def test_the_digest_on_the_command_line_the_api_and_the_page(sqlite_workspace: core.Workspace,
                                                            make_client: MakeClient, cheap_hashes: None) -> None:
    ws = sqlite_workspace
    app = make_client(ws, user="hn", role="reporter", unit="P01")
    made = json.loads(cli_run(ws, "subscribe", "--user", "hn", "--unit", "P01", "--digest", "daily", "--json"))
    assert made["digest"] == "daily"
    assert "(daily)" in cli_run(ws, "subscriptions")
    assert "not a digest" in cli_run(ws, "subscribe", "--user", "hn", "--unit", "P01", "--digest", "monthly", code=2)
    assert json.loads(cli_run(ws, "subscribe", "--user", "hn", "--unit", "P01", "--digest", "weekly", "--json"))[
        "digest"] == "weekly"
    hdr = {"X-CSRF-Token": app.csrf}
    r = app.post("/api/v1/subscriptions", json={"unit": "P01", "channel": "inapp", "digest": "hourly"}, headers=hdr)
    assert r.status_code == 201 and r.json()["digest"] == "hourly"
    for bad in ({"digest": "monthly"}, {"digest": "x" * 5000}, {"digest": 3}, {"digest": "daily", "report": "monthly"}):
        r = app.post("/api/v1/subscriptions", json={"unit": "P01", "channel": "inapp"} | bad, headers=hdr)
        assert r.status_code in (400, 422) and "digest" in r.text, (bad, r.text)
    r = app.post("/subscriptions", data={"unit": "P01", "channel": "inapp", "digest": "daily", "csrf": app.csrf})
    assert r.status_code == 200 and r.text.count("Tổng hợp hằng ngày") >= 3  # two listed, one offered
    r = app.post("/subscriptions", data={"unit": "P01", "channel": "inapp", "digest": "monthly", "csrf": app.csrf})
    assert r.status_code in (400, 422) and "cách gửi gộp không hợp lệ" in r.text
    with pytest.raises(ValidationError):
        core.subscribe(ws, auth.user_of(ws.store.users.by_username("hn")),  # type: ignore[arg-type]
                       unit="P01", channel="inapp", digest="daily", report="monthly")
