"""Signed, expiring links to a delivered report's PDF (issue 15 §3): a report's mail and webhook carry
``{base_url}/notifications/{id}/report?exp=…&sig=…`` (HMAC-SHA256 of the id and the expiry with the server's secret,
``app_secret`` in the store) that opens the PDF without a session until it expires (``[notify] link_days``, 7 by
default); expired, changed, or another delivery's: a 403 page saying why, never a 500; the logged-in route keeps
working. A real SMTP server (aiosmtpd) and HTTP receiver, on SQLite and PostgreSQL; the PDF is a stand-in."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, update

from chiso import app as core
from chiso import auth
from chiso.errors import WorkspaceError
from chiso.notify import LINK_SECRET, Dispatcher, NotifySettings, check_link, link_signature, signed_report_link
from chiso.store import schema as s
from receivers import Mailbox, Receiver, mail_and_webhook
from test_notify_deliver import SECRET, TODAY, fake_pdf, subscribed_in_november
from web_support import MakeClient

BASE = "https://chiso.example.vn"
LINK = re.compile(r"https://chiso\.example\.vn(/notifications/(\d+)/report\?exp=(\d+)&sig=([0-9a-f]{64}))")


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Mailbox, int, Receiver]]:
    with mail_and_webhook() as servers:
        yield servers


def test_the_signature_covers_the_id_and_the_expiry() -> None:
    key, now = "k" * 64, 1_800_000_000
    sig = link_signature(key, 17, now + 60)
    assert check_link(key, 17, now + 60, sig, now) is None
    assert check_link(key, 17, now + 60, sig.upper(), now) is None
    assert check_link(key, 17, now + 60, sig, now + 61) == "expired"
    assert check_link(key, 18, now + 60, sig, now) == "bad"  # another delivery
    assert check_link(key, 17, now + 61, sig, now) == "bad"  # the expiry pushed on
    assert check_link("other" * 13, 17, now + 60, sig, now) == "bad"  # another server's
    for bad in (None, "", "x" * 64, sig[:-1], sig + "0", "é" * 64):
        assert check_link(key, 17, now + 60, bad, now) == "bad", bad
    assert check_link(key, 17, None, sig, now) == "bad" and check_link(key, 17, -1, sig, now) == "bad"
    assert signed_report_link(17, BASE + "/", key, now) == f"{BASE}/notifications/17/report?exp={now}&sig=" + \
        link_signature(key, 17, now)


def test_link_days_is_bounded() -> None:
    assert NotifySettings.read({}).link_days == 7
    assert NotifySettings.read({"notify": {"link_days": 30}}).link_days == 30
    for bad in (0, 366, -1, "7", True, 1.5):
        with pytest.raises(WorkspaceError):
            NotifySettings.read({"notify": {"link_days": bad}})


def test_a_reports_mail_and_webhook_carry_a_signed_link_that_opens_it_until_it_expires(
        workspace: core.Workspace, servers: tuple[Mailbox, int, Receiver], make_client: MakeClient,
        cheap_hashes: None) -> None:
    box, port, receiver = servers
    box.mails.clear()
    ws = workspace
    nat = make_client(ws, user="nat", role="viewer", unit="VN")
    hn = make_client(ws, user="hn", role="reporter", unit="P01")
    anon = make_client(ws, raise_server_exceptions=False, follow_redirects=False)
    u_nat, u_hn = (auth.user_of(ws.store.users.by_username(n)) for n in ("nat", "hn"))  # type: ignore[arg-type]
    path = f"/links-{ws.store.engine.dialect.name}"
    mail = subscribed_in_november(ws, u_nat, unit="VN", channel="email", target="vp@example.vn")
    hook = subscribed_in_november(ws, u_nat, unit="VN", channel="webhook", lang="en", secret=SECRET,
                                  target=f"http://127.0.0.1:{receiver.port}{path}")
    mine = subscribed_in_november(ws, u_hn, unit="P01", channel="email", target="hn@example.vn")
    written: dict[str, bytes] = {}
    st = NotifySettings(retry=(0.0,), webhook_allow=("127.0.0.1",), timeout=5, smtp_host="127.0.0.1",
                        smtp_port=port, base_url=BASE + "/")
    before = int(time.time())
    done = Dispatcher(lambda: ws.catalogue, ws.store, st, fake_pdf(ws, written)).run_once(TODAY)
    assert done["sent"] == 3 and done["failed"] == 0, done
    rows = {d.subscription.id: d for d in ws.store.notify.deliveries()}

    # the mail: the link in the text and the HTML, with its expiry in words; the PDF still attached
    [m] = [m for _, rcpt, m in box.mails if rcpt == ["vp@example.vn"]]
    text = m.get_body(("plain",)).get_content()
    [(mail_link, did, exp, _)] = LINK.findall(text)
    assert int(did) == rows[mail].id and before + 7 * 86400 <= int(exp) <= int(time.time()) + 7 * 86400
    assert "không cần đăng nhập" in text and "giờ Việt Nam" in text
    assert f'href="{BASE}{mail_link.replace("&", "&amp;")}"' in m.get_body(("html",)).get_content()
    assert [p.get_content_type() for p in m.iter_attachments()] == ["application/pdf"]
    # the webhook: its link and when it expires
    got = json.loads(receiver.at(path)[-1][3])
    [(hook_link, hook_did, hook_exp, hook_sig)] = LINK.findall(got["link"])
    assert int(hook_did) == rows[hook].id
    assert got["link_expires"] == datetime.fromtimestamp(int(hook_exp), UTC).replace(tzinfo=None).isoformat() + "Z"

    # without a session: the PDF, not cached, no Referer carrying the sig
    for link, key in ((mail_link, "2024-11 VN vi"), (hook_link, "2024-11 VN en")):
        r = anon.get(link)
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text
        assert r.content == written[key] and "no-store" in r.headers["cache-control"]
        assert r.headers["referrer-policy"] == "no-referrer"
    # the logged-in route keeps working, for its subscriber only
    assert nat.get(f"/notifications/{rows[mail].id}/report").content == written["2024-11 VN vi"]
    assert hn.get(f"/notifications/{rows[mail].id}/report").status_code == 404
    assert anon.get(f"/notifications/{rows[mail].id}/report").status_code == 303  # to the login page

    # tampered: the sig changed, the expiry pushed on, another delivery's id: 403, in the reader's language
    flipped = hook_link[:-1] + ("0" if hook_link[-1] != "0" else "1")
    pushed = hook_link.replace(f"exp={hook_exp}", f"exp={int(hook_exp) + 86400}")
    other_id = f"/notifications/{rows[mine].id}/report?exp={hook_exp}&sig={hook_sig}"
    for link in (flipped, pushed, other_id, f"/notifications/{rows[hook].id}/report?sig={hook_sig}",
                 f"/notifications/{rows[hook].id}/report?exp={hook_exp}", hook_link.upper().replace(
                     "/NOTIFICATIONS/", "/notifications/").replace("/REPORT?EXP=", "/report?exp=").replace(
                     "&SIG=", "&sig=")[:-3] + "zzz"):
        r = anon.get(link)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), (link, r.status_code)
        assert 'data-reason="bad"' in r.text and "không hợp lệ" in r.text and "%PDF" not in r.text
    english = make_client(ws, raise_server_exceptions=False)  # ?lang=en stays as a cookie
    r = english.get(flipped + "&lang=en")
    assert r.status_code == 403 and "This link to the report is not valid" in r.text
    assert nat.get(other_id).status_code == 403  # logged in, not theirs: refused as well
    assert hn.get(other_id).status_code == 200  # its own subscriber, logged in: theirs whatever the link says

    # expired: signed right with the server's secret, an expiry passed
    key = ws.store.notify.secret(LINK_SECRET)
    old = int(time.time()) - 1
    expired = f"/notifications/{rows[mail].id}/report?exp={old}&sig={link_signature(key, rows[mail].id, old)}"
    r = anon.get(expired)
    assert r.status_code == 403 and 'data-reason="expired"' in r.text and "đã hết hạn" in r.text
    assert "has expired" in english.get(expired).text
    assert hn.get(expired).status_code == 403
    r = nat.get(expired)  # its subscriber, logged in: still theirs to open
    assert r.status_code == 200 and r.content == written["2024-11 VN vi"]

    # bad input: refused, never a 500
    for q in ("exp=abc&sig=00", f"exp=-1&sig={hook_sig}", f"exp={2**41}&sig={hook_sig}", f"exp=1&sig={'a' * 5000}",
              "exp=&sig=", f"exp={hook_exp}&sig=%00%01", f"exp={hook_exp}&sig={'é' * 64}"):
        r = anon.get(f"/notifications/{rows[hook].id}/report?{q}")
        assert r.status_code in (400, 403, 422), (q, r.status_code)
    for did in ("0", "-1", "x", "9" * 30):
        assert anon.get(f"/notifications/{did}/report?exp={hook_exp}&sig={hook_sig}").status_code in (
            400, 403, 404, 422), did
    # a number signed right that has no report, or a subscriber who lost the unit: 404, saying so
    gone = 2**40
    r = anon.get(f"/notifications/{gone}/report?exp={old + 86400}&sig={link_signature(key, gone, old + 86400)}")
    assert r.status_code == 404 and 'data-reason="gone"' in r.text
    hn_link = signed_report_link(rows[mine].id, None, key, int(time.time()) + 60)
    assert anon.get(hn_link).content == written["2024-11 P01 vi"]
    with ws.store.engine.begin() as conn:
        conn.execute(update(s.app_user).where(s.app_user.c.username == "hn").values(unit="P79"))
    assert anon.get(hn_link).status_code == 404

    # the secret rotated (its row deleted): the links signed before stop opening
    with ws.store.engine.begin() as conn:
        conn.execute(delete(s.app_secret).where(s.app_secret.c.name == LINK_SECRET))
    assert anon.get(mail_link).status_code == 403
    assert ws.store.notify.secret(LINK_SECRET) != key


def test_link_days_sets_the_expiry(sqlite_workspace: core.Workspace, servers: tuple[Mailbox, int, Receiver],
                                   make_client: MakeClient, cheap_hashes: None) -> None:
    _, _, receiver = servers
    ws = sqlite_workspace
    make_client(ws, user="nat", role="viewer", unit="VN")
    nat = auth.user_of(ws.store.users.by_username("nat"))  # type: ignore[arg-type]
    subscribed_in_november(ws, nat, unit="VN", channel="webhook", secret=SECRET,
                           target=f"http://127.0.0.1:{receiver.port}/days")
    st = NotifySettings(retry=(0.0,), webhook_allow=("127.0.0.1",), timeout=5, link_days=1)
    start = int(time.time())
    assert Dispatcher(lambda: ws.catalogue, ws.store, st, fake_pdf(ws, {})).run_once(TODAY)["sent"] == 1
    link = json.loads(receiver.at("/days")[-1][3])["link"]
    exp = int(re.findall(r"exp=(\d+)", link)[0])
    assert link.startswith("/notifications/") and start + 86400 <= exp <= int(time.time()) + 86400
