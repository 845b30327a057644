"""Reports in the application and by webhook with the report itself, and hardened webhooks (issue 15 §3):

- an in-app report notification links to its PDF (served to its subscriber only, while the unit is in their scope);
  a report webhook carries the link, the PDF's SHA-256 and size, and the PDF itself (base64) up to
  ``[notify] webhook_pdf_max``; the report's PDF is a stand-in (a real one is test_notify_approval's);
- a webhook's host is resolved once and the connection made to the address checked (a name answering a public
  address, then 127.0.0.1, never reaches 127.0.0.1), keeping the name for Host, SNI and the certificate; the
  timestamp is signed with the body.

Against a real HTTP(S) receiver; only the name lookup of ``.test`` names is scripted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from chiso import app as core
from chiso import auth
from chiso.catalogue.warnings import Finding
from chiso.notify import Dispatcher, NotifySettings
from chiso.store import schema as s
from receivers import Receiver
from web_support import MakeClient

SECRET = "a-webhook-secret-of-32-characters"
TODAY = date(2024, 12, 15)  # November's monthly report fell due on 10 December ("day:10")


def fake_pdf(ws: core.Workspace, written: dict[str, bytes]) -> Callable[[str, str, str], Path]:
    def make(period: str, unit: str, lang: str) -> Path:
        data = f"%PDF-1.4 report {period} {unit} {lang}\n".encode() + b"x" * 2000
        path = ws.root / core.REPORTS / core.DELIVERED / f"bao-cao-{unit}-{period}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written[f"{period} {unit} {lang}"] = data
        return path
    return make


def dispatcher(ws: core.Workspace, written: dict[str, bytes], **settings: object) -> Dispatcher:
    st = NotifySettings(retry=(0.0,), webhook_allow=("127.0.0.1",), timeout=5, **settings)  # type: ignore[arg-type]
    return Dispatcher(lambda: ws.catalogue, ws.store, st, fake_pdf(ws, written))


def subscribed_in_november(ws: core.Workspace, user: auth.User, **fields: object) -> int:
    sub = core.subscribe(ws, user, report="monthly", when="day:10", **fields)
    with ws.store.engine.begin() as conn:
        conn.execute(update(s.subscription).where(s.subscription.c.id == sub.id)
                     .values(created_at=datetime(2024, 11, 20)))
    return sub.id


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    server = r.serve()
    yield r
    server.shutdown()


def test_a_report_in_the_app_and_by_webhook_carries_the_report(sqlite_workspace: core.Workspace,
                                                               make_client: MakeClient, receiver: Receiver,
                                                               cheap_hashes: None) -> None:
    ws = sqlite_workspace
    nat = make_client(ws, user="nat", role="viewer", unit="VN")
    hn = make_client(ws, user="hn", role="reporter", unit="P01")
    u_nat, u_hn = (auth.user_of(ws.store.users.by_username(n)) for n in ("nat", "hn"))  # type: ignore[arg-type]
    inapp = subscribed_in_november(ws, u_nat, unit="VN", channel="inapp")
    hook = subscribed_in_november(ws, u_nat, unit="VN", channel="webhook", lang="en", secret=SECRET,
                                  target=f"http://127.0.0.1:{receiver.port}/hook")
    mine = subscribed_in_november(ws, u_hn, unit="P01", channel="inapp")
    written: dict[str, bytes] = {}
    done = dispatcher(ws, written, base_url="https://chiso.example.vn/").run_once(TODAY)
    assert done["sent"] == 3 and done["failed"] == 0, done

    # the webhook: the link, the hash and size, and the (small) PDF itself, signed with the body
    [(_, _, headers, body)] = receiver.at("/hook")
    assert headers["X-Chiso-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    got = json.loads(body)
    pdf = written["2024-11 VN en"]
    assert (got["report"], got["period"], got["unit"], got["edition"]) == ("monthly", "2024-11", "VN", 1)
    rows = {d.subscription.id: d for d in ws.store.notify.deliveries()}
    assert got["link"].startswith(f"https://chiso.example.vn/notifications/{rows[hook].id}/report?exp=")
    assert "&sig=" in got["link"] and got["link_expires"].endswith("Z")  # signed: tests/test_notify_links.py
    assert got["pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest() and got["pdf"]["size"] == len(pdf)
    assert base64.b64decode(got["pdf"]["base64"]) == pdf and "report for 2024-11" in got["text"]
    assert rows[hook].file is not None and rows[hook].file.sha256 == got["pdf"]["sha256"]

    # in the application: a notification with its link; the PDF to its subscriber, and to no one else
    notes = nat.get("/api/v1/notifications").json()["notifications"]
    [note] = [n for n in notes if n["subscription"] == inapp]
    assert note["kind"] == "report" and note["warning"] is None and "Báo cáo chuyển đổi số kỳ 2024-11" in note["text"]
    link = note["report"]["link"]
    assert link == f"/notifications/{rows[inapp].id}/report"
    r = nat.get(link)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content == written["2024-11 VN vi"] and hashlib.sha256(r.content).hexdigest() == note["report"]["sha256"]
    assert nat.get(got["link"].removeprefix("https://chiso.example.vn")).content == pdf  # the webhook's link too
    assert hn.get(link).status_code == 404  # not theirs
    assert hn.get(f"/notifications/{rows[mine].id}/report").content == written["2024-11 P01 vi"]
    assert nat.get(f"/notifications/{rows[mine].id}/report").status_code == 404
    for bad in ("0", "-1", "99999999", "x", "9" * 30):
        assert nat.get(f"/notifications/{bad}/report").status_code in (400, 404, 422), bad
    page = nat.get("/subscriptions").text
    assert f'href="{link}"' in page and "Xem báo cáo (PDF)" in page
    assert make_client(ws, follow_redirects=False).get(link).status_code in (303, 401)

    # hn moved out of Hà Nội: the link stops serving
    with ws.store.engine.begin() as conn:
        conn.execute(update(s.app_user).where(s.app_user.c.username == "hn").values(unit="P79"))
    assert make_client(ws, user="hn").get(f"/notifications/{rows[mine].id}/report").status_code == 404


def test_a_large_report_goes_by_webhook_as_its_link_and_hash(sqlite_workspace: core.Workspace,
                                                            receiver: Receiver, cheap_hashes: None) -> None:
    ws = sqlite_workspace
    u = auth.user_of(ws.store.users.create("nat", "nat", "pw-nat-123", "viewer", "VN"))
    subscribed_in_november(ws, u, unit="VN", channel="webhook", secret=SECRET,
                           target=f"http://127.0.0.1:{receiver.port}/big")
    written: dict[str, bytes] = {}
    assert dispatcher(ws, written, webhook_pdf_max=1000).run_once(TODAY)["sent"] == 1
    [(_, _, _, body)] = receiver.at("/big")
    got = json.loads(body)
    assert "base64" not in got["pdf"] and got["pdf"]["size"] == len(written["2024-11 VN vi"]) > 1000
    assert got["link"].startswith("/notifications/") and len(body) < 1500


# --- webhook hardening: one resolution (DNS rebinding), the timestamp signed with the body ------------------------
@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, list[str]], list[str]]:
    """Names under ``.test`` answered from ``answers`` (each answer in turn, the last one kept), every lookup in
    ``asked``; any other name (and the address literals a connection is made to) by the real resolver."""
    answers: dict[str, list[str]] = {}
    asked: list[str] = []
    real = socket.getaddrinfo

    def lookup(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if isinstance(host, str) and host.endswith(".test"):
            asked.append(host)
            seq = answers[host]
            ip = seq.pop(0) if len(seq) > 1 else seq[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port or 0))]
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return answers, asked


def verified(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """A receiver's check, as docs/notifications.md writes it: the timestamp signed with the body, 5 minutes."""
    stamp = headers["X-Chiso-Timestamp"]
    want = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, headers["X-Chiso-Signature-V2"]) and abs(now - int(stamp)) <= 300


