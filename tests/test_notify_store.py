"""Subscriptions and deliveries in the store, on SQLite and PostgreSQL: two dispatchers at once deliver an item
once (the unique row and the conditional claim, no process lock); a dispatcher's cursor survives a restart; a scope
that shrank after the delivery was made stops it at sending; every input bounded, and webhooks kept off internal
addresses unless allowed."""

from __future__ import annotations

import email.policy
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from chiso import app as core
from chiso import auth
from chiso.catalogue.warnings import Finding
from chiso.errors import PermissionDenied, UnknownSubscriptionError, ValidationError, WorkspaceError
from chiso.notify import CURSOR, Dispatcher, NotifySettings, check_subscription, reachable, url_problem
from chiso.store import schema as s


def silent(unit: str, seen: float = 0.0) -> Finding:
    return Finding("silent", unit, "stream:dossier", None, 120.0, seen, datetime(2026, 3, 2), {"window": "day"})


def user(ws: core.Workspace, username: str, role: str, unit: str) -> auth.User:
    r = ws.store.users.create(username, username, "pw-" + username, role, unit)
    return auth.user_of(r)


@pytest.fixture
def ws(workspace: core.Workspace, cheap_hashes: None) -> Iterator[core.Workspace]:
    yield workspace


def dispatcher(ws: core.Workspace) -> Dispatcher:
    return Dispatcher(lambda: ws.catalogue, ws.store, NotifySettings(retry=(0.0,)))


