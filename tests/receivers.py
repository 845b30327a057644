"""Real receivers for what chiso sends, in the test's process: an SMTP server (aiosmtpd) keeping the mails, an HTTP
server keeping the webhook calls (a path starting ``/fail`` answers 500), and a free port for any server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    mails: list[tuple[float, list[str], EmailMessage]] = field(default_factory=list)  # (monotonic, to, mail)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.mails.append((time.monotonic(), list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for _, rcpt, m in self.mails if address in rcpt]

    def messages(self) -> list[EmailMessage]:
        return [m for _, _, m in self.mails]


@dataclass
class Receiver:
    calls: list[tuple[float, str, dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    def serve(self) -> ThreadingHTTPServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.calls.append((time.monotonic(), self.path, dict(self.headers.items()), body))
                self.send_response(500 if self.path.startswith("/fail") else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def at(self, path: str) -> list[tuple[float, str, dict[str, str], bytes]]:
        return [c for c in self.calls if c[1] == path]


@contextmanager
def smtp_server(box: Mailbox) -> Iterator[int]:
    """An SMTP server on 127.0.0.1 delivering into ``box``; its port."""
    port = free_port()
    smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        yield port
    finally:
        smtp.stop()


@contextmanager
def mail_and_webhook() -> Iterator[tuple[Mailbox, int, Receiver]]:
    """A mailbox with its SMTP server's port, and a webhook receiver, both serving."""
    box, receiver = Mailbox(), Receiver()
    with smtp_server(box) as port:
        http = receiver.serve()
        try:
            yield box, port, receiver
        finally:
            http.shutdown()
