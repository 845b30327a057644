"""Subscriptions and delivery of warnings (issue 15 §3) against real parts: a real SMTP server (aiosmtpd) and a real
HTTP receiver in this process, a simulated Hà Nội switched off through the workspace's event writer, whose hook
raises the warning and wakes the dispatcher's thread: the mail and the signed webhook arrive within seconds, once;
a receiver answering 500 is retried and then the delivery is marked failed; another province's reporter hears
nothing of it; a restarted dispatcher sends nothing again."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest

from chiso import app as core
from chiso import auth
from chiso.i18n import fmt_date
from chiso.notify import Dispatcher
from chiso.simulate.nation import iter_batches
from receivers import Mailbox, Receiver, mail_and_webhook

OFF = {"P01": datetime(2024, 3, 6)}  # Hà Nội's systems stop (a Wednesday, after four weeks of history)
SECRET = "a-webhook-secret-of-32-characters"


@dataclass
class World:
    ws: core.Workspace
    mailbox: Mailbox
    receiver: Receiver
    users: dict[str, auth.User]
    subs: dict[str, int]
    raised_at: float  # when the batch that raised Hà Nội's warning returned (monotonic)


def user(ws: core.Workspace, username: str, role: str, unit: str) -> auth.User:
    r = ws.store.users.create(username, username, "pw-" + username, role, unit)
    return auth.user_of(r)


def wait_for(cond: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return bool(cond())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, cheap_hashes: None) -> Iterator[World]:
    stack = ExitStack()
    mailbox, smtp_port, receiver = stack.enter_context(mail_and_webhook())
    root = tmp_path_factory.mktemp("notify")
    ws = core.init_workspace(root / "ws", f"sqlite:///{root / 'store.sqlite'}")
    with (ws.root / "chiso.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\nsmtp_from = "chiso@example.vn"\n'
                'retry = [0.05, 0.1]\nwebhook_allow = ["127.0.0.1"]\npoll = 0.5\ntimeout = 5\n')
    users = {"hn": user(ws, "rep_hn", "reporter", "P01"), "p79": user(ws, "rep_p79", "reporter", "P79")}
    base = f"http://127.0.0.1:{receiver.port}"
    subs = {
        "mail": core.subscribe(ws, users["hn"], unit="P01", channel="email", target="hn@example.vn").id,
        "hook": core.subscribe(ws, users["hn"], unit="P01", kind="silent", channel="webhook", target=f"{base}/ok",
                               secret=SECRET, lang="en").id,
        "fail": core.subscribe(ws, users["hn"], unit="P01", channel="webhook", target=f"{base}/fail",
                               secret=SECRET).id,
        "inapp": core.subscribe(ws, users["hn"], unit="P01", channel="inapp").id,
        "p79": core.subscribe(ws, users["p79"], unit="P79", channel="email", target="p79@example.vn").id,
    }
    ing = ws.ingestor()
    raised_at = 0.0
    for b in iter_batches(2024, 0.001, kind="dossier", batch_rows=10_000, off=OFF):
        if b.column("at")[0].as_py() > datetime(2024, 3, 20):
            break
        ing.submit_arrow("dossier", pa.Table.from_batches([b]), "sim")
        if not raised_at and any(w.finding.unit == "P01" for _, w in ws.store.warnings.raised_since(0)):
            raised_at = time.monotonic()
    ing.events.close()
    yield World(ws, mailbox, receiver, users, subs, raised_at)
    ws.close()
    stack.close()


def hn_raised(w: World) -> list[int]:
    return [lid for lid, x in w.ws.store.warnings.raised_since(0) if x.finding.unit == "P01"]


def test_a_silent_province_reaches_its_reporter_by_mail_within_seconds_once(world: World) -> None:
    assert world.raised_at, "the simulated switch-off raised no warning for Hà Nội"
    raises = hn_raised(world)
    assert wait_for(lambda: len(world.mailbox.to("hn@example.vn")) >= len(raises))
    first = min(t for t, rcpt, _ in world.mailbox.mails if "hn@example.vn" in rcpt)
    assert first - world.raised_at < 5.0, f"{first - world.raised_at:.2f} s from the batch to the mail"
    time.sleep(0.6)  # a poll more: nothing is sent twice
    mails = world.mailbox.to("hn@example.vn")
    assert len(mails) == len(raises) == 1
    msg = mails[0]
    assert "Hà Nội" in str(msg["Subject"]) and "Cảnh báo sớm" in str(msg["Subject"])  # Vietnamese by default
    html = msg.get_body(("html",))
    text = msg.get_body(("plain",))
    assert html is not None and text is not None
    assert "Hà Nội" in html.get_content() and "<table>" in html.get_content()
    w = world.ws.store.warnings.get(json.loads(world.receiver.at("/ok")[0][3])["warning"]["id"]) if wait_for(
        lambda: world.receiver.at("/ok")) else None
    assert w is not None and w.finding.unit == "P01"
    assert "Từ ngày" in text.get_content() and fmt_date(w.finding.since.date(), "vi") in text.get_content()
    print(f"batch → mail: {first - world.raised_at:.2f} s")


def test_the_webhook_is_signed_with_the_subscriptions_secret(world: World) -> None:
    assert wait_for(lambda: len(world.receiver.at("/ok")) >= 1)
    calls = world.receiver.at("/ok")
    assert len(calls) == len(hn_raised(world)) == 1
    _, _, headers, body = calls[0]
    want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Chiso-Signature"], want)
    assert not hmac.compare_digest(headers["X-Chiso-Signature"],
                                   "sha256=" + hmac.new(b"another-secret-of-enough-length", body,
                                                        hashlib.sha256).hexdigest())
    assert abs(int(headers["X-Chiso-Timestamp"]) - time.time()) < 120
    doc = json.loads(body)
    assert doc["warning"]["unit"] == "P01" and doc["warning"]["kind"] == "silent"
    assert doc["text"].startswith("Ha Noi")  # the subscription asked for English


def test_a_failing_webhook_is_retried_then_marked_failed(world: World) -> None:
    book = world.ws.store.notify

    def failed() -> list[Any]:
        return [d for d in book.deliveries(states=["failed"]) if d.subscription.id == world.subs["fail"]]

    assert wait_for(lambda: len(failed()) == 1)
    d = failed()[0]
    assert d.attempts == 3 and d.last_error is not None and "HTTP 500" in d.last_error
    assert len(world.receiver.at("/fail")) == 3  # the first try and two retries (retry = [0.05, 0.1])


def test_another_provinces_reporter_never_hears_of_it(world: World) -> None:
    wait_for(lambda: len(world.mailbox.to("hn@example.vn")) >= 1)
    for mail in world.mailbox.to("p79@example.vn"):
        assert "Hà Nội" not in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    mine = world.ws.store.notify.deliveries(user_id=world.users["p79"].id)
    assert all(world.ws.store.warnings.get(d.warning).finding.unit != "P01" for d in mine)  # type: ignore[union-attr]
    # and may not subscribe to Hà Nội at all
    from chiso.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        core.subscribe(world.ws, world.users["p79"], unit="P01", channel="inapp")


def test_in_app_notifications_list_the_warning(world: World) -> None:
    assert wait_for(lambda: len(core.notifications(world.ws, world.users["hn"])) == 1)
    (d, w), = core.notifications(world.ws, world.users["hn"])
    assert w.finding.unit == "P01" and d.subscription.channel == "inapp"
    assert core.notifications(world.ws, world.users["p79"]) == []


def test_a_restarted_dispatcher_sends_nothing_again(world: World) -> None:
    wait_for(lambda: len(world.receiver.at("/fail")) >= 3)
    before = (len(world.mailbox.mails), len(world.receiver.calls))
    world.ws.close()  # stops this process's dispatcher
    again = Dispatcher(lambda: world.ws.catalogue, world.ws.store, world.ws.notify_settings)
    assert again.run_once() == {"new": 0, "sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    assert (len(world.mailbox.mails), len(world.receiver.calls)) == before