def test_two_dispatchers_at_once_deliver_each_item_once(ws: core.Workspace) -> None:
    hn = user(ws, "hn", "reporter", "P01")
    sub = core.subscribe(ws, hn, unit="P01", channel="inapp")
    ws.store.warnings.sync([silent("P01"), silent("P79")], [])
    sent: list[int] = []
    a, b = dispatcher(ws), dispatcher(ws)
    orig = Dispatcher._send

    def counting(self: Dispatcher, cat: object, d: object, w: object) -> None:
        sent.append(d.id)  # type: ignore[attr-defined]
        orig(self, cat, d, w)  # type: ignore[arg-type]

    barrier = threading.Barrier(2)

    def run(x: Dispatcher) -> None:
        barrier.wait()
        x.run_once()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Dispatcher, "_send", counting)
        threads = [threading.Thread(target=run, args=(x,)) for x in (a, b)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
    rows = ws.store.notify.deliveries()
    assert [(d.subscription.id, d.state, d.attempts) for d in rows] == [(sub.id, "sent", 1)]  # P79's: not theirs
    assert sent == [rows[0].id]
    assert a.run_once()["new"] == 0 and b.run_once()["sent"] == 0


def test_the_cursor_survives_a_restart(ws: core.Workspace) -> None:
    hn = user(ws, "hn", "reporter", "P01")
    core.subscribe(ws, hn, unit="P01", channel="inapp")
    ws.store.warnings.sync([silent("P01")], [])
    assert dispatcher(ws).run_once()["sent"] == 1
    first = ws.store.notify.cursor(CURSOR)
    ws.store.warnings.sync([], [silent("P01").key])  # cleared, then back: raised again, a new item
    ws.store.warnings.sync([silent("P01")], [])
    again = dispatcher(ws)  # a new process
    assert again.run_once()["sent"] == 1
    assert (ws.store.notify.cursor(CURSOR) or 0) > (first or 0)
    assert dispatcher(ws).run_once() == {"new": 0, "sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    assert len(ws.store.notify.deliveries()) == 2


def test_a_scope_that_shrank_stops_the_delivery_at_sending(ws: core.Workspace) -> None:
    hn = user(ws, "hn", "reporter", "P01")
    core.subscribe(ws, hn, unit="P01", channel="inapp")
    ws.store.warnings.sync([silent("P01")], [])
    d = dispatcher(ws)
    assert d.fan_out() == 1
    with ws.store.engine.begin() as conn:  # moved to another province before it was sent
        conn.execute(update(s.app_user).where(s.app_user.c.id == hn.id).values(unit="P79"))
    assert d.deliver_due()["skipped"] == 1
    assert [x.state for x in ws.store.notify.deliveries()] == ["skipped"]
    assert core.notifications(ws, hn) == []


def test_subscribing_is_bounded_and_scoped(ws: core.Workspace) -> None:
    cat = ws.catalogue
    hn = user(ws, "hn", "reporter", "P01")
    nation = user(ws, "nat", "viewer", "VN")
    with pytest.raises(PermissionDenied):
        check_subscription(cat, hn, unit="P79", channel="inapp")
    assert check_subscription(cat, nation, unit="P79", channel="inapp")["unit"] == "P79"
    for target in ("file:///etc/passwd", "javascript:alert(1)", "gopher://x/", "http://user:pw@host/",
                   "http://" + "a" * 600 + ".vn/", "http:///nohost", "http://host:99999/", "http://a b/"):
        with pytest.raises(ValidationError) as e:
            check_subscription(cat, hn, unit="P01", channel="webhook", target=target, secret="x" * 20)
        assert [p.field for p in e.value.problems] == ["target"], target
    with pytest.raises(ValidationError):
        check_subscription(cat, hn, unit="P01", channel="webhook", target="https://hooks.example.vn/x", secret="x")
    for target in ("a" * 250 + "@example.vn", "no-at-sign", "a@b", "x@example.vn\nBcc: y@z.vn"):
        with pytest.raises(ValidationError):
            check_subscription(cat, hn, unit="P01", channel="email", target=target)
    bad = [dict(unit="NOPE", channel="inapp"), dict(unit="P01", channel="pigeon"),
           dict(unit="P01", channel="inapp", kind="loud"), dict(unit="P01", channel="inapp", report="weekly"),
           dict(unit="P01", channel="inapp", indicator="nope"), dict(unit="P01", channel="inapp", lang="fr"),
           dict(unit="P01", channel="inapp", report="monthly", kind="silent")]
    for fields in bad:
        with pytest.raises(ValidationError):
            check_subscription(cat, hn, **fields)  # type: ignore[arg-type]
    (ws.root / "chiso.toml").write_text((ws.root / "chiso.toml").read_text() + "\n[notify]\nmax_per_user = 2\n")
    core.subscribe(ws, hn, unit="P01", channel="inapp")
    sub = core.subscribe(ws, hn, unit="P01", channel="email", target="hn@example.vn")
    with pytest.raises(ValidationError):
        core.subscribe(ws, hn, unit="P01", channel="inapp")
    with pytest.raises(UnknownSubscriptionError):
        core.unsubscribe(ws, nation, sub.id)  # not theirs
    core.unsubscribe(ws, hn, sub.id)
    with pytest.raises(UnknownSubscriptionError):
        core.unsubscribe(ws, hn, sub.id)


def test_webhooks_stay_off_internal_addresses_unless_allowed() -> None:
    for url in ("http://127.0.0.1:8000/x", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/",
                "http://localhost/"):
        assert url_problem(url) is None
        assert reachable(url, ()) is not None, url  # refused: internal
    assert reachable("http://127.0.0.1:8000/x", ("127.0.0.1",)) is None
    assert reachable("http://127.0.0.1:8000/x", ("127.0.0.0/8",)) is None
    assert reachable("http://10.0.0.1/", ("127.0.0.1",)) is not None  # allowed hosts only, once a list is set


def test_the_deployments_notify_settings_read_and_bad_ones_are_refused() -> None:
    import tomllib

    from chiso.errors import WorkspaceError
    from paths import ROOT

    got = NotifySettings.read(tomllib.loads((ROOT / "deploy" / "chiso.toml").read_text(encoding="utf-8")))
    assert got.smtp_port == 587 and got.retry == (1.0, 4.0, 16.0) and got.webhook_allow == ()
    for bad in ({"smtp_port": 0}, {"retry": [1, "x"]}, {"retry": [-1]}, {"webhook_allow": "127.0.0.1"},
                {"max_per_user": 0}, {"smpt_host": "x"}, {"smtp_starttls": "yes"}):
        with pytest.raises(WorkspaceError):
            NotifySettings.read({"notify": bad})


def test_waking_the_dispatcher_never_waits_on_a_slow_webhook(sqlite_workspace: core.Workspace,
                                                             cheap_hashes: None) -> None:
    """The event writer's hook only wakes the dispatcher's thread: a receiver taking 2 s holds up the thread, not
    the caller."""
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    arrived = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(2.0)
            self.send_response(200)
            self.end_headers()
            arrived.set()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ws = sqlite_workspace
    try:
        (ws.root / "chiso.toml").write_text((ws.root / "chiso.toml").read_text()
                                            + '\n[notify]\nwebhook_allow = ["127.0.0.1"]\npoll = 1\n')
        hn = user(ws, "hn", "reporter", "P01")
        core.subscribe(ws, hn, unit="P01", channel="webhook", target=f"http://127.0.0.1:{server.server_address[1]}/",
                       secret="s" * 20)
        ws.store.warnings.sync([silent("P01")], [])
        t0 = time.monotonic()
        ws.notify_now()
        assert time.monotonic() - t0 < 0.5  # the caller goes on at once
        assert not arrived.is_set()
        assert arrived.wait(10)  # and the thread delivers it
        for _ in range(100):
            if [d.state for d in ws.store.notify.deliveries()] == ["sent"]:
                break
            time.sleep(0.05)
        assert [d.state for d in ws.store.notify.deliveries()] == ["sent"]
    finally:
        ws.close()
        server.shutdown()


def test_a_break_found_on_approval_reaches_the_subscriber_in_app(workspace: core.Workspace,
                                                                 cheap_hashes: None) -> None:
    import time

    from chiso import workflow
    from chiso.catalogue.records import ValueInput

    ws = workspace
    ds = ws.catalogue.datasets["province_monthly"]
    teams = "community_dx_teams"
    ws.store.write_values([ValueInput(indicator=teams, unit="P01", period=f"2026-{m:02d}", value=100.0 + m,
                                      source="test") for m in range(1, 6)], actor="test")
    reporter = auth.user_of(ws.store.users.create("hn", "hn", "pw-hn-12345", "reporter", "P01"))
    reviewer = auth.user_of(ws.store.users.create("hnrev", "hnrev", "pw-hnrev-123", "reviewer", "P01"))
    core.subscribe(ws, reporter, unit="P01", indicator=teams, channel="inapp")
    entries = [workflow.Entry(c, value=500.0 if c == teams else 50.0,
                              comment="thành lập tổ ở mọi thôn" if c == teams else None) for c in ds.indicators]
    workflow.save_form(ws, reporter, ds.id, "P01", "2026-06", entries)
    workflow.submit_form(ws, reporter, ds.id, "P01", "2026-06")
    workflow.approve_form(ws, reviewer, ds.id, "P01", "2026-06")
    end = time.monotonic() + 10
    while time.monotonic() < end and not core.notifications(ws, reporter):
        time.sleep(0.05)
    [(d, w)] = core.notifications(ws, reporter)
    f = w.finding
    assert (f.kind, f.unit, f.subject) == ("break", "P01", teams)  # the subscription: this indicator only
    ws.close()


def test_without_an_smtp_server_mail_goes_into_the_outbox_whole(sqlite_workspace: core.Workspace,
                                                                 tmp_path: Path) -> None:
    from email.message import EmailMessage

    box = tmp_path / "outbox"
    d = Dispatcher(lambda: sqlite_workspace.catalogue, sqlite_workspace.store, NotifySettings(outbox=str(box)))
    msg = EmailMessage()
    msg["Subject"], msg["To"] = "Cảnh báo sớm — Nguồn im lặng: Hà Nội", "admin@demo.chiso.vn"
    msg.set_content("Hà Nội: 0 sự kiện")
    d._mail(msg)
    files = list(box.iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml"  # no temporary file left beside it
    back = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert back["Subject"] == "Cảnh báo sớm — Nguồn im lặng: Hà Nội"
    assert "0 sự kiện" in back.get_body(preferencelist=("plain",)).get_content()
    with pytest.raises(WorkspaceError, match="smtp_host"):
        Dispatcher(lambda: sqlite_workspace.catalogue, sqlite_workspace.store, NotifySettings())._mail(msg)