def warned(ws: core.Workspace, name: str, *targets: str) -> list[int]:
    """A user of Hà Nội subscribed by webhook to each target, and Hà Nội's stream gone silent."""
    u = auth.user_of(ws.store.users.create(name, name, "pw-" + name + "-1", "reporter", "P01"))
    ids = [core.subscribe(ws, u, unit="P01", channel="webhook", target=t, secret=SECRET).id for t in targets]
    ws.store.warnings.sync([Finding("silent", "P01", "stream:dossier", None, 120.0, 0.0, datetime(2026, 3, 2),
                                    {"window": "day"})], [])
    return ids


def test_a_second_resolution_cannot_point_the_webhook_inward(sqlite_workspace: core.Workspace, receiver: Receiver,
                                                            dns: tuple[dict[str, list[str]], list[str]],
                                                            cheap_hashes: None) -> None:
    answers, asked = dns
    answers["rebind.test"] = ["93.184.216.34", "127.0.0.1"]  # public when checked, loopback when asked again
    answers["hooks.test"] = ["127.0.0.1"]
    ws = sqlite_workspace
    rebind, named = warned(ws, "hn", f"http://rebind.test:{receiver.port}/inward",
                           f"http://hooks.test:{receiver.port}/named")
    st = NotifySettings(retry=(0.0,), timeout=0.5, webhook_allow=())
    done = Dispatcher(lambda: ws.catalogue, ws.store, st).run_once()
    rows = {d.subscription.id: d for d in ws.store.notify.deliveries()}
    # checked public, connected to that public address (unreachable here): never to the receiver on 127.0.0.1
    assert receiver.at("/inward") == [] and asked.count("rebind.test") == 1
    assert rows[rebind].state == "pending" and rows[rebind].last_error
    # a name resolving to loopback is refused unless allowed …
    assert "non-public address (127.0.0.1)" in (rows[named].last_error or "") and done["retry"] == 2
    # … and allowed, the request goes to the address checked, named in its Host header, signed with its timestamp
    st = NotifySettings(retry=(0.0,), timeout=5, webhook_allow=("hooks.test",))
    Dispatcher(lambda: ws.catalogue, ws.store, st).run_once()
    [(_, _, headers, body)] = receiver.at("/named")
    assert headers["Host"] == f"hooks.test:{receiver.port}"
    assert verified(SECRET, headers, body, time.time()) and not verified(SECRET, headers, body, time.time() + 301)
    assert not verified(SECRET, headers | {"X-Chiso-Timestamp": str(int(time.time()) + 1)}, body, time.time())
    assert headers["X-Chiso-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert receiver.at("/inward") == []


def test_https_to_the_checked_address_verifies_the_name(sqlite_workspace: core.Workspace, tmp_path: Path,
                                                       dns: tuple[dict[str, list[str]], list[str]],
                                                       cheap_hashes: None) -> None:
    answers, _ = dns
    answers["hooks.test"] = answers["other.test"] = ["127.0.0.1"]
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=hooks.test",
                    "-addext", "subjectAltName=DNS:hooks.test"], check=True, capture_output=True)
    seen: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append((self.path, self.headers.get("Host")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        ws = sqlite_workspace
        good, wrong = warned(ws, "hn", f"https://hooks.test:{port}/tls", f"https://other.test:{port}/tls")
        d = Dispatcher(lambda: ws.catalogue, ws.store,
                       NotifySettings(retry=(0.0,), timeout=5, webhook_allow=("127.0.0.1/32",)))
        d.tls = ssl.create_default_context(cafile=str(cert))
        d.run_once()
        rows = {r.subscription.id: r for r in ws.store.notify.deliveries()}
        assert rows[good].state == "sent" and seen == [("/tls", f"hooks.test:{port}")]
        assert rows[wrong].state == "pending" and "certificate" in (rows[wrong].last_error or "").lower()
    finally:
        server.shutdown()
